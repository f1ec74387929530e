//! Department management page.

use std::collections::BTreeMap;

use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use lianjian_domain::department::{BUILTIN_SETS, DepartmentStatus};
use lianjian_services::accounts::SessionAuth;
use lianjian_services::departments::{self, DepartmentInput};
use serde::Deserialize;
use uuid::Uuid;

use super::{Chrome, ConsoleError, CsrfForm, Pager, PathId, form_errors, render, see_other};
use crate::AppState;
use crate::api::departments::{DepartmentFilter, department_query};
use crate::extract::Console;

pub struct Row {
    id: Uuid,
    name: String,
    line: String,
    region: String,
    source: String,
    status: String,
    active: bool,
}

#[derive(Template)]
#[template(path = "console/departments.html")]
struct Page {
    c: Chrome,
    rows: Vec<Row>,
    pager: Pager,
    q: String,
    region: String,
    status: String,
    can_maintain: bool,
    errors: BTreeMap<String, String>,
    sets: Vec<(String, String)>,
    form_region: String,
    form_name: String,
    form_line: String,
}

#[derive(Deserialize, Default)]
pub struct ListQuery {
    q: Option<String>,
    region: Option<String>,
    status: Option<String>,
    page: Option<u64>,
    ok: Option<String>,
}

async fn page(
    st: &AppState,
    s: &SessionAuth,
    lq: ListQuery,
    errors: BTreeMap<String, String>,
    form: Option<&DeptForm>,
) -> Result<Response, ConsoleError> {
    let filter = DepartmentFilter {
        q: lq.q.clone(),
        region: lq.region.clone(),
        status: lq.status.clone(),
    };
    let (q, mut errors) = match department_query(&filter) {
        Ok(q) => (q, errors),
        Err(e) => {
            let mut errors = errors;
            errors.insert("region".into(), e.message);
            (Default::default(), errors)
        }
    };
    let p = departments::list(
        &st.svc,
        &s.actor,
        &q,
        lianjian_services::PageRequest::new(lq.page, Some(50)),
    )
    .await?;
    let (q_s, region_s, status_s) = (
        lq.q.unwrap_or_default(),
        lq.region.unwrap_or_default(),
        lq.status.unwrap_or_default(),
    );
    let pager = Pager::new(
        &p,
        &[("q", &q_s), ("region", &region_s), ("status", &status_s)],
    );
    let rows = p
        .items
        .into_iter()
        .map(|d| Row {
            id: d.id,
            source: d
                .builtin_set
                .as_deref()
                .and_then(lianjian_domain::department::builtin_set)
                .map_or_else(|| "手工新增".to_string(), |s| s.source.to_string()),
            region: d.region_code.to_string(),
            status: d.status.label_zh().into(),
            active: d.status == DepartmentStatus::Active,
            name: d.name,
            line: d.line,
        })
        .collect();
    let c = Chrome::new(&st.svc, s, "departments")
        .await
        .with_notice(lq.ok.as_deref());
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    errors.retain(|_, v| !v.is_empty());
    Ok((
        status,
        render(Page {
            c,
            rows,
            pager,
            q: q_s,
            region: region_s,
            status: status_s,
            can_maintain: departments::may_maintain(&s.actor),
            errors,
            sets: BUILTIN_SETS
                .iter()
                .map(|s| (s.key.to_string(), format!("{}（{}）", s.title, s.source)))
                .collect(),
            form_region: form.map_or_else(|| s.actor.region.to_string(), |f| f.region_code.clone()),
            form_name: form.map(|f| f.name.clone()).unwrap_or_default(),
            form_line: form.map(|f| f.line.clone()).unwrap_or_default(),
        }),
    )
        .into_response())
}

pub async fn list(
    State(st): State<AppState>,
    Console(s): Console,
    Query(lq): Query<ListQuery>,
) -> Result<Response, ConsoleError> {
    page(&st, &s, lq, BTreeMap::new(), None).await
}

/// The department list with its current filters (every page) as xlsx. Filters that do not
/// parse send the user back to the list, which names the problem.
pub async fn export(
    State(st): State<AppState>,
    Console(s): Console,
    Query(lq): Query<ListQuery>,
) -> Result<Response, ConsoleError> {
    let filter = DepartmentFilter {
        q: lq.q.clone(),
        region: lq.region.clone(),
        status: lq.status.clone(),
    };
    let Ok(q) = department_query(&filter) else {
        let query: String = [("q", &lq.q), ("region", &lq.region), ("status", &lq.status)]
            .iter()
            .filter_map(|(k, v)| v.as_deref().map(|v| (k, v)))
            .map(|(k, v)| format!("{k}={}&", crate::extract::urlencode(v)))
            .collect();
        return Ok(see_other(&format!("/console/departments?{query}")));
    };
    let b = departments::export(&st.svc, &s.actor, &q).await?;
    Ok(super::exchange::xlsx("部门列表.xlsx", b))
}

#[derive(Deserialize, Default)]
pub struct DeptForm {
    #[serde(default)]
    region_code: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    line: String,
    #[serde(default)]
    status: String,
    #[serde(default)]
    set: String,
}

async fn outcome<T>(
    st: &AppState,
    s: &SessionAuth,
    r: Result<T, lianjian_services::ServiceError>,
    ok: &str,
    form: Option<&DeptForm>,
) -> Result<Response, ConsoleError> {
    match r {
        Ok(_) => Ok(see_other(&format!("/console/departments?ok={ok}"))),
        Err(e) => {
            let errs = form_errors(e)?;
            page(st, s, ListQuery::default(), errs, form).await
        }
    }
}

pub async fn create(
    State(st): State<AppState>,
    Console(s): Console,
    CsrfForm(f): CsrfForm<DeptForm>,
) -> Result<Response, ConsoleError> {
    let input = DepartmentInput {
        region_code: f.region_code.clone(),
        name: f.name.clone(),
        line: f.line.clone(),
    };
    let r = departments::create(&st.svc, &s.actor, input).await;
    outcome(&st, &s, r, "created", Some(&f)).await
}

pub async fn rename(
    State(st): State<AppState>,
    Console(s): Console,
    PathId(id): PathId,
    CsrfForm(f): CsrfForm<DeptForm>,
) -> Result<Response, ConsoleError> {
    let r = departments::rename(&st.svc, &s.actor, id, &f.name).await;
    outcome(&st, &s, r, "saved", None).await
}

pub async fn set_status(
    State(st): State<AppState>,
    Console(s): Console,
    PathId(id): PathId,
    CsrfForm(f): CsrfForm<DeptForm>,
) -> Result<Response, ConsoleError> {
    let status = DepartmentStatus::parse(&f.status).unwrap_or(DepartmentStatus::Active);
    let r = departments::set_status(&st.svc, &s.actor, id, status).await;
    outcome(&st, &s, r, "saved", None).await
}

pub async fn copy_set(
    State(st): State<AppState>,
    Console(s): Console,
    CsrfForm(f): CsrfForm<DeptForm>,
) -> Result<Response, ConsoleError> {
    let r = departments::copy_builtin_set(&st.svc, &s.actor, &f.set, &f.region_code).await;
    outcome(&st, &s, r, "copied", None).await
}
