//! The inspector pool (执法检查人员库): members with their department, region, certificate
//! number, kind and status, their qualifications (资格), the conflicts of interest they declared
//! (回避), and [`pool`], the bulk loader draws freeze.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use lianjian_domain::inspector::{InspectorKind, InspectorStatus};
use lianjian_domain::region::RegionCode;
use lianjian_domain::scope::Scope;
use sea_orm::{ConnectionTrait, Statement, Value};
use serde::Serialize;
use uuid::Uuid;

use crate::{Page, PageRequest, Result, StoreError, backend_of};

/// One member of the pool, with its qualifications (sorted).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Inspector {
    pub id: Uuid,
    pub department_id: Uuid,
    /// The department's region or a place inside it (a township office).
    pub region_code: RegionCode,
    pub name: String,
    /// 执法证号, upper case, unique in the pool.
    pub certificate_number: String,
    pub kind: InspectorKind,
    pub status: InspectorStatus,
    pub phone: Option<String>,
    /// The member's sign-in account (role inspector, same department), if linked.
    pub user_id: Option<Uuid>,
    pub qualifications: Vec<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl Inspector {
    /// Whether two records say the same thing (ignoring id, link and times): an import that
    /// changes nothing writes nothing.
    pub fn same_content(&self, o: &Inspector) -> bool {
        (
            self.department_id,
            &self.region_code,
            &self.name,
            &self.certificate_number,
            self.kind,
            self.status,
            &self.phone,
            &self.qualifications,
        ) == (
            o.department_id,
            &o.region_code,
            &o.name,
            &o.certificate_number,
            o.kind,
            o.status,
            &o.phone,
            &o.qualifications,
        )
    }
}

/// A declared conflict of interest (回避): this member is never sent to this entity.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Conflict {
    pub id: Uuid,
    pub inspector_id: Uuid,
    pub entity_id: Uuid,
    /// The entity's credit code and name, as the directory has them now.
    pub usci: String,
    pub entity_name: String,
    pub reason: String,
    pub declared_at: DateTime<Utc>,
    /// User name of whoever declared it.
    pub declared_by: String,
}

const COLS: &str = "id, department_id, region_code, name, certificate_number, kind, status, phone, user_id, created_at, updated_at";

fn corrupt(e: lianjian_domain::Invalid) -> StoreError {
    StoreError::Corrupt(e.to_string())
}

fn from_row(r: &sea_orm::QueryResult) -> Result<Inspector> {
    Ok(Inspector {
        id: r.try_get("", "id")?,
        department_id: r.try_get("", "department_id")?,
        region_code: RegionCode::parse(&r.try_get::<String>("", "region_code")?)
            .map_err(corrupt)?,
        name: r.try_get("", "name")?,
        certificate_number: r.try_get("", "certificate_number")?,
        kind: crate::coded(r, "kind", InspectorKind::parse)?,
        status: crate::coded(r, "status", InspectorStatus::parse)?,
        phone: r.try_get("", "phone")?,
        user_id: r.try_get("", "user_id")?,
        qualifications: Vec::new(),
        created_at: r.try_get("", "created_at")?,
        updated_at: r.try_get("", "updated_at")?,
    })
}

fn values(i: &Inspector) -> Vec<Value> {
    vec![
        i.id.into(),
        i.department_id.into(),
        i.region_code.to_string().into(),
        i.name.clone().into(),
        i.certificate_number.clone().into(),
        i.kind.as_str().into(),
        i.status.as_str().into(),
        i.phone.clone().into(),
        i.user_id.into(),
        i.created_at.into(),
        i.updated_at.into(),
    ]
}

/// `$1, $2, …` for `n` values from `from`.
fn placeholders(from: usize, n: usize) -> String {
    (from..from + n)
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(",")
}

/// Qualifications of many members at once, each list sorted.
pub async fn qualifications_of_many(
    c: &impl ConnectionTrait,
    ids: &[Uuid],
) -> Result<HashMap<Uuid, Vec<String>>> {
    let b = backend_of(c);
    let mut out: HashMap<Uuid, Vec<String>> = HashMap::new();
    for chunk in ids.chunks(500) {
        let sql = format!(
            "SELECT inspector_id, qualification FROM inspector_qualifications WHERE inspector_id IN ({}) ORDER BY inspector_id, qualification",
            placeholders(1, chunk.len())
        );
        let vals: Vec<Value> = chunk.iter().map(|u| Value::from(*u)).collect();
        for r in c
            .query_all_raw(Statement::from_sql_and_values(b, sql, vals))
            .await?
        {
            out.entry(r.try_get("", "inspector_id")?)
                .or_default()
                .push(r.try_get("", "qualification")?);
        }
    }
    Ok(out)
}

async fn with_qualifications(
    c: &impl ConnectionTrait,
    mut v: Vec<Inspector>,
) -> Result<Vec<Inspector>> {
    let ids: Vec<Uuid> = v.iter().map(|i| i.id).collect();
    let mut qs = qualifications_of_many(c, &ids).await?;
    for i in &mut v {
        i.qualifications = qs.remove(&i.id).unwrap_or_default();
    }
    Ok(v)
}

async fn select_one(c: &impl ConnectionTrait, cond: &str, v: Value) -> Result<Option<Inspector>> {
    let sql = format!("SELECT {COLS} FROM inspectors WHERE {cond}");
    let Some(r) = c
        .query_one_raw(Statement::from_sql_and_values(backend_of(c), sql, [v]))
        .await?
    else {
        return Ok(None);
    };
    Ok(with_qualifications(c, vec![from_row(&r)?]).await?.pop())
}

pub async fn get(c: &impl ConnectionTrait, id: Uuid) -> Result<Option<Inspector>> {
    select_one(c, "id = $1", id.into()).await
}

/// The member with this certificate number (upper case, as [`CertificateNumber`] stores it).
///
/// [`CertificateNumber`]: lianjian_domain::account::CertificateNumber
pub async fn by_certificate(c: &impl ConnectionTrait, number: &str) -> Result<Option<Inspector>> {
    select_one(c, "certificate_number = $1", number.into()).await
}

/// The member linked to a sign-in account.
pub async fn by_user(c: &impl ConnectionTrait, user_id: Uuid) -> Result<Option<Inspector>> {
    select_one(c, "user_id = $1", user_id.into()).await
}

/// Members by certificate number, for an import's upsert.
pub async fn by_certificates(
    c: &impl ConnectionTrait,
    numbers: &[String],
) -> Result<HashMap<String, Inspector>> {
    let b = backend_of(c);
    let mut found = Vec::new();
    for chunk in numbers.chunks(500) {
        let sql = format!(
            "SELECT {COLS} FROM inspectors WHERE certificate_number IN ({})",
            placeholders(1, chunk.len())
        );
        let vals: Vec<Value> = chunk.iter().map(|n| Value::from(n.clone())).collect();
        for r in c
            .query_all_raw(Statement::from_sql_and_values(b, sql, vals))
            .await?
        {
            found.push(from_row(&r)?);
        }
    }
    Ok(with_qualifications(c, found)
        .await?
        .into_iter()
        .map(|i| (i.certificate_number.clone(), i))
        .collect())
}

fn taken(number: &str) -> impl Fn(sea_orm::DbErr) -> StoreError + '_ {
    move |e| match StoreError::from(e) {
        StoreError::Conflict(_) => {
            StoreError::Conflict(format!("certificate number {number} is taken"))
        }
        other => other,
    }
}

/// Inserts a member with its qualifications.
pub async fn insert(c: &impl ConnectionTrait, i: &Inspector) -> Result<()> {
    let sql = format!(
        "INSERT INTO inspectors ({COLS}) VALUES ({})",
        placeholders(1, 11)
    );
    c.execute_raw(Statement::from_sql_and_values(
        backend_of(c),
        sql,
        values(i),
    ))
    .await
    .map_err(taken(&i.certificate_number))?;
    replace_qualifications(c, i.id, &i.qualifications).await
}

/// Writes the member's fields (not `id`, `created_at` or the linked account, see [`set_user`])
/// and replaces the qualifications.
pub async fn update(c: &impl ConnectionTrait, i: &Inspector) -> Result<()> {
    let r = c
        .execute_raw(Statement::from_sql_and_values(
            backend_of(c),
            "UPDATE inspectors SET department_id = $1, region_code = $2, name = $3, certificate_number = $4, kind = $5, status = $6, phone = $7, updated_at = $8 WHERE id = $9",
            [
                i.department_id.into(),
                i.region_code.to_string().into(),
                i.name.clone().into(),
                i.certificate_number.clone().into(),
                i.kind.as_str().into(),
                i.status.as_str().into(),
                i.phone.clone().into(),
                i.updated_at.into(),
                i.id.into(),
            ],
        ))
        .await
        .map_err(taken(&i.certificate_number))?;
    if r.rows_affected() == 0 {
        return Err(StoreError::NotFound);
    }
    replace_qualifications(c, i.id, &i.qualifications).await
}

/// Sets or clears the linked account; a second member linked to the same account is a
/// `Conflict`.
pub async fn set_user(
    c: &impl ConnectionTrait,
    id: Uuid,
    user_id: Option<Uuid>,
    at: DateTime<Utc>,
) -> Result<()> {
    let r = c
        .execute_raw(Statement::from_sql_and_values(
            backend_of(c),
            "UPDATE inspectors SET user_id = $1, updated_at = $2 WHERE id = $3",
            [user_id.into(), at.into(), id.into()],
        ))
        .await
        .map_err(|e| match StoreError::from(e) {
            StoreError::Conflict(_) => {
                StoreError::Conflict("the account is linked to another member".into())
            }
            other => other,
        })?;
    if r.rows_affected() == 0 {
        return Err(StoreError::NotFound);
    }
    Ok(())
}

/// Makes the member's qualifications exactly `qualifications`.
pub async fn replace_qualifications(
    c: &impl ConnectionTrait,
    id: Uuid,
    qualifications: &[String],
) -> Result<()> {
    let b = backend_of(c);
    c.execute_raw(Statement::from_sql_and_values(
        b,
        "DELETE FROM inspector_qualifications WHERE inspector_id = $1",
        [id.into()],
    ))
    .await?;
    let mut unique: Vec<&String> = qualifications.iter().collect();
    unique.sort();
    unique.dedup();
    for q in unique {
        c.execute_raw(Statement::from_sql_and_values(
            b,
            "INSERT INTO inspector_qualifications (inspector_id, qualification) VALUES ($1, $2)",
            [id.into(), q.clone().into()],
        ))
        .await?;
    }
    Ok(())
}

/// How a list is ordered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum InspectorSort {
    /// By region, department, then name (the default).
    #[default]
    Department,
    Name,
    Certificate,
    /// Most recently changed first.
    Updated,
}

impl InspectorSort {
    pub const ALL: [InspectorSort; 4] = [
        InspectorSort::Department,
        InspectorSort::Name,
        InspectorSort::Certificate,
        InspectorSort::Updated,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            InspectorSort::Department => "department",
            InspectorSort::Name => "name",
            InspectorSort::Certificate => "certificate",
            InspectorSort::Updated => "updated",
        }
    }

    pub fn label_zh(self) -> &'static str {
        match self {
            InspectorSort::Department => "按部门",
            InspectorSort::Name => "按姓名",
            InspectorSort::Certificate => "按执法证号",
            InspectorSort::Updated => "最近修改",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|v| v.as_str() == s.trim())
    }

    fn order_sql(self) -> &'static str {
        match self {
            InspectorSort::Department => {
                "i.region_code, d.sort_order, i.department_id, i.name, i.certificate_number"
            }
            InspectorSort::Name => "i.name, i.certificate_number",
            InspectorSort::Certificate => "i.certificate_number",
            InspectorSort::Updated => "i.updated_at DESC, i.certificate_number",
        }
    }
}

/// Filters of a list. The scope passed to [`list`] limits it further.
#[derive(Debug, Clone, Default)]
pub struct InspectorQuery {
    /// Fragment of the name or certificate number.
    pub q: Option<String>,
    /// Members located in this region's subtree.
    pub region: Option<RegionCode>,
    pub department_id: Option<Uuid>,
    pub status: Option<InspectorStatus>,
    pub kind: Option<InspectorKind>,
    /// Members holding this qualification (exact label).
    pub qualification: Option<String>,
    /// Only the member linked to this account (what an inspector sees of the pool).
    pub user_id: Option<Uuid>,
    pub sort: InspectorSort,
}

/// Members in `scope` (region subtree by the member's region, line by its department) that
/// match `q`, with their qualifications.
pub async fn list(
    c: &impl ConnectionTrait,
    scope: &Scope,
    q: &InspectorQuery,
    page: PageRequest,
) -> Result<Page<Inspector>> {
    let mut conds: Vec<String> = Vec::new();
    let mut vals: Vec<Value> = Vec::new();
    // Placeholders are numbered in the order they appear (SQLite numbers named parameters so).
    fn push(conds: &mut Vec<String>, vals: &mut Vec<Value>, cond: &str, v: Value) {
        vals.push(v);
        conds.push(cond.replace('?', &format!("${}", vals.len())));
    }
    // A member is in a line's scope through its department (`d`, joined below).
    let scope = scope.clone().narrowed(q.region.as_ref(), None);
    conds.push(crate::scope::sql(
        &scope,
        &crate::scope::Shape {
            region: "i.region_code",
            ancestors_visible: false,
            line: crate::scope::Line::Own("d.line"),
        },
        &mut vals,
    ));
    if let Some(t) = q.q.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
        vals.push(crate::contains_pattern(t).into());
        vals.push(crate::contains_pattern(&t.to_ascii_uppercase()).into());
        let n = vals.len();
        conds.push(format!(
            "(i.name LIKE ${}{e} OR i.certificate_number LIKE ${n}{e})",
            n - 1,
            e = crate::LIKE_ESCAPE,
        ));
    }
    if let Some(d) = q.department_id {
        push(&mut conds, &mut vals, "i.department_id = ?", d.into());
    }
    if let Some(s) = q.status {
        push(&mut conds, &mut vals, "i.status = ?", s.as_str().into());
    }
    if let Some(k) = q.kind {
        push(&mut conds, &mut vals, "i.kind = ?", k.as_str().into());
    }
    if let Some(qual) = q
        .qualification
        .as_deref()
        .map(str::trim)
        .filter(|t| !t.is_empty())
    {
        push(
            &mut conds,
            &mut vals,
            "i.id IN (SELECT inspector_id FROM inspector_qualifications WHERE qualification = ?)",
            qual.to_string().into(),
        );
    }
    if let Some(u) = q.user_id {
        push(&mut conds, &mut vals, "i.user_id = ?", u.into());
    }
    let where_sql = if conds.is_empty() {
        "1=1".to_string()
    } else {
        conds.join(" AND ")
    };
    let from = "inspectors i JOIN departments d ON d.id = i.department_id";
    let cols: Vec<String> = COLS.split(", ").map(|c| format!("i.{c}")).collect();
    let p = crate::paged(
        c,
        from,
        &cols.join(", "),
        &where_sql,
        q.sort.order_sql(),
        vals,
        page,
        from_row,
    )
    .await?;
    Ok(Page {
        items: with_qualifications(c, p.items).await?,
        ..p
    })
}

pub async fn count(c: &impl ConnectionTrait) -> Result<u64> {
    let r = c
        .query_one_raw(Statement::from_string(
            backend_of(c),
            "SELECT COUNT(*) AS n FROM inspectors",
        ))
        .await?;
    Ok(r.map(|r| r.try_get::<i64>("", "n"))
        .transpose()?
        .map_or(0, |n| u64::try_from(n).unwrap_or(0)))
}

// ---- conflicts of interest ----

const CONFLICT_SELECT: &str = "SELECT k.id, k.inspector_id, k.entity_id, e.usci, e.name AS entity_name, k.reason, k.declared_at, k.declared_by FROM inspector_conflicts k JOIN entities e ON e.id = k.entity_id";

fn conflict_from_row(r: &sea_orm::QueryResult) -> Result<Conflict> {
    Ok(Conflict {
        id: r.try_get("", "id")?,
        inspector_id: r.try_get("", "inspector_id")?,
        entity_id: r.try_get("", "entity_id")?,
        usci: r.try_get("", "usci")?,
        entity_name: r.try_get("", "entity_name")?,
        reason: r.try_get("", "reason")?,
        declared_at: r.try_get("", "declared_at")?,
        declared_by: r.try_get("", "declared_by")?,
    })
}

/// Records a declaration; declaring the same entity twice for one member is a `Conflict`.
pub async fn add_conflict(c: &impl ConnectionTrait, k: &Conflict) -> Result<()> {
    c.execute_raw(Statement::from_sql_and_values(
        backend_of(c),
        "INSERT INTO inspector_conflicts (id, inspector_id, entity_id, reason, declared_at, declared_by) VALUES ($1,$2,$3,$4,$5,$6)",
        [
            k.id.into(),
            k.inspector_id.into(),
            k.entity_id.into(),
            k.reason.clone().into(),
            k.declared_at.into(),
            k.declared_by.clone().into(),
        ],
    ))
    .await
    .map_err(|e| match StoreError::from(e) {
        StoreError::Conflict(_) => StoreError::Conflict(format!(
            "a conflict with {} is already declared",
            k.usci
        )),
        other => other,
    })?;
    Ok(())
}

/// Removes a declaration (withdrawn); whether there was one.
pub async fn remove_conflict(c: &impl ConnectionTrait, id: Uuid) -> Result<bool> {
    let r = c
        .execute_raw(Statement::from_sql_and_values(
            backend_of(c),
            "DELETE FROM inspector_conflicts WHERE id = $1",
            [id.into()],
        ))
        .await?;
    Ok(r.rows_affected() > 0)
}

pub async fn get_conflict(c: &impl ConnectionTrait, id: Uuid) -> Result<Option<Conflict>> {
    c.query_one_raw(Statement::from_sql_and_values(
        backend_of(c),
        format!("{CONFLICT_SELECT} WHERE k.id = $1"),
        [id.into()],
    ))
    .await?
    .as_ref()
    .map(conflict_from_row)
    .transpose()
}

/// A member's declarations, newest first.
pub async fn conflicts_of(c: &impl ConnectionTrait, inspector_id: Uuid) -> Result<Vec<Conflict>> {
    c.query_all_raw(Statement::from_sql_and_values(
        backend_of(c),
        format!("{CONFLICT_SELECT} WHERE k.inspector_id = $1 ORDER BY k.declared_at DESC, e.usci"),
        [inspector_id.into()],
    ))
    .await?
    .iter()
    .map(conflict_from_row)
    .collect()
}

// ---- the pool a draw freezes ----

/// An entity a member must not be sent to.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct ConflictRef {
    pub usci: String,
    pub entity_id: Uuid,
}

/// A member as a draw sees it: who, where, what they are qualified for, whom they must avoid.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PoolMember {
    pub id: Uuid,
    pub name: String,
    pub certificate_number: String,
    pub department_id: Uuid,
    pub region_code: RegionCode,
    pub kind: InspectorKind,
    /// Sorted.
    pub qualifications: Vec<String>,
    /// Declared conflicts, sorted by credit code.
    pub conflicts: Vec<ConflictRef>,
    /// The linked sign-in account, if any.
    pub user_id: Option<Uuid>,
}

impl PoolMember {
    pub fn conflict_entity_ids(&self) -> impl Iterator<Item = Uuid> + '_ {
        self.conflicts.iter().map(|k| k.entity_id)
    }

    pub fn has_conflict_with(&self, entity_id: Uuid) -> bool {
        self.conflicts.iter().any(|k| k.entity_id == entity_id)
    }

    pub fn holds(&self, qualification: &str) -> bool {
        self.qualifications.iter().any(|q| q == qualification)
    }
}

async fn pool_of_kind(
    c: &impl ConnectionTrait,
    region: &RegionCode,
    department_ids: &[Uuid],
    kind: InspectorKind,
) -> Result<Vec<PoolMember>> {
    let b = backend_of(c);
    let mut vals: Vec<Value> = vec![
        InspectorStatus::Active.as_str().into(),
        kind.as_str().into(),
        region.to_string().into(),
        format!("{region}\u{10FFFF}").into(),
    ];
    let mut sql = format!(
        "SELECT {COLS} FROM inspectors WHERE status = $1 AND kind = $2 AND region_code >= $3 AND region_code < $4"
    );
    if !department_ids.is_empty() {
        let mut ids = department_ids.to_vec();
        ids.sort();
        ids.dedup();
        sql.push_str(&format!(
            " AND department_id IN ({})",
            placeholders(5, ids.len())
        ));
        vals.extend(ids.into_iter().map(Value::from));
    }
    sql.push_str(" ORDER BY certificate_number");
    let members = c
        .query_all_raw(Statement::from_sql_and_values(b, sql, vals))
        .await?
        .iter()
        .map(from_row)
        .collect::<Result<Vec<_>>>()?;
    let members = with_qualifications(c, members).await?;
    let ids: Vec<Uuid> = members.iter().map(|m| m.id).collect();
    let mut conflicts: HashMap<Uuid, Vec<ConflictRef>> = HashMap::new();
    for chunk in ids.chunks(500) {
        let sql = format!(
            "SELECT k.inspector_id, k.entity_id, e.usci FROM inspector_conflicts k JOIN entities e ON e.id = k.entity_id WHERE k.inspector_id IN ({})",
            placeholders(1, chunk.len())
        );
        let vals: Vec<Value> = chunk.iter().map(|u| Value::from(*u)).collect();
        for r in c
            .query_all_raw(Statement::from_sql_and_values(b, sql, vals))
            .await?
        {
            conflicts
                .entry(r.try_get("", "inspector_id")?)
                .or_default()
                .push(ConflictRef {
                    entity_id: r.try_get("", "entity_id")?,
                    usci: r.try_get("", "usci")?,
                });
        }
    }
    Ok(members
        .into_iter()
        .map(|m| {
            let mut cs = conflicts.remove(&m.id).unwrap_or_default();
            cs.sort();
            PoolMember {
                id: m.id,
                name: m.name,
                certificate_number: m.certificate_number,
                department_id: m.department_id,
                region_code: m.region_code,
                kind: m.kind,
                qualifications: m.qualifications,
                conflicts: cs,
                user_id: m.user_id,
            }
        })
        .collect())
}

/// The officers a draw in `region` may pick: active (在岗) law-enforcement officers located in
/// the region's subtree whose department is one of `department_ids` (every department when
/// empty), with their qualifications and declared conflicts, ordered by certificate number.
/// Members on leave, who left, and experts are not in it (experts: [`expert_pool`]).
pub async fn pool(
    c: &impl ConnectionTrait,
    region: &RegionCode,
    department_ids: &[Uuid],
) -> Result<Vec<PoolMember>> {
    pool_of_kind(c, region, department_ids, InspectorKind::Officer).await
}

/// The experts (专家库) a draw may add when a plan asks for them: like [`pool`], for active
/// members of kind expert.
pub async fn expert_pool(
    c: &impl ConnectionTrait,
    region: &RegionCode,
    department_ids: &[Uuid],
) -> Result<Vec<PoolMember>> {
    pool_of_kind(c, region, department_ids, InspectorKind::Expert).await
}
