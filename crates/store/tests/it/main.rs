//! The store integration tests, one binary: one module per subject.

mod case_figures;
mod clock_holders;
mod conformance;
mod directory;
mod draw_write_scale;
mod seal;
mod visit_batches;

/// Runs one statement with values, naming it when it fails.
pub(crate) async fn exec(c: &impl sea_orm::ConnectionTrait, sql: &str, vals: Vec<sea_orm::Value>) {
    c.execute_raw(sea_orm::Statement::from_sql_and_values(
        c.get_database_backend(),
        sql,
        vals,
    ))
    .await
    .unwrap_or_else(|e| panic!("{sql}: {e}"));
}
