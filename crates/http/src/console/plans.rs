//! 年度抽查计划: the list with filters, search, sort and paging; the plan page (item, object
//! definition and narrowing, ratios per credit class with the usual bands, cooldown,
//! qualifications, departments, status history from the audit log, one button per move the
//! user may make); the form; and the coordination office's aggregated annual plan with its
//! xlsx download.

use std::collections::BTreeMap;

use askama::Template;
use axum::extract::{Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use lianjian_domain::item::DepartmentRole;
use lianjian_domain::plan::{self as rules, PlanAction, PlanStatus, RatioClass};
use lianjian_services::accounts::SessionAuth;
use lianjian_services::items::Item;
use lianjian_services::plans::Plan;
use lianjian_services::plans::{self, PlanInput};
use lianjian_services::{Page, PageRequest, ServiceError};
use uuid::Uuid;

use super::directory::{options, tag_options};
use super::fields::{FormData, errors_of};
use super::{
    Chrome, ConsoleError, CsrfForm, Pager, PathId, form_errors, local, local_opt, render, see_other,
};
use crate::AppState;
use crate::api::params::Params;
use crate::api::plans::{PlanNames, plan_query};
use crate::extract::Console;

fn may_file(s: &SessionAuth) -> bool {
    plans::may_file(&s.actor)
}

fn sees_annual(s: &SessionAuth) -> bool {
    plans::may_see_annual(&s.actor)
}

fn notice(key: &str) -> Option<String> {
    Some(
        match key {
            "created" => "计划已保存为草稿。核对无误后请报送联席办审核。",
            "saved" => "已保存。",
            "submitted" => "计划已报送，等待联席办审核。",
            "returned" => "计划已退回牵头部门修改。",
            "approved" => "计划已审核通过，可以公布。",
            "published" => "计划已公布，并在信息公开网站“抽查计划公告”中公示。",
            _ => return None,
        }
        .to_string(),
    )
}

fn this_year() -> String {
    crate::api::params::today()[..4].to_string()
}

fn status_class(s: PlanStatus) -> &'static str {
    match s {
        PlanStatus::Published | PlanStatus::InProgress | PlanStatus::Completed => "ok",
        PlanStatus::Submitted | PlanStatus::Approved => "",
        PlanStatus::Draft => "off",
    }
}

fn day(t: &Option<chrono::DateTime<chrono::Utc>>) -> String {
    t.as_ref()
        .map(|t| local(t)[..10].to_string())
        .unwrap_or_else(|| "—".into())
}

// ---- list ----

pub struct Row {
    id: Uuid,
    code: String,
    item: String,
    lead: String,
    year: i32,
    period: String,
    region: String,
    status: String,
    status_class: &'static str,
    submitted: String,
    late: bool,
}

fn row(p: Plan, n: &PlanNames) -> Row {
    Row {
        id: p.id,
        item: n
            .items
            .get(&p.item_id)
            .map(|i| i.name.clone())
            .unwrap_or_default(),
        lead: n.department(p.lead_department_id().unwrap_or_default()),
        year: p.year,
        period: format!("{} 至 {}", p.period_start, p.period_end),
        region: p.region_code.to_string(),
        status: p.status.label_zh().into(),
        status_class: status_class(p.status),
        submitted: day(&p.submitted_at),
        late: p.late,
        code: p.code,
    }
}

pub struct Filters {
    q: String,
    year: String,
    status: String,
    late: String,
    sort: String,
}

impl Filters {
    fn pairs(&self) -> Vec<(&'static str, &str)> {
        vec![
            ("q", &self.q),
            ("year", &self.year),
            ("status", &self.status),
            ("late", &self.late),
        ]
    }

    fn any(&self) -> bool {
        self.pairs().iter().any(|(_, v)| !v.is_empty())
    }
}

#[derive(Template)]
#[template(path = "console/plans.html")]
struct ListPage {
    c: Chrome,
    rows: Vec<Row>,
    pager: Pager,
    f: Filters,
    /// Filters as `k=v&` without sort and page, for the column links.
    base_query: String,
    errors: BTreeMap<String, String>,
    statuses: Vec<(String, String)>,
    can_file: bool,
    sees_annual: bool,
}

impl ListPage {
    fn sort_mark(&self, col: &str) -> &'static str {
        let current = if self.f.sort.is_empty() {
            "year"
        } else {
            self.f.sort.as_str()
        };
        match (current == col, col) {
            (false, _) => "",
            (true, "year" | "submitted" | "updated") => " ▼",
            (true, _) => " ▲",
        }
    }
}

fn empty_page<T>() -> Page<T> {
    Page {
        items: Vec::new(),
        total: 0,
        page: 1,
        per_page: 20,
    }
}

pub async fn list(
    State(st): State<AppState>,
    Console(s): Console,
    Query(q): Query<Vec<(String, String)>>,
) -> Result<Response, ConsoleError> {
    let svc = &st.svc;
    let p = Params(q);
    let f = Filters {
        q: p.one("q"),
        year: p.one("year"),
        status: p.one("status"),
        late: if p.one("late").is_empty() {
            String::new()
        } else {
            "true".into()
        },
        sort: p.one("sort"),
    };
    let mut errors = BTreeMap::new();
    let page = match plan_query(svc, &p).await {
        Ok(query) => {
            let req = PageRequest::new(p.paging().map(|r| r.page).ok(), Some(20));
            plans::list(svc, &s.actor, query, req).await?
        }
        Err(e) => {
            errors = errors_of(&e).unwrap_or_default();
            empty_page()
        }
    };
    let mut filters = f.pairs();
    let base_query = super::query_prefix(&filters);
    filters.push(("sort", &f.sort));
    let pager = Pager::new(&page, &filters);
    let names = PlanNames::load(svc, &page.items.iter().collect::<Vec<_>>()).await;
    let rows = page.items.into_iter().map(|p| row(p, &names)).collect();
    let mut c = Chrome::new(svc, &s, "plans").await;
    c.notice = notice(&p.one("ok"));
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let page = ListPage {
        c,
        rows,
        pager,
        base_query,
        f,
        errors,
        statuses: options(PlanStatus::ALL, PlanStatus::as_str, PlanStatus::label_zh),
        can_file: may_file(&s),
        sees_annual: sees_annual(&s),
    };
    Ok((status, render(page)).into_response())
}

// ---- detail ----

pub struct RatioRow {
    label: &'static str,
    ratio: String,
    band: &'static str,
    /// Outside the usual band (shown, not refused).
    unusual: bool,
}

pub struct HistoryRow {
    at: String,
    actor: String,
    action: String,
    note: String,
}

fn action_label(action: &str) -> &'static str {
    match action {
        "plan.create" => "创建",
        "plan.update" => "修改",
        "plan.submit" => "报送",
        "plan.return" => "退回",
        "plan.approve" => "审核通过",
        "plan.publish" => "公布",
        "plan.start" => "开始实施（抽取）",
        "plan.complete" => "完成",
        _ => "其他",
    }
}

#[derive(Template)]
#[template(path = "console/plan_detail.html")]
struct DetailPage {
    c: Chrome,
    id: Uuid,
    code: String,
    item_id: Uuid,
    item_code: String,
    item_name: String,
    item_category: String,
    item_version: i32,
    object_description: String,
    object_expr: String,
    narrowing_expr: String,
    year: i32,
    period: String,
    region: String,
    status: String,
    status_code: String,
    status_class: &'static str,
    late: bool,
    return_reason: String,
    submitted: String,
    approved: String,
    published: String,
    created: String,
    ratios: Vec<RatioRow>,
    cooldown_months: u8,
    inspectors_per_visit: u8,
    expert_count: u8,
    risk_weighted: bool,
    /// 随机对照比例 as shown, e.g. "10%".
    control_share: String,
    qualifications: String,
    lead: String,
    cooperating: Vec<String>,
    history: Vec<HistoryRow>,
    can_edit: bool,
    /// (action code, label, confirmation)
    actions: Vec<(&'static str, &'static str, String)>,
    can_return: bool,
    reason: String,
    errors: BTreeMap<String, String>,
}

async fn detail_page(
    st: &AppState,
    s: &SessionAuth,
    p: Plan,
    notice_key: &str,
    errors: BTreeMap<String, String>,
    reason: String,
) -> Response {
    let svc = &st.svc;
    let names = PlanNames::load(svc, &[&p]).await;
    let item: Option<&Item> = names.items.get(&p.item_id);
    let (allowed, can_edit) = plans::allowed(svc, &s.actor, &p).await.unwrap_or_default();
    let history = plans::history(svc, &s.actor, p.id)
        .await
        .unwrap_or_default()
        .into_iter()
        .map(|e| {
            let after: Option<serde_json::Value> = e
                .after
                .as_deref()
                .and_then(|a| serde_json::from_str(a).ok());
            let note = match e.action.as_str() {
                "plan.return" => after
                    .as_ref()
                    .and_then(|a| a["return_reason"].as_str())
                    .map(|r| format!("退回原因：{r}"))
                    .unwrap_or_default(),
                "plan.submit" if after.as_ref().is_some_and(|a| a["late"] == true) => {
                    "3 月 31 日后报送（逾期）".into()
                }
                _ => String::new(),
            };
            HistoryRow {
                at: local(&e.at),
                actor: e.actor_name,
                action: action_label(&e.action).into(),
                note,
            }
        })
        .collect();
    let region = lianjian_services::regions::path_name(svc, &p.region_code)
        .await
        .unwrap_or_else(|_| p.region_code.to_string());
    let ratios = RatioClass::ALL
        .iter()
        .map(|c| {
            let r = p.ratios.get(*c);
            RatioRow {
                label: c.label_zh(),
                ratio: r.to_string(),
                band: c.band_zh(),
                unusual: c
                    .band()
                    .is_some_and(|(lo, hi)| r.per_mille() < lo || r.per_mille() > hi),
            }
        })
        .collect();
    let name = item.map(|i| i.name.clone()).unwrap_or_default();
    let actions = allowed
        .iter()
        .filter(|a| **a != PlanAction::Return)
        .map(|a| {
            let (code, confirm) = match a {
                PlanAction::Submit => (
                    "submit",
                    format!("确定将计划 {} 报送联席办审核？报送后不能再修改，除非被退回。", p.code),
                ),
                PlanAction::Approve => (
                    "approve",
                    format!("确定审核通过计划 {}？", p.code),
                ),
                PlanAction::Publish => (
                    "publish",
                    format!(
                        "确定公布计划 {}？公布后将在信息公开网站“抽查计划公告”中公示，并可用于双随机抽取。",
                        p.code
                    ),
                ),
                _ => ("", String::new()),
            };
            (code, a.label_zh(), confirm)
        })
        .filter(|(code, _, _)| !code.is_empty())
        .collect();
    let mut c = Chrome::new(svc, s, "plans").await;
    c.notice = notice(notice_key);
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let page = DetailPage {
        c,
        id: p.id,
        item_id: p.item_id,
        item_code: item.map(|i| i.code.clone()).unwrap_or_default(),
        item_name: name,
        item_category: item
            .map(|i| i.category.label_zh())
            .unwrap_or_default()
            .into(),
        item_version: p.item_version,
        object_description: item
            .map(|i| i.object_description.clone())
            .unwrap_or_default(),
        object_expr: item.map(|i| i.object_expr.clone()).unwrap_or_default(),
        narrowing_expr: p.narrowing_expr.clone().unwrap_or_default(),
        year: p.year,
        period: format!("{} 至 {}", p.period_start, p.period_end),
        region,
        status: p.status.label_zh().into(),
        status_code: p.status.as_str().into(),
        status_class: status_class(p.status),
        late: p.late,
        return_reason: p.return_reason.clone().unwrap_or_default(),
        submitted: local_opt(&p.submitted_at),
        approved: local_opt(&p.approved_at),
        published: local_opt(&p.published_at),
        created: format!("{}（{}）", local(&p.created_at), p.created_by),
        ratios,
        cooldown_months: p.cooldown_months,
        inspectors_per_visit: p.inspectors_per_visit,
        expert_count: p.expert_count,
        risk_weighted: p.risk_weighted,
        control_share: format!("{}%", p.control_share.percent_text()),
        qualifications: if p.qualifications.is_empty() {
            "—".into()
        } else {
            p.qualifications.join("、")
        },
        lead: names.department(p.lead_department_id().unwrap_or_default()),
        cooperating: p
            .cooperating_ids()
            .into_iter()
            .map(|d| names.department(d))
            .collect(),
        history,
        can_edit,
        actions,
        can_return: allowed.contains(&PlanAction::Return),
        reason,
        errors,
        code: p.code,
    };
    (status, render(page)).into_response()
}

pub async fn detail(
    State(st): State<AppState>,
    Console(s): Console,
    PathId(id): PathId,
    Query(q): Query<Vec<(String, String)>>,
) -> Result<Response, ConsoleError> {
    let p = plans::get(&st.svc, &s.actor, id).await?;
    Ok(detail_page(
        &st,
        &s,
        p,
        &Params(q).one("ok"),
        BTreeMap::new(),
        String::new(),
    )
    .await)
}

async fn transition(
    st: AppState,
    s: SessionAuth,
    id: Uuid,
    f: FormData,
    action: PlanAction,
) -> Result<Response, ConsoleError> {
    let svc = &st.svc;
    let a = &s.actor;
    let reason = f.get("reason");
    let (r, ok) = match action {
        PlanAction::Submit => (plans::submit(svc, a, id).await, "submitted"),
        PlanAction::Return => (plans::return_plan(svc, a, id, &reason).await, "returned"),
        PlanAction::Approve => (plans::approve(svc, a, id).await, "approved"),
        PlanAction::Publish => (plans::publish(svc, a, id).await, "published"),
        PlanAction::Start | PlanAction::Complete => (Err(ServiceError::Forbidden), ""),
    };
    match r {
        Ok(_) => Ok(see_other(&format!("/console/plans/{id}?ok={ok}"))),
        Err(e) => match (errors_of(&e), plans::get(svc, a, id).await) {
            // A missing reason, or a move no longer possible: say so on the plan's page.
            (Some(errs), Ok(p)) => Ok(detail_page(&st, &s, p, "", errs, reason).await),
            _ => Err(e.into()),
        },
    }
}

pub async fn submit(
    State(st): State<AppState>,
    Console(s): Console,
    PathId(id): PathId,
    CsrfForm(f): CsrfForm<FormData>,
) -> Result<Response, ConsoleError> {
    transition(st, s, id, f, PlanAction::Submit).await
}

pub async fn return_plan(
    State(st): State<AppState>,
    Console(s): Console,
    PathId(id): PathId,
    CsrfForm(f): CsrfForm<FormData>,
) -> Result<Response, ConsoleError> {
    transition(st, s, id, f, PlanAction::Return).await
}

pub async fn approve(
    State(st): State<AppState>,
    Console(s): Console,
    PathId(id): PathId,
    CsrfForm(f): CsrfForm<FormData>,
) -> Result<Response, ConsoleError> {
    transition(st, s, id, f, PlanAction::Approve).await
}

pub async fn publish(
    State(st): State<AppState>,
    Console(s): Console,
    PathId(id): PathId,
    CsrfForm(f): CsrfForm<FormData>,
) -> Result<Response, ConsoleError> {
    transition(st, s, id, f, PlanAction::Publish).await
}

// ---- form ----

/// What the form holds, as typed.
pub struct PlanForm {
    item: String,
    year: String,
    period_start: String,
    period_end: String,
    region_code: String,
    narrowing_expr: String,
    ratios: [String; 5],
    cooldown_months: String,
    inspectors_per_visit: String,
    expert_count: String,
    /// Checked cooperating departments; `None` when the form did not show them (all take part).
    cooperating: Option<Vec<String>>,
    qualifications: String,
    risk_weighted: bool,
    /// 随机对照比例 (percent text), shown with risk weighting.
    control_share: String,
}

impl PlanForm {
    fn blank(item: String) -> Self {
        let y = this_year();
        PlanForm {
            item,
            period_start: format!("{y}-01-01"),
            period_end: format!("{y}-12-31"),
            year: y,
            region_code: String::new(),
            narrowing_expr: String::new(),
            ratios: Default::default(),
            cooldown_months: String::new(),
            inspectors_per_visit: String::new(),
            expert_count: String::new(),
            cooperating: None,
            qualifications: String::new(),
            risk_weighted: false,
            control_share: rules::DEFAULT_CONTROL_SHARE.percent_text(),
        }
    }

    fn from_post(f: &FormData) -> Self {
        PlanForm {
            item: f.get("item"),
            year: f.get("year"),
            period_start: f.get("period_start"),
            period_end: f.get("period_end"),
            region_code: f.get("region_code"),
            narrowing_expr: f.get("narrowing_expr"),
            ratios: RatioClass::ALL
                .iter()
                .map(|c| f.get(c.field()))
                .collect::<Vec<_>>()
                .try_into()
                .expect("five classes"),
            cooldown_months: f.get("cooldown_months"),
            inspectors_per_visit: f.get("inspectors_per_visit"),
            expert_count: f.get("expert_count"),
            cooperating: (!f.get("cooperating_sent").is_empty()).then(|| f.all("cooperating")),
            qualifications: f.get("qualifications"),
            risk_weighted: !f.get("risk_weighted").is_empty(),
            control_share: f.get("control_share"),
        }
    }

    fn of_input(i: PlanInput) -> Self {
        PlanForm {
            item: i.item,
            year: i.year,
            period_start: i.period_start,
            period_end: i.period_end,
            region_code: i.region_code,
            narrowing_expr: i.narrowing_expr,
            ratios: [i.ratio_a, i.ratio_b, i.ratio_c, i.ratio_d, i.ratio_ungraded],
            cooldown_months: i.cooldown_months,
            inspectors_per_visit: i.inspectors_per_visit,
            expert_count: i.expert_count,
            cooperating: i.cooperating,
            qualifications: i.qualifications,
            risk_weighted: i.risk_weighted,
            control_share: if i.control_share.is_empty() {
                rules::DEFAULT_CONTROL_SHARE.percent_text()
            } else {
                i.control_share
            },
        }
    }

    fn input(&self) -> PlanInput {
        let [a, b, c, d, u] = self.ratios.clone();
        PlanInput {
            item: self.item.clone(),
            year: self.year.clone(),
            period_start: self.period_start.clone(),
            period_end: self.period_end.clone(),
            region_code: self.region_code.clone(),
            narrowing_expr: self.narrowing_expr.clone(),
            ratio_a: a,
            ratio_b: b,
            ratio_c: c,
            ratio_d: d,
            ratio_ungraded: u,
            cooldown_months: self.cooldown_months.clone(),
            inspectors_per_visit: self.inspectors_per_visit.clone(),
            expert_count: self.expert_count.clone(),
            cooperating: self.cooperating.clone(),
            qualifications: self.qualifications.clone(),
            risk_weighted: self.risk_weighted,
            // Only a weighted plan has one: the field is hidden and ignored otherwise.
            control_share: if self.risk_weighted {
                self.control_share.clone()
            } else {
                String::new()
            },
        }
    }

    fn item_is(&self, id: &str, code: &str) -> bool {
        self.item == id || self.item.eq_ignore_ascii_case(code)
    }
}

pub struct RatioField {
    field: &'static str,
    label: &'static str,
    band: &'static str,
    value: String,
    default: String,
}

#[derive(Template)]
#[template(path = "console/plan_form.html")]
struct FormPage {
    c: Chrome,
    title: String,
    action: String,
    cancel: String,
    /// Editing: the item is fixed.
    editing: bool,
    f: PlanForm,
    /// The chosen item, when known: (id, code, name, object description, object expression).
    item: Option<(String, String, String, String, String)>,
    /// (id, label) of fileable items, for the picker.
    items: Vec<(String, String, String)>,
    /// The item's cooperating departments: (id, name, checked).
    cooperating: Vec<(String, String, bool)>,
    ratios: Vec<RatioField>,
    tag_codes: Vec<(String, String)>,
    errors: BTreeMap<String, String>,
}

impl FormPage {
    fn error(&self, field: &str) -> Option<&String> {
        self.errors.get(field)
    }
}

async fn form_page(
    st: &AppState,
    s: &SessionAuth,
    plan: Option<&Plan>,
    f: PlanForm,
    errors: BTreeMap<String, String>,
) -> Response {
    let svc = &st.svc;
    let fileable = plans::fileable_items(svc, &s.actor)
        .await
        .unwrap_or_default();
    // The chosen item: among the fileable ones, or (editing) the plan's own.
    let mut chosen: Option<Item> = fileable
        .iter()
        .find(|i| f.item_is(&i.id.to_string(), &i.code))
        .cloned();
    if let Some(p) = plan
        && chosen.is_none()
    {
        chosen = lianjian_services::items::get(svc, p.item_id).await.ok();
    }
    let full = match &chosen {
        Some(i) => lianjian_services::items::get(svc, i.id).await.ok(),
        None => None,
    };
    let defaults = lianjian_domain::plan::ClassRatios::defaults(
        full.as_ref()
            .map_or(lianjian_domain::item::ItemCategory::General, |i| i.category),
    );
    let coop_ids: Vec<Uuid> = full
        .as_ref()
        .map(|i| {
            i.departments
                .iter()
                .filter(|d| d.role == DepartmentRole::Cooperating)
                .map(|d| d.department_id)
                .collect()
        })
        .unwrap_or_default();
    let names = crate::api::entities::department_names(svc, coop_ids.clone()).await;
    let cooperating = coop_ids
        .iter()
        .map(|id| {
            let k = id.to_string();
            let checked = f.cooperating.as_ref().is_none_or(|c| c.contains(&k));
            (k, names.get(id).cloned().unwrap_or_default(), checked)
        })
        .collect();
    let ratios = RatioClass::ALL
        .iter()
        .enumerate()
        .map(|(i, c)| RatioField {
            field: c.field(),
            label: c.label_zh(),
            band: c.band_zh(),
            value: f.ratios[i].clone(),
            default: defaults.get(*c).percent_text(),
        })
        .collect();
    let (title, action, cancel) = match plan {
        Some(p) => (
            format!("编辑抽查计划 {}", p.code),
            format!("/console/plans/{}", p.id),
            format!("/console/plans/{}", p.id),
        ),
        None => (
            "新建年度抽查计划".to_string(),
            "/console/plans".to_string(),
            "/console/plans".to_string(),
        ),
    };
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let page = FormPage {
        c: Chrome::new(svc, s, "plans").await,
        title,
        action,
        cancel,
        editing: plan.is_some(),
        item: full.as_ref().map(|i| {
            (
                i.id.to_string(),
                i.code.clone(),
                i.name.clone(),
                i.object_description.clone(),
                i.object_expr.clone(),
            )
        }),
        items: fileable
            .iter()
            .map(|i| {
                (
                    i.id.to_string(),
                    i.code.clone(),
                    format!("{} {}", i.code, i.name),
                )
            })
            .collect(),
        cooperating,
        ratios,
        tag_codes: tag_options(svc).await,
        errors,
        f,
    };
    (status, render(page)).into_response()
}

pub async fn new_form(
    State(st): State<AppState>,
    Console(s): Console,
    Query(q): Query<Vec<(String, String)>>,
) -> Result<Response, ConsoleError> {
    if !may_file(&s) {
        return Err(ConsoleError::forbidden());
    }
    let f = PlanForm::blank(Params(q).one("item"));
    Ok(form_page(&st, &s, None, f, BTreeMap::new()).await)
}

pub async fn create(
    State(st): State<AppState>,
    Console(s): Console,
    CsrfForm(f): CsrfForm<FormData>,
) -> Result<Response, ConsoleError> {
    let form = PlanForm::from_post(&f);
    match plans::create(&st.svc, &s.actor, &form.input()).await {
        Ok(p) => Ok(see_other(&format!("/console/plans/{}?ok=created", p.id))),
        Err(e) => {
            let errs = form_errors(e)?;
            Ok(form_page(&st, &s, None, form, errs).await)
        }
    }
}

pub async fn edit_form(
    State(st): State<AppState>,
    Console(s): Console,
    PathId(id): PathId,
) -> Result<Response, ConsoleError> {
    let p = plans::get(&st.svc, &s.actor, id).await?;
    match plans::allowed(&st.svc, &s.actor, &p).await {
        Ok((_, true)) => {}
        Ok(_) if p.status != PlanStatus::Draft => {
            return Err(ConsoleError::from(ServiceError::field(
                "status",
                lianjian_domain::plan::ensure_editable(p.status).unwrap_err(),
            )));
        }
        Ok(_) => return Err(ConsoleError::forbidden()),
        Err(e) => return Err(e.into()),
    }
    let f = PlanForm::of_input(PlanInput::of_plan(&p, &p.item_id.to_string()));
    Ok(form_page(&st, &s, Some(&p), f, BTreeMap::new()).await)
}

pub async fn update(
    State(st): State<AppState>,
    Console(s): Console,
    PathId(id): PathId,
    CsrfForm(f): CsrfForm<FormData>,
) -> Result<Response, ConsoleError> {
    let p = plans::get(&st.svc, &s.actor, id).await?;
    let mut form = PlanForm::from_post(&f);
    form.item = p.item_id.to_string();
    match plans::update(&st.svc, &s.actor, id, &form.input()).await {
        Ok(_) => Ok(see_other(&format!("/console/plans/{id}?ok=saved"))),
        Err(e) => {
            let errs = form_errors(e)?;
            Ok(form_page(&st, &s, Some(&p), form, errs).await)
        }
    }
}

// ---- the annual plan of a level ----

pub struct AnnualRowView {
    id: Uuid,
    n: usize,
    code: String,
    item: String,
    category: String,
    lead: String,
    cooperating: String,
    region: String,
    period: String,
    ratios: Vec<String>,
    status: String,
    status_class: &'static str,
    submitted: String,
    late: bool,
}

#[derive(Template)]
#[template(path = "console/plans_annual.html")]
struct AnnualPage {
    c: Chrome,
    year: String,
    region: String,
    region_name: String,
    rows: Vec<AnnualRowView>,
    counts: Vec<(String, u64)>,
    total: usize,
    late: u64,
    errors: BTreeMap<String, String>,
    export: String,
}

pub async fn annual(
    State(st): State<AppState>,
    Console(s): Console,
    Query(q): Query<Vec<(String, String)>>,
) -> Result<Response, ConsoleError> {
    let svc = &st.svc;
    let p = Params(q);
    let year = Some(p.one("year"))
        .filter(|y| !y.is_empty())
        .unwrap_or_else(this_year);
    let region = p.one("region");
    let c = Chrome::new(svc, &s, "plans").await;
    let export = format!(
        "/console/plans/annual/export?year={}{}",
        crate::extract::urlencode(&year),
        if region.is_empty() {
            String::new()
        } else {
            format!("&region={}", crate::extract::urlencode(&region))
        }
    );
    match plans::annual(svc, &s.actor, &year, &region).await {
        Ok(a) => {
            let rows: Vec<AnnualRowView> = a
                .rows
                .into_iter()
                .enumerate()
                .map(|(i, r)| {
                    let p = r.plan;
                    AnnualRowView {
                        id: p.id,
                        n: i + 1,
                        item: r.item_name,
                        category: r.item_category.label_zh().into(),
                        lead: r.lead_department,
                        cooperating: if r.cooperating_departments.is_empty() {
                            "—".into()
                        } else {
                            r.cooperating_departments.join("、")
                        },
                        region: r.region_name,
                        period: format!("{} 至 {}", p.period_start, p.period_end),
                        ratios: RatioClass::ALL
                            .iter()
                            .map(|c| p.ratios.get(*c).to_string())
                            .collect(),
                        status: p.status.label_zh().into(),
                        status_class: status_class(p.status),
                        submitted: day(&p.submitted_at),
                        late: p.late,
                        code: p.code,
                    }
                })
                .collect();
            Ok(render(AnnualPage {
                c,
                year: a.year.to_string(),
                region: a.region.to_string(),
                region_name: a.region_name,
                total: rows.len(),
                rows,
                counts: a
                    .counts
                    .iter()
                    .map(|(s, n)| (s.label_zh().to_string(), *n))
                    .collect(),
                late: a.late,
                errors: BTreeMap::new(),
                export,
            }))
        }
        Err(e) => match errors_of(&e) {
            Some(errors) => Ok((
                StatusCode::UNPROCESSABLE_ENTITY,
                render(AnnualPage {
                    c,
                    year,
                    region,
                    region_name: String::new(),
                    rows: Vec::new(),
                    counts: Vec::new(),
                    total: 0,
                    late: 0,
                    errors,
                    export,
                }),
            )
                .into_response()),
            None => Err(e.into()),
        },
    }
}

pub async fn annual_export(
    State(st): State<AppState>,
    Console(s): Console,
    Query(q): Query<Vec<(String, String)>>,
) -> Result<Response, ConsoleError> {
    let p = Params(q);
    let year = Some(p.one("year"))
        .filter(|y| !y.is_empty())
        .unwrap_or_else(this_year);
    match plans::annual_xlsx(&st.svc, &s.actor, &year, &p.one("region")).await {
        Ok(bytes) => {
            let name = crate::extract::urlencode(&format!("{year}年度抽查工作计划.xlsx"));
            Ok((
                [
                    (
                        header::CONTENT_TYPE,
                        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
                            .to_string(),
                    ),
                    (
                        header::CONTENT_DISPOSITION,
                        format!(
                            "attachment; filename=\"plans-{year}.xlsx\"; filename*=UTF-8''{name}"
                        ),
                    ),
                ],
                bytes,
            )
                .into_response())
        }
        Err(e) => Err(e.into()),
    }
}
