//! 监管事项清单 for the public: published items only, no login. What is supervised, who leads,
//! who cooperates, on what basis, how and how often; each item with its check points.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use lianjian_domain::item::{DepartmentRole, ItemStatus};
use lianjian_services::items;
use lianjian_services::items::{Item, ItemQuery};

use crate::AppState;
use crate::api::items::Names;
use crate::api::params::Params;
use crate::console::render;
use crate::i18n::{Messages, zh_cn};
use crate::pager::Pager;

pub struct Dept {
    name: String,
    duties: String,
    legal_basis: String,
}

pub struct PointGroup {
    dimension: String,
    points: Vec<(String, String)>,
}

/// A published item as the public reads it.
pub struct PublicItem {
    code: String,
    name: String,
    sector: String,
    object_description: String,
    lead: Option<Dept>,
    cooperating: Vec<Dept>,
    methods: String,
    frequency: String,
    level: String,
    version: i32,
    published: String,
    groups: Vec<PointGroup>,
}

fn public_item(i: Item, n: &Names) -> PublicItem {
    let dept = |d: &lianjian_services::items::ItemDepartment| Dept {
        name: n.department(d.department_id),
        duties: d.duties.clone(),
        legal_basis: d.legal_basis.clone(),
    };
    PublicItem {
        sector: i
            .sector_id
            .and_then(|x| n.sectors.get(&x).cloned())
            .unwrap_or_default(),
        lead: i
            .departments
            .iter()
            .find(|d| d.role == DepartmentRole::Lead)
            .map(dept),
        cooperating: i
            .departments
            .iter()
            .filter(|d| d.role == DepartmentRole::Cooperating)
            .map(dept)
            .collect(),
        methods: i
            .methods
            .iter()
            .map(|m| m.label_zh())
            .collect::<Vec<_>>()
            .join("、"),
        frequency: i
            .default_frequency
            .clone()
            .unwrap_or_else(|| "按抽查计划确定".into()),
        level: i.implementation_level.label_zh().into(),
        version: i.version,
        published: i
            .published_at
            .as_ref()
            .map(|t| crate::console::local(t)[..10].to_string())
            .unwrap_or_default(),
        groups: lianjian_domain::item::Dimension::ALL
            .iter()
            .filter_map(|d| {
                let points: Vec<(String, String)> = i
                    .check_points
                    .iter()
                    .filter(|p| p.dimension == *d)
                    .map(|p| (p.content.clone(), p.legal_basis.clone()))
                    .collect();
                (!points.is_empty()).then(|| PointGroup {
                    dimension: d.label_zh().into(),
                    points,
                })
            })
            .collect(),
        object_description: i.object_description,
        code: i.code,
        name: i.name,
    }
}

#[derive(Template)]
#[template(path = "portal/items.html")]
struct ListPage {
    t: &'static Messages,
    frame: super::Frame,
    items: Vec<PublicItem>,
    q: String,
    pager: Pager,
}

pub async fn list(State(st): State<AppState>, Query(q): Query<Vec<(String, String)>>) -> Response {
    let svc = &st.svc;
    let p = Params(q);
    let q_s = p.one("q");
    let query = ItemQuery {
        q: Some(q_s.clone()).filter(|s| !s.is_empty()),
        status: Some(ItemStatus::Published),
        ..Default::default()
    };
    let req = Pager::request(&p.0, 10);
    let page = match items::list(svc, &svc.public_scope(), query, req).await {
        Ok(p) => p,
        Err(e) => return super::unavailable("portal items", e),
    };
    // Lists carry only the item head; the public page shows departments and basis too.
    let mut full = Vec::with_capacity(page.items.len());
    for i in &page.items {
        if let Ok(x) = items::get(svc, i.id).await {
            full.push(x);
        }
    }
    let names = Names::load(svc, &full.iter().collect::<Vec<_>>()).await;
    let pager = Pager::of(&page, &p.0);
    render(ListPage {
        t: zh_cn(),
        frame: super::Frame::of(svc, "items"),
        items: full.into_iter().map(|i| public_item(i, &names)).collect(),
        q: q_s,
        pager,
    })
}

#[derive(Template)]
#[template(path = "portal/item_detail.html")]
struct DetailPage {
    t: &'static Messages,
    frame: super::Frame,
    i: PublicItem,
}

pub async fn detail(State(st): State<AppState>, Path(code): Path<String>) -> Response {
    let svc = &st.svc;
    let code = code.trim().to_ascii_uppercase();
    // Published items are public; drafts and retired ones are not found here.
    match lianjian_services::items::by_code(svc, &code).await {
        Ok(Some(i))
            if i.status == ItemStatus::Published && svc.site.publishes(&i.region_code, true) =>
        {
            let names = Names::load(svc, &[&i]).await;
            render(DetailPage {
                t: zh_cn(),
                frame: super::Frame::of(svc, "items"),
                i: public_item(i, &names),
            })
        }
        Ok(_) => super::not_found_page(svc),
        Err(e) => super::unavailable("portal item", e),
    }
}
