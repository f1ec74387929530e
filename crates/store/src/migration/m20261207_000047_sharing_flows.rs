//! Issue 18, the flows after directory changes (docs/sharing.md "Flows in this version"):
//!
//! - `ix_audit_object_seq` on `audit_log (object_type, seq)`: the producers of visit results,
//!   rectification orders, penalties and sanction batches read the audit log as their change
//!   feed (`audit::objects_after`), one object type at a time from a cursor;
//! - `sharing_records.status`: the state a received record is in (a visit's, a rectification
//!   order's, a sanction's …, or `deleted`), so the upper level's dashboard counts per lower
//!   instance with one grouped query instead of parsing every payload.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

use super::idx;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261207_000047_sharing_flows"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_index(idx(
            "ix_audit_object_seq",
            "audit_log",
            &["object_type", "seq"],
        ))
        .await?;
        if !m.has_column("sharing_records", "status").await? {
            m.alter_table(
                Table::alter()
                    .table("sharing_records")
                    .add_column(string_len_null("status", 32))
                    .take(),
            )
            .await?;
        }
        m.create_index(idx(
            "ix_sharing_records_figures",
            "sharing_records",
            &["sender", "kind", "status"],
        ))
        .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for (name, table) in [
            ("ix_sharing_records_figures", "sharing_records"),
            ("ix_audit_object_seq", "audit_log"),
        ] {
            m.drop_index(Index::drop().name(name).table(table).if_exists().to_owned())
                .await?;
        }
        if m.has_column("sharing_records", "status").await? {
            m.alter_table(
                Table::alter()
                    .table("sharing_records")
                    .drop_column("status")
                    .take(),
            )
            .await?;
        }
        Ok(())
    }
}
