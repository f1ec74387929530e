//! 后续处置 in the console: rectification orders (责令整改) with the entity's report, the
//! re-check and a printable 责令整改通知书; referrals (抄告) received and sent, with the
//! receiving department's feedback; case transfers (移送) with the handling agency's answer.
//! Lists page and filter; overdue ones are flagged; irreversible steps ask first.

use std::collections::BTreeMap;

use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::{Datelike, NaiveDate};
use lianjian_domain::lifecycle::Lifecycle;
use lianjian_domain::region::RegionCode;
use lianjian_domain::visit::{
    Answer, RectificationStatus, ReferralStatus, TransferStatus, beijing_date,
};
use lianjian_services::accounts::SessionAuth;
use lianjian_services::follow_ups::{self, OrderEntry, ReferralEntry};
use lianjian_services::follow_ups::{CaseTransfer, FollowUpQuery};
use lianjian_services::visits::{self, VisitDetail};
use lianjian_services::{Page, PageRequest, ServiceError};
use uuid::Uuid;

use super::cases::Shell;
use super::fields::FormData;
use super::{
    Chrome, ConsoleError, CsrfForm, Pager, PathId, failure, local, local_opt, render, see_other,
};
use crate::AppState;
use crate::api::params::Params;
use crate::extract::Console;

/// The list filters shared by the three lists: region, status, overdue.
struct Filters {
    region: String,
    status: String,
    overdue: String,
}

impl Filters {
    fn of(p: &Params) -> Self {
        Filters {
            region: p.one("region"),
            status: p.one("status"),
            overdue: p.one("overdue"),
        }
    }

    /// The store query; a region that does not parse is a field error.
    fn query<S>(
        &self,
        parse: fn(&str) -> Result<S, lianjian_domain::Invalid>,
    ) -> Result<FollowUpQuery<S>, BTreeMap<String, String>> {
        let region = match self.region.as_str() {
            "" => None,
            r => match RegionCode::parse(r) {
                Ok(r) => Some(r),
                Err(e) => return Err([("region".to_string(), e.zh)].into()),
            },
        };
        let status = match self.status.as_str() {
            "" => None,
            s => Some(parse(s).map_err(|e| BTreeMap::from([("status".to_string(), e.zh)]))?),
        };
        Ok(FollowUpQuery {
            region,
            status,
            overdue_on: (self.overdue == "1").then(|| beijing_date(chrono::Utc::now())),
            ..Default::default()
        })
    }

    fn is_empty(&self) -> bool {
        self.region.is_empty() && self.status.is_empty() && self.overdue.is_empty()
    }
}

fn empty_page<T>() -> Page<T> {
    Page {
        items: Vec::new(),
        total: 0,
        page: 1,
        per_page: 20,
    }
}

fn page_of(p: &Params) -> PageRequest {
    PageRequest::new(p.one("page").parse().ok(), Some(20))
}

/// Dates as an official document writes them: 2026年12月06日.
fn date_zh(d: NaiveDate) -> String {
    format!("{}年{:02}月{:02}日", d.year(), d.month(), d.day())
}

/// Success messages of this module's forms.
fn notice(key: &str) -> Option<String> {
    let s = match key {
        "reported" => "已记录整改报告，请组织复查。",
        "passed" => "复查合格，整改已办结。",
        "failed" => "已记录复查不合格，整改已办结；需要立案处理的，请按程序移送或另行处置。",
        "answered" => "已反馈，发出部门可以看到反馈意见。",
        "accepted" => "已记录：办案机关已受理。",
        "declined" => "已记录：办案机关不予受理。",
        _ => return None,
    };
    Some(s.to_string())
}

// ---- rectification orders (责令整改) ----

pub struct OrderRow {
    pub id: Uuid,
    pub code: String,
    pub entity_name: String,
    pub department: String,
    pub requirements: String,
    pub issued_on: String,
    pub deadline: String,
    pub status: RectificationStatus,
    pub status_label: String,
    pub overdue: bool,
}

fn order_row(o: &OrderEntry) -> OrderRow {
    OrderRow {
        id: o.order.id,
        code: o.order.code.clone(),
        entity_name: o.entity_name.clone(),
        department: o.department.clone(),
        requirements: o.order.requirements.clone(),
        issued_on: o.order.issued_on.to_string(),
        deadline: o.order.deadline.to_string(),
        status: o.order.status,
        status_label: o.status_zh.clone(),
        overdue: o.overdue,
    }
}

#[derive(Template)]
#[template(path = "console/rectifications.html")]
struct OrdersPage {
    c: Chrome,
    rows: Vec<OrderRow>,
    pager: Pager,
    region: String,
    status: String,
    overdue: String,
    filtered: bool,
    statuses: Vec<(&'static str, &'static str)>,
    errors: BTreeMap<String, String>,
}

pub async fn orders(
    State(st): State<AppState>,
    Console(s): Console,
    Query(q): Query<Vec<(String, String)>>,
) -> Result<Response, ConsoleError> {
    let p = Params(q);
    let f = Filters::of(&p);
    let (page, errors) = match f.query(RectificationStatus::parse) {
        Ok(q) => match follow_ups::orders(&st.svc, &s.actor, &q, page_of(&p)).await {
            Ok(p) => (p, BTreeMap::new()),
            Err(e) => return Err(e.into()),
        },
        Err(e) => (empty_page(), e),
    };
    let pager = Pager::new(
        &page,
        &[
            ("region", &f.region),
            ("status", &f.status),
            ("overdue", &f.overdue),
        ],
    );
    let code = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let body = render(OrdersPage {
        c: Chrome::new(&st.svc, &s, "rectifications").await,
        rows: page.items.iter().map(order_row).collect(),
        pager,
        filtered: !f.is_empty(),
        region: f.region,
        status: f.status,
        overdue: f.overdue,
        statuses: RectificationStatus::ALL
            .iter()
            .map(|x| (x.as_str(), x.label_zh()))
            .collect(),
        errors,
    });
    Ok((code, body).into_response())
}

/// A finding of the order's item: a check point answered 不符合, with the inspectors' note.
pub struct Finding {
    pub content: String,
    pub note: String,
    /// The check point's legal basis, cited by the printed notice.
    pub legal_basis: String,
}

/// What the order's pages show besides the order: the visit's entity, the item, the findings.
struct OrderFacts {
    usci: String,
    item_code: String,
    item_name: String,
    findings: Vec<Finding>,
    summary: String,
    visit_id: Uuid,
    may_act: bool,
}

fn order_facts(o: &OrderEntry, v: &VisitDetail) -> OrderFacts {
    let part = v.parts.iter().find(|p| p.plan_id == o.order.plan_id);
    OrderFacts {
        usci: v.visit.usci.clone(),
        item_code: part.map(|p| p.item_code.clone()).unwrap_or_default(),
        item_name: part.map(|p| p.item_name.clone()).unwrap_or_default(),
        findings: part
            .map(|p| {
                p.points
                    .iter()
                    .filter(|x| x.answer == Some(Answer::Fail))
                    .map(|x| Finding {
                        content: x.content.clone(),
                        note: x.note.clone(),
                        legal_basis: x.legal_basis.clone(),
                    })
                    .collect()
            })
            .unwrap_or_default(),
        summary: part
            .and_then(|p| p.result.as_ref())
            .map(|r| r.summary.clone())
            .unwrap_or_default(),
        visit_id: v.visit.id,
        may_act: v.acting_departments.contains(&o.order.department_id),
    }
}

async fn load_order(
    st: &AppState,
    s: &SessionAuth,
    id: Uuid,
) -> Result<(OrderEntry, OrderFacts), ServiceError> {
    let o = follow_ups::order(&st.svc, &s.actor, id).await?;
    let v = visits::get(&st.svc, &s.actor, o.order.visit_id).await?;
    let facts = order_facts(&o, &v);
    Ok((o, facts))
}

#[derive(Template)]
#[template(path = "console/rectification_detail.html")]
struct OrderPage {
    c: Chrome,
    o: OrderRow,
    working_days: i32,
    visit_code: String,
    report: String,
    reported_at: String,
    closing_note: String,
    closed_at: String,
    created_by: String,
    facts: OrderFacts,
    open: bool,
    may_report: bool,
    error: Option<String>,
    errors: BTreeMap<String, String>,
    report_text: String,
    note_text: String,
    verdict: String,
}

async fn order_page(
    st: &AppState,
    s: &SessionAuth,
    id: Uuid,
    notice_key: &str,
    err: Option<ServiceError>,
    f: Option<&FormData>,
) -> Result<Response, ConsoleError> {
    let (o, facts) = load_order(st, s, id).await?;
    let Shell {
        c,
        error,
        errors,
        status,
    } = Shell::new(st, s, "rectifications", notice(notice_key), err).await;
    let get = |k: &str| f.map(|f| f.get(k)).unwrap_or_default();
    let r = &o.order;
    let open = !r.status.is_final();
    let body = render(OrderPage {
        c,
        working_days: r.working_days,
        visit_code: o.visit_code.clone(),
        report: r.report.clone().unwrap_or_default(),
        reported_at: local_opt(&r.reported_at),
        closing_note: r.closing_note.clone().unwrap_or_default(),
        closed_at: local_opt(&r.closed_at),
        created_by: r.created_by.clone(),
        open,
        may_report: r.status.can_move_to(RectificationStatus::Reported),
        o: order_row(&o),
        facts,
        error,
        errors,
        report_text: get("report"),
        note_text: get("note"),
        verdict: get("verdict"),
    });
    Ok((status, body).into_response())
}

pub async fn order(
    State(st): State<AppState>,
    Console(s): Console,
    PathId(id): PathId,
    Query(q): Query<Vec<(String, String)>>,
) -> Result<Response, ConsoleError> {
    order_page(&st, &s, id, &Params(q).one("ok"), None, None).await
}

pub async fn report(
    State(st): State<AppState>,
    Console(s): Console,
    PathId(id): PathId,
    CsrfForm(f): CsrfForm<FormData>,
) -> Result<Response, ConsoleError> {
    match follow_ups::report_rectified(&st.svc, &s.actor, id, &f.get("report")).await {
        Ok(_) => Ok(see_other(&format!(
            "/console/rectifications/{id}?ok=reported"
        ))),
        Err(ServiceError::NotFound) => Err(ConsoleError::not_found()),
        Err(e) => order_page(&st, &s, id, "", Some(e), Some(&f)).await,
    }
}

pub async fn recheck(
    State(st): State<AppState>,
    Console(s): Console,
    PathId(id): PathId,
    CsrfForm(f): CsrfForm<FormData>,
) -> Result<Response, ConsoleError> {
    let passed = match f.get("verdict").as_str() {
        "passed" => true,
        "failed" => false,
        _ => {
            let e = ServiceError::field(
                "verdict",
                lianjian_domain::Invalid::new(
                    "required",
                    "请选择复查结论：合格或不合格",
                    "choose the re-check verdict",
                ),
            );
            return order_page(&st, &s, id, "", Some(e), Some(&f)).await;
        }
    };
    match follow_ups::recheck(&st.svc, &s.actor, id, passed, &f.get("note")).await {
        Ok(r) => Ok(see_other(&format!(
            "/console/rectifications/{id}?ok={}",
            r.status.as_str()
        ))),
        Err(ServiceError::NotFound) => Err(ConsoleError::not_found()),
        Err(e) => order_page(&st, &s, id, "", Some(e), Some(&f)).await,
    }
}

#[derive(Template)]
#[template(path = "console/rectification_print.html")]
struct PrintPage {
    c: Chrome,
    code: String,
    entity_name: String,
    usci: String,
    item: String,
    findings: Vec<Finding>,
    summary: String,
    requirements: String,
    working_days: i32,
    deadline: String,
    issued_on: String,
    visit_code: String,
    back: String,
    /// The authority's legal name and the remedies clause (issue 13, 文书).
    issuer: lianjian_services::documents::Issuer,
    provisions: Vec<String>,
}

/// 责令整改通知书, laid out for A4 paper.
pub async fn print(
    State(st): State<AppState>,
    Console(s): Console,
    PathId(id): PathId,
) -> Result<Response, ConsoleError> {
    let (o, facts) = load_order(&st, &s, id).await?;
    let r = &o.order;
    let issuer = lianjian_services::documents::issuer(&st.svc, r.department_id).await?;
    let provisions = lianjian_services::documents::provisions(
        facts.findings.iter().map(|f| f.legal_basis.as_str()),
    );
    Ok(render(PrintPage {
        c: Chrome::new(&st.svc, &s, "rectifications").await,
        issuer,
        provisions,
        code: r.code.clone(),
        entity_name: o.entity_name.clone(),
        usci: facts.usci,
        item: if facts.item_code.is_empty() {
            facts.item_name
        } else {
            format!("{}（{}）", facts.item_name, facts.item_code)
        },
        findings: facts.findings,
        summary: facts.summary,
        requirements: r.requirements.clone(),
        working_days: r.working_days,
        deadline: date_zh(r.deadline),
        issued_on: date_zh(r.issued_on),
        visit_code: o.visit_code.clone(),
        back: format!("/console/rectifications/{}", r.id),
    }))
}

// ---- referrals (抄告) ----

pub struct ReferralRow {
    pub id: Uuid,
    pub code: String,
    pub entity_name: String,
    pub from: String,
    pub to: String,
    pub matter: String,
    pub sent: String,
    pub deadline: String,
    pub status: ReferralStatus,
    pub status_label: String,
    pub overdue: bool,
}

fn referral_row(r: &ReferralEntry) -> ReferralRow {
    ReferralRow {
        id: r.referral.id,
        code: r.referral.code.clone(),
        entity_name: r.entity_name.clone(),
        from: r.from_department.clone(),
        to: r.to_department.clone(),
        matter: r.referral.matter.clone(),
        sent: local(&r.referral.created_at),
        deadline: r.referral.deadline.to_string(),
        status: r.referral.status,
        status_label: r.status_zh.clone(),
        overdue: r.overdue,
    }
}

#[derive(Template)]
#[template(path = "console/referrals.html")]
struct ReferralsPage {
    c: Chrome,
    rows: Vec<ReferralRow>,
    pager: Pager,
    incoming: bool,
    region: String,
    status: String,
    overdue: String,
    filtered: bool,
    statuses: Vec<(&'static str, &'static str)>,
    errors: BTreeMap<String, String>,
}

pub async fn referrals(
    State(st): State<AppState>,
    Console(s): Console,
    Query(q): Query<Vec<(String, String)>>,
) -> Result<Response, ConsoleError> {
    let p = Params(q);
    let f = Filters::of(&p);
    let incoming = p.one("direction") != "outgoing";
    let (page, errors) = match f.query(ReferralStatus::parse) {
        Ok(q) => match follow_ups::referrals(&st.svc, &s.actor, &q, incoming, page_of(&p)).await {
            Ok(p) => (p, BTreeMap::new()),
            Err(e) => return Err(e.into()),
        },
        Err(e) => (empty_page(), e),
    };
    let direction = if incoming { "" } else { "outgoing" };
    let pager = Pager::new(
        &page,
        &[
            ("direction", direction),
            ("region", &f.region),
            ("status", &f.status),
            ("overdue", &f.overdue),
        ],
    );
    let code = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let body = render(ReferralsPage {
        c: Chrome::new(&st.svc, &s, "referrals").await,
        rows: page.items.iter().map(referral_row).collect(),
        pager,
        incoming,
        filtered: !f.is_empty(),
        region: f.region,
        status: f.status,
        overdue: f.overdue,
        statuses: ReferralStatus::ALL
            .iter()
            .map(|x| (x.as_str(), x.label_zh()))
            .collect(),
        errors,
    });
    Ok((code, body).into_response())
}

#[derive(Template)]
#[template(path = "console/referral_detail.html")]
struct ReferralPage {
    c: Chrome,
    r: ReferralRow,
    visit_code: String,
    visit_id: Uuid,
    /// The actor may open the visit's page.
    sees_visit: bool,
    created_by: String,
    feedback: String,
    answered_by: String,
    answered_at: String,
    may_answer: bool,
    error: Option<String>,
    errors: BTreeMap<String, String>,
    feedback_text: String,
}

/// Whether the actor answers for the receiving department (as the service decides: its
/// administrators, the coordination office above it, the system administrator, or an inspector
/// of its line).
async fn answers_for(st: &AppState, s: &SessionAuth, to: Uuid) -> bool {
    let Some(d) = lianjian_services::departments::by_ids(&st.svc, &[to])
        .await
        .ok()
        .and_then(|mut m| m.remove(&to))
    else {
        return false;
    };
    follow_ups::may_answer_referral(&s.actor, &d)
}

async fn referral_page(
    st: &AppState,
    s: &SessionAuth,
    id: Uuid,
    notice_key: &str,
    err: Option<ServiceError>,
    f: Option<&FormData>,
) -> Result<Response, ConsoleError> {
    let r = follow_ups::referral(&st.svc, &s.actor, id).await?;
    let (error, errors, status) = failure(err);
    let sees_visit = visits::get(&st.svc, &s.actor, r.referral.visit_id)
        .await
        .is_ok();
    let may_answer = r.referral.status.can_move_to(ReferralStatus::Answered)
        && answers_for(st, s, r.referral.to_department_id).await;
    let mut c = Chrome::new(&st.svc, s, "referrals").await;
    c.notice = notice(notice_key);
    let body = render(ReferralPage {
        c,
        visit_code: r.visit_code.clone(),
        visit_id: r.referral.visit_id,
        sees_visit,
        created_by: r.referral.created_by.clone(),
        feedback: r.referral.feedback.clone().unwrap_or_default(),
        answered_by: r.referral.answered_by.clone().unwrap_or_default(),
        answered_at: local_opt(&r.referral.answered_at),
        may_answer,
        r: referral_row(&r),
        error,
        errors,
        feedback_text: f.map(|f| f.get("feedback")).unwrap_or_default(),
    });
    Ok((status, body).into_response())
}

pub async fn referral(
    State(st): State<AppState>,
    Console(s): Console,
    PathId(id): PathId,
    Query(q): Query<Vec<(String, String)>>,
) -> Result<Response, ConsoleError> {
    referral_page(&st, &s, id, &Params(q).one("ok"), None, None).await
}

pub async fn answer(
    State(st): State<AppState>,
    Console(s): Console,
    PathId(id): PathId,
    CsrfForm(f): CsrfForm<FormData>,
) -> Result<Response, ConsoleError> {
    match follow_ups::answer_referral(&st.svc, &s.actor, id, &f.get("feedback")).await {
        Ok(_) => Ok(see_other(&format!("/console/referrals/{id}?ok=answered"))),
        Err(ServiceError::NotFound) => Err(ConsoleError::not_found()),
        Err(e) => referral_page(&st, &s, id, "", Some(e), Some(&f)).await,
    }
}

// ---- case transfers (移送) ----

pub struct TransferRow {
    pub id: Uuid,
    pub code: String,
    pub entity_name: String,
    pub visit_code: String,
    pub department: String,
    pub agency: String,
    pub facts: String,
    pub created: String,
    pub status: TransferStatus,
    pub status_label: String,
}

async fn transfer_row(
    st: &AppState,
    s: &SessionAuth,
    t: &CaseTransfer,
    names: &BTreeMap<Uuid, String>,
) -> TransferRow {
    let v = visits::get_row(&st.svc, &s.actor, t.visit_id).await.ok();
    TransferRow {
        id: t.id,
        code: t.code.clone(),
        entity_name: v
            .as_ref()
            .map(|v| v.entity_name.clone())
            .unwrap_or_default(),
        visit_code: v.map(|v| v.code).unwrap_or_default(),
        department: names.get(&t.department_id).cloned().unwrap_or_default(),
        agency: t.agency.clone(),
        facts: t.facts.clone(),
        created: local(&t.created_at),
        status: t.status,
        status_label: t.status.label_zh().into(),
    }
}

async fn names_of(st: &AppState, ids: Vec<Uuid>) -> BTreeMap<Uuid, String> {
    crate::api::entities::department_names(&st.svc, ids)
        .await
        .into_iter()
        .collect()
}

#[derive(Template)]
#[template(path = "console/transfers.html")]
struct TransfersPage {
    c: Chrome,
    rows: Vec<TransferRow>,
    pager: Pager,
    region: String,
    status: String,
    filtered: bool,
    statuses: Vec<(&'static str, &'static str)>,
    errors: BTreeMap<String, String>,
}

pub async fn transfers(
    State(st): State<AppState>,
    Console(s): Console,
    Query(q): Query<Vec<(String, String)>>,
) -> Result<Response, ConsoleError> {
    let p = Params(q);
    let mut f = Filters::of(&p);
    f.overdue.clear();
    let (page, errors) = match f.query(TransferStatus::parse) {
        Ok(q) => match follow_ups::transfers(&st.svc, &s.actor, &q, page_of(&p)).await {
            Ok(p) => (p, BTreeMap::new()),
            Err(e) => return Err(e.into()),
        },
        Err(e) => (empty_page(), e),
    };
    let names = names_of(&st, page.items.iter().map(|t| t.department_id).collect()).await;
    let mut rows = Vec::with_capacity(page.items.len());
    for t in &page.items {
        rows.push(transfer_row(&st, &s, t, &names).await);
    }
    let pager = Pager::new(&page, &[("region", &f.region), ("status", &f.status)]);
    let code = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let body = render(TransfersPage {
        c: Chrome::new(&st.svc, &s, "transfers").await,
        rows,
        pager,
        filtered: !f.is_empty(),
        region: f.region,
        status: f.status,
        statuses: TransferStatus::ALL
            .iter()
            .map(|x| (x.as_str(), x.label_zh()))
            .collect(),
        errors,
    });
    Ok((code, body).into_response())
}

#[derive(Template)]
#[template(path = "console/transfer_detail.html")]
struct TransferPage {
    c: Chrome,
    t: TransferRow,
    visit_id: Uuid,
    usci: String,
    created_by: String,
    feedback: String,
    feedback_at: String,
    may_act: bool,
    error: Option<String>,
    errors: BTreeMap<String, String>,
    feedback_text: String,
    verdict: String,
    decided_on: String,
    document_no: String,
    /// The agency's decision as recorded: its date and document number.
    decision: String,
    /// The police's requests and the consultations of the transfer (行刑衔接).
    rows: Vec<super::assistance::Row>,
    linkage: super::assistance::TransferLinkage,
}

/// The transfer's page; `err` and `f` are a refused answer's, `linkage` a refused request's
/// (error and form values).
pub(super) async fn transfer_page(
    st: &AppState,
    s: &SessionAuth,
    id: Uuid,
    notice_key: &str,
    err: Option<ServiceError>,
    f: Option<&FormData>,
    linkage: Option<(ServiceError, &FormData)>,
) -> Result<Response, ConsoleError> {
    let t = follow_ups::get_transfer(&st.svc, &s.actor, id).await?;
    // The transfer is seen by those who see its visit.
    let v = visits::get(&st.svc, &s.actor, t.visit_id).await?;
    let (error, errors, mut status) = failure(err);
    let (link_err, link_form) = match linkage {
        Some((e, lf)) => (Some(e), Some(lf)),
        None => (None, None),
    };
    let decision = follow_ups::transfer_decision(&st.svc, &s.actor, id)
        .await?
        .map(|d| match d.document_no {
            Some(no) => format!("{}（{no}）", d.decided_on),
            None => d.decided_on.to_string(),
        })
        .unwrap_or_default();
    let (rows, linkage, link_status) =
        super::assistance::transfer_linkage(st, s, &t, link_err, link_form).await?;
    if link_status != StatusCode::OK {
        status = link_status;
    }
    let names = names_of(st, vec![t.department_id]).await;
    let mut c = Chrome::new(&st.svc, s, "transfers").await;
    c.notice = notice(notice_key);
    let get = |k: &str| f.map(|f| f.get(k)).unwrap_or_default();
    let body = render(TransferPage {
        c,
        visit_id: t.visit_id,
        usci: v.visit.usci.clone(),
        created_by: t.created_by.clone(),
        feedback: t.feedback.clone().unwrap_or_default(),
        feedback_at: local_opt(&t.feedback_at),
        may_act: !t.status.is_final() && v.acting_departments.contains(&t.department_id),
        t: transfer_row(st, s, &t, &names).await,
        error,
        errors,
        feedback_text: get("feedback"),
        verdict: get("verdict"),
        decided_on: get("decided_on"),
        document_no: get("document_no"),
        decision,
        rows,
        linkage,
    });
    Ok((status, body).into_response())
}

pub async fn transfer(
    State(st): State<AppState>,
    Console(s): Console,
    PathId(id): PathId,
    Query(q): Query<Vec<(String, String)>>,
) -> Result<Response, ConsoleError> {
    transfer_page(&st, &s, id, &Params(q).one("ok"), None, None, None).await
}

pub async fn transfer_feedback(
    State(st): State<AppState>,
    Console(s): Console,
    PathId(id): PathId,
    CsrfForm(f): CsrfForm<FormData>,
) -> Result<Response, ConsoleError> {
    let accepted = match f.get("verdict").as_str() {
        "accepted" => true,
        "declined" => false,
        _ => {
            let e = ServiceError::field(
                "verdict",
                lianjian_domain::Invalid::new(
                    "required",
                    "请选择办案机关的答复：受理或不予受理",
                    "choose the agency's answer",
                ),
            );
            return transfer_page(&st, &s, id, "", Some(e), Some(&f), None).await;
        }
    };
    let decision = follow_ups::TransferDecisionInput {
        decided_on: Some(f.get("decided_on")),
        document_no: Some(f.get("document_no")),
    };
    match follow_ups::transfer_feedback(
        &st.svc,
        &s.actor,
        id,
        accepted,
        &f.get("feedback"),
        &decision,
    )
    .await
    {
        Ok(t) => Ok(see_other(&format!(
            "/console/transfers/{id}?ok={}",
            t.status.as_str()
        ))),
        Err(ServiceError::NotFound) => Err(ConsoleError::not_found()),
        Err(e) => transfer_page(&st, &s, id, "", Some(e), Some(&f), None).await,
    }
}

// ---- printed 抄告函 and 涉嫌犯罪案件移送书 (issue 13 item 4) ----

/// The legal bases of the check points a department's parts of the visit found 不符合: what a
/// referral or a transfer by that department cites.
fn failed_bases(v: &VisitDetail, department_id: Uuid) -> Vec<String> {
    lianjian_services::documents::provisions(
        v.parts
            .iter()
            .filter(|p| p.department_id == department_id)
            .flat_map(|p| p.points.iter())
            .filter(|x| x.answer == Some(Answer::Fail))
            .map(|x| x.legal_basis.as_str()),
    )
}

#[derive(Template)]
#[template(path = "console/referral_print.html")]
struct ReferralPrint {
    c: Chrome,
    back: String,
    code: String,
    issuer: lianjian_services::documents::Issuer,
    /// The receiving department's legal name.
    to: String,
    entity_name: String,
    usci: String,
    visit_code: String,
    matter: String,
    provisions: Vec<String>,
    deadline: String,
    issued_on: String,
}

/// 抄告函 to the receiving department, with the notice to the inspected entity, for A4 paper.
pub async fn referral_print(
    State(st): State<AppState>,
    Console(s): Console,
    PathId(id): PathId,
) -> Result<Response, ConsoleError> {
    let r = follow_ups::referral(&st.svc, &s.actor, id).await?;
    let f = &r.referral;
    let issuer = lianjian_services::documents::issuer(&st.svc, f.from_department_id).await?;
    let to = lianjian_services::documents::issuer(&st.svc, f.to_department_id)
        .await?
        .legal_name;
    // The receiving side may not see the visit: it prints without the cited provisions then.
    let v = visits::get(&st.svc, &s.actor, f.visit_id).await.ok();
    Ok(render(ReferralPrint {
        c: Chrome::new(&st.svc, &s, "referrals").await,
        back: format!("/console/referrals/{id}"),
        code: f.code.clone(),
        issuer,
        to,
        entity_name: r.entity_name.clone(),
        usci: v.as_ref().map(|v| v.visit.usci.clone()).unwrap_or_default(),
        visit_code: r.visit_code.clone(),
        matter: f.matter.clone(),
        provisions: v
            .as_ref()
            .map(|v| failed_bases(v, f.from_department_id))
            .unwrap_or_default(),
        deadline: date_zh(f.deadline),
        issued_on: date_zh(beijing_date(f.created_at)),
    }))
}

#[derive(Template)]
#[template(path = "console/transfer_print.html")]
struct TransferPrint {
    c: Chrome,
    back: String,
    code: String,
    issuer: lianjian_services::documents::Issuer,
    agency: String,
    entity_name: String,
    usci: String,
    visit_code: String,
    facts: String,
    provisions: Vec<String>,
    issued_on: String,
}

/// 涉嫌犯罪案件移送书 to the handling agency, with the notice to the inspected entity, for A4.
pub async fn transfer_print(
    State(st): State<AppState>,
    Console(s): Console,
    PathId(id): PathId,
) -> Result<Response, ConsoleError> {
    let t = follow_ups::get_transfer(&st.svc, &s.actor, id).await?;
    let v = visits::get(&st.svc, &s.actor, t.visit_id).await?;
    let issuer = lianjian_services::documents::issuer(&st.svc, t.department_id).await?;
    Ok(render(TransferPrint {
        c: Chrome::new(&st.svc, &s, "transfers").await,
        back: format!("/console/transfers/{id}"),
        code: t.code.clone(),
        issuer,
        agency: t.agency.clone(),
        entity_name: v.visit.entity_name.clone(),
        usci: v.visit.usci.clone(),
        visit_code: v.visit.code.clone(),
        facts: t.facts.clone(),
        provisions: failed_bases(&v, t.department_id),
        issued_on: date_zh(beijing_date(t.created_at)),
    }))
}
