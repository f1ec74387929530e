//! Risk weighting of draws (issue 4: "optional risk weighting within a class"): a risk weight
//! per tag (1–10, 1 = no weighting; an entity weighs as its heaviest tag) and a plan option to
//! draw risk-weighted within each credit class (按风险加权抽取). Existing rows get the neutral
//! values, so nothing drawn so far changes.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261206_000010_risk_weights"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        // One column per statement: SQLite's ALTER TABLE adds one at a time.
        if !m.has_column("tags", "risk_weight").await? {
            m.alter_table(
                Table::alter()
                    .table("tags")
                    .add_column(integer("risk_weight").default(1))
                    .take(),
            )
            .await?;
        }
        if !m.has_column("plans", "risk_weighted").await? {
            m.alter_table(
                Table::alter()
                    .table("plans")
                    .add_column(boolean("risk_weighted").default(false))
                    .take(),
            )
            .await?;
        }
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for (t, c) in [("plans", "risk_weighted"), ("tags", "risk_weight")] {
            if m.has_column(t, c).await? {
                m.alter_table(Table::alter().table(t).drop_column(c).take())
                    .await?;
            }
        }
        Ok(())
    }
}
