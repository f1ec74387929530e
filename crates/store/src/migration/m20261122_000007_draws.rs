//! Draws (抽取记录) and the visits they schedule (检查任务). A draw's record is written once and
//! never changed; visits carry the checks of every plan that drew the entity (联合检查).

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

use super::idx;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261122_000007_draws"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table("draws")
                .if_not_exists()
                .col(pk_uuid("id"))
                .col(string_len("code", 48).unique_key())
                .col(string_len("region_code", 9))
                .col(string("title"))
                .col(date("period_start"))
                .col(date("period_end"))
                // committed | drawn | failed
                .col(string_len("status", 16))
                .col(uuid_null("redraw_of"))
                .col(text_null("redraw_reason"))
                .col(uuid_null("superseded_by"))
                // The frozen input (candidates, inspectors, plans) as committed.
                .col(text("input_json"))
                .col(string_len("candidates_sha256", 64))
                .col(string_len("inspectors_sha256", 64))
                .col(string_len("seed_sha256", 64))
                // Secret until the draw runs; published with the record.
                .col(string_len("server_seed", 64))
                .col(text_null("witness_seed"))
                .col(string_len_null("witness_name", 64))
                // The complete record once drawn; the failure (constraint, shortfall) if it failed.
                .col(text_null("record_json"))
                .col(text_null("failure_json"))
                .col(integer("visit_count"))
                .col(string_len("created_by", 64))
                .col(timestamp_with_time_zone("committed_at"))
                .col(timestamp_with_time_zone_null("drawn_at"))
                .take(),
        )
        .await?;
        m.create_index(idx(
            "ix_draws_region",
            "draws",
            &["region_code", "committed_at"],
        ))
        .await?;
        m.create_table(
            Table::create()
                .table("draw_plans")
                .if_not_exists()
                .col(uuid("draw_id"))
                .col(uuid("plan_id"))
                .primary_key(Index::create().col("draw_id").col("plan_id"))
                .take(),
        )
        .await?;
        m.create_index(idx("ix_draw_plans_plan", "draw_plans", &["plan_id"]))
            .await?;

        m.create_table(
            Table::create()
                .table("visits")
                .if_not_exists()
                .col(pk_uuid("id"))
                .col(string_len("code", 48).unique_key())
                // Null for visits not from a draw (ad-hoc: complaint, warning …).
                .col(uuid_null("draw_id"))
                .col(uuid("entity_id"))
                .col(string_len("region_code", 9))
                .col(uuid("lead_department_id"))
                // random | ad_hoc
                .col(string_len("trigger", 16))
                .col(text_null("trigger_note"))
                // scheduled | in_progress | … | cancelled
                .col(string_len("status", 24))
                .col(date("period_start"))
                .col(date("period_end"))
                .col(date_null("visited_on"))
                .col(timestamp_with_time_zone("created_at"))
                .col(timestamp_with_time_zone("updated_at"))
                .take(),
        )
        .await?;
        m.create_index(idx(
            "ix_visits_entity",
            "visits",
            &["entity_id", "period_start"],
        ))
        .await?;
        m.create_index(idx("ix_visits_draw", "visits", &["draw_id"]))
            .await?;
        m.create_index(idx(
            "ix_visits_region",
            "visits",
            &["region_code", "period_start"],
        ))
        .await?;
        m.create_table(
            Table::create()
                .table("visit_checks")
                .if_not_exists()
                .col(uuid("visit_id"))
                .col(uuid("plan_id"))
                .col(uuid("item_id"))
                .col(uuid("department_id"))
                .primary_key(Index::create().col("visit_id").col("plan_id"))
                .take(),
        )
        .await?;
        m.create_index(idx("ix_visit_checks_item", "visit_checks", &["item_id"]))
            .await?;
        m.create_table(
            Table::create()
                .table("visit_inspectors")
                .if_not_exists()
                .col(uuid("visit_id"))
                .col(uuid("inspector_id"))
                .col(uuid("department_id"))
                .col(integer("seq"))
                .primary_key(Index::create().col("visit_id").col("inspector_id"))
                .take(),
        )
        .await?;
        m.create_index(idx(
            "ix_visit_inspectors_inspector",
            "visit_inspectors",
            &["inspector_id"],
        ))
        .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for t in [
            "visit_inspectors",
            "visit_checks",
            "visits",
            "draw_plans",
            "draws",
        ] {
            m.drop_table(Table::drop().table(t).if_exists().to_owned())
                .await?;
        }
        Ok(())
    }
}
