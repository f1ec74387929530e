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
    /// What the last batch did, row by row.
    report: Option<BatchReport>,
    /// Departments the batch bar may assign (an office's, the union of the rows' lists).
    batch_departments: Vec<(String, String)>,
    /// What was typed in the batch bar, kept when the batch as a whole was refused.
    batch: BatchInput,
}

/// The batch bar's fields as typed.
#[derive(Default)]
pub struct BatchInput {
    ids: Vec<String>,
    reason: String,
    department_id: String,
    note: String,
    /// Why the batch as a whole was refused (nothing was done).
    error: Option<String>,
}

impl BatchInput {
    fn checked(&self, id: &Uuid) -> bool {
        let id = id.to_string();
        self.ids.iter().any(|x| *x == id)
    }
}

/// The outcome of a batch: how many were done, and each claim that was not, with why.
pub struct BatchReport {
    action: &'static str,
    done: usize,
    failed: Vec<(String, String)>,
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
    page_with(st, s, page_no, ok, retry, None, BatchInput::default()).await
}

async fn page_with(
    st: &AppState,
    s: &SessionAuth,
    page_no: Option<u64>,
    ok: &str,
    retry: Option<Retry>,
    report: Option<BatchReport>,
    batch: BatchInput,
) -> Result<Response, ConsoleError> {
    let batch_error = batch.error.clone();
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
                let ds = lianjian_services::departments::pickable(svc, &v.claim.region_code)
                    .await
                    .unwrap_or_default();
                // Region names, not codes, tell same-named departments of two levels apart.
                let names = crate::api::items::county_names(
                    svc,
                    ds.iter().map(|d| d.region_code.to_string()).collect(),
                )
                .await;
                let list = ds
                    .into_iter()
                    .map(|d| {
                        let r = d.region_code.to_string();
                        let rn = names.get(&r).cloned().unwrap_or(r);
                        (d.id.to_string(), format!("{}（{rn}）", d.name))
                    })
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
    let mut batch_departments: Vec<(String, String)> = Vec::new();
    for list in picks.into_values() {
        for d in list {
            if !batch_departments.iter().any(|x| x.0 == d.0) {
                batch_departments.push(d);
            }
        }
    }
    batch_departments.sort_by(|a, b| a.1.cmp(&b.1));
    let refused = batch_error.is_some();
    let status = if retry.is_some() || refused {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    let error = retry
        .map(|r| format!("操作未完成：{}", r.error))
        .or(batch_error);
    Ok((
        status,
        render(Page {
            c,
            rows,
            pager,
            office,
            error,
            report,
            batch_departments,
            batch,
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

/// The batch bar: one decision for every checked claim. Each claim is decided as its own row's
/// button would (same authorization, own transaction); the page then says how many were done
/// and names each one that was not, with why.
pub async fn batch(
    State(st): State<AppState>,
    Console(s): Console,
    CsrfForm(f): CsrfForm<FormData>,
) -> Result<Response, ConsoleError> {
    let mut input = BatchInput {
        ids: f.all("ids"),
        reason: f.get("reason"),
        department_id: f.get("department_id"),
        note: f.get("note"),
        error: None,
    };
    let refuse = |mut input: BatchInput, msg: String| {
        input.error = Some(format!("批量操作未执行：{msg}"));
        input
    };
    let mut ids = Vec::with_capacity(input.ids.len());
    for raw in &input.ids {
        match Uuid::parse_str(raw.trim()) {
            Ok(id) => ids.push(id),
            // Not an id any page offers: the request is malformed, like a bad path id.
            Err(_) => return Err(ConsoleError::not_found()),
        }
    }
    let (decision, action) = match f.get("action").as_str() {
        "accept" => (directory::ClaimDecision::Accept, "认领"),
        "reject" => (
            directory::ClaimDecision::Reject {
                reason: input.reason.clone(),
            },
            "退回",
        ),
        "assign" => match Uuid::parse_str(input.department_id.trim()) {
            Ok(d) => (
                directory::ClaimDecision::Assign {
                    department_id: d,
                    note: input.note.clone(),
                },
                "指定主管部门",
            ),
            Err(_) => {
                let input = refuse(input, "请选择要指定的主管部门".into());
                return page_with(&st, &s, None, "", None, None, input).await;
            }
        },
        _ => {
            let input = refuse(input, "请选择要执行的操作".into());
            return page_with(&st, &s, None, "", None, None, input).await;
        }
    };
    let rows = match directory::decide_claims(&st.svc, &s.actor, &ids, &decision).await {
        Ok(rows) => rows,
        Err(e) => {
            let msg = form_errors(e)?.into_values().collect::<Vec<_>>().join("；");
            input = refuse(input, msg);
            return page_with(&st, &s, None, "", None, None, input).await;
        }
    };
    let mut report = BatchReport {
        action,
        done: 0,
        failed: Vec::new(),
    };
    let mut still = Vec::new();
    for (i, r) in rows.into_iter().enumerate() {
        match r.error {
            None => report.done += 1,
            Some(e) => {
                let why = row_failure(e);
                let name = r
                    .entity_name
                    .unwrap_or_else(|| format!("所选第 {} 条", i + 1));
                still.push(r.claim_id.to_string());
                report.failed.push((name, why));
            }
        }
    }
    // Rows that failed stay checked, so the user can fix the bar and try them again.
    let kept = BatchInput {
        ids: still,
        reason: input.reason,
        department_id: input.department_id,
        note: input.note,
        error: None,
    };
    page_with(&st, &s, None, "", None, Some(report), kept).await
}

/// Why one claim of a batch was not decided, in words.
fn row_failure(e: ServiceError) -> String {
    match e {
        ServiceError::NotFound => "不在您的待办中（可能已由他人处理，或不属于您的管辖范围）".into(),
        ServiceError::Forbidden => "您无权处理该对象".into(),
        other => match super::fields::errors_of(&other) {
            Some(m) => m.into_values().collect::<Vec<_>>().join("；"),
            None => crate::ApiError::from(other).message,
        },
    }
}
