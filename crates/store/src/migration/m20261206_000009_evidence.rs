//! Evidence (证据互认, 国办发〔2023〕1号 (十五)): one row per distinct file (content-addressed by
//! SHA-256, the bytes on disk), one row per use of it by a record, and the append-only Merkle
//! log: the hashes of complete subtrees (so a proof reads O(log n) rows) and the signed
//! checkpoints. Rows of the log are only ever inserted.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

use super::idx;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261206_000009_evidence"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table("evidence")
                .if_not_exists()
                .col(pk_uuid("id"))
                .col(string_len("sha256", 64).unique_key())
                .col(big_integer("size"))
                .col(string_len("media_type", 64))
                // Position of the entry's leaf in the Merkle log, from 0.
                .col(big_integer("leaf_index").unique_key())
                // `appended_at` of the canonical leaf, exactly.
                .col(timestamp_with_time_zone("created_at"))
                // Null for the CLI and other actors without an account.
                .col(uuid_null("created_by"))
                .col(string_len("created_by_name", 64))
                .col(uuid_null("department_id"))
                .col(string_len("region_code", 9))
                .take(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table("evidence_links")
                .if_not_exists()
                .col(pk_uuid("id"))
                .col(uuid("evidence_id"))
                // What uses the evidence, e.g. `visit_result`.
                .col(string_len("record_kind", 32))
                .col(uuid("record_id"))
                .col(string_len("filename", 255))
                .col(uuid("department_id"))
                .col(string_len("region_code", 9))
                .col(uuid_null("linked_by"))
                .col(string_len("linked_by_name", 64))
                .col(timestamp_with_time_zone("linked_at"))
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_evidence_links_evidence")
                        .from("evidence_links", "evidence_id")
                        .to("evidence", "id"),
                )
                .take(),
        )
        .await?;
        m.create_index(
            idx(
                "ux_evidence_links_use",
                "evidence_links",
                &["record_kind", "record_id", "evidence_id"],
            )
            .unique()
            .take(),
        )
        .await?;
        m.create_index(idx(
            "ix_evidence_links_evidence",
            "evidence_links",
            &["evidence_id"],
        ))
        .await?;
        // Complete subtrees of the Merkle log: level 0 holds leaf hashes; (level, index) covers
        // leaves index·2^level … (index+1)·2^level − 1.
        m.create_table(
            Table::create()
                .table("evidence_tree_nodes")
                .if_not_exists()
                .col(small_integer("level"))
                .col(big_integer("node_index"))
                .col(string_len("hash", 64))
                .primary_key(Index::create().col("level").col("node_index"))
                .take(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table("evidence_checkpoints")
                .if_not_exists()
                .col(big_integer("tree_size").primary_key())
                .col(string_len("origin", 128))
                .col(string_len("root_hash", 64))
                .col(timestamp_with_time_zone("signed_at"))
                .col(string_len("signature", 128))
                .col(string_len("public_key", 64))
                .take(),
        )
        .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for t in [
            "evidence_checkpoints",
            "evidence_tree_nodes",
            "evidence_links",
            "evidence",
        ] {
            m.drop_table(Table::drop().table(t).if_exists().to_owned())
                .await?;
        }
        Ok(())
    }
}
