//! Issue 16 item 3: IoT sensing (物联网感知监测). The device registry (`devices`), raw readings
//! kept for a retention (`device_readings`, keyed by device, metric and time so a redelivered
//! reading is dropped), message ids seen (`device_messages`, the same for a message resent
//! whole), per-minute aggregates kept for good (`device_minutes`) and every exceedance
//! (`device_exceedances`).

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

use super::idx;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261207_000035_iot"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table("devices")
                .if_not_exists()
                .col(pk_uuid("id"))
                // The vendor's id, also the device's topic segment.
                .col(string_len("external_id", 64).unique_key())
                .col(string_len("kind", 32))
                .col(uuid("entity_id"))
                // The entity's region: devices are scoped like the directory.
                .col(string_len("region_code", 12))
                // The owner department (its line sees the device).
                .col(uuid("department_id"))
                .col(text("location"))
                // Per-metric thresholds as a JSON object.
                .col(text("thresholds"))
                .col(integer("silence_minutes"))
                .col(string_len("status", 16))
                // Persisted periodically from the ingest's memory (silence after a restart).
                .col(timestamp_with_time_zone_null("last_seen_at"))
                .col(string_len("created_by", 64))
                .col(timestamp_with_time_zone("created_at"))
                .col(timestamp_with_time_zone("updated_at"))
                .take(),
        )
        .await?;
        m.create_index(idx(
            "ix_devices_region",
            "devices",
            &["region_code", "status", "external_id"],
        ))
        .await?;
        m.create_index(idx("ix_devices_entity", "devices", &["entity_id"]))
            .await?;
        m.create_table(
            Table::create()
                .table("device_readings")
                .if_not_exists()
                .col(uuid("device_id"))
                .col(string_len("metric", 32))
                .col(timestamp_with_time_zone("at"))
                .col(double("value"))
                .col(timestamp_with_time_zone("received_at"))
                .primary_key(Index::create().col("device_id").col("metric").col("at"))
                .take(),
        )
        .await?;
        // The retention pass deletes by time.
        m.create_index(idx("ix_device_readings_at", "device_readings", &["at"]))
            .await?;
        m.create_table(
            Table::create()
                .table("device_messages")
                .if_not_exists()
                .col(uuid("device_id"))
                .col(string_len("msg_id", 128))
                .col(timestamp_with_time_zone("received_at"))
                .primary_key(Index::create().col("device_id").col("msg_id"))
                .take(),
        )
        .await?;
        m.create_index(idx(
            "ix_device_messages_received",
            "device_messages",
            &["received_at"],
        ))
        .await?;
        m.create_table(
            Table::create()
                .table("device_minutes")
                .if_not_exists()
                .col(uuid("device_id"))
                .col(string_len("metric", 32))
                .col(timestamp_with_time_zone("minute"))
                .col(double("min"))
                .col(double("max"))
                .col(double("sum"))
                .col(big_integer("count"))
                .col(double("last"))
                .col(timestamp_with_time_zone("last_at"))
                .primary_key(Index::create().col("device_id").col("metric").col("minute"))
                .take(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table("device_exceedances")
                .if_not_exists()
                .col(pk_uuid("id"))
                .col(uuid("device_id"))
                .col(string_len("metric", 32))
                .col(double("threshold"))
                .col(timestamp_with_time_zone("started_at"))
                .col(timestamp_with_time_zone("last_at"))
                .col(timestamp_with_time_zone_null("ended_at"))
                .col(double("peak"))
                .col(big_integer("count"))
                .take(),
        )
        .await?;
        m.create_index(idx(
            "ix_device_exceedances_device",
            "device_exceedances",
            &["device_id", "started_at"],
        ))
        .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for t in [
            "device_exceedances",
            "device_minutes",
            "device_messages",
            "device_readings",
            "devices",
        ] {
            m.drop_table(Table::drop().table(t).if_exists().to_owned())
                .await?;
        }
        Ok(())
    }
}
