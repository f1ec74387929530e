//! 联合信用监管 · 信用记录: the list of credit entries with filters and export, an entry's page
//! (publication period, whether it is public today, removal of a listing after confirmation),
//! the form for a new entry, and an entity's credit file (信用档案: entries and published
//! inspection results, newest first).

use std::collections::{BTreeMap, HashMap};

use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::NaiveDate;
use lianjian_domain::credit::{
    PenaltyKind, RecordDetail, RecordKind, RecordStatus, StrictField, Tier,
};
use lianjian_domain::visit::beijing_date;
use lianjian_services::accounts::SessionAuth;
use lianjian_services::credit::{self, Entry, EntryFilter, EntryInput, TimelineItem};
use lianjian_services::{PageRequest, Services};
use uuid::Uuid;

use super::directory::options;
use super::fields::{FormData, errors_of};
use super::inspectors::department_options;
use super::{Chrome, ConsoleError, CsrfForm, Pager, PathId, form_errors, render, see_other};
use crate::AppState;
use crate::api::params::Params;
use crate::extract::Console;

fn may_edit(s: &SessionAuth) -> bool {
    credit::may_record(&s.actor) && !s.actor.role.is_read_only()
}

fn notice(key: &str) -> Option<String> {
    Some(
        match key {
            "created" => "信用记录已登记，公示期限已按信用修复规则计算。",
            "removed" => "已移出名录：记录保留，不再生效，也不再公示。",
            _ => return None,
        }
        .to_string(),
    )
}

/// Department names by id, looked up once per page.
async fn department_names(
    svc: &Services,
    ids: impl Iterator<Item = Uuid>,
) -> HashMap<Uuid, String> {
    let ids: Vec<Uuid> = ids.collect();
    lianjian_services::departments::by_ids(svc, &ids)
        .await
        .unwrap_or_default()
        .into_iter()
        .map(|(id, d)| (id, d.name))
        .collect()
}

/// An entry as a row or a page shows it: labels only, never a code.
pub struct EntryView {
    id: Uuid,
    entity_id: Uuid,
    entity_name: String,
    usci: String,
    kind: String,
    kind_code: &'static str,
    tier: String,
    on: String,
    reference: String,
    title: String,
    legal_basis: String,
    department: String,
    penalty: String,
    status: String,
    status_code: &'static str,
    source: String,
    published: bool,
    public_now: bool,
    repair_from: String,
    until: String,
    ended_on: String,
    removal_reason: String,
    listing_active: bool,
}

fn view(
    e: &Entry,
    today: NaiveDate,
    names: &HashMap<Uuid, String>,
    entity: Option<&(String, String)>,
) -> EntryView {
    let (penalty, removal_reason) = match &e.detail {
        RecordDetail::Penalty {
            kinds,
            amount_cents,
            strict_field,
        } => {
            let mut p = kinds
                .iter()
                .map(|k| k.label_zh())
                .collect::<Vec<_>>()
                .join("、");
            if *amount_cents > 0 {
                p.push_str(&format!(
                    "，罚没 {} 元",
                    lianjian_domain::credit::yuan(*amount_cents)
                ));
            }
            if let Some(s) = strict_field {
                p.push_str(&format!("（{}领域）", s.label_zh()));
            }
            (p, String::new())
        }
        RecordDetail::Listing { removal_reason, .. } => {
            (String::new(), removal_reason.clone().unwrap_or_default())
        }
        RecordDetail::Sanction { measure, until, .. } => {
            (format!("{measure}，至 {until}"), String::new())
        }
        RecordDetail::VerifiedClue { clue_code, finding } => (
            format!("问题线索 {clue_code}，查实情况：{}", finding.label_zh()),
            String::new(),
        ),
        RecordDetail::Note { .. } => (String::new(), String::new()),
    };
    let (entity_name, usci) = entity.cloned().unwrap_or_default();
    EntryView {
        id: e.id,
        entity_id: e.entity_id,
        entity_name,
        usci,
        kind: e.kind.label_zh().into(),
        kind_code: e.kind.as_str(),
        tier: e.tier.map(|t| t.label_zh().to_string()).unwrap_or_default(),
        on: e.occurred_on.to_string(),
        reference: e.reference.clone().unwrap_or_default(),
        title: e.title.clone(),
        legal_basis: e.legal_basis.clone().unwrap_or_default(),
        department: e
            .department_id
            .and_then(|d| names.get(&d).cloned())
            .unwrap_or_default(),
        penalty,
        status: e.status.label_zh().into(),
        status_code: e.status.as_str(),
        source: e.source.label_zh().into(),
        published: e.publication.published,
        public_now: e.record().is_public_on(today),
        repair_from: e.publication.repair_from.to_string(),
        until: e.publication.until.to_string(),
        ended_on: e.ended_on.map(|d| d.to_string()).unwrap_or_default(),
        removal_reason,
        listing_active: e.status == RecordStatus::Active
            && matches!(
                e.kind,
                RecordKind::AbnormalListing | RecordKind::SeriousDishonesty
            ),
    }
}

async fn entities_of(svc: &Services, entries: &[Entry]) -> HashMap<Uuid, (String, String)> {
    let ids: Vec<Uuid> = entries.iter().map(|e| e.entity_id).collect();
    credit::entity_names(svc, &ids).await.unwrap_or_default()
}

// ---- list ----

#[derive(Default)]
pub struct Filters {
    q: String,
    kind: String,
    status: String,
    from: String,
    to: String,
}

impl Filters {
    fn any(&self) -> bool {
        [&self.q, &self.kind, &self.status, &self.from, &self.to]
            .iter()
            .any(|v| !v.is_empty())
    }

    fn pairs(&self) -> Vec<(&'static str, &str)> {
        vec![
            ("q", &self.q),
            ("kind", &self.kind),
            ("status", &self.status),
            ("from", &self.from),
            ("to", &self.to),
        ]
    }

    fn filter(&self) -> EntryFilter {
        EntryFilter {
            kind: self.kind.clone(),
            status: self.status.clone(),
            q: self.q.clone(),
            from: self.from.clone(),
            to: self.to.clone(),
            ..Default::default()
        }
    }
}

#[derive(Template)]
#[template(path = "console/credit_entries.html")]
struct ListPage {
    c: Chrome,
    rows: Vec<EntryView>,
    pager: Pager,
    f: Filters,
    base_query: String,
    errors: BTreeMap<String, String>,
    kinds: Vec<(String, String)>,
    statuses: Vec<(String, String)>,
    can_edit: bool,
}

fn filters_of(p: &Params) -> Filters {
    Filters {
        q: p.one("q"),
        kind: p.one("kind"),
        status: p.one("status"),
        from: p.one("from"),
        to: p.one("to"),
    }
}

pub async fn list(
    State(st): State<AppState>,
    Console(s): Console,
    Query(q): Query<Vec<(String, String)>>,
) -> Result<Response, ConsoleError> {
    let svc = &st.svc;
    let p = Params(q);
    let f = filters_of(&p);
    let mut errors = BTreeMap::new();
    let page = match f.filter().parse() {
        Ok(query) => {
            let req = PageRequest::new(p.paging().map(|r| r.page).ok(), Some(20));
            credit::list(svc, &s.actor, &query, req).await?
        }
        Err(e) => {
            errors = errors_of(&e).unwrap_or_default();
            lianjian_services::Page {
                items: Vec::new(),
                total: 0,
                page: 1,
                per_page: 20,
            }
        }
    };
    let pairs = f.pairs();
    let base_query = super::query_prefix(&pairs);
    let pager = Pager::new(&page, &pairs);
    let today = beijing_date(svc.now());
    let names = department_names(svc, page.items.iter().filter_map(|e| e.department_id)).await;
    let entities = entities_of(svc, &page.items).await;
    let rows = page
        .items
        .iter()
        .map(|e| view(e, today, &names, entities.get(&e.entity_id)))
        .collect();
    let mut c = Chrome::new(svc, &s, "credit").await;
    c.notice = notice(&p.one("ok"));
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let page = ListPage {
        c,
        rows,
        pager,
        base_query,
        errors,
        kinds: options(RecordKind::ALL, RecordKind::as_str, RecordKind::label_zh),
        statuses: options(
            RecordStatus::ALL,
            RecordStatus::as_str,
            RecordStatus::label_zh,
        ),
        can_edit: may_edit(&s),
        f,
    };
    Ok((status, render(page)).into_response())
}

/// The list as xlsx, with the list page's filters, in the import layout.
pub async fn export(
    State(st): State<AppState>,
    Console(s): Console,
    Query(q): Query<Vec<(String, String)>>,
) -> Result<Response, ConsoleError> {
    let query = filters_of(&Params(q)).filter().parse()?;
    let b = lianjian_services::exchange::credit::export(&st.svc, &s.actor, &query).await?;
    Ok(super::exchange::xlsx("信用记录.xlsx", b))
}

// ---- detail ----

#[derive(Template)]
#[template(path = "console/credit_entry.html")]
struct DetailPage {
    c: Chrome,
    e: EntryView,
    can_remove: bool,
    errors: BTreeMap<String, String>,
    removed_on: String,
    reason: String,
    today: String,
    /// 登记异议或信用修复申请 on the entity's behalf (an active entry; the office and
    /// department administrators).
    can_appeal: bool,
    appeal: AppealForm,
    appeal_errors: BTreeMap<String, String>,
}

/// The appeal form as typed.
#[derive(Default)]
pub struct AppealForm {
    kind: String,
    applicant: String,
    statement: String,
}

async fn detail_page(
    st: &AppState,
    s: &SessionAuth,
    e: Entry,
    errors: BTreeMap<String, String>,
    (removed_on, reason): (String, String),
    notice_key: &str,
) -> Response {
    appeal_page(
        st,
        s,
        e,
        errors,
        (removed_on, reason),
        notice_key,
        AppealForm::default(),
        BTreeMap::new(),
    )
    .await
}

#[allow(clippy::too_many_arguments)]
async fn appeal_page(
    st: &AppState,
    s: &SessionAuth,
    e: Entry,
    errors: BTreeMap<String, String>,
    (removed_on, reason): (String, String),
    notice_key: &str,
    appeal: AppealForm,
    appeal_errors: BTreeMap<String, String>,
) -> Response {
    let svc = &st.svc;
    let today = beijing_date(svc.now());
    let names = department_names(svc, e.department_id.into_iter()).await;
    let entities = entities_of(svc, std::slice::from_ref(&e)).await;
    let can_remove = may_edit(s)
        && (s.actor.role != lianjian_domain::account::Role::DepartmentAdmin
            || e.department_id == Some(s.actor.department_id));
    let v = view(&e, today, &names, entities.get(&e.entity_id));
    let mut c = Chrome::new(svc, s, "credit").await;
    c.notice = notice(notice_key);
    let status = if errors.is_empty() && appeal_errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let can_appeal = lianjian_services::credit::repair::may_register(&s.actor)
        && e.status == RecordStatus::Active
        && e.kind != RecordKind::Commendation;
    (
        status,
        render(DetailPage {
            c,
            can_appeal,
            appeal,
            appeal_errors,
            can_remove: can_remove && v.listing_active,
            e: v,
            errors,
            removed_on,
            reason,
            today: today.to_string(),
        }),
    )
        .into_response()
}

pub async fn detail(
    State(st): State<AppState>,
    Console(s): Console,
    PathId(id): PathId,
    Query(q): Query<Vec<(String, String)>>,
) -> Result<Response, ConsoleError> {
    let e = credit::get(&st.svc, &s.actor, id).await?;
    let ok = Params(q).one("ok");
    Ok(detail_page(&st, &s, e, BTreeMap::new(), Default::default(), &ok).await)
}

pub async fn remove(
    State(st): State<AppState>,
    Console(s): Console,
    PathId(id): PathId,
    CsrfForm(f): CsrfForm<FormData>,
) -> Result<Response, ConsoleError> {
    let (on, reason) = (f.get("removed_on"), f.get("reason"));
    match credit::remove_listing(&st.svc, &s.actor, id, &on, &reason).await {
        Ok(_) => Ok(see_other(&format!("/console/credit/{id}?ok=removed"))),
        Err(e) => {
            let mut errs = form_errors(e)?;
            if let Some(m) = errs.remove("removal_reason") {
                errs.insert("reason".into(), m);
            }
            let e = credit::get(&st.svc, &s.actor, id).await?;
            Ok(detail_page(&st, &s, e, errs, (on, reason), "").await)
        }
    }
}

/// 登记异议 / 信用修复申请 for the entity: the appeal's own page follows (联合惩戒 › 信用异议与
/// 信用修复), where it is decided within 10 working days.
pub async fn appeal(
    State(st): State<AppState>,
    Console(s): Console,
    PathId(id): PathId,
    CsrfForm(f): CsrfForm<FormData>,
) -> Result<Response, ConsoleError> {
    let form = AppealForm {
        kind: f.get("kind"),
        applicant: f.get("applicant"),
        statement: f.get("statement"),
    };
    let input = lianjian_services::credit::repair::AppealInput {
        kind: form.kind.clone(),
        entry_id: Some(id),
        applicant: form.applicant.clone(),
        statement: form.statement.clone(),
    };
    match lianjian_services::credit::repair::register(&st.svc, &s.actor, &input).await {
        Ok(d) => Ok(see_other(&format!(
            "/console/sanctions/appeals/{}",
            d.appeal.id
        ))),
        Err(e) => {
            let errs = form_errors(e)?;
            let entry = credit::get(&st.svc, &s.actor, id).await?;
            Ok(appeal_page(
                &st,
                &s,
                entry,
                BTreeMap::new(),
                Default::default(),
                "",
                form,
                errs,
            )
            .await)
        }
    }
}

// ---- new ----

#[derive(Template)]
#[template(path = "console/credit_form.html")]
struct FormPage {
    c: Chrome,
    f: EntryInput,
    chosen_kinds: Vec<String>,
    errors: BTreeMap<String, String>,
    kinds: Vec<(String, String)>,
    tiers: Vec<(String, String)>,
    penalty_kinds: Vec<(String, String)>,
    strict_fields: Vec<(String, String)>,
    departments: Vec<(String, String)>,
    own_department: bool,
}

async fn form_page(
    st: &AppState,
    s: &SessionAuth,
    f: EntryInput,
    errors: BTreeMap<String, String>,
) -> Response {
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let chosen_kinds = f
        .penalty_kinds
        .split('、')
        .filter(|k| !k.is_empty())
        .map(str::to_string)
        .collect();
    let own = s.actor.role == lianjian_domain::account::Role::DepartmentAdmin;
    (
        status,
        render(FormPage {
            c: Chrome::new(&st.svc, s, "credit").await,
            f,
            chosen_kinds,
            errors,
            kinds: RecordKind::ALL
                .iter()
                .filter(|k| !k.is_derived())
                .map(|k| (k.as_str().to_string(), k.label_zh().to_string()))
                .collect(),
            tiers: options(Tier::ALL, Tier::as_str, Tier::label_zh),
            penalty_kinds: options(PenaltyKind::ALL, PenaltyKind::as_str, PenaltyKind::label_zh),
            strict_fields: options(StrictField::ALL, StrictField::as_str, StrictField::label_zh),
            departments: if own {
                Vec::new()
            } else {
                department_options(&st.svc, s, true).await
            },
            own_department: own,
        }),
    )
        .into_response()
}

pub async fn new_form(
    State(st): State<AppState>,
    Console(s): Console,
    Query(q): Query<Vec<(String, String)>>,
) -> Result<Response, ConsoleError> {
    if !may_edit(&s) {
        return Err(ConsoleError::forbidden());
    }
    let p = Params(q);
    let f = EntryInput {
        usci: p.one("usci"),
        kind: RecordKind::Penalty.as_str().into(),
        ..Default::default()
    };
    Ok(form_page(&st, &s, f, BTreeMap::new()).await)
}

pub async fn create(
    State(st): State<AppState>,
    Console(s): Console,
    CsrfForm(f): CsrfForm<FormData>,
) -> Result<Response, ConsoleError> {
    let input = EntryInput {
        usci: f.get("usci"),
        kind: f.get("kind"),
        tier: f.get("tier"),
        occurred_on: f.get("occurred_on"),
        reference: f.get("reference"),
        title: f.get("title"),
        legal_basis: f.get("legal_basis"),
        penalty_kinds: f
            .all("penalty_kinds")
            .iter()
            .filter_map(|k| PenaltyKind::parse(k).ok())
            .map(|k| k.label_zh())
            .collect::<Vec<_>>()
            .join("、"),
        amount: f.get("amount"),
        strict_field: f.get("strict_field"),
        department_id: f.get("department_id"),
        removed_on: String::new(),
        removal_reason: String::new(),
    };
    match credit::record(
        &st.svc,
        &s.actor,
        &input,
        lianjian_domain::credit::RecordSource::Manual,
    )
    .await
    {
        Ok(e) => Ok(see_other(&format!("/console/credit/{}?ok=created", e.id))),
        Err(e) => {
            let errs = form_errors(e)?;
            Ok(form_page(&st, &s, input, errs).await)
        }
    }
}

// ---- an entity's credit file ----

pub struct TimelineRow {
    on: String,
    what: String,
    detail: String,
    department: String,
    status: String,
    href: String,
    public_now: bool,
}

#[derive(Template)]
#[template(path = "console/entity_credit.html")]
struct FilePage {
    c: Chrome,
    entity_id: Uuid,
    name: String,
    usci: String,
    class: String,
    rows: Vec<TimelineRow>,
    can_edit: bool,
}

pub async fn entity_file(
    State(st): State<AppState>,
    Console(s): Console,
    PathId(id): PathId,
) -> Result<Response, ConsoleError> {
    let svc = &st.svc;
    let e = lianjian_services::directory::visible_entity(svc, &s.actor, id).await?;
    let items = credit::timeline(svc, &s.actor, id).await?;
    let today = beijing_date(svc.now());
    let names = department_names(
        svc,
        items.iter().filter_map(|i| match i {
            TimelineItem::Entry(e) => e.department_id,
            TimelineItem::Inspection { department_id, .. } => Some(*department_id),
        }),
    )
    .await;
    let rows = items
        .iter()
        .map(|i| match i {
            TimelineItem::Entry(x) => {
                let v = view(x, today, &names, None);
                TimelineRow {
                    on: v.on,
                    what: v.kind,
                    detail: if v.reference.is_empty() {
                        v.title
                    } else {
                        format!("{}（{}）", v.title, v.reference)
                    },
                    department: v.department,
                    status: v.status,
                    href: format!("/console/credit/{}", v.id),
                    public_now: v.public_now,
                }
            }
            TimelineItem::Inspection {
                on,
                visit_id,
                department_id,
                result,
                follow_up,
            } => TimelineRow {
                on: on.to_string(),
                what: "检查结果".into(),
                detail: match follow_up {
                    Some(f) => format!("{result}（{f}）"),
                    None => result.clone(),
                },
                department: names.get(department_id).cloned().unwrap_or_default(),
                status: "已公示".into(),
                href: format!("/console/visits/{visit_id}"),
                public_now: true,
            },
        })
        .collect();
    let page = FilePage {
        c: Chrome::new(svc, &s, "credit").await,
        entity_id: e.id,
        name: e.name,
        usci: e.usci,
        class: match (e.credit_class, e.credit_date) {
            (Some(c), Some(d)) => format!(
                "{}（{}，{d}）",
                c.label_zh(),
                e.credit_source.unwrap_or_default()
            ),
            (Some(c), None) => c.label_zh().to_string(),
            _ => "未分类".into(),
        },
        rows,
        can_edit: may_edit(&s),
    };
    Ok(render(page).into_response())
}
