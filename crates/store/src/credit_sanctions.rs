//! Joint sanctions and credit appeals (联合惩戒, 异议与信用修复, issue 15 items 3–4): the measure
//! catalogue (`sanction_measures`), batches (`sanction_batches` with `sanction_parties` and
//! `sanction_batch_measures`), one task per implementing department (`sanction_tasks`) and
//! appeals against credit entries (`credit_appeals`). Their steps and clocks are the shared
//! case mechanism's (`crate::cases`). Every list and get applies the caller's scope through
//! the table's [`Shape`]:
//!
//! - measures are a catalogue: a region reads its own and its ancestors' (every line);
//! - a batch belongs to the lines of the departments party to it (the initiator and every
//!   implementing department, `sanction_parties`);
//! - a task belongs to its implementing department;
//! - appeals concern an entity's credit, which every line shares (like `credit_entries`).

use chrono::{DateTime, NaiveDate, Utc};
use lianjian_domain::case::CaseKind;
use lianjian_domain::credit::RecordStatus;
use lianjian_domain::credit::appeal::{AppealKind, AppealStatus};
use lianjian_domain::credit::sanction::{BatchStatus, Subject, SubjectType, TaskStatus};
use lianjian_domain::region::RegionCode;
use lianjian_domain::scope::Scope;
use sea_orm::{ConnectionTrait, QueryResult, Value};
use serde::Serialize;
use uuid::Uuid;

use crate::cases::{CaseList, one_in_scope};
use crate::scope::{Line, Shape};
use crate::seal::{Sealed, seal_ids};
use crate::{Page, PageRequest, Result, StoreError, placeholders, stmt};

const MEASURE_SHAPE: Shape = Shape {
    region: "sanction_measures.region_code",
    ancestors_visible: true,
    line: Line::Shared,
};
const BATCH_SHAPE: Shape = Shape {
    region: "sanction_batches.region_code",
    ancestors_visible: false,
    line: Line::Through {
        id: "sanction_batches.id",
        table: "sanction_parties",
        key: "batch_id",
        department: "department_id",
    },
};
const TASK_SHAPE: Shape =
    Shape::department("sanction_tasks.region_code", "sanction_tasks.department_id");
const APPEAL_SHAPE: Shape = Shape::shared("credit_appeals.region_code");

fn region(r: &QueryResult, col: &str) -> Result<RegionCode> {
    let s: String = r.try_get("", col)?;
    RegionCode::parse(&s).map_err(|e| StoreError::Corrupt(format!("{col}: {}", e.en)))
}

fn days(r: &QueryResult, col: &str) -> Result<u32> {
    let n: i32 = r.try_get("", col)?;
    u32::try_from(n).map_err(|_| StoreError::Corrupt(format!("{col}: {n}")))
}

fn int(n: u32) -> Value {
    i32::try_from(n).unwrap_or(i32::MAX).into()
}

// ---- measures (惩戒措施目录) ----

/// A measure of the catalogue.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Measure {
    pub id: Uuid,
    #[schema(value_type = String)]
    pub region_code: RegionCode,
    pub name: String,
    pub legal_basis: String,
    /// The implementing department (实施部门).
    pub department_id: Uuid,
    pub subject_type: SubjectType,
    pub default_months: u32,
    /// Raises inspection frequency on this platform: the entity counts as class D for the
    /// measure's period.
    pub class_d: bool,
    pub active: bool,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

const MCOLS: &str = "id, region_code, name, legal_basis, department_id, subject_type, default_months, class_d, active, created_by, created_at, updated_at";

fn measure_from_row(r: &QueryResult) -> Result<Measure> {
    Ok(Measure {
        id: r.try_get("", "id")?,
        region_code: region(r, "region_code")?,
        name: r.try_get("", "name")?,
        legal_basis: r.try_get("", "legal_basis")?,
        department_id: r.try_get("", "department_id")?,
        subject_type: crate::coded(r, "subject_type", SubjectType::parse)?,
        default_months: days(r, "default_months")?,
        class_d: r.try_get("", "class_d")?,
        active: r.try_get("", "active")?,
        created_by: r.try_get("", "created_by")?,
        created_at: r.try_get("", "created_at")?,
        updated_at: r.try_get("", "updated_at")?,
    })
}

fn measure_values(m: &Measure) -> Vec<Value> {
    vec![
        m.id.into(),
        m.region_code.to_string().into(),
        m.name.clone().into(),
        m.legal_basis.clone().into(),
        m.department_id.into(),
        m.subject_type.as_str().into(),
        int(m.default_months),
        m.class_d.into(),
        m.active.into(),
        m.created_by.clone().into(),
        m.created_at.into(),
        m.updated_at.into(),
    ]
}

fn conflict_on_name(e: sea_orm::DbErr) -> StoreError {
    match StoreError::from(e) {
        StoreError::Conflict(_) => {
            StoreError::Conflict("a measure of this name already exists in the region".into())
        }
        other => other,
    }
}

pub async fn insert_measure(c: &impl ConnectionTrait, m: &Measure) -> Result<()> {
    c.execute_raw(stmt(
        c,
        format!(
            "INSERT INTO sanction_measures ({MCOLS}) VALUES ({})",
            placeholders(1, 12)
        ),
        measure_values(m),
    ))
    .await
    .map_err(conflict_on_name)?;
    seal_ids(c, Sealed::SanctionMeasures, &[m.id]).await
}

/// Writes every column of `m` over its row.
pub async fn update_measure(c: &impl ConnectionTrait, m: &Measure) -> Result<()> {
    let r = c
        .execute_raw(stmt(
            c,
            "UPDATE sanction_measures SET region_code = $2, name = $3, legal_basis = $4, \
             department_id = $5, subject_type = $6, default_months = $7, class_d = $8, \
             active = $9, created_by = $10, created_at = $11, updated_at = $12 WHERE id = $1",
            measure_values(m),
        ))
        .await
        .map_err(conflict_on_name)?;
    if r.rows_affected() == 0 {
        return Err(StoreError::NotFound);
    }
    seal_ids(c, Sealed::SanctionMeasures, &[m.id]).await
}

/// One measure within `scope`.
pub async fn get_measure(
    c: &impl ConnectionTrait,
    scope: &Scope,
    id: Uuid,
) -> Result<Option<Measure>> {
    let mut vals: Vec<Value> = vec![id.into()];
    let w = crate::scope::sql(scope, &MEASURE_SHAPE, &mut vals);
    c.query_one_raw(stmt(
        c,
        format!("SELECT {MCOLS} FROM sanction_measures WHERE id = $1 AND {w}"),
        vals,
    ))
    .await?
    .as_ref()
    .map(measure_from_row)
    .transpose()
}

/// The catalogue within `scope` by name (only the active measures if `active_only`).
pub async fn list_measures(
    c: &impl ConnectionTrait,
    scope: &Scope,
    active_only: bool,
) -> Result<Vec<Measure>> {
    let mut vals: Vec<Value> = Vec::new();
    let w = crate::scope::sql(scope, &MEASURE_SHAPE, &mut vals);
    let active = if active_only {
        " AND active = TRUE"
    } else {
        ""
    };
    c.query_all_raw(stmt(
        c,
        format!("SELECT {MCOLS} FROM sanction_measures WHERE {w}{active} ORDER BY name, id"),
        vals,
    ))
    .await?
    .iter()
    .map(measure_from_row)
    .collect()
}

/// Measures by id whatever the scope (the measures a visible batch applies).
pub async fn measures_by_ids(c: &impl ConnectionTrait, ids: &[Uuid]) -> Result<Vec<Measure>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    c.query_all_raw(stmt(
        c,
        format!(
            "SELECT {MCOLS} FROM sanction_measures WHERE id IN ({}) ORDER BY name, id",
            placeholders(1, ids.len())
        ),
        ids.iter().map(|u| Value::from(*u)).collect(),
    ))
    .await?
    .iter()
    .map(measure_from_row)
    .collect()
}

// ---- batches (惩戒批次) ----

/// A batch as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Batch {
    pub id: Uuid,
    pub code: String,
    pub region_code: RegionCode,
    /// The initiating department (发起部门).
    pub department_id: Uuid,
    pub reason: String,
    pub legal_basis: String,
    pub starts_on: NaiveDate,
    pub ends_on: Option<NaiveDate>,
    pub feedback_days: u32,
    /// Entities and responsible persons (ID numbers in full: services mask them).
    pub subjects: Vec<Subject>,
    pub status: BatchStatus,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A measure a batch applies, with its implementing department and last day in force.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BatchMeasure {
    pub measure_id: Uuid,
    pub department_id: Uuid,
    pub until: NaiveDate,
}

const BCOLS: &str = "sanction_batches.id, sanction_batches.code, sanction_batches.region_code, sanction_batches.department_id, sanction_batches.reason, sanction_batches.legal_basis, sanction_batches.starts_on, sanction_batches.ends_on, sanction_batches.feedback_days, sanction_batches.subjects, sanction_batches.status, sanction_batches.created_by, sanction_batches.created_at, sanction_batches.updated_at";

fn batch_from_row(r: &QueryResult) -> Result<Batch> {
    let subjects: String = r.try_get("", "subjects")?;
    Ok(Batch {
        id: r.try_get("", "id")?,
        code: r.try_get("", "code")?,
        region_code: region(r, "region_code")?,
        department_id: r.try_get("", "department_id")?,
        reason: r.try_get("", "reason")?,
        legal_basis: r.try_get("", "legal_basis")?,
        starts_on: r.try_get("", "starts_on")?,
        ends_on: r.try_get("", "ends_on")?,
        feedback_days: days(r, "feedback_days")?,
        subjects: serde_json::from_str(&subjects)
            .map_err(|e| StoreError::Corrupt(format!("sanction_batches.subjects: {e}")))?,
        status: crate::coded(r, "status", BatchStatus::parse)?,
        created_by: r.try_get("", "created_by")?,
        created_at: r.try_get("", "created_at")?,
        updated_at: r.try_get("", "updated_at")?,
    })
}

/// Inserts a batch with the measures it applies; the parties are the initiator and every
/// implementing department.
pub async fn insert_batch(
    c: &impl ConnectionTrait,
    b: &Batch,
    measures: &[BatchMeasure],
) -> Result<()> {
    c.execute_raw(stmt(
        c,
        format!(
            "INSERT INTO sanction_batches ({}) VALUES ({})",
            BCOLS.replace("sanction_batches.", ""),
            placeholders(1, 14)
        ),
        vec![
            b.id.into(),
            b.code.clone().into(),
            b.region_code.to_string().into(),
            b.department_id.into(),
            b.reason.clone().into(),
            b.legal_basis.clone().into(),
            b.starts_on.into(),
            b.ends_on.into(),
            int(b.feedback_days),
            serde_json::to_string(&b.subjects)
                .expect("subjects serialize")
                .into(),
            b.status.as_str().into(),
            b.created_by.clone().into(),
            b.created_at.into(),
            b.updated_at.into(),
        ],
    ))
    .await?;
    let mut parties = vec![b.department_id];
    for m in measures {
        c.execute_raw(stmt(
            c,
            "INSERT INTO sanction_batch_measures (batch_id, measure_id, department_id, until) VALUES ($1, $2, $3, $4)",
            vec![b.id.into(), m.measure_id.into(), m.department_id.into(), m.until.into()],
        ))
        .await?;
        if !parties.contains(&m.department_id) {
            parties.push(m.department_id);
        }
    }
    for d in parties {
        c.execute_raw(stmt(
            c,
            "INSERT INTO sanction_parties (batch_id, department_id) VALUES ($1, $2)",
            vec![b.id.into(), d.into()],
        ))
        .await?;
    }
    seal_ids(c, Sealed::SanctionBatches, &[b.id]).await
}

/// Moves a batch's status when it still is `from` (compare-and-set). False when it had moved.
pub async fn set_batch_status(
    c: &impl ConnectionTrait,
    id: Uuid,
    from: BatchStatus,
    to: BatchStatus,
    at: DateTime<Utc>,
) -> Result<bool> {
    let r = c
        .execute_raw(stmt(
            c,
            "UPDATE sanction_batches SET status = $3, updated_at = $4 WHERE id = $1 AND status = $2",
            vec![id.into(), from.as_str().into(), to.as_str().into(), at.into()],
        ))
        .await?;
    sealed_if_moved(c, Sealed::SanctionBatches, id, r.rows_affected()).await
}

/// Seals the row of a compare-and-set write that took effect; says whether it did.
async fn sealed_if_moved(c: &impl ConnectionTrait, t: Sealed, id: Uuid, rows: u64) -> Result<bool> {
    if rows != 1 {
        return Ok(false);
    }
    seal_ids(c, t, &[id]).await?;
    Ok(true)
}

/// One batch within `scope`.
pub async fn get_batch(c: &impl ConnectionTrait, scope: &Scope, id: Uuid) -> Result<Option<Batch>> {
    one_in_scope(
        c,
        ("sanction_batches", &BATCH_SHAPE),
        BCOLS,
        scope,
        id,
        batch_from_row,
    )
    .await
}

/// The measures a batch applies.
pub async fn batch_measures(c: &impl ConnectionTrait, batch_id: Uuid) -> Result<Vec<BatchMeasure>> {
    c.query_all_raw(stmt(
        c,
        "SELECT measure_id, department_id, until FROM sanction_batch_measures WHERE batch_id = $1 ORDER BY department_id, measure_id",
        vec![batch_id.into()],
    ))
    .await?
    .iter()
    .map(|r| {
        Ok(BatchMeasure {
            measure_id: r.try_get("", "measure_id")?,
            department_id: r.try_get("", "department_id")?,
            until: r.try_get("", "until")?,
        })
    })
    .collect()
}

/// Filters of the batch list.
#[derive(Debug, Clone, Default)]
pub struct BatchQuery {
    pub status: Option<BatchStatus>,
    /// A fragment of the code or the reason.
    pub q: Option<String>,
}

/// A page of batches within `scope`, newest first.
pub async fn list_batches(
    c: &impl ConnectionTrait,
    scope: &Scope,
    q: &BatchQuery,
    page: PageRequest,
) -> Result<Page<Batch>> {
    let order = "sanction_batches.created_at DESC, sanction_batches.id";
    CaseList::scoped("sanction_batches", scope, &BATCH_SHAPE)
        .equals("sanction_batches.status", q.status.map(BatchStatus::as_str))
        .containing(
            &["sanction_batches.code", "sanction_batches.reason"],
            q.q.as_deref(),
        )
        .page(c, BCOLS, order, page, batch_from_row)
        .await
}

// ---- tasks (执行任务) ----

/// An implementing department's task.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Task {
    pub id: Uuid,
    pub code: String,
    pub batch_id: Uuid,
    pub region_code: RegionCode,
    pub department_id: Uuid,
    pub status: TaskStatus,
    /// 执行情况 (or why it could not be carried out).
    pub feedback: Option<String>,
    pub applied_on: Option<NaiveDate>,
    pub until: NaiveDate,
    /// How many times it was chased (督办).
    pub supervised: u32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

const TCOLS: &str = "sanction_tasks.id, sanction_tasks.code, sanction_tasks.batch_id, sanction_tasks.region_code, sanction_tasks.department_id, sanction_tasks.status, sanction_tasks.feedback, sanction_tasks.applied_on, sanction_tasks.until, sanction_tasks.supervised, sanction_tasks.created_at, sanction_tasks.updated_at";

fn task_from_row(r: &QueryResult) -> Result<Task> {
    Ok(Task {
        id: r.try_get("", "id")?,
        code: r.try_get("", "code")?,
        batch_id: r.try_get("", "batch_id")?,
        region_code: region(r, "region_code")?,
        department_id: r.try_get("", "department_id")?,
        status: crate::coded(r, "status", TaskStatus::parse)?,
        feedback: r.try_get("", "feedback")?,
        applied_on: r.try_get("", "applied_on")?,
        until: r.try_get("", "until")?,
        supervised: days(r, "supervised")?,
        created_at: r.try_get("", "created_at")?,
        updated_at: r.try_get("", "updated_at")?,
    })
}

fn task_values(t: &Task) -> Vec<Value> {
    vec![
        t.id.into(),
        t.code.clone().into(),
        t.batch_id.into(),
        t.region_code.to_string().into(),
        t.department_id.into(),
        t.status.as_str().into(),
        t.feedback.clone().into(),
        t.applied_on.into(),
        t.until.into(),
        int(t.supervised),
        t.created_at.into(),
        t.updated_at.into(),
    ]
}

pub async fn insert_task(c: &impl ConnectionTrait, t: &Task) -> Result<()> {
    c.execute_raw(stmt(
        c,
        format!(
            "INSERT INTO sanction_tasks ({}) VALUES ({})",
            TCOLS.replace("sanction_tasks.", ""),
            placeholders(1, 12)
        ),
        task_values(t),
    ))
    .await?;
    seal_ids(c, Sealed::SanctionTasks, &[t.id]).await
}

/// Writes `t` over its row when the row's status still is `from` (compare-and-set: two
/// racing steps cannot both apply). False when it had moved.
pub async fn set_task(c: &impl ConnectionTrait, from: TaskStatus, t: &Task) -> Result<bool> {
    let mut vals = task_values(t);
    vals.push(from.as_str().into());
    let r = c
        .execute_raw(stmt(
            c,
            "UPDATE sanction_tasks SET code = $2, batch_id = $3, region_code = $4, \
             department_id = $5, status = $6, feedback = $7, applied_on = $8, until = $9, \
             supervised = $10, created_at = $11, updated_at = $12 WHERE id = $1 AND status = $13",
            vals,
        ))
        .await?;
    sealed_if_moved(c, Sealed::SanctionTasks, t.id, r.rows_affected()).await
}

/// One task within `scope`.
pub async fn get_task(c: &impl ConnectionTrait, scope: &Scope, id: Uuid) -> Result<Option<Task>> {
    one_in_scope(
        c,
        ("sanction_tasks", &TASK_SHAPE),
        TCOLS,
        scope,
        id,
        task_from_row,
    )
    .await
}

/// The tasks of a batch (the caller has checked that the batch is visible).
pub async fn tasks_of_batch(c: &impl ConnectionTrait, batch_id: Uuid) -> Result<Vec<Task>> {
    c.query_all_raw(stmt(
        c,
        format!("SELECT {TCOLS} FROM sanction_tasks WHERE batch_id = $1 ORDER BY code"),
        vec![batch_id.into()],
    ))
    .await?
    .iter()
    .map(task_from_row)
    .collect()
}

/// Filters of the task list.
#[derive(Debug, Clone, Default)]
pub struct TaskQuery {
    pub statuses: Vec<TaskStatus>,
    pub department_id: Option<Uuid>,
    pub batch_id: Option<Uuid>,
    /// Only tasks whose running feedback clock is due in `[from, before)` (the 即将超时 and
    /// 已超时 queues; dates computed on the calendar by the caller).
    pub feedback_due: Option<(Option<NaiveDate>, NaiveDate)>,
}

fn tasks_listed(scope: &Scope, q: &TaskQuery) -> CaseList {
    CaseList::scoped("sanction_tasks", scope, &TASK_SHAPE)
        .statuses("sanction_tasks.status", &q.statuses)
        .equals("sanction_tasks.department_id", q.department_id)
        .equals("sanction_tasks.batch_id", q.batch_id)
        .clocks_due(CaseKind::SanctionTask, &["feedback"], q.feedback_due)
}

/// A page of tasks within `scope`, oldest first (the longest waiting on top).
pub async fn list_tasks(
    c: &impl ConnectionTrait,
    scope: &Scope,
    q: &TaskQuery,
    page: PageRequest,
) -> Result<Page<Task>> {
    let order = "sanction_tasks.created_at, sanction_tasks.id";
    tasks_listed(scope, q)
        .page(c, TCOLS, order, page, task_from_row)
        .await
}

/// How many tasks within `scope` match `q`.
pub async fn count_tasks(c: &impl ConnectionTrait, scope: &Scope, q: &TaskQuery) -> Result<u64> {
    tasks_listed(scope, q).count(c).await
}

/// Tasks carried out whose every measure ended before `today` (the lifting pass; the server
/// acts on every region).
pub async fn tasks_to_lift(c: &impl ConnectionTrait, today: NaiveDate) -> Result<Vec<Uuid>> {
    c.query_all_raw(stmt(
        c,
        "SELECT id FROM sanction_tasks WHERE status = $1 AND until < $2 ORDER BY until, id",
        vec![TaskStatus::Applied.as_str().into(), today.into()],
    ))
    .await?
    .iter()
    .map(|r| Ok(r.try_get("", "id")?))
    .collect()
}

/// Sanction entries (`credit_entries` written by a task) still in force whose period ended
/// before `today`: (id, last day in force).
pub async fn sanction_entries_to_end(
    c: &impl ConnectionTrait,
    today: NaiveDate,
) -> Result<Vec<(Uuid, NaiveDate)>> {
    c.query_all_raw(stmt(
        c,
        "SELECT id, publish_until FROM credit_entries WHERE kind = 'sanction' AND source = 'sanction' \
         AND status = $1 AND publish_until < $2 ORDER BY publish_until, id",
        vec![RecordStatus::Active.as_str().into(), today.into()],
    ))
    .await?
    .iter()
    .map(|r| Ok((r.try_get("", "id")?, r.try_get("", "publish_until")?)))
    .collect()
}

/// The credit entries a task wrote (their reference starts with the task's code).
pub async fn entries_of_task(c: &impl ConnectionTrait, task_code: &str) -> Result<Vec<Uuid>> {
    c.query_all_raw(stmt(
        c,
        "SELECT id FROM credit_entries WHERE kind = 'sanction' AND reference LIKE $1 ORDER BY reference",
        vec![format!("{task_code}/%").into()],
    ))
    .await?
    .iter()
    .map(|r| Ok(r.try_get("", "id")?))
    .collect()
}

/// One row of the statistics: tasks of a department in a status applying a measure.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatRow {
    pub measure_id: Uuid,
    pub department_id: Uuid,
    pub status: TaskStatus,
    pub tasks: u64,
}

/// Tasks within `scope` created in `[from, to]` (Beijing dates as UTC bounds given by the
/// caller), counted by measure, implementing department and status.
pub async fn statistics(
    c: &impl ConnectionTrait,
    scope: &Scope,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<Vec<StatRow>> {
    let mut vals: Vec<Value> = vec![from.into(), to.into()];
    let w = crate::scope::sql(scope, &TASK_SHAPE, &mut vals);
    c.query_all_raw(stmt(
        c,
        format!(
            "SELECT bm.measure_id, sanction_tasks.department_id, sanction_tasks.status, COUNT(*) AS n \
             FROM sanction_tasks JOIN sanction_batch_measures bm \
               ON bm.batch_id = sanction_tasks.batch_id AND bm.department_id = sanction_tasks.department_id \
             WHERE sanction_tasks.created_at >= $1 AND sanction_tasks.created_at < $2 AND {w} \
             GROUP BY bm.measure_id, sanction_tasks.department_id, sanction_tasks.status"
        ),
        vals,
    ))
    .await?
    .iter()
    .map(|r| {
        let n: i64 = r.try_get("", "n")?;
        Ok(StatRow {
            measure_id: r.try_get("", "measure_id")?,
            department_id: r.try_get("", "department_id")?,
            status: crate::coded(r, "status", TaskStatus::parse)?,
            tasks: u64::try_from(n).unwrap_or(0),
        })
    })
    .collect()
}

// ---- appeals (异议与信用修复) ----

/// An objection or a repair application against a credit entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Appeal {
    pub id: Uuid,
    pub code: String,
    pub kind: AppealKind,
    pub entry_id: Uuid,
    pub entity_id: Uuid,
    pub region_code: RegionCode,
    /// The department that recorded the entry (none for another authority's).
    pub department_id: Option<Uuid>,
    pub applicant: String,
    pub statement: String,
    pub status: AppealStatus,
    /// The decision's reasons.
    pub decision: Option<String>,
    pub decided_on: Option<NaiveDate>,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

const ACOLS: &str = "credit_appeals.id, credit_appeals.code, credit_appeals.kind, credit_appeals.entry_id, credit_appeals.entity_id, credit_appeals.region_code, credit_appeals.department_id, credit_appeals.applicant, credit_appeals.statement, credit_appeals.status, credit_appeals.decision, credit_appeals.decided_on, credit_appeals.created_by, credit_appeals.created_at, credit_appeals.updated_at";

fn appeal_from_row(r: &QueryResult) -> Result<Appeal> {
    Ok(Appeal {
        id: r.try_get("", "id")?,
        code: r.try_get("", "code")?,
        kind: crate::coded(r, "kind", AppealKind::parse)?,
        entry_id: r.try_get("", "entry_id")?,
        entity_id: r.try_get("", "entity_id")?,
        region_code: region(r, "region_code")?,
        department_id: r.try_get("", "department_id")?,
        applicant: r.try_get("", "applicant")?,
        statement: r.try_get("", "statement")?,
        status: crate::coded(r, "status", AppealStatus::parse)?,
        decision: r.try_get("", "decision")?,
        decided_on: r.try_get("", "decided_on")?,
        created_by: r.try_get("", "created_by")?,
        created_at: r.try_get("", "created_at")?,
        updated_at: r.try_get("", "updated_at")?,
    })
}

fn appeal_values(a: &Appeal) -> Vec<Value> {
    vec![
        a.id.into(),
        a.code.clone().into(),
        a.kind.as_str().into(),
        a.entry_id.into(),
        a.entity_id.into(),
        a.region_code.to_string().into(),
        a.department_id.into(),
        a.applicant.clone().into(),
        a.statement.clone().into(),
        a.status.as_str().into(),
        a.decision.clone().into(),
        a.decided_on.into(),
        a.created_by.clone().into(),
        a.created_at.into(),
        a.updated_at.into(),
    ]
}

pub async fn insert_appeal(c: &impl ConnectionTrait, a: &Appeal) -> Result<()> {
    c.execute_raw(stmt(
        c,
        format!(
            "INSERT INTO credit_appeals ({}) VALUES ({})",
            ACOLS.replace("credit_appeals.", ""),
            placeholders(1, 15)
        ),
        appeal_values(a),
    ))
    .await?;
    seal_ids(c, Sealed::CreditAppeals, &[a.id]).await
}

/// Records a decision when the appeal still waits for one (compare-and-set).
pub async fn decide_appeal(c: &impl ConnectionTrait, a: &Appeal) -> Result<bool> {
    let r = c
        .execute_raw(stmt(
            c,
            "UPDATE credit_appeals SET status = $2, decision = $3, decided_on = $4, updated_at = $5 \
             WHERE id = $1 AND status = $6",
            vec![
                a.id.into(),
                a.status.as_str().into(),
                a.decision.clone().into(),
                a.decided_on.into(),
                a.updated_at.into(),
                AppealStatus::Submitted.as_str().into(),
            ],
        ))
        .await?;
    sealed_if_moved(c, Sealed::CreditAppeals, a.id, r.rows_affected()).await
}

/// One appeal within `scope`.
pub async fn get_appeal(
    c: &impl ConnectionTrait,
    scope: &Scope,
    id: Uuid,
) -> Result<Option<Appeal>> {
    one_in_scope(
        c,
        ("credit_appeals", &APPEAL_SHAPE),
        ACOLS,
        scope,
        id,
        appeal_from_row,
    )
    .await
}

/// The appeal of an entry still waiting for a decision, if any.
pub async fn open_appeal_of(c: &impl ConnectionTrait, entry_id: Uuid) -> Result<Option<Appeal>> {
    c.query_one_raw(stmt(
        c,
        format!("SELECT {ACOLS} FROM credit_appeals WHERE entry_id = $1 AND status = $2"),
        vec![entry_id.into(), AppealStatus::Submitted.as_str().into()],
    ))
    .await?
    .as_ref()
    .map(appeal_from_row)
    .transpose()
}

/// Filters of the appeal list.
#[derive(Debug, Clone, Default)]
pub struct AppealQuery {
    pub kind: Option<AppealKind>,
    /// Any of these statuses (all if empty).
    pub statuses: Vec<AppealStatus>,
    pub entity_id: Option<Uuid>,
    /// Only appeals whose running decision clock is due in `[from, before)`.
    pub decide_due: Option<(Option<NaiveDate>, NaiveDate)>,
}

/// A page of appeals within `scope`, oldest first.
pub async fn list_appeals(
    c: &impl ConnectionTrait,
    scope: &Scope,
    q: &AppealQuery,
    page: PageRequest,
) -> Result<Page<Appeal>> {
    let order = "credit_appeals.created_at, credit_appeals.id";
    CaseList::scoped("credit_appeals", scope, &APPEAL_SHAPE)
        .equals("credit_appeals.kind", q.kind.map(AppealKind::as_str))
        .statuses("credit_appeals.status", &q.statuses)
        .equals("credit_appeals.entity_id", q.entity_id)
        .and_some(q.decide_due, |(from, before), vals| {
            // Either kind's clock: the two kinds keep their clocks under their own case kind.
            let decide = [("decide", from, before)];
            let id = "credit_appeals.id";
            let a = crate::cases::clock_due_condition(CaseKind::CreditObjection, id, &decide, vals);
            let b = crate::cases::clock_due_condition(CaseKind::CreditRepair, id, &decide, vals);
            format!("({a} OR {b})")
        })
        .page(c, ACOLS, order, page, appeal_from_row)
        .await
}

/// The next number of a code prefix (`CJ-411121-2026-` …), shared with the clue codes' counter.
pub async fn next_code_number(c: &impl ConnectionTrait, prefix: &str) -> Result<u64> {
    crate::clues::next_code_number(c, prefix).await
}

/// Tasks within `scope` created in `[from, to)`, counted by implementing department and
/// status (each task once).
pub async fn task_counts_by_department(
    c: &impl ConnectionTrait,
    scope: &Scope,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<Vec<(Uuid, TaskStatus, u64)>> {
    let mut vals: Vec<Value> = vec![from.into(), to.into()];
    let w = crate::scope::sql(scope, &TASK_SHAPE, &mut vals);
    c.query_all_raw(stmt(
        c,
        format!(
            "SELECT sanction_tasks.department_id, sanction_tasks.status, COUNT(*) AS n FROM sanction_tasks \
             WHERE sanction_tasks.created_at >= $1 AND sanction_tasks.created_at < $2 AND {w} \
             GROUP BY sanction_tasks.department_id, sanction_tasks.status"
        ),
        vals,
    ))
    .await?
    .iter()
    .map(|r| {
        let n: i64 = r.try_get("", "n")?;
        Ok((
            r.try_get("", "department_id")?,
            crate::coded(r, "status", TaskStatus::parse)?,
            u64::try_from(n).unwrap_or(0),
        ))
    })
    .collect()
}
