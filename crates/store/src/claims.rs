//! 双告知 claims: a new or changed entity is offered to its competent departments, each of which
//! accepts or rejects it; what nobody accepts goes to the coordination office (舞阳 (二)).

use chrono::{DateTime, Utc};
use lianjian_domain::region::RegionCode;
use sea_orm::{ConnectionTrait, Statement, Value};
use serde::Serialize;
use uuid::Uuid;

use crate::{Page, PageRequest, Result, StoreError, backend_of};

pub use lianjian_domain::claim::{ClaimSource, ClaimStatus};

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Claim {
    pub id: Uuid,
    pub entity_id: Uuid,
    pub region_code: RegionCode,
    pub department_id: Option<Uuid>,
    pub status: ClaimStatus,
    /// Why the department was asked (the rule or tag that matched).
    pub matched_by: String,
    pub reason: Option<String>,
    pub created_at: DateTime<Utc>,
    pub decided_at: Option<DateTime<Utc>>,
    pub decided_by: Option<String>,
    /// What the claim offers: the entity itself (双告知) or an approval result about it
    /// (审管衔接, `source_id` = the licence event).
    pub source: ClaimSource,
    pub source_id: Option<Uuid>,
}

impl Claim {
    /// The claim that takes what `self` offers to the coordination office (no department,
    /// escalated), because `why`: every department rejected it, or its deadline passed.
    pub fn escalation(&self, why: String, at: DateTime<Utc>) -> Claim {
        Claim {
            id: Uuid::now_v7(),
            entity_id: self.entity_id,
            region_code: self.region_code.clone(),
            department_id: None,
            status: ClaimStatus::Escalated,
            matched_by: why,
            reason: None,
            created_at: at,
            decided_at: None,
            decided_by: None,
            source: self.source,
            source_id: self.source_id,
        }
    }
}

const COLS: &str = "id, entity_id, region_code, department_id, status, matched_by, reason, created_at, decided_at, decided_by, source_kind, source_id";

fn from_row(r: &sea_orm::QueryResult) -> Result<Claim> {
    let region: String = r.try_get("", "region_code")?;
    Ok(Claim {
        id: r.try_get("", "id")?,
        entity_id: r.try_get("", "entity_id")?,
        region_code: RegionCode::parse(&region).map_err(|e| StoreError::Corrupt(e.to_string()))?,
        department_id: r.try_get("", "department_id")?,
        status: crate::coded(r, "status", ClaimStatus::parse)?,
        matched_by: r.try_get("", "matched_by")?,
        reason: r.try_get("", "reason")?,
        created_at: r.try_get("", "created_at")?,
        decided_at: r.try_get("", "decided_at")?,
        decided_by: r.try_get("", "decided_by")?,
        source: crate::coded(r, "source_kind", ClaimSource::parse)?,
        source_id: r.try_get("", "source_id")?,
    })
}

pub async fn insert(c: &impl ConnectionTrait, cl: &Claim) -> Result<()> {
    let ph: Vec<String> = (1..=12).map(|i| format!("${i}")).collect();
    c.execute_raw(Statement::from_sql_and_values(
        backend_of(c),
        format!("INSERT INTO claims ({COLS}) VALUES ({})", ph.join(",")),
        [
            cl.id.into(),
            cl.entity_id.into(),
            cl.region_code.to_string().into(),
            cl.department_id.into(),
            cl.status.as_str().into(),
            cl.matched_by.clone().into(),
            cl.reason.clone().into(),
            cl.created_at.into(),
            cl.decided_at.into(),
            cl.decided_by.clone().into(),
            cl.source.as_str().into(),
            cl.source_id.into(),
        ],
    ))
    .await?;
    Ok(())
}

pub async fn decide(
    c: &impl ConnectionTrait,
    id: Uuid,
    status: ClaimStatus,
    reason: Option<&str>,
    by: &str,
    at: DateTime<Utc>,
    department_id: Option<Uuid>,
) -> Result<()> {
    let r = c
        .execute_raw(Statement::from_sql_and_values(
            backend_of(c),
            "UPDATE claims SET status = $2, reason = $3, decided_by = $4, decided_at = $5, department_id = COALESCE($6, department_id) WHERE id = $1",
            [id.into(), status.as_str().into(), reason.map(str::to_string).into(), by.into(), at.into(), department_id.into()],
        ))
        .await?;
    if r.rows_affected() == 0 {
        return Err(StoreError::NotFound);
    }
    Ok(())
}

/// Deletes every claim of these entities (undoing an import job that created the entities
/// and, with them, their 双告知 claims).
pub async fn delete_of_entities(c: &impl ConnectionTrait, ids: &[Uuid]) -> Result<u64> {
    let mut n = 0;
    for chunk in ids.chunks(500) {
        let r = c
            .execute_raw(sea_orm::Statement::from_sql_and_values(
                c.get_database_backend(),
                format!(
                    "DELETE FROM claims WHERE entity_id IN ({})",
                    crate::placeholders(1, chunk.len())
                ),
                chunk
                    .iter()
                    .map(|u| sea_orm::Value::from(*u))
                    .collect::<Vec<_>>(),
            ))
            .await?;
        n += r.rows_affected();
    }
    Ok(n)
}

pub async fn get(c: &impl ConnectionTrait, id: Uuid) -> Result<Option<Claim>> {
    c.query_one_raw(Statement::from_sql_and_values(
        backend_of(c),
        format!("SELECT {COLS} FROM claims WHERE id = $1"),
        [id.into()],
    ))
    .await?
    .as_ref()
    .map(from_row)
    .transpose()
}

/// The claims offering one thing (an entity's 双告知 claims have no `source_id`; use
/// [`of_entity`] for them), oldest first.
pub async fn of_source(
    c: &impl ConnectionTrait,
    source: ClaimSource,
    source_id: Uuid,
) -> Result<Vec<Claim>> {
    c.query_all_raw(Statement::from_sql_and_values(
        backend_of(c),
        format!("SELECT {COLS} FROM claims WHERE source_kind = $1 AND source_id = $2 ORDER BY created_at"),
        [source.as_str().into(), source_id.into()],
    ))
    .await?
    .iter()
    .map(from_row)
    .collect()
}

/// An entity's 双告知 claims (hand-overs about it: [`of_source`]).
pub async fn of_entity(c: &impl ConnectionTrait, entity_id: Uuid) -> Result<Vec<Claim>> {
    c.query_all_raw(Statement::from_sql_and_values(
        backend_of(c),
        format!("SELECT {COLS} FROM claims WHERE entity_id = $1 AND source_kind = 'entity' ORDER BY created_at"),
        [entity_id.into()],
    ))
    .await?
    .iter()
    .map(from_row)
    .collect()
}

/// A queue within `scope`: a department's claims (`department_id` set) or the coordination
/// office's escalations (`department_id` none). Claims are scoped by their region only: the
/// department a claim is addressed to is what the queue selects.
pub async fn queue(
    c: &impl ConnectionTrait,
    scope: &lianjian_domain::scope::Scope,
    department_id: Option<Uuid>,
    status: ClaimStatus,
    page: PageRequest,
) -> Result<Page<Claim>> {
    let mut conds = vec!["status = $1".to_string()];
    let mut vals: Vec<Value> = vec![status.as_str().into()];
    if let Some(d) = department_id {
        vals.push(d.into());
        conds.push(format!("department_id = ${}", vals.len()));
    }
    conds.push(crate::scope::sql(
        scope,
        &crate::scope::Shape::shared("region_code"),
        &mut vals,
    ));
    crate::paged(
        c,
        "claims",
        COLS,
        &conds.join(" AND "),
        "created_at",
        vals,
        page,
        from_row,
    )
    .await
}
