//! 信用异议 on the portal (issue 15 item 4): `/credit/objection`. An entity names itself by its
//! unified social credit code, picks one of its entries the portal publishes, gives a contact
//! and its reasons; the objection lands in the staff's appeal queue
//! (`services::credit_objection`). Protected as the complaint form is: the page's CSRF
//! cookie, the challenge, a limit per address (429 with `Retry-After`), a small urlencoded body
//! ([`MAX_BODY`]). The page shows only what the public credit page shows.

use std::collections::BTreeMap;

use askama::Template;
use axum::extract::{Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum_extra::extract::CookieJar;
use lianjian_services::ServiceError;
use lianjian_services::clues::portal::{self as svc_portal, ChallengeAnswer};
use lianjian_services::credit_objection::{self as objection, PortalObjectionInput};
use lianjian_services::credit::public::{self, PublicCredit};

use super::Frame;
use super::clues::{csrf_cookie_at, csrf_ok_at, too_many_in};
use crate::AppState;
use crate::api::params::Params;
use crate::console::fields::errors_of;
use crate::console::render;
use crate::extract::ClientIp;
use crate::i18n::{Messages, zh_cn};

const CSRF_COOKIE: &str = "lj_objection_csrf";
const PATH: &str = "/credit/objection";
/// The form is text only: a few KB; anything larger is refused unread.
pub const MAX_BODY: usize = 32 * 1024;

/// The form as typed and sent.
#[derive(Debug, Clone, Default, serde::Deserialize)]
pub struct Form {
    #[serde(default)]
    usci: String,
    #[serde(default)]
    entry_id: String,
    #[serde(default)]
    contact: String,
    #[serde(default)]
    phone: String,
    #[serde(default)]
    statement: String,
    #[serde(rename = "_csrf", default)]
    csrf: String,
    #[serde(default)]
    challenge: String,
    #[serde(default)]
    work: String,
    #[serde(default)]
    answer: String,
}

#[derive(Template)]
#[template(path = "portal/objection.html")]
struct FormPage {
    t: &'static Messages,
    frame: Frame,
    f: Form,
    /// The entity and its public entries, once its credit code is known.
    credit: Option<PublicCredit>,
    errors: BTreeMap<String, String>,
    csrf: String,
    token: String,
    bits: u32,
    question: String,
}

#[derive(Template)]
#[template(path = "portal/objection_sent.html")]
struct SentPage {
    t: &'static Messages,
    frame: Frame,
    code: String,
    due: String,
    usci: String,
}

async fn form_page(
    st: &AppState,
    jar: CookieJar,
    status: StatusCode,
    f: Form,
    mut errors: BTreeMap<String, String>,
) -> Response {
    let svc = &st.svc;
    let ch = match svc_portal::challenge(svc).await {
        Ok(c) => c,
        Err(e) => return super::unavailable("portal objection challenge", e),
    };
    let credit = if f.usci.trim().is_empty() {
        None
    } else {
        match public::of_entity(svc, f.usci.trim()).await {
            Ok(c) => Some(c),
            Err(ServiceError::NotFound) => {
                errors.entry("usci".into()).or_insert_with(|| {
                    "本平台没有该统一社会信用代码的经营主体，请核对后重新填写".into()
                });
                None
            }
            Err(ServiceError::Invalid(v)) => {
                if let Some(x) = v.first() {
                    errors.entry("usci".into()).or_insert(x.message.clone());
                }
                None
            }
            Err(e) => return super::unavailable("portal objection", e),
        }
    };
    let (jar, csrf) = csrf_cookie_at(st, jar, CSRF_COOKIE, PATH);
    (
        status,
        [(header::CACHE_CONTROL, "no-store")],
        jar,
        render(FormPage {
            t: zh_cn(),
            frame: Frame::of(svc, "credit"),
            f,
            credit,
            errors,
            csrf,
            token: ch.token,
            bits: ch.bits,
            question: ch.question,
        }),
    )
        .into_response()
}

/// `GET /credit/objection?usci=…`: the form, with the entity's public entries to pick from
/// once its credit code is given.
pub async fn form(
    State(st): State<AppState>,
    jar: CookieJar,
    Query(q): Query<Vec<(String, String)>>,
) -> Response {
    let f = Form {
        usci: Params(q).one("usci").trim().to_ascii_uppercase(),
        ..Default::default()
    };
    form_page(&st, jar, StatusCode::OK, f, BTreeMap::new()).await
}

/// `POST /credit/objection`: files the objection (422 naming each bad field, the form kept).
pub async fn submit(
    State(st): State<AppState>,
    ClientIp(ip): ClientIp,
    jar: CookieJar,
    axum::Form(mut f): axum::Form<Form>,
) -> Response {
    f.usci = f.usci.trim().to_ascii_uppercase();
    if !csrf_ok_at(&jar, CSRF_COOKIE, &f.csrf) {
        let e = [(
            "form".to_string(),
            "页面已过期或来源不明，请重新填写后提交".to_string(),
        )]
        .into();
        return form_page(&st, jar, StatusCode::FORBIDDEN, f, e).await;
    }
    let input = PortalObjectionInput {
        usci: f.usci.clone(),
        entry_id: f.entry_id.clone(),
        contact: f.contact.clone(),
        phone: f.phone.clone(),
        statement: f.statement.clone(),
        challenge: ChallengeAnswer {
            token: f.challenge.clone(),
            work: f.work.clone(),
            answer: f.answer.clone(),
        },
    };
    match objection::submit(&st.svc, ip, &input).await {
        Ok(x) => (
            StatusCode::OK,
            [(header::CACHE_CONTROL, "no-store")],
            render(SentPage {
                t: zh_cn(),
                frame: Frame::of(&st.svc, "credit"),
                code: x.code,
                due: x.due.map(|d| d.to_string()).unwrap_or_default(),
                usci: f.usci,
            }),
        )
            .into_response(),
        Err(ServiceError::Throttled { retry_after_secs }) => {
            too_many_in(&st, retry_after_secs, PATH, "credit")
        }
        Err(e) => match errors_of(&e) {
            Some(errors) => form_page(&st, jar, StatusCode::UNPROCESSABLE_ENTITY, f, errors).await,
            None => super::unavailable("portal objection", e),
        },
    }
}
