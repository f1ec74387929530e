//! Signed audit checkpoints (审计日志检查点, issue 11 item 5): the log's size and head hash at a
//! moment, signed with Ed25519, so a copy kept outside the platform shows a later truncation,
//! deletion or rewrite of the log. Stored as the exact JSON served and exported.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

use super::idx;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261206_000013_audit_checkpoints"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table("audit_checkpoints")
                .if_not_exists()
                .col(pk_uuid("id"))
                // Entries in the log when signed (the last entry's position).
                .col(big_integer("size"))
                .col(timestamp_with_time_zone("created_at"))
                // The signed checkpoint as JSON (`lianjian-audit-checkpoint/1`).
                .col(text("body"))
                .take(),
        )
        .await?;
        m.create_index(idx(
            "ix_audit_checkpoints_created",
            "audit_checkpoints",
            &["created_at"],
        ))
        .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(
            Table::drop()
                .table("audit_checkpoints")
                .if_exists()
                .to_owned(),
        )
        .await
    }
}
