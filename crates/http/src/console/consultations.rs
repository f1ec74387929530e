//! 议事会商 and 情况通报 in the console (issue 17 item 3), the case-work console pattern: the
//! queues as tabs with counts, search and paging; the forms to convene and to issue; a
//! consultation's page (participants, materials, minutes, decisions with their tasks' clocks
//! and progress, timeline, the steps the user may take, each a confirmed form); a task's page
//! (clock, report, files, 报告完成 and 督办); a circular's page (opening it records the
//! department's read receipt; the issuer sees every receipt and reminds the unread).

use std::collections::BTreeMap;

use askama::Template;
use axum::extract::{Query, State};
use axum::response::Response;
use lianjian_services::ServiceError;
use lianjian_services::accounts::SessionAuth;
use lianjian_services::circulars::{
    self, CircularDetail, CircularInput, CircularQueue, CircularView,
};
use lianjian_services::consultations::{
    self, ConsultationDetail, ConsultationInput, ConsultationQueue, ConsultationView,
    DecisionInput, MinutesInput, ParticipantInput, ReportInput, TaskDetail, TaskFilter, TaskInput,
    TaskQueue, TaskView,
};
use uuid::Uuid;

use super::cases::{
    CaseStep, CaseView, ClockRow, Shell, StepRow, Tab, clock_row, queue_param, queue_tabs,
    step_rows as steps_of,
};
use super::fields::FormData;
use super::{
    Chrome, ConsoleError, CsrfForm, Pager, PathId, failure, local, render, see_other, with_status,
};
use crate::AppState;
use crate::api::params::Params;
use crate::extract::Console;

const AREA: &str = "linkage";

fn notice(key: &str) -> Option<String> {
    let s = match key {
        "created" => "会商已发起，参会部门可见。",
        "held" => "已记录会议召开，请整理并定稿会议纪要。",
        "finalised" => "纪要已定稿，各项任务已下达责任部门并开始计时。",
        "cancelled" => "会商已取消。",
        "attached" => "材料已存入证据库并列入会议材料。",
        "reported" => "已报告完成，时限停止计时。",
        "supervised" => "已督办，责任部门可见督办意见。",
        "issued" => "通报已发布，接收部门可在待阅中查看。",
        "reminded" => "已提醒未读的接收部门。",
        _ => return None,
    };
    Some(s.to_string())
}

/// The departments of the user's region (and above) to pick participants and owners from.
async fn departments(st: &AppState, s: &SessionAuth) -> Result<Vec<(Uuid, String)>, ConsoleError> {
    Ok(
        lianjian_services::departments::pickable(&st.svc, &s.actor.region)
            .await?
            .into_iter()
            .map(|d| (d.id, d.name))
            .collect(),
    )
}

// ---- the consultation queue ----

#[derive(Template)]
#[template(path = "console/consultations.html")]
struct QueuePage {
    c: Chrome,
    tabs: Vec<Tab>,
    queue: String,
    q: String,
    rows: Vec<(ConsultationView, String)>,
    pager: Pager,
    may_convene: bool,
    errors: BTreeMap<String, String>,
}

impl QueuePage {
    fn empty_text(&self) -> &'static str {
        match self.queue.as_str() {
            "open" => "没有待召开或待定稿的会商。",
            "tracking" => "没有任务督办中的会商。",
            "closed" => "还没有办结的会商。",
            _ => "您的范围内还没有议事会商。",
        }
    }
}

pub async fn queue(
    State(st): State<AppState>,
    Console(s): Console,
    Query(q): Query<Vec<(String, String)>>,
) -> Result<Response, ConsoleError> {
    let p = Params(q);
    let mut errors = BTreeMap::new();
    let queue = queue_param(&p, ConsultationQueue::All, &mut errors);
    let text = p.one("q");
    let page = Pager::request(&p.0, 20);
    let list = consultations::list(&st.svc, &s.actor, queue, Some(text.clone()), page).await?;
    let counts = consultations::queue_counts(&st.svc, &s.actor).await?;
    let pager = Pager::new(&list, &[("queue", queue.as_str()), ("q", &text)]);
    Ok(render(QueuePage {
        c: Chrome::new(&st.svc, &s, AREA).await,
        tabs: queue_tabs(&counts, queue),
        queue: queue.as_str().to_string(),
        q: text,
        rows: list
            .items
            .into_iter()
            .map(|v| {
                let when = local(&v.meets_at);
                (v, when)
            })
            .collect(),
        pager,
        may_convene: consultations::may_convene(&s.actor),
        errors,
    }))
}

// ---- convening ----

#[derive(Template)]
#[template(path = "console/consultation_form.html")]
struct FormPage {
    c: Chrome,
    f: FormData,
    departments: Vec<(Uuid, String)>,
    error: Option<String>,
    errors: BTreeMap<String, String>,
}

impl FormPage {
    fn picked(&self, id: &Uuid) -> bool {
        self.f
            .all("participant")
            .iter()
            .any(|v| *v == id.to_string())
    }
}

async fn form_page(
    st: &AppState,
    s: &SessionAuth,
    f: FormData,
    err: Option<ServiceError>,
) -> Result<Response, ConsoleError> {
    if !consultations::may_convene(&s.actor) {
        return Err(ConsoleError::forbidden());
    }
    let (error, errors, status) = failure(err);
    Ok(with_status(
        status,
        render(FormPage {
            c: Chrome::new(&st.svc, s, AREA).await,
            f,
            departments: departments(st, s).await?,
            error,
            errors,
        }),
    ))
}

pub async fn new_form(
    State(st): State<AppState>,
    Console(s): Console,
) -> Result<Response, ConsoleError> {
    form_page(&st, &s, FormData::default(), None).await
}

fn uuid_field(field: &str, v: &str) -> Result<Uuid, ServiceError> {
    v.trim().parse::<Uuid>().map_err(|_| {
        ServiceError::field(
            field,
            lianjian_domain::Invalid::new("required", "请选择部门", "choose a department"),
        )
    })
}

pub async fn create(
    State(st): State<AppState>,
    Console(s): Console,
    CsrfForm(f): CsrfForm<FormData>,
) -> Result<Response, ConsoleError> {
    let participants: Result<Vec<ParticipantInput>, ServiceError> = f
        .all("participant")
        .iter()
        .enumerate()
        .map(|(i, v)| {
            Ok(ParticipantInput {
                department_id: uuid_field(&format!("participants[{i}].department_id"), v)?,
                attendees: None,
            })
        })
        .collect();
    let r = match participants {
        Ok(participants) => {
            consultations::convene(
                &st.svc,
                &s.actor,
                &ConsultationInput {
                    title: f.get("title"),
                    topic: f.get("topic"),
                    agenda: f.get("agenda"),
                    place: f.get("place"),
                    meets_at: f.get("meets_at"),
                    participants,
                    ..Default::default()
                },
            )
            .await
        }
        Err(e) => Err(e),
    };
    match r {
        Ok(d) => Ok(see_other(&format!(
            "/console/consultations/{}?ok=created",
            d.consultation.id
        ))),
        Err(e @ ServiceError::Forbidden) => Err(e.into()),
        Err(e) => form_page(&st, &s, f, Some(e)).await,
    }
}

// ---- a consultation ----

#[derive(Template)]
#[template(path = "console/consultation_case.html")]
struct CasePage {
    c: Chrome,
    d: ConsultationDetail,
    meets: String,
    steps: Vec<StepRow>,
    departments: Vec<(Uuid, String)>,
    /// Rows of the minutes form: (decision number, index).
    task_rows: Vec<usize>,
    error: Option<String>,
    errors: BTreeMap<String, String>,
}

impl CasePage {
    fn may(&self, a: &str) -> bool {
        super::cases::may(&self.d.actions, a)
    }

    fn light(&self, l: &lianjian_domain::case::Light) -> &'static str {
        super::cases::light_class(l)
    }

    /// The console page of what prompted the consultation.
    fn link_href(&self) -> Option<String> {
        let id = self.d.consultation.link_id?;
        Some(match self.d.consultation.link_kind?.as_str() {
            "warning" => format!("/console/warnings/{id}"),
            "assistance" => format!("/console/assistance/{id}"),
            _ => format!("/console/transfers/{id}"),
        })
    }
}

async fn case_page(
    st: &AppState,
    s: &SessionAuth,
    id: Uuid,
    notice_key: &str,
    err: Option<ServiceError>,
) -> Result<Response, ConsoleError> {
    let d = consultations::get(&st.svc, &s.actor, id).await?;
    let Shell {
        c,
        error,
        errors,
        status,
    } = Shell::new(st, s, AREA, notice(notice_key), err).await;
    let departments = if d.actions.iter().any(|a| a.as_str() == "finalise") {
        departments(st, s).await?
    } else {
        Vec::new()
    };
    Ok(with_status(
        status,
        render(CasePage {
            c,
            meets: local(&d.consultation.meets_at),
            steps: steps_of(&d.timeline),
            departments,
            task_rows: (0..4).collect(),
            d,
            error,
            errors,
        }),
    ))
}

pub async fn case(v: CaseView) -> Result<Response, ConsoleError> {
    case_page(&v.st, &v.s, v.id, &v.ok, None).await
}

async fn step(
    st: &AppState,
    s: &SessionAuth,
    id: Uuid,
    ok: &str,
    r: Result<ConsultationDetail, ServiceError>,
) -> Result<Response, ConsoleError> {
    let page = format!("/console/consultations/{id}");
    super::cases::answer(r, &page, ok, |e| case_page(st, s, id, "", Some(e))).await
}

pub async fn hold(x: CaseStep) -> Result<Response, ConsoleError> {
    let r = consultations::hold(&x.st.svc, &x.s.actor, x.id).await;
    step(&x.st, &x.s, x.id, "held", r).await
}

pub async fn cancel(x: CaseStep) -> Result<Response, ConsoleError> {
    let r = consultations::cancel(&x.st.svc, &x.s.actor, x.id, &x.f.get("reason")).await;
    step(&x.st, &x.s, x.id, "cancelled", r).await
}

/// The minutes form: decisions `decision` (one per textarea, blanks skipped) and task rows
/// (`task_decision` = the decision's number, `task_department`, `task_description`,
/// `task_days`; rows left blank skipped).
fn minutes_of(f: &FormData) -> Result<MinutesInput, ServiceError> {
    let texts = f.all("decision");
    let mut decisions: Vec<DecisionInput> = texts
        .iter()
        .filter(|t| !t.trim().is_empty())
        .map(|t| DecisionInput {
            text: t.clone(),
            tasks: Vec::new(),
        })
        .collect();
    for (i, [n, dept, desc, days]) in f
        .rows([
            "task_decision",
            "task_department",
            "task_description",
            "task_days",
        ])
        .into_iter()
        .enumerate()
    {
        if dept.trim().is_empty() && desc.trim().is_empty() {
            continue;
        }
        let k = n.trim().parse::<usize>().unwrap_or(1).max(1) - 1;
        let Some(d) = decisions.get_mut(k) else {
            return Err(ServiceError::field(
                &format!("tasks[{i}]"),
                lianjian_domain::Invalid::new(
                    "unknown_decision",
                    format!("第 {} 行任务所属的第 {} 项决定未填写", i + 1, k + 1),
                    format!("task row {} names decision {} which is empty", i + 1, k + 1),
                ),
            ));
        };
        d.tasks.push(TaskInput {
            department_id: uuid_field(&format!("tasks[{i}].department_id"), &dept)?,
            description: desc,
            deadline_days: days.trim().parse::<i64>().unwrap_or(0),
        });
    }
    Ok(MinutesInput {
        minutes: f.get("minutes"),
        decisions,
    })
}

pub async fn finalise(x: CaseStep) -> Result<Response, ConsoleError> {
    let r = match minutes_of(&x.f) {
        Ok(m) => consultations::finalise(&x.st.svc, &x.s.actor, x.id, &m).await,
        Err(e) => Err(e),
    };
    step(&x.st, &x.s, x.id, "finalised", r).await
}

/// One uploaded file (multipart `file`, `_csrf`), stored in the evidence log; its id.
async fn upload_one(
    st: &AppState,
    s: &SessionAuth,
    form: Result<axum::extract::Multipart, axum::extract::multipart::MultipartRejection>,
    required: bool,
) -> Result<(Option<Uuid>, std::collections::HashMap<String, String>), ServiceError> {
    let max = st.svc.evidence.config().max_bytes;
    let (upload, fields) = crate::api::evidence::read_form(form, max)
        .await
        .map_err(|e| {
            ServiceError::field(
                "file",
                lianjian_domain::Invalid::new("upload_failed", e.message, e.message_en),
            )
        })?;
    let fields: std::collections::HashMap<String, String> = fields.into_iter().collect();
    super::extract::check_csrf(s, fields.get("_csrf").map_or("", String::as_str))
        .map_err(|_| ServiceError::Forbidden)?;
    match upload {
        Some(u) => Ok((
            Some(
                lianjian_services::evidence::add(&st.svc, &s.actor, u)
                    .await?
                    .id,
            ),
            fields,
        )),
        None if required => Err(ServiceError::field(
            "file",
            lianjian_domain::Invalid::new("required", "请选择要上传的文件", "choose a file"),
        )),
        None => Ok((None, fields)),
    }
}

pub async fn attach(
    State(st): State<AppState>,
    Console(s): Console,
    PathId(id): PathId,
    form: Result<axum::extract::Multipart, axum::extract::multipart::MultipartRejection>,
) -> Result<Response, ConsoleError> {
    // Who may attach is checked before anything is stored.
    let d = consultations::get(&st.svc, &s.actor, id).await?;
    if !d.actions.iter().any(|a| a.as_str() == "attach") {
        return Err(ServiceError::Forbidden.into());
    }
    let r = match upload_one(&st, &s, form, true).await {
        Ok((Some(ev), _)) => consultations::attach(&st.svc, &s.actor, id, &[ev]).await,
        Ok((None, _)) => Err(ServiceError::NotFound),
        Err(e) => Err(e),
    };
    step(&st, &s, id, "attached", r).await
}

// ---- the task queue ----

#[derive(Template)]
#[template(path = "console/consultation_tasks.html")]
struct TasksPage {
    c: Chrome,
    tabs: Vec<(&'static str, &'static str, u64, bool)>,
    queue: String,
    q: String,
    department: String,
    departments: Vec<(Uuid, String)>,
    rows: Vec<(TaskView, Option<ClockRow>)>,
    pager: Pager,
    errors: BTreeMap<String, String>,
}

impl TasksPage {
    fn empty_text(&self) -> &'static str {
        match self.queue.as_str() {
            "running" => "没有办理中的会商任务。",
            "due_soon" => "没有即将超时的会商任务。",
            "overdue" => "没有已超时的会商任务。",
            "done" => "还没有已完成的会商任务。",
            _ => "您的范围内还没有会商任务。",
        }
    }
}

/// The task queue's filters as typed: queue, department, search; a bad one names its field.
fn task_filter(p: &Params) -> (TaskQueue, TaskFilter, BTreeMap<String, String>) {
    let mut errors = BTreeMap::new();
    let queue = match p.one("queue").as_str() {
        "" => TaskQueue::All,
        q => TaskQueue::parse(q).unwrap_or_else(|e| {
            errors.insert("queue".to_string(), e.zh);
            TaskQueue::All
        }),
    };
    let department_id = match p.one("department_id").trim() {
        "" => None,
        d => Uuid::parse_str(d).ok().or_else(|| {
            errors.insert(
                "department_id".to_string(),
                "责任部门无效，请从列表中选择".into(),
            );
            None
        }),
    };
    let q = p.one("q");
    let filter = TaskFilter {
        department_id,
        consultation_id: None,
        q: (!q.trim().is_empty()).then(|| q.trim().to_string()),
    };
    (queue, filter, errors)
}

/// `GET /console/consultation-tasks`: the decisions' tasks in the user's scope as queues
/// (办理中, 即将超时, 已超时, 已完成, 全部), by department and search, with the export of what
/// the list shows.
pub async fn task_queue(
    State(st): State<AppState>,
    Console(s): Console,
    Query(q): Query<Vec<(String, String)>>,
) -> Result<Response, ConsoleError> {
    let p = Params(q);
    let (queue, filter, errors) = task_filter(&p);
    let text = p.one("q");
    let department = filter
        .department_id
        .map(|d| d.to_string())
        .unwrap_or_default();
    let page = Pager::request(&p.0, 20);
    let list = consultations::list_tasks(&st.svc, &s.actor, queue, &filter, page).await?;
    let counts = consultations::task_queue_counts(&st.svc, &s.actor).await?;
    let keep = [
        ("queue", queue.as_str()),
        ("department_id", department.as_str()),
        ("q", text.as_str()),
    ];
    let pager = Pager::new(&list, &keep);
    Ok(render(TasksPage {
        c: Chrome::new(&st.svc, &s, AREA).await,
        tabs: counts
            .iter()
            .map(|(q, n)| (q.as_str(), q.label_zh(), *n, *q == queue))
            .collect(),
        queue: queue.as_str().to_string(),
        q: text,
        department,
        departments: departments(&st, &s).await?,
        rows: list
            .items
            .into_iter()
            .map(|t| {
                let clock = t.clocks.first().map(clock_row);
                (t, clock)
            })
            .collect(),
        pager,
        errors,
    }))
}

/// `GET /console/consultation-tasks/export`: the task queue as filtered, every page, as xlsx.
pub async fn task_export(
    State(st): State<AppState>,
    Console(s): Console,
    Query(q): Query<Vec<(String, String)>>,
) -> Result<Response, ConsoleError> {
    let p = Params(q);
    let (queue, filter, errors) = task_filter(&p);
    if let Some((k, v)) = errors.into_iter().next() {
        return Err(ServiceError::field(
            &k,
            lianjian_domain::Invalid::new("invalid", v.clone(), v),
        )
        .into());
    }
    let bytes = consultations::export_tasks(&st.svc, &s.actor, queue, &filter).await?;
    Ok(super::exchange::xlsx(
        &format!(
            "会商任务-{}-{}.xlsx",
            queue.label_zh(),
            crate::api::params::today()
        ),
        bytes,
    ))
}

// ---- a task ----

#[derive(Template)]
#[template(path = "console/consultation_task.html")]
struct TaskPage {
    c: Chrome,
    d: TaskDetail,
    clocks: Vec<ClockRow>,
    steps: Vec<StepRow>,
    error: Option<String>,
    errors: BTreeMap<String, String>,
}

impl TaskPage {
    fn may(&self, a: &str) -> bool {
        super::cases::may(&self.d.actions, a)
    }
}

async fn task_page(
    st: &AppState,
    s: &SessionAuth,
    id: Uuid,
    notice_key: &str,
    err: Option<ServiceError>,
) -> Result<Response, ConsoleError> {
    let d = consultations::get_task(&st.svc, &s.actor, id).await?;
    let Shell {
        c,
        error,
        errors,
        status,
    } = Shell::new(st, s, AREA, notice(notice_key), err).await;
    Ok(with_status(
        status,
        render(TaskPage {
            c,
            clocks: d.task.clocks.iter().map(clock_row).collect(),
            steps: steps_of(&d.timeline),
            d,
            error,
            errors,
        }),
    ))
}

pub async fn task(v: CaseView) -> Result<Response, ConsoleError> {
    task_page(&v.st, &v.s, v.id, &v.ok, None).await
}

async fn task_step(
    st: &AppState,
    s: &SessionAuth,
    id: Uuid,
    ok: &str,
    r: Result<TaskDetail, ServiceError>,
) -> Result<Response, ConsoleError> {
    let page = format!("/console/consultation-tasks/{id}");
    super::cases::answer(r, &page, ok, |e| task_page(st, s, id, "", Some(e))).await
}

/// 报告完成 (multipart: `_csrf`, `report`, optional `file` stored in the evidence log).
pub async fn report(
    State(st): State<AppState>,
    Console(s): Console,
    PathId(id): PathId,
    form: Result<axum::extract::Multipart, axum::extract::multipart::MultipartRejection>,
) -> Result<Response, ConsoleError> {
    // Who may report is checked before anything is stored.
    let d = consultations::get_task(&st.svc, &s.actor, id).await?;
    if !d.actions.iter().any(|a| a.as_str() == "report") {
        return Err(ServiceError::Forbidden.into());
    }
    let r = match upload_one(&st, &s, form, false).await {
        Ok((ev, fields)) => {
            consultations::report(
                &st.svc,
                &s.actor,
                id,
                &ReportInput {
                    report: fields.get("report").cloned().unwrap_or_default(),
                    evidence_ids: ev.into_iter().collect(),
                },
            )
            .await
        }
        Err(e) => Err(e),
    };
    task_step(&st, &s, id, "reported", r).await
}

pub async fn supervise(x: CaseStep) -> Result<Response, ConsoleError> {
    let r = consultations::supervise(&x.st.svc, &x.s.actor, x.id, &x.f.get("reason")).await;
    task_step(&x.st, &x.s, x.id, "supervised", r).await
}

// ---- circulars ----

#[derive(Template)]
#[template(path = "console/circulars.html")]
struct CircularsPage {
    c: Chrome,
    tabs: Vec<Tab>,
    queue: String,
    q: String,
    rows: Vec<(CircularView, String)>,
    pager: Pager,
    may_issue: bool,
}

impl CircularsPage {
    fn empty_text(&self) -> &'static str {
        match self.queue.as_str() {
            "unread" => "没有待阅的情况通报。",
            "received" => "本部门还没有收到情况通报。",
            _ => "您的范围内还没有情况通报。",
        }
    }
}

pub async fn circular_queue(
    State(st): State<AppState>,
    Console(s): Console,
    Query(q): Query<Vec<(String, String)>>,
) -> Result<Response, ConsoleError> {
    let p = Params(q);
    let queue = CircularQueue::parse(&p.one("queue")).unwrap_or(CircularQueue::All);
    let text = p.one("q");
    let page = Pager::request(&p.0, 20);
    let list = circulars::list(&st.svc, &s.actor, queue, Some(text.clone()), page).await?;
    let counts = circulars::queue_counts(&st.svc, &s.actor).await?;
    let pager = Pager::new(&list, &[("queue", queue.as_str()), ("q", &text)]);
    Ok(render(CircularsPage {
        c: Chrome::new(&st.svc, &s, AREA).await,
        tabs: queue_tabs(&counts, queue),
        queue: queue.as_str().to_string(),
        q: text,
        rows: list
            .items
            .into_iter()
            .map(|v| {
                let at = local(&v.created_at);
                (v, at)
            })
            .collect(),
        pager,
        may_issue: circulars::may_issue(&s.actor),
    }))
}

#[derive(Template)]
#[template(path = "console/circular_form.html")]
struct CircularFormPage {
    c: Chrome,
    f: FormData,
    departments: Vec<(Uuid, String)>,
    region: String,
    error: Option<String>,
    errors: BTreeMap<String, String>,
}

impl CircularFormPage {
    fn region_picked(&self) -> bool {
        self.f.all("region").contains(&self.region)
    }

    fn picked(&self, id: &Uuid) -> bool {
        self.f
            .all("department_id")
            .iter()
            .any(|v| *v == id.to_string())
    }
}

async fn circular_form_page(
    st: &AppState,
    s: &SessionAuth,
    f: FormData,
    err: Option<ServiceError>,
) -> Result<Response, ConsoleError> {
    if !circulars::may_issue(&s.actor) {
        return Err(ConsoleError::forbidden());
    }
    let (error, errors, status) = failure(err);
    let region = s.actor.region.clone();
    Ok(with_status(
        status,
        render(CircularFormPage {
            c: Chrome::new(&st.svc, s, AREA).await,
            f,
            departments: lianjian_services::departments::pickable(&st.svc, &region)
                .await?
                .into_iter()
                .filter(|d| d.region_code == region)
                .map(|d| (d.id, d.name))
                .collect(),
            region: region.to_string(),
            error,
            errors,
        }),
    ))
}

pub async fn circular_new(
    State(st): State<AppState>,
    Console(s): Console,
) -> Result<Response, ConsoleError> {
    circular_form_page(&st, &s, FormData::default(), None).await
}

pub async fn circular_create(
    State(st): State<AppState>,
    Console(s): Console,
    CsrfForm(f): CsrfForm<FormData>,
) -> Result<Response, ConsoleError> {
    let ids: Result<Vec<Uuid>, ServiceError> = f
        .all("department_id")
        .iter()
        .enumerate()
        .map(|(i, v)| uuid_field(&format!("department_ids[{i}]"), v))
        .collect();
    let r = match ids {
        Ok(department_ids) => {
            circulars::issue(
                &st.svc,
                &s.actor,
                &CircularInput {
                    title: f.get("title"),
                    body: f.get("body"),
                    department_ids,
                    regions: f
                        .all("region")
                        .into_iter()
                        .filter(|r| !r.trim().is_empty())
                        .collect(),
                    evidence_ids: vec![],
                },
            )
            .await
        }
        Err(e) => Err(e),
    };
    match r {
        Ok(d) => Ok(see_other(&format!(
            "/console/circulars/{}?ok=issued",
            d.circular.id
        ))),
        Err(e @ ServiceError::Forbidden) => Err(e.into()),
        Err(e) => circular_form_page(&st, &s, f, Some(e)).await,
    }
}

#[derive(Template)]
#[template(path = "console/circular.html")]
struct CircularPage {
    c: Chrome,
    d: CircularDetail,
    issued: String,
    receipts: Vec<(String, String, bool, String, String, i32)>,
    steps: Vec<StepRow>,
    may_remind: bool,
    error: Option<String>,
}

async fn circular_page(
    st: &AppState,
    s: &SessionAuth,
    id: Uuid,
    notice_key: &str,
    err: Option<ServiceError>,
) -> Result<Response, ConsoleError> {
    let d = circulars::get(&st.svc, &s.actor, id).await?;
    let Shell {
        c,
        error,
        errors: _,
        status,
    } = Shell::new(st, s, AREA, notice(notice_key), err).await;
    Ok(with_status(
        status,
        render(CircularPage {
            c,
            issued: local(&d.circular.created_at),
            receipts: d
                .receipts
                .iter()
                .map(|r| {
                    (
                        r.department.clone(),
                        r.region_code.clone(),
                        r.read,
                        r.read_by.clone().unwrap_or_default(),
                        super::local_opt(&r.read_at),
                        r.reminded,
                    )
                })
                .collect(),
            steps: steps_of(&d.timeline),
            may_remind: d.actions.iter().any(|a| a.as_str() == "remind"),
            d,
            error,
        }),
    ))
}

pub async fn circular(v: CaseView) -> Result<Response, ConsoleError> {
    circular_page(&v.st, &v.s, v.id, &v.ok, None).await
}

pub async fn circular_remind(x: CaseStep) -> Result<Response, ConsoleError> {
    let r = circulars::remind(&x.st.svc, &x.s.actor, x.id).await;
    let page = format!("/console/circulars/{}", x.id);
    x.answer(r, &page, "reminded", |e| {
        circular_page(&x.st, &x.s, x.id, "", Some(e))
    })
    .await
}
