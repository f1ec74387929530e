//! `/api/v1/items`: the supervision item list (监管事项清单): what is checked, on what basis, by
//! which lead and cooperating departments, on which entities; versions in force by date; the
//! item's directory. `/api/v1/public/items` lists published items without signing in.

use std::collections::HashMap;

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use lianjian_domain::item::ItemStatus;
use lianjian_domain::region::RegionCode;
use lianjian_domain::scope::Actor;
use lianjian_domain::scope::Scope;
use lianjian_services::items::{self, DepartmentPart, ItemInput};
use lianjian_services::items::{Item, ItemQuery, ItemVersion};
use lianjian_services::{Page, ServiceError, Services};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::dto::PageOf;
use super::entities::{EntityDto, department_names};
use super::params::{self, Params, text, text_or_empty};
use crate::error::ErrorBody;
use crate::extract::{ApiActor, ApiJson, ApiQuery};
use crate::{ApiError, AppState};

#[derive(Debug, Serialize, ToSchema)]
pub struct ItemDepartmentDto {
    pub department_id: Uuid,
    pub department_name: String,
    /// lead | cooperating
    pub role: String,
    pub role_label: String,
    /// 监管职责
    pub duties: String,
    /// 监管依据
    pub legal_basis: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CheckPointDto {
    /// personnel | equipment | environment | system | product_quality
    pub dimension: String,
    pub dimension_label: String,
    pub content: String,
    pub legal_basis: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ItemDto {
    pub id: Uuid,
    pub code: String,
    pub name: String,
    pub sector_id: Option<Uuid>,
    pub sector_name: Option<String>,
    /// general | key
    pub category: String,
    pub category_label: String,
    /// The list the item is on; it applies in this region's subtree.
    pub region_code: String,
    /// province | city | county
    pub implementation_level: String,
    pub implementation_level_label: String,
    pub lead_department_id: Uuid,
    pub lead_department_name: String,
    /// Lead first, then cooperating departments. Empty in lists.
    pub departments: Vec<ItemDepartmentDto>,
    /// Who is supervised, in words.
    pub object_description: String,
    /// Which entities, as a tag expression, e.g. `餐饮服务 AND NOT credit:A`.
    pub object_expr: String,
    /// on_site | written | online | testing | commissioned | off_site
    pub methods: Vec<String>,
    pub methods_label: String,
    pub default_frequency: Option<String>,
    /// draft | published | retired
    pub status: String,
    pub status_label: String,
    /// Published version (0 for a draft never published).
    pub version: i32,
    /// Check points (检查要点). Empty in lists.
    pub check_points: Vec<CheckPointDto>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub published_at: Option<DateTime<Utc>>,
}

/// Names for the departments and sectors items refer to.
pub(crate) struct Names {
    pub departments: HashMap<Uuid, String>,
    pub sectors: HashMap<Uuid, String>,
}

impl Names {
    pub async fn load(svc: &Services, items: &[&Item]) -> Self {
        let mut ids: Vec<Uuid> = Vec::new();
        for i in items {
            ids.push(i.lead_department_id);
            ids.extend(i.departments.iter().map(|d| d.department_id));
        }
        let departments = department_names(svc, ids).await;
        let sectors = lianjian_services::sectors::list(svc)
            .await
            .map(|v| v.into_iter().map(|s| (s.id, s.name)).collect())
            .unwrap_or_default();
        Self {
            departments,
            sectors,
        }
    }

    pub fn department(&self, id: Uuid) -> String {
        self.departments
            .get(&id)
            .cloned()
            .unwrap_or_else(|| "（部门已删除）".into())
    }
}

pub(crate) fn item_dto(i: Item, n: &Names) -> ItemDto {
    ItemDto {
        id: i.id,
        sector_name: i.sector_id.and_then(|s| n.sectors.get(&s).cloned()),
        sector_id: i.sector_id,
        category: i.category.as_str().into(),
        category_label: i.category.label_zh().into(),
        region_code: i.region_code.to_string(),
        implementation_level: i.implementation_level.as_str().into(),
        implementation_level_label: i.implementation_level.label_zh().into(),
        lead_department_name: n.department(i.lead_department_id),
        lead_department_id: i.lead_department_id,
        departments: i
            .departments
            .into_iter()
            .map(|d| ItemDepartmentDto {
                department_name: n.department(d.department_id),
                department_id: d.department_id,
                role: d.role.as_str().into(),
                role_label: d.role.label_zh().into(),
                duties: d.duties,
                legal_basis: d.legal_basis,
            })
            .collect(),
        object_description: i.object_description,
        object_expr: i.object_expr,
        methods_label: i
            .methods
            .iter()
            .map(|m| m.label_zh())
            .collect::<Vec<_>>()
            .join("、"),
        methods: i.methods.iter().map(|m| m.as_str().to_string()).collect(),
        default_frequency: i.default_frequency,
        status: i.status.as_str().into(),
        status_label: i.status.label_zh().into(),
        version: i.version,
        check_points: i
            .check_points
            .into_iter()
            .map(|c| CheckPointDto {
                dimension: c.dimension.as_str().into(),
                dimension_label: c.dimension.label_zh().into(),
                content: c.content,
                legal_basis: c.legal_basis,
            })
            .collect(),
        code: i.code,
        name: i.name,
        created_at: i.created_at,
        updated_at: i.updated_at,
        published_at: i.published_at,
    }
}

pub(crate) async fn page_dto(svc: &Services, p: Page<Item>) -> PageOf<ItemDto> {
    let n = Names::load(svc, &p.items.iter().collect::<Vec<_>>()).await;
    PageOf::from(p, |i| item_dto(i, &n))
}

pub(crate) async fn one_dto(svc: &Services, i: Item) -> ItemDto {
    let n = Names::load(svc, &[&i]).await;
    item_dto(i, &n)
}

/// Whether an item applies where the actor looks: on its region's list, an ancestor's, or one
/// inside its subtree. Others look absent.
pub(crate) fn applies_to(a: &Actor, item_region: &RegionCode) -> bool {
    match a.scope().region {
        None => true,
        Some(r) => item_region.is_within(&r) || r.is_within(item_region),
    }
}

pub(crate) async fn visible_item(
    svc: &Services,
    a: &Actor,
    id: Uuid,
) -> Result<Item, ServiceError> {
    let i = items::get(svc, id).await?;
    if applies_to(a, &i.region_code) {
        Ok(i)
    } else {
        Err(ServiceError::NotFound)
    }
}

/// Filters of the item list.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ItemFilter {
    /// Fragment of the name, code or object description.
    pub q: Option<String>,
    /// draft | published | retired (or 草稿/已发布/已停用)
    pub status: Option<String>,
    /// Sector name or id.
    pub sector: Option<String>,
    /// Department id: items it leads or cooperates on.
    pub department: Option<String>,
}

/// The filters of a console query string (the API reads [`ItemFilter`] itself).
pub(crate) async fn item_query(svc: &Services, p: &Params) -> Result<ItemQuery, ServiceError> {
    p.filter::<ItemFilter>()?.query(svc).await
}

impl ItemFilter {
    async fn query(&self, svc: &Services) -> Result<ItemQuery, ServiceError> {
        let mut errs = Vec::new();
        let mut q = ItemQuery {
            q: text(&self.q),
            ..Default::default()
        };
        let status = text_or_empty(&self.status);
        if !status.is_empty() {
            match ItemStatus::parse(&status) {
                Ok(s) => q.status = Some(s),
                Err(e) => errs.push(lianjian_services::FieldError::new("status", e)),
            }
        }
        let sector = text_or_empty(&self.sector);
        if !sector.is_empty() {
            match lianjian_services::sectors::list(svc)
                .await?
                .into_iter()
                .find(|s| s.name == sector || s.id.to_string() == sector)
            {
                Some(s) => q.sector_id = Some(s.id),
                None => errs.push(lianjian_services::FieldError::new(
                    "sector",
                    lianjian_domain::Invalid::new(
                        "unknown_sector",
                        format!("监管领域“{sector}”不存在"),
                        format!("sector '{sector}' does not exist"),
                    ),
                )),
            }
        }
        let dept = text_or_empty(&self.department);
        if !dept.is_empty() {
            match Uuid::parse_str(&dept) {
                Ok(d) => q.department_id = Some(d),
                Err(_) => errs.push(lianjian_services::FieldError::new(
                    "department",
                    lianjian_domain::Invalid::new(
                        "unknown_department",
                        "部门参数应为部门 id",
                        "department must be a department id",
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

/// Items that apply in the caller's view (its region's list, its ancestors', its subtree's).
#[utoipa::path(get, path = "/api/v1/items", tag = "items", params(ItemFilter, params::Pages),
    responses((status = 200, body = PageOf<ItemDto>), (status = 422, body = ErrorBody)))]
pub async fn list(
    State(st): State<AppState>,
    ApiActor(a): ApiActor,
    ApiQuery(f): ApiQuery<ItemFilter>,
    ApiQuery(p): ApiQuery<params::Pages>,
) -> Result<Json<PageOf<ItemDto>>, ApiError> {
    let query = f.query(&st.svc).await?;
    let page = items::list(&st.svc, &Scope::of(&a), query, p.request()?).await?;
    Ok(Json(page_dto(&st.svc, page).await))
}

/// One item with its departments (duties, legal basis) and check points.
#[utoipa::path(get, path = "/api/v1/items/{id}", tag = "items", responses((status = 200, body = ItemDto), (status = 404, body = ErrorBody)))]
pub async fn get(
    State(st): State<AppState>,
    ApiActor(a): ApiActor,
    Path(id): Path<String>,
) -> Result<Json<ItemDto>, ApiError> {
    let i = visible_item(&st.svc, &a, params::id(&id)?).await?;
    Ok(Json(one_dto(&st.svc, i).await))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DepartmentPartBody {
    pub department_id: String,
    /// 监管职责
    pub duties: String,
    /// 监管依据 (law and article)
    pub legal_basis: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CheckPointBody {
    /// 人员 | 设备 | 环境 | 制度 | 产品质量 (or the codes)
    pub dimension: String,
    pub content: String,
    pub legal_basis: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ItemBody {
    /// 2–32 upper-case letters, digits or -, e.g. WY-2024-01.
    pub code: String,
    pub name: String,
    /// Sector name or id.
    #[serde(default)]
    pub sector: String,
    /// 一般 | 重点 (general | key); blank: 一般.
    #[serde(default)]
    pub category: String,
    pub region_code: String,
    /// province | city | county (or 省级/市级/县级)
    pub implementation_level: String,
    pub lead: DepartmentPartBody,
    #[serde(default)]
    pub cooperating: Vec<DepartmentPartBody>,
    pub object_description: String,
    /// Tag expression selecting the regulated entities.
    pub object_expr: String,
    /// Method codes or labels.
    pub methods: Vec<String>,
    #[serde(default)]
    pub default_frequency: String,
    #[serde(default)]
    pub check_points: Vec<CheckPointBody>,
    /// What changed (required when updating a published item; ignored on create).
    #[serde(default)]
    pub summary: String,
}

fn part(p: DepartmentPartBody) -> DepartmentPart {
    DepartmentPart {
        department_id: p.department_id,
        duties: p.duties,
        legal_basis: p.legal_basis,
    }
}

impl ItemBody {
    fn into_input(self) -> (ItemInput, String) {
        let input = ItemInput {
            code: self.code,
            name: self.name,
            sector: self.sector,
            category: self.category,
            region_code: self.region_code,
            implementation_level: self.implementation_level,
            lead: part(self.lead),
            cooperating: self.cooperating.into_iter().map(part).collect(),
            object_description: self.object_description,
            object_expr: self.object_expr,
            methods: self.methods.join(","),
            default_frequency: self.default_frequency,
            check_points: self
                .check_points
                .into_iter()
                .map(|c| [c.dimension, c.content, c.legal_basis])
                .collect(),
        };
        (input, self.summary)
    }
}

/// Creates a draft item.
#[utoipa::path(post, path = "/api/v1/items", tag = "items", request_body = ItemBody,
    responses((status = 201, body = ItemDto), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create(
    State(st): State<AppState>,
    ApiActor(a): ApiActor,
    ApiJson(b): ApiJson<ItemBody>,
) -> Result<(StatusCode, Json<ItemDto>), ApiError> {
    let (input, _) = b.into_input();
    let i = items::create(&st.svc, &a, &input).await?;
    Ok((StatusCode::CREATED, Json(one_dto(&st.svc, i).await)))
}

/// Replaces an item. A published item gets a new version in force from now (`summary` required);
/// a draft is edited in place.
#[utoipa::path(put, path = "/api/v1/items/{id}", tag = "items", request_body = ItemBody,
    responses((status = 200, body = ItemDto), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn update(
    State(st): State<AppState>,
    ApiActor(a): ApiActor,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<ItemBody>,
) -> Result<Json<ItemDto>, ApiError> {
    let i = visible_item(&st.svc, &a, params::id(&id)?).await?;
    let (input, summary) = b.into_input();
    let after = items::update(&st.svc, &a, i.id, &input, &summary).await?;
    Ok(Json(one_dto(&st.svc, after).await))
}

async fn set_status(
    st: &AppState,
    a: &Actor,
    id: &str,
    status: ItemStatus,
) -> Result<Json<ItemDto>, ApiError> {
    let i = visible_item(&st.svc, a, params::id(id)?).await?;
    let after = items::set_status(&st.svc, a, i.id, status).await?;
    Ok(Json(one_dto(&st.svc, after).await))
}

/// Publishes a draft (version 1) or a retired item again (next version).
#[utoipa::path(post, path = "/api/v1/items/{id}/publish", tag = "items",
    responses((status = 200, body = ItemDto), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn publish(
    State(st): State<AppState>,
    ApiActor(a): ApiActor,
    Path(id): Path<String>,
) -> Result<Json<ItemDto>, ApiError> {
    set_status(&st, &a, &id, ItemStatus::Published).await
}

/// Retires a published item; it stays readable with its history.
#[utoipa::path(post, path = "/api/v1/items/{id}/retire", tag = "items",
    responses((status = 200, body = ItemDto), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn retire(
    State(st): State<AppState>,
    ApiActor(a): ApiActor,
    Path(id): Path<String>,
) -> Result<Json<ItemDto>, ApiError> {
    set_status(&st, &a, &id, ItemStatus::Retired).await
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ItemVersionDto {
    pub version: i32,
    /// In force from this instant until the next version's.
    pub effective_at: DateTime<Utc>,
    pub changed_by: String,
    pub summary: String,
    /// The item as it was in this version.
    pub item: ItemDto,
}

pub(crate) async fn versions_dto(svc: &Services, vs: Vec<ItemVersion>) -> Vec<ItemVersionDto> {
    let n = Names::load(svc, &vs.iter().map(|v| &v.snapshot).collect::<Vec<_>>()).await;
    vs.into_iter()
        .map(|v| ItemVersionDto {
            version: v.version,
            effective_at: v.effective_at,
            changed_by: v.changed_by,
            summary: v.summary,
            item: item_dto(v.snapshot, &n),
        })
        .collect()
}

/// Every published version, newest first.
#[utoipa::path(get, path = "/api/v1/items/{id}/versions", tag = "items",
    responses((status = 200, body = Vec<ItemVersionDto>), (status = 404, body = ErrorBody)))]
pub async fn versions(
    State(st): State<AppState>,
    ApiActor(a): ApiActor,
    Path(id): Path<String>,
) -> Result<Json<Vec<ItemVersionDto>>, ApiError> {
    let i = visible_item(&st.svc, &a, params::id(&id)?).await?;
    let vs = items::versions(&st.svc, i.id).await?;
    Ok(Json(versions_dto(&st.svc, vs).await))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct VersionAt {
    /// A day, YYYY-MM-DD (the version in force at the end of that day, Beijing time), or an RFC 3339 instant.
    pub date: String,
}

/// The version in force on a date (动态更新: what applied when an inspection was made).
#[utoipa::path(get, path = "/api/v1/items/{id}/version-at", tag = "items", params(VersionAt),
    responses((status = 200, body = ItemVersionDto), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn version_at(
    State(st): State<AppState>,
    ApiActor(a): ApiActor,
    Path(id): Path<String>,
    ApiQuery(q): ApiQuery<VersionAt>,
) -> Result<Json<ItemVersionDto>, ApiError> {
    let i = visible_item(&st.svc, &a, params::id(&id)?).await?;
    let date = q.date.trim();
    let at = params::end_of_day_or_instant(date).ok_or_else(|| {
        ApiError::bad_request(
            "date",
            "date_format",
            format!("日期“{date}”无法识别，请使用 2026-03-31 格式"),
            format!("cannot read date '{date}'; use 2026-03-31"),
        )
    })?;
    match items::version_at(&st.svc, i.id, at).await? {
        Some(v) => Ok(Json(versions_dto(&st.svc, vec![v]).await.remove(0))),
        None => Err(ApiError::new(
            StatusCode::NOT_FOUND,
            "not_in_force",
            format!("{date} 时该事项尚未发布"),
            format!("the item was not yet published on {date}"),
        )),
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DirectoryCountDto {
    /// County (6-digit region code).
    pub county_code: String,
    pub county_name: String,
    /// A–D, or none for entities not yet graded.
    pub credit_class: Option<String>,
    pub count: u64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ItemDirectoryDto {
    /// Counts by county and credit class over the whole directory of the item (not only this page).
    pub counts: Vec<DirectoryCountDto>,
    pub entities: PageOf<EntityDto>,
}

pub(crate) async fn county_names(svc: &Services, codes: Vec<String>) -> HashMap<String, String> {
    let mut out = HashMap::new();
    for c in codes {
        if out.contains_key(&c) {
            continue;
        }
        let name = lianjian_services::regions::get(svc, &c)
            .await
            .map(|r| r.name)
            .unwrap_or_else(|_| c.clone());
        out.insert(c, name);
    }
    out
}

/// The entities the item's object definition selects, within the caller's region, with counts
/// by county and credit class.
#[utoipa::path(get, path = "/api/v1/items/{id}/directory", tag = "items", params(params::Pages),
    responses((status = 200, body = ItemDirectoryDto), (status = 404, body = ErrorBody)))]
pub async fn directory(
    State(st): State<AppState>,
    ApiActor(a): ApiActor,
    Path(id): Path<String>,
    ApiQuery(p): ApiQuery<params::Pages>,
) -> Result<Json<ItemDirectoryDto>, ApiError> {
    let i = visible_item(&st.svc, &a, params::id(&id)?).await?;
    let d = items::directory(&st.svc, &a, i.id, p.request()?).await?;
    let codes: Vec<String> = d.counts.iter().map(|c| c.0.clone()).collect();
    let names = county_names(&st.svc, codes).await;
    Ok(Json(ItemDirectoryDto {
        counts: d
            .counts
            .into_iter()
            .map(|(county, class, count)| DirectoryCountDto {
                county_name: names.get(&county).cloned().unwrap_or_default(),
                county_code: county,
                credit_class: class,
                count,
            })
            .collect(),
        entities: PageOf::from(d.page, EntityDto::from),
    }))
}

/// Filters of the public item list.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PublicItemFilter {
    /// Fragment of the name, code or object description.
    pub q: Option<String>,
    /// Sector name or id.
    pub sector: Option<String>,
    /// Department id: items it leads or cooperates on.
    pub department: Option<String>,
}

/// Published items, for the public (no sign-in).
#[utoipa::path(get, path = "/api/v1/public/items", tag = "items", security(()), params(PublicItemFilter, params::Pages),
    responses((status = 200, body = PageOf<ItemDto>), (status = 422, body = ErrorBody)))]
pub async fn public_list(
    State(st): State<AppState>,
    ApiQuery(f): ApiQuery<PublicItemFilter>,
    ApiQuery(p): ApiQuery<params::Pages>,
) -> Result<Json<PageOf<ItemDto>>, ApiError> {
    let filter = ItemFilter {
        q: f.q,
        status: None,
        sector: f.sector,
        department: f.department,
    };
    let mut query = filter.query(&st.svc).await?;
    query.status = Some(ItemStatus::Published);
    let page = items::list(&st.svc, &st.svc.public_scope(), query, p.request()?).await?;
    // Lists carry no departments or check points; the public wants them, so load each (≤ 200).
    let mut full = Vec::with_capacity(page.items.len());
    for i in &page.items {
        full.push(items::get(&st.svc, i.id).await?);
    }
    let page = Page {
        items: full,
        total: page.total,
        page: page.page,
        per_page: page.per_page,
    };
    Ok(Json(page_dto(&st.svc, page).await))
}
