//! Compliance guides (一业一册): the explanatory sections written for an item's guide (each
//! edit a new version; the highest in force), departments' public contact details, and the
//! aggregates a guide reads from real records — the failed check points and result codes of
//! published visits, and the sampling ratios of the item's latest public plan.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use lianjian_domain::guide::SectionKind;
use lianjian_domain::item::Dimension;
use lianjian_domain::plan::{ClassRatios, PlanStatus, Ratio};
use lianjian_domain::visit::{ResultCode, VisitStatus};
use sea_orm::{ConnectionTrait, QueryResult, Statement, Value};
use serde::Serialize;
use uuid::Uuid;

use crate::{Result, StoreError, backend_of};

fn corrupt(what: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(what.to_string())
}

/// One version of an explanatory section.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Section {
    pub kind: SectionKind,
    pub version: i32,
    pub body: String,
    pub edited_by: String,
    pub edited_at: DateTime<Utc>,
}

fn section(r: &QueryResult) -> Result<Section> {
    Ok(Section {
        kind: SectionKind::parse(&r.try_get::<String>("", "kind")?).map_err(corrupt)?,
        version: r.try_get("", "version")?,
        body: r.try_get("", "body")?,
        edited_by: r.try_get("", "edited_by")?,
        edited_at: r.try_get("", "edited_at")?,
    })
}

/// Every version of every section of an item's guide, newest first.
pub async fn section_versions(c: &impl ConnectionTrait, item_id: Uuid) -> Result<Vec<Section>> {
    c.query_all_raw(Statement::from_sql_and_values(
        backend_of(c),
        "SELECT kind, version, body, edited_by, edited_at FROM guide_sections WHERE item_id = $1 ORDER BY edited_at DESC, version DESC",
        [item_id.into()],
    ))
    .await?
    .iter()
    .map(section)
    .collect()
}

/// The sections in force (the latest version of each kind).
pub async fn sections(c: &impl ConnectionTrait, item_id: Uuid) -> Result<Vec<Section>> {
    c.query_all_raw(Statement::from_sql_and_values(
        backend_of(c),
        "SELECT s.kind, s.version, s.body, s.edited_by, s.edited_at FROM guide_sections s \
         WHERE s.item_id = $1 AND s.version = (SELECT MAX(v.version) FROM guide_sections v WHERE v.item_id = s.item_id AND v.kind = s.kind)",
        [item_id.into()],
    ))
    .await?
    .iter()
    .map(section)
    .collect()
}

/// Adds the next version of a section; answers it. Two editors saving at once: the unique
/// (item, kind, version) index refuses the second (a conflict), never a lost edit.
pub async fn insert_section(
    c: &impl ConnectionTrait,
    item_id: Uuid,
    kind: SectionKind,
    body: &str,
    by: &str,
    at: DateTime<Utc>,
) -> Result<Section> {
    let b = backend_of(c);
    let version: i32 = c
        .query_one_raw(Statement::from_sql_and_values(
            b,
            "SELECT COALESCE(MAX(version), 0) AS v FROM guide_sections WHERE item_id = $1 AND kind = $2",
            [item_id.into(), kind.as_str().into()],
        ))
        .await?
        .map(|r| r.try_get::<i32>("", "v"))
        .transpose()?
        .unwrap_or(0)
        + 1;
    c.execute_raw(Statement::from_sql_and_values(
        b,
        "INSERT INTO guide_sections (id, item_id, kind, version, body, edited_by, edited_at) VALUES ($1,$2,$3,$4,$5,$6,$7)",
        [
            Uuid::now_v7().into(),
            item_id.into(),
            kind.as_str().into(),
            version.into(),
            body.into(),
            by.into(),
            at.into(),
        ],
    ))
    .await?;
    Ok(Section {
        kind,
        version,
        body: body.to_string(),
        edited_by: by.to_string(),
        edited_at: at,
    })
}

/// A department's public contact details (办事电话、地址、时间).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Default)]
pub struct Contact {
    pub phone: String,
    pub address: String,
    pub hours: String,
}

pub async fn contacts(
    c: &impl ConnectionTrait,
    department_ids: &[Uuid],
) -> Result<HashMap<Uuid, Contact>> {
    if department_ids.is_empty() {
        return Ok(HashMap::new());
    }
    let marks: Vec<String> = (1..=department_ids.len())
        .map(|i| format!("${i}"))
        .collect();
    let sql = format!(
        "SELECT department_id, phone, address, hours FROM department_contacts WHERE department_id IN ({})",
        marks.join(",")
    );
    let vals: Vec<Value> = department_ids.iter().map(|d| (*d).into()).collect();
    c.query_all_raw(Statement::from_sql_and_values(backend_of(c), sql, vals))
        .await?
        .iter()
        .map(|r| {
            Ok((
                r.try_get("", "department_id")?,
                Contact {
                    phone: r.try_get("", "phone")?,
                    address: r.try_get("", "address")?,
                    hours: r.try_get("", "hours")?,
                },
            ))
        })
        .collect()
}

pub async fn set_contact(
    c: &impl ConnectionTrait,
    department_id: Uuid,
    contact: &Contact,
    by: &str,
    at: DateTime<Utc>,
) -> Result<()> {
    c.execute_raw(Statement::from_sql_and_values(
        backend_of(c),
        "INSERT INTO department_contacts (department_id, phone, address, hours, updated_by, updated_at) VALUES ($1,$2,$3,$4,$5,$6) \
         ON CONFLICT (department_id) DO UPDATE SET phone = excluded.phone, address = excluded.address, hours = excluded.hours, \
         updated_by = excluded.updated_by, updated_at = excluded.updated_at",
        [
            department_id.into(),
            contact.phone.clone().into(),
            contact.address.clone().into(),
            contact.hours.clone().into(),
            by.into(),
            at.into(),
        ],
    ))
    .await?;
    Ok(())
}

/// A check point found failing, with how often.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Problem {
    pub dimension: Dimension,
    pub content: String,
    pub legal_basis: String,
    pub count: i64,
}

/// Visits whose results are public (published, or closed after publication).
fn public_visit_statuses() -> String {
    [VisitStatus::Published, VisitStatus::Closed]
        .iter()
        .map(|s| format!("'{}'", s.as_str()))
        .collect::<Vec<_>>()
        .join(",")
}

/// The item's check points most often answered 不符合 since `since`, on visits whose results
/// are published (what is public is counted; drafts and returned results are not), at most
/// `limit`, the most frequent first.
pub async fn top_problems(
    c: &impl ConnectionTrait,
    item_id: Uuid,
    since: DateTime<Utc>,
    limit: u32,
) -> Result<Vec<Problem>> {
    let sql = format!(
        "SELECT k.dimension, k.content, k.legal_basis, COUNT(*) AS n \
         FROM visit_checklist k \
         JOIN visit_answers a ON a.visit_id = k.visit_id AND a.seq = k.seq \
         JOIN visits v ON v.id = k.visit_id \
         WHERE k.item_id = $1 AND a.answer = 'fail' AND a.recorded_at >= $2 AND v.status IN ({}) \
         GROUP BY k.dimension, k.content, k.legal_basis \
         ORDER BY n DESC, k.content LIMIT {limit}",
        public_visit_statuses()
    );
    c.query_all_raw(Statement::from_sql_and_values(
        backend_of(c),
        sql,
        [item_id.into(), since.into()],
    ))
    .await?
    .iter()
    .map(|r| {
        Ok(Problem {
            dimension: Dimension::parse(&r.try_get::<String>("", "dimension")?).map_err(corrupt)?,
            content: r.try_get("", "content")?,
            legal_basis: r.try_get("", "legal_basis")?,
            count: r.try_get("", "n")?,
        })
    })
    .collect()
}

/// How the item's published results since `since` are distributed over the result codes,
/// the most frequent first.
pub async fn result_counts(
    c: &impl ConnectionTrait,
    item_id: Uuid,
    since: DateTime<Utc>,
) -> Result<Vec<(ResultCode, i64)>> {
    let sql = format!(
        "SELECT r.result_code, COUNT(*) AS n FROM visit_results r JOIN visits v ON v.id = r.visit_id \
         WHERE r.item_id = $1 AND r.result_code IS NOT NULL AND r.updated_at >= $2 AND v.status IN ({}) \
         GROUP BY r.result_code ORDER BY n DESC, r.result_code",
        public_visit_statuses()
    );
    c.query_all_raw(Statement::from_sql_and_values(
        backend_of(c),
        sql,
        [item_id.into(), since.into()],
    ))
    .await?
    .iter()
    .map(|r| {
        Ok((
            ResultCode::parse(&r.try_get::<String>("", "result_code")?).map_err(corrupt)?,
            r.try_get("", "n")?,
        ))
    })
    .collect()
}

/// The sampling ratios by credit class of the item's latest public plan (公布 or later):
/// (plan code, year, ratios).
pub async fn public_plan_ratios(
    c: &impl ConnectionTrait,
    item_id: Uuid,
) -> Result<Option<(String, i32, ClassRatios)>> {
    let statuses = PlanStatus::PUBLIC
        .iter()
        .map(|s| format!("'{}'", s.as_str()))
        .collect::<Vec<_>>()
        .join(",");
    let sql = format!(
        "SELECT code, year, ratio_a, ratio_b, ratio_c, ratio_d, ratio_ungraded FROM plans \
         WHERE item_id = $1 AND status IN ({statuses}) ORDER BY year DESC, published_at DESC LIMIT 1"
    );
    let Some(r) = c
        .query_one_raw(Statement::from_sql_and_values(
            backend_of(c),
            sql,
            [item_id.into()],
        ))
        .await?
    else {
        return Ok(None);
    };
    let ratio = |col: &str| -> Result<Ratio> {
        let v: i32 = r.try_get("", col)?;
        u16::try_from(v)
            .ok()
            .and_then(Ratio::from_per_mille)
            .ok_or_else(|| corrupt(format!("{col} = {v}")))
    };
    Ok(Some((
        r.try_get("", "code")?,
        r.try_get("", "year")?,
        ClassRatios {
            a: ratio("ratio_a")?,
            b: ratio("ratio_b")?,
            c: ratio("ratio_c")?,
            d: ratio("ratio_d")?,
            ungraded: ratio("ratio_ungraded")?,
        },
    )))
}
