//! Foundation tables: regions, departments, sectors, accounts, sessions, tokens, audit log.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

use super::idx;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261122_000001_foundation"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table("regions")
                .if_not_exists()
                .col(string_len("code", 9).primary_key())
                .col(string_len("name", 64))
                .col(string_len("level", 16))
                .col(string_len_null("parent_code", 9))
                .take(),
        )
        .await?;
        m.create_index(idx("ix_regions_parent", "regions", &["parent_code"]))
            .await?;

        m.create_table(
            Table::create()
                .table("departments")
                .if_not_exists()
                .col(pk_uuid("id"))
                .col(string_len("region_code", 9))
                .col(string_len("name", 64))
                .col(string_len("line", 32))
                .col(string_len("status", 16))
                .col(string_len_null("builtin_set", 32))
                .col(integer("sort_order"))
                .col(timestamp_with_time_zone("created_at"))
                .col(timestamp_with_time_zone("updated_at"))
                .take(),
        )
        .await?;
        m.create_index(
            idx(
                "ux_departments_region_name",
                "departments",
                &["region_code", "name"],
            )
            .unique()
            .take(),
        )
        .await?;
        m.create_index(idx(
            "ix_departments_line",
            "departments",
            &["line", "region_code"],
        ))
        .await?;

        m.create_table(
            Table::create()
                .table("sectors")
                .if_not_exists()
                .col(pk_uuid("id"))
                .col(string_len_uniq("name", 64))
                .col(string_len("status", 16))
                .col(integer("sort_order"))
                .col(timestamp_with_time_zone("created_at"))
                .col(timestamp_with_time_zone("updated_at"))
                .take(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table("users")
                .if_not_exists()
                .col(pk_uuid("id"))
                .col(string_len_uniq("username", 32))
                .col(string_len("display_name", 64))
                .col(string_len("role", 32))
                .col(uuid("department_id"))
                .col(string_len("region_code", 9))
                .col(string_len_null("certificate_no", 32))
                .col(string_len_null("phone", 20))
                .col(string_len("password_hash", 255))
                .col(string_len("status", 16))
                .col(boolean("is_system"))
                .col(timestamp_with_time_zone("created_at"))
                .col(timestamp_with_time_zone("updated_at"))
                .col(timestamp_with_time_zone_null("last_login_at"))
                .take(),
        )
        .await?;
        m.create_index(idx(
            "ix_users_scope",
            "users",
            &["region_code", "department_id"],
        ))
        .await?;

        m.create_table(
            Table::create()
                .table("sessions")
                .if_not_exists()
                .col(string_len("token_hash", 64).primary_key())
                .col(uuid("user_id"))
                .col(string_len("csrf_token", 64))
                .col(string_len_null("ip", 64))
                .col(string_len_null("user_agent", 255))
                .col(string_len_null("context_region", 9))
                .col(string_len_null("context_line", 32))
                .col(timestamp_with_time_zone("created_at"))
                .col(timestamp_with_time_zone("expires_at"))
                .take(),
        )
        .await?;
        m.create_index(idx("ix_sessions_user", "sessions", &["user_id"]))
            .await?;

        m.create_table(
            Table::create()
                .table("api_tokens")
                .if_not_exists()
                .col(pk_uuid("id"))
                .col(uuid("user_id"))
                .col(string_len("name", 64))
                .col(string_len_uniq("token_hash", 64))
                .col(string_len("prefix", 16))
                .col(timestamp_with_time_zone("created_at"))
                .col(timestamp_with_time_zone_null("expires_at"))
                .col(timestamp_with_time_zone_null("revoked_at"))
                .col(timestamp_with_time_zone_null("last_used_at"))
                .take(),
        )
        .await?;
        m.create_index(idx("ix_api_tokens_user", "api_tokens", &["user_id"]))
            .await?;

        m.create_table(
            Table::create()
                .table("login_failures")
                .if_not_exists()
                .col(pk_uuid("id"))
                .col(string_len("username", 64))
                .col(string_len_null("ip", 64))
                .col(timestamp_with_time_zone("at"))
                .take(),
        )
        .await?;
        m.create_index(idx(
            "ix_login_failures_user_at",
            "login_failures",
            &["username", "at"],
        ))
        .await?;

        m.create_table(
            Table::create()
                .table("audit_log")
                .if_not_exists()
                .col(big_integer("seq").primary_key())
                .col(uuid_uniq("id"))
                .col(timestamp_with_time_zone("at"))
                .col(uuid_null("actor_id"))
                .col(string_len("actor_name", 64))
                .col(string_len_null("actor_role", 32))
                .col(uuid_null("department_id"))
                .col(string_len_null("region_code", 9))
                .col(string_len_null("ip", 64))
                .col(string_len("action", 64))
                .col(string_len("object_type", 64))
                .col(string_len_null("object_id", 128))
                .col(text_null("before"))
                .col(text_null("after"))
                .col(string_len("prev_hash", 64))
                .col(string_len("hash", 64))
                .take(),
        )
        .await?;
        m.create_index(idx("ix_audit_at", "audit_log", &["at"]))
            .await?;
        m.create_index(idx("ix_audit_actor", "audit_log", &["actor_id", "seq"]))
            .await?;
        m.create_index(idx("ix_audit_action", "audit_log", &["action", "seq"]))
            .await?;
        m.create_index(idx(
            "ix_audit_department",
            "audit_log",
            &["department_id", "seq"],
        ))
        .await?;
        m.create_index(idx("ix_audit_region", "audit_log", &["region_code", "seq"]))
            .await?;

        m.create_table(
            Table::create()
                .table("audit_head")
                .if_not_exists()
                .col(integer("id").primary_key())
                .col(big_integer("seq"))
                .col(string_len("hash", 64))
                .take(),
        )
        .await?;
        let conn = m.get_connection();
        conn.execute_unprepared(&format!(
            "INSERT INTO audit_head (id, seq, hash) VALUES (1, 0, '{}')",
            lianjian_domain::audit::GENESIS
        ))
        .await?;
        Ok(())
    }
}
