//! What a finding leads to (后续处置, DOMAIN.md "Follow-up"): rectification orders with a
//! deadline in working days and their re-check (责令整改、复查), referrals to the department
//! whose duty it is with a feedback deadline (抄告, 国办发〔2023〕1号 (十)), and case transfers
//! for suspected crimes (移送, 行刑衔接, 国办 (十四)) for the linkage work that comes later.
//! The visit's evidence travels with every referral and transfer (证据互认, 国办 (十五)).

use chrono::{NaiveDate, Utc};
use lianjian_domain::Invalid;
use lianjian_domain::account::Role;
use lianjian_domain::lifecycle::Lifecycle;
use lianjian_domain::scope::{Actor, Scope};
use lianjian_domain::visit::{
    self as rules, RectificationStatus, ReferralStatus, TransferStatus, VisitStatus, beijing_date,
};
use lianjian_store::visits::{self as repo, VisitRow};
use lianjian_store::{Page, PageRequest};
use serde::Serialize;
use uuid::Uuid;

use crate::calendar::{add_working_days, working_days_between};
use crate::error::Checker;
use crate::trail::{Record, record};
use crate::visit_access::{acts_for, department, visible};
use crate::{Result, ServiceError, Services};

/// Follow-up records and their list filter as this service takes and returns them.
pub use lianjian_store::visits::{CaseTransfer, FollowUpQuery, Rectification, Referral};

fn invalid(
    field: &str,
    code: &'static str,
    zh: impl Into<String>,
    en: impl Into<String>,
) -> ServiceError {
    ServiceError::field(field, Invalid::new(code, zh, en))
}

/// Orders, referrals and transfers start from a visit under way or done, never from one that
/// has not started or was cancelled.
fn ensure_visit_started(v: &VisitRow) -> Result<()> {
    match v.status {
        VisitStatus::Scheduled | VisitStatus::Cancelled => Err(ServiceError::conflict(
            "status",
            format!("检查 {} 尚未实施或已取消", v.code),
            format!("visit {} has not taken place or was cancelled", v.code),
        )),
        _ => Ok(()),
    }
}

/// The actor acts for `department_id` on this visit: as its administrator (or the office), or
/// as an inspector of that department on the visit's team.
async fn ensure_acts(
    c: &impl lianjian_store::Conn,
    actor: &Actor,
    v: &VisitRow,
    department_id: Uuid,
) -> Result<lianjian_store::departments::Department> {
    let d = department(c, department_id).await?;
    if acts_for(actor, &d) {
        return Ok(d);
    }
    let team = repo::team(c, v.id).await?;
    if team
        .iter()
        .any(|m| m.user_id == Some(actor.user_id) && m.department_id == department_id)
    {
        return Ok(d);
    }
    Err(ServiceError::refused(
        format!("您不能代表{}办理此事项", d.name),
        format!("you cannot act for {}", d.name),
    ))
}

async fn next_code(
    c: &impl lianjian_store::Conn,
    table: &str,
    kind: &str,
    v: &VisitRow,
) -> Result<String> {
    let prefix = format!("{kind}-{}-", v.code);
    let n = repo::count_codes(c, table, &prefix).await?;
    Ok(format!("{prefix}{:02}", n + 1))
}

// ---- rectification ----

/// A rectification order as the form sends it: the period either in working days or as a
/// deadline date.
#[derive(Debug, Clone, Default, serde::Deserialize)]
pub struct OrderSpec {
    pub plan_id: Uuid,
    pub requirements: String,
    #[serde(default)]
    pub working_days: Option<i64>,
    /// `YYYY-MM-DD`, alternative to `working_days`.
    #[serde(default)]
    pub deadline: Option<String>,
}

/// Issues a rectification order (责令整改通知书) for one item of a visit. The deadline is
/// counted in working days from the day of issue (the day itself not counted).
pub async fn issue_order(
    svc: &Services,
    actor: &Actor,
    visit_id: Uuid,
    spec: &OrderSpec,
) -> Result<Rectification> {
    let c = svc.store.conn();
    let v = visible(c, actor, visit_id).await?;
    ensure_visit_started(&v)?;
    let results = repo::results(c, visit_id).await?;
    let part = results
        .iter()
        .find(|r| r.plan_id == spec.plan_id)
        .ok_or_else(|| {
            invalid(
                "plan_id",
                "unknown_part",
                "本次检查不包含该事项",
                "this visit has no such item",
            )
        })?
        .clone();
    let d = ensure_acts(c, actor, &v, part.department_id).await?;
    let today = beijing_date(Utc::now());
    let mut ch = Checker::default();
    let requirements = ch.check(
        "requirements",
        rules::matter(&spec.requirements, "整改要求", "requirements"),
    );
    let days = match (
        spec.working_days,
        spec.deadline
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty()),
    ) {
        (Some(n), _) => ch.check("working_days", rules::rectification_days(n)),
        (None, Some(s)) => match NaiveDate::parse_from_str(s, "%Y-%m-%d") {
            Ok(dl) if dl <= today => {
                ch.push(
                    "deadline",
                    Invalid::new(
                        "in_the_past",
                        format!("整改期限 {dl} 不晚于今天（{today}），请选择今后的日期"),
                        format!("the deadline {dl} is not after today ({today})"),
                    ),
                );
                None
            }
            Ok(dl) => {
                let n = working_days_between(svc, today, dl).await?;
                ch.check("deadline", rules::rectification_days(n))
            }
            Err(_) => {
                ch.push(
                    "deadline",
                    Invalid::new(
                        "date",
                        format!("日期“{s}”不正确，应为 2026-12-31 这样的格式"),
                        format!("date '{s}' is not YYYY-MM-DD"),
                    ),
                );
                None
            }
        },
        (None, None) => {
            ch.push(
                "working_days",
                Invalid::new(
                    "required",
                    "请填写整改期限（工作日数或截止日期）",
                    "give the period in working days or a deadline",
                ),
            );
            None
        }
    };
    ch.finish()?;
    let (requirements, days) = (requirements.expect("checked"), days.expect("checked"));
    let deadline = add_working_days(svc, today, days).await?;
    let now = lianjian_domain::audit::audit_time(Utc::now());
    let tx = svc.store.begin().await?;
    let r = Rectification {
        id: Uuid::now_v7(),
        code: next_code(&tx, "rectifications", "ZG", &v).await?,
        visit_id,
        plan_id: part.plan_id,
        item_id: part.item_id,
        entity_id: v.entity_id,
        department_id: d.id,
        region_code: v.region_code.to_string(),
        requirements,
        working_days: days as i32,
        issued_on: today,
        deadline,
        status: RectificationStatus::Issued,
        report: None,
        reported_at: None,
        review_visit_id: None,
        closing_note: None,
        closed_at: None,
        created_by: actor.username.clone(),
        created_at: now,
        updated_at: now,
    };
    repo::insert_rectification(&tx, &r).await?;
    record(
        &tx,
        actor,
        Record::new("rectification.issue", "rectification", r.id)
            .at(&v.region_code, Some(d.id))
            .after(&serde_json::json!({"code": r.code, "visit": v.code, "working_days": days, "deadline": deadline, "requirements": r.requirements})),
    )
    .await?;
    tx.commit().await?;
    Ok(r)
}

async fn visible_order(
    svc: &Services,
    actor: &Actor,
    id: Uuid,
) -> Result<(Rectification, VisitRow)> {
    let c = svc.store.conn();
    let r = repo::get_rectification(c, id)
        .await?
        .ok_or(ServiceError::NotFound)?;
    let v = visible(c, actor, r.visit_id).await?;
    Ok((r, v))
}

/// The entity's report that it has rectified (recorded by the department).
pub async fn report_rectified(
    svc: &Services,
    actor: &Actor,
    id: Uuid,
    report: &str,
) -> Result<Rectification> {
    let report = rules::matter(report, "整改情况", "report")
        .map_err(|e| ServiceError::field("report", e))?;
    let (mut r, v) = visible_order(svc, actor, id).await?;
    let tx = svc.store.begin().await?;
    ensure_acts(&tx, actor, &v, r.department_id).await?;
    if !r.status.can_move_to(RectificationStatus::Reported) {
        return Err(ServiceError::conflict(
            "status",
            format!("整改 {} 已不在整改中", r.code),
            format!("order {} is no longer open for a report", r.code),
        ));
    }
    r.status = RectificationStatus::Reported;
    r.report = Some(report);
    r.reported_at = Some(lianjian_domain::audit::audit_time(Utc::now()));
    repo::update_rectification(&tx, &r).await?;
    record(
        &tx,
        actor,
        Record::new("rectification.report", "rectification", r.id)
            .at(&v.region_code, Some(r.department_id))
            .after(&serde_json::json!({"code": r.code, "report": r.report})),
    )
    .await?;
    tx.commit().await?;
    Ok(r)
}

/// The re-check (复查) closes the order: rectified (合格) or not (不合格, e.g. for a case).
pub async fn recheck(
    svc: &Services,
    actor: &Actor,
    id: Uuid,
    passed: bool,
    note: &str,
) -> Result<Rectification> {
    let note = rules::matter(note, "复查意见", "re-check note")
        .map_err(|e| ServiceError::field("note", e))?;
    let (mut r, v) = visible_order(svc, actor, id).await?;
    let tx = svc.store.begin().await?;
    ensure_acts(&tx, actor, &v, r.department_id).await?;
    let to = if passed {
        RectificationStatus::Passed
    } else {
        RectificationStatus::Failed
    };
    if !r.status.can_move_to(to) {
        return Err(ServiceError::conflict(
            "status",
            format!("整改 {} 已复查办结", r.code),
            format!("order {} is already closed", r.code),
        ));
    }
    let before = r.status;
    r.status = to;
    r.closing_note = Some(note);
    r.closed_at = Some(lianjian_domain::audit::audit_time(Utc::now()));
    repo::update_rectification(&tx, &r).await?;
    record(
        &tx,
        actor,
        Record::new("rectification.recheck", "rectification", r.id)
            .at(&v.region_code, Some(r.department_id))
            .before(&serde_json::json!({"status": before}))
            .after(
                &serde_json::json!({"code": r.code, "status": r.status, "note": r.closing_note}),
            ),
    )
    .await?;
    tx.commit().await?;
    Ok(r)
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct OrderEntry {
    #[serde(flatten)]
    pub order: Rectification,
    pub status_zh: String,
    pub overdue: bool,
    pub department: String,
    pub entity_name: String,
    pub visit_code: String,
}

/// Orders in the actor's view, overdue ones flagged (逾期未整改).
pub async fn orders(
    svc: &Services,
    actor: &Actor,
    q: &FollowUpQuery<RectificationStatus>,
    page: PageRequest,
) -> Result<Page<OrderEntry>> {
    let c = svc.store.conn();
    let today = beijing_date(Utc::now());
    // The query's region and line narrow the actor's scope (the store intersects them).
    let p = repo::list_rectifications(c, &Scope::of(actor), q, page).await?;
    let mut items = Vec::with_capacity(p.items.len());
    for o in p.items {
        let v = repo::get_visit(c, o.visit_id).await?;
        items.push(OrderEntry {
            status_zh: o.status.label_zh().into(),
            overdue: !o.status.is_final() && o.deadline < today,
            department: department(c, o.department_id).await?.name,
            entity_name: v
                .as_ref()
                .map(|v| v.entity_name.clone())
                .unwrap_or_default(),
            visit_code: v.map(|v| v.code).unwrap_or_default(),
            order: o,
        });
    }
    Ok(Page {
        items,
        total: p.total,
        page: p.page,
        per_page: p.per_page,
    })
}

pub async fn order(svc: &Services, actor: &Actor, id: Uuid) -> Result<OrderEntry> {
    let (o, v) = visible_order(svc, actor, id).await?;
    let today = beijing_date(Utc::now());
    Ok(OrderEntry {
        status_zh: o.status.label_zh().into(),
        overdue: !o.status.is_final() && o.deadline < today,
        department: department(svc.store.conn(), o.department_id).await?.name,
        entity_name: v.entity_name.clone(),
        visit_code: v.code.clone(),
        order: o,
    })
}

// ---- referrals ----

#[derive(Debug, Clone, Default, serde::Deserialize)]
pub struct ReferralSpec {
    /// The department sending it (one of the visit's); default: the visit's lead department.
    #[serde(default)]
    pub from_department_id: Option<Uuid>,
    pub to_department_id: Uuid,
    pub matter: String,
    /// Feedback deadline in working days (default 10).
    #[serde(default)]
    pub working_days: Option<i64>,
}

/// Passes a finding that is another department's duty to it (抄告), with the visit's evidence
/// and a deadline for its feedback.
pub async fn refer(
    svc: &Services,
    actor: &Actor,
    visit_id: Uuid,
    spec: &ReferralSpec,
) -> Result<Referral> {
    let c = svc.store.conn();
    let v = visible(c, actor, visit_id).await?;
    ensure_visit_started(&v)?;
    let from = ensure_acts(
        c,
        actor,
        &v,
        spec.from_department_id.unwrap_or(v.lead_department_id),
    )
    .await?;
    let mut ch = Checker::default();
    let matter = ch.check("matter", rules::matter(&spec.matter, "抄告事项", "matter"));
    let days = ch.check(
        "working_days",
        rules::rectification_days(
            spec.working_days
                .unwrap_or(rules::REFERRAL_FEEDBACK_WORKING_DAYS as i64),
        ),
    );
    let to = match lianjian_store::departments::get(c, spec.to_department_id).await? {
        Some(d) if d.id == from.id => {
            ch.push(
                "to_department_id",
                Invalid::new(
                    "same_department",
                    "不能抄告本部门",
                    "cannot refer to the sending department",
                ),
            );
            None
        }
        Some(d) => Some(d),
        None => {
            ch.push(
                "to_department_id",
                Invalid::new("unknown_department", "接收部门不存在", "no such department"),
            );
            None
        }
    };
    ch.finish()?;
    let (matter, days, to) = (
        matter.expect("checked"),
        days.expect("checked"),
        to.expect("checked"),
    );
    let today = beijing_date(Utc::now());
    let deadline = add_working_days(svc, today, days).await?;
    let now = lianjian_domain::audit::audit_time(Utc::now());
    let tx = svc.store.begin().await?;
    let r = Referral {
        id: Uuid::now_v7(),
        code: next_code(&tx, "referrals", "CG", &v).await?,
        visit_id,
        entity_id: v.entity_id,
        from_department_id: from.id,
        to_department_id: to.id,
        region_code: v.region_code.to_string(),
        matter,
        deadline,
        status: ReferralStatus::Sent,
        feedback: None,
        answered_by: None,
        answered_at: None,
        created_by: actor.username.clone(),
        created_at: now,
    };
    repo::insert_referral(&tx, &r).await?;
    record(&tx, actor, Record::new("referral.send", "referral", r.id).at(&v.region_code, Some(to.id)).after(&serde_json::json!({"code": r.code, "visit": v.code, "from": from.name, "to": to.name, "deadline": deadline, "matter": r.matter}))).await?;
    tx.commit().await?;
    Ok(r)
}

/// A referral is visible to the sending and the receiving side (the receiving department
/// may not see the visit otherwise).
async fn visible_referral(svc: &Services, actor: &Actor, id: Uuid) -> Result<Referral> {
    let c = svc.store.conn();
    let r = repo::get_referral(c, id)
        .await?
        .ok_or(ServiceError::NotFound)?;
    let to = department(c, r.to_department_id).await?;
    let scope = actor.scope();
    let in_region = scope
        .region
        .as_ref()
        .is_none_or(|s| to.region_code.is_within(s));
    if in_region && scope.line.as_ref().is_none_or(|l| *l == to.line) {
        return Ok(r);
    }
    visible(c, actor, r.visit_id).await?;
    Ok(r)
}

/// The receiving department's feedback (反馈).
pub async fn answer_referral(
    svc: &Services,
    actor: &Actor,
    id: Uuid,
    feedback: &str,
) -> Result<Referral> {
    let feedback = rules::matter(feedback, "反馈意见", "feedback")
        .map_err(|e| ServiceError::field("feedback", e))?;
    let r = visible_referral(svc, actor, id).await?;
    let tx = svc.store.begin().await?;
    let to = department(&tx, r.to_department_id).await?;
    if !may_answer_referral(actor, &to) {
        return Err(ServiceError::refused(
            format!("由接收部门{}反馈", to.name),
            format!("feedback comes from the receiving department, {}", to.name),
        ));
    }
    if !r.status.can_move_to(ReferralStatus::Answered) {
        return Err(ServiceError::conflict(
            "status",
            format!("抄告 {} 已反馈", r.code),
            format!("referral {} already has feedback", r.code),
        ));
    }
    repo::answer_referral(&tx, id, &feedback, &actor.username).await?;
    record(
        &tx,
        actor,
        Record::new("referral.answer", "referral", id)
            .at(&r.region_code, Some(to.id))
            .after(&serde_json::json!({"code": r.code, "feedback": feedback})),
    )
    .await?;
    tx.commit().await?;
    Ok(repo::get_referral(svc.store.conn(), id)
        .await?
        .ok_or(ServiceError::NotFound)?)
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ReferralEntry {
    #[serde(flatten)]
    pub referral: Referral,
    pub status_zh: String,
    pub overdue: bool,
    pub from_department: String,
    pub to_department: String,
    pub entity_name: String,
    pub visit_code: String,
}

async fn referral_entry(svc: &Services, r: Referral) -> Result<ReferralEntry> {
    let c = svc.store.conn();
    let v = repo::get_visit(c, r.visit_id).await?;
    Ok(ReferralEntry {
        status_zh: r.status.label_zh().into(),
        overdue: !r.status.is_final() && r.deadline < beijing_date(Utc::now()),
        from_department: department(c, r.from_department_id).await?.name,
        to_department: department(c, r.to_department_id).await?.name,
        entity_name: v
            .as_ref()
            .map(|v| v.entity_name.clone())
            .unwrap_or_default(),
        visit_code: v.map(|v| v.code).unwrap_or_default(),
        referral: r,
    })
}

pub async fn referral(svc: &Services, actor: &Actor, id: Uuid) -> Result<ReferralEntry> {
    let r = visible_referral(svc, actor, id).await?;
    referral_entry(svc, r).await
}

/// Whether the actor answers referrals addressed to department `to`: those who act for it
/// (its administrators, the coordination office above it, the system administrator) and the
/// inspectors of its line. The console offers the feedback form only when this holds.
pub fn may_answer_referral(actor: &Actor, to: &lianjian_store::departments::Department) -> bool {
    acts_for(actor, to) || (actor.role == Role::Inspector && actor.department_line == to.line)
}

/// Referrals received (`incoming`) or sent in the actor's view.
pub async fn referrals(
    svc: &Services,
    actor: &Actor,
    q: &FollowUpQuery<ReferralStatus>,
    incoming: bool,
    page: PageRequest,
) -> Result<Page<ReferralEntry>> {
    let p = repo::list_referrals(svc.store.conn(), &Scope::of(actor), q, incoming, page).await?;
    let mut items = Vec::with_capacity(p.items.len());
    for r in p.items {
        items.push(referral_entry(svc, r).await?);
    }
    Ok(Page {
        items,
        total: p.total,
        page: p.page,
        per_page: p.per_page,
    })
}

// ---- case transfers ----

#[derive(Debug, Clone, Default, serde::Deserialize)]
pub struct TransferSpec {
    #[serde(default)]
    pub department_id: Option<Uuid>,
    /// 公安机关 / 人民检察院 … as the department writes it.
    pub agency: String,
    pub facts: String,
}

/// Records the transfer of a suspected crime to a handling agency (案件移送, 行刑衔接) with the
/// visit's evidence, for the linkage work that follows.
pub async fn transfer(
    svc: &Services,
    actor: &Actor,
    visit_id: Uuid,
    spec: &TransferSpec,
) -> Result<CaseTransfer> {
    let c = svc.store.conn();
    let v = visible(c, actor, visit_id).await?;
    ensure_visit_started(&v)?;
    let d = ensure_acts(
        c,
        actor,
        &v,
        spec.department_id.unwrap_or(v.lead_department_id),
    )
    .await?;
    let mut ch = Checker::default();
    let agency = ch.check(
        "agency",
        lianjian_domain::error::bounded_text(&spec.agency, 2, 100, "接收机关", "receiving agency"),
    );
    let facts = ch.check("facts", rules::matter(&spec.facts, "涉嫌犯罪事实", "facts"));
    ch.finish()?;
    let now = lianjian_domain::audit::audit_time(Utc::now());
    let tx = svc.store.begin().await?;
    let t = CaseTransfer {
        id: Uuid::now_v7(),
        code: next_code(&tx, "case_transfers", "YS", &v).await?,
        visit_id,
        entity_id: v.entity_id,
        department_id: d.id,
        region_code: v.region_code.to_string(),
        agency: agency.expect("checked"),
        facts: facts.expect("checked"),
        status: TransferStatus::Transferred,
        feedback: None,
        feedback_at: None,
        created_by: actor.username.clone(),
        created_at: now,
    };
    repo::insert_transfer(&tx, &t).await?;
    record(
        &tx,
        actor,
        Record::new("case_transfer.create", "case_transfer", t.id)
            .at(&v.region_code, Some(d.id))
            .after(&serde_json::json!({"code": t.code, "visit": v.code, "agency": t.agency})),
    )
    .await?;
    tx.commit().await?;
    Ok(t)
}

/// The day and document of the receiving agency's decision on a transfer (行刑衔接): the
/// date it decided (受理/立案 or 不予受理; defaults to the day it is recorded) and the
/// document's number (立案决定书 / 不予立案通知书文号), if any.
#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::ToSchema)]
pub struct TransferDecisionInput {
    /// YYYY-MM-DD, not after today, not before the transfer.
    #[serde(default)]
    pub decided_on: Option<String>,
    #[serde(default)]
    pub document_no: Option<String>,
}

/// The receiving agency's answer, as the department records it (受理 / 不予受理) with the
/// reasons (`feedback`), and the date and document of its decision
/// (`assistance::transfer_decision`), in one transaction.
pub async fn transfer_feedback(
    svc: &Services,
    actor: &Actor,
    id: Uuid,
    accepted: bool,
    feedback: &str,
    decision: &TransferDecisionInput,
) -> Result<CaseTransfer> {
    let c = svc.store.conn();
    let t = repo::get_transfer(c, id)
        .await?
        .ok_or(ServiceError::NotFound)?;
    let v = visible(c, actor, t.visit_id).await?;
    let today = beijing_date(Utc::now());
    let mut errors = Vec::new();
    let feedback = rules::matter(feedback, "反馈情况", "feedback")
        .map_err(|e| errors.push(crate::error::FieldError::new("feedback", e)))
        .ok();
    let decided = parse_decision(
        decision
            .decided_on
            .as_deref()
            .filter(|s| !s.trim().is_empty())
            .unwrap_or(&today.format("%Y-%m-%d").to_string()),
        decision.document_no.as_deref(),
        t.created_at,
        today,
    )
    .map_err(|e| errors.extend(e))
    .ok();
    if !errors.is_empty() {
        return Err(ServiceError::Invalid(errors));
    }
    let (feedback, (decided_on, document_no)) =
        (feedback.expect("checked"), decided.expect("checked"));
    let tx = svc.store.begin().await?;
    ensure_acts(&tx, actor, &v, t.department_id).await?;
    let status = if accepted {
        TransferStatus::Accepted
    } else {
        TransferStatus::Declined
    };
    if !t.status.can_move_to(status) {
        return Err(ServiceError::conflict(
            "status",
            format!("移送 {} 已有反馈", t.code),
            format!("transfer {} already has feedback", t.code),
        ));
    }
    repo::set_transfer_feedback(&tx, id, status, &feedback).await?;
    record_decision(&tx, actor, id, decided_on, document_no.clone()).await?;
    record(&tx, actor, Record::new("case_transfer.feedback", "case_transfer", id).at(&v.region_code, Some(t.department_id)).after(&serde_json::json!({"code": t.code, "status": status.as_str(), "feedback": feedback, "decided_on": decided_on, "document_no": document_no}))).await?;
    tx.commit().await?;
    Ok(repo::get_transfer(svc.store.conn(), id)
        .await?
        .ok_or(ServiceError::NotFound)?)
}

/// The transfer, if the actor sees its visit (out of view looks absent).
pub async fn get_transfer(svc: &Services, actor: &Actor, id: Uuid) -> Result<CaseTransfer> {
    let c = svc.store.conn();
    let t = repo::get_transfer(c, id)
        .await?
        .ok_or(ServiceError::NotFound)?;
    visible(c, actor, t.visit_id).await?;
    Ok(t)
}

pub async fn transfers(
    svc: &Services,
    actor: &Actor,
    q: &FollowUpQuery<TransferStatus>,
    page: PageRequest,
) -> Result<Page<CaseTransfer>> {
    Ok(repo::list_transfers(svc.store.conn(), &Scope::of(actor), q, page).await?)
}

// ---- the receiving agency's decision (行刑衔接, issue 17 item 4) ----

/// The receiving agency's decision on a transfer (受理/立案 or 不予受理), as the department
/// records it from the agency's document: the date it decided and the document's number,
/// besides the reasons (`transfer_feedback`).
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct TransferDecisionView {
    pub decided_on: chrono::NaiveDate,
    pub document_no: Option<String>,
    pub recorded_by: String,
    pub recorded_at: chrono::DateTime<chrono::Utc>,
}

/// The decision recorded for a transfer, if any (the transfer must be visible to the actor).
pub async fn transfer_decision(
    svc: &Services,
    a: &Actor,
    transfer_id: Uuid,
) -> Result<Option<TransferDecisionView>> {
    get_transfer(svc, a, transfer_id).await?;
    Ok(
        lianjian_store::assistance::decision_of(svc.store.conn(), transfer_id)
            .await?
            .map(|d| TransferDecisionView {
                decided_on: d.decided_on,
                document_no: d.document_no,
                recorded_by: d.recorded_by,
                recorded_at: d.recorded_at,
            }),
    )
}

/// Parses the decision's date (not after today, not before the transfer) and document number.
pub(crate) fn parse_decision(
    decided_on: &str,
    document_no: Option<&str>,
    transferred: chrono::DateTime<chrono::Utc>,
    today: chrono::NaiveDate,
) -> std::result::Result<(chrono::NaiveDate, Option<String>), Vec<crate::error::FieldError>> {
    let mut ch = crate::error::Checker::default();
    let date = match chrono::NaiveDate::parse_from_str(decided_on.trim(), "%Y-%m-%d") {
        Ok(d) if d > today => {
            ch.push(
                "decided_on",
                lianjian_domain::Invalid::new(
                    "future",
                    "决定日期不能晚于今天",
                    "the decision date is in the future",
                ),
            );
            None
        }
        Ok(d) if d < beijing_date(transferred) => {
            ch.push(
                "decided_on",
                lianjian_domain::Invalid::new(
                    "before_transfer",
                    "决定日期不能早于移送日期",
                    "the decision date is before the transfer",
                ),
            );
            None
        }
        Ok(d) => Some(d),
        Err(_) => {
            ch.push(
                "decided_on",
                lianjian_domain::Invalid::new(
                    "date",
                    format!("决定日期“{}”应为 YYYY-MM-DD", decided_on.trim()),
                    format!("decision date '{}' must be YYYY-MM-DD", decided_on.trim()),
                ),
            );
            None
        }
    };
    let doc = match document_no.map(str::trim).filter(|s| !s.is_empty()) {
        None => None,
        Some(s) => ch.check(
            "document_no",
            lianjian_domain::error::bounded_text(s, 2, 60, "文书编号", "document number"),
        ),
    };
    let errs = ch.into_errors();
    if errs.is_empty() {
        Ok((date.expect("checked"), doc))
    } else {
        Err(errs)
    }
}

/// Stores the decision on `tx` (with the transfer's feedback, in its transaction).
pub(crate) async fn record_decision(
    tx: &lianjian_store::Tx,
    a: &Actor,
    transfer_id: Uuid,
    decided_on: chrono::NaiveDate,
    document_no: Option<String>,
) -> Result<()> {
    lianjian_store::assistance::insert_decision(
        tx,
        &lianjian_store::assistance::TransferDecision {
            transfer_id,
            decided_on,
            document_no,
            recorded_by: a.username.clone(),
            recorded_at: lianjian_domain::audit::audit_time(chrono::Utc::now()),
        },
    )
    .await?;
    Ok(())
}
