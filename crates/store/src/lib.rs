//! The only place in Lianjian that knows SQL. One implementation on SeaORM serves SQLite (the
//! default, embedded) and PostgreSQL. Repository functions take any connection or transaction;
//! every write that matters appends to the audit log in the same transaction ([`audit::append`]).

pub mod accounts;
pub mod analysis;
pub mod assistance;
pub mod audit;
pub mod calendar;
pub mod case_figures;
pub mod cases;
pub mod changes;
pub mod claims;
pub mod clue_portal;
pub mod clue_reports;
pub mod clues;
pub mod consultations;
pub mod credit;
pub mod credit_evaluation;
pub mod credit_sanctions;
pub mod departments;
pub mod draw_access;
pub mod draws;
pub mod entities;
mod error;
pub mod evidence;
pub mod guides;
pub mod hotline;
pub mod import_jobs;
pub mod inspectors;
pub mod iot;
pub mod items;
pub mod licensing;
pub mod migration;
pub mod office_settings;
pub mod open311;
pub mod page;
pub mod plans;
pub mod regions;
pub mod risk;
mod scope;
pub mod seal;
pub mod sectors;
pub mod sharing;
pub mod submissions;
pub mod tags;
pub mod testing;
pub mod visits;
pub mod warnings;

use std::path::Path;
use std::time::Duration;

use sea_orm::sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous};
use sea_orm::{
    ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DatabaseTransaction, DbBackend,
    SqliteTransactionMode, TransactionOptions, TransactionTrait,
};
use sea_orm_migration::MigratorTrait;

pub use error::StoreError;
pub use page::{Page, PageRequest};
pub use sea_orm::{ConnectionTrait as Conn, DatabaseTransaction as Tx, DbErr};

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// Counts a caller of [`Store::begin`] as waiting until dropped (also when the wait fails).
struct Waiting<'a>(&'a std::sync::atomic::AtomicUsize);

impl<'a> Waiting<'a> {
    fn new(n: &'a std::sync::atomic::AtomicUsize) -> Self {
        n.fetch_add(1, std::sync::atomic::Ordering::AcqRel);
        Self(n)
    }
}

impl Drop for Waiting<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, std::sync::atomic::Ordering::AcqRel);
    }
}

/// Which database a URL points at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    /// Reads the scheme of a database URL, or says what is wrong with it.
    pub fn of_url(url: &str) -> Result<Self> {
        if url.starts_with("sqlite:") {
            Ok(Backend::Sqlite)
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Ok(Backend::Postgres)
        } else {
            Err(StoreError::Config(format!(
                "unsupported database URL '{}': use sqlite://PATH or postgres://USER@HOST/DB",
                redact_url(url)
            )))
        }
    }
}

/// Hides a password in a URL before it is printed.
pub fn redact_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => {
            let creds = &url[s + 3..at];
            match creds.find(':') {
                Some(c) => format!("{}{}:***{}", &url[..s + 3], &creds[..c], &url[at..]),
                None => url.to_string(),
            }
        }
        _ => url.to_string(),
    }
}

/// A handle to the database. Cheap to clone.
#[derive(Clone, Debug)]
pub struct Store {
    db: DatabaseConnection,
    backend: Backend,
    /// Calls of [`Store::begin`] waiting for the write lock (see [`Store::writers_waiting`]).
    waiting: std::sync::Arc<std::sync::atomic::AtomicUsize>,
}

impl Store {
    /// Connects to `url` (`sqlite://PATH` or `postgres://…`). For SQLite the file and its folder
    /// are created if missing, in WAL mode with a busy timeout so readers never block the writer.
    pub async fn connect(url: &str) -> Result<Self> {
        let backend = Backend::of_url(url)?;
        let mut url = url.to_string();
        if backend == Backend::Sqlite {
            let path = url
                .trim_start_matches("sqlite://")
                .trim_start_matches("sqlite:");
            let path = path.split('?').next().unwrap_or_default();
            if path.is_empty() || path == ":memory:" {
                return Err(StoreError::Config(
                    "SQLite needs a file path: sqlite://PATH/lianjian.db".into(),
                ));
            }
            if let Some(dir) = Path::new(path).parent()
                && !dir.as_os_str().is_empty()
            {
                std::fs::create_dir_all(dir).map_err(|e| {
                    StoreError::Config(format!(
                        "cannot create database folder {}: {e}",
                        dir.display()
                    ))
                })?;
            }
            if !url.contains('?') {
                url.push_str("?mode=rwc");
            }
        }
        let mut opt = ConnectOptions::new(url.clone());
        opt.sqlx_logging(false)
            .connect_timeout(Duration::from_secs(5))
            .acquire_timeout(Duration::from_secs(10))
            .max_connections(if backend == Backend::Sqlite { 8 } else { 16 })
            .map_sqlx_sqlite_opts(|o| {
                // The default 2 MB page cache makes every large search re-read pages; 64 MB
                // per connection, memory-mapped reads and in-memory temp b-trees keep a
                // county's or province's directory hot.
                o.journal_mode(SqliteJournalMode::Wal)
                    .synchronous(SqliteSynchronous::Normal)
                    .busy_timeout(Duration::from_secs(15))
                    .foreign_keys(true)
                    .pragma("cache_size", "-65536")
                    .pragma("mmap_size", "1073741824")
                    .pragma("temp_store", "memory")
            })
            .map_sqlx_postgres_opts(|o| {
                // sqlx prepares every statement; after five runs PostgreSQL may switch a
                // prepared statement to a generic plan that ignores the bound region and date
                // ranges — measured, the 已超时 queue went from 72 ms to 236 ms on its sixth
                // run (docs/performance.md). Planning each run costs about a millisecond.
                o.options([("plan_cache_mode", "force_custom_plan")])
            });
        let db = Database::connect(opt)
            .await
            .map_err(|e| StoreError::Connect {
                url: redact_url(&url),
                reason: error::root_cause(&e),
            })?;
        Ok(Self {
            db,
            backend,
            waiting: Default::default(),
        })
    }

    /// Applies pending migrations; safe to run again.
    pub async fn migrate(&self) -> Result<()> {
        migration::Migrator::up(&self.db, None).await?;
        // Rows from before row sealing get their after-images once (`docs/audit-log.md`).
        seal::ensure_baseline(self).await?;
        Ok(())
    }

    pub async fn connect_and_migrate(url: &str) -> Result<Self> {
        let s = Self::connect(url).await?;
        s.migrate().await?;
        Ok(s)
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// For reads (and for tests that poke at tables directly).
    pub fn conn(&self) -> &DatabaseConnection {
        &self.db
    }

    /// Starts a write transaction. On SQLite it is `BEGIN IMMEDIATE`, taking the write lock up
    /// front so two writers wait for each other instead of failing on lock upgrade; on
    /// PostgreSQL it takes the audit head row lock at once. Either way writers run one at a
    /// time (human-paced writes make this cheap) and the audit chain never forks.
    /// Dropping the transaction without `commit` rolls it back: nothing is half-written.
    pub async fn begin(&self) -> Result<DatabaseTransaction> {
        let opts = TransactionOptions {
            sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
            ..Default::default()
        };
        let tx = {
            let _waiting = Waiting::new(&self.waiting);
            self.db.begin_with_options(opts).await?
        };
        if self.backend == Backend::Postgres {
            // Serialise writers from the start, as SQLite does, so a use case that reads
            // inside its transaction sees no concurrent change before it writes.
            tx.execute_unprepared("SELECT 1 FROM audit_head WHERE id = 1 FOR UPDATE")
                .await?;
        }
        Ok(tx)
    }

    /// Starts a write transaction for sensor data (the IoT ingest's batches), which writes no
    /// audit entry: on SQLite `BEGIN IMMEDIATE` like [`Store::begin`]; on PostgreSQL a plain
    /// transaction that does not take the audit head lock, so the ingest and the use cases
    /// never wait for each other there.
    pub async fn begin_bulk(&self) -> Result<DatabaseTransaction> {
        let opts = TransactionOptions {
            sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
            ..Default::default()
        };
        let _waiting = Waiting::new(&self.waiting);
        Ok(self.db.begin_with_options(opts).await?)
    }

    /// How many transactions of this process are waiting in [`Store::begin`] for the write
    /// lock now: a long series of short writes (an import job) lets them through between its
    /// transactions instead of taking the lock straight back (SQLite's busy handler polls).
    pub fn writers_waiting(&self) -> usize {
        self.waiting.load(std::sync::atomic::Ordering::Acquire)
    }

    /// A read-only snapshot: every read in it sees the same committed state.
    pub async fn begin_snapshot(&self) -> Result<DatabaseTransaction> {
        let iso =
            (self.backend == Backend::Postgres).then_some(sea_orm::IsolationLevel::RepeatableRead);
        let access = (self.backend == Backend::Postgres).then_some(sea_orm::AccessMode::ReadOnly);
        Ok(self.db.begin_with_config(iso, access).await?)
    }

    /// Checks that the database answers (for `/healthz`).
    pub async fn ping(&self) -> Result<()> {
        self.db.ping().await?;
        Ok(())
    }

    pub async fn close(self) -> Result<()> {
        self.db.close().await?;
        Ok(())
    }
}

pub(crate) fn backend_of(c: &impl ConnectionTrait) -> DbBackend {
    c.get_database_backend()
}

/// A raw statement for the connection's backend (`$1` placeholders work on both).
pub(crate) fn stmt(
    c: &impl ConnectionTrait,
    sql: impl Into<String>,
    vals: Vec<sea_orm::Value>,
) -> sea_orm::Statement {
    sea_orm::Statement::from_sql_and_values(backend_of(c), sql, vals)
}

/// One page of `SELECT cols FROM from WHERE w ORDER BY order`, each row read by `f`, with the
/// count of every matching row: the shape of every list the store pages.
#[allow(clippy::too_many_arguments)]
pub(crate) async fn paged<T>(
    c: &impl ConnectionTrait,
    from: &str,
    cols: &str,
    w: &str,
    order: &str,
    vals: Vec<sea_orm::Value>,
    page: PageRequest,
    f: fn(&sea_orm::QueryResult) -> Result<T>,
) -> Result<Page<T>> {
    let total: i64 = c
        .query_one_raw(stmt(
            c,
            format!("SELECT COUNT(*) AS n FROM {from} WHERE {w}"),
            vals.clone(),
        ))
        .await?
        .map(|r| r.try_get("", "n"))
        .transpose()?
        .unwrap_or(0);
    let items = c
        .query_all_raw(stmt(
            c,
            format!(
                "SELECT {cols} FROM {from} WHERE {w} ORDER BY {order} LIMIT {} OFFSET {}",
                page.per_page,
                page.offset()
            ),
            vals,
        ))
        .await?
        .iter()
        .map(f)
        .collect::<Result<_>>()?;
    Ok(Page {
        items,
        total: u64::try_from(total).unwrap_or(0),
        page: page.page,
        per_page: page.per_page,
    })
}

/// [`paged`] for a filter that is costly per row and matches rows clustered somewhere in the
/// order (the running-clock queues: the overdue clues are the old ones): the keys of the
/// matching rows (`keys`, which must hold `id` and every column `order` names) are computed
/// once, counted, and sorted without the whole rows; only the page's rows are read. Left to
/// itself a planner walks the order's index and probes the filter row by row, betting that
/// matches are spread evenly: on PostgreSQL the 已超时 queue walked back through 180,000
/// newer clues to find 20 overdue ones (docs/performance.md, "Clue queues and rates").
///
/// `keys` come `FROM keys_from` (the table, or the table joined with what a sort key needs)
/// and are ordered by `keys_order`; the page's rows by `order`, which must agree with it.
#[allow(clippy::too_many_arguments)]
pub(crate) async fn paged_matching<T>(
    c: &impl ConnectionTrait,
    table: &str,
    cols: &str,
    (keys, keys_from, keys_order): (&str, &str, &str),
    w: &str,
    order: &str,
    vals: Vec<sea_orm::Value>,
    page: PageRequest,
    f: fn(&sea_orm::QueryResult) -> Result<T>,
) -> Result<Page<T>> {
    let rows = c
        .query_all_raw(stmt(
            c,
            format!(
                "WITH m AS MATERIALIZED (SELECT {keys} FROM {keys_from} WHERE {w}), \
                 p AS (SELECT id FROM m ORDER BY {keys_order} LIMIT {} OFFSET {}) \
                 SELECT {cols}, (SELECT COUNT(*) FROM m) AS paged_total FROM {table} \
                 WHERE id IN (SELECT id FROM p) ORDER BY {order}",
                page.per_page,
                page.offset()
            ),
            vals.clone(),
        ))
        .await?;
    let Some(first) = rows.first() else {
        // A page past the end: the count alone.
        return paged(c, table, cols, w, order, vals, page, f).await;
    };
    let total: i64 = first.try_get("", "paged_total")?;
    Ok(Page {
        items: rows.iter().map(f).collect::<Result<_>>()?,
        total: u64::try_from(total).unwrap_or(0),
        page: page.page,
        per_page: page.per_page,
    })
}

/// `$from, $from+1, …` for `n` values.
/// A `LIKE` pattern matching `text` anywhere, literally: `%`, `_` and the escape character
/// typed by a user match themselves (use with [`LIKE_ESCAPE`] after the placeholder).
pub(crate) fn contains_pattern(text: &str) -> String {
    let mut p = String::with_capacity(text.len() + 2);
    p.push('%');
    for ch in text.chars() {
        if matches!(ch, '%' | '_' | '\\') {
            p.push('\\');
        }
        p.push(ch);
    }
    p.push('%');
    p
}

/// The escape clause for [`contains_pattern`]'s patterns, the same on SQLite and PostgreSQL.
pub(crate) const LIKE_ESCAPE: &str = " ESCAPE '\\'";

pub(crate) fn placeholders(from: usize, n: usize) -> String {
    (from..from + n)
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(",")
}

pub(crate) fn now() -> chrono::DateTime<chrono::Utc> {
    lianjian_domain::audit::audit_time(chrono::Utc::now())
}

/// Reads the text column `col` and parses it into its domain type (a status, a code): rows
/// carry the domain's enums, never the stored strings, and a value the domain does not know
/// is corruption, reported with the column that held it.
pub(crate) fn coded<T>(
    r: &sea_orm::QueryResult,
    col: &str,
    parse: impl FnOnce(&str) -> std::result::Result<T, lianjian_domain::Invalid>,
) -> Result<T> {
    let s: String = r.try_get("", col)?;
    parse(&s).map_err(|e| corrupt_code(col, e))
}

fn corrupt_code(col: &str, e: lianjian_domain::Invalid) -> StoreError {
    StoreError::Corrupt(format!("{col}: {}", e.en))
}

/// [`coded`] for a nullable column: NULL is `None`, any other value must parse.
pub(crate) fn coded_opt<T>(
    r: &sea_orm::QueryResult,
    col: &str,
    parse: impl FnOnce(&str) -> std::result::Result<T, lianjian_domain::Invalid>,
) -> Result<Option<T>> {
    let s: Option<String> = r.try_get("", col)?;
    s.map(|s| parse(&s).map_err(|e| corrupt_code(col, e)))
        .transpose()
}

#[cfg(test)]
mod like_tests {
    #[test]
    fn contains_pattern_escapes_wildcards() {
        assert_eq!(super::contains_pattern("美容"), "%美容%");
        assert_eq!(super::contains_pattern("100%_a\\b"), "%100\\%\\_a\\\\b%");
    }
}
