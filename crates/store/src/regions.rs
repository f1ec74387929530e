//! Region reference data (行政区划), loaded by migration from GB/T 2260 tables.

use lianjian_domain::region::{RegionCode, RegionLevel};
use sea_orm::entity::prelude::*;
use sea_orm::sea_query::ExprTrait;
use sea_orm::{QueryOrder, QuerySelect};
use serde::Serialize;

use crate::{Result, StoreError};

pub mod entity {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "regions")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub code: String,
        pub name: String,
        pub level: String,
        pub parent_code: Option<String>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

use entity::{Column, Entity};

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Region {
    pub code: RegionCode,
    pub name: String,
    pub level: RegionLevel,
    pub parent_code: Option<String>,
}

impl TryFrom<entity::Model> for Region {
    type Error = StoreError;
    fn try_from(m: entity::Model) -> Result<Self> {
        let code = RegionCode::parse(&m.code)
            .map_err(|e| StoreError::Corrupt(format!("region {}: {e}", m.code)))?;
        Ok(Region {
            level: code.level(),
            code,
            name: m.name,
            parent_code: m.parent_code,
        })
    }
}

pub async fn get(c: &impl ConnectionTrait, code: &RegionCode) -> Result<Option<Region>> {
    Entity::find_by_id(code.as_str())
        .one(c)
        .await?
        .map(Region::try_from)
        .transpose()
}

/// The region and its ancestors, province first (for breadcrumbs like 河南省 / 漯河市 / 舞阳县).
pub async fn lineage(c: &impl ConnectionTrait, code: &RegionCode) -> Result<Vec<Region>> {
    let codes: Vec<String> = code.lineage().into_iter().map(String::from).collect();
    let mut v: Vec<Region> = Entity::find()
        .filter(Column::Code.is_in(codes))
        .all(c)
        .await?
        .into_iter()
        .map(Region::try_from)
        .collect::<Result<_>>()?;
    v.sort_by_key(|r| r.code.as_str().len());
    Ok(v)
}

/// "河南省 / 漯河市 / 舞阳县"; the bare code if it is unknown.
pub async fn path_name(c: &impl ConnectionTrait, code: &RegionCode) -> Result<String> {
    let l = lineage(c, code).await?;
    if l.is_empty() {
        return Ok(code.to_string());
    }
    Ok(l.into_iter()
        .map(|r| r.name)
        .collect::<Vec<_>>()
        .join(" / "))
}

/// Direct children of `parent`, or the provinces when `None`.
pub async fn children(
    c: &impl ConnectionTrait,
    parent: Option<&RegionCode>,
) -> Result<Vec<Region>> {
    let q = match parent {
        Some(p) => Entity::find().filter(Column::ParentCode.eq(p.as_str())),
        None => Entity::find().filter(Column::Level.eq("province")),
    };
    q.order_by_asc(Column::Code)
        .all(c)
        .await?
        .into_iter()
        .map(Region::try_from)
        .collect()
}

/// `root` and every region below it (every region for `None`), parents before their children:
/// a region's code extends its parent's, so code order is the tree's order.
pub async fn subtree(c: &impl ConnectionTrait, root: Option<&RegionCode>) -> Result<Vec<Region>> {
    let mut q = Entity::find();
    if let Some(r) = root {
        q = q.filter(Column::Code.starts_with(r.as_str()));
    }
    q.order_by_asc(Column::Code)
        .all(c)
        .await?
        .into_iter()
        .map(Region::try_from)
        .collect()
}

/// Regions whose name contains `q` or whose code starts with it, within `within` if given.
pub async fn search(
    c: &impl ConnectionTrait,
    q: &str,
    within: Option<&RegionCode>,
    limit: u64,
) -> Result<Vec<Region>> {
    let q = q.trim();
    let mut s = Entity::find();
    if !q.is_empty() {
        s = s.filter(Column::Name.contains(q).or(Column::Code.starts_with(q)));
    }
    if let Some(w) = within {
        s = s.filter(Column::Code.starts_with(w.as_str()));
    }
    s.order_by_asc(Column::Code)
        .limit(limit)
        .all(c)
        .await?
        .into_iter()
        .map(Region::try_from)
        .collect()
}

pub async fn count(c: &impl ConnectionTrait) -> Result<u64> {
    Ok(Entity::find().count(c).await?)
}

/// Every region code (about 45,000), for validating many rows at once.
pub async fn all_codes(c: &impl ConnectionTrait) -> Result<std::collections::HashSet<String>> {
    Ok(Entity::find()
        .select_only()
        .column(Column::Code)
        .into_tuple::<String>()
        .all(c)
        .await?
        .into_iter()
        .collect())
}
