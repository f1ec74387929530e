//! Consultations and circulars (议事会商、情况通报, issue 17 item 3): `consultations` with their
//! participants, decisions and tasks, and `circulars` with their recipients' read receipts.
//! Steps and clocks are the shared case mechanism's (`crate::cases`, kinds `consultation`,
//! `consult_task`, `circular`).
//!
//! Scope: a consultation is visible when its convener (region and department) is in the
//! reader's scope, or one of its participants is — through the one scope builder applied to
//! the participants' join table; an office sees what was convened in its region subtree, a
//! department's staff what their line convened or takes part in, no one else. A task is
//! visible with its consultation (its owner department is always a participant). A circular
//! likewise: its issuer, or one of its recipient departments.

use chrono::{DateTime, NaiveDate, Utc};
use lianjian_domain::consultation::{ConsultationStatus, ConsultationTaskStatus, LinkKind};
use lianjian_domain::scope::Scope;
use sea_orm::{ConnectionTrait, QueryResult, Value};
use uuid::Uuid;

use crate::cases::{CaseList, one_within};
use crate::scope::Shape;
use crate::{Page, PageRequest, Result, placeholders, stmt};

const CONVENER: Shape = Shape::department(
    "consultations.region_code",
    "consultations.convener_department_id",
);
const PARTICIPANT: Shape = Shape::department("p.region_code", "p.department_id");

/// The scope as SQL on `consultations`: the convener or a participant in scope.
fn visible(scope: &Scope, vals: &mut Vec<Value>) -> String {
    let own = crate::scope::sql(scope, &CONVENER, vals);
    let part = crate::scope::sql(scope, &PARTICIPANT, vals);
    format!(
        "(({own}) OR consultations.id IN (SELECT p.consultation_id FROM consultation_participants p WHERE {part}))"
    )
}

#[derive(Debug, Clone, PartialEq)]
pub struct Consultation {
    pub id: Uuid,
    pub code: String,
    pub title: String,
    pub topic: String,
    pub agenda: String,
    pub place: String,
    pub meets_at: DateTime<Utc>,
    pub status: ConsultationStatus,
    pub region_code: String,
    pub convener_department_id: Uuid,
    pub by_office: bool,
    pub minutes: Option<String>,
    pub link_kind: Option<LinkKind>,
    pub link_id: Option<Uuid>,
    /// Why it was cancelled.
    pub outcome: Option<String>,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

const COLS: &str = "consultations.id, consultations.code, consultations.title, consultations.topic, \
    consultations.agenda, consultations.place, consultations.meets_at, consultations.status, \
    consultations.region_code, consultations.convener_department_id, consultations.by_office, \
    consultations.minutes, consultations.link_kind, consultations.link_id, consultations.outcome, \
    consultations.created_by, consultations.created_at, consultations.updated_at";

fn from_row(r: &QueryResult) -> Result<Consultation> {
    Ok(Consultation {
        id: r.try_get("", "id")?,
        code: r.try_get("", "code")?,
        title: r.try_get("", "title")?,
        topic: r.try_get("", "topic")?,
        agenda: r.try_get("", "agenda")?,
        place: r.try_get("", "place")?,
        meets_at: r.try_get("", "meets_at")?,
        status: crate::coded(r, "status", ConsultationStatus::parse)?,
        region_code: r.try_get("", "region_code")?,
        convener_department_id: r.try_get("", "convener_department_id")?,
        by_office: r.try_get("", "by_office")?,
        minutes: r.try_get("", "minutes")?,
        link_kind: crate::coded_opt(r, "link_kind", LinkKind::parse)?,
        link_id: r.try_get("", "link_id")?,
        outcome: r.try_get("", "outcome")?,
        created_by: r.try_get("", "created_by")?,
        created_at: r.try_get("", "created_at")?,
        updated_at: r.try_get("", "updated_at")?,
    })
}

/// A participating department, with the staff named for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Participant {
    pub department_id: Uuid,
    pub region_code: String,
    pub attendees: Option<String>,
}

/// Writes a consultation and its participants.
pub async fn insert(
    c: &impl ConnectionTrait,
    x: &Consultation,
    parts: &[Participant],
) -> Result<()> {
    c.execute_raw(stmt(
        c,
        format!(
            "INSERT INTO consultations ({}) VALUES ({})",
            COLS.replace("consultations.", ""),
            placeholders(1, 18)
        ),
        vec![
            x.id.into(),
            x.code.clone().into(),
            x.title.clone().into(),
            x.topic.clone().into(),
            x.agenda.clone().into(),
            x.place.clone().into(),
            x.meets_at.into(),
            x.status.as_str().into(),
            x.region_code.clone().into(),
            x.convener_department_id.into(),
            x.by_office.into(),
            x.minutes.clone().into(),
            x.link_kind.map(|k| k.as_str().to_string()).into(),
            x.link_id.into(),
            x.outcome.clone().into(),
            x.created_by.clone().into(),
            x.created_at.into(),
            x.updated_at.into(),
        ],
    ))
    .await?;
    add_participants(c, x.id, parts).await
}

/// Adds participants (a task's owner department joins the consultation it works for).
pub async fn add_participants(
    c: &impl ConnectionTrait,
    id: Uuid,
    parts: &[Participant],
) -> Result<()> {
    for p in parts {
        c.execute_raw(stmt(
            c,
            "INSERT INTO consultation_participants (consultation_id, department_id, region_code, attendees) \
             VALUES ($1, $2, $3, $4) ON CONFLICT (consultation_id, department_id) DO NOTHING",
            vec![
                id.into(),
                p.department_id.into(),
                p.region_code.clone().into(),
                p.attendees.clone().into(),
            ],
        ))
        .await?;
    }
    Ok(())
}

/// A consultation's participants, in the order written.
pub async fn participants_of(c: &impl ConnectionTrait, id: Uuid) -> Result<Vec<Participant>> {
    c.query_all_raw(stmt(
        c,
        "SELECT p.department_id, p.region_code, p.attendees FROM consultation_participants p \
         LEFT JOIN departments d ON d.id = p.department_id \
         WHERE p.consultation_id = $1 ORDER BY d.sort_order, p.department_id",
        vec![id.into()],
    ))
    .await?
    .iter()
    .map(|r| {
        Ok(Participant {
            department_id: r.try_get("", "department_id")?,
            region_code: r.try_get("", "region_code")?,
            attendees: r.try_get("", "attendees")?,
        })
    })
    .collect()
}

/// What a step changes besides the status (each `None` keeps the column).
#[derive(Debug, Clone, Default)]
pub struct Change {
    pub minutes: Option<String>,
    pub outcome: Option<String>,
}

/// Moves consultation `id` from `from` to `to` (compare-and-set on the status read: false if
/// it changed meanwhile).
pub async fn set_state(
    c: &impl ConnectionTrait,
    id: Uuid,
    from: ConsultationStatus,
    to: ConsultationStatus,
    now: DateTime<Utc>,
    change: &Change,
) -> Result<bool> {
    let r = c
        .execute_raw(stmt(
            c,
            "UPDATE consultations SET status = $1, updated_at = $2, minutes = COALESCE($3, minutes), \
             outcome = COALESCE($4, outcome) WHERE id = $5 AND status = $6",
            vec![
                to.as_str().into(),
                now.into(),
                change.minutes.clone().into(),
                change.outcome.clone().into(),
                id.into(),
                from.as_str().into(),
            ],
        ))
        .await?;
    Ok(r.rows_affected() > 0)
}

/// One consultation within `scope`.
pub async fn get(
    c: &impl ConnectionTrait,
    scope: &Scope,
    id: Uuid,
) -> Result<Option<Consultation>> {
    one_within(
        c,
        "consultations",
        COLS,
        id,
        |v| visible(scope, v),
        from_row,
    )
    .await
}

/// Filters of a consultation list (the scope limits it further).
#[derive(Debug, Clone, Default)]
pub struct ConsultationQuery {
    pub statuses: Vec<ConsultationStatus>,
    /// Code, title or topic contains this.
    pub q: Option<String>,
}

fn listed(scope: &Scope, q: &ConsultationQuery) -> CaseList {
    CaseList::new("consultations", |v| visible(scope, v))
        .statuses("consultations.status", &q.statuses)
        .containing(
            &[
                "consultations.code",
                "consultations.title",
                "consultations.topic",
            ],
            q.q.as_deref(),
        )
}

/// A page of consultations within `scope`, the latest meeting first.
pub async fn list(
    c: &impl ConnectionTrait,
    scope: &Scope,
    q: &ConsultationQuery,
    page: PageRequest,
) -> Result<Page<Consultation>> {
    let order = "consultations.meets_at DESC, consultations.id DESC";
    listed(scope, q).page(c, COLS, order, page, from_row).await
}

/// How many consultations within `scope` match `q`.
pub async fn count(c: &impl ConnectionTrait, scope: &Scope, q: &ConsultationQuery) -> Result<u64> {
    listed(scope, q).count(c).await
}

// ---- decisions and tasks ----

/// A decision of the minutes (会商决定), numbered from 1.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision {
    pub id: Uuid,
    pub consultation_id: Uuid,
    pub seq: i32,
    pub text: String,
}

pub async fn insert_decision(c: &impl ConnectionTrait, d: &Decision) -> Result<()> {
    c.execute_raw(stmt(
        c,
        "INSERT INTO consultation_decisions (id, consultation_id, seq, text) VALUES ($1, $2, $3, $4)",
        vec![
            d.id.into(),
            d.consultation_id.into(),
            d.seq.into(),
            d.text.clone().into(),
        ],
    ))
    .await?;
    Ok(())
}

pub async fn decisions_of(c: &impl ConnectionTrait, id: Uuid) -> Result<Vec<Decision>> {
    c.query_all_raw(stmt(
        c,
        "SELECT id, consultation_id, seq, text FROM consultation_decisions WHERE consultation_id = $1 ORDER BY seq",
        vec![id.into()],
    ))
    .await?
    .iter()
    .map(|r| {
        Ok(Decision {
            id: r.try_get("", "id")?,
            consultation_id: r.try_get("", "consultation_id")?,
            seq: r.try_get("", "seq")?,
            text: r.try_get("", "text")?,
        })
    })
    .collect()
}

/// A decision's task for one owner department (会商任务).
#[derive(Debug, Clone, PartialEq)]
pub struct Task {
    pub id: Uuid,
    pub code: String,
    pub consultation_id: Uuid,
    pub decision_id: Uuid,
    pub department_id: Uuid,
    pub region_code: String,
    pub description: String,
    pub deadline_days: u32,
    pub status: ConsultationTaskStatus,
    pub report: Option<String>,
    /// How many times the office chased it (督办).
    pub supervised: i32,
    /// The server escalated it to the office once overdue (超时上报).
    pub escalated: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub done_at: Option<DateTime<Utc>>,
}

const TCOLS: &str = "consultation_tasks.id, consultation_tasks.code, consultation_tasks.consultation_id, \
    consultation_tasks.decision_id, consultation_tasks.department_id, consultation_tasks.region_code, \
    consultation_tasks.description, consultation_tasks.deadline_days, consultation_tasks.status, \
    consultation_tasks.report, consultation_tasks.supervised, consultation_tasks.escalated, \
    consultation_tasks.created_at, consultation_tasks.updated_at, consultation_tasks.done_at";

fn task_from_row(r: &QueryResult) -> Result<Task> {
    let days: i32 = r.try_get("", "deadline_days")?;
    Ok(Task {
        id: r.try_get("", "id")?,
        code: r.try_get("", "code")?,
        consultation_id: r.try_get("", "consultation_id")?,
        decision_id: r.try_get("", "decision_id")?,
        department_id: r.try_get("", "department_id")?,
        region_code: r.try_get("", "region_code")?,
        description: r.try_get("", "description")?,
        deadline_days: u32::try_from(days).unwrap_or(0),
        status: crate::coded(r, "status", ConsultationTaskStatus::parse)?,
        report: r.try_get("", "report")?,
        supervised: r.try_get("", "supervised")?,
        escalated: r.try_get("", "escalated")?,
        created_at: r.try_get("", "created_at")?,
        updated_at: r.try_get("", "updated_at")?,
        done_at: r.try_get("", "done_at")?,
    })
}

fn task_values(t: &Task) -> Vec<Value> {
    vec![
        t.id.into(),
        t.code.clone().into(),
        t.consultation_id.into(),
        t.decision_id.into(),
        t.department_id.into(),
        t.region_code.clone().into(),
        t.description.clone().into(),
        i32::try_from(t.deadline_days).unwrap_or(i32::MAX).into(),
        t.status.as_str().into(),
        t.report.clone().into(),
        t.supervised.into(),
        t.escalated.into(),
        t.created_at.into(),
        t.updated_at.into(),
        t.done_at.into(),
    ]
}

pub async fn insert_task(c: &impl ConnectionTrait, t: &Task) -> Result<()> {
    c.execute_raw(stmt(
        c,
        format!(
            "INSERT INTO consultation_tasks ({}) VALUES ({})",
            TCOLS.replace("consultation_tasks.", ""),
            placeholders(1, 15)
        ),
        task_values(t),
    ))
    .await?;
    Ok(())
}

/// Writes task `after` if it is still as `before` was read (status, 督办 count, escalation:
/// compare-and-set, false if it changed meanwhile).
pub async fn set_task(c: &impl ConnectionTrait, before: &Task, after: &Task) -> Result<bool> {
    let r = c
        .execute_raw(stmt(
            c,
            "UPDATE consultation_tasks SET status = $1, report = $2, supervised = $3, escalated = $4, \
             updated_at = $5, done_at = $6 WHERE id = $7 AND status = $8 AND supervised = $9 AND escalated = $10",
            vec![
                after.status.as_str().into(),
                after.report.clone().into(),
                after.supervised.into(),
                after.escalated.into(),
                after.updated_at.into(),
                after.done_at.into(),
                before.id.into(),
                before.status.as_str().into(),
                before.supervised.into(),
                before.escalated.into(),
            ],
        ))
        .await?;
    Ok(r.rows_affected() > 0)
}

/// A consultation's tasks, by decision and code.
pub async fn tasks_of(c: &impl ConnectionTrait, consultation_id: Uuid) -> Result<Vec<Task>> {
    c.query_all_raw(stmt(
        c,
        format!("SELECT {TCOLS} FROM consultation_tasks WHERE consultation_id = $1 ORDER BY code"),
        vec![consultation_id.into()],
    ))
    .await?
    .iter()
    .map(task_from_row)
    .collect()
}

/// The scope of tasks: their consultation in scope.
fn task_visible(scope: &Scope, vals: &mut Vec<Value>) -> String {
    let w = visible(scope, vals);
    format!(
        "consultation_tasks.consultation_id IN (SELECT consultations.id FROM consultations WHERE {w})"
    )
}

/// One task within `scope`.
pub async fn get_task(c: &impl ConnectionTrait, scope: &Scope, id: Uuid) -> Result<Option<Task>> {
    let visible = |v: &mut Vec<Value>| task_visible(scope, v);
    one_within(c, "consultation_tasks", TCOLS, id, visible, task_from_row).await
}

/// Filters of a task list (the scope limits it further).
#[derive(Debug, Clone, Default)]
pub struct TaskQuery {
    pub statuses: Vec<ConsultationTaskStatus>,
    pub department_id: Option<Uuid>,
    pub consultation_id: Option<Uuid>,
    /// The running clock due in `[from, before)` (即将超时 / 已超时).
    pub due: Option<(Option<NaiveDate>, NaiveDate)>,
    /// Code or description contains this.
    pub q: Option<String>,
}

fn tasks_listed(scope: &Scope, q: &TaskQuery) -> CaseList {
    CaseList::new("consultation_tasks", |v| task_visible(scope, v))
        .statuses("consultation_tasks.status", &q.statuses)
        .equals("consultation_tasks.department_id", q.department_id)
        .equals("consultation_tasks.consultation_id", q.consultation_id)
        .clocks_due(
            lianjian_domain::case::CaseKind::ConsultTask,
            &["finish"],
            q.due,
        )
        .containing(
            &["consultation_tasks.code", "consultation_tasks.description"],
            q.q.as_deref(),
        )
}

/// A page of tasks within `scope`, the oldest first (the longest waiting on top).
pub async fn list_tasks(
    c: &impl ConnectionTrait,
    scope: &Scope,
    q: &TaskQuery,
    page: PageRequest,
) -> Result<Page<Task>> {
    let order = "consultation_tasks.created_at, consultation_tasks.code";
    tasks_listed(scope, q)
        .page(c, TCOLS, order, page, task_from_row)
        .await
}

pub async fn count_tasks(c: &impl ConnectionTrait, scope: &Scope, q: &TaskQuery) -> Result<u64> {
    tasks_listed(scope, q).count(c).await
}

/// Running tasks whose clock was due before `today` and which were not escalated yet (the
/// server's pass), oldest first, at most `limit`.
pub async fn overdue_unescalated(
    c: &impl ConnectionTrait,
    today: NaiveDate,
    limit: u64,
) -> Result<Vec<Task>> {
    let mut vals: Vec<Value> = vec![false.into()];
    let due = crate::cases::clock_due_condition(
        lianjian_domain::case::CaseKind::ConsultTask,
        "consultation_tasks.id",
        &[("finish", None, today)],
        &mut vals,
    );
    c.query_all_raw(stmt(
        c,
        format!(
            "SELECT {TCOLS} FROM consultation_tasks WHERE consultation_tasks.status = 'running' \
             AND consultation_tasks.escalated = $1 AND {due} ORDER BY consultation_tasks.created_at LIMIT {limit}"
        ),
        vals,
    ))
    .await?
    .iter()
    .map(task_from_row)
    .collect()
}

// ---- circulars ----

const ISSUER: Shape = Shape::department("circulars.region_code", "circulars.issuer_department_id");
const RECIPIENT: Shape = Shape::department("r.region_code", "r.department_id");

/// The scope as SQL on `circulars`: the issuer or a recipient in scope.
fn circular_visible(scope: &Scope, vals: &mut Vec<Value>) -> String {
    let own = crate::scope::sql(scope, &ISSUER, vals);
    let rec = crate::scope::sql(scope, &RECIPIENT, vals);
    format!(
        "(({own}) OR circulars.id IN (SELECT r.circular_id FROM circular_recipients r WHERE {rec}))"
    )
}

#[derive(Debug, Clone, PartialEq)]
pub struct Circular {
    pub id: Uuid,
    pub code: String,
    pub title: String,
    pub body: String,
    pub region_code: String,
    pub issuer_department_id: Uuid,
    pub by_office: bool,
    /// Regions addressed as a whole (their departments are recipients).
    pub regions: Vec<String>,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
}

const CCOLS: &str = "circulars.id, circulars.code, circulars.title, circulars.body, circulars.region_code, \
    circulars.issuer_department_id, circulars.by_office, circulars.regions, circulars.created_by, circulars.created_at";

fn circular_from_row(r: &QueryResult) -> Result<Circular> {
    let regions: String = r.try_get("", "regions")?;
    Ok(Circular {
        id: r.try_get("", "id")?,
        code: r.try_get("", "code")?,
        title: r.try_get("", "title")?,
        body: r.try_get("", "body")?,
        region_code: r.try_get("", "region_code")?,
        issuer_department_id: r.try_get("", "issuer_department_id")?,
        by_office: r.try_get("", "by_office")?,
        regions: serde_json::from_str(&regions)
            .map_err(|e| crate::StoreError::Corrupt(format!("circulars.regions: {e}")))?,
        created_by: r.try_get("", "created_by")?,
        created_at: r.try_get("", "created_at")?,
    })
}

/// A recipient department and its read receipt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recipient {
    pub department_id: Uuid,
    pub region_code: String,
    pub read_at: Option<DateTime<Utc>>,
    pub read_by: Option<String>,
    pub read_by_name: Option<String>,
    pub reminded: i32,
    pub reminded_at: Option<DateTime<Utc>>,
}

/// Writes a circular and its recipient departments (none read yet).
pub async fn insert_circular(
    c: &impl ConnectionTrait,
    x: &Circular,
    recipients: &[(Uuid, String)],
) -> Result<()> {
    c.execute_raw(stmt(
        c,
        format!(
            "INSERT INTO circulars ({}) VALUES ({})",
            CCOLS.replace("circulars.", ""),
            placeholders(1, 10)
        ),
        vec![
            x.id.into(),
            x.code.clone().into(),
            x.title.clone().into(),
            x.body.clone().into(),
            x.region_code.clone().into(),
            x.issuer_department_id.into(),
            x.by_office.into(),
            serde_json::to_string(&x.regions)
                .unwrap_or_else(|_| "[]".into())
                .into(),
            x.created_by.clone().into(),
            x.created_at.into(),
        ],
    ))
    .await?;
    for (d, region) in recipients {
        c.execute_raw(stmt(
            c,
            "INSERT INTO circular_recipients (circular_id, department_id, region_code, reminded) VALUES ($1, $2, $3, 0)",
            vec![x.id.into(), (*d).into(), region.clone().into()],
        ))
        .await?;
    }
    Ok(())
}

/// One circular within `scope`.
pub async fn get_circular(
    c: &impl ConnectionTrait,
    scope: &Scope,
    id: Uuid,
) -> Result<Option<Circular>> {
    let visible = |v: &mut Vec<Value>| circular_visible(scope, v);
    one_within(c, "circulars", CCOLS, id, visible, circular_from_row).await
}

/// Filters of a circular list.
#[derive(Debug, Clone, Default)]
pub struct CircularQuery {
    /// Only those this department received and has not read (its 待阅 queue).
    pub unread_by: Option<Uuid>,
    /// Only those this department received.
    pub received_by: Option<Uuid>,
    /// Title or body contains this.
    pub q: Option<String>,
}

fn circulars_listed(scope: &Scope, q: &CircularQuery) -> CaseList {
    let received =
        "circulars.id IN (SELECT u.circular_id FROM circular_recipients u WHERE u.department_id =";
    CaseList::new("circulars", |v| circular_visible(scope, v))
        .with_value(q.unread_by, |d| {
            format!("{received} {d} AND u.read_at IS NULL)")
        })
        .with_value(q.received_by, |d| format!("{received} {d})"))
        .containing(
            &["circulars.code", "circulars.title", "circulars.body"],
            q.q.as_deref(),
        )
}

/// A page of circulars within `scope`, newest first.
pub async fn list_circulars(
    c: &impl ConnectionTrait,
    scope: &Scope,
    q: &CircularQuery,
    page: PageRequest,
) -> Result<Page<Circular>> {
    let order = "circulars.created_at DESC, circulars.id DESC";
    circulars_listed(scope, q)
        .page(c, CCOLS, order, page, circular_from_row)
        .await
}

pub async fn count_circulars(
    c: &impl ConnectionTrait,
    scope: &Scope,
    q: &CircularQuery,
) -> Result<u64> {
    circulars_listed(scope, q).count(c).await
}

/// A circular's recipients with their receipts.
pub async fn recipients_of(c: &impl ConnectionTrait, id: Uuid) -> Result<Vec<Recipient>> {
    c.query_all_raw(stmt(
        c,
        "SELECT r.department_id, r.region_code, r.read_at, r.read_by, r.read_by_name, r.reminded, r.reminded_at \
         FROM circular_recipients r LEFT JOIN departments d ON d.id = r.department_id \
         WHERE r.circular_id = $1 ORDER BY r.region_code, d.sort_order, r.department_id",
        vec![id.into()],
    ))
    .await?
    .iter()
    .map(|r| {
        Ok(Recipient {
            department_id: r.try_get("", "department_id")?,
            region_code: r.try_get("", "region_code")?,
            read_at: r.try_get("", "read_at")?,
            read_by: r.try_get("", "read_by")?,
            read_by_name: r.try_get("", "read_by_name")?,
            reminded: r.try_get("", "reminded")?,
            reminded_at: r.try_get("", "reminded_at")?,
        })
    })
    .collect()
}

/// Records the read receipt of `department` (its first reader): false if it had read already.
pub async fn mark_read(
    c: &impl ConnectionTrait,
    id: Uuid,
    department: Uuid,
    by: &str,
    by_name: &str,
    at: DateTime<Utc>,
) -> Result<bool> {
    let r = c
        .execute_raw(stmt(
            c,
            "UPDATE circular_recipients SET read_at = $1, read_by = $2, read_by_name = $3 \
             WHERE circular_id = $4 AND department_id = $5 AND read_at IS NULL",
            vec![
                at.into(),
                by.to_string().into(),
                by_name.to_string().into(),
                id.into(),
                department.into(),
            ],
        ))
        .await?;
    Ok(r.rows_affected() > 0)
}

/// Counts a reminder on every unread recipient; returns how many were reminded.
pub async fn remind_unread(c: &impl ConnectionTrait, id: Uuid, at: DateTime<Utc>) -> Result<u64> {
    let r = c
        .execute_raw(stmt(
            c,
            "UPDATE circular_recipients SET reminded = reminded + 1, reminded_at = $1 \
             WHERE circular_id = $2 AND read_at IS NULL",
            vec![at.into(), id.into()],
        ))
        .await?;
    Ok(r.rows_affected())
}
