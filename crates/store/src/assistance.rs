//! Assistance requests (协查/协助, issue 17 items 1 and 4): `assistance_requests`, and the
//! receiving agency's decision on a case transfer (`transfer_decisions`). Steps and clocks are
//! the shared case mechanism's (`crate::cases`, kind `assistance`).
//!
//! Scope: a request has two parties, each a region and a department: the requesting side
//! (`from_region`, `from_department_id`) and the receiving side (`to_region`, and
//! `to_department_id` once the receiving office assigned it). The one scope builder applies
//! the reader's scope to each side through its own [`Shape`] and a request is visible when
//! either side is in scope: an office sees what its region asked and what was addressed to
//! it; a department's staff see what their department asked and what was assigned to their
//! department — never a request merely addressed to their region before the office assigned it.

use chrono::{DateTime, NaiveDate, Utc};
use lianjian_domain::assistance::{AssistanceKind, AssistanceStatus, Party};
use lianjian_domain::case::CaseKind;
use lianjian_domain::scope::Scope;
use sea_orm::{ConnectionTrait, QueryResult, Value};
use uuid::Uuid;

use crate::cases::{CaseList, one_within};
use crate::scope::Shape;
use crate::{Page, PageRequest, Result, placeholders, stmt};

/// The requesting side.
const FROM_SHAPE: Shape = Shape::department(
    "assistance_requests.from_region",
    "assistance_requests.from_department_id",
);
/// The receiving side.
const TO_SHAPE: Shape = Shape::department(
    "assistance_requests.to_region",
    "assistance_requests.to_department_id",
);

/// The scope as SQL: either side in scope.
pub(crate) fn visible(scope: &Scope, vals: &mut Vec<Value>) -> String {
    let from = crate::scope::sql(scope, &FROM_SHAPE, vals);
    let to = crate::scope::sql(scope, &TO_SHAPE, vals);
    format!("(({from}) OR ({to}))")
}

/// Whether each side of request `id` is in `scope`: (requesting, receiving).
pub async fn sides(c: &impl ConnectionTrait, scope: &Scope, id: Uuid) -> Result<(bool, bool)> {
    let mut vals: Vec<Value> = vec![id.into()];
    let from = crate::scope::sql(scope, &FROM_SHAPE, &mut vals);
    let to = crate::scope::sql(scope, &TO_SHAPE, &mut vals);
    let r = c
        .query_one_raw(stmt(
            c,
            format!(
                "SELECT CASE WHEN {from} THEN 1 ELSE 0 END AS f, CASE WHEN {to} THEN 1 ELSE 0 END AS t \
                 FROM assistance_requests WHERE assistance_requests.id = $1"
            ),
            vals,
        ))
        .await?;
    Ok(match r {
        Some(r) => {
            let f: i32 = r.try_get("", "f")?;
            let t: i32 = r.try_get("", "t")?;
            (f == 1, t == 1)
        }
        None => (false, false),
    })
}

#[derive(Debug, Clone, PartialEq)]
pub struct AssistanceRequest {
    pub id: Uuid,
    pub code: String,
    pub kind: AssistanceKind,
    pub status: AssistanceStatus,
    pub from_party: Party,
    pub from_agency: Option<String>,
    pub from_region: String,
    pub from_department_id: Uuid,
    pub to_party: Party,
    pub to_agency: Option<String>,
    pub to_region: String,
    pub to_department_id: Option<Uuid>,
    pub transfer_id: Option<Uuid>,
    pub entity_id: Option<Uuid>,
    pub subject: String,
    pub legal_basis: String,
    pub needed: String,
    pub deadline_days: u32,
    pub answer: Option<String>,
    pub outcome: Option<String>,
    pub flagged_overdue: bool,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub answered_at: Option<DateTime<Utc>>,
}

const COLS: &str = "assistance_requests.id, assistance_requests.code, assistance_requests.kind, \
    assistance_requests.status, assistance_requests.from_party, assistance_requests.from_agency, \
    assistance_requests.from_region, assistance_requests.from_department_id, \
    assistance_requests.to_party, assistance_requests.to_agency, assistance_requests.to_region, \
    assistance_requests.to_department_id, assistance_requests.transfer_id, \
    assistance_requests.entity_id, assistance_requests.subject, assistance_requests.legal_basis, \
    assistance_requests.needed, assistance_requests.deadline_days, assistance_requests.answer, \
    assistance_requests.outcome, assistance_requests.flagged_overdue, \
    assistance_requests.created_by, assistance_requests.created_at, \
    assistance_requests.updated_at, assistance_requests.answered_at";

fn from_row(r: &QueryResult) -> Result<AssistanceRequest> {
    let days: i32 = r.try_get("", "deadline_days")?;
    Ok(AssistanceRequest {
        id: r.try_get("", "id")?,
        code: r.try_get("", "code")?,
        kind: crate::coded(r, "kind", AssistanceKind::parse)?,
        status: crate::coded(r, "status", AssistanceStatus::parse)?,
        from_party: crate::coded(r, "from_party", Party::parse)?,
        from_agency: r.try_get("", "from_agency")?,
        from_region: r.try_get("", "from_region")?,
        from_department_id: r.try_get("", "from_department_id")?,
        to_party: crate::coded(r, "to_party", Party::parse)?,
        to_agency: r.try_get("", "to_agency")?,
        to_region: r.try_get("", "to_region")?,
        to_department_id: r.try_get("", "to_department_id")?,
        transfer_id: r.try_get("", "transfer_id")?,
        entity_id: r.try_get("", "entity_id")?,
        subject: r.try_get("", "subject")?,
        legal_basis: r.try_get("", "legal_basis")?,
        needed: r.try_get("", "needed")?,
        deadline_days: u32::try_from(days).unwrap_or(0),
        answer: r.try_get("", "answer")?,
        outcome: r.try_get("", "outcome")?,
        flagged_overdue: r.try_get("", "flagged_overdue")?,
        created_by: r.try_get("", "created_by")?,
        created_at: r.try_get("", "created_at")?,
        updated_at: r.try_get("", "updated_at")?,
        answered_at: r.try_get("", "answered_at")?,
    })
}

pub async fn insert(c: &impl ConnectionTrait, x: &AssistanceRequest) -> Result<()> {
    c.execute_raw(stmt(
        c,
        format!(
            "INSERT INTO assistance_requests ({}) VALUES ({})",
            COLS.replace("assistance_requests.", ""),
            placeholders(1, 25)
        ),
        vec![
            x.id.into(),
            x.code.clone().into(),
            x.kind.as_str().into(),
            x.status.as_str().into(),
            x.from_party.as_str().into(),
            x.from_agency.clone().into(),
            x.from_region.clone().into(),
            x.from_department_id.into(),
            x.to_party.as_str().into(),
            x.to_agency.clone().into(),
            x.to_region.clone().into(),
            x.to_department_id.into(),
            x.transfer_id.into(),
            x.entity_id.into(),
            x.subject.clone().into(),
            x.legal_basis.clone().into(),
            x.needed.clone().into(),
            i32::try_from(x.deadline_days).unwrap_or(i32::MAX).into(),
            x.answer.clone().into(),
            x.outcome.clone().into(),
            x.flagged_overdue.into(),
            x.created_by.clone().into(),
            x.created_at.into(),
            x.updated_at.into(),
            x.answered_at.into(),
        ],
    ))
    .await?;
    Ok(())
}

/// What a step changes besides the status (each `None` keeps the column).
#[derive(Debug, Clone, Default)]
pub struct Change {
    pub to_department_id: Option<Uuid>,
    pub answer: Option<String>,
    pub outcome: Option<String>,
    pub answered_at: Option<DateTime<Utc>>,
    pub flagged_overdue: Option<bool>,
}

/// Moves request `id` from `from` to `to` with `change` (compare-and-set on the status read:
/// false if it changed meanwhile, so two racing steps cannot both apply).
pub async fn set_state(
    c: &impl ConnectionTrait,
    id: Uuid,
    from: AssistanceStatus,
    to: AssistanceStatus,
    now: DateTime<Utc>,
    change: &Change,
) -> Result<bool> {
    let r = c
        .execute_raw(stmt(
            c,
            "UPDATE assistance_requests SET status = $1, updated_at = $2, \
             to_department_id = COALESCE($3, to_department_id), answer = COALESCE($4, answer), \
             outcome = COALESCE($5, outcome), answered_at = COALESCE($6, answered_at), \
             flagged_overdue = COALESCE($7, flagged_overdue) \
             WHERE id = $8 AND status = $9",
            vec![
                to.as_str().into(),
                now.into(),
                change.to_department_id.into(),
                change.answer.clone().into(),
                change.outcome.clone().into(),
                change.answered_at.into(),
                change.flagged_overdue.into(),
                id.into(),
                from.as_str().into(),
            ],
        ))
        .await?;
    Ok(r.rows_affected() > 0)
}

/// One request within `scope` (either side).
pub async fn get(
    c: &impl ConnectionTrait,
    scope: &Scope,
    id: Uuid,
) -> Result<Option<AssistanceRequest>> {
    one_within(
        c,
        "assistance_requests",
        COLS,
        id,
        |v| visible(scope, v),
        from_row,
    )
    .await
}

/// Filters of a request list (the scope limits it further).
#[derive(Debug, Clone, Default)]
pub struct AssistanceQuery {
    pub statuses: Vec<AssistanceStatus>,
    pub kind: Option<AssistanceKind>,
    pub transfer_id: Option<Uuid>,
    /// Only requests linked to a case transfer (the procuratorate's view).
    pub transfers_only: bool,
    /// Only those whose requesting (`Some(true)`) or receiving (`Some(false)`) side is in the
    /// reader's scope.
    pub requesting: Option<bool>,
    /// A running 受理/答复 clock is due in `[from, before)` (即将超时 / 已超时).
    pub due: Option<(Option<NaiveDate>, NaiveDate)>,
    /// Code, subject or what is needed contains this.
    pub q: Option<String>,
    /// Only the requests the analysis figures count as answered in a period (drill-down from
    /// 协查按时答复率, [`answered_condition`]).
    pub answered: Option<AnsweredIn>,
}

/// The answered requests of an analysis figure's cell: answered in `[from, to]` (the 答复
/// clock's stop), optionally by one receiving department and within one region.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AnsweredIn {
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub department_id: Option<Uuid>,
    pub region: Option<lianjian_domain::region::RegionCode>,
}

/// The requests the analysis figures count as answered (one definition for the figures and
/// their drill-down), over request `r` and its 答复 clock `k`: answered (or answered and
/// closed) with the clock stopped by the latest answer (a request reopened for a fuller answer
/// counts again when answered again), held by a receiving department, and addressed to an
/// agency on the platform — a question a department put to the police is answered by the
/// police, whose timeliness is not the department's.
pub(crate) fn answered_condition(r: &str, k: &str) -> String {
    format!(
        "{k}.case_kind = '{kind}' AND {k}.case_id = {r}.id AND {k}.name = 'answer' \
         AND {k}.stopped_on IS NOT NULL AND {k}.department_id IS NOT NULL \
         AND {r}.status IN ('{answered}', '{closed}') AND {r}.to_party = '{agency}'",
        kind = lianjian_domain::case::CaseKind::Assistance.as_str(),
        answered = AssistanceStatus::Answered.as_str(),
        closed = AssistanceStatus::Closed.as_str(),
        agency = Party::Agency.as_str(),
    )
}

fn listed(scope: &Scope, q: &AssistanceQuery) -> CaseList {
    CaseList::new("assistance_requests", |vals| match q.requesting {
        None => visible(scope, vals),
        Some(true) => crate::scope::sql(scope, &FROM_SHAPE, vals),
        Some(false) => crate::scope::sql(scope, &TO_SHAPE, vals),
    })
    .statuses("assistance_requests.status", &q.statuses)
    .equals("assistance_requests.kind", q.kind.map(AssistanceKind::as_str))
    .equals("assistance_requests.transfer_id", q.transfer_id)
    .and_if(q.transfers_only, "assistance_requests.transfer_id IS NOT NULL")
    .clocks_due(CaseKind::Assistance, &["accept", "answer"], q.due)
    .and_some(q.answered.as_ref(), |a, vals| {
        vals.push(a.from.into());
        vals.push(a.to.into());
        let mut x = format!(
            "EXISTS (SELECT 1 FROM case_clocks k WHERE {} AND k.stopped_on >= ${} AND k.stopped_on <= ${}",
            answered_condition("assistance_requests", "k"),
            vals.len() - 1,
            vals.len()
        );
        if let Some(d) = a.department_id {
            vals.push(d.into());
            x.push_str(&format!(" AND k.department_id = ${}", vals.len()));
        }
        if let Some(r) = &a.region {
            vals.push(format!("{}%", r.as_str()).into());
            x.push_str(&format!(" AND k.region_code LIKE ${}", vals.len()));
        }
        x.push(')');
        x
    })
    .containing(
        &[
            "assistance_requests.code",
            "assistance_requests.subject",
            "assistance_requests.needed",
        ],
        q.q.as_deref(),
    )
}

/// A page of requests within `scope`, newest first.
pub async fn list(
    c: &impl ConnectionTrait,
    scope: &Scope,
    q: &AssistanceQuery,
    page: PageRequest,
) -> Result<Page<AssistanceRequest>> {
    let order = "assistance_requests.created_at DESC, assistance_requests.id DESC";
    listed(scope, q).page(c, COLS, order, page, from_row).await
}

/// How many requests within `scope` match `q`.
pub async fn count(c: &impl ConnectionTrait, scope: &Scope, q: &AssistanceQuery) -> Result<u64> {
    listed(scope, q).count(c).await
}

/// Open requests with a running 受理 or 答复 clock due before `today` whose overdue reminder
/// was not recorded yet (the server's pass), oldest first, at most `limit`.
pub async fn overdue_unflagged(
    c: &impl ConnectionTrait,
    today: NaiveDate,
    limit: u64,
) -> Result<Vec<AssistanceRequest>> {
    let mut vals: Vec<Value> = Vec::new();
    let due = crate::cases::clock_due_condition(
        lianjian_domain::case::CaseKind::Assistance,
        "assistance_requests.id",
        &[("accept", None, today), ("answer", None, today)],
        &mut vals,
    );
    c.query_all_raw(stmt(
        c,
        format!(
            "SELECT {COLS} FROM assistance_requests WHERE {due} AND NOT assistance_requests.flagged_overdue \
             ORDER BY assistance_requests.created_at LIMIT {limit}"
        ),
        vals,
    ))
    .await?
    .iter()
    .map(from_row)
    .collect()
}

// ---- a transfer's decision by the receiving agency ----

#[derive(Debug, Clone, PartialEq)]
pub struct TransferDecision {
    pub transfer_id: Uuid,
    pub decided_on: NaiveDate,
    pub document_no: Option<String>,
    pub recorded_by: String,
    pub recorded_at: DateTime<Utc>,
}

pub async fn insert_decision(c: &impl ConnectionTrait, d: &TransferDecision) -> Result<()> {
    c.execute_raw(stmt(
        c,
        "INSERT INTO transfer_decisions (transfer_id, decided_on, document_no, recorded_by, recorded_at) \
         VALUES ($1, $2, $3, $4, $5)",
        vec![
            d.transfer_id.into(),
            d.decided_on.into(),
            d.document_no.clone().into(),
            d.recorded_by.clone().into(),
            d.recorded_at.into(),
        ],
    ))
    .await?;
    Ok(())
}

pub async fn decision_of(
    c: &impl ConnectionTrait,
    transfer_id: Uuid,
) -> Result<Option<TransferDecision>> {
    c.query_one_raw(stmt(
        c,
        "SELECT transfer_id, decided_on, document_no, recorded_by, recorded_at FROM transfer_decisions WHERE transfer_id = $1",
        vec![transfer_id.into()],
    ))
    .await?
    .map(|r| {
        Ok(TransferDecision {
            transfer_id: r.try_get("", "transfer_id")?,
            decided_on: r.try_get("", "decided_on")?,
            document_no: r.try_get("", "document_no")?,
            recorded_by: r.try_get("", "recorded_by")?,
            recorded_at: r.try_get("", "recorded_at")?,
        })
    })
    .transpose()
}
