//! 合规指引（一业一册） in the console: the list of guides (one per published item in scope),
//! each guide's preview as the public will read it (or as on an earlier day, `?at=`), and —
//! for the lead department's administrators and the coordination office — its explanatory
//! sections (each save a new, audited version) and the departments' public contacts.

use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::Utc;
use lianjian_domain::guide::SectionKind;
use lianjian_domain::item::ItemStatus;
use lianjian_domain::scope::Scope;
use lianjian_services::guides::{self, ContactInput};
use lianjian_services::items::{self, ItemQuery};
use lianjian_services::{PageRequest, ServiceError};
use serde::Deserialize;
use uuid::Uuid;

use super::{Chrome, ConsoleError, CsrfForm, PathId, form_errors, local, render, see_other};
use crate::AppState;
use crate::api::items::{Names, visible_item};
use crate::api::params::{self, Params};
use crate::extract::Console;
use crate::pager::Pager;
use crate::portal::guides::GuideView;

pub struct Row {
    id: Uuid,
    code: String,
    name: String,
    lead: String,
    version: i32,
}

#[derive(Template)]
#[template(path = "console/guides/list.html")]
struct ListPage {
    c: Chrome,
    rows: Vec<Row>,
    q: String,
    pager: Pager,
}

pub async fn list(
    State(st): State<AppState>,
    Console(s): Console,
    Query(q): Query<Vec<(String, String)>>,
) -> Result<Response, ConsoleError> {
    let svc = &st.svc;
    let p = Params(q);
    let q_s = p.one("q");
    let query = ItemQuery {
        q: Some(q_s.clone()).filter(|x| !x.trim().is_empty()),
        status: Some(ItemStatus::Published),
        ..Default::default()
    };
    let req = PageRequest::new(p.paging().map(|r| r.page).ok(), Some(20));
    let page = items::list(svc, &Scope::of(&s.actor), query, req).await?;
    let pager = Pager::new(&page, &[("q", &q_s)]);
    let names = Names::load(svc, &page.items.iter().collect::<Vec<_>>()).await;
    let rows = page
        .items
        .into_iter()
        .map(|i| Row {
            id: i.id,
            lead: names.department(i.lead_department_id),
            version: i.version,
            code: i.code,
            name: i.name,
        })
        .collect();
    Ok(render(ListPage {
        c: Chrome::new(svc, &s, "guides").await,
        rows,
        q: q_s,
        pager,
    }))
}

pub struct SectionForm {
    kind: &'static str,
    label: &'static str,
    body: String,
    error: Option<String>,
}

pub struct ContactForm {
    department_id: Uuid,
    name: String,
    phone: String,
    address: String,
    hours: String,
    error: Option<String>,
}

pub struct HistoryRow {
    label: &'static str,
    version: i32,
    by: String,
    at: String,
    body: String,
}

#[derive(Template)]
#[template(path = "console/guides/detail.html")]
struct DetailPage {
    c: Chrome,
    id: Uuid,
    code: String,
    name: String,
    at: String,
    at_error: Option<String>,
    g: Option<GuideView>,
    can_edit: bool,
    sections: Vec<SectionForm>,
    contacts: Vec<ContactForm>,
    history: Vec<HistoryRow>,
}

/// What the page's forms were sent with when one is shown again with its error.
#[derive(Default)]
struct Retry {
    section: Option<(SectionKind, String, String)>,
    contact: Option<(Uuid, ContactInput, String)>,
}

fn notice(key: &str) -> Option<String> {
    Some(
        match key {
            "section" => "说明已保存为新版本，指南即时更新。",
            "contact" => "联系方式已保存，所有列出该部门的指南即时更新。",
            _ => return None,
        }
        .to_string(),
    )
}

async fn detail_page(
    st: &AppState,
    s: &lianjian_services::accounts::SessionAuth,
    id: Uuid,
    at_s: String,
    ok: &str,
    retry: Retry,
) -> Result<Response, ConsoleError> {
    let svc = &st.svc;
    let item = visible_item(svc, &s.actor, id).await?;
    let (at, at_error) = if at_s.trim().is_empty() {
        (Utc::now(), None)
    } else {
        match params::end_of_day_or_instant(at_s.trim()) {
            Some(t) => (t, None),
            None => (
                Utc::now(),
                Some(format!(
                    "日期“{}”无法识别，请使用 2026-03-31 格式",
                    at_s.trim()
                )),
            ),
        }
    };
    let g = match guides::guide(svc, id, at).await {
        Ok(g) => Some(g),
        Err(ServiceError::NotFound) => None,
        Err(e) => return Err(e.into()),
    };
    let current = guides::guide(svc, id, Utc::now()).await.ok();
    let can_edit = guides::may_edit_guides(&s.actor);
    let sections = SectionKind::ALL
        .iter()
        .map(|k| {
            let (body, error) = match &retry.section {
                Some((rk, body, err)) if rk == k => (body.clone(), Some(err.clone())),
                _ => (
                    current
                        .as_ref()
                        .and_then(|g| g.section(*k))
                        .map(|x| x.body.clone())
                        .unwrap_or_default(),
                    None,
                ),
            };
            SectionForm {
                kind: k.as_str(),
                label: k.label_zh(),
                body,
                error,
            }
        })
        .collect();
    let contacts = current
        .as_ref()
        .map(|g| {
            g.departments
                .iter()
                .map(|d| match &retry.contact {
                    Some((did, input, err)) if *did == d.department_id => ContactForm {
                        department_id: d.department_id,
                        name: d.name.clone(),
                        phone: input.phone.clone(),
                        address: input.address.clone(),
                        hours: input.hours.clone(),
                        error: Some(err.clone()),
                    },
                    _ => ContactForm {
                        department_id: d.department_id,
                        name: d.name.clone(),
                        phone: d.contact.phone.clone(),
                        address: d.contact.address.clone(),
                        hours: d.contact.hours.clone(),
                        error: None,
                    },
                })
                .collect()
        })
        .unwrap_or_default();
    let history = guides::section_history(svc, id)
        .await?
        .into_iter()
        .map(|x| HistoryRow {
            label: x.kind.label_zh(),
            version: x.version,
            by: x.edited_by,
            at: local(&x.edited_at),
            body: if x.body.is_empty() {
                "（清空）".into()
            } else {
                x.body.chars().take(60).collect()
            },
        })
        .collect();
    let mut c = Chrome::new(svc, s, "guides").await;
    c.notice = notice(ok);
    let failed = retry.section.is_some() || retry.contact.is_some();
    let page = DetailPage {
        c,
        id,
        code: item.code,
        name: item.name,
        at: at_s,
        at_error,
        g: g.map(|g| GuideView::of(&g)),
        can_edit,
        sections,
        contacts,
        history,
    };
    let status = if failed {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    Ok((status, render(page)).into_response())
}

pub async fn detail(
    State(st): State<AppState>,
    Console(s): Console,
    PathId(id): PathId,
    Query(q): Query<Vec<(String, String)>>,
) -> Result<Response, ConsoleError> {
    let p = Params(q);
    detail_page(&st, &s, id, p.one("at"), &p.one("ok"), Retry::default()).await
}

#[derive(Deserialize)]
pub struct SectionPost {
    kind: Option<String>,
    body: Option<String>,
}

pub async fn save_section(
    State(st): State<AppState>,
    Console(s): Console,
    PathId(id): PathId,
    CsrfForm(f): CsrfForm<SectionPost>,
) -> Result<Response, ConsoleError> {
    let svc = &st.svc;
    visible_item(svc, &s.actor, id).await?;
    let kind = f.kind.unwrap_or_default();
    let body = f.body.unwrap_or_default();
    match guides::edit_section(svc, &s.actor, id, &kind, &body).await {
        Ok(_) => Ok(see_other(&format!("/console/guides/{id}?ok=section"))),
        Err(e) => {
            let errs = form_errors(e)?;
            let Ok(k) = SectionKind::parse(&kind) else {
                return Err(ConsoleError::from(ServiceError::field(
                    "kind",
                    lianjian_domain::Invalid::new("kind", "说明栏目不正确", "unknown section"),
                )));
            };
            let msg = errs.into_values().collect::<Vec<_>>().join("；");
            let retry = Retry {
                section: Some((k, body, msg)),
                ..Default::default()
            };
            detail_page(&st, &s, id, String::new(), "", retry).await
        }
    }
}

#[derive(Deserialize)]
pub struct ContactPost {
    department_id: Option<String>,
    phone: Option<String>,
    address: Option<String>,
    hours: Option<String>,
}

pub async fn save_contact(
    State(st): State<AppState>,
    Console(s): Console,
    PathId(id): PathId,
    CsrfForm(f): CsrfForm<ContactPost>,
) -> Result<Response, ConsoleError> {
    let svc = &st.svc;
    let item = visible_item(svc, &s.actor, id).await?;
    let dept = params::id(f.department_id.as_deref().unwrap_or_default())
        .map_err(|_| ConsoleError::from(ServiceError::NotFound))?;
    // Only the item's own departments are edited from its guide.
    if !item.departments.iter().any(|d| d.department_id == dept) {
        return Err(ServiceError::NotFound.into());
    }
    let input = ContactInput {
        phone: f.phone.unwrap_or_default(),
        address: f.address.unwrap_or_default(),
        hours: f.hours.unwrap_or_default(),
    };
    match guides::set_contact(svc, &s.actor, dept, &input).await {
        Ok(_) => Ok(see_other(&format!("/console/guides/{id}?ok=contact"))),
        Err(e) => {
            let errs = form_errors(e)?;
            let msg = errs.into_values().collect::<Vec<_>>().join("；");
            let retry = Retry {
                contact: Some((dept, input, msg)),
                ..Default::default()
            };
            detail_page(&st, &s, id, String::new(), "", retry).await
        }
    }
}
