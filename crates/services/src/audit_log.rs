//! The audit viewer and verification. Reading the log is itself a restricted read and is
//! recorded: auditors are audited too.

use chrono::{Duration, Timelike, Utc};
use lianjian_domain::account::Role;
use lianjian_domain::audit::{
    AuditCheckpoint, AuditEntry, SignedAuditCheckpoint, Tamper, Verified,
};
use lianjian_domain::evidence::{PublicKey, Timestamp};
use lianjian_domain::scope::{Actor, Scope};
use lianjian_store::audit::{self as repo};
use lianjian_store::{Page, PageRequest};
use uuid::Uuid;

use crate::trail::{Record, record};
use crate::{Result, ServiceError, Services};

/// The audit viewer's filter as this service takes it.
pub use lianjian_store::audit::AuditQuery;

/// Who reads the log: system administrators, coordination offices and department
/// administrators (each in their scope). The console shows the log only when this holds.
pub fn may_view(actor: &Actor) -> bool {
    matches!(
        actor.role,
        Role::SystemAdmin | Role::CoordinationOffice | Role::DepartmentAdmin
    )
}

/// Who recomputes the whole chain ([`verify`]): system administrators only.
pub fn may_verify(actor: &Actor) -> bool {
    actor.role == Role::SystemAdmin
}

fn ensure_viewer(actor: &Actor) -> Result<()> {
    if may_view(actor) {
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
    let result = repo::list(svc.store.conn(), &Scope::of(actor), q, page).await?;
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
    let scope = Scope::of(actor);
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
    let regions = crate::sheets::region_names(svc, codes).await?;
    let mut rows: Vec<Vec<String>> = Vec::with_capacity(entries.len() + 1);
    if capped {
        rows.push(vec![capped_notice(cap)]);
    }
    let count = entries.len();
    rows.extend(entries.into_iter().map(|e| {
        vec![
            e.seq.to_string(),
            crate::sheets::beijing_time(&e.at),
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
    Ok(crate::sheets::xlsx_table("审计日志", &EXPORT_HEADERS, rows))
}

/// How many entries the log holds.
pub async fn count(svc: &Services) -> Result<u64> {
    Ok(repo::count(svc.store.conn()).await?)
}

/// The departments of the actor's view, for the viewer's department filter.
pub async fn department_options(
    svc: &Services,
    actor: &Actor,
) -> Result<Vec<lianjian_store::departments::Department>> {
    Ok(lianjian_store::departments::list(
        svc.store.conn(),
        &Scope::of(actor),
        &Default::default(),
        PageRequest::new(Some(1), Some(PageRequest::MAX_PER_PAGE)),
    )
    .await?
    .items)
}

pub async fn actions(svc: &Services) -> Result<Vec<String>> {
    Ok(repo::actions(svc.store.conn()).await?)
}

/// Recomputes the whole chain. System administrators only (and the CLI). The log is also
/// checked against the largest stored checkpoint whose signature is valid and made with the
/// platform's key, so a log deleted or truncated behind the checkpoints' back is reported
/// ([`Tamper::Truncated`]) as long as the checkpoints table survives; a checkpoint kept
/// elsewhere is checked with [`verify_since`].
pub async fn verify(svc: &Services, actor: &Actor) -> Result<Result<Verified, Tamper>> {
    if !may_verify(actor) {
        return Err(ServiceError::Forbidden);
    }
    let snapshot = svc.store.begin_snapshot().await?;
    let anchor = match repo::largest_checkpoint(&snapshot).await {
        Ok(Some(cp)) if anchor_problem(svc, &cp, None)?.is_none() => Some(cp),
        Ok(_) => None,
        // An unreadable stored checkpoint anchors nothing; the chain is still verified.
        Err(e) => {
            tracing::warn!(error = %e, "ignoring an unreadable stored audit checkpoint");
            None
        }
    };
    let r = repo::verify_anchored(&snapshot, anchor.as_ref()).await?;
    snapshot.commit().await?;
    Ok(r)
}

/// Why a checkpoint cannot anchor a verification (`lianjian audit verify --since` exits 2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AnchorProblem {
    /// The signature does not verify under the checkpoint's public key: a field or the
    /// signature was changed.
    Signature { fingerprint: String },
    /// Signed by another key than the trusted one (`--key`, else the platform's own key).
    UntrustedKey { trusted: String, found: String },
    /// The checkpoint is of another log.
    Origin { expected: String, found: String },
}

impl std::fmt::Display for AnchorProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            AnchorProblem::Signature { fingerprint } => write!(
                f,
                "the checkpoint's signature does not verify under its key {fingerprint}: the checkpoint was altered / 检查点签名无效，检查点已被改动"
            ),
            AnchorProblem::UntrustedKey { trusted, found } => write!(
                f,
                "the checkpoint is signed by key {found}, not by the trusted key {trusted} / 检查点并非由受信任的密钥签名"
            ),
            AnchorProblem::Origin { expected, found } => write!(
                f,
                "the checkpoint is of log {found:?}, not of this platform's audit log {expected:?} / 检查点不属于本平台的审计日志"
            ),
        }
    }
}

/// The audit log's name in its checkpoints: the evidence log's origin followed by `/audit`
/// (both logs are signed with the same key; the name and the format line keep them apart).
pub fn origin(svc: &Services) -> String {
    format!("{}/audit", svc.evidence.config().origin)
}

/// Checks a checkpoint's signature, key and origin. `trusted`: the key it must be signed with;
/// by default the platform's own signing key, when its file exists.
pub fn anchor_problem(
    svc: &Services,
    cp: &SignedAuditCheckpoint,
    trusted: Option<PublicKey>,
) -> Result<Option<AnchorProblem>> {
    if !cp.signature_valid() {
        return Ok(Some(AnchorProblem::Signature {
            fingerprint: cp.public_key.fingerprint(),
        }));
    }
    let trusted = match trusted {
        Some(k) => Some(k),
        None => svc.evidence.existing_public_key()?,
    };
    if let Some(k) = trusted
        && k != cp.public_key
    {
        return Ok(Some(AnchorProblem::UntrustedKey {
            trusted: k.fingerprint(),
            found: cp.public_key.fingerprint(),
        }));
    }
    let expected = origin(svc);
    if cp.origin != expected {
        return Ok(Some(AnchorProblem::Origin {
            expected,
            found: cp.origin.clone(),
        }));
    }
    Ok(None)
}

/// Verifies the chain and that it still holds what the checkpoint `cp` signed: at least
/// `cp.size` entries, the `cp.size`-th with hash `cp.head_hash` (system administrators and
/// the CLI). Check the checkpoint first with [`anchor_problem`].
pub async fn verify_since(
    svc: &Services,
    actor: &Actor,
    cp: &SignedAuditCheckpoint,
) -> Result<Result<Verified, Tamper>> {
    if actor.role != Role::SystemAdmin {
        return Err(ServiceError::Forbidden);
    }
    let snapshot = svc.store.begin_snapshot().await?;
    let r = repo::verify_anchored(&snapshot, Some(cp)).await?;
    snapshot.commit().await?;
    Ok(r)
}

/// Signs the log's current head and stores the checkpoint (the CLI's `audit checkpoint`, the
/// server's hourly tick). Not audited: a checkpoint changes nothing and carries no personal
/// data, and an entry for it would move the head it signs.
pub async fn make_checkpoint(svc: &Services) -> Result<SignedAuditCheckpoint> {
    let key = svc.evidence.signing_key()?;
    let tx = svc.store.begin().await?;
    let head = repo::head(&tx).await?;
    let signed = AuditCheckpoint {
        origin: origin(svc),
        size: u64::try_from(head.seq).map_err(|_| {
            ServiceError::internal(lianjian_store::StoreError::Corrupt(
                "audit head seq is negative".into(),
            ))
        })?,
        head_hash: head.hash,
        timestamp: Timestamp::new(Utc::now()),
    }
    .sign(&key);
    repo::insert_checkpoint(&tx, &signed).await?;
    tx.commit().await?;
    Ok(signed)
}

/// The latest checkpoint, made anew when the log has grown since it and it is from an
/// earlier hour (UTC), so at most one checkpoint an hour is made on request (public).
pub async fn current_checkpoint(svc: &Services) -> Result<SignedAuditCheckpoint> {
    let c = svc.store.conn();
    if let Some(cp) = repo::latest_checkpoint(c).await? {
        let head = repo::head(c).await?;
        let hour_start = Utc::now()
            .with_minute(0)
            .and_then(|t| t.with_second(0))
            .and_then(|t| t.with_nanosecond(0))
            .unwrap_or_else(|| Utc::now() - Duration::hours(1));
        if head.seq as u64 == cp.size || cp.timestamp.get() >= hour_start {
            return Ok(cp);
        }
    }
    make_checkpoint(svc).await
}

/// The most recent stored checkpoints, newest first (system administrators and the CLI).
pub async fn checkpoints(
    svc: &Services,
    actor: &Actor,
    limit: u64,
) -> Result<Vec<SignedAuditCheckpoint>> {
    if actor.role != Role::SystemAdmin {
        return Err(ServiceError::Forbidden);
    }
    Ok(repo::checkpoints(svc.store.conn(), limit).await?)
}

/// Every row of the sealed tables whose content is not its last after-image in the audit
/// log (system administrators and the CLI), in one snapshot.
pub async fn reconcile(
    svc: &Services,
    actor: &Actor,
) -> Result<Vec<lianjian_store::seal::Finding>> {
    if actor.role != Role::SystemAdmin {
        return Err(ServiceError::Forbidden);
    }
    let snapshot = svc.store.begin_snapshot().await?;
    let r = lianjian_store::seal::reconcile(&snapshot).await?;
    snapshot.commit().await?;
    Ok(r)
}
