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
    BadInput, DrawInput, DrawPlan, DrawResult, PerClass, Seeds, SeedsV3, Stratum, StratumCount,
    Threshold, Visit,
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

/// A plan's candidates as [`select_strata`] reads them: in index order, in chunks, from any
/// starting index, so that each thread reads a contiguous range without the whole list ever
/// being written out (a pool from the directory index is read straight from its bitmap).
pub trait Candidates: Sync {
    /// How many candidates.
    fn count(&self) -> usize;

    /// Reads from candidate `start` on: each call fills `strata` with the strata of the next
    /// `strata.len()` candidates (0–4 for A, B, C, D, not graded; [`NOT_ELIGIBLE`] for one
    /// outside the plan) and `ids`, of the same length, with their ids. Ids must increase
    /// strictly with the index (the index itself is the plain choice): [`select_strata`]
    /// returns ids, and its tie-break by id must order as the tie-break by index does.
    fn reader(&self, start: usize) -> impl FnMut(&mut [u8], &mut [u32]);
}

/// Strata by candidate index; ids are the indices.
impl Candidates for [u8] {
    fn count(&self) -> usize {
        self.len()
    }

    fn reader(&self, start: usize) -> impl FnMut(&mut [u8], &mut [u32]) {
        let mut at = start;
        move |strata, ids| {
            strata.copy_from_slice(&self[at..at + strata.len()]);
            for (k, id) in ids.iter_mut().enumerate() {
                *id = (at + k) as u32;
            }
            at += strata.len();
        }
    }
}

/// One plan's pool, split by stratum, for [`select_strata`].
pub struct PlanStrata<'a, C: Candidates + ?Sized = [u8]> {
    /// The candidates with their strata (a plain `[u8]` of strata by index will do).
    pub candidates: &'a C,
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

/// A cut of the first pass: a candidate of stratum `h` with number `u` and weight `w` is below
/// it when `u · (2520 / w) < bound[h]`, i.e. when its key is below `bound[h] · 2³²`. The keys
/// below a cut are thus exactly a stratum's smallest keys.
struct Cut {
    /// Per stratum, in units of `u · (2520 / w)`: 0 lets nothing below, `u128::MAX` everything.
    bound: [u128; 5],
    /// The same rule on `u` alone, per row (stratum 0–4, and 5 for [`NOT_ELIGIBLE`]) and
    /// weight (`row * 16 + w`): below when `u <= max_u` and `open[row]`. Comparing `u64`s
    /// without a branch is most of the first pass's speed.
    max_u: [u64; 6 * 16],
    open: [bool; 6],
    /// The same for weight 1, by stratum code (row `min(h, 5)`): a table the byte indexes
    /// without a clamp or a bounds check.
    max_u1: [u64; 256],
    open1: [bool; 256],
}

impl Cut {
    fn new(bound: [u128; 5]) -> Self {
        let mut max_u = [0u64; 6 * 16];
        let mut open = [false; 6];
        for (h, &b) in bound.iter().enumerate() {
            open[h] = b > 0;
            for w in 1..=10u64 {
                // u · s < b  ⇔  u ≤ (b − 1) / s, saturated: beyond u64 every number is below.
                let s = u128::from(WEIGHT_SCALE / w);
                max_u[h * 16 + w as usize] =
                    u64::try_from(b.saturating_sub(1) / s).unwrap_or(u64::MAX);
            }
        }
        let row = |h: usize| h.min(5);
        Self {
            bound,
            max_u1: std::array::from_fn(|h| max_u[row(h) * 16 + 1]),
            open1: std::array::from_fn(|h| open[row(h)]),
            max_u,
            open,
        }
    }

    /// Whether a candidate of weight 1 is below the cut.
    #[inline]
    fn below1(&self, h: u8, u: u64) -> bool {
        let h = usize::from(h);
        self.open1[h] & (u <= self.max_u1[h])
    }

    #[inline]
    fn below(&self, h: u8, w: u8, u: u64) -> bool {
        let row = usize::from(h).min(5);
        self.open[row] & (u <= self.max_u[row * 16 + usize::from(w & 15)])
    }
}

/// The first pass: two cuts per stratum around where the quota's last key is expected. Keys
/// below `sure` are (almost surely) within the quota and kept as ids only; keys between `sure`
/// and `keep` are kept whole, and the rest of the quota is selected among them. When a cut
/// missed (more than the quota below `sure`, or fewer below `keep`), the stratum is read again
/// whole, so the result never depends on the cuts.
struct FirstPass {
    sure: Cut,
    keep: Cut,
    /// Per stratum: about how many keys fall below each cut (to size the vectors once).
    expect_sure: [u64; 5],
    expect_keep: [u64; 5],
}

impl FirstPass {
    /// Cuts at about `quota ∓ (8·√quota + 64)` keys: 8 standard deviations of the count
    /// below a cut, so that a miss practically never happens.
    fn around_quotas(quotas: &[u64; 5], mass: &[u64; 5]) -> Self {
        // x / mass of the range [0, 2520 · 2⁶⁴) of u · s (exact integers).
        let at = |x: u64, m: u64| {
            ((u128::from(WEIGHT_SCALE) << 64) / u128::from(m)).saturating_mul(u128::from(x))
        };
        let mut sure = [0u128; 5];
        let mut keep = [0u128; 5];
        let mut expect_sure = [0u64; 5];
        let mut expect_keep = [0u64; 5];
        for h in 0..5 {
            let (q, m) = (quotas[h], mass[h]);
            let margin = (8 * q.isqrt()).saturating_add(64);
            let hi = q.saturating_add(margin);
            let lo = q.saturating_sub(margin);
            if q == 0 {
                continue;
            }
            if hi >= m {
                keep[h] = u128::MAX;
                expect_keep[h] = m;
            } else {
                keep[h] = at(hi, m);
                expect_keep[h] = hi;
                if lo > 0 {
                    sure[h] = at(lo, m);
                    expect_sure[h] = lo;
                }
            }
        }
        Self {
            sure: Cut::new(sure),
            keep: Cut::new(keep),
            expect_sure,
            expect_keep,
        }
    }

    /// Keeps every key of the strata in `all` whole, nothing of the others.
    fn everything_of(all: &[usize], mass: &[u64; 5]) -> Self {
        let keep = std::array::from_fn(|h| if all.contains(&h) { u128::MAX } else { 0 });
        Self {
            sure: Cut::new([0; 5]),
            keep: Cut::new(keep),
            expect_sure: [0; 5],
            expect_keep: std::array::from_fn(|h| if all.contains(&h) { mass[h] } else { 0 }),
        }
    }
}

/// What the first pass keeps of one range of candidates, per stratum, in ascending id order.
#[derive(Default)]
struct Kept {
    /// Ids of the candidates below the `sure` cut.
    sure: [Vec<u32>; 5],
    /// Keys of the candidates between the cuts.
    near: [Vec<u128>; 5],
}

/// Candidates a first-pass thread handles at a time: its buffers stay in the L1 cache.
const BLOCK: usize = 2048;

/// The first pass over `range`.
fn keep_below<C: Candidates + ?Sized>(
    numbers: Numbers<'_>,
    ps: &PlanStrata<'_, C>,
    range: std::ops::Range<usize>,
    fp: &FirstPass,
) -> Kept {
    let n = ps.candidates.count().max(1) as u128;
    let share = range.len() as u128;
    // Room for the expected share of the range, never more than the range (`mass` is only
    // a hint).
    let sized = |e: u64| {
        let e = u128::from(e) * share / n;
        (e + e / 32 + 64).min(share) as usize
    };
    let mut out = Kept {
        sure: std::array::from_fn(|h| Vec::with_capacity(sized(fp.expect_sure[h]))),
        near: std::array::from_fn(|h| {
            Vec::with_capacity(sized(fp.expect_keep[h] - fp.expect_sure[h]))
        }),
    };
    let mut u_buf = [0u64; BLOCK];
    let mut strata = [0u8; BLOCK];
    let mut ids = [0u32; BLOCK];
    let mut mask = [0u64; BLOCK / 64];
    let mut stream = match numbers {
        Numbers::Key(k) => Some(PrnStream::starting_at(k, PRN_STREAM, range.start as u64)),
        Numbers::Computed(_) => None,
    };
    let mut read = ps.candidates.reader(range.start);
    let mut at = range.start;
    while at < range.end {
        let end = (at + BLOCK).min(range.end);
        let m = end - at;
        let u: &[u64] = match (numbers, stream.as_mut()) {
            (Numbers::Computed(p), _) => &p[at..end],
            (_, Some(s)) => {
                s.fill(&mut u_buf[..m]);
                &u_buf[..m]
            }
            _ => unreachable!(),
        };
        read(&mut strata[..m], &mut ids[..m]);
        let hs = &strata[..m];
        let weights = ps.weights.map(|w| &w[at..end]);
        // Branch-free: a bit per candidate below the `keep` cut, 64 to a word (most are not
        // kept, in no predictable pattern); then only the set bits are visited.
        for (c, word) in mask.iter_mut().enumerate().take(m.div_ceil(64)) {
            let from = c * 64;
            let to = (from + 64).min(m);
            let mut bits = 0u64;
            match weights {
                None => {
                    for (j, (&h, &u)) in hs[from..to].iter().zip(&u[from..to]).enumerate() {
                        bits |= u64::from(fp.keep.below1(h, u)) << j;
                    }
                }
                Some(w) => {
                    for (j, ((&h, &u), &w)) in hs[from..to]
                        .iter()
                        .zip(&u[from..to])
                        .zip(&w[from..to])
                        .enumerate()
                    {
                        bits |= u64::from(fp.keep.below(h, w, u)) << j;
                    }
                }
            }
            *word = bits;
        }
        for (c, &word) in mask.iter().enumerate().take(m.div_ceil(64)) {
            let mut bits = word;
            while bits != 0 {
                let k = c * 64 + bits.trailing_zeros() as usize;
                bits &= bits - 1;
                let (h, u) = (hs[k], u[k]);
                let w = weights.map_or(1, |w| w[k]);
                if fp.sure.below(h, w, u) {
                    out.sure[usize::from(h)].push(ids[k]);
                } else {
                    out.near[usize::from(h)].push(weighted_key(u, w, ids[k]));
                }
            }
        }
        at = end;
    }
    out
}

/// [`keep_below`] over all candidates, on parallel threads over contiguous ranges: one part
/// per range, in range order, so each stratum's ids across the parts are in ascending order.
fn keep_below_all<C: Candidates + ?Sized>(
    numbers: Numbers<'_>,
    ps: &PlanStrata<'_, C>,
    fp: &FirstPass,
) -> Vec<Kept> {
    let n = ps.candidates.count();
    let t = threads_for(n);
    if t == 1 {
        return vec![keep_below(numbers, ps, 0..n, fp)];
    }
    let step = n.div_ceil(t);
    std::thread::scope(|s| {
        let handles: Vec<_> = (0..t)
            .map(|k| {
                let range = (k * step).min(n)..((k + 1) * step).min(n);
                s.spawn(move || keep_below(numbers, ps, range, fp))
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("selection thread"))
            .collect()
    })
}

/// The ids (low 32 bits) of the `q` smallest keys of `parts` (unique keys, in ascending id
/// order across the parts), ascending.
fn smallest_of(parts: &[&[u128]], q: usize) -> Vec<u32> {
    let total: usize = parts.iter().map(|p| p.len()).sum();
    let keys = || parts.iter().flat_map(|p| p.iter().copied());
    if q == 0 {
        return Vec::new();
    }
    if total <= q {
        return keys().map(|k| k as u32).collect();
    }
    // The q-th smallest key, then every key up to it, read off in id order (no sort): a
    // bounded heap when one side is short, otherwise a partial selection on a copy.
    let drop = total - q;
    let kth = if drop < total / 16 {
        let mut heap: BinaryHeap<std::cmp::Reverse<u128>> = BinaryHeap::with_capacity(drop + 1);
        for k in keys() {
            if heap.len() <= drop {
                heap.push(std::cmp::Reverse(k));
            } else if let Some(mut top) = heap.peek_mut()
                && k > top.0
            {
                *top = std::cmp::Reverse(k);
            }
        }
        heap.peek().expect("drop + 1 keys").0
    } else if q < total / 16 {
        let mut heap: BinaryHeap<u128> = BinaryHeap::with_capacity(q);
        for k in keys() {
            if heap.len() < q {
                heap.push(k);
            } else if let Some(mut top) = heap.peek_mut()
                && k < *top
            {
                *top = k;
            }
        }
        *heap.peek().expect("q keys")
    } else {
        let mut copy: Vec<u128> = Vec::with_capacity(total);
        for p in parts {
            copy.extend_from_slice(p);
        }
        *copy.select_nth_unstable(q - 1).1
    };
    let mut out = Vec::with_capacity(q);
    for p in parts {
        out.extend(p.iter().filter(|&&k| k <= kth).map(|&k| k as u32));
    }
    out
}

/// Stratum `h`'s quota from the first pass's parts: every id below the `sure` cut and the
/// smallest of the keys between the cuts, merged in ascending id order.
fn stratum_selection(parts: &[Kept], h: usize, q: usize) -> Vec<u32> {
    let n_sure: usize = parts.iter().map(|p| p.sure[h].len()).sum();
    let near: Vec<&[u128]> = parts.iter().map(|p| p.near[h].as_slice()).collect();
    let mut near = smallest_of(&near, q - n_sure).into_iter().peekable();
    let mut out = Vec::with_capacity(q);
    for p in parts {
        for &id in &p.sure[h] {
            while let Some(&x) = near.peek()
                && x < id
            {
                out.push(x);
                near.next();
            }
            out.push(id);
        }
    }
    out.extend(near);
    out
}

/// One plan's selection in every stratum, fast: per stratum, the ids of the `quotas[h]`
/// eligible candidates with the smallest [`weighted_key`] (weight 1 for every candidate of a
/// plan without risk weighting), ascending. The same sets as [`select_smallest_in`] over
/// each stratum's pool (and, weighted, as sorting the pool by the key), found in one pass
/// that reads the candidates and computes their numbers on parallel threads, keeping the ids
/// of the keys that are surely in the quota and whole only the few keys near its edge (a
/// second pass over a stratum when the cuts missed), then a selection among those.
pub fn select_strata<C: Candidates + ?Sized>(
    numbers: Numbers<'_>,
    ps: &PlanStrata<'_, C>,
) -> [Vec<u32>; 5] {
    let n = ps.candidates.count();
    assert!(u32::try_from(n).is_ok(), "candidate indices fit in 32 bits");
    if let Numbers::Computed(p) = numbers {
        assert_eq!(p.len(), n, "one number per candidate");
    }
    if let Some(w) = ps.weights {
        assert_eq!(w.len(), n, "one weight per candidate");
    }
    let fp = FirstPass::around_quotas(&ps.quotas, &ps.mass);
    let mut parts = keep_below_all(numbers, ps, &fp);
    // A stratum where a cut missed (`mass` said less or more than there is, or chance): all
    // of its keys, whole.
    let missed: Vec<usize> = (0..5)
        .filter(|&h| {
            let sure: usize = parts.iter().map(|p| p.sure[h].len()).sum();
            let near: usize = parts.iter().map(|p| p.near[h].len()).sum();
            let q = ps.quotas[h];
            sure as u64 > q || ((sure + near) as u64) < q && fp.keep.bound[h] != u128::MAX
        })
        .collect();
    if !missed.is_empty() {
        let again = keep_below_all(numbers, ps, &FirstPass::everything_of(&missed, &ps.mass));
        for (part, mut redo) in parts.iter_mut().zip(again) {
            for &h in &missed {
                part.sure[h] = std::mem::take(&mut redo.sure[h]);
                part.near[h] = std::mem::take(&mut redo.near[h]);
            }
        }
    }
    let quotas = ps.quotas;
    let parts = &parts;
    let select = move |h: usize| {
        let available: usize = parts
            .iter()
            .map(|p| p.sure[h].len() + p.near[h].len())
            .sum();
        stratum_selection(parts, h, (quotas[h] as usize).min(available))
    };
    if n >= PARALLEL_FROM && threads_for(usize::MAX) > 1 {
        std::thread::scope(|s| {
            let handles: Vec<_> = (0..5).map(|h| s.spawn(move || select(h))).collect();
            let mut out: [Vec<u32>; 5] = Default::default();
            for (h, x) in handles.into_iter().enumerate() {
                out[h] = x.join().expect("selection thread");
            }
            out
        })
    } else {
        std::array::from_fn(select)
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
pub(super) fn lead_plan(plans: &[DrawPlan], of: &[u32]) -> u32 {
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
    let key = match v3_seeds(input, seeds)? {
        None => combined_seed(&seeds.server, seeds.witness.as_ref()),
        Some(v3) => {
            let public = super::public::PublicInput::of(input, &v3.salt_key);
            super::v3::derive_key(
                &seeds.server,
                &super::hash::public_candidates_sha256(&public),
                &super::hash::public_inspectors_sha256(&public),
                v3,
            )
        }
    };
    draw_with_key(input, key, seeds.v3.as_ref().map(|v| &v.salt_key))
}

/// The `/3` seeds of a `/3` input (checked against its terms), `None` for `/1` and `/2`;
/// an error where the seeds do not fit the input's format.
#[allow(clippy::result_large_err)]
fn v3_seeds<'a>(input: &DrawInput, seeds: &'a Seeds) -> Result<Option<&'a SeedsV3>, DrawError> {
    let bad = |field: &str, zh: &str, en: &str| {
        DrawError::from(BadInput {
            field: field.into(),
            invalid: crate::Invalid::new("seeds_format", zh.to_string(), en.to_string()),
        })
    };
    match (&input.v3, &seeds.v3) {
        (None, None) => Ok(None),
        (None, Some(_)) => Err(bad(
            "seeds.v3",
            "只有 lianjian-draw/3 的抽取才有 v3 种子",
            "only a lianjian-draw/3 draw has v3 seeds",
        )),
        (Some(_), None) => Err(bad(
            "seeds.v3",
            "lianjian-draw/3 的抽取须有 v3 种子（盐密钥、见证）",
            "a lianjian-draw/3 draw needs v3 seeds (salt key, witnessing)",
        )),
        (Some(terms), Some(v3)) => {
            if seeds.witness.is_some() || seeds.witness_name.is_some() {
                return Err(bad(
                    "seeds.witness",
                    "lianjian-draw/3 不使用旧式见证人随机数，请用监督人随机数",
                    "lianjian-draw/3 has no legacy witness: use supervisor contributions",
                ));
            }
            v3.validate(terms)?;
            Ok(Some(v3))
        }
    }
}

/// [`draw`] for a `/3` input whose commitment the caller computed (and checked): the key
/// derives from `commitment`'s hashes instead of recomputing them over the whole pool. For
/// `/1` and `/2` inputs the same as [`draw`].
#[allow(clippy::result_large_err)]
pub fn draw_committed(
    input: &DrawInput,
    seeds: &Seeds,
    commitment: &super::record::Commitment,
) -> Result<DrawResult, DrawError> {
    input.validate()?;
    let key = match v3_seeds(input, seeds)? {
        None => combined_seed(&seeds.server, seeds.witness.as_ref()),
        Some(v3) => super::v3::derive_key(
            &seeds.server,
            &commitment.candidates_sha256,
            &commitment.inspectors_sha256,
            v3,
        ),
    };
    draw_with_key(input, key, seeds.v3.as_ref().map(|v| &v.salt_key))
}

/// The draw proper, from a validated input and its key (and for `/3` the salt key, which
/// places the thresholds).
#[allow(clippy::result_large_err)]
fn draw_with_key(
    input: &DrawInput,
    key: Bytes32,
    salt_key: Option<&Bytes32>,
) -> Result<DrawResult, DrawError> {
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
    let mut thresholds = Vec::with_capacity(input.plans.len());
    let with_control = input.plans.iter().any(|p| p.control_permille > 0);
    let mut control_thresholds = Vec::new();
    // (candidate, plan, drawn as control)
    let mut picks: Vec<(u32, u32, bool)> = Vec::new();
    for (p, plan) in input.plans.iter().enumerate() {
        let mut quotas = [0u64; 5];
        for h in Stratum::ALL {
            quotas[h as usize] = quota(eligible[p][h as usize], *plan.ratios.get(h));
        }
        let w = weights.as_deref().filter(|_| plan.risk_weighted);
        // 12.13: the control share of each quota first, by the plain order over every
        // eligible candidate; then the rest of the quota by the plan's (weighted) order over
        // those not in the control share.
        let controls = quotas.map(|q| control_quota(q, plan.control_permille));
        let control_sel: Option<[Vec<u32>; 5]> = (plan.control_permille > 0).then(|| {
            select_strata(
                Numbers::Computed(&u),
                &PlanStrata {
                    candidates: strata[p].as_slice(),
                    weights: None,
                    quotas: controls,
                    mass: eligible[p],
                },
            )
        });
        let rest: Option<Vec<u8>> = control_sel.as_ref().map(|cs| {
            let mut rest = strata[p].clone();
            for &i in cs.iter().flatten() {
                let i = i as usize;
                mass[p][rest[i] as usize] -= w.map_or(1, |w| u64::from(w[i]));
                rest[i] = NOT_ELIGIBLE;
            }
            rest
        });
        let weighted_pool = rest.as_deref().unwrap_or(strata[p].as_slice());
        let sel = select_strata(
            Numbers::Computed(&u),
            &PlanStrata {
                candidates: weighted_pool,
                weights: w,
                quotas: std::array::from_fn(|h| quotas[h] - controls[h]),
                mass: mass[p],
            },
        );
        let mut pc = PerClass::<StratumCount>::default();
        for h in Stratum::ALL {
            let hs = h as usize;
            let targeted = &sel[hs];
            let control: &[u32] = control_sel.as_ref().map_or(&[], |c| &c[hs]);
            picks.extend(targeted.iter().map(|&i| (i, p as u32, false)));
            picks.extend(control.iter().map(|&i| (i, p as u32, true)));
            *pc.get_mut(h) = StratumCount {
                eligible: eligible[p][hs],
                quota: quotas[hs],
                drawn: (targeted.len() + control.len()) as u64,
                control: control.len() as u64,
            };
        }
        counts.push(pc);
        if let (Some(_), Some(salt_key)) = (&input.v3, salt_key) {
            // The weighted picks' thresholds over the candidates left by the control share
            // (so "not drawn" means by neither); the control picks' over every eligible one
            // (so a candidate drawn by weight lies above the control threshold).
            thresholds.push(stratum_thresholds(&u, w, weighted_pool, &sel, |h| {
                super::v3::threshold_offset(salt_key, p as u32, h)
            }));
            if with_control {
                control_thresholds.push(match &control_sel {
                    Some(cs) => stratum_thresholds(&u, None, &strata[p], cs, |h| {
                        super::v3::control_threshold_offset(salt_key, p as u32, h)
                    }),
                    None => PerClass::default(),
                });
            }
        }
    }
    drop(strata);

    // One visit per entity, listing every plan that drew it.
    picks.sort_unstable();
    let mut visits: Vec<Visit> = Vec::new();
    let mut at: Vec<u32> = Vec::new();
    for group in picks.chunk_by(|a, b| a.0 == b.0) {
        let i = group[0].0;
        let plans: Vec<u32> = group.iter().map(|&(_, p, _)| p).collect();
        visits.push(Visit {
            usci: input.candidates[i as usize].usci.clone(),
            lead_plan: lead_plan(&input.plans, &plans),
            plans,
            inspectors: Vec::new(),
            experts: Vec::new(),
            control_plans: group.iter().filter(|x| x.2).map(|&(_, p, _)| p).collect(),
        });
        at.push(i);
    }

    assign(input, &key, &at, &mut visits).map_err(DrawError::Failed)?;
    Ok(DrawResult {
        combined_seed: key,
        visits,
        counts,
        thresholds: input.v3.is_some().then_some(thresholds),
        control_thresholds: (input.v3.is_some() && with_control).then_some(control_thresholds),
    })
}

/// The random control share of a stratum's quota (12.13): quota × share ‰, rounded half up.
pub fn control_quota(quota: u64, control_permille: u16) -> u64 {
    (quota * u64::from(control_permille) + 500) / 1000
}

/// `/3`: per stratum, a threshold between the largest key drawn (`a`) and the smallest key of
/// an eligible candidate left (`b`): `a + offset mod (b − a)` with a secret offset from the salt
/// key, so that it gives away neither `a` nor `b` (a midpoint would: all keys are public once
/// the key is, and the pair whose midpoint it is could be looked up); 2¹²⁸ − 1 when none is
/// left (all were drawn, as the counts say anyway); `None` when nothing was drawn. So an
/// eligible candidate of the stratum is drawn exactly when its key is at most the threshold
/// (docs/draw-algorithm.md, 12.6).
fn stratum_thresholds(
    u: &[u64],
    weights: Option<&[u8]>,
    strata: &[u8],
    sel: &[Vec<u32>; 5],
    offset: impl Fn(Stratum) -> u128,
) -> PerClass<Option<Threshold>> {
    let key = |i: usize| weighted_key(u[i], weights.map_or(1, |w| w[i]), i as u32);
    let mut drawn = vec![false; strata.len()];
    let mut a = [None::<u128>; 5];
    for (h, sel) in sel.iter().enumerate() {
        for &i in sel {
            drawn[i as usize] = true;
            a[h] = a[h].max(Some(key(i as usize)));
        }
    }
    let mut b = [u128::MAX; 5];
    for (i, &h) in strata.iter().enumerate() {
        if h != NOT_ELIGIBLE && !drawn[i] {
            let k = key(i);
            let h = h as usize;
            if k < b[h] {
                b[h] = k;
            }
        }
    }
    let mut out = PerClass::<Option<Threshold>>::default();
    for h in Stratum::ALL {
        let (a, b) = (a[h as usize], b[h as usize]);
        *out.get_mut(h) = a.map(|a| {
            Threshold(if b == u128::MAX {
                u128::MAX
            } else {
                a + offset(h) % (b - a)
            })
        });
    }
    out
}
