//! The IoT ingest feeding the warnings (issue 16 items 1–3 together), on both backends: a
//! cold-chain thermometer publishing through the machine's Mosquitto above 8 ℃ for more than 30
//! minutes raises one warning of the demo's rule YJ-LL-01, pushed to the market bureau; the
//! excursion going on folds into it instead of raising another; a device silent for longer
//! than the silence rule's 60 minutes raises the offline warning.

use std::time::Duration;

use chrono::Utc;
use lianjian_domain::warning::Level;
use lianjian_services::Services;
use lianjian_services::iot::devices::{self, DeviceInput};
use lianjian_services::iot::ingest;
use lianjian_services::iot::mqtt::{self, MqttConfig};
use lianjian_services::iot::warnings::DeviceWarnings;
use lianjian_services::warnings::{self, WarningFilter, WarningQueue, WarningView};
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
    readings_over_mqtt_raise_fold_and_report_silence,
);

async fn device_warnings(svc: &Services, device: Uuid) -> Vec<WarningView> {
    let a = actor(svc, "wy.office").await;
    let mut all = warnings::list(
        svc,
        &a,
        WarningQueue::All,
        &WarningFilter::default(),
        page(),
    )
    .await
    .unwrap()
    .items;
    all.retain(|w| w.device_id == Some(device));
    all
}

async fn readings_over_mqtt_raise_fold_and_report_silence(env: Env) {
    let svc = &env.svc;
    let run = Uuid::now_v7().simple().to_string();
    let ext = format!("LL-{run}");
    let market = actor(svc, "wy.market").await;
    let market_dept = department(svc, "411121", "县市场监管局").await;
    let code = lianjian_domain::region::RegionCode::parse("411121").unwrap();
    let entity = lianjian_store::entities::scan(svc.store.conn(), Some(&code), None, 1)
        .await
        .unwrap()[0]
        .id;
    let device = devices::create(
        svc,
        &market,
        &DeviceInput {
            external_id: ext.clone(),
            kind: "冷链温度计".into(),
            entity_id: Some(entity),
            department_id: Some(market_dept),
            location: "2 号冷藏库".into(),
            thresholds: None,
            silence_minutes: Some(10),
            status: None,
            entity_usci: None,
        },
    )
    .await
    .unwrap()
    .id;

    let observer = DeviceWarnings::new(svc.clone()).await.unwrap();
    let prefix = format!("ljtest/{run}");
    let mut cfg = MqttConfig::new("mqtt://127.0.0.1:1883", format!("lj-w-{run}"));
    cfg.topic = format!("{prefix}/devices/+/readings");
    cfg.batch_ms = 20;
    let mut consumer = mqtt::start(svc.clone(), cfg, observer.clone())
        .await
        .unwrap();
    assert!(consumer.subscribed(Duration::from_secs(10)).await);

    let mut o = MqttOptions::new(format!("lj-wp-{run}"), "127.0.0.1", 1883);
    o.set_keep_alive(Duration::from_secs(30));
    let (client, mut el) = AsyncClient::new(o, 1000);
    let pump = tokio::spawn(async move { while el.poll().await.is_ok() {} });
    let topic = format!("{prefix}/devices/{ext}/readings");
    // 100 minutes ago: 7.5 ℃, then 9.0 ℃ every minute for 40 minutes, in order.
    let t0 = Utc::now() - chrono::Duration::minutes(100);
    let send = |m: i64, v: f64| {
        let at = (t0 + chrono::Duration::minutes(m)).to_rfc3339();
        format!(r#"{{"id":"w-{m}","metric":"temperature","value":{v},"at":"{at}"}}"#)
    };
    client
        .publish(&topic, QoS::AtLeastOnce, false, send(0, 7.5))
        .await
        .unwrap();
    for m in 1..=40 {
        client
            .publish(&topic, QoS::AtLeastOnce, false, send(m, 9.0))
            .await
            .unwrap();
    }
    let mut raised = Vec::new();
    for _ in 0..200 {
        raised = device_warnings(svc, device).await;
        if raised
            .iter()
            .any(|w| w.last_at >= t0 + chrono::Duration::minutes(40))
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(
        raised.len(),
        1,
        "one warning for one excursion: {raised:#?}"
    );
    let w = &raised[0];
    assert_eq!(w.rule_code, "YJ-LL-01");
    assert_eq!(w.entity_id, entity);
    assert!(
        matches!(w.level, Level::Yellow | Level::Orange),
        "{:?}",
        w.level
    );
    assert!(w.summary.contains("温度"), "{}", w.summary);
    assert!(
        w.departments.iter().any(|d| d.id == market_dept),
        "pushed to the market bureau: {:?}",
        w.departments
    );

    // Two hours on, nothing more heard: silent for longer than the offline rule's 60 minutes
    // (YJ-LX-01), which raises its own warning.
    let later = Utc::now() + chrono::Duration::minutes(130);
    assert_eq!(
        ingest::check_silence(svc, observer.as_ref(), later)
            .await
            .unwrap(),
        1
    );
    let after = device_warnings(svc, device).await;
    assert!(
        after.iter().any(|w| w.rule_code == "YJ-LX-01"),
        "{after:#?}"
    );
    assert_eq!(
        after.iter().filter(|w| w.rule_code == "YJ-LL-01").count(),
        1
    );

    let _ = client.disconnect().await;
    pump.abort();
    consumer.stop().await;
}
