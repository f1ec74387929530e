//! 监管事项清单: the list with filters, the item page (departments with duties and legal basis,
//! check points by dimension, object expression, version history and the version in force on a
//! date), the item form, publish and retire, and the item's directory with counts.

use std::collections::{BTreeMap, BTreeSet};

use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use lianjian_domain::account::Role;
use lianjian_domain::item::{
    DepartmentRole, Dimension, ImplementationLevel, ItemCategory, ItemStatus, Method,
};
use lianjian_domain::scope::Scope;
use lianjian_services::accounts::SessionAuth;
use lianjian_services::items::{self, DepartmentPart, ItemInput};
use lianjian_services::items::{CheckPoint, Item};
use lianjian_services::{PageRequest, Services};
use uuid::Uuid;

use super::directory::{Row as EntityRow, options, rows as entity_rows};
use super::fields::{FormData, errors_of, row_error};
use super::{
    Chrome, ConsoleError, CsrfForm, Pager, PathId, form_errors, local, local_opt, render, see_other,
};
use crate::AppState;
use crate::api::items::{Names, county_names, item_query, visible_item};
use crate::api::params::{self, Params};
use crate::extract::Console;

fn may_edit(s: &SessionAuth) -> bool {
    lianjian_services::items::may_edit_items(&s.actor)
}

fn notice(key: &str) -> Option<String> {
    Some(
        match key {
            "created" => "事项已保存为草稿。核对无误后可发布。",
            "saved" => "已保存。",
            "new_version" => "已保存为新版本，自现在起施行；历史版本可在下方查看。",
            "published" => "事项已发布，自现在起施行并在信息公开网站公示。",
            "retired" => "事项已停用，历史版本保留可查。",
            _ => return None,
        }
        .to_string(),
    )
}

async fn sector_options(svc: &Services) -> Vec<(String, String)> {
    lianjian_services::sectors::list(svc)
        .await
        .map(|v| {
            v.into_iter()
                .filter(|s| s.status == "active")
                .map(|s| (s.name.clone(), s.name))
                .collect()
        })
        .unwrap_or_default()
}

/// Departments an item may name (`super::offered_departments`).
async fn department_options(svc: &Services, s: &SessionAuth) -> Vec<(String, String)> {
    super::offered_departments(svc, &s.actor).await
}

// ---- list ----

pub struct Row {
    id: Uuid,
    code: String,
    name: String,
    sector: String,
    lead: String,
    level: String,
    region: String,
    status: String,
    status_code: String,
    version: i32,
    updated: String,
}

#[derive(Template)]
#[template(path = "console/items.html")]
struct ListPage {
    c: Chrome,
    rows: Vec<Row>,
    pager: Pager,
    q: String,
    status: String,
    sector: String,
    statuses: Vec<(String, String)>,
    sectors: Vec<(String, String)>,
    errors: BTreeMap<String, String>,
    can_edit: bool,
}

pub async fn list(
    State(st): State<AppState>,
    Console(s): Console,
    Query(q): Query<Vec<(String, String)>>,
) -> Result<Response, ConsoleError> {
    let svc = &st.svc;
    let p = Params(q);
    let (q_s, status_s, sector_s) = (p.one("q"), p.one("status"), p.one("sector"));
    let mut errors = BTreeMap::new();
    let page = match item_query(svc, &p).await {
        Ok(query) => {
            let req = PageRequest::new(p.paging().map(|r| r.page).ok(), Some(20));
            items::list(svc, &Scope::of(&s.actor), query, req).await?
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
    let pager = Pager::new(
        &page,
        &[("q", &q_s), ("status", &status_s), ("sector", &sector_s)],
    );
    let names = Names::load(svc, &page.items.iter().collect::<Vec<_>>()).await;
    let rows = page
        .items
        .into_iter()
        .map(|i| Row {
            id: i.id,
            sector: i
                .sector_id
                .and_then(|x| names.sectors.get(&x).cloned())
                .unwrap_or_else(|| "—".into()),
            lead: names.department(i.lead_department_id),
            level: i.implementation_level.label_zh().into(),
            region: i.region_code.to_string(),
            status: i.status.label_zh().into(),
            status_code: i.status.as_str().into(),
            version: i.version,
            updated: local(&i.updated_at),
            code: i.code,
            name: i.name,
        })
        .collect();
    let mut c = Chrome::new(svc, &s, "items").await;
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
        q: q_s,
        status: status_s,
        sector: sector_s,
        statuses: options(ItemStatus::ALL, ItemStatus::as_str, ItemStatus::label_zh),
        sectors: sector_options(svc).await,
        errors,
        can_edit: may_edit(&s) && !s.actor.role.is_read_only(),
    };
    Ok((status, render(page)).into_response())
}

// ---- detail ----

pub struct DeptRow {
    role: String,
    lead: bool,
    name: String,
    duties: String,
    legal_basis: String,
}

pub struct PointGroup {
    dimension: String,
    points: Vec<(String, String)>,
}

pub struct VersionRow {
    version: i32,
    effective: String,
    changed_by: String,
    summary: String,
    current: bool,
}

/// An item as the page shows it (also an older version's snapshot).
pub struct ItemView {
    code: String,
    name: String,
    sector: String,
    category: String,
    region: String,
    level: String,
    methods: String,
    frequency: String,
    object_description: String,
    object_expr: String,
    departments: Vec<DeptRow>,
    groups: Vec<PointGroup>,
}

pub(crate) fn groups(points: &[CheckPoint]) -> Vec<PointGroup> {
    Dimension::ALL
        .iter()
        .filter_map(|d| {
            let points: Vec<(String, String)> = points
                .iter()
                .filter(|p| p.dimension == *d)
                .map(|p| (p.content.clone(), p.legal_basis.clone()))
                .collect();
            (!points.is_empty()).then(|| PointGroup {
                dimension: d.label_zh().into(),
                points,
            })
        })
        .collect()
}

fn view(i: &Item, n: &Names, region: String) -> ItemView {
    ItemView {
        code: i.code.clone(),
        name: i.name.clone(),
        sector: i
            .sector_id
            .and_then(|x| n.sectors.get(&x).cloned())
            .unwrap_or_else(|| "—".into()),
        category: i.category.label_zh().into(),
        region,
        level: i.implementation_level.label_zh().into(),
        methods: i
            .methods
            .iter()
            .map(|m| m.label_zh())
            .collect::<Vec<_>>()
            .join("、"),
        frequency: i.default_frequency.clone().unwrap_or_else(|| "—".into()),
        object_description: i.object_description.clone(),
        object_expr: i.object_expr.clone(),
        departments: i
            .departments
            .iter()
            .map(|d| DeptRow {
                role: d.role.label_zh().into(),
                lead: d.role == DepartmentRole::Lead,
                name: n.department(d.department_id),
                duties: d.duties.clone(),
                legal_basis: d.legal_basis.clone(),
            })
            .collect(),
        groups: groups(&i.check_points),
    }
}

#[derive(Template)]
#[template(path = "console/item_detail.html")]
struct DetailPage {
    c: Chrome,
    id: Uuid,
    v: ItemView,
    status: String,
    status_code: String,
    version: i32,
    published: String,
    updated: String,
    can_edit: bool,
    versions: Vec<VersionRow>,
    at: String,
    at_error: Option<String>,
    /// The version in force on `at`: (version, from, summary, view); or a message.
    at_version: Option<(i32, String, String, ItemView)>,
    at_none: bool,
}

pub async fn detail(
    State(st): State<AppState>,
    Console(s): Console,
    PathId(id): PathId,
    Query(q): Query<Vec<(String, String)>>,
) -> Result<Response, ConsoleError> {
    let svc = &st.svc;
    let p = Params(q);
    let item = visible_item(svc, &s.actor, id).await?;
    let versions = items::versions(svc, id).await.unwrap_or_default();
    let at = p.one("at");
    let (mut at_error, mut at_version, mut at_none) = (None, None, false);
    let mut snaps: Vec<&Item> = vec![&item];
    let mut found = None;
    if !at.is_empty() {
        match params::end_of_day_or_instant(&at) {
            None => at_error = Some(format!("日期“{at}”无法识别，请使用 2026-03-31 格式")),
            Some(t) => match items::version_at(svc, id, t).await {
                Ok(Some(v)) => found = Some(v),
                Ok(None) => at_none = true,
                Err(e) => return Err(e.into()),
            },
        }
    }
    if let Some(v) = &found {
        snaps.push(&v.snapshot);
    }
    let names = Names::load(svc, &snaps).await;
    let region = lianjian_services::regions::path_name(svc, &item.region_code)
        .await
        .unwrap_or_else(|_| item.region_code.to_string());
    if let Some(v) = found {
        let r = lianjian_services::regions::path_name(svc, &v.snapshot.region_code)
            .await
            .unwrap_or_default();
        at_version = Some((
            v.version,
            local(&v.effective_at),
            v.summary.clone(),
            view(&v.snapshot, &names, r),
        ));
    }
    let mut c = Chrome::new(svc, &s, "items").await;
    c.notice = notice(&p.one("ok"));
    let page = DetailPage {
        c,
        id,
        v: view(&item, &names, region),
        status: item.status.label_zh().into(),
        status_code: item.status.as_str().into(),
        version: item.version,
        published: local_opt(&item.published_at),
        updated: local(&item.updated_at),
        can_edit: may_edit(&s) && !s.actor.role.is_read_only(),
        versions: versions
            .iter()
            .map(|v| VersionRow {
                version: v.version,
                effective: local(&v.effective_at),
                changed_by: v.changed_by.clone(),
                summary: v.summary.clone(),
                current: v.version == item.version && item.status == ItemStatus::Published,
            })
            .collect(),
        at: if at.is_empty() { params::today() } else { at },
        at_error,
        at_version,
        at_none,
    };
    let status = if page.at_error.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    Ok((status, render(page)).into_response())
}

async fn transition(
    st: AppState,
    s: SessionAuth,
    id: Uuid,
    to: ItemStatus,
) -> Result<Response, ConsoleError> {
    visible_item(&st.svc, &s.actor, id).await?;
    items::set_status(&st.svc, &s.actor, id, to).await?;
    Ok(see_other(&format!(
        "/console/items/{id}?ok={}",
        if to == ItemStatus::Published {
            "published"
        } else {
            "retired"
        }
    )))
}

pub async fn publish(
    State(st): State<AppState>,
    Console(s): Console,
    PathId(id): PathId,
    _: CsrfForm,
) -> Result<Response, ConsoleError> {
    transition(st, s, id, ItemStatus::Published).await
}

pub async fn retire(
    State(st): State<AppState>,
    Console(s): Console,
    PathId(id): PathId,
    _: CsrfForm,
) -> Result<Response, ConsoleError> {
    transition(st, s, id, ItemStatus::Retired).await
}

// ---- form ----

pub struct PartRow {
    v: [String; 3],
    error: Option<String>,
}

impl PartRow {
    /// Whether the row's first column (department or dimension) is `k`.
    fn is(&self, k: &str) -> bool {
        self.v[0] == k
    }
}

pub struct ItemForm {
    code: String,
    name: String,
    sector: String,
    category: String,
    region_code: String,
    implementation_level: String,
    lead: [String; 3],
    cooperating: Vec<[String; 3]>,
    object_description: String,
    object_expr: String,
    methods: Vec<String>,
    default_frequency: String,
    check_points: Vec<[String; 3]>,
    summary: String,
}

impl ItemForm {
    fn lead_is(&self, k: &str) -> bool {
        self.lead[0] == k
    }

    fn input(&self) -> ItemInput {
        let part = |p: &[String; 3]| DepartmentPart {
            department_id: p[0].clone(),
            duties: p[1].clone(),
            legal_basis: p[2].clone(),
        };
        ItemInput {
            code: self.code.clone(),
            name: self.name.clone(),
            sector: self.sector.clone(),
            category: self.category.clone(),
            region_code: self.region_code.clone(),
            implementation_level: self.implementation_level.clone(),
            lead: part(&self.lead),
            cooperating: self.cooperating.iter().map(part).collect(),
            object_description: self.object_description.clone(),
            object_expr: self.object_expr.clone(),
            methods: self.methods.join(","),
            default_frequency: self.default_frequency.clone(),
            check_points: self.check_points.clone(),
        }
    }

    fn from_post(f: &FormData) -> Self {
        let filled = |r: &[String; 3]| r.iter().any(|x| !x.trim().is_empty());
        ItemForm {
            code: f.get("code"),
            name: f.get("name"),
            sector: f.get("sector"),
            category: f.get("category"),
            region_code: f.get("region_code"),
            implementation_level: f.get("implementation_level"),
            lead: [
                f.get("lead_department_id"),
                f.get("lead_duties"),
                f.get("lead_legal_basis"),
            ],
            // Rows left empty are dropped, so error numbering follows the rows kept.
            cooperating: f
                .rows(["coop_department_id", "coop_duties", "coop_legal_basis"])
                .into_iter()
                .filter(filled)
                .collect(),
            object_description: f.get("object_description"),
            object_expr: f.get("object_expr"),
            methods: f.all("methods"),
            default_frequency: f.get("default_frequency"),
            check_points: f
                .rows(["cp_dimension", "cp_content", "cp_legal_basis"])
                .into_iter()
                .filter(filled)
                .collect(),
            summary: f.get("summary"),
        }
    }

    fn of_item(i: &Item) -> Self {
        let row = |d: &lianjian_services::items::ItemDepartment| {
            [
                d.department_id.to_string(),
                d.duties.clone(),
                d.legal_basis.clone(),
            ]
        };
        ItemForm {
            code: i.code.clone(),
            name: i.name.clone(),
            sector: String::new(),
            category: i.category.as_str().into(),
            region_code: i.region_code.to_string(),
            implementation_level: i.implementation_level.as_str().into(),
            lead: i
                .departments
                .iter()
                .find(|d| d.role == DepartmentRole::Lead)
                .map(row)
                .unwrap_or_default(),
            cooperating: i
                .departments
                .iter()
                .filter(|d| d.role == DepartmentRole::Cooperating)
                .map(row)
                .collect(),
            object_description: i.object_description.clone(),
            object_expr: i.object_expr.clone(),
            methods: i.methods.iter().map(|m| m.as_str().to_string()).collect(),
            default_frequency: i.default_frequency.clone().unwrap_or_default(),
            check_points: i
                .check_points
                .iter()
                .map(|c| {
                    [
                        c.dimension.as_str().to_string(),
                        c.content.clone(),
                        c.legal_basis.clone(),
                    ]
                })
                .collect(),
            summary: String::new(),
        }
    }
}

#[derive(Template)]
#[template(path = "console/item_form.html")]
struct FormPage {
    c: Chrome,
    title: String,
    action: String,
    cancel: String,
    needs_summary: bool,
    f: ItemForm,
    cooperating: Vec<PartRow>,
    check_points: Vec<PartRow>,
    errors: BTreeMap<String, String>,
    departments: Vec<(String, String)>,
    sectors: Vec<(String, String)>,
    categories: Vec<(String, String)>,
    levels: Vec<(String, String)>,
    method_options: Vec<(String, String)>,
    dimensions: Vec<(String, String)>,
    tag_codes: Vec<(String, String)>,
}

async fn form_page(
    st: &AppState,
    s: &SessionAuth,
    item: Option<&Item>,
    f: ItemForm,
    errors: BTreeMap<String, String>,
) -> Response {
    let svc = &st.svc;
    let c = Chrome::new(svc, s, "items").await;
    let pad = |rows: &[[String; 3]], extra: usize, prefix: &str| -> Vec<PartRow> {
        let mut v: Vec<PartRow> = rows
            .iter()
            .enumerate()
            .map(|(i, r)| PartRow {
                v: r.clone(),
                error: row_error(&errors, &format!("{prefix}[{i}]")),
            })
            .collect();
        for _ in 0..extra {
            v.push(PartRow {
                v: Default::default(),
                error: None,
            });
        }
        v
    };
    let cooperating = pad(
        &f.cooperating,
        if f.cooperating.is_empty() { 2 } else { 1 },
        "cooperating",
    );
    let check_points = pad(
        &f.check_points,
        if f.check_points.is_empty() { 3 } else { 1 },
        "check_points",
    );
    let (title, action, cancel) = match item {
        Some(i) => (
            format!("编辑事项 {}", i.code),
            format!("/console/items/{}", i.id),
            format!("/console/items/{}", i.id),
        ),
        None => (
            "新建监管事项".to_string(),
            "/console/items".to_string(),
            "/console/items".to_string(),
        ),
    };
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let tag_codes = super::directory::tag_options(svc).await;
    // What the item already names stays choosable even when a picker would not offer it (a
    // retired sector, a department outside the editor's usual list).
    let mut sectors = sector_options(svc).await;
    if !f.sector.is_empty() && !sectors.iter().any(|(k, _)| *k == f.sector) {
        sectors.push((f.sector.clone(), f.sector.clone()));
    }
    let mut departments = department_options(svc, s).await;
    let named: Vec<Uuid> = std::iter::once(&f.lead[0])
        .chain(f.cooperating.iter().map(|r| &r[0]))
        .filter_map(|id| Uuid::parse_str(id).ok())
        .filter(|id| !departments.iter().any(|(k, _)| *k == id.to_string()))
        .collect();
    for (id, name) in crate::api::entities::department_names(svc, named).await {
        departments.push((id.to_string(), name));
    }
    let page = FormPage {
        c,
        title,
        action,
        cancel,
        needs_summary: item.is_some_and(|i| i.status == ItemStatus::Published),
        cooperating,
        check_points,
        errors,
        departments,
        sectors,
        categories: options(
            ItemCategory::ALL,
            ItemCategory::as_str,
            ItemCategory::label_zh,
        ),
        levels: options(
            ImplementationLevel::ALL,
            ImplementationLevel::as_str,
            ImplementationLevel::label_zh,
        ),
        method_options: options(Method::ALL, Method::as_str, Method::label_zh),
        dimensions: options(Dimension::ALL, Dimension::as_str, Dimension::label_zh),
        tag_codes,
        f,
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
    let level = match s.actor.region.level() {
        lianjian_domain::region::RegionLevel::Province => "province",
        lianjian_domain::region::RegionLevel::City => "city",
        _ => "county",
    };
    let f = ItemForm {
        code: String::new(),
        name: String::new(),
        sector: String::new(),
        category: "general".into(),
        region_code: s.actor.region.to_string(),
        implementation_level: level.into(),
        lead: [
            if s.actor.role == Role::DepartmentAdmin {
                s.actor.department_id.to_string()
            } else {
                String::new()
            },
            String::new(),
            String::new(),
        ],
        cooperating: Vec::new(),
        object_description: String::new(),
        object_expr: String::new(),
        methods: vec!["on_site".into()],
        default_frequency: String::new(),
        check_points: Vec::new(),
        summary: String::new(),
    };
    Ok(form_page(&st, &s, None, f, BTreeMap::new()).await)
}

pub async fn create(
    State(st): State<AppState>,
    Console(s): Console,
    CsrfForm(f): CsrfForm<FormData>,
) -> Result<Response, ConsoleError> {
    let form = ItemForm::from_post(&f);
    match items::create(&st.svc, &s.actor, &form.input()).await {
        Ok(i) => Ok(see_other(&format!("/console/items/{}?ok=created", i.id))),
        Err(e) => {
            let errs = form_errors(e)?;
            Ok(form_page(&st, &s, None, form, errs).await)
        }
    }
}

async fn sector_name(svc: &Services, i: &Item) -> String {
    let n = Names::load(svc, &[]).await;
    i.sector_id
        .and_then(|x| n.sectors.get(&x).cloned())
        .unwrap_or_default()
}

pub async fn edit_form(
    State(st): State<AppState>,
    Console(s): Console,
    PathId(id): PathId,
) -> Result<Response, ConsoleError> {
    if !may_edit(&s) {
        return Err(ConsoleError::forbidden());
    }
    let i = visible_item(&st.svc, &s.actor, id).await?;
    let mut f = ItemForm::of_item(&i);
    f.sector = sector_name(&st.svc, &i).await;
    Ok(form_page(&st, &s, Some(&i), f, BTreeMap::new()).await)
}

pub async fn update(
    State(st): State<AppState>,
    Console(s): Console,
    PathId(id): PathId,
    CsrfForm(f): CsrfForm<FormData>,
) -> Result<Response, ConsoleError> {
    let item = visible_item(&st.svc, &s.actor, id).await?;
    let form = ItemForm::from_post(&f);
    match items::update(&st.svc, &s.actor, id, &form.input(), &form.summary).await {
        Ok(after) => Ok(see_other(&format!(
            "/console/items/{id}?ok={}",
            if after.version > item.version {
                "new_version"
            } else {
                "saved"
            }
        ))),
        Err(e) => {
            let errs = form_errors(e)?;
            Ok(form_page(&st, &s, Some(&item), form, errs).await)
        }
    }
}

// ---- directory ----

pub struct CountRow {
    county: String,
    code: String,
    /// Counts for A, B, C, D, ungraded.
    cells: Vec<u64>,
    total: u64,
}

#[derive(Template)]
#[template(path = "console/item_directory.html")]
struct DirectoryPage {
    c: Chrome,
    id: Uuid,
    code: String,
    name: String,
    object_expr: String,
    counts: Vec<CountRow>,
    totals: Vec<u64>,
    total: u64,
    rows: Vec<EntityRow>,
    pager: Pager,
}

impl DirectoryPage {
    /// Column letters of the counts table, in the order of `cells`.
    fn classes(&self) -> [&'static str; 5] {
        ["A", "B", "C", "D", ""]
    }
}

pub async fn directory(
    State(st): State<AppState>,
    Console(s): Console,
    PathId(id): PathId,
    Query(q): Query<Vec<(String, String)>>,
) -> Result<Response, ConsoleError> {
    let svc = &st.svc;
    let p = Params(q);
    let item = visible_item(svc, &s.actor, id).await?;
    let req = PageRequest::new(p.paging().map(|r| r.page).ok(), Some(20));
    let d = items::directory(svc, &s.actor, id, req).await?;
    let counties: BTreeSet<String> = d.counts.iter().map(|c| c.0.clone()).collect();
    let names = county_names(svc, counties.iter().cloned().collect()).await;
    let col = |class: &Option<String>| match class.as_deref() {
        Some("A") => 0,
        Some("B") => 1,
        Some("C") => 2,
        Some("D") => 3,
        _ => 4,
    };
    let mut counts: Vec<CountRow> = counties
        .iter()
        .map(|c| CountRow {
            county: names.get(c).cloned().unwrap_or_else(|| c.clone()),
            code: c.clone(),
            cells: vec![0; 5],
            total: 0,
        })
        .collect();
    let mut totals = vec![0u64; 5];
    for (county, class, n) in &d.counts {
        if let Some(r) = counts.iter_mut().find(|r| r.code == *county) {
            r.cells[col(class)] += n;
            r.total += n;
        }
        totals[col(class)] += n;
    }
    let total = totals.iter().sum();
    counts.sort_by(|a, b| a.code.cmp(&b.code));
    let pager = Pager::new(&d.page, &[]);
    let rows = entity_rows(svc, d.page.items).await;
    let c = Chrome::new(svc, &s, "items").await;
    Ok(render(DirectoryPage {
        c,
        id,
        code: item.code,
        name: item.name,
        object_expr: item.object_expr,
        counts,
        totals,
        total,
        rows,
        pager,
    }))
}
