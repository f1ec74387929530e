//! 执法检查人员库: the pool list with search, filters, sort and export; a member's page with
//! qualifications, declared conflicts of interest (回避), linked account and history; the
//! member form. Withdrawing a conflict and marking someone as left ask first.

use std::collections::BTreeMap;

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use lianjian_domain::account::Role;
use lianjian_domain::inspector::{InspectorKind, InspectorStatus};
use lianjian_services::accounts::SessionAuth;
use lianjian_services::inspectors::{self, InspectorDetail, InspectorInput};
use lianjian_services::inspectors::{Inspector, InspectorSort};
use lianjian_services::{PageRequest, ServiceError, Services};
use uuid::Uuid;

use super::directory::options;
use super::fields::{FormData, errors_of};
use super::{
    Chrome, ConsoleError, CsrfForm, Pager, PathId, form_errors, local, parse_id, render, see_other,
};
use crate::AppState;
use crate::api::inspectors::inspector_query;
use crate::api::params::Params;
use crate::extract::Console;

/// Roles that maintain the pool (within their scope; the service decides each record).
fn may_edit(s: &SessionAuth) -> bool {
    lianjian_services::inspectors::may_add_members(&s.actor)
}

fn notice(key: &str) -> Option<String> {
    Some(
        match key {
            "created" => "已加入检查人员库。",
            "saved" => "已保存。",
            "status" => "状态已更新。只有在岗人员会被抽取。",
            "qualification" => "资格已更新。",
            "declared" => "回避申报已登记：抽取时不会派该人员检查该主体。",
            "withdrawn" => "回避申报已撤回。",
            "linked" => "已关联登录账号。",
            "unlinked" => "已解除与登录账号的关联。",
            _ => return None,
        }
        .to_string(),
    )
}

/// Departments the actor sees (for the list filter) or maintains (for the form): (id, label).
pub(crate) async fn department_options(
    svc: &Services,
    s: &SessionAuth,
    maintained: bool,
) -> Vec<(String, String)> {
    let a = &s.actor;
    let q = lianjian_services::departments::DepartmentQuery {
        status: Some(lianjian_domain::department::DepartmentStatus::Active),
        ..Default::default()
    };
    let scope = if maintained {
        a.full_scope()
    } else {
        a.scope()
    };
    let mut out = Vec::new();
    let mut page = 1;
    loop {
        let Ok(p) = lianjian_services::departments::list(
            svc,
            a,
            &q,
            PageRequest::new(Some(page), Some(PageRequest::MAX_PER_PAGE)),
        )
        .await
        else {
            break;
        };
        let n = p.items.len() as u64;
        for d in p.items {
            if scope.permits(&d.region_code, Some(&d.line)) {
                let region = crate::regions::name(svc, d.region_code.as_str()).await;
                out.push((d.id.to_string(), format!("{}（{region}）", d.name)));
            }
        }
        if n < p.per_page {
            break;
        }
        page += 1;
    }
    out
}

// ---- list ----

pub struct Row {
    id: Uuid,
    name: String,
    certificate: String,
    department: String,
    region: String,
    kind: String,
    expert: bool,
    status: String,
    status_code: String,
    qualifications: String,
    linked: String,
}

/// The list's filters as typed.
#[derive(Default)]
pub struct Filters {
    q: String,
    department: String,
    status: String,
    kind: String,
    qualification: String,
    region: String,
    sort: String,
}

impl Filters {
    fn any(&self) -> bool {
        [
            &self.q,
            &self.department,
            &self.status,
            &self.kind,
            &self.qualification,
            &self.region,
        ]
        .iter()
        .any(|v| !v.is_empty())
    }

    fn pairs(&self) -> Vec<(&'static str, &str)> {
        vec![
            ("q", &self.q),
            ("department", &self.department),
            ("status", &self.status),
            ("kind", &self.kind),
            ("qualification", &self.qualification),
            ("region", &self.region),
        ]
    }
}

#[derive(Template)]
#[template(path = "console/inspectors.html")]
struct ListPage {
    c: Chrome,
    rows: Vec<Row>,
    pager: Pager,
    f: Filters,
    /// The filters as `k=v&`, for sort links and the export.
    base_query: String,
    errors: BTreeMap<String, String>,
    departments: Vec<(String, String)>,
    statuses: Vec<(String, String)>,
    kinds: Vec<(String, String)>,
    sorts: Vec<(String, String)>,
    can_edit: bool,
    is_inspector: bool,
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
        department: p.one("department"),
        status: p.one("status"),
        kind: p.one("kind"),
        qualification: p.one("qualification"),
        region: p.one("region"),
        sort: p.one("sort"),
    };
    let mut errors = BTreeMap::new();
    let page = match inspector_query(&p) {
        Ok(query) => {
            let req = PageRequest::new(p.paging().map(|r| r.page).ok(), Some(20));
            inspectors::list(svc, &s.actor, &query, req).await?
        }
        Err(e) => {
            errors = errors_of(&e).unwrap_or_default();
            lianjian_services::Page {
                items: Vec::new(),
                total: 0,
                page: 1,
                per_page: 20,
            }
        }
    };
    let pairs = f.pairs();
    let base_query = super::query_prefix(&pairs);
    let mut with_sort = pairs.clone();
    with_sort.push(("sort", &f.sort));
    let pager = Pager::new(&page, &with_sort);
    let rows = page
        .items
        .into_iter()
        .map(|v| {
            let i = v.inspector;
            Row {
                id: i.id,
                name: i.name,
                certificate: i.certificate_number,
                department: v.department_name,
                region: i.region_code.to_string(),
                kind: i.kind.label_zh().into(),
                expert: i.kind == InspectorKind::Expert,
                status: i.status.label_zh().into(),
                status_code: i.status.as_str().into(),
                qualifications: if i.qualifications.is_empty() {
                    "—".into()
                } else {
                    i.qualifications.join("、")
                },
                linked: v.username.unwrap_or_default(),
            }
        })
        .collect();
    let mut c = Chrome::new(svc, &s, "inspectors").await;
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
        errors,
        departments: department_options(svc, &s, false).await,
        statuses: options(
            InspectorStatus::ALL,
            InspectorStatus::as_str,
            InspectorStatus::label_zh,
        ),
        kinds: options(
            InspectorKind::ALL,
            InspectorKind::as_str,
            InspectorKind::label_zh,
        ),
        sorts: InspectorSort::ALL
            .iter()
            .map(|x| (x.as_str().to_string(), x.label_zh().to_string()))
            .collect(),
        can_edit: may_edit(&s),
        is_inspector: s.actor.role == Role::Inspector,
        f,
    };
    Ok((status, render(page)).into_response())
}

/// The list as xlsx, with the list page's filters, in the import layout.
pub async fn export(
    State(st): State<AppState>,
    Console(s): Console,
    Query(q): Query<Vec<(String, String)>>,
) -> Result<Response, ConsoleError> {
    let query = inspector_query(&Params(q))?;
    let b = lianjian_services::exchange::export_inspectors(&st.svc, &s.actor, &query).await?;
    Ok(super::exchange::xlsx("执法检查人员库.xlsx", b))
}

// ---- detail ----

pub struct ConflictRow {
    id: Uuid,
    usci: String,
    entity_id: Uuid,
    entity_name: String,
    reason: String,
    declared: String,
    declared_by: String,
}

pub struct EventRow {
    at: String,
    actor: String,
    action: String,
    summary: String,
}

/// What a form on the detail page sent, shown again with its errors.
#[derive(Default)]
pub struct DetailForms {
    qualification: String,
    entity: String,
    reason: String,
    user: String,
    errors: BTreeMap<String, String>,
}

#[derive(Template)]
#[template(path = "console/inspector_detail.html")]
struct DetailPage {
    c: Chrome,
    i: Inspector,
    department: String,
    region: String,
    kind: String,
    status: String,
    status_code: String,
    username: Option<String>,
    conflicts: Vec<ConflictRow>,
    timeline: Vec<EventRow>,
    statuses: Vec<(String, String)>,
    can_edit: bool,
    can_declare: bool,
    created: String,
    updated: String,
    forms: DetailForms,
}

fn action_label(action: &str) -> &str {
    match action {
        "inspector.create" => "加入人员库",
        "inspector.update" => "修改信息",
        "inspector.status" => "变更状态",
        "inspector.qualification_add" => "增加资格",
        "inspector.qualification_remove" => "移除资格",
        "inspector.conflict_declare" => "申报回避",
        "inspector.conflict_withdraw" => "撤回回避",
        "inspector.link_user" => "关联账号",
        "inspector.unlink_user" => "解除账号关联",
        "inspector.view" => "查看",
        other => other,
    }
}

/// A short summary of an entry: the status, qualifications or conflict it set.
fn summary(action: &str, before: Option<&str>, after: Option<&str>) -> String {
    let parse = |s: Option<&str>| s.and_then(|s| serde_json::from_str::<serde_json::Value>(s).ok());
    let (b, a) = (parse(before), parse(after));
    let text = |v: &Option<serde_json::Value>, key: &str| {
        v.as_ref()
            .and_then(|v| v.get(key))
            .and_then(|x| x.as_str())
            .unwrap_or_default()
            .to_string()
    };
    let quals = |v: &Option<serde_json::Value>| {
        v.as_ref()
            .and_then(|v| v.get("qualifications"))
            .and_then(|x| x.as_array())
            .map(|a| {
                a.iter()
                    .filter_map(|q| q.as_str())
                    .collect::<Vec<_>>()
                    .join("、")
            })
            .unwrap_or_default()
    };
    match action {
        "inspector.status" => {
            let label = |s: String| {
                InspectorStatus::parse(&s)
                    .map(|x| x.label_zh().to_string())
                    .unwrap_or(s)
            };
            format!(
                "{} → {}",
                label(text(&b, "status")),
                label(text(&a, "status"))
            )
        }
        "inspector.qualification_add" | "inspector.qualification_remove" => {
            format!("资格：{}", quals(&a))
        }
        "inspector.conflict_declare" => format!(
            "{}（{}）：{}",
            text(&a, "entity_name"),
            text(&a, "usci"),
            text(&a, "reason")
        ),
        "inspector.conflict_withdraw" => {
            format!("{}（{}）", text(&b, "entity_name"), text(&b, "usci"))
        }
        "inspector.create" | "inspector.update" => {
            format!("{}，资格：{}", text(&a, "name"), quals(&a))
        }
        _ => String::new(),
    }
}

async fn detail_page(
    st: &AppState,
    s: &SessionAuth,
    d: InspectorDetail,
    ok: Option<&str>,
    forms: DetailForms,
) -> Response {
    let svc = &st.svc;
    let i = d.view.inspector;
    let region = lianjian_services::regions::path_name(svc, &i.region_code)
        .await
        .unwrap_or_else(|_| i.region_code.to_string());
    let can_edit = inspectors::may_maintain(svc, &s.actor, &i)
        .await
        .unwrap_or(false);
    let own = s.actor.role == Role::Inspector && i.user_id == Some(s.actor.user_id);
    let mut c = Chrome::new(svc, s, "inspectors").await;
    c.notice = ok.and_then(notice);
    let status = if forms.errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let page = DetailPage {
        c,
        department: d.view.department_name,
        region,
        kind: i.kind.label_zh().into(),
        status: i.status.label_zh().into(),
        status_code: i.status.as_str().into(),
        username: d.view.username,
        conflicts: d
            .conflicts
            .into_iter()
            .map(|k| ConflictRow {
                id: k.id,
                usci: k.usci,
                entity_id: k.entity_id,
                entity_name: k.entity_name,
                reason: k.reason,
                declared: local(&k.declared_at),
                declared_by: k.declared_by,
            })
            .collect(),
        timeline: d
            .timeline
            .into_iter()
            .rev()
            .filter(|a| a.action != "inspector.view")
            .map(|a| EventRow {
                at: local(&a.at),
                actor: a.actor_name,
                summary: summary(&a.action, a.before.as_deref(), a.after.as_deref()),
                action: action_label(&a.action).to_string(),
            })
            .collect(),
        statuses: options(
            InspectorStatus::ALL,
            InspectorStatus::as_str,
            InspectorStatus::label_zh,
        ),
        can_edit,
        can_declare: can_edit || own,
        created: local(&i.created_at),
        updated: local(&i.updated_at),
        i,
        forms,
    };
    (status, render(page)).into_response()
}

pub async fn detail(
    State(st): State<AppState>,
    Console(s): Console,
    PathId(id): PathId,
    Query(q): Query<Vec<(String, String)>>,
) -> Result<Response, ConsoleError> {
    let d = inspectors::get(&st.svc, &s.actor, id).await?;
    Ok(detail_page(
        &st,
        &s,
        d,
        Some(Params(q).one("ok").as_str()),
        DetailForms::default(),
    )
    .await)
}

/// After a detail-page form: back to the page with a notice, or the page again with the
/// field errors next to the form that was sent.
async fn after_action<T>(
    st: &AppState,
    s: &SessionAuth,
    id: Uuid,
    r: Result<T, ServiceError>,
    ok: &str,
    forms: DetailForms,
) -> Result<Response, ConsoleError> {
    match r {
        Ok(_) => Ok(see_other(&format!("/console/inspectors/{id}?ok={ok}"))),
        Err(e) => {
            let errors = form_errors(e)?;
            let d = inspectors::get(&st.svc, &s.actor, id).await?;
            Ok(detail_page(st, s, d, None, DetailForms { errors, ..forms }).await)
        }
    }
}

pub async fn set_status(
    State(st): State<AppState>,
    Console(s): Console,
    PathId(id): PathId,
    CsrfForm(f): CsrfForm<FormData>,
) -> Result<Response, ConsoleError> {
    let r = inspectors::set_status(&st.svc, &s.actor, id, &f.get("status")).await;
    after_action(&st, &s, id, r, "status", DetailForms::default()).await
}

pub async fn add_qualification(
    State(st): State<AppState>,
    Console(s): Console,
    PathId(id): PathId,
    CsrfForm(f): CsrfForm<FormData>,
) -> Result<Response, ConsoleError> {
    let q = f.get("qualification");
    let r = inspectors::add_qualification(&st.svc, &s.actor, id, &q).await;
    let forms = DetailForms {
        qualification: q,
        ..Default::default()
    };
    after_action(&st, &s, id, r, "qualification", forms).await
}

pub async fn remove_qualification(
    State(st): State<AppState>,
    Console(s): Console,
    PathId(id): PathId,
    CsrfForm(f): CsrfForm<FormData>,
) -> Result<Response, ConsoleError> {
    let r = inspectors::remove_qualification(&st.svc, &s.actor, id, &f.get("qualification")).await;
    after_action(&st, &s, id, r, "qualification", DetailForms::default()).await
}

pub async fn declare_conflict(
    State(st): State<AppState>,
    Console(s): Console,
    PathId(id): PathId,
    CsrfForm(f): CsrfForm<FormData>,
) -> Result<Response, ConsoleError> {
    let (entity, reason) = (f.get("entity"), f.get("reason"));
    let r = inspectors::declare_conflict(&st.svc, &s.actor, id, &entity, &reason).await;
    let forms = DetailForms {
        entity,
        reason,
        ..Default::default()
    };
    after_action(&st, &s, id, r, "declared", forms).await
}

pub async fn withdraw_conflict(
    State(st): State<AppState>,
    Console(s): Console,
    Path((id, conflict_id)): Path<(String, String)>,
    _: CsrfForm,
) -> Result<Response, ConsoleError> {
    let (id, conflict_id) = (parse_id(&id)?, parse_id(&conflict_id)?);
    let r = inspectors::withdraw_conflict(&st.svc, &s.actor, id, conflict_id).await;
    after_action(&st, &s, id, r, "withdrawn", DetailForms::default()).await
}

pub async fn link_user(
    State(st): State<AppState>,
    Console(s): Console,
    PathId(id): PathId,
    CsrfForm(f): CsrfForm<FormData>,
) -> Result<Response, ConsoleError> {
    let user = f.get("user");
    let r = inspectors::link_user(&st.svc, &s.actor, id, &user).await;
    let forms = DetailForms {
        user,
        ..Default::default()
    };
    after_action(&st, &s, id, r, "linked", forms).await
}

pub async fn unlink_user(
    State(st): State<AppState>,
    Console(s): Console,
    PathId(id): PathId,
    _: CsrfForm,
) -> Result<Response, ConsoleError> {
    let r = inspectors::unlink_user(&st.svc, &s.actor, id).await;
    after_action(&st, &s, id, r, "unlinked", DetailForms::default()).await
}

// ---- form ----

pub struct MemberForm {
    name: String,
    certificate_number: String,
    department_id: String,
    region_code: String,
    kind: String,
    status: String,
    phone: String,
    qualifications: String,
}

impl MemberForm {
    fn from_post(f: &FormData) -> Self {
        MemberForm {
            name: f.get("name"),
            certificate_number: f.get("certificate_number"),
            department_id: f.get("department_id"),
            region_code: f.get("region_code"),
            kind: f.get("kind"),
            status: f.get("status"),
            phone: f.get("phone"),
            qualifications: f.get("qualifications"),
        }
    }

    fn of(i: &Inspector) -> Self {
        MemberForm {
            name: i.name.clone(),
            certificate_number: i.certificate_number.clone(),
            department_id: i.department_id.to_string(),
            region_code: i.region_code.to_string(),
            kind: i.kind.as_str().into(),
            status: i.status.as_str().into(),
            phone: i.phone.clone().unwrap_or_default(),
            qualifications: i.qualifications.join("、"),
        }
    }

    fn input(&self) -> InspectorInput {
        InspectorInput {
            name: self.name.clone(),
            certificate_number: self.certificate_number.clone(),
            department_id: self.department_id.clone(),
            region_code: self.region_code.clone(),
            kind: self.kind.clone(),
            status: self.status.clone(),
            phone: self.phone.clone(),
            qualifications: self.qualifications.clone(),
            qualification_list: None,
        }
    }
}

#[derive(Template)]
#[template(path = "console/inspector_form.html")]
struct FormPage {
    c: Chrome,
    title: String,
    action: String,
    cancel: String,
    /// Status is set on creation; later by the buttons of the member's page.
    creating: bool,
    f: MemberForm,
    errors: BTreeMap<String, String>,
    departments: Vec<(String, String)>,
    kinds: Vec<(String, String)>,
    statuses: Vec<(String, String)>,
}

async fn form_page(
    st: &AppState,
    s: &SessionAuth,
    member: Option<&Inspector>,
    f: MemberForm,
    errors: BTreeMap<String, String>,
) -> Response {
    let svc = &st.svc;
    let c = Chrome::new(svc, s, "inspectors").await;
    let (title, action, cancel) = match member {
        Some(i) => (
            format!("编辑 {}（{}）", i.name, i.certificate_number),
            format!("/console/inspectors/{}", i.id),
            format!("/console/inspectors/{}", i.id),
        ),
        None => (
            "新增检查人员".to_string(),
            "/console/inspectors".to_string(),
            "/console/inspectors".to_string(),
        ),
    };
    let mut departments = department_options(svc, s, true).await;
    if let Ok(id) = Uuid::parse_str(&f.department_id)
        && !departments.iter().any(|(k, _)| *k == f.department_id)
    {
        for (id, name) in crate::api::entities::department_names(svc, vec![id]).await {
            departments.push((id.to_string(), name));
        }
    }
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let page = FormPage {
        c,
        title,
        action,
        cancel,
        creating: member.is_none(),
        f,
        errors,
        departments,
        kinds: options(
            InspectorKind::ALL,
            InspectorKind::as_str,
            InspectorKind::label_zh,
        ),
        statuses: options(
            InspectorStatus::ALL,
            InspectorStatus::as_str,
            InspectorStatus::label_zh,
        ),
    };
    (status, render(page)).into_response()
}

pub async fn new_form(
    State(st): State<AppState>,
    Console(s): Console,
) -> Result<Response, ConsoleError> {
    if !may_edit(&s) {
        return Err(ConsoleError::forbidden());
    }
    let f = MemberForm {
        name: String::new(),
        certificate_number: String::new(),
        department_id: if s.actor.role == Role::DepartmentAdmin {
            s.actor.department_id.to_string()
        } else {
            String::new()
        },
        region_code: String::new(),
        kind: InspectorKind::Officer.as_str().into(),
        status: InspectorStatus::Active.as_str().into(),
        phone: String::new(),
        qualifications: String::new(),
    };
    Ok(form_page(&st, &s, None, f, BTreeMap::new()).await)
}

pub async fn create(
    State(st): State<AppState>,
    Console(s): Console,
    CsrfForm(f): CsrfForm<FormData>,
) -> Result<Response, ConsoleError> {
    let form = MemberForm::from_post(&f);
    match inspectors::create(&st.svc, &s.actor, &form.input()).await {
        Ok(i) => Ok(see_other(&format!(
            "/console/inspectors/{}?ok=created",
            i.id
        ))),
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
    let i = inspectors::get(&st.svc, &s.actor, id).await?.view.inspector;
    if !inspectors::may_maintain(&st.svc, &s.actor, &i).await? {
        return Err(ConsoleError::forbidden());
    }
    Ok(form_page(&st, &s, Some(&i), MemberForm::of(&i), BTreeMap::new()).await)
}

pub async fn update(
    State(st): State<AppState>,
    Console(s): Console,
    PathId(id): PathId,
    CsrfForm(f): CsrfForm<FormData>,
) -> Result<Response, ConsoleError> {
    let form = MemberForm::from_post(&f);
    match inspectors::update(&st.svc, &s.actor, id, &form.input()).await {
        Ok(_) => Ok(see_other(&format!("/console/inspectors/{id}?ok=saved"))),
        Err(e) => {
            let errs = form_errors(e)?;
            let d = inspectors::get(&st.svc, &s.actor, id).await?;
            Ok(form_page(&st, &s, Some(&d.view.inspector), form, errs).await)
        }
    }
}
