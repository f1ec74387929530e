//! `/api/v1/audit`: the audit log, scoped, and its verification.

use axum::Json;
use axum::extract::State;
use chrono::{DateTime, Utc};
use lianjian_domain::audit::SignedAuditCheckpoint;
use lianjian_services::audit_log;
use lianjian_services::audit_log::AuditQuery;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::dto::{AuditEntryDto, PageOf, VerifyDto};
use super::params::Pages;
use crate::error::ErrorBody;
use crate::extract::{ApiActor, ApiQuery};
use crate::{ApiError, AppState};

#[derive(Debug, Deserialize, IntoParams)]
pub struct AuditFilter {
    /// Fragment of the acting user name.
    pub actor: Option<String>,
    pub department_id: Option<Uuid>,
    /// Action name or prefix, e.g. `user.`.
    pub action: Option<String>,
    /// From this instant (RFC 3339), inclusive.
    pub from: Option<DateTime<Utc>>,
    /// Before this instant (RFC 3339).
    pub to: Option<DateTime<Utc>>,
}

/// Audit entries in the caller's scope, newest first (this read is itself audited).
#[utoipa::path(get, path = "/api/v1/audit", tag = "audit", params(AuditFilter, Pages),
    responses((status = 200, body = PageOf<AuditEntryDto>), (status = 403, body = ErrorBody)))]
pub async fn list(
    State(st): State<AppState>,
    ApiActor(a): ApiActor,
    ApiQuery(f): ApiQuery<AuditFilter>,
    ApiQuery(p): ApiQuery<Pages>,
) -> Result<Json<PageOf<AuditEntryDto>>, ApiError> {
    let q = AuditQuery {
        actor: f.actor,
        department_id: f.department_id,
        action: f.action,
        from: f.from,
        to: f.to,
    };
    let page = audit_log::list(&st.svc, &a, &q, p.request()?).await?;
    Ok(Json(PageOf::from(page, AuditEntryDto::from)))
}

/// Recomputes the hash chain (system administrators).
#[utoipa::path(get, path = "/api/v1/audit/verify", tag = "audit",
    responses((status = 200, body = VerifyDto), (status = 403, body = ErrorBody)))]
pub async fn verify(
    State(st): State<AppState>,
    ApiActor(a): ApiActor,
) -> Result<Json<VerifyDto>, ApiError> {
    Ok(Json(match audit_log::verify(&st.svc, &a).await? {
        Ok(v) => VerifyDto {
            intact: true,
            entries: Some(v.entries),
            last_seq: Some(v.last_seq),
            head_hash: Some(v.head_hash),
            problem: None,
        },
        Err(t) => VerifyDto {
            intact: false,
            entries: None,
            last_seq: None,
            head_hash: None,
            problem: Some(t.to_string()),
        },
    }))
}

/// A signed checkpoint of the audit log (`lianjian-audit-checkpoint/1`): exactly the JSON that
/// `lianjian audit verify --since` reads. Sizes, hashes and a time only: no personal data.
#[derive(Debug, Serialize, ToSchema)]
pub struct AuditCheckpointDto {
    /// `lianjian-audit-checkpoint/1`
    pub format: String,
    /// The log's name.
    pub origin: String,
    /// Entries in the log when signed.
    pub size: u64,
    /// Hash of the `size`-th entry (64 zeros for an empty log), lower-case hex.
    pub head_hash: String,
    /// `YYYY-MM-DDTHH:MM:SS.ffffffZ`
    pub timestamp: String,
    /// Ed25519 signature over the checkpoint's five lines (`docs/audit-log.md`), hex.
    pub signature: String,
    /// Ed25519 public key, 64 hex digits (the evidence log's key).
    pub public_key: String,
}

impl From<SignedAuditCheckpoint> for AuditCheckpointDto {
    fn from(s: SignedAuditCheckpoint) -> Self {
        Self {
            format: s.format,
            origin: s.origin,
            size: s.size,
            head_hash: s.head_hash,
            timestamp: s.timestamp.to_string(),
            signature: s.signature.to_hex(),
            public_key: s.public_key.to_hex(),
        }
    }
}

/// The latest signed checkpoint of the audit log (no sign-in); a new one is signed when the
/// log has grown and the latest is from an earlier hour. Keep the checkpoints you see:
/// `lianjian audit verify --since FILE` shows whether the log still holds them.
#[utoipa::path(get, path = "/api/v1/public/audit/checkpoint", tag = "audit", security(()),
    responses((status = 200, body = AuditCheckpointDto)))]
pub async fn public_audit_checkpoint(
    State(st): State<AppState>,
) -> Result<Json<AuditCheckpointDto>, ApiError> {
    Ok(Json(audit_log::current_checkpoint(&st.svc).await?.into()))
}
