//! Supervision sectors (监管领域): an editable list.

use chrono::{DateTime, Utc};
use sea_orm::entity::prelude::*;
use sea_orm::{ActiveValue::Set, QueryOrder};
use serde::Serialize;

use crate::{Result, StoreError};

pub mod entity {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "sectors")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub name: String,
        pub status: String,
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
pub struct Sector {
    pub id: Uuid,
    pub name: String,
    /// `active` or `retired`.
    pub status: String,
    pub sort_order: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<entity::Model> for Sector {
    fn from(m: entity::Model) -> Self {
        Sector {
            id: m.id,
            name: m.name,
            status: m.status,
            sort_order: m.sort_order,
            created_at: m.created_at,
            updated_at: m.updated_at,
        }
    }
}

pub async fn list(c: &impl ConnectionTrait) -> Result<Vec<Sector>> {
    Ok(Entity::find()
        .order_by_asc(Column::SortOrder)
        .all(c)
        .await?
        .into_iter()
        .map(Sector::from)
        .collect())
}

pub async fn get(c: &impl ConnectionTrait, id: Uuid) -> Result<Option<Sector>> {
    Ok(Entity::find_by_id(id).one(c).await?.map(Sector::from))
}

fn conflict(name: &str) -> impl Fn(DbErr) -> StoreError + '_ {
    move |e| match StoreError::from(e) {
        StoreError::Conflict(_) => StoreError::Conflict(format!("sector {name} already exists")),
        other => other,
    }
}

pub async fn insert(c: &impl ConnectionTrait, s: &Sector) -> Result<()> {
    entity::ActiveModel {
        id: Set(s.id),
        name: Set(s.name.clone()),
        status: Set(s.status.clone()),
        sort_order: Set(s.sort_order),
        created_at: Set(s.created_at),
        updated_at: Set(s.updated_at),
    }
    .insert(c)
    .await
    .map_err(conflict(&s.name))?;
    Ok(())
}

pub async fn update(c: &impl ConnectionTrait, s: &Sector) -> Result<()> {
    let r = Entity::update_many()
        .col_expr(Column::Name, Expr::value(s.name.clone()))
        .col_expr(Column::Status, Expr::value(s.status.clone()))
        .col_expr(Column::UpdatedAt, Expr::value(s.updated_at))
        .filter(Column::Id.eq(s.id))
        .exec(c)
        .await
        .map_err(conflict(&s.name))?;
    if r.rows_affected == 0 {
        return Err(StoreError::NotFound);
    }
    Ok(())
}

pub async fn count(c: &impl ConnectionTrait) -> Result<u64> {
    Ok(Entity::find().count(c).await?)
}
