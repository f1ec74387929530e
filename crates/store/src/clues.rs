//! Problem clues (问题线索): the `clues` table and the items each involves (`clue_items`). A
//! clue's steps and clocks live in the shared case tables ([`crate::cases`]). Every list and
//! get takes a [`Scope`]: a clue belongs to its region and to the line of the department
//! handling it (none while with the office, so only office-wide roles see it then).

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, NaiveDate, Utc};
use lianjian_domain::case::CaseKind;
use lianjian_domain::clue::{ClueKind, ClueSource, ClueStatus, Deadlines, Satisfaction, Urgency};
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
    /// 并单: the clue this one joined (its status is then `merged`).
    pub merged_into: Option<Uuid>,
    /// The visit that verifies it (joined or started for it).
    pub visit_id: Option<Uuid>,
    /// The complainant's verdict at the last 回访.
    pub satisfaction: Option<Satisfaction>,
    /// Under the office's supervision (督办).
    pub supervised: bool,
}

pub(crate) const COLS: &str = "id, code, external_no, source, kind, urgency, content, address, region_code, latitude, longitude, entity_id, complainant_name, complainant_phone, anonymous, received_at, status, department_id, result, finished_at, created_by, created_at, updated_at, merged_into, visit_id, satisfaction, supervised";

/// How `clues` carries data scope: its region, and the lines of the departments handling it
/// (`clue_departments`: the lead and, in a joint verification, the cooperating ones; none
/// while with the office, so only office-wide roles see it then).
pub(crate) const SHAPE: Shape = through_lines("region_code", "id");

/// A clue's scope read through columns that carry its region and its id: the region subtree,
/// and the lines of the departments handling it (`clue_departments`).
const fn through_lines(region: &'static str, id: &'static str) -> Shape {
    Shape {
        region,
        ancestors_visible: false,
        line: crate::scope::Line::Through {
            id,
            table: "clue_departments",
            key: "clue_id",
            department: "department_id",
        },
    }
}

/// A clue's data scope read from its clocks (`case_clocks k`): the region each carries (the
/// clue's, migration m20261207_000028), and the lines of the departments handling the clue
/// through `clue_departments` (as [`SHAPE`] does for clue rows). For the office's rates, which
/// read no clue row.
pub(crate) const CLOCK_SHAPE: Shape = through_lines("k.region_code", "k.case_id");

/// A clue's data scope read from its events (`case_events e`): the region each carries (the
/// clue's when the step was taken) and the lines handling the clue. For the office's returns
/// figure, which then reads the events' index alone.
pub(crate) const EVENT_SHAPE: Shape = through_lines("e.region_code", "e.case_id");

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
        merged_into: r.try_get("", "merged_into")?,
        visit_id: r.try_get("", "visit_id")?,
        satisfaction: crate::coded_opt(r, "satisfaction", Satisfaction::parse)?,
        supervised: r.try_get("", "supervised")?,
    })
}

/// A clue's values in the order of [`COLS`].
pub(crate) fn values(x: &Clue) -> Vec<Value> {
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
        x.merged_into.into(),
        x.visit_id.into(),
        x.satisfaction.map(|s| s.as_str()).into(),
        x.supervised.into(),
    ]
}

pub async fn insert(c: &impl ConnectionTrait, x: &Clue, items: &[Uuid]) -> Result<()> {
    c.execute_raw(stmt(
        c,
        format!(
            "INSERT INTO clues ({COLS}) VALUES ({})",
            placeholders(1, 27)
        ),
        values(x),
    ))
    .await?;
    sync_lead(c, x.id, x.department_id).await?;
    add_items(c, x.id, items).await?;
    crate::seal::seal_ids(c, crate::seal::Sealed::Clues, &[x.id]).await
}

/// Records items a clue involves (at intake, or the routing's when it is dispatched).
pub async fn add_items(c: &impl ConnectionTrait, id: Uuid, items: &[Uuid]) -> Result<()> {
    for item in items {
        c.execute_raw(stmt(
            c,
            "INSERT INTO clue_items (clue_id, item_id) VALUES ($1, $2)",
            vec![id.into(), (*item).into()],
        ))
        .await?;
    }
    Ok(())
}

/// Moves a clue from the status it was read with (compare-and-set, so two racing steps cannot
/// both apply): sets its status, region, handling department (its lead in `clue_departments`),
/// result, finishing time and links. `false` if the clue was no longer in `from`.
pub async fn set_state(
    c: &impl ConnectionTrait,
    id: Uuid,
    from: ClueStatus,
    x: &Clue,
) -> Result<bool> {
    let r = c
        .execute_raw(stmt(
            c,
            "UPDATE clues SET status = $1, department_id = $2, result = $3, finished_at = $4, updated_at = $5, region_code = $6, merged_into = $7, visit_id = $8, satisfaction = $9, supervised = $10 WHERE id = $11 AND status = $12",
            vec![
                x.status.as_str().into(),
                x.department_id.into(),
                x.result.clone().into(),
                x.finished_at.into(),
                crate::now().into(),
                x.region_code.to_string().into(),
                x.merged_into.into(),
                x.visit_id.into(),
                x.satisfaction.map(|s| s.as_str()).into(),
                x.supervised.into(),
                id.into(),
                from.as_str().into(),
            ],
        ))
        .await?;
    if r.rows_affected() != 1 {
        return Ok(false);
    }
    sync_lead(c, id, x.department_id).await?;
    crate::seal::seal_ids(c, crate::seal::Sealed::Clues, &[id]).await?;
    Ok(true)
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

/// The next number under a code prefix (county and year) from the prefix's counter row
/// (`clue_code_counters`): one upsert, atomic on both databases, so concurrent callers never
/// draw the same number. Called outside the registering transaction it behaves like a
/// sequence (no waiting on the row; a failed registration leaves a gap).
pub async fn next_code_number(c: &impl ConnectionTrait, prefix: &str) -> Result<u64> {
    let n: i64 = c
        .query_one_raw(stmt(
            c,
            "INSERT INTO clue_code_counters (prefix, last) VALUES ($1, 1) \
             ON CONFLICT (prefix) DO UPDATE SET last = clue_code_counters.last + 1 \
             RETURNING last",
            vec![prefix.to_string().into()],
        ))
        .await?
        .map(|r| r.try_get("", "last"))
        .transpose()?
        .ok_or_else(|| crate::StoreError::Corrupt(format!("no counter for {prefix}")))?;
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
    if q.sort == ClueSort::DueAsc {
        // The earliest running deadline of every matching clue from one pass over the running
        // clocks (their covering index) instead of one probe per clue; the page's 20 rows are
        // then ordered by the same key read per row.
        let from = "clues LEFT JOIN (SELECT k.case_id, MIN(k.due) AS due FROM case_clocks k \
                    WHERE k.case_kind = 'clue' AND k.stopped_on IS NULL AND k.name IN ('sign', 'finish') \
                    GROUP BY k.case_id) r ON r.case_id = clues.id";
        return crate::paged_matching(
            c,
            "clues",
            COLS,
            (
                "clues.id AS id, clues.received_at AS received_at, COALESCE(r.due, '9999-12-31') AS due_key",
                from,
                "due_key ASC, received_at DESC, id DESC",
            ),
            &w,
            q.sort.order_by(),
            vals,
            page,
            from_row,
        )
        .await;
    }
    if !q.clocks_due.is_empty() {
        let order = q.sort.order_by();
        return crate::paged_matching(
            c,
            "clues",
            COLS,
            ("id, received_at", "clues", order),
            &w,
            order,
            vals,
            page,
            from_row,
        )
        .await;
    }
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
        // Only open clues have running clocks (finishing, merging and transferring stop them
        // all): the cheap status test spares most rows the clock lookup.
        let closed: Vec<String> = ClueStatus::ALL
            .iter()
            .filter(|s| !s.is_open())
            .map(|s| format!("'{}'", s.as_str()))
            .collect();
        conds.push(format!("status NOT IN ({})", closed.join(", ")));
        conds.push(crate::cases::clock_due_condition(
            CaseKind::Clue,
            "clues.id",
            &q.clocks_due,
            vals,
        ));
    }
    conds
}

/// How many clues in `scope` each query matches (the queue tabs). The queries that only name
/// statuses are answered from one `GROUP BY status` over the scope (the covering index
/// `ix_clues_status_region`, skipped through status by status); a running-clock tab is one
/// count over the running clocks' covering index; any other query one count. One conditional
/// sum per tab over every clue of the scope cost more: each of 200,000 rows evaluated every
/// tab's condition (docs/performance.md). The queries' regions are ignored (the tabs count
/// the whole scope).
pub async fn count_each(
    c: &impl ConnectionTrait,
    scope: &Scope,
    queries: &[ClueQuery],
) -> Result<Vec<u64>> {
    let status_only = |q: &ClueQuery| {
        q.text.is_none()
            && q.department_id.is_none()
            && q.source.is_none()
            && q.kind.is_none()
            && q.urgency.is_none()
            && q.clocks_due.is_empty()
    };
    let mut by_status: HashMap<ClueStatus, u64> = HashMap::new();
    if queries.iter().any(status_only) {
        let mut vals: Vec<Value> = Vec::new();
        let w = crate::scope::sql(scope, &SHAPE, &mut vals);
        let rows = c
            .query_all_raw(stmt(
                c,
                format!("SELECT status, COUNT(*) AS n FROM clues WHERE {w} GROUP BY status"),
                vals,
            ))
            .await?;
        for r in &rows {
            let n: i64 = r.try_get("", "n")?;
            by_status.insert(
                crate::coded(r, "status", ClueStatus::parse)?,
                u64::try_from(n).unwrap_or(0),
            );
        }
    }
    let mut out = Vec::with_capacity(queries.len());
    for q in queries {
        if status_only(q) {
            out.push(if q.statuses.is_empty() {
                by_status.values().sum()
            } else {
                q.statuses
                    .iter()
                    .collect::<HashSet<_>>()
                    .into_iter()
                    .map(|s| by_status.get(s).copied().unwrap_or(0))
                    .sum()
            });
            continue;
        }
        let mut vals: Vec<Value> = Vec::new();
        let only_clocks = q.statuses.is_empty()
            && status_only(&ClueQuery {
                clocks_due: Vec::new(),
                ..q.clone()
            });
        let sql = if only_clocks {
            // Only running clocks: counted from their covering index alone, each clue once
            // (only open clues have running clocks, and a clock carries its clue's region).
            let w = crate::scope::sql(scope, &CLOCK_SHAPE, &mut vals);
            let due = crate::cases::running_clocks_due(CaseKind::Clue, &q.clocks_due, &mut vals);
            format!(
                "SELECT COUNT(*) AS n FROM (SELECT DISTINCT k.case_id FROM case_clocks k WHERE {due} AND {w}) x"
            )
        } else {
            let mut conds = vec![crate::scope::sql(scope, &SHAPE, &mut vals)];
            conds.extend(conditions(q, &mut vals));
            format!(
                "SELECT COUNT(*) AS n FROM clues WHERE {}",
                conds.join(" AND ")
            )
        };
        let n: Option<i64> = c
            .query_one_raw(stmt(c, sql, vals))
            .await?
            .map(|r| r.try_get("", "n"))
            .transpose()?;
        out.push(u64::try_from(n.unwrap_or(0)).unwrap_or(0));
    }
    Ok(out)
}

/// Keeps `clue_departments`' lead row equal to the clue's handling department.
async fn sync_lead(c: &impl ConnectionTrait, id: Uuid, lead: Option<Uuid>) -> Result<()> {
    c.execute_raw(stmt(
        c,
        "DELETE FROM clue_departments WHERE clue_id = $1 AND (role = 'lead' OR department_id = $2)",
        vec![id.into(), lead.into()],
    ))
    .await?;
    if let Some(d) = lead {
        c.execute_raw(stmt(
            c,
            "INSERT INTO clue_departments (clue_id, department_id, role) VALUES ($1, $2, 'lead')",
            vec![id.into(), d.into()],
        ))
        .await?;
    }
    Ok(())
}

/// Replaces the cooperating departments (配合部门) of a joint verification; the lead stays.
pub async fn set_cooperating(
    c: &impl ConnectionTrait,
    id: Uuid,
    departments: &[Uuid],
) -> Result<()> {
    c.execute_raw(stmt(
        c,
        "DELETE FROM clue_departments WHERE clue_id = $1 AND role = 'cooperating'",
        vec![id.into()],
    ))
    .await?;
    for d in departments {
        c.execute_raw(stmt(
            c,
            "INSERT INTO clue_departments (clue_id, department_id, role) SELECT $1, $2, 'cooperating' WHERE NOT EXISTS (SELECT 1 FROM clue_departments WHERE clue_id = $1 AND department_id = $2)",
            vec![id.into(), (*d).into()],
        ))
        .await?;
    }
    Ok(())
}

/// The cooperating departments of a clue.
pub async fn cooperating_of(c: &impl ConnectionTrait, id: Uuid) -> Result<Vec<Uuid>> {
    c.query_all_raw(stmt(
        c,
        "SELECT department_id FROM clue_departments WHERE clue_id = $1 AND role = 'cooperating' ORDER BY department_id",
        vec![id.into()],
    ))
    .await?
    .iter()
    .map(|r| Ok(r.try_get("", "department_id")?))
    .collect()
}

/// Open clues about one entity in scope (shown before a visit is created for a clue:
/// 国办发〔2023〕1号 (十), no multi-headed inspection).
pub async fn open_on_entity(
    c: &impl ConnectionTrait,
    scope: &Scope,
    entity_id: Uuid,
) -> Result<Vec<Clue>> {
    let mut vals: Vec<Value> = vec![entity_id.into()];
    let w = crate::scope::sql(scope, &SHAPE, &mut vals);
    c.query_all_raw(stmt(
        c,
        format!(
            "SELECT {COLS} FROM clues WHERE entity_id = $1 AND status NOT IN ('finished', 'closed', 'merged') AND {w} ORDER BY received_at LIMIT 50"
        ),
        vals,
    ))
    .await?
    .iter()
    .map(from_row)
    .collect()
}

/// The clues merged into `id` (并单), oldest first.
pub async fn merged_into(c: &impl ConnectionTrait, id: Uuid) -> Result<Vec<Clue>> {
    c.query_all_raw(stmt(
        c,
        format!("SELECT {COLS} FROM clues WHERE merged_into = $1 ORDER BY received_at, id"),
        vec![id.into()],
    ))
    .await?
    .iter()
    .map(from_row)
    .collect()
}

fn subtree(region: &RegionCode) -> [Value; 2] {
    [
        region.to_string().into(),
        format!("{region}\u{10FFFF}").into(),
    ]
}

fn lineage(region: &RegionCode) -> Vec<Value> {
    region
        .lineage()
        .into_iter()
        .map(|r| Value::from(r.to_string()))
        .collect()
}

// ---- the office's routing table (分办规则) ----

/// One routing rule: a keyword found in the content, or the entity's sector, suggests an item
/// and/or a lead department.
#[derive(Debug, Clone, PartialEq)]
pub struct Route {
    pub id: Uuid,
    pub region_code: RegionCode,
    pub keyword: Option<String>,
    pub sector_id: Option<Uuid>,
    pub item_id: Option<Uuid>,
    pub department_id: Option<Uuid>,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
}

const ROUTE_COLS: &str =
    "id, region_code, keyword, sector_id, item_id, department_id, created_by, created_at";

fn route_from_row(r: &QueryResult) -> Result<Route> {
    Ok(Route {
        id: r.try_get("", "id")?,
        region_code: crate::coded(r, "region_code", RegionCode::parse)?,
        keyword: r.try_get("", "keyword")?,
        sector_id: r.try_get("", "sector_id")?,
        item_id: r.try_get("", "item_id")?,
        department_id: r.try_get("", "department_id")?,
        created_by: r.try_get("", "created_by")?,
        created_at: r.try_get("", "created_at")?,
    })
}

pub async fn insert_route(c: &impl ConnectionTrait, x: &Route) -> Result<()> {
    c.execute_raw(stmt(
        c,
        format!(
            "INSERT INTO clue_routes ({ROUTE_COLS}) VALUES ({})",
            placeholders(1, 8)
        ),
        vec![
            x.id.into(),
            x.region_code.to_string().into(),
            x.keyword.clone().into(),
            x.sector_id.into(),
            x.item_id.into(),
            x.department_id.into(),
            x.created_by.clone().into(),
            x.created_at.into(),
        ],
    ))
    .await?;
    Ok(())
}

/// `region_code` in `region`'s subtree (everything for `None`), with placeholders after `vals`.
fn within(region: Option<&RegionCode>, vals: &mut Vec<Value>) -> String {
    match region {
        None => "1 = 1".into(),
        Some(r) => {
            let [a, b] = subtree(r);
            vals.extend([a, b]);
            format!(
                "region_code >= ${} AND region_code < ${}",
                vals.len() - 1,
                vals.len()
            )
        }
    }
}

/// Deletes a rule kept in `region`'s subtree (any for `None`); `false` if there was none.
pub async fn delete_route(
    c: &impl ConnectionTrait,
    id: Uuid,
    region: Option<&RegionCode>,
) -> Result<bool> {
    let mut vals = vec![Value::from(id)];
    let w = within(region, &mut vals);
    let r = c
        .execute_raw(stmt(
            c,
            format!("DELETE FROM clue_routes WHERE id = $1 AND {w}"),
            vals,
        ))
        .await?;
    Ok(r.rows_affected() == 1)
}

/// The rules that apply in `region`: its own and its ancestors' (a city's rule covers its
/// counties), nearest region first.
pub async fn routes_for(c: &impl ConnectionTrait, region: &RegionCode) -> Result<Vec<Route>> {
    let vals = lineage(region);
    c.query_all_raw(stmt(
        c,
        format!(
            "SELECT {ROUTE_COLS} FROM clue_routes WHERE region_code IN ({}) ORDER BY region_code DESC, created_at, id",
            placeholders(1, vals.len())
        ),
        vals,
    ))
    .await?
    .iter()
    .map(route_from_row)
    .collect()
}

/// The rules kept in a region subtree (all for `None`): the office's table page.
pub async fn routes_in(
    c: &impl ConnectionTrait,
    region: Option<&RegionCode>,
) -> Result<Vec<Route>> {
    let mut vals = Vec::new();
    let w = within(region, &mut vals);
    c.query_all_raw(stmt(
        c,
        format!(
            "SELECT {ROUTE_COLS} FROM clue_routes WHERE {w} ORDER BY region_code, keyword, created_at"
        ),
        vals,
    ))
    .await?
    .iter()
    .map(route_from_row)
    .collect()
}

// ---- deadlines per source and kind ----

/// A deadline rule: `source`/`kind` `None` means any.
#[derive(Debug, Clone, PartialEq)]
pub struct DeadlineRule {
    pub region_code: RegionCode,
    pub source: Option<ClueSource>,
    pub kind: Option<ClueKind>,
    pub deadlines: Deadlines,
    pub updated_by: String,
    pub updated_at: DateTime<Utc>,
}

/// Stored for "any source" or "any kind" (part of the key, so never null).
const ANY: &str = "*";

fn deadline_from_row(r: &QueryResult) -> Result<DeadlineRule> {
    let days = |col: &str| -> Result<u32> {
        let n: i32 = r.try_get("", col)?;
        Ok(u32::try_from(n).unwrap_or(0))
    };
    let source: String = r.try_get("", "source")?;
    let kind: String = r.try_get("", "kind")?;
    Ok(DeadlineRule {
        region_code: crate::coded(r, "region_code", RegionCode::parse)?,
        source: (source != ANY)
            .then(|| crate::coded(r, "source", ClueSource::parse))
            .transpose()?,
        kind: (kind != ANY)
            .then(|| crate::coded(r, "kind", ClueKind::parse))
            .transpose()?,
        deadlines: Deadlines {
            sign_days: days("sign_days")?,
            return_days: days("return_days")?,
            finish_days: days("finish_days")?,
        },
        updated_by: r.try_get("", "updated_by")?,
        updated_at: r.try_get("", "updated_at")?,
    })
}

fn deadline_key(
    region: &RegionCode,
    source: Option<ClueSource>,
    kind: Option<ClueKind>,
) -> Vec<Value> {
    vec![
        region.to_string().into(),
        source.map_or(ANY, |s| s.as_str()).into(),
        kind.map_or(ANY, |k| k.as_str()).into(),
    ]
}

/// Sets (inserts or replaces) one rule.
pub async fn put_deadline_rule(c: &impl ConnectionTrait, x: &DeadlineRule) -> Result<()> {
    delete_deadline_rule(c, &x.region_code, x.source, x.kind).await?;
    let mut vals = deadline_key(&x.region_code, x.source, x.kind);
    vals.extend([
        Value::from(x.deadlines.sign_days as i32),
        Value::from(x.deadlines.return_days as i32),
        Value::from(x.deadlines.finish_days as i32),
        x.updated_by.clone().into(),
        x.updated_at.into(),
    ]);
    c.execute_raw(stmt(
        c,
        "INSERT INTO clue_deadline_rules (region_code, source, kind, sign_days, return_days, finish_days, updated_by, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        vals,
    ))
    .await?;
    Ok(())
}

/// Deletes one rule; `false` if there was none.
pub async fn delete_deadline_rule(
    c: &impl ConnectionTrait,
    region: &RegionCode,
    source: Option<ClueSource>,
    kind: Option<ClueKind>,
) -> Result<bool> {
    let r = c
        .execute_raw(stmt(
            c,
            "DELETE FROM clue_deadline_rules WHERE region_code = $1 AND source = $2 AND kind = $3",
            deadline_key(region, source, kind),
        ))
        .await?;
    Ok(r.rows_affected() == 1)
}

/// The rules of `region` and its ancestors, nearest region first (every rule for `None`).
pub async fn deadline_rules_for(
    c: &impl ConnectionTrait,
    region: Option<&RegionCode>,
) -> Result<Vec<DeadlineRule>> {
    let (w, vals) = match region {
        Some(r) => {
            let vals = lineage(r);
            (
                format!("region_code IN ({})", placeholders(1, vals.len())),
                vals,
            )
        }
        None => ("1 = 1".to_string(), Vec::new()),
    };
    c.query_all_raw(stmt(
        c,
        format!(
            "SELECT region_code, source, kind, sign_days, return_days, finish_days, updated_by, updated_at FROM clue_deadline_rules WHERE {w} ORDER BY region_code DESC, source, kind"
        ),
        vals,
    ))
    .await?
    .iter()
    .map(deadline_from_row)
    .collect()
}

/// The clue with this code (XS-…), whatever the scope (callers check it).
pub async fn by_code(c: &impl ConnectionTrait, code: &str) -> Result<Option<Clue>> {
    c.query_one_raw(stmt(
        c,
        format!("SELECT {COLS} FROM clues WHERE code = $1"),
        vec![code.to_string().into()],
    ))
    .await?
    .as_ref()
    .map(from_row)
    .transpose()
}
