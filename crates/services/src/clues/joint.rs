//! Joint handling of a clue (联合核查, issue 14 items 2 and 4): dispatch to a lead department
//! with cooperating ones; the office's decision on a clue with no clear owner (提请裁定 →
//! 裁定 by 谁主管谁牵头、谁为主谁牵头、谁靠近谁牵头, with its reason, within the 裁定 clock);
//! and verification without multi-headed inspection — the open visits and open clues about
//! the same entity are shown first, a clue joins an open visit (its items added to the
//! checklist) or starts one with trigger "clue" through the visit flow.

use chrono::NaiveDate;
use lianjian_domain::Invalid;
use lianjian_domain::case::reason;
use lianjian_domain::clue::{ClueAction, DECIDE_CLOCK, LeadRule};
use lianjian_domain::scope::{Actor, Scope};
use lianjian_domain::visit::VisitStatus;
use lianjian_store::Conn;
use lianjian_store::clues::{self as repo, Clue};
use lianjian_store::departments::Department;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::{
    ClueDetail, ClueLink, KIND, apply, apply_on, ensure_handler, ensure_office, get, holder,
    refused_by_rule, send, target_department, today, visible,
};
use crate::cases;
use crate::error::Checker;
use crate::{Result, ServiceError, Services};

/// A visit as a clue's page shows it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct VisitBrief {
    pub id: Uuid,
    pub code: String,
    pub trigger_label: String,
    pub status_label: String,
    pub period_start: NaiveDate,
    pub period_end: NaiveDate,
}

/// Open work about a clue's entity: what a verification should join rather than duplicate.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Related {
    pub open_visits: Vec<VisitBrief>,
    pub open_clues: Vec<ClueLink>,
}

fn brief(v: &lianjian_store::visits::VisitRow) -> VisitBrief {
    VisitBrief {
        id: v.id,
        code: v.code.clone(),
        trigger_label: v.trigger.label_zh().into(),
        status_label: v.status.label_zh().into(),
        period_start: v.period_start,
        period_end: v.period_end,
    }
}

/// The visit linked to a clue, if the reader sees it.
pub(super) async fn visit_brief(
    c: &impl Conn,
    a: &Actor,
    id: Option<Uuid>,
) -> Result<Option<VisitBrief>> {
    let Some(id) = id else { return Ok(None) };
    Ok(crate::visit_access::visible(c, a, id)
        .await
        .ok()
        .map(|v| brief(&v)))
}

/// Open visits and other open clues about the clue's entity, as the reader sees them.
pub(super) async fn related(c: &impl Conn, a: &Actor, x: &Clue) -> Result<Option<Related>> {
    let Some(entity) = x.entity_id else {
        return Ok(None);
    };
    if !x.status.is_open() {
        return Ok(None);
    }
    let open_visits = crate::visits::open_visits_to(c, a, entity)
        .await?
        .iter()
        .filter(|v| Some(v.id) != x.visit_id)
        .map(brief)
        .collect();
    let open_clues = repo::open_on_entity(c, &Scope::of(a), entity)
        .await?
        .into_iter()
        .filter(|o| o.id != x.id)
        .map(|o| ClueLink {
            id: o.id,
            code: o.code,
            status_label: o.status.label_zh().into(),
        })
        .collect();
    Ok(Some(Related {
        open_visits,
        open_clues,
    }))
}

async fn cooperating_departments(
    c: &impl Conn,
    x: &Clue,
    lead: &Department,
    ids: &[Uuid],
) -> Result<Vec<Department>> {
    let mut out: Vec<Department> = Vec::new();
    let mut bad = Vec::new();
    for (i, id) in ids.iter().enumerate() {
        if *id == lead.id || out.iter().any(|d| d.id == *id) {
            continue;
        }
        match target_department(c, x, *id).await {
            Ok(d) => out.push(d),
            Err(ServiceError::Invalid(errs)) => bad.extend(errs.into_iter().map(|mut e| {
                e.field = format!("cooperating_ids[{i}]");
                e
            })),
            Err(e) => return Err(e),
        }
    }
    if bad.is_empty() {
        Ok(out)
    } else {
        Err(ServiceError::Invalid(bad))
    }
}

/// 派单 to a lead department with cooperating ones (联合核查): all see the clue; the lead
/// signs, handles and finishes it.
pub async fn dispatch_jointly(
    svc: &Services,
    a: &Actor,
    id: Uuid,
    lead_id: Uuid,
    cooperating_ids: &[Uuid],
) -> Result<ClueDetail> {
    let c = svc.store.conn();
    let x = visible(c, a, id).await?;
    ensure_office(a, &x)?;
    let step = ClueAction::Dispatch
        .step(x.status)
        .map_err(refused_by_rule)?;
    let lead = target_department(c, &x, lead_id).await?;
    let coop = cooperating_departments(c, &x, &lead, cooperating_ids).await?;
    send(
        svc,
        a,
        x,
        lead,
        coop,
        step,
        today(svc),
        serde_json::Value::Null,
    )
    .await
}

/// 提请裁定: the office finds no clear owner (or departments dispute it): the clue waits for
/// the office's decision within the 裁定 clock; every other clock stops.
pub async fn dispute(svc: &Services, a: &Actor, id: Uuid, why: &str) -> Result<ClueDetail> {
    let c = svc.store.conn();
    let x = visible(c, a, id).await?;
    ensure_office(a, &x)?;
    let why = reason(why).map_err(|e| ServiceError::field("reason", e))?;
    let step = ClueAction::Dispute
        .step(x.status)
        .map_err(refused_by_rule)?
        .because(why);
    let cal = crate::calendar::current(svc).await?;
    let today = today(svc);
    let mut after = x.clone();
    after.status = step.to;
    let due = cal.add_working_days(today, DECIDE_CLOCK.working_days);
    // The 裁定 clock is the office's own: no department must act.
    let office = holder(&x, None);
    apply(
        svc,
        a,
        &x,
        after,
        step,
        serde_json::json!({ "decide_due": due }),
        |tx| async move {
            cases::stop_clocks(&tx, KIND, id, &[], today, ClueAction::Dispute.as_str()).await?;
            cases::start_clocks(&tx, &cal, KIND, id, &office, &[DECIDE_CLOCK], today).await?;
            Ok(tx)
        },
    )
    .await
}

/// The office's decision (裁定) on a disputed clue.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DecisionInput {
    /// `competent` 谁主管谁牵头, `principal` 谁为主谁牵头, `nearest` 谁靠近谁牵头.
    pub rule: String,
    pub lead_id: String,
    #[serde(default)]
    pub cooperating_ids: Vec<String>,
    /// Why this department leads (2–500 characters), shown to every department handling it.
    pub reason: String,
}

/// 裁定: the office names the lead (and cooperating departments) by one of the three rules,
/// with its reason; the clue is dispatched and its clocks start.
pub async fn decide(
    svc: &Services,
    a: &Actor,
    id: Uuid,
    input: &DecisionInput,
) -> Result<ClueDetail> {
    let c = svc.store.conn();
    let x = visible(c, a, id).await?;
    ensure_office(a, &x)?;
    let mut ch = Checker::default();
    let rule = ch.check("rule", LeadRule::parse(&input.rule));
    let why = ch.check("reason", reason(&input.reason));
    let lead_id =
        ch.check(
            "lead_id",
            input.lead_id.trim().parse::<Uuid>().map_err(|_| {
                Invalid::new("required", "请选择牵头部门", "choose the lead department")
            }),
        );
    let mut coop_ids = Vec::new();
    for (i, s) in input.cooperating_ids.iter().enumerate() {
        if let Some(id) = ch.check(
            &format!("cooperating_ids[{i}]"),
            s.trim()
                .parse::<Uuid>()
                .map_err(|_| Invalid::new("uuid", "配合部门编号不正确", "not a department id")),
        ) {
            coop_ids.push(id);
        }
    }
    ch.finish()?;
    let (rule, why) = (rule.expect("checked"), why.expect("checked"));
    let step = ClueAction::Decide
        .step(x.status)
        .map_err(refused_by_rule)?
        .because(why);
    let lead = target_department(c, &x, lead_id.expect("checked")).await?;
    let coop = cooperating_departments(c, &x, &lead, &coop_ids).await?;
    send(
        svc,
        a,
        x,
        lead,
        coop,
        step,
        today(svc),
        serde_json::json!({ "rule": rule.as_str() }),
    )
    .await
}

/// What the clue's page offers to start a verification visit.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VerifyInput {
    /// Pool members (at least two officers), as for any ad-hoc visit.
    pub inspector_ids: Vec<Uuid>,
    /// YYYY-MM-DD.
    pub period_start: String,
    pub period_end: String,
}

fn matter(x: &Clue) -> String {
    let gist: String = x.content.chars().take(60).collect();
    format!("问题线索 {}：{gist}", x.code)
}

async fn verifiable(c: &impl Conn, a: &Actor, x: &Clue) -> Result<(Uuid, Vec<Uuid>)> {
    ensure_handler(c, a, x).await?;
    // Visits are created and changed by administrators and the office, not inspectors.
    if a.role == lianjian_domain::account::Role::Inspector {
        return Err(ServiceError::Forbidden);
    }
    let Some(entity) = x.entity_id else {
        return Err(ServiceError::refused(
            "线索未关联名录库中的主体，不能发起检查",
            "the clue names no entity of the directory",
        ));
    };
    if x.visit_id.is_some() {
        return Err(ServiceError::conflict(
            "visit_id",
            "线索已有核查检查",
            "the clue already has a verification visit",
        ));
    }
    let items = repo::items_of(c, x.id).await?;
    if items.is_empty() {
        return Err(ServiceError::field(
            "item_ids",
            Invalid::new(
                "required",
                "线索未关联监管事项，请先补充涉及的事项",
                "the clue involves no item yet",
            ),
        ));
    }
    Ok((entity, items))
}

/// 并入检查: the clue joins an open visit to its entity; its items join the checklist.
pub async fn join_visit(svc: &Services, a: &Actor, id: Uuid, visit_id: Uuid) -> Result<ClueDetail> {
    let c = svc.store.conn();
    let x = visible(c, a, id).await?;
    let (entity, items) = verifiable(c, a, &x).await?;
    let step = ClueAction::JoinVisit
        .step(x.status)
        .map_err(refused_by_rule)?;
    let tx = svc.store.begin().await?;
    let v = crate::visits::take_in(&tx, a, visit_id, entity, &items, &matter(&x)).await?;
    let mut after = x.clone();
    after.visit_id = Some(v.id);
    apply_on(
        &tx,
        a,
        &x,
        &after,
        &step,
        serde_json::json!({ "visit_id": v.id, "visit_code": v.code }),
    )
    .await?;
    tx.commit().await?;
    get(svc, a, id).await
}

/// 发起核查: a visit with trigger "clue" to the clue's entity checking its items, created
/// through the visit flow, in one transaction with the clue's step.
pub async fn verify(
    svc: &Services,
    a: &Actor,
    id: Uuid,
    input: &VerifyInput,
) -> Result<ClueDetail> {
    let c = svc.store.conn();
    let x = visible(c, a, id).await?;
    let (entity, items) = verifiable(c, a, &x).await?;
    let step = ClueAction::Verify.step(x.status).map_err(refused_by_rule)?;
    let usci = lianjian_store::entities::get(c, entity)
        .await?
        .map(|e| e.usci)
        .unwrap_or_default();
    let spec = crate::visits::AdHocSpec {
        usci,
        item_ids: items,
        trigger: lianjian_domain::visit::VisitTrigger::Clue.as_str().into(),
        trigger_note: matter(&x),
        inspector_ids: input.inspector_ids.clone(),
        period_start: input.period_start.clone(),
        period_end: input.period_end.clone(),
    };
    let actor = a.clone();
    crate::visits::create_ad_hoc_with(svc, a, &spec, |tx, v| async move {
        debug_assert_eq!(v.status, VisitStatus::Scheduled);
        let mut after = x.clone();
        after.visit_id = Some(v.id);
        apply_on(
            &tx,
            &actor,
            &x,
            &after,
            &step,
            serde_json::json!({ "visit_id": v.id, "visit_code": v.code }),
        )
        .await?;
        Ok(tx)
    })
    .await?;
    get(svc, a, id).await
}

/// A pool member offered for a verification visit (the console's form; not an API schema).
pub use crate::inspectors::TeamChoice as PoolMember;

/// The active pool members of the clue's lead and cooperating departments, as the actor sees
/// them: who a verification visit can send (the form's choices; the visit flow checks again).
pub async fn verification_pool(svc: &Services, a: &Actor, id: Uuid) -> Result<Vec<PoolMember>> {
    let c = svc.store.conn();
    let x = visible(c, a, id).await?;
    let mut depts: Vec<Uuid> = x.department_id.into_iter().collect();
    depts.extend(repo::cooperating_of(c, id).await?);
    crate::inspectors::team_choices(svc, a, &depts).await
}
