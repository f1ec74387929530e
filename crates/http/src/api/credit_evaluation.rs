//! `/api/v1/credit/...`: the credit evaluation (信用评价, issue 15 item 2) — evaluation indexes
//! with their versions, evaluation runs and their changes per department, an entity's class
//! with its explanation, manual overrides. Staff only: classes and scores are never public.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use lianjian_domain::credit::evaluation::IndexDef;
use lianjian_services::credit::evaluation::{
    self as ev, ChangeRow, CreditIndex, EntityCredit, IndexInput, IndexVersion, Override,
    OverrideInput, Run, RunInput,
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::dto::PageOf;
use super::params::Pages;
use crate::error::ErrorBody;
use crate::extract::{ApiActor, ApiJson, ApiQuery};
use crate::{ApiError, AppState};

/// Indexes the caller may read: its region's and those of the regions above it.
#[utoipa::path(get, path = "/api/v1/credit/indexes", tag = "credit",
    responses((status = 200, body = Vec<CreditIndex>)))]
pub async fn indexes(
    State(st): State<AppState>,
    ApiActor(a): ApiActor,
) -> Result<Json<Vec<CreditIndex>>, ApiError> {
    Ok(Json(ev::indexes(&st.svc, &a).await?))
}

/// Defines an index (version 1). Errors name each bad field, e.g.
/// `definition.indicators[0].weight` or `definition.thresholds`.
#[utoipa::path(post, path = "/api/v1/credit/indexes", tag = "credit", request_body = IndexInput,
    responses((status = 201, body = CreditIndex), (status = 422, body = ErrorBody)))]
pub async fn define(
    State(st): State<AppState>,
    ApiActor(a): ApiActor,
    ApiJson(b): ApiJson<IndexInput>,
) -> Result<(StatusCode, Json<CreditIndex>), ApiError> {
    Ok((
        StatusCode::CREATED,
        Json(ev::define(&st.svc, &a, &b).await?),
    ))
}

/// An index with every version, newest first.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = CreditIndexWithVersions)]
pub struct IndexWithVersions {
    pub index: CreditIndex,
    pub versions: Vec<IndexVersion>,
}

#[utoipa::path(get, path = "/api/v1/credit/indexes/{id}", tag = "credit",
    responses((status = 200, body = IndexWithVersions), (status = 404, body = ErrorBody)))]
pub async fn index(
    State(st): State<AppState>,
    ApiActor(a): ApiActor,
    Path(id): Path<Uuid>,
) -> Result<Json<IndexWithVersions>, ApiError> {
    let (index, versions) = ev::index(&st.svc, &a, id).await?;
    Ok(Json(IndexWithVersions { index, versions }))
}

/// An edit: saved as the next version. `version` is the version the edit started from.
#[derive(Debug, Deserialize, ToSchema)]
#[schema(as = CreditIndexEdit)]
#[serde(deny_unknown_fields)]
pub struct IndexEdit {
    pub version: i32,
    pub name: String,
    pub definition: IndexDef,
}

#[utoipa::path(put, path = "/api/v1/credit/indexes/{id}", tag = "credit", request_body = IndexEdit,
    responses((status = 200, body = CreditIndex), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn edit(
    State(st): State<AppState>,
    ApiActor(a): ApiActor,
    Path(id): Path<Uuid>,
    ApiJson(b): ApiJson<IndexEdit>,
) -> Result<Json<CreditIndex>, ApiError> {
    Ok(Json(
        ev::edit(&st.svc, &a, id, b.version, &b.name, &b.definition).await?,
    ))
}

/// Evaluation runs within the caller's scope, newest first.
#[utoipa::path(get, path = "/api/v1/credit/evaluations", tag = "credit", params(Pages),
    responses((status = 200, body = PageOf<Run>)))]
pub async fn runs(
    State(st): State<AppState>,
    ApiActor(a): ApiActor,
    ApiQuery(p): ApiQuery<Pages>,
) -> Result<Json<PageOf<Run>>, ApiError> {
    let page = ev::runs(&st.svc, &a, p.request()?).await?;
    Ok(Json(PageOf::from(page, |x| x)))
}

/// Starts an evaluation over a region now; it runs in the background (202): read the run
/// until its status is `finished` or `failed`.
#[utoipa::path(post, path = "/api/v1/credit/evaluations", tag = "credit", request_body = RunInput,
    responses((status = 202, body = Run), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn start(
    State(st): State<AppState>,
    ApiActor(a): ApiActor,
    ApiJson(b): ApiJson<RunInput>,
) -> Result<(StatusCode, Json<Run>), ApiError> {
    Ok((
        StatusCode::ACCEPTED,
        Json(ev::start_in_background(&st.svc, &a, &b).await?),
    ))
}

#[utoipa::path(get, path = "/api/v1/credit/evaluations/{id}", tag = "credit",
    responses((status = 200, body = Run), (status = 404, body = ErrorBody)))]
pub async fn run(
    State(st): State<AppState>,
    ApiActor(a): ApiActor,
    Path(id): Path<Uuid>,
) -> Result<Json<Run>, ApiError> {
    Ok(Json(ev::run(&st.svc, &a, id).await?))
}

/// The entities whose class the run changed, within the caller's scope (what each department
/// is pushed), with every indicator's contribution.
#[utoipa::path(get, path = "/api/v1/credit/evaluations/{id}/changes", tag = "credit", params(Pages),
    responses((status = 200, body = PageOf<ChangeRow>), (status = 404, body = ErrorBody)))]
pub async fn changes(
    State(st): State<AppState>,
    ApiActor(a): ApiActor,
    Path(id): Path<Uuid>,
    ApiQuery(p): ApiQuery<Pages>,
) -> Result<Json<PageOf<ChangeRow>>, ApiError> {
    let (_, page) = ev::changes(&st.svc, &a, id, p.request()?).await?;
    Ok(Json(PageOf::from(page, |x| x)))
}

/// The run's changes within the caller's scope as an xlsx file (at most 50,000 rows).
#[utoipa::path(get, path = "/api/v1/credit/evaluations/{id}/changes.xlsx", tag = "credit",
    responses((status = 200, description = "xlsx", content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"), (status = 404, body = ErrorBody)))]
pub async fn export_changes(
    State(st): State<AppState>,
    ApiActor(a): ApiActor,
    Path(id): Path<Uuid>,
) -> Result<axum::response::Response, ApiError> {
    let bytes = ev::export_changes(&st.svc, &a, id).await?;
    Ok(crate::console::exchange::xlsx(
        &format!("信用分类变动-{}.xlsx", super::params::today()),
        bytes,
    ))
}

/// An entity's class in force, its latest score explained, and its overrides.
#[utoipa::path(get, path = "/api/v1/credit/entities/{id}", tag = "credit",
    responses((status = 200, body = EntityCredit), (status = 404, body = ErrorBody)))]
pub async fn entity(
    State(st): State<AppState>,
    ApiActor(a): ApiActor,
    Path(id): Path<Uuid>,
) -> Result<Json<EntityCredit>, ApiError> {
    Ok(Json(ev::entity_credit(&st.svc, &a, id).await?))
}

/// Sets the entity's class by hand with a mandatory reason (人工调整); later runs keep it
/// while it is valid.
#[utoipa::path(post, path = "/api/v1/credit/entities/{id}/override", tag = "credit", request_body = OverrideInput,
    responses((status = 201, body = Override), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn override_class(
    State(st): State<AppState>,
    ApiActor(a): ApiActor,
    Path(id): Path<Uuid>,
    ApiJson(b): ApiJson<OverrideInput>,
) -> Result<(StatusCode, Json<Override>), ApiError> {
    Ok((
        StatusCode::CREATED,
        Json(ev::override_class(&st.svc, &a, id, &b).await?),
    ))
}
