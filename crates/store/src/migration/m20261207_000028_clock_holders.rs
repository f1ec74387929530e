//! Issue 14, performance: each case clock carries whom it runs against (the case's region and
//! the department that must act) and the step that stopped it, so that the office's rates are
//! counted from `case_clocks` alone instead of joining every clue (`clue_reports`;
//! `docs/performance.md`, "Clue queues and rates"). The two clock indexes become covering.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

use super::idx;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261207_000028_clock_holders"
    }
}

type Indexes = &'static [(&'static str, &'static [&'static str])];

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
];

async fn replace_indexes(
    m: &SchemaManager<'_>,
    drop: Indexes,
    create: Indexes,
) -> Result<(), DbErr> {
    for (name, _) in drop {
        m.drop_index(
            Index::drop()
                .name(*name)
                .table("case_clocks")
                .if_exists()
                .to_owned(),
        )
        .await?;
    }
    for (name, cols) in create {
        m.create_index(idx(name, "case_clocks", cols)).await?;
    }
    Ok(())
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        // One column per statement: SQLite's ALTER TABLE adds one at a time.
        let cols: [(&str, ColumnDef); 3] = [
            (
                "region_code",
                string_len("region_code", 12).default("").to_owned(),
            ),
            ("department_id", uuid_null("department_id")),
            ("stopped_by", string_len_null("stopped_by", 32)),
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
        replace_indexes(m, NEW, NEW).await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        replace_indexes(m, NEW, OLD).await?;
        for name in ["stopped_by", "department_id", "region_code"] {
            m.alter_table(Table::alter().table("case_clocks").drop_column(name).take())
                .await?;
        }
        Ok(())
    }
}
