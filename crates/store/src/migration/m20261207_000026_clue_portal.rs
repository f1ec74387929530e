//! The public complaint form (投诉举报, issue 14 item 7): the hash of each portal clue's check
//! code (查询码), the challenges already answered (a solved challenge is good once), and the
//! portal's signing secret for challenges (shared by every instance on the database).

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

use super::idx;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261207_000026_clue_portal"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table("clue_checks")
                .if_not_exists()
                .col(pk_uuid("clue_id"))
                // The clue's code as the complainant types it on the tracking page.
                .col(string_len("code", 32).unique_key())
                // Hex salt and SHA-256 (hex) of salt and check code; never the code itself.
                .col(string_len("salt", 32))
                .col(string_len("check_hash", 64))
                .col(timestamp_with_time_zone("created_at"))
                .take(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table("portal_challenges")
                .if_not_exists()
                // SHA-256 (hex) of the challenge token answered.
                .col(string_len("key", 64).primary_key())
                .col(timestamp_with_time_zone("expires_at"))
                .take(),
        )
        .await?;
        m.create_index(idx(
            "ix_portal_challenges_expires",
            "portal_challenges",
            &["expires_at"],
        ))
        .await?;
        m.create_table(
            Table::create()
                .table("portal_secrets")
                .if_not_exists()
                .col(string_len("name", 32).primary_key())
                .col(string_len("value", 64))
                .col(timestamp_with_time_zone("created_at"))
                .take(),
        )
        .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for t in ["portal_secrets", "portal_challenges", "clue_checks"] {
            m.drop_table(Table::drop().table(t).if_exists().to_owned())
                .await?;
        }
        Ok(())
    }
}
