//! Issue 14 items 2–4: routing rules, joint handling by several departments, deadlines per
//! source and kind, and the links a clue keeps (the clue it was merged into, the visit that
//! verifies it, the complainant's verdict at 回访, the office's 督办 flag).

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

use super::idx;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261207_000023_clue_workflow"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        // One column per statement: SQLite's ALTER TABLE adds one at a time.
        let cols: [(&str, ColumnDef); 4] = [
            ("merged_into", uuid_null("merged_into")),
            ("visit_id", uuid_null("visit_id")),
            ("satisfaction", string_len_null("satisfaction", 24)),
            (
                "supervised",
                boolean("supervised").default(false).to_owned(),
            ),
        ];
        for (name, mut def) in cols {
            if !m.has_column("clues", name).await? {
                m.alter_table(Table::alter().table("clues").add_column(&mut def).take())
                    .await?;
            }
        }
        // The departments handling a clue: the lead (牵头) and those cooperating (配合) in a
        // joint verification. A clue belongs to the lines of all of them (data scope).
        m.create_table(
            Table::create()
                .table("clue_departments")
                .if_not_exists()
                .col(uuid("clue_id"))
                .col(uuid("department_id"))
                .col(string_len("role", 16))
                .primary_key(Index::create().col("clue_id").col("department_id"))
                .take(),
        )
        .await?;
        // Clues already with a department carry it as their lead.
        m.get_connection()
            .execute_unprepared(
                "INSERT INTO clue_departments (clue_id, department_id, role) \
                 SELECT id, department_id, 'lead' FROM clues WHERE department_id IS NOT NULL",
            )
            .await?;
        m.create_index(idx(
            "ix_clue_departments_department",
            "clue_departments",
            &["department_id", "clue_id"],
        ))
        .await?;
        // The office's routing table: a keyword in a clue's content suggests an item and/or a
        // lead department; a sector suggests a lead department (分办规则).
        m.create_table(
            Table::create()
                .table("clue_routes")
                .if_not_exists()
                .col(pk_uuid("id"))
                .col(string_len("region_code", 12))
                .col(string_len_null("keyword", 32))
                .col(uuid_null("sector_id"))
                .col(uuid_null("item_id"))
                .col(uuid_null("department_id"))
                .col(string_len("created_by", 64))
                .col(timestamp_with_time_zone("created_at"))
                .take(),
        )
        .await?;
        m.create_index(idx(
            "ix_clue_routes_region",
            "clue_routes",
            &["region_code"],
        ))
        .await?;
        // Deadlines per source and kind (`*` for any), per region; the most specific rule of
        // the clue's region or its nearest ancestor applies at dispatch.
        m.create_table(
            Table::create()
                .table("clue_deadline_rules")
                .if_not_exists()
                .col(string_len("region_code", 12))
                .col(string_len("source", 24))
                .col(string_len("kind", 16))
                .col(integer("sign_days"))
                .col(integer("return_days"))
                .col(integer("finish_days"))
                .col(string_len("updated_by", 64))
                .col(timestamp_with_time_zone("updated_at"))
                .primary_key(Index::create().col("region_code").col("source").col("kind"))
                .take(),
        )
        .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for t in ["clue_deadline_rules", "clue_routes", "clue_departments"] {
            m.drop_table(Table::drop().table(t).if_exists().take())
                .await?;
        }
        for c in ["supervised", "satisfaction", "visit_id", "merged_into"] {
            if m.has_column("clues", c).await? {
                m.alter_table(Table::alter().table("clues").drop_column(c).take())
                    .await?;
            }
        }
        Ok(())
    }
}
