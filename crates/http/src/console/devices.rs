//! 物联网感知监测 in the console (issue 16 item 3): the device list (search, kind and status
//! filters, paging) with the MQTT ingest's counters and the newest refused messages; a
//! device's page (latest readings, minute aggregates, exceedances); the registration and edit
//! forms, which name every bad field.

use std::collections::BTreeMap;

use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use lianjian_domain::iot::DeviceKind;
use lianjian_services::accounts::SessionAuth;
use lianjian_services::iot::IngestStats;
use lianjian_services::iot::devices::{
    self, DeviceDetail, DeviceFilter, DeviceInput, DeviceView, may_manage_devices,
};
use lianjian_services::{PageRequest, ServiceError};
use serde::Deserialize;

use super::fields::FormData;
use super::{
    Chrome, ConsoleError, CsrfForm, Pager, PathId, failure, local, local_opt, render, see_other,
    with_status,
};
use crate::AppState;
use crate::extract::Console;

const AREA: &str = "iot";

/// The list's query.
#[derive(Debug, Default, Deserialize)]
pub struct ListQuery {
    q: Option<String>,
    kind: Option<String>,
    status: Option<String>,
    page: Option<u64>,
    ok: Option<String>,
}

#[derive(Template)]
#[template(path = "console/devices.html")]
struct ListPage {
    c: Chrome,
    /// Each device with its last-seen time as read.
    rows: Vec<(DeviceView, String)>,
    pager: Pager,
    q: String,
    kind: String,
    status: String,
    kinds: Vec<(&'static str, &'static str)>,
    may_manage: bool,
    /// The xlsx export of what the list shows.
    export_href: String,
    stats: Option<IngestStats>,
    bad: Vec<(String, u64)>,
    error: Option<String>,
}

fn kinds() -> Vec<(&'static str, &'static str)> {
    DeviceKind::ALL
        .iter()
        .map(|k| (k.as_str(), k.label_zh()))
        .collect()
}

/// The refusal counters with their Chinese labels.
fn bad_rows(s: &IngestStats) -> Vec<(String, u64)> {
    lianjian_domain::iot::BadReason::ALL
        .iter()
        .filter_map(|r| {
            s.bad
                .get(r.as_str())
                .map(|n| (r.label_zh().to_string(), *n))
        })
        .collect()
}

/// `GET /console/devices/export`: the devices the list shows (its filters) as xlsx in the
/// import layout.
pub async fn export(
    State(st): State<AppState>,
    Console(s): Console,
    Query(lq): Query<ListQuery>,
) -> Result<Response, ConsoleError> {
    let f = DeviceFilter {
        q: lq.q,
        kind: lq.kind,
        status: lq.status,
    };
    let bytes = lianjian_services::exchange::devices::export(&st.svc, &s.actor, &f).await?;
    Ok(super::exchange::xlsx(
        &format!("物联设备-{}.xlsx", crate::api::params::today()),
        bytes,
    ))
}

pub async fn list(
    State(st): State<AppState>,
    Console(s): Console,
    Query(lq): Query<ListQuery>,
) -> Result<Response, ConsoleError> {
    let f = DeviceFilter {
        q: lq.q.clone(),
        kind: lq.kind.clone(),
        status: lq.status.clone(),
    };
    let (p, error) =
        match devices::list(&st.svc, &s.actor, &f, PageRequest::new(lq.page, Some(50))).await {
            Ok(p) => (p, None),
            Err(e @ ServiceError::Invalid(_)) => {
                let api = crate::ApiError::from(e);
                (
                    lianjian_services::Page {
                        items: Vec::new(),
                        total: 0,
                        page: 1,
                        per_page: 50,
                    },
                    Some(api.message),
                )
            }
            Err(e) => return Err(e.into()),
        };
    let (q, kind, status) = (
        lq.q.unwrap_or_default(),
        lq.kind.unwrap_or_default(),
        lq.status.unwrap_or_default(),
    );
    let pager = Pager::new(&p, &[("q", &q), ("kind", &kind), ("status", &status)]);
    let enc = crate::extract::urlencode;
    let export_href = format!(
        "/console/devices/export?q={}&kind={}&status={}",
        enc(&q),
        enc(&kind),
        enc(&status)
    );
    let may_manage = may_manage_devices(&s.actor);
    let stats = may_manage.then(|| st.svc.iot.stats());
    let bad = stats.as_ref().map(bad_rows).unwrap_or_default();
    let mut c = Chrome::new(&st.svc, &s, AREA).await;
    c.notice = match lq.ok.as_deref() {
        Some("added") => {
            Some("设备已登记。设备按 docs/iot.md 的约定向 MQTT 主题发布读数即可接入。".into())
        }
        Some("saved") => Some("设备信息已保存。".into()),
        _ => None,
    };
    let code = if error.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    Ok(with_status(
        code,
        render(ListPage {
            c,
            rows: p
                .items
                .into_iter()
                .map(|d| {
                    let seen = local_opt(&d.last_seen_at);
                    (d, seen)
                })
                .collect(),
            pager,
            q,
            kind,
            status,
            kinds: kinds(),
            may_manage,
            export_href,
            stats,
            bad,
            error,
        }),
    ))
}

#[derive(Template)]
#[template(path = "console/device.html")]
struct DevicePage {
    c: Chrome,
    d: DeviceView,
    last_seen: String,
    /// metric, time, value, received
    readings: Vec<[String; 4]>,
    /// minute, metric, min, max, average, count, last
    minutes: Vec<[String; 7]>,
    /// metric, threshold, started, last, ended, peak, count
    exceedances: Vec<[String; 7]>,
    may_manage: bool,
}

fn num(v: f64) -> String {
    let s = format!("{v:.3}");
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}

fn page_of(c: Chrome, d: DeviceDetail, may_manage: bool) -> DevicePage {
    DevicePage {
        c,
        last_seen: local_opt(&d.device.last_seen_at),
        readings: d
            .readings
            .iter()
            .map(|r| {
                [
                    r.metric.clone(),
                    local(&r.at),
                    num(r.value),
                    local(&r.received_at),
                ]
            })
            .collect(),
        minutes: d
            .minutes
            .iter()
            .map(|m| {
                [
                    local(&m.minute),
                    m.metric.clone(),
                    num(m.min),
                    num(m.max),
                    num(m.sum / m.count.max(1) as f64),
                    m.count.to_string(),
                    num(m.last),
                ]
            })
            .collect(),
        exceedances: d
            .exceedances
            .iter()
            .map(|x| {
                [
                    x.metric.clone(),
                    num(x.threshold),
                    local(&x.started_at),
                    local(&x.last_at),
                    x.ended_at
                        .as_ref()
                        .map_or_else(|| "持续中".to_string(), local),
                    num(x.peak),
                    x.count.to_string(),
                ]
            })
            .collect(),
        d: d.device,
        may_manage,
    }
}

/// A page's query: the notice after a save.
#[derive(Debug, Default, Deserialize)]
pub struct ShowQuery {
    ok: Option<String>,
}

pub async fn show(
    State(st): State<AppState>,
    Console(s): Console,
    PathId(id): PathId,
    Query(q): Query<ShowQuery>,
) -> Result<Response, ConsoleError> {
    let d = devices::get(&st.svc, &s.actor, id).await?;
    let mut c = Chrome::new(&st.svc, &s, AREA).await;
    c.notice = match q.ok.as_deref() {
        Some("added") => {
            Some("设备已登记。设备按 docs/iot.md 的约定向 MQTT 主题发布读数即可接入。".into())
        }
        Some("saved") => Some("设备信息已保存。".into()),
        _ => None,
    };
    Ok(render(page_of(c, d, may_manage_devices(&s.actor))))
}

#[derive(Template)]
#[template(path = "console/device_form.html")]
struct FormPage {
    c: Chrome,
    /// The device edited, or none for a new one.
    id: Option<String>,
    form: FormData,
    kinds: Vec<(&'static str, &'static str)>,
    departments: Vec<(String, String)>,
    error: Option<String>,
    errors: BTreeMap<String, String>,
}

async fn form_page(
    st: &AppState,
    s: &SessionAuth,
    id: Option<String>,
    form: FormData,
    err: Option<ServiceError>,
) -> Result<Response, ConsoleError> {
    if !may_manage_devices(&s.actor) {
        return Err(ServiceError::Forbidden.into());
    }
    let (error, errors, status) = failure(err);
    let departments = super::offered_departments(&st.svc, &s.actor).await;
    let c = Chrome::new(&st.svc, s, AREA).await;
    Ok(with_status(
        status,
        render(FormPage {
            c,
            id,
            form,
            kinds: kinds(),
            departments,
            error,
            errors,
        }),
    ))
}

fn input(f: &FormData) -> Result<DeviceInput, ServiceError> {
    let silence = match f.get("silence_minutes").trim() {
        "" => None,
        t => Some(t.parse::<i64>().map_err(|_| {
            ServiceError::field(
                "silence_minutes",
                lianjian_domain::Invalid::new(
                    "number",
                    format!("静默时长“{t}”应为 1–43200 的整数（分钟）"),
                    "silence minutes must be a whole number",
                ),
            )
        })?),
    };
    Ok(DeviceInput {
        external_id: f.get("external_id"),
        kind: f.get("kind"),
        entity_id: None,
        entity_usci: Some(f.get("entity_usci")),
        department_id: f.get("department_id").trim().parse().ok(),
        location: f.get("location"),
        thresholds: Some(serde_json::Value::String(f.get("thresholds"))),
        silence_minutes: silence,
        status: Some(f.get("status")),
    })
}

pub async fn new_form(
    State(st): State<AppState>,
    Console(s): Console,
) -> Result<Response, ConsoleError> {
    let form = FormData(vec![
        ("silence_minutes".into(), "60".into()),
        ("status".into(), "active".into()),
    ]);
    form_page(&st, &s, None, form, None).await
}

pub async fn create(
    State(st): State<AppState>,
    Console(s): Console,
    CsrfForm(f): CsrfForm<FormData>,
) -> Result<Response, ConsoleError> {
    let r = match input(&f) {
        Ok(i) => devices::create(&st.svc, &s.actor, &i).await,
        Err(e) => Err(e),
    };
    match r {
        Ok(d) => Ok(see_other(&format!("/console/devices/{}?ok=added", d.id))),
        Err(e @ ServiceError::Forbidden) => Err(e.into()),
        Err(e) => form_page(&st, &s, None, f, Some(e)).await,
    }
}

pub async fn edit_form(
    State(st): State<AppState>,
    Console(s): Console,
    PathId(id): PathId,
) -> Result<Response, ConsoleError> {
    if !may_manage_devices(&s.actor) {
        return Err(ServiceError::Forbidden.into());
    }
    let d = devices::get_view(&st.svc, &s.actor, id).await?;
    let form = FormData(vec![
        ("external_id".into(), d.external_id.clone()),
        ("kind".into(), d.kind.as_str().into()),
        ("entity_usci".into(), d.entity_usci.clone()),
        ("department_id".into(), d.department_id.to_string()),
        ("location".into(), d.location.clone()),
        ("thresholds".into(), d.thresholds_text.clone()),
        ("silence_minutes".into(), d.silence_minutes.to_string()),
        ("status".into(), d.status.as_str().into()),
    ]);
    form_page(&st, &s, Some(id.to_string()), form, None).await
}

pub async fn update(
    State(st): State<AppState>,
    Console(s): Console,
    PathId(id): PathId,
    CsrfForm(f): CsrfForm<FormData>,
) -> Result<Response, ConsoleError> {
    let r = match input(&f) {
        Ok(i) => devices::update(&st.svc, &s.actor, id, &i).await,
        Err(e) => Err(e),
    };
    match r {
        Ok(d) => Ok(see_other(&format!("/console/devices/{}?ok=saved", d.id))),
        Err(e @ (ServiceError::Forbidden | ServiceError::NotFound)) => Err(e.into()),
        Err(e) => form_page(&st, &s, Some(id.to_string()), f, Some(e)).await,
    }
}
