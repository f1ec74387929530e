//! Monthly figures of the analysis pages (分析评估, issue 17 item 6): one row per month, county,
//! department and item in `analysis_months` holding the counts every indicator is a ratio of
//! ([`Counts`]), rebuilt from the records by [`refresh`] in one set-based statement per source,
//! and summed per department, region, item or month by [`sums`] under the reader's scope.
//!
//! Why a rebuilt table rather than counts kept with every write: the counts depend on several
//! records at once (a visit is joint when a second department's check joins it; a publication
//! is late against a deadline set at completion), and a province's five years of visits
//! (10,000,000) summed from the records take tens of seconds per page; summed from the monthly
//! rows, milliseconds (docs/performance.md, "Analysis"). The page shows when they were rebuilt.
//!
//! Definitions (also on screen and in docs/architecture.md, "Analysis and evaluation"):
//! - an inspection is counted per item checked (a `visit_checks` row: a visit × an item of one
//!   department), in the month of its visit date, once the visit is completed (submitted or
//!   later);
//! - plan completion counts the random (double-random) parts whose task period ended in the
//!   month (and before the rebuild), published or not;
//! - the clue figures are the daily figures kept with every clock write (`case_figures`), the
//!   warning and sanction figures come from the shared case tables.
//!
//! Extension point (used by assistance requests, issue 17 item 6): a capability's counts are
//! columns (its migration), a [`sources`] entry reading its records or clocks, and the
//! indicator in `lianjian_domain::analysis::Indicator`. Assistance requests add two counts
//! (`assist_answered`, `assist_on_time`, from their 答复 clocks) and, for the median days to
//! answer, which no sum of cells gives, the histogram `analysis_answer_days` (days → requests
//! per month, county and receiving department), rebuilt with the cells and summed per key by
//! [`answer_days`].

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};
use lianjian_domain::case::CaseKind;
use lianjian_domain::region::RegionCode;
use lianjian_domain::scope::Scope;
use lianjian_domain::visit::ResultCode;
use sea_orm::{ConnectionTrait, DbBackend, Value};
use uuid::Uuid;

use crate::scope::Shape;
use crate::{Result, backend_of, stmt};

/// The counts a cell holds, in the order of the table's columns.
pub const COUNTS: [&str; 24] = [
    "plan_due",
    "plan_published",
    "inspected",
    "problems",
    "joint",
    "saved",
    "published",
    "published_on_time",
    "rect_issued",
    "rect_passed",
    "rect_on_time",
    "clue_dispatched",
    "clue_signed_in_time",
    "clue_finished",
    "clue_finished_in_time",
    "clue_evaluated",
    "clue_satisfied",
    "warn_signed",
    "warn_minutes",
    "sanction_tasks",
    "sanction_fed_back",
    "sanction_on_time",
    "assist_answered",
    "assist_on_time",
];

/// The sums of [`COUNTS`] over some cells, by column name.
pub type Counts = BTreeMap<&'static str, i64>;

/// How the rows carry scope: their county, and the line of their department.
const SHAPE: Shape = Shape::department("region_code", "department_id");

/// What the figures are broken down by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum By {
    Department,
    /// The regions one level below `under` (a county at most: the rows know no township).
    Region,
    Item,
    Month,
}

/// Which cells to sum.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    /// First and last month (first days of months), inclusive.
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
    pub region: Option<RegionCode>,
    pub department_id: Option<Uuid>,
    pub item_id: Option<Uuid>,
}

/// Backend-specific SQL pieces.
struct Dialect(DbBackend);

impl Dialect {
    fn pg(&self) -> bool {
        self.0 == DbBackend::Postgres
    }
    /// The first day of the month of a date column.
    fn month(&self, d: &str) -> String {
        if self.pg() {
            format!("CAST(date_trunc('month', {d}) AS DATE)")
        } else {
            format!("date({d}, 'start of month')")
        }
    }
    /// The Beijing date of a timestamp column.
    fn bj_date(&self, t: &str) -> String {
        if self.pg() {
            format!("CAST(({t} AT TIME ZONE 'Asia/Shanghai') AS DATE)")
        } else {
            format!("date({t}, '+8 hours')")
        }
    }
    /// Whole minutes from `a` to `b` (timestamps).
    fn minutes(&self, a: &str, b: &str) -> String {
        if self.pg() {
            format!("CAST(EXTRACT(EPOCH FROM ({b} - {a})) / 60 AS BIGINT)")
        } else {
            format!("CAST((julianday({b}) - julianday({a})) * 1440 AS INTEGER)")
        }
    }
    fn county(&self, r: &str) -> String {
        format!("substr({r}, 1, 6)")
    }
}

fn quoted(xs: impl IntoIterator<Item = &'static str>) -> String {
    xs.into_iter()
        .map(|x| format!("'{x}'"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The source queries: each yields `m, r, d, i` (month, county, department, item) and some of
/// [`COUNTS`] by name; the rebuild sums them per cell. `$1` is the rebuild's day (Beijing), `$2` the nil id.
fn sources(x: &Dialect) -> Vec<(String, Vec<&'static str>)> {
    // The nil item, bound (`$2`) so that it is stored as every other id on either backend.
    let nil = "$2";
    // The result codes that say a problem was found: the domain's own rule.
    let problem = quoted(
        ResultCode::ALL
            .iter()
            .filter(|c| c.finds_problem())
            .map(|c| c.as_str()),
    );
    let completed =
        "v.completed_at IS NOT NULL AND v.visited_on IS NOT NULL AND v.status <> 'cancelled'";
    let vm = x.month("v.visited_on");
    let vr = x.county("v.region_code");
    vec![
        // Plan completion (计划完成率): random parts whose task period ended, published or not.
        (
            format!(
                "SELECT {m} AS m, {vr} AS r, c.department_id AS d, c.item_id AS i, \
                 COUNT(*) AS plan_due, \
                 SUM(CASE WHEN v.published_at IS NOT NULL THEN 1 ELSE 0 END) AS plan_published \
                 FROM visits v JOIN visit_checks c ON c.visit_id = v.id \
                 WHERE v.draw_id IS NOT NULL AND v.status <> 'cancelled' AND v.period_end <= $1 \
                 GROUP BY {m}, {vr}, c.department_id, c.item_id",
                m = x.month("v.period_end")
            ),
            vec!["plan_due", "plan_published"],
        ),
        // Inspections, problems, joint inspections and publication (问题发现率, 联合检查占比,
        // 公示及时率: published on or before the deadline of 20 working days, 鲁双随机办 principle 6).
        (
            format!(
                "SELECT {vm} AS m, {vr} AS r, c.department_id AS d, c.item_id AS i, \
                 COUNT(*) AS inspected, \
                 SUM(CASE WHEN res.result_code IN ({problem}) THEN 1 ELSE 0 END) AS problems, \
                 SUM(CASE WHEN j.n > 1 THEN 1 ELSE 0 END) AS joint, \
                 SUM(CASE WHEN v.published_at IS NOT NULL THEN 1 ELSE 0 END) AS published, \
                 SUM(CASE WHEN v.published_at IS NOT NULL AND {pub} <= v.publish_deadline THEN 1 ELSE 0 END) AS published_on_time \
                 FROM visits v JOIN visit_checks c ON c.visit_id = v.id \
                 JOIN (SELECT visit_id, COUNT(DISTINCT department_id) AS n FROM visit_checks GROUP BY visit_id) j ON j.visit_id = v.id \
                 LEFT JOIN visit_results res ON res.visit_id = c.visit_id AND res.plan_id = c.plan_id \
                 WHERE {completed} \
                 GROUP BY {vm}, {vr}, c.department_id, c.item_id",
                pub = x.bj_date("v.published_at"),
            ),
            vec![
                "inspected",
                "problems",
                "joint",
                "published",
                "published_on_time",
            ],
        ),
        // Visits saved by joint inspection (联合检查减少的上门次数): in a visit with several
        // departments each department other than the lead would have gone on its own; counted on
        // its first item of the visit.
        (
            format!(
                "SELECT {vm} AS m, {vr} AS r, s.department_id AS d, s.item_id AS i, COUNT(*) AS saved \
                 FROM visits v JOIN (SELECT visit_id, department_id, item_id, \
                   ROW_NUMBER() OVER (PARTITION BY visit_id, department_id ORDER BY plan_id) AS k \
                   FROM visit_checks) s ON s.visit_id = v.id AND s.k = 1 \
                 WHERE {completed} AND s.department_id <> v.lead_department_id \
                 GROUP BY {vm}, {vr}, s.department_id, s.item_id"
            ),
            vec!["saved"],
        ),
        // Rectification (整改率, 按期整改率): orders issued in the month; re-checked as passed;
        // of those, reported on or before the deadline.
        (
            format!(
                "SELECT {m} AS m, {r} AS r, department_id AS d, item_id AS i, COUNT(*) AS rect_issued, \
                 SUM(CASE WHEN status = 'passed' THEN 1 ELSE 0 END) AS rect_passed, \
                 SUM(CASE WHEN status = 'passed' AND reported_at IS NOT NULL AND {rep} <= deadline THEN 1 ELSE 0 END) AS rect_on_time \
                 FROM rectifications GROUP BY {m}, {r}, department_id, item_id",
                m = x.month("issued_on"),
                r = x.county("region_code"),
                rep = x.bj_date("reported_at"),
            ),
            vec!["rect_issued", "rect_passed", "rect_on_time"],
        ),
        // Clues: the daily figures kept with every clock write and 回访 (store::case_figures).
        (
            format!(
                "SELECT {m} AS m, region_code AS r, department_id AS d, {nil} AS i, \
                 SUM(CASE WHEN figure = 'dispatched' THEN n ELSE 0 END) AS clue_dispatched, \
                 SUM(CASE WHEN figure = 'signed_in_time' THEN n ELSE 0 END) AS clue_signed_in_time, \
                 SUM(CASE WHEN figure = 'finished' THEN n ELSE 0 END) AS clue_finished, \
                 SUM(CASE WHEN figure = 'finished_in_time' THEN n ELSE 0 END) AS clue_finished_in_time, \
                 SUM(CASE WHEN figure = 'evaluated' THEN n ELSE 0 END) AS clue_evaluated, \
                 SUM(CASE WHEN figure = 'satisfied' THEN n ELSE 0 END) AS clue_satisfied \
                 FROM case_figures WHERE case_kind = '{kind}' GROUP BY {m}, region_code, department_id",
                m = x.month("day"),
                kind = CaseKind::Clue.as_str(),
            ),
            vec![
                "clue_dispatched",
                "clue_signed_in_time",
                "clue_finished",
                "clue_finished_in_time",
                "clue_evaluated",
                "clue_satisfied",
            ],
        ),
        // Warning response (预警响应时长): from the warning to each pushed department's 签收.
        (
            format!(
                "SELECT {m} AS m, {r} AS r, e.actor_department_id AS d, {nil} AS i, \
                 COUNT(*) AS warn_signed, SUM({mins}) AS warn_minutes \
                 FROM case_events e JOIN warnings w ON w.id = e.case_id \
                 WHERE e.case_kind = '{kind}' AND e.action = 'sign' AND e.actor_department_id IS NOT NULL \
                 GROUP BY {m}, {r}, e.actor_department_id",
                m = x.month(&x.bj_date("w.created_at")),
                r = x.county("w.region_code"),
                mins = x.minutes("w.created_at", "e.at"),
                kind = CaseKind::Warning.as_str(),
            ),
            vec!["warn_signed", "warn_minutes"],
        ),
        // Sanction feedback (惩戒反馈率): each task's feedback clock, started in the month.
        (
            format!(
                "SELECT {m} AS m, {r} AS r, department_id AS d, {nil} AS i, COUNT(*) AS sanction_tasks, \
                 SUM(CASE WHEN stopped_on IS NOT NULL THEN 1 ELSE 0 END) AS sanction_fed_back, \
                 SUM(CASE WHEN stopped_on IS NOT NULL AND stopped_on <= due THEN 1 ELSE 0 END) AS sanction_on_time \
                 FROM case_clocks WHERE case_kind = '{kind}' AND name = 'feedback' AND department_id IS NOT NULL \
                 GROUP BY {m}, {r}, department_id",
                m = x.month("started_on"),
                r = x.county("region_code"),
                kind = CaseKind::SanctionTask.as_str(),
            ),
            vec!["sanction_tasks", "sanction_fed_back", "sanction_on_time"],
        ),
        // Assistance requests (协查按时答复率): each answered request's 答复 clock, in the month
        // of the answer, for the receiving department.
        (
            format!(
                "SELECT {m} AS m, {r} AS r, k.department_id AS d, {nil} AS i, COUNT(*) AS assist_answered, \
                 SUM(CASE WHEN k.stopped_on <= k.due THEN 1 ELSE 0 END) AS assist_on_time \
                 {from} GROUP BY {m}, {r}, k.department_id",
                m = x.month("k.stopped_on"),
                r = x.county("k.region_code"),
                from = answered_requests(),
            ),
            vec!["assist_answered", "assist_on_time"],
        ),
    ]
}

/// The answered assistance requests the figures count (`store::assistance::answered_condition`,
/// shared with their drill-down), as `FROM … WHERE …` over their 答复 clock `k`.
fn answered_requests() -> String {
    format!(
        "FROM case_clocks k JOIN assistance_requests a ON a.id = k.case_id WHERE {}",
        crate::assistance::answered_condition("a", "k")
    )
}

/// The histogram of days to answer (`analysis_answer_days`): calendar days from the start of
/// the 答复 clock (the request sent, or a fuller answer asked for) to the answer.
fn answer_days_sql(x: &Dialect) -> String {
    let days = if x.pg() {
        "(k.stopped_on - k.started_on)".to_string()
    } else {
        "CAST(julianday(k.stopped_on) - julianday(k.started_on) AS INTEGER)".to_string()
    };
    format!(
        "INSERT INTO analysis_answer_days (month, region_code, department_id, days, n) \
         SELECT m, r, d, days, COUNT(*) FROM (SELECT {m} AS m, {r} AS r, k.department_id AS d, {days} AS days \
         {from}) s GROUP BY m, r, d, days",
        m = x.month("k.stopped_on"),
        r = x.county("k.region_code"),
        from = answered_requests(),
    )
}

/// When the figures were last rebuilt: time, cells written, milliseconds taken.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refreshed {
    pub at: DateTime<Utc>,
    pub cells: i64,
    pub millis: i64,
}

/// Rebuilds every cell from the records, in the caller's transaction (readers see the old
/// figures until it commits). `today` is the Beijing date: task periods ending after it are not
/// yet due.
pub async fn refresh(c: &impl ConnectionTrait, today: NaiveDate) -> Result<Refreshed> {
    let started = std::time::Instant::now();
    let x = Dialect(backend_of(c));
    if x.pg() {
        // One rebuild at a time (the hourly job and the office's); SQLite writers are serial.
        c.execute_raw(stmt(c, "SELECT pg_advisory_xact_lock(1706)", vec![]))
            .await?;
    }
    c.execute_raw(stmt(c, "DELETE FROM analysis_months", vec![]))
        .await?;
    c.execute_raw(stmt(c, "DELETE FROM analysis_answer_days", vec![]))
        .await?;
    c.execute_raw(stmt(c, answer_days_sql(&x), vec![])).await?;
    let parts: Vec<String> = sources(&x)
        .into_iter()
        .map(|(sql, cols)| {
            let picks: Vec<String> = COUNTS
                .iter()
                .map(|k| {
                    if cols.contains(k) {
                        format!("CAST({k} AS BIGINT) AS {k}")
                    } else {
                        format!("CAST(0 AS BIGINT) AS {k}")
                    }
                })
                .collect();
            format!("SELECT m, r, d, i, {} FROM ({sql}) s", picks.join(", "))
        })
        .collect();
    let sums: Vec<String> = COUNTS.iter().map(|k| format!("SUM({k})")).collect();
    let sql = format!(
        "INSERT INTO analysis_months (month, region_code, department_id, item_id, {cols}) \
         SELECT m, r, d, i, {sums} FROM ({union}) u WHERE d IS NOT NULL AND r IS NOT NULL \
         GROUP BY m, r, d, i",
        cols = COUNTS.join(", "),
        sums = sums.join(", "),
        union = parts.join(" UNION ALL "),
    );
    let res = c
        .execute_raw(stmt(c, sql, vec![today.into(), Uuid::nil().into()]))
        .await?;
    let r = Refreshed {
        at: crate::now(),
        cells: res.rows_affected() as i64,
        millis: started.elapsed().as_millis() as i64,
    };
    c.execute_raw(stmt(
        c,
        "INSERT INTO analysis_refreshes (id, refreshed_at, cells, millis) VALUES (1, $1, $2, $3) \
         ON CONFLICT (id) DO UPDATE SET refreshed_at = excluded.refreshed_at, cells = excluded.cells, millis = excluded.millis",
        vec![r.at.into(), r.cells.into(), r.millis.into()],
    ))
    .await?;
    Ok(r)
}

/// When the figures were last rebuilt (none yet: `None`).
pub async fn refreshed(c: &impl ConnectionTrait) -> Result<Option<Refreshed>> {
    let row = c
        .query_one_raw(stmt(
            c,
            "SELECT refreshed_at, cells, millis FROM analysis_refreshes WHERE id = 1",
            vec![],
        ))
        .await?;
    row.map(|r| {
        Ok(Refreshed {
            at: r.try_get("", "refreshed_at")?,
            cells: r.try_get("", "cells")?,
            millis: r.try_get("", "millis")?,
        })
    })
    .transpose()
}

/// The sums of every count per key of `by` (a department id, a region code, an item id or a
/// month as `YYYY-MM-01`) over the cells `f` selects within `scope`. The nil item holds the
/// figures that know no item.
pub async fn sums(
    c: &impl ConnectionTrait,
    scope: &Scope,
    f: &Filter,
    by: By,
) -> Result<Vec<(String, Counts)>> {
    let x = Dialect(backend_of(c));
    let mut vals: Vec<Value> = Vec::new();
    let (w, key) = where_and_key(&x, scope, f, by, true, &mut vals);
    let sums: Vec<String> = COUNTS
        .iter()
        .map(|k| format!("CAST(SUM({k}) AS BIGINT) AS {k}"))
        .collect();
    let rows = c
        .query_all_raw(stmt(
            c,
            format!(
                "SELECT {key} AS k, {} FROM analysis_months WHERE {w} GROUP BY {key} ORDER BY {key}",
                sums.join(", "),
            ),
            vals,
        ))
        .await?;
    rows.iter()
        .map(|r| {
            let k = key_of(r, by)?;
            let mut counts = Counts::new();
            for col in COUNTS {
                let n: Option<i64> = r.try_get("", col)?;
                counts.insert(col, n.unwrap_or(0));
            }
            Ok((k, counts))
        })
        .collect()
}

/// The histogram of days to answer assistance requests per key of `by` (as [`sums`]): for
/// each key, `(days, requests)` by days ascending. It knows no item: a breakdown by item, or
/// a filter on one, has none.
pub async fn answer_days(
    c: &impl ConnectionTrait,
    scope: &Scope,
    f: &Filter,
    by: By,
) -> Result<Vec<(String, Vec<(i64, i64)>)>> {
    if by == By::Item || f.item_id.is_some() {
        return Ok(Vec::new());
    }
    let x = Dialect(backend_of(c));
    let mut vals: Vec<Value> = Vec::new();
    let (w, key) = where_and_key(&x, scope, f, by, false, &mut vals);
    let rows = c
        .query_all_raw(stmt(
            c,
            format!(
                "SELECT {key} AS k, days, CAST(SUM(n) AS BIGINT) AS n FROM analysis_answer_days \
                 WHERE {w} GROUP BY {key}, days ORDER BY {key}, days"
            ),
            vals,
        ))
        .await?;
    let mut out: Vec<(String, Vec<(i64, i64)>)> = Vec::new();
    for r in &rows {
        let k = key_of(r, by)?;
        let days: i32 = r.try_get("", "days")?;
        let n: i64 = r.try_get("", "n")?;
        match out.last_mut() {
            Some((last, h)) if *last == k => h.push((days as i64, n)),
            _ => out.push((k, vec![(days as i64, n)])),
        }
    }
    Ok(out)
}

fn key_of(r: &sea_orm::QueryResult, by: By) -> Result<String> {
    Ok(match by {
        By::Department | By::Item => r.try_get::<Uuid>("", "k")?.to_string(),
        By::Region | By::Month => r.try_get("", "k")?,
    })
}

/// The condition (scope and filter) and the grouping key of a query over the monthly tables
/// (`with_item`: the table has an item column).
fn where_and_key(
    x: &Dialect,
    scope: &Scope,
    f: &Filter,
    by: By,
    with_item: bool,
    vals: &mut Vec<Value>,
) -> (String, String) {
    let scope = scope.clone().narrowed(f.region.as_ref(), None);
    let mut w = vec![crate::scope::sql(&scope, &SHAPE, vals)];
    let ph = |v: Value, vals: &mut Vec<Value>| {
        vals.push(v);
        format!("${}", vals.len())
    };
    if let Some(d) = f.from {
        w.push(format!("month >= {}", ph(d.into(), vals)));
    }
    if let Some(d) = f.to {
        w.push(format!("month <= {}", ph(d.into(), vals)));
    }
    if let Some(d) = f.department_id {
        w.push(format!("department_id = {}", ph(d.into(), vals)));
    }
    if let (Some(i), true) = (f.item_id, with_item) {
        w.push(format!("item_id = {}", ph(i.into(), vals)));
    }
    let key = match by {
        By::Department => "department_id".to_string(),
        By::Item => "item_id".to_string(),
        By::Month => {
            if x.pg() {
                "to_char(month, 'YYYY-MM')".into()
            } else {
                "strftime('%Y-%m', month)".into()
            }
        }
        By::Region => {
            // One level below the filter's region, else below the reader's own region.
            let under = f
                .region
                .as_ref()
                .or(scope.grant().region.as_ref())
                .map_or(0, |r| r.as_str().len());
            let len = match under {
                0 => 2,
                2 => 4,
                _ => 6,
            };
            format!("substr(region_code, 1, {len})")
        }
    };
    (w.join(" AND "), key)
}

// ---- supervision actions for upper-level systems (docs/supervision-actions.md) ----

/// One checked item of a visit (检查), with what the figures read of it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct InspectionAction {
    pub visit_code: String,
    pub status: String,
    /// `random` (双随机) or `ad_hoc`.
    pub trigger: String,
    pub entity_usci: String,
    pub region_code: String,
    pub department_id: Uuid,
    pub lead_department_id: Uuid,
    pub item_id: Uuid,
    pub item_code: String,
    pub plan_id: Uuid,
    /// Departments with checks in the same visit (2 or more: a joint inspection).
    pub departments: i64,
    pub period_end: NaiveDate,
    pub visited_on: Option<NaiveDate>,
    pub completed: bool,
    pub result_code: Option<String>,
    pub follow_up: Option<String>,
    pub publish_deadline: Option<NaiveDate>,
    /// Beijing date of publication.
    pub published_on: Option<NaiveDate>,
}

/// A rectification order (责令整改).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct RectificationAction {
    pub code: String,
    pub visit_code: String,
    pub entity_usci: String,
    pub region_code: String,
    pub department_id: Uuid,
    pub item_id: Uuid,
    pub issued_on: NaiveDate,
    pub deadline: NaiveDate,
    pub status: String,
    /// Beijing dates of the entity's report and of the re-check.
    pub reported_on: Option<NaiveDate>,
    pub closed_on: Option<NaiveDate>,
}

/// A joint sanction task (联合惩戒任务) of a department: a measure it must apply and report on.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct SanctionAction {
    pub code: String,
    pub region_code: String,
    pub department_id: Uuid,
    pub status: String,
    pub applied_on: Option<NaiveDate>,
    pub until: NaiveDate,
    pub dispatched_on: NaiveDate,
    pub feedback_due: NaiveDate,
    pub fed_back_on: Option<NaiveDate>,
}

/// An assistance request (协查/协助) between regions or levels: who asked whom for what kind of
/// help about which entity, and its 答复 clock. No text of the request or the answer (they may
/// name people), no user.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct AssistanceAction {
    pub code: String,
    /// `inspection`, `document`, `verification`, `enforcement`, `appraisal`, `custody`,
    /// `consultation`.
    pub kind: String,
    pub status: String,
    /// `agency` (on the platform) or `public_security`.
    pub from_party: String,
    pub from_region: String,
    pub from_department_id: Uuid,
    pub to_party: String,
    pub to_region: String,
    /// The receiving department once the receiving office assigned it.
    pub to_department_id: Option<Uuid>,
    pub entity_usci: Option<String>,
    /// About a case transfer (行刑衔接).
    pub case_transfer: bool,
    pub deadline_days: i32,
    /// Beijing date the request was sent.
    pub sent_on: NaiveDate,
    /// The 答复 clock: its deadline and the day it stopped (the latest answer).
    pub answer_due: Option<NaiveDate>,
    pub answered_on: Option<NaiveDate>,
    /// Flagged overdue to both sides' offices.
    pub overdue: bool,
}

/// An administrative penalty (行政处罚) decided in the period, from the credit records: which
/// entity, which department, the decision's reference and date, its repair tier and whether and
/// until when it is published. No title, detail or legal basis (free text that may name
/// people), no recorder.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct PenaltyAction {
    /// 决定书文号.
    pub reference: Option<String>,
    pub entity_usci: String,
    pub region_code: String,
    /// None for a penalty of another authority imported by the office.
    pub department_id: Option<Uuid>,
    /// `minor`, `general`, `serious` (credit repair tiers), when set.
    pub tier: Option<String>,
    pub decided_on: NaiveDate,
    /// `active`, `removed`, `repaired` (信用修复) or `withdrawn` (撤销).
    pub status: String,
    pub published: bool,
    pub publish_until: NaiveDate,
}

/// The records of a period a reader may see, each kind at most `limit` (one more read tells
/// the caller there were more).
pub struct Actions {
    pub inspections: Vec<InspectionAction>,
    pub rectifications: Vec<RectificationAction>,
    pub sanctions: Vec<SanctionAction>,
    pub assistance: Vec<AssistanceAction>,
    pub penalties: Vec<PenaltyAction>,
}

/// The supervision actions of `[from, to]` (Beijing dates) within `scope`: the checked items of
/// visits done in the period or of random tasks whose period ended in it, the rectification
/// orders issued, the sanction tasks dispatched and the assistance requests sent or answered in
/// it. At most `limit + 1` of each.
pub async fn actions(
    c: &impl ConnectionTrait,
    scope: &Scope,
    (from, to): (NaiveDate, NaiveDate),
    limit: usize,
) -> Result<Actions> {
    let x = Dialect(backend_of(c));
    let lim = (limit + 1) as i64;

    let mut vals: Vec<Value> = vec![from.into(), to.into(), lim.into()];
    let w = crate::scope::sql(
        scope,
        &Shape::department("v.region_code", "c.department_id"),
        &mut vals,
    );
    let rows = c
        .query_all_raw(stmt(
            c,
            format!(
                "SELECT v.code AS visit_code, v.status, v.trigger, e.usci, v.region_code, c.department_id, \
                 v.lead_department_id, c.item_id, i.code AS item_code, c.plan_id, j.n AS departments, \
                 v.period_end, v.visited_on, v.completed_at, res.result_code, res.follow_up, \
                 v.publish_deadline, {pub} AS published_on, v.draw_id \
                 FROM visits v JOIN visit_checks c ON c.visit_id = v.id \
                 JOIN (SELECT visit_id, COUNT(DISTINCT department_id) AS n FROM visit_checks GROUP BY visit_id) j ON j.visit_id = v.id \
                 JOIN entities e ON e.id = v.entity_id JOIN items i ON i.id = c.item_id \
                 LEFT JOIN visit_results res ON res.visit_id = c.visit_id AND res.plan_id = c.plan_id \
                 WHERE v.status <> 'cancelled' AND ((v.visited_on >= $1 AND v.visited_on <= $2) \
                   OR (v.draw_id IS NOT NULL AND v.period_end >= $1 AND v.period_end <= $2)) AND {w} \
                 ORDER BY v.code, c.plan_id LIMIT $3",
                pub = x.bj_date("v.published_at"),
            ),
            vals,
        ))
        .await?;
    let inspections = rows
        .iter()
        .map(|r| {
            let draw: Option<Uuid> = r.try_get("", "draw_id")?;
            let completed: Option<DateTime<Utc>> = r.try_get("", "completed_at")?;
            Ok(InspectionAction {
                visit_code: r.try_get("", "visit_code")?,
                status: r.try_get("", "status")?,
                trigger: if draw.is_some() { "random" } else { "ad_hoc" }.into(),
                entity_usci: r.try_get("", "usci")?,
                region_code: r.try_get("", "region_code")?,
                department_id: r.try_get("", "department_id")?,
                lead_department_id: r.try_get("", "lead_department_id")?,
                item_id: r.try_get("", "item_id")?,
                item_code: r.try_get("", "item_code")?,
                plan_id: r.try_get("", "plan_id")?,
                departments: r.try_get("", "departments")?,
                period_end: r.try_get("", "period_end")?,
                visited_on: r.try_get("", "visited_on")?,
                completed: completed.is_some(),
                result_code: r.try_get("", "result_code")?,
                follow_up: r.try_get("", "follow_up")?,
                publish_deadline: r.try_get("", "publish_deadline")?,
                published_on: r.try_get("", "published_on")?,
            })
        })
        .collect::<Result<Vec<_>>>()?;

    let mut vals: Vec<Value> = vec![from.into(), to.into(), lim.into()];
    let w = crate::scope::sql(
        scope,
        &Shape::department("r.region_code", "r.department_id"),
        &mut vals,
    );
    let rows = c
        .query_all_raw(stmt(
            c,
            format!(
                "SELECT r.code, v.code AS visit_code, e.usci, r.region_code, r.department_id, r.item_id, \
                 r.issued_on, r.deadline, r.status, {rep} AS reported_on, {clo} AS closed_on \
                 FROM rectifications r JOIN visits v ON v.id = r.visit_id JOIN entities e ON e.id = r.entity_id \
                 WHERE r.issued_on >= $1 AND r.issued_on <= $2 AND {w} ORDER BY r.code LIMIT $3",
                rep = x.bj_date("r.reported_at"),
                clo = x.bj_date("r.closed_at"),
            ),
            vals,
        ))
        .await?;
    let rectifications = rows
        .iter()
        .map(|r| {
            Ok(RectificationAction {
                code: r.try_get("", "code")?,
                visit_code: r.try_get("", "visit_code")?,
                entity_usci: r.try_get("", "usci")?,
                region_code: r.try_get("", "region_code")?,
                department_id: r.try_get("", "department_id")?,
                item_id: r.try_get("", "item_id")?,
                issued_on: r.try_get("", "issued_on")?,
                deadline: r.try_get("", "deadline")?,
                status: r.try_get("", "status")?,
                reported_on: r.try_get("", "reported_on")?,
                closed_on: r.try_get("", "closed_on")?,
            })
        })
        .collect::<Result<Vec<_>>>()?;

    let mut vals: Vec<Value> = vec![
        from.into(),
        to.into(),
        lim.into(),
        CaseKind::SanctionTask.as_str().into(),
    ];
    let w = crate::scope::sql(
        scope,
        &Shape::department("t.region_code", "t.department_id"),
        &mut vals,
    );
    let rows = c
        .query_all_raw(stmt(
            c,
            format!(
                "SELECT t.code, t.region_code, t.department_id, t.status, t.applied_on, t.until, \
                 k.started_on, k.due, k.stopped_on \
                 FROM sanction_tasks t JOIN case_clocks k ON k.case_kind = $4 AND k.case_id = t.id AND k.name = 'feedback' \
                 WHERE k.started_on >= $1 AND k.started_on <= $2 AND {w} ORDER BY t.code LIMIT $3"
            ),
            vals,
        ))
        .await?;
    let sanctions = rows
        .iter()
        .map(|r| {
            Ok(SanctionAction {
                code: r.try_get("", "code")?,
                region_code: r.try_get("", "region_code")?,
                department_id: r.try_get("", "department_id")?,
                status: r.try_get("", "status")?,
                applied_on: r.try_get("", "applied_on")?,
                until: r.try_get("", "until")?,
                dispatched_on: r.try_get("", "started_on")?,
                feedback_due: r.try_get("", "due")?,
                fed_back_on: r.try_get("", "stopped_on")?,
            })
        })
        .collect::<Result<Vec<_>>>()?;
    let assistance = assistance_actions(c, scope, (from, to), lim).await?;

    // Penalties are scoped like every credit record (the entity's region, shared by all
    // departments: `store::credit`).
    let mut vals: Vec<Value> = vec![
        from.into(),
        to.into(),
        lim.into(),
        lianjian_domain::credit::RecordKind::Penalty.as_str().into(),
    ];
    let w = crate::scope::sql(scope, &Shape::shared("k.region_code"), &mut vals);
    let rows = c
        .query_all_raw(stmt(
            c,
            format!(
                "SELECT k.reference, e.usci, k.region_code, k.department_id, k.tier, k.occurred_on, \
                 k.status, k.published, k.publish_until \
                 FROM credit_entries k JOIN entities e ON e.id = k.entity_id \
                 WHERE k.kind = $4 AND k.occurred_on >= $1 AND k.occurred_on <= $2 AND {w} \
                 ORDER BY k.occurred_on, k.id LIMIT $3"
            ),
            vals,
        ))
        .await?;
    let penalties = rows
        .iter()
        .map(|r| {
            Ok(PenaltyAction {
                reference: r.try_get("", "reference")?,
                entity_usci: r.try_get("", "usci")?,
                region_code: r.try_get("", "region_code")?,
                department_id: r.try_get("", "department_id")?,
                tier: r.try_get("", "tier")?,
                decided_on: r.try_get("", "occurred_on")?,
                status: r.try_get("", "status")?,
                published: r.try_get("", "published")?,
                publish_until: r.try_get("", "publish_until")?,
            })
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(Actions {
        inspections,
        rectifications,
        sanctions,
        assistance,
        penalties,
    })
}

/// The assistance requests sent or answered in `[from, to]` that either side of `scope` holds
/// (the requests' own visibility, `store::assistance`).
async fn assistance_actions(
    c: &impl ConnectionTrait,
    scope: &Scope,
    (from, to): (NaiveDate, NaiveDate),
    lim: i64,
) -> Result<Vec<AssistanceAction>> {
    let x = Dialect(backend_of(c));
    let mut vals: Vec<Value> = vec![
        from.into(),
        to.into(),
        lim.into(),
        CaseKind::Assistance.as_str().into(),
    ];
    let w = crate::assistance::visible(scope, &mut vals);
    let sent = x.bj_date("assistance_requests.created_at");
    let rows = c
        .query_all_raw(stmt(
            c,
            format!(
                "SELECT assistance_requests.code, assistance_requests.kind, assistance_requests.status, \
                 assistance_requests.from_party, assistance_requests.from_region, \
                 assistance_requests.from_department_id, assistance_requests.to_party, \
                 assistance_requests.to_region, assistance_requests.to_department_id, e.usci, \
                 assistance_requests.transfer_id, assistance_requests.deadline_days, {sent} AS sent_on, \
                 k.due, k.stopped_on, assistance_requests.flagged_overdue \
                 FROM assistance_requests LEFT JOIN entities e ON e.id = assistance_requests.entity_id \
                 LEFT JOIN case_clocks k ON k.case_kind = $4 AND k.case_id = assistance_requests.id AND k.name = 'answer' \
                 WHERE (({sent} >= $1 AND {sent} <= $2) OR (k.stopped_on >= $1 AND k.stopped_on <= $2)) \
                 AND {w} ORDER BY assistance_requests.code LIMIT $3"
            ),
            vals,
        ))
        .await?;
    rows.iter()
        .map(|r| {
            let transfer: Option<Uuid> = r.try_get("", "transfer_id")?;
            Ok(AssistanceAction {
                code: r.try_get("", "code")?,
                kind: r.try_get("", "kind")?,
                status: r.try_get("", "status")?,
                from_party: r.try_get("", "from_party")?,
                from_region: r.try_get("", "from_region")?,
                from_department_id: r.try_get("", "from_department_id")?,
                to_party: r.try_get("", "to_party")?,
                to_region: r.try_get("", "to_region")?,
                to_department_id: r.try_get("", "to_department_id")?,
                entity_usci: r.try_get("", "usci")?,
                case_transfer: transfer.is_some(),
                deadline_days: r.try_get("", "deadline_days")?,
                sent_on: r.try_get("", "sent_on")?,
                answer_due: r.try_get("", "due")?,
                answered_on: r.try_get("", "stopped_on")?,
                overdue: r.try_get("", "flagged_overdue")?,
            })
        })
        .collect()
}

/// Item codes and names by id, for the breakdown by item.
pub async fn item_names(
    c: &impl ConnectionTrait,
    ids: &[Uuid],
) -> Result<BTreeMap<Uuid, (String, String)>> {
    let mut out = BTreeMap::new();
    for chunk in ids.chunks(500) {
        let vals: Vec<Value> = chunk.iter().map(|i| Value::from(*i)).collect();
        let rows = c
            .query_all_raw(stmt(
                c,
                format!(
                    "SELECT id, code, name FROM items WHERE id IN ({})",
                    crate::placeholders(1, chunk.len())
                ),
                vals,
            ))
            .await?;
        for r in &rows {
            out.insert(
                r.try_get("", "id")?,
                (r.try_get("", "code")?, r.try_get("", "name")?),
            );
        }
    }
    Ok(out)
}

// ---- back-dated history for the demo (a year of visits behind the dashboards) ----

/// A small deterministic generator (the demo is the same on every run).
struct Lcg(u64);

impl Lcg {
    fn next(&mut self, n: usize) -> usize {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((self.0 >> 33) as usize) % n.max(1)
    }
}

/// Inserts `n` completed visits spread over the twelve months before `today` in `region`
/// (a county), made of the checks of the random visits already there (their draw, plan, item
/// and department; not those of risk-weighted plans, whose picks are the control-share
/// comparison's), one to three departments each, on the region's entities: results (about
/// one in five finds a problem), publications (most within their deadline) and rectification
/// orders for the problems, most re-checked as passed. Codes start with `LS-` (历史) and the
/// trigger note says they are demo history. Returns how many visits were written; none when
/// the region has no random visit to copy from.
pub async fn demo_history(
    c: &impl ConnectionTrait,
    region: &RegionCode,
    today: NaiveDate,
    n: usize,
) -> Result<usize> {
    let lo = region.to_string();
    let hi = format!("{region}\u{10FFFF}");
    let checks = c
        .query_all_raw(stmt(
            c,
            "SELECT DISTINCT v.draw_id, c.plan_id, c.item_id, c.department_id FROM visits v \
             JOIN visit_checks c ON c.visit_id = v.id \
             WHERE v.draw_id IS NOT NULL AND v.region_code >= $1 AND v.region_code < $2 \
             AND (c.selection IS NULL OR c.selection = 'random') ORDER BY c.plan_id",
            vec![lo.clone().into(), hi.clone().into()],
        ))
        .await?
        .iter()
        .map(|r| {
            Ok((
                r.try_get::<Uuid>("", "draw_id")?,
                r.try_get::<Uuid>("", "plan_id")?,
                r.try_get::<Uuid>("", "item_id")?,
                r.try_get::<Uuid>("", "department_id")?,
            ))
        })
        .collect::<Result<Vec<_>>>()?;
    let entities = c
        .query_all_raw(stmt(
            c,
            "SELECT id, region_code FROM entities WHERE region_code >= $1 AND region_code < $2 \
             ORDER BY usci LIMIT 500",
            vec![lo.into(), hi.into()],
        ))
        .await?
        .iter()
        .map(|r| {
            Ok((
                r.try_get::<Uuid>("", "id")?,
                r.try_get::<String>("", "region_code")?,
            ))
        })
        .collect::<Result<Vec<_>>>()?;
    if checks.is_empty() || entities.is_empty() {
        return Ok(0);
    }
    let mut rng = Lcg(20261207);
    let now = crate::now();
    let mut sealed = DemoSealed::default();
    for k in 0..n {
        let visited_on = today - chrono::Duration::days(7 + (k * 358 / n.max(1)) as i64);
        let (entity, entity_region) = &entities[rng.next(entities.len())];
        // One to three checks of different departments: several make a joint visit.
        let want = 1 + rng.next(3);
        let mut parts: Vec<(Uuid, Uuid, Uuid, Uuid)> = Vec::new();
        for _ in 0..want * 3 {
            let p = checks[rng.next(checks.len())];
            if parts.len() < want && parts.iter().all(|q| q.3 != p.3 && q.1 != p.1) {
                parts.push(p);
            }
        }
        let id = Uuid::new_v4();
        let code = format!("LS-{}-{:05}", visited_on.format("%Y%m"), k + 1);
        let at = |d: NaiveDate| -> DateTime<Utc> {
            DateTime::from_naive_utc_and_offset(d.and_hms_opt(2, 0, 0).expect("02:00"), Utc)
        };
        // Published within the deadline most of the time, late now and then, a few not yet.
        let deadline = visited_on + chrono::Duration::days(28);
        let published: Option<NaiveDate> = match rng.next(20) {
            0 => None,
            1 | 2 => Some(deadline + chrono::Duration::days(3)),
            x => Some(visited_on + chrono::Duration::days(3 + x as i64)),
        }
        .filter(|d| *d < today);
        let status = if published.is_some() {
            "published"
        } else {
            "reviewed"
        };
        c.execute_raw(stmt(
            c,
            "INSERT INTO visits (id, code, draw_id, entity_id, region_code, lead_department_id, trigger, \
             trigger_note, status, period_start, period_end, visited_on, created_at, updated_at, started_at, \
             completed_at, publish_deadline, published_at) \
             VALUES ($1, $2, $3, $4, $5, $6, 'random', '演示历史数据', $7, $8, $9, $10, $11, $11, $11, $11, $12, $13)",
            vec![
                id.into(),
                code.clone().into(),
                parts[0].0.into(),
                (*entity).into(),
                entity_region.clone().into(),
                parts[0].3.into(),
                status.into(),
                (visited_on - chrono::Duration::days(20)).into(),
                (visited_on + chrono::Duration::days(10)).into(),
                visited_on.into(),
                at(visited_on).into(),
                deadline.into(),
                published.map(at).into(),
            ],
        ))
        .await?;
        for (j, (_, plan, item, dept)) in parts.iter().enumerate() {
            let problem = rng.next(5) == 0;
            let check = DemoCheck {
                visit: id,
                visit_code: &code,
                seq: j + 1,
                plan: *plan,
                item: *item,
                department: *dept,
                entity: *entity,
                entity_region,
                visited_on,
                note: "演示历史数据",
            };
            c.execute_raw(stmt(
                c,
                "INSERT INTO visit_checks (visit_id, plan_id, item_id, department_id) VALUES ($1, $2, $3, $4)",
                vec![id.into(), (*plan).into(), (*item).into(), (*dept).into()],
            ))
            .await?;
            demo_result(c, &mut rng, &check, problem, today, now, &mut sealed).await?;
        }
    }
    sealed.seal(c).await?;
    Ok(n)
}

/// Carries out the visits of the demo's control-share draw (the demo's 随机对照检验,
/// docs/draw-algorithm.md 12.13): every visit of `draw` not cancelled is completed on a day of
/// its period before `today` (spread in visit-code order), reviewed and published, and each of
/// its checks gets a result written as [`demo_history`] writes them, its summary saying that
/// the result is demo data. An entity of `risky` finds a problem at a check two times in five,
/// any other one time in eight: the draw's weighting knows nothing of that rule, so the lift
/// the risk page shows is what the weighting finds. Returns how many checks got a result.
pub async fn demo_draw_results(
    c: &impl ConnectionTrait,
    draw: Uuid,
    risky: &std::collections::HashSet<Uuid>,
    today: NaiveDate,
) -> Result<usize> {
    let rows = c
        .query_all_raw(stmt(
            c,
            "SELECT v.id, v.code, v.entity_id, v.region_code, v.period_start, v.period_end, \
             c.plan_id, c.item_id, c.department_id FROM visits v \
             JOIN visit_checks c ON c.visit_id = v.id \
             WHERE v.draw_id = $1 AND v.status <> 'cancelled' ORDER BY v.code, c.plan_id",
            vec![draw.into()],
        ))
        .await?;
    let mut visits: Vec<Uuid> = rows
        .iter()
        .map(|r| r.try_get::<Uuid>("", "id"))
        .collect::<std::result::Result<_, _>>()?;
    visits.dedup();
    let mut rng = Lcg(20260701);
    let now = crate::now();
    let mut sealed = DemoSealed::default();
    let at = |d: NaiveDate| -> DateTime<Utc> {
        DateTime::from_naive_utc_and_offset(d.and_hms_opt(2, 0, 0).expect("02:00"), Utc)
    };
    let mut seq = 0usize;
    let mut last: Option<Uuid> = None;
    for r in &rows {
        let id: Uuid = r.try_get("", "id")?;
        let code: String = r.try_get("", "code")?;
        let entity: Uuid = r.try_get("", "entity_id")?;
        let region: String = r.try_get("", "region_code")?;
        let from: NaiveDate = r.try_get("", "period_start")?;
        let to: NaiveDate = r.try_get("", "period_end")?;
        let k = visits.iter().position(|v| *v == id).unwrap_or(0);
        let last_day = to.min(today - chrono::Duration::days(1)).max(from);
        let span = (last_day - from).num_days().max(0) as usize;
        let visited_on =
            from + chrono::Duration::days((k * (span + 1) / visits.len().max(1)) as i64);
        if last != Some(id) {
            last = Some(id);
            seq = 0;
            let deadline = visited_on + chrono::Duration::days(20);
            let published = (visited_on + chrono::Duration::days(5)).min(today);
            c.execute_raw(stmt(
                c,
                "UPDATE visits SET status = 'published', visited_on = $2, started_at = $3, \
                 completed_at = $3, publish_deadline = $4, published_at = $5, updated_at = $3 \
                 WHERE id = $1",
                vec![
                    id.into(),
                    visited_on.into(),
                    at(visited_on).into(),
                    deadline.into(),
                    at(published).into(),
                ],
            ))
            .await?;
        }
        seq += 1;
        let problem = if risky.contains(&entity) {
            rng.next(5) < 2
        } else {
            rng.next(8) == 0
        };
        let check = DemoCheck {
            visit: id,
            visit_code: &code,
            seq,
            plan: r.try_get("", "plan_id")?,
            item: r.try_get("", "item_id")?,
            department: r.try_get("", "department_id")?,
            entity,
            entity_region: &region,
            visited_on,
            note: "演示数据：随机对照检验的检查结果",
        };
        demo_result(c, &mut rng, &check, problem, today, now, &mut sealed).await?;
    }
    sealed.seal(c).await?;
    Ok(rows.len())
}

/// Results and orders are sealed tables: the demo's rows are sealed as the application's are,
/// once per batch.
#[derive(Default)]
struct DemoSealed {
    results: Vec<crate::seal::RowKey>,
    orders: Vec<Uuid>,
}

impl DemoSealed {
    async fn seal(&self, c: &impl ConnectionTrait) -> Result<()> {
        crate::seal::seal(c, crate::seal::Sealed::VisitResults, &self.results).await?;
        crate::seal::seal_ids(c, crate::seal::Sealed::Rectifications, &self.orders).await
    }
}

/// One check of a demo visit.
struct DemoCheck<'a> {
    visit: Uuid,
    visit_code: &'a str,
    /// The check's number in the visit (1, 2 …), for the order's code.
    seq: usize,
    plan: Uuid,
    item: Uuid,
    department: Uuid,
    entity: Uuid,
    entity_region: &'a str,
    visited_on: NaiveDate,
    /// What the result's summary and the order say the record is (演示历史数据 …).
    note: &'a str,
}

/// Writes a demo check's reviewed result — a problem (one of four codes) or none — and, for a
/// problem to rectify, the order: usually re-checked as passed, now and then late, failed or
/// still open.
async fn demo_result(
    c: &impl ConnectionTrait,
    rng: &mut Lcg,
    k: &DemoCheck<'_>,
    problem: bool,
    today: NaiveDate,
    now: DateTime<Utc>,
    sealed: &mut DemoSealed,
) -> Result<()> {
    let problems = [
        ResultCode::Corrected,
        ResultCode::Pending,
        ResultCode::NotPublicised,
        ResultCode::OtherDepartment,
    ];
    let at = |d: NaiveDate| -> DateTime<Utc> {
        DateTime::from_naive_utc_and_offset(d.and_hms_opt(2, 0, 0).expect("02:00"), Utc)
    };
    let (id, plan, item, dept, entity, visited_on) = (
        k.visit,
        k.plan,
        k.item,
        k.department,
        k.entity,
        k.visited_on,
    );
    let (code_, follow) = if problem {
        (problems[rng.next(problems.len())], "rectify")
    } else {
        (ResultCode::NoProblem, "none")
    };
    let follow = if code_ == ResultCode::OtherDepartment {
        "notify"
    } else {
        follow
    };
    c.execute_raw(stmt(
        c,
        "INSERT INTO visit_results (visit_id, plan_id, item_id, department_id, result_code, follow_up, \
         summary, review, reviewed_by, reviewed_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $8, 'approved', 'demo', $7, $7)",
        vec![
            id.into(),
            plan.into(),
            item.into(),
            dept.into(),
            code_.as_str().into(),
            follow.into(),
            at(visited_on).into(),
            k.note.into(),
        ],
    ))
    .await?;
    sealed.results.push(crate::seal::RowKey::pair(id, plan));
    if follow == "rectify" {
        let order = Uuid::new_v4();
        sealed.orders.push(order);
        let issued = visited_on;
        let deadline = issued + chrono::Duration::days(21);
        let (status, reported, closed) = match rng.next(10) {
            0 => ("issued", None, None),
            1 => (
                "passed",
                Some(deadline + chrono::Duration::days(4)),
                Some(deadline + chrono::Duration::days(6)),
            ),
            2 => (
                "failed",
                Some(deadline - chrono::Duration::days(2)),
                Some(deadline),
            ),
            x => (
                "passed",
                Some(issued + chrono::Duration::days(5 + x as i64)),
                Some(issued + chrono::Duration::days(8 + x as i64)),
            ),
        };
        let (reported, closed) = if closed.is_some_and(|d| d >= today) {
            (None, None)
        } else {
            (reported, closed)
        };
        let status = if closed.is_none() { "issued" } else { status };
        c.execute_raw(stmt(
            c,
            "INSERT INTO rectifications (id, code, visit_id, plan_id, item_id, entity_id, department_id, \
             region_code, requirements, working_days, issued_on, deadline, status, report, reported_at, \
             closing_note, closed_at, created_by, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $17, 15, $9, $10, $11, $12, $13, $14, $15, 'demo', $16, $16)",
            vec![
                order.into(),
                format!("{}-ZG{}", k.visit_code, k.seq).into(),
                id.into(),
                plan.into(),
                item.into(),
                entity.into(),
                dept.into(),
                k.entity_region.to_string().into(),
                issued.into(),
                deadline.into(),
                status.into(),
                reported.map(|_| "已按要求整改".to_string()).into(),
                reported.map(at).into(),
                closed.map(|_| "复查".to_string()).into(),
                closed.map(at).into(),
                now.into(),
                format!("按检查发现的问题限期整改（{}）", k.note).into(),
            ],
        ))
        .await?;
    }
    Ok(())
}

// ---- the benchmark's province (PostgreSQL only: set-based, generate_series) ----

/// Writes a synthetic province for `lianjian bench --analysis`: `visits` completed visits over
/// the five years before `today` in 140 counties of province `41`, one to three checked items
/// each (100 items, each of one of the departments present), results (one in five a problem),
/// publications (one in ten late), a rectification per problem, and the daily clue figures
/// (`case_figures`) `clues` clues would have left. One statement per table, in batches of a
/// million visits. PostgreSQL only.
pub async fn bench_generate(
    c: &impl ConnectionTrait,
    visits: i64,
    clues: i64,
    today: NaiveDate,
) -> Result<()> {
    if backend_of(c) != DbBackend::Postgres {
        return Err(crate::StoreError::Config(
            "the analysis benchmark generates its data on PostgreSQL".into(),
        ));
    }
    let start = today - chrono::Duration::days(5 * 365);
    // g → county, item, department: 140 counties (41 + city 01–14 + county 01–10).
    let common =
        "WITH d AS (SELECT array_agg(id ORDER BY id) AS ids, COUNT(*) AS n FROM departments) ";
    let county =
        "'41' || lpad((1 + g % 14)::text, 2, '0') || lpad((1 + (g / 14) % 10)::text, 2, '0')";
    let batch = 1_000_000i64;
    let mut lo = 1i64;
    while lo <= visits {
        let hi = (lo + batch - 1).min(visits);
        let vals = || -> Vec<Value> { vec![lo.into(), hi.into(), start.into(), today.into()] };
        c.execute_raw(stmt(
            c,
            format!(
                "{common}INSERT INTO visits (id, code, draw_id, entity_id, region_code, lead_department_id, trigger, \
                 status, period_start, period_end, visited_on, created_at, updated_at, started_at, completed_at, \
                 publish_deadline, published_at) \
                 SELECT md5('v' || g)::uuid, 'BV' || g, CASE WHEN g % 4 <> 0 THEN md5('d' || (g % 5000))::uuid END, \
                 md5('e' || (g % 900000))::uuid, {county} || '001', d.ids[1 + ((g * 7) % 100) % d.n], \
                 CASE WHEN g % 4 <> 0 THEN 'random' ELSE 'ad_hoc' END, \
                 CASE WHEN g % 20 = 0 THEN 'reviewed' ELSE 'published' END, \
                 day - 20, day + 10, day, day::timestamptz, day::timestamptz, day::timestamptz, day::timestamptz, \
                 day + 28, CASE WHEN g % 20 = 0 THEN NULL WHEN g % 10 = 0 THEN (day + 31)::timestamptz ELSE (day + 5)::timestamptz END \
                 FROM d, generate_series($1::bigint, $2::bigint) g, LATERAL (SELECT ($3::date + (g % (($4::date - $3::date) - 40))::int) AS day) x"
            ),
            vals(),
        ))
        .await?;
        // One to three items per visit: the first always, a second for one visit in three, a
        // third for one in seven (item k of visit g: (7g + 13k) mod 100, distinct for k < 3;
        // its department fixed).
        c.execute_raw(stmt(
            c,
            format!(
                "{common}INSERT INTO visit_checks (visit_id, plan_id, item_id, department_id) \
                 SELECT md5('v' || g)::uuid, md5('p' || it)::uuid, md5('i' || it)::uuid, d.ids[1 + it % d.n] \
                 FROM d, generate_series($1::bigint, $2::bigint) g, generate_series(0, 2) k, \
                 LATERAL (SELECT ((g * 7 + k * 13) % 100)::int AS it) x \
                 WHERE (k = 0 OR (k = 1 AND g % 3 = 0) OR (k = 2 AND g % 7 = 0))"
            ),
            vals()[..2].to_vec(),
        ))
        .await?;
        // Results and rectifications from the same series: part (g, k) finds a problem when
        // (g + 3k) mod 5 = 0; its order is late when g mod 10 = 7, open when g mod 10 = 3.
        let parts = "FROM d, generate_series($1::bigint, $2::bigint) g, generate_series(0, 2) k, \
             LATERAL (SELECT ((g * 7 + k * 13) % 100)::int AS it, \
               ($3::date + (g % (($4::date - $3::date) - 40))::int) AS day, (g + 3 * k) % 5 = 0 AS problem) x \
             WHERE (k = 0 OR (k = 1 AND g % 3 = 0) OR (k = 2 AND g % 7 = 0))";
        c.execute_raw(stmt(
            c,
            format!(
                "{common}INSERT INTO visit_results (visit_id, plan_id, item_id, department_id, result_code, follow_up, summary, review, updated_at) \
                 SELECT md5('v' || g)::uuid, md5('p' || it)::uuid, md5('i' || it)::uuid, d.ids[1 + it % d.n], \
                 CASE WHEN problem THEN 'corrected' ELSE 'no_problem' END, CASE WHEN problem THEN 'rectify' ELSE 'none' END, \
                 '', 'approved', now() {parts}"
            ),
            vals(),
        ))
        .await?;
        c.execute_raw(stmt(
            c,
            format!(
                "{common}INSERT INTO rectifications (id, code, visit_id, plan_id, item_id, entity_id, department_id, region_code, \
                 requirements, working_days, issued_on, deadline, status, reported_at, closed_at, created_by, created_at, updated_at) \
                 SELECT md5('r' || g || '-' || k)::uuid, 'BR' || g || '-' || k, md5('v' || g)::uuid, md5('p' || it)::uuid, \
                 md5('i' || it)::uuid, md5('e' || (g % 900000))::uuid, d.ids[1 + it % d.n], {county} || '001', '', 15, day, day + 21, \
                 CASE WHEN g % 10 = 3 THEN 'issued' ELSE 'passed' END, \
                 CASE WHEN g % 10 = 3 THEN NULL WHEN g % 10 = 7 THEN (day + 25)::timestamptz ELSE (day + 10)::timestamptz END, \
                 CASE WHEN g % 10 = 3 THEN NULL ELSE (day + 27)::timestamptz END, 'bench', now(), now() {parts} AND problem"
            ),
            vals(),
        ))
        .await?;
        lo = hi + 1;
    }
    // The clue figures `clues` clues leave: each dispatched on its day to one department of its
    // county, signed (nine in ten in time), finished (most in time), one in three evaluated.
    if clues > 0 {
        c.execute_raw(stmt(
            c,
            format!(
                "{common}INSERT INTO case_figures (case_kind, figure, day, region_code, department_id, n) \
                 SELECT 'clue', f.figure, x.day, x.county, x.dept, COUNT(*) FROM d, generate_series(1, $1::bigint) g, \
                 LATERAL (SELECT ($2::date + (g % (($3::date - $2::date) - 1))::int) AS day, {county} AS county, \
                   d.ids[1 + (g * 11) % d.n] AS dept) x, \
                 LATERAL (VALUES ('dispatched', true), ('signed', true), ('signed_in_time', g % 10 <> 0), \
                   ('finished', g % 50 <> 0), ('finished_in_time', g % 50 <> 0 AND g % 8 <> 0), \
                   ('evaluated', g % 3 = 0), ('satisfied', g % 3 = 0 AND g % 9 <> 0)) f(figure, yes) \
                 WHERE f.yes GROUP BY f.figure, x.day, x.county, x.dept \
                 ON CONFLICT (case_kind, figure, day, region_code, department_id) DO UPDATE SET n = case_figures.n + excluded.n"
            ),
            vec![clues.into(), start.into(), today.into()],
        ))
        .await?;
    }
    Ok(())
}
