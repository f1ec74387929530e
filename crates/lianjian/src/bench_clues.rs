//! `lianjian bench --clue-load DB`: the clue queues and the office's rates over many clues
//! (issue 14, performance: queue pages and rates over 200,000 clues < 200 ms p95).
//!
//! DB is a SQLite file path or a `postgres://` URL: empty, or seeded by an earlier run with at
//! least `--clues` clues (then measured again as it is, after this build's migrations).
//! The demo is seeded first (departments, accounts, calendar); then `--clues` clues of 舞阳县's
//! townships over the past year are written in bulk with their clocks and events
//! (`store::clue_reports::insert_bulk`), in a realistic mix of states: most finished (some
//! late, some extended, half of them revisited — 回访 — and most of those closed), some handling, unsigned, registered, returned, waiting for an
//! extension, escalated. Then, through the services exactly as the console and the API call
//! them, each operation runs `--runs` times: every queue page (first page of 20) of the
//! office and of a department administrator, the queue counts, a text search, the deadline
//! sort, and the rates over 30 days and over a year. Prints p50/p95/max per operation and, last,
//! one JSON object with every figure.

use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use chrono::{NaiveDate, TimeZone, Utc};
use lianjian_domain::calendar::WorkingDayCalendar;
use lianjian_domain::case::{CaseKind, Clock};
use lianjian_domain::clue::{
    ClueKind, ClueSource, ClueStatus, FINISH_CLOCK, RETURN_CLOCK, SIGN_CLOCK, Urgency,
};
use lianjian_domain::region::RegionCode;
use lianjian_domain::scope::Actor;
use lianjian_domain::visit::beijing_date;
use lianjian_services::clues::reports::{self, RatesQuery};
use lianjian_services::clues::{self, ClueFilter, ClueSort, Queue};
use lianjian_services::{PageRequest, Services, accounts, cli_actor, demo};
use lianjian_store::Store;
use lianjian_store::cases::CaseEvent;
use lianjian_store::clue_reports::BulkClock;
use lianjian_store::clues::Clue;
use serde_json::{Value, json};
use uuid::Uuid;

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
    fn below(&mut self, n: u64) -> u64 {
        ((u128::from(self.next()) * u128::from(n)) >> 64) as u64
    }
}

async fn actor(svc: &Services, username: &str) -> anyhow::Result<Actor> {
    let admin = cli_actor();
    let u = accounts::find_user(svc, &admin, username)
        .await
        .map_err(crate::service_error)?;
    let (_, token) = accounts::create_token(svc, &admin, u.id, "bench", None)
        .await
        .map_err(crate::service_error)?;
    accounts::authenticate_token(svc, &token, None)
        .await
        .map_err(crate::service_error)
}

fn event(
    id: Uuid,
    action: &str,
    from: Option<ClueStatus>,
    to: ClueStatus,
    dept: Option<Uuid>,
    region: &str,
    at: chrono::DateTime<Utc>,
) -> CaseEvent {
    CaseEvent {
        id: Uuid::now_v7(),
        case_kind: CaseKind::Clue,
        case_id: id,
        action: action.into(),
        from_status: from.map(|s| s.as_str().to_string()),
        to_status: to.as_str().into(),
        reason: (action == "return").then(|| "不属于本部门职责".to_string()),
        detail: None,
        actor_id: None,
        actor_name: "bench".into(),
        actor_display: "基准测试".into(),
        actor_department_id: dept,
        region_code: region.into(),
        at,
    }
}

/// One generated clue with its clocks and events.
#[allow(clippy::too_many_arguments)]
fn generate(
    r: &mut Rng,
    n: u64,
    cal: &WorkingDayCalendar,
    today: NaiveDate,
    towns: &[String],
    depts: &[Uuid],
    clocks: &mut Vec<BulkClock>,
    events: &mut Vec<CaseEvent>,
) -> Clue {
    let id = Uuid::now_v7();
    let roll = r.below(100);
    // Open clues are recent; finished ones spread over the year.
    let age = match roll {
        0..70 => r.below(365),
        70..80 => r.below(12),
        80..88 => r.below(3),
        _ => r.below(20),
    };
    let day = today - chrono::Duration::days(age as i64);
    let at = Utc
        .from_local_datetime(
            &day.and_hms_opt(1 + r.below(9) as u32, r.below(60) as u32, 0)
                .unwrap(),
        )
        .unwrap();
    let town = &towns[r.below(towns.len() as u64) as usize];
    let dept = depts[r.below(depts.len() as u64) as usize];
    let mut status = match roll {
        0..70 => ClueStatus::Finished,
        70..80 => ClueStatus::Handling,
        80..85 => ClueStatus::Dispatched,
        85..88 => ClueStatus::Registered,
        88..92 => ClueStatus::Returned,
        92..95 => ClueStatus::ExtensionRequested,
        _ => ClueStatus::Escalated,
    };
    events.push(event(
        id,
        "register",
        None,
        ClueStatus::Registered,
        None,
        town,
        at,
    ));
    let mut finished_at = None;
    let mut satisfaction = None;
    // The step that stopped each clock (sign, return, finish), as the services record it.
    let (mut sign_by, mut ret_by, mut fin_by) = (None, None, None);
    let mut extensions = 0;
    if status != ClueStatus::Registered {
        events.push(event(
            id,
            "dispatch",
            Some(ClueStatus::Registered),
            ClueStatus::Dispatched,
            None,
            town,
            at,
        ));
        let mut sign = Clock::start(cal, &SIGN_CLOCK, day);
        let mut ret = Clock::start(cal, &RETURN_CLOCK, day);
        let mut fin = Clock::start(cal, &FINISH_CLOCK, day);
        let signed_on = if r.below(10) == 0 {
            cal.add_working_days(day, 2)
        } else {
            day
        };
        match status {
            ClueStatus::Dispatched | ClueStatus::Escalated => {}
            ClueStatus::Returned => {
                sign.stopped_on = Some(day);
                ret.stopped_on = Some(day);
                fin.stopped_on = Some(day);
                (sign_by, ret_by, fin_by) = (Some("return"), Some("return"), Some("return"));
                events.push(event(
                    id,
                    "return",
                    Some(ClueStatus::Dispatched),
                    ClueStatus::Returned,
                    Some(dept),
                    town,
                    at,
                ));
            }
            _ => {
                sign.stopped_on = Some(signed_on.min(today));
                ret.stopped_on = Some(signed_on.min(today));
                (sign_by, ret_by) = (Some("sign"), Some("sign"));
                events.push(event(
                    id,
                    "sign",
                    Some(ClueStatus::Dispatched),
                    ClueStatus::Handling,
                    Some(dept),
                    town,
                    at,
                ));
            }
        }
        if status == ClueStatus::Finished {
            if r.below(10) == 0 {
                fin = fin.extended(cal, 5);
                extensions = 1;
                for (action, from, to) in [
                    (
                        "request_extension",
                        ClueStatus::Handling,
                        ClueStatus::ExtensionRequested,
                    ),
                    (
                        "approve_extension",
                        ClueStatus::ExtensionRequested,
                        ClueStatus::Handling,
                    ),
                ] {
                    events.push(event(id, action, Some(from), to, Some(dept), town, at));
                }
            }
            let done = cal.add_working_days(day, 1 + r.below(7) as u32).min(today);
            fin.stopped_on = Some(done);
            fin_by = Some("finish");
            finished_at = Some(at + chrono::Duration::days((done - day).num_days()));
            events.push(event(
                id,
                "finish",
                Some(ClueStatus::Handling),
                ClueStatus::Finished,
                Some(dept),
                town,
                finished_at.unwrap(),
            ));
            // Half the finished clues were revisited (回访) and closed.
            if r.below(2) == 0 {
                use lianjian_domain::clue::Satisfaction;
                let verdict = match r.below(10) {
                    0..7 => Satisfaction::Satisfied,
                    7..9 => Satisfaction::BasicallySatisfied,
                    _ => Satisfaction::Dissatisfied,
                };
                // A dissatisfied verdict would reopen it; the bench keeps those finished.
                if verdict != Satisfaction::Dissatisfied {
                    status = ClueStatus::Closed;
                }
                satisfaction = Some(verdict);
                events.push(event(
                    id,
                    "revisit",
                    Some(ClueStatus::Finished),
                    status,
                    None,
                    town,
                    finished_at.unwrap() + chrono::Duration::hours(2),
                ));
            }
        }
        for (clock, stopped_by, extensions) in [
            (sign, sign_by, 0),
            (ret, ret_by, 0),
            (fin, fin_by, extensions),
        ] {
            clocks.push(BulkClock {
                case_id: id,
                clock,
                stopped_by,
                extensions,
            });
        }
    }
    let kinds = ClueKind::ALL;
    let sources = ClueSource::ALL;
    Clue {
        id,
        code: format!("XS-411121-BENCH-{n:07}"),
        external_no: Some(format!("12345-BENCH-{n:07}")),
        source: sources[r.below(sources.len() as u64) as usize],
        kind: kinds[r.below(kinds.len() as u64) as usize],
        urgency: if r.below(10) == 0 {
            Urgency::Urgent
        } else {
            Urgency::Normal
        },
        content: format!("第 {n} 号诉求：反映商户销售过期食品、无证经营等问题，请核查处理"),
        address: format!("舞阳县某镇某街 {} 号", r.below(500)),
        region_code: RegionCode::parse(town).expect("town code"),
        latitude: None,
        longitude: None,
        entity_id: None,
        complainant_name: Some("张三".into()),
        complainant_phone: Some("13800138000".into()),
        anonymous: false,
        received_at: at,
        status,
        department_id: (status != ClueStatus::Registered).then_some(dept),
        result: finished_at.map(|_| "已核查处理".to_string()),
        finished_at,
        created_by: "bench".into(),
        created_at: at,
        updated_at: at,
        merged_into: None,
        visit_id: None,
        satisfaction,
        supervised: false,
    }
}

fn stats(name: &str, v: &[Duration]) -> Value {
    let p50 = quantile(v, 0.50);
    let p95 = quantile(v, 0.95);
    let max = quantile(v, 1.0);
    println!("{name:<40} p50 {p50:>8.1} ms   p95 {p95:>8.1} ms   max {max:>8.1} ms");
    json!({ "p50_ms": p50, "p95_ms": p95, "max_ms": max, "runs": v.len() })
}

pub async fn run(a: &BenchArgs, db: &str) -> anyhow::Result<Value> {
    let url = if db.starts_with("postgres://") || db.starts_with("postgresql://") {
        db.to_string()
    } else {
        format!("sqlite://{db}")
    };
    let store = Store::connect_and_migrate(&url).await?;
    let svc = Services::new(store, Default::default());
    // A database an earlier run seeded with at least as many clues is measured again as it
    // is (after this build's migrations): index and query changes are compared on the same
    // data without seeding anew. Anything else must be empty.
    let held = {
        use sea_orm::ConnectionTrait;
        let r = svc
            .store
            .conn()
            .query_one_raw(sea_orm::Statement::from_string(
                svc.store.conn().get_database_backend(),
                "SELECT COUNT(*) AS n FROM clues",
            ))
            .await?;
        let n: i64 = r.map(|r| r.try_get("", "n")).transpose()?.unwrap_or(0);
        u64::try_from(n).unwrap_or(0)
    };
    let reuse = held >= a.clues;
    if !reuse && held > 0 {
        bail!(
            "{db} holds {held} clues, fewer than --clues: use a new SQLite file (or an empty PostgreSQL database)"
        );
    }
    let t = Instant::now();
    demo::seed(&svc).await.map_err(crate::service_error)?;
    eprintln!("demo data seeded in {:.1} s", t.elapsed().as_secs_f64());
    let county = RegionCode::parse("411121").map_err(|e| anyhow::anyhow!("{e}"))?;
    let towns: Vec<String> = lianjian_store::regions::children(svc.store.conn(), Some(&county))
        .await?
        .into_iter()
        .map(|r| r.code.to_string())
        .collect();
    if towns.is_empty() {
        bail!("no townships of 411121");
    }
    let depts: Vec<Uuid> = lianjian_services::departments::pickable(&svc, &county)
        .await
        .map_err(crate::service_error)?
        .into_iter()
        .filter(|d| d.region_code == county)
        .map(|d| d.id)
        .collect();
    let cal = lianjian_services::calendar::current(&svc)
        .await
        .map_err(crate::service_error)?;
    let today = beijing_date(svc.now());

    // Seed in bulk.
    let n = a.clues;
    let t = Instant::now();
    let mut r = Rng(a.seed);
    let chunk = 2_000;
    let mut written = if reuse {
        eprintln!("{db} already holds {held} clues: measuring them");
        n
    } else {
        0
    };
    while written < n {
        let k = chunk.min(n - written);
        let mut cl = Vec::with_capacity(k as usize);
        let mut clocks = Vec::with_capacity(k as usize * 3);
        let mut events = Vec::with_capacity(k as usize * 4);
        for i in 0..k {
            cl.push(generate(
                &mut r,
                written + i,
                &cal,
                today,
                &towns,
                &depts,
                &mut clocks,
                &mut events,
            ));
        }
        let tx = svc.store.begin().await?;
        lianjian_store::clue_reports::insert_bulk(&tx, &cl, &clocks, &events).await?;
        tx.commit().await.context("commit")?;
        written += k;
        if written % 20_000 == 0 {
            eprintln!("{written} clues written");
        }
    }
    let seed_s = t.elapsed().as_secs_f64();
    println!(
        "seeded {n} clues ({} departments, {} townships) in {seed_s:.1} s",
        depts.len(),
        towns.len()
    );
    // Planner statistics and, on PostgreSQL, the visibility map, as a database in service has
    // them: autovacuum vacuums an insert-heavy table after its inserts (PostgreSQL 13+,
    // `autovacuum_vacuum_insert_threshold`); without it no index-only scan is worth its heap
    // fetches and the planner falls back to sequential scans a live system would not see.
    {
        use sea_orm::{ConnectionTrait, DbBackend};
        let c = svc.store.conn();
        let sql = match c.get_database_backend() {
            DbBackend::Postgres => "VACUUM ANALYZE",
            _ => "ANALYZE",
        };
        c.execute_unprepared(sql).await?;
    }

    let office = actor(&svc, "wy.office").await?;
    let market = actor(&svc, "wy.market").await?;
    let runs = a.runs.max(1);
    let page = PageRequest::new(Some(1), Some(20));
    let mut out = serde_json::Map::new();
    for (who, act) in [("office", &office), ("department", &market)] {
        for q in Queue::of_role(act) {
            let mut v = Vec::with_capacity(runs);
            let mut total = 0;
            for _ in 0..runs {
                let t = Instant::now();
                let p = clues::list(&svc, act, q, &ClueFilter::default(), page)
                    .await
                    .map_err(crate::service_error)?;
                v.push(t.elapsed());
                total = p.total;
            }
            let name = format!("{who} queue {} ({total})", q.as_str());
            let mut s = stats(&name, &v);
            s["total"] = json!(total);
            out.insert(format!("{who}_queue_{}", q.as_str()), s);
        }
        let mut v = Vec::with_capacity(runs);
        for _ in 0..runs {
            let t = Instant::now();
            clues::queue_counts(&svc, act)
                .await
                .map_err(crate::service_error)?;
            v.push(t.elapsed());
        }
        out.insert(
            format!("{who}_queue_counts"),
            stats(&format!("{who} queue counts (all tabs)"), &v),
        );
        // What the console's queue page asks: the role's first queue and every tab's count.
        let first = Queue::of_role(act)[0];
        let mut v = Vec::with_capacity(runs);
        for _ in 0..runs {
            let t = Instant::now();
            clues::list(&svc, act, first, &ClueFilter::default(), page)
                .await
                .map_err(crate::service_error)?;
            clues::queue_counts(&svc, act)
                .await
                .map_err(crate::service_error)?;
            v.push(t.elapsed());
        }
        out.insert(
            format!("{who}_console_page"),
            stats(
                &format!("{who} console page ({} + counts)", first.as_str()),
                &v,
            ),
        );
    }
    for (name, f, q) in [
        (
            "office search text",
            ClueFilter {
                text: Some("BENCH-0012".into()),
                ..Default::default()
            },
            Queue::All,
        ),
        (
            "office to_handle by deadline",
            ClueFilter {
                sort: ClueSort::DueAsc,
                ..Default::default()
            },
            Queue::ToHandle,
        ),
    ] {
        let mut v = Vec::with_capacity(runs);
        for _ in 0..runs {
            let t = Instant::now();
            clues::list(&svc, &office, q, &f, page)
                .await
                .map_err(crate::service_error)?;
            v.push(t.elapsed());
        }
        out.insert(name.replace(' ', "_"), stats(name, &v));
    }
    for (name, days, who) in [
        ("office rates 30 days", 29, &office),
        ("office rates 365 days", 364, &office),
        ("department rates 365 days", 364, &market),
    ] {
        let q = RatesQuery {
            from: Some(today - chrono::Duration::days(days)),
            to: Some(today),
            region: None,
        };
        let mut v = Vec::with_capacity(runs);
        for _ in 0..runs {
            let t = Instant::now();
            reports::rates(&svc, who, &q)
                .await
                .map_err(crate::service_error)?;
            v.push(t.elapsed());
        }
        out.insert(name.replace(' ', "_"), stats(name, &v));
    }
    Ok(json!({
        "clues": n,
        "backend": if url.starts_with("postgres") { "postgresql" } else { "sqlite" },
        "build": if cfg!(debug_assertions) { "debug" } else { "release" },
        "seed_s": (seed_s * 10.0).round() / 10.0,
        "operations": Value::Object(out),
        "seed_ms": ms(Duration::from_secs_f64(seed_s)),
    }))
}
