//! `lianjian bench --import-load DB`: a large directory import while a console user keeps
//! saving forms (issue 12 item 5). The import runs as the console runs it, an import job in the
//! server's process (`exchange::check_entities`, then `exchange::jobs::write_entities`); the
//! console user is a real HTTP client of the real router, signed in as the demo's `admin`,
//! creating a sector (`POST /console/sectors`, an audited write) every `--write-interval-ms`
//! from two seconds before the import until one second after it. Reports the import's time and
//! the latency of every write that started during the import (p50/p95/p99/max, failures).
//!
//! DB is a SQLite file path (must not exist yet) or a `postgres://` URL of an empty database;
//! the demo data (vocabulary, tag rules, departments for 双告知) is seeded first. The file has
//! `--entities` entities of 舞阳县 on about 1.1 rows each (as `import_bench`). With
//! `--import-chunk-rows` larger than the file the whole import is one transaction, as before
//! import jobs, for comparison.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use lianjian_domain::region::RegionCode;
use lianjian_domain::usci::Usci;
use lianjian_services::exchange::{self, jobs};
use lianjian_services::{Services, accounts, cli_actor, demo};
use lianjian_store::Store;
use serde_json::{Value, json};

use super::{BenchArgs, ms, quantile};

fn usci(kind: &str, n: u32) -> String {
    let first17 = format!("{kind}411121MA{n:06}B");
    let check = Usci::check_char(&first17).unwrap_or('0');
    format!("{first17}{check}")
}

const TRADES: &[(&str, &str, &str)] = &[
    ("餐饮", "6210", "餐饮服务；食品销售"),
    ("超市", "5212", "食品销售；日用百货销售"),
    ("药店", "5251", "药品零售；医疗器械销售"),
    ("酒店", "6110", "住宿服务；餐饮服务"),
    ("加油站", "5265", "成品油零售；危险化学品经营"),
    ("幼儿园", "8310", "学前教育"),
    ("养老院", "8514", "养老服务"),
    ("建材", "5165", "建筑材料销售"),
];

/// The rows of `crates/services/examples/import_bench.rs`: 40 % with a 食品经营许可证, 10 % with
/// a second licence on a second row, credit classes, one in 50 注销.
fn rows(n: u32, regions: &[String]) -> Vec<Vec<String>> {
    let mut out = Vec::with_capacity(n as usize + n as usize / 2);
    for i in 1..=n {
        let (trade, industry, scope) = TRADES[(i as usize * 7) % TRADES.len()];
        let kind = if i % 3 == 0 { "92" } else { "91" };
        let code = usci(kind, i);
        let region = &regions[(i as usize * 13) % regions.len()];
        let credit = ["A", "B", "B", "C", "D", ""][(i % 6) as usize];
        let dated = !credit.is_empty();
        let base = vec![
            code.clone(),
            format!(
                "舞阳县{trade}第{i}号{}",
                if kind == "92" { "店" } else { "有限公司" }
            ),
            String::new(),
            format!("经营者{}", i % 997),
            format!(
                "舞阳县{}路{}号",
                ["人民", "建设", "解放", "文化", "泥河"][(i % 5) as usize],
                i % 300 + 1
            ),
            region.clone(),
            industry.into(),
            if i % 50 == 0 {
                "注销".into()
            } else {
                String::new()
            },
            scope.into(),
            credit.into(),
            if dated {
                "2026-03-31".into()
            } else {
                String::new()
            },
            if dated {
                "市场监管部门".into()
            } else {
                String::new()
            },
            String::new(),
        ];
        let mut licences: Vec<[String; 5]> = Vec::new();
        if i % 5 < 2 {
            licences.push([
                "食品经营许可证".into(),
                format!("JY1411121{i:07}"),
                "舞阳县市场监督管理局".into(),
                "2024-01-01".into(),
                "2028-12-31".into(),
            ]);
        }
        if i % 10 == 0 {
            licences.push([
                "公共场所卫生许可证".into(),
                format!("WS-2025-{i:07}"),
                "舞阳县卫生健康委员会".into(),
                "2025-01-01".into(),
                "2029-12-31".into(),
            ]);
        }
        if licences.is_empty() {
            let mut r = base.clone();
            r.extend(std::iter::repeat_n(String::new(), 5));
            out.push(r);
        }
        for (k, l) in licences.into_iter().enumerate() {
            let mut r = if k == 0 {
                base.clone()
            } else {
                std::iter::once(code.clone())
                    .chain(std::iter::repeat_n(String::new(), 12))
                    .collect()
            };
            r.extend(l);
            out.push(r);
        }
    }
    out
}

fn form_encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// One console write: (when it started, how long it took, its status or error).
struct Write {
    started: Instant,
    took: Duration,
    outcome: Result<StatusCode, String>,
}

impl Write {
    /// The form's success answer is the redirect back to the list.
    fn ok(&self) -> bool {
        matches!(self.outcome, Ok(StatusCode::SEE_OTHER))
    }
}

pub async fn run(a: &BenchArgs, db: &str) -> anyhow::Result<Value> {
    let url = if db.starts_with("postgres://") || db.starts_with("postgresql://") {
        db.to_string()
    } else {
        if std::path::Path::new(db).exists() {
            bail!(
                "{db} exists: --import-load needs a new SQLite file (or an empty PostgreSQL database)"
            );
        }
        format!("sqlite://{db}")
    };
    let n = u32::try_from(a.entities).context("--entities")?;
    let store = Store::connect_and_migrate(&url).await?;
    let svc = Services::new(store, Default::default());
    let t = Instant::now();
    demo::seed(&svc).await.map_err(crate::service_error)?;
    svc.load_index().await.map_err(crate::service_error)?;
    eprintln!("demo data seeded in {:.1} s", t.elapsed().as_secs_f64());

    let county = RegionCode::parse("411121").map_err(|e| anyhow::anyhow!("{e}"))?;
    let mut regions: Vec<String> =
        lianjian_store::regions::children(svc.store.conn(), Some(&county))
            .await?
            .into_iter()
            .map(|r| r.code.to_string())
            .collect();
    regions.push(county.to_string());
    let headers = exchange::entity_headers();
    let headers: Vec<&str> = headers.iter().map(String::as_str).collect();
    let file = exchange::xlsx_table(exchange::ENTITY_SHEET, &headers, rows(n, &regions));
    eprintln!(
        "generated {n} entities: {:.1} MiB",
        file.len() as f64 / 1_048_576.0
    );

    // The server, in this process as in production.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let app = lianjian_http::router(lianjian_http::AppState {
        svc: svc.clone(),
        secure_cookies: false,
    });
    tokio::spawn(async move {
        let _ = axum::serve(
            listener,
            app.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .await;
    });
    let signed = accounts::login(&svc, "admin", demo::DEMO_PASSWORD, None, None)
        .await
        .map_err(crate::service_error)?;

    // The console user.
    let stop = Arc::new(AtomicBool::new(false));
    let interval = Duration::from_millis(a.write_interval_ms.max(1));
    let writer = {
        let stop = stop.clone();
        let cookie = format!("lianjian_session={}", signed.token);
        let csrf = form_encode(&signed.csrf_token);
        tokio::spawn(async move {
            let client =
                hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new())
                    .build_http::<Body>();
            let mut writes = Vec::new();
            let mut i = 0u64;
            while !stop.load(Ordering::Acquire) {
                i += 1;
                let body = format!("_csrf={csrf}&name={}", form_encode(&format!("压测领域{i}")));
                let req = Request::post(format!("http://{addr}/console/sectors"))
                    .header(header::COOKIE, &cookie)
                    .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                    .body(Body::from(body));
                let started = Instant::now();
                let outcome = match req {
                    Err(e) => Err(e.to_string()),
                    Ok(req) => match client.request(req).await {
                        Err(e) => Err(e.to_string()),
                        Ok(resp) => {
                            let status = resp.status();
                            let _ =
                                axum::body::to_bytes(Body::new(resp.into_body()), usize::MAX).await;
                            Ok(status)
                        }
                    },
                };
                writes.push(Write {
                    started,
                    took: started.elapsed(),
                    outcome,
                });
                tokio::time::sleep(interval).await;
            }
            writes
        })
    };
    tokio::time::sleep(Duration::from_secs(2)).await;

    let mut opts = jobs::JobOptions::from_env();
    if let Some(rows) = a.import_chunk_rows {
        opts.chunk_rows = rows;
    }
    let actor = cli_actor();
    let start = Instant::now();
    let checked = exchange::check_entities(&svc, &actor, "bench.xlsx", &file, false, &|_| {})
        .await
        .map_err(crate::service_error)?;
    let checked_in = start.elapsed();
    let result = jobs::write_entities(&svc, &actor, checked, &opts, &|_| {}).await;
    let end = Instant::now();
    tokio::time::sleep(Duration::from_secs(1)).await;
    stop.store(true, Ordering::Release);
    let writes = writer.await?;
    let (job, outcome) = result.map_err(crate::service_error)?;

    let during: Vec<&Write> = writes
        .iter()
        .filter(|w| w.started >= start && w.started < end)
        .collect();
    let outside: Vec<&Write> = writes
        .iter()
        .filter(|w| w.started < start || w.started >= end)
        .collect();
    let summary = |ws: &[&Write]| {
        let mut took: Vec<Duration> = ws.iter().map(|w| w.took).collect();
        took.sort();
        let failures: Vec<String> = ws
            .iter()
            .filter(|w| !w.ok())
            .map(|w| match &w.outcome {
                Ok(s) => s.to_string(),
                Err(e) => e.clone(),
            })
            .collect();
        json!({
            "writes": ws.len(),
            "p50_ms": quantile(&took, 0.50),
            "p95_ms": quantile(&took, 0.95),
            "p99_ms": quantile(&took, 0.99),
            "max_ms": took.last().map(|d| ms(*d)).unwrap_or(0.0),
            "failures": failures.len(),
            "failure_statuses": failures.into_iter().take(5).collect::<Vec<_>>(),
        })
    };
    let out = json!({
        "backend": if url.starts_with("sqlite") { "sqlite" } else { "postgres" },
        "entities": n,
        "chunk_rows": opts.chunk_rows,
        "pause_ms": ms(opts.pause),
        "job_status": job.status.as_str(),
        "inserted": outcome.report.inserted,
        "claims_created": outcome.report.claims_created,
        "check_ms": ms(checked_in),
        "import_ms": ms(end - start),
        "write_interval_ms": a.write_interval_ms,
        "writes_during_import": summary(&during),
        "writes_before_and_after": summary(&outside),
    });
    Ok(out)
}
