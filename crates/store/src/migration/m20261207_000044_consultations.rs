//! Issue 17 item 3: consultations (议事会商) with their participants, decisions and the
//! decisions' tasks, and circulars (情况通报) with their recipients' read receipts. Steps and
//! clocks are the shared case mechanism's (`case_events`, `case_clocks`, kinds
//! `consultation`, `consult_task`, `circular`).
//!
//! Participants and recipients are join tables with their department's region, so the one
//! scope builder reads "a participant in my scope" from them (`store::consultations`).

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

use super::idx;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261207_000044_consultations"
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
                .col(string_len("code", 40).unique_key())
                .col(string_len("title", 100))
                .col(text("topic"))
                .col(text("agenda"))
                .col(string_len("place", 100))
                // When the meeting is (entered in Beijing time).
                .col(timestamp_with_time_zone("meets_at"))
                .col(string_len("status", 16))
                // The convener: the region and department whose staff convened it; an office
                // convenes as its region (`by_office`).
                .col(string_len("region_code", 12))
                .col(uuid("convener_department_id"))
                .col(boolean("by_office"))
                .col(text_null("minutes"))
                // What prompted it (optional): warning, assistance, transfer.
                .col(string_len_null("link_kind", 16))
                .col(uuid_null("link_id"))
                .col(text_null("outcome"))
                .col(string_len("created_by", 64))
                .col(timestamp_with_time_zone("created_at"))
                .col(timestamp_with_time_zone("updated_at"))
                .take(),
        )
        .await?;
        m.create_index(idx(
            "ix_consultations_region",
            "consultations",
            &["region_code", "created_at"],
        ))
        .await?;
        m.create_table(
            Table::create()
                .table("consultation_participants")
                .if_not_exists()
                .col(uuid("consultation_id"))
                .col(uuid("department_id"))
                .col(string_len("region_code", 12))
                .col(string_len_null("attendees", 200))
                .primary_key(Index::create().col("consultation_id").col("department_id"))
                .take(),
        )
        .await?;
        m.create_index(idx(
            "ix_consultation_participants_dept",
            "consultation_participants",
            &["region_code", "department_id", "consultation_id"],
        ))
        .await?;
        m.create_table(
            Table::create()
                .table("consultation_decisions")
                .if_not_exists()
                .col(pk_uuid("id"))
                .col(uuid("consultation_id"))
                .col(integer("seq"))
                .col(text("text"))
                .take(),
        )
        .await?;
        m.create_index(idx(
            "ix_consultation_decisions",
            "consultation_decisions",
            &["consultation_id", "seq"],
        ))
        .await?;
        m.create_table(
            Table::create()
                .table("consultation_tasks")
                .if_not_exists()
                .col(pk_uuid("id"))
                .col(string_len("code", 48).unique_key())
                .col(uuid("consultation_id"))
                .col(uuid("decision_id"))
                .col(uuid("department_id"))
                .col(string_len("region_code", 12))
                .col(text("description"))
                .col(integer("deadline_days"))
                .col(string_len("status", 16))
                .col(text_null("report"))
                .col(integer("supervised"))
                .col(boolean("escalated"))
                .col(timestamp_with_time_zone("created_at"))
                .col(timestamp_with_time_zone("updated_at"))
                .col(timestamp_with_time_zone_null("done_at"))
                .take(),
        )
        .await?;
        m.create_index(idx(
            "ix_consultation_tasks_of",
            "consultation_tasks",
            &["consultation_id", "status"],
        ))
        .await?;
        m.create_table(
            Table::create()
                .table("circulars")
                .if_not_exists()
                .col(pk_uuid("id"))
                .col(string_len("code", 40).unique_key())
                .col(string_len("title", 100))
                .col(text("body"))
                .col(string_len("region_code", 12))
                .col(uuid("issuer_department_id"))
                .col(boolean("by_office"))
                // The regions addressed as a whole (JSON list of codes), for display; their
                // departments are in circular_recipients.
                .col(text("regions"))
                .col(string_len("created_by", 64))
                .col(timestamp_with_time_zone("created_at"))
                .take(),
        )
        .await?;
        m.create_index(idx(
            "ix_circulars_region",
            "circulars",
            &["region_code", "created_at"],
        ))
        .await?;
        m.create_table(
            Table::create()
                .table("circular_recipients")
                .if_not_exists()
                .col(uuid("circular_id"))
                .col(uuid("department_id"))
                .col(string_len("region_code", 12))
                // The read receipt: the first reader of the department.
                .col(timestamp_with_time_zone_null("read_at"))
                .col(string_len_null("read_by", 64))
                .col(string_len_null("read_by_name", 64))
                .col(integer("reminded"))
                .col(timestamp_with_time_zone_null("reminded_at"))
                .primary_key(Index::create().col("circular_id").col("department_id"))
                .take(),
        )
        .await?;
        m.create_index(idx(
            "ix_circular_recipients_dept",
            "circular_recipients",
            &["region_code", "department_id", "circular_id"],
        ))
        .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for t in [
            "circular_recipients",
            "circulars",
            "consultation_tasks",
            "consultation_decisions",
            "consultation_participants",
            "consultations",
        ] {
            m.drop_table(Table::drop().table(t).if_exists().take())
                .await?;
        }
        Ok(())
    }
}
