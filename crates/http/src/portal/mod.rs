//! The public portal (信息公开), `/`: no login. It shows what the platform publishes; sections
//! whose capability is not built yet say so plainly.

mod draws;
mod items;
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
        .route("/draws", get(draws::list))
        .route("/draws/{id}", get(draws::detail))
        .route(
            "/draws/{id}/self-check",
            get(draws::self_check_form).post(draws::self_check_submit),
        )
        .route("/items", get(items::list))
        .route("/items/{code}", get(items::detail))
        .route("/plans", get(plans::list))
        .route("/plans/{code}", get(plans::detail))
        .route("/results", get(results::list))
}

#[derive(Template)]
#[template(path = "portal/home.html")]
struct Home {
    t: &'static Messages,
    sections: Vec<(&'static str, &'static str, &'static str)>,
    sectors: Vec<String>,
}

/// What the public will find here, and what each rests on.
const SECTIONS: &[(&str, &str, &str)] = &[
    (
        "plans",
        "抽查计划与任务公告",
        "各部门年度“双随机、一公开”抽查计划及联合抽查任务。",
    ),
    (
        "results",
        "检查结果公示",
        "“公示为原则、不公示为例外”：检查对象、事项、部门、日期与结果。",
    ),
    (
        "items",
        "监管事项清单",
        "监管什么、由谁牵头、哪些部门配合、依据哪条法规。",
    ),
    (
        "guides",
        "合规指引（一业一册）",
        "一次性告知经营主体检查什么、多久查一次、怎么查。",
    ),
    (
        "credit",
        "信用状况查询",
        "按统一社会信用代码查询信用风险分类与公示信息。",
    ),
    ("complaints", "投诉举报", "提交投诉举报线索，跟踪办理进度。"),
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
        sections: SECTIONS.to_vec(),
        sectors,
    })
}

#[derive(Template)]
#[template(path = "portal/not_found.html")]
struct NotFound {
    t: &'static Messages,
}

pub async fn not_found(uri: axum::http::Uri) -> Response {
    if uri.path().starts_with("/api/") {
        return crate::ApiError::new(
            StatusCode::NOT_FOUND,
            "no_such_endpoint",
            "接口不存在",
            format!("no endpoint {}", uri.path()),
        )
        .into_response();
    }
    (StatusCode::NOT_FOUND, render(NotFound { t: zh_cn() })).into_response()
}
