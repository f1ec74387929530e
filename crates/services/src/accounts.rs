//! Accounts (账号): sign-in with throttling, server-side sessions, API tokens for other systems,
//! and user management within the manager's scope.

use std::sync::OnceLock;

use argon2::Argon2;
use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use chrono::{DateTime, Duration, Utc};
use lianjian_domain::Invalid;
use lianjian_domain::account::{self, CertificateNumber, NewPassword, Role, Username};
use lianjian_domain::department::DepartmentStatus;
use lianjian_domain::region::RegionCode;
use lianjian_domain::scope::{Actor, Context, Scope, ScopeFilter};
use lianjian_store::accounts::{self as repo, Session};
use lianjian_store::departments::{self, Department};
use lianjian_store::{Page, PageRequest, regions};
use rand::RngCore;
use serde::Serialize;
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::error::Checker;
use crate::regions::unknown_region;
use crate::trail::{Record, record};
use crate::{Result, ServiceError, Services};

/// Accounts as this service reads and lists them.
pub use lianjian_store::accounts::{ApiToken, User, UserQuery, UserStatus};

/// SHA-256 hex of a secret: sessions and tokens are stored only hashed.
pub fn secret_hash(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

fn random_secret(bytes: usize) -> String {
    let mut b = vec![0u8; bytes];
    rand::rng().fill_bytes(&mut b);
    hex::encode(b)
}

async fn hash_password(p: NewPassword) -> Result<String> {
    tokio::task::spawn_blocking(move || {
        Argon2::default()
            .hash_password(p.expose().as_bytes())
            .map(|h| h.to_string())
            .map_err(|e| {
                ServiceError::internal(lianjian_store::StoreError::Db(format!(
                    "password hashing failed: {e}"
                )))
            })
    })
    .await
    .map_err(|e| ServiceError::internal(lianjian_store::StoreError::Db(e.to_string())))?
}

/// A hash to verify against when the user does not exist, so timing does not tell.
fn dummy_hash() -> &'static str {
    static H: OnceLock<String> = OnceLock::new();
    H.get_or_init(|| {
        Argon2::default()
            .hash_password(b"no such user, no such password")
            .expect("hash")
            .to_string()
    })
}

async fn verify_password(hash: String, password: String) -> bool {
    tokio::task::spawn_blocking(move || {
        PasswordHash::new(&hash).is_ok_and(|h| {
            Argon2::default()
                .verify_password(password.as_bytes(), &h)
                .is_ok()
        })
    })
    .await
    .unwrap_or(false)
}

/// Builds the actor of a user; the department supplies the line.
async fn actor_for(
    c: &impl lianjian_store::Conn,
    u: &User,
    ip: Option<String>,
    context: Option<Context>,
) -> Result<Actor> {
    let d = departments::get(c, u.department_id)
        .await?
        .ok_or(ServiceError::Unauthenticated)?;
    Ok(Actor {
        user_id: u.id,
        username: u.username.clone(),
        display_name: u.display_name.clone(),
        role: u.role,
        department_id: u.department_id,
        department_line: d.line,
        region: u.region_code.clone(),
        ip,
        context,
    })
}

/// The actor of an existing account by user name (the demo acts as its inspectors).
pub(crate) async fn actor_of_user(svc: &Services, username: &str) -> Result<Actor> {
    let u = repo::find_user_by_name(svc.store.conn(), username)
        .await?
        .ok_or(ServiceError::NotFound)?;
    actor_for(svc.store.conn(), &u, None, None).await
}

/// What a successful sign-in hands back: the session secret goes into a cookie, never stored.
#[derive(Debug, Clone)]
pub struct SignedIn {
    pub token: String,
    pub csrf_token: String,
    pub expires_at: DateTime<Utc>,
    pub actor: Actor,
}

/// A live console session.
#[derive(Debug, Clone)]
pub struct SessionAuth {
    pub actor: Actor,
    pub csrf_token: String,
    pub token_hash: String,
    pub expires_at: DateTime<Utc>,
}

/// Checks the password, refusing after too many recent failures for that user name.
/// Failures and successes are both audited (security events).
pub async fn login(
    svc: &Services,
    username: &str,
    password: &str,
    ip: Option<String>,
    user_agent: Option<String>,
) -> Result<SignedIn> {
    // Bounded: whatever is typed, it is stored, counted and audited as the same 64 characters.
    let name: String = username
        .trim()
        .to_ascii_lowercase()
        .chars()
        .take(64)
        .collect();
    if name.is_empty() || password.is_empty() {
        let mut ch = Checker::default();
        if name.is_empty() {
            ch.push(
                "username",
                Invalid::new("required", "请输入用户名", "user name is required"),
            );
        }
        if password.is_empty() {
            ch.push(
                "password",
                Invalid::new("required", "请输入密码", "password is required"),
            );
        }
        ch.finish()?;
    }
    let now = Utc::now();
    let sec = &svc.security;
    let window_start = now - Duration::minutes(sec.lockout_minutes);
    let (failures, latest) =
        repo::login_failures_since(svc.store.conn(), &name, window_start).await?;
    if failures >= sec.max_login_failures {
        let until = latest.unwrap_or(now) + Duration::minutes(sec.lockout_minutes);
        return Err(ServiceError::Throttled {
            retry_after_secs: (until - now).num_seconds().max(1) as u64,
        });
    }

    let user = repo::find_user_by_name(svc.store.conn(), &name).await?;
    let hash = user
        .as_ref()
        .map_or_else(|| dummy_hash().to_string(), |u| u.password_hash.clone());
    let ok = verify_password(hash, password.to_string()).await;
    let user = match user {
        Some(u) if ok && u.status == UserStatus::Active && !u.is_system => u,
        other => {
            let tx = svc.store.begin().await?;
            repo::record_login_failure(&tx, &name, ip.as_deref(), now).await?;
            let who = Actor {
                user_id: Uuid::nil(),
                username: name.clone(),
                display_name: String::new(),
                role: other.as_ref().map_or(Role::Inspector, |u| u.role),
                department_id: Uuid::nil(),
                department_line: String::new(),
                region: other.as_ref().map_or_else(
                    || RegionCode::parse("11").expect("valid"),
                    |u| u.region_code.clone(),
                ),
                ip: ip.clone(),
                context: None,
            };
            let reason = match &other {
                None => "unknown_user",
                Some(u) if u.status != UserStatus::Active => "disabled",
                Some(u) if u.is_system => "system_account",
                Some(_) => "wrong_password",
            };
            let mut r = Record::new("auth.login_failed", "user", &name).after(
                &serde_json::json!({ "reason": reason, "failures_in_window": failures + 1 }),
            );
            if let Some(u) = &other {
                r = r.at(&u.region_code, Some(u.department_id));
            }
            record(&tx, &who, r).await?;
            tx.commit().await?;
            return Err(ServiceError::BadCredentials);
        }
    };

    let token = random_secret(32);
    let csrf_token = random_secret(32);
    let expires_at = now + Duration::hours(sec.session_hours);
    let tx = svc.store.begin().await?;
    repo::clear_login_failures(&tx, &name).await?;
    repo::insert_session(
        &tx,
        &Session {
            token_hash: secret_hash(&token),
            user_id: user.id,
            csrf_token: csrf_token.clone(),
            ip: ip.clone(),
            user_agent: user_agent.map(|a| a.chars().take(255).collect()),
            context_region: None,
            context_line: None,
            created_at: now,
            expires_at,
        },
    )
    .await?;
    repo::touch_last_login(&tx, user.id, now).await?;
    let actor = actor_for(&tx, &user, ip, None).await?;
    record(
        &tx,
        &actor,
        Record::new("auth.login", "user", user.id).at(&user.region_code, Some(user.department_id)),
    )
    .await?;
    tx.commit().await?;
    Ok(SignedIn {
        token,
        csrf_token,
        expires_at,
        actor,
    })
}

/// The session behind a cookie value, if it is live and its user still active.
pub async fn authenticate_session(
    svc: &Services,
    token: &str,
    ip: Option<String>,
) -> Result<SessionAuth> {
    let c = svc.store.conn();
    let hash = secret_hash(token);
    let s = repo::live_session(c, &hash, Utc::now())
        .await?
        .ok_or(ServiceError::Unauthenticated)?;
    let u = repo::get_user(c, s.user_id)
        .await?
        .ok_or(ServiceError::Unauthenticated)?;
    if u.status != UserStatus::Active {
        return Err(ServiceError::Unauthenticated);
    }
    let context = match s.context_region.as_deref().map(RegionCode::parse) {
        Some(Ok(region)) => Some(Context {
            region,
            department_line: s.context_line.clone(),
        }),
        _ => None,
    };
    let actor = actor_for(c, &u, ip, context).await?;
    Ok(SessionAuth {
        actor,
        csrf_token: s.csrf_token,
        token_hash: hash,
        expires_at: s.expires_at,
    })
}

pub async fn logout(svc: &Services, auth: &SessionAuth) -> Result<()> {
    let tx = svc.store.begin().await?;
    repo::delete_session(&tx, &auth.token_hash).await?;
    record(
        &tx,
        &auth.actor,
        Record::new("auth.logout", "user", auth.actor.user_id),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// The actor behind an `Authorization: Bearer` token.
pub async fn authenticate_token(svc: &Services, token: &str, ip: Option<String>) -> Result<Actor> {
    let c = svc.store.conn();
    let now = Utc::now();
    let t = repo::live_token(c, &secret_hash(token.trim()), now)
        .await?
        .ok_or(ServiceError::Unauthenticated)?;
    let u = repo::get_user(c, t.user_id)
        .await?
        .ok_or(ServiceError::Unauthenticated)?;
    if u.status != UserStatus::Active {
        return Err(ServiceError::Unauthenticated);
    }
    repo::touch_token(c, t.id, now).await?;
    actor_for(c, &u, ip, None).await
}

/// Narrows what the console shows to a region (and optionally a department line) inside the
/// user's scope; `None` returns to the full scope.
pub async fn set_context(
    svc: &Services,
    auth: &SessionAuth,
    region: Option<&str>,
    line: Option<&str>,
) -> Result<()> {
    let a = &auth.actor;
    if !a.role.may_switch_context() {
        return Err(ServiceError::Forbidden);
    }
    let (region, line) = match region.map(str::trim).filter(|r| !r.is_empty()) {
        None => (None, None),
        Some(r) => {
            let code = RegionCode::parse(r).map_err(|e| ServiceError::field("region", e))?;
            if regions::get(svc.store.conn(), &code).await?.is_none() {
                return Err(unknown_region("region", &code));
            }
            let line = line
                .map(str::trim)
                .filter(|l| !l.is_empty())
                .map(str::to_string);
            let full = a.full_scope();
            let narrowed = ScopeFilter {
                region: Some(code.clone()),
                line: line.clone().or(full.line.clone()),
            };
            if !narrowed.is_within(&full) {
                return Err(ServiceError::field(
                    "region",
                    Invalid::new(
                        "outside_scope",
                        "所选范围超出您的权限范围",
                        "the chosen context is outside your scope",
                    ),
                ));
            }
            (Some(code.to_string()), line)
        }
    };
    repo::set_session_context(svc.store.conn(), &auth.token_hash, region, line).await?;
    Ok(())
}

fn ensure_writer(a: &Actor) -> Result<()> {
    if a.role.is_read_only() {
        Err(ServiceError::Forbidden)
    } else {
        Ok(())
    }
}

fn ensure_manager(a: &Actor) -> Result<()> {
    ensure_writer(a)?;
    if a.role.manages_users() {
        Ok(())
    } else {
        Err(ServiceError::Forbidden)
    }
}

/// A user as shown to others, with the department's name.
#[derive(Debug, Clone, Serialize)]
pub struct UserView {
    #[serde(flatten)]
    pub user: User,
    pub department_name: String,
}

/// Raw input of the user form or API; every field is parsed here.
#[derive(Debug, Clone, Default)]
pub struct UserInput {
    pub username: String,
    pub display_name: String,
    pub role: String,
    pub department_id: String,
    pub certificate_no: String,
    pub phone: String,
    /// Only on creation.
    pub password: String,
    pub is_system: bool,
}

struct ParsedUser {
    display_name: String,
    role: Role,
    department: Department,
    certificate_no: Option<String>,
    phone: Option<String>,
}

/// Parses the shared fields and checks that the department is in the actor's scope and the
/// role within what the actor may grant.
async fn parse_user_fields(
    svc: &Services,
    actor: &Actor,
    input: &UserInput,
    ch: &mut Checker,
) -> Result<Option<ParsedUser>> {
    let display_name = ch.check("display_name", account::display_name(&input.display_name));
    let role = ch.check("role", input.role.parse::<Role>());
    if let Some(r) = role
        && !actor.role.may_grant(r)
    {
        ch.push(
            "role",
            Invalid::new(
                "role_not_grantable",
                format!("您不能授予“{}”角色", r.label_zh()),
                format!("you may not grant role {r}"),
            ),
        );
    }
    let certificate_no = match role {
        Some(Role::Inspector) => ch
            .check(
                "certificate_no",
                CertificateNumber::parse(&input.certificate_no),
            )
            .map(|c| Some(c.as_str().to_string())),
        _ if input.certificate_no.trim().is_empty() => Some(None),
        _ => ch
            .check(
                "certificate_no",
                CertificateNumber::parse(&input.certificate_no),
            )
            .map(|c| Some(c.as_str().to_string())),
    };
    let phone = ch.check("phone", account::phone(&input.phone));
    let department = match Uuid::parse_str(input.department_id.trim()) {
        Err(_) => {
            ch.push(
                "department_id",
                Invalid::new("required", "请选择所属部门", "department is required"),
            );
            None
        }
        Ok(id) => {
            // The department must lie in what the actor manages: region subtree, own line for department admins.
            match departments::get(svc.store.conn(), id).await? {
                Some(d)
                    if actor.full_scope().permits(&d.region_code, Some(&d.line))
                        && d.status == DepartmentStatus::Active =>
                {
                    Some(d)
                }
                _ => {
                    ch.push(
                        "department_id",
                        Invalid::new(
                            "unknown_department",
                            "所选部门不存在、已撤销或不在您的管理范围内",
                            "department does not exist, is retired, or is outside your scope",
                        ),
                    );
                    None
                }
            }
        }
    };
    match (display_name, role, department, certificate_no, phone) {
        (Some(display_name), Some(role), Some(department), Some(certificate_no), Some(phone)) => {
            Ok(Some(ParsedUser {
                display_name,
                role,
                department,
                certificate_no,
                phone,
            }))
        }
        _ => Ok(None),
    }
}

pub async fn create_user(svc: &Services, actor: &Actor, input: UserInput) -> Result<UserView> {
    ensure_manager(actor)?;
    let mut ch = Checker::default();
    let username = ch.check("username", Username::parse(&input.username));
    let password = if input.is_system {
        // System accounts sign in with API tokens only; give them an unguessable password.
        Some(NewPassword::parse(&format!("Sys-{}", random_secret(24))).expect("policy"))
    } else {
        ch.check("password", NewPassword::parse(&input.password))
    };
    let parsed = parse_user_fields(svc, actor, &input, &mut ch).await?;
    ch.finish()?;
    let (username, password, p) = (
        username.expect("checked"),
        password.expect("checked"),
        parsed.expect("checked"),
    );
    if repo::find_user_by_name(svc.store.conn(), username.as_str())
        .await?
        .is_some()
    {
        return Err(taken(&username));
    }
    let password_hash = hash_password(password).await?;
    let now = Utc::now();
    let user = User {
        id: Uuid::now_v7(),
        username: username.as_str().to_string(),
        display_name: p.display_name,
        role: p.role,
        department_id: p.department.id,
        region_code: p.department.region_code.clone(),
        certificate_no: p.certificate_no,
        phone: p.phone,
        password_hash,
        status: UserStatus::Active,
        is_system: input.is_system,
        created_at: now,
        updated_at: now,
        last_login_at: None,
    };
    let tx = svc.store.begin().await?;
    repo::insert_user(&tx, &user).await.map_err(|e| match e {
        lianjian_store::StoreError::Conflict(_) => taken(&username),
        other => other.into(),
    })?;
    record(
        &tx,
        actor,
        Record::new("user.create", "user", user.id)
            .at(&user.region_code, Some(user.department_id))
            .after(&user),
    )
    .await?;
    tx.commit().await?;
    Ok(UserView {
        user,
        department_name: p.department.name,
    })
}

fn taken(u: &Username) -> ServiceError {
    ServiceError::conflict(
        "username",
        format!("用户名“{u}”已被使用"),
        format!("user name '{u}' is taken"),
    )
}

/// Active departments a manager may put users in: those of their whole scope (own line for
/// department administrators), whatever console context is chosen.
pub async fn assignable_departments(svc: &Services, actor: &Actor) -> Result<Vec<Department>> {
    let q = departments::DepartmentQuery {
        status: Some(DepartmentStatus::Active),
        ..Default::default()
    };
    Ok(departments::list(
        svc.store.conn(),
        &Scope::ignoring_context(actor),
        &q,
        PageRequest::new(Some(1), Some(PageRequest::MAX_PER_PAGE)),
    )
    .await?
    .items)
}

/// Loads a user the actor manages: out of scope looks like absent.
async fn managed_user(svc: &Services, actor: &Actor, id: Uuid) -> Result<User> {
    let u = repo::get_user_scoped(svc.store.conn(), &Scope::ignoring_context(actor), id)
        .await?
        .ok_or(ServiceError::NotFound)?;
    if !actor.role.may_grant(u.role) {
        return Err(ServiceError::Forbidden);
    }
    Ok(u)
}

pub async fn update_user(
    svc: &Services,
    actor: &Actor,
    id: Uuid,
    input: UserInput,
) -> Result<UserView> {
    ensure_manager(actor)?;
    let before = managed_user(svc, actor, id).await?;
    let mut ch = Checker::default();
    let parsed = parse_user_fields(svc, actor, &input, &mut ch).await?;
    if before.id == actor.user_id && parsed.as_ref().is_some_and(|p| p.role != before.role) {
        ch.push(
            "role",
            Invalid::new(
                "own_role",
                "不能修改自己的角色",
                "you cannot change your own role",
            ),
        );
    }
    ch.finish()?;
    let p = parsed.expect("checked");
    let tx = svc.store.begin().await?;
    // Re-read under the write lock so a concurrent change (say, a password reset) is kept.
    let before = repo::get_user(&tx, before.id)
        .await?
        .ok_or(ServiceError::NotFound)?;
    let mut after = before.clone();
    after.display_name = p.display_name;
    after.role = p.role;
    after.department_id = p.department.id;
    after.region_code = p.department.region_code.clone();
    after.certificate_no = p.certificate_no;
    after.phone = p.phone;
    after.updated_at = Utc::now();
    repo::update_user(&tx, &after).await?;
    record(
        &tx,
        actor,
        Record::new("user.update", "user", id)
            .at(&after.region_code, Some(after.department_id))
            .before(&before)
            .after(&after),
    )
    .await?;
    tx.commit().await?;
    Ok(UserView {
        user: after,
        department_name: p.department.name,
    })
}

/// Disables or re-enables an account; disabling also ends its sessions.
pub async fn set_user_status(
    svc: &Services,
    actor: &Actor,
    id: Uuid,
    status: UserStatus,
) -> Result<User> {
    ensure_manager(actor)?;
    if id == actor.user_id {
        return Err(ServiceError::field(
            "status",
            Invalid::new(
                "own_account",
                "不能停用或启用自己的账号",
                "you cannot change the status of your own account",
            ),
        ));
    }
    managed_user(svc, actor, id).await?;
    let tx = svc.store.begin().await?;
    let before = repo::get_user(&tx, id)
        .await?
        .ok_or(ServiceError::NotFound)?;
    let mut after = before.clone();
    after.status = status;
    after.updated_at = Utc::now();
    repo::update_user(&tx, &after).await?;
    if status == UserStatus::Disabled {
        repo::delete_sessions_of(&tx, id).await?;
    }
    let action = if status == UserStatus::Disabled {
        "user.disable"
    } else {
        "user.enable"
    };
    record(
        &tx,
        actor,
        Record::new(action, "user", id)
            .at(&after.region_code, Some(after.department_id))
            .before(&before)
            .after(&after),
    )
    .await?;
    tx.commit().await?;
    Ok(after)
}

/// Sets a new password chosen by an administrator and ends the user's sessions.
pub async fn reset_password(
    svc: &Services,
    actor: &Actor,
    id: Uuid,
    new_password: &str,
) -> Result<()> {
    ensure_manager(actor)?;
    let password =
        NewPassword::parse(new_password).map_err(|e| ServiceError::field("password", e))?;
    managed_user(svc, actor, id).await?;
    let password_hash = hash_password(password).await?;
    let tx = svc.store.begin().await?;
    let mut u = repo::get_user(&tx, id)
        .await?
        .ok_or(ServiceError::NotFound)?;
    u.password_hash = password_hash;
    u.updated_at = Utc::now();
    repo::update_user(&tx, &u).await?;
    repo::delete_sessions_of(&tx, id).await?;
    record(
        &tx,
        actor,
        Record::new("user.reset_password", "user", id).at(&u.region_code, Some(u.department_id)),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Any signed-in person changes their own password, proving the current one.
pub async fn change_own_password(
    svc: &Services,
    actor: &Actor,
    current: &str,
    new_password: &str,
) -> Result<()> {
    let mut u = repo::get_user(svc.store.conn(), actor.user_id)
        .await?
        .ok_or(ServiceError::Unauthenticated)?;
    let mut ch = Checker::default();
    if !verify_password(u.password_hash.clone(), current.to_string()).await {
        ch.push(
            "current_password",
            Invalid::new(
                "wrong_password",
                "当前密码不正确",
                "current password is wrong",
            ),
        );
    }
    let password = ch.check("password", NewPassword::parse(new_password));
    ch.finish()?;
    u.password_hash = hash_password(password.expect("checked")).await?;
    u.updated_at = Utc::now();
    let tx = svc.store.begin().await?;
    repo::update_user(&tx, &u).await?;
    record(
        &tx,
        actor,
        Record::new("user.change_password", "user", u.id),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

async fn with_department_names(svc: &Services, users: Vec<User>) -> Result<Vec<UserView>> {
    let ids: Vec<Uuid> = users.iter().map(|u| u.department_id).collect();
    let names = departments::by_ids(svc.store.conn(), &ids).await?;
    Ok(users
        .into_iter()
        .map(|u| UserView {
            department_name: names
                .get(&u.department_id)
                .map(|d| d.name.clone())
                .unwrap_or_default(),
            user: u,
        })
        .collect())
}

pub async fn list_users(
    svc: &Services,
    actor: &Actor,
    q: &UserQuery,
    page: PageRequest,
) -> Result<Page<UserView>> {
    if !actor.role.manages_users() && actor.role != Role::Leader {
        return Err(ServiceError::Forbidden);
    }
    let p = repo::list_users(svc.store.conn(), &Scope::of(actor), q, page).await?;
    let items = with_department_names(svc, p.items).await?;
    Ok(Page {
        items,
        total: p.total,
        page: p.page,
        per_page: p.per_page,
    })
}

/// Columns of the user export.
pub const USER_EXPORT_HEADERS: [&str; 8] = [
    "用户名",
    "姓名",
    "角色",
    "部门",
    "地区",
    "执法证号",
    "状态",
    "最近登录",
];

/// The user list with its filters, every page, as xlsx. Who may list may export; the file
/// carries personal data out of the system, so, like [`get_user`], the export is audited
/// (`user.export`, with the filters and the row count).
pub async fn export_users(svc: &Services, actor: &Actor, q: &UserQuery) -> Result<Vec<u8>> {
    if !actor.role.manages_users() && actor.role != Role::Leader {
        return Err(ServiceError::Forbidden);
    }
    let scope = Scope::of(actor);
    let mut users = Vec::new();
    let mut page = 1;
    loop {
        let p = repo::list_users(
            svc.store.conn(),
            &scope,
            q,
            PageRequest::new(Some(page), Some(PageRequest::MAX_PER_PAGE)),
        )
        .await?;
        let n = p.items.len() as u64;
        users.extend(p.items);
        if n < p.per_page {
            break;
        }
        page += 1;
    }
    let views = with_department_names(svc, users).await?;
    let codes = views
        .iter()
        .map(|v| v.user.region_code.to_string())
        .collect();
    let regions = crate::sheets::region_names(svc, codes).await?;
    let rows: Vec<Vec<String>> = views
        .into_iter()
        .map(|v| {
            let u = v.user;
            vec![
                u.username,
                u.display_name,
                u.role.label_zh().to_string(),
                v.department_name,
                regions
                    .get(u.region_code.as_str())
                    .cloned()
                    .unwrap_or_else(|| u.region_code.to_string()),
                u.certificate_no.unwrap_or_default(),
                u.status.label_zh().to_string(),
                u.last_login_at
                    .as_ref()
                    .map(crate::sheets::beijing_time)
                    .unwrap_or_default(),
            ]
        })
        .collect();
    let tx = svc.store.begin().await?;
    record(
        &tx,
        actor,
        Record::new("user.export", "user", format!("{} rows", rows.len())).after(
            &serde_json::json!({
                "q": q.q, "role": q.role.map(Role::as_str),
                "status": q.status.map(UserStatus::as_str),
                "department_id": q.department_id, "rows": rows.len(),
            }),
        ),
    )
    .await?;
    tx.commit().await?;
    Ok(crate::sheets::xlsx_table(
        "用户",
        &USER_EXPORT_HEADERS,
        rows,
    ))
}

/// One user's full record. Contact data and certificate numbers are personal data, so this
/// read is restricted: it is audited.
pub async fn get_user(svc: &Services, actor: &Actor, id: Uuid) -> Result<UserView> {
    if !actor.role.manages_users() && actor.role != Role::Leader && actor.user_id != id {
        return Err(ServiceError::Forbidden);
    }
    // One's own record is always one's own to read.
    let u = if actor.user_id == id {
        repo::get_user(svc.store.conn(), id).await?
    } else {
        repo::get_user_scoped(svc.store.conn(), &Scope::of(actor), id).await?
    }
    .ok_or(ServiceError::NotFound)?;
    let tx = svc.store.begin().await?;
    record(
        &tx,
        actor,
        Record::new("user.view", "user", id).at(&u.region_code, Some(u.department_id)),
    )
    .await?;
    tx.commit().await?;
    Ok(with_department_names(svc, vec![u]).await?.remove(0))
}

/// A new API token; the secret is returned once and stored only hashed.
pub async fn create_token(
    svc: &Services,
    actor: &Actor,
    user_id: Uuid,
    name: &str,
    valid_days: Option<i64>,
) -> Result<(ApiToken, String)> {
    ensure_writer(actor)?;
    let name = lianjian_domain::error::bounded_text(name, 1, 64, "令牌名称", "token name")
        .map_err(|e| ServiceError::field("name", e))?;
    if let Some(d) = valid_days
        && !(1..=3650).contains(&d)
    {
        return Err(ServiceError::field(
            "valid_days",
            Invalid::new(
                "out_of_range",
                "有效期应为 1–3650 天",
                "validity must be 1–3650 days",
            ),
        ));
    }
    let owner = if user_id == actor.user_id {
        repo::get_user(svc.store.conn(), user_id)
            .await?
            .ok_or(ServiceError::NotFound)?
    } else {
        ensure_manager(actor)?;
        managed_user(svc, actor, user_id).await?
    };
    let secret = format!("lj_{}", random_secret(20));
    let now = Utc::now();
    let token = ApiToken {
        id: Uuid::now_v7(),
        user_id: owner.id,
        name,
        token_hash: secret_hash(&secret),
        prefix: secret[..10].to_string(),
        created_at: now,
        expires_at: valid_days.map(|d| now + Duration::days(d)),
        revoked_at: None,
        last_used_at: None,
    };
    let tx = svc.store.begin().await?;
    repo::insert_token(&tx, &token).await?;
    record(
        &tx,
        actor,
        Record::new("token.create", "api_token", token.id)
            .at(&owner.region_code, Some(owner.department_id))
            .after(&token),
    )
    .await?;
    tx.commit().await?;
    Ok((token, secret))
}

pub async fn list_tokens(svc: &Services, actor: &Actor, user_id: Uuid) -> Result<Vec<ApiToken>> {
    if user_id != actor.user_id {
        ensure_manager(actor)?;
        managed_user(svc, actor, user_id).await?;
    }
    Ok(repo::tokens_of(svc.store.conn(), user_id).await?)
}

pub async fn revoke_token(svc: &Services, actor: &Actor, token_id: Uuid) -> Result<()> {
    ensure_writer(actor)?;
    let t = repo::get_token(svc.store.conn(), token_id)
        .await?
        .ok_or(ServiceError::NotFound)?;
    let owner = if t.user_id == actor.user_id {
        repo::get_user(svc.store.conn(), t.user_id)
            .await?
            .ok_or(ServiceError::NotFound)?
    } else {
        ensure_manager(actor)?;
        managed_user(svc, actor, t.user_id)
            .await
            .map_err(|_| ServiceError::NotFound)?
    };
    let tx = svc.store.begin().await?;
    repo::revoke_token(&tx, token_id, Utc::now()).await?;
    record(
        &tx,
        actor,
        Record::new("token.revoke", "api_token", token_id)
            .at(&owner.region_code, Some(owner.department_id)),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Finds a user by name within the actor's scope (for the CLI's `user disable NAME`).
pub async fn find_user(svc: &Services, actor: &Actor, username: &str) -> Result<User> {
    let u = repo::find_user_by_name(svc.store.conn(), &username.trim().to_ascii_lowercase())
        .await?
        .ok_or(ServiceError::NotFound)?;
    if !actor.full_scope().permits(&u.region_code, None) {
        return Err(ServiceError::NotFound);
    }
    Ok(u)
}
