//! Issue 14 item 5, the 12345 interface: a counter per clue-code prefix (county and year), so
//! two concurrent registrations never draw the same code; webhook subscriptions of 12345
//! platforms and their delivery state.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

use super::idx;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261207_000024_hotline"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        // The last number given out under a code prefix (`XS-411122-2026-`), taken with one
        // atomic upsert (`store::clues::next_code_number`), like a sequence.
        m.create_table(
            Table::create()
                .table("clue_code_counters")
                .if_not_exists()
                .col(string_len("prefix", 32).primary_key())
                .col(big_integer("last"))
                .take(),
        )
        .await?;
        // Codes already given out (databases registered clues before this migration).
        m.get_connection()
            .execute_unprepared(
                "INSERT INTO clue_code_counters (prefix, last) \
                 SELECT substr(code, 1, length(code) - 5), COUNT(*) FROM clues \
                 GROUP BY substr(code, 1, length(code) - 5)",
            )
            .await?;
        // A 12345 platform's webhook: where events of the clues it pushed are POSTed, signed
        // with the secret (HMAC-SHA256); the cursor is the last case event delivered.
        m.create_table(
            Table::create()
                .table("hotline_subscriptions")
                .if_not_exists()
                .col(pk_uuid("id"))
                .col(uuid("user_id"))
                .col(string_len("username", 64))
                .col(string_len("region_code", 12))
                .col(text("url"))
                .col(string_len("secret", 128))
                .col(uuid_null("cursor"))
                .col(integer("attempts"))
                .col(text_null("last_error"))
                .col(timestamp_with_time_zone_null("next_attempt_at"))
                .col(timestamp_with_time_zone_null("last_delivered_at"))
                .col(big_integer("delivered"))
                .col(timestamp_with_time_zone("created_at"))
                .take(),
        )
        .await?;
        m.create_index(idx(
            "ix_hotline_subscriptions_user",
            "hotline_subscriptions",
            &["user_id"],
        ))
        .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for t in ["hotline_subscriptions", "clue_code_counters"] {
            m.drop_table(Table::drop().table(t).if_exists().take())
                .await?;
        }
        Ok(())
    }
}
