//! The demo's devices (issue 16 items 3 and 5): `lianjian demo` needs no outside broker, so it
//! embeds one (rumqttd, MQTT 3.1.1 on `--mqtt-listen`), subscribes to it exactly as `serve`
//! does with `[mqtt]` (persistent session, QoS 1, acknowledged after the commit, every batch
//! through the device warning rules), and runs a simulator that publishes as the demo's four
//! registered devices (`demo::DEMO_DEVICES`) following docs/iot.md's topic and payload
//! convention:
//!
//! - `WY-CC-001`, a cold-store thermometer at the food market: the last 40 minutes replayed as
//!   late readings, above 8 ℃ for the last 34 of them (rule YJ-LL-01, 30 minutes above 8 ℃ →
//!   a yellow warning to the market bureau), then a normal 3–4 ℃ every minute;
//! - `WY-CC-002`, the second thermometer: three readings a quarter of an hour old and nothing
//!   since, so it is silent past its 10 minutes (rule YJ-LX-01);
//! - `WY-KC-001`, the restaurant's kitchen camera: a rat seen (YJ-MCLZ-01, red, joint
//!   assessment by market and health);
//! - `WY-GA-001`, the restaurant's gas alarm: a normal 2–5 %LEL every minute after one alarm
//!   at 35 %LEL (YJ-RQ-01, red, to emergency management).
//!
//! Anyone may publish to the embedded broker too (`mosquitto_pub -p 1884 -t
//! lianjian/v1/devices/WY-CC-001/readings -m '{"metric":"temperature","value":9}'`): it takes
//! any client, as a demo must; a deployment uses its own broker with per-device credentials.

use std::collections::HashMap;
use std::net::{SocketAddr, TcpListener};
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, anyhow};
use chrono::{DateTime, SecondsFormat, Utc};
use rumqttc::{AsyncClient, Event, MqttOptions, QoS};
use serde_json::json;

use lianjian_services::Services;
use lianjian_services::demo::DEMO_DEVICES;
use lianjian_services::iot::mqtt::{self, Consumer, MqttConfig};
use lianjian_services::iot::warnings::DeviceWarnings;

/// The embedded broker's default address.
pub const DEFAULT_LISTEN: &str = "127.0.0.1:1884";

/// The broker, the consumer and the simulator of a running demo.
pub struct DemoDevices {
    /// Where the embedded broker listens.
    pub addr: SocketAddr,
    _consumer: Consumer,
    _simulator: tokio::task::JoinHandle<()>,
}

/// Starts the embedded broker on `listen` (or, when that port is taken, on a free one: two
/// demos side by side still both run), the consumer and the simulator.
pub async fn start(svc: &Services, listen: SocketAddr) -> anyhow::Result<DemoDevices> {
    let addr = free_addr(listen)?;
    start_broker(addr)?;
    // No probe connection first (the broker logs an aborted one as an error): the consumer
    // retries every second until the broker listens, and `subscribed` waits for that.
    let url = format!("mqtt://{addr}");
    let consumer = mqtt::start(
        svc.clone(),
        MqttConfig::new(url.clone(), "lianjian-demo-ingest"),
        DeviceWarnings::new(svc.clone())
            .await
            .map_err(|e| anyhow!("device warnings: {e}"))?,
    )
    .await
    .map_err(|e| anyhow!("MQTT ingest: {e}"))?;
    let mut consumer = consumer;
    if !consumer.subscribed(Duration::from_secs(10)).await {
        return Err(anyhow!(
            "MQTT ingest: no subscription on the embedded broker {url}"
        ));
    }
    let simulator = tokio::spawn(simulate(addr));
    Ok(DemoDevices {
        addr,
        _consumer: consumer,
        _simulator: simulator,
    })
}

/// `listen` if it can be bound now, else a free port on the same interface.
fn free_addr(listen: SocketAddr) -> anyhow::Result<SocketAddr> {
    if listen.port() != 0 && TcpListener::bind(listen).is_ok() {
        return Ok(listen);
    }
    let l = TcpListener::bind(SocketAddr::new(listen.ip(), 0)).with_context(|| {
        format!(
            "no free port for the embedded MQTT broker on {}",
            listen.ip()
        )
    })?;
    Ok(l.local_addr()?)
}

fn start_broker(addr: SocketAddr) -> anyhow::Result<()> {
    let connections = rumqttd::ConnectionSettings {
        connection_timeout_ms: 5_000,
        // docs/iot.md's bound is 64 KiB; the consumer refuses and counts larger ones itself.
        max_payload_size: 1 << 20,
        max_inflight_count: 1_000,
        auth: None,
        external_auth: None,
        dynamic_filters: true,
    };
    let server = rumqttd::ServerSettings {
        name: "demo".into(),
        listen: addr,
        tls: None,
        next_connection_delay_ms: 1,
        connections,
    };
    let config = rumqttd::Config {
        id: 0,
        router: rumqttd::RouterConfig {
            max_connections: 1_000,
            max_outgoing_packet_count: 200,
            max_segment_size: 10 << 20,
            max_segment_count: 10,
            ..Default::default()
        },
        v4: Some(HashMap::from([("demo".to_string(), server)])),
        ..Default::default()
    };
    let mut broker = rumqttd::Broker::new(config);
    std::thread::Builder::new()
        .name("demo-mqtt-broker".into())
        .spawn(move || {
            if let Err(e) = broker.start() {
                tracing::error!(error = %e, "the demo's embedded MQTT broker stopped");
            }
        })
        .context("start the embedded MQTT broker")?;
    Ok(())
}

/// One message of the convention: `{"id", "readings": [{metric, value, at}]}`; the id is the
/// device and the reading time, so a replay after a quick restart of the demo is dropped as a
/// duplicate.
fn message(device: &str, readings: &[(&str, f64, DateTime<Utc>)]) -> (String, Vec<u8>) {
    let first = readings
        .first()
        .map(|r| r.2.timestamp_millis())
        .unwrap_or(0);
    let body = json!({
        "id": format!("{device}-{first}"),
        "readings": readings.iter().map(|(m, v, at)| json!({
            "metric": m,
            "value": v,
            "at": at.to_rfc3339_opts(SecondsFormat::Secs, true),
        })).collect::<Vec<_>>(),
    });
    (
        format!("lianjian/v1/devices/{device}/readings"),
        serde_json::to_vec(&body).expect("json"),
    )
}

/// The scenario's opening messages at `now` (see the module's documentation).
fn opening(now: DateTime<Utc>) -> Vec<(String, Vec<u8>)> {
    let [cold1, cold2, camera, gas] = DEMO_DEVICES;
    let minute = |m: i64| now - chrono::Duration::minutes(m);
    let mut out = Vec::new();
    // Forty minutes of a cold store going warm: 3.6 ℃, then above 8 ℃ from 34 minutes ago.
    let excursion: Vec<(&str, f64, DateTime<Utc>)> = (0..40i32)
        .map(|i| {
            let ago = i64::from(39 - i);
            let t = if ago > 34 {
                3.6 + 0.1 * f64::from(i)
            } else {
                8.6 + 0.05 * f64::from(i)
            };
            ("temperature", (t * 10.0).round() / 10.0, minute(ago))
        })
        .collect();
    out.push(message(cold1, &excursion));
    // The second store's thermometer, last heard a quarter of an hour ago.
    for ago in [15, 14, 13] {
        out.push(message(cold2, &[("temperature", 2.8, minute(ago))]));
    }
    out.push(message(camera, &[("rat", 1.0, minute(1))]));
    out.push(message(
        gas,
        &[("gas_lel", 35.0, minute(1)), ("gas_alarm", 1.0, minute(1))],
    ));
    out
}

/// Publishes the opening, then a normal reading of each live device every minute.
async fn simulate(addr: SocketAddr) {
    let mut opts = MqttOptions::new("lianjian-demo-devices", addr.ip().to_string(), addr.port());
    opts.set_keep_alive(Duration::from_secs(30));
    let (client, mut eventloop) = AsyncClient::new(opts, 256);
    let client = Arc::new(client);
    // The event loop drives the connection (and reconnects); publishing only queues.
    tokio::spawn(async move {
        loop {
            match eventloop.poll().await {
                Ok(Event::Incoming(_)) | Ok(Event::Outgoing(_)) => {}
                Err(e) => {
                    tracing::debug!(error = %e, "demo device simulator: broker connection");
                    tokio::time::sleep(Duration::from_secs(1)).await;
                }
            }
        }
    });
    for (topic, payload) in opening(Utc::now()) {
        if client
            .publish(topic, QoS::AtLeastOnce, false, payload)
            .await
            .is_err()
        {
            return;
        }
    }
    let [cold1, _, _, gas] = DEMO_DEVICES;
    let mut tick = tokio::time::interval(Duration::from_secs(60));
    tick.tick().await;
    let mut n: u32 = 0;
    loop {
        tick.tick().await;
        n = n.wrapping_add(1);
        let now = Utc::now();
        let wobble = f64::from(n % 7) / 10.0;
        for (topic, payload) in [
            message(cold1, &[("temperature", 3.2 + wobble, now)]),
            message(gas, &[("gas_lel", 2.0 + 3.0 * wobble / 0.6, now)]),
        ] {
            if client
                .publish(topic, QoS::AtLeastOnce, false, payload)
                .await
                .is_err()
            {
                return;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_opening_follows_the_convention_and_crosses_8_degrees_for_30_minutes() {
        let now = Utc::now();
        let msgs = opening(now);
        assert_eq!(msgs.len(), 6);
        let (topic, body) = &msgs[0];
        assert_eq!(topic, "lianjian/v1/devices/WY-CC-001/readings");
        let v: serde_json::Value = serde_json::from_slice(body).unwrap();
        let readings = v["readings"].as_array().unwrap();
        let above: Vec<_> = readings
            .iter()
            .filter(|r| r["value"].as_f64().unwrap() > 8.0)
            .collect();
        let first_above = DateTime::parse_from_rfc3339(above[0]["at"].as_str().unwrap()).unwrap();
        assert!(now.signed_duration_since(first_above) >= chrono::Duration::minutes(30));
        assert!(
            readings[..5]
                .iter()
                .all(|r| r["value"].as_f64().unwrap() < 8.0)
        );
        // Every payload parses with the ingest's own parser.
        for (topic, body) in &msgs {
            lianjian_domain::iot::parse_message(body, now, &Default::default())
                .unwrap_or_else(|e| panic!("{topic}: {e:?}"));
        }
    }
}
