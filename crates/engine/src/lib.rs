//! The in-memory index of the regulated-entity directory (名录索引), issue 4 item 7.
//!
//! Every entity gets a dense `u32` number; numbers are assigned in ascending credit-code (usci)
//! order when the index is built, so a bitmap's members in number order are its members in
//! credit-code order, the order the draw enumerates candidates in. For every tag, region (each
//! level: province, city, county, township), credit class (and "not graded"), entity type,
//! registration status and name character or bigram there is one roaring bitmap of the numbers
//! that carry it; a tag expression or a directory search is a handful of bitmap operations.
//!
//! The services build the index at start-up from the store ([`DirectoryIndex::build`]) and
//! call [`DirectoryIndex::upsert`] / [`DirectoryIndex::remove`] after each committed write.
//! No IO, no async: the caller owns locking (e.g. an `RwLock` around the index).
//!
//! Sizes: per entity about 56 bytes of fixed columns plus the name's UTF-8 bytes, plus its
//! bitmap memberships (see `docs/performance.md` for the measured figures at 15 million).

mod build;
mod draw_pool;
mod fx;
mod query;
#[cfg(test)]
mod tests;

use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap};

use lianjian_domain::directory::{CreditClass, EntityType, RegStatus};
use lianjian_domain::region::RegionCode;
use lianjian_domain::tag_expr::EntityFacts;
pub use roaring::{MultiOps, RoaringBitmap};
use uuid::Uuid;

pub use build::IndexBuilder;
pub use draw_pool::PoolCandidates;
pub use query::{IndexQuery, IndexSort, SearchHits};

use fx::FxBuild;

/// One entity as the index sees it: what tag expressions, searches and draws ask about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IndexedEntity {
    pub id: Uuid,
    /// The 18-character unified social credit code (ASCII; at most 18 bytes).
    pub usci: String,
    pub name: String,
    pub region: RegionCode,
    pub entity_type: EntityType,
    pub reg_status: RegStatus,
    pub credit_class: Option<CreditClass>,
    /// Seconds since the epoch, for sorting by last change.
    pub updated_at: i64,
    /// Tag codes (标签编码).
    pub tags: Vec<String>,
}

/// Same reading as the services' entity facts: the type is its Chinese label (类型标签).
impl EntityFacts for IndexedEntity {
    fn has_tag(&self, code: &str) -> bool {
        self.tags.iter().any(|t| t == code)
    }
    fn region(&self) -> &str {
        self.region.as_str()
    }
    fn entity_type(&self) -> &str {
        self.entity_type.label_zh()
    }
    fn credit_class(&self) -> Option<char> {
        self.credit_class.map(CreditClass::letter)
    }
}

pub(crate) const USCI_LEN: usize = 18;
/// Index of "not graded" among the credit bitmaps (after A–D).
pub(crate) const UNGRADED: usize = 4;

/// Type, status and credit class of one entity in 16 bits, plus whether its name changes when
/// lower-cased (then substring checks lower-case it first).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Meta(u16);

impl Meta {
    pub(crate) fn new(
        t: EntityType,
        s: RegStatus,
        c: Option<CreditClass>,
        name_has_upper: bool,
    ) -> Self {
        let t = pos(EntityType::ALL, t) as u16;
        let s = pos(RegStatus::ALL, s) as u16;
        let c = c.map_or(UNGRADED, |c| pos(CreditClass::ALL, c)) as u16;
        Meta(t | s << 4 | c << 8 | u16::from(name_has_upper) << 12)
    }
    pub(crate) fn type_ix(self) -> usize {
        usize::from(self.0 & 0xF)
    }
    pub(crate) fn status_ix(self) -> usize {
        usize::from(self.0 >> 4 & 0xF)
    }
    pub(crate) fn credit_ix(self) -> usize {
        usize::from(self.0 >> 8 & 0xF)
    }
    pub(crate) fn name_has_upper(self) -> bool {
        self.0 >> 12 & 1 == 1
    }
}

pub(crate) fn pos<T: PartialEq>(all: &[T], v: T) -> usize {
    all.iter().position(|x| *x == v).expect("listed in ALL")
}

/// The 2/4/6/9-character prefixes of a region code that are region codes themselves
/// (its own code and its ancestors').
pub(crate) fn region_prefixes(code: &str) -> impl Iterator<Item = &str> {
    [2, 4, 6, 9]
        .into_iter()
        .filter(move |l| *l <= code.len())
        .map(move |l| &code[..l])
}

/// The keys of the name bitmaps of `name`: every character and every pair of consecutive
/// characters, lower-cased.
pub(crate) fn gram_keys(name: &str, out: &mut Vec<u64>) {
    out.clear();
    let mut prev: Option<char> = None;
    for c in name.chars().flat_map(char::to_lowercase) {
        out.push(unigram(c));
        if let Some(p) = prev {
            out.push(bigram(p, c));
        }
        prev = Some(c);
    }
}

pub(crate) fn unigram(c: char) -> u64 {
    u64::from(c)
}

pub(crate) fn bigram(a: char, b: char) -> u64 {
    1 << 42 | u64::from(a) << 21 | u64::from(b)
}

/// Whether lower-casing changes the name (`lowercase(name) != name`), without allocating.
pub(crate) fn changes_when_lowercased(name: &str) -> bool {
    if name.is_ascii() {
        return name.bytes().any(|b| b.is_ascii_uppercase());
    }
    name.chars().any(|c| {
        let mut l = c.to_lowercase();
        !(l.next() == Some(c) && l.next().is_none())
    })
}

pub(crate) fn lowercase(s: &str) -> String {
    s.chars().flat_map(char::to_lowercase).collect()
}

pub(crate) fn usci_bytes(usci: &str) -> [u8; USCI_LEN] {
    assert!(
        usci.len() <= USCI_LEN && usci.is_ascii(),
        "a credit code has at most 18 ASCII characters: {usci:?}"
    );
    let mut b = [0u8; USCI_LEN];
    b[..usci.len()].copy_from_slice(usci.as_bytes());
    b
}

pub(crate) fn usci_str(b: &[u8; USCI_LEN]) -> &str {
    let n = b.iter().position(|x| *x == 0).unwrap_or(USCI_LEN);
    std::str::from_utf8(&b[..n]).expect("ASCII")
}

/// Bytes a bitmap takes in memory: its serialized size (the containers' payload) plus the
/// in-memory container headers.
pub(crate) fn bitmap_bytes(b: &RoaringBitmap) -> usize {
    const CONTAINER_HEADER: usize = 32;
    std::mem::size_of::<RoaringBitmap>()
        + b.serialized_size()
        + b.statistics().n_containers as usize * CONTAINER_HEADER
}

/// The directory index. See the crate documentation.
#[derive(Clone)]
pub struct DirectoryIndex {
    // ---- per entity number ----
    pub(crate) ids: Vec<Uuid>,
    pub(crate) uscis: Vec<[u8; USCI_LEN]>,
    /// Names, back to back (UTF-8); `name_start`/`name_len` locate each.
    pub(crate) names: String,
    pub(crate) name_start: Vec<u32>,
    pub(crate) name_len: Vec<u16>,
    /// Bytes of `names` no longer referenced (replaced names).
    pub(crate) names_garbage: usize,
    pub(crate) region_of: Vec<u32>,
    pub(crate) meta: Vec<Meta>,
    pub(crate) updated: Vec<i64>,

    // ---- id → number ----
    /// Numbers below `sorted_upto`, sorted by id.
    pub(crate) by_id: Vec<u32>,
    pub(crate) sorted_upto: u32,
    /// Numbers from `sorted_upto` on (entities added since the last merge).
    pub(crate) by_id_recent: HashMap<Uuid, u32, FxBuild>,
    /// Whether number order is credit-code order (true after a build; an upsert that breaks
    /// it clears it until the next build).
    pub(crate) usci_ordered: bool,

    // ---- vocabularies ----
    pub(crate) regions: Vec<RegionCode>,
    pub(crate) region_ix: HashMap<String, u32, FxBuild>,
    pub(crate) tag_codes: Vec<String>,
    pub(crate) tag_ix: HashMap<String, u32, FxBuild>,
    pub(crate) gram_ix: HashMap<u64, u32, FxBuild>,

    // ---- bitmaps (each a subset of `alive`) ----
    pub(crate) alive: RoaringBitmap,
    pub(crate) tag_bm: Vec<RoaringBitmap>,
    /// Keyed by the 2/4/6/9-digit code; an entity is in the bitmap of each of its prefixes.
    pub(crate) region_bm: BTreeMap<String, RoaringBitmap>,
    /// A, B, C, D, not graded.
    pub(crate) credit_bm: [RoaringBitmap; 5],
    /// In the order of `EntityType::ALL`.
    pub(crate) type_bm: Vec<RoaringBitmap>,
    /// In the order of `RegStatus::ALL`.
    pub(crate) status_bm: Vec<RoaringBitmap>,
    pub(crate) gram_bm: Vec<RoaringBitmap>,
}

/// One entity of the index, by number.
#[derive(Clone, Copy)]
pub struct EntityView<'a> {
    ix: &'a DirectoryIndex,
    num: u32,
}

impl<'a> EntityView<'a> {
    pub fn number(&self) -> u32 {
        self.num
    }
    pub fn id(&self) -> Uuid {
        self.ix.ids[self.num as usize]
    }
    pub fn usci(&self) -> &'a str {
        usci_str(&self.ix.uscis[self.num as usize])
    }
    pub fn name(&self) -> &'a str {
        self.ix.name(self.num)
    }
    pub fn region(&self) -> &'a RegionCode {
        &self.ix.regions[self.ix.region_of[self.num as usize] as usize]
    }
    pub fn entity_type(&self) -> EntityType {
        EntityType::ALL[self.meta().type_ix()]
    }
    pub fn reg_status(&self) -> RegStatus {
        RegStatus::ALL[self.meta().status_ix()]
    }
    pub fn credit_class(&self) -> Option<CreditClass> {
        CreditClass::ALL.get(self.meta().credit_ix()).copied()
    }
    pub fn updated_at(&self) -> i64 {
        self.ix.updated[self.num as usize]
    }
    pub fn is_alive(&self) -> bool {
        self.ix.alive.contains(self.num)
    }
    /// Tag codes, in the order the index first saw them (a scan of every tag bitmap).
    pub fn tags(&self) -> Vec<&'a str> {
        self.ix
            .tag_bm
            .iter()
            .enumerate()
            .filter(|(_, b)| b.contains(self.num))
            .map(|(i, _)| self.ix.tag_codes[i].as_str())
            .collect()
    }
    pub fn to_entity(&self) -> IndexedEntity {
        IndexedEntity {
            id: self.id(),
            usci: self.usci().to_string(),
            name: self.name().to_string(),
            region: self.region().clone(),
            entity_type: self.entity_type(),
            reg_status: self.reg_status(),
            credit_class: self.credit_class(),
            updated_at: self.updated_at(),
            tags: self.tags().into_iter().map(String::from).collect(),
        }
    }
    fn meta(&self) -> Meta {
        self.ix.meta[self.num as usize]
    }
}

impl EntityFacts for EntityView<'_> {
    fn has_tag(&self, code: &str) -> bool {
        self.ix
            .tag_ix
            .get(code)
            .is_some_and(|t| self.ix.tag_bm[*t as usize].contains(self.num))
    }
    fn region(&self) -> &str {
        EntityView::region(self).as_str()
    }
    fn entity_type(&self) -> &str {
        EntityView::entity_type(self).label_zh()
    }
    fn credit_class(&self) -> Option<char> {
        EntityView::credit_class(self).map(CreditClass::letter)
    }
}

static EMPTY_SET: std::sync::LazyLock<RoaringBitmap> = std::sync::LazyLock::new(RoaringBitmap::new);

/// A shared empty bitmap, for lookups of unknown keys.
pub(crate) fn empty() -> &'static RoaringBitmap {
    &EMPTY_SET
}

impl DirectoryIndex {
    /// An index of no entities.
    pub fn empty() -> Self {
        IndexBuilder::new().finish()
    }

    /// Builds the index from every entity of the directory, in any order. Ids are expected to
    /// be unique (a later row with the same id replaces an earlier one) and credit codes too.
    pub fn build(rows: impl IntoIterator<Item = IndexedEntity>) -> Self {
        let mut b = IndexBuilder::new();
        for r in rows {
            b.push(r);
        }
        b.finish()
    }

    /// Entities in the index (removed ones not counted).
    pub fn len(&self) -> u64 {
        self.alive.len()
    }

    pub fn is_empty(&self) -> bool {
        self.alive.is_empty()
    }

    /// One past the highest number handed out (removed entities keep their numbers).
    pub fn number_bound(&self) -> u32 {
        self.ids.len() as u32
    }

    /// Whether number order is still credit-code order (see [`Self::in_usci_order`]).
    pub fn is_usci_ordered(&self) -> bool {
        self.usci_ordered
    }

    /// The number of a live entity.
    pub fn number(&self, id: Uuid) -> Option<u32> {
        self.slot(id).filter(|n| self.alive.contains(*n))
    }

    /// The number of an id, live or removed.
    pub(crate) fn slot(&self, id: Uuid) -> Option<u32> {
        if let Some(n) = self.by_id_recent.get(&id) {
            return Some(*n);
        }
        self.by_id
            .binary_search_by(|n| self.ids[*n as usize].cmp(&id))
            .ok()
            .map(|i| self.by_id[i])
    }

    /// A live entity by number.
    pub fn entity(&self, num: u32) -> Option<EntityView<'_>> {
        self.alive
            .contains(num)
            .then_some(EntityView { ix: self, num })
    }

    /// A live entity by id.
    pub fn get(&self, id: Uuid) -> Option<EntityView<'_>> {
        self.number(id).map(|num| EntityView { ix: self, num })
    }

    pub fn id_of(&self, num: u32) -> Uuid {
        self.ids[num as usize]
    }

    pub fn usci_of(&self, num: u32) -> &str {
        usci_str(&self.uscis[num as usize])
    }

    pub(crate) fn name(&self, num: u32) -> &str {
        let s = self.name_start[num as usize] as usize;
        &self.names[s..s + self.name_len[num as usize] as usize]
    }

    /// Credit class of a number (live or removed: no liveness check, for loops over the
    /// members of the index's own bitmaps).
    pub fn credit_class_of(&self, num: u32) -> Option<CreditClass> {
        CreditClass::ALL
            .get(self.meta[num as usize].credit_ix())
            .copied()
    }

    pub fn name_of(&self, num: u32) -> &str {
        self.name(num)
    }

    /// Every live entity.
    pub fn alive(&self) -> &RoaringBitmap {
        &self.alive
    }

    /// Entities carrying the tag (an empty bitmap for an unknown code).
    pub fn tag_bitmap(&self, code: &str) -> &RoaringBitmap {
        self.tag_ix
            .get(code)
            .map_or(empty(), |t| &self.tag_bm[*t as usize])
    }

    /// Entities registered in the region or within it.
    pub fn region_bitmap(&self, region: &RegionCode) -> &RoaringBitmap {
        self.region_bm.get(region.as_str()).unwrap_or(empty())
    }

    /// Entities of a credit class; `None` is the entities not graded yet.
    pub fn credit_bitmap(&self, class: Option<CreditClass>) -> &RoaringBitmap {
        &self.credit_bm[class.map_or(UNGRADED, |c| pos(CreditClass::ALL, c))]
    }

    pub fn type_bitmap(&self, t: EntityType) -> &RoaringBitmap {
        &self.type_bm[pos(EntityType::ALL, t)]
    }

    pub fn status_bitmap(&self, s: RegStatus) -> &RoaringBitmap {
        &self.status_bm[pos(RegStatus::ALL, s)]
    }

    /// Tag codes the index knows (ever seen, even if no live entity carries them now).
    pub fn tag_codes(&self) -> impl Iterator<Item = &str> {
        self.tag_codes.iter().map(String::as_str)
    }

    /// The members of `set` as numbers in ascending credit-code order: the bitmap's own order
    /// while [`Self::is_usci_ordered`], otherwise sorted.
    pub fn in_usci_order(&self, set: &RoaringBitmap) -> Vec<u32> {
        let mut v: Vec<u32> = set.iter().collect();
        if !self.usci_ordered {
            v.sort_unstable_by(|a, b| {
                self.uscis[*a as usize]
                    .cmp(&self.uscis[*b as usize])
                    .then(a.cmp(b))
            });
        }
        v
    }

    /// Ids of numbers, in the same order.
    pub fn ids_of(&self, nums: &[u32]) -> Vec<Uuid> {
        nums.iter().map(|n| self.ids[*n as usize]).collect()
    }

    /// Counts of `set` by county (the first 6 digits of the region code, or the whole code of
    /// an entity registered at city or province level) and credit class, ordered by county and
    /// class (not graded last). Same grouping as `store::entities::counts_by_county_and_class`.
    pub fn counts_by_county_and_class(
        &self,
        set: &RoaringBitmap,
    ) -> Vec<(String, Option<CreditClass>, u64)> {
        let mut per_region: HashMap<u32, [u64; 5], FxBuild> = HashMap::default();
        let mut last = (u32::MAX, 0u32);
        let mut counts = [0u64; 5];
        // Members come in number order, where equal regions cluster: count runs locally.
        for n in set {
            let r = self.region_of[n as usize];
            let c = self.meta[n as usize].credit_ix();
            if r != last.0 {
                if last.0 != u32::MAX {
                    let e = per_region.entry(last.0).or_default();
                    for (a, b) in e.iter_mut().zip(counts) {
                        *a += b;
                    }
                }
                counts = [0; 5];
                last = (r, 0);
            }
            counts[c] += 1;
        }
        if last.0 != u32::MAX {
            let e = per_region.entry(last.0).or_default();
            for (a, b) in e.iter_mut().zip(counts) {
                *a += b;
            }
        }
        let mut out: BTreeMap<(String, usize), u64> = BTreeMap::new();
        for (r, cs) in per_region {
            let code = self.regions[r as usize].as_str();
            let county = &code[..code.len().min(6)];
            for (c, n) in cs.into_iter().enumerate() {
                if n > 0 {
                    *out.entry((county.to_string(), c)).or_default() += n;
                }
            }
        }
        out.into_iter()
            .map(|((county, c), n)| (county, CreditClass::ALL.get(c).copied(), n))
            .collect()
    }

    /// An honest estimate of the heap memory the index holds: every bitmap's payload and
    /// container headers, plus the capacity of every column, arena and lookup table.
    pub fn memory_bytes(&self) -> u64 {
        use std::mem::size_of;
        fn vec_bytes<T>(v: &Vec<T>) -> usize {
            v.capacity() * size_of::<T>()
        }
        fn map_bytes<K, V, S>(m: &HashMap<K, V, S>) -> usize {
            // hashbrown: one control byte per bucket, buckets ≈ capacity × 8 / 7.
            m.capacity() * 8 / 7 * (size_of::<(K, V)>() + 1)
        }
        let mut total = size_of::<Self>()
            + vec_bytes(&self.ids)
            + vec_bytes(&self.uscis)
            + self.names.capacity()
            + vec_bytes(&self.name_start)
            + vec_bytes(&self.name_len)
            + vec_bytes(&self.region_of)
            + vec_bytes(&self.meta)
            + vec_bytes(&self.updated)
            + vec_bytes(&self.by_id)
            + map_bytes(&self.by_id_recent)
            + vec_bytes(&self.regions)
            + self.regions.iter().map(|r| r.as_str().len()).sum::<usize>()
            + map_bytes(&self.region_ix)
            + self.region_ix.keys().map(String::capacity).sum::<usize>()
            + vec_bytes(&self.tag_codes)
            + self.tag_codes.iter().map(String::capacity).sum::<usize>()
            + map_bytes(&self.tag_ix)
            + self.tag_ix.keys().map(String::capacity).sum::<usize>()
            + map_bytes(&self.gram_ix);
        total += bitmap_bytes(&self.alive);
        for b in self
            .tag_bm
            .iter()
            .chain(&self.credit_bm)
            .chain(&self.type_bm)
            .chain(&self.status_bm)
            .chain(&self.gram_bm)
        {
            total += bitmap_bytes(b);
        }
        total += vec_bytes(&self.tag_bm) + vec_bytes(&self.gram_bm);
        for (k, b) in &self.region_bm {
            // A B-tree entry: key, value and about a third of a node's slack.
            total += k.capacity() + bitmap_bytes(b) + size_of::<(String, RoaringBitmap)>() * 3 / 2;
        }
        total as u64
    }

    /// Memory of the bitmaps alone, by kind: (kind, bitmaps, bytes). For reports.
    pub fn memory_by_kind(&self) -> Vec<(&'static str, usize, u64)> {
        let sum = |it: &mut dyn Iterator<Item = &RoaringBitmap>| {
            let mut n = 0;
            let mut b = 0u64;
            for x in it {
                n += 1;
                b += bitmap_bytes(x) as u64;
            }
            (n, b)
        };
        let (tn, tb) = sum(&mut self.tag_bm.iter());
        let (rn, rb) = sum(&mut self.region_bm.values());
        let (gn, gb) = sum(&mut self.gram_bm.iter());
        let (on, ob) = sum(&mut std::iter::once(&self.alive)
            .chain(&self.credit_bm)
            .chain(&self.type_bm)
            .chain(&self.status_bm));
        vec![
            ("tags", tn, tb),
            ("regions", rn, rb),
            ("name_grams", gn, gb),
            ("alive_credit_type_status", on, ob),
        ]
    }

    /// A fresh build of the live entities: numbers in credit-code order again, no garbage.
    pub fn compacted(&self) -> Self {
        let mut b = IndexBuilder::with_capacity(self.alive.len() as usize);
        for n in &self.alive {
            b.push(EntityView { ix: self, num: n }.to_entity());
        }
        b.finish()
    }

    // ---- updates ----

    /// Adds a new entity or replaces the indexed facts of an existing one (same id).
    pub fn upsert(&mut self, e: IndexedEntity) {
        let usci = usci_bytes(&e.usci);
        let region = self.intern_region(&e.region);
        let meta = Meta::new(
            e.entity_type,
            e.reg_status,
            e.credit_class,
            changes_when_lowercased(&e.name),
        );
        let num = match self.slot(e.id) {
            Some(num) => {
                if self.alive.contains(num) {
                    self.unlink(num);
                }
                let i = num as usize;
                self.uscis[i] = usci;
                self.set_name(num, &e.name);
                self.region_of[i] = region;
                self.meta[i] = meta;
                self.updated[i] = e.updated_at;
                num
            }
            None => {
                let num = u32::try_from(self.ids.len()).expect("fewer than 2^32 entities");
                assert!(num < u32::MAX, "fewer than 2^32 - 1 entities");
                self.ids.push(e.id);
                self.uscis.push(usci);
                self.name_start.push(0);
                self.name_len.push(0);
                self.set_name(num, &e.name);
                self.region_of.push(region);
                self.meta.push(meta);
                self.updated.push(e.updated_at);
                self.by_id_recent.insert(e.id, num);
                self.maybe_merge_ids();
                num
            }
        };
        let i = num as usize;
        if self.usci_ordered {
            let u = &self.uscis[i];
            let before = i == 0 || self.uscis[i - 1] < *u;
            let after = i + 1 >= self.uscis.len() || *u < self.uscis[i + 1];
            self.usci_ordered = before && after;
        }
        let tags: Vec<u32> = e.tags.iter().map(|t| self.intern_tag(t)).collect();
        self.link(num, &tags);
    }

    /// Removes an entity; false if it was not in the index. Its number is not reused (an
    /// upsert of the same id later takes it back).
    pub fn remove(&mut self, id: Uuid) -> bool {
        match self.number(id) {
            Some(num) => {
                self.unlink(num);
                true
            }
            None => false,
        }
    }

    fn intern_region(&mut self, r: &RegionCode) -> u32 {
        if let Some(i) = self.region_ix.get(r.as_str()) {
            return *i;
        }
        let i = self.regions.len() as u32;
        self.regions.push(r.clone());
        self.region_ix.insert(r.as_str().to_string(), i);
        i
    }

    fn intern_tag(&mut self, t: &str) -> u32 {
        if let Some(i) = self.tag_ix.get(t) {
            return *i;
        }
        let i = self.tag_codes.len() as u32;
        self.tag_codes.push(t.to_string());
        self.tag_ix.insert(t.to_string(), i);
        self.tag_bm.push(RoaringBitmap::new());
        i
    }

    fn set_name(&mut self, num: u32, name: &str) {
        let i = num as usize;
        let old_len = self.name_len[i] as usize;
        if self.name(num) == name && old_len > 0 {
            return;
        }
        let len = u16::try_from(name.len()).expect("names are at most 200 characters");
        if self.names.len() + name.len() > u32::MAX as usize {
            self.compact_names();
        }
        self.names_garbage += old_len;
        self.name_start[i] = u32::try_from(self.names.len()).expect("arena below 4 GiB");
        self.names.push_str(name);
        self.name_len[i] = len;
        if self.names_garbage > (1 << 20) && self.names_garbage > self.names.len() / 2 {
            self.compact_names();
        }
    }

    fn compact_names(&mut self) {
        let mut arena = String::with_capacity(self.names.len() - self.names_garbage);
        for i in 0..self.ids.len() {
            let s = self.name_start[i] as usize;
            let l = self.name_len[i] as usize;
            self.name_start[i] = arena.len() as u32;
            arena.push_str(&self.names[s..s + l]);
        }
        self.names = arena;
        self.names_garbage = 0;
    }

    /// Folds the recently added ids into the sorted table once they are many.
    fn maybe_merge_ids(&mut self) {
        if self.by_id_recent.len() < 4096.max(self.by_id.len() / 16) {
            return;
        }
        let mut recent: Vec<u32> = self.by_id_recent.drain().map(|(_, n)| n).collect();
        let ids = &self.ids;
        recent.sort_unstable_by(|a, b| ids[*a as usize].cmp(&ids[*b as usize]));
        let old = std::mem::take(&mut self.by_id);
        let mut merged = Vec::with_capacity(old.len() + recent.len());
        let (mut a, mut b) = (old.into_iter().peekable(), recent.into_iter().peekable());
        loop {
            let take_a = match (a.peek(), b.peek()) {
                (Some(x), Some(y)) => ids[*x as usize] < ids[*y as usize],
                (Some(_), None) => true,
                (None, Some(_)) => false,
                (None, None) => break,
            };
            merged.push(if take_a { a.next() } else { b.next() }.expect("peeked"));
        }
        self.by_id = merged;
        self.sorted_upto = self.ids.len() as u32;
    }

    /// Adds a number to every bitmap its stored facts and `tags` name.
    fn link(&mut self, num: u32, tags: &[u32]) {
        let i = num as usize;
        self.alive.insert(num);
        for t in tags {
            self.tag_bm[*t as usize].insert(num);
        }
        let code = self.regions[self.region_of[i] as usize]
            .as_str()
            .to_string();
        for p in region_prefixes(&code) {
            self.region_bm.entry(p.to_string()).or_default().insert(num);
        }
        let m = self.meta[i];
        self.credit_bm[m.credit_ix()].insert(num);
        self.type_bm[m.type_ix()].insert(num);
        self.status_bm[m.status_ix()].insert(num);
        let mut keys = Vec::new();
        gram_keys(self.name(num), &mut keys);
        for k in keys {
            let g = match self.gram_ix.get(&k) {
                Some(g) => *g as usize,
                None => {
                    self.gram_ix.insert(k, self.gram_bm.len() as u32);
                    self.gram_bm.push(RoaringBitmap::new());
                    self.gram_bm.len() - 1
                }
            };
            self.gram_bm[g].insert(num);
        }
    }

    /// Takes a number out of every bitmap (its stored facts stay, for a later upsert).
    fn unlink(&mut self, num: u32) {
        let i = num as usize;
        self.alive.remove(num);
        for b in &mut self.tag_bm {
            b.remove(num);
        }
        let code = self.regions[self.region_of[i] as usize].as_str();
        for p in region_prefixes(code) {
            if let Some(b) = self.region_bm.get_mut(p) {
                b.remove(num);
            }
        }
        let m = self.meta[i];
        self.credit_bm[m.credit_ix()].remove(num);
        self.type_bm[m.type_ix()].remove(num);
        self.status_bm[m.status_ix()].remove(num);
        let mut keys = Vec::new();
        gram_keys(self.name(num), &mut keys);
        for k in keys {
            if let Some(g) = self.gram_ix.get(&k) {
                self.gram_bm[*g as usize].remove(num);
            }
        }
    }

    pub(crate) fn cow_alive(&self) -> Cow<'_, RoaringBitmap> {
        Cow::Borrowed(&self.alive)
    }
}

impl std::fmt::Debug for DirectoryIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DirectoryIndex")
            .field("entities", &self.alive.len())
            .field("numbers", &self.ids.len())
            .field("tags", &self.tag_codes.len())
            .field("regions", &self.region_bm.len())
            .field("grams", &self.gram_bm.len())
            .field("usci_ordered", &self.usci_ordered)
            .finish()
    }
}
