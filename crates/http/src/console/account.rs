//! The signed-in user's own account: password and personal API tokens.

use std::collections::BTreeMap;

use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use lianjian_services::accounts::{self, SessionAuth};
use serde::Deserialize;

use super::users::{TokenForm, TokenRow, parse_days, token_rows};
use super::{Chrome, ConsoleError, CsrfForm, form_errors, render, see_other};
use crate::AppState;
use crate::extract::Console;

#[derive(Template)]
#[template(path = "console/account.html")]
struct Page {
    c: Chrome,
    errors: BTreeMap<String, String>,
    show_tokens: bool,
    tokens: Vec<TokenRow>,
    new_secret: Option<String>,
    token_action: String,
    token_back: String,
}

#[derive(Deserialize)]
pub struct Notice {
    ok: Option<String>,
}

async fn render_page(
    st: &AppState,
    s: &SessionAuth,
    notice: Option<&str>,
    errors: BTreeMap<String, String>,
    new_secret: Option<String>,
) -> Response {
    let tokens = accounts::list_tokens(&st.svc, &s.actor, s.actor.user_id)
        .await
        .unwrap_or_default();
    let c = Chrome::new(&st.svc, s, "account").await.with_notice(notice);
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    (
        status,
        render(Page {
            c,
            errors,
            show_tokens: !s.actor.role.is_read_only(),
            tokens: token_rows(tokens),
            new_secret,
            token_action: "/console/account/tokens".into(),
            token_back: "/console/account".into(),
        }),
    )
        .into_response()
}

pub async fn page(
    State(st): State<AppState>,
    Console(s): Console,
    Query(n): Query<Notice>,
) -> Result<Response, ConsoleError> {
    Ok(render_page(&st, &s, n.ok.as_deref(), BTreeMap::new(), None).await)
}

#[derive(Deserialize)]
pub struct PasswordForm {
    #[serde(default)]
    current_password: String,
    #[serde(default)]
    password: String,
}

pub async fn change_password(
    State(st): State<AppState>,
    Console(s): Console,
    CsrfForm(f): CsrfForm<PasswordForm>,
) -> Result<Response, ConsoleError> {
    match accounts::change_own_password(&st.svc, &s.actor, &f.current_password, &f.password).await {
        Ok(()) => Ok(see_other("/console/account?ok=own_password")),
        Err(e) => {
            let errs = form_errors(e)?;
            Ok(render_page(&st, &s, None, errs, None).await)
        }
    }
}

pub async fn create_token(
    State(st): State<AppState>,
    Console(s): Console,
    CsrfForm(f): CsrfForm<TokenForm>,
) -> Result<Response, ConsoleError> {
    let result = match parse_days(&f.valid_days) {
        Ok(days) => accounts::create_token(&st.svc, &s.actor, s.actor.user_id, &f.name, days).await,
        Err(e) => Err(e),
    };
    match result {
        Ok((_, secret)) => Ok(render_page(&st, &s, None, BTreeMap::new(), Some(secret)).await),
        Err(e) => {
            let errs = form_errors(e)?;
            Ok(render_page(&st, &s, None, errs, None).await)
        }
    }
}
