//! Issue 14 item 6: the Open311 GeoReport v2 interface — the API keys of the applications that
//! submit requests (stored as SHA-256 hashes only, each limited to a region), and which clues
//! were submitted through it (the public face of that interface lists those and no others).

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

use super::idx;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261207_000025_open311"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table("open311_keys")
                .if_not_exists()
                .col(pk_uuid("id"))
                .col(string_len("name", 64))
                // SHA-256 hex of the key; the key itself is printed once and never stored.
                .col(string_len("key_hash", 64))
                // The key's scope: requests are registered within this region's subtree.
                .col(string_len("region_code", 12))
                .col(string_len("created_by", 64))
                .col(timestamp_with_time_zone("created_at"))
                .col(timestamp_with_time_zone_null("revoked_at"))
                .take(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ux_open311_keys_hash")
                .table("open311_keys")
                .col("key_hash")
                .unique()
                .if_not_exists()
                .take(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table("open311_requests")
                .if_not_exists()
                .col(pk_uuid("clue_id"))
                .col(uuid("key_id"))
                .col(string_len("service_code", 32))
                .take(),
        )
        .await?;
        m.create_index(idx(
            "ix_open311_requests_key",
            "open311_requests",
            &["key_id"],
        ))
        .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for t in ["open311_requests", "open311_keys"] {
            m.drop_table(Table::drop().table(t).if_exists().take())
                .await?;
        }
        Ok(())
    }
}
