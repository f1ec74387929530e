//! Messages: producing (each flowing kind's records from its feed, see [`super::records`];
//! audit checkpoints; control messages of the catalogue; receipts), receiving (signature, share and scope checked, applied
//! once by message id and in order per entity, refused ones logged and dead-lettered), retrying
//! dead letters and verifying the message log. Every message sent or received is a row of the
//! hash-chained message log, written in the transaction that produces or applies it.

use chrono::Utc;
use lianjian_domain::evidence::PublicKey;
use lianjian_domain::lifecycle::Lifecycle;
use lianjian_domain::scope::Actor;
use lianjian_domain::sharing::{
    Body, DataKind, LogEvent, LogRow, LogTamper, Refusal, SCHEMA, ShareStatus, Wire, mask,
    verify_log,
};
use lianjian_store::changes::{self, DirectoryChange, FeedEntry};
use lianjian_store::sharing::{self as repo, DeadLetter, Share, SharedRecord};
use lianjian_store::{Conn, audit as audit_repo};
use serde_json::json;
use uuid::Uuid;

use super::records::{self, Feed};
use super::{Side, config, ensure, may_manage, move_status, set_approval};
use crate::trail::{Record, record};
use crate::{Result, ServiceError, Services};

/// Kinds of control messages (not data): the catalogue's changes and receipts.
pub const KIND_SHARE: &str = "share";
pub const KIND_RECEIPT: &str = "receipt";

/// Rows of the change feed read per transaction by the directory producer.
const FEED_BATCH: u64 = 500;

/// Signs a message to `receiver` and appends it to the log as sent (to be published by the
/// link; see [`super::link`]). Call inside a [`lianjian_store::Store::begin`] transaction.
#[allow(clippy::too_many_arguments)]
pub(crate) async fn send(
    tx: &impl Conn,
    svc: &Services,
    share_id: Uuid,
    kind: &str,
    receiver: &str,
    entity: String,
    entity_seq: i64,
    region_code: String,
    payload: serde_json::Value,
) -> Result<LogRow> {
    let cfg = config(svc)?;
    let key = svc.evidence.signing_key()?;
    let body = Body {
        schema: SCHEMA.into(),
        id: Uuid::now_v7(),
        share_id,
        kind: kind.into(),
        sender: cfg.instance.clone(),
        receiver: receiver.into(),
        entity,
        entity_seq,
        region_code,
        sent_at: Utc::now(),
        payload,
    };
    let wire = body.sign(&key);
    let text = String::from_utf8(wire.to_bytes()).expect("JSON is UTF-8");
    Ok(repo::append_log(
        tx,
        LogEvent::Sent.as_str(),
        Some(body.id),
        receiver,
        &text,
        kind,
        false,
    )
    .await?)
}

/// Tells the share's other end of a change to the catalogue made here (`action`: propose,
/// approve, or the new status).
pub(crate) async fn send_control(
    tx: &impl Conn,
    svc: &Services,
    share: &Share,
    action: &str,
    by: &str,
) -> Result<()> {
    let cfg = config(svc)?;
    let other = if share.provider == cfg.instance {
        &share.consumer
    } else {
        &share.provider
    };
    send(
        tx,
        svc,
        share.id,
        KIND_SHARE,
        other,
        share.id.to_string(),
        Utc::now().timestamp_micros(),
        cfg.region.clone(),
        json!({"action": action, "by": by, "share": share}),
    )
    .await?;
    Ok(())
}

/// Sends a record of `share`'s kind to its consumer.
async fn send_record(
    tx: &impl Conn,
    svc: &Services,
    share: &Share,
    entity: String,
    entity_seq: i64,
    region_code: String,
    payload: serde_json::Value,
) -> Result<LogRow> {
    let (kind, to) = (share.kind.as_str(), &share.consumer);
    send(
        tx,
        svc,
        share.id,
        kind,
        to,
        entity,
        entity_seq,
        region_code,
        payload,
    )
    .await
}

/// Produces what the active shares this instance provides call for: the records of every
/// kind that flows, changed since each share's cursor, and the latest audit checkpoint.
/// Returns the messages produced.
pub async fn produce(svc: &Services) -> Result<usize> {
    let cfg = config(svc)?;
    let mut n = 0;
    for kind in DataKind::ALL.iter().copied().filter(|k| k.flows()) {
        for s in repo::active_provided(svc.store.conn(), &cfg.instance, kind).await? {
            n += match Feed::of(kind) {
                Some(feed) => produce_feed(svc, &s, feed).await?,
                None => produce_checkpoint(svc, &s).await?,
            };
        }
    }
    Ok(n)
}

/// Reads up to a batch of `feed` after `after`: the position of its last row (none when there
/// is nothing new) and the objects changed, each once at its latest position, in feed order.
async fn read_feed(
    tx: &impl Conn,
    feed: Feed,
    share: &Share,
    after: i64,
) -> Result<(Option<i64>, Vec<(i64, Uuid)>)> {
    let mut rows = Vec::new();
    let last = match feed {
        Feed::Directory => {
            let feed_rows = changes::read_after(tx, after, FEED_BATCH).await?;
            for row in &feed_rows {
                match &row.entry {
                    FeedEntry::Change(DirectoryChange::Entity(id)) => rows.push((row.seq, *id)),
                    // Shared records carry no tags.
                    FeedEntry::Change(DirectoryChange::TagCode(_)) => {}
                    FeedEntry::Pruned { through } => {
                        tracing::warn!(share = %share.id, through, "the change feed was pruned past this share's cursor: entities changed in between are sent on their next change");
                    }
                }
            }
            feed_rows.last().map(|r| r.seq)
        }
        Feed::Audit(object_type) => {
            let entries = audit_repo::objects_after(tx, object_type, after, FEED_BATCH).await?;
            rows.extend(
                entries
                    .iter()
                    .filter_map(|(seq, id)| Some((*seq, Uuid::parse_str(id).ok()?))),
            );
            entries.last().map(|(seq, _)| *seq)
        }
    };
    let mut latest = std::collections::HashMap::new();
    for (seq, id) in rows {
        latest.insert(id, seq);
    }
    let mut changed: Vec<(i64, Uuid)> = latest.into_iter().map(|(id, seq)| (seq, id)).collect();
    changed.sort_unstable();
    Ok((last, changed))
}

/// The records of a share's kind changed since its cursor (see [`records`] for each kind's
/// feed and content): each changed record's current content, masked by the share's
/// confidentiality, with its position in the feed as the record's order. Records outside the
/// share's regions or departments are not sent; a record gone is sent as a deletion.
async fn produce_feed(svc: &Services, share: &Share, feed: Feed) -> Result<usize> {
    let cursor_name = feed.cursor(share.id);
    let today = lianjian_domain::visit::beijing_date(svc.now());
    let mut n = 0;
    loop {
        let tx = svc.store.begin().await?;
        let cursor = repo::cursor(&tx, &cursor_name).await?;
        let (last, changed) = read_feed(&tx, feed, share, cursor).await?;
        let Some(last) = last else {
            return Ok(n);
        };
        for (seq, id) in changed {
            for out in records::current(&tx, share, id, today).await? {
                if !out.in_scope(share) {
                    continue;
                }
                let payload = mask(share.confidentiality, share.kind, out.payload);
                let region = out.region.unwrap_or_default();
                send_record(&tx, svc, share, out.entity, seq, region, payload).await?;
                n += 1;
            }
        }
        repo::set_cursor(&tx, &cursor_name, last).await?;
        tx.commit().await?;
    }
}

/// The audit log's latest signed checkpoint (审计检查点), when it has grown since the last one
/// sent: the upper level then holds each lower level's signed heads and `lianjian audit verify
/// --since` with that copy catches a rewritten history (docs/audit-log.md).
async fn produce_checkpoint(svc: &Services, share: &Share) -> Result<usize> {
    let cfg = config(svc)?;
    let cursor_name = format!("cp:{}", share.id);
    let tx = svc.store.begin().await?;
    let Some(cp) = audit_repo::latest_checkpoint(&tx).await? else {
        return Ok(0);
    };
    let size = i64::try_from(cp.size).unwrap_or(i64::MAX);
    if size <= repo::cursor(&tx, &cursor_name).await? {
        return Ok(0);
    }
    let payload = serde_json::to_value(&cp)
        .map_err(|e| ServiceError::internal(lianjian_store::StoreError::Corrupt(e.to_string())))?;
    send_record(
        &tx,
        svc,
        share,
        cp.origin.clone(),
        size,
        cfg.region.clone(),
        payload,
    )
    .await?;
    repo::set_cursor(&tx, &cursor_name, size).await?;
    tx.commit().await?;
    Ok(1)
}

/// What became of a received message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Applied (a data message stored, a catalogue change made, a receipt logged).
    Applied,
    /// Its id was received before: nothing applied again.
    Duplicate,
    /// An older version of an entity than the one held: logged, not applied.
    Stale,
    Refused(Refusal),
}

impl Outcome {
    pub fn code(&self) -> &'static str {
        match self {
            Outcome::Applied => "applied",
            Outcome::Duplicate => "duplicate",
            Outcome::Stale => "stale",
            Outcome::Refused(r) => r.code(),
        }
    }
}

/// The actor recorded in the audit log for catalogue changes another instance made.
fn peer_actor(peer: &str) -> Actor {
    let mut a = crate::cli_actor();
    a.username = format!("sharing:{peer}");
    a.display_name = format!("共享对端 {peer}");
    a
}

/// Receives one message from the link, published by instance `from` (the stream it came from).
/// One transaction: the log row, the effect and the inbox row commit together, so a message
/// redelivered after a crash is found in the inbox and not applied twice. The caller
/// acknowledges the message to JetStream only after this returns.
pub async fn receive(svc: &Services, from: &str, bytes: &[u8]) -> Result<Outcome> {
    let tx = svc.store.begin().await?;
    let out = receive_in(&tx, svc, from, bytes, None).await?;
    tx.commit().await?;
    count(svc, &out);
    Ok(out)
}

fn count(svc: &Services, out: &Outcome) {
    use std::sync::atomic::Ordering::Relaxed;
    let c = &svc.sharing.counters;
    c.received.fetch_add(1, Relaxed);
    match out {
        Outcome::Applied => c.applied.fetch_add(1, Relaxed),
        Outcome::Duplicate | Outcome::Stale => c.duplicates.fetch_add(1, Relaxed),
        Outcome::Refused(_) => c.refused.fetch_add(1, Relaxed),
    };
}

/// Checks a message and returns its body if it may be applied.
fn check(
    svc: &Services,
    from: &str,
    bytes: &[u8],
) -> Result<std::result::Result<(Wire, Body, PublicKey), (Refusal, Option<Body>)>> {
    let cfg = config(svc)?;
    let (wire, body) = match Wire::parse(bytes) {
        Ok(x) => x,
        Err(r) => return Ok(Err((r, None))),
    };
    // A message on one instance's subject names that instance as sender: its permissions
    // allow it to publish only there, so a body claiming another sender is forged.
    let Some(peer) = cfg.peer(&body.sender).filter(|_| body.sender == from) else {
        return Ok(Err((Refusal::UnknownSender(body.sender.clone()), None)));
    };
    if !wire.verify(&peer.public_key) {
        return Ok(Err((Refusal::BadSignature, None)));
    }
    if body.receiver != cfg.instance {
        let r = Refusal::WrongReceiver(body.receiver.clone());
        return Ok(Err((r, Some(body))));
    }
    Ok(Ok((wire, body, peer.public_key)))
}

async fn receive_in(
    tx: &impl Conn,
    svc: &Services,
    from: &str,
    bytes: &[u8],
    dead_letter: Option<Uuid>,
) -> Result<Outcome> {
    let text = String::from_utf8_lossy(
        &bytes[..bytes.len().min(lianjian_domain::sharing::MAX_MESSAGE_BYTES)],
    )
    .into_owned();
    let (wire, body, peer_key) = match check(svc, from, bytes)? {
        Ok(x) => x,
        Err((r, body)) => return refuse(tx, svc, from, &text, r, body, dead_letter).await,
    };
    if let Some(prev) = repo::inbox_outcome(tx, body.id).await? {
        repo::append_log(
            tx,
            LogEvent::Duplicate.as_str(),
            Some(body.id),
            from,
            &wire_text(&wire),
            &format!("first: {prev}"),
            true,
        )
        .await?;
        return Ok(Outcome::Duplicate);
    }
    let lag = (Utc::now() - body.sent_at).num_milliseconds();
    let out = match body.kind.as_str() {
        KIND_RECEIPT => {
            let of = body
                .payload
                .get("message_id")
                .and_then(|v| v.as_str())
                .and_then(|s| Uuid::parse_str(s).ok());
            let outcome = body
                .payload
                .get("outcome")
                .and_then(|v| v.as_str())
                .unwrap_or("")
                .chars()
                .take(64)
                .collect::<String>();
            repo::append_log(
                tx,
                LogEvent::Receipt.as_str(),
                of,
                from,
                &wire_text(&wire),
                &outcome,
                true,
            )
            .await?;
            repo::inbox_insert(tx, body.id, from, body.share_id, "applied").await?;
            return Ok(Outcome::Applied);
        }
        KIND_SHARE => apply_control(tx, svc, &body).await?,
        _ => apply_data(tx, svc, &body, &peer_key).await?,
    };
    if let Outcome::Refused(r) = out {
        return refuse(tx, svc, from, &text, r, Some(body), dead_letter).await;
    }
    let event = if out == Outcome::Stale {
        LogEvent::Stale
    } else {
        LogEvent::Received
    };
    let row = repo::append_log(
        tx,
        event.as_str(),
        Some(body.id),
        from,
        &wire_text(&wire),
        &body.kind,
        true,
    )
    .await?;
    repo::inbox_insert(tx, body.id, from, body.share_id, out.code()).await?;
    receipt(tx, svc, &body, out.code(), &row.hash).await?;
    if let Some(id) = dead_letter {
        repo::update_dead_letter(tx, id, "retried", out.code(), "重试成功").await?;
    }
    svc.sharing.note_lag(lag);
    Ok(out)
}

fn wire_text(w: &Wire) -> String {
    String::from_utf8(w.to_bytes()).expect("JSON is UTF-8")
}

/// The receipt (回执) for a message from an authenticated sender: its id, the outcome and the
/// hash of the receiver's log row, signed, so the sender's log holds proof of delivery.
async fn receipt(
    tx: &impl Conn,
    svc: &Services,
    body: &Body,
    outcome: &str,
    log_hash: &str,
) -> Result<()> {
    send(
        tx,
        svc,
        body.share_id,
        KIND_RECEIPT,
        &body.sender,
        body.id.to_string(),
        0,
        config(svc)?.region.clone(),
        json!({"message_id": body.id, "outcome": outcome, "log_hash": log_hash}),
    )
    .await?;
    Ok(())
}

/// Logs a refused message and lists it as a dead letter (or updates the dead letter being
/// retried). An authenticated sender gets a receipt saying why.
async fn refuse(
    tx: &impl Conn,
    svc: &Services,
    from: &str,
    text: &str,
    r: Refusal,
    body: Option<Body>,
    dead_letter: Option<Uuid>,
) -> Result<Outcome> {
    let reason = r.to_string();
    let id = body.as_ref().map(|b| b.id);
    let row = repo::append_log(
        tx,
        LogEvent::Refused.as_str(),
        id,
        from,
        text,
        &format!("{}: {reason}", r.code()),
        true,
    )
    .await?;
    match dead_letter {
        Some(d) => repo::update_dead_letter(tx, d, "open", r.code(), &reason).await?,
        None => {
            repo::insert_dead_letter(
                tx,
                &DeadLetter {
                    id: Uuid::now_v7(),
                    peer: from.chars().take(32).collect(),
                    message_id: id,
                    reason_code: r.code().into(),
                    reason,
                    wire: text.into(),
                    status: "open".into(),
                    attempts: 0,
                    received_at: lianjian_domain::audit::audit_time(Utc::now()),
                    retried_at: None,
                },
            )
            .await?
        }
    }
    if let Some(b) = body.filter(|b| b.kind != KIND_RECEIPT) {
        receipt(tx, svc, &b, r.code(), &row.hash).await?;
    }
    Ok(Outcome::Refused(r))
}

/// A data message: the share must exist here, be active (both ends approved), carry this
/// kind from this sender to this instance, and the data's region must be in its scope. Then
/// the entity's record is replaced unless the one held is newer.
async fn apply_data(
    tx: &impl Conn,
    svc: &Services,
    body: &Body,
    peer_key: &PublicKey,
) -> Result<Outcome> {
    let Some(share) = repo::get_share(tx, body.share_id).await? else {
        return Ok(Outcome::Refused(Refusal::UnknownShare(body.share_id)));
    };
    if !share.flows() {
        return Ok(Outcome::Refused(Refusal::ShareNotActive(share.id)));
    }
    let cfg = config(svc)?;
    if share.kind.as_str() != body.kind
        || share.provider != body.sender
        || share.consumer != cfg.instance
        || !share.kind.flows()
    {
        return Ok(Outcome::Refused(Refusal::KindMismatch(
            body.kind.chars().take(32).collect(),
        )));
    }
    let held = repo::get_record(tx, &body.sender, &body.kind, &body.entity).await?;
    let region = if body.region_code.is_empty() {
        // A deletion: in scope if the record held is.
        match &held {
            Some(h) => h.region_code.clone(),
            None => return Ok(Outcome::Stale),
        }
    } else {
        body.region_code.clone()
    };
    if !share.covers_region(&region) || region.len() > 12 {
        return Ok(Outcome::Refused(Refusal::OutOfScope(
            region.chars().take(12).collect(),
        )));
    }
    if share.kind == DataKind::AuditCheckpoints {
        // The checkpoint must be signed by the sending instance's own key.
        let ok = serde_json::from_value::<lianjian_domain::audit::SignedAuditCheckpoint>(
            body.payload.clone(),
        )
        .map(|cp| cp.signature_valid() && cp.public_key == *peer_key)
        .unwrap_or(false);
        if !ok {
            return Ok(Outcome::Refused(Refusal::BadSignature));
        }
    }
    if held.is_some_and(|h| h.entity_seq >= body.entity_seq) {
        return Ok(Outcome::Stale);
    }
    repo::put_record(
        tx,
        &SharedRecord {
            sender: body.sender.clone(),
            kind: body.kind.clone(),
            entity: body.entity.chars().take(128).collect(),
            entity_seq: body.entity_seq,
            region_code: region,
            payload: body.payload.clone(),
            message_id: body.id,
            updated_at: lianjian_domain::audit::audit_time(Utc::now()),
            status: records::status_of(&body.payload),
        },
    )
    .await?;
    Ok(Outcome::Applied)
}

/// A catalogue change made at the other end: a proposal is stored, an approval recorded (both
/// approvals make the share active), a status followed. Audited as done by the peer.
async fn apply_control(tx: &impl Conn, svc: &Services, body: &Body) -> Result<Outcome> {
    let cfg = config(svc)?;
    let action = body
        .payload
        .get("action")
        .and_then(|v| v.as_str())
        .unwrap_or("");
    let by: String = body
        .payload
        .get("by")
        .and_then(|v| v.as_str())
        .unwrap_or("")
        .chars()
        .take(48)
        .collect();
    let proposed: Share = match body
        .payload
        .get("share")
        .cloned()
        .map(serde_json::from_value)
    {
        Some(Ok(s)) => s,
        _ => return Ok(Outcome::Refused(Refusal::Malformed("share".into()))),
    };
    let sender_side = if proposed.provider == body.sender && proposed.consumer == cfg.instance {
        Side::Provider
    } else if proposed.consumer == body.sender && proposed.provider == cfg.instance {
        Side::Consumer
    } else {
        return Ok(Outcome::Refused(Refusal::UnknownShare(proposed.id)));
    };
    if proposed.id != body.share_id {
        return Ok(Outcome::Refused(Refusal::Malformed("share id".into())));
    }
    let held = repo::get_share(tx, proposed.id).await?;
    let before = held.clone();
    let mut s = match held {
        Some(s) => s,
        // Only the provider proposes; an approval arriving first carries the definition too.
        None if sender_side == Side::Provider => Share {
            status: ShareStatus::Proposed,
            provider_approved_by: None,
            provider_approved_at: None,
            consumer_approved_by: None,
            consumer_approved_at: None,
            ..proposed
        },
        None => return Ok(Outcome::Refused(Refusal::UnknownShare(proposed.id))),
    };
    match action {
        "propose" => {}
        "approve" if s.status == ShareStatus::Proposed => {
            set_approval(&mut s, sender_side, &format!("{}:{by}", body.sender));
        }
        "approve" => return Ok(Outcome::Stale),
        other => match ShareStatus::parse(other) {
            Ok(to) if s.status.can_move_to(to) => move_status(&mut s, to)?,
            Ok(_) => return Ok(Outcome::Stale),
            Err(_) => {
                return Ok(Outcome::Refused(Refusal::Malformed(format!(
                    "action {}",
                    other.chars().take(20).collect::<String>()
                ))));
            }
        },
    }
    repo::put_share(tx, &s).await?;
    let mut rec = Record::new("sharing.share.remote", "share", s.id).after(&s);
    if let Some(b) = &before {
        rec = rec.before(b);
    }
    record(tx, &peer_actor(&body.sender), rec).await?;
    Ok(Outcome::Applied)
}

/// Retries a dead letter (e.g. one refused for an unknown share, once the share is approved):
/// applied, it is marked retried; refused again, it stays open with the new reason.
pub async fn retry(svc: &Services, actor: &Actor, id: Uuid) -> Result<Outcome> {
    ensure(may_manage(actor))?;
    config(svc)?;
    let tx = svc.store.begin().await?;
    let d = repo::get_dead_letter(&tx, id)
        .await?
        .ok_or(ServiceError::NotFound)?;
    if d.status != "open" {
        return Err(ServiceError::conflict(
            "status",
            "该死信已处理",
            "this dead letter is not open",
        ));
    }
    let out = receive_in(&tx, svc, &d.peer, d.wire.as_bytes(), Some(d.id)).await?;
    record(
        &tx,
        actor,
        Record::new("sharing.dead_letter.retry", "sharing_dead_letter", id)
            .after(&json!({"outcome": out.code()})),
    )
    .await?;
    tx.commit().await?;
    count(svc, &out);
    Ok(out)
}

/// The public keys messages are checked with: every configured peer's and this instance's own.
pub fn keys(svc: &Services) -> Result<Vec<(String, PublicKey)>> {
    let cfg = config(svc)?;
    let mut k: Vec<(String, PublicKey)> = cfg
        .peers
        .iter()
        .map(|p| (p.id.clone(), p.public_key))
        .collect();
    if let Some(own) = svc.evidence.existing_public_key()? {
        k.push((cfg.instance.clone(), own));
    }
    Ok(k)
}

/// Recomputes this instance's message log: every hash, link and message signature.
pub async fn verify(svc: &Services) -> Result<std::result::Result<u64, LogTamper>> {
    let keys = keys(svc)?;
    let find = |id: &str| keys.iter().find(|(k, _)| k == id).map(|(_, p)| *p);
    let snap = svc.store.begin_snapshot().await?;
    let rows = all_rows(&snap).await?;
    snap.commit().await?;
    Ok(verify_log(rows, &find))
}

/// Every row of the message log, in order (the CLI's export and [`verify`]).
pub async fn all_rows(c: &impl Conn) -> Result<Vec<LogRow>> {
    let mut out = Vec::new();
    let mut after = 0;
    loop {
        let rows = repo::log_after(c, after, 5_000).await?;
        let Some(last) = rows.last() else {
            return Ok(out);
        };
        after = last.seq;
        out.extend(rows);
    }
}

/// The latest audit checkpoint received from `sender` (for `lianjian audit verify --since`
/// against that instance's database).
pub async fn received_checkpoint(
    svc: &Services,
    sender: &str,
) -> Result<Option<lianjian_domain::audit::SignedAuditCheckpoint>> {
    let rows = repo::list_records(
        svc.store.conn(),
        DataKind::AuditCheckpoints.as_str(),
        None,
        lianjian_store::PageRequest::new(Some(1), Some(200)),
    )
    .await?;
    Ok(rows
        .items
        .into_iter()
        .filter(|r| r.sender == sender)
        .max_by_key(|r| r.entity_seq)
        .and_then(|r| serde_json::from_value(r.payload).ok()))
}
