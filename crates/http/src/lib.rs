//! HTTP faces of Lianjian, one process: the JSON API under `/api/v1` (OpenAPI at
//! `/api/openapi.json`, docs at `/api/docs`), the staff console under `/console`, the public
//! portal at `/`, plus `/healthz` and `/metrics`. Handlers are thin: they parse, call a
//! service, and render.

pub mod api;
mod assets;
pub mod console;
mod error;
mod extract;
pub mod i18n;
mod metrics;
mod open311;
mod pager;
pub mod portal;
mod regions;
mod security;
mod submissions;
pub mod webhooks;

use std::time::Duration;

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::get;
use lianjian_services::Services;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::timeout::TimeoutLayer;

pub use error::ApiError;

/// Shared by every handler.
#[derive(Clone)]
pub struct AppState {
    pub svc: Services,
    /// Mark session cookies `Secure` (set when served over HTTPS).
    pub secure_cookies: bool,
}

/// The whole application.
pub fn router(state: AppState) -> Router {
    // Room for the largest evidence file the configuration allows, plus the multipart framing.
    let body_limit = (32 * 1024 * 1024).max(
        usize::try_from(state.svc.evidence.config().max_bytes)
            .unwrap_or(usize::MAX)
            .saturating_add(1024 * 1024),
    );
    let (api_router, mut openapi) = api::router().split_for_parts();
    api::complete(&mut openapi);
    let openapi_json = serde_json::to_string_pretty(&openapi).expect("OpenAPI serialises");
    Router::new()
        .merge(api_router.layer(axum::middleware::from_fn(json_rejections)))
        .route(
            "/api/openapi.json",
            get(move || async move { ([("content-type", "application/json")], openapi_json) }),
        )
        .merge(
            utoipa_swagger_ui::SwaggerUi::new("/api/docs")
                .config(utoipa_swagger_ui::Config::from("/api/openapi.json")),
        )
        .nest("/console", console::router())
        .merge(portal::router())
        .merge(open311::router())
        .route("/healthz", get(healthz))
        .route("/metrics", get(metrics::render))
        .route("/assets/{file}", get(assets::serve))
        .fallback(portal::not_found)
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            submissions::guard,
        ))
        .layer(axum::middleware::from_fn(security::headers))
        .layer(axum::middleware::from_fn(metrics::track))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            Duration::from_secs(60),
        ))
        .layer(axum::middleware::from_fn_with_state(body_limit, limit_body))
        .layer(CatchPanicLayer::new())
        .with_state(state)
}

/// axum's own rejections (a path segment that is not a UUID, …) answer in plain text; on the API
/// they get the one error shape, status kept, so clients and the OpenAPI document see one kind
/// of error body.
async fn json_rejections(
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    let r = next.run(req).await;
    let plain = r
        .headers()
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/plain"));
    if !(r.status().is_client_error() && plain) {
        return r;
    }
    let status = r.status();
    let text = match axum::body::to_bytes(r.into_body(), 64 * 1024).await {
        Ok(b) => String::from_utf8_lossy(&b).into_owned(),
        Err(_) => String::new(),
    };
    let mut e = ApiError::bad_request("request", "rejected", "请求格式错误", text);
    e.status = status;
    e.into_response()
}

/// Caps every request body at `limit` bytes: one announced larger by `Content-Length` is
/// refused before it is read; a chunked one (no length) is cut off where it passes the limit,
/// and the extractor reading it answers 413. Both in the API's error shape (tower-http's layer
/// answers the first case in plain text).
async fn limit_body(
    State(limit): State<usize>,
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    let announced = req
        .headers()
        .get(axum::http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    if announced.is_some_and(|n| n > limit as u64) {
        return ApiError::too_large(Some(limit)).into_response();
    }
    let (parts, body) = req.into_parts();
    let body = axum::body::Body::new(http_body_util::Limited::new(body, limit));
    next.run(axum::extract::Request::from_parts(parts, body))
        .await
}

/// The OpenAPI document, for snapshot tests and `lianjian openapi`.
pub fn openapi() -> utoipa::openapi::OpenApi {
    let mut doc = api::router().split_for_parts().1;
    api::complete(&mut doc);
    doc
}

async fn healthz(State(st): State<AppState>) -> impl IntoResponse {
    match st.svc.ping().await {
        Ok(()) => (
            StatusCode::OK,
            axum::Json(serde_json::json!({"status": "ok", "database": "ok"})),
        ),
        Err(e) => (
            StatusCode::SERVICE_UNAVAILABLE,
            axum::Json(serde_json::json!({"status": "unavailable", "database": e.to_string()})),
        ),
    }
}
