//! `/api/v1/risk/...`: the risk model (风险预测模型, issue 16 item 4) — fitted models with their
//! evaluation, fitting a new one, and an entity's score explained per feature. Staff only:
//! risk scores are never public (no portal page, no public API).

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use lianjian_domain::risk::ControlLift;
use lianjian_services::risk::{self, EntityRisk, FitInput, RiskModel};
use uuid::Uuid;

use super::dto::PageOf;
use super::params::Pages;
use crate::error::ErrorBody;
use crate::extract::{ApiActor, ApiJson, ApiQuery};
use crate::{ApiError, AppState};

/// Models within the caller's scope, newest first, each with its coefficients, training
/// window and evaluation on the held-out period.
#[utoipa::path(get, path = "/api/v1/risk/models", tag = "risk", params(Pages),
    responses((status = 200, body = PageOf<RiskModel>), (status = 403, body = ErrorBody)))]
pub async fn models(
    State(st): State<AppState>,
    ApiActor(a): ApiActor,
    ApiQuery(p): ApiQuery<Pages>,
) -> Result<Json<PageOf<RiskModel>>, ApiError> {
    let page = risk::models(&st.svc, &a, p.request()?).await?;
    Ok(Json(PageOf::from(page, |x| x)))
}

/// Fits a model on the region's history now, evaluates it on the held-out period and scores
/// every entity of the region with it. Errors name each bad field (`train_from`, `eval_to`,
/// `thresholds` …); too few inspections in the window is an error on `train_from`.
#[utoipa::path(post, path = "/api/v1/risk/models", tag = "risk", request_body = FitInput,
    responses((status = 201, body = RiskModel), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn fit(
    State(st): State<AppState>,
    ApiActor(a): ApiActor,
    ApiJson(b): ApiJson<FitInput>,
) -> Result<(StatusCode, Json<RiskModel>), ApiError> {
    Ok((StatusCode::CREATED, Json(risk::fit(&st.svc, &a, &b).await?)))
}

#[utoipa::path(get, path = "/api/v1/risk/models/{id}", tag = "risk",
    responses((status = 200, body = RiskModel), (status = 404, body = ErrorBody)))]
pub async fn model(
    State(st): State<AppState>,
    ApiActor(a): ApiActor,
    Path(id): Path<Uuid>,
) -> Result<Json<RiskModel>, ApiError> {
    Ok(Json(risk::model(&st.svc, &a, id).await?))
}

/// An entity's latest score, level and minimum frequency, with every feature's contribution.
#[utoipa::path(get, path = "/api/v1/risk/entities/{id}", tag = "risk",
    responses((status = 200, body = EntityRisk), (status = 404, body = ErrorBody)))]
pub async fn entity(
    State(st): State<AppState>,
    ApiActor(a): ApiActor,
    Path(id): Path<Uuid>,
) -> Result<Json<EntityRisk>, ApiError> {
    Ok(Json(risk::entity_risk(&st.svc, &a, id).await?))
}

/// 随机对照检验 by year, newest first, within the caller's scope: the problem rates of the
/// risk-weighted plans' control picks and weighted picks that have results, each with its 95 %
/// Wilson interval, and their ratio (`lift`, none below 30 results per arm) —
/// docs/draw-algorithm.md 12.13.
#[utoipa::path(get, path = "/api/v1/risk/control-lift", tag = "risk",
    responses((status = 200, body = Vec<ControlLift>), (status = 403, body = ErrorBody)))]
pub async fn control_lift(
    State(st): State<AppState>,
    ApiActor(a): ApiActor,
) -> Result<Json<Vec<ControlLift>>, ApiError> {
    Ok(Json(risk::control_lift_of(&st.svc, &a).await?))
}
