//! Carrying out visits and their results (检查实施与结果): the frozen merged checklist, answers,
//! per-item results and reviews, confirmations, attachments, rectification orders (责令整改),
//! referrals (抄告), case transfers (移送), credit records, and the result lists (staff and
//! public). Visits themselves are created by `draws` (and ad hoc here).

use chrono::{DateTime, NaiveDate, Utc};
use lianjian_domain::inspector::InspectorKind;
use lianjian_domain::region::RegionCode;
use lianjian_domain::scope::Scope;
use lianjian_domain::visit::{
    Answer, FollowUp, RectificationStatus, ReferralStatus, ResultCode, Review, TransferStatus,
    VisitStatus, VisitTrigger,
};
use sea_orm::{ConnectionTrait, QueryResult, Value};
use serde::Serialize;
use uuid::Uuid;

use crate::scope::{Line, Shape};
use crate::{Page, PageRequest, Result, StoreError, placeholders, stmt};

/// Visits are in a line's scope when one of their checks belongs to a department of the line.
const VISITS: Shape = Shape {
    region: "v.region_code",
    ancestors_visible: false,
    line: Line::Through {
        id: "v.id",
        table: "visit_checks",
        key: "visit_id",
        department: "department_id",
    },
};

/// A visit with its progress (the `visits` row).
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct VisitRow {
    pub id: Uuid,
    pub code: String,
    pub draw_id: Option<Uuid>,
    pub entity_id: Uuid,
    pub region_code: RegionCode,
    pub lead_department_id: Uuid,
    pub trigger: VisitTrigger,
    pub trigger_note: Option<String>,
    pub status: VisitStatus,
    pub period_start: NaiveDate,
    pub period_end: NaiveDate,
    pub visited_on: Option<NaiveDate>,
    pub started_at: Option<DateTime<Utc>>,
    pub start_position: Option<String>,
    pub completed_at: Option<DateTime<Utc>>,
    pub publish_deadline: Option<NaiveDate>,
    pub published_at: Option<DateTime<Utc>>,
    pub closed_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// From the directory.
    pub usci: String,
    pub entity_name: String,
}

const VCOLS: &str = "v.id, v.code, v.draw_id, v.entity_id, v.region_code, v.lead_department_id, v.trigger, v.trigger_note, v.status, v.period_start, v.period_end, v.visited_on, v.started_at, v.start_position, v.completed_at, v.publish_deadline, v.published_at, v.closed_at, v.created_at, v.updated_at, e.usci, e.name AS entity_name";

fn corrupt(e: impl ToString) -> StoreError {
    StoreError::Corrupt(e.to_string())
}

fn visit_from_row(r: &QueryResult) -> Result<VisitRow> {
    let region: String = r.try_get("", "region_code")?;
    Ok(VisitRow {
        id: r.try_get("", "id")?,
        code: r.try_get("", "code")?,
        draw_id: r.try_get("", "draw_id")?,
        entity_id: r.try_get("", "entity_id")?,
        region_code: RegionCode::parse(&region).map_err(corrupt)?,
        lead_department_id: r.try_get("", "lead_department_id")?,
        trigger: crate::coded(r, "trigger", VisitTrigger::parse)?,
        trigger_note: r.try_get("", "trigger_note")?,
        status: crate::coded(r, "status", VisitStatus::parse)?,
        period_start: r.try_get("", "period_start")?,
        period_end: r.try_get("", "period_end")?,
        visited_on: r.try_get("", "visited_on")?,
        started_at: r.try_get("", "started_at")?,
        start_position: r.try_get("", "start_position")?,
        completed_at: r.try_get("", "completed_at")?,
        publish_deadline: r.try_get("", "publish_deadline")?,
        published_at: r.try_get("", "published_at")?,
        closed_at: r.try_get("", "closed_at")?,
        created_at: r.try_get("", "created_at")?,
        updated_at: r.try_get("", "updated_at")?,
        usci: r.try_get("", "usci")?,
        entity_name: r.try_get("", "entity_name")?,
    })
}

/// The visit only if `scope` permits it: callers cannot tell "absent" from "not yours".
pub async fn get_visit_scoped(
    c: &impl ConnectionTrait,
    scope: &Scope,
    id: Uuid,
) -> Result<Option<VisitRow>> {
    let mut vals: Vec<Value> = vec![id.into()];
    let w = crate::scope::sql(scope, &VISITS, &mut vals);
    c.query_one_raw(stmt(
        c,
        format!(
            "SELECT {VCOLS} FROM visits v JOIN entities e ON e.id = v.entity_id WHERE v.id = $1 AND {w}"
        ),
        vals,
    ))
    .await?
    .as_ref()
    .map(visit_from_row)
    .transpose()
}

pub async fn get_visit(c: &impl ConnectionTrait, id: Uuid) -> Result<Option<VisitRow>> {
    c.query_one_raw(stmt(
        c,
        format!(
            "SELECT {VCOLS} FROM visits v JOIN entities e ON e.id = v.entity_id WHERE v.id = $1"
        ),
        vec![id.into()],
    ))
    .await?
    .as_ref()
    .map(visit_from_row)
    .transpose()
}

/// The visits of an entity not yet carried out (scheduled or in progress), oldest first: what
/// the merge warning compares a visit with. Callers filter by what the actor may see.
pub async fn open_visits_of_entity(
    c: &impl ConnectionTrait,
    entity_id: Uuid,
) -> Result<Vec<VisitRow>> {
    let rows = c
        .query_all_raw(stmt(
            c,
            format!(
                "SELECT {VCOLS} FROM visits v JOIN entities e ON e.id = v.entity_id \
                 WHERE v.entity_id = $1 AND v.status IN ($2, $3) ORDER BY v.created_at, v.id"
            ),
            vec![
                entity_id.into(),
                VisitStatus::Scheduled.as_str().into(),
                VisitStatus::InProgress.as_str().into(),
            ],
        ))
        .await?;
    rows.iter().map(visit_from_row).collect()
}

/// Replaces a visit's note on why it takes place (检查缘由), e.g. when another visit's matter
/// is folded into it.
pub async fn set_trigger_note(c: &impl ConnectionTrait, id: Uuid, note: &str) -> Result<()> {
    c.execute_raw(stmt(
        c,
        "UPDATE visits SET trigger_note = $1, updated_at = $2 WHERE id = $3",
        vec![note.into(), crate::now().into(), id.into()],
    ))
    .await?;
    Ok(())
}

/// Moves a visit to `status`, stamping the columns that go with it.
#[derive(Debug, Clone, Default)]
pub struct Progress {
    pub started: Option<(DateTime<Utc>, Option<String>)>,
    pub completed: Option<(DateTime<Utc>, NaiveDate, NaiveDate)>,
    pub published_at: Option<DateTime<Utc>>,
    pub closed_at: Option<DateTime<Utc>>,
    /// Clear completion (a department returned its part).
    pub reopen: bool,
}

/// Moves the visit from `from` to `to` (a move the service has checked against
/// [`VisitStatus`]'s lifecycle). False, and nothing changed, when the visit is no longer in
/// `from` (another request moved it meanwhile): two racing moves cannot both apply.
#[must_use = "a visit that was not moved must be reported"]
pub async fn set_visit_status(
    c: &impl ConnectionTrait,
    id: Uuid,
    (from, to): (VisitStatus, VisitStatus),
    p: &Progress,
) -> Result<bool> {
    let now = crate::now();
    let mut sets = vec!["status = $1".to_string(), "updated_at = $2".to_string()];
    let mut vals: Vec<Value> = vec![to.as_str().into(), now.into()];
    let mut push = |col: &str, v: Value, sets: &mut Vec<String>| {
        vals.push(v);
        sets.push(format!("{col} = ${}", vals.len()));
    };
    if let Some((at, pos)) = &p.started {
        push("started_at", (*at).into(), &mut sets);
        push("start_position", pos.clone().into(), &mut sets);
    }
    if let Some((at, on, deadline)) = &p.completed {
        push("completed_at", (*at).into(), &mut sets);
        push("visited_on", (*on).into(), &mut sets);
        push("publish_deadline", (*deadline).into(), &mut sets);
    }
    if p.reopen {
        sets.push("completed_at = NULL".into());
        sets.push("publish_deadline = NULL".into());
    }
    if let Some(at) = p.published_at {
        push("published_at", at.into(), &mut sets);
    }
    if let Some(at) = p.closed_at {
        push("closed_at", at.into(), &mut sets);
    }
    vals.push(id.into());
    vals.push(from.as_str().into());
    let sql = format!(
        "UPDATE visits SET {} WHERE id = ${} AND status = ${}",
        sets.join(", "),
        vals.len() - 1,
        vals.len()
    );
    Ok(c.execute_raw(stmt(c, sql, vals)).await?.rows_affected() > 0)
}

/// Filters of a visit list; the [`Scope`] passed to [`list_visits`] limits it further.
#[derive(Debug, Clone, Default)]
pub struct VisitQuery {
    /// Visits of this region subtree (narrows the scope).
    pub region: Option<RegionCode>,
    /// Visits one of whose checks belongs to a department of this line (narrows the scope).
    pub line: Option<String>,
    pub department_id: Option<Uuid>,
    /// Visits this pool member is on.
    pub inspector_id: Option<Uuid>,
    pub status: Vec<VisitStatus>,
    pub draw_id: Option<Uuid>,
    pub entity_id: Option<Uuid>,
    /// Visit code, entity name or credit code.
    pub q: Option<String>,
    /// Completed, not yet published and past the publication deadline on this day.
    pub late_on: Option<NaiveDate>,
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
}

fn visit_where(scope: &Scope, q: &VisitQuery, vals: &mut Vec<Value>) -> String {
    let mut conds: Vec<String> = vec!["v.status <> 'cancelled'".into()];
    let scope = scope.clone().narrowed(q.region.as_ref(), q.line.as_deref());
    conds.push(crate::scope::sql(&scope, &VISITS, vals));
    if let Some(d) = q.department_id {
        vals.push(d.into());
        conds.push(format!(
            "v.id IN (SELECT visit_id FROM visit_checks WHERE department_id = ${})",
            vals.len()
        ));
    }
    if let Some(i) = q.inspector_id {
        vals.push(i.into());
        conds.push(format!(
            "v.id IN (SELECT visit_id FROM visit_inspectors WHERE inspector_id = ${})",
            vals.len()
        ));
    }
    if !q.status.is_empty() {
        let from = vals.len() + 1;
        for s in &q.status {
            vals.push(s.as_str().into());
        }
        conds.push(format!(
            "v.status IN ({})",
            placeholders(from, q.status.len())
        ));
    }
    if let Some(d) = q.draw_id {
        vals.push(d.into());
        conds.push(format!("v.draw_id = ${}", vals.len()));
    }
    if let Some(e) = q.entity_id {
        vals.push(e.into());
        conds.push(format!("v.entity_id = ${}", vals.len()));
    }
    if let Some(t) = q.q.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
        vals.push(crate::contains_pattern(t).into());
        conds.push(format!(
            "(v.code LIKE ${n}{e} OR e.name LIKE ${n}{e} OR e.usci LIKE ${n}{e})",
            n = vals.len(),
            e = crate::LIKE_ESCAPE,
        ));
    }
    if let Some(d) = q.late_on {
        vals.push(d.into());
        conds.push(format!(
            "v.status IN ('submitted', 'reviewed') AND v.publish_deadline < ${}",
            vals.len()
        ));
    }
    if let Some(d) = q.from {
        vals.push(d.into());
        conds.push(format!("v.period_end >= ${}", vals.len()));
    }
    if let Some(d) = q.to {
        vals.push(d.into());
        conds.push(format!("v.period_start <= ${}", vals.len()));
    }
    conds.join(" AND ")
}

pub async fn list_visits(
    c: &impl ConnectionTrait,
    scope: &Scope,
    q: &VisitQuery,
    page: PageRequest,
) -> Result<Page<VisitRow>> {
    let mut vals = Vec::new();
    let w = visit_where(scope, q, &mut vals);
    crate::paged(
        c,
        "visits v JOIN entities e ON e.id = v.entity_id",
        VCOLS,
        &w,
        "v.period_start DESC, v.code",
        vals,
        page,
        visit_from_row,
    )
    .await
}

// ---- checklist, answers, results ----

#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct ChecklistRow {
    pub seq: i32,
    pub plan_id: Uuid,
    pub item_id: Uuid,
    pub department_id: Uuid,
    pub item_seq: i32,
    pub dimension: String,
    pub content: String,
    pub legal_basis: String,
}

pub async fn insert_checklist(
    c: &impl ConnectionTrait,
    visit_id: Uuid,
    rows: &[ChecklistRow],
) -> Result<()> {
    for r in rows {
        c.execute_raw(stmt(
            c,
            "INSERT INTO visit_checklist (visit_id, seq, plan_id, item_id, department_id, item_seq, dimension, content, legal_basis) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9)",
            vec![
                visit_id.into(),
                r.seq.into(),
                r.plan_id.into(),
                r.item_id.into(),
                r.department_id.into(),
                r.item_seq.into(),
                r.dimension.clone().into(),
                r.content.clone().into(),
                r.legal_basis.clone().into(),
            ],
        ))
        .await?;
    }
    Ok(())
}

pub async fn checklist(c: &impl ConnectionTrait, visit_id: Uuid) -> Result<Vec<ChecklistRow>> {
    c.query_all_raw(stmt(
        c,
        "SELECT seq, plan_id, item_id, department_id, item_seq, dimension, content, legal_basis FROM visit_checklist WHERE visit_id = $1 ORDER BY seq",
        vec![visit_id.into()],
    ))
    .await?
    .iter()
    .map(|r| {
        Ok(ChecklistRow {
            seq: r.try_get("", "seq")?,
            plan_id: r.try_get("", "plan_id")?,
            item_id: r.try_get("", "item_id")?,
            department_id: r.try_get("", "department_id")?,
            item_seq: r.try_get("", "item_seq")?,
            dimension: r.try_get("", "dimension")?,
            content: r.try_get("", "content")?,
            legal_basis: r.try_get("", "legal_basis")?,
        })
    })
    .collect()
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct AnswerRow {
    pub seq: i32,
    pub answer: Answer,
    pub note: String,
    pub inspector_id: Uuid,
    pub recorded_at: DateTime<Utc>,
}

/// Saves one answer (the draft is the answers table itself: saving twice is harmless).
/// Returns whether anything changed.
pub async fn upsert_answer(
    c: &impl ConnectionTrait,
    visit_id: Uuid,
    a: &AnswerRow,
) -> Result<bool> {
    let old = c
        .query_one_raw(stmt(
            c,
            "SELECT answer, note FROM visit_answers WHERE visit_id = $1 AND seq = $2",
            vec![visit_id.into(), a.seq.into()],
        ))
        .await?;
    match old {
        Some(r) => {
            let ans = crate::coded(&r, "answer", Answer::parse)?;
            let note: String = r.try_get("", "note")?;
            if ans == a.answer && note == a.note {
                return Ok(false);
            }
            c.execute_raw(stmt(
                c,
                "UPDATE visit_answers SET answer = $1, note = $2, inspector_id = $3, recorded_at = $4 WHERE visit_id = $5 AND seq = $6",
                vec![
                    a.answer.as_str().into(),
                    a.note.clone().into(),
                    a.inspector_id.into(),
                    a.recorded_at.into(),
                    visit_id.into(),
                    a.seq.into(),
                ],
            ))
            .await?;
        }
        None => {
            c.execute_raw(stmt(
                c,
                "INSERT INTO visit_answers (visit_id, seq, answer, note, inspector_id, recorded_at) VALUES ($1,$2,$3,$4,$5,$6)",
                vec![
                    visit_id.into(),
                    a.seq.into(),
                    a.answer.as_str().into(),
                    a.note.clone().into(),
                    a.inspector_id.into(),
                    a.recorded_at.into(),
                ],
            ))
            .await?;
        }
    }
    Ok(true)
}

pub async fn answers(c: &impl ConnectionTrait, visit_id: Uuid) -> Result<Vec<AnswerRow>> {
    c.query_all_raw(stmt(
        c,
        "SELECT seq, answer, note, inspector_id, recorded_at FROM visit_answers WHERE visit_id = $1 ORDER BY seq",
        vec![visit_id.into()],
    ))
    .await?
    .iter()
    .map(|r| {
        Ok(AnswerRow {
            seq: r.try_get("", "seq")?,
            answer: crate::coded(r, "answer", Answer::parse)?,
            note: r.try_get("", "note")?,
            inspector_id: r.try_get("", "inspector_id")?,
            recorded_at: r.try_get("", "recorded_at")?,
        })
    })
    .collect()
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct ResultRow {
    pub plan_id: Uuid,
    pub item_id: Uuid,
    pub department_id: Uuid,
    pub result_code: Option<ResultCode>,
    pub follow_up: Option<FollowUp>,
    pub summary: String,
    pub review: Review,
    pub review_note: Option<String>,
    pub reviewed_by: Option<String>,
    pub reviewed_at: Option<DateTime<Utc>>,
    pub updated_at: DateTime<Utc>,
}

impl ResultRow {
    /// A part as the start of its visit writes it: no result yet, its review pending.
    pub fn pending(plan_id: Uuid, item_id: Uuid, department_id: Uuid, at: DateTime<Utc>) -> Self {
        Self {
            plan_id,
            item_id,
            department_id,
            result_code: None,
            follow_up: None,
            summary: String::new(),
            review: Review::Pending,
            review_note: None,
            reviewed_by: None,
            reviewed_at: None,
            updated_at: at,
        }
    }
}

pub async fn insert_result(c: &impl ConnectionTrait, visit_id: Uuid, r: &ResultRow) -> Result<()> {
    c.execute_raw(stmt(
        c,
        "INSERT INTO visit_results (visit_id, plan_id, item_id, department_id, result_code, follow_up, summary, review, review_note, reviewed_by, reviewed_at, updated_at) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12)",
        vec![
            visit_id.into(),
            r.plan_id.into(),
            r.item_id.into(),
            r.department_id.into(),
            r.result_code.map(ResultCode::as_str).into(),
            r.follow_up.map(FollowUp::as_str).into(),
            r.summary.clone().into(),
            r.review.as_str().into(),
            r.review_note.clone().into(),
            r.reviewed_by.clone().into(),
            r.reviewed_at.into(),
            r.updated_at.into(),
        ],
    ))
    .await?;
    crate::seal::seal(
        c,
        crate::seal::Sealed::VisitResults,
        &[crate::seal::RowKey::pair(visit_id, r.plan_id)],
    )
    .await
}

/// Returns whether anything changed.
pub async fn set_result(
    c: &impl ConnectionTrait,
    visit_id: Uuid,
    plan_id: Uuid,
    code: Option<ResultCode>,
    follow_up: Option<FollowUp>,
    summary: &str,
) -> Result<bool> {
    let n = c
        .execute_raw(stmt(
            c,
            "UPDATE visit_results SET result_code = $1, follow_up = $2, summary = $3, updated_at = $4 WHERE visit_id = $5 AND plan_id = $6 AND NOT (COALESCE(result_code, '') = COALESCE($1, '') AND COALESCE(follow_up, '') = COALESCE($2, '') AND summary = $3)",
            vec![
                code.map(ResultCode::as_str).into(),
                follow_up.map(FollowUp::as_str).into(),
                summary.to_string().into(),
                crate::now().into(),
                visit_id.into(),
                plan_id.into(),
            ],
        ))
        .await?
        .rows_affected();
    if n > 0 {
        crate::seal::seal(
            c,
            crate::seal::Sealed::VisitResults,
            &[crate::seal::RowKey::pair(visit_id, plan_id)],
        )
        .await?;
    }
    Ok(n > 0)
}

/// Moves a part's review from `from` to `to` (a move the service has checked against
/// [`Review`]'s lifecycle). False, and nothing changed, when the review is no longer `from`
/// (another request decided meanwhile), as for [`set_visit_status`].
#[must_use = "a review that was not moved must be reported"]
pub async fn set_review(
    c: &impl ConnectionTrait,
    visit_id: Uuid,
    plan_id: Uuid,
    (from, to): (Review, Review),
    note: Option<&str>,
    by: Option<&str>,
) -> Result<bool> {
    let now = crate::now();
    let n = c
        .execute_raw(stmt(
            c,
            "UPDATE visit_results SET review = $1, review_note = $2, reviewed_by = $3, reviewed_at = $4, updated_at = $5 WHERE visit_id = $6 AND plan_id = $7 AND review = $8",
            vec![
                to.as_str().into(),
                note.map(str::to_string).into(),
                by.map(str::to_string).into(),
                by.map(|_| now).into(),
                now.into(),
                visit_id.into(),
                plan_id.into(),
                from.as_str().into(),
            ],
        ))
        .await?
        .rows_affected();
    if n == 0 {
        return Ok(false);
    }
    crate::seal::seal(
        c,
        crate::seal::Sealed::VisitResults,
        &[crate::seal::RowKey::pair(visit_id, plan_id)],
    )
    .await?;
    Ok(true)
}

pub async fn results(c: &impl ConnectionTrait, visit_id: Uuid) -> Result<Vec<ResultRow>> {
    c.query_all_raw(stmt(
        c,
        "SELECT plan_id, item_id, department_id, result_code, follow_up, summary, review, review_note, reviewed_by, reviewed_at, updated_at FROM visit_results WHERE visit_id = $1 ORDER BY plan_id",
        vec![visit_id.into()],
    ))
    .await?
    .iter()
    .map(|r| {
        Ok(ResultRow {
            plan_id: r.try_get("", "plan_id")?,
            item_id: r.try_get("", "item_id")?,
            department_id: r.try_get("", "department_id")?,
            result_code: crate::coded_opt(r, "result_code", ResultCode::parse)?,
            follow_up: crate::coded_opt(r, "follow_up", FollowUp::parse)?,
            summary: r.try_get("", "summary")?,
            review: crate::coded(r, "review", Review::parse)?,
            review_note: r.try_get("", "review_note")?,
            reviewed_by: r.try_get("", "reviewed_by")?,
            reviewed_at: r.try_get("", "reviewed_at")?,
            updated_at: r.try_get("", "updated_at")?,
        })
    })
    .collect()
}

// ---- confirmations and attachments ----

#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Confirmation {
    pub inspector_id: Uuid,
    pub user_id: Uuid,
    pub position: Option<String>,
    pub confirmed_at: DateTime<Utc>,
}

/// Returns false when this inspector had already confirmed (a second submission).
pub async fn confirm(c: &impl ConnectionTrait, visit_id: Uuid, k: &Confirmation) -> Result<bool> {
    let exists = c
        .query_one_raw(stmt(
            c,
            "SELECT 1 FROM visit_confirmations WHERE visit_id = $1 AND inspector_id = $2",
            vec![visit_id.into(), k.inspector_id.into()],
        ))
        .await?
        .is_some();
    if exists {
        return Ok(false);
    }
    c.execute_raw(stmt(
        c,
        "INSERT INTO visit_confirmations (visit_id, inspector_id, user_id, position, confirmed_at) VALUES ($1,$2,$3,$4,$5)",
        vec![
            visit_id.into(),
            k.inspector_id.into(),
            k.user_id.into(),
            k.position.clone().into(),
            k.confirmed_at.into(),
        ],
    ))
    .await?;
    Ok(true)
}

pub async fn confirmations(c: &impl ConnectionTrait, visit_id: Uuid) -> Result<Vec<Confirmation>> {
    c.query_all_raw(stmt(
        c,
        "SELECT inspector_id, user_id, position, confirmed_at FROM visit_confirmations WHERE visit_id = $1 ORDER BY confirmed_at",
        vec![visit_id.into()],
    ))
    .await?
    .iter()
    .map(|r| {
        Ok(Confirmation {
            inspector_id: r.try_get("", "inspector_id")?,
            user_id: r.try_get("", "user_id")?,
            position: r.try_get("", "position")?,
            confirmed_at: r.try_get("", "confirmed_at")?,
        })
    })
    .collect()
}

/// Answers changed after confirming, or a part was returned: everyone confirms again.
pub async fn clear_confirmations(c: &impl ConnectionTrait, visit_id: Uuid) -> Result<u64> {
    Ok(c.execute_raw(stmt(
        c,
        "DELETE FROM visit_confirmations WHERE visit_id = $1",
        vec![visit_id.into()],
    ))
    .await?
    .rows_affected())
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Attachment {
    pub id: Uuid,
    pub seq: Option<i32>,
    pub sha256: String,
    pub filename: String,
    pub media_type: String,
    pub size: i64,
    pub position: Option<String>,
    pub inspector_id: Uuid,
    pub uploaded_at: DateTime<Utc>,
}

/// Returns false when the same file is already attached to the same check point.
pub async fn attach(c: &impl ConnectionTrait, visit_id: Uuid, a: &Attachment) -> Result<bool> {
    let dup = c
        .query_one_raw(stmt(
            c,
            "SELECT 1 FROM visit_attachments WHERE visit_id = $1 AND sha256 = $2 AND COALESCE(seq, -1) = $3",
            vec![visit_id.into(), a.sha256.clone().into(), a.seq.unwrap_or(-1).into()],
        ))
        .await?
        .is_some();
    if dup {
        return Ok(false);
    }
    c.execute_raw(stmt(
        c,
        "INSERT INTO visit_attachments (id, visit_id, seq, sha256, filename, media_type, size, position, inspector_id, uploaded_at) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10)",
        vec![
            a.id.into(),
            visit_id.into(),
            a.seq.into(),
            a.sha256.clone().into(),
            a.filename.clone().into(),
            a.media_type.clone().into(),
            a.size.into(),
            a.position.clone().into(),
            a.inspector_id.into(),
            a.uploaded_at.into(),
        ],
    ))
    .await?;
    Ok(true)
}

pub async fn attachments(c: &impl ConnectionTrait, visit_id: Uuid) -> Result<Vec<Attachment>> {
    c.query_all_raw(stmt(
        c,
        "SELECT id, seq, sha256, filename, media_type, size, position, inspector_id, uploaded_at FROM visit_attachments WHERE visit_id = $1 ORDER BY uploaded_at, id",
        vec![visit_id.into()],
    ))
    .await?
    .iter()
    .map(|r| {
        Ok(Attachment {
            id: r.try_get("", "id")?,
            seq: r.try_get("", "seq")?,
            sha256: r.try_get("", "sha256")?,
            filename: r.try_get("", "filename")?,
            media_type: r.try_get("", "media_type")?,
            size: r.try_get("", "size")?,
            position: r.try_get("", "position")?,
            inspector_id: r.try_get("", "inspector_id")?,
            uploaded_at: r.try_get("", "uploaded_at")?,
        })
    })
    .collect()
}

/// The visits a file is attached to (证据互认: one stored copy, many uses).
pub async fn visits_with_file(c: &impl ConnectionTrait, sha256: &str) -> Result<Vec<Uuid>> {
    c.query_all_raw(stmt(
        c,
        "SELECT DISTINCT visit_id FROM visit_attachments WHERE sha256 = $1",
        vec![sha256.into()],
    ))
    .await?
    .iter()
    .map(|r| Ok(r.try_get("", "visit_id")?))
    .collect()
}

// ---- rectification orders, referrals, case transfers ----

/// One row of a follow-up table by id.
async fn one_of<T>(
    c: &impl ConnectionTrait,
    table: &str,
    cols: &str,
    id: Uuid,
    f: fn(&QueryResult) -> Result<T>,
) -> Result<Option<T>> {
    c.query_one_raw(stmt(
        c,
        format!("SELECT {cols} FROM {table} WHERE id = $1"),
        vec![id.into()],
    ))
    .await?
    .as_ref()
    .map(f)
    .transpose()
}

/// The rows of a follow-up table that belong to a visit, by code.
async fn of_visit<T>(
    c: &impl ConnectionTrait,
    table: &str,
    cols: &str,
    visit_id: Uuid,
    f: fn(&QueryResult) -> Result<T>,
) -> Result<Vec<T>> {
    c.query_all_raw(stmt(
        c,
        format!("SELECT {cols} FROM {table} WHERE visit_id = $1 ORDER BY code"),
        vec![visit_id.into()],
    ))
    .await?
    .iter()
    .map(f)
    .collect()
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Rectification {
    pub id: Uuid,
    pub code: String,
    pub visit_id: Uuid,
    pub plan_id: Uuid,
    pub item_id: Uuid,
    pub entity_id: Uuid,
    pub department_id: Uuid,
    pub region_code: String,
    pub requirements: String,
    pub working_days: i32,
    pub issued_on: NaiveDate,
    pub deadline: NaiveDate,
    pub status: RectificationStatus,
    pub report: Option<String>,
    pub reported_at: Option<DateTime<Utc>>,
    pub review_visit_id: Option<Uuid>,
    pub closing_note: Option<String>,
    pub closed_at: Option<DateTime<Utc>>,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

const RCOLS: &str = "id, code, visit_id, plan_id, item_id, entity_id, department_id, region_code, requirements, working_days, issued_on, deadline, status, report, reported_at, review_visit_id, closing_note, closed_at, created_by, created_at, updated_at";

fn rect_from_row(r: &QueryResult) -> Result<Rectification> {
    Ok(Rectification {
        id: r.try_get("", "id")?,
        code: r.try_get("", "code")?,
        visit_id: r.try_get("", "visit_id")?,
        plan_id: r.try_get("", "plan_id")?,
        item_id: r.try_get("", "item_id")?,
        entity_id: r.try_get("", "entity_id")?,
        department_id: r.try_get("", "department_id")?,
        region_code: r.try_get("", "region_code")?,
        requirements: r.try_get("", "requirements")?,
        working_days: r.try_get("", "working_days")?,
        issued_on: r.try_get("", "issued_on")?,
        deadline: r.try_get("", "deadline")?,
        status: crate::coded(r, "status", RectificationStatus::parse)?,
        report: r.try_get("", "report")?,
        reported_at: r.try_get("", "reported_at")?,
        review_visit_id: r.try_get("", "review_visit_id")?,
        closing_note: r.try_get("", "closing_note")?,
        closed_at: r.try_get("", "closed_at")?,
        created_by: r.try_get("", "created_by")?,
        created_at: r.try_get("", "created_at")?,
        updated_at: r.try_get("", "updated_at")?,
    })
}

pub async fn insert_rectification(c: &impl ConnectionTrait, r: &Rectification) -> Result<()> {
    c.execute_raw(stmt(
        c,
        format!(
            "INSERT INTO rectifications ({RCOLS}) VALUES ({})",
            placeholders(1, 21)
        ),
        vec![
            r.id.into(),
            r.code.clone().into(),
            r.visit_id.into(),
            r.plan_id.into(),
            r.item_id.into(),
            r.entity_id.into(),
            r.department_id.into(),
            r.region_code.clone().into(),
            r.requirements.clone().into(),
            r.working_days.into(),
            r.issued_on.into(),
            r.deadline.into(),
            r.status.as_str().into(),
            r.report.clone().into(),
            r.reported_at.into(),
            r.review_visit_id.into(),
            r.closing_note.clone().into(),
            r.closed_at.into(),
            r.created_by.clone().into(),
            r.created_at.into(),
            r.updated_at.into(),
        ],
    ))
    .await?;
    crate::seal::seal_ids(c, crate::seal::Sealed::Rectifications, &[r.id]).await
}

pub async fn get_rectification(
    c: &impl ConnectionTrait,
    id: Uuid,
) -> Result<Option<Rectification>> {
    one_of(c, "rectifications", RCOLS, id, rect_from_row).await
}

pub async fn rectifications_of_visit(
    c: &impl ConnectionTrait,
    visit_id: Uuid,
) -> Result<Vec<Rectification>> {
    of_visit(c, "rectifications", RCOLS, visit_id, rect_from_row).await
}

/// Rewrites the mutable part of an order (status, report, review, closing).
pub async fn update_rectification(c: &impl ConnectionTrait, r: &Rectification) -> Result<()> {
    c.execute_raw(stmt(
        c,
        "UPDATE rectifications SET status = $1, report = $2, reported_at = $3, review_visit_id = $4, closing_note = $5, closed_at = $6, updated_at = $7 WHERE id = $8",
        vec![
            r.status.as_str().into(),
            r.report.clone().into(),
            r.reported_at.into(),
            r.review_visit_id.into(),
            r.closing_note.clone().into(),
            r.closed_at.into(),
            crate::now().into(),
            r.id.into(),
        ],
    ))
    .await?;
    crate::seal::seal_ids(c, crate::seal::Sealed::Rectifications, &[r.id]).await
}

/// Filters of a follow-up list, `S` the status of its rows; the [`Scope`] passed with it
/// limits it further.
#[derive(Debug, Clone)]
pub struct FollowUpQuery<S> {
    /// Narrows the scope to a region subtree.
    pub region: Option<RegionCode>,
    /// Narrows the scope to the department line of the list's department column.
    pub line: Option<String>,
    pub department_id: Option<Uuid>,
    pub status: Option<S>,
    /// Open and past the deadline on this day.
    pub overdue_on: Option<NaiveDate>,
}

impl<S> Default for FollowUpQuery<S> {
    fn default() -> Self {
        Self {
            region: None,
            line: None,
            department_id: None,
            status: None,
            overdue_on: None,
        }
    }
}

pub async fn list_rectifications(
    c: &impl ConnectionTrait,
    scope: &Scope,
    q: &FollowUpQuery<RectificationStatus>,
    page: PageRequest,
) -> Result<Page<Rectification>> {
    let mut vals: Vec<Value> = Vec::new();
    let mut conds = vec!["1 = 1".to_string()];
    scope_conds(scope, q, "department_id", &mut conds, &mut vals);
    if let Some(s) = q.status {
        vals.push(s.as_str().into());
        conds.push(format!("status = ${}", vals.len()));
    }
    if let Some(d) = q.overdue_on {
        vals.push(d.into());
        conds.push(format!(
            "status IN ('issued', 'reported') AND deadline < ${}",
            vals.len()
        ));
    }
    crate::paged(
        c,
        "rectifications",
        RCOLS,
        &conds.join(" AND "),
        "deadline, code",
        vals,
        page,
        rect_from_row,
    )
    .await
}

fn scope_conds<S>(
    scope: &Scope,
    q: &FollowUpQuery<S>,
    dept_col: &'static str,
    conds: &mut Vec<String>,
    vals: &mut Vec<Value>,
) {
    let scope = scope.clone().narrowed(q.region.as_ref(), q.line.as_deref());
    conds.push(crate::scope::sql(
        &scope,
        &Shape::department("region_code", dept_col),
        vals,
    ));
    if let Some(d) = q.department_id {
        vals.push(d.into());
        conds.push(format!("{dept_col} = ${}", vals.len()));
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Referral {
    pub id: Uuid,
    pub code: String,
    pub visit_id: Uuid,
    pub entity_id: Uuid,
    pub from_department_id: Uuid,
    pub to_department_id: Uuid,
    pub region_code: String,
    pub matter: String,
    pub deadline: NaiveDate,
    pub status: ReferralStatus,
    pub feedback: Option<String>,
    pub answered_by: Option<String>,
    pub answered_at: Option<DateTime<Utc>>,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
}

const FCOLS: &str = "id, code, visit_id, entity_id, from_department_id, to_department_id, region_code, matter, deadline, status, feedback, answered_by, answered_at, created_by, created_at";

fn referral_from_row(r: &QueryResult) -> Result<Referral> {
    Ok(Referral {
        id: r.try_get("", "id")?,
        code: r.try_get("", "code")?,
        visit_id: r.try_get("", "visit_id")?,
        entity_id: r.try_get("", "entity_id")?,
        from_department_id: r.try_get("", "from_department_id")?,
        to_department_id: r.try_get("", "to_department_id")?,
        region_code: r.try_get("", "region_code")?,
        matter: r.try_get("", "matter")?,
        deadline: r.try_get("", "deadline")?,
        status: crate::coded(r, "status", ReferralStatus::parse)?,
        feedback: r.try_get("", "feedback")?,
        answered_by: r.try_get("", "answered_by")?,
        answered_at: r.try_get("", "answered_at")?,
        created_by: r.try_get("", "created_by")?,
        created_at: r.try_get("", "created_at")?,
    })
}

pub async fn insert_referral(c: &impl ConnectionTrait, r: &Referral) -> Result<()> {
    c.execute_raw(stmt(
        c,
        format!(
            "INSERT INTO referrals ({FCOLS}) VALUES ({})",
            placeholders(1, 15)
        ),
        vec![
            r.id.into(),
            r.code.clone().into(),
            r.visit_id.into(),
            r.entity_id.into(),
            r.from_department_id.into(),
            r.to_department_id.into(),
            r.region_code.clone().into(),
            r.matter.clone().into(),
            r.deadline.into(),
            r.status.as_str().into(),
            r.feedback.clone().into(),
            r.answered_by.clone().into(),
            r.answered_at.into(),
            r.created_by.clone().into(),
            r.created_at.into(),
        ],
    ))
    .await?;
    crate::seal::seal_ids(c, crate::seal::Sealed::Referrals, &[r.id]).await
}

pub async fn get_referral(c: &impl ConnectionTrait, id: Uuid) -> Result<Option<Referral>> {
    one_of(c, "referrals", FCOLS, id, referral_from_row).await
}

pub async fn referrals_of_visit(c: &impl ConnectionTrait, visit_id: Uuid) -> Result<Vec<Referral>> {
    of_visit(c, "referrals", FCOLS, visit_id, referral_from_row).await
}

pub async fn answer_referral(
    c: &impl ConnectionTrait,
    id: Uuid,
    feedback: &str,
    by: &str,
) -> Result<()> {
    c.execute_raw(stmt(
        c,
        "UPDATE referrals SET status = 'answered', feedback = $1, answered_by = $2, answered_at = $3 WHERE id = $4",
        vec![feedback.into(), by.into(), crate::now().into(), id.into()],
    ))
    .await?;
    crate::seal::seal_ids(c, crate::seal::Sealed::Referrals, &[id]).await
}

/// Referrals received by (`incoming`) or sent from a department scope.
pub async fn list_referrals(
    c: &impl ConnectionTrait,
    scope: &Scope,
    q: &FollowUpQuery<ReferralStatus>,
    incoming: bool,
    page: PageRequest,
) -> Result<Page<Referral>> {
    let mut vals: Vec<Value> = Vec::new();
    let mut conds = vec!["1 = 1".to_string()];
    let col = if incoming {
        "to_department_id"
    } else {
        "from_department_id"
    };
    scope_conds(scope, q, col, &mut conds, &mut vals);
    if let Some(s) = q.status {
        vals.push(s.as_str().into());
        conds.push(format!("status = ${}", vals.len()));
    }
    if let Some(d) = q.overdue_on {
        vals.push(d.into());
        conds.push(format!("status = 'sent' AND deadline < ${}", vals.len()));
    }
    crate::paged(
        c,
        "referrals",
        FCOLS,
        &conds.join(" AND "),
        "deadline, code",
        vals,
        page,
        referral_from_row,
    )
    .await
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct CaseTransfer {
    pub id: Uuid,
    pub code: String,
    pub visit_id: Uuid,
    pub entity_id: Uuid,
    pub department_id: Uuid,
    pub region_code: String,
    pub agency: String,
    pub facts: String,
    pub status: TransferStatus,
    pub feedback: Option<String>,
    pub feedback_at: Option<DateTime<Utc>>,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
}

const TCOLS: &str = "id, code, visit_id, entity_id, department_id, region_code, agency, facts, status, feedback, feedback_at, created_by, created_at";

fn transfer_from_row(r: &QueryResult) -> Result<CaseTransfer> {
    Ok(CaseTransfer {
        id: r.try_get("", "id")?,
        code: r.try_get("", "code")?,
        visit_id: r.try_get("", "visit_id")?,
        entity_id: r.try_get("", "entity_id")?,
        department_id: r.try_get("", "department_id")?,
        region_code: r.try_get("", "region_code")?,
        agency: r.try_get("", "agency")?,
        facts: r.try_get("", "facts")?,
        status: crate::coded(r, "status", TransferStatus::parse)?,
        feedback: r.try_get("", "feedback")?,
        feedback_at: r.try_get("", "feedback_at")?,
        created_by: r.try_get("", "created_by")?,
        created_at: r.try_get("", "created_at")?,
    })
}

pub async fn insert_transfer(c: &impl ConnectionTrait, t: &CaseTransfer) -> Result<()> {
    c.execute_raw(stmt(
        c,
        format!(
            "INSERT INTO case_transfers ({TCOLS}) VALUES ({})",
            placeholders(1, 13)
        ),
        vec![
            t.id.into(),
            t.code.clone().into(),
            t.visit_id.into(),
            t.entity_id.into(),
            t.department_id.into(),
            t.region_code.clone().into(),
            t.agency.clone().into(),
            t.facts.clone().into(),
            t.status.as_str().into(),
            t.feedback.clone().into(),
            t.feedback_at.into(),
            t.created_by.clone().into(),
            t.created_at.into(),
        ],
    ))
    .await?;
    crate::seal::seal_ids(c, crate::seal::Sealed::CaseTransfers, &[t.id]).await
}

pub async fn get_transfer(c: &impl ConnectionTrait, id: Uuid) -> Result<Option<CaseTransfer>> {
    one_of(c, "case_transfers", TCOLS, id, transfer_from_row).await
}

pub async fn transfers_of_visit(
    c: &impl ConnectionTrait,
    visit_id: Uuid,
) -> Result<Vec<CaseTransfer>> {
    of_visit(c, "case_transfers", TCOLS, visit_id, transfer_from_row).await
}

pub async fn set_transfer_feedback(
    c: &impl ConnectionTrait,
    id: Uuid,
    status: TransferStatus,
    feedback: &str,
) -> Result<()> {
    c.execute_raw(stmt(
        c,
        "UPDATE case_transfers SET status = $1, feedback = $2, feedback_at = $3 WHERE id = $4",
        vec![
            status.as_str().into(),
            feedback.into(),
            crate::now().into(),
            id.into(),
        ],
    ))
    .await?;
    crate::seal::seal_ids(c, crate::seal::Sealed::CaseTransfers, &[id]).await
}

pub async fn list_transfers(
    c: &impl ConnectionTrait,
    scope: &Scope,
    q: &FollowUpQuery<TransferStatus>,
    page: PageRequest,
) -> Result<Page<CaseTransfer>> {
    let mut vals: Vec<Value> = Vec::new();
    let mut conds = vec!["1 = 1".to_string()];
    scope_conds(scope, q, "department_id", &mut conds, &mut vals);
    if let Some(s) = q.status {
        vals.push(s.as_str().into());
        conds.push(format!("status = ${}", vals.len()));
    }
    crate::paged(
        c,
        "case_transfers",
        TCOLS,
        &conds.join(" AND "),
        "created_at DESC, code",
        vals,
        page,
        transfer_from_row,
    )
    .await
}

/// How many visits, orders, referrals or transfers have codes with this prefix (for the next code).
pub async fn count_codes(c: &impl ConnectionTrait, table: &str, prefix: &str) -> Result<u64> {
    debug_assert!(["visits", "rectifications", "referrals", "case_transfers"].contains(&table));
    let n: i64 = c
        .query_one_raw(stmt(
            c,
            format!("SELECT COUNT(*) AS n FROM {table} WHERE code LIKE $1"),
            vec![format!("{prefix}%").into()],
        ))
        .await?
        .map(|r| r.try_get("", "n"))
        .transpose()?
        .unwrap_or(0);
    Ok(u64::try_from(n).unwrap_or(0))
}

// ---- credit records ----

#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct CreditRecord {
    pub id: Uuid,
    pub entity_id: Uuid,
    pub region_code: String,
    /// `inspection` for published inspection results.
    pub kind: String,
    pub source_id: Uuid,
    pub item_id: Option<Uuid>,
    pub department_id: Uuid,
    pub result_code: ResultCode,
    pub follow_up: Option<FollowUp>,
    pub recorded_on: NaiveDate,
    pub created_at: DateTime<Utc>,
}

pub async fn insert_credit_record(c: &impl ConnectionTrait, r: &CreditRecord) -> Result<()> {
    c.execute_raw(stmt(
        c,
        "INSERT INTO credit_records (id, entity_id, region_code, kind, source_id, item_id, department_id, result_code, follow_up, recorded_on, created_at) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11)",
        vec![
            r.id.into(),
            r.entity_id.into(),
            r.region_code.clone().into(),
            r.kind.clone().into(),
            r.source_id.into(),
            r.item_id.into(),
            r.department_id.into(),
            r.result_code.as_str().into(),
            r.follow_up.map(FollowUp::as_str).into(),
            r.recorded_on.into(),
            r.created_at.into(),
        ],
    ))
    .await?;
    crate::seal::seal_ids(c, crate::seal::Sealed::CreditRecords, &[r.id]).await
}

pub async fn credit_records_of_entity(
    c: &impl ConnectionTrait,
    entity_id: Uuid,
) -> Result<Vec<CreditRecord>> {
    c.query_all_raw(stmt(
        c,
        "SELECT id, entity_id, region_code, kind, source_id, item_id, department_id, result_code, follow_up, recorded_on, created_at FROM credit_records WHERE entity_id = $1 ORDER BY recorded_on DESC, created_at DESC",
        vec![entity_id.into()],
    ))
    .await?
    .iter()
    .map(|r| {
        Ok(CreditRecord {
            id: r.try_get("", "id")?,
            entity_id: r.try_get("", "entity_id")?,
            region_code: r.try_get("", "region_code")?,
            kind: r.try_get("", "kind")?,
            source_id: r.try_get("", "source_id")?,
            item_id: r.try_get("", "item_id")?,
            department_id: r.try_get("", "department_id")?,
            result_code: crate::coded(r, "result_code", ResultCode::parse)?,
            follow_up: crate::coded_opt(r, "follow_up", FollowUp::parse)?,
            recorded_on: r.try_get("", "recorded_on")?,
            created_at: r.try_get("", "created_at")?,
        })
    })
    .collect()
}

// ---- result lists ----

/// One item's result of one visit, as lists show it.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct ResultListRow {
    pub visit_id: Uuid,
    pub visit_code: String,
    pub visit_status: VisitStatus,
    pub trigger: VisitTrigger,
    pub region_code: String,
    pub usci: String,
    pub entity_name: String,
    pub item_id: Uuid,
    pub item_code: String,
    pub item_name: String,
    pub department_id: Uuid,
    pub department_name: String,
    pub visited_on: Option<NaiveDate>,
    pub result_code: Option<ResultCode>,
    pub follow_up: Option<FollowUp>,
    pub review: Review,
    pub completed_at: Option<DateTime<Utc>>,
    pub publish_deadline: Option<NaiveDate>,
    pub published_at: Option<DateTime<Utc>>,
}

/// Filters of a result list; the [`Scope`] passed to [`list_results`] limits it further.
#[derive(Debug, Clone, Default)]
pub struct ResultQuery {
    /// Only published results (the portal and the public API).
    pub published_only: bool,
    /// Narrows the scope to a region subtree.
    pub region: Option<RegionCode>,
    /// Narrows the scope to the line of the result's department.
    pub line: Option<String>,
    pub department_id: Option<Uuid>,
    pub item_id: Option<Uuid>,
    /// Entity name or credit code fragment.
    pub entity: Option<String>,
    pub result_code: Option<ResultCode>,
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
    /// Completed but not yet published, past the deadline on this day.
    pub late_on: Option<NaiveDate>,
    /// Only visits completed (results submitted or later).
    pub completed_only: bool,
}

const RLCOLS: &str = "v.id AS visit_id, v.code AS visit_code, v.status AS visit_status, v.trigger, v.region_code, e.usci, e.name AS entity_name, r.item_id, i.code AS item_code, i.name AS item_name, r.department_id, d.name AS department_name, v.visited_on, r.result_code, r.follow_up, r.review, v.completed_at, v.publish_deadline, v.published_at";

/// The tables a result list reads, and its `WHERE` condition for `scope` and `q` (placeholders
/// numbered after `vals`, which it extends).
const RESULTS_FROM: &str = "visit_results r JOIN visits v ON v.id = r.visit_id JOIN entities e ON e.id = v.entity_id JOIN items i ON i.id = r.item_id JOIN departments d ON d.id = r.department_id";

fn results_where(scope: &Scope, q: &ResultQuery, vals: &mut Vec<Value>) -> String {
    let mut conds: Vec<String> = vec!["v.status <> 'cancelled'".into()];
    if q.published_only {
        conds.push("v.status IN ('published', 'closed')".into());
    }
    if q.completed_only {
        conds.push("v.status IN ('submitted', 'reviewed', 'published', 'closed')".into());
    }
    let scope = scope.clone().narrowed(q.region.as_ref(), q.line.as_deref());
    conds.push(crate::scope::sql(
        &scope,
        &Shape::department("v.region_code", "r.department_id"),
        vals,
    ));
    if let Some(x) = q.department_id {
        vals.push(x.into());
        conds.push(format!("r.department_id = ${}", vals.len()));
    }
    if let Some(x) = q.item_id {
        vals.push(x.into());
        conds.push(format!("r.item_id = ${}", vals.len()));
    }
    if let Some(t) = q.entity.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
        vals.push(crate::contains_pattern(t).into());
        conds.push(format!(
            "(e.name LIKE ${n}{e} OR e.usci LIKE ${n}{e})",
            n = vals.len(),
            e = crate::LIKE_ESCAPE,
        ));
    }
    if let Some(x) = q.result_code {
        vals.push(x.as_str().into());
        conds.push(format!("r.result_code = ${}", vals.len()));
    }
    if let Some(x) = q.from {
        vals.push(x.into());
        conds.push(format!("v.visited_on >= ${}", vals.len()));
    }
    if let Some(x) = q.to {
        vals.push(x.into());
        conds.push(format!("v.visited_on <= ${}", vals.len()));
    }
    if let Some(x) = q.late_on {
        vals.push(x.into());
        conds.push(format!(
            "v.status IN ('submitted', 'reviewed') AND v.publish_deadline < ${}",
            vals.len()
        ));
    }
    conds.join(" AND ")
}

async fn count_where(
    c: &impl ConnectionTrait,
    what: &str,
    w: &str,
    vals: Vec<Value>,
) -> Result<u64> {
    let n: i64 = c
        .query_one_raw(stmt(
            c,
            format!("SELECT COUNT({what}) AS n FROM {RESULTS_FROM} WHERE {w}"),
            vals,
        ))
        .await?
        .map(|r| r.try_get("", "n"))
        .transpose()?
        .unwrap_or(0);
    Ok(u64::try_from(n).unwrap_or(0))
}

fn result_row(r: &QueryResult) -> Result<ResultListRow> {
    Ok(ResultListRow {
        visit_id: r.try_get("", "visit_id")?,
        visit_code: r.try_get("", "visit_code")?,
        visit_status: crate::coded(r, "visit_status", VisitStatus::parse)?,
        trigger: crate::coded(r, "trigger", VisitTrigger::parse)?,
        region_code: r.try_get("", "region_code")?,
        usci: r.try_get("", "usci")?,
        entity_name: r.try_get("", "entity_name")?,
        item_id: r.try_get("", "item_id")?,
        item_code: r.try_get("", "item_code")?,
        item_name: r.try_get("", "item_name")?,
        department_id: r.try_get("", "department_id")?,
        department_name: r.try_get("", "department_name")?,
        visited_on: r.try_get("", "visited_on")?,
        result_code: crate::coded_opt(r, "result_code", ResultCode::parse)?,
        follow_up: crate::coded_opt(r, "follow_up", FollowUp::parse)?,
        review: crate::coded(r, "review", Review::parse)?,
        completed_at: r.try_get("", "completed_at")?,
        publish_deadline: r.try_get("", "publish_deadline")?,
        published_at: r.try_get("", "published_at")?,
    })
}

/// One row per item result, newest visit first.
pub async fn list_results(
    c: &impl ConnectionTrait,
    scope: &Scope,
    q: &ResultQuery,
    page: PageRequest,
) -> Result<Page<ResultListRow>> {
    let mut vals: Vec<Value> = Vec::new();
    let w = results_where(scope, q, &mut vals);
    let total = count_where(c, "*", &w, vals.clone()).await?;
    let items = c
        .query_all_raw(stmt(
            c,
            format!(
                "SELECT {RLCOLS} FROM {RESULTS_FROM} WHERE {w} ORDER BY v.visited_on DESC, v.code DESC, i.code LIMIT {} OFFSET {}",
                page.per_page,
                page.offset()
            ),
            vals,
        ))
        .await?
        .iter()
        .map(result_row)
        .collect::<Result<_>>()?;
    Ok(Page {
        items,
        total,
        page: page.page,
        per_page: page.per_page,
    })
}

/// The same results paged by visit: a joint visit, with the results of all its departments,
/// counts once (the portal shows it as one row). `total` counts visits; the items are every
/// matching result of the page's visits, newest visit first.
pub async fn list_results_by_visit(
    c: &impl ConnectionTrait,
    scope: &Scope,
    q: &ResultQuery,
    page: PageRequest,
) -> Result<Page<ResultListRow>> {
    let mut vals: Vec<Value> = Vec::new();
    let w = results_where(scope, q, &mut vals);
    let total = count_where(c, "DISTINCT v.id", &w, vals.clone()).await?;
    let ids: Vec<Uuid> = c
        .query_all_raw(stmt(
            c,
            format!(
                "SELECT v.id AS id FROM {RESULTS_FROM} WHERE {w} GROUP BY v.id, v.visited_on, v.code ORDER BY v.visited_on DESC, v.code DESC LIMIT {} OFFSET {}",
                page.per_page,
                page.offset()
            ),
            vals.clone(),
        ))
        .await?
        .iter()
        .map(|r| r.try_get("", "id"))
        .collect::<std::result::Result<_, _>>()?;
    let items = if ids.is_empty() {
        Vec::new()
    } else {
        let first = vals.len() + 1;
        vals.extend(ids.iter().map(|id| Value::from(*id)));
        c.query_all_raw(stmt(
            c,
            format!(
                "SELECT {RLCOLS} FROM {RESULTS_FROM} WHERE {w} AND v.id IN ({}) ORDER BY v.visited_on DESC, v.code DESC, d.name, i.code",
                placeholders(first, ids.len())
            ),
            vals,
        ))
        .await?
        .iter()
        .map(result_row)
        .collect::<Result<_>>()?
    };
    Ok(Page {
        items,
        total,
        page: page.page,
        per_page: page.per_page,
    })
}

/// A member of a visit's team, with what the pages and the checks need.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct TeamMember {
    pub inspector_id: Uuid,
    pub department_id: Uuid,
    pub name: String,
    pub certificate_number: String,
    pub user_id: Option<Uuid>,
    pub kind: InspectorKind,
}

pub async fn team(c: &impl ConnectionTrait, visit_id: Uuid) -> Result<Vec<TeamMember>> {
    c.query_all_raw(stmt(
        c,
        "SELECT vi.inspector_id, vi.department_id, i.name, i.certificate_number, i.user_id, i.kind FROM visit_inspectors vi JOIN inspectors i ON i.id = vi.inspector_id WHERE vi.visit_id = $1 ORDER BY vi.seq",
        vec![visit_id.into()],
    ))
    .await?
    .iter()
    .map(|r| {
        Ok(TeamMember {
            inspector_id: r.try_get("", "inspector_id")?,
            department_id: r.try_get("", "department_id")?,
            name: r.try_get("", "name")?,
            certificate_number: r.try_get("", "certificate_number")?,
            user_id: r.try_get("", "user_id")?,
            kind: crate::coded(r, "kind", InspectorKind::parse)?,
        })
    })
    .collect()
}
