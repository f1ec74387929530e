//! `/api/v1/audit`: the audit log, scoped, and its verification.

use axum::Json;
use axum::extract::{Query, State};
use chrono::{DateTime, Utc};
use lianjian_services::audit_log;
use lianjian_store::audit::AuditQuery;
use serde::Deserialize;
use utoipa::IntoParams;
use uuid::Uuid;

use super::Paging;
use super::dto::{AuditEntryDto, PageOf, VerifyDto};
use crate::error::ErrorBody;
use crate::extract::ApiActor;
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
#[utoipa::path(get, path = "/api/v1/audit", tag = "audit", params(AuditFilter, Paging),
    responses((status = 200, body = PageOf<AuditEntryDto>), (status = 403, body = ErrorBody)))]
pub async fn list(
    State(st): State<AppState>,
    ApiActor(a): ApiActor,
    Query(f): Query<AuditFilter>,
    Query(p): Query<Paging>,
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
