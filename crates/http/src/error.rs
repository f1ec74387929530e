//! One error shape for every API failure:
//! `{"error": {"code", "message" (zh-CN), "message_en", "details": [{"field", "code", "message", "message_en"}]}}`.

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use lianjian_services::{FieldError, ServiceError};
use serde::Serialize;
use utoipa::ToSchema;

#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorDetail {
    /// Stable machine-readable code, e.g. `validation_failed`, `not_found`.
    pub code: String,
    /// Message in Chinese (zh-CN).
    pub message: String,
    pub message_en: String,
    /// Field-level problems, when the request had bad input.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub details: Vec<FieldDetail>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct FieldDetail {
    pub field: String,
    pub code: String,
    pub message: String,
    pub message_en: String,
}

impl From<FieldError> for FieldDetail {
    fn from(f: FieldError) -> Self {
        Self {
            field: f.field,
            code: f.code,
            message: f.message,
            message_en: f.message_en,
        }
    }
}

#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
    pub message_en: String,
    pub details: Vec<FieldDetail>,
    pub retry_after: Option<u64>,
}

impl ApiError {
    pub fn new(
        status: StatusCode,
        code: &'static str,
        zh: impl Into<String>,
        en: impl Into<String>,
    ) -> Self {
        Self {
            status,
            code,
            message: zh.into(),
            message_en: en.into(),
            details: Vec::new(),
            retry_after: None,
        }
    }

    pub fn bad_request(
        field: &str,
        code: &str,
        zh: impl Into<String>,
        en: impl Into<String>,
    ) -> Self {
        let (zh, en) = (zh.into(), en.into());
        let mut e = Self::new(
            StatusCode::BAD_REQUEST,
            "bad_request",
            zh.clone(),
            en.clone(),
        );
        e.details.push(FieldDetail {
            field: field.into(),
            code: code.into(),
            message: zh,
            message_en: en,
        });
        e
    }

    /// A well-formed parameter whose value is out of its range: 422 naming it.
    pub fn out_of_range(field: &str, zh: impl Into<String>, en: impl Into<String>) -> Self {
        let mut e = Self::bad_request(field, "out_of_range", zh, en);
        e.status = StatusCode::UNPROCESSABLE_ENTITY;
        e.code = "validation_failed";
        e
    }

    /// `page`/`per_page` out of range (see [`lianjian_services::PageRequest::checked`]).
    pub fn paging(
        page: Option<u64>,
        per_page: Option<u64>,
    ) -> Result<lianjian_services::PageRequest, Self> {
        use lianjian_services::PageRequest as P;
        P::checked(page, per_page).map_err(|field| {
            let (max, v) = if field == "page" {
                (P::MAX_PAGE, page)
            } else {
                (P::MAX_PER_PAGE, per_page)
            };
            let v = v.unwrap_or_default();
            Self::out_of_range(
                field,
                format!("参数 {field} 应为 1–{max}（当前 {v}）"),
                format!("{field} must be 1–{max} (is {v})"),
            )
        })
    }

    /// A body over the limit, whether announced by `Content-Length` or found while reading a
    /// chunked one.
    pub fn too_large(limit: Option<usize>) -> Self {
        let (zh, en) = match limit {
            Some(l) => (
                format!("请求体过大（上限 {} MiB）", l.div_ceil(1024 * 1024)),
                format!(
                    "request body too large (limit {} MiB)",
                    l.div_ceil(1024 * 1024)
                ),
            ),
            None => (
                "请求体过大".to_string(),
                "request body too large".to_string(),
            ),
        };
        Self::new(StatusCode::PAYLOAD_TOO_LARGE, "too_large", zh, en)
    }

    pub fn not_found() -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "not_found",
            "记录不存在或您无权访问",
            "not found, or not yours to see",
        )
    }

    pub fn unauthenticated() -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "unauthenticated",
            "请先登录或提供有效的 API 令牌",
            "sign in or send a valid API token",
        )
    }

    pub fn forbidden() -> Self {
        Self::new(
            StatusCode::FORBIDDEN,
            "forbidden",
            "您的角色无权执行此操作",
            "your role does not allow this",
        )
    }
}

impl From<ServiceError> for ApiError {
    fn from(e: ServiceError) -> Self {
        match e {
            ServiceError::Invalid(fields) => {
                let summary = fields
                    .iter()
                    .map(|f| f.message.clone())
                    .collect::<Vec<_>>()
                    .join("；");
                let summary_en = fields
                    .iter()
                    .map(|f| format!("{}: {}", f.field, f.message_en))
                    .collect::<Vec<_>>()
                    .join("; ");
                let mut a = ApiError::new(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "validation_failed",
                    summary,
                    summary_en,
                );
                a.details = fields.into_iter().map(FieldDetail::from).collect();
                a
            }
            ServiceError::Unauthenticated => ApiError::unauthenticated(),
            ServiceError::BadCredentials => ApiError::new(
                StatusCode::UNAUTHORIZED,
                "bad_credentials",
                "用户名或密码错误",
                "wrong user name or password",
            ),
            ServiceError::Throttled { retry_after_secs } => {
                let mins = retry_after_secs.div_ceil(60);
                let mut a = ApiError::new(
                    StatusCode::TOO_MANY_REQUESTS,
                    "throttled",
                    format!("登录失败次数过多，请 {mins} 分钟后再试"),
                    format!("too many failed sign-ins; try again in {mins} min"),
                );
                a.retry_after = Some(retry_after_secs);
                a
            }
            ServiceError::Forbidden => ApiError::forbidden(),
            ServiceError::Refused {
                message,
                message_en,
            } => ApiError::new(StatusCode::FORBIDDEN, "refused", message, message_en),
            ServiceError::NotFound => ApiError::not_found(),
            ServiceError::Conflict {
                field,
                message,
                message_en,
            } => {
                let mut a = ApiError::new(
                    StatusCode::CONFLICT,
                    "conflict",
                    message.clone(),
                    message_en.clone(),
                );
                a.details.push(FieldDetail {
                    field,
                    code: "conflict".into(),
                    message,
                    message_en,
                });
                a
            }
            ServiceError::Internal(e) => {
                tracing::error!(error = %e, "internal failure");
                ApiError::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "internal",
                    "服务器内部错误，请稍后重试",
                    "internal error; please retry later",
                )
            }
        }
    }
}

impl ApiError {
    /// The body's `error` object (a batch reports it per row).
    pub fn detail(self) -> ErrorDetail {
        ErrorDetail {
            code: self.code.into(),
            message: self.message,
            message_en: self.message_en,
            details: self.details,
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let retry = self.retry_after;
        let status = self.status;
        let body = ErrorBody {
            error: self.detail(),
        };
        let mut r = (status, Json(body)).into_response();
        if let Some(s) = retry
            && let Ok(v) = HeaderValue::from_str(&s.to_string())
        {
            r.headers_mut().insert(header::RETRY_AFTER, v);
        }
        r
    }
}
