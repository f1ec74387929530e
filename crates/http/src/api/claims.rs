//! `/api/v1/claims`: 双告知. New entities are offered to their competent departments, which
//! accept or reject them; when every department rejects (or none is known) the coordination
//! office decides and assigns a department (研判定性).

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use lianjian_services::directory;
use serde::Deserialize;
use utoipa::ToSchema;

use super::dto::PageOf;
use super::entities::{ClaimDto, claim_dto};
use super::params::{self, Pages};
use crate::error::ErrorBody;
use crate::extract::{ApiActor, ApiJson, ApiQuery};
use crate::{ApiError, AppState};

/// The caller's queue: a department administrator's pending claims, or a coordination office's
/// escalations in its region subtree; oldest first.
#[utoipa::path(get, path = "/api/v1/claims", tag = "directory", params(params::Pages),
    responses((status = 200, body = PageOf<ClaimDto>), (status = 403, body = ErrorBody)))]
pub async fn queue(
    State(st): State<AppState>,
    ApiActor(a): ApiActor,
    ApiQuery(p): ApiQuery<Pages>,
) -> Result<Json<PageOf<ClaimDto>>, ApiError> {
    let page = directory::claim_queue(&st.svc, &a, p.request()?).await?;
    Ok(Json(PageOf::from(page, |v| {
        claim_dto(v.claim, v.department_name, Some((v.entity_name, v.usci)))
    })))
}

/// The department takes the entity on (认领).
#[utoipa::path(post, path = "/api/v1/claims/{id}/accept", tag = "directory",
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn accept(
    State(st): State<AppState>,
    ApiActor(a): ApiActor,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    directory::decide_claim(&st.svc, &a, params::id(&id)?, true, "").await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Rejection {
    /// Why the entity is not this department's (required).
    #[serde(default)]
    pub reason: String,
}

/// The department returns the entity with a reason; when no department is left, it goes to the
/// coordination office.
#[utoipa::path(post, path = "/api/v1/claims/{id}/reject", tag = "directory", request_body = Rejection,
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn reject(
    State(st): State<AppState>,
    ApiActor(a): ApiActor,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<Rejection>,
) -> Result<StatusCode, ApiError> {
    directory::decide_claim(&st.svc, &a, params::id(&id)?, false, &b.reason).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Assignment {
    /// A department of the entity's region or one of its ancestors.
    pub department_id: String,
    #[serde(default)]
    pub note: String,
}

/// The coordination office assigns an escalated entity to a department.
#[utoipa::path(post, path = "/api/v1/claims/{id}/assign", tag = "directory", request_body = Assignment,
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn assign(
    State(st): State<AppState>,
    ApiActor(a): ApiActor,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<Assignment>,
) -> Result<StatusCode, ApiError> {
    let claim = params::id(&id)?;
    let dept = uuid::Uuid::parse_str(b.department_id.trim()).map_err(|_| {
        ApiError::from(lianjian_services::ServiceError::field(
            "department_id",
            lianjian_domain::Invalid::new(
                "unknown_department",
                "请选择部门",
                "department_id must be a department id",
            ),
        ))
    })?;
    directory::assign_claim(&st.svc, &a, claim, dept, &b.note).await?;
    Ok(StatusCode::NO_CONTENT)
}
