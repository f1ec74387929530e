//! The public variant of a `lianjian-draw/3` record (公示版, issue 11 item 3), generated once
//! when the draw is executed and stored, instead of being rebuilt from the full record (tens of
//! megabytes at a province's scale) on every request (docs/performance.md, the draw path).
//! One row per drawn `/3` draw, keyed by the draw's id; written once, never changed. Draws
//! executed before this migration have none: their public variant is still generated from the
//! full record when asked for. PostgreSQL: LZ4 like the draws' JSON columns (migration 000014).

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DbBackend, Statement};

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261206_000020_draw_public_records"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table("draw_public_records")
                .if_not_exists()
                // The draw's id.
                .col(pk_uuid("id"))
                // `PublicDrawRecord::to_json` of the draw's record, exactly as served.
                .col(text("public_json"))
                .col(timestamp_with_time_zone("created_at"))
                .take(),
        )
        .await?;
        let conn = m.get_connection();
        if conn.get_database_backend() == DbBackend::Postgres {
            let lz4 = conn
                .query_one_raw(Statement::from_string(
                    DbBackend::Postgres,
                    "SELECT 'lz4' = ANY(enumvals) FROM pg_settings WHERE name = 'default_toast_compression'",
                ))
                .await?
                .map(|r| r.try_get_by_index::<Option<bool>>(0))
                .transpose()?
                .flatten()
                .unwrap_or(false);
            if lz4 {
                conn.execute_unprepared(
                    "ALTER TABLE draw_public_records ALTER COLUMN public_json SET COMPRESSION lz4",
                )
                .await?;
            }
        }
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(
            Table::drop()
                .table("draw_public_records")
                .if_exists()
                .to_owned(),
        )
        .await
    }
}
