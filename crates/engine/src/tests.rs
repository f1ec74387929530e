//! Unit and property tests: the index answers what filtering the rows one by one answers.

use std::collections::{BTreeMap, BTreeSet};

use lianjian_domain::directory::{CreditClass, EntityType, RegStatus};
use lianjian_domain::draw::{Bytes32, Candidates, Numbers, PlanStrata, quota, select_strata};
use lianjian_domain::region::RegionCode;
use lianjian_domain::tag_expr::TagExpr;
use proptest::prelude::*;
use uuid::Uuid;

use crate::query::looks_like_usci_prefix;
use crate::{DirectoryIndex, IndexQuery, IndexSort, IndexedEntity, RoaringBitmap, lowercase};

const REGIONS: &[&str] = &[
    "37",
    "3701",
    "370102",
    "370102001",
    "370102002",
    "370103",
    "370103001",
    "3702",
    "370202",
    "41",
    "4111",
    "411121",
    "411121100",
];
const PREFIXES: &[&str] = &[
    "",
    "3",
    "37",
    "370",
    "3701",
    "37010",
    "370102",
    "3701020",
    "370102001",
    "4111",
    "411121",
    "5",
    "99",
    "3701020011",
];
const NAME_CHARS: &[char] = &[
    '福', '满', '楼', '餐', '饮', '店', '康', 'A', 'a', 'b', ' ', '·',
];
const TAGS: &[&str] = &["t0", "t1", "t2", "t3", "t4", "t5"];

#[allow(clippy::too_many_arguments)]
fn entity(
    id: u128,
    usci: String,
    name: String,
    region: &str,
    t: usize,
    s: usize,
    c: Option<usize>,
    updated: i64,
    tags: Vec<&str>,
) -> IndexedEntity {
    IndexedEntity {
        id: Uuid::from_u128(id),
        usci,
        name,
        region: RegionCode::parse(region).unwrap(),
        entity_type: EntityType::ALL[t],
        reg_status: RegStatus::ALL[s],
        credit_class: c.map(|c| CreditClass::ALL[c]),
        updated_at: updated,
        tags: tags.into_iter().map(String::from).collect(),
    }
}

fn usci_strategy() -> impl Strategy<Value = String> {
    // Few distinct values, so prefixes match several and some collide (and are dropped).
    (0u32..3, 0u32..60).prop_map(|(a, b)| format!("91{}70102MA{:07}", a + 3, b * 7919))
}

fn entity_strategy() -> impl Strategy<Value = IndexedEntity> {
    (
        any::<u128>(),
        usci_strategy(),
        proptest::collection::vec(proptest::sample::select(NAME_CHARS), 2..8),
        proptest::sample::select(REGIONS),
        0..EntityType::ALL.len(),
        0..RegStatus::ALL.len(),
        proptest::option::of(0..CreditClass::ALL.len()),
        0i64..4,
        proptest::sample::subsequence(TAGS, 0..4),
    )
        .prop_map(|(id, usci, name, region, t, s, c, u, tags)| {
            entity(
                id,
                usci,
                name.into_iter().collect(),
                region,
                t,
                s,
                c,
                u,
                tags,
            )
        })
}

/// Rows with unique ids and credit codes, as the store has them.
fn directory() -> impl Strategy<Value = Vec<IndexedEntity>> {
    proptest::collection::vec(entity_strategy(), 0..40).prop_map(|rows| {
        let mut seen_id = BTreeSet::new();
        let mut seen_usci = BTreeSet::new();
        rows.into_iter()
            .filter(|r| seen_id.insert(r.id) && seen_usci.insert(r.usci.clone()))
            .collect()
    })
}

fn leaf() -> impl Strategy<Value = TagExpr> {
    let types: Vec<String> = EntityType::ALL
        .iter()
        .map(|t| t.label_zh().to_string())
        .chain(["未知类型".to_string()])
        .collect();
    prop_oneof![
        proptest::sample::select(&["t0", "t1", "t2", "t3", "t4", "t5", "t9"][..])
            .prop_map(|t| TagExpr::Tag(t.into())),
        proptest::sample::select(PREFIXES).prop_map(|r| TagExpr::Region(r.into())),
        proptest::sample::select(types).prop_map(TagExpr::EntityType),
        proptest::sample::subsequence(vec!['A', 'B', 'C', 'D', 'x'], 0..=4)
            .prop_map(TagExpr::Credit),
    ]
}

fn expr() -> impl Strategy<Value = TagExpr> {
    leaf().prop_recursive(4, 24, 4, |inner| {
        prop_oneof![
            inner.clone().prop_map(|e| TagExpr::Not(Box::new(e))),
            proptest::collection::vec(inner.clone(), 0..4).prop_map(TagExpr::And),
            proptest::collection::vec(inner, 0..4).prop_map(TagExpr::Or),
        ]
    })
}

fn ids(ix: &DirectoryIndex, b: &RoaringBitmap) -> BTreeSet<Uuid> {
    b.iter().map(|n| ix.id_of(n)).collect()
}

fn sort_strategy() -> impl Strategy<Value = IndexSort> {
    proptest::sample::select(vec![
        IndexSort::Default,
        IndexSort::Name,
        IndexSort::Usci,
        IndexSort::Region,
        IndexSort::UpdatedDesc,
        IndexSort::CreditClass,
    ])
}

fn query_strategy() -> impl Strategy<Value = IndexQuery> {
    let q = prop_oneof![
        Just(None),
        Just(Some("  ".to_string())),
        proptest::collection::vec(proptest::sample::select(NAME_CHARS), 1..4)
            .prop_map(|c| Some(c.into_iter().collect::<String>())),
        usci_strategy()
            .prop_flat_map(|u| (4usize..12).prop_map(move |n| Some(u[..n].to_lowercase()))),
    ];
    (
        q,
        proptest::option::of(proptest::sample::select(REGIONS)),
        proptest::sample::subsequence(vec!["t0", "t1", "t2", "t9"], 0..2),
        proptest::sample::subsequence(CreditClass::ALL.to_vec(), 0..3),
        proptest::option::of(proptest::sample::select(EntityType::ALL.to_vec())),
        proptest::option::of(proptest::sample::select(RegStatus::ALL.to_vec())),
        proptest::option::of(expr()),
        sort_strategy(),
    )
        .prop_map(
            |(q, region, tags, credit, entity_type, reg_status, covered_by, sort)| IndexQuery {
                q,
                region: region.map(|r| RegionCode::parse(r).unwrap()),
                tags: tags.into_iter().map(String::from).collect(),
                credit,
                entity_type,
                reg_status,
                covered_by,
                sort,
            },
        )
}

fn credit_rank(c: Option<CreditClass>) -> u8 {
    match c {
        Some(CreditClass::D) => 0,
        Some(CreditClass::C) => 1,
        Some(CreditClass::B) => 2,
        Some(CreditClass::A) => 3,
        None => 4,
    }
}

/// The search done the slow way, on the rows.
fn naive_search(
    rows: &[IndexedEntity],
    q: &IndexQuery,
    offset: usize,
    limit: usize,
) -> (u64, Vec<Uuid>) {
    let text = q.q.as_deref().map(str::trim).filter(|t| !t.is_empty());
    let mut hits: Vec<&IndexedEntity> = rows
        .iter()
        .filter(|r| {
            text.is_none_or(|t| {
                lowercase(&r.name).contains(&lowercase(t))
                    || (looks_like_usci_prefix(t) && r.usci.starts_with(&t.to_ascii_uppercase()))
            }) && q.region.as_ref().is_none_or(|g| r.region.is_within(g))
                && q.tags.iter().all(|t| r.tags.contains(t))
                && (q.credit.is_empty() || r.credit_class.is_some_and(|c| q.credit.contains(&c)))
                && q.entity_type.is_none_or(|t| r.entity_type == t)
                && q.reg_status.is_none_or(|s| r.reg_status == s)
                && q.covered_by.as_ref().is_none_or(|e| e.matches(*r))
        })
        .collect();
    let sort = match q.sort {
        IndexSort::Default if text.is_some() => IndexSort::Usci,
        IndexSort::Default => IndexSort::Name,
        s => s,
    };
    hits.sort_by(|a, b| {
        let primary = match sort {
            IndexSort::Name => a.name.cmp(&b.name),
            IndexSort::Region => a.region.as_str().cmp(b.region.as_str()),
            IndexSort::UpdatedDesc => b.updated_at.cmp(&a.updated_at),
            IndexSort::CreditClass => credit_rank(a.credit_class).cmp(&credit_rank(b.credit_class)),
            IndexSort::Usci | IndexSort::Default => std::cmp::Ordering::Equal,
        };
        primary.then_with(|| a.usci.cmp(&b.usci))
    });
    let total = hits.len() as u64;
    (
        total,
        hits.into_iter()
            .skip(offset)
            .take(limit)
            .map(|r| r.id)
            .collect(),
    )
}

/// Everything the index says about its live entities, by id: comparable across numberings.
fn snapshot(
    ix: &DirectoryIndex,
) -> (
    BTreeMap<Uuid, IndexedEntity>,
    BTreeMap<String, BTreeSet<Uuid>>,
) {
    let mut rows = BTreeMap::new();
    for n in ix.alive() {
        let mut e = ix.entity(n).unwrap().to_entity();
        e.tags.sort();
        rows.insert(e.id, e);
    }
    let mut sets = BTreeMap::new();
    let mut put = |k: String, b: &RoaringBitmap| {
        if !b.is_empty() {
            sets.insert(k, ids(ix, b));
        }
    };
    for (i, t) in ix.tag_codes.iter().enumerate() {
        put(format!("tag:{t}"), &ix.tag_bm[i]);
    }
    for (k, b) in &ix.region_bm {
        put(format!("region:{k}"), b);
    }
    for (i, b) in ix.credit_bm.iter().enumerate() {
        put(format!("credit:{i}"), b);
    }
    for (i, b) in ix.type_bm.iter().enumerate() {
        put(format!("type:{i}"), b);
    }
    for (i, b) in ix.status_bm.iter().enumerate() {
        put(format!("status:{i}"), b);
    }
    for (k, g) in &ix.gram_ix {
        put(format!("gram:{k}"), &ix.gram_bm[*g as usize]);
    }
    put("alive".into(), ix.alive());
    (rows, sets)
}

fn sorted_tags(mut e: IndexedEntity) -> IndexedEntity {
    e.tags.sort();
    e.tags.dedup();
    e
}

#[derive(Debug, Clone)]
enum Op {
    /// Upsert row `i` of a pool of fresh rows.
    Add(IndexedEntity),
    /// Change the k-th existing entity (modulo) to these facts.
    Change(usize, IndexedEntity),
    Remove(usize),
    RemoveUnknown(u128),
}

fn op_strategy() -> impl Strategy<Value = Op> {
    prop_oneof![
        entity_strategy().prop_map(Op::Add),
        (any::<usize>(), entity_strategy()).prop_map(|(k, e)| Op::Change(k, e)),
        any::<usize>().prop_map(Op::Remove),
        any::<u128>().prop_map(Op::RemoveUnknown),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn eval_equals_matches(rows in directory(), e in expr()) {
        let ix = DirectoryIndex::build(rows.clone());
        let want: BTreeSet<Uuid> = rows.iter().filter(|r| e.matches(*r)).map(|r| r.id).collect();
        prop_assert_eq!(ids(&ix, &ix.eval(&e)), want, "{}", e);
    }

    /// Few letters, long names: bigrams of a fragment often occur apart or out of order.
    #[test]
    fn name_fragments_are_substrings(names in proptest::collection::vec("[abA]{2,10}", 1..30), frag in "[abA]{1,5}") {
        let rows: Vec<IndexedEntity> = names.iter().enumerate()
            .map(|(i, n)| simple(i as u32, n, "370102", None, &[]))
            .collect();
        let ix = DirectoryIndex::build(rows.clone());
        let want: BTreeSet<Uuid> = rows.iter()
            .filter(|r| r.name.to_lowercase().contains(&frag.to_lowercase()))
            .map(|r| r.id)
            .collect();
        prop_assert_eq!(ids(&ix, &ix.name_contains(&frag, None)), want);
    }

    #[test]
    fn search_equals_naive(rows in directory(), q in query_strategy(), offset in 0usize..8, limit in 1usize..8) {
        let ix = DirectoryIndex::build(rows.clone());
        let got = ix.search(&q, offset as u64, limit as u64);
        let (total, want) = naive_search(&rows, &q, offset, limit);
        prop_assert_eq!(got.total, total, "{:?}", q);
        prop_assert_eq!(got.ids, want, "{:?}", q);
    }

    #[test]
    fn updates_equal_a_fresh_build(rows in directory(), ops in proptest::collection::vec(op_strategy(), 0..30),
                                   e in expr(), q in query_strategy()) {
        let mut ix = DirectoryIndex::build(rows.clone());
        let mut model: Vec<IndexedEntity> = rows;
        for op in ops {
            match op {
                Op::Add(r) => {
                    if model.iter().any(|m| m.id == r.id || m.usci == r.usci) {
                        continue;
                    }
                    ix.upsert(r.clone());
                    model.push(r);
                }
                Op::Change(k, mut r) => {
                    if model.is_empty() {
                        continue;
                    }
                    let k = k % model.len();
                    r.id = model[k].id;
                    if model.iter().any(|m| m.id != r.id && m.usci == r.usci) {
                        r.usci = model[k].usci.clone();
                    }
                    ix.upsert(r.clone());
                    model[k] = r;
                }
                Op::Remove(k) => {
                    if model.is_empty() {
                        continue;
                    }
                    let r = model.remove(k % model.len());
                    prop_assert!(ix.remove(r.id));
                    prop_assert!(!ix.remove(r.id));
                }
                Op::RemoveUnknown(id) => {
                    let id = Uuid::from_u128(id);
                    if !model.iter().any(|m| m.id == id) {
                        prop_assert!(!ix.remove(id));
                    }
                }
            }
        }
        let fresh = DirectoryIndex::build(model.clone());
        let (rows_a, sets_a) = snapshot(&ix);
        let (rows_b, sets_b) = snapshot(&fresh);
        let model_rows: BTreeMap<Uuid, IndexedEntity> =
            model.iter().cloned().map(|m| (m.id, sorted_tags(m))).collect();
        prop_assert_eq!(&rows_a, &model_rows);
        prop_assert_eq!(&rows_b, &model_rows);
        prop_assert_eq!(sets_a, sets_b);
        prop_assert_eq!(ids(&ix, &ix.eval(&e)), ids(&fresh, &fresh.eval(&e)));
        // Same page in every order but index order, which is number order and differs once
        // an upsert broke credit-code order.
        if !(q.sort == IndexSort::Default && q.q.as_deref().is_some_and(|t| !t.trim().is_empty()))
            || ix.is_usci_ordered()
        {
            prop_assert_eq!(ix.search(&q, 0, 5), fresh.search(&q, 0, 5));
        } else {
            prop_assert_eq!(ix.search(&q, 0, 1000).total, fresh.search(&q, 0, 1000).total);
        }
        let mut members: Vec<Uuid> = ix.in_usci_order(ix.alive()).into_iter().map(|n| ix.id_of(n)).collect();
        let mut by_usci = model.clone();
        by_usci.sort_by(|a, b| a.usci.cmp(&b.usci));
        prop_assert_eq!(&members, &by_usci.iter().map(|m| m.id).collect::<Vec<_>>());
        members.clear();
        prop_assert_eq!(
            ix.counts_by_county_and_class(ix.alive()),
            fresh.counts_by_county_and_class(fresh.alive())
        );
    }
}

fn simple(
    i: u32,
    name: &str,
    region: &str,
    credit: Option<CreditClass>,
    tags: &[&str],
) -> IndexedEntity {
    IndexedEntity {
        id: Uuid::from_u128(u128::from(i) + 1000),
        usci: format!("91370102MA{i:08}"),
        name: name.into(),
        region: RegionCode::parse(region).unwrap(),
        entity_type: EntityType::Enterprise,
        reg_status: RegStatus::Active,
        credit_class: credit,
        updated_at: i64::from(i),
        tags: tags.iter().map(|t| t.to_string()).collect(),
    }
}

#[test]
fn fragments_need_their_characters_in_order() {
    let ix = DirectoryIndex::build([
        simple(1, "福满楼餐饮店", "370102001", Some(CreditClass::A), &[]),
        simple(2, "满楼福满餐饮店", "370102001", None, &[]),
        simple(3, "ABC Foods", "370103", Some(CreditClass::C), &[]),
    ]);
    let count = |q: &str| {
        ix.search(
            &IndexQuery {
                q: Some(q.into()),
                ..Default::default()
            },
            0,
            10,
        )
        .total
    };
    assert_eq!(
        count("福满楼"),
        1,
        "bigrams 福满 and 满楼 both occur in #2, apart"
    );
    assert_eq!(count("福满"), 2);
    assert_eq!(count("满楼福"), 1);
    assert_eq!(count("楼"), 2);
    assert_eq!(count("abc f"), 1);
    assert_eq!(count("FOODS"), 1);
    assert_eq!(count("91370102MA0000000"), 3, "credit-code prefix");
    assert_eq!(count("91370102ma00000002"), 1);
    assert_eq!(count("餐饮超市"), 0);
}

#[test]
fn entity_types_read_like_the_sql_does() {
    let ix = DirectoryIndex::build([simple(1, "福满楼", "370102", None, &[])]);
    for t in ["企业", "enterprise", " 企业 "] {
        assert_eq!(ix.eval(&TagExpr::EntityType(t.into())).len(), 1, "{t}");
    }
    assert_eq!(ix.eval(&TagExpr::EntityType("公司".into())).len(), 0);
}

#[test]
fn counts_group_by_county_and_class() {
    let ix = DirectoryIndex::build([
        simple(1, "甲店", "370102001", Some(CreditClass::A), &["x"]),
        simple(2, "乙店", "370102002", Some(CreditClass::A), &["x"]),
        simple(3, "丙店", "370102", None, &["x"]),
        simple(4, "丁店", "3701", Some(CreditClass::D), &["x"]),
        simple(5, "戊店", "370103001", Some(CreditClass::A), &[]),
    ]);
    assert_eq!(
        ix.counts_by_county_and_class(ix.tag_bitmap("x")),
        vec![
            ("3701".to_string(), Some(CreditClass::D), 1),
            ("370102".to_string(), Some(CreditClass::A), 2),
            ("370102".to_string(), None, 1),
        ]
    );
}

#[test]
fn many_additions_and_renames_keep_lookups_right() {
    let mut ix = DirectoryIndex::build((0..100).map(|i| simple(i, "老店", "370102", None, &[])));
    // Enough new entities to fold the recent ids into the sorted table more than once.
    for i in 100..10_000 {
        ix.upsert(simple(i, "新店", "370103", Some(CreditClass::B), &["n"]));
    }
    assert!(ix.is_usci_ordered(), "appended in credit-code order");
    // Renames with long names, enough to compact the name arena.
    let long = "很长的名字".repeat(12);
    for round in 0..3 {
        for i in 0..10_000 {
            let mut e = simple(i, &format!("{long}{round}"), "370103", None, &[]);
            e.updated_at = round;
            ix.upsert(e);
        }
    }
    assert!(ix.names_garbage < ix.names.len());
    for i in (0..10_000u32).step_by(97) {
        let e = ix.get(Uuid::from_u128(u128::from(i) + 1000)).unwrap();
        assert_eq!(e.name(), format!("{long}2"));
        assert_eq!(e.usci(), format!("91370102MA{i:08}"));
    }
    assert_eq!(ix.len(), 10_000);
    assert_eq!(ix.tag_bitmap("n").len(), 0);
    assert_eq!(
        ix.search(
            &IndexQuery {
                q: Some("名字2".into()),
                ..Default::default()
            },
            0,
            1
        )
        .total,
        10_000
    );
    let mut e = simple(5, "改码", "370103", None, &[]);
    e.usci = "91370102MA99999999".into();
    ix.upsert(e);
    assert!(!ix.is_usci_ordered());
    let order = ix.in_usci_order(ix.alive());
    assert_eq!(ix.id_of(*order.last().unwrap()), Uuid::from_u128(1005));
    let c = ix.compacted();
    assert!(c.is_usci_ordered());
    assert_eq!(c.len(), ix.len());
    assert!(ix.memory_bytes() > 0);
}

#[test]
fn repeated_ids_at_build_keep_the_last_row() {
    let mut a = simple(1, "旧名", "370102", None, &["old"]);
    let mut b = simple(1, "新名", "370103", None, &["new"]);
    a.usci = "91370102MA00000009".into();
    b.usci = "91370102MA00000001".into();
    let ix = DirectoryIndex::build([a, b]);
    assert_eq!(ix.len(), 1);
    assert_eq!(ix.get(Uuid::from_u128(1001)).unwrap().name(), "新名");
    assert_eq!(ix.tag_bitmap("old").len(), 0);
}

#[test]
fn small_pages_of_large_sets_match_a_full_sort() {
    // A tiny deterministic generator: names with shared prefixes and many equal sort keys.
    let mut s = 7u64;
    let mut next = move || {
        s = s
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (s >> 33) as usize
    };
    let words = ["福满", "福满楼", "康宁", "A", "a", "餐饮店"];
    let rows: Vec<IndexedEntity> = (0..3000u32)
        .map(|i| {
            let name: String = (0..3).map(|_| words[next() % words.len()]).collect();
            let mut e = simple(i, &name, REGIONS[next() % REGIONS.len()], None, &[]);
            e.credit_class = [None, Some(CreditClass::A), Some(CreditClass::D)][next() % 3];
            e.updated_at = (next() % 5) as i64;
            e.usci = format!("91370102MA{:08}", next() % 100_000_000);
            e
        })
        .collect();
    let mut seen = BTreeSet::new();
    let rows: Vec<IndexedEntity> = rows
        .into_iter()
        .filter(|r| seen.insert(r.usci.clone()))
        .collect();
    let ix = DirectoryIndex::build(rows);
    for sort in [
        IndexSort::Name,
        IndexSort::Usci,
        IndexSort::Region,
        IndexSort::UpdatedDesc,
        IndexSort::CreditClass,
    ] {
        let all = ix.alive();
        let full = ix.page(all, Some(sort), 0, all.len());
        for offset in [0usize, 1, 19, 200] {
            assert_eq!(
                ix.page(all, Some(sort), offset as u64, 20),
                full[offset..offset + 20].to_vec(),
                "{sort:?} at {offset}"
            );
        }
    }
}

#[test]
fn pages_of_very_large_sets_are_ranked_on_two_threads_alike() {
    let rows: Vec<IndexedEntity> = (0..250_000u32)
        .map(|i| {
            let name = format!("店{}", (i as u64 * 2_654_435_761) % 1_000_003);
            simple(i, &name, "370102", None, &[])
        })
        .collect();
    let ix = DirectoryIndex::build(rows);
    let all = ix.alive();
    let full = ix.page(all, Some(IndexSort::Name), 0, all.len());
    assert_eq!(
        ix.page(all, Some(IndexSort::Name), 10, 20),
        full[10..30].to_vec()
    );
}

#[test]
fn draw_candidates_are_the_usci_order_with_strata() {
    // Large enough for the parallel split; every 3rd entity out of the set, classes cycling.
    let classes = [
        Some(CreditClass::A),
        Some(CreditClass::B),
        Some(CreditClass::C),
        Some(CreditClass::D),
        None,
    ];
    let rows: Vec<IndexedEntity> = (0..200_000u32)
        .rev()
        .map(|i| simple(i, "店", "370102", classes[(i % 7 % 5) as usize], &[]))
        .collect();
    let mut ix = DirectoryIndex::build(rows);
    let set: RoaringBitmap = ix.alive().iter().filter(|n| n % 3 != 0).collect();
    let check = |ix: &DirectoryIndex| {
        let pool = ix.draw_candidates(&set);
        let n = pool.count();
        assert_eq!(n as u64, set.len());
        let read = |start: usize, chunks: &[usize]| {
            let mut r = pool.reader(start);
            let (mut strata, mut ids) = (Vec::new(), Vec::new());
            for &c in chunks {
                let (mut h, mut i) = (vec![0u8; c], vec![0u32; c]);
                r(&mut h, &mut i);
                strata.extend(h);
                ids.extend(i);
            }
            (strata, ids)
        };
        // All at once in uneven chunks, and again from the middle: the same candidates.
        let (strata, ids) = read(0, &[1, 4095, 70_000, n - 74_096]);
        assert!(ids.windows(2).all(|w| w[0] < w[1]), "ids increase");
        let numbers = pool.numbers_of(ids.clone());
        assert_eq!(numbers, ix.in_usci_order(&set));
        let (tail_strata, tail_ids) = read(n / 2, &[n - n / 2]);
        assert_eq!(tail_strata, strata[n / 2..]);
        assert_eq!(tail_ids, ids[n / 2..]);
        let mut counts = [0u64; 5];
        for (k, &num) in numbers.iter().enumerate() {
            let h = ix.credit_class_of(num).map_or(4, |c| c as u8);
            assert_eq!(strata[k], h);
            counts[usize::from(h)] += 1;
        }
        assert_eq!(pool.counts(), counts);
        assert!(counts.iter().all(|&c| c > 0));
        // A selection reading the bitmap picks what one over the written-out list picks.
        let quotas = counts.map(|c| quota(c, 150));
        let key = Bytes32([9; 32]);
        let from_pool = select_strata(
            Numbers::Key(&key),
            &PlanStrata {
                candidates: &pool,
                weights: None,
                quotas,
                mass: counts,
            },
        );
        let from_list = select_strata(
            Numbers::Key(&key),
            &PlanStrata {
                candidates: strata.as_slice(),
                weights: None,
                quotas,
                mass: counts,
            },
        );
        for h in 0..5 {
            let listed: Vec<u32> = from_list[h].iter().map(|&i| numbers[i as usize]).collect();
            assert_eq!(pool.numbers_of(from_pool[h].clone()), listed);
        }
    };
    check(&ix);
    // Out of credit-code order after a rename: the sorted path gives the same.
    let mut e = simple(5, "改码", "370102", None, &[]);
    e.usci = "91370102MA99999999".into();
    ix.upsert(e);
    assert!(!ix.is_usci_ordered());
    check(&ix);
}
