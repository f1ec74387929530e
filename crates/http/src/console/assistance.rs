//! 协查协助 in the console (issue 17 items 1 and 4), the case-work console pattern: the
//! queues as tabs (我方发起, 请求我方, 待受理, 办理中, 已答复, 即将超时, 已超时, 已办结, 全部)
//! with counts, a kind filter, search and paging; a new request's form; a request's page
//! (its parties, what is asked, the answer and its files, clocks, timeline and the steps the
//! user may take, each a confirmed form). The requests of a case transfer (行刑衔接) are on
//! the transfer's page and in the same queues.

use std::collections::BTreeMap;

use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use lianjian_domain::assistance::AssistanceKind;
use lianjian_services::ServiceError;
use lianjian_services::accounts::SessionAuth;
use lianjian_services::assistance::{
    self, AssistanceDetail, AssistanceFilter, AssistanceQueue, AssistanceView, RequestInput,
    TransferRequestInput,
};
use uuid::Uuid;

use super::cases::{
    CaseStep, CaseView, ClockRow, Shell, StepRow, Tab, clock_row, light_badge, picked_id,
    queue_param, queue_tabs, step_rows, upload,
};
use super::fields::{FormData, errors_of};
use super::{
    Chrome, ConsoleError, CsrfForm, Pager, PathId, failure, local, render, see_other, with_status,
};
use crate::AppState;
use crate::api::params::Params;
use crate::extract::Console;

const AREA: &str = "linkage";

fn notice(key: &str) -> Option<String> {
    let s = match key {
        "created" => "协查请求已发出，受理方联席办 2 个工作日内受理，答复时限已开始计时。",
        "assigned" => "已交办，受理部门可见并办理。",
        "reassigned" => "已改派。",
        "refused" => "已不予协助，请求方可见理由。",
        "withdrawn" => "已撤回，时限停止计时。",
        "answered" => "已答复，请求方可见答复和附件。",
        "attached" => "材料已上传，已存入证据库并列入附件。",
        "closed" => "已确认办结。",
        "reopened" => "已要求补充答复，答复时限重新计算。",
        _ => return None,
    };
    Some(s.to_string())
}

fn kinds(for_transfer: bool) -> Vec<(&'static str, &'static str)> {
    AssistanceKind::ALL
        .iter()
        .filter(|k| {
            for_transfer
                || !matches!(
                    k,
                    AssistanceKind::Appraisal
                        | AssistanceKind::Custody
                        | AssistanceKind::Consultation
                )
        })
        .map(|k| (k.as_str(), k.label_zh()))
        .collect()
}

// ---- the queue ----

/// Queue rows (also the transfer page's list of its requests).
pub(super) fn rows_of(items: Vec<AssistanceView>) -> Vec<Row> {
    items
        .into_iter()
        .map(|v| {
            let (light_class, light_label) = light_badge(v.light);
            Row {
                light_class,
                light_label,
                due: v
                    .clocks
                    .iter()
                    .find(|k| k.name == "answer")
                    .map(|k| k.due.to_string())
                    .unwrap_or_default(),
                created: local(&v.created_at),
                v,
            }
        })
        .collect()
}

pub struct Row {
    pub v: AssistanceView,
    pub light_class: &'static str,
    pub light_label: &'static str,
    pub due: String,
    pub created: String,
}

#[derive(Template)]
#[template(path = "console/assistance.html")]
struct QueuePage {
    c: Chrome,
    tabs: Vec<Tab>,
    queue: String,
    kind: String,
    q: String,
    kinds: Vec<(&'static str, &'static str)>,
    rows: Vec<Row>,
    pager: Pager,
    may_request: bool,
    errors: BTreeMap<String, String>,
    /// The analysis drill-down this list shows, described.
    drill: Option<String>,
}

impl QueuePage {
    fn empty_text(&self) -> &'static str {
        match self.queue.as_str() {
            "sent" => "本单位还没有发起协查请求。",
            "received" => "还没有请求本单位协助的事项。",
            "pending" => "没有待受理的协查请求。",
            "open" => "没有办理中的协查请求。",
            "answered" => "没有等待确认的答复。",
            "due_soon" => "没有即将超时的协查请求。",
            "overdue" => "没有已超时的协查请求。",
            "done" => "还没有办结的协查请求。",
            _ => "您的范围内还没有协查请求。",
        }
    }
}

pub async fn queue(
    State(st): State<AppState>,
    Console(s): Console,
    Query(q): Query<Vec<(String, String)>>,
) -> Result<Response, ConsoleError> {
    let p = Params(q);
    let mut errors = BTreeMap::new();
    let queue = queue_param(&p, AssistanceQueue::All, &mut errors);
    let kind = p.one("kind");
    let text = p.one("q");
    // The drill-down of the analysis figures (协查按时答复率): answered in a period, by a
    // receiving department, within a region.
    let (answered_from, answered_to, department, region) = (
        p.one("answered_from"),
        p.one("answered_to"),
        p.one("department"),
        p.one("region"),
    );
    let some = |s: &str| (!s.is_empty()).then(|| s.to_string());
    let filter = AssistanceFilter {
        kind: Some(kind.clone()),
        q: Some(text.clone()),
        answered_from: some(&answered_from),
        answered_to: some(&answered_to),
        department_id: department.parse().ok(),
        region: some(&region),
        ..Default::default()
    };
    let drill = (!answered_from.is_empty() || !answered_to.is_empty())
        .then(|| format!("{answered_from} 至 {answered_to} 答复的协查请求（分析评估下钻）"));
    let page = Pager::request(&p.0, 20);
    let list = match assistance::list(&st.svc, &s.actor, queue, &filter, page).await {
        Ok(l) => l,
        Err(e @ ServiceError::Invalid(_)) => {
            errors.extend(errors_of(&e).unwrap_or_default());
            assistance::list(&st.svc, &s.actor, queue, &AssistanceFilter::default(), page).await?
        }
        Err(e) => return Err(e.into()),
    };
    let counts = assistance::queue_counts(&st.svc, &s.actor).await?;
    let pager = Pager::new(
        &list,
        &[
            ("queue", queue.as_str()),
            ("kind", &kind),
            ("q", &text),
            ("answered_from", &answered_from),
            ("answered_to", &answered_to),
            ("department", &department),
            ("region", &region),
        ],
    );
    let rows = rows_of(list.items);
    Ok(render(QueuePage {
        c: Chrome::new(&st.svc, &s, AREA).await,
        tabs: queue_tabs(&counts, queue),
        queue: queue.as_str().to_string(),
        kind,
        q: text,
        kinds: kinds(true),
        rows,
        pager,
        may_request: assistance::may_request(&s.actor),
        errors,
        drill,
    }))
}

// ---- a new request ----

#[derive(Template)]
#[template(path = "console/assistance_form.html")]
struct FormPage {
    c: Chrome,
    f: FormData,
    kinds: Vec<(&'static str, &'static str)>,
    regions: Vec<(String, String)>,
    error: Option<String>,
    errors: BTreeMap<String, String>,
}

/// The regions a request usually goes to: the county's neighbours, its city and province.
async fn regions_for(st: &AppState, s: &SessionAuth) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let own = s.actor.region.clone();
    if let Some(parent) = own.parent()
        && let Ok(children) =
            lianjian_services::regions::children(&st.svc, Some(parent.as_str())).await
    {
        out.extend(
            children
                .into_iter()
                .filter(|c| c.code != own)
                .map(|c| (c.code.to_string(), c.name)),
        );
    }
    for r in own.lineage().into_iter().rev() {
        if r != own
            && let Ok(x) = lianjian_services::regions::get(&st.svc, r.as_str()).await
        {
            out.push((x.code.to_string(), x.name));
        }
    }
    out
}

async fn form_page(
    st: &AppState,
    s: &SessionAuth,
    f: FormData,
    err: Option<ServiceError>,
) -> Result<Response, ConsoleError> {
    if !assistance::may_request(&s.actor) {
        return Err(ConsoleError::forbidden());
    }
    let (error, errors, status) = failure(err);
    let page = FormPage {
        c: Chrome::new(&st.svc, s, AREA).await,
        f,
        kinds: kinds(false),
        regions: regions_for(st, s).await,
        error,
        errors,
    };
    Ok(with_status(status, render(page)))
}

pub async fn new_form(
    State(st): State<AppState>,
    Console(s): Console,
) -> Result<Response, ConsoleError> {
    form_page(&st, &s, FormData::default(), None).await
}

pub async fn create(
    State(st): State<AppState>,
    Console(s): Console,
    CsrfForm(f): CsrfForm<FormData>,
) -> Result<Response, ConsoleError> {
    let input = RequestInput {
        kind: f.get("kind"),
        to_region: f.get("to_region"),
        subject: f.get("subject"),
        entity_id: None,
        legal_basis: f.get("legal_basis"),
        needed: f.get("needed"),
        deadline_days: f.get("deadline_days"),
        department_id: None,
    };
    match assistance::submit(&st.svc, &s.actor, &input).await {
        Ok(d) => Ok(see_other(&format!(
            "/console/assistance/{}?ok=created",
            d.request.id
        ))),
        Err(e @ ServiceError::Forbidden) => Err(e.into()),
        Err(e) => form_page(&st, &s, f, Some(e)).await,
    }
}

// ---- a request ----

#[derive(Template)]
#[template(path = "console/assistance_case.html")]
struct CasePage {
    c: Chrome,
    d: AssistanceDetail,
    clocks: Vec<ClockRow>,
    steps: Vec<StepRow>,
    departments: Vec<(Uuid, String)>,
    created: String,
    answered: String,
    error: Option<String>,
    errors: BTreeMap<String, String>,
}

impl CasePage {
    fn may(&self, a: &str) -> bool {
        super::cases::may(&self.d.actions, a)
    }
}

async fn case_page(
    st: &AppState,
    s: &SessionAuth,
    id: Uuid,
    notice_key: &str,
    err: Option<ServiceError>,
) -> Result<Response, ConsoleError> {
    let d = assistance::get(&st.svc, &s.actor, id).await?;
    let Shell {
        c,
        error,
        errors,
        status,
    } = Shell::new(st, s, AREA, notice(notice_key), err).await;
    let departments = if d
        .actions
        .iter()
        .any(|a| matches!(a.as_str(), "assign" | "reassign"))
    {
        let region = lianjian_domain::region::RegionCode::parse(&d.request.to_region)
            .map_err(|_| ConsoleError::not_found())?;
        lianjian_services::departments::pickable(&st.svc, &region)
            .await?
            .into_iter()
            .filter(|x| x.region_code == region)
            .map(|x| (x.id, x.name))
            .collect()
    } else {
        Vec::new()
    };
    let page = CasePage {
        c,
        clocks: d.request.clocks.iter().map(clock_row).collect(),
        steps: step_rows(&d.timeline),
        departments,
        created: local(&d.request.created_at),
        answered: d
            .request
            .answered_at
            .as_ref()
            .map(local)
            .unwrap_or_default(),
        d,
        error,
        errors,
    };
    Ok(with_status(status, render(page)))
}

pub async fn case(v: CaseView) -> Result<Response, ConsoleError> {
    case_page(&v.st, &v.s, v.id, &v.ok, None).await
}

async fn step(
    x: &CaseStep,
    ok: &str,
    r: Result<AssistanceDetail, ServiceError>,
) -> Result<Response, ConsoleError> {
    let page = format!("/console/assistance/{}", x.id);
    x.answer(r, &page, ok, |e| case_page(&x.st, &x.s, x.id, "", Some(e)))
        .await
}

/// The receiving department picked (受理部门).
fn department_of(x: &CaseStep) -> Result<Uuid, ServiceError> {
    let raw = x.f.get("department_id");
    picked_id(
        "department_id",
        &raw,
        "请选择受理部门",
        "choose a department",
    )
}

pub async fn assign(x: CaseStep) -> Result<Response, ConsoleError> {
    let r = match department_of(&x) {
        Ok(d) => assistance::assign(&x.st.svc, &x.s.actor, x.id, d).await,
        Err(e) => Err(e),
    };
    step(&x, "assigned", r).await
}

pub async fn reassign(x: CaseStep) -> Result<Response, ConsoleError> {
    let r = match department_of(&x) {
        Ok(d) => assistance::reassign(&x.st.svc, &x.s.actor, x.id, d, &x.f.get("reason")).await,
        Err(e) => Err(e),
    };
    step(&x, "reassigned", r).await
}

pub async fn refuse(x: CaseStep) -> Result<Response, ConsoleError> {
    let r = assistance::refuse(&x.st.svc, &x.s.actor, x.id, &x.f.get("reason")).await;
    step(&x, "refused", r).await
}

pub async fn withdraw(x: CaseStep) -> Result<Response, ConsoleError> {
    let r = assistance::withdraw(&x.st.svc, &x.s.actor, x.id, &x.f.get("reason")).await;
    step(&x, "withdrawn", r).await
}

pub async fn answer(x: CaseStep) -> Result<Response, ConsoleError> {
    let r = assistance::answer(&x.st.svc, &x.s.actor, x.id, &x.f.get("answer"), &[]).await;
    step(&x, "answered", r).await
}

pub async fn close(x: CaseStep) -> Result<Response, ConsoleError> {
    let r = assistance::close(&x.st.svc, &x.s.actor, x.id).await;
    step(&x, "closed", r).await
}

pub async fn reopen(x: CaseStep) -> Result<Response, ConsoleError> {
    let r = assistance::reopen(&x.st.svc, &x.s.actor, x.id, &x.f.get("reason")).await;
    step(&x, "reopened", r).await
}

/// 补充材料: one file for the answer (multipart: `_csrf`, `file`), stored in the evidence log.
pub async fn attach(
    State(st): State<AppState>,
    Console(s): Console,
    PathId(id): PathId,
    form: Result<axum::extract::Multipart, axum::extract::multipart::MultipartRejection>,
) -> Result<Response, ConsoleError> {
    let r = match upload(&st, &s, form, "请选择要上传的文件").await? {
        Ok(u) => assistance::attach(&st.svc, &s.actor, id, u)
            .await
            .map(|(d, _)| d),
        Err(e) => Err(e),
    };
    let page = format!("/console/assistance/{id}");
    super::cases::answer(r, &page, "attached", |e| {
        case_page(&st, &s, id, "", Some(e))
    })
    .await
}

/// The transfer page's 行刑衔接 section: the police's requests and the consultations of the
/// transfer (its rows, see [`rows_of`]) and the form that files a new one, with the form's
/// values and field errors after a refused post.
pub(super) struct TransferLinkage {
    pub may_file: bool,
    pub kinds: Vec<(&'static str, &'static str)>,
    pub f: FormData,
    pub error: Option<String>,
    pub errors: BTreeMap<String, String>,
}

/// The kinds the police ask for on a transfer first (检验鉴定, 涉案物品保管, 协助检查), then
/// the consultation and the rest.
fn transfer_kinds() -> Vec<(&'static str, &'static str)> {
    use AssistanceKind as K;
    [
        K::Appraisal,
        K::Custody,
        K::Inspection,
        K::Consultation,
        K::Verification,
        K::Document,
    ]
    .iter()
    .map(|k| (k.as_str(), k.label_zh()))
    .collect()
}

/// The requests of transfer `t` and its form (`err` and `f`: a refused post's error and values).
pub(super) async fn transfer_linkage(
    st: &AppState,
    s: &SessionAuth,
    t: &lianjian_services::follow_ups::CaseTransfer,
    err: Option<ServiceError>,
    f: Option<&FormData>,
) -> Result<(Vec<Row>, TransferLinkage, StatusCode), ConsoleError> {
    let rows = rows_of(assistance::of_transfer(&st.svc, &s.actor, t.id).await?);
    let (error, errors, status) = failure(err);
    Ok((
        rows,
        TransferLinkage {
            may_file: assistance::may_request_for_transfer(&s.actor, t.department_id),
            kinds: transfer_kinds(),
            f: f.cloned().unwrap_or_default(),
            error,
            errors,
        },
        status,
    ))
}

/// 公安机关提请协助 / 双向咨询 from a transfer's page.
pub async fn create_for_transfer(
    State(st): State<AppState>,
    Console(s): Console,
    PathId(id): PathId,
    CsrfForm(f): CsrfForm<FormData>,
) -> Result<Response, ConsoleError> {
    let input = TransferRequestInput {
        kind: f.get("kind"),
        from_party: f.get("from_party"),
        legal_basis: f.get("legal_basis"),
        needed: f.get("needed"),
        deadline_days: f.get("deadline_days"),
    };
    match assistance::for_transfer(&st.svc, &s.actor, id, &input).await {
        Ok(d) => Ok(see_other(&format!(
            "/console/assistance/{}?ok=created",
            d.request.id
        ))),
        Err(ServiceError::NotFound) => Err(ConsoleError::not_found()),
        Err(e @ ServiceError::Forbidden) => Err(e.into()),
        // Back on the transfer's page (422) with every field's error and the values entered.
        Err(e) => {
            super::follow_ups::transfer_page(&st, &s, id, "", None, None, Some((e, &f))).await
        }
    }
}
