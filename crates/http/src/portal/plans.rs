//! 抽查计划公告 for the public: published plans (and those being carried out or completed), no
//! login, searchable by year, department, item and region; each plan with its item, period,
//! scope, departments and sampling ratios.

use std::collections::BTreeMap;

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use lianjian_domain::item::ItemStatus;
use lianjian_domain::plan::RatioClass;
use lianjian_services::plans::{Plan, PlanQuery, PlanSort};
use lianjian_services::{PageRequest, ServiceError, plans};

use crate::AppState;
use crate::api::params::Params;
use crate::api::plans::{PlanNames, plan_query};
use crate::console::render;
use crate::i18n::{Messages, zh_cn};
use crate::pager::Pager;

/// A published plan as the public reads it.
pub struct PublicPlan {
    code: String,
    item_code: String,
    item_name: String,
    /// The item's public page, when it is published.
    item_public: bool,
    object_description: String,
    year: i32,
    period: String,
    region: String,
    lead: String,
    cooperating: String,
    /// (class, ratio)
    ratios: Vec<(&'static str, String)>,
    inspectors_per_visit: u8,
    status: String,
    published: String,
}

async fn public_plan(svc: &lianjian_services::Services, p: Plan, n: &PlanNames) -> PublicPlan {
    let item = n.items.get(&p.item_id);
    let region = lianjian_services::regions::path_name(svc, &p.region_code)
        .await
        .unwrap_or_else(|_| p.region_code.to_string());
    let coop: Vec<String> = p
        .cooperating_ids()
        .into_iter()
        .map(|d| n.department(d))
        .collect();
    PublicPlan {
        item_code: item.map(|i| i.code.clone()).unwrap_or_default(),
        item_name: item.map(|i| i.name.clone()).unwrap_or_default(),
        item_public: item.is_some_and(|i| i.status == ItemStatus::Published),
        object_description: item
            .map(|i| i.object_description.clone())
            .unwrap_or_default(),
        year: p.year,
        period: format!("{} 至 {}", p.period_start, p.period_end),
        region,
        lead: n.department(p.lead_department_id().unwrap_or_default()),
        cooperating: if coop.is_empty() {
            "—".into()
        } else {
            coop.join("、")
        },
        ratios: RatioClass::ALL
            .iter()
            .map(|c| (c.label_zh(), p.ratios.get(*c).to_string()))
            .collect(),
        inspectors_per_visit: p.inspectors_per_visit,
        status: p.status.label_zh().into(),
        published: p
            .published_at
            .as_ref()
            .map(|t| crate::console::local(t)[..10].to_string())
            .unwrap_or_default(),
        code: p.code,
    }
}

#[derive(Template)]
#[template(path = "portal/plans.html")]
struct ListPage {
    t: &'static Messages,
    frame: super::Frame,
    plans: Vec<PublicPlan>,
    q: String,
    year: String,
    region: String,
    department: String,
    departments: Vec<(String, String)>,
    regions: Vec<(String, String)>,
    errors: BTreeMap<String, String>,
    pager: Pager,
    filtered: bool,
}

fn unavailable(e: impl std::fmt::Display) -> Response {
    super::unavailable("portal plans", e)
}

/// Departments that lead or take part in some public plan, for the filter.
async fn department_options(svc: &lianjian_services::Services) -> Vec<(String, String)> {
    let q = PlanQuery {
        sort: PlanSort::Year,
        ..Default::default()
    };
    let Ok(page) = plans::public_list(svc, q, PageRequest::new(Some(1), Some(200))).await else {
        return Vec::new();
    };
    let ids = page
        .items
        .iter()
        .flat_map(|p| p.departments.iter().map(|d| d.department_id))
        .collect();
    let mut v: Vec<(String, String)> = crate::api::entities::department_names(svc, ids)
        .await
        .into_iter()
        .map(|(k, n)| (k.to_string(), n))
        .collect();
    v.sort_by(|a, b| a.1.cmp(&b.1));
    v
}

pub async fn list(State(st): State<AppState>, Query(q): Query<Vec<(String, String)>>) -> Response {
    let svc = &st.svc;
    let mut p = Params(q);
    p.0.retain(|(k, _)| k != "status" && k != "late");
    let (q_s, year, region, department) = (
        p.one("q"),
        p.one("year"),
        p.one("region"),
        p.one("department"),
    );
    let mut errors = BTreeMap::new();
    let req = Pager::request(&p.0, 10);
    let page = match plan_query(svc, &p).await {
        Ok(query) => match plans::public_list(svc, query, req).await {
            Ok(p) => p,
            Err(e) => return unavailable(e),
        },
        Err(ServiceError::Invalid(fs)) => {
            errors = fs.into_iter().map(|f| (f.field, f.message)).collect();
            lianjian_services::Page {
                items: Vec::new(),
                total: 0,
                page: 1,
                per_page: req.per_page,
            }
        }
        Err(e) => return unavailable(e),
    };
    let names = PlanNames::load(svc, &page.items.iter().collect::<Vec<_>>()).await;
    let pager = Pager::of(&page, &p.0);
    let mut out = Vec::with_capacity(page.items.len());
    for x in page.items {
        out.push(public_plan(svc, x, &names).await);
    }
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let page = ListPage {
        t: zh_cn(),
        frame: super::Frame::of(svc, "plans"),
        plans: out,
        departments: department_options(svc).await,
        regions: super::region_options(svc).await,
        filtered: [&q_s, &year, &region, &department]
            .iter()
            .any(|v| !v.is_empty()),
        q: q_s,
        year,
        region,
        department,
        errors,
        pager,
    };
    (status, render(page)).into_response()
}

#[derive(Template)]
#[template(path = "portal/plan_detail.html")]
struct DetailPage {
    t: &'static Messages,
    frame: super::Frame,
    p: PublicPlan,
}

pub async fn detail(State(st): State<AppState>, Path(code): Path<String>) -> Response {
    let svc = &st.svc;
    match plans::public_get(svc, &code).await {
        Ok(p) => {
            let names = PlanNames::load(svc, &[&p]).await;
            render(DetailPage {
                t: zh_cn(),
                frame: super::Frame::of(svc, "plans"),
                p: public_plan(svc, p, &names).await,
            })
        }
        Err(ServiceError::NotFound) => super::not_found_page(svc),
        Err(e) => unavailable(e),
    }
}
