//! `lianjian demo` needs no outside broker (issue 16 item 3): the real binary embeds one, its
//! simulated devices raise live warnings through the ingest and the warning rules, and a
//! reading published by anyone else to the embedded broker is taken too.

use std::time::{Duration, Instant};

use crate::common;
use rumqttc::{AsyncClient, MqttOptions, QoS};
use serde_json::Value;

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// The device warnings (rule code → occurrences) the office sees.
async fn device_warnings(base: &str, token: &str) -> Vec<(String, i64)> {
    let client = reqwest::Client::new();
    let mut out = Vec::new();
    for page in 1..=5 {
        let v: Value = client
            .get(format!("{base}/api/v1/warnings?per_page=100&page={page}"))
            .bearer_auth(token)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let items = v["items"].as_array().cloned().unwrap_or_default();
        for w in &items {
            if !w["device_id"].is_null() {
                out.push((
                    w["rule_code"].as_str().unwrap().to_string(),
                    w["occurrences"].as_i64().unwrap(),
                ));
            }
        }
        if items.len() < 100 {
            break;
        }
    }
    out
}

#[tokio::test]
async fn the_demo_embeds_a_broker_whose_simulated_devices_raise_warnings() {
    let dir = common::temp_dir("demo-devices");
    let data = dir.to_str().unwrap();
    let port = free_port();
    let app = common::start(&[
        "demo",
        "--listen",
        "127.0.0.1:0",
        "--data-dir",
        data,
        "--mqtt-listen",
        &format!("127.0.0.1:{port}"),
    ]);
    let (code, out, err) = common::run(
        &[
            "user",
            "token",
            "--database-url",
            &format!("sqlite://{data}/demo.db"),
            "--name",
            "demo-devices",
            "wy.office",
        ],
        &[],
    );
    assert_eq!(code, 0, "{err}");
    let token = out.trim().lines().last().unwrap().to_string();

    // The simulator's opening: 34 minutes above 8 ℃ at the cold store, a rat in the kitchen,
    // a gas alarm — each a warning of its rule, raised from the device.
    let want = ["YJ-LL-01", "YJ-MCLZ-01", "YJ-RQ-01"];
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut seen = Vec::new();
    while Instant::now() < deadline {
        seen = device_warnings(&app.base, &token).await;
        if want.iter().all(|c| seen.iter().any(|(r, _)| r == c)) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    for c in want {
        assert!(seen.iter().any(|(r, _)| r == c), "{c} not raised: {seen:?}");
    }
    // 10.4 ℃ is above the yellow rule's 8 ℃ and below the orange rule's 12 ℃: graded rules
    // keep their margin over the device's own threshold.
    assert!(
        !seen.iter().any(|(r, _)| r == "YJ-LL-02"),
        "orange raised at 10 ℃: {seen:?}"
    );

    // Anyone may publish to the embedded broker: a second gas alarm folds into the open one.
    let gas = |seen: &[(String, i64)]| {
        seen.iter()
            .find(|(r, _)| r == "YJ-RQ-01")
            .map(|(_, n)| *n)
            .unwrap()
    };
    let before = gas(&seen);
    let (client, mut el) = AsyncClient::new(MqttOptions::new("demo-test", "127.0.0.1", port), 10);
    let pump = tokio::spawn(async move { while el.poll().await.is_ok() {} });
    client
        .publish(
            "lianjian/v1/devices/WY-GA-001/readings",
            QoS::AtLeastOnce,
            false,
            r#"{"metric":"gas_alarm","value":1}"#,
        )
        .await
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    while Instant::now() < deadline && gas(&device_warnings(&app.base, &token).await) == before {
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    assert!(gas(&device_warnings(&app.base, &token).await) > before);
    pump.abort();
    drop(app);
    let _ = std::fs::remove_dir_all(&dir);
}
