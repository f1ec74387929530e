//! Assistance requests (协查/协助, issue 17 items 1 and 4): `/api/v1/assistance-requests`
//! (queues, a request's page and its steps: 交办, 改派, 不予协助, 补充材料, 答复, 确认办结,
//! 要求补充答复, 撤回) and, for 行刑衔接, `/api/v1/transfers/{id}/assistance-requests` (the
//! police's requests and the two-way consultations of a case transfer). Every step is one
//! audited event of the shared case mechanism; each side sees its own requests and what was
//! shared with it.

use axum::Json;
use axum::extract::multipart::MultipartRejection;
use axum::extract::{Multipart, Path, State};
use axum::http::StatusCode;
use lianjian_services::assistance::{
    self, AssistanceDetail, AssistanceFilter, AssistanceQueue, AssistanceView, RequestInput,
    TransferDecisionView, TransferRequestInput,
};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::cases::{listed, on_case};
use super::clues::ReasonBody;
use super::dto::PageOf;
use super::params::{self, Pages, text};
use crate::error::ErrorBody;
use crate::extract::{ApiActor, ApiJson, ApiQuery};
use crate::{ApiError, AppState};

/// Filters of a request queue.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AssistanceParams {
    /// `sent` 我方发起, `received` 请求我方, `pending` 待受理, `open` 办理中, `answered` 已答复,
    /// `due_soon` 即将超时, `overdue` 已超时, `done` 已办结, `all` (default).
    pub queue: Option<String>,
    /// `inspection`, `document`, `verification`, `enforcement`, `appraisal`, `custody`,
    /// `consultation`.
    pub kind: Option<String>,
    pub transfer_id: Option<String>,
    /// Code, subject or what is needed contains this.
    pub q: Option<String>,
}

/// Requests either side of which is in the caller's scope, each with its clocks' lights and
/// the caller's side (`requesting`, `receiving`, `both`).
#[utoipa::path(get, path = "/api/v1/assistance-requests", tag = "assistance", params(AssistanceParams, Pages),
    responses((status = 200, body = PageOf<AssistanceView>), (status = 422, body = ErrorBody)))]
pub async fn list(
    State(st): State<AppState>,
    ApiActor(a): ApiActor,
    ApiQuery(f): ApiQuery<AssistanceParams>,
    ApiQuery(p): ApiQuery<Pages>,
) -> Result<Json<PageOf<AssistanceView>>, ApiError> {
    let queue = params::queue(&f.queue, AssistanceQueue::All)?;
    let filter = AssistanceFilter {
        kind: text(&f.kind),
        transfer_id: params::opt_id_unnamed("transfer_id", &f.transfer_id)?,
        q: text(&f.q),
        ..Default::default()
    };
    Ok(listed(
        assistance::list(&st.svc, &a, queue, &filter, p.request()?).await?,
    ))
}

/// 发起协查请求 to another region's office (another county, the city, the province …): kind,
/// subject, legal basis, what is needed, deadline in working days. Every bad field is named
/// (422); read-only roles and inspectors get 403.
#[utoipa::path(post, path = "/api/v1/assistance-requests", tag = "assistance", request_body = RequestInput,
    responses((status = 201, body = AssistanceDetail), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create(
    State(st): State<AppState>,
    ApiActor(a): ApiActor,
    ApiJson(b): ApiJson<RequestInput>,
) -> Result<(StatusCode, Json<AssistanceDetail>), ApiError> {
    Ok((
        StatusCode::CREATED,
        Json(assistance::submit(&st.svc, &a, &b).await?),
    ))
}

/// A request with its clocks, answer, files, timeline (the requesting side does not see the
/// receiving side's assignments) and the steps the caller may take. 404 outside scope.
#[utoipa::path(get, path = "/api/v1/assistance-requests/{id}", tag = "assistance",
    responses((status = 200, body = AssistanceDetail), (status = 404, body = ErrorBody)))]
pub async fn get(
    State(st): State<AppState>,
    ApiActor(a): ApiActor,
    Path(id): Path<String>,
) -> Result<Json<AssistanceDetail>, ApiError> {
    on_case(&id, |id| assistance::get(&st.svc, &a, id)).await
}

/// The department a request goes to.
#[derive(Debug, Deserialize, ToSchema)]
pub struct AssignBody {
    pub department_id: Uuid,
    /// Required when reassigning (改派).
    #[serde(default)]
    pub reason: Option<String>,
}

/// 交办: the receiving region's office hands the request to one of its departments.
#[utoipa::path(post, path = "/api/v1/assistance-requests/{id}/assign", tag = "assistance", request_body = AssignBody,
    responses((status = 200, body = AssistanceDetail), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn assign(
    State(st): State<AppState>,
    ApiActor(a): ApiActor,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<AssignBody>,
) -> Result<Json<AssistanceDetail>, ApiError> {
    on_case(&id, |id| {
        assistance::assign(&st.svc, &a, id, b.department_id)
    })
    .await
}

/// 改派 to another department of the receiving region, with a reason.
#[utoipa::path(post, path = "/api/v1/assistance-requests/{id}/reassign", tag = "assistance", request_body = AssignBody,
    responses((status = 200, body = AssistanceDetail), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn reassign(
    State(st): State<AppState>,
    ApiActor(a): ApiActor,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<AssignBody>,
) -> Result<Json<AssistanceDetail>, ApiError> {
    let reason = b.reason.as_deref().unwrap_or("");
    on_case(&id, |id| {
        assistance::reassign(&st.svc, &a, id, b.department_id, reason)
    })
    .await
}

/// 不予协助 by the receiving office, with the reason the requester reads.
#[utoipa::path(post, path = "/api/v1/assistance-requests/{id}/refuse", tag = "assistance", request_body = ReasonBody,
    responses((status = 200, body = AssistanceDetail), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn refuse(
    State(st): State<AppState>,
    ApiActor(a): ApiActor,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<ReasonBody>,
) -> Result<Json<AssistanceDetail>, ApiError> {
    on_case(&id, |id| assistance::refuse(&st.svc, &a, id, &b.reason)).await
}

/// 撤回 by the requester before the answer, with a reason.
#[utoipa::path(post, path = "/api/v1/assistance-requests/{id}/withdraw", tag = "assistance", request_body = ReasonBody,
    responses((status = 200, body = AssistanceDetail), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn withdraw(
    State(st): State<AppState>,
    ApiActor(a): ApiActor,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<ReasonBody>,
) -> Result<Json<AssistanceDetail>, ApiError> {
    on_case(&id, |id| assistance::withdraw(&st.svc, &a, id, &b.reason)).await
}

/// The answer, with files already in the evidence log.
#[derive(Debug, Deserialize, ToSchema)]
#[schema(as = AssistanceAnswerBody)]
pub struct AnswerBody {
    pub answer: String,
    #[serde(default)]
    pub evidence_ids: Vec<Uuid>,
}

/// 答复 by the assigned department (or the receiving office): the 答复 clock stops.
#[utoipa::path(post, path = "/api/v1/assistance-requests/{id}/answer", tag = "assistance", request_body = AnswerBody,
    responses((status = 200, body = AssistanceDetail), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn answer(
    State(st): State<AppState>,
    ApiActor(a): ApiActor,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<AnswerBody>,
) -> Result<Json<AssistanceDetail>, ApiError> {
    on_case(&id, |id| {
        assistance::answer(&st.svc, &a, id, &b.answer, &b.evidence_ids)
    })
    .await
}

/// 补充材料: a photo or PDF for the answer (multipart field `file`), stored once in the
/// evidence log; the same file again changes nothing (200). 413/415 name the file.
#[utoipa::path(post, path = "/api/v1/assistance-requests/{id}/attachments", tag = "assistance",
    request_body(content = super::evidence::UploadForm, content_type = "multipart/form-data"),
    responses((status = 201, body = AssistanceDetail), (status = 200, body = AssistanceDetail),
        (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 413, body = ErrorBody), (status = 415, body = ErrorBody)))]
pub async fn attach(
    State(st): State<AppState>,
    ApiActor(a): ApiActor,
    Path(id): Path<String>,
    form: Result<Multipart, MultipartRejection>,
) -> Result<(StatusCode, Json<AssistanceDetail>), ApiError> {
    let id = params::id(&id)?;
    let upload = super::evidence::read_upload(form, st.svc.evidence.config().max_bytes).await?;
    let (d, added) = assistance::attach(&st.svc, &a, id, upload)
        .await
        .map_err(super::evidence::upload_error)?;
    Ok((
        if added {
            StatusCode::CREATED
        } else {
            StatusCode::OK
        },
        Json(d),
    ))
}

/// 确认办结 by the requester.
#[utoipa::path(post, path = "/api/v1/assistance-requests/{id}/close", tag = "assistance",
    responses((status = 200, body = AssistanceDetail), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn close(
    State(st): State<AppState>,
    ApiActor(a): ApiActor,
    Path(id): Path<String>,
) -> Result<Json<AssistanceDetail>, ApiError> {
    on_case(&id, |id| assistance::close(&st.svc, &a, id)).await
}

/// 要求补充答复 by the requester, with a reason: a new 答复 clock starts.
#[utoipa::path(post, path = "/api/v1/assistance-requests/{id}/reopen", tag = "assistance", request_body = ReasonBody,
    responses((status = 200, body = AssistanceDetail), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn reopen(
    State(st): State<AppState>,
    ApiActor(a): ApiActor,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<ReasonBody>,
) -> Result<Json<AssistanceDetail>, ApiError> {
    on_case(&id, |id| assistance::reopen(&st.svc, &a, id, &b.reason)).await
}

/// A transfer's linkage record (行刑衔接): the agency's decision and the requests and
/// consultations between the police and the department.
#[derive(Debug, Serialize, ToSchema)]
pub struct TransferLinkage {
    pub decision: Option<TransferDecisionView>,
    pub requests: Vec<AssistanceView>,
}

/// The decision and the requests of a case transfer (also for the procuratorate's 检察监督).
#[utoipa::path(get, path = "/api/v1/transfers/{id}/assistance-requests", tag = "assistance",
    responses((status = 200, body = TransferLinkage), (status = 404, body = ErrorBody)))]
pub async fn of_transfer(
    State(st): State<AppState>,
    ApiActor(a): ApiActor,
    Path(id): Path<String>,
) -> Result<Json<TransferLinkage>, ApiError> {
    let id = params::id(&id)?;
    Ok(Json(TransferLinkage {
        decision: assistance::transfer_decision(&st.svc, &a, id).await?,
        requests: assistance::of_transfer(&st.svc, &a, id).await?,
    }))
}

/// 公安机关提请协助 (检验鉴定, 涉案物品保管, 协助检查 …) or a consultation (双向咨询) about a
/// transfer, entered by the department's staff: `from_party` `public_security` (the police
/// ask) or `agency` (the department asks the police).
#[utoipa::path(post, path = "/api/v1/transfers/{id}/assistance-requests", tag = "assistance", request_body = TransferRequestInput,
    responses((status = 201, body = AssistanceDetail), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create_for_transfer(
    State(st): State<AppState>,
    ApiActor(a): ApiActor,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<TransferRequestInput>,
) -> Result<(StatusCode, Json<AssistanceDetail>), ApiError> {
    Ok((
        StatusCode::CREATED,
        Json(assistance::for_transfer(&st.svc, &a, params::id(&id)?, &b).await?),
    ))
}
