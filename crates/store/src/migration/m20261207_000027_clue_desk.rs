//! Issue 14 item 8: indexes for the clue queues and the office's rates over 200,000 clues
//! (`docs/performance.md`, "Clue queues and rates").

use sea_orm_migration::prelude::*;

use super::idx;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261207_000027_clue_desk"
    }
}

const INDEXES: &[(&str, &str, &[&str])] = &[
    // The queues page newest first (the default order) within a scope.
    ("ix_clues_received", "clues", &["received_at"]),
    (
        "ix_clues_status_received",
        "clues",
        &["status", "received_at"],
    ),
    // Search by the entity's name goes through the entity ids.
    ("ix_clues_entity", "clues", &["entity_id"]),
    // 即将超时 / 已超时 and the overdue figure: running clocks by deadline; the on-time rate:
    // clocks stopped in a period.
    (
        "ix_case_clocks_running",
        "case_clocks",
        &["case_kind", "name", "stopped_on", "due"],
    ),
    // The response rate: clocks started (dispatches) in a period.
    (
        "ix_case_clocks_started",
        "case_clocks",
        &["case_kind", "name", "started_on"],
    ),
    // Returns in a period.
    (
        "ix_case_events_action",
        "case_events",
        &["case_kind", "action", "at"],
    ),
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for (name, table, cols) in INDEXES {
            m.create_index(idx(name, table, cols)).await?;
        }
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for (name, table, _) in INDEXES {
            m.drop_index(
                Index::drop()
                    .name(*name)
                    .table(*table)
                    .if_exists()
                    .to_owned(),
            )
            .await?;
        }
        Ok(())
    }
}
