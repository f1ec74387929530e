//! 抽查任务公告 on the portal: every draw with its commitment, its witnesses, the plans with
//! their counts per credit class and the period; each joint inspection task (entity, items,
//! departments) once its embargo ends (its result published, or the period over); the public
//! record anyone can verify once every task is public. Never inspectors, never credit classes
//! (issue 11; design in docs/double-random.md).

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use lianjian_services::draws::DrawQuery;
use lianjian_services::{PageRequest, draws};

use crate::AppState;
use crate::api::params::Params;
use crate::console::draws::{Row, row};
use crate::console::{local, local_opt, render};

#[derive(Template)]
#[template(path = "portal/draws.html")]
struct ListPage {
    t: &'static crate::i18n::Messages,
    rows: Vec<Row>,
    q: String,
    total: u64,
    page: u64,
    pages: u64,
    query: String,
}

pub async fn list(State(st): State<AppState>, Query(q): Query<Vec<(String, String)>>) -> Response {
    let p = Params(q);
    let text = p.one("q");
    let query = DrawQuery {
        q: Some(text.clone()).filter(|t| !t.trim().is_empty()),
        ..Default::default()
    };
    let page = draws::public_list(
        &st.svc,
        &query,
        PageRequest::new(p.one("page").parse().ok(), Some(20)),
    )
    .await
    .unwrap_or_else(|_| lianjian_services::Page {
        items: Vec::new(),
        total: 0,
        page: 1,
        per_page: 20,
    });
    render(ListPage {
        t: crate::i18n::zh_cn(),
        rows: page.items.iter().map(row).collect(),
        total: page.total,
        page: page.page,
        pages: page.pages(),
        query: if text.is_empty() {
            String::new()
        } else {
            format!("q={}&", crate::extract::urlencode(&text))
        },
        q: text,
    })
}

#[derive(Template)]
#[template(path = "portal/draw_detail.html")]
struct DetailPage {
    t: &'static crate::i18n::Messages,
    d: Row,
    draw: lianjian_services::draws::Draw,
    committed: String,
    drawn: String,
    s: draws::PublicSummary,
}

pub async fn detail(State(st): State<AppState>, Path(id): Path<String>) -> Response {
    let Ok(id) = uuid::Uuid::parse_str(&id) else {
        return missing();
    };
    let Ok((draw, s)) = draws::public_summary(&st.svc, id).await else {
        return missing();
    };
    render(DetailPage {
        t: crate::i18n::zh_cn(),
        d: row(&draw),
        committed: local(&draw.committed_at),
        drawn: local_opt(&draw.drawn_at),
        draw,
        s,
    })
}

fn missing() -> Response {
    use axum::response::IntoResponse;
    (
        axum::http::StatusCode::NOT_FOUND,
        render(super::NotFound {
            t: crate::i18n::zh_cn(),
        }),
    )
        .into_response()
}
