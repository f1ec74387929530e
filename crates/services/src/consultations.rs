//! Consultations (议事会商, 国办发〔2023〕1号 (十二)–(十四); 鲁 tasks 15–18; issue 17 item 3) as
//! case work on the shared mechanism (`domain::case`, `services::cases`):
//!
//! - an office or a department [`convene`]s a consultation: title, topic, participants
//!   (departments, optionally named staff), agenda, date and place, materials (files already
//!   in the evidence log, 证据互认), optionally the warning, assistance request or case
//!   transfer that prompted it; the convener [`attach`]es more materials, records that it
//!   was [`hold`] (召开), or [`cancel`]s it with a reason;
//! - [`finalise`] writes the minutes (会商纪要) and the decisions; each decision becomes one or
//!   more tasks (会商任务), one per owner department, with a deadline in working days on the
//!   calendar from that day — the same deadline clock as a sanction's feedback task
//!   (`ClockSpec::deadline`), yellow two working days before, red after;
//! - the owner department [`report`]s a task done with its report and evidence (the rule of
//!   who may is the sanctions' [`may_feed_back`]); the office chases a running task
//!   ([`supervise`], 督办) and the server's pass [`escalate_overdue`] records one 超时上报 step on
//!   each task past its deadline, which puts it in the office's 已上报 queue; the consultation
//!   is 已办结 when its last task is done, in the same transaction;
//! - the consultation's page shows its tasks' progress (done / running / overdue).
//!
//! Scope (`store::consultations`): the convener's side and the participants' departments; an
//! office its region subtree; no one else — a department not taking part gets 404.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use lianjian_domain::Invalid;
use lianjian_domain::account::Role;
use lianjian_domain::case::{CaseKind, Light, Step, reason};
use lianjian_domain::consultation::{
    self as rules, ConsultationAction, ConsultationStatus, ConsultationTaskAction,
    ConsultationTaskStatus, LinkKind, MAX_PARTIES, TASK_CLOCKS,
};
use lianjian_domain::lifecycle::Lifecycle;
use lianjian_domain::region::RegionCode;
use lianjian_domain::scope::{Actor, Scope};
use lianjian_domain::visit::beijing_date;
use lianjian_store::cases::{CaseEvent, ClockHolder};
use lianjian_store::consultations::{
    self as repo, Change, Consultation, ConsultationQuery, Decision, Participant, Task, TaskQuery,
};
use lianjian_store::departments::Department;
use lianjian_store::{Conn, Page, PageRequest};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

pub use crate::assistance::AttachmentView;
use crate::cases::{self, CaseRef, CaseStepView, ClockView};
pub use crate::credit::sanctions::may_feed_back;
use crate::error::Checker;
use crate::{Result, ServiceError, Services};

const KIND: CaseKind = CaseKind::Consultation;
const TASK: CaseKind = CaseKind::ConsultTask;
/// The evidence log's record kinds for a consultation's materials and a task's files.
pub const RECORD_KIND: &str = "consultation";
pub const TASK_RECORD_KIND: &str = "consultation_task";
/// Files a step may link at once.
const MAX_FILES: usize = 20;

// ---- who may ----

/// Who convenes (发起会商): the office, a department's administrators (not inspectors, not the
/// read-only roles); a convener acts for a department.
pub fn may_convene(a: &Actor) -> bool {
    matches!(
        a.role,
        Role::SystemAdmin | Role::CoordinationOffice | Role::DepartmentAdmin
    ) && !a.department_id.is_nil()
}

/// Whether the actor is a coordination office (or the system administrator) whose region
/// holds `region`: it chases and receives escalated tasks there, and runs any consultation
/// convened there.
pub fn is_office_over(a: &Actor, region: &str) -> bool {
    matches!(a.role, Role::SystemAdmin | Role::CoordinationOffice)
        && RegionCode::parse(region).is_ok_and(|r| {
            a.full_scope()
                .region
                .as_ref()
                .is_none_or(|mine| r.is_within(mine))
        })
}

/// Who runs a consultation (records the meeting, finalises the minutes, cancels): the
/// convening department's administrators, or the office over its region. One the office
/// convened is the office's alone (its host department's administrators do not run it).
pub fn may_run(a: &Actor, x: &Consultation) -> bool {
    (!x.by_office && a.role == Role::DepartmentAdmin && a.department_id == x.convener_department_id)
        || is_office_over(a, &x.region_code)
}

fn allowed(a: &Actor, x: &Consultation, parts: &[Participant], act: ConsultationAction) -> bool {
    match act {
        // Participants' administrators add materials too.
        ConsultationAction::Attach => {
            may_run(a, x)
                || (a.role == Role::DepartmentAdmin
                    && parts.iter().any(|p| p.department_id == a.department_id))
        }
        ConsultationAction::Convene => false,
        // Closing follows the last task; no one closes by hand.
        ConsultationAction::Close => false,
        _ => may_run(a, x),
    }
}

/// The steps the actor may take on a consultation now.
pub fn actions(a: &Actor, x: &Consultation, parts: &[Participant]) -> Vec<ConsultationAction> {
    ConsultationAction::ALL
        .iter()
        .copied()
        .filter(|act| allowed(a, x, parts, *act) && act.step(Some(x.status)).is_ok())
        .collect()
}

// ---- views ----

/// How far a consultation's tasks are.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Progress {
    pub total: u32,
    pub done: u32,
    pub running: u32,
    /// Running past their deadline.
    pub overdue: u32,
}

/// A consultation as queues and its page show it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ConsultationView {
    pub id: Uuid,
    pub code: String,
    pub title: String,
    pub topic: String,
    pub agenda: String,
    pub place: String,
    pub meets_at: DateTime<Utc>,
    pub status: ConsultationStatus,
    pub status_label: String,
    pub region_code: String,
    /// The convening department (or the office, `by_office`).
    pub convener: String,
    pub convener_department_id: Uuid,
    pub by_office: bool,
    pub link_kind: Option<LinkKind>,
    pub link_label: Option<String>,
    pub link_id: Option<Uuid>,
    pub progress: Progress,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ParticipantView {
    pub department_id: Uuid,
    pub department: String,
    pub region_code: String,
    pub attendees: Option<String>,
}

/// A task as queues and pages show it, with its clock.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[schema(as = ConsultationTaskView)]
pub struct TaskView {
    pub id: Uuid,
    pub code: String,
    pub consultation_id: Uuid,
    pub consultation_code: String,
    pub consultation_title: String,
    /// The decision's number in the minutes (1, 2 …).
    pub decision_seq: i32,
    pub department_id: Uuid,
    pub department: String,
    pub description: String,
    pub deadline_days: u32,
    pub status: ConsultationTaskStatus,
    pub status_label: String,
    pub report: Option<String>,
    pub supervised: i32,
    pub escalated: bool,
    pub clocks: Vec<ClockView>,
    pub created_at: DateTime<Utc>,
    pub done_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct DecisionView {
    pub seq: i32,
    pub text: String,
    pub tasks: Vec<TaskView>,
}

/// A consultation's page.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ConsultationDetail {
    pub consultation: ConsultationView,
    pub minutes: Option<String>,
    /// Why it was cancelled.
    pub outcome: Option<String>,
    pub participants: Vec<ParticipantView>,
    pub decisions: Vec<DecisionView>,
    pub materials: Vec<AttachmentView>,
    pub timeline: Vec<CaseStepView>,
    pub actions: Vec<ConsultationAction>,
}

/// A task's page.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[schema(as = ConsultationTaskDetail)]
pub struct TaskDetail {
    pub task: TaskView,
    pub decision: String,
    pub files: Vec<AttachmentView>,
    pub timeline: Vec<CaseStepView>,
    pub actions: Vec<ConsultationTaskAction>,
}

fn today(svc: &Services) -> NaiveDate {
    beijing_date(svc.now())
}

pub(crate) async fn department_names(
    c: &impl Conn,
    ids: impl IntoIterator<Item = Uuid>,
) -> Result<HashMap<Uuid, String>> {
    let ids: Vec<Uuid> = ids.into_iter().collect();
    Ok(lianjian_store::departments::by_ids(c, &ids)
        .await?
        .into_iter()
        .map(|(id, d)| (id, d.name))
        .collect())
}

fn progress_of(tasks: &[Task], clocks: &HashMap<Uuid, Vec<ClockView>>) -> Progress {
    let mut p = Progress::default();
    for t in tasks {
        p.total += 1;
        if t.status == ConsultationTaskStatus::Done {
            p.done += 1;
        } else {
            p.running += 1;
            if clocks
                .get(&t.id)
                .is_some_and(|ks| ks.iter().any(|k| k.light == Light::Red))
            {
                p.overdue += 1;
            }
        }
    }
    p
}

async fn views(
    svc: &Services,
    c: &impl Conn,
    xs: Vec<Consultation>,
) -> Result<Vec<ConsultationView>> {
    let cal = crate::calendar::current(svc).await?;
    let today = today(svc);
    let names = department_names(c, xs.iter().map(|x| x.convener_department_id)).await?;
    let mut out = Vec::with_capacity(xs.len());
    for x in xs {
        let tasks = repo::tasks_of(c, x.id).await?;
        let ids: Vec<Uuid> = tasks.iter().map(|t| t.id).collect();
        let clocks = cases::clocks_of_many(c, &cal, TASK, &ids, today, &TASK_CLOCKS).await?;
        let dept = names
            .get(&x.convener_department_id)
            .cloned()
            .unwrap_or_else(|| "（已删除的部门）".into());
        out.push(ConsultationView {
            progress: progress_of(&tasks, &clocks),
            convener: if x.by_office {
                format!("{}（专班办）", region_name(c, &x.region_code).await)
            } else {
                dept
            },
            id: x.id,
            code: x.code,
            title: x.title,
            topic: x.topic,
            agenda: x.agenda,
            place: x.place,
            meets_at: x.meets_at,
            status_label: x.status.label_zh().to_string(),
            status: x.status,
            region_code: x.region_code,
            convener_department_id: x.convener_department_id,
            by_office: x.by_office,
            link_label: x.link_kind.map(|k| k.label_zh().to_string()),
            link_kind: x.link_kind,
            link_id: x.link_id,
            created_by: x.created_by,
            created_at: x.created_at,
        });
    }
    Ok(out)
}

pub(crate) async fn region_name(c: &impl Conn, code: &str) -> String {
    let Ok(r) = RegionCode::parse(code) else {
        return code.to_string();
    };
    match lianjian_store::regions::get(c, &r).await {
        Ok(Some(r)) => r.name,
        _ => code.to_string(),
    }
}

async fn task_views(svc: &Services, c: &impl Conn, ts: Vec<Task>) -> Result<Vec<TaskView>> {
    let cal = crate::calendar::current(svc).await?;
    let today = today(svc);
    let names = department_names(c, ts.iter().map(|t| t.department_id)).await?;
    let ids: Vec<Uuid> = ts.iter().map(|t| t.id).collect();
    let mut clocks = cases::clocks_of_many(c, &cal, TASK, &ids, today, &TASK_CLOCKS).await?;
    let mut heads: HashMap<Uuid, (String, String, HashMap<Uuid, i32>)> = HashMap::new();
    let mut out = Vec::with_capacity(ts.len());
    for t in ts {
        if !heads.contains_key(&t.consultation_id) {
            let x = repo::get(c, &Scope::system(), t.consultation_id).await?;
            let seqs = repo::decisions_of(c, t.consultation_id)
                .await?
                .into_iter()
                .map(|d| (d.id, d.seq))
                .collect();
            heads.insert(
                t.consultation_id,
                x.map_or_else(
                    || (String::new(), String::new(), HashMap::new()),
                    |x| (x.code, x.title, seqs),
                ),
            );
        }
        let (code, title, seqs) = &heads[&t.consultation_id];
        out.push(TaskView {
            consultation_code: code.clone(),
            consultation_title: title.clone(),
            decision_seq: seqs.get(&t.decision_id).copied().unwrap_or(0),
            department: names
                .get(&t.department_id)
                .cloned()
                .unwrap_or_else(|| "（已删除的部门）".into()),
            clocks: clocks.remove(&t.id).unwrap_or_default(),
            id: t.id,
            code: t.code,
            consultation_id: t.consultation_id,
            department_id: t.department_id,
            description: t.description,
            deadline_days: t.deadline_days,
            status_label: t.status.label_zh().to_string(),
            status: t.status,
            report: t.report,
            supervised: t.supervised,
            escalated: t.escalated,
            created_at: t.created_at,
            done_at: t.done_at,
        });
    }
    Ok(out)
}

fn timeline_of<S: Lifecycle>(
    events: Vec<CaseEvent>,
    label: impl Fn(&str) -> Option<&'static str> + Copy,
) -> Vec<CaseStepView> {
    events
        .into_iter()
        .map(|e| CaseStepView::of::<S>(e, label))
        .collect()
}

async fn files_of(svc: &Services, kind: &str, id: Uuid) -> Result<Vec<AttachmentView>> {
    Ok(crate::evidence::links_of(svc, kind, &[id])
        .await?
        .remove(&id)
        .unwrap_or_default()
        .into_iter()
        .map(AttachmentView::from)
        .collect())
}

async fn visible(c: &impl Conn, a: &Actor, id: Uuid) -> Result<Consultation> {
    repo::get(c, &Scope::of(a), id)
        .await?
        .ok_or(ServiceError::NotFound)
}

/// A consultation's page: participants, minutes, decisions with their tasks and clocks,
/// materials, timeline, progress and the steps the reader may take. 404 outside scope.
pub async fn get(svc: &Services, a: &Actor, id: Uuid) -> Result<ConsultationDetail> {
    let c = svc.store.conn();
    let x = visible(c, a, id).await?;
    let parts = repo::participants_of(c, id).await?;
    let acts = actions(a, &x, &parts);
    let names = department_names(c, parts.iter().map(|p| p.department_id)).await?;
    let participants = parts
        .iter()
        .map(|p| ParticipantView {
            department_id: p.department_id,
            department: names
                .get(&p.department_id)
                .cloned()
                .unwrap_or_else(|| "（已删除的部门）".into()),
            region_code: p.region_code.clone(),
            attendees: p.attendees.clone(),
        })
        .collect();
    let mut tasks = task_views(svc, c, repo::tasks_of(c, id).await?).await?;
    let decisions = repo::decisions_of(c, id)
        .await?
        .into_iter()
        .map(|d| DecisionView {
            seq: d.seq,
            tasks: {
                let (mine, rest): (Vec<_>, Vec<_>) = std::mem::take(&mut tasks)
                    .into_iter()
                    .partition(|t| t.decision_seq == d.seq);
                tasks = rest;
                mine
            },
            text: d.text,
        })
        .collect();
    let minutes = x.minutes.clone();
    let outcome = x.outcome.clone();
    let view = views(svc, c, vec![x]).await?.remove(0);
    Ok(ConsultationDetail {
        consultation: view,
        minutes,
        outcome,
        participants,
        decisions,
        materials: files_of(svc, RECORD_KIND, id).await?,
        timeline: timeline_of::<ConsultationStatus>(cases::timeline(c, KIND, id).await?, |s| {
            ConsultationAction::parse(s)
                .ok()
                .map(ConsultationAction::label_zh)
        }),
        actions: acts,
    })
}

// ---- queues ----

lianjian_domain::labelled_enum!(queue
    /// The queues of consultations.
    ConsultationQueue {
        /// 拟定 and 已召开 (to be held or minuted).
        Open = "open" / "待召开/待定稿",
        /// 纪要已定稿: its tasks run.
        Tracking = "tracking" / "任务督办中",
        /// 已办结.
        Closed = "closed" / "已办结",
        /// 全部 (also the cancelled).
        All = "all" / "全部",
    }
);

impl ConsultationQueue {
    fn query(self) -> ConsultationQuery {
        use ConsultationStatus as S;
        ConsultationQuery {
            statuses: match self {
                ConsultationQueue::Open => vec![S::Planned, S::Held],
                ConsultationQueue::Tracking => vec![S::Finalised],
                ConsultationQueue::Closed => vec![S::Closed],
                ConsultationQueue::All => vec![],
            },
            q: None,
        }
    }
}

/// A queue of consultations within the actor's scope, searched by code, title or topic.
pub async fn list(
    svc: &Services,
    a: &Actor,
    queue: ConsultationQueue,
    search: Option<String>,
    page: PageRequest,
) -> Result<Page<ConsultationView>> {
    let c = svc.store.conn();
    let mut q = queue.query();
    q.q = search;
    let p = repo::list(c, &Scope::of(a), &q, page).await?;
    let Page {
        items,
        total,
        page,
        per_page,
    } = p;
    Ok(Page {
        items: views(svc, c, items).await?,
        total,
        page,
        per_page,
    })
}

/// How many consultations each queue holds for the actor.
pub async fn queue_counts(svc: &Services, a: &Actor) -> Result<Vec<(ConsultationQueue, u64)>> {
    let c = svc.store.conn();
    let scope = Scope::of(a);
    cases::queue_counts(|q: ConsultationQueue| {
        let (q, scope) = (q.query(), &scope);
        async move { Ok(repo::count(c, scope, &q).await?) }
    })
    .await
}

lianjian_domain::labelled_enum!(queue
    /// The queues of tasks.
    #[schema(as = ConsultationTaskQueue)]
    TaskQueue {
        /// 办理中.
        Running = "running" / "办理中",
        /// 即将超时: the clock is yellow.
        DueSoon = "due_soon" / "即将超时",
        /// 已超时: the clock is red.
        Overdue = "overdue" / "已超时",
        /// 已完成.
        Done = "done" / "已完成",
        /// 全部.
        All = "all" / "全部",
    }
);

impl TaskQueue {
    fn query(
        self,
        cal: &lianjian_domain::calendar::WorkingDayCalendar,
        today: NaiveDate,
    ) -> TaskQuery {
        let mut q = TaskQuery::default();
        match self {
            TaskQueue::Running => q.statuses = vec![ConsultationTaskStatus::Running],
            TaskQueue::DueSoon => {
                let warn = TASK_CLOCKS[0].warn_within;
                q.due = Some((Some(today), cases::yellow_before(cal, today, warn)));
            }
            TaskQueue::Overdue => q.due = Some((None, today)),
            TaskQueue::Done => q.statuses = vec![ConsultationTaskStatus::Done],
            TaskQueue::All => {}
        }
        q
    }
}

/// Narrows a task queue.
#[derive(Debug, Clone, Default)]
pub struct TaskFilter {
    pub department_id: Option<Uuid>,
    pub consultation_id: Option<Uuid>,
    /// Code or description contains this.
    pub q: Option<String>,
}

/// A queue of tasks within the actor's scope (their consultations'), oldest first.
pub async fn list_tasks(
    svc: &Services,
    a: &Actor,
    queue: TaskQueue,
    f: &TaskFilter,
    page: PageRequest,
) -> Result<Page<TaskView>> {
    let c = svc.store.conn();
    let cal = crate::calendar::current(svc).await?;
    let mut q = queue.query(&cal, today(svc));
    q.department_id = f.department_id;
    q.consultation_id = f.consultation_id;
    q.q = f.q.clone();
    let p = repo::list_tasks(c, &Scope::of(a), &q, page).await?;
    let Page {
        items,
        total,
        page,
        per_page,
    } = p;
    Ok(Page {
        items: task_views(svc, c, items).await?,
        total,
        page,
        per_page,
    })
}

/// The columns of the task list's xlsx export.
pub const TASK_EXPORT_HEADERS: [&str; 13] = [
    "任务编号",
    "会商编号",
    "会商标题",
    "决定序号",
    "责任部门",
    "任务内容",
    "办理时限（工作日）",
    "截止日期",
    "时限状态",
    "任务状态",
    "督办次数",
    "下达时间",
    "完成时间",
];

fn task_export_row(t: TaskView) -> Vec<String> {
    let clock = t.clocks.first();
    vec![
        t.code,
        t.consultation_code,
        t.consultation_title,
        t.decision_seq.to_string(),
        t.department,
        t.description,
        t.deadline_days.to_string(),
        clock.map(|k| k.due.to_string()).unwrap_or_default(),
        clock.map(|k| k.light_label.clone()).unwrap_or_default(),
        if t.escalated {
            format!("{}（已超时上报）", t.status_label)
        } else {
            t.status_label
        },
        t.supervised.to_string(),
        crate::sheets::beijing_time(&t.created_at),
        t.done_at
            .map(|d| crate::sheets::beijing_time(&d))
            .unwrap_or_default(),
    ]
}

/// A task queue as filtered, every page, as xlsx (the console's 导出 and the API's export):
/// what the actor may read, nothing more.
pub async fn export_tasks(
    svc: &Services,
    a: &Actor,
    queue: TaskQueue,
    f: &TaskFilter,
) -> Result<Vec<u8>> {
    let rows = crate::sheets::export_rows(
        TASK_EXPORT_HEADERS.len(),
        |page| list_tasks(svc, a, queue, f, page),
        task_export_row,
    )
    .await?;
    Ok(crate::sheets::xlsx_table(
        "会商任务",
        &TASK_EXPORT_HEADERS,
        rows,
    ))
}

/// How many tasks each queue holds for the actor.
pub async fn task_queue_counts(svc: &Services, a: &Actor) -> Result<Vec<(TaskQueue, u64)>> {
    let c = svc.store.conn();
    let cal = crate::calendar::current(svc).await?;
    let today = today(svc);
    let scope = Scope::of(a);
    cases::queue_counts(|q: TaskQueue| {
        let (q, scope) = (q.query(&cal, today), &scope);
        async move { Ok(repo::count_tasks(c, scope, &q).await?) }
    })
    .await
}

// ---- steps ----

fn case_ref(x: &Consultation) -> CaseRef<'_> {
    CaseRef {
        kind: KIND,
        id: x.id,
        code: &x.code,
        region: x.region_code.as_str(),
        department_id: Some(x.convener_department_id),
    }
}

fn task_ref(t: &Task) -> CaseRef<'_> {
    CaseRef {
        kind: TASK,
        id: t.id,
        code: &t.code,
        region: t.region_code.as_str(),
        department_id: Some(t.department_id),
    }
}

fn refused(e: Invalid) -> ServiceError {
    ServiceError::conflict("status", e.zh, e.en)
}

fn stale(code: &str) -> ServiceError {
    ServiceError::conflict(
        "status",
        format!("{code} 的状态刚被他人改变，请刷新后重试"),
        format!("{code} changed meanwhile; reload and retry"),
    )
}

async fn prepare(
    svc: &Services,
    a: &Actor,
    id: Uuid,
    act: ConsultationAction,
) -> Result<(Consultation, Step<ConsultationStatus>)> {
    let c = svc.store.conn();
    let x = visible(c, a, id).await?;
    let parts = repo::participants_of(c, id).await?;
    if !allowed(a, &x, &parts, act) {
        return Err(ServiceError::Forbidden);
    }
    let step = act.step(Some(x.status)).map_err(refused)?;
    Ok((x, step))
}

/// Applies a consultation's `step` on `tx`: the row (compare-and-set), its event and audit.
async fn apply(
    tx: &impl Conn,
    a: &Actor,
    x: &Consultation,
    step: &Step<ConsultationStatus>,
    change: &Change,
    detail: serde_json::Value,
) -> Result<()> {
    let now = lianjian_domain::audit::audit_time(Utc::now());
    if !repo::set_state(tx, x.id, x.status, step.to, now, change).await? {
        return Err(stale(&x.code));
    }
    cases::record_step(tx, a, &case_ref(x), step, detail).await?;
    Ok(())
}

/// Files already in the evidence log (uploaded through `/api/v1/evidence`), checked before
/// anything is written: each unknown id is named.
pub(crate) async fn existing_files(
    c: &impl Conn,
    field: &str,
    ids: &[Uuid],
) -> Result<Vec<lianjian_store::evidence::Evidence>> {
    if ids.len() > MAX_FILES {
        return Err(ServiceError::field(
            field,
            Invalid::new("too_many", "至多附 20 个文件", "20 files at most"),
        ));
    }
    let mut out = Vec::new();
    for (i, e) in ids.iter().enumerate() {
        match lianjian_store::evidence::get(c, *e).await? {
            Some(ev)
                if !out
                    .iter()
                    .any(|o: &lianjian_store::evidence::Evidence| o.id == ev.id) =>
            {
                out.push(ev)
            }
            Some(_) => {}
            None => {
                return Err(ServiceError::field(
                    field,
                    Invalid::new(
                        "unknown_evidence",
                        format!("第 {} 个文件（{e}）不在证据库中", i + 1),
                        format!("file {} ({e}) is not in the evidence log", i + 1),
                    ),
                ));
            }
        }
    }
    Ok(out)
}

/// Links `files` to a record as the actor's department's (the system administrator's without
/// a department as `region`'s); files already linked are skipped.
pub(crate) async fn link_files(
    svc: &Services,
    tx: &impl Conn,
    a: &Actor,
    kind: &str,
    id: Uuid,
    region: &str,
    files: &[lianjian_store::evidence::Evidence],
) -> Result<usize> {
    let already: Vec<Uuid> = crate::evidence::links_of(svc, kind, &[id])
        .await?
        .remove(&id)
        .unwrap_or_default()
        .iter()
        .map(|l| l.evidence.id)
        .collect();
    let mut n = 0;
    for ev in files.iter().filter(|e| !already.contains(&e.id)) {
        let name = format!(
            "{}.{}",
            &ev.sha256[..12],
            crate::assistance::ext_of(&ev.media_type)
        );
        if a.department_id.is_nil() {
            let r = RegionCode::parse(region).map_err(|e| ServiceError::field("region", e))?;
            crate::evidence::link_unassigned(tx, ev.id, kind, id, &name, &r, a).await?;
        } else {
            crate::evidence::link(tx, ev.id, kind, id, &name, a.department_id, a).await?;
        }
        n += 1;
    }
    Ok(n)
}

/// A participant as a form or the API sends it.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
pub struct ParticipantInput {
    pub department_id: Uuid,
    /// Named staff attending (参会人员), optional.
    #[serde(default)]
    pub attendees: Option<String>,
}

/// A consultation as a form or the API sends it.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
pub struct ConsultationInput {
    pub title: String,
    /// 议题.
    pub topic: String,
    /// 议程.
    pub agenda: String,
    /// 会议地点 (a room, or 视频会议).
    pub place: String,
    /// 会议时间, Beijing time: `2026-12-09T09:30`.
    pub meets_at: String,
    /// The departments taking part (the convener's own is added).
    #[serde(default)]
    pub participants: Vec<ParticipantInput>,
    /// What prompted it: `warning`, `assistance`, `transfer` (with `link_id`).
    #[serde(default)]
    pub link_kind: Option<String>,
    #[serde(default)]
    pub link_id: Option<Uuid>,
    /// Materials already in the evidence log.
    #[serde(default)]
    pub evidence_ids: Vec<Uuid>,
}

pub(crate) async fn next_code(
    c: &impl Conn,
    prefix: &str,
    region: &str,
    now: DateTime<Utc>,
) -> Result<String> {
    let county: String = region.chars().take(6).collect();
    let prefix = format!("{prefix}-{county}-{}-", beijing_date(now).format("%Y"));
    let n = lianjian_store::clues::next_code_number(c, &prefix).await?;
    Ok(format!("{prefix}{n:04}"))
}

/// Beijing wall-clock time as an instant.
fn beijing_instant(t: chrono::NaiveDateTime) -> DateTime<Utc> {
    let bj = chrono::FixedOffset::east_opt(8 * 3600).expect("valid offset");
    bj.from_local_datetime(&t)
        .single()
        .map_or_else(|| Utc.from_utc_datetime(&t), |x| x.with_timezone(&Utc))
}

/// Checks that what prompted the consultation exists and the actor may read it (404 and
/// "not yours" read the same: the link is refused as unknown).
async fn check_link(
    svc: &Services,
    a: &Actor,
    kind: Option<&str>,
    id: Option<Uuid>,
) -> Result<(Option<LinkKind>, Option<Uuid>)> {
    let (kind, id) = match (kind.map(str::trim).filter(|s| !s.is_empty()), id) {
        (None, None) => return Ok((None, None)),
        (None, Some(_)) => {
            return Err(ServiceError::field(
                "link_kind",
                Invalid::new(
                    "required",
                    "请选择关联事项的类型",
                    "link_kind is required with link_id",
                ),
            ));
        }
        (Some(_), None) => {
            return Err(ServiceError::field(
                "link_id",
                Invalid::new(
                    "required",
                    "请选择关联的事项",
                    "link_id is required with link_kind",
                ),
            ));
        }
        (Some(k), Some(id)) => (
            LinkKind::parse(k).map_err(|e| ServiceError::field("link_kind", e))?,
            id,
        ),
    };
    let found = match kind {
        LinkKind::Warning => crate::warnings::get(svc, a, id).await.map(|_| ()),
        LinkKind::Assistance => crate::assistance::get(svc, a, id).await.map(|_| ()),
        LinkKind::Transfer => crate::follow_ups::get_transfer(svc, a, id)
            .await
            .map(|_| ()),
    };
    match found {
        Ok(()) => Ok((Some(kind), Some(id))),
        Err(ServiceError::NotFound | ServiceError::Forbidden) => Err(ServiceError::field(
            "link_id",
            Invalid::new(
                "unknown",
                format!("找不到关联的{}（{id}）", kind.label_zh()),
                format!("no {} {id} you may read", kind.as_str()),
            ),
        )),
        Err(e) => Err(e),
    }
}

async fn participant_departments(
    c: &impl Conn,
    inputs: &[ParticipantInput],
    ch: &mut Checker,
) -> Result<Vec<(Department, Option<String>)>> {
    let mut out: Vec<(Department, Option<String>)> = Vec::new();
    if inputs.len() > MAX_PARTIES {
        ch.push(
            "participants",
            Invalid::new(
                "too_many",
                format!("参会部门至多 {MAX_PARTIES} 个"),
                format!("{MAX_PARTIES} participants at most"),
            ),
        );
        return Ok(out);
    }
    for (i, p) in inputs.iter().enumerate() {
        let field = format!("participants[{i}]");
        let attendees = match p
            .attendees
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
        {
            None => None,
            Some(s) => ch.check(&format!("{field}.attendees"), rules::attendees(s)),
        };
        match lianjian_store::departments::get(c, p.department_id).await? {
            Some(d) if d.status == lianjian_domain::department::DepartmentStatus::Active => {
                if out.iter().any(|(o, _)| o.id == d.id) {
                    ch.push(
                        &format!("{field}.department_id"),
                        Invalid::new(
                            "duplicate",
                            format!("参会部门“{}”重复", d.name),
                            format!("department {} is listed twice", d.id),
                        ),
                    );
                } else {
                    out.push((d, attendees));
                }
            }
            _ => ch.push(
                &format!("{field}.department_id"),
                Invalid::new(
                    "unknown_department",
                    format!(
                        "第 {} 个参会部门（{}）不存在或已停用",
                        i + 1,
                        p.department_id
                    ),
                    format!(
                        "participant {} ({}) is not an active department",
                        i + 1,
                        p.department_id
                    ),
                ),
            ),
        }
    }
    Ok(out)
}

/// 发起会商: the office or a department convenes a consultation; its own department takes
/// part. Every bad field is named; nothing is written unless all parse.
pub async fn convene(
    svc: &Services,
    a: &Actor,
    input: &ConsultationInput,
) -> Result<ConsultationDetail> {
    if !may_convene(a) {
        return Err(ServiceError::Forbidden);
    }
    let c = svc.store.conn();
    let mut ch = Checker::default();
    let title = ch.check("title", rules::title(&input.title));
    let topic = ch.check("topic", rules::topic(&input.topic));
    let agenda = ch.check("agenda", rules::agenda(&input.agenda));
    let place = ch.check("place", rules::place(&input.place));
    let meets_at = ch.check("meets_at", rules::meets_at(&input.meets_at));
    let parts = participant_departments(c, &input.participants, &mut ch).await?;
    if input.participants.is_empty() {
        ch.push(
            "participants",
            Invalid::new(
                "required",
                "请至少选择一个参会部门",
                "name at least one participant",
            ),
        );
    }
    let link = ch.absorb(check_link(svc, a, input.link_kind.as_deref(), input.link_id).await)?;
    let files = ch.absorb(existing_files(c, "evidence_ids", &input.evidence_ids).await)?;
    ch.finish()?;
    let (
        Some(title),
        Some(topic),
        Some(agenda),
        Some(place),
        Some(meets_at),
        Some((link_kind, link_id)),
        Some(files),
    ) = (title, topic, agenda, place, meets_at, link, files)
    else {
        return Err(ServiceError::refused("输入有误", "invalid input"));
    };
    let own = lianjian_store::departments::get(c, a.department_id)
        .await?
        .ok_or(ServiceError::NotFound)?;
    let by_office = matches!(a.role, Role::CoordinationOffice | Role::SystemAdmin);
    let region = if by_office {
        a.region.to_string()
    } else {
        own.region_code.to_string()
    };
    let now = lianjian_domain::audit::audit_time(svc.now());
    let mut participants: Vec<Participant> = vec![Participant {
        department_id: own.id,
        region_code: own.region_code.to_string(),
        attendees: None,
    }];
    for (d, att) in parts {
        if let Some(p) = participants.iter_mut().find(|p| p.department_id == d.id) {
            p.attendees = att;
        } else {
            participants.push(Participant {
                department_id: d.id,
                region_code: d.region_code.to_string(),
                attendees: att,
            });
        }
    }
    let tx = svc.store.begin().await?;
    let x = Consultation {
        id: Uuid::now_v7(),
        code: next_code(&tx, "HS", &region, now).await?,
        title,
        topic,
        agenda,
        place,
        meets_at: beijing_instant(meets_at),
        status: ConsultationStatus::Planned,
        region_code: region.clone(),
        convener_department_id: own.id,
        by_office,
        minutes: None,
        link_kind,
        link_id,
        outcome: None,
        created_by: a.username.clone(),
        created_at: now,
        updated_at: now,
    };
    repo::insert(&tx, &x, &participants).await?;
    let step = ConsultationAction::Convene.step(None).map_err(refused)?;
    cases::record_step(
        &tx,
        a,
        &case_ref(&x),
        &step,
        serde_json::json!({
            "participants": participants.iter().map(|p| p.department_id).collect::<Vec<_>>(),
            "meets_at": x.meets_at,
            "link": link_kind.map(|k| serde_json::json!({"kind": k.as_str(), "id": link_id})),
        }),
    )
    .await?;
    link_files(svc, &tx, a, RECORD_KIND, x.id, &region, &files).await?;
    tx.commit().await?;
    get(svc, a, x.id).await
}

/// 添加材料: files already in the evidence log, linked to the consultation (before the minutes
/// are final). Files linked before are skipped; nothing new is a 409.
pub async fn attach(
    svc: &Services,
    a: &Actor,
    id: Uuid,
    evidence_ids: &[Uuid],
) -> Result<ConsultationDetail> {
    let (x, step) = prepare(svc, a, id, ConsultationAction::Attach).await?;
    if evidence_ids.is_empty() {
        return Err(ServiceError::field(
            "evidence_ids",
            Invalid::new("required", "请选择要添加的材料", "name at least one file"),
        ));
    }
    let files = existing_files(svc.store.conn(), "evidence_ids", evidence_ids).await?;
    let tx = svc.store.begin().await?;
    let n = link_files(svc, &tx, a, RECORD_KIND, id, &x.region_code, &files).await?;
    if n == 0 {
        return Err(ServiceError::conflict(
            "evidence_ids",
            "这些材料已经添加过",
            "these files are linked already",
        ));
    }
    apply(
        &tx,
        a,
        &x,
        &step,
        &Change::default(),
        serde_json::json!({"files": files.iter().map(|e| &e.sha256).collect::<Vec<_>>()}),
    )
    .await?;
    tx.commit().await?;
    get(svc, a, id).await
}

/// 记录召开: the meeting took place.
pub async fn hold(svc: &Services, a: &Actor, id: Uuid) -> Result<ConsultationDetail> {
    let (x, step) = prepare(svc, a, id, ConsultationAction::Hold).await?;
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

/// 取消会商 before it is held, with a reason.
pub async fn cancel(svc: &Services, a: &Actor, id: Uuid, why: &str) -> Result<ConsultationDetail> {
    let why = reason(why).map_err(|e| ServiceError::field("reason", e))?;
    let (x, step) = prepare(svc, a, id, ConsultationAction::Cancel).await?;
    let step = step.because(why.clone());
    let tx = svc.store.begin().await?;
    apply(
        &tx,
        a,
        &x,
        &step,
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

/// A task of a decision as the minutes give it.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
pub struct TaskInput {
    /// The owner department (it joins the consultation's participants).
    pub department_id: Uuid,
    /// What it must do.
    pub description: String,
    /// Deadline in working days from the day the minutes are finalised (1–120).
    pub deadline_days: i64,
}

/// A decision of the minutes with its tasks (at least one).
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[schema(as = ConsultationDecisionInput)]
pub struct DecisionInput {
    pub text: String,
    pub tasks: Vec<TaskInput>,
}

/// The minutes and decisions as a form or the API sends them.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
pub struct MinutesInput {
    pub minutes: String,
    pub decisions: Vec<DecisionInput>,
}

/// 纪要定稿 today: see [`finalise_on`].
pub async fn finalise(
    svc: &Services,
    a: &Actor,
    id: Uuid,
    input: &MinutesInput,
) -> Result<ConsultationDetail> {
    finalise_on(svc, a, id, input, today(svc)).await
}

/// 纪要定稿: the minutes and the decisions are fixed; each decision's tasks are dispatched to
/// their owner departments (which join the participants) and their clocks start on `on`.
/// Every bad field is named (`decisions[0].tasks[1].deadline_days`); nothing is written unless
/// all parse.
pub async fn finalise_on(
    svc: &Services,
    a: &Actor,
    id: Uuid,
    input: &MinutesInput,
    on: NaiveDate,
) -> Result<ConsultationDetail> {
    let (x, step) = prepare(svc, a, id, ConsultationAction::Finalise).await?;
    let c = svc.store.conn();
    let mut ch = Checker::default();
    let minutes = ch.check("minutes", rules::minutes_text(&input.minutes));
    if input.decisions.is_empty() {
        ch.push(
            "decisions",
            Invalid::new(
                "required",
                "请至少填写一项会商决定",
                "at least one decision",
            ),
        );
    }
    if input.decisions.len() > 50 {
        ch.push(
            "decisions",
            Invalid::new("too_many", "会商决定至多 50 项", "50 decisions at most"),
        );
    }
    let mut decisions: Vec<(String, Vec<(Department, String, u32)>)> = Vec::new();
    for (i, d) in input.decisions.iter().enumerate().take(50) {
        let f = format!("decisions[{i}]");
        let text = ch.check(&format!("{f}.text"), rules::decision(&d.text));
        if d.tasks.is_empty() {
            ch.push(
                &format!("{f}.tasks"),
                Invalid::new(
                    "required",
                    format!("第 {} 项决定须分解为至少一项任务", i + 1),
                    format!("decision {} needs at least one task", i + 1),
                ),
            );
        }
        let mut tasks = Vec::new();
        for (j, t) in d.tasks.iter().enumerate().take(MAX_PARTIES) {
            let tf = format!("{f}.tasks[{j}]");
            let desc = ch.check(
                &format!("{tf}.description"),
                rules::task_text(&t.description),
            );
            let days = ch.check(
                &format!("{tf}.deadline_days"),
                rules::task_days(t.deadline_days),
            );
            let dept = match lianjian_store::departments::get(c, t.department_id).await? {
                Some(dd) if dd.status == lianjian_domain::department::DepartmentStatus::Active => {
                    Some(dd)
                }
                _ => {
                    ch.push(
                        &format!("{tf}.department_id"),
                        Invalid::new(
                            "unknown_department",
                            format!(
                                "第 {} 项决定第 {} 项任务的责任部门（{}）不存在或已停用",
                                i + 1,
                                j + 1,
                                t.department_id
                            ),
                            format!(
                                "task {} of decision {}: {} is not an active department",
                                j + 1,
                                i + 1,
                                t.department_id
                            ),
                        ),
                    );
                    None
                }
            };
            if let (Some(dd), Some(desc), Some(days)) = (dept, desc, days) {
                tasks.push((dd, desc, days));
            }
        }
        if let Some(text) = text {
            decisions.push((text, tasks));
        }
    }
    ch.finish()?;
    let minutes = minutes.ok_or_else(|| ServiceError::refused("输入有误", "invalid input"))?;
    let cal = crate::calendar::current(svc).await?;
    let now = lianjian_domain::audit::audit_time(svc.now());
    let tx = svc.store.begin().await?;
    apply(
        &tx,
        a,
        &x,
        &step,
        &Change {
            minutes: Some(minutes),
            ..Default::default()
        },
        serde_json::json!({"decisions": decisions.len()}),
    )
    .await?;
    let mut n = 0;
    for (i, (text, tasks)) in decisions.into_iter().enumerate() {
        let seq = i32::try_from(i + 1).unwrap_or(i32::MAX);
        let dec = Decision {
            id: Uuid::now_v7(),
            consultation_id: x.id,
            seq,
            text,
        };
        repo::insert_decision(&tx, &dec).await?;
        for (dept, description, days) in tasks {
            n += 1;
            repo::add_participants(
                &tx,
                x.id,
                &[Participant {
                    department_id: dept.id,
                    region_code: dept.region_code.to_string(),
                    attendees: None,
                }],
            )
            .await?;
            let t = Task {
                id: Uuid::now_v7(),
                code: format!("{}-{seq}-{n}", x.code),
                consultation_id: x.id,
                decision_id: dec.id,
                department_id: dept.id,
                region_code: dept.region_code.to_string(),
                description,
                deadline_days: days,
                status: ConsultationTaskStatus::Running,
                report: None,
                supervised: 0,
                escalated: false,
                created_at: now,
                updated_at: now,
                done_at: None,
            };
            repo::insert_task(&tx, &t).await?;
            let open = ConsultationTaskAction::Dispatch
                .step(None)
                .map_err(refused)?;
            cases::record_step(
                &tx,
                a,
                &task_ref(&t),
                &open,
                serde_json::json!({"decision": seq, "deadline_days": days}),
            )
            .await?;
            cases::start_clocks(
                &tx,
                &cal,
                TASK,
                t.id,
                &ClockHolder {
                    region_code: t.region_code.clone(),
                    department_id: Some(t.department_id),
                },
                &[rules::task_clock(days)],
                on,
            )
            .await?;
        }
    }
    tx.commit().await?;
    get(svc, a, id).await
}

// ---- tasks ----

async fn visible_task(c: &impl Conn, a: &Actor, id: Uuid) -> Result<Task> {
    repo::get_task(c, &Scope::of(a), id)
        .await?
        .ok_or(ServiceError::NotFound)
}

fn task_actions(a: &Actor, t: &Task, d: Option<&Department>) -> Vec<ConsultationTaskAction> {
    let mut out = Vec::new();
    if t.status == ConsultationTaskStatus::Running {
        if d.is_some_and(|d| may_feed_back(a, d)) {
            out.push(ConsultationTaskAction::Report);
        }
        if is_office_over(a, &t.region_code) {
            out.push(ConsultationTaskAction::Supervise);
        }
    }
    out
}

/// A task's page: its clock, report, files, timeline and the steps the reader may take.
pub async fn get_task(svc: &Services, a: &Actor, id: Uuid) -> Result<TaskDetail> {
    let c = svc.store.conn();
    let t = visible_task(c, a, id).await?;
    let d = lianjian_store::departments::get(c, t.department_id).await?;
    let acts = task_actions(a, &t, d.as_ref());
    let decision = repo::decisions_of(c, t.consultation_id)
        .await?
        .into_iter()
        .find(|x| x.id == t.decision_id)
        .map(|x| x.text)
        .unwrap_or_default();
    Ok(TaskDetail {
        timeline: timeline_of::<ConsultationTaskStatus>(cases::timeline(c, TASK, id).await?, |s| {
            ConsultationTaskAction::parse(s)
                .ok()
                .map(ConsultationTaskAction::label_zh)
        }),
        task: task_views(svc, c, vec![t]).await?.remove(0),
        decision,
        files: files_of(svc, TASK_RECORD_KIND, id).await?,
        actions: acts,
    })
}

/// A task's completion as a form or the API sends it.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
pub struct ReportInput {
    /// 完成情况.
    pub report: String,
    /// Evidence already in the evidence log (at most 20).
    #[serde(default)]
    pub evidence_ids: Vec<Uuid>,
}

/// 报告完成: the owner department reports the task done with its report and evidence; the
/// clock stops (met or late). The last task done closes the consultation (已办结) in the same
/// transaction.
pub async fn report(
    svc: &Services,
    a: &Actor,
    id: Uuid,
    input: &ReportInput,
) -> Result<TaskDetail> {
    let c = svc.store.conn();
    let t = visible_task(c, a, id).await?;
    let d = lianjian_store::departments::get(c, t.department_id).await?;
    if !d.as_ref().is_some_and(|d| may_feed_back(a, d)) {
        return Err(ServiceError::Forbidden);
    }
    let mut ch = Checker::default();
    let text = ch.check("report", rules::report(&input.report));
    let files = ch.absorb(existing_files(c, "evidence_ids", &input.evidence_ids).await)?;
    ch.finish()?;
    let (Some(text), Some(files)) = (text, files) else {
        return Err(ServiceError::refused("输入有误", "invalid input"));
    };
    let step = ConsultationTaskAction::Report
        .step(Some(t.status))
        .map_err(refused)?;
    let now = lianjian_domain::audit::audit_time(svc.now());
    let mut after = t.clone();
    after.status = step.to;
    after.report = Some(text);
    after.done_at = Some(now);
    after.updated_at = now;
    let tx = svc.store.begin().await?;
    if !repo::set_task(&tx, &t, &after).await? {
        return Err(stale(&t.code));
    }
    link_files(svc, &tx, a, TASK_RECORD_KIND, id, &t.region_code, &files).await?;
    cases::record_step(
        &tx,
        a,
        &task_ref(&after),
        &step,
        serde_json::json!({"files": files.iter().map(|e| &e.sha256).collect::<Vec<_>>()}),
    )
    .await?;
    cases::stop_clocks(&tx, TASK, id, &[], beijing_date(now), step.action).await?;
    close_if_done(&tx, a, t.consultation_id).await?;
    tx.commit().await?;
    get_task(svc, a, id).await
}

/// 办结: the consultation whose every task is done closes (a step by whoever finished the
/// last task, on the same transaction).
async fn close_if_done(tx: &impl Conn, a: &Actor, consultation_id: Uuid) -> Result<()> {
    let Some(x) = repo::get(tx, &Scope::system(), consultation_id).await? else {
        return Ok(());
    };
    let tasks = repo::tasks_of(tx, consultation_id).await?;
    if x.status != ConsultationStatus::Finalised
        || tasks
            .iter()
            .any(|t| t.status != ConsultationTaskStatus::Done)
    {
        return Ok(());
    }
    let step = ConsultationAction::Close
        .step(Some(x.status))
        .map_err(refused)?;
    apply(
        tx,
        a,
        &x,
        &step,
        &Change::default(),
        serde_json::json!({"tasks": tasks.len(), "auto": true}),
    )
    .await
}

/// 督办: the office chases a running task, with a reason the department reads on the task's
/// timeline. The clock keeps running.
pub async fn supervise(svc: &Services, a: &Actor, id: Uuid, why: &str) -> Result<TaskDetail> {
    let c = svc.store.conn();
    let t = visible_task(c, a, id).await?;
    if !is_office_over(a, &t.region_code) {
        return Err(ServiceError::Forbidden);
    }
    let why = reason(why).map_err(|e| ServiceError::field("reason", e))?;
    let step = ConsultationTaskAction::Supervise
        .step(Some(t.status))
        .map_err(refused)?
        .because(why);
    let mut after = t.clone();
    after.supervised += 1;
    after.updated_at = lianjian_domain::audit::audit_time(svc.now());
    let tx = svc.store.begin().await?;
    if !repo::set_task(&tx, &t, &after).await? {
        return Err(stale(&t.code));
    }
    cases::record_step(
        &tx,
        a,
        &task_ref(&after),
        &step,
        serde_json::json!({ "times": after.supervised }),
    )
    .await?;
    tx.commit().await?;
    get_task(svc, a, id).await
}

/// The server's pass (every ten minutes with `lianjian serve`): each running task past its
/// deadline gets one 超时上报 step (by `system`), which the office over its region sees on the
/// timeline and in its 已超时 queue. Returns how many were escalated.
pub async fn escalate_overdue(svc: &Services) -> Result<usize> {
    let c = svc.store.conn();
    let today = today(svc);
    let sys = cases::server_actor();
    let mut n = 0;
    for t in repo::overdue_unescalated(c, today, 500).await? {
        let Ok(step) = ConsultationTaskAction::Escalate.step(Some(t.status)) else {
            continue;
        };
        let mut after = t.clone();
        after.escalated = true;
        after.updated_at = lianjian_domain::audit::audit_time(svc.now());
        let tx = svc.store.begin().await?;
        // Changed meanwhile (reported, chased): the next pass looks again.
        if !repo::set_task(&tx, &t, &after).await? {
            continue;
        }
        cases::record_step(
            &tx,
            &sys,
            &task_ref(&after),
            &step,
            serde_json::json!({"region": t.region_code, "deadline_days": t.deadline_days}),
        )
        .await?;
        tx.commit().await?;
        n += 1;
    }
    Ok(n)
}

// ---- demo ----

/// The demo's consultation (issue 17 item 7): 舞阳县专班办 convenes the market bureau and the
/// health commission on the cold-chain temperature warning (linked to it); the minutes' one
/// decision became two tasks — the market bureau's, reported done with its inspection record,
/// and the health commission's, running.
pub async fn seed_demo(svc: &Services) -> Result<()> {
    let c = svc.store.conn();
    let office = crate::accounts::actor_of_user(svc, "wy.office").await?;
    let market = crate::accounts::actor_of_user(svc, "wy.market").await?;
    let health = crate::accounts::actor_of_user(svc, "wy.health").await?;
    let cold = lianjian_store::warnings::list(
        c,
        &Scope::system(),
        &lianjian_store::warnings::WarningQuery::default(),
        PageRequest::new(Some(1), Some(200)),
    )
    .await?
    .items
    .into_iter()
    .find(|w| w.summary.starts_with("冷链温度超标") && w.region_code.as_str() == "411121");
    let meets = beijing_date(svc.now())
        .pred_opt()
        .unwrap_or_else(|| beijing_date(svc.now()));
    let x = convene(
        svc,
        &office,
        &ConsultationInput {
            title: "冷链食品温度异常风险会商".into(),
            topic: "舞阳县农贸市场冷库连续出现温度超标预警，研判冷链食品安全风险并明确各部门分工".into(),
            agenda: "一、县市场监管局通报冷链温度超标预警及现场核查情况；\n二、县卫生健康委通报食源性疾病监测情况；\n三、研究冷链食品专项检查和风险监测措施。".into(),
            place: "县政府三楼会议室".into(),
            meets_at: format!("{meets}T09:30"),
            participants: vec![
                ParticipantInput {
                    department_id: market.department_id,
                    attendees: Some("县市场监管局食品经营科 张明、李华".into()),
                },
                ParticipantInput {
                    department_id: health.department_id,
                    attendees: Some("县卫生健康委疾控科 王芳".into()),
                },
            ],
            link_kind: cold.as_ref().map(|_| "warning".to_string()),
            link_id: cold.as_ref().map(|w| w.id),
            evidence_ids: vec![],
        },
    )
    .await?;
    let id = x.consultation.id;
    hold(svc, &office, id).await?;
    let done = finalise(
        svc,
        &office,
        id,
        &MinutesInput {
            minutes: "会议听取了县市场监管局关于农贸市场冷库温度超标预警的处置情况和县卫生健康委的食源性疾病监测情况。会议认为，冷链设备老化、经营者日常温控记录不全是主要风险点，需市场监管、卫健两部门联合排查。".into(),
            decisions: vec![DecisionInput {
                text: "开展为期两周的冷链食品安全专项排查：市场监管部门检查全县冷库和冷链经营户的温控设备及记录，卫健部门加强冷链相关食源性疾病监测并通报结果。".into(),
                tasks: vec![
                    TaskInput {
                        department_id: market.department_id,
                        description: "检查全县冷库和冷链食品经营户的温控设备、温度记录和进货查验记录，发现问题责令整改。".into(),
                        deadline_days: 5,
                    },
                    TaskInput {
                        department_id: health.department_id,
                        description: "加强冷链食品相关食源性疾病监测，汇总近一个月哨点医院报告并通报县市场监管局。".into(),
                        deadline_days: 10,
                    },
                ],
            }],
        },
    )
    .await?;
    let market_task = done
        .decisions
        .iter()
        .flat_map(|d| d.tasks.iter())
        .find(|t| t.department_id == market.department_id)
        .map(|t| t.id)
        .ok_or(ServiceError::NotFound)?;
    let ev = crate::evidence::add(
        svc,
        &market,
        crate::evidence::Upload {
            filename: "冷链专项检查记录.pdf".into(),
            media_type: Some("application/pdf".into()),
            bytes: crate::demo_content::one_page_pdf(&[
                "Cold-chain special inspection record",
                "Wuyang County Market Supervision (demo)",
            ]),
        },
    )
    .await?;
    report(
        svc,
        &market,
        market_task,
        &ReportInput {
            report: "已检查全县冷库 6 家、冷链经营户 23 户；责令 2 户更换温控设备、3 户补全温度记录，均已整改到位。".into(),
            evidence_ids: vec![ev.id],
        },
    )
    .await?;
    Ok(())
}
