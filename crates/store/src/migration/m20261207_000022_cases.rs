//! Issue 14: the shared case mechanism (案件化办理: events and working-day clocks of every case
//! kind, `domain::case`) and its first capability, problem clues (问题线索, 国办发〔2023〕1号
//! (十)).

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

use super::idx;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261207_000022_cases"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        // One row per step of any case, written with its audit entry in one transaction.
        m.create_table(
            Table::create()
                .table("case_events")
                .if_not_exists()
                .col(pk_uuid("id"))
                .col(string_len("case_kind", 16))
                .col(uuid("case_id"))
                .col(string_len("action", 32))
                .col(string_len_null("from_status", 24))
                .col(string_len("to_status", 24))
                .col(text_null("reason"))
                // What else the step changed (department, days, deadline …), JSON.
                .col(text_null("detail"))
                // Null for the server's own steps (escalation).
                .col(uuid_null("actor_id"))
                .col(string_len("actor_name", 64))
                .col(string_len("actor_display", 64))
                .col(uuid_null("actor_department_id"))
                .col(string_len("region_code", 12))
                .col(timestamp_with_time_zone("at"))
                .take(),
        )
        .await?;
        m.create_index(idx(
            "ix_case_events_case",
            "case_events",
            &["case_kind", "case_id", "at"],
        ))
        .await?;
        // The clocks of a case by name; a clock started again (改派) replaces its row, the
        // events keep the history.
        m.create_table(
            Table::create()
                .table("case_clocks")
                .if_not_exists()
                .col(string_len("case_kind", 16))
                .col(uuid("case_id"))
                .col(string_len("name", 16))
                .col(date("started_on"))
                .col(integer("working_days"))
                .col(date("due"))
                .col(integer("warn_within"))
                .col(date_null("stopped_on"))
                .primary_key(Index::create().col("case_kind").col("case_id").col("name"))
                .take(),
        )
        .await?;
        m.create_index(idx(
            "ix_case_clocks_due",
            "case_clocks",
            &["case_kind", "name", "due"],
        ))
        .await?;

        m.create_table(
            Table::create()
                .table("clues")
                .if_not_exists()
                .col(pk_uuid("id"))
                .col(string_len_uniq("code", 32))
                // A 12345 work-order number or another system's reference.
                .col(string_len_null("external_no", 64))
                .col(string_len("source", 24))
                .col(string_len("kind", 16))
                .col(string_len("urgency", 16))
                .col(text("content"))
                .col(text("address"))
                .col(string_len("region_code", 12))
                .col(double_null("latitude"))
                .col(double_null("longitude"))
                .col(uuid_null("entity_id"))
                // Personal data: shown only to handling staff (services::clues).
                .col(string_len_null("complainant_name", 64))
                .col(string_len_null("complainant_phone", 32))
                .col(boolean("anonymous"))
                .col(timestamp_with_time_zone("received_at"))
                .col(string_len("status", 24))
                // The department handling it now (null while with the office).
                .col(uuid_null("department_id"))
                .col(text_null("result"))
                .col(timestamp_with_time_zone_null("finished_at"))
                .col(string_len("created_by", 64))
                .col(timestamp_with_time_zone("created_at"))
                .col(timestamp_with_time_zone("updated_at"))
                .take(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ux_clues_external_no")
                .table("clues")
                .col("external_no")
                .unique()
                .if_not_exists()
                .take(),
        )
        .await?;
        m.create_index(idx(
            "ix_clues_region_status",
            "clues",
            &["region_code", "status"],
        ))
        .await?;
        m.create_index(idx(
            "ix_clues_department_status",
            "clues",
            &["department_id", "status"],
        ))
        .await?;
        m.create_table(
            Table::create()
                .table("clue_items")
                .if_not_exists()
                .col(uuid("clue_id"))
                .col(uuid("item_id"))
                .primary_key(Index::create().col("clue_id").col("item_id"))
                .take(),
        )
        .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for t in ["clue_items", "clues", "case_clocks", "case_events"] {
            m.drop_table(Table::drop().table(t).if_exists().take())
                .await?;
        }
        Ok(())
    }
}
