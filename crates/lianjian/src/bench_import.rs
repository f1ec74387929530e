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
use lianjian_services::exchange::sample::rows;
use lianjian_services::exchange::{self, jobs};
use lianjian_services::{Services, accounts, cli_actor, demo};
use lianjian_store::Store;
use serde_json::{Value, json};

use super::{BenchArgs, ms, quantile};

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
