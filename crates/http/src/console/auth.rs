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

use super::{CsrfForm, render};
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
    csrf: String,
}

/// The sign-in form's own CSRF token (there is no session yet): a random value in a cookie
/// that only this path receives, echoed by the form (double submit). A page on another site
/// can post the form but cannot read or set the cookie, so it cannot sign a victim in under
/// the attacker's account (login CSRF).
const LOGIN_CSRF_COOKIE: &str = "lj_login_csrf";

/// The sign-in page with a fresh token, its cookie set.
fn login_page(
    st: &AppState,
    jar: CookieJar,
    status: StatusCode,
    error: Option<String>,
    username: String,
    next: String,
) -> Response {
    let token = hex::encode(rand::random::<[u8; 32]>());
    let cookie = Cookie::build((LOGIN_CSRF_COOKIE, token.clone()))
        .path("/console/login")
        .http_only(true)
        .same_site(SameSite::Strict)
        .secure(st.secure_cookies)
        .build();
    (
        status,
        jar.add(cookie),
        render(LoginPage {
            t: zh_cn(),
            error,
            username,
            next,
            csrf: token,
        }),
    )
        .into_response()
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

pub async fn form(
    State(st): State<AppState>,
    session: Option<Console>,
    jar: CookieJar,
    Query(q): Query<NextQuery>,
) -> Response {
    if session.is_some() {
        return Redirect::to("/console").into_response();
    }
    let next = safe_next(q.next.as_deref());
    login_page(&st, jar, StatusCode::OK, None, String::new(), next)
}

#[derive(Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: String,
    next: Option<String>,
    #[serde(rename = "_csrf", default)]
    csrf: String,
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
    let expected = jar.get(LOGIN_CSRF_COOKIE).map(|c| c.value().to_string());
    if !expected.is_some_and(|t| !t.is_empty() && crate::extract::constant_time_eq(&f.csrf, &t)) {
        let msg = "登录页面已过期或来源不明，请重新输入用户名和密码后登录".to_string();
        return login_page(&st, jar, StatusCode::FORBIDDEN, Some(msg), f.username, next);
    }
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
            login_page(&st, jar, status, Some(msg), f.username, next)
        }
    }
}

pub async fn logout(
    State(st): State<AppState>,
    Console(s): Console,
    jar: CookieJar,
    _: CsrfForm,
) -> Response {
    if let Err(e) = accounts::logout(&st.svc, &s).await {
        tracing::error!(error = %e, "logout failed");
    }
    (
        jar.remove(Cookie::build(SESSION_COOKIE).path("/").build()),
        Redirect::to("/console/login"),
    )
        .into_response()
}
