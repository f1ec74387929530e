//! 联合惩戒与信用修复 in the console (issue 15 items 3–4), the one console pattern of case work:
//! the task queues of the user's role as tabs (待反馈, 即将超时, 已超时 …) with the batches of
//! the scope below them; a task's page (its batch, measures, subjects, feedback clock, evidence
//! files, timeline and the steps the user may take, each a confirmed form); a batch's page
//! (review: 审核通过 / 退回; 重新提交); the appeals' queue and an appeal's page (决定).
//! The measure catalogue (list and the office's form) and the filing form (subjects one per
//! line) are here too; registering an appeal is an API operation for now
//! (`POST /api/v1/credit-appeals`).

use std::collections::BTreeMap;

use askama::Template;
use axum::extract::{Query, State};
use axum::response::Response;
use lianjian_domain::credit::appeal::AppealAction;
use lianjian_services::ServiceError;
use lianjian_services::accounts::SessionAuth;
use lianjian_services::credit::repair::{self, AppealDetail, AppealQueue, AppealView};
use lianjian_services::credit::sanctions::{
    self, BatchDetail, BatchView, TaskDetail, TaskFilter, TaskQueue, TaskView,
};
use uuid::Uuid;

use super::cases::{
    CaseStep, CaseView, ClockRow, Shell, StepRow, Tab, clock_row, light_badge, queue_param,
    queue_tabs, step_rows as steps, upload,
};
use super::fields::FormData;
use super::{
    Chrome, ConsoleError, CsrfForm, Pager, PathId, failure, local, render, see_other, with_status,
};
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
    tabs: Vec<Tab>,
    queue: String,
    rows: Vec<TaskRow>,
    pager: Pager,
    batches: Vec<BatchView>,
    may_file: bool,
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
    let queue = queue_param(&p, TaskQueue::Pending, &mut errors);
    let page = Pager::request(&p.0, 20);
    let tasks =
        sanctions::list_tasks(&st.svc, &s.actor, queue, &TaskFilter::default(), page).await?;
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
        .map(|v| {
            let (light_class, light_label) = light_badge(v.light);
            TaskRow {
                light_class,
                light_label,
                due: v
                    .clocks
                    .first()
                    .map_or_else(String::new, |k| k.due.to_string()),
                v,
            }
        })
        .collect();
    Ok(render(QueuePage {
        c: Chrome::new(&st.svc, &s, AREA).await,
        tabs: queue_tabs(&counts, queue),
        queue: queue.as_str().to_string(),
        rows,
        pager,
        batches,
        may_file: sanctions::may_file(&s.actor),
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
    let d = sanctions::get_task(&st.svc, &s.actor, id).await?;
    let Shell {
        c,
        error,
        errors,
        status,
    } = Shell::new(st, s, AREA, notice(notice_key), err).await;
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
    let page = format!("/console/sanctions/tasks/{id}");
    super::cases::answer(r, &page, ok, |e| task_page(st, s, id, "", Some(e))).await
}

/// 上传执行材料 (multipart: `_csrf`, `file`); the token is checked before anything is stored.
pub async fn attach(
    State(st): State<AppState>,
    Console(s): Console,
    PathId(id): PathId,
    form: Result<axum::extract::Multipart, axum::extract::multipart::MultipartRejection>,
) -> Result<Response, ConsoleError> {
    let r = match upload(&st, &s, form, "请选择要上传的执行材料").await? {
        Ok(u) => sanctions::attach(&st.svc, &s.actor, id, u)
            .await
            .map(|(d, _)| d),
        Err(e) => Err(e),
    };
    task_step(&st, &s, id, "attached", r).await
}

pub async fn apply(x: CaseStep) -> Result<Response, ConsoleError> {
    let f = &x.f;
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
                &x.st.svc,
                &x.s.actor,
                x.id,
                &sanctions::FeedbackInput {
                    feedback: f.get("feedback"),
                    applied_on,
                },
            )
            .await
        }
        Err(e) => Err(e),
    };
    task_step(&x.st, &x.s, x.id, "applied", r).await
}

pub async fn decline(x: CaseStep) -> Result<Response, ConsoleError> {
    let r = sanctions::decline(&x.st.svc, &x.s.actor, x.id, &x.f.get("reason")).await;
    task_step(&x.st, &x.s, x.id, "declined", r).await
}

pub async fn supervise(x: CaseStep) -> Result<Response, ConsoleError> {
    let r = sanctions::supervise(&x.st.svc, &x.s.actor, x.id, &x.f.get("reason")).await;
    task_step(&x.st, &x.s, x.id, "supervised", r).await
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
        super::cases::may(&self.d.actions, a)
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
    let Shell {
        c,
        error,
        errors,
        status,
    } = Shell::new(st, s, AREA, notice(notice_key), err).await;
    let tasks = d
        .tasks
        .iter()
        .map(|v| {
            let (light_class, light_label) = light_badge(v.light);
            TaskLine {
                light_class,
                light_label,
                v: v.clone(),
            }
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

pub async fn batch(v: CaseView) -> Result<Response, ConsoleError> {
    batch_page(&v.st, &v.s, v.id, &v.ok, None).await
}

async fn batch_step(
    x: &CaseStep,
    ok: &str,
    r: Result<BatchDetail, ServiceError>,
) -> Result<Response, ConsoleError> {
    let page = format!("/console/sanctions/batches/{}", x.id);
    x.answer(r, &page, ok, |e| batch_page(&x.st, &x.s, x.id, "", Some(e)))
        .await
}

pub async fn approve(x: CaseStep) -> Result<Response, ConsoleError> {
    let r = sanctions::approve(&x.st.svc, &x.s.actor, x.id).await;
    batch_step(&x, "approved", r).await
}

pub async fn return_batch(x: CaseStep) -> Result<Response, ConsoleError> {
    let r = sanctions::return_batch(&x.st.svc, &x.s.actor, x.id, &x.f.get("reason")).await;
    batch_step(&x, "returned", r).await
}

pub async fn resubmit(x: CaseStep) -> Result<Response, ConsoleError> {
    let r = sanctions::resubmit(&x.st.svc, &x.s.actor, x.id, &x.f.get("reason")).await;
    batch_step(&x, "resubmitted", r).await
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
    let queue = queue_param(&p, AppealQueue::Submitted, &mut errors);
    let list = repair::list(
        &st.svc,
        &s.actor,
        queue,
        None,
        None,
        Pager::request(&p.0, 20),
    )
    .await?;
    let pager = Pager::new(&list, &[("queue", queue.as_str())]);
    let rows = list
        .items
        .into_iter()
        .map(|v| {
            let (light_class, light_label) = light_badge(v.light);
            AppealRow {
                light_class,
                light_label,
                created: local(&v.created_at),
                v,
            }
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
    let Shell {
        c,
        error,
        errors,
        status,
    } = Shell::new(st, s, AREA, notice(notice_key), err).await;
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

pub async fn appeal(v: CaseView) -> Result<Response, ConsoleError> {
    appeal_page(&v.st, &v.s, v.id, &v.ok, None).await
}

/// 决定 (`verdict=grant|reject`, `reason`).
pub async fn decide(x: CaseStep) -> Result<Response, ConsoleError> {
    let (st, s, id, reason) = (&x.st, &x.s, x.id, x.f.get("reason"));
    let r = match x.f.get("verdict").as_str() {
        "grant" => repair::decide(&st.svc, &s.actor, id, true, &reason).await,
        "reject" => repair::decide(&st.svc, &s.actor, id, false, &reason).await,
        _ => Err(ServiceError::field(
            "verdict",
            lianjian_domain::Invalid::new(
                "required",
                "请选择予以支持或不予支持",
                "choose a verdict",
            ),
        )),
    };
    let page = format!("/console/sanctions/appeals/{id}");
    x.answer(r, &page, "decided", |e| appeal_page(st, s, id, "", Some(e)))
        .await
}

// ---- the measure catalogue and filing a batch ----

#[derive(Template)]
#[template(path = "console/sanction_measures.html")]
struct MeasuresPage {
    c: Chrome,
    measures: Vec<sanctions::MeasureView>,
    may_maintain: bool,
    departments: Vec<(String, String)>,
    form: FormData,
    error: Option<String>,
    errors: BTreeMap<String, String>,
}

async fn measures_page(
    st: &AppState,
    s: &SessionAuth,
    form: FormData,
    notice_text: Option<&str>,
    err: Option<ServiceError>,
) -> Result<Response, ConsoleError> {
    let measures = sanctions::list_measures(&st.svc, &s.actor, false).await?;
    let may_maintain = sanctions::may_maintain_measures(&s.actor);
    let departments = if may_maintain {
        super::offered_departments(&st.svc, &s.actor).await
    } else {
        Vec::new()
    };
    let (error, errors, status) = failure(err);
    let mut c = Chrome::new(&st.svc, s, AREA).await;
    c.notice = notice_text.map(str::to_string);
    Ok(with_status(
        status,
        render(MeasuresPage {
            c,
            measures,
            may_maintain,
            departments,
            form,
            error,
            errors,
        }),
    ))
}

pub async fn measures(
    State(st): State<AppState>,
    Console(s): Console,
    Query(q): Query<Vec<(String, String)>>,
) -> Result<Response, ConsoleError> {
    let added = Params(q).one("ok") == "added";
    measures_page(
        &st,
        &s,
        FormData::default(),
        added.then_some("措施已加入目录。"),
        None,
    )
    .await
}

fn months_field(f: &FormData) -> Result<Option<i64>, ServiceError> {
    match f.get("default_months").trim() {
        "" => Ok(None),
        t => t.parse().map(Some).map_err(|_| {
            ServiceError::field(
                "default_months",
                lianjian_domain::Invalid::new(
                    "number",
                    format!("默认期限“{t}”应为 1–60 的整数（月）"),
                    "the default duration must be a whole number of months",
                ),
            )
        }),
    }
}

pub async fn add_measure(
    State(st): State<AppState>,
    Console(s): Console,
    CsrfForm(f): CsrfForm<FormData>,
) -> Result<Response, ConsoleError> {
    let r = match months_field(&f) {
        Ok(months) => {
            let input = sanctions::MeasureInput {
                name: f.get("name"),
                legal_basis: f.get("legal_basis"),
                department_id: f.get("department_id").trim().parse().ok(),
                subject_type: f.get("subject_type"),
                default_months: months,
                class_d: f.get("class_d") == "1",
                active: Some(true),
            };
            sanctions::create_measure(&st.svc, &s.actor, &input).await
        }
        Err(e) => Err(e),
    };
    match r {
        Ok(_) => Ok(see_other("/console/sanctions/measures?ok=added")),
        Err(e @ ServiceError::Forbidden) => Err(e.into()),
        Err(e) => measures_page(&st, &s, f, None, Some(e)).await,
    }
}

#[derive(Template)]
#[template(path = "console/sanction_batch_form.html")]
struct BatchForm {
    c: Chrome,
    measures: Vec<sanctions::MeasureView>,
    form: FormData,
    error: Option<String>,
    errors: BTreeMap<String, String>,
}

impl BatchForm {
    fn checked(&self, id: &Uuid) -> bool {
        self.form
            .all("measure_ids")
            .iter()
            .any(|m| m == &id.to_string())
    }
}

async fn batch_form(
    st: &AppState,
    s: &SessionAuth,
    form: FormData,
    err: Option<ServiceError>,
) -> Result<Response, ConsoleError> {
    if !sanctions::may_file(&s.actor) {
        return Err(ServiceError::Forbidden.into());
    }
    let measures = sanctions::list_measures(&st.svc, &s.actor, true).await?;
    let (error, errors, status) = failure(err);
    Ok(with_status(
        status,
        render(BatchForm {
            c: Chrome::new(&st.svc, s, AREA).await,
            measures,
            form,
            error,
            errors,
        }),
    ))
}

pub async fn new_batch(
    State(st): State<AppState>,
    Console(s): Console,
) -> Result<Response, ConsoleError> {
    batch_form(&st, &s, FormData::default(), None).await
}

/// The subjects box: one line each — a credit code (市场主体), or a credit code, the person's
/// name, ID number and role separated by commas (责任人).
fn subjects_of(text: &str) -> Result<Vec<sanctions::SubjectInput>, ServiceError> {
    let mut out = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let parts: Vec<&str> = line.split([',', '，', '\t']).map(str::trim).collect();
        if parts.iter().all(|p| p.is_empty()) {
            continue;
        }
        match parts.as_slice() {
            [usci] => out.push(sanctions::SubjectInput {
                subject_type: "entity".into(),
                usci: Some((*usci).to_string()),
                ..Default::default()
            }),
            [usci, name, id, role] => out.push(sanctions::SubjectInput {
                subject_type: "person".into(),
                usci: Some((*usci).to_string()),
                person_name: Some((*name).to_string()),
                id_number: Some((*id).to_string()),
                person_role: Some((*role).to_string()),
                ..Default::default()
            }),
            _ => {
                return Err(ServiceError::field(
                    "subjects",
                    lianjian_domain::Invalid::new(
                        "line",
                        format!(
                            "惩戒对象第 {} 行格式不正确：市场主体填统一社会信用代码；责任人填“统一社会信用代码，姓名，身份证号码，职务”",
                            n + 1
                        ),
                        format!("subjects line {} has the wrong number of fields", n + 1),
                    ),
                ));
            }
        }
    }
    Ok(out)
}

fn date_field(f: &FormData, name: &str) -> Result<Option<chrono::NaiveDate>, ServiceError> {
    match f.get(name).trim() {
        "" => Ok(None),
        t => t.parse().map(Some).map_err(|_| {
            ServiceError::field(
                name,
                lianjian_domain::Invalid::new(
                    "date",
                    format!("日期“{t}”不正确，应为 2026-12-07 这样的格式"),
                    "not a date",
                ),
            )
        }),
    }
}

pub async fn file_batch(
    State(st): State<AppState>,
    Console(s): Console,
    CsrfForm(f): CsrfForm<FormData>,
) -> Result<Response, ConsoleError> {
    let parsed = (|| -> Result<sanctions::BatchInput, ServiceError> {
        let feedback_days = match f.get("feedback_days").trim() {
            "" => None,
            t => Some(t.parse::<i64>().map_err(|_| {
                ServiceError::field(
                    "feedback_days",
                    lianjian_domain::Invalid::new(
                        "number",
                        format!("反馈期限“{t}”应为 1–60 的整数（工作日）"),
                        "a whole number of working days",
                    ),
                )
            })?),
        };
        Ok(sanctions::BatchInput {
            reason: f.get("reason"),
            legal_basis: f.get("legal_basis"),
            starts_on: date_field(&f, "starts_on")?,
            ends_on: date_field(&f, "ends_on")?,
            feedback_days,
            measure_ids: f
                .all("measure_ids")
                .iter()
                .filter_map(|m| m.trim().parse().ok())
                .collect(),
            subjects: subjects_of(&f.get("subjects"))?,
        })
    })();
    let r = match parsed {
        Ok(input) => sanctions::file_batch(&st.svc, &s.actor, &input).await,
        Err(e) => Err(e),
    };
    match r {
        Ok(d) => Ok(see_other(&format!(
            "/console/sanctions/batches/{}",
            d.batch.id
        ))),
        Err(e @ ServiceError::Forbidden) => Err(e.into()),
        Err(e) => batch_form(&st, &s, f, Some(e)).await,
    }
}
