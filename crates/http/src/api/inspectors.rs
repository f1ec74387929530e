//! `/api/v1/inspectors`: the inspector pool (执法检查人员库) and expert pool (专家库) of
//! double-random inspections: members, qualifications, status, declared conflicts of interest
//! (回避) and the linked sign-in account.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use lianjian_domain::inspector::{InspectorKind, InspectorStatus};
use lianjian_domain::region::RegionCode;
use lianjian_services::inspectors::{self, InspectorDetail, InspectorInput, InspectorView};
use lianjian_services::inspectors::{Conflict, InspectorQuery, InspectorSort};
use lianjian_services::{FieldError, ServiceError};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::dto::PageOf;
use super::params::{self, Params, text, text_or_empty};
use crate::error::ErrorBody;
use crate::extract::{ApiActor, ApiJson, ApiQuery};
use crate::{ApiError, AppState};

#[derive(Debug, Serialize, ToSchema)]
pub struct InspectorDto {
    pub id: Uuid,
    pub name: String,
    /// 执法证号 (experts: their expert-pool number), upper case.
    pub certificate_number: String,
    pub department_id: Uuid,
    pub department_name: String,
    /// Where the member works: the department's region or a place inside it.
    pub region_code: String,
    /// officer | expert
    pub kind: String,
    pub kind_label: String,
    /// active | on_leave | left (only active members are drawn)
    pub status: String,
    pub status_label: String,
    pub phone: Option<String>,
    /// Sorted labels, e.g. 特种设备, 食品安全.
    pub qualifications: Vec<String>,
    /// The linked sign-in account.
    pub user_id: Option<Uuid>,
    pub username: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<InspectorView> for InspectorDto {
    fn from(v: InspectorView) -> Self {
        let i = v.inspector;
        Self {
            id: i.id,
            name: i.name,
            certificate_number: i.certificate_number,
            department_id: i.department_id,
            department_name: v.department_name,
            region_code: i.region_code.to_string(),
            kind: i.kind.as_str().into(),
            kind_label: i.kind.label_zh().into(),
            status: i.status.as_str().into(),
            status_label: i.status.label_zh().into(),
            phone: i.phone,
            qualifications: i.qualifications,
            user_id: i.user_id,
            username: v.username,
            created_at: i.created_at,
            updated_at: i.updated_at,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ConflictDto {
    pub id: Uuid,
    pub entity_id: Uuid,
    /// The entity's unified social credit code.
    pub usci: String,
    pub entity_name: String,
    /// 回避事由
    pub reason: String,
    pub declared_at: DateTime<Utc>,
    pub declared_by: String,
}

impl From<Conflict> for ConflictDto {
    fn from(k: Conflict) -> Self {
        Self {
            id: k.id,
            entity_id: k.entity_id,
            usci: k.usci,
            entity_name: k.entity_name,
            reason: k.reason,
            declared_at: k.declared_at,
            declared_by: k.declared_by,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct InspectorDetailDto {
    pub inspector: InspectorDto,
    /// Declared conflicts of interest, newest first.
    pub conflicts: Vec<ConflictDto>,
}

impl From<InspectorDetail> for InspectorDetailDto {
    fn from(d: InspectorDetail) -> Self {
        Self {
            inspector: d.view.into(),
            conflicts: d.conflicts.into_iter().map(ConflictDto::from).collect(),
        }
    }
}

/// Filters of the pool list.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct InspectorFilter {
    /// Fragment of the name or certificate number.
    pub q: Option<String>,
    /// Region code: members located in its subtree.
    pub region: Option<String>,
    /// Department id.
    pub department: Option<String>,
    /// active | on_leave | left (or 在岗/休假/离岗)
    pub status: Option<String>,
    /// officer | expert (or 执法人员/专家)
    pub kind: Option<String>,
    /// A qualification label, e.g. 特种设备.
    pub qualification: Option<String>,
    /// department (default) | name | certificate | updated
    pub sort: Option<String>,
}

/// The filters of a query string (console list and export; the API reads [`InspectorFilter`]).
pub(crate) fn inspector_query(p: &Params) -> Result<InspectorQuery, ServiceError> {
    p.filter::<InspectorFilter>()?.query()
}

impl InspectorFilter {
    fn query(&self) -> Result<InspectorQuery, ServiceError> {
        let mut errs = Vec::new();
        let mut q = InspectorQuery {
            q: text(&self.q),
            qualification: text(&self.qualification),
            ..Default::default()
        };
        let status = text_or_empty(&self.status);
        if !status.is_empty() {
            match InspectorStatus::parse(&status) {
                Ok(s) => q.status = Some(s),
                Err(e) => errs.push(FieldError::new("status", e)),
            }
        }
        let kind = text_or_empty(&self.kind);
        if !kind.is_empty() {
            match InspectorKind::parse(&kind) {
                Ok(k) => q.kind = Some(k),
                Err(e) => errs.push(FieldError::new("kind", e)),
            }
        }
        let region = text_or_empty(&self.region);
        if !region.is_empty() {
            match RegionCode::parse(&region) {
                Ok(r) => q.region = Some(r),
                Err(e) => errs.push(FieldError::new("region", e)),
            }
        }
        let dept = text_or_empty(&self.department);
        if !dept.is_empty() {
            match Uuid::parse_str(&dept) {
                Ok(d) => q.department_id = Some(d),
                Err(_) => errs.push(FieldError::new(
                    "department",
                    lianjian_domain::Invalid::new(
                        "unknown_department",
                        "部门参数应为部门 id",
                        "department must be a department id",
                    ),
                )),
            }
        }
        let sort = text_or_empty(&self.sort);
        if !sort.is_empty() {
            match InspectorSort::parse(&sort) {
                Some(s) => q.sort = s,
                None => errs.push(FieldError::new(
                    "sort",
                    lianjian_domain::Invalid::new(
                        "unknown_sort",
                        format!(
                            "排序方式“{sort}”无效，可选：department、name、certificate、updated"
                        ),
                        format!(
                            "unknown sort '{sort}'; one of department, name, certificate, updated"
                        ),
                    ),
                )),
            }
        }
        if errs.is_empty() {
            Ok(q)
        } else {
            Err(ServiceError::Invalid(errs))
        }
    }
}

/// Members the caller sees (an inspector: their own record only).
#[utoipa::path(get, path = "/api/v1/inspectors", tag = "inspectors", params(InspectorFilter, params::Pages),
    responses((status = 200, body = PageOf<InspectorDto>), (status = 400, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn list(
    State(st): State<AppState>,
    ApiActor(a): ApiActor,
    ApiQuery(f): ApiQuery<InspectorFilter>,
    ApiQuery(p): ApiQuery<params::Pages>,
) -> Result<Json<PageOf<InspectorDto>>, ApiError> {
    let page = inspectors::list(&st.svc, &a, &f.query()?, p.request()?).await?;
    Ok(Json(PageOf::from(page, InspectorDto::from)))
}

/// One member with declared conflicts. The read is recorded in the audit log (personal data).
#[utoipa::path(get, path = "/api/v1/inspectors/{id}", tag = "inspectors",
    responses((status = 200, body = InspectorDetailDto), (status = 404, body = ErrorBody)))]
pub async fn get(
    State(st): State<AppState>,
    ApiActor(a): ApiActor,
    Path(id): Path<String>,
) -> Result<Json<InspectorDetailDto>, ApiError> {
    let d = inspectors::get(&st.svc, &a, params::id(&id)?).await?;
    Ok(Json(d.into()))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct InspectorBody {
    /// 姓名, 2–50 characters.
    pub name: String,
    /// 执法证号: 6–32 letters, digits or -, unique in the pool.
    pub certificate_number: String,
    pub department_id: String,
    /// Blank: the department's region; otherwise that region or one inside it.
    #[serde(default)]
    pub region_code: String,
    /// officer | expert (or 执法人员/专家). Blank: officer on create, unchanged on update.
    #[serde(default)]
    pub kind: String,
    /// active | on_leave | left (or 在岗/休假/离岗). Blank: active on create, unchanged on update.
    #[serde(default)]
    pub status: String,
    #[serde(default)]
    pub phone: String,
    /// Qualification labels (each 1–20 characters); they replace the member's.
    #[serde(default)]
    pub qualifications: Vec<String>,
}

impl From<InspectorBody> for InspectorInput {
    fn from(b: InspectorBody) -> Self {
        InspectorInput {
            name: b.name,
            certificate_number: b.certificate_number,
            department_id: b.department_id,
            region_code: b.region_code,
            kind: b.kind,
            status: b.status,
            phone: b.phone,
            qualifications: String::new(),
            // One label each: a label with a separator in it is reported, not split.
            qualification_list: Some(b.qualifications),
        }
    }
}

/// The DTO of a member the caller has just written (names looked up; no read recorded).
async fn view(
    st: &AppState,
    i: lianjian_services::inspectors::Inspector,
) -> Result<InspectorDto, ApiError> {
    Ok(inspectors::describe(&st.svc, i).await?.into())
}

/// Adds a member to the pool. A certificate number already in the pool is a 409.
#[utoipa::path(post, path = "/api/v1/inspectors", tag = "inspectors", request_body = InspectorBody,
    responses((status = 201, body = InspectorDto), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create(
    State(st): State<AppState>,
    ApiActor(a): ApiActor,
    ApiJson(b): ApiJson<InspectorBody>,
) -> Result<(StatusCode, Json<InspectorDto>), ApiError> {
    let i = inspectors::create(&st.svc, &a, &b.into()).await?;
    Ok((StatusCode::CREATED, Json(view(&st, i).await?)))
}

/// Replaces a member's fields and qualifications (the linked account and conflicts stay).
#[utoipa::path(put, path = "/api/v1/inspectors/{id}", tag = "inspectors", request_body = InspectorBody,
    responses((status = 200, body = InspectorDto), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn update(
    State(st): State<AppState>,
    ApiActor(a): ApiActor,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<InspectorBody>,
) -> Result<Json<InspectorDto>, ApiError> {
    let i = inspectors::update(&st.svc, &a, params::id(&id)?, &b.into()).await?;
    Ok(Json(view(&st, i).await?))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StatusBody {
    /// active | on_leave | left (or 在岗/休假/离岗)
    pub status: String,
}

/// Sets 在岗 / 休假 / 离岗. Only active members are drawn.
#[utoipa::path(post, path = "/api/v1/inspectors/{id}/status", tag = "inspectors", request_body = StatusBody,
    responses((status = 200, body = InspectorDto), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn set_status(
    State(st): State<AppState>,
    ApiActor(a): ApiActor,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<StatusBody>,
) -> Result<Json<InspectorDto>, ApiError> {
    let i = inspectors::set_status(&st.svc, &a, params::id(&id)?, &b.status).await?;
    Ok(Json(view(&st, i).await?))
}

/// Adds a qualification (already held: nothing changes).
#[utoipa::path(put, path = "/api/v1/inspectors/{id}/qualifications/{qualification}", tag = "inspectors",
    responses((status = 200, body = InspectorDto), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn add_qualification(
    State(st): State<AppState>,
    ApiActor(a): ApiActor,
    Path((id, q)): Path<(String, String)>,
) -> Result<Json<InspectorDto>, ApiError> {
    let i = inspectors::add_qualification(&st.svc, &a, params::id(&id)?, &q).await?;
    Ok(Json(view(&st, i).await?))
}

/// Removes a qualification (not held: 404).
#[utoipa::path(delete, path = "/api/v1/inspectors/{id}/qualifications/{qualification}", tag = "inspectors",
    responses((status = 200, body = InspectorDto), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn remove_qualification(
    State(st): State<AppState>,
    ApiActor(a): ApiActor,
    Path((id, q)): Path<(String, String)>,
) -> Result<Json<InspectorDto>, ApiError> {
    let i = inspectors::remove_qualification(&st.svc, &a, params::id(&id)?, &q).await?;
    Ok(Json(view(&st, i).await?))
}

/// The member's declared conflicts of interest, newest first.
#[utoipa::path(get, path = "/api/v1/inspectors/{id}/conflicts", tag = "inspectors",
    responses((status = 200, body = Vec<ConflictDto>), (status = 404, body = ErrorBody)))]
pub async fn conflicts(
    State(st): State<AppState>,
    ApiActor(a): ApiActor,
    Path(id): Path<String>,
) -> Result<Json<Vec<ConflictDto>>, ApiError> {
    let ks = inspectors::conflicts(&st.svc, &a, params::id(&id)?).await?;
    Ok(Json(ks.into_iter().map(ConflictDto::from).collect()))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ConflictBody {
    /// The entity's unified social credit code (or its id).
    pub entity: String,
    /// 回避事由, 2–200 characters.
    pub reason: String,
}

/// Declares a conflict of interest (回避): the member is never sent to that entity. Maintainers
/// declare for members they maintain; an inspector for their own record.
#[utoipa::path(post, path = "/api/v1/inspectors/{id}/conflicts", tag = "inspectors", request_body = ConflictBody,
    responses((status = 201, body = ConflictDto), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn declare_conflict(
    State(st): State<AppState>,
    ApiActor(a): ApiActor,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<ConflictBody>,
) -> Result<(StatusCode, Json<ConflictDto>), ApiError> {
    let k =
        inspectors::declare_conflict(&st.svc, &a, params::id(&id)?, &b.entity, &b.reason).await?;
    Ok((StatusCode::CREATED, Json(k.into())))
}

/// Withdraws a declaration (maintainers only).
#[utoipa::path(delete, path = "/api/v1/inspectors/{id}/conflicts/{conflict_id}", tag = "inspectors",
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn withdraw_conflict(
    State(st): State<AppState>,
    ApiActor(a): ApiActor,
    Path((id, conflict_id)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    inspectors::withdraw_conflict(&st.svc, &a, params::id(&id)?, params::id(&conflict_id)?).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LinkBody {
    /// User name (or id) of an account of role inspector in the member's department.
    pub user: String,
}

/// Links the member to a sign-in account, so results can be recorded on a phone.
#[utoipa::path(put, path = "/api/v1/inspectors/{id}/user", tag = "inspectors", request_body = LinkBody,
    responses((status = 200, body = InspectorDto), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn link_user(
    State(st): State<AppState>,
    ApiActor(a): ApiActor,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<LinkBody>,
) -> Result<Json<InspectorDto>, ApiError> {
    let i = inspectors::link_user(&st.svc, &a, params::id(&id)?, &b.user).await?;
    Ok(Json(view(&st, i).await?))
}

/// Removes the link to a sign-in account.
#[utoipa::path(delete, path = "/api/v1/inspectors/{id}/user", tag = "inspectors",
    responses((status = 200, body = InspectorDto), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn unlink_user(
    State(st): State<AppState>,
    ApiActor(a): ApiActor,
    Path(id): Path<String>,
) -> Result<Json<InspectorDto>, ApiError> {
    let i = inspectors::unlink_user(&st.svc, &a, params::id(&id)?).await?;
    Ok(Json(view(&st, i).await?))
}
