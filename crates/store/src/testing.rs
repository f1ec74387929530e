//! Fresh databases for tests: a new SQLite file, or a new PostgreSQL database when
//! `LIANJIAN_TEST_POSTGRES_URL` is set. Used by the store, service and HTTP test suites.

use sea_orm::{ConnectionTrait, Database, Statement};

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

impl TestDb {
    pub async fn sqlite() -> Result<Self> {
        let dir = std::env::temp_dir().join(format!("lianjian-test-{}", uuid::Uuid::now_v7()));
        std::fs::create_dir_all(&dir).map_err(|e| StoreError::Config(e.to_string()))?;
        let url = format!("sqlite://{}/lianjian.db", dir.display());
        let store = Store::connect_and_migrate(&url).await?;
        Ok(Self {
            store,
            url,
            _dir: Some(tempfile_dir::TempDir(dir)),
        })
    }

    /// `None` when `LIANJIAN_TEST_POSTGRES_URL` is unset.
    pub async fn postgres() -> Result<Option<Self>> {
        // Unset or empty: SQLite only.
        let Some(base) = std::env::var(POSTGRES_ENV)
            .ok()
            .filter(|u| !u.trim().is_empty())
        else {
            return Ok(None);
        };
        let url = fresh_postgres_database(&base).await?;
        let store = Store::connect_and_migrate(&url).await?;
        Ok(Some(Self {
            store,
            url,
            _dir: None,
        }))
    }
}

/// Creates an empty database on the server of `base_url` and returns its URL.
pub async fn fresh_postgres_database(base_url: &str) -> Result<String> {
    let name = format!("lj_test_{}", uuid::Uuid::now_v7().simple());
    let admin = Database::connect(base_url)
        .await
        .map_err(|e| StoreError::Connect {
            url: crate::redact_url(base_url),
            reason: crate::error::root_cause(&e),
        })?;
    admin
        .execute_raw(Statement::from_string(
            admin.get_database_backend(),
            format!("CREATE DATABASE {name}"),
        ))
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
