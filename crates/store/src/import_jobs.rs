//! Import jobs and their journal (`import_jobs`, `import_job_rows`; issue 12 item 5). The job
//! row is the progress others watch; the journal names every entity a job inserted or changed,
//! with its before-image, chunk by chunk, so the job can be undone chunk by chunk too.

use chrono::{DateTime, Utc};
use lianjian_domain::import_job::ImportJobStatus;
use sea_orm::{ConnectionTrait, QueryResult, Value};
use serde::Serialize;
use uuid::Uuid;

use crate::{Result, StoreError, now, stmt};

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ImportJob {
    pub id: Uuid,
    pub kind: String,
    pub status: ImportJobStatus,
    pub uploaded_by: Option<Uuid>,
    pub uploader_name: String,
    pub region_code: Option<String>,
    pub department_id: Option<Uuid>,
    pub file_name: String,
    pub total: u64,
    pub valid: u64,
    pub written: u64,
    pub inserted: u64,
    pub updated: u64,
    pub unchanged: u64,
    pub skipped: u64,
    pub claims_created: u64,
    pub undone: u64,
    pub errors: u64,
    pub message: Option<String>,
    pub runner: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
}

const COLUMNS: &str = "id, kind, status, uploaded_by, uploader_name, region_code, department_id, file_name, total, valid, written, inserted, updated, unchanged, skipped, claims_created, undone, errors, message, runner, created_at, updated_at, finished_at";

fn count(r: &QueryResult, col: &str) -> Result<u64> {
    Ok(u64::try_from(r.try_get::<i64>("", col)?).unwrap_or(0))
}

fn from_row(r: &QueryResult) -> Result<ImportJob> {
    let status: String = r.try_get("", "status")?;
    Ok(ImportJob {
        id: r.try_get("", "id")?,
        kind: r.try_get("", "kind")?,
        status: ImportJobStatus::parse(&status).map_err(|e| StoreError::Corrupt(e.to_string()))?,
        uploaded_by: r.try_get("", "uploaded_by")?,
        uploader_name: r.try_get("", "uploader_name")?,
        region_code: r.try_get("", "region_code")?,
        department_id: r.try_get("", "department_id")?,
        file_name: r.try_get("", "file_name")?,
        total: count(r, "total")?,
        valid: count(r, "valid")?,
        written: count(r, "written")?,
        inserted: count(r, "inserted")?,
        updated: count(r, "updated")?,
        unchanged: count(r, "unchanged")?,
        skipped: count(r, "skipped")?,
        claims_created: count(r, "claims_created")?,
        undone: count(r, "undone")?,
        errors: count(r, "errors")?,
        message: r.try_get("", "message")?,
        runner: r.try_get("", "runner")?,
        created_at: r.try_get("", "created_at")?,
        updated_at: r.try_get("", "updated_at")?,
        finished_at: r.try_get("", "finished_at")?,
    })
}

fn n(v: u64) -> Value {
    i64::try_from(v).unwrap_or(i64::MAX).into()
}

pub async fn insert(c: &impl ConnectionTrait, j: &ImportJob) -> Result<()> {
    c.execute_raw(stmt(
        c,
        format!(
            "INSERT INTO import_jobs ({COLUMNS}) VALUES ({})",
            crate::placeholders(1, 23)
        ),
        vec![
            j.id.into(),
            j.kind.clone().into(),
            j.status.as_str().into(),
            j.uploaded_by.into(),
            j.uploader_name.clone().into(),
            j.region_code.clone().into(),
            j.department_id.into(),
            j.file_name.clone().into(),
            n(j.total),
            n(j.valid),
            n(j.written),
            n(j.inserted),
            n(j.updated),
            n(j.unchanged),
            n(j.skipped),
            n(j.claims_created),
            n(j.undone),
            n(j.errors),
            j.message.clone().into(),
            j.runner.clone().into(),
            j.created_at.into(),
            j.updated_at.into(),
            j.finished_at.into(),
        ],
    ))
    .await?;
    Ok(())
}

pub async fn get(c: &impl ConnectionTrait, id: Uuid) -> Result<Option<ImportJob>> {
    c.query_one_raw(stmt(
        c,
        format!("SELECT {COLUMNS} FROM import_jobs WHERE id = $1"),
        vec![id.into()],
    ))
    .await?
    .as_ref()
    .map(from_row)
    .transpose()
}

/// The latest jobs, newest first; only those uploaded by `uploader` when given.
pub async fn recent(
    c: &impl ConnectionTrait,
    uploader: Option<Uuid>,
    limit: u64,
) -> Result<Vec<ImportJob>> {
    let (cond, vals) = match uploader {
        Some(u) => ("WHERE uploaded_by = $1", vec![u.into()]),
        None => ("", Vec::new()),
    };
    c.query_all_raw(stmt(
        c,
        format!("SELECT {COLUMNS} FROM import_jobs {cond} ORDER BY created_at DESC, id DESC LIMIT {limit}"),
        vals,
    ))
    .await?
    .iter()
    .map(from_row)
    .collect()
}

/// Jobs that have not reached a final status.
pub async fn unfinished(c: &impl ConnectionTrait) -> Result<Vec<ImportJob>> {
    let open: Vec<&str> = ImportJobStatus::ALL
        .iter()
        .filter(|s| !s.is_final())
        .map(|s| s.as_str())
        .collect();
    c.query_all_raw(stmt(
        c,
        format!(
            "SELECT {COLUMNS} FROM import_jobs WHERE status IN ({}) ORDER BY created_at",
            crate::placeholders(1, open.len())
        ),
        open.into_iter().map(Value::from).collect(),
    ))
    .await?
    .iter()
    .map(from_row)
    .collect()
}

/// Saves a job's counts, message and status, provided it is still in `from`: two processes
/// that both try to move a job (a restart undoing it while another finishes it) cannot both
/// succeed. Returns whether the row was written.
pub async fn save(c: &impl ConnectionTrait, j: &ImportJob, from: ImportJobStatus) -> Result<bool> {
    let r = c
        .execute_raw(stmt(
            c,
            "UPDATE import_jobs SET status = $2, total = $3, valid = $4, written = $5, inserted = $6, \
             updated = $7, unchanged = $8, skipped = $9, claims_created = $10, undone = $11, \
             errors = $12, message = $13, runner = $14, updated_at = $15, finished_at = $16 \
             WHERE id = $1 AND status = $17",
            vec![
                j.id.into(),
                j.status.as_str().into(),
                n(j.total),
                n(j.valid),
                n(j.written),
                n(j.inserted),
                n(j.updated),
                n(j.unchanged),
                n(j.skipped),
                n(j.claims_created),
                n(j.undone),
                n(j.errors),
                j.message.clone().into(),
                j.runner.clone().into(),
                now().into(),
                j.finished_at.into(),
                from.as_str().into(),
            ],
        ))
        .await?;
    Ok(r.rows_affected() > 0)
}

/// Journals the entities a chunk wrote: `before` is the JSON before-image of a changed
/// entity, `None` for one the chunk inserted.
pub async fn journal(
    c: &impl ConnectionTrait,
    job: Uuid,
    chunk: u64,
    rows: &[(Uuid, Option<String>)],
) -> Result<()> {
    for part in rows.chunks(200) {
        let ph: Vec<String> = (0..part.len())
            .map(|i| {
                format!(
                    "(${},${},${},${})",
                    i * 4 + 1,
                    i * 4 + 2,
                    i * 4 + 3,
                    i * 4 + 4
                )
            })
            .collect();
        let mut vals: Vec<Value> = Vec::with_capacity(part.len() * 4);
        for (id, before) in part {
            vals.extend([job.into(), (*id).into(), n(chunk), before.clone().into()]);
        }
        c.execute_raw(stmt(
            c,
            format!(
                "INSERT INTO import_job_rows (job_id, entity_id, chunk, \"before\") VALUES {}",
                ph.join(",")
            ),
            vals,
        ))
        .await?;
    }
    Ok(())
}

/// The highest chunk still journalled for a job (the next to undo), if any.
pub async fn last_chunk(c: &impl ConnectionTrait, job: Uuid) -> Result<Option<u64>> {
    let r = c
        .query_one_raw(stmt(
            c,
            "SELECT MAX(chunk) AS last FROM import_job_rows WHERE job_id = $1",
            vec![job.into()],
        ))
        .await?;
    Ok(match r {
        Some(r) => r
            .try_get::<Option<i64>>("", "last")?
            .map(|v| u64::try_from(v).unwrap_or(0)),
        None => None,
    })
}

/// The journalled rows of one chunk: (entity id, before-image).
pub async fn chunk_rows(
    c: &impl ConnectionTrait,
    job: Uuid,
    chunk: u64,
) -> Result<Vec<(Uuid, Option<String>)>> {
    c.query_all_raw(stmt(
        c,
        "SELECT entity_id, \"before\" FROM import_job_rows WHERE job_id = $1 AND chunk = $2 ORDER BY entity_id",
        vec![job.into(), n(chunk)],
    ))
    .await?
    .iter()
    .map(|r| Ok((r.try_get("", "entity_id")?, r.try_get("", "before")?)))
    .collect()
}

/// Forgets a chunk once undone (in the transaction that undid it).
pub async fn forget_chunk(c: &impl ConnectionTrait, job: Uuid, chunk: u64) -> Result<()> {
    c.execute_raw(stmt(
        c,
        "DELETE FROM import_job_rows WHERE job_id = $1 AND chunk = $2",
        vec![job.into(), n(chunk)],
    ))
    .await?;
    Ok(())
}

/// Forgets a completed job's journal: its rows are now simply part of the directory.
pub async fn forget_all(c: &impl ConnectionTrait, job: Uuid) -> Result<()> {
    c.execute_raw(stmt(
        c,
        "DELETE FROM import_job_rows WHERE job_id = $1",
        vec![job.into()],
    ))
    .await?;
    Ok(())
}
