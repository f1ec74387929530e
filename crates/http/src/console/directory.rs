//! 监管对象名录库: search with sortable columns and paging, the entity page (licences, tags with
//! their source, covering items, 双告知 claims, timeline) and the entity form.

use std::collections::BTreeMap;

use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use lianjian_domain::directory::{CreditClass, EntityType, RegStatus};
use lianjian_domain::item::ItemStatus;
use lianjian_domain::scope::Scope;
use lianjian_services::accounts::SessionAuth;
use lianjian_services::directory::Entity;
use lianjian_services::directory::{self, EntityDetail, EntityInput, SearchInput};
use lianjian_services::items::ItemQuery;
use lianjian_services::{Page, PageRequest, Services, items, tags};
use uuid::Uuid;

use super::fields::{FormData, action_label, action_summary};
use super::{
    Chrome, ConsoleError, CsrfForm, Pager, PathId, form_errors, local, local_opt, render, see_other,
};
use crate::AppState;
use crate::api::entities::{department_names, existing_for_save, visible_entity};
use crate::api::items::county_names;
use crate::api::params::Params;
use crate::extract::Console;

/// Who may add, change and tag entities (the service decides in the end).
pub(crate) fn may_edit(s: &SessionAuth) -> bool {
    lianjian_services::directory::may_edit_entities(&s.actor)
}

fn notice(key: &str) -> Option<String> {
    Some(
        match key {
            "created" => {
                "监管对象已新增；符合打标规则的标签已自动添加，并已按标签推送主管部门（双告知）。"
            }
            "saved" => "已保存。",
            "tag_added" => "标签已添加。",
            "tag_removed" => "标签已移除。",
            _ => return None,
        }
        .to_string(),
    )
}

pub(crate) fn options<T: Copy>(
    all: &[T],
    code: impl Fn(T) -> &'static str,
    label: impl Fn(T) -> &'static str,
) -> Vec<(String, String)> {
    all.iter()
        .map(|v| (code(*v).to_string(), label(*v).to_string()))
        .collect()
}

pub(crate) fn credit_options() -> Vec<(String, String)> {
    options(CreditClass::ALL, CreditClass::as_str, CreditClass::label_zh)
}

/// Active tags for pickers, indented by level: (code, label).
pub(crate) async fn tag_options(svc: &Services) -> Vec<(String, String)> {
    let all = tags::all(svc).await.unwrap_or_default();
    super::tags::tree(&all)
        .into_iter()
        .filter(|(t, _)| t.status == "active")
        .map(|(t, depth)| {
            (
                t.code.clone(),
                format!("{}{}（{}）", "　".repeat(depth), t.name, t.code),
            )
        })
        .collect()
}

// ---- list ----

pub struct Row {
    pub(crate) id: Uuid,
    pub(crate) name: String,
    pub(crate) usci: String,
    pub(crate) entity_type: String,
    pub(crate) region: String,
    pub(crate) credit: String,
    pub(crate) reg_status: String,
    pub(crate) active: bool,
    pub(crate) updated: String,
}

pub(crate) async fn rows(svc: &Services, entities: Vec<Entity>) -> Vec<Row> {
    let codes: Vec<String> = entities.iter().map(|e| e.region_code.to_string()).collect();
    let names = county_names(svc, codes).await;
    entities
        .into_iter()
        .map(|e| Row {
            id: e.id,
            region: names
                .get(e.region_code.as_str())
                .cloned()
                .unwrap_or_else(|| e.region_code.to_string()),
            usci: e.usci,
            entity_type: e.entity_type.label_zh().into(),
            credit: e
                .credit_class
                .map_or_else(|| "未分类".to_string(), |c| format!("{} 类", c.as_str())),
            reg_status: e.reg_status.label_zh().into(),
            active: e.reg_status == RegStatus::Active,
            updated: local(&e.updated_at),
            name: e.name,
        })
        .collect()
}

pub struct Filters {
    q: String,
    usci: String,
    region: String,
    tag: String,
    credit: String,
    entity_type: String,
    reg_status: String,
    item: String,
    sort: String,
}

impl Filters {
    fn pairs(&self) -> Vec<(&'static str, &str)> {
        vec![
            ("q", &self.q),
            ("usci", &self.usci),
            ("region", &self.region),
            ("tag", &self.tag),
            ("credit", &self.credit),
            ("entity_type", &self.entity_type),
            ("reg_status", &self.reg_status),
            ("item", &self.item),
        ]
    }

    fn any(&self) -> bool {
        self.pairs().iter().any(|(_, v)| !v.is_empty())
    }
}

#[derive(Template)]
#[template(path = "console/entities.html")]
struct ListPage {
    c: Chrome,
    rows: Vec<Row>,
    pager: Pager,
    f: Filters,
    /// Filters as `k=v&` without sort and page, for the column links.
    base_query: String,
    errors: BTreeMap<String, String>,
    tag_options: Vec<(String, String)>,
    item_options: Vec<(String, String)>,
    credits: Vec<(String, String)>,
    types: Vec<(String, String)>,
    statuses: Vec<(String, String)>,
    can_edit: bool,
}

impl ListPage {
    /// The header of a sortable column: a link, marked when it is the current order.
    fn sort_mark(&self, col: &str) -> &'static str {
        // Unsorted text searches come in directory order; unsorted browsing by name.
        let current = match (
            self.f.sort.as_str(),
            self.f.q.is_empty() && self.f.usci.is_empty(),
        ) {
            ("", true) => "name",
            ("", false) => "",
            (s, _) => s,
        };
        match (current == col, col) {
            (false, _) => "",
            (true, "updated" | "credit") => " ▼",
            (true, _) => " ▲",
        }
    }
}

fn usci_prefix_error(p: &str) -> Option<String> {
    let ok = p.chars().count() >= 4
        && p.chars().all(|c| c.is_ascii_alphanumeric())
        && p.chars().any(|c| c.is_ascii_digit());
    (!ok).then(|| format!("信用代码前缀“{p}”应至少 4 位，由数字和大写字母组成"))
}

pub async fn list(
    State(st): State<AppState>,
    Console(s): Console,
    Query(q): Query<Vec<(String, String)>>,
) -> Result<Response, ConsoleError> {
    let p = Params(q);
    let f = Filters {
        q: p.one("q"),
        usci: p.one("usci").to_ascii_uppercase(),
        region: p.one("region"),
        tag: p.one("tag"),
        credit: p.one("credit"),
        entity_type: p.one("entity_type"),
        reg_status: p.one("reg_status"),
        item: p.one("item"),
        sort: p.one("sort"),
    };
    let mut errors = BTreeMap::new();
    if !f.usci.is_empty() {
        if let Some(e) = usci_prefix_error(&f.usci) {
            errors.insert("usci".to_string(), e);
        } else if !f.q.is_empty() {
            errors.insert(
                "usci".to_string(),
                "名称片段与信用代码前缀请只填一项（按代码查找时名称留空）".to_string(),
            );
        }
    }
    let input = SearchInput {
        q: if f.q.is_empty() {
            f.usci.clone()
        } else {
            f.q.clone()
        },
        region: f.region.clone(),
        tags: p.many("tag"),
        credit: f.credit.clone(),
        entity_type: f.entity_type.clone(),
        reg_status: f.reg_status.clone(),
        item: f.item.clone(),
        sort: f.sort.clone(),
    };
    let req = PageRequest::new(p.paging().map(|r| r.page).ok(), Some(20));
    let page: Page<Entity> = if errors.is_empty() {
        match directory::search(&st.svc, &s.actor, &input, req).await {
            Ok(p) => p,
            Err(e) => {
                errors = form_errors(e)?;
                Page {
                    items: Vec::new(),
                    total: 0,
                    page: 1,
                    per_page: 20,
                }
            }
        }
    } else {
        Page {
            items: Vec::new(),
            total: 0,
            page: 1,
            per_page: 20,
        }
    };
    let mut filters = f.pairs();
    let base_query = super::query_prefix(&filters);
    filters.push(("sort", &f.sort));
    let pager = Pager::new(&page, &filters);
    let rows = rows(&st.svc, page.items).await;
    let item_options = items::list(
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
            .map(|i| (i.code.clone(), format!("{} {}", i.code, i.name)))
            .collect()
    })
    .unwrap_or_default();
    let c = Chrome::new(&st.svc, &s, "directory").await;
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
        tag_options: tag_options(&st.svc).await,
        item_options,
        credits: credit_options(),
        types: options(EntityType::ALL, EntityType::as_str, EntityType::label_zh),
        statuses: options(RegStatus::ALL, RegStatus::as_str, RegStatus::label_zh),
        can_edit: may_edit(&s),
        f,
    };
    Ok((status, render(page)).into_response())
}

// ---- detail ----

pub struct TagRow {
    code: String,
    name: String,
    level: String,
    source: String,
    by_rule: bool,
}

pub struct ItemRow {
    id: Uuid,
    code: String,
    name: String,
    version: i32,
}

pub struct ClaimRow {
    department: String,
    status: String,
    open: bool,
    matched_by: String,
    reason: String,
    created: String,
    decided: String,
    decided_by: String,
}

pub struct EventRow {
    at: String,
    actor: String,
    action: String,
    summary: String,
}

pub struct LicenceRow {
    licence_type: String,
    number: String,
    issuer: String,
    valid: String,
}

#[derive(Template)]
#[template(path = "console/entity_detail.html")]
struct DetailPage {
    c: Chrome,
    e: Entity,
    region: String,
    entity_type: String,
    reg_status: String,
    credit: String,
    credit_date: String,
    licences: Vec<LicenceRow>,
    tags: Vec<TagRow>,
    tag_options: Vec<(String, String)>,
    items: Vec<ItemRow>,
    claims: Vec<ClaimRow>,
    timeline: Vec<EventRow>,
    can_edit: bool,
    tag_error: Option<String>,
    tag_value: String,
    created: String,
    updated: String,
}

fn or_dash(s: &Option<String>) -> String {
    s.clone()
        .filter(|x| !x.is_empty())
        .unwrap_or_else(|| "—".into())
}

async fn detail_page(
    st: &AppState,
    s: &SessionAuth,
    d: EntityDetail,
    ok: Option<&str>,
    tag_error: Option<String>,
    tag_value: String,
) -> Response {
    let svc = &st.svc;
    let region = lianjian_services::regions::path_name(svc, &d.entity.region_code)
        .await
        .unwrap_or_else(|_| d.entity.region_code.to_string());
    let dept_ids: Vec<Uuid> = d.claims.iter().filter_map(|c| c.department_id).collect();
    let depts = department_names(svc, dept_ids).await;
    let present: Vec<String> = d.tags.iter().map(|(t, _)| t.code.clone()).collect();
    let mut c = Chrome::new(svc, s, "directory").await;
    c.notice = ok.and_then(notice);
    let e = d.entity;
    let page = DetailPage {
        c,
        region,
        entity_type: e.entity_type.label_zh().into(),
        reg_status: e.reg_status.label_zh().into(),
        credit: e
            .credit_class
            .map_or_else(|| "未分类".to_string(), |c| c.label_zh().to_string()),
        credit_date: e.credit_date.map(|d| d.to_string()).unwrap_or_default(),
        licences: d
            .licences
            .into_iter()
            .map(|l| LicenceRow {
                valid: match (l.valid_from, l.valid_to) {
                    (None, None) => "—".into(),
                    (f, t) => format!(
                        "{} 至 {}",
                        f.map(|d| d.to_string()).unwrap_or_default(),
                        t.map_or_else(|| "长期".to_string(), |d| d.to_string())
                    ),
                },
                issuer: or_dash(&l.issuer),
                licence_type: l.licence_type,
                number: l.number,
            })
            .collect(),
        tags: d
            .tags
            .into_iter()
            .map(|(t, src)| TagRow {
                code: t.code,
                name: t.name,
                level: t.level.label_zh().into(),
                source: src.label_zh().into(),
                by_rule: src == lianjian_domain::tag::TagSource::Rule,
            })
            .collect(),
        tag_options: tag_options(svc)
            .await
            .into_iter()
            .filter(|(code, _)| !present.contains(code))
            .collect(),
        items: d
            .items
            .into_iter()
            .map(|i| ItemRow {
                id: i.id,
                code: i.code,
                name: i.name,
                version: i.version,
            })
            .collect(),
        claims: d
            .claims
            .into_iter()
            .map(|cl| ClaimRow {
                department: cl
                    .department_id
                    .and_then(|x| depts.get(&x).cloned())
                    .unwrap_or_else(|| "联席办（待研判）".into()),
                status: cl.status.label_zh().into(),
                open: matches!(
                    cl.status,
                    lianjian_services::directory::ClaimStatus::Pending
                        | lianjian_services::directory::ClaimStatus::Escalated
                ),
                matched_by: cl.matched_by,
                reason: cl.reason.unwrap_or_default(),
                created: local(&cl.created_at),
                decided: local_opt(&cl.decided_at),
                decided_by: cl.decided_by.unwrap_or_default(),
            })
            .collect(),
        timeline: d
            .timeline
            .into_iter()
            .rev()
            .map(|a| EventRow {
                at: local(&a.at),
                actor: a.actor_name,
                summary: action_summary(a.after.as_deref()),
                action: action_label(&a.action).to_string(),
            })
            .collect(),
        can_edit: may_edit(s) && !s.actor.role.is_read_only(),
        tag_error,
        tag_value,
        created: local(&e.created_at),
        updated: local(&e.updated_at),
        e,
    };
    let status = if page.tag_error.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    (status, render(page)).into_response()
}

pub async fn detail(
    State(st): State<AppState>,
    Console(s): Console,
    PathId(id): PathId,
    Query(q): Query<Vec<(String, String)>>,
) -> Result<Response, ConsoleError> {
    let d = directory::get(&st.svc, &s.actor, id).await?;
    let notice = Params(q).one("ok");
    Ok(detail_page(&st, &s, d, Some(notice.as_str()), None, String::new()).await)
}

async fn tag_change(
    st: AppState,
    s: SessionAuth,
    id: Uuid,
    f: FormData,
    present: bool,
) -> Result<Response, ConsoleError> {
    visible_entity(&st.svc, &s.actor, id).await?;
    let code = f.get("tag");
    if present && code.trim().is_empty() {
        let d = directory::get(&st.svc, &s.actor, id).await?;
        return Ok(detail_page(&st, &s, d, None, Some("请选择要添加的标签".into()), code).await);
    }
    match directory::set_tag(&st.svc, &s.actor, id, &code, present).await {
        Ok(()) => Ok(see_other(&format!(
            "/console/directory/{id}?ok={}",
            if present { "tag_added" } else { "tag_removed" }
        ))),
        Err(e) => {
            let errs = form_errors(e)?;
            let d = directory::get(&st.svc, &s.actor, id).await?;
            let error = errs.into_values().collect::<Vec<_>>().join("；");
            Ok(detail_page(&st, &s, d, None, Some(error), code).await)
        }
    }
}

pub async fn add_tag(
    State(st): State<AppState>,
    Console(s): Console,
    PathId(id): PathId,
    CsrfForm(f): CsrfForm<FormData>,
) -> Result<Response, ConsoleError> {
    tag_change(st, s, id, f, true).await
}

pub async fn remove_tag(
    State(st): State<AppState>,
    Console(s): Console,
    PathId(id): PathId,
    CsrfForm(f): CsrfForm<FormData>,
) -> Result<Response, ConsoleError> {
    tag_change(st, s, id, f, false).await
}

// ---- form ----

pub struct LicenceInputRow {
    v: [String; 5],
    error: Option<String>,
}

#[derive(Template)]
#[template(path = "console/entity_form.html")]
struct FormPage {
    c: Chrome,
    title: String,
    action: String,
    cancel: String,
    is_new: bool,
    f: EntityInput,
    licences: Vec<LicenceInputRow>,
    errors: BTreeMap<String, String>,
    types: Vec<(String, String)>,
    statuses: Vec<(String, String)>,
    credits: Vec<(String, String)>,
}

async fn form_page(
    st: &AppState,
    s: &SessionAuth,
    id: Option<Uuid>,
    f: EntityInput,
    errors: BTreeMap<String, String>,
) -> Response {
    let c = Chrome::new(&st.svc, s, "directory").await;
    let mut rows: Vec<[String; 5]> = f.licences.clone();
    // Two empty rows to fill in, more with the 添加一行 button.
    rows.push(Default::default());
    rows.push(Default::default());
    let licences = rows
        .into_iter()
        .enumerate()
        .map(|(i, v)| LicenceInputRow {
            error: errors.get(&format!("licences[{i}]")).cloned(),
            v,
        })
        .collect();
    let (title, action, cancel) = match id {
        Some(id) => (
            "编辑监管对象".to_string(),
            format!("/console/directory/{id}"),
            format!("/console/directory/{id}"),
        ),
        None => (
            "新增监管对象".to_string(),
            "/console/directory".to_string(),
            "/console/directory".to_string(),
        ),
    };
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
        is_new: id.is_none(),
        f,
        licences,
        errors,
        types: options(EntityType::ALL, EntityType::as_str, EntityType::label_zh),
        statuses: options(RegStatus::ALL, RegStatus::as_str, RegStatus::label_zh),
        credits: credit_options(),
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
    let f = EntityInput {
        region_code: s
            .actor
            .scope()
            .region
            .map(|r| r.to_string())
            .unwrap_or_default(),
        ..Default::default()
    };
    Ok(form_page(&st, &s, None, f, BTreeMap::new()).await)
}

fn input_of(f: &FormData) -> EntityInput {
    EntityInput {
        usci: f.get("usci"),
        name: f.get("name"),
        entity_type: f.get("entity_type"),
        legal_rep: f.get("legal_rep"),
        address: f.get("address"),
        region_code: f.get("region_code"),
        industry_code: f.get("industry_code"),
        reg_status: f.get("reg_status"),
        business_scope: f.get("business_scope"),
        credit_class: f.get("credit_class"),
        credit_date: f.get("credit_date"),
        credit_source: f.get("credit_source"),
        // Rows left empty are dropped, so the numbering of errors follows what is kept.
        licences: f
            .rows(["lic_type", "lic_number", "lic_issuer", "lic_from", "lic_to"])
            .into_iter()
            .filter(|r| r.iter().any(|x| !x.trim().is_empty()))
            .collect(),
        tags: f.get("tags"),
    }
}

fn entity_input(e: &Entity, licences: Vec<lianjian_domain::directory::Licence>) -> EntityInput {
    EntityInput {
        usci: e.usci.clone(),
        name: e.name.clone(),
        entity_type: e.entity_type.as_str().into(),
        legal_rep: e.legal_rep.clone().unwrap_or_default(),
        address: e.address.clone().unwrap_or_default(),
        region_code: e.region_code.to_string(),
        industry_code: e.industry_code.clone().unwrap_or_default(),
        reg_status: e.reg_status.as_str().into(),
        business_scope: e.business_scope.clone().unwrap_or_default(),
        credit_class: e
            .credit_class
            .map(|c| c.as_str().to_string())
            .unwrap_or_default(),
        credit_date: e.credit_date.map(|d| d.to_string()).unwrap_or_default(),
        credit_source: e.credit_source.clone().unwrap_or_default(),
        licences: licences
            .into_iter()
            .map(|l| {
                [
                    l.licence_type,
                    l.number,
                    l.issuer.unwrap_or_default(),
                    l.valid_from.map(|d| d.to_string()).unwrap_or_default(),
                    l.valid_to.map(|d| d.to_string()).unwrap_or_default(),
                ]
            })
            .collect(),
        tags: String::new(),
    }
}

async fn save(
    st: &AppState,
    s: &SessionAuth,
    id: Option<Uuid>,
    input: EntityInput,
) -> Result<Response, ConsoleError> {
    let result = match existing_for_save(&st.svc, &s.actor, &input.usci).await {
        Ok(_) => directory::save(&st.svc, &s.actor, &input).await,
        Err(e) => Err(e),
    };
    match result {
        Ok(e) => Ok(see_other(&format!(
            "/console/directory/{}?ok={}",
            e.id,
            if id.is_some() { "saved" } else { "created" }
        ))),
        Err(e) => {
            let errs = form_errors(e)?;
            Ok(form_page(st, s, id, input, errs).await)
        }
    }
}

pub async fn create(
    State(st): State<AppState>,
    Console(s): Console,
    CsrfForm(f): CsrfForm<FormData>,
) -> Result<Response, ConsoleError> {
    save(&st, &s, None, input_of(&f)).await
}

pub async fn edit_form(
    State(st): State<AppState>,
    Console(s): Console,
    PathId(id): PathId,
) -> Result<Response, ConsoleError> {
    if !may_edit(&s) {
        return Err(ConsoleError::forbidden());
    }
    let d = directory::get(&st.svc, &s.actor, id).await?;
    Ok(form_page(
        &st,
        &s,
        Some(id),
        entity_input(&d.entity, d.licences),
        BTreeMap::new(),
    )
    .await)
}

pub async fn update(
    State(st): State<AppState>,
    Console(s): Console,
    PathId(id): PathId,
    CsrfForm(f): CsrfForm<FormData>,
) -> Result<Response, ConsoleError> {
    let e = visible_entity(&st.svc, &s.actor, id).await?;
    // The credit code is the key: an edit keeps it (a different code is a different entity).
    let mut input = input_of(&f);
    input.usci = e.usci;
    save(&st, &s, Some(id), input).await
}
