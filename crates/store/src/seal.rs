//! Row seals (行封存): the after-image, as a digest, of every row of the tables that matter,
//! written into the hash-chained audit log in the same transaction as the write, so that
//! `lianjian audit reconcile` can name every row changed outside the application.
//!
//! Sealing happens here, in the store's write functions of the sealed tables, not in the use
//! cases: every write path to those tables runs through these functions, so no use case can
//! forget to seal, and a new write function is one `seal(…)` call next to its SQL. The digest
//! covers every column of the row as the database holds it (read back after the write; the
//! large text columns of draws from the values just written, [`seal_written`], to the same
//! digest), so a change to any column by plain SQL shows. See `docs/audit-log.md`
//! ("Reconcile").

use std::collections::HashMap;
use std::fmt;

use sea_orm::{ConnectionTrait, DbBackend, QueryResult, Value};
use serde::Serialize;
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::audit::{self, NewEntry};
use crate::{Result, StoreError, backend_of, stmt};

/// `action` of the entries that seal rows written by the application.
pub const SEAL_ACTION: &str = "row.seal";
/// `action` of the entries that seal the rows that existed before sealing began.
pub const BASELINE_ACTION: &str = "audit.baseline";
/// Rows per seal entry: bounds the size of one entry's JSON (about 110 bytes a row).
const ROWS_PER_ENTRY: usize = 500;
/// Rows read per query when streaming a whole table.
const SCAN_BATCH: usize = 5_000;

/// The tables whose rows are sealed (issue 11 item 5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(into = "&'static str")]
pub enum Sealed {
    Entities,
    Items,
    Plans,
    Draws,
    /// The stored public variants of `/3` draws (what the public is served).
    DrawPublicRecords,
    VisitResults,
    Rectifications,
    Referrals,
    CaseTransfers,
    CreditRecords,
    /// Problem clues (问题线索): the complaint, its complainant and where it stands.
    Clues,
    /// Credit entries (信用记录: penalties, listings, sanctions, commendations; issue 15).
    CreditEntries,
    /// The joint-sanction measure catalogue (联合惩戒措施).
    SanctionMeasures,
    /// Joint-sanction batches with their subjects (联合惩戒批次).
    SanctionBatches,
    /// Each implementing department's task and feedback (联合惩戒任务).
    SanctionTasks,
    /// Objections and repair applications with their decisions (信用异议、信用修复).
    CreditAppeals,
}

impl From<Sealed> for &'static str {
    fn from(t: Sealed) -> Self {
        t.table()
    }
}

impl Sealed {
    pub const ALL: [Sealed; 16] = [
        Sealed::Entities,
        Sealed::Items,
        Sealed::Plans,
        Sealed::Draws,
        Sealed::DrawPublicRecords,
        Sealed::VisitResults,
        Sealed::Rectifications,
        Sealed::Referrals,
        Sealed::CaseTransfers,
        Sealed::CreditRecords,
        Sealed::Clues,
        Sealed::CreditEntries,
        Sealed::SanctionMeasures,
        Sealed::SanctionBatches,
        Sealed::SanctionTasks,
        Sealed::CreditAppeals,
    ];

    pub fn table(self) -> &'static str {
        match self {
            Sealed::Entities => "entities",
            Sealed::Items => "items",
            Sealed::Plans => "plans",
            Sealed::Draws => "draws",
            Sealed::DrawPublicRecords => "draw_public_records",
            Sealed::VisitResults => "visit_results",
            Sealed::Rectifications => "rectifications",
            Sealed::Referrals => "referrals",
            Sealed::CaseTransfers => "case_transfers",
            Sealed::CreditRecords => "credit_records",
            Sealed::Clues => "clues",
            Sealed::CreditEntries => "credit_entries",
            Sealed::SanctionMeasures => "sanction_measures",
            Sealed::SanctionBatches => "sanction_batches",
            Sealed::SanctionTasks => "sanction_tasks",
            Sealed::CreditAppeals => "credit_appeals",
        }
    }

    /// The primary key's columns, all uuids.
    fn key_columns(self) -> &'static [&'static str] {
        match self {
            Sealed::VisitResults => &["visit_id", "plan_id"],
            _ => &["id"],
        }
    }

    /// The Chinese name shown in reports.
    pub fn label_zh(self) -> &'static str {
        match self {
            Sealed::Entities => "市场主体",
            Sealed::Items => "抽查事项",
            Sealed::Plans => "抽查计划",
            Sealed::Draws => "抽取记录",
            Sealed::DrawPublicRecords => "公开版抽取记录",
            Sealed::VisitResults => "检查结果",
            Sealed::Rectifications => "整改通知",
            Sealed::Referrals => "移送/告知",
            Sealed::CaseTransfers => "案件移送",
            Sealed::CreditRecords => "信用记录",
            Sealed::Clues => "问题线索",
            Sealed::CreditEntries => "信用信息",
            Sealed::SanctionMeasures => "联合惩戒措施",
            Sealed::SanctionBatches => "联合惩戒批次",
            Sealed::SanctionTasks => "联合惩戒任务",
            Sealed::CreditAppeals => "信用异议与修复",
        }
    }
}

/// A row's primary key: one uuid, or two (`visit_id/plan_id`) for `visit_results`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RowKey(pub Uuid, pub Option<Uuid>);

impl RowKey {
    pub fn id(id: Uuid) -> Self {
        Self(id, None)
    }

    pub fn pair(a: Uuid, b: Uuid) -> Self {
        Self(a, Some(b))
    }

    fn parse(s: &str) -> Option<Self> {
        match s.split_once('/') {
            Some((a, b)) => Some(Self(a.parse().ok()?, Some(b.parse().ok()?))),
            None => Some(Self(s.parse().ok()?, None)),
        }
    }

    fn values(self) -> Vec<Value> {
        let mut v = vec![self.0.into()];
        if let Some(b) = self.1 {
            v.push(b.into());
        }
        v
    }
}

impl fmt::Display for RowKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.1 {
            Some(b) => write!(f, "{}/{b}", self.0),
            None => write!(f, "{}", self.0),
        }
    }
}

/// One column of a sealed table, in table order.
#[derive(Debug)]
struct Column {
    name: String,
    /// The column's canonical text as an SQL expression over the row `t`.
    expr: String,
    /// Text as bound: its canonical form can be computed from the value written
    /// ([`seal_written`]). SQLite: TEXT affinity; PostgreSQL: `text` or `character varying`.
    text: bool,
}

/// A sealed table's columns and the SQL expression of a row's canonical text (PostgreSQL: of
/// its hex SHA-256).
#[derive(Debug)]
struct Shape {
    columns: Vec<Column>,
    canon: String,
}

/// Arguments per `concat_ws` call, under both databases' limits on a function's arguments
/// (PostgreSQL 100, SQLite 127 before 3.48).
const CONCAT_ARGS: usize = 50;

/// `concat_ws('|', …)` of every column's expression, nested past [`CONCAT_ARGS`]: the same text
/// as joining them with `… || '|' || …`, since no expression is ever NULL (`quote` and
/// `quote_nullable` render NULL as the text `NULL`), built in one pass instead of copying
/// the text so far again for every column (a draw's row holds 130 MB of JSON).
fn concat_ws(parts: &[&str]) -> String {
    if parts.len() <= CONCAT_ARGS {
        return format!("concat_ws('|', {})", parts.join(", "));
    }
    let groups: Vec<String> = parts.chunks(CONCAT_ARGS).map(concat_ws).collect();
    let refs: Vec<&str> = groups.iter().map(String::as_str).collect();
    concat_ws(&refs)
}

/// The columns of `t` and the SQL expression of a row's canonical text: every column in table
/// order, each quoted by the database so NULL, text and numbers cannot be confused, joined by
/// `|`. PostgreSQL renders timestamps in UTC and dates as ISO text explicitly, so neither the
/// session's time zone nor its DateStyle changes a digest.
async fn shape(c: &impl ConnectionTrait, t: Sealed) -> Result<std::sync::Arc<Shape>> {
    // The columns are fixed by the migrations a binary carries, so the shape is read once per
    // backend and table and not on every sealed write.
    type Cache = std::sync::Mutex<HashMap<(bool, Sealed), std::sync::Arc<Shape>>>;
    static CACHE: std::sync::OnceLock<Cache> = std::sync::OnceLock::new();
    let cache = CACHE.get_or_init(Default::default);
    let key = (backend_of(c) == DbBackend::Sqlite, t);
    if let Some(e) = cache.lock().unwrap_or_else(|p| p.into_inner()).get(&key) {
        return Ok(e.clone());
    }
    let e = std::sync::Arc::new(build_shape(c, t).await?);
    cache
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .insert(key, e.clone());
    Ok(e)
}

async fn build_shape(c: &impl ConnectionTrait, t: Sealed) -> Result<Shape> {
    let b = backend_of(c);
    let columns: Vec<Column> = if b == DbBackend::Sqlite {
        let rows = c
            .query_all_raw(stmt(
                c,
                "SELECT name, type FROM pragma_table_info($1) ORDER BY cid",
                vec![t.table().into()],
            ))
            .await?;
        rows.iter()
            .map(|r| {
                let n: String = r.try_get_by_index(0)?;
                let ty: String = r.try_get_by_index(1)?;
                // SQLite's affinity rule 2: a declared type containing CHAR, CLOB or TEXT.
                let ty = ty.to_ascii_uppercase();
                let text = ["CHAR", "CLOB", "TEXT"].iter().any(|k| ty.contains(k));
                Ok(Column {
                    expr: format!("quote(t.\"{n}\")"),
                    name: n,
                    text,
                })
            })
            .collect::<Result<_>>()?
    } else {
        let rows = c
            .query_all_raw(stmt(
                c,
                "SELECT column_name::text, data_type::text FROM information_schema.columns \
                 WHERE table_schema = current_schema() AND table_name = $1 ORDER BY ordinal_position",
                vec![t.table().into()],
            ))
            .await?;
        rows.iter()
            .map(|r| {
                let n: String = r.try_get_by_index(0)?;
                let ty: String = r.try_get_by_index(1)?;
                let expr = match ty.as_str() {
                    "timestamp with time zone" => format!(
                        "quote_nullable(to_char(t.\"{n}\" AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US'))"
                    ),
                    "date" => format!("quote_nullable(to_char(t.\"{n}\", 'YYYY-MM-DD'))"),
                    _ => format!("quote_nullable(t.\"{n}\"::text)"),
                };
                Ok(Column {
                    expr,
                    text: matches!(ty.as_str(), "text" | "character varying"),
                    name: n,
                })
            })
            .collect::<Result<_>>()?
    };
    if columns.is_empty() {
        return Err(StoreError::Corrupt(format!(
            "table {} has no columns",
            t.table()
        )));
    }
    let exprs: Vec<&str> = columns.iter().map(|c| c.expr.as_str()).collect();
    let text = concat_ws(&exprs);
    let canon = if b == DbBackend::Sqlite {
        text
    } else {
        // Hashed where it lies: a draw's frozen input can be tens of megabytes, which need
        // not cross the network to be sealed.
        format!("encode(sha256(convert_to({text}, 'UTF8')), 'hex')")
    };
    Ok(Shape { columns, canon })
}

/// SHA-256 of the table name, a newline and the hex SHA-256 of the row's canonical text.
fn outer_digest(t: Sealed, inner_hex: &str) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(t.table().as_bytes());
    h.update(b"\n");
    h.update(inner_hex.as_bytes());
    h.finalize().into()
}

/// [`outer_digest`] of what the canonical expression returned: PostgreSQL returns the inner
/// hash; SQLite (in-process) the text itself.
fn digest(c: &impl ConnectionTrait, t: Sealed, canon: &str) -> [u8; 32] {
    if backend_of(c) == DbBackend::Sqlite {
        outer_digest(t, &hex::encode(Sha256::digest(canon.as_bytes())))
    } else {
        outer_digest(t, canon)
    }
}

/// Feeds `bytes` to `h` with every byte in `special` doubled.
fn update_doubling(h: &mut Sha256, mut bytes: &[u8], special: &[u8]) {
    loop {
        let at = match special {
            [a] => memchr::memchr(*a, bytes),
            [a, b] => memchr::memchr2(*a, *b, bytes),
            _ => unreachable!("one or two special bytes"),
        };
        match at {
            Some(i) => {
                h.update(&bytes[..=i]);
                h.update(&bytes[i..=i]);
                bytes = &bytes[i + 1..];
            }
            None => {
                h.update(bytes);
                return;
            }
        }
    }
}

/// Feeds `h` what the canonical expression of a text column renders for `value`, without
/// building it: SQLite's `quote(x)` (`%Q`: single quotes doubled, the text read up to its
/// first NUL byte as SQLite reads text for it), PostgreSQL's `quote_nullable(x::text)`
/// (`quote_literal`: single quotes and backslashes doubled, and an `E` before the opening
/// quote when the text holds a backslash). NULL is the text `NULL` on both.
fn update_quoted(h: &mut Sha256, b: DbBackend, value: Option<&str>) {
    let Some(v) = value else {
        h.update(b"NULL");
        return;
    };
    let mut bytes = v.as_bytes();
    if b == DbBackend::Sqlite {
        if let Some(nul) = memchr::memchr(0, bytes) {
            bytes = &bytes[..nul];
        }
        h.update(b"'");
        update_doubling(h, bytes, b"'");
    } else {
        if memchr::memchr(b'\\', bytes).is_some() {
            h.update(b"E'");
        } else {
            h.update(b"'");
        }
        update_doubling(h, bytes, b"'\\");
    }
    h.update(b"'");
}

fn key_select(t: Sealed) -> String {
    t.key_columns()
        .iter()
        .enumerate()
        .map(|(i, k)| format!("t.{k} AS k{i}"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn row_of(c: &impl ConnectionTrait, t: Sealed, r: &QueryResult) -> Result<(RowKey, [u8; 32])> {
    let a: Uuid = r.try_get("", "k0")?;
    let b: Option<Uuid> = if t.key_columns().len() > 1 {
        Some(r.try_get("", "k1")?)
    } else {
        None
    };
    let canonical: String = r.try_get("", "canon")?;
    Ok((RowKey(a, b), digest(c, t, &canonical)))
}

/// Digests of the rows with these keys that exist.
async fn digests_of(
    c: &impl ConnectionTrait,
    t: Sealed,
    expr: &str,
    keys: &[RowKey],
) -> Result<HashMap<RowKey, [u8; 32]>> {
    let cols = t.key_columns();
    if let [col] = cols {
        let sql = format!(
            "SELECT {}, {expr} AS canon FROM {} t WHERE t.{col} IN ({})",
            key_select(t),
            t.table(),
            crate::placeholders(1, keys.len())
        );
        let vals = keys.iter().map(|k| k.0.into()).collect();
        return c
            .query_all_raw(stmt(c, sql, vals))
            .await?
            .iter()
            .map(|r| row_of(c, t, r))
            .collect();
    }
    let mut vals: Vec<Value> = Vec::with_capacity(keys.len() * cols.len());
    let mut conds: Vec<String> = Vec::with_capacity(keys.len());
    for k in keys {
        let base = vals.len();
        vals.extend(k.values());
        conds.push(
            cols.iter()
                .enumerate()
                .map(|(i, col)| format!("t.{col} = ${}", base + i + 1))
                .collect::<Vec<_>>()
                .join(" AND "),
        );
    }
    let sql = format!(
        "SELECT {}, {expr} AS canon FROM {} t WHERE ({})",
        key_select(t),
        t.table(),
        conds.join(") OR (")
    );
    c.query_all_raw(stmt(c, sql, vals))
        .await?
        .iter()
        .map(|r| row_of(c, t, r))
        .collect()
}

fn system_entry(action: &str, t: Sealed, object_id: String, after: serde_json::Value) -> NewEntry {
    NewEntry {
        actor_name: "system".into(),
        action: action.into(),
        object_type: t.table().into(),
        object_id: Some(object_id),
        after: Some(after),
        ..NewEntry::default()
    }
}

fn rows_json<'a>(rows: impl Iterator<Item = (RowKey, Option<&'a [u8; 32]>)>) -> serde_json::Value {
    let m: serde_json::Map<String, serde_json::Value> = rows
        .map(|(k, d)| {
            (
                k.to_string(),
                d.map_or(serde_json::Value::Null, |d| hex::encode(d).into()),
            )
        })
        .collect();
    serde_json::json!({ "rows": m })
}

/// Seals the rows with these keys as they are now, inside the caller's transaction: one
/// `row.seal` entry per [`ROWS_PER_ENTRY`] keys, mapping each key to the digest of its row, or
/// to `null` if the row does not exist (it was deleted by the application).
pub async fn seal(c: &impl ConnectionTrait, t: Sealed, keys: &[RowKey]) -> Result<()> {
    if keys.is_empty() {
        return Ok(());
    }
    let expr = shape(c, t).await?.canon.clone();
    let mut entries = Vec::with_capacity(keys.len().div_ceil(ROWS_PER_ENTRY));
    for chunk in keys.chunks(ROWS_PER_ENTRY) {
        let found = digests_of(c, t, &expr, chunk).await?;
        let object_id = match chunk {
            [one] => one.to_string(),
            _ => format!("{} rows", chunk.len()),
        };
        let after = rows_json(chunk.iter().map(|k| (*k, found.get(k))));
        entries.push(system_entry(SEAL_ACTION, t, object_id, after));
    }
    audit::append_many(c, entries).await
}

/// [`seal`] for tables keyed by one `id`.
pub async fn seal_ids(c: &impl ConnectionTrait, t: Sealed, ids: &[Uuid]) -> Result<()> {
    let keys: Vec<RowKey> = ids.iter().map(|i| RowKey::id(*i)).collect();
    seal(c, t, &keys).await
}

/// [`seal`] of one row just written, with the text of its largest columns taken from the
/// values the caller bound (`written`: column name and value, as bound) instead of read back:
/// a draw's row holds its input and record, 130 MB of JSON at a province's scale, which reading
/// back and quoting in SQL copied several times over (docs/performance.md, the draw path). The
/// other columns are read back and rendered by the database as [`seal`] does, and the digest
/// is the one [`seal`] and [`reconcile`] compute for the same row: only text columns can be
/// given, whose stored text is what was bound, and their quoting is done here exactly as
/// `quote` / `quote_nullable` do it (tested on both databases, `crates/store/tests/seal.rs`).
/// Given a value other than the one stored, the seal would not match the row and reconcile
/// would name it. On a PostgreSQL database whose encoding is not UTF-8 this falls back to
/// [`seal`].
pub async fn seal_written(
    c: &impl ConnectionTrait,
    t: Sealed,
    key: RowKey,
    written: &[(&str, Option<&str>)],
) -> Result<()> {
    let shape = shape(c, t).await?;
    let b = backend_of(c);
    let mut given: Vec<Option<Option<&str>>> = vec![None; shape.columns.len()];
    for (name, value) in written {
        let i = shape
            .columns
            .iter()
            .position(|col| col.name == *name && col.text)
            .ok_or_else(|| {
                StoreError::Config(format!(
                    "{}.{name} is not a text column and cannot be sealed from its value",
                    t.table()
                ))
            })?;
        given[i] = Some(*value);
    }
    let mut select: Vec<String> = shape
        .columns
        .iter()
        .zip(&given)
        .enumerate()
        .filter(|(_, (_, g))| g.is_none())
        .map(|(i, (col, _))| format!("{} AS c{i}", col.expr))
        .collect();
    if b != DbBackend::Sqlite {
        select.push("current_setting('server_encoding') AS enc".into());
    }
    let cond: Vec<String> = t
        .key_columns()
        .iter()
        .enumerate()
        .map(|(i, k)| format!("t.{k} = ${}", i + 1))
        .collect();
    let sql = format!(
        "SELECT {} FROM {} t WHERE {}",
        select.join(", "),
        t.table(),
        cond.join(" AND ")
    );
    let row = c.query_one_raw(stmt(c, sql, key.values())).await?;
    let found = match row {
        None => None,
        Some(r) => {
            if b != DbBackend::Sqlite {
                let enc: String = r.try_get("", "enc")?;
                if enc != "UTF8" {
                    return seal(c, t, &[key]).await;
                }
            }
            let mut h = Sha256::new();
            for (i, g) in given.iter().enumerate() {
                if i > 0 {
                    h.update(b"|");
                }
                match g {
                    Some(v) => update_quoted(&mut h, b, *v),
                    None => {
                        let part: String = r.try_get("", &format!("c{i}"))?;
                        h.update(part.as_bytes());
                    }
                }
            }
            Some(outer_digest(t, &hex::encode(h.finalize())))
        }
    };
    let after = rows_json(std::iter::once((key, found.as_ref())));
    audit::append(c, system_entry(SEAL_ACTION, t, key.to_string(), after)).await?;
    Ok(())
}

/// Streams every row of `t` in key order, `SCAN_BATCH` at a time, as (key, digest).
async fn scan(
    c: &impl ConnectionTrait,
    t: Sealed,
    expr: &str,
    after: Option<RowKey>,
) -> Result<Vec<(RowKey, [u8; 32])>> {
    let cols = t.key_columns();
    let order = cols
        .iter()
        .map(|k| format!("t.{k}"))
        .collect::<Vec<_>>()
        .join(", ");
    let (cond, vals) = match after {
        Some(k) => (
            format!("WHERE ({order}) > ({})", crate::placeholders(1, cols.len())),
            k.values(),
        ),
        None => (String::new(), Vec::new()),
    };
    let sql = format!(
        "SELECT {}, {expr} AS canon FROM {} t {cond} ORDER BY {order} LIMIT {SCAN_BATCH}",
        key_select(t),
        t.table()
    );
    c.query_all_raw(stmt(c, sql, vals))
        .await?
        .iter()
        .map(|r| row_of(c, t, r))
        .collect()
}

/// Seals every row of `t` as it is now (`audit.baseline` entries), then writes the marker
/// entry `audit.baseline` / `complete` with the row count. Linear in the table's size.
pub async fn baseline(c: &impl ConnectionTrait, t: Sealed) -> Result<u64> {
    let expr = shape(c, t).await?.canon.clone();
    let mut after = None;
    let mut total = 0u64;
    loop {
        let rows = scan(c, t, &expr, after).await?;
        let n = rows.len();
        let mut entries = Vec::new();
        for chunk in rows.chunks(ROWS_PER_ENTRY) {
            entries.push(system_entry(
                BASELINE_ACTION,
                t,
                format!("{} rows", chunk.len()),
                rows_json(chunk.iter().map(|(k, d)| (*k, Some(d)))),
            ));
        }
        audit::append_many(c, entries).await?;
        total += n as u64;
        after = rows.last().map(|r| r.0);
        if n < SCAN_BATCH {
            break;
        }
    }
    audit::append(
        c,
        system_entry(
            BASELINE_ACTION,
            t,
            "complete".into(),
            serde_json::json!({ "rows_total": total }),
        ),
    )
    .await?;
    Ok(total)
}

/// For a migration that adds a column to sealed table `t`: every row's digest changes with
/// its canonical text, so the rows are sealed again as they now are (an `audit.baseline`),
/// in the migration, before anything else can write. Nothing when the table is empty.
pub async fn reseal_after_migration(c: &impl ConnectionTrait, t: Sealed) -> Result<()> {
    if table_has_rows(c, t).await? {
        let n = baseline(c, t).await?;
        tracing::info!(table = t.table(), rows = n, "re-sealed after a new column");
    }
    Ok(())
}

/// Whether the log holds a baseline or a seal of table `t` (baselines first: they are few).
async fn sealed_before(c: &impl ConnectionTrait, t: Sealed) -> Result<bool> {
    for action in [BASELINE_ACTION, SEAL_ACTION] {
        let found = c
            .query_one_raw(stmt(
                c,
                "SELECT 1 FROM audit_log WHERE action = $1 AND object_type = $2 LIMIT 1",
                vec![action.into(), t.table().into()],
            ))
            .await?;
        if found.is_some() {
            return Ok(true);
        }
    }
    Ok(false)
}

async fn table_has_rows(c: &impl ConnectionTrait, t: Sealed) -> Result<bool> {
    let sql = format!("SELECT 1 FROM {} LIMIT 1", t.table());
    Ok(c.query_one_raw(stmt(c, sql, Vec::new())).await?.is_some())
}

/// Seals the rows that predate sealing, once per table: a sealed table that has rows but no
/// seal or baseline entry in the log yet (a database from before this feature, or from before
/// the table was sealed — `clues` since issue 14) gets a baseline. A fresh database needs
/// none: its rows are sealed as they are written. Run at start-up, after migrations.
pub async fn ensure_baseline(store: &crate::Store) -> Result<bool> {
    let c = store.conn();
    let mut due = Vec::new();
    for t in Sealed::ALL {
        if table_has_rows(c, t).await? && !sealed_before(c, t).await? {
            due.push(t);
        }
    }
    if due.is_empty() {
        return Ok(false);
    }
    let tx = store.begin().await?;
    let mut any = false;
    for t in due {
        // Re-checked in the transaction: two processes starting together baseline once.
        if sealed_before(&tx, t).await? {
            continue;
        }
        let n = baseline(&tx, t).await?;
        any = true;
        tracing::info!(
            table = t.table(),
            rows = n,
            "sealed the existing rows (audit baseline)"
        );
    }
    tx.commit().await?;
    Ok(any)
}

/// How a row differs from its last sealed after-image.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Difference {
    /// The row exists but the audit log never sealed it: inserted outside the application.
    NoAuditRecord,
    /// The row's content is not what the entry `sealed_seq` sealed.
    Changed { sealed_seq: i64 },
    /// The row was sealed by entry `sealed_seq` and no longer exists.
    Deleted { sealed_seq: i64 },
}

/// One row changed outside the application.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    pub table: Sealed,
    pub key: String,
    #[serde(flatten)]
    pub difference: Difference,
}

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (t, k) = (self.table.table(), &self.key);
        let z = self.table.label_zh();
        match self.difference {
            Difference::NoAuditRecord => write!(
                f,
                "{t} {k}: no audit record (inserted outside the application) / {z}：无审计记录（系绕过系统写入）"
            ),
            Difference::Changed { sealed_seq } => write!(
                f,
                "{t} {k}: content differs from its after-image in audit entry #{sealed_seq} (changed outside the application) / {z}：内容与第 {sealed_seq} 条审计记录不符（系绕过系统修改）"
            ),
            Difference::Deleted { sealed_seq } => write!(
                f,
                "{t} {k}: deleted (last sealed in audit entry #{sealed_seq}) / {z}：已被删除（绕过系统）"
            ),
        }
    }
}

/// The last sealed after-image of every row of `t`: key → (digest or `None` if the
/// application deleted it, sequence number of the sealing entry). Streams the seal entries in
/// log order, a few at a time.
async fn sealed_images(
    c: &impl ConnectionTrait,
    t: Sealed,
) -> Result<HashMap<RowKey, (Option<[u8; 32]>, i64)>> {
    const BATCH: u64 = 50;
    let mut out = HashMap::new();
    let mut after = i64::MIN;
    loop {
        let rows = c
            .query_all_raw(stmt(
                c,
                format!(
                    "SELECT seq, after FROM audit_log WHERE action IN ($1, $2) AND object_type = $3 AND seq > $4 ORDER BY seq LIMIT {BATCH}"
                ),
                vec![
                    SEAL_ACTION.into(),
                    BASELINE_ACTION.into(),
                    t.table().into(),
                    after.into(),
                ],
            ))
            .await?;
        for r in &rows {
            let seq: i64 = r.try_get_by_index(0)?;
            after = seq;
            let text: Option<String> = r.try_get_by_index(1)?;
            let v: serde_json::Value = match text.as_deref().map(serde_json::from_str) {
                Some(Ok(v)) => v,
                _ => {
                    return Err(StoreError::Corrupt(format!(
                        "audit entry #{seq} is a seal without readable rows"
                    )));
                }
            };
            let Some(map) = v.get("rows").and_then(|r| r.as_object()) else {
                continue; // the baseline's `complete` marker
            };
            for (k, d) in map {
                let key = RowKey::parse(k).ok_or_else(|| {
                    StoreError::Corrupt(format!("audit entry #{seq} seals an unreadable key {k}"))
                })?;
                let digest = match d.as_str() {
                    None => None,
                    Some(h) => {
                        let mut b = [0u8; 32];
                        hex::decode_to_slice(h, &mut b).map_err(|_| {
                            StoreError::Corrupt(format!(
                                "audit entry #{seq} seals {k} with an unreadable digest"
                            ))
                        })?;
                        Some(b)
                    }
                };
                out.insert(key, (digest, seq));
            }
        }
        if (rows.len() as u64) < BATCH {
            break;
        }
    }
    Ok(out)
}

/// Compares every row of every sealed table with its last sealed after-image and lists the
/// rows changed outside the application, table by table, in key order. Run it in one snapshot
/// ([`crate::Store::begin_snapshot`]) so writes meanwhile are not mistaken for tampering.
/// Memory: one table's seal map at a time (about 80 bytes a row).
pub async fn reconcile(c: &impl ConnectionTrait) -> Result<Vec<Finding>> {
    let mut findings = Vec::new();
    for t in Sealed::ALL {
        let mut images = sealed_images(c, t).await?;
        let expr = shape(c, t).await?.canon.clone();
        let mut after = None;
        loop {
            let rows = scan(c, t, &expr, after).await?;
            for (k, d) in &rows {
                let difference = match images.remove(k) {
                    Some((Some(sealed), _)) if sealed == *d => continue,
                    Some((Some(_), seq)) => Difference::Changed { sealed_seq: seq },
                    // Never sealed, or sealed as deleted and back again.
                    Some((None, _)) | None => Difference::NoAuditRecord,
                };
                findings.push(Finding {
                    table: t,
                    key: k.to_string(),
                    difference,
                });
            }
            after = rows.last().map(|r| r.0);
            if rows.len() < SCAN_BATCH {
                break;
            }
        }
        let mut gone: Vec<(RowKey, i64)> = images
            .into_iter()
            .filter_map(|(k, (d, seq))| d.map(|_| (k, seq)))
            .collect();
        gone.sort();
        findings.extend(gone.into_iter().map(|(k, seq)| Finding {
            table: t,
            key: k.to_string(),
            difference: Difference::Deleted { sealed_seq: seq },
        }));
    }
    Ok(findings)
}
