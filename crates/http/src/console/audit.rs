//! Audit log viewer with filters (user, department, action, time) and chain verification.

use askama::Template;
use axum::extract::{Query, State};
use axum::response::Response;
use chrono::{NaiveDate, TimeZone};
use lianjian_services::audit_log;
use lianjian_services::audit_log::AuditQuery;
use serde::Deserialize;
use uuid::Uuid;

use super::{Chrome, ConsoleError, Pager, local, render, see_other};
use crate::AppState;
use crate::extract::Console;

pub struct Row {
    seq: i64,
    at: String,
    actor: String,
    ip: String,
    action: String,
    object: String,
    before: String,
    after: String,
}

#[derive(Template)]
#[template(path = "console/audit.html")]
struct Page {
    c: Chrome,
    rows: Vec<Row>,
    pager: Pager,
    actor: String,
    action: String,
    department_id: String,
    from: String,
    to: String,
    actions: Vec<String>,
    departments: Vec<(String, String)>,
    can_verify: bool,
    export_cap: usize,
    verify: Option<(bool, String)>,
    error: Option<String>,
}

#[derive(Deserialize)]
pub struct Filter {
    actor: Option<String>,
    action: Option<String>,
    department_id: Option<String>,
    from: Option<String>,
    to: Option<String>,
    page: Option<u64>,
    verify: Option<String>,
}

/// Days are Beijing calendar days.
fn day_start(s: &str) -> Option<chrono::DateTime<chrono::Utc>> {
    let d = NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d").ok()?;
    let bj = chrono::FixedOffset::east_opt(8 * 3600)?;
    bj.from_local_datetime(&d.and_hms_opt(0, 0, 0)?)
        .single()
        .map(|t| t.with_timezone(&chrono::Utc))
}

fn pretty(j: &Option<String>) -> String {
    j.as_deref()
        .map(|s| {
            serde_json::from_str::<serde_json::Value>(s)
                .ok()
                .and_then(|v| serde_json::to_string_pretty(&v).ok())
                .unwrap_or_else(|| s.to_string())
        })
        .unwrap_or_default()
}

/// The query of the filters, and what is wrong with a date that does not parse (that date
/// is then left out).
fn query_of(f: &Filter) -> (AuditQuery, Option<String>) {
    let mut error = None;
    let dept = f
        .department_id
        .as_deref()
        .filter(|d| !d.is_empty())
        .and_then(|d| Uuid::parse_str(d).ok());
    let from = f.from.as_deref().filter(|x| !x.is_empty()).and_then(|x| {
        let r = day_start(x);
        if r.is_none() {
            error = Some(format!("起始日期“{x}”格式不正确，应为 YYYY-MM-DD"));
        }
        r
    });
    let to = f.to.as_deref().filter(|x| !x.is_empty()).and_then(|x| {
        let r = day_start(x).map(|t| t + chrono::Duration::days(1));
        if r.is_none() {
            error = Some(format!("截止日期“{x}”格式不正确，应为 YYYY-MM-DD"));
        }
        r
    });
    let q = AuditQuery {
        actor: f.actor.clone(),
        department_id: dept,
        action: f.action.clone(),
        from,
        to,
    };
    (q, error)
}

/// The filters as they travel in links (`k=v&`).
fn filter_query(f: &Filter) -> String {
    [
        ("actor", &f.actor),
        ("action", &f.action),
        ("department_id", &f.department_id),
        ("from", &f.from),
        ("to", &f.to),
    ]
    .iter()
    .filter_map(|(k, v)| v.as_deref().filter(|v| !v.is_empty()).map(|v| (k, v)))
    .map(|(k, v)| format!("{k}={}&", crate::extract::urlencode(v)))
    .collect()
}

/// The log with the viewer's filters as xlsx (newest first, at most
/// [`audit_log::EXPORT_CAP`] entries); recorded as `audit.export`. A date that does not parse
/// sends the user back to the viewer, which names it.
pub async fn export(
    State(st): State<AppState>,
    Console(s): Console,
    Query(f): Query<Filter>,
) -> Result<Response, ConsoleError> {
    let (q, error) = query_of(&f);
    if error.is_some() {
        return Ok(see_other(&format!("/console/audit?{}", filter_query(&f))));
    }
    let b = audit_log::export(&st.svc, &s.actor, &q).await?;
    Ok(super::exchange::xlsx("审计日志.xlsx", b))
}

pub async fn list(
    State(st): State<AppState>,
    Console(s): Console,
    Query(f): Query<Filter>,
) -> Result<Response, ConsoleError> {
    let (q, error) = query_of(&f);
    let p = audit_log::list(
        &st.svc,
        &s.actor,
        &q,
        lianjian_services::PageRequest::new(f.page, Some(50)),
    )
    .await?;
    let verify = if f.verify.is_some() && audit_log::may_verify(&s.actor) {
        match audit_log::verify(&st.svc, &s.actor).await {
            Ok(Ok(v)) => Some((
                true,
                format!(
                    "哈希链完整：共 {} 条记录，最新哈希 {}",
                    v.entries, v.head_hash
                ),
            )),
            Ok(Err(t)) => Some((false, format!("发现篡改：{t}"))),
            Err(e) => return Err(e.into()),
        }
    } else {
        None
    };
    let (actor, action, department_id, from_s, to_s) = (
        f.actor.unwrap_or_default(),
        f.action.unwrap_or_default(),
        f.department_id.unwrap_or_default(),
        f.from.unwrap_or_default(),
        f.to.unwrap_or_default(),
    );
    let pager = Pager::new(
        &p,
        &[
            ("actor", &actor),
            ("action", &action),
            ("department_id", &department_id),
            ("from", &from_s),
            ("to", &to_s),
        ],
    );
    let rows = p
        .items
        .into_iter()
        .map(|e| Row {
            seq: e.seq,
            at: local(&e.at),
            ip: e.ip.clone().unwrap_or_default(),
            object: format!(
                "{} {}",
                e.object_type,
                e.object_id.clone().unwrap_or_default()
            ),
            before: pretty(&e.before),
            after: pretty(&e.after),
            actor: e.actor_name,
            action: e.action,
        })
        .collect();
    let actions = audit_log::actions(&st.svc).await.unwrap_or_default();
    let departments = audit_log::department_options(&st.svc, &s.actor)
        .await
        .map(|ds| {
            ds.into_iter()
                .map(|d| (d.id.to_string(), format!("{}（{}）", d.name, d.region_code)))
                .collect()
        })
        .unwrap_or_default();
    let c = Chrome::new(&st.svc, &s, "audit").await;
    Ok(render(Page {
        c,
        rows,
        pager,
        actor,
        action,
        department_id,
        from: from_s,
        to: to_s,
        actions,
        departments,
        can_verify: audit_log::may_verify(&s.actor),
        export_cap: audit_log::EXPORT_CAP,
        verify,
        error,
    }))
}
