//! `/api/v1/departments`.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use lianjian_domain::department::DepartmentStatus;
use lianjian_domain::region::RegionCode;
use lianjian_services::departments::DepartmentQuery;
use lianjian_services::departments::{self, DepartmentInput};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::dto::{CopySetDto, DepartmentDto, PageOf};
use super::params::Pages;
use crate::error::ErrorBody;
use crate::extract::{ApiActor, ApiJson, ApiQuery};
use crate::{ApiError, AppState};

#[derive(Debug, Deserialize, IntoParams)]
pub struct DepartmentFilter {
    /// Name fragment.
    pub q: Option<String>,
    /// Exactly this region.
    pub region: Option<String>,
    /// active | retired
    pub status: Option<String>,
}

pub(crate) fn department_query(f: &DepartmentFilter) -> Result<DepartmentQuery, ApiError> {
    let region = match f.region.as_deref().map(str::trim).filter(|r| !r.is_empty()) {
        Some(r) => Some(
            RegionCode::parse(r)
                .map_err(|e| ApiError::bad_request("region", e.code, e.zh, e.en))?,
        ),
        None => None,
    };
    let status = match f.status.as_deref().filter(|s| !s.is_empty()) {
        Some(s) => Some(DepartmentStatus::parse(s).ok_or_else(|| {
            ApiError::bad_request(
                "status",
                "unknown_status",
                format!("未知状态“{s}”"),
                "status must be active or retired",
            )
        })?),
        None => None,
    };
    Ok(DepartmentQuery {
        q: f.q.clone(),
        region,
        status,
    })
}

/// Departments in the caller's region subtree.
#[utoipa::path(get, path = "/api/v1/departments", tag = "departments", params(DepartmentFilter, Pages),
    responses((status = 200, body = PageOf<DepartmentDto>)))]
pub async fn list(
    State(st): State<AppState>,
    ApiActor(a): ApiActor,
    ApiQuery(f): ApiQuery<DepartmentFilter>,
    ApiQuery(p): ApiQuery<Pages>,
) -> Result<Json<PageOf<DepartmentDto>>, ApiError> {
    let page = departments::list(&st.svc, &a, &department_query(&f)?, p.request()?).await?;
    Ok(Json(PageOf::from(page, DepartmentDto::from)))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewDepartment {
    pub region_code: String,
    pub name: String,
    /// Line key, e.g. `market`; same for the same kind of department at every level.
    pub line: String,
}

#[utoipa::path(post, path = "/api/v1/departments", tag = "departments", request_body = NewDepartment,
    responses((status = 201, body = DepartmentDto), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create(
    State(st): State<AppState>,
    ApiActor(a): ApiActor,
    ApiJson(b): ApiJson<NewDepartment>,
) -> Result<(StatusCode, Json<DepartmentDto>), ApiError> {
    let d = departments::create(
        &st.svc,
        &a,
        DepartmentInput {
            region_code: b.region_code,
            name: b.name,
            line: b.line,
        },
    )
    .await?;
    Ok((StatusCode::CREATED, Json(d.into())))
}

#[utoipa::path(get, path = "/api/v1/departments/{id}", tag = "departments",
    responses((status = 200, body = DepartmentDto), (status = 404, body = ErrorBody)))]
pub async fn get(
    State(st): State<AppState>,
    ApiActor(a): ApiActor,
    Path(id): Path<Uuid>,
) -> Result<Json<DepartmentDto>, ApiError> {
    Ok(Json(departments::get(&st.svc, &a, id).await?.into()))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DepartmentUpdate {
    pub name: Option<String>,
    /// active | retired
    pub status: Option<String>,
}

/// Renames, retires or reinstates a department.
#[utoipa::path(patch, path = "/api/v1/departments/{id}", tag = "departments", request_body = DepartmentUpdate,
    responses((status = 200, body = DepartmentDto), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn update(
    State(st): State<AppState>,
    ApiActor(a): ApiActor,
    Path(id): Path<Uuid>,
    ApiJson(b): ApiJson<DepartmentUpdate>,
) -> Result<Json<DepartmentDto>, ApiError> {
    let status = match b.status.as_deref() {
        Some(s) => Some(DepartmentStatus::parse(s.trim()).ok_or_else(|| {
            ApiError::bad_request(
                "status",
                "unknown_status",
                format!("未知状态“{s}”"),
                "status must be active or retired",
            )
        })?),
        None => None,
    };
    let mut d = departments::get(&st.svc, &a, id).await?;
    if let Some(n) = &b.name {
        d = departments::rename(&st.svc, &a, id, n).await?;
    }
    if let Some(s) = status {
        d = departments::set_status(&st.svc, &a, id, s).await?;
    }
    Ok(Json(d.into()))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CopySet {
    /// `shandong-38` (鲁政办发〔2023〕14号) or `wuyang-17` (舞政办〔2024〕20号).
    pub set: String,
    pub region_code: String,
}

/// Copies a built-in department set into a region; existing names are skipped.
#[utoipa::path(post, path = "/api/v1/departments/copy-set", tag = "departments", request_body = CopySet,
    responses((status = 200, body = CopySetDto), (status = 422, body = ErrorBody)))]
pub async fn copy_set(
    State(st): State<AppState>,
    ApiActor(a): ApiActor,
    ApiJson(b): ApiJson<CopySet>,
) -> Result<Json<CopySetDto>, ApiError> {
    let o = departments::copy_builtin_set(&st.svc, &a, &b.set, &b.region_code).await?;
    Ok(Json(CopySetDto {
        created: o.created.into_iter().map(DepartmentDto::from).collect(),
        skipped: o.skipped,
    }))
}
