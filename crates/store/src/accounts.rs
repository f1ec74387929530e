//! User accounts, sessions, API tokens and the login-failure record used for throttling.

use chrono::{DateTime, Utc};
use lianjian_domain::account::Role;
use lianjian_domain::region::RegionCode;
use lianjian_domain::scope::Scope;
use sea_orm::entity::prelude::*;
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{ActiveValue::Set, QueryOrder, QuerySelect};
use serde::Serialize;

use crate::{Page, PageRequest, Result, StoreError};

pub mod user {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "users")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub username: String,
        pub display_name: String,
        pub role: String,
        pub department_id: Uuid,
        pub region_code: String,
        pub certificate_no: Option<String>,
        pub phone: Option<String>,
        pub password_hash: String,
        pub status: String,
        pub is_system: bool,
        pub created_at: DateTimeUtc,
        pub updated_at: DateTimeUtc,
        pub last_login_at: Option<DateTimeUtc>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod session {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "sessions")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub token_hash: String,
        pub user_id: Uuid,
        pub csrf_token: String,
        pub ip: Option<String>,
        pub user_agent: Option<String>,
        pub context_region: Option<String>,
        pub context_line: Option<String>,
        pub created_at: DateTimeUtc,
        pub expires_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod api_token {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "api_tokens")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub user_id: Uuid,
        pub name: String,
        pub token_hash: String,
        pub prefix: String,
        pub created_at: DateTimeUtc,
        pub expires_at: Option<DateTimeUtc>,
        pub revoked_at: Option<DateTimeUtc>,
        pub last_used_at: Option<DateTimeUtc>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod login_failure {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "login_failures")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub username: String,
        pub ip: Option<String>,
        pub at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// `active` users may sign in; `disabled` ones keep their history but cannot.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum UserStatus {
    Active,
    Disabled,
}

impl UserStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Active => "active",
            Self::Disabled => "disabled",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "active" => Some(Self::Active),
            "disabled" => Some(Self::Disabled),
            _ => None,
        }
    }
    pub fn label_zh(self) -> &'static str {
        match self {
            Self::Active => "正常",
            Self::Disabled => "已停用",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct User {
    pub id: Uuid,
    pub username: String,
    pub display_name: String,
    pub role: Role,
    pub department_id: Uuid,
    pub region_code: RegionCode,
    pub certificate_no: Option<String>,
    pub phone: Option<String>,
    #[serde(skip)]
    pub password_hash: String,
    pub status: UserStatus,
    /// A system account (for other systems calling the API with a token), not a person.
    pub is_system: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub last_login_at: Option<DateTime<Utc>>,
}

impl TryFrom<user::Model> for User {
    type Error = StoreError;
    fn try_from(m: user::Model) -> Result<Self> {
        Ok(User {
            role: m
                .role
                .parse()
                .map_err(|e| StoreError::Corrupt(format!("user {}: {e}", m.username)))?,
            region_code: RegionCode::parse(&m.region_code)
                .map_err(|e| StoreError::Corrupt(e.to_string()))?,
            status: UserStatus::parse(&m.status)
                .ok_or_else(|| StoreError::Corrupt(format!("user status {}", m.status)))?,
            id: m.id,
            username: m.username,
            display_name: m.display_name,
            department_id: m.department_id,
            certificate_no: m.certificate_no,
            phone: m.phone,
            password_hash: m.password_hash,
            is_system: m.is_system,
            created_at: m.created_at,
            updated_at: m.updated_at,
            last_login_at: m.last_login_at,
        })
    }
}

fn to_active(u: &User) -> user::ActiveModel {
    user::ActiveModel {
        id: Set(u.id),
        username: Set(u.username.clone()),
        display_name: Set(u.display_name.clone()),
        role: Set(u.role.as_str().into()),
        department_id: Set(u.department_id),
        region_code: Set(u.region_code.to_string()),
        certificate_no: Set(u.certificate_no.clone()),
        phone: Set(u.phone.clone()),
        password_hash: Set(u.password_hash.clone()),
        status: Set(u.status.as_str().into()),
        is_system: Set(u.is_system),
        created_at: Set(u.created_at),
        updated_at: Set(u.updated_at),
        last_login_at: Set(u.last_login_at),
    }
}

fn user_conflict(username: &str) -> impl Fn(DbErr) -> StoreError + '_ {
    move |e| match StoreError::from(e) {
        StoreError::Conflict(_) => StoreError::Conflict(format!("user name {username} is taken")),
        other => other,
    }
}

pub async fn insert_user(c: &impl ConnectionTrait, u: &User) -> Result<()> {
    to_active(u)
        .insert(c)
        .await
        .map_err(user_conflict(&u.username))?;
    Ok(())
}

/// Writes every field of `u` (the caller read it, changed it, and audits before → after).
pub async fn update_user(c: &impl ConnectionTrait, u: &User) -> Result<()> {
    let mut a = to_active(u);
    a.created_at = sea_orm::ActiveValue::NotSet;
    user::Entity::update(a)
        .exec(c)
        .await
        .map_err(user_conflict(&u.username))?;
    Ok(())
}

pub async fn get_user(c: &impl ConnectionTrait, id: Uuid) -> Result<Option<User>> {
    user::Entity::find_by_id(id)
        .one(c)
        .await?
        .map(User::try_from)
        .transpose()
}

pub async fn find_user_by_name(c: &impl ConnectionTrait, username: &str) -> Result<Option<User>> {
    user::Entity::find()
        .filter(user::Column::Username.eq(username))
        .one(c)
        .await?
        .map(User::try_from)
        .transpose()
}

#[derive(Debug, Clone, Default)]
pub struct UserQuery {
    /// Fragment of user name or display name.
    pub q: Option<String>,
    pub role: Option<Role>,
    pub status: Option<UserStatus>,
    pub department_id: Option<Uuid>,
}

fn scoped_users(scope: &Scope) -> sea_orm::Select<user::Entity> {
    let mut s = user::Entity::find();
    if let Some(cond) = crate::scope::expr(
        scope,
        &crate::scope::Shape::department("region_code", "department_id"),
    ) {
        s = s.filter(cond);
    }
    s
}

pub async fn list_users(
    c: &impl ConnectionTrait,
    scope: &Scope,
    q: &UserQuery,
    page: PageRequest,
) -> Result<Page<User>> {
    let mut s = scoped_users(scope);
    if let Some(text) = q.q.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
        s = s.filter(
            user::Column::Username
                .contains(text)
                .or(user::Column::DisplayName.contains(text)),
        );
    }
    if let Some(r) = q.role {
        s = s.filter(user::Column::Role.eq(r.as_str()));
    }
    if let Some(st) = q.status {
        s = s.filter(user::Column::Status.eq(st.as_str()));
    }
    if let Some(d) = q.department_id {
        s = s.filter(user::Column::DepartmentId.eq(d));
    }
    let total = s.clone().count(c).await?;
    let items = s
        .order_by_asc(user::Column::RegionCode)
        .order_by_asc(user::Column::Username)
        .offset(page.offset())
        .limit(page.per_page)
        .all(c)
        .await?
        .into_iter()
        .map(User::try_from)
        .collect::<Result<_>>()?;
    Ok(Page {
        items,
        total,
        page: page.page,
        per_page: page.per_page,
    })
}

/// The user only if in `scope`; out-of-scope and absent look the same.
pub async fn get_user_scoped(
    c: &impl ConnectionTrait,
    scope: &Scope,
    id: Uuid,
) -> Result<Option<User>> {
    scoped_users(scope)
        .filter(user::Column::Id.eq(id))
        .one(c)
        .await?
        .map(User::try_from)
        .transpose()
}

pub async fn count_users(c: &impl ConnectionTrait) -> Result<u64> {
    Ok(user::Entity::find().count(c).await?)
}

pub async fn touch_last_login(c: &impl ConnectionTrait, id: Uuid, at: DateTime<Utc>) -> Result<()> {
    user::Entity::update_many()
        .col_expr(user::Column::LastLoginAt, Expr::value(at))
        .filter(user::Column::Id.eq(id))
        .exec(c)
        .await?;
    Ok(())
}

// ---- sessions ----

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    pub token_hash: String,
    pub user_id: Uuid,
    pub csrf_token: String,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    pub context_region: Option<String>,
    pub context_line: Option<String>,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}

impl From<session::Model> for Session {
    fn from(m: session::Model) -> Self {
        Session {
            token_hash: m.token_hash,
            user_id: m.user_id,
            csrf_token: m.csrf_token,
            ip: m.ip,
            user_agent: m.user_agent,
            context_region: m.context_region,
            context_line: m.context_line,
            created_at: m.created_at,
            expires_at: m.expires_at,
        }
    }
}

pub async fn insert_session(c: &impl ConnectionTrait, s: &Session) -> Result<()> {
    session::ActiveModel {
        token_hash: Set(s.token_hash.clone()),
        user_id: Set(s.user_id),
        csrf_token: Set(s.csrf_token.clone()),
        ip: Set(s.ip.clone()),
        user_agent: Set(s.user_agent.clone()),
        context_region: Set(s.context_region.clone()),
        context_line: Set(s.context_line.clone()),
        created_at: Set(s.created_at),
        expires_at: Set(s.expires_at),
    }
    .insert(c)
    .await?;
    Ok(())
}

/// The session if it exists and has not expired.
pub async fn live_session(
    c: &impl ConnectionTrait,
    token_hash: &str,
    now: DateTime<Utc>,
) -> Result<Option<Session>> {
    Ok(session::Entity::find_by_id(token_hash)
        .filter(session::Column::ExpiresAt.gt(now))
        .one(c)
        .await?
        .map(Session::from))
}

pub async fn delete_session(c: &impl ConnectionTrait, token_hash: &str) -> Result<()> {
    session::Entity::delete_by_id(token_hash).exec(c).await?;
    Ok(())
}

pub async fn delete_sessions_of(c: &impl ConnectionTrait, user_id: Uuid) -> Result<u64> {
    Ok(session::Entity::delete_many()
        .filter(session::Column::UserId.eq(user_id))
        .exec(c)
        .await?
        .rows_affected)
}

pub async fn purge_expired_sessions(c: &impl ConnectionTrait, now: DateTime<Utc>) -> Result<u64> {
    Ok(session::Entity::delete_many()
        .filter(session::Column::ExpiresAt.lte(now))
        .exec(c)
        .await?
        .rows_affected)
}

pub async fn set_session_context(
    c: &impl ConnectionTrait,
    token_hash: &str,
    region: Option<String>,
    line: Option<String>,
) -> Result<()> {
    session::Entity::update_many()
        .col_expr(session::Column::ContextRegion, Expr::value(region))
        .col_expr(session::Column::ContextLine, Expr::value(line))
        .filter(session::Column::TokenHash.eq(token_hash))
        .exec(c)
        .await?;
    Ok(())
}

// ---- API tokens ----

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ApiToken {
    pub id: Uuid,
    pub user_id: Uuid,
    pub name: String,
    #[serde(skip)]
    pub token_hash: String,
    /// The first characters of the token, so people can tell their tokens apart.
    pub prefix: String,
    pub created_at: DateTime<Utc>,
    pub expires_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
    pub last_used_at: Option<DateTime<Utc>>,
}

impl From<api_token::Model> for ApiToken {
    fn from(m: api_token::Model) -> Self {
        ApiToken {
            id: m.id,
            user_id: m.user_id,
            name: m.name,
            token_hash: m.token_hash,
            prefix: m.prefix,
            created_at: m.created_at,
            expires_at: m.expires_at,
            revoked_at: m.revoked_at,
            last_used_at: m.last_used_at,
        }
    }
}

pub async fn insert_token(c: &impl ConnectionTrait, t: &ApiToken) -> Result<()> {
    api_token::ActiveModel {
        id: Set(t.id),
        user_id: Set(t.user_id),
        name: Set(t.name.clone()),
        token_hash: Set(t.token_hash.clone()),
        prefix: Set(t.prefix.clone()),
        created_at: Set(t.created_at),
        expires_at: Set(t.expires_at),
        revoked_at: Set(t.revoked_at),
        last_used_at: Set(t.last_used_at),
    }
    .insert(c)
    .await?;
    Ok(())
}

/// A token that is neither revoked nor expired.
pub async fn live_token(
    c: &impl ConnectionTrait,
    token_hash: &str,
    now: DateTime<Utc>,
) -> Result<Option<ApiToken>> {
    Ok(api_token::Entity::find()
        .filter(api_token::Column::TokenHash.eq(token_hash))
        .filter(api_token::Column::RevokedAt.is_null())
        .filter(
            api_token::Column::ExpiresAt
                .is_null()
                .or(api_token::Column::ExpiresAt.gt(now)),
        )
        .one(c)
        .await?
        .map(ApiToken::from))
}

pub async fn tokens_of(c: &impl ConnectionTrait, user_id: Uuid) -> Result<Vec<ApiToken>> {
    Ok(api_token::Entity::find()
        .filter(api_token::Column::UserId.eq(user_id))
        .order_by_desc(api_token::Column::CreatedAt)
        .all(c)
        .await?
        .into_iter()
        .map(ApiToken::from)
        .collect())
}

pub async fn get_token(c: &impl ConnectionTrait, id: Uuid) -> Result<Option<ApiToken>> {
    Ok(api_token::Entity::find_by_id(id)
        .one(c)
        .await?
        .map(ApiToken::from))
}

pub async fn revoke_token(c: &impl ConnectionTrait, id: Uuid, at: DateTime<Utc>) -> Result<()> {
    api_token::Entity::update_many()
        .col_expr(api_token::Column::RevokedAt, Expr::value(at))
        .filter(api_token::Column::Id.eq(id))
        .exec(c)
        .await?;
    Ok(())
}

/// Records use at most once a minute, so reads through a token do not turn into a write each.
pub async fn touch_token(c: &impl ConnectionTrait, id: Uuid, at: DateTime<Utc>) -> Result<()> {
    let stale = at - chrono::Duration::minutes(1);
    api_token::Entity::update_many()
        .col_expr(api_token::Column::LastUsedAt, Expr::value(at))
        .filter(api_token::Column::Id.eq(id))
        .filter(
            api_token::Column::LastUsedAt
                .is_null()
                .or(api_token::Column::LastUsedAt.lt(stale)),
        )
        .exec(c)
        .await?;
    Ok(())
}

// ---- login throttling ----

pub async fn record_login_failure(
    c: &impl ConnectionTrait,
    username: &str,
    ip: Option<&str>,
    at: DateTime<Utc>,
) -> Result<()> {
    login_failure::ActiveModel {
        id: Set(Uuid::now_v7()),
        username: Set(username.chars().take(64).collect()),
        ip: Set(ip.map(str::to_string)),
        at: Set(at),
    }
    .insert(c)
    .await?;
    Ok(())
}

/// Failures for `username` since `since`, and the time of the latest.
pub async fn login_failures_since(
    c: &impl ConnectionTrait,
    username: &str,
    since: DateTime<Utc>,
) -> Result<(u64, Option<DateTime<Utc>>)> {
    let rows: Option<(i64, Option<DateTimeUtc>)> = login_failure::Entity::find()
        .select_only()
        .column_as(Expr::col(login_failure::Column::Id).count(), "n")
        .column_as(login_failure::Column::At.max(), "latest")
        .filter(login_failure::Column::Username.eq(username))
        .filter(login_failure::Column::At.gt(since))
        .into_tuple()
        .one(c)
        .await?;
    Ok(rows.map_or((0, None), |(n, l)| (u64::try_from(n).unwrap_or(0), l)))
}

pub async fn clear_login_failures(c: &impl ConnectionTrait, username: &str) -> Result<()> {
    login_failure::Entity::delete_many()
        .filter(login_failure::Column::Username.eq(username))
        .exec(c)
        .await?;
    Ok(())
}
