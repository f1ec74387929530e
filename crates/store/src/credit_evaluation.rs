//! The credit evaluation (信用评价, issue 15 item 2): index versions, runs, the changes of each
//! run, every entity's latest result, manual overrides, and the facts the evaluation scores,
//! aggregated in SQL per entity over `credit_entries` and `credit_records` within a
//! region. Every list and get applies the caller's scope (the region column; evaluation rows
//! are shared by every line, like the directory).

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, Utc};
use lianjian_domain::credit::RecordDetail;
use lianjian_domain::credit::evaluation::{Evaluation, Facts, IndexDef};
use lianjian_domain::directory::CreditClass;
use lianjian_domain::region::RegionCode;
use lianjian_domain::scope::Scope;
use sea_orm::{ConnectionTrait, Value};
use serde::Serialize;
use uuid::Uuid;

use crate::cases::{CaseList, one_in_scope};
use crate::scope::{Line, Shape};
use crate::{Page, PageRequest, Result, StoreError, stmt};

/// Indexes are catalogue rows: a county sees its city's and province's too.
const INDEX_SHAPE: Shape = Shape {
    region: "credit_indexes.region_code",
    ancestors_visible: true,
    line: Line::Shared,
};
const RUN_SHAPE: Shape = Shape::shared("credit_eval_runs.region_code");
const CHANGE_SHAPE: Shape = Shape::shared("credit_eval_changes.region_code");
const CURRENT_SHAPE: Shape = Shape::shared("credit_eval_current.region_code");
const OVERRIDE_SHAPE: Shape = Shape::shared("credit_overrides.region_code");
const ENTITY_SHAPE: Shape = Shape::shared("entities.region_code");
const ENTRY_SHAPE: Shape = Shape::shared("credit_entries.region_code");
const RECORD_SHAPE: Shape = Shape::shared("credit_records.region_code");

fn region_col(r: &sea_orm::QueryResult, col: &str) -> Result<RegionCode> {
    let s: String = r.try_get("", col)?;
    RegionCode::parse(&s).map_err(|e| StoreError::Corrupt(format!("{col}: {}", e.en)))
}

fn class(r: &sea_orm::QueryResult, col: &str) -> Result<CreditClass> {
    crate::coded(r, col, CreditClass::parse)
}

fn json<T: serde::de::DeserializeOwned>(r: &sea_orm::QueryResult, col: &str) -> Result<T> {
    let s: String = r.try_get("", col)?;
    serde_json::from_str(&s).map_err(|e| StoreError::Corrupt(format!("{col}: {e}")))
}

fn to_json(v: &impl Serialize) -> String {
    serde_json::to_string(v).expect("evaluation values serialize")
}

// ---------------------------------------------------------------------------------------
// Index versions

/// An index with its current version.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct CreditIndex {
    pub id: Uuid,
    #[schema(value_type = String)]
    pub region_code: RegionCode,
    /// A sector's own index; none for the region's default.
    pub sector_id: Option<Uuid>,
    pub name: String,
    pub version: i32,
    pub definition: IndexDef,
    pub updated_by: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// One version of an index as it was saved.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[schema(as = CreditIndexVersion)]
pub struct IndexVersion {
    pub index_id: Uuid,
    pub version: i32,
    pub name: String,
    pub definition: IndexDef,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
}

const INDEX_COLS: &str = "credit_indexes.id, credit_indexes.region_code, credit_indexes.sector_id, \
    credit_indexes.name, credit_indexes.version, credit_indexes.definition, \
    credit_indexes.updated_by, credit_indexes.created_at, credit_indexes.updated_at";

fn index_row(r: &sea_orm::QueryResult) -> Result<CreditIndex> {
    Ok(CreditIndex {
        id: r.try_get("", "id")?,
        region_code: region_col(r, "region_code")?,
        sector_id: r.try_get("", "sector_id")?,
        name: r.try_get("", "name")?,
        version: r.try_get("", "version")?,
        definition: json(r, "definition")?,
        updated_by: r.try_get("", "updated_by")?,
        created_at: r.try_get("", "created_at")?,
        updated_at: r.try_get("", "updated_at")?,
    })
}

async fn insert_version(c: &impl ConnectionTrait, x: &CreditIndex) -> Result<()> {
    c.execute_raw(stmt(
        c,
        "INSERT INTO credit_index_versions (index_id, version, region_code, name, definition, \
         created_by, created_at) VALUES ($1,$2,$3,$4,$5,$6,$7)",
        vec![
            x.id.into(),
            x.version.into(),
            x.region_code.to_string().into(),
            x.name.clone().into(),
            to_json(&x.definition).into(),
            x.updated_by.clone().into(),
            x.updated_at.into(),
        ],
    ))
    .await?;
    Ok(())
}

/// Saves a new index (version 1) and its first version row.
pub async fn insert_index(c: &impl ConnectionTrait, x: &CreditIndex) -> Result<()> {
    c.execute_raw(stmt(
        c,
        "INSERT INTO credit_indexes (id, region_code, sector_id, name, version, definition, \
         updated_by, created_at, updated_at) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9)",
        vec![
            x.id.into(),
            x.region_code.to_string().into(),
            x.sector_id.into(),
            x.name.clone().into(),
            x.version.into(),
            to_json(&x.definition).into(),
            x.updated_by.clone().into(),
            x.created_at.into(),
            x.updated_at.into(),
        ],
    ))
    .await?;
    insert_version(c, x).await
}

/// Writes `x` as the next version of its index when the index is still at `x.version - 1`
/// (compare-and-set: two editors cannot both make the same version). False when it had moved.
pub async fn save_version(c: &impl ConnectionTrait, x: &CreditIndex) -> Result<bool> {
    let r = c
        .execute_raw(stmt(
            c,
            "UPDATE credit_indexes SET name = $2, version = $3, definition = $4, updated_by = $5, \
             updated_at = $6 WHERE id = $1 AND version = $7",
            vec![
                x.id.into(),
                x.name.clone().into(),
                x.version.into(),
                to_json(&x.definition).into(),
                x.updated_by.clone().into(),
                x.updated_at.into(),
                (x.version - 1).into(),
            ],
        ))
        .await?;
    if r.rows_affected() == 0 {
        return Ok(false);
    }
    insert_version(c, x).await?;
    Ok(true)
}

/// One index within `scope`.
pub async fn get_index(
    c: &impl ConnectionTrait,
    scope: &Scope,
    id: Uuid,
) -> Result<Option<CreditIndex>> {
    let mut vals: Vec<Value> = vec![id.into()];
    let w = crate::scope::sql(scope, &INDEX_SHAPE, &mut vals);
    c.query_one_raw(stmt(
        c,
        format!("SELECT {INDEX_COLS} FROM credit_indexes WHERE credit_indexes.id = $1 AND {w}"),
        vals,
    ))
    .await?
    .map(|r| index_row(&r))
    .transpose()
}

/// Every index within `scope` (a region sees its ancestors' too), nearest region last.
pub async fn list_indexes(c: &impl ConnectionTrait, scope: &Scope) -> Result<Vec<CreditIndex>> {
    let mut vals: Vec<Value> = Vec::new();
    let w = crate::scope::sql(scope, &INDEX_SHAPE, &mut vals);
    c.query_all_raw(stmt(
        c,
        format!(
            "SELECT {INDEX_COLS} FROM credit_indexes WHERE {w} \
             ORDER BY credit_indexes.region_code, credit_indexes.name"
        ),
        vals,
    ))
    .await?
    .iter()
    .map(index_row)
    .collect()
}

/// The region's default index: the one without a sector defined nearest above or at `region`.
pub async fn default_index_for(
    c: &impl ConnectionTrait,
    region: &RegionCode,
) -> Result<Option<CreditIndex>> {
    let lineage: Vec<Value> = region
        .lineage()
        .iter()
        .map(|r| Value::from(r.to_string()))
        .collect();
    let n = lineage.len();
    let rows = c
        .query_all_raw(stmt(
            c,
            format!(
                "SELECT {INDEX_COLS} FROM credit_indexes WHERE sector_id IS NULL AND region_code IN ({}) \
                 ORDER BY created_at",
                crate::placeholders(1, n)
            ),
            lineage,
        ))
        .await?;
    let mut best: Option<CreditIndex> = None;
    for r in &rows {
        let x = index_row(r)?;
        if best
            .as_ref()
            .is_none_or(|b| x.region_code.as_str().len() > b.region_code.as_str().len())
        {
            best = Some(x);
        }
    }
    Ok(best)
}

/// Every version of one index, newest first (the caller checked the index is in scope).
pub async fn versions(c: &impl ConnectionTrait, index_id: Uuid) -> Result<Vec<IndexVersion>> {
    c.query_all_raw(stmt(
        c,
        "SELECT index_id, version, name, definition, created_by, created_at \
         FROM credit_index_versions WHERE index_id = $1 ORDER BY version DESC",
        vec![index_id.into()],
    ))
    .await?
    .iter()
    .map(|r| {
        Ok(IndexVersion {
            index_id: r.try_get("", "index_id")?,
            version: r.try_get("", "version")?,
            name: r.try_get("", "name")?,
            definition: json(r, "definition")?,
            created_by: r.try_get("", "created_by")?,
            created_at: r.try_get("", "created_at")?,
        })
    })
    .collect()
}

/// One version of an index (the run's, to explain its results).
pub async fn version(
    c: &impl ConnectionTrait,
    index_id: Uuid,
    version: i32,
) -> Result<Option<IndexVersion>> {
    Ok(versions(c, index_id)
        .await?
        .into_iter()
        .find(|v| v.version == version))
}

// ---------------------------------------------------------------------------------------
// Runs

/// An evaluation run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[schema(as = CreditEvalRun)]
pub struct Run {
    pub id: Uuid,
    #[schema(value_type = String)]
    pub region_code: RegionCode,
    pub index_id: Uuid,
    pub index_version: i32,
    /// `manual` or `quarterly`.
    pub trigger: String,
    /// `running`, `finished` or `failed`.
    pub status: String,
    pub evaluated_on: NaiveDate,
    pub entities: i64,
    pub changed: i64,
    pub class_a: i64,
    pub class_b: i64,
    pub class_c: i64,
    pub class_d: i64,
    pub overridden: i64,
    pub error: Option<String>,
    pub created_by: String,
    pub started_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
}

const RUN_COLS: &str = "credit_eval_runs.id, credit_eval_runs.region_code, credit_eval_runs.index_id, \
    credit_eval_runs.index_version, credit_eval_runs.trigger, credit_eval_runs.status, \
    credit_eval_runs.evaluated_on, credit_eval_runs.entities, credit_eval_runs.changed, \
    credit_eval_runs.class_a, credit_eval_runs.class_b, credit_eval_runs.class_c, \
    credit_eval_runs.class_d, credit_eval_runs.overridden, credit_eval_runs.error, \
    credit_eval_runs.created_by, credit_eval_runs.started_at, credit_eval_runs.finished_at";

fn run_row(r: &sea_orm::QueryResult) -> Result<Run> {
    Ok(Run {
        id: r.try_get("", "id")?,
        region_code: region_col(r, "region_code")?,
        index_id: r.try_get("", "index_id")?,
        index_version: r.try_get("", "index_version")?,
        trigger: r.try_get("", "trigger")?,
        status: r.try_get("", "status")?,
        evaluated_on: r.try_get("", "evaluated_on")?,
        entities: r.try_get("", "entities")?,
        changed: r.try_get("", "changed")?,
        class_a: r.try_get("", "class_a")?,
        class_b: r.try_get("", "class_b")?,
        class_c: r.try_get("", "class_c")?,
        class_d: r.try_get("", "class_d")?,
        overridden: r.try_get("", "overridden")?,
        error: r.try_get("", "error")?,
        created_by: r.try_get("", "created_by")?,
        started_at: r.try_get("", "started_at")?,
        finished_at: r.try_get("", "finished_at")?,
    })
}

pub async fn insert_run(c: &impl ConnectionTrait, x: &Run) -> Result<()> {
    c.execute_raw(stmt(
        c,
        format!(
            "INSERT INTO credit_eval_runs ({}) VALUES ({})",
            RUN_COLS.replace("credit_eval_runs.", ""),
            crate::placeholders(1, 18)
        ),
        vec![
            x.id.into(),
            x.region_code.to_string().into(),
            x.index_id.into(),
            x.index_version.into(),
            x.trigger.clone().into(),
            x.status.clone().into(),
            x.evaluated_on.into(),
            x.entities.into(),
            x.changed.into(),
            x.class_a.into(),
            x.class_b.into(),
            x.class_c.into(),
            x.class_d.into(),
            x.overridden.into(),
            x.error.clone().into(),
            x.created_by.clone().into(),
            x.started_at.into(),
            x.finished_at.into(),
        ],
    ))
    .await?;
    Ok(())
}

/// Writes a run's outcome (status, counts, error, finish time).
pub async fn finish_run(c: &impl ConnectionTrait, x: &Run) -> Result<()> {
    c.execute_raw(stmt(
        c,
        "UPDATE credit_eval_runs SET status = $2, entities = $3, changed = $4, class_a = $5, \
         class_b = $6, class_c = $7, class_d = $8, overridden = $9, error = $10, finished_at = $11 \
         WHERE id = $1",
        vec![
            x.id.into(),
            x.status.clone().into(),
            x.entities.into(),
            x.changed.into(),
            x.class_a.into(),
            x.class_b.into(),
            x.class_c.into(),
            x.class_d.into(),
            x.overridden.into(),
            x.error.clone().into(),
            x.finished_at.into(),
        ],
    ))
    .await?;
    Ok(())
}

pub async fn get_run(c: &impl ConnectionTrait, scope: &Scope, id: Uuid) -> Result<Option<Run>> {
    one_in_scope(
        c,
        ("credit_eval_runs", &RUN_SHAPE),
        RUN_COLS,
        scope,
        id,
        run_row,
    )
    .await
}

/// Runs within `scope`, newest first.
pub async fn list_runs(
    c: &impl ConnectionTrait,
    scope: &Scope,
    page: PageRequest,
) -> Result<Page<Run>> {
    CaseList::scoped("credit_eval_runs", scope, &RUN_SHAPE)
        .page(c, RUN_COLS, "started_at DESC, id", page, run_row)
        .await
}

/// Whether a run over exactly `region` started at or after `since` (finished or still
/// running): the quarterly pass runs only where none did.
/// The latest finished run over a region holding `region` (the index version an entity of it
/// was last evaluated with).
pub async fn last_finished_over(
    c: &impl ConnectionTrait,
    region: &RegionCode,
) -> Result<Option<Run>> {
    let rows = c
        .query_all_raw(stmt(
            c,
            format!(
                "SELECT {RUN_COLS} FROM credit_eval_runs WHERE status = 'finished' ORDER BY started_at DESC LIMIT 200"
            ),
            Vec::new(),
        ))
        .await?;
    for r in &rows {
        let run = run_row(r)?;
        if region.is_within(&run.region_code) {
            return Ok(Some(run));
        }
    }
    Ok(None)
}

pub async fn ran_since(
    c: &impl ConnectionTrait,
    region: &RegionCode,
    since: DateTime<Utc>,
) -> Result<bool> {
    Ok(c.query_one_raw(stmt(
        c,
        "SELECT COUNT(*) AS n FROM credit_eval_runs WHERE region_code = $1 AND started_at >= $2 \
             AND status <> 'failed'",
        vec![region.to_string().into(), since.into()],
    ))
    .await?
    .map(|r| r.try_get::<i64>("", "n"))
    .transpose()?
    .unwrap_or(0)
        > 0)
}

/// Whether a run over `region`, an ancestor or a descendant started after `since` is running
/// now (one at a time over any piece of the directory, or two runs would write classes over
/// each other). Runs started before `since` and still marked running were cut off (the server
/// stopped) and no longer block.
pub async fn running_over(
    c: &impl ConnectionTrait,
    region: &RegionCode,
    since: DateTime<Utc>,
) -> Result<bool> {
    let rows = c
        .query_all_raw(stmt(
            c,
            "SELECT region_code FROM credit_eval_runs WHERE status = 'running' AND started_at >= $1",
            vec![since.into()],
        ))
        .await?;
    for r in &rows {
        let other = region_col(r, "region_code")?;
        if other.is_within(region) || region.is_within(&other) {
            return Ok(true);
        }
    }
    Ok(false)
}

// ---------------------------------------------------------------------------------------
// Facts

/// Cut-off dates of the index's windows, and the day of the run.
#[derive(Debug, Clone, Copy)]
pub struct Windows {
    pub today: NaiveDate,
    pub penalties_from: NaiveDate,
    pub inspections_from: NaiveDate,
    pub complaints_from: NaiveDate,
    pub commendations_from: NaiveDate,
}

/// One entity as the evaluation sees it: the class in force, and where it came from.
#[derive(Debug, Clone)]
pub struct Subject {
    pub id: Uuid,
    pub region_code: String,
    pub class: Option<CreditClass>,
    pub facts: Facts,
}

fn sat(n: i64) -> u16 {
    u16::try_from(n.max(0)).unwrap_or(u16::MAX)
}

/// The facts of every entity within `scope` (the run's region), aggregated per entity in SQL,
/// in credit-code order.
pub async fn facts(
    c: &impl ConnectionTrait,
    scope: &Scope,
    w: &Windows,
    only: Option<Uuid>,
) -> Result<Vec<Subject>> {
    // One entity (re-evaluated after a repair or a sanction) or every entity of the scope.
    let one = |vals: &mut Vec<Value>, col: &str| match only {
        Some(id) => {
            vals.push(id.into());
            format!(" AND {col} = ${}", vals.len())
        }
        None => String::new(),
    };
    let mut vals: Vec<Value> = Vec::new();
    let cond = crate::scope::sql(scope, &ENTITY_SHAPE, &mut vals);
    let cond = format!("{cond}{}", one(&mut vals, "id"));
    let rows = c
        .query_all_raw(stmt(
            c,
            format!(
                "SELECT id, region_code, credit_class FROM entities WHERE {cond} ORDER BY usci"
            ),
            vals,
        ))
        .await?;
    let mut out: Vec<Subject> = Vec::with_capacity(rows.len());
    let mut at: HashMap<Uuid, usize> = HashMap::with_capacity(rows.len());
    for r in &rows {
        let id: Uuid = r.try_get("", "id")?;
        at.insert(id, out.len());
        out.push(Subject {
            id,
            region_code: r.try_get("", "region_code")?,
            class: crate::coded_opt(r, "credit_class", CreditClass::parse)?,
            facts: Facts::default(),
        });
    }

    // Penalties by tier, listings, commendations and verified complaints (written by the
    // clue's 办结): one GROUP BY over credit_entries.
    let mut vals: Vec<Value> = vec![
        w.penalties_from.into(),
        w.commendations_from.into(),
        w.today.into(),
        w.complaints_from.into(),
    ];
    let cond = crate::scope::sql(scope, &ENTRY_SHAPE, &mut vals);
    let cond = format!("{cond}{}", one(&mut vals, "entity_id"));
    let rows = c
        .query_all_raw(stmt(
            c,
            format!(
                "SELECT entity_id, \
                 SUM(CASE WHEN kind = 'penalty' AND tier = 'minor' AND occurred_on >= $1 AND occurred_on <= $3 THEN 1 ELSE 0 END) AS p_minor, \
                 SUM(CASE WHEN kind = 'penalty' AND tier = 'general' AND occurred_on >= $1 AND occurred_on <= $3 THEN 1 ELSE 0 END) AS p_general, \
                 SUM(CASE WHEN kind = 'penalty' AND tier = 'serious' AND occurred_on >= $1 AND occurred_on <= $3 THEN 1 ELSE 0 END) AS p_serious, \
                 SUM(CASE WHEN kind = 'abnormal' AND occurred_on <= $3 THEN 1 ELSE 0 END) AS abnormal, \
                 SUM(CASE WHEN kind = 'dishonest' AND occurred_on <= $3 THEN 1 ELSE 0 END) AS dishonest, \
                 SUM(CASE WHEN kind = 'commendation' AND occurred_on >= $2 AND occurred_on <= $3 THEN 1 ELSE 0 END) AS commendations, \
                 SUM(CASE WHEN kind = 'verified_clue' AND occurred_on >= $4 AND occurred_on <= $3 THEN 1 ELSE 0 END) AS complaints \
                 FROM credit_entries WHERE status = 'active' AND kind <> 'sanction' AND {cond} \
                 GROUP BY entity_id"
            ),
            vals,
        ))
        .await?;
    for r in &rows {
        let id: Uuid = r.try_get("", "entity_id")?;
        let Some(&i) = at.get(&id) else { continue };
        let f = &mut out[i].facts;
        let n = |col: &str| -> Result<i64> { Ok(r.try_get::<Option<i64>>("", col)?.unwrap_or(0)) };
        f.penalties = [
            sat(n("p_minor")?),
            sat(n("p_general")?),
            sat(n("p_serious")?),
        ];
        f.abnormal = n("abnormal")? > 0;
        f.dishonest = n("dishonest")? > 0;
        f.commendations = sat(n("commendations")?);
        f.complaints = sat(n("complaints")?);
    }

    // Sanctions in force: their end date and class-D flag live in the detail.
    let mut vals: Vec<Value> = vec![w.today.into()];
    let cond = crate::scope::sql(scope, &ENTRY_SHAPE, &mut vals);
    let cond = format!("{cond}{}", one(&mut vals, "entity_id"));
    let rows = c
        .query_all_raw(stmt(
            c,
            format!(
                "SELECT entity_id, detail FROM credit_entries WHERE kind = 'sanction' \
                 AND status = 'active' AND occurred_on <= $1 AND {cond}"
            ),
            vals,
        ))
        .await?;
    for r in &rows {
        let id: Uuid = r.try_get("", "entity_id")?;
        let Some(&i) = at.get(&id) else { continue };
        if let RecordDetail::Sanction { until, class_d, .. } = json::<RecordDetail>(r, "detail")?
            && until >= w.today
        {
            let f = &mut out[i].facts;
            f.sanctions = f.sanctions.saturating_add(1);
            f.sanction_class_d |= class_d;
        }
    }

    // Problems found by published inspections.
    let mut vals: Vec<Value> = vec![w.inspections_from.into(), w.today.into()];
    let cond = crate::scope::sql(scope, &RECORD_SHAPE, &mut vals);
    let cond = format!("{cond}{}", one(&mut vals, "entity_id"));
    let rows = c
        .query_all_raw(stmt(
            c,
            format!(
                "SELECT entity_id, \
                 SUM(CASE WHEN result_code = 'corrected' THEN 1 ELSE 0 END) AS rectified, \
                 SUM(CASE WHEN result_code IN ('not_publicised', 'false_publicity', 'pending', \
                 'uncooperative', 'other_department') THEN 1 ELSE 0 END) AS open \
                 FROM credit_records WHERE kind = 'inspection' AND recorded_on >= $1 \
                 AND recorded_on <= $2 AND {cond} GROUP BY entity_id"
            ),
            vals,
        ))
        .await?;
    for r in &rows {
        let id: Uuid = r.try_get("", "entity_id")?;
        let Some(&i) = at.get(&id) else { continue };
        let f = &mut out[i].facts;
        f.problems_rectified = sat(r.try_get::<Option<i64>>("", "rectified")?.unwrap_or(0));
        f.problems_open = sat(r.try_get::<Option<i64>>("", "open")?.unwrap_or(0));
    }

    Ok(out)
}

// ---------------------------------------------------------------------------------------
// Results

/// One entity whose class a run changed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[schema(as = CreditEvalChange)]
pub struct Change {
    pub run_id: Uuid,
    pub entity_id: Uuid,
    pub region_code: String,
    pub score: i32,
    #[serde(with = "lianjian_domain::credit::evaluation::letter")]
    #[schema(value_type = String)]
    pub class: CreditClass,
    #[serde(with = "lianjian_domain::credit::evaluation::letter_opt")]
    #[schema(value_type = Option<String>)]
    pub previous_class: Option<CreditClass>,
    pub overridden: bool,
    pub explanation: Evaluation,
}

/// A change with the entity's name and credit code, as departments read it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[schema(as = CreditEvalChangeRow)]
pub struct ChangeRow {
    #[serde(flatten)]
    pub change: Change,
    pub usci: String,
    pub entity_name: String,
}

/// Records the changes of a run (batched).
pub async fn insert_changes(c: &impl ConnectionTrait, rows: &[Change]) -> Result<()> {
    for chunk in rows.chunks(500) {
        let mut vals: Vec<Value> = Vec::with_capacity(chunk.len() * 8);
        let tuples: Vec<String> = chunk
            .iter()
            .map(|x| {
                let from = vals.len() + 1;
                vals.extend([
                    x.run_id.into(),
                    x.entity_id.into(),
                    x.region_code.clone().into(),
                    x.score.into(),
                    x.class.as_str().into(),
                    x.previous_class.map(CreditClass::as_str).into(),
                    x.overridden.into(),
                    to_json(&x.explanation).into(),
                ]);
                format!("({})", crate::placeholders(from, 8))
            })
            .collect();
        c.execute_raw(stmt(
            c,
            format!(
                "INSERT INTO credit_eval_changes (run_id, entity_id, region_code, score, class, \
                 previous_class, overridden, explanation) VALUES {}",
                tuples.join(",")
            ),
            vals,
        ))
        .await?;
    }
    Ok(())
}

/// A page of a run's changes within `scope` (each department reads those of its region).
pub async fn list_changes(
    c: &impl ConnectionTrait,
    scope: &Scope,
    run_id: Uuid,
    page: PageRequest,
) -> Result<Page<ChangeRow>> {
    let mut vals: Vec<Value> = vec![run_id.into()];
    let w = crate::scope::sql(scope, &CHANGE_SHAPE, &mut vals);
    crate::paged(
        c,
        "credit_eval_changes JOIN entities ON entities.id = credit_eval_changes.entity_id",
        "credit_eval_changes.run_id, credit_eval_changes.entity_id, credit_eval_changes.region_code, \
         credit_eval_changes.score, credit_eval_changes.class, credit_eval_changes.previous_class, \
         credit_eval_changes.overridden, credit_eval_changes.explanation, entities.usci, \
         entities.name AS entity_name",
        &format!("credit_eval_changes.run_id = $1 AND {w}"),
        "entities.usci",
        vals,
        page,
        |r| {
            Ok(ChangeRow {
                change: Change {
                    run_id: r.try_get("", "run_id")?,
                    entity_id: r.try_get("", "entity_id")?,
                    region_code: r.try_get("", "region_code")?,
                    score: r.try_get("", "score")?,
                    class: class(r, "class")?,
                    previous_class: crate::coded_opt(r, "previous_class", CreditClass::parse)?,
                    overridden: r.try_get("", "overridden")?,
                    explanation: json(r, "explanation")?,
                },
                usci: r.try_get("", "usci")?,
                entity_name: r.try_get("", "entity_name")?,
            })
        },
    )
    .await
}

/// An entity's latest evaluated result.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[schema(as = CreditEvalCurrent)]
pub struct Current {
    pub entity_id: Uuid,
    pub region_code: String,
    pub run_id: Uuid,
    pub index_version: i32,
    pub score: i32,
    #[serde(with = "lianjian_domain::credit::evaluation::letter")]
    #[schema(value_type = String)]
    pub class: CreditClass,
    pub evaluated_on: NaiveDate,
    pub facts: Facts,
}

/// Upserts the latest results (batched; one row per entity, read by key).
pub async fn upsert_current(c: &impl ConnectionTrait, rows: &[Current]) -> Result<()> {
    for chunk in rows.chunks(500) {
        let mut vals: Vec<Value> = Vec::with_capacity(chunk.len() * 8);
        let tuples: Vec<String> = chunk
            .iter()
            .map(|x| {
                let from = vals.len() + 1;
                vals.extend([
                    x.entity_id.into(),
                    x.region_code.clone().into(),
                    x.run_id.into(),
                    x.index_version.into(),
                    x.score.into(),
                    x.class.as_str().into(),
                    x.evaluated_on.into(),
                    to_json(&x.facts).into(),
                ]);
                format!("({})", crate::placeholders(from, 8))
            })
            .collect();
        c.execute_raw(stmt(
            c,
            format!(
                "INSERT INTO credit_eval_current (entity_id, region_code, run_id, index_version, \
                 score, class, evaluated_on, facts) VALUES {} \
                 ON CONFLICT (entity_id) DO UPDATE SET region_code = excluded.region_code, \
                 run_id = excluded.run_id, index_version = excluded.index_version, \
                 score = excluded.score, class = excluded.class, \
                 evaluated_on = excluded.evaluated_on, facts = excluded.facts",
                tuples.join(",")
            ),
            vals,
        ))
        .await?;
    }
    Ok(())
}

/// The latest result of one entity within `scope` (by primary key).
pub async fn current_of(
    c: &impl ConnectionTrait,
    scope: &Scope,
    entity_id: Uuid,
) -> Result<Option<Current>> {
    let mut vals: Vec<Value> = vec![entity_id.into()];
    let w = crate::scope::sql(scope, &CURRENT_SHAPE, &mut vals);
    c.query_one_raw(stmt(
        c,
        format!(
            "SELECT entity_id, region_code, run_id, index_version, score, class, evaluated_on, facts \
             FROM credit_eval_current WHERE entity_id = $1 AND {w}"
        ),
        vals,
    ))
    .await?
    .map(|r| {
        Ok(Current {
            entity_id: r.try_get("", "entity_id")?,
            region_code: r.try_get("", "region_code")?,
            run_id: r.try_get("", "run_id")?,
            index_version: r.try_get("", "index_version")?,
            score: r.try_get("", "score")?,
            class: class(&r, "class")?,
            evaluated_on: r.try_get("", "evaluated_on")?,
            facts: json(&r, "facts")?,
        })
    })
    .transpose()
}

/// The latest results within `scope` (the run compares with them to write only what moved).
pub async fn current_within(
    c: &impl ConnectionTrait,
    scope: &Scope,
) -> Result<HashMap<Uuid, (i32, i32, Facts)>> {
    let mut vals: Vec<Value> = Vec::new();
    let w = crate::scope::sql(scope, &CURRENT_SHAPE, &mut vals);
    let rows = c
        .query_all_raw(stmt(
            c,
            format!(
                "SELECT entity_id, index_version, score, facts FROM credit_eval_current WHERE {w}"
            ),
            vals,
        ))
        .await?;
    let mut out = HashMap::with_capacity(rows.len());
    for r in &rows {
        out.insert(
            r.try_get("", "entity_id")?,
            (
                r.try_get("", "index_version")?,
                r.try_get("", "score")?,
                json(r, "facts")?,
            ),
        );
    }
    Ok(out)
}

/// Sets the class in force of `ids` to `class`, dated `on`, source `source` (batched
/// `UPDATE … WHERE id IN`) and seals the rows. The caller appends them to the change feed.
pub async fn set_entity_classes(
    c: &impl ConnectionTrait,
    class: CreditClass,
    on: NaiveDate,
    source: &str,
    at: DateTime<Utc>,
    ids: &[Uuid],
) -> Result<()> {
    for chunk in ids.chunks(1000) {
        let mut vals: Vec<Value> = vec![class.as_str().into(), on.into(), source.into(), at.into()];
        vals.extend(chunk.iter().map(|i| Value::from(*i)));
        c.execute_raw(stmt(
            c,
            format!(
                "UPDATE entities SET credit_class = $1, credit_date = $2, credit_source = $3, \
                 updated_at = $4 WHERE id IN ({})",
                crate::placeholders(5, chunk.len())
            ),
            vals,
        ))
        .await?;
    }
    crate::seal::seal_ids(c, crate::seal::Sealed::Entities, ids).await
}

/// The counties (6-digit codes) that have entities: where the quarterly pass looks.
pub async fn counties_with_entities(c: &impl ConnectionTrait) -> Result<Vec<RegionCode>> {
    let rows = c
        .query_all_raw(stmt(
            c,
            "SELECT DISTINCT SUBSTR(region_code, 1, 6) AS county FROM entities \
             WHERE LENGTH(region_code) >= 6 ORDER BY county",
            vec![],
        ))
        .await?;
    let mut out = Vec::with_capacity(rows.len());
    for r in &rows {
        out.push(region_col(r, "county")?);
    }
    Ok(out)
}

// ---------------------------------------------------------------------------------------
// Overrides

/// A manual override of an entity's class (人工调整).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[schema(as = CreditOverride)]
pub struct Override {
    pub id: Uuid,
    pub entity_id: Uuid,
    pub region_code: String,
    #[serde(with = "lianjian_domain::credit::evaluation::letter")]
    #[schema(value_type = String)]
    pub class: CreditClass,
    pub reason: String,
    /// Last day in force; none: until revoked.
    pub until: Option<NaiveDate>,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
    pub revoked_at: Option<DateTime<Utc>>,
    pub revoked_by: Option<String>,
}

impl Override {
    /// In force on `today`.
    pub fn is_valid_on(&self, today: NaiveDate) -> bool {
        self.revoked_at.is_none() && self.until.is_none_or(|u| u >= today)
    }
}

const OVERRIDE_COLS: &str = "credit_overrides.id, credit_overrides.entity_id, \
    credit_overrides.region_code, credit_overrides.class, credit_overrides.reason, \
    credit_overrides.until, credit_overrides.created_by, credit_overrides.created_at, \
    credit_overrides.revoked_at, credit_overrides.revoked_by";

fn override_row(r: &sea_orm::QueryResult) -> Result<Override> {
    Ok(Override {
        id: r.try_get("", "id")?,
        entity_id: r.try_get("", "entity_id")?,
        region_code: r.try_get("", "region_code")?,
        class: class(r, "class")?,
        reason: r.try_get("", "reason")?,
        until: r.try_get("", "until")?,
        created_by: r.try_get("", "created_by")?,
        created_at: r.try_get("", "created_at")?,
        revoked_at: r.try_get("", "revoked_at")?,
        revoked_by: r.try_get("", "revoked_by")?,
    })
}

pub async fn insert_override(c: &impl ConnectionTrait, x: &Override) -> Result<()> {
    c.execute_raw(stmt(
        c,
        format!(
            "INSERT INTO credit_overrides ({}) VALUES ({})",
            OVERRIDE_COLS.replace("credit_overrides.", ""),
            crate::placeholders(1, 10)
        ),
        vec![
            x.id.into(),
            x.entity_id.into(),
            x.region_code.clone().into(),
            x.class.as_str().into(),
            x.reason.clone().into(),
            x.until.into(),
            x.created_by.clone().into(),
            x.created_at.into(),
            x.revoked_at.into(),
            x.revoked_by.clone().into(),
        ],
    ))
    .await?;
    Ok(())
}

/// Revokes every override of `entity_id` still unrevoked (a new override replaces them).
pub async fn revoke_overrides(
    c: &impl ConnectionTrait,
    entity_id: Uuid,
    by: &str,
    at: DateTime<Utc>,
) -> Result<u64> {
    Ok(c.execute_raw(stmt(
        c,
        "UPDATE credit_overrides SET revoked_at = $2, revoked_by = $3 \
             WHERE entity_id = $1 AND revoked_at IS NULL",
        vec![entity_id.into(), at.into(), by.into()],
    ))
    .await?
    .rows_affected())
}

/// Overrides of one entity within `scope`, newest first.
pub async fn overrides_of(
    c: &impl ConnectionTrait,
    scope: &Scope,
    entity_id: Uuid,
) -> Result<Vec<Override>> {
    let mut vals: Vec<Value> = vec![entity_id.into()];
    let w = crate::scope::sql(scope, &OVERRIDE_SHAPE, &mut vals);
    c.query_all_raw(stmt(
        c,
        format!(
            "SELECT {OVERRIDE_COLS} FROM credit_overrides WHERE entity_id = $1 AND {w} \
             ORDER BY created_at DESC"
        ),
        vals,
    ))
    .await?
    .iter()
    .map(override_row)
    .collect()
}

/// The overrides in force on `today` within `scope`, by entity.
pub async fn valid_overrides(
    c: &impl ConnectionTrait,
    scope: &Scope,
    today: NaiveDate,
) -> Result<HashMap<Uuid, Override>> {
    let mut vals: Vec<Value> = vec![today.into()];
    let w = crate::scope::sql(scope, &OVERRIDE_SHAPE, &mut vals);
    let rows = c
        .query_all_raw(stmt(
            c,
            format!(
                "SELECT {OVERRIDE_COLS} FROM credit_overrides WHERE revoked_at IS NULL \
                 AND (until IS NULL OR until >= $1) AND {w}"
            ),
            vals,
        ))
        .await?;
    let mut out = HashMap::new();
    for r in &rows {
        let o = override_row(r)?;
        out.insert(o.entity_id, o);
    }
    Ok(out)
}
