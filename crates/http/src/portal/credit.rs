//! 信用信息公示 for the public (issue 15 item 5): search the jurisdiction's entities by name or
//! credit code; an entity's penalties within their publication period and its active
//! abnormal-operation and serious-dishonesty listings. Never a class, a score, a sanction or a
//! repaired record: `services::credit::public` serves only what the domain's one rule allows.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Response};
use lianjian_services::ServiceError;
use lianjian_services::credit::public::{self, PublicCredit, PublicEntity};

use crate::AppState;
use crate::api::params::Params;
use crate::console::render;
use crate::i18n::{Messages, zh_cn};
use crate::pager::Pager;

#[derive(Template)]
#[template(path = "portal/credit.html")]
struct SearchPage {
    t: &'static Messages,
    frame: super::Frame,
    q: String,
    error: Option<String>,
    searched: bool,
    items: Vec<PublicEntity>,
    pager: Option<Pager>,
}

pub async fn search(
    State(st): State<AppState>,
    Query(q): Query<Vec<(String, String)>>,
) -> Response {
    let svc = &st.svc;
    let p = Params(q);
    let q_s = p.one("q");
    let mut page = SearchPage {
        t: zh_cn(),
        frame: super::Frame::of(svc, "credit"),
        searched: !q_s.trim().is_empty(),
        q: q_s.clone(),
        error: None,
        items: Vec::new(),
        pager: None,
    };
    if page.searched {
        match public::search(svc, &q_s, Pager::request(&p.0, 10)).await {
            Ok(found) => {
                page.pager = Some(Pager::of(&found, &p.0));
                page.items = found.items;
            }
            Err(ServiceError::Invalid(f)) => {
                page.error = f.first().map(|f| f.message.clone());
            }
            Err(e) => return super::unavailable("portal credit search", e),
        }
    }
    render(page)
}

#[derive(Template)]
#[template(path = "portal/credit_detail.html")]
struct DetailPage {
    t: &'static Messages,
    frame: super::Frame,
    c: PublicCredit,
}

pub async fn detail(State(st): State<AppState>, Path(usci): Path<String>) -> Response {
    let svc = &st.svc;
    match public::of_entity(svc, &usci).await {
        Ok(c) => render(DetailPage {
            t: zh_cn(),
            frame: super::Frame::of(svc, "credit"),
            c,
        })
        .into_response(),
        Err(ServiceError::NotFound | ServiceError::Invalid(_)) => super::not_found_page(svc),
        Err(e) => super::unavailable("portal credit", e),
    }
}
