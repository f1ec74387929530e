//! `lianjian bench --analysis URL`: the analysis pages over a province's years (issue 17,
//! performance: 10,000,000 visits with results and follow-ups and 1,000,000 clues, every figure
//! and its breakdown < 1 s p95 on PostgreSQL).
//!
//! URL is an empty PostgreSQL database (or one an earlier run seeded, measured again as it is).
//! The demo is seeded first (departments, accounts); then `--analysis-visits` visits over the
//! five years before today in 140 counties with one to three checked items each, results,
//! publications and rectifications, and the daily clue figures of `--analysis-clues` clues are
//! written with set-based SQL (`store::analysis::bench_generate`, generate_series). The figures
//! are rebuilt once (timed), then each table — by department, region, item and month, for the
//! whole province over five years and over one year, and for a line-scoped department
//! administrator — is read `--runs` times through the services as the console and the API read
//! it. Prints p50/p95/max per table and one JSON object with every figure.

use std::time::{Duration, Instant};

use lianjian_domain::scope::Actor;
use lianjian_domain::visit::beijing_date;
use lianjian_services::analysis;
use lianjian_services::{Services, accounts, cli_actor, demo};
use lianjian_store::Store;
use serde_json::{Value, json};

use super::{BenchArgs, ms, quantile};

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

pub async fn run(a: &BenchArgs, url: &str) -> anyhow::Result<String> {
    anyhow::ensure!(
        url.starts_with("postgres"),
        "--analysis needs a PostgreSQL URL (the data is generated with generate_series)"
    );
    let store = Store::connect_and_migrate(url).await?;
    let svc = Services::new(store.clone(), Default::default());
    let today = beijing_date(svc.now());
    let mut out = Vec::new();
    let mut report = serde_json::Map::new();
    let seeded: i64 = {
        use lianjian_store::Conn;
        let r = store
            .conn()
            .query_one_raw(sea_orm::Statement::from_string(
                sea_orm::DbBackend::Postgres,
                "SELECT COUNT(*) AS n FROM visits WHERE code LIKE 'BV%'",
            ))
            .await?;
        r.map(|r| r.try_get::<i64>("", "n"))
            .transpose()?
            .unwrap_or(0)
    };
    if seeded == 0 {
        demo::seed(&svc).await.map_err(crate::service_error)?;
        let t = Instant::now();
        let tx = store.begin_bulk().await?;
        lianjian_store::analysis::bench_generate(
            &tx,
            a.analysis_visits as i64,
            a.analysis_clues as i64,
            today,
        )
        .await?;
        tx.commit().await?;
        {
            use lianjian_store::Conn;
            store.conn().execute_unprepared("ANALYZE").await?;
        }
        let s = t.elapsed().as_secs_f64();
        out.push(format!(
            "generated {} visits and the figures of {} clues in {s:.1} s",
            a.analysis_visits, a.analysis_clues
        ));
        report.insert("generate_s".into(), json!(s));
    } else {
        out.push(format!("measuring the {seeded} visits already seeded"));
    }
    let admin = cli_actor();
    let t = Instant::now();
    let r = analysis::refresh(&svc, &admin)
        .await
        .map_err(crate::service_error)?;
    let s = t.elapsed().as_secs_f64();
    out.push(format!(
        "rebuilt the monthly figures: {} cells in {s:.1} s",
        r.cells
    ));
    report.insert("refresh_s".into(), json!(s));
    report.insert("cells".into(), json!(r.cells));

    let market = actor(&svc, "wy.market").await?;
    let five = analysis::parse_query(
        &svc,
        Some(&analysis_month(today, -59)),
        None,
        None,
        None,
        None,
        None,
    )
    .map_err(crate::service_error)?;
    let one = analysis::parse_query(&svc, None, None, None, None, None, None)
        .map_err(crate::service_error)?;
    let mut tables = serde_json::Map::new();
    let cases: Vec<(&str, &Actor, &analysis::Query)> = vec![
        ("province, 5 years", &admin, &five),
        ("province, 1 year", &admin, &one),
        ("department admin (line), 5 years", &market, &five),
    ];
    for (who, actor, q) in cases {
        for by in analysis::BYS {
            let mut q = q.clone();
            q.by = by;
            let mut times: Vec<Duration> = Vec::with_capacity(a.runs as usize);
            let mut rows = 0;
            for _ in 0..a.runs {
                let t = Instant::now();
                let table = analysis::table(&svc, actor, &q)
                    .await
                    .map_err(crate::service_error)?;
                times.push(t.elapsed());
                rows = table.rows.len();
            }
            let name = format!("{who}, {}", analysis::by_code(by));
            out.push(format!(
                "{name:<48} rows {rows:>4}  p50 {:>8.1} ms  p95 {:>8.1} ms  max {:>8.1} ms",
                quantile(&times, 0.5),
                quantile(&times, 0.95),
                times.iter().copied().max().map(ms).unwrap_or(0.0)
            ));
            tables.insert(
                name,
                json!({"rows": rows, "p50_ms": quantile(&times, 0.5), "p95_ms": quantile(&times, 0.95)}),
            );
        }
    }
    // The export of one month of supervision actions of the whole province.
    let month = analysis::parse_query(
        &svc,
        Some(&analysis_month(today, -1)),
        Some(&analysis_month(today, -1)),
        None,
        None,
        None,
        None,
    )
    .map_err(crate::service_error)?;
    let t = Instant::now();
    let lines = analysis::export_actions(&svc, &admin, month.months.from, month.months.last_day())
        .await
        .map_err(crate::service_error)?;
    let s = t.elapsed().as_secs_f64();
    out.push(format!(
        "export of one month of supervision actions: {} lines in {s:.2} s",
        lines.lines().count()
    ));
    report.insert("export_month_s".into(), json!(s));
    report.insert("tables".into(), Value::Object(tables));
    out.push(Value::Object(report).to_string());
    Ok(out.join("\n"))
}

fn analysis_month(today: chrono::NaiveDate, k: i32) -> String {
    lianjian_domain::analysis::add_months(lianjian_domain::analysis::first_of(today), k)
        .format("%Y-%m")
        .to_string()
}
