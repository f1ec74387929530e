//! `/api/v1/regions`: GB/T 2260 reference data.

use axum::Json;
use axum::extract::{Path, State};
use lianjian_services::regions;
use serde::Deserialize;
use utoipa::IntoParams;

use super::dto::RegionDto;
use crate::error::ErrorBody;
use crate::extract::{ApiActor, ApiQuery};
use crate::{ApiError, AppState};

#[derive(Debug, Deserialize, IntoParams)]
pub struct RegionFilter {
    /// Children of this code; provinces if absent.
    pub parent: Option<String>,
    /// Name fragment or code prefix (searches everywhere when given).
    pub q: Option<String>,
}

/// Child regions of `parent`, or a search by `q`.
#[utoipa::path(get, path = "/api/v1/regions", tag = "regions", params(RegionFilter),
    responses((status = 200, body = Vec<RegionDto>), (status = 422, body = ErrorBody)))]
pub async fn children(
    State(st): State<AppState>,
    _a: ApiActor,
    ApiQuery(f): ApiQuery<RegionFilter>,
) -> Result<Json<Vec<RegionDto>>, ApiError> {
    let v = match f.q.as_deref().map(str::trim).filter(|q| !q.is_empty()) {
        Some(q) => regions::search(&st.svc, q, None).await?,
        None => regions::children(&st.svc, f.parent.as_deref()).await?,
    };
    Ok(Json(v.into_iter().map(RegionDto::from).collect()))
}

#[utoipa::path(get, path = "/api/v1/regions/{code}", tag = "regions",
    responses((status = 200, body = RegionDto), (status = 422, body = ErrorBody)))]
pub async fn get(
    State(st): State<AppState>,
    _a: ApiActor,
    Path(code): Path<String>,
) -> Result<Json<RegionDto>, ApiError> {
    Ok(Json(regions::get(&st.svc, &code).await?.into()))
}
