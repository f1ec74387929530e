//! 检查结果公示 for the public (一公开): published results of the site's jurisdiction only, no
//! login, one row per visit (a joint visit once, with every department's results), searchable
//! by entity (name or credit code), item, department, region (by name) and visit date. Entity, item,
//! department, date, result and whether the visit was drawn (双随机) — never inspectors,
//! notes or personal data (the service's `PublicResult` carries none).

use std::collections::BTreeMap;

use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use lianjian_services::Page;
use lianjian_services::visits::{self, PublicVisit};

use crate::AppState;
use crate::api::params::Params;
use crate::api::visits::result_query;
use crate::console::render;
use crate::console::results::{
    ResultFilters, item_department_options, item_options, query_errors, result_options,
};
use crate::i18n::{Messages, zh_cn};
use crate::pager::Pager;

use super::Frame;

/// One published visit as a row: a joint visit once, with each department's results.
pub struct Row {
    entity_name: String,
    usci: String,
    visited_on: String,
    departments: String,
    joint: bool,
    /// (department, item, result) of each item result.
    results: Vec<(String, String, String)>,
    random: bool,
    published_on: String,
}

fn row(v: PublicVisit) -> Row {
    Row {
        departments: v.departments().join("、"),
        joint: v.is_joint(),
        entity_name: v.entity_name,
        usci: v.usci,
        visited_on: v
            .visited_on
            .map(|d| d.to_string())
            .unwrap_or_else(|| "—".into()),
        results: v
            .results
            .into_iter()
            .map(|r| {
                (
                    r.department,
                    r.item_name,
                    r.result.unwrap_or_else(|| "—".into()),
                )
            })
            .collect(),
        random: v.random,
        published_on: v.published_on.map(|d| d.to_string()).unwrap_or_default(),
    }
}

#[derive(Template)]
#[template(path = "portal/results.html")]
struct ListPage {
    t: &'static Messages,
    frame: Frame,
    rows: Vec<Row>,
    f: ResultFilters,
    items: Vec<(String, String)>,
    departments: Vec<(String, String)>,
    regions: Vec<(String, String)>,
    results: Vec<(&'static str, &'static str)>,
    errors: BTreeMap<String, String>,
    pager: Pager,
    filtered: bool,
}

pub async fn list(State(st): State<AppState>, Query(q): Query<Vec<(String, String)>>) -> Response {
    let svc = &st.svc;
    let mut p = Params(q);
    // Publication deadlines are the staff's business.
    p.0.retain(|(k, _)| k != "late");
    let f = ResultFilters::of(&p);
    let req = Pager::request(&p.0, 20);
    let mut errors = BTreeMap::new();
    let page = match result_query(&p) {
        Ok(query) => match visits::public_visits(svc, &query, req).await {
            Ok(p) => p,
            Err(e) => return super::unavailable("portal results", e),
        },
        Err(e) => {
            errors = query_errors(e);
            Page {
                items: Vec::new(),
                total: 0,
                page: 1,
                per_page: req.per_page,
            }
        }
    };
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let pager = Pager::of(&page, &p.0);
    let body = render(ListPage {
        t: zh_cn(),
        frame: Frame::of(svc, "results"),
        rows: page.items.into_iter().map(row).collect(),
        items: item_options(svc, &svc.public_scope()).await,
        departments: item_department_options(svc).await,
        regions: super::region_options(svc).await,
        results: result_options(),
        errors,
        filtered: !f.is_empty(),
        pager,
        f,
    });
    (status, body).into_response()
}
