//! Departments (部门) per region: built-in sets from the policies, added, renamed and retired
//! by system administrators and coordination offices.

use chrono::Utc;
use lianjian_domain::Invalid;
use lianjian_domain::account::Role;
use lianjian_domain::department::{self as rules, DepartmentStatus, builtin_set};
use lianjian_domain::region::RegionCode;
use lianjian_domain::scope::{Actor, Scope};
use lianjian_store::departments::{self as repo};
use lianjian_store::{Page, PageRequest, StoreError, regions};
use serde::Serialize;
use uuid::Uuid;

use crate::error::Checker;
use crate::regions::unknown_region;
use crate::trail::{Record, record};
use crate::{Result, ServiceError, Services};

/// Departments as this service reads and lists them.
pub use lianjian_store::departments::{Department, DepartmentQuery};

/// Departments are shared reference data: every member of staff sees all departments of
/// their region subtree (items name lead and cooperating departments of other lines).
fn view_scope(a: &Actor) -> Scope {
    Scope::all_lines_of(a)
}

/// Whether the actor maintains departments (system administrators, and coordination offices
/// in their subtree). The console offers the department actions only when this holds.
pub fn may_maintain(a: &Actor) -> bool {
    matches!(a.role, Role::SystemAdmin | Role::CoordinationOffice)
}

/// Who maintains departments: system administrators, and coordination offices in their subtree.
fn ensure_maintainer(a: &Actor, region: &RegionCode) -> Result<()> {
    match a.role {
        Role::SystemAdmin => Ok(()),
        Role::CoordinationOffice if region.is_within(&a.region) => Ok(()),
        Role::CoordinationOffice => Err(ServiceError::NotFound),
        _ => Err(ServiceError::Forbidden),
    }
}

pub async fn list(
    svc: &Services,
    actor: &Actor,
    q: &DepartmentQuery,
    page: PageRequest,
) -> Result<Page<Department>> {
    Ok(repo::list(svc.store.conn(), &view_scope(actor), q, page).await?)
}

/// Columns of the department export.
pub const EXPORT_HEADERS: [&str; 7] = [
    "地区代码",
    "地区",
    "部门名称",
    "条线",
    "状态",
    "内置集",
    "排序",
];

/// The department list with its filters, every page, as xlsx (in the list's order). Anyone
/// who sees the list may export it.
pub async fn export(svc: &Services, actor: &Actor, q: &DepartmentQuery) -> Result<Vec<u8>> {
    let mut all = Vec::new();
    let mut page = 1;
    loop {
        let p = list(
            svc,
            actor,
            q,
            PageRequest::new(Some(page), Some(PageRequest::MAX_PER_PAGE)),
        )
        .await?;
        let n = p.items.len() as u64;
        all.extend(p.items);
        if n < p.per_page {
            break;
        }
        page += 1;
    }
    let codes = all.iter().map(|d| d.region_code.to_string()).collect();
    let regions = crate::sheets::region_names(svc, codes).await?;
    let rows = all
        .into_iter()
        .map(|d| {
            vec![
                d.region_code.to_string(),
                regions
                    .get(d.region_code.as_str())
                    .cloned()
                    .unwrap_or_default(),
                d.name,
                d.line,
                d.status.label_zh().to_string(),
                d.builtin_set
                    .as_deref()
                    .map(|k| {
                        builtin_set(k).map_or_else(
                            || k.to_string(),
                            |s| format!("{}（{}）", s.title, s.source),
                        )
                    })
                    .unwrap_or_default(),
                d.sort_order.to_string(),
            ]
        })
        .collect();
    Ok(crate::sheets::xlsx_table("部门", &EXPORT_HEADERS, rows))
}

pub async fn get(svc: &Services, actor: &Actor, id: Uuid) -> Result<Department> {
    repo::get_scoped(svc.store.conn(), &view_scope(actor), id)
        .await?
        .ok_or(ServiceError::NotFound)
}

/// Departments by id, for naming the departments a record the caller already sees refers to
/// (a referral's receiver, a published plan's participants, the actor's own department).
/// Names of departments are public (they appear on published plans and results).
pub async fn by_ids(
    svc: &Services,
    ids: &[Uuid],
) -> Result<std::collections::HashMap<Uuid, Department>> {
    Ok(repo::by_ids(svc.store.conn(), ids).await?)
}

/// Departments a picker may offer: active ones in the region and its ancestors.
/// The active department of line `line` nearest `region`: the region's own, else its city's,
/// else its province's (双告知 and 审管衔接 offer a record to the department of the competent
/// line closest to it).
pub(crate) async fn nearest_of_line(
    c: &impl lianjian_store::Conn,
    line: &str,
    region: &RegionCode,
) -> Result<Option<Department>> {
    for r in region.lineage().iter().rev() {
        if let Some(d) = repo::active_in_region(c, r)
            .await?
            .into_iter()
            .find(|d| d.line == line)
        {
            return Ok(Some(d));
        }
    }
    Ok(None)
}

pub async fn pickable(svc: &Services, region: &RegionCode) -> Result<Vec<Department>> {
    let mut out = Vec::new();
    for r in region.lineage() {
        out.extend(repo::active_in_region(svc.store.conn(), &r).await?);
    }
    Ok(out)
}

/// Departments a form may offer the actor (owners, leads, cooperating departments): the
/// active ones of the region the actor works in now — the chosen console context, else the
/// role's region — of the levels above it, and of its subtree. A county sees its own, its
/// city's and its province's departments, never another province's (an administrator homed
/// in Shandong who works in a Henan county's view is offered Henan's); a user without any
/// region limit and no context is offered everything.
pub async fn offered(svc: &Services, actor: &Actor) -> Result<Vec<Department>> {
    let c = svc.store.conn();
    let Some(region) = actor.scope().region else {
        let q = DepartmentQuery {
            status: Some(DepartmentStatus::Active),
            ..Default::default()
        };
        return Ok(repo::list(
            c,
            &Scope::all_lines_of(actor),
            &q,
            PageRequest::new(Some(1), Some(PageRequest::MAX_PER_PAGE)),
        )
        .await?
        .items);
    };
    let mut out: Vec<Department> = Vec::new();
    for r in region.lineage() {
        out.extend(repo::active_in_region(c, &r).await?);
    }
    let q = DepartmentQuery {
        status: Some(DepartmentStatus::Active),
        ..Default::default()
    };
    let below = repo::list(
        c,
        &Scope::all_lines_of(actor),
        &q,
        PageRequest::new(Some(1), Some(PageRequest::MAX_PER_PAGE)),
    )
    .await?;
    for d in below.items {
        if !out.iter().any(|x| x.id == d.id) {
            out.push(d);
        }
    }
    Ok(out)
}

#[derive(Debug, Clone, Default)]
pub struct DepartmentInput {
    pub region_code: String,
    pub name: String,
    pub line: String,
}

pub async fn create(svc: &Services, actor: &Actor, input: DepartmentInput) -> Result<Department> {
    let mut ch = Checker::default();
    let region = ch.check("region_code", RegionCode::parse(&input.region_code));
    let name = ch.check("name", rules::department_name(&input.name));
    let line = ch.check("line", rules::line_key(&input.line));
    ch.finish()?;
    let (region, name, line) = (
        region.expect("checked"),
        name.expect("checked"),
        line.expect("checked"),
    );
    ensure_maintainer(actor, &region)?;
    if regions::get(svc.store.conn(), &region).await?.is_none() {
        return Err(unknown_region("region_code", &region));
    }
    let now = Utc::now();
    let d = Department {
        id: Uuid::now_v7(),
        sort_order: repo::next_sort_order(svc.store.conn(), &region).await?,
        region_code: region,
        name,
        line,
        status: DepartmentStatus::Active,
        builtin_set: None,
        created_at: now,
        updated_at: now,
    };
    let tx = svc.store.begin().await?;
    repo::insert(&tx, &d).await.map_err(|e| dup(e, &d))?;
    record(
        &tx,
        actor,
        Record::new("department.create", "department", d.id)
            .at(&d.region_code, Some(d.id))
            .after(&d),
    )
    .await?;
    tx.commit().await?;
    Ok(d)
}

fn dup(e: StoreError, d: &Department) -> ServiceError {
    match e {
        StoreError::Conflict(_) => ServiceError::conflict(
            "name",
            format!("该地区已有名为“{}”的部门", d.name),
            format!(
                "a department named '{}' already exists in {}",
                d.name, d.region_code
            ),
        ),
        other => other.into(),
    }
}

pub async fn rename(svc: &Services, actor: &Actor, id: Uuid, name: &str) -> Result<Department> {
    let name = rules::department_name(name).map_err(|e| ServiceError::field("name", e))?;
    let before = get(svc, actor, id).await?;
    ensure_maintainer(actor, &before.region_code)?;
    let mut after = before.clone();
    after.name = name;
    after.updated_at = Utc::now();
    let tx = svc.store.begin().await?;
    repo::update(&tx, &after)
        .await
        .map_err(|e| dup(e, &after))?;
    record(
        &tx,
        actor,
        Record::new("department.rename", "department", id)
            .at(&after.region_code, Some(id))
            .before(&before)
            .after(&after),
    )
    .await?;
    tx.commit().await?;
    Ok(after)
}

/// Retires or reinstates a department. A retired department keeps its history and users.
pub async fn set_status(
    svc: &Services,
    actor: &Actor,
    id: Uuid,
    status: DepartmentStatus,
) -> Result<Department> {
    let before = get(svc, actor, id).await?;
    ensure_maintainer(actor, &before.region_code)?;
    if id == actor.department_id && status == DepartmentStatus::Retired {
        return Err(ServiceError::field(
            "status",
            Invalid::new(
                "own_department",
                "不能撤销您自己所在的部门",
                "you cannot retire your own department",
            ),
        ));
    }
    let mut after = before.clone();
    after.status = status;
    after.updated_at = Utc::now();
    let tx = svc.store.begin().await?;
    repo::update(&tx, &after).await?;
    let action = if status == DepartmentStatus::Retired {
        "department.retire"
    } else {
        "department.reinstate"
    };
    record(
        &tx,
        actor,
        Record::new(action, "department", id)
            .at(&after.region_code, Some(id))
            .before(&before)
            .after(&after),
    )
    .await?;
    tx.commit().await?;
    Ok(after)
}

/// Outcome of copying a built-in set.
#[derive(Debug, Clone, Serialize)]
pub struct CopyOutcome {
    pub created: Vec<Department>,
    /// Names that already existed in the region and were left as they were.
    pub skipped: Vec<String>,
}

/// Copies a built-in set into a region, naming each department for the region's level
/// (省/市/县). Existing names are skipped, so copying twice changes nothing.
pub async fn copy_builtin_set(
    svc: &Services,
    actor: &Actor,
    set_key: &str,
    region: &str,
) -> Result<CopyOutcome> {
    let mut ch = Checker::default();
    let set = builtin_set(set_key);
    if set.is_none() {
        ch.push(
            "set",
            Invalid::new(
                "unknown_set",
                format!("没有名为“{set_key}”的内置部门集"),
                format!("no built-in department set '{set_key}'"),
            ),
        );
    }
    let region = ch.check("region_code", RegionCode::parse(region));
    ch.finish()?;
    let (set, region) = (set.expect("checked"), region.expect("checked"));
    ensure_maintainer(actor, &region)?;
    let reg = regions::get(svc.store.conn(), &region)
        .await?
        .ok_or_else(|| unknown_region("region_code", &region))?;
    let tx = svc.store.begin().await?;
    let mut out = CopyOutcome {
        created: Vec::new(),
        skipped: Vec::new(),
    };
    let mut sort = repo::next_sort_order(&tx, &region).await?;
    let now = Utc::now();
    for b in set.departments {
        let name = b.name_at(region.level(), &reg.name);
        if repo::find_by_name(&tx, &region, &name).await?.is_some() {
            out.skipped.push(name);
            continue;
        }
        let d = Department {
            id: Uuid::now_v7(),
            region_code: region.clone(),
            name,
            line: b.line.to_string(),
            status: DepartmentStatus::Active,
            builtin_set: Some(set.key.to_string()),
            sort_order: sort,
            created_at: now,
            updated_at: now,
        };
        sort += 10;
        repo::insert(&tx, &d).await?;
        out.created.push(d);
    }
    record(
        &tx,
        actor,
        Record::new("department.copy_set", "department_set", set.key)
            .at(&region, None)
            .after(&serde_json::json!({ "created": out.created.iter().map(|d| &d.name).collect::<Vec<_>>(), "skipped": out.skipped })),
    )
    .await?;
    tx.commit().await?;
    Ok(out)
}
