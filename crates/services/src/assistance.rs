//! Assistance requests (协查/协助, 国办发〔2023〕1号 (十二)–(十四); 鲁 tasks 15–18; issue 17 items
//! 1 and 4) as case work on the shared mechanism (`domain::case`, `services::cases`):
//!
//! - an office or a department asks another region's office (another county, its city, the
//!   province, or the reverse) for help about an entity: [`submit`] starts the 受理 (2 working
//!   days) and 答复 (the requested working days) clocks; the receiving office [`assign`]s it to
//!   one of its departments (or [`refuse`]s it with a reason); the department [`attach`]es
//!   files (evidence log) and [`answer`]s; the requester [`close`]s it or [`reopen`]s it for a
//!   fuller answer; the requester may [`withdraw`] it before the answer;
//! - overdue requests (a red clock) appear in both sides' 已超时 queue, and the server's pass
//!   [`flag_overdue`] records one 超时提醒 step on each, which both offices see on the timeline;
//! - 行刑衔接 (item 4): the police's requests about a case transfer (检验鉴定, 涉案物品保管,
//!   协助检查 …) and the two-way consultations (双向咨询) are the same requests, linked to the
//!   transfer ([`for_transfer`]): entered by the department's staff on the police's behalf,
//!   addressed to and assigned at once to the transfer's department (or, for a question to the
//!   police, answered by the staff as the police answered).
//!
//! Scope (`store::assistance`): either side in the reader's scope. The requesting side sees the
//! request, its status, clocks and the answer, not the receiving side's internal work (which
//! department it went to, reassignments). The procuratorate (检察机关) reads only the requests
//! linked to transfers in its region subtree.

use chrono::{DateTime, NaiveDate, Utc};
use lianjian_domain::Invalid;
use lianjian_domain::account::Role;
use lianjian_domain::assistance::{
    self as rules, ACCEPT, AssistanceAction, AssistanceKind, AssistanceStatus, CLOCK_LABELS, Party,
    Side,
};
use lianjian_domain::case::{CaseKind, Light, Step, reason};
use lianjian_domain::lifecycle::Lifecycle;
use lianjian_domain::region::RegionCode;
use lianjian_domain::scope::{Actor, Scope};
use lianjian_domain::visit::beijing_date;
use lianjian_store::assistance::{self as repo, AssistanceQuery, AssistanceRequest, Change};
use lianjian_store::cases::{CaseEvent, ClockHolder};
use lianjian_store::{Conn, Page, PageRequest};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::cases::{self, CaseRef, ClockView};
use crate::credit::repair::CaseStepView;
use crate::error::Checker;
use crate::{Result, ServiceError, Services};

const KIND: CaseKind = CaseKind::Assistance;
/// The evidence log's record kind for a request's files.
pub const RECORD_KIND: &str = "assistance_request";

// ---- who may ----

/// Who reads requests: staff within their scope; the procuratorate the requests linked to
/// transfers (检察监督).
pub fn may_read(a: &Actor) -> bool {
    let _ = a;
    true
}

/// Who sends a request: the office, a department's administrator or the system administrator
/// acting for a department (never read-only roles).
pub fn may_request(a: &Actor) -> bool {
    matches!(
        a.role,
        Role::SystemAdmin | Role::CoordinationOffice | Role::DepartmentAdmin
    )
}

/// Who assigns or refuses a request addressed to `to_region`: that region's office (its own
/// region, not an ancestor's) or the system administrator.
pub fn may_assign(a: &Actor, to_region: &str) -> bool {
    match a.role {
        Role::SystemAdmin => true,
        Role::CoordinationOffice => a.region.as_str() == to_region,
        _ => false,
    }
}

/// Who answers: the staff of the department it was assigned to, or the receiving office.
pub fn may_answer(a: &Actor, x: &AssistanceRequest) -> bool {
    may_assign(a, &x.to_region)
        || (matches!(a.role, Role::DepartmentAdmin | Role::Inspector)
            && x.to_department_id == Some(a.department_id))
}

/// Who closes, reopens or withdraws: the requesting department's administrator or the office
/// of the requesting region.
pub fn may_conclude(a: &Actor, x: &AssistanceRequest) -> bool {
    match a.role {
        Role::SystemAdmin => true,
        Role::CoordinationOffice => a.region.as_str() == x.from_region,
        Role::DepartmentAdmin => a.department_id == x.from_department_id,
        _ => false,
    }
}

fn allowed(a: &Actor, x: &AssistanceRequest, act: AssistanceAction) -> bool {
    if a.role.is_read_only() {
        return false;
    }
    match act {
        AssistanceAction::Submit | AssistanceAction::FlagOverdue => false,
        AssistanceAction::Assign | AssistanceAction::Reassign | AssistanceAction::Refuse => {
            may_assign(a, &x.to_region)
        }
        AssistanceAction::Attach | AssistanceAction::Answer => may_answer(a, x),
        AssistanceAction::Close | AssistanceAction::Reopen | AssistanceAction::Withdraw => {
            may_conclude(a, x)
        }
    }
}

/// The steps the actor may take on `x` now.
pub fn actions(a: &Actor, x: &AssistanceRequest) -> Vec<AssistanceAction> {
    AssistanceAction::ALL
        .iter()
        .copied()
        .filter(|act| act.step(Some(x.status)).is_ok() && allowed(a, x, *act))
        .collect()
}

// ---- views ----

/// A request as a queue row or the head of its page.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct AssistanceView {
    pub id: Uuid,
    pub code: String,
    pub kind: AssistanceKind,
    pub kind_label: String,
    pub status: AssistanceStatus,
    pub status_label: String,
    /// Where the reader stands.
    pub side: Side,
    pub side_label: String,
    pub from_party: Party,
    /// The requester as shown: the police agency's name, else the department and its region.
    pub from_name: String,
    pub from_region: String,
    pub to_party: Party,
    /// The addressee: the region's office, or the police agency.
    pub to_name: String,
    pub to_region: String,
    /// The department it was assigned to: shown only to the receiving side.
    pub to_department_id: Option<Uuid>,
    pub to_department_name: Option<String>,
    pub transfer_id: Option<Uuid>,
    pub entity_id: Option<Uuid>,
    pub subject: String,
    pub legal_basis: String,
    pub needed: String,
    pub deadline_days: u32,
    pub answer: Option<String>,
    pub outcome: Option<String>,
    pub flagged_overdue: bool,
    pub clocks: Vec<ClockView>,
    /// The worst light of its running clocks.
    pub light: Option<Light>,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
    pub answered_at: Option<DateTime<Utc>>,
}

/// A file sent with the answer (evidence log).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct AttachmentView {
    pub evidence_id: Uuid,
    pub filename: String,
    pub sha256: String,
    pub size: u64,
    pub linked_by: String,
    pub linked_at: DateTime<Utc>,
}

impl From<crate::evidence::LinkedEvidence> for AttachmentView {
    fn from(l: crate::evidence::LinkedEvidence) -> Self {
        Self {
            evidence_id: l.evidence.id,
            filename: l.filename,
            sha256: l.evidence.sha256,
            size: l.evidence.size,
            linked_by: l.linked_by_name,
            linked_at: l.linked_at,
        }
    }
}

/// A request's page.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct AssistanceDetail {
    pub request: AssistanceView,
    pub attachments: Vec<AttachmentView>,
    pub timeline: Vec<CaseStepView>,
    /// Steps the reader may take now.
    pub actions: Vec<AssistanceAction>,
}

fn light_rank(l: Light) -> u8 {
    match l {
        Light::Red => 0,
        Light::Yellow => 1,
        Light::Green => 2,
        Light::Late => 3,
        Light::Met => 4,
    }
}

fn side_of(requesting: bool, receiving: bool) -> Side {
    match (requesting, receiving) {
        (true, true) => Side::Both,
        (false, true) => Side::Receiving,
        _ => Side::Requesting,
    }
}

async fn region_name(c: &impl Conn, code: &str) -> String {
    match RegionCode::parse(code) {
        Ok(r) => lianjian_store::regions::get(c, &r)
            .await
            .ok()
            .flatten()
            .map_or_else(|| code.to_string(), |x| x.name),
        Err(_) => code.to_string(),
    }
}

/// The office that receives for region `code`: a township has none of its own, its county's
/// office acts (舞阳县联席办, not 舞泉镇联席办).
async fn office_name(c: &impl Conn, code: &str) -> String {
    let county: String = code.chars().take(6).collect();
    format!("{}联席办", region_name(c, &county).await)
}

/// A department with the region it stands for, from its own region's lineage
/// (`department::qualified_name`): 县市场监管局 → 舞阳县市场监管局, whatever the region of the
/// user who acted (a township's staff act for the county's bureau).
async fn department_label(c: &impl Conn, d: &lianjian_store::departments::Department) -> String {
    let lineage = lianjian_store::regions::lineage(c, &d.region_code)
        .await
        .unwrap_or_default();
    let named: Vec<(lianjian_domain::region::RegionLevel, &str)> =
        lineage.iter().map(|r| (r.level, r.name.as_str())).collect();
    lianjian_domain::department::qualified_name(&d.name, &named)
}

async fn views(
    svc: &Services,
    c: &impl Conn,
    scope: &Scope,
    xs: Vec<AssistanceRequest>,
) -> Result<Vec<AssistanceView>> {
    let cal = crate::calendar::current(svc).await?;
    let today = beijing_date(svc.now());
    let ids: Vec<Uuid> = xs.iter().map(|x| x.id).collect();
    let mut clocks = cases::clocks_of_many(c, &cal, KIND, &ids, today, &CLOCK_LABELS).await?;
    let mut dept_ids: Vec<Uuid> = xs.iter().map(|x| x.from_department_id).collect();
    dept_ids.extend(xs.iter().filter_map(|x| x.to_department_id));
    let depts = lianjian_store::departments::by_ids(c, &dept_ids).await?;
    let mut out = Vec::with_capacity(xs.len());
    for x in xs {
        let (f, t) = repo::sides(c, scope, x.id).await?;
        let side = side_of(f, t);
        let ks = clocks.remove(&x.id).unwrap_or_default();
        let from_name = match (&x.from_agency, x.from_party) {
            (Some(n), Party::PublicSecurity) => n.clone(),
            _ => match depts.get(&x.from_department_id) {
                Some(d) => department_label(c, d).await,
                None => region_name(c, &x.from_region).await,
            },
        };
        let to_name = match (&x.to_agency, x.to_party) {
            (Some(n), Party::PublicSecurity) => n.clone(),
            _ => office_name(c, &x.to_region).await,
        };
        let internal = side.sees_receiving_internals();
        out.push(AssistanceView {
            id: x.id,
            code: x.code.clone(),
            kind: x.kind,
            kind_label: x.kind.label_zh().into(),
            status: x.status,
            status_label: x.status.label_zh().into(),
            side,
            side_label: side.label_zh().into(),
            from_party: x.from_party,
            from_name,
            from_region: x.from_region.clone(),
            to_party: x.to_party,
            to_name,
            to_region: x.to_region.clone(),
            to_department_id: x.to_department_id.filter(|_| internal),
            to_department_name: x
                .to_department_id
                .filter(|_| internal)
                .and_then(|d| depts.get(&d).map(|d| d.name.clone())),
            transfer_id: x.transfer_id,
            entity_id: x.entity_id,
            subject: x.subject.clone(),
            legal_basis: x.legal_basis.clone(),
            needed: x.needed.clone(),
            deadline_days: x.deadline_days,
            answer: x.answer.clone(),
            outcome: x.outcome.clone(),
            flagged_overdue: x.flagged_overdue,
            light: ks
                .iter()
                .map(|k| k.light)
                .filter(|l| l.is_running())
                .min_by_key(|l| light_rank(*l)),
            clocks: ks,
            created_by: x.created_by.clone(),
            created_at: x.created_at,
            answered_at: x.answered_at,
        });
    }
    Ok(out)
}

/// The timeline as the reader may see it: the requesting side does not see the receiving
/// side's assignments (who got it, why it was reassigned), only that it is being handled.
fn timeline_of(events: Vec<CaseEvent>, side: Side) -> Vec<CaseStepView> {
    events
        .into_iter()
        .filter(|e| side.sees_receiving_internals() || e.action != "reassign")
        .map(|e| {
            let internal = e.action == "assign" && !side.sees_receiving_internals();
            CaseStepView {
                action_label: AssistanceAction::parse(&e.action)
                    .map_or_else(|_| e.action.clone(), |x| x.label_zh().into()),
                from_status: e.from_status.as_deref().map(|s| {
                    AssistanceStatus::parse(s)
                        .map_or_else(|_| s.to_string(), |x| x.label_zh().into())
                }),
                to_status: AssistanceStatus::parse(&e.to_status)
                    .map_or_else(|_| e.to_status.clone(), |x| x.label_zh().into()),
                action: e.action,
                reason: if internal { None } else { e.reason },
                actor: if internal {
                    "受理方联席办".into()
                } else {
                    e.actor_display
                },
                at: e.at,
            }
        })
        .collect()
}

/// The reader's scope for requests: the procuratorate's is limited to transfers' requests.
fn query_for(a: &Actor) -> AssistanceQuery {
    AssistanceQuery {
        transfers_only: a.role == Role::Procuratorate,
        ..Default::default()
    }
}

async fn visible(c: &impl Conn, a: &Actor, id: Uuid) -> Result<AssistanceRequest> {
    let x = repo::get(c, &Scope::of(a), id)
        .await?
        .ok_or(ServiceError::NotFound)?;
    if a.role == Role::Procuratorate && x.transfer_id.is_none() {
        return Err(ServiceError::NotFound);
    }
    Ok(x)
}

/// A request's page: `NotFound` outside the actor's scope.
pub async fn get(svc: &Services, a: &Actor, id: Uuid) -> Result<AssistanceDetail> {
    let c = svc.store.conn();
    let x = visible(c, a, id).await?;
    let scope = Scope::of(a);
    let acts = actions(a, &x);
    let view = views(svc, c, &scope, vec![x]).await?.remove(0);
    let attachments = crate::evidence::links_of(svc, RECORD_KIND, &[id])
        .await?
        .remove(&id)
        .unwrap_or_default()
        .into_iter()
        .map(AttachmentView::from)
        .collect();
    Ok(AssistanceDetail {
        timeline: timeline_of(cases::timeline(c, KIND, id).await?, view.side),
        request: view,
        attachments,
        actions: acts,
    })
}

// ---- queues ----

lianjian_domain::labelled_enum!(queue
    /// The queues of requests.
    AssistanceQueue {
        /// 我方发起.
        Sent = "sent" / "我方发起",
        /// 请求我方.
        Received = "received" / "请求我方",
        /// 待受理.
        Pending = "pending" / "待受理",
        /// 办理中.
        Open = "open" / "办理中",
        /// 已答复 (waiting for the requester).
        Answered = "answered" / "已答复",
        /// 即将超时.
        DueSoon = "due_soon" / "即将超时",
        /// 已超时.
        Overdue = "overdue" / "已超时",
        /// 已办结 (closed, refused, withdrawn).
        Done = "done" / "已办结",
        /// 全部.
        All = "all" / "全部",
    }
);

impl AssistanceQueue {
    fn query(
        self,
        cal: &lianjian_domain::calendar::WorkingDayCalendar,
        today: NaiveDate,
        mut q: AssistanceQuery,
    ) -> AssistanceQuery {
        use AssistanceStatus as S;
        match self {
            AssistanceQueue::Sent => q.requesting = Some(true),
            AssistanceQueue::Received => q.requesting = Some(false),
            AssistanceQueue::Pending => q.statuses = vec![S::Submitted],
            AssistanceQueue::Open => q.statuses = vec![S::Assigned],
            AssistanceQueue::Answered => q.statuses = vec![S::Answered],
            AssistanceQueue::DueSoon => {
                q.due = Some((Some(today), cases::yellow_before(cal, today, 1)));
            }
            AssistanceQueue::Overdue => q.due = Some((None, today)),
            AssistanceQueue::Done => q.statuses = vec![S::Closed, S::Refused, S::Withdrawn],
            AssistanceQueue::All => {}
        }
        q
    }
}

/// Narrows a queue.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema, utoipa::IntoParams)]
pub struct AssistanceFilter {
    /// `inspection`, `document`, `verification`, `enforcement`, `appraisal`, `custody`,
    /// `consultation`.
    pub kind: Option<String>,
    pub transfer_id: Option<Uuid>,
    /// Code, subject or what is needed contains this.
    pub q: Option<String>,
    /// With `answered_to`: only the requests the analysis figures count as answered between
    /// these dates (YYYY-MM-DD, inclusive) — the drill-down of 协查按时答复率.
    pub answered_from: Option<String>,
    pub answered_to: Option<String>,
    /// With the answered dates: only those answered by this receiving department.
    pub department_id: Option<Uuid>,
    /// With the answered dates: only those received within this region (code).
    pub region: Option<String>,
}

/// The drill-down of the analysis figures: the answered period, department and region.
fn answered_in(f: &AssistanceFilter) -> Result<Option<repo::AnsweredIn>> {
    let text = |s: &Option<String>| {
        s.as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
    };
    let (from, to) = (text(&f.answered_from), text(&f.answered_to));
    if from.is_none() && to.is_none() {
        return Ok(None);
    }
    let mut ch = Checker::default();
    let date = |k: &'static str, v: Option<String>| -> std::result::Result<NaiveDate, Invalid> {
        let v = v.unwrap_or_default();
        NaiveDate::parse_from_str(&v, "%Y-%m-%d").map_err(|_| {
            Invalid::new(
                "date",
                format!(
                    "日期“{}”不正确，应为 2026-12-01 这样的格式",
                    v.chars().take(20).collect::<String>()
                ),
                format!("{k} '{v}' is not a date (YYYY-MM-DD)"),
            )
        })
    };
    let from = ch.check("answered_from", date("answered_from", from));
    let to = ch.check("answered_to", date("answered_to", to));
    let region = match text(&f.region) {
        Some(r) => ch.check("region", RegionCode::parse(&r)),
        None => None,
    };
    ch.finish()?;
    Ok(Some(repo::AnsweredIn {
        from: from.expect("checked"),
        to: to.expect("checked"),
        department_id: f.department_id,
        region,
    }))
}

fn filter_query(a: &Actor, f: &AssistanceFilter) -> Result<AssistanceQuery> {
    let mut q = query_for(a);
    q.answered = answered_in(f)?;
    if let Some(k) = f.kind.as_deref().filter(|s| !s.trim().is_empty()) {
        q.kind = Some(AssistanceKind::parse(k).map_err(|e| ServiceError::field("kind", e))?);
    }
    q.transfer_id = f.transfer_id;
    if let Some(s) = f.q.as_deref() {
        if s.chars().count() > 100 {
            return Err(ServiceError::field(
                "q",
                Invalid::new(
                    "too_long",
                    "搜索词至多 100 个字符",
                    "the search is 100 characters at most",
                ),
            ));
        }
        q.q = Some(s.to_string());
    }
    Ok(q)
}

/// A queue of requests within the actor's scope.
pub async fn list(
    svc: &Services,
    a: &Actor,
    queue: AssistanceQueue,
    f: &AssistanceFilter,
    page: PageRequest,
) -> Result<Page<AssistanceView>> {
    let c = svc.store.conn();
    let cal = crate::calendar::current(svc).await?;
    let q = queue.query(&cal, beijing_date(svc.now()), filter_query(a, f)?);
    let scope = Scope::of(a);
    let p = repo::list(c, &scope, &q, page).await?;
    let (total, pg, per) = (p.total, p.page, p.per_page);
    let items = views(svc, c, &scope, p.items).await?;
    Ok(Page {
        items,
        total,
        page: pg,
        per_page: per,
    })
}

/// How many requests each queue holds for the actor.
pub async fn queue_counts(svc: &Services, a: &Actor) -> Result<Vec<(AssistanceQueue, u64)>> {
    let c = svc.store.conn();
    let cal = crate::calendar::current(svc).await?;
    let today = beijing_date(svc.now());
    let scope = Scope::of(a);
    cases::queue_counts(|q: AssistanceQueue| {
        let (q, scope) = (q.query(&cal, today, query_for(a)), &scope);
        async move { Ok(repo::count(c, scope, &q).await?) }
    })
    .await
}

// ---- steps ----

fn case_ref(x: &AssistanceRequest, department: Option<Uuid>) -> CaseRef<'_> {
    CaseRef {
        kind: KIND,
        id: x.id,
        code: &x.code,
        region: x.to_region.as_str(),
        department_id: department,
    }
}

fn refused(e: Invalid) -> ServiceError {
    ServiceError::conflict("status", e.zh, e.en)
}

fn stale(code: &str) -> ServiceError {
    ServiceError::conflict(
        "status",
        format!("协查请求 {code} 的状态刚被他人改变，请刷新后重试"),
        format!("{code} changed meanwhile; reload and retry"),
    )
}

/// Whom the clocks run against: the receiving region and the department that must act.
fn holder(x: &AssistanceRequest, department: Option<Uuid>) -> ClockHolder {
    ClockHolder {
        region_code: x.to_region.clone(),
        department_id: department,
    }
}

async fn prepare(
    svc: &Services,
    a: &Actor,
    id: Uuid,
    act: AssistanceAction,
) -> Result<(AssistanceRequest, Step<AssistanceStatus>)> {
    let x = visible(svc.store.conn(), a, id).await?;
    if !allowed(a, &x, act) {
        return Err(ServiceError::Forbidden);
    }
    let step = act.step(Some(x.status)).map_err(refused)?;
    Ok((x, step))
}

/// Applies `step` on `tx`: the row (compare-and-set), the event and audit entry, and the
/// clocks a final status stops.
async fn apply(
    tx: &lianjian_store::Tx,
    a: &Actor,
    x: &AssistanceRequest,
    step: &Step<AssistanceStatus>,
    change: &Change,
    detail: serde_json::Value,
) -> Result<()> {
    let now = lianjian_domain::audit::audit_time(chrono::Utc::now());
    if !repo::set_state(tx, x.id, x.status, step.to, now, change).await? {
        return Err(stale(&x.code));
    }
    let dept = (!a.department_id.is_nil()).then_some(a.department_id);
    cases::record_step(tx, a, &case_ref(x, dept), step, detail).await?;
    if step.to.is_final() {
        cases::stop_clocks(tx, KIND, x.id, &[], beijing_date(now), step.action).await?;
    }
    Ok(())
}

/// A request as a form or the API sends it.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
pub struct RequestInput {
    /// `inspection` 协助检查, `document` 调取材料, `verification` 协助核查, `enforcement` 协助执法
    /// (also `appraisal`, `custody`, `consultation` for transfers).
    pub kind: String,
    /// The region whose office receives it (another county, the city, the province …).
    pub to_region: String,
    /// The entity concerned (协查对象) as named.
    pub subject: String,
    /// The entity in the directory, if known.
    #[serde(default)]
    pub entity_id: Option<Uuid>,
    /// 法律依据.
    pub legal_basis: String,
    /// 协查事项: what is needed.
    pub needed: String,
    /// 办理时限 in working days (1–60).
    pub deadline_days: String,
    /// The requesting department (the office's own or, for a system administrator, any);
    /// defaults to the actor's.
    #[serde(default)]
    pub department_id: Option<Uuid>,
}

struct Parsed {
    kind: AssistanceKind,
    legal_basis: String,
    needed: String,
    days: u32,
}

fn parse_common(ch: &mut Checker, input: &RequestInput) -> Option<Parsed> {
    let kind = ch.check("kind", AssistanceKind::parse(&input.kind));
    let legal_basis = ch.check("legal_basis", rules::legal_basis(&input.legal_basis));
    let needed = ch.check("needed", rules::needed(&input.needed));
    let days = ch.check("deadline_days", rules::deadline_days(&input.deadline_days));
    Some(Parsed {
        kind: kind?,
        legal_basis: legal_basis?,
        needed: needed?,
        days: days?,
    })
}

async fn next_code(c: &impl Conn, region: &str, now: DateTime<Utc>) -> Result<String> {
    let county: String = region.chars().take(6).collect();
    let prefix = format!("XC-{county}-{}-", beijing_date(now).format("%Y"));
    let n = lianjian_store::clues::next_code_number(c, &prefix).await?;
    Ok(format!("{prefix}{n:05}"))
}

/// 发起协查请求: an office or a department asks another region's office. The 受理 and 答复
/// clocks start today.
pub async fn submit(svc: &Services, a: &Actor, input: &RequestInput) -> Result<AssistanceDetail> {
    submit_on(svc, a, input, beijing_date(svc.now())).await
}

/// [`submit`] with the clocks started on `on` (the demo's requests sent days ago).
pub async fn submit_on(
    svc: &Services,
    a: &Actor,
    input: &RequestInput,
    on: NaiveDate,
) -> Result<AssistanceDetail> {
    if !may_request(a) {
        return Err(ServiceError::Forbidden);
    }
    let c = svc.store.conn();
    let mut ch = Checker::default();
    let parsed = parse_common(&mut ch, input);
    let subject = ch.check("subject", rules::subject(&input.subject));
    // The requesting department: the actor's own (a system administrator names one).
    let dept_id = match (a.role, input.department_id) {
        (Role::SystemAdmin, Some(d)) => d,
        _ => a.department_id,
    };
    let dept = lianjian_store::departments::get(c, dept_id).await?;
    match &dept {
        None => ch.push(
            "department_id",
            Invalid::new(
                "required",
                "请选择发起请求的部门",
                "the requesting department is required",
            ),
        ),
        Some(d) if a.role != Role::SystemAdmin && d.id != a.department_id => ch.push(
            "department_id",
            Invalid::new(
                "not_own_department",
                "只能以本部门名义发起请求",
                "a request is sent in one's own department's name",
            ),
        ),
        _ => {}
    }
    let to_region = match RegionCode::parse(&input.to_region) {
        Ok(r) => match lianjian_store::regions::get(c, &r).await? {
            Some(_) => Some(r),
            None => {
                ch.push(
                    "to_region",
                    Invalid::new(
                        "unknown_region",
                        format!("区划代码“{r}”不存在"),
                        format!("region {r} does not exist"),
                    ),
                );
                None
            }
        },
        Err(e) => {
            ch.push("to_region", e);
            None
        }
    };
    if let (Some(d), Some(r)) = (&dept, &to_region)
        && d.region_code == *r
    {
        ch.push(
            "to_region",
            Invalid::new(
                "same_region",
                "请求对象应为其他地区（其他县区、上级市或省）",
                "a request goes to another region's office",
            ),
        );
    }
    if let Some(e) = input.entity_id
        && lianjian_store::entities::get(c, e).await?.is_none()
    {
        ch.push(
            "entity_id",
            Invalid::new("unknown_entity", "名录中没有该主体", "no such entity"),
        );
    }
    ch.finish()?;
    let (p, subject, dept, to_region) = (
        parsed.expect("checked"),
        subject.expect("checked"),
        dept.expect("checked"),
        to_region.expect("checked"),
    );
    let now = lianjian_domain::audit::audit_time(svc.now());
    let tx = svc.store.begin().await?;
    let x = AssistanceRequest {
        id: Uuid::now_v7(),
        code: next_code(&tx, dept.region_code.as_str(), now).await?,
        kind: p.kind,
        status: AssistanceStatus::Submitted,
        from_party: Party::Agency,
        from_agency: None,
        from_region: dept.region_code.to_string(),
        from_department_id: dept.id,
        to_party: Party::Agency,
        to_agency: None,
        to_region: to_region.to_string(),
        to_department_id: None,
        transfer_id: None,
        entity_id: input.entity_id,
        subject,
        legal_basis: p.legal_basis,
        needed: p.needed,
        deadline_days: p.days,
        answer: None,
        outcome: None,
        flagged_overdue: false,
        created_by: a.username.clone(),
        created_at: now,
        updated_at: now,
        answered_at: None,
    };
    repo::insert(&tx, &x).await?;
    let step = AssistanceAction::Submit.step(None).map_err(refused)?;
    cases::record_step(
        &tx,
        a,
        &case_ref(&x, None),
        &step,
        serde_json::json!({"kind": x.kind.as_str(), "from": x.from_region, "to": x.to_region, "deadline_days": x.deadline_days}),
    )
    .await?;
    let cal = crate::calendar::current(svc).await?;
    cases::start_clocks(
        &tx,
        &cal,
        KIND,
        x.id,
        &holder(&x, None),
        &[ACCEPT, rules::answer_clock(x.deadline_days)],
        on,
    )
    .await?;
    tx.commit().await?;
    get(svc, a, x.id).await
}

async fn receiving_department(
    c: &impl Conn,
    x: &AssistanceRequest,
    department_id: Uuid,
) -> Result<lianjian_store::departments::Department> {
    let d = lianjian_store::departments::get(c, department_id)
        .await?
        .filter(|d| d.region_code.as_str() == x.to_region);
    d.ok_or_else(|| {
        ServiceError::field(
            "department_id",
            Invalid::new(
                "not_receiving_department",
                "只能交办给受理地区的部门",
                "assign to a department of the receiving region",
            ),
        )
    })
}

/// 交办: the receiving office hands the request to one of its departments (受理 clock stops;
/// the 答复 clock now runs against that department).
pub async fn assign(
    svc: &Services,
    a: &Actor,
    id: Uuid,
    department_id: Uuid,
) -> Result<AssistanceDetail> {
    let (x, step) = prepare(svc, a, id, AssistanceAction::Assign).await?;
    let d = receiving_department(svc.store.conn(), &x, department_id).await?;
    let tx = svc.store.begin().await?;
    let today = beijing_date(svc.now());
    apply(
        &tx,
        a,
        &x,
        &step,
        &Change {
            to_department_id: Some(d.id),
            ..Default::default()
        },
        serde_json::json!({"department": d.id, "department_name": d.name}),
    )
    .await?;
    cases::stop_clocks(&tx, KIND, x.id, &["accept"], today, step.action).await?;
    retarget_answer_clock(&tx, &x, d.id).await?;
    tx.commit().await?;
    get(svc, a, id).await
}

/// The running 答复 clock now runs against `department` (its deadline unchanged).
async fn retarget_answer_clock(
    tx: &lianjian_store::Tx,
    x: &AssistanceRequest,
    department: Uuid,
) -> Result<()> {
    if let Some(k) = lianjian_store::cases::clocks_of(tx, KIND, x.id)
        .await?
        .into_iter()
        .find(|k| k.name == "answer" && k.stopped_on.is_none())
    {
        lianjian_store::cases::put_clock(tx, KIND, x.id, &k, &holder(x, Some(department))).await?;
    }
    Ok(())
}

/// 改派: the receiving office gives it to another of its departments, with a reason (seen by
/// the receiving side only).
pub async fn reassign(
    svc: &Services,
    a: &Actor,
    id: Uuid,
    department_id: Uuid,
    why: &str,
) -> Result<AssistanceDetail> {
    let why = reason(why).map_err(|e| ServiceError::field("reason", e))?;
    let (x, step) = prepare(svc, a, id, AssistanceAction::Reassign).await?;
    let d = receiving_department(svc.store.conn(), &x, department_id).await?;
    if x.to_department_id == Some(d.id) {
        return Err(ServiceError::field(
            "department_id",
            Invalid::new(
                "same_department",
                "已交办给该部门",
                "already with that department",
            ),
        ));
    }
    let tx = svc.store.begin().await?;
    apply(
        &tx,
        a,
        &x,
        &step.because(why),
        &Change {
            to_department_id: Some(d.id),
            ..Default::default()
        },
        serde_json::json!({"department": d.id, "department_name": d.name}),
    )
    .await?;
    retarget_answer_clock(&tx, &x, d.id).await?;
    tx.commit().await?;
    get(svc, a, id).await
}

/// 不予协助: the receiving office refuses, with a reason the requester reads; every clock stops.
pub async fn refuse(svc: &Services, a: &Actor, id: Uuid, why: &str) -> Result<AssistanceDetail> {
    let why = reason(why).map_err(|e| ServiceError::field("reason", e))?;
    let (x, step) = prepare(svc, a, id, AssistanceAction::Refuse).await?;
    let tx = svc.store.begin().await?;
    apply(
        &tx,
        a,
        &x,
        &step.because(why.clone()),
        &Change {
            outcome: Some(why),
            ..Default::default()
        },
        serde_json::Value::Null,
    )
    .await?;
    tx.commit().await?;
    get(svc, a, id).await
}

/// 撤回: the requester withdraws before the answer, with a reason; every clock stops.
pub async fn withdraw(svc: &Services, a: &Actor, id: Uuid, why: &str) -> Result<AssistanceDetail> {
    let why = reason(why).map_err(|e| ServiceError::field("reason", e))?;
    let (x, step) = prepare(svc, a, id, AssistanceAction::Withdraw).await?;
    let tx = svc.store.begin().await?;
    apply(
        &tx,
        a,
        &x,
        &step.because(why.clone()),
        &Change {
            outcome: Some(why),
            ..Default::default()
        },
        serde_json::Value::Null,
    )
    .await?;
    tx.commit().await?;
    get(svc, a, id).await
}

/// 补充材料: a file for the answer, stored once in the evidence log (证据互认) and linked to the
/// request; the same file again changes nothing (`false`). Size and type are checked before
/// anything is stored.
pub async fn attach(
    svc: &Services,
    a: &Actor,
    id: Uuid,
    upload: crate::evidence::Upload,
) -> Result<(AssistanceDetail, bool)> {
    let (x, step) = prepare(svc, a, id, AssistanceAction::Attach).await?;
    let filename = upload.filename.clone();
    let ev = crate::evidence::add(svc, a, upload).await?;
    let linked = crate::evidence::links_of(svc, RECORD_KIND, &[id])
        .await?
        .remove(&id)
        .unwrap_or_default();
    if linked.iter().any(|l| l.evidence.sha256 == ev.sha256) {
        return Ok((get(svc, a, id).await?, false));
    }
    let tx = svc.store.begin().await?;
    // A staff member links it as their department's; the office's system administrator (no
    // department) where the request is handled.
    if a.department_id.is_nil() {
        let r = RegionCode::parse(&x.to_region).map_err(|e| ServiceError::field("to_region", e))?;
        crate::evidence::link_unassigned(&tx, ev.id, RECORD_KIND, id, &filename, &r, a).await?;
    } else {
        crate::evidence::link(&tx, ev.id, RECORD_KIND, id, &filename, a.department_id, a).await?;
    }
    apply(
        &tx,
        a,
        &x,
        &step,
        &Change::default(),
        serde_json::json!({"file": filename, "sha256": ev.sha256}),
    )
    .await?;
    tx.commit().await?;
    Ok((get(svc, a, id).await?, true))
}

/// 答复: the assigned department (or the receiving office) answers; the files attached before
/// go with it, and `evidence_ids` (files already in the evidence log) are linked too. The 答复
/// clock stops: met or late.
pub async fn answer(
    svc: &Services,
    a: &Actor,
    id: Uuid,
    text: &str,
    evidence_ids: &[Uuid],
) -> Result<AssistanceDetail> {
    let text = rules::answer(text).map_err(|e| ServiceError::field("answer", e))?;
    if evidence_ids.len() > 20 {
        return Err(ServiceError::field(
            "evidence_ids",
            Invalid::new("too_many", "至多附 20 个文件", "20 files at most"),
        ));
    }
    let (x, step) = prepare(svc, a, id, AssistanceAction::Answer).await?;
    let c = svc.store.conn();
    let mut files = Vec::new();
    for (i, e) in evidence_ids.iter().enumerate() {
        match lianjian_store::evidence::get(c, *e).await? {
            Some(ev) => files.push(ev),
            None => {
                return Err(ServiceError::field(
                    "evidence_ids",
                    Invalid::new(
                        "unknown_evidence",
                        format!("第 {} 个文件（{e}）不在证据库中", i + 1),
                        format!("file {} ({e}) is not in the evidence log", i + 1),
                    ),
                ));
            }
        }
    }
    let already: Vec<Uuid> = crate::evidence::links_of(svc, RECORD_KIND, &[id])
        .await?
        .remove(&id)
        .unwrap_or_default()
        .iter()
        .map(|l| l.evidence.id)
        .collect();
    let now = lianjian_domain::audit::audit_time(svc.now());
    let tx = svc.store.begin().await?;
    for ev in files.iter().filter(|e| !already.contains(&e.id)) {
        let name = format!("{}.{}", &ev.sha256[..12], ext_of(&ev.media_type));
        if a.department_id.is_nil() {
            let r =
                RegionCode::parse(&x.to_region).map_err(|e| ServiceError::field("to_region", e))?;
            crate::evidence::link_unassigned(&tx, ev.id, RECORD_KIND, id, &name, &r, a).await?;
        } else {
            crate::evidence::link(&tx, ev.id, RECORD_KIND, id, &name, a.department_id, a).await?;
        }
    }
    apply(
        &tx,
        a,
        &x,
        &step,
        &Change {
            answer: Some(text),
            answered_at: Some(now),
            ..Default::default()
        },
        serde_json::json!({"files": files.iter().map(|e| &e.sha256).collect::<Vec<_>>()}),
    )
    .await?;
    cases::stop_clocks(
        &tx,
        KIND,
        x.id,
        &["accept", "answer"],
        beijing_date(now),
        step.action,
    )
    .await?;
    tx.commit().await?;
    get(svc, a, id).await
}

pub(crate) fn ext_of(media_type: &str) -> &'static str {
    match media_type {
        "application/pdf" => "pdf",
        "image/jpeg" => "jpg",
        "image/png" => "png",
        _ => "bin",
    }
}

/// 确认办结: the requester accepts the answer.
pub async fn close(svc: &Services, a: &Actor, id: Uuid) -> Result<AssistanceDetail> {
    let (x, step) = prepare(svc, a, id, AssistanceAction::Close).await?;
    let tx = svc.store.begin().await?;
    apply(
        &tx,
        a,
        &x,
        &step,
        &Change::default(),
        serde_json::Value::Null,
    )
    .await?;
    tx.commit().await?;
    get(svc, a, id).await
}

/// 要求补充答复: the requester finds the answer wanting (reason mandatory); the assigned
/// department answers again within a new 答复 clock of the original length.
pub async fn reopen(svc: &Services, a: &Actor, id: Uuid, why: &str) -> Result<AssistanceDetail> {
    let why = reason(why).map_err(|e| ServiceError::field("reason", e))?;
    let (x, step) = prepare(svc, a, id, AssistanceAction::Reopen).await?;
    let tx = svc.store.begin().await?;
    apply(
        &tx,
        a,
        &x,
        &step.because(why),
        &Change::default(),
        serde_json::Value::Null,
    )
    .await?;
    let cal = crate::calendar::current(svc).await?;
    cases::start_clocks(
        &tx,
        &cal,
        KIND,
        x.id,
        &holder(&x, x.to_department_id),
        &[rules::answer_clock(x.deadline_days)],
        beijing_date(svc.now()),
    )
    .await?;
    tx.commit().await?;
    get(svc, a, id).await
}

/// The server's pass (every ten minutes with `lianjian serve`): each request with a red
/// 受理 or 答复 clock gets one 超时提醒 step (by `system`), which both sides' offices see in
/// their 已超时 queue and on the timeline. Returns how many were flagged.
pub async fn flag_overdue(svc: &Services) -> Result<usize> {
    let c = svc.store.conn();
    let today = beijing_date(svc.now());
    let sys = cases::server_actor();
    let mut n = 0;
    for x in repo::overdue_unflagged(c, today, 500).await? {
        let Ok(step) = AssistanceAction::FlagOverdue.step(Some(x.status)) else {
            continue;
        };
        let tx = svc.store.begin().await?;
        match apply(
            &tx,
            &sys,
            &x,
            &step,
            &Change {
                flagged_overdue: Some(true),
                ..Default::default()
            },
            serde_json::json!({"from_region": x.from_region, "to_region": x.to_region}),
        )
        .await
        {
            Ok(()) => {
                tx.commit().await?;
                n += 1;
            }
            // Changed meanwhile: the next pass looks again.
            Err(ServiceError::Conflict { .. }) => {}
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}

// ---- 行刑衔接: requests and consultations about a case transfer ----

/// A request or a consultation about a case transfer, entered by the department's staff.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
pub struct TransferRequestInput {
    /// `appraisal` 检验鉴定, `custody` 涉案物品保管, `inspection` 协助检查, `verification`,
    /// `document`, `consultation` 咨询.
    pub kind: String,
    /// `public_security`: the police ask the department (entered on their behalf);
    /// `agency`: the department asks the police (a consultation).
    pub from_party: String,
    pub legal_basis: String,
    /// What is needed, or the question.
    pub needed: String,
    pub deadline_days: String,
}

/// Who enters the police's requests and the consultations of a transfer made by
/// `transfer_department`: that department's administrator (who deals with the police on the
/// case), the office and the system administrator; never read-only roles.
pub fn may_request_for_transfer(a: &Actor, transfer_department: Uuid) -> bool {
    !a.role.is_read_only()
        && (matches!(a.role, Role::SystemAdmin | Role::CoordinationOffice)
            || (a.role == Role::DepartmentAdmin && a.department_id == transfer_department))
}

/// 公安机关提请协助 / 双向咨询: a request linked to transfer `transfer_id`, between the police
/// (the transfer's receiving agency) and the transfer's department. It is assigned at once
/// (there is no office in between): to the department when the police ask, to the department
/// as the police's recorder when the department asks.
pub async fn for_transfer(
    svc: &Services,
    a: &Actor,
    transfer_id: Uuid,
    input: &TransferRequestInput,
) -> Result<AssistanceDetail> {
    let t = crate::follow_ups::get_transfer(svc, a, transfer_id).await?;
    if !may_request_for_transfer(a, t.department_id) {
        return Err(ServiceError::Forbidden);
    }
    let mut ch = Checker::default();
    let common = RequestInput {
        kind: input.kind.clone(),
        to_region: t.region_code.clone(),
        legal_basis: input.legal_basis.clone(),
        needed: input.needed.clone(),
        deadline_days: input.deadline_days.clone(),
        ..Default::default()
    };
    let p = parse_common(&mut ch, &common);
    let from = ch.check("from_party", Party::parse(&input.from_party));
    ch.finish()?;
    let (p, from) = (p.expect("checked"), from.expect("checked"));
    let c = svc.store.conn();
    let entity = lianjian_store::entities::get(c, t.entity_id).await?;
    let subject = entity.map_or_else(|| t.code.clone(), |e| e.name);
    let police = Some(t.agency.clone());
    let (from_agency, to_party, to_agency) = match from {
        Party::PublicSecurity => (police, Party::Agency, None),
        Party::Agency => (None, Party::PublicSecurity, police),
    };
    let now = lianjian_domain::audit::audit_time(svc.now());
    let tx = svc.store.begin().await?;
    let x = AssistanceRequest {
        id: Uuid::now_v7(),
        code: next_code(&tx, &t.region_code, now).await?,
        kind: p.kind,
        status: AssistanceStatus::Submitted,
        from_party: from,
        from_agency,
        from_region: t.region_code.clone(),
        from_department_id: t.department_id,
        to_party,
        to_agency,
        to_region: t.region_code.clone(),
        to_department_id: None,
        transfer_id: Some(t.id),
        entity_id: Some(t.entity_id),
        subject: rules::subject(&subject).unwrap_or_else(|_| t.code.clone()),
        legal_basis: p.legal_basis,
        needed: p.needed,
        deadline_days: p.days,
        answer: None,
        outcome: None,
        flagged_overdue: false,
        created_by: a.username.clone(),
        created_at: now,
        updated_at: now,
        answered_at: None,
    };
    repo::insert(&tx, &x).await?;
    let dept = (!a.department_id.is_nil()).then_some(a.department_id);
    let open = AssistanceAction::Submit.step(None).map_err(refused)?;
    cases::record_step(
        &tx,
        a,
        &case_ref(&x, dept),
        &open,
        serde_json::json!({"kind": x.kind.as_str(), "transfer": t.code, "from_party": x.from_party.as_str()}),
    )
    .await?;
    let cal = crate::calendar::current(svc).await?;
    let today = beijing_date(now);
    cases::start_clocks(
        &tx,
        &cal,
        KIND,
        x.id,
        &holder(&x, Some(t.department_id)),
        &[rules::answer_clock(x.deadline_days)],
        today,
    )
    .await?;
    let assign = AssistanceAction::Assign
        .step(Some(AssistanceStatus::Submitted))
        .map_err(refused)?;
    apply(
        &tx,
        a,
        &x,
        &assign,
        &Change {
            to_department_id: Some(t.department_id),
            ..Default::default()
        },
        serde_json::json!({"department": t.department_id, "transfer": t.code}),
    )
    .await?;
    tx.commit().await?;
    get(svc, a, x.id).await
}

/// The requests and consultations of a transfer, for its page.
pub async fn of_transfer(
    svc: &Services,
    a: &Actor,
    transfer_id: Uuid,
) -> Result<Vec<AssistanceView>> {
    let f = AssistanceFilter {
        transfer_id: Some(transfer_id),
        ..Default::default()
    };
    Ok(list(
        svc,
        a,
        AssistanceQueue::All,
        &f,
        PageRequest::new(Some(1), Some(100)),
    )
    .await?
    .items)
}

pub use crate::follow_ups::{TransferDecisionView, transfer_decision};

// ---- demo (issue 17 item 7) ----

/// The demo's linkage work: 临颍县 (the neighbouring county of 漯河市) with its office
/// `ly.office` and market bureau `ly.market`; a request from 舞阳 to 临颍 answered with a file
/// from the evidence log and closed; one from 临颍 to 舞阳 sent five working days ago with a
/// two-day deadline, overdue and flagged to both offices; a case transfer accepted by the
/// police (立案, with its date and document number), the police's request for an appraisal
/// (检验鉴定) waiting for the market bureau, and a consultation answered; the county
/// procuratorate's read-only account `wy.jiancha`.
pub async fn seed_demo(svc: &Services) -> Result<()> {
    use crate::accounts::{self, UserInput};
    let sys = crate::cli_actor();
    let c = svc.store.conn();
    let ly = RegionCode::parse("411122").map_err(|e| ServiceError::field("region", e))?;
    if lianjian_store::departments::find_by_name(c, &ly, "县市场监管局")
        .await?
        .is_none()
    {
        crate::departments::copy_builtin_set(
            svc,
            &sys,
            lianjian_domain::department::WUYANG_17.key,
            "411122",
        )
        .await?;
    }
    let ly_market = lianjian_store::departments::find_by_name(c, &ly, "县市场监管局")
        .await?
        .ok_or(ServiceError::NotFound)?;
    let wy = RegionCode::parse("411121").map_err(|e| ServiceError::field("region", e))?;
    let procuratorate =
        match lianjian_store::departments::find_by_name(c, &wy, "县人民检察院").await? {
            Some(d) => d.id,
            None => {
                crate::departments::create(
                    svc,
                    &sys,
                    crate::departments::DepartmentInput {
                        region_code: "411121".into(),
                        name: "县人民检察院".into(),
                        line: "procuratorate".into(),
                    },
                )
                .await?
                .id
            }
        };
    for (username, name, role, dept) in [
        (
            "ly.office",
            "临颍县专班办",
            "coordination_office",
            ly_market.id,
        ),
        (
            "ly.market",
            "临颍县市场监管局管理员",
            "department_admin",
            ly_market.id,
        ),
        (
            "wy.jiancha",
            "舞阳县人民检察院（检察监督）",
            "procuratorate",
            procuratorate,
        ),
    ] {
        accounts::create_user(
            svc,
            &sys,
            UserInput {
                username: username.into(),
                display_name: name.into(),
                role: role.into(),
                department_id: dept.to_string(),
                password: crate::demo_content::DEMO_PASSWORD.into(),
                ..Default::default()
            },
        )
        .await?;
    }
    let wy_office = accounts::actor_of_user(svc, "wy.office").await?;
    let wy_market = accounts::actor_of_user(svc, "wy.market").await?;
    let ly_office = accounts::actor_of_user(svc, "ly.office").await?;
    let ly_market_admin = accounts::actor_of_user(svc, "ly.market").await?;

    // 舞阳 → 临颍, answered with evidence and closed.
    let r = submit(
        svc,
        &wy_office,
        &RequestInput {
            kind: "verification".into(),
            to_region: "411122".into(),
            subject: "临颍县某食品有限公司（舞阳县超市所售辣条的生产商）".into(),
            legal_basis: "《市场监督管理行政处罚程序规定》第十五条；《食品安全法》第一百一十条".into(),
            needed: "舞阳县抽检的辣条（批号 20261102）菌落总数超标，请协助核查生产商该批次的出厂检验记录和原料进货查验记录，并提供复印件。".into(),
            deadline_days: "10".into(),
            ..Default::default()
        },
    )
    .await?;
    let id = r.request.id;
    assign(svc, &ly_office, id, ly_market.id).await?;
    attach(
        svc,
        &ly_market_admin,
        id,
        crate::evidence::Upload {
            filename: "出厂检验记录（批号20261102）.pdf".into(),
            media_type: Some("application/pdf".into()),
            bytes: crate::demo_content::one_page_pdf(&[
                "Factory inspection record, batch 20261102",
                "Linying County Market Supervision (demo)",
            ]),
        },
    )
    .await?;
    answer(
        svc,
        &ly_market_admin,
        id,
        "经现场核查，该企业批号 20261102 辣条出厂检验记录齐全，菌落总数自检合格；原料进货查验记录见附件。已责令企业对同批次产品自查并召回。",
        &[],
    )
    .await?;
    close(svc, &wy_office, id).await?;

    // 临颍 → 舞阳, five working days ago with a two-day deadline: overdue and flagged.
    let cal = crate::calendar::current(svc).await?;
    let today = beijing_date(svc.now());
    let mut five_ago = today;
    while cal.working_days_between(five_ago, today) < 5 {
        five_ago = five_ago.pred_opt().unwrap_or(five_ago);
    }
    submit_on(
        svc,
        &ly_office,
        &RequestInput {
            kind: "document".into(),
            to_region: "411121".into(),
            subject: "舞阳县某药店".into(),
            legal_basis: "《药品管理法》第一百条".into(),
            needed: "请提供该药店 2026 年度双随机抽查记录及整改情况。".into(),
            deadline_days: "2".into(),
            ..Default::default()
        },
        five_ago,
    )
    .await?;
    flag_overdue(svc).await?;

    // 行刑衔接: a transfer of a started visit of the market bureau, accepted by the police.
    let visits = crate::visits::list(
        svc,
        &wy_market,
        &Default::default(),
        PageRequest::new(Some(1), Some(100)),
    )
    .await?;
    let Some(v) = visits
        .items
        .iter()
        .map(|x| &x.visit)
        .find(|v| !matches!(v.status.as_str(), "scheduled" | "cancelled"))
    else {
        return Ok(());
    };
    let t = crate::follow_ups::transfer(
        svc,
        &wy_market,
        v.id,
        &crate::follow_ups::TransferSpec {
            department_id: None,
            agency: "舞阳县公安局".into(),
            facts: "检查发现该主体销售的药品涉嫌为假药，货值金额较大，涉嫌生产、销售假药罪".into(),
        },
    )
    .await?;
    crate::follow_ups::transfer_feedback(
        svc,
        &wy_market,
        t.id,
        true,
        "经审查，认为有犯罪事实需要追究刑事责任，决定立案侦查",
        &crate::follow_ups::TransferDecisionInput {
            decided_on: Some(today.to_string()),
            document_no: Some("舞公（食药）立字〔2026〕12号".into()),
        },
    )
    .await?;
    for_transfer(
        svc,
        &wy_market,
        t.id,
        &TransferRequestInput {
            kind: "appraisal".into(),
            from_party: "public_security".into(),
            legal_basis: "《行政执法机关移送涉嫌犯罪案件的规定》第八条".into(),
            needed: "请对移送时扣押的 12 盒涉案药品出具检验报告（送省药品检验所检验）。".into(),
            deadline_days: "15".into(),
        },
    )
    .await?;
    let q = for_transfer(
        svc,
        &wy_market,
        t.id,
        &TransferRequestInput {
            kind: "consultation".into(),
            from_party: "agency".into(),
            legal_basis: "《关于加强行政执法与刑事司法衔接工作的意见》".into(),
            needed: "涉案药品在检验期间由哪一方保管？".into(),
            deadline_days: "3".into(),
        },
    )
    .await?;
    answer(
        svc,
        &wy_market,
        q.request.id,
        "舞阳县公安局答复：检验期间由县市场监管局暂存，检验后移交公安机关涉案财物管理中心。",
        &[],
    )
    .await?;
    Ok(())
}
