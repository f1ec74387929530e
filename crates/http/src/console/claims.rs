//! 双告知认领: a department administrator's pending claims (accept, or reject with a reason) and
//! a coordination office's escalations (assign a department).

use std::collections::HashMap;

use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use lianjian_domain::account::Role;
use lianjian_services::accounts::SessionAuth;
use lianjian_services::{PageRequest, ServiceError, directory};
use uuid::Uuid;

use super::fields::FormData;
use super::{Chrome, ConsoleError, CsrfForm, Pager, PathId, form_errors, local, render, see_other};
use crate::AppState;
use crate::api::params::Params;
use crate::extract::Console;

pub struct Row {
    id: Uuid,
    entity_id: Uuid,
    entity_name: String,
    usci: String,
    region: String,
    matched_by: String,
    created: String,
    waiting: String,
    overdue: bool,
    /// Departments the office may assign (escalations only).
    departments: Vec<(String, String)>,
    error: Option<String>,
    reason: String,
    department_id: String,
    note: String,
}

#[derive(Template)]
#[template(path = "console/claims.html")]
struct Page {
    c: Chrome,
    rows: Vec<Row>,
    pager: Pager,
    /// Coordination offices see escalations; department administrators their pending claims.
    office: bool,
    /// Why the last action failed (also shown on its row when the row is on this page).
    error: Option<String>,
}

fn waiting(hours: i64) -> String {
    match hours {
        h if h < 1 => "不到 1 小时".into(),
        h if h < 24 => format!("{h} 小时"),
        h => format!("{} 天 {} 小时", h / 24, h % 24),
    }
}

/// What the user typed in one row's form, and what was wrong with it.
struct Retry {
    claim: Uuid,
    error: String,
    reason: String,
    department_id: String,
    note: String,
}

async fn page(
    st: &AppState,
    s: &SessionAuth,
    page_no: Option<u64>,
    ok: &str,
    retry: Option<Retry>,
) -> Result<Response, ConsoleError> {
    let svc = &st.svc;
    let p = directory::claim_queue(svc, &s.actor, PageRequest::new(page_no, Some(20))).await?;
    let office = matches!(s.actor.role, Role::CoordinationOffice | Role::SystemAdmin);
    let pager = Pager::new(&p, &[]);
    let codes: Vec<String> = p
        .items
        .iter()
        .map(|v| v.claim.region_code.to_string())
        .collect();
    let region_names = crate::api::items::county_names(svc, codes).await;
    let mut picks: HashMap<String, Vec<(String, String)>> = HashMap::new();
    let mut rows = Vec::with_capacity(p.items.len());
    for v in p.items {
        let region = v.claim.region_code.to_string();
        let departments = if office {
            if !picks.contains_key(&region) {
                let list = lianjian_services::departments::pickable(svc, &v.claim.region_code)
                    .await
                    .unwrap_or_default()
                    .into_iter()
                    .map(|d| (d.id.to_string(), format!("{}（{}）", d.name, d.region_code)))
                    .collect();
                picks.insert(region.clone(), list);
            }
            picks[&region].clone()
        } else {
            Vec::new()
        };
        let r = retry.as_ref().filter(|r| r.claim == v.claim.id);
        rows.push(Row {
            id: v.claim.id,
            entity_id: v.claim.entity_id,
            entity_name: v.entity_name,
            usci: v.usci,
            region: region_names.get(&region).cloned().unwrap_or(region),
            matched_by: v.claim.matched_by,
            created: local(&v.claim.created_at),
            waiting: waiting(v.waiting_hours),
            overdue: v.waiting_hours >= 72,
            departments,
            error: r.map(|r| r.error.clone()),
            reason: r.map(|r| r.reason.clone()).unwrap_or_default(),
            department_id: r.map(|r| r.department_id.clone()).unwrap_or_default(),
            note: r.map(|r| r.note.clone()).unwrap_or_default(),
        });
    }
    let mut c = Chrome::new(svc, s, "claims").await;
    c.notice = match ok {
        "accepted" => Some("已认领，该对象纳入本部门监管。".into()),
        "rejected" => Some("已退回。如没有其他部门认领，将提交联席办研判。".into()),
        "assigned" => Some("已指定主管部门。".into()),
        _ => None,
    };
    let status = if retry.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    let error = retry.map(|r| format!("操作未完成：{}", r.error));
    Ok((
        status,
        render(Page {
            c,
            rows,
            pager,
            office,
            error,
        }),
    )
        .into_response())
}

pub async fn queue(
    State(st): State<AppState>,
    Console(s): Console,
    Query(q): Query<Vec<(String, String)>>,
) -> Result<Response, ConsoleError> {
    let p = Params(q);
    page(&st, &s, p.paging().map(|r| r.page).ok(), &p.one("ok"), None).await
}

async fn outcome(
    st: &AppState,
    s: &SessionAuth,
    claim: Uuid,
    r: Result<(), ServiceError>,
    ok: &str,
    f: &FormData,
) -> Result<Response, ConsoleError> {
    match r {
        Ok(()) => Ok(see_other(&format!("/console/claims?ok={ok}"))),
        Err(e) => {
            let errs = form_errors(e)?;
            let retry = Retry {
                claim,
                error: errs.into_values().collect::<Vec<_>>().join("；"),
                reason: f.get("reason"),
                department_id: f.get("department_id"),
                note: f.get("note"),
            };
            page(st, s, None, "", Some(retry)).await
        }
    }
}

pub async fn accept(
    State(st): State<AppState>,
    Console(s): Console,
    PathId(id): PathId,
    CsrfForm(f): CsrfForm<FormData>,
) -> Result<Response, ConsoleError> {
    let r = directory::decide_claim(&st.svc, &s.actor, id, true, "").await;
    outcome(&st, &s, id, r, "accepted", &f).await
}

pub async fn reject(
    State(st): State<AppState>,
    Console(s): Console,
    PathId(id): PathId,
    CsrfForm(f): CsrfForm<FormData>,
) -> Result<Response, ConsoleError> {
    let r = directory::decide_claim(&st.svc, &s.actor, id, false, &f.get("reason")).await;
    outcome(&st, &s, id, r, "rejected", &f).await
}

pub async fn assign(
    State(st): State<AppState>,
    Console(s): Console,
    PathId(id): PathId,
    CsrfForm(f): CsrfForm<FormData>,
) -> Result<Response, ConsoleError> {
    let r = match Uuid::parse_str(f.get("department_id").trim()) {
        Ok(d) => directory::assign_claim(&st.svc, &s.actor, id, d, &f.get("note")).await,
        Err(_) => Err(ServiceError::Invalid(vec![
            lianjian_services::FieldError::new(
                "department_id",
                lianjian_domain::Invalid::new(
                    "required",
                    "请选择要指定的主管部门",
                    "choose a department",
                ),
            ),
        ])),
    };
    outcome(&st, &s, id, r, "assigned", &f).await
}
