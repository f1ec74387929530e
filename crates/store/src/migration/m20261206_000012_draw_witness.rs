//! Witnessed draws and lawful publication (issue 11, format `lianjian-draw/3`): the second
//! secret (`salt_key`, beside the server seed), the pre-announced public beacon (its spec fixed at
//! commitment, its value entered once known), the reason recorded for a draw nobody witnesses,
//! the office's publication delay, and the supervisors invited to contribute with their values.
//! Legacy draws keep null in every new column.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

use super::idx;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261206_000012_draw_witness"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        // One column per statement: SQLite's ALTER TABLE adds one at a time.
        let cols: Vec<(&str, ColumnDef)> = vec![
            // Secret like the server seed; in the full record only, never in the public one.
            ("salt_key", string_len_null("salt_key", 64)),
            ("beacon_source", string_len_null("beacon_source", 100)),
            ("beacon_reference", string_len_null("beacon_reference", 100)),
            ("beacon_available_on", date_null("beacon_available_on")),
            ("beacon_value", text_null("beacon_value")),
            (
                "beacon_entered_by",
                string_len_null("beacon_entered_by", 64),
            ),
            (
                "beacon_entered_at",
                timestamp_with_time_zone_null("beacon_entered_at"),
            ),
            ("unwitnessed_reason", text_null("unwitnessed_reason")),
            // Days after the period's end before unpublished visits become public (0 = at once).
            (
                "publish_delay_days",
                integer("publish_delay_days").default(0).take(),
            ),
        ];
        for (name, mut col) in cols {
            if !m.has_column("draws", name).await? {
                m.alter_table(Table::alter().table("draws").add_column(&mut col).take())
                    .await?;
            }
        }
        m.create_table(
            Table::create()
                .table("draw_witnesses")
                .if_not_exists()
                .col(uuid("draw_id"))
                .col(uuid("account_id"))
                // The display name at invitation, bound into the record with the value.
                .col(string_len("display_name", 64))
                .col(string_len("invited_by", 64))
                .col(timestamp_with_time_zone("invited_at"))
                // Hex; secret until the draw is executed.
                .col(text_null("value_hex"))
                .col(timestamp_with_time_zone_null("submitted_at"))
                .primary_key(Index::create().col("draw_id").col("account_id"))
                .take(),
        )
        .await?;
        m.create_index(idx(
            "ix_draw_witnesses_account",
            "draw_witnesses",
            &["account_id", "submitted_at"],
        ))
        .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table("draw_witnesses").if_exists().take())
            .await?;
        for c in [
            "publish_delay_days",
            "unwitnessed_reason",
            "beacon_entered_at",
            "beacon_entered_by",
            "beacon_value",
            "beacon_available_on",
            "beacon_reference",
            "beacon_source",
            "salt_key",
        ] {
            if m.has_column("draws", c).await? {
                m.alter_table(Table::alter().table("draws").drop_column(c).take())
                    .await?;
            }
        }
        Ok(())
    }
}
