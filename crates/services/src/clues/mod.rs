//! Joint clue handling (问题线索联合处置, 国办发〔2023〕1号 (十), 鲁政办发〔2023〕14号 task 13):
//! intake of a clue, dispatch (派单/分办) by the coordination office, signing (签收), return
//! with a reason (退回), reassignment (改派), extension with the office's approval (延期) and
//! finishing (办结) — each one step of the shared case mechanism ([`crate::cases`]): an event
//! and an audit entry in one transaction, clocks in working days started at dispatch.
//!
//! Who may: the office of the clue's region dispatches, reassigns and decides extensions
//! ([`may_dispatch`]); the handling department's administrators and inspectors sign, return,
//! ask for more time and finish ([`may_handle`]); staff who may register clues are in
//! [`may_register`]. The complainant's name and phone are shown only to handling staff
//! ([`may_see_complainant`]), masked for everyone else, and never written to the audit log.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, Utc};
use lianjian_domain::Invalid;
use lianjian_domain::account::Role;
use lianjian_domain::calendar::WorkingDayCalendar;
use lianjian_domain::case::{CaseKind, Light, Step, reason};
use lianjian_domain::clue::{
    self as rules, ClueAction, ClueKind, ClueSource, ClueStatus, DECIDE_CLOCK, FINISH_CLOCK,
    Finding, MAX_EXTENSION_DAYS, RETURN_CLOCK, SIGN_CLOCK, Satisfaction, Urgency,
};
use lianjian_domain::region::RegionCode;
use lianjian_domain::scope::{Actor, Scope};
use lianjian_domain::visit::beijing_date;
pub use lianjian_store::clues::ClueSort;
use lianjian_store::clues::{self as repo, Clue, ClueQuery};
use lianjian_store::departments::Department;
use lianjian_store::{Conn, Page, PageRequest};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::cases::{self, CaseRef, ClockView};
use crate::error::Checker;
use crate::visit_access::acts_for;
use crate::{Result, ServiceError, Services};

pub mod batch;
pub mod hotline;
pub mod joint;
pub mod open311;
pub mod oversight;
pub mod portal;
pub mod reports;
pub mod routing;

const KIND: CaseKind = CaseKind::Clue;

/// Every clock a clue may run, for their labels: the dispatch clocks and the office's 裁定.
const ALL_CLOCKS: [lianjian_domain::case::ClockSpec; 4] =
    [SIGN_CLOCK, RETURN_CLOCK, FINISH_CLOCK, DECIDE_CLOCK];

// ---- who may ----

/// Who registers clues (登记): the office, department administrators and inspectors (a
/// department's own findings and referrals are clues too, 国办 (十)); not read-only roles.
pub fn may_register(a: &Actor) -> bool {
    matches!(
        a.role,
        Role::SystemAdmin | Role::CoordinationOffice | Role::DepartmentAdmin | Role::Inspector
    )
}

/// Who dispatches, reassigns and decides extensions (分办、改派、延期审批): the coordination
/// office (and the system administrator). Per clue: its region lies in the actor's subtree.
pub fn may_dispatch(a: &Actor) -> bool {
    matches!(a.role, Role::SystemAdmin | Role::CoordinationOffice)
}

fn dispatches(a: &Actor, c: &Clue) -> bool {
    may_dispatch(a)
        && a.full_scope()
            .region
            .as_ref()
            .is_none_or(|r| c.region_code.is_within(r))
}

/// Who handles a clue for department `d` (签收、退回、申请延期、办结): those who act for it
/// (its administrators, the office above it, the system administrator) and the inspectors of
/// its line in its region.
pub fn may_handle(a: &Actor, d: &Department) -> bool {
    acts_for(a, d)
        || (a.role == Role::Inspector
            && a.department_line == d.line
            && d.region_code.is_within(&a.region))
}

/// Whether the actor reads the complainant's name and phone (DOMAIN.md: complainants' data
/// never leaves the handling department). The office of the clue's region always (it took the
/// call); the handling department's staff unless the complainant asked for anonymity. Nobody
/// else — system administrators, leaders and supervisors included — reads them unmasked.
pub fn may_see_complainant(a: &Actor, c: &Clue, handling: Option<&Department>) -> bool {
    let office = a.role == Role::CoordinationOffice
        && a.full_scope()
            .region
            .as_ref()
            .is_none_or(|r| c.region_code.is_within(r));
    let department = !c.anonymous
        && matches!(a.role, Role::DepartmentAdmin | Role::Inspector)
        && handling.is_some_and(|d| may_handle(a, d));
    office || department
}

// ---- views ----

/// The entity a clue names.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct EntityRef {
    pub id: Uuid,
    pub usci: String,
    pub name: String,
}

/// An item a clue involves.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ItemRef {
    pub id: Uuid,
    pub code: String,
    pub name: String,
}

/// The complainant as the reader may see them.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Complainant {
    pub name: Option<String>,
    pub phone: Option<String>,
    pub anonymous: bool,
    /// Name and phone are masked (张*, 138****8000) for this reader.
    pub masked: bool,
}

/// A clue as a list row or the head of its page.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ClueView {
    pub id: Uuid,
    pub code: String,
    /// The 12345 work-order number or another system's reference.
    pub external_no: Option<String>,
    pub source: ClueSource,
    pub source_label: String,
    pub kind: ClueKind,
    pub kind_label: String,
    pub urgency: Urgency,
    pub urgency_label: String,
    pub content: String,
    pub address: String,
    pub region_code: String,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
    pub entity: Option<EntityRef>,
    pub complainant: Complainant,
    pub received_at: DateTime<Utc>,
    pub status: ClueStatus,
    pub status_label: String,
    pub department_id: Option<Uuid>,
    pub department: Option<String>,
    pub result: Option<String>,
    pub finished_at: Option<DateTime<Utc>>,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
    /// The clocks started at the last dispatch, with their lights today.
    pub clocks: Vec<ClockView>,
    /// The most urgent light among the running 签收, 办结 and 裁定 clocks (none when no clock
    /// runs).
    pub light: Option<Light>,
    /// Under the office's supervision (督办).
    pub supervised: bool,
    /// The complainant's verdict at the last 回访.
    pub satisfaction: Option<Satisfaction>,
    pub satisfaction_label: Option<String>,
    /// 并单: the clue this one joined.
    pub merged_into: Option<Uuid>,
    /// The visit verifying it (joined or started for it).
    pub visit_id: Option<Uuid>,
}

/// One step on a clue's timeline.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct TimelineEntry {
    pub action: String,
    pub action_label: String,
    pub from_status: Option<ClueStatus>,
    pub to_status: ClueStatus,
    pub to_label: String,
    /// Mandatory for returns, reassignments and extensions; shown to everyone handling the clue.
    pub reason: Option<String>,
    /// What else the step set, in words (the department, the days, the new deadline).
    pub note: Option<String>,
    pub actor: String,
    pub actor_name: String,
    pub at: DateTime<Utc>,
}

/// A clue's page: the clue, its items, its timeline and what the reader may do now.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ClueDetail {
    #[serde(flatten)]
    pub clue: ClueView,
    pub items: Vec<ItemRef>,
    pub timeline: Vec<TimelineEntry>,
    /// Steps the reader may take now (`sign`, `return` …), for the console's forms.
    pub actions: Vec<ClueAction>,
    /// The departments cooperating with the lead in a joint verification (配合部门).
    pub cooperating: Vec<DepartmentName>,
    /// The clues merged into this one (并单): answered with it.
    pub merged: Vec<ClueLink>,
    /// The clue this one was merged into.
    pub merged_into_code: Option<String>,
    /// The visit verifying it.
    pub visit: Option<joint::VisitBrief>,
    /// The office's routing suggestion while the clue is with the office.
    pub routing: Option<routing::Routing>,
    /// Open visits and open clues about the same entity (before verifying: 不多头检查).
    pub related: Option<joint::Related>,
    /// Files sent with the clue (the portal's photos and PDFs), kept in the evidence log.
    pub attachments: Vec<ClueAttachment>,
}

/// A file sent with a clue: open it at `/api/v1/evidence/{sha256}` (restricted reads are
/// audited), its inclusion proof at `/api/v1/evidence/{sha256}/proof`.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ClueAttachment {
    pub filename: String,
    pub sha256: String,
    pub size: u64,
    pub media_type: String,
    pub linked_at: DateTime<Utc>,
}

/// A department by id and name.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct DepartmentName {
    pub id: Uuid,
    pub name: String,
}

/// Another clue by id and code.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ClueLink {
    pub id: Uuid,
    pub code: String,
    pub status_label: String,
}

fn running_light(clocks: &[ClockView]) -> Option<Light> {
    let rank = |l: Light| match l {
        Light::Red => 3,
        Light::Yellow => 2,
        Light::Green => 1,
        _ => 0,
    };
    clocks
        .iter()
        .filter(|k| {
            [SIGN_CLOCK.name, FINISH_CLOCK.name, DECIDE_CLOCK.name].contains(&k.name.as_str())
        })
        .map(|k| k.light)
        .filter(|l| l.is_running())
        .max_by_key(|l| rank(*l))
}

struct Names {
    departments: HashMap<Uuid, Department>,
    entities: HashMap<Uuid, EntityRef>,
}

async fn names_for(c: &impl Conn, clues: &[Clue]) -> Result<Names> {
    let mut dept_ids: Vec<Uuid> = clues.iter().filter_map(|x| x.department_id).collect();
    dept_ids.sort();
    dept_ids.dedup();
    let departments = lianjian_store::departments::by_ids(c, &dept_ids).await?;
    let ent_ids: Vec<Uuid> = clues.iter().filter_map(|x| x.entity_id).collect();
    let entities = lianjian_store::entities::get_many(c, &ent_ids)
        .await?
        .into_iter()
        .map(|e| {
            (
                e.id,
                EntityRef {
                    id: e.id,
                    usci: e.usci,
                    name: e.name,
                },
            )
        })
        .collect();
    Ok(Names {
        departments,
        entities,
    })
}

fn view(a: &Actor, x: &Clue, names: &Names, clocks: Vec<ClockView>) -> ClueView {
    let handling = x.department_id.and_then(|d| names.departments.get(&d));
    let sees = may_see_complainant(a, x, handling);
    let complainant = Complainant {
        name: x.complainant_name.as_deref().map(|n| {
            if sees {
                n.to_string()
            } else {
                rules::mask_name(n)
            }
        }),
        phone: x.complainant_phone.as_deref().map(|p| {
            if sees {
                p.to_string()
            } else {
                rules::mask_phone(p)
            }
        }),
        anonymous: x.anonymous,
        masked: !sees,
    };
    ClueView {
        id: x.id,
        code: x.code.clone(),
        external_no: x.external_no.clone(),
        source: x.source,
        source_label: x.source.label_zh().into(),
        kind: x.kind,
        kind_label: x.kind.label_zh().into(),
        urgency: x.urgency,
        urgency_label: x.urgency.label_zh().into(),
        content: x.content.clone(),
        address: x.address.clone(),
        region_code: x.region_code.to_string(),
        latitude: x.latitude,
        longitude: x.longitude,
        entity: x.entity_id.and_then(|e| names.entities.get(&e).cloned()),
        complainant,
        received_at: x.received_at,
        status: x.status,
        status_label: x.status.label_zh().into(),
        department_id: x.department_id,
        department: handling.map(|d| d.name.clone()),
        result: x.result.clone(),
        finished_at: x.finished_at,
        created_by: x.created_by.clone(),
        created_at: x.created_at,
        light: running_light(&clocks),
        clocks,
        supervised: x.supervised,
        satisfaction: x.satisfaction,
        satisfaction_label: x.satisfaction.map(|s| s.label_zh().to_string()),
        merged_into: x.merged_into,
        visit_id: x.visit_id,
    }
}

fn today(svc: &Services) -> NaiveDate {
    beijing_date(svc.now())
}

/// The clue if the actor's scope holds it (out of scope looks absent).
async fn visible(c: &impl Conn, a: &Actor, id: Uuid) -> Result<Clue> {
    repo::get_scoped(c, &Scope::of(a), id)
        .await?
        .ok_or(ServiceError::NotFound)
}

async fn department_of(c: &impl Conn, x: &Clue) -> Result<Option<Department>> {
    match x.department_id {
        Some(d) => Ok(lianjian_store::departments::get(c, d).await?),
        None => Ok(None),
    }
}

/// Steps the actor may take on this clue now.
fn actions_for(a: &Actor, x: &Clue, handling: Option<&Department>) -> Vec<ClueAction> {
    let office = dispatches(a, x);
    let handles = handling.is_some_and(|d| may_handle(a, d));
    ClueAction::ALL
        .iter()
        .copied()
        .filter(|act| act.step(x.status).is_ok())
        .filter(|act| match act {
            ClueAction::Register | ClueAction::Escalate => false,
            ClueAction::Dispatch
            | ClueAction::Reassign
            | ClueAction::ApproveExtension
            | ClueAction::RefuseExtension
            | ClueAction::Dispute
            | ClueAction::Decide
            | ClueAction::Supervise
            | ClueAction::Urge
            | ClueAction::Transfer
            | ClueAction::Merge
            | ClueAction::Revisit => office,
            // A merged clue is finished with the clue it joined, not by hand.
            ClueAction::Finish => handles && x.status != ClueStatus::Merged,
            // Files for the evidence: the office, or the department handling the clue.
            ClueAction::Attach => (office || handles) && !a.role.is_read_only(),
            ClueAction::Sign | ClueAction::Return | ClueAction::RequestExtension => handles,
            // Verification needs the entity (and a role that creates visits).
            ClueAction::JoinVisit | ClueAction::Verify => {
                handles && x.entity_id.is_some() && a.role != Role::Inspector
            }
        })
        .collect()
}

/// A clue's page for the actor: `NotFound` outside the actor's scope.
pub async fn get(svc: &Services, a: &Actor, id: Uuid) -> Result<ClueDetail> {
    let c = svc.store.conn();
    let x = visible(c, a, id).await?;
    let cal = crate::calendar::current(svc).await?;
    let names = names_for(c, std::slice::from_ref(&x)).await?;
    let clocks = cases::clocks(c, &cal, KIND, id, today(svc), &ALL_CLOCKS).await?;
    let mut items = Vec::new();
    for item_id in repo::items_of(c, id).await? {
        if let Some(i) = lianjian_store::items::get(c, item_id).await? {
            items.push(ItemRef {
                id: i.id,
                code: i.code,
                name: i.name,
            });
        }
    }
    let events = cases::timeline(c, KIND, id).await?;
    let mut dept_ids: Vec<Uuid> = events
        .iter()
        .filter_map(|e| {
            e.detail
                .as_deref()
                .and_then(|d| serde_json::from_str::<serde_json::Value>(d).ok())
                .map(|d| {
                    let mut ids: Vec<Uuid> = d["cooperating"]
                        .as_array()
                        .into_iter()
                        .flatten()
                        .filter_map(|v| v.as_str()?.parse().ok())
                        .collect();
                    ids.extend(
                        d["department_id"]
                            .as_str()
                            .and_then(|s| s.parse::<Uuid>().ok()),
                    );
                    ids
                })
        })
        .flatten()
        .collect();
    dept_ids.sort();
    dept_ids.dedup();
    let dept_names = lianjian_store::departments::by_ids(c, &dept_ids).await?;
    let timeline = events
        .into_iter()
        .map(|e| {
            let detail: serde_json::Value = e
                .detail
                .as_deref()
                .and_then(|d| serde_json::from_str(d).ok())
                .unwrap_or_default();
            TimelineEntry {
                action_label: ClueAction::parse(&e.action)
                    .map(|a| a.label_zh().to_string())
                    .unwrap_or_else(|_| e.action.clone()),
                from_status: e
                    .from_status
                    .as_deref()
                    .and_then(|s| ClueStatus::parse(s).ok()),
                to_status: ClueStatus::parse(&e.to_status).unwrap_or(x.status),
                to_label: ClueStatus::parse(&e.to_status)
                    .map(|s| s.label_zh().to_string())
                    .unwrap_or_default(),
                note: note_of(&detail, &dept_names),
                action: e.action,
                reason: e.reason,
                actor: e.actor_name,
                actor_name: e.actor_display,
                at: e.at,
            }
        })
        .collect();
    let handling = x.department_id.and_then(|d| names.departments.get(&d));
    let actions = actions_for(a, &x, handling);
    let coop_ids = repo::cooperating_of(c, id).await?;
    let coop = lianjian_store::departments::by_ids(c, &coop_ids).await?;
    let cooperating = coop_ids
        .iter()
        .filter_map(|d| coop.get(d))
        .map(|d| DepartmentName {
            id: d.id,
            name: d.name.clone(),
        })
        .collect();
    let merged = repo::merged_into(c, id)
        .await?
        .into_iter()
        .map(|m| ClueLink {
            id: m.id,
            code: m.code,
            status_label: m.status.label_zh().into(),
        })
        .collect();
    let merged_into_code = match x.merged_into {
        Some(m) => repo::get(c, m).await?.map(|m| m.code),
        None => None,
    };
    let visit = joint::visit_brief(c, a, x.visit_id).await?;
    let routing = if dispatches(a, &x) && x.status.is_with_office() {
        Some(routing::suggest(c, &x).await?)
    } else {
        None
    };
    let related = joint::related(c, a, &x).await?;
    let attachments = crate::evidence::links_of(svc, "clue", &[id])
        .await?
        .remove(&id)
        .unwrap_or_default()
        .into_iter()
        .map(|l| ClueAttachment {
            filename: l.filename,
            sha256: l.evidence.sha256,
            size: l.evidence.size,
            media_type: l.evidence.media_type,
            linked_at: l.linked_at,
        })
        .collect();
    Ok(ClueDetail {
        clue: view(a, &x, &names, clocks),
        items,
        timeline,
        actions,
        cooperating,
        merged,
        merged_into_code,
        visit,
        routing,
        related,
        attachments,
    })
}

/// The words a step's detail becomes on the timeline.
fn note_of(d: &serde_json::Value, depts: &HashMap<Uuid, Department>) -> Option<String> {
    let mut parts = Vec::new();
    if let Some(id) = d["department_id"]
        .as_str()
        .and_then(|s| s.parse::<Uuid>().ok())
    {
        let name = depts
            .get(&id)
            .map_or("（已删除的部门）", |x| x.name.as_str());
        parts.push(format!("承办部门：{name}"));
    }
    if let Some(n) = d["days"].as_u64() {
        parts.push(format!("{n} 个工作日"));
    }
    if let Some(due) = d["finish_due"].as_str() {
        parts.push(format!("办结期限 {due}"));
    }
    if let Some(r) = d["result"].as_str() {
        parts.push(format!("办理结果：{r}"));
    }
    if let Some(f) = d["finding"].as_str().and_then(|f| Finding::parse(f).ok()) {
        parts.push(format!("查实情况：{}", f.label_zh()));
    }
    if let Some(ids) = d["cooperating"].as_array().filter(|v| !v.is_empty()) {
        let names: Vec<&str> = ids
            .iter()
            .filter_map(|v| v.as_str()?.parse::<Uuid>().ok())
            .map(|id| {
                depts
                    .get(&id)
                    .map_or("（已删除的部门）", |x| x.name.as_str())
            })
            .collect();
        parts.push(format!("配合部门：{}", names.join("、")));
    }
    if let Some(r) = d["rule"]
        .as_str()
        .and_then(|r| rules::LeadRule::parse(r).ok())
    {
        parts.push(format!("裁定依据：{}", r.label_zh()));
    }
    if let Some(v) = d["visit_code"].as_str() {
        parts.push(format!("检查：{v}"));
    }
    if let Some(c) = d["into_code"].as_str() {
        parts.push(format!("并入线索 {c}"));
    }
    if let Some(r) = d["to_region_name"].as_str() {
        parts.push(format!("转至：{r}"));
    }
    if let Some(s) = d["satisfaction"]
        .as_str()
        .and_then(|s| Satisfaction::parse(s).ok())
    {
        parts.push(format!("满意度：{}", s.label_zh()));
    }
    (!parts.is_empty()).then(|| parts.join("；"))
}

/// The queues of the console (问题线索 menu), each a filter on the clue list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Queue {
    /// Every clue in scope.
    All,
    /// 待派单: registered, not dispatched yet (the office's).
    ToDispatch,
    /// 待签收: dispatched, not signed (also when escalated).
    ToSign,
    /// 待办理: signed and open, with or without an extension asked.
    ToHandle,
    /// 即将超时: a running 签收 or 办结 clock is yellow today.
    DueSoon,
    /// 已超时: a running 签收 or 办结 clock is red today.
    Overdue,
    /// 退回待处理: returned by a department, for the office to reassign.
    Returned,
    /// 争议待裁定: no clear owner; the office names the lead.
    Disputed,
    /// 延期待审批.
    Extensions,
    /// 已办结.
    Finished,
}

/// The clue queues on the shared queue pages. Their `parse` is their own: an empty queue is
/// 全部, and only codes are accepted.
impl lianjian_domain::Labelled for Queue {
    const ALL: &'static [Queue] = Queue::ALL;

    fn as_str(self) -> &'static str {
        Queue::as_str(self)
    }

    fn label_zh(self) -> &'static str {
        Queue::label_zh(self)
    }

    fn parse(s: &str) -> std::result::Result<Self, Invalid> {
        Queue::parse(s)
    }
}

impl Queue {
    pub const ALL: &'static [Queue] = &[
        Queue::All,
        Queue::ToDispatch,
        Queue::ToSign,
        Queue::ToHandle,
        Queue::DueSoon,
        Queue::Overdue,
        Queue::Returned,
        Queue::Disputed,
        Queue::Extensions,
        Queue::Finished,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Queue::All => "all",
            Queue::ToDispatch => "to_dispatch",
            Queue::ToSign => "to_sign",
            Queue::ToHandle => "to_handle",
            Queue::DueSoon => "due_soon",
            Queue::Overdue => "overdue",
            Queue::Returned => "returned",
            Queue::Disputed => "disputed",
            Queue::Extensions => "extensions",
            Queue::Finished => "finished",
        }
    }

    pub fn label_zh(self) -> &'static str {
        match self {
            Queue::All => "全部",
            Queue::ToDispatch => "待派单",
            Queue::ToSign => "待签收",
            Queue::ToHandle => "待办理",
            Queue::DueSoon => "即将超时",
            Queue::Overdue => "已超时",
            Queue::Returned => "退回待处理",
            Queue::Disputed => "争议待裁定",
            Queue::Extensions => "延期待审批",
            Queue::Finished => "已办结",
        }
    }

    pub fn parse(s: &str) -> Result<Self, Invalid> {
        let t = s.trim();
        if t.is_empty() {
            return Ok(Queue::All);
        }
        Queue::ALL
            .iter()
            .copied()
            .find(|q| q.as_str() == t)
            .ok_or_else(|| {
                Invalid::new(
                    "unknown_queue",
                    format!("“{t}”不是有效的队列"),
                    format!("'{t}' is not a queue; one of: all, to_dispatch, to_sign, to_handle, due_soon, overdue, returned, disputed, extensions, finished"),
                )
            })
    }

    /// The queues a role works (the others stay reachable through 全部).
    pub fn of_role(a: &Actor) -> Vec<Queue> {
        use Queue::*;
        if may_dispatch(a) {
            vec![
                ToDispatch, Returned, Disputed, Extensions, ToSign, ToHandle, DueSoon, Overdue,
                Finished, All,
            ]
        } else if matches!(a.role, Role::DepartmentAdmin | Role::Inspector) {
            vec![ToSign, ToHandle, DueSoon, Overdue, Returned, Finished, All]
        } else {
            vec![All, DueSoon, Overdue, Finished]
        }
    }

    fn query(self, cal: &WorkingDayCalendar, today: NaiveDate) -> ClueQuery {
        use ClueStatus as S;
        let statuses = match self {
            Queue::All | Queue::DueSoon | Queue::Overdue => vec![],
            Queue::ToDispatch => vec![S::Registered],
            Queue::ToSign => vec![S::Dispatched, S::Escalated],
            Queue::ToHandle => vec![S::Handling, S::ExtensionRequested],
            Queue::Returned => vec![S::Returned],
            Queue::Disputed => vec![S::Disputed],
            Queue::Extensions => vec![S::ExtensionRequested],
            Queue::Finished => vec![S::Finished, S::Closed],
        };
        let clocks_due = match self {
            Queue::DueSoon => [SIGN_CLOCK, FINISH_CLOCK, DECIDE_CLOCK]
                .iter()
                .map(|s| {
                    (
                        s.name,
                        Some(today),
                        cases::yellow_before(cal, today, s.warn_within),
                    )
                })
                .collect(),
            Queue::Overdue => vec![
                (SIGN_CLOCK.name, None, today),
                (FINISH_CLOCK.name, None, today),
                (DECIDE_CLOCK.name, None, today),
            ],
            _ => vec![],
        };
        ClueQuery {
            statuses,
            clocks_due,
            ..Default::default()
        }
    }
}

/// Filters of the clue list besides the queue.
#[derive(Debug, Clone, Default)]
pub struct ClueFilter {
    pub region: Option<RegionCode>,
    pub source: Option<ClueSource>,
    /// Code, source reference, content, address or the entity's name or credit code.
    pub text: Option<String>,
    pub kind: Option<ClueKind>,
    pub urgency: Option<Urgency>,
    /// The handling department.
    pub department_id: Option<Uuid>,
    pub sort: ClueSort,
}

/// A queue of clues in the actor's scope, newest first, each with its clocks' lights.
pub async fn list(
    svc: &Services,
    a: &Actor,
    queue: Queue,
    f: &ClueFilter,
    page: PageRequest,
) -> Result<Page<ClueView>> {
    let c = svc.store.conn();
    let cal = crate::calendar::current(svc).await?;
    let today = today(svc);
    let mut q = queue.query(&cal, today);
    q.region = f.region.clone();
    q.source = f.source;
    q.text = f.text.clone();
    q.kind = f.kind;
    q.urgency = f.urgency;
    q.department_id = f.department_id;
    q.sort = f.sort;
    let p = repo::list(c, &Scope::of(a), &q, page).await?;
    let names = names_for(c, &p.items).await?;
    let ids: Vec<Uuid> = p.items.iter().map(|x| x.id).collect();
    let mut clocks = cases::clocks_of_many(c, &cal, KIND, &ids, today, &ALL_CLOCKS).await?;
    Ok(Page {
        items: p
            .items
            .iter()
            .map(|x| view(a, x, &names, clocks.remove(&x.id).unwrap_or_default()))
            .collect(),
        total: p.total,
        page: p.page,
        per_page: p.per_page,
    })
}

/// How many clues each of the actor's queues holds (the console's tabs and home card).
pub async fn queue_counts(svc: &Services, a: &Actor) -> Result<Vec<(Queue, u64)>> {
    let c = svc.store.conn();
    let cal = crate::calendar::current(svc).await?;
    let today = today(svc);
    let queues = Queue::of_role(a);
    let queries: Vec<ClueQuery> = queues.iter().map(|q| q.query(&cal, today)).collect();
    let counts = repo::count_each(c, &Scope::of(a), &queries).await?;
    Ok(queues.into_iter().zip(counts).collect())
}

// ---- intake ----

/// A clue as the intake form or the API sends it. Text as typed; everything is parsed here
/// and every bad field reported at once.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ClueInput {
    /// `hotline_12345`, `internet_plus`, `portal`, `association`, `media`, `department`,
    /// `assigned`, `patrol`, `monitoring` (or the Chinese label).
    pub source: String,
    /// `complaint`, `report`, `inquiry`, `help`, `suggestion` (or the Chinese label).
    pub kind: String,
    /// `normal` (default), `urgent`, `very_urgent`.
    #[serde(default)]
    pub urgency: Option<String>,
    pub content: String,
    pub address: String,
    /// GB/T 2260 code of where it happened, inside the caller's region.
    pub region_code: String,
    #[serde(default)]
    pub latitude: Option<f64>,
    #[serde(default)]
    pub longitude: Option<f64>,
    /// The entity's unified social credit code, looked up in the directory.
    #[serde(default)]
    pub entity_usci: Option<String>,
    /// Supervision items involved (ids).
    #[serde(default)]
    pub item_ids: Vec<String>,
    #[serde(default)]
    pub complainant_name: Option<String>,
    #[serde(default)]
    pub complainant_phone: Option<String>,
    /// The complainant asked that the handling department not learn who they are.
    #[serde(default)]
    pub anonymous: bool,
    /// A 12345 work-order number or another system's reference (unique).
    #[serde(default)]
    pub external_no: Option<String>,
    /// When it was received (RFC 3339); default now.
    #[serde(default)]
    pub received_at: Option<String>,
}

/// Registers a clue (登记). Nothing is stored unless every field parses.
pub async fn register(svc: &Services, a: &Actor, input: &ClueInput) -> Result<ClueDetail> {
    let x = register_with(
        svc,
        a,
        input,
        Intake::default(),
        |tx, _| async move { Ok(tx) },
    )
    .await?;
    get(svc, a, x.id).await
}

/// What an intake interface adds to a registration (12345 [`hotline`], [`open311`], the
/// [`portal`] form).
#[derive(Default)]
pub(crate) struct Intake {
    /// Joins the registration event's detail (a 12345 order's deadline and dispatching unit).
    pub extra: serde_json::Map<String, serde_json::Value>,
    /// Field errors the interface found in its own fields, reported with the clue's.
    pub earlier: Vec<crate::error::FieldError>,
}

/// [`register`] (answering the stored row) for an intake interface: its `intake` additions,
/// and `then` writing what it keeps besides the clue (Open311's request row, the portal's
/// check code and attachment links) on the clue's transaction — all or nothing. A source
/// reference taken meanwhile by a concurrent registration is the same 422 `duplicate` on
/// `external_no` as one found before (the unique index decides, inside the transaction).
pub(crate) async fn register_with<F, Fut>(
    svc: &Services,
    a: &Actor,
    input: &ClueInput,
    intake: Intake,
    then: F,
) -> Result<Clue>
where
    F: FnOnce(lianjian_store::Tx, Clue) -> Fut,
    Fut: std::future::Future<Output = Result<lianjian_store::Tx>>,
{
    let Intake { extra, earlier } = intake;
    if !may_register(a) {
        return Err(ServiceError::Forbidden);
    }
    let c = svc.store.conn();
    let mut ch = Checker::with(earlier);
    let source = ch.check("source", ClueSource::parse(&input.source));
    let kind = ch.check("kind", ClueKind::parse(&input.kind));
    let urgency = ch.check(
        "urgency",
        match input.urgency.as_deref().map(str::trim) {
            None | Some("") => Ok(Urgency::Normal),
            Some(u) => Urgency::parse(u),
        },
    );
    let content = ch.check("content", rules::content(&input.content));
    let address = ch.check("address", rules::address(&input.address));
    let coords = ch.check(
        "latitude",
        rules::coordinates(input.latitude, input.longitude),
    );
    let name = ch.check(
        "complainant_name",
        rules::complainant_name(input.complainant_name.as_deref().unwrap_or_default()),
    );
    let phone = ch.check(
        "complainant_phone",
        rules::phone(input.complainant_phone.as_deref().unwrap_or_default()),
    );
    let external_no = ch.check(
        "external_no",
        rules::external_no(input.external_no.as_deref().unwrap_or_default()),
    );
    let now = lianjian_domain::audit::audit_time(svc.now());
    let received_at = match input.received_at.as_deref().map(str::trim) {
        None | Some("") => Some(now),
        Some(s) => match DateTime::parse_from_rfc3339(s) {
            Ok(t) if t.with_timezone(&Utc) > now + chrono::Duration::minutes(5) => {
                ch.push(
                    "received_at",
                    Invalid::new(
                        "in_the_future",
                        "受理时间不能晚于现在",
                        "received_at lies in the future",
                    ),
                );
                None
            }
            Ok(t) => Some(lianjian_domain::audit::audit_time(t.with_timezone(&Utc))),
            Err(_) => {
                ch.push(
                    "received_at",
                    Invalid::new(
                        "datetime",
                        format!("受理时间“{s}”不正确，应为 2026-12-07T09:30:00+08:00 这样的格式"),
                        format!("received_at '{s}' is not an RFC 3339 time"),
                    ),
                );
                None
            }
        },
    };
    let region = match RegionCode::parse(&input.region_code) {
        Err(e) => {
            ch.push("region_code", e);
            None
        }
        Ok(r) => {
            if a.full_scope()
                .region
                .as_ref()
                .is_some_and(|s| !r.is_within(s))
            {
                ch.push(
                    "region_code",
                    Invalid::new(
                        "outside_scope",
                        format!("行政区划“{r}”不在您的管理范围内"),
                        format!("region {r} is outside your scope"),
                    ),
                );
                None
            } else if lianjian_store::regions::get(c, &r).await?.is_none() {
                ch.push(
                    "region_code",
                    Invalid::new(
                        "unknown_region",
                        format!("行政区划代码“{r}”不存在"),
                        format!("no region {r}"),
                    ),
                );
                None
            } else {
                Some(r)
            }
        }
    };
    // The entity through the directory, by credit code; it must lie in the caller's region.
    let entity = match input
        .entity_usci
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        None => None,
        Some(s) => {
            match lianjian_domain::usci::Usci::parse(s) {
                Err(e) => {
                    ch.push("entity_usci", e);
                    None
                }
                Ok(u) => {
                    match lianjian_store::entities::by_usci(c, u.as_str())
                        .await?
                        .filter(|e| {
                            a.full_scope()
                                .region
                                .as_ref()
                                .is_none_or(|r| e.region_code.is_within(r))
                        }) {
                        Some(e) => Some(e),
                        None => {
                            ch.push(
                            "entity_usci",
                            Invalid::new(
                                "unknown_entity",
                                format!("名录库中没有统一社会信用代码为 {u} 的主体（或不在您的辖区）"),
                                format!("no entity {u} in the directory within your region"),
                            ),
                        );
                            None
                        }
                    }
                }
            }
        }
    };
    let mut items = Vec::new();
    for (i, s) in input.item_ids.iter().enumerate() {
        let field = format!("item_ids[{i}]");
        match s.trim().parse::<Uuid>() {
            Ok(id) => match lianjian_store::items::get(c, id).await? {
                Some(it) => {
                    if !items.contains(&it.id) {
                        items.push(it.id);
                    }
                }
                None => ch.push(
                    &field,
                    Invalid::new("unknown_item", "监管事项不存在", "no such item"),
                ),
            },
            Err(_) => ch.push(
                &field,
                Invalid::new("uuid", "监管事项编号不正确", "not an item id"),
            ),
        }
    }
    if let Some(Some(no)) = &external_no
        && repo::by_external_no(c, no).await?.is_some()
    {
        ch.push(
            "external_no",
            Invalid::new(
                "duplicate",
                format!("来源单号 {no} 已登记"),
                format!("a clue with reference {no} is already registered"),
            ),
        );
    }
    ch.finish()?;
    let region = region.expect("checked");
    let (lat, lng) = coords.flatten().unzip();
    // A department's own finding stays visible to it until the office dispatches it.
    let department_id =
        matches!(a.role, Role::DepartmentAdmin | Role::Inspector).then_some(a.department_id);
    let year = beijing_date(now).format("%Y").to_string();
    let county: String = region.as_str().chars().take(6).collect();
    let prefix = format!("XS-{county}-{year}-");
    // The number is taken in a statement of its own, like a sequence: concurrent
    // registrations never draw the same one, and none waits on the counter row while another
    // registers (a registration that fails afterwards leaves a gap in the codes).
    let n = repo::next_code_number(c, &prefix).await?;
    let tx = svc.store.begin().await?;
    let x = Clue {
        id: Uuid::now_v7(),
        code: format!("{prefix}{n:05}"),
        external_no: external_no.flatten(),
        source: source.expect("checked"),
        kind: kind.expect("checked"),
        urgency: urgency.expect("checked"),
        content: content.expect("checked"),
        address: address.expect("checked"),
        region_code: region,
        latitude: lat,
        longitude: lng,
        entity_id: entity.map(|e| e.id),
        complainant_name: name.flatten(),
        complainant_phone: phone.flatten(),
        anonymous: input.anonymous,
        received_at: received_at.expect("checked"),
        status: ClueStatus::Registered,
        department_id,
        result: None,
        finished_at: None,
        created_by: a.username.clone(),
        created_at: now,
        updated_at: now,
        merged_into: None,
        visit_id: None,
        satisfaction: None,
        supervised: false,
    };
    match repo::insert(&tx, &x, &items).await {
        Err(lianjian_store::StoreError::Conflict(m)) if m.contains("external_no") => {
            let no = x.external_no.clone().unwrap_or_default();
            return Err(ServiceError::field(
                "external_no",
                Invalid::new(
                    "duplicate",
                    format!("来源单号 {no} 已登记"),
                    format!("a clue with reference {no} is already registered"),
                ),
            ));
        }
        r => r?,
    }
    let step = ClueAction::Register
        .step(ClueStatus::Registered)
        .map_err(refused_by_rule)?;
    // The audit entry never carries the complainant's data, only that there is some.
    let mut detail = serde_json::json!({
            "source": x.source.as_str(),
            "kind": x.kind.as_str(),
            "urgency": x.urgency.as_str(),
            "external_no": x.external_no,
            "entity_id": x.entity_id,
            "items": items,
            "has_complainant": x.complainant_name.is_some() || x.complainant_phone.is_some(),
            "anonymous": x.anonymous,
    });
    if let Some(d) = detail.as_object_mut() {
        d.extend(extra);
    }
    cases::record_step(&tx, a, &case_ref(&x), &step, detail).await?;
    let tx = then(tx, x.clone()).await?;
    tx.commit().await?;
    Ok(x)
}

fn case_ref(x: &Clue) -> CaseRef<'_> {
    CaseRef {
        kind: KIND,
        id: x.id,
        code: &x.code,
        region: x.region_code.as_str(),
        department_id: x.department_id,
    }
}

// ---- workflow ----

fn refused_by_rule(e: Invalid) -> ServiceError {
    ServiceError::conflict("status", e.zh, e.en)
}

fn stale(x: &Clue) -> ServiceError {
    ServiceError::conflict(
        "status",
        format!("线索 {} 的状态刚被他人改变，请刷新后重试", x.code),
        format!("clue {} changed meanwhile; reload and retry", x.code),
    )
}

fn ensure_office(a: &Actor, x: &Clue) -> Result<()> {
    if dispatches(a, x) {
        Ok(())
    } else if may_dispatch(a) {
        Err(ServiceError::NotFound)
    } else {
        Err(ServiceError::Forbidden)
    }
}

async fn ensure_handler(c: &impl Conn, a: &Actor, x: &Clue) -> Result<Department> {
    if !matches!(
        a.role,
        Role::SystemAdmin | Role::CoordinationOffice | Role::DepartmentAdmin | Role::Inspector
    ) {
        return Err(ServiceError::Forbidden);
    }
    match department_of(c, x).await? {
        Some(d) if may_handle(a, &d) => Ok(d),
        Some(d) => Err(ServiceError::refused(
            format!("此线索由{}承办，您不能代其办理", d.name),
            format!("this clue is handled by {}; you cannot act for it", d.name),
        )),
        None => Err(ServiceError::refused(
            "此线索尚未派单，请联席办先派单",
            "this clue has not been dispatched yet",
        )),
    }
}

/// The department a clue is sent to: active, and its region covers the clue's.
async fn target_department(c: &impl Conn, x: &Clue, id: Uuid) -> Result<Department> {
    let bad = |code, zh: String, en: String| {
        ServiceError::field("department_id", Invalid::new(code, zh, en))
    };
    let d = lianjian_store::departments::get(c, id)
        .await?
        .ok_or_else(|| {
            bad(
                "unknown_department",
                "承办部门不存在".into(),
                "no such department".into(),
            )
        })?;
    if d.status != lianjian_domain::department::DepartmentStatus::Active {
        return Err(bad(
            "inactive_department",
            format!("{}已停用", d.name),
            format!("{} is not active", d.name),
        ));
    }
    if !x.region_code.is_within(&d.region_code) {
        return Err(bad(
            "outside_region",
            format!("{}的辖区不包括线索所在地（{}）", d.name, x.region_code),
            format!("{} does not cover region {}", d.name, x.region_code),
        ));
    }
    Ok(d)
}

/// Applies one step to a clue read with status `from`: the row (compare-and-set), the clocks
/// the caller changes in `clocks`, the event and the audit entry, in one transaction.
async fn apply<F, Fut>(
    svc: &Services,
    a: &Actor,
    before: &Clue,
    after: Clue,
    step: Step<ClueStatus>,
    detail: serde_json::Value,
    clocks: F,
) -> Result<ClueDetail>
where
    F: FnOnce(lianjian_store::Tx) -> Fut,
    Fut: std::future::Future<Output = Result<lianjian_store::Tx>>,
{
    let tx = svc.store.begin().await?;
    let tx = clocks(tx).await?;
    apply_on(&tx, a, before, &after, &step, detail).await?;
    tx.commit().await?;
    get(svc, a, after.id).await
}

/// The row (compare-and-set), the event and the audit entry of one step, on the caller's
/// transaction.
async fn apply_on(
    tx: &lianjian_store::Tx,
    a: &Actor,
    before: &Clue,
    after: &Clue,
    step: &Step<ClueStatus>,
    detail: serde_json::Value,
) -> Result<()> {
    if !repo::set_state(tx, before.id, before.status, after).await? {
        return Err(stale(before));
    }
    cases::record_step(tx, a, &case_ref(after), step, detail).await?;
    Ok(())
}

/// 补充材料: a file for the clue's evidence (证据互认: stored once by its SHA-256 and appended
/// to the evidence log, like the portal's photos and a visit's), added by the office or by
/// the staff of the department handling the clue; one audited event on the timeline. The same
/// file added again changes nothing (`false` with the page). Size and type are checked before
/// anything is stored.
pub async fn attach(
    svc: &Services,
    a: &Actor,
    id: Uuid,
    upload: crate::evidence::Upload,
) -> Result<(ClueDetail, bool)> {
    let c = svc.store.conn();
    let x = visible(c, a, id).await?;
    if a.role.is_read_only() {
        return Err(ServiceError::Forbidden);
    }
    if !dispatches(a, &x) {
        ensure_handler(c, a, &x).await?;
    }
    let step = ClueAction::Attach.step(x.status).map_err(refused_by_rule)?;
    let filename = upload.filename.clone();
    let ev = crate::evidence::add(svc, a, upload).await?;
    let linked = crate::evidence::links_of(svc, "clue", &[id])
        .await?
        .remove(&id)
        .unwrap_or_default();
    if linked.iter().any(|l| l.evidence.sha256 == ev.sha256) {
        return Ok((get(svc, a, id).await?, false));
    }
    let detail = serde_json::json!({ "file": filename, "sha256": ev.sha256 });
    let region = x.region_code.clone();
    apply(svc, a, &x, x.clone(), step, detail, |tx| async move {
        // Staff of a department link it as theirs; the office's system administrator (no
        // department) links it where the clue lies.
        if a.department_id.is_nil() {
            crate::evidence::link_unassigned(&tx, ev.id, "clue", id, &filename, &region, a).await?;
        } else {
            crate::evidence::link(&tx, ev.id, "clue", id, &filename, a.department_id, a).await?;
        }
        Ok(tx)
    })
    .await
    .map(|d| (d, true))
}

/// Whom a clue's clocks run against: its region and the department that must act.
pub(crate) fn holder(x: &Clue, department_id: Option<Uuid>) -> lianjian_store::cases::ClockHolder {
    lianjian_store::cases::ClockHolder {
        region_code: x.region_code.to_string(),
        department_id,
    }
}

/// 派单 (分办): the office sends a registered clue to the department that handles it; the
/// signing, return and finishing clocks start today.
pub async fn dispatch(
    svc: &Services,
    a: &Actor,
    id: Uuid,
    department_id: Uuid,
) -> Result<ClueDetail> {
    dispatch_on(svc, a, id, department_id, today(svc)).await
}

/// [`dispatch`] with the clocks started on `on` (the demo's clues dispatched days ago; the
/// event and the audit entry carry the real time).
pub(crate) async fn dispatch_on(
    svc: &Services,
    a: &Actor,
    id: Uuid,
    department_id: Uuid,
    on: NaiveDate,
) -> Result<ClueDetail> {
    let c = svc.store.conn();
    let x = visible(c, a, id).await?;
    ensure_office(a, &x)?;
    let step = ClueAction::Dispatch
        .step(x.status)
        .map_err(refused_by_rule)?;
    let d = target_department(c, &x, department_id).await?;
    send(svc, a, x, d, Vec::new(), step, on, serde_json::Value::Null).await
}

/// 改派: the office sends a returned or escalated clue (or one not signed yet) to another
/// department, with a reason; the clocks start again today.
pub async fn reassign(
    svc: &Services,
    a: &Actor,
    id: Uuid,
    department_id: Uuid,
    why: &str,
) -> Result<ClueDetail> {
    let c = svc.store.conn();
    let x = visible(c, a, id).await?;
    ensure_office(a, &x)?;
    let why = reason(why).map_err(|e| ServiceError::field("reason", e))?;
    let step = ClueAction::Reassign
        .step(x.status)
        .map_err(refused_by_rule)?
        .because(why);
    let d = target_department(c, &x, department_id).await?;
    if x.status == ClueStatus::Dispatched && x.department_id == Some(d.id) {
        return Err(ServiceError::field(
            "department_id",
            Invalid::new(
                "same_department",
                format!("线索已派给{}，请选择其他部门", d.name),
                format!("the clue is already with {}", d.name),
            ),
        ));
    }
    send(
        svc,
        a,
        x,
        d,
        Vec::new(),
        step,
        today(svc),
        serde_json::Value::Null,
    )
    .await
}

/// Sends a clue to its lead department (and the cooperating ones of a joint verification):
/// the clocks start on `today` with the deadlines of its source and kind
/// ([`routing::deadlines_for`]); `extra` joins the step's detail (a decision's rule).
#[allow(clippy::too_many_arguments)]
async fn send(
    svc: &Services,
    a: &Actor,
    x: Clue,
    d: Department,
    cooperating: Vec<Department>,
    step: Step<ClueStatus>,
    today: NaiveDate,
    extra: serde_json::Value,
) -> Result<ClueDetail> {
    let cal = crate::calendar::current(svc).await?;
    let mut deadlines = routing::deadlines_for(svc.store.conn(), &x).await?;
    // A 12345 order's own 办理时限 decides its finishing clock.
    if let Some(n) = hotline::order_finish_days(svc.store.conn(), &x, &cal, today).await? {
        deadlines.finish_days = n.max(deadlines.return_days);
    }
    // 派单 confirms the routing: a clue registered without items (a 12345 order, a portal
    // tip) takes the suggested ones, so that its verification visit knows what to check.
    let routed: Vec<Uuid> = if repo::items_of(svc.store.conn(), x.id).await?.is_empty() {
        routing::suggest(svc.store.conn(), &x)
            .await?
            .items
            .into_iter()
            .map(|s| s.item.id)
            .collect()
    } else {
        Vec::new()
    };
    let mut after = x.clone();
    after.status = step.to;
    after.department_id = Some(d.id);
    let coop: Vec<Uuid> = cooperating
        .iter()
        .map(|c| c.id)
        .filter(|c| *c != d.id)
        .collect();
    let mut detail = serde_json::json!({
        "department_id": d.id,
        "cooperating": coop,
        "started_on": today,
        "sign_due": cal.add_working_days(today, deadlines.sign_days),
        "return_due": cal.add_working_days(today, deadlines.return_days),
        "finish_due": cal.add_working_days(today, deadlines.finish_days),
    });
    if let (Some(o), Some(e)) = (detail.as_object_mut(), extra.as_object()) {
        o.extend(e.clone());
    }
    if let (Some(o), false) = (detail.as_object_mut(), routed.is_empty()) {
        o.insert("items".into(), serde_json::json!(routed));
    }
    let id = x.id;
    let by = step.action;
    let held = holder(&x, Some(d.id));
    apply(svc, a, &x, after, step, detail, |tx| async move {
        cases::stop_clocks(&tx, KIND, id, &[DECIDE_CLOCK.name], today, by).await?;
        cases::start_clocks(&tx, &cal, KIND, id, &held, &deadlines.clocks(), today).await?;
        repo::set_cooperating(&tx, id, &coop).await?;
        repo::add_items(&tx, id, &routed).await?;
        Ok(tx)
    })
    .await
}

/// 签收: the handling department accepts the clue; the signing clock stops (met or late).
pub async fn sign(svc: &Services, a: &Actor, id: Uuid) -> Result<ClueDetail> {
    let c = svc.store.conn();
    let x = visible(c, a, id).await?;
    ensure_handler(c, a, &x).await?;
    let step = ClueAction::Sign.step(x.status).map_err(refused_by_rule)?;
    let mut after = x.clone();
    after.status = step.to;
    let today = today(svc);
    apply(
        svc,
        a,
        &x,
        after,
        step,
        serde_json::Value::Null,
        |tx| async move {
            cases::stop_clocks(
                &tx,
                KIND,
                id,
                &[SIGN_CLOCK.name],
                today,
                ClueAction::Sign.as_str(),
            )
            .await?;
            Ok(tx)
        },
    )
    .await
}

/// 退回: the department returns a clue that is not its duty, with a reason everyone handling
/// the clue sees, within the return deadline (2 working days from dispatch). Every clock
/// stops; the office reassigns it.
pub async fn return_clue(svc: &Services, a: &Actor, id: Uuid, why: &str) -> Result<ClueDetail> {
    let c = svc.store.conn();
    let x = visible(c, a, id).await?;
    ensure_handler(c, a, &x).await?;
    let why = reason(why).map_err(|e| ServiceError::field("reason", e))?;
    let step = ClueAction::Return
        .step(x.status)
        .map_err(refused_by_rule)?
        .because(why);
    let today = today(svc);
    let window = lianjian_store::cases::clocks_of(c, KIND, id)
        .await?
        .into_iter()
        .find(|k| k.name == RETURN_CLOCK.name);
    if let Some(k) = window.filter(|k| today > k.due) {
        return Err(ServiceError::conflict(
            "status",
            format!("退回期限（{}）已过，请办理或申请延期", k.due),
            format!("the return deadline ({}) has passed", k.due),
        ));
    }
    let mut after = x.clone();
    after.status = step.to;
    apply(
        svc,
        a,
        &x,
        after,
        step,
        serde_json::Value::Null,
        |tx| async move {
            cases::stop_clocks(&tx, KIND, id, &[], today, ClueAction::Return.as_str()).await?;
            Ok(tx)
        },
    )
    .await
}

/// 申请延期: the department asks for `days` more working days (in all at most 10 beyond the
/// 5 of the finishing clock) before the deadline passes, with a reason; the office decides.
pub async fn request_extension(
    svc: &Services,
    a: &Actor,
    id: Uuid,
    days: i64,
    why: &str,
) -> Result<ClueDetail> {
    let c = svc.store.conn();
    let x = visible(c, a, id).await?;
    ensure_handler(c, a, &x).await?;
    let mut ch = Checker::default();
    let days = ch.check("days", rules::extension_days(days));
    let why = ch.check("reason", reason(why));
    ch.finish()?;
    let (days, why) = (days.expect("checked"), why.expect("checked"));
    let step = ClueAction::RequestExtension
        .step(x.status)
        .map_err(refused_by_rule)?
        .because(why);
    let today = today(svc);
    let finish = lianjian_store::cases::clocks_of(c, KIND, id)
        .await?
        .into_iter()
        .find(|k| k.name == FINISH_CLOCK.name && k.stopped_on.is_none());
    if let Some(k) = &finish {
        if today > k.due {
            return Err(ServiceError::conflict(
                "status",
                format!("办结期限（{}）已过，不能再申请延期", k.due),
                format!("the finishing deadline ({}) has passed", k.due),
            ));
        }
        let used = extended_days(c, id).await?;
        if used + days > MAX_EXTENSION_DAYS {
            return Err(ServiceError::field(
                "days",
                Invalid::new(
                    "out_of_range",
                    format!(
                        "已延期 {used} 个工作日，累计延期不能超过 {MAX_EXTENSION_DAYS} 个工作日"
                    ),
                    format!(
                        "already extended by {used}; extensions total at most {MAX_EXTENSION_DAYS} working days"
                    ),
                ),
            ));
        }
    }
    let mut after = x.clone();
    after.status = step.to;
    apply(
        svc,
        a,
        &x,
        after,
        step,
        serde_json::json!({ "days": days }),
        |tx| async move { Ok(tx) },
    )
    .await
}

/// The working days of the extensions approved since the clue was last sent to a department.
async fn extended_days(c: &impl Conn, id: Uuid) -> Result<u32> {
    let mut used = 0;
    for e in cases::timeline(c, KIND, id).await? {
        match ClueAction::parse(&e.action) {
            Ok(ClueAction::Dispatch | ClueAction::Reassign | ClueAction::Decide) => used = 0,
            Ok(ClueAction::ApproveExtension) => {
                used += e
                    .detail
                    .as_deref()
                    .and_then(|d| serde_json::from_str::<serde_json::Value>(d).ok())
                    .and_then(|d| d["days"].as_u64())
                    .and_then(|d| u32::try_from(d).ok())
                    .unwrap_or(0);
            }
            _ => {}
        }
    }
    Ok(used)
}

/// The office's decision on an extension: approved, the finishing deadline moves by the days
/// asked; refused (with a reason), it stays. Either way the clue is handled on.
pub async fn decide_extension(
    svc: &Services,
    a: &Actor,
    id: Uuid,
    approve: bool,
    why: &str,
) -> Result<ClueDetail> {
    let c = svc.store.conn();
    let x = visible(c, a, id).await?;
    ensure_office(a, &x)?;
    let action = if approve {
        ClueAction::ApproveExtension
    } else {
        ClueAction::RefuseExtension
    };
    let mut step = action.step(x.status).map_err(refused_by_rule)?;
    if !approve || !why.trim().is_empty() {
        step = step.because(reason(why).map_err(|e| ServiceError::field("reason", e))?);
    }
    // The days asked: the latest request's.
    let days = cases::timeline(c, KIND, id)
        .await?
        .into_iter()
        .rev()
        .find(|e| e.action == ClueAction::RequestExtension.as_str())
        .and_then(|e| e.detail)
        .and_then(|d| serde_json::from_str::<serde_json::Value>(&d).ok())
        .and_then(|d| d["days"].as_u64())
        .and_then(|d| u32::try_from(d).ok())
        .ok_or_else(|| {
            ServiceError::internal(lianjian_store::StoreError::Corrupt(format!(
                "clue {}: extension requested without days",
                x.code
            )))
        })?;
    let cal = crate::calendar::current(svc).await?;
    let mut after = x.clone();
    after.status = step.to;
    let new_due = lianjian_store::cases::clocks_of(c, KIND, id)
        .await?
        .into_iter()
        .find(|k| k.name == FINISH_CLOCK.name && k.stopped_on.is_none())
        .map(|k| k.extended(&cal, days).due);
    let detail = if approve {
        serde_json::json!({ "days": days, "finish_due": new_due })
    } else {
        serde_json::json!({ "days": days })
    };
    apply(svc, a, &x, after, step, detail, |tx| async move {
        if approve {
            cases::extend_clock(&tx, &cal, KIND, id, FINISH_CLOCK.name, days).await?;
        }
        Ok(tx)
    })
    .await
}

/// The finding (查实情况) a 办结 carries: required for a complaint or report (属实 / 部分属实 /
/// 不属实), refused for the kinds that have nothing to verify (咨询, 求助, 建议).
fn finding_of(x: &Clue, s: &str) -> std::result::Result<Option<Finding>, Invalid> {
    let s = s.trim();
    match (x.kind.takes_finding(), s.is_empty()) {
        (true, true) => Err(Invalid::new(
            "required",
            format!(
                "{}类线索办结时须填写查实情况（属实、部分属实或不属实）",
                x.kind.label_zh()
            ),
            "a complaint or report needs a finding when it is finished",
        )),
        (true, false) => Finding::parse(s).map(Some),
        (false, true) => Ok(None),
        (false, false) => Err(Invalid::new(
            "not_applicable",
            format!("{}类线索无需填写查实情况", x.kind.label_zh()),
            format!("a clue of kind {} takes no finding", x.kind.as_str()),
        )),
    }
}

/// 办结: the department records the result and, for a complaint or report, the finding
/// (查实情况); every clock stops. A verified complaint naming an entity becomes a credit record
/// of kind 查实投诉举报 in the same transaction (`credit::settle_clue`); a clue merged into it is
/// answered with the result but leaves no record of its own (a duplicate is the same fact).
pub async fn finish(
    svc: &Services,
    a: &Actor,
    id: Uuid,
    result: &str,
    finding: &str,
) -> Result<ClueDetail> {
    let c = svc.store.conn();
    let x = visible(c, a, id).await?;
    ensure_handler(c, a, &x).await?;
    let mut ch = Checker::default();
    let result = ch.check("result", rules::result_text(result));
    let finding = ch.check("finding", finding_of(&x, finding));
    ch.finish()?;
    let (result, finding) = (result.expect("checked"), finding.expect("checked"));
    let step = ClueAction::Finish.step(x.status).map_err(refused_by_rule)?;
    let today = today(svc);
    let mut after = x.clone();
    after.status = step.to;
    after.result = Some(result.clone());
    after.finished_at = Some(lianjian_domain::audit::audit_time(svc.now()));
    let merged = repo::merged_into(c, id).await?;
    let code = x.code.clone();
    let finished_at = after.finished_at;
    let actor = a.clone();
    let settled = after.clone();
    let at = lianjian_domain::audit::audit_time(svc.now());
    apply(
        svc,
        a,
        &x,
        after,
        step,
        serde_json::json!({ "result": result, "finding": finding.map(Finding::as_str) }),
        |tx| async move {
            cases::stop_clocks(&tx, KIND, id, &[], today, ClueAction::Finish.as_str()).await?;
            crate::credit::settle_clue(&tx, &actor, &settled, finding, today, at).await?;
            // 并单: every clue merged into this one is answered with its result.
            for m in merged
                .into_iter()
                .filter(|m| m.status == ClueStatus::Merged)
            {
                let step = ClueAction::Finish.step(m.status).map_err(refused_by_rule)?;
                let mut done = m.clone();
                done.status = step.to;
                done.result = Some(result.clone());
                done.finished_at = finished_at;
                apply_on(
                    &tx,
                    &actor,
                    &m,
                    &done,
                    &step,
                    serde_json::json!({ "result": result, "into_code": code }),
                )
                .await?;
            }
            Ok(tx)
        },
    )
    .await
}

/// The server's pass: every dispatched clue not signed by its signing deadline goes to the
/// coordination office (超时未签收 → escalated), one step each, recorded as `system`. Returns
/// how many were escalated.
pub async fn escalate_overdue(svc: &Services) -> Result<usize> {
    let c = svc.store.conn();
    let today = today(svc);
    let actor = cases::server_actor();
    let mut n = 0;
    for id in lianjian_store::cases::running_past_due(c, KIND, SIGN_CLOCK.name, today).await? {
        let Some(x) = repo::get(c, id).await? else {
            continue;
        };
        let Ok(step) = ClueAction::Escalate.step(x.status) else {
            continue;
        };
        let mut after = x.clone();
        after.status = step.to;
        let tx = svc.store.begin().await?;
        if !repo::set_state(&tx, x.id, x.status, &after).await? {
            continue;
        }
        cases::record_step(
            &tx,
            &actor,
            &case_ref(&after),
            &step,
            serde_json::json!({ "department_id": x.department_id }),
        )
        .await?;
        tx.commit().await?;
        n += 1;
    }
    Ok(n)
}
