//! Departments (部门) per region.

use chrono::{DateTime, Utc};
use lianjian_domain::department::DepartmentStatus;
use lianjian_domain::region::RegionCode;
use lianjian_domain::scope::Scope;
use sea_orm::entity::prelude::*;
use sea_orm::{ActiveValue::Set, QueryOrder, QuerySelect};
use serde::Serialize;

use crate::{Page, PageRequest, Result, StoreError};

pub mod entity {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "departments")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub region_code: String,
        pub name: String,
        pub line: String,
        pub status: String,
        pub builtin_set: Option<String>,
        pub sort_order: i32,
        pub created_at: DateTimeUtc,
        pub updated_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

use entity::{Column, Entity};

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Department {
    pub id: Uuid,
    pub region_code: RegionCode,
    pub name: String,
    pub line: String,
    pub status: DepartmentStatus,
    pub builtin_set: Option<String>,
    pub sort_order: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl TryFrom<entity::Model> for Department {
    type Error = StoreError;
    fn try_from(m: entity::Model) -> Result<Self> {
        Ok(Department {
            id: m.id,
            region_code: RegionCode::parse(&m.region_code)
                .map_err(|e| StoreError::Corrupt(e.to_string()))?,
            status: DepartmentStatus::parse(&m.status)
                .ok_or_else(|| StoreError::Corrupt(format!("department status {}", m.status)))?,
            name: m.name,
            line: m.line,
            builtin_set: m.builtin_set,
            sort_order: m.sort_order,
            created_at: m.created_at,
            updated_at: m.updated_at,
        })
    }
}

#[derive(Debug, Clone, Default)]
pub struct DepartmentQuery {
    /// Name fragment.
    pub q: Option<String>,
    /// Only this exact region (the scope already limits to a subtree).
    pub region: Option<RegionCode>,
    pub status: Option<DepartmentStatus>,
}

/// A department is in a line's scope when it is of that line.
const SHAPE: crate::scope::Shape = crate::scope::Shape {
    region: "region_code",
    ancestors_visible: false,
    line: crate::scope::Line::Own("line"),
};

fn scoped(scope: &Scope) -> sea_orm::Select<Entity> {
    let mut s = Entity::find();
    if let Some(cond) = crate::scope::expr(scope, &SHAPE) {
        s = s.filter(cond);
    }
    s
}

pub async fn list(
    c: &impl ConnectionTrait,
    scope: &Scope,
    q: &DepartmentQuery,
    page: PageRequest,
) -> Result<Page<Department>> {
    let mut s = scoped(scope);
    if let Some(text) = q.q.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
        s = s.filter(Column::Name.contains(text));
    }
    if let Some(r) = &q.region {
        s = s.filter(Column::RegionCode.eq(r.as_str()));
    }
    if let Some(st) = q.status {
        s = s.filter(Column::Status.eq(st.as_str()));
    }
    let total = s.clone().count(c).await?;
    let items = s
        .order_by_asc(Column::RegionCode)
        .order_by_asc(Column::SortOrder)
        .order_by_asc(Column::Name)
        .offset(page.offset())
        .limit(page.per_page)
        .all(c)
        .await?
        .into_iter()
        .map(Department::try_from)
        .collect::<Result<_>>()?;
    Ok(Page {
        items,
        total,
        page: page.page,
        per_page: page.per_page,
    })
}

/// Active departments of one region, for pickers.
pub async fn active_in_region(
    c: &impl ConnectionTrait,
    region: &RegionCode,
) -> Result<Vec<Department>> {
    Entity::find()
        .filter(Column::RegionCode.eq(region.as_str()))
        .filter(Column::Status.eq(DepartmentStatus::Active.as_str()))
        .order_by_asc(Column::SortOrder)
        .all(c)
        .await?
        .into_iter()
        .map(Department::try_from)
        .collect()
}

pub async fn get(c: &impl ConnectionTrait, id: Uuid) -> Result<Option<Department>> {
    Entity::find_by_id(id)
        .one(c)
        .await?
        .map(Department::try_from)
        .transpose()
}

/// The department only if `scope` permits it: callers cannot tell "absent" from "not yours".
pub async fn get_scoped(
    c: &impl ConnectionTrait,
    scope: &Scope,
    id: Uuid,
) -> Result<Option<Department>> {
    scoped(scope)
        .filter(Column::Id.eq(id))
        .one(c)
        .await?
        .map(Department::try_from)
        .transpose()
}

pub async fn find_by_name(
    c: &impl ConnectionTrait,
    region: &RegionCode,
    name: &str,
) -> Result<Option<Department>> {
    Entity::find()
        .filter(Column::RegionCode.eq(region.as_str()))
        .filter(Column::Name.eq(name))
        .one(c)
        .await?
        .map(Department::try_from)
        .transpose()
}

pub async fn next_sort_order(c: &impl ConnectionTrait, region: &RegionCode) -> Result<i32> {
    let max: Option<i32> = Entity::find()
        .select_only()
        .column_as(Column::SortOrder.max(), "m")
        .filter(Column::RegionCode.eq(region.as_str()))
        .into_tuple()
        .one(c)
        .await?
        .flatten();
    Ok(max.unwrap_or(0) + 10)
}

pub async fn insert(c: &impl ConnectionTrait, d: &Department) -> Result<()> {
    entity::ActiveModel {
        id: Set(d.id),
        region_code: Set(d.region_code.to_string()),
        name: Set(d.name.clone()),
        line: Set(d.line.clone()),
        status: Set(d.status.as_str().into()),
        builtin_set: Set(d.builtin_set.clone()),
        sort_order: Set(d.sort_order),
        created_at: Set(d.created_at),
        updated_at: Set(d.updated_at),
    }
    .insert(c)
    .await
    .map_err(|e| match StoreError::from(e) {
        StoreError::Conflict(_) => StoreError::Conflict(format!(
            "department {} already exists in {}",
            d.name, d.region_code
        )),
        other => other,
    })?;
    Ok(())
}

pub async fn update(c: &impl ConnectionTrait, d: &Department) -> Result<()> {
    let r = Entity::update_many()
        .col_expr(Column::Name, Expr::value(d.name.clone()))
        .col_expr(Column::Line, Expr::value(d.line.clone()))
        .col_expr(Column::Status, Expr::value(d.status.as_str()))
        .col_expr(Column::UpdatedAt, Expr::value(d.updated_at))
        .filter(Column::Id.eq(d.id))
        .exec(c)
        .await
        .map_err(|e| match StoreError::from(e) {
            StoreError::Conflict(_) => StoreError::Conflict(format!(
                "department {} already exists in {}",
                d.name, d.region_code
            )),
            other => other,
        })?;
    if r.rows_affected == 0 {
        return Err(StoreError::NotFound);
    }
    Ok(())
}

pub async fn count(c: &impl ConnectionTrait) -> Result<u64> {
    Ok(Entity::find().count(c).await?)
}

/// Departments by id, for showing names next to records.
pub async fn by_ids(
    c: &impl ConnectionTrait,
    ids: &[Uuid],
) -> Result<std::collections::HashMap<Uuid, Department>> {
    if ids.is_empty() {
        return Ok(Default::default());
    }
    let mut unique = ids.to_vec();
    unique.sort();
    unique.dedup();
    Entity::find()
        .filter(Column::Id.is_in(unique))
        .all(c)
        .await?
        .into_iter()
        .map(|m| Department::try_from(m).map(|d| (d.id, d)))
        .collect()
}
