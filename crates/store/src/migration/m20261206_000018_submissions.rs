//! Requests already answered (重复提交防护, issue 12 item 9): a console form posted twice, or an
//! API call retried with the same `Idempotency-Key`, is answered from here instead of creating
//! a second 抄告 or a second anything.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

use super::idx;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261206_000018_submissions"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table("submissions")
                .if_not_exists()
                // SHA-256 (hex) of who sent it, where, and the idempotency key or form body.
                .col(string_len("key", 64).primary_key())
                // SHA-256 (hex) of the request body: a key reused with another body is refused.
                .col(string_len("request_hash", 64))
                // Null while the first request is still being handled.
                .col(small_integer_null("status"))
                .col(text_null("location"))
                .col(text_null("content_type"))
                .col(blob_null("body"))
                .col(timestamp_with_time_zone("created_at"))
                .take(),
        )
        .await?;
        m.create_index(idx(
            "ix_submissions_created",
            "submissions",
            &["created_at"],
        ))
        .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table("submissions").if_exists().to_owned())
            .await
    }
}
