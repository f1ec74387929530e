//! Supervision sectors page.

use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use lianjian_services::sectors;
use serde::Deserialize;
use uuid::Uuid;

use super::{Chrome, check_csrf, error_page, render, see_other};
use crate::AppState;
use crate::extract::Console;

pub struct Row {
    id: Uuid,
    name: String,
    active: bool,
}

#[derive(Template)]
#[template(path = "console/sectors.html")]
struct Page {
    c: Chrome,
    rows: Vec<Row>,
    can_maintain: bool,
    error: Option<String>,
}

#[derive(Deserialize)]
pub struct Notice {
    ok: Option<String>,
}

async fn page(
    st: &AppState,
    s: &lianjian_services::accounts::SessionAuth,
    notice: Option<&str>,
    error: Option<String>,
) -> Response {
    let rows = match sectors::list(&st.svc).await {
        Ok(v) => v
            .into_iter()
            .map(|x| Row {
                id: x.id,
                active: x.status == "active",
                name: x.name,
            })
            .collect(),
        Err(e) => return error_page(&st.svc, s, e).await,
    };
    let c = Chrome::new(&st.svc, s, "sectors").await.with_notice(notice);
    let can_maintain = sectors::may_maintain(&s.actor);
    let status = if error.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    (
        status,
        render(Page {
            c,
            rows,
            can_maintain,
            error,
        }),
    )
        .into_response()
}

pub async fn list(
    State(st): State<AppState>,
    Console(s): Console,
    Query(n): Query<Notice>,
) -> Response {
    page(&st, &s, n.ok.as_deref(), None).await
}

#[derive(Deserialize)]
pub struct SectorForm {
    #[serde(rename = "_csrf", default)]
    csrf: String,
    name: Option<String>,
    active: Option<String>,
}

pub async fn create(
    State(st): State<AppState>,
    Console(s): Console,
    Form(f): Form<SectorForm>,
) -> Response {
    if let Err(r) = check_csrf(&s, &f.csrf) {
        return r;
    }
    match sectors::create(&st.svc, &s.actor, f.name.as_deref().unwrap_or_default()).await {
        Ok(_) => see_other("/console/sectors?ok=created"),
        Err(e) => match super::field_errors(&e) {
            Some(errs) => page(&st, &s, None, errs.into_values().next()).await,
            None => error_page(&st.svc, &s, e).await,
        },
    }
}

pub async fn update(
    State(st): State<AppState>,
    Console(s): Console,
    Path(id): Path<Uuid>,
    Form(f): Form<SectorForm>,
) -> Response {
    if let Err(r) = check_csrf(&s, &f.csrf) {
        return r;
    }
    let active = f.active.as_deref().map(|a| a == "1");
    match sectors::update(&st.svc, &s.actor, id, f.name.as_deref(), active).await {
        Ok(_) => see_other("/console/sectors?ok=saved"),
        Err(e) => match super::field_errors(&e) {
            Some(errs) => page(&st, &s, None, errs.into_values().next()).await,
            None => error_page(&st.svc, &s, e).await,
        },
    }
}
