//! Issue 3: tags (标签), the regulated-object directory (名录库), supervision items (事项清单)
//! with versions, and 双告知 claims.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

use super::idx;
use sea_orm_migration::sea_orm::{ConnectionTrait, DbBackend};

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261122_000004_directory"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table("tags")
                .if_not_exists()
                .col(pk_uuid("id"))
                .col(string_len_uniq("code", 64))
                .col(string_len("name", 64))
                .col(uuid_null("parent_id"))
                .col(small_integer("level"))
                .col(string_len("region_code", 9))
                .col(uuid_null("owner_department_id"))
                .col(string_len_null("description", 255))
                .col(date_null("valid_from"))
                .col(date_null("valid_to"))
                .col(string_len("status", 16))
                .col(timestamp_with_time_zone("created_at"))
                .col(timestamp_with_time_zone("updated_at"))
                .take(),
        )
        .await?;
        m.create_index(idx("ix_tags_parent", "tags", &["parent_id"]))
            .await?;

        m.create_table(
            Table::create()
                .table("tag_rules")
                .if_not_exists()
                .col(pk_uuid("id"))
                .col(uuid("tag_id"))
                .col(string_len("kind", 32))
                .col(string_len("pattern", 128))
                .col(timestamp_with_time_zone("created_at"))
                .take(),
        )
        .await?;
        m.create_index(idx("ix_tag_rules_tag", "tag_rules", &["tag_id"]))
            .await?;

        m.create_table(
            Table::create()
                .table("entities")
                .if_not_exists()
                .col(pk_uuid("id"))
                .col(string_len_uniq("usci", 18))
                .col(string_len("name", 200))
                .col(string_len("entity_type", 32))
                .col(string_len_null("legal_rep", 64))
                .col(string_len_null("address", 255))
                .col(string_len("region_code", 9))
                .col(string_len_null("industry_code", 8))
                .col(string_len("reg_status", 16))
                .col(text_null("business_scope"))
                .col(string_len_null("credit_class", 1))
                .col(date_null("credit_date"))
                .col(string_len_null("credit_source", 64))
                // Space-separated character bigrams of the name (and a trailing unigram):
                // the text both full-text indexes work on, so 1- and 2-character Chinese
                // fragments are searchable too. See `store::entities::name_grams`.
                .col(text("name_grams"))
                .col(timestamp_with_time_zone("created_at"))
                .col(timestamp_with_time_zone("updated_at"))
                .take(),
        )
        .await?;
        m.create_index(idx("ix_entities_region", "entities", &["region_code"]))
            .await?;
        m.create_index(idx(
            "ix_entities_credit",
            "entities",
            &["credit_class", "region_code"],
        ))
        .await?;
        m.create_index(idx("ix_entities_name", "entities", &["name"]))
            .await?;
        m.create_index(idx("ix_entities_updated", "entities", &["updated_at"]))
            .await?;

        m.create_table(
            Table::create()
                .table("entity_licences")
                .if_not_exists()
                .col(pk_uuid("id"))
                .col(uuid("entity_id"))
                .col(string_len("region_code", 9))
                .col(string_len("licence_type", 64))
                .col(string_len("number", 64))
                .col(string_len_null("issuer", 128))
                .col(date_null("valid_from"))
                .col(date_null("valid_to"))
                .take(),
        )
        .await?;
        m.create_index(idx("ix_licences_entity", "entity_licences", &["entity_id"]))
            .await?;
        m.create_index(idx(
            "ix_licences_type",
            "entity_licences",
            &["licence_type"],
        ))
        .await?;

        m.create_table(
            Table::create()
                .table("entity_tags")
                .if_not_exists()
                .col(uuid("entity_id"))
                .col(uuid("tag_id"))
                .col(string_len("region_code", 9))
                .col(string_len("source", 16))
                .col(timestamp_with_time_zone("created_at"))
                .primary_key(Index::create().col("entity_id").col("tag_id"))
                .take(),
        )
        .await?;
        m.create_index(idx(
            "ix_entity_tags_tag",
            "entity_tags",
            &["tag_id", "entity_id"],
        ))
        .await?;

        m.create_table(
            Table::create()
                .table("items")
                .if_not_exists()
                .col(pk_uuid("id"))
                .col(string_len_uniq("code", 32))
                .col(string_len("name", 128))
                .col(uuid_null("sector_id"))
                .col(string_len("category", 16))
                .col(uuid("lead_department_id"))
                .col(string_len("region_code", 9))
                .col(string_len("implementation_level", 16))
                .col(text("object_description"))
                .col(text("object_expr"))
                .col(string_len("methods", 255))
                .col(string_len_null("default_frequency", 64))
                .col(string_len("status", 16))
                .col(integer("version"))
                .col(timestamp_with_time_zone("created_at"))
                .col(timestamp_with_time_zone("updated_at"))
                .col(timestamp_with_time_zone_null("published_at"))
                .take(),
        )
        .await?;
        m.create_index(idx("ix_items_region", "items", &["region_code", "status"]))
            .await?;

        m.create_table(
            Table::create()
                .table("item_departments")
                .if_not_exists()
                .col(uuid("item_id"))
                .col(uuid("department_id"))
                .col(string_len("role", 16))
                .col(text("duties"))
                .col(text("legal_basis"))
                .col(integer("seq"))
                .primary_key(Index::create().col("item_id").col("department_id"))
                .take(),
        )
        .await?;
        m.create_index(idx(
            "ix_item_departments_department",
            "item_departments",
            &["department_id"],
        ))
        .await?;

        m.create_table(
            Table::create()
                .table("item_check_points")
                .if_not_exists()
                .col(pk_uuid("id"))
                .col(uuid("item_id"))
                .col(string_len("dimension", 32))
                .col(integer("seq"))
                .col(text("content"))
                .col(text("legal_basis"))
                .take(),
        )
        .await?;
        m.create_index(idx(
            "ix_check_points_item",
            "item_check_points",
            &["item_id", "seq"],
        ))
        .await?;

        m.create_table(
            Table::create()
                .table("item_versions")
                .if_not_exists()
                .col(pk_uuid("id"))
                .col(uuid("item_id"))
                .col(integer("version"))
                .col(timestamp_with_time_zone("effective_at"))
                .col(string_len("changed_by", 64))
                .col(text("summary"))
                .col(text("snapshot"))
                .take(),
        )
        .await?;
        m.create_index(
            idx("ux_item_versions", "item_versions", &["item_id", "version"])
                .unique()
                .take(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table("claims")
                .if_not_exists()
                .col(pk_uuid("id"))
                .col(uuid("entity_id"))
                .col(string_len("region_code", 9))
                .col(uuid_null("department_id"))
                .col(string_len("status", 16))
                .col(text("matched_by"))
                .col(text_null("reason"))
                .col(timestamp_with_time_zone("created_at"))
                .col(timestamp_with_time_zone_null("decided_at"))
                .col(string_len_null("decided_by", 64))
                .take(),
        )
        .await?;
        m.create_index(idx(
            "ix_claims_department",
            "claims",
            &["department_id", "status"],
        ))
        .await?;
        m.create_index(idx("ix_claims_entity", "claims", &["entity_id"]))
            .await?;
        m.create_index(idx(
            "ix_claims_region",
            "claims",
            &["region_code", "status"],
        ))
        .await?;

        // An entity's timeline and history read the audit log by object.
        m.create_index(idx(
            "ix_audit_object",
            "audit_log",
            &["object_type", "object_id", "seq"],
        ))
        .await?;

        let conn = m.get_connection();
        match conn.get_database_backend() {
            DbBackend::Sqlite => {
                conn.execute_unprepared(
                    "CREATE VIRTUAL TABLE IF NOT EXISTS entities_fts USING fts5(name_grams, content='entities', content_rowid='rowid', tokenize='unicode61')",
                )
                .await?;
                // Kept in step by triggers, so no code path can forget the index.
                conn.execute_unprepared(
                    "CREATE TRIGGER IF NOT EXISTS entities_fts_ai AFTER INSERT ON entities BEGIN \
                     INSERT INTO entities_fts(rowid, name_grams) VALUES (new.rowid, new.name_grams); END",
                )
                .await?;
                conn.execute_unprepared(
                    "CREATE TRIGGER IF NOT EXISTS entities_fts_ad AFTER DELETE ON entities BEGIN \
                     INSERT INTO entities_fts(entities_fts, rowid, name_grams) VALUES ('delete', old.rowid, old.name_grams); END",
                )
                .await?;
                conn.execute_unprepared(
                    "CREATE TRIGGER IF NOT EXISTS entities_fts_au AFTER UPDATE OF name_grams ON entities BEGIN \
                     INSERT INTO entities_fts(entities_fts, rowid, name_grams) VALUES ('delete', old.rowid, old.name_grams); \
                     INSERT INTO entities_fts(rowid, name_grams) VALUES (new.rowid, new.name_grams); END",
                )
                .await?;
            }
            DbBackend::Postgres => {
                conn.execute_unprepared(
                    "CREATE INDEX IF NOT EXISTS ix_entities_grams ON entities USING GIN (to_tsvector('simple', name_grams))",
                )
                .await?;
                // Prefix ranges (region subtree, credit-code prefix) use these under any collation.
                conn.execute_unprepared("CREATE INDEX IF NOT EXISTS ix_entities_usci_pattern ON entities (usci text_pattern_ops)").await?;
                conn.execute_unprepared(
                    "CREATE INDEX IF NOT EXISTS ix_entities_region_pattern ON entities (region_code text_pattern_ops)",
                )
                .await?;
            }
            _ => {}
        }
        Ok(())
    }
}
