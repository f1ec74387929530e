//! The credit evaluation index (信用评价指标体系, issue 15 item 2): indicators with weights and
//! scoring rules over an entity's facts, and thresholds from the score to the credit-risk class
//! (A 信用风险低 … D 高).
//!
//! Scoring is deduction-based (扣分制), as local indices usually are: an entity starts at 100
//! points; every negative indicator deducts points per fact and at most its weight, and the
//! weights of the negative indicators sum to 100, so the score stays within 0–100. The
//! commendation indicator (表彰奖励) adds points, at most its own weight (a bonus outside the
//! 100). The thresholds map the score to a class: at least `a` is A, at least `b` is B, at least
//! `c` is C, below is D. Whatever the score, an active serious-dishonesty listing (严重违法失信
//! 名单) or a joint-sanction measure that raises inspection frequency (`class_d`) forces D.
//!
//! Pure: [`evaluate`] maps an index and one entity's [`Facts`] to the score, the class and every
//! indicator's contribution with a Chinese explanation; [`Scorer`] does the same without the
//! explanations for whole regions at once (the bench scores 15 million entities with it).

use serde::{Deserialize, Serialize};

use crate::Invalid;
use crate::directory::CreditClass;

/// What one entity did within the index's windows, aggregated by the store. Compact (24
/// bytes) so a province fits in memory as columns.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[schema(as = CreditFacts)]
pub struct Facts {
    /// Active penalties decided within the penalty window, by tier: 轻微, 一般, 严重.
    pub penalties: [u16; 3],
    /// Published inspection results within the inspection window that found a problem the
    /// entity corrected on the spot (发现问题已责令改正).
    pub problems_rectified: u16,
    /// Published inspection results within the window that found a problem not (yet) corrected.
    pub problems_open: u16,
    /// Complaints and reports naming the entity found true (查实: 属实 or 部分属实 at 办结)
    /// within the window — the active credit records of kind 查实投诉举报.
    pub complaints: u16,
    /// On the abnormal-operation list now (经营异常名录).
    pub abnormal: bool,
    /// On the serious-dishonesty list now (严重违法失信名单).
    pub dishonest: bool,
    /// Joint-sanction measures in force today.
    pub sanctions: u16,
    /// One of them raises inspection frequency (the entity counts as class D).
    pub sanction_class_d: bool,
    /// Commendations within the commendation window.
    pub commendations: u16,
}

/// One indicator's rule. Points are deducted (or, for commendations, added) per fact.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[schema(as = CreditIndicatorRule)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Rule {
    /// 行政处罚: penalties decided in the last `months` months, points per penalty by tier.
    Penalties {
        months: u32,
        minor: u32,
        general: u32,
        serious: u32,
    },
    /// 检查发现问题: problems found by published inspections in the last `months` months,
    /// fewer points when corrected.
    InspectionProblems {
        months: u32,
        rectified: u32,
        open: u32,
    },
    /// 查实投诉举报: complaints and reports found true in the last `months` months. The code
    /// stays `complaints` so stored index versions keep parsing and mean what their weights
    /// say; until the clue finding existed it counted every complaint handled to the end, since
    /// then only the verified ones (docs/architecture.md "Credit evaluation"): an unverified
    /// complaint says nothing about an entity's credit.
    Complaints { months: u32, each: u32 },
    /// 名录状态: on the abnormal-operation list; on the serious-dishonesty list.
    Listings { abnormal: u32, dishonest: u32 },
    /// 联合惩戒: measures in force.
    Sanctions { each: u32 },
    /// 表彰奖励 (adds points): commendations in the last `months` months.
    Commendations { months: u32, each: u32 },
}

impl Rule {
    /// The stable code of the rule's kind (one indicator per kind).
    pub fn code(&self) -> &'static str {
        match self {
            Rule::Penalties { .. } => "penalties",
            Rule::InspectionProblems { .. } => "inspection_problems",
            Rule::Complaints { .. } => "complaints",
            Rule::Listings { .. } => "listings",
            Rule::Sanctions { .. } => "sanctions",
            Rule::Commendations { .. } => "commendations",
        }
    }

    pub fn label_zh(&self) -> &'static str {
        match self {
            Rule::Penalties { .. } => "行政处罚",
            Rule::InspectionProblems { .. } => "检查发现问题",
            Rule::Complaints { .. } => "查实投诉举报",
            Rule::Listings { .. } => "名录状态",
            Rule::Sanctions { .. } => "联合惩戒",
            Rule::Commendations { .. } => "表彰奖励",
        }
    }

    /// Whether the indicator adds points (a bonus) rather than deducting them.
    pub fn is_bonus(&self) -> bool {
        matches!(self, Rule::Commendations { .. })
    }

    fn months(&self) -> Option<u32> {
        match self {
            Rule::Penalties { months, .. }
            | Rule::InspectionProblems { months, .. }
            | Rule::Complaints { months, .. }
            | Rule::Commendations { months, .. } => Some(*months),
            _ => None,
        }
    }

    /// Raw points for `f` (before the weight caps them) and the explanation of the facts.
    fn points(&self, f: &Facts) -> (u32, String) {
        let n = |x: u16| u32::from(x);
        match *self {
            Rule::Penalties {
                months,
                minor,
                general,
                serious,
            } => {
                let p = n(f.penalties[0]) * minor
                    + n(f.penalties[1]) * general
                    + n(f.penalties[2]) * serious;
                let parts: Vec<String> = [("轻微", 0), ("一般", 1), ("严重", 2)]
                    .iter()
                    .filter(|(_, i)| f.penalties[*i] > 0)
                    .map(|(t, i)| format!("{t}行政处罚{}次", f.penalties[*i]))
                    .collect();
                let text = if parts.is_empty() {
                    format!("近{months}个月无行政处罚")
                } else {
                    format!("近{months}个月{}", parts.join("、"))
                };
                (p, text)
            }
            Rule::InspectionProblems {
                months,
                rectified,
                open,
            } => {
                let p = n(f.problems_rectified) * rectified + n(f.problems_open) * open;
                let text = match (f.problems_rectified, f.problems_open) {
                    (0, 0) => format!("近{months}个月检查未发现问题"),
                    (r, 0) => format!("近{months}个月检查发现问题{r}次，均已当场整改"),
                    (0, o) => format!("近{months}个月检查发现问题{o}次，未整改或待后续处理"),
                    (r, o) => format!(
                        "近{months}个月检查发现问题{}次，其中已整改{r}次、未整改或待后续处理{o}次",
                        r + o
                    ),
                };
                (p, text)
            }
            Rule::Complaints { months, each } => (
                n(f.complaints) * each,
                if f.complaints == 0 {
                    format!("近{months}个月无查实的投诉举报")
                } else {
                    format!("近{months}个月被投诉举报经查属实{}件", f.complaints)
                },
            ),
            Rule::Listings {
                abnormal,
                dishonest,
            } => {
                let p =
                    if f.abnormal { abnormal } else { 0 } + if f.dishonest { dishonest } else { 0 };
                let text = match (f.abnormal, f.dishonest) {
                    (false, false) => "未列入经营异常名录或严重违法失信名单".to_string(),
                    (true, false) => "列入经营异常名录".to_string(),
                    (false, true) => "列入严重违法失信名单".to_string(),
                    (true, true) => "列入经营异常名录和严重违法失信名单".to_string(),
                };
                (p, text)
            }
            Rule::Sanctions { each } => (
                n(f.sanctions) * each,
                if f.sanctions == 0 {
                    "无正在执行的联合惩戒措施".to_string()
                } else {
                    format!("正在执行联合惩戒措施{}项", f.sanctions)
                },
            ),
            Rule::Commendations { months, each } => (
                n(f.commendations) * each,
                if f.commendations == 0 {
                    format!("近{months}个月无表彰奖励")
                } else {
                    format!("近{months}个月获表彰奖励{}次", f.commendations)
                },
            ),
        }
    }
}

/// One indicator: a rule and its weight (the most points it can move).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[schema(as = CreditIndicator)]
pub struct Indicator {
    pub rule: Rule,
    pub weight: u32,
}

/// Score → class: at least `a` is A, at least `b` is B, at least `c` is C, below is D.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[schema(as = CreditThresholds)]
pub struct Thresholds {
    pub a: i32,
    pub b: i32,
    pub c: i32,
}

impl Thresholds {
    pub fn class_of(&self, score: i32) -> CreditClass {
        if score >= self.a {
            CreditClass::A
        } else if score >= self.b {
            CreditClass::B
        } else if score >= self.c {
            CreditClass::C
        } else {
            CreditClass::D
        }
    }
}

/// A parsed, valid index definition (the body of one version).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[schema(as = CreditIndexDef)]
pub struct IndexDef {
    pub indicators: Vec<Indicator>,
    pub thresholds: Thresholds,
}

/// The score every entity starts from.
pub const BASE: i32 = 100;
/// The most a bonus indicator may add.
pub const MAX_BONUS: u32 = 20;
/// The longest window an indicator may look back (five years).
pub const MAX_MONTHS: u32 = 60;
/// The most points one fact may move.
pub const MAX_POINTS: u32 = 100;

impl IndexDef {
    /// The index a region uses until someone defines its own: 近24个月 penalties (轻微 5,
    /// 一般 30, 严重 60; weight 40), 近24个月 inspection problems (corrected 5, open 15; weight 20),
    /// 近12个月 verified complaints (5 each; weight 10), listings (abnormal 20, dishonest 30; weight 20),
    /// sanctions (10 each; weight 10), 近24个月 commendations (+5 each, at most 10); A ≥ 90,
    /// B ≥ 70, C ≥ 50.
    pub fn standard() -> Self {
        IndexDef {
            indicators: vec![
                Indicator {
                    rule: Rule::Penalties {
                        months: 24,
                        minor: 5,
                        general: 30,
                        serious: 60,
                    },
                    weight: 40,
                },
                Indicator {
                    rule: Rule::InspectionProblems {
                        months: 24,
                        rectified: 5,
                        open: 15,
                    },
                    weight: 20,
                },
                Indicator {
                    rule: Rule::Complaints {
                        months: 12,
                        each: 5,
                    },
                    weight: 10,
                },
                Indicator {
                    rule: Rule::Listings {
                        abnormal: 20,
                        dishonest: 30,
                    },
                    weight: 20,
                },
                Indicator {
                    rule: Rule::Sanctions { each: 10 },
                    weight: 10,
                },
                Indicator {
                    rule: Rule::Commendations {
                        months: 24,
                        each: 5,
                    },
                    weight: 10,
                },
            ],
            thresholds: Thresholds {
                a: 90,
                b: 70,
                c: 50,
            },
        }
    }

    /// Checks a definition as received (API body or form), naming each bad field: at least one
    /// indicator, no kind twice, windows 1–60 months, points 0–100, weights 1–100 with the
    /// deducting ones summing to exactly 100 and a bonus at most 20, thresholds within 0–100
    /// and strictly ordered a > b > c.
    pub fn parse(self) -> Result<Self, Vec<(String, Invalid)>> {
        let mut errs: Vec<(String, Invalid)> = Vec::new();
        if self.indicators.is_empty() {
            errs.push((
                "indicators".into(),
                Invalid::new(
                    "required",
                    "至少需要一个指标",
                    "at least one indicator is required",
                ),
            ));
        }
        let mut seen = Vec::new();
        let mut sum = 0u32;
        for (i, ind) in self.indicators.iter().enumerate() {
            let at = |f: &str| format!("indicators[{i}].{f}");
            let label = ind.rule.label_zh();
            if seen.contains(&ind.rule.code()) {
                errs.push((
                    at("rule"),
                    Invalid::new(
                        "duplicate",
                        format!("指标“{label}”重复出现"),
                        format!("indicator '{}' appears twice", ind.rule.code()),
                    ),
                ));
            }
            seen.push(ind.rule.code());
            if let Some(m) = ind.rule.months()
                && !(1..=MAX_MONTHS).contains(&m)
            {
                errs.push((
                    at("rule.months"),
                    Invalid::new(
                        "out_of_range",
                        format!("指标“{label}”的统计期应为 1–{MAX_MONTHS} 个月"),
                        format!(
                            "the window of '{}' must be 1–{MAX_MONTHS} months",
                            ind.rule.code()
                        ),
                    ),
                ));
            }
            let points: Vec<(&str, u32)> = match ind.rule {
                Rule::Penalties {
                    minor,
                    general,
                    serious,
                    ..
                } => vec![("minor", minor), ("general", general), ("serious", serious)],
                Rule::InspectionProblems {
                    rectified, open, ..
                } => {
                    vec![("rectified", rectified), ("open", open)]
                }
                Rule::Complaints { each, .. }
                | Rule::Sanctions { each }
                | Rule::Commendations { each, .. } => vec![("each", each)],
                Rule::Listings {
                    abnormal,
                    dishonest,
                } => vec![("abnormal", abnormal), ("dishonest", dishonest)],
            };
            for (f, p) in points {
                if p > MAX_POINTS {
                    errs.push((
                        at(&format!("rule.{f}")),
                        Invalid::new(
                            "out_of_range",
                            format!("指标“{label}”的每项分值应为 0–{MAX_POINTS} 分"),
                            format!("points of '{}' must be 0–{MAX_POINTS}", ind.rule.code()),
                        ),
                    ));
                }
            }
            let max = if ind.rule.is_bonus() { MAX_BONUS } else { 100 };
            if !(1..=max).contains(&ind.weight) {
                errs.push((
                    at("weight"),
                    Invalid::new(
                        "out_of_range",
                        format!("指标“{label}”的权重应为 1–{max} 分"),
                        format!("the weight of '{}' must be 1–{max}", ind.rule.code()),
                    ),
                ));
            }
            if !ind.rule.is_bonus() {
                sum += ind.weight;
            }
        }
        if !self.indicators.is_empty() && sum != 100 {
            errs.push((
                "indicators".into(),
                Invalid::new(
                    "weights_sum",
                    format!("扣分指标的权重合计应为 100 分，现为 {sum} 分"),
                    format!("the weights of the deducting indicators must sum to 100, not {sum}"),
                ),
            ));
        }
        let t = self.thresholds;
        for (f, v) in [("a", t.a), ("b", t.b), ("c", t.c)] {
            if !(0..=100).contains(&v) {
                errs.push((
                    format!("thresholds.{f}"),
                    Invalid::new(
                        "out_of_range",
                        format!("{}类分数线应为 0–100 分", f.to_ascii_uppercase()),
                        format!("threshold {f} must be 0–100"),
                    ),
                ));
            }
        }
        if !(t.a > t.b && t.b > t.c) {
            errs.push((
                "thresholds".into(),
                Invalid::new(
                    "unordered",
                    format!(
                        "分数线应满足 A类 > B类 > C类，现为 {} / {} / {}",
                        t.a, t.b, t.c
                    ),
                    "thresholds must be ordered a > b > c",
                ),
            ));
        }
        if errs.is_empty() { Ok(self) } else { Err(errs) }
    }

    /// The window of the rule of `code` in months (the store aggregates facts over it); 0 when
    /// the index has no such indicator.
    pub fn months_of(&self, code: &str) -> u32 {
        self.indicators
            .iter()
            .find(|i| i.rule.code() == code)
            .and_then(|i| i.rule.months())
            .unwrap_or(0)
    }
}

/// A credit class as its letter, `"A"`–`"D"`, as the rest of the API shows it
/// (`#[serde(with = "letter")]`).
pub mod letter {
    use serde::{Deserialize, Deserializer, Serializer};

    use crate::directory::CreditClass;

    pub fn serialize<S: Serializer>(c: &CreditClass, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(c.as_str())
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<CreditClass, D::Error> {
        let s = String::deserialize(d)?;
        CreditClass::parse(&s).map_err(|e| serde::de::Error::custom(e.en))
    }
}

/// [`letter`] for an optional class.
pub mod letter_opt {
    use serde::{Deserialize, Deserializer, Serializer};

    use crate::directory::CreditClass;

    pub fn serialize<S: Serializer>(c: &Option<CreditClass>, s: S) -> Result<S::Ok, S::Error> {
        match c {
            Some(c) => s.serialize_some(c.as_str()),
            None => s.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<CreditClass>, D::Error> {
        match Option::<String>::deserialize(d)? {
            None => Ok(None),
            Some(s) => CreditClass::parse(&s)
                .map(Some)
                .map_err(|e| serde::de::Error::custom(e.en)),
        }
    }
}

/// What one indicator moved.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[schema(as = CreditContribution)]
pub struct Contribution {
    /// The rule's code (`penalties`, …).
    pub indicator: String,
    pub label: String,
    /// Points moved: negative for a deduction, positive for a bonus.
    pub points: i32,
    /// What the entity did and what it cost, e.g. “近24个月一般行政处罚1次，扣30分”.
    pub explanation: String,
}

/// The result for one entity.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[schema(as = CreditEvaluation)]
pub struct Evaluation {
    pub score: i32,
    /// `A`–`D`.
    #[serde(with = "letter")]
    #[schema(value_type = String)]
    pub class: CreditClass,
    pub contributions: Vec<Contribution>,
    /// Why the class was forced to D regardless of the score, when it was.
    pub forced: Option<String>,
}

/// Why `f` forces class D, if it does.
pub fn forced_d(f: &Facts) -> Option<&'static str> {
    if f.dishonest {
        Some("列入严重违法失信名单，直接评为D类")
    } else if f.sanction_class_d {
        Some("正在执行提高检查频次的联合惩戒措施，直接评为D类")
    } else {
        None
    }
}

/// Scores one entity with every indicator's contribution explained.
pub fn evaluate(def: &IndexDef, f: &Facts) -> Evaluation {
    let mut score = BASE;
    let mut contributions = Vec::with_capacity(def.indicators.len());
    for ind in &def.indicators {
        let (raw, facts) = ind.rule.points(f);
        let capped = raw.min(ind.weight) as i32;
        let (points, explanation) = if ind.rule.is_bonus() {
            (
                capped,
                if capped > 0 {
                    format!("{facts}，加{capped}分")
                } else {
                    format!("{facts}，不加分")
                },
            )
        } else if capped > 0 {
            let cap = if raw > ind.weight {
                format!("（按权重封顶{}分）", ind.weight)
            } else {
                String::new()
            };
            (-capped, format!("{facts}，扣{capped}分{cap}"))
        } else {
            (0, format!("{facts}，不扣分"))
        };
        score += points;
        contributions.push(Contribution {
            indicator: ind.rule.code().into(),
            label: ind.rule.label_zh().into(),
            points,
            explanation,
        });
    }
    let score = score.clamp(0, BASE + MAX_BONUS as i32);
    let forced = forced_d(f);
    Evaluation {
        score,
        class: if forced.is_some() {
            CreditClass::D
        } else {
            def.thresholds.class_of(score)
        },
        contributions,
        forced: forced.map(String::from),
    }
}

/// The index compiled for scoring many entities: the same result as [`evaluate`] without
/// building explanations.
#[derive(Debug, Clone)]
pub struct Scorer {
    /// (minor, general, serious, cap) — u32::MAX cap when the index has no such indicator.
    penalties: [u32; 4],
    problems: [u32; 3],
    complaints: [u32; 2],
    listings: [u32; 3],
    sanctions: [u32; 2],
    commendations: [u32; 2],
    thresholds: Thresholds,
}

impl Scorer {
    pub fn new(def: &IndexDef) -> Self {
        let mut s = Scorer {
            penalties: [0; 4],
            problems: [0; 3],
            complaints: [0; 2],
            listings: [0; 3],
            sanctions: [0; 2],
            commendations: [0; 2],
            thresholds: def.thresholds,
        };
        for ind in &def.indicators {
            let w = ind.weight;
            match ind.rule {
                Rule::Penalties {
                    minor,
                    general,
                    serious,
                    ..
                } => s.penalties = [minor, general, serious, w],
                Rule::InspectionProblems {
                    rectified, open, ..
                } => s.problems = [rectified, open, w],
                Rule::Complaints { each, .. } => s.complaints = [each, w],
                Rule::Listings {
                    abnormal,
                    dishonest,
                } => s.listings = [abnormal, dishonest, w],
                Rule::Sanctions { each } => s.sanctions = [each, w],
                Rule::Commendations { each, .. } => s.commendations = [each, w],
            }
        }
        s
    }

    /// Score and class of one entity.
    #[inline]
    pub fn score(&self, f: &Facts) -> (i32, CreditClass) {
        let n = |x: u16| x as u32;
        let p = &self.penalties;
        let pen = (n(f.penalties[0]) * p[0] + n(f.penalties[1]) * p[1] + n(f.penalties[2]) * p[2])
            .min(p[3]);
        let q = &self.problems;
        let prob = (n(f.problems_rectified) * q[0] + n(f.problems_open) * q[1]).min(q[2]);
        let comp = (n(f.complaints) * self.complaints[0]).min(self.complaints[1]);
        let l = &self.listings;
        let list = (f.abnormal as u32 * l[0] + f.dishonest as u32 * l[1]).min(l[2]);
        let sanc = (n(f.sanctions) * self.sanctions[0]).min(self.sanctions[1]);
        let bonus = (n(f.commendations) * self.commendations[0]).min(self.commendations[1]);
        let score = (BASE - (pen + prob + comp + list + sanc) as i32 + bonus as i32)
            .clamp(0, BASE + MAX_BONUS as i32);
        let class = if f.dishonest || f.sanction_class_d {
            CreditClass::D
        } else {
            self.thresholds.class_of(score)
        };
        (score, class)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn the_standard_index_is_valid() {
        assert!(IndexDef::standard().parse().is_ok());
    }

    #[test]
    fn one_general_penalty_is_explained() {
        let f = Facts {
            penalties: [0, 1, 0],
            ..Facts::default()
        };
        let e = evaluate(&IndexDef::standard(), &f);
        assert_eq!(e.score, 70);
        assert_eq!(e.class, CreditClass::B);
        assert_eq!(e.contributions[0].points, -30);
        assert_eq!(
            e.contributions[0].explanation,
            "近24个月一般行政处罚1次，扣30分"
        );
        assert_eq!(
            e.contributions[2].explanation,
            "近12个月无查实的投诉举报，不扣分"
        );
        assert!(e.forced.is_none());
    }

    #[test]
    fn weights_cap_deductions_and_bonuses() {
        let f = Facts {
            penalties: [0, 0, 2],
            commendations: 5,
            ..Facts::default()
        };
        let e = evaluate(&IndexDef::standard(), &f);
        assert_eq!(e.contributions[0].points, -40);
        assert!(e.contributions[0].explanation.contains("按权重封顶40分"));
        assert_eq!(e.contributions[5].points, 10);
        assert_eq!(e.score, 70);
    }

    #[test]
    fn dishonesty_and_class_d_sanctions_force_d() {
        let def = IndexDef::standard();
        let e = evaluate(
            &def,
            &Facts {
                dishonest: true,
                ..Facts::default()
            },
        );
        assert_eq!(e.score, 80);
        assert_eq!(e.class, CreditClass::D);
        assert!(e.forced.unwrap().contains("严重违法失信"));
        let e = evaluate(
            &def,
            &Facts {
                sanctions: 1,
                sanction_class_d: true,
                ..Facts::default()
            },
        );
        assert_eq!(e.class, CreditClass::D);
        assert_eq!(evaluate(&def, &Facts::default()).class, CreditClass::A);
    }

    #[test]
    fn bad_definitions_name_their_fields() {
        let mut def = IndexDef::standard();
        def.indicators[0].weight = 30;
        def.indicators[1].rule = Rule::InspectionProblems {
            months: 0,
            rectified: 5,
            open: 500,
        };
        def.indicators.push(Indicator {
            rule: Rule::Sanctions { each: 1 },
            weight: 0,
        });
        def.thresholds = Thresholds {
            a: 70,
            b: 90,
            c: 120,
        };
        let errs = def.parse().unwrap_err();
        let fields: Vec<&str> = errs.iter().map(|(f, _)| f.as_str()).collect();
        for f in [
            "indicators[1].rule.months",
            "indicators[1].rule.open",
            "indicators[6].rule",
            "indicators[6].weight",
            "indicators",
            "thresholds.c",
            "thresholds",
        ] {
            assert!(fields.contains(&f), "{f} in {fields:?}");
        }
        let sum = errs.iter().find(|(f, _)| f == "indicators").unwrap();
        assert!(
            sum.1.zh.contains("合计应为 100 分，现为 90 分"),
            "{}",
            sum.1.zh
        );
        let empty = IndexDef {
            indicators: vec![],
            thresholds: Thresholds {
                a: 90,
                b: 70,
                c: 50,
            },
        };
        assert_eq!(empty.parse().unwrap_err()[0].1.code, "required");
    }

    fn facts() -> impl Strategy<Value = Facts> {
        (
            prop::array::uniform3(0u16..5),
            0u16..5,
            0u16..5,
            0u16..8,
            any::<bool>(),
            any::<bool>(),
            0u16..3,
            any::<bool>(),
            0u16..4,
        )
            .prop_map(|(p, r, o, c, a, d, s, sd, m)| Facts {
                penalties: p,
                problems_rectified: r,
                problems_open: o,
                complaints: c,
                abnormal: a,
                dishonest: d,
                sanctions: s,
                sanction_class_d: sd && s > 0,
                commendations: m,
            })
    }

    fn defs() -> impl Strategy<Value = IndexDef> {
        (0u32..=60, 0u32..=60, 50i32..=99, 1i32..=40, 1u32..=20).prop_map(
            |(general, open, a, gap, bonus)| {
                let mut d = IndexDef::standard();
                d.indicators[0].rule = Rule::Penalties {
                    months: 24,
                    minor: 1,
                    general,
                    serious: 100,
                };
                d.indicators[1].rule = Rule::InspectionProblems {
                    months: 12,
                    rectified: 2,
                    open,
                };
                d.indicators[5].weight = bonus;
                let b = (a - gap).max(1);
                d.thresholds = Thresholds {
                    a,
                    b,
                    c: (b - gap).max(0),
                };
                d
            },
        )
    }

    proptest! {
        #[test]
        fn the_fast_scorer_agrees_with_the_explained_one(def in defs(), f in facts()) {
            prop_assume!(def.clone().parse().is_ok());
            let e = evaluate(&def, &f);
            prop_assert_eq!(Scorer::new(&def).score(&f), (e.score, e.class));
            // The contributions add up to the score.
            let sum: i32 = e.contributions.iter().map(|c| c.points).sum();
            prop_assert_eq!(e.score, BASE + sum);
        }

        #[test]
        fn more_wrongdoing_never_improves_the_class(def in defs(), f in facts(), tier in 0usize..3) {
            prop_assume!(def.clone().parse().is_ok());
            let mut worse = f;
            worse.penalties[tier] += 1;
            worse.problems_open += 1;
            worse.complaints += 1;
            let s = Scorer::new(&def);
            let (a, ca) = s.score(&f);
            let (b, cb) = s.score(&worse);
            prop_assert!(b <= a);
            prop_assert!(cb as u8 >= ca as u8, "{:?} then {:?}", ca, cb);
        }

        #[test]
        fn scores_stay_in_range(def in defs(), f in facts()) {
            prop_assume!(def.clone().parse().is_ok());
            let (s, c) = Scorer::new(&def).score(&f);
            prop_assert!((0..=BASE + MAX_BONUS as i32).contains(&s));
            if f.dishonest || f.sanction_class_d {
                prop_assert_eq!(c, CreditClass::D);
            }
        }
    }
}
