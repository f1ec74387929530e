//! `/api/v1/draws`: the joint double-random draw (双随机抽取): the planner's preview, the
//! commitment (with its witnesses: supervisors, a public beacon, or a recorded reason), the
//! supervisors' contributions, the beacon value, the draw, re-draws with a reason, the full
//! record and per-entity openings. `/api/v1/public/draws` publishes every draw (一公开) within
//! the law: the commitment, witnesses and counts per class at once; selected entities only as
//! their embargo ends; the public record variant (what `lianjian draw verify` checks) once every
//! visit is public. Design: `docs/double-random.md`.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, NaiveDate, Utc};
use lianjian_services::draws::{self, DrawSpec, WitnessSpec};
use lianjian_services::draws::{Draw, DrawQuery, DrawView, Preview};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::dto::PageOf;
use super::params::{self, text, text_or_empty};
use crate::error::ErrorBody;
use crate::extract::{ApiActor, ApiJson, ApiQuery};
use crate::{ApiError, AppState};

/// A draw's summary: what it covers, its commitment and its state.
#[derive(Debug, Serialize, ToSchema)]
pub struct DrawDto {
    pub id: Uuid,
    pub code: String,
    pub title: String,
    pub region_code: String,
    pub period_start: NaiveDate,
    pub period_end: NaiveDate,
    /// committed (承诺已公布，待抽取) | drawn (已抽取) | failed (抽取失败)
    pub status: String,
    pub status_label: String,
    pub redraw_of: Option<Uuid>,
    pub redraw_reason: Option<String>,
    pub superseded_by: Option<Uuid>,
    /// SHA-256 of the frozen candidate pool (with the plans).
    pub candidates_sha256: String,
    /// SHA-256 of the frozen inspector pool.
    pub inspectors_sha256: String,
    /// SHA-256 of the secret server seed, revealed in the record after the draw.
    pub seed_sha256: String,
    /// Who witnessed the draw (supervisors and beacon; 未经独立见证 when nobody did).
    pub witness_name: Option<String>,
    pub visit_count: i32,
    pub committed_at: DateTime<Utc>,
    pub drawn_at: Option<DateTime<Utc>>,
    /// The pre-announced public beacon named at commitment, and its value once entered.
    pub beacon_source: Option<String>,
    pub beacon_reference: Option<String>,
    pub beacon_available_on: Option<NaiveDate>,
    pub beacon_value: Option<String>,
    /// Why nobody independent witnesses this draw (未经独立见证), when nobody does.
    pub unwitnessed_reason: Option<String>,
    /// Days after the period's end before visits not yet published become public.
    pub publish_delay_days: i32,
}

impl From<Draw> for DrawDto {
    fn from(d: Draw) -> Self {
        Self {
            status_label: d.status.label_zh().into(),
            id: d.id,
            code: d.code,
            title: d.title,
            region_code: d.region_code.to_string(),
            period_start: d.period_start,
            period_end: d.period_end,
            status: d.status.as_str().into(),
            redraw_of: d.redraw_of,
            redraw_reason: d.redraw_reason,
            superseded_by: d.superseded_by,
            candidates_sha256: d.candidates_sha256,
            inspectors_sha256: d.inspectors_sha256,
            seed_sha256: d.seed_sha256,
            witness_name: d.witness_name,
            visit_count: d.visit_count,
            committed_at: d.committed_at,
            drawn_at: d.drawn_at,
            beacon_source: d.beacon_source,
            beacon_reference: d.beacon_reference,
            beacon_available_on: d.beacon_available_on,
            beacon_value: d.beacon_value,
            unwitnessed_reason: d.unwitnessed_reason,
            publish_delay_days: d.publish_delay_days,
        }
    }
}

/// How a draw will be witnessed: supervisors invited and/or a public beacon named now, or
/// neither with a reason (the record is then labelled 未经独立见证).
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WitnessBody {
    /// User names of supervisor accounts (role `supervisor`) covering the draw's region.
    #[serde(default)]
    pub supervisors: Vec<String>,
    /// A pre-announced public value, e.g. 中国福利彩票双色球.
    #[serde(default)]
    pub beacon_source: String,
    /// Which value, e.g. 第2026140期开奖号码.
    #[serde(default)]
    pub beacon_reference: String,
    /// YYYY-MM-DD, after today: the day the value is published.
    #[serde(default)]
    pub beacon_available_on: String,
    /// Required when neither supervisors nor a beacon are given; published.
    #[serde(default)]
    pub unwitnessed_reason: String,
    /// Days (0–366) after the period's end before visits not yet published become public.
    #[serde(default)]
    pub publish_delay_days: Option<i64>,
}

impl WitnessBody {
    fn spec(self) -> WitnessSpec {
        WitnessSpec {
            supervisors: self.supervisors,
            beacon_source: self.beacon_source,
            beacon_reference: self.beacon_reference,
            beacon_available_on: self.beacon_available_on,
            unwitnessed_reason: self.unwitnessed_reason,
            publish_delay_days: self
                .publish_delay_days
                .map(|d| d.to_string())
                .unwrap_or_default(),
        }
    }
}

/// A region, a period and the plans to draw (all published plans of the region and period
/// when `plan_ids` is empty), and how the draw will be witnessed (ignored by the preview).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DrawSpecBody {
    #[serde(default)]
    pub title: String,
    /// 2/4/6/9-digit region code.
    pub region_code: String,
    /// YYYY-MM-DD
    pub period_start: String,
    /// YYYY-MM-DD
    pub period_end: String,
    #[serde(default)]
    pub plan_ids: Vec<Uuid>,
    #[serde(flatten)]
    pub witness: WitnessBody,
}

impl DrawSpecBody {
    fn spec(self) -> DrawSpec {
        DrawSpec {
            title: self.title,
            region: self.region_code,
            period_start: self.period_start,
            period_end: self.period_end,
            plan_ids: self.plan_ids,
            witness: self.witness.spec(),
        }
    }
}

/// A draw record (`lianjian-draw/N`), whole or as published: its format is versioned and
/// specified in `docs/draw-algorithm.md`, which independent verifiers implement.
#[derive(Debug, Serialize, ToSchema)]
pub struct DrawRecordDto {
    #[serde(flatten)]
    #[schema(value_type = Object)]
    pub inner: serde_json::Value,
}

/// A draw just executed: the draw, and why it failed when its rules could not be met.
#[derive(Debug, Serialize, ToSchema)]
pub struct ExecutedDto {
    pub draw: DrawDto,
    pub failure: Option<lianjian_domain::draw::DrawFailure>,
}

/// Access codes just generated, each shown this once.
#[derive(Debug, Serialize, ToSchema)]
pub struct IssuedCodesDto {
    pub codes: Vec<lianjian_services::draws::IssuedCode>,
}

/// The planner: quotas per plan and class, and from a trial draw with a throw-away seed the
/// joint visits, visits saved, heaviest burdens and load per department. Nothing is stored.
#[utoipa::path(post, path = "/api/v1/draws/preview", tag = "draws", request_body = DrawSpecBody,
    responses((status = 200, body = Preview), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn preview(
    State(st): State<AppState>,
    ApiActor(a): ApiActor,
    ApiJson(b): ApiJson<DrawSpecBody>,
) -> Result<Json<Preview>, ApiError> {
    Ok(Json(draws::preview(&st.svc, &a, &b.spec()).await?))
}

/// Step 1: freezes the candidate and inspector pools and a secret seed; publishes their hashes.
#[utoipa::path(post, path = "/api/v1/draws", tag = "draws", request_body = DrawSpecBody,
    responses((status = 201, body = DrawDto), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn commit(
    State(st): State<AppState>,
    ApiActor(a): ApiActor,
    ApiJson(b): ApiJson<DrawSpecBody>,
) -> Result<(StatusCode, Json<DrawDto>), ApiError> {
    let d = draws::commit(&st.svc, &a, &b.spec()).await?;
    Ok((StatusCode::CREATED, Json(d.into())))
}

/// Filters of draw lists.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DrawFilter {
    /// Fragment of the title or code.
    pub q: Option<String>,
    /// Region subtree.
    pub region: Option<String>,
    /// committed | drawn | failed
    pub status: Option<String>,
    /// Draws that include this plan.
    pub plan: Option<Uuid>,
}

impl DrawFilter {
    fn query(&self) -> Result<DrawQuery, ApiError> {
        let region = match text_or_empty(&self.region).as_str() {
            "" => None,
            r => Some(
                lianjian_domain::region::RegionCode::parse(r)
                    .map_err(|e| lianjian_services::ServiceError::field("region", e))?,
            ),
        };
        let status = match text_or_empty(&self.status).as_str() {
            "" => None,
            s => Some(
                lianjian_domain::draw::DrawStatus::parse(s)
                    .map_err(|e| lianjian_services::ServiceError::field("status", e))?,
            ),
        };
        Ok(DrawQuery {
            region,
            status,
            q: text(&self.q),
            plan_id: self.plan,
        })
    }
}

#[utoipa::path(get, path = "/api/v1/draws", tag = "draws", params(DrawFilter, params::Pages),
    responses((status = 200, body = PageOf<DrawDto>), (status = 422, body = ErrorBody)))]
pub async fn list(
    State(st): State<AppState>,
    ApiActor(a): ApiActor,
    ApiQuery(f): ApiQuery<DrawFilter>,
    ApiQuery(p): ApiQuery<params::Pages>,
) -> Result<Json<PageOf<DrawDto>>, ApiError> {
    let page = draws::list(&st.svc, &a, &f.query()?, p.request()?).await?;
    Ok(Json(PageOf::from(page, DrawDto::from)))
}

/// One draw with its plans, visits (entity, items, departments, inspectors), the figures of
/// its result, or why it failed.
#[utoipa::path(get, path = "/api/v1/draws/{id}", tag = "draws",
    responses((status = 200, body = DrawView), (status = 404, body = ErrorBody)))]
pub async fn get(
    State(st): State<AppState>,
    ApiActor(a): ApiActor,
    Path(id): Path<String>,
) -> Result<Json<DrawView>, ApiError> {
    Ok(Json(draws::get(&st.svc, &a, params::id(&id)?).await?))
}

/// Nothing: the draw's contributions were entered beforehand by their supervisors and staff.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ExecuteBody {}

/// Step 2: the draw, once every invited supervisor has contributed and the beacon's value (if
/// one was named) is entered — 409 naming what is missing until then. A draw whose rules
/// cannot be met is stored as failed with the reason and answered with 200 and `failure` set.
#[utoipa::path(post, path = "/api/v1/draws/{id}/execute", tag = "draws", request_body = ExecuteBody,
    responses((status = 200, body = ExecutedDto), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn execute(
    State(st): State<AppState>,
    ApiActor(a): ApiActor,
    Path(id): Path<String>,
    ApiJson(_body): ApiJson<ExecuteBody>,
) -> Result<Json<ExecutedDto>, ApiError> {
    let out = draws::execute(&st.svc, &a, params::id(&id)?).await?;
    Ok(Json(ExecutedDto {
        draw: DrawDto::from(out.draw),
        failure: out.failure,
    }))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RedrawBody {
    /// Why (published with both records).
    pub reason: String,
    /// The new draw's witnesses; when all empty, those of the draw it replaces (never its
    /// beacon).
    #[serde(flatten)]
    pub witness: WitnessBody,
}

/// A re-draw: keeps the old record (superseded), cancels its scheduled visits and commits a
/// new draw of the same plans.
#[utoipa::path(post, path = "/api/v1/draws/{id}/redraw", tag = "draws", request_body = RedrawBody,
    responses((status = 201, body = DrawDto), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn redraw(
    State(st): State<AppState>,
    ApiActor(a): ApiActor,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<RedrawBody>,
) -> Result<(StatusCode, Json<DrawDto>), ApiError> {
    let d = draws::redraw(&st.svc, &a, params::id(&id)?, &b.reason, &b.witness.spec()).await?;
    Ok((StatusCode::CREATED, Json(d.into())))
}

/// A supervisor's own contribution, or a beacon's published value.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ValueBody {
    /// Contribution: 32–128 hex digits (16–64 bytes). Beacon: the value as published.
    pub value: String,
}

/// The invited supervisor enters its own contribution, once, under its own login (role
/// `supervisor` only). Nobody else sees the value before the draw is executed.
#[utoipa::path(post, path = "/api/v1/draws/{id}/contribution", tag = "draws", request_body = ValueBody,
    responses((status = 200, body = DrawDto), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn contribute(
    State(st): State<AppState>,
    ApiActor(a): ApiActor,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<ValueBody>,
) -> Result<Json<DrawDto>, ApiError> {
    let d = draws::contribute(&st.svc, &a, params::id(&id)?, &b.value).await?;
    Ok(Json(d.into()))
}

/// Draw staff enter the named beacon's value, once, on or after its date.
#[utoipa::path(post, path = "/api/v1/draws/{id}/beacon", tag = "draws", request_body = ValueBody,
    responses((status = 200, body = DrawDto), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn beacon(
    State(st): State<AppState>,
    ApiActor(a): ApiActor,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<ValueBody>,
) -> Result<Json<DrawDto>, ApiError> {
    let d = draws::enter_beacon(&st.svc, &a, params::id(&id)?, &b.value).await?;
    Ok(Json(d.into()))
}

/// 待见证的抽取: the draws awaiting the signed-in supervisor's contribution.
#[utoipa::path(get, path = "/api/v1/draws/awaiting-witness", tag = "draws",
    responses((status = 200, body = Vec<DrawDto>), (status = 403, body = ErrorBody)))]
pub async fn awaiting(
    State(st): State<AppState>,
    ApiActor(a): ApiActor,
) -> Result<Json<Vec<DrawDto>>, ApiError> {
    let v = draws::awaiting(&st.svc, &a).await?;
    Ok(Json(v.into_iter().map(DrawDto::from).collect()))
}

fn json_response(json: String) -> Response {
    ([(header::CONTENT_TYPE, "application/json")], json).into_response()
}

/// The full record (credit classes, risk weights, inspectors' names and certificates, the salt
/// key) for staff and supervisors in scope; not for inspectors. The failure with its input if
/// the draw failed; 409 before the draw.
#[utoipa::path(get, path = "/api/v1/draws/{id}/record", tag = "draws",
    responses((status = 200, body = DrawRecordDto), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn full_record(
    State(st): State<AppState>,
    ApiActor(a): ApiActor,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let (_, json) = draws::full_record(&st.svc, &a, params::id(&id)?).await?;
    Ok(json_response(json))
}

/// The opening of one entity's class commitment (format `lianjian-draw/3-opening`), for staff
/// to hand to the entity: `lianjian draw verify PUBLIC.json --opening OPENING.json` checks its
/// class and whether it was rightly drawn.
#[utoipa::path(get, path = "/api/v1/draws/{id}/openings/{usci}", tag = "draws",
    responses((status = 200, body = DrawRecordDto), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn opening(
    State(st): State<AppState>,
    ApiActor(a): ApiActor,
    Path((id, usci)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    let json = draws::opening(&st.svc, &a, params::id(&id)?, &usci).await?;
    Ok(json_response(json))
}

/// Every draw, for the public (no sign-in): commitments, states, re-draws and their reasons.
#[utoipa::path(get, path = "/api/v1/public/draws", tag = "draws", security(()), params(DrawFilter, params::Pages),
    responses((status = 200, body = PageOf<DrawDto>), (status = 422, body = ErrorBody)))]
pub async fn public_list(
    State(st): State<AppState>,
    ApiQuery(f): ApiQuery<DrawFilter>,
    ApiQuery(p): ApiQuery<params::Pages>,
) -> Result<Json<PageOf<DrawDto>>, ApiError> {
    let page = draws::public_list(&st.svc, &f.query()?, p.request()?).await?;
    Ok(Json(PageOf::from(page, DrawDto::from)))
}

/// What the public may see of one draw. Once every visit of a `lianjian-draw/3` draw is public
/// (its result published, or the period over plus the office's delay): the public record
/// variant (format `lianjian-draw/3-public`: inspectors as pseudonyms, classes as salted
/// commitments), exactly what `lianjian draw verify` checks. Before that, and always for legacy
/// `/1` and `/2` draws (whose records carry classes and inspectors): a summary with the
/// commitment, the witnesses, counts per class, the period and the visits already public
/// (entity, items, departments; never inspectors). See `docs/double-random.md`.
#[utoipa::path(get, path = "/api/v1/public/draws/{id}", tag = "draws", security(()),
    responses((status = 200, body = DrawRecordDto), (status = 404, body = ErrorBody)))]
pub async fn public_get(
    State(st): State<AppState>,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let (_, json) = draws::public_record(&st.svc, params::id(&id)?).await?;
    Ok(json_response(json))
}

/// Which candidate to generate an access code for; none: every candidate of the draw.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AccessCodesBody {
    #[serde(default)]
    pub usci: Option<String>,
}

/// Generates access codes for the portal's 抽查结果自查 (staff who draw, in scope): for one
/// candidate or every candidate of the draw. Each code is shown here once and stored only as a
/// hash; a new code replaces the candidate's earlier one.
#[utoipa::path(post, path = "/api/v1/draws/{id}/access-codes", tag = "draws", request_body = AccessCodesBody,
    responses((status = 201, body = IssuedCodesDto), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn access_codes(
    State(st): State<AppState>,
    ApiActor(a): ApiActor,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<AccessCodesBody>,
) -> Result<impl IntoResponse, ApiError> {
    let codes = draws::issue_codes(&st.svc, &a, params::id(&id)?, b.usci.as_deref()).await?;
    // The codes are shown once: no cache, and no replay of this answer (`crate::submissions`).
    Ok((
        StatusCode::CREATED,
        [(header::CACHE_CONTROL, "private, no-store")],
        Json(IssuedCodesDto { codes }),
    ))
}

/// An entity's credit code and the access code it was given.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SelfCheckBody {
    pub usci: String,
    pub code: String,
}

/// The self-check refusals in the portal's words (the throttle is not a sign-in's).
pub fn self_check_error(e: lianjian_services::ServiceError) -> ApiError {
    match e {
        lianjian_services::ServiceError::Throttled { retry_after_secs } => {
            let mins = retry_after_secs.div_ceil(60);
            let mut a = ApiError::new(
                StatusCode::TOO_MANY_REQUESTS,
                "throttled",
                format!("查询码输入错误次数过多，请 {mins} 分钟后再试"),
                format!("too many wrong access codes; try again in {mins} min"),
            );
            a.retry_after = Some(retry_after_secs);
            a
        }
        e => e.into(),
    }
}

/// 抽查结果自查 (no sign-in): with its credit code and its access code an entity receives the
/// opening of its own class commitment (format `lianjian-draw/3-opening`), to check with
/// `lianjian draw verify PUBLIC.json --opening OPENING.json` once the public record is out.
/// A wrong code, no code and no such candidate get the same 403; repeated failures 429.
#[utoipa::path(post, path = "/api/v1/public/draws/{id}/self-check", tag = "draws", security(()), request_body = SelfCheckBody,
    responses((status = 200, body = DrawRecordDto), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody), (status = 429, body = ErrorBody)))]
pub async fn self_check(
    State(st): State<AppState>,
    crate::extract::ClientIp(ip): crate::extract::ClientIp,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<SelfCheckBody>,
) -> Result<Response, ApiError> {
    let s = draws::self_check(&st.svc, params::id(&id)?, &b.usci, &b.code, ip)
        .await
        .map_err(self_check_error)?;
    Ok(json_response(s.opening_json))
}
