//! Entity search latency on a large directory.
//!
//!     cargo run --release -p lianjian-services --example search_bench -- [ENTITIES] [DB_PATH]
//!
//! Generates ENTITIES (default 1,000,000) synthetic entities into a fresh SQLite file (or reuses
//! DB_PATH if it already holds them), then runs 200 searches of each kind the directory page
//! offers and prints p50 / p95 / max per kind, each including the total count of the page:
//! first in SQL (`store::entities::search`, what searches fall back to), then as the directory
//! page runs them (`Services::search_entities`: the in-memory index finds the page and the
//! total, the store reads the page's 20 rows), with the same queries.
//! Set LIANJIAN_BENCH_POSTGRES_URL to run the same on a fresh PostgreSQL database instead.

use std::time::{Duration, Instant};

use chrono::Utc;
use lianjian_domain::directory::{CreditClass, EntityType, RegStatus};
use lianjian_domain::region::RegionCode;
use lianjian_domain::tag::{TagLevel, TagSource};
use lianjian_domain::usci::Usci;
use lianjian_services::{SecurityConfig, Services};
use lianjian_store::entities::{self, Entity, EntitySearch};
use lianjian_store::tags::{self, Tag};
use lianjian_store::{PageRequest, Store};
use uuid::Uuid;

const PLACES: &[&str] = &[
    "舞阳", "漯河", "源汇", "郾城", "召陵", "临颍", "聊城", "东昌", "阳谷", "莘县", "茌平", "东阿",
    "冠县", "高唐", "临清", "济南", "青岛", "淄博",
];
const WORDS: &[&str] = &[
    "福满", "康宁", "阳光", "金源", "鑫达", "华润", "百姓", "永盛", "宏图", "丰收", "瑞祥", "同心",
    "和美", "天成", "博远", "嘉禾", "盛世", "安康", "兴隆", "新华",
];
const KINDS: &[&str] = &[
    "餐饮店",
    "大药房",
    "诊所",
    "食品有限公司",
    "超市",
    "养老院",
    "农贸市场",
    "机械厂",
    "医疗美容诊所",
    "培训学校",
    "加油站",
    "酒店",
    "建材商行",
    "化工有限公司",
    "物流有限公司",
];

/// A tiny deterministic generator, so runs are comparable.
struct Lcg(u64);
impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        self.0 >> 33
    }
    fn pick<'a>(&mut self, v: &'a [&'a str]) -> &'a str {
        v[(self.next() as usize) % v.len()]
    }
}

fn usci(n: u64) -> String {
    let first17 = format!("91{}MA{:07}", "411121", n % 10_000_000);
    let first17 = format!("{}{}", &first17[..10], &format!("{:07}", n)[..7]);
    format!(
        "{first17}{}",
        Usci::check_char(&first17).expect("valid body")
    )
}

fn pct(mut v: Vec<Duration>, p: f64) -> Duration {
    v.sort();
    v[((v.len() as f64 - 1.0) * p).round() as usize]
}

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    let n: u64 = args
        .get(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(1_000_000);
    let (store, fresh) = match std::env::var("LIANJIAN_BENCH_POSTGRES_URL") {
        Ok(base) => {
            let url = lianjian_store::testing::fresh_postgres_database(&base)
                .await
                .unwrap();
            (Store::connect_and_migrate(&url).await.unwrap(), true)
        }
        Err(_) => {
            let path = args.get(2).cloned().unwrap_or_else(|| {
                format!(
                    "{}/lianjian-search-bench-{n}.db",
                    std::env::temp_dir().display()
                )
            });
            let fresh = !std::path::Path::new(&path).exists();
            (
                Store::connect_and_migrate(&format!("sqlite://{path}"))
                    .await
                    .unwrap(),
                fresh,
            )
        }
    };
    let counties: Vec<RegionCode> = lianjian_store::regions::search(
        store.conn(),
        "",
        Some(&RegionCode::parse("41").unwrap()),
        100_000,
    )
    .await
    .unwrap()
    .into_iter()
    .filter(|r| r.code.as_str().len() == 9)
    .map(|r| r.code)
    .collect();
    let mut rng = Lcg(42);
    let mut tag_ids = Vec::new();
    if fresh {
        for i in 0..30 {
            let t = Tag {
                id: Uuid::now_v7(),
                code: format!("bench-tag-{i}"),
                name: format!("基准标签{i}"),
                parent_id: None,
                level: TagLevel::Major,
                region_code: RegionCode::parse("41").unwrap(),
                owner_department_id: None,
                description: None,
                valid_from: None,
                valid_to: None,
                status: "active".into(),
                risk_weight: 1,
                created_at: Utc::now(),
                updated_at: Utc::now(),
            };
            tags::insert(store.conn(), &t).await.unwrap();
            tag_ids.push(t.id);
        }
        let start = Instant::now();
        let batch = 20_000u64;
        let mut done = 0;
        while done < n {
            let tx = store.begin().await.unwrap();
            let m = batch.min(n - done);
            let mut rows = Vec::with_capacity(m as usize);
            let mut tag_rows = Vec::new();
            for k in 0..m {
                let i = done + k;
                let region = counties[(rng.next() as usize) % counties.len()].clone();
                let name = format!(
                    "{}{}{}{}",
                    rng.pick(PLACES),
                    rng.pick(WORDS),
                    rng.pick(WORDS),
                    rng.pick(KINDS)
                );
                let credit = match rng.next() % 20 {
                    0..=5 => Some(CreditClass::A),
                    6..=14 => Some(CreditClass::B),
                    15..=18 => Some(CreditClass::C),
                    _ => Some(CreditClass::D),
                };
                let e = Entity {
                    id: Uuid::now_v7(),
                    usci: usci(i),
                    name,
                    entity_type: EntityType::Enterprise,
                    legal_rep: None,
                    address: None,
                    region_code: region.clone(),
                    industry_code: Some("6210".into()),
                    reg_status: RegStatus::Active,
                    business_scope: None,
                    credit_class: credit,
                    credit_date: None,
                    credit_source: None,
                    created_at: Utc::now(),
                    updated_at: Utc::now(),
                };
                for _ in 0..2 {
                    tag_rows.push((
                        e.id,
                        tag_ids[(rng.next() as usize) % tag_ids.len()],
                        region.to_string(),
                        TagSource::Import,
                    ));
                }
                rows.push(e);
            }
            entities::insert_many(&tx, &rows).await.unwrap();
            entities::add_tags_many(&tx, &tag_rows).await.unwrap();
            tx.commit().await.unwrap();
            done += m;
            eprint!("\rloaded {done}/{n}");
        }
        eprintln!(
            "\nloaded {n} entities in {:.1} s",
            start.elapsed().as_secs_f64()
        );
    } else {
        tag_ids = tags::all(store.conn())
            .await
            .unwrap()
            .into_iter()
            .map(|t| t.id)
            .collect();
        eprintln!(
            "reusing {} entities",
            entities::count(store.conn()).await.unwrap()
        );
    }

    let henan = RegionCode::parse("41").unwrap();
    let kinds: Vec<(&str, Box<dyn Fn(&mut Lcg) -> EntitySearch>)> = vec![
        (
            "name, 2 chars",
            Box::new(|r: &mut Lcg| EntitySearch {
                q: Some(r.pick(WORDS).to_string()),
                ..Default::default()
            }),
        ),
        (
            "name, 4 chars",
            Box::new(|r: &mut Lcg| EntitySearch {
                q: Some(format!("{}{}", r.pick(WORDS), r.pick(WORDS))),
                ..Default::default()
            }),
        ),
        (
            "name, 1 char",
            Box::new(|r: &mut Lcg| EntitySearch {
                q: Some(r.pick(WORDS).chars().next().unwrap().to_string()),
                ..Default::default()
            }),
        ),
        (
            "credit-code prefix",
            Box::new(|r: &mut Lcg| EntitySearch {
                q: Some(usci(r.next() % 1_000_000)[..14].to_string()),
                ..Default::default()
            }),
        ),
        (
            "county + class C",
            Box::new(move |r: &mut Lcg| EntitySearch {
                region: Some(RegionCode::parse(&counties_prefix(r)).unwrap()),
                credit: vec![CreditClass::C],
                ..Default::default()
            }),
        ),
        (
            "tag + province",
            Box::new({
                let t = tag_ids.clone();
                let h = henan.clone();
                move |r: &mut Lcg| EntitySearch {
                    tag_ids: vec![t[(r.next() as usize) % t.len()]],
                    region: Some(h.clone()),
                    ..Default::default()
                }
            }),
        ),
        (
            "name 2 chars + county",
            Box::new(|r: &mut Lcg| EntitySearch {
                q: Some(r.pick(WORDS).to_string()),
                region: Some(RegionCode::parse(&counties_prefix(r)).unwrap()),
                ..Default::default()
            }),
        ),
    ];
    let svc = Services::new(store.clone(), SecurityConfig::default());
    for via_index in [false, true] {
        if via_index {
            let t = Instant::now();
            let stats = svc.load_index().await.unwrap();
            println!(
                "\nthrough the directory index (`Services::search_entities`; index of {} entities built in {:.1} s):",
                stats.entities,
                t.elapsed().as_secs_f64()
            );
        } else {
            println!("in SQL (`store::entities::search`):");
        }
        // The same queries in both runs.
        let mut rng = Lcg(2026);
        let mut all = Vec::new();
        println!(
            "{:<24} {:>9} {:>9} {:>9} {:>10}",
            "search (page 1 + total)", "p50 ms", "p95 ms", "max ms", "avg total"
        );
        for (label, make) in &kinds {
            let mut times = Vec::new();
            let mut totals = 0u64;
            for _ in 0..200 {
                let s = make(&mut rng);
                let page = PageRequest::new(Some(1), Some(20));
                let t = Instant::now();
                let total = if via_index {
                    svc.search_entities(&s, page).await.unwrap().total
                } else {
                    entities::search(store.conn(), &s, page)
                        .await
                        .unwrap()
                        .total
                };
                times.push(t.elapsed());
                totals += total;
            }
            all.extend(times.iter().copied());
            println!(
                "{:<24} {:>9.1} {:>9.1} {:>9.1} {:>10}",
                label,
                pct(times.clone(), 0.5).as_secs_f64() * 1e3,
                pct(times.clone(), 0.95).as_secs_f64() * 1e3,
                pct(times, 1.0).as_secs_f64() * 1e3,
                totals / 200
            );
        }
        println!(
            "{:<24} {:>9.1} {:>9.1} {:>9.1}",
            "all",
            pct(all.clone(), 0.5).as_secs_f64() * 1e3,
            pct(all.clone(), 0.95).as_secs_f64() * 1e3,
            pct(all, 1.0).as_secs_f64() * 1e3
        );
    }
}

/// Wuyang's and Linying's county codes: the benchmark's regions lie under Henan.
fn counties_prefix(r: &mut Lcg) -> String {
    [
        "411121", "411122", "411102", "411103", "411104", "410102", "410105", "410305",
    ][(r.next() as usize) % 8]
        .to_string()
}
