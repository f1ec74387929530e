//! Tags (标签) and tag rules.

use chrono::{DateTime, NaiveDate, Utc};
use lianjian_domain::region::RegionCode;
use lianjian_domain::tag::{RuleKind, TagLevel};
use sea_orm::entity::prelude::*;
use sea_orm::{ActiveValue::Set, QueryOrder};
use serde::Serialize;

use crate::{Result, StoreError};

pub mod entity {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "tags")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub code: String,
        pub name: String,
        pub parent_id: Option<Uuid>,
        pub level: i16,
        pub region_code: String,
        pub owner_department_id: Option<Uuid>,
        pub description: Option<String>,
        pub valid_from: Option<Date>,
        pub valid_to: Option<Date>,
        pub status: String,
        pub risk_weight: i32,
        pub created_at: DateTimeUtc,
        pub updated_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod rule {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "tag_rules")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub tag_id: Uuid,
        pub kind: String,
        pub pattern: String,
        pub created_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Tag {
    pub id: Uuid,
    pub code: String,
    pub name: String,
    pub parent_id: Option<Uuid>,
    pub level: TagLevel,
    /// Where the tag applies (its scope): this region's subtree.
    pub region_code: RegionCode,
    /// The competent department a tag points to: 双告知 notifies it of tagged entities.
    pub owner_department_id: Option<Uuid>,
    pub description: Option<String>,
    pub valid_from: Option<NaiveDate>,
    pub valid_to: Option<NaiveDate>,
    /// `active` or `retired`.
    pub status: String,
    /// Risk weight for risk-weighted draws (按风险加权抽取), 1–10; 1 = no weighting. An
    /// entity weighs as its heaviest tag.
    pub risk_weight: u8,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl Tag {
    /// In force on `day`: active and within its validity.
    pub fn valid_on(&self, day: NaiveDate) -> bool {
        self.status == "active"
            && self.valid_from.is_none_or(|f| f <= day)
            && self.valid_to.is_none_or(|t| day <= t)
    }
}

impl TryFrom<entity::Model> for Tag {
    type Error = StoreError;
    fn try_from(m: entity::Model) -> Result<Self> {
        Ok(Tag {
            level: TagLevel::from_number(m.level)
                .ok_or_else(|| StoreError::Corrupt(format!("tag level {}", m.level)))?,
            region_code: RegionCode::parse(&m.region_code)
                .map_err(|e| StoreError::Corrupt(e.to_string()))?,
            risk_weight: u8::try_from(m.risk_weight)
                .ok()
                .filter(|w| (1..=lianjian_domain::tag::MAX_RISK_WEIGHT).contains(w))
                .ok_or_else(|| StoreError::Corrupt(format!("tag risk weight {}", m.risk_weight)))?,
            id: m.id,
            code: m.code,
            name: m.name,
            parent_id: m.parent_id,
            owner_department_id: m.owner_department_id,
            description: m.description,
            valid_from: m.valid_from,
            valid_to: m.valid_to,
            status: m.status,
            created_at: m.created_at,
            updated_at: m.updated_at,
        })
    }
}

fn active(t: &Tag) -> entity::ActiveModel {
    entity::ActiveModel {
        id: Set(t.id),
        code: Set(t.code.clone()),
        name: Set(t.name.clone()),
        parent_id: Set(t.parent_id),
        level: Set(t.level.number()),
        region_code: Set(t.region_code.to_string()),
        owner_department_id: Set(t.owner_department_id),
        description: Set(t.description.clone()),
        valid_from: Set(t.valid_from),
        valid_to: Set(t.valid_to),
        status: Set(t.status.clone()),
        risk_weight: Set(i32::from(t.risk_weight)),
        created_at: Set(t.created_at),
        updated_at: Set(t.updated_at),
    }
}

fn conflict(code: &str) -> impl Fn(DbErr) -> StoreError + '_ {
    move |e| match StoreError::from(e) {
        StoreError::Conflict(_) => StoreError::Conflict(format!("tag code {code} is taken")),
        other => other,
    }
}

pub async fn insert(c: &impl ConnectionTrait, t: &Tag) -> Result<()> {
    active(t).insert(c).await.map_err(conflict(&t.code))?;
    Ok(())
}

pub async fn update(c: &impl ConnectionTrait, t: &Tag) -> Result<()> {
    let mut a = active(t);
    a.created_at = sea_orm::ActiveValue::NotSet;
    entity::Entity::update(a)
        .exec(c)
        .await
        .map_err(conflict(&t.code))?;
    Ok(())
}

/// Every tag (the vocabulary is small: hundreds, not millions).
pub async fn all(c: &impl ConnectionTrait) -> Result<Vec<Tag>> {
    entity::Entity::find()
        .order_by_asc(entity::Column::Level)
        .order_by_asc(entity::Column::Code)
        .all(c)
        .await?
        .into_iter()
        .map(Tag::try_from)
        .collect()
}

pub async fn get(c: &impl ConnectionTrait, id: Uuid) -> Result<Option<Tag>> {
    entity::Entity::find_by_id(id)
        .one(c)
        .await?
        .map(Tag::try_from)
        .transpose()
}

pub async fn by_code(c: &impl ConnectionTrait, code: &str) -> Result<Option<Tag>> {
    entity::Entity::find()
        .filter(entity::Column::Code.eq(code))
        .one(c)
        .await?
        .map(Tag::try_from)
        .transpose()
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TagRule {
    pub id: Uuid,
    pub tag_id: Uuid,
    pub kind: RuleKind,
    pub pattern: String,
    pub created_at: DateTime<Utc>,
}

pub async fn rules(c: &impl ConnectionTrait) -> Result<Vec<TagRule>> {
    rule::Entity::find()
        .order_by_asc(rule::Column::CreatedAt)
        .all(c)
        .await?
        .into_iter()
        .map(|m| {
            Ok(TagRule {
                kind: RuleKind::parse(&m.kind).map_err(|e| StoreError::Corrupt(e.to_string()))?,
                id: m.id,
                tag_id: m.tag_id,
                pattern: m.pattern,
                created_at: m.created_at,
            })
        })
        .collect()
}

pub async fn insert_rule(c: &impl ConnectionTrait, r: &TagRule) -> Result<()> {
    rule::ActiveModel {
        id: Set(r.id),
        tag_id: Set(r.tag_id),
        kind: Set(r.kind.as_str().into()),
        pattern: Set(r.pattern.clone()),
        created_at: Set(r.created_at),
    }
    .insert(c)
    .await?;
    Ok(())
}

pub async fn delete_rule(c: &impl ConnectionTrait, id: Uuid) -> Result<Option<TagRule>> {
    let found = rule::Entity::find_by_id(id).one(c).await?;
    let Some(m) = found else { return Ok(None) };
    rule::Entity::delete_by_id(id).exec(c).await?;
    Ok(Some(TagRule {
        kind: RuleKind::parse(&m.kind).map_err(|e| StoreError::Corrupt(e.to_string()))?,
        id: m.id,
        tag_id: m.tag_id,
        pattern: m.pattern,
        created_at: m.created_at,
    }))
}
