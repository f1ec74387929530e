//! `/api/v1/visits`: carrying out visits (检查实施) — the merged checklist, answers saved as the
//! inspectors go, photos and documents, both inspectors' confirmation, each department's review,
//! publication — and their follow-up: rectification orders (责令整改), referrals (抄告) and case
//! transfers (移送). `/api/v1/results` lists results for staff (with publication deadlines);
//! `/api/v1/public/results` publishes them (一公开: no inspectors, no notes, no personal data).

use axum::Json;
use axum::extract::{Multipart, Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use chrono::NaiveDate;
use lianjian_domain::region::RegionCode;
use lianjian_domain::visit::{
    Position, RectificationStatus, ReferralStatus, ResultCode, TransferStatus, VisitStatus,
};
use lianjian_services::follow_ups::FollowUpQuery;
use lianjian_services::follow_ups::{self, OrderSpec, ReferralSpec, TransferSpec};
use lianjian_services::follow_ups::{
    CaseTransfer, OrderEntry, Rectification, Referral, ReferralEntry,
};
use lianjian_services::visits::{self, AdHocSpec, AttachmentInput, Draft};
use lianjian_services::visits::{
    Attachment, Confirmed, ResultEntry, Saved, VisitDetail, VisitListEntry,
};
use lianjian_services::visits::{ResultQuery, VisitQuery};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::dto::PageOf;
use super::params::{self, Pages, Params, field_err, split, text, text_or_empty};
use crate::error::ErrorBody;
use crate::extract::{ApiActor, ApiJson, ApiQuery};
use crate::{ApiError, AppState};

fn page<T: utoipa::ToSchema>(p: lianjian_services::Page<T>) -> Json<PageOf<T>> {
    Json(PageOf::from(p, |x| x))
}

fn region(v: &Option<String>) -> Result<Option<RegionCode>, ApiError> {
    match text_or_empty(v).as_str() {
        "" => Ok(None),
        r => Ok(Some(
            RegionCode::parse(r).map_err(|e| field_err("region", e))?,
        )),
    }
}

fn date(v: &Option<String>, key: &str) -> Result<Option<NaiveDate>, ApiError> {
    match text_or_empty(v).as_str() {
        "" => Ok(None),
        s => NaiveDate::parse_from_str(s, "%Y-%m-%d")
            .map(Some)
            .map_err(|_| {
                field_err(
                    key,
                    lianjian_domain::Invalid::new(
                        "date",
                        format!("日期“{s}”不正确，应为 2026-12-01 这样的格式"),
                        format!("date '{s}' is not YYYY-MM-DD"),
                    ),
                )
            }),
    }
}

/// Filters of visit lists.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct VisitFilter {
    /// Visit code, entity name or credit code fragment.
    pub q: Option<String>,
    /// Region subtree.
    pub region: Option<String>,
    /// scheduled | in_progress | submitted | reviewed | published | closed (repeatable).
    pub status: Option<Vec<String>>,
    /// Visits of one draw.
    pub draw: Option<Uuid>,
    /// `1`: completed visits past their publication deadline, not yet published.
    pub late: Option<String>,
}

/// The visit filters of a console query string (the API reads [`VisitFilter`] itself).
pub(crate) fn visit_query(p: &Params) -> Result<VisitQuery, ApiError> {
    p.typed::<VisitFilter>()?.query()
}

impl VisitFilter {
    fn query(&self) -> Result<VisitQuery, ApiError> {
        let mut status = Vec::new();
        for s in split(self.status.as_deref().unwrap_or_default()) {
            status.push(VisitStatus::parse(&s).map_err(|e| field_err("status", e))?);
        }
        Ok(VisitQuery {
            region: region(&self.region)?,
            status,
            draw_id: self.draw,
            q: text(&self.q),
            late_on: (text_or_empty(&self.late) == "1")
                .then(|| lianjian_domain::visit::beijing_date(chrono::Utc::now())),
            ..Default::default()
        })
    }
}

#[utoipa::path(get, path = "/api/v1/visits", tag = "visits", params(VisitFilter, Pages),
    responses((status = 200, body = PageOf<VisitListEntry>), (status = 422, body = ErrorBody)))]
pub async fn list(
    State(st): State<AppState>,
    ApiActor(a): ApiActor,
    ApiQuery(f): ApiQuery<VisitFilter>,
    ApiQuery(p): ApiQuery<Pages>,
) -> Result<Json<PageOf<VisitListEntry>>, ApiError> {
    Ok(page(
        visits::list(&st.svc, &a, &f.query()?, p.request()?).await?,
    ))
}

/// An ad-hoc visit (not from a draw): after a complaint, a warning, a referral …
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AdHocBody {
    pub usci: String,
    pub item_ids: Vec<Uuid>,
    /// complaint | warning | referral | assigned | follow_up | routine
    pub trigger: String,
    pub trigger_note: String,
    /// At least two active officers of the pool.
    pub inspector_ids: Vec<Uuid>,
    /// YYYY-MM-DD
    pub period_start: String,
    /// YYYY-MM-DD
    pub period_end: String,
}

#[utoipa::path(post, path = "/api/v1/visits", tag = "visits", request_body = AdHocBody,
    responses((status = 201, body = VisitDetail), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create(
    State(st): State<AppState>,
    ApiActor(a): ApiActor,
    ApiJson(b): ApiJson<AdHocBody>,
) -> Result<(StatusCode, Json<VisitDetail>), ApiError> {
    let spec = AdHocSpec {
        usci: b.usci,
        item_ids: b.item_ids,
        trigger: b.trigger,
        trigger_note: b.trigger_note,
        inspector_ids: b.inspector_ids,
        period_start: b.period_start,
        period_end: b.period_end,
    };
    Ok((
        StatusCode::CREATED,
        Json(visits::create_ad_hoc(&st.svc, &a, &spec).await?),
    ))
}

/// A visit: its merged checklist with answers and attachments, each item's result and review,
/// the team and their confirmations, and its follow-ups.
#[utoipa::path(get, path = "/api/v1/visits/{id}", tag = "visits",
    responses((status = 200, body = VisitDetail), (status = 404, body = ErrorBody)))]
pub async fn get(
    State(st): State<AppState>,
    ApiActor(a): ApiActor,
    Path(id): Path<String>,
) -> Result<Json<VisitDetail>, ApiError> {
    Ok(Json(visits::get(&st.svc, &a, params::id(&id)?).await?))
}

/// The browser's position (WGS-84), optional.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PositionBody {
    pub lat: f64,
    pub lng: f64,
    #[serde(default)]
    pub accuracy: Option<f64>,
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StartBody {
    #[serde(default)]
    pub position: Option<PositionBody>,
}

fn position(p: Option<PositionBody>) -> Result<Option<Position>, ApiError> {
    p.map(|p| Position::new(p.lat, p.lng, p.accuracy).map_err(|e| field_err("position", e)))
        .transpose()
}

/// Starts the visit on site (freezes the merged checklist). Team members only.
#[utoipa::path(post, path = "/api/v1/visits/{id}/start", tag = "visits", request_body = StartBody,
    responses((status = 200, body = VisitDetail), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn start(
    State(st): State<AppState>,
    ApiActor(a): ApiActor,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<StartBody>,
) -> Result<Json<VisitDetail>, ApiError> {
    Ok(Json(
        visits::start(&st.svc, &a, params::id(&id)?, position(b.position)?).await?,
    ))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AnswerBody {
    /// The check point's number in the merged checklist.
    pub seq: i32,
    /// pass | fail | not_applicable (or 符合 / 不符合 / 不适用); empty: not answered.
    #[serde(default)]
    pub answer: String,
    #[serde(default)]
    pub note: String,
    /// The answer as the sender last saw it on the server (answer empty: unanswered). If the
    /// server holds something else by now, this answer is not written but listed in
    /// `conflicts` of the response. Without it the answer is written as sent.
    #[serde(default)]
    pub base: Option<AnswerBaseBody>,
}

/// A check point's answer as the sender last saw it on the server.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AnswerBaseBody {
    #[serde(default)]
    pub answer: String,
    #[serde(default)]
    pub note: String,
}

/// An item's result as the sender last saw it on the server.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ResultBaseBody {
    #[serde(default)]
    pub result_code: String,
    #[serde(default)]
    pub follow_up: String,
    #[serde(default)]
    pub summary: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ResultBody {
    pub plan_id: Uuid,
    /// A national result code (e.g. no_problem, corrected) or its Chinese label.
    #[serde(default)]
    pub result_code: String,
    /// none | rectify | handover | case_transfer | notify, or the Chinese label.
    #[serde(default)]
    pub follow_up: String,
    #[serde(default)]
    pub summary: String,
    /// The result as the sender last saw it; see `base` of an answer.
    #[serde(default)]
    pub base: Option<ResultBaseBody>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DraftBody {
    #[serde(default)]
    pub answers: Vec<AnswerBody>,
    #[serde(default)]
    pub results: Vec<ResultBody>,
}

/// Saves what has been entered so far (answers, results). Sending the same body again changes
/// nothing (`changed` = 0). A change withdraws the confirmations given so far (`withdrawn`
/// names the officers who must confirm again). Entries sent with a `base` that no longer
/// matches the server are not written; each is described in `conflicts` (the server's value,
/// who recorded it and when) for the sender to resolve: send again with the server's value as
/// the new base to keep its own, or drop it.
#[utoipa::path(put, path = "/api/v1/visits/{id}/draft", tag = "visits", request_body = DraftBody,
    responses((status = 200, body = Saved), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn save(
    State(st): State<AppState>,
    ApiActor(a): ApiActor,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<DraftBody>,
) -> Result<Json<Saved>, ApiError> {
    let draft = Draft {
        answers: b
            .answers
            .into_iter()
            .map(|x| visits::AnswerInput {
                seq: x.seq,
                answer: x.answer,
                note: x.note,
                base: x.base.map(|b| visits::AnswerBase {
                    answer: b.answer,
                    note: b.note,
                }),
            })
            .collect(),
        results: b
            .results
            .into_iter()
            .map(|x| visits::ResultInput {
                plan_id: x.plan_id,
                result_code: x.result_code,
                follow_up: x.follow_up,
                summary: x.summary,
                base: x.base.map(|b| visits::ResultBase {
                    result_code: b.result_code,
                    follow_up: b.follow_up,
                    summary: b.summary,
                }),
            })
            .collect(),
    };
    Ok(Json(
        visits::save(&st.svc, &a, params::id(&id)?, &draft).await?,
    ))
}

/// The inspector's confirmation (签字确认). When every officer on the team has confirmed, the
/// results go to the departments for review. Unanswered check points are named (422); a second
/// confirmation by the same inspector changes nothing.
#[utoipa::path(post, path = "/api/v1/visits/{id}/confirm", tag = "visits", request_body = StartBody,
    responses((status = 200, body = Confirmed), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn confirm(
    State(st): State<AppState>,
    ApiActor(a): ApiActor,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<StartBody>,
) -> Result<Json<Confirmed>, ApiError> {
    Ok(Json(
        visits::confirm(&st.svc, &a, params::id(&id)?, position(b.position)?).await?,
    ))
}

/// The multipart form of an attachment.
#[derive(Debug, ToSchema)]
#[allow(dead_code)] // documents the form, which is read field by field
pub struct AttachmentForm {
    /// The photo or document (JPEG, PNG, WebP, HEIC/HEIF or PDF; at most the evidence limit).
    #[schema(value_type = String, format = Binary)]
    pub file: Vec<u8>,
    /// The check point's number in the merged checklist, if the file belongs to one.
    pub seq: Option<i32>,
    /// Where it was taken (WGS-84), optional.
    pub lat: Option<f64>,
    pub lng: Option<f64>,
    /// Metres.
    pub accuracy: Option<f64>,
}

/// Reads a multipart attachment form: `file`, optional `seq`, `lat`, `lng`, `accuracy`.
pub(crate) async fn attachment_form(mut form: Multipart) -> Result<AttachmentInput, ApiError> {
    let mut input = AttachmentInput::default();
    let (mut lat, mut lng, mut acc) = (None::<f64>, None::<f64>, None::<f64>);
    let mut have_file = false;
    let number = |field: &str, s: &str| -> Result<f64, ApiError> {
        s.trim().parse::<f64>().map_err(|_| {
            ApiError::bad_request(
                field,
                "not_a_number",
                format!("{field}“{s}”应为数字"),
                format!("{field} '{s}' must be a number"),
            )
        })
    };
    loop {
        let field = match form.next_field().await {
            Ok(Some(f)) => f,
            Ok(None) => break,
            Err(e) => return Err(super::evidence::multipart_error(&e)),
        };
        let name = field.name().unwrap_or_default().to_string();
        match name.as_str() {
            "file" => {
                input.upload.filename = field.file_name().unwrap_or("upload").to_string();
                input.upload.media_type = field.content_type().map(str::to_string);
                input.upload.bytes = field
                    .bytes()
                    .await
                    .map_err(|e| super::evidence::multipart_error(&e))?
                    .to_vec();
                have_file = true;
            }
            "seq" | "lat" | "lng" | "accuracy" => {
                let t = field.text().await.unwrap_or_default();
                if t.trim().is_empty() {
                    continue;
                }
                match name.as_str() {
                    "seq" => {
                        input.seq = Some(t.trim().parse::<i32>().map_err(|_| {
                            ApiError::bad_request(
                                "seq",
                                "not_a_number",
                                format!("检查要点序号“{t}”应为整数"),
                                format!("seq '{t}' must be a whole number"),
                            )
                        })?)
                    }
                    "lat" => lat = Some(number("lat", &t)?),
                    "lng" => lng = Some(number("lng", &t)?),
                    _ => acc = Some(number("accuracy", &t)?),
                }
            }
            _ => {}
        }
    }
    if !have_file || input.upload.bytes.is_empty() {
        return Err(ApiError::bad_request(
            "file",
            "required",
            "请选择要上传的照片或文件",
            "choose a photo or file to upload",
        ));
    }
    if let (Some(lat), Some(lng)) = (lat, lng) {
        input.position = Some(Position::new(lat, lng, acc).map_err(|e| field_err("position", e))?);
    }
    Ok(input)
}

/// A photo or document for the visit (optionally for one check point), stored once
/// (content-addressed) and appended to the evidence log (证据互认). Multipart: `file`, optional
/// `seq`, `lat`, `lng`, `accuracy`.
#[utoipa::path(post, path = "/api/v1/visits/{id}/attachments", tag = "visits",
    request_body(content = AttachmentForm, content_type = "multipart/form-data"),
    responses((status = 201, body = Attachment), (status = 403, body = ErrorBody), (status = 413, body = ErrorBody), (status = 415, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn attach(
    State(st): State<AppState>,
    ApiActor(a): ApiActor,
    Path(id): Path<String>,
    form: Multipart,
) -> Result<(StatusCode, Json<Attachment>), ApiError> {
    let id = params::id(&id)?;
    let input = attachment_form(form).await?;
    // Refused files answer as on the evidence upload: 413 too large, 415 forbidden type.
    let att = visits::attach(&st.svc, &a, id, input)
        .await
        .map_err(super::evidence::upload_error)?;
    Ok((StatusCode::CREATED, Json(att)))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReviewBody {
    pub plan_id: Uuid,
    /// true: approve (通过); false: return (退回) with a reason.
    pub approve: bool,
    #[serde(default)]
    pub note: String,
}

/// A department approves or returns its own part of the results.
#[utoipa::path(post, path = "/api/v1/visits/{id}/review", tag = "visits", request_body = ReviewBody,
    responses((status = 200, body = VisitDetail), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn review(
    State(st): State<AppState>,
    ApiActor(a): ApiActor,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<ReviewBody>,
) -> Result<Json<VisitDetail>, ApiError> {
    Ok(Json(
        visits::review(&st.svc, &a, params::id(&id)?, b.plan_id, b.approve, &b.note).await?,
    ))
}

/// Publishes the approved results (lead department). Leaves a credit record per item and an
/// entry on the entity's timeline.
#[utoipa::path(post, path = "/api/v1/visits/{id}/publish", tag = "visits",
    responses((status = 200, body = VisitDetail), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn publish(
    State(st): State<AppState>,
    ApiActor(a): ApiActor,
    Path(id): Path<String>,
) -> Result<Json<VisitDetail>, ApiError> {
    Ok(Json(visits::publish(&st.svc, &a, params::id(&id)?).await?))
}

/// Closes the follow-up once orders are re-checked and referrals answered.
#[utoipa::path(post, path = "/api/v1/visits/{id}/close", tag = "visits",
    responses((status = 200, body = VisitDetail), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn close(
    State(st): State<AppState>,
    ApiActor(a): ApiActor,
    Path(id): Path<String>,
) -> Result<Json<VisitDetail>, ApiError> {
    Ok(Json(visits::close(&st.svc, &a, params::id(&id)?).await?))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MergeBody {
    /// The random (double-random) visit to the same entity, in an overlapping period, that
    /// takes over this ad-hoc visit (`VisitDetail::overlaps` lists the candidates).
    pub into: Uuid,
}

/// Folds this ad-hoc visit (a complaint, a warning …) into the random visit `into` to the same
/// entity (国办发〔2023〕1号 (九), “进一次门、查多项事”): its items join the random visit's
/// checklist, its matter the 检查缘由, its inspectors the team; it is cancelled with a link.
/// Answers the random visit. 403: a role that may not merge, or someone who does not act for
/// both lead departments; 409: the pair may not (or no longer) be merged, e.g. this visit is
/// cancelled already or the random one has started; 422: `into` inspects another entity.
#[utoipa::path(post, path = "/api/v1/visits/{id}/merge", tag = "visits", request_body = MergeBody,
    params(("id" = Uuid, Path, description = "The ad-hoc visit")),
    responses((status = 200, body = VisitDetail), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn merge(
    State(st): State<AppState>,
    ApiActor(a): ApiActor,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<MergeBody>,
) -> Result<Json<VisitDetail>, ApiError> {
    Ok(Json(
        visits::merge_into_random(&st.svc, &a, params::id(&id)?, b.into).await?,
    ))
}

// ---- follow-ups ----
// ---- follow-ups ----

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OrderBody {
    pub plan_id: Uuid,
    pub requirements: String,
    /// The period in working days (1–180) …
    #[serde(default)]
    pub working_days: Option<i64>,
    /// … or a deadline date (YYYY-MM-DD, after today).
    #[serde(default)]
    pub deadline: Option<String>,
}

/// Issues a rectification order (责令整改通知书) for one item of the visit.
#[utoipa::path(post, path = "/api/v1/visits/{id}/rectifications", tag = "visits", request_body = OrderBody,
    responses((status = 201, body = Rectification), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn issue_order(
    State(st): State<AppState>,
    ApiActor(a): ApiActor,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<OrderBody>,
) -> Result<(StatusCode, Json<Rectification>), ApiError> {
    let spec = OrderSpec {
        plan_id: b.plan_id,
        requirements: b.requirements,
        working_days: b.working_days,
        deadline: b.deadline,
    };
    Ok((
        StatusCode::CREATED,
        Json(follow_ups::issue_order(&st.svc, &a, params::id(&id)?, &spec).await?),
    ))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct FollowUpFilter {
    pub region: Option<String>,
    pub status: Option<String>,
    /// `1`: open and past the deadline.
    pub overdue: Option<String>,
    /// For referrals: `incoming` (default) or `outgoing`.
    pub direction: Option<String>,
}

impl FollowUpFilter {
    /// The store query, the status parsed as the listed rows' own (an unknown one is 422).
    fn query<S>(
        &self,
        parse: fn(&str) -> Result<S, lianjian_domain::Invalid>,
    ) -> Result<FollowUpQuery<S>, ApiError> {
        Ok(FollowUpQuery {
            region: region(&self.region)?,
            status: text(&self.status)
                .map(|s| parse(&s).map_err(|e| field_err("status", e)))
                .transpose()?,
            overdue_on: (text_or_empty(&self.overdue) == "1")
                .then(|| lianjian_domain::visit::beijing_date(chrono::Utc::now())),
            ..Default::default()
        })
    }
}

#[utoipa::path(get, path = "/api/v1/rectifications", tag = "visits", params(FollowUpFilter, Pages),
    responses((status = 200, body = PageOf<OrderEntry>)))]
pub async fn orders(
    State(st): State<AppState>,
    ApiActor(a): ApiActor,
    ApiQuery(f): ApiQuery<FollowUpFilter>,
    ApiQuery(p): ApiQuery<Pages>,
) -> Result<Json<PageOf<OrderEntry>>, ApiError> {
    Ok(page(
        follow_ups::orders(
            &st.svc,
            &a,
            &f.query(RectificationStatus::parse)?,
            p.request()?,
        )
        .await?,
    ))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TextBody {
    pub text: String,
}

/// Records the entity's report that it has rectified.
#[utoipa::path(post, path = "/api/v1/rectifications/{id}/report", tag = "visits", request_body = TextBody,
    responses((status = 200, body = Rectification), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn report_rectified(
    State(st): State<AppState>,
    ApiActor(a): ApiActor,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<TextBody>,
) -> Result<Json<Rectification>, ApiError> {
    Ok(Json(
        follow_ups::report_rectified(&st.svc, &a, params::id(&id)?, &b.text).await?,
    ))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VerdictBody {
    /// Rectified / accepted (true) or not (false).
    pub passed: bool,
    pub text: String,
}

/// The re-check (复查) that closes an order.
#[utoipa::path(post, path = "/api/v1/rectifications/{id}/recheck", tag = "visits", request_body = VerdictBody,
    responses((status = 200, body = Rectification), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn recheck(
    State(st): State<AppState>,
    ApiActor(a): ApiActor,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<VerdictBody>,
) -> Result<Json<Rectification>, ApiError> {
    Ok(Json(
        follow_ups::recheck(&st.svc, &a, params::id(&id)?, b.passed, &b.text).await?,
    ))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReferralBody {
    #[serde(default)]
    pub from_department_id: Option<Uuid>,
    pub to_department_id: Uuid,
    pub matter: String,
    /// Feedback deadline in working days (default 10).
    #[serde(default)]
    pub working_days: Option<i64>,
}

/// Refers a finding to the department whose duty it is (抄告), with the visit's evidence.
#[utoipa::path(post, path = "/api/v1/visits/{id}/referrals", tag = "visits", request_body = ReferralBody,
    responses((status = 201, body = Referral), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn refer(
    State(st): State<AppState>,
    ApiActor(a): ApiActor,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<ReferralBody>,
) -> Result<(StatusCode, Json<Referral>), ApiError> {
    let spec = ReferralSpec {
        from_department_id: b.from_department_id,
        to_department_id: b.to_department_id,
        matter: b.matter,
        working_days: b.working_days,
    };
    Ok((
        StatusCode::CREATED,
        Json(follow_ups::refer(&st.svc, &a, params::id(&id)?, &spec).await?),
    ))
}

#[utoipa::path(get, path = "/api/v1/referrals", tag = "visits", params(FollowUpFilter, Pages),
    responses((status = 200, body = PageOf<ReferralEntry>)))]
pub async fn referrals(
    State(st): State<AppState>,
    ApiActor(a): ApiActor,
    ApiQuery(f): ApiQuery<FollowUpFilter>,
    ApiQuery(p): ApiQuery<Pages>,
) -> Result<Json<PageOf<ReferralEntry>>, ApiError> {
    let incoming = text_or_empty(&f.direction) != "outgoing";
    Ok(page(
        follow_ups::referrals(
            &st.svc,
            &a,
            &f.query(ReferralStatus::parse)?,
            incoming,
            p.request()?,
        )
        .await?,
    ))
}

/// The receiving department's feedback on a referral.
#[utoipa::path(post, path = "/api/v1/referrals/{id}/answer", tag = "visits", request_body = TextBody,
    responses((status = 200, body = Referral), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn answer_referral(
    State(st): State<AppState>,
    ApiActor(a): ApiActor,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<TextBody>,
) -> Result<Json<Referral>, ApiError> {
    Ok(Json(
        follow_ups::answer_referral(&st.svc, &a, params::id(&id)?, &b.text).await?,
    ))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TransferBody {
    #[serde(default)]
    pub department_id: Option<Uuid>,
    /// 公安机关 / 人民检察院 …
    pub agency: String,
    pub facts: String,
}

/// Records a case transfer (移送) of a suspected crime, with the visit's evidence.
#[utoipa::path(post, path = "/api/v1/visits/{id}/transfers", tag = "visits", request_body = TransferBody,
    responses((status = 201, body = CaseTransfer), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn transfer(
    State(st): State<AppState>,
    ApiActor(a): ApiActor,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<TransferBody>,
) -> Result<(StatusCode, Json<CaseTransfer>), ApiError> {
    let spec = TransferSpec {
        department_id: b.department_id,
        agency: b.agency,
        facts: b.facts,
    };
    Ok((
        StatusCode::CREATED,
        Json(follow_ups::transfer(&st.svc, &a, params::id(&id)?, &spec).await?),
    ))
}

#[utoipa::path(get, path = "/api/v1/transfers", tag = "visits", params(FollowUpFilter, Pages),
    responses((status = 200, body = PageOf<CaseTransfer>)))]
pub async fn transfers(
    State(st): State<AppState>,
    ApiActor(a): ApiActor,
    ApiQuery(f): ApiQuery<FollowUpFilter>,
    ApiQuery(p): ApiQuery<Pages>,
) -> Result<Json<PageOf<CaseTransfer>>, ApiError> {
    Ok(page(
        follow_ups::transfers(&st.svc, &a, &f.query(TransferStatus::parse)?, p.request()?).await?,
    ))
}

/// The handling agency's answer on a transfer.
#[derive(Debug, Deserialize, ToSchema)]
pub struct TransferFeedbackBody {
    /// Accepted (受理/立案, true) or declined (不予受理, false).
    pub passed: bool,
    /// The agency's reasons as its document states them.
    pub text: String,
    /// The day the agency decided, YYYY-MM-DD (default: today).
    #[serde(default)]
    pub decided_on: Option<String>,
    /// The decision document's number (立案决定书 / 不予立案通知书文号).
    #[serde(default)]
    pub document_no: Option<String>,
}

/// The handling agency's answer (受理 / 不予受理) with its reasons, date and document number,
/// as recorded by the department (行刑衔接).
#[utoipa::path(post, path = "/api/v1/transfers/{id}/feedback", tag = "visits", request_body = TransferFeedbackBody,
    responses((status = 200, body = CaseTransfer), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn transfer_feedback(
    State(st): State<AppState>,
    ApiActor(a): ApiActor,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<TransferFeedbackBody>,
) -> Result<Json<CaseTransfer>, ApiError> {
    let decision = follow_ups::TransferDecisionInput {
        decided_on: b.decided_on,
        document_no: b.document_no,
    };
    Ok(Json(
        follow_ups::transfer_feedback(&st.svc, &a, params::id(&id)?, b.passed, &b.text, &decision)
            .await?,
    ))
}

// ---- results ----

/// Filters of result lists.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ResultFilter {
    /// Entity name or credit code fragment.
    pub entity: Option<String>,
    pub item: Option<Uuid>,
    pub department: Option<Uuid>,
    /// Region subtree.
    pub region: Option<String>,
    /// Visit date from (YYYY-MM-DD).
    pub from: Option<String>,
    /// Visit date to (YYYY-MM-DD).
    pub to: Option<String>,
    /// A national result code.
    pub result: Option<String>,
    /// Staff lists: `1` for results past their publication deadline, not yet published.
    pub late: Option<String>,
}

/// The result filters of a console or portal query string (the API reads [`ResultFilter`]).
pub(crate) fn result_query(p: &Params) -> Result<ResultQuery, ApiError> {
    p.typed::<ResultFilter>()?.query()
}

impl ResultFilter {
    fn query(&self) -> Result<ResultQuery, ApiError> {
        let result_code = match text_or_empty(&self.result).as_str() {
            "" => None,
            s => Some(ResultCode::parse(s).map_err(|e| field_err("result", e))?),
        };
        Ok(ResultQuery {
            region: region(&self.region)?,
            department_id: self.department,
            item_id: self.item,
            entity: text(&self.entity),
            result_code,
            from: date(&self.from, "from")?,
            to: date(&self.to, "to")?,
            late_on: (text_or_empty(&self.late) == "1")
                .then(|| lianjian_domain::visit::beijing_date(chrono::Utc::now())),
            ..Default::default()
        })
    }
}

/// Results of completed visits in the caller's view, with each one's publication deadline
/// (20 working days after completion) and a `late` flag.
#[utoipa::path(get, path = "/api/v1/results", tag = "visits", params(ResultFilter, Pages),
    responses((status = 200, body = PageOf<ResultEntry>), (status = 422, body = ErrorBody)))]
pub async fn results(
    State(st): State<AppState>,
    ApiActor(a): ApiActor,
    ApiQuery(f): ApiQuery<ResultFilter>,
    ApiQuery(p): ApiQuery<Pages>,
) -> Result<Json<PageOf<ResultEntry>>, ApiError> {
    Ok(page(
        visits::results(&st.svc, &a, &f.query()?, p.request()?).await?,
    ))
}

/// The same list as an xlsx file (at most 100,000 rows).
#[utoipa::path(get, path = "/api/v1/results/export", tag = "visits", params(ResultFilter),
    responses((status = 200, description = "xlsx", content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"), (status = 422, body = ErrorBody)))]
pub async fn export(
    State(st): State<AppState>,
    ApiActor(a): ApiActor,
    ApiQuery(f): ApiQuery<ResultFilter>,
) -> Result<Response, ApiError> {
    let bytes = visits::export_results(&st.svc, &a, &f.query()?).await?;
    Ok(crate::console::exchange::xlsx(
        &format!("检查结果-{}.xlsx", params::today()),
        bytes,
    ))
}

/// A published result (一公开): entity, item, department, date and result code — never
/// inspectors, notes or personal data.
#[derive(Debug, Serialize, ToSchema)]
pub struct PublicResultDto {
    pub visit_code: String,
    /// 统一社会信用代码
    pub usci: String,
    pub entity_name: String,
    pub region_code: String,
    pub item_code: String,
    pub item_name: String,
    pub department: String,
    pub visited_on: Option<NaiveDate>,
    /// National result code, e.g. `no_problem`.
    pub result_code: Option<ResultCode>,
    /// Its Chinese label, e.g. 未发现问题.
    pub result: Option<String>,
    /// From a double-random draw (双随机) rather than an ad-hoc visit.
    pub random: bool,
    pub published_on: Option<NaiveDate>,
}

impl From<visits::PublicResult> for PublicResultDto {
    fn from(r: visits::PublicResult) -> Self {
        Self {
            visit_code: r.visit_code,
            usci: r.usci,
            entity_name: r.entity_name,
            region_code: r.region_code,
            item_code: r.item_code,
            item_name: r.item_name,
            department: r.department,
            visited_on: r.visited_on,
            result_code: r.result_code,
            result: r.result,
            random: r.random,
            published_on: r.published_on,
        }
    }
}

/// Published inspection results, for the public (no sign-in).
#[utoipa::path(get, path = "/api/v1/public/results", tag = "visits", security(()), params(ResultFilter, Pages),
    responses((status = 200, body = PageOf<PublicResultDto>), (status = 422, body = ErrorBody)))]
pub async fn public_results(
    State(st): State<AppState>,
    ApiQuery(f): ApiQuery<ResultFilter>,
    ApiQuery(p): ApiQuery<Pages>,
) -> Result<Json<PageOf<PublicResultDto>>, ApiError> {
    let page = visits::public_results(&st.svc, &f.query()?, p.request()?).await?;
    Ok(Json(PageOf::from(page, PublicResultDto::from)))
}
