//! Annual inspection plans (年度抽查工作计划): the plan row, the departments taking part (the
//! item's lead and the cooperating departments chosen) and the qualifications its inspectors
//! must hold. Status moves are the services' business; this module only stores them.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, Utc};
use lianjian_domain::item::DepartmentRole;
use lianjian_domain::plan::{ClassRatios, Period, PlanStatus, Ratio};
use lianjian_domain::region::RegionCode;
use lianjian_domain::scope::Scope;
use sea_orm::{ConnectionTrait, QueryResult, Statement, Value};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::{Page, PageRequest, Result, StoreError, backend_of};

/// A department taking part in a plan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct PlanDepartment {
    pub department_id: Uuid,
    pub role: DepartmentRole,
}

/// A plan with its departments and qualifications.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Plan {
    pub id: Uuid,
    /// `<item code>-<year>-<nn>`.
    pub code: String,
    pub item_id: Uuid,
    /// The item version in force when the plan was last edited or submitted.
    pub item_version: i32,
    pub year: i32,
    pub period_start: NaiveDate,
    pub period_end: NaiveDate,
    /// The plan covers this region's subtree (within the item's region).
    pub region_code: RegionCode,
    /// Tag expression ANDed with the item's object definition, if any.
    pub narrowing_expr: Option<String>,
    pub ratios: ClassRatios,
    pub cooldown_months: u8,
    pub inspectors_per_visit: u8,
    pub expert_count: u8,
    /// 按风险加权抽取: draw within each credit class weighted by the entities' risk weights.
    pub risk_weighted: bool,
    /// 随机对照比例: the share of each class's quota a risk-weighted plan draws at random (0
    /// for a plan without risk weighting; docs/draw-algorithm.md 12.13).
    pub control_share: Ratio,
    pub status: PlanStatus,
    /// Why the coordination office last returned it (cleared when submitted again).
    pub return_reason: Option<String>,
    /// The latest submission.
    pub submitted_at: Option<DateTime<Utc>>,
    /// That submission came after 31 March of the plan year.
    pub late: bool,
    pub approved_at: Option<DateTime<Utc>>,
    pub published_at: Option<DateTime<Utc>>,
    /// User name of whoever created it.
    pub created_by: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// The lead department first, then the cooperating ones taking part.
    pub departments: Vec<PlanDepartment>,
    /// Qualifications someone of the plan's departments must hold on each visit.
    pub qualifications: Vec<String>,
}

impl Plan {
    pub fn period(&self) -> Period {
        Period {
            start: self.period_start,
            end: self.period_end,
        }
    }

    pub fn lead_department_id(&self) -> Option<Uuid> {
        self.departments
            .iter()
            .find(|d| d.role == DepartmentRole::Lead)
            .map(|d| d.department_id)
    }

    pub fn cooperating_ids(&self) -> Vec<Uuid> {
        self.departments
            .iter()
            .filter(|d| d.role == DepartmentRole::Cooperating)
            .map(|d| d.department_id)
            .collect()
    }
}

const COLS: &str = "id, code, item_id, item_version, year, period_start, period_end, region_code, narrowing_expr, ratio_a, ratio_b, ratio_c, ratio_d, ratio_ungraded, cooldown_months, inspectors_per_visit, expert_count, risk_weighted, control_permille, status, return_reason, submitted_at, late, approved_at, published_at, created_by, created_at, updated_at";

fn corrupt(what: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(format!("plan: {what}"))
}

fn stmt(c: &impl ConnectionTrait, sql: impl Into<String>, vals: Vec<Value>) -> Statement {
    Statement::from_sql_and_values(backend_of(c), sql, vals)
}

fn placeholders(from: usize, n: usize) -> String {
    (from..from + n)
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(",")
}

fn small(r: &QueryResult, col: &str) -> Result<u8> {
    let v: i32 = r.try_get("", col)?;
    u8::try_from(v).map_err(|_| corrupt(format!("{col} = {v}")))
}

fn ratio(r: &QueryResult, col: &str) -> Result<Ratio> {
    let v: i32 = r.try_get("", col)?;
    u16::try_from(v)
        .ok()
        .and_then(Ratio::from_per_mille)
        .ok_or_else(|| corrupt(format!("{col} = {v}")))
}

fn head_from_row(r: &QueryResult) -> Result<Plan> {
    Ok(Plan {
        id: r.try_get("", "id")?,
        code: r.try_get("", "code")?,
        item_id: r.try_get("", "item_id")?,
        item_version: r.try_get("", "item_version")?,
        year: r.try_get("", "year")?,
        period_start: r.try_get("", "period_start")?,
        period_end: r.try_get("", "period_end")?,
        region_code: RegionCode::parse(&r.try_get::<String>("", "region_code")?)
            .map_err(corrupt)?,
        narrowing_expr: r.try_get("", "narrowing_expr")?,
        ratios: ClassRatios {
            a: ratio(r, "ratio_a")?,
            b: ratio(r, "ratio_b")?,
            c: ratio(r, "ratio_c")?,
            d: ratio(r, "ratio_d")?,
            ungraded: ratio(r, "ratio_ungraded")?,
        },
        cooldown_months: small(r, "cooldown_months")?,
        inspectors_per_visit: small(r, "inspectors_per_visit")?,
        expert_count: small(r, "expert_count")?,
        risk_weighted: r.try_get("", "risk_weighted")?,
        control_share: ratio(r, "control_permille")?,
        status: PlanStatus::parse(&r.try_get::<String>("", "status")?).map_err(corrupt)?,
        return_reason: r.try_get("", "return_reason")?,
        submitted_at: r.try_get("", "submitted_at")?,
        late: r.try_get("", "late")?,
        approved_at: r.try_get("", "approved_at")?,
        published_at: r.try_get("", "published_at")?,
        created_by: r.try_get("", "created_by")?,
        created_at: r.try_get("", "created_at")?,
        updated_at: r.try_get("", "updated_at")?,
        departments: Vec::new(),
        qualifications: Vec::new(),
    })
}

fn head_values(p: &Plan) -> Vec<Value> {
    let pm = |r: Ratio| Value::from(i32::from(r.per_mille()));
    vec![
        p.id.into(),
        p.code.clone().into(),
        p.item_id.into(),
        p.item_version.into(),
        p.year.into(),
        p.period_start.into(),
        p.period_end.into(),
        p.region_code.to_string().into(),
        p.narrowing_expr.clone().into(),
        pm(p.ratios.a),
        pm(p.ratios.b),
        pm(p.ratios.c),
        pm(p.ratios.d),
        pm(p.ratios.ungraded),
        i32::from(p.cooldown_months).into(),
        i32::from(p.inspectors_per_visit).into(),
        i32::from(p.expert_count).into(),
        p.risk_weighted.into(),
        pm(p.control_share),
        p.status.as_str().into(),
        p.return_reason.clone().into(),
        p.submitted_at.into(),
        p.late.into(),
        p.approved_at.into(),
        p.published_at.into(),
        p.created_by.clone().into(),
        p.created_at.into(),
        p.updated_at.into(),
    ]
}

/// Loads departments and qualifications of `plans` in two queries.
async fn load_parts(c: &impl ConnectionTrait, plans: &mut [Plan]) -> Result<()> {
    if plans.is_empty() {
        return Ok(());
    }
    let ids: Vec<Value> = plans.iter().map(|p| p.id.into()).collect();
    let ph = placeholders(1, ids.len());
    let mut depts: HashMap<Uuid, Vec<PlanDepartment>> = HashMap::new();
    for r in c
        .query_all_raw(stmt(
            c,
            format!("SELECT plan_id, department_id, role FROM plan_departments WHERE plan_id IN ({ph}) ORDER BY plan_id, seq"),
            ids.clone(),
        ))
        .await?
    {
        let role: String = r.try_get("", "role")?;
        depts
            .entry(r.try_get("", "plan_id")?)
            .or_default()
            .push(PlanDepartment {
                department_id: r.try_get("", "department_id")?,
                role: DepartmentRole::parse(&role).map_err(corrupt)?,
            });
    }
    let mut quals: HashMap<Uuid, Vec<String>> = HashMap::new();
    for r in c
        .query_all_raw(stmt(
            c,
            format!("SELECT plan_id, qualification FROM plan_qualifications WHERE plan_id IN ({ph}) ORDER BY plan_id, seq"),
            ids,
        ))
        .await?
    {
        quals
            .entry(r.try_get("", "plan_id")?)
            .or_default()
            .push(r.try_get("", "qualification")?);
    }
    for p in plans.iter_mut() {
        p.departments = depts.remove(&p.id).unwrap_or_default();
        p.qualifications = quals.remove(&p.id).unwrap_or_default();
    }
    Ok(())
}

async fn heads(c: &impl ConnectionTrait, sql: String, vals: Vec<Value>) -> Result<Vec<Plan>> {
    let mut v: Vec<Plan> = c
        .query_all_raw(stmt(c, sql, vals))
        .await?
        .iter()
        .map(head_from_row)
        .collect::<Result<_>>()?;
    load_parts(c, &mut v).await?;
    Ok(v)
}

pub async fn get(c: &impl ConnectionTrait, id: Uuid) -> Result<Option<Plan>> {
    Ok(heads(
        c,
        format!("SELECT {COLS} FROM plans WHERE id = $1"),
        vec![id.into()],
    )
    .await?
    .pop())
}

pub async fn by_code(c: &impl ConnectionTrait, code: &str) -> Result<Option<Plan>> {
    Ok(heads(
        c,
        format!("SELECT {COLS} FROM plans WHERE code = $1"),
        vec![code.into()],
    )
    .await?
    .pop())
}

/// Plans by id, ordered by code; unknown ids are left out.
pub async fn get_many(c: &impl ConnectionTrait, ids: &[Uuid]) -> Result<Vec<Plan>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    heads(
        c,
        format!(
            "SELECT {COLS} FROM plans WHERE id IN ({}) ORDER BY code",
            placeholders(1, ids.len())
        ),
        ids.iter().map(|i| (*i).into()).collect(),
    )
    .await
}

async fn write_parts(c: &impl ConnectionTrait, p: &Plan) -> Result<()> {
    for table in ["plan_departments", "plan_qualifications"] {
        c.execute_raw(stmt(
            c,
            format!("DELETE FROM {table} WHERE plan_id = $1"),
            vec![p.id.into()],
        ))
        .await?;
    }
    for (i, d) in p.departments.iter().enumerate() {
        c.execute_raw(stmt(
            c,
            "INSERT INTO plan_departments (plan_id, department_id, role, seq) VALUES ($1,$2,$3,$4)",
            vec![
                p.id.into(),
                d.department_id.into(),
                d.role.as_str().into(),
                (i as i32).into(),
            ],
        ))
        .await?;
    }
    for (i, q) in p.qualifications.iter().enumerate() {
        c.execute_raw(stmt(
            c,
            "INSERT INTO plan_qualifications (plan_id, qualification, seq) VALUES ($1,$2,$3)",
            vec![p.id.into(), q.clone().into(), (i as i32).into()],
        ))
        .await?;
    }
    Ok(())
}

fn taken(code: &str) -> impl Fn(sea_orm::DbErr) -> StoreError + '_ {
    move |e| match StoreError::from(e) {
        StoreError::Conflict(_) => StoreError::Conflict(format!("plan code {code} is taken")),
        other => other,
    }
}

pub async fn insert(c: &impl ConnectionTrait, p: &Plan) -> Result<()> {
    let n = COLS.split(", ").count();
    let sql = format!("INSERT INTO plans ({COLS}) VALUES ({})", placeholders(1, n));
    c.execute_raw(stmt(c, sql, head_values(p)))
        .await
        .map_err(taken(&p.code))?;
    write_parts(c, p).await?;
    crate::seal::seal_ids(c, crate::seal::Sealed::Plans, &[p.id]).await
}

/// Writes every column and part of `p` (found by id).
pub async fn update(c: &impl ConnectionTrait, p: &Plan) -> Result<()> {
    let sets: Vec<String> = COLS
        .split(", ")
        .enumerate()
        .skip(1)
        .map(|(i, col)| format!("{col} = ${}", i + 1))
        .collect();
    let sql = format!("UPDATE plans SET {} WHERE id = $1", sets.join(", "));
    let r = c
        .execute_raw(stmt(c, sql, head_values(p)))
        .await
        .map_err(taken(&p.code))?;
    if r.rows_affected() == 0 {
        return Err(StoreError::NotFound);
    }
    write_parts(c, p).await?;
    crate::seal::seal_ids(c, crate::seal::Sealed::Plans, &[p.id]).await
}

/// The next free code for a plan of `item_code` in `year`: `<item code>-<year>-<nn>`, nn one
/// more than the highest taken. Call inside the write transaction that inserts the plan.
pub async fn next_code(c: &impl ConnectionTrait, item_code: &str, year: i32) -> Result<String> {
    let prefix = format!("{item_code}-{year}-");
    let rows = c
        .query_all_raw(stmt(
            c,
            "SELECT code FROM plans WHERE code >= $1 AND code < $2",
            vec![prefix.clone().into(), format!("{prefix}\u{10FFFF}").into()],
        ))
        .await?;
    let mut max = 0u32;
    for r in rows {
        let code: String = r.try_get("", "code")?;
        if let Some(n) = code
            .strip_prefix(&prefix)
            .and_then(|s| s.parse::<u32>().ok())
        {
            max = max.max(n);
        }
    }
    Ok(lianjian_domain::plan::plan_code(item_code, year, max + 1))
}

/// The order of a plan list.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum PlanSort {
    /// Newest year first, then by code.
    #[default]
    Year,
    Code,
    /// Earliest period start first.
    Period,
    /// Latest submission first (never submitted last).
    Submitted,
    /// Along the life cycle: drafts first.
    Status,
    /// Most recently changed first.
    Updated,
}

impl PlanSort {
    pub fn parse(s: &str) -> Option<PlanSort> {
        Some(match s.trim() {
            "" | "year" => PlanSort::Year,
            "code" => PlanSort::Code,
            "period" => PlanSort::Period,
            "submitted" => PlanSort::Submitted,
            "status" => PlanSort::Status,
            "updated" => PlanSort::Updated,
            _ => return None,
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            PlanSort::Year => "year",
            PlanSort::Code => "code",
            PlanSort::Period => "period",
            PlanSort::Submitted => "submitted",
            PlanSort::Status => "status",
            PlanSort::Updated => "updated",
        }
    }

    fn sql(self) -> String {
        match self {
            PlanSort::Year => "year DESC, code".into(),
            PlanSort::Code => "code".into(),
            PlanSort::Period => "period_start, code".into(),
            PlanSort::Submitted => {
                "CASE WHEN submitted_at IS NULL THEN 1 ELSE 0 END, submitted_at DESC, code".into()
            }
            PlanSort::Status => {
                let cases: Vec<String> = PlanStatus::ALL
                    .iter()
                    .enumerate()
                    .map(|(i, s)| format!("WHEN '{}' THEN {i}", s.as_str()))
                    .collect();
                format!("CASE status {} ELSE 99 END, code", cases.join(" "))
            }
            PlanSort::Updated => "updated_at DESC, code".into(),
        }
    }
}

#[derive(Debug, Clone, Default)]
pub struct PlanQuery {
    /// Fragment of the plan code or the item's name.
    pub q: Option<String>,
    pub year: Option<i32>,
    /// Any of these statuses (all if empty).
    pub statuses: Vec<PlanStatus>,
    pub item_id: Option<Uuid>,
    /// Plans this department leads or takes part in.
    pub department_id: Option<Uuid>,
    /// Only plans submitted late.
    pub late_only: bool,
    /// Only plans of this region subtree (narrows the scope).
    pub within: Option<RegionCode>,
    /// Only plans whose lead department belongs to exactly this region: the plans of one
    /// level, which its coordination office aggregates.
    pub lead_region: Option<String>,
    pub sort: PlanSort,
}

/// Plans apply downwards (a province plan covers its counties), and belong to the lines of the
/// departments that lead or take part in them.
const SHAPE: crate::scope::Shape = crate::scope::Shape {
    region: "region_code",
    ancestors_visible: true,
    line: crate::scope::Line::Through {
        id: "id",
        table: "plan_departments",
        key: "plan_id",
        department: "department_id",
    },
};

fn where_clause(scope: &Scope, q: &PlanQuery) -> (String, Vec<Value>) {
    let mut conds: Vec<String> = Vec::new();
    let mut vals: Vec<Value> = Vec::new();
    let scope = scope.clone().narrowed(q.within.as_ref(), None);
    conds.push(crate::scope::sql(&scope, &SHAPE, &mut vals));
    if let Some(t) = q.q.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
        vals.push(crate::contains_pattern(&t.to_ascii_uppercase()).into());
        vals.push(crate::contains_pattern(t).into());
        let n = vals.len();
        conds.push(format!(
            "(code LIKE ${}{e} OR item_id IN (SELECT id FROM items WHERE name LIKE ${n}{e} OR code LIKE ${}{e}))",
            n - 1,
            n - 1,
            e = crate::LIKE_ESCAPE,
        ));
    }
    if let Some(y) = q.year {
        vals.push(y.into());
        conds.push(format!("year = ${}", vals.len()));
    }
    if !q.statuses.is_empty() {
        let from = vals.len() + 1;
        for s in &q.statuses {
            vals.push(s.as_str().into());
        }
        conds.push(format!(
            "status IN ({})",
            placeholders(from, q.statuses.len())
        ));
    }
    if let Some(i) = q.item_id {
        vals.push(i.into());
        conds.push(format!("item_id = ${}", vals.len()));
    }
    if let Some(d) = q.department_id {
        vals.push(d.into());
        conds.push(format!(
            "id IN (SELECT plan_id FROM plan_departments WHERE department_id = ${})",
            vals.len()
        ));
    }
    if q.late_only {
        vals.push(true.into());
        conds.push(format!("late = ${}", vals.len()));
    }
    if let Some(r) = &q.lead_region {
        vals.push(r.clone().into());
        conds.push(format!(
            "id IN (SELECT pd.plan_id FROM plan_departments pd JOIN departments d ON d.id = pd.department_id WHERE pd.role = 'lead' AND d.region_code = ${})",
            vals.len()
        ));
    }
    let sql = if conds.is_empty() {
        "1=1".to_string()
    } else {
        conds.join(" AND ")
    };
    (sql, vals)
}

pub async fn list(
    c: &impl ConnectionTrait,
    scope: &Scope,
    q: &PlanQuery,
    page: PageRequest,
) -> Result<Page<Plan>> {
    let (where_sql, vals) = where_clause(scope, q);
    let total: i64 = c
        .query_one_raw(stmt(
            c,
            format!("SELECT COUNT(*) AS n FROM plans WHERE {where_sql}"),
            vals.clone(),
        ))
        .await?
        .map(|r| r.try_get("", "n"))
        .transpose()?
        .unwrap_or(0);
    let sql = format!(
        "SELECT {COLS} FROM plans WHERE {where_sql} ORDER BY {} LIMIT {} OFFSET {}",
        q.sort.sql(),
        page.per_page,
        page.offset()
    );
    Ok(Page {
        items: heads(c, sql, vals).await?,
        total: u64::try_from(total).unwrap_or(0),
        page: page.page,
        per_page: page.per_page,
    })
}

/// Every plan matching `q` (for the annual aggregation and its export), at most `limit`.
pub async fn all(
    c: &impl ConnectionTrait,
    scope: &Scope,
    q: &PlanQuery,
    limit: u64,
) -> Result<Vec<Plan>> {
    let (where_sql, vals) = where_clause(scope, q);
    heads(
        c,
        format!(
            "SELECT {COLS} FROM plans WHERE {where_sql} ORDER BY {} LIMIT {limit}",
            q.sort.sql()
        ),
        vals,
    )
    .await
}

/// How many plans matching `q` are in each status (statuses with none left out), in life-cycle
/// order, and how many of them were submitted late.
pub async fn counts_by_status(
    c: &impl ConnectionTrait,
    scope: &Scope,
    q: &PlanQuery,
) -> Result<(Vec<(PlanStatus, u64)>, u64)> {
    let (where_sql, vals) = where_clause(scope, q);
    let rows = c
        .query_all_raw(stmt(
            c,
            format!("SELECT status, COUNT(*) AS n, SUM(CASE WHEN late THEN 1 ELSE 0 END) AS late_n FROM plans WHERE {where_sql} GROUP BY status"),
            vals,
        ))
        .await?;
    let mut by: HashMap<PlanStatus, u64> = HashMap::new();
    let mut late = 0u64;
    for r in rows {
        let s: String = r.try_get("", "status")?;
        let n: i64 = r.try_get("", "n")?;
        let l: Option<i64> = r.try_get("", "late_n")?;
        by.insert(
            PlanStatus::parse(&s).map_err(corrupt)?,
            u64::try_from(n).unwrap_or(0),
        );
        late += l.and_then(|l| u64::try_from(l).ok()).unwrap_or(0);
    }
    Ok((
        PlanStatus::ALL
            .iter()
            .filter_map(|s| by.get(s).map(|n| (*s, *n)))
            .collect(),
        late,
    ))
}

/// Published plans (status exactly `published`) of `region`'s subtree whose period shares a
/// day with `from..=to`, by code: what a draw of that region and period may take.
pub async fn published_in_period(
    c: &impl ConnectionTrait,
    region: &RegionCode,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Vec<Plan>> {
    let r = region.as_str();
    heads(
        c,
        format!(
            "SELECT {COLS} FROM plans WHERE status = $1 AND region_code >= $2 AND region_code < $3 AND period_start <= $4 AND period_end >= $5 ORDER BY code"
        ),
        vec![
            PlanStatus::Published.as_str().into(),
            r.into(),
            format!("{r}\u{10FFFF}").into(),
            to.into(),
            from.into(),
        ],
    )
    .await
}

/// Sets the status of `ids` (unknown ids are skipped), stamping `updated_at` and, for
/// submitted, approved and published, the matching time. Returns how many rows changed.
/// The caller checks that each move is allowed and records it in the audit log.
pub async fn set_status_many(
    c: &impl ConnectionTrait,
    ids: &[Uuid],
    status: PlanStatus,
) -> Result<u64> {
    if ids.is_empty() {
        return Ok(0);
    }
    let now = crate::now();
    let stamp = match status {
        PlanStatus::Submitted => ", submitted_at = $2",
        PlanStatus::Approved => ", approved_at = $2",
        PlanStatus::Published => ", published_at = $2",
        _ => "",
    };
    let mut vals: Vec<Value> = vec![status.as_str().into(), now.into()];
    vals.extend(ids.iter().map(|i| Value::from(*i)));
    let r = c
        .execute_raw(stmt(
            c,
            format!(
                "UPDATE plans SET status = $1, updated_at = $2{stamp} WHERE id IN ({})",
                placeholders(3, ids.len())
            ),
            vals,
        ))
        .await?;
    crate::seal::seal_ids(c, crate::seal::Sealed::Plans, ids).await?;
    Ok(r.rows_affected())
}

/// Sets one plan's status (see [`set_status_many`]).
pub async fn set_status(c: &impl ConnectionTrait, id: Uuid, status: PlanStatus) -> Result<()> {
    match set_status_many(c, &[id], status).await? {
        0 => Err(StoreError::NotFound),
        _ => Ok(()),
    }
}

pub async fn count(c: &impl ConnectionTrait) -> Result<u64> {
    let r = c
        .query_one_raw(stmt(c, "SELECT COUNT(*) AS n FROM plans", Vec::new()))
        .await?;
    Ok(r.map(|r| r.try_get::<i64>("", "n"))
        .transpose()?
        .map_or(0, |n| u64::try_from(n).unwrap_or(0)))
}
