//! The directory change feed (`crate::changes`, `docs/architecture.md` "Change feed"): every
//! server on one database follows it to keep its in-memory directory index current.

use sea_orm::{ConnectionTrait, DbBackend};
use sea_orm_migration::prelude::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261206_000015_directory_changes"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let conn = m.get_connection();
        // `seq` never goes back, also after pruning (AUTOINCREMENT on SQLite, an identity on
        // PostgreSQL); `at_ms` (Unix milliseconds) only decides what pruning removes.
        let sql = match conn.get_database_backend() {
            DbBackend::Postgres => {
                "CREATE TABLE IF NOT EXISTS directory_changes (\
                 seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY, \
                 kind TEXT NOT NULL, key TEXT NOT NULL, at_ms BIGINT NOT NULL)"
            }
            _ => {
                "CREATE TABLE IF NOT EXISTS directory_changes (\
                 seq INTEGER PRIMARY KEY AUTOINCREMENT, \
                 kind TEXT NOT NULL, key TEXT NOT NULL, at_ms BIGINT NOT NULL)"
            }
        };
        conn.execute_unprepared(sql).await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(
            Table::drop()
                .table("directory_changes")
                .if_exists()
                .to_owned(),
        )
        .await
    }
}
