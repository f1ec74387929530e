//! `/api/v1/users`, `/api/v1/me`, API tokens.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use lianjian_services::accounts::{self, UserInput};
use lianjian_services::accounts::{UserQuery, UserStatus};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::dto::{MeDto, NewTokenDto, PageOf, TokenDto, UserDto};
use super::params::Pages;
use crate::error::ErrorBody;
use crate::extract::{ApiActor, ApiJson, ApiQuery};
use crate::{ApiError, AppState};

/// The caller.
#[utoipa::path(get, path = "/api/v1/me", tag = "accounts", responses((status = 200, body = MeDto), (status = 401, body = ErrorBody)))]
pub async fn me(ApiActor(a): ApiActor) -> Json<MeDto> {
    Json(MeDto {
        user_id: a.user_id,
        username: a.username,
        display_name: a.display_name,
        role: a.role.as_str().into(),
        department_id: a.department_id,
        department_line: a.department_line,
        region_code: a.region.to_string(),
    })
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct UserFilter {
    /// Fragment of user name or name.
    pub q: Option<String>,
    pub role: Option<String>,
    /// active | disabled
    pub status: Option<String>,
    pub department_id: Option<Uuid>,
}

pub(crate) fn user_query(f: &UserFilter) -> Result<UserQuery, ApiError> {
    let role = match f.role.as_deref().filter(|r| !r.is_empty()) {
        Some(r) => Some(r.parse().map_err(|e: lianjian_domain::Invalid| {
            ApiError::bad_request("role", e.code, e.zh, e.en)
        })?),
        None => None,
    };
    let status = match f.status.as_deref().filter(|s| !s.is_empty()) {
        Some(s) => Some(UserStatus::parse(s).ok_or_else(|| {
            ApiError::bad_request(
                "status",
                "unknown_status",
                format!("未知状态“{s}”"),
                format!("unknown status '{s}': active or disabled"),
            )
        })?),
        None => None,
    };
    Ok(UserQuery {
        q: f.q.clone(),
        role,
        status,
        department_id: f.department_id,
    })
}

/// Users in the caller's scope.
#[utoipa::path(get, path = "/api/v1/users", tag = "accounts", params(UserFilter, Pages),
    responses((status = 200, body = PageOf<UserDto>), (status = 403, body = ErrorBody)))]
pub async fn list(
    State(st): State<AppState>,
    ApiActor(a): ApiActor,
    ApiQuery(f): ApiQuery<UserFilter>,
    ApiQuery(p): ApiQuery<Pages>,
) -> Result<Json<PageOf<UserDto>>, ApiError> {
    let page = accounts::list_users(&st.svc, &a, &user_query(&f)?, p.request()?).await?;
    Ok(Json(PageOf::from(page, UserDto::from)))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewUser {
    pub username: String,
    pub display_name: String,
    pub role: String,
    pub department_id: String,
    #[serde(default)]
    pub certificate_no: String,
    #[serde(default)]
    pub phone: String,
    /// Required unless `is_system`.
    #[serde(default)]
    pub password: String,
    /// A system account for another system; it signs in with API tokens only.
    #[serde(default)]
    pub is_system: bool,
}

/// Creates a user in a department the caller manages.
#[utoipa::path(post, path = "/api/v1/users", tag = "accounts", request_body = NewUser,
    responses((status = 201, body = UserDto), (status = 400, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create(
    State(st): State<AppState>,
    ApiActor(a): ApiActor,
    ApiJson(b): ApiJson<NewUser>,
) -> Result<(StatusCode, Json<UserDto>), ApiError> {
    let input = UserInput {
        username: b.username,
        display_name: b.display_name,
        role: b.role,
        department_id: b.department_id,
        certificate_no: b.certificate_no,
        phone: b.phone,
        password: b.password,
        is_system: b.is_system,
    };
    let v = accounts::create_user(&st.svc, &a, input).await?;
    Ok((StatusCode::CREATED, Json(v.into())))
}

/// One user (a restricted read: recorded in the audit log).
#[utoipa::path(get, path = "/api/v1/users/{id}", tag = "accounts",
    responses((status = 200, body = UserDto), (status = 404, body = ErrorBody)))]
pub async fn get(
    State(st): State<AppState>,
    ApiActor(a): ApiActor,
    Path(id): Path<Uuid>,
) -> Result<Json<UserDto>, ApiError> {
    Ok(Json(accounts::get_user(&st.svc, &a, id).await?.into()))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UserUpdate {
    pub display_name: String,
    pub role: String,
    pub department_id: String,
    #[serde(default)]
    pub certificate_no: String,
    #[serde(default)]
    pub phone: String,
}

/// Replaces a user's editable fields.
#[utoipa::path(put, path = "/api/v1/users/{id}", tag = "accounts", request_body = UserUpdate,
    responses((status = 200, body = UserDto), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn update(
    State(st): State<AppState>,
    ApiActor(a): ApiActor,
    Path(id): Path<Uuid>,
    ApiJson(b): ApiJson<UserUpdate>,
) -> Result<Json<UserDto>, ApiError> {
    let input = UserInput {
        display_name: b.display_name,
        role: b.role,
        department_id: b.department_id,
        certificate_no: b.certificate_no,
        phone: b.phone,
        ..Default::default()
    };
    Ok(Json(
        accounts::update_user(&st.svc, &a, id, input).await?.into(),
    ))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StatusChange {
    /// active | disabled
    pub status: String,
}

/// Disables (ending its sessions) or re-enables an account.
#[utoipa::path(put, path = "/api/v1/users/{id}/status", tag = "accounts", request_body = StatusChange,
    responses((status = 204), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn set_status(
    State(st): State<AppState>,
    ApiActor(a): ApiActor,
    Path(id): Path<Uuid>,
    ApiJson(b): ApiJson<StatusChange>,
) -> Result<StatusCode, ApiError> {
    let s = UserStatus::parse(b.status.trim()).ok_or_else(|| {
        ApiError::bad_request(
            "status",
            "unknown_status",
            format!("未知状态“{}”", b.status),
            "status must be active or disabled",
        )
    })?;
    accounts::set_user_status(&st.svc, &a, id, s).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PasswordReset {
    pub password: String,
}

/// Sets a new password and ends the user's sessions.
#[utoipa::path(put, path = "/api/v1/users/{id}/password", tag = "accounts", request_body = PasswordReset,
    responses((status = 204), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn reset_password(
    State(st): State<AppState>,
    ApiActor(a): ApiActor,
    Path(id): Path<Uuid>,
    ApiJson(b): ApiJson<PasswordReset>,
) -> Result<StatusCode, ApiError> {
    accounts::reset_password(&st.svc, &a, id, &b.password).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewToken {
    pub name: String,
    /// Days until it expires; none means it never does.
    pub valid_days: Option<i64>,
}

/// Issues an API token for the user; the secret is in this response only.
#[utoipa::path(post, path = "/api/v1/users/{id}/tokens", tag = "accounts", request_body = NewToken,
    responses((status = 201, body = NewTokenDto), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create_token(
    State(st): State<AppState>,
    ApiActor(a): ApiActor,
    Path(id): Path<Uuid>,
    ApiJson(b): ApiJson<NewToken>,
) -> Result<(StatusCode, Json<NewTokenDto>), ApiError> {
    let (t, secret) = accounts::create_token(&st.svc, &a, id, &b.name, b.valid_days).await?;
    Ok((
        StatusCode::CREATED,
        Json(NewTokenDto {
            token: t.into(),
            secret,
        }),
    ))
}

/// The user's tokens (without secrets).
#[utoipa::path(get, path = "/api/v1/users/{id}/tokens", tag = "accounts",
    responses((status = 200, body = Vec<TokenDto>), (status = 404, body = ErrorBody)))]
pub async fn list_tokens(
    State(st): State<AppState>,
    ApiActor(a): ApiActor,
    Path(id): Path<Uuid>,
) -> Result<Json<Vec<TokenDto>>, ApiError> {
    Ok(Json(
        accounts::list_tokens(&st.svc, &a, id)
            .await?
            .into_iter()
            .map(TokenDto::from)
            .collect(),
    ))
}

/// Revokes a token at once.
#[utoipa::path(delete, path = "/api/v1/tokens/{id}", tag = "accounts",
    responses((status = 204), (status = 404, body = ErrorBody)))]
pub async fn revoke_token(
    State(st): State<AppState>,
    ApiActor(a): ApiActor,
    Path(id): Path<Uuid>,
) -> Result<StatusCode, ApiError> {
    accounts::revoke_token(&st.svc, &a, id).await?;
    Ok(StatusCode::NO_CONTENT)
}
