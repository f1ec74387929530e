//! 合规经营指南 (一业一册, 国办发〔2023〕1号 (六)) for the public: one guide per published item,
//! generated from the item version in force today (`services::guides`), readable on a phone,
//! printable on A4 and downloadable as a PDF rendered by Chromium. Nothing personal: the
//! editors' names are dropped ([`Guide::public`]); the problems are counts of check points.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::Utc;
use lianjian_domain::guide::SectionKind;
use lianjian_domain::item::{DepartmentRole, ItemStatus};
use lianjian_services::guides::{self, Guide};
use lianjian_services::items::{self, ItemQuery};

use crate::AppState;
use crate::api::params::Params;
use crate::console::render;
use crate::i18n::{Messages, zh_cn};
use crate::pager::Pager;

/// The guide's stylesheet: screen (phone first) and print (A4), inlined in the PDF's page.
pub const GUIDE_CSS: &str = include_str!("../../assets/guide.css");

pub struct DeptView {
    pub lead: bool,
    pub name: String,
    pub duties: String,
    pub legal_basis: String,
    pub phone: String,
    pub address: String,
    pub hours: String,
}

pub struct ProblemView {
    pub dimension: &'static str,
    pub content: String,
    pub legal_basis: String,
    pub count: i64,
}

/// A guide as every page (portal, console preview, PDF) shows it: labels, never codes.
pub struct GuideView {
    pub code: String,
    pub name: String,
    pub sector: String,
    pub category: &'static str,
    pub level: &'static str,
    pub object_description: String,
    pub version: i32,
    pub version_since: String,
    pub on: String,
    pub departments: Vec<DeptView>,
    pub groups: Vec<(&'static str, Vec<(String, String)>)>,
    pub legal_bases: Vec<String>,
    pub methods: String,
    pub frequency_source: String,
    pub frequency_stated: String,
    pub frequency: Vec<(&'static str, String, &'static str)>,
    pub svg: String,
    pub steps: Vec<(String, String)>,
    pub problems: Vec<ProblemView>,
    pub problems_since: String,
    pub results: Vec<(&'static str, i64)>,
    pub overview: Vec<String>,
    pub rectification: Vec<String>,
    pub notes: Vec<String>,
}

fn paragraphs(g: &Guide, kind: SectionKind) -> Vec<String> {
    g.section(kind)
        .map(|s| {
            s.body
                .lines()
                .map(str::trim)
                .filter(|l| !l.is_empty())
                .map(String::from)
                .collect()
        })
        .unwrap_or_default()
}

fn day(t: &chrono::DateTime<Utc>) -> String {
    crate::console::local(t)[..10].to_string()
}

impl GuideView {
    pub fn of(g: &Guide) -> GuideView {
        GuideView {
            code: g.code.clone(),
            name: g.name.clone(),
            sector: g.sector.clone().unwrap_or_default(),
            category: g.category.label_zh(),
            level: g.level.label_zh(),
            object_description: g.object_description.clone(),
            version: g.version,
            version_since: day(&g.version_effective_at),
            on: day(&g.at),
            departments: g
                .departments
                .iter()
                .map(|d| DeptView {
                    lead: d.role == DepartmentRole::Lead,
                    name: d.name.clone(),
                    duties: d.duties.clone(),
                    legal_basis: d.legal_basis.clone(),
                    phone: d.contact.phone.clone(),
                    address: d.contact.address.clone(),
                    hours: d.contact.hours.clone(),
                })
                .collect(),
            groups: g
                .check_points
                .iter()
                .map(|(d, ps)| {
                    (
                        d.label_zh(),
                        ps.iter()
                            .map(|p| (p.content.clone(), p.legal_basis.clone()))
                            .collect(),
                    )
                })
                .collect(),
            legal_bases: g.legal_bases.clone(),
            methods: g
                .methods
                .iter()
                .map(|m| m.label_zh())
                .collect::<Vec<_>>()
                .join("、"),
            frequency_source: match &g.frequency.plan {
                Some((code, year)) => format!("依据 {year} 年度已公布的抽查计划 {code}"),
                None => "尚无已公布的抽查计划，以下为抽查计划的默认比例".into(),
            },
            frequency_stated: g.frequency.stated.clone().unwrap_or_default(),
            frequency: g
                .frequency
                .rows
                .iter()
                .map(|r| (r.label, r.ratio.clone(), r.band))
                .collect(),
            svg: g.flowchart_svg.clone(),
            steps: g
                .steps
                .iter()
                .map(|s| (s.title.clone(), s.detail.clone()))
                .collect(),
            problems: g
                .problems
                .iter()
                .map(|p| ProblemView {
                    dimension: p.dimension.label_zh(),
                    content: p.content.clone(),
                    legal_basis: p.legal_basis.clone(),
                    count: p.count,
                })
                .collect(),
            problems_since: day(&g.problems_since),
            results: g.results.iter().map(|(c, n)| (c.label_zh(), *n)).collect(),
            overview: paragraphs(g, SectionKind::Overview),
            rectification: paragraphs(g, SectionKind::Rectification),
            notes: paragraphs(g, SectionKind::Notes),
        }
    }
}

pub struct ListRow {
    code: String,
    name: String,
    sector: String,
    version: i32,
}

#[derive(Template)]
#[template(path = "portal/guides.html")]
struct ListPage {
    t: &'static Messages,
    frame: super::Frame,
    rows: Vec<ListRow>,
    q: String,
    pager: Pager,
}

pub async fn list(State(st): State<AppState>, Query(q): Query<Vec<(String, String)>>) -> Response {
    let svc = &st.svc;
    let p = Params(q);
    let q_s = p.one("q");
    let query = ItemQuery {
        q: Some(q_s.clone()).filter(|s| !s.is_empty()),
        status: Some(ItemStatus::Published),
        ..Default::default()
    };
    let req = Pager::request(&p.0, 20);
    let page = match items::list(svc, &svc.public_scope(), query, req).await {
        Ok(p) => p,
        Err(e) => return super::unavailable("portal guides", e),
    };
    let names = crate::api::items::Names::load(svc, &page.items.iter().collect::<Vec<_>>()).await;
    let pager = Pager::of(&page, &p.0);
    let rows = page
        .items
        .into_iter()
        .filter(|i| svc.site.publishes(&i.region_code, true))
        .map(|i| ListRow {
            sector: i
                .sector_id
                .and_then(|x| names.sectors.get(&x).cloned())
                .unwrap_or_default(),
            version: i.version,
            code: i.code,
            name: i.name,
        })
        .collect();
    render(ListPage {
        t: zh_cn(),
        frame: super::Frame::of(svc, "guides"),
        rows,
        q: q_s,
        pager,
    })
}

#[derive(Template)]
#[template(path = "portal/guide.html")]
struct GuidePage {
    t: &'static Messages,
    frame: super::Frame,
    g: GuideView,
}

/// The page the PDF is printed from: the guide alone, its styles inline, nothing to load.
#[derive(Template)]
#[template(path = "portal/guide_print.html")]
pub struct PrintPage {
    pub css: &'static str,
    pub site: String,
    pub g: GuideView,
}

/// The public guide of a published item of the site's jurisdiction, as in force now.
async fn public_guide(st: &AppState, code: &str) -> Result<Option<Guide>, Response> {
    let svc = &st.svc;
    let code = code.trim().to_ascii_uppercase();
    let item = match items::by_code(svc, &code).await {
        Ok(Some(i))
            if i.status == ItemStatus::Published && svc.site.publishes(&i.region_code, true) =>
        {
            i
        }
        Ok(_) => return Ok(None),
        Err(e) => return Err(super::unavailable("portal guide", e)),
    };
    match guides::guide(svc, item.id, Utc::now()).await {
        Ok(g) => Ok(Some(g.public())),
        Err(lianjian_services::ServiceError::NotFound) => Ok(None),
        Err(e) => Err(super::unavailable("portal guide", e)),
    }
}

pub async fn detail(State(st): State<AppState>, Path(code): Path<String>) -> Response {
    match public_guide(&st, &code).await {
        Ok(Some(g)) => render(GuidePage {
            t: zh_cn(),
            frame: super::Frame::of(&st.svc, "guides"),
            g: GuideView::of(&g),
        }),
        Ok(None) => super::not_found_page(&st.svc),
        Err(r) => r,
    }
}

/// The guide as an A4 PDF, downloaded as `<code>.pdf`.
pub async fn pdf(State(st): State<AppState>, Path(code): Path<String>) -> Response {
    let g = match public_guide(&st, &code).await {
        Ok(Some(g)) => g,
        Ok(None) => return super::not_found_page(&st.svc),
        Err(r) => return r,
    };
    let page = PrintPage {
        css: GUIDE_CSS,
        site: st.svc.site.title(zh_cn().get("app.portal_name")),
        g: GuideView::of(&g),
    };
    pdf_response(&page, &g.code).await
}

/// Renders a print page to PDF and answers it as a download; what failed is said plainly.
pub async fn pdf_response(page: &PrintPage, code: &str) -> Response {
    let html = match page.render() {
        Ok(h) => h,
        Err(e) => return super::unavailable("guide print page", e),
    };
    match guides::pdf(&html).await {
        Ok(bytes) => (
            [
                (header::CONTENT_TYPE, "application/pdf".to_string()),
                (
                    header::CONTENT_DISPOSITION,
                    format!("attachment; filename=\"guide-{code}.pdf\""),
                ),
                (header::CACHE_CONTROL, "no-store".to_string()),
            ],
            bytes,
        )
            .into_response(),
        Err(lianjian_services::ServiceError::Refused { message, .. }) => {
            (StatusCode::SERVICE_UNAVAILABLE, message).into_response()
        }
        Err(e) => super::unavailable("guide pdf", e),
    }
}
