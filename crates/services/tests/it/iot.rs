//! IoT sensing (issue 16 item 3) on both backends: the device registry names every bad field
//! and is scoped by the owner department's line; real messages through the machine's
//! Mosquitto (127.0.0.1:1883) — good, malformed, duplicate, out-of-order, late and from the
//! future — are stored, aggregated per minute, turned into exceedances and counted per reason;
//! a consumer killed mid-stream loses nothing (QoS 1, persistent session, acks after the
//! commit); silence is reported to the observer. Each test uses its own client ids, topic
//! prefix and device ids, so parallel tests never see each other's messages. The registry's
//! xlsx: bad rows named by row and column, nothing half-written, export → import unchanged.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, Utc};
use lianjian_domain::iot::{DeviceInfo, Reading};
use lianjian_services::iot::devices::{self, DeviceFilter, DeviceInput};
use lianjian_services::iot::mqtt::{self, MqttConfig};
use lianjian_services::iot::{BoxFuture, ReadingObserver, ingest};
use lianjian_services::{ServiceError, Services};
use lianjian_store::on_both_backends;
use lianjian_store::testing::TestDb;
use rumqttc::{AsyncClient, MqttOptions, QoS};
use uuid::Uuid;

use crate::DEMO;
use crate::clues::{actor, department, page};

pub(crate) struct Env {
    svc: Services,
    _db: TestDb,
}

async fn setup(db: TestDb) -> Env {
    Env {
        svc: Services::new(db.store.clone(), Default::default()),
        _db: db,
    }
}

on_both_backends!(
    template = DEMO, setup = setup, multi_thread;
    the_registry_names_bad_fields_and_is_scoped_by_line,
    messages_through_mosquitto_are_stored_aggregated_and_counted,
    a_killed_consumer_loses_nothing_across_a_restart,
    a_broker_restart_loses_nothing,
    devices_round_trip_through_xlsx_and_bad_rows_are_named,
);

const BROKER: &str = "mqtt://127.0.0.1:1883";

async fn entity(svc: &Services) -> Uuid {
    let code = lianjian_domain::region::RegionCode::parse("411121").unwrap();
    lianjian_store::entities::scan(svc.store.conn(), Some(&code), None, 1)
        .await
        .unwrap()[0]
        .id
}

async fn register(svc: &Services, ext: &str, thresholds: &str) -> Uuid {
    let a = actor(svc, "wy.market").await;
    let d = devices::create(
        svc,
        &a,
        &DeviceInput {
            external_id: ext.into(),
            kind: "冷链温度计".into(),
            entity_id: Some(entity(svc).await),
            department_id: Some(department(svc, "411121", "县市场监管局").await),
            location: "1 号冷库".into(),
            thresholds: Some(serde_json::Value::String(thresholds.into())),
            silence_minutes: Some(10),
            status: None,
            entity_usci: None,
        },
    )
    .await
    .unwrap();
    d.id
}

/// Records what the ingest tells it.
#[derive(Default)]
struct Recorder {
    seen: Mutex<Vec<Reading>>,
    silent: Mutex<Vec<(Uuid, DateTime<Utc>)>>,
}

impl ReadingObserver for Recorder {
    fn observe<'a>(
        &'a self,
        batch: &'a [(Arc<DeviceInfo>, Reading)],
    ) -> BoxFuture<'a, lianjian_services::Result<()>> {
        Box::pin(async move {
            for (d, r) in batch {
                assert_eq!(d.id, r.device_id);
                self.seen.lock().unwrap().push(r.clone());
            }
            Ok(())
        })
    }
    fn silent<'a>(
        &'a self,
        devices: &'a [(Arc<DeviceInfo>, DateTime<Utc>)],
        _now: DateTime<Utc>,
    ) -> BoxFuture<'a, lianjian_services::Result<()>> {
        Box::pin(async move {
            for (d, at) in devices {
                self.silent.lock().unwrap().push((d.id, *at));
            }
            Ok(())
        })
    }
}

/// A publisher on its own connection; its event loop runs until dropped.
struct Publisher {
    client: AsyncClient,
    task: tokio::task::JoinHandle<()>,
}

impl Publisher {
    async fn new() -> Self {
        Self::on(1883).await
    }

    async fn on(port: u16) -> Self {
        let mut o = MqttOptions::new(format!("lj-pub-{}", Uuid::now_v7()), "127.0.0.1", port);
        o.set_max_packet_size(1024 * 1024, 1024 * 1024);
        let (client, mut el) = AsyncClient::new(o, 1000);
        let task = tokio::spawn(async move {
            loop {
                if el.poll().await.is_err() {
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
            }
        });
        Self { client, task }
    }

    async fn send(&self, topic: &str, payload: impl Into<Vec<u8>>) {
        self.client
            .publish(topic, QoS::AtLeastOnce, false, payload.into())
            .await
            .unwrap();
    }

    /// Disconnects after what was published is out.
    async fn finish(self) {
        tokio::time::sleep(Duration::from_millis(300)).await;
        let _ = self.client.disconnect().await;
        tokio::time::sleep(Duration::from_millis(100)).await;
        self.task.abort();
    }
}

fn config(prefix: &str, client: &str) -> MqttConfig {
    let mut c = MqttConfig::new(BROKER, client);
    c.topic = format!("{prefix}/devices/+/readings");
    c.batch_ms = 20;
    c
}

async fn wait_for(what: &str, mut f: impl AsyncFnMut() -> bool) {
    for _ in 0..200 {
        if f().await {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("timed out waiting for {what}");
}

async fn the_registry_names_bad_fields_and_is_scoped_by_line(env: Env) {
    let svc = &env.svc;
    let market = actor(svc, "wy.market").await;
    let health = actor(svc, "wy.health").await;
    let inspector = actor(svc, "wy.zhang").await;
    let bad = DeviceInput {
        external_id: "FR/01".into(),
        kind: "toaster".into(),
        entity_id: Some(Uuid::now_v7()),
        department_id: Some(department(svc, "411121", "县卫生健康委").await),
        location: String::new(),
        thresholds: Some(serde_json::Value::String("temperature=hot".into())),
        silence_minutes: Some(0),
        status: Some("broken".into()),
        entity_usci: None,
    };
    let Err(ServiceError::Invalid(errs)) = devices::create(svc, &market, &bad).await else {
        panic!("bad input accepted")
    };
    let mut fields: Vec<&str> = errs.iter().map(|e| e.field.as_str()).collect();
    fields.sort();
    assert_eq!(
        fields,
        [
            "department_id",
            "entity_id",
            "external_id",
            "kind",
            "location",
            "silence_minutes",
            "status",
            "thresholds"
        ]
    );
    let ext = format!("FR-{}", Uuid::now_v7().simple());
    let id = register(svc, &ext, "temperature=8").await;
    // A second device with the same id is a conflict on that field.
    let again = DeviceInput {
        external_id: ext.clone(),
        kind: "gas_alarm".into(),
        entity_id: Some(entity(svc).await),
        department_id: Some(department(svc, "411121", "县市场监管局").await),
        location: "后厨".into(),
        ..Default::default()
    };
    assert!(matches!(
        devices::create(svc, &market, &again).await,
        Err(ServiceError::Conflict { ref field, .. }) if field == "external_id"
    ));
    // Inspectors read but do not register; another line sees nothing.
    assert!(matches!(
        devices::create(svc, &inspector, &again).await,
        Err(ServiceError::Forbidden)
    ));
    assert!(devices::get(svc, &inspector, id).await.is_ok());
    assert!(matches!(
        devices::get(svc, &health, id).await,
        Err(ServiceError::NotFound)
    ));
    let f = DeviceFilter {
        q: Some(ext[..10].to_string()),
        ..Default::default()
    };
    assert_eq!(
        devices::list(svc, &market, &f, page()).await.unwrap().total,
        1
    );
    assert_eq!(
        devices::list(svc, &health, &f, page()).await.unwrap().total,
        0
    );
    // Retiring keeps the record; the ingest forgets it.
    let mut retire = again.clone();
    retire.external_id = ext.clone();
    retire.kind = "cold_chain_thermometer".into();
    retire.status = Some("retired".into());
    let v = devices::update(svc, &market, id, &retire).await.unwrap();
    assert_eq!(v.status_label, "已停用");
    assert!(
        ingest::accept(
            &svc.iot,
            &format!("x/devices/{ext}/readings"),
            b"{\"metric\":\"t\",\"value\":1}",
            Utc::now()
        )
        .is_err()
    );
    assert_eq!(svc.iot.stats().bad.get("unknown_device"), Some(&1));
}

async fn messages_through_mosquitto_are_stored_aggregated_and_counted(env: Env) {
    let svc = &env.svc;
    let run = Uuid::now_v7().simple().to_string();
    let prefix = format!("ljtest/{run}");
    let ext = format!("FR-{run}");
    let id = register(svc, &ext, "temperature=8").await;
    let recorder = Arc::new(Recorder::default());
    let mut consumer = mqtt::start(
        svc.clone(),
        config(&prefix, &format!("lj-c-{run}")),
        recorder.clone(),
    )
    .await
    .unwrap();
    assert!(consumer.subscribed(Duration::from_secs(10)).await);
    let topic = format!("{prefix}/devices/{ext}/readings");
    let now = Utc::now();
    let t0 = lianjian_domain::iot::minute_of(now) - chrono::Duration::minutes(40);
    let at = |m: i64, s: i64| {
        (t0 + chrono::Duration::minutes(m) + chrono::Duration::seconds(s)).to_rfc3339()
    };
    let p = Publisher::new().await;
    // 1. Minute 0: 7.0 and 7.5 (two readings in one message); minutes 1..=31: 9.0 rising to
    //    10.5 at minute 20, sent newest first from minute 31 down (out of order); minute 32
    //    back to 7.9.
    p.send(&topic, format!(r#"{{"id":"m-0","readings":[{{"metric":"temperature","value":7.0,"at":"{}"}},{{"metric":"temperature","value":7.5,"at":"{}"}}]}}"#, at(0, 0), at(0, 30))).await;
    for m in (1..=31).rev() {
        let v = if m == 20 { 10.5 } else { 9.0 };
        p.send(
            &topic,
            format!(
                r#"{{"id":"m-{m}","metric":"temperature","value":{v},"at":"{}"}}"#,
                at(m, 0)
            ),
        )
        .await;
    }
    p.send(
        &topic,
        format!(
            r#"{{"id":"m-32","readings":[{{"metric":"temperature","value":7.9,"at":"{}"}}]}}"#,
            at(32, 0)
        ),
    )
    .await;
    // 2. Platform style, with milliseconds.
    let ms = (t0 + chrono::Duration::minutes(33)).timestamp_millis();
    p.send(
        &topic,
        format!(r#"{{"params":{{"humidity":{{"value":55,"time":{ms}}}}}}}"#),
    )
    .await;
    // 3. Duplicates: a message resent whole (same id), and a reading repeated without an id.
    p.send(
        &topic,
        format!(
            r#"{{"id":"m-0","readings":[{{"metric":"temperature","value":7.0,"at":"{}"}}]}}"#,
            at(0, 0)
        ),
    )
    .await;
    p.send(
        &topic,
        format!(
            r#"{{"metric":"temperature","value":9.0,"at":"{}"}}"#,
            at(5, 0)
        ),
    )
    .await;
    // 4. Late (two days ago) is accepted; bad ones are refused with their reason.
    let late = (now - chrono::Duration::days(2)).to_rfc3339();
    p.send(
        &topic,
        format!(r#"{{"metric":"temperature","value":4.0,"at":"{late}"}}"#),
    )
    .await;
    let future = (now + chrono::Duration::hours(1)).to_rfc3339();
    p.send(
        &topic,
        format!(r#"{{"metric":"temperature","value":4.0,"at":"{future}"}}"#),
    )
    .await;
    p.send(&topic, "not json at all").await;
    p.send(&topic, r#"{"metric":"Temp!","value":1}"#).await;
    p.send(&topic, r#"{"metric":"temperature","value":"NaN"}"#)
        .await;
    p.send(&topic, vec![b' '; 70_000]).await;
    p.send(
        &format!("{prefix}/devices/NOPE-{run}/readings"),
        r#"{"metric":"t","value":1}"#,
    )
    .await;
    p.finish().await;
    let total = 1 + 31 + 1 + 1 + 2 + 1 + 6;
    wait_for(&format!("every message: {total}"), async || {
        let s = svc.iot.stats();
        if s.messages < total {
            eprintln!("{} messages: {:?}", s.messages, s.bad);
        }
        s.messages >= total
    })
    .await;
    let s = svc.iot.stats();
    assert_eq!(s.messages, total);
    for (reason, n) in [
        ("from_future", 1),
        ("not_json", 1),
        ("bad_metric", 1),
        ("not_finite", 1),
        ("too_large", 1),
        ("unknown_device", 1),
    ] {
        assert_eq!(s.bad.get(reason), Some(&n), "{reason}: {:?}", s.bad);
    }
    assert_eq!(s.samples.len(), 6);
    // 2 + 31 + 1 + 1 + 1 late = 36 readings; the resent message and the repeated reading
    // are duplicates.
    assert_eq!(s.readings, 36, "{s:?}");
    assert_eq!(
        s.duplicates, 2,
        "the resent message (dropped whole) and the repeated reading"
    );
    let (stored, minutes) = lianjian_store::iot::counts(svc.store.conn(), id)
        .await
        .unwrap();
    assert_eq!(stored, 36);
    assert_eq!(
        minutes,
        33 + 1 + 1,
        "minutes 0–32, humidity's, the late one's"
    );
    let detail = devices::get(svc, &actor(svc, "wy.market").await, id)
        .await
        .unwrap();
    let m0 = detail
        .minutes
        .iter()
        .find(|m| m.minute == t0 && m.metric == "temperature")
        .unwrap();
    assert_eq!(
        (m0.min, m0.max, m0.count, m0.last, m0.sum),
        (7.0, 7.5, 2, 7.5, 14.5)
    );
    // One exceedance: minutes 1–31, peak 10.5, ended by the 7.9 at minute 32, although its
    // readings arrived newest first.
    assert_eq!(detail.exceedances.len(), 1, "{:?}", detail.exceedances);
    let x = &detail.exceedances[0];
    assert_eq!(x.threshold, 8.0);
    assert_eq!(x.started_at, t0 + chrono::Duration::minutes(1));
    assert_eq!(x.last_at, t0 + chrono::Duration::minutes(31));
    assert_eq!(x.ended_at, Some(t0 + chrono::Duration::minutes(32)));
    assert_eq!((x.peak, x.count), (10.5, 31));
    // The observer heard every new reading once, in per-device time order within a batch.
    assert_eq!(recorder.seen.lock().unwrap().len(), 36);
    // Silence: quiet for longer than its 10 minutes, reported with its last-seen time;
    // persisted for a restart.
    ingest::persist_last_seen(svc).await.unwrap();
    let later = Utc::now() + chrono::Duration::minutes(11);
    assert_eq!(
        ingest::check_silence(svc, recorder.as_ref(), later)
            .await
            .unwrap(),
        1
    );
    assert_eq!(recorder.silent.lock().unwrap()[0].0, id);
    let fresh = Services::new(svc.store.clone(), Default::default());
    ingest::load(&fresh).await.unwrap();
    assert_eq!(fresh.iot.silent_devices(later).len(), 1);
    assert!(fresh.iot.silent_devices(Utc::now()).is_empty());
    // Retention: raw readings older than a day go; aggregates and exceedances stay.
    let mut limits = svc.iot.limits();
    limits.max_age = chrono::Duration::days(1);
    svc.iot.set_limits(limits);
    assert_eq!(ingest::purge(svc, Utc::now()).await.unwrap(), 1);
    let (stored, minutes) = lianjian_store::iot::counts(svc.store.conn(), id)
        .await
        .unwrap();
    assert_eq!((stored, minutes), (35, 35));
    consumer.stop().await;
}

async fn a_killed_consumer_loses_nothing_across_a_restart(env: Env) {
    let svc = &env.svc;
    let run = Uuid::now_v7().simple().to_string();
    let prefix = format!("ljtest/{run}");
    let client = format!("lj-c-{run}");
    let ext = format!("GW-{run}");
    let id = register(svc, &ext, "").await;
    let topic = format!("{prefix}/devices/{ext}/readings");
    let mut first = mqtt::start(
        svc.clone(),
        config(&prefix, &client),
        Arc::new(lianjian_services::iot::NoObserver),
    )
    .await
    .unwrap();
    assert!(first.subscribed(Duration::from_secs(10)).await);
    let t0 = Utc::now() - chrono::Duration::minutes(30);
    let msg = |i: i64| {
        format!(
            r#"{{"id":"k-{i}","metric":"temperature","value":{i},"at":"{}"}}"#,
            (t0 + chrono::Duration::seconds(i)).to_rfc3339()
        )
    };
    let p = Publisher::new().await;
    for i in 0..200 {
        p.send(&topic, msg(i)).await;
    }
    // Mid-stream: some are written, some not yet acknowledged.
    wait_for("some readings", async || svc.iot.stats().readings > 0).await;
    first.kill();
    for i in 200..400 {
        p.send(&topic, msg(i)).await;
    }
    p.finish().await;
    // A new process: new memory, the same client id.
    let restarted = Services::new(svc.store.clone(), Default::default());
    let mut second = mqtt::start(
        restarted.clone(),
        config(&prefix, &client),
        Arc::new(lianjian_services::iot::NoObserver),
    )
    .await
    .unwrap();
    assert!(second.subscribed(Duration::from_secs(10)).await);
    wait_for("all 400 readings", async || {
        lianjian_store::iot::counts(svc.store.conn(), id)
            .await
            .unwrap()
            .0
            == 400
    })
    .await;
    // The restarted consumer got at least what was published while nobody listened.
    assert!(
        restarted.iot.stats().messages >= 200,
        "{:?}",
        restarted.iot.stats()
    );
    // Nothing more arrives: redeliveries were dropped as duplicates, not stored twice.
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(
        lianjian_store::iot::counts(svc.store.conn(), id)
            .await
            .unwrap()
            .0,
        400
    );
    second.stop().await;
}

/// A Mosquitto of the test's own (the machine's is shared by every test and must not be
/// restarted): its own port, and persistence in a temporary folder so that a restart keeps
/// the persistent sessions and their queued messages, as docs/iot.md asks of a deployment.
struct OwnBroker {
    dir: tempfile::TempDir,
    port: u16,
    child: Option<std::process::Child>,
}

impl OwnBroker {
    fn start() -> Self {
        let dir = tempfile::tempdir().unwrap();
        // Mosquitto started as root drops to its own user, which must be able to write there.
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o777)).unwrap();
        }
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let conf = dir.path().join("mosquitto.conf");
        std::fs::write(
            &conf,
            format!(
                "listener {port} 127.0.0.1\nallow_anonymous true\npersistence true\npersistence_location {}/\nmax_queued_messages 100000\nmax_inflight_messages 100\n",
                dir.path().display()
            ),
        )
        .unwrap();
        let mut b = Self {
            dir,
            port,
            child: None,
        };
        b.run();
        b
    }

    fn run(&mut self) {
        let child = std::process::Command::new(mosquitto())
            .arg("-c")
            .arg(self.dir.path().join("mosquitto.conf"))
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("start mosquitto (Debian package mosquitto; .ci/run installs it)");
        self.child = Some(child);
        for _ in 0..100 {
            if std::net::TcpStream::connect(("127.0.0.1", self.port)).is_ok() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!("mosquitto did not listen on {}", self.port);
    }

    /// Stops it as an operator would (SIGTERM: Mosquitto writes its persistence file), then
    /// starts it again on the same port and folder.
    fn restart(&mut self) {
        self.stop();
        self.run();
    }

    fn stop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = std::process::Command::new("kill")
                .args(["-TERM", &c.id().to_string()])
                .status();
            let _ = c.wait();
        }
    }

    fn url(&self) -> String {
        format!("mqtt://127.0.0.1:{}", self.port)
    }
}

impl Drop for OwnBroker {
    fn drop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

fn mosquitto() -> &'static str {
    ["/usr/sbin/mosquitto", "/usr/bin/mosquitto"]
        .into_iter()
        .find(|p| std::path::Path::new(p).exists())
        .unwrap_or("mosquitto")
}

/// Issue 16's "nothing lost across a restart of the broker": readings queued for the server's
/// persistent session while it was down survive the broker's restart, and a running consumer
/// reconnects and resubscribes by itself after the broker comes back.
async fn a_broker_restart_loses_nothing(env: Env) {
    let svc = &env.svc;
    let mut broker = OwnBroker::start();
    let run = Uuid::now_v7().simple().to_string();
    let prefix = format!("ljtest/{run}");
    let client = format!("lj-c-{run}");
    let ext = format!("BR-{run}");
    let id = register(svc, &ext, "").await;
    let topic = format!("{prefix}/devices/{ext}/readings");
    let (url, port) = (broker.url(), broker.port);
    let cfg = || {
        let mut c = config(&prefix, &client);
        c.url = url.clone();
        c
    };
    let t0 = Utc::now() - chrono::Duration::minutes(30);
    let msg = |i: i64| {
        format!(
            r#"{{"id":"b-{i}","metric":"temperature","value":{i},"at":"{}"}}"#,
            (t0 + chrono::Duration::seconds(i)).to_rfc3339()
        )
    };
    let stored = async || {
        lianjian_store::iot::counts(svc.store.conn(), id)
            .await
            .unwrap()
            .0
    };
    let publish = async |port: u16, from: i64, to: i64| {
        let p = Publisher::on(port).await;
        for i in from..to {
            p.send(&topic, msg(i)).await;
        }
        p.finish().await;
    };

    // The consumer subscribes once (so the broker knows its session), then is stopped.
    let mut first = mqtt::start(
        svc.clone(),
        cfg(),
        Arc::new(lianjian_services::iot::NoObserver),
    )
    .await
    .unwrap();
    assert!(first.subscribed(Duration::from_secs(10)).await);
    publish(port, 0, 100).await;
    wait_for("the first 100", async || stored().await == 100).await;
    first.stop().await;
    // While the server is down, 100 more are queued for its session; then the broker restarts.
    publish(port, 100, 200).await;
    broker.restart();
    let mut second = mqtt::start(
        Services::new(svc.store.clone(), Default::default()),
        cfg(),
        Arc::new(lianjian_services::iot::NoObserver),
    )
    .await
    .unwrap();
    assert!(second.subscribed(Duration::from_secs(10)).await);
    wait_for("the 100 queued across the broker's restart", async || {
        stored().await == 200
    })
    .await;
    // The broker restarts under a running consumer, which reconnects and goes on.
    broker.restart();
    publish(port, 200, 300).await;
    for _ in 0..4 {
        if stored().await == 300 {
            break;
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
    wait_for("the 100 sent after the second restart", async || {
        stored().await == 300
    })
    .await;
    second.stop().await;
    broker.stop();
}

async fn devices_round_trip_through_xlsx_and_bad_rows_are_named(env: Env) {
    use lianjian_services::exchange::devices as sheet;
    let svc = &env.svc;
    let market = actor(svc, "wy.market").await;
    let health = actor(svc, "wy.health").await;
    let usci = lianjian_store::entities::get(svc.store.conn(), entity(svc).await)
        .await
        .unwrap()
        .unwrap()
        .usci;
    let row = |id: &str, kind: &str, usci: &str, dept: &str, silence: &str| -> Vec<String> {
        vec![
            id.into(),
            kind.into(),
            usci.into(),
            dept.into(),
            String::new(),
            "冷库一号库门内侧".into(),
            "temperature=8".into(),
            silence.into(),
            String::new(),
        ]
    };
    let rows = vec![
        row("XL-DEV-0001", "冷链温度计", &usci, "县市场监管局", "30"),
        row("XL-DEV-0002", "测温枪", &usci, "县市场监管局", "30"),
        row(
            "XL-DEV-0003",
            "燃气报警器",
            "91411121MA00000000",
            "县市场监管局",
            "x",
        ),
        row("XL-DEV-0004", "燃气报警器", &usci, "县不存在局", "30"),
        row("XL-DEV-0001", "冷链温度计", &usci, "县市场监管局", "30"),
    ];
    let file = sheet::sheet_of(&rows);
    let o = sheet::import(svc, &market, &file, false, &|_| {})
        .await
        .unwrap();
    let named: Vec<(u32, &str)> = o
        .errors
        .iter()
        .map(|e| (e.row, e.column.as_str()))
        .collect();
    assert!(named.contains(&(3, "设备类型")), "{named:?}");
    assert!(named.contains(&(4, "统一社会信用代码")), "{named:?}");
    assert!(named.contains(&(4, "静默分钟数")), "{named:?}");
    assert!(named.contains(&(5, "负责部门")), "{named:?}");
    assert!(named.contains(&(6, "设备编号")), "{named:?}");
    assert!(o.errors.iter().any(|e| e.value == "测温枪"));
    assert_eq!(o.processed(), 0);
    async fn find(
        svc: &Services,
        a: &lianjian_domain::scope::Actor,
        id: &str,
    ) -> Vec<devices::DeviceView> {
        devices::list(
            svc,
            a,
            &DeviceFilter {
                q: Some(id.into()),
                ..Default::default()
            },
            page(),
        )
        .await
        .unwrap()
        .items
    }
    assert!(
        find(svc, &market, "XL-DEV-").await.is_empty(),
        "nothing half-written"
    );
    // Two good rows: created, in one transaction, audited like the form.
    let good = sheet::sheet_of(&[
        row("XL-DEV-0001", "冷链温度计", &usci, "县市场监管局", "30"),
        row("XL-DEV-0002", "燃气报警器", &usci, "县市场监管局", ""),
    ]);
    let o = sheet::import(svc, &market, &good, false, &|_| {})
        .await
        .unwrap();
    assert_eq!(
        (o.report.inserted, o.report.updated, o.errors.len()),
        (2, 0, 0)
    );
    let got = find(svc, &market, "XL-DEV-").await;
    assert_eq!(got.len(), 2);
    assert_eq!(
        got[1].silence_minutes, 60,
        "an empty cell takes the default"
    );
    // The export of what the list shows imports back unchanged; an edited row updates.
    let f = DeviceFilter {
        q: Some("XL-DEV-".into()),
        ..Default::default()
    };
    let x = sheet::export(svc, &market, &f).await.unwrap();
    let o = sheet::import(svc, &market, &x, false, &|_| {})
        .await
        .unwrap();
    assert_eq!(
        (o.report.inserted, o.report.updated, o.report.unchanged),
        (0, 0, 2),
        "{:?}",
        o.errors
    );
    let edited = sheet::sheet_of(&[row(
        "XL-DEV-0001",
        "冷链温度计",
        &usci,
        "县市场监管局",
        "45",
    )]);
    let o = sheet::import(svc, &market, &edited, false, &|_| {})
        .await
        .unwrap();
    assert_eq!(o.report.updated, 1);
    assert_eq!(
        find(svc, &market, "XL-DEV-0001").await[0].silence_minutes,
        45
    );
    // Another line's administrator cannot take the market bureau's device over by its id.
    let o = sheet::import(svc, &health, &edited, false, &|_| {})
        .await
        .unwrap();
    assert!(
        o.errors.iter().any(|e| e.code == "registered_elsewhere"),
        "{:?}",
        o.errors
    );
    // The template reads back empty; an inspector may not import.
    let o = sheet::import(svc, &market, &sheet::template(), false, &|_| {})
        .await
        .unwrap();
    assert_eq!((o.processed(), o.errors.len()), (0, 0));
    let zhang = actor(svc, "wy.zhang").await;
    assert!(matches!(
        sheet::import(svc, &zhang, &good, false, &|_| {}).await,
        Err(ServiceError::Forbidden)
    ));
}
