//! Issue 4: annual inspection plans (年度抽查工作计划), the departments taking part in each and
//! the qualifications its inspectors must hold.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

use super::idx;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261122_000006_plans"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table("plans")
                .if_not_exists()
                .col(pk_uuid("id"))
                // `<item code>-<year>-<nn>`
                .col(string_len_uniq("code", 48))
                .col(uuid("item_id"))
                // The item version in force when the plan was last edited or submitted.
                .col(integer("item_version"))
                .col(integer("year"))
                .col(date("period_start"))
                .col(date("period_end"))
                .col(string_len("region_code", 9))
                // Tag expression ANDed with the item's object definition; none: the whole item.
                .col(text_null("narrowing_expr"))
                // Sampling ratios in per mille (0–1000).
                .col(integer("ratio_a"))
                .col(integer("ratio_b"))
                .col(integer("ratio_c"))
                .col(integer("ratio_d"))
                .col(integer("ratio_ungraded"))
                .col(integer("cooldown_months"))
                .col(integer("inspectors_per_visit"))
                .col(integer("expert_count").default(0))
                .col(string_len("status", 16))
                .col(text_null("return_reason"))
                .col(timestamp_with_time_zone_null("submitted_at"))
                // Submitted after 31 March of the plan year (鲁 task 4), set at each submission.
                .col(boolean("late").default(false))
                .col(timestamp_with_time_zone_null("approved_at"))
                .col(timestamp_with_time_zone_null("published_at"))
                .col(string_len("created_by", 64))
                .col(timestamp_with_time_zone("created_at"))
                .col(timestamp_with_time_zone("updated_at"))
                .take(),
        )
        .await?;
        m.create_index(idx(
            "ix_plans_region",
            "plans",
            &["region_code", "year", "status"],
        ))
        .await?;
        m.create_index(idx("ix_plans_item", "plans", &["item_id", "year"]))
            .await?;
        m.create_index(idx(
            "ix_plans_status_period",
            "plans",
            &["status", "period_start"],
        ))
        .await?;

        m.create_table(
            Table::create()
                .table("plan_departments")
                .if_not_exists()
                .col(uuid("plan_id"))
                .col(uuid("department_id"))
                // lead | cooperating
                .col(string_len("role", 16))
                .col(integer("seq"))
                .primary_key(Index::create().col("plan_id").col("department_id"))
                .take(),
        )
        .await?;
        m.create_index(idx(
            "ix_plan_departments_department",
            "plan_departments",
            &["department_id", "role"],
        ))
        .await?;

        m.create_table(
            Table::create()
                .table("plan_qualifications")
                .if_not_exists()
                .col(uuid("plan_id"))
                .col(string_len("qualification", 32))
                .col(integer("seq"))
                .primary_key(Index::create().col("plan_id").col("qualification"))
                .take(),
        )
        .await?;
        Ok(())
    }
}
