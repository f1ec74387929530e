//! `lianjian bench --hotline-load DB`: 12345 work orders pushed through the real HTTP API
//! (issue 14 item 5; target ≥ 100 orders/s sustained, p99 < 300 ms, on SQLite and PostgreSQL).
//! The server is the product's router in this process, on a real TCP port; the client is an
//! open-loop generator: order `i` is sent at `i / --rate` seconds whatever the answers, so a
//! slow server shows as latency, not as a lower offered rate. Each order is a distinct work
//! order of 舞阳县 pushed as the demo's coordination office (`wy.office`, an API token); every
//! tenth one names an entity of the directory by its credit code, every tenth by its name.
//! Reports the achieved rate, p50/p95/p99/max latency and the failures.
//!
//! DB is a SQLite file path (must not exist yet) or the URL of an empty PostgreSQL database;
//! the demo data is seeded first.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use lianjian_services::{Services, accounts, cli_actor, demo};
use lianjian_store::Store;
use serde_json::{Value, json};

use super::{BenchArgs, ms, quantile};

pub async fn run(a: &BenchArgs, db: &str) -> anyhow::Result<Value> {
    let url = if db.starts_with("postgres://") || db.starts_with("postgresql://") {
        db.to_string()
    } else {
        if std::path::Path::new(db).exists() {
            bail!(
                "{db} exists: --hotline-load needs a new SQLite file (or an empty PostgreSQL database)"
            );
        }
        format!("sqlite://{db}")
    };
    if a.rate == 0 || a.orders == 0 {
        bail!("--rate and --orders must be at least 1");
    }
    let store = Store::connect_and_migrate(&url).await?;
    let svc = Services::new(store, Default::default());
    let t = Instant::now();
    demo::seed(&svc).await.map_err(crate::service_error)?;
    eprintln!("demo data seeded in {:.1} s", t.elapsed().as_secs_f64());
    let county =
        lianjian_domain::region::RegionCode::parse("411121").map_err(|e| anyhow::anyhow!("{e}"))?;
    let entities = lianjian_store::entities::scan(svc.store.conn(), Some(&county), None, 200)
        .await
        .context("reading the directory")?;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr: SocketAddr = listener.local_addr()?;
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
    let actor = cli_actor();
    let office = accounts::find_user(&svc, &actor, "wy.office")
        .await
        .map_err(crate::service_error)?;
    let token = accounts::create_token(&svc, &actor, office.id, "bench", None)
        .await
        .map_err(crate::service_error)?
        .1;
    let client = hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new())
        .build_http::<Body>();
    let run_id = std::process::id();
    let start = Instant::now();
    let every = Duration::from_secs_f64(1.0 / f64::from(a.rate));
    let mut tasks = Vec::with_capacity(a.orders as usize);
    for i in 0..a.orders {
        let at = start + every * i;
        let kind = ["投诉", "举报", "咨询", "求助", "建议"][i as usize % 5];
        let mut body = json!({
            "order_no": format!("BENCH-{run_id}-{i:07}"),
            "called_at": "2026-12-07 09:30:00",
            "caller_name": "压测来电人",
            "caller_phone": format!("138{:08}", i % 100_000_000),
            "kind": kind,
            "content": format!("压测工单 {i}：舞阳县城关镇某经营户存在问题，请核查处理"),
            "address": "舞阳县城关镇人民路 18 号",
            "region_code": "411121",
            "urgency": "一般",
            "deadline_days": 5,
            "dispatching_unit": "漯河市 12345 政务服务便民热线"
        });
        if !entities.is_empty() && i % 10 == 1 {
            body["entity"] = json!(entities[i as usize % entities.len()].usci);
        } else if !entities.is_empty() && i % 10 == 2 {
            body["entity"] = json!(entities[i as usize % entities.len()].name);
        }
        let client = client.clone();
        let auth = format!("Bearer {token}");
        tasks.push(tokio::spawn(async move {
            tokio::time::sleep_until(at.into()).await;
            let req = Request::post(format!("http://{addr}/api/v1/hotline/orders"))
                .header(header::AUTHORIZATION, auth)
                .header(header::CONTENT_TYPE, "application/json")
                .body(Body::from(body.to_string()))
                .expect("request");
            let sent = Instant::now();
            let outcome = match client.request(req).await {
                Err(e) => Err(e.to_string()),
                Ok(resp) => {
                    let status = resp.status();
                    let _ = axum::body::to_bytes(Body::new(resp.into_body()), usize::MAX).await;
                    Ok(status)
                }
            };
            (sent.elapsed(), outcome)
        }));
    }
    let mut took = Vec::with_capacity(tasks.len());
    let mut failures = Vec::new();
    for t in tasks {
        let (d, outcome) = t.await?;
        took.push(d);
        match outcome {
            Ok(StatusCode::CREATED) => {}
            Ok(s) => failures.push(s.to_string()),
            Err(e) => failures.push(e),
        }
    }
    let wall = start.elapsed();
    took.sort();
    Ok(json!({
        "backend": if url.starts_with("sqlite") { "sqlite" } else { "postgres" },
        "build": if cfg!(debug_assertions) { "debug" } else { "release" },
        "orders": a.orders,
        "target_rate": a.rate,
        "achieved_rate": (f64::from(a.orders) / wall.as_secs_f64() * 10.0).round() / 10.0,
        "wall_ms": ms(wall),
        "p50_ms": quantile(&took, 0.50),
        "p95_ms": quantile(&took, 0.95),
        "p99_ms": quantile(&took, 0.99),
        "max_ms": took.last().map(|d| ms(*d)).unwrap_or(0.0),
        "failures": failures.len(),
        "failure_statuses": failures.into_iter().take(5).collect::<Vec<_>>(),
    }))
}
