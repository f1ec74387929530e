//! Requests answered once (重复提交防护, issue 12 item 9), for both faces that create things:
//!
//! - **console forms** carry a one-time field `_once`, new on every page shown. The same form
//!   posted twice (a double click, a browser re-post after 返回) under one session gets the
//!   first post's redirect, so a second 抄告 is never created. A form changed before the second
//!   post is a new request.
//! - **API calls** may carry an `Idempotency-Key` header (as in the IETF draft
//!   `draft-ietf-httpapi-idempotency-key-header`): a retry with the same key, caller and body
//!   gets the first answer with `Idempotent-Replayed: true`; the same key with another body is
//!   refused (422).
//!
//! Only answers that succeeded are kept (a console form's redirect; an API answer that is small
//! and not `no-store`); a form shown back with its errors, or a refused call, can be corrected
//! and sent again. A repeat that arrives while the first is still
//! being handled waits for its answer.

use std::time::Duration;

use axum::body::HttpBody as _;
use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum_extra::extract::CookieJar;
use lianjian_services::submissions::{self, Answer, Claim};
use sha2::{Digest, Sha256};

use crate::{ApiError, AppState};

/// The console's one-time form field.
pub const ONCE_FIELD: &str = "_once";
pub const IDEMPOTENCY_KEY: &str = "idempotency-key";
/// Larger bodies are uploads, which carry their own duplicate checks (evidence by hash).
const MAX_BODY: usize = 4 * 1024 * 1024;
/// Larger answers are not kept (creates answer with a few hundred bytes).
const MAX_KEPT_ANSWER: usize = 256 * 1024;
/// How long a repeat waits for the first request's answer.
const WAIT: Duration = Duration::from_secs(15);

/// Which kind of repeat a request could be, and under whose name.
enum Kind {
    Form { session: String },
    Api { caller: String, key: String },
}

pub async fn guard(State(st): State<AppState>, req: Request, next: Next) -> Response {
    if req.method() != Method::POST {
        return next.run(req).await;
    }
    let kind = match kind_of(&req) {
        Ok(Some(k)) => k,
        Ok(None) => return next.run(req).await,
        Err(e) => return e.into_response(),
    };
    let (parts, body) = req.into_parts();
    let bytes = match axum::body::to_bytes(body, MAX_BODY).await {
        Ok(b) => b,
        Err(_) => {
            return ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "payload_too_large",
                format!("请求体超过 {} MB", MAX_BODY / 1024 / 1024),
                format!("request body over {} MB", MAX_BODY / 1024 / 1024),
            )
            .into_response();
        }
    };
    let target = parts
        .uri
        .path_and_query()
        .map_or_else(|| parts.uri.path().to_string(), |p| p.as_str().to_string());
    let key = match &kind {
        Kind::Form { session } => {
            if !has_once(&bytes) {
                return next
                    .run(Request::from_parts(parts, Body::from(bytes)))
                    .await;
            }
            digest(&[b"form", session.as_bytes(), target.as_bytes(), &bytes])
        }
        Kind::Api { caller, key } => {
            digest(&[b"api", caller.as_bytes(), target.as_bytes(), key.as_bytes()])
        }
    };
    let request_hash = digest(&[&bytes]);
    let api = matches!(kind, Kind::Api { .. });

    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        match submissions::claim(&st.svc, &key, &request_hash).await {
            Ok(Claim::Fresh) => break,
            Ok(Claim::Answered(a)) => return replay(a, api),
            Ok(Claim::Mismatch) => {
                let mut e = ApiError::bad_request(
                    "Idempotency-Key",
                    "key_reused",
                    "该 Idempotency-Key 已用于内容不同的另一请求；新请求请使用新的键",
                    "this Idempotency-Key was used for a request with another body; use a new key",
                );
                e.status = StatusCode::UNPROCESSABLE_ENTITY;
                return e.into_response();
            }
            Ok(Claim::Pending) if tokio::time::Instant::now() < deadline => {
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            Ok(Claim::Pending) => return still_pending(api),
            Err(e) => {
                // Without the table the request is handled as if no key had been sent: a
                // duplicate is a lesser harm than refusing every form.
                tracing::error!(error = %e, "submission claim failed");
                return next
                    .run(Request::from_parts(parts, Body::from(bytes)))
                    .await;
            }
        }
    }

    let res = next
        .run(Request::from_parts(parts, Body::from(bytes)))
        .await;
    keep_or_release(&st, &key, api, res).await
}

/// Console forms (under a session) and API calls with an `Idempotency-Key`; `None` for the
/// rest, which pass untouched.
fn kind_of(req: &Request) -> Result<Option<Kind>, ApiError> {
    let path = req.uri().path();
    let headers = req.headers();
    let session = CookieJar::from_headers(headers)
        .get(crate::extract::SESSION_COOKIE)
        .map(|c| c.value().to_string());
    if path.starts_with("/console/") {
        let form = headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
        return Ok(match (form, session) {
            (true, Some(session)) => Some(Kind::Form { session }),
            _ => None,
        });
    }
    if !path.starts_with("/api/") {
        return Ok(None);
    }
    let Some(raw) = headers.get(IDEMPOTENCY_KEY) else {
        return Ok(None);
    };
    let key = raw
        .to_str()
        .ok()
        .map(str::trim)
        .filter(|k| {
            !k.is_empty() && k.len() <= 255 && k.bytes().all(|b| (0x20..=0x7e).contains(&b))
        })
        .ok_or_else(|| {
            ApiError::bad_request(
                "Idempotency-Key",
                "invalid",
                "Idempotency-Key 须为 1–255 个可打印 ASCII 字符",
                "Idempotency-Key must be 1–255 printable ASCII characters",
            )
        })?
        .to_string();
    let caller = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
        .or(session);
    // Unauthenticated calls are refused by the handler; nothing to remember for them.
    Ok(caller.map(|caller| Kind::Api { caller, key }))
}

fn has_once(body: &[u8]) -> bool {
    let prefix = format!("{ONCE_FIELD}=");
    body.split(|b| *b == b'&')
        .any(|pair| pair.len() > prefix.len() && pair.starts_with(prefix.as_bytes()))
}

/// SHA-256 over length-prefixed parts, so no two different part lists collide by concatenation.
fn digest(parts: &[&[u8]]) -> String {
    let mut h = Sha256::new();
    for p in parts {
        h.update((p.len() as u64).to_be_bytes());
        h.update(p);
    }
    hex::encode(h.finalize())
}

/// Keeps what a repeat should get, or forgets the claim. Console forms keep only their
/// redirect (a page or file answered directly is shown again by handling the post again). API
/// answers are kept whole when they succeeded, are small, and are not marked `no-store` (one-time
/// secrets such as access codes are never written down here).
async fn keep_or_release(st: &AppState, key: &str, api: bool, res: Response) -> Response {
    let status = res.status();
    let location = header_text(res.headers(), header::LOCATION);
    let no_store =
        header_text(res.headers(), header::CACHE_CONTROL).is_some_and(|v| v.contains("no-store"));
    let small = res
        .body()
        .size_hint()
        .upper()
        .is_some_and(|n| n <= MAX_KEPT_ANSWER as u64);
    let keep = if api {
        (status.is_success() || status.is_redirection()) && !no_store && small
    } else {
        status.is_redirection() && location.is_some()
    };
    if !keep {
        if let Err(e) = submissions::release(&st.svc, key).await {
            tracing::error!(error = %e, "submission claim not released");
        }
        return res;
    }
    let (parts, body) = res.into_parts();
    let bytes = match axum::body::to_bytes(body, MAX_KEPT_ANSWER).await {
        Ok(b) => b,
        Err(e) => {
            // The size hint promised a small body; a failing body stream is the handler's error.
            tracing::error!(error = %e, "answer body failed");
            let _ = submissions::release(&st.svc, key).await;
            return StatusCode::INTERNAL_SERVER_ERROR.into_response();
        }
    };
    let answer = Answer {
        status: status.as_u16(),
        location,
        content_type: header_text(&parts.headers, header::CONTENT_TYPE),
        body: bytes.to_vec(),
    };
    if let Err(e) = submissions::answer(&st.svc, key, &answer).await {
        tracing::error!(error = %e, "submission answer not kept");
    }
    Response::from_parts(parts, Body::from(bytes))
}

fn header_text(h: &axum::http::HeaderMap, name: header::HeaderName) -> Option<String> {
    h.get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
}

fn replay(a: Answer, api: bool) -> Response {
    let status = StatusCode::from_u16(a.status).unwrap_or(StatusCode::OK);
    let mut res = (status, Bytes::from(a.body)).into_response();
    let h = res.headers_mut();
    for (name, value) in [
        (header::LOCATION, a.location),
        (header::CONTENT_TYPE, a.content_type),
    ] {
        if let Some(v) = value.and_then(|v| HeaderValue::from_str(&v).ok()) {
            h.insert(name, v);
        }
    }
    if api {
        h.insert("idempotent-replayed", HeaderValue::from_static("true"));
    }
    res
}

fn still_pending(api: bool) -> Response {
    let e = ApiError::new(
        StatusCode::CONFLICT,
        "in_progress",
        "同一请求正在处理中，请勿重复提交；稍后刷新查看结果",
        "the same request is still being handled; do not resend it, check again shortly",
    );
    if api {
        e.into_response()
    } else {
        (
            StatusCode::CONFLICT,
            [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
            e.message,
        )
            .into_response()
    }
}
