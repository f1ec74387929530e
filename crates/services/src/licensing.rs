//! 审管衔接 (approval–supervision hand-over, issue 17 item 2; 鲁 task 5 "强化审管协同联动";
//! 国办发〔2023〕1号 (十二)). An approval result (a licence granted, changed or revoked) arrives
//! from the approval bureau — pushed by API ([`push`]) or in a spreadsheet
//! (`exchange::licensing`) — and is offered to the supervising department as a 双告知 claim
//! (`claims` with source `licence`): the department of the item's lead line nearest the
//! licensee. It must be claimed within [`CLAIM_CLOCK`] working days; a rejection, or the
//! deadline passing ([`escalate_overdue`]), sends it to the coordination office exactly as a
//! 双告知 claim goes there, and the office assigns it. The claims are decided through the claim
//! service (`directory::decide_claim` / `assign_claim`), which calls [`follow_claim`] so the
//! hand-over's case (status, clock, timeline) moves in the same transaction.
//!
//! Supervision results that bear on a licence (a revocation proposal after a visit …) are fed
//! back to the bureau ([`feed_back`]); the bureau's system reads them ([`feedback_list`]) and
//! acknowledges each ([`acknowledge`]).

use chrono::{NaiveDate, Utc};
use lianjian_domain::Invalid;
use lianjian_domain::account::Role;
use lianjian_domain::case::{CaseKind, Step};
use lianjian_domain::claim::{ClaimSource, ClaimStatus};
use lianjian_domain::licensing::{self as rules, FeedbackKind, HandoverStatus, LicenceInput};
use lianjian_domain::scope::{Actor, Scope};
use lianjian_domain::visit::beijing_date;
use lianjian_store::cases::{CaseEvent, ClockHolder};
use lianjian_store::claims::{self, Claim};
use lianjian_store::licensing::{self as repo};
use lianjian_store::{Conn, Page, PageRequest, departments, entities, items};
use serde::Serialize;
use uuid::Uuid;

use crate::cases::{self, CaseRef, ClockView};
use crate::trail::{Record, record};
use crate::{FieldError, Result, ServiceError, Services};

pub use crate::cases::CaseStepView;
pub use lianjian_domain::licensing::CLAIM_CLOCK;
pub use lianjian_store::claims::Claim as HandoverClaim;
pub use lianjian_store::licensing::{Feedback, Handover, HandoverQuery};

const KIND: CaseKind = CaseKind::LicenceHandover;

/// The approval bureau's line (行政审批和政务信息管理局).
pub const BUREAU_LINE: &str = "administrative_approval";

/// Who may hand approval results over: the approval bureau's administrators, the coordination
/// office and system administrators.
pub fn may_push(a: &Actor) -> bool {
    match a.role {
        Role::SystemAdmin | Role::CoordinationOffice => true,
        Role::DepartmentAdmin => a.department_line == BUREAU_LINE,
        _ => false,
    }
}

/// Who sees hand-overs and feedback: staff who handle or oversee them (not inspectors).
pub fn may_read(a: &Actor) -> bool {
    !matches!(a.role, Role::Inspector)
}

/// Who may feed a supervision result back to the bureau: the supervising department's
/// administrators and the coordination office.
pub fn may_feed_back(a: &Actor) -> bool {
    matches!(
        a.role,
        Role::SystemAdmin | Role::CoordinationOffice | Role::DepartmentAdmin
    ) && a.department_line != BUREAU_LINE
}

fn today(svc: &Services) -> NaiveDate {
    beijing_date(svc.now())
}

fn case_ref(h: &Handover) -> (CaseKind, Uuid, String, String, Option<Uuid>) {
    (
        KIND,
        h.id,
        h.licence_no.clone(),
        h.region_code.to_string(),
        h.department_id,
    )
}

async fn step(
    tx: &impl Conn,
    actor: &Actor,
    h: &Handover,
    s: &Step<HandoverStatus>,
    detail: serde_json::Value,
) -> Result<CaseEvent> {
    let (kind, id, code, region, dept) = case_ref(h);
    cases::record_step(
        tx,
        actor,
        &CaseRef {
            kind,
            id,
            code: &code,
            region: &region,
            department_id: dept,
        },
        s,
        detail,
    )
    .await
}

/// What a push did.
#[derive(Debug, Clone, Serialize)]
pub struct PushOutcome {
    pub id: Uuid,
    /// `created`, `updated` or `unchanged`.
    pub outcome: &'static str,
    pub status: HandoverStatus,
    pub department_id: Option<Uuid>,
}

/// A hand-over resolved against the database, ready to save.
#[derive(Debug, Clone)]
pub(crate) struct Resolved {
    pub handover: Handover,
    /// The supervising department and its name (none: no department of the item's line
    /// covers the licensee, the office decides).
    pub department: Option<(Uuid, String)>,
    pub item_name: String,
}

fn invalid(errs: Vec<(&'static str, Invalid)>) -> ServiceError {
    ServiceError::Invalid(
        errs.into_iter()
            .map(|(f, e)| FieldError::new(f, e))
            .collect(),
    )
}

/// Parses an approval result and resolves its licensee (in the directory, within the actor's
/// scope), its item and the supervising department.
pub(crate) async fn resolve(
    svc: &Services,
    actor: &Actor,
    input: &LicenceInput,
    channel: &str,
) -> Result<Resolved> {
    if !may_push(actor) {
        return Err(ServiceError::Forbidden);
    }
    let p = rules::parse(input, today(svc)).map_err(invalid)?;
    let c = svc.store.conn();
    let mut errs = Vec::new();
    let full = actor.full_scope();
    let entity = entities::by_usci(c, p.usci.as_str()).await?.filter(|e| {
        full.region
            .as_ref()
            .is_none_or(|r| e.region_code.is_within(r))
    });
    if entity.is_none() {
        errs.push((
            "usci",
            Invalid::new(
                "unknown_entity",
                format!(
                    "统一社会信用代码“{}”的主体不在您管理范围内的监管对象名录中",
                    p.usci.as_str()
                ),
                format!(
                    "no entity with credit code {} in your scope",
                    p.usci.as_str()
                ),
            ),
        ));
    }
    let item = items::by_code(c, &p.item_code).await?;
    if item.is_none() {
        errs.push((
            "item_code",
            Invalid::new(
                "unknown_item",
                format!("监管事项编码“{}”不存在", p.item_code),
                format!("no item with code {}", p.item_code),
            ),
        ));
    }
    if !errs.is_empty() {
        return Err(invalid(errs));
    }
    let (entity, item) = (entity.expect("checked"), item.expect("checked"));
    let department = match departments::get(c, item.lead_department_id).await? {
        Some(lead) => crate::departments::nearest_of_line(c, &lead.line, &entity.region_code)
            .await?
            .map(|d| (d.id, d.name)),
        None => None,
    };
    let now = lianjian_domain::audit::audit_time(svc.now());
    Ok(Resolved {
        handover: Handover {
            id: Uuid::now_v7(),
            licence_no: p.licence_no,
            event: p.event,
            entity_id: entity.id,
            usci: entity.usci.clone(),
            item_id: item.id,
            licence_name: p.licence_name,
            decided_on: p.decided_on,
            bureau: p.bureau,
            channel: channel.to_string(),
            region_code: entity.region_code.clone(),
            status: if department.is_some() {
                HandoverStatus::Pending
            } else {
                HandoverStatus::Escalated
            },
            department_id: department.as_ref().map(|d| d.0),
            created_by: actor.username.clone(),
            created_at: now,
            updated_at: now,
        },
        department,
        item_name: item.name,
    })
}

/// Saves one resolved hand-over on `tx`: a new one is offered (claim, clock, first step); one
/// already there (same licence number and event) has its content updated, or stays as it is
/// when the push repeats it — a push is idempotent and never offers the licence twice.
pub(crate) async fn save_on(
    tx: &impl Conn,
    svc: &Services,
    actor: &Actor,
    r: &Resolved,
) -> Result<PushOutcome> {
    let h = &r.handover;
    if let Some(old) = repo::by_keys(tx, &[(h.licence_no.clone(), h.event)])
        .await?
        .into_iter()
        .next()
    {
        let out = |outcome| PushOutcome {
            id: old.id,
            outcome,
            status: old.status,
            department_id: old.department_id,
        };
        if old.same_content(h) {
            return Ok(out("unchanged"));
        }
        if old.entity_id != h.entity_id || old.item_id != h.item_id {
            return Err(ServiceError::conflict(
                "licence_no",
                format!(
                    "许可证号“{}”的{}已交接给其他主体或事项，不能改为本条的主体或事项",
                    h.licence_no,
                    h.event.label_zh()
                ),
                "this licence event was handed over for another entity or item",
            ));
        }
        let mut new = old.clone();
        new.licence_name = h.licence_name.clone();
        new.decided_on = h.decided_on;
        new.bureau = h.bureau.clone();
        new.updated_at = Utc::now();
        repo::update_content(tx, &new).await?;
        let s = Step::staying("update", old.status, true)
            .map_err(|e| ServiceError::field("status", e))?;
        step(
            tx,
            actor,
            &new,
            &s,
            serde_json::json!({
                "before": {"licence_name": old.licence_name, "decided_on": old.decided_on, "bureau": old.bureau},
                "after": {"licence_name": new.licence_name, "decided_on": new.decided_on, "bureau": new.bureau},
            }),
        )
        .await?;
        return Ok(out("updated"));
    }
    repo::insert(tx, h).await?;
    let why = format!(
        "审管衔接：{}（{}，许可证号 {}）",
        h.licence_name,
        h.event.label_zh(),
        h.licence_no
    );
    let cl = Claim {
        id: Uuid::now_v7(),
        entity_id: h.entity_id,
        region_code: h.region_code.clone(),
        department_id: h.department_id,
        status: if h.department_id.is_some() {
            ClaimStatus::Pending
        } else {
            ClaimStatus::Escalated
        },
        matched_by: if h.department_id.is_some() {
            why
        } else {
            format!("{why}；无该事项条线的主管部门")
        },
        reason: None,
        created_at: h.created_at,
        decided_at: None,
        decided_by: None,
        source: ClaimSource::Licence,
        source_id: Some(h.id),
    };
    claims::insert(tx, &cl).await?;
    // The same audit entries as a 双告知 offer (claim.notify / claim.escalate).
    record(
        tx,
        actor,
        Record::new(
            if cl.department_id.is_some() {
                "claim.notify"
            } else {
                "claim.escalate"
            },
            "entity",
            cl.entity_id,
        )
        .at(&cl.region_code, cl.department_id)
        .after(&cl),
    )
    .await?;
    step(
        tx,
        actor,
        h,
        &Step::open("push", h.status),
        serde_json::json!({
            "event": h.event,
            "channel": h.channel,
            "department": r.department.as_ref().map(|d| &d.1),
            "item": r.item_name,
        }),
    )
    .await?;
    let cal = crate::calendar::current(svc).await?;
    cases::start_clocks(
        tx,
        &cal,
        KIND,
        h.id,
        &ClockHolder {
            region_code: h.region_code.to_string(),
            department_id: h.department_id,
        },
        &[CLAIM_CLOCK],
        beijing_date(h.created_at),
    )
    .await?;
    Ok(PushOutcome {
        id: h.id,
        outcome: "created",
        status: h.status,
        department_id: h.department_id,
    })
}

/// Hands resolved results over in one transaction, each exactly as a push (the xlsx sheet,
/// `exchange::licensing`): (created, updated).
pub(crate) async fn save_many(
    svc: &Services,
    actor: &Actor,
    rows: Vec<Resolved>,
) -> Result<(u64, u64)> {
    let tx = svc.store.begin().await?;
    let (mut created, mut updated) = (0, 0);
    for r in &rows {
        match save_on(&tx, svc, actor, r).await?.outcome {
            "created" => created += 1,
            "updated" => updated += 1,
            _ => {}
        }
    }
    tx.commit().await?;
    Ok((created, updated))
}

/// The approval bureau hands one approval result over (API push; idempotent by licence number
/// and event).
pub async fn push(svc: &Services, actor: &Actor, input: &LicenceInput) -> Result<PushOutcome> {
    let r = resolve(svc, actor, input, "api").await?;
    let tx = svc.store.begin().await?;
    let out = save_on(&tx, svc, actor, &r).await?;
    tx.commit().await?;
    Ok(out)
}

/// Moves a hand-over along with a decision on its claim, on the claim service's transaction
/// (`directory::decide_claim` / `assign_claim`): claimed (clock stopped), escalated to the
/// coordination office (`escalated`: the claim that took it there), or assigned by the office
/// (clock stopped). Claims of other sources are not this module's.
pub(crate) async fn follow_claim(
    tx: &impl Conn,
    svc: &Services,
    actor: &Actor,
    cl: &Claim,
    to: ClaimStatus,
    department_id: Option<Uuid>,
    escalated: Option<&Claim>,
) -> Result<()> {
    let (ClaimSource::Licence, Some(id)) = (cl.source, cl.source_id) else {
        return Ok(());
    };
    let h = repo::get(tx, id).await?.ok_or(ServiceError::NotFound)?;
    let (action, target, dept, reason) = match (to, escalated) {
        (ClaimStatus::Accepted, _) => ("claim", HandoverStatus::Claimed, department_id, None),
        (ClaimStatus::Rejected, Some(e)) => (
            "escalate",
            HandoverStatus::Escalated,
            None,
            Some(e.matched_by.clone()),
        ),
        (ClaimStatus::Assigned, _) => ("assign", HandoverStatus::Assigned, department_id, None),
        _ => return Ok(()),
    };
    let mut s =
        Step::moving(action, h.status, target).map_err(|e| ServiceError::field("status", e))?;
    if let Some(r) = reason {
        s = s.because(r);
    }
    if !repo::set_status(tx, h.id, h.status, target, dept).await? {
        return Err(ServiceError::NotFound);
    }
    let mut after = h.clone();
    after.status = target;
    after.department_id = dept;
    let dept_name = match dept {
        Some(d) => departments::get(tx, d).await?.map(|d| d.name),
        None => None,
    };
    step(
        tx,
        actor,
        &after,
        &s,
        serde_json::json!({ "claim": cl.id, "department": dept_name }),
    )
    .await?;
    if target != HandoverStatus::Escalated {
        cases::stop_clocks(tx, KIND, h.id, &[CLAIM_CLOCK.name], today(svc), action).await?;
    }
    Ok(())
}

/// The server's pass: every hand-over still unclaimed after its claiming deadline goes to the
/// coordination office as a rejected 双告知 claim does — its claim expires (逾期未认领) and an
/// escalated claim takes its place — one step each, recorded as `system`. The clock keeps
/// running until the office assigns it (and then stops late). Returns how many.
pub async fn escalate_overdue(svc: &Services) -> Result<usize> {
    let c = svc.store.conn();
    let actor = cases::server_actor();
    let mut n = 0;
    for id in lianjian_store::cases::running_past_due(c, KIND, CLAIM_CLOCK.name, today(svc)).await?
    {
        let Some(h) = repo::get(c, id).await? else {
            continue;
        };
        if h.status != HandoverStatus::Pending {
            continue;
        }
        let tx = svc.store.begin().await?;
        let open: Vec<Claim> = claims::of_source(&tx, ClaimSource::Licence, h.id)
            .await?
            .into_iter()
            .filter(|x| x.status == ClaimStatus::Pending)
            .collect();
        let now = Utc::now();
        let mut esc = None;
        for cl in &open {
            claims::decide(
                &tx,
                cl.id,
                ClaimStatus::Expired,
                Some("逾期未认领"),
                &actor.username,
                now,
                None,
            )
            .await?;
            esc = Some(cl.escalation("逾期未认领，转协调办指定".into(), now));
        }
        let Some(esc) = esc else {
            continue;
        };
        claims::insert(&tx, &esc).await?;
        record(
            &tx,
            &actor,
            Record::new("claim.escalate", "entity", esc.entity_id)
                .at(&esc.region_code, None)
                .after(&esc),
        )
        .await?;
        if !repo::set_status(
            &tx,
            h.id,
            HandoverStatus::Pending,
            HandoverStatus::Escalated,
            None,
        )
        .await?
        {
            continue;
        }
        let mut after = h.clone();
        after.status = HandoverStatus::Escalated;
        after.department_id = None;
        let s = Step::moving("expire", h.status, HandoverStatus::Escalated)
            .map_err(|e| ServiceError::field("status", e))?
            .because("超过认领期限未认领".into());
        step(
            &tx,
            &actor,
            &after,
            &s,
            serde_json::json!({ "department_id": h.department_id }),
        )
        .await?;
        tx.commit().await?;
        n += 1;
    }
    Ok(n)
}

/// The Chinese name of a hand-over's step.
pub fn action_label(action: &str) -> Option<&'static str> {
    Some(match action {
        "push" => "审批结果推送",
        "update" => "审批结果更正",
        "claim" => "部门认领",
        "escalate" => "退回，转协调办",
        "expire" => "逾期未认领，转协调办",
        "assign" => "协调办指定监管部门",
        _ => return None,
    })
}

/// A hand-over as lists and its page show it.
#[derive(Debug, Clone, Serialize)]
pub struct HandoverView {
    pub handover: Handover,
    pub entity_name: String,
    pub item_name: String,
    pub department_name: Option<String>,
    pub clocks: Vec<ClockView>,
}

async fn views(svc: &Services, items: Vec<Handover>) -> Result<Vec<HandoverView>> {
    let c = svc.store.conn();
    let cal = crate::calendar::current(svc).await?;
    let ids: Vec<Uuid> = items.iter().map(|h| h.id).collect();
    let mut clocks = cases::clocks_of_many(c, &cal, KIND, &ids, today(svc), &[CLAIM_CLOCK]).await?;
    let dept_ids: Vec<Uuid> = items.iter().filter_map(|h| h.department_id).collect();
    let depts = departments::by_ids(c, &dept_ids).await?;
    let ents: std::collections::HashMap<Uuid, String> =
        entities::get_many(c, &items.iter().map(|h| h.entity_id).collect::<Vec<_>>())
            .await?
            .into_iter()
            .map(|e| (e.id, e.name))
            .collect();
    let mut out = Vec::with_capacity(items.len());
    let mut item_names: std::collections::HashMap<Uuid, String> = Default::default();
    for h in items {
        if !item_names.contains_key(&h.item_id) {
            let n = items::get(c, h.item_id)
                .await?
                .map(|i| i.name)
                .unwrap_or_default();
            item_names.insert(h.item_id, n);
        }
        out.push(HandoverView {
            entity_name: ents.get(&h.entity_id).cloned().unwrap_or_default(),
            item_name: item_names[&h.item_id].clone(),
            department_name: h
                .department_id
                .and_then(|d| depts.get(&d).map(|d| d.name.clone())),
            clocks: clocks.remove(&h.id).unwrap_or_default(),
            handover: h,
        });
    }
    Ok(out)
}

/// Hand-overs in the actor's scope (newest first), with their clocks.
pub async fn list(
    svc: &Services,
    actor: &Actor,
    q: &HandoverQuery,
    page: PageRequest,
) -> Result<Page<HandoverView>> {
    if !may_read(actor) {
        return Err(ServiceError::Forbidden);
    }
    let p = repo::list(svc.store.conn(), &Scope::of(actor), q, page).await?;
    Ok(Page {
        items: views(svc, p.items).await?,
        total: p.total,
        page: p.page,
        per_page: p.per_page,
    })
}

/// A hand-over's page: the hand-over, its claims (who was offered it and what each answered),
/// its timeline and the feedback given on it.
#[derive(Debug, Clone, Serialize)]
pub struct HandoverDetail {
    pub view: HandoverView,
    pub claims: Vec<(Claim, Option<String>)>,
    pub timeline: Vec<CaseStepView>,
    pub feedback: Vec<Feedback>,
    /// The claim the actor may decide now (its department's pending claim, or for the office
    /// the escalated one).
    pub actionable_claim: Option<Uuid>,
}

pub async fn get(svc: &Services, actor: &Actor, id: Uuid) -> Result<HandoverDetail> {
    if !may_read(actor) {
        return Err(ServiceError::Forbidden);
    }
    let c = svc.store.conn();
    let h = repo::get_scoped(c, &Scope::of(actor), id)
        .await?
        .ok_or(ServiceError::NotFound)?;
    let cls = claims::of_source(c, ClaimSource::Licence, id).await?;
    let depts = departments::by_ids(
        c,
        &cls.iter()
            .filter_map(|x| x.department_id)
            .collect::<Vec<_>>(),
    )
    .await?;
    let actionable_claim = cls
        .iter()
        .find(|x| match (x.status, actor.role) {
            (ClaimStatus::Pending, Role::DepartmentAdmin) => {
                x.department_id == Some(actor.department_id)
            }
            (ClaimStatus::Pending, Role::SystemAdmin) => true,
            (ClaimStatus::Escalated, Role::CoordinationOffice | Role::SystemAdmin) => true,
            _ => false,
        })
        .map(|x| x.id);
    let claims = cls
        .into_iter()
        .map(|x| {
            let n = x
                .department_id
                .and_then(|d| depts.get(&d).map(|d| d.name.clone()));
            (x, n)
        })
        .collect();
    let feedback = repo::feedback_list(
        c,
        &Scope::of(actor),
        false,
        Some(id),
        PageRequest::new(Some(1), Some(100)),
    )
    .await?
    .items;
    Ok(HandoverDetail {
        view: views(svc, vec![h]).await?.remove(0),
        claims,
        timeline: cases::timeline(c, KIND, id)
            .await?
            .into_iter()
            .map(|e| CaseStepView::of::<HandoverStatus>(e, action_label))
            .collect(),
        feedback,
        actionable_claim,
    })
}

/// A supervision result fed back to the approval bureau.
#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::ToSchema)]
#[schema(as = LicenceFeedbackInput)]
pub struct FeedbackInput {
    /// `revocation`, `suspension`, `change`, `notice` or their Chinese labels.
    #[serde(default)]
    pub kind: String,
    /// What was found and what is proposed (10–2000 characters).
    #[serde(default)]
    pub content: String,
    /// The visit whose result bears on the licence (optional; must concern the licensee).
    #[serde(default)]
    pub visit_id: Option<String>,
}

/// Feeds a supervision result on a hand-over's licence back to the bureau (a revocation
/// proposal from a visit result …): the supervising department (the hand-over's) or the
/// coordination office; audited as `licensing.feedback`.
pub async fn feed_back(
    svc: &Services,
    actor: &Actor,
    handover_id: Uuid,
    input: &FeedbackInput,
) -> Result<Feedback> {
    if !may_feed_back(actor) || actor.role.is_read_only() {
        return Err(ServiceError::Forbidden);
    }
    let c = svc.store.conn();
    let h = repo::get_scoped(c, &Scope::of(actor), handover_id)
        .await?
        .ok_or(ServiceError::NotFound)?;
    if actor.role == Role::DepartmentAdmin && h.department_id != Some(actor.department_id) {
        // Only the supervising department (or the office) speaks for supervision of it.
        return Err(ServiceError::Forbidden);
    }
    let mut errs = Vec::new();
    let kind = FeedbackKind::parse(input.kind.trim())
        .map_err(|e| errs.push(("kind", e)))
        .ok();
    let content =
        lianjian_domain::error::bounded_text(&input.content, 10, 2000, "反馈内容", "content")
            .map_err(|e| errs.push(("content", e)))
            .ok();
    let mut visit_id = None;
    if let Some(v) = input
        .visit_id
        .as_deref()
        .map(str::trim)
        .filter(|v| !v.is_empty())
    {
        let found = match Uuid::parse_str(v) {
            Ok(id) => lianjian_store::visits::get_visit_scoped(c, &Scope::of(actor), id)
                .await?
                .filter(|x| x.entity_id == h.entity_id),
            Err(_) => None,
        };
        match found {
            Some(x) => visit_id = Some(x.id),
            None => errs.push((
                "visit_id",
                Invalid::new(
                    "unknown_visit",
                    format!("检查任务“{v}”不存在或不是对该许可持有人的检查"),
                    format!("visit {v} does not exist or is not of this licensee"),
                ),
            )),
        }
    }
    if !errs.is_empty() {
        return Err(invalid(errs));
    }
    let f = Feedback {
        id: Uuid::now_v7(),
        licence_event_id: h.id,
        licence_no: h.licence_no.clone(),
        kind: kind.expect("checked"),
        content: content.expect("checked"),
        visit_id,
        department_id: actor.department_id,
        region_code: h.region_code.clone(),
        created_by: actor.username.clone(),
        created_at: lianjian_domain::audit::audit_time(Utc::now()),
        read_at: None,
    };
    let tx = svc.store.begin().await?;
    repo::insert_feedback(&tx, &f).await?;
    record(
        &tx,
        actor,
        Record::new("licensing.feedback", "licence_event", h.id)
            .at(&h.region_code, Some(actor.department_id))
            .after(&f),
    )
    .await?;
    tx.commit().await?;
    Ok(f)
}

/// Feedback in the actor's scope, newest first (`unread`: not yet acknowledged by the bureau).
pub async fn feedback_list(
    svc: &Services,
    actor: &Actor,
    unread: bool,
    page: PageRequest,
) -> Result<Page<Feedback>> {
    if !may_read(actor) {
        return Err(ServiceError::Forbidden);
    }
    Ok(repo::feedback_list(svc.store.conn(), &Scope::of(actor), unread, None, page).await?)
}

/// The bureau's system acknowledges a feedback record (read receipt; the first one counts).
pub async fn acknowledge(svc: &Services, actor: &Actor, id: Uuid) -> Result<Feedback> {
    if !may_push(actor) || actor.role.is_read_only() {
        return Err(ServiceError::Forbidden);
    }
    let c = svc.store.conn();
    let f = repo::get_feedback(c, id)
        .await?
        .filter(|f| {
            actor
                .full_scope()
                .region
                .as_ref()
                .is_none_or(|r| f.region_code.is_within(r))
        })
        .ok_or(ServiceError::NotFound)?;
    let tx = svc.store.begin().await?;
    let at = lianjian_domain::audit::audit_time(Utc::now());
    if repo::mark_feedback_read(&tx, id, at).await? {
        record(
            &tx,
            actor,
            Record::new(
                "licensing.feedback_read",
                "licence_event",
                f.licence_event_id,
            )
            .at(&f.region_code, Some(f.department_id))
            .after(&serde_json::json!({ "feedback": id })),
        )
        .await?;
    }
    tx.commit().await?;
    Ok(repo::get_feedback(c, id)
        .await?
        .ok_or(ServiceError::NotFound)?)
}
