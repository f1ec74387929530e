//! `lianjian bench --iot-ingest DB`: device readings published over a real MQTT broker
//! (`--broker`, default the machine's Mosquitto at 127.0.0.1:1883) into the product's
//! consumer (issue 16; target ≥ 20,000 readings/s sustained on two cores across 100,000
//! devices). `--devices` devices are registered; a generator publishes `--readings` readings
//! in messages of `--per-message` readings (QoS 1), device after device, as fast as the
//! consumer keeps up: at most `--window` messages published and not yet durably written, so
//! the broker never has to queue more than its limit (Mosquitto drops beyond
//! `max_queued_messages`, default 1000, which would be a loss, not a speed). Each message's
//! first reading is the metric `seq` carrying the message's number; the observer (called
//! after each commit) matches it to the publish time: publish → durable write latency.
//! At the end every reading is counted in the database: nothing may be lost.
//!
//! DB is a SQLite file path (must not exist yet) or the URL of an empty PostgreSQL database.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use chrono::Utc;
use lianjian_domain::iot::{DeviceInfo, DeviceKind, DeviceStatus, Reading};
use lianjian_services::Services;
use lianjian_services::iot::mqtt::{self, MqttConfig};
use lianjian_services::iot::{BoxFuture, ReadingObserver};
use lianjian_store::Store;
use rumqttc::{AsyncClient, MqttOptions, QoS};
use serde_json::{Value, json};
use uuid::Uuid;

use super::{BenchArgs, quantile};

/// Hears the `seq` readings and records their latency.
struct Clock {
    started: Vec<AtomicU64>,
    origin: Instant,
    latencies: Mutex<Vec<Duration>>,
    written: AtomicU64,
    last: AtomicU64,
}

impl ReadingObserver for Clock {
    fn observe<'a>(
        &'a self,
        batch: &'a [(Arc<DeviceInfo>, Reading)],
    ) -> BoxFuture<'a, lianjian_services::Result<()>> {
        Box::pin(async move {
            let now = self.origin.elapsed();
            let mut l = Vec::new();
            for (_, r) in batch {
                if r.metric == "seq" {
                    let i = r.value as usize;
                    if let Some(t) = self.started.get(i) {
                        let sent = Duration::from_nanos(t.load(Ordering::Acquire));
                        l.push(now.saturating_sub(sent));
                    }
                    self.written.fetch_add(1, Ordering::AcqRel);
                }
            }
            self.last.store(now.as_nanos() as u64, Ordering::Release);
            self.latencies.lock().expect("latencies").extend(l);
            Ok(())
        })
    }

    fn silent<'a>(
        &'a self,
        _: &'a [(Arc<DeviceInfo>, chrono::DateTime<Utc>)],
        _: chrono::DateTime<Utc>,
    ) -> BoxFuture<'a, lianjian_services::Result<()>> {
        Box::pin(async { Ok(()) })
    }
}

pub async fn run(a: &BenchArgs, db: &str) -> anyhow::Result<Value> {
    let url = if db.starts_with("postgres://") || db.starts_with("postgresql://") {
        db.to_string()
    } else {
        if std::path::Path::new(db).exists() {
            bail!(
                "{db} exists: --iot-ingest needs a new SQLite file (or an empty PostgreSQL database)"
            );
        }
        format!("sqlite://{db}")
    };
    if a.devices == 0 || a.per_message == 0 || a.iot_readings == 0 || a.window == 0 {
        bail!("--devices, --per-message, --iot-readings and --window must be at least 1");
    }
    let store = Store::connect_and_migrate(&url).await?;
    let svc = Services::new(store, Default::default());
    // The registry: `--devices` cold-chain thermometers (threshold 8 ℃) of one entity each.
    let t = Instant::now();
    let department = Uuid::now_v7();
    let now = Utc::now();
    let run = Uuid::now_v7().simple().to_string();
    let mut ids = Vec::with_capacity(a.devices as usize);
    for chunk in (0..a.devices).collect::<Vec<_>>().chunks(5_000) {
        let tx = svc.store.begin_bulk().await?;
        for i in chunk {
            let ext = format!("B{i:07}");
            let d = lianjian_store::iot::Device {
                id: Uuid::now_v7(),
                external_id: ext.clone(),
                kind: DeviceKind::ColdChainThermometer,
                entity_id: Uuid::now_v7(),
                region_code: lianjian_domain::region::RegionCode::parse("411121")
                    .map_err(|e| anyhow::anyhow!("{e}"))?,
                department_id: department,
                location: "基准测试冷库".into(),
                thresholds: [("temperature".to_string(), 8.0)].into(),
                silence_minutes: 60,
                status: DeviceStatus::Active,
                last_seen_at: None,
                created_by: "bench".into(),
                created_at: now,
                updated_at: now,
            };
            lianjian_store::iot::insert_device(&tx, &d).await?;
            ids.push(ext);
        }
        tx.commit().await?;
    }
    eprintln!(
        "{} devices registered in {:.1} s",
        a.devices,
        t.elapsed().as_secs_f64()
    );
    let messages = a.iot_readings.div_ceil(a.per_message as u64);
    let clock = Arc::new(Clock {
        started: (0..messages).map(|_| AtomicU64::new(0)).collect(),
        origin: Instant::now(),
        latencies: Mutex::new(Vec::with_capacity(messages as usize)),
        written: AtomicU64::new(0),
        last: AtomicU64::new(0),
    });
    let prefix = format!("ljbench/{run}");
    let mut cfg = MqttConfig::new(a.broker.clone(), format!("lj-bench-{run}"));
    cfg.topic = format!("{prefix}/devices/+/readings");
    let mut consumer = mqtt::start(svc.clone(), cfg, clock.clone())
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    if !consumer.subscribed(Duration::from_secs(10)).await {
        bail!(
            "the broker at {} did not confirm the subscription",
            a.broker
        );
    }
    // The generator.
    let (_, host, port) = mqtt::parse_url(&a.broker).map_err(|e| anyhow::anyhow!("{}", e.en))?;
    let mut o = MqttOptions::new(format!("lj-bench-pub-{run}"), host, port);
    o.set_inflight(1000).set_max_packet_size(1 << 20, 1 << 20);
    let (client, mut el) = AsyncClient::new(o, 10_000);
    let pump = tokio::spawn(async move {
        loop {
            if el.poll().await.is_err() {
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
    });
    let base = Utc::now() - chrono::Duration::hours(2);
    let started = Instant::now();
    let first = clock.origin.elapsed();
    for m in 0..messages {
        while m - clock.written.load(Ordering::Acquire) >= a.window {
            tokio::time::sleep(Duration::from_micros(200)).await;
        }
        let dev = (m % a.devices) as usize;
        let round = m / a.devices;
        let mut readings = Vec::with_capacity(a.per_message as usize);
        let at0 = base + chrono::Duration::seconds(round as i64);
        readings.push(json!({"metric": "seq", "value": m, "at": at0.to_rfc3339()}));
        for k in 1..a.per_message {
            // 2–9.9 ℃: about one reading in eight above the 8 ℃ threshold.
            let v = 2.0 + ((m * 7 + k as u64 * 13) % 80) as f64 / 10.0;
            let at = at0 + chrono::Duration::milliseconds(k as i64);
            readings.push(json!({"metric": "temperature", "value": v, "at": at.to_rfc3339()}));
        }
        let payload = json!({"id": format!("b-{m}"), "readings": readings}).to_string();
        clock.started[m as usize]
            .store(clock.origin.elapsed().as_nanos() as u64, Ordering::Release);
        client
            .publish(
                format!("{prefix}/devices/{}/readings", ids[dev]),
                QoS::AtLeastOnce,
                false,
                payload,
            )
            .await
            .context("publishing")?;
    }
    let deadline = Instant::now() + Duration::from_secs(120);
    while clock.written.load(Ordering::Acquire) < messages {
        if Instant::now() > deadline {
            bail!(
                "only {} of {messages} messages written after 120 s",
                clock.written.load(Ordering::Acquire)
            );
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let last = Duration::from_nanos(clock.last.load(Ordering::Acquire));
    let elapsed = last.saturating_sub(first).as_secs_f64();
    let wall = started.elapsed().as_secs_f64();
    consumer.stop().await;
    pump.abort();
    let stored: i64 = {
        use sea_orm::ConnectionTrait;
        let r = svc
            .store
            .conn()
            .query_one_raw(sea_orm::Statement::from_string(
                svc.store.conn().get_database_backend(),
                "SELECT COUNT(*) AS n FROM device_readings",
            ))
            .await?
            .context("count")?;
        r.try_get("", "n")?
    };
    let total = messages * a.per_message as u64;
    let stats = svc.iot.stats();
    let lat = clock.latencies.lock().expect("latencies").clone();
    let out = json!({
        "bench": "iot-ingest",
        "database": if url.starts_with("sqlite") { "sqlite" } else { "postgresql" },
        "broker": a.broker,
        "devices": a.devices,
        "messages": messages,
        "readings_per_message": a.per_message,
        "readings": total,
        "readings_stored": stored,
        "lost": total as i64 - stored,
        "seconds": (elapsed * 1000.0).round() / 1000.0,
        "wall_seconds": (wall * 1000.0).round() / 1000.0,
        "readings_per_second": (total as f64 / elapsed).round(),
        "batches": stats.batches,
        "mean_batch_readings": if stats.batches > 0 { (stats.readings as f64 / stats.batches as f64).round() } else { 0.0 },
        "exceedances_opened": stats.exceedances_opened,
        "latency_ms_p50": quantile(&lat, 0.50),
        "latency_ms_p99": quantile(&lat, 0.99),
        "latency_ms_max": quantile(&lat, 1.0),
        "window": a.window,
    });
    if stored != total as i64 {
        eprintln!("LOST READINGS: {total} published, {stored} stored");
    }
    Ok(out)
}
