//! Evidence (证据互认): the file rows (content-addressed; the bytes live on disk, see
//! `services::evidence`), their uses by records, and the append-only Merkle log — complete
//! subtree hashes and signed checkpoints. Nothing here updates or deletes a row of the log.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use lianjian_domain::evidence::{
    Checkpoint, Hash, NodeId, PublicKey, SignatureBytes, SignedCheckpoint, Timestamp,
};
use sea_orm::{ConnectionTrait, QueryResult, Statement, Value};
use serde::Serialize;
use uuid::Uuid;

use crate::{Result, StoreError, backend_of};

/// One stored file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Evidence {
    pub id: Uuid,
    /// SHA-256 of the content, 64 lower-case hex digits: also its name on disk.
    pub sha256: String,
    pub size: u64,
    pub media_type: String,
    pub leaf_index: u64,
    /// The `appended_at` of its canonical leaf.
    pub created_at: DateTime<Utc>,
    pub created_by: Option<Uuid>,
    pub created_by_name: String,
    /// The uploader's department and its region.
    pub department_id: Option<Uuid>,
    pub region_code: String,
}

/// One use of a file by a record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Link {
    pub id: Uuid,
    pub evidence_id: Uuid,
    pub record_kind: String,
    pub record_id: Uuid,
    /// The name the file was uploaded under for this record.
    pub filename: String,
    pub department_id: Uuid,
    pub region_code: String,
    pub linked_by: Option<Uuid>,
    pub linked_by_name: String,
    pub linked_at: DateTime<Utc>,
}

fn stmt(c: &impl ConnectionTrait, sql: impl Into<String>, vals: Vec<Value>) -> Statement {
    Statement::from_sql_and_values(backend_of(c), sql, vals)
}

fn corrupt(what: &str, e: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(format!("{what}: {e}"))
}

fn unsigned(v: i64, what: &str) -> Result<u64> {
    u64::try_from(v).map_err(|_| corrupt(what, v))
}

const COLS: &str = "id, sha256, size, media_type, leaf_index, created_at, created_by, created_by_name, department_id, region_code";

/// An evidence row; `prefix` is what the columns' names start with (`e_` where the row also
/// carries a link, whose `id`, `department_id` and `region_code` would otherwise collide).
fn from_row(r: &QueryResult, prefix: &str) -> Result<Evidence> {
    let col = |name: &str| format!("{prefix}{name}");
    Ok(Evidence {
        id: r.try_get("", &col("id"))?,
        sha256: r.try_get("", &col("sha256"))?,
        size: unsigned(r.try_get("", &col("size"))?, "evidence.size")?,
        media_type: r.try_get("", &col("media_type"))?,
        leaf_index: unsigned(r.try_get("", &col("leaf_index"))?, "evidence.leaf_index")?,
        created_at: r.try_get("", &col("created_at"))?,
        created_by: r.try_get("", &col("created_by"))?,
        created_by_name: r.try_get("", &col("created_by_name"))?,
        department_id: r.try_get("", &col("department_id"))?,
        region_code: r.try_get("", &col("region_code"))?,
    })
}

pub async fn insert(c: &impl ConnectionTrait, e: &Evidence) -> Result<()> {
    c.execute_raw(stmt(
        c,
        format!("INSERT INTO evidence ({COLS}) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10)"),
        vec![
            e.id.into(),
            e.sha256.clone().into(),
            (e.size as i64).into(),
            e.media_type.clone().into(),
            (e.leaf_index as i64).into(),
            e.created_at.into(),
            e.created_by.into(),
            e.created_by_name.clone().into(),
            e.department_id.into(),
            e.region_code.clone().into(),
        ],
    ))
    .await?;
    Ok(())
}

pub async fn by_sha256(c: &impl ConnectionTrait, sha256: &str) -> Result<Option<Evidence>> {
    c.query_one_raw(stmt(
        c,
        format!("SELECT {COLS} FROM evidence WHERE sha256 = $1"),
        vec![sha256.into()],
    ))
    .await?
    .map(|r| from_row(&r, ""))
    .transpose()
}

pub async fn get(c: &impl ConnectionTrait, id: Uuid) -> Result<Option<Evidence>> {
    c.query_one_raw(stmt(
        c,
        format!("SELECT {COLS} FROM evidence WHERE id = $1"),
        vec![id.into()],
    ))
    .await?
    .map(|r| from_row(&r, ""))
    .transpose()
}

/// Number of leaves in the log (entries are numbered 0, 1, … without gaps).
pub async fn tree_size(c: &impl ConnectionTrait) -> Result<u64> {
    let r = c
        .query_one_raw(stmt(c, "SELECT COUNT(*) AS n FROM evidence", vec![]))
        .await?
        .ok_or_else(|| StoreError::Db("COUNT returned no row".into()))?;
    unsigned(r.try_get("", "n")?, "evidence count")
}

/// The stored hashes of these complete subtrees (absent ones are left out).
pub async fn nodes(c: &impl ConnectionTrait, ids: &[NodeId]) -> Result<HashMap<NodeId, Hash>> {
    let mut out = HashMap::with_capacity(ids.len());
    // At most about 2·64 nodes per proof; one query per 100.
    for chunk in ids.chunks(100) {
        let mut sql =
            String::from("SELECT level, node_index, hash FROM evidence_tree_nodes WHERE ");
        let mut vals: Vec<Value> = Vec::with_capacity(chunk.len() * 2);
        for (k, id) in chunk.iter().enumerate() {
            if k > 0 {
                sql.push_str(" OR ");
            }
            sql.push_str(&format!(
                "(level = ${} AND node_index = ${})",
                2 * k + 1,
                2 * k + 2
            ));
            vals.push(i16::from(id.level).into());
            vals.push((id.index as i64).into());
        }
        for r in c.query_all_raw(stmt(c, sql, vals)).await? {
            let level: i16 = r.try_get("", "level")?;
            let index: i64 = r.try_get("", "node_index")?;
            let hash: String = r.try_get("", "hash")?;
            let id = NodeId {
                level: u8::try_from(level).map_err(|_| corrupt("node level", level))?,
                index: unsigned(index, "node index")?,
            };
            out.insert(
                id,
                Hash::from_hex(&hash).map_err(|e| corrupt("node hash", e))?,
            );
        }
    }
    Ok(out)
}

/// Records newly completed subtrees. A node is written once: a second write of the same
/// (level, index) is a conflict, never an overwrite.
pub async fn insert_nodes(c: &impl ConnectionTrait, nodes: &[(NodeId, Hash)]) -> Result<()> {
    for (id, h) in nodes {
        c.execute_raw(stmt(
            c,
            "INSERT INTO evidence_tree_nodes (level, node_index, hash) VALUES ($1, $2, $3)",
            vec![
                i16::from(id.level).into(),
                (id.index as i64).into(),
                h.to_hex().into(),
            ],
        ))
        .await?;
    }
    Ok(())
}

const CP_COLS: &str = "tree_size, origin, root_hash, signed_at, signature, public_key";

fn checkpoint_from_row(r: &QueryResult) -> Result<SignedCheckpoint> {
    let size: i64 = r.try_get("", "tree_size")?;
    let root: String = r.try_get("", "root_hash")?;
    let at: DateTime<Utc> = r.try_get("", "signed_at")?;
    let sig: String = r.try_get("", "signature")?;
    let key: String = r.try_get("", "public_key")?;
    Ok(SignedCheckpoint {
        checkpoint: Checkpoint {
            origin: r.try_get("", "origin")?,
            tree_size: unsigned(size, "checkpoint size")?,
            root_hash: Hash::from_hex(&root).map_err(|e| corrupt("checkpoint root", e))?,
            timestamp: Timestamp::new(at),
        },
        signature: SignatureBytes::from_hex(&sig).map_err(|e| corrupt("signature", e))?,
        public_key: PublicKey::from_hex(&key).map_err(|e| corrupt("public key", e))?,
    })
}

pub async fn insert_checkpoint(c: &impl ConnectionTrait, s: &SignedCheckpoint) -> Result<()> {
    let cp = &s.checkpoint;
    c.execute_raw(stmt(
        c,
        format!("INSERT INTO evidence_checkpoints ({CP_COLS}) VALUES ($1,$2,$3,$4,$5,$6)"),
        vec![
            (cp.tree_size as i64).into(),
            cp.origin.clone().into(),
            cp.root_hash.to_hex().into(),
            cp.timestamp.get().into(),
            s.signature.to_hex().into(),
            s.public_key.to_hex().into(),
        ],
    ))
    .await?;
    Ok(())
}

/// The checkpoint of the largest tree.
pub async fn latest_checkpoint(c: &impl ConnectionTrait) -> Result<Option<SignedCheckpoint>> {
    c.query_one_raw(stmt(
        c,
        format!("SELECT {CP_COLS} FROM evidence_checkpoints ORDER BY tree_size DESC LIMIT 1"),
        vec![],
    ))
    .await?
    .map(|r| checkpoint_from_row(&r))
    .transpose()
}

pub async fn checkpoint_at(
    c: &impl ConnectionTrait,
    tree_size: u64,
) -> Result<Option<SignedCheckpoint>> {
    c.query_one_raw(stmt(
        c,
        format!("SELECT {CP_COLS} FROM evidence_checkpoints WHERE tree_size = $1"),
        vec![(tree_size as i64).into()],
    ))
    .await?
    .map(|r| checkpoint_from_row(&r))
    .transpose()
}

/// Adds a use; `false` (and nothing written) when the record already uses this file.
pub async fn insert_link(c: &impl ConnectionTrait, l: &Link) -> Result<bool> {
    let r = c
        .execute_raw(stmt(
            c,
            "INSERT INTO evidence_links (id, evidence_id, record_kind, record_id, filename, department_id, region_code, linked_by, linked_by_name, linked_at) \
             VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10) ON CONFLICT (record_kind, record_id, evidence_id) DO NOTHING",
            vec![
                l.id.into(),
                l.evidence_id.into(),
                l.record_kind.clone().into(),
                l.record_id.into(),
                l.filename.clone().into(),
                l.department_id.into(),
                l.region_code.clone().into(),
                l.linked_by.into(),
                l.linked_by_name.clone().into(),
                l.linked_at.into(),
            ],
        ))
        .await?;
    Ok(r.rows_affected() > 0)
}

const LINK_COLS: &str = "l.id, l.evidence_id, l.record_kind, l.record_id, l.filename, l.department_id, l.region_code, l.linked_by, l.linked_by_name, l.linked_at";

fn link_from_row(r: &QueryResult) -> Result<Link> {
    Ok(Link {
        id: r.try_get("", "id")?,
        evidence_id: r.try_get("", "evidence_id")?,
        record_kind: r.try_get("", "record_kind")?,
        record_id: r.try_get("", "record_id")?,
        filename: r.try_get("", "filename")?,
        department_id: r.try_get("", "department_id")?,
        region_code: r.try_get("", "region_code")?,
        linked_by: r.try_get("", "linked_by")?,
        linked_by_name: r.try_get("", "linked_by_name")?,
        linked_at: r.try_get("", "linked_at")?,
    })
}

/// The uses of files by records of one kind, with the files, in the order they were linked.
pub async fn links_of(
    c: &impl ConnectionTrait,
    kind: &str,
    record_ids: &[Uuid],
) -> Result<Vec<(Link, Evidence)>> {
    let mut out = Vec::new();
    let ecols: String = COLS
        .split(", ")
        .map(|x| format!("e.{x} AS e_{x}"))
        .collect::<Vec<_>>()
        .join(", ");
    for chunk in record_ids.chunks(500) {
        let ph: Vec<String> = (0..chunk.len()).map(|i| format!("${}", i + 2)).collect();
        let sql = format!(
            "SELECT {LINK_COLS}, {ecols} FROM evidence_links l JOIN evidence e ON e.id = l.evidence_id \
             WHERE l.record_kind = $1 AND l.record_id IN ({}) ORDER BY l.linked_at, l.id",
            ph.join(",")
        );
        let mut vals: Vec<Value> = vec![kind.into()];
        vals.extend(chunk.iter().map(|id| Value::from(*id)));
        for r in c.query_all_raw(stmt(c, sql, vals)).await? {
            out.push((link_from_row(&r)?, from_row(&r, "e_")?));
        }
    }
    Ok(out)
}

/// Every use of one file.
pub async fn links_to(c: &impl ConnectionTrait, evidence_id: Uuid) -> Result<Vec<Link>> {
    let rows = c
        .query_all_raw(stmt(
            c,
            format!(
                "SELECT {LINK_COLS} FROM evidence_links l WHERE l.evidence_id = $1 ORDER BY l.linked_at, l.id"
            ),
            vec![evidence_id.into()],
        ))
        .await?;
    rows.iter().map(link_from_row).collect()
}
