//! Sign-in and sign-out.

use askama::Template;
use axum::Form;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum_extra::extract::CookieJar;
use axum_extra::extract::cookie::{Cookie, SameSite};
use lianjian_services::ServiceError;
use lianjian_services::accounts;
use serde::Deserialize;

use super::{check_csrf, render};
use crate::AppState;
use crate::extract::{ClientIp, Console, SESSION_COOKIE};
use crate::i18n::{Messages, zh_cn};

#[derive(Template)]
#[template(path = "console/login.html")]
struct LoginPage {
    t: &'static Messages,
    error: Option<String>,
    username: String,
    next: String,
}

#[derive(Deserialize)]
pub struct NextQuery {
    next: Option<String>,
}

/// Only local paths under /console: never redirect off-site after login.
fn safe_next(n: Option<&str>) -> String {
    match n {
        Some(p) if p.starts_with("/console") && !p.starts_with("//") && !p.contains("://") => {
            p.to_string()
        }
        _ => "/console".into(),
    }
}

pub async fn form(session: Option<Console>, Query(q): Query<NextQuery>) -> Response {
    if session.is_some() {
        return Redirect::to("/console").into_response();
    }
    render(LoginPage {
        t: zh_cn(),
        error: None,
        username: String::new(),
        next: safe_next(q.next.as_deref()),
    })
}

#[derive(Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: String,
    next: Option<String>,
}

pub async fn submit(
    State(st): State<AppState>,
    ClientIp(ip): ClientIp,
    jar: CookieJar,
    headers: axum::http::HeaderMap,
    Form(f): Form<LoginForm>,
) -> Response {
    let ua = headers
        .get(axum::http::header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let next = safe_next(f.next.as_deref());
    match accounts::login(&st.svc, &f.username, &f.password, ip, ua).await {
        Ok(s) => {
            let cookie = Cookie::build((SESSION_COOKIE, s.token))
                .path("/")
                .http_only(true)
                .same_site(SameSite::Lax)
                .secure(st.secure_cookies)
                .build();
            (jar.add(cookie), Redirect::to(&next)).into_response()
        }
        Err(e) => {
            let status = match &e {
                ServiceError::Throttled { .. } => StatusCode::TOO_MANY_REQUESTS,
                ServiceError::Invalid(_) => StatusCode::UNPROCESSABLE_ENTITY,
                _ => StatusCode::UNAUTHORIZED,
            };
            let msg = crate::ApiError::from(e).message;
            (
                status,
                render(LoginPage {
                    t: zh_cn(),
                    error: Some(msg),
                    username: f.username,
                    next,
                }),
            )
                .into_response()
        }
    }
}

#[derive(Deserialize)]
pub struct CsrfOnly {
    #[serde(rename = "_csrf", default)]
    csrf: String,
}

pub async fn logout(
    State(st): State<AppState>,
    Console(s): Console,
    jar: CookieJar,
    Form(f): Form<CsrfOnly>,
) -> Response {
    if let Err(r) = check_csrf(&s, &f.csrf) {
        return r;
    }
    if let Err(e) = accounts::logout(&st.svc, &s).await {
        tracing::error!(error = %e, "logout failed");
    }
    (
        jar.remove(Cookie::build(SESSION_COOKIE).path("/").build()),
        Redirect::to("/console/login"),
    )
        .into_response()
}
