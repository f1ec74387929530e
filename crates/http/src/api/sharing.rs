//! `/api/v1/sharing/...`: data sharing with other instances (信息互通共享, issue 18) — the
//! link's figures, the share catalogue (propose, approve, suspend, resume, revoke) and dead
//! letters with retry. System administrators manage; coordination offices read. Never public.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use lianjian_domain::sharing::ShareStatus;
use lianjian_services::sharing::{self, DeadLetter, Overview, Share, ShareInput, flow};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::dto::PageOf;
use super::params::Pages;
use crate::error::ErrorBody;
use crate::extract::{ApiActor, ApiJson, ApiQuery};
use crate::{ApiError, AppState};

/// This instance's identity, peers, link counters (published, received, applied, duplicates,
/// refused, lag p95), backlog and open dead letters.
#[utoipa::path(get, path = "/api/v1/sharing", tag = "sharing",
    responses((status = 200, body = Overview), (status = 403, body = ErrorBody)))]
pub async fn overview(
    State(st): State<AppState>,
    ApiActor(a): ApiActor,
) -> Result<Json<Overview>, ApiError> {
    Ok(Json(sharing::overview(&st.svc, &a).await?))
}

/// The share catalogue (共享目录), newest first.
#[utoipa::path(get, path = "/api/v1/sharing/shares", tag = "sharing", params(Pages),
    responses((status = 200, body = PageOf<Share>), (status = 403, body = ErrorBody)))]
pub async fn shares(
    State(st): State<AppState>,
    ApiActor(a): ApiActor,
    ApiQuery(p): ApiQuery<Pages>,
) -> Result<Json<PageOf<Share>>, ApiError> {
    let page = sharing::list(&st.svc, &a, p.request()?).await?;
    Ok(Json(PageOf::from(page, |x| x)))
}

/// Proposes a share this instance provides; nothing flows until both ends approve. Errors
/// name each bad field (`consumer`, `direction`, `regions`, `time_limit_hours` …).
#[utoipa::path(post, path = "/api/v1/sharing/shares", tag = "sharing", request_body = ShareInput,
    responses((status = 201, body = Share), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn propose(
    State(st): State<AppState>,
    ApiActor(a): ApiActor,
    ApiJson(b): ApiJson<ShareInput>,
) -> Result<(StatusCode, Json<Share>), ApiError> {
    Ok((
        StatusCode::CREATED,
        Json(sharing::propose(&st.svc, &a, &b).await?),
    ))
}

/// This end approves the share (both ends' approvals make it active).
#[utoipa::path(post, path = "/api/v1/sharing/shares/{id}/approve", tag = "sharing",
    responses((status = 200, body = Share), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn approve(
    State(st): State<AppState>,
    ApiActor(a): ApiActor,
    Path(id): Path<Uuid>,
) -> Result<Json<Share>, ApiError> {
    Ok(Json(sharing::approve(&st.svc, &a, id).await?))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[schema(as = SharingStatusBody)]
pub struct StatusBody {
    /// `active` (resume), `suspended` or `revoked`.
    pub status: ShareStatus,
}

/// Suspends, resumes or revokes a share; the other end follows.
#[utoipa::path(post, path = "/api/v1/sharing/shares/{id}/status", tag = "sharing", request_body = StatusBody,
    responses((status = 200, body = Share), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn set_status(
    State(st): State<AppState>,
    ApiActor(a): ApiActor,
    Path(id): Path<Uuid>,
    ApiJson(b): ApiJson<StatusBody>,
) -> Result<Json<Share>, ApiError> {
    Ok(Json(sharing::set_status(&st.svc, &a, id, b.status).await?))
}

/// Dead letters (死信): refused messages with the reason, newest first.
#[utoipa::path(get, path = "/api/v1/sharing/dead-letters", tag = "sharing", params(Pages),
    responses((status = 200, body = PageOf<DeadLetter>), (status = 403, body = ErrorBody)))]
pub async fn dead_letters(
    State(st): State<AppState>,
    ApiActor(a): ApiActor,
    ApiQuery(p): ApiQuery<Pages>,
) -> Result<Json<PageOf<DeadLetter>>, ApiError> {
    let page = sharing::dead_letters(&st.svc, &a, None, p.request()?).await?;
    Ok(Json(PageOf::from(page, |x| x)))
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct RetryResult {
    /// `applied`, `duplicate`, `stale`, or the refusal's code (the letter stays open).
    pub outcome: String,
}

/// Retries a dead letter (e.g. refused for an unknown share, now agreed).
#[utoipa::path(post, path = "/api/v1/sharing/dead-letters/{id}/retry", tag = "sharing",
    responses((status = 200, body = RetryResult), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn retry(
    State(st): State<AppState>,
    ApiActor(a): ApiActor,
    Path(id): Path<Uuid>,
) -> Result<Json<RetryResult>, ApiError> {
    let out = flow::retry(&st.svc, &a, id).await?;
    Ok(Json(RetryResult {
        outcome: out.code().into(),
    }))
}
