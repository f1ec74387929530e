//! Issue 17 items 1 and 4: assistance requests between offices and departments of different
//! regions (协查/协助), also the police's requests and the two-way consultations of a case
//! transfer (行刑衔接), and the receiving agency's decision on a transfer (受理/不予受理 with
//! its date and document number). Steps and clocks are the shared case mechanism's
//! (`case_events`, `case_clocks`, kind `assistance`).
//!
//! The decision is a table of its own rather than columns of `case_transfers`: transfers are
//! sealed rows (`store::seal`), whose digest covers every column, so a new column would break
//! every existing seal.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

use super::idx;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261207_000037_assistance"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table("assistance_requests")
                .if_not_exists()
                .col(pk_uuid("id"))
                .col(string_len("code", 40).unique_key())
                .col(string_len("kind", 16))
                .col(string_len("status", 16))
                // The requesting side: the platform's region and department that entered it,
                // and who asks (an agency on the platform, or the police on whose behalf the
                // department's staff entered it, named in from_agency).
                .col(string_len("from_party", 16))
                .col(string_len_null("from_agency", 100))
                .col(string_len("from_region", 12))
                .col(uuid("from_department_id"))
                // The receiving side: the region whose office assigns it, the department it
                // was assigned to (NULL until assigned).
                .col(string_len("to_party", 16))
                .col(string_len_null("to_agency", 100))
                .col(string_len("to_region", 12))
                .col(uuid_null("to_department_id"))
                .col(uuid_null("transfer_id"))
                .col(uuid_null("entity_id"))
                .col(string_len("subject", 100))
                .col(text("legal_basis"))
                .col(text("needed"))
                .col(integer("deadline_days"))
                .col(text_null("answer"))
                // The reason of a refusal or a withdrawal.
                .col(text_null("outcome"))
                // The server's overdue reminder was recorded (once per request).
                .col(boolean("flagged_overdue"))
                .col(string_len("created_by", 64))
                .col(timestamp_with_time_zone("created_at"))
                .col(timestamp_with_time_zone("updated_at"))
                .col(timestamp_with_time_zone_null("answered_at"))
                .take(),
        )
        .await?;
        // Each side's scope is a prefix range on its region column.
        m.create_index(idx(
            "ix_assistance_from",
            "assistance_requests",
            &["from_region", "created_at"],
        ))
        .await?;
        m.create_index(idx(
            "ix_assistance_to",
            "assistance_requests",
            &["to_region", "created_at"],
        ))
        .await?;
        m.create_index(idx(
            "ix_assistance_transfer",
            "assistance_requests",
            &["transfer_id"],
        ))
        .await?;
        m.create_table(
            Table::create()
                .table("transfer_decisions")
                .if_not_exists()
                .col(pk_uuid("transfer_id"))
                // The day the receiving agency decided (立案 / 不予立案), as its document says.
                .col(date("decided_on"))
                .col(string_len_null("document_no", 60))
                .col(string_len("recorded_by", 64))
                .col(timestamp_with_time_zone("recorded_at"))
                .take(),
        )
        .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for t in ["transfer_decisions", "assistance_requests"] {
            m.drop_table(Table::drop().table(t).if_exists().to_owned())
                .await?;
        }
        for t in ["case_events", "case_clocks", "case_figures"] {
            m.get_connection()
                .execute_unprepared(&format!("DELETE FROM {t} WHERE case_kind = 'assistance'"))
                .await?;
        }
        Ok(())
    }
}
