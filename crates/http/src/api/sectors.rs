//! `/api/v1/sectors`: supervision sectors (监管领域).

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use lianjian_services::sectors;
use serde::Deserialize;
use utoipa::ToSchema;
use uuid::Uuid;

use super::dto::SectorDto;
use crate::error::ErrorBody;
use crate::extract::{ApiActor, ApiJson};
use crate::{ApiError, AppState};

#[utoipa::path(get, path = "/api/v1/sectors", tag = "sectors", responses((status = 200, body = Vec<SectorDto>)))]
pub async fn list(
    State(st): State<AppState>,
    _a: ApiActor,
) -> Result<Json<Vec<SectorDto>>, ApiError> {
    Ok(Json(
        sectors::list(&st.svc)
            .await?
            .into_iter()
            .map(SectorDto::from)
            .collect(),
    ))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewSector {
    pub name: String,
}

#[utoipa::path(post, path = "/api/v1/sectors", tag = "sectors", request_body = NewSector,
    responses((status = 201, body = SectorDto), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create(
    State(st): State<AppState>,
    ApiActor(a): ApiActor,
    ApiJson(b): ApiJson<NewSector>,
) -> Result<(StatusCode, Json<SectorDto>), ApiError> {
    Ok((
        StatusCode::CREATED,
        Json(sectors::create(&st.svc, &a, &b.name).await?.into()),
    ))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SectorUpdate {
    pub name: Option<String>,
    /// false retires the sector.
    pub active: Option<bool>,
}

#[utoipa::path(patch, path = "/api/v1/sectors/{id}", tag = "sectors", request_body = SectorUpdate,
    responses((status = 200, body = SectorDto), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn update(
    State(st): State<AppState>,
    ApiActor(a): ApiActor,
    Path(id): Path<Uuid>,
    ApiJson(b): ApiJson<SectorUpdate>,
) -> Result<Json<SectorDto>, ApiError> {
    Ok(Json(
        sectors::update(&st.svc, &a, id, b.name.as_deref(), b.active)
            .await?
            .into(),
    ))
}
