//! `/api/v1/entities`: the regulated-object directory (监管对象名录库), keyed by the unified
//! social credit code, with licences, tags and 双告知 claims.

use std::collections::HashMap;

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use chrono::{DateTime, NaiveDate, Utc};
use lianjian_domain::audit::AuditEntry;
use lianjian_domain::directory::Licence;
use lianjian_domain::scope::Actor;
use lianjian_services::directory::Claim;
use lianjian_services::directory::Entity;
use lianjian_services::directory::{self, EntityDetail, EntityInput, SearchInput};
use lianjian_services::{ServiceError, Services};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::dto::PageOf;
use super::params::{self, Pages, split, text_or_empty};
use crate::error::ErrorBody;
use crate::extract::{ApiActor, ApiJson, ApiQuery};
use crate::{ApiError, AppState};

#[derive(Debug, Serialize, ToSchema)]
pub struct EntityDto {
    pub id: Uuid,
    /// Unified social credit code (统一社会信用代码), 18 characters.
    pub usci: String,
    pub name: String,
    /// enterprise | individual_business | farmer_cooperative | public_institution | social_organisation | government_agency | other
    pub entity_type: String,
    pub entity_type_label: String,
    pub legal_rep: Option<String>,
    pub address: Option<String>,
    pub region_code: String,
    /// GB/T 4754 industry code.
    pub industry_code: Option<String>,
    /// active | revoked | cancelled | moved_out | closed
    pub reg_status: String,
    pub reg_status_label: String,
    pub business_scope: Option<String>,
    /// Credit-risk class A–D.
    pub credit_class: Option<String>,
    pub credit_date: Option<NaiveDate>,
    pub credit_source: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<Entity> for EntityDto {
    fn from(e: Entity) -> Self {
        Self {
            id: e.id,
            usci: e.usci,
            name: e.name,
            entity_type: e.entity_type.as_str().into(),
            entity_type_label: e.entity_type.label_zh().into(),
            legal_rep: e.legal_rep,
            address: e.address,
            region_code: e.region_code.to_string(),
            industry_code: e.industry_code,
            reg_status: e.reg_status.as_str().into(),
            reg_status_label: e.reg_status.label_zh().into(),
            business_scope: e.business_scope,
            credit_class: e.credit_class.map(|c| c.as_str().to_string()),
            credit_date: e.credit_date,
            credit_source: e.credit_source,
            created_at: e.created_at,
            updated_at: e.updated_at,
        }
    }
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LicenceDto {
    /// e.g. 食品经营许可证
    pub licence_type: String,
    pub number: String,
    #[serde(default)]
    pub issuer: Option<String>,
    /// YYYY-MM-DD (also 2026/3/31, 20260331).
    #[serde(default)]
    pub valid_from: Option<String>,
    #[serde(default)]
    pub valid_to: Option<String>,
}

impl From<Licence> for LicenceDto {
    fn from(l: Licence) -> Self {
        Self {
            licence_type: l.licence_type,
            number: l.number,
            issuer: l.issuer,
            valid_from: l.valid_from.map(|d| d.to_string()),
            valid_to: l.valid_to.map(|d| d.to_string()),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct EntityTagDto {
    pub code: String,
    pub name: String,
    /// major | middle | minor
    pub level: String,
    /// How the entity got the tag: manual | rule | notification | import
    pub source: String,
    pub source_label: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CoveringItemDto {
    pub id: Uuid,
    pub code: String,
    pub name: String,
    pub version: i32,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ClaimDto {
    pub id: Uuid,
    pub entity_id: Uuid,
    pub entity_name: Option<String>,
    pub usci: Option<String>,
    pub region_code: String,
    pub department_id: Option<Uuid>,
    pub department_name: Option<String>,
    /// pending | accepted | rejected | escalated | assigned
    pub status: String,
    pub status_label: String,
    /// Why the claim was raised (which tag named the department).
    pub matched_by: String,
    /// Rejection reason or assignment note.
    pub reason: Option<String>,
    pub created_at: DateTime<Utc>,
    pub decided_at: Option<DateTime<Utc>>,
    pub decided_by: Option<String>,
    /// Hours since the claim was raised.
    pub waiting_hours: i64,
}

pub(crate) fn claim_dto(
    c: Claim,
    department_name: Option<String>,
    entity: Option<(String, String)>,
) -> ClaimDto {
    let waiting_hours = match c.decided_at {
        Some(d) => (d - c.created_at).num_hours(),
        None => (Utc::now() - c.created_at).num_hours(),
    };
    ClaimDto {
        id: c.id,
        entity_id: c.entity_id,
        entity_name: entity.as_ref().map(|e| e.0.clone()),
        usci: entity.map(|e| e.1),
        region_code: c.region_code.to_string(),
        department_id: c.department_id,
        department_name,
        status: c.status.as_str().into(),
        status_label: c.status.label_zh().into(),
        matched_by: c.matched_by,
        reason: c.reason,
        created_at: c.created_at,
        decided_at: c.decided_at,
        decided_by: c.decided_by,
        waiting_hours,
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TimelineEntryDto {
    pub seq: i64,
    pub at: DateTime<Utc>,
    pub actor_name: String,
    /// e.g. entity.create, entity.tag_add, claim.accept
    pub action: String,
    /// JSON text of the record before the change.
    pub before: Option<String>,
    /// JSON text of the record after the change.
    pub after: Option<String>,
}

impl From<AuditEntry> for TimelineEntryDto {
    fn from(e: AuditEntry) -> Self {
        Self {
            seq: e.seq,
            at: e.at,
            actor_name: e.actor_name,
            action: e.action,
            before: e.before,
            after: e.after,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct EntityDetailDto {
    pub entity: EntityDto,
    pub licences: Vec<LicenceDto>,
    pub tags: Vec<EntityTagDto>,
    /// Published items whose object definition selects this entity (覆盖事项).
    pub items: Vec<CoveringItemDto>,
    /// 双告知 claims, oldest first.
    pub claims: Vec<ClaimDto>,
    /// Changes from the audit log, oldest first.
    pub timeline: Vec<TimelineEntryDto>,
}

pub(crate) async fn department_names(svc: &Services, ids: Vec<Uuid>) -> HashMap<Uuid, String> {
    lianjian_services::departments::by_ids(svc, &ids)
        .await
        .map(|m| m.into_iter().map(|(k, d)| (k, d.name)).collect())
        .unwrap_or_default()
}

pub(crate) async fn detail_dto(svc: &Services, d: EntityDetail) -> EntityDetailDto {
    let ids: Vec<Uuid> = d.claims.iter().filter_map(|c| c.department_id).collect();
    let names = department_names(svc, ids).await;
    EntityDetailDto {
        licences: d.licences.into_iter().map(LicenceDto::from).collect(),
        tags: d
            .tags
            .into_iter()
            .map(|(t, s)| EntityTagDto {
                code: t.code,
                name: t.name,
                level: t.level.as_str().into(),
                source: s.as_str().into(),
                source_label: s.label_zh().into(),
            })
            .collect(),
        items: d
            .items
            .into_iter()
            .map(|i| CoveringItemDto {
                id: i.id,
                code: i.code,
                name: i.name,
                version: i.version,
            })
            .collect(),
        claims: d
            .claims
            .into_iter()
            .map(|c| {
                let n = c.department_id.and_then(|x| names.get(&x).cloned());
                claim_dto(c, n, None)
            })
            .collect(),
        timeline: d.timeline.into_iter().map(TimelineEntryDto::from).collect(),
        entity: d.entity.into(),
    }
}

/// Filters of the entity list. `tag` may repeat or hold several codes separated by commas;
/// entities must carry all of them.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct EntityFilter {
    /// Name fragment (two Chinese characters are enough) or credit-code prefix (at least 4 characters with a digit).
    pub q: Option<String>,
    /// Region code; entities in its subtree (within the caller's scope).
    pub region: Option<String>,
    /// Tag code(s); repeat or separate with commas.
    pub tag: Option<Vec<String>>,
    /// Credit class(es) A–D; repeat or separate with commas.
    pub credit: Option<Vec<String>>,
    pub entity_type: Option<String>,
    pub reg_status: Option<String>,
    /// Item code: only entities the item's object definition selects.
    pub item: Option<String>,
    /// name | usci | region | updated | credit
    pub sort: Option<String>,
}

impl EntityFilter {
    fn search_input(&self) -> SearchInput {
        SearchInput {
            q: text_or_empty(&self.q),
            region: text_or_empty(&self.region),
            tags: split(self.tag.as_deref().unwrap_or_default()),
            credit: split(self.credit.as_deref().unwrap_or_default()).join(","),
            entity_type: text_or_empty(&self.entity_type),
            reg_status: text_or_empty(&self.reg_status),
            item: text_or_empty(&self.item),
            sort: text_or_empty(&self.sort),
        }
    }
}

/// Entities in the caller's region subtree.
#[utoipa::path(get, path = "/api/v1/entities", tag = "directory", params(EntityFilter, Pages),
    responses((status = 200, body = PageOf<EntityDto>), (status = 400, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn list(
    State(st): State<AppState>,
    ApiActor(a): ApiActor,
    ApiQuery(f): ApiQuery<EntityFilter>,
    ApiQuery(p): ApiQuery<Pages>,
) -> Result<Json<PageOf<EntityDto>>, ApiError> {
    let input = f.search_input();
    let sort = &input.sort;
    if !sort.is_empty() && lianjian_services::directory::EntitySort::parse(&sort).is_none() {
        return Err(ApiError::bad_request(
            "sort",
            "unknown_sort",
            format!("未知排序“{sort}”，可选 name、usci、region、updated、credit"),
            "sort must be one of name, usci, region, updated, credit",
        ));
    }
    let page = directory::search(&st.svc, &a, &input, p.request()?).await?;
    Ok(Json(PageOf::from(page, EntityDto::from)))
}

/// One entity with its licences, tags (and how each came), covering items, claims and timeline.
#[utoipa::path(get, path = "/api/v1/entities/{id}", tag = "directory",
    responses((status = 200, body = EntityDetailDto), (status = 404, body = ErrorBody)))]
pub async fn get(
    State(st): State<AppState>,
    ApiActor(a): ApiActor,
    Path(id): Path<String>,
) -> Result<Json<EntityDetailDto>, ApiError> {
    let d = directory::get(&st.svc, &a, params::id(&id)?).await?;
    Ok(Json(detail_dto(&st.svc, d).await))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EntityBody {
    /// Unified social credit code; the key: posting a known code updates that entity.
    pub usci: String,
    pub name: String,
    /// Code or Chinese label; blank: what the credit code's second character says.
    #[serde(default)]
    pub entity_type: String,
    #[serde(default)]
    pub legal_rep: String,
    #[serde(default)]
    pub address: String,
    /// GB/T 2260 region code (6 or 9 digits usually).
    pub region_code: String,
    #[serde(default)]
    pub industry_code: String,
    /// Blank: active (存续).
    #[serde(default)]
    pub reg_status: String,
    #[serde(default)]
    pub business_scope: String,
    /// A–D or blank.
    #[serde(default)]
    pub credit_class: String,
    #[serde(default)]
    pub credit_date: String,
    #[serde(default)]
    pub credit_source: String,
    #[serde(default)]
    pub licences: Vec<LicenceDto>,
    /// Tag codes to set (source: import); rules add theirs on top.
    #[serde(default)]
    pub tags: Vec<String>,
}

impl From<EntityBody> for EntityInput {
    fn from(b: EntityBody) -> Self {
        EntityInput {
            usci: b.usci,
            name: b.name,
            entity_type: b.entity_type,
            legal_rep: b.legal_rep,
            address: b.address,
            region_code: b.region_code,
            industry_code: b.industry_code,
            reg_status: b.reg_status,
            business_scope: b.business_scope,
            credit_class: b.credit_class,
            credit_date: b.credit_date,
            credit_source: b.credit_source,
            licences: b
                .licences
                .into_iter()
                .map(|l| {
                    [
                        l.licence_type,
                        l.number,
                        l.issuer.unwrap_or_default(),
                        l.valid_from.unwrap_or_default(),
                        l.valid_to.unwrap_or_default(),
                    ]
                })
                .collect(),
            tags: b.tags.join(","),
        }
    }
}

/// Whether the credit code is already in the directory. An entity registered outside the
/// caller's region may not be taken over by saving it with a region of the caller's: the
/// upsert would move it (and its history) out of the other county's view.
pub(crate) async fn existing_for_save(
    svc: &Services,
    a: &Actor,
    usci: &str,
) -> Result<Option<Entity>, ServiceError> {
    directory::existing_for_save(svc, a, usci).await
}

/// Adds an entity, or updates the one with the same credit code (upsert). Tag rules apply at
/// once and a new entity is offered to its competent departments (双告知). 201 when created,
/// 200 when an existing entity was updated.
#[utoipa::path(post, path = "/api/v1/entities", tag = "directory", request_body = EntityBody,
    responses((status = 201, body = EntityDetailDto), (status = 200, body = EntityDetailDto), (status = 400, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn save(
    State(st): State<AppState>,
    ApiActor(a): ApiActor,
    ApiJson(b): ApiJson<EntityBody>,
) -> Result<(StatusCode, Json<EntityDetailDto>), ApiError> {
    let existed = existing_for_save(&st.svc, &a, &b.usci).await?.is_some();
    let e = directory::save(&st.svc, &a, &b.into()).await?;
    let d = directory::get(&st.svc, &a, e.id).await?;
    Ok((
        if existed {
            StatusCode::OK
        } else {
            StatusCode::CREATED
        },
        Json(detail_dto(&st.svc, d).await),
    ))
}

/// The entity, if the caller may see it (out of scope looks absent).
pub(crate) async fn visible_entity(
    svc: &Services,
    a: &Actor,
    id: Uuid,
) -> Result<Entity, ServiceError> {
    directory::visible_entity(svc, a, id).await
}

/// Sets a tag by hand (source: manual); the tag's competent department is notified (双告知).
#[utoipa::path(put, path = "/api/v1/entities/{id}/tags/{code}", tag = "directory",
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn add_tag(
    State(st): State<AppState>,
    ApiActor(a): ApiActor,
    Path((id, code)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    let e = visible_entity(&st.svc, &a, params::id(&id)?).await?;
    directory::set_tag(&st.svc, &a, e.id, &code, true).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Removes a tag from the entity (a rule tag comes back if its rule still holds on the next change).
#[utoipa::path(delete, path = "/api/v1/entities/{id}/tags/{code}", tag = "directory",
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn remove_tag(
    State(st): State<AppState>,
    ApiActor(a): ApiActor,
    Path((id, code)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    let e = visible_entity(&st.svc, &a, params::id(&id)?).await?;
    directory::set_tag(&st.svc, &a, e.id, &code, false).await?;
    Ok(StatusCode::NO_CONTENT)
}
