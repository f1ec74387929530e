//! Issue 17 item 6, assistance-request timeliness (协查答复及时性) in the analysis figures — the
//! extension point `crate::analysis` names: two counts of `analysis_months` (requests answered,
//! and answered within their 答复 deadline) and `analysis_answer_days`, the histogram of days
//! to answer per month, county and receiving department, from which the median is taken for
//! any breakdown (a median cannot be summed from cells; a histogram can). Both are rebuilt with
//! the other figures (`crate::analysis::refresh`).

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

use super::idx;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261207_000045_linkage_rest"
    }
}

const COUNTS: [&str; 2] = ["assist_answered", "assist_on_time"];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        // One column per statement: SQLite adds one at a time.
        for c in COUNTS {
            m.alter_table(
                Table::alter()
                    .table("analysis_months")
                    .add_column(big_integer(c).default(0))
                    .take(),
            )
            .await?;
        }
        m.create_table(
            Table::create()
                .table("analysis_answer_days")
                .if_not_exists()
                // First day of the month of the answer.
                .col(date("month"))
                // The county of the receiving side.
                .col(string_len("region_code", 12))
                // The receiving department.
                .col(uuid("department_id"))
                // Calendar days from the start of the 答复 clock to the answer.
                .col(integer("days"))
                // Requests answered in that many days.
                .col(big_integer("n"))
                .primary_key(
                    Index::create()
                        .col("month")
                        .col("region_code")
                        .col("department_id")
                        .col("days"),
                )
                .take(),
        )
        .await?;
        m.create_index(idx(
            "ix_analysis_answer_days_region",
            "analysis_answer_days",
            &["region_code", "month"],
        ))
        .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(
            Table::drop()
                .table("analysis_answer_days")
                .if_exists()
                .to_owned(),
        )
        .await?;
        for c in COUNTS {
            m.alter_table(
                Table::alter()
                    .table("analysis_months")
                    .drop_column(c)
                    .take(),
            )
            .await?;
        }
        Ok(())
    }
}
