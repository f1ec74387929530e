//! What the public complaint form keeps besides the clue itself: each portal clue's check-code
//! hash (by clue code, for the tracking page), the challenges already answered (so a solved
//! challenge is good once, on every instance), and the portal's challenge-signing secret.

use chrono::{DateTime, Utc};
use sea_orm::entity::prelude::*;
use sea_orm::sea_query::OnConflict;
use sea_orm::{ActiveValue::Set, ConnectionTrait};

use crate::Result;

pub mod check {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "clue_checks")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub clue_id: Uuid,
        pub code: String,
        pub salt: String,
        pub check_hash: String,
        pub created_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod challenge {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "portal_challenges")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub key: String,
        pub expires_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod secret {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "portal_secrets")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub name: String,
        pub value: String,
        pub created_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// A portal clue's check: its code, and the salted hash of its check code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClueCheck {
    pub clue_id: Uuid,
    pub code: String,
    pub salt: String,
    pub check_hash: String,
    pub created_at: DateTime<Utc>,
}

pub async fn insert_check(c: &impl ConnectionTrait, x: &ClueCheck) -> Result<()> {
    check::ActiveModel {
        clue_id: Set(x.clue_id),
        code: Set(x.code.clone()),
        salt: Set(x.salt.clone()),
        check_hash: Set(x.check_hash.clone()),
        created_at: Set(x.created_at),
    }
    .insert(c)
    .await?;
    Ok(())
}

/// The check of the portal clue with code `code` (none for clues that came another way).
pub async fn check_by_code(c: &impl ConnectionTrait, code: &str) -> Result<Option<ClueCheck>> {
    Ok(check::Entity::find()
        .filter(check::Column::Code.eq(code))
        .one(c)
        .await?
        .map(|m| ClueCheck {
            clue_id: m.clue_id,
            code: m.code,
            salt: m.salt,
            check_hash: m.check_hash,
            created_at: m.created_at,
        }))
}

/// Marks the challenge `key` answered; `false` when it already was (a replay). Answers whose
/// challenge expired before `now` are forgotten here: an expired challenge is refused anyway.
pub async fn consume_challenge(
    c: &impl ConnectionTrait,
    key: &str,
    expires_at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<bool> {
    challenge::Entity::delete_many()
        .filter(challenge::Column::ExpiresAt.lt(now))
        .exec(c)
        .await?;
    let inserted = challenge::Entity::insert(challenge::ActiveModel {
        key: Set(key.to_string()),
        expires_at: Set(expires_at),
    })
    .on_conflict(
        OnConflict::column(challenge::Column::Key)
            .do_nothing()
            .to_owned(),
    )
    .exec_without_returning(c)
    .await?;
    Ok(inserted == 1)
}

/// The secret named `name`: the stored one, or `fresh` stored now if there is none yet (the
/// first instance to ask decides; the others read it).
pub async fn secret(
    c: &impl ConnectionTrait,
    name: &str,
    fresh: &str,
    now: DateTime<Utc>,
) -> Result<String> {
    secret::Entity::insert(secret::ActiveModel {
        name: Set(name.to_string()),
        value: Set(fresh.to_string()),
        created_at: Set(now),
    })
    .on_conflict(
        OnConflict::column(secret::Column::Name)
            .do_nothing()
            .to_owned(),
    )
    .exec_without_returning(c)
    .await?;
    let m = secret::Entity::find_by_id(name.to_string())
        .one(c)
        .await?
        .ok_or(crate::StoreError::NotFound)?;
    Ok(m.value)
}
