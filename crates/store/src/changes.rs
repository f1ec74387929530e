//! The directory change feed (名录变更流): one row per change to what the in-memory directory
//! index holds, appended in the same transaction as the change, so every server on one database
//! can bring its own index up to date (`docs/architecture.md`, "Change feed").
//!
//! Order: a reader remembers the highest `seq` it has applied and later reads only rows above
//! it, which is correct only if no row can commit after a row with a higher `seq`. Appends
//! therefore run under the writers' lock: on PostgreSQL the audit head row lock, which
//! [`crate::Store::begin`] already takes first thing (taking it again here is free, and makes the
//! rule hold for a transaction begun some other way); on SQLite the database's single write lock,
//! held from a transaction's first write to its commit. So `seq` order is commit order, and
//! a sequence value lost to a rollback is a gap nobody waits for.

use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, DbBackend, Statement, Value};
use uuid::Uuid;

use crate::{Result, StoreError, backend_of};

/// One change to what the directory index holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DirectoryChange {
    /// An entity was created, changed, re-tagged or deleted: read it again.
    Entity(Uuid),
    /// A tag's code changed from this one: every entity indexed with it is read again (the
    /// index keeps tags by code; entity_tags rows do not change on a rename).
    TagCode(String),
}

impl DirectoryChange {
    pub fn entities(ids: &[Uuid]) -> Vec<Self> {
        ids.iter().copied().map(Self::Entity).collect()
    }
}

/// A row of the feed as read back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FeedEntry {
    Change(DirectoryChange),
    /// Rows up to and including `through` were pruned: a reader that had not applied them
    /// all must rebuild its index from the tables.
    Pruned {
        through: i64,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeedRow {
    pub seq: i64,
    pub entry: FeedEntry,
}

const KIND_ENTITY: &str = "entity";
const KIND_TAG: &str = "tag";
const KIND_PRUNED: &str = "pruned";

/// Takes the writers' lock for the rest of the transaction (see the module comment).
async fn lock_writers(c: &impl ConnectionTrait) -> Result<()> {
    if backend_of(c) == DbBackend::Postgres {
        c.execute_unprepared("SELECT 1 FROM audit_head WHERE id = 1 FOR UPDATE")
            .await?;
    }
    Ok(())
}

async fn insert_rows(c: &impl ConnectionTrait, rows: &[(&str, String)]) -> Result<()> {
    let b = backend_of(c);
    let at = Utc::now().timestamp_millis();
    for chunk in rows.chunks(300) {
        let mut sql = String::from("INSERT INTO directory_changes (kind, key, at_ms) VALUES ");
        let mut vals: Vec<Value> = Vec::with_capacity(chunk.len() * 3);
        for (i, (kind, key)) in chunk.iter().enumerate() {
            if i > 0 {
                sql.push(',');
            }
            // `?` on SQLite: binding `$n` there looks the name up among every parameter of
            // the statement (see `entities::placeholder`).
            if b == DbBackend::Postgres {
                let n = i * 3;
                sql.push_str(&format!("(${},${},${})", n + 1, n + 2, n + 3));
            } else {
                sql.push_str("(?,?,?)");
            }
            vals.extend([(*kind).into(), key.clone().into(), at.into()]);
        }
        c.execute_raw(Statement::from_sql_and_values(b, sql, vals))
            .await?;
    }
    Ok(())
}

/// Appends changes to the feed. Call it inside the transaction that makes them, before its
/// commit: the rows then commit, or roll back, with the change.
pub async fn append_directory_changes(
    c: &impl ConnectionTrait,
    changes: &[DirectoryChange],
) -> Result<()> {
    if changes.is_empty() {
        return Ok(());
    }
    lock_writers(c).await?;
    let rows: Vec<(&str, String)> = changes
        .iter()
        .map(|ch| match ch {
            DirectoryChange::Entity(id) => (KIND_ENTITY, id.to_string()),
            DirectoryChange::TagCode(code) => (KIND_TAG, code.clone()),
        })
        .collect();
    insert_rows(c, &rows).await
}

/// The highest `seq` committed (0 for an empty feed).
pub async fn head(c: &impl ConnectionTrait) -> Result<i64> {
    let row = c
        .query_one_raw(Statement::from_string(
            backend_of(c),
            "SELECT COALESCE(MAX(seq), 0) AS head FROM directory_changes",
        ))
        .await?
        .ok_or_else(|| StoreError::Corrupt("MAX over directory_changes returned no row".into()))?;
    Ok(row.try_get("", "head")?)
}

/// Up to `limit` rows after `after`, in `seq` order.
pub async fn read_after(c: &impl ConnectionTrait, after: i64, limit: u64) -> Result<Vec<FeedRow>> {
    let rows = c
        .query_all_raw(Statement::from_sql_and_values(
            backend_of(c),
            "SELECT seq, kind, key FROM directory_changes WHERE seq > $1 ORDER BY seq LIMIT $2",
            [after.into(), (limit as i64).into()],
        ))
        .await?;
    rows.iter()
        .map(|r| {
            let seq: i64 = r.try_get("", "seq")?;
            let kind: String = r.try_get("", "kind")?;
            let key: String = r.try_get("", "key")?;
            let bad = || StoreError::Corrupt(format!("directory_changes row {seq}: {kind} {key}"));
            let entry = match kind.as_str() {
                KIND_ENTITY => FeedEntry::Change(DirectoryChange::Entity(
                    Uuid::parse_str(&key).map_err(|_| bad())?,
                )),
                KIND_TAG => FeedEntry::Change(DirectoryChange::TagCode(key)),
                KIND_PRUNED => FeedEntry::Pruned {
                    through: key.parse().map_err(|_| bad())?,
                },
                _ => return Err(bad()),
            };
            Ok(FeedRow { seq, entry })
        })
        .collect()
}

/// Deletes rows appended before `before` and appends a marker naming the last one deleted, so a
/// reader that had not applied them learns it must rebuild. Run it in a write transaction.
/// Returns the rows deleted.
pub async fn prune(c: &impl ConnectionTrait, before: DateTime<Utc>) -> Result<u64> {
    lock_writers(c).await?;
    let b = backend_of(c);
    let cutoff = before.timestamp_millis();
    let through = c
        .query_one_raw(Statement::from_sql_and_values(
            b,
            "SELECT COALESCE(MAX(seq), 0) AS through FROM directory_changes WHERE at_ms < $1",
            [cutoff.into()],
        ))
        .await?
        .map(|r| r.try_get::<i64>("", "through"))
        .transpose()?
        .unwrap_or(0);
    if through == 0 {
        return Ok(0);
    }
    // By seq, not by time: clocks of several servers differ, and a reader must be able to tell
    // exactly which rows are gone.
    let deleted = c
        .execute_raw(Statement::from_sql_and_values(
            b,
            "DELETE FROM directory_changes WHERE seq <= $1",
            [through.into()],
        ))
        .await?
        .rows_affected();
    insert_rows(c, &[(KIND_PRUNED, through.to_string())]).await?;
    Ok(deleted)
}
