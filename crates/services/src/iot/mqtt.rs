//! The MQTT consumer (docs/iot.md): subscribes with QoS 1 on a persistent session
//! (`clean_session = false`, a fixed client id), so the broker keeps what arrives while the
//! server is down; acknowledges a message only after the batch holding it is committed
//! (rumqttc's manual acks), so a crash between receipt and commit means redelivery, and the
//! ingest drops what was already stored. Refused messages are acknowledged at once (counted
//! and sampled): redelivering them would change nothing.
//!
//! Two tasks: the reader polls the connection and parses; the writer collects a batch (what
//! is waiting, up to `batch_readings` readings, optionally lingering `batch_ms`), writes it in
//! one transaction, tells the observer, then acknowledges it. A minute timer persists last-seen
//! times and checks silence; an hourly one purges raw readings past their retention.

use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use lianjian_domain::Invalid;
use rumqttc::{AsyncClient, Event, MqttOptions, Packet, Publish, QoS, Transport};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use super::ReadingObserver;
use super::ingest::{self, Accepted};
use crate::Services;

/// Where and how to subscribe (`[mqtt]` in the server's configuration).
#[derive(Debug, Clone)]
pub struct MqttConfig {
    /// `mqtt://host:port` or `mqtts://host:port` (TLS through rustls).
    pub url: String,
    pub username: Option<String>,
    pub password: Option<String>,
    /// Fixed per server: the broker keeps the session (and its queued messages) under it.
    pub client_id: String,
    /// e.g. `lianjian/v1/devices/+/readings`.
    pub topic: String,
    /// A PEM file of CA certificates for `mqtts://` (default: the system's roots).
    pub ca_file: Option<std::path::PathBuf>,
    /// Largest batch, in readings.
    pub batch_readings: usize,
    /// How long a batch lingers for more after taking what was waiting (default 0: group
    /// commit, batches grow with the load).
    pub batch_ms: u64,
    /// Messages the broker may have in flight to us unacknowledged (the broker's own limit
    /// applies too: Mosquitto's `max_inflight_messages`, default 20).
    pub inflight: u16,
}

impl MqttConfig {
    /// Defaults for everything but the broker and the client id.
    pub fn new(url: impl Into<String>, client_id: impl Into<String>) -> Self {
        Self {
            url: url.into(),
            username: None,
            password: None,
            client_id: client_id.into(),
            topic: DEFAULT_TOPIC.into(),
            ca_file: None,
            batch_readings: 5_000,
            batch_ms: 0,
            inflight: 1_000,
        }
    }
}

/// The topic pattern of the convention.
pub const DEFAULT_TOPIC: &str = "lianjian/v1/devices/+/readings";

/// A broker URL's parts: TLS or not, host, port.
pub fn parse_url(url: &str) -> Result<(bool, String, u16), Invalid> {
    let bad = || {
        Invalid::new(
            "bad_mqtt_url",
            format!("MQTT 地址“{url}”无效：应为 mqtt://主机:端口 或 mqtts://主机:端口"),
            format!("MQTT URL '{url}' is invalid: use mqtt://host:port or mqtts://host:port"),
        )
    };
    let (tls, rest) = if let Some(r) = url.strip_prefix("mqtts://") {
        (true, r)
    } else if let Some(r) = url.strip_prefix("mqtt://") {
        (false, r)
    } else {
        return Err(bad());
    };
    let rest = rest.trim_end_matches('/');
    let (host, port) = match rest.rsplit_once(':') {
        Some((h, p)) => (h, p.parse::<u16>().map_err(|_| bad())?),
        None => (rest, if tls { 8883 } else { 1883 }),
    };
    if host.is_empty() || host.contains(['/', '@', ' ']) {
        return Err(bad());
    }
    Ok((tls, host.to_string(), port))
}

fn options(cfg: &MqttConfig) -> anyhow_lite::Result<MqttOptions> {
    let (tls, host, port) = parse_url(&cfg.url).map_err(|e| e.en)?;
    let mut o = MqttOptions::new(cfg.client_id.clone(), host, port);
    o.set_clean_session(false)
        .set_manual_acks(true)
        .set_keep_alive(Duration::from_secs(30))
        .set_inflight(cfg.inflight.max(1))
        .set_request_channel_capacity(usize::from(cfg.inflight.max(1)) * 2 + 64)
        // The payload bound is checked by the ingest (a refusal it can count); a packet above
        // rumqttc's own limit would instead drop the connection and come back forever.
        .set_max_packet_size(16 * 1024 * 1024, 64 * 1024);
    if let (Some(u), Some(p)) = (&cfg.username, &cfg.password) {
        o.set_credentials(u.clone(), p.clone());
    }
    if tls {
        o.set_transport(Transport::tls_with_config(
            rumqttc::TlsConfiguration::Rustls(Arc::new(tls_config(cfg.ca_file.as_deref())?)),
        ));
    }
    Ok(o)
}

fn tls_config(ca_file: Option<&std::path::Path>) -> anyhow_lite::Result<rustls::ClientConfig> {
    let mut roots = rustls::RootCertStore::empty();
    match ca_file {
        Some(p) => {
            let pem = std::fs::read(p).map_err(|e| format!("cannot read {}: {e}", p.display()))?;
            for c in rustls_pemfile::certs(&mut pem.as_slice()) {
                let c = c.map_err(|e| format!("{}: {e}", p.display()))?;
                roots.add(c).map_err(|e| format!("{}: {e}", p.display()))?;
            }
        }
        None => {
            for c in rustls_native_certs::load_native_certs().certs {
                let _ = roots.add(c);
            }
        }
    }
    if roots.is_empty() {
        return Err("no CA certificate to verify the broker with".into());
    }
    // ring has no post-quantum key exchange (hence the deprecation); aws-lc, which has, needs
    // cmake and a long C build. Classical TLS 1.2/1.3 is what brokers offer today.
    #[allow(deprecated)]
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    Ok(rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?
        .with_root_certificates(roots)
        .with_no_client_auth())
}

/// Errors as text (the consumer's start-up reports them to the operator).
mod anyhow_lite {
    pub type Result<T> = std::result::Result<T, String>;
}

/// A running consumer.
pub struct Consumer {
    tasks: Vec<JoinHandle<()>>,
    client: AsyncClient,
    subscribed: tokio::sync::watch::Receiver<bool>,
}

impl Consumer {
    /// Waits until the broker confirmed the subscription (at most `timeout`); whether it did.
    pub async fn subscribed(&mut self, timeout: Duration) -> bool {
        tokio::time::timeout(timeout, self.subscribed.wait_for(|s| *s))
            .await
            .is_ok_and(|r| r.is_ok())
    }

    /// Stops at once without flushing or disconnecting, like a killed process: what was not
    /// yet acknowledged stays with the broker.
    pub fn kill(self) {
        for t in &self.tasks {
            t.abort();
        }
    }

    /// Disconnects cleanly (the session stays with the broker: it is persistent).
    pub async fn stop(self) {
        let _ = self.client.disconnect().await;
        tokio::time::sleep(Duration::from_millis(100)).await;
        self.kill();
    }
}

/// Loads the ingest's memory and starts the consumer's tasks.
pub async fn start(
    svc: Services,
    cfg: MqttConfig,
    observer: Arc<dyn ReadingObserver>,
) -> Result<Consumer, String> {
    let opts = options(&cfg)?;
    ingest::load(&svc).await.map_err(|e| e.to_string())?;
    let (client, mut eventloop) = AsyncClient::new(opts, usize::from(cfg.inflight.max(1)) * 2 + 64);
    let (tx, rx) = mpsc::channel::<(Publish, Accepted)>(usize::from(cfg.inflight.max(1)) * 4 + 64);
    let (sub_tx, sub_rx) = tokio::sync::watch::channel(false);
    let reader = {
        let svc = svc.clone();
        let client = client.clone();
        let topic = cfg.topic.clone();
        tokio::spawn(async move {
            loop {
                match eventloop.poll().await {
                    Ok(Event::Incoming(Packet::ConnAck(ack))) => {
                        tracing::info!(session_present = ack.session_present, "mqtt connected");
                        // Subscribing again on a kept session is harmless, and needed when
                        // the broker lost it.
                        if let Err(e) = client.subscribe(topic.clone(), QoS::AtLeastOnce).await {
                            tracing::warn!(error = %e, "mqtt subscribe failed");
                        }
                    }
                    Ok(Event::Incoming(Packet::SubAck(_))) => {
                        let _ = sub_tx.send(true);
                    }
                    Ok(Event::Incoming(Packet::Publish(p))) => {
                        match ingest::accept(&svc.iot, &p.topic, &p.payload, Utc::now()) {
                            Ok(a) => {
                                if tx.send((p, a)).await.is_err() {
                                    return;
                                }
                            }
                            Err(_) => {
                                // Counted and sampled by `accept`; done with.
                                let _ = client.ack(&p).await;
                            }
                        }
                    }
                    Ok(_) => {}
                    Err(e) => {
                        tracing::warn!(error = %e, "mqtt connection lost; reconnecting");
                        tokio::time::sleep(Duration::from_secs(1)).await;
                    }
                }
            }
        })
    };
    let writer = {
        let svc = svc.clone();
        let client = client.clone();
        let observer = observer.clone();
        tokio::spawn(writer(
            svc,
            client,
            observer,
            rx,
            cfg.batch_readings.max(1),
            cfg.batch_ms,
        ))
    };
    let timers = {
        let svc = svc.clone();
        tokio::spawn(async move {
            let mut minute = tokio::time::interval(Duration::from_secs(60));
            minute.tick().await;
            let mut n: u64 = 0;
            loop {
                minute.tick().await;
                n += 1;
                if let Err(e) = ingest::persist_last_seen(&svc).await {
                    tracing::warn!(error = %e, "persisting last-seen times failed");
                }
                if let Err(e) = ingest::check_silence(&svc, observer.as_ref(), svc.now()).await {
                    tracing::warn!(error = %e, "silence check failed");
                }
                if n.is_multiple_of(60) {
                    match ingest::purge(&svc, svc.now()).await {
                        Ok(k) => tracing::info!(readings = k, "raw readings past retention purged"),
                        Err(e) => tracing::warn!(error = %e, "purging raw readings failed"),
                    }
                }
            }
        })
    };
    Ok(Consumer {
        tasks: vec![reader, writer, timers],
        client,
        subscribed: sub_rx,
    })
}

async fn writer(
    svc: Services,
    client: AsyncClient,
    observer: Arc<dyn ReadingObserver>,
    mut rx: mpsc::Receiver<(Publish, Accepted)>,
    max_readings: usize,
    batch_ms: u64,
) {
    while let Some(first) = rx.recv().await {
        // Group commit: take what is already waiting (it piled up during the previous
        // write), then linger up to `batch_ms` for more only if asked to. Under load batches
        // grow by themselves; when idle a message is written at once. A fixed wait would
        // cap throughput at the broker's in-flight window per wait (Mosquitto: 20 messages).
        let mut n = first.1.len();
        let mut batch = vec![first];
        while n < max_readings {
            match rx.try_recv() {
                Ok(m) => {
                    n += m.1.len();
                    batch.push(m);
                }
                Err(_) => break,
            }
        }
        if batch_ms > 0 {
            let deadline = tokio::time::Instant::now() + Duration::from_millis(batch_ms);
            while n < max_readings {
                match tokio::time::timeout_at(deadline, rx.recv()).await {
                    Ok(Some(m)) => {
                        n += m.1.len();
                        batch.push(m);
                    }
                    Ok(None) | Err(_) => break,
                }
            }
        }
        let (pubs, accepted): (Vec<Publish>, Vec<Accepted>) = batch.into_iter().unzip();
        loop {
            match ingest::write_batch(&svc, &accepted, observer.as_ref()).await {
                Ok(_) => break,
                Err(e) => {
                    // Nothing was written; nothing is acknowledged. Retry the same batch.
                    tracing::warn!(error = %e, "iot batch write failed; retrying");
                    svc.iot.count(|s| s.write_failures += 1);
                    tokio::time::sleep(Duration::from_secs(1)).await;
                }
            }
        }
        for p in &pubs {
            if client.ack(p).await.is_err() {
                return;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn urls_parse() {
        assert_eq!(
            super::parse_url("mqtt://127.0.0.1:1883").unwrap(),
            (false, "127.0.0.1".into(), 1883)
        );
        assert_eq!(
            super::parse_url("mqtts://broker.example").unwrap(),
            (true, "broker.example".into(), 8883)
        );
        assert!(super::parse_url("http://x").is_err());
        assert!(super::parse_url("mqtt://x:99999").is_err());
        assert!(super::parse_url("mqtt://:1883").is_err());
    }
}
