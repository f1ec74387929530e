//! `/api/v1/import-jobs`: import jobs (导入任务) and their progress (issue 12 item 5). A
//! directory file imported in the console or with `lianjian import` is written by a job in
//! short transactions; its uploader (or a system administrator) can follow it here.

use axum::Json;
use axum::extract::{Path, State};
use chrono::{DateTime, Utc};
use lianjian_services::exchange::jobs::{self, ImportJob};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::error::ErrorBody;
use crate::extract::ApiActor;
use crate::{ApiError, AppState};

/// An import job. `status`: `validating` (checking the file; nothing written yet), `writing`
/// (`written` of `valid` entities written), `completed`, `undoing` (`undone` of `written` put
/// back), `rolled_back` (undone as a whole: the directory is as before), `failed` (the file was
/// refused; nothing written).
#[derive(Debug, Serialize, ToSchema)]
pub struct ImportJobDto {
    pub id: Uuid,
    /// `entities`
    pub kind: String,
    pub status: String,
    pub status_label: String,
    pub file_name: String,
    pub uploader: String,
    /// Records (entities) in the file.
    pub total: u64,
    pub valid: u64,
    pub written: u64,
    pub undone: u64,
    pub inserted: u64,
    pub updated: u64,
    pub unchanged: u64,
    pub skipped: u64,
    pub claims_created: u64,
    /// Problems found in the file.
    pub errors: u64,
    pub message: Option<String>,
    pub created_at: DateTime<Utc>,
    /// Last progress (the job's heartbeat).
    pub updated_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
}

impl From<ImportJob> for ImportJobDto {
    fn from(j: ImportJob) -> Self {
        Self {
            id: j.id,
            kind: j.kind,
            status: j.status.as_str().into(),
            status_label: j.status.label_zh().into(),
            file_name: j.file_name,
            uploader: j.uploader_name,
            total: j.total,
            valid: j.valid,
            written: j.written,
            undone: j.undone,
            inserted: j.inserted,
            updated: j.updated,
            unchanged: j.unchanged,
            skipped: j.skipped,
            claims_created: j.claims_created,
            errors: j.errors,
            message: j.message,
            created_at: j.created_at,
            updated_at: j.updated_at,
            finished_at: j.finished_at,
        }
    }
}

/// The 50 latest jobs the caller may follow (its own; every job for a system administrator).
#[utoipa::path(get, path = "/api/v1/import-jobs", tag = "directory",
    responses((status = 200, body = Vec<ImportJobDto>), (status = 401, body = ErrorBody)))]
pub async fn list(
    State(st): State<AppState>,
    ApiActor(a): ApiActor,
) -> Result<Json<Vec<ImportJobDto>>, ApiError> {
    Ok(Json(
        jobs::recent(&st.svc, &a, 50)
            .await?
            .into_iter()
            .map(ImportJobDto::from)
            .collect(),
    ))
}

/// One import job and its progress.
#[utoipa::path(get, path = "/api/v1/import-jobs/{id}", tag = "directory",
    responses((status = 200, body = ImportJobDto), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn get(
    State(st): State<AppState>,
    ApiActor(a): ApiActor,
    Path(id): Path<Uuid>,
) -> Result<Json<ImportJobDto>, ApiError> {
    Ok(Json(jobs::get(&st.svc, &a, id).await?.into()))
}
