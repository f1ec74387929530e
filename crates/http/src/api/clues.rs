//! `/api/v1/clues`: problem clues (问题线索, 国办发〔2023〕1号 (十)) — registering a clue,
//! the queues and a clue with its timeline and clocks, and the handling steps (派单, 签收,
//! 退回, 改派, 延期, 办结), each one audited event. The complainant's name and phone are
//! masked for callers who are not handling staff (`masked: true`).

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use chrono::NaiveDate;
use lianjian_domain::clue::{ClueKind, ClueSource, Urgency};
use lianjian_domain::region::RegionCode;
use lianjian_services::ServiceError;
use lianjian_services::clues::reports::{self, ClueRates, RatesQuery};
use lianjian_services::clues::{self, ClueDetail, ClueFilter, ClueInput, ClueView, Queue};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::dto::PageOf;
use super::params::{self, Pages, text, text_or_empty};
use crate::error::ErrorBody;
use crate::extract::{ApiActor, ApiJson, ApiQuery};
use crate::{ApiError, AppState};

/// Filters of the clue list.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ClueParams {
    /// `all` (default), `to_dispatch` 待派单, `to_sign` 待签收, `to_handle` 待办理,
    /// `due_soon` 即将超时, `overdue` 已超时, `returned` 退回待处理, `extensions` 延期待审批,
    /// `finished` 已办结.
    pub queue: Option<String>,
    /// A region subtree (narrows the caller's scope, never widens it).
    pub region: Option<String>,
    /// A source code (`hotline_12345` …).
    pub source: Option<String>,
    /// Text in the code, the source reference, the content, the address or the entity's name
    /// or credit code.
    pub q: Option<String>,
    /// A kind code (`complaint` 投诉, `report` 举报 …).
    pub kind: Option<String>,
    /// `normal`, `urgent`, `very_urgent`.
    pub urgency: Option<String>,
    /// The handling department.
    pub department_id: Option<String>,
    /// `received` (newest first, default), `received_asc`, `due` (earliest running deadline
    /// first).
    pub sort: Option<String>,
}

fn field_err(field: &str, e: lianjian_domain::Invalid) -> ApiError {
    ServiceError::field(field, e).into()
}

impl ClueParams {
    fn parse(&self) -> Result<(Queue, ClueFilter), ApiError> {
        let queue = Queue::parse(&text_or_empty(&self.queue)).map_err(|e| field_err("queue", e))?;
        let region = match text(&self.region) {
            None => None,
            Some(r) => Some(RegionCode::parse(&r).map_err(|e| field_err("region", e))?),
        };
        let source = match text(&self.source) {
            None => None,
            Some(s) => Some(ClueSource::parse(&s).map_err(|e| field_err("source", e))?),
        };
        let kind = match text(&self.kind) {
            None => None,
            Some(s) => Some(ClueKind::parse(&s).map_err(|e| field_err("kind", e))?),
        };
        let urgency = match text(&self.urgency) {
            None => None,
            Some(s) => Some(Urgency::parse(&s).map_err(|e| field_err("urgency", e))?),
        };
        let department_id = match text(&self.department_id) {
            None => None,
            Some(s) => Some(s.parse::<Uuid>().map_err(|_| {
                field_err(
                    "department_id",
                    lianjian_domain::Invalid::new(
                        "uuid",
                        format!("承办部门“{s}”不正确"),
                        format!("department_id '{s}' is not an id"),
                    ),
                )
            })?),
        };
        let sort = crate::console::clue_sort(&text_or_empty(&self.sort))
            .map_err(|e| field_err("sort", e))?;
        Ok((
            queue,
            ClueFilter {
                region,
                source,
                text: text(&self.q),
                kind,
                urgency,
                department_id,
                sort,
            },
        ))
    }
}

/// Clues in the caller's scope, newest first, each with its clocks' lights.
#[utoipa::path(get, path = "/api/v1/clues", tag = "clues", params(ClueParams, Pages),
    responses((status = 200, body = PageOf<ClueView>)))]
pub async fn list(
    State(st): State<AppState>,
    ApiActor(a): ApiActor,
    ApiQuery(f): ApiQuery<ClueParams>,
    ApiQuery(p): ApiQuery<Pages>,
) -> Result<Json<PageOf<ClueView>>, ApiError> {
    let (queue, filter) = f.parse()?;
    let page = clues::list(&st.svc, &a, queue, &filter, p.request()?).await?;
    Ok(Json(PageOf::from(page, |x| x)))
}

/// The queue as filtered (the same parameters as the list) as an xlsx file: Chinese headers,
/// labels not codes, the complainant's name and phone always masked, at most 50,000 rows.
#[utoipa::path(get, path = "/api/v1/clues/export.xlsx", tag = "clues", params(ClueParams),
    responses((status = 200, description = "xlsx", content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"), (status = 422, body = ErrorBody)))]
pub async fn export(
    State(st): State<AppState>,
    ApiActor(a): ApiActor,
    ApiQuery(f): ApiQuery<ClueParams>,
) -> Result<Response, ApiError> {
    let (queue, filter) = f.parse()?;
    let bytes = reports::export(&st.svc, &a, queue, &filter).await?;
    Ok(crate::console::exchange::xlsx(
        &format!("问题线索-{}.xlsx", params::today()),
        bytes,
    ))
}

/// The period and region of the rates.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ClueRatesParams {
    /// First day (Beijing date, `2026-11-01`); default 29 days before `to`.
    pub from: Option<String>,
    /// Last day, inclusive; default today.
    pub to: Option<String>,
    /// A region subtree (narrows the caller's scope).
    pub region: Option<String>,
}

impl ClueRatesParams {
    fn query(&self) -> Result<RatesQuery, ApiError> {
        let date = |k: &str, v: &Option<String>| -> Result<Option<NaiveDate>, ApiError> {
            match text(v) {
                None => Ok(None),
                Some(s) => s.parse::<NaiveDate>().map(Some).map_err(|_| {
                    field_err(
                        k,
                        lianjian_domain::Invalid::new(
                            "date",
                            format!("日期“{s}”不正确，应为 2026-12-07 这样的格式"),
                            format!("'{s}' is not a date (YYYY-MM-DD)"),
                        ),
                    )
                }),
            }
        };
        Ok(RatesQuery {
            from: date("from", &self.from)?,
            to: date("to", &self.to)?,
            region: match text(&self.region) {
                None => None,
                Some(r) => Some(RegionCode::parse(&r).map_err(|e| field_err("region", e))?),
            },
        })
    }
}

/// The office's rates per department over a period: dispatched, signed within the signing
/// deadline (response rate), finished within the finishing deadline as extended (on-time
/// rate), overdue now, returns, and satisfaction once evaluations exist (null until then).
/// Only clues in the caller's scope count.
#[utoipa::path(get, path = "/api/v1/clues/rates", tag = "clues", params(ClueRatesParams),
    responses((status = 200, body = ClueRates), (status = 422, body = ErrorBody)))]
pub async fn rates(
    State(st): State<AppState>,
    ApiActor(a): ApiActor,
    ApiQuery(p): ApiQuery<ClueRatesParams>,
) -> Result<Json<ClueRates>, ApiError> {
    Ok(Json(reports::rates(&st.svc, &a, &p.query()?).await?))
}

/// The same rates as an xlsx file (one row per department, the total last).
#[utoipa::path(get, path = "/api/v1/clues/rates/export.xlsx", tag = "clues", params(ClueRatesParams),
    responses((status = 200, description = "xlsx", content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"), (status = 422, body = ErrorBody)))]
pub async fn rates_export(
    State(st): State<AppState>,
    ApiActor(a): ApiActor,
    ApiQuery(p): ApiQuery<ClueRatesParams>,
) -> Result<Response, ApiError> {
    let bytes = reports::export_rates(&st.svc, &a, &p.query()?).await?;
    Ok(crate::console::exchange::xlsx(
        &format!("线索办理统计-{}.xlsx", params::today()),
        bytes,
    ))
}

/// Registers a clue (登记). Every bad field is named (422) and nothing is stored; a source
/// reference (`external_no`, e.g. a 12345 work-order number) already registered is a 422
/// `duplicate` on that field. Roles that register nothing (leaders, supervisors) get 403.
#[utoipa::path(post, path = "/api/v1/clues", tag = "clues", request_body = ClueInput,
    responses((status = 201, body = ClueDetail), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create(
    State(st): State<AppState>,
    ApiActor(a): ApiActor,
    ApiJson(b): ApiJson<ClueInput>,
) -> Result<(StatusCode, Json<ClueDetail>), ApiError> {
    Ok((
        StatusCode::CREATED,
        Json(clues::register(&st.svc, &a, &b).await?),
    ))
}

/// A clue with its items, clocks, timeline (every step: who, when, why) and the steps the
/// caller may take now. 404 outside the caller's scope.
#[utoipa::path(get, path = "/api/v1/clues/{id}", tag = "clues",
    responses((status = 200, body = ClueDetail), (status = 404, body = ErrorBody)))]
pub async fn get(
    State(st): State<AppState>,
    ApiActor(a): ApiActor,
    Path(id): Path<String>,
) -> Result<Json<ClueDetail>, ApiError> {
    Ok(Json(clues::get(&st.svc, &a, params::id(&id)?).await?))
}

/// The department a clue is sent to.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DispatchBody {
    pub department_id: Uuid,
}

/// 派单: the coordination office sends a registered clue to a department; the signing (1),
/// return (2) and finishing (5 working days) clocks start today. 409 in another status.
#[utoipa::path(post, path = "/api/v1/clues/{id}/dispatch", tag = "clues", request_body = DispatchBody,
    responses((status = 200, body = ClueDetail), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn dispatch(
    State(st): State<AppState>,
    ApiActor(a): ApiActor,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<DispatchBody>,
) -> Result<Json<ClueDetail>, ApiError> {
    Ok(Json(
        clues::dispatch(&st.svc, &a, params::id(&id)?, b.department_id).await?,
    ))
}

/// A new department and why.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReassignBody {
    pub department_id: Uuid,
    pub reason: String,
}

/// 改派: the office sends a returned, escalated or unsigned clue to another department, with a
/// reason; the clocks start again.
#[utoipa::path(post, path = "/api/v1/clues/{id}/reassign", tag = "clues", request_body = ReassignBody,
    responses((status = 200, body = ClueDetail), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn reassign(
    State(st): State<AppState>,
    ApiActor(a): ApiActor,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<ReassignBody>,
) -> Result<Json<ClueDetail>, ApiError> {
    Ok(Json(
        clues::reassign(&st.svc, &a, params::id(&id)?, b.department_id, &b.reason).await?,
    ))
}

/// 签收: the handling department accepts the clue.
#[utoipa::path(post, path = "/api/v1/clues/{id}/sign", tag = "clues",
    responses((status = 200, body = ClueDetail), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn sign(
    State(st): State<AppState>,
    ApiActor(a): ApiActor,
    Path(id): Path<String>,
) -> Result<Json<ClueDetail>, ApiError> {
    Ok(Json(clues::sign(&st.svc, &a, params::id(&id)?).await?))
}

/// A mandatory reason.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReasonBody {
    pub reason: String,
}

/// 退回: the handling department returns a clue that is not its duty, with a reason, within
/// 2 working days of dispatch (409 after).
#[utoipa::path(post, path = "/api/v1/clues/{id}/return", tag = "clues", request_body = ReasonBody,
    responses((status = 200, body = ClueDetail), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn return_clue(
    State(st): State<AppState>,
    ApiActor(a): ApiActor,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<ReasonBody>,
) -> Result<Json<ClueDetail>, ApiError> {
    Ok(Json(
        clues::return_clue(&st.svc, &a, params::id(&id)?, &b.reason).await?,
    ))
}

/// An extension request.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ExtensionBody {
    /// Working days, 1–10 (at most 10 in all).
    pub days: i64,
    pub reason: String,
}

/// 申请延期: asked before the finishing deadline; the office decides.
#[utoipa::path(post, path = "/api/v1/clues/{id}/extension", tag = "clues", request_body = ExtensionBody,
    responses((status = 200, body = ClueDetail), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn request_extension(
    State(st): State<AppState>,
    ApiActor(a): ApiActor,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<ExtensionBody>,
) -> Result<Json<ClueDetail>, ApiError> {
    Ok(Json(
        clues::request_extension(&st.svc, &a, params::id(&id)?, b.days, &b.reason).await?,
    ))
}

/// The office's decision on an extension.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DecisionBody {
    pub approve: bool,
    /// Required when refusing.
    #[serde(default)]
    pub reason: String,
}

/// Approves (the finishing deadline moves) or refuses (with a reason) an extension.
#[utoipa::path(post, path = "/api/v1/clues/{id}/extension/decision", tag = "clues", request_body = DecisionBody,
    responses((status = 200, body = ClueDetail), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn decide_extension(
    State(st): State<AppState>,
    ApiActor(a): ApiActor,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<DecisionBody>,
) -> Result<Json<ClueDetail>, ApiError> {
    Ok(Json(
        clues::decide_extension(&st.svc, &a, params::id(&id)?, b.approve, &b.reason).await?,
    ))
}

/// The handling result.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FinishBody {
    pub result: String,
}

/// 办结: the department records the result; every clock stops.
#[utoipa::path(post, path = "/api/v1/clues/{id}/finish", tag = "clues", request_body = FinishBody,
    responses((status = 200, body = ClueDetail), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn finish(
    State(st): State<AppState>,
    ApiActor(a): ApiActor,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<FinishBody>,
) -> Result<Json<ClueDetail>, ApiError> {
    Ok(Json(
        clues::finish(&st.svc, &a, params::id(&id)?, &b.result).await?,
    ))
}
