//! Joint sanctions (联合惩戒) and credit appeals (异议与信用修复), issue 15 items 3–4:
//! `/api/v1/sanction-measures` (the measure catalogue), `/api/v1/sanction-batches` (发起 →
//! 审核), `/api/v1/sanction-tasks` (执行 → 反馈 with evidence, 督办), `/api/v1/sanction-statistics`
//! and `/api/v1/credit-appeals`. Every step is one audited event of the shared case mechanism.
//! Responsible persons' ID numbers are masked for callers who do not need them
//! (`id_numbers_masked: true`).

use axum::Json;
use axum::extract::multipart::MultipartRejection;
use axum::extract::{Multipart, Path, State};
use axum::http::StatusCode;
use chrono::NaiveDate;
use lianjian_domain::Invalid;
use lianjian_domain::credit::appeal::AppealKind;
use lianjian_domain::credit::sanction::BatchStatus;
use lianjian_services::credit::repair::{self, AppealDetail, AppealInput, AppealQueue, AppealView};
use lianjian_services::credit::sanctions::{
    self, BatchDetail, BatchInput, BatchView, FeedbackInput, MeasureInput, MeasureView, Statistics,
    TaskDetail, TaskFilter, TaskQueue, TaskView,
};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

use super::cases::{listed, on_case};
use super::clues::ReasonBody;
use super::dto::PageOf;
use super::params::{self, Pages, field_err, text};
use crate::error::ErrorBody;
use crate::extract::{ApiActor, ApiJson, ApiQuery};
use crate::{ApiError, AppState};

fn date_param(field: &str, v: &Option<String>) -> Result<Option<NaiveDate>, ApiError> {
    match text(v) {
        None => Ok(None),
        Some(s) => s.parse::<NaiveDate>().map(Some).map_err(|_| {
            field_err(
                field,
                Invalid::new(
                    "date",
                    format!("日期“{s}”不正确，应为 2026-12-07 这样的格式"),
                    format!("'{s}' is not a date (YYYY-MM-DD)"),
                ),
            )
        }),
    }
}

// ---- measures ----

/// Filters of the catalogue.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct MeasureParams {
    /// `true`: only the measures offered to new batches.
    pub active: Option<bool>,
}

/// The measure catalogue the caller may use: its region's and its ancestors' measures.
#[utoipa::path(get, path = "/api/v1/sanction-measures", tag = "sanctions", params(MeasureParams),
    responses((status = 200, body = [MeasureView])))]
pub async fn list_measures(
    State(st): State<AppState>,
    ApiActor(a): ApiActor,
    ApiQuery(p): ApiQuery<MeasureParams>,
) -> Result<Json<Vec<MeasureView>>, ApiError> {
    Ok(Json(
        sanctions::list_measures(&st.svc, &a, p.active.unwrap_or(false)).await?,
    ))
}

/// Adds a measure to the catalogue of the caller's region (coordination office). Every bad
/// field is named (422); a name already used in the region is a 409 on `name`.
#[utoipa::path(post, path = "/api/v1/sanction-measures", tag = "sanctions", request_body = MeasureInput,
    responses((status = 201, body = MeasureView), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create_measure(
    State(st): State<AppState>,
    ApiActor(a): ApiActor,
    ApiJson(b): ApiJson<MeasureInput>,
) -> Result<(StatusCode, Json<MeasureView>), ApiError> {
    Ok((
        StatusCode::CREATED,
        Json(sanctions::create_measure(&st.svc, &a, &b).await?),
    ))
}

/// One measure.
#[utoipa::path(get, path = "/api/v1/sanction-measures/{id}", tag = "sanctions",
    responses((status = 200, body = MeasureView), (status = 404, body = ErrorBody)))]
pub async fn get_measure(
    State(st): State<AppState>,
    ApiActor(a): ApiActor,
    Path(id): Path<String>,
) -> Result<Json<MeasureView>, ApiError> {
    on_case(&id, |id| sanctions::get_measure(&st.svc, &a, id)).await
}

/// Changes a measure (every field sent again; `active: false` withdraws it from new batches).
/// Batches already filed keep what they applied.
#[utoipa::path(put, path = "/api/v1/sanction-measures/{id}", tag = "sanctions", request_body = MeasureInput,
    responses((status = 200, body = MeasureView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn update_measure(
    State(st): State<AppState>,
    ApiActor(a): ApiActor,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<MeasureInput>,
) -> Result<Json<MeasureView>, ApiError> {
    on_case(&id, |id| sanctions::update_measure(&st.svc, &a, id, &b)).await
}

// ---- batches ----

/// Filters of the batch list.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct BatchParams {
    /// `submitted` 待审核, `returned` 已退回, `approved` 执行中, `completed` 已完成反馈.
    pub status: Option<String>,
    /// Text in the code or the reason.
    pub q: Option<String>,
}

/// Batches in the caller's scope (its line's departments are party to them), newest first.
#[utoipa::path(get, path = "/api/v1/sanction-batches", tag = "sanctions", params(BatchParams, Pages),
    responses((status = 200, body = PageOf<BatchView>), (status = 422, body = ErrorBody)))]
pub async fn list_batches(
    State(st): State<AppState>,
    ApiActor(a): ApiActor,
    ApiQuery(f): ApiQuery<BatchParams>,
    ApiQuery(p): ApiQuery<Pages>,
) -> Result<Json<PageOf<BatchView>>, ApiError> {
    let status = params::coded::<BatchStatus>("status", &f.status)?;
    Ok(listed(
        sanctions::list_batches(&st.svc, &a, status, text(&f.q), p.request()?).await?,
    ))
}

/// 发起: the caller's department files a batch (entities and responsible persons, measures,
/// legal basis, period, feedback deadline in working days). Every bad field is named (422,
/// `subjects[1].id_number` …) and nothing is stored. Inspectors and read-only roles: 403.
#[utoipa::path(post, path = "/api/v1/sanction-batches", tag = "sanctions", request_body = BatchInput,
    responses((status = 201, body = BatchDetail), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn file_batch(
    State(st): State<AppState>,
    ApiActor(a): ApiActor,
    ApiJson(b): ApiJson<BatchInput>,
) -> Result<(StatusCode, Json<BatchDetail>), ApiError> {
    Ok((
        StatusCode::CREATED,
        Json(sanctions::file_batch(&st.svc, &a, &b).await?),
    ))
}

/// A batch with its subjects, measures, tasks (with their clocks), timeline and the steps
/// the caller may take. 404 outside the caller's scope.
#[utoipa::path(get, path = "/api/v1/sanction-batches/{id}", tag = "sanctions",
    responses((status = 200, body = BatchDetail), (status = 404, body = ErrorBody)))]
pub async fn get_batch(
    State(st): State<AppState>,
    ApiActor(a): ApiActor,
    Path(id): Path<String>,
) -> Result<Json<BatchDetail>, ApiError> {
    on_case(&id, |id| sanctions::get_batch(&st.svc, &a, id)).await
}

/// 审核通过: the coordination office approves a batch; each implementing department gets a
/// task with its feedback clock started today. 409 in another status.
#[utoipa::path(post, path = "/api/v1/sanction-batches/{id}/approve", tag = "sanctions",
    responses((status = 200, body = BatchDetail), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn approve(
    State(st): State<AppState>,
    ApiActor(a): ApiActor,
    Path(id): Path<String>,
) -> Result<Json<BatchDetail>, ApiError> {
    on_case(&id, |id| sanctions::approve(&st.svc, &a, id)).await
}

/// 退回: the office returns a batch to the initiating department with a reason.
#[utoipa::path(post, path = "/api/v1/sanction-batches/{id}/return", tag = "sanctions", request_body = ReasonBody,
    responses((status = 200, body = BatchDetail), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn return_batch(
    State(st): State<AppState>,
    ApiActor(a): ApiActor,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<ReasonBody>,
) -> Result<Json<BatchDetail>, ApiError> {
    on_case(&id, |id| {
        sanctions::return_batch(&st.svc, &a, id, &b.reason)
    })
    .await
}

/// 重新提交: the initiating department submits a returned batch again, saying what it did.
#[utoipa::path(post, path = "/api/v1/sanction-batches/{id}/resubmit", tag = "sanctions", request_body = ReasonBody,
    responses((status = 200, body = BatchDetail), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn resubmit(
    State(st): State<AppState>,
    ApiActor(a): ApiActor,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<ReasonBody>,
) -> Result<Json<BatchDetail>, ApiError> {
    on_case(&id, |id| sanctions::resubmit(&st.svc, &a, id, &b.reason)).await
}

// ---- tasks ----

/// Filters of the task queues.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct TaskParams {
    /// `pending` 待反馈 (default), `due_soon` 即将超时, `overdue` 已超时, `applied` 已执行,
    /// `not_applied` 未能执行, `lifted` 已解除, `all`.
    pub queue: Option<String>,
    /// The implementing department.
    pub department_id: Option<String>,
    /// The batch.
    pub batch_id: Option<String>,
}

/// Tasks in the caller's scope (a department its own, the office its region's), oldest first,
/// each with its feedback clock's light.
#[utoipa::path(get, path = "/api/v1/sanction-tasks", tag = "sanctions", params(TaskParams, Pages),
    responses((status = 200, body = PageOf<TaskView>), (status = 422, body = ErrorBody)))]
pub async fn list_tasks(
    State(st): State<AppState>,
    ApiActor(a): ApiActor,
    ApiQuery(f): ApiQuery<TaskParams>,
    ApiQuery(p): ApiQuery<Pages>,
) -> Result<Json<PageOf<TaskView>>, ApiError> {
    let queue = params::queue(&f.queue, TaskQueue::Pending)?;
    let filter = TaskFilter {
        department_id: params::opt_id("department_id", &f.department_id)?,
        batch_id: params::opt_id("batch_id", &f.batch_id)?,
    };
    Ok(listed(
        sanctions::list_tasks(&st.svc, &a, queue, &filter, p.request()?).await?,
    ))
}

/// A task with its batch, the measures and subjects it concerns, its evidence files, clock,
/// timeline and the steps the caller may take. 404 outside the caller's scope.
#[utoipa::path(get, path = "/api/v1/sanction-tasks/{id}", tag = "sanctions",
    responses((status = 200, body = TaskDetail), (status = 404, body = ErrorBody)))]
pub async fn get_task(
    State(st): State<AppState>,
    ApiActor(a): ApiActor,
    Path(id): Path<String>,
) -> Result<Json<TaskDetail>, ApiError> {
    on_case(&id, |id| sanctions::get_task(&st.svc, &a, id)).await
}

/// 上传执行材料: a file showing the measures were carried out (multipart field `file`), stored
/// once in the evidence log; the same file again changes nothing (200). Too large: 413; not
/// an allowed type: 415; nothing stored then.
#[utoipa::path(post, path = "/api/v1/sanction-tasks/{id}/attachments", tag = "sanctions",
    request_body(content = super::evidence::UploadForm, content_type = "multipart/form-data"),
    responses((status = 201, body = TaskDetail), (status = 200, body = TaskDetail),
        (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 413, body = ErrorBody), (status = 415, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn attach(
    State(st): State<AppState>,
    ApiActor(a): ApiActor,
    Path(id): Path<String>,
    form: Result<Multipart, MultipartRejection>,
) -> Result<(StatusCode, Json<TaskDetail>), ApiError> {
    let id = params::id(&id)?;
    let upload = super::evidence::read_upload(form, st.svc.evidence.config().max_bytes).await?;
    let (d, added) = sanctions::attach(&st.svc, &a, id, upload)
        .await
        .map_err(super::evidence::upload_error)?;
    let status = if added {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((status, Json(d)))
}

/// 反馈已执行: the implementing department reports the measures carried out (at least one
/// evidence file attached first, else 422 on `files`); writes the sanction's credit entries.
#[utoipa::path(post, path = "/api/v1/sanction-tasks/{id}/apply", tag = "sanctions", request_body = FeedbackInput,
    responses((status = 200, body = TaskDetail), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn apply(
    State(st): State<AppState>,
    ApiActor(a): ApiActor,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<FeedbackInput>,
) -> Result<Json<TaskDetail>, ApiError> {
    on_case(&id, |id| sanctions::apply(&st.svc, &a, id, &b)).await
}

/// 反馈未能执行: the implementing department reports why it could not carry them out.
#[utoipa::path(post, path = "/api/v1/sanction-tasks/{id}/decline", tag = "sanctions", request_body = ReasonBody,
    responses((status = 200, body = TaskDetail), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn decline(
    State(st): State<AppState>,
    ApiActor(a): ApiActor,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<ReasonBody>,
) -> Result<Json<TaskDetail>, ApiError> {
    on_case(&id, |id| sanctions::decline(&st.svc, &a, id, &b.reason)).await
}

/// 督办: the office chases a task waiting for feedback, with a reason the department reads.
#[utoipa::path(post, path = "/api/v1/sanction-tasks/{id}/supervise", tag = "sanctions", request_body = ReasonBody,
    responses((status = 200, body = TaskDetail), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn supervise(
    State(st): State<AppState>,
    ApiActor(a): ApiActor,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<ReasonBody>,
) -> Result<Json<TaskDetail>, ApiError> {
    on_case(&id, |id| sanctions::supervise(&st.svc, &a, id, &b.reason)).await
}

/// The period of the statistics.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct StatisticsParams {
    /// First day (Beijing date); default 29 days before `to`.
    pub from: Option<String>,
    /// Last day, inclusive; default today.
    pub to: Option<String>,
}

/// Tasks dispatched in the period within the caller's scope, by measure, implementing
/// department and result; and the tasks overdue now.
#[utoipa::path(get, path = "/api/v1/sanction-statistics", tag = "sanctions", params(StatisticsParams),
    responses((status = 200, body = Statistics), (status = 422, body = ErrorBody)))]
pub async fn statistics(
    State(st): State<AppState>,
    ApiActor(a): ApiActor,
    ApiQuery(p): ApiQuery<StatisticsParams>,
) -> Result<Json<Statistics>, ApiError> {
    let to = date_param("to", &p.to)?
        .unwrap_or_else(|| params::today().parse().expect("today is a date"));
    let from = date_param("from", &p.from)?.unwrap_or(to - chrono::Duration::days(29));
    Ok(Json(sanctions::statistics(&st.svc, &a, from, to).await?))
}

// ---- appeals ----

/// Filters of the appeal queues.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AppealParams {
    /// `submitted` 待决定 (default), `due_soon` 即将超时, `overdue` 已超时, `decided` 已决定, `all`.
    pub queue: Option<String>,
    /// `objection` 信用异议 or `repair` 信用修复.
    pub kind: Option<String>,
    /// One entity's appeals.
    pub entity_id: Option<String>,
}

/// Objections and repair applications in the caller's scope, oldest first.
#[utoipa::path(get, path = "/api/v1/credit-appeals", tag = "sanctions", params(AppealParams, Pages),
    responses((status = 200, body = PageOf<AppealView>), (status = 422, body = ErrorBody)))]
pub async fn list_appeals(
    State(st): State<AppState>,
    ApiActor(a): ApiActor,
    ApiQuery(f): ApiQuery<AppealParams>,
    ApiQuery(p): ApiQuery<Pages>,
) -> Result<Json<PageOf<AppealView>>, ApiError> {
    let queue = params::queue(&f.queue, AppealQueue::Submitted)?;
    let kind = params::coded::<AppealKind>("kind", &f.kind)?;
    let entity = params::opt_id("entity_id", &f.entity_id)?;
    Ok(listed(
        repair::list(&st.svc, &a, queue, kind, entity, p.request()?).await?,
    ))
}

/// 登记: an objection to a credit entry, or a repair application, registered on the entity's
/// behalf. A repair before the tier's minimum period is a 422 `too_early` on `entry_id`; an
/// entry with an open appeal a 422 `open_appeal`. The decision is due in 10 working days.
#[utoipa::path(post, path = "/api/v1/credit-appeals", tag = "sanctions", request_body = AppealInput,
    responses((status = 201, body = AppealDetail), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn register_appeal(
    State(st): State<AppState>,
    ApiActor(a): ApiActor,
    ApiJson(b): ApiJson<AppealInput>,
) -> Result<(StatusCode, Json<AppealDetail>), ApiError> {
    Ok((
        StatusCode::CREATED,
        Json(repair::register(&st.svc, &a, &b).await?),
    ))
}

/// An appeal with the entry, its clock, timeline and the steps the caller may take.
#[utoipa::path(get, path = "/api/v1/credit-appeals/{id}", tag = "sanctions",
    responses((status = 200, body = AppealDetail), (status = 404, body = ErrorBody)))]
pub async fn get_appeal(
    State(st): State<AppState>,
    ApiActor(a): ApiActor,
    Path(id): Path<String>,
) -> Result<Json<AppealDetail>, ApiError> {
    on_case(&id, |id| repair::get(&st.svc, &a, id)).await
}

/// A decision.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AppealDecisionBody {
    /// `true`: 予以支持 (an objection upheld withdraws the entry; a repair granted stops its
    /// publication); `false`: 不予支持.
    pub grant: bool,
    pub reason: String,
}

/// 决定: the office of the entry's region or the department that recorded it decides, with
/// reasons. 409 once decided.
#[utoipa::path(post, path = "/api/v1/credit-appeals/{id}/decide", tag = "sanctions", request_body = AppealDecisionBody,
    responses((status = 200, body = AppealDetail), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn decide_appeal(
    State(st): State<AppState>,
    ApiActor(a): ApiActor,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<AppealDecisionBody>,
) -> Result<Json<AppealDetail>, ApiError> {
    on_case(&id, |id| {
        repair::decide(&st.svc, &a, id, b.grant, &b.reason)
    })
    .await
}
