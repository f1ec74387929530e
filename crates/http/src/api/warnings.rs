//! Risk warnings (风险隐患联合监测预警, issue 16 items 1–2): `/api/v1/warning-rules` (rules per
//! sector, versioned: a change is a new version) and `/api/v1/warnings` (queues, a warning's
//! page, and its steps: 签收, 提请会商研判, 研判决定, 开始处置, 办结, 转为线索, 转为检查). Every
//! step is one audited event of the shared case mechanism; a department sees the warnings
//! pushed to its line in its region.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use lianjian_services::warnings::{
    self, AssessInput, AssessmentDecision, RuleInput, RuleView, ToClueInput, ToVisitInput,
    WarningDetail, WarningFilter, WarningQueue, WarningView,
};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

use super::cases::{listed, on_case};
use super::clues::ReasonBody;
use super::dto::PageOf;
use super::params::{self, Pages, text};
use crate::error::ErrorBody;
use crate::extract::{ApiActor, ApiJson, ApiQuery};
use crate::{ApiError, AppState};

// ---- rules ----

/// The rules in force (the current version of each), by sector and code.
#[utoipa::path(get, path = "/api/v1/warning-rules", tag = "warnings",
    responses((status = 200, body = [RuleView])))]
pub async fn list_rules(
    State(st): State<AppState>,
    ApiActor(a): ApiActor,
) -> Result<Json<Vec<RuleView>>, ApiError> {
    Ok(Json(warnings::list_rules(&st.svc, &a).await?))
}

/// Adds a rule (version 1): code, name, sector, level, condition, push rule and response plan.
/// Every bad field is named (422, e.g. `condition` with the place in the tree); a code in use
/// is a 409. The coordination office and the system administrator only.
#[utoipa::path(post, path = "/api/v1/warning-rules", tag = "warnings", request_body = RuleInput,
    responses((status = 201, body = RuleView), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create_rule(
    State(st): State<AppState>,
    ApiActor(a): ApiActor,
    ApiJson(b): ApiJson<RuleInput>,
) -> Result<(StatusCode, Json<RuleView>), ApiError> {
    Ok((
        StatusCode::CREATED,
        Json(warnings::create_rule(&st.svc, &a, &b).await?),
    ))
}

/// A rule's versions, newest first.
#[utoipa::path(get, path = "/api/v1/warning-rules/{id}", tag = "warnings",
    responses((status = 200, body = [RuleView]), (status = 404, body = ErrorBody)))]
pub async fn rule_versions(
    State(st): State<AppState>,
    ApiActor(a): ApiActor,
    Path(id): Path<String>,
) -> Result<Json<Vec<RuleView>>, ApiError> {
    on_case(&id, |id| warnings::rule_versions(&st.svc, &a, id)).await
}

/// A new version of a rule (the code stays): warnings raised before keep their version.
#[utoipa::path(post, path = "/api/v1/warning-rules/{id}/versions", tag = "warnings", request_body = RuleInput,
    responses((status = 201, body = RuleView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn new_version(
    State(st): State<AppState>,
    ApiActor(a): ApiActor,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<RuleInput>,
) -> Result<(StatusCode, Json<RuleView>), ApiError> {
    Ok((
        StatusCode::CREATED,
        Json(warnings::new_version(&st.svc, &a, params::id(&id)?, &b).await?),
    ))
}

// ---- warnings ----

/// Filters of a warning queue.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct WarningParams {
    /// `pending` 待签收 (default), `open` 办理中, `assessing` 会商研判, `due_soon` 即将超时,
    /// `overdue` 已超时, `done` 已办结, `all`.
    pub queue: Option<String>,
    /// `red`, `orange`, `yellow`, `blue`.
    pub level: Option<String>,
    pub rule_id: Option<String>,
    pub entity_id: Option<String>,
    /// Pushed to this department.
    pub department_id: Option<String>,
    /// `level` (most severe first), `last` (latest occurrence first), `created` (default).
    pub sort: Option<String>,
}

/// Warnings in the caller's scope (a department: those pushed to its line in its region), each
/// with its plan clocks' lights.
#[utoipa::path(get, path = "/api/v1/warnings", tag = "warnings", params(WarningParams, Pages),
    responses((status = 200, body = PageOf<WarningView>), (status = 422, body = ErrorBody)))]
pub async fn list(
    State(st): State<AppState>,
    ApiActor(a): ApiActor,
    ApiQuery(f): ApiQuery<WarningParams>,
    ApiQuery(p): ApiQuery<Pages>,
) -> Result<Json<PageOf<WarningView>>, ApiError> {
    let queue = params::queue(&f.queue, WarningQueue::Pending)?;
    let filter = WarningFilter {
        level: text(&f.level),
        rule_id: params::opt_id("rule_id", &f.rule_id)?,
        entity_id: params::opt_id("entity_id", &f.entity_id)?,
        department_id: params::opt_id("department_id", &f.department_id)?,
        sort: text(&f.sort),
    };
    Ok(listed(
        warnings::list(&st.svc, &a, queue, &filter, p.request()?).await?,
    ))
}

/// A warning with its rule version, occurrences, joint assessments, clocks, timeline and the
/// steps the caller may take. 404 outside the caller's scope.
#[utoipa::path(get, path = "/api/v1/warnings/{id}", tag = "warnings",
    responses((status = 200, body = WarningDetail), (status = 404, body = ErrorBody)))]
pub async fn get(
    State(st): State<AppState>,
    ApiActor(a): ApiActor,
    Path(id): Path<String>,
) -> Result<Json<WarningDetail>, ApiError> {
    on_case(&id, |id| warnings::get(&st.svc, &a, id)).await
}

/// 签收: staff of a department the warning was pushed to. 409 in another status.
#[utoipa::path(post, path = "/api/v1/warnings/{id}/sign", tag = "warnings",
    responses((status = 200, body = WarningDetail), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn sign(
    State(st): State<AppState>,
    ApiActor(a): ApiActor,
    Path(id): Path<String>,
) -> Result<Json<WarningDetail>, ApiError> {
    on_case(&id, |id| warnings::sign(&st.svc, &a, id)).await
}

/// An optional note.
#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct NoteBody {
    #[serde(default)]
    pub note: Option<String>,
}

/// 开始处置 (a major warning only after the assessment's decision: 409 before).
#[utoipa::path(post, path = "/api/v1/warnings/{id}/handle", tag = "warnings", request_body = NoteBody,
    responses((status = 200, body = WarningDetail), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn handle(
    State(st): State<AppState>,
    ApiActor(a): ApiActor,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<NoteBody>,
) -> Result<Json<WarningDetail>, ApiError> {
    on_case(&id, |id| {
        warnings::handle(&st.svc, &a, id, b.note.as_deref())
    })
    .await
}

/// 办结 with a mandatory reason; every clock stops.
#[utoipa::path(post, path = "/api/v1/warnings/{id}/close", tag = "warnings", request_body = ReasonBody,
    responses((status = 200, body = WarningDetail), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn close(
    State(st): State<AppState>,
    ApiActor(a): ApiActor,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<ReasonBody>,
) -> Result<Json<WarningDetail>, ApiError> {
    on_case(&id, |id| warnings::close(&st.svc, &a, id, &b.reason)).await
}

/// 提请会商研判: a joint assessment of the pushed departments and those invited.
#[utoipa::path(post, path = "/api/v1/warnings/{id}/assess", tag = "warnings", request_body = AssessInput,
    responses((status = 200, body = WarningDetail), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn assess(
    State(st): State<AppState>,
    ApiActor(a): ApiActor,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<AssessInput>,
) -> Result<Json<WarningDetail>, ApiError> {
    on_case(&id, |id| warnings::assess(&st.svc, &a, id, &b)).await
}

/// 研判决定: the assessment's minutes and decision.
#[utoipa::path(post, path = "/api/v1/warnings/{id}/decide", tag = "warnings", request_body = AssessmentDecision,
    responses((status = 200, body = WarningDetail), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn decide(
    State(st): State<AppState>,
    ApiActor(a): ApiActor,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<AssessmentDecision>,
) -> Result<Json<WarningDetail>, ApiError> {
    on_case(&id, |id| warnings::decide(&st.svc, &a, id, &b)).await
}

/// 转为线索: a clue registered through the clue flow (source 数据监测/物联感知).
#[utoipa::path(post, path = "/api/v1/warnings/{id}/to-clue", tag = "warnings", request_body = ToClueInput,
    responses((status = 200, body = WarningDetail), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn to_clue(
    State(st): State<AppState>,
    ApiActor(a): ApiActor,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<ToClueInput>,
) -> Result<Json<WarningDetail>, ApiError> {
    on_case(&id, |id| warnings::to_clue(&st.svc, &a, id, &b)).await
}

/// 转为检查: an ad-hoc visit (trigger 风险预警) through the visit flow.
#[utoipa::path(post, path = "/api/v1/warnings/{id}/to-visit", tag = "warnings", request_body = ToVisitInput,
    responses((status = 200, body = WarningDetail), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn to_visit(
    State(st): State<AppState>,
    ApiActor(a): ApiActor,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<ToVisitInput>,
) -> Result<Json<WarningDetail>, ApiError> {
    on_case(&id, |id| warnings::to_visit(&st.svc, &a, id, &b)).await
}
