//! Issue 14, performance: each case clock carries whom it runs against (the case's region and
//! the department that must act), the step that stopped it and how many approved extensions
//! moved it, so that the office's rates are counted from `case_clocks` alone instead of
//! joining every clue (`clue_reports`; `docs/performance.md`, "Clue queues and rates"). The two
//! clock indexes become covering, and so do the clues' (region, status) index for the queue
//! tabs' one counting pass (with the id the running-clock filters look up), the events' by
//! action (with the case) and a clue index for the satisfaction figure (verdict, department).

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

use super::{Indexes, replace_indexes};

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261207_000028_clock_holders"
    }
}

const OLD: Indexes = &[
    (
        "ix_case_clocks_running",
        &["case_kind", "name", "stopped_on", "due"],
    ),
    (
        "ix_case_clocks_started",
        &["case_kind", "name", "started_on"],
    ),
];

const OLD_CLUES: Indexes = &[("ix_clues_region_status", &["region_code", "status"])];
const NEW_CLUES: Indexes = &[
    ("ix_clues_region_status", &["region_code", "status", "id"]),
    // The satisfaction figure looks up each revisited clue's verdict and department.
    (
        "ix_clues_verdict",
        &["id", "satisfaction", "department_id", "region_code"],
    ),
];
const OLD_EVENTS: Indexes = &[("ix_case_events_action", &["case_kind", "action", "at"])];
// The revisits, returns and extensions of a period with their case, from the index alone.
const NEW_EVENTS: Indexes = &[(
    "ix_case_events_action",
    &["case_kind", "action", "at", "case_id"],
)];

const NEW: Indexes = &[
    // 即将超时 / 已超时 and overdue now (running clocks by deadline); finished in a period
    // (clocks stopped in it).
    (
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
    ),
    // Dispatched in a period (signing clocks started in it), signed, signed in time.
    (
        "ix_case_clocks_started",
        &[
            "case_kind",
            "name",
            "started_on",
            "region_code",
            "department_id",
            "stopped_by",
            "stopped_on",
            "due",
        ],
    ),
];

/// Clue clocks written before: their clue's region and department, and for stopped signing and
/// finishing clocks the step the clue's status shows (signed, finished); other stops stay
/// unknown (NULL), which the rates count as neither.
const BACKFILL: &[&str] = &[
    "UPDATE case_clocks SET \
     region_code = (SELECT c.region_code FROM clues c WHERE c.id = case_clocks.case_id), \
     department_id = (SELECT c.department_id FROM clues c WHERE c.id = case_clocks.case_id) \
     WHERE case_kind = 'clue' AND EXISTS (SELECT 1 FROM clues c WHERE c.id = case_clocks.case_id)",
    "UPDATE case_clocks SET stopped_by = 'sign' WHERE case_kind = 'clue' AND name = 'sign' \
     AND stopped_on IS NOT NULL AND EXISTS (SELECT 1 FROM clues c WHERE c.id = case_clocks.case_id \
     AND c.status IN ('handling', 'extension_requested', 'finished', 'closed'))",
    "UPDATE case_clocks SET stopped_by = 'finish' WHERE case_kind = 'clue' AND name = 'finish' \
     AND stopped_on IS NOT NULL AND EXISTS (SELECT 1 FROM clues c WHERE c.id = case_clocks.case_id \
     AND c.status IN ('finished', 'closed'))",
    "UPDATE case_clocks SET extensions = (SELECT COUNT(*) FROM case_events e \
     WHERE e.case_kind = case_clocks.case_kind AND e.case_id = case_clocks.case_id \
     AND e.action = 'approve_extension') WHERE case_kind = 'clue' AND name = 'finish'",
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        // One column per statement: SQLite's ALTER TABLE adds one at a time.
        let cols: [(&str, ColumnDef); 4] = [
            (
                "region_code",
                string_len("region_code", 12).default("").to_owned(),
            ),
            ("department_id", uuid_null("department_id")),
            ("stopped_by", string_len_null("stopped_by", 32)),
            ("extensions", integer("extensions").default(0).to_owned()),
        ];
        for (name, mut def) in cols {
            if !m.has_column("case_clocks", name).await? {
                m.alter_table(
                    Table::alter()
                        .table("case_clocks")
                        .add_column(&mut def)
                        .take(),
                )
                .await?;
            }
        }
        for sql in BACKFILL {
            m.get_connection().execute_unprepared(sql).await?;
        }
        replace_indexes(m, "case_clocks", NEW, NEW).await?;
        replace_indexes(m, "case_events", NEW_EVENTS, NEW_EVENTS).await?;
        replace_indexes(m, "clues", NEW_CLUES, NEW_CLUES).await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        replace_indexes(m, "clues", NEW_CLUES, OLD_CLUES).await?;
        replace_indexes(m, "case_events", NEW_EVENTS, OLD_EVENTS).await?;
        replace_indexes(m, "case_clocks", NEW, OLD).await?;
        for name in ["extensions", "stopped_by", "department_id", "region_code"] {
            m.alter_table(Table::alter().table("case_clocks").drop_column(name).take())
                .await?;
        }
        Ok(())
    }
}
