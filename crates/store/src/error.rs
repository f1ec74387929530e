use sea_orm::{DbErr, SqlErr};

/// Failures of the store. Services map them to their own errors; `Conflict` names what clashed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("cannot connect to database {url}: {reason}")]
    Connect { url: String, reason: String },
    #[error("{0}")]
    Config(String),
    #[error("record not found")]
    NotFound,
    #[error("conflicts with an existing record: {0}")]
    Conflict(String),
    #[error("database error: {0}")]
    Db(String),
    #[error("stored data is invalid: {0}")]
    Corrupt(String),
}

impl From<DbErr> for StoreError {
    fn from(e: DbErr) -> Self {
        match e.sql_err() {
            Some(SqlErr::UniqueConstraintViolation(m)) => StoreError::Conflict(m),
            _ => match e {
                DbErr::RecordNotFound(_) => StoreError::NotFound,
                other => StoreError::Db(root_cause(&other)),
            },
        }
    }
}

/// The innermost message of an error chain: "connection refused", not three layers of wrapping.
pub(crate) fn root_cause(e: &(dyn std::error::Error + 'static)) -> String {
    let mut cur: &(dyn std::error::Error + 'static) = e;
    while let Some(next) = cur.source() {
        cur = next;
    }
    let msg = cur.to_string();
    if msg.is_empty() { e.to_string() } else { msg }
}
