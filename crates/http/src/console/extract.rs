//! What every console handler starts and ends with, written once: a form whose CSRF token is
//! checked ([`CsrfForm`]), the id of the record in the path ([`PathId`]), and a failure answered
//! with the console's error page at the status the API gives for it ([`ConsoleError`]), so that
//! handlers return `Result<Response, ConsoleError>` and use `?`.
//!
//! The error page shows the signed-in user's navigation, which takes a database read (the
//! region's name), while `IntoResponse` cannot wait for one. So a [`ConsoleError`] answers with
//! its status and a marker, and the layer [`error_pages`] around the console's routes renders
//! the page for the session that the [`Console`] extractor found for the same request.

use std::collections::BTreeMap;
use std::sync::{Arc, OnceLock};

use axum::Form;
use axum::body::{Body, Bytes};
use axum::extract::{FromRequest, FromRequestParts, Path, Request};
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::middleware::Next;
use axum::response::{Html, IntoResponse, Response};
use lianjian_services::accounts::SessionAuth;
use lianjian_services::{ServiceError, Services};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use uuid::Uuid;

use super::{Chrome, ErrorPage, render};
use crate::AppState;
use crate::extract::{Console, constant_time_eq};

/// A console request that failed. Built from any [`ServiceError`] (`?` converts), or by the
/// extractors below.
#[derive(Debug)]
pub struct ConsoleError(Failure);

#[derive(Debug)]
enum Failure {
    /// The error page, at the status the API answers the same failure with.
    Service(ServiceError),
    /// A form whose CSRF token is not the session's.
    Csrf,
    /// What an extractor answered itself (a form body that does not parse, the sign-in
    /// redirect), passed on unchanged.
    Answer(Response),
}

impl ConsoleError {
    pub fn not_found() -> Self {
        ServiceError::NotFound.into()
    }

    pub fn forbidden() -> Self {
        ServiceError::Forbidden.into()
    }

    /// Another answer than the error page, for failures a handler shows its own way.
    pub fn answer(r: Response) -> Self {
        Self(Failure::Answer(r))
    }
}

impl From<ServiceError> for ConsoleError {
    fn from(e: ServiceError) -> Self {
        Self(Failure::Service(e))
    }
}

/// What [`error_pages`] renders into the console's error page.
#[derive(Clone)]
struct ErrorPageWanted {
    title: &'static str,
    message: String,
}

impl IntoResponse for ConsoleError {
    fn into_response(self) -> Response {
        match self.0 {
            Failure::Service(e) => {
                let api = crate::ApiError::from(e);
                let title = match api.status {
                    StatusCode::NOT_FOUND => "未找到",
                    StatusCode::FORBIDDEN => "无权操作",
                    StatusCode::CONFLICT => "数据冲突",
                    StatusCode::UNPROCESSABLE_ENTITY | StatusCode::BAD_REQUEST => "输入有误",
                    _ => "出错了",
                };
                // Shown only where no session was found to render the full page with.
                let plain = Html(format!("<h1>{title}</h1><p>{}</p>", escape(&api.message)));
                let mut r = (api.status, plain).into_response();
                r.extensions_mut().insert(ErrorPageWanted {
                    title,
                    message: api.message,
                });
                r
            }
            Failure::Csrf => (
                StatusCode::FORBIDDEN,
                Html("<p>表单已过期或来源不明（CSRF 校验失败），请返回刷新页面后重试。</p>"),
            )
                .into_response(),
            Failure::Answer(r) => r,
        }
    }
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// The signed-in user of the request being handled, written by the [`Console`] extractor and
/// read back by [`error_pages`] once the handler has answered (and by later extractors of the
/// same request, which so do not look the session up again).
#[derive(Clone, Default)]
pub struct SessionSlot(Arc<OnceLock<(Services, SessionAuth)>>);

impl SessionSlot {
    pub fn session(&self) -> Option<SessionAuth> {
        self.0.get().map(|(_, s)| s.clone())
    }

    pub fn fill(&self, svc: &Services, s: &SessionAuth) {
        // Set once per request; a second extractor finds it set and does not get here.
        let _ = self.0.set((svc.clone(), s.clone()));
    }
}

/// The layer around the console's routes that turns a [`ConsoleError`]'s marker into the
/// console's error page, with the navigation of the signed-in user.
pub async fn error_pages(mut req: Request, next: Next) -> Response {
    let slot = SessionSlot::default();
    req.extensions_mut().insert(slot.clone());
    let res = next.run(req).await;
    let Some(wanted) = res.extensions().get::<ErrorPageWanted>().cloned() else {
        return res;
    };
    let Some((svc, s)) = slot.0.get() else {
        return res;
    };
    let status = res.status();
    let c = Chrome::new(svc, s, "").await;
    (
        status,
        render(ErrorPage {
            c,
            title: wanted.title.into(),
            message: wanted.message,
        }),
    )
        .into_response()
}

/// Rejects a token that is not the session's (forms that are not url-encoded read it themselves).
pub fn check_csrf(s: &SessionAuth, sent: &str) -> Result<(), ConsoleError> {
    if constant_time_eq(sent, &s.csrf_token) {
        Ok(())
    } else {
        Err(ConsoleError(Failure::Csrf))
    }
}

/// A form without fields of its own: only its token is checked.
#[derive(Debug, Default, Deserialize)]
pub struct NoFields {}

/// A url-encoded form posted by the signed-in user, its `_csrf` field checked against the
/// session: `T` is the form without it. A body that does not parse as `T` gets the answer axum's
/// `Form` gives (as before this extractor); a wrong token gets 403. The one-time field `_once`
/// is handled before the handler runs (`crate::submissions`) and is ignored here.
pub struct CsrfForm<T = NoFields>(pub T);

#[derive(Deserialize)]
struct Token {
    #[serde(rename = "_csrf", default)]
    csrf: String,
}

/// The same url-encoded body again, for a second reading.
fn form_request(parts: &Parts, body: Body) -> Request {
    let mut r = Request::new(body);
    *r.method_mut() = parts.method.clone();
    *r.headers_mut() = parts.headers.clone();
    *r.extensions_mut() = parts.extensions.clone();
    r
}

impl<T: DeserializeOwned + Send> FromRequest<AppState> for CsrfForm<T> {
    type Rejection = ConsoleError;

    async fn from_request(req: Request, st: &AppState) -> Result<Self, ConsoleError> {
        let (mut parts, body) = req.into_parts();
        let Console(s) = Console::from_request_parts(&mut parts, st)
            .await
            .map_err(|r| ConsoleError::answer(r.into_response()))?;
        let bytes = Bytes::from_request(form_request(&parts, body), st)
            .await
            .map_err(|r| ConsoleError::answer(r.into_response()))?;
        let again = || form_request(&parts, Body::from(bytes.clone()));
        let Form(form) = Form::<T>::from_request(again(), st)
            .await
            .map_err(|r| ConsoleError::answer(r.into_response()))?;
        let Form(token) = Form::<Token>::from_request(again(), st)
            .await
            .map_err(|r| ConsoleError::answer(r.into_response()))?;
        check_csrf(&s, &token.csrf)?;
        Ok(CsrfForm(form))
    }
}

/// The id of the record a console route names; one that is not a UUID is a record that does
/// not exist (the console's 404 page, not a bare 400).
pub struct PathId(pub Uuid);

impl<S: Send + Sync> FromRequestParts<S> for PathId {
    type Rejection = ConsoleError;

    async fn from_request_parts(parts: &mut Parts, st: &S) -> Result<Self, ConsoleError> {
        let Path(raw) = Path::<String>::from_request_parts(parts, st)
            .await
            .map_err(|_| ConsoleError::not_found())?;
        parse_id(&raw).map(PathId)
    }
}

/// An id from a path with more than one, as [`PathId`] reads one.
pub fn parse_id(raw: &str) -> Result<Uuid, ConsoleError> {
    Uuid::parse_str(raw).map_err(|_| ConsoleError::not_found())
}

/// The field errors of a failure that a form shows next to its fields (validation, conflict;
/// several messages for one field joined, see [`super::fields::errors_of`]); any other failure
/// is the error page.
pub fn form_errors(e: ServiceError) -> Result<BTreeMap<String, String>, ConsoleError> {
    super::fields::errors_of(&e).ok_or_else(|| e.into())
}
