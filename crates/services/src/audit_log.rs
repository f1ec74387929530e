//! The audit viewer and verification. Reading the log is itself a restricted read and is
//! recorded: auditors are audited too.

use lianjian_domain::account::Role;
use lianjian_domain::audit::{AuditEntry, Tamper, Verified};
use lianjian_domain::scope::Actor;
use lianjian_store::audit::{self as repo, AuditQuery};
use lianjian_store::{Page, PageRequest};
use uuid::Uuid;

use crate::trail::{Record, record};
use crate::{Result, ServiceError, Services};

/// Who reads the log: system administrators, coordination offices and department
/// administrators (each in their scope).
fn ensure_viewer(actor: &Actor) -> Result<()> {
    if matches!(
        actor.role,
        Role::SystemAdmin | Role::CoordinationOffice | Role::DepartmentAdmin
    ) {
        Ok(())
    } else {
        Err(ServiceError::Forbidden)
    }
}

pub async fn list(
    svc: &Services,
    actor: &Actor,
    q: &AuditQuery,
    page: PageRequest,
) -> Result<Page<AuditEntry>> {
    ensure_viewer(actor)?;
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

/// At most this many entries leave in one audit export, the newest first.
pub const EXPORT_CAP: usize = 100_000;

/// Columns of the audit export.
pub const EXPORT_HEADERS: [&str; 11] = [
    "序号",
    "时间（北京时间）",
    "操作人",
    "角色",
    "部门",
    "地区",
    "操作",
    "对象类型",
    "对象",
    "IP",
    "条目哈希",
];

/// The first cell of the row that says an export was cut at `cap` entries.
pub fn capped_notice(cap: usize) -> String {
    format!(
        "已达单次导出上限：仅导出了符合条件的最新 {cap} 条，更早的记录未导出，请缩小时间范围后分批导出"
    )
}

/// The audit viewer's filters as xlsx, newest first, at most [`EXPORT_CAP`] entries; when
/// more match, the first row under the header says so ([`capped_notice`]). Same access as the
/// viewer, and recorded like it (`audit.export`, with the filters and the row count).
pub async fn export(svc: &Services, actor: &Actor, q: &AuditQuery) -> Result<Vec<u8>> {
    export_at_most(svc, actor, q, EXPORT_CAP).await
}

/// [`export`] with another cap (tests use a small one).
#[doc(hidden)]
pub async fn export_at_most(
    svc: &Services,
    actor: &Actor,
    q: &AuditQuery,
    cap: usize,
) -> Result<Vec<u8>> {
    ensure_viewer(actor)?;
    const BATCH: usize = 5_000;
    let c = svc.store.conn();
    let scope = actor.scope();
    let mut entries: Vec<AuditEntry> = Vec::new();
    // One more than the cap tells whether there are more.
    while entries.len() <= cap {
        let want = BATCH.min(cap + 1 - entries.len());
        let before = entries.last().map(|e| e.seq);
        let batch = repo::list_before(c, &scope, q, before, want as u64).await?;
        let done = batch.len() < want;
        entries.extend(batch);
        if done {
            break;
        }
    }
    let capped = entries.len() > cap;
    entries.truncate(cap);
    let dept_ids: Vec<Uuid> = entries.iter().filter_map(|e| e.department_id).collect();
    let departments = lianjian_store::departments::by_ids(c, &dept_ids).await?;
    let codes = entries
        .iter()
        .filter_map(|e| e.region_code.clone())
        .collect();
    let regions = crate::exchange::region_names(svc, codes).await?;
    let mut rows: Vec<Vec<String>> = Vec::with_capacity(entries.len() + 1);
    if capped {
        rows.push(vec![capped_notice(cap)]);
    }
    let count = entries.len();
    rows.extend(entries.into_iter().map(|e| {
        vec![
            e.seq.to_string(),
            crate::exchange::beijing_time(&e.at),
            e.actor_name,
            e.actor_role
                .map(|r| r.parse::<Role>().map_or(r, |r| r.label_zh().to_string()))
                .unwrap_or_default(),
            e.department_id
                .and_then(|d| departments.get(&d))
                .map(|d| d.name.clone())
                .unwrap_or_default(),
            e.region_code
                .map(|r| regions.get(&r).cloned().unwrap_or(r))
                .unwrap_or_default(),
            e.action,
            e.object_type,
            e.object_id.unwrap_or_default(),
            e.ip.unwrap_or_default(),
            e.hash,
        ]
    }));
    let tx = svc.store.begin().await?;
    record(
        &tx,
        actor,
        Record::new("audit.export", "audit_log", format!("{count} rows")).after(
            &serde_json::json!({
                "actor": q.actor, "action": q.action, "department_id": q.department_id,
                "from": q.from, "to": q.to, "rows": count, "capped": capped,
            }),
        ),
    )
    .await?;
    tx.commit().await?;
    Ok(crate::exchange::xlsx_table(
        "审计日志",
        &EXPORT_HEADERS,
        rows,
    ))
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
