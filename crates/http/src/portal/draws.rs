//! 抽查任务公告 on the portal: every draw with its commitment, its witnesses, the plans with
//! their counts per credit class and the period; each joint inspection task (entity, items,
//! departments) once its embargo ends (its result published, or the period over); the public
//! record anyone can verify once every task is public. Never inspectors, never credit classes
//! (issue 11; design in docs/double-random.md).

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use lianjian_domain::draw::DrawStatus;
use lianjian_services::draws;
use lianjian_services::draws::DrawQuery;

use crate::AppState;
use crate::api::params::Params;
use crate::console::draws::{Row, row};
use crate::console::{local, local_opt, render};
use crate::pager::Pager;

#[derive(Template)]
#[template(path = "portal/draws.html")]
struct ListPage {
    t: &'static crate::i18n::Messages,
    frame: super::Frame,
    rows: Vec<Row>,
    q: String,
    pager: Pager,
}

pub async fn list(State(st): State<AppState>, Query(q): Query<Vec<(String, String)>>) -> Response {
    let p = Params(q);
    let text = p.one("q");
    let query = DrawQuery {
        q: Some(text.clone()).filter(|t| !t.trim().is_empty()),
        ..Default::default()
    };
    let req = Pager::request(&p.0, 20);
    let page = match draws::public_list(&st.svc, &query, req).await {
        Ok(page) => page,
        Err(e) => return super::unavailable("portal draws", e),
    };
    render(ListPage {
        t: crate::i18n::zh_cn(),
        frame: super::Frame::of(&st.svc, "draws"),
        rows: page.items.iter().map(row).collect(),
        pager: Pager::of(&page, &p.0),
        q: text,
    })
}

#[derive(Template)]
#[template(path = "portal/draw_detail.html")]
struct DetailPage {
    t: &'static crate::i18n::Messages,
    frame: super::Frame,
    d: Row,
    draw: lianjian_services::draws::Draw,
    committed: String,
    drawn: String,
    s: draws::PublicSummary,
}

pub async fn detail(State(st): State<AppState>, Path(id): Path<String>) -> Response {
    let Ok(id) = uuid::Uuid::parse_str(&id) else {
        return missing(&st);
    };
    let Ok((draw, s)) = draws::public_summary(&st.svc, id).await else {
        return missing(&st);
    };
    render(DetailPage {
        t: crate::i18n::zh_cn(),
        frame: super::Frame::of(&st.svc, "draws"),
        d: row(&draw),
        committed: local(&draw.committed_at),
        drawn: local_opt(&draw.drawn_at),
        draw,
        s,
    })
}

fn missing(st: &AppState) -> Response {
    super::not_found_page(&st.svc)
}

// ---- 抽查结果自查: an entity fetches the opening of its own class commitment ----

/// The form's own CSRF token (no session on the portal): a random value in a cookie only the
/// draws' pages receive, echoed by the form (double submit), as on the sign-in form. A page on
/// another site can post the form but cannot read the cookie, so it cannot make a visitor's
/// browser spend the entity's attempts.
const SELF_CHECK_CSRF_COOKIE: &str = "lj_self_check_csrf";

#[derive(Template)]
#[template(path = "portal/draw_self_check.html")]
struct SelfCheckPage {
    t: &'static crate::i18n::Messages,
    frame: super::Frame,
    d: Row,
    csrf: String,
    usci: String,
    /// Kept in the result page's download form only (the entity's own page).
    code: String,
    error: Option<String>,
    result: Option<SelfCheckView>,
}

struct SelfCheckView {
    class_label: String,
    risk_weight: u8,
    opening_json: String,
    public_from: String,
    record_public: bool,
    /// (plan code, eligible, drawn) once the public record is out.
    plans: Vec<(String, bool, bool)>,
    file_name: String,
}

#[allow(clippy::too_many_arguments)]
fn self_check_page(
    st: &AppState,
    jar: axum_extra::extract::CookieJar,
    status: axum::http::StatusCode,
    draw: &draws::Draw,
    usci: String,
    code: String,
    error: Option<String>,
    result: Option<SelfCheckView>,
) -> Response {
    use axum::response::IntoResponse;
    use axum_extra::extract::cookie::{Cookie, SameSite};
    let token = hex::encode(rand::random::<[u8; 32]>());
    let cookie = Cookie::build((SELF_CHECK_CSRF_COOKIE, token.clone()))
        .path("/draws")
        .http_only(true)
        .same_site(SameSite::Strict)
        .secure(st.secure_cookies)
        .build();
    (
        status,
        [(axum::http::header::CACHE_CONTROL, "no-store")],
        jar.add(cookie),
        render(SelfCheckPage {
            t: crate::i18n::zh_cn(),
            frame: super::Frame::of(&st.svc, "draws"),
            d: row(draw),
            csrf: token,
            usci,
            code,
            error,
            result,
        }),
    )
        .into_response()
}

pub async fn self_check_form(
    State(st): State<AppState>,
    jar: axum_extra::extract::CookieJar,
    Path(id): Path<String>,
) -> Response {
    let Ok(id) = uuid::Uuid::parse_str(&id) else {
        return missing(&st);
    };
    let Ok((draw, _)) = draws::public_summary(&st.svc, id).await else {
        return missing(&st);
    };
    self_check_page(
        &st,
        jar,
        axum::http::StatusCode::OK,
        &draw,
        String::new(),
        String::new(),
        None,
        None,
    )
}

#[derive(serde::Deserialize)]
pub struct SelfCheckForm {
    #[serde(default)]
    usci: String,
    #[serde(default)]
    code: String,
    /// `json`: the opening as a file; otherwise the page.
    #[serde(rename = "as", default)]
    as_: String,
    #[serde(rename = "_csrf", default)]
    csrf: String,
}

pub async fn self_check_submit(
    State(st): State<AppState>,
    crate::extract::ClientIp(ip): crate::extract::ClientIp,
    jar: axum_extra::extract::CookieJar,
    Path(id): Path<String>,
    axum::Form(f): axum::Form<SelfCheckForm>,
) -> Response {
    use axum::http::{StatusCode, header};
    use axum::response::IntoResponse;
    let Ok(id) = uuid::Uuid::parse_str(&id) else {
        return missing(&st);
    };
    let Ok((draw, _)) = draws::public_summary(&st.svc, id).await else {
        return missing(&st);
    };
    let usci = f.usci.trim().to_ascii_uppercase();
    let expected = jar
        .get(SELF_CHECK_CSRF_COOKIE)
        .map(|c| c.value().to_string());
    if !expected.is_some_and(|t| !t.is_empty() && crate::extract::constant_time_eq(&f.csrf, &t)) {
        let msg = "页面已过期或来源不明，请重新输入后查询".to_string();
        return self_check_page(
            &st,
            jar,
            StatusCode::FORBIDDEN,
            &draw,
            usci,
            String::new(),
            Some(msg),
            None,
        );
    }
    match draws::self_check(&st.svc, id, &usci, &f.code, ip).await {
        Ok(r) if f.as_ == "json" => (
            [
                (header::CONTENT_TYPE, "application/json".to_string()),
                (header::CACHE_CONTROL, "no-store".to_string()),
                (
                    header::CONTENT_DISPOSITION,
                    format!(
                        "attachment; filename=\"opening-{}-{}.json\"",
                        r.draw_code, r.usci
                    ),
                ),
            ],
            r.opening_json,
        )
            .into_response(),
        Ok(r) => {
            let class_label = match r.opening.credit_class {
                Some(c) => c.label_zh().to_string(),
                None => "未分级".to_string(),
            };
            let plans = r
                .check
                .as_ref()
                .map(|c| {
                    c.plans
                        .iter()
                        .map(|p| (p.code.clone(), p.eligible, p.drawn))
                        .collect()
                })
                .unwrap_or_default();
            let view = SelfCheckView {
                class_label,
                risk_weight: r.opening.risk_weight,
                file_name: format!("opening-{}-{}.json", r.draw_code, r.usci),
                opening_json: r.opening_json,
                public_from: r.public_from.to_string(),
                record_public: r.record_public,
                plans,
            };
            self_check_page(
                &st,
                jar,
                StatusCode::OK,
                &draw,
                usci,
                f.code.trim().to_string(),
                None,
                Some(view),
            )
        }
        Err(e) => {
            let api = crate::api::draws::self_check_error(e);
            let (status, msg) = (api.status, api.message);
            let mut resp = self_check_page(
                &st,
                jar,
                status,
                &draw,
                usci,
                String::new(),
                Some(msg),
                None,
            );
            if let Some(secs) = api.retry_after
                && let Ok(v) = secs.to_string().parse()
            {
                resp.headers_mut().insert(header::RETRY_AFTER, v);
            }
            resp
        }
    }
}
