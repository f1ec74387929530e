//! Evidence once, for everyone (证据互认, 国办发〔2023〕1号 (十五)): a photo or document collected
//! by one department is stored once and can be relied on by every other department without
//! trusting this platform's database. Design and formats: `docs/evidence.md`.
//!
//! - **Content-addressed storage.** A file is named by its SHA-256 and kept at
//!   `<evidence dir>/<first 2 hex digits>/<sha256>`, written to a temporary file, fsynced and
//!   renamed before the database transaction commits. The same content uploaded twice is one
//!   file and one row; each record that uses it gets a link ([`link`]).
//! - **Limits.** At most [`EvidenceConfig::max_bytes`] per file; only JPEG, PNG, WebP,
//!   HEIC/HEIF and PDF, recognised from the content's first bytes; a declared type must agree.
//!   A refused upload names the file, its size or type and the limit, and stores nothing.
//! - **The log.** Each new file appends one canonical leaf to an append-only Merkle log
//!   (RFC 9162) and the platform signs a checkpoint of the new tree with Ed25519, in the same
//!   transaction as the row and its audit entry. [`proof`] hands any department a document
//!   that `lianjian evidence verify FILE PROOF.json` checks offline.
//! - **The signing key** is generated on first use and kept in `<evidence dir>/signing.key`
//!   (64 hex digits, mode 0600). Its public key is published with every checkpoint. A key on
//!   the same server as the log is not an independent witness: whoever controls the server can
//!   sign a different history. Publishing checkpoints elsewhere (other departments keeping the
//!   ones they saw, or an external anchor) is what makes a rewrite detectable; see
//!   `docs/evidence.md`.
//!
//! Who may do what: every member of staff except the read-only leader may upload ([`add`]);
//! opening a file ([`open`]) is for staff whose region subtree holds the uploading department
//! or a department that uses the file, and is audited as `evidence.open`; proofs ([`proof`])
//! reveal only hashes and are open to any signed-in department; checkpoints ([`checkpoint`],
//! [`consistency`]) are public.

use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use chrono::Utc;
use lianjian_domain::Invalid;
use lianjian_domain::evidence::{
    self as domain, Checkpoint, ConsistencyProof, Entry, Hash, MediaType, PROOF_FORMAT,
    ProofDocument, SignedCheckpoint, SigningKey, Timestamp, media, merkle,
};
use lianjian_domain::region::RegionCode;
use lianjian_domain::scope::Actor;
use lianjian_store::evidence::{self as repo, Link};
use lianjian_store::{Conn, StoreError, departments};
use serde::Serialize;
use uuid::Uuid;

use crate::trail::{Record, record};
use crate::{Result, ServiceError, Services};

pub use lianjian_store::evidence::Evidence;

/// Where evidence files and the signing key live, and how large a file may be.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EvidenceConfig {
    /// Folder of the files (`<dir>/<2 hex>/<sha256>`) and of `signing.key`.
    pub dir: PathBuf,
    /// Largest file accepted, in bytes.
    pub max_bytes: u64,
    /// The log's name in every checkpoint (one line, 1–128 characters).
    pub origin: String,
}

/// Default folder: beside the default SQLite database.
pub const DEFAULT_DIR: &str = "lianjian-data/evidence";
/// Default log name.
pub const DEFAULT_ORIGIN: &str = "lianjian/evidence";

impl Default for EvidenceConfig {
    fn default() -> Self {
        Self {
            dir: PathBuf::from(DEFAULT_DIR),
            max_bytes: media::DEFAULT_MAX_BYTES,
            origin: DEFAULT_ORIGIN.into(),
        }
    }
}

/// The configuration and the signing key once loaded; shared by clones of [`Services`].
#[derive(Clone)]
pub struct EvidenceState {
    config: EvidenceConfig,
    key: Arc<Mutex<Option<SigningKey>>>,
}

impl std::fmt::Debug for EvidenceState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the key.
        f.debug_struct("EvidenceState")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl EvidenceState {
    pub fn new(config: EvidenceConfig) -> Self {
        Self {
            config,
            key: Arc::new(Mutex::new(None)),
        }
    }

    pub fn config(&self) -> &EvidenceConfig {
        &self.config
    }

    /// The public key of the signing key if its file exists; never creates one (verifiers).
    pub fn existing_public_key(&self) -> Result<Option<domain::PublicKey>> {
        let path = self.config.dir.join(KEY_FILE);
        match std::fs::read_to_string(&path) {
            Ok(s) => parse_key(&path, &s)
                .map(|k| Some(domain::PublicKey(k.verifying_key())))
                .map_err(|e| io_error(&format!("signing key {}", path.display()), e)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(io_error(&format!("signing key {}", path.display()), e)),
        }
    }

    /// The signing key: read from `signing.key`, or generated and written there on first use.
    /// The audit log's checkpoints are signed with it too (`docs/audit-log.md`).
    pub(crate) fn signing_key(&self) -> Result<SigningKey> {
        let mut slot = self.key.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(k) = slot.as_ref() {
            return Ok(k.clone());
        }
        let k = load_or_create_key(&self.config.dir)
            .map_err(|e| io_error(&format!("signing key in {}", self.config.dir.display()), e))?;
        *slot = Some(k.clone());
        Ok(k)
    }
}

impl Default for EvidenceState {
    fn default() -> Self {
        Self::new(EvidenceConfig::default())
    }
}

fn io_error(what: &str, e: impl std::fmt::Display) -> ServiceError {
    ServiceError::internal(StoreError::Config(format!("evidence storage: {what}: {e}")))
}

/// The key file's name inside the evidence folder.
pub const KEY_FILE: &str = "signing.key";

fn load_or_create_key(dir: &Path) -> std::io::Result<SigningKey> {
    let path = dir.join(KEY_FILE);
    match std::fs::read_to_string(&path) {
        Ok(s) => return parse_key(&path, &s),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(e),
    }
    create_dir(dir)?;
    let mut seed = [0u8; 32];
    rand::RngCore::fill_bytes(&mut rand::rng(), &mut seed);
    let tmp = dir.join(format!(".{KEY_FILE}.{}.tmp", Uuid::now_v7()));
    let mut o = std::fs::OpenOptions::new();
    o.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut o, 0o600);
    let written = (|| {
        let mut f = o.open(&tmp)?;
        f.write_all(format!("{}\n", hex::encode(seed)).as_bytes())?;
        f.sync_all()?;
        // A hard link publishes the complete file and fails if another process got there
        // first; then its key is the one.
        std::fs::hard_link(&tmp, &path)
    })();
    let _ = std::fs::remove_file(&tmp);
    match written {
        Ok(()) => {
            sync_dir(dir);
            tracing::info!(path = %path.display(), "generated the evidence log's signing key");
            Ok(SigningKey::from_bytes(&seed))
        }
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            parse_key(&path, &std::fs::read_to_string(&path)?)
        }
        Err(e) => Err(e),
    }
}

fn parse_key(path: &Path, s: &str) -> std::io::Result<SigningKey> {
    let mut seed = [0u8; 32];
    hex::decode_to_slice(s.trim(), &mut seed).map_err(|_| {
        std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            format!(
                "{} does not hold 64 hex digits (an Ed25519 seed)",
                path.display()
            ),
        )
    })?;
    #[cfg(unix)]
    if let Ok(m) = std::fs::metadata(path) {
        use std::os::unix::fs::PermissionsExt;
        if m.permissions().mode() & 0o077 != 0 {
            tracing::warn!(path = %path.display(), "the evidence signing key is readable by other users; chmod 600 it");
        }
    }
    Ok(SigningKey::from_bytes(&seed))
}

fn create_dir(dir: &Path) -> std::io::Result<()> {
    let mut b = std::fs::DirBuilder::new();
    b.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut b, 0o700);
    b.create(dir)
}

/// Makes a rename or link inside `dir` durable (best effort: not every platform can).
fn sync_dir(dir: &Path) {
    if let Ok(d) = std::fs::File::open(dir) {
        let _ = d.sync_all();
    }
}

/// Where the file with this SHA-256 lives.
pub fn blob_path(dir: &Path, sha256: &str) -> PathBuf {
    dir.join(&sha256[..2]).join(sha256)
}

/// Writes the file atomically unless an intact copy is already there: a temporary file in the
/// same folder, fsynced, renamed over the final name, the folder fsynced.
fn write_blob(dir: &Path, sha256: &str, bytes: &[u8]) -> std::io::Result<()> {
    let path = blob_path(dir, sha256);
    if let Ok(existing) = std::fs::read(&path)
        && domain::sha256(&existing).to_hex() == sha256
    {
        return Ok(());
    }
    let sub = path.parent().expect("two levels");
    create_dir(sub)?;
    let tmp = sub.join(format!(".{sha256}.{}.tmp", Uuid::now_v7()));
    let r = (|| {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        std::fs::rename(&tmp, &path)
    })();
    if r.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    r?;
    sync_dir(sub);
    Ok(())
}

/// A file as uploaded.
#[derive(Debug, Clone, Default)]
pub struct Upload {
    /// The name the client gave (only its last path component is kept).
    pub filename: String,
    /// The type the client declared, if any; it must agree with the content.
    pub media_type: Option<String>,
    pub bytes: Vec<u8>,
}

/// What [`add_new`] did.
#[derive(Debug, Clone, Serialize)]
pub struct Added {
    pub evidence: Evidence,
    /// `false` when the same content was already stored (no new leaf).
    pub created: bool,
}

/// One use of a file by a record, as [`links_of`] returns it.
#[derive(Debug, Clone, Serialize)]
pub struct LinkedEvidence {
    pub evidence: Evidence,
    /// The name the file was uploaded under for this record.
    pub filename: String,
    pub department_id: Uuid,
    pub linked_by_name: String,
    pub linked_at: chrono::DateTime<Utc>,
}

fn field(name: &str, e: Invalid) -> ServiceError {
    ServiceError::field(name, e)
}

fn may_upload(actor: &Actor) -> Result<()> {
    if actor.role.is_read_only() {
        return Err(ServiceError::Forbidden);
    }
    Ok(())
}

/// A SHA-256 as a path or argument gives it: 64 hex digits, either case.
pub fn parse_sha256(s: &str) -> Result<Hash> {
    Hash::from_hex(s.trim()).map_err(|_| {
        field(
            "sha256",
            Invalid::new(
                "bad_sha256",
                format!("“{}”不是 SHA-256 值（应为 64 位十六进制数字）", s.trim()),
                format!("'{}' is not a SHA-256 (64 hex digits)", s.trim()),
            ),
        )
    })
}

/// Stores an upload and returns its row; see [`add_new`].
pub async fn add(svc: &Services, actor: &Actor, upload: Upload) -> Result<Evidence> {
    add_new(svc, actor, upload).await.map(|a| a.evidence)
}

/// Checks an upload (size, type), stores the file, appends its leaf to the log and signs the
/// new checkpoint, with the audit entry `evidence.add`, in one transaction. Content already
/// stored is not appended again: its row comes back with `created: false` (and a lost copy
/// on disk is rewritten from the upload).
pub async fn add_new(svc: &Services, actor: &Actor, upload: Upload) -> Result<Added> {
    may_upload(actor)?;
    let cfg = svc.evidence.config().clone();
    let media_type = domain::check_upload(
        &upload.filename,
        upload.media_type.as_deref(),
        &upload.bytes,
        cfg.max_bytes,
    )
    .map_err(|e| field("file", e))?;
    let filename = media::display_name(&upload.filename);
    let sha = domain::sha256(&upload.bytes);
    let hex = sha.to_hex();
    let size = upload.bytes.len() as u64;

    // The file first, durable before the row that names it commits. A failure later leaves at
    // most a file no row names, which the same upload reuses.
    let bytes = Arc::new(upload.bytes);
    let (dir, h, b) = (cfg.dir.clone(), hex.clone(), bytes.clone());
    tokio::task::spawn_blocking(move || write_blob(&dir, &h, &b))
        .await
        .map_err(|e| io_error("writing a file", e))?
        .map_err(|e| {
            io_error(
                &format!("writing {}", blob_path(&cfg.dir, &hex).display()),
                e,
            )
        })?;

    let key = svc.evidence.signing_key()?;
    let tx = svc.store.begin().await?;
    // Writers are serialised (`Store::begin`), so this check and the append see one state.
    if let Some(e) = repo::by_sha256(&tx, &hex).await? {
        return Ok(Added {
            evidence: e,
            created: false,
        });
    }
    let n = repo::tree_size(&tx).await?;
    let now = Timestamp::new(Utc::now());
    let entry = Entry {
        sha256: sha,
        size,
        media_type,
        appended_at: now,
    };
    let previous = repo::latest_checkpoint(&tx).await?;
    let (root, new_nodes) = append_leaf(&tx, n, entry.leaf_hash(), previous.as_ref()).await?;
    let dept = (!actor.department_id.is_nil()).then_some(actor.department_id);
    let e = Evidence {
        id: Uuid::now_v7(),
        sha256: hex.clone(),
        size,
        media_type: media_type.as_str().into(),
        leaf_index: n,
        created_at: now.get(),
        created_by: (!actor.user_id.is_nil()).then_some(actor.user_id),
        created_by_name: actor.username.clone(),
        department_id: dept,
        region_code: actor.region.to_string(),
    };
    repo::insert(&tx, &e).await?;
    repo::insert_nodes(&tx, &new_nodes).await?;
    let signed = Checkpoint {
        origin: cfg.origin.clone(),
        tree_size: n + 1,
        root_hash: root,
        timestamp: now,
    }
    .sign(&key);
    repo::insert_checkpoint(&tx, &signed).await?;
    record(
        &tx,
        actor,
        Record::new("evidence.add", "evidence", &hex)
            .at(&e.region_code, dept)
            .after(&serde_json::json!({
                "filename": filename,
                "sha256": hex,
                "size": size,
                "media_type": media_type.as_str(),
                "leaf_index": n,
                "tree_size": n + 1,
                "root_hash": root.to_hex(),
                "key_fingerprint": signed.public_key.fingerprint(),
            })),
    )
    .await?;
    tx.commit().await?;
    Ok(Added {
        evidence: e,
        created: true,
    })
}

/// Appends leaf `n`: the subtrees it completes, and the new root — checked to extend the
/// previous checkpoint, so the platform never signs a tree that rewrites what it signed before.
async fn append_leaf(
    c: &impl Conn,
    n: u64,
    leaf: Hash,
    previous: Option<&SignedCheckpoint>,
) -> Result<(Hash, Vec<(merkle::NodeId, Hash)>)> {
    let consistency = previous
        .map(|p| merkle::consistency_ranges(p.checkpoint.tree_size, n + 1))
        .unwrap_or_default();
    let mut wanted = merkle::append_needs(n);
    wanted.extend(merkle::nodes_for(&[(0, n + 1)]));
    wanted.extend(merkle::nodes_for(&consistency));
    wanted.sort_unstable();
    wanted.dedup();
    let mut known = repo::nodes(c, &wanted).await?;
    let corrupt = |e: merkle::MissingNode| {
        ServiceError::internal(StoreError::Corrupt(format!("evidence log: {e}")))
    };
    let new_nodes = merkle::append(n, leaf, &|id| known.get(&id).copied()).map_err(corrupt)?;
    known.extend(new_nodes.iter().copied());
    let get = |id| known.get(&id).copied();
    let root = merkle::root(n + 1, &get).map_err(corrupt)?;
    if let Some(p) = previous {
        let cp = &p.checkpoint;
        let path = merkle::hashes_of(&consistency, &get).map_err(corrupt)?;
        if cp.tree_size > n
            || !merkle::verify_consistency(cp.tree_size, n + 1, &cp.root_hash, &root, &path)
        {
            return Err(ServiceError::internal(StoreError::Corrupt(format!(
                "evidence log: the tree of {} leaves does not extend the signed checkpoint of size {}",
                n + 1,
                cp.tree_size
            ))));
        }
    }
    Ok((root, new_nodes))
}

fn kind_ok(kind: &str) -> bool {
    let b = kind.as_bytes();
    !b.is_empty()
        && b.len() <= 32
        && b[0].is_ascii_lowercase()
        && b.iter()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'_')
}

/// Records that record `record_id` of kind `kind` (e.g. `visit_result`) uses a stored file,
/// under the name it was uploaded with, for `department_id`; audited as `evidence.link`. For
/// other use cases to call inside their own transaction (they decide who may change the
/// record). Linking the same file to the same record again changes nothing.
pub async fn link(
    c: &impl Conn,
    evidence_id: Uuid,
    kind: &str,
    record_id: Uuid,
    filename: &str,
    department_id: Uuid,
    actor: &Actor,
) -> Result<()> {
    may_upload(actor)?;
    let d = departments::get(c, department_id)
        .await?
        .ok_or(ServiceError::NotFound)?;
    link_at(
        c,
        evidence_id,
        kind,
        record_id,
        filename,
        (Some(department_id), &d.region_code),
        actor,
    )
    .await
}

/// [`link`] for a record no department holds yet — a clue the public sent through the portal,
/// before the office dispatches it: the link carries the record's region and the nil
/// department.
pub async fn link_unassigned(
    c: &impl Conn,
    evidence_id: Uuid,
    kind: &str,
    record_id: Uuid,
    filename: &str,
    region: &RegionCode,
    actor: &Actor,
) -> Result<()> {
    may_upload(actor)?;
    link_at(
        c,
        evidence_id,
        kind,
        record_id,
        filename,
        (None, region),
        actor,
    )
    .await
}

async fn link_at(
    c: &impl Conn,
    evidence_id: Uuid,
    kind: &str,
    record_id: Uuid,
    filename: &str,
    (department, region): (Option<Uuid>, &RegionCode),
    actor: &Actor,
) -> Result<()> {
    if !kind_ok(kind) {
        return Err(field(
            "record_kind",
            Invalid::new(
                "bad_kind",
                format!("记录类型“{kind}”不正确（小写字母、数字和下划线，至多 32 个字符）"),
                format!(
                    "record kind '{kind}' must be lower-case letters, digits and _ (at most 32)"
                ),
            ),
        ));
    }
    let filename = media::filename(filename).map_err(|e| field("filename", e))?;
    let e = repo::get(c, evidence_id)
        .await?
        .ok_or(ServiceError::NotFound)?;
    let department_id = department.unwrap_or_else(Uuid::nil);
    let l = Link {
        id: Uuid::now_v7(),
        evidence_id,
        record_kind: kind.into(),
        record_id,
        filename,
        department_id,
        region_code: region.to_string(),
        linked_by: (!actor.user_id.is_nil()).then_some(actor.user_id),
        linked_by_name: actor.username.clone(),
        linked_at: lianjian_domain::audit::audit_time(Utc::now()),
    };
    if repo::insert_link(c, &l).await? {
        record(
            c,
            actor,
            Record::new("evidence.link", "evidence", &e.sha256)
                .at(&l.region_code, department)
                .after(&serde_json::json!({
                    "record_kind": l.record_kind,
                    "record_id": l.record_id,
                    "filename": l.filename,
                    "department_id": department_id,
                })),
        )
        .await?;
    }
    Ok(())
}

/// The files each record of kind `kind` uses, in the order they were linked. The caller has
/// already decided that the reader may see these records.
pub async fn links_of(
    svc: &Services,
    kind: &str,
    record_ids: &[Uuid],
) -> Result<HashMap<Uuid, Vec<LinkedEvidence>>> {
    let mut out: HashMap<Uuid, Vec<LinkedEvidence>> = HashMap::new();
    for (l, e) in repo::links_of(svc.store.conn(), kind, record_ids).await? {
        out.entry(l.record_id).or_default().push(LinkedEvidence {
            evidence: e,
            filename: l.filename,
            department_id: l.department_id,
            linked_by_name: l.linked_by_name,
            linked_at: l.linked_at,
        });
    }
    Ok(out)
}

fn within(scope: &Option<RegionCode>, region: &str) -> bool {
    match scope {
        None => true,
        Some(s) => RegionCode::parse(region).is_ok_and(|r| r.is_within(s)),
    }
}

/// A stored file and its bytes, for staff whose region subtree holds the uploading department
/// or a department using the file (others: `NotFound`). Audited as `evidence.open`, like other
/// restricted reads. The bytes are checked against their SHA-256 before they are handed out.
pub async fn open(svc: &Services, actor: &Actor, sha256: &str) -> Result<(Evidence, Vec<u8>)> {
    let hex = parse_sha256(sha256)?.to_hex();
    let c = svc.store.conn();
    let e = repo::by_sha256(c, &hex)
        .await?
        .ok_or(ServiceError::NotFound)?;
    let scope = actor.scope().region;
    if !within(&scope, &e.region_code) {
        let links = repo::links_to(c, e.id).await?;
        if !links.iter().any(|l| within(&scope, &l.region_code)) {
            return Err(ServiceError::NotFound);
        }
    }
    let path = blob_path(&svc.evidence.config().dir, &hex);
    let p = path.clone();
    let bytes = tokio::task::spawn_blocking(move || std::fs::read(p))
        .await
        .map_err(|e| io_error("reading a file", e))?
        .map_err(|e| io_error(&format!("reading {}", path.display()), e))?;
    if domain::sha256(&bytes).to_hex() != hex {
        return Err(ServiceError::internal(StoreError::Corrupt(format!(
            "evidence file {} does not match its SHA-256",
            path.display()
        ))));
    }
    let tx = svc.store.begin().await?;
    record(
        &tx,
        actor,
        Record::new("evidence.open", "evidence", &hex).at(&e.region_code, e.department_id),
    )
    .await?;
    tx.commit().await?;
    Ok((e, bytes))
}

/// The proof document of a stored file at the latest checkpoint, for any signed-in department
/// (it reveals hashes, the size, type and time, never the content). Checked before it is
/// handed out: its path leads to the signed root.
pub async fn proof(svc: &Services, actor: &Actor, sha256: &str) -> Result<ProofDocument> {
    let _ = actor; // any signed-in actor; the adapters have authenticated it
    let hex = parse_sha256(sha256)?.to_hex();
    let tx = svc.store.begin_snapshot().await?;
    let e = repo::by_sha256(&tx, &hex)
        .await?
        .ok_or(ServiceError::NotFound)?;
    let cp = repo::latest_checkpoint(&tx)
        .await?
        .ok_or_else(|| corrupt("a stored file but no checkpoint"))?;
    let size = cp.checkpoint.tree_size;
    if e.leaf_index >= size {
        return Err(corrupt("a leaf beyond the latest checkpoint"));
    }
    let ranges = merkle::inclusion_ranges(e.leaf_index, size);
    let known = repo::nodes(&tx, &merkle::nodes_for(&ranges)).await?;
    tx.commit().await?;
    let path = merkle::hashes_of(&ranges, &|id| known.get(&id).copied())
        .map_err(|m| corrupt(&m.to_string()))?;
    let entry = entry_of(&e)?;
    let doc = ProofDocument {
        format: PROOF_FORMAT.into(),
        entry,
        leaf_index: e.leaf_index,
        tree_size: size,
        audit_path: path,
        checkpoint: cp,
    };
    let root = merkle::root_from_inclusion(
        &doc.entry.leaf_hash(),
        doc.leaf_index,
        size,
        &doc.audit_path,
    );
    if root != Some(doc.checkpoint.checkpoint.root_hash) || !doc.checkpoint.signature_valid() {
        return Err(corrupt("the proof does not lead to the signed root"));
    }
    Ok(doc)
}

fn corrupt(what: &str) -> ServiceError {
    ServiceError::internal(StoreError::Corrupt(format!("evidence log: {what}")))
}

fn entry_of(e: &Evidence) -> Result<Entry> {
    Ok(Entry {
        sha256: Hash::from_hex(&e.sha256).map_err(|m| corrupt(&m))?,
        size: e.size,
        media_type: MediaType::parse(&e.media_type)
            .ok_or_else(|| corrupt(&format!("media type {}", e.media_type)))?,
        appended_at: Timestamp::new(e.created_at),
    })
}

/// The latest signed checkpoint with its public key (public). An empty log gets a signed
/// checkpoint of size 0 on first request, so the key is published before any evidence is.
pub async fn checkpoint(svc: &Services) -> Result<SignedCheckpoint> {
    if let Some(cp) = repo::latest_checkpoint(svc.store.conn()).await? {
        return Ok(cp);
    }
    let key = svc.evidence.signing_key()?;
    let tx = svc.store.begin().await?;
    if let Some(cp) = repo::latest_checkpoint(&tx).await? {
        return Ok(cp);
    }
    let signed = Checkpoint {
        origin: svc.evidence.config().origin.clone(),
        tree_size: 0,
        root_hash: merkle::empty_root(),
        timestamp: Timestamp::new(Utc::now()),
    }
    .sign(&key);
    repo::insert_checkpoint(&tx, &signed).await?;
    tx.commit().await?;
    Ok(signed)
}

/// Proof that the checkpoint of `second` leaves extends that of `first` (public): both
/// checkpoints as signed, and the RFC 9162 consistency path.
pub async fn consistency(svc: &Services, first: u64, second: u64) -> Result<ConsistencyProof> {
    if first > second {
        return Err(field(
            "first",
            Invalid::new(
                "order",
                "较早的检查点不能大于较晚的检查点",
                "first must not be larger than second",
            ),
        ));
    }
    let tx = svc.store.begin_snapshot().await?;
    let a = repo::checkpoint_at(&tx, first)
        .await?
        .ok_or(ServiceError::NotFound)?;
    let b = repo::checkpoint_at(&tx, second)
        .await?
        .ok_or(ServiceError::NotFound)?;
    let ranges = merkle::consistency_ranges(first, second);
    let known = repo::nodes(&tx, &merkle::nodes_for(&ranges)).await?;
    tx.commit().await?;
    let path = merkle::hashes_of(&ranges, &|id| known.get(&id).copied())
        .map_err(|m| corrupt(&m.to_string()))?;
    Ok(ConsistencyProof {
        format: domain::CONSISTENCY_FORMAT.into(),
        first: a,
        second: b,
        path,
    })
}
