//! Issue 11 item 3: per-entity access codes for the portal's 抽查结果自查 (an entity fetches
//! the opening of its own class commitment with its credit code and a code staff handed it),
//! and the coordination office's publication delay (an office setting per region, the default
//! for draws committed in its subtree).

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261206_000016_draw_access"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table("draw_access_codes")
                .if_not_exists()
                .col(uuid("draw_id"))
                .col(string_len("usci", 18))
                // SHA-256 of the code bound to the draw and the credit code; the code itself is
                // shown once, when staff generate it.
                .col(string_len("code_hash", 64))
                .col(string_len("created_by", 64))
                .col(timestamp_with_time_zone("created_at"))
                .primary_key(Index::create().col("draw_id").col("usci"))
                .take(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table("office_settings")
                .if_not_exists()
                .col(string_len("region_code", 12).primary_key())
                // Days after a draw's period before its unpublished visits become public.
                .col(integer("publish_delay_days"))
                .col(string_len("updated_by", 64))
                .col(timestamp_with_time_zone("updated_at"))
                .take(),
        )
        .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table("office_settings").if_exists().take())
            .await?;
        m.drop_table(Table::drop().table("draw_access_codes").if_exists().take())
            .await
    }
}
