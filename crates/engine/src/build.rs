//! Building the index in one pass: rows are stored compactly as they come, then renumbered in
//! credit-code order and the bitmaps are filled in ascending number order (appends only), the
//! name bitmaps on one thread and all others on another.

use std::collections::{BTreeMap, HashMap};

use lianjian_domain::directory::{EntityType, RegStatus};
use lianjian_domain::region::RegionCode;
use roaring::RoaringBitmap;
use uuid::Uuid;

use crate::fx::FxBuild;
use crate::{
    DirectoryIndex, IndexedEntity, Meta, USCI_LEN, changes_when_lowercased, gram_keys,
    region_prefixes, usci_bytes,
};

/// Collects rows for [`DirectoryIndex`] without holding them as `IndexedEntity` values (a
/// province's worth of those would take several times the finished index). Rows may come in
/// any order; [`IndexBuilder::finish`] renumbers them in credit-code order.
#[derive(Default)]
pub struct IndexBuilder {
    ids: Vec<Uuid>,
    uscis: Vec<[u8; USCI_LEN]>,
    names: String,
    name_start: Vec<u32>,
    name_len: Vec<u16>,
    region_of: Vec<u32>,
    meta: Vec<Meta>,
    updated: Vec<i64>,
    tag_start: Vec<u32>,
    tag_list: Vec<u32>,
    regions: Vec<RegionCode>,
    region_ix: HashMap<String, u32, FxBuild>,
    tag_codes: Vec<String>,
    tag_ix: HashMap<String, u32, FxBuild>,
}

impl IndexBuilder {
    pub fn new() -> Self {
        Self::default()
    }

    /// Room for `n` rows up front.
    pub fn with_capacity(n: usize) -> Self {
        Self {
            ids: Vec::with_capacity(n),
            uscis: Vec::with_capacity(n),
            names: String::with_capacity(n * 24),
            name_start: Vec::with_capacity(n),
            name_len: Vec::with_capacity(n),
            region_of: Vec::with_capacity(n),
            meta: Vec::with_capacity(n),
            updated: Vec::with_capacity(n),
            tag_start: Vec::with_capacity(n + 1),
            tag_list: Vec::with_capacity(n * 4),
            ..Self::default()
        }
    }

    pub fn len(&self) -> usize {
        self.ids.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }

    pub fn push(&mut self, e: IndexedEntity) {
        let tags: Vec<&str> = e.tags.iter().map(String::as_str).collect();
        self.push_parts(
            e.id,
            &e.usci,
            &e.name,
            &e.region,
            e.entity_type,
            e.reg_status,
            e.credit_class,
            e.updated_at,
            &tags,
        );
    }

    /// Same as [`Self::push`] without building an [`IndexedEntity`] first.
    #[allow(clippy::too_many_arguments)]
    pub fn push_parts(
        &mut self,
        id: Uuid,
        usci: &str,
        name: &str,
        region: &RegionCode,
        entity_type: EntityType,
        reg_status: RegStatus,
        credit_class: Option<lianjian_domain::directory::CreditClass>,
        updated_at: i64,
        tags: &[&str],
    ) {
        assert!(
            self.ids.len() < u32::MAX as usize - 1,
            "fewer than 2^32 - 1 entities"
        );
        self.ids.push(id);
        self.uscis.push(usci_bytes(usci));
        self.name_start
            .push(u32::try_from(self.names.len()).expect("names below 4 GiB"));
        self.name_len
            .push(u16::try_from(name.len()).expect("names are at most 200 characters"));
        self.names.push_str(name);
        let r = match self.region_ix.get(region.as_str()) {
            Some(r) => *r,
            None => {
                let r = self.regions.len() as u32;
                self.regions.push(region.clone());
                self.region_ix.insert(region.as_str().to_string(), r);
                r
            }
        };
        self.region_of.push(r);
        let upper = changes_when_lowercased(name);
        self.meta
            .push(Meta::new(entity_type, reg_status, credit_class, upper));
        self.updated.push(updated_at);
        if self.tag_start.is_empty() {
            self.tag_start.push(0);
        }
        for t in tags {
            let ix = match self.tag_ix.get(*t) {
                Some(ix) => *ix,
                None => {
                    let ix = self.tag_codes.len() as u32;
                    self.tag_codes.push(t.to_string());
                    self.tag_ix.insert(t.to_string(), ix);
                    ix
                }
            };
            self.tag_list.push(ix);
        }
        self.tag_start.push(self.tag_list.len() as u32);
    }

    pub fn finish(mut self) -> DirectoryIndex {
        if self.tag_start.is_empty() {
            self.tag_start.push(0);
        }
        let n = self.ids.len();
        // Renumber in credit-code order (ties by arrival). Rows read from the store ORDER BY
        // usci are already in order, and then nothing moves. Keys are sorted with the data
        // next to them: an indirect sort would miss the cache on every comparison.
        let mut keyed: Vec<([u8; USCI_LEN], u32)> = self
            .uscis
            .iter()
            .enumerate()
            .map(|(i, u)| (*u, i as u32))
            .collect();
        let perm: Vec<u32> = if keyed.is_sorted() {
            (0..n as u32).collect()
        } else {
            par_sort(&mut keyed);
            let perm: Vec<u32> = keyed.iter().map(|k| k.1).collect();
            self.apply(&perm);
            perm
        };
        let usci_ordered = keyed.windows(2).all(|w| w[0].0 < w[1].0);
        drop(keyed);

        // id → number, sorted by id; a repeated id keeps its last row.
        let mut keyed: Vec<(u128, u32)> = self
            .ids
            .iter()
            .enumerate()
            .map(|(num, id)| (id.as_u128(), num as u32))
            .collect();
        par_sort(&mut keyed);
        let mut dead = RoaringBitmap::new();
        if keyed.windows(2).any(|w| w[0].0 == w[1].0) {
            // `perm[k]` is the arrival index of number k; the latest arrival wins.
            let mut keep: Vec<(u128, u32)> = Vec::with_capacity(n);
            for &(id, num) in &keyed {
                match keep.last_mut() {
                    Some(prev) if prev.0 == id => {
                        let (old, new) = if perm[prev.1 as usize] < perm[num as usize] {
                            (prev.1, num)
                        } else {
                            (num, prev.1)
                        };
                        dead.insert(old);
                        prev.1 = new;
                    }
                    _ => keep.push((id, num)),
                }
            }
            keyed = keep;
        }
        let by_id: Vec<u32> = keyed.iter().map(|k| k.1).collect();
        drop(keyed);
        drop(perm);

        let mut ix = DirectoryIndex {
            ids: Vec::new(),
            uscis: Vec::new(),
            names: String::new(),
            name_start: Vec::new(),
            name_len: Vec::new(),
            names_garbage: 0,
            region_of: Vec::new(),
            meta: Vec::new(),
            updated: Vec::new(),
            by_id,
            sorted_upto: n as u32,
            by_id_recent: HashMap::default(),
            usci_ordered,
            regions: Vec::new(),
            region_ix: HashMap::default(),
            tag_codes: Vec::new(),
            tag_ix: HashMap::default(),
            gram_ix: HashMap::default(),
            alive: RoaringBitmap::new(),
            tag_bm: Vec::new(),
            region_bm: BTreeMap::new(),
            credit_bm: Default::default(),
            type_bm: vec![RoaringBitmap::new(); EntityType::ALL.len()],
            status_bm: vec![RoaringBitmap::new(); RegStatus::ALL.len()],
            gram_bm: Vec::new(),
        };

        // Two threads: names of the first 60 % of numbers on one; every other bitmap and the
        // remaining names on the other; then the halves of each name bitmap are joined.
        let b = &self;
        let dead = &dead;
        let split = n * 3 / 5;
        let (grams, rest, grams_tail) = std::thread::scope(|s| {
            let grams = s.spawn(move || b.gram_bitmaps(dead, 0..split));
            let rest = b.other_bitmaps(dead);
            let tail = b.gram_bitmaps(dead, split..n);
            (grams.join().expect("gram thread"), rest, tail)
        });
        let (mut gram_ix, mut gram_bm) = grams;
        for (k, g) in grams_tail.0 {
            let tail = &grams_tail.1[g as usize];
            match gram_ix.get(&k) {
                Some(h) => gram_bm[*h as usize] |= tail,
                None => {
                    gram_ix.insert(k, gram_bm.len() as u32);
                    gram_bm.push(tail.clone());
                }
            }
        }
        drop(grams_tail.1);
        // Runs where names cluster (a county's place name); cloning drops the slack that
        // appends left in the containers.
        let half = gram_bm.len() / 2;
        let (lo, hi) = gram_bm.split_at_mut(half);
        std::thread::scope(|s| {
            s.spawn(|| shrink_all(hi));
            shrink_all(lo);
        });
        (ix.gram_ix, ix.gram_bm) = (gram_ix, gram_bm);
        (
            ix.alive,
            ix.tag_bm,
            ix.region_bm,
            ix.credit_bm,
            ix.type_bm,
            ix.status_bm,
        ) = rest;

        let mut names = std::mem::take(&mut self.names);
        names.shrink_to_fit();
        ix.ids = self.ids;
        ix.uscis = self.uscis;
        ix.names = names;
        ix.name_start = self.name_start;
        ix.name_len = self.name_len;
        ix.region_of = self.region_of;
        ix.meta = self.meta;
        ix.updated = self.updated;
        ix.regions = self.regions;
        ix.region_ix = self.region_ix;
        ix.tag_codes = self.tag_codes;
        ix.tag_ix = self.tag_ix;
        ix.name_start.shrink_to_fit();
        ix.ids.shrink_to_fit();
        ix.uscis.shrink_to_fit();
        ix.name_len.shrink_to_fit();
        ix.region_of.shrink_to_fit();
        ix.meta.shrink_to_fit();
        ix.updated.shrink_to_fit();
        ix.by_id.shrink_to_fit();
        ix
    }

    /// Puts row `perm[k]` at position k in every column.
    fn apply(&mut self, perm: &[u32]) {
        fn permute<T: Copy>(v: &mut Vec<T>, perm: &[u32]) {
            let out: Vec<T> = perm.iter().map(|p| v[*p as usize]).collect();
            *v = out;
        }
        permute(&mut self.ids, perm);
        permute(&mut self.uscis, perm);
        permute(&mut self.region_of, perm);
        permute(&mut self.meta, perm);
        permute(&mut self.updated, perm);
        let mut names = String::with_capacity(self.names.len());
        let mut starts = Vec::with_capacity(perm.len());
        let mut lens = Vec::with_capacity(perm.len());
        let mut tag_start = Vec::with_capacity(perm.len() + 1);
        let mut tag_list = Vec::with_capacity(self.tag_list.len());
        tag_start.push(0);
        for p in perm {
            let p = *p as usize;
            let s = self.name_start[p] as usize;
            let l = self.name_len[p] as usize;
            starts.push(names.len() as u32);
            lens.push(l as u16);
            names.push_str(&self.names[s..s + l]);
            tag_list.extend_from_slice(
                &self.tag_list[self.tag_start[p] as usize..self.tag_start[p + 1] as usize],
            );
            tag_start.push(tag_list.len() as u32);
        }
        self.names = names;
        self.name_start = starts;
        self.name_len = lens;
        self.tag_start = tag_start;
        self.tag_list = tag_list;
    }

    fn name(&self, num: usize) -> &str {
        let s = self.name_start[num] as usize;
        &self.names[s..s + self.name_len[num] as usize]
    }

    fn gram_bitmaps(
        &self,
        dead: &RoaringBitmap,
        nums: std::ops::Range<usize>,
    ) -> (HashMap<u64, u32, FxBuild>, Vec<RoaringBitmap>) {
        let mut gram_ix: HashMap<u64, u32, FxBuild> = HashMap::default();
        let mut gram_bm: Vec<RoaringBitmap> = Vec::new();
        let mut keys = Vec::new();
        for num in nums {
            if dead.contains(num as u32) {
                continue;
            }
            gram_keys(self.name(num), &mut keys);
            for k in &keys {
                let g = *gram_ix.entry(*k).or_insert_with(|| {
                    gram_bm.push(RoaringBitmap::new());
                    gram_bm.len() as u32 - 1
                });
                // Ascending numbers: an append, or a repeat of this name's own gram.
                let _ = gram_bm[g as usize].try_push(num as u32);
            }
        }
        (gram_ix, gram_bm)
    }

    #[allow(clippy::type_complexity)]
    fn other_bitmaps(
        &self,
        dead: &RoaringBitmap,
    ) -> (
        RoaringBitmap,
        Vec<RoaringBitmap>,
        BTreeMap<String, RoaringBitmap>,
        [RoaringBitmap; 5],
        Vec<RoaringBitmap>,
        Vec<RoaringBitmap>,
    ) {
        let mut alive = RoaringBitmap::new();
        let mut tag_bm = vec![RoaringBitmap::new(); self.tag_codes.len()];
        // Region prefixes: each region index → the prefix bitmaps it belongs to.
        let mut prefix_ix: HashMap<&str, usize, FxBuild> = HashMap::default();
        let mut prefix_codes: Vec<&str> = Vec::new();
        let mut region_prefix: Vec<Vec<usize>> = Vec::with_capacity(self.regions.len());
        for r in &self.regions {
            let mut v = Vec::new();
            for p in region_prefixes(r.as_str()) {
                let i = *prefix_ix.entry(p).or_insert_with(|| {
                    prefix_codes.push(p);
                    prefix_codes.len() - 1
                });
                v.push(i);
            }
            region_prefix.push(v);
        }
        let mut region_bm = vec![RoaringBitmap::new(); prefix_codes.len()];
        let mut credit_bm: [RoaringBitmap; 5] = Default::default();
        let mut type_bm = vec![RoaringBitmap::new(); EntityType::ALL.len()];
        let mut status_bm = vec![RoaringBitmap::new(); RegStatus::ALL.len()];
        for num in 0..self.ids.len() {
            let n = num as u32;
            if dead.contains(n) {
                continue;
            }
            let _ = alive.try_push(n);
            for t in &self.tag_list[self.tag_start[num] as usize..self.tag_start[num + 1] as usize]
            {
                let _ = tag_bm[*t as usize].try_push(n);
            }
            for p in &region_prefix[self.region_of[num] as usize] {
                let _ = region_bm[*p].try_push(n);
            }
            let m = self.meta[num];
            let _ = credit_bm[m.credit_ix()].try_push(n);
            let _ = type_bm[m.type_ix()].try_push(n);
            let _ = status_bm[m.status_ix()].try_push(n);
        }
        let shrink = |mut b: RoaringBitmap| {
            b.optimize();
            b.clone()
        };
        let region_bm = prefix_codes
            .iter()
            .zip(region_bm)
            .map(|(c, b)| (c.to_string(), shrink(b)))
            .collect();
        (
            shrink(alive),
            tag_bm.into_iter().map(shrink).collect(),
            region_bm,
            credit_bm.map(shrink),
            type_bm.into_iter().map(shrink).collect(),
            status_bm.into_iter().map(shrink).collect(),
        )
    }
}

/// Run containers where they are smaller, and no spare capacity.
fn shrink_all(bms: &mut [RoaringBitmap]) {
    for b in bms {
        b.optimize();
        *b = b.clone();
    }
}

/// Sorts on two threads: each half, then one merge.
fn par_sort<T: Ord + Copy + Send>(v: &mut Vec<T>) {
    if v.len() < 100_000 {
        v.sort_unstable();
        return;
    }
    let mid = v.len() / 2;
    {
        let (a, b) = v.split_at_mut(mid);
        std::thread::scope(|s| {
            s.spawn(|| b.sort_unstable());
            a.sort_unstable();
        });
    }
    let mut out = Vec::with_capacity(v.len());
    let (a, b) = v.split_at(mid);
    let (mut i, mut j) = (0, 0);
    while i < a.len() && j < b.len() {
        if b[j] < a[i] {
            out.push(b[j]);
            j += 1;
        } else {
            out.push(a[i]);
            i += 1;
        }
    }
    out.extend_from_slice(&a[i..]);
    out.extend_from_slice(&b[j..]);
    *v = out;
}

#[cfg(test)]
mod tests {
    #[test]
    fn parallel_sort_sorts() {
        let mut x = 1u64;
        let mut v: Vec<(u64, u32)> = (0..300_000u32)
            .map(|i| {
                x = x.wrapping_mul(6364136223846793005).wrapping_add(1);
                (x >> 40, i)
            })
            .collect();
        let mut want = v.clone();
        want.sort_unstable();
        super::par_sort(&mut v);
        assert_eq!(v, want);
    }
}
