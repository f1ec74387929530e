//! Issue 15 item 2: the credit evaluation (信用评价). Index definitions with every version kept
//! (`credit_indexes` holds the current one, `credit_index_versions` all of them); evaluation
//! runs over a region (`credit_eval_runs`); per run the entities whose class changed
//! (`credit_eval_changes`, what is pushed to departments); one row per entity with its latest
//! score, class and facts (`credit_eval_current`, read by the entity's credit page by
//! key); and manual overrides (`credit_overrides`).

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

use super::idx;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261207_000032_credit_evaluation"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table("credit_indexes")
                .if_not_exists()
                .col(pk_uuid("id"))
                // The region the index is defined for (it applies to the subtree).
                .col(string_len("region_code", 12))
                // A sector's own index; none for the region's default.
                .col(uuid_null("sector_id"))
                .col(string_len("name", 64))
                .col(integer("version"))
                .col(text("definition"))
                .col(string_len("updated_by", 64))
                .col(timestamp_with_time_zone("created_at"))
                .col(timestamp_with_time_zone("updated_at"))
                .take(),
        )
        .await?;
        m.create_index(idx(
            "ix_credit_indexes_region",
            "credit_indexes",
            &["region_code"],
        ))
        .await?;
        m.create_table(
            Table::create()
                .table("credit_index_versions")
                .if_not_exists()
                .col(uuid("index_id"))
                .col(integer("version"))
                .col(string_len("region_code", 12))
                .col(string_len("name", 64))
                .col(text("definition"))
                .col(string_len("created_by", 64))
                .col(timestamp_with_time_zone("created_at"))
                .primary_key(Index::create().col("index_id").col("version"))
                .take(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table("credit_eval_runs")
                .if_not_exists()
                .col(pk_uuid("id"))
                .col(string_len("region_code", 12))
                .col(uuid("index_id"))
                .col(integer("index_version"))
                // manual | quarterly
                .col(string_len("trigger", 16))
                // running | finished | failed
                .col(string_len("status", 16))
                .col(date("evaluated_on"))
                .col(big_integer("entities"))
                .col(big_integer("changed"))
                .col(big_integer("class_a"))
                .col(big_integer("class_b"))
                .col(big_integer("class_c"))
                .col(big_integer("class_d"))
                .col(big_integer("overridden"))
                .col(text_null("error"))
                .col(string_len("created_by", 64))
                .col(timestamp_with_time_zone("started_at"))
                .col(timestamp_with_time_zone_null("finished_at"))
                .take(),
        )
        .await?;
        m.create_index(idx(
            "ix_credit_eval_runs_region",
            "credit_eval_runs",
            &["region_code", "started_at"],
        ))
        .await?;
        m.create_table(
            Table::create()
                .table("credit_eval_changes")
                .if_not_exists()
                .col(uuid("run_id"))
                .col(uuid("entity_id"))
                .col(string_len("region_code", 12))
                .col(integer("score"))
                .col(string_len("class", 1))
                .col(string_len_null("previous_class", 1))
                // The class written is an override's, not the score's.
                .col(boolean("overridden"))
                .col(text("explanation"))
                .primary_key(Index::create().col("run_id").col("entity_id"))
                .take(),
        )
        .await?;
        m.create_index(idx(
            "ix_credit_eval_changes_region",
            "credit_eval_changes",
            &["run_id", "region_code"],
        ))
        .await?;
        m.create_table(
            Table::create()
                .table("credit_eval_current")
                .if_not_exists()
                .col(uuid("entity_id").primary_key())
                .col(string_len("region_code", 12))
                .col(uuid("run_id"))
                .col(integer("index_version"))
                .col(integer("score"))
                // The class the score gives (an override may set another on the entity).
                .col(string_len("class", 1))
                .col(date("evaluated_on"))
                // The entity's facts as JSON: the explanation is computed from them and the
                // index version when read, so a run writes only entities whose facts or score
                // moved, not 15 million explanations.
                .col(text("facts"))
                .take(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table("credit_overrides")
                .if_not_exists()
                .col(pk_uuid("id"))
                .col(uuid("entity_id"))
                .col(string_len("region_code", 12))
                .col(string_len("class", 1))
                .col(text("reason"))
                // Last day in force; none: until revoked.
                .col(date_null("until"))
                .col(string_len("created_by", 64))
                .col(timestamp_with_time_zone("created_at"))
                .col(timestamp_with_time_zone_null("revoked_at"))
                .col(string_len_null("revoked_by", 64))
                .take(),
        )
        .await?;
        m.create_index(idx(
            "ix_credit_overrides_entity",
            "credit_overrides",
            &["entity_id", "created_at"],
        ))
        .await?;
        m.create_index(idx(
            "ix_credit_overrides_region",
            "credit_overrides",
            &["region_code", "created_at"],
        ))
        .await?;
        // The evaluation aggregates clues per entity within a region.
        m.create_index(idx(
            "ix_clues_entity",
            "clues",
            &["entity_id", "finished_at"],
        ))
        .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_index(
            Index::drop()
                .name("ix_clues_entity")
                .table("clues")
                .if_exists()
                .to_owned(),
        )
        .await?;
        for t in [
            "credit_overrides",
            "credit_eval_current",
            "credit_eval_changes",
            "credit_eval_runs",
            "credit_index_versions",
            "credit_indexes",
        ] {
            m.drop_table(Table::drop().table(t).if_exists().take())
                .await?;
        }
        Ok(())
    }
}
