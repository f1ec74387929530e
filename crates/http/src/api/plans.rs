//! `/api/v1/plans`: annual inspection plans (年度抽查工作计划): filing, editing drafts, the moves
//! draft → submitted → approved → published (and back to draft when returned), and the
//! aggregated annual plan of a level. `/api/v1/public/plans` lists published plans without
//! signing in (抽查计划公告).

use std::collections::HashMap;

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use chrono::{DateTime, NaiveDate, Utc};
use lianjian_domain::Invalid;
use lianjian_domain::plan::{PlanStatus, Ratio, RatioClass};
use lianjian_services::items::Item;
use lianjian_services::plans::{self, AnnualPlan, PlanInput};
use lianjian_services::plans::{Plan, PlanQuery, PlanSort};
use lianjian_services::{FieldError, Page, ServiceError, Services};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::dto::PageOf;
use super::entities::department_names;
use super::params::{self, Params, split, text, text_or_empty};
use crate::error::ErrorBody;
use crate::extract::{ApiActor, ApiJson, ApiQuery};
use crate::{ApiError, AppState};

#[derive(Debug, Serialize, ToSchema)]
pub struct RatioDto {
    /// As people write it: `3%`, `2.5%`.
    pub percent: String,
    /// 0–1000.
    pub per_mille: u16,
}

impl From<Ratio> for RatioDto {
    fn from(r: Ratio) -> Self {
        Self {
            percent: r.to_string(),
            per_mille: r.per_mille(),
        }
    }
}

/// Sampling ratios by credit-risk class (A low … D high) and for entities not yet graded.
#[derive(Debug, Serialize, ToSchema)]
pub struct RatiosDto {
    pub a: RatioDto,
    pub b: RatioDto,
    pub c: RatioDto,
    pub d: RatioDto,
    pub ungraded: RatioDto,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DepartmentRefDto {
    pub id: Uuid,
    pub name: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PlanDto {
    pub id: Uuid,
    /// `<item code>-<year>-<nn>`, e.g. `WY-2024-01-2026-01`.
    pub code: String,
    pub item_id: Uuid,
    pub item_code: String,
    pub item_name: String,
    /// general | key
    pub item_category: String,
    /// The item version the plan was last edited or submitted against.
    pub item_version: i32,
    pub year: i32,
    pub period_start: NaiveDate,
    pub period_end: NaiveDate,
    /// The plan covers this region's subtree.
    pub region_code: String,
    /// Tag expression ANDed with the item's object definition.
    pub narrowing_expr: Option<String>,
    pub ratios: RatiosDto,
    /// Entities inspected for the item within this many months are not drawn.
    pub cooldown_months: u8,
    pub inspectors_per_visit: u8,
    pub expert_count: u8,
    /// 按风险加权抽取: drawn within each credit class weighted by the entities' risk weights
    /// (the largest risk weight of their tags).
    pub risk_weighted: bool,
    /// 随机对照比例 in per mille: the share of each class's quota a risk-weighted plan draws
    /// at random, to measure the weighting's lift (0 for a plan without risk weighting).
    pub control_share_permille: u16,
    pub qualifications: Vec<String>,
    pub lead_department: DepartmentRefDto,
    /// The item's cooperating departments taking part.
    pub cooperating_departments: Vec<DepartmentRefDto>,
    /// draft | submitted | approved | published | in_progress | completed
    pub status: String,
    pub status_label: String,
    /// Why the coordination office returned the plan (until it is submitted again).
    pub return_reason: Option<String>,
    /// Submitted after 31 March of the plan year.
    pub late: bool,
    pub submitted_at: Option<DateTime<Utc>>,
    pub approved_at: Option<DateTime<Utc>>,
    pub published_at: Option<DateTime<Utc>>,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

pub(crate) fn ratios_dto(p: &Plan) -> RatiosDto {
    let r = |c| RatioDto::from(p.ratios.get(c));
    RatiosDto {
        a: r(RatioClass::A),
        b: r(RatioClass::B),
        c: r(RatioClass::C),
        d: r(RatioClass::D),
        ungraded: r(RatioClass::Ungraded),
    }
}

/// Items and department names the plans of a page refer to, looked up once each.
pub(crate) struct PlanNames {
    pub items: HashMap<Uuid, Item>,
    pub departments: HashMap<Uuid, String>,
}

impl PlanNames {
    pub async fn load(svc: &Services, plans: &[&Plan]) -> Self {
        let mut items = HashMap::new();
        for p in plans {
            if !items.contains_key(&p.item_id)
                && let Ok(i) = lianjian_services::items::get(svc, p.item_id).await
            {
                items.insert(i.id, i);
            }
        }
        let ids = plans
            .iter()
            .flat_map(|p| p.departments.iter().map(|d| d.department_id))
            .collect();
        Self {
            items,
            departments: department_names(svc, ids).await,
        }
    }

    pub fn department(&self, id: Uuid) -> String {
        self.departments
            .get(&id)
            .cloned()
            .unwrap_or_else(|| "（部门已删除）".into())
    }

    pub fn dept_ref(&self, id: Uuid) -> DepartmentRefDto {
        DepartmentRefDto {
            id,
            name: self.department(id),
        }
    }
}

pub(crate) fn plan_dto(p: Plan, n: &PlanNames) -> PlanDto {
    let item = n.items.get(&p.item_id);
    PlanDto {
        id: p.id,
        item_id: p.item_id,
        item_code: item.map(|i| i.code.clone()).unwrap_or_default(),
        item_name: item.map(|i| i.name.clone()).unwrap_or_default(),
        item_category: item
            .map(|i| i.category.as_str())
            .unwrap_or("general")
            .into(),
        item_version: p.item_version,
        year: p.year,
        period_start: p.period_start,
        period_end: p.period_end,
        region_code: p.region_code.to_string(),
        ratios: ratios_dto(&p),
        cooldown_months: p.cooldown_months,
        inspectors_per_visit: p.inspectors_per_visit,
        expert_count: p.expert_count,
        risk_weighted: p.risk_weighted,
        control_share_permille: p.control_share.per_mille(),
        lead_department: n.dept_ref(p.lead_department_id().unwrap_or_default()),
        cooperating_departments: p
            .cooperating_ids()
            .into_iter()
            .map(|d| n.dept_ref(d))
            .collect(),
        status: p.status.as_str().into(),
        status_label: p.status.label_zh().into(),
        late: p.late,
        submitted_at: p.submitted_at,
        approved_at: p.approved_at,
        published_at: p.published_at,
        created_at: p.created_at,
        updated_at: p.updated_at,
        narrowing_expr: p.narrowing_expr,
        qualifications: p.qualifications,
        return_reason: p.return_reason,
        created_by: p.created_by,
        code: p.code,
    }
}

async fn one_dto(svc: &Services, p: Plan) -> PlanDto {
    let n = PlanNames::load(svc, &[&p]).await;
    plan_dto(p, &n)
}

/// Filters of the plan lists.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[derive(Default)]
pub struct PlanFilter {
    /// Fragment of the plan code, or of the item's name or code.
    pub q: Option<String>,
    /// Plan year, e.g. 2026.
    pub year: Option<String>,
    /// Region code: plans of its subtree.
    pub region: Option<String>,
    /// draft | submitted | approved | published | in_progress | completed (or the Chinese labels); repeatable.
    pub status: Option<Vec<String>>,
    /// Item id or code.
    pub item: Option<String>,
    /// Department id: plans it leads or takes part in.
    pub department: Option<String>,
    /// `true` (or `1`): only plans submitted after 31 March of their year.
    pub late: Option<String>,
    /// year (default) | code | period | submitted | status | updated
    pub sort: Option<String>,
}

/// Reads the plan filters of a console query string, naming every bad one.
pub(crate) async fn plan_query(svc: &Services, p: &Params) -> Result<PlanQuery, ServiceError> {
    p.filter::<PlanFilter>()?.query(svc).await
}

impl PlanFilter {
    /// The service query, naming every bad filter.
    async fn query(&self, svc: &Services) -> Result<PlanQuery, ServiceError> {
        let mut errs: Vec<FieldError> = Vec::new();
        let mut q = PlanQuery {
            q: text(&self.q),
            ..Default::default()
        };
        let year = text_or_empty(&self.year);
        if !year.is_empty() {
            match lianjian_domain::plan::plan_year(&year) {
                Ok(y) => q.year = Some(y),
                Err(e) => errs.push(FieldError::new("year", e)),
            }
        }
        let region = text_or_empty(&self.region);
        if !region.is_empty() {
            match lianjian_domain::region::RegionCode::parse(&region) {
                Ok(r) => q.within = Some(r),
                Err(e) => errs.push(FieldError::new("region", e)),
            }
        }
        for s in split(self.status.as_deref().unwrap_or_default()) {
            match PlanStatus::parse(&s) {
                Ok(s) => q.statuses.push(s),
                Err(e) => errs.push(FieldError::new("status", e)),
            }
        }
        let item = text_or_empty(&self.item);
        if !item.is_empty() {
            let found = match Uuid::parse_str(&item) {
                Ok(id) => match lianjian_services::items::get(svc, id).await {
                    Ok(i) => Some(i),
                    Err(ServiceError::NotFound) => None,
                    Err(e) => return Err(e),
                },
                Err(_) => {
                    lianjian_services::items::by_code(svc, &item.to_ascii_uppercase()).await?
                }
            };
            match found {
                Some(i) => q.item_id = Some(i.id),
                None => errs.push(FieldError::new(
                    "item",
                    Invalid::new(
                        "unknown_item",
                        format!("监管事项“{item}”不存在"),
                        format!("item '{item}' does not exist"),
                    ),
                )),
            }
        }
        let dept = text_or_empty(&self.department);
        if !dept.is_empty() {
            match Uuid::parse_str(&dept) {
                Ok(d) => q.department_id = Some(d),
                Err(_) => errs.push(FieldError::new(
                    "department",
                    Invalid::new(
                        "unknown_department",
                        "部门参数应为部门 id",
                        "department must be a department id",
                    ),
                )),
            }
        }
        match text_or_empty(&self.late).as_str() {
            "" | "false" | "0" => {}
            "true" | "1" | "on" => q.late_only = true,
            other => errs.push(FieldError::new(
                "late",
                Invalid::new(
                    "not_a_boolean",
                    format!("参数 late“{other}”应为 true 或 false"),
                    format!("late '{other}' must be true or false"),
                ),
            )),
        }
        match PlanSort::parse(&text_or_empty(&self.sort)) {
            Some(s) => q.sort = s,
            None => errs.push(FieldError::new(
                "sort",
                Invalid::new(
                    "unknown_sort",
                    "排序方式应为 year、code、period、submitted、status 或 updated",
                    "sort must be year, code, period, submitted, status or updated",
                ),
            )),
        }
        if errs.is_empty() {
            Ok(q)
        } else {
            Err(ServiceError::Invalid(errs))
        }
    }
}

async fn page_dto(svc: &Services, p: Page<Plan>) -> PageOf<PlanDto> {
    let n = PlanNames::load(svc, &p.items.iter().collect::<Vec<_>>()).await;
    PageOf::from(p, |x| plan_dto(x, &n))
}

/// Plans in the caller's view (regions inside it or covering it; for department roles, plans
/// a department of their line takes part in).
#[utoipa::path(get, path = "/api/v1/plans", tag = "plans", params(PlanFilter, params::Pages),
    responses((status = 200, body = PageOf<PlanDto>), (status = 422, body = ErrorBody)))]
pub async fn list(
    State(st): State<AppState>,
    ApiActor(a): ApiActor,
    ApiQuery(f): ApiQuery<PlanFilter>,
    ApiQuery(p): ApiQuery<params::Pages>,
) -> Result<Json<PageOf<PlanDto>>, ApiError> {
    let query = f.query(&st.svc).await?;
    let page = plans::list(&st.svc, &a, query, p.request()?).await?;
    Ok(Json(page_dto(&st.svc, page).await))
}

/// One plan.
#[utoipa::path(get, path = "/api/v1/plans/{id}", tag = "plans",
    responses((status = 200, body = PlanDto), (status = 404, body = ErrorBody)))]
pub async fn get(
    State(st): State<AppState>,
    ApiActor(a): ApiActor,
    Path(id): Path<String>,
) -> Result<Json<PlanDto>, ApiError> {
    let p = plans::get(&st.svc, &a, params::id(&id)?).await?;
    Ok(Json(one_dto(&st.svc, p).await))
}

/// A plan as posted. Omitted values take their defaults.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PlanBody {
    /// Item id or code (a published item). On update, the plan's own item or omitted.
    #[serde(default)]
    pub item: String,
    /// Plan year, e.g. "2026".
    pub year: String,
    /// YYYY-MM-DD within the year; default 1 January.
    #[serde(default)]
    pub period_start: String,
    /// YYYY-MM-DD within the year; default 31 December.
    #[serde(default)]
    pub period_end: String,
    /// Region code of the plan's scope, within the item's region and the caller's; default the
    /// narrower of the two.
    #[serde(default)]
    pub region_code: String,
    /// Tag expression ANDed with the item's object definition, e.g. `credit:C,D`.
    #[serde(default)]
    pub narrowing_expr: String,
    /// Percent, at most one decimal: "3", "2.5%". Default 3 %.
    #[serde(default)]
    pub ratio_a: String,
    /// Default 10 %.
    #[serde(default)]
    pub ratio_b: String,
    /// Default 30 %.
    #[serde(default)]
    pub ratio_c: String,
    /// Default 70 % (100 % for key items).
    #[serde(default)]
    pub ratio_d: String,
    /// Entities not yet graded. Default 10 %.
    #[serde(default)]
    pub ratio_ungraded: String,
    /// 0–36, default 6.
    #[serde(default)]
    pub cooldown_months: String,
    /// 2–10, default 2.
    #[serde(default)]
    pub inspectors_per_visit: String,
    /// 0–10, default 0.
    #[serde(default)]
    pub expert_count: String,
    /// Ids of the item's cooperating departments taking part; omitted: all of them.
    #[serde(default)]
    pub cooperating: Option<Vec<String>>,
    /// Required qualifications, e.g. ["特种设备"].
    #[serde(default)]
    pub qualifications: Vec<String>,
    /// 按风险加权抽取 (default false): within each credit class, entities with a higher risk
    /// weight are likelier to be drawn; counts stay exact.
    #[serde(default)]
    pub risk_weighted: bool,
    /// 随机对照比例 of a risk-weighted plan, as a percentage text like the ratios (`10`,
    /// `12.5%`); blank or omitted: 10 %. Must be blank or 0 when `risk_weighted` is false.
    #[serde(default)]
    pub control_share: String,
}

impl From<PlanBody> for PlanInput {
    fn from(b: PlanBody) -> Self {
        PlanInput {
            item: b.item,
            year: b.year,
            period_start: b.period_start,
            period_end: b.period_end,
            region_code: b.region_code,
            narrowing_expr: b.narrowing_expr,
            ratio_a: b.ratio_a,
            ratio_b: b.ratio_b,
            ratio_c: b.ratio_c,
            ratio_d: b.ratio_d,
            ratio_ungraded: b.ratio_ungraded,
            cooldown_months: b.cooldown_months,
            inspectors_per_visit: b.inspectors_per_visit,
            expert_count: b.expert_count,
            cooperating: b.cooperating,
            qualifications: b.qualifications.join("、"),
            risk_weighted: b.risk_weighted,
            control_share: b.control_share,
        }
    }
}

/// Files a draft plan for a published item (its lead department's administrators, coordination
/// offices, system administrators).
#[utoipa::path(post, path = "/api/v1/plans", tag = "plans", request_body = PlanBody,
    responses((status = 201, body = PlanDto), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create(
    State(st): State<AppState>,
    ApiActor(a): ApiActor,
    ApiJson(b): ApiJson<PlanBody>,
) -> Result<(StatusCode, Json<PlanDto>), ApiError> {
    let p = plans::create(&st.svc, &a, &b.into()).await?;
    Ok((StatusCode::CREATED, Json(one_dto(&st.svc, p).await)))
}

/// Replaces a draft plan.
#[utoipa::path(put, path = "/api/v1/plans/{id}", tag = "plans", request_body = PlanBody,
    responses((status = 200, body = PlanDto), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn update(
    State(st): State<AppState>,
    ApiActor(a): ApiActor,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<PlanBody>,
) -> Result<Json<PlanDto>, ApiError> {
    let p = plans::update(&st.svc, &a, params::id(&id)?, &b.into()).await?;
    Ok(Json(one_dto(&st.svc, p).await))
}

/// Draft → submitted (报送), by the lead department. Flags it late after 31 March of its year.
#[utoipa::path(post, path = "/api/v1/plans/{id}/submit", tag = "plans",
    responses((status = 200, body = PlanDto), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn submit(
    State(st): State<AppState>,
    ApiActor(a): ApiActor,
    Path(id): Path<String>,
) -> Result<Json<PlanDto>, ApiError> {
    let p = plans::submit(&st.svc, &a, params::id(&id)?).await?;
    Ok(Json(one_dto(&st.svc, p).await))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReturnBody {
    /// What the lead department must change (2–500 characters).
    pub reason: String,
}

/// Submitted → draft (退回), by the coordination office, with a reason.
#[utoipa::path(post, path = "/api/v1/plans/{id}/return", tag = "plans", request_body = ReturnBody,
    responses((status = 200, body = PlanDto), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn return_plan(
    State(st): State<AppState>,
    ApiActor(a): ApiActor,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<ReturnBody>,
) -> Result<Json<PlanDto>, ApiError> {
    let p = plans::return_plan(&st.svc, &a, params::id(&id)?, &b.reason).await?;
    Ok(Json(one_dto(&st.svc, p).await))
}

/// Submitted → approved (审核通过), by the coordination office of the plan's region or above.
#[utoipa::path(post, path = "/api/v1/plans/{id}/approve", tag = "plans",
    responses((status = 200, body = PlanDto), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn approve(
    State(st): State<AppState>,
    ApiActor(a): ApiActor,
    Path(id): Path<String>,
) -> Result<Json<PlanDto>, ApiError> {
    let p = plans::approve(&st.svc, &a, params::id(&id)?).await?;
    Ok(Json(one_dto(&st.svc, p).await))
}

/// Approved → published (抽查计划公告), by the coordination office; the plan becomes public.
#[utoipa::path(post, path = "/api/v1/plans/{id}/publish", tag = "plans",
    responses((status = 200, body = PlanDto), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn publish(
    State(st): State<AppState>,
    ApiActor(a): ApiActor,
    Path(id): Path<String>,
) -> Result<Json<PlanDto>, ApiError> {
    let p = plans::publish(&st.svc, &a, params::id(&id)?).await?;
    Ok(Json(one_dto(&st.svc, p).await))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AnnualFilter {
    /// Plan year, e.g. 2026.
    pub year: String,
    /// Region code of the level; default the caller's.
    pub region: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct StatusCountDto {
    pub status: String,
    pub status_label: String,
    pub count: u64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AnnualPlanDto {
    pub year: i32,
    pub region_code: String,
    pub region_name: String,
    /// Plans per status, in life-cycle order (statuses with none left out).
    pub counts: Vec<StatusCountDto>,
    /// Plans submitted after 31 March.
    pub late: u64,
    pub plans: Vec<PlanDto>,
}

pub(crate) fn counts_dto(a: &AnnualPlan) -> Vec<StatusCountDto> {
    a.counts
        .iter()
        .map(|(s, n)| StatusCountDto {
            status: s.as_str().into(),
            status_label: s.label_zh().into(),
            count: *n,
        })
        .collect()
}

/// The aggregated annual plan of a level (本级年度抽查工作计划): every plan led by a department
/// of that region, with counts by status. Coordination offices, system administrators, leaders.
#[utoipa::path(get, path = "/api/v1/plans/annual", tag = "plans", params(AnnualFilter),
    responses((status = 200, body = AnnualPlanDto), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn annual(
    State(st): State<AppState>,
    ApiActor(a): ApiActor,
    ApiQuery(f): ApiQuery<AnnualFilter>,
) -> Result<Json<AnnualPlanDto>, ApiError> {
    let ap = plans::annual(&st.svc, &a, f.year.trim(), &text_or_empty(&f.region)).await?;
    let counts = counts_dto(&ap);
    let plans: Vec<Plan> = ap.rows.into_iter().map(|r| r.plan).collect();
    let n = PlanNames::load(&st.svc, &plans.iter().collect::<Vec<_>>()).await;
    Ok(Json(AnnualPlanDto {
        year: ap.year,
        region_code: ap.region.to_string(),
        region_name: ap.region_name,
        counts,
        late: ap.late,
        plans: plans.into_iter().map(|x| plan_dto(x, &n)).collect(),
    }))
}

/// A published plan as the public reads it.
#[derive(Debug, Serialize, ToSchema)]
pub struct PublicPlanDto {
    pub code: String,
    pub item_code: String,
    pub item_name: String,
    pub year: i32,
    pub period_start: NaiveDate,
    pub period_end: NaiveDate,
    pub region_code: String,
    pub lead_department: String,
    pub cooperating_departments: Vec<String>,
    pub ratios: RatiosDto,
    pub inspectors_per_visit: u8,
    /// published | in_progress | completed
    pub status: String,
    pub status_label: String,
    pub published_at: Option<DateTime<Utc>>,
}

pub(crate) fn public_dto(p: Plan, n: &PlanNames) -> PublicPlanDto {
    let item = n.items.get(&p.item_id);
    PublicPlanDto {
        item_code: item.map(|i| i.code.clone()).unwrap_or_default(),
        item_name: item.map(|i| i.name.clone()).unwrap_or_default(),
        year: p.year,
        period_start: p.period_start,
        period_end: p.period_end,
        region_code: p.region_code.to_string(),
        lead_department: n.department(p.lead_department_id().unwrap_or_default()),
        cooperating_departments: p
            .cooperating_ids()
            .into_iter()
            .map(|d| n.department(d))
            .collect(),
        ratios: ratios_dto(&p),
        inspectors_per_visit: p.inspectors_per_visit,
        status: p.status.as_str().into(),
        status_label: p.status.label_zh().into(),
        published_at: p.published_at,
        code: p.code,
    }
}

/// Filters of the public plan list.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PublicPlanFilter {
    /// Fragment of the plan code, or of the item's name or code.
    pub q: Option<String>,
    pub year: Option<String>,
    /// Region code: plans of its subtree.
    pub region: Option<String>,
    /// Item id or code.
    pub item: Option<String>,
    /// Department id: plans it leads or takes part in.
    pub department: Option<String>,
}

/// Published plans (and those in progress or completed), for the public (抽查计划公告; no sign-in).
#[utoipa::path(get, path = "/api/v1/public/plans", tag = "plans", security(()), params(PublicPlanFilter, params::Pages),
    responses((status = 200, body = PageOf<PublicPlanDto>), (status = 422, body = ErrorBody)))]
pub async fn public_list(
    State(st): State<AppState>,
    ApiQuery(f): ApiQuery<PublicPlanFilter>,
    ApiQuery(p): ApiQuery<params::Pages>,
) -> Result<Json<PageOf<PublicPlanDto>>, ApiError> {
    let filter = PlanFilter {
        q: f.q,
        year: f.year,
        region: f.region,
        item: f.item,
        department: f.department,
        ..Default::default()
    };
    let query = filter.query(&st.svc).await?;
    let page = plans::public_list(&st.svc, query, p.request()?).await?;
    let n = PlanNames::load(&st.svc, &page.items.iter().collect::<Vec<_>>()).await;
    Ok(Json(PageOf::from(page, |x| public_dto(x, &n))))
}
