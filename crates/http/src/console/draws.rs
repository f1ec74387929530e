//! 双随机抽取 in the console: the list of draws, the planner (choose plans, preview the joint
//! visits, commit), a draw's page (execute with a witness, re-draw with a reason, the visits).

use askama::Template;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Response};
use chrono::Datelike;
use lianjian_domain::draw::DrawStatus;
use lianjian_services::accounts::SessionAuth;
use lianjian_services::draws::{self, DrawSpec, DrawView, Preview, WitnessSpec};
use lianjian_services::draws::{Draw, DrawQuery};
use lianjian_services::plans::Plan;
use lianjian_services::{PageRequest, ServiceError};
use uuid::Uuid;

use super::fields::{FormData, errors_of};
use super::{Chrome, ConsoleError, CsrfForm, Pager, PathId, local, local_opt, render, see_other};
use crate::AppState;
use crate::api::params::Params;
use crate::extract::Console;

pub struct Row {
    pub id: Uuid,
    pub code: String,
    pub title: String,
    pub region: String,
    pub period: String,
    pub status: DrawStatus,
    pub status_label: &'static str,
    pub visits: i32,
    pub committed: String,
    pub superseded: bool,
    pub redraw: bool,
}

pub fn row(d: &Draw) -> Row {
    Row {
        id: d.id,
        code: d.code.clone(),
        title: d.title.clone(),
        region: d.region_code.to_string(),
        period: format!("{} 至 {}", d.period_start, d.period_end),
        status: d.status,
        status_label: d.status.label_zh(),
        visits: d.visit_count,
        committed: local(&d.committed_at),
        superseded: d.superseded_by.is_some(),
        redraw: d.redraw_of.is_some(),
    }
}

#[derive(Template)]
#[template(path = "console/draws.html")]
struct ListPage {
    c: Chrome,
    rows: Vec<Row>,
    pager: Pager,
    q: String,
    status: String,
}

pub async fn list(
    State(st): State<AppState>,
    Console(s): Console,
    Query(q): Query<Vec<(String, String)>>,
) -> Result<Response, ConsoleError> {
    let p = Params(q);
    let (text, status) = (p.one("q"), p.one("status"));
    let query = DrawQuery {
        q: Some(text.clone()).filter(|t| !t.trim().is_empty()),
        status: DrawStatus::parse(&status).ok(),
        ..Default::default()
    };
    let page = draws::list(
        &st.svc,
        &s.actor,
        &query,
        PageRequest::new(p.one("page").parse().ok(), Some(20)),
    )
    .await?;
    let pager = Pager::new(&page, &[("q", &text), ("status", &status)]);
    let c = Chrome::new(&st.svc, &s, "random")
        .await
        .with_notice(Some(p.one("ok").as_str()));
    Ok(render(ListPage {
        c,
        rows: page.items.iter().map(row).collect(),
        pager,
        q: text,
        status,
    }))
}

pub struct PlanChoice {
    pub id: Uuid,
    pub code: String,
    pub item: String,
    pub period: String,
    pub region: String,
    pub checked: bool,
}

#[derive(Template)]
#[template(path = "console/draw_new.html")]
struct NewPage {
    c: Chrome,
    region: String,
    period_start: String,
    period_end: String,
    title: String,
    plans: Vec<PlanChoice>,
    preview: Option<Preview>,
    errors: std::collections::BTreeMap<String, String>,
    error: Option<String>,
    w: WitnessForm,
}

/// The witness fields as entered, to show them again.
#[derive(Default)]
pub struct WitnessForm {
    pub supervisors: String,
    pub beacon_source: String,
    pub beacon_reference: String,
    pub beacon_available_on: String,
    pub unwitnessed_reason: String,
    pub publish_delay_days: String,
}

fn witness_form(p: &Params) -> WitnessForm {
    WitnessForm {
        supervisors: p.one("supervisors"),
        beacon_source: p.one("beacon_source"),
        beacon_reference: p.one("beacon_reference"),
        beacon_available_on: p.one("beacon_available_on"),
        unwitnessed_reason: p.one("unwitnessed_reason"),
        publish_delay_days: p.one("publish_delay_days"),
    }
}

/// The witness fields of the planner and the re-draw form; supervisors as user names
/// separated by commas or spaces.
fn witness_of(p: &Params) -> WitnessSpec {
    WitnessSpec {
        supervisors: p
            .one("supervisors")
            .split(|c: char| c == ',' || c == '，' || c == '、' || c.is_whitespace())
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .collect(),
        beacon_source: p.one("beacon_source"),
        beacon_reference: p.one("beacon_reference"),
        beacon_available_on: p.one("beacon_available_on"),
        unwitnessed_reason: p.one("unwitnessed_reason"),
        publish_delay_days: p.one("publish_delay_days"),
    }
}

fn spec_of(p: &Params) -> DrawSpec {
    DrawSpec {
        title: p.one("title"),
        region: p.one("region"),
        period_start: p.one("period_start"),
        period_end: p.one("period_end"),
        plan_ids: p
            .many("plan")
            .iter()
            .filter_map(|x| Uuid::parse_str(x).ok())
            .collect(),
        witness: witness_of(p),
    }
}

async fn plan_choices(st: &AppState, s: &SessionAuth, spec: &DrawSpec) -> Vec<PlanChoice> {
    let plans: Vec<Plan> = draws::candidate_plans(
        &st.svc,
        &s.actor,
        &spec.region,
        &spec.period_start,
        &spec.period_end,
    )
    .await
    .unwrap_or_default();
    let mut out = Vec::with_capacity(plans.len());
    for p in plans {
        let item = lianjian_services::items::get(&st.svc, p.item_id)
            .await
            .ok()
            .map(|i| i.name)
            .unwrap_or_default();
        out.push(PlanChoice {
            checked: spec.plan_ids.is_empty() || spec.plan_ids.contains(&p.id),
            id: p.id,
            code: p.code,
            item,
            period: format!("{} 至 {}", p.period_start, p.period_end),
            region: p.region_code.to_string(),
        });
    }
    out
}

/// The planner: pick region, period and plans; "试算" shows the joint visits before committing.
pub async fn new_form(
    State(st): State<AppState>,
    Console(s): Console,
    Query(q): Query<Vec<(String, String)>>,
) -> Result<Response, ConsoleError> {
    let p = Params(q);
    let mut spec = spec_of(&p);
    let today = chrono::Utc::now().date_naive();
    if spec.region.is_empty() {
        spec.region = s.actor.region.to_string();
    }
    if spec.period_start.is_empty() {
        spec.period_start = format!("{}-10-01", today.year());
    }
    if spec.period_end.is_empty() {
        spec.period_end = format!("{}-12-31", today.year());
    }
    let (preview, errors, error) = if p.one("preview").is_empty() {
        (None, Default::default(), None)
    } else {
        match draws::preview(&st.svc, &s.actor, &spec).await {
            Ok(pv) => (Some(pv), Default::default(), None),
            Err(e) => {
                let fields = errors_of(&e).unwrap_or_default();
                let msg = crate::ApiError::from(e).message;
                (None, fields, Some(msg))
            }
        }
    };
    let plans = plan_choices(&st, &s, &spec).await;
    Ok(render(NewPage {
        c: Chrome::new(&st.svc, &s, "random").await,
        region: spec.region,
        period_start: spec.period_start,
        period_end: spec.period_end,
        title: spec.title,
        plans,
        preview,
        errors,
        error,
        w: witness_form(&p),
    }))
}

/// Commits: freezes the pools and the secret seed, publishes the hashes.
pub async fn commit(
    State(st): State<AppState>,
    Console(s): Console,
    CsrfForm(f): CsrfForm<FormData>,
) -> Result<Response, ConsoleError> {
    let params = Params(f.0.clone());
    let spec = spec_of(&params);
    match draws::commit(&st.svc, &s.actor, &spec).await {
        Ok(d) => Ok(see_other(&format!("/console/draws/{}?ok=committed", d.id))),
        Err(e) => {
            let errors = errors_of(&e).unwrap_or_default();
            let api = crate::ApiError::from(e);
            let (message, status) = (api.message, api.status);
            let plans = plan_choices(&st, &s, &spec).await;
            let page = render(NewPage {
                c: Chrome::new(&st.svc, &s, "random").await,
                region: spec.region,
                period_start: spec.period_start,
                period_end: spec.period_end,
                title: spec.title,
                plans,
                preview: None,
                errors,
                error: Some(message),
                w: witness_form(&params),
            });
            Ok((status, page).into_response())
        }
    }
}

pub struct VisitRow {
    pub code: String,
    pub entity_id: Uuid,
    pub entity: String,
    pub usci: String,
    pub items: String,
    pub departments: String,
    pub lead: String,
    pub inspectors: String,
    pub joint: bool,
    pub status: String,
}

pub fn visit_rows(v: &DrawView) -> Vec<VisitRow> {
    v.visits
        .iter()
        .map(|x| {
            let mut depts = x.departments.clone();
            depts.sort();
            depts.dedup();
            VisitRow {
                code: x.visit.code.clone(),
                entity_id: x.visit.entity_id,
                entity: x.entity_name.clone(),
                usci: x.usci.clone(),
                items: x.items.join("；"),
                joint: depts.len() > 1 || x.items.len() > 1,
                departments: depts.join("、"),
                lead: x.lead_department.clone(),
                inspectors: x.inspectors.join("、"),
                status: match x.visit.status.as_str() {
                    "cancelled" => "已取消（重新抽取）".into(),
                    s => lianjian_domain::visit::VisitStatus::parse(s)
                        .map_or_else(|_| s.to_string(), |v| v.label_zh().to_string()),
                },
            }
        })
        .collect()
}

#[derive(Template)]
#[template(path = "console/draw_detail.html")]
struct DetailPage {
    c: Chrome,
    d: Row,
    draw: Draw,
    committed: String,
    drawn: String,
    plans: Vec<(String, String)>,
    visits: Vec<VisitRow>,
    preview: Option<Preview>,
    failure: Option<String>,
    error: Option<String>,
    errors: std::collections::BTreeMap<String, String>,
    witnessing: draws::Witnessed,
    missing: Vec<String>,
    embargo: draws::Embargo,
    /// Staff who draw: execute, enter the beacon, re-draw, fetch openings.
    may_draw: bool,
    /// Staff and supervisors who may download the full record.
    may_read_full: bool,
    beacon_value: String,
    reason: String,
    w: WitnessForm,
    /// Candidates holding an access code for the portal's 抽查结果自查 (staff who draw, `/3`).
    codes_issued: Option<u64>,
}

async fn detail_page(
    st: &AppState,
    s: &SessionAuth,
    v: DrawView,
    notice: Option<&str>,
    err: Option<ServiceError>,
    f: Option<&FormData>,
) -> Response {
    let mut plans = Vec::new();
    for p in &v.plans {
        let item = lianjian_services::items::get(&st.svc, p.item_id)
            .await
            .ok()
            .map(|i| i.name)
            .unwrap_or_default();
        // Risk-weighted plans say so wherever the draw is shown (issue 4).
        let item = if p.risk_weighted {
            format!("{item}（按风险加权抽取）")
        } else {
            item
        };
        plans.push((p.code.clone(), item));
    }
    let failure = v.failure.as_ref().map(|f| {
        f.get("message")
            .and_then(|m| m.as_str())
            .unwrap_or_default()
            .to_string()
    });
    // A refused or failed action answers with its error's status (403, 404, 409, 422), not 200.
    let (error, errors, status) = super::failure(err);
    let get = |k: &str| f.map(|f| f.get(k)).unwrap_or_default();
    use lianjian_domain::account::Role;
    let role = s.actor.role;
    let codes_issued = if !v.witnessing.legacy && v.draw.status != DrawStatus::Failed {
        draws::codes_issued(&st.svc, &s.actor, v.draw.id).await.ok()
    } else {
        None
    };
    let page = render(DetailPage {
        codes_issued,
        c: Chrome::new(&st.svc, s, "random").await.with_notice(notice),
        d: row(&v.draw),
        committed: local(&v.draw.committed_at),
        drawn: local_opt(&v.draw.drawn_at),
        visits: visit_rows(&v),
        plans,
        preview: v.preview,
        failure,
        draw: v.draw,
        error,
        errors,
        witnessing: v.witnessing,
        missing: v.missing,
        embargo: v.embargo,
        may_draw: lianjian_services::draws::may_draw(&s.actor),
        may_read_full: role != Role::Inspector,
        beacon_value: get("value"),
        reason: get("reason"),
        w: f.map(|f| witness_form(&Params(f.0.clone())))
            .unwrap_or_default(),
    });
    (status, page).into_response()
}

pub async fn detail(
    State(st): State<AppState>,
    Console(s): Console,
    PathId(id): PathId,
    Query(q): Query<Vec<(String, String)>>,
) -> Result<Response, ConsoleError> {
    let v = draws::get(&st.svc, &s.actor, id).await?;
    Ok(detail_page(&st, &s, v, Some(Params(q).one("ok").as_str()), None, None).await)
}

async fn after(
    st: &AppState,
    s: &SessionAuth,
    id: Uuid,
    e: ServiceError,
    f: &FormData,
) -> Result<Response, ConsoleError> {
    match draws::get(&st.svc, &s.actor, id).await {
        Ok(v) => Ok(detail_page(st, s, v, None, Some(e), Some(f)).await),
        Err(e2) => Err(e2.into()),
    }
}

pub async fn execute(
    State(st): State<AppState>,
    Console(s): Console,
    PathId(id): PathId,
    CsrfForm(f): CsrfForm<FormData>,
) -> Result<Response, ConsoleError> {
    match draws::execute(&st.svc, &s.actor, id).await {
        Ok(out) if out.failure.is_some() => {
            Ok(see_other(&format!("/console/draws/{id}?ok=draw_failed")))
        }
        Ok(_) => Ok(see_other(&format!("/console/draws/{id}?ok=drawn"))),
        Err(e) => after(&st, &s, id, e, &f).await,
    }
}

pub async fn redraw(
    State(st): State<AppState>,
    Console(s): Console,
    PathId(id): PathId,
    CsrfForm(f): CsrfForm<FormData>,
) -> Result<Response, ConsoleError> {
    let w = witness_of(&Params(f.0.clone()));
    match draws::redraw(&st.svc, &s.actor, id, &f.get("reason"), &w).await {
        Ok(d) => Ok(see_other(&format!("/console/draws/{}?ok=committed", d.id))),
        Err(e) => after(&st, &s, id, e, &f).await,
    }
}

/// Staff enter the beacon's published value.
pub async fn beacon(
    State(st): State<AppState>,
    Console(s): Console,
    PathId(id): PathId,
    CsrfForm(f): CsrfForm<FormData>,
) -> Result<Response, ConsoleError> {
    match draws::enter_beacon(&st.svc, &s.actor, id, &f.get("value")).await {
        Ok(_) => Ok(see_other(&format!("/console/draws/{id}?ok=beacon"))),
        Err(e) => after(&st, &s, id, e, &f).await,
    }
}

/// An entity's opening, as a JSON download from the API (staff hand it to the entity).
pub async fn opening(
    _: Console,
    PathId(id): PathId,
    Query(q): Query<Vec<(String, String)>>,
) -> Result<Response, ConsoleError> {
    let usci = Params(q).one("usci").trim().to_ascii_uppercase();
    Ok(see_other(&format!(
        "/api/v1/draws/{id}/openings/{}",
        crate::extract::urlencode(&usci)
    )))
}

#[derive(Template)]
#[template(path = "console/witness.html")]
struct WitnessPage {
    c: Chrome,
    rows: Vec<Row>,
    error: Option<String>,
    errors: std::collections::BTreeMap<String, String>,
}

/// 待见证的抽取: the supervisor's queue, each with the form for its own contribution.
pub async fn witness_queue(
    State(st): State<AppState>,
    Console(s): Console,
    Query(q): Query<Vec<(String, String)>>,
) -> Result<Response, ConsoleError> {
    witness_page(&st, &s, Some(Params(q).one("ok").as_str()), None).await
}

async fn witness_page(
    st: &AppState,
    s: &SessionAuth,
    notice: Option<&str>,
    err: Option<ServiceError>,
) -> Result<Response, ConsoleError> {
    let rows = match draws::awaiting(&st.svc, &s.actor).await {
        Ok(v) => v.iter().map(row).collect(),
        Err(e) => return Err(e.into()),
    };
    let (error, errors, status) = super::failure(err);
    let page = render(WitnessPage {
        c: Chrome::new(&st.svc, s, "witness").await.with_notice(notice),
        rows,
        error,
        errors,
    });
    Ok((status, page).into_response())
}

/// The supervisor's contribution, from the queue page.
pub async fn contribute(
    State(st): State<AppState>,
    Console(s): Console,
    PathId(id): PathId,
    CsrfForm(f): CsrfForm<FormData>,
) -> Result<Response, ConsoleError> {
    match draws::contribute(&st.svc, &s.actor, id, &f.get("value")).await {
        Ok(_) => Ok(see_other("/console/witness?ok=contributed")),
        Err(e) => witness_page(&st, &s, None, Some(e)).await,
    }
}

#[derive(Template)]
#[template(path = "console/draw_access_code.html")]
struct AccessCodePage {
    draw: Draw,
    issued: draws::IssuedCode,
    /// Where the entity checks, as printed on the notice.
    url: String,
    today: String,
}

/// 生成查询码 for one candidate: shown once, on a printable notice for the entity.
pub async fn access_code(
    State(st): State<AppState>,
    Console(s): Console,
    PathId(id): PathId,
    CsrfForm(f): CsrfForm<FormData>,
) -> Result<Response, ConsoleError> {
    let usci = f.get("usci").trim().to_ascii_uppercase();
    match draws::issue_codes(&st.svc, &s.actor, id, Some(&usci)).await {
        Ok(mut v) if v.len() == 1 => {
            let draw = match draws::get(&st.svc, &s.actor, id).await {
                Ok(v) => v.draw,
                Err(e) => return Err(e.into()),
            };
            Ok(render(AccessCodePage {
                url: format!("/draws/{id}/self-check"),
                today: lianjian_domain::visit::beijing_date(st.svc.now()).to_string(),
                issued: v.remove(0),
                draw,
            }))
        }
        Ok(_) => Err(ConsoleError::not_found()),
        Err(e) => after(&st, &s, id, e, &f).await,
    }
}

/// 生成并导出全部查询码: a new code for every candidate of the draw (earlier codes stop
/// working), as a workbook for the notices (双告知 letters) to the entities.
pub async fn access_codes_export(
    State(st): State<AppState>,
    Console(s): Console,
    PathId(id): PathId,
    CsrfForm(f): CsrfForm<FormData>,
) -> Result<Response, ConsoleError> {
    match draws::issue_codes(&st.svc, &s.actor, id, None).await {
        Ok(v) => {
            let path = format!("/draws/{id}/self-check");
            let rows = v
                .into_iter()
                .map(|c| vec![c.usci, c.name, c.code, path.clone()])
                .collect();
            Ok(super::exchange::xlsx(
                "抽查结果自查查询码.xlsx",
                lianjian_services::exchange::xlsx_table(
                    "查询码",
                    &["统一社会信用代码", "名称", "查询码", "自查页面（门户网站）"],
                    rows,
                ),
            ))
        }
        Err(e) => after(&st, &s, id, e, &f).await,
    }
}
