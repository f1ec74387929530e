//! 抽查任务公告 on the portal: every draw with its commitment, and once drawn the joint
//! inspection tasks (entity, items, departments, period) and the downloadable record anyone can
//! verify. Inspectors' names are not shown here (the record carries them for verification).

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use lianjian_services::{PageRequest, draws};
use lianjian_store::draws::DrawQuery;

use crate::AppState;
use crate::api::params::Params;
use crate::console::draws::{Row, VisitRow, row, visit_rows};
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
    draw: lianjian_store::draws::Draw,
    committed: String,
    drawn: String,
    plans: Vec<(String, String)>,
    visits: Vec<VisitRow>,
    joint: usize,
}

pub async fn detail(State(st): State<AppState>, Path(id): Path<String>) -> Response {
    let Ok(id) = uuid::Uuid::parse_str(&id) else {
        return missing();
    };
    let Ok(v) = draws::public_view(&st.svc, id).await else {
        return missing();
    };
    let mut plans = Vec::new();
    for p in &v.plans {
        let item = lianjian_store::items::get(st.svc.store.conn(), p.item_id)
            .await
            .ok()
            .flatten()
            .map(|i| i.name)
            .unwrap_or_default();
        // Risk-weighted plans say so wherever the draw is shown (issue 4).
        let item = if p.risk_weighted {
            format!("{item}（按风险加权抽取）")
        } else {
            item
        };
        plans.push((p.code.clone(), item));
    }
    let visits = visit_rows(&v);
    render(DetailPage {
        t: crate::i18n::zh_cn(),
        d: row(&v.draw),
        committed: local(&v.draw.committed_at),
        drawn: local_opt(&v.draw.drawn_at),
        joint: visits.iter().filter(|x| x.joint).count(),
        visits,
        plans,
        draw: v.draw,
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
