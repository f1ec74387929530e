//! The risk model (风险预测模型, issue 16 item 4): entities' histories as the model reads them
//! (one pass per source, keyed by entity — the style of `credit_evaluation::facts`, but dated
//! events instead of window counts, since a model is trained on features as of each
//! inspection's day), fitted models with their versions, and every entity's latest score and
//! level. Every list and get applies the caller's scope (the region column; risk rows are
//! shared by every line, like the directory). Nothing here is public.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, Utc};
use lianjian_domain::credit::Tier;
use lianjian_domain::region::RegionCode;
use lianjian_domain::risk::{Evaluation, History, Levels, Model, PROBLEM_CODES};
use lianjian_domain::scope::Scope;
use lianjian_domain::visit::beijing_date;
use sea_orm::{ConnectionTrait, Value};
use serde::Serialize;
use uuid::Uuid;

use crate::cases::{CaseList, one_in_scope};
use crate::scope::Shape;
use crate::{Page, PageRequest, Result, StoreError, stmt};

const MODEL_SHAPE: Shape = Shape::shared("risk_models.region_code");
const SCORE_SHAPE: Shape = Shape::shared("risk_scores.region_code");
const ENTITY_SHAPE: Shape = Shape::shared("entities.region_code");
const VISIT_SHAPE: Shape = Shape::shared("visits.region_code");
const RECT_SHAPE: Shape = Shape::shared("rectifications.region_code");
const CLUE_SHAPE: Shape = Shape::shared("clues.region_code");
const WARNING_SHAPE: Shape = Shape::shared("warnings.region_code");
const ENTRY_SHAPE: Shape = Shape::shared("credit_entries.region_code");
const LICENCE_SHAPE: Shape = Shape::shared("entity_licences.region_code");
const TAG_SHAPE: Shape = Shape::shared("entity_tags.region_code");

fn json<T: serde::de::DeserializeOwned>(r: &sea_orm::QueryResult, col: &str) -> Result<T> {
    let s: String = r.try_get("", col)?;
    serde_json::from_str(&s).map_err(|e| StoreError::Corrupt(format!("{col}: {e}")))
}

fn to_json(v: &impl Serialize) -> String {
    serde_json::to_string(v).expect("risk values serialize")
}

fn region_col(r: &sea_orm::QueryResult, col: &str) -> Result<RegionCode> {
    let s: String = r.try_get("", col)?;
    RegionCode::parse(&s).map_err(|e| StoreError::Corrupt(format!("{col}: {}", e.en)))
}

// ---------------------------------------------------------------------------------------
// Histories

/// One entity with its history up to a day.
#[derive(Debug, Clone)]
pub struct Subject {
    pub id: Uuid,
    pub region_code: String,
    pub history: History,
}

/// The history of every entity within `scope` (or only `only`), events up to and including
/// `until`, in credit-code order. One query per source, each keyed by entity. Who inspected
/// is never read.
pub async fn histories(
    c: &impl ConnectionTrait,
    scope: &Scope,
    until: NaiveDate,
    only: Option<Uuid>,
) -> Result<Vec<Subject>> {
    let one = |vals: &mut Vec<Value>, col: &str| match only {
        Some(id) => {
            vals.push(id.into());
            format!(" AND {col} = ${}", vals.len())
        }
        None => String::new(),
    };
    let mut vals: Vec<Value> = Vec::new();
    let cond = crate::scope::sql(scope, &ENTITY_SHAPE, &mut vals);
    let cond = format!("{cond}{}", one(&mut vals, "entities.id"));
    let rows = c
        .query_all_raw(stmt(
            c,
            format!("SELECT id, region_code, created_at FROM entities WHERE {cond} ORDER BY usci"),
            vals,
        ))
        .await?;
    let mut out: Vec<Subject> = Vec::with_capacity(rows.len());
    let mut at: HashMap<Uuid, usize> = HashMap::with_capacity(rows.len());
    for r in &rows {
        let id: Uuid = r.try_get("", "id")?;
        let created: DateTime<Utc> = r.try_get("", "created_at")?;
        at.insert(id, out.len());
        out.push(Subject {
            id,
            region_code: r.try_get("", "region_code")?,
            history: History {
                listed_on: Some(beijing_date(created)),
                ..History::default()
            },
        });
    }
    // Upper bound for timestamps: the end of `until` in Beijing time.
    let until_end = until
        .succ_opt()
        .unwrap_or(until)
        .and_hms_opt(0, 0, 0)
        .expect("midnight")
        .and_utc()
        - chrono::Duration::hours(8);

    // Inspections with a result: one row per visit, problem if any department's part found one.
    let codes: Vec<String> = PROBLEM_CODES.iter().map(|c| format!("'{c}'")).collect();
    let mut vals: Vec<Value> = vec![until_end.into()];
    let cond = crate::scope::sql(scope, &VISIT_SHAPE, &mut vals);
    let cond = format!("{cond}{}", one(&mut vals, "visits.entity_id"));
    let rows = c
        .query_all_raw(stmt(
            c,
            format!(
                "SELECT visits.entity_id, visits.visited_on, visits.completed_at, \
                 MAX(CASE WHEN visit_results.result_code IN ({}) THEN 1 ELSE 0 END) AS problem \
                 FROM visits JOIN visit_results ON visit_results.visit_id = visits.id \
                 WHERE visits.completed_at IS NOT NULL AND visits.completed_at < $1 \
                 AND visit_results.result_code IS NOT NULL AND {cond} \
                 GROUP BY visits.id, visits.entity_id, visits.visited_on, visits.completed_at",
                codes.join(",")
            ),
            vals,
        ))
        .await?;
    for r in &rows {
        let id: Uuid = r.try_get("", "entity_id")?;
        let Some(&i) = at.get(&id) else { continue };
        let on: Option<NaiveDate> = r.try_get("", "visited_on")?;
        let done: DateTime<Utc> = r.try_get("", "completed_at")?;
        let day = on.unwrap_or_else(|| beijing_date(done));
        if day <= until {
            let p: i32 = r.try_get("", "problem")?;
            out[i].history.inspections.push((day, p > 0));
        }
    }

    // Rectification orders and the day they passed review.
    let mut vals: Vec<Value> = vec![until.into()];
    let cond = crate::scope::sql(scope, &RECT_SHAPE, &mut vals);
    let cond = format!("{cond}{}", one(&mut vals, "rectifications.entity_id"));
    let rows = c
        .query_all_raw(stmt(
            c,
            format!(
                "SELECT entity_id, issued_on, status, closed_at FROM rectifications \
                 WHERE issued_on <= $1 AND {cond}"
            ),
            vals,
        ))
        .await?;
    for r in &rows {
        let id: Uuid = r.try_get("", "entity_id")?;
        let Some(&i) = at.get(&id) else { continue };
        let status: String = r.try_get("", "status")?;
        let closed: Option<DateTime<Utc>> = r.try_get("", "closed_at")?;
        let passed = closed
            .filter(|_| status == "passed")
            .map(beijing_date)
            .filter(|d| *d <= until);
        out[i]
            .history
            .rectifications
            .push((r.try_get("", "issued_on")?, passed));
    }

    // Complaints and reports naming the entity, handled to the end.
    let mut vals: Vec<Value> = vec![until_end.into()];
    let cond = crate::scope::sql(scope, &CLUE_SHAPE, &mut vals);
    let cond = format!("{cond}{}", one(&mut vals, "clues.entity_id"));
    let rows = c
        .query_all_raw(stmt(
            c,
            format!(
                "SELECT entity_id, finished_at FROM clues WHERE entity_id IS NOT NULL \
                 AND kind IN ('complaint', 'report') AND status IN ('finished', 'closed') \
                 AND finished_at < $1 AND {cond}"
            ),
            vals,
        ))
        .await?;
    for r in &rows {
        let id: Uuid = r.try_get("", "entity_id")?;
        let Some(&i) = at.get(&id) else { continue };
        let at_: DateTime<Utc> = r.try_get("", "finished_at")?;
        out[i].history.complaints.push(beijing_date(at_));
    }

    // Risk warnings about the entity, on the day each was first raised.
    let mut vals: Vec<Value> = vec![until_end.into()];
    let cond = crate::scope::sql(scope, &WARNING_SHAPE, &mut vals);
    let cond = format!("{cond}{}", one(&mut vals, "warnings.entity_id"));
    let rows = c
        .query_all_raw(stmt(
            c,
            format!("SELECT entity_id, first_at FROM warnings WHERE first_at < $1 AND {cond}"),
            vals,
        ))
        .await?;
    for r in &rows {
        let id: Uuid = r.try_get("", "entity_id")?;
        let Some(&i) = at.get(&id) else { continue };
        let at_: DateTime<Utc> = r.try_get("", "first_at")?;
        out[i].history.warnings.push(beijing_date(at_));
    }

    // Penalties in the credit file, by tier.
    let mut vals: Vec<Value> = vec![until.into()];
    let cond = crate::scope::sql(scope, &ENTRY_SHAPE, &mut vals);
    let cond = format!("{cond}{}", one(&mut vals, "credit_entries.entity_id"));
    let rows = c
        .query_all_raw(stmt(
            c,
            format!(
                "SELECT entity_id, occurred_on, tier FROM credit_entries WHERE kind = 'penalty' \
                 AND status = 'active' AND occurred_on <= $1 AND {cond}"
            ),
            vals,
        ))
        .await?;
    for r in &rows {
        let id: Uuid = r.try_get("", "entity_id")?;
        let Some(&i) = at.get(&id) else { continue };
        let tier: Option<Tier> = crate::coded_opt(r, "tier", Tier::parse)?;
        if let Some(t) = tier {
            out[i]
                .history
                .penalties
                .push((r.try_get("", "occurred_on")?, t));
        }
    }

    // Licences held.
    let mut vals: Vec<Value> = Vec::new();
    let cond = crate::scope::sql(scope, &LICENCE_SHAPE, &mut vals);
    let cond = format!("{cond}{}", one(&mut vals, "entity_licences.entity_id"));
    let rows = c
        .query_all_raw(stmt(
            c,
            format!(
                "SELECT entity_id, licence_type, valid_from, valid_to FROM entity_licences \
                 WHERE {cond}"
            ),
            vals,
        ))
        .await?;
    for r in &rows {
        let id: Uuid = r.try_get("", "entity_id")?;
        let Some(&i) = at.get(&id) else { continue };
        out[i].history.licences.push((
            r.try_get("", "licence_type")?,
            r.try_get("", "valid_from")?,
            r.try_get("", "valid_to")?,
        ));
    }

    // Risk weights of tags in force on `until` (tags carry no history of their weights).
    let mut vals: Vec<Value> = vec![until.into()];
    let cond = crate::scope::sql(scope, &TAG_SHAPE, &mut vals);
    let cond = format!("{cond}{}", one(&mut vals, "entity_tags.entity_id"));
    let rows = c
        .query_all_raw(stmt(
            c,
            format!(
                "SELECT entity_tags.entity_id, entity_tags.created_at, tags.risk_weight \
                 FROM entity_tags JOIN tags ON tags.id = entity_tags.tag_id \
                 WHERE tags.status = 'active' AND tags.risk_weight > 1 \
                 AND (tags.valid_from IS NULL OR tags.valid_from <= $1) \
                 AND (tags.valid_to IS NULL OR tags.valid_to >= $1) AND {cond}"
            ),
            vals,
        ))
        .await?;
    for r in &rows {
        let id: Uuid = r.try_get("", "entity_id")?;
        let Some(&i) = at.get(&id) else { continue };
        let created: DateTime<Utc> = r.try_get("", "created_at")?;
        let w: i32 = r.try_get("", "risk_weight")?;
        out[i].history.tags.push((
            beijing_date(created),
            u8::try_from(w.clamp(1, 9)).unwrap_or(1),
        ));
    }
    Ok(out)
}

// ---------------------------------------------------------------------------------------
// Models

/// A fitted model (one version of its region's).
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct RiskModel {
    pub id: Uuid,
    #[schema(value_type = String)]
    pub region_code: RegionCode,
    pub version: i32,
    /// `manual` (fitted from the console, API or CLI) or `demo` (synthetic history).
    pub origin: String,
    pub definition: Model,
    pub levels: Levels,
    pub train_from: NaiveDate,
    pub train_to: NaiveDate,
    /// The held-out period is the day after `train_to` to `eval_to`.
    pub eval_to: NaiveDate,
    /// Inspections in the training window, and those that found a problem.
    pub samples: i64,
    pub positives: i64,
    pub evaluation: Option<Evaluation>,
    pub fitted_by: String,
    pub fitted_at: DateTime<Utc>,
    /// The day the region's entities were last scored with it, and how many.
    pub scored_on: Option<NaiveDate>,
    pub scored: i64,
}

const MODEL_COLS: &str = "risk_models.id, risk_models.region_code, risk_models.version, \
    risk_models.origin, risk_models.definition, risk_models.levels, risk_models.train_from, \
    risk_models.train_to, risk_models.eval_to, risk_models.samples, risk_models.positives, \
    risk_models.evaluation, risk_models.fitted_by, risk_models.fitted_at, \
    risk_models.scored_on, risk_models.scored";

fn model_row(r: &sea_orm::QueryResult) -> Result<RiskModel> {
    let evaluation: Option<String> = r.try_get("", "evaluation")?;
    Ok(RiskModel {
        id: r.try_get("", "id")?,
        region_code: region_col(r, "region_code")?,
        version: r.try_get("", "version")?,
        origin: r.try_get("", "origin")?,
        definition: json(r, "definition")?,
        levels: json(r, "levels")?,
        train_from: r.try_get("", "train_from")?,
        train_to: r.try_get("", "train_to")?,
        eval_to: r.try_get("", "eval_to")?,
        samples: r.try_get("", "samples")?,
        positives: r.try_get("", "positives")?,
        evaluation: evaluation
            .map(|s| serde_json::from_str(&s))
            .transpose()
            .map_err(|e| StoreError::Corrupt(format!("evaluation: {e}")))?,
        fitted_by: r.try_get("", "fitted_by")?,
        fitted_at: r.try_get("", "fitted_at")?,
        scored_on: r.try_get("", "scored_on")?,
        scored: r.try_get("", "scored")?,
    })
}

/// The next version number of `region`'s models (read inside the writing transaction).
pub async fn next_version(c: &impl ConnectionTrait, region: &RegionCode) -> Result<i32> {
    let n: Option<i32> = c
        .query_one_raw(stmt(
            c,
            "SELECT MAX(version) AS v FROM risk_models WHERE region_code = $1",
            vec![region.to_string().into()],
        ))
        .await?
        .map(|r| r.try_get::<Option<i32>>("", "v"))
        .transpose()?
        .flatten();
    Ok(n.unwrap_or(0) + 1)
}

pub async fn insert_model(c: &impl ConnectionTrait, x: &RiskModel) -> Result<()> {
    c.execute_raw(stmt(
        c,
        format!(
            "INSERT INTO risk_models ({}) VALUES ({})",
            MODEL_COLS.replace("risk_models.", ""),
            crate::placeholders(1, 16)
        ),
        vec![
            x.id.into(),
            x.region_code.to_string().into(),
            x.version.into(),
            x.origin.clone().into(),
            to_json(&x.definition).into(),
            to_json(&x.levels).into(),
            x.train_from.into(),
            x.train_to.into(),
            x.eval_to.into(),
            x.samples.into(),
            x.positives.into(),
            x.evaluation.as_ref().map(to_json).into(),
            x.fitted_by.clone().into(),
            x.fitted_at.into(),
            x.scored_on.into(),
            x.scored.into(),
        ],
    ))
    .await?;
    Ok(())
}

/// Records that the model scored `n` entities on `on`.
pub async fn set_scored(c: &impl ConnectionTrait, id: Uuid, on: NaiveDate, n: i64) -> Result<()> {
    c.execute_raw(stmt(
        c,
        "UPDATE risk_models SET scored_on = $2, scored = $3 WHERE id = $1",
        vec![id.into(), on.into(), n.into()],
    ))
    .await?;
    Ok(())
}

pub async fn get_model(
    c: &impl ConnectionTrait,
    scope: &Scope,
    id: Uuid,
) -> Result<Option<RiskModel>> {
    one_in_scope(
        c,
        ("risk_models", &MODEL_SHAPE),
        MODEL_COLS,
        scope,
        id,
        model_row,
    )
    .await
}

/// Models within `scope`, newest first.
pub async fn list_models(
    c: &impl ConnectionTrait,
    scope: &Scope,
    page: PageRequest,
) -> Result<Page<RiskModel>> {
    CaseList::scoped("risk_models", scope, &MODEL_SHAPE)
        .page(c, MODEL_COLS, "fitted_at DESC, id", page, model_row)
        .await
}

// ---------------------------------------------------------------------------------------
// Scores

/// An entity's latest score.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
#[schema(as = RiskScore)]
pub struct Score {
    pub entity_id: Uuid,
    pub region_code: String,
    pub model_id: Uuid,
    pub probability: f64,
    /// 1 (风险等级一级, highest) … 5.
    pub level: i16,
    pub scored_on: NaiveDate,
}

/// Upserts scores (batched; one row per entity, read by key).
pub async fn upsert_scores(c: &impl ConnectionTrait, rows: &[Score]) -> Result<()> {
    for chunk in rows.chunks(500) {
        let mut vals: Vec<Value> = Vec::with_capacity(chunk.len() * 6);
        let tuples: Vec<String> = chunk
            .iter()
            .map(|x| {
                let from = vals.len() + 1;
                vals.extend([
                    x.entity_id.into(),
                    x.region_code.clone().into(),
                    x.model_id.into(),
                    x.probability.into(),
                    x.level.into(),
                    x.scored_on.into(),
                ]);
                format!("({})", crate::placeholders(from, 6))
            })
            .collect();
        c.execute_raw(stmt(
            c,
            format!(
                "INSERT INTO risk_scores (entity_id, region_code, model_id, probability, level, \
                 scored_on) VALUES {} ON CONFLICT (entity_id) DO UPDATE SET \
                 region_code = excluded.region_code, model_id = excluded.model_id, \
                 probability = excluded.probability, level = excluded.level, \
                 scored_on = excluded.scored_on",
                tuples.join(",")
            ),
            vals,
        ))
        .await?;
    }
    Ok(())
}

fn score_row(r: &sea_orm::QueryResult) -> Result<Score> {
    Ok(Score {
        entity_id: r.try_get("", "entity_id")?,
        region_code: r.try_get("", "region_code")?,
        model_id: r.try_get("", "model_id")?,
        probability: r.try_get("", "probability")?,
        level: r.try_get("", "level")?,
        scored_on: r.try_get("", "scored_on")?,
    })
}

/// One entity's latest score within `scope`.
pub async fn score_of(
    c: &impl ConnectionTrait,
    scope: &Scope,
    entity_id: Uuid,
) -> Result<Option<Score>> {
    let mut vals: Vec<Value> = vec![entity_id.into()];
    let w = crate::scope::sql(scope, &SCORE_SHAPE, &mut vals);
    c.query_one_raw(stmt(
        c,
        format!(
            "SELECT entity_id, region_code, model_id, probability, level, scored_on \
             FROM risk_scores WHERE entity_id = $1 AND {w}"
        ),
        vals,
    ))
    .await?
    .map(|r| score_row(&r))
    .transpose()
}

/// How many entities within `scope` are at each level (1 … 5).
pub async fn level_counts(c: &impl ConnectionTrait, scope: &Scope) -> Result<[i64; 5]> {
    let mut vals: Vec<Value> = Vec::new();
    let w = crate::scope::sql(scope, &SCORE_SHAPE, &mut vals);
    let rows = c
        .query_all_raw(stmt(
            c,
            format!("SELECT level, COUNT(*) AS n FROM risk_scores WHERE {w} GROUP BY level"),
            vals,
        ))
        .await?;
    let mut out = [0i64; 5];
    for r in &rows {
        let l: i16 = r.try_get("", "level")?;
        if let Some(slot) = usize::try_from(l - 1).ok().and_then(|i| out.get_mut(i)) {
            *slot = r.try_get("", "n")?;
        }
    }
    Ok(out)
}

/// An entity overdue for its level's minimum inspection frequency.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
#[schema(as = RiskOverdue)]
pub struct Overdue {
    pub entity_id: Uuid,
    pub usci: String,
    pub entity_name: String,
    pub region_code: String,
    pub level: i16,
    pub probability: f64,
    /// The last inspection with a result; none: never inspected.
    pub last_inspected_on: Option<NaiveDate>,
}

/// The scored entities within `scope` whose last inspection with a result is older than the
/// cut-off of their level (`cutoffs[level - 1]`: today minus the level's months), or who were
/// never inspected; highest risk first.
pub async fn overdue(
    c: &impl ConnectionTrait,
    scope: &Scope,
    cutoffs: [NaiveDate; 5],
    page: PageRequest,
) -> Result<Page<Overdue>> {
    let mut vals: Vec<Value> = cutoffs.iter().map(|d| Value::from(*d)).collect();
    let w = crate::scope::sql(scope, &SCORE_SHAPE, &mut vals);
    crate::paged(
        c,
        "risk_scores JOIN entities ON entities.id = risk_scores.entity_id \
         LEFT JOIN (SELECT entity_id, MAX(visited_on) AS last_on FROM visits \
         WHERE completed_at IS NOT NULL GROUP BY entity_id) lv ON lv.entity_id = risk_scores.entity_id",
        "risk_scores.entity_id, entities.usci, entities.name AS entity_name, \
         risk_scores.region_code, risk_scores.level, risk_scores.probability, \
         lv.last_on AS last_inspected_on",
        &format!(
            "(lv.last_on IS NULL OR lv.last_on < CASE risk_scores.level WHEN 1 THEN $1 \
             WHEN 2 THEN $2 WHEN 3 THEN $3 WHEN 4 THEN $4 ELSE $5 END) AND {w}"
        ),
        "risk_scores.level, risk_scores.probability DESC, risk_scores.entity_id",
        vals,
        page,
        |r| {
            Ok(Overdue {
                entity_id: r.try_get("", "entity_id")?,
                usci: r.try_get("", "usci")?,
                entity_name: r.try_get("", "entity_name")?,
                region_code: r.try_get("", "region_code")?,
                level: r.try_get("", "level")?,
                probability: r.try_get("", "probability")?,
                last_inspected_on: r.try_get("", "last_inspected_on")?,
            })
        },
    )
    .await
}

/// The draw weight of every entity of `region`'s subtree whose level weighs more than 1
/// (`Level::draw_weight`), for a risk-weighted draw.
pub async fn draw_weights(
    c: &impl ConnectionTrait,
    region: &RegionCode,
) -> Result<HashMap<Uuid, u8>> {
    let scope = Scope::system().narrowed(Some(region), None);
    let mut vals: Vec<Value> = Vec::new();
    let w = crate::scope::sql(&scope, &SCORE_SHAPE, &mut vals);
    let rows = c
        .query_all_raw(stmt(
            c,
            format!("SELECT entity_id, level FROM risk_scores WHERE level <= 3 AND {w}"),
            vals,
        ))
        .await?;
    let mut out = HashMap::with_capacity(rows.len());
    for r in &rows {
        let l: i16 = r.try_get("", "level")?;
        if let Some(l) = lianjian_domain::risk::Level::from_number(l)
            && l.draw_weight() > 1
        {
            out.insert(r.try_get("", "entity_id")?, l.draw_weight());
        }
    }
    Ok(out)
}

/// Per year and selection (`control`, `weighted`): the checks of risk-weighted plans with a
/// result, and how many found a problem (随机对照检验, docs/draw-algorithm.md 12.13). A check
/// counts in the year of its visit (or of its task period's start when no visit day is
/// recorded), within the actor's scope.
pub async fn control_outcomes(
    c: &impl ConnectionTrait,
    scope: &Scope,
) -> Result<Vec<(i32, String, i64, i64)>> {
    let codes: Vec<String> = PROBLEM_CODES.iter().map(|c| format!("'{c}'")).collect();
    let mut vals: Vec<Value> = Vec::new();
    let cond = crate::scope::sql(scope, &VISIT_SHAPE, &mut vals);
    let day = "COALESCE(visits.visited_on, visits.period_start)";
    let year = match crate::backend_of(c) {
        sea_orm::DbBackend::Postgres => format!("CAST(EXTRACT(YEAR FROM {day}) AS INTEGER)"),
        _ => format!("CAST(substr({day}, 1, 4) AS INTEGER)"),
    };
    let rows = c
        .query_all_raw(stmt(
            c,
            format!(
                "SELECT {year} AS y, visit_checks.selection AS s, COUNT(*) AS n, \
                 SUM(CASE WHEN visit_results.result_code IN ({}) THEN 1 ELSE 0 END) AS problems \
                 FROM visits JOIN visit_checks ON visit_checks.visit_id = visits.id \
                 JOIN visit_results ON visit_results.visit_id = visit_checks.visit_id \
                   AND visit_results.plan_id = visit_checks.plan_id \
                 WHERE visit_checks.selection IN ('control', 'weighted') \
                 AND visits.status <> 'cancelled' AND visit_results.result_code IS NOT NULL \
                 AND {cond} GROUP BY {year}, visit_checks.selection ORDER BY 1 DESC, 2",
                codes.join(",")
            ),
            vals,
        ))
        .await?;
    rows.iter()
        .map(|r| {
            Ok((
                r.try_get::<i32>("", "y")?,
                r.try_get::<String>("", "s")?,
                r.try_get::<i64>("", "n")?,
                r.try_get::<Option<i64>>("", "problems")?.unwrap_or(0),
            ))
        })
        .collect()
}
