//! Consultations and circulars (议事会商、情况通报, issue 17 item 3): `/api/v1/consultations`
//! (queues, a consultation's page and its steps: 添加材料, 记录召开, 纪要定稿 with decisions and
//! tasks, 取消), `/api/v1/consultation-tasks` (the decisions' tasks: queues, a task's page,
//! 报告完成, 督办) and `/api/v1/circulars` (queues, a circular's page — which records the
//! reader's department's receipt — and 提醒未读). Every step is one audited event of the
//! shared case mechanism; only the convener's or issuer's side, the participants or
//! recipients and the office over the region see a record (404 for everyone else).

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use lianjian_services::circulars::{
    self, CircularDetail, CircularInput, CircularQueue, CircularView,
};
use lianjian_services::consultations::{
    self, ConsultationDetail, ConsultationInput, ConsultationQueue, ConsultationView, MinutesInput,
    ReportInput, TaskDetail, TaskFilter, TaskQueue, TaskView,
};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::cases::{listed, on_case};
use super::clues::ReasonBody;
use super::dto::PageOf;
use super::params::{self, Pages, text};
use crate::error::ErrorBody;
use crate::extract::{ApiActor, ApiJson, ApiQuery};
use crate::{ApiError, AppState};

/// Filters of a consultation queue.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ConsultationParams {
    /// `open` 待召开/待定稿, `tracking` 任务督办中, `closed` 已办结, `all` (default).
    pub queue: Option<String>,
    /// Code, title or topic contains this.
    pub q: Option<String>,
}

/// Consultations the caller convened, takes part in, or (an office) that were convened in its
/// region, each with the progress of its tasks.
#[utoipa::path(get, path = "/api/v1/consultations", tag = "consultations", params(ConsultationParams, Pages),
    responses((status = 200, body = PageOf<ConsultationView>), (status = 422, body = ErrorBody)))]
pub async fn list(
    State(st): State<AppState>,
    ApiActor(a): ApiActor,
    ApiQuery(f): ApiQuery<ConsultationParams>,
    ApiQuery(p): ApiQuery<Pages>,
) -> Result<Json<PageOf<ConsultationView>>, ApiError> {
    let queue = params::queue(&f.queue, ConsultationQueue::All)?;
    Ok(listed(
        consultations::list(&st.svc, &a, queue, text(&f.q), p.request()?).await?,
    ))
}

/// 发起会商: title, topic, agenda, place, time (Beijing), participants, materials from the
/// evidence log, optionally the warning, assistance request or transfer that prompted it.
/// Every bad field is named (422); inspectors and read-only roles get 403.
#[utoipa::path(post, path = "/api/v1/consultations", tag = "consultations", request_body = ConsultationInput,
    responses((status = 201, body = ConsultationDetail), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create(
    State(st): State<AppState>,
    ApiActor(a): ApiActor,
    ApiJson(b): ApiJson<ConsultationInput>,
) -> Result<(StatusCode, Json<ConsultationDetail>), ApiError> {
    Ok((
        StatusCode::CREATED,
        Json(consultations::convene(&st.svc, &a, &b).await?),
    ))
}

/// A consultation: participants, minutes, decisions with their tasks and clocks, materials,
/// progress, timeline and the steps the caller may take. 404 outside scope.
#[utoipa::path(get, path = "/api/v1/consultations/{id}", tag = "consultations",
    responses((status = 200, body = ConsultationDetail), (status = 404, body = ErrorBody)))]
pub async fn get(
    State(st): State<AppState>,
    ApiActor(a): ApiActor,
    Path(id): Path<String>,
) -> Result<Json<ConsultationDetail>, ApiError> {
    on_case(&id, |id| consultations::get(&st.svc, &a, id)).await
}

/// Files already in the evidence log (uploaded through `/api/v1/evidence`).
#[derive(Debug, Deserialize, ToSchema)]
pub struct FilesBody {
    pub evidence_ids: Vec<Uuid>,
}

/// 添加材料 before the minutes are final (the convener, the office, participants'
/// administrators). Files linked before: 409.
#[utoipa::path(post, path = "/api/v1/consultations/{id}/materials", tag = "consultations", request_body = FilesBody,
    responses((status = 200, body = ConsultationDetail), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn attach(
    State(st): State<AppState>,
    ApiActor(a): ApiActor,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<FilesBody>,
) -> Result<Json<ConsultationDetail>, ApiError> {
    on_case(&id, |id| {
        consultations::attach(&st.svc, &a, id, &b.evidence_ids)
    })
    .await
}

/// 记录召开: the meeting took place.
#[utoipa::path(post, path = "/api/v1/consultations/{id}/hold", tag = "consultations",
    responses((status = 200, body = ConsultationDetail), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn hold(
    State(st): State<AppState>,
    ApiActor(a): ApiActor,
    Path(id): Path<String>,
) -> Result<Json<ConsultationDetail>, ApiError> {
    on_case(&id, |id| consultations::hold(&st.svc, &a, id)).await
}

/// 纪要定稿: the minutes and decisions; each decision's tasks go to their owner departments
/// with deadlines in working days from today. Fields are named as
/// `decisions[0].tasks[1].deadline_days`.
#[utoipa::path(post, path = "/api/v1/consultations/{id}/minutes", tag = "consultations", request_body = MinutesInput,
    responses((status = 200, body = ConsultationDetail), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn finalise(
    State(st): State<AppState>,
    ApiActor(a): ApiActor,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<MinutesInput>,
) -> Result<Json<ConsultationDetail>, ApiError> {
    on_case(&id, |id| consultations::finalise(&st.svc, &a, id, &b)).await
}

/// 取消会商 before it is held, with a reason.
#[utoipa::path(post, path = "/api/v1/consultations/{id}/cancel", tag = "consultations", request_body = ReasonBody,
    responses((status = 200, body = ConsultationDetail), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn cancel(
    State(st): State<AppState>,
    ApiActor(a): ApiActor,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<ReasonBody>,
) -> Result<Json<ConsultationDetail>, ApiError> {
    on_case(&id, |id| consultations::cancel(&st.svc, &a, id, &b.reason)).await
}

/// Filters of a task queue.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct TaskParams {
    /// `running` 办理中, `due_soon` 即将超时, `overdue` 已超时, `done` 已完成, `all` (default).
    pub queue: Option<String>,
    pub department_id: Option<String>,
    pub consultation_id: Option<String>,
    /// Code or description contains this.
    pub q: Option<String>,
}

/// The decisions' tasks of the consultations in the caller's scope, oldest first, each with
/// its clock.
#[utoipa::path(get, path = "/api/v1/consultation-tasks", tag = "consultations", params(TaskParams, Pages),
    responses((status = 200, body = PageOf<TaskView>), (status = 422, body = ErrorBody)))]
pub async fn tasks(
    State(st): State<AppState>,
    ApiActor(a): ApiActor,
    ApiQuery(f): ApiQuery<TaskParams>,
    ApiQuery(p): ApiQuery<Pages>,
) -> Result<Json<PageOf<TaskView>>, ApiError> {
    let queue = params::queue(&f.queue, TaskQueue::All)?;
    let filter = TaskFilter {
        department_id: params::opt_id_unnamed("department_id", &f.department_id)?,
        consultation_id: params::opt_id_unnamed("consultation_id", &f.consultation_id)?,
        q: text(&f.q),
    };
    Ok(listed(
        consultations::list_tasks(&st.svc, &a, queue, &filter, p.request()?).await?,
    ))
}

/// A task: its decision, clock, report, files, timeline and the steps the caller may take.
#[utoipa::path(get, path = "/api/v1/consultation-tasks/{id}", tag = "consultations",
    responses((status = 200, body = TaskDetail), (status = 404, body = ErrorBody)))]
pub async fn task(
    State(st): State<AppState>,
    ApiActor(a): ApiActor,
    Path(id): Path<String>,
) -> Result<Json<TaskDetail>, ApiError> {
    on_case(&id, |id| consultations::get_task(&st.svc, &a, id)).await
}

/// 报告完成 by the owner department, with its report and evidence from the evidence log: the
/// clock stops; the last task done closes the consultation.
#[utoipa::path(post, path = "/api/v1/consultation-tasks/{id}/report", tag = "consultations", request_body = ReportInput,
    responses((status = 200, body = TaskDetail), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn report(
    State(st): State<AppState>,
    ApiActor(a): ApiActor,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<ReportInput>,
) -> Result<Json<TaskDetail>, ApiError> {
    on_case(&id, |id| consultations::report(&st.svc, &a, id, &b)).await
}

/// 督办 by the office over the task's region, with a reason; the clock keeps running.
#[utoipa::path(post, path = "/api/v1/consultation-tasks/{id}/supervise", tag = "consultations", request_body = ReasonBody,
    responses((status = 200, body = TaskDetail), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn supervise(
    State(st): State<AppState>,
    ApiActor(a): ApiActor,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<ReasonBody>,
) -> Result<Json<TaskDetail>, ApiError> {
    on_case(&id, |id| {
        consultations::supervise(&st.svc, &a, id, &b.reason)
    })
    .await
}

/// Filters of a circular queue.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CircularParams {
    /// `unread` 待阅, `received` 收到的通报, `all` (default).
    pub queue: Option<String>,
    /// Code, title or text contains this.
    pub q: Option<String>,
}

/// Circulars the caller's side issued or its department received, newest first, with read
/// counts.
#[utoipa::path(get, path = "/api/v1/circulars", tag = "consultations", params(CircularParams, Pages),
    responses((status = 200, body = PageOf<CircularView>), (status = 422, body = ErrorBody)))]
pub async fn circular_list(
    State(st): State<AppState>,
    ApiActor(a): ApiActor,
    ApiQuery(f): ApiQuery<CircularParams>,
    ApiQuery(p): ApiQuery<Pages>,
) -> Result<Json<PageOf<CircularView>>, ApiError> {
    let queue = params::queue(&f.queue, CircularQueue::All)?;
    Ok(listed(
        circulars::list(&st.svc, &a, queue, text(&f.q), p.request()?).await?,
    ))
}

/// 发布通报 to departments and regions within the issuer's region, with attachments from the
/// evidence log. Every bad field is named (422); inspectors and read-only roles get 403.
#[utoipa::path(post, path = "/api/v1/circulars", tag = "consultations", request_body = CircularInput,
    responses((status = 201, body = CircularDetail), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn circular_create(
    State(st): State<AppState>,
    ApiActor(a): ApiActor,
    ApiJson(b): ApiJson<CircularInput>,
) -> Result<(StatusCode, Json<CircularDetail>), ApiError> {
    Ok((
        StatusCode::CREATED,
        Json(circulars::issue(&st.svc, &a, &b).await?),
    ))
}

/// A circular. Opened by a recipient department's staff it records the department's read
/// receipt (the first reader); the issuer's side sees every receipt. 404 outside scope.
#[utoipa::path(get, path = "/api/v1/circulars/{id}", tag = "consultations",
    responses((status = 200, body = CircularDetail), (status = 404, body = ErrorBody)))]
pub async fn circular_get(
    State(st): State<AppState>,
    ApiActor(a): ApiActor,
    Path(id): Path<String>,
) -> Result<Json<CircularDetail>, ApiError> {
    on_case(&id, |id| circulars::get(&st.svc, &a, id)).await
}

/// 提醒未读: the issuer's side reminds every recipient that has not read it (409 when all have).
#[utoipa::path(post, path = "/api/v1/circulars/{id}/remind", tag = "consultations",
    responses((status = 200, body = CircularDetail), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn circular_remind(
    State(st): State<AppState>,
    ApiActor(a): ApiActor,
    Path(id): Path<String>,
) -> Result<Json<CircularDetail>, ApiError> {
    on_case(&id, |id| circulars::remind(&st.svc, &a, id)).await
}
