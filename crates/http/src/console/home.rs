//! Console home and the context switch.

use askama::Template;
use axum::extract::{Query, State};
use axum::response::Response;
use lianjian_domain::department::BUILTIN_SETS;
use lianjian_services::PageRequest;
use lianjian_services::accounts;
use lianjian_services::departments::DepartmentQuery;
use lianjian_services::queues::{self, Queue, QueueKind};
use serde::Deserialize;

use super::{BUSINESS_AREAS, Chrome, ConsoleError, CsrfForm, render, see_other};
use crate::AppState;
use crate::extract::Console;

#[derive(Template)]
#[template(path = "console/home.html")]
struct Home {
    c: Chrome,
    department: String,
    region: String,
    areas: Vec<(&'static str, String, &'static str)>,
    stats: (u64, u64, u64),
    lines: Vec<(String, String)>,
    context_region: String,
    context_line: String,
    /// The queues the user's role owns, each linking to its list filtered to exactly the
    /// counted rows; `None` when they could not be counted.
    todo: Option<Vec<Tile>>,
    /// The user's clue queues with their counts (问题线索 card); `None` when not counted.
    clues: Option<ClueCard>,
}

/// The home page's 问题线索 card: each of the user's queues with its count, and how many clues
/// are due soon (yellow) and overdue (red), each linking to its queue.
pub struct ClueCard {
    queues: Vec<(&'static str, &'static str, u64)>,
    yellow: u64,
    red: u64,
}

async fn clue_card(
    svc: &lianjian_services::Services,
    a: &lianjian_domain::scope::Actor,
) -> Option<ClueCard> {
    use lianjian_services::clues::{self, Queue};
    match clues::queue_counts(svc, a).await {
        Ok(counts) => {
            let of = |q: Queue| counts.iter().find(|(x, _)| *x == q).map_or(0, |(_, n)| *n);
            Some(ClueCard {
                yellow: of(Queue::DueSoon),
                red: of(Queue::Overdue),
                queues: counts
                    .iter()
                    .filter(|(q, _)| {
                        !matches!(
                            q,
                            Queue::All | Queue::Finished | Queue::DueSoon | Queue::Overdue
                        )
                    })
                    .map(|(q, n)| (q.as_str(), q.label_zh(), *n))
                    .collect(),
            })
        }
        Err(e) => {
            tracing::warn!(error = %e, "clue queue counts failed");
            None
        }
    }
}

/// One to-do card of the home page.
pub struct Tile {
    /// Stable key (tests and scripts find the card by it).
    key: &'static str,
    label: &'static str,
    count: u64,
    href: String,
    /// Late work: shown in red while the count is not zero.
    late: bool,
}

/// The card of a queue: its label and the list that shows exactly its rows.
fn tile(q: Queue) -> Tile {
    let region = |within: &Option<lianjian_domain::region::RegionCode>| {
        within
            .as_ref()
            .map(|r| format!("&region={r}"))
            .unwrap_or_default()
    };
    let (key, label, href, late) = match &q.kind {
        QueueKind::PlansToApprove { within } => (
            "plans_to_approve",
            "待审批的年度抽查计划",
            format!("/console/plans?status=submitted{}", region(within)),
            false,
        ),
        QueueKind::PlansToPublish { within } => (
            "plans_to_publish",
            "已审批待公告的抽查计划",
            format!("/console/plans?status=approved{}", region(within)),
            false,
        ),
        QueueKind::Claims { escalations: true } => (
            "claims",
            "双告知待研判（各部门均未认领）",
            "/console/claims".to_string(),
            false,
        ),
        QueueKind::Claims { escalations: false } => (
            "claims",
            "双告知待本部门认领",
            "/console/claims".to_string(),
            false,
        ),
        QueueKind::Reviews => (
            "reviews",
            "检查结果待审核",
            "/console/visits?status=submitted".to_string(),
            false,
        ),
        QueueKind::LatePublications => (
            "late_publications",
            "逾期未公示的检查结果",
            "/console/results?late=1".to_string(),
            true,
        ),
        QueueKind::OverdueOrders => (
            "overdue_orders",
            "逾期未整改的责令整改",
            "/console/rectifications?overdue=1".to_string(),
            true,
        ),
        QueueKind::ReportedOrders => (
            "reported_orders",
            "已报告整改待复查",
            "/console/rectifications?status=reported".to_string(),
            false,
        ),
        QueueKind::ReferralsWaiting => (
            "referrals",
            "收到的抄告待反馈",
            "/console/referrals?status=sent".to_string(),
            false,
        ),
        QueueKind::TransfersWaiting => (
            "transfers",
            "已移送待办案机关反馈",
            "/console/transfers?status=transferred".to_string(),
            false,
        ),
        QueueKind::MyOpenVisits => (
            "my_visits",
            "我的待实施检查",
            "/console/visits?status=scheduled,in_progress".to_string(),
            false,
        ),
    };
    Tile {
        key,
        label,
        count: q.count,
        href,
        late,
    }
}

#[derive(Deserialize)]
pub struct Notice {
    ok: Option<String>,
    home: Option<String>,
}

pub async fn page(
    State(st): State<AppState>,
    Console(s): Console,
    Query(n): Query<Notice>,
) -> Result<Response, ConsoleError> {
    let svc = &st.svc;
    let a = &s.actor;
    // A leader's home is the analysis page (issue 17 item 6); `?home=1` shows this one.
    if a.role == lianjian_domain::account::Role::Leader && n.home.is_none() {
        return Ok(see_other("/console/analysis"));
    }
    // The procuratorate's console is the transfers it supervises (no home cards of other work).
    if a.role.reads_transfers_only() {
        return Ok(axum::response::IntoResponse::into_response(
            axum::response::Redirect::to("/console/transfers"),
        ));
    }
    let c = Chrome::new(svc, &s, "home")
        .await
        .with_notice(n.ok.as_deref());
    let department = lianjian_services::departments::by_ids(svc, &[a.department_id])
        .await
        .ok()
        .and_then(|mut m| m.remove(&a.department_id))
        .map(|d| d.name)
        .unwrap_or_default();
    let region = lianjian_services::regions::path_name(svc, &a.region)
        .await
        .unwrap_or_default();
    let departments = lianjian_services::departments::list(
        svc,
        a,
        &DepartmentQuery::default(),
        PageRequest::new(Some(1), Some(1)),
    )
    .await
    .map(|p| p.total)
    .unwrap_or(0);
    let sector_count = lianjian_services::sectors::count(svc).await.unwrap_or(0);
    let audit_count = lianjian_services::audit_log::count(svc).await.unwrap_or(0);
    // Line keys with a readable name, from the built-in sets.
    let mut lines: Vec<(String, String)> = BUILTIN_SETS
        .iter()
        .flat_map(|set| set.departments.iter())
        .filter(|d| d.prefixed)
        .map(|d| (d.line.to_string(), d.stem.to_string()))
        .collect();
    lines.sort();
    lines.dedup_by(|x, y| x.0 == y.0);
    let todo = match queues::todo(svc, a).await {
        Ok(qs) => Some(qs.into_iter().map(tile).collect()),
        Err(e) => {
            tracing::warn!(error = %e, "to-do counts failed");
            None
        }
    };
    let clues = clue_card(svc, a).await;
    let t = c.t;
    Ok(render(Home {
        todo,
        clues,
        department,
        region,
        areas: BUSINESS_AREAS
            .iter()
            .map(|(k, key, d)| (*k, t.get(key).to_string(), *d))
            .collect(),
        stats: (departments, sector_count, audit_count),
        lines,
        context_region: a
            .context
            .as_ref()
            .map(|x| x.region.to_string())
            .unwrap_or_default(),
        context_line: a
            .context
            .as_ref()
            .and_then(|x| x.department_line.clone())
            .unwrap_or_default(),
        c,
    }))
}

#[derive(Deserialize)]
pub struct ContextForm {
    #[serde(default)]
    region: String,
    #[serde(default)]
    line: String,
}

pub async fn switch_context(
    State(st): State<AppState>,
    Console(s): Console,
    CsrfForm(f): CsrfForm<ContextForm>,
) -> Result<Response, ConsoleError> {
    accounts::set_context(&st.svc, &s, Some(&f.region), Some(&f.line)).await?;
    Ok(see_other("/console?ok=context"))
}
