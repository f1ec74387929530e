//! Requests already answered (重复提交防护): the first request under a key claims it, its answer
//! is kept for a day, and a repeat is answered from the row instead of being handled again.

use chrono::{DateTime, Utc};
use sea_orm::entity::prelude::*;
use sea_orm::sea_query::OnConflict;
use sea_orm::{ActiveValue::Set, ConnectionTrait};

use lianjian_domain::submission::{Answer, Claim};

use crate::Result;

pub mod entity {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "submissions")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub key: String,
        pub request_hash: String,
        pub status: Option<i16>,
        pub location: Option<String>,
        pub content_type: Option<String>,
        pub body: Option<Vec<u8>>,
        pub created_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

use entity::{ActiveModel, Column, Entity};

/// Claims `key` for a request whose body hashes to `request_hash`. A claim left unanswered
/// since before `stale_before` (its process died) is taken over.
pub async fn claim(
    c: &impl ConnectionTrait,
    key: &str,
    request_hash: &str,
    now: DateTime<Utc>,
    stale_before: DateTime<Utc>,
) -> Result<Claim> {
    let row = ActiveModel {
        key: Set(key.to_string()),
        request_hash: Set(request_hash.to_string()),
        status: Set(None),
        location: Set(None),
        content_type: Set(None),
        body: Set(None),
        created_at: Set(now),
    };
    let inserted = Entity::insert(row)
        .on_conflict(OnConflict::column(Column::Key).do_nothing().to_owned())
        .exec_without_returning(c)
        .await?;
    if inserted == 1 {
        return Ok(Claim::Fresh);
    }
    let Some(m) = Entity::find_by_id(key.to_string()).one(c).await? else {
        // Pruned between the insert and the read: nobody holds it.
        return Ok(Claim::Fresh);
    };
    if m.request_hash != request_hash {
        return Ok(Claim::Mismatch);
    }
    match m.status {
        Some(status) => Ok(Claim::Answered(Answer {
            status: u16::try_from(status).unwrap_or(500),
            location: m.location,
            content_type: m.content_type,
            body: m.body.unwrap_or_default(),
        })),
        None if m.created_at < stale_before => {
            // Take the stale claim over only if nobody else just did.
            let taken = Entity::update_many()
                .col_expr(Column::CreatedAt, Expr::value(now))
                .filter(Column::Key.eq(key))
                .filter(Column::Status.is_null())
                .filter(Column::CreatedAt.eq(m.created_at))
                .exec(c)
                .await?;
            Ok(if taken.rows_affected == 1 {
                Claim::Fresh
            } else {
                Claim::Pending
            })
        }
        None => Ok(Claim::Pending),
    }
}

/// Keeps the answer of the request that claimed `key`.
pub async fn answer(c: &impl ConnectionTrait, key: &str, a: &Answer) -> Result<()> {
    Entity::update_many()
        .col_expr(
            Column::Status,
            Expr::value(i16::try_from(a.status).unwrap_or(500)),
        )
        .col_expr(Column::Location, Expr::value(a.location.clone()))
        .col_expr(Column::ContentType, Expr::value(a.content_type.clone()))
        .col_expr(Column::Body, Expr::value(a.body.clone()))
        .filter(Column::Key.eq(key))
        .exec(c)
        .await?;
    Ok(())
}

/// Gives `key` up: the request failed in a way worth trying again (a form shown back with
/// errors), so a repeat must be handled, not answered.
pub async fn release(c: &impl ConnectionTrait, key: &str) -> Result<()> {
    Entity::delete_many()
        .filter(Column::Key.eq(key))
        .exec(c)
        .await?;
    Ok(())
}

/// Forgets answers older than `before`.
pub async fn prune(c: &impl ConnectionTrait, before: DateTime<Utc>) -> Result<u64> {
    Ok(Entity::delete_many()
        .filter(Column::CreatedAt.lt(before))
        .exec(c)
        .await?
        .rows_affected)
}
