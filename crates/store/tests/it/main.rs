//! The store integration tests, one binary: one module per subject.

mod case_figures;
mod clock_holders;
mod conformance;
mod directory;
mod draw_write_scale;
mod risk_model;
mod seal;
mod visit_batches;

/// Runs one statement with values, naming it when it fails.
/// Rolls the schema back to just before migration `name` (the migrations after it too), so a
/// test of a migration's fill keeps working as later migrations are added.
pub(crate) async fn down_to_before(c: &sea_orm::DatabaseConnection, name: &str) {
    use lianjian_store::migration::Migrator;
    use sea_orm_migration::MigratorTrait;
    let all = Migrator::migrations();
    let from_end = all
        .iter()
        .rev()
        .position(|m| m.name() == name)
        .unwrap_or_else(|| panic!("no migration {name}"));
    Migrator::down(c, Some(from_end as u32 + 1)).await.unwrap();
}

pub(crate) async fn exec(c: &impl sea_orm::ConnectionTrait, sql: &str, vals: Vec<sea_orm::Value>) {
    c.execute_raw(sea_orm::Statement::from_sql_and_values(
        c.get_database_backend(),
        sql,
        vals,
    ))
    .await
    .unwrap_or_else(|e| panic!("{sql}: {e}"));
}
