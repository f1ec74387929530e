//! Issue 15 items 3 and 4: joint sanctions (联合惩戒: the measure catalogue, batches, the
//! departments party to a batch, the measures a batch applies, one task per implementing
//! department) and appeals against credit entries (异议 and 信用修复). Their steps and clocks
//! are the shared case mechanism's (`case_events`, `case_clocks`).

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

use super::idx;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261207_000033_credit_sanctions"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table("sanction_measures")
                .if_not_exists()
                .col(pk_uuid("id"))
                // The office's region that keeps it: applies in its subtree (a catalogue).
                .col(string_len("region_code", 12))
                .col(string_len("name", 100))
                .col(text("legal_basis"))
                // The implementing department (实施部门).
                .col(uuid("department_id"))
                .col(string_len("subject_type", 8))
                .col(integer("default_months"))
                // Raises inspection frequency on this platform: class D for the period.
                .col(boolean("class_d"))
                .col(boolean("active"))
                .col(string_len("created_by", 64))
                .col(timestamp_with_time_zone("created_at"))
                .col(timestamp_with_time_zone("updated_at"))
                .take(),
        )
        .await?;
        m.create_index(
            idx(
                "ux_sanction_measures_name",
                "sanction_measures",
                &["region_code", "name"],
            )
            .unique()
            .take(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table("sanction_batches")
                .if_not_exists()
                .col(pk_uuid("id"))
                .col(string_len("code", 32).unique_key())
                .col(string_len("region_code", 12))
                // The initiating department (发起部门).
                .col(uuid("department_id"))
                .col(text("reason"))
                .col(text("legal_basis"))
                .col(date("starts_on"))
                .col(date_null("ends_on"))
                .col(integer("feedback_days"))
                // The subjects as JSON (entities and responsible persons with ID numbers).
                .col(text("subjects"))
                .col(string_len("status", 16))
                .col(string_len("created_by", 64))
                .col(timestamp_with_time_zone("created_at"))
                .col(timestamp_with_time_zone("updated_at"))
                .take(),
        )
        .await?;
        m.create_index(idx(
            "ix_sanction_batches_region",
            "sanction_batches",
            &["region_code", "status", "created_at"],
        ))
        .await?;
        // The departments party to a batch (the initiator and each implementing department):
        // how a line-scoped reader sees the batch.
        m.create_table(
            Table::create()
                .table("sanction_parties")
                .if_not_exists()
                .col(uuid("batch_id"))
                .col(uuid("department_id"))
                .primary_key(Index::create().col("batch_id").col("department_id"))
                .take(),
        )
        .await?;
        m.create_index(idx(
            "ix_sanction_parties_department",
            "sanction_parties",
            &["department_id", "batch_id"],
        ))
        .await?;
        m.create_table(
            Table::create()
                .table("sanction_batch_measures")
                .if_not_exists()
                .col(uuid("batch_id"))
                .col(uuid("measure_id"))
                .col(uuid("department_id"))
                .col(date("until"))
                .primary_key(Index::create().col("batch_id").col("measure_id"))
                .take(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table("sanction_tasks")
                .if_not_exists()
                .col(pk_uuid("id"))
                .col(string_len("code", 40).unique_key())
                .col(uuid("batch_id"))
                .col(string_len("region_code", 12))
                // The implementing department.
                .col(uuid("department_id"))
                .col(string_len("status", 16))
                .col(text_null("feedback"))
                .col(date_null("applied_on"))
                // The last day any of its measures is in force.
                .col(date("until"))
                .col(integer("supervised"))
                .col(timestamp_with_time_zone("created_at"))
                .col(timestamp_with_time_zone("updated_at"))
                .take(),
        )
        .await?;
        m.create_index(idx(
            "ix_sanction_tasks_batch",
            "sanction_tasks",
            &["batch_id"],
        ))
        .await?;
        m.create_index(idx(
            "ix_sanction_tasks_region",
            "sanction_tasks",
            &["region_code", "status", "created_at"],
        ))
        .await?;
        m.create_index(idx(
            "ix_sanction_tasks_until",
            "sanction_tasks",
            &["status", "until"],
        ))
        .await?;
        m.create_table(
            Table::create()
                .table("credit_appeals")
                .if_not_exists()
                .col(pk_uuid("id"))
                .col(string_len("code", 32).unique_key())
                .col(string_len("kind", 16))
                .col(uuid("entry_id"))
                .col(uuid("entity_id"))
                .col(string_len("region_code", 12))
                // The department that recorded the entry (none for another authority's).
                .col(uuid_null("department_id"))
                .col(string_len("applicant", 40))
                .col(text("statement"))
                .col(string_len("status", 16))
                .col(text_null("decision"))
                .col(date_null("decided_on"))
                .col(string_len("created_by", 64))
                .col(timestamp_with_time_zone("created_at"))
                .col(timestamp_with_time_zone("updated_at"))
                .take(),
        )
        .await?;
        m.create_index(idx(
            "ix_credit_appeals_entry",
            "credit_appeals",
            &["entry_id", "status"],
        ))
        .await?;
        m.create_index(idx(
            "ix_credit_appeals_region",
            "credit_appeals",
            &["region_code", "status", "created_at"],
        ))
        .await?;
        Ok(())
    }
}
