//! Fresh databases for tests: a new SQLite file, or a new PostgreSQL database when
//! `LIANJIAN_TEST_POSTGRES_URL` is set. Used by the store, service and HTTP test suites.
//!
//! Migrating costs far more than copying, and every test wants a database of its own, so each
//! test process migrates once per backend (a *template*) and every test gets a copy: the
//! migrated file's bytes written to a fresh path on SQLite, `CREATE DATABASE … TEMPLATE` on
//! PostgreSQL. A suite whose tests all start from the same data (the HTTP suite's demo seed)
//! names a [`Template`] of its own, prepared once per process on top of the migrated one.
//!
//! Templates live as long as their process: in memory on SQLite, as a database named
//! `lj_test_tpl_*` on PostgreSQL, which — like the `lj_test_*` databases of the tests — is left
//! behind and dropped by the next `.ci/run`. Template names are unique per process, so test
//! binaries running at the same time never copy each other's half-made template.

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::{LazyLock, Mutex};

use sea_orm::{ConnectionTrait, Database, Statement};
use tokio::sync::OnceCell;

use crate::{Result, Store, StoreError};

/// Environment variable naming the PostgreSQL server for the conformance runs.
pub const POSTGRES_ENV: &str = "LIANJIAN_TEST_POSTGRES_URL";

/// A migrated store on a fresh database; the SQLite folder is removed on drop.
pub struct TestDb {
    pub store: Store,
    pub url: String,
    _dir: Option<tempfile_dir::TempDir>,
}

mod tempfile_dir {
    /// A temporary folder removed on drop (kept tiny to avoid a dependency outside tests).
    pub struct TempDir(pub std::path::PathBuf);
    impl Drop for TempDir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }
}

/// What a template step does to a migrated database; it runs once per process and backend.
pub type Prepare = for<'a> fn(&'a Store) -> Pin<Box<dyn Future<Output = ()> + Send + 'a>>;

/// Data every test of a suite starts from, written once per process and copied per test.
/// `name` must be unique among the templates of one test binary.
pub struct Template {
    pub name: &'static str,
    pub prepare: Prepare,
}

/// The migrated database with nothing in it.
fn nothing(_: &Store) -> Pin<Box<dyn Future<Output = ()> + Send + '_>> {
    Box::pin(async {})
}

/// Plain migration, the base of every other template.
pub static MIGRATED: Template = Template {
    name: "migrated",
    prepare: nothing,
};

/// A finished template: the database file's bytes, or the PostgreSQL database's name.
enum Made {
    Sqlite(Vec<u8>),
    Postgres(String),
}

type Slot = &'static OnceCell<Made>;

/// One slot per (is PostgreSQL, template name) and process; the first test to need it fills it.
/// Slots are leaked: a test binary has a handful, needed until it exits.
static TEMPLATES: LazyLock<Mutex<HashMap<(bool, &'static str), Slot>>> =
    LazyLock::new(Default::default);

fn slot(postgres: bool, name: &'static str) -> Slot {
    TEMPLATES
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .entry((postgres, name))
        .or_insert_with(|| Box::leak(Box::default()))
}

/// The template made on `base` (the PostgreSQL server; `None` for SQLite), made now if needed.
async fn made(base: Option<&str>, template: &'static Template) -> Result<&'static Made> {
    match base {
        None => {
            slot(false, template.name)
                .get_or_try_init(|| make_sqlite(template))
                .await
        }
        Some(base) => {
            slot(true, template.name)
                .get_or_try_init(|| make_postgres(base, template))
                .await
        }
    }
}

fn io(e: std::io::Error) -> StoreError {
    StoreError::Config(e.to_string())
}

impl TestDb {
    /// A copy of the migrated template on a fresh SQLite file.
    pub async fn sqlite() -> Result<Self> {
        Self::sqlite_from(&MIGRATED).await
    }

    /// `None` when `LIANJIAN_TEST_POSTGRES_URL` is unset.
    pub async fn postgres() -> Result<Option<Self>> {
        Self::postgres_from(&MIGRATED).await
    }

    /// A copy of `template` on a fresh SQLite file.
    pub async fn sqlite_from(template: &'static Template) -> Result<Self> {
        let Made::Sqlite(bytes) = made(None, template).await? else {
            unreachable!("SQLite slots hold files")
        };
        let (dir, url) = sqlite_location()?;
        std::fs::write(dir.0.join("lianjian.db"), bytes).map_err(io)?;
        let store = Store::connect(&url).await?;
        Ok(Self {
            store,
            url,
            _dir: Some(dir),
        })
    }

    /// A copy of `template` in a fresh PostgreSQL database; `None` when
    /// `LIANJIAN_TEST_POSTGRES_URL` is unset.
    pub async fn postgres_from(template: &'static Template) -> Result<Option<Self>> {
        let Some(base) = postgres_base() else {
            return Ok(None);
        };
        let Made::Postgres(name) = made(Some(&base), template).await? else {
            unreachable!("PostgreSQL slots hold database names")
        };
        let url = create_postgres_database(&base, &test_name("lj_test_"), Some(name)).await?;
        let store = Store::connect(&url).await?;
        Ok(Some(Self {
            store,
            url,
            _dir: None,
        }))
    }
}

/// The server of the PostgreSQL runs; unset or empty: SQLite only.
fn postgres_base() -> Option<String> {
    std::env::var(POSTGRES_ENV)
        .ok()
        .filter(|u| !u.trim().is_empty())
}

fn test_name(prefix: &str) -> String {
    format!("{prefix}{}", uuid::Uuid::now_v7().simple())
}

fn sqlite_location() -> Result<(tempfile_dir::TempDir, String)> {
    let dir = std::env::temp_dir().join(test_name("lianjian-test-"));
    std::fs::create_dir_all(&dir).map_err(io)?;
    let url = format!("sqlite://{}/lianjian.db", dir.display());
    Ok((tempfile_dir::TempDir(dir), url))
}

async fn make_sqlite(template: &'static Template) -> Result<Made> {
    let (dir, url) = sqlite_location()?;
    let store = if std::ptr::eq(template, &MIGRATED) {
        Store::connect_and_migrate(&url).await?
    } else {
        let Made::Sqlite(bytes) = Box::pin(made(None, &MIGRATED)).await? else {
            unreachable!("SQLite slots hold files")
        };
        std::fs::write(dir.0.join("lianjian.db"), bytes).map_err(io)?;
        Store::connect(&url).await?
    };
    (template.prepare)(&store).await;
    // Folding the write-ahead log into the file makes the file alone the whole database;
    // closing the pool ends every connection, so nothing writes while it is read.
    store
        .conn()
        .execute_unprepared("PRAGMA wal_checkpoint(TRUNCATE)")
        .await?;
    store.close().await?;
    let bytes = std::fs::read(dir.0.join("lianjian.db")).map_err(io)?;
    Ok(Made::Sqlite(bytes))
}

async fn make_postgres(base: &str, template: &'static Template) -> Result<Made> {
    let name = test_name("lj_test_tpl_");
    let source = if std::ptr::eq(template, &MIGRATED) {
        None
    } else {
        let Made::Postgres(n) = Box::pin(made(Some(base), &MIGRATED)).await? else {
            unreachable!("PostgreSQL slots hold database names")
        };
        Some(n.as_str())
    };
    let url = create_postgres_database(base, &name, source).await?;
    let store = Store::connect(&url).await?;
    if source.is_none() {
        store.migrate().await?;
    }
    (template.prepare)(&store).await;
    // `CREATE DATABASE … TEMPLATE` refuses a template anyone is connected to.
    store.close().await?;
    Ok(Made::Postgres(name))
}

/// Creates an empty database on the server of `base_url` and returns its URL.
pub async fn fresh_postgres_database(base_url: &str) -> Result<String> {
    create_postgres_database(base_url, &test_name("lj_test_"), None).await
}

/// Creates database `name` on the server of `base_url`, empty or as a copy of `template`,
/// and returns its URL.
async fn create_postgres_database(
    base_url: &str,
    name: &str,
    template: Option<&str>,
) -> Result<String> {
    let admin = Database::connect(base_url)
        .await
        .map_err(|e| StoreError::Connect {
            url: crate::redact_url(base_url),
            reason: crate::error::root_cause(&e),
        })?;
    let sql = match template {
        Some(t) => format!("CREATE DATABASE {name} TEMPLATE {t}"),
        None => format!("CREATE DATABASE {name}"),
    };
    admin
        .execute_raw(Statement::from_string(admin.get_database_backend(), sql))
        .await?;
    admin.close().await?;
    // Replace the database name (the last path segment, before any query string).
    let (head, query) = match base_url.split_once('?') {
        Some((h, q)) => (h, Some(q)),
        None => (base_url, None),
    };
    let cut = head
        .rfind('/')
        .filter(|i| *i > head.find("://").map_or(0, |s| s + 2))
        .unwrap_or(head.len());
    let mut url = format!("{}/{}", &head[..cut], name);
    if let Some(q) = query {
        url.push('?');
        url.push_str(q);
    }
    Ok(url)
}

/// Runs each named scenario twice: in module `sqlite` on a fresh SQLite database, and in
/// module `postgres` on a fresh PostgreSQL database when `LIANJIAN_TEST_POSTGRES_URL` is set
/// (otherwise that half says it skipped). Each database is a copy of a template made once per
/// test process (see this module).
///
/// - `on_both_backends!(a, b)`: `a(&TestDb)` on a migrated database.
/// - `on_both_backends!(setup = f; a, b)`: `a(f(TestDb).await)`.
/// - `on_both_backends!(template = T, setup = f; a, b)`: the same on a copy of the
///   [`Template`] `T` instead of the merely migrated database.
/// - `multi_thread` after the options (`setup = f, multi_thread; …`): a two-worker runtime.
///
/// `T` and `f` are names in scope of the calling module.
#[macro_export]
macro_rules! on_both_backends {
    (template = $template:ident, setup = $setup:ident, multi_thread; $($name:ident),* $(,)?) => {
        $crate::on_both_backends!(@tests
            [tokio::test(flavor = "multi_thread", worker_threads = 2)]
            [&super::$template] [db => super::$setup(db).await] $($name),*);
    };
    (template = $template:ident, setup = $setup:ident; $($name:ident),* $(,)?) => {
        $crate::on_both_backends!(@tests [tokio::test]
            [&super::$template] [db => super::$setup(db).await] $($name),*);
    };
    (setup = $setup:ident, multi_thread; $($name:ident),* $(,)?) => {
        $crate::on_both_backends!(@tests
            [tokio::test(flavor = "multi_thread", worker_threads = 2)]
            [&$crate::testing::MIGRATED] [db => super::$setup(db).await] $($name),*);
    };
    (setup = $setup:ident; $($name:ident),* $(,)?) => {
        $crate::on_both_backends!(@tests [tokio::test]
            [&$crate::testing::MIGRATED] [db => super::$setup(db).await] $($name),*);
    };
    (@tests [$attr:meta] [$template:expr] [$db:ident => $arg:expr] $($name:ident),*) => {
        mod sqlite { $(
            #[$attr]
            async fn $name() {
                let $db = $crate::testing::TestDb::sqlite_from($template)
                    .await
                    .expect("sqlite test database");
                super::$name($arg).await;
            }
        )* }
        mod postgres { $(
            #[$attr]
            async fn $name() {
                match $crate::testing::TestDb::postgres_from($template)
                    .await
                    .expect("postgres test database")
                {
                    Some($db) => super::$name($arg).await,
                    None => eprintln!("skipped: {} is not set", $crate::testing::POSTGRES_ENV),
                }
            }
        )* }
    };
    ($($name:ident),* $(,)?) => {
        $crate::on_both_backends!(@tests [tokio::test]
            [&$crate::testing::MIGRATED] [db => &db] $($name),*);
    };
}
