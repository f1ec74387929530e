//! Objections and credit repair (异议申诉与信用修复, the rules in force from 2026-04-01) on the
//! shared case mechanism ([`crate::cases`]): staff register an entity's objection to a credit
//! entry, or its repair application, on its behalf ([`may_register`]); a repair is accepted only
//! once the tier's minimum publication period has passed (`CreditRecord::repairable_on`); the
//! decision is due within 10 working days (a clock, `appeal::DECIDE_CLOCK`); an objection upheld
//! withdraws the entry (已撤销), a repair granted stops its publication (已修复), both in the
//! same transaction as the decision's step. Every state is an event with its audit entry.
//!
//! After a change to an entity's credit the entity is to be evaluated again: the call point is
//! [`reevaluate_entity`].

use chrono::{NaiveDate, Utc};
use lianjian_domain::Invalid;
use lianjian_domain::account::Role;
use lianjian_domain::case::{Light, reason};
use lianjian_domain::credit::appeal::{
    self as rules, AppealAction, AppealKind, AppealStatus, DECIDE_CLOCK,
};
use lianjian_domain::credit::{RecordKind, RecordStatus};
use lianjian_domain::scope::{Actor, Scope};
use lianjian_domain::visit::beijing_date;
use lianjian_store::cases::ClockHolder;
use lianjian_store::credit_sanctions::{self as repo, Appeal, AppealQuery};
use lianjian_store::{Conn, Page, PageRequest};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::cases::{self, CaseRef, ClockView};
use crate::error::Checker;
use crate::{Result, ServiceError, Services};

/// Re-evaluates the entity (信用重新评价) after a change to its credit entries made here or in
/// `sanctions` (a repair granted, an objection upheld, a sanction applied or lifted), on the
/// same transaction: `evaluation::reevaluate_entity`.
pub(crate) async fn reevaluate_entity(
    svc: &Services,
    tx: &impl Conn,
    a: &Actor,
    entity_id: Uuid,
    why: &str,
) -> Result<()> {
    super::evaluation::reevaluate_entity(svc, tx, a, entity_id, why).await
}

/// Who registers an objection or a repair application on the entity's behalf: the office,
/// department administrators and the system administrator.
pub fn may_register(a: &Actor) -> bool {
    matches!(
        a.role,
        Role::SystemAdmin | Role::CoordinationOffice | Role::DepartmentAdmin
    )
}

/// Who decides: the office of the entry's region, and the administrators of the department
/// that recorded the entry.
pub fn may_decide(a: &Actor, x: &Appeal) -> bool {
    match a.role {
        Role::SystemAdmin => true,
        Role::CoordinationOffice => a
            .full_scope()
            .region
            .as_ref()
            .is_none_or(|r| x.region_code.is_within(r)),
        Role::DepartmentAdmin => x.department_id == Some(a.department_id),
        _ => false,
    }
}

/// A step on a case's timeline (now shared by every case kind, in `cases`).
pub use crate::cases::CaseStepView;

/// An appeal as a form or the API sends it.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
pub struct AppealInput {
    /// `objection` (异议) or `repair` (信用修复).
    pub kind: String,
    /// The credit entry concerned.
    pub entry_id: Option<Uuid>,
    /// Who applies for the entity (申请人).
    pub applicant: String,
    /// 申请理由 / 异议理由.
    pub statement: String,
}

/// The entry an appeal concerns, as shown with it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct EntrySummary {
    pub id: Uuid,
    pub kind: RecordKind,
    pub kind_label: String,
    pub title: String,
    pub reference: Option<String>,
    pub occurred_on: NaiveDate,
    pub status: RecordStatus,
    pub status_label: String,
    pub repair_from: NaiveDate,
    pub publish_until: NaiveDate,
}

/// An appeal as a list row or the head of its page.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct AppealView {
    pub id: Uuid,
    pub code: String,
    pub kind: AppealKind,
    pub kind_label: String,
    pub entry_id: Uuid,
    pub entity_id: Uuid,
    pub entity_name: String,
    pub usci: String,
    pub applicant: String,
    pub statement: String,
    pub status: AppealStatus,
    pub status_label: String,
    pub decision: Option<String>,
    pub decided_on: Option<NaiveDate>,
    pub clocks: Vec<ClockView>,
    pub light: Option<Light>,
    pub created_at: chrono::DateTime<Utc>,
}

/// An appeal's page.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct AppealDetail {
    pub appeal: AppealView,
    pub entry: Option<EntrySummary>,
    pub timeline: Vec<CaseStepView>,
    pub actions: Vec<AppealAction>,
}

fn today(svc: &Services) -> NaiveDate {
    beijing_date(svc.now())
}

async fn view(c: &impl Conn, x: &Appeal, clocks: Vec<ClockView>) -> Result<AppealView> {
    let e = lianjian_store::entities::get(c, x.entity_id).await?;
    Ok(AppealView {
        id: x.id,
        code: x.code.clone(),
        kind: x.kind,
        kind_label: x.kind.label_zh().into(),
        entry_id: x.entry_id,
        entity_id: x.entity_id,
        entity_name: e.as_ref().map(|e| e.name.clone()).unwrap_or_default(),
        usci: e.as_ref().map(|e| e.usci.clone()).unwrap_or_default(),
        applicant: x.applicant.clone(),
        statement: x.statement.clone(),
        status: x.status,
        status_label: x.status.label_zh().into(),
        decision: x.decision.clone(),
        decided_on: x.decided_on,
        light: clocks.iter().map(|k| k.light).find(|l| l.is_running()),
        clocks,
        created_at: x.created_at,
    })
}

fn case_ref(x: &Appeal) -> CaseRef<'_> {
    CaseRef {
        kind: x.kind.case_kind(),
        id: x.id,
        code: &x.code,
        region: x.region_code.as_str(),
        department_id: x.department_id,
    }
}

fn refused(e: Invalid) -> ServiceError {
    ServiceError::conflict("status", e.zh, e.en)
}

/// 登记: registers an objection or a repair application for an entry the actor can see.
pub async fn register(svc: &Services, a: &Actor, input: &AppealInput) -> Result<AppealDetail> {
    if !may_register(a) {
        return Err(ServiceError::Forbidden);
    }
    let c = svc.store.conn();
    let today = today(svc);
    let mut ck = Checker::default();
    let kind = ck.check("kind", AppealKind::parse(&input.kind));
    let applicant = ck.check("applicant", rules::applicant(&input.applicant));
    let statement = ck.check("statement", rules::statement(&input.statement));
    let entry = match input.entry_id {
        None => {
            ck.push(
                "entry_id",
                Invalid::new("required", "请选择信用记录", "choose the credit entry"),
            );
            None
        }
        Some(id) => {
            let e = lianjian_store::credit::get(c, &Scope::of(a), id).await?;
            if e.is_none() {
                ck.push(
                    "entry_id",
                    Invalid::new("unknown_entry", "信用记录不存在", "no such credit entry"),
                );
            }
            e
        }
    };
    if let (Some(k), Some(e)) = (kind, entry.as_ref()) {
        if let Err(why) = k.admissible(&e.record(), today) {
            ck.push("entry_id", why);
        } else if let Some(open) = repo::open_appeal_of(c, e.id).await? {
            ck.push(
                "entry_id",
                Invalid::new(
                    "open_appeal",
                    format!(
                        "该记录已有待决定的{}（{}）",
                        open.kind.label_zh(),
                        open.code
                    ),
                    format!("the entry already has an open appeal ({})", open.code),
                ),
            );
        }
    }
    ck.finish()?;
    let (kind, entry) = (kind.expect("checked"), entry.expect("checked"));
    let now = lianjian_domain::audit::audit_time(svc.now());
    let county: String = entry.region_code.as_str().chars().take(6).collect();
    let letters = match kind {
        AppealKind::Objection => "YY",
        AppealKind::Repair => "XF",
    };
    let prefix = format!("{letters}-{county}-{}-", today.format("%Y"));
    let cal = crate::calendar::current(svc).await?;
    let tx = svc.store.begin().await?;
    let n = repo::next_code_number(&tx, &prefix).await?;
    let x = Appeal {
        id: Uuid::now_v7(),
        code: format!("{prefix}{n:04}"),
        kind,
        entry_id: entry.id,
        entity_id: entry.entity_id,
        region_code: entry.region_code.clone(),
        department_id: entry.department_id,
        applicant: applicant.expect("checked"),
        statement: statement.expect("checked"),
        status: AppealStatus::Submitted,
        decision: None,
        decided_on: None,
        created_by: a.username.clone(),
        created_at: now,
        updated_at: now,
    };
    repo::insert_appeal(&tx, &x).await?;
    let step = AppealAction::Submit.step(None).map_err(refused)?;
    cases::record_step(
        &tx,
        a,
        &case_ref(&x),
        &step,
        serde_json::json!({ "entry": entry.id, "reference": entry.reference }),
    )
    .await?;
    let holder = ClockHolder {
        region_code: x.region_code.to_string(),
        department_id: x.department_id,
    };
    cases::start_clocks(
        &tx,
        &cal,
        kind.case_kind(),
        x.id,
        &holder,
        &[DECIDE_CLOCK],
        today,
    )
    .await?;
    tx.commit().await?;
    get(svc, a, x.id).await
}

async fn visible(c: &impl Conn, a: &Actor, id: Uuid) -> Result<Appeal> {
    repo::get_appeal(c, &Scope::of(a), id)
        .await?
        .ok_or(ServiceError::NotFound)
}

/// An appeal's page.
pub async fn get(svc: &Services, a: &Actor, id: Uuid) -> Result<AppealDetail> {
    let c = svc.store.conn();
    let x = visible(c, a, id).await?;
    let cal = crate::calendar::current(svc).await?;
    let kind = x.kind.case_kind();
    let clocks = cases::clocks(c, &cal, kind, id, today(svc), &[DECIDE_CLOCK]).await?;
    let entry = lianjian_store::credit::get(c, &Scope::system(), x.entry_id)
        .await?
        .map(|e| EntrySummary {
            id: e.id,
            kind: e.kind,
            kind_label: e.kind.label_zh().into(),
            title: e.title.clone(),
            reference: e.reference.clone(),
            occurred_on: e.occurred_on,
            status: e.status,
            status_label: e.status.label_zh().into(),
            repair_from: e.publication.repair_from,
            publish_until: e.publication.until,
        });
    let timeline = cases::timeline(c, kind, id)
        .await?
        .into_iter()
        .map(|e| CaseStepView {
            action_label: AppealAction::parse(&e.action)
                .map_or_else(|_| e.action.clone(), |x| x.label_zh().into()),
            from_status: e
                .from_status
                .as_deref()
                .map(|s| AppealStatus::parse(s).map_or_else(|_| s.into(), |x| x.label_zh().into())),
            to_status: AppealStatus::parse(&e.to_status)
                .map_or_else(|_| e.to_status.clone(), |x| x.label_zh().into()),
            action: e.action,
            reason: e.reason,
            actor: e.actor_display,
            at: e.at,
        })
        .collect();
    let actions = if may_decide(a, &x) && x.status == AppealStatus::Submitted {
        vec![AppealAction::Grant, AppealAction::Reject]
    } else {
        Vec::new()
    };
    Ok(AppealDetail {
        appeal: view(c, &x, clocks).await?,
        entry,
        timeline,
        actions,
    })
}

/// 决定: grants (`grant`) or rejects the appeal, with the reasons. Granted, the entry's status
/// moves (异议成立 → 已撤销, 修复 → 已修复, `ended_on` today) in the same transaction; the
/// decision clock stops; the entity is re-evaluated ([`reevaluate_entity`]).
pub async fn decide(
    svc: &Services,
    a: &Actor,
    id: Uuid,
    grant: bool,
    why: &str,
) -> Result<AppealDetail> {
    let c = svc.store.conn();
    let x = visible(c, a, id).await?;
    if !may_decide(a, &x) {
        return Err(ServiceError::Forbidden);
    }
    let why = reason(why).map_err(|e| ServiceError::field("reason", e))?;
    let action = if grant {
        AppealAction::Grant
    } else {
        AppealAction::Reject
    };
    let step = action
        .step(Some(x.status))
        .map_err(refused)?
        .because(why.clone());
    let today = today(svc);
    let now = lianjian_domain::audit::audit_time(svc.now());
    let mut after = x.clone();
    after.status = step.to;
    after.decision = Some(why);
    after.decided_on = Some(today);
    after.updated_at = now;
    let tx = svc.store.begin().await?;
    if !repo::decide_appeal(&tx, &after).await? {
        return Err(ServiceError::conflict(
            "status",
            format!("{} 刚被他人决定，请刷新", x.code),
            format!("{} was decided meanwhile", x.code),
        ));
    }
    let mut detail = serde_json::json!({ "entry": x.entry_id });
    if grant {
        let to = x.kind.granted_status();
        if !lianjian_store::credit::set_status(
            &tx,
            x.entry_id,
            RecordStatus::Active,
            to,
            Some(today),
            now,
        )
        .await?
        {
            return Err(ServiceError::conflict(
                "status",
                "该信用记录已不在有效状态，不能再予以支持",
                "the entry is no longer active",
            ));
        }
        detail["entry_status"] = serde_json::json!(to.as_str());
    }
    cases::stop_clocks(&tx, x.kind.case_kind(), id, &[], today, action.as_str()).await?;
    cases::record_step(&tx, a, &case_ref(&after), &step, detail).await?;
    if grant {
        reevaluate_entity(svc, &tx, a, x.entity_id, x.kind.label_zh()).await?;
    }
    tx.commit().await?;
    svc.apply_own_changes().await;
    get(svc, a, id).await
}

lianjian_domain::labelled_enum!(queue
    /// The queues of appeals.
    AppealQueue {
        /// 待决定.
        Submitted = "submitted" / "待决定",
        /// 即将超时.
        DueSoon = "due_soon" / "即将超时",
        /// 已超时.
        Overdue = "overdue" / "已超时",
        /// 已决定.
        Decided = "decided" / "已决定",
        /// 全部.
        All = "all" / "全部",
    }
);

/// A queue of appeals within the actor's scope (optionally of one kind or one entity).
pub async fn list(
    svc: &Services,
    a: &Actor,
    queue: AppealQueue,
    kind: Option<AppealKind>,
    entity_id: Option<Uuid>,
    page: PageRequest,
) -> Result<Page<AppealView>> {
    let c = svc.store.conn();
    let cal = crate::calendar::current(svc).await?;
    let today = today(svc);
    let mut q = AppealQuery {
        kind,
        entity_id,
        ..Default::default()
    };
    match queue {
        AppealQueue::Submitted => q.statuses = vec![AppealStatus::Submitted],
        AppealQueue::DueSoon => {
            q.decide_due = Some((
                Some(today),
                cases::yellow_before(&cal, today, DECIDE_CLOCK.warn_within),
            ));
        }
        AppealQueue::Overdue => q.decide_due = Some((None, today)),
        AppealQueue::Decided => q.statuses = vec![AppealStatus::Granted, AppealStatus::Rejected],
        AppealQueue::All => {}
    }
    let p = repo::list_appeals(c, &Scope::of(a), &q, page).await?;
    let mut items = Vec::with_capacity(p.items.len());
    for x in &p.items {
        let clocks =
            cases::clocks(c, &cal, x.kind.case_kind(), x.id, today, &[DECIDE_CLOCK]).await?;
        items.push(view(c, x, clocks).await?);
    }
    Ok(Page {
        items,
        total: p.total,
        page: p.page,
        per_page: p.per_page,
    })
}
