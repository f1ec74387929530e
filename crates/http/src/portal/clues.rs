//! 投诉举报 and 进度查询 on the portal (issue 14 item 7): the public complaint/tip form
//! (`/clues/new`, multipart with up to three photos or PDFs) and the tracking page
//! (`/clues/track`, by clue code and check code). The use cases, limits and the challenge are
//! in `services::clues::portal`; this layer reads the form within bounds, checks the page's
//! CSRF token and renders the pages (429 with `Retry-After` when a limit is reached).

use std::collections::BTreeMap;

use askama::Template;
use axum::extract::{Multipart, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum_extra::extract::CookieJar;
use axum_extra::extract::cookie::{Cookie, SameSite};
use lianjian_services::ServiceError;
use lianjian_services::clues::portal::{
    self as svc_portal, ChallengeAnswer, MAX_FILE_BYTES, MAX_FILES, PortalClueInput, Tracking,
};
use lianjian_services::evidence::Upload;

use super::Frame;
use crate::AppState;
use crate::console::fields::errors_of;
use crate::console::render;
use crate::extract::ClientIp;
use crate::i18n::{Messages, zh_cn};

const CSRF_COOKIE: &str = "lj_clue_csrf";
/// Text fields are short; anything longer is cut off here (the service bounds each field).
const MAX_TEXT: usize = 16 * 1024;
/// The largest request the form may send: the files and the text around them.
pub const MAX_BODY: usize = MAX_FILES * MAX_FILE_BYTES as usize + 256 * 1024;

/// The form's fields as typed, to show them back.
#[derive(Debug, Clone, Default)]
pub struct Fields {
    kind: String,
    content: String,
    address: String,
    region_code: String,
    entity_name: String,
    entity_usci: String,
    anonymous: bool,
    name: String,
    phone: String,
    consent: bool,
}

#[derive(Template)]
#[template(path = "portal/clue_new.html")]
struct FormPage {
    t: &'static Messages,
    frame: Frame,
    f: Fields,
    kinds: Vec<(&'static str, &'static str)>,
    regions: Vec<(String, String)>,
    errors: BTreeMap<String, String>,
    csrf: String,
    token: String,
    bits: u32,
    question: String,
    max_files: usize,
    max_mb: u64,
}

#[derive(Template)]
#[template(path = "portal/clue_sent.html")]
struct SentPage {
    t: &'static Messages,
    frame: Frame,
    code: String,
    check_code: String,
    attachments: usize,
}

#[derive(Template)]
#[template(path = "portal/clue_track.html")]
struct TrackPage {
    t: &'static Messages,
    frame: Frame,
    csrf: String,
    code: String,
    error: Option<String>,
    found: Option<Tracking>,
}

#[derive(Template)]
#[template(path = "portal/too_many.html")]
struct TooManyPage {
    t: &'static Messages,
    frame: Frame,
    minutes: u64,
    until: String,
    back: &'static str,
}

fn csrf_cookie(st: &AppState, jar: CookieJar) -> (CookieJar, String) {
    csrf_cookie_at(st, jar, CSRF_COOKIE, "/clues")
}

fn csrf_ok(jar: &CookieJar, sent: &str) -> bool {
    csrf_ok_at(jar, CSRF_COOKIE, sent)
}

/// A fresh CSRF token for a public form: in cookie `name` (HTTP only, strict, limited to
/// `path`) and returned for the page's hidden field.
pub(super) fn csrf_cookie_at(
    st: &AppState,
    jar: CookieJar,
    name: &'static str,
    path: &'static str,
) -> (CookieJar, String) {
    let token = hex::encode(rand::random::<[u8; 32]>());
    let cookie = Cookie::build((name, token.clone()))
        .path(path)
        .http_only(true)
        .same_site(SameSite::Strict)
        .secure(st.secure_cookies)
        .build();
    (jar.add(cookie), token)
}

/// Whether the form sent back the token of cookie `name`.
pub(super) fn csrf_ok_at(jar: &CookieJar, name: &str, sent: &str) -> bool {
    jar.get(name)
        .map(|c| c.value().to_string())
        .is_some_and(|t| !t.is_empty() && crate::extract::constant_time_eq(sent, &t))
}

fn kinds() -> Vec<(&'static str, &'static str)> {
    svc_portal::KINDS
        .iter()
        .map(|k| (k.as_str(), k.label_zh()))
        .collect()
}

async fn form_page(
    st: &AppState,
    jar: CookieJar,
    status: StatusCode,
    f: Fields,
    errors: BTreeMap<String, String>,
) -> Response {
    let svc = &st.svc;
    let ch = match svc_portal::challenge(svc).await {
        Ok(c) => c,
        Err(e) => return super::unavailable("portal clue challenge", e),
    };
    let root = svc.site.region.as_ref().map(|r| r.to_string());
    let regions = crate::regions::within_scope(svc, root.as_deref())
        .await
        .to_vec();
    let (jar, csrf) = csrf_cookie(st, jar);
    (
        status,
        [(header::CACHE_CONTROL, "no-store")],
        jar,
        render(FormPage {
            t: zh_cn(),
            frame: Frame::of(svc, "clues"),
            f,
            kinds: kinds(),
            regions,
            errors,
            csrf,
            token: ch.token,
            bits: ch.bits,
            question: ch.question,
            max_files: MAX_FILES,
            max_mb: MAX_FILE_BYTES / 1024 / 1024,
        }),
    )
        .into_response()
}

pub async fn new_form(State(st): State<AppState>, jar: CookieJar) -> Response {
    form_page(&st, jar, StatusCode::OK, Fields::default(), BTreeMap::new()).await
}

/// A limit was reached: 429, `Retry-After`, and when to come back in words.
fn too_many(st: &AppState, secs: u64, back: &'static str) -> Response {
    too_many_in(st, secs, back, "clues")
}

/// [`too_many`] for a page of section `frame`.
pub(super) fn too_many_in(
    st: &AppState,
    secs: u64,
    back: &'static str,
    frame: &'static str,
) -> Response {
    let until = lianjian_domain::visit::beijing_date(st.svc.now());
    let at = (st.svc.now() + chrono::Duration::seconds(secs as i64))
        .with_timezone(&chrono::FixedOffset::east_opt(8 * 3600).expect("UTC+8"));
    let until = if at.date_naive() == until {
        at.format("%H:%M").to_string()
    } else {
        at.format("%Y-%m-%d %H:%M").to_string()
    };
    let mut r = (
        StatusCode::TOO_MANY_REQUESTS,
        [(header::CACHE_CONTROL, "no-store")],
        render(TooManyPage {
            t: zh_cn(),
            frame: Frame::of(&st.svc, frame),
            minutes: secs.div_ceil(60),
            until,
            back,
        }),
    )
        .into_response();
    if let Ok(v) = secs.to_string().parse() {
        r.headers_mut().insert(header::RETRY_AFTER, v);
    }
    r
}

fn one_error(field: &str, message: &str) -> BTreeMap<String, String> {
    [(field.to_string(), message.to_string())].into()
}

/// Reads a text field, at most [`MAX_TEXT`] bytes.
async fn text(field: &mut axum::extract::multipart::Field<'_>) -> Result<String, ()> {
    let mut buf = Vec::new();
    while let Ok(Some(chunk)) = field.chunk().await {
        if buf.len() + chunk.len() > MAX_TEXT {
            return Err(());
        }
        buf.extend_from_slice(&chunk);
    }
    Ok(String::from_utf8_lossy(&buf).into_owned())
}

/// The form, read within bounds: at most [`MAX_FILES`] files of at most [`MAX_FILE_BYTES`]
/// each; reading stops at the first file too many or too large (its error names it).
async fn read_form(mut form: Multipart) -> (Fields, String, PortalClueInput, Option<ServiceError>) {
    let mut f = Fields::default();
    let mut csrf = String::new();
    let mut input = PortalClueInput::default();
    let mut ch = ChallengeAnswer::default();
    let cut = || {
        ServiceError::field(
            "form",
            lianjian_domain::Invalid::new("too_long", "提交的内容过长", "a form field is too long"),
        )
    };
    let mut refused = None;
    loop {
        let mut field = match form.next_field().await {
            Ok(Some(x)) => x,
            Ok(None) => break,
            Err(_) => {
                refused = Some(ServiceError::field(
                    "files",
                    lianjian_domain::Invalid::new(
                        "upload_failed",
                        format!(
                            "上传中断或附件过大（每个附件不超过 {} MB）",
                            MAX_FILE_BYTES / 1024 / 1024
                        ),
                        "the upload was cut off or too large",
                    ),
                ));
                break;
            }
        };
        let name = field.name().unwrap_or_default().to_string();
        if name == "files" {
            let filename = field.file_name().unwrap_or_default().to_string();
            let media_type = field.content_type().map(str::to_string);
            if filename.is_empty() {
                // The file input left empty.
                while let Ok(Some(_)) = field.chunk().await {}
                continue;
            }
            if input.files.len() >= MAX_FILES {
                refused = Some(svc_portal::too_many_files());
                break;
            }
            let mut bytes = Vec::new();
            let mut too_large = false;
            loop {
                match field.chunk().await {
                    Ok(Some(chunk)) => {
                        if (bytes.len() + chunk.len()) as u64 > MAX_FILE_BYTES {
                            too_large = true;
                            break;
                        }
                        bytes.extend_from_slice(&chunk);
                    }
                    Ok(None) => break,
                    Err(_) => {
                        too_large = true;
                        break;
                    }
                }
            }
            if too_large {
                refused = Some(svc_portal::file_too_large(&filename));
                break;
            }
            input.files.push(Upload {
                filename,
                media_type,
                bytes,
            });
            continue;
        }
        let Ok(v) = text(&mut field).await else {
            refused = Some(cut());
            break;
        };
        match name.as_str() {
            "_csrf" => csrf = v,
            "kind" => f.kind = v,
            "content" => f.content = v,
            "address" => f.address = v,
            "region_code" => f.region_code = v,
            "entity_name" => f.entity_name = v,
            "entity_usci" => f.entity_usci = v,
            "anonymous" => f.anonymous = v == "1",
            "complainant_name" => f.name = v,
            "complainant_phone" => f.phone = v,
            "consent" => f.consent = v == "1",
            "challenge" => ch.token = v,
            "work" => ch.work = v,
            "answer" => ch.answer = v,
            _ => {}
        }
    }
    input.kind = f.kind.clone();
    input.content = f.content.clone();
    input.address = f.address.clone();
    input.region_code = f.region_code.clone();
    input.entity_name = f.entity_name.clone();
    input.entity_usci = f.entity_usci.clone();
    input.anonymous = f.anonymous;
    input.name = f.name.clone();
    input.phone = f.phone.clone();
    input.consent = f.consent;
    input.challenge = ch;
    (f, csrf, input, refused)
}

pub async fn submit(
    State(st): State<AppState>,
    ClientIp(ip): ClientIp,
    jar: CookieJar,
    headers: HeaderMap,
    form: Multipart,
) -> Response {
    // A body announced larger than the form may be is refused before it is read.
    let announced = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if announced.is_some_and(|n| n > MAX_BODY) {
        let msg = format!(
            "附件总大小超过上限（最多 {MAX_FILES} 个，每个不超过 {} MB），请减少或压缩后重新提交",
            MAX_FILE_BYTES / 1024 / 1024
        );
        return form_page(
            &st,
            jar,
            StatusCode::PAYLOAD_TOO_LARGE,
            Fields::default(),
            one_error("files", &msg),
        )
        .await;
    }
    let (f, csrf, input, refused) = read_form(form).await;
    if !csrf_ok(&jar, &csrf) {
        return form_page(
            &st,
            jar,
            StatusCode::FORBIDDEN,
            f,
            one_error("form", "页面已过期或来源不明，请重新填写后提交"),
        )
        .await;
    }
    let result = match refused {
        Some(e) => Err(e),
        None => svc_portal::submit(&st.svc, ip, input).await,
    };
    match result {
        Ok(s) => (
            StatusCode::OK,
            [(header::CACHE_CONTROL, "no-store")],
            render(SentPage {
                t: zh_cn(),
                frame: Frame::of(&st.svc, "clues"),
                code: s.code,
                check_code: s.check_code,
                attachments: s.attachments,
            }),
        )
            .into_response(),
        Err(ServiceError::Throttled { retry_after_secs }) => {
            too_many(&st, retry_after_secs, "/clues/new")
        }
        Err(e) => match errors_of(&e) {
            Some(errors) => form_page(&st, jar, StatusCode::UNPROCESSABLE_ENTITY, f, errors).await,
            None => super::unavailable("portal clue", e),
        },
    }
}

fn track_page(
    st: &AppState,
    jar: CookieJar,
    status: StatusCode,
    code: String,
    error: Option<String>,
    found: Option<Tracking>,
) -> Response {
    let (jar, csrf) = csrf_cookie(st, jar);
    (
        status,
        [(header::CACHE_CONTROL, "no-store")],
        jar,
        render(TrackPage {
            t: zh_cn(),
            frame: Frame::of(&st.svc, "track"),
            csrf,
            code,
            error,
            found,
        }),
    )
        .into_response()
}

pub async fn track_form(State(st): State<AppState>, jar: CookieJar) -> Response {
    track_page(&st, jar, StatusCode::OK, String::new(), None, None)
}

#[derive(serde::Deserialize)]
pub struct TrackForm {
    #[serde(default)]
    code: String,
    #[serde(default)]
    check: String,
    #[serde(rename = "_csrf", default)]
    csrf: String,
}

pub async fn track(
    State(st): State<AppState>,
    ClientIp(ip): ClientIp,
    jar: CookieJar,
    axum::Form(f): axum::Form<TrackForm>,
) -> Response {
    let code = f.code.trim().to_ascii_uppercase();
    if !csrf_ok(&jar, &f.csrf) {
        let msg = "页面已过期或来源不明，请重新输入后查询".to_string();
        return track_page(&st, jar, StatusCode::FORBIDDEN, code, Some(msg), None);
    }
    if code.is_empty() || f.check.trim().is_empty() {
        let msg = if code.is_empty() {
            "请填写线索编号"
        } else {
            "请填写查询码"
        };
        return track_page(
            &st,
            jar,
            StatusCode::UNPROCESSABLE_ENTITY,
            code,
            Some(msg.into()),
            None,
        );
    }
    match svc_portal::track(&st.svc, ip, &code, &f.check).await {
        Ok(t) => track_page(&st, jar, StatusCode::OK, code, None, Some(t)),
        Err(ServiceError::Throttled { retry_after_secs }) => {
            too_many(&st, retry_after_secs, "/clues/track")
        }
        Err(ServiceError::NotFound) => track_page(
            &st,
            jar,
            StatusCode::NOT_FOUND,
            code,
            Some(
                "未查到与该线索编号和查询码相符的记录，请核对后重试（多次查询不符将暂停查询）"
                    .into(),
            ),
            None,
        ),
        Err(e) => super::unavailable("portal clue tracking", e),
    }
}
