//! Import jobs (导入任务, issue 12 item 5): a large import writes in short transactions under a
//! job; every entity a job inserts or changes is journalled with its before-image, so a job
//! that did not complete (failed, or its process was killed) can be undone as a whole.
//! Neither table is sealed: the journal is working state, emptied as a job is undone, and the
//! rows it points at are sealed by their own writers (`docs/audit-log.md`).

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

use super::idx;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261206_000017_import_jobs"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table("import_jobs")
                .if_not_exists()
                .col(pk_uuid("id"))
                // What is imported: `entities`.
                .col(string_len("kind", 32))
                // `lianjian_domain::import_job::ImportJobStatus`.
                .col(string_len("status", 16))
                .col(uuid_null("uploaded_by"))
                .col(string_len("uploader_name", 64))
                // The uploader's region and department, for who may watch the job.
                .col(string_len_null("region_code", 9))
                .col(uuid_null("department_id"))
                .col(string_len("file_name", 255))
                // Records (entities) in the file, those valid, those written so far, and the
                // outcome counts.
                .col(big_integer("total").default(0))
                .col(big_integer("valid").default(0))
                .col(big_integer("written").default(0))
                .col(big_integer("inserted").default(0))
                .col(big_integer("updated").default(0))
                .col(big_integer("unchanged").default(0))
                .col(big_integer("skipped").default(0))
                .col(big_integer("claims_created").default(0))
                // Entities put back while undoing.
                .col(big_integer("undone").default(0))
                .col(big_integer("errors").default(0))
                .col(text_null("message"))
                // `host:pid` of the process writing the job: a restart on the same host
                // knows at once whether that process is gone.
                .col(string_len("runner", 128))
                .col(timestamp_with_time_zone("created_at"))
                // Moved forward by every chunk: the job's heartbeat.
                .col(timestamp_with_time_zone("updated_at"))
                .col(timestamp_with_time_zone_null("finished_at"))
                .take(),
        )
        .await?;
        m.create_index(idx("ix_import_jobs_status", "import_jobs", &["status"]))
            .await?;
        m.create_index(idx(
            "ix_import_jobs_uploader",
            "import_jobs",
            &["uploaded_by", "created_at"],
        ))
        .await?;
        m.create_table(
            Table::create()
                .table("import_job_rows")
                .if_not_exists()
                .col(uuid("job_id"))
                .col(uuid("entity_id"))
                // The chunk (short transaction) that wrote the row, 0, 1, 2 …
                .col(big_integer("chunk"))
                // JSON of the entity, its licences and tags before the job changed it; NULL
                // when the job inserted the entity.
                .col(text_null("before"))
                .primary_key(Index::create().col("job_id").col("entity_id"))
                .take(),
        )
        .await?;
        m.create_index(idx(
            "ix_import_job_rows_chunk",
            "import_job_rows",
            &["job_id", "chunk"],
        ))
        .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(
            Table::drop()
                .table("import_job_rows")
                .if_exists()
                .to_owned(),
        )
        .await?;
        m.drop_table(Table::drop().table("import_jobs").if_exists().to_owned())
            .await
    }
}
