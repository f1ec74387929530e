//! Coordinated sampling and the draw as a whole.
//!
//! Every candidate has one permanent random number shared by all plans; each plan takes, in
//! each credit class, its quota of eligible candidates with the smallest numbers. Within a
//! stratum that is a simple random sample with an exact count, and plans with overlapping pools
//! pick the same entities as often as chance allows, so the overlap becomes joint visits
//! (进一次门、查多项事, 国办发〔2023〕1号 (九); 鲁 task 12).

use std::collections::BinaryHeap;
use std::fmt;

use serde::Serialize;

use super::Bytes32;
use super::assign::{DrawFailure, assign};
use super::prn::{PRN_STREAM, PrnReader, combined_seed, prns};
use super::record::{
    BadInput, DrawInput, DrawPlan, DrawResult, PerClass, Seeds, Stratum, StratumCount, Visit,
};

/// ceil(eligible × ratio ‰ / 1000) in integers: a non-zero ratio of a non-empty stratum
/// always draws at least one entity, and 1000 ‰ draws all.
pub fn quota(eligible: u64, per_mille: u16) -> u64 {
    (u128::from(eligible) * u128::from(per_mille)).div_ceil(1000) as u64
}

/// The `quota` indices with the smallest `(prn(i), i)`, in ascending index order. The keys are
/// unique, so the chosen set does not depend on how it is found: a bounded max-heap (memory
/// O(quota)) when the quota is a small share of the pool, otherwise a partial selection over
/// all keys, about three times faster for large quotas.
pub fn select_smallest_by(
    quota: usize,
    indices: impl IntoIterator<Item = u32>,
    mut prn: impl FnMut(u32) -> u64,
) -> Vec<u32> {
    if quota == 0 {
        return Vec::new();
    }
    let indices = indices.into_iter();
    let mut out: Vec<u32> = if quota.saturating_mul(16) >= indices.size_hint().0 {
        let mut keys: Vec<(u64, u32)> = indices.map(|i| (prn(i), i)).collect();
        if keys.len() > quota {
            keys.select_nth_unstable(quota - 1);
            keys.truncate(quota);
        }
        keys.into_iter().map(|(_, i)| i).collect()
    } else {
        let mut heap: BinaryHeap<(u64, u32)> = BinaryHeap::with_capacity(quota.min(1 << 20) + 1);
        for i in indices {
            let k = (prn(i), i);
            if heap.len() < quota {
                heap.push(k);
            } else if let Some(mut top) = heap.peek_mut()
                && k < *top
            {
                *top = k;
            }
        }
        heap.into_iter().map(|(_, i)| i).collect()
    };
    out.sort_unstable();
    out
}

/// [`select_smallest_by`] with numbers already computed (`prns[i]` for candidate `i`).
pub fn select_smallest_in(
    prns: &[u64],
    quota: usize,
    indices: impl IntoIterator<Item = u32>,
) -> Vec<u32> {
    select_smallest_by(quota, indices, |i| prns[i as usize])
}

/// [`select_smallest_by`] computing the numbers from the combined seed as it goes; pools given
/// in ascending order cost about one ChaCha20 block per 8 candidates.
pub fn select_smallest(
    key: &Bytes32,
    quota: usize,
    indices: impl IntoIterator<Item = u32>,
) -> Vec<u32> {
    let mut r = PrnReader::new(key, PRN_STREAM);
    select_smallest_by(quota, indices, |i| r.at(u64::from(i)))
}

/// Why a draw produced no result.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum DrawError {
    /// The input breaks a rule of the format.
    Invalid {
        field: String,
        code: &'static str,
        message: String,
        message_en: String,
    },
    /// A rule of the inspector assignment cannot be met; nothing is relaxed.
    Failed(DrawFailure),
}

impl From<BadInput> for DrawError {
    fn from(b: BadInput) -> Self {
        DrawError::Invalid {
            field: b.field,
            code: b.invalid.code,
            message: b.invalid.zh,
            message_en: b.invalid.en,
        }
    }
}

impl fmt::Display for DrawError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DrawError::Invalid {
                field,
                message,
                message_en,
                ..
            } => write!(f, "{field}: {message} ({message_en})"),
            DrawError::Failed(x) => x.fmt(f),
        }
    }
}

impl std::error::Error for DrawError {}

/// The lead plan of a joint visit: the key item's plan first, then the most check points, then
/// the lowest plan code (double-random.md, "Joint visits").
fn lead_plan(plans: &[DrawPlan], of: &[u32]) -> u32 {
    *of.iter()
        .min_by(|&&x, &&y| {
            let (p, q) = (&plans[x as usize], &plans[y as usize]);
            (
                !p.key_item,
                std::cmp::Reverse(p.check_points),
                p.code.as_str(),
            )
                .cmp(&(
                    !q.key_item,
                    std::cmp::Reverse(q.check_points),
                    q.code.as_str(),
                ))
        })
        .expect("a visit has at least one plan")
}

/// Runs the draw: samples every plan's strata, merges the picks into joint visits and assigns
/// inspectors. Deterministic in `input` and `seeds`.
// A failure ends the draw and is reported once; its size does not matter.
#[allow(clippy::result_large_err)]
pub fn draw(input: &DrawInput, seeds: &Seeds) -> Result<DrawResult, DrawError> {
    input.validate()?;
    let key = combined_seed(&seeds.server, seeds.witness.as_ref());
    let u = prns(&key, input.candidates.len());

    // Pools per plan and stratum, in ascending candidate order.
    let mut pools: Vec<[Vec<u32>; 5]> = vec![Default::default(); input.plans.len()];
    for (i, c) in input.candidates.iter().enumerate() {
        let h = c.stratum() as usize;
        for &p in &c.plans {
            if !c.is_excluded(p) {
                pools[p as usize][h].push(i as u32);
            }
        }
    }

    let mut counts = Vec::with_capacity(input.plans.len());
    let mut picks: Vec<(u32, u32)> = Vec::new();
    for (p, plan) in input.plans.iter().enumerate() {
        let mut pc = PerClass::<StratumCount>::default();
        for h in Stratum::ALL {
            let pool = &pools[p][h as usize];
            let q = quota(pool.len() as u64, *plan.ratios.get(h));
            let sel = select_smallest_in(&u, q as usize, pool.iter().copied());
            picks.extend(sel.iter().map(|&i| (i, p as u32)));
            *pc.get_mut(h) = StratumCount {
                eligible: pool.len() as u64,
                quota: q,
                drawn: sel.len() as u64,
            };
        }
        counts.push(pc);
    }
    drop(pools);

    // One visit per entity, listing every plan that drew it.
    picks.sort_unstable();
    let mut visits: Vec<Visit> = Vec::new();
    let mut at: Vec<u32> = Vec::new();
    for group in picks.chunk_by(|a, b| a.0 == b.0) {
        let i = group[0].0;
        let plans: Vec<u32> = group.iter().map(|&(_, p)| p).collect();
        visits.push(Visit {
            usci: input.candidates[i as usize].usci.clone(),
            lead_plan: lead_plan(&input.plans, &plans),
            plans,
            inspectors: Vec::new(),
            experts: Vec::new(),
        });
        at.push(i);
    }

    assign(input, &key, &at, &mut visits).map_err(DrawError::Failed)?;
    Ok(DrawResult {
        combined_seed: key,
        visits,
        counts,
    })
}
