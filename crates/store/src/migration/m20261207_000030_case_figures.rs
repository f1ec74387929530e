//! Issue 14, the office's rates over a year: daily figures per county and department
//! (`case_figures`, kept by `crate::case_figures` with every clock write and 回访), filled here
//! from the clocks and evaluations already recorded.

use sea_orm::DbBackend;
use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261207_000030_case_figures"
    }
}

/// The clock figures as `crate::case_figures::of_clocks` counts them, by SQL: (figure, clock,
/// day column, extra condition).
const CLOCK_FIGURES: &[(&str, &str, &str, &str)] = &[
    ("dispatched", "sign", "started_on", ""),
    ("signed", "sign", "started_on", "AND stopped_by = 'sign'"),
    (
        "signed_in_time",
        "sign",
        "started_on",
        "AND stopped_by = 'sign' AND stopped_on <= due",
    ),
    (
        "finished",
        "finish",
        "stopped_on",
        "AND stopped_by = 'finish'",
    ),
    (
        "finished_in_time",
        "finish",
        "stopped_on",
        "AND stopped_by = 'finish' AND stopped_on <= due",
    ),
    (
        "finished_extended",
        "finish",
        "stopped_on",
        "AND stopped_by = 'finish' AND extensions > 0",
    ),
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table("case_figures")
                .if_not_exists()
                .col(string_len("case_kind", 16))
                .col(string_len("figure", 32))
                .col(date("day"))
                .col(string_len("region_code", 12))
                .col(uuid("department_id"))
                .col(big_integer("n"))
                .primary_key(
                    Index::create()
                        .col("case_kind")
                        .col("figure")
                        .col("day")
                        .col("region_code")
                        .col("department_id"),
                )
                .take(),
        )
        .await?;
        let c = m.get_connection();
        for (figure, clock, day, extra) in CLOCK_FIGURES {
            c.execute_unprepared(&format!(
                "INSERT INTO case_figures (case_kind, figure, day, region_code, department_id, n) \
                 SELECT case_kind, '{figure}', {day}, substr(region_code, 1, 6), department_id, COUNT(*) \
                 FROM case_clocks WHERE name = '{clock}' AND department_id IS NOT NULL \
                 AND region_code <> '' AND {day} IS NOT NULL {extra} \
                 GROUP BY case_kind, {day}, substr(region_code, 1, 6), department_id"
            ))
            .await?;
        }
        // Evaluations (回访) on their Beijing day, for the clue's department; a satisfied or
        // basically satisfied verdict closes the clue.
        let day = match m.get_database_backend() {
            DbBackend::Postgres => "((e.at AT TIME ZONE 'UTC') + INTERVAL '8 hours')::date",
            _ => "date(substr(e.at, 1, 19), '+8 hours')",
        };
        for (figure, extra) in [
            ("evaluated", ""),
            ("satisfied", "AND e.to_status = 'closed'"),
        ] {
            c.execute_unprepared(&format!(
                "INSERT INTO case_figures (case_kind, figure, day, region_code, department_id, n) \
                 SELECT 'clue', '{figure}', {day}, substr(e.region_code, 1, 6), c.department_id, COUNT(*) \
                 FROM case_events e JOIN clues c ON c.id = e.case_id \
                 WHERE e.case_kind = 'clue' AND e.action = 'revisit' AND c.department_id IS NOT NULL {extra} \
                 GROUP BY {day}, substr(e.region_code, 1, 6), c.department_id"
            ))
            .await?;
        }
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table("case_figures").if_exists().take())
            .await
    }
}
