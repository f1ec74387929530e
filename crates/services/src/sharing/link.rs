//! The NATS JetStream link. Each instance publishes only to its own stream `sharing-<id>`
//! (subjects `lianjian.sharing.<id>.<receiver>`) and reads, through one durable pull consumer
//! `to-<id>` per peer, only the subjects addressed to it in the peers' streams; its NATS user's
//! permissions ([`server_config`]) allow exactly that, so a compromised instance can neither
//! publish as another nor read another's traffic.
//!
//! Delivery: a message is written to the message log (unpublished) in the transaction that
//! produces it, then published with `Nats-Msg-Id` = its id (JetStream drops a re-publish within
//! the duplicate window) and marked published on JetStream's ack; what was not acknowledged is
//! published again on the next round, so nothing is lost while NATS is down. The receiver
//! applies in one transaction with the inbox row and acknowledges after the commit: a message
//! redelivered after a crash is found in the inbox and not applied twice.

use std::path::Path;
use std::time::Duration;

use async_nats::jetstream::{self, consumer::pull, stream};
use async_nats::{HeaderMap, header::NATS_MESSAGE_ID};
use futures_util::StreamExt;
use lianjian_store::sharing as repo;

use super::{SharingConfig, config, flow};
use crate::{Result, ServiceError, Services};

/// The stream an instance publishes to.
pub fn stream_name(instance: &str) -> String {
    format!("sharing-{instance}")
}

/// The subject of messages from `sender` to `receiver`.
pub fn subject(sender: &str, receiver: &str) -> String {
    format!("lianjian.sharing.{sender}.{receiver}")
}

/// The durable consumer through which `receiver` reads a peer's stream.
pub fn consumer_name(receiver: &str) -> String {
    format!("to-{receiver}")
}

/// Messages published per round before their acks are awaited.
const PUBLISH_WINDOW: u64 = 512;
/// How long JetStream waits for an ack before redelivering (a killed receiver's messages come
/// back this soon).
const ACK_WAIT: Duration = Duration::from_secs(5);

/// A running link; dropping it stops its tasks (as a killed process would: nothing is
/// flushed, which the delivery rules above make harmless).
pub struct Link {
    tasks: Vec<tokio::task::JoinHandle<()>>,
}

impl Drop for Link {
    fn drop(&mut self) {
        for t in &self.tasks {
            t.abort();
        }
    }
}

fn nats_error(what: &str, e: impl std::fmt::Display) -> ServiceError {
    ServiceError::internal(lianjian_store::StoreError::Config(format!(
        "nats: {what}: {e}"
    )))
}

/// Connects as this instance's user. The connection retries in the background when the server
/// is down (the link keeps its backlog in the message log meanwhile).
pub async fn connect(cfg: &SharingConfig) -> Result<async_nats::Client> {
    let mut o = async_nats::ConnectOptions::new()
        .name(format!("lianjian-{}", cfg.instance))
        // Replies only under this instance's own prefix: its permissions allow no other.
        .custom_inbox_prefix(format!("_INBOX_{}", cfg.instance))
        .retry_on_initial_connect()
        .connection_timeout(Duration::from_secs(5))
        .request_timeout(Some(Duration::from_secs(5)));
    if let (Some(u), Some(p)) = (&cfg.nats_user, &cfg.nats_password) {
        o = o.user_and_password(u.clone(), p.clone());
    }
    o.connect(cfg.nats_url.as_str())
        .await
        .map_err(|e| nats_error("connect", e))
}

/// Starts the link: a publisher (producers, then the unacknowledged backlog) and a consumer
/// per peer.
pub async fn start(svc: Services) -> Result<Link> {
    let cfg = config(&svc)?.clone();
    let client = connect(&cfg).await?;
    let js = jetstream::new(client);
    let mut tasks = vec![tokio::spawn(publisher(svc.clone(), js.clone()))];
    for p in &cfg.peers {
        tasks.push(tokio::spawn(consumer(
            svc.clone(),
            js.clone(),
            p.id.clone(),
        )));
    }
    Ok(Link { tasks })
}

async fn ensure_stream(js: &jetstream::Context, instance: &str) -> Result<()> {
    js.get_or_create_stream(stream::Config {
        name: stream_name(instance),
        subjects: vec![format!("lianjian.sharing.{instance}.>")],
        storage: stream::StorageType::File,
        duplicate_window: Duration::from_secs(120),
        // The message logs are the record; the stream only has to outlast an outage.
        max_age: Duration::from_secs(30 * 24 * 3600),
        ..Default::default()
    })
    .await
    .map_err(|e| nats_error("stream", e))?;
    Ok(())
}

async fn publisher(svc: Services, js: jetstream::Context) {
    let poll = Duration::from_millis(config(&svc).map(|c| c.poll_ms).unwrap_or(200));
    let mut stream_ready = false;
    loop {
        if let Err(e) = flow::produce(&svc).await {
            tracing::warn!(error = %e, "sharing: producing messages failed");
        }
        if !stream_ready {
            match ensure_stream(&js, &config(&svc).expect("configured").instance).await {
                Ok(()) => stream_ready = true,
                Err(e) => tracing::warn!(error = %e, "sharing: cannot create the stream yet"),
            }
        }
        let more = if stream_ready {
            match publish_pending(&svc, &js).await {
                Ok(n) => n as u64 == PUBLISH_WINDOW,
                Err(e) => {
                    tracing::warn!(error = %e, "sharing: publishing failed; retrying");
                    false
                }
            }
        } else {
            false
        };
        if !more {
            tokio::time::sleep(poll).await;
        }
    }
}

/// Publishes up to [`PUBLISH_WINDOW`] unacknowledged messages and marks those JetStream
/// acknowledged. Returns how many were acknowledged.
pub async fn publish_pending(svc: &Services, js: &jetstream::Context) -> Result<usize> {
    let me = config(svc)?.instance.clone();
    let rows = repo::unpublished(svc.store.conn(), PUBLISH_WINDOW).await?;
    let mut acks = Vec::with_capacity(rows.len());
    for r in &rows {
        let mut h = HeaderMap::new();
        if let Some(id) = r.message_id {
            h.insert(NATS_MESSAGE_ID, id.to_string().as_str());
        }
        match js
            .publish_with_headers(subject(&me, &r.peer), h, r.wire.clone().into_bytes().into())
            .await
        {
            Ok(ack) => acks.push((r.seq, ack)),
            Err(e) => {
                tracing::warn!(error = %e, "sharing: publish failed");
                break;
            }
        }
    }
    let mut done = Vec::with_capacity(acks.len());
    for (seq, ack) in acks {
        match ack.await {
            Ok(_) => done.push(seq),
            Err(e) => {
                tracing::warn!(error = %e, seq, "sharing: no ack from JetStream");
                break;
            }
        }
    }
    if !done.is_empty() {
        let tx = svc.store.begin().await?;
        repo::mark_published(&tx, &done).await?;
        tx.commit().await?;
        svc.sharing
            .counters
            .published
            .fetch_add(done.len() as u64, std::sync::atomic::Ordering::Relaxed);
    }
    Ok(done.len())
}

async fn consumer(svc: Services, js: jetstream::Context, peer: String) {
    let me = config(&svc).expect("configured").instance.clone();
    loop {
        let c = js
            .create_consumer_on_stream(
                pull::Config {
                    durable_name: Some(consumer_name(&me)),
                    filter_subject: subject(&peer, &me),
                    ack_wait: ACK_WAIT,
                    max_ack_pending: 4096,
                    ..Default::default()
                },
                stream_name(&peer),
            )
            .await;
        let c = match c {
            Ok(c) => c,
            Err(e) => {
                // The peer's stream does not exist until the peer first runs, or NATS is down.
                tracing::debug!(error = %e, peer, "sharing: consumer not ready");
                tokio::time::sleep(Duration::from_secs(1)).await;
                continue;
            }
        };
        loop {
            let batch = c
                .batch()
                .max_messages(256)
                .expires(Duration::from_millis(500))
                .messages()
                .await;
            let mut batch = match batch {
                Ok(b) => b,
                Err(e) => {
                    tracing::debug!(error = %e, peer, "sharing: fetch failed");
                    tokio::time::sleep(Duration::from_millis(500)).await;
                    break;
                }
            };
            let mut failed = false;
            while let Some(m) = batch.next().await {
                let m = match m {
                    Ok(m) => m,
                    Err(e) => {
                        tracing::debug!(error = %e, peer, "sharing: message error");
                        failed = true;
                        break;
                    }
                };
                match flow::receive(&svc, &peer, &m.payload).await {
                    Ok(_) => {
                        if let Err(e) = m.ack().await {
                            tracing::debug!(error = %e, "sharing: ack failed (redelivery is harmless)");
                        }
                    }
                    Err(e) => {
                        // Not acknowledged: JetStream redelivers it after ACK_WAIT.
                        tracing::warn!(error = %e, peer, "sharing: applying a message failed");
                        failed = true;
                        break;
                    }
                }
            }
            if failed {
                tokio::time::sleep(Duration::from_millis(500)).await;
                break;
            }
        }
    }
}

/// One instance's NATS account entry for [`server_config`].
#[derive(Debug, Clone)]
pub struct NatsUser {
    pub instance: String,
    pub password: String,
}

/// A nats-server configuration with JetStream and one user per instance, each allowed to
/// publish only to its own subjects and stream, to read only what is addressed to it, and to
/// receive replies only under its own inbox prefix (`lianjian sharing nats-config`, the demo
/// topology and the tests).
pub fn server_config(port: u16, store_dir: &Path, users: &[NatsUser]) -> String {
    let users: Vec<String> = users
        .iter()
        .map(|u| {
            let i = &u.instance;
            format!(
                r#"      {{ user: "{i}", password: "{pw}", permissions: {{
          publish: {{ allow: [
            "lianjian.sharing.{i}.>",
            "$JS.API.INFO",
            "$JS.API.STREAM.INFO.sharing-{i}",
            "$JS.API.STREAM.CREATE.sharing-{i}",
            "$JS.API.STREAM.UPDATE.sharing-{i}",
            "$JS.API.CONSUMER.CREATE.*.to-{i}.lianjian.sharing.*.{i}",
            "$JS.API.CONSUMER.INFO.*.to-{i}",
            "$JS.API.CONSUMER.MSG.NEXT.*.to-{i}",
            "$JS.ACK.*.to-{i}.>"
          ] }}
          subscribe: {{ allow: ["_INBOX_{i}.>"] }}
        }} }}"#,
                pw = u.password.replace('"', ""),
            )
        })
        .collect();
    format!(
        r#"listen: "127.0.0.1:{port}"
jetstream {{ store_dir: "{dir}" }}
accounts {{
  SHARING {{
    jetstream: enabled
    users: [
{users}
    ]
  }}
}}
"#,
        dir = store_dir.display(),
        users = users.join(",\n"),
    )
}
