//! Daily figures of case handling (案件办理日统计): how many cases each department was sent,
//! signed (in time), finished (in time, extended) and had evaluated (satisfied) per Beijing
//! day and county, kept in `case_figures` in the same transaction as the clock or step that
//! changes them. The office's rates over a period sum these rows (a year of one county is at
//! most 365 × its departments rows per figure) instead of walking every clock of the period:
//! 200,000 clues a year took 400–500 ms per rates page that way (docs/performance.md, "Clue
//! queues and rates").
//!
//! Clock figures are kept by [`crate::cases`]: every clock write reads the case's clocks before
//! and after and applies the difference of what they contribute ([`of_clocks`]), so a
//! re-dispatch, a late signature or an approved extension moves a count from one cell to
//! another and nothing is counted twice. The evaluation figures are added by the 回访 step.
//!
//! The rows carry the county (the first six digits of the case's region) and the department:
//! a reader whose scope is a region subtree at county level or above reads them, a
//! line-scoped one its line's departments' rows; a township filter is counted from the clocks
//! themselves ([`crate::clue_reports`]).

use std::collections::BTreeMap;

use chrono::NaiveDate;
use lianjian_domain::case::CaseKind;
use lianjian_domain::region::RegionCode;
use lianjian_domain::scope::Scope;
use sea_orm::{ConnectionTrait, Value};
use uuid::Uuid;

use crate::scope::Shape;
use crate::{Result, placeholders, stmt};

/// A figure: what is counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Figure {
    /// Sent to the department (its signing clock started on the day).
    Dispatched,
    /// Of those, signed by it.
    Signed,
    /// Of those, signed on or before the deadline.
    SignedInTime,
    /// Finished by the department on the day.
    Finished,
    /// Of those, within the (extended) deadline.
    FinishedInTime,
    /// Of those, with an approved extension.
    FinishedExtended,
    /// Evaluated by the complainant (回访) on the day.
    Evaluated,
    /// Of those, satisfied or basically satisfied.
    Satisfied,
}

impl Figure {
    pub const ALL: [Figure; 8] = [
        Figure::Dispatched,
        Figure::Signed,
        Figure::SignedInTime,
        Figure::Finished,
        Figure::FinishedInTime,
        Figure::FinishedExtended,
        Figure::Evaluated,
        Figure::Satisfied,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Figure::Dispatched => "dispatched",
            Figure::Signed => "signed",
            Figure::SignedInTime => "signed_in_time",
            Figure::Finished => "finished",
            Figure::FinishedInTime => "finished_in_time",
            Figure::FinishedExtended => "finished_extended",
            Figure::Evaluated => "evaluated",
            Figure::Satisfied => "satisfied",
        }
    }

    fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|f| f.as_str() == s)
    }
}

/// One cell: a figure on a day, in a county, for a department.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Cell {
    pub figure: Figure,
    pub day: NaiveDate,
    /// The county: the first six digits of the case's region.
    pub county: String,
    pub department_id: Uuid,
}

/// The county of a region code (itself above county level).
pub fn county_of(region: &str) -> String {
    region.chars().take(6).collect()
}

/// What a clock stored in `case_clocks` holds that the figures read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClockFacts {
    pub name: String,
    pub started_on: NaiveDate,
    pub due: NaiveDate,
    pub stopped_on: Option<NaiveDate>,
    pub stopped_by: Option<String>,
    pub extensions: i32,
    pub region_code: String,
    pub department_id: Option<Uuid>,
}

/// The cells a case's clocks count in: the signing clock on the day it started (sent, signed,
/// in time), the finishing clock stopped by 办结 on that day (finished, in time, extended).
/// Clocks that run against no department or region count nowhere.
pub fn of_clocks(clocks: &[ClockFacts]) -> Vec<Cell> {
    let mut out = Vec::new();
    for k in clocks {
        let Some(d) = k.department_id else { continue };
        if k.region_code.is_empty() {
            continue;
        }
        let cell = |figure, day| Cell {
            figure,
            day,
            county: county_of(&k.region_code),
            department_id: d,
        };
        let by = k.stopped_by.as_deref();
        let in_time = k.stopped_on.is_some_and(|s| s <= k.due);
        match k.name.as_str() {
            "sign" => {
                out.push(cell(Figure::Dispatched, k.started_on));
                if by == Some("sign") {
                    out.push(cell(Figure::Signed, k.started_on));
                    if in_time {
                        out.push(cell(Figure::SignedInTime, k.started_on));
                    }
                }
            }
            "finish" => {
                if let (Some(on), Some("finish")) = (k.stopped_on, by) {
                    out.push(cell(Figure::Finished, on));
                    if in_time {
                        out.push(cell(Figure::FinishedInTime, on));
                    }
                    if k.extensions > 0 {
                        out.push(cell(Figure::FinishedExtended, on));
                    }
                }
            }
            _ => {}
        }
    }
    out
}

/// A case's clocks as the figures read them.
pub async fn clocks(
    c: &impl ConnectionTrait,
    kind: CaseKind,
    case_id: Uuid,
) -> Result<Vec<ClockFacts>> {
    c.query_all_raw(stmt(
        c,
        "SELECT name, started_on, due, stopped_on, stopped_by, extensions, region_code, department_id \
         FROM case_clocks WHERE case_kind = $1 AND case_id = $2",
        vec![kind.as_str().into(), case_id.into()],
    ))
    .await?
    .iter()
    .map(|r| {
        Ok(ClockFacts {
            name: r.try_get("", "name")?,
            started_on: r.try_get("", "started_on")?,
            due: r.try_get("", "due")?,
            stopped_on: r.try_get("", "stopped_on")?,
            stopped_by: r.try_get("", "stopped_by")?,
            extensions: r.try_get("", "extensions")?,
            region_code: r.try_get("", "region_code")?,
            department_id: r.try_get("", "department_id")?,
        })
    })
    .collect()
}

/// Applies the change from the clocks `before` to `after` (one case's, read around a write).
pub async fn apply_change(
    c: &impl ConnectionTrait,
    kind: CaseKind,
    before: &[ClockFacts],
    after: &[ClockFacts],
) -> Result<()> {
    let mut delta: BTreeMap<Cell, i64> = BTreeMap::new();
    for x in of_clocks(before) {
        *delta.entry(x).or_default() -= 1;
    }
    for x in of_clocks(after) {
        *delta.entry(x).or_default() += 1;
    }
    delta.retain(|_, n| *n != 0);
    add_all(c, kind, &delta).await
}

/// Adds `n` to each cell (an upsert per 200 cells).
pub async fn add_all(
    c: &impl ConnectionTrait,
    kind: CaseKind,
    cells: &BTreeMap<Cell, i64>,
) -> Result<()> {
    let cells: Vec<(&Cell, &i64)> = cells.iter().collect();
    for chunk in cells.chunks(200) {
        let mut vals: Vec<Value> = Vec::with_capacity(chunk.len() * 6);
        let mut rows = Vec::with_capacity(chunk.len());
        for (cell, n) in chunk {
            rows.push(format!("({})", placeholders(vals.len() + 1, 6)));
            vals.extend([
                kind.as_str().into(),
                cell.figure.as_str().into(),
                cell.day.into(),
                cell.county.clone().into(),
                cell.department_id.into(),
                (**n).into(),
            ]);
        }
        c.execute_raw(stmt(
            c,
            format!(
                "INSERT INTO case_figures (case_kind, figure, day, region_code, department_id, n) VALUES {} \
                 ON CONFLICT (case_kind, figure, day, region_code, department_id) \
                 DO UPDATE SET n = case_figures.n + excluded.n",
                rows.join(", ")
            ),
            vals,
        ))
        .await?;
    }
    Ok(())
}

/// How the rows carry scope: their county, and the line of their department (a line-scoped
/// reader counts its line's departments).
const SHAPE: Shape = Shape::department("region_code", "department_id");

/// Whether the figures answer for `scope` narrowed to `region`: every region it names is a
/// county or above (the rows know no township).
pub fn answers(scope: &Scope, region: Option<&RegionCode>) -> bool {
    std::iter::once(scope.grant())
        .chain(scope.narrowing())
        .map(|f| f.region.as_ref())
        .chain(std::iter::once(region))
        .all(|r| r.is_none_or(|r| r.as_str().len() <= 6))
}

/// The sums of `figures` per department over `[from, to]` for `scope` narrowed to `region`
/// (callers check [`answers`] first).
pub async fn sums(
    c: &impl ConnectionTrait,
    kind: CaseKind,
    figures: &[Figure],
    scope: &Scope,
    region: Option<&RegionCode>,
    (from, to): (NaiveDate, NaiveDate),
) -> Result<BTreeMap<Uuid, BTreeMap<Figure, i64>>> {
    debug_assert!(answers(scope, region));
    let scope = scope.clone().narrowed(region, None);
    let mut vals: Vec<Value> = vec![kind.as_str().into(), from.into(), to.into()];
    vals.extend(figures.iter().map(|f| Value::from(f.as_str())));
    let named = format!("figure IN ({})", placeholders(4, figures.len()));
    let w = crate::scope::sql(&scope, &SHAPE, &mut vals);
    let rows = c
        .query_all_raw(stmt(
            c,
            format!(
                "SELECT department_id AS d, figure AS f, CAST(SUM(n) AS BIGINT) AS n FROM case_figures \
                 WHERE case_kind = $1 AND day >= $2 AND day <= $3 AND {named} AND {w} \
                 GROUP BY department_id, figure"
            ),
            vals,
        ))
        .await?;
    let mut out: BTreeMap<Uuid, BTreeMap<Figure, i64>> = BTreeMap::new();
    for r in &rows {
        let d: Uuid = r.try_get("", "d")?;
        let f: String = r.try_get("", "f")?;
        let n: Option<i64> = r.try_get("", "n")?;
        let n = n.unwrap_or(0);
        if let Some(f) = Figure::parse(&f) {
            *out.entry(d).or_default().entry(f).or_default() += n;
        }
    }
    Ok(out)
}
