//! The shared case mechanism's tables (`domain::case`): `case_events`, one row per step of any
//! case kind, and `case_clocks`, the working-day clocks of each case by name. The services
//! write an event in the same transaction as the case row it changes and its audit entry.

use chrono::{DateTime, NaiveDate, Utc};
use lianjian_domain::case::{CaseKind, Clock};
use sea_orm::{ConnectionTrait, QueryResult, Value};
use serde::Serialize;
use uuid::Uuid;

use crate::{Result, placeholders, stmt};

/// One step of a case as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct CaseEvent {
    pub id: Uuid,
    pub case_kind: CaseKind,
    pub case_id: Uuid,
    pub action: String,
    /// Status codes of the case's own lifecycle (the capability parses them).
    pub from_status: Option<String>,
    pub to_status: String,
    pub reason: Option<String>,
    /// What else the step changed, as JSON text.
    pub detail: Option<String>,
    pub actor_id: Option<Uuid>,
    pub actor_name: String,
    pub actor_display: String,
    pub actor_department_id: Option<Uuid>,
    pub region_code: String,
    pub at: DateTime<Utc>,
}

pub(crate) const ECOLS: &str = "id, case_kind, case_id, action, from_status, to_status, reason, detail, actor_id, actor_name, actor_display, actor_department_id, region_code, at";

pub(crate) fn event_from_row(r: &QueryResult) -> Result<CaseEvent> {
    Ok(CaseEvent {
        id: r.try_get("", "id")?,
        case_kind: crate::coded(r, "case_kind", CaseKind::parse)?,
        case_id: r.try_get("", "case_id")?,
        action: r.try_get("", "action")?,
        from_status: r.try_get("", "from_status")?,
        to_status: r.try_get("", "to_status")?,
        reason: r.try_get("", "reason")?,
        detail: r.try_get("", "detail")?,
        actor_id: r.try_get("", "actor_id")?,
        actor_name: r.try_get("", "actor_name")?,
        actor_display: r.try_get("", "actor_display")?,
        actor_department_id: r.try_get("", "actor_department_id")?,
        region_code: r.try_get("", "region_code")?,
        at: r.try_get("", "at")?,
    })
}

/// An event's values in the order of [`ECOLS`].
pub(crate) fn event_values(e: &CaseEvent) -> Vec<Value> {
    vec![
        e.id.into(),
        e.case_kind.as_str().into(),
        e.case_id.into(),
        e.action.clone().into(),
        e.from_status.clone().into(),
        e.to_status.clone().into(),
        e.reason.clone().into(),
        e.detail.clone().into(),
        e.actor_id.into(),
        e.actor_name.clone().into(),
        e.actor_display.clone().into(),
        e.actor_department_id.into(),
        e.region_code.clone().into(),
        e.at.into(),
    ]
}

pub async fn insert_event(c: &impl ConnectionTrait, e: &CaseEvent) -> Result<()> {
    c.execute_raw(stmt(
        c,
        format!(
            "INSERT INTO case_events ({ECOLS}) VALUES ({})",
            placeholders(1, 14)
        ),
        event_values(e),
    ))
    .await?;
    Ok(())
}

/// A case's events, oldest first (ids are UUIDv7: ties in time keep the order written).
pub async fn events_of(
    c: &impl ConnectionTrait,
    kind: CaseKind,
    case_id: Uuid,
) -> Result<Vec<CaseEvent>> {
    c.query_all_raw(stmt(
        c,
        format!(
            "SELECT {ECOLS} FROM case_events WHERE case_kind = $1 AND case_id = $2 ORDER BY at, id"
        ),
        vec![kind.as_str().into(), case_id.into()],
    ))
    .await?
    .iter()
    .map(event_from_row)
    .collect()
}

fn clock_from_row(r: &QueryResult) -> Result<Clock> {
    let days: i32 = r.try_get("", "working_days")?;
    let warn: i32 = r.try_get("", "warn_within")?;
    Ok(Clock {
        name: r.try_get("", "name")?,
        started_on: r.try_get("", "started_on")?,
        working_days: u32::try_from(days).unwrap_or(0),
        due: r.try_get("", "due")?,
        warn_within: u32::try_from(warn).unwrap_or(0),
        stopped_on: r.try_get("", "stopped_on")?,
        due_at: r.try_get("", "due_at")?,
        stopped_at: r.try_get("", "stopped_at")?,
    })
}

/// Whom a clock runs against: the case's region and the department that must act (none for
/// the office's own clocks). Kept on the clock so that the office's rates are counted from
/// `case_clocks` alone, without reading every case row (`clue_reports`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClockHolder {
    pub region_code: String,
    pub department_id: Option<Uuid>,
}

pub(crate) const KCOLS: &str = "case_kind, case_id, name, started_on, working_days, due, warn_within, stopped_on, region_code, department_id, stopped_by, extensions, due_at, stopped_at";

/// A clock's values in the order of [`KCOLS`]; `stopped_by` is the step that stopped it,
/// `extensions` how many approved extensions moved its deadline.
pub(crate) fn clock_values(
    kind: CaseKind,
    case_id: Uuid,
    k: &Clock,
    holder: &ClockHolder,
    stopped_by: Option<&str>,
    extensions: u32,
) -> Vec<Value> {
    vec![
        kind.as_str().into(),
        case_id.into(),
        k.name.clone().into(),
        k.started_on.into(),
        i32::try_from(k.working_days).unwrap_or(i32::MAX).into(),
        k.due.into(),
        i32::try_from(k.warn_within).unwrap_or(i32::MAX).into(),
        k.stopped_on.into(),
        holder.region_code.clone().into(),
        holder.department_id.into(),
        stopped_by.map(str::to_string).into(),
        i32::try_from(extensions).unwrap_or(i32::MAX).into(),
        k.due_at.into(),
        k.stopped_at.into(),
    ]
}

/// Writes a clock of a case, replacing the one of the same name.
pub async fn put_clock(
    c: &impl ConnectionTrait,
    kind: CaseKind,
    case_id: Uuid,
    k: &Clock,
    holder: &ClockHolder,
) -> Result<()> {
    let before = crate::case_figures::clocks(c, kind, case_id).await?;
    c.execute_raw(stmt(
        c,
        "DELETE FROM case_clocks WHERE case_kind = $1 AND case_id = $2 AND name = $3",
        vec![kind.as_str().into(), case_id.into(), k.name.clone().into()],
    ))
    .await?;
    c.execute_raw(stmt(
        c,
        format!(
            "INSERT INTO case_clocks ({KCOLS}) VALUES ({})",
            placeholders(1, 14)
        ),
        clock_values(kind, case_id, k, holder, None, 0),
    ))
    .await?;
    figures_after(c, kind, case_id, &before).await
}

/// Keeps the daily figures (`case_figures`) in step with a write to a case's clocks: what the
/// clocks counted before it is taken back, what they count now is added.
async fn figures_after(
    c: &impl ConnectionTrait,
    kind: CaseKind,
    case_id: Uuid,
    before: &[crate::case_figures::ClockFacts],
) -> Result<()> {
    let after = crate::case_figures::clocks(c, kind, case_id).await?;
    crate::case_figures::apply_change(c, kind, before, &after).await
}

/// Moves a running clock's deadline (an approved extension): its working days and due date,
/// counting the extension.
pub async fn set_due(
    c: &impl ConnectionTrait,
    kind: CaseKind,
    case_id: Uuid,
    k: &Clock,
) -> Result<()> {
    let before = crate::case_figures::clocks(c, kind, case_id).await?;
    c.execute_raw(stmt(
        c,
        "UPDATE case_clocks SET working_days = $1, due = $2, extensions = extensions + 1 WHERE case_kind = $3 AND case_id = $4 AND name = $5",
        vec![
            i32::try_from(k.working_days).unwrap_or(i32::MAX).into(),
            k.due.into(),
            kind.as_str().into(),
            case_id.into(),
            k.name.clone().into(),
        ],
    ))
    .await?;
    figures_after(c, kind, case_id, &before).await
}

/// Stops the running clocks of a case named in `names` (every running clock if empty) on `on`,
/// by the step `by` (`sign`, `return`, `finish` …: a signing clock stopped by signing is a
/// clue signed, by a return it is not).
pub async fn stop_clocks(
    c: &impl ConnectionTrait,
    kind: CaseKind,
    case_id: Uuid,
    names: &[&str],
    on: NaiveDate,
    by: &str,
) -> Result<()> {
    let mut vals: Vec<Value> = vec![
        on.into(),
        kind.as_str().into(),
        case_id.into(),
        by.to_string().into(),
    ];
    let before = crate::case_figures::clocks(c, kind, case_id).await?;
    let mut sql = "UPDATE case_clocks SET stopped_on = $1, stopped_by = $4 WHERE case_kind = $2 AND case_id = $3 AND stopped_on IS NULL".to_string();
    if !names.is_empty() {
        sql.push_str(&format!(
            " AND name IN ({})",
            placeholders(vals.len() + 1, names.len())
        ));
        vals.extend(names.iter().map(|n| Value::from(n.to_string())));
    }
    c.execute_raw(stmt(c, sql, vals)).await?;
    figures_after(c, kind, case_id, &before).await
}

/// Stamps the instant the clocks stopped on `on` by `by` stopped (hour clocks are met or late
/// by the minute): the clocks [`stop_clocks`] just stopped.
pub async fn stamp_stopped(
    c: &impl ConnectionTrait,
    kind: CaseKind,
    case_id: Uuid,
    at: DateTime<Utc>,
) -> Result<()> {
    c.execute_raw(stmt(
        c,
        "UPDATE case_clocks SET stopped_at = $1 WHERE case_kind = $2 AND case_id = $3 AND stopped_on IS NOT NULL AND stopped_at IS NULL",
        vec![at.into(), kind.as_str().into(), case_id.into()],
    ))
    .await?;
    Ok(())
}

/// A case's clocks by name order.
pub async fn clocks_of(
    c: &impl ConnectionTrait,
    kind: CaseKind,
    case_id: Uuid,
) -> Result<Vec<Clock>> {
    c.query_all_raw(stmt(
        c,
        "SELECT name, started_on, working_days, due, warn_within, stopped_on, due_at, stopped_at FROM case_clocks WHERE case_kind = $1 AND case_id = $2 ORDER BY started_on, name",
        vec![kind.as_str().into(), case_id.into()],
    ))
    .await?
    .iter()
    .map(clock_from_row)
    .collect()
}

/// The clocks of many cases at once (for a queue page): (case id, clock).
pub async fn clocks_of_many(
    c: &impl ConnectionTrait,
    kind: CaseKind,
    ids: &[Uuid],
) -> Result<Vec<(Uuid, Clock)>> {
    let mut out = Vec::new();
    for chunk in ids.chunks(500) {
        let mut vals: Vec<Value> = vec![kind.as_str().into()];
        vals.extend(chunk.iter().map(|u| Value::from(*u)));
        let rows = c
            .query_all_raw(stmt(
                c,
                format!(
                    "SELECT case_id, name, started_on, working_days, due, warn_within, stopped_on, due_at, stopped_at FROM case_clocks WHERE case_kind = $1 AND case_id IN ({})",
                    placeholders(2, chunk.len())
                ),
                vals,
            ))
            .await?;
        for r in &rows {
            out.push((r.try_get("", "case_id")?, clock_from_row(r)?));
        }
    }
    Ok(out)
}

/// Cases of `kind` whose running clock `name` was due before `today` (for escalation).
pub async fn running_past_due(
    c: &impl ConnectionTrait,
    kind: CaseKind,
    name: &str,
    today: NaiveDate,
) -> Result<Vec<Uuid>> {
    c.query_all_raw(stmt(
        c,
        "SELECT case_id FROM case_clocks WHERE case_kind = $1 AND name = $2 AND stopped_on IS NULL AND due < $3 ORDER BY due, case_id",
        vec![kind.as_str().into(), name.to_string().into(), today.into()],
    ))
    .await?
    .iter()
    .map(|r| Ok(r.try_get("", "case_id")?))
    .collect()
}

/// A SQL condition on a case table (its id column `id_col`): one of its running clocks named in
/// `clocks` is due in `[from, before)` (`from` None: any time before). The queue filters
/// 即将超时 / 已超时 are this with dates the caller computes on the calendar.
pub(crate) fn clock_due_condition(
    kind: CaseKind,
    id_col: &str,
    clocks: &[(&str, Option<NaiveDate>, NaiveDate)],
    vals: &mut Vec<Value>,
) -> String {
    // An IN over the running clocks (index ix_case_clocks_running: kind, name, stopped_on,
    // due, …, case_id) rather than a correlated EXISTS per case row: the queues stay fast over
    // 200,000 cases.
    format!(
        "{id_col} IN (SELECT k.case_id FROM case_clocks k WHERE {})",
        running_clocks_due(kind, clocks, vals)
    )
}

/// The condition on `case_clocks k` of [`clock_due_condition`]: a running clock of `kind`
/// named in `clocks` whose deadline lies in its range.
pub(crate) fn running_clocks_due(
    kind: CaseKind,
    clocks: &[(&str, Option<NaiveDate>, NaiveDate)],
    vals: &mut Vec<Value>,
) -> String {
    let mut ors = Vec::new();
    for (name, from, before) in clocks {
        vals.push(name.to_string().into());
        let mut cond = format!("k.name = ${}", vals.len());
        if let Some(f) = from {
            vals.push((*f).into());
            cond.push_str(&format!(" AND k.due >= ${}", vals.len()));
        }
        vals.push((*before).into());
        cond.push_str(&format!(" AND k.due < ${}", vals.len()));
        ors.push(format!("({cond})"));
    }
    if ors.is_empty() {
        return "1 = 0".into();
    }
    vals.push(kind.as_str().into());
    format!(
        "k.case_kind = ${} AND k.stopped_on IS NULL AND ({})",
        vals.len(),
        ors.join(" OR ")
    )
}

/// The query of a case list, written once for every case kind (clues, warnings, sanction
/// tasks, assistance requests, consultations and their tasks, circulars …) and for the other
/// scoped lists built the same way: the scope's condition first, then one condition per
/// filter the caller set (a queue's statuses and clocks, a department, a search), each value
/// numbered as it is added (`$1`, `$2` …); then a page of the rows in an order, with the count
/// of all of them ([`crate::paged`]), or the count alone (a queue's tab).
pub(crate) struct CaseList {
    table: &'static str,
    conds: Vec<String>,
    vals: Vec<Value>,
}

impl CaseList {
    /// The rows of `table` within the scope whose condition `visible` writes.
    pub(crate) fn new(
        table: &'static str,
        visible: impl FnOnce(&mut Vec<Value>) -> String,
    ) -> Self {
        let mut vals = Vec::new();
        let conds = vec![visible(&mut vals)];
        Self { table, conds, vals }
    }

    /// The rows of `table` within `scope`, the table carrying scope as `shape`.
    pub(crate) fn scoped(
        table: &'static str,
        scope: &lianjian_domain::scope::Scope,
        shape: &crate::scope::Shape,
    ) -> Self {
        Self::new(table, |vals| crate::scope::sql(scope, shape, vals))
    }

    /// A condition of the caller's, written with the values so far.
    pub(crate) fn and(mut self, cond: impl FnOnce(&mut Vec<Value>) -> String) -> Self {
        let c = cond(&mut self.vals);
        self.conds.push(c);
        self
    }

    /// A condition on `v` when it is given, written with the values so far.
    pub(crate) fn and_some<T>(
        self,
        v: Option<T>,
        cond: impl FnOnce(T, &mut Vec<Value>) -> String,
    ) -> Self {
        match v {
            None => self,
            Some(v) => self.and(|vals| cond(v, vals)),
        }
    }

    /// A condition without values, when `on`.
    pub(crate) fn and_if(self, on: bool, cond: &str) -> Self {
        if on {
            self.and(|_| cond.to_string())
        } else {
            self
        }
    }

    /// Rows whose `col` holds one of `statuses` (none given: any).
    pub(crate) fn statuses<S: lianjian_domain::Labelled>(self, col: &str, statuses: &[S]) -> Self {
        if statuses.is_empty() {
            return self;
        }
        self.and(|vals| {
            let start = vals.len() + 1;
            vals.extend(statuses.iter().map(|s| Value::from(s.as_str())));
            format!("{col} IN ({})", placeholders(start, statuses.len()))
        })
    }

    /// A condition on the value `v` when it is given: `cond` writes it around the value's
    /// placeholder (`$n`).
    pub(crate) fn with_value(
        self,
        v: Option<impl Into<Value>>,
        cond: impl FnOnce(&str) -> String,
    ) -> Self {
        match v {
            None => self,
            Some(v) => self.and(|vals| {
                vals.push(v.into());
                cond(&format!("${}", vals.len()))
            }),
        }
    }

    /// Rows whose `col` is `v`, when given.
    pub(crate) fn equals(self, col: &str, v: Option<impl Into<Value>>) -> Self {
        self.with_value(v, |n| format!("{col} = {n}"))
    }

    /// Rows with a running clock of `kind` named in `clocks` due in `[from, before)` (the
    /// 即将超时 / 已超时 queues), when `due` is given ([`clock_due_condition`]).
    pub(crate) fn clocks_due(
        self,
        kind: CaseKind,
        clocks: &[&str],
        due: Option<(Option<NaiveDate>, NaiveDate)>,
    ) -> Self {
        let Some((from, before)) = due else {
            return self;
        };
        let id_col = format!("{}.id", self.table);
        let named: Vec<_> = clocks.iter().map(|n| (*n, from, before)).collect();
        self.and(|vals| clock_due_condition(kind, &id_col, &named, vals))
    }

    /// Rows one of whose `cols` contains `text` literally (a search box), when it is not blank.
    pub(crate) fn containing(self, cols: &[&str], text: Option<&str>) -> Self {
        let Some(t) = text.map(str::trim).filter(|t| !t.is_empty()) else {
            return self;
        };
        self.and(|vals| {
            vals.push(crate::contains_pattern(t).into());
            let (n, e) = (vals.len(), crate::LIKE_ESCAPE);
            let any: Vec<String> = cols.iter().map(|c| format!("{c} LIKE ${n}{e}")).collect();
            format!("({})", any.join(" OR "))
        })
    }

    /// The page of the rows (`cols`, read by `f`) in `order`, with the count of all of them.
    pub(crate) async fn page<T>(
        self,
        c: &impl ConnectionTrait,
        cols: &str,
        order: &str,
        page: crate::PageRequest,
        f: fn(&QueryResult) -> Result<T>,
    ) -> Result<crate::Page<T>> {
        let w = self.conds.join(" AND ");
        crate::paged(c, self.table, cols, &w, order, self.vals, page, f).await
    }

    /// How many rows there are.
    pub(crate) async fn count(self, c: &impl ConnectionTrait) -> Result<u64> {
        let n: i64 = c
            .query_one_raw(stmt(
                c,
                format!(
                    "SELECT COUNT(*) AS n FROM {} WHERE {}",
                    self.table,
                    self.conds.join(" AND ")
                ),
                self.vals,
            ))
            .await?
            .map(|r| r.try_get("", "n"))
            .transpose()?
            .unwrap_or(0);
        Ok(u64::try_from(n).unwrap_or(0))
    }
}

/// The row `id` of `table` (its `cols`, read by `f`) if it lies within the scope whose
/// condition `visible` writes (a case page: 404 outside scope).
pub(crate) async fn one_within<T>(
    c: &impl ConnectionTrait,
    table: &str,
    cols: &str,
    id: Uuid,
    visible: impl FnOnce(&mut Vec<Value>) -> String,
    f: fn(&QueryResult) -> Result<T>,
) -> Result<Option<T>> {
    let mut vals: Vec<Value> = vec![id.into()];
    let w = visible(&mut vals);
    c.query_one_raw(stmt(
        c,
        format!("SELECT {cols} FROM {table} WHERE {table}.id = $1 AND {w}"),
        vals,
    ))
    .await?
    .as_ref()
    .map(f)
    .transpose()
}

/// [`one_within`] `scope`, the table carrying scope as `shape`.
pub(crate) async fn one_in_scope<T>(
    c: &impl ConnectionTrait,
    (table, shape): (&str, &crate::scope::Shape),
    cols: &str,
    scope: &lianjian_domain::scope::Scope,
    id: Uuid,
    f: fn(&QueryResult) -> Result<T>,
) -> Result<Option<T>> {
    one_within(
        c,
        table,
        cols,
        id,
        |vals| crate::scope::sql(scope, shape, vals),
        f,
    )
    .await
}
