//! Supervision items (事项清单, 国办 (四)(五), 鲁 task 2): each names what is checked, on what
//! basis, by which lead and cooperating departments, on which entities. Drafts change freely;
//! a published item changes only by a new version, and the version in force on any date can
//! be shown (动态更新).

use chrono::{DateTime, Utc};
use lianjian_domain::Invalid;
use lianjian_domain::account::Role;
use lianjian_domain::item::{
    self as rules, DepartmentRole, Dimension, ImplementationLevel, ItemCategory, ItemStatus,
};
use lianjian_domain::region::RegionCode;
use lianjian_domain::scope::{Actor, Scope};
use lianjian_store::entities::{Entity, EntitySearch};
use lianjian_store::items::{self as repo};
use lianjian_store::{Page, PageRequest, StoreError, departments, regions, sectors};
use serde::Serialize;
use uuid::Uuid;

use crate::error::Checker;
use crate::trail::{Record, record};
use crate::{Result, ServiceError, Services, directory};

/// Items as this service reads and lists them.
pub use lianjian_store::items::{CheckPoint, Item, ItemDepartment, ItemQuery, ItemVersion};

/// One department's part as a form gives it.
#[derive(Debug, Clone, Default)]
pub struct DepartmentPart {
    pub department_id: String,
    pub duties: String,
    pub legal_basis: String,
}

#[derive(Debug, Clone, Default)]
pub struct ItemInput {
    pub code: String,
    pub name: String,
    /// Sector name or id; empty for none.
    pub sector: String,
    pub category: String,
    pub region_code: String,
    pub implementation_level: String,
    pub lead: DepartmentPart,
    pub cooperating: Vec<DepartmentPart>,
    pub object_description: String,
    pub object_expr: String,
    pub methods: String,
    pub default_frequency: String,
    /// (dimension, content, legal basis)
    pub check_points: Vec<[String; 3]>,
}

fn text(s: &str, min: usize, max: usize, zh: &str, en: &str) -> Result<String, Invalid> {
    lianjian_domain::error::bounded_text(s, min, max, zh, en)
}

/// Parses and checks an item against the database (departments, sector, tags).
async fn parse(svc: &Services, input: &ItemInput) -> Result<Item> {
    let c = svc.store.conn();
    let mut ch = Checker::default();
    let code = ch.check("code", rules::item_code(&input.code));
    let name = ch.check("name", rules::item_name(&input.name));
    let category = ch.check(
        "category",
        ItemCategory::parse(if input.category.trim().is_empty() {
            "一般"
        } else {
            &input.category
        }),
    );
    let level = ch.check(
        "implementation_level",
        ImplementationLevel::parse(&input.implementation_level),
    );
    let region = match ch.check("region_code", RegionCode::parse(&input.region_code)) {
        Some(r) if regions::get(c, &r).await?.is_some() => Some(r),
        Some(r) => {
            ch.push(
                "region_code",
                Invalid::new(
                    "unknown_region",
                    format!("行政区划代码“{r}”不存在"),
                    format!("region code '{r}' does not exist"),
                ),
            );
            None
        }
        None => None,
    };
    let sector_id = match input.sector.trim() {
        "" => Some(None),
        s => {
            let all = sectors::list(c).await?;
            match all.iter().find(|x| x.name == s || x.id.to_string() == s) {
                Some(x) => Some(Some(x.id)),
                None => {
                    ch.push(
                        "sector",
                        Invalid::new(
                            "unknown_sector",
                            format!("监管领域“{s}”不存在"),
                            format!("sector '{s}' does not exist"),
                        ),
                    );
                    None
                }
            }
        }
    };
    let methods = ch.check("methods", rules::methods(&input.methods));
    let object_description = ch.check(
        "object_description",
        text(
            &input.object_description,
            2,
            500,
            "监管对象",
            "regulated objects",
        ),
    );
    let object_expr = match directory::resolve(svc, &input.object_expr).await {
        Ok(r) => Some(r.expr.to_string()),
        Err(ServiceError::Invalid(fs)) => {
            for f in fs {
                ch.push(
                    "object_expr",
                    Invalid {
                        code: "object_expr",
                        zh: f.message,
                        en: f.message_en,
                    },
                );
            }
            None
        }
        Err(e) => return Err(e),
    };
    let default_frequency =
        Some(input.default_frequency.trim().to_string()).filter(|f| !f.is_empty());

    // Departments: the lead, then cooperating ones; none may appear twice (国办 (五): one lead per item).
    let mut parts: Vec<ItemDepartment> = Vec::new();
    let dept_ok = |field: String,
                   p: &DepartmentPart,
                   role: DepartmentRole,
                   parts: &mut Vec<ItemDepartment>,
                   ch: &mut Checker,
                   found: bool| {
        let Ok(id) = Uuid::parse_str(p.department_id.trim()) else {
            ch.push(
                &field,
                Invalid::new("required", "请选择部门", "choose a department"),
            );
            return;
        };
        if !found {
            ch.push(
                &field,
                Invalid::new(
                    "unknown_department",
                    "所选部门不存在或已撤销",
                    "department does not exist or is retired",
                ),
            );
            return;
        }
        if parts.iter().any(|x| x.department_id == id) {
            let (zh, en) = if parts.first().is_some_and(|l| l.department_id == id) {
                (
                    "牵头部门不能同时列为配合部门",
                    "the lead department cannot also be cooperating",
                )
            } else {
                (
                    "同一配合部门重复列出",
                    "the same cooperating department is listed twice",
                )
            };
            ch.push(&field, Invalid::new("duplicate_department", zh, en));
            return;
        }
        let duties = ch.check(
            &format!("{field}.duties"),
            text(&p.duties, 2, 1000, "监管职责", "duties"),
        );
        let basis = ch.check(
            &format!("{field}.legal_basis"),
            text(&p.legal_basis, 2, 1000, "监管依据", "legal basis"),
        );
        if let (Some(duties), Some(legal_basis)) = (duties, basis) {
            parts.push(ItemDepartment {
                department_id: id,
                role,
                duties,
                legal_basis,
            });
        }
    };
    let exists = |id: &str| {
        let id = Uuid::parse_str(id.trim()).ok();
        async move {
            match id {
                Some(id) => departments::get(c, id).await.map(|d| {
                    d.is_some_and(|d| {
                        d.status == lianjian_domain::department::DepartmentStatus::Active
                    })
                }),
                None => Ok(false),
            }
        }
    };
    let found = exists(&input.lead.department_id).await?;
    dept_ok(
        "lead".into(),
        &input.lead,
        DepartmentRole::Lead,
        &mut parts,
        &mut ch,
        found,
    );
    for (i, p) in input.cooperating.iter().enumerate() {
        if p.department_id.trim().is_empty() && p.duties.trim().is_empty() {
            continue;
        }
        let found = exists(&p.department_id).await?;
        dept_ok(
            format!("cooperating[{i}]"),
            p,
            DepartmentRole::Cooperating,
            &mut parts,
            &mut ch,
            found,
        );
    }
    let mut points = Vec::new();
    for (i, p) in input.check_points.iter().enumerate() {
        if p.iter().all(|f| f.trim().is_empty()) {
            continue;
        }
        let f = format!("check_points[{i}]");
        let d = ch.check(&format!("{f}.dimension"), Dimension::parse(&p[0]));
        let content = ch.check(
            &format!("{f}.content"),
            text(&p[1], 2, 1000, "检查内容", "content"),
        );
        let basis = ch.check(
            &format!("{f}.legal_basis"),
            text(&p[2], 2, 1000, "检查依据", "legal basis"),
        );
        if let (Some(dimension), Some(content), Some(legal_basis)) = (d, content, basis) {
            points.push(CheckPoint {
                dimension,
                content,
                legal_basis,
            });
        }
    }
    ch.finish()?;
    let now = Utc::now();
    Ok(Item {
        id: Uuid::now_v7(),
        code: code.expect("checked"),
        name: name.expect("checked"),
        sector_id: sector_id.expect("checked"),
        category: category.expect("checked"),
        lead_department_id: parts[0].department_id,
        region_code: region.expect("checked"),
        implementation_level: level.expect("checked"),
        object_description: object_description.expect("checked"),
        object_expr: object_expr.expect("checked"),
        methods: methods.expect("checked"),
        default_frequency,
        status: ItemStatus::Draft,
        version: 0,
        departments: parts,
        check_points: points,
        created_at: now,
        updated_at: now,
        published_at: None,
    })
}

/// Whether the actor adds items and edits those it answers for (checked per item: the
/// coordination office of its region, the lead department's administrators). The console
/// offers the item actions only when this holds.
pub fn may_edit_items(a: &Actor) -> bool {
    matches!(
        a.role,
        Role::SystemAdmin | Role::CoordinationOffice | Role::DepartmentAdmin
    )
}

/// Who edits an item: system administrators, coordination offices of its region, and the
/// lead department's administrators.
pub(crate) async fn ensure_editor(svc: &Services, a: &Actor, item: &Item) -> Result<()> {
    let in_scope = a
        .full_scope()
        .region
        .as_ref()
        .is_none_or(|r| item.region_code.is_within(r));
    let ok = match a.role {
        Role::SystemAdmin => true,
        Role::CoordinationOffice => in_scope,
        Role::DepartmentAdmin => {
            let lead = departments::get(svc.store.conn(), item.lead_department_id).await?;
            in_scope && lead.is_some_and(|d| d.line == a.department_line)
        }
        _ => false,
    };
    if ok {
        Ok(())
    } else {
        Err(ServiceError::Forbidden)
    }
}

fn taken(code: &str) -> ServiceError {
    ServiceError::conflict(
        "code",
        format!("事项编码“{code}”已被使用"),
        format!("item code '{code}' is taken"),
    )
}

pub async fn create(svc: &Services, actor: &Actor, input: &ItemInput) -> Result<Item> {
    let item = parse(svc, input).await?;
    ensure_editor(svc, actor, &item).await?;
    let tx = svc.store.begin().await?;
    repo::insert(&tx, &item).await.map_err(|e| match e {
        StoreError::Conflict(_) => taken(&item.code),
        other => other.into(),
    })?;
    record(
        &tx,
        actor,
        Record::new("item.create", "item", item.id)
            .at(&item.region_code, Some(item.lead_department_id))
            .after(&item),
    )
    .await?;
    tx.commit().await?;
    Ok(item)
}

/// Changes an item. A published item gets a new version, in force from now; a draft is edited in place.
pub async fn update(
    svc: &Services,
    actor: &Actor,
    id: Uuid,
    input: &ItemInput,
    summary: &str,
) -> Result<Item> {
    let before = repo::get(svc.store.conn(), id)
        .await?
        .ok_or(ServiceError::NotFound)?;
    ensure_editor(svc, actor, &before).await?;
    let parsed = parse(svc, input).await?;
    ensure_editor(svc, actor, &parsed).await?;
    let now = Utc::now();
    let mut after = Item {
        id,
        created_at: before.created_at,
        status: before.status,
        version: before.version,
        published_at: before.published_at,
        updated_at: now,
        ..parsed
    };
    let tx = svc.store.begin().await?;
    if before.status == ItemStatus::Published {
        if summary.trim().is_empty() {
            return Err(ServiceError::field(
                "summary",
                Invalid::new(
                    "required",
                    "已发布事项的修改须说明变更内容",
                    "describe the change to a published item",
                ),
            ));
        }
        after.version += 1;
        repo::insert_version(&tx, &after, &actor.username, summary.trim(), now).await?;
    }
    repo::update(&tx, &after).await.map_err(|e| match e {
        StoreError::Conflict(_) => taken(&after.code),
        other => other.into(),
    })?;
    record(
        &tx,
        actor,
        Record::new("item.update", "item", id)
            .at(&after.region_code, Some(after.lead_department_id))
            .before(&before)
            .after(&after),
    )
    .await?;
    tx.commit().await?;
    Ok(after)
}

/// draft → published (version 1, or the next) → retired; retired items may be published again.
pub async fn set_status(
    svc: &Services,
    actor: &Actor,
    id: Uuid,
    status: ItemStatus,
) -> Result<Item> {
    let before = repo::get(svc.store.conn(), id)
        .await?
        .ok_or(ServiceError::NotFound)?;
    ensure_editor(svc, actor, &before).await?;
    let allowed = matches!(
        (before.status, status),
        (ItemStatus::Draft, ItemStatus::Published)
            | (ItemStatus::Published, ItemStatus::Retired)
            | (ItemStatus::Retired, ItemStatus::Published)
    );
    if !allowed {
        return Err(ServiceError::field(
            "status",
            Invalid::new(
                "transition",
                format!(
                    "事项不能从“{}”变为“{}”",
                    before.status.label_zh(),
                    status.label_zh()
                ),
                format!(
                    "an item cannot go from {} to {}",
                    before.status.as_str(),
                    status.as_str()
                ),
            ),
        ));
    }
    let now = Utc::now();
    let mut after = before.clone();
    after.status = status;
    after.updated_at = now;
    let tx = svc.store.begin().await?;
    if status == ItemStatus::Published {
        after.version += 1;
        after.published_at = Some(now);
        let summary = if before.version == 0 {
            "首次发布"
        } else {
            "重新发布"
        };
        repo::insert_version(&tx, &after, &actor.username, summary, now).await?;
    }
    repo::update(&tx, &after).await?;
    let action = if status == ItemStatus::Published {
        "item.publish"
    } else {
        "item.retire"
    };
    record(
        &tx,
        actor,
        Record::new(action, "item", id)
            .at(&after.region_code, Some(after.lead_department_id))
            .before(&before)
            .after(&after),
    )
    .await?;
    tx.commit().await?;
    Ok(after)
}

/// Items that apply in `scope`: on its region's list or an ancestor's, or anywhere in its
/// subtree ([`Scope::public`] for the portal, with a published status filter).
pub async fn list(
    svc: &Services,
    scope: &Scope,
    q: ItemQuery,
    page: PageRequest,
) -> Result<Page<Item>> {
    Ok(repo::list(svc.store.conn(), scope, &q, page).await?)
}

pub async fn get(svc: &Services, id: Uuid) -> Result<Item> {
    repo::get(svc.store.conn(), id)
        .await?
        .ok_or(ServiceError::NotFound)
}

/// The item with this code, any status (callers show only what the reader may see:
/// the portal only published items).
pub async fn by_code(svc: &Services, code: &str) -> Result<Option<Item>> {
    Ok(repo::by_code(svc.store.conn(), code).await?)
}

pub async fn versions(svc: &Services, id: Uuid) -> Result<Vec<ItemVersion>> {
    Ok(repo::versions(svc.store.conn(), id).await?)
}

/// The version in force at `at` (None before the first publication).
pub async fn version_at(
    svc: &Services,
    id: Uuid,
    at: DateTime<Utc>,
) -> Result<Option<ItemVersion>> {
    Ok(repo::version_at(svc.store.conn(), id, at).await?)
}

/// An item's directory: the entities its object definition selects, in the actor's region
/// (or the item's, whichever is narrower), with counts by county and credit class.
#[derive(Debug, Clone, Serialize)]
pub struct ItemDirectory {
    pub page: Page<Entity>,
    /// (county code, credit class or none, count)
    pub counts: Vec<(String, Option<String>, u64)>,
}

pub async fn directory_query(svc: &Services, actor: &Actor, item: &Item) -> Result<EntitySearch> {
    let resolved = directory::resolve(svc, &item.object_expr).await?;
    let region = match actor.scope().region {
        Some(r) if r.is_within(&item.region_code) => r,
        Some(r) if !item.region_code.is_within(&r) => return Err(ServiceError::NotFound),
        _ => item.region_code.clone(),
    };
    Ok(EntitySearch {
        region: Some(region),
        covered_by: Some(resolved),
        ..Default::default()
    })
}

pub async fn directory(
    svc: &Services,
    actor: &Actor,
    id: Uuid,
    page: PageRequest,
) -> Result<ItemDirectory> {
    let item = get(svc, id).await?;
    let q = directory_query(svc, actor, &item).await?;
    Ok(ItemDirectory {
        page: svc.search_entities(&q, page).await?,
        counts: svc.county_class_counts(&q).await?,
    })
}
