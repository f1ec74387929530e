//! 审管衔接 (issue 17 item 2): the hand-overs (queue with the claiming clock → a hand-over's page
//! with its claims, clock and timeline → actions), and the feedback sent to the approval bureau.
//! Claiming, rejecting and assigning post to the 双告知 claim actions (`/console/claims/…`):
//! a hand-over is a claim of source `licence`.

use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use lianjian_domain::licensing::{FeedbackKind, HandoverStatus};
use lianjian_services::licensing::{self, FeedbackInput, HandoverDetail};
use lianjian_services::{PageRequest, ServiceError};
use uuid::Uuid;

use super::cases::{ClockRow, StepRow, clock_row, step_rows as steps};
use super::fields::FormData;
use super::{Chrome, ConsoleError, CsrfForm, Pager, PathId, form_errors, local, render, see_other};
use crate::AppState;
use crate::api::params::Params;
use crate::extract::Console;

pub struct Row {
    id: Uuid,
    licence_no: String,
    event: &'static str,
    entity_name: String,
    usci: String,
    licence_name: String,
    decided_on: String,
    status: &'static str,
    department: String,
    light_label: &'static str,
    light_class: &'static str,
    due: String,
}

#[derive(Template)]
#[template(path = "console/licences.html")]
struct ListPage {
    c: Chrome,
    rows: Vec<Row>,
    pager: Pager,
    q: String,
    status: String,
    statuses: Vec<(&'static str, &'static str)>,
    may_push: bool,
}

pub async fn list(
    State(st): State<AppState>,
    Console(s): Console,
    Query(q): Query<Vec<(String, String)>>,
) -> Result<Response, ConsoleError> {
    let p = Params(q);
    let (status, text) = (p.one("status"), p.one("q"));
    let query = crate::api::licensing::query_of(Some(&status), None, Some(&text))
        .map_err(|_| ConsoleError::from(ServiceError::NotFound))?;
    let page = licensing::list(
        &st.svc,
        &s.actor,
        &query,
        PageRequest::new(p.paging().map(|r| r.page).ok(), Some(20)),
    )
    .await?;
    let pager = Pager::new(&page, &[("status", &status), ("q", &text)]);
    let rows = page
        .items
        .into_iter()
        .map(|v| {
            let k = v.clocks.first();
            Row {
                id: v.handover.id,
                licence_no: v.handover.licence_no,
                event: v.handover.event.label_zh(),
                entity_name: v.entity_name,
                usci: v.handover.usci,
                licence_name: v.handover.licence_name,
                decided_on: v.handover.decided_on.to_string(),
                status: v.handover.status.label_zh(),
                department: v.department_name.unwrap_or_else(|| "协调办研判中".into()),
                light_label: k.map_or("", |k| k.light.label_zh()),
                light_class: k.map_or("", |k| super::cases::light_class(&k.light)),
                due: k.map(|k| k.due.to_string()).unwrap_or_default(),
            }
        })
        .collect();
    let c = Chrome::new(&st.svc, &s, "licences").await;
    Ok(render(ListPage {
        may_push: licensing::may_push(&s.actor),
        c,
        rows,
        pager,
        q: text,
        status,
        statuses: HandoverStatus::ALL
            .iter()
            .map(|x| (x.as_str(), x.label_zh()))
            .collect(),
    }))
}

pub struct ClaimRow {
    department: String,
    status: &'static str,
    matched_by: String,
    reason: String,
    created: String,
    decided: String,
}

pub struct FeedbackRow {
    id: Uuid,
    licence_no: String,
    kind: &'static str,
    content: String,
    created: String,
    read: String,
}

fn feedback_row(f: licensing::Feedback) -> FeedbackRow {
    FeedbackRow {
        id: f.id,
        licence_no: f.licence_no,
        kind: f.kind.label_zh(),
        content: f.content,
        created: local(&f.created_at),
        read: f.read_at.as_ref().map(local).unwrap_or_default(),
    }
}

#[derive(Template)]
#[template(path = "console/licence_detail.html")]
struct DetailPage {
    c: Chrome,
    id: Uuid,
    licence_no: String,
    event: &'static str,
    entity_id: Uuid,
    entity_name: String,
    usci: String,
    item_name: String,
    licence_name: String,
    decided_on: String,
    bureau: String,
    channel: &'static str,
    status: &'static str,
    department: String,
    clocks: Vec<ClockRow>,
    claims: Vec<ClaimRow>,
    steps: Vec<StepRow>,
    feedback: Vec<FeedbackRow>,
    /// The claim the user may decide: its department's pending one, or the office's escalation.
    claim: Option<Uuid>,
    office: bool,
    departments: Vec<(String, String)>,
    may_feed_back: bool,
    kinds: Vec<(&'static str, &'static str)>,
    error: Option<String>,
    kind: String,
    content: String,
    visit_id: String,
}

async fn detail(
    st: &AppState,
    s: &lianjian_services::accounts::SessionAuth,
    id: Uuid,
    ok: &str,
    retry: Option<(String, &FormData)>,
) -> Result<Response, ConsoleError> {
    let svc = &st.svc;
    let HandoverDetail {
        view,
        claims,
        timeline,
        feedback,
        actionable_claim,
    } = licensing::get(svc, &s.actor, id).await?;
    let office = matches!(
        s.actor.role,
        lianjian_domain::account::Role::CoordinationOffice
            | lianjian_domain::account::Role::SystemAdmin
    ) && view.handover.status == HandoverStatus::Escalated;
    let departments = if office {
        lianjian_services::departments::pickable(svc, &view.handover.region_code)
            .await
            .unwrap_or_default()
            .into_iter()
            .map(|d| (d.id.to_string(), d.name))
            .collect()
    } else {
        Vec::new()
    };
    let mut c = Chrome::new(svc, s, "licences").await;
    c.notice = match ok {
        "feedback" => Some("已反馈审批部门。".into()),
        _ => None,
    };
    let h = view.handover;
    let status = if retry.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    let (error, kind, content, visit_id) = match retry {
        Some((e, f)) => (Some(e), f.get("kind"), f.get("content"), f.get("visit_id")),
        None => (None, String::new(), String::new(), String::new()),
    };
    Ok((
        status,
        render(DetailPage {
            c,
            id: h.id,
            licence_no: h.licence_no,
            event: h.event.label_zh(),
            entity_id: h.entity_id,
            entity_name: view.entity_name,
            usci: h.usci,
            item_name: view.item_name,
            licence_name: h.licence_name,
            decided_on: h.decided_on.to_string(),
            bureau: h.bureau,
            channel: if h.channel == "xlsx" {
                "Excel 导入"
            } else {
                "接口推送"
            },
            status: h.status.label_zh(),
            department: view
                .department_name
                .unwrap_or_else(|| "协调办研判中".into()),
            clocks: view.clocks.iter().map(clock_row).collect(),
            claims: claims
                .into_iter()
                .map(|(cl, n)| ClaimRow {
                    department: n.unwrap_or_else(|| "协调办".into()),
                    status: cl.status.label_zh(),
                    matched_by: cl.matched_by,
                    reason: cl.reason.unwrap_or_default(),
                    created: local(&cl.created_at),
                    decided: cl.decided_at.as_ref().map(local).unwrap_or_default(),
                })
                .collect(),
            steps: steps(&timeline),
            feedback: feedback.into_iter().map(feedback_row).collect(),
            claim: actionable_claim,
            office,
            departments,
            may_feed_back: licensing::may_feed_back(&s.actor) && !s.actor.role.is_read_only(),
            kinds: FeedbackKind::ALL
                .iter()
                .map(|k| (k.as_str(), k.label_zh()))
                .collect(),
            error,
            kind,
            content,
            visit_id,
        }),
    )
        .into_response())
}

pub async fn show(
    State(st): State<AppState>,
    Console(s): Console,
    PathId(id): PathId,
    Query(q): Query<Vec<(String, String)>>,
) -> Result<Response, ConsoleError> {
    detail(&st, &s, id, &Params(q).one("ok"), None).await
}

pub async fn feed_back(
    State(st): State<AppState>,
    Console(s): Console,
    PathId(id): PathId,
    CsrfForm(f): CsrfForm<FormData>,
) -> Result<Response, ConsoleError> {
    let input = FeedbackInput {
        kind: f.get("kind"),
        content: f.get("content"),
        visit_id: Some(f.get("visit_id")),
    };
    match licensing::feed_back(&st.svc, &s.actor, id, &input).await {
        Ok(_) => Ok(see_other(&format!("/console/licences/{id}?ok=feedback"))),
        Err(e) => {
            let errs = form_errors(e)?;
            let msg = errs.into_values().collect::<Vec<_>>().join("；");
            detail(&st, &s, id, "", Some((msg, &f))).await
        }
    }
}

#[derive(Template)]
#[template(path = "console/licence_feedback.html")]
struct FeedbackPage {
    c: Chrome,
    rows: Vec<FeedbackRow>,
    pager: Pager,
    unread: bool,
    may_ack: bool,
}

pub async fn feedback_list(
    State(st): State<AppState>,
    Console(s): Console,
    Query(q): Query<Vec<(String, String)>>,
) -> Result<Response, ConsoleError> {
    let p = Params(q);
    let unread = p.one("unread") == "1";
    let page = licensing::feedback_list(
        &st.svc,
        &s.actor,
        unread,
        PageRequest::new(p.paging().map(|r| r.page).ok(), Some(20)),
    )
    .await?;
    let pager = Pager::new(&page, &[("unread", if unread { "1" } else { "" })]);
    let mut c = Chrome::new(&st.svc, &s, "licences").await;
    if p.one("ok") == "read" {
        c.notice = Some("已确认收到。".into());
    }
    Ok(render(FeedbackPage {
        c,
        rows: page.items.into_iter().map(feedback_row).collect(),
        pager,
        unread,
        may_ack: licensing::may_push(&s.actor) && !s.actor.role.is_read_only(),
    }))
}

pub async fn acknowledge(
    State(st): State<AppState>,
    Console(s): Console,
    PathId(id): PathId,
    CsrfForm(_f): CsrfForm<FormData>,
) -> Result<Response, ConsoleError> {
    licensing::acknowledge(&st.svc, &s.actor, id).await?;
    Ok(see_other("/console/licence-feedback?ok=read"))
}
