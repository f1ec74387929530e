//! Schema migrations: one set for SQLite and PostgreSQL, applied at start-up and by `lianjian migrate`.

use sea_orm_migration::prelude::*;

mod m20261122_000001_foundation;
mod m20261122_000002_regions;
mod m20261122_000003_sectors;
mod m20261122_000004_directory;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261122_000001_foundation::Migration),
            Box::new(m20261122_000002_regions::Migration),
            Box::new(m20261122_000003_sectors::Migration),
            Box::new(m20261122_000004_directory::Migration),
        ]
    }
}
