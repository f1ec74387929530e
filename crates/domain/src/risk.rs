//! The risk model (风险预测模型, issue 16 item 4; 国办发〔2023〕1号 (八) 风险隐患联合监测预警, DOMAIN.md
//! "Lessons": Chicago's food-inspection forecast and the UK FSA intervention ratings): the
//! features of an entity as of a date, computed from its own history on the platform — never
//! from who inspected it —, a fitted logistic model applied to them with every feature's
//! contribution, the risk level (风险等级一级…五级) and its minimum inspection frequency, and
//! the evaluation of a model the way Chicago did it: the real schedule of a held-out period
//! re-ordered by score.
//!
//! The fitting itself (regularised logistic regression) is done with a maintained crate in
//! `services::risk`; this module holds what must stay pure and testable.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::Invalid;
use crate::credit::Tier;

/// Result codes that mean an inspection found a problem (the model's label): the same set the
/// credit evaluation counts as problems (`store::credit_evaluation::facts`).
pub const PROBLEM_CODES: [&str; 6] = [
    "not_publicised",
    "false_publicity",
    "corrected",
    "pending",
    "uncooperative",
    "other_department",
];

/// Whether a result code is a problem found.
pub fn is_problem(code: &str) -> bool {
    PROBLEM_CODES.contains(&code)
}

/// Days since the last inspection are capped here (an entity never inspected counts as this
/// long ago, and says so in its own feature).
pub const DAYS_CAP: f64 = 1095.0;
/// Licence types kept as their own features (the most frequent in the training sample).
pub const MAX_LICENCE_FEATURES: usize = 8;

/// An entity's history as the model sees it: dated events only, so its features can be taken
/// as of any day (training uses the day of each inspection, scoring uses today). Never the
/// inspectors of a visit: the model must rank entities, not the people who inspect them.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct History {
    /// The day the entity entered the directory (the directory has no registration date; the
    /// entry date stands in for the entity's age).
    pub listed_on: Option<NaiveDate>,
    /// Inspections with a result: the day and whether a problem was found.
    pub inspections: Vec<(NaiveDate, bool)>,
    /// Rectification orders: issued on, and the day they passed review (none: not yet).
    pub rectifications: Vec<(NaiveDate, Option<NaiveDate>)>,
    /// Complaints and reports naming the entity, handled to the end (the day they finished).
    pub complaints: Vec<NaiveDate>,
    /// Risk warnings (风险预警, issue 16 items 1–3) raised about the entity: the day each was
    /// first raised (repeated triggers fold into one warning, so a flood counts once).
    pub warnings: Vec<NaiveDate>,
    /// Penalties recorded in the credit file: the day and the tier.
    pub penalties: Vec<(NaiveDate, Tier)>,
    /// Licence types held, with their validity.
    pub licences: Vec<(String, Option<NaiveDate>, Option<NaiveDate>)>,
    /// The risk weights (1–9) of its tags in force, with the day each was attached.
    pub tags: Vec<(NaiveDate, u8)>,
}

/// One feature of a model: its code (stable, stored) and its Chinese label (shown).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[schema(as = RiskFeature)]
pub struct FeatureDef {
    pub code: String,
    pub label: String,
}

/// The fixed features, in order (licence-type indicators follow them, `licence:<type>`).
pub const BASE_FEATURES: [(&str, &str); 14] = [
    ("problems_1y", "近1年检查发现问题次数"),
    ("problems_3y", "近3年检查发现问题次数"),
    ("last_problem", "最近一次检查发现问题"),
    ("open_rectifications", "未整改完毕的责令整改数"),
    ("complaints_1y", "近1年办结的投诉举报数"),
    ("warnings_1y", "近1年风险预警数"),
    ("penalties_minor_3y", "近3年轻微失信行政处罚数"),
    ("penalties_general_3y", "近3年一般失信行政处罚数"),
    ("penalties_serious_3y", "近3年严重失信行政处罚数"),
    ("days_since_inspection", "距上次检查天数"),
    ("never_inspected", "从未接受检查"),
    ("listed_years", "在名录库中的年数"),
    ("tag_weight", "标签风险权重"),
    ("licence_types", "持有许可证种类数"),
];

const LICENCE_PREFIX: &str = "licence:";

/// The feature list of a model: the base features plus one indicator per licence type given.
pub fn feature_list(licence_types: &[String]) -> Vec<FeatureDef> {
    let mut out: Vec<FeatureDef> = BASE_FEATURES
        .iter()
        .map(|(c, l)| FeatureDef {
            code: (*c).into(),
            label: (*l).into(),
        })
        .collect();
    for t in licence_types.iter().take(MAX_LICENCE_FEATURES) {
        out.push(FeatureDef {
            code: format!("{LICENCE_PREFIX}{t}"),
            label: format!("持有“{t}”"),
        });
    }
    out
}

fn days(a: NaiveDate, b: NaiveDate) -> i64 {
    (a - b).num_days()
}

/// The values of `features` for `h` as of `as_of`: only events strictly before that day
/// count (an inspection on the day is what is being predicted).
pub fn values(features: &[FeatureDef], h: &History, as_of: NaiveDate) -> Vec<f64> {
    let before = |d: NaiveDate| d < as_of;
    let within = |d: NaiveDate, n: i64| d < as_of && days(as_of, d) <= n;
    let mut past: Vec<&(NaiveDate, bool)> =
        h.inspections.iter().filter(|(d, _)| before(*d)).collect();
    past.sort_by_key(|(d, _)| *d);
    let last = past.last().copied();
    let held: Vec<&str> = h
        .licences
        .iter()
        .filter(|(_, from, to)| from.is_none_or(|f| f < as_of) && to.is_none_or(|t| t >= as_of))
        .map(|(t, _, _)| t.as_str())
        .collect();
    features
        .iter()
        .map(|f| {
            let count = |n: usize| n as f64;
            match f.code.as_str() {
                "problems_1y" => count(past.iter().filter(|(d, p)| *p && within(*d, 365)).count()),
                "problems_3y" => count(
                    past.iter()
                        .filter(|(d, p)| *p && within(*d, 3 * 365))
                        .count(),
                ),
                "last_problem" => f64::from(u8::from(last.is_some_and(|(_, p)| *p))),
                "open_rectifications" => count(
                    h.rectifications
                        .iter()
                        .filter(|(i, passed)| before(*i) && passed.is_none_or(|p| !before(p)))
                        .count(),
                ),
                "complaints_1y" => count(h.complaints.iter().filter(|d| within(**d, 365)).count()),
                "warnings_1y" => count(h.warnings.iter().filter(|d| within(**d, 365)).count()),
                "penalties_minor_3y" | "penalties_general_3y" | "penalties_serious_3y" => {
                    let tier = match f.code.as_str() {
                        "penalties_minor_3y" => Tier::Minor,
                        "penalties_general_3y" => Tier::General,
                        _ => Tier::Serious,
                    };
                    count(
                        h.penalties
                            .iter()
                            .filter(|(d, t)| *t == tier && within(*d, 3 * 365))
                            .count(),
                    )
                }
                "days_since_inspection" => {
                    last.map_or(DAYS_CAP, |(d, _)| (days(as_of, *d) as f64).min(DAYS_CAP))
                }
                "never_inspected" => f64::from(u8::from(last.is_none())),
                "listed_years" => h
                    .listed_on
                    .filter(|d| before(*d))
                    .map_or(0.0, |d| (days(as_of, d) as f64 / 365.25).min(30.0)),
                "tag_weight" => f64::from(
                    h.tags
                        .iter()
                        .filter(|(d, _)| before(*d))
                        .map(|(_, w)| *w)
                        .max()
                        .unwrap_or(1)
                        .max(1),
                ),
                "licence_types" => {
                    let mut t = held.clone();
                    t.sort_unstable();
                    t.dedup();
                    count(t.len())
                }
                code => match code.strip_prefix(LICENCE_PREFIX) {
                    Some(t) => f64::from(u8::from(held.contains(&t))),
                    None => 0.0,
                },
            }
        })
        .collect()
}

/// A fitted model: the features, how each is standardised (mean and scale of the training
/// sample), the coefficients on the standardised values and the intercept. Stored with the
/// model row; every score is explained from it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[schema(as = RiskModelDefinition)]
pub struct Model {
    pub features: Vec<FeatureDef>,
    pub means: Vec<f64>,
    pub scales: Vec<f64>,
    pub coefficients: Vec<f64>,
    pub intercept: f64,
}

/// Means and scales (standard deviations; 1 where a feature does not vary) of the columns of
/// `rows`.
pub fn standardiser(rows: &[Vec<f64>], width: usize) -> (Vec<f64>, Vec<f64>) {
    let n = rows.len().max(1) as f64;
    let mut means = vec![0.0; width];
    for r in rows {
        for (m, v) in means.iter_mut().zip(r) {
            *m += v / n;
        }
    }
    let mut vars = vec![0.0; width];
    for r in rows {
        for ((s, v), m) in vars.iter_mut().zip(r).zip(&means) {
            *s += (v - m) * (v - m) / n;
        }
    }
    let scales = vars
        .into_iter()
        .map(|v| if v > 1e-12 { v.sqrt() } else { 1.0 })
        .collect();
    (means, scales)
}

fn sigmoid(z: f64) -> f64 {
    1.0 / (1.0 + (-z).exp())
}

/// One feature's part in a score.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
#[schema(as = RiskContribution)]
pub struct Contribution {
    pub code: String,
    pub label: String,
    /// The entity's value.
    pub value: f64,
    /// (value − mean) / scale.
    pub standardised: f64,
    pub coefficient: f64,
    /// coefficient × standardised value, on the log-odds scale.
    pub contribution: f64,
}

/// A score with its explanation: intercept + Σ contributions = log-odds; the probability is
/// its logistic.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
#[schema(as = RiskExplanation)]
pub struct Explanation {
    pub intercept: f64,
    pub contributions: Vec<Contribution>,
    pub log_odds: f64,
    pub probability: f64,
}

impl Model {
    /// The standardised values of `x` (its features in the model's order).
    fn z(&self, i: usize, v: f64) -> f64 {
        (v - self.means[i]) / self.scales[i]
    }

    /// The predicted chance that an inspection finds a problem.
    pub fn probability(&self, x: &[f64]) -> f64 {
        let mut s = self.intercept;
        for (i, v) in x.iter().enumerate().take(self.coefficients.len()) {
            s += self.coefficients[i] * self.z(i, *v);
        }
        sigmoid(s)
    }

    /// The probability with every feature's contribution.
    pub fn explain(&self, x: &[f64]) -> Explanation {
        let contributions: Vec<Contribution> = self
            .features
            .iter()
            .enumerate()
            .map(|(i, f)| {
                let v = x.get(i).copied().unwrap_or(0.0);
                let z = self.z(i, v);
                Contribution {
                    code: f.code.clone(),
                    label: f.label.clone(),
                    value: v,
                    standardised: z,
                    coefficient: self.coefficients[i],
                    contribution: self.coefficients[i] * z,
                }
            })
            .collect();
        let log_odds = self.intercept + contributions.iter().map(|c| c.contribution).sum::<f64>();
        Explanation {
            intercept: self.intercept,
            contributions,
            log_odds,
            probability: sigmoid(log_odds),
        }
    }

    /// The model folded for fast scoring: weights on raw values and one constant, so a score
    /// is one dot product (the benchmark scores a province with it).
    pub fn folded(&self) -> (Vec<f64>, f64) {
        let mut c = self.intercept;
        let w: Vec<f64> = (0..self.coefficients.len())
            .map(|i| {
                c -= self.coefficients[i] * self.means[i] / self.scales[i];
                self.coefficients[i] / self.scales[i]
            })
            .collect();
        (w, c)
    }

    /// Checks a stored or fitted model is usable (same lengths, finite numbers, positive
    /// scales).
    pub fn check(&self) -> Result<(), Invalid> {
        let n = self.features.len();
        let finite = |v: &[f64]| v.iter().all(|x| x.is_finite());
        if self.means.len() != n || self.scales.len() != n || self.coefficients.len() != n {
            return Err(Invalid::new(
                "model_shape",
                "模型的特征、均值、尺度与系数个数不一致",
                "model vectors differ in length",
            ));
        }
        if !(finite(&self.means)
            && finite(&self.scales)
            && finite(&self.coefficients)
            && self.intercept.is_finite())
            || self.scales.iter().any(|s| *s <= 0.0)
        {
            return Err(Invalid::new(
                "model_numbers",
                "模型含有非有限数值或非正尺度",
                "model has non-finite numbers or non-positive scales",
            ));
        }
        Ok(())
    }
}

// ---------------------------------------------------------------------------------------
// Risk levels and minimum frequency (UK FSA intervention ratings)

/// The risk level from a score. 一级 is the HIGHEST risk (as FSA category A); the labels are
/// numbered levels on purpose, so they are never confused with the credit-risk classes A–D
/// (where A is the lowest risk).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Level {
    One,
    Two,
    Three,
    Four,
    Five,
}

impl Level {
    pub const ALL: [Level; 5] = [
        Level::One,
        Level::Two,
        Level::Three,
        Level::Four,
        Level::Five,
    ];

    /// 1 (highest risk) … 5 (lowest), as stored.
    pub fn number(self) -> i16 {
        self as i16 + 1
    }

    pub fn from_number(n: i16) -> Option<Level> {
        Level::ALL.get(usize::try_from(n - 1).ok()?).copied()
    }

    pub fn label(self) -> &'static str {
        match self {
            Level::One => "风险等级一级（最高）",
            Level::Two => "风险等级二级",
            Level::Three => "风险等级三级",
            Level::Four => "风险等级四级",
            Level::Five => "风险等级五级（最低）",
        }
    }

    /// The weight the level gives an entity in a risk-weighted draw (the same 1–9 scale as
    /// tag weights; the larger of the two applies, see `services::draws`).
    pub fn draw_weight(self) -> u8 {
        match self {
            Level::One => 4,
            Level::Two => 3,
            Level::Three => 2,
            Level::Four | Level::Five => 1,
        }
    }
}

/// Where levels start (probability thresholds, descending) and the minimum inspection
/// frequency of each level in months. Configurable per model; the defaults follow the FSA
/// ratings (6 months for the highest … 24 months, and 36 for the lowest, which FSA leaves to
/// an alternative strategy).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[schema(as = RiskLevels)]
pub struct Levels {
    /// Lower bounds of levels 一级, 二级, 三级, 四级 (strictly descending, within (0, 1)).
    pub thresholds: [f64; 4],
    /// Minimum frequency of levels 一级 … 五级, in months.
    pub months: [u32; 5],
}

impl Default for Levels {
    fn default() -> Self {
        Levels {
            thresholds: [0.5, 0.3, 0.15, 0.05],
            months: [6, 12, 18, 24, 36],
        }
    }
}

impl Levels {
    /// Parses thresholds and months, naming what is wrong.
    pub fn new(thresholds: [f64; 4], months: [u32; 5]) -> Result<Levels, Invalid> {
        if thresholds
            .iter()
            .any(|t| !t.is_finite() || *t <= 0.0 || *t >= 1.0)
            || thresholds.windows(2).any(|w| w[0] <= w[1])
        {
            return Err(Invalid::new(
                "thresholds",
                "风险等级阈值须为 0 到 1 之间、自一级至四级严格递减的概率",
                "thresholds must be probabilities in (0, 1), strictly descending",
            ));
        }
        if months.iter().any(|m| *m == 0 || *m > 120) || months.windows(2).any(|w| w[0] > w[1]) {
            return Err(Invalid::new(
                "months",
                "最低检查频次须为 1–120 个月，且风险越高间隔不得越长",
                "months must be 1–120 and not decrease with risk",
            ));
        }
        Ok(Levels { thresholds, months })
    }

    pub fn level(&self, probability: f64) -> Level {
        self.thresholds
            .iter()
            .position(|t| probability >= *t)
            .map_or(Level::Five, |i| Level::ALL[i])
    }

    pub fn months_of(&self, l: Level) -> u32 {
        self.months[l as usize]
    }
}

// ---------------------------------------------------------------------------------------
// Evaluation (Chicago)

/// One inspection of the held-out period: its real date, the model's score for the entity as
/// of the period's start, and whether it found a problem.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Sample {
    pub date: NaiveDate,
    pub score: f64,
    pub problem: bool,
}

/// One calibration decile: inspections ranked by score, in ten groups of (nearly) equal size.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[schema(as = RiskDecile)]
pub struct Decile {
    pub inspections: u64,
    pub mean_predicted: f64,
    pub observed_rate: f64,
}

/// The evaluation of a model on a held-out period.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[schema(as = RiskEvaluation)]
pub struct Evaluation {
    pub period_from: NaiveDate,
    pub period_to: NaiveDate,
    pub inspections: u64,
    pub problems: u64,
    /// Mean over the inspections that found a problem of (real date − date in the model's
    /// order): how many days earlier the model's order finds a problem. None without problems.
    pub mean_days_earlier: Option<f64>,
    /// Share of the period's problems found in the first half of the inspections, in the real
    /// order and in the model's order.
    pub first_half_actual: Option<f64>,
    pub first_half_model: Option<f64>,
    /// Area under the ROC curve (chance that a problem inspection outranks one without);
    /// None unless both outcomes occur.
    pub auc: Option<f64>,
    pub deciles: Vec<Decile>,
}

/// Evaluates a model on a held-out period the way Chicago did: the same inspections on the
/// same dates, re-ordered by score (highest first), ties kept in their real order so a model
/// that cannot tell entities apart changes nothing.
pub fn evaluate(from: NaiveDate, to: NaiveDate, samples: &[Sample]) -> Evaluation {
    let n = samples.len();
    let mut real: Vec<usize> = (0..n).collect();
    real.sort_by_key(|&i| (samples[i].date, i));
    let slots: Vec<NaiveDate> = real.iter().map(|&i| samples[i].date).collect();
    let mut rank_real = vec![0usize; n];
    for (k, &i) in real.iter().enumerate() {
        rank_real[i] = k;
    }
    let mut model = real.clone();
    model.sort_by(|&a, &b| {
        samples[b]
            .score
            .total_cmp(&samples[a].score)
            .then(rank_real[a].cmp(&rank_real[b]))
    });
    let problems = samples.iter().filter(|s| s.problem).count();
    let mut earlier = 0i64;
    for (k, &i) in model.iter().enumerate() {
        if samples[i].problem {
            earlier += days(samples[i].date, slots[k]);
        }
    }
    let half = n / 2;
    let first = |order: &[usize]| {
        (problems > 0).then(|| {
            order[..half]
                .iter()
                .filter(|&&i| samples[i].problem)
                .count() as f64
                / problems as f64
        })
    };
    // Calibration deciles over the ranking by score (ascending).
    let mut by_score: Vec<usize> = (0..n).collect();
    by_score.sort_by(|&a, &b| samples[a].score.total_cmp(&samples[b].score));
    let groups = n.min(10);
    let deciles = (0..groups)
        .map(|g| {
            let part = &by_score[g * n / groups..(g + 1) * n / groups];
            let m = part.len().max(1) as f64;
            Decile {
                inspections: part.len() as u64,
                mean_predicted: part.iter().map(|&i| samples[i].score).sum::<f64>() / m,
                observed_rate: part.iter().filter(|&&i| samples[i].problem).count() as f64 / m,
            }
        })
        .collect();
    Evaluation {
        period_from: from,
        period_to: to,
        inspections: n as u64,
        problems: problems as u64,
        mean_days_earlier: (problems > 0).then(|| earlier as f64 / problems as f64),
        first_half_actual: first(&real),
        first_half_model: first(&model),
        auc: auc(samples),
        deciles,
    }
}

/// The AUC by ranks (Mann–Whitney), ties counting a half.
pub fn auc(samples: &[Sample]) -> Option<f64> {
    let pos = samples.iter().filter(|s| s.problem).count();
    let neg = samples.len() - pos;
    if pos == 0 || neg == 0 {
        return None;
    }
    let mut idx: Vec<usize> = (0..samples.len()).collect();
    idx.sort_by(|&a, &b| samples[a].score.total_cmp(&samples[b].score));
    // Average ranks over ties, 1-based.
    let mut rank_sum_pos = 0.0;
    let mut k = 0;
    while k < idx.len() {
        let mut j = k;
        while j + 1 < idx.len() && samples[idx[j + 1]].score == samples[idx[k]].score {
            j += 1;
        }
        let avg = (k + j) as f64 / 2.0 + 1.0;
        for &i in &idx[k..=j] {
            if samples[i].problem {
                rank_sum_pos += avg;
            }
        }
        k = j + 1;
    }
    let p = pos as f64;
    Some((rank_sum_pos - p * (p + 1.0) / 2.0) / (p * neg as f64))
}

/// Results of one kind of pick in a year: how many inspections, how many found a problem.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, utoipa::ToSchema)]
#[schema(as = RiskArm)]
pub struct Arm {
    pub inspected: u64,
    pub problems: u64,
    /// Problems ÷ inspected; none without inspections.
    pub rate: Option<f64>,
    /// The rate's 95 % Wilson interval (low, high).
    pub interval: Option<(f64, f64)>,
}

impl Arm {
    pub fn new(inspected: u64, problems: u64) -> Arm {
        let (rate, interval) = if inspected == 0 {
            (None, None)
        } else {
            let n = inspected as f64;
            let p = problems.min(inspected) as f64 / n;
            // Wilson score interval, z = 1.96: sound for the small control arms of a county.
            let z = 1.96f64;
            let centre = (p + z * z / (2.0 * n)) / (1.0 + z * z / n);
            let half = z * (p * (1.0 - p) / n + z * z / (4.0 * n * n)).sqrt() / (1.0 + z * z / n);
            (
                Some(p),
                Some(((centre - half).max(0.0), (centre + half).min(1.0))),
            )
        };
        Arm {
            inspected,
            problems,
            rate,
            interval,
        }
    }
}

/// Fewer results than this in either arm, and a year's lift is shown as 样本不足.
pub const MIN_ARM_RESULTS: u64 = 30;

/// 随机对照检验: a year's inspections of risk-weighted plans, split by how the draw picked the
/// entity — the random control share or the weighted order (docs/draw-algorithm.md 12.13). The
/// control arm is a simple random sample of the same pools, so the ratio of the two problem
/// rates is the weighting's lift measured on fresh data (issue 16 item 4), not on the data the
/// model was fitted to.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
#[schema(as = RiskControlLift)]
pub struct ControlLift {
    pub year: i32,
    pub control: Arm,
    pub weighted: Arm,
    /// Weighted rate ÷ control rate; none when either arm has fewer than
    /// [`MIN_ARM_RESULTS`] results or the control arm found nothing.
    pub lift: Option<f64>,
}

impl ControlLift {
    pub fn new(year: i32, control: Arm, weighted: Arm) -> ControlLift {
        let lift = match (control.rate, weighted.rate) {
            (Some(c), Some(w))
                if c > 0.0
                    && control.inspected >= MIN_ARM_RESULTS
                    && weighted.inspected >= MIN_ARM_RESULTS =>
            {
                Some(w / c)
            }
            _ => None,
        };
        ControlLift {
            year,
            control,
            weighted,
            lift,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_lift_compares_the_two_arms_and_refuses_small_samples() {
        let l = ControlLift::new(2026, Arm::new(100, 10), Arm::new(900, 180));
        assert_eq!(l.lift, Some(2.0));
        let (lo, hi) = l.control.interval.unwrap();
        assert!(lo < 0.1 && hi > 0.1 && lo > 0.05 && hi < 0.18, "{lo} {hi}");
        assert_eq!(
            ControlLift::new(2026, Arm::new(29, 3), Arm::new(900, 180)).lift,
            None
        );
        assert_eq!(
            ControlLift::new(2026, Arm::new(100, 0), Arm::new(900, 180)).lift,
            None
        );
        assert_eq!(Arm::new(0, 0).rate, None);
        let all = Arm::new(5, 5);
        assert_eq!(all.rate, Some(1.0));
        assert!(all.interval.unwrap().1 <= 1.0);
    }

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    fn feature(code: &str, x: &[f64]) -> f64 {
        let f = feature_list(&["食品经营许可证".into()]);
        let i = f.iter().position(|f| f.code == code).unwrap();
        x[i]
    }

    #[test]
    fn features_count_only_events_before_the_day() {
        let h = History {
            listed_on: Some(d("2020-01-01")),
            inspections: vec![
                (d("2023-06-01"), true),
                (d("2025-03-01"), true),
                (d("2025-09-01"), false),
                // On the day itself: what is predicted, not a feature.
                (d("2026-01-10"), true),
            ],
            rectifications: vec![
                (d("2025-03-01"), Some(d("2025-04-01"))),
                (d("2025-09-01"), None),
                (d("2025-12-01"), Some(d("2026-02-01"))),
            ],
            complaints: vec![d("2024-01-01"), d("2025-06-01"), d("2026-01-10")],
            // One more than a year before, one within the year, one on the day.
            warnings: vec![d("2024-12-01"), d("2025-11-30"), d("2026-01-10")],
            penalties: vec![
                (d("2024-05-01"), Tier::General),
                (d("2025-05-01"), Tier::General),
                (d("2022-01-01"), Tier::Serious),
            ],
            licences: vec![
                ("食品经营许可证".into(), None, Some(d("2027-01-01"))),
                ("药品经营许可证".into(), None, Some(d("2025-01-01"))),
            ],
            tags: vec![(d("2024-01-01"), 3), (d("2026-02-01"), 7)],
        };
        let f = feature_list(&["食品经营许可证".into()]);
        let x = values(&f, &h, d("2026-01-10"));
        assert_eq!(feature("problems_1y", &x), 1.0);
        assert_eq!(feature("problems_3y", &x), 2.0);
        assert_eq!(feature("last_problem", &x), 0.0);
        assert_eq!(feature("open_rectifications", &x), 2.0);
        assert_eq!(feature("warnings_1y", &x), 1.0);
        assert_eq!(feature("complaints_1y", &x), 1.0);
        assert_eq!(feature("penalties_general_3y", &x), 2.0);
        assert_eq!(feature("penalties_serious_3y", &x), 0.0);
        assert_eq!(feature("days_since_inspection", &x), 131.0);
        assert_eq!(feature("never_inspected", &x), 0.0);
        assert_eq!(feature("tag_weight", &x), 3.0);
        assert_eq!(feature("licence_types", &x), 1.0);
        assert_eq!(feature("licence:食品经营许可证", &x), 1.0);
        assert!((feature("listed_years", &x) - 6.02).abs() < 0.01);
        let x = values(&f, &History::default(), d("2026-01-10"));
        assert_eq!(feature("never_inspected", &x), 1.0);
        assert_eq!(feature("days_since_inspection", &x), DAYS_CAP);
        assert_eq!(feature("tag_weight", &x), 1.0);
    }

    fn model() -> Model {
        Model {
            features: feature_list(&[])[..2].to_vec(),
            means: vec![1.0, 2.0],
            scales: vec![2.0, 0.5],
            coefficients: vec![0.8, -0.4],
            intercept: -1.0,
        }
    }

    #[test]
    fn contributions_add_up_to_the_score() {
        let m = model();
        m.check().unwrap();
        let x = [3.0, 1.0];
        let e = m.explain(&x);
        assert!((e.contributions[0].contribution - 0.8).abs() < 1e-12);
        assert!((e.contributions[1].contribution - 0.8).abs() < 1e-12);
        assert!((e.log_odds - 0.6).abs() < 1e-12);
        assert!((e.probability - m.probability(&x)).abs() < 1e-12);
        let (w, c) = m.folded();
        let z = c + w[0] * x[0] + w[1] * x[1];
        assert!((z - e.log_odds).abs() < 1e-12);
        let mut bad = m.clone();
        bad.scales[1] = 0.0;
        assert!(bad.check().is_err());
        bad.scales.pop();
        assert!(bad.check().is_err());
    }

    #[test]
    fn standardiser_keeps_constant_columns_at_scale_one() {
        let (m, s) = standardiser(&[vec![1.0, 5.0], vec![3.0, 5.0]], 2);
        assert_eq!(m, vec![2.0, 5.0]);
        assert_eq!(s, vec![1.0, 1.0]);
        let (_, s) = standardiser(&[vec![0.0], vec![4.0]], 1);
        assert_eq!(s, vec![2.0]);
    }

    #[test]
    fn levels_and_their_bounds() {
        let l = Levels::default();
        assert_eq!(l.level(0.9), Level::One);
        assert_eq!(l.level(0.5), Level::One);
        assert_eq!(l.level(0.49), Level::Two);
        assert_eq!(l.level(0.2), Level::Three);
        assert_eq!(l.level(0.06), Level::Four);
        assert_eq!(l.level(0.01), Level::Five);
        assert_eq!(l.months_of(Level::One), 6);
        assert_eq!(Level::from_number(3), Some(Level::Three));
        assert_eq!(Level::from_number(0), None);
        assert_eq!(Level::from_number(6), None);
        assert!(Levels::new([0.5, 0.5, 0.1, 0.05], [6, 12, 18, 24, 36]).is_err());
        assert!(Levels::new([1.0, 0.5, 0.1, 0.05], [6, 12, 18, 24, 36]).is_err());
        assert!(Levels::new([0.5, 0.3, 0.1, 0.05], [12, 6, 18, 24, 36]).is_err());
        assert!(Levels::new([0.5, 0.3, 0.1, 0.05], [0, 6, 18, 24, 36]).is_err());
        assert!(Levels::new([0.6, 0.3, 0.1, 0.05], [3, 6, 18, 24, 36]).is_ok());
    }

    #[test]
    fn reordering_by_a_perfect_score_finds_problems_earlier() {
        // Ten inspections on days 1..10; problems on days 6, 8 and 10.
        let s: Vec<Sample> = (1..=10)
            .map(|k| Sample {
                date: d("2026-03-01") + chrono::Days::new(k - 1),
                score: if k % 2 == 0 && k >= 6 { 0.9 } else { 0.1 },
                problem: k % 2 == 0 && k >= 6,
            })
            .collect();
        let e = evaluate(d("2026-03-01"), d("2026-03-10"), &s);
        assert_eq!(e.inspections, 10);
        assert_eq!(e.problems, 3);
        // Real days 6, 8, 10 become slots 1, 2, 3: (5 + 6 + 7) / 3 = 6 days earlier.
        assert_eq!(e.mean_days_earlier, Some(6.0));
        assert_eq!(e.first_half_actual, Some(0.0));
        assert_eq!(e.first_half_model, Some(1.0));
        assert_eq!(e.auc, Some(1.0));
        assert_eq!(e.deciles.len(), 10);
        assert_eq!(e.deciles[9].observed_rate, 1.0);
        // A constant score changes nothing.
        let flat: Vec<Sample> = s.iter().map(|x| Sample { score: 0.3, ..*x }).collect();
        let e = evaluate(d("2026-03-01"), d("2026-03-10"), &flat);
        assert_eq!(e.mean_days_earlier, Some(0.0));
        assert_eq!(e.first_half_model, e.first_half_actual);
        assert_eq!(e.auc, Some(0.5));
        // An inverted score makes it later.
        let inv: Vec<Sample> = s
            .iter()
            .map(|x| Sample {
                score: 1.0 - x.score,
                ..*x
            })
            .collect();
        let e = evaluate(d("2026-03-01"), d("2026-03-10"), &inv);
        assert!(e.mean_days_earlier.unwrap() < 0.0);
        assert_eq!(e.auc, Some(0.0));
        assert!(
            evaluate(d("2026-03-01"), d("2026-03-10"), &[])
                .auc
                .is_none()
        );
    }
}
