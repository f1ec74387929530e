//! The office's figures of clue handling per department (联席办 rates, issue 14 item 8): one SQL
//! query per figure set over `clues` joined with the shared case tables (`case_clocks`,
//! `case_events`), grouped by department, scoped by [`Scope`] like every clue list. The
//! services turn the counts into rates (`services::clues::reports`).
//!
//! Also the bulk writer the clue benchmark seeds 200,000 clues with ([`insert_bulk`]).

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};
use lianjian_domain::case::{CaseKind, Clock};
use lianjian_domain::region::RegionCode;
use lianjian_domain::scope::Scope;
use sea_orm::{ConnectionTrait, Value};
use uuid::Uuid;

use crate::cases::{CaseEvent, ClockHolder};
use crate::clues::{CLOCK_SHAPE, Clue, EVENT_SHAPE};
use crate::{Result, case_figures, placeholders, stmt};

/// The counts of one department over a period (dates are Beijing dates).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DepartmentCounts {
    pub department_id: Uuid,
    /// Clues whose (last) dispatch to the department started its clocks in the period.
    pub dispatched: i64,
    /// Of those, signed by the department (now handling, waiting for an extension or finished).
    pub signed: i64,
    /// Of those, signed on or before the signing deadline.
    pub signed_in_time: i64,
    /// Clues the department finished in the period.
    pub finished: i64,
    /// Of those, finished on or before the finishing deadline (as extended by approved 延期).
    pub finished_in_time: i64,
    /// Of the finished, those whose deadline had been extended.
    pub finished_extended: i64,
    /// Clues with the department whose 签收 or 办结 clock runs past its deadline today.
    pub overdue_now: i64,
    /// Returns (退回) the department's staff made in the period.
    pub returned: i64,
}

const KIND: &str = "clue";

/// Beijing midnight of `d` as an instant.
fn beijing_midnight(d: NaiveDate) -> DateTime<Utc> {
    let t = d.and_hms_opt(0, 0, 0).expect("midnight") - chrono::Duration::hours(8);
    DateTime::from_naive_utc_and_offset(t, Utc)
}

fn n(r: &sea_orm::QueryResult, col: &str) -> Result<i64> {
    let v: Option<i64> = r.try_get("", col)?;
    Ok(v.unwrap_or(0))
}

/// Counts per department for clues in `scope` (narrowed to `region`), over `[from, to]`
/// (inclusive Beijing dates), overdue as of `today`. The response and on-time figures come
/// from the daily figures (`case_figures`) where they answer for the scope, else from the
/// clocks ([`department_counts_from_clocks`]); overdue-now and returns always from the clocks
/// and events.
pub async fn department_counts(
    c: &impl ConnectionTrait,
    scope: &Scope,
    region: Option<&RegionCode>,
    from: NaiveDate,
    to: NaiveDate,
    today: NaiveDate,
) -> Result<Vec<DepartmentCounts>> {
    counts(
        c,
        scope,
        region,
        (from, to, today),
        !case_figures::answers(scope, region),
    )
    .await
}

/// [`department_counts`] with every figure counted from the clocks and events themselves,
/// whatever the scope: what the daily figures must agree with (tested).
pub async fn department_counts_from_clocks(
    c: &impl ConnectionTrait,
    scope: &Scope,
    region: Option<&RegionCode>,
    from: NaiveDate,
    to: NaiveDate,
    today: NaiveDate,
) -> Result<Vec<DepartmentCounts>> {
    counts(c, scope, region, (from, to, today), true).await
}

async fn counts(
    c: &impl ConnectionTrait,
    scope: &Scope,
    region: Option<&RegionCode>,
    (from, to, today): (NaiveDate, NaiveDate, NaiveDate),
    from_clocks: bool,
) -> Result<Vec<DepartmentCounts>> {
    let mut out: BTreeMap<Uuid, DepartmentCounts> = BTreeMap::new();
    if !from_clocks {
        use case_figures::Figure as F;
        let clock_figures = [
            F::Dispatched,
            F::Signed,
            F::SignedInTime,
            F::Finished,
            F::FinishedInTime,
            F::FinishedExtended,
        ];
        let sums = case_figures::sums(c, CaseKind::Clue, &clock_figures, scope, region, (from, to));
        for (d, f) in sums.await? {
            let get = |x| f.get(&x).copied().unwrap_or(0);
            if [F::Dispatched, F::Signed, F::Finished]
                .iter()
                .all(|x| get(*x) == 0)
            {
                continue;
            }
            let e = out.entry(d).or_default();
            e.dispatched = get(F::Dispatched);
            e.signed = get(F::Signed);
            e.signed_in_time = get(F::SignedInTime);
            e.finished = get(F::Finished);
            e.finished_in_time = get(F::FinishedInTime);
            e.finished_extended = get(F::FinishedExtended);
        }
    }
    let scope = scope.clone().narrowed(region, None);

    // Each figure but the returns is counted from the clocks alone (migration
    // m20261207_000028: every clock carries its region, the department that must act and the
    // step that stopped it), over the covering indexes `ix_case_clocks_started` and
    // `ix_case_clocks_running`: no clue row is read, so a year of 200,000 clues is one index
    // range per figure.
    if from_clocks {
        // 1. Response: dispatched in the period (the signing clock started), signed, in time.
        let mut vals: Vec<Value> = vec![KIND.into(), from.into(), to.into()];
        let w = crate::scope::sql(&scope, &CLOCK_SHAPE, &mut vals);
        let rows = c
            .query_all_raw(stmt(
                c,
                format!(
                    "SELECT k.department_id AS d, COUNT(*) AS dispatched, \
                     SUM(CASE WHEN k.stopped_by = 'sign' THEN 1 ELSE 0 END) AS signed, \
                     SUM(CASE WHEN k.stopped_by = 'sign' AND k.stopped_on <= k.due THEN 1 ELSE 0 END) AS in_time \
                     FROM case_clocks k \
                     WHERE k.case_kind = $1 AND k.name = 'sign' AND k.started_on >= $2 AND k.started_on <= $3 \
                     AND k.department_id IS NOT NULL AND {w} \
                     GROUP BY k.department_id"
                ),
                vals,
            ))
            .await?;
        for r in &rows {
            let d: Uuid = r.try_get("", "d")?;
            let e = out.entry(d).or_default();
            e.dispatched = n(r, "dispatched")?;
            e.signed = n(r, "signed")?;
            e.signed_in_time = n(r, "in_time")?;
        }

        // 2. On time: finished in the period (the finishing clock stopped by 办结), within its
        // deadline as extended; how many were extended.
        let mut vals: Vec<Value> = vec![KIND.into(), from.into(), to.into()];
        let w = crate::scope::sql(&scope, &CLOCK_SHAPE, &mut vals);
        let rows = c
            .query_all_raw(stmt(
                c,
                format!(
                    "SELECT k.department_id AS d, COUNT(*) AS finished, \
                     SUM(CASE WHEN k.stopped_on <= k.due THEN 1 ELSE 0 END) AS in_time, \
                     SUM(CASE WHEN k.extensions > 0 THEN 1 ELSE 0 END) AS extended \
                     FROM case_clocks k \
                     WHERE k.case_kind = $1 AND k.name = 'finish' AND k.stopped_on >= $2 AND k.stopped_on <= $3 \
                     AND k.stopped_by = 'finish' AND k.department_id IS NOT NULL AND {w} \
                     GROUP BY k.department_id"
                ),
                vals,
            ))
            .await?;
        for r in &rows {
            let d: Uuid = r.try_get("", "d")?;
            let e = out.entry(d).or_default();
            e.finished = n(r, "finished")?;
            e.finished_in_time = n(r, "in_time")?;
            e.finished_extended = n(r, "extended")?;
        }
    }

    // 3. Overdue now: a running 签收 or 办结 clock past its deadline.
    let mut vals: Vec<Value> = vec![KIND.into(), today.into()];
    let w = crate::scope::sql(&scope, &CLOCK_SHAPE, &mut vals);
    let rows = c
        .query_all_raw(stmt(
            c,
            format!(
                "SELECT o.d, COUNT(*) AS overdue FROM (SELECT DISTINCT k.department_id AS d, k.case_id \
                 FROM case_clocks k \
                 WHERE k.case_kind = $1 AND k.name IN ('sign', 'finish') AND k.stopped_on IS NULL AND k.due < $2 \
                 AND k.department_id IS NOT NULL AND {w}) o \
                 GROUP BY o.d"
            ),
            vals,
        ))
        .await?;
    for r in &rows {
        let d: Uuid = r.try_get("", "d")?;
        out.entry(d).or_default().overdue_now = n(r, "overdue")?;
    }

    // 4. Returns made in the period, by the returning staff's department: the period's
    // returns from the events' covering index (ix_case_events_action, migration
    // m20261207_000029), scoped by the region each event carries.
    let mut vals: Vec<Value> = vec![
        KIND.into(),
        beijing_midnight(from).into(),
        beijing_midnight(to.succ_opt().unwrap_or(to)).into(),
    ];
    let w = crate::scope::sql(&scope, &EVENT_SHAPE, &mut vals);
    let rows = c
        .query_all_raw(stmt(
            c,
            format!(
                "SELECT e.actor_department_id AS d, COUNT(*) AS returned FROM case_events e \
                 WHERE e.case_kind = $1 AND e.action = 'return' AND e.at >= $2 AND e.at < $3 \
                 AND e.actor_department_id IS NOT NULL AND {w} \
                 GROUP BY e.actor_department_id"
            ),
            vals,
        ))
        .await?;
    for r in &rows {
        let d: Uuid = r.try_get("", "d")?;
        out.entry(d).or_default().returned = n(r, "returned")?;
    }

    Ok(out
        .into_iter()
        .map(|(id, mut x)| {
            x.department_id = id;
            x
        })
        .collect())
}

/// Satisfaction per department: the 回访 made in the period (Beijing dates), each one
/// evaluation for the clue's handling department; a satisfied or basically satisfied verdict
/// closes the clue. From the daily figures where they answer for the scope, else from the
/// events ([`satisfaction_counts_from_events`]).
pub async fn satisfaction_counts(
    c: &impl ConnectionTrait,
    scope: &Scope,
    region: Option<&RegionCode>,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<BTreeMap<Uuid, SatisfactionCounts>> {
    if !case_figures::answers(scope, region) {
        return satisfaction_counts_from_events(c, scope, region, from, to).await;
    }
    use case_figures::Figure as F;
    let mut out = BTreeMap::new();
    let sums = case_figures::sums(
        c,
        CaseKind::Clue,
        &[F::Evaluated, F::Satisfied],
        scope,
        region,
        (from, to),
    );
    for (d, f) in sums.await? {
        let evaluated = f.get(&F::Evaluated).copied().unwrap_or(0);
        if evaluated > 0 {
            let satisfied = f.get(&F::Satisfied).copied().unwrap_or(0);
            out.insert(
                d,
                SatisfactionCounts {
                    evaluated,
                    satisfied,
                },
            );
        }
    }
    Ok(out)
}

/// [`satisfaction_counts`] from the 回访 events themselves, whatever the scope.
pub async fn satisfaction_counts_from_events(
    c: &impl ConnectionTrait,
    scope: &Scope,
    region: Option<&RegionCode>,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<BTreeMap<Uuid, SatisfactionCounts>> {
    let scope = scope.clone().narrowed(region, None);
    let mut vals: Vec<Value> = vec![
        KIND.into(),
        beijing_midnight(from).into(),
        beijing_midnight(to.succ_opt().unwrap_or(to)).into(),
    ];
    let w = crate::scope::sql(&scope, &EVENT_SHAPE, &mut vals);
    let rows = c
        .query_all_raw(stmt(
            c,
            format!(
                "SELECT c.department_id AS d, COUNT(*) AS n, \
                 SUM(CASE WHEN e.to_status = 'closed' THEN 1 ELSE 0 END) AS ok \
                 FROM case_events e JOIN clues c ON c.id = e.case_id \
                 WHERE e.case_kind = $1 AND e.action = 'revisit' AND e.at >= $2 AND e.at < $3 \
                 AND c.department_id IS NOT NULL AND {w} \
                 GROUP BY c.department_id"
            ),
            vals,
        ))
        .await?;
    let mut out = BTreeMap::new();
    for r in &rows {
        let d: Uuid = r.try_get("", "d")?;
        out.insert(
            d,
            SatisfactionCounts {
                evaluated: n(r, "n")?,
                satisfied: n(r, "ok")?,
            },
        );
    }
    Ok(out)
}

/// The evaluations (回访) of one department's clues (see [`satisfaction_counts`]).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SatisfactionCounts {
    pub evaluated: i64,
    /// Satisfied or basically satisfied.
    pub satisfied: i64,
}

/// A clock for [`insert_bulk`]: the step that stopped it and its approved extensions.
pub struct BulkClock {
    pub case_id: Uuid,
    pub clock: Clock,
    pub stopped_by: Option<&'static str>,
    pub extensions: u32,
}

/// Writes many clues with their clocks (each with the step that stopped it) and events in
/// multi-row statements (the benchmark's seeding; the services write one clue per
/// transaction). The caller holds the transaction.
pub async fn insert_bulk(
    c: &impl ConnectionTrait,
    clues: &[Clue],
    clocks: &[BulkClock],
    events: &[CaseEvent],
) -> Result<()> {
    let into = format!("clues ({})", crate::clues::COLS);
    insert_rows(c, &into, clues, 70, crate::clues::values).await?;
    // Sealed as the services' writes are (`audit reconcile` names a row changed outside).
    let ids: Vec<Uuid> = clues.iter().map(|x| x.id).collect();
    crate::seal::seal_ids(c, crate::seal::Sealed::Clues, &ids).await?;
    // Each handled clue's lead department, which its data scope reads (`clues::SHAPE`).
    let leads: Vec<(Uuid, Uuid)> = clues
        .iter()
        .filter_map(|x| Some((x.id, x.department_id?)))
        .collect();
    insert_rows(
        c,
        "clue_departments (clue_id, department_id, role)",
        &leads,
        300,
        |(clue, dept)| vec![(*clue).into(), (*dept).into(), "lead".into()],
    )
    .await?;
    // A clock runs against its clue's region and handling department.
    let holders: std::collections::HashMap<Uuid, ClockHolder> = clues
        .iter()
        .map(|x| {
            (
                x.id,
                ClockHolder {
                    region_code: x.region_code.to_string(),
                    department_id: x.department_id,
                },
            )
        })
        .collect();
    let none = ClockHolder {
        region_code: String::new(),
        department_id: None,
    };
    let into = format!("case_clocks ({})", crate::cases::KCOLS);
    insert_rows(c, &into, clocks, 250, |b| {
        let h = holders.get(&b.case_id).unwrap_or(&none);
        crate::cases::clock_values(
            CaseKind::Clue,
            b.case_id,
            &b.clock,
            h,
            b.stopped_by,
            b.extensions,
        )
    })
    .await?;
    let into = format!("case_events ({})", crate::cases::ECOLS);
    insert_rows(c, &into, events, 150, crate::cases::event_values).await?;
    // The daily figures of what was written, as the clock writes and 回访 keep them.
    let mut cells: BTreeMap<case_figures::Cell, i64> = BTreeMap::new();
    let facts: Vec<case_figures::ClockFacts> = clocks
        .iter()
        .map(|b| {
            let h = holders.get(&b.case_id).unwrap_or(&none);
            case_figures::ClockFacts {
                name: b.clock.name.clone(),
                started_on: b.clock.started_on,
                due: b.clock.due,
                stopped_on: b.clock.stopped_on,
                stopped_by: b.stopped_by.map(str::to_string),
                extensions: i32::try_from(b.extensions).unwrap_or(i32::MAX),
                region_code: h.region_code.clone(),
                department_id: h.department_id,
            }
        })
        .collect();
    for x in case_figures::of_clocks(&facts) {
        *cells.entry(x).or_default() += 1;
    }
    for e in events.iter().filter(|e| e.action == "revisit") {
        let Some(h) = holders.get(&e.case_id) else {
            continue;
        };
        let Some(d) = h.department_id else { continue };
        let day = (e.at + chrono::Duration::hours(8)).date_naive();
        let mut cell = |figure| {
            *cells
                .entry(case_figures::Cell {
                    figure,
                    day,
                    county: case_figures::county_of(&e.region_code),
                    department_id: d,
                })
                .or_default() += 1;
        };
        cell(case_figures::Figure::Evaluated);
        if e.to_status == "closed" {
            cell(case_figures::Figure::Satisfied);
        }
    }
    case_figures::add_all(c, CaseKind::Clue, &cells).await
}

/// Inserts `items` into `into` (a table and its columns) `per` rows a statement.
async fn insert_rows<T>(
    c: &impl ConnectionTrait,
    into: &str,
    items: &[T],
    per: usize,
    values: impl Fn(&T) -> Vec<Value>,
) -> Result<()> {
    for chunk in items.chunks(per) {
        let mut vals: Vec<Value> = Vec::new();
        let mut rows = Vec::with_capacity(chunk.len());
        for x in chunk {
            let v = values(x);
            rows.push(format!("({})", placeholders(vals.len() + 1, v.len())));
            vals.extend(v);
        }
        c.execute_raw(stmt(
            c,
            format!("INSERT INTO {into} VALUES {}", rows.join(", ")),
            vals,
        ))
        .await?;
    }
    Ok(())
}
