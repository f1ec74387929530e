//! Seeds the editable list of supervision sectors (监管领域) named in the policies.

use lianjian_domain::sector::BUILTIN_SECTORS;
use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, Statement};

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261122_000003_sectors"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let conn = m.get_connection();
        let b = conn.get_database_backend();
        let now = chrono::Utc::now();
        for (i, name) in BUILTIN_SECTORS.iter().enumerate() {
            conn.execute_raw(Statement::from_sql_and_values(
                b,
                "INSERT INTO sectors (id, name, status, sort_order, created_at, updated_at) VALUES ($1, $2, 'active', $3, $4, $4)",
                [uuid::Uuid::now_v7().into(), (*name).into(), ((i as i32 + 1) * 10).into(), now.into()],
            ))
            .await?;
        }
        Ok(())
    }
}
