//! Issue 15: credit entries (信用记录, `domain::credit`): administrative penalties, the
//! abnormal-operation and serious-dishonesty listings, sanctions and commendations per entity,
//! each with its publication period. Published inspection results keep their own rows in
//! `credit_records` (issue 5, written by visits): that table is sealed row by row, and adding
//! columns to it would change the digest of every sealed row.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

use super::idx;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261207_000031_credit_entries"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table("credit_entries")
                .if_not_exists()
                .col(pk_uuid("id"))
                .col(uuid("entity_id"))
                // The entity's region when recorded: scope, like the directory (every line).
                .col(string_len("region_code", 12))
                // The deciding or listing department (none for a record of another authority
                // imported by the office).
                .col(uuid_null("department_id"))
                .col(string_len("kind", 16))
                .col(string_len_null("tier", 8))
                .col(date("occurred_on"))
                // 决定书文号 / 列入文号: unique per kind when present (the import's key).
                .col(string_len_null("reference", 64))
                // 违法行为 / 列入原因 / 措施 / 表彰事由.
                .col(text("title"))
                .col(text_null("legal_basis"))
                .col(text("detail"))
                .col(string_len("source", 16))
                .col(boolean("published"))
                .col(date("repair_from"))
                .col(date("publish_until"))
                .col(string_len("status", 12))
                // The day it was removed, repaired or withdrawn.
                .col(date_null("ended_on"))
                .col(string_len("created_by", 64))
                .col(timestamp_with_time_zone("created_at"))
                .col(timestamp_with_time_zone("updated_at"))
                .take(),
        )
        .await?;
        m.create_index(idx(
            "ix_credit_entries_entity",
            "credit_entries",
            &["entity_id", "occurred_on"],
        ))
        .await?;
        m.create_index(idx(
            "ix_credit_entries_region",
            "credit_entries",
            &["region_code", "kind", "occurred_on"],
        ))
        .await?;
        m.create_index(
            idx(
                "ux_credit_entries_reference",
                "credit_entries",
                &["kind", "reference"],
            )
            .unique()
            .take(),
        )
        .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for t in ["credit_entries"] {
            m.drop_table(Table::drop().table(t).if_exists().to_owned())
                .await?;
        }
        Ok(())
    }
}
