//! Loads the built-in GB/T 2260 region tables (see `data/regions/README.md`).

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, Statement, Value};

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261122_000002_regions"
    }
}

const PROVINCES: &str = include_str!("../../data/regions/provinces.csv");
const CITIES: &str = include_str!("../../data/regions/cities.csv");
const AREAS: &str = include_str!("../../data/regions/areas.csv");
const STREETS: &str = include_str!("../../data/regions/streets.csv");

/// (code, name, level, parent) rows of all four files, parents before children.
pub(crate) fn region_rows() -> Result<Vec<(String, String, &'static str, Option<String>)>, String> {
    let mut out = Vec::with_capacity(45_000);
    for (data, level, parent_col) in [
        (PROVINCES, "province", None),
        (CITIES, "city", Some(2)),
        (AREAS, "county", Some(2)),
        (STREETS, "township", Some(2)),
    ] {
        let mut r = csv::Reader::from_reader(data.as_bytes());
        for rec in r.records() {
            let rec = rec.map_err(|e| format!("region data ({level}): {e}"))?;
            let code = rec.get(0).unwrap_or_default().to_string();
            let name = rec.get(1).unwrap_or_default().to_string();
            // streets.csv and areas.csv name their direct parent in the third column.
            let parent = parent_col.and_then(|i| rec.get(i)).map(str::to_string);
            out.push((code, name, level, parent));
        }
    }
    Ok(out)
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let rows = region_rows().map_err(DbErr::Custom)?;
        let conn = m.get_connection();
        let backend = conn.get_database_backend();
        for chunk in rows.chunks(2000) {
            let mut sql =
                String::from("INSERT INTO regions (code, name, level, parent_code) VALUES ");
            let mut values: Vec<Value> = Vec::with_capacity(chunk.len() * 4);
            for (i, (code, name, level, parent)) in chunk.iter().enumerate() {
                if i > 0 {
                    sql.push(',');
                }
                let b = i * 4;
                sql.push_str(&format!("(${},${},${},${})", b + 1, b + 2, b + 3, b + 4));
                values.push(code.clone().into());
                values.push(name.clone().into());
                values.push((*level).into());
                values.push(parent.clone().into());
            }
            conn.execute_raw(Statement::from_sql_and_values(backend, sql, values))
                .await?;
        }
        Ok(())
    }
}
