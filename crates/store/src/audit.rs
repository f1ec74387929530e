//! The append-only audit log (审计日志) and its hash chain. See `lianjian_domain::audit` for
//! the hashing and verification rules and `docs/audit-log.md` for the format.

use chrono::{DateTime, Utc};
use lianjian_domain::audit::{
    self as rules, AuditEntry, ChainVerifier, Head, SignedAuditCheckpoint, Tamper, Verified,
};
use lianjian_domain::scope::Scope;
use sea_orm::entity::prelude::*;
use sea_orm::{ActiveValue::Set, DbBackend, QueryOrder, QuerySelect, Statement};

use crate::{Page, PageRequest, Result, StoreError, backend_of};

pub mod entity {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "audit_log")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub seq: i64,
        pub id: Uuid,
        pub at: DateTimeUtc,
        pub actor_id: Option<Uuid>,
        pub actor_name: String,
        pub actor_role: Option<String>,
        pub department_id: Option<Uuid>,
        pub region_code: Option<String>,
        pub ip: Option<String>,
        pub action: String,
        pub object_type: String,
        pub object_id: Option<String>,
        pub before: Option<String>,
        pub after: Option<String>,
        pub prev_hash: String,
        pub hash: String,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

use entity::{Column, Entity};

impl From<entity::Model> for AuditEntry {
    fn from(m: entity::Model) -> Self {
        AuditEntry {
            seq: m.seq,
            id: m.id,
            at: m.at,
            actor_id: m.actor_id,
            actor_name: m.actor_name,
            actor_role: m.actor_role,
            department_id: m.department_id,
            region_code: m.region_code,
            ip: m.ip,
            action: m.action,
            object_type: m.object_type,
            object_id: m.object_id,
            before: m.before,
            after: m.after,
            prev_hash: m.prev_hash,
            hash: m.hash,
        }
    }
}

/// What a use case records. `before`/`after` are any serialisable snapshots.
#[derive(Debug, Clone, Default)]
pub struct NewEntry {
    pub actor_id: Option<Uuid>,
    pub actor_name: String,
    pub actor_role: Option<String>,
    pub department_id: Option<Uuid>,
    pub region_code: Option<String>,
    pub ip: Option<String>,
    pub action: String,
    pub object_type: String,
    pub object_id: Option<String>,
    pub before: Option<serde_json::Value>,
    pub after: Option<serde_json::Value>,
}

async fn read_head(c: &impl ConnectionTrait, lock: bool) -> Result<Head> {
    let b = backend_of(c);
    let sql = if lock && b == DbBackend::Postgres {
        // Orders concurrent audited writers on PostgreSQL; on SQLite the write transaction
        // already holds the database's single write lock (BEGIN IMMEDIATE).
        "SELECT seq, hash FROM audit_head WHERE id = 1 FOR UPDATE"
    } else {
        "SELECT seq, hash FROM audit_head WHERE id = 1"
    };
    let row = c
        .query_one_raw(Statement::from_string(b, sql))
        .await?
        .ok_or_else(|| StoreError::Corrupt("audit head row is missing".into()))?;
    Ok(Head {
        seq: row.try_get("", "seq")?,
        hash: row.try_get("", "hash")?,
    })
}

/// The recorded head: the last entry's sequence number and hash.
pub async fn head(c: &impl ConnectionTrait) -> Result<Head> {
    read_head(c, false).await
}

/// Appends an entry inside the caller's transaction, so the change and its record commit or
/// roll back together.
pub async fn append(tx: &impl ConnectionTrait, e: NewEntry) -> Result<AuditEntry> {
    let head = read_head(tx, true).await?;
    let mut entry = AuditEntry {
        seq: head.seq + 1,
        id: Uuid::now_v7(),
        at: crate::now(),
        actor_id: e.actor_id,
        actor_name: e.actor_name.chars().take(64).collect(),
        actor_role: e.actor_role,
        department_id: e.department_id,
        region_code: e.region_code,
        ip: e.ip.map(|ip| ip.chars().take(64).collect()),
        action: e.action,
        object_type: e.object_type,
        object_id: e.object_id,
        before: e.before.map(|v| v.to_string()),
        after: e.after.map(|v| v.to_string()),
        prev_hash: head.hash,
        hash: String::new(),
    };
    entry.hash = rules::entry_hash(&entry);
    entity::ActiveModel {
        seq: Set(entry.seq),
        id: Set(entry.id),
        at: Set(entry.at),
        actor_id: Set(entry.actor_id),
        actor_name: Set(entry.actor_name.clone()),
        actor_role: Set(entry.actor_role.clone()),
        department_id: Set(entry.department_id),
        region_code: Set(entry.region_code.clone()),
        ip: Set(entry.ip.clone()),
        action: Set(entry.action.clone()),
        object_type: Set(entry.object_type.clone()),
        object_id: Set(entry.object_id.clone()),
        before: Set(entry.before.clone()),
        after: Set(entry.after.clone()),
        prev_hash: Set(entry.prev_hash.clone()),
        hash: Set(entry.hash.clone()),
    }
    .insert(tx)
    .await?;
    let b = backend_of(tx);
    tx.execute_raw(Statement::from_sql_and_values(
        b,
        "UPDATE audit_head SET seq = $1, hash = $2 WHERE id = 1",
        [entry.seq.into(), entry.hash.clone().into()],
    ))
    .await?;
    Ok(entry)
}

/// Filters of the audit viewer.
#[derive(Debug, Clone, Default)]
pub struct AuditQuery {
    pub actor: Option<String>,
    pub department_id: Option<Uuid>,
    /// Action prefix: `user.` matches every user action.
    pub action: Option<String>,
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
}

/// The entries in `scope` that match `q`, unordered.
fn filtered(scope: &Scope, q: &AuditQuery) -> sea_orm::Select<Entity> {
    let mut s = Entity::find();
    if let Some(cond) = crate::scope::expr(
        scope,
        &crate::scope::Shape::department("region_code", "department_id"),
    ) {
        s = s.filter(cond);
    }
    if let Some(a) = q.actor.as_deref().map(str::trim).filter(|a| !a.is_empty()) {
        s = s.filter(Column::ActorName.contains(a));
    }
    if let Some(d) = q.department_id {
        s = s.filter(Column::DepartmentId.eq(d));
    }
    if let Some(a) = q.action.as_deref().map(str::trim).filter(|a| !a.is_empty()) {
        s = s.filter(Column::Action.starts_with(a));
    }
    if let Some(f) = q.from {
        s = s.filter(Column::At.gte(f));
    }
    if let Some(t) = q.to {
        s = s.filter(Column::At.lt(t));
    }
    s
}

pub async fn list(
    c: &impl ConnectionTrait,
    scope: &Scope,
    q: &AuditQuery,
    page: PageRequest,
) -> Result<Page<AuditEntry>> {
    let s = filtered(scope, q);
    let total = s.clone().count(c).await?;
    let items = s
        .order_by_desc(Column::Seq)
        .offset(page.offset())
        .limit(page.per_page)
        .all(c)
        .await?
        .into_iter()
        .map(AuditEntry::from)
        .collect();
    Ok(Page {
        items,
        total,
        page: page.page,
        per_page: page.per_page,
    })
}

/// Up to `limit` entries in `scope` matching `q`, newest first, with a sequence number below
/// `before` (from the newest when `None`). For exports: paging by sequence number neither
/// repeats nor skips entries when new ones are appended meanwhile, and costs no count.
pub async fn list_before(
    c: &impl ConnectionTrait,
    scope: &Scope,
    q: &AuditQuery,
    before: Option<i64>,
    limit: u64,
) -> Result<Vec<AuditEntry>> {
    let mut s = filtered(scope, q);
    if let Some(b) = before {
        s = s.filter(Column::Seq.lt(b));
    }
    Ok(s.order_by_desc(Column::Seq)
        .limit(limit)
        .all(c)
        .await?
        .into_iter()
        .map(AuditEntry::from)
        .collect())
}

/// Distinct action names, for the viewer's filter.
pub async fn actions(c: &impl ConnectionTrait) -> Result<Vec<String>> {
    Ok(Entity::find()
        .select_only()
        .column(Column::Action)
        .distinct()
        .order_by_asc(Column::Action)
        .into_tuple::<String>()
        .all(c)
        .await?)
}

/// Walks the whole log in order, in batches, and reports the first tampering found. Run it in
/// one snapshot ([`crate::Store::begin_snapshot`]) so entries appended meanwhile are not
/// mistaken for insertions.
pub async fn verify(c: &impl ConnectionTrait) -> Result<Result<Verified, Tamper>> {
    verify_anchored(c, None).await
}

/// [`verify`], and also against a signed checkpoint's (size, head hash): the log must still
/// hold that many entries, the one at that position with that hash
/// ([`ChainVerifier::with_anchor`]). The caller checks the checkpoint's signature.
pub async fn verify_anchored(
    c: &impl ConnectionTrait,
    anchor: Option<&SignedAuditCheckpoint>,
) -> Result<Result<Verified, Tamper>> {
    const BATCH: u64 = 5_000;
    let head = head(c).await?;
    let mut v = ChainVerifier::new(Some(&head));
    if let Some(a) = anchor {
        v = v.with_anchor(a.size, &a.head_hash);
    }
    let mut after: i64 = i64::MIN;
    loop {
        let batch = Entity::find()
            .filter(Column::Seq.gt(after))
            .order_by_asc(Column::Seq)
            .limit(BATCH)
            .all(c)
            .await?;
        let n = batch.len();
        for m in batch {
            after = m.seq;
            if let Err(t) = v.push(m.into()) {
                return Ok(Err(t));
            }
        }
        if (n as u64) < BATCH {
            break;
        }
    }
    Ok(v.finish(Some(&head)))
}

pub async fn count(c: &impl ConnectionTrait) -> Result<u64> {
    Ok(Entity::find().count(c).await?)
}

/// Appends many entries with one head read and multi-row inserts (bulk imports).
pub async fn append_many(tx: &impl ConnectionTrait, entries: Vec<NewEntry>) -> Result<()> {
    if entries.is_empty() {
        return Ok(());
    }
    let mut head = read_head(tx, true).await?;
    let b = backend_of(tx);
    let at = crate::now();
    let mut built: Vec<AuditEntry> = Vec::with_capacity(entries.len());
    for e in entries {
        let mut entry = AuditEntry {
            seq: head.seq + 1,
            id: Uuid::now_v7(),
            at,
            actor_id: e.actor_id,
            actor_name: e.actor_name.chars().take(64).collect(),
            actor_role: e.actor_role,
            department_id: e.department_id,
            region_code: e.region_code,
            ip: e.ip.map(|ip| ip.chars().take(64).collect()),
            action: e.action,
            object_type: e.object_type,
            object_id: e.object_id,
            before: e.before.map(|v| v.to_string()),
            after: e.after.map(|v| v.to_string()),
            prev_hash: head.hash.clone(),
            hash: String::new(),
        };
        entry.hash = rules::entry_hash(&entry);
        head = Head {
            seq: entry.seq,
            hash: entry.hash.clone(),
        };
        built.push(entry);
    }
    for chunk in built.chunks(50) {
        let mut sql = String::from(
            "INSERT INTO audit_log (seq, id, at, actor_id, actor_name, actor_role, department_id, region_code, ip, action, object_type, object_id, before, after, prev_hash, hash) VALUES ",
        );
        let mut vals: Vec<sea_orm::Value> = Vec::with_capacity(chunk.len() * 16);
        for (i, e) in chunk.iter().enumerate() {
            if i > 0 {
                sql.push(',');
            }
            let k = i * 16;
            sql.push('(');
            sql.push_str(
                &(1..=16)
                    .map(|j| format!("${}", k + j))
                    .collect::<Vec<_>>()
                    .join(","),
            );
            sql.push(')');
            vals.extend([
                e.seq.into(),
                e.id.into(),
                e.at.into(),
                e.actor_id.into(),
                e.actor_name.clone().into(),
                e.actor_role.clone().into(),
                e.department_id.into(),
                e.region_code.clone().into(),
                e.ip.clone().into(),
                e.action.clone().into(),
                e.object_type.clone().into(),
                e.object_id.clone().into(),
                e.before.clone().into(),
                e.after.clone().into(),
                e.prev_hash.clone().into(),
                e.hash.clone().into(),
            ]);
        }
        tx.execute_raw(Statement::from_sql_and_values(b, sql, vals))
            .await?;
    }
    tx.execute_raw(Statement::from_sql_and_values(
        b,
        "UPDATE audit_head SET seq = $1, hash = $2 WHERE id = 1",
        [head.seq.into(), head.hash.into()],
    ))
    .await?;
    Ok(())
}

/// Up to `limit` (seq, object id) pairs of entries about objects of `object_type` after
/// `after`, in `seq` order: a change feed for the records one capability writes, since every
/// write that matters appends its entry in the same transaction and `seq` is commit order (the
/// writers' lock). Served by `ix_audit_object_seq`. Used by the sharing producers.
pub async fn objects_after(
    c: &impl ConnectionTrait,
    object_type: &str,
    after: i64,
    limit: u64,
) -> Result<Vec<(i64, String)>> {
    Ok(Entity::find()
        .select_only()
        .column(Column::Seq)
        .column(Column::ObjectId)
        .filter(Column::ObjectType.eq(object_type))
        .filter(Column::Seq.gt(after))
        .filter(Column::ObjectId.is_not_null())
        .order_by_asc(Column::Seq)
        .limit(limit)
        .into_tuple::<(i64, Option<String>)>()
        .all(c)
        .await?
        .into_iter()
        .filter_map(|(seq, id)| Some((seq, id?)))
        .collect())
}

/// The latest `limit` entries about one object, oldest first (an entity's timeline).
pub async fn of_object(
    c: &impl ConnectionTrait,
    object_type: &str,
    object_id: &str,
    limit: u64,
) -> Result<Vec<AuditEntry>> {
    let mut v: Vec<AuditEntry> = Entity::find()
        .filter(Column::ObjectType.eq(object_type))
        .filter(Column::ObjectId.eq(object_id))
        .order_by_desc(Column::Seq)
        .limit(limit)
        .all(c)
        .await?
        .into_iter()
        .map(AuditEntry::from)
        .collect();
    v.reverse();
    Ok(v)
}

/// Stores a signed checkpoint.
pub async fn insert_checkpoint(c: &impl ConnectionTrait, s: &SignedAuditCheckpoint) -> Result<()> {
    c.execute_raw(crate::stmt(
        c,
        "INSERT INTO audit_checkpoints (id, size, created_at, body) VALUES ($1, $2, $3, $4)",
        vec![
            Uuid::now_v7().into(),
            (s.size as i64).into(),
            s.timestamp.get().into(),
            serde_json::to_string(s)
                .expect("checkpoints serialise")
                .into(),
        ],
    ))
    .await?;
    Ok(())
}

fn checkpoint_of(r: &sea_orm::QueryResult) -> Result<SignedAuditCheckpoint> {
    let body: String = r.try_get("", "body")?;
    SignedAuditCheckpoint::from_json(body.as_bytes())
        .map_err(|e| StoreError::Corrupt(format!("stored audit checkpoint: {e}")))
}

/// The most recent checkpoints, newest first.
pub async fn checkpoints(
    c: &impl ConnectionTrait,
    limit: u64,
) -> Result<Vec<SignedAuditCheckpoint>> {
    c.query_all_raw(crate::stmt(
        c,
        format!(
            "SELECT body FROM audit_checkpoints ORDER BY created_at DESC, id DESC LIMIT {limit}"
        ),
        Vec::new(),
    ))
    .await?
    .iter()
    .map(checkpoint_of)
    .collect()
}

/// The most recent checkpoint.
pub async fn latest_checkpoint(c: &impl ConnectionTrait) -> Result<Option<SignedAuditCheckpoint>> {
    Ok(checkpoints(c, 1).await?.into_iter().next())
}

/// The stored checkpoint of the largest size (what plain `verify` anchors to).
pub async fn largest_checkpoint(c: &impl ConnectionTrait) -> Result<Option<SignedAuditCheckpoint>> {
    c.query_one_raw(crate::stmt(
        c,
        "SELECT body FROM audit_checkpoints ORDER BY size DESC, created_at DESC LIMIT 1",
        Vec::new(),
    ))
    .await?
    .as_ref()
    .map(checkpoint_of)
    .transpose()
}
