//! Import jobs (导入任务, issue 12 item 5; `docs/exchange.md`, "Import jobs").
//!
//! A file is checked whole before anything is written ([`super::check_entities`]); then the
//! valid entities are written in chunks, each in a short transaction of its own, so that the
//! database's write lock (SQLite has one for the whole file) is free between chunks and a
//! console user's save waits for one chunk at most, not for the whole import. Every entity a
//! chunk inserts or changes is journalled (`import_job_rows`) with its before-image in the
//! chunk's own transaction; a job that cannot complete is undone chunk by chunk from the
//! journal, newest first. A job whose process died (`kill -9`, power loss) is undone by the
//! next process that starts on the database ([`recover`]): jobs are never resumed, because a
//! file was checked against the directory as it stood when its job began.
//!
//! Entities a job writes reach the directory index when the job completes, so a draw never
//! picks an entity that an undone job had inserted.

use std::collections::HashSet;
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

use chrono::Utc;
pub use lianjian_domain::import_job::ImportJobStatus;
use lianjian_domain::import_job::transition;
use lianjian_domain::scope::Actor;
use lianjian_store::changes::{self, DirectoryChange};
use lianjian_store::entities as entity_repo;
use lianjian_store::import_jobs as repo;
pub use lianjian_store::import_jobs::ImportJob;
use lianjian_store::{Backend, StoreError};
use uuid::Uuid;

use super::{CheckedEntities, ImportOutcome, Phase, Progress};
use crate::directory::{self, ImportReport};
use crate::trail::{Record, record};
use crate::{Result, ServiceError, Services};

/// How a job writes.
#[derive(Debug, Clone)]
pub struct JobOptions {
    /// Entities per short transaction. 500: a concurrent console write waits for one chunk at
    /// most, and at 1,000 its p99 passed 1 s under load (docs/performance.md, issue 12 item 5).
    pub chunk_rows: usize,
    /// Pause after each chunk on SQLite, so that writers of other processes, which poll for
    /// the lock (every 100 ms at most), find it free. Writers of this process are let in
    /// before the next chunk anyway.
    pub pause: Duration,
    /// Test hook: stop after this many chunks as if the process had died there (the job is
    /// left as it stands, for [`recover`] to undo).
    pub stop_after_chunks: Option<u64>,
}

impl Default for JobOptions {
    fn default() -> Self {
        Self {
            chunk_rows: 500,
            pause: Duration::from_millis(50),
            stop_after_chunks: None,
        }
    }
}

impl JobOptions {
    /// The defaults, overridden by `LIANJIAN_IMPORT_CHUNK_ROWS` and `LIANJIAN_IMPORT_PAUSE_MS`
    /// (operators tuning a slow disk; the tests that kill an import mid-way).
    pub fn from_env() -> Self {
        let mut o = Self::default();
        if let Some(n) = env_number("LIANJIAN_IMPORT_CHUNK_ROWS") {
            o.chunk_rows = usize::try_from(n).unwrap_or(usize::MAX).max(1);
        }
        if let Some(ms) = env_number("LIANJIAN_IMPORT_PAUSE_MS") {
            o.pause = Duration::from_millis(ms);
        }
        o
    }
}

fn env_number(name: &str) -> Option<u64> {
    std::env::var(name).ok()?.trim().parse().ok()
}

// ---------------------------------------------------------------------------------------------
// Who runs a job
// ---------------------------------------------------------------------------------------------

/// Jobs this process is running now.
fn running() -> &'static Mutex<HashSet<Uuid>> {
    static RUNNING: OnceLock<Mutex<HashSet<Uuid>>> = OnceLock::new();
    RUNNING.get_or_init(Default::default)
}

/// Marks a job as run by this process for as long as it lives.
struct Running(Uuid);

impl Running {
    fn new(id: Uuid) -> Self {
        running()
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(id);
        Self(id)
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        running()
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(&self.0);
    }
}

fn host() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .or_else(|| std::env::var("HOSTNAME").ok())
        .map(|h| h.trim().to_string())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "localhost".into())
}

/// The start time of a process (clock ticks since boot, field 22 of `/proc/PID/stat`), or
/// `None` when it is gone or a zombie. With the pid it names a process even after pid reuse.
fn process_start(pid: u32) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name (field 2) is in parentheses and may hold spaces: count after it.
    let rest = &stat[stat.rfind(')')? + 1..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // fields[0] is the state (field 3), so field 22 is fields[19].
    if matches!(fields.first(), Some(&"Z") | Some(&"X")) {
        return None;
    }
    fields.get(19)?.parse().ok()
}

/// `host:pid:start` of this process.
fn this_runner() -> String {
    let pid = std::process::id();
    format!("{}:{pid}:{}", host(), process_start(pid).unwrap_or(0))
}

/// A job is abandoned when nobody is writing it any more: its process is this one but it is
/// not among the jobs running here, or its process on this host is gone; a job run on another
/// host is abandoned when it has not moved for [`STALE_AFTER`].
const STALE_AFTER: chrono::TimeDelta = chrono::TimeDelta::minutes(10);

fn abandoned(job: &ImportJob) -> bool {
    let here = host();
    let mut parts = job.runner.rsplitn(3, ':');
    let (start, pid, job_host) = (parts.next(), parts.next(), parts.next());
    let pid: Option<u32> = pid.and_then(|p| p.parse().ok());
    match (job_host, pid) {
        (Some(h), Some(pid)) if h == here => {
            if pid == std::process::id() {
                !running()
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .contains(&job.id)
            } else {
                if !std::path::Path::new("/proc/self").exists() {
                    // No /proc to ask (not Linux): only time tells.
                    return Utc::now() - job.updated_at > STALE_AFTER;
                }
                let start: Option<u64> = start.and_then(|s| s.parse().ok());
                match process_start(pid) {
                    None => true,
                    // The pid now names another process.
                    Some(now) => start.is_some_and(|s| s != 0 && s != now),
                }
            }
        }
        _ => Utc::now() - job.updated_at > STALE_AFTER,
    }
}

/// The actor recorded for undoing jobs at start-up (`system`, like the store's seals).
fn system_actor() -> Actor {
    Actor {
        username: "system".into(),
        display_name: "系统".into(),
        ..crate::cli_actor()
    }
}

// ---------------------------------------------------------------------------------------------
// Reading jobs
// ---------------------------------------------------------------------------------------------

fn may_watch(actor: &Actor, job: &ImportJob) -> bool {
    use lianjian_domain::account::Role;
    actor.role == Role::SystemAdmin || job.uploaded_by == Some(actor.user_id)
}

/// A job, for its uploader or a system administrator (anyone else: not found).
pub async fn get(svc: &Services, actor: &Actor, id: Uuid) -> Result<ImportJob> {
    match repo::get(svc.store.conn(), id).await? {
        Some(j) if may_watch(actor, &j) => Ok(j),
        _ => Err(ServiceError::NotFound),
    }
}

/// The latest jobs the actor may watch, newest first.
pub async fn recent(svc: &Services, actor: &Actor, limit: u64) -> Result<Vec<ImportJob>> {
    use lianjian_domain::account::Role;
    let uploader = (actor.role != Role::SystemAdmin).then_some(actor.user_id);
    Ok(repo::recent(svc.store.conn(), uploader, limit).await?)
}

// ---------------------------------------------------------------------------------------------
// Running a job
// ---------------------------------------------------------------------------------------------

/// Creates a job in 校验中 for `actor`.
pub(crate) async fn start(
    svc: &Services,
    actor: &Actor,
    kind: &str,
    file_name: &str,
) -> Result<ImportJob> {
    let now = lianjian_domain::audit::audit_time(Utc::now());
    let is_person = !actor.user_id.is_nil();
    let job = ImportJob {
        id: Uuid::now_v7(),
        kind: kind.into(),
        status: ImportJobStatus::Validating,
        uploaded_by: is_person.then_some(actor.user_id),
        uploader_name: actor.username.chars().take(64).collect(),
        region_code: Some(actor.region.to_string()),
        department_id: is_person.then_some(actor.department_id),
        file_name: file_name.chars().take(255).collect(),
        total: 0,
        valid: 0,
        written: 0,
        inserted: 0,
        updated: 0,
        unchanged: 0,
        skipped: 0,
        claims_created: 0,
        undone: 0,
        errors: 0,
        message: None,
        runner: this_runner(),
        created_at: now,
        updated_at: now,
        finished_at: None,
    };
    repo::insert(svc.store.conn(), &job).await?;
    Ok(job)
}

/// Moves `job` to `to` in memory, checking the move.
fn step(job: &mut ImportJob, to: ImportJobStatus) -> Result<ImportJobStatus> {
    let from = job.status;
    job.status = transition(from, to).map_err(|e| ServiceError::field("status", e))?;
    if to.is_final() {
        job.finished_at = Some(Utc::now());
    }
    Ok(from)
}

/// Saves a move made with [`step`]; an error if another process moved the job first.
async fn save(c: &impl lianjian_store::Conn, job: &ImportJob, from: ImportJobStatus) -> Result<()> {
    if repo::save(c, job, from).await? {
        Ok(())
    } else {
        Err(ServiceError::refused(
            "导入任务已被其他进程处理（例如重启后被撤销）",
            "the import job was moved on by another process (e.g. undone after a restart)",
        ))
    }
}

/// Ends a job in 校验中 as 未导入 with `message` (nothing was written).
pub(crate) async fn fail(svc: &Services, job: &mut ImportJob, message: String) -> Result<()> {
    let from = step(job, ImportJobStatus::Failed)?;
    job.message = Some(message);
    save(svc.store.conn(), job, from).await
}

fn set_report(job: &mut ImportJob, r: &ImportReport) {
    job.inserted = r.inserted;
    job.updated = r.updated;
    job.unchanged = r.unchanged;
    job.claims_created = r.claims_created;
}

/// SQLite has one write lock: after a chunk, let this process's waiting writers through, then
/// pause so that other processes' writers find the lock free too. PostgreSQL queues writers
/// fairly on the audit head's row lock and needs neither.
async fn make_way(svc: &Services, pause: Duration) {
    if svc.store.backend() != Backend::Sqlite {
        return;
    }
    let since = Instant::now();
    while svc.store.writers_waiting() > 0 && since.elapsed() < Duration::from_secs(2) {
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    tokio::time::sleep(pause).await;
}

/// Writes a checked file ([`super::check_entities`]) chunk by chunk under its job, then
/// completes the job; if a chunk fails, undoes every chunk written and returns the error.
/// A file that was refused (its job already final) comes back as it is.
pub async fn write_entities(
    svc: &Services,
    actor: &Actor,
    checked: CheckedEntities,
    opts: &JobOptions,
    progress: &(dyn Fn(Progress) + Sync),
) -> Result<(ImportJob, ImportOutcome)> {
    let CheckedEntities {
        mut job,
        valid,
        mut outcome,
    } = checked;
    if job.status.is_final() {
        return Ok((job, outcome));
    }
    let _running = Running::new(job.id);
    let total = valid.len() as u64;
    if valid.is_empty() {
        let from = step(&mut job, ImportJobStatus::Completed)?;
        save(svc.store.conn(), &job, from).await?;
        return Ok((job, outcome));
    }
    let from = step(&mut job, ImportJobStatus::Writing)?;
    {
        let tx = svc.store.begin().await?;
        save(&tx, &job, from).await?;
        record(
            &tx,
            actor,
            Record::new("import.start", "import_job", job.id).after(&serde_json::json!({
                "kind": job.kind, "file": job.file_name, "valid": job.valid,
                "skipped": job.skipped,
            })),
        )
        .await?;
        tx.commit().await?;
    }
    progress(Progress {
        phase: Phase::Saving,
        done: 0,
        total,
    });
    let mut report = ImportReport::default();
    let mut touched: Vec<Uuid> = Vec::with_capacity(valid.len());
    for (n, chunk) in valid.chunks(opts.chunk_rows.max(1)).enumerate() {
        let n = n as u64;
        if opts.stop_after_chunks == Some(n) {
            return Err(ServiceError::internal(StoreError::Corrupt(format!(
                "test hook: import job {} stopped after {n} chunks",
                job.id
            ))));
        }
        let written = write_chunk(svc, actor, &mut job, n, chunk, &mut report).await;
        match written {
            Ok(ids) => touched.extend(ids),
            Err(e) => {
                tracing::warn!(job = %job.id, error = %e, "import chunk failed; undoing the job");
                job.message = Some(format!("写入失败，已撤销：{e}"));
                undo(svc, actor, job.id, job.message.clone(), progress).await?;
                return Err(e);
            }
        }
        progress(Progress {
            phase: Phase::Saving,
            done: job.written,
            total,
        });
        make_way(svc, opts.pause).await;
    }
    let from = step(&mut job, ImportJobStatus::Completed)?;
    {
        let tx = svc.store.begin().await?;
        save(&tx, &job, from).await?;
        record(
            &tx,
            actor,
            Record::new("import.complete", "import_job", job.id).after(&serde_json::json!({
                "inserted": job.inserted, "updated": job.updated, "unchanged": job.unchanged,
                "claims_created": job.claims_created, "skipped": job.skipped,
            })),
        )
        .await?;
        tx.commit().await?;
    }
    outcome.report = report;
    // The journal has served its purpose; removing it needs no lock worth sharing.
    repo::forget_all(svc.store.conn(), job.id).await?;
    svc.apply_own_changes().await;
    Ok((job, outcome))
}

/// One chunk in one transaction: the entities, their journal and the job's progress commit
/// together, so the journal always names exactly what is in the database.
async fn write_chunk(
    svc: &Services,
    actor: &Actor,
    job: &mut ImportJob,
    n: u64,
    chunk: &[directory::ParsedEntity],
    report: &mut ImportReport,
) -> Result<Vec<Uuid>> {
    let tx = svc.store.begin().await?;
    entity_repo::prepare_bulk(&tx).await?;
    let mut r = report.clone();
    let w = directory::import_chunk(&tx, actor, chunk, &mut r).await?;
    repo::journal(&tx, job.id, n, &w.journal).await?;
    // Each chunk is visible once committed, so the change feed names it in the same transaction.
    changes::append_directory_changes(&tx, &DirectoryChange::entities(&w.touched)).await?;
    let mut j = job.clone();
    j.written += chunk.len() as u64;
    set_report(&mut j, &r);
    save(&tx, &j, ImportJobStatus::Writing).await?;
    tx.commit().await?;
    *job = j;
    *report = r;
    Ok(w.touched)
}

/// Undoes a job in 写入中 or 撤销中, newest chunk first, each chunk in a transaction of its own
/// with an `import.undo` audit entry, then ends it as 已撤销 with `message`.
async fn undo(
    svc: &Services,
    actor: &Actor,
    id: Uuid,
    message: Option<String>,
    progress: &(dyn Fn(Progress) + Sync),
) -> Result<ImportJob> {
    let Some(mut job) = repo::get(svc.store.conn(), id).await? else {
        return Err(ServiceError::NotFound);
    };
    if job.status == ImportJobStatus::Writing {
        let from = step(&mut job, ImportJobStatus::Undoing)?;
        job.message = message.clone();
        save(svc.store.conn(), &job, from).await?;
    }
    if job.status != ImportJobStatus::Undoing {
        return Ok(job);
    }
    let total = job.written;
    loop {
        let tx = svc.store.begin().await?;
        let Some(n) = repo::last_chunk(&tx, id).await? else {
            break;
        };
        let rows = repo::chunk_rows(&tx, id, n).await?;
        let (deleted, restored) = directory::undo_chunk(&tx, &rows).await?;
        repo::forget_chunk(&tx, id, n).await?;
        let mut ids = deleted.clone();
        ids.extend(restored.iter().copied());
        changes::append_directory_changes(&tx, &DirectoryChange::entities(&ids)).await?;
        record(
            &tx,
            actor,
            Record::new("import.undo", "import_job", id).after(&serde_json::json!({
                "chunk": n, "deleted": deleted, "restored": restored,
            })),
        )
        .await?;
        job.undone += rows.len() as u64;
        save(&tx, &job, ImportJobStatus::Undoing).await?;
        tx.commit().await?;
        svc.apply_own_changes().await;
        progress(Progress {
            phase: Phase::Undoing,
            done: job.undone,
            total,
        });
        make_way(svc, Duration::from_millis(20)).await;
    }
    let from = step(&mut job, ImportJobStatus::RolledBack)?;
    if message.is_some() {
        job.message = message;
    }
    let tx = svc.store.begin().await?;
    save(&tx, &job, from).await?;
    record(
        &tx,
        actor,
        Record::new("import.rollback", "import_job", id).after(&serde_json::json!({
            "undone": job.undone, "message": job.message,
        })),
    )
    .await?;
    tx.commit().await?;
    Ok(job)
}

/// At start-up (and before a CLI import): every job whose process is gone is finished off. A
/// job still checking its file had written nothing and becomes 未导入; one writing or undoing
/// is undone as a whole. Returns the jobs finished off.
pub async fn recover(svc: &Services) -> Result<Vec<ImportJob>> {
    let actor = system_actor();
    let mut done = Vec::new();
    for mut job in repo::unfinished(svc.store.conn()).await? {
        if !abandoned(&job) {
            continue;
        }
        let interrupted = "导入进程中断（例如被强制结束），已撤销全部写入 (the import's process stopped; everything it wrote was undone)";
        if job.status == ImportJobStatus::Validating {
            let from = step(&mut job, ImportJobStatus::Failed)?;
            job.message = Some("导入进程在校验时中断，未写入任何数据 (the import's process stopped while checking; nothing was written)".into());
            if repo::save(svc.store.conn(), &job, from).await? {
                done.push(job);
            }
            continue;
        }
        tracing::warn!(job = %job.id, status = job.status.as_str(), written = job.written, "undoing an interrupted import job");
        let message = (job.status == ImportJobStatus::Writing).then(|| interrupted.to_string());
        match undo(svc, &actor, job.id, message, &|_| {}).await {
            Ok(j) => done.push(j),
            Err(ServiceError::Refused { .. }) => {} // another process got there first
            Err(e) => return Err(e),
        }
    }
    Ok(done)
}
