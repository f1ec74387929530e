//! 检查结果 in the console: the results of completed visits in the actor's view, with their
//! publication deadline (公示期限, 20 working days after completion), late ones flagged, the
//! same filters as the portal plus 逾期未公示, and the filtered list as xlsx.

use std::collections::BTreeMap;

use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use lianjian_domain::scope::Scope;
use lianjian_domain::visit::ResultCode;
use lianjian_services::items::ItemQuery;
use lianjian_services::visits::{self, ResultEntry};
use lianjian_services::{Page, PageRequest, Services};
use uuid::Uuid;

use super::{Chrome, ConsoleError, Pager, render};
use crate::AppState;
use crate::api::params::Params;
use crate::api::visits::result_query;
use crate::extract::Console;

/// The filters of result lists as typed, for the form and the paging links.
#[derive(Debug, Clone, Default)]
pub struct ResultFilters {
    pub entity: String,
    pub item: String,
    pub department: String,
    pub region: String,
    pub from: String,
    pub to: String,
    pub result: String,
    pub late: String,
}

impl ResultFilters {
    pub fn of(p: &Params) -> Self {
        ResultFilters {
            entity: p.one("entity"),
            item: p.one("item"),
            department: p.one("department"),
            region: p.one("region"),
            from: p.one("from"),
            to: p.one("to"),
            result: p.one("result"),
            late: p.one("late"),
        }
    }

    pub fn pairs(&self) -> Vec<(&'static str, &str)> {
        vec![
            ("entity", &self.entity),
            ("item", &self.item),
            ("department", &self.department),
            ("region", &self.region),
            ("from", &self.from),
            ("to", &self.to),
            ("result", &self.result),
            ("late", &self.late),
        ]
    }

    /// The filters as `k=v&` (empty when none is set).
    pub fn query(&self) -> String {
        super::query_prefix(&self.pairs())
    }

    pub fn is_empty(&self) -> bool {
        self.pairs().iter().all(|(_, v)| v.is_empty())
    }
}

/// The national result codes for the filter, (code, label).
pub fn result_options() -> Vec<(&'static str, &'static str)> {
    ResultCode::ALL
        .iter()
        .map(|c| (c.as_str(), c.label_zh()))
        .collect()
}

/// Published items that apply in `scope` for the item filter, (id, "code name"): for staff their
/// own view (their region's list, its ancestors' and its subtree's — never another province's
/// pilot items), for the portal the site's jurisdiction.
pub async fn item_options(svc: &Services, scope: &Scope) -> Vec<(String, String)> {
    let q = ItemQuery {
        status: Some(lianjian_domain::item::ItemStatus::Published),
        ..Default::default()
    };
    lianjian_services::items::list(svc, scope, q, PageRequest::new(Some(1), Some(200)))
        .await
        .map(|p| {
            p.items
                .into_iter()
                .map(|i| (i.id.to_string(), format!("{} {}", i.code, i.name)))
                .collect()
        })
        .unwrap_or_default()
}

/// Departments that lead or take part in a published item, for the department filter.
pub async fn item_department_options(svc: &Services) -> Vec<(String, String)> {
    let q = ItemQuery {
        status: Some(lianjian_domain::item::ItemStatus::Published),
        ..Default::default()
    };
    let Ok(page) = lianjian_services::items::list(
        svc,
        &svc.public_scope(),
        q,
        PageRequest::new(Some(1), Some(200)),
    )
    .await
    else {
        return Vec::new();
    };
    let mut ids: Vec<Uuid> = Vec::new();
    for i in page.items {
        if let Ok(full) = lianjian_services::items::get(svc, i.id).await {
            ids.extend(full.departments.iter().map(|d| d.department_id));
        }
    }
    ids.sort();
    ids.dedup();
    let mut v: Vec<(String, String)> = crate::api::entities::department_names(svc, ids)
        .await
        .into_iter()
        .map(|(k, n)| (k.to_string(), n))
        .collect();
    v.sort_by(|a, b| a.1.cmp(&b.1).then(a.0.cmp(&b.0)));
    v
}

/// Field errors of a query string that did not parse.
pub fn query_errors(e: crate::ApiError) -> BTreeMap<String, String> {
    let mut m = BTreeMap::new();
    for d in e.details {
        m.entry(d.field).or_insert(d.message);
    }
    if m.is_empty() {
        m.insert("_".into(), e.message);
    }
    m
}

pub struct Row {
    pub visit_id: Uuid,
    pub visit_code: String,
    pub entity_name: String,
    pub usci: String,
    pub item: String,
    pub department: String,
    pub visited_on: String,
    pub result: String,
    pub follow_up: String,
    pub status: String,
    pub random: bool,
    pub deadline: String,
    pub published: String,
    pub late: bool,
}

fn row(e: ResultEntry) -> Row {
    let r = e.row;
    Row {
        visit_id: r.visit_id,
        visit_code: r.visit_code,
        entity_name: r.entity_name,
        usci: r.usci,
        item: r.item_name,
        department: r.department_name,
        visited_on: r
            .visited_on
            .map(|d| d.to_string())
            .unwrap_or_else(|| "—".into()),
        result: e.result_zh.unwrap_or_else(|| "—".into()),
        follow_up: e.follow_up_zh.unwrap_or_default(),
        status: e.status_zh,
        random: r.trigger == lianjian_domain::visit::VisitTrigger::Random,
        deadline: r
            .publish_deadline
            .map(|d| d.to_string())
            .unwrap_or_else(|| "—".into()),
        published: r
            .published_at
            .map(|t| lianjian_domain::visit::beijing_date(t).to_string())
            .unwrap_or_default(),
        late: e.late,
    }
}

#[derive(Template)]
#[template(path = "console/results.html")]
struct ListPage {
    c: Chrome,
    rows: Vec<Row>,
    pager: Pager,
    f: ResultFilters,
    items: Vec<(String, String)>,
    departments: Vec<(String, String)>,
    results: Vec<(&'static str, &'static str)>,
    errors: BTreeMap<String, String>,
    export: String,
}

pub async fn list(
    State(st): State<AppState>,
    Console(s): Console,
    Query(q): Query<Vec<(String, String)>>,
) -> Result<Response, ConsoleError> {
    let svc = &st.svc;
    let p = Params(q);
    let f = ResultFilters::of(&p);
    let req = PageRequest::new(p.one("page").parse().ok(), Some(20));
    let mut errors = BTreeMap::new();
    let page = match result_query(&p) {
        Ok(query) => visits::results(svc, &s.actor, &query, req).await?,
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
    let pager = Pager::new(&page, &f.pairs());
    let departments = lianjian_services::departments::list(
        svc,
        &s.actor,
        &Default::default(),
        PageRequest::new(Some(1), Some(200)),
    )
    .await
    .map(|p| {
        p.items
            .into_iter()
            .map(|d| (d.id.to_string(), d.name))
            .collect()
    })
    .unwrap_or_default();
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let export = format!("/console/results/export?{}", f.query());
    let body = render(ListPage {
        c: Chrome::new(svc, &s, "results").await,
        rows: page.items.into_iter().map(row).collect(),
        pager,
        items: item_options(svc, &Scope::of(&s.actor)).await,
        departments,
        results: result_options(),
        errors,
        export: export.trim_end_matches(['&', '?']).to_string(),
        f,
    });
    Ok((status, body).into_response())
}

/// The filtered list, every page, as xlsx.
pub async fn export(
    State(st): State<AppState>,
    Console(s): Console,
    Query(q): Query<Vec<(String, String)>>,
) -> Result<Response, ConsoleError> {
    let p = Params(q);
    let query = match result_query(&p) {
        Ok(q) => q,
        Err(e) => {
            return Err(ConsoleError::from(
                lianjian_services::ServiceError::Invalid(
                    e.details
                        .into_iter()
                        .map(|d| lianjian_services::FieldError {
                            field: d.field,
                            code: d.code,
                            message: d.message,
                            message_en: d.message_en,
                        })
                        .collect(),
                ),
            ));
        }
    };
    let bytes = visits::export_results(&st.svc, &s.actor, &query).await?;
    Ok(super::exchange::xlsx(
        &format!("检查结果-{}.xlsx", crate::api::params::today()),
        bytes,
    ))
}
