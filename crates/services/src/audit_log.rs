//! The audit viewer and verification. Reading the log is itself a restricted read and is
//! recorded: auditors are audited too.

use lianjian_domain::account::Role;
use lianjian_domain::audit::{AuditEntry, Tamper, Verified};
use lianjian_domain::scope::Actor;
use lianjian_store::audit::{self as repo, AuditQuery};
use lianjian_store::{Page, PageRequest};

use crate::trail::{Record, record};
use crate::{Result, ServiceError, Services};

pub async fn list(
    svc: &Services,
    actor: &Actor,
    q: &AuditQuery,
    page: PageRequest,
) -> Result<Page<AuditEntry>> {
    if !matches!(
        actor.role,
        Role::SystemAdmin | Role::CoordinationOffice | Role::DepartmentAdmin
    ) {
        return Err(ServiceError::Forbidden);
    }
    let result = repo::list(svc.store.conn(), &actor.scope(), q, page).await?;
    let tx = svc.store.begin().await?;
    record(
        &tx,
        actor,
        Record::new("audit.view", "audit_log", format!("page {}", page.page)).after(
            &serde_json::json!({
                "actor": q.actor, "action": q.action, "department_id": q.department_id,
                "from": q.from, "to": q.to,
            }),
        ),
    )
    .await?;
    tx.commit().await?;
    Ok(result)
}

pub async fn actions(svc: &Services) -> Result<Vec<String>> {
    Ok(repo::actions(svc.store.conn()).await?)
}

/// Recomputes the whole chain. System administrators only (and the CLI).
pub async fn verify(svc: &Services, actor: &Actor) -> Result<Result<Verified, Tamper>> {
    if actor.role != Role::SystemAdmin {
        return Err(ServiceError::Forbidden);
    }
    let snapshot = svc.store.begin_snapshot().await?;
    let r = repo::verify(&snapshot).await?;
    snapshot.commit().await?;
    Ok(r)
}
