//! 联合惩戒与信用修复 in the console (issue 15 items 3–4), the one console pattern of case work:
//! the task queues of the user's role as tabs (待反馈, 即将超时, 已超时 …) with the batches of
//! the scope below them; a task's page (its batch, measures, subjects, feedback clock, evidence
//! files, timeline and the steps the user may take, each a confirmed form); a batch's page
//! (review: 审核通过 / 退回; 重新提交); the appeals' queue and an appeal's page (决定).
//! Filing batches, keeping the measure catalogue and registering appeals are API operations
//! for now (`/api/v1/sanction-*`, `/api/v1/credit-appeals`).

use std::collections::BTreeMap;

use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use lianjian_domain::credit::appeal::AppealAction;
use lianjian_services::ServiceError;
use lianjian_services::accounts::SessionAuth;
use lianjian_services::credit::repair::{self, AppealDetail, AppealQueue, AppealView};
use lianjian_services::credit::sanctions::{
    self, BatchDetail, BatchView, TaskDetail, TaskFilter, TaskQueue, TaskView,
};
use uuid::Uuid;

use super::clues::{ClockRow, clock_row, light_class};
use super::fields::{FormData, errors_of};
use super::{Chrome, ConsoleError, CsrfForm, Pager, PathId, local, render, see_other};
use crate::AppState;
use crate::api::params::Params;
use crate::extract::Console;

const AREA: &str = "sanctions";

fn notice(key: &str) -> Option<String> {
    let s = match key {
        "approved" => "已审核通过，各实施部门的执行任务已下发，反馈时限自今日起算。",
        "returned" => "已退回发起部门。",
        "resubmitted" => "已重新提交，等待联席办审核。",
        "attached" => "执行材料已上传并存入证据库。",
        "applied" => "已反馈执行情况，惩戒措施已记入信用记录。",
        "declined" => "已反馈未能执行及原因。",
        "supervised" => "已督办，实施部门可在任务时间线上看到督办意见。",
        "decided" => "已作出决定。",
        _ => return None,
    };
    Some(s.to_string())
}

/// A step on the page's timeline.
pub struct StepRow {
    pub label: String,
    pub to: String,
    pub reason: String,
    pub actor: String,
    pub at: String,
}

fn steps(t: &[lianjian_services::credit::repair::TimelineEntry]) -> Vec<StepRow> {
    t.iter()
        .map(|e| StepRow {
            label: e.action_label.clone(),
            to: e.to_status.clone(),
            reason: e.reason.clone().unwrap_or_default(),
            actor: e.actor.clone(),
            at: local(&e.at),
        })
        .collect()
}

/// The error of a failed step as the page shows it: the message, each field's, the status.
fn failure(err: Option<ServiceError>) -> (Option<String>, BTreeMap<String, String>, StatusCode) {
    match err {
        None => (None, BTreeMap::new(), StatusCode::OK),
        Some(e) => {
            let fields = errors_of(&e).unwrap_or_default();
            let api = crate::ApiError::from(e);
            (Some(api.message), fields, api.status)
        }
    }
}

fn with_status(status: StatusCode, body: Response) -> Response {
    let mut r = body;
    *r.status_mut() = status;
    r
}

// ---- the queue ----

pub struct TaskRow {
    pub v: TaskView,
    pub light_class: &'static str,
    pub light_label: &'static str,
    pub due: String,
}

#[derive(Template)]
#[template(path = "console/sanctions.html")]
struct QueuePage {
    c: Chrome,
    tabs: Vec<(&'static str, &'static str, u64, bool)>,
    queue: String,
    rows: Vec<TaskRow>,
    pager: Pager,
    batches: Vec<BatchView>,
    errors: BTreeMap<String, String>,
}

impl QueuePage {
    fn empty_text(&self) -> &'static str {
        match self.queue.as_str() {
            "pending" => "没有待反馈的惩戒任务。",
            "due_soon" => "没有即将超时的惩戒任务。",
            "overdue" => "没有已超时的惩戒任务，反馈均在时限之内。",
            "applied" => "没有正在执行的惩戒措施。",
            "not_applied" => "没有未能执行的任务。",
            "lifted" => "还没有到期解除的惩戒措施。",
            _ => "您的范围内还没有惩戒任务。",
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
    let queue = match p.one("queue").as_str() {
        "" => TaskQueue::Pending,
        q => TaskQueue::parse(q).unwrap_or_else(|e| {
            errors.insert("queue".to_string(), e.zh);
            TaskQueue::Pending
        }),
    };
    let page = Pager::request(&p.0, 20);
    let tasks = sanctions::list_tasks(&st.svc, &s.actor, queue, &TaskFilter::default(), page).await?;
    let counts = sanctions::task_queue_counts(&st.svc, &s.actor).await?;
    let batches = sanctions::list_batches(
        &st.svc,
        &s.actor,
        None,
        None,
        lianjian_services::PageRequest::new(Some(1), Some(20)),
    )
    .await?
    .items;
    let pager = Pager::new(&tasks, &[("queue", queue.as_str())]);
    let rows = tasks
        .items
        .into_iter()
        .map(|v| TaskRow {
            light_class: v.light.as_ref().map_or("", light_class),
            light_label: v.light.map_or("", |l| l.label_zh()),
            due: v
                .clocks
                .first()
                .map_or_else(String::new, |k| k.due.to_string()),
            v,
        })
        .collect();
    Ok(render(QueuePage {
        c: Chrome::new(&st.svc, &s, AREA).await,
        tabs: counts
            .iter()
            .map(|(q, n)| (q.as_str(), q.label_zh(), *n, *q == queue))
            .collect(),
        queue: queue.as_str().to_string(),
        rows,
        pager,
        batches,
        errors,
    }))
}

// ---- a task ----

#[derive(Template)]
#[template(path = "console/sanction_task.html")]
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
        self.d.actions.iter().any(|x| x.as_str() == a)
    }
}

async fn task_page(
    st: &AppState,
    s: &SessionAuth,
    id: Uuid,
    notice_key: &str,
    err: Option<ServiceError>,
) -> Result<Response, ConsoleError> {
    let d = sanctions::get_task(&st.svc, &s.actor, id).await?;
    let (error, errors, status) = failure(err);
    let mut c = Chrome::new(&st.svc, s, AREA).await;
    c.notice = notice(notice_key);
    let page = TaskPage {
        c,
        clocks: d.task.clocks.iter().map(clock_row).collect(),
        steps: steps(&d.timeline),
        d,
        error,
        errors,
    };
    Ok(with_status(status, render(page)))
}

pub async fn task(
    State(st): State<AppState>,
    Console(s): Console,
    PathId(id): PathId,
    Query(q): Query<Vec<(String, String)>>,
) -> Result<Response, ConsoleError> {
    task_page(&st, &s, id, &Params(q).one("ok"), None).await
}

async fn task_step(
    st: &AppState,
    s: &SessionAuth,
    id: Uuid,
    ok: &str,
    r: Result<TaskDetail, ServiceError>,
) -> Result<Response, ConsoleError> {
    match r {
        Ok(_) => Ok(see_other(&format!("/console/sanctions/tasks/{id}?ok={ok}"))),
        Err(ServiceError::NotFound) => Err(ConsoleError::not_found()),
        Err(e @ ServiceError::Forbidden) => Err(e.into()),
        Err(e) => task_page(st, s, id, "", Some(e)).await,
    }
}

/// 上传执行材料 (multipart: `_csrf`, `file`); the token is checked before anything is stored.
pub async fn attach(
    State(st): State<AppState>,
    Console(s): Console,
    PathId(id): PathId,
    form: Result<axum::extract::Multipart, axum::extract::multipart::MultipartRejection>,
) -> Result<Response, ConsoleError> {
    let max = st.svc.evidence.config().max_bytes;
    let r = match crate::api::evidence::read_form(form, max).await {
        Ok((upload, fields)) => {
            super::extract::check_csrf(&s, fields.get("_csrf").map_or("", String::as_str))?;
            match upload {
                Some(u) => sanctions::attach(&st.svc, &s.actor, id, u)
                    .await
                    .map(|(d, _)| d),
                None => Err(ServiceError::field(
                    "file",
                    lianjian_domain::Invalid::new("required", "请选择要上传的执行材料", "choose a file"),
                )),
            }
        }
        Err(e) => Err(ServiceError::field(
            "file",
            lianjian_domain::Invalid::new("upload_failed", e.message, e.message_en),
        )),
    };
    task_step(&st, &s, id, "attached", r).await
}

pub async fn apply(
    State(st): State<AppState>,
    Console(s): Console,
    PathId(id): PathId,
    CsrfForm(f): CsrfForm<FormData>,
) -> Result<Response, ConsoleError> {
    let applied_on = match f.get("applied_on").trim() {
        "" => Ok(None),
        d => d.parse().map(Some).map_err(|_| {
            ServiceError::field(
                "applied_on",
                lianjian_domain::Invalid::new(
                    "date",
                    format!("执行日期“{d}”不正确，应为 2026-12-07 这样的格式"),
                    "not a date",
                ),
            )
        }),
    };
    let r = match applied_on {
        Ok(applied_on) => {
            sanctions::apply(
                &st.svc,
                &s.actor,
                id,
                &sanctions::FeedbackInput {
                    feedback: f.get("feedback"),
                    applied_on,
                },
            )
            .await
        }
        Err(e) => Err(e),
    };
    task_step(&st, &s, id, "applied", r).await
}

pub async fn decline(
    State(st): State<AppState>,
    Console(s): Console,
    PathId(id): PathId,
    CsrfForm(f): CsrfForm<FormData>,
) -> Result<Response, ConsoleError> {
    let r = sanctions::decline(&st.svc, &s.actor, id, &f.get("reason")).await;
    task_step(&st, &s, id, "declined", r).await
}

pub async fn supervise(
    State(st): State<AppState>,
    Console(s): Console,
    PathId(id): PathId,
    CsrfForm(f): CsrfForm<FormData>,
) -> Result<Response, ConsoleError> {
    let r = sanctions::supervise(&st.svc, &s.actor, id, &f.get("reason")).await;
    task_step(&st, &s, id, "supervised", r).await
}

// ---- a batch ----

pub struct TaskLine {
    pub v: TaskView,
    pub light_class: &'static str,
    pub light_label: &'static str,
}

#[derive(Template)]
#[template(path = "console/sanction_batch.html")]
struct BatchPage {
    c: Chrome,
    d: BatchDetail,
    tasks: Vec<TaskLine>,
    steps: Vec<StepRow>,
    error: Option<String>,
    errors: BTreeMap<String, String>,
}

impl BatchPage {
    fn may(&self, a: &str) -> bool {
        self.d.actions.iter().any(|x| x.as_str() == a)
    }
}

async fn batch_page(
    st: &AppState,
    s: &SessionAuth,
    id: Uuid,
    notice_key: &str,
    err: Option<ServiceError>,
) -> Result<Response, ConsoleError> {
    let d = sanctions::get_batch(&st.svc, &s.actor, id).await?;
    let (error, errors, status) = failure(err);
    let mut c = Chrome::new(&st.svc, s, AREA).await;
    c.notice = notice(notice_key);
    let tasks = d
        .tasks
        .iter()
        .map(|v| TaskLine {
            light_class: v.light.as_ref().map_or("", light_class),
            light_label: v.light.map_or("", |l| l.label_zh()),
            v: v.clone(),
        })
        .collect();
    let page = BatchPage {
        c,
        tasks,
        steps: steps(&d.timeline),
        d,
        error,
        errors,
    };
    Ok(with_status(status, render(page)))
}

pub async fn batch(
    State(st): State<AppState>,
    Console(s): Console,
    PathId(id): PathId,
    Query(q): Query<Vec<(String, String)>>,
) -> Result<Response, ConsoleError> {
    batch_page(&st, &s, id, &Params(q).one("ok"), None).await
}

async fn batch_step(
    st: &AppState,
    s: &SessionAuth,
    id: Uuid,
    ok: &str,
    r: Result<BatchDetail, ServiceError>,
) -> Result<Response, ConsoleError> {
    match r {
        Ok(_) => Ok(see_other(&format!("/console/sanctions/batches/{id}?ok={ok}"))),
        Err(ServiceError::NotFound) => Err(ConsoleError::not_found()),
        Err(e @ ServiceError::Forbidden) => Err(e.into()),
        Err(e) => batch_page(st, s, id, "", Some(e)).await,
    }
}

pub async fn approve(
    State(st): State<AppState>,
    Console(s): Console,
    PathId(id): PathId,
    CsrfForm(_f): CsrfForm<FormData>,
) -> Result<Response, ConsoleError> {
    let r = sanctions::approve(&st.svc, &s.actor, id).await;
    batch_step(&st, &s, id, "approved", r).await
}

pub async fn return_batch(
    State(st): State<AppState>,
    Console(s): Console,
    PathId(id): PathId,
    CsrfForm(f): CsrfForm<FormData>,
) -> Result<Response, ConsoleError> {
    let r = sanctions::return_batch(&st.svc, &s.actor, id, &f.get("reason")).await;
    batch_step(&st, &s, id, "returned", r).await
}

pub async fn resubmit(
    State(st): State<AppState>,
    Console(s): Console,
    PathId(id): PathId,
    CsrfForm(f): CsrfForm<FormData>,
) -> Result<Response, ConsoleError> {
    let r = sanctions::resubmit(&st.svc, &s.actor, id, &f.get("reason")).await;
    batch_step(&st, &s, id, "resubmitted", r).await
}

// ---- appeals ----

pub struct AppealRow {
    pub v: AppealView,
    pub light_class: &'static str,
    pub light_label: &'static str,
    pub created: String,
}

#[derive(Template)]
#[template(path = "console/credit_appeals.html")]
struct AppealsPage {
    c: Chrome,
    tabs: Vec<(&'static str, &'static str, bool)>,
    rows: Vec<AppealRow>,
    pager: Pager,
    errors: BTreeMap<String, String>,
}

pub async fn appeals(
    State(st): State<AppState>,
    Console(s): Console,
    Query(q): Query<Vec<(String, String)>>,
) -> Result<Response, ConsoleError> {
    let p = Params(q);
    let mut errors = BTreeMap::new();
    let queue = match p.one("queue").as_str() {
        "" => AppealQueue::Submitted,
        q => AppealQueue::parse(q).unwrap_or_else(|e| {
            errors.insert("queue".to_string(), e.zh);
            AppealQueue::Submitted
        }),
    };
    let list = repair::list(&st.svc, &s.actor, queue, None, None, Pager::request(&p.0, 20)).await?;
    let pager = Pager::new(&list, &[("queue", queue.as_str())]);
    let rows = list
        .items
        .into_iter()
        .map(|v| AppealRow {
            light_class: v.light.as_ref().map_or("", light_class),
            light_label: v.light.map_or("", |l| l.label_zh()),
            created: local(&v.created_at),
            v,
        })
        .collect();
    Ok(render(AppealsPage {
        c: Chrome::new(&st.svc, &s, AREA).await,
        tabs: AppealQueue::ALL
            .iter()
            .map(|q| (q.as_str(), q.label_zh(), *q == queue))
            .collect(),
        rows,
        pager,
        errors,
    }))
}

#[derive(Template)]
#[template(path = "console/credit_appeal.html")]
struct AppealPage {
    c: Chrome,
    d: AppealDetail,
    clocks: Vec<ClockRow>,
    steps: Vec<StepRow>,
    created: String,
    may_decide: bool,
    error: Option<String>,
    errors: BTreeMap<String, String>,
}

async fn appeal_page(
    st: &AppState,
    s: &SessionAuth,
    id: Uuid,
    notice_key: &str,
    err: Option<ServiceError>,
) -> Result<Response, ConsoleError> {
    let d = repair::get(&st.svc, &s.actor, id).await?;
    let (error, errors, status) = failure(err);
    let mut c = Chrome::new(&st.svc, s, AREA).await;
    c.notice = notice(notice_key);
    let page = AppealPage {
        c,
        clocks: d.appeal.clocks.iter().map(clock_row).collect(),
        steps: steps(&d.timeline),
        created: local(&d.appeal.created_at),
        may_decide: d.actions.contains(&AppealAction::Grant),
        d,
        error,
        errors,
    };
    Ok(with_status(status, render(page)))
}

pub async fn appeal(
    State(st): State<AppState>,
    Console(s): Console,
    PathId(id): PathId,
    Query(q): Query<Vec<(String, String)>>,
) -> Result<Response, ConsoleError> {
    appeal_page(&st, &s, id, &Params(q).one("ok"), None).await
}

/// 决定 (`verdict=grant|reject`, `reason`).
pub async fn decide(
    State(st): State<AppState>,
    Console(s): Console,
    PathId(id): PathId,
    CsrfForm(f): CsrfForm<FormData>,
) -> Result<Response, ConsoleError> {
    let r = match f.get("verdict").as_str() {
        "grant" => repair::decide(&st.svc, &s.actor, id, true, &f.get("reason")).await,
        "reject" => repair::decide(&st.svc, &s.actor, id, false, &f.get("reason")).await,
        _ => Err(ServiceError::field(
            "verdict",
            lianjian_domain::Invalid::new("required", "请选择予以支持或不予支持", "choose a verdict"),
        )),
    };
    match r {
        Ok(_) => Ok(see_other(&format!("/console/sanctions/appeals/{id}?ok=decided"))),
        Err(ServiceError::NotFound) => Err(ConsoleError::not_found()),
        Err(e @ ServiceError::Forbidden) => Err(e.into()),
        Err(e) => appeal_page(&st, &s, id, "", Some(e)).await,
    }
}
