//! A synthetic inspection history (合成数据) for the risk model's demo and benchmark: a fixed
//! seed makes the same history; another seed makes another one, on which the whole fit and
//! evaluation are re-run (`lianjian risk demo --seed N`). Nothing here is real data and no
//! real entity is scored with a model fitted on it.
//!
//! The process, documented in README.md ("风险预测模型"):
//! 1. Each entity gets a hidden compliance propensity `u ~ N(0, 1)` (never a feature: it is
//!    the noise a model cannot see), a day it was listed (0–15 years before the history
//!    starts), licences (食品经营许可证 50 %, 药品经营许可证 15 %, 医疗器械经营许可证 10 %,
//!    特种设备使用登记证 10 %) and a tag risk weight (1: 80 %, 3: 15 %, 6: 5 %).
//! 2. Complaints arrive as a Poisson process of 0.3·e^(0.7u) a year, risk warnings (devices,
//!    monitoring) as one of 0.2·e^(0.8u) a year; inspections as one of 0.8 + 0.2·(weight − 1)
//!    a year (the real schedule is mostly random, a little risk-led).
//! 3. Inspections are walked in date order. Each finds a problem with probability
//!    logistic(−1.9 + 0.9u + 0.5·problems in the past year + 0.35·complaints in the past year +
//!    0.3·warnings in the past year + 0.45·open rectifications + 0.12·(weight − 1) + 0.5·[food licence] +
//!    0.15·min(years since the last inspection, 3) − 0.03·years listed): it depends on the
//!    features plus the hidden `u` and the coin flip.
//! 4. A problem issues a rectification order that passes review 20–90 days later (80 %) or
//!    never; with chance 30 % a penalty follows 30 days later (轻微 60 %, 一般 30 %, 严重 10 %).

use chrono::{Days, NaiveDate};
use lianjian_domain::credit::Tier;
use lianjian_domain::risk::History;

use super::Windows;

/// The history runs from `START` to `END`; the model trains on 2022-01-01 … 2025-09-30 and is
/// evaluated on the last quarter.
pub const START: NaiveDate = NaiveDate::from_ymd_opt(2021, 1, 1).expect("date");
pub const END: NaiveDate = NaiveDate::from_ymd_opt(2025, 12, 31).expect("date");
pub const WINDOWS: Windows = Windows {
    train_from: NaiveDate::from_ymd_opt(2022, 1, 1).expect("date"),
    train_to: NaiveDate::from_ymd_opt(2025, 9, 30).expect("date"),
    eval_to: END,
};
/// Entities of the demo's synthetic history.
pub const DEMO_ENTITIES: usize = 4000;
/// The demo's seed.
pub const DEMO_SEED: u64 = 20_261_207;

const LICENCES: [(&str, u64); 4] = [
    ("食品经营许可证", 500),
    ("药品经营许可证", 150),
    ("医疗器械经营许可证", 100),
    ("特种设备使用登记证", 100),
];

/// SplitMix64: small, fast and the same on every platform (the demo must rerun exactly).
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed)
    }
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    /// Uniform in [0, 1).
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }
    /// True with probability `per_mille` / 1000.
    pub fn chance(&mut self, per_mille: u64) -> bool {
        self.next_u64() % 1000 < per_mille
    }
    pub fn below(&mut self, n: u64) -> u64 {
        ((u128::from(self.next_u64()) * u128::from(n)) >> 64) as u64
    }
    /// Standard normal (Box–Muller).
    pub fn normal(&mut self) -> f64 {
        let a = self.unit().max(1e-12);
        let b = self.unit();
        (-2.0 * a.ln()).sqrt() * (std::f64::consts::TAU * b).cos()
    }
    /// Days until the next event of a Poisson process of `per_year` events a year.
    fn gap(&mut self, per_year: f64) -> u64 {
        let u = self.unit().max(1e-12);
        (-u.ln() / per_year * 365.0).ceil() as u64
    }
}

fn logistic(z: f64) -> f64 {
    1.0 / (1.0 + (-z).exp())
}

/// Poisson-process event days within [START, END].
fn arrivals(rng: &mut Rng, per_year: f64) -> Vec<NaiveDate> {
    let mut out = Vec::new();
    let mut d = START;
    loop {
        d = d + Days::new(rng.gap(per_year));
        if d > END {
            return out;
        }
        out.push(d);
    }
}

/// One entity's synthetic history.
pub fn entity(rng: &mut Rng) -> History {
    let u = rng.normal();
    let listed_on = START - Days::new(rng.below(15 * 365));
    let licences: Vec<(String, Option<NaiveDate>, Option<NaiveDate>)> = LICENCES
        .iter()
        .filter(|(_, p)| rng.chance(*p))
        .map(|(t, _)| ((*t).to_string(), Some(listed_on), None))
        .collect();
    let food = licences.iter().any(|l| l.0 == LICENCES[0].0);
    let weight: u8 = match rng.below(100) {
        0..80 => 1,
        80..95 => 3,
        _ => 6,
    };
    let w = f64::from(weight - 1);
    let complaints = arrivals(rng, 0.3 * (0.7 * u).exp());
    let warnings = arrivals(rng, 0.2 * (0.8 * u).exp());
    let visits = arrivals(rng, 0.8 + 0.2 * w);
    let mut h = History {
        listed_on: Some(listed_on),
        complaints,
        warnings,
        licences,
        tags: if weight > 1 {
            vec![(listed_on, weight)]
        } else {
            Vec::new()
        },
        ..History::default()
    };
    let mut last: Option<NaiveDate> = None;
    for d in visits {
        let year_ago = d - Days::new(365);
        let problems = h
            .inspections
            .iter()
            .filter(|(x, p)| *p && *x >= year_ago)
            .count() as f64;
        let complained = h
            .complaints
            .iter()
            .filter(|x| **x < d && **x >= year_ago)
            .count() as f64;
        let warned = h
            .warnings
            .iter()
            .filter(|x| **x < d && **x >= year_ago)
            .count() as f64;
        let open = h
            .rectifications
            .iter()
            .filter(|(_, passed)| passed.is_none_or(|p| p >= d))
            .count() as f64;
        let since = last.map_or(3.0, |l| ((d - l).num_days() as f64 / 365.0).min(3.0));
        let listed = (d - listed_on).num_days() as f64 / 365.25;
        let z = -1.9
            + 0.9 * u
            + 0.5 * problems
            + 0.35 * complained
            + 0.3 * warned
            + 0.45 * open
            + 0.12 * w
            + if food { 0.5 } else { 0.0 }
            + 0.15 * since
            - 0.03 * listed;
        let problem = rng.unit() < logistic(z);
        h.inspections.push((d, problem));
        last = Some(d);
        if problem {
            let passed = rng.chance(800).then(|| d + Days::new(20 + rng.below(71)));
            h.rectifications.push((d, passed));
            if rng.chance(300) {
                let tier = match rng.below(10) {
                    0..6 => Tier::Minor,
                    6..9 => Tier::General,
                    _ => Tier::Serious,
                };
                h.penalties.push((d + Days::new(30), tier));
            }
        }
    }
    h
}

/// `n` entities' histories from `seed`.
pub fn histories(n: usize, seed: u64) -> Vec<History> {
    let mut rng = Rng::new(seed);
    (0..n).map(|_| entity(&mut rng)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_seed_makes_the_same_history_and_another_seed_another() {
        let a = histories(50, 7);
        assert_eq!(a, histories(50, 7));
        assert_ne!(a, histories(50, 8));
        for h in &a {
            assert!(h.inspections.windows(2).all(|w| w[0].0 <= w[1].0));
            assert!(h.inspections.iter().all(|(d, _)| *d >= START && *d <= END));
        }
    }

    #[test]
    fn a_model_fitted_on_it_finds_problems_earlier_than_the_real_order() {
        let hs = histories(DEMO_ENTITIES, DEMO_SEED);
        let refs: Vec<&History> = hs.iter().collect();
        let f = super::super::fit_histories(&refs, WINDOWS).unwrap();
        let e = f.evaluation.unwrap();
        assert!(e.inspections > 500, "{e:?}");
        assert!(e.auc.unwrap() > 0.6, "{e:?}");
        assert!(e.mean_days_earlier.unwrap() > 0.0, "{e:?}");
        assert!(
            e.first_half_model.unwrap() > e.first_half_actual.unwrap(),
            "{e:?}"
        );
        // The features that drive the process have positive weights.
        let w = |code: &str| {
            let i = f
                .model
                .features
                .iter()
                .position(|x| x.code == code)
                .unwrap();
            f.model.coefficients[i]
        };
        assert!(w("problems_1y") > 0.0);
        assert!(w("complaints_1y") > 0.0);
        assert!(w("warnings_1y") > 0.0);
        assert!(w("licence:食品经营许可证") > 0.0);
    }
}
