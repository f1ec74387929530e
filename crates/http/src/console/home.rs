//! Console home and the context switch.

use askama::Template;
use axum::extract::{Query, State};
use axum::response::Response;
use lianjian_domain::department::BUILTIN_SETS;
use lianjian_services::PageRequest;
use lianjian_services::accounts;
use lianjian_services::departments::DepartmentQuery;
use serde::Deserialize;

use super::{BUSINESS_AREAS, Chrome, ConsoleError, CsrfForm, render, see_other};
use crate::AppState;
use crate::extract::Console;

#[derive(Template)]
#[template(path = "console/home.html")]
struct Home {
    c: Chrome,
    department: String,
    region: String,
    areas: Vec<(&'static str, String, &'static str)>,
    stats: (u64, u64, u64),
    lines: Vec<(String, String)>,
    context_region: String,
    context_line: String,
    /// Inspection work waiting (待审核, 逾期未公示; an inspector's open visits).
    pending: Option<lianjian_services::inspections::Pending>,
    inspector: bool,
}

#[derive(Deserialize)]
pub struct Notice {
    ok: Option<String>,
}

pub async fn page(
    State(st): State<AppState>,
    Console(s): Console,
    Query(n): Query<Notice>,
) -> Result<Response, ConsoleError> {
    let svc = &st.svc;
    let a = &s.actor;
    let c = Chrome::new(svc, &s, "home")
        .await
        .with_notice(n.ok.as_deref());
    let department = lianjian_services::departments::by_ids(svc, &[a.department_id])
        .await
        .ok()
        .and_then(|mut m| m.remove(&a.department_id))
        .map(|d| d.name)
        .unwrap_or_default();
    let region = lianjian_services::regions::path_name(svc, &a.region)
        .await
        .unwrap_or_default();
    let departments = lianjian_services::departments::list(
        svc,
        a,
        &DepartmentQuery::default(),
        PageRequest::new(Some(1), Some(1)),
    )
    .await
    .map(|p| p.total)
    .unwrap_or(0);
    let sector_count = lianjian_services::sectors::count(svc).await.unwrap_or(0);
    let audit_count = lianjian_services::audit_log::count(svc).await.unwrap_or(0);
    // Line keys with a readable name, from the built-in sets.
    let mut lines: Vec<(String, String)> = BUILTIN_SETS
        .iter()
        .flat_map(|set| set.departments.iter())
        .filter(|d| d.prefixed)
        .map(|d| (d.line.to_string(), d.stem.to_string()))
        .collect();
    lines.sort();
    lines.dedup_by(|x, y| x.0 == y.0);
    let pending = lianjian_services::inspections::pending(svc, a).await.ok();
    let inspector = a.role == lianjian_domain::account::Role::Inspector;
    let t = c.t;
    Ok(render(Home {
        pending,
        inspector,
        department,
        region,
        areas: BUSINESS_AREAS
            .iter()
            .map(|(k, key, d)| (*k, t.get(key).to_string(), *d))
            .collect(),
        stats: (departments, sector_count, audit_count),
        lines,
        context_region: a
            .context
            .as_ref()
            .map(|x| x.region.to_string())
            .unwrap_or_default(),
        context_line: a
            .context
            .as_ref()
            .and_then(|x| x.department_line.clone())
            .unwrap_or_default(),
        c,
    }))
}

#[derive(Deserialize)]
pub struct ContextForm {
    #[serde(default)]
    region: String,
    #[serde(default)]
    line: String,
}

pub async fn switch_context(
    State(st): State<AppState>,
    Console(s): Console,
    CsrfForm(f): CsrfForm<ContextForm>,
) -> Result<Response, ConsoleError> {
    accounts::set_context(&st.svc, &s, Some(&f.region), Some(&f.line)).await?;
    Ok(see_other("/console?ok=context"))
}
