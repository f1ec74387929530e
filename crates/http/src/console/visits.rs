//! 检查实施 in the console: the visit list, a visit's page (merged checklist, team and
//! confirmations, each department's review, publication, follow-ups), the printable inspection
//! notice (检查通知书), and the phone field form (`/console/visits/{id}/field`), which saves
//! every answer to the server as the inspector goes and keeps unsent changes on the phone while
//! the connection is down. Without JavaScript the field form still works as a plain form.

use std::collections::BTreeMap;

use askama::Template;
use axum::extract::{Multipart, Query, State};
use axum::response::{IntoResponse, Response};
use lianjian_domain::visit::{Answer, FollowUp, ResultCode, VisitStatus};
use lianjian_services::accounts::SessionAuth;
use lianjian_services::follow_ups::{self, OrderSpec, ReferralSpec, TransferSpec};
use lianjian_services::visits::{
    self, AnswerInput, Draft, ResultInput, VisitDetail, VisitListEntry,
};
use lianjian_services::{PageRequest, ServiceError};
use uuid::Uuid;

use super::fields::FormData;
use super::{
    Chrome, ConsoleError, CsrfForm, Pager, PathId, check_csrf, form_errors, local_opt, render,
    see_other,
};
use crate::AppState;
use crate::api::params::Params;
use crate::extract::Console;

#[derive(Template)]
#[template(path = "console/visits.html")]
struct ListPage {
    c: Chrome,
    rows: Vec<VisitListEntry>,
    pager: Pager,
    q: String,
    status: String,
    late: bool,
    statuses: Vec<(&'static str, &'static str)>,
    is_inspector: bool,
}

pub async fn list(
    State(st): State<AppState>,
    Console(s): Console,
    Query(q): Query<Vec<(String, String)>>,
) -> Result<Response, ConsoleError> {
    let p = Params(q);
    let query = match crate::api::visits::visit_query(&p) {
        Ok(q) => q,
        Err(_) => Default::default(),
    };
    let page = visits::list(
        &st.svc,
        &s.actor,
        &query,
        PageRequest::new(p.one("page").parse().ok(), Some(20)),
    )
    .await?;
    let (text, status, late) = (p.one("q"), p.one("status"), p.one("late"));
    let pager = Pager::new(&page, &[("q", &text), ("status", &status), ("late", &late)]);
    Ok(render(ListPage {
        c: Chrome::new(&st.svc, &s, "visits").await,
        rows: page.items,
        pager,
        q: text,
        status,
        late: late == "1",
        statuses: VisitStatus::ALL
            .iter()
            .filter(|s| **s != VisitStatus::Cancelled)
            .map(|s| (s.as_str(), s.label_zh()))
            .collect(),
        is_inspector: s.actor.role == lianjian_domain::account::Role::Inspector,
    }))
}

/// Option lists of the forms: each option's value is the code, its text the label.
pub struct Choices {
    pub results: &'static [ResultCode],
    pub follow_ups: &'static [FollowUp],
    pub answers: &'static [Answer],
}

fn choices() -> Choices {
    Choices {
        results: ResultCode::ALL,
        follow_ups: FollowUp::ALL,
        answers: Answer::ALL,
    }
}

#[derive(Template)]
#[template(path = "console/visit_detail.html")]
struct DetailPage {
    c: Chrome,
    v: VisitDetail,
    by_dept: BTreeMap<String, Vec<visits::ItemPart>>,
    departments: Vec<(Uuid, String)>,
    errors: BTreeMap<String, String>,
    error: Option<String>,
    started: String,
    completed: String,
    deadline_note: String,
    late: bool,
    published: String,
}

/// An answer's label for pages (`未填写` when not answered).
pub fn answer_label(a: &Option<Answer>) -> &'static str {
    a.map_or("未填写", Answer::label_zh)
}

async fn detail_page(
    st: &AppState,
    s: &SessionAuth,
    id: Uuid,
    errors: BTreeMap<String, String>,
    error: Option<String>,
    notice: Option<&str>,
) -> Result<Response, ConsoleError> {
    let v = visits::get(&st.svc, &s.actor, id).await?;
    let mut by_dept: BTreeMap<String, Vec<visits::ItemPart>> = BTreeMap::new();
    for p in &v.parts {
        by_dept
            .entry(p.department_name.clone())
            .or_default()
            .push(p.clone());
    }
    // Referrals go to a department of the visit's region or above.
    let departments = lianjian_services::departments::pickable(&st.svc, &v.visit.region_code)
        .await
        .unwrap_or_default()
        .into_iter()
        .map(|d| (d.id, d.name))
        .collect();
    let status = if errors.is_empty() && error.is_none() {
        axum::http::StatusCode::OK
    } else {
        axum::http::StatusCode::UNPROCESSABLE_ENTITY
    };
    Ok((
        status,
        render(DetailPage {
            c: Chrome::new(&st.svc, s, "visits").await.with_notice(notice),
            late: v.days_to_deadline.is_some_and(|n| n < 0),
            deadline_note: match v.days_to_deadline {
                Some(n) if n < 0 => format!("已逾期 {} 个工作日", -n),
                Some(n) => format!("还剩 {n} 个工作日"),
                None => String::new(),
            },
            started: local_opt(&v.visit.started_at),
            completed: local_opt(&v.visit.completed_at),
            published: local_opt(&v.visit.published_at),
            by_dept,
            departments,
            errors,
            error,
            v,
        }),
    )
        .into_response())
}

pub async fn detail(
    State(st): State<AppState>,
    Console(s): Console,
    PathId(id): PathId,
    Query(q): Query<Vec<(String, String)>>,
) -> Result<Response, ConsoleError> {
    let ok = Params(q).one("ok");
    detail_page(
        &st,
        &s,
        id,
        BTreeMap::new(),
        None,
        Some(ok.as_str()).filter(|k| !k.is_empty()),
    )
    .await
}

/// After an action: back to the page with a notice, or the page with the errors.
async fn after(
    st: &AppState,
    s: &SessionAuth,
    id: Uuid,
    r: Result<(), ServiceError>,
    ok: &str,
    anchor: &str,
) -> Result<Response, ConsoleError> {
    match r {
        Ok(()) => Ok(see_other(&format!("/console/visits/{id}?ok={ok}{anchor}"))),
        // Shown on the visit's page, but answered as what it is: a refusal (403).
        Err(ServiceError::Refused { message, .. }) => {
            let mut page = detail_page(st, s, id, BTreeMap::new(), Some(message), None).await?;
            *page.status_mut() = axum::http::StatusCode::FORBIDDEN;
            Ok(page)
        }
        Err(e) => {
            let errs = form_errors(e)?;
            detail_page(st, s, id, errs, None, None).await
        }
    }
}

pub async fn review(
    State(st): State<AppState>,
    Console(s): Console,
    PathId(id): PathId,
    CsrfForm(f): CsrfForm<FormData>,
) -> Result<Response, ConsoleError> {
    let Ok(plan) = Uuid::parse_str(&f.get("plan_id")) else {
        return Err(ConsoleError::not_found());
    };
    let approve = f.get("decision") == "approve";
    let r = visits::review(&st.svc, &s.actor, id, plan, approve, &f.get("note"))
        .await
        .map(|_| ());
    after(
        &st,
        &s,
        id,
        r,
        if approve { "approved" } else { "returned" },
        "",
    )
    .await
}

pub async fn publish(
    State(st): State<AppState>,
    Console(s): Console,
    PathId(id): PathId,
    _: CsrfForm,
) -> Result<Response, ConsoleError> {
    let r = visits::publish(&st.svc, &s.actor, id).await.map(|_| ());
    after(&st, &s, id, r, "published", "").await
}

pub async fn close(
    State(st): State<AppState>,
    Console(s): Console,
    PathId(id): PathId,
    _: CsrfForm,
) -> Result<Response, ConsoleError> {
    let r = visits::close(&st.svc, &s.actor, id).await.map(|_| ());
    after(&st, &s, id, r, "closed", "").await
}

fn opt_uuid(s: &str) -> Option<Uuid> {
    Uuid::parse_str(s.trim()).ok()
}

pub async fn issue_order(
    State(st): State<AppState>,
    Console(s): Console,
    PathId(id): PathId,
    CsrfForm(f): CsrfForm<FormData>,
) -> Result<Response, ConsoleError> {
    let days = f.get("working_days");
    let spec = OrderSpec {
        plan_id: opt_uuid(&f.get("plan_id")).unwrap_or_default(),
        requirements: f.get("requirements"),
        working_days: if days.trim().is_empty() {
            None
        } else {
            Some(days.trim().parse().unwrap_or(-1))
        },
        deadline: Some(f.get("deadline")),
    };
    let r = follow_ups::issue_order(&st.svc, &s.actor, id, &spec)
        .await
        .map(|_| ());
    after(&st, &s, id, r, "order", "#follow-ups").await
}

pub async fn refer(
    State(st): State<AppState>,
    Console(s): Console,
    PathId(id): PathId,
    CsrfForm(f): CsrfForm<FormData>,
) -> Result<Response, ConsoleError> {
    let days = f.get("working_days");
    let spec = ReferralSpec {
        from_department_id: opt_uuid(&f.get("from_department_id")),
        to_department_id: opt_uuid(&f.get("to_department_id")).unwrap_or_default(),
        matter: f.get("matter"),
        working_days: if days.trim().is_empty() {
            None
        } else {
            Some(days.trim().parse().unwrap_or(-1))
        },
    };
    let r = follow_ups::refer(&st.svc, &s.actor, id, &spec)
        .await
        .map(|_| ());
    after(&st, &s, id, r, "referred", "#follow-ups").await
}

pub async fn transfer(
    State(st): State<AppState>,
    Console(s): Console,
    PathId(id): PathId,
    CsrfForm(f): CsrfForm<FormData>,
) -> Result<Response, ConsoleError> {
    let spec = TransferSpec {
        department_id: opt_uuid(&f.get("department_id")),
        agency: f.get("agency"),
        facts: f.get("facts"),
    };
    let r = follow_ups::transfer(&st.svc, &s.actor, id, &spec)
        .await
        .map(|_| ());
    after(&st, &s, id, r, "transferred", "#follow-ups").await
}

// ---- the printable inspection notice ----

#[derive(Template)]
#[template(path = "console/visit_notice.html")]
struct NoticePage {
    v: VisitDetail,
    today: String,
    /// The lead department's legal name and the remedies clause (issue 13, 文书).
    issuer: lianjian_services::documents::Issuer,
    /// Each part: (item, department, number of check points, legal bases).
    rows: Vec<(String, String, usize, String)>,
}

/// 检查通知书: handed to the entity at the start of the visit (who, what, on which basis).
pub async fn notice(
    State(st): State<AppState>,
    Console(s): Console,
    PathId(id): PathId,
) -> Result<Response, ConsoleError> {
    let v = visits::get(&st.svc, &s.actor, id).await?;
    let issuer = lianjian_services::documents::issuer(&st.svc, v.visit.lead_department_id).await?;
    let rows = v
        .parts
        .iter()
        .map(|p| {
            let bases = lianjian_services::documents::provisions(
                p.points.iter().map(|x| x.legal_basis.as_str()),
            );
            (
                p.item_name.clone(),
                p.department_name.clone(),
                p.points.len(),
                bases.join("；"),
            )
        })
        .collect();
    Ok(render(NoticePage {
        today: lianjian_domain::visit::beijing_date(st.svc.now())
            .format("%Y年%m月%d日")
            .to_string(),
        issuer,
        rows,
        v,
    }))
}

// ---- the field form (phones) ----

#[derive(Template)]
#[template(path = "console/visit_field.html")]
struct FieldPage {
    csrf: String,
    user: String,
    /// Keys the phone's offline queue, so another account on the same phone never sends it.
    user_id: Uuid,
    /// When the page was made (server clock): the phone's queue knows which of its saved
    /// entries are newer than a page it shows from its cache.
    rendered: String,
    v: VisitDetail,
    ch: Choices,
    errors: BTreeMap<String, String>,
    notice: Option<String>,
}

async fn field_page(
    st: &AppState,
    s: &SessionAuth,
    id: Uuid,
    errors: BTreeMap<String, String>,
    notice: Option<String>,
) -> Result<Response, ConsoleError> {
    let v = visits::get(&st.svc, &s.actor, id).await?;
    if v.me.is_none() {
        return Err(ConsoleError::from(ServiceError::refused(
            "您不在本次检查的检查人员名单中，不能录入检查结果",
            "you are not on this visit's team",
        )));
    }
    let status = if errors.is_empty() {
        axum::http::StatusCode::OK
    } else {
        axum::http::StatusCode::UNPROCESSABLE_ENTITY
    };
    Ok((
        status,
        render(FieldPage {
            csrf: s.csrf_token.clone(),
            user: s.actor.display_name.clone(),
            user_id: s.actor.user_id,
            // The clock `save` stamps `saved_at` with.
            rendered: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
            v,
            ch: choices(),
            errors,
            notice,
        }),
    )
        .into_response())
}

pub async fn field(
    State(st): State<AppState>,
    Console(s): Console,
    PathId(id): PathId,
    Query(q): Query<Vec<(String, String)>>,
) -> Result<Response, ConsoleError> {
    let notice = match Params(q).one("ok").as_str() {
        "saved" => Some("已保存。".to_string()),
        "confirmed" => Some("已确认。".to_string()),
        "uploaded" => Some("照片/文件已上传。".to_string()),
        _ => None,
    };
    field_page(&st, &s, id, BTreeMap::new(), notice).await
}

/// The field form posted without JavaScript: the whole draft at once (`a_<seq>`, `n_<seq>`,
/// `r_<plan>`, `f_<plan>`, `s_<plan>`), then optionally the confirmation.
pub async fn field_save(
    State(st): State<AppState>,
    Console(s): Console,
    PathId(id): PathId,
    CsrfForm(f): CsrfForm<FormData>,
) -> Result<Response, ConsoleError> {
    let mut draft = Draft::default();
    let mut results: BTreeMap<String, ResultInput> = BTreeMap::new();
    // `ba_<seq>`/`bn_<seq>` and `br_`/`bf_`/`bs_<plan>` carry the record as the page showed
    // it: what a colleague changed meanwhile is reported, not overwritten.
    let has = |k: &str| f.0.iter().any(|(n, _)| n == k);
    for (k, val) in &f.0 {
        if let Some(seq) = k.strip_prefix("a_").and_then(|x| x.parse::<i32>().ok()) {
            let note = f.get(&format!("n_{seq}"));
            draft.answers.push(AnswerInput {
                seq,
                answer: val.clone(),
                note,
                base: has(&format!("ba_{seq}")).then(|| visits::AnswerBase {
                    answer: f.get(&format!("ba_{seq}")),
                    note: f.get(&format!("bn_{seq}")),
                }),
            });
        } else if let Some((kind, plan)) = k
            .split_once('_')
            .filter(|(k, _)| matches!(*k, "r" | "f" | "s"))
            && let Ok(plan_id) = Uuid::parse_str(plan)
        {
            let r = results
                .entry(plan.to_string())
                .or_insert_with(|| ResultInput {
                    plan_id,
                    base: has(&format!("br_{plan}")).then(|| visits::ResultBase {
                        result_code: f.get(&format!("br_{plan}")),
                        follow_up: f.get(&format!("bf_{plan}")),
                        summary: f.get(&format!("bs_{plan}")),
                    }),
                    ..Default::default()
                });
            match kind {
                "r" => r.result_code = val.clone(),
                "f" => r.follow_up = val.clone(),
                _ => r.summary = val.clone(),
            }
        }
    }
    draft.results = results.into_values().collect();
    match visits::save(&st.svc, &s.actor, id, &draft).await {
        Err(e) => {
            let errs = form_errors(e)?;
            return field_page(&st, &s, id, errs, None).await;
        }
        // Shown with the colleague's values now on the form; nothing is confirmed then.
        Ok(saved) if !saved.conflicts.is_empty() => {
            let errs = saved
                .conflicts
                .into_iter()
                .map(|c| (c.field, c.message))
                .collect();
            return field_page(&st, &s, id, errs, None).await;
        }
        Ok(_) => {}
    }
    if f.get("then") == "confirm" {
        return match visits::confirm(&st.svc, &s.actor, id, None).await {
            Ok(_) => Ok(see_other(&format!(
                "/console/visits/{id}/field?ok=confirmed"
            ))),
            Err(e) => {
                let errs = form_errors(e)?;
                field_page(&st, &s, id, errs, None).await
            }
        };
    }
    Ok(see_other(&format!("/console/visits/{id}/field?ok=saved")))
}

/// A photo or document from the field form without JavaScript (multipart with `_csrf`).
pub async fn field_upload(
    State(st): State<AppState>,
    Console(s): Console,
    PathId(id): PathId,
    mut form: Multipart,
) -> Result<Response, ConsoleError> {
    let mut csrf = String::new();
    let mut rest: Vec<(String, String, Option<String>, Vec<u8>)> = Vec::new();
    while let Ok(Some(field)) = form.next_field().await {
        let name = field.name().unwrap_or_default().to_string();
        if name == "_csrf" {
            csrf = field.text().await.unwrap_or_default();
            continue;
        }
        let fname = field.file_name().map(str::to_string).unwrap_or_default();
        let ct = field.content_type().map(str::to_string);
        match field.bytes().await {
            Ok(b) => rest.push((name, fname, ct, b.to_vec())),
            Err(e) => {
                return Err(ConsoleError::from(ServiceError::field(
                    "file",
                    lianjian_domain::Invalid::new(
                        "upload_failed",
                        format!("上传中断或文件过大：{e}"),
                        format!("upload failed: {e}"),
                    ),
                )));
            }
        }
    }
    check_csrf(&s, &csrf)?;
    let mut input = visits::AttachmentInput::default();
    for (name, fname, ct, bytes) in rest {
        match name.as_str() {
            "file" => {
                input.upload.filename = if fname.is_empty() {
                    "upload".into()
                } else {
                    fname
                };
                input.upload.media_type = ct;
                input.upload.bytes = bytes;
            }
            "seq" => input.seq = String::from_utf8_lossy(&bytes).trim().parse().ok(),
            _ => {}
        }
    }
    if input.upload.bytes.is_empty() {
        let mut errs = BTreeMap::new();
        errs.insert("file".to_string(), "请选择要上传的照片或文件".to_string());
        return field_page(&st, &s, id, errs, None).await;
    }
    match visits::attach(&st.svc, &s.actor, id, input).await {
        Ok(_) => Ok(see_other(&format!(
            "/console/visits/{id}/field?ok=uploaded"
        ))),
        Err(e) => {
            let errs = form_errors(e)?;
            field_page(&st, &s, id, errs, None).await
        }
    }
}
