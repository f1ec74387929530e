//! User management pages and API tokens.

use std::collections::BTreeMap;

use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use lianjian_services::accounts::{self, SessionAuth, UserInput, UserView};
use lianjian_services::accounts::{ApiToken, UserStatus};
use lianjian_services::{ServiceError, Services};
use serde::Deserialize;
use uuid::Uuid;

use super::{
    Chrome, ConsoleError, CsrfForm, Pager, PathId, form_errors, local, local_opt, render,
    role_options, see_other,
};
use crate::AppState;
use crate::api::users::{UserFilter, user_query};
use crate::extract::Console;

pub struct Row {
    id: Uuid,
    username: String,
    display_name: String,
    role: String,
    department: String,
    region: String,
    certificate: String,
    status: String,
    active: bool,
    last_login: String,
}

#[derive(Template)]
#[template(path = "console/users.html")]
struct ListPage {
    c: Chrome,
    rows: Vec<Row>,
    pager: Pager,
    q: String,
    role: String,
    status: String,
    roles: Vec<(String, String)>,
}

#[derive(Deserialize)]
pub struct ListQuery {
    q: Option<String>,
    role: Option<String>,
    status: Option<String>,
    page: Option<u64>,
    ok: Option<String>,
}

pub async fn list(
    State(st): State<AppState>,
    Console(s): Console,
    Query(lq): Query<ListQuery>,
) -> Result<Response, ConsoleError> {
    let filter = UserFilter {
        q: lq.q.clone(),
        role: lq.role.clone(),
        status: lq.status.clone(),
        department_id: None,
    };
    let q = match user_query(&filter) {
        Ok(q) => q,
        Err(_) => Default::default(),
    };
    let page = accounts::list_users(
        &st.svc,
        &s.actor,
        &q,
        lianjian_services::PageRequest::new(lq.page, Some(20)),
    )
    .await?;
    let (q_s, role_s, status_s) = (
        lq.q.unwrap_or_default(),
        lq.role.unwrap_or_default(),
        lq.status.unwrap_or_default(),
    );
    let pager = Pager::new(
        &page,
        &[("q", &q_s), ("role", &role_s), ("status", &status_s)],
    );
    let rows = page
        .items
        .into_iter()
        .map(|v| Row {
            id: v.user.id,
            username: v.user.username,
            display_name: v.user.display_name,
            role: v.user.role.label_zh().into(),
            department: v.department_name,
            region: v.user.region_code.to_string(),
            certificate: v.user.certificate_no.unwrap_or_default(),
            status: v.user.status.label_zh().into(),
            active: v.user.status == UserStatus::Active,
            last_login: local_opt(&v.user.last_login_at),
        })
        .collect();
    let c = Chrome::new(&st.svc, &s, "users")
        .await
        .with_notice(lq.ok.as_deref());
    Ok(render(ListPage {
        c,
        rows,
        pager,
        q: q_s,
        role: role_s,
        status: status_s,
        roles: role_options(),
    }))
}

/// The user list with its current filters (every page) as xlsx; audited as `user.export`.
pub async fn export(
    State(st): State<AppState>,
    Console(s): Console,
    Query(lq): Query<ListQuery>,
) -> Result<Response, ConsoleError> {
    let filter = UserFilter {
        q: lq.q.clone(),
        role: lq.role.clone(),
        status: lq.status.clone(),
        department_id: None,
    };
    // As the list: a filter that does not parse is no filter.
    let q = user_query(&filter).unwrap_or_default();
    let b = accounts::export_users(&st.svc, &s.actor, &q).await?;
    Ok(super::exchange::xlsx("用户列表.xlsx", b))
}

#[derive(Debug, Default, Deserialize)]
pub struct UserForm {
    #[serde(default)]
    username: String,
    #[serde(default)]
    display_name: String,
    #[serde(default)]
    role: String,
    #[serde(default)]
    department_id: String,
    #[serde(default)]
    certificate_no: String,
    #[serde(default)]
    phone: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    is_system: Option<String>,
}

struct FormValues {
    username: String,
    display_name: String,
    role: String,
    department_id: String,
    certificate_no: String,
    phone: String,
    is_system: bool,
}

#[derive(Template)]
#[template(path = "console/user_form.html")]
struct FormPage {
    c: Chrome,
    title: String,
    action: String,
    is_new: bool,
    f: FormValues,
    errors: BTreeMap<String, String>,
    roles: Vec<(String, String)>,
    departments: Vec<(String, String)>,
}

/// Departments a manager may put users in: those of their scope (own line for department admins).
async fn department_options(svc: &Services, s: &SessionAuth) -> Vec<(String, String)> {
    let mut out = Vec::new();
    if let Ok(ds) = accounts::assignable_departments(svc, &s.actor).await {
        for d in ds {
            let region = crate::regions::name(svc, d.region_code.as_str()).await;
            out.push((d.id.to_string(), format!("{}（{region}）", d.name)));
        }
    }
    out
}

async fn form_page(
    st: &AppState,
    s: &SessionAuth,
    id: Option<Uuid>,
    f: FormValues,
    errors: BTreeMap<String, String>,
) -> Response {
    let c = Chrome::new(&st.svc, s, "users").await;
    let departments = department_options(&st.svc, s).await;
    let roles = role_options()
        .into_iter()
        .filter(|(k, _)| k.parse().is_ok_and(|r| s.actor.role.may_grant(r)))
        .collect();
    let (title, action) = match id {
        Some(id) => ("编辑用户".to_string(), format!("/console/users/{id}")),
        None => ("新建用户".to_string(), "/console/users".to_string()),
    };
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    (
        status,
        render(FormPage {
            c,
            title,
            action,
            is_new: id.is_none(),
            f,
            errors,
            roles,
            departments,
        }),
    )
        .into_response()
}

pub async fn new_form(
    State(st): State<AppState>,
    Console(s): Console,
) -> Result<Response, ConsoleError> {
    if !s.actor.role.manages_users() {
        return Err(ConsoleError::forbidden());
    }
    let f = FormValues {
        username: String::new(),
        display_name: String::new(),
        role: "inspector".into(),
        department_id: s.actor.department_id.to_string(),
        certificate_no: String::new(),
        phone: String::new(),
        is_system: false,
    };
    Ok(form_page(&st, &s, None, f, BTreeMap::new()).await)
}

fn values(f: &UserForm) -> FormValues {
    FormValues {
        username: f.username.clone(),
        display_name: f.display_name.clone(),
        role: f.role.clone(),
        department_id: f.department_id.clone(),
        certificate_no: f.certificate_no.clone(),
        phone: f.phone.clone(),
        is_system: f.is_system.is_some(),
    }
}

fn input(f: UserForm) -> UserInput {
    UserInput {
        username: f.username,
        display_name: f.display_name,
        role: f.role,
        department_id: f.department_id,
        certificate_no: f.certificate_no,
        phone: f.phone,
        password: f.password,
        is_system: f.is_system.is_some(),
    }
}

pub async fn create(
    State(st): State<AppState>,
    Console(s): Console,
    CsrfForm(f): CsrfForm<UserForm>,
) -> Result<Response, ConsoleError> {
    let v = values(&f);
    match accounts::create_user(&st.svc, &s.actor, input(f)).await {
        Ok(u) => Ok(see_other(&format!(
            "/console/users/{}?ok=created",
            u.user.id
        ))),
        Err(e) => {
            let errs = form_errors(e)?;
            Ok(form_page(&st, &s, None, v, errs).await)
        }
    }
}

pub async fn edit_form(
    State(st): State<AppState>,
    Console(s): Console,
    PathId(id): PathId,
) -> Result<Response, ConsoleError> {
    match accounts::get_user(&st.svc, &s.actor, id).await {
        Ok(v) if s.actor.role.manages_users() => {
            let f = FormValues {
                username: v.user.username,
                display_name: v.user.display_name,
                role: v.user.role.as_str().into(),
                department_id: v.user.department_id.to_string(),
                certificate_no: v.user.certificate_no.unwrap_or_default(),
                phone: v.user.phone.unwrap_or_default(),
                is_system: v.user.is_system,
            };
            Ok(form_page(&st, &s, Some(id), f, BTreeMap::new()).await)
        }
        Ok(_) => Err(ConsoleError::forbidden()),
        Err(e) => Err(e.into()),
    }
}

pub async fn update(
    State(st): State<AppState>,
    Console(s): Console,
    PathId(id): PathId,
    CsrfForm(f): CsrfForm<UserForm>,
) -> Result<Response, ConsoleError> {
    let v = values(&f);
    match accounts::update_user(&st.svc, &s.actor, id, input(f)).await {
        Ok(_) => Ok(see_other(&format!("/console/users/{id}?ok=saved"))),
        Err(e) => {
            let errs = form_errors(e)?;
            Ok(form_page(&st, &s, Some(id), v, errs).await)
        }
    }
}

pub struct TokenRow {
    pub(crate) id: Uuid,
    pub(crate) name: String,
    pub(crate) prefix: String,
    pub(crate) created: String,
    pub(crate) expires: String,
    pub(crate) last_used: String,
    pub(crate) live: bool,
}

pub fn token_rows(tokens: Vec<ApiToken>) -> Vec<TokenRow> {
    let now = chrono::Utc::now();
    tokens
        .into_iter()
        .map(|t| TokenRow {
            id: t.id,
            live: t.revoked_at.is_none() && t.expires_at.is_none_or(|e| e > now),
            name: t.name,
            prefix: t.prefix,
            created: local(&t.created_at),
            expires: t
                .expires_at
                .as_ref()
                .map(local)
                .unwrap_or_else(|| "长期".into()),
            last_used: local_opt(&t.last_used_at),
        })
        .collect()
}

#[derive(Template)]
#[template(path = "console/user_detail.html")]
struct DetailPage {
    c: Chrome,
    u: lianjian_services::accounts::User,
    role: String,
    department: String,
    region: String,
    certificate: String,
    phone: String,
    status: String,
    active: bool,
    created: String,
    last_login: String,
    can_manage: bool,
    is_self: bool,
    password_error: Option<String>,
    show_tokens: bool,
    tokens: Vec<TokenRow>,
    new_secret: Option<String>,
    token_action: String,
    token_back: String,
}

#[derive(Deserialize)]
pub struct DetailQuery {
    ok: Option<String>,
}

async fn detail_page(
    st: &AppState,
    s: &SessionAuth,
    v: UserView,
    notice: Option<&str>,
    password_error: Option<String>,
    new_secret: Option<String>,
) -> Response {
    let a = &s.actor;
    let can_manage =
        a.role.manages_users() && a.role.may_grant(v.user.role) && !a.role.is_read_only();
    let tokens = if can_manage || a.user_id == v.user.id {
        accounts::list_tokens(&st.svc, a, v.user.id)
            .await
            .unwrap_or_default()
    } else {
        Vec::new()
    };
    let region = lianjian_services::regions::path_name(&st.svc, &v.user.region_code)
        .await
        .unwrap_or_default();
    let c = Chrome::new(&st.svc, s, "users").await.with_notice(notice);
    let u = v.user;
    let status = if password_error.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    (
        status,
        render(DetailPage {
            role: u.role.label_zh().into(),
            department: v.department_name,
            region,
            certificate: u.certificate_no.clone().unwrap_or_else(|| "—".into()),
            phone: u.phone.clone().unwrap_or_else(|| "—".into()),
            status: u.status.label_zh().into(),
            active: u.status == UserStatus::Active,
            created: local(&u.created_at),
            last_login: local_opt(&u.last_login_at),
            can_manage,
            is_self: a.user_id == u.id,
            password_error,
            show_tokens: can_manage || a.user_id == u.id,
            tokens: token_rows(tokens),
            new_secret,
            token_action: format!("/console/users/{}/tokens", u.id),
            token_back: format!("/console/users/{}", u.id),
            u,
            c,
        }),
    )
        .into_response()
}

pub async fn detail(
    State(st): State<AppState>,
    Console(s): Console,
    PathId(id): PathId,
    Query(q): Query<DetailQuery>,
) -> Result<Response, ConsoleError> {
    let v = accounts::get_user(&st.svc, &s.actor, id).await?;
    Ok(detail_page(&st, &s, v, q.ok.as_deref(), None, None).await)
}

#[derive(Deserialize)]
pub struct StatusForm {
    #[serde(default)]
    status: String,
}

pub async fn set_status(
    State(st): State<AppState>,
    Console(s): Console,
    PathId(id): PathId,
    CsrfForm(f): CsrfForm<StatusForm>,
) -> Result<Response, ConsoleError> {
    let Some(status) = UserStatus::parse(&f.status) else {
        return Err(ConsoleError::not_found());
    };
    accounts::set_user_status(&st.svc, &s.actor, id, status).await?;
    Ok(see_other(&format!(
        "/console/users/{id}?ok={}",
        if status == UserStatus::Disabled {
            "disabled"
        } else {
            "enabled"
        }
    )))
}

#[derive(Deserialize)]
pub struct PasswordForm {
    #[serde(default)]
    password: String,
}

pub async fn reset_password(
    State(st): State<AppState>,
    Console(s): Console,
    PathId(id): PathId,
    CsrfForm(f): CsrfForm<PasswordForm>,
) -> Result<Response, ConsoleError> {
    match accounts::reset_password(&st.svc, &s.actor, id, &f.password).await {
        Ok(()) => Ok(see_other(&format!("/console/users/{id}?ok=password"))),
        Err(e @ ServiceError::Invalid(_)) => {
            let msg = form_errors(e)?.into_values().next();
            let v = accounts::get_user(&st.svc, &s.actor, id).await?;
            Ok(detail_page(&st, &s, v, None, msg, None).await)
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Deserialize)]
pub struct TokenForm {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub valid_days: String,
    #[serde(default)]
    pub back: String,
}

pub fn parse_days(s: &str) -> Result<Option<i64>, ServiceError> {
    let s = s.trim();
    if s.is_empty() {
        return Ok(None);
    }
    s.parse::<i64>().map(Some).map_err(|_| {
        ServiceError::field(
            "valid_days",
            lianjian_domain::Invalid::new(
                "not_a_number",
                format!("有效天数“{s}”不是整数"),
                format!("'{s}' is not a whole number"),
            ),
        )
    })
}

pub async fn create_token(
    State(st): State<AppState>,
    Console(s): Console,
    PathId(id): PathId,
    CsrfForm(f): CsrfForm<TokenForm>,
) -> Result<Response, ConsoleError> {
    let days = parse_days(&f.valid_days)?;
    let (_, secret) = accounts::create_token(&st.svc, &s.actor, id, &f.name, days).await?;
    let v = accounts::get_user(&st.svc, &s.actor, id).await?;
    Ok(detail_page(&st, &s, v, None, None, Some(secret)).await)
}

pub async fn revoke_token(
    State(st): State<AppState>,
    Console(s): Console,
    PathId(id): PathId,
    CsrfForm(f): CsrfForm<TokenForm>,
) -> Result<Response, ConsoleError> {
    let back = if f.back.starts_with("/console/") {
        f.back
    } else {
        "/console/account".into()
    };
    accounts::revoke_token(&st.svc, &s.actor, id).await?;
    Ok(see_other(&format!("{back}?ok=revoked")))
}
