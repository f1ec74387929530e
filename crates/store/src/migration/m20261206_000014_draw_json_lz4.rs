//! PostgreSQL: the draws' JSON columns compressed with LZ4 instead of the default pglz. At a
//! province's scale a draw's input and record are 40 and 90 MB of JSON; pglz took about 1.7 s
//! to compress the record alone, LZ4 about 0.25 s for a slightly larger result
//! (docs/performance.md, the draw path). Only where the server was built with LZ4 (PostgreSQL
//! 14+ with `--with-lz4`, as Debian's and the official images are); values already stored keep
//! their compression. Nothing to do on SQLite.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DbBackend, Statement};

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261206_000014_draw_json_lz4"
    }
}

const COLUMNS: [&str; 3] = ["input_json", "record_json", "failure_json"];

async fn has_lz4(conn: &SchemaManagerConnection<'_>) -> Result<bool, DbErr> {
    let row = conn
        .query_one_raw(Statement::from_string(
            DbBackend::Postgres,
            "SELECT 'lz4' = ANY(enumvals) FROM pg_settings WHERE name = 'default_toast_compression'",
        ))
        .await?;
    Ok(match row {
        Some(r) => r.try_get_by_index::<Option<bool>>(0)?.unwrap_or(false),
        None => false,
    })
}

async fn set(m: &SchemaManager<'_>, method: &str) -> Result<(), DbErr> {
    let conn = m.get_connection();
    if conn.get_database_backend() != DbBackend::Postgres || !has_lz4(conn).await? {
        return Ok(());
    }
    let alters: Vec<String> = COLUMNS
        .iter()
        .map(|c| format!("ALTER COLUMN {c} SET COMPRESSION {method}"))
        .collect();
    conn.execute_unprepared(&format!("ALTER TABLE draws {}", alters.join(", ")))
        .await?;
    Ok(())
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        set(m, "lz4").await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        set(m, "pglz").await
    }
}
