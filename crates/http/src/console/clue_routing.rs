//! 分办规则与办理时限 in the console (issue 14 items 2 and 3): the coordination office keeps
//! its routing table (a keyword or a sector suggests an item and/or a lead department) and its
//! deadlines per source and kind (签收、退回、办结 working days, used at dispatch). Services:
//! `clues::routing`.

use std::collections::BTreeMap;

use askama::Template;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Response};
use lianjian_domain::clue::{ClueKind, ClueSource, Deadlines};
use lianjian_services::ServiceError;
use lianjian_services::accounts::SessionAuth;
use lianjian_services::clues::may_dispatch;
use lianjian_services::clues::routing::{
    self, DeadlineInput, DeadlineRuleView, RouteInput, RouteView,
};

use super::fields::FormData;
use super::{Chrome, ConsoleError, CsrfForm, PathId, render, see_other};
use crate::AppState;
use crate::api::params::Params;
use crate::extract::Console;

#[derive(Template)]
#[template(path = "console/clue_routing.html")]
struct Page {
    c: Chrome,
    routes: Vec<RouteView>,
    deadlines: Vec<DeadlineRuleView>,
    defaults: Deadlines,
    departments: Vec<(String, String)>,
    items: Vec<(String, String)>,
    sectors: Vec<(String, String)>,
    sources: Vec<(&'static str, &'static str)>,
    kinds: Vec<(&'static str, &'static str)>,
    error: Option<String>,
    errors: BTreeMap<String, String>,
}

fn notice(key: &str) -> Option<String> {
    Some(
        match key {
            "route_added" => "分办规则已添加，新登记的线索按此给出分办建议。",
            "route_deleted" => "分办规则已删除。",
            "deadline_saved" => "办理时限已保存，今后派单的线索按新时限计时（已派单的不受影响）。",
            "deadline_deleted" => "该办理时限已删除，恢复沿用上级或系统默认时限。",
            _ => return None,
        }
        .to_string(),
    )
}

async fn page(
    st: &AppState,
    s: &SessionAuth,
    ok: &str,
    err: Option<ServiceError>,
) -> Result<Response, ConsoleError> {
    if !may_dispatch(&s.actor) {
        return Err(ConsoleError::forbidden());
    }
    let (error, errors, status) = super::failure(err);
    let mut c = Chrome::new(&st.svc, s, "clues").await;
    c.notice = notice(ok);
    let sectors = lianjian_services::sectors::list(&st.svc)
        .await?
        .into_iter()
        .map(|x| (x.id.to_string(), x.name))
        .collect();
    let body = render(Page {
        routes: routing::routes(&st.svc, &s.actor).await?,
        deadlines: routing::deadline_rules(&st.svc, &s.actor).await?,
        defaults: Deadlines::default(),
        departments: super::offered_departments(&st.svc, &s.actor).await,
        items: super::clues::item_choices(st, s).await,
        sectors,
        sources: ClueSource::ALL
            .iter()
            .map(|x| (x.as_str(), x.label_zh()))
            .collect(),
        kinds: ClueKind::ALL
            .iter()
            .map(|x| (x.as_str(), x.label_zh()))
            .collect(),
        c,
        error,
        errors,
    });
    Ok((status, body).into_response())
}

pub async fn show(
    State(st): State<AppState>,
    Console(s): Console,
    Query(q): Query<Vec<(String, String)>>,
) -> Result<Response, ConsoleError> {
    page(&st, &s, &Params(q).one("ok"), None).await
}

/// Back to the page with its notice, or the page with the error at its status.
async fn answer(
    st: &AppState,
    s: &SessionAuth,
    ok: &str,
    r: Result<(), ServiceError>,
) -> Result<Response, ConsoleError> {
    match r {
        Ok(()) => Ok(see_other(&format!("/console/clues/routing?ok={ok}"))),
        Err(e @ ServiceError::Forbidden) => Err(e.into()),
        Err(e) => page(st, s, "", Some(e)).await,
    }
}

fn opt(f: &FormData, k: &str) -> Option<String> {
    Some(f.get(k)).filter(|v| !v.trim().is_empty())
}

pub async fn add_route(
    State(st): State<AppState>,
    Console(s): Console,
    CsrfForm(f): CsrfForm<FormData>,
) -> Result<Response, ConsoleError> {
    let input = RouteInput {
        region_code: None,
        keyword: opt(&f, "keyword"),
        sector_id: opt(&f, "sector_id"),
        item_id: opt(&f, "item_id"),
        department_id: opt(&f, "department_id"),
    };
    let r = routing::add_route(&st.svc, &s.actor, &input)
        .await
        .map(|_| ());
    answer(&st, &s, "route_added", r).await
}

pub async fn delete_route(
    State(st): State<AppState>,
    Console(s): Console,
    PathId(id): PathId,
    CsrfForm(_f): CsrfForm<FormData>,
) -> Result<Response, ConsoleError> {
    let r = routing::delete_route(&st.svc, &s.actor, id).await;
    answer(&st, &s, "route_deleted", r).await
}

fn days(f: &FormData, k: &str) -> i64 {
    f.get(k).trim().parse().unwrap_or(0)
}

pub async fn save_deadline(
    State(st): State<AppState>,
    Console(s): Console,
    CsrfForm(f): CsrfForm<FormData>,
) -> Result<Response, ConsoleError> {
    let input = DeadlineInput {
        region_code: opt(&f, "region_code"),
        source: opt(&f, "source"),
        kind: opt(&f, "kind"),
        sign_days: days(&f, "sign_days"),
        return_days: days(&f, "return_days"),
        finish_days: days(&f, "finish_days"),
    };
    let r = routing::put_deadline_rule(&st.svc, &s.actor, &input).await;
    answer(&st, &s, "deadline_saved", r).await
}

pub async fn delete_deadline(
    State(st): State<AppState>,
    Console(s): Console,
    CsrfForm(f): CsrfForm<FormData>,
) -> Result<Response, ConsoleError> {
    let r = routing::delete_deadline_rule(
        &st.svc,
        &s.actor,
        opt(&f, "region_code").as_deref(),
        opt(&f, "source").as_deref(),
        opt(&f, "kind").as_deref(),
    )
    .await;
    answer(&st, &s, "deadline_deleted", r).await
}
