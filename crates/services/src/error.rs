use lianjian_domain::Invalid;
use lianjian_store::StoreError;
use serde::Serialize;

/// A problem with one input field: which field, and why (stable code plus Chinese and English).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldError {
    pub field: String,
    pub code: String,
    pub message: String,
    pub message_en: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, e: Invalid) -> Self {
        Self {
            field: field.into(),
            code: e.code.into(),
            message: e.zh,
            message_en: e.en,
        }
    }
}

/// Why a use case refused or failed. The HTTP layer maps each to a status code.
#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    /// One or more inputs do not parse; nothing was changed.
    #[error("invalid input: {0:?}")]
    Invalid(Vec<FieldError>),
    #[error("not signed in")]
    Unauthenticated,
    #[error("wrong user name or password")]
    BadCredentials,
    #[error("too many failed sign-ins; retry in {retry_after_secs} s")]
    Throttled { retry_after_secs: u64 },
    /// The actor is known but the role does not allow this.
    #[error("forbidden")]
    Forbidden,
    /// The role may do this in general, but not here, for a reason the person should read
    /// (e.g. an inspector who is not on the visit).
    #[error("refused: {message_en}")]
    Refused { message: String, message_en: String },
    /// Absent, or outside the actor's scope (indistinguishable on purpose).
    #[error("not found")]
    NotFound,
    #[error("conflict: {field}: {message}")]
    Conflict {
        field: String,
        message: String,
        message_en: String,
    },
    /// The server failed (database unreachable, stored data invalid…). What failed is for the
    /// log, not for the caller: adapters answer a generic error and never see store types.
    #[error(transparent)]
    Internal(Internal),
}

/// An internal failure, opaque outside the services (its message is for the log).
#[derive(Debug, thiserror::Error)]
#[error(transparent)]
pub struct Internal(StoreError);

impl ServiceError {
    pub(crate) fn internal(e: StoreError) -> Self {
        ServiceError::Internal(Internal(e))
    }

    pub fn field(field: &str, e: Invalid) -> Self {
        ServiceError::Invalid(vec![FieldError::new(field, e)])
    }

    pub fn refused(zh: impl Into<String>, en: impl Into<String>) -> Self {
        ServiceError::Refused {
            message: zh.into(),
            message_en: en.into(),
        }
    }

    pub fn conflict(field: &str, zh: impl Into<String>, en: impl Into<String>) -> Self {
        ServiceError::Conflict {
            field: field.into(),
            message: zh.into(),
            message_en: en.into(),
        }
    }
}

impl From<StoreError> for ServiceError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound => ServiceError::NotFound,
            other => ServiceError::internal(other),
        }
    }
}

/// Collects field errors so a form reports every bad field at once, not the first only.
#[derive(Default)]
pub(crate) struct Checker(Vec<FieldError>);

impl Checker {
    /// A checker holding errors found before (an intake interface's own fields).
    pub fn with(errors: Vec<FieldError>) -> Self {
        Self(errors)
    }

    pub fn check<T>(&mut self, field: &str, r: Result<T, Invalid>) -> Option<T> {
        match r {
            Ok(v) => Some(v),
            Err(e) => {
                self.0.push(FieldError::new(field, e));
                None
            }
        }
    }

    pub fn push(&mut self, field: &str, e: Invalid) {
        self.0.push(FieldError::new(field, e));
    }

    /// Adds the field errors of a check made elsewhere (a `ServiceError::Invalid`); any other
    /// error is handed back.
    pub fn absorb<T>(&mut self, r: Result<T, ServiceError>) -> Result<Option<T>, ServiceError> {
        match r {
            Ok(v) => Ok(Some(v)),
            Err(ServiceError::Invalid(errs)) => {
                self.0.extend(errs);
                Ok(None)
            }
            Err(e) => Err(e),
        }
    }

    /// Whether a field already has an error.
    pub fn has(&self, field: &str) -> bool {
        self.0.iter().any(|e| e.field == field)
    }

    pub fn into_errors(self) -> Vec<FieldError> {
        self.0
    }

    pub fn finish(self) -> Result<(), ServiceError> {
        if self.0.is_empty() {
            Ok(())
        } else {
            Err(ServiceError::Invalid(self.0))
        }
    }
}

impl From<lianjian_store::DbErr> for ServiceError {
    fn from(e: lianjian_store::DbErr) -> Self {
        StoreError::from(e).into()
    }
}
