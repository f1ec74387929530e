//! Carrying out visits (检查实施) and publishing their results (一公开): the merged checklist
//! of a joint visit, answers saved as the inspectors go, both inspectors' confirmation, each
//! department's review of its own part, publication within 20 working days and its effects
//! (entity timeline, cooldowns, credit records). Ad-hoc visits (not from a draw) use the same
//! flow. Rectification, referral and case transfer are in [`crate::follow_ups`].
//! Policy: 国办发〔2023〕1号 (九)(十五); 鲁双随机办 principle 6 (公示为原则、不公示为例外).

use std::collections::{HashMap, HashSet};

use chrono::{NaiveDate, Utc};
use lianjian_domain::Invalid;
use lianjian_domain::account::Role;
use lianjian_domain::inspector::InspectorKind;
use lianjian_domain::lifecycle::Lifecycle;
use lianjian_domain::scope::{Actor, Scope};
use lianjian_domain::visit::{
    self as rules, Answer, FollowUp, ItemResult, Position, ResultCode, Review, VisitStatus,
    VisitTrigger, beijing_date,
};
use lianjian_store::departments::Department;
use lianjian_store::draws::{self as draw_repo, Visit, VisitCheck, VisitInspector};
use lianjian_store::visits::{
    self as repo, AnswerRow, ChecklistRow, Confirmation, Progress, ResultRow, TeamMember,
};
use lianjian_store::{Conn, Page, PageRequest, entities, inspectors as pool_repo, items};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::calendar::{add_working_days, working_days_between};
use crate::error::Checker;
use crate::trail::{Record, record};
use crate::visit_access::{acts_for, department, visible};
use crate::{Result, ServiceError, Services};

/// Visit and result lists as this service takes and returns them.
pub use lianjian_store::visits::{Attachment, ResultListRow, ResultQuery, VisitQuery, VisitRow};

fn invalid(
    field: &str,
    code: &'static str,
    zh: impl Into<String>,
    en: impl Into<String>,
) -> ServiceError {
    ServiceError::field(field, Invalid::new(code, zh, en))
}

/// Moves `v` to `to` if the visit lifecycle allows it from the status `v` was read with; a
/// move another request made meanwhile is a conflict, not a second move.
pub(crate) async fn move_visit(
    c: &impl lianjian_store::Conn,
    v: &VisitRow,
    to: VisitStatus,
    p: &Progress,
) -> Result<()> {
    let to = v
        .status
        .move_to(to)
        .map_err(|e| ServiceError::conflict("status", e.zh, e.en))?;
    if repo::set_visit_status(c, v.id, (v.status, to), p).await? {
        Ok(())
    } else {
        Err(ServiceError::conflict(
            "status",
            format!("检查 {} 的状态已被他人更改，请刷新后重试", v.code),
            format!("visit {} was changed meanwhile; reload and retry", v.code),
        ))
    }
}

/// Moves one part's review along [`Review`]'s lifecycle; a move the lifecycle forbids, or a
/// part another request decided meanwhile, is a conflict, as for [`move_visit`].
async fn move_review(
    c: &impl lianjian_store::Conn,
    v: &VisitRow,
    part: &ResultRow,
    to: Review,
    note: Option<&str>,
    by: Option<&str>,
) -> Result<()> {
    let to = part
        .review
        .move_to(to)
        .map_err(|e| ServiceError::conflict("review", e.zh, e.en))?;
    if repo::set_review(c, v.id, part.plan_id, (part.review, to), note, by).await? {
        Ok(())
    } else {
        Err(ServiceError::conflict(
            "review",
            format!("检查 {} 该事项的审核已被他人更改，请刷新后重试", v.code),
            format!(
                "visit {}: the part's review was changed meanwhile; reload and retry",
                v.code
            ),
        ))
    }
}

fn not_on_team() -> ServiceError {
    ServiceError::refused(
        "您不在本次检查的检查人员名单中，不能录入或确认检查结果",
        "you are not on this visit's team and cannot record or confirm its results",
    )
}

/// The actor's place on the team: only team members record results (执法人员须为本次检查人员).
fn member<'a>(actor: &Actor, team: &'a [TeamMember]) -> Result<&'a TeamMember> {
    team.iter()
        .find(|m| m.user_id == Some(actor.user_id))
        .ok_or_else(not_on_team)
}

fn ensure_recording(v: &VisitRow) -> Result<VisitStatus> {
    let s = v.status;
    if !s.is_open_for_recording() {
        return Err(ServiceError::conflict(
            "status",
            format!(
                "检查 {} 当前状态为“{}”，不能再修改检查记录",
                v.code,
                s.label_zh()
            ),
            format!(
                "visit {} is {}: its record can no longer be changed",
                v.code,
                s.as_str()
            ),
        ));
    }
    Ok(s)
}

// ---- the merged checklist ----

/// One check point of the merged checklist, with its answer.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ChecklistEntry {
    pub seq: i32,
    pub plan_id: Uuid,
    pub item_id: Uuid,
    pub department_id: Uuid,
    pub item_seq: i32,
    pub dimension: String,
    pub dimension_zh: String,
    pub content: String,
    pub legal_basis: String,
    pub answer: Option<Answer>,
    /// The answer is 不符合: reviewers' eyes go there first.
    pub failed: bool,
    pub note: String,
    pub attachments: Vec<Attachment>,
}

/// One item of the visit (one plan's check), its check points, result and review.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ItemPart {
    pub plan_id: Uuid,
    pub item_id: Uuid,
    pub item_code: String,
    pub item_name: String,
    pub department_id: Uuid,
    pub department_name: String,
    pub points: Vec<ChecklistEntry>,
    pub result: Option<ResultRow>,
    pub result_code_zh: Option<String>,
    pub follow_up_zh: Option<String>,
    pub review_zh: String,
    /// The actor may approve or return this part now.
    pub may_review: bool,
    pub answered: usize,
    /// Check points answered 不符合.
    pub failed: usize,
}

impl ItemPart {
    /// The part's review (pending until the visit has started and its result row exists).
    pub fn review(&self) -> Review {
        self.result.as_ref().map_or(Review::Pending, |r| r.review)
    }
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct TeamView {
    pub member: TeamMember,
    pub department_name: String,
    pub confirmed_at: Option<chrono::DateTime<Utc>>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct VisitDetail {
    pub visit: VisitRow,
    pub status_zh: String,
    pub trigger_zh: String,
    pub lead_department: String,
    /// Every department taking part (参与部门): the lead first, then those of the other items.
    pub departments: Vec<String>,
    pub parts: Vec<ItemPart>,
    pub team: Vec<TeamView>,
    pub attachments: Vec<Attachment>,
    pub rectifications: Vec<lianjian_store::visits::Rectification>,
    pub referrals: Vec<lianjian_store::visits::Referral>,
    pub transfers: Vec<lianjian_store::visits::CaseTransfer>,
    /// The actor's team membership, if any.
    pub me: Option<TeamMember>,
    pub may_record: bool,
    pub may_publish: bool,
    pub may_close: bool,
    /// Departments the actor may act for among the visit's (orders, referrals, transfers).
    pub acting_departments: Vec<Uuid>,
    /// Working days from completion to the publication deadline still left (negative: late).
    pub days_to_deadline: Option<i64>,
    /// Set when the deadline falls in a year whose holiday arrangement is not loaded yet.
    pub calendar_note: Option<String>,
    /// Other visits to the same entity that should be one with this (a random and an ad-hoc
    /// visit in overlapping periods, [`rules::should_merge`]), among those the actor sees.
    pub overlaps: Vec<Overlap>,
    /// The random visit this ad-hoc one was merged into: (id, code).
    pub merged_into: Option<(Uuid, String)>,
}

/// Another visit that should be merged with the one shown.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Overlap {
    pub visit_id: Uuid,
    pub code: String,
    pub trigger_zh: String,
    pub status_zh: String,
    pub period_start: NaiveDate,
    pub period_end: NaiveDate,
    /// The ad-hoc visit of the pair, and the random one it would be folded into.
    pub ad_hoc_id: Uuid,
    pub random_id: Uuid,
    /// Why the actor cannot merge them now; `None`: the merge is offered.
    pub refusal: Option<String>,
}

/// The checklist as it stands: frozen once the visit has started, else built from the items
/// in force now.
async fn checklist_rows(c: &impl Conn, v: &VisitRow) -> Result<Vec<ChecklistRow>> {
    let frozen = repo::checklist(c, v.id).await?;
    if !frozen.is_empty() {
        return Ok(frozen);
    }
    build_checklist(c, v.id).await
}

/// The merged checklist (一张清单): the check points of every item of the visit, grouped by
/// department (lead department first), then by item, in the items' own order.
async fn build_checklist(c: &impl Conn, visit_id: Uuid) -> Result<Vec<ChecklistRow>> {
    let v = repo::get_visit(c, visit_id)
        .await?
        .ok_or(ServiceError::NotFound)?;
    let mut checks = draw_repo::checks_of_visits(c, &[visit_id])
        .await?
        .remove(&visit_id)
        .unwrap_or_default();
    checks.sort_by_key(|ch| {
        (
            ch.department_id != v.lead_department_id,
            ch.department_id,
            ch.plan_id,
        )
    });
    let mut out = Vec::new();
    for ch in checks {
        let item = items::get(c, ch.item_id)
            .await?
            .ok_or(ServiceError::NotFound)?;
        for (i, p) in item.check_points.iter().enumerate() {
            out.push(ChecklistRow {
                seq: out.len() as i32 + 1,
                plan_id: ch.plan_id,
                item_id: ch.item_id,
                department_id: ch.department_id,
                item_seq: i as i32 + 1,
                dimension: p.dimension.as_str().to_string(),
                content: p.content.clone(),
                legal_basis: p.legal_basis.clone(),
            });
        }
    }
    Ok(out)
}

/// The visit's row (code, entity, status) if the actor may see it, without its checklist.
pub async fn get_row(svc: &Services, actor: &Actor, id: Uuid) -> Result<VisitRow> {
    visible(svc.store.conn(), actor, id).await
}

pub async fn get(svc: &Services, actor: &Actor, id: Uuid) -> Result<VisitDetail> {
    let c = svc.store.conn();
    let v = visible(c, actor, id).await?;
    detail(svc, actor, v).await
}

async fn detail(svc: &Services, actor: &Actor, v: VisitRow) -> Result<VisitDetail> {
    let c = svc.store.conn();
    let status = v.status;
    let rows = checklist_rows(c, &v).await?;
    let answers: HashMap<i32, AnswerRow> = repo::answers(c, v.id)
        .await?
        .into_iter()
        .map(|a| (a.seq, a))
        .collect();
    let results: HashMap<Uuid, ResultRow> = repo::results(c, v.id)
        .await?
        .into_iter()
        .map(|r| (r.plan_id, r))
        .collect();
    let attachments = repo::attachments(c, v.id).await?;
    let mut by_seq: HashMap<i32, Vec<Attachment>> = HashMap::new();
    for a in &attachments {
        if let Some(s) = a.seq {
            by_seq.entry(s).or_default().push(a.clone());
        }
    }
    let checks = draw_repo::checks_of_visits(c, &[v.id])
        .await?
        .remove(&v.id)
        .unwrap_or_default();
    let mut depts: HashMap<Uuid, Department> = HashMap::new();
    for id in checks
        .iter()
        .map(|c| c.department_id)
        .chain([v.lead_department_id])
    {
        if let std::collections::hash_map::Entry::Vacant(e) = depts.entry(id) {
            e.insert(department(c, id).await?);
        }
    }
    let mut parts: Vec<ItemPart> = Vec::new();
    let mut order: Vec<Uuid> = Vec::new();
    for r in &rows {
        if !order.contains(&r.plan_id) {
            order.push(r.plan_id);
        }
    }
    for ch in &checks {
        if !order.contains(&ch.plan_id) {
            order.push(ch.plan_id);
        }
    }
    for plan_id in order {
        let Some(ch) = checks.iter().find(|c| c.plan_id == plan_id) else {
            continue;
        };
        let item = items::get(c, ch.item_id)
            .await?
            .ok_or(ServiceError::NotFound)?;
        let points: Vec<ChecklistEntry> = rows
            .iter()
            .filter(|r| r.plan_id == plan_id)
            .map(|r| {
                let a = answers.get(&r.seq);
                ChecklistEntry {
                    seq: r.seq,
                    plan_id: r.plan_id,
                    item_id: r.item_id,
                    department_id: r.department_id,
                    item_seq: r.item_seq,
                    dimension_zh: lianjian_domain::item::Dimension::parse(&r.dimension)
                        .map(|d| d.label_zh().to_string())
                        .unwrap_or_else(|_| r.dimension.clone()),
                    dimension: r.dimension.clone(),
                    content: r.content.clone(),
                    legal_basis: r.legal_basis.clone(),
                    answer: a.map(|a| a.answer),
                    failed: a.is_some_and(|a| a.answer == Answer::Fail),
                    note: a.map(|a| a.note.clone()).unwrap_or_default(),
                    attachments: by_seq.get(&r.seq).cloned().unwrap_or_default(),
                }
            })
            .collect();
        let result = results.get(&plan_id).cloned();
        let d = &depts[&ch.department_id];
        let review = result.as_ref().map_or(Review::Pending, |r| r.review);
        parts.push(ItemPart {
            plan_id,
            item_id: item.id,
            item_code: item.code.clone(),
            item_name: item.name.clone(),
            department_id: d.id,
            department_name: d.name.clone(),
            answered: points.iter().filter(|p| p.answer.is_some()).count(),
            failed: points.iter().filter(|p| p.failed).count(),
            points,
            result_code_zh: result
                .as_ref()
                .and_then(|r| r.result_code)
                .map(|c| c.label_zh().to_string()),
            follow_up_zh: result
                .as_ref()
                .and_then(|r| r.follow_up)
                .map(|c| c.label_zh().to_string()),
            review_zh: review.label_zh().to_string(),
            may_review: status == VisitStatus::Submitted
                && review.can_move_to(Review::Approved)
                && acts_for(actor, d),
            result,
        });
    }
    let confirmations: HashMap<Uuid, Confirmation> = repo::confirmations(c, v.id)
        .await?
        .into_iter()
        .map(|k| (k.inspector_id, k))
        .collect();
    let team_rows = repo::team(c, v.id).await?;
    let mut team = Vec::new();
    for m in &team_rows {
        let dn = match depts.get(&m.department_id) {
            Some(d) => d.name.clone(),
            None => department(c, m.department_id).await?.name,
        };
        team.push(TeamView {
            member: m.clone(),
            department_name: dn,
            confirmed_at: confirmations.get(&m.inspector_id).map(|k| k.confirmed_at),
        });
    }
    let me = team_rows
        .iter()
        .find(|m| m.user_id == Some(actor.user_id))
        .cloned();
    let lead = &depts[&v.lead_department_id];
    let mut departments = vec![lead.name.clone()];
    for ch in &checks {
        let name = &depts[&ch.department_id].name;
        if !departments.contains(name) {
            departments.push(name.clone());
        }
    }
    let acting_departments: Vec<Uuid> = {
        let mut ids: Vec<Uuid> = depts
            .values()
            .filter(|d| acts_for(actor, d))
            .map(|d| d.id)
            .collect();
        if let Some(m) = &me {
            ids.push(m.department_id);
        }
        ids.sort();
        ids.dedup();
        ids
    };
    let rectifications = repo::rectifications_of_visit(c, v.id).await?;
    let referrals = repo::referrals_of_visit(c, v.id).await?;
    let transfers = repo::transfers_of_visit(c, v.id).await?;
    let open_follow_ups = open_follow_ups(&rectifications, &referrals);
    let days_to_deadline = match (v.publish_deadline, status) {
        (Some(d), VisitStatus::Submitted | VisitStatus::Reviewed) => {
            Some(working_days_between(svc, beijing_date(Utc::now()), d).await?)
        }
        _ => None,
    };
    let calendar_note = match v.publish_deadline {
        Some(d)
            if !crate::calendar::current(svc)
                .await?
                .covers(chrono::Datelike::year(&d)) =>
        {
            Some(format!(
                "{}年节假日安排尚未录入工作日历，期限按周末计算",
                chrono::Datelike::year(&d)
            ))
        }
        _ => None,
    };
    let overlaps = overlaps_of(c, actor, &v).await?;
    let merged_into = if status == VisitStatus::Cancelled {
        merged_into(c, v.id).await?
    } else {
        None
    };
    Ok(VisitDetail {
        overlaps,
        merged_into,
        calendar_note,
        status_zh: status.label_zh().into(),
        trigger_zh: v.trigger.label_zh().into(),
        lead_department: lead.name.clone(),
        departments,
        may_record: me.is_some() && status.is_open_for_recording(),
        may_publish: status == VisitStatus::Reviewed && acts_for(actor, lead),
        may_close: status == VisitStatus::Published
            && acts_for(actor, lead)
            && open_follow_ups.is_empty(),
        acting_departments,
        parts,
        team,
        attachments,
        rectifications,
        referrals,
        transfers,
        me,
        days_to_deadline,
        visit: v,
    })
}

/// What still keeps a visit's follow-up open: orders not yet closed by a re-check, referrals
/// without feedback.
pub(crate) fn open_follow_ups(
    rects: &[lianjian_store::visits::Rectification],
    refs: &[lianjian_store::visits::Referral],
) -> Vec<String> {
    let mut open: Vec<String> = rects
        .iter()
        .filter(|r| !r.status.is_final())
        .map(|r| format!("整改 {}", r.code))
        .collect();
    open.extend(
        refs.iter()
            .filter(|r| !r.status.is_final())
            .map(|r| format!("抄告 {}", r.code)),
    );
    open
}

// ---- recording ----

/// Starts a visit on site: freezes the merged checklist (later item edits do not change a
/// visit under way) and records the time and, optionally, the position.
pub async fn start(
    svc: &Services,
    actor: &Actor,
    id: Uuid,
    position: Option<Position>,
) -> Result<VisitDetail> {
    let tx = svc.store.begin().await?;
    let v = visible(&tx, actor, id).await?;
    let team = repo::team(&tx, id).await?;
    member(actor, &team)?;
    let s = ensure_recording(&v)?;
    if s == VisitStatus::Scheduled {
        start_in(&tx, actor, &v, position).await?;
    }
    tx.commit().await?;
    get(svc, actor, id).await
}

async fn start_in(
    tx: &impl Conn,
    actor: &Actor,
    v: &VisitRow,
    position: Option<Position>,
) -> Result<()> {
    let rows = build_checklist(tx, v.id).await?;
    repo::insert_checklist(tx, v.id, &rows).await?;
    let now = lianjian_domain::audit::audit_time(Utc::now());
    let checks = draw_repo::checks_of_visits(tx, &[v.id])
        .await?
        .remove(&v.id)
        .unwrap_or_default();
    for ch in &checks {
        repo::insert_result(
            tx,
            v.id,
            &ResultRow::pending(ch.plan_id, ch.item_id, ch.department_id, now),
        )
        .await?;
    }
    let pos = position.map(|p| serde_json::to_string(&p).expect("serialisable"));
    move_visit(
        tx,
        v,
        VisitStatus::InProgress,
        &Progress {
            started: Some((now, pos.clone())),
            ..Default::default()
        },
    )
    .await?;
    record(
        tx,
        actor,
        Record::new("visit.start", "visit", v.id)
            .at(&v.region_code, Some(v.lead_department_id))
            .after(
                &serde_json::json!({"code": v.code, "check_points": rows.len(), "position": pos}),
            ),
    )
    .await?;
    Ok(())
}

/// One check point's answer as a form or the phone sends it.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct AnswerInput {
    pub seq: i32,
    /// `pass` / `fail` / `not_applicable` (or the Chinese label); empty: not answered yet.
    #[serde(default)]
    pub answer: String,
    #[serde(default)]
    pub note: String,
    /// The answer as the sender last saw it on the server (`answer` empty: unanswered). When
    /// given and the server holds something else by now, the answer is not written but
    /// reported as a conflict (an edit made offline never silently overwrites a colleague's).
    #[serde(default)]
    pub base: Option<AnswerBase>,
}

/// What the sender last saw of a check point's answer.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct AnswerBase {
    #[serde(default)]
    pub answer: String,
    #[serde(default)]
    pub note: String,
}

/// One item's result as a form or the phone sends it.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct ResultInput {
    pub plan_id: Uuid,
    #[serde(default)]
    pub result_code: String,
    #[serde(default)]
    pub follow_up: String,
    #[serde(default)]
    pub summary: String,
    /// The result as the sender last saw it on the server; see [`AnswerInput::base`].
    #[serde(default)]
    pub base: Option<ResultBase>,
}

/// What the sender last saw of an item's result.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct ResultBase {
    #[serde(default)]
    pub result_code: String,
    #[serde(default)]
    pub follow_up: String,
    #[serde(default)]
    pub summary: String,
}

/// An answer or result not written because the server's copy changed since the sender's base.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Conflict {
    /// `answers[i]` or `results[i]`: the entry of the draft that was not written.
    pub field: String,
    pub seq: Option<i32>,
    pub plan_id: Option<Uuid>,
    /// What the server holds now, in the draft's own shape (`answer`, `note` or
    /// `result_code`, `follow_up`, `summary`), so a client can show it or adopt it.
    pub server: serde_json::Value,
    /// The same in words, e.g. “不符合（说明：灭火器过期）”.
    pub server_zh: String,
    /// Who recorded it (answers only).
    pub by: Option<String>,
    pub at: chrono::DateTime<Utc>,
    pub message: String,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct Draft {
    #[serde(default)]
    pub answers: Vec<AnswerInput>,
    #[serde(default)]
    pub results: Vec<ResultInput>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Saved {
    /// Answers and results that changed; 0 when the same form was sent again.
    pub changed: usize,
    pub saved_at: chrono::DateTime<Utc>,
    /// Confirmations withdrawn because the record changed after them.
    pub confirmations_cleared: u64,
    /// The officers whose confirmation was withdrawn (they must confirm again).
    pub withdrawn: Vec<String>,
    /// Entries not written because the server's copy changed since their base.
    pub conflicts: Vec<Conflict>,
}

fn answer_zh(answer: Answer, note: &str) -> String {
    let a = answer.label_zh();
    if note.is_empty() {
        a.to_string()
    } else {
        format!("{a}（说明：{note}）")
    }
}

fn result_zh(code: Option<ResultCode>, follow_up: Option<FollowUp>, summary: &str) -> String {
    let c = code.map_or("未选择检查结果", |c| c.label_zh());
    let f = follow_up
        .map(|f| format!("，后续处置：{}", f.label_zh()))
        .unwrap_or_default();
    let s = if summary.is_empty() {
        String::new()
    } else {
        format!("（{summary}）")
    };
    format!("{c}{f}{s}")
}

/// Saves what the inspector has entered so far (草稿随录随存). Sending the same form twice
/// changes nothing the second time. Every bad value is named; nothing is saved then.
pub async fn save(svc: &Services, actor: &Actor, id: Uuid, draft: &Draft) -> Result<Saved> {
    let c = svc.store.conn();
    let v0 = visible(c, actor, id).await?;
    let team = repo::team(c, id).await?;
    let me = member(actor, &team)?.clone();
    ensure_recording(&v0)?;
    // Parse everything before writing anything.
    let rows = checklist_rows(c, &v0).await?;
    let seqs: HashSet<i32> = rows.iter().map(|r| r.seq).collect();
    let plans: HashSet<Uuid> = rows
        .iter()
        .map(|r| r.plan_id)
        .chain(
            draw_repo::checks_of_visits(c, &[id])
                .await?
                .remove(&id)
                .unwrap_or_default()
                .iter()
                .map(|c| c.plan_id),
        )
        .collect();
    let mut ch = Checker::default();
    // Bases are compared with what is stored, so they are normalised the same way: codes, not
    // labels; notes trimmed; an unanswered point is `None`.
    type AnswerKey = Option<(Answer, String)>;
    type ResultKey = (Option<ResultCode>, Option<FollowUp>, String);
    let mut answers: Vec<(i32, Answer, String, Option<AnswerKey>, usize)> = Vec::new();
    for (i, a) in draft.answers.iter().enumerate() {
        let f = format!("answers[{i}]");
        if !seqs.contains(&a.seq) {
            ch.push(
                &format!("{f}.seq"),
                Invalid::new(
                    "unknown_check_point",
                    format!("检查清单中没有第 {} 项检查要点", a.seq),
                    format!("the checklist has no check point {}", a.seq),
                ),
            );
            continue;
        }
        let note = ch.check(&format!("{f}.note"), rules::note(&a.note));
        if a.answer.trim().is_empty() {
            continue;
        }
        let ans = ch.check(&format!("{f}.answer"), Answer::parse(&a.answer));
        let base = match &a.base {
            None => Some(None),
            Some(b) if b.answer.trim().is_empty() => Some(Some(None)),
            Some(b) => ch
                .check(&format!("{f}.base.answer"), Answer::parse(&b.answer))
                .map(|x| Some(Some((x, b.note.trim().to_string())))),
        };
        if let (Some(ans), Some(note), Some(base)) = (ans, note, base) {
            answers.push((a.seq, ans, note, base, i));
        }
    }
    let mut results: Vec<(
        Uuid,
        Option<ResultCode>,
        Option<FollowUp>,
        String,
        Option<ResultKey>,
        usize,
    )> = Vec::new();
    for (i, r) in draft.results.iter().enumerate() {
        let f = format!("results[{i}]");
        if !plans.contains(&r.plan_id) {
            ch.push(
                &format!("{f}.plan_id"),
                Invalid::new(
                    "unknown_part",
                    "本次检查不包含该事项",
                    "this visit has no such item",
                ),
            );
            continue;
        }
        let code = if r.result_code.trim().is_empty() {
            Some(None)
        } else {
            ch.check(
                &format!("{f}.result_code"),
                ResultCode::parse(&r.result_code),
            )
            .map(Some)
        };
        let fu = if r.follow_up.trim().is_empty() {
            Some(None)
        } else {
            ch.check(&format!("{f}.follow_up"), FollowUp::parse(&r.follow_up))
                .map(Some)
        };
        let summary = ch.check(&format!("{f}.summary"), rules::note(&r.summary));
        let base = match &r.base {
            None => Some(None),
            Some(b) => {
                let code = match b.result_code.trim() {
                    "" => Some(None),
                    x => ch
                        .check(&format!("{f}.base.result_code"), ResultCode::parse(x))
                        .map(Some),
                };
                let fu = match b.follow_up.trim() {
                    "" => Some(None),
                    x => ch
                        .check(&format!("{f}.base.follow_up"), FollowUp::parse(x))
                        .map(Some),
                };
                code.zip(fu)
                    .map(|(c, f)| Some((c, f, b.summary.trim().to_string())))
            }
        };
        if let (Some(code), Some(fu), Some(summary), Some(base)) = (code, fu, summary, base) {
            results.push((r.plan_id, code, fu, summary, base, i));
        }
    }
    ch.finish()?;

    let tx = svc.store.begin().await?;
    // Re-read under the write lock: the visit may have moved on since.
    let v = repo::get_visit(&tx, id)
        .await?
        .ok_or(ServiceError::NotFound)?;
    let s = ensure_recording(&v)?;
    if s == VisitStatus::Scheduled {
        start_in(&tx, actor, &v, None).await?;
    }
    let now = lianjian_domain::audit::audit_time(Utc::now());
    let mut changed = 0;
    let mut changed_plans: HashSet<Uuid> = HashSet::new();
    let plan_of: HashMap<i32, Uuid> = repo::checklist(&tx, id)
        .await?
        .iter()
        .map(|r| (r.seq, r.plan_id))
        .collect();
    // An entry whose base is not what the server holds now was edited from an older copy
    // (offline, while a colleague changed it): it is reported, not written — unless the
    // server already holds the very same value.
    let mut conflicts = Vec::new();
    let stored: HashMap<i32, AnswerRow> = repo::answers(&tx, id)
        .await?
        .into_iter()
        .map(|a| (a.seq, a))
        .collect();
    let stored_results: HashMap<Uuid, ResultRow> = repo::results(&tx, id)
        .await?
        .into_iter()
        .map(|r| (r.plan_id, r))
        .collect();
    let answers: Vec<(i32, Answer, String)> = answers
        .into_iter()
        .filter_map(|(seq, ans, note, base, i)| {
            let cur = stored.get(&seq);
            let cur_key: AnswerKey = cur.map(|c| (c.answer, c.note.clone()));
            let mine: AnswerKey = Some((ans, note.clone()));
            match (base, cur) {
                (Some(b), Some(c)) if b != cur_key && cur_key != mine => {
                    let by = team
                        .iter()
                        .find(|m| m.inspector_id == c.inspector_id)
                        .map(|m| m.name.clone());
                    let who = if c.inspector_id == me.inspector_id {
                        "您在另一设备上".to_string()
                    } else {
                        by.clone().unwrap_or_else(|| "其他检查人员".into())
                    };
                    conflicts.push(Conflict {
                        field: format!("answers[{i}]"),
                        seq: Some(seq),
                        plan_id: plan_of.get(&seq).copied(),
                        server: serde_json::json!({"answer": c.answer, "note": c.note}),
                        server_zh: answer_zh(c.answer, &c.note),
                        by,
                        at: c.recorded_at,
                        message: format!(
                            "第 {seq} 项已由{who}改为“{}”，与您的记录“{}”不同，未覆盖",
                            answer_zh(c.answer, &c.note),
                            answer_zh(ans, &note)
                        ),
                    });
                    None
                }
                _ => Some((seq, ans, note)),
            }
        })
        .collect();
    let results: Vec<(Uuid, Option<ResultCode>, Option<FollowUp>, String)> = results
        .into_iter()
        .filter_map(|(plan, code, fu, summary, base, i)| {
            let Some(c) = stored_results.get(&plan) else {
                return Some((plan, code, fu, summary));
            };
            let cur_key: ResultKey = (c.result_code, c.follow_up, c.summary.clone());
            let mine: ResultKey = (code, fu, summary.clone());
            match base {
                Some(b) if b != cur_key && cur_key != mine => {
                    let theirs = result_zh(c.result_code, c.follow_up, &c.summary);
                    conflicts.push(Conflict {
                        field: format!("results[{i}]"),
                        seq: None,
                        plan_id: Some(plan),
                        server: serde_json::json!({
                            "result_code": c.result_code.map_or("", ResultCode::as_str),
                            "follow_up": c.follow_up.map_or("", FollowUp::as_str),
                            "summary": c.summary,
                        }),
                        by: None,
                        at: c.updated_at,
                        message: format!(
                            "该事项的检查结果已被其他检查人员改为“{theirs}”，与您的记录“{}”不同，未覆盖",
                            result_zh(mine.0, mine.1, &summary)
                        ),
                        server_zh: theirs,
                    });
                    None
                }
                _ => Some((plan, code, fu, summary)),
            }
        })
        .collect();
    for (seq, ans, note) in &answers {
        if repo::upsert_answer(
            &tx,
            id,
            &AnswerRow {
                seq: *seq,
                answer: *ans,
                note: note.clone(),
                inspector_id: me.inspector_id,
                recorded_at: now,
            },
        )
        .await?
        {
            changed += 1;
            if let Some(p) = plan_of.get(seq) {
                changed_plans.insert(*p);
            }
        }
    }
    for (plan, code, fu, summary) in &results {
        if repo::set_result(&tx, id, *plan, *code, *fu, summary).await? {
            changed += 1;
            changed_plans.insert(*plan);
        }
    }
    let mut cleared = 0;
    let mut withdrawn = Vec::new();
    if changed > 0 {
        // A changed record must be confirmed again by everyone, and a part that a department
        // had approved goes back to it.
        let before: HashSet<Uuid> = repo::confirmations(&tx, id)
            .await?
            .into_iter()
            .map(|k| k.inspector_id)
            .collect();
        withdrawn = team
            .iter()
            .filter(|m| before.contains(&m.inspector_id))
            .map(|m| m.name.clone())
            .collect();
        cleared = repo::clear_confirmations(&tx, id).await?;
        for r in repo::results(&tx, id).await? {
            if changed_plans.contains(&r.plan_id) && r.review == Review::Approved {
                move_review(&tx, &v, &r, Review::Pending, None, None).await?;
            }
        }
        record(
            &tx,
            actor,
            Record::new("visit.save", "visit", id)
                .at(&v.region_code, Some(me.department_id))
                .after(&serde_json::json!({
                    "code": v.code,
                    "answers": answers.iter().map(|(s, a, n)| serde_json::json!({"seq": s, "answer": a.as_str(), "note": n})).collect::<Vec<_>>(),
                    "results": results.iter().map(|(p, c, f, _)| serde_json::json!({"plan_id": p, "result_code": c.map(|c| c.as_str()), "follow_up": f.map(|f| f.as_str())})).collect::<Vec<_>>(),
                    "confirmations_cleared": cleared,
                    "conflicts": conflicts.len(),
                })),
        )
        .await?;
    }
    tx.commit().await?;
    Ok(Saved {
        changed,
        saved_at: now,
        confirmations_cleared: cleared,
        withdrawn,
        conflicts,
    })
}

/// Checks that every part is complete and consistent; names each gap as
/// `<item code>.check_points[n]` or `<item code>.result_code`.
async fn completeness(c: &impl Conn, v: &VisitRow) -> Result<()> {
    let rows = repo::checklist(c, v.id).await?;
    let answers: HashMap<i32, Answer> = repo::answers(c, v.id)
        .await?
        .into_iter()
        .map(|a| (a.seq, a.answer))
        .collect();
    let mut ch = Checker::default();
    let results = repo::results(c, v.id).await?;
    if results.is_empty() {
        ch.push(
            "status",
            Invalid::new(
                "not_started",
                "检查尚未开始，没有可提交的记录",
                "the visit has not started",
            ),
        );
    }
    for r in &results {
        let item = items::get(c, r.item_id)
            .await?
            .ok_or(ServiceError::NotFound)?;
        let ans: Vec<Option<Answer>> = rows
            .iter()
            .filter(|x| x.plan_id == r.plan_id)
            .map(|x| answers.get(&x.seq).copied())
            .collect();
        let res = r.result_code.map(|code| ItemResult {
            code,
            follow_up: r.follow_up.unwrap_or(FollowUp::None),
            summary: r.summary.clone(),
        });
        if let Err(errs) = rules::check_item_result(&ans, res.as_ref()) {
            for (f, mut e) in errs {
                e.zh = format!("{}：{}", item.name, e.zh);
                e.en = format!("{}: {}", item.code, e.en);
                ch.push(&format!("{}.{}", item.code, f), e);
            }
        }
    }
    ch.finish()
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Confirmed {
    /// False when this inspector had already confirmed (the form was sent twice).
    pub newly_confirmed: bool,
    /// Officers still to confirm.
    pub waiting_for: Vec<String>,
    /// The results went to the departments for review with this confirmation.
    pub submitted: bool,
    pub status: VisitStatus,
}

/// An inspector confirms the record (签字确认). When every officer of the team has confirmed,
/// the results are submitted: the visit is completed and the publication deadline (20 working
/// days) starts. Unanswered check points or an inconsistent result are named, and nothing is
/// confirmed then.
pub async fn confirm(
    svc: &Services,
    actor: &Actor,
    id: Uuid,
    position: Option<Position>,
) -> Result<Confirmed> {
    let tx = svc.store.begin().await?;
    let v = visible(&tx, actor, id).await?;
    let team = repo::team(&tx, id).await?;
    let me = member(actor, &team)?.clone();
    let s = v.status;
    if s.is_completed() {
        // The same confirmation sent again after submission: answer as before.
        let done = repo::confirmations(&tx, id).await?;
        if done.iter().any(|k| k.inspector_id == me.inspector_id) {
            return Ok(Confirmed {
                newly_confirmed: false,
                waiting_for: Vec::new(),
                submitted: true,
                status: s,
            });
        }
    }
    ensure_recording(&v)?;
    completeness(&tx, &v).await?;
    let now = lianjian_domain::audit::audit_time(Utc::now());
    let newly = repo::confirm(
        &tx,
        id,
        &Confirmation {
            inspector_id: me.inspector_id,
            user_id: actor.user_id,
            position: position.map(|p| serde_json::to_string(&p).expect("serialisable")),
            confirmed_at: now,
        },
    )
    .await?;
    let done: HashSet<Uuid> = repo::confirmations(&tx, id)
        .await?
        .into_iter()
        .map(|k| k.inspector_id)
        .collect();
    let officers: Vec<&TeamMember> = team
        .iter()
        .filter(|m| m.kind == InspectorKind::Officer)
        .collect();
    let waiting: Vec<String> = officers
        .iter()
        .filter(|m| !done.contains(&m.inspector_id))
        .map(|m| m.name.clone())
        .collect();
    let mut submitted = false;
    if waiting.is_empty() && done.len() >= 2 {
        let on = v
            .started_at
            .map(beijing_date)
            .unwrap_or_else(|| beijing_date(now));
        let deadline =
            add_working_days(svc, beijing_date(now), rules::PUBLISH_WITHIN_WORKING_DAYS).await?;
        move_visit(
            &tx,
            &v,
            VisitStatus::Submitted,
            &Progress {
                completed: Some((now, on, deadline)),
                ..Default::default()
            },
        )
        .await?;
        // Parts returned earlier go back to their departments.
        for r in repo::results(&tx, id).await? {
            if r.review == Review::Returned {
                move_review(&tx, &v, &r, Review::Pending, r.review_note.as_deref(), None).await?;
            }
        }
        submitted = true;
    }
    if newly {
        record(
            &tx,
            actor,
            Record::new("visit.confirm", "visit", id)
                .at(&v.region_code, Some(me.department_id))
                .after(&serde_json::json!({"code": v.code, "inspector": me.certificate_number, "submitted": submitted})),
        )
        .await?;
    }
    tx.commit().await?;
    Ok(Confirmed {
        newly_confirmed: newly,
        waiting_for: waiting,
        submitted,
        status: if submitted {
            VisitStatus::Submitted
        } else {
            VisitStatus::InProgress
        },
    })
}

// ---- review, publication, closing ----

/// A department approves or returns its own part of the results (各部门审核本部门事项).
/// Returning needs a reason and sends the visit back to the inspectors.
pub async fn review(
    svc: &Services,
    actor: &Actor,
    id: Uuid,
    plan_id: Uuid,
    approve: bool,
    note: &str,
) -> Result<VisitDetail> {
    let note = note.trim();
    if !approve && note.chars().count() < 4 {
        return Err(invalid(
            "note",
            "required",
            "退回必须说明理由（至少 4 个字）",
            "returning needs a reason (at least 4 characters)",
        ));
    }
    let note = if note.is_empty() {
        None
    } else {
        Some(rules::note(note).map_err(|e| ServiceError::field("note", e))?)
    };
    let tx = svc.store.begin().await?;
    let v = visible(&tx, actor, id).await?;
    if v.status != VisitStatus::Submitted {
        return Err(ServiceError::conflict(
            "status",
            format!(
                "检查 {} 当前状态为“{}”，不在审核阶段",
                v.code,
                v.status.label_zh()
            ),
            format!("visit {} is not awaiting review", v.code),
        ));
    }
    let results = repo::results(&tx, id).await?;
    let part = results
        .iter()
        .find(|r| r.plan_id == plan_id)
        .ok_or_else(|| {
            invalid(
                "plan_id",
                "unknown_part",
                "本次检查不包含该事项",
                "this visit has no such item",
            )
        })?;
    let d = department(&tx, part.department_id).await?;
    if !acts_for(actor, &d) {
        return Err(ServiceError::refused(
            format!("该事项由{}审核，您无权审核", d.name),
            format!("this part is reviewed by {}", d.name),
        ));
    }
    let review = if approve {
        Review::Approved
    } else {
        Review::Returned
    };
    move_review(
        &tx,
        &v,
        part,
        review,
        note.as_deref(),
        Some(&actor.username),
    )
    .await?;
    let all = repo::results(&tx, id).await?;
    if !approve {
        repo::clear_confirmations(&tx, id).await?;
        move_visit(
            &tx,
            &v,
            VisitStatus::InProgress,
            &Progress {
                reopen: true,
                ..Default::default()
            },
        )
        .await?;
    } else if all.iter().all(|r| r.review == Review::Approved) {
        move_visit(&tx, &v, VisitStatus::Reviewed, &Progress::default()).await?;
    }
    record(
        &tx,
        actor,
        Record::new(if approve { "visit.approve" } else { "visit.return" }, "visit", id)
            .at(&v.region_code, Some(d.id))
            .after(&serde_json::json!({"code": v.code, "plan_id": plan_id, "department": d.name, "note": note})),
    )
    .await?;
    tx.commit().await?;
    get(svc, actor, id).await
}

/// Publishes the reviewed results (结果公示) and leaves their effects: an entry on the
/// entity's timeline and one credit record per item (国办 (十一)). Cooldowns count the visit
/// from its date.
pub async fn publish(svc: &Services, actor: &Actor, id: Uuid) -> Result<VisitDetail> {
    let tx = svc.store.begin().await?;
    let v = visible(&tx, actor, id).await?;
    if v.status != VisitStatus::Reviewed {
        return Err(ServiceError::conflict(
            "status",
            format!("检查 {} 的结果尚未全部审核通过，不能公示", v.code),
            format!("visit {}: not every part is approved yet", v.code),
        ));
    }
    let lead = department(&tx, v.lead_department_id).await?;
    if !acts_for(actor, &lead) {
        return Err(ServiceError::refused(
            format!("检查结果由牵头部门{}公示", lead.name),
            format!(
                "results are published by the lead department, {}",
                lead.name
            ),
        ));
    }
    let now = lianjian_domain::audit::audit_time(Utc::now());
    move_visit(
        &tx,
        &v,
        VisitStatus::Published,
        &Progress {
            published_at: Some(now),
            ..Default::default()
        },
    )
    .await?;
    let results = repo::results(&tx, id).await?;
    let on = v.visited_on.unwrap_or_else(|| beijing_date(now));
    for r in &results {
        repo::insert_credit_record(
            &tx,
            &lianjian_store::visits::CreditRecord {
                id: Uuid::now_v7(),
                entity_id: v.entity_id,
                region_code: v.region_code.to_string(),
                kind: "inspection".into(),
                source_id: v.id,
                item_id: Some(r.item_id),
                department_id: r.department_id,
                // Publication follows the review, which only a complete record reaches.
                result_code: r.result_code.ok_or_else(|| {
                    ServiceError::internal(lianjian_store::StoreError::Corrupt(format!(
                        "visit {}: a reviewed part has no result_code",
                        v.code
                    )))
                })?,
                follow_up: r.follow_up,
                recorded_on: on,
                created_at: now,
            },
        )
        .await?;
    }
    let late = v.publish_deadline.is_some_and(|d| beijing_date(now) > d);
    let mut summary = Vec::new();
    for r in &results {
        let item = items::get(&tx, r.item_id)
            .await?
            .map(|i| i.name)
            .unwrap_or_default();
        summary.push(serde_json::json!({
            "item": item,
            "result": r.result_code.map(ResultCode::label_zh),
        }));
    }
    record(
        &tx,
        actor,
        Record::new("visit.publish", "visit", id)
            .at(&v.region_code, Some(lead.id))
            .after(
                &serde_json::json!({"code": v.code, "late": late, "deadline": v.publish_deadline}),
            ),
    )
    .await?;
    // The entity's timeline is its audit trail.
    record(
        &tx,
        actor,
        Record::new("entity.inspection_result", "entity", v.entity_id)
            .at(&v.region_code, Some(lead.id))
            .after(&serde_json::json!({"visit": v.code, "visited_on": on, "results": summary})),
    )
    .await?;
    tx.commit().await?;
    get(svc, actor, id).await
}

/// Closes the follow-up (后续处置完结) once every rectification order is closed by its
/// re-check and every referral has feedback.
pub async fn close(svc: &Services, actor: &Actor, id: Uuid) -> Result<VisitDetail> {
    let tx = svc.store.begin().await?;
    let v = visible(&tx, actor, id).await?;
    if v.status != VisitStatus::Published {
        return Err(ServiceError::conflict(
            "status",
            format!("检查 {} 尚未公示，不能办结", v.code),
            format!("visit {} is not published", v.code),
        ));
    }
    let lead = department(&tx, v.lead_department_id).await?;
    if !acts_for(actor, &lead) {
        return Err(ServiceError::refused(
            format!("后续处置由牵头部门{}办结", lead.name),
            format!(
                "the follow-up is closed by the lead department, {}",
                lead.name
            ),
        ));
    }
    let open = open_follow_ups(
        &repo::rectifications_of_visit(&tx, id).await?,
        &repo::referrals_of_visit(&tx, id).await?,
    );
    if !open.is_empty() {
        return Err(ServiceError::conflict(
            "follow_up",
            format!("尚有未办结的后续处置：{}", open.join("、")),
            format!("follow-ups still open: {}", open.join(", ")),
        ));
    }
    let now = lianjian_domain::audit::audit_time(Utc::now());
    move_visit(
        &tx,
        &v,
        VisitStatus::Closed,
        &Progress {
            closed_at: Some(now),
            ..Default::default()
        },
    )
    .await?;
    record(
        &tx,
        actor,
        Record::new("visit.close", "visit", id)
            .at(&v.region_code, Some(lead.id))
            .after(&serde_json::json!({"code": v.code})),
    )
    .await?;
    tx.commit().await?;
    get(svc, actor, id).await
}

// ---- attachments ----

/// What the phone sends with a photo or document.
#[derive(Debug, Clone, Default)]
pub struct AttachmentInput {
    /// The check point it documents, if any.
    pub seq: Option<i32>,
    pub position: Option<Position>,
    pub upload: crate::evidence::Upload,
}

/// Stores a file once (content-addressed, 证据互认) and attaches it to the visit. The same
/// file sent again is attached once.
pub async fn attach(
    svc: &Services,
    actor: &Actor,
    id: Uuid,
    input: AttachmentInput,
) -> Result<Attachment> {
    let c = svc.store.conn();
    let v = visible(c, actor, id).await?;
    let team = repo::team(c, id).await?;
    let me = member(actor, &team)?.clone();
    ensure_recording(&v)?;
    if let Some(s) = input.seq {
        let rows = checklist_rows(c, &v).await?;
        if !rows.iter().any(|r| r.seq == s) {
            return Err(invalid(
                "seq",
                "unknown_check_point",
                format!("检查清单中没有第 {s} 项检查要点"),
                format!("the checklist has no check point {s}"),
            ));
        }
    }
    let filename = input.upload.filename.clone();
    let ev = crate::evidence::add(svc, actor, input.upload).await?;
    let tx = svc.store.begin().await?;
    let v = repo::get_visit(&tx, id)
        .await?
        .ok_or(ServiceError::NotFound)?;
    ensure_recording(&v)?;
    if v.status == VisitStatus::Scheduled {
        start_in(&tx, actor, &v, input.position).await?;
    }
    let a = Attachment {
        id: Uuid::now_v7(),
        seq: input.seq,
        sha256: ev.sha256.clone(),
        filename: filename.clone(),
        media_type: ev.media_type.clone(),
        size: i64::try_from(ev.size).unwrap_or(i64::MAX),
        position: input
            .position
            .map(|p| serde_json::to_string(&p).expect("serialisable")),
        inspector_id: me.inspector_id,
        uploaded_at: lianjian_domain::audit::audit_time(Utc::now()),
    };
    let added = repo::attach(&tx, id, &a).await?;
    if added {
        crate::evidence::link(&tx, ev.id, "visit", id, &filename, me.department_id, actor).await?;
        record(
            &tx,
            actor,
            Record::new("visit.attach", "visit", id)
                .at(&v.region_code, Some(me.department_id))
                .after(&serde_json::json!({"code": v.code, "sha256": ev.sha256, "file": filename, "seq": input.seq})),
        )
        .await?;
    }
    tx.commit().await?;
    let all = repo::attachments(svc.store.conn(), id).await?;
    Ok(all
        .into_iter()
        .find(|x| x.sha256 == a.sha256 && x.seq == a.seq)
        .unwrap_or(a))
}

// ---- merging an ad-hoc visit into a random one ----

fn slot(v: &VisitRow) -> Option<rules::VisitSlot> {
    Some(rules::VisitSlot {
        trigger: v.trigger,
        status: v.status,
        start: v.period_start,
        end: v.period_end,
    })
}

/// Who may fold one visit into another: whoever acts for both lead departments (the system
/// administrator, the coordination office of the region, or the administrator of a line that
/// leads both).
fn may_merge(actor: &Actor, a: &Department, b: &Department) -> bool {
    acts_for(actor, a) && acts_for(actor, b)
}

/// The visits the actor sees that should be merged with `v` ([`rules::should_merge`]).
async fn overlaps_of(c: &impl Conn, actor: &Actor, v: &VisitRow) -> Result<Vec<Overlap>> {
    let Some(mine) = slot(v) else {
        return Ok(Vec::new());
    };
    let mut out = Vec::new();
    for o in repo::open_visits_of_entity(c, v.entity_id).await? {
        if o.id == v.id {
            continue;
        }
        let Some(theirs) = slot(&o) else { continue };
        if !rules::should_merge(&mine, &theirs) || visible(c, actor, o.id).await.is_err() {
            continue;
        }
        let (ad_hoc, random, a, r) = if mine.trigger == VisitTrigger::Random {
            (&o, v, theirs, mine)
        } else {
            (v, &o, mine, theirs)
        };
        let refusal = match rules::merge_refusal(&a, &r) {
            Some(e) => Some(e.zh),
            None => {
                let da = department(c, ad_hoc.lead_department_id).await?;
                let dr = department(c, random.lead_department_id).await?;
                (!may_merge(actor, &da, &dr)).then(|| {
                    format!(
                        "合并须由{}和{}共同的上级（联席办）或两部门所在条线的管理员操作",
                        dr.name, da.name
                    )
                })
            }
        };
        out.push(Overlap {
            visit_id: o.id,
            code: o.code.clone(),
            trigger_zh: theirs.trigger.label_zh().into(),
            status_zh: o.status.label_zh().into(),
            period_start: o.period_start,
            period_end: o.period_end,
            ad_hoc_id: ad_hoc.id,
            random_id: random.id,
            refusal,
        });
    }
    Ok(out)
}

/// The visit a merged (cancelled) ad-hoc visit went into, from its audit trail.
async fn merged_into(c: &impl Conn, id: Uuid) -> Result<Option<(Uuid, String)>> {
    let trail = lianjian_store::audit::of_object(c, "visit", &id.to_string(), 50).await?;
    Ok(trail
        .iter()
        .filter(|e| e.action == "visit.merge_out")
        .find_map(|e| {
            let after: serde_json::Value = serde_json::from_str(e.after.as_deref()?).ok()?;
            let into = Uuid::parse_str(after["into"].as_str()?).ok()?;
            Some((into, after["into_code"].as_str()?.to_string()))
        }))
}

/// Folds an ad-hoc visit (a complaint, a warning …) into the random visit to the same entity
/// in an overlapping period (国办发〔2023〕1号 (九), "进一次门、查多项事"): the items the random
/// visit does not check yet join its checklist, its 检查缘由 records the ad-hoc visit's matter,
/// the ad-hoc visit's inspectors join its team after the drawn members (none twice), and the
/// ad-hoc visit is cancelled with a link to it. The random visit keeps its period. One
/// transaction, audited on both visits.
pub async fn merge_into_random(
    svc: &Services,
    actor: &Actor,
    ad_hoc_id: Uuid,
    random_id: Uuid,
) -> Result<VisitDetail> {
    if actor.role.is_read_only() || actor.role == Role::Inspector {
        return Err(ServiceError::Forbidden);
    }
    let tx = svc.store.begin().await?;
    let ad_hoc = visible(&tx, actor, ad_hoc_id).await?;
    let random = visible(&tx, actor, random_id).await?;
    let da = department(&tx, ad_hoc.lead_department_id).await?;
    let dr = department(&tx, random.lead_department_id).await?;
    if !may_merge(actor, &da, &dr) {
        return Err(ServiceError::refused(
            format!(
                "合并须由{}和{}共同的上级（联席办）或两部门所在条线的管理员操作",
                dr.name, da.name
            ),
            "merging needs someone who acts for both lead departments",
        ));
    }
    if ad_hoc.entity_id != random.entity_id {
        return Err(invalid(
            "random_id",
            "other_entity",
            "两次检查的检查对象不同，不能合并",
            "the visits inspect different entities",
        ));
    }
    let (Some(a), Some(r)) = (slot(&ad_hoc), slot(&random)) else {
        return Err(ServiceError::NotFound);
    };
    if let Some(e) = rules::merge_refusal(&a, &r) {
        return Err(ServiceError::conflict("status", e.zh, e.en));
    }
    let checks = draw_repo::checks_of_visits(&tx, &[ad_hoc.id, random.id]).await?;
    let have: HashSet<Uuid> = checks
        .get(&random.id)
        .map(|v| v.iter().map(|c| c.item_id).collect())
        .unwrap_or_default();
    let added: Vec<VisitCheck> = checks
        .get(&ad_hoc.id)
        .map(|v| {
            v.iter()
                .filter(|c| !have.contains(&c.item_id))
                .cloned()
                .collect()
        })
        .unwrap_or_default();
    draw_repo::add_visit_checks(&tx, random.id, &added).await?;
    // The ad-hoc visit's inspectors come along (they hold the complaint's file); the drawn
    // members stay first and nobody is listed twice.
    let ad_hoc_team = draw_repo::inspectors_of_visits(&tx, &[ad_hoc.id])
        .await?
        .remove(&ad_hoc.id)
        .unwrap_or_default();
    let joined_team = draw_repo::add_visit_inspectors(&tx, random.id, &ad_hoc_team).await?;
    let matter = ad_hoc.trigger_note.clone().unwrap_or_default();
    let joined = format!(
        "并入{}检查 {}：{}",
        a.trigger.label_zh(),
        ad_hoc.code,
        matter
    );
    let note = match random.trigger_note.as_deref().filter(|n| !n.is_empty()) {
        Some(n) => format!("{n}；{joined}"),
        None => joined,
    };
    repo::set_trigger_note(&tx, random.id, &note).await?;
    repo::set_trigger_note(
        &tx,
        ad_hoc.id,
        &format!("{matter}（已并入双随机检查 {}）", random.code),
    )
    .await?;
    move_visit(&tx, &ad_hoc, VisitStatus::Cancelled, &Progress::default()).await?;
    let added_items: Vec<Uuid> = added.iter().map(|c| c.item_id).collect();
    record(
        &tx,
        actor,
        Record::new("visit.merge_in", "visit", random.id)
            .at(&random.region_code, Some(dr.id))
            .after(&serde_json::json!({"code": random.code, "from": ad_hoc.id, "from_code": ad_hoc.code, "items_added": added_items, "inspectors_added": joined_team.iter().map(|m| m.inspector_id).collect::<Vec<_>>(), "matter": matter})),
    )
    .await?;
    record(
        &tx,
        actor,
        Record::new("visit.merge_out", "visit", ad_hoc.id)
            .at(&ad_hoc.region_code, Some(da.id))
            .before(&serde_json::json!({"status": ad_hoc.status.as_str()}))
            .after(&serde_json::json!({"status": VisitStatus::Cancelled.as_str(), "into": random.id, "into_code": random.code})),
    )
    .await?;
    tx.commit().await?;
    get(svc, actor, random.id).await
}

// ---- ad-hoc visits ----

/// An ad-hoc visit (not from a draw), e.g. after a complaint or a warning.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct AdHocSpec {
    /// 统一社会信用代码 of the entity.
    pub usci: String,
    pub item_ids: Vec<Uuid>,
    /// A [`VisitTrigger`] other than `random`.
    pub trigger: String,
    pub trigger_note: String,
    /// Pool members (at least two officers).
    pub inspector_ids: Vec<Uuid>,
    pub period_start: String,
    pub period_end: String,
}

pub async fn create_ad_hoc(svc: &Services, actor: &Actor, spec: &AdHocSpec) -> Result<VisitDetail> {
    let v = create_ad_hoc_with(svc, actor, spec, |tx, _| async move { Ok(tx) }).await?;
    get(svc, actor, v.id).await
}

/// [`create_ad_hoc`], with `also` run on the visit's transaction before it commits (a clue's
/// verification records its step with the visit it started: both or neither).
pub(crate) async fn create_ad_hoc_with<F, Fut>(
    svc: &Services,
    actor: &Actor,
    spec: &AdHocSpec,
    also: F,
) -> Result<Visit>
where
    F: FnOnce(lianjian_store::Tx, Visit) -> Fut,
    Fut: std::future::Future<Output = Result<lianjian_store::Tx>>,
{
    if !matches!(
        actor.role,
        Role::SystemAdmin | Role::CoordinationOffice | Role::DepartmentAdmin
    ) {
        return Err(ServiceError::Forbidden);
    }
    let c = svc.store.conn();
    let mut ch = Checker::default();
    let entity = match entities::by_uscis(c, &[spec.usci.trim().to_uppercase()])
        .await?
        .into_values()
        .next()
    {
        Some(e) => Some(e),
        None => {
            ch.push(
                "usci",
                Invalid::new(
                    "unknown_entity",
                    format!("名录库中没有统一社会信用代码为“{}”的主体", spec.usci.trim()),
                    format!("no entity with credit code '{}'", spec.usci.trim()),
                ),
            );
            None
        }
    };
    if let Some(e) = &entity
        && actor
            .scope()
            .region
            .as_ref()
            .is_some_and(|r| !e.region_code.is_within(r))
    {
        ch.push(
            "usci",
            Invalid::new(
                "outside_scope",
                "该主体不在您的管辖范围内",
                "the entity is outside your scope",
            ),
        );
    }
    let trigger = match VisitTrigger::parse(&spec.trigger) {
        Ok(VisitTrigger::Random) => {
            ch.push(
                "trigger",
                Invalid::new(
                    "random",
                    "双随机检查须通过抽取产生",
                    "random visits come from a draw",
                ),
            );
            None
        }
        Ok(t) => Some(t),
        Err(e) => {
            ch.push("trigger", e);
            None
        }
    };
    let note = ch.check(
        "trigger_note",
        lianjian_domain::visit::matter(&spec.trigger_note, "检查缘由", "reason for the visit"),
    );
    let date = |f: &str, s: &str, ch: &mut Checker| match NaiveDate::parse_from_str(
        s.trim(),
        "%Y-%m-%d",
    ) {
        Ok(d) => Some(d),
        Err(_) => {
            ch.push(
                f,
                Invalid::new(
                    "date",
                    format!("日期“{}”不正确，应为 2026-12-01 这样的格式", s.trim()),
                    format!("date '{}' is not YYYY-MM-DD", s.trim()),
                ),
            );
            None
        }
    };
    let from = date("period_start", &spec.period_start, &mut ch);
    let to = date("period_end", &spec.period_end, &mut ch);
    if let (Some(f), Some(t)) = (from, to)
        && f > t
    {
        ch.push(
            "period_end",
            Invalid::new(
                "period_order",
                "结束日期早于开始日期",
                "the period ends before it starts",
            ),
        );
    }
    let mut checks: Vec<VisitCheck> = Vec::new();
    let mut lead: Option<(bool, usize, Uuid)> = None;
    if spec.item_ids.is_empty() {
        ch.push(
            "item_ids",
            Invalid::new(
                "required",
                "请至少选择一个检查事项",
                "choose at least one item",
            ),
        );
    }
    let mut item_depts: HashSet<Uuid> = HashSet::new();
    for (i, id) in spec.item_ids.iter().enumerate() {
        match items::get(c, *id).await? {
            Some(it) if it.status == lianjian_domain::item::ItemStatus::Published => {
                // No plan: the item itself stands in for the plan in the visit's checks.
                checks.push(VisitCheck {
                    plan_id: it.id,
                    item_id: it.id,
                    department_id: it.lead_department_id,
                    selection: None,
                });
                item_depts.insert(it.lead_department_id);
                let key = (
                    it.category == lianjian_domain::item::ItemCategory::Key,
                    it.check_points.len(),
                    it.lead_department_id,
                );
                if lead.is_none_or(|l| (key.0, key.1) > (l.0, l.1)) {
                    lead = Some(key);
                }
            }
            _ => ch.push(
                &format!("item_ids[{i}]"),
                Invalid::new(
                    "unknown_item",
                    "事项不存在或未发布",
                    "no such published item",
                ),
            ),
        }
    }
    let mut team: Vec<VisitInspector> = Vec::new();
    let mut officers = 0;
    for (i, id) in spec.inspector_ids.iter().enumerate() {
        match pool_repo::get(c, *id).await? {
            Some(m) if m.status == lianjian_domain::inspector::InspectorStatus::Active => {
                if m.kind == InspectorKind::Officer {
                    officers += 1;
                }
                team.push(VisitInspector {
                    inspector_id: m.id,
                    department_id: m.department_id,
                });
            }
            Some(m) => ch.push(
                &format!("inspector_ids[{i}]"),
                Invalid::new(
                    "not_active",
                    format!("{} 当前不在岗", m.name),
                    format!("{} is not active", m.name),
                ),
            ),
            None => ch.push(
                &format!("inspector_ids[{i}]"),
                Invalid::new("unknown_inspector", "检查人员不存在", "no such inspector"),
            ),
        }
    }
    team.sort_by_key(|t| t.inspector_id);
    team.dedup_by_key(|t| t.inspector_id);
    if officers < 2 {
        ch.push(
            "inspector_ids",
            Invalid::new(
                "too_few",
                "执法检查至少需要 2 名执法人员",
                "an inspection needs at least two officers",
            ),
        );
    }
    ch.finish()?;
    let entity = entity.expect("checked");
    let (_, _, lead_dept) = lead.expect("checked");
    let now = lianjian_domain::audit::audit_time(Utc::now());
    let year = beijing_date(now).format("%Y").to_string();
    let prefix = format!("ZX-{}-{}-", entity.region_code, year);
    let tx = svc.store.begin().await?;
    let n = repo::count_codes(&tx, "visits", &prefix).await?;
    let visit = Visit {
        id: Uuid::now_v7(),
        code: format!("{prefix}{:04}", n + 1),
        draw_id: None,
        entity_id: entity.id,
        region_code: entity.region_code.clone(),
        lead_department_id: lead_dept,
        trigger: trigger.expect("checked"),
        trigger_note: note,
        status: VisitStatus::Scheduled,
        period_start: from.expect("checked"),
        period_end: to.expect("checked"),
        visited_on: None,
        created_at: now,
        updated_at: now,
    };
    draw_repo::insert_visit(&tx, &visit, &checks, &team).await?;
    record(
        &tx,
        actor,
        Record::new("visit.create", "visit", visit.id)
            .at(&visit.region_code, Some(lead_dept))
            .after(&serde_json::json!({"code": visit.code, "usci": entity.usci, "trigger": visit.trigger, "note": visit.trigger_note, "items": spec.item_ids, "inspectors": spec.inspector_ids})),
    )
    .await?;
    let tx = also(tx, visit.clone()).await?;
    tx.commit().await?;
    Ok(visit)
}

/// The open visits (scheduled or in progress) to an entity that the actor sees: shown before
/// a clue's verification starts another (国办发〔2023〕1号 (十): no multi-headed inspection).
pub async fn open_visits_to(
    c: &impl Conn,
    actor: &Actor,
    entity_id: Uuid,
) -> Result<Vec<VisitRow>> {
    let mut out = Vec::new();
    for v in repo::open_visits_of_entity(c, entity_id).await? {
        if visible(c, actor, v.id).await.is_ok() {
            out.push(v);
        }
    }
    Ok(out)
}

/// 并入检查: a clue's items join an open visit's checklist (those it does not check yet) and
/// its 检查缘由 records the clue, on the caller's transaction; audited on the visit. The
/// visit must be open, to the same entity, and visible to the actor.
pub(crate) async fn take_in(
    tx: &lianjian_store::Tx,
    actor: &Actor,
    visit_id: Uuid,
    entity_id: Uuid,
    item_ids: &[Uuid],
    matter: &str,
) -> Result<VisitRow> {
    let v = visible(tx, actor, visit_id).await.map_err(|_| {
        invalid(
            "visit_id",
            "unknown_visit",
            "检查不存在或不在您的范围内",
            "no such visit in your scope",
        )
    })?;
    if v.entity_id != entity_id {
        return Err(invalid(
            "visit_id",
            "other_entity",
            "该检查的检查对象与线索涉及的主体不同",
            "the visit inspects another entity",
        ));
    }
    if !matches!(v.status, VisitStatus::Scheduled | VisitStatus::InProgress) {
        return Err(ServiceError::conflict(
            "status",
            format!(
                "检查 {} 当前为“{}”，不能再并入线索",
                v.code,
                v.status.label_zh()
            ),
            format!(
                "visit {} is {}; nothing can join it",
                v.code,
                v.status.as_str()
            ),
        ));
    }
    let have: HashSet<Uuid> = draw_repo::checks_of_visits(tx, &[v.id])
        .await?
        .remove(&v.id)
        .unwrap_or_default()
        .iter()
        .map(|c| c.item_id)
        .collect();
    let mut added = Vec::new();
    for id in item_ids.iter().filter(|i| !have.contains(i)) {
        if let Some(it) = items::get(tx, *id).await?
            && it.status == lianjian_domain::item::ItemStatus::Published
        {
            added.push(VisitCheck {
                plan_id: it.id,
                item_id: it.id,
                department_id: it.lead_department_id,
                selection: None,
            });
        }
    }
    draw_repo::add_visit_checks(tx, v.id, &added).await?;
    let note = match v.trigger_note.as_deref().filter(|n| !n.is_empty()) {
        Some(n) => format!("{n}；{matter}"),
        None => matter.to_string(),
    };
    repo::set_trigger_note(tx, v.id, &note).await?;
    record(
        tx,
        actor,
        Record::new("visit.take_in", "visit", v.id)
            .at(&v.region_code, Some(v.lead_department_id))
            .after(&serde_json::json!({"code": v.code, "items_added": added.iter().map(|c| c.item_id).collect::<Vec<_>>(), "matter": matter})),
    )
    .await?;
    Ok(v)
}

// ---- lists ----

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct VisitListEntry {
    pub visit: VisitRow,
    pub status_zh: String,
    pub trigger_zh: String,
    /// Completed, not published, deadline passed.
    pub late: bool,
}

/// Visits in the actor's view; inspectors see the visits they are on.
pub async fn list(
    svc: &Services,
    actor: &Actor,
    q: &VisitQuery,
    page: PageRequest,
) -> Result<Page<VisitListEntry>> {
    let c = svc.store.conn();
    let mut q = q.clone();
    if actor.role == Role::Inspector {
        let m = pool_repo::by_user(c, actor.user_id).await?;
        match m {
            Some(m) => q.inspector_id = Some(m.id),
            None => {
                return Ok(Page {
                    items: vec![],
                    total: 0,
                    page: page.page,
                    per_page: page.per_page,
                });
            }
        }
    }
    // The query's region and line narrow the actor's scope (the store intersects them): a
    // `?line=` can only narrow what the role grants.
    let today = beijing_date(Utc::now());
    Ok(repo::list_visits(c, &Scope::of(actor), &q, page)
        .await?
        .map(|v| VisitListEntry {
            status_zh: v.status.label_zh().into(),
            trigger_zh: v.trigger.label_zh().into(),
            late: matches!(v.status, VisitStatus::Submitted | VisitStatus::Reviewed)
                && v.publish_deadline.is_some_and(|d| d < today),
            visit: v,
        }))
}

/// A result as lists show it, with labels and the publication deadline.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ResultEntry {
    #[serde(flatten)]
    pub row: ResultListRow,
    pub result_zh: Option<String>,
    pub follow_up_zh: Option<String>,
    pub status_zh: String,
    /// Not yet published and past the deadline, or published after it.
    pub late: bool,
}

fn entry(row: ResultListRow, today: NaiveDate) -> ResultEntry {
    let published_on = row.published_at.map(beijing_date);
    let late = match (row.publish_deadline, published_on) {
        (Some(d), Some(p)) => p > d,
        (Some(d), None) => today > d,
        _ => false,
    };
    ResultEntry {
        result_zh: row.result_code.map(|c| c.label_zh().to_string()),
        follow_up_zh: row.follow_up.map(|c| c.label_zh().to_string()),
        status_zh: row.visit_status.label_zh().into(),
        late,
        row,
    }
}

/// Results in the actor's view (staff), completed visits only, with deadlines.
pub async fn results(
    svc: &Services,
    actor: &Actor,
    q: &ResultQuery,
    page: PageRequest,
) -> Result<Page<ResultEntry>> {
    if actor.role == Role::Inspector {
        return Err(ServiceError::Forbidden);
    }
    let mut q = q.clone();
    q.completed_only = true;
    let today = beijing_date(Utc::now());
    Ok(
        repo::list_results(svc.store.conn(), &Scope::of(actor), &q, page)
            .await?
            .map(|r| entry(r, today)),
    )
}

/// Published results (结果公示): no inspectors, no notes, no personal data.
#[derive(Debug, Clone, Serialize)]
pub struct PublicResult {
    pub visit_code: String,
    pub usci: String,
    pub entity_name: String,
    pub region_code: String,
    pub item_code: String,
    pub item_name: String,
    pub department: String,
    pub visited_on: Option<NaiveDate>,
    pub result_code: Option<ResultCode>,
    pub result: Option<String>,
    pub random: bool,
    pub published_on: Option<NaiveDate>,
}

fn public_query(q: &ResultQuery) -> ResultQuery {
    let mut q = q.clone();
    q.published_only = true;
    q.late_on = None;
    q.line = None;
    q
}

fn public_result(r: repo::ResultListRow) -> PublicResult {
    PublicResult {
        result: r.result_code.map(|c| c.label_zh().to_string()),
        visit_code: r.visit_code,
        usci: r.usci,
        entity_name: r.entity_name,
        region_code: r.region_code,
        item_code: r.item_code,
        item_name: r.item_name,
        department: r.department_name,
        visited_on: r.visited_on,
        result_code: r.result_code,
        random: r.trigger == VisitTrigger::Random,
        published_on: r.published_at.map(beijing_date),
    }
}

/// Published results of the site's jurisdiction, one per item result.
pub async fn public_results(
    svc: &Services,
    q: &ResultQuery,
    page: PageRequest,
) -> Result<Page<PublicResult>> {
    Ok(repo::list_results(
        svc.store.conn(),
        &svc.public_scope(),
        &public_query(q),
        page,
    )
    .await?
    .map(public_result))
}

/// One published visit: a joint visit (进一次门、查多项事) with the results of every
/// department that took part, as one entry.
#[derive(Debug, Clone, Serialize)]
pub struct PublicVisit {
    pub visit_code: String,
    pub usci: String,
    pub entity_name: String,
    pub region_code: String,
    pub visited_on: Option<NaiveDate>,
    pub random: bool,
    pub published_on: Option<NaiveDate>,
    /// Each department's item results, by department then item.
    pub results: Vec<PublicResult>,
}

impl PublicVisit {
    /// The departments that took part, each once, in order.
    pub fn departments(&self) -> Vec<&str> {
        let mut out: Vec<&str> = Vec::new();
        for r in &self.results {
            if !out.contains(&r.department.as_str()) {
                out.push(&r.department);
            }
        }
        out
    }

    pub fn is_joint(&self) -> bool {
        self.departments().len() > 1
    }
}

/// Published results of the site's jurisdiction paged by visit (the portal's 检查结果公示).
pub async fn public_visits(
    svc: &Services,
    q: &ResultQuery,
    page: PageRequest,
) -> Result<Page<PublicVisit>> {
    let rows = repo::list_results_by_visit(
        svc.store.conn(),
        &svc.public_scope(),
        &public_query(q),
        page,
    )
    .await?;
    let mut visits: Vec<PublicVisit> = Vec::new();
    for r in rows.items.into_iter().map(public_result) {
        match visits.last_mut() {
            Some(v) if v.visit_code == r.visit_code => v.results.push(r),
            _ => visits.push(PublicVisit {
                visit_code: r.visit_code.clone(),
                usci: r.usci.clone(),
                entity_name: r.entity_name.clone(),
                region_code: r.region_code.clone(),
                visited_on: r.visited_on,
                random: r.random,
                published_on: r.published_on,
                results: vec![r],
            }),
        }
    }
    Ok(Page {
        items: visits,
        total: rows.total,
        page: rows.page,
        per_page: rows.per_page,
    })
}

/// Columns of the result export.
const RESULT_EXPORT_HEADERS: [&str; 13] = [
    "检查编号",
    "统一社会信用代码",
    "主体名称",
    "行政区划",
    "事项编码",
    "检查事项",
    "检查部门",
    "检查日期",
    "检查结果",
    "后续处置",
    "状态",
    "公示期限",
    "是否逾期公示",
];

/// At most this many results leave in one export.
const MAX_EXPORT_ROWS: usize = 100_000;

/// The staff result list with its filters, every page, as xlsx.
pub async fn export_results(svc: &Services, actor: &Actor, q: &ResultQuery) -> Result<Vec<u8>> {
    let mut rows: Vec<Vec<String>> = Vec::new();
    let mut page = 1;
    loop {
        let p = results(
            svc,
            actor,
            q,
            PageRequest::new(Some(page), Some(PageRequest::MAX_PER_PAGE)),
        )
        .await?;
        let n = p.items.len() as u64;
        for e in p.items {
            let r = e.row;
            rows.push(vec![
                r.visit_code,
                r.usci,
                r.entity_name,
                r.region_code,
                r.item_code,
                r.item_name,
                r.department_name,
                r.visited_on.map(|d| d.to_string()).unwrap_or_default(),
                e.result_zh.unwrap_or_default(),
                e.follow_up_zh.unwrap_or_default(),
                e.status_zh,
                r.publish_deadline
                    .map(|d| d.to_string())
                    .unwrap_or_default(),
                if e.late { "是".into() } else { "否".into() },
            ]);
        }
        if n < p.per_page || rows.len() >= MAX_EXPORT_ROWS {
            break;
        }
        page += 1;
    }
    if rows.len() >= MAX_EXPORT_ROWS {
        rows.truncate(MAX_EXPORT_ROWS);
        let mut note = vec![String::new(); RESULT_EXPORT_HEADERS.len()];
        note[0] = format!("仅导出前 {MAX_EXPORT_ROWS} 条，请缩小筛选范围");
        rows.push(note);
    }
    Ok(crate::sheets::xlsx_table(
        "检查结果",
        &RESULT_EXPORT_HEADERS,
        rows,
    ))
}
