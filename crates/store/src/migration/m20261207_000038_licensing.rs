//! Issue 17 item 2: 审管衔接. Approval results (`licence_events`) are offered to the supervising
//! department as 双告知 claims — `claims` gains the source of what it offers — and supervision
//! results that bear on a licence go back to the approval bureau (`licence_feedback`).

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

use super::idx;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261207_000038_licensing"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        // Existing claims offer entities (双告知); a hand-over's claim names its licence event.
        let cols = [
            (
                "source_kind",
                string_len("source_kind", 16).default("entity").take(),
            ),
            ("source_id", uuid_null("source_id")),
        ];
        for (name, mut col) in cols {
            if !m.has_column("claims", name).await? {
                m.alter_table(Table::alter().table("claims").add_column(&mut col).take())
                    .await?;
            }
        }
        m.create_index(idx(
            "ix_claims_source",
            "claims",
            &["source_kind", "source_id"],
        ))
        .await?;

        m.create_table(
            Table::create()
                .table("licence_events")
                .if_not_exists()
                .col(pk_uuid("id"))
                .col(string_len("licence_no", 64))
                .col(string_len("event", 16))
                .col(uuid("entity_id"))
                .col(string_len("usci", 18))
                .col(uuid("item_id"))
                .col(string_len("licence_name", 100))
                .col(date("decided_on"))
                .col(string_len("bureau", 64))
                // `api` or `xlsx`.
                .col(string_len("channel", 8))
                .col(string_len("region_code", 12))
                .col(string_len("status", 16))
                // The supervising department (null while with the coordination office).
                .col(uuid_null("department_id"))
                .col(string_len("created_by", 64))
                .col(timestamp_with_time_zone("created_at"))
                .col(timestamp_with_time_zone("updated_at"))
                .take(),
        )
        .await?;
        // One hand-over per licence and event: a push repeated is an update, never a second.
        m.create_index(
            Index::create()
                .name("ux_licence_events_key")
                .table("licence_events")
                .col("licence_no")
                .col("event")
                .unique()
                .if_not_exists()
                .take(),
        )
        .await?;
        m.create_index(idx(
            "ix_licence_events_region_status",
            "licence_events",
            &["region_code", "status", "created_at"],
        ))
        .await?;

        m.create_table(
            Table::create()
                .table("licence_feedback")
                .if_not_exists()
                .col(pk_uuid("id"))
                .col(uuid("licence_event_id"))
                .col(string_len("licence_no", 64))
                .col(string_len("kind", 16))
                .col(text("content"))
                // The visit whose result bears on the licence, when there is one.
                .col(uuid_null("visit_id"))
                .col(uuid("department_id"))
                .col(string_len("region_code", 12))
                .col(string_len("created_by", 64))
                .col(timestamp_with_time_zone("created_at"))
                // When the bureau's system acknowledged it (null: not read yet).
                .col(timestamp_with_time_zone_null("read_at"))
                .take(),
        )
        .await?;
        m.create_index(idx(
            "ix_licence_feedback_region",
            "licence_feedback",
            &["region_code", "created_at"],
        ))
        .await?;
        m.create_index(idx(
            "ix_licence_feedback_event",
            "licence_feedback",
            &["licence_event_id"],
        ))
        .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table("licence_feedback").if_exists().take())
            .await?;
        m.drop_table(Table::drop().table("licence_events").if_exists().take())
            .await?;
        m.drop_index(
            Index::drop()
                .name("ix_claims_source")
                .table("claims")
                .if_exists()
                .to_owned(),
        )
        .await?;
        for c in ["source_id", "source_kind"] {
            if m.has_column("claims", c).await? {
                m.alter_table(Table::alter().table("claims").drop_column(c).take())
                    .await?;
            }
        }
        Ok(())
    }
}
