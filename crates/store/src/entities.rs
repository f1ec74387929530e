//! The regulated-object directory (监管对象名录库): entities, licences, tags, and search.
//! Tag expressions compile to SQL here and nowhere else.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, Utc};
use lianjian_domain::directory::{
    CreditClass, EntityType, Licence, RegStatus, name_grams, query_grams,
};
use lianjian_domain::region::RegionCode;
use lianjian_domain::tag::TagSource;
use lianjian_domain::tag_expr::TagExpr;
use sea_orm::sea_query::{Alias, Cond, Expr, ExprTrait, Order, Query, SelectStatement, SimpleExpr};
use sea_orm::{ConnectionTrait, DbBackend, Statement, Value};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::{Page, PageRequest, Result, StoreError, backend_of};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entity {
    pub id: Uuid,
    pub usci: String,
    pub name: String,
    pub entity_type: EntityType,
    pub legal_rep: Option<String>,
    pub address: Option<String>,
    pub region_code: RegionCode,
    pub industry_code: Option<String>,
    pub reg_status: RegStatus,
    pub business_scope: Option<String>,
    pub credit_class: Option<CreditClass>,
    pub credit_date: Option<NaiveDate>,
    pub credit_source: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl Entity {
    /// Whether two records say the same thing (ignoring ids and times): an import that
    /// changes nothing writes nothing.
    pub fn same_content(&self, o: &Entity) -> bool {
        (
            &self.usci,
            &self.name,
            self.entity_type,
            &self.legal_rep,
            &self.address,
            &self.region_code,
            &self.industry_code,
        ) == (
            &o.usci,
            &o.name,
            o.entity_type,
            &o.legal_rep,
            &o.address,
            &o.region_code,
            &o.industry_code,
        ) && (
            self.reg_status,
            &self.business_scope,
            self.credit_class,
            self.credit_date,
            &self.credit_source,
        ) == (
            o.reg_status,
            &o.business_scope,
            o.credit_class,
            o.credit_date,
            &o.credit_source,
        )
    }
}

const COLUMNS: &str = "id, usci, name, entity_type, legal_rep, address, region_code, industry_code, reg_status, business_scope, credit_class, credit_date, credit_source, created_at, updated_at";

fn nonneg(n: i64) -> u64 {
    u64::try_from(n).unwrap_or(0)
}

fn from_row(r: &sea_orm::QueryResult) -> Result<Entity> {
    let corrupt = |e: lianjian_domain::Invalid| StoreError::Corrupt(e.to_string());
    let credit: Option<String> = r.try_get("", "credit_class")?;
    Ok(Entity {
        id: r.try_get("", "id")?,
        usci: r.try_get("", "usci")?,
        name: r.try_get("", "name")?,
        entity_type: EntityType::parse(&r.try_get::<String>("", "entity_type")?)
            .map_err(corrupt)?,
        legal_rep: r.try_get("", "legal_rep")?,
        address: r.try_get("", "address")?,
        region_code: RegionCode::parse(&r.try_get::<String>("", "region_code")?)
            .map_err(corrupt)?,
        industry_code: r.try_get("", "industry_code")?,
        reg_status: RegStatus::parse(&r.try_get::<String>("", "reg_status")?).map_err(corrupt)?,
        business_scope: r.try_get("", "business_scope")?,
        credit_class: credit
            .as_deref()
            .map(CreditClass::parse)
            .transpose()
            .map_err(corrupt)?,
        credit_date: r.try_get("", "credit_date")?,
        credit_source: r.try_get("", "credit_source")?,
        created_at: r.try_get("", "created_at")?,
        updated_at: r.try_get("", "updated_at")?,
    })
}

fn values(e: &Entity) -> Vec<Value> {
    vec![
        e.id.into(),
        e.usci.clone().into(),
        e.name.clone().into(),
        e.entity_type.as_str().into(),
        e.legal_rep.clone().into(),
        e.address.clone().into(),
        e.region_code.to_string().into(),
        e.industry_code.clone().into(),
        e.reg_status.as_str().into(),
        e.business_scope.clone().into(),
        e.credit_class.map(|c| c.as_str().to_string()).into(),
        e.credit_date.into(),
        e.credit_source.clone().into(),
        e.created_at.into(),
        e.updated_at.into(),
        name_grams(&e.name).into(),
    ]
}

/// Placeholder number `n` (1-based) of a multi-row statement: `$n` on PostgreSQL, `?` on
/// SQLite, where binding a `$n` looks its name up in a list of every parameter (quadratic in
/// the parameters of a statement: most of the time of a bulk insert).
fn placeholder(b: DbBackend, n: usize) -> String {
    if b == DbBackend::Postgres {
        format!("${n}")
    } else {
        "?".into()
    }
}

/// Inserts many entities with multi-row statements (the import path).
pub async fn insert_many(c: &impl ConnectionTrait, rows: &[Entity]) -> Result<()> {
    const PER: usize = 60; // 16 columns × 60 rows stays under every bind limit
    let b = backend_of(c);
    for chunk in rows.chunks(PER) {
        let mut sql = format!("INSERT INTO entities ({COLUMNS}, name_grams) VALUES ");
        let mut vals = Vec::with_capacity(chunk.len() * 16);
        for (i, e) in chunk.iter().enumerate() {
            if i > 0 {
                sql.push(',');
            }
            sql.push('(');
            for j in 0..16 {
                if j > 0 {
                    sql.push(',');
                }
                sql.push_str(&placeholder(b, i * 16 + j + 1));
            }
            sql.push(')');
            vals.extend(values(e));
        }
        c.execute_raw(Statement::from_sql_and_values(b, sql, vals))
            .await
            .map_err(|e| match StoreError::from(e) {
                StoreError::Conflict(m) => {
                    StoreError::Conflict(format!("credit code already in the directory: {m}"))
                }
                other => other,
            })?;
    }
    let ids: Vec<Uuid> = rows.iter().map(|e| e.id).collect();
    crate::seal::seal_ids(c, crate::seal::Sealed::Entities, &ids).await
}

pub async fn update(c: &impl ConnectionTrait, e: &Entity) -> Result<()> {
    let sql = "UPDATE entities SET usci=$2, name=$3, entity_type=$4, legal_rep=$5, address=$6, region_code=$7, industry_code=$8, \
               reg_status=$9, business_scope=$10, credit_class=$11, credit_date=$12, credit_source=$13, updated_at=$15, name_grams=$16 WHERE id=$1";
    let mut v = values(e);
    v.remove(13); // created_at is not updated; placeholders keep their numbers below
    let sql = sql.replace("$15", "$14").replace("$16", "$15");
    let r = c
        .execute_raw(Statement::from_sql_and_values(backend_of(c), sql, v))
        .await?;
    if r.rows_affected() == 0 {
        return Err(StoreError::NotFound);
    }
    crate::seal::seal_ids(c, crate::seal::Sealed::Entities, &[e.id]).await
}

/// Deletes entities with their licences and tags (undoing an import job that inserted them;
/// `crates/services/src/exchange/jobs.rs`), and seals them as deleted.
pub async fn delete_many(c: &impl ConnectionTrait, ids: &[Uuid]) -> Result<()> {
    for chunk in ids.chunks(500) {
        let ph = crate::placeholders(1, chunk.len());
        let vals: Vec<Value> = chunk.iter().map(|u| Value::from(*u)).collect();
        for table in ["entity_tags", "entity_licences"] {
            c.execute_raw(Statement::from_sql_and_values(
                backend_of(c),
                format!("DELETE FROM {table} WHERE entity_id IN ({ph})"),
                vals.clone(),
            ))
            .await?;
        }
        c.execute_raw(Statement::from_sql_and_values(
            backend_of(c),
            format!("DELETE FROM entities WHERE id IN ({ph})"),
            vals,
        ))
        .await?;
    }
    crate::seal::seal_ids(c, crate::seal::Sealed::Entities, ids).await
}

async fn select(
    c: &impl ConnectionTrait,
    where_sql: &str,
    vals: Vec<Value>,
) -> Result<Vec<Entity>> {
    let sql = format!("SELECT {COLUMNS} FROM entities WHERE {where_sql}");
    c.query_all_raw(Statement::from_sql_and_values(backend_of(c), sql, vals))
        .await?
        .iter()
        .map(from_row)
        .collect()
}

pub async fn get(c: &impl ConnectionTrait, id: Uuid) -> Result<Option<Entity>> {
    Ok(select(c, "id = $1", vec![id.into()])
        .await?
        .into_iter()
        .next())
}

/// The entity only if `scope` permits it (the directory is shared by every line: the region
/// decides); callers cannot tell "absent" from "not yours".
pub async fn get_scoped(
    c: &impl ConnectionTrait,
    scope: &lianjian_domain::scope::Scope,
    id: Uuid,
) -> Result<Option<Entity>> {
    let mut vals: Vec<Value> = vec![id.into()];
    let w = crate::scope::sql(
        scope,
        &crate::scope::Shape::shared("region_code"),
        &mut vals,
    );
    Ok(select(c, &format!("id = $1 AND {w}"), vals)
        .await?
        .into_iter()
        .next())
}

/// Entities by id, in the order asked (ids not found are left out).
pub async fn get_many(c: &impl ConnectionTrait, ids: &[Uuid]) -> Result<Vec<Entity>> {
    let mut by_id: HashMap<Uuid, Entity> = HashMap::with_capacity(ids.len());
    for chunk in ids.chunks(500) {
        let ph: Vec<String> = (1..=chunk.len()).map(|i| format!("${i}")).collect();
        let vals: Vec<Value> = chunk.iter().map(|u| Value::from(*u)).collect();
        for e in select(c, &format!("id IN ({})", ph.join(",")), vals).await? {
            by_id.insert(e.id, e);
        }
    }
    Ok(ids.iter().filter_map(|id| by_id.remove(id)).collect())
}

/// Entities in id order, a page at a time (`after` = the last id of the previous page),
/// optionally within a region subtree: for passes over the whole directory.
pub async fn scan(
    c: &impl ConnectionTrait,
    region: Option<&RegionCode>,
    after: Option<Uuid>,
    limit: u64,
) -> Result<Vec<Entity>> {
    let mut conds = vec!["id > $1".to_string()];
    let mut vals: Vec<Value> = vec![after.unwrap_or(Uuid::nil()).into()];
    if let Some(r) = region {
        conds.push("region_code >= $2 AND region_code < $3".into());
        vals.push(r.to_string().into());
        vals.push(prefix_upper(r.as_str()).into());
    }
    let where_sql = format!("{} ORDER BY id LIMIT {limit}", conds.join(" AND "));
    select(c, &where_sql, vals).await
}

pub async fn by_usci(c: &impl ConnectionTrait, usci: &str) -> Result<Option<Entity>> {
    Ok(select(c, "usci = $1", vec![usci.into()])
        .await?
        .into_iter()
        .next())
}

/// Entities registered under exactly this name (a name alone is not unique: branches, shops of
/// a chain), at most `limit`, by credit code.
pub async fn by_name(c: &impl ConnectionTrait, name: &str, limit: u64) -> Result<Vec<Entity>> {
    select(
        c,
        &format!("name = $1 ORDER BY usci LIMIT {limit}"),
        vec![name.into()],
    )
    .await
}

/// Readies a transaction for a bulk import. On PostgreSQL every statement is then planned for
/// its own parameters: a prepared statement otherwise soon switches to a generic plan made
/// while the table was small (a sequential scan) and keeps it as the import fills the table,
/// which made the credit-code lookups of a 100,000-entity import quadratic (200 s instead of 20).
pub async fn prepare_bulk(tx: &impl ConnectionTrait) -> Result<()> {
    if backend_of(tx) == DbBackend::Postgres {
        tx.execute_unprepared("SET LOCAL plan_cache_mode = force_custom_plan")
            .await?;
    }
    Ok(())
}

/// Existing entities for a batch of credit codes (the import's upsert).
pub async fn by_uscis(
    c: &impl ConnectionTrait,
    uscis: &[String],
) -> Result<HashMap<String, Entity>> {
    let mut out = HashMap::with_capacity(uscis.len());
    for chunk in uscis.chunks(500) {
        let ph: Vec<String> = (1..=chunk.len()).map(|i| format!("${i}")).collect();
        let vals = chunk.iter().map(|u| Value::from(u.clone())).collect();
        for e in select(c, &format!("usci IN ({})", ph.join(",")), vals).await? {
            out.insert(e.usci.clone(), e);
        }
    }
    Ok(out)
}

/// Id and region of the entities with these credit codes (absent ones are left out): what a
/// draw's visits need, in statements of 5,000 codes.
pub async fn ids_by_uscis(
    c: &impl ConnectionTrait,
    uscis: &[&str],
) -> Result<HashMap<String, (Uuid, RegionCode)>> {
    let b = backend_of(c);
    let mut out = HashMap::with_capacity(uscis.len());
    for chunk in uscis.chunks(5_000) {
        let ph: Vec<String> = (1..=chunk.len()).map(|i| placeholder(b, i)).collect();
        let sql = format!(
            "SELECT usci, id, region_code FROM entities WHERE usci IN ({})",
            ph.join(",")
        );
        let vals: Vec<Value> = chunk.iter().map(|u| Value::from(u.to_string())).collect();
        for r in c
            .query_all_raw(Statement::from_sql_and_values(b, sql, vals))
            .await?
        {
            let region: String = r.try_get("", "region_code")?;
            out.insert(
                r.try_get("", "usci")?,
                (
                    r.try_get("", "id")?,
                    RegionCode::parse(&region).map_err(|e| StoreError::Corrupt(e.to_string()))?,
                ),
            );
        }
    }
    Ok(out)
}

pub async fn count(c: &impl ConnectionTrait) -> Result<u64> {
    let r = c
        .query_one_raw(Statement::from_string(
            backend_of(c),
            "SELECT COUNT(*) AS n FROM entities",
        ))
        .await?;
    Ok(r.map(|r| r.try_get::<i64>("", "n"))
        .transpose()?
        .map_or(0, nonneg))
}

// ---- licences ----

pub async fn licences_of(c: &impl ConnectionTrait, entity_id: Uuid) -> Result<Vec<Licence>> {
    let rows = c
        .query_all_raw(Statement::from_sql_and_values(
            backend_of(c),
            "SELECT licence_type, number, issuer, valid_from, valid_to FROM entity_licences WHERE entity_id = $1 ORDER BY licence_type, number",
            [entity_id.into()],
        ))
        .await?;
    rows.iter()
        .map(|r| {
            Ok(Licence {
                licence_type: r.try_get("", "licence_type")?,
                number: r.try_get("", "number")?,
                issuer: r.try_get("", "issuer")?,
                valid_from: r.try_get("", "valid_from")?,
                valid_to: r.try_get("", "valid_to")?,
            })
        })
        .collect()
}

/// Licences of many entities at once (exports), each entity's in the order of [`licences_of`].
pub async fn licences_of_many(
    c: &impl ConnectionTrait,
    ids: &[Uuid],
) -> Result<HashMap<Uuid, Vec<Licence>>> {
    let b = backend_of(c);
    let mut out: HashMap<Uuid, Vec<Licence>> = HashMap::new();
    for chunk in ids.chunks(500) {
        let ph: Vec<String> = (1..=chunk.len()).map(|i| placeholder(b, i)).collect();
        let sql = format!(
            "SELECT entity_id, licence_type, number, issuer, valid_from, valid_to FROM entity_licences WHERE entity_id IN ({}) ORDER BY entity_id, licence_type, number",
            ph.join(",")
        );
        let vals: Vec<Value> = chunk.iter().map(|u| Value::from(*u)).collect();
        for r in c
            .query_all_raw(Statement::from_sql_and_values(b, sql, vals))
            .await?
        {
            out.entry(r.try_get("", "entity_id")?)
                .or_default()
                .push(Licence {
                    licence_type: r.try_get("", "licence_type")?,
                    number: r.try_get("", "number")?,
                    issuer: r.try_get("", "issuer")?,
                    valid_from: r.try_get("", "valid_from")?,
                    valid_to: r.try_get("", "valid_to")?,
                });
        }
    }
    Ok(out)
}

/// (tag id, source) pairs of many entities at once (exports).
pub async fn tags_of_many(
    c: &impl ConnectionTrait,
    ids: &[Uuid],
) -> Result<HashMap<Uuid, Vec<(Uuid, TagSource)>>> {
    let b = backend_of(c);
    let mut out: HashMap<Uuid, Vec<(Uuid, TagSource)>> = HashMap::new();
    for chunk in ids.chunks(500) {
        let ph: Vec<String> = (1..=chunk.len()).map(|i| placeholder(b, i)).collect();
        let sql = format!(
            "SELECT entity_id, tag_id, source FROM entity_tags WHERE entity_id IN ({})",
            ph.join(",")
        );
        let vals: Vec<Value> = chunk.iter().map(|u| Value::from(*u)).collect();
        for r in c
            .query_all_raw(Statement::from_sql_and_values(b, sql, vals))
            .await?
        {
            let s: String = r.try_get("", "source")?;
            let source = TagSource::parse(&s).map_err(|e| StoreError::Corrupt(e.to_string()))?;
            out.entry(r.try_get("", "entity_id")?)
                .or_default()
                .push((r.try_get("", "tag_id")?, source));
        }
    }
    Ok(out)
}

/// Licence types of many entities at once (rule evaluation during import).
pub async fn licence_types_of(
    c: &impl ConnectionTrait,
    ids: &[Uuid],
) -> Result<HashMap<Uuid, Vec<String>>> {
    let mut out: HashMap<Uuid, Vec<String>> = HashMap::new();
    for chunk in ids.chunks(500) {
        let ph: Vec<String> = (1..=chunk.len()).map(|i| format!("${i}")).collect();
        let sql = format!(
            "SELECT entity_id, licence_type FROM entity_licences WHERE entity_id IN ({})",
            ph.join(",")
        );
        let vals: Vec<Value> = chunk.iter().map(|u| Value::from(*u)).collect();
        for r in c
            .query_all_raw(Statement::from_sql_and_values(backend_of(c), sql, vals))
            .await?
        {
            out.entry(r.try_get("", "entity_id")?)
                .or_default()
                .push(r.try_get("", "licence_type")?);
        }
    }
    Ok(out)
}

/// Inserts the licences of entities that have none yet (new entities of an import), with
/// multi-row statements.
pub async fn insert_licences_many(
    c: &impl ConnectionTrait,
    rows: &[(Uuid, RegionCode, Licence)],
) -> Result<()> {
    const PER: usize = 100; // 8 columns × 100 rows
    let b = backend_of(c);
    for chunk in rows.chunks(PER) {
        let mut sql = String::from(
            "INSERT INTO entity_licences (id, entity_id, region_code, licence_type, number, issuer, valid_from, valid_to) VALUES ",
        );
        let mut vals: Vec<Value> = Vec::with_capacity(chunk.len() * 8);
        for (i, (entity_id, region, l)) in chunk.iter().enumerate() {
            if i > 0 {
                sql.push(',');
            }
            let ph: Vec<String> = (1..=8).map(|j| placeholder(b, i * 8 + j)).collect();
            sql.push_str(&format!("({})", ph.join(",")));
            vals.extend([
                Uuid::now_v7().into(),
                (*entity_id).into(),
                region.to_string().into(),
                l.licence_type.clone().into(),
                l.number.clone().into(),
                l.issuer.clone().into(),
                l.valid_from.into(),
                l.valid_to.into(),
            ]);
        }
        c.execute_raw(Statement::from_sql_and_values(b, sql, vals))
            .await?;
    }
    Ok(())
}

/// Replaces an entity's licences with `licences`.
pub async fn replace_licences(
    c: &impl ConnectionTrait,
    entity_id: Uuid,
    region: &RegionCode,
    licences: &[Licence],
) -> Result<()> {
    let b = backend_of(c);
    c.execute_raw(Statement::from_sql_and_values(
        b,
        "DELETE FROM entity_licences WHERE entity_id = $1",
        [entity_id.into()],
    ))
    .await?;
    for l in licences {
        c.execute_raw(Statement::from_sql_and_values(
            b,
            "INSERT INTO entity_licences (id, entity_id, region_code, licence_type, number, issuer, valid_from, valid_to) VALUES ($1,$2,$3,$4,$5,$6,$7,$8)",
            [
                Uuid::now_v7().into(),
                entity_id.into(),
                region.to_string().into(),
                l.licence_type.clone().into(),
                l.number.clone().into(),
                l.issuer.clone().into(),
                l.valid_from.into(),
                l.valid_to.into(),
            ],
        ))
        .await?;
    }
    Ok(())
}

// ---- tags on entities ----

/// (tag id, source) pairs of an entity.
pub async fn tags_of(c: &impl ConnectionTrait, entity_id: Uuid) -> Result<Vec<(Uuid, TagSource)>> {
    let rows = c
        .query_all_raw(Statement::from_sql_and_values(
            backend_of(c),
            "SELECT tag_id, source FROM entity_tags WHERE entity_id = $1",
            [entity_id.into()],
        ))
        .await?;
    rows.iter()
        .map(|r| {
            let s: String = r.try_get("", "source")?;
            Ok((
                r.try_get("", "tag_id")?,
                TagSource::parse(&s).map_err(|e| StoreError::Corrupt(e.to_string()))?,
            ))
        })
        .collect()
}

/// Adds a tag (no-op if present; an existing source is kept).
pub async fn add_tag(
    c: &impl ConnectionTrait,
    entity_id: Uuid,
    region: &RegionCode,
    tag_id: Uuid,
    source: TagSource,
) -> Result<bool> {
    let b = backend_of(c);
    let r = c
        .execute_raw(Statement::from_sql_and_values(
            b,
            "INSERT INTO entity_tags (entity_id, tag_id, region_code, source, created_at) VALUES ($1,$2,$3,$4,$5) ON CONFLICT (entity_id, tag_id) DO NOTHING",
            [entity_id.into(), tag_id.into(), region.to_string().into(), source.as_str().into(), crate::now().into()],
        ))
        .await?;
    Ok(r.rows_affected() > 0)
}

pub async fn remove_tag(c: &impl ConnectionTrait, entity_id: Uuid, tag_id: Uuid) -> Result<bool> {
    let r = c
        .execute_raw(Statement::from_sql_and_values(
            backend_of(c),
            "DELETE FROM entity_tags WHERE entity_id = $1 AND tag_id = $2",
            [entity_id.into(), tag_id.into()],
        ))
        .await?;
    Ok(r.rows_affected() > 0)
}

/// Sets an entity's tags to exactly `tags` (undoing an import job that changed them).
pub async fn set_tags(
    c: &impl ConnectionTrait,
    entity_id: Uuid,
    region: &RegionCode,
    tags: &[(Uuid, TagSource)],
) -> Result<()> {
    c.execute_raw(Statement::from_sql_and_values(
        backend_of(c),
        "DELETE FROM entity_tags WHERE entity_id = $1",
        [entity_id.into()],
    ))
    .await?;
    let rows: Vec<(Uuid, Uuid, String, TagSource)> = tags
        .iter()
        .map(|(t, s)| (entity_id, *t, region.to_string(), *s))
        .collect();
    add_tags_many(c, &rows).await
}

/// Removes tags set by rules that no longer hold, keeping hand-set ones.
pub async fn remove_rule_tags_except(
    c: &impl ConnectionTrait,
    entity_id: Uuid,
    keep: &[Uuid],
) -> Result<Vec<Uuid>> {
    let current = tags_of(c, entity_id).await?;
    let mut removed = Vec::new();
    for (tag, source) in current {
        if source == TagSource::Rule && !keep.contains(&tag) {
            remove_tag(c, entity_id, tag).await?;
            removed.push(tag);
        }
    }
    Ok(removed)
}

/// Inserts many (entity, tag, source) rows, skipping existing pairs (the import path).
pub async fn add_tags_many(
    c: &impl ConnectionTrait,
    rows: &[(Uuid, Uuid, String, TagSource)],
) -> Result<()> {
    let b = backend_of(c);
    let now = crate::now();
    for chunk in rows.chunks(150) {
        let mut sql = String::from(
            "INSERT INTO entity_tags (entity_id, tag_id, region_code, source, created_at) VALUES ",
        );
        let mut vals = Vec::with_capacity(chunk.len() * 5);
        for (i, (e, t, r, s)) in chunk.iter().enumerate() {
            if i > 0 {
                sql.push(',');
            }
            let ph: Vec<String> = (1..=5).map(|j| placeholder(b, i * 5 + j)).collect();
            sql.push_str(&format!("({})", ph.join(",")));
            vals.extend([
                Value::from(*e),
                Value::from(*t),
                r.clone().into(),
                s.as_str().into(),
                now.into(),
            ]);
        }
        sql.push_str(" ON CONFLICT (entity_id, tag_id) DO NOTHING");
        c.execute_raw(Statement::from_sql_and_values(b, sql, vals))
            .await?;
    }
    Ok(())
}

// ---- search ----

/// Sort orders of entity lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum EntitySort {
    /// Name order when browsing; directory order for a text search, where sorting every match
    /// of a common fragment (100,000 of 1,000,000) would cost more than the search itself.
    #[default]
    Default,
    Name,
    Usci,
    Region,
    UpdatedDesc,
    CreditClass,
}

impl EntitySort {
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "" | "default" => Some(Self::Default),
            "name" => Some(Self::Name),
            "usci" => Some(Self::Usci),
            "region" => Some(Self::Region),
            "updated" => Some(Self::UpdatedDesc),
            "credit" => Some(Self::CreditClass),
            _ => None,
        }
    }
}

/// What a directory search asks. All parts are ANDed.
#[derive(Debug, Clone, Default)]
pub struct EntitySearch {
    /// A name fragment (any length, Chinese or not), or a credit-code prefix when it looks like one.
    pub q: Option<String>,
    /// Region subtree.
    pub region: Option<RegionCode>,
    /// Entities carrying all of these tags.
    pub tag_ids: Vec<Uuid>,
    pub credit: Vec<CreditClass>,
    pub entity_type: Option<EntityType>,
    pub reg_status: Option<RegStatus>,
    /// Entities an item's object definition selects (item coverage), already resolved to tag ids.
    pub covered_by: Option<ResolvedExpr>,
    pub sort: EntitySort,
}

/// A tag expression whose tag codes were resolved to ids.
#[derive(Debug, Clone)]
pub struct ResolvedExpr {
    pub expr: TagExpr,
    pub tag_ids: HashMap<String, Uuid>,
}

/// The upper bound of a prefix range: `p ≤ x < upper(p)` selects strings starting with `p`,
/// and uses a plain B-tree index on both databases.
fn prefix_upper(p: &str) -> String {
    format!("{p}\u{10FFFF}")
}

fn prefix(col: &'static str, p: &str) -> SimpleExpr {
    Expr::col(("entities", col))
        .gte(p.to_string())
        .and(Expr::col(("entities", col)).lt(prefix_upper(p)))
}

fn looks_like_usci_prefix(q: &str) -> bool {
    q.len() >= 4
        && q.chars().all(|c| c.is_ascii_alphanumeric())
        && q.chars().any(|c| c.is_ascii_digit())
}

/// Condition of one tag expression, in SQL, over the `entities` table.
fn compile(expr: &TagExpr, ids: &HashMap<String, Uuid>) -> Result<SimpleExpr> {
    Ok(match expr {
        TagExpr::Tag(code) => {
            let id = ids
                .get(code)
                .ok_or_else(|| StoreError::Corrupt(format!("unresolved tag {code}")))?;
            Expr::col(("entities", "id")).in_subquery(
                Query::select()
                    .column("entity_id")
                    .from("entity_tags")
                    .and_where(Expr::col("tag_id").eq(*id))
                    .take(),
            )
        }
        TagExpr::Region(r) => prefix("region_code", r),
        TagExpr::EntityType(t) => {
            let t = EntityType::parse(t).map_err(|e| StoreError::Corrupt(e.to_string()))?;
            Expr::col(("entities", "entity_type")).eq(t.as_str())
        }
        TagExpr::Credit(letters) => {
            Expr::col(("entities", "credit_class")).is_in(letters.iter().map(|c| c.to_string()))
        }
        TagExpr::Not(inner) => compile(inner, ids)?.not(),
        TagExpr::And(parts) => {
            let mut cond = Cond::all();
            for p in parts {
                cond = cond.add(compile(p, ids)?);
            }
            SimpleExpr::from(cond)
        }
        TagExpr::Or(parts) => {
            let mut cond = Cond::any();
            for p in parts {
                cond = cond.add(compile(p, ids)?);
            }
            SimpleExpr::from(cond)
        }
    })
}

fn name_condition(b: DbBackend, q: &str) -> Option<SimpleExpr> {
    let grams = query_grams(q);
    if grams.is_empty() {
        return None;
    }
    let single = grams.len() == 1 && q.chars().filter(|c| c.is_alphanumeric()).count() == 1;
    Some(match b {
        DbBackend::Postgres => {
            let query = if single {
                Expr::cust_with_values("to_tsquery('simple', $1)", [format!("{}:*", grams[0])])
            } else {
                Expr::cust_with_values("phraseto_tsquery('simple', $1)", [grams.join(" ")])
            };
            Expr::cust("to_tsvector('simple', name_grams)")
                .binary(sea_orm::sea_query::BinOper::Custom("@@"), query)
        }
        _ => {
            let m = if single {
                format!("{}*", grams[0])
            } else {
                format!("\"{}\"", grams.join(" "))
            };
            Expr::col(Alias::new("rowid")).in_subquery(
                Query::select()
                    .column(Alias::new("rowid"))
                    .from("entities_fts")
                    .and_where(Expr::cust_with_values("entities_fts MATCH ?", [m]))
                    .take(),
            )
        }
    })
}

/// Which index a SQLite search is driven from: walking the full-text or tag index and joining
/// to the entities lets LIMIT stop early; an `IN (subquery)` would first collect every match.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Driver {
    Entities,
    FullText,
    Tag(Uuid),
}

fn filter_and_driver(b: DbBackend, s: &EntitySearch) -> Result<(Cond, Driver)> {
    let mut cond = Cond::all();
    let mut driver = Driver::Entities;
    if let Some(q) = s.q.as_deref().map(str::trim).filter(|q| !q.is_empty()) {
        if looks_like_usci_prefix(q) {
            let upper = q.to_ascii_uppercase();
            let by_code = prefix("usci", &upper);
            cond = cond.add(match name_condition(b, q) {
                Some(n) => Cond::any().add(by_code).add(n),
                None => Cond::any().add(by_code),
            });
        } else if b == DbBackend::Sqlite && !query_grams(q).is_empty() {
            cond = cond.add(Expr::cust_with_values(
                "entities_fts MATCH ?",
                [fts_query(q)],
            ));
            driver = Driver::FullText;
        } else if let Some(n) = name_condition(b, q) {
            cond = cond.add(n);
        }
    }
    if let Some(r) = &s.region {
        cond = cond.add(prefix("region_code", r.as_str()));
    }
    for (i, t) in s.tag_ids.iter().enumerate() {
        if i == 0 && b == DbBackend::Sqlite && driver == Driver::Entities {
            driver = Driver::Tag(*t);
            continue;
        }
        cond = cond.add(
            Expr::col(("entities", "id")).in_subquery(
                Query::select()
                    .column("entity_id")
                    .from("entity_tags")
                    .and_where(Expr::col("tag_id").eq(*t))
                    .take(),
            ),
        );
    }
    if !s.credit.is_empty() {
        cond = cond.add(
            Expr::col(("entities", "credit_class")).is_in(s.credit.iter().map(|c| c.as_str())),
        );
    }
    if let Some(t) = s.entity_type {
        cond = cond.add(Expr::col(("entities", "entity_type")).eq(t.as_str()));
    }
    if let Some(st) = s.reg_status {
        cond = cond.add(Expr::col(("entities", "reg_status")).eq(st.as_str()));
    }
    if let Some(r) = &s.covered_by {
        cond = cond.add(compile(&r.expr, &r.tag_ids)?);
    }
    Ok((cond, driver))
}

/// FTS5 query text for a fragment: a phrase of its bigrams, or a prefix for one character.
fn fts_query(q: &str) -> String {
    let grams = query_grams(q);
    if grams.len() == 1 && q.chars().filter(|c| c.is_alphanumeric()).count() == 1 {
        format!("{}*", grams[0])
    } else {
        format!("\"{}\"", grams.join(" "))
    }
}

/// The FROM part for a driver.
fn from_driver(q: &mut SelectStatement, d: Driver) {
    match d {
        Driver::Entities => {
            q.from("entities");
        }
        Driver::FullText => {
            q.from("entities_fts").join(
                sea_orm::sea_query::JoinType::InnerJoin,
                "entities",
                Expr::col(("entities", Alias::new("rowid")))
                    .equals(("entities_fts", Alias::new("rowid"))),
            );
        }
        Driver::Tag(t) => {
            q.from("entity_tags")
                .join(
                    sea_orm::sea_query::JoinType::InnerJoin,
                    "entities",
                    Expr::col(("entities", "id")).equals(("entity_tags", "entity_id")),
                )
                .and_where(Expr::col(("entity_tags", "tag_id")).eq(t));
        }
    }
}

/// The selection of a search: its driving tables and conditions.
fn base(b: DbBackend, s: &EntitySearch, extra: Option<SimpleExpr>) -> Result<SelectStatement> {
    let (mut cond, driver) = filter_and_driver(b, s)?;
    if let Some(x) = extra {
        cond = cond.add(x);
    }
    let mut q = Query::select();
    from_driver(&mut q, driver);
    Ok(q.cond_where(cond).take())
}

fn build(b: DbBackend, q: &SelectStatement) -> Statement {
    match b {
        DbBackend::Postgres => {
            let (sql, v) = q.build(sea_orm::sea_query::PostgresQueryBuilder);
            Statement::from_sql_and_values(b, sql, v)
        }
        _ => {
            let (sql, v) = q.build(sea_orm::sea_query::SqliteQueryBuilder);
            Statement::from_sql_and_values(b, sql, v)
        }
    }
}

/// Counts stop here: a search with more matches reports `COUNT_CAP + 1` ("more than 10,000"),
/// which keeps broad searches fast on a province-sized directory.
pub const COUNT_CAP: u64 = 10_000;

pub async fn search(
    c: &impl ConnectionTrait,
    s: &EntitySearch,
    page: PageRequest,
) -> Result<Page<Entity>> {
    let b = backend_of(c);
    let (cond, driver) = filter_and_driver(b, s)?;
    let mut inner = Query::select();
    from_driver(&mut inner, driver);
    inner
        .cond_where(cond.clone())
        .expr(Expr::val(1))
        .limit(COUNT_CAP + 1);
    let count_q = Query::select()
        .expr_as(Expr::cust("COUNT(*)"), Alias::new("n"))
        .from_subquery(inner.take(), Alias::new("capped"))
        .take();
    let total: i64 = c
        .query_one_raw(build(b, &count_q))
        .await?
        .map(|r| r.try_get("", "n"))
        .transpose()?
        .unwrap_or(0);
    let mut q = Query::select();
    from_driver(&mut q, driver);
    q.cond_where(cond);
    for col in COLUMNS.split(", ") {
        q.column(("entities", Alias::new(col)));
    }
    let text_search = s.q.as_deref().is_some_and(|q| !q.trim().is_empty());
    let (col, order) = match s.sort {
        // Directory order: the order the driving index already yields on SQLite.
        EntitySort::Default if driver == Driver::FullText => ("rowid", Order::Asc),
        EntitySort::Default if matches!(driver, Driver::Tag(_)) || text_search => {
            ("id", Order::Asc)
        }
        EntitySort::Default | EntitySort::Name => ("name", Order::Asc),
        EntitySort::Usci => ("usci", Order::Asc),
        EntitySort::Region => ("region_code", Order::Asc),
        EntitySort::UpdatedDesc => ("updated_at", Order::Desc),
        EntitySort::CreditClass => ("credit_class", Order::Desc),
    };
    let table = if col == "rowid" {
        "entities_fts"
    } else {
        "entities"
    };
    q.order_by((Alias::new(table), Alias::new(col)), order)
        .order_by(("entities", "usci"), Order::Asc)
        .limit(page.per_page)
        .offset(page.offset());
    let items = c
        .query_all_raw(build(b, &q))
        .await?
        .iter()
        .map(from_row)
        .collect::<Result<_>>()?;
    Ok(Page {
        items,
        total: nonneg(total),
        page: page.page,
        per_page: page.per_page,
    })
}

/// Counts of the entities a search selects, by county (6-digit region prefix) and credit class.
pub async fn counts_by_county_and_class(
    c: &impl ConnectionTrait,
    s: &EntitySearch,
) -> Result<Vec<(String, Option<String>, u64)>> {
    let b = backend_of(c);
    let mut q = base(b, s, None)?;
    q.expr_as(
        Expr::cust("SUBSTR(entities.region_code, 1, 6)"),
        Alias::new("county"),
    )
    .column(("entities", "credit_class"))
    .expr_as(Expr::cust("COUNT(*)"), Alias::new("n"))
    .add_group_by([
        Expr::cust("SUBSTR(entities.region_code, 1, 6)"),
        Expr::col(("entities", "credit_class")),
    ])
    .order_by_expr(Expr::cust("SUBSTR(entities.region_code, 1, 6)"), Order::Asc);
    let rows = c.query_all_raw(build(b, &q)).await?;
    rows.iter()
        .map(|r| {
            Ok((
                r.try_get("", "county")?,
                r.try_get("", "credit_class")?,
                nonneg(r.try_get::<i64>("", "n")?),
            ))
        })
        .collect()
}

/// Ids of the entities a search selects (for exports and re-evaluation), in pages.
pub async fn search_ids(
    c: &impl ConnectionTrait,
    s: &EntitySearch,
    after: Option<Uuid>,
    limit: u64,
) -> Result<Vec<Uuid>> {
    let b = backend_of(c);
    let mut q = base(b, s, after.map(|a| Expr::col(("entities", "id")).gt(a)))?;
    q.column(("entities", "id"))
        .order_by(("entities", "id"), Order::Asc)
        .limit(limit);
    c.query_all_raw(build(b, &q))
        .await?
        .iter()
        .map(|r| Ok(r.try_get("", "id")?))
        .collect()
}

/// How many entities a resolved tag expression selects (the size of an item's directory),
/// with the same SQL a search's `covered_by` uses. `lianjian bench` times it against the
/// in-memory index.
pub async fn count_covered(c: &impl ConnectionTrait, r: &ResolvedExpr) -> Result<u64> {
    let b = backend_of(c);
    let q = Query::select()
        .expr_as(Expr::cust("COUNT(*)"), Alias::new("n"))
        .from("entities")
        .cond_where(compile(&r.expr, &r.tag_ids)?)
        .take();
    let n: i64 = c
        .query_one_raw(build(b, &q))
        .await?
        .map(|r| r.try_get("", "n"))
        .transpose()?
        .unwrap_or(0);
    Ok(nonneg(n))
}
