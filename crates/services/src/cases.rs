//! The shared case mechanism (案件化办理, `domain::case`) as the use cases of every case kind
//! use it: [`record_step`] writes a step's event row and its audit entry in the caller's
//! transaction (so both commit or neither does), [`start_clocks`] / [`stop_clocks`] keep the
//! working-day clocks, [`ClockView`] shows a clock's light on "now" by the calendar, and
//! [`timeline`] reads a case's steps back. A capability (clues now; credit feedback tasks and
//! warnings later) defines its statuses and rules and calls these; it never writes events,
//! clocks or their audit entries itself.

use chrono::NaiveDate;
use lianjian_domain::Labelled;
use lianjian_domain::calendar::WorkingDayCalendar;
use lianjian_domain::case::{CaseKind, Clock, ClockSpec, Light, Step};
use lianjian_domain::lifecycle::Lifecycle;
use lianjian_domain::scope::Actor;
use lianjian_store::Conn;
use lianjian_store::cases::{self as repo, CaseEvent, ClockHolder};
use serde::Serialize;
use uuid::Uuid;

use crate::Result;
use crate::trail::{Record, record};

/// The case a step belongs to: its kind, id, code (for the audit entry) and where it lies
/// (region and department, so scoped auditors see the entry).
pub struct CaseRef<'a> {
    pub kind: CaseKind,
    pub id: Uuid,
    pub code: &'a str,
    pub region: &'a str,
    pub department_id: Option<Uuid>,
}

/// Writes one step of a case: the event row and the audit entry `<kind>.<action>` with the
/// status before and after, the reason and `detail`, on `tx` (the caller's transaction, which
/// also holds the case row's change). Returns the event as stored.
pub async fn record_step<S: Lifecycle>(
    tx: &impl Conn,
    actor: &Actor,
    case: &CaseRef<'_>,
    step: &Step<S>,
    detail: serde_json::Value,
) -> Result<CaseEvent> {
    let is_person = !actor.user_id.is_nil();
    let detail_text = (!detail.is_null()).then(|| detail.to_string());
    let e = CaseEvent {
        id: Uuid::now_v7(),
        case_kind: case.kind,
        case_id: case.id,
        action: step.action.to_string(),
        from_status: step.from.map(|s| s.code().to_string()),
        to_status: step.to.code().to_string(),
        reason: step.reason.clone(),
        detail: detail_text,
        actor_id: is_person.then_some(actor.user_id),
        actor_name: actor.username.clone(),
        actor_display: actor.display_name.clone(),
        actor_department_id: is_person.then_some(actor.department_id),
        region_code: case.region.to_string(),
        at: lianjian_domain::audit::audit_time(chrono::Utc::now()),
    };
    repo::insert_event(tx, &e).await?;
    let action = format!("{}.{}", case.kind.as_str(), step.action);
    let mut r = Record::new(&action, case.kind.as_str(), case.id)
        .at(case.region, case.department_id)
        .after(&serde_json::json!({
            "code": case.code,
            "status": step.to.code(),
            "reason": step.reason,
            "detail": detail,
            "event": e.id,
        }));
    if let Some(from) = step.from {
        r = r.before(&serde_json::json!({ "status": from.code() }));
    }
    record(tx, actor, r).await?;
    Ok(e)
}

/// Starts (or starts again) the clocks `specs` of a case on `on`, replacing clocks of the same
/// names. Returns them.
/// They run against `holder` (the case's region and the department that must act).
pub(crate) async fn start_clocks(
    tx: &impl Conn,
    cal: &WorkingDayCalendar,
    kind: CaseKind,
    id: Uuid,
    holder: &ClockHolder,
    specs: &[ClockSpec],
    on: NaiveDate,
) -> Result<Vec<Clock>> {
    let mut out = Vec::with_capacity(specs.len());
    for s in specs {
        let k = Clock::start(cal, s, on);
        repo::put_clock(tx, kind, id, &k, holder).await?;
        out.push(k);
    }
    Ok(out)
}

/// Stops the running clocks named (all running clocks if `names` is empty) on `on`, by the
/// step `by` (its action).
pub(crate) async fn stop_clocks(
    tx: &impl Conn,
    kind: CaseKind,
    id: Uuid,
    names: &[&str],
    on: NaiveDate,
    by: &str,
) -> Result<()> {
    Ok(repo::stop_clocks(tx, kind, id, names, on, by).await?)
}

/// Starts (or starts again) an hour clock `name` of a case at `at`, due `hours` later (a
/// response plan's "within 2 hours": hours run through nights and holidays).
pub(crate) async fn start_hour_clock(
    tx: &impl Conn,
    kind: CaseKind,
    id: Uuid,
    holder: &ClockHolder,
    name: &str,
    at: chrono::DateTime<chrono::Utc>,
    hours: u32,
) -> Result<Clock> {
    let k = Clock::start_hours(name, at, hours);
    repo::put_clock(tx, kind, id, &k, holder).await?;
    Ok(k)
}

/// [`stop_clocks`] at the instant `at` (its Beijing date is the stop day; hour clocks keep the
/// instant, so they are met or late by the minute).
pub(crate) async fn stop_clocks_at(
    tx: &impl Conn,
    kind: CaseKind,
    id: Uuid,
    names: &[&str],
    at: chrono::DateTime<chrono::Utc>,
    by: &str,
) -> Result<()> {
    let on = lianjian_domain::visit::beijing_date(at);
    repo::stop_clocks(tx, kind, id, names, on, by).await?;
    Ok(repo::stamp_stopped(tx, kind, id, at).await?)
}

/// Moves a running clock's deadline `more` working days later (an approved extension).
/// Returns the clock as now stored, or `None` if the case has no such running clock.
pub(crate) async fn extend_clock(
    tx: &impl Conn,
    cal: &WorkingDayCalendar,
    kind: CaseKind,
    id: Uuid,
    name: &str,
    more: u32,
) -> Result<Option<Clock>> {
    let Some(k) = repo::clocks_of(tx, kind, id)
        .await?
        .into_iter()
        .find(|k| k.name == name && k.stopped_on.is_none())
    else {
        return Ok(None);
    };
    let k = k.extended(cal, more);
    repo::set_due(tx, kind, id, &k).await?;
    Ok(Some(k))
}

/// A clock as pages and API answers show it: its deadline and light on the day it was read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct ClockView {
    /// `sign`, `return`, `finish` …
    pub name: String,
    pub label: String,
    pub started_on: NaiveDate,
    pub working_days: u32,
    pub due: NaiveDate,
    pub stopped_on: Option<NaiveDate>,
    pub light: Light,
    pub light_label: String,
    /// Working days left after today up to the deadline (negative once past it); none once
    /// stopped.
    pub working_days_left: Option<i64>,
    /// An hour clock's deadline to the minute (none for working-day clocks).
    pub due_at: Option<chrono::DateTime<chrono::Utc>>,
}

impl ClockView {
    /// `labels` names the capability's clocks (a clock not named keeps its code as label).
    pub fn of(k: &Clock, cal: &WorkingDayCalendar, today: NaiveDate, labels: &[ClockSpec]) -> Self {
        let light = k.light(cal, today);
        Self {
            label: labels
                .iter()
                .find(|s| s.name == k.name)
                .map_or_else(|| k.name.clone(), |s| s.label_zh.to_string()),
            name: k.name.clone(),
            started_on: k.started_on,
            working_days: k.working_days,
            due: k.due,
            stopped_on: k.stopped_on,
            light,
            light_label: light.label_zh().to_string(),
            working_days_left: k
                .stopped_on
                .is_none()
                .then(|| k.working_days_left(cal, today)),
            due_at: k.due_at,
        }
    }

    /// The clock at the instant `now` (hour clocks lit by the minute).
    pub fn at(
        k: &Clock,
        cal: &WorkingDayCalendar,
        now: chrono::DateTime<chrono::Utc>,
        labels: &[ClockSpec],
    ) -> Self {
        let mut v = Self::of(k, cal, lianjian_domain::visit::beijing_date(now), labels);
        v.light = k.light_at(cal, now);
        v.light_label = v.light.label_zh().to_string();
        v
    }
}

/// A case's clocks with their lights on `today`.
pub(crate) async fn clocks(
    c: &impl Conn,
    cal: &WorkingDayCalendar,
    kind: CaseKind,
    id: Uuid,
    today: NaiveDate,
    labels: &[ClockSpec],
) -> Result<Vec<ClockView>> {
    let mut out: Vec<ClockView> = repo::clocks_of(c, kind, id)
        .await?
        .iter()
        .map(|k| ClockView::of(k, cal, today, labels))
        .collect();
    sort_as(&mut out, labels);
    Ok(out)
}

/// Clocks in the order the capability names them (签收, 退回, 办结), others after by name.
fn sort_as(clocks: &mut [ClockView], labels: &[ClockSpec]) {
    clocks.sort_by_key(|k| {
        (
            labels
                .iter()
                .position(|s| s.name == k.name)
                .unwrap_or(usize::MAX),
            k.name.clone(),
        )
    });
}

/// The clocks of many cases (a queue page), by case id.
pub(crate) async fn clocks_of_many(
    c: &impl Conn,
    cal: &WorkingDayCalendar,
    kind: CaseKind,
    ids: &[Uuid],
    today: NaiveDate,
    labels: &[ClockSpec],
) -> Result<std::collections::HashMap<Uuid, Vec<ClockView>>> {
    let mut out: std::collections::HashMap<Uuid, Vec<ClockView>> = Default::default();
    for (id, k) in repo::clocks_of_many(c, kind, ids).await? {
        out.entry(id)
            .or_default()
            .push(ClockView::of(&k, cal, today, labels));
    }
    for v in out.values_mut() {
        sort_as(v, labels);
    }
    Ok(out)
}

/// A step on a case's timeline as pages and API answers show it, with the capability's labels
/// (sanction batches and tasks, appeals, warnings, hand-overs).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct CaseStepView {
    pub action: String,
    pub action_label: String,
    pub from_status: Option<String>,
    pub to_status: String,
    pub reason: Option<String>,
    pub actor: String,
    pub at: chrono::DateTime<chrono::Utc>,
}

impl CaseStepView {
    /// The event with its action and statuses labelled by the capability (`action_label`
    /// names an action; statuses are labelled by the lifecycle `S`); unknown codes stay codes.
    pub fn of<S: Lifecycle>(
        e: CaseEvent,
        action_label: impl Fn(&str) -> Option<&'static str>,
    ) -> Self {
        let status = |code: &str| {
            S::STATUSES
                .iter()
                .find(|s| s.code() == code)
                .map_or_else(|| code.to_string(), |s| s.label().to_string())
        };
        Self {
            action_label: action_label(&e.action).map_or_else(|| e.action.clone(), str::to_string),
            from_status: e.from_status.as_deref().map(status),
            to_status: status(&e.to_status),
            action: e.action,
            reason: e.reason,
            actor: e.actor_display,
            at: e.at,
        }
    }
}

/// A case's steps, oldest first (the timeline on its page: who, when, what, why).
pub(crate) async fn timeline(c: &impl Conn, kind: CaseKind, id: Uuid) -> Result<Vec<CaseEvent>> {
    Ok(repo::events_of(c, kind, id).await?)
}

/// The count of every queue of a case kind (the tabs of its queue page), in the order of its
/// queues, each counted by `count` with the query its list uses, so a tab and the list behind
/// it never disagree.
pub(crate) async fn queue_counts<Q: Labelled, Fut>(
    count: impl Fn(Q) -> Fut,
) -> Result<Vec<(Q, u64)>>
where
    Fut: Future<Output = Result<u64>>,
{
    let mut out = Vec::with_capacity(Q::ALL.len());
    for &q in Q::ALL {
        out.push((q, count(q).await?));
    }
    Ok(out)
}

/// Dates that bound the queue filters on clocks for a clock that warns `warn_within` working
/// days ahead: due before `overdue_before` (= today) is red; due in
/// `[today, yellow_before)` is yellow. The same rule as [`Clock::light`], as dates for SQL.
pub fn yellow_before(cal: &WorkingDayCalendar, today: NaiveDate, warn_within: u32) -> NaiveDate {
    // working_days_between(today, due) <= w  ⇔  due < the (w+1)-th working day after today.
    cal.add_working_days(today, warn_within + 1)
}

/// The actor the server acts as for its own steps (escalation on a timer): recorded in events
/// and the audit log as `system`.
pub fn server_actor() -> Actor {
    let mut a = crate::cli_actor();
    a.username = "system".into();
    a.display_name = "系统（超时自动处理）".into();
    a
}
