//! `/api/v1/clues`: problem clues (问题线索, 国办发〔2023〕1号 (十)) — registering a clue,
//! the queues and a clue with its timeline and clocks, and the handling steps (派单, 签收,
//! 退回, 改派, 延期, 办结), each one audited event. The complainant's name and phone are
//! masked for callers who are not handling staff (`masked: true`).

use axum::Json;
use axum::extract::multipart::MultipartRejection;
use axum::extract::{Multipart, Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use chrono::NaiveDate;
use lianjian_domain::clue::{ClueKind, ClueSource, Urgency};
use lianjian_domain::region::RegionCode;
use lianjian_services::clues::batch::ClueBatch;
use lianjian_services::clues::joint::{DecisionInput, VerifyInput};
use lianjian_services::clues::oversight::Transferred;
use lianjian_services::clues::reports::{self, ClueRates, RatesQuery};
use lianjian_services::clues::routing::{DeadlineInput, DeadlineRuleView, RouteInput, RouteView};
use lianjian_services::clues::{self, ClueDetail, ClueFilter, ClueInput, ClueView, Queue};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::dto::PageOf;
use super::params::{self, Pages, field_err, text, text_or_empty};
use crate::error::{ErrorBody, ErrorDetail};
use crate::extract::{ApiActor, ApiJson, ApiQuery};
use crate::{ApiError, AppState};

/// Filters of the clue list.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ClueParams {
    /// `all` (default), `to_dispatch` 待派单, `to_sign` 待签收, `to_handle` 待办理,
    /// `due_soon` 即将超时, `overdue` 已超时, `returned` 退回待处理, `disputed` 争议待裁定,
    /// `extensions` 延期待审批,
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
    /// The lead department (牵头部门).
    pub department_id: Uuid,
    /// Cooperating departments of a joint verification (配合部门); they see the clue too.
    #[serde(default)]
    pub cooperating_ids: Vec<Uuid>,
}

/// 派单: the coordination office sends a registered clue to a department (with cooperating
/// ones for a joint verification); the signing, return and finishing clocks start today, with
/// the deadlines of the clue's source and kind (defaults 1, 2 and 5 working days). 409 in
/// another status.
#[utoipa::path(post, path = "/api/v1/clues/{id}/dispatch", tag = "clues", request_body = DispatchBody,
    responses((status = 200, body = ClueDetail), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn dispatch(
    State(st): State<AppState>,
    ApiActor(a): ApiActor,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<DispatchBody>,
) -> Result<Json<ClueDetail>, ApiError> {
    Ok(Json(
        clues::joint::dispatch_jointly(
            &st.svc,
            &a,
            params::id(&id)?,
            b.department_id,
            &b.cooperating_ids,
        )
        .await?,
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

/// The handling result and, for a complaint or report, the finding.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FinishBody {
    pub result: String,
    /// 查实情况: `substantiated` (属实), `partly_substantiated` (部分属实) or `unsubstantiated`
    /// (不属实) — code or label. Required for a complaint or report, refused for other kinds.
    /// A verified complaint naming an entity becomes a credit record of kind `verified_clue`.
    #[serde(default)]
    pub finding: Option<String>,
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
        clues::finish(
            &st.svc,
            &a,
            params::id(&id)?,
            &b.result,
            b.finding.as_deref().unwrap_or_default(),
        )
        .await?,
    ))
}

/// 提请裁定: the office finds no clear owner; it decides the lead within 3 working days.
#[utoipa::path(post, path = "/api/v1/clues/{id}/dispute", tag = "clues", request_body = ReasonBody,
    responses((status = 200, body = ClueDetail), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn dispute(
    State(st): State<AppState>,
    ApiActor(a): ApiActor,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<ReasonBody>,
) -> Result<Json<ClueDetail>, ApiError> {
    Ok(Json(
        clues::joint::dispute(&st.svc, &a, params::id(&id)?, &b.reason).await?,
    ))
}

/// 裁定: the office names the lead (and cooperating) departments of a disputed clue by
/// 谁主管谁牵头 (`competent`), 谁为主谁牵头 (`principal`) or 谁靠近谁牵头 (`nearest`), with its
/// reason; the clue is dispatched.
#[utoipa::path(post, path = "/api/v1/clues/{id}/decide", tag = "clues", request_body = DecisionInput,
    responses((status = 200, body = ClueDetail), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn decide(
    State(st): State<AppState>,
    ApiActor(a): ApiActor,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<DecisionInput>,
) -> Result<Json<ClueDetail>, ApiError> {
    Ok(Json(
        clues::joint::decide(&st.svc, &a, params::id(&id)?, &b).await?,
    ))
}

/// 督办: the office puts an open clue under supervision, with its instructions.
#[utoipa::path(post, path = "/api/v1/clues/{id}/supervise", tag = "clues", request_body = ReasonBody,
    responses((status = 200, body = ClueDetail), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn supervise(
    State(st): State<AppState>,
    ApiActor(a): ApiActor,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<ReasonBody>,
) -> Result<Json<ClueDetail>, ApiError> {
    Ok(Json(
        clues::oversight::supervise(&st.svc, &a, params::id(&id)?, &b.reason).await?,
    ))
}

/// 催办: the office reminds the department holding a clue.
#[utoipa::path(post, path = "/api/v1/clues/{id}/urge", tag = "clues", request_body = ReasonBody,
    responses((status = 200, body = ClueDetail), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn urge(
    State(st): State<AppState>,
    ApiActor(a): ApiActor,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<ReasonBody>,
) -> Result<Json<ClueDetail>, ApiError> {
    Ok(Json(
        clues::oversight::urge(&st.svc, &a, params::id(&id)?, &b.reason).await?,
    ))
}

/// Where to transfer a clue, and why.
#[derive(Debug, Deserialize, ToSchema)]
#[schema(as = ClueTransferBody)]
#[serde(deny_unknown_fields)]
pub struct TransferBody {
    /// GB/T 2260 code of the region whose office takes the clue.
    pub region_code: String,
    pub reason: String,
}

/// 转办: the office sends the clue to another region's office, where it arrives 待派单; the
/// caller no longer sees it afterwards.
#[utoipa::path(post, path = "/api/v1/clues/{id}/transfer", tag = "clues", request_body = TransferBody,
    responses((status = 200, body = Transferred), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn transfer(
    State(st): State<AppState>,
    ApiActor(a): ApiActor,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<TransferBody>,
) -> Result<Json<Transferred>, ApiError> {
    Ok(Json(
        clues::oversight::transfer(&st.svc, &a, params::id(&id)?, &b.region_code, &b.reason)
            .await?,
    ))
}

/// The clue a duplicate joins.
#[derive(Debug, Deserialize, ToSchema)]
#[schema(as = ClueMergeBody)]
#[serde(deny_unknown_fields)]
pub struct MergeBody {
    /// The id or the code (XS-…) of the clue that stays.
    pub into: String,
    #[serde(default)]
    pub reason: String,
}

/// 并单: a duplicate joins another open clue and is answered with its result.
#[utoipa::path(post, path = "/api/v1/clues/{id}/merge", tag = "clues", request_body = MergeBody,
    responses((status = 200, body = ClueDetail), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn merge(
    State(st): State<AppState>,
    ApiActor(a): ApiActor,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<MergeBody>,
) -> Result<Json<ClueDetail>, ApiError> {
    Ok(Json(
        clues::oversight::merge(&st.svc, &a, params::id(&id)?, &b.into, &b.reason).await?,
    ))
}

/// The complainant's verdict at 回访.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RevisitBody {
    /// `satisfied` 满意, `basically_satisfied` 基本满意, `dissatisfied` 不满意.
    pub satisfaction: String,
    /// Required when dissatisfied: the complainant's reason.
    #[serde(default)]
    pub reason: String,
}

/// 回访: satisfied closes a finished clue; dissatisfied sends it back to the department with a
/// new finishing clock (重办).
#[utoipa::path(post, path = "/api/v1/clues/{id}/revisit", tag = "clues", request_body = RevisitBody,
    responses((status = 200, body = ClueDetail), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn revisit(
    State(st): State<AppState>,
    ApiActor(a): ApiActor,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<RevisitBody>,
) -> Result<Json<ClueDetail>, ApiError> {
    Ok(Json(
        clues::oversight::revisit(&st.svc, &a, params::id(&id)?, &b.satisfaction, &b.reason)
            .await?,
    ))
}

/// The open visit a clue joins.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct JoinVisitBody {
    pub visit_id: Uuid,
}

/// 并入检查: the clue joins an open visit to its entity; its items join the checklist.
#[utoipa::path(post, path = "/api/v1/clues/{id}/join-visit", tag = "clues", request_body = JoinVisitBody,
    responses((status = 200, body = ClueDetail), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn join_visit(
    State(st): State<AppState>,
    ApiActor(a): ApiActor,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<JoinVisitBody>,
) -> Result<Json<ClueDetail>, ApiError> {
    Ok(Json(
        clues::joint::join_visit(&st.svc, &a, params::id(&id)?, b.visit_id).await?,
    ))
}

/// 发起核查: a visit with trigger `clue` to the clue's entity, checking its items.
#[utoipa::path(post, path = "/api/v1/clues/{id}/verify", tag = "clues", request_body = VerifyInput,
    responses((status = 200, body = ClueDetail), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn verify(
    State(st): State<AppState>,
    ApiActor(a): ApiActor,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<VerifyInput>,
) -> Result<Json<ClueDetail>, ApiError> {
    Ok(Json(
        clues::joint::verify(&st.svc, &a, params::id(&id)?, &b).await?,
    ))
}

/// The office's routing table (分办规则) of its region and below.
#[utoipa::path(get, path = "/api/v1/clue-routes", tag = "clues",
    responses((status = 200, body = Vec<RouteView>), (status = 403, body = ErrorBody)))]
pub async fn routes(
    State(st): State<AppState>,
    ApiActor(a): ApiActor,
) -> Result<Json<Vec<RouteView>>, ApiError> {
    Ok(Json(clues::routing::routes(&st.svc, &a).await?))
}

/// Adds a routing rule: a keyword or a sector, suggesting an item and/or a lead department.
#[utoipa::path(post, path = "/api/v1/clue-routes", tag = "clues", request_body = RouteInput,
    responses((status = 201, body = Vec<RouteView>), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn add_route(
    State(st): State<AppState>,
    ApiActor(a): ApiActor,
    ApiJson(b): ApiJson<RouteInput>,
) -> Result<(StatusCode, Json<Vec<RouteView>>), ApiError> {
    clues::routing::add_route(&st.svc, &a, &b).await?;
    Ok((
        StatusCode::CREATED,
        Json(clues::routing::routes(&st.svc, &a).await?),
    ))
}

/// Deletes a routing rule.
#[utoipa::path(delete, path = "/api/v1/clue-routes/{id}", tag = "clues",
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn delete_route(
    State(st): State<AppState>,
    ApiActor(a): ApiActor,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    clues::routing::delete_route(&st.svc, &a, params::id(&id)?).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The deadline rules (办理时限) that apply in the office's region, nearest first.
#[utoipa::path(get, path = "/api/v1/clue-deadlines", tag = "clues",
    responses((status = 200, body = Vec<DeadlineRuleView>), (status = 403, body = ErrorBody)))]
pub async fn deadlines(
    State(st): State<AppState>,
    ApiActor(a): ApiActor,
) -> Result<Json<Vec<DeadlineRuleView>>, ApiError> {
    Ok(Json(clues::routing::deadline_rules(&st.svc, &a).await?))
}

/// Sets the deadlines of clues of one source and kind (empty: any) in the office's region.
#[utoipa::path(put, path = "/api/v1/clue-deadlines", tag = "clues", request_body = DeadlineInput,
    responses((status = 200, body = Vec<DeadlineRuleView>), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn put_deadline(
    State(st): State<AppState>,
    ApiActor(a): ApiActor,
    ApiJson(b): ApiJson<DeadlineInput>,
) -> Result<Json<Vec<DeadlineRuleView>>, ApiError> {
    clues::routing::put_deadline_rule(&st.svc, &a, &b).await?;
    Ok(Json(clues::routing::deadline_rules(&st.svc, &a).await?))
}

/// Which deadline rule to remove.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DeadlineKey {
    /// The rule's region; default the office's own.
    pub region_code: Option<String>,
    /// A source code; empty for the any-source rule.
    pub source: Option<String>,
    /// A kind code; empty for the any-kind rule.
    pub kind: Option<String>,
}

/// Removes the office's deadline rule for one source and kind.
#[utoipa::path(delete, path = "/api/v1/clue-deadlines", tag = "clues", params(DeadlineKey),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn delete_deadline(
    State(st): State<AppState>,
    ApiActor(a): ApiActor,
    ApiQuery(q): ApiQuery<DeadlineKey>,
) -> Result<StatusCode, ApiError> {
    clues::routing::delete_deadline_rule(
        &st.svc,
        &a,
        q.region_code.as_deref(),
        q.source.as_deref(),
        q.kind.as_deref(),
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// 补充材料: a photo or document for the clue's evidence, by the office or the handling
/// department's staff (multipart field `file`). Stored once by its SHA-256 in the evidence log
/// (证据互认) and listed in the clue's `attachments`; the same file again changes nothing
/// (200). Too large: 413; not an allowed type or contradicting its declared type: 415 — both
/// name the file, and nothing is stored.
#[utoipa::path(post, path = "/api/v1/clues/{id}/attachments", tag = "clues",
    request_body(content = super::evidence::UploadForm, content_type = "multipart/form-data"),
    responses((status = 201, body = ClueDetail), (status = 200, body = ClueDetail),
        (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 413, body = ErrorBody), (status = 415, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn attach(
    State(st): State<AppState>,
    ApiActor(a): ApiActor,
    Path(id): Path<String>,
    form: Result<Multipart, MultipartRejection>,
) -> Result<(StatusCode, Json<ClueDetail>), ApiError> {
    let id = params::id(&id)?;
    let upload = super::evidence::read_upload(form, st.svc.evidence.config().max_bytes).await?;
    let (d, added) = clues::attach(&st.svc, &a, id, upload)
        .await
        .map_err(super::evidence::upload_error)?;
    let status = if added {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((status, Json(d)))
}

/// A batch step on many clues.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum BatchAction {
    /// 批量签收 by the handling department.
    Sign,
    /// 批量派单/改派 by the office to `department_id`: a registered clue is dispatched, a
    /// returned, escalated or unsigned one reassigned (which needs `reason`).
    Send,
}

/// Clues and the step to take on each.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BatchBody {
    /// The clues, each taken once in the order given (at most 200).
    pub ids: Vec<Uuid>,
    pub action: BatchAction,
    /// For `send`: the department that handles them.
    pub department_id: Option<Uuid>,
    /// For `send`: why they are reassigned (改派 needs a reason; a first dispatch ignores it).
    #[serde(default)]
    pub reason: String,
}

/// What the batch did with one clue.
#[derive(Debug, Serialize, ToSchema)]
pub struct BatchRowResult {
    pub clue_id: Uuid,
    /// The clue's code, when the caller may see it.
    pub code: Option<String>,
    pub ok: bool,
    /// The HTTP status the single step would have answered when it failed (403, 404, 409, 422).
    pub status: Option<u16>,
    /// Why it was not done, as the single step's error body says it.
    pub error: Option<ErrorDetail>,
}

/// The outcome of a batch.
#[derive(Debug, Serialize, ToSchema)]
pub struct BatchOutcome {
    pub done: usize,
    pub failed: usize,
    pub rows: Vec<BatchRowResult>,
}

/// 批量签收 / 批量派单改派: each clue goes through the single step with its own authorization,
/// transaction, event and audit entry; one refused (signed meanwhile, out of scope, a
/// department that does not cover its region) leaves the others done and is reported with the
/// error the single step answers. A wrong batch (no clue, more than 200, no department for
/// `send`) is refused whole (422) before anything is written.
#[utoipa::path(post, path = "/api/v1/clues/batch", tag = "clues", request_body = BatchBody,
    responses((status = 200, body = BatchOutcome), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn batch(
    State(st): State<AppState>,
    ApiActor(a): ApiActor,
    ApiJson(b): ApiJson<BatchBody>,
) -> Result<Json<BatchOutcome>, ApiError> {
    let what = match b.action {
        BatchAction::Sign => ClueBatch::Sign,
        BatchAction::Send => ClueBatch::Send {
            department_id: b.department_id.ok_or_else(|| {
                field_err(
                    "department_id",
                    lianjian_domain::Invalid::new(
                        "required",
                        "批量派单/改派须选择承办部门",
                        "send needs department_id",
                    ),
                )
            })?,
            reason: b.reason,
        },
    };
    let rows = clues::batch::run(&st.svc, &a, &b.ids, &what).await?;
    let rows: Vec<BatchRowResult> = rows
        .into_iter()
        .map(|r| {
            let (status, error) = match r.error {
                None => (None, None),
                Some(e) => {
                    let e = ApiError::from(e);
                    (Some(e.status.as_u16()), Some(e.detail()))
                }
            };
            BatchRowResult {
                clue_id: r.clue_id,
                code: r.code,
                ok: error.is_none(),
                status,
                error,
            }
        })
        .collect();
    let failed = rows.iter().filter(|r| !r.ok).count();
    Ok(Json(BatchOutcome {
        done: rows.len() - failed,
        failed,
        rows,
    }))
}
