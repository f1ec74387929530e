//! `/api/v1/hotline`: the 12345 interface (issue 14 item 5). A 12345 platform, signed in with
//! an API token of the county's coordination office (联席办), pushes work orders (工单) —
//! each registered as a clue, idempotent on the work-order number — and reads the steps taken
//! on them back: a pull feed with a cursor, or webhooks signed with HMAC-SHA256 and retried
//! with backoff. See `services::clues::hotline`.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use lianjian_services::clues::hotline::{
    self, HotlineFeed, HotlineOrder, HotlineReceipt, HotlineSubscriptionInput,
    HotlineSubscriptionView,
};
use serde::Deserialize;
use utoipa::IntoParams;

use super::params;
use crate::error::ErrorBody;
use crate::extract::{ApiActor, ApiJson, ApiQuery};
use crate::{ApiError, AppState};

/// Pushes a 12345 work order (工单推送). 201 with the new clue; 200 with the same clue when
/// the order was pushed before (nothing new stored); 409 when the work-order number is
/// registered with other content; 422 naming every bad field (nothing stored), including a
/// region or an entity outside the caller's county (`outside_scope`). Callers: the county's
/// coordination office (or the system administrator); other roles 403.
#[utoipa::path(post, path = "/api/v1/hotline/orders", tag = "hotline", request_body = HotlineOrder,
    responses((status = 201, body = HotlineReceipt), (status = 200, body = HotlineReceipt),
        (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn push(
    State(st): State<AppState>,
    ApiActor(a): ApiActor,
    ApiJson(b): ApiJson<HotlineOrder>,
) -> Result<(StatusCode, Json<HotlineReceipt>), ApiError> {
    let r = hotline::push(&st.svc, &a, &b).await?;
    let status = if r.created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((status, Json(r)))
}

/// The feed's cursor and page size.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct FeedParams {
    /// The `cursor` of the previous page (an event id); absent: from the first event.
    pub after: Option<String>,
    /// 1–500, default 100.
    pub limit: Option<i64>,
}

/// Events of the pushed work orders in the caller's scope, oldest first: `signed`,
/// `returned`, `extension_requested`, `extension_approved`, `extension_refused`, `finished`,
/// `revisited`, with the reason or result. Page on with `after=<cursor>`. Events are listed
/// once they are a second old (so a cursor never skips one committed late). Never the
/// caller's personal data.
#[utoipa::path(get, path = "/api/v1/hotline/events", tag = "hotline", params(FeedParams),
    responses((status = 200, body = HotlineFeed), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn events(
    State(st): State<AppState>,
    ApiActor(a): ApiActor,
    ApiQuery(p): ApiQuery<FeedParams>,
) -> Result<Json<HotlineFeed>, ApiError> {
    Ok(Json(
        hotline::feed(&st.svc, &a, params::text(&p.after).as_deref(), p.limit).await?,
    ))
}

/// Creates a webhook: the feed's events are POSTed to `url` as a JSON `HotlineFeed`, with the
/// header `X-Lianjian-Signature: sha256=<hex HMAC-SHA256 of the body keyed by the secret>`;
/// a non-2xx answer is retried with exponential backoff (2 s … 1 h). At least once: drop
/// events whose `id` you have. The secret is shown only in this answer.
#[utoipa::path(post, path = "/api/v1/hotline/subscriptions", tag = "hotline", request_body = HotlineSubscriptionInput,
    responses((status = 201, body = HotlineSubscriptionView), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn subscribe(
    State(st): State<AppState>,
    ApiActor(a): ApiActor,
    ApiJson(b): ApiJson<HotlineSubscriptionInput>,
) -> Result<(StatusCode, Json<HotlineSubscriptionView>), ApiError> {
    Ok((
        StatusCode::CREATED,
        Json(hotline::subscribe(&st.svc, &a, &b).await?),
    ))
}

/// The caller's webhooks with their delivery state (cursor, failed attempts, last error, next
/// attempt, events delivered).
#[utoipa::path(get, path = "/api/v1/hotline/subscriptions", tag = "hotline",
    responses((status = 200, body = Vec<HotlineSubscriptionView>), (status = 403, body = ErrorBody)))]
pub async fn subscriptions(
    State(st): State<AppState>,
    ApiActor(a): ApiActor,
) -> Result<Json<Vec<HotlineSubscriptionView>>, ApiError> {
    Ok(Json(hotline::subscriptions(&st.svc, &a).await?))
}

/// Deletes one of the caller's webhooks (another account's answers 404).
#[utoipa::path(delete, path = "/api/v1/hotline/subscriptions/{id}", tag = "hotline",
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn unsubscribe(
    State(st): State<AppState>,
    ApiActor(a): ApiActor,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    hotline::unsubscribe(&st.svc, &a, params::id(&id)?).await?;
    Ok(StatusCode::NO_CONTENT)
}
