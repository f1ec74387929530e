//! Tag expressions and directory searches on the index.

use std::borrow::Cow;
use std::cmp::Ordering;

use lianjian_domain::directory::{CreditClass, EntityType, RegStatus};
use lianjian_domain::region::RegionCode;
use lianjian_domain::tag_expr::TagExpr;
use roaring::{MultiOps, RoaringBitmap};
use uuid::Uuid;

use crate::{DirectoryIndex, UNGRADED, bigram, empty, lowercase, pos, unigram};

/// Sort orders of a search; the same as `store::entities::EntitySort`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum IndexSort {
    /// Name order when browsing; index order (credit-code order while the index is
    /// [`DirectoryIndex::is_usci_ordered`]) for a text search.
    #[default]
    Default,
    Name,
    Usci,
    Region,
    /// Most recently changed first.
    UpdatedDesc,
    /// Highest risk first: D, C, B, A, then entities not graded.
    CreditClass,
}

/// What a directory search asks; mirrors `store::entities::EntitySearch` with tag codes
/// instead of tag ids. All parts are ANDed.
#[derive(Debug, Clone, Default)]
pub struct IndexQuery {
    /// A name fragment (case-insensitive substring of the name), or, when it looks like one
    /// (4+ ASCII letters and digits with a digit), also a credit-code prefix.
    pub q: Option<String>,
    /// Region subtree.
    pub region: Option<RegionCode>,
    /// Entities carrying all of these tag codes.
    pub tags: Vec<String>,
    /// Any of these classes (entities not graded never match).
    pub credit: Vec<CreditClass>,
    pub entity_type: Option<EntityType>,
    pub reg_status: Option<RegStatus>,
    /// Entities an item's object definition selects.
    pub covered_by: Option<TagExpr>,
    pub sort: IndexSort,
}

/// A page of a search: the exact number of matches and the ids of the page, in order.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SearchHits {
    pub total: u64,
    pub ids: Vec<Uuid>,
}

/// Same test as `store::entities::looks_like_usci_prefix`.
pub fn looks_like_usci_prefix(q: &str) -> bool {
    q.len() >= 4
        && q.chars().all(|c| c.is_ascii_alphanumeric())
        && q.chars().any(|c| c.is_ascii_digit())
}

/// Candidates to verify one by one above this many are split over two threads.
const PARALLEL_VERIFY: u64 = 200_000;

#[derive(Clone, Copy, PartialEq, Eq)]
enum Order {
    Number,
    Name,
    Usci,
    Region,
    Updated,
    Credit,
}

impl DirectoryIndex {
    /// The live entities a tag expression selects; the same set as filtering with
    /// `TagExpr::matches`, and as `store::entities`' SQL for it, with these readings:
    /// - `Tag(code)`: carries the tag (an unknown code selects nothing);
    /// - `Region(p)`: the region code starts with `p`;
    /// - `EntityType(t)`: `EntityType::parse(t)` (the label or the code, as the SQL reads it;
    ///   an unknown word selects nothing);
    /// - `Credit(letters)`: graded, and the class is one of the letters;
    /// - `Not(x)`: every live entity not in `x` (entities not graded are in `NOT credit:A`).
    ///
    /// Where the three differ: `TagExpr::matches` with the services' facts compares `type:`
    /// with the Chinese label only, so `type:enterprise` matches there nothing, here and in
    /// SQL every enterprise. The SQL's `NOT (credit_class IN (…))` is NULL, so false, for an
    /// entity not graded: SQL leaves them out of `NOT credit:…`, `matches` and the index keep
    /// them. An unknown tag is an error in SQL and selects nothing here.
    pub fn eval(&self, e: &TagExpr) -> RoaringBitmap {
        self.eval_cow(e).into_owned()
    }

    /// [`Self::eval`] without copying when the answer is one stored bitmap.
    pub fn eval_cow(&self, e: &TagExpr) -> Cow<'_, RoaringBitmap> {
        match e {
            TagExpr::Tag(code) => Cow::Borrowed(self.tag_bitmap(code)),
            TagExpr::Region(r) => self.region_prefix(r),
            TagExpr::EntityType(t) => match EntityType::parse(t) {
                Ok(t) => Cow::Borrowed(self.type_bitmap(t)),
                Err(_) => Cow::Owned(RoaringBitmap::new()),
            },
            TagExpr::Credit(letters) => {
                let mut ixs: Vec<usize> = letters
                    .iter()
                    .filter_map(|l| CreditClass::ALL.iter().position(|c| c.letter() == *l))
                    .collect();
                ixs.sort_unstable();
                ixs.dedup();
                match ixs.as_slice() {
                    [] => Cow::Owned(RoaringBitmap::new()),
                    [one] => Cow::Borrowed(&self.credit_bm[*one]),
                    many => Cow::Owned(many.iter().map(|i| &self.credit_bm[*i]).union()),
                }
            }
            TagExpr::Not(inner) => Cow::Owned(&self.alive - self.eval_cow(inner).as_ref()),
            TagExpr::And(parts) => self.and(parts),
            TagExpr::Or(parts) => {
                let mut sets: Vec<Cow<'_, RoaringBitmap>> =
                    parts.iter().map(|p| self.eval_cow(p)).collect();
                match sets.len() {
                    0 => Cow::Owned(RoaringBitmap::new()),
                    1 => sets.pop().expect("one"),
                    _ => Cow::Owned(sets.iter().map(|s| s.as_ref()).union()),
                }
            }
        }
    }

    fn and<'a>(&'a self, parts: &[TagExpr]) -> Cow<'a, RoaringBitmap> {
        let mut positive = Vec::new();
        let mut negative = Vec::new();
        for p in parts {
            match p {
                TagExpr::Not(inner) => negative.push(&**inner),
                p => positive.push(self.eval_cow(p)),
            }
        }
        let mut acc = match intersect(positive) {
            Some(acc) if negative.is_empty() => return acc,
            Some(acc) => acc.into_owned(),
            None => self.alive.clone(),
        };
        for n in negative {
            if acc.is_empty() {
                break;
            }
            acc -= self.eval_cow(n).as_ref();
        }
        Cow::Owned(acc)
    }

    /// Live entities whose region code starts with `prefix` (any string; a 2/4/6/9-digit code
    /// is one stored bitmap).
    pub fn region_prefix(&self, prefix: &str) -> Cow<'_, RoaringBitmap> {
        let len = prefix.len();
        if len == 0 {
            return self.cow_alive();
        }
        if matches!(len, 2 | 4 | 6 | 9) {
            return Cow::Borrowed(self.region_bm.get(prefix).unwrap_or(empty()));
        }
        let Some(level) = [2, 4, 6, 9].into_iter().find(|l| *l >= len) else {
            return Cow::Owned(RoaringBitmap::new());
        };
        Cow::Owned(
            self.region_bm
                .range(prefix.to_string()..)
                .take_while(|(k, _)| k.starts_with(prefix))
                .filter(|(k, _)| k.len() == level)
                .map(|(_, b)| b)
                .union(),
        )
    }

    /// Live entities whose credit code starts with `prefix` (compared as given: codes are
    /// upper-case).
    pub fn usci_prefix(&self, prefix: &str) -> RoaringBitmap {
        let p = prefix.as_bytes();
        let trim = |u: &[u8; crate::USCI_LEN]| -> usize {
            u.iter().position(|b| *b == 0).unwrap_or(crate::USCI_LEN)
        };
        if self.usci_ordered {
            let lo = self.uscis.partition_point(|u| &u[..trim(u)] < p);
            let hi = self.uscis.partition_point(|u| {
                let u = &u[..trim(u)];
                u < p || u.starts_with(p)
            });
            let mut b = RoaringBitmap::new();
            b.insert_range(lo as u32..hi as u32);
            b &= &self.alive;
            b
        } else {
            RoaringBitmap::from_sorted_iter(
                self.alive
                    .iter()
                    .filter(|n| self.uscis[*n as usize][..].starts_with(p)),
            )
            .expect("ascending")
        }
    }

    /// Live entities whose name contains `fragment` (case-insensitive), within `within`.
    pub fn name_contains(&self, fragment: &str, within: Option<&RoaringBitmap>) -> RoaringBitmap {
        let frag = lowercase(fragment);
        let chars: Vec<char> = frag.chars().collect();
        let mut keys: Vec<u64> = chars.iter().map(|c| unigram(*c)).collect();
        if chars.len() >= 2 {
            keys = chars.windows(2).map(|w| bigram(w[0], w[1])).collect();
        }
        keys.sort_unstable();
        keys.dedup();
        let mut sets: Vec<Cow<'_, RoaringBitmap>> = Vec::with_capacity(keys.len() + 1);
        for k in &keys {
            match self.gram_ix.get(k) {
                Some(g) => sets.push(Cow::Borrowed(&self.gram_bm[*g as usize])),
                None => return RoaringBitmap::new(),
            }
        }
        sets.push(Cow::Borrowed(within.unwrap_or(&self.alive)));
        let candidates = intersect(sets).expect("at least one set").into_owned();
        // One or two characters: the gram itself is the fragment, nothing to check. Longer
        // fragments: the bigrams may occur apart or out of order, so check each candidate.
        if chars.len() <= 2 {
            return candidates;
        }
        self.verify(candidates, &frag)
    }

    fn verify(&self, candidates: RoaringBitmap, frag: &str) -> RoaringBitmap {
        let check = |n: u32| {
            let name = self.name(n);
            if self.meta[n as usize].name_has_upper() {
                lowercase(name).contains(frag)
            } else {
                name.contains(frag)
            }
        };
        if candidates.len() < PARALLEL_VERIFY {
            let mut out = candidates;
            out.retain(check);
            return out;
        }
        let nums: Vec<u32> = candidates.iter().collect();
        let (a, b) = nums.split_at(nums.len() / 2);
        let (ka, kb) = std::thread::scope(|s| {
            let hb = s.spawn(|| b.iter().copied().filter(|n| check(*n)).collect::<Vec<_>>());
            let ka: Vec<u32> = a.iter().copied().filter(|n| check(*n)).collect();
            (ka, hb.join().expect("verify thread"))
        });
        RoaringBitmap::from_sorted_iter(ka.into_iter().chain(kb)).expect("ascending")
    }

    /// Every live entity a search selects.
    pub fn select(&self, q: &IndexQuery) -> RoaringBitmap {
        let mut filters: Vec<Cow<'_, RoaringBitmap>> = Vec::new();
        if let Some(r) = &q.region {
            filters.push(Cow::Borrowed(self.region_bitmap(r)));
        }
        for t in &q.tags {
            filters.push(Cow::Borrowed(self.tag_bitmap(t)));
        }
        if !q.credit.is_empty() {
            let mut ixs: Vec<usize> = q.credit.iter().map(|c| pos(CreditClass::ALL, *c)).collect();
            ixs.sort_unstable();
            ixs.dedup();
            filters.push(if ixs.len() == 1 {
                Cow::Borrowed(&self.credit_bm[ixs[0]])
            } else {
                Cow::Owned(ixs.iter().map(|i| &self.credit_bm[*i]).union())
            });
        }
        if let Some(t) = q.entity_type {
            filters.push(Cow::Borrowed(self.type_bitmap(t)));
        }
        if let Some(s) = q.reg_status {
            filters.push(Cow::Borrowed(self.status_bitmap(s)));
        }
        if let Some(e) = &q.covered_by {
            filters.push(self.eval_cow(e));
        }
        let base = intersect(filters);
        let text = q.q.as_deref().map(str::trim).filter(|t| !t.is_empty());
        match text {
            None => base.map_or_else(|| self.alive.clone(), Cow::into_owned),
            Some(t) => {
                let base = base.as_deref();
                let mut by_name = self.name_contains(t, base);
                if looks_like_usci_prefix(t) {
                    let mut by_code = self.usci_prefix(&t.to_ascii_uppercase());
                    if let Some(b) = base {
                        by_code &= b;
                    }
                    by_name |= by_code;
                }
                by_name
            }
        }
    }

    /// A page of a search, with the exact total.
    pub fn search(&self, q: &IndexQuery, offset: u64, limit: u64) -> SearchHits {
        let set = self.select(q);
        let text = q.q.as_deref().is_some_and(|t| !t.trim().is_empty());
        let sort = match q.sort {
            IndexSort::Default if text => None,
            IndexSort::Default => Some(IndexSort::Name),
            s => Some(s),
        };
        let nums = self.page(&set, sort, offset, limit);
        SearchHits {
            total: set.len(),
            ids: self.ids_of(&nums),
        }
    }

    /// Members `offset..offset + limit` of `set` in a sort order (`None`: number order), ties
    /// by credit code. Only the requested page is put in order (a partial selection), not
    /// every member.
    pub fn page(
        &self,
        set: &RoaringBitmap,
        sort: Option<IndexSort>,
        offset: u64,
        limit: u64,
    ) -> Vec<u32> {
        let len = set.len();
        if offset >= len || limit == 0 {
            return Vec::new();
        }
        let order = match sort {
            None | Some(IndexSort::Default) => Order::Number,
            Some(IndexSort::Usci) if self.usci_ordered => Order::Number,
            Some(IndexSort::Usci) => Order::Usci,
            Some(IndexSort::Name) => Order::Name,
            Some(IndexSort::Region) => Order::Region,
            Some(IndexSort::UpdatedDesc) => Order::Updated,
            Some(IndexSort::CreditClass) => Order::Credit,
        };
        if order == Order::Number {
            let first = set.select(offset as u32).expect("offset below len");
            return set.range(first..).take(limit as usize).collect();
        }
        let region_rank = if order == Order::Region {
            let mut by_code: Vec<u32> = (0..self.regions.len() as u32).collect();
            by_code.sort_unstable_by(|a, b| {
                self.regions[*a as usize]
                    .as_str()
                    .cmp(self.regions[*b as usize].as_str())
            });
            let mut rank = vec![0u32; self.regions.len()];
            for (r, ix) in by_code.into_iter().enumerate() {
                rank[ix as usize] = r as u32;
            }
            rank
        } else {
            Vec::new()
        };
        let prefix8 = |b: &[u8]| {
            let mut k = [0u8; 8];
            let n = b.len().min(8);
            k[..n].copy_from_slice(&b[..n]);
            u64::from_be_bytes(k)
        };
        let key = |n: u32| -> u64 {
            let i = n as usize;
            match order {
                Order::Name => prefix8(self.name(n).as_bytes()),
                Order::Usci => prefix8(&self.uscis[i]),
                Order::Region => u64::from(region_rank[self.region_of[i] as usize]),
                Order::Updated => !((self.updated[i] as u64) ^ (1 << 63)),
                Order::Credit => match self.meta[i].credit_ix() {
                    UNGRADED => 4,
                    c => 3 - c as u64,
                },
                Order::Number => 0,
            }
        };
        let full = |a: u32, b: u32| -> Ordering {
            let by_name = if order == Order::Name {
                self.name(a).cmp(self.name(b))
            } else {
                Ordering::Equal
            };
            by_name
                .then_with(|| self.uscis[a as usize].cmp(&self.uscis[b as usize]))
                .then(a.cmp(&b))
        };
        let cmp = |x: &(u64, u32), y: &(u64, u32)| x.0.cmp(&y.0).then_with(|| full(x.1, y.1));
        let end = offset.saturating_add(limit).min(len) as usize;
        if end <= TOP_K_HEAP && (end as u64) * 8 < len {
            // A small page of many: one pass with a bounded heap, no copy of every key; over
            // a large set, each half on its own thread and the two heaps merged.
            let top = if len >= PARALLEL_TOP_K {
                let mid = set.select((len / 2) as u32).expect("below len");
                let (mut a, b) = std::thread::scope(|s| {
                    let b = s.spawn(|| top_k(set.range(mid..).map(|n| (key(n), n)), end, cmp));
                    let a = top_k(set.range(..mid).map(|n| (key(n), n)), end, cmp);
                    (a, b.join().expect("top-k thread"))
                });
                a.extend(b);
                a.sort_unstable_by(cmp);
                a.truncate(end);
                a
            } else {
                top_k(set.iter().map(|n| (key(n), n)), end, cmp)
            };
            return top[offset as usize..].iter().map(|x| x.1).collect();
        }
        let mut v: Vec<(u64, u32)> = set.iter().map(|n| (key(n), n)).collect();
        if end < v.len() {
            v.select_nth_unstable_by(end - 1, cmp);
            v.truncate(end);
        }
        v.sort_unstable_by(cmp);
        v[offset as usize..end].iter().map(|x| x.1).collect()
    }
}

/// Sets at least this large are ranked on two threads.
const PARALLEL_TOP_K: u64 = 200_000;

/// Pages ending at most this far in are selected with a bounded heap.
const TOP_K_HEAP: usize = 4096;

/// The `k` smallest items under `cmp`, sorted: a max-heap of the best `k` so far, whose top
/// is the one to beat.
fn top_k<T: Copy>(
    items: impl Iterator<Item = T>,
    k: usize,
    cmp: impl Fn(&T, &T) -> Ordering,
) -> Vec<T> {
    let mut h: Vec<T> = Vec::with_capacity(k);
    let less = |a: &T, b: &T| cmp(a, b) == Ordering::Less;
    for x in items {
        if h.len() < k {
            h.push(x);
            let mut i = h.len() - 1;
            while i > 0 {
                let parent = (i - 1) / 2;
                if less(&h[parent], &h[i]) {
                    h.swap(parent, i);
                    i = parent;
                } else {
                    break;
                }
            }
        } else if less(&x, &h[0]) {
            h[0] = x;
            let mut i = 0;
            loop {
                let (l, r) = (2 * i + 1, 2 * i + 2);
                let mut big = i;
                if l < h.len() && less(&h[big], &h[l]) {
                    big = l;
                }
                if r < h.len() && less(&h[big], &h[r]) {
                    big = r;
                }
                if big == i {
                    break;
                }
                h.swap(i, big);
                i = big;
            }
        }
    }
    h.sort_unstable_by(cmp);
    h
}

/// The intersection of several sets, smallest first; `None` for no sets.
fn intersect(mut sets: Vec<Cow<'_, RoaringBitmap>>) -> Option<Cow<'_, RoaringBitmap>> {
    if sets.len() <= 1 {
        return sets.pop();
    }
    sets.sort_by_key(|s| s.len());
    let mut it = sets.into_iter();
    let mut acc = it.next().expect("two or more").into_owned();
    for s in it {
        if acc.is_empty() {
            break;
        }
        acc &= s.as_ref();
    }
    Some(Cow::Owned(acc))
}
