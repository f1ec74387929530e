//! IoT sensing (物联网感知监测, issue 16 item 3): the device registry and what the MQTT ingest
//! writes — raw readings (kept for a retention), message ids seen, per-minute aggregates and
//! exceedances. Devices are scoped like the directory: the region of their entity, and the
//! line of their owner department.
//!
//! The ingest writes in batches: every function taking a slice writes it with multi-row
//! statements of at most [`ROWS_PER_STATEMENT`] rows, inside the caller's transaction.

use std::collections::{BTreeMap, HashSet};

use chrono::{DateTime, Utc};
use lianjian_domain::iot::{DeviceKind, DeviceStatus, OpenExceedance};
use lianjian_domain::region::RegionCode;
use lianjian_domain::scope::Scope;
use sea_orm::{ConnectionTrait, QueryResult, Value};
use serde::Serialize;
use uuid::Uuid;

use crate::scope::Shape;
use crate::{Page, PageRequest, Result, StoreError, placeholders, stmt};

const SHAPE: Shape = Shape::department("devices.region_code", "devices.department_id");

/// Rows per multi-row statement: 1,000 rows of 5 values stay far below both databases' limits
/// on bound values (SQLite 32,766, PostgreSQL 65,535).
pub const ROWS_PER_STATEMENT: usize = 1_000;

/// A registered device (设备).
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Device {
    pub id: Uuid,
    pub external_id: String,
    pub kind: DeviceKind,
    pub entity_id: Uuid,
    #[schema(value_type = String)]
    pub region_code: RegionCode,
    pub department_id: Uuid,
    pub location: String,
    pub thresholds: BTreeMap<String, f64>,
    pub silence_minutes: u32,
    pub status: DeviceStatus,
    pub last_seen_at: Option<DateTime<Utc>>,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

const COLS: &str = "id, external_id, kind, entity_id, region_code, department_id, location, \
                    thresholds, silence_minutes, status, last_seen_at, created_by, created_at, updated_at";

fn from_row(r: &QueryResult) -> Result<Device> {
    let region: String = r.try_get("", "region_code")?;
    let thresholds: String = r.try_get("", "thresholds")?;
    let silence: i32 = r.try_get("", "silence_minutes")?;
    Ok(Device {
        id: r.try_get("", "id")?,
        external_id: r.try_get("", "external_id")?,
        kind: crate::coded(r, "kind", DeviceKind::parse)?,
        entity_id: r.try_get("", "entity_id")?,
        region_code: RegionCode::parse(&region)
            .map_err(|e| StoreError::Corrupt(format!("region_code: {}", e.en)))?,
        department_id: r.try_get("", "department_id")?,
        location: r.try_get("", "location")?,
        thresholds: serde_json::from_str(&thresholds)
            .map_err(|e| StoreError::Corrupt(format!("thresholds: {e}")))?,
        silence_minutes: u32::try_from(silence)
            .map_err(|_| StoreError::Corrupt(format!("silence_minutes: {silence}")))?,
        status: crate::coded(r, "status", DeviceStatus::parse)?,
        last_seen_at: r.try_get("", "last_seen_at")?,
        created_by: r.try_get("", "created_by")?,
        created_at: r.try_get("", "created_at")?,
        updated_at: r.try_get("", "updated_at")?,
    })
}

fn values(d: &Device) -> Vec<Value> {
    vec![
        d.id.into(),
        d.external_id.clone().into(),
        d.kind.as_str().into(),
        d.entity_id.into(),
        d.region_code.to_string().into(),
        d.department_id.into(),
        d.location.clone().into(),
        serde_json::to_string(&d.thresholds)
            .unwrap_or_else(|_| "{}".into())
            .into(),
        i32::try_from(d.silence_minutes).unwrap_or(i32::MAX).into(),
        d.status.as_str().into(),
        d.last_seen_at.into(),
        d.created_by.clone().into(),
        d.created_at.into(),
        d.updated_at.into(),
    ]
}

fn conflict_on_external_id(e: sea_orm::DbErr) -> StoreError {
    match StoreError::from(e) {
        StoreError::Conflict(_) => {
            StoreError::Conflict("a device with this device id is already registered".into())
        }
        other => other,
    }
}

pub async fn insert_device(c: &impl ConnectionTrait, d: &Device) -> Result<()> {
    c.execute_raw(stmt(
        c,
        format!(
            "INSERT INTO devices ({COLS}) VALUES ({})",
            placeholders(1, 14)
        ),
        values(d),
    ))
    .await
    .map_err(conflict_on_external_id)?;
    Ok(())
}

/// Writes every column of `d` over its row except `last_seen_at`, which only the ingest
/// writes ([`set_last_seen`]).
pub async fn update_device(c: &impl ConnectionTrait, d: &Device) -> Result<()> {
    let mut v = values(d);
    v.remove(10);
    let r = c
        .execute_raw(stmt(
            c,
            "UPDATE devices SET external_id = $2, kind = $3, entity_id = $4, region_code = $5, \
             department_id = $6, location = $7, thresholds = $8, silence_minutes = $9, \
             status = $10, created_by = $11, created_at = $12, updated_at = $13 WHERE id = $1",
            v,
        ))
        .await
        .map_err(conflict_on_external_id)?;
    if r.rows_affected() == 0 {
        return Err(StoreError::NotFound);
    }
    Ok(())
}

/// One device within `scope`.
pub async fn get_device(
    c: &impl ConnectionTrait,
    scope: &Scope,
    id: Uuid,
) -> Result<Option<Device>> {
    let mut vals: Vec<Value> = vec![id.into()];
    let w = crate::scope::sql(scope, &SHAPE, &mut vals);
    c.query_one_raw(stmt(
        c,
        format!("SELECT {COLS} FROM devices WHERE id = $1 AND {w}"),
        vals,
    ))
    .await?
    .as_ref()
    .map(from_row)
    .transpose()
}

/// A device by its vendor id within `scope`.
pub async fn find_device(
    c: &impl ConnectionTrait,
    scope: &Scope,
    external_id: &str,
) -> Result<Option<Device>> {
    let mut vals: Vec<Value> = vec![external_id.into()];
    let w = crate::scope::sql(scope, &SHAPE, &mut vals);
    c.query_one_raw(stmt(
        c,
        format!("SELECT {COLS} FROM devices WHERE external_id = $1 AND {w}"),
        vals,
    ))
    .await?
    .as_ref()
    .map(from_row)
    .transpose()
}

/// What a device list asks for.
#[derive(Debug, Clone, Default)]
pub struct DeviceQuery {
    /// Part of the device id or the location.
    pub q: Option<String>,
    pub kind: Option<DeviceKind>,
    pub status: Option<DeviceStatus>,
    pub entity_id: Option<Uuid>,
}

/// One page of the devices within `scope`, by device id.
pub async fn list_devices(
    c: &impl ConnectionTrait,
    scope: &Scope,
    q: &DeviceQuery,
    page: PageRequest,
) -> Result<Page<Device>> {
    let mut vals: Vec<Value> = Vec::new();
    let mut w = vec![crate::scope::sql(scope, &SHAPE, &mut vals)];
    if let Some(text) = q.q.as_deref().filter(|t| !t.trim().is_empty()) {
        vals.push(crate::contains_pattern(text.trim()).into());
        let n = vals.len();
        w.push(format!(
            "(external_id LIKE ${n}{e} OR location LIKE ${n}{e})",
            e = crate::LIKE_ESCAPE
        ));
    }
    if let Some(k) = q.kind {
        vals.push(k.as_str().into());
        w.push(format!("kind = ${}", vals.len()));
    }
    if let Some(s) = q.status {
        vals.push(s.as_str().into());
        w.push(format!("status = ${}", vals.len()));
    }
    if let Some(e) = q.entity_id {
        vals.push(e.into());
        w.push(format!("entity_id = ${}", vals.len()));
    }
    crate::paged(
        c,
        "devices",
        COLS,
        &w.join(" AND "),
        "external_id, id",
        vals,
        page,
        from_row,
    )
    .await
}

/// Every device (the ingest's cache, loaded by the server for itself).
pub async fn all_devices(c: &impl ConnectionTrait) -> Result<Vec<Device>> {
    c.query_all_raw(stmt(c, format!("SELECT {COLS} FROM devices"), vec![]))
        .await?
        .iter()
        .map(from_row)
        .collect()
}

/// Persists the ingest's last-seen times (only moves them forward).
pub async fn set_last_seen(c: &impl ConnectionTrait, seen: &[(Uuid, DateTime<Utc>)]) -> Result<()> {
    for (id, at) in seen {
        c.execute_raw(stmt(
            c,
            "UPDATE devices SET last_seen_at = $2 WHERE id = $1 \
             AND (last_seen_at IS NULL OR last_seen_at < $2)",
            vec![(*id).into(), (*at).into()],
        ))
        .await?;
    }
    Ok(())
}

// ---- the ingest's writes ----

/// A reading to store.
#[derive(Debug, Clone, PartialEq)]
pub struct RawReading {
    pub device_id: Uuid,
    pub metric: String,
    pub at: DateTime<Utc>,
    pub value: f64,
    pub received_at: DateTime<Utc>,
}

/// Inserts the message ids not seen before; returns those that were new.
pub async fn insert_messages(
    c: &impl ConnectionTrait,
    msgs: &[(Uuid, String, DateTime<Utc>)],
) -> Result<HashSet<(Uuid, String)>> {
    let mut new = HashSet::new();
    for chunk in msgs.chunks(ROWS_PER_STATEMENT) {
        let mut vals: Vec<Value> = Vec::with_capacity(chunk.len() * 3);
        let mut rows = Vec::with_capacity(chunk.len());
        for (d, m, at) in chunk {
            rows.push(format!("({})", placeholders(vals.len() + 1, 3)));
            vals.extend([(*d).into(), m.clone().into(), (*at).into()]);
        }
        let res = c
            .query_all_raw(stmt(
                c,
                format!(
                    "INSERT INTO device_messages (device_id, msg_id, received_at) VALUES {} \
                     ON CONFLICT (device_id, msg_id) DO NOTHING RETURNING device_id, msg_id",
                    rows.join(",")
                ),
                vals,
            ))
            .await?;
        for r in res {
            new.insert((r.try_get("", "device_id")?, r.try_get("", "msg_id")?));
        }
    }
    Ok(new)
}

/// Inserts the readings not stored before (same device, metric and time); returns the
/// indexes in `rs` of those that were new. A reading repeated within `rs` counts once.
pub async fn insert_readings(c: &impl ConnectionTrait, rs: &[RawReading]) -> Result<Vec<usize>> {
    let mut out = Vec::new();
    for (n, chunk) in rs.chunks(ROWS_PER_STATEMENT).enumerate() {
        let mut vals: Vec<Value> = Vec::with_capacity(chunk.len() * 5);
        let mut rows = Vec::with_capacity(chunk.len());
        for r in chunk {
            rows.push(format!("({})", placeholders(vals.len() + 1, 5)));
            vals.extend([
                r.device_id.into(),
                r.metric.clone().into(),
                r.at.into(),
                r.value.into(),
                r.received_at.into(),
            ]);
        }
        let res = c
            .query_all_raw(stmt(
                c,
                format!(
                    "INSERT INTO device_readings (device_id, metric, at, value, received_at) \
                     VALUES {} ON CONFLICT (device_id, metric, at) DO NOTHING \
                     RETURNING device_id, metric, at",
                    rows.join(",")
                ),
                vals,
            ))
            .await?;
        let mut inserted: HashSet<(Uuid, String, i64)> = HashSet::with_capacity(res.len());
        for r in res {
            let at: DateTime<Utc> = r.try_get("", "at")?;
            inserted.insert((
                r.try_get("", "device_id")?,
                r.try_get("", "metric")?,
                at.timestamp_micros(),
            ));
        }
        for (i, r) in chunk.iter().enumerate() {
            // `remove`: the first of two equal readings in the batch takes the row.
            if inserted.remove(&(r.device_id, r.metric.clone(), r.at.timestamp_micros())) {
                out.push(n * ROWS_PER_STATEMENT + i);
            }
        }
    }
    Ok(out)
}

/// A minute's aggregate of one device and metric.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Minute {
    pub device_id: Uuid,
    pub metric: String,
    pub minute: DateTime<Utc>,
    pub min: f64,
    pub max: f64,
    pub sum: f64,
    pub count: i64,
    pub last: f64,
    pub last_at: DateTime<Utc>,
}

/// Merges minute aggregates into the stored ones (`ms` has each key once).
pub async fn merge_minutes(c: &impl ConnectionTrait, ms: &[Minute]) -> Result<()> {
    for chunk in ms.chunks(ROWS_PER_STATEMENT / 2) {
        let mut vals: Vec<Value> = Vec::with_capacity(chunk.len() * 9);
        let mut rows = Vec::with_capacity(chunk.len());
        for m in chunk {
            rows.push(format!("({})", placeholders(vals.len() + 1, 9)));
            vals.extend([
                m.device_id.into(),
                m.metric.clone().into(),
                m.minute.into(),
                m.min.into(),
                m.max.into(),
                m.sum.into(),
                m.count.into(),
                m.last.into(),
                m.last_at.into(),
            ]);
        }
        // CASE rather than MIN/LEAST: the same SQL on SQLite and PostgreSQL.
        c.execute_raw(stmt(
            c,
            format!(
                "INSERT INTO device_minutes (device_id, metric, minute, min, max, sum, count, last, last_at) \
                 VALUES {} ON CONFLICT (device_id, metric, minute) DO UPDATE SET \
                 min = CASE WHEN excluded.min < device_minutes.min THEN excluded.min ELSE device_minutes.min END, \
                 max = CASE WHEN excluded.max > device_minutes.max THEN excluded.max ELSE device_minutes.max END, \
                 sum = device_minutes.sum + excluded.sum, \
                 count = device_minutes.count + excluded.count, \
                 last = CASE WHEN excluded.last_at >= device_minutes.last_at THEN excluded.last ELSE device_minutes.last END, \
                 last_at = CASE WHEN excluded.last_at >= device_minutes.last_at THEN excluded.last_at ELSE device_minutes.last_at END",
                rows.join(",")
            ),
            vals,
        ))
        .await?;
    }
    Ok(())
}

/// An exceedance (超限记录): a device's readings of one metric above its threshold.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Exceedance {
    pub id: Uuid,
    pub device_id: Uuid,
    pub metric: String,
    pub threshold: f64,
    pub started_at: DateTime<Utc>,
    pub last_at: DateTime<Utc>,
    /// `None` while it continues.
    pub ended_at: Option<DateTime<Utc>>,
    pub peak: f64,
    pub count: i64,
}

const XCOLS: &str = "id, device_id, metric, threshold, started_at, last_at, ended_at, peak, count";

fn exceedance_from_row(r: &QueryResult) -> Result<Exceedance> {
    Ok(Exceedance {
        id: r.try_get("", "id")?,
        device_id: r.try_get("", "device_id")?,
        metric: r.try_get("", "metric")?,
        threshold: r.try_get("", "threshold")?,
        started_at: r.try_get("", "started_at")?,
        last_at: r.try_get("", "last_at")?,
        ended_at: r.try_get("", "ended_at")?,
        peak: r.try_get("", "peak")?,
        count: r.try_get("", "count")?,
    })
}

/// An exceedance to write as it now stands: device, metric, the interval, when it ended.
pub type ExceedanceRow<'a> = (Uuid, &'a str, &'a OpenExceedance, Option<DateTime<Utc>>);

/// Writes exceedances as they now stand (insert or overwrite), multi-row.
pub async fn put_exceedances(c: &impl ConnectionTrait, xs: &[ExceedanceRow<'_>]) -> Result<()> {
    for chunk in xs.chunks(ROWS_PER_STATEMENT / 2) {
        let mut vals: Vec<Value> = Vec::with_capacity(chunk.len() * 9);
        let mut rows = Vec::with_capacity(chunk.len());
        for (device_id, metric, o, ended_at) in chunk {
            rows.push(format!("({})", placeholders(vals.len() + 1, 9)));
            vals.extend([
                o.id.into(),
                (*device_id).into(),
                (*metric).into(),
                o.threshold.into(),
                o.started_at.into(),
                o.last_at.into(),
                (*ended_at).into(),
                o.peak.into(),
                o.count.into(),
            ]);
        }
        c.execute_raw(stmt(
            c,
            format!(
                "INSERT INTO device_exceedances ({XCOLS}) VALUES {} ON CONFLICT (id) DO UPDATE SET \
                 started_at = excluded.started_at, last_at = excluded.last_at, peak = excluded.peak, \
                 count = excluded.count, ended_at = excluded.ended_at",
                rows.join(",")
            ),
            vals,
        ))
        .await?;
    }
    Ok(())
}

/// The exceedances still open (the ingest's state after a restart).
pub async fn open_exceedances(c: &impl ConnectionTrait) -> Result<Vec<Exceedance>> {
    c.query_all_raw(stmt(
        c,
        format!("SELECT {XCOLS} FROM device_exceedances WHERE ended_at IS NULL"),
        vec![],
    ))
    .await?
    .iter()
    .map(exceedance_from_row)
    .collect()
}

/// A device's exceedances, newest first.
pub async fn exceedances(
    c: &impl ConnectionTrait,
    device_id: Uuid,
    limit: u64,
) -> Result<Vec<Exceedance>> {
    c.query_all_raw(stmt(
        c,
        format!(
            "SELECT {XCOLS} FROM device_exceedances WHERE device_id = $1 \
             ORDER BY started_at DESC, id LIMIT {limit}"
        ),
        vec![device_id.into()],
    ))
    .await?
    .iter()
    .map(exceedance_from_row)
    .collect()
}

/// A stored reading.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct StoredReading {
    pub metric: String,
    pub at: DateTime<Utc>,
    pub value: f64,
    pub received_at: DateTime<Utc>,
}

/// A device's latest raw readings, newest first.
pub async fn latest_readings(
    c: &impl ConnectionTrait,
    device_id: Uuid,
    limit: u64,
) -> Result<Vec<StoredReading>> {
    c.query_all_raw(stmt(
        c,
        format!(
            "SELECT metric, at, value, received_at FROM device_readings WHERE device_id = $1 \
             ORDER BY at DESC, metric LIMIT {limit}"
        ),
        vec![device_id.into()],
    ))
    .await?
    .iter()
    .map(|r| {
        Ok(StoredReading {
            metric: r.try_get("", "metric")?,
            at: r.try_get("", "at")?,
            value: r.try_get("", "value")?,
            received_at: r.try_get("", "received_at")?,
        })
    })
    .collect()
}

/// A device's minute aggregates, newest first.
pub async fn minutes(c: &impl ConnectionTrait, device_id: Uuid, limit: u64) -> Result<Vec<Minute>> {
    c.query_all_raw(stmt(
        c,
        format!(
            "SELECT device_id, metric, minute, min, max, sum, count, last, last_at FROM device_minutes \
             WHERE device_id = $1 ORDER BY minute DESC, metric LIMIT {limit}"
        ),
        vec![device_id.into()],
    ))
    .await?
    .iter()
    .map(|r| {
        Ok(Minute {
            device_id: r.try_get("", "device_id")?,
            metric: r.try_get("", "metric")?,
            minute: r.try_get("", "minute")?,
            min: r.try_get("", "min")?,
            max: r.try_get("", "max")?,
            sum: r.try_get("", "sum")?,
            count: r.try_get("", "count")?,
            last: r.try_get("", "last")?,
            last_at: r.try_get("", "last_at")?,
        })
    })
    .collect()
}

/// Deletes raw readings taken and message ids received before `before` (the retention
/// pass); minute aggregates and exceedances stay. Returns the readings deleted.
pub async fn purge(c: &impl ConnectionTrait, before: DateTime<Utc>) -> Result<u64> {
    let r = c
        .execute_raw(stmt(
            c,
            "DELETE FROM device_readings WHERE at < $1",
            vec![before.into()],
        ))
        .await?;
    c.execute_raw(stmt(
        c,
        "DELETE FROM device_messages WHERE received_at < $1",
        vec![before.into()],
    ))
    .await?;
    Ok(r.rows_affected())
}

/// Counts of stored rows for one device (tests and the device page): readings, minutes.
pub async fn counts(c: &impl ConnectionTrait, device_id: Uuid) -> Result<(i64, i64)> {
    let one = |sql: &'static str| stmt(c, sql, vec![device_id.into()]);
    let n = |r: Option<QueryResult>| -> Result<i64> {
        Ok(r.map(|r| r.try_get::<i64>("", "n"))
            .transpose()?
            .unwrap_or(0))
    };
    let readings = n(c
        .query_one_raw(one(
            "SELECT COUNT(*) AS n FROM device_readings WHERE device_id = $1",
        ))
        .await?)?;
    let mins = n(c
        .query_one_raw(one(
            "SELECT COUNT(*) AS n FROM device_minutes WHERE device_id = $1",
        ))
        .await?)?;
    Ok((readings, mins))
}
