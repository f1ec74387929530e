//! Extractors: client address, JSON bodies with field-precise errors, and the two ways of
//! being signed in (session cookie for the console, bearer token for other systems).

use std::net::SocketAddr;

use axum::extract::{
    ConnectInfo, FromRequest, FromRequestParts, OptionalFromRequestParts, Request,
};
use axum::http::request::Parts;
use axum::http::{Method, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum_extra::extract::CookieJar;
use lianjian_services::accounts::{self, SessionAuth};
use lianjian_services::{Actor, ServiceError};
use serde::de::DeserializeOwned;

use crate::console::extract::SessionSlot;
use crate::{ApiError, AppState};

pub const SESSION_COOKIE: &str = "lianjian_session";

/// The client's address, for the audit log. Behind a reverse proxy, the proxy's address.
#[derive(Debug, Clone)]
pub struct ClientIp(pub Option<String>);

impl<S: Send + Sync> FromRequestParts<S> for ClientIp {
    type Rejection = std::convert::Infallible;
    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(ClientIp(
            parts
                .extensions
                .get::<ConnectInfo<SocketAddr>>()
                .map(|c| c.0.ip().to_string()),
        ))
    }
}

/// A JSON body parsed with the path of any bad field reported, e.g. `details[0].field = "role"`.
pub struct ApiJson<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;
    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        let is_json = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("application/json") || v.contains("+json"));
        if !is_json {
            return Err(ApiError::bad_request(
                "body",
                "content_type",
                "请求体须为 JSON（Content-Type: application/json）",
                "the body must be JSON (Content-Type: application/json)",
            ));
        }
        let bytes = axum::body::Bytes::from_request(req, state)
            .await
            .map_err(|e| {
                // A chunked body is cut off at the limit while being read: still 413, not 400.
                if e.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
                    return ApiError::too_large(None);
                }
                ApiError::bad_request(
                    "body",
                    "unreadable",
                    "无法读取请求体",
                    format!("cannot read body: {e}"),
                )
            })?;
        let de = &mut serde_json::Deserializer::from_slice(&bytes);
        serde_path_to_error::deserialize(de)
            .map(ApiJson)
            .map_err(|e| json_error(&e))
    }
}

fn json_error(e: &serde_path_to_error::Error<serde_json::Error>) -> ApiError {
    let inner = e.inner();
    let msg = inner.to_string();
    let path = e.path().to_string();
    // serde reports a missing field at the parent's path, naming the field in the message.
    if let Some(rest) = msg.strip_prefix("missing field `") {
        let name = rest.split('`').next().unwrap_or_default();
        let field = if path == "." || path.is_empty() {
            name.to_string()
        } else {
            format!("{path}.{name}")
        };
        return ApiError::bad_request(
            &field,
            "missing_field",
            format!("缺少字段“{field}”"),
            format!("missing field '{field}'"),
        );
    }
    if let Some(rest) = msg.strip_prefix("unknown field `") {
        let name = rest.split('`').next().unwrap_or_default();
        let field = if path == "." || path.is_empty() {
            name.to_string()
        } else {
            path.clone()
        };
        return ApiError::bad_request(
            &field,
            "unknown_field",
            format!("未知字段“{field}”"),
            format!("unknown field '{field}'"),
        );
    }
    match inner.classify() {
        serde_json::error::Category::Syntax | serde_json::error::Category::Eof => {
            ApiError::bad_request(
                "body",
                "malformed_json",
                format!(
                    "JSON 格式错误（第 {} 行第 {} 列）",
                    inner.line(),
                    inner.column()
                ),
                format!(
                    "malformed JSON at line {} column {}: {inner}",
                    inner.line(),
                    inner.column()
                ),
            )
        }
        _ => {
            let field = if path == "." {
                "body".to_string()
            } else {
                path
            };
            ApiError::bad_request(
                &field,
                "wrong_type",
                format!("字段“{field}”的值类型不正确"),
                format!("field '{field}' has the wrong type: {msg}"),
            )
        }
    }
}

/// A query string parsed into its endpoint's one struct (the struct that documents it in the
/// OpenAPI document, see [`crate::api::params::parse`]); bad values answer 400 in the one
/// error shape.
pub struct ApiQuery<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = ApiError;
    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, ApiError> {
        crate::api::params::parse(parts.uri.query().unwrap_or_default()).map(ApiQuery)
    }
}

/// Whoever calls the API: a bearer token, or the console's session cookie. With the cookie,
/// state-changing requests must repeat the session's CSRF token in `X-CSRF-Token`.
pub struct ApiActor(pub Actor);

impl FromRequestParts<AppState> for ApiActor {
    type Rejection = ApiError;
    async fn from_request_parts(parts: &mut Parts, st: &AppState) -> Result<Self, ApiError> {
        let ip = ClientIp::from_request_parts(parts, st)
            .await
            .expect("infallible")
            .0;
        if let Some(auth) = parts.headers.get(header::AUTHORIZATION) {
            let v = auth.to_str().unwrap_or_default();
            let token = v
                .strip_prefix("Bearer ")
                .or_else(|| v.strip_prefix("bearer "))
                .ok_or_else(ApiError::unauthenticated)?;
            let a = accounts::authenticate_token(&st.svc, token, ip)
                .await
                .map_err(ApiError::from)?;
            if !role_reaches(a.role, &parts.method, parts.uri.path()) {
                return Err(ApiError::forbidden());
            }
            return Ok(ApiActor(a));
        }
        let jar = CookieJar::from_headers(&parts.headers);
        let cookie = jar
            .get(SESSION_COOKIE)
            .ok_or_else(ApiError::unauthenticated)?;
        let s = accounts::authenticate_session(&st.svc, cookie.value(), ip)
            .await
            .map_err(ApiError::from)?;
        if !matches!(parts.method, Method::GET | Method::HEAD | Method::OPTIONS) {
            let sent = parts
                .headers
                .get("x-csrf-token")
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default();
            if !constant_time_eq(sent, &s.csrf_token) {
                return Err(ApiError::new(
                    axum::http::StatusCode::FORBIDDEN,
                    "csrf",
                    "缺少或错误的 X-CSRF-Token",
                    "missing or wrong X-CSRF-Token",
                ));
            }
        }
        if !role_reaches(s.actor.role, &parts.method, parts.uri.path()) {
            return Err(ApiError::forbidden());
        }
        Ok(ApiActor(s.actor))
    }
}

/// Whether a role may reach a route at all. The one place where a role that reads only its
/// own capability is held to it: the procuratorate (检察机关, 行刑衔接 检察监督) reads the case
/// transfers and their assistance requests and consultations (read-only: GET), its own
/// account page and signs out; every other route answers 403 whatever its service would
/// allow. `path` is the full path (`/api/v1/…` or `/console/…`).
pub fn role_reaches(role: lianjian_domain::account::Role, method: &Method, path: &str) -> bool {
    if !role.reads_transfers_only() {
        return true;
    }
    let read = matches!(*method, Method::GET | Method::HEAD);
    let under = |prefix: &str| path == prefix || path.starts_with(&format!("{prefix}/"));
    match path {
        "/console/logout" | "/console/account/password" => *method == Method::POST,
        "/api/v1/me" | "/console" | "/console/" | "/console/account" => read,
        _ => {
            read && (under("/api/v1/transfers")
                || under("/api/v1/assistance-requests")
                || under("/console/transfers")
                || under("/console/assistance"))
                // A transfer's print-out is the department's document, not a supervision view.
                && !path.ends_with("/print")
        }
    }
}

/// What a console request gets when it cannot go on: the sign-in page, or 403 for a route its
/// role may not reach at all ([`role_reaches`]).
pub enum ConsoleRejection {
    Login(LoginRedirect),
    Forbidden,
}

impl IntoResponse for ConsoleRejection {
    fn into_response(self) -> Response {
        match self {
            ConsoleRejection::Login(r) => r.into_response(),
            ConsoleRejection::Forbidden => (
                axum::http::StatusCode::FORBIDDEN,
                axum::response::Html(
                    "<!doctype html><meta charset=\"utf-8\"><title>无权访问</title>\
                     <p>您的角色无权访问此页面。检察机关可查看<a href=\"/console/transfers\">案件移送</a>\
                     和<a href=\"/console/assistance\">协查协助</a>。</p>",
                ),
            )
                .into_response(),
        }
    }
}

pub fn constant_time_eq(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

/// A signed-in console user. Without a live session, pages redirect to the login page.
pub struct Console(pub SessionAuth);

pub struct LoginRedirect(String);

impl IntoResponse for LoginRedirect {
    fn into_response(self) -> Response {
        Redirect::to(&format!("/console/login?next={}", urlencode(&self.0))).into_response()
    }
}

pub fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

impl FromRequestParts<AppState> for Console {
    type Rejection = ConsoleRejection;
    async fn from_request_parts(
        parts: &mut Parts,
        st: &AppState,
    ) -> Result<Self, ConsoleRejection> {
        let full = parts
            .extensions
            .get::<axum::extract::OriginalUri>()
            .map_or_else(|| parts.uri.path().to_string(), |u| u.0.path().to_string());
        let method = parts.method.clone();
        let s = Self::signed_in(parts, st)
            .await
            .map_err(ConsoleRejection::Login)?;
        if !role_reaches(s.0.actor.role, &method, &full) {
            return Err(ConsoleRejection::Forbidden);
        }
        Ok(s)
    }
}

impl Console {
    async fn signed_in(parts: &mut Parts, st: &AppState) -> Result<Self, LoginRedirect> {
        let next = parts
            .uri
            .path_and_query()
            .map_or("/console".to_string(), |p| p.to_string());
        let ip = ClientIp::from_request_parts(parts, st)
            .await
            .expect("infallible")
            .0;
        // Under the console's routes a slot keeps the session for the error page and for the
        // request's other extractors (see `console::extract`).
        let slot = parts.extensions.get::<SessionSlot>().cloned();
        if let Some(s) = slot.as_ref().and_then(SessionSlot::session) {
            return Ok(Console(s));
        }
        let jar = CookieJar::from_headers(&parts.headers);
        let Some(cookie) = jar.get(SESSION_COOKIE) else {
            return Err(LoginRedirect(next));
        };
        match accounts::authenticate_session(&st.svc, cookie.value(), ip).await {
            Ok(s) => {
                if let Some(slot) = slot {
                    slot.fill(&st.svc, &s);
                }
                Ok(Console(s))
            }
            Err(ServiceError::Unauthenticated) => Err(LoginRedirect(next)),
            Err(e) => {
                tracing::error!(error = %e, "session lookup failed");
                Err(LoginRedirect(next))
            }
        }
    }
}

impl OptionalFromRequestParts<AppState> for Console {
    type Rejection = std::convert::Infallible;
    async fn from_request_parts(
        parts: &mut Parts,
        st: &AppState,
    ) -> Result<Option<Self>, Self::Rejection> {
        Ok(
            <Console as FromRequestParts<AppState>>::from_request_parts(parts, st)
                .await
                .ok(),
        )
    }
}
