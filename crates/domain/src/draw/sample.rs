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
use super::prn::{PRN_STREAM, PrnReader, PrnStream, combined_seed, prns};
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

/// lcm(1, …, 10): `u · (WEIGHT_SCALE / w)` is an integer for every weight 1–10 and orders
/// exactly as `u / w` does, so weighted keys are compared without division or rounding.
pub const WEIGHT_SCALE: u64 = 2520;

/// Stratum code (in [`PlanStrata::strata`]) of a candidate that is not eligible for the plan.
pub const NOT_ELIGIBLE: u8 = u8::MAX;

/// The sort key of candidate `i` with number `u` and weight `w` (1–10; 1 for plans without
/// risk weighting): `u · (2520 / w)` in the high bits, `i` in the low 32. Keys are unique, and
/// key(i) < key(j) exactly when `u_i · w_j < u_j · w_i`, or the two are equal and `i < j`
/// (docs/draw-algorithm.md, section 5). With every weight 1 this is the order of `(u, i)`.
#[inline]
pub fn weighted_key(u: u64, w: u8, i: u32) -> u128 {
    debug_assert!((1..=10).contains(&w));
    ((u128::from(u) * u128::from(WEIGHT_SCALE / u64::from(w))) << 32) | u128::from(i)
}

/// Where [`select_strata`] takes the candidates' permanent random numbers from.
#[derive(Clone, Copy)]
pub enum Numbers<'a> {
    /// Already computed: `prns[i]` for candidate `i`.
    Computed(&'a [u64]),
    /// Computed on the fly from the combined seed (stream 0), in parallel chunks.
    Key(&'a Bytes32),
}

/// One plan's pool, split by stratum, for [`select_strata`].
pub struct PlanStrata<'a> {
    /// Per candidate (index `i`): its stratum (0–4 for A, B, C, D, not graded) if it is
    /// eligible for the plan, otherwise [`NOT_ELIGIBLE`].
    pub strata: &'a [u8],
    /// Per candidate: its risk weight, 1–10, for a risk-weighted plan; `None` otherwise.
    pub weights: Option<&'a [u8]>,
    /// Per stratum: how many to draw.
    pub quotas: [u64; 5],
    /// Per stratum: the sum of the eligible candidates' weights (their number when not
    /// weighted). Only sizes the first pass; the selection is exact whatever it says.
    pub mass: [u64; 5],
}

/// Below this many candidates one thread does all (threads cost more than they save).
const PARALLEL_FROM: usize = 1 << 16;

fn threads_for(n: usize) -> usize {
    if n < PARALLEL_FROM {
        1
    } else {
        std::thread::available_parallelism()
            .map_or(1, |t| t.get())
            .clamp(1, 8)
    }
}

/// First-pass bound per stratum: keys below it are kept. Expected `quota + margin` keys fall
/// below it (fewer if weights saturate); the margin of 8 standard deviations makes a second
/// pass (taken when fewer than the quota are kept) practically never needed.
fn thresholds(ps: &PlanStrata<'_>) -> [u128; 5] {
    std::array::from_fn(|h| {
        let (q, mass) = (ps.quotas[h], ps.mass[h]);
        let want = q.saturating_add(8 * q.isqrt()).saturating_add(64);
        if q == 0 {
            0
        } else if want >= mass {
            u128::MAX
        } else {
            // want / mass of the key space [0, 2520 · 2^96): exact integers, and well inside
            // u128 because want < mass.
            ((u128::from(WEIGHT_SCALE) << 96) / u128::from(mass)) * u128::from(want)
        }
    })
}

/// The keys of `range` below `limit[h]`, per stratum, in ascending index order.
fn keep_below(
    numbers: Numbers<'_>,
    ps: &PlanStrata<'_>,
    range: std::ops::Range<usize>,
    limit: &[u128; 5],
) -> [Vec<u128>; 5] {
    let mut out: [Vec<u128>; 5] = Default::default();
    const BLOCK: usize = 4096;
    let mut buf = [0u64; BLOCK];
    let mut stream = match numbers {
        Numbers::Key(k) => Some(PrnStream::starting_at(k, PRN_STREAM, range.start as u64)),
        Numbers::Computed(_) => None,
    };
    let mut at = range.start;
    while at < range.end {
        let end = (at + BLOCK).min(range.end);
        let u: &[u64] = match (numbers, stream.as_mut()) {
            (Numbers::Computed(p), _) => &p[at..end],
            (_, Some(s)) => {
                s.fill(&mut buf[..end - at]);
                &buf[..end - at]
            }
            _ => unreachable!(),
        };
        let strata = &ps.strata[at..end];
        match ps.weights {
            None => {
                for (k, (&h, &u)) in strata.iter().zip(u).enumerate() {
                    if let Some(&lim) = limit.get(usize::from(h)) {
                        let key = weighted_key(u, 1, (at + k) as u32);
                        if key < lim {
                            out[usize::from(h)].push(key);
                        }
                    }
                }
            }
            Some(w) => {
                let w = &w[at..end];
                for (k, ((&h, &u), &w)) in strata.iter().zip(u).zip(w).enumerate() {
                    if let Some(&lim) = limit.get(usize::from(h)) {
                        let key = weighted_key(u, w, (at + k) as u32);
                        if key < lim {
                            out[usize::from(h)].push(key);
                        }
                    }
                }
            }
        }
        at = end;
    }
    out
}

/// [`keep_below`] over all candidates, on parallel threads over contiguous ranges; the parts
/// are joined in range order, so every stratum's keys stay in ascending index order.
fn keep_below_all(numbers: Numbers<'_>, ps: &PlanStrata<'_>, limit: &[u128; 5]) -> [Vec<u128>; 5] {
    let n = ps.strata.len();
    let t = threads_for(n);
    if t == 1 {
        return keep_below(numbers, ps, 0..n, limit);
    }
    let step = n.div_ceil(t);
    let parts: Vec<[Vec<u128>; 5]> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..t)
            .map(|k| {
                let range = (k * step).min(n)..((k + 1) * step).min(n);
                s.spawn(move || keep_below(numbers, ps, range, limit))
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("selection thread"))
            .collect()
    });
    let mut out: [Vec<u128>; 5] = Default::default();
    for h in 0..5 {
        let total = parts.iter().map(|p| p[h].len()).sum();
        out[h].reserve_exact(total);
        for p in &parts {
            out[h].extend_from_slice(&p[h]);
        }
    }
    out
}

/// The indices of the `q` smallest of `keys` (unique, in ascending index order), ascending.
fn smallest_of(keys: &[u128], q: usize) -> Vec<u32> {
    if q == 0 {
        return Vec::new();
    }
    if keys.len() <= q {
        return keys.iter().map(|&k| k as u32).collect();
    }
    // The q-th smallest key by partial selection on a copy, then the keys up to it in their
    // original (index) order: no sort of the result.
    let mut copy = keys.to_vec();
    let (_, &mut kth, _) = copy.select_nth_unstable(q - 1);
    drop(copy);
    keys.iter()
        .filter(|&&k| k <= kth)
        .map(|&k| k as u32)
        .collect()
}

/// One plan's selection in every stratum, fast: per stratum, the `quotas[h]` eligible
/// candidates with the smallest [`weighted_key`] (weight 1 for every candidate of a plan
/// without risk weighting), each stratum's indices ascending. The same sets as
/// [`select_smallest_in`] over each stratum's pool (and, weighted, as sorting the pool by
/// the key), found in one pass that computes the numbers on parallel threads and keeps only
/// keys below a bound that the quota's selection almost surely stays under (a second pass
/// over the stratum when it does not), then a partial selection per stratum, the strata on
/// parallel threads.
pub fn select_strata(numbers: Numbers<'_>, ps: &PlanStrata<'_>) -> [Vec<u32>; 5] {
    if let Numbers::Computed(p) = numbers {
        assert_eq!(p.len(), ps.strata.len(), "one number per candidate");
    }
    if let Some(w) = ps.weights {
        assert_eq!(w.len(), ps.strata.len(), "one weight per candidate");
    }
    let limit = thresholds(ps);
    let mut kept = keep_below_all(numbers, ps, &limit);
    // A stratum that kept fewer than its quota (the bound fell short, or the quota is the
    // whole stratum and `mass` said less): all of its keys.
    let short: Vec<usize> = (0..5)
        .filter(|&h| (kept[h].len() as u64) < ps.quotas[h] && limit[h] != u128::MAX)
        .collect();
    if !short.is_empty() {
        let mut all = [0u128; 5];
        for &h in &short {
            all[h] = u128::MAX;
        }
        let again = keep_below_all(numbers, ps, &all);
        for (h, keys) in again.into_iter().enumerate() {
            if short.contains(&h) {
                kept[h] = keys;
            }
        }
    }
    let quotas = ps.quotas;
    let big =
        kept.iter().map(Vec::len).sum::<usize>() >= PARALLEL_FROM && threads_for(usize::MAX) > 1;
    if big {
        std::thread::scope(|s| {
            let handles: Vec<_> = kept
                .iter()
                .zip(quotas)
                .map(|(keys, q)| s.spawn(move || smallest_of(keys, q as usize)))
                .collect();
            let mut out: [Vec<u32>; 5] = Default::default();
            for (h, x) in handles.into_iter().enumerate() {
                out[h] = x.join().expect("selection thread");
            }
            out
        })
    } else {
        let mut out: [Vec<u32>; 5] = Default::default();
        for h in 0..5 {
            out[h] = smallest_of(&kept[h], quotas[h] as usize);
        }
        out
    }
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

    // Per plan: each candidate's stratum if eligible, and the weights for weighted plans.
    let n = input.candidates.len();
    let mut strata: Vec<Vec<u8>> = vec![vec![NOT_ELIGIBLE; n]; input.plans.len()];
    let mut eligible = vec![[0u64; 5]; input.plans.len()];
    let mut mass = vec![[0u64; 5]; input.plans.len()];
    for (i, c) in input.candidates.iter().enumerate() {
        let h = c.stratum() as usize;
        for &p in &c.plans {
            if !c.is_excluded(p) {
                let p = p as usize;
                strata[p][i] = h as u8;
                eligible[p][h] += 1;
                mass[p][h] += if input.plans[p].risk_weighted {
                    u64::from(c.risk_weight)
                } else {
                    1
                };
            }
        }
    }
    let weights: Option<Vec<u8>> = input
        .plans
        .iter()
        .any(|p| p.risk_weighted)
        .then(|| input.candidates.iter().map(|c| c.risk_weight).collect());

    let mut counts = Vec::with_capacity(input.plans.len());
    let mut picks: Vec<(u32, u32)> = Vec::new();
    for (p, plan) in input.plans.iter().enumerate() {
        let mut quotas = [0u64; 5];
        for h in Stratum::ALL {
            quotas[h as usize] = quota(eligible[p][h as usize], *plan.ratios.get(h));
        }
        let sel = select_strata(
            Numbers::Computed(&u),
            &PlanStrata {
                strata: &strata[p],
                weights: weights.as_deref().filter(|_| plan.risk_weighted),
                quotas,
                mass: mass[p],
            },
        );
        let mut pc = PerClass::<StratumCount>::default();
        for h in Stratum::ALL {
            let sel = &sel[h as usize];
            picks.extend(sel.iter().map(|&i| (i, p as u32)));
            *pc.get_mut(h) = StratumCount {
                eligible: eligible[p][h as usize],
                quota: quotas[h as usize],
                drawn: sel.len() as u64,
            };
        }
        counts.push(pc);
    }
    drop(strata);

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
