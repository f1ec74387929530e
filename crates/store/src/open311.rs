//! The Open311 GeoReport v2 interface's own rows: API keys (`open311_keys`, hashes only) and
//! the clues submitted through it (`open311_requests`). The public reads select only the
//! clue columns that interface publishes — the complainant's columns are never read here.

use chrono::{DateTime, Utc};
use lianjian_domain::clue::{ClueKind, ClueStatus};
use lianjian_domain::region::RegionCode;
use lianjian_domain::scope::Scope;
use sea_orm::{ConnectionTrait, QueryResult, Value};
use uuid::Uuid;

use crate::scope::Shape;
use crate::{Page, PageRequest, Result, placeholders, stmt};

/// An application's key. `key_hash` is the SHA-256 hex of the key.
#[derive(Debug, Clone, PartialEq)]
pub struct ApiKey {
    pub id: Uuid,
    pub name: String,
    pub key_hash: String,
    pub region_code: RegionCode,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
    pub revoked_at: Option<DateTime<Utc>>,
}

const KEY_COLS: &str = "id, name, key_hash, region_code, created_by, created_at, revoked_at";

fn key_from_row(r: &QueryResult) -> Result<ApiKey> {
    Ok(ApiKey {
        id: r.try_get("", "id")?,
        name: r.try_get("", "name")?,
        key_hash: r.try_get("", "key_hash")?,
        region_code: crate::coded(r, "region_code", RegionCode::parse)?,
        created_by: r.try_get("", "created_by")?,
        created_at: r.try_get("", "created_at")?,
        revoked_at: r.try_get("", "revoked_at")?,
    })
}

pub async fn insert_key(c: &impl ConnectionTrait, k: &ApiKey) -> Result<()> {
    c.execute_raw(stmt(
        c,
        format!(
            "INSERT INTO open311_keys ({KEY_COLS}) VALUES ({})",
            placeholders(1, 7)
        ),
        vec![
            k.id.into(),
            k.name.clone().into(),
            k.key_hash.clone().into(),
            k.region_code.to_string().into(),
            k.created_by.clone().into(),
            k.created_at.into(),
            k.revoked_at.into(),
        ],
    ))
    .await?;
    Ok(())
}

/// The key with this hash, revoked or not.
pub async fn key_by_hash(c: &impl ConnectionTrait, hash: &str) -> Result<Option<ApiKey>> {
    c.query_one_raw(stmt(
        c,
        format!("SELECT {KEY_COLS} FROM open311_keys WHERE key_hash = $1"),
        vec![hash.to_string().into()],
    ))
    .await?
    .as_ref()
    .map(key_from_row)
    .transpose()
}

/// Every key, newest first.
pub async fn keys(c: &impl ConnectionTrait) -> Result<Vec<ApiKey>> {
    c.query_all_raw(stmt(
        c,
        format!("SELECT {KEY_COLS} FROM open311_keys ORDER BY created_at DESC, id DESC"),
        vec![],
    ))
    .await?
    .iter()
    .map(key_from_row)
    .collect()
}

/// Revokes the key (if not revoked yet); `false` if there is no such key or it was revoked.
pub async fn revoke_key(c: &impl ConnectionTrait, id: Uuid, at: DateTime<Utc>) -> Result<bool> {
    let r = c
        .execute_raw(stmt(
            c,
            "UPDATE open311_keys SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL",
            vec![at.into(), id.into()],
        ))
        .await?;
    Ok(r.rows_affected() == 1)
}

/// Marks a clue as submitted through Open311 with `key_id` as `service_code`.
pub async fn insert_request(
    c: &impl ConnectionTrait,
    clue_id: Uuid,
    key_id: Uuid,
    service_code: &str,
) -> Result<()> {
    c.execute_raw(stmt(
        c,
        "INSERT INTO open311_requests (clue_id, key_id, service_code) VALUES ($1, $2, $3)",
        vec![
            clue_id.into(),
            key_id.into(),
            service_code.to_string().into(),
        ],
    ))
    .await?;
    Ok(())
}

/// A clue submitted through Open311, as far as that interface publishes it.
#[derive(Debug, Clone, PartialEq)]
pub struct PublicRequest {
    pub clue_id: Uuid,
    pub code: String,
    pub service_code: String,
    pub kind: ClueKind,
    pub content: String,
    pub address: String,
    pub region_code: RegionCode,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
    pub status: ClueStatus,
    pub department_id: Option<Uuid>,
    pub result: Option<String>,
    pub received_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
}

const FROM: &str = "clues JOIN open311_requests o ON o.clue_id = clues.id";
const COLS: &str = "clues.id AS clue_id, clues.code AS code, o.service_code AS service_code, clues.kind AS kind, clues.content AS content, clues.address AS address, clues.region_code AS region_code, clues.latitude AS latitude, clues.longitude AS longitude, clues.status AS status, clues.department_id AS department_id, clues.result AS result, clues.received_at AS received_at, clues.updated_at AS updated_at, clues.finished_at AS finished_at";
const SHAPE: Shape = Shape::department("clues.region_code", "clues.department_id");

fn request_from_row(r: &QueryResult) -> Result<PublicRequest> {
    Ok(PublicRequest {
        clue_id: r.try_get("", "clue_id")?,
        code: r.try_get("", "code")?,
        service_code: r.try_get("", "service_code")?,
        kind: crate::coded(r, "kind", ClueKind::parse)?,
        content: r.try_get("", "content")?,
        address: r.try_get("", "address")?,
        region_code: crate::coded(r, "region_code", RegionCode::parse)?,
        latitude: r.try_get("", "latitude")?,
        longitude: r.try_get("", "longitude")?,
        status: crate::coded(r, "status", ClueStatus::parse)?,
        department_id: r.try_get("", "department_id")?,
        result: r.try_get("", "result")?,
        received_at: r.try_get("", "received_at")?,
        updated_at: r.try_get("", "updated_at")?,
        finished_at: r.try_get("", "finished_at")?,
    })
}

/// Filters of the public request list (GeoReport v2 `GET requests` and its extensions).
#[derive(Debug, Clone, Default)]
pub struct RequestQuery {
    /// Clue codes (`service_request_id`); when given, the other filters are not applied.
    pub codes: Vec<String>,
    pub service_codes: Vec<String>,
    pub statuses: Vec<ClueStatus>,
    /// `requested_datetime` (the clue's received time) from, inclusive.
    pub received_from: Option<DateTime<Utc>>,
    /// … up to, inclusive.
    pub received_to: Option<DateTime<Utc>>,
    /// `updated_datetime` after, exclusive (the update feed).
    pub updated_after: Option<DateTime<Utc>>,
    /// … before, exclusive.
    pub updated_before: Option<DateTime<Utc>>,
}

fn list_in(col: &str, vals: &mut Vec<Value>, items: Vec<Value>) -> String {
    let from = vals.len() + 1;
    let n = items.len();
    vals.extend(items);
    format!("{col} IN ({})", placeholders(from, n))
}

/// Requests in `scope` matching `q`, newest first (by `order_by_update`: most recently updated
/// first, for the update feed).
pub async fn list(
    c: &impl ConnectionTrait,
    scope: &Scope,
    q: &RequestQuery,
    order_by_update: bool,
    page: PageRequest,
) -> Result<Page<PublicRequest>> {
    let mut vals: Vec<Value> = Vec::new();
    let mut conds = vec![crate::scope::sql(scope, &SHAPE, &mut vals)];
    if !q.codes.is_empty() {
        let items = q.codes.iter().map(|s| Value::from(s.clone())).collect();
        conds.push(list_in("clues.code", &mut vals, items));
    } else {
        if !q.service_codes.is_empty() {
            let items = q
                .service_codes
                .iter()
                .map(|s| Value::from(s.clone()))
                .collect();
            conds.push(list_in("o.service_code", &mut vals, items));
        }
        if !q.statuses.is_empty() {
            let items = q.statuses.iter().map(|s| Value::from(s.as_str())).collect();
            conds.push(list_in("clues.status", &mut vals, items));
        }
        for (col, op, v) in [
            ("clues.received_at", ">=", q.received_from),
            ("clues.received_at", "<=", q.received_to),
            ("clues.updated_at", ">", q.updated_after),
            ("clues.updated_at", "<", q.updated_before),
        ] {
            if let Some(t) = v {
                vals.push(t.into());
                conds.push(format!("{col} {op} ${}", vals.len()));
            }
        }
    }
    let w = conds.join(" AND ");
    let order = if order_by_update {
        "clues.updated_at DESC, clues.id DESC"
    } else {
        "clues.received_at DESC, clues.id DESC"
    };
    crate::paged(c, FROM, COLS, &w, order, vals, page, request_from_row).await
}

/// One request by its clue code, if `scope` permits it and it came through Open311.
pub async fn by_code(
    c: &impl ConnectionTrait,
    scope: &Scope,
    code: &str,
) -> Result<Option<PublicRequest>> {
    one(c, scope, "clues.code = $1", code.to_string().into()).await
}

/// One request by its token (the clue's id), if `scope` permits it and it came through Open311.
pub async fn by_token(
    c: &impl ConnectionTrait,
    scope: &Scope,
    id: Uuid,
) -> Result<Option<PublicRequest>> {
    one(c, scope, "clues.id = $1", id.into()).await
}

async fn one(
    c: &impl ConnectionTrait,
    scope: &Scope,
    cond: &str,
    v: Value,
) -> Result<Option<PublicRequest>> {
    let mut vals = vec![v];
    let w = crate::scope::sql(scope, &SHAPE, &mut vals);
    c.query_one_raw(stmt(
        c,
        format!("SELECT {COLS} FROM {FROM} WHERE {cond} AND {w}"),
        vals,
    ))
    .await?
    .as_ref()
    .map(request_from_row)
    .transpose()
}
