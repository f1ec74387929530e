//! Problem clues (问题线索): the `clues` table and the items each involves (`clue_items`). A
//! clue's steps and clocks live in the shared case tables ([`crate::cases`]). Every list and
//! get takes a [`Scope`]: a clue belongs to its region and to the line of the department
//! handling it (none while with the office, so only office-wide roles see it then).

use chrono::{DateTime, NaiveDate, Utc};
use lianjian_domain::case::CaseKind;
use lianjian_domain::clue::{ClueKind, ClueSource, ClueStatus, Urgency};
use lianjian_domain::region::RegionCode;
use lianjian_domain::scope::Scope;
use sea_orm::{ConnectionTrait, QueryResult, Value};
use uuid::Uuid;

use crate::scope::Shape;
use crate::{Page, PageRequest, Result, placeholders, stmt};

/// A clue as stored. The complainant's name and phone are here in full: the services mask
/// them for everyone but the handling staff before a clue leaves them.
#[derive(Debug, Clone, PartialEq)]
pub struct Clue {
    pub id: Uuid,
    pub code: String,
    pub external_no: Option<String>,
    pub source: ClueSource,
    pub kind: ClueKind,
    pub urgency: Urgency,
    pub content: String,
    pub address: String,
    pub region_code: RegionCode,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
    pub entity_id: Option<Uuid>,
    pub complainant_name: Option<String>,
    pub complainant_phone: Option<String>,
    pub anonymous: bool,
    pub received_at: DateTime<Utc>,
    pub status: ClueStatus,
    pub department_id: Option<Uuid>,
    pub result: Option<String>,
    pub finished_at: Option<DateTime<Utc>>,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

const COLS: &str = "id, code, external_no, source, kind, urgency, content, address, region_code, latitude, longitude, entity_id, complainant_name, complainant_phone, anonymous, received_at, status, department_id, result, finished_at, created_by, created_at, updated_at";

/// How `clues` carries data scope: its region, and the handling department's line.
pub(crate) const SHAPE: Shape = Shape::department("region_code", "department_id");

fn from_row(r: &QueryResult) -> Result<Clue> {
    Ok(Clue {
        id: r.try_get("", "id")?,
        code: r.try_get("", "code")?,
        external_no: r.try_get("", "external_no")?,
        source: crate::coded(r, "source", ClueSource::parse)?,
        kind: crate::coded(r, "kind", ClueKind::parse)?,
        urgency: crate::coded(r, "urgency", Urgency::parse)?,
        content: r.try_get("", "content")?,
        address: r.try_get("", "address")?,
        region_code: crate::coded(r, "region_code", RegionCode::parse)?,
        latitude: r.try_get("", "latitude")?,
        longitude: r.try_get("", "longitude")?,
        entity_id: r.try_get("", "entity_id")?,
        complainant_name: r.try_get("", "complainant_name")?,
        complainant_phone: r.try_get("", "complainant_phone")?,
        anonymous: r.try_get("", "anonymous")?,
        received_at: r.try_get("", "received_at")?,
        status: crate::coded(r, "status", ClueStatus::parse)?,
        department_id: r.try_get("", "department_id")?,
        result: r.try_get("", "result")?,
        finished_at: r.try_get("", "finished_at")?,
        created_by: r.try_get("", "created_by")?,
        created_at: r.try_get("", "created_at")?,
        updated_at: r.try_get("", "updated_at")?,
    })
}

pub async fn insert(c: &impl ConnectionTrait, x: &Clue, items: &[Uuid]) -> Result<()> {
    c.execute_raw(stmt(
        c,
        format!(
            "INSERT INTO clues ({COLS}) VALUES ({})",
            placeholders(1, 23)
        ),
        vec![
            x.id.into(),
            x.code.clone().into(),
            x.external_no.clone().into(),
            x.source.as_str().into(),
            x.kind.as_str().into(),
            x.urgency.as_str().into(),
            x.content.clone().into(),
            x.address.clone().into(),
            x.region_code.to_string().into(),
            x.latitude.into(),
            x.longitude.into(),
            x.entity_id.into(),
            x.complainant_name.clone().into(),
            x.complainant_phone.clone().into(),
            x.anonymous.into(),
            x.received_at.into(),
            x.status.as_str().into(),
            x.department_id.into(),
            x.result.clone().into(),
            x.finished_at.into(),
            x.created_by.clone().into(),
            x.created_at.into(),
            x.updated_at.into(),
        ],
    ))
    .await?;
    for item in items {
        c.execute_raw(stmt(
            c,
            "INSERT INTO clue_items (clue_id, item_id) VALUES ($1, $2)",
            vec![x.id.into(), (*item).into()],
        ))
        .await?;
    }
    Ok(())
}

/// Moves a clue from the status it was read with (compare-and-set, so two racing steps cannot
/// both apply): sets its status, handling department, result and finishing time. `false` if
/// the clue was no longer in `from`.
pub async fn set_state(
    c: &impl ConnectionTrait,
    id: Uuid,
    from: ClueStatus,
    x: &Clue,
) -> Result<bool> {
    let r = c
        .execute_raw(stmt(
            c,
            "UPDATE clues SET status = $1, department_id = $2, result = $3, finished_at = $4, updated_at = $5 WHERE id = $6 AND status = $7",
            vec![
                x.status.as_str().into(),
                x.department_id.into(),
                x.result.clone().into(),
                x.finished_at.into(),
                crate::now().into(),
                id.into(),
                from.as_str().into(),
            ],
        ))
        .await?;
    Ok(r.rows_affected() == 1)
}

/// The clue, whatever the scope (for the services' own passes and checks after a scoped read).
pub async fn get(c: &impl ConnectionTrait, id: Uuid) -> Result<Option<Clue>> {
    c.query_one_raw(stmt(
        c,
        format!("SELECT {COLS} FROM clues WHERE id = $1"),
        vec![id.into()],
    ))
    .await?
    .as_ref()
    .map(from_row)
    .transpose()
}

/// The clue only if `scope` permits it; out of scope looks absent.
pub async fn get_scoped(c: &impl ConnectionTrait, scope: &Scope, id: Uuid) -> Result<Option<Clue>> {
    let mut vals: Vec<Value> = vec![id.into()];
    let w = crate::scope::sql(scope, &SHAPE, &mut vals);
    c.query_one_raw(stmt(
        c,
        format!("SELECT {COLS} FROM clues WHERE id = $1 AND {w}"),
        vals,
    ))
    .await?
    .as_ref()
    .map(from_row)
    .transpose()
}

/// The clue registered under another system's reference (12345 work-order number).
pub async fn by_external_no(c: &impl ConnectionTrait, no: &str) -> Result<Option<Clue>> {
    c.query_one_raw(stmt(
        c,
        format!("SELECT {COLS} FROM clues WHERE external_no = $1"),
        vec![no.to_string().into()],
    ))
    .await?
    .as_ref()
    .map(from_row)
    .transpose()
}

/// The items a clue involves.
pub async fn items_of(c: &impl ConnectionTrait, id: Uuid) -> Result<Vec<Uuid>> {
    c.query_all_raw(stmt(
        c,
        "SELECT item_id FROM clue_items WHERE clue_id = $1 ORDER BY item_id",
        vec![id.into()],
    ))
    .await?
    .iter()
    .map(|r| Ok(r.try_get("", "item_id")?))
    .collect()
}

/// How many clues have codes starting with `prefix` (for the next code).
pub async fn count_codes(c: &impl ConnectionTrait, prefix: &str) -> Result<u64> {
    let n: i64 = c
        .query_one_raw(stmt(
            c,
            "SELECT COUNT(*) AS n FROM clues WHERE code >= $1 AND code < $2",
            vec![
                prefix.to_string().into(),
                format!("{prefix}\u{10FFFF}").into(),
            ],
        ))
        .await?
        .map(|r| r.try_get("", "n"))
        .transpose()?
        .unwrap_or(0);
    Ok(u64::try_from(n).unwrap_or(0))
}

/// Filters of a clue list; the [`Scope`] passed with it limits it further.
#[derive(Debug, Clone, Default)]
pub struct ClueQuery {
    /// Narrows the scope to a region subtree.
    pub region: Option<RegionCode>,
    pub statuses: Vec<ClueStatus>,
    pub department_id: Option<Uuid>,
    pub source: Option<ClueSource>,
    pub kind: Option<ClueKind>,
    pub urgency: Option<Urgency>,
    /// Code, reference, content, address or the entity's name containing this text.
    pub text: Option<String>,
    /// One of the running clocks (name, due from, due before) — the 即将超时 / 已超时 queues.
    pub clocks_due: Vec<(&'static str, Option<NaiveDate>, NaiveDate)>,
    pub sort: ClueSort,
}

/// The order of a clue list.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum ClueSort {
    /// Newest received first (the default).
    #[default]
    ReceivedDesc,
    /// Oldest received first.
    ReceivedAsc,
    /// The earliest running 签收 / 办结 deadline first; clues without a running clock last.
    DueAsc,
}

impl ClueSort {
    fn order_by(self) -> &'static str {
        match self {
            ClueSort::ReceivedDesc => "received_at DESC, id DESC",
            ClueSort::ReceivedAsc => "received_at ASC, id ASC",
            ClueSort::DueAsc => {
                "COALESCE((SELECT MIN(k.due) FROM case_clocks k WHERE k.case_kind = 'clue' AND k.case_id = clues.id AND k.stopped_on IS NULL AND k.name IN ('sign', 'finish')), '9999-12-31') ASC, received_at DESC, id DESC"
            }
        }
    }
}

/// Clues in scope matching `q`, newest first.
pub async fn list(
    c: &impl ConnectionTrait,
    scope: &Scope,
    q: &ClueQuery,
    page: PageRequest,
) -> Result<Page<Clue>> {
    let scope = scope.clone().narrowed(q.region.as_ref(), None);
    let mut vals: Vec<Value> = Vec::new();
    let mut conds = vec![crate::scope::sql(&scope, &SHAPE, &mut vals)];
    conds.extend(conditions(q, &mut vals));
    let w = conds.join(" AND ");
    crate::paged(
        c,
        "clues",
        COLS,
        &w,
        q.sort.order_by(),
        vals,
        page,
        from_row,
    )
    .await
}

/// The conditions of `q` besides scope and region (for the list and the queue counts).
fn conditions(q: &ClueQuery, vals: &mut Vec<Value>) -> Vec<String> {
    let mut conds = Vec::new();
    if !q.statuses.is_empty() {
        let from = vals.len() + 1;
        vals.extend(q.statuses.iter().map(|s| Value::from(s.as_str())));
        conds.push(format!(
            "status IN ({})",
            placeholders(from, q.statuses.len())
        ));
    }
    if let Some(d) = q.department_id {
        vals.push(d.into());
        conds.push(format!("department_id = ${}", vals.len()));
    }
    if let Some(s) = q.source {
        vals.push(s.as_str().into());
        conds.push(format!("source = ${}", vals.len()));
    }
    if let Some(k) = q.kind {
        vals.push(k.as_str().into());
        conds.push(format!("kind = ${}", vals.len()));
    }
    if let Some(u) = q.urgency {
        vals.push(u.as_str().into());
        conds.push(format!("urgency = ${}", vals.len()));
    }
    if let Some(t) = q.text.as_deref().filter(|t| !t.is_empty()) {
        vals.push(crate::contains_pattern(t).into());
        let n = vals.len();
        let e = crate::LIKE_ESCAPE;
        conds.push(format!(
            "(code LIKE ${n}{e} OR external_no LIKE ${n}{e} OR content LIKE ${n}{e} OR address LIKE ${n}{e} OR entity_id IN (SELECT en.id FROM entities en WHERE en.name LIKE ${n}{e} OR en.usci LIKE ${n}{e}))"
        ));
    }
    if !q.clocks_due.is_empty() {
        conds.push(crate::cases::clock_due_condition(
            CaseKind::Clue,
            "clues.id",
            &q.clocks_due,
            vals,
        ));
    }
    conds
}

/// How many clues in `scope` each query matches (the queue tabs), in one pass over the scope:
/// one conditional sum per query instead of one count per tab. The queries' regions are
/// ignored (the tabs count the whole scope).
pub async fn count_each(
    c: &impl ConnectionTrait,
    scope: &Scope,
    queries: &[ClueQuery],
) -> Result<Vec<u64>> {
    if queries.is_empty() {
        return Ok(Vec::new());
    }
    let mut vals: Vec<Value> = Vec::new();
    let w = crate::scope::sql(scope, &SHAPE, &mut vals);
    let mut sums = Vec::with_capacity(queries.len());
    for (i, q) in queries.iter().enumerate() {
        let conds = conditions(q, &mut vals);
        sums.push(if conds.is_empty() {
            format!("COUNT(*) AS n{i}")
        } else {
            format!(
                "SUM(CASE WHEN {} THEN 1 ELSE 0 END) AS n{i}",
                conds.join(" AND ")
            )
        });
    }
    // The scope's placeholders come first in `vals`, but the WHERE clause comes last in the
    // statement: placeholders are numbered, so the order in the text does not matter.
    let r = c
        .query_one_raw(stmt(
            c,
            format!("SELECT {} FROM clues WHERE {w}", sums.join(", ")),
            vals,
        ))
        .await?;
    let mut out = Vec::with_capacity(queries.len());
    for i in 0..queries.len() {
        let n: Option<i64> = match &r {
            Some(r) => r.try_get("", &format!("n{i}"))?,
            None => None,
        };
        out.push(u64::try_from(n.unwrap_or(0)).unwrap_or(0));
    }
    Ok(out)
}
