//! The risk model (风险预测模型, issue 16 item 4; 国办发〔2023〕1号 (八)): fit a model on a region's
//! own history, evaluate it on a held-out period the way Chicago did, score every entity of the
//! region with it, and read an entity's score with every feature's contribution, the level
//! distribution and the entities overdue for their level's minimum inspection frequency.
//!
//! The model is a regularised (L2) logistic regression fitted by `linfa-logistic` on
//! standardised features (`domain::risk`); the label is "an inspection with a result found a
//! problem". Features are taken as of the day of each inspection from the entity's history —
//! never from who inspected it.
//!
//! Who may act:
//! - **fit and score**: the system administrator and the coordination office within its region
//!   (the levels feed every line's risk-weighted draws, as the credit class does);
//! - **read** models, levels, scores and explanations: staff of every role within its scope
//!   except inspectors — an inspector should not arrive at an entity anchored by its score.
//!   Scores are never public (no portal page, no public API; tested).

use std::collections::HashMap;

use chrono::{Days, Months, NaiveDate};
use lianjian_domain::Invalid;
use lianjian_domain::account::Role;
use lianjian_domain::region::RegionCode;
use lianjian_domain::risk::{
    self as model, Arm, ControlLift, Evaluation, Explanation, FeatureDef, History, Level, Levels,
    Model, Sample,
};
use lianjian_domain::scope::{Actor, Scope};
use lianjian_domain::visit::{DrawSelection, beijing_date};
use lianjian_store::risk as repo;
use linfa::Dataset;
use linfa::traits::Fit;
use linfa_logistic::LogisticRegression;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::error::Checker;
use crate::trail::{Record, record};
use crate::{Page, PageRequest, Result, ServiceError, Services};

pub mod synthetic;

pub use lianjian_store::risk::{Overdue, RiskModel, Score};

/// L2 penalty of the logistic regression (on standardised features; linfa's cost is the summed
/// log-loss plus α/2·‖w‖²).
pub const ALPHA: f64 = 1.0;
/// Fewest training inspections, and of each outcome, a model is fitted on.
pub const MIN_SAMPLES: usize = 30;
pub const MIN_EACH: usize = 5;
/// Scores written per transaction.
const BATCH: usize = 2000;

// ---------------------------------------------------------------------------------------
// Who may

/// Whether `a` may fit models and score entities.
pub fn may_fit(a: &Actor) -> bool {
    matches!(a.role, Role::SystemAdmin | Role::CoordinationOffice)
}

/// Whether `a` may read models, levels and scores (staff in scope, not inspectors).
pub fn may_view(a: &Actor) -> bool {
    a.role != Role::Inspector
}

fn within(a: &Actor, region: &RegionCode) -> bool {
    a.role == Role::SystemAdmin || region.is_within(&a.region)
}

// ---------------------------------------------------------------------------------------
// Fitting (pure: the same code fits on the database's history and on the demo's synthetic one)

/// The training window and the held-out period (`train_to` + 1 day … `eval_to`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Windows {
    pub train_from: NaiveDate,
    pub train_to: NaiveDate,
    pub eval_to: NaiveDate,
}

/// A fitted and evaluated model, before it is stored.
#[derive(Debug, Clone)]
pub struct Fitted {
    pub model: Model,
    pub samples: usize,
    pub positives: usize,
    pub evaluation: Option<Evaluation>,
}

fn too_few(zh: String, en: String) -> ServiceError {
    ServiceError::field("train_from", Invalid::new("too_few_inspections", zh, en))
}

/// Fits `x` (rows of raw feature values) against `y` with linfa's L2-regularised logistic
/// regression on standardised values.
pub fn fit_rows(features: Vec<FeatureDef>, x: &[Vec<f64>], y: &[bool]) -> Result<Model> {
    let width = features.len();
    let (means, scales) = model::standardiser(x, width);
    let z =
        ndarray::Array2::from_shape_fn((x.len(), width), |(i, j)| (x[i][j] - means[j]) / scales[j]);
    let t = ndarray::Array1::from_iter(y.iter().copied());
    let fitted = LogisticRegression::default()
        .alpha(ALPHA)
        .max_iterations(500)
        .fit(&Dataset::new(z, t))
        .map_err(|e| {
            tracing::warn!(error = %e, "logistic regression failed");
            ServiceError::refused(
                "模型拟合失败（训练样本无法区分有无问题），请调整训练期",
                format!("fitting failed: {e}"),
            )
        })?;
    // linfa labels the less frequent class positive: turn the model round when that is
    // "no problem", so the probability is always that of a problem.
    let sign = if fitted.labels().pos.class { 1.0 } else { -1.0 };
    let m = Model {
        features,
        means,
        scales,
        coefficients: fitted.params().iter().map(|w| sign * w).collect(),
        intercept: sign * fitted.intercept(),
    };
    m.check().map_err(|e| ServiceError::refused(e.zh, e.en))?;
    Ok(m)
}

/// The licence types most held by the entities inspected in the training window (at most
/// `MAX_LICENCE_FEATURES`, most frequent first, then by name).
fn licence_types<'a>(hs: impl Iterator<Item = &'a History>) -> Vec<String> {
    let mut n: HashMap<&str, usize> = HashMap::new();
    for h in hs {
        let mut seen: Vec<&str> = h.licences.iter().map(|(t, _, _)| t.as_str()).collect();
        seen.sort_unstable();
        seen.dedup();
        for t in seen {
            *n.entry(t).or_default() += 1;
        }
    }
    let mut v: Vec<(&str, usize)> = n.into_iter().filter(|(_, k)| *k >= 2).collect();
    v.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    v.into_iter()
        .take(model::MAX_LICENCE_FEATURES)
        .map(|(t, _)| t.to_string())
        .collect()
}

/// Fits a model on the inspections of `hs` within the training window (features as of each
/// inspection's day) and evaluates it on those of the held-out period (scores as of the
/// period's first day, what a planner would have had).
pub fn fit_histories(hs: &[&History], w: Windows) -> Result<Fitted> {
    let train: Vec<(usize, NaiveDate, bool)> = hs
        .iter()
        .enumerate()
        .flat_map(|(i, h)| {
            h.inspections
                .iter()
                .filter(|(d, _)| *d >= w.train_from && *d <= w.train_to)
                .map(move |(d, p)| (i, *d, *p))
        })
        .collect();
    let positives = train.iter().filter(|t| t.2).count();
    if train.len() < MIN_SAMPLES || positives < MIN_EACH || train.len() - positives < MIN_EACH {
        return Err(too_few(
            format!(
                "训练期内有结果的检查 {} 次、发现问题 {} 次：至少需要 {MIN_SAMPLES} 次检查，且发现问题与未发现问题各至少 {MIN_EACH} 次",
                train.len(),
                positives
            ),
            format!(
                "{} inspections, {positives} with a problem, in the training window: at least {MIN_SAMPLES}, and {MIN_EACH} of each outcome, are needed",
                train.len()
            ),
        ));
    }
    let mut inspected: Vec<usize> = train.iter().map(|t| t.0).collect();
    inspected.dedup();
    let features = model::feature_list(&licence_types(inspected.iter().map(|&i| hs[i])));
    let x: Vec<Vec<f64>> = train
        .iter()
        .map(|(i, d, _)| model::values(&features, hs[*i], *d))
        .collect();
    let y: Vec<bool> = train.iter().map(|t| t.2).collect();
    let m = fit_rows(features, &x, &y)?;

    let start = w.train_to + Days::new(1);
    let mut held: Vec<Sample> = Vec::new();
    for h in hs {
        let mut score = None;
        for (d, p) in &h.inspections {
            if *d >= start && *d <= w.eval_to {
                let s = *score
                    .get_or_insert_with(|| m.probability(&model::values(&m.features, h, start)));
                held.push(Sample {
                    date: *d,
                    score: s,
                    problem: *p,
                });
            }
        }
    }
    Ok(Fitted {
        samples: train.len(),
        positives,
        evaluation: (!held.is_empty()).then(|| model::evaluate(start, w.eval_to, &held)),
        model: m,
    })
}

// ---------------------------------------------------------------------------------------
// Fit now

/// A fit as submitted (console form or API): the region, the windows, and optionally the
/// level thresholds and minimum frequencies (defaults: `Levels::default`).
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[schema(as = RiskFitInput)]
pub struct FitInput {
    pub region_code: String,
    /// First day of the training window (YYYY-MM-DD).
    pub train_from: String,
    /// Last day of the training window; the held-out period starts the day after.
    pub train_to: String,
    /// Last day of the held-out period (at the latest today).
    pub eval_to: String,
    /// Lower probability bounds of levels 一级…四级, e.g. “0.5,0.3,0.15,0.05”; empty: default.
    #[serde(default)]
    pub thresholds: String,
    /// Minimum inspection frequency of levels 一级…五级 in months, e.g. “6,12,18,24,36”;
    /// empty: default.
    #[serde(default)]
    pub months: String,
}

fn date(s: &str) -> std::result::Result<NaiveDate, Invalid> {
    NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d").map_err(|_| {
        Invalid::new(
            "date",
            format!("“{}”不是有效日期（格式 YYYY-MM-DD）", s.trim()),
            format!("'{}' is not a date (YYYY-MM-DD)", s.trim()),
        )
    })
}

fn list<T: std::str::FromStr + Copy, const N: usize>(
    s: &str,
    what: &str,
) -> std::result::Result<Option<[T; N]>, Invalid> {
    if s.trim().is_empty() {
        return Ok(None);
    }
    let bad = || {
        Invalid::new(
            "list",
            format!("{what}须为 {N} 个以逗号分隔的数"),
            format!("{N} comma-separated numbers expected"),
        )
    };
    let v: Vec<T> = s
        .split([',', '，'])
        .map(|x| x.trim().parse::<T>().map_err(|_| bad()))
        .collect::<std::result::Result<_, _>>()?;
    <[T; N]>::try_from(v).map(Some).map_err(|_| bad())
}

/// The parsed fit: region, windows and levels, every bad field named at once.
fn parse_fit(
    a: &Actor,
    input: &FitInput,
    today: NaiveDate,
) -> Result<(RegionCode, Windows, Levels)> {
    let mut ch = Checker::default();
    let region = ch.check("region_code", RegionCode::parse(&input.region_code));
    if let Some(r) = &region
        && !within(a, r)
    {
        ch.push(
            "region_code",
            Invalid::new(
                "outside_scope",
                format!("行政区划“{r}”不在您的管辖范围内"),
                format!("region {r} is outside your scope"),
            ),
        );
    }
    let from = ch.check("train_from", date(&input.train_from));
    let to = ch.check("train_to", date(&input.train_to));
    let eval_to = ch.check("eval_to", date(&input.eval_to));
    if let (Some(f), Some(t)) = (from, to) {
        if f >= t {
            ch.push(
                "train_to",
                Invalid::new(
                    "order",
                    "训练期结束日须晚于开始日",
                    "train_to must follow train_from",
                ),
            );
        } else if t
            .checked_sub_months(Months::new(120))
            .is_some_and(|x| x > f)
        {
            ch.push(
                "train_from",
                Invalid::new(
                    "too_long",
                    "训练期不得超过 10 年",
                    "the training window is at most 10 years",
                ),
            );
        }
    }
    if let (Some(t), Some(e)) = (to, eval_to)
        && e <= t
    {
        ch.push(
            "eval_to",
            Invalid::new(
                "order",
                "留出检验期结束日须晚于训练期结束日",
                "eval_to must follow train_to",
            ),
        );
    }
    if let Some(e) = eval_to
        && e > today
    {
        ch.push(
            "eval_to",
            Invalid::new(
                "future",
                "留出检验期不得晚于今天",
                "eval_to cannot be in the future",
            ),
        );
    }
    let th = ch.check(
        "thresholds",
        list::<f64, 4>(&input.thresholds, "风险等级阈值"),
    );
    let mo = ch.check("months", list::<u32, 5>(&input.months, "最低检查频次"));
    let d = Levels::default();
    let levels = match (th, mo) {
        (Some(t), Some(m)) => {
            let r = Levels::new(t.unwrap_or(d.thresholds), m.unwrap_or(d.months));
            let field = if r.as_ref().err().is_some_and(|e| e.code == "months") {
                "months"
            } else {
                "thresholds"
            };
            ch.check(field, r)
        }
        _ => None,
    };
    ch.finish()?;
    Ok((
        region.expect("checked"),
        Windows {
            train_from: from.expect("checked"),
            train_to: to.expect("checked"),
            eval_to: eval_to.expect("checked"),
        },
        levels.expect("checked"),
    ))
}

/// Fits a model on `input.region_code`'s history, evaluates it, stores it as the region's
/// next version (audited), and scores every entity of the region with it.
pub async fn fit(svc: &Services, a: &Actor, input: &FitInput) -> Result<RiskModel> {
    if !may_fit(a) {
        return Err(ServiceError::Forbidden);
    }
    let today = beijing_date(svc.now());
    let (region, w, levels) = parse_fit(a, input, today)?;
    let c = svc.store.conn();
    let scope = Scope::system().narrowed(Some(&region), None);
    let subjects = repo::histories(c, &scope, w.eval_to, None).await?;
    let hs: Vec<&History> = subjects.iter().map(|s| &s.history).collect();
    let fitted = fit_histories(&hs, w)?;
    let m = store_model(svc, a, &region, w, levels, fitted, "manual").await?;
    score_region(svc, a, m).await
}

/// Stores a fitted model as the next version of `region` (audited).
pub async fn store_model(
    svc: &Services,
    a: &Actor,
    region: &RegionCode,
    w: Windows,
    levels: Levels,
    f: Fitted,
    origin: &str,
) -> Result<RiskModel> {
    let tx = svc.store.begin().await?;
    let m = RiskModel {
        id: Uuid::now_v7(),
        region_code: region.clone(),
        version: repo::next_version(&tx, region).await?,
        origin: origin.into(),
        definition: f.model,
        levels,
        train_from: w.train_from,
        train_to: w.train_to,
        eval_to: w.eval_to,
        samples: f.samples as i64,
        positives: f.positives as i64,
        evaluation: f.evaluation,
        fitted_by: a.username.clone(),
        fitted_at: lianjian_domain::audit::audit_time(svc.now()),
        scored_on: None,
        scored: 0,
    };
    repo::insert_model(&tx, &m).await?;
    record(
        &tx,
        a,
        Record::new("risk.fit", "risk_model", m.id)
            .at(region, None)
            .after(&m),
    )
    .await?;
    tx.commit().await?;
    Ok(m)
}

/// Scores every entity of the model's region as of today (events up to today count) and
/// writes probability and level per entity in short transactions; the model records the day
/// and the count (audited).
pub async fn score_region(svc: &Services, a: &Actor, mut m: RiskModel) -> Result<RiskModel> {
    let today = beijing_date(svc.now());
    let c = svc.store.conn();
    let scope = Scope::system().narrowed(Some(&m.region_code), None);
    let subjects = repo::histories(c, &scope, today, None).await?;
    let as_of = today + Days::new(1);
    let rows: Vec<Score> = subjects
        .iter()
        .map(|s| {
            let p =
                m.definition
                    .probability(&model::values(&m.definition.features, &s.history, as_of));
            Score {
                entity_id: s.id,
                region_code: s.region_code.clone(),
                model_id: m.id,
                probability: p,
                level: m.levels.level(p).number(),
                scored_on: today,
            }
        })
        .collect();
    for chunk in rows.chunks(BATCH) {
        let tx = svc.store.begin().await?;
        repo::upsert_scores(&tx, chunk).await?;
        tx.commit().await?;
    }
    m.scored_on = Some(today);
    m.scored = rows.len() as i64;
    let tx = svc.store.begin().await?;
    repo::set_scored(&tx, m.id, today, m.scored).await?;
    record(
        &tx,
        a,
        Record::new("risk.score", "risk_model", m.id)
            .at(&m.region_code, None)
            .after(&serde_json::json!({ "scored_on": today, "scored": m.scored })),
    )
    .await?;
    tx.commit().await?;
    Ok(m)
}

// ---------------------------------------------------------------------------------------
// Reading

/// Models within `a`'s scope, newest first.
pub async fn models(svc: &Services, a: &Actor, page: PageRequest) -> Result<Page<RiskModel>> {
    if !may_view(a) {
        return Err(ServiceError::Forbidden);
    }
    Ok(repo::list_models(svc.store.conn(), &Scope::of(a), page).await?)
}

/// One model within `a`'s scope.
pub async fn model(svc: &Services, a: &Actor, id: Uuid) -> Result<RiskModel> {
    if !may_view(a) {
        return Err(ServiceError::Forbidden);
    }
    repo::get_model(svc.store.conn(), &Scope::of(a), id)
        .await?
        .ok_or(ServiceError::NotFound)
}

/// The risk page: the newest model in scope, the level distribution and the first page of
/// the overdue list.
#[derive(Debug, Clone, Serialize)]
pub struct Overview {
    pub latest: Option<RiskModel>,
    /// Entities at levels 一级 … 五级.
    pub counts: [i64; 5],
    pub levels: Levels,
    pub overdue: Page<Overdue>,
    /// 随机对照检验 by year, newest first: the problem rates of the risk-weighted plans'
    /// control picks and weighted picks, and their ratio (the weighting's lift).
    pub control_lift: Vec<ControlLift>,
}

/// The cut-off per level: today minus the level's minimum frequency.
fn cutoffs(levels: &Levels, today: NaiveDate) -> [NaiveDate; 5] {
    Level::ALL.map(|l| {
        today
            .checked_sub_months(Months::new(levels.months_of(l)))
            .unwrap_or(NaiveDate::MIN)
    })
}

pub async fn overview(svc: &Services, a: &Actor, page: PageRequest) -> Result<Overview> {
    if !may_view(a) {
        return Err(ServiceError::Forbidden);
    }
    let c = svc.store.conn();
    let scope = Scope::of(a);
    let latest = repo::list_models(c, &scope, PageRequest::new(Some(1), Some(1)))
        .await?
        .items
        .into_iter()
        .next();
    let levels = latest
        .as_ref()
        .map(|m| m.levels.clone())
        .unwrap_or_default();
    let today = beijing_date(svc.now());
    Ok(Overview {
        counts: repo::level_counts(c, &scope).await?,
        overdue: repo::overdue(c, &scope, cutoffs(&levels, today), page).await?,
        levels,
        latest,
        control_lift: control_lift(c, &scope).await?,
    })
}

/// 随机对照检验 within the actor's scope, by year, newest first (staff who may view the model).
pub async fn control_lift_of(svc: &Services, a: &Actor) -> Result<Vec<ControlLift>> {
    if !may_view(a) {
        return Err(ServiceError::Forbidden);
    }
    control_lift(svc.store.conn(), &Scope::of(a)).await
}

/// The control-share comparison per year (docs/draw-algorithm.md 12.13).
async fn control_lift(c: &impl lianjian_store::Conn, scope: &Scope) -> Result<Vec<ControlLift>> {
    let mut by_year: std::collections::BTreeMap<i32, (Arm, Arm)> = Default::default();
    for (year, selection, n, problems) in repo::control_outcomes(c, scope).await? {
        let arm = Arm::new(n.max(0) as u64, problems.max(0) as u64);
        let slot = by_year.entry(year).or_default();
        if selection == DrawSelection::Control.as_str() {
            slot.0 = arm;
        } else {
            slot.1 = arm;
        }
    }
    Ok(by_year
        .into_iter()
        .rev()
        .map(|(y, (control, weighted))| ControlLift::new(y, control, weighted))
        .collect())
}

/// An entity's score with its explanation (staff only; never public).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[schema(as = RiskEntity)]
pub struct EntityRisk {
    pub entity_id: Uuid,
    pub usci: String,
    pub name: String,
    pub score: Option<Score>,
    /// The level's label (风险等级一级…五级) and its minimum inspection frequency in months.
    pub level_label: Option<String>,
    pub frequency_months: Option<u32>,
    pub model_id: Option<Uuid>,
    pub model_version: Option<i32>,
    /// Every feature's contribution, recomputed from the entity's history as of the day it
    /// was scored (the history may have been corrected since; the stored probability is the
    /// one the levels and draws used).
    pub explanation: Option<Explanation>,
}

pub async fn entity_risk(svc: &Services, a: &Actor, entity_id: Uuid) -> Result<EntityRisk> {
    if !may_view(a) {
        return Err(ServiceError::Forbidden);
    }
    let c = svc.store.conn();
    let scope = Scope::of(a);
    let e = lianjian_store::entities::get_scoped(c, &scope, entity_id)
        .await?
        .ok_or(ServiceError::NotFound)?;
    let mut out = EntityRisk {
        entity_id,
        usci: e.usci.to_string(),
        name: e.name.clone(),
        score: None,
        level_label: None,
        frequency_months: None,
        model_id: None,
        model_version: None,
        explanation: None,
    };
    let Some(s) = repo::score_of(c, &scope, entity_id).await? else {
        return Ok(out);
    };
    if let Some(m) = repo::get_model(c, &Scope::system(), s.model_id).await? {
        let hs = repo::histories(c, &Scope::system(), s.scored_on, Some(entity_id)).await?;
        if let Some(h) = hs.first() {
            let x = model::values(
                &m.definition.features,
                &h.history,
                s.scored_on + Days::new(1),
            );
            out.explanation = Some(m.definition.explain(&x));
        }
        if let Some(l) = Level::from_number(s.level) {
            out.level_label = Some(l.label().into());
            out.frequency_months = Some(m.levels.months_of(l));
        }
        out.model_id = Some(m.id);
        out.model_version = Some(m.version);
    }
    out.score = Some(s);
    Ok(out)
}

// ---------------------------------------------------------------------------------------
// Demo (合成数据)

/// Fits and evaluates a model on the synthetic history of `n` entities made from `seed`
/// (`synthetic`), without storing anything.
pub fn fit_synthetic(n: usize, seed: u64) -> Result<Fitted> {
    let hs = synthetic::histories(n, seed);
    let refs: Vec<&History> = hs.iter().collect();
    fit_histories(&refs, synthetic::WINDOWS)
}

/// The demo's model: fitted on the synthetic history of `seed`, stored for `region` with
/// origin `demo` (shown as 合成数据), never used to score the region's real entities.
pub async fn seed_demo(
    svc: &Services,
    a: &Actor,
    region: &RegionCode,
    seed: u64,
) -> Result<RiskModel> {
    let f = fit_synthetic(synthetic::DEMO_ENTITIES, seed)?;
    store_model(
        svc,
        a,
        region,
        synthetic::WINDOWS,
        Levels::default(),
        f,
        "demo",
    )
    .await
}
