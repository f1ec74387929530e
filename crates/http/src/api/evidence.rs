//! `/api/v1/evidence`: evidence mutual recognition (证据互认, 国办发〔2023〕1号 (十五)). Upload a
//! photo or document once (content-addressed, size and type checked), fetch it (staff, audited),
//! fetch its inclusion proof (any department; the JSON `lianjian evidence verify` checks
//! offline); `/api/v1/public/evidence/…` publishes the signed checkpoints and consistency
//! proofs with no sign-in. Formats: `docs/evidence.md`.

use axum::Json;
use axum::extract::multipart::MultipartRejection;
use axum::extract::{Multipart, Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use lianjian_domain::evidence::{ConsistencyProof, SignedCheckpoint, media};
use lianjian_services::ServiceError;
use lianjian_services::evidence::{self, Evidence, Upload};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::error::ErrorBody;
use crate::extract::{ApiActor, ApiQuery};
use crate::{ApiError, AppState};

/// A stored evidence file.
#[derive(Debug, Serialize, ToSchema)]
pub struct EvidenceDto {
    pub id: Uuid,
    /// SHA-256 of the content: its name in every URL.
    pub sha256: String,
    /// Bytes.
    pub size: u64,
    /// image/jpeg | image/png | image/webp | image/heic | image/heif | application/pdf
    pub media_type: String,
    /// Position of its leaf in the evidence log, from 0.
    pub leaf_index: u64,
    /// When its leaf was appended.
    pub created_at: DateTime<Utc>,
    pub created_by_name: String,
    pub department_id: Option<Uuid>,
    pub region_code: String,
    /// `false` when the same content was already stored (the existing record; no new leaf).
    pub created: bool,
}

impl EvidenceDto {
    fn of(e: Evidence, created: bool) -> Self {
        Self {
            id: e.id,
            sha256: e.sha256,
            size: e.size,
            media_type: e.media_type,
            leaf_index: e.leaf_index,
            created_at: e.created_at,
            created_by_name: e.created_by_name,
            department_id: e.department_id,
            region_code: e.region_code,
            created,
        }
    }
}

/// The multipart form of an upload.
#[derive(Debug, ToSchema)]
#[allow(dead_code)] // documents the form, which is read field by field
pub struct UploadForm {
    /// The file (JPEG, PNG, WebP, HEIC/HEIF or PDF; at most the configured size, 10 MiB by
    /// default). Its part's `Content-Type`, if given, must agree with the content.
    #[schema(value_type = String, format = Binary)]
    pub file: Vec<u8>,
}

/// A refused file: 413 when too large, 415 when of a forbidden type or contradicting its
/// declared type; otherwise as any service error.
pub(crate) fn upload_error(e: ServiceError) -> ApiError {
    let status = match &e {
        ServiceError::Invalid(f) => match f.first().map(|f| f.code.as_str()) {
            Some("file_too_large") => Some(StatusCode::PAYLOAD_TOO_LARGE),
            Some("forbidden_type" | "type_mismatch") => Some(StatusCode::UNSUPPORTED_MEDIA_TYPE),
            _ => None,
        },
        _ => None,
    };
    let mut a = ApiError::from(e);
    if let Some(s) = status {
        a.status = s;
    }
    a
}

/// A multipart body that could not be read: 413 when it passed the request size limit (also a
/// chunked one, cut off while read), otherwise 400.
pub(crate) fn multipart_error(e: &axum::extract::multipart::MultipartError) -> ApiError {
    if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
        return ApiError::too_large(None);
    }
    ApiError::bad_request(
        "file",
        "upload_failed",
        "上传中断或表单格式错误",
        format!("upload interrupted or malformed form: {e}"),
    )
}

fn missing_file() -> ApiError {
    ApiError::bad_request(
        "file",
        "missing_file",
        "请在 multipart 表单字段 file 中上传文件",
        "send the file in the multipart form field 'file'",
    )
}

/// Reads the multipart field `file` of an upload form (see [`read_form`]); 400 without it.
pub(crate) async fn read_upload(
    form: Result<Multipart, MultipartRejection>,
    max: u64,
) -> Result<Upload, ApiError> {
    read_form(form, max).await?.0.ok_or_else(missing_file)
}

/// The short text fields of an upload form (a console form's CSRF token), by name.
pub(crate) type FormFields = std::collections::HashMap<String, String>;

/// Reads an upload form: its field `file` in chunks, holding at most `max` + 1 bytes (a file
/// over the limit is counted to its end, to name its size, but never held whole), and its
/// other fields as text. Shared by every route that takes one file.
pub(crate) async fn read_form(
    form: Result<Multipart, MultipartRejection>,
    max: u64,
) -> Result<(Option<Upload>, FormFields), ApiError> {
    let mut form = form.map_err(|e| {
        ApiError::bad_request(
            "body",
            "not_multipart",
            "请求体须为 multipart/form-data，文件放在字段 file 中",
            format!("the body must be multipart/form-data with the file in field 'file': {e}"),
        )
    })?;
    let (mut upload, mut fields) = (None, FormFields::new());
    loop {
        let field = match form.next_field().await {
            Ok(Some(f)) => f,
            Ok(None) => break,
            Err(e) => return Err(multipart_error(&e)),
        };
        let name = field.name().unwrap_or_default().to_string();
        if name != "file" || upload.is_some() {
            // Text fields are kept; other files (and a second `file`) are skipped.
            if field.file_name().is_none() {
                let text = field.text().await.map_err(|e| multipart_error(&e))?;
                fields.insert(name, text);
            }
            continue;
        }
        let filename = field.file_name().unwrap_or_default().to_string();
        let declared = field.content_type().map(str::to_string);
        let mut field = field;
        let (mut bytes, mut total) = (Vec::new(), 0u64);
        loop {
            match field.chunk().await {
                Ok(Some(c)) => {
                    total += c.len() as u64;
                    if total <= max {
                        bytes.extend_from_slice(&c);
                    }
                }
                Ok(None) => break,
                Err(e) if total > max => {
                    tracing::debug!(error = %e, "oversized upload cut off");
                    return Err(upload_error(ServiceError::field(
                        "file",
                        media::too_large(&filename, total, true, max),
                    )));
                }
                Err(e) => return Err(multipart_error(&e)),
            }
        }
        if total > max {
            return Err(upload_error(ServiceError::field(
                "file",
                media::too_large(&filename, total, false, max),
            )));
        }
        // A browser sends an empty part for a file input left empty.
        if !(filename.is_empty() && bytes.is_empty()) {
            upload = Some(Upload {
                filename,
                media_type: declared,
                bytes,
            });
        }
    }
    Ok((upload, fields))
}

/// Uploads one evidence file. A file already stored (same SHA-256) is not stored again: the
/// answer is 200 with the existing record; a new one is 201. Over the size limit: 413; not an
/// allowed type, or contradicting its declared type: 415; both name the file and the limit,
/// and nothing is stored.
#[utoipa::path(post, path = "/api/v1/evidence", tag = "evidence",
    request_body(content = UploadForm, content_type = "multipart/form-data"),
    responses((status = 201, body = EvidenceDto), (status = 200, body = EvidenceDto),
        (status = 400, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 413, body = ErrorBody), (status = 415, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn upload(
    State(st): State<AppState>,
    ApiActor(a): ApiActor,
    form: Result<Multipart, MultipartRejection>,
) -> Result<(StatusCode, Json<EvidenceDto>), ApiError> {
    let upload = read_upload(form, st.svc.evidence.config().max_bytes).await?;
    let added = evidence::add_new(&st.svc, &a, upload)
        .await
        .map_err(upload_error)?;
    let status = if added.created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((status, Json(EvidenceDto::of(added.evidence, added.created))))
}

/// The file itself, with its media type. For staff whose region holds the uploading department
/// or a department using the file; every read is recorded in the audit log (`evidence.open`).
#[utoipa::path(get, path = "/api/v1/evidence/{sha256}", tag = "evidence",
    params(("sha256" = String, Path, description = "SHA-256 of the file, 64 hex digits")),
    responses((status = 200, description = "the file, as the media type it was stored with",
            content(("image/jpeg"), ("image/png"), ("image/webp"), ("image/heic"), ("image/heif"), ("application/pdf"))),
        (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn get(
    State(st): State<AppState>,
    ApiActor(a): ApiActor,
    Path(sha256): Path<String>,
) -> Result<Response, ApiError> {
    let (e, bytes) = evidence::open(&st.svc, &a, &sha256).await?;
    let ext =
        lianjian_domain::evidence::MediaType::parse(&e.media_type).map_or("bin", |m| m.extension());
    Ok((
        [
            (header::CONTENT_TYPE, e.media_type.clone()),
            (
                header::CONTENT_DISPOSITION,
                format!("inline; filename=\"{}.{ext}\"", e.sha256),
            ),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff".into()),
            // A PDF shown in the browser runs with no scripts and no same-origin access.
            (header::CONTENT_SECURITY_POLICY, "sandbox".into()),
            (header::CACHE_CONTROL, "private, no-store".into()),
        ],
        bytes,
    )
        .into_response())
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ProofQuery {
    /// `1` or `true`: offer the JSON as a file download (`evidence-<sha256>.proof.json`).
    pub download: Option<String>,
}

/// A signed checkpoint as it appears inside proof documents (`docs/evidence.md`).
#[derive(Debug, ToSchema)]
#[allow(dead_code)] // documents the JSON that `lianjian_domain::evidence` writes
pub struct SignedCheckpointJson {
    pub origin: String,
    pub tree_size: u64,
    /// Merkle tree hash (RFC 9162), 64 lower-case hex digits.
    pub root_hash: String,
    /// `YYYY-MM-DDTHH:MM:SS.ffffffZ`
    pub timestamp: String,
    /// Ed25519 signature, hex.
    pub signature: String,
    /// Ed25519 public key, 64 hex digits.
    pub public_key: String,
}

/// The leaf statement of one stored file.
#[derive(Debug, ToSchema)]
#[allow(dead_code)] // documents the JSON that `lianjian_domain::evidence` writes
pub struct EntryJson {
    /// SHA-256 of the file, 64 lower-case hex digits.
    pub sha256: String,
    pub size: u64,
    pub media_type: String,
    /// `YYYY-MM-DDTHH:MM:SS.ffffffZ`
    pub appended_at: String,
}

/// An inclusion proof, format `lianjian-evidence-proof/1` (what `lianjian evidence verify`
/// reads; the JSON is written by `lianjian_domain::evidence::ProofDocument`).
#[derive(Debug, ToSchema)]
#[allow(dead_code)] // documents the JSON that `lianjian_domain::evidence` writes
pub struct ProofDocumentJson {
    /// `lianjian-evidence-proof/1`
    pub format: String,
    pub entry: EntryJson,
    pub leaf_index: u64,
    pub tree_size: u64,
    /// RFC 9162 inclusion proof, leaf side first, lower-case hex.
    pub audit_path: Vec<String>,
    pub checkpoint: SignedCheckpointJson,
}

/// A consistency proof, format `lianjian-evidence-consistency/1`
/// (`lianjian_domain::evidence::ConsistencyProof`).
#[derive(Debug, ToSchema)]
#[allow(dead_code)] // documents the JSON that `lianjian_domain::evidence` writes
pub struct ConsistencyProofJson {
    /// `lianjian-evidence-consistency/1`
    pub format: String,
    pub first: SignedCheckpointJson,
    pub second: SignedCheckpointJson,
    /// RFC 9162 §2.1.4 consistency path, lower-case hex.
    pub path: Vec<String>,
}

/// The inclusion proof of a stored file at the latest signed checkpoint: what
/// `lianjian evidence verify FILE PROOF.json` checks offline (format
/// `lianjian-evidence-proof/1`, `docs/evidence.md`). Any signed-in department may fetch it:
/// it reveals hashes, the size, type and time, never the content.
#[utoipa::path(get, path = "/api/v1/evidence/{sha256}/proof", tag = "evidence",
    params(("sha256" = String, Path, description = "SHA-256 of the file, 64 hex digits"), ProofQuery),
    responses((status = 200, body = ProofDocumentJson), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn proof(
    State(st): State<AppState>,
    ApiActor(a): ApiActor,
    Path(sha256): Path<String>,
    ApiQuery(q): ApiQuery<ProofQuery>,
) -> Result<Response, ApiError> {
    let doc = evidence::proof(&st.svc, &a, &sha256).await?;
    let json = doc.to_json_pretty();
    let download = matches!(q.download.as_deref(), Some("1" | "true" | "yes"));
    let mut r = ([(header::CONTENT_TYPE, "application/json")], json).into_response();
    if download
        && let Ok(v) = format!(
            "attachment; filename=\"evidence-{}.proof.json\"",
            doc.entry.sha256
        )
        .parse()
    {
        r.headers_mut().insert(header::CONTENT_DISPOSITION, v);
    }
    Ok(r)
}

/// A signed checkpoint of the evidence log.
#[derive(Debug, Serialize, ToSchema)]
pub struct CheckpointDto {
    /// The log's name.
    pub origin: String,
    pub tree_size: u64,
    /// Merkle tree hash (RFC 9162) of the first `tree_size` leaves, hex.
    pub root_hash: String,
    /// `YYYY-MM-DDTHH:MM:SS.ffffffZ`
    pub timestamp: String,
    /// Ed25519 signature over the checkpoint's five lines (`docs/evidence.md`), hex.
    pub signature: String,
    /// Ed25519 public key, 64 hex digits.
    pub public_key: String,
    /// `SHA256:` and the first 16 hex digits of SHA-256 of the public key.
    pub key_fingerprint: String,
    /// The exact signed text.
    pub signed_text: String,
}

impl From<SignedCheckpoint> for CheckpointDto {
    fn from(s: SignedCheckpoint) -> Self {
        Self {
            signed_text: String::from_utf8(s.checkpoint.signed_bytes()).expect("UTF-8"),
            origin: s.checkpoint.origin,
            tree_size: s.checkpoint.tree_size,
            root_hash: s.checkpoint.root_hash.to_hex(),
            timestamp: s.checkpoint.timestamp.to_string(),
            signature: s.signature.to_hex(),
            key_fingerprint: s.public_key.fingerprint(),
            public_key: s.public_key.to_hex(),
        }
    }
}

/// The latest signed checkpoint of the evidence log and its public key (no sign-in). Keep the
/// checkpoints you see: a later one must extend them (`/api/v1/public/evidence/consistency`).
#[utoipa::path(get, path = "/api/v1/public/evidence/checkpoint", tag = "evidence", security(()),
    responses((status = 200, body = CheckpointDto)))]
pub async fn public_checkpoint(
    State(st): State<AppState>,
) -> Result<Json<CheckpointDto>, ApiError> {
    Ok(Json(evidence::checkpoint(&st.svc).await?.into()))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ConsistencyQuery {
    /// Tree size of the earlier checkpoint.
    pub first: u64,
    /// Tree size of the later checkpoint.
    pub second: u64,
}

/// Proof that the checkpoint of `second` leaves extends the one of `first` (RFC 9162 §2.1.4):
/// both signed checkpoints and the consistency path (format `lianjian-evidence-consistency/1`).
#[utoipa::path(get, path = "/api/v1/public/evidence/consistency", tag = "evidence", security(()),
    params(ConsistencyQuery),
    responses((status = 200, body = ConsistencyProofJson), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn public_consistency(
    State(st): State<AppState>,
    ApiQuery(q): ApiQuery<ConsistencyQuery>,
) -> Result<Json<ConsistencyProof>, ApiError> {
    Ok(Json(
        evidence::consistency(&st.svc, q.first, q.second).await?,
    ))
}
