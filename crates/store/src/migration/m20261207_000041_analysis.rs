//! Issue 17 item 6, analysis and evaluation (分析评估): monthly figures per county, department
//! and item (`analysis_months`), rebuilt from the records by `crate::analysis::refresh`, so a
//! province's five years (10,000,000 visits) answer each dashboard in one scan of at most
//! months × counties × items rows instead of walking the visits (docs/performance.md,
//! "Analysis"). `analysis_refreshes` remembers when they were last rebuilt (shown on screen).

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

use super::idx;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261207_000041_analysis"
    }
}

/// The counts of a cell (meanings in `crate::analysis::Counts`).
const COUNTS: [&str; 22] = [
    "plan_due",
    "plan_published",
    "inspected",
    "problems",
    "joint",
    "saved",
    "published",
    "published_on_time",
    "rect_issued",
    "rect_passed",
    "rect_on_time",
    "clue_dispatched",
    "clue_signed_in_time",
    "clue_finished",
    "clue_finished_in_time",
    "clue_evaluated",
    "clue_satisfied",
    "warn_signed",
    "warn_minutes",
    "sanction_tasks",
    "sanction_fed_back",
    "sanction_on_time",
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let mut t = Table::create();
        t.table("analysis_months")
            .if_not_exists()
            // First day of the month.
            .col(date("month"))
            // The county: the first six digits of the record's region.
            .col(string_len("region_code", 12))
            .col(uuid("department_id"))
            // The nil UUID for figures that know no item (clues, warnings, sanctions).
            .col(uuid("item_id"));
        for c in COUNTS {
            t.col(big_integer(c).default(0));
        }
        t.primary_key(
            Index::create()
                .col("month")
                .col("region_code")
                .col("department_id")
                .col("item_id"),
        );
        m.create_table(t.take()).await?;
        m.create_index(idx(
            "ix_analysis_months_region",
            "analysis_months",
            &["region_code", "month"],
        ))
        .await?;
        m.create_table(
            Table::create()
                .table("analysis_refreshes")
                .if_not_exists()
                .col(integer("id").primary_key())
                .col(timestamp_with_time_zone("refreshed_at"))
                .col(big_integer("cells"))
                .col(big_integer("millis"))
                .take(),
        )
        .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for t in ["analysis_refreshes", "analysis_months"] {
            m.drop_table(Table::drop().table(t).if_exists().to_owned())
                .await?;
        }
        Ok(())
    }
}
