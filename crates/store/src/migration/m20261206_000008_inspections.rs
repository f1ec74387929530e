//! Issue 5: carrying out visits and publishing their results (检查实施、结果公示): the frozen
//! merged checklist, answers per check point, results per item with each department's review,
//! the inspectors' confirmations, attachments (evidence), rectification orders (责令整改),
//! referrals (抄告), case transfers (移送) and the credit records results leave behind.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

use super::idx;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261206_000008_inspections"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        // SQLite alters one column per statement.
        let add = |c: ColumnDef| {
            Table::alter()
                .table("visits")
                .add_column_if_not_exists(c)
                .take()
        };
        for c in [
            timestamp_with_time_zone_null("started_at"),
            text_null("start_position"),
            // Results submitted: the visit is completed on site (start of the publication
            // deadline and of cooldowns).
            timestamp_with_time_zone_null("completed_at"),
            // 20 working days after completion (鲁双随机办 principle 6).
            date_null("publish_deadline"),
            timestamp_with_time_zone_null("published_at"),
            timestamp_with_time_zone_null("closed_at"),
        ] {
            m.alter_table(add(c)).await?;
        }
        m.create_index(idx(
            "ix_visits_status",
            "visits",
            &["status", "region_code"],
        ))
        .await?;

        m.create_table(
            Table::create()
                .table("visit_checklist")
                .if_not_exists()
                .col(uuid("visit_id"))
                .col(integer("seq"))
                .col(uuid("plan_id"))
                .col(uuid("item_id"))
                .col(uuid("department_id"))
                // Position of the check point within its item's version.
                .col(integer("item_seq"))
                .col(string_len("dimension", 24))
                .col(text("content"))
                .col(text("legal_basis"))
                .primary_key(Index::create().col("visit_id").col("seq"))
                .take(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table("visit_answers")
                .if_not_exists()
                .col(uuid("visit_id"))
                .col(integer("seq"))
                .col(string_len("answer", 16))
                .col(text("note"))
                .col(uuid("inspector_id"))
                .col(timestamp_with_time_zone("recorded_at"))
                .primary_key(Index::create().col("visit_id").col("seq"))
                .take(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table("visit_results")
                .if_not_exists()
                .col(uuid("visit_id"))
                .col(uuid("plan_id"))
                .col(uuid("item_id"))
                .col(uuid("department_id"))
                .col(string_len_null("result_code", 24))
                .col(string_len_null("follow_up", 24))
                .col(text("summary"))
                .col(string_len("review", 16))
                .col(text_null("review_note"))
                .col(string_len_null("reviewed_by", 64))
                .col(timestamp_with_time_zone_null("reviewed_at"))
                .col(timestamp_with_time_zone("updated_at"))
                .primary_key(Index::create().col("visit_id").col("plan_id"))
                .take(),
        )
        .await?;
        m.create_index(idx(
            "ix_visit_results_item",
            "visit_results",
            &["item_id", "department_id"],
        ))
        .await?;
        m.create_table(
            Table::create()
                .table("visit_confirmations")
                .if_not_exists()
                .col(uuid("visit_id"))
                .col(uuid("inspector_id"))
                .col(uuid("user_id"))
                .col(text_null("position"))
                .col(timestamp_with_time_zone("confirmed_at"))
                .primary_key(Index::create().col("visit_id").col("inspector_id"))
                .take(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table("visit_attachments")
                .if_not_exists()
                .col(pk_uuid("id"))
                .col(uuid("visit_id"))
                // The check point it documents, if any.
                .col(integer_null("seq"))
                .col(string_len("sha256", 64))
                .col(string("filename"))
                .col(string_len("media_type", 100))
                .col(big_integer("size"))
                .col(text_null("position"))
                .col(uuid("inspector_id"))
                .col(timestamp_with_time_zone("uploaded_at"))
                .take(),
        )
        .await?;
        m.create_index(idx(
            "ix_visit_attachments_visit",
            "visit_attachments",
            &["visit_id", "uploaded_at"],
        ))
        .await?;

        m.create_table(
            Table::create()
                .table("rectifications")
                .if_not_exists()
                .col(pk_uuid("id"))
                .col(string_len_uniq("code", 48))
                .col(uuid("visit_id"))
                .col(uuid("plan_id"))
                .col(uuid("item_id"))
                .col(uuid("entity_id"))
                .col(uuid("department_id"))
                .col(string_len("region_code", 9))
                .col(text("requirements"))
                .col(integer("working_days"))
                .col(date("issued_on"))
                .col(date("deadline"))
                .col(string_len("status", 16))
                .col(text_null("report"))
                .col(timestamp_with_time_zone_null("reported_at"))
                .col(uuid_null("review_visit_id"))
                .col(text_null("closing_note"))
                .col(timestamp_with_time_zone_null("closed_at"))
                .col(string_len("created_by", 64))
                .col(timestamp_with_time_zone("created_at"))
                .col(timestamp_with_time_zone("updated_at"))
                .take(),
        )
        .await?;
        m.create_index(idx(
            "ix_rectifications_dept",
            "rectifications",
            &["department_id", "status", "deadline"],
        ))
        .await?;
        m.create_index(idx(
            "ix_rectifications_visit",
            "rectifications",
            &["visit_id"],
        ))
        .await?;
        m.create_table(
            Table::create()
                .table("referrals")
                .if_not_exists()
                .col(pk_uuid("id"))
                .col(string_len_uniq("code", 48))
                .col(uuid("visit_id"))
                .col(uuid("entity_id"))
                .col(uuid("from_department_id"))
                .col(uuid("to_department_id"))
                .col(string_len("region_code", 9))
                .col(text("matter"))
                .col(date("deadline"))
                .col(string_len("status", 16))
                .col(text_null("feedback"))
                .col(string_len_null("answered_by", 64))
                .col(timestamp_with_time_zone_null("answered_at"))
                .col(string_len("created_by", 64))
                .col(timestamp_with_time_zone("created_at"))
                .take(),
        )
        .await?;
        m.create_index(idx(
            "ix_referrals_to",
            "referrals",
            &["to_department_id", "status"],
        ))
        .await?;
        m.create_index(idx("ix_referrals_visit", "referrals", &["visit_id"]))
            .await?;
        m.create_table(
            Table::create()
                .table("case_transfers")
                .if_not_exists()
                .col(pk_uuid("id"))
                .col(string_len_uniq("code", 48))
                .col(uuid("visit_id"))
                .col(uuid("entity_id"))
                .col(uuid("department_id"))
                .col(string_len("region_code", 9))
                // 公安机关 / 人民检察院 … as written by the department.
                .col(string_len("agency", 100))
                .col(text("facts"))
                .col(string_len("status", 16))
                .col(text_null("feedback"))
                .col(timestamp_with_time_zone_null("feedback_at"))
                .col(string_len("created_by", 64))
                .col(timestamp_with_time_zone("created_at"))
                .take(),
        )
        .await?;
        m.create_index(idx(
            "ix_case_transfers_visit",
            "case_transfers",
            &["visit_id"],
        ))
        .await?;
        // Credit records (信用记录) that published results leave for joint credit supervision
        // (国办 (十一)); later sources (penalties, licences) add rows of other kinds.
        m.create_table(
            Table::create()
                .table("credit_records")
                .if_not_exists()
                .col(pk_uuid("id"))
                .col(uuid("entity_id"))
                .col(string_len("region_code", 9))
                .col(string_len("kind", 24))
                .col(uuid("source_id"))
                .col(uuid_null("item_id"))
                .col(uuid("department_id"))
                .col(string_len("result_code", 24))
                .col(string_len_null("follow_up", 24))
                .col(date("recorded_on"))
                .col(timestamp_with_time_zone("created_at"))
                .take(),
        )
        .await?;
        m.create_index(idx(
            "ix_credit_records_entity",
            "credit_records",
            &["entity_id", "recorded_on"],
        ))
        .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for t in [
            "credit_records",
            "case_transfers",
            "referrals",
            "rectifications",
            "visit_attachments",
            "visit_confirmations",
            "visit_results",
            "visit_answers",
            "visit_checklist",
        ] {
            m.drop_table(Table::drop().table(t).if_exists().to_owned())
                .await?;
        }
        Ok(())
    }
}
