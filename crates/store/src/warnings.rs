//! Risk warnings (风险预警, issue 16 items 1–2): rule versions (`warning_rules`), warnings
//! (`warnings`) with the departments each is pushed to (`warning_departments`), their folded
//! occurrences (`warning_occurrences`) and joint assessments (`warning_assessments`). Steps and
//! clocks are the shared case mechanism's (`crate::cases`).
//!
//! Scope: rules are a catalogue every staff member reads (sector-wide, like items); a warning
//! belongs to its entity's region and to the lines of the departments it was pushed to
//! ([`Line::Through`] `warning_departments`), so a department sees only what was pushed to it.

use chrono::{DateTime, NaiveDate, Utc};
use lianjian_domain::region::RegionCode;
use lianjian_domain::scope::Scope;
use lianjian_domain::warning::{Condition, Level, PlanStep, PushRule, WarningRule, WarningStatus};
use sea_orm::{ConnectionTrait, QueryResult, Value};
use serde::Serialize;
use uuid::Uuid;

use crate::cases::{CaseList, one_in_scope};
use crate::scope::{Line, Shape};
use crate::{Page, PageRequest, Result, StoreError, placeholders, stmt};

const WARN_SHAPE: Shape = Shape {
    region: "warnings.region_code",
    ancestors_visible: false,
    line: Line::Through {
        id: "warnings.id",
        table: "warning_departments",
        key: "warning_id",
        department: "department_id",
    },
};

fn json<T: serde::de::DeserializeOwned>(r: &QueryResult, col: &str) -> Result<T> {
    let s: String = r.try_get("", col)?;
    serde_json::from_str(&s).map_err(|e| StoreError::Corrupt(format!("{col}: {e}")))
}

// ---- rules ----

/// One version of a rule as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct RuleVersion {
    pub rule: WarningRule,
    /// `device` or `record`.
    pub kind: String,
    /// The version in force (the latest).
    pub current: bool,
    /// Still evaluated (a retired rule keeps its versions readable).
    pub active: bool,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
}

const RCOLS: &str = "id, version, code, name, sector, level, assessment, condition, push, plan, kind, current, active, created_by, created_at";

fn rule_from_row(r: &QueryResult) -> Result<RuleVersion> {
    let condition: Condition = json(r, "condition")?;
    let push: PushRule = json(r, "push")?;
    let plan: Vec<PlanStep> = json(r, "plan")?;
    Ok(RuleVersion {
        rule: WarningRule {
            id: r.try_get("", "id")?,
            version: r.try_get("", "version")?,
            code: r.try_get("", "code")?,
            name: r.try_get("", "name")?,
            sector: r.try_get("", "sector")?,
            level: crate::coded(r, "level", Level::parse)?,
            assessment: r.try_get("", "assessment")?,
            condition,
            push,
            plan,
        },
        kind: r.try_get("", "kind")?,
        current: r.try_get("", "current")?,
        active: r.try_get("", "active")?,
        created_by: r.try_get("", "created_by")?,
        created_at: r.try_get("", "created_at")?,
    })
}

fn to_json<T: Serialize>(v: &T) -> Value {
    serde_json::to_string(v).unwrap_or_default().into()
}

/// Writes a new version of a rule as the current one (the previous version stops being
/// current in the same transaction, which the caller holds).
pub async fn insert_rule_version(c: &impl ConnectionTrait, v: &RuleVersion) -> Result<()> {
    c.execute_raw(stmt(
        c,
        "UPDATE warning_rules SET current = FALSE WHERE id = $1",
        vec![v.rule.id.into()],
    ))
    .await?;
    let r = &v.rule;
    c.execute_raw(stmt(
        c,
        format!(
            "INSERT INTO warning_rules ({RCOLS}) VALUES ({})",
            placeholders(1, 15)
        ),
        vec![
            r.id.into(),
            r.version.into(),
            r.code.clone().into(),
            r.name.clone().into(),
            r.sector.clone().into(),
            r.level.as_str().into(),
            r.assessment.into(),
            to_json(&r.condition),
            to_json(&r.push),
            to_json(&r.plan),
            v.kind.clone().into(),
            true.into(),
            v.active.into(),
            v.created_by.clone().into(),
            v.created_at.into(),
        ],
    ))
    .await?;
    Ok(())
}

/// One version of a rule (the current one if `version` is `None`).
pub async fn get_rule(
    c: &impl ConnectionTrait,
    id: Uuid,
    version: Option<i32>,
) -> Result<Option<RuleVersion>> {
    let (w, vals): (&str, Vec<Value>) = match version {
        Some(v) => ("id = $1 AND version = $2", vec![id.into(), v.into()]),
        None => ("id = $1 AND current = TRUE", vec![id.into()]),
    };
    c.query_one_raw(stmt(
        c,
        format!("SELECT {RCOLS} FROM warning_rules WHERE {w}"),
        vals,
    ))
    .await?
    .as_ref()
    .map(rule_from_row)
    .transpose()
}

/// The current version of the rule with `code`, if any.
pub async fn rule_by_code(c: &impl ConnectionTrait, code: &str) -> Result<Option<RuleVersion>> {
    c.query_one_raw(stmt(
        c,
        format!("SELECT {RCOLS} FROM warning_rules WHERE code = $1 AND current = TRUE"),
        vec![code.to_string().into()],
    ))
    .await?
    .as_ref()
    .map(rule_from_row)
    .transpose()
}

/// Every version of a rule, newest first.
pub async fn rule_versions(c: &impl ConnectionTrait, id: Uuid) -> Result<Vec<RuleVersion>> {
    c.query_all_raw(stmt(
        c,
        format!("SELECT {RCOLS} FROM warning_rules WHERE id = $1 ORDER BY version DESC"),
        vec![id.into()],
    ))
    .await?
    .iter()
    .map(rule_from_row)
    .collect()
}

/// The current versions of every rule by sector and code (`active_kind`: only the active
/// rules of that kind, `device` or `record`).
pub async fn current_rules(
    c: &impl ConnectionTrait,
    active_kind: Option<&str>,
) -> Result<Vec<RuleVersion>> {
    let (w, vals): (&str, Vec<Value>) = match active_kind {
        Some(k) => (
            " AND active = TRUE AND kind = $1",
            vec![k.to_string().into()],
        ),
        None => ("", vec![]),
    };
    c.query_all_raw(stmt(
        c,
        format!("SELECT {RCOLS} FROM warning_rules WHERE current = TRUE{w} ORDER BY sector, code"),
        vals,
    ))
    .await?
    .iter()
    .map(rule_from_row)
    .collect()
}

// ---- warnings ----

/// A warning as stored.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Warning {
    pub id: Uuid,
    pub code: String,
    pub region_code: RegionCode,
    pub rule_id: Uuid,
    pub rule_version: i32,
    pub entity_id: Uuid,
    pub device_id: Option<Uuid>,
    pub level: Level,
    pub major: bool,
    pub status: WarningStatus,
    pub summary: String,
    pub occurrences: u32,
    pub first_at: DateTime<Utc>,
    pub last_at: DateTime<Utc>,
    pub last_detail: Option<String>,
    /// 办结理由 / the clue's or visit's code once converted.
    pub outcome: Option<String>,
    pub clue_id: Option<Uuid>,
    pub visit_id: Option<Uuid>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// The key that makes a warning "the open one" of its rule, entity and device.
pub fn open_key(rule_id: Uuid, entity_id: Uuid, device_id: Option<Uuid>) -> String {
    format!(
        "{}:{}:{}",
        rule_id.simple(),
        entity_id.simple(),
        device_id.map_or_else(|| "-".to_string(), |d| d.simple().to_string())
    )
}

const WCOLS: &str = "warnings.id, warnings.code, warnings.region_code, warnings.rule_id, warnings.rule_version, warnings.entity_id, warnings.device_id, warnings.level, warnings.major, warnings.status, warnings.summary, warnings.occurrences, warnings.first_at, warnings.last_at, warnings.last_detail, warnings.outcome, warnings.clue_id, warnings.visit_id, warnings.created_at, warnings.updated_at";

fn warning_from_row(r: &QueryResult) -> Result<Warning> {
    let region: String = r.try_get("", "region_code")?;
    let n: i32 = r.try_get("", "occurrences")?;
    Ok(Warning {
        id: r.try_get("", "id")?,
        code: r.try_get("", "code")?,
        region_code: RegionCode::parse(&region)
            .map_err(|e| StoreError::Corrupt(format!("region_code: {}", e.en)))?,
        rule_id: r.try_get("", "rule_id")?,
        rule_version: r.try_get("", "rule_version")?,
        entity_id: r.try_get("", "entity_id")?,
        device_id: r.try_get("", "device_id")?,
        level: crate::coded(r, "level", Level::parse)?,
        major: r.try_get("", "major")?,
        status: crate::coded(r, "status", WarningStatus::parse)?,
        summary: r.try_get("", "summary")?,
        occurrences: u32::try_from(n).unwrap_or(0),
        first_at: r.try_get("", "first_at")?,
        last_at: r.try_get("", "last_at")?,
        last_detail: r.try_get("", "last_detail")?,
        outcome: r.try_get("", "outcome")?,
        clue_id: r.try_get("", "clue_id")?,
        visit_id: r.try_get("", "visit_id")?,
        created_at: r.try_get("", "created_at")?,
        updated_at: r.try_get("", "updated_at")?,
    })
}

/// Inserts a new open warning and the departments it is pushed to. A concurrent raise that
/// opened the same rule + entity + device first makes this a [`StoreError::Conflict`].
pub async fn insert(c: &impl ConnectionTrait, w: &Warning, departments: &[Uuid]) -> Result<()> {
    c.execute_raw(stmt(
        c,
        format!(
            "INSERT INTO warnings (id, code, region_code, rule_id, rule_version, entity_id, device_id, level, major, status, summary, open_key, occurrences, first_at, last_at, last_detail, outcome, clue_id, visit_id, created_at, updated_at) VALUES ({})",
            placeholders(1, 21)
        ),
        vec![
            w.id.into(),
            w.code.clone().into(),
            w.region_code.to_string().into(),
            w.rule_id.into(),
            w.rule_version.into(),
            w.entity_id.into(),
            w.device_id.into(),
            w.level.as_str().into(),
            w.major.into(),
            w.status.as_str().into(),
            w.summary.clone().into(),
            open_key(w.rule_id, w.entity_id, w.device_id).into(),
            i32::try_from(w.occurrences).unwrap_or(i32::MAX).into(),
            w.first_at.into(),
            w.last_at.into(),
            w.last_detail.clone().into(),
            w.outcome.clone().into(),
            w.clue_id.into(),
            w.visit_id.into(),
            w.created_at.into(),
            w.updated_at.into(),
        ],
    ))
    .await?;
    for d in departments {
        c.execute_raw(stmt(
            c,
            "INSERT INTO warning_departments (warning_id, department_id) VALUES ($1, $2)",
            vec![w.id.into(), (*d).into()],
        ))
        .await?;
    }
    Ok(())
}

/// The open warning of a rule, entity and device, if any (no scope: `raise` is the server's).
pub async fn open_of(
    c: &impl ConnectionTrait,
    rule_id: Uuid,
    entity_id: Uuid,
    device_id: Option<Uuid>,
) -> Result<Option<Warning>> {
    c.query_one_raw(stmt(
        c,
        format!("SELECT {WCOLS} FROM warnings WHERE open_key = $1"),
        vec![open_key(rule_id, entity_id, device_id).into()],
    ))
    .await?
    .as_ref()
    .map(warning_from_row)
    .transpose()
}

/// Folds a trigger into an open warning: one more occurrence, the latest time, summary and
/// detail (an older trigger arriving late keeps the latest). False if it is no longer open.
pub async fn fold(
    c: &impl ConnectionTrait,
    id: Uuid,
    observed_at: DateTime<Utc>,
    summary: &str,
    detail: Option<String>,
    now: DateTime<Utc>,
) -> Result<bool> {
    let r = c
        .execute_raw(stmt(
            c,
            "UPDATE warnings SET occurrences = occurrences + 1, \
             summary = CASE WHEN last_at <= $2 THEN $3 ELSE summary END, \
             last_detail = CASE WHEN last_at <= $2 THEN $4 ELSE last_detail END, \
             last_at = CASE WHEN last_at <= $2 THEN $2 ELSE last_at END, \
             first_at = CASE WHEN first_at > $2 THEN $2 ELSE first_at END, \
             updated_at = $5 WHERE id = $1 AND open_key IS NOT NULL",
            vec![
                id.into(),
                observed_at.into(),
                summary.to_string().into(),
                detail.into(),
                now.into(),
            ],
        ))
        .await?;
    Ok(r.rows_affected() > 0)
}

/// At most this many occurrences are kept per warning (the count on the warning is exact).
pub const KEPT_OCCURRENCES: i64 = 200;

/// Records one occurrence, keeping the latest [`KEPT_OCCURRENCES`].
pub async fn insert_occurrence(
    c: &impl ConnectionTrait,
    warning_id: Uuid,
    observed_at: DateTime<Utc>,
    summary: &str,
    detail: Option<String>,
) -> Result<()> {
    c.execute_raw(stmt(
        c,
        "INSERT INTO warning_occurrences (id, warning_id, observed_at, summary, detail) VALUES ($1, $2, $3, $4, $5)",
        vec![
            Uuid::now_v7().into(),
            warning_id.into(),
            observed_at.into(),
            summary.to_string().into(),
            detail.into(),
        ],
    ))
    .await?;
    c.execute_raw(stmt(
        c,
        "DELETE FROM warning_occurrences WHERE warning_id = $1 AND id NOT IN \
         (SELECT id FROM warning_occurrences WHERE warning_id = $1 ORDER BY observed_at DESC, id DESC LIMIT $2)",
        vec![warning_id.into(), KEPT_OCCURRENCES.into()],
    ))
    .await?;
    Ok(())
}

/// One occurrence as shown.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Occurrence {
    pub observed_at: DateTime<Utc>,
    pub summary: String,
}

/// The latest occurrences of a warning, newest first.
pub async fn occurrences(
    c: &impl ConnectionTrait,
    warning_id: Uuid,
    limit: u32,
) -> Result<Vec<Occurrence>> {
    c.query_all_raw(stmt(
        c,
        format!(
            "SELECT observed_at, summary FROM warning_occurrences WHERE warning_id = $1 ORDER BY observed_at DESC, id DESC LIMIT {}",
            limit.min(500)
        ),
        vec![warning_id.into()],
    ))
    .await?
    .iter()
    .map(|r| {
        Ok(Occurrence {
            observed_at: r.try_get("", "observed_at")?,
            summary: r.try_get("", "summary")?,
        })
    })
    .collect()
}

/// Moves a warning from `from` to `to` (false if it was changed meanwhile). A final status
/// frees the open key, so the next trigger opens a new warning. `outcome`, `clue_id` and
/// `visit_id` are set when given.
#[allow(clippy::too_many_arguments)]
pub async fn set_status(
    c: &impl ConnectionTrait,
    id: Uuid,
    from: WarningStatus,
    to: WarningStatus,
    now: DateTime<Utc>,
    outcome: Option<&str>,
    clue_id: Option<Uuid>,
    visit_id: Option<Uuid>,
) -> Result<bool> {
    use lianjian_domain::lifecycle::Lifecycle;
    let free = if to.is_final() {
        ", open_key = NULL"
    } else {
        ""
    };
    let r = c
        .execute_raw(stmt(
            c,
            format!(
                "UPDATE warnings SET status = $1, updated_at = $2, outcome = COALESCE($3, outcome), \
                 clue_id = COALESCE($4, clue_id), visit_id = COALESCE($5, visit_id){free} \
                 WHERE id = $6 AND status = $7"
            ),
            vec![
                to.as_str().into(),
                now.into(),
                outcome.map(str::to_string).into(),
                clue_id.into(),
                visit_id.into(),
                id.into(),
                from.as_str().into(),
            ],
        ))
        .await?;
    Ok(r.rows_affected() > 0)
}

/// One warning within `scope`.
pub async fn get(c: &impl ConnectionTrait, scope: &Scope, id: Uuid) -> Result<Option<Warning>> {
    one_in_scope(
        c,
        ("warnings", &WARN_SHAPE),
        WCOLS,
        scope,
        id,
        warning_from_row,
    )
    .await
}

/// Filters of a warning list (the scope limits it further).
#[derive(Debug, Clone, Default)]
pub struct WarningQuery {
    pub statuses: Vec<WarningStatus>,
    pub level: Option<Level>,
    pub rule_id: Option<Uuid>,
    pub entity_id: Option<Uuid>,
    /// Pushed to this department.
    pub department_id: Option<Uuid>,
    /// A running clock of the warning is due in `[from, before)` (即将超时 / 已超时).
    pub due: Option<(Option<NaiveDate>, NaiveDate)>,
    /// Order: `level` (most severe first), `last` (latest occurrence first), default newest.
    pub sort: Option<String>,
}

fn listed(scope: &Scope, q: &WarningQuery) -> CaseList {
    CaseList::scoped("warnings", scope, &WARN_SHAPE)
        .statuses("warnings.status", &q.statuses)
        .equals("warnings.level", q.level.map(Level::as_str))
        .equals("warnings.rule_id", q.rule_id)
        .equals("warnings.entity_id", q.entity_id)
        .with_value(q.department_id, |d| {
            format!("warnings.id IN (SELECT warning_id FROM warning_departments WHERE department_id = {d})")
        })
        .and_some(q.due, |(from, before), vals| {
            // Any running clock of the warning (the plan's step names vary by rule).
            let mut cond = "k.case_kind = 'warning' AND k.stopped_on IS NULL".to_string();
            if let Some(f) = from {
                vals.push(f.into());
                cond.push_str(&format!(" AND k.due >= ${}", vals.len()));
            }
            vals.push(before.into());
            cond.push_str(&format!(" AND k.due < ${}", vals.len()));
            format!("warnings.id IN (SELECT k.case_id FROM case_clocks k WHERE {cond})")
        })
}

/// A page of warnings within `scope`.
pub async fn list(
    c: &impl ConnectionTrait,
    scope: &Scope,
    q: &WarningQuery,
    page: PageRequest,
) -> Result<Page<Warning>> {
    let order = match q.sort.as_deref() {
        Some("level") => {
            "CASE warnings.level WHEN 'red' THEN 0 WHEN 'orange' THEN 1 WHEN 'yellow' THEN 2 ELSE 3 END, warnings.last_at DESC, warnings.id DESC"
        }
        Some("last") => "warnings.last_at DESC, warnings.id DESC",
        _ => "warnings.created_at DESC, warnings.id DESC",
    };
    listed(scope, q)
        .page(c, WCOLS, order, page, warning_from_row)
        .await
}

/// How many warnings within `scope` match `q`.
pub async fn count(c: &impl ConnectionTrait, scope: &Scope, q: &WarningQuery) -> Result<u64> {
    listed(scope, q).count(c).await
}

/// The departments a warning was pushed to.
pub async fn departments_of(c: &impl ConnectionTrait, id: Uuid) -> Result<Vec<Uuid>> {
    c.query_all_raw(stmt(
        c,
        "SELECT department_id FROM warning_departments WHERE warning_id = $1 ORDER BY department_id",
        vec![id.into()],
    ))
    .await?
    .iter()
    .map(|r| Ok(r.try_get("", "department_id")?))
    .collect()
}

/// Adds departments to a warning's (a joint assessment invites others; they then see it).
pub async fn add_departments(c: &impl ConnectionTrait, id: Uuid, ds: &[Uuid]) -> Result<()> {
    let have = departments_of(c, id).await?;
    for d in ds {
        if !have.contains(d) {
            c.execute_raw(stmt(
                c,
                "INSERT INTO warning_departments (warning_id, department_id) VALUES ($1, $2)",
                vec![id.into(), (*d).into()],
            ))
            .await?;
        }
    }
    Ok(())
}

// ---- joint assessments ----

/// A joint assessment (会商研判) of a warning.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Assessment {
    pub id: Uuid,
    pub warning_id: Uuid,
    pub departments: Vec<Uuid>,
    pub minutes: Option<String>,
    pub decision: Option<String>,
    pub requested_by: String,
    pub requested_at: DateTime<Utc>,
    pub decided_by: Option<String>,
    pub decided_at: Option<DateTime<Utc>>,
}

const ACOLS: &str = "id, warning_id, departments, minutes, decision, requested_by, requested_at, decided_by, decided_at";

fn assessment_from_row(r: &QueryResult) -> Result<Assessment> {
    Ok(Assessment {
        id: r.try_get("", "id")?,
        warning_id: r.try_get("", "warning_id")?,
        departments: json(r, "departments")?,
        minutes: r.try_get("", "minutes")?,
        decision: r.try_get("", "decision")?,
        requested_by: r.try_get("", "requested_by")?,
        requested_at: r.try_get("", "requested_at")?,
        decided_by: r.try_get("", "decided_by")?,
        decided_at: r.try_get("", "decided_at")?,
    })
}

pub async fn insert_assessment(c: &impl ConnectionTrait, a: &Assessment) -> Result<()> {
    c.execute_raw(stmt(
        c,
        format!(
            "INSERT INTO warning_assessments ({ACOLS}) VALUES ({})",
            placeholders(1, 9)
        ),
        vec![
            a.id.into(),
            a.warning_id.into(),
            to_json(&a.departments),
            a.minutes.clone().into(),
            a.decision.clone().into(),
            a.requested_by.clone().into(),
            a.requested_at.into(),
            a.decided_by.clone().into(),
            a.decided_at.into(),
        ],
    ))
    .await?;
    Ok(())
}

/// Records the minutes and decision of the open assessment of a warning (false if none).
pub async fn decide_assessment(
    c: &impl ConnectionTrait,
    warning_id: Uuid,
    minutes: &str,
    decision: &str,
    by: &str,
    at: DateTime<Utc>,
) -> Result<bool> {
    let r = c
        .execute_raw(stmt(
            c,
            "UPDATE warning_assessments SET minutes = $1, decision = $2, decided_by = $3, decided_at = $4 \
             WHERE warning_id = $5 AND decided_at IS NULL",
            vec![
                minutes.to_string().into(),
                decision.to_string().into(),
                by.to_string().into(),
                at.into(),
                warning_id.into(),
            ],
        ))
        .await?;
    Ok(r.rows_affected() > 0)
}

/// A warning's assessments, oldest first.
pub async fn assessments_of(c: &impl ConnectionTrait, warning_id: Uuid) -> Result<Vec<Assessment>> {
    c.query_all_raw(stmt(
        c,
        format!(
            "SELECT {ACOLS} FROM warning_assessments WHERE warning_id = $1 ORDER BY requested_at, id"
        ),
        vec![warning_id.into()],
    ))
    .await?
    .iter()
    .map(assessment_from_row)
    .collect()
}

// ---- facts for the record pass ----

/// Entities with at least `at_least` complaints or reports (clues with the entity named)
/// received since `since`: (entity, count).
pub async fn complaint_counts(
    c: &impl ConnectionTrait,
    since: DateTime<Utc>,
    at_least: u32,
) -> Result<Vec<(Uuid, i64)>> {
    counts(
        c,
        "SELECT entity_id AS e, COUNT(*) AS n FROM clues WHERE entity_id IS NOT NULL \
         AND kind IN ('complaint', 'report') AND received_at >= $1 GROUP BY entity_id HAVING COUNT(*) >= $2",
        since,
        at_least,
    )
    .await
}

/// Entities with at least `at_least` device-reading occurrences of warnings since `since`
/// (每次超标: each trigger folded into a device warning counts).
pub async fn exceedance_counts(
    c: &impl ConnectionTrait,
    since: DateTime<Utc>,
    at_least: u32,
) -> Result<Vec<(Uuid, i64)>> {
    counts(
        c,
        "SELECT w.entity_id AS e, COUNT(*) AS n FROM warning_occurrences o JOIN warnings w ON w.id = o.warning_id \
         WHERE w.device_id IS NOT NULL AND o.observed_at >= $1 GROUP BY w.entity_id HAVING COUNT(*) >= $2",
        since,
        at_least,
    )
    .await
}

/// Entities with at least `at_least` visits completed since `since` whose results found a
/// problem (a result code other than 未发现问题).
pub async fn problem_result_counts(
    c: &impl ConnectionTrait,
    since: DateTime<Utc>,
    at_least: u32,
) -> Result<Vec<(Uuid, i64)>> {
    counts(
        c,
        "SELECT v.entity_id AS e, COUNT(DISTINCT v.id) AS n FROM visits v JOIN visit_results r ON r.visit_id = v.id \
         WHERE v.completed_at >= $1 AND r.result_code IS NOT NULL AND r.result_code <> 'no_problem' \
         GROUP BY v.entity_id HAVING COUNT(DISTINCT v.id) >= $2",
        since,
        at_least,
    )
    .await
}

async fn counts(
    c: &impl ConnectionTrait,
    sql: &str,
    since: DateTime<Utc>,
    at_least: u32,
) -> Result<Vec<(Uuid, i64)>> {
    c.query_all_raw(stmt(c, sql, vec![since.into(), i64::from(at_least).into()]))
        .await?
        .iter()
        .map(|r| Ok((r.try_get("", "e")?, r.try_get("", "n")?)))
        .collect()
}

/// Licences of active entities valid until a day in `[.., until]`: (entity, licence type,
/// number, valid_to), soonest first.
pub async fn licences_expiring(
    c: &impl ConnectionTrait,
    until: NaiveDate,
) -> Result<Vec<(Uuid, String, String, NaiveDate)>> {
    c.query_all_raw(stmt(
        c,
        "SELECT l.entity_id, l.licence_type, l.number, l.valid_to FROM entity_licences l \
         WHERE l.valid_to IS NOT NULL AND l.valid_to <= $1 ORDER BY l.valid_to, l.entity_id",
        vec![until.into()],
    ))
    .await?
    .iter()
    .map(|r| {
        Ok((
            r.try_get("", "entity_id")?,
            r.try_get("", "licence_type")?,
            r.try_get("", "number")?,
            r.try_get("", "valid_to")?,
        ))
    })
    .collect()
}

/// The lines (条线) of the lead departments of the published items of a sector (by name):
/// a push rule "by item" goes to these lines in the entity's region.
pub async fn item_lines_of_sector(c: &impl ConnectionTrait, sector: &str) -> Result<Vec<String>> {
    c.query_all_raw(stmt(
        c,
        "SELECT DISTINCT d.line FROM items i JOIN sectors s ON s.id = i.sector_id \
         JOIN departments d ON d.id = i.lead_department_id \
         WHERE s.name = $1 AND i.status = 'published' ORDER BY d.line",
        vec![sector.to_string().into()],
    ))
    .await?
    .iter()
    .map(|r| Ok(r.try_get("", "line")?))
    .collect()
}

/// Whether a sector of this name exists.
pub async fn sector_exists(c: &impl ConnectionTrait, name: &str) -> Result<bool> {
    Ok(c.query_one_raw(stmt(
        c,
        "SELECT 1 AS one FROM sectors WHERE name = $1",
        vec![name.to_string().into()],
    ))
    .await?
    .is_some())
}

/// The next number of a warning code with `prefix` (the clues' counters).
pub async fn next_code_number(c: &impl ConnectionTrait, prefix: &str) -> Result<u64> {
    crate::clues::next_code_number(c, prefix).await
}

/// Entities whose warning of `rule_id` was created since `since` and is no longer open.
pub async fn recently_finished(
    c: &impl ConnectionTrait,
    rule_id: Uuid,
    since: DateTime<Utc>,
) -> Result<Vec<Uuid>> {
    c.query_all_raw(stmt(
        c,
        "SELECT DISTINCT entity_id FROM warnings WHERE rule_id = $1 AND open_key IS NULL AND created_at >= $2",
        vec![rule_id.into(), since.into()],
    ))
    .await?
    .iter()
    .map(|r| Ok(r.try_get("", "entity_id")?))
    .collect()
}
