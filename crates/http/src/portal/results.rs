//! 检查结果公示 for the public (一公开): published results only, no login, searchable by
//! entity (name or credit code), item, department, region and visit date. Entity, item,
//! department, date, result and whether the visit was drawn (双随机) — never inspectors,
//! notes or personal data (the service's `PublicResult` carries none).

use std::collections::BTreeMap;

use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use lianjian_services::inspections::{self, PublicResult};
use lianjian_services::{Page, PageRequest};

use crate::AppState;
use crate::api::params::Params;
use crate::api::visits::result_query;
use crate::console::render;
use crate::console::results::{
    ResultFilters, item_department_options, item_options, query_errors, result_options,
};
use crate::i18n::{Messages, zh_cn};

pub struct Row {
    entity_name: String,
    usci: String,
    item: String,
    department: String,
    visited_on: String,
    result: String,
    random: bool,
    published_on: String,
}

fn row(r: PublicResult) -> Row {
    Row {
        entity_name: r.entity_name,
        usci: r.usci,
        item: r.item_name,
        department: r.department,
        visited_on: r
            .visited_on
            .map(|d| d.to_string())
            .unwrap_or_else(|| "—".into()),
        result: r.result.unwrap_or_else(|| "—".into()),
        random: r.random,
        published_on: r.published_on.map(|d| d.to_string()).unwrap_or_default(),
    }
}

#[derive(Template)]
#[template(path = "portal/results.html")]
struct ListPage {
    t: &'static Messages,
    rows: Vec<Row>,
    f: ResultFilters,
    items: Vec<(String, String)>,
    departments: Vec<(String, String)>,
    results: Vec<(&'static str, &'static str)>,
    errors: BTreeMap<String, String>,
    total: u64,
    page: u64,
    pages: u64,
    query: String,
}

pub async fn list(State(st): State<AppState>, Query(q): Query<Vec<(String, String)>>) -> Response {
    let svc = &st.svc;
    let mut p = Params(q);
    // Publication deadlines are the staff's business.
    p.0.retain(|(k, _)| k != "late");
    let f = ResultFilters::of(&p);
    let req = PageRequest::new(p.one("page").parse().ok(), Some(20));
    let mut errors = BTreeMap::new();
    let page = match result_query(&p) {
        Ok(query) => match inspections::public_results(svc, &query, req).await {
            Ok(p) => p,
            Err(e) => {
                tracing::error!(error = %e, "portal results failed");
                return (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "服务暂不可用，请稍后再试",
                )
                    .into_response();
            }
        },
        Err(e) => {
            errors = query_errors(e);
            Page {
                items: Vec::new(),
                total: 0,
                page: 1,
                per_page: 20,
            }
        }
    };
    let (total, page_no, pages) = (page.total, page.page, page.pages());
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let body = render(ListPage {
        t: zh_cn(),
        rows: page.items.into_iter().map(row).collect(),
        items: item_options(svc).await,
        departments: item_department_options(svc).await,
        results: result_options(),
        errors,
        total,
        page: page_no,
        pages,
        query: f.query(),
        f,
    });
    (status, body).into_response()
}
