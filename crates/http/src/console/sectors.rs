//! Supervision sectors page.

use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use lianjian_services::sectors;
use serde::Deserialize;
use uuid::Uuid;

use super::{Chrome, ConsoleError, CsrfForm, PathId, form_errors, render, see_other};
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
) -> Result<Response, ConsoleError> {
    let rows = sectors::list(&st.svc)
        .await?
        .into_iter()
        .map(|x| Row {
            id: x.id,
            active: x.status == "active",
            name: x.name,
        })
        .collect();
    let c = Chrome::new(&st.svc, s, "sectors").await.with_notice(notice);
    let can_maintain = sectors::may_maintain(&s.actor);
    let status = if error.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    Ok((
        status,
        render(Page {
            c,
            rows,
            can_maintain,
            error,
        }),
    )
        .into_response())
}

pub async fn list(
    State(st): State<AppState>,
    Console(s): Console,
    Query(n): Query<Notice>,
) -> Result<Response, ConsoleError> {
    page(&st, &s, n.ok.as_deref(), None).await
}

#[derive(Deserialize)]
pub struct SectorForm {
    name: Option<String>,
    active: Option<String>,
}

pub async fn create(
    State(st): State<AppState>,
    Console(s): Console,
    CsrfForm(f): CsrfForm<SectorForm>,
) -> Result<Response, ConsoleError> {
    match sectors::create(&st.svc, &s.actor, f.name.as_deref().unwrap_or_default()).await {
        Ok(_) => Ok(see_other("/console/sectors?ok=created")),
        Err(e) => {
            let errs = form_errors(e)?;
            page(&st, &s, None, errs.into_values().next()).await
        }
    }
}

pub async fn update(
    State(st): State<AppState>,
    Console(s): Console,
    PathId(id): PathId,
    CsrfForm(f): CsrfForm<SectorForm>,
) -> Result<Response, ConsoleError> {
    let active = f.active.as_deref().map(|a| a == "1");
    match sectors::update(&st.svc, &s.actor, id, f.name.as_deref(), active).await {
        Ok(_) => Ok(see_other("/console/sectors?ok=saved")),
        Err(e) => {
            let errs = form_errors(e)?;
            page(&st, &s, None, errs.into_values().next()).await
        }
    }
}
