//! Two `lianjian serve` processes on one PostgreSQL database (issue 12, item 6): an entity
//! saved through the API of one is found by a search on the other and joins a draw pool there
//! within a bounded time. On PostgreSQL when `LIANJIAN_TEST_POSTGRES_URL` is set (skipped
//! without it), and on one SQLite file.

use crate::common;

use std::time::{Duration, Instant};

use chrono::Datelike;
use common::start;
use lianjian_domain::usci::Usci;
use lianjian_services::{Services, accounts, cli_actor, demo, plans};
use lianjian_store::Store;
use lianjian_store::testing::{POSTGRES_ENV, fresh_postgres_database};
use serde_json::{Value, json};

/// The longest a write on one server may take to show on the other.
const BOUND: Duration = Duration::from_secs(2);

async fn call(
    c: &reqwest::Client,
    method: reqwest::Method,
    url: String,
    token: &str,
    body: Option<Value>,
) -> (u16, Value) {
    let mut r = c.request(method, url).bearer_auth(token);
    if let Some(b) = body {
        r = r.json(&b);
    }
    let r = r.send().await.expect("request");
    let status = r.status().as_u16();
    let text = r.text().await.unwrap();
    (
        status,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_a_write_on_one_server_reaches_search_and_draw_pool_on_the_other() {
    let Some(base) = std::env::var(POSTGRES_ENV)
        .ok()
        .filter(|u| !u.trim().is_empty())
    else {
        eprintln!("skipped: {POSTGRES_ENV} unset");
        return;
    };
    scenario(&fresh_postgres_database(&base).await.unwrap()).await;
}

/// The same on one SQLite file (two processes share it as `lianjian import` and a server do).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_a_write_on_one_server_reaches_search_and_draw_pool_on_the_other() {
    let dir = common::temp_dir("two-servers");
    scenario(&format!("sqlite://{}/lj.db", dir.display())).await;
    let _ = std::fs::remove_dir_all(&dir);
}

async fn scenario(url: &str) {
    let url = url.to_string();
    // The demo data, a published plan of item WY-2024-01 for next year and an API token of
    // Wuyang's coordination office, made in-process before the servers start.
    // The demo's evidence file (a sanction's feedback) goes outside the source tree.
    let evidence = tempfile::tempdir().unwrap();
    let svc = Services::new(
        Store::connect_and_migrate(&url).await.unwrap(),
        Default::default(),
    )
    .with_evidence(lianjian_services::evidence::EvidenceConfig {
        dir: evidence.path().to_path_buf(),
        ..Default::default()
    });
    demo::seed(&svc).await.unwrap();
    let a = cli_actor();
    let year = chrono::Utc::now().year() + 1;
    let plan = plans::create(
        &svc,
        &a,
        &plans::PlanInput {
            item: "WY-2024-01".into(),
            year: year.to_string(),
            period_start: format!("{year}-04-01"),
            period_end: format!("{year}-09-30"),
            qualifications: "食品安全".into(),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    plans::submit(&svc, &a, plan.id).await.unwrap();
    plans::approve(&svc, &a, plan.id).await.unwrap();
    plans::publish(&svc, &a, plan.id).await.unwrap();
    let office = accounts::find_user(&svc, &a, "wy.office").await.unwrap();
    let (_, token) = accounts::create_token(&svc, &a, office.id, "two servers", Some(1))
        .await
        .unwrap();
    svc.store.close().await.unwrap();

    let one = start(&["serve", "--listen", "127.0.0.1:0", "--database-url", &url]);
    let two = start(&["serve", "--listen", "127.0.0.1:0", "--database-url", &url]);
    let c = reqwest::Client::new();
    let spec = json!({
        "title": "两台服务器",
        "region_code": "411121",
        "period_start": format!("{year}-04-01"),
        "period_end": format!("{year}-09-30"),
        "plan_ids": [plan.id],
        "unwitnessed_reason": "测试：两台服务器",
    });
    let pool = async |base: &str| -> u64 {
        let (s, b) = call(
            &c,
            reqwest::Method::POST,
            format!("{base}/api/v1/draws/preview"),
            &token,
            Some(spec.clone()),
        )
        .await;
        assert_eq!(s, 200, "{b}");
        b["candidates"].as_u64().unwrap()
    };
    let found = async |base: &str| -> u64 {
        let (s, b) = call(
            &c,
            reqwest::Method::GET,
            format!("{base}/api/v1/entities?q=%E4%B8%A4%E5%8F%B0%E7%94%B2"),
            &token,
            None,
        )
        .await;
        assert_eq!(s, 200, "{b}");
        b["total"].as_u64().unwrap()
    };
    // Both servers have built their indexes (the draw preview waits for it).
    let before = pool(&two.base).await;
    assert_eq!(pool(&one.base).await, before);
    assert_eq!(found(&two.base).await, 0);

    let first17 = "91411121CF900001B";
    let usci = format!("{first17}{}", Usci::check_char(first17).unwrap());
    let (s, b) = call(
        &c,
        reqwest::Method::POST,
        format!("{}/api/v1/entities", one.base),
        &token,
        Some(json!({
            "usci": usci,
            "name": "两台甲食品有限公司",
            "region_code": "411121",
            "tags": ["获证食品生产企业"],
        })),
    )
    .await;
    assert_eq!(s, 201, "{b}");
    let written = Instant::now();

    // Server two (its index is built: the previews above waited for it, so the search runs
    // on the index, not in SQL): the search and the draw pool show it, within the bound.
    let mut attempts = 0;
    loop {
        attempts += 1;
        if found(&two.base).await == 1 && pool(&two.base).await == before + 1 {
            break;
        }
        assert!(
            written.elapsed() < BOUND,
            "server two did not see server one's write within {BOUND:?}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    eprintln!(
        "seen on the other server after {:?} ({attempts} attempt(s))",
        written.elapsed()
    );
    assert_eq!(found(&one.base).await, 1);
    assert_eq!(pool(&one.base).await, before + 1);
}
