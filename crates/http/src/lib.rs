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
mod pager;
pub mod portal;
mod security;
mod submissions;

use std::time::Duration;

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::get;
use lianjian_services::Services;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::limit::RequestBodyLimitLayer;
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
    let (api_router, openapi) = api::router().split_for_parts();
    let openapi_json = serde_json::to_string_pretty(&openapi).expect("OpenAPI serialises");
    Router::new()
        .merge(api_router)
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
        .layer(RequestBodyLimitLayer::new(body_limit))
        .layer(CatchPanicLayer::new())
        .with_state(state)
}

/// The OpenAPI document, for snapshot tests and `lianjian openapi`.
pub fn openapi() -> utoipa::openapi::OpenApi {
    api::router().split_for_parts().1
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
