//! `lianjian bench --credit-eval`: the credit evaluation (issue 15 item 2, performance: a
//! province of 15,000,000 entities scored and classified in < 60 s on two cores; the class
//! changes written to PostgreSQL in < 5 minutes; the entity credit page < 100 ms p95 at
//! 1,000,000 entities).
//!
//! 1. **In memory** (always): `--entities` synthetic entities' facts as columns (one `Vec` per
//!    fact), made from `--seed`; scored and classified with the standard index by
//!    `domain::credit::evaluation::Scorer` on every core (the columns split in equal parts),
//!    compared with a previous class per entity to find the changes, and the changes explained
//!    (`evaluate`). Each phase timed.
//! 2. **PostgreSQL** (with `--postgres URL`, a server where a fresh database is made and dropped
//!    at the end): `--credit-db-entities` entities of the synthetic province loaded by `COPY`
//!    with their generated classes, synthetic credit entries (penalties, listings) loaded by
//!    `COPY`, then a real evaluation run through the services (`credit::evaluation::run_now`:
//!    facts aggregated in SQL, scored, changed classes written in audited batches with their
//!    seals and change-feed rows, changes and latest results stored), timed; a second run (no
//!    changes) timed; then the entity credit page (`entity_credit`) for `--runs` × 20 random
//!    entities, p50/p95.

use std::fmt::Write as _;
use std::time::{Duration, Instant};

use anyhow::Context;
use chrono::Utc;
use lianjian_domain::credit::evaluation::{Facts, IndexDef, Scorer, evaluate};
use lianjian_domain::directory::CreditClass;
use lianjian_services::credit::evaluation::{self as ev, IndexInput, RunInput, Trigger};
use lianjian_services::{Services, cli_actor};
use serde_json::{Value, json};

use super::{BenchArgs, ms, quantile};

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    /// True with probability `per_mille` / 1000.
    fn chance(&mut self, per_mille: u64) -> bool {
        self.next() % 1000 < per_mille
    }
    fn below(&mut self, n: u64) -> u64 {
        ((u128::from(self.next()) * u128::from(n)) >> 64) as u64
    }
}

/// The facts of a province, one column per fact.
struct Columns {
    penalties: [Vec<u16>; 3],
    rectified: Vec<u16>,
    open: Vec<u16>,
    complaints: Vec<u16>,
    /// bit 0 abnormal, bit 1 dishonest, bit 2 a class-D sanction
    flags: Vec<u8>,
    sanctions: Vec<u16>,
    commendations: Vec<u16>,
    /// The class in force before the run (0 none, 1–4 A–D).
    previous: Vec<u8>,
}

impl Columns {
    fn len(&self) -> usize {
        self.previous.len()
    }

    #[inline]
    fn facts(&self, i: usize) -> Facts {
        let f = self.flags[i];
        Facts {
            penalties: [
                self.penalties[0][i],
                self.penalties[1][i],
                self.penalties[2][i],
            ],
            problems_rectified: self.rectified[i],
            problems_open: self.open[i],
            complaints: self.complaints[i],
            abnormal: f & 1 != 0,
            dishonest: f & 2 != 0,
            sanctions: self.sanctions[i],
            sanction_class_d: f & 4 != 0,
            commendations: self.commendations[i],
        }
    }

    fn bytes(&self) -> usize {
        self.len() * (3 * 2 + 2 + 2 + 2 + 1 + 2 + 2 + 1)
    }
}

fn code(c: CreditClass) -> u8 {
    match c {
        CreditClass::A => 1,
        CreditClass::B => 2,
        CreditClass::C => 3,
        CreditClass::D => 4,
    }
}

/// Facts in the proportions of a county's records over two years (most entities have none):
/// penalties 6 % (tiers 50/40/10), inspection problems 10 % (60 % corrected), complaints 5 %,
/// abnormal listing 3 %, serious dishonesty 0.3 %, a sanction 0.2 % (half raising the class to
/// D), commendations 2 %. The previous class is the one these facts give, except for 8 % of
/// entities whose facts moved since the last run (their previous class is drawn at random).
fn generate(n: usize, seed: u64, def: &IndexDef) -> Columns {
    let mut r = Rng(seed ^ 0xC4ED_17E7);
    let mut c = Columns {
        penalties: [vec![0; n], vec![0; n], vec![0; n]],
        rectified: vec![0; n],
        open: vec![0; n],
        complaints: vec![0; n],
        flags: vec![0; n],
        sanctions: vec![0; n],
        commendations: vec![0; n],
        previous: vec![0; n],
    };
    let scorer = Scorer::new(def);
    for i in 0..n {
        if r.chance(60) {
            let t = match r.below(10) {
                0..=4 => 0,
                5..=8 => 1,
                _ => 2,
            };
            c.penalties[t][i] = 1 + r.below(2) as u16;
        }
        if r.chance(100) {
            if r.chance(600) {
                c.rectified[i] = 1;
            } else {
                c.open[i] = 1;
            }
        }
        if r.chance(50) {
            c.complaints[i] = 1 + r.below(3) as u16;
        }
        let mut f = 0u8;
        if r.chance(30) {
            f |= 1;
        }
        if r.chance(3) {
            f |= 2;
        }
        if r.chance(2) {
            c.sanctions[i] = 1;
            if r.chance(500) {
                f |= 4;
            }
        }
        c.flags[i] = f;
        if r.chance(20) {
            c.commendations[i] = 1;
        }
        c.previous[i] = if r.chance(80) {
            1 + r.below(4) as u8
        } else {
            code(scorer.score(&c.facts(i)).1)
        };
    }
    c
}

/// Scores every entity on `threads` threads: (score sum, class counts, changed entities).
fn score_all(cols: &Columns, scorer: &Scorer, threads: usize) -> (i64, [u64; 4], Vec<u32>) {
    let n = cols.len();
    let part = n.div_ceil(threads.max(1));
    std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads.max(1))
            .map(|t| {
                let (from, to) = (t * part, ((t + 1) * part).min(n));
                s.spawn(move || {
                    let mut sum = 0i64;
                    let mut counts = [0u64; 4];
                    let mut changed = Vec::new();
                    for i in from..to {
                        let (score, class) = scorer.score(&cols.facts(i));
                        sum += i64::from(score);
                        let k = code(class);
                        counts[usize::from(k - 1)] += 1;
                        if cols.previous[i] != k {
                            changed.push(i as u32);
                        }
                    }
                    (sum, counts, changed)
                })
            })
            .collect();
        let mut sum = 0;
        let mut counts = [0u64; 4];
        let mut changed = Vec::new();
        for h in handles {
            let (s, c, ch) = h.join().expect("scoring thread");
            sum += s;
            for k in 0..4 {
                counts[k] += c[k];
            }
            changed.extend(ch);
        }
        (sum, counts, changed)
    })
}

pub async fn run(a: &BenchArgs) -> anyhow::Result<Value> {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let def = IndexDef::standard();
    let n = a.entities as usize;

    let t = Instant::now();
    let cols = generate(n, a.seed, &def);
    let generate_time = t.elapsed();
    println!(
        "credit facts of {n} entities as columns ({} MB): {:.0} ms",
        cols.bytes() >> 20,
        ms(generate_time)
    );
    let scorer = Scorer::new(&def);
    let t = Instant::now();
    let (sum, counts, changed) = score_all(&cols, &scorer, cores);
    let score_time = t.elapsed();
    println!(
        "scored and classified on {cores} cores: {:.0} ms (A {} B {} C {} D {}, {} changed, mean score {:.1})",
        ms(score_time),
        counts[0],
        counts[1],
        counts[2],
        counts[3],
        changed.len(),
        sum as f64 / n.max(1) as f64
    );
    let t = Instant::now();
    let explained: usize = changed
        .iter()
        .map(|&i| evaluate(&def, &cols.facts(i as usize)).contributions.len())
        .sum();
    let explain_time = t.elapsed();
    println!(
        "explained the {} changes: {:.0} ms",
        changed.len(),
        ms(explain_time)
    );
    let mut out = json!({
        "entities": n,
        "cores": cores,
        "columns_bytes": cols.bytes(),
        "generate_ms": ms(generate_time),
        "score_classify_ms": ms(score_time),
        "explain_changes_ms": ms(explain_time),
        "score_classify_explain_ms": ms(score_time + explain_time),
        "classes": {"A": counts[0], "B": counts[1], "C": counts[2], "D": counts[3]},
        "changed": changed.len(),
        "contributions": explained,
    });
    drop(cols);

    if let Some(base) = &a.postgres {
        let db_n = a.credit_db_entities;
        let url = lianjian_store::testing::fresh_postgres_database(base)
            .await
            .context("creating a database for the benchmark")?;
        let result = on_postgres(a, &url, db_n).await;
        let dropped = super::drop_database(base, &url).await;
        out["postgres"] = result?;
        dropped?;
    }
    Ok(out)
}

async fn on_postgres(a: &BenchArgs, url: &str, n: u64) -> anyhow::Result<Value> {
    use sea_orm::ConnectionTrait;
    let store = lianjian_store::Store::connect(url).await?;
    store
        .migrate()
        .await
        .context("migrating the benchmark database")?;
    let mut args = a.clone();
    args.entities = n;
    let (counties, _) = super::counties_of(&a.province)?;
    let pb = super::bar(n, "generating");
    let p = super::generate(&args, &counties, &pb);
    pb.finish_and_clear();
    let t = Instant::now();
    super::copy_into_postgres(&store, &p).await?;
    let load_time = t.elapsed();

    // Credit entries: penalties (6 %, tiers 50/40/10, within the last two years), abnormal
    // listings (3 %), serious dishonesty (0.3 %).
    let t = Instant::now();
    let mut r = Rng(a.seed ^ 0x5EED);
    let today = lianjian_domain::visit::beijing_date(Utc::now());
    let now = super::timestamp(Utc::now().timestamp());
    let pool = store.conn().get_postgres_connection_pool();
    let mut entries = 0u64;
    {
        let mut conn = pool.acquire().await?;
        let mut copy = conn
            .copy_in_raw(
                "COPY credit_entries (id, entity_id, region_code, kind, tier, occurred_on, title, \
                 detail, source, published, repair_from, publish_until, status, created_by, \
                 created_at, updated_at) FROM STDIN",
            )
            .await?;
        let mut buf = String::with_capacity(8 << 20);
        for row in &p.rows {
            let region = p.regions[row.region as usize].as_str();
            let mut add = |kind: &str,
                           tier: Option<&str>,
                           days: u64,
                           title: &str,
                           detail: &str,
                           buf: &mut String| {
                let on = today - chrono::Duration::days(days as i64);
                let until = on + chrono::Duration::days(365);
                let _ = writeln!(
                    buf,
                    "{}\t{}\t{region}\t{kind}\t{}\t{on}\t{title}\t{detail}\timport\tt\t{on}\t{until}\tactive\tbench\t{now}\t{now}",
                    uuid::Uuid::now_v7(),
                    row.id,
                    tier.unwrap_or("\\N"),
                );
                entries += 1;
            };
            if r.chance(60) {
                let tier = match r.below(10) {
                    0..=4 => "minor",
                    5..=8 => "general",
                    _ => "serious",
                };
                add(
                    "penalty",
                    Some(tier),
                    r.below(700),
                    "违法行为",
                    r#"{"type":"penalty","kinds":["fine"],"amount_cents":100000,"strict_field":null}"#,
                    &mut buf,
                );
            }
            if r.chance(30) {
                add(
                    "abnormal",
                    None,
                    r.below(700),
                    "列入经营异常名录",
                    r#"{"type":"listing","reason":"通过登记的住所无法联系","removed_on":null,"removal_reason":null}"#,
                    &mut buf,
                );
            }
            if r.chance(3) {
                add(
                    "dishonest",
                    None,
                    r.below(700),
                    "列入严重违法失信名单",
                    r#"{"type":"listing","reason":"提供虚假材料","removed_on":null,"removal_reason":null}"#,
                    &mut buf,
                );
            }
            if buf.len() > (8 << 20) - 4096 {
                copy.send(buf.as_bytes()).await?;
                buf.clear();
            }
        }
        copy.send(buf.as_bytes()).await?;
        copy.finish().await?;
    }
    store
        .conn()
        .execute_unprepared("ANALYZE credit_entries")
        .await?;
    let entries_time = t.elapsed();
    println!(
        "PostgreSQL: loaded {n} entities in {:.0} ms and {entries} credit entries in {:.0} ms",
        ms(load_time),
        ms(entries_time)
    );

    let svc = Services::new(store.clone(), Default::default());
    let admin = cli_actor();
    ev::define(
        &svc,
        &admin,
        &IndexInput {
            region_code: a.province.clone(),
            sector_id: None,
            name: "基准测试指标体系".into(),
            definition: IndexDef::standard(),
        },
    )
    .await
    .map_err(crate::service_error)?;
    let input = RunInput {
        region_code: a.province.clone(),
        index_id: None,
    };
    let t = Instant::now();
    let first = ev::run_now(&svc, &admin, &input, Trigger::Manual)
        .await
        .map_err(crate::service_error)?;
    let first_time = t.elapsed();
    anyhow::ensure!(first.status == "finished", "first run: {:?}", first.error);
    println!(
        "first run (every entity new to the evaluation): {} entities, {} classes changed: {:.0} ms",
        first.entities,
        first.changed,
        ms(first_time)
    );
    let t = Instant::now();
    let second = ev::run_now(&svc, &admin, &input, Trigger::Manual)
        .await
        .map_err(crate::service_error)?;
    let second_time = t.elapsed();
    println!(
        "second run (nothing moved): {} changed: {:.0} ms",
        second.changed,
        ms(second_time)
    );

    // The entity credit page.
    let mut r = Rng(a.seed ^ 0xE7);
    let mut times: Vec<Duration> = Vec::new();
    for _ in 0..(a.runs * 20) {
        let row = &p.rows[r.below(p.rows.len() as u64) as usize];
        let t = Instant::now();
        let page = ev::entity_credit(&svc, &admin, row.id)
            .await
            .map_err(crate::service_error)?;
        times.push(t.elapsed());
        anyhow::ensure!(
            page.evaluation.is_some(),
            "entity {} has no evaluation",
            row.id
        );
    }
    println!(
        "entity credit page over {} entities: p50 {:.1} ms, p95 {:.1} ms, max {:.1} ms",
        n,
        quantile(&times, 0.5),
        quantile(&times, 0.95),
        quantile(&times, 1.0)
    );
    store.close().await?;
    let changed = first.changed.max(1) as f64;
    Ok(json!({
        "entities": n,
        "credit_entries": entries,
        "load_entities_ms": ms(load_time),
        "load_entries_ms": ms(entries_time),
        "first_run_ms": ms(first_time),
        "first_run_changed": first.changed,
        "first_run_changes_per_s": (changed / first_time.as_secs_f64()).round(),
        "second_run_ms": ms(second_time),
        "second_run_changed": second.changed,
        "entity_page_p50_ms": quantile(&times, 0.5),
        "entity_page_p95_ms": quantile(&times, 0.95),
        "entity_page_max_ms": quantile(&times, 1.0),
        "entity_page_requests": times.len(),
    }))
}
