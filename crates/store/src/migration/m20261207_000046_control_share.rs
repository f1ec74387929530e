//! Issue 16 item 4: every risk-weighted plan keeps a random control share (随机对照), so the
//! risk model's lift can be measured on fresh results every year.
//!
//! - `plans.control_permille`: the share of each stratum's quota drawn by the plain random
//!   order (‰; 0 for plans without risk weighting, which are random throughout). Plans are
//!   sealed rows whose digest covers every column, so the migration re-seals the table
//!   (`audit.baseline`, docs/audit-log.md) when it has rows.
//! - `visit_checks.selection`: how a draw picked the entity for the check's plan — `random`
//!   (a plan without risk weighting), `control` (the control share of a weighted plan) or
//!   `weighted`; null for checks no draw made (clues, warnings, ad-hoc visits) and for draws
//!   made before this migration.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

use crate::seal::{self, Sealed};

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261207_000046_control_share"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        if !m.has_column("plans", "control_permille").await? {
            m.alter_table(
                Table::alter()
                    .table("plans")
                    .add_column(integer("control_permille").default(0))
                    .take(),
            )
            .await?;
            seal::reseal_after_migration(m.get_connection(), Sealed::Plans)
                .await
                .map_err(|e| DbErr::Migration(e.to_string()))?;
        }
        if !m.has_column("visit_checks", "selection").await? {
            m.alter_table(
                Table::alter()
                    .table("visit_checks")
                    .add_column(string_null("selection"))
                    .take(),
            )
            .await?;
        }
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for (t, c) in [("visit_checks", "selection"), ("plans", "control_permille")] {
            if m.has_column(t, c).await? {
                m.alter_table(Table::alter().table(t).drop_column(c).take())
                    .await?;
            }
        }
        Ok(())
    }
}
