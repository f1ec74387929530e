//! Issue 17 item 5, compliance guides (一业一册): the guide itself is generated from the item's
//! version in force, so only what people write is stored — the explanatory sections (every
//! edit a new row, the latest one in force) and the departments' public contact details. The
//! index on the frozen checklist's item lets a guide count its item's failed check points
//! without scanning every visit.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

use super::idx;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261207_000040_guides"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table("guide_sections")
                .if_not_exists()
                .col(pk_uuid("id"))
                .col(uuid("item_id"))
                // overview | rectification | notes
                .col(string_len("kind", 24))
                // 1, 2, … per (item, kind); the highest is in force.
                .col(integer("version"))
                .col(text("body"))
                .col(string_len("edited_by", 64))
                .col(timestamp_with_time_zone("edited_at"))
                .take(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ux_guide_sections_version")
                .table("guide_sections")
                .col("item_id")
                .col("kind")
                .col("version")
                .unique()
                .if_not_exists()
                .take(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table("department_contacts")
                .if_not_exists()
                .col(uuid("department_id").primary_key())
                .col(string_len("phone", 32))
                .col(string_len("address", 128))
                .col(string_len("hours", 64))
                .col(string_len("updated_by", 64))
                .col(timestamp_with_time_zone("updated_at"))
                .take(),
        )
        .await?;
        m.create_index(idx(
            "ix_visit_checklist_item",
            "visit_checklist",
            &["item_id"],
        ))
        .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_index(
            Index::drop()
                .name("ix_visit_checklist_item")
                .table("visit_checklist")
                .if_exists()
                .to_owned(),
        )
        .await?;
        m.drop_table(Table::drop().table("department_contacts").take())
            .await?;
        m.drop_table(Table::drop().table("guide_sections").take())
            .await
    }
}
