//! Credit entries (信用记录, issue 15): penalties, listings, sanctions and commendations per
//! entity (`credit_entries`; published inspection results stay in `credit_records`, written by
//! visits). Shared by every line like the directory: scope is the entity's region.

use chrono::{DateTime, NaiveDate, Utc};
use lianjian_domain::credit::{
    CreditRecord, Publication, RecordDetail, RecordKind, RecordSource, RecordStatus, Tier,
};
use lianjian_domain::region::RegionCode;
use lianjian_domain::scope::Scope;
use sea_orm::{ConnectionTrait, Value};
use serde::Serialize;
use uuid::Uuid;

use crate::scope::Shape;
use crate::seal::{Sealed, seal_ids};
use crate::{Page, PageRequest, Result, StoreError, stmt};

const SHAPE: Shape = Shape::shared("credit_entries.region_code");

/// One stored entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Entry {
    pub id: Uuid,
    pub entity_id: Uuid,
    #[schema(value_type = String)]
    pub region_code: RegionCode,
    pub department_id: Option<Uuid>,
    pub kind: RecordKind,
    pub tier: Option<Tier>,
    pub occurred_on: NaiveDate,
    /// 决定书文号 / 列入文号.
    pub reference: Option<String>,
    /// 违法行为 / 列入原因 / 措施 / 表彰事由.
    pub title: String,
    pub legal_basis: Option<String>,
    pub detail: RecordDetail,
    pub source: RecordSource,
    pub publication: Publication,
    pub status: RecordStatus,
    pub ended_on: Option<NaiveDate>,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl Entry {
    /// The entry as the domain's rules see it.
    pub fn record(&self) -> CreditRecord {
        CreditRecord {
            kind: self.kind,
            tier: self.tier,
            occurred_on: self.occurred_on,
            status: self.status,
            publication: self.publication,
        }
    }

    /// Whether an import or a push would change nothing.
    pub fn same_content(&self, o: &Entry) -> bool {
        (
            self.entity_id,
            self.department_id,
            self.kind,
            self.tier,
            self.occurred_on,
            &self.reference,
            &self.title,
            &self.legal_basis,
            &self.detail,
            self.publication,
            self.status,
            self.ended_on,
        ) == (
            o.entity_id,
            o.department_id,
            o.kind,
            o.tier,
            o.occurred_on,
            &o.reference,
            &o.title,
            &o.legal_basis,
            &o.detail,
            o.publication,
            o.status,
            o.ended_on,
        )
    }
}

const COLS: &str = "credit_entries.id, credit_entries.entity_id, credit_entries.region_code, \
    credit_entries.department_id, credit_entries.kind, credit_entries.tier, \
    credit_entries.occurred_on, credit_entries.reference, credit_entries.title, \
    credit_entries.legal_basis, credit_entries.detail, credit_entries.source, \
    credit_entries.published, credit_entries.repair_from, credit_entries.publish_until, \
    credit_entries.status, credit_entries.ended_on, credit_entries.created_by, \
    credit_entries.created_at, credit_entries.updated_at";

fn from_row(r: &sea_orm::QueryResult) -> Result<Entry> {
    let region: String = r.try_get("", "region_code")?;
    let detail: String = r.try_get("", "detail")?;
    Ok(Entry {
        id: r.try_get("", "id")?,
        entity_id: r.try_get("", "entity_id")?,
        region_code: RegionCode::parse(&region)
            .map_err(|e| StoreError::Corrupt(format!("region_code: {}", e.en)))?,
        department_id: r.try_get("", "department_id")?,
        kind: crate::coded(r, "kind", RecordKind::parse)?,
        tier: crate::coded_opt(r, "tier", Tier::parse)?,
        occurred_on: r.try_get("", "occurred_on")?,
        reference: r.try_get("", "reference")?,
        title: r.try_get("", "title")?,
        legal_basis: r.try_get("", "legal_basis")?,
        detail: serde_json::from_str(&detail)
            .map_err(|e| StoreError::Corrupt(format!("credit_entries.detail: {e}")))?,
        source: crate::coded(r, "source", RecordSource::parse)?,
        publication: Publication {
            published: r.try_get("", "published")?,
            repair_from: r.try_get("", "repair_from")?,
            until: r.try_get("", "publish_until")?,
        },
        status: crate::coded(r, "status", RecordStatus::parse)?,
        ended_on: r.try_get("", "ended_on")?,
        created_by: r.try_get("", "created_by")?,
        created_at: r.try_get("", "created_at")?,
        updated_at: r.try_get("", "updated_at")?,
    })
}

fn values(e: &Entry) -> Vec<Value> {
    vec![
        e.id.into(),
        e.entity_id.into(),
        e.region_code.to_string().into(),
        e.department_id.into(),
        e.kind.as_str().into(),
        e.tier.map(Tier::as_str).into(),
        e.occurred_on.into(),
        e.reference.clone().into(),
        e.title.clone().into(),
        e.legal_basis.clone().into(),
        serde_json::to_string(&e.detail)
            .expect("details serialize")
            .into(),
        e.source.as_str().into(),
        e.publication.published.into(),
        e.publication.repair_from.into(),
        e.publication.until.into(),
        e.status.as_str().into(),
        e.ended_on.into(),
        e.created_by.clone().into(),
        e.created_at.into(),
        e.updated_at.into(),
    ]
}

/// Inserts entries (sealed in the same transaction).
pub async fn insert_many(c: &impl ConnectionTrait, entries: &[Entry]) -> Result<()> {
    let cols = COLS.replace("credit_entries.", "");
    for chunk in entries.chunks(40) {
        let mut vals = Vec::with_capacity(chunk.len() * 20);
        let rows: Vec<String> = chunk
            .iter()
            .map(|e| {
                let from = vals.len() + 1;
                vals.extend(values(e));
                format!("({})", crate::placeholders(from, 20))
            })
            .collect();
        c.execute_raw(stmt(
            c,
            format!(
                "INSERT INTO credit_entries ({cols}) VALUES {}",
                rows.join(",")
            ),
            vals,
        ))
        .await
        .map_err(|e| match StoreError::from(e) {
            StoreError::Conflict(_) => StoreError::Conflict(
                "an entry of this kind with this reference already exists".into(),
            ),
            other => other,
        })?;
    }
    let ids: Vec<Uuid> = entries.iter().map(|e| e.id).collect();
    seal_ids(c, Sealed::CreditEntries, &ids).await
}

/// Writes every column of `e` over its row (sealed).
pub async fn update(c: &impl ConnectionTrait, e: &Entry) -> Result<()> {
    let sets: Vec<String> = COLS
        .replace("credit_entries.", "")
        .split(", ")
        .enumerate()
        .skip(1)
        .map(|(i, col)| format!("{} = ${}", col.trim(), i + 1))
        .collect();
    let r = c
        .execute_raw(stmt(
            c,
            format!(
                "UPDATE credit_entries SET {} WHERE id = $1",
                sets.join(", ")
            ),
            values(e),
        ))
        .await?;
    if r.rows_affected() == 0 {
        return Err(StoreError::NotFound);
    }
    seal_ids(c, Sealed::CreditEntries, &[e.id]).await
}

/// Moves an entry's status when it still is `from` (compare-and-set: two racing decisions
/// cannot both apply). False when it had moved.
pub async fn set_status(
    c: &impl ConnectionTrait,
    id: Uuid,
    from: RecordStatus,
    to: RecordStatus,
    ended_on: Option<NaiveDate>,
    at: DateTime<Utc>,
) -> Result<bool> {
    let r = c
        .execute_raw(stmt(
            c,
            "UPDATE credit_entries SET status = $3, ended_on = $4, updated_at = $5 \
             WHERE id = $1 AND status = $2",
            vec![
                id.into(),
                from.as_str().into(),
                to.as_str().into(),
                ended_on.into(),
                at.into(),
            ],
        ))
        .await?;
    if r.rows_affected() == 0 {
        return Ok(false);
    }
    seal_ids(c, Sealed::CreditEntries, &[id]).await?;
    Ok(true)
}

/// One entry within `scope`.
pub async fn get(c: &impl ConnectionTrait, scope: &Scope, id: Uuid) -> Result<Option<Entry>> {
    let mut vals: Vec<Value> = vec![id.into()];
    let w = crate::scope::sql(scope, &SHAPE, &mut vals);
    c.query_one_raw(stmt(
        c,
        format!("SELECT {COLS} FROM credit_entries WHERE credit_entries.id = $1 AND {w}"),
        vals,
    ))
    .await?
    .map(|r| from_row(&r))
    .transpose()
}

/// Existing entries of `kind` by reference (the import's and the API's upsert key).
pub async fn by_references(
    c: &impl ConnectionTrait,
    kind: RecordKind,
    references: &[String],
) -> Result<std::collections::HashMap<String, Entry>> {
    let mut out = std::collections::HashMap::new();
    for chunk in references.chunks(500) {
        let mut vals: Vec<Value> = vec![kind.as_str().into()];
        vals.extend(chunk.iter().map(|r| Value::from(r.clone())));
        let rows = c
            .query_all_raw(stmt(
                c,
                format!(
                    "SELECT {COLS} FROM credit_entries WHERE kind = $1 AND reference IN ({})",
                    crate::placeholders(2, chunk.len())
                ),
                vals,
            ))
            .await?;
        for r in &rows {
            let e = from_row(r)?;
            if let Some(k) = e.reference.clone() {
                out.insert(k, e);
            }
        }
    }
    Ok(out)
}

/// Every entry of one entity within `scope`, newest first.
pub async fn of_entity(
    c: &impl ConnectionTrait,
    scope: &Scope,
    entity_id: Uuid,
) -> Result<Vec<Entry>> {
    let mut vals: Vec<Value> = vec![entity_id.into()];
    let w = crate::scope::sql(scope, &SHAPE, &mut vals);
    c.query_all_raw(stmt(
        c,
        format!(
            "SELECT {COLS} FROM credit_entries WHERE entity_id = $1 AND {w} \
             ORDER BY occurred_on DESC, created_at DESC"
        ),
        vals,
    ))
    .await?
    .iter()
    .map(from_row)
    .collect()
}

/// What the public may read of one entity on `today`: the candidates by SQL, then the
/// domain's one rule ([`CreditRecord::is_public_on`]).
pub async fn public_of_entity(
    c: &impl ConnectionTrait,
    entity_id: Uuid,
    today: NaiveDate,
) -> Result<Vec<Entry>> {
    let rows = c
        .query_all_raw(stmt(
            c,
            format!(
                "SELECT {COLS} FROM credit_entries WHERE entity_id = $1 AND published = $2 \
                 AND status = 'active' AND occurred_on <= $3 AND publish_until >= $3 \
                 AND kind IN ('penalty', 'abnormal', 'dishonest') \
                 ORDER BY occurred_on DESC, created_at DESC"
            ),
            vec![entity_id.into(), true.into(), today.into()],
        ))
        .await?;
    let mut out = Vec::new();
    for r in &rows {
        let e = from_row(r)?;
        if e.record().is_public_on(today) {
            out.push(e);
        }
    }
    Ok(out)
}

/// Filters of the entry list.
#[derive(Debug, Clone, Default)]
pub struct EntryQuery {
    pub kind: Option<RecordKind>,
    pub status: Option<RecordStatus>,
    pub department_id: Option<Uuid>,
    pub entity_id: Option<Uuid>,
    /// A fragment of the reference or the title.
    pub q: Option<String>,
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
}

/// A page of entries within `scope`, newest first.
pub async fn list(
    c: &impl ConnectionTrait,
    scope: &Scope,
    q: &EntryQuery,
    page: PageRequest,
) -> Result<Page<Entry>> {
    let mut vals: Vec<Value> = Vec::new();
    let mut conds = vec![crate::scope::sql(scope, &SHAPE, &mut vals)];
    let mut add = |cond: &str, v: Value, vals: &mut Vec<Value>| {
        vals.push(v);
        conds.push(cond.replace('?', &format!("${}", vals.len())));
    };
    if let Some(k) = q.kind {
        add("kind = ?", k.as_str().into(), &mut vals);
    }
    if let Some(s) = q.status {
        add("status = ?", s.as_str().into(), &mut vals);
    }
    if let Some(d) = q.department_id {
        add("department_id = ?", d.into(), &mut vals);
    }
    if let Some(e) = q.entity_id {
        add("entity_id = ?", e.into(), &mut vals);
    }
    if let Some(f) = q.from {
        add("occurred_on >= ?", f.into(), &mut vals);
    }
    if let Some(t) = q.to {
        add("occurred_on <= ?", t.into(), &mut vals);
    }
    if let Some(text) = q.q.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
        let p = crate::contains_pattern(text);
        vals.push(p.into());
        let n = vals.len();
        let e = crate::LIKE_ESCAPE;
        conds.push(format!("(reference LIKE ${n}{e} OR title LIKE ${n}{e})"));
    }
    crate::paged(
        c,
        "credit_entries",
        COLS,
        &conds.join(" AND "),
        "occurred_on DESC, id",
        vals,
        page,
        from_row,
    )
    .await
}
