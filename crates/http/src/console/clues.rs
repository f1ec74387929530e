//! 问题线索 in the console (issue 14 item 8, basic): the queues of the user's role as tabs
//! (待派单, 待签收, 待办理, 即将超时, 已超时, 退回待处理 …), the intake form, and a clue's page
//! with its clocks' lights, its timeline (who, when, why) and the steps the user may take,
//! each a confirmed form. The one console pattern of case work: queue → case page → actions.

use std::collections::BTreeMap;

use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use lianjian_domain::clue::{
    ClueAction, ClueKind, ClueSource, ClueStatus, Finding, LeadRule, MAX_EXTENSION_DAYS,
    Satisfaction, Urgency,
};
use lianjian_domain::item::ItemStatus;
use lianjian_domain::scope::Scope;
use lianjian_services::accounts::SessionAuth;
use lianjian_services::clues::{self, ClueDetail, ClueInput, ClueView, Queue};
use lianjian_services::items::{self, ItemQuery};
use lianjian_services::{PageRequest, ServiceError};
use uuid::Uuid;

use super::cases::{
    CaseStep, CaseView, ClockRow, Tab, clock_row, light_badge, picked_id, queue_tabs, upload,
};
use super::fields::FormData;
use super::{
    Chrome, ConsoleError, CsrfForm, Pager, PathId, failure, local, local_opt, render, see_other,
};
use crate::AppState;
use crate::api::params::Params;
use crate::extract::Console;

pub struct Row {
    pub v: ClueView,
    pub received: String,
    pub excerpt: String,
    pub light_class: &'static str,
    pub light_label: &'static str,
}

fn row(v: ClueView) -> Row {
    let excerpt: String = v.content.chars().take(40).collect();
    let excerpt = if v.content.chars().count() > 40 {
        format!("{excerpt}…")
    } else {
        excerpt
    };
    let (light_class, light_label) = light_badge(v.light);
    Row {
        received: local(&v.received_at),
        excerpt,
        light_class,
        light_label,
        v,
    }
}

#[derive(Template)]
#[template(path = "console/clues.html")]
struct ListPage {
    c: Chrome,
    tabs: Vec<Tab>,
    queue: String,
    rows: Vec<Row>,
    pager: Pager,
    f: super::clue_desk::TypedFilter,
    filtered: bool,
    sources: Vec<(&'static str, &'static str)>,
    kinds: Vec<(&'static str, &'static str)>,
    urgencies: Vec<(&'static str, &'static str)>,
    sorts: Vec<(&'static str, &'static str)>,
    departments: Vec<(String, String)>,
    may_register: bool,
    /// The office keeps the routing table and deadlines.
    may_route: bool,
    /// 批量签收 (the handling department's staff).
    may_batch_sign: bool,
    /// 批量派单/改派 (the office).
    may_batch_send: bool,
    batch: super::clue_desk::BatchState,
    /// The list's query (queue and filters) for the export link and the batch form.
    query: String,
    errors: BTreeMap<String, String>,
}

impl ListPage {
    /// What an empty queue says.
    fn empty_text(&self) -> &'static str {
        if !self.errors.is_empty() {
            return "查询条件有误，请按提示修改。";
        }
        if self.filtered {
            return "没有符合筛选条件的线索，请放宽条件或重置。";
        }
        match self.queue.as_str() {
            "to_dispatch" => "没有待派单的线索：新登记的线索会出现在这里。",
            "to_sign" => "没有待签收的线索：派给本部门的线索都已签收。",
            "to_handle" => "没有待办理的线索。",
            "due_soon" => "没有即将超时的线索。",
            "overdue" => "没有已超时的线索，时限均在控制之内。",
            "returned" => "没有退回待处理的线索。",
            "extensions" => "没有待审批的延期申请。",
            "finished" => "还没有已办结的线索。",
            _ => "您的范围内还没有线索。",
        }
    }
}

pub async fn list(
    State(st): State<AppState>,
    Console(s): Console,
    Query(q): Query<Vec<(String, String)>>,
) -> Result<Response, ConsoleError> {
    list_page(&st, &s, &Params(q), super::clue_desk::BatchState::default()).await
}

/// The queue page for the request's queue and filters, with the batch bar in `batch` (what
/// the last batch did, and what stays checked).
pub(super) async fn list_page(
    st: &AppState,
    s: &SessionAuth,
    p: &Params,
    batch: super::clue_desk::BatchState,
) -> Result<Response, ConsoleError> {
    use super::clue_desk::{SORTS, TypedFilter, queue_of};
    let mine = Queue::of_role(&s.actor);
    let typed = TypedFilter::read(p);
    let (filter, mut errors) = typed.parse();
    let queue = match queue_of(p, &mine) {
        Ok(q) => q,
        Err(e) => {
            errors.insert("queue".to_string(), e.zh);
            Queue::All
        }
    };
    let req = PageRequest::new(p.one("page").parse().ok(), Some(20));
    let page = if errors.is_empty() {
        clues::list(&st.svc, &s.actor, queue, &filter, req).await?
    } else {
        lianjian_services::Page {
            items: Vec::new(),
            total: 0,
            page: 1,
            per_page: 20,
        }
    };
    let counts = clues::queue_counts(&st.svc, &s.actor).await?;
    let mut pairs: Vec<(&str, &str)> = vec![("queue", queue.as_str())];
    let fp = typed.pairs();
    pairs.extend(fp.iter().map(|(k, v)| (*k, v.as_str())));
    let pager = Pager::new(&page, &pairs);
    let query = pairs
        .iter()
        .filter(|(_, v)| !v.is_empty())
        .map(|(k, v)| format!("{k}={}", crate::extract::urlencode(v)))
        .collect::<Vec<_>>()
        .join("&");
    let status = if errors.is_empty() && batch.error.is_none() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let may_batch_send = clues::may_dispatch(&s.actor);
    let may_batch_sign = matches!(
        s.actor.role,
        lianjian_domain::account::Role::DepartmentAdmin | lianjian_domain::account::Role::Inspector
    );
    let filtered = fp.iter().any(|(k, v)| *k != "sort" && !v.is_empty());
    let mut c = Chrome::new(&st.svc, s, "clues").await;
    c.notice = notice(&p.one("ok"));
    let body = render(ListPage {
        c,
        tabs: queue_tabs(&counts, queue),
        queue: queue.as_str().into(),
        rows: page.items.into_iter().map(row).collect(),
        pager,
        f: typed,
        filtered,
        sources: ClueSource::ALL
            .iter()
            .map(|x| (x.as_str(), x.label_zh()))
            .collect(),
        kinds: ClueKind::ALL
            .iter()
            .map(|x| (x.as_str(), x.label_zh()))
            .collect(),
        urgencies: Urgency::ALL
            .iter()
            .map(|x| (x.as_str(), x.label_zh()))
            .collect(),
        sorts: SORTS.to_vec(),
        departments: super::offered_departments(&st.svc, &s.actor).await,
        may_register: clues::may_register(&s.actor),
        may_route: clues::may_dispatch(&s.actor),
        may_batch_sign,
        may_batch_send,
        batch,
        query,
        errors,
    });
    Ok((status, body).into_response())
}

/// The intake form's fields as typed.
#[derive(Default)]
pub struct IntakeForm {
    pub source: String,
    pub kind: String,
    pub urgency: String,
    pub content: String,
    pub address: String,
    pub region_code: String,
    pub latitude: String,
    pub longitude: String,
    pub entity_usci: String,
    pub item_ids: Vec<String>,
    pub complainant_name: String,
    pub complainant_phone: String,
    pub anonymous: bool,
    pub external_no: String,
}

impl IntakeForm {
    fn from_post(f: &FormData) -> Self {
        Self {
            source: f.get("source"),
            kind: f.get("kind"),
            urgency: f.get("urgency"),
            content: f.get("content"),
            address: f.get("address"),
            region_code: f.get("region_code"),
            latitude: f.get("latitude"),
            longitude: f.get("longitude"),
            entity_usci: f.get("entity_usci"),
            item_ids: f
                .all("item_ids")
                .into_iter()
                .filter(|s| !s.is_empty())
                .collect(),
            complainant_name: f.get("complainant_name"),
            complainant_phone: f.get("complainant_phone"),
            anonymous: f.get("anonymous") == "1",
            external_no: f.get("external_no"),
        }
    }

    /// The service's input; a coordinate that is not a number is a field error here.
    fn input(&self) -> Result<ClueInput, BTreeMap<String, String>> {
        let num = |s: &str, field: &str| -> Result<Option<f64>, BTreeMap<String, String>> {
            match s.trim() {
                "" => Ok(None),
                t => t
                    .parse::<f64>()
                    .map(Some)
                    .map_err(|_| [(field.to_string(), format!("“{t}”不是数字"))].into()),
            }
        };
        Ok(ClueInput {
            source: self.source.clone(),
            kind: self.kind.clone(),
            urgency: Some(self.urgency.clone()),
            content: self.content.clone(),
            address: self.address.clone(),
            region_code: self.region_code.clone(),
            latitude: num(&self.latitude, "latitude")?,
            longitude: num(&self.longitude, "longitude")?,
            entity_usci: Some(self.entity_usci.clone()),
            item_ids: self.item_ids.clone(),
            complainant_name: Some(self.complainant_name.clone()),
            complainant_phone: Some(self.complainant_phone.clone()),
            anonymous: self.anonymous,
            external_no: Some(self.external_no.clone()),
            received_at: None,
        })
    }
}

#[derive(Template)]
#[template(path = "console/clue_form.html")]
struct FormPage {
    c: Chrome,
    f: IntakeForm,
    sources: Vec<(&'static str, &'static str)>,
    kinds: Vec<(&'static str, &'static str)>,
    urgencies: Vec<(&'static str, &'static str)>,
    items: Vec<(String, String)>,
    errors: BTreeMap<String, String>,
}

impl FormPage {
    fn error(&self, field: &str) -> Option<&String> {
        self.errors.get(field)
    }

    fn item_error(&self) -> Option<String> {
        let v: Vec<&str> = self
            .errors
            .iter()
            .filter(|(k, _)| k.starts_with("item_ids"))
            .map(|(_, v)| v.as_str())
            .collect();
        (!v.is_empty()).then(|| v.join("；"))
    }
}

async fn form_page(
    st: &AppState,
    s: &SessionAuth,
    f: IntakeForm,
    errors: BTreeMap<String, String>,
) -> Response {
    let items = item_choices(st, s).await;
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let body = render(FormPage {
        c: Chrome::new(&st.svc, s, "clues").await,
        f,
        sources: ClueSource::ALL
            .iter()
            .map(|x| (x.as_str(), x.label_zh()))
            .collect(),
        kinds: ClueKind::ALL
            .iter()
            .map(|x| (x.as_str(), x.label_zh()))
            .collect(),
        urgencies: Urgency::ALL
            .iter()
            .map(|x| (x.as_str(), x.label_zh()))
            .collect(),
        items,
        errors,
    });
    (status, body).into_response()
}

/// The published items the actor sees, as (id, "code name") choices.
pub(crate) async fn item_choices(st: &AppState, s: &SessionAuth) -> Vec<(String, String)> {
    items::list(
        &st.svc,
        &Scope::of(&s.actor),
        ItemQuery {
            status: Some(ItemStatus::Published),
            ..Default::default()
        },
        PageRequest::new(Some(1), Some(200)),
    )
    .await
    .map(|p| {
        p.items
            .into_iter()
            .map(|i| (i.id.to_string(), format!("{} {}", i.code, i.name)))
            .collect()
    })
    .unwrap_or_default()
}

pub async fn new_form(
    State(st): State<AppState>,
    Console(s): Console,
) -> Result<Response, ConsoleError> {
    if !clues::may_register(&s.actor) {
        return Err(ConsoleError::forbidden());
    }
    let f = IntakeForm {
        source: ClueSource::Hotline12345.as_str().into(),
        kind: ClueKind::Complaint.as_str().into(),
        urgency: Urgency::Normal.as_str().into(),
        region_code: s.actor.region.to_string(),
        ..Default::default()
    };
    Ok(form_page(&st, &s, f, BTreeMap::new()).await)
}

pub async fn create(
    State(st): State<AppState>,
    Console(s): Console,
    CsrfForm(f): CsrfForm<FormData>,
) -> Result<Response, ConsoleError> {
    let form = IntakeForm::from_post(&f);
    let input = match form.input() {
        Ok(i) => i,
        Err(errs) => return Ok(form_page(&st, &s, form, errs).await),
    };
    match clues::register(&st.svc, &s.actor, &input).await {
        Ok(d) => Ok(see_other(&format!(
            "/console/clues/{}?ok=registered",
            d.clue.id
        ))),
        Err(e) => {
            let errs = super::form_errors(e)?;
            Ok(form_page(&st, &s, form, errs).await)
        }
    }
}

pub struct Step {
    pub label: String,
    pub to: String,
    pub reason: String,
    pub note: String,
    pub actor: String,
    pub at: String,
}

#[derive(Template)]
#[template(path = "console/clue_detail.html")]
struct DetailPage {
    c: Chrome,
    d: ClueDetail,
    clocks: Vec<ClockRow>,
    received: String,
    finished: String,
    steps: Vec<Step>,
    departments: Vec<(String, String)>,
    error: Option<String>,
    errors: BTreeMap<String, String>,
    max_extension: u32,
    /// Pool members offered for a verification visit.
    pool: Vec<lianjian_services::clues::joint::PoolMember>,
    lead_rules: Vec<(&'static str, &'static str)>,
    satisfactions: Vec<(&'static str, &'static str)>,
    /// 查实情况 offered at 办结 of a complaint or report (empty for other kinds).
    findings: Vec<(&'static str, &'static str)>,
    /// Regions offered for 转办 (code, name): the office's neighbours and its parent.
    transfer_regions: Vec<(String, String)>,
}

impl DetailPage {
    fn may(&self, action: &str) -> bool {
        self.d.actions.iter().any(|a| a.as_str() == action)
    }

    /// No step to take but adding files (a finished clue for its department).
    fn no_steps(&self) -> bool {
        self.d.actions.iter().all(|a| *a == ClueAction::Attach)
    }

    /// The department the routing suggests as lead (preselected in the dispatch form).
    fn suggested_lead(&self, id: &str) -> bool {
        self.d
            .routing
            .as_ref()
            .and_then(|r| r.lead.as_ref())
            .is_some_and(|l| l.id.to_string() == id)
    }

    fn suggested_cooperating(&self, id: &str) -> bool {
        self.d
            .routing
            .as_ref()
            .is_some_and(|r| r.cooperating.iter().any(|c| c.id.to_string() == id))
    }
}

fn notice(key: &str) -> Option<String> {
    let s = match key {
        "registered" => "线索已登记，等待联席办派单。",
        "dispatched" => {
            "已派单：签收（1 个工作日）、退回（2 个工作日）、办结（5 个工作日）时限自今日起算。"
        }
        "reassigned" => "已改派，时限自今日重新起算。",
        "signed" => "已签收，请在办结时限内办理。",
        "returned" => "已退回，联席办将改派。",
        "extension" => "延期申请已提交，等待联席办审批。",
        "decided" => "延期审批已办理。",
        "finished" => "线索已办结。",
        "disputed" => "已提请裁定，联席办应在 3 个工作日内确定牵头部门。",
        "lead_decided" => "已裁定牵头部门并派单，时限自今日起算。",
        "supervised" => "已督办，承办部门可在办理过程中看到督办意见。",
        "urged" => "已催办。",
        "merged" => "已并单，该线索将随主线索一并答复。",
        "revisited" => "回访已记录。",
        "transferred" => "线索已转办，由当地联席办派单，本级不再显示。",
        "joined" => "线索已并入检查，涉及事项已加入检查清单。",
        "verifying" => "已发起核查检查。",
        "attached" => "材料已上传，已存入证据库并列入附件。",
        _ => return None,
    };
    Some(s.to_string())
}

/// Where an office usually transfers a clue (转办): the other regions under its parent (the
/// neighbouring counties of a county) and the parent itself; any other code may be typed.
async fn transfer_regions(
    svc: &lianjian_services::Services,
    a: &lianjian_domain::scope::Actor,
) -> Vec<(String, String)> {
    let Some(own) = a.full_scope().region.clone() else {
        return Vec::new();
    };
    let Some(parent) = own.parent() else {
        return Vec::new();
    };
    let mut out = Vec::new();
    if let Ok(p) = lianjian_services::regions::get(svc, parent.as_str()).await {
        out.push((p.code.to_string(), p.name));
    }
    if let Ok(siblings) = lianjian_services::regions::children(svc, Some(parent.as_str())).await {
        out.extend(
            siblings
                .into_iter()
                .filter(|r| r.code != own)
                .map(|r| (r.code.to_string(), r.name)),
        );
    }
    out
}

async fn detail_page(
    st: &AppState,
    s: &SessionAuth,
    id: Uuid,
    notice_key: &str,
    err: Option<ServiceError>,
) -> Result<Response, ConsoleError> {
    let d = clues::get(&st.svc, &s.actor, id).await?;
    let (error, errors, status) = failure(err);
    let departments = if d.actions.iter().any(|a| {
        matches!(
            a,
            ClueAction::Dispatch | ClueAction::Reassign | ClueAction::Decide
        )
    }) {
        super::offered_departments(&st.svc, &s.actor).await
    } else {
        Vec::new()
    };
    let mut c = Chrome::new(&st.svc, s, "clues").await;
    c.notice = notice(notice_key);
    let steps = d
        .timeline
        .iter()
        .map(|t| Step {
            label: t.action_label.clone(),
            to: t.to_label.clone(),
            reason: t.reason.clone().unwrap_or_default(),
            note: t.note.clone().unwrap_or_default(),
            actor: if t.actor_name.is_empty() {
                t.actor.clone()
            } else {
                format!("{}（{}）", t.actor_name, t.actor)
            },
            at: local(&t.at),
        })
        .collect();
    let pool = if d.actions.contains(&ClueAction::Verify) {
        lianjian_services::clues::joint::verification_pool(&st.svc, &s.actor, id).await?
    } else {
        Vec::new()
    };
    let transfer_regions = if d.actions.contains(&ClueAction::Transfer) {
        transfer_regions(&st.svc, &s.actor).await
    } else {
        Vec::new()
    };
    let body = render(DetailPage {
        transfer_regions,
        pool,
        lead_rules: LeadRule::ALL
            .iter()
            .map(|r| (r.as_str(), r.label_zh()))
            .collect(),
        satisfactions: Satisfaction::ALL
            .iter()
            .map(|r| (r.as_str(), r.label_zh()))
            .collect(),
        findings: if d.clue.kind.takes_finding() {
            Finding::ALL
                .iter()
                .map(|r| (r.as_str(), r.label_zh()))
                .collect()
        } else {
            Vec::new()
        },
        c,
        clocks: d.clue.clocks.iter().map(clock_row).collect(),
        received: local(&d.clue.received_at),
        finished: local_opt(&d.clue.finished_at),
        steps,
        departments,
        error,
        errors,
        max_extension: MAX_EXTENSION_DAYS,
        d,
    });
    Ok((status, body).into_response())
}

pub async fn detail(v: CaseView) -> Result<Response, ConsoleError> {
    detail_page(&v.st, &v.s, v.id, &v.ok, None).await
}

/// Runs a step and answers: back to the clue's page with its notice, or the page with the
/// error (at the API's status for it).
async fn step<T>(
    x: &CaseStep,
    ok: &str,
    r: Result<T, ServiceError>,
) -> Result<Response, ConsoleError> {
    let page = format!("/console/clues/{}", x.id);
    x.answer(r, &page, ok, |e| {
        detail_page(&x.st, &x.s, x.id, "", Some(e))
    })
    .await
}

fn department_field(f: &FormData) -> Result<Uuid, ServiceError> {
    let raw = f.get("department_id");
    picked_id(
        "department_id",
        raw.trim(),
        "请选择承办部门",
        "choose a department",
    )
}

fn cooperating_field(f: &FormData) -> Vec<Uuid> {
    f.all("cooperating_ids")
        .iter()
        .filter_map(|s| s.trim().parse().ok())
        .collect()
}

pub async fn dispatch(x: CaseStep) -> Result<Response, ConsoleError> {
    let r = match department_field(&x.f) {
        Ok(d) => {
            clues::joint::dispatch_jointly(&x.st.svc, &x.s.actor, x.id, d, &cooperating_field(&x.f))
                .await
        }
        Err(e) => Err(e),
    };
    step(&x, "dispatched", r).await
}

pub async fn dispute(x: CaseStep) -> Result<Response, ConsoleError> {
    let r = clues::joint::dispute(&x.st.svc, &x.s.actor, x.id, &x.f.get("reason")).await;
    step(&x, "disputed", r).await
}

pub async fn decide(x: CaseStep) -> Result<Response, ConsoleError> {
    let f = &x.f;
    let input = clues::joint::DecisionInput {
        rule: f.get("rule"),
        lead_id: f.get("department_id"),
        cooperating_ids: f.all("cooperating_ids"),
        reason: f.get("reason"),
    };
    let r = clues::joint::decide(&x.st.svc, &x.s.actor, x.id, &input).await;
    step(&x, "lead_decided", r).await
}

pub async fn supervise(x: CaseStep) -> Result<Response, ConsoleError> {
    let r = clues::oversight::supervise(&x.st.svc, &x.s.actor, x.id, &x.f.get("reason")).await;
    step(&x, "supervised", r).await
}

pub async fn urge(x: CaseStep) -> Result<Response, ConsoleError> {
    let r = clues::oversight::urge(&x.st.svc, &x.s.actor, x.id, &x.f.get("reason")).await;
    step(&x, "urged", r).await
}

/// 补充材料: one file for the clue's evidence (multipart: `_csrf`, `file`). A refused file
/// (too large, wrong type) is named on the clue's page; nothing is stored then.
pub async fn attach(
    State(st): State<AppState>,
    Console(s): Console,
    PathId(id): PathId,
    form: Result<axum::extract::Multipart, axum::extract::multipart::MultipartRejection>,
) -> Result<Response, ConsoleError> {
    let r = match upload(&st, &s, form, "请选择要上传的照片或文件").await? {
        Ok(u) => clues::attach(&st.svc, &s.actor, id, u)
            .await
            .map(|(d, _)| d),
        Err(e) => Err(e),
    };
    let page = format!("/console/clues/{id}");
    super::cases::answer(r, &page, "attached", |e| {
        detail_page(&st, &s, id, "", Some(e))
    })
    .await
}

/// 转办: the clue leaves the office's view, so the answer is the list with a notice.
pub async fn transfer(x: CaseStep) -> Result<Response, ConsoleError> {
    let r = clues::oversight::transfer(
        &x.st.svc,
        &x.s.actor,
        x.id,
        &x.f.get("region_code"),
        &x.f.get("reason"),
    )
    .await;
    // The clue leaves the office's view: the answer is the list with the notice.
    x.answer(r, "/console/clues", "transferred", |e| {
        detail_page(&x.st, &x.s, x.id, "", Some(e))
    })
    .await
}

pub async fn merge(x: CaseStep) -> Result<Response, ConsoleError> {
    let (into, reason) = (x.f.get("into"), x.f.get("reason"));
    let r = clues::oversight::merge(&x.st.svc, &x.s.actor, x.id, &into, &reason).await;
    step(&x, "merged", r).await
}

pub async fn revisit(x: CaseStep) -> Result<Response, ConsoleError> {
    let r = clues::oversight::revisit(
        &x.st.svc,
        &x.s.actor,
        x.id,
        &x.f.get("satisfaction"),
        &x.f.get("reason"),
    )
    .await;
    step(&x, "revisited", r).await
}

pub async fn join_visit(x: CaseStep) -> Result<Response, ConsoleError> {
    let raw = x.f.get("visit_id");
    let r = match picked_id(
        "visit_id",
        raw.trim(),
        "请选择要并入的检查",
        "choose a visit",
    ) {
        Ok(v) => clues::joint::join_visit(&x.st.svc, &x.s.actor, x.id, v).await,
        Err(e) => Err(e),
    };
    step(&x, "joined", r).await
}

pub async fn verify(x: CaseStep) -> Result<Response, ConsoleError> {
    let f = &x.f;
    let input = clues::joint::VerifyInput {
        inspector_ids: f
            .all("inspector_ids")
            .iter()
            .filter_map(|s| s.trim().parse().ok())
            .collect(),
        period_start: f.get("period_start"),
        period_end: f.get("period_end"),
    };
    let r = clues::joint::verify(&x.st.svc, &x.s.actor, x.id, &input).await;
    step(&x, "verifying", r).await
}

pub async fn reassign(x: CaseStep) -> Result<Response, ConsoleError> {
    let r = match department_field(&x.f) {
        Ok(d) => clues::reassign(&x.st.svc, &x.s.actor, x.id, d, &x.f.get("reason")).await,
        Err(e) => Err(e),
    };
    step(&x, "reassigned", r).await
}

pub async fn sign(x: CaseStep) -> Result<Response, ConsoleError> {
    let r = clues::sign(&x.st.svc, &x.s.actor, x.id).await;
    step(&x, "signed", r).await
}

pub async fn return_clue(x: CaseStep) -> Result<Response, ConsoleError> {
    let r = clues::return_clue(&x.st.svc, &x.s.actor, x.id, &x.f.get("reason")).await;
    step(&x, "returned", r).await
}

pub async fn extension(x: CaseStep) -> Result<Response, ConsoleError> {
    let r = match x.f.get("days").trim().parse::<i64>() {
        Ok(n) => clues::request_extension(&x.st.svc, &x.s.actor, x.id, n, &x.f.get("reason")).await,
        Err(_) => Err(ServiceError::field(
            "days",
            lianjian_domain::Invalid::new("required", "请填写延期工作日数", "give the days"),
        )),
    };
    step(&x, "extension", r).await
}

pub async fn decide_extension(x: CaseStep) -> Result<Response, ConsoleError> {
    let approve = x.f.get("verdict") == "approve";
    let reason = x.f.get("reason");
    let r = clues::decide_extension(&x.st.svc, &x.s.actor, x.id, approve, &reason).await;
    step(&x, "decided", r).await
}

pub async fn finish(x: CaseStep) -> Result<Response, ConsoleError> {
    let (result, finding) = (x.f.get("result"), x.f.get("finding"));
    let r = clues::finish(&x.st.svc, &x.s.actor, x.id, &result, &finding).await;
    step(&x, "finished", r).await
}
