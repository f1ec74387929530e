//! Data sharing between instances (信息互通共享, issue 18): the share catalogue, the
//! hash-chained message log, the inbox of applied message ids, the shared records received from
//! other instances, dead letters and producer cursors. See `docs/sharing.md`.
//!
//! The message log is appended only inside a transaction begun with [`crate::Store::begin`],
//! which holds the writers' lock (the audit head row on PostgreSQL, the write lock on SQLite):
//! `seq` is max + 1 and each row hashes the one before it, so appends must not interleave.

use chrono::{DateTime, Utc};
use lianjian_domain::sharing::{
    Confidentiality, DataKind, Direction, Frequency, GENESIS, LogRow, ShareMethod, ShareStatus,
    row_hash,
};
use sea_orm::{ConnectionTrait, QueryResult, Value};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::{Page, PageRequest, Result, StoreError, coded, paged, stmt};

/// A share of the catalogue (共享目录条目).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Share {
    pub id: Uuid,
    pub name: String,
    pub kind: DataKind,
    pub direction: Direction,
    pub provider: String,
    pub consumer: String,
    /// Region-code prefixes in scope; empty: every region.
    pub regions: Vec<String>,
    /// Department ids in scope; empty: every department.
    pub departments: Vec<Uuid>,
    pub method: ShareMethod,
    pub frequency: Frequency,
    pub time_limit_hours: i32,
    pub confidentiality: Confidentiality,
    pub status: ShareStatus,
    pub provider_approved_by: Option<String>,
    pub provider_approved_at: Option<DateTime<Utc>>,
    pub consumer_approved_by: Option<String>,
    pub consumer_approved_at: Option<DateTime<Utc>>,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl Share {
    /// Whether a region is within the share's scope (prefix match: a city's code prefix covers
    /// its counties).
    pub fn covers_region(&self, region: &str) -> bool {
        self.regions.is_empty() || self.regions.iter().any(|p| region.starts_with(p.as_str()))
    }

    pub fn covers_department(&self, dept: Option<Uuid>) -> bool {
        self.departments.is_empty() || dept.is_some_and(|d| self.departments.contains(&d))
    }

    /// Both ends approved and the share is active: only then does anything flow.
    pub fn flows(&self) -> bool {
        self.status == ShareStatus::Active
            && self.provider_approved_at.is_some()
            && self.consumer_approved_at.is_some()
    }
}

const SHARE_COLS: &str = "id, name, kind, direction, provider, consumer, regions, departments, \
    method, frequency, time_limit_hours, confidentiality, status, provider_approved_by, \
    provider_approved_at, consumer_approved_by, consumer_approved_at, created_by, created_at, \
    updated_at";

fn share_of(r: &QueryResult) -> Result<Share> {
    let regions: String = r.try_get("", "regions")?;
    let departments: String = r.try_get("", "departments")?;
    let departments = departments
        .split(',')
        .filter(|s| !s.is_empty())
        .map(|s| Uuid::parse_str(s).map_err(|_| StoreError::Corrupt(format!("departments: {s}"))))
        .collect::<Result<Vec<_>>>()?;
    Ok(Share {
        id: r.try_get("", "id")?,
        name: r.try_get("", "name")?,
        kind: coded(r, "kind", DataKind::parse)?,
        direction: coded(r, "direction", Direction::parse)?,
        provider: r.try_get("", "provider")?,
        consumer: r.try_get("", "consumer")?,
        regions: regions
            .split(',')
            .filter(|s| !s.is_empty())
            .map(String::from)
            .collect(),
        departments,
        method: coded(r, "method", ShareMethod::parse)?,
        frequency: coded(r, "frequency", Frequency::parse)?,
        time_limit_hours: r.try_get("", "time_limit_hours")?,
        confidentiality: coded(r, "confidentiality", Confidentiality::parse)?,
        status: coded(r, "status", ShareStatus::parse)?,
        provider_approved_by: r.try_get("", "provider_approved_by")?,
        provider_approved_at: r.try_get("", "provider_approved_at")?,
        consumer_approved_by: r.try_get("", "consumer_approved_by")?,
        consumer_approved_at: r.try_get("", "consumer_approved_at")?,
        created_by: r.try_get("", "created_by")?,
        created_at: r.try_get("", "created_at")?,
        updated_at: r.try_get("", "updated_at")?,
    })
}

fn share_values(s: &Share) -> Vec<Value> {
    vec![
        s.id.into(),
        s.name.clone().into(),
        s.kind.as_str().into(),
        s.direction.as_str().into(),
        s.provider.clone().into(),
        s.consumer.clone().into(),
        s.regions.join(",").into(),
        s.departments
            .iter()
            .map(|d| d.to_string())
            .collect::<Vec<_>>()
            .join(",")
            .into(),
        s.method.as_str().into(),
        s.frequency.as_str().into(),
        s.time_limit_hours.into(),
        s.confidentiality.as_str().into(),
        s.status.as_str().into(),
        s.provider_approved_by.clone().into(),
        s.provider_approved_at.into(),
        s.consumer_approved_by.clone().into(),
        s.consumer_approved_at.into(),
        s.created_by.clone().into(),
        s.created_at.into(),
        s.updated_at.into(),
    ]
}

/// Inserts a share, or replaces the one with its id (a share arriving from the other end keeps
/// its id on both sides).
pub async fn put_share(c: &impl ConnectionTrait, s: &Share) -> Result<()> {
    c.execute_raw(stmt(
        c,
        "DELETE FROM sharing_shares WHERE id = $1",
        vec![s.id.into()],
    ))
    .await?;
    c.execute_raw(stmt(
        c,
        format!(
            "INSERT INTO sharing_shares ({SHARE_COLS}) VALUES \
             ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16,$17,$18,$19,$20)"
        ),
        share_values(s),
    ))
    .await?;
    Ok(())
}

pub async fn get_share(c: &impl ConnectionTrait, id: Uuid) -> Result<Option<Share>> {
    c.query_one_raw(stmt(
        c,
        format!("SELECT {SHARE_COLS} FROM sharing_shares WHERE id = $1"),
        vec![id.into()],
    ))
    .await?
    .map(|r| share_of(&r))
    .transpose()
}

/// Shares this instance takes part in, newest first.
pub async fn list_shares(c: &impl ConnectionTrait, page: PageRequest) -> Result<Page<Share>> {
    paged(
        c,
        "sharing_shares",
        SHARE_COLS,
        "1 = 1",
        "created_at DESC, id",
        vec![],
        page,
        share_of,
    )
    .await
}

/// Active shares of a kind this instance provides (the producers' work list).
pub async fn active_provided(
    c: &impl ConnectionTrait,
    provider: &str,
    kind: DataKind,
) -> Result<Vec<Share>> {
    let rows = c
        .query_all_raw(stmt(
            c,
            format!(
                "SELECT {SHARE_COLS} FROM sharing_shares WHERE provider = $1 AND kind = $2 \
                 AND status = 'active' ORDER BY id"
            ),
            vec![provider.into(), kind.as_str().into()],
        ))
        .await?;
    rows.iter()
        .map(share_of)
        .filter(|s| s.as_ref().map(|s| s.flows()).unwrap_or(true))
        .collect()
}

/// Appends a row to the message log (inside a [`crate::Store::begin`] transaction).
pub async fn append_log(
    c: &impl ConnectionTrait,
    event: &str,
    message_id: Option<Uuid>,
    peer: &str,
    wire: &str,
    note: &str,
    published: bool,
) -> Result<LogRow> {
    let last = c
        .query_one_raw(stmt(
            c,
            "SELECT seq, hash FROM sharing_log ORDER BY seq DESC LIMIT 1",
            vec![],
        ))
        .await?;
    let (seq, prev_hash) = match last {
        Some(r) => (
            r.try_get::<i64>("", "seq")? + 1,
            r.try_get::<String>("", "hash")?,
        ),
        None => (1, GENESIS.to_string()),
    };
    let at = crate::now();
    let hash = row_hash(seq, event, message_id, peer, wire, note, at, &prev_hash);
    c.execute_raw(stmt(
        c,
        "INSERT INTO sharing_log (seq, event, message_id, peer, wire, note, at, prev_hash, hash, \
         published) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10)",
        vec![
            seq.into(),
            event.into(),
            message_id.into(),
            peer.into(),
            wire.into(),
            note.into(),
            at.into(),
            prev_hash.clone().into(),
            hash.clone().into(),
            published.into(),
        ],
    ))
    .await?;
    Ok(LogRow {
        seq,
        event: event.into(),
        message_id,
        peer: peer.into(),
        wire: wire.into(),
        note: note.into(),
        at,
        prev_hash,
        hash,
    })
}

fn log_row(r: &QueryResult) -> Result<LogRow> {
    Ok(LogRow {
        seq: r.try_get("", "seq")?,
        event: r.try_get("", "event")?,
        message_id: r.try_get("", "message_id")?,
        peer: r.try_get("", "peer")?,
        wire: r.try_get("", "wire")?,
        note: r.try_get("", "note")?,
        at: r.try_get("", "at")?,
        prev_hash: r.try_get("", "prev_hash")?,
        hash: r.try_get("", "hash")?,
    })
}

const LOG_COLS: &str = "seq, event, message_id, peer, wire, note, at, prev_hash, hash";

/// Up to `limit` log rows after `after`, in order (verification reads the log in batches).
pub async fn log_after(c: &impl ConnectionTrait, after: i64, limit: u64) -> Result<Vec<LogRow>> {
    let rows = c
        .query_all_raw(stmt(
            c,
            format!("SELECT {LOG_COLS} FROM sharing_log WHERE seq > $1 ORDER BY seq LIMIT $2"),
            vec![after.into(), (limit as i64).into()],
        ))
        .await?;
    rows.iter().map(log_row).collect()
}

/// One page of the log, newest first, optionally one event only.
pub async fn log_page(
    c: &impl ConnectionTrait,
    event: Option<&str>,
    page: PageRequest,
) -> Result<Page<LogRow>> {
    let (w, vals) = match event {
        Some(e) => ("event = $1", vec![e.into()]),
        None => ("1 = 1", vec![]),
    };
    paged(
        c,
        "sharing_log",
        LOG_COLS,
        w,
        "seq DESC",
        vals,
        page,
        log_row,
    )
    .await
}

/// Every log row about one message (sent or received, its receipt, a duplicate or refusal).
pub async fn log_of_message(c: &impl ConnectionTrait, message_id: Uuid) -> Result<Vec<LogRow>> {
    let rows = c
        .query_all_raw(stmt(
            c,
            format!("SELECT {LOG_COLS} FROM sharing_log WHERE message_id = $1 ORDER BY seq"),
            vec![message_id.into()],
        ))
        .await?;
    rows.iter().map(log_row).collect()
}

/// Sent messages JetStream has not acknowledged yet, oldest first.
pub async fn unpublished(c: &impl ConnectionTrait, limit: u64) -> Result<Vec<LogRow>> {
    let rows = c
        .query_all_raw(stmt(
            c,
            format!(
                "SELECT {LOG_COLS} FROM sharing_log WHERE published = $1 AND event = 'sent' \
                 ORDER BY seq LIMIT $2"
            ),
            vec![false.into(), (limit as i64).into()],
        ))
        .await?;
    rows.iter().map(log_row).collect()
}

pub async fn unpublished_count(c: &impl ConnectionTrait) -> Result<i64> {
    Ok(c.query_one_raw(stmt(
        c,
        "SELECT COUNT(*) AS n FROM sharing_log WHERE published = $1 AND event = 'sent'",
        vec![false.into()],
    ))
    .await?
    .map(|r| r.try_get::<i64>("", "n"))
    .transpose()?
    .unwrap_or(0))
}

/// Marks sent rows as acknowledged by JetStream.
pub async fn mark_published(c: &impl ConnectionTrait, seqs: &[i64]) -> Result<()> {
    for chunk in seqs.chunks(500) {
        let mut vals: Vec<Value> = vec![true.into()];
        vals.extend(chunk.iter().map(|s| Value::from(*s)));
        c.execute_raw(stmt(
            c,
            format!(
                "UPDATE sharing_log SET published = $1 WHERE seq IN ({})",
                crate::placeholders(2, chunk.len())
            ),
            vals,
        ))
        .await?;
    }
    Ok(())
}

/// Counts of log rows by event (operations page, `/metrics`).
pub async fn log_counts(c: &impl ConnectionTrait) -> Result<Vec<(String, i64)>> {
    let rows = c
        .query_all_raw(stmt(
            c,
            "SELECT event, COUNT(*) AS n FROM sharing_log GROUP BY event ORDER BY event",
            vec![],
        ))
        .await?;
    rows.iter()
        .map(|r| Ok((r.try_get("", "event")?, r.try_get("", "n")?)))
        .collect()
}

/// The outcome recorded for a message id already received, if any.
pub async fn inbox_outcome(c: &impl ConnectionTrait, message_id: Uuid) -> Result<Option<String>> {
    c.query_one_raw(stmt(
        c,
        "SELECT outcome FROM sharing_inbox WHERE message_id = $1",
        vec![message_id.into()],
    ))
    .await?
    .map(|r| r.try_get("", "outcome").map_err(Into::into))
    .transpose()
}

pub async fn inbox_insert(
    c: &impl ConnectionTrait,
    message_id: Uuid,
    sender: &str,
    share_id: Uuid,
    outcome: &str,
) -> Result<()> {
    c.execute_raw(stmt(
        c,
        "INSERT INTO sharing_inbox (message_id, sender, share_id, outcome, at) VALUES \
         ($1,$2,$3,$4,$5)",
        vec![
            message_id.into(),
            sender.into(),
            share_id.into(),
            outcome.into(),
            crate::now().into(),
        ],
    ))
    .await?;
    Ok(())
}

/// A shared record as held from another instance.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct SharedRecord {
    pub sender: String,
    pub kind: String,
    pub entity: String,
    pub entity_seq: i64,
    pub region_code: String,
    #[schema(value_type = Object)]
    pub payload: serde_json::Value,
    pub message_id: Uuid,
    pub updated_at: DateTime<Utc>,
}

const RECORD_COLS: &str =
    "sender, kind, entity, entity_seq, region_code, payload, message_id, updated_at";

fn record_of(r: &QueryResult) -> Result<SharedRecord> {
    let payload: String = r.try_get("", "payload")?;
    Ok(SharedRecord {
        sender: r.try_get("", "sender")?,
        kind: r.try_get("", "kind")?,
        entity: r.try_get("", "entity")?,
        entity_seq: r.try_get("", "entity_seq")?,
        region_code: r.try_get("", "region_code")?,
        payload: serde_json::from_str(&payload)
            .map_err(|e| StoreError::Corrupt(format!("sharing_records.payload: {e}")))?,
        message_id: r.try_get("", "message_id")?,
        updated_at: r.try_get("", "updated_at")?,
    })
}

pub async fn get_record(
    c: &impl ConnectionTrait,
    sender: &str,
    kind: &str,
    entity: &str,
) -> Result<Option<SharedRecord>> {
    c.query_one_raw(stmt(
        c,
        format!(
            "SELECT {RECORD_COLS} FROM sharing_records WHERE sender = $1 AND kind = $2 AND \
             entity = $3"
        ),
        vec![sender.into(), kind.into(), entity.into()],
    ))
    .await?
    .map(|r| record_of(&r))
    .transpose()
}

pub async fn put_record(c: &impl ConnectionTrait, r: &SharedRecord) -> Result<()> {
    c.execute_raw(stmt(
        c,
        "DELETE FROM sharing_records WHERE sender = $1 AND kind = $2 AND entity = $3",
        vec![
            r.sender.clone().into(),
            r.kind.clone().into(),
            r.entity.clone().into(),
        ],
    ))
    .await?;
    c.execute_raw(stmt(
        c,
        format!("INSERT INTO sharing_records ({RECORD_COLS}) VALUES ($1,$2,$3,$4,$5,$6,$7,$8)"),
        vec![
            r.sender.clone().into(),
            r.kind.clone().into(),
            r.entity.clone().into(),
            r.entity_seq.into(),
            r.region_code.clone().into(),
            r.payload.to_string().into(),
            r.message_id.into(),
            r.updated_at.into(),
        ],
    ))
    .await?;
    Ok(())
}

/// Shared records of a kind, optionally of one region prefix, by sender and entity.
pub async fn list_records(
    c: &impl ConnectionTrait,
    kind: &str,
    region_prefix: Option<&str>,
    page: PageRequest,
) -> Result<Page<SharedRecord>> {
    let (w, vals) = match region_prefix {
        Some(p) => (
            "kind = $1 AND region_code LIKE $2",
            vec![kind.into(), format!("{p}%").into()],
        ),
        None => ("kind = $1", vec![kind.into()]),
    };
    paged(
        c,
        "sharing_records",
        RECORD_COLS,
        w,
        "sender, entity",
        vals,
        page,
        record_of,
    )
    .await
}

/// A rejected message (死信).
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct DeadLetter {
    pub id: Uuid,
    pub peer: String,
    pub message_id: Option<Uuid>,
    pub reason_code: String,
    pub reason: String,
    pub wire: String,
    /// `open`, `retried` (applied on a retry) or `dropped`.
    pub status: String,
    pub attempts: i32,
    pub received_at: DateTime<Utc>,
    pub retried_at: Option<DateTime<Utc>>,
}

const DEAD_COLS: &str =
    "id, peer, message_id, reason_code, reason, wire, status, attempts, received_at, retried_at";

fn dead_of(r: &QueryResult) -> Result<DeadLetter> {
    Ok(DeadLetter {
        id: r.try_get("", "id")?,
        peer: r.try_get("", "peer")?,
        message_id: r.try_get("", "message_id")?,
        reason_code: r.try_get("", "reason_code")?,
        reason: r.try_get("", "reason")?,
        wire: r.try_get("", "wire")?,
        status: r.try_get("", "status")?,
        attempts: r.try_get("", "attempts")?,
        received_at: r.try_get("", "received_at")?,
        retried_at: r.try_get("", "retried_at")?,
    })
}

pub async fn insert_dead_letter(c: &impl ConnectionTrait, d: &DeadLetter) -> Result<()> {
    c.execute_raw(stmt(
        c,
        format!(
            "INSERT INTO sharing_dead_letters ({DEAD_COLS}) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10)"
        ),
        vec![
            d.id.into(),
            d.peer.clone().into(),
            d.message_id.into(),
            d.reason_code.clone().into(),
            d.reason.clone().into(),
            d.wire.clone().into(),
            d.status.clone().into(),
            d.attempts.into(),
            d.received_at.into(),
            d.retried_at.into(),
        ],
    ))
    .await?;
    Ok(())
}

pub async fn get_dead_letter(c: &impl ConnectionTrait, id: Uuid) -> Result<Option<DeadLetter>> {
    c.query_one_raw(stmt(
        c,
        format!("SELECT {DEAD_COLS} FROM sharing_dead_letters WHERE id = $1"),
        vec![id.into()],
    ))
    .await?
    .map(|r| dead_of(&r))
    .transpose()
}

pub async fn update_dead_letter(
    c: &impl ConnectionTrait,
    id: Uuid,
    status: &str,
    reason_code: &str,
    reason: &str,
) -> Result<()> {
    c.execute_raw(stmt(
        c,
        "UPDATE sharing_dead_letters SET status = $1, reason_code = $2, reason = $3, \
         attempts = attempts + 1, retried_at = $4 WHERE id = $5",
        vec![
            status.into(),
            reason_code.into(),
            reason.into(),
            crate::now().into(),
            id.into(),
        ],
    ))
    .await?;
    Ok(())
}

/// Dead letters, newest first, optionally of one status.
pub async fn list_dead_letters(
    c: &impl ConnectionTrait,
    status: Option<&str>,
    page: PageRequest,
) -> Result<Page<DeadLetter>> {
    let (w, vals) = match status {
        Some(s) => ("status = $1", vec![s.into()]),
        None => ("1 = 1", vec![]),
    };
    paged(
        c,
        "sharing_dead_letters",
        DEAD_COLS,
        w,
        "received_at DESC, id",
        vals,
        page,
        dead_of,
    )
    .await
}

pub async fn cursor(c: &impl ConnectionTrait, name: &str) -> Result<i64> {
    Ok(c.query_one_raw(stmt(
        c,
        "SELECT position FROM sharing_cursors WHERE name = $1",
        vec![name.into()],
    ))
    .await?
    .map(|r| r.try_get::<i64>("", "position"))
    .transpose()?
    .unwrap_or(0))
}

pub async fn set_cursor(c: &impl ConnectionTrait, name: &str, position: i64) -> Result<()> {
    c.execute_raw(stmt(
        c,
        "DELETE FROM sharing_cursors WHERE name = $1",
        vec![name.into()],
    ))
    .await?;
    c.execute_raw(stmt(
        c,
        "INSERT INTO sharing_cursors (name, position) VALUES ($1, $2)",
        vec![name.into(), position.into()],
    ))
    .await?;
    Ok(())
}
