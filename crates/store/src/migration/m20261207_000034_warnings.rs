//! Issue 16 items 1–2: warning rules (预警规则, versioned per sector), warnings as case work
//! (`warnings`, the departments each is pushed to, its occurrences — repeated triggers folded
//! into the open warning — and joint assessments 会商研判). Their steps and clocks are the
//! shared case mechanism's; hour deadlines of a response plan add `due_at` / `stopped_at` to
//! `case_clocks` (NULL for working-day clocks).

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

use super::idx;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261207_000034_warnings"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for (name, mut def) in [
            ("due_at", timestamp_with_time_zone_null("due_at")),
            ("stopped_at", timestamp_with_time_zone_null("stopped_at")),
        ] {
            if !m.has_column("case_clocks", name).await? {
                m.alter_table(
                    Table::alter()
                        .table("case_clocks")
                        .add_column(&mut def)
                        .take(),
                )
                .await?;
            }
        }
        // One row per version of a rule; a rule is its id, its versions 1, 2, ….
        m.create_table(
            Table::create()
                .table("warning_rules")
                .if_not_exists()
                .col(uuid("id"))
                .col(integer("version"))
                .col(string_len("code", 32))
                .col(string_len("name", 60))
                .col(string_len("sector", 32))
                .col(string_len("level", 8))
                // NULL: red and orange need a joint assessment.
                .col(boolean_null("assessment"))
                // JSON: the condition tree, the push rule, the response plan.
                .col(text("condition"))
                .col(text("push"))
                .col(text("plan"))
                // device | record: which evaluator runs it.
                .col(string_len("kind", 8))
                // The version in force (the latest of an active rule).
                .col(boolean("current"))
                .col(boolean("active"))
                .col(string_len("created_by", 64))
                .col(timestamp_with_time_zone("created_at"))
                .primary_key(Index::create().col("id").col("version"))
                .take(),
        )
        .await?;
        m.create_index(idx(
            "ix_warning_rules_code",
            "warning_rules",
            &["code", "version"],
        ))
        .await?;
        m.create_table(
            Table::create()
                .table("warnings")
                .if_not_exists()
                .col(pk_uuid("id"))
                .col(string_len("code", 40).unique_key())
                .col(string_len("region_code", 12))
                .col(uuid("rule_id"))
                .col(integer("rule_version"))
                .col(uuid("entity_id"))
                .col(uuid_null("device_id"))
                .col(string_len("level", 8))
                .col(boolean("major"))
                .col(string_len("status", 16))
                .col(text("summary"))
                // Set while open: rule + entity + device of the open warning, so two concurrent
                // raises cannot both open one (the unique index decides); NULL once final.
                .col(string_len_null("open_key", 120).unique_key())
                .col(integer("occurrences"))
                .col(timestamp_with_time_zone("first_at"))
                .col(timestamp_with_time_zone("last_at"))
                .col(text_null("last_detail"))
                .col(text_null("outcome"))
                .col(uuid_null("clue_id"))
                .col(uuid_null("visit_id"))
                .col(timestamp_with_time_zone("created_at"))
                .col(timestamp_with_time_zone("updated_at"))
                .take(),
        )
        .await?;
        m.create_index(idx(
            "ix_warnings_region",
            "warnings",
            &["region_code", "status", "created_at"],
        ))
        .await?;
        m.create_index(idx("ix_warnings_entity", "warnings", &["entity_id"]))
            .await?;
        // The departments a warning is pushed to: how a line-scoped reader sees it.
        m.create_table(
            Table::create()
                .table("warning_departments")
                .if_not_exists()
                .col(uuid("warning_id"))
                .col(uuid("department_id"))
                .primary_key(Index::create().col("warning_id").col("department_id"))
                .take(),
        )
        .await?;
        m.create_index(idx(
            "ix_warning_departments_department",
            "warning_departments",
            &["department_id", "warning_id"],
        ))
        .await?;
        // Each trigger as it came (bounded: the latest per warning are kept, the count is on
        // the warning).
        m.create_table(
            Table::create()
                .table("warning_occurrences")
                .if_not_exists()
                .col(pk_uuid("id"))
                .col(uuid("warning_id"))
                .col(timestamp_with_time_zone("observed_at"))
                .col(text("summary"))
                .col(text_null("detail"))
                .take(),
        )
        .await?;
        m.create_index(idx(
            "ix_warning_occurrences_warning",
            "warning_occurrences",
            &["warning_id", "observed_at"],
        ))
        .await?;
        m.create_table(
            Table::create()
                .table("warning_assessments")
                .if_not_exists()
                .col(pk_uuid("id"))
                .col(uuid("warning_id"))
                // JSON array of the participating departments' ids.
                .col(text("departments"))
                .col(text_null("minutes"))
                .col(text_null("decision"))
                .col(string_len("requested_by", 64))
                .col(timestamp_with_time_zone("requested_at"))
                .col(string_len_null("decided_by", 64))
                .col(timestamp_with_time_zone_null("decided_at"))
                .take(),
        )
        .await?;
        m.create_index(idx(
            "ix_warning_assessments_warning",
            "warning_assessments",
            &["warning_id"],
        ))
        .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for t in [
            "warning_assessments",
            "warning_occurrences",
            "warning_departments",
            "warnings",
            "warning_rules",
        ] {
            m.drop_table(Table::drop().table(t).if_exists().to_owned())
                .await?;
        }
        // The warnings' steps, clocks and daily figures go with them.
        for t in ["case_events", "case_clocks", "case_figures"] {
            m.get_connection()
                .execute_unprepared(&format!("DELETE FROM {t} WHERE case_kind = 'warning'"))
                .await?;
        }
        for name in ["stopped_at", "due_at"] {
            m.alter_table(Table::alter().table("case_clocks").drop_column(name).take())
                .await?;
        }
        Ok(())
    }
}
