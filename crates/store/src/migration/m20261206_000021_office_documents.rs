//! Issue 13 item 4: an office sets where the parties of its region's departments apply for
//! administrative reconsideration and which court hears their suits, when the platform cannot
//! derive it from the region (a city's or a province's departments, a district whose basic court
//! has another name). Printed notices name these bodies in their remedies clause.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261206_000021_office_documents"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table("office_documents")
                .if_not_exists()
                .col(string_len("region_code", 12).primary_key())
                // Empty: derived from the region (its people's government).
                .col(string_len("reconsideration_body", 64))
                // Empty: derived from the region (a county's basic court).
                .col(string_len("court", 64))
                .col(string_len("updated_by", 64))
                .col(timestamp_with_time_zone("updated_at"))
                .take(),
        )
        .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table("office_documents").if_exists().take())
            .await
    }
}
