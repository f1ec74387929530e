//! The console pattern of case work (案件化办理), written once for every case kind (clues,
//! sanction batches and tasks, appeals, warnings, assistance requests, consultations and their
//! tasks, circulars, licence hand-overs): a queue page whose tabs are the kind's queues with
//! their counts ([`queue_tabs`], the queue read by [`queue_param`]); a case page with its clocks'
//! lights ([`clock_row`]) and timeline ([`step_rows`]), opened as a [`CaseView`]; and the steps
//! the user may take, each a confirmed form posted as a [`CaseStep`] (or an upload read by
//! [`upload`]) whose answer is [`CaseStep::answer`]: back to the case's page with the step's
//! notice, or the page again with the refusal ([`failure`]) at the API's status for it.
//!
//! A new case kind writes only what is its own: its page's template and loader, its notices,
//! and one small handler per step calling its service.

use std::collections::BTreeMap;

use axum::extract::multipart::MultipartRejection;
use axum::extract::{FromRequest, FromRequestParts, Multipart, Query, Request};
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use lianjian_domain::Labelled;
use lianjian_domain::case::Light;
use lianjian_services::ServiceError;
use lianjian_services::accounts::SessionAuth;
use lianjian_services::cases::{CaseStepView, ClockView};
use lianjian_services::evidence::Upload;
use uuid::Uuid;

use super::fields::FormData;
use super::{Chrome, ConsoleError, CsrfForm, PathId, failure, local, see_other};
use crate::AppState;
use crate::api::params::Params;
use crate::extract::Console;

/// A queue's tab: (code, label, count, whether it is the one shown).
pub type Tab = (&'static str, &'static str, u64, bool);

/// The tabs of a queue page: each queue the user works with its count, `current` marked.
pub fn queue_tabs<Q: Labelled>(counts: &[(Q, u64)], current: Q) -> Vec<Tab> {
    counts
        .iter()
        .map(|(q, n)| (q.as_str(), q.label_zh(), *n, *q == current))
        .collect()
}

/// The queue a list page shows: its `queue` parameter, `default` when absent; a queue that
/// does not exist is named in `errors` (under `queue`) and the default is shown.
pub fn queue_param<Q: Labelled>(
    p: &Params,
    default: Q,
    errors: &mut BTreeMap<String, String>,
) -> Q {
    match p.one("queue").as_str() {
        "" => default,
        q => Q::parse(q).unwrap_or_else(|e| {
            errors.insert("queue".to_string(), e.zh);
            default
        }),
    }
}

/// What a case page shows around its case: the chrome of its area with the notice of the step
/// just taken, and a refused step's error (its message, each field's) with the status the page
/// answers at.
pub struct Shell {
    pub c: Chrome,
    pub error: Option<String>,
    pub errors: BTreeMap<String, String>,
    pub status: StatusCode,
}

impl Shell {
    pub async fn new(
        st: &AppState,
        s: &SessionAuth,
        area: &'static str,
        notice: Option<String>,
        err: Option<ServiceError>,
    ) -> Self {
        let (error, errors, status) = failure(err);
        let mut c = Chrome::new(&st.svc, s, area).await;
        c.notice = notice;
        Self {
            c,
            error,
            errors,
            status,
        }
    }
}

/// Whether the user may take the step `action` on a case offering `actions` (what the page
/// shows a form for).
pub fn may<A: Labelled>(actions: &[A], action: &str) -> bool {
    actions.iter().any(|x| x.as_str() == action)
}

/// The CSS class of a light's badge.
pub fn light_class(l: &Light) -> &'static str {
    match l {
        Light::Green => "text-bg-success",
        Light::Yellow => "text-bg-warning",
        Light::Red => "text-bg-danger",
        Light::Met => "text-bg-light",
        Light::Late => "text-bg-secondary",
    }
}

/// A queue row's light: its badge class and label (both empty without a running clock).
pub fn light_badge(l: Option<Light>) -> (&'static str, &'static str) {
    (
        l.as_ref().map_or("", light_class),
        l.map_or("", Light::label_zh),
    )
}

/// A clock on a case page.
pub struct ClockRow {
    pub label: String,
    pub started_on: String,
    pub due: String,
    pub light_label: &'static str,
    pub light_class: &'static str,
    /// 还剩 n 个工作日 / 已超过 n 个工作日 / 完成于 …
    pub note: String,
}

pub fn clock_row(k: &ClockView) -> ClockRow {
    let note = match (k.stopped_on, k.working_days_left) {
        (Some(s), _) => format!("{s} 完成"),
        (None, Some(n)) if n >= 0 => format!("还剩 {n} 个工作日"),
        (None, Some(n)) => format!("已超过 {} 个工作日", -n),
        (None, None) => String::new(),
    };
    ClockRow {
        label: k.label.clone(),
        started_on: k.started_on.to_string(),
        due: k.due.to_string(),
        light_label: k.light.label_zh(),
        light_class: light_class(&k.light),
        note,
    }
}

/// A step on a case page's timeline.
pub struct StepRow {
    pub label: String,
    pub to: String,
    pub reason: String,
    pub actor: String,
    pub at: String,
}

/// A case's timeline as its page lists it.
pub fn step_rows(t: &[CaseStepView]) -> Vec<StepRow> {
    t.iter()
        .map(|e| StepRow {
            label: e.action_label.clone(),
            to: e.to_status.clone(),
            reason: e.reason.clone().unwrap_or_default(),
            actor: e.actor.clone(),
            at: local(&e.at),
        })
        .collect()
}

/// A case page's request: the user, the case (a path id that is not one is 404) and the
/// notice key of the step just taken (`?ok=`).
pub struct CaseView {
    pub st: AppState,
    pub s: SessionAuth,
    pub id: Uuid,
    pub ok: String,
}

/// The signed-in user and the case a route names, read in that order (as handlers taking
/// `Console` and `PathId` read them), each refusal answered as that extractor answers it.
async fn user_and_case(parts: &mut Parts, st: &AppState) -> Result<(SessionAuth, Uuid), Response> {
    let Console(s) = Console::from_request_parts(parts, st)
        .await
        .map_err(IntoResponse::into_response)?;
    let PathId(id) = PathId::from_request_parts(parts, st)
        .await
        .map_err(IntoResponse::into_response)?;
    Ok((s, id))
}

impl FromRequestParts<AppState> for CaseView {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, st: &AppState) -> Result<Self, Response> {
        let (s, id) = user_and_case(parts, st).await?;
        let Query(q) = Query::<Vec<(String, String)>>::from_request_parts(parts, st)
            .await
            .map_err(IntoResponse::into_response)?;
        Ok(Self {
            st: st.clone(),
            s,
            id,
            ok: Params(q).one("ok"),
        })
    }
}

/// A step posted on a case page: the user, the case (404 for a path id that is not one) and
/// the confirmed form (its `_csrf` checked).
pub struct CaseStep {
    pub st: AppState,
    pub s: SessionAuth,
    pub id: Uuid,
    pub f: FormData,
}

impl FromRequest<AppState> for CaseStep {
    type Rejection = Response;

    async fn from_request(req: Request, st: &AppState) -> Result<Self, Response> {
        let (mut parts, body) = req.into_parts();
        let (s, id) = user_and_case(&mut parts, st).await?;
        let CsrfForm(f) = CsrfForm::<FormData>::from_request(Request::from_parts(parts, body), st)
            .await
            .map_err(IntoResponse::into_response)?;
        Ok(Self {
            st: st.clone(),
            s,
            id,
            f,
        })
    }
}

impl CaseStep {
    /// The answer to a step (see [`answer`]).
    pub async fn answer<T, Fut>(
        &self,
        r: Result<T, ServiceError>,
        page: &str,
        ok: &str,
        again: impl FnOnce(ServiceError) -> Fut,
    ) -> Result<Response, ConsoleError>
    where
        Fut: Future<Output = Result<Response, ConsoleError>>,
    {
        answer(r, page, ok, again).await
    }
}

/// The id picked in a form's `field` (a department, a visit) from its value `raw`; none, or
/// one that is not an id, is refused on `field` as `required` with `zh` / `en`.
pub fn picked_id(field: &str, raw: &str, zh: &str, en: &str) -> Result<Uuid, ServiceError> {
    raw.parse()
        .map_err(|_| ServiceError::field(field, lianjian_domain::Invalid::new("required", zh, en)))
}

/// The answer to a step: done, back to the case's `page` with the notice `ok`; a case gone or
/// out of the user's reach is 404, a step the user may not take 403; any other refusal shows
/// the page `again` with it.
pub async fn answer<T, Fut>(
    r: Result<T, ServiceError>,
    page: &str,
    ok: &str,
    again: impl FnOnce(ServiceError) -> Fut,
) -> Result<Response, ConsoleError>
where
    Fut: Future<Output = Result<Response, ConsoleError>>,
{
    match r {
        Ok(_) => Ok(see_other(&format!("{page}?ok={ok}"))),
        Err(ServiceError::NotFound) => Err(ConsoleError::not_found()),
        Err(e @ ServiceError::Forbidden) => Err(e.into()),
        Err(e) => again(e).await,
    }
}

/// 补充材料 on a case page: the one file of a multipart form (`_csrf`, `file`). The token is
/// checked before anything is stored (a wrong one is 403); a form that could not be read at
/// all carries no token to check and stores nothing. No file is refused on `file` with
/// `missing`; a form that could not be read, with why.
pub async fn upload(
    st: &AppState,
    s: &SessionAuth,
    form: Result<Multipart, MultipartRejection>,
    missing: &str,
) -> Result<Result<Upload, ServiceError>, ConsoleError> {
    let max = st.svc.evidence.config().max_bytes;
    Ok(match crate::api::evidence::read_form(form, max).await {
        Ok((upload, fields)) => {
            super::extract::check_csrf(s, fields.get("_csrf").map_or("", String::as_str))?;
            upload.ok_or_else(|| {
                ServiceError::field(
                    "file",
                    lianjian_domain::Invalid::new("required", missing, "choose a file"),
                )
            })
        }
        Err(e) => Err(ServiceError::field(
            "file",
            lianjian_domain::Invalid::new("upload_failed", e.message, e.message_en),
        )),
    })
}
