//! Supervision items (监管事项): the item row, its departments with duties, check points, and
//! an immutable version history (动态更新).

use chrono::{DateTime, Utc};
use lianjian_domain::item::{
    DepartmentRole, Dimension, ImplementationLevel, ItemCategory, ItemStatus, Method,
};
use lianjian_domain::region::RegionCode;
use lianjian_domain::scope::Scope;
use sea_orm::{ConnectionTrait, Statement, Value};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::{Page, PageRequest, Result, StoreError, backend_of};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ItemDepartment {
    pub department_id: Uuid,
    pub role: DepartmentRole,
    /// 监管职责.
    pub duties: String,
    /// 监管依据: law and article.
    pub legal_basis: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckPoint {
    pub dimension: Dimension,
    pub content: String,
    pub legal_basis: String,
}

/// An item with everything that belongs to it; versions snapshot exactly this.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Item {
    pub id: Uuid,
    pub code: String,
    pub name: String,
    pub sector_id: Option<Uuid>,
    pub category: ItemCategory,
    pub lead_department_id: Uuid,
    /// The region whose list the item is on.
    pub region_code: RegionCode,
    pub implementation_level: ImplementationLevel,
    /// 监管对象 as the list states it, in words.
    pub object_description: String,
    /// The same as a tag expression: the entities it selects are the item's directory.
    pub object_expr: String,
    pub methods: Vec<Method>,
    pub default_frequency: Option<String>,
    pub status: ItemStatus,
    pub version: i32,
    pub departments: Vec<ItemDepartment>,
    pub check_points: Vec<CheckPoint>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub published_at: Option<DateTime<Utc>>,
}

const COLS: &str = "id, code, name, sector_id, category, lead_department_id, region_code, implementation_level, object_description, object_expr, methods, default_frequency, status, version, created_at, updated_at, published_at";

fn corrupt(e: lianjian_domain::Invalid) -> StoreError {
    StoreError::Corrupt(e.to_string())
}

fn head_from_row(r: &sea_orm::QueryResult) -> Result<Item> {
    let methods: String = r.try_get("", "methods")?;
    Ok(Item {
        id: r.try_get("", "id")?,
        code: r.try_get("", "code")?,
        name: r.try_get("", "name")?,
        sector_id: r.try_get("", "sector_id")?,
        category: ItemCategory::parse(&r.try_get::<String>("", "category")?).map_err(corrupt)?,
        lead_department_id: r.try_get("", "lead_department_id")?,
        region_code: RegionCode::parse(&r.try_get::<String>("", "region_code")?)
            .map_err(corrupt)?,
        implementation_level: ImplementationLevel::parse(
            &r.try_get::<String>("", "implementation_level")?,
        )
        .map_err(corrupt)?,
        object_description: r.try_get("", "object_description")?,
        object_expr: r.try_get("", "object_expr")?,
        methods: methods
            .split(',')
            .filter(|m| !m.is_empty())
            .map(Method::parse)
            .collect::<Result<_, _>>()
            .map_err(corrupt)?,
        default_frequency: r.try_get("", "default_frequency")?,
        status: ItemStatus::parse(&r.try_get::<String>("", "status")?).map_err(corrupt)?,
        version: r.try_get("", "version")?,
        departments: Vec::new(),
        check_points: Vec::new(),
        created_at: r.try_get("", "created_at")?,
        updated_at: r.try_get("", "updated_at")?,
        published_at: r.try_get("", "published_at")?,
    })
}

fn head_values(i: &Item) -> Vec<Value> {
    vec![
        i.id.into(),
        i.code.clone().into(),
        i.name.clone().into(),
        i.sector_id.into(),
        i.category.as_str().into(),
        i.lead_department_id.into(),
        i.region_code.to_string().into(),
        i.implementation_level.as_str().into(),
        i.object_description.clone().into(),
        i.object_expr.clone().into(),
        i.methods
            .iter()
            .map(|m| m.as_str())
            .collect::<Vec<_>>()
            .join(",")
            .into(),
        i.default_frequency.clone().into(),
        i.status.as_str().into(),
        i.version.into(),
        i.created_at.into(),
        i.updated_at.into(),
        i.published_at.into(),
    ]
}

async fn load_parts(c: &impl ConnectionTrait, item: &mut Item) -> Result<()> {
    let b = backend_of(c);
    let rows = c
        .query_all_raw(Statement::from_sql_and_values(
            b,
            "SELECT department_id, role, duties, legal_basis FROM item_departments WHERE item_id = $1 ORDER BY seq",
            [item.id.into()],
        ))
        .await?;
    item.departments = rows
        .iter()
        .map(|r| {
            Ok(ItemDepartment {
                department_id: r.try_get("", "department_id")?,
                role: DepartmentRole::parse(&r.try_get::<String>("", "role")?).map_err(corrupt)?,
                duties: r.try_get("", "duties")?,
                legal_basis: r.try_get("", "legal_basis")?,
            })
        })
        .collect::<Result<_>>()?;
    let rows = c
        .query_all_raw(Statement::from_sql_and_values(
            b,
            "SELECT dimension, content, legal_basis FROM item_check_points WHERE item_id = $1 ORDER BY seq",
            [item.id.into()],
        ))
        .await?;
    item.check_points = rows
        .iter()
        .map(|r| {
            Ok(CheckPoint {
                dimension: Dimension::parse(&r.try_get::<String>("", "dimension")?)
                    .map_err(corrupt)?,
                content: r.try_get("", "content")?,
                legal_basis: r.try_get("", "legal_basis")?,
            })
        })
        .collect::<Result<_>>()?;
    Ok(())
}

pub async fn get(c: &impl ConnectionTrait, id: Uuid) -> Result<Option<Item>> {
    let sql = format!("SELECT {COLS} FROM items WHERE id = $1");
    let Some(r) = c
        .query_one_raw(Statement::from_sql_and_values(
            backend_of(c),
            sql,
            [id.into()],
        ))
        .await?
    else {
        return Ok(None);
    };
    let mut item = head_from_row(&r)?;
    load_parts(c, &mut item).await?;
    Ok(Some(item))
}

pub async fn by_code(c: &impl ConnectionTrait, code: &str) -> Result<Option<Item>> {
    let sql = "SELECT id FROM items WHERE code = $1";
    match c
        .query_one_raw(Statement::from_sql_and_values(
            backend_of(c),
            sql,
            [code.into()],
        ))
        .await?
    {
        Some(r) => get(c, r.try_get("", "id")?).await,
        None => Ok(None),
    }
}

async fn write_parts(c: &impl ConnectionTrait, item: &Item) -> Result<()> {
    let b = backend_of(c);
    c.execute_raw(Statement::from_sql_and_values(
        b,
        "DELETE FROM item_departments WHERE item_id = $1",
        [item.id.into()],
    ))
    .await?;
    c.execute_raw(Statement::from_sql_and_values(
        b,
        "DELETE FROM item_check_points WHERE item_id = $1",
        [item.id.into()],
    ))
    .await?;
    for (i, d) in item.departments.iter().enumerate() {
        c.execute_raw(Statement::from_sql_and_values(
            b,
            "INSERT INTO item_departments (item_id, department_id, role, duties, legal_basis, seq) VALUES ($1,$2,$3,$4,$5,$6)",
            [item.id.into(), d.department_id.into(), d.role.as_str().into(), d.duties.clone().into(), d.legal_basis.clone().into(), (i as i32).into()],
        ))
        .await?;
    }
    for (i, p) in item.check_points.iter().enumerate() {
        c.execute_raw(Statement::from_sql_and_values(
            b,
            "INSERT INTO item_check_points (id, item_id, dimension, seq, content, legal_basis) VALUES ($1,$2,$3,$4,$5,$6)",
            [Uuid::now_v7().into(), item.id.into(), p.dimension.as_str().into(), (i as i32).into(), p.content.clone().into(), p.legal_basis.clone().into()],
        ))
        .await?;
    }
    Ok(())
}

fn taken(code: &str) -> impl Fn(sea_orm::DbErr) -> StoreError + '_ {
    move |e| match StoreError::from(e) {
        StoreError::Conflict(_) => StoreError::Conflict(format!("item code {code} is taken")),
        other => other,
    }
}

pub async fn insert(c: &impl ConnectionTrait, item: &Item) -> Result<()> {
    let ph: Vec<String> = (1..=17).map(|i| format!("${i}")).collect();
    let sql = format!("INSERT INTO items ({COLS}) VALUES ({})", ph.join(","));
    c.execute_raw(Statement::from_sql_and_values(
        backend_of(c),
        sql,
        head_values(item),
    ))
    .await
    .map_err(taken(&item.code))?;
    write_parts(c, item).await?;
    crate::seal::seal_ids(c, crate::seal::Sealed::Items, &[item.id]).await
}

pub async fn update(c: &impl ConnectionTrait, item: &Item) -> Result<()> {
    let sets: Vec<String> = COLS
        .split(", ")
        .enumerate()
        .skip(1)
        .map(|(i, col)| format!("{col} = ${}", i + 1))
        .collect();
    let sql = format!("UPDATE items SET {} WHERE id = $1", sets.join(", "));
    let r = c
        .execute_raw(Statement::from_sql_and_values(
            backend_of(c),
            sql,
            head_values(item),
        ))
        .await
        .map_err(taken(&item.code))?;
    if r.rows_affected() == 0 {
        return Err(StoreError::NotFound);
    }
    write_parts(c, item).await?;
    crate::seal::seal_ids(c, crate::seal::Sealed::Items, &[item.id]).await
}

#[derive(Debug, Clone, Default)]
pub struct ItemQuery {
    pub q: Option<String>,
    pub status: Option<ItemStatus>,
    pub sector_id: Option<Uuid>,
    /// Items led by, or involving, this department.
    pub department_id: Option<Uuid>,
}

/// Items apply downwards: a region's view holds the items on its own list, its ancestors'
/// lists (what applies there) and its subtree's. Every line sees the catalogue.
const SHAPE: crate::scope::Shape = crate::scope::Shape {
    region: "region_code",
    ancestors_visible: true,
    line: crate::scope::Line::Shared,
};

/// Items in `scope`, newest first by code; heads only (use [`get`] for departments and check
/// points).
pub async fn list(
    c: &impl ConnectionTrait,
    scope: &Scope,
    q: &ItemQuery,
    page: PageRequest,
) -> Result<Page<Item>> {
    let mut conds: Vec<String> = Vec::new();
    let mut vals: Vec<Value> = Vec::new();
    fn push(conds: &mut Vec<String>, vals: &mut Vec<Value>, cond: &str, v: Value) {
        vals.push(v);
        conds.push(cond.replace('?', &format!("${}", vals.len())));
    }
    if let Some(t) = q.q.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
        vals.push(crate::contains_pattern(t).into());
        let n = vals.len();
        conds.push(format!(
            "(name LIKE ${n}{e} OR code LIKE ${n}{e} OR object_description LIKE ${n}{e})",
            e = crate::LIKE_ESCAPE,
        ));
    }
    if let Some(s) = q.status {
        push(&mut conds, &mut vals, "status = ?", s.as_str().into());
    }
    if let Some(s) = q.sector_id {
        push(&mut conds, &mut vals, "sector_id = ?", s.into());
    }
    if let Some(d) = q.department_id {
        vals.push(d.into());
        let n = vals.len();
        conds.push(format!("(lead_department_id = ${n} OR id IN (SELECT item_id FROM item_departments WHERE department_id = ${n}))"));
    }
    conds.push(crate::scope::sql(scope, &SHAPE, &mut vals));
    let where_sql = if conds.is_empty() {
        "1=1".to_string()
    } else {
        conds.join(" AND ")
    };
    crate::paged(
        c,
        "items",
        COLS,
        &where_sql,
        "code",
        vals,
        page,
        head_from_row,
    )
    .await
}

/// Published items whose object definition mentions `tag_code` would need re-evaluation; the
/// simplest correct answer is every published item (lists are hundreds long).
pub async fn published(c: &impl ConnectionTrait) -> Result<Vec<Item>> {
    let sql = format!("SELECT {COLS} FROM items WHERE status = 'published' ORDER BY code");
    c.query_all_raw(Statement::from_string(backend_of(c), sql))
        .await?
        .iter()
        .map(head_from_row)
        .collect()
}

// ---- versions ----

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ItemVersion {
    pub version: i32,
    pub effective_at: DateTime<Utc>,
    pub changed_by: String,
    pub summary: String,
    pub snapshot: Item,
}

pub async fn insert_version(
    c: &impl ConnectionTrait,
    item: &Item,
    changed_by: &str,
    summary: &str,
    at: DateTime<Utc>,
) -> Result<()> {
    let snapshot = serde_json::to_string(item).map_err(|e| StoreError::Corrupt(e.to_string()))?;
    c.execute_raw(Statement::from_sql_and_values(
        backend_of(c),
        "INSERT INTO item_versions (id, item_id, version, effective_at, changed_by, summary, snapshot) VALUES ($1,$2,$3,$4,$5,$6,$7)",
        [Uuid::now_v7().into(), item.id.into(), item.version.into(), at.into(), changed_by.into(), summary.into(), snapshot.into()],
    ))
    .await?;
    Ok(())
}

fn version_from_row(r: &sea_orm::QueryResult) -> Result<ItemVersion> {
    let snapshot: String = r.try_get("", "snapshot")?;
    Ok(ItemVersion {
        version: r.try_get("", "version")?,
        effective_at: r.try_get("", "effective_at")?,
        changed_by: r.try_get("", "changed_by")?,
        summary: r.try_get("", "summary")?,
        snapshot: serde_json::from_str(&snapshot)
            .map_err(|e| StoreError::Corrupt(format!("item version snapshot: {e}")))?,
    })
}

pub async fn versions(c: &impl ConnectionTrait, item_id: Uuid) -> Result<Vec<ItemVersion>> {
    c.query_all_raw(Statement::from_sql_and_values(
        backend_of(c),
        "SELECT version, effective_at, changed_by, summary, snapshot FROM item_versions WHERE item_id = $1 ORDER BY version DESC",
        [item_id.into()],
    ))
    .await?
    .iter()
    .map(version_from_row)
    .collect()
}

/// The version in force at `at`: the latest published before it.
pub async fn version_at(
    c: &impl ConnectionTrait,
    item_id: Uuid,
    at: DateTime<Utc>,
) -> Result<Option<ItemVersion>> {
    c.query_one_raw(Statement::from_sql_and_values(
        backend_of(c),
        "SELECT version, effective_at, changed_by, summary, snapshot FROM item_versions WHERE item_id = $1 AND effective_at <= $2 ORDER BY version DESC LIMIT 1",
        [item_id.into(), at.into()],
    ))
    .await?
    .as_ref()
    .map(version_from_row)
    .transpose()
}

pub async fn count(c: &impl ConnectionTrait) -> Result<u64> {
    let r = c
        .query_one_raw(Statement::from_string(
            backend_of(c),
            "SELECT COUNT(*) AS n FROM items",
        ))
        .await?;
    Ok(r.map(|r| r.try_get::<i64>("", "n"))
        .transpose()?
        .map_or(0, |n| u64::try_from(n).unwrap_or(0)))
}
