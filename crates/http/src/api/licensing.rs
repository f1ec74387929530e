//! 审管衔接 (issue 17 item 2): `/api/v1/licences` — the approval bureau pushes approval results
//! (idempotent by licence number and event), staff list and read hand-overs with their claiming
//! clock and timeline, and supervising departments feed results back; `/api/v1/licence-feedback`
//! is what the bureau's system reads and acknowledges. A hand-over is claimed, rejected or
//! assigned through `/api/v1/claims` (it is a 双告知 claim of source `licence`).

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use chrono::{DateTime, NaiveDate, Utc};
use lianjian_domain::claim::{ClaimSource, ClaimStatus};
use lianjian_domain::licensing::{FeedbackKind, HandoverStatus, LicenceEvent, LicenceInput};
use lianjian_services::cases::ClockView;
use lianjian_services::licensing::{
    self, CaseStepView, Feedback, FeedbackInput, HandoverQuery, HandoverView, PushOutcome,
};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::dto::PageOf;
use super::params::{self, Pages, text};
use crate::error::ErrorBody;
use crate::extract::{ApiActor, ApiJson, ApiQuery};
use crate::{ApiError, AppState};

#[derive(Debug, Serialize, ToSchema)]
pub struct PushDto {
    pub id: Uuid,
    /// `created`, `updated` (content corrected) or `unchanged` (a repeated push).
    pub outcome: String,
    pub status: HandoverStatus,
    /// The supervising department offered it (none: with the coordination office).
    pub department_id: Option<Uuid>,
}

fn push_dto(o: PushOutcome) -> PushDto {
    PushDto {
        id: o.id,
        outcome: o.outcome.into(),
        status: o.status,
        department_id: o.department_id,
    }
}

/// The approval bureau hands an approval result over (licence granted, changed or revoked).
/// The licensee must be in the directory and the item on the list; every bad field is named
/// (422). Pushing the same licence number and event again updates it or changes nothing (200);
/// a new one is offered to the supervising department with a claiming deadline (201).
#[utoipa::path(post, path = "/api/v1/licences", tag = "licensing", request_body = LicenceInput,
    responses((status = 201, body = PushDto), (status = 200, body = PushDto), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn push(
    State(st): State<AppState>,
    ApiActor(a): ApiActor,
    ApiJson(b): ApiJson<LicenceInput>,
) -> Result<(StatusCode, Json<PushDto>), ApiError> {
    let o = licensing::push(&st.svc, &a, &b).await?;
    let code = if o.outcome == "created" {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((code, Json(push_dto(o))))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct HandoverDto {
    pub id: Uuid,
    pub licence_no: String,
    pub event: LicenceEvent,
    pub event_label: String,
    pub entity_id: Uuid,
    pub entity_name: String,
    pub usci: String,
    pub item_id: Uuid,
    pub item_name: String,
    pub licence_name: String,
    pub decided_on: NaiveDate,
    pub bureau: String,
    /// `api` or `xlsx`.
    pub channel: String,
    pub region_code: String,
    pub status: HandoverStatus,
    pub status_label: String,
    pub department_id: Option<Uuid>,
    pub department_name: Option<String>,
    /// The claiming clock (认领).
    pub clocks: Vec<ClockView>,
    pub created_at: DateTime<Utc>,
}

fn handover_dto(v: HandoverView) -> HandoverDto {
    let h = v.handover;
    HandoverDto {
        id: h.id,
        licence_no: h.licence_no,
        event: h.event,
        event_label: h.event.label_zh().into(),
        entity_id: h.entity_id,
        entity_name: v.entity_name,
        usci: h.usci,
        item_id: h.item_id,
        item_name: v.item_name,
        licence_name: h.licence_name,
        decided_on: h.decided_on,
        bureau: h.bureau,
        channel: h.channel,
        region_code: h.region_code.to_string(),
        status: h.status,
        status_label: h.status.label_zh().into(),
        department_id: h.department_id,
        department_name: v.department_name,
        clocks: v.clocks,
        created_at: h.created_at,
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct HandoverParams {
    /// `pending` 待认领, `claimed` 已认领, `escalated` 待协调办指定, `assigned` 已指定.
    pub status: Option<String>,
    /// Offered to or claimed by this department.
    pub department_id: Option<String>,
    /// Licence number or credit code (prefix).
    pub q: Option<String>,
}

pub(crate) fn query_of(
    status: Option<&str>,
    department: Option<&str>,
    q: Option<&str>,
) -> Result<HandoverQuery, ApiError> {
    let status = match status.map(str::trim).filter(|s| !s.is_empty()) {
        None => None,
        Some(s) => Some(
            HandoverStatus::parse(s)
                .map_err(|e| ApiError::from(lianjian_services::ServiceError::field("status", e)))?,
        ),
    };
    let department_id = match department.map(str::trim).filter(|s| !s.is_empty()) {
        None => None,
        Some(s) => Some(s.parse::<Uuid>().map_err(|_| {
            ApiError::from(lianjian_services::ServiceError::field(
                "department_id",
                lianjian_domain::Invalid::new(
                    "uuid",
                    format!("“{s}”不是有效的部门编号"),
                    format!("department_id '{s}' is not an id"),
                ),
            ))
        })?),
    };
    Ok(HandoverQuery {
        status,
        department_id,
        q: q.map(str::to_string),
        unassigned: false,
    })
}

/// Hand-overs in the caller's scope, newest first, with their claiming clocks.
#[utoipa::path(get, path = "/api/v1/licences", tag = "licensing", params(HandoverParams, params::Pages),
    responses((status = 200, body = PageOf<HandoverDto>), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn list(
    State(st): State<AppState>,
    ApiActor(a): ApiActor,
    ApiQuery(f): ApiQuery<HandoverParams>,
    ApiQuery(p): ApiQuery<Pages>,
) -> Result<Json<PageOf<HandoverDto>>, ApiError> {
    let q = query_of(
        text(&f.status).as_deref(),
        text(&f.department_id).as_deref(),
        text(&f.q).as_deref(),
    )?;
    let page = licensing::list(&st.svc, &a, &q, p.request()?).await?;
    Ok(Json(PageOf::from(page, handover_dto)))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct HandoverClaimDto {
    pub id: Uuid,
    pub source: ClaimSource,
    pub status: ClaimStatus,
    pub status_label: String,
    pub department_id: Option<Uuid>,
    pub department_name: Option<String>,
    pub matched_by: String,
    pub reason: Option<String>,
    pub created_at: DateTime<Utc>,
    pub decided_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct FeedbackDto {
    pub id: Uuid,
    pub licence_event_id: Uuid,
    pub licence_no: String,
    pub kind: FeedbackKind,
    pub kind_label: String,
    pub content: String,
    pub visit_id: Option<Uuid>,
    pub department_id: Uuid,
    pub region_code: String,
    pub created_at: DateTime<Utc>,
    /// When the bureau acknowledged it (none: unread).
    pub read_at: Option<DateTime<Utc>>,
}

pub(crate) fn feedback_dto(f: Feedback) -> FeedbackDto {
    FeedbackDto {
        id: f.id,
        licence_event_id: f.licence_event_id,
        licence_no: f.licence_no,
        kind: f.kind,
        kind_label: f.kind.label_zh().into(),
        content: f.content,
        visit_id: f.visit_id,
        department_id: f.department_id,
        region_code: f.region_code.to_string(),
        created_at: f.created_at,
        read_at: f.read_at,
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct HandoverDetailDto {
    pub handover: HandoverDto,
    /// Who was offered it and what each answered, oldest first.
    pub claims: Vec<HandoverClaimDto>,
    pub timeline: Vec<CaseStepView>,
    pub feedback: Vec<FeedbackDto>,
    /// The claim the caller may decide now (accept/reject or assign via `/api/v1/claims`).
    pub actionable_claim: Option<Uuid>,
}

/// A hand-over: its claims, timeline (who, when, what, why) and feedback.
#[utoipa::path(get, path = "/api/v1/licences/{id}", tag = "licensing",
    responses((status = 200, body = HandoverDetailDto), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn get(
    State(st): State<AppState>,
    ApiActor(a): ApiActor,
    Path(id): Path<String>,
) -> Result<Json<HandoverDetailDto>, ApiError> {
    let d = licensing::get(&st.svc, &a, params::id(&id)?).await?;
    Ok(Json(HandoverDetailDto {
        handover: handover_dto(d.view),
        claims: d
            .claims
            .into_iter()
            .map(|(c, n)| HandoverClaimDto {
                id: c.id,
                source: c.source,
                status: c.status,
                status_label: c.status.label_zh().into(),
                department_id: c.department_id,
                department_name: n,
                matched_by: c.matched_by,
                reason: c.reason,
                created_at: c.created_at,
                decided_at: c.decided_at,
            })
            .collect(),
        timeline: d.timeline,
        feedback: d.feedback.into_iter().map(feedback_dto).collect(),
        actionable_claim: d.actionable_claim,
    }))
}

/// The supervising department (or the office) feeds a supervision result on the licence back
/// to the approval bureau: `revocation` 吊销许可建议, `suspension`, `change` or `notice`, with
/// what was found, optionally naming the visit.
#[utoipa::path(post, path = "/api/v1/licences/{id}/feedback", tag = "licensing", request_body = FeedbackInput,
    responses((status = 201, body = FeedbackDto), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn feed_back(
    State(st): State<AppState>,
    ApiActor(a): ApiActor,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<FeedbackInput>,
) -> Result<(StatusCode, Json<FeedbackDto>), ApiError> {
    let f = licensing::feed_back(&st.svc, &a, params::id(&id)?, &b).await?;
    Ok((StatusCode::CREATED, Json(feedback_dto(f))))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct FeedbackParams {
    /// `true`: only what the bureau has not acknowledged yet.
    pub unread: Option<bool>,
}

/// Feedback to the approval bureau in the caller's scope, newest first (the bureau's system
/// polls `unread=true`).
#[utoipa::path(get, path = "/api/v1/licence-feedback", tag = "licensing", params(FeedbackParams, params::Pages),
    responses((status = 200, body = PageOf<FeedbackDto>), (status = 403, body = ErrorBody)))]
pub async fn feedback_list(
    State(st): State<AppState>,
    ApiActor(a): ApiActor,
    ApiQuery(f): ApiQuery<FeedbackParams>,
    ApiQuery(p): ApiQuery<Pages>,
) -> Result<Json<PageOf<FeedbackDto>>, ApiError> {
    let page =
        licensing::feedback_list(&st.svc, &a, f.unread.unwrap_or(false), p.request()?).await?;
    Ok(Json(PageOf::from(page, feedback_dto)))
}

/// The bureau's system acknowledges a feedback record (the first acknowledgement is kept).
#[utoipa::path(post, path = "/api/v1/licence-feedback/{id}/read", tag = "licensing",
    responses((status = 200, body = FeedbackDto), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn acknowledge(
    State(st): State<AppState>,
    ApiActor(a): ApiActor,
    Path(id): Path<String>,
) -> Result<Json<FeedbackDto>, ApiError> {
    Ok(Json(feedback_dto(
        licensing::acknowledge(&st.svc, &a, params::id(&id)?).await?,
    )))
}
