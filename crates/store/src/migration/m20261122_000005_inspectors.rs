//! Issue 4: the inspector pool (执法检查人员库) with qualifications and declared conflicts of
//! interest (回避), the people double-random draws pick from.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

use super::idx;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261122_000005_inspectors"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table("inspectors")
                .if_not_exists()
                .col(pk_uuid("id"))
                .col(uuid("department_id"))
                // The department's region or a place inside it (a township office).
                .col(string_len("region_code", 9))
                .col(string_len("name", 64))
                .col(string_len_uniq("certificate_number", 32))
                .col(string_len("kind", 16))
                .col(string_len("status", 16))
                .col(string_len_null("phone", 20))
                // The sign-in account of this person, so results can be recorded on a phone.
                .col(uuid_null("user_id"))
                .col(timestamp_with_time_zone("created_at"))
                .col(timestamp_with_time_zone("updated_at"))
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_inspectors_department")
                        .from("inspectors", "department_id")
                        .to("departments", "id"),
                )
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_inspectors_user")
                        .from("inspectors", "user_id")
                        .to("users", "id"),
                )
                .take(),
        )
        .await?;
        m.create_index(
            idx("ux_inspectors_user", "inspectors", &["user_id"])
                .unique()
                .take(),
        )
        .await?;
        m.create_index(idx(
            "ix_inspectors_department",
            "inspectors",
            &["department_id", "status"],
        ))
        .await?;
        m.create_index(idx(
            "ix_inspectors_region",
            "inspectors",
            &["region_code", "status"],
        ))
        .await?;
        m.create_index(idx(
            "ix_inspectors_status",
            "inspectors",
            &["status", "kind"],
        ))
        .await?;
        m.create_index(idx("ix_inspectors_name", "inspectors", &["name"]))
            .await?;

        m.create_table(
            Table::create()
                .table("inspector_qualifications")
                .if_not_exists()
                .col(uuid("inspector_id"))
                .col(string_len("qualification", 32))
                .primary_key(Index::create().col("inspector_id").col("qualification"))
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_inspector_qualifications_inspector")
                        .from("inspector_qualifications", "inspector_id")
                        .to("inspectors", "id"),
                )
                .take(),
        )
        .await?;
        m.create_index(idx(
            "ix_inspector_qualifications_qualification",
            "inspector_qualifications",
            &["qualification", "inspector_id"],
        ))
        .await?;

        m.create_table(
            Table::create()
                .table("inspector_conflicts")
                .if_not_exists()
                .col(pk_uuid("id"))
                .col(uuid("inspector_id"))
                .col(uuid("entity_id"))
                .col(text("reason"))
                .col(timestamp_with_time_zone("declared_at"))
                .col(string_len("declared_by", 64))
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_inspector_conflicts_inspector")
                        .from("inspector_conflicts", "inspector_id")
                        .to("inspectors", "id"),
                )
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_inspector_conflicts_entity")
                        .from("inspector_conflicts", "entity_id")
                        .to("entities", "id"),
                )
                .take(),
        )
        .await?;
        // One declaration per person and entity.
        m.create_index(
            idx(
                "ux_inspector_conflicts",
                "inspector_conflicts",
                &["inspector_id", "entity_id"],
            )
            .unique()
            .take(),
        )
        .await?;
        m.create_index(idx(
            "ix_inspector_conflicts_entity",
            "inspector_conflicts",
            &["entity_id"],
        ))
        .await?;
        Ok(())
    }
}
