//! Issue 17 item 3: 议事会商 (consultations with participants, agenda, minutes and decisions;
//! each decision a case with an owner department and a clock) and 情况通报 (circulars to
//! departments with read receipts). Materials are evidence-log links (`evidence_links`).

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

use super::idx;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261207_000039_consultations"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table("consultations")
                .if_not_exists()
                .col(pk_uuid("id"))
                .col(string_len_uniq("code", 32))
                .col(string_len("title", 100))
                .col(text("agenda"))
                .col(date("meeting_on"))
                .col(text_null("minutes"))
                .col(string_len("status", 16))
                .col(string_len("region_code", 12))
                // The convening department.
                .col(uuid("department_id"))
                .col(string_len("created_by", 64))
                .col(timestamp_with_time_zone("created_at"))
                .col(timestamp_with_time_zone("updated_at"))
                .take(),
        )
        .await?;
        m.create_index(idx(
            "ix_consultations_region",
            "consultations",
            &["region_code", "meeting_on"],
        ))
        .await?;
        m.create_table(
            Table::create()
                .table("consultation_participants")
                .if_not_exists()
                .col(uuid("consultation_id"))
                .col(uuid("department_id"))
                .primary_key(
                    Index::create()
                        .col("consultation_id")
                        .col("department_id"),
                )
                .take(),
        )
        .await?;
        m.create_index(idx(
            "ix_consultation_participants_dept",
            "consultation_participants",
            &["department_id"],
        ))
        .await?;
        // A decision of a consultation is a case (CaseKind::DecisionTask) with a finish clock.
        m.create_table(
            Table::create()
                .table("decision_tasks")
                .if_not_exists()
                .col(pk_uuid("id"))
                .col(uuid("consultation_id"))
                .col(integer("seq"))
                .col(text("content"))
                .col(uuid("department_id"))
                .col(integer("working_days"))
                .col(string_len("status", 16))
                .col(text_null("result"))
                .col(string_len("region_code", 12))
                .col(timestamp_with_time_zone("created_at"))
                .col(timestamp_with_time_zone("updated_at"))
                .col(timestamp_with_time_zone_null("finished_at"))
                .take(),
        )
        .await?;
        m.create_index(idx(
            "ix_decision_tasks_consultation",
            "decision_tasks",
            &["consultation_id", "seq"],
        ))
        .await?;
        m.create_index(idx(
            "ix_decision_tasks_dept",
            "decision_tasks",
            &["department_id", "status"],
        ))
        .await?;
        m.create_table(
            Table::create()
                .table("circulars")
                .if_not_exists()
                .col(pk_uuid("id"))
                .col(string_len_uniq("code", 32))
                .col(string_len("title", 100))
                .col(text("body"))
                .col(string_len("region_code", 12))
                // The sending department.
                .col(uuid("department_id"))
                .col(string_len("created_by", 64))
                .col(timestamp_with_time_zone("sent_at"))
                .take(),
        )
        .await?;
        m.create_index(idx(
            "ix_circulars_region",
            "circulars",
            &["region_code", "sent_at"],
        ))
        .await?;
        m.create_table(
            Table::create()
                .table("circular_receipts")
                .if_not_exists()
                .col(uuid("circular_id"))
                .col(uuid("department_id"))
                .col(timestamp_with_time_zone_null("read_at"))
                .col(string_len_null("read_by", 64))
                .primary_key(Index::create().col("circular_id").col("department_id"))
                .take(),
        )
        .await?;
        m.create_index(idx(
            "ix_circular_receipts_dept",
            "circular_receipts",
            &["department_id", "read_at"],
        ))
        .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for t in [
            "circular_receipts",
            "circulars",
            "decision_tasks",
            "consultation_participants",
            "consultations",
        ] {
            m.drop_table(Table::drop().table(t).if_exists().take()).await?;
        }
        Ok(())
    }
}
