//! `/api/v1/credit`: credit entries (信用记录, issue 15): penalties, the abnormal-operation and
//! serious-dishonesty listings and commendations per entity, pushed by other systems (upsert by
//! kind and reference) or exported in the import sheet's layout; an entity's credit timeline;
//! and the public credit information (`/api/v1/public/credit`), which never carries a class,
//! a score, a sanction or a repaired record.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use lianjian_services::credit::public::{self, PublicCredit, PublicEntity};
use lianjian_services::credit::{self, Entry, EntryFilter, EntryInput, TimelineItem};
use lianjian_services::exchange;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::dto::PageOf;
use super::params::{self, Pages, text_or_empty};
use crate::error::ErrorBody;
use crate::extract::{ApiActor, ApiJson, ApiQuery};
use crate::{ApiError, AppState};

/// An entry with the labels a screen shows.
#[derive(Debug, Serialize, ToSchema)]
pub struct EntryDto {
    #[serde(flatten)]
    pub entry: Entry,
    pub kind_label: String,
    pub tier_label: Option<String>,
    pub status_label: String,
    pub source_label: String,
}

impl From<Entry> for EntryDto {
    fn from(e: Entry) -> Self {
        Self {
            kind_label: e.kind.label_zh().into(),
            tier_label: e.tier.map(|t| t.label_zh().into()),
            status_label: e.status.label_zh().into(),
            source_label: e.source.label_zh().into(),
            entry: e,
        }
    }
}

/// Filters of the entry list.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct EntryParams {
    /// penalty | abnormal | dishonest | sanction | commendation
    pub kind: Option<String>,
    /// active | removed | repaired | withdrawn
    pub status: Option<String>,
    /// The deciding department.
    pub department_id: Option<String>,
    pub entity_id: Option<String>,
    /// A fragment of the reference (文号) or the title.
    pub q: Option<String>,
    /// Occurred on or after (YYYY-MM-DD).
    pub from: Option<String>,
    /// Occurred on or before (YYYY-MM-DD).
    pub to: Option<String>,
}

impl EntryParams {
    fn filter(&self) -> EntryFilter {
        EntryFilter {
            kind: text_or_empty(&self.kind),
            status: text_or_empty(&self.status),
            department_id: text_or_empty(&self.department_id),
            entity_id: text_or_empty(&self.entity_id),
            q: text_or_empty(&self.q),
            from: text_or_empty(&self.from),
            to: text_or_empty(&self.to),
        }
    }
}

/// Entries in the caller's region subtree (every line: credit supervision is joint), newest
/// first.
#[utoipa::path(get, path = "/api/v1/credit/entries", tag = "credit", params(EntryParams, Pages),
    responses((status = 200, body = PageOf<EntryDto>), (status = 422, body = ErrorBody)))]
pub async fn list(
    State(st): State<AppState>,
    ApiActor(a): ApiActor,
    ApiQuery(f): ApiQuery<EntryParams>,
    ApiQuery(p): ApiQuery<Pages>,
) -> Result<Json<PageOf<EntryDto>>, ApiError> {
    let q = f.filter().parse()?;
    let page = credit::list(&st.svc, &a, &q, p.request()?).await?;
    Ok(Json(PageOf::from(page, EntryDto::from)))
}

/// Records an entry, or updates the one with the same kind and reference (决定书文号): 201 when
/// new, 200 when updated or unchanged. Every bad field is named (422) and nothing is stored.
/// Publication periods follow the 2026 credit repair rules. Sanction entries come only from the
/// joint-sanction flow.
#[utoipa::path(post, path = "/api/v1/credit/entries", tag = "credit", request_body = EntryInput,
    responses((status = 201, body = EntryDto), (status = 200, body = EntryDto), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn push(
    State(st): State<AppState>,
    ApiActor(a): ApiActor,
    ApiJson(b): ApiJson<EntryInput>,
) -> Result<(StatusCode, Json<EntryDto>), ApiError> {
    let (e, created) = credit::upsert(&st.svc, &a, &b).await?;
    let status = if created == Some(true) {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((status, Json(e.into())))
}

/// The list as filtered, in the import sheet's layout (export → edit → import round-trips).
#[utoipa::path(get, path = "/api/v1/credit/entries/export.xlsx", tag = "credit", params(EntryParams),
    responses((status = 200, description = "xlsx", content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"), (status = 422, body = ErrorBody)))]
pub async fn export(
    State(st): State<AppState>,
    ApiActor(a): ApiActor,
    ApiQuery(f): ApiQuery<EntryParams>,
) -> Result<Response, ApiError> {
    let q = f.filter().parse()?;
    let bytes = exchange::credit::export(&st.svc, &a, &q).await?;
    Ok(crate::console::exchange::xlsx(
        &format!("信用记录-{}.xlsx", params::today()),
        bytes,
    ))
}

/// One entry; 404 outside the caller's scope.
#[utoipa::path(get, path = "/api/v1/credit/entries/{id}", tag = "credit",
    responses((status = 200, body = EntryDto), (status = 404, body = ErrorBody)))]
pub async fn get(
    State(st): State<AppState>,
    ApiActor(a): ApiActor,
    Path(id): Path<String>,
) -> Result<Json<EntryDto>, ApiError> {
    Ok(Json(
        credit::get(&st.svc, &a, params::id(&id)?).await?.into(),
    ))
}

/// The removal of a listing (移出名录).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RemovalBody {
    /// YYYY-MM-DD, not before the listing, not after today.
    pub removed_on: String,
    /// 移出原因, 2–500 characters.
    pub reason: String,
}

/// Removes a listing (经营异常名录 / 严重违法失信名单): it stays on record, no longer in force
/// and no longer published. 409 when it is not active.
#[utoipa::path(post, path = "/api/v1/credit/entries/{id}/removal", tag = "credit", request_body = RemovalBody,
    responses((status = 200, body = EntryDto), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn remove(
    State(st): State<AppState>,
    ApiActor(a): ApiActor,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<RemovalBody>,
) -> Result<Json<EntryDto>, ApiError> {
    let e = credit::remove_listing(&st.svc, &a, params::id(&id)?, &b.removed_on, &b.reason).await?;
    Ok(Json(e.into()))
}

/// An entity's credit timeline, newest first: its entries and its published inspection
/// results. 404 outside the caller's scope.
#[utoipa::path(get, path = "/api/v1/entities/{id}/credit", tag = "credit",
    responses((status = 200, body = Vec<TimelineItem>), (status = 404, body = ErrorBody)))]
pub async fn timeline(
    State(st): State<AppState>,
    ApiActor(a): ApiActor,
    Path(id): Path<String>,
) -> Result<Json<Vec<TimelineItem>>, ApiError> {
    Ok(Json(credit::timeline(&st.svc, &a, params::id(&id)?).await?))
}

/// The public search.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PublicSearch {
    /// At least two characters of a name, or the start of a credit code.
    pub q: Option<String>,
}

/// Public credit information (信用信息公示): entities of the site's jurisdiction by name or
/// credit code, each with how many entries are public today. No class or score, ever.
#[utoipa::path(get, path = "/api/v1/public/credit", tag = "credit", security(()), params(PublicSearch, Pages),
    responses((status = 200, body = PageOf<PublicEntity>), (status = 422, body = ErrorBody)))]
pub async fn public_search(
    State(st): State<AppState>,
    ApiQuery(f): ApiQuery<PublicSearch>,
    ApiQuery(p): ApiQuery<Pages>,
) -> Result<Json<PageOf<PublicEntity>>, ApiError> {
    let page = public::search(&st.svc, &text_or_empty(&f.q), p.request()?).await?;
    Ok(Json(PageOf::from(page, |x| x)))
}

/// One entity's public credit information: penalties within their publication period and
/// active listings.
#[utoipa::path(get, path = "/api/v1/public/credit/{usci}", tag = "credit", security(()),
    responses((status = 200, body = PublicCredit), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn public_get(
    State(st): State<AppState>,
    Path(usci): Path<String>,
) -> Result<Json<PublicCredit>, ApiError> {
    Ok(Json(public::of_entity(&st.svc, &usci).await?))
}
