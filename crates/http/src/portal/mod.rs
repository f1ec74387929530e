//! The public portal (信息公开), `/`: no login. It shows what the platform publishes for its
//! jurisdiction (`Services::site`); a capability joins its menu once it is built.

mod clues;
mod credit;
mod draws;
pub(crate) mod guides;
mod items;
mod objection;
mod plans;
mod results;

use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;

use crate::AppState;
use crate::console::render;
use crate::i18n::{Messages, zh_cn};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/", get(home))
        .route(
            "/clues/new",
            get(clues::new_form)
                .post(clues::submit)
                .layer(axum::extract::DefaultBodyLimit::max(clues::MAX_BODY)),
        )
        .route("/clues/track", get(clues::track_form).post(clues::track))
        .route("/draws", get(draws::list))
        .route("/draws/{id}", get(draws::detail))
        .route(
            "/draws/{id}/self-check",
            get(draws::self_check_form).post(draws::self_check_submit),
        )
        .route("/guides", get(guides::list))
        .route("/guides/{code}", get(guides::detail))
        .route("/guides/{code}/pdf", get(guides::pdf))
        .route("/items", get(items::list))
        .route("/items/{code}", get(items::detail))
        .route("/plans", get(plans::list))
        .route("/plans/{code}", get(plans::detail))
        .route("/results", get(results::list))
        .route("/credit", get(credit::search))
        .route(
            "/credit/objection",
            get(objection::form)
                .post(objection::submit)
                .layer(axum::extract::DefaultBodyLimit::max(objection::MAX_BODY)),
        )
        .route("/credit/{usci}", get(credit::detail))
}

/// What the frame of every portal page (`portal/base.html`) shows: the site's name, its
/// jurisdiction and the section the page belongs to.
pub struct Frame {
    pub title: String,
    pub jurisdiction: Option<String>,
    pub active: &'static str,
}

/// The portal's sections: (key, path, label). Only what is built is listed; a capability
/// joins the menu when it exists.
const NAV: &[(&str, &str, &str)] = &[
    ("home", "/", "首页"),
    ("items", "/items", "监管事项清单"),
    ("guides", "/guides", "合规经营指南"),
    ("plans", "/plans", "抽查计划"),
    ("draws", "/draws", "抽查任务公告"),
    ("results", "/results", "检查结果公示"),
    ("credit", "/credit", "信用信息公示"),
    ("clues", "/clues/new", "投诉举报"),
    ("track", "/clues/track", "进度查询"),
];

impl Frame {
    pub fn of(svc: &lianjian_services::Services, active: &'static str) -> Self {
        Self {
            title: svc.site.title(zh_cn().get("app.portal_name")),
            jurisdiction: svc.site.region_path.clone(),
            active,
        }
    }

    pub fn nav(&self) -> &'static [(&'static str, &'static str, &'static str)] {
        NAV
    }
}

#[derive(Template)]
#[template(path = "portal/home.html")]
struct Home {
    t: &'static Messages,
    frame: Frame,
    sections: Vec<(&'static str, &'static str, &'static str, &'static str)>,
    sectors: Vec<String>,
}

/// What the public will find here: (path, title, what it holds, the link's words).
const SECTIONS: &[(&str, &str, &str, &str)] = &[
    (
        "/items",
        "监管事项清单",
        "监管什么、由谁牵头、哪些部门配合、依据哪条法规、怎么查、多久查一次。",
        "查看监管事项",
    ),
    (
        "/guides",
        "合规经营指南",
        "一业一册：每个监管事项查什么、谁来查、多久查一次、常见问题和如何整改，可下载 PDF。",
        "查看合规经营指南",
    ),
    (
        "/plans",
        "抽查计划",
        "各部门年度“双随机、一公开”抽查计划：事项、范围、期间、比例。",
        "查看抽查计划",
    ),
    (
        "/draws",
        "抽查任务公告",
        "每次随机抽取的承诺与见证，抽取后可下载记录自行复核；检查对象在检查后公开。",
        "查看任务公告",
    ),
    (
        "/results",
        "检查结果公示",
        "“公示为原则、不公示为例外”：检查对象、事项、部门、日期与结果。",
        "查询检查结果",
    ),
    (
        "/credit",
        "信用信息公示",
        "按名称或统一社会信用代码查询公示期内的行政处罚和经营异常名录、严重违法失信名单。",
        "查询信用信息",
    ),
    (
        "/clues/new",
        "投诉举报",
        "反映经营主体的违法违规问题或提出建议，可上传照片，可匿名；提交后凭线索编号和查询码查询办理进度。",
        "我要投诉举报",
    ),
    (
        "/clues/track",
        "进度查询",
        "凭线索编号和查询码查看受理、分派、办结情况和办理结果。",
        "查询办理进度",
    ),
];

async fn home(State(st): State<AppState>) -> Response {
    let sectors = lianjian_services::sectors::list(&st.svc)
        .await
        .map(|v| {
            v.into_iter()
                .filter(|s| s.status == "active")
                .map(|s| s.name)
                .collect()
        })
        .unwrap_or_default();
    render(Home {
        t: zh_cn(),
        frame: Frame::of(&st.svc, "home"),
        sections: SECTIONS.to_vec(),
        sectors,
    })
}

#[derive(Template)]
#[template(path = "portal/not_found.html")]
struct NotFound {
    t: &'static Messages,
    frame: Frame,
}

/// The portal's 404 page.
pub fn not_found_page(svc: &lianjian_services::Services) -> Response {
    (
        StatusCode::NOT_FOUND,
        render(NotFound {
            t: zh_cn(),
            frame: Frame::of(svc, ""),
        }),
    )
        .into_response()
}

/// A portal page whose data could not be read: logged for the operator, a plain 500 for the
/// reader.
pub fn unavailable(what: &str, e: impl std::fmt::Display) -> Response {
    tracing::error!(error = %e, "{what} failed");
    (
        StatusCode::INTERNAL_SERVER_ERROR,
        "服务暂不可用，请稍后再试",
    )
        .into_response()
}

pub async fn not_found(State(st): State<AppState>, uri: axum::http::Uri) -> Response {
    if uri.path().starts_with("/api/") {
        return crate::ApiError::new(
            StatusCode::NOT_FOUND,
            "no_such_endpoint",
            "接口不存在",
            format!("no endpoint {}", uri.path()),
        )
        .into_response();
    }
    not_found_page(&st.svc)
}

/// The region filter's choices, by name: the jurisdiction's regions two levels down (a
/// county's towns; a province's cities and their counties), as (code, indented name).
pub async fn region_options(svc: &lianjian_services::Services) -> Vec<(String, String)> {
    let root = svc.site.region.as_ref().map(|r| r.to_string());
    crate::regions::below(svc, root.as_deref()).await.to_vec()
}
