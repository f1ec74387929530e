//! Issue 14, performance: the running clocks' index also carries the case, and the events'
//! index by action the region and the acting department, so the queue tabs' 即将超时 / 已超时
//! counts, the overdue-now figure and the returns figure read their index alone; and the
//! clues' `(region_code, status, id)` becomes `(status, region_code, id)`: a queue's statuses
//! are a few equality ranges within the region, and the tabs' counts per status skip through
//! the statuses instead of sorting every clue of the region. SQLite, which has no
//! statistics on how much of the index a region range holds, preferred the region-first
//! index even for a county's whole range (the counts: 190 → 16 ms over 200,000 clues). Without the case id, PostgreSQL fetched every running clock's row from the table —
//! once per parallel worker — to learn which clue it belongs to (`EXPLAIN ANALYZE` in
//! `docs/performance.md`, "Clue queues and rates").

use sea_orm_migration::prelude::*;

use super::{Indexes, replace_indexes};

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261207_000029_covering_clocks"
    }
}

const OLD_CLOCKS: Indexes = &[(
    "ix_case_clocks_running",
    &[
        "case_kind",
        "name",
        "stopped_on",
        "due",
        "region_code",
        "department_id",
        "stopped_by",
        "extensions",
    ],
)];
const NEW_CLOCKS: Indexes = &[(
    "ix_case_clocks_running",
    &[
        "case_kind",
        "name",
        "stopped_on",
        "due",
        "region_code",
        "department_id",
        "stopped_by",
        "extensions",
        "case_id",
    ],
)];
const OLD_EVENTS: Indexes = &[(
    "ix_case_events_action",
    &["case_kind", "action", "at", "case_id"],
)];
const NEW_EVENTS: Indexes = &[(
    "ix_case_events_action",
    &[
        "case_kind",
        "action",
        "at",
        "case_id",
        "region_code",
        "actor_department_id",
    ],
)];

const REGION_STATUS: Indexes = &[("ix_clues_region_status", &["region_code", "status", "id"])];
const STATUS_REGION: Indexes = &[("ix_clues_status_region", &["status", "region_code", "id"])];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        replace_indexes(m, "case_clocks", OLD_CLOCKS, NEW_CLOCKS).await?;
        replace_indexes(m, "case_events", OLD_EVENTS, NEW_EVENTS).await?;
        replace_indexes(m, "clues", REGION_STATUS, STATUS_REGION).await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        replace_indexes(m, "clues", STATUS_REGION, REGION_STATUS).await?;
        replace_indexes(m, "case_events", NEW_EVENTS, OLD_EVENTS).await?;
        replace_indexes(m, "case_clocks", NEW_CLOCKS, OLD_CLOCKS).await
    }
}
