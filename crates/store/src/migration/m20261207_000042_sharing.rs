//! Issue 18: data sharing between instances (信息互通共享). The share catalogue
//! (`sharing_shares`, both ends' approvals), the hash-chained message log kept on both sides
//! (`sharing_log`), received message ids for idempotent apply (`sharing_inbox`), the latest
//! shared state of each entity from each lower or peer instance (`sharing_records`), rejected
//! messages (`sharing_dead_letters`) and the producers' positions (`sharing_cursors`).

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

use super::idx;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261207_000042_sharing"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table("sharing_shares")
                .if_not_exists()
                .col(pk_uuid("id"))
                .col(string_len("name", 200))
                .col(string_len("kind", 32))
                .col(string_len("direction", 16))
                // Instance ids: who sends, who receives.
                .col(string_len("provider", 32))
                .col(string_len("consumer", 32))
                // Comma-separated region-code prefixes and department ids; empty: all.
                .col(text("regions"))
                .col(text("departments"))
                .col(string_len("method", 16))
                .col(string_len("frequency", 16))
                // Hours within which a message must be applied (共享时限).
                .col(integer("time_limit_hours"))
                .col(string_len("confidentiality", 16))
                .col(string_len("status", 16))
                .col(string_len_null("provider_approved_by", 64))
                .col(timestamp_with_time_zone_null("provider_approved_at"))
                .col(string_len_null("consumer_approved_by", 64))
                .col(timestamp_with_time_zone_null("consumer_approved_at"))
                .col(string_len("created_by", 64))
                .col(timestamp_with_time_zone("created_at"))
                .col(timestamp_with_time_zone("updated_at"))
                .take(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table("sharing_log")
                .if_not_exists()
                // Assigned by the writer (max + 1 under the writers' lock): it is hashed.
                .col(big_integer("seq").primary_key())
                .col(string_len("event", 16))
                .col(uuid_null("message_id"))
                .col(string_len("peer", 32))
                .col(text("wire"))
                .col(text("note"))
                .col(timestamp_with_time_zone("at"))
                .col(string_len("prev_hash", 64))
                .col(string_len("hash", 64))
                // Outgoing messages: acknowledged by JetStream (not hashed: it changes).
                .col(boolean("published").default(false))
                .take(),
        )
        .await?;
        m.create_index(idx(
            "ix_sharing_log_message",
            "sharing_log",
            &["message_id"],
        ))
        .await?;
        m.create_index(idx(
            "ix_sharing_log_unpublished",
            "sharing_log",
            &["published", "event", "seq"],
        ))
        .await?;
        m.create_table(
            Table::create()
                .table("sharing_inbox")
                .if_not_exists()
                .col(pk_uuid("message_id"))
                .col(string_len("sender", 32))
                .col(uuid("share_id"))
                .col(string_len("outcome", 16))
                .col(timestamp_with_time_zone("at"))
                .take(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table("sharing_records")
                .if_not_exists()
                .col(string_len("sender", 32))
                .col(string_len("kind", 32))
                .col(string_len("entity", 128))
                .col(big_integer("entity_seq"))
                .col(string_len("region_code", 12))
                .col(text("payload"))
                .col(uuid("message_id"))
                .col(timestamp_with_time_zone("updated_at"))
                .primary_key(Index::create().col("sender").col("kind").col("entity"))
                .take(),
        )
        .await?;
        m.create_index(idx(
            "ix_sharing_records_region",
            "sharing_records",
            &["kind", "region_code"],
        ))
        .await?;
        m.create_table(
            Table::create()
                .table("sharing_dead_letters")
                .if_not_exists()
                .col(pk_uuid("id"))
                .col(string_len("peer", 32))
                .col(uuid_null("message_id"))
                .col(string_len("reason_code", 32))
                .col(text("reason"))
                .col(text("wire"))
                .col(string_len("status", 16))
                .col(integer("attempts"))
                .col(timestamp_with_time_zone("received_at"))
                .col(timestamp_with_time_zone_null("retried_at"))
                .take(),
        )
        .await?;
        m.create_index(idx(
            "ix_sharing_dead_letters_status",
            "sharing_dead_letters",
            &["status", "received_at"],
        ))
        .await?;
        m.create_table(
            Table::create()
                .table("sharing_cursors")
                .if_not_exists()
                .col(string_len("name", 64).primary_key())
                .col(big_integer("position"))
                .take(),
        )
        .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for t in [
            "sharing_cursors",
            "sharing_dead_letters",
            "sharing_records",
            "sharing_inbox",
            "sharing_log",
            "sharing_shares",
        ] {
            m.drop_table(Table::drop().table(t).if_exists().to_owned())
                .await?;
        }
        Ok(())
    }
}
