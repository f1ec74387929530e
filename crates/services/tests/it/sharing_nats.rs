//! The sharing link over a real NATS JetStream server this test starts (nats-server with a
//! generated configuration: one user per instance, each allowed only its own subjects). A
//! county and a city instance, each with its own SQLite database: a publish on another
//! instance's subject and a consumer reading another's traffic are refused; the catalogue is
//! agreed over the link; directory changes flow; NATS is stopped while changes keep coming and
//! restarted — everything arrives; the city is killed in the middle of a batch and restarted —
//! nothing is lost and nothing applied twice; both logs verify.

use std::path::PathBuf;
use std::process::{Child, Command};
use std::time::{Duration, Instant};

use async_nats::jetstream::{self, consumer::pull};
use lianjian_domain::sharing::{DataKind, ShareStatus};
use lianjian_services::sharing::{self, flow, link};
use lianjian_services::{PageRequest, Services, cli_actor};
use lianjian_store::sharing as repo;
use lianjian_store::testing::TestDb;
use sea_orm::ConnectionTrait;
use uuid::Uuid;

use crate::DEMO;
use crate::sharing::{demo_order, env_with, held, input, rectify_and_close, report, touch};

const NATS_SERVER: &str = "/usr/sbin/nats-server";

struct Nats {
    conf: PathBuf,
    port: u16,
    child: Option<Child>,
    _dir: tempfile::TempDir,
}

impl Nats {
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let conf = dir.path().join("nats.conf");
        let users = [("county-a", "pw-county"), ("city", "pw-city")].map(|(i, p)| link::NatsUser {
            instance: i.into(),
            password: p.into(),
        });
        std::fs::write(
            &conf,
            link::server_config(port, &dir.path().join("js"), &users),
        )
        .unwrap();
        let mut n = Nats {
            conf,
            port,
            child: None,
            _dir: dir,
        };
        n.start();
        n
    }

    fn url(&self) -> String {
        format!("nats://127.0.0.1:{}", self.port)
    }

    fn start(&mut self) {
        let child = Command::new(NATS_SERVER)
            .arg("-c")
            .arg(&self.conf)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("nats-server");
        self.child = Some(child);
        let t = Instant::now();
        while std::net::TcpStream::connect(("127.0.0.1", self.port)).is_err() {
            assert!(
                t.elapsed() < Duration::from_secs(10),
                "nats-server did not start"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn stop(&mut self) {
        if let Some(mut c) = self.child.take() {
            c.kill().unwrap();
            c.wait().unwrap();
        }
    }
}

impl Drop for Nats {
    fn drop(&mut self) {
        self.stop();
    }
}

async fn wait_for(what: &str, secs: u64, mut f: impl AsyncFnMut() -> bool) {
    let t = Instant::now();
    while !f().await {
        assert!(
            t.elapsed() < Duration::from_secs(secs),
            "timed out waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn records(svc: &Services) -> u64 {
    repo::list_records(
        svc.store.conn(),
        "directory_changes",
        None,
        PageRequest::new(Some(1), Some(1)),
    )
    .await
    .unwrap()
    .total
}

async fn scalar(svc: &Services, sql: &str) -> i64 {
    svc.store
        .conn()
        .query_one_raw(sea_orm::Statement::from_string(
            svc.store.conn().get_database_backend(),
            sql,
        ))
        .await
        .unwrap()
        .unwrap()
        .try_get_by_index(0)
        .unwrap()
}

async fn received(svc: &Services) -> i64 {
    scalar(
        svc,
        "SELECT COUNT(*) FROM sharing_log WHERE event = 'received' AND note = 'directory_changes'",
    )
    .await
}

async fn sent(svc: &Services) -> i64 {
    scalar(
        svc,
        "SELECT COUNT(*) FROM sharing_log WHERE event = 'sent' AND note = 'directory_changes'",
    )
    .await
}

/// Proposes a share at the county and has both ends approve it, the control messages going
/// over the link; returns once it is active at both ends.
async fn agree_over_link(env: &crate::sharing::Env, kind: DataKind, regions: &str) -> Uuid {
    let admin = cli_actor();
    let s = sharing::propose(&env.county, &admin, &input(kind, regions))
        .await
        .unwrap();
    sharing::approve(&env.county, &admin, s.id).await.unwrap();
    wait_for("the proposal at the city", 20, async || {
        sharing::get(&env.city, &admin, s.id)
            .await
            .is_ok_and(|x| x.provider_approved_at.is_some())
    })
    .await;
    sharing::approve(&env.city, &admin, s.id).await.unwrap();
    wait_for("the share active at the county", 20, async || {
        sharing::get(&env.county, &admin, s.id)
            .await
            .is_ok_and(|x| x.status == ShareStatus::Active)
    })
    .await;
    s.id
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_link_refuses_foreign_subjects_survives_outages_and_applies_once() {
    let mut nats = Nats::new();
    let env = env_with(TestDb::sqlite_from(&DEMO).await.unwrap(), &nats.url(), true).await;
    let county_link = link::start(env.county.clone()).await.unwrap();
    let mut city_link = Some(link::start(env.city.clone()).await.unwrap());

    // The catalogue is agreed over the link.
    agree_over_link(&env, DataKind::DirectoryChanges, "411121").await;

    // The county's user may not publish on the city's subjects, nor read the city's traffic.
    let cfg = env.county.sharing.config().unwrap();
    let js = jetstream::new(link::connect(cfg).await.unwrap());
    let forged = js
        .publish(link::subject("city", "county-a"), "forged".into())
        .await;
    let refused = match forged {
        Err(_) => true,
        Ok(ack) => ack.await.is_err(),
    };
    assert!(refused, "a publish on the city's subject was accepted");
    let own = js
        .publish(link::subject("county-a", "nobody"), "x".into())
        .await
        .unwrap()
        .await;
    assert!(own.is_ok(), "the county's own subject: {own:?}");
    let spy = js
        .create_consumer_on_stream(
            pull::Config {
                durable_name: Some("to-county-a".into()),
                filter_subject: "lianjian.sharing.city.>".into(),
                ..Default::default()
            },
            link::stream_name("city"),
        )
        .await;
    assert!(spy.is_err(), "the county read the city's traffic to others");

    // Directory changes flow: first every entity in the share's regions (the initial load from
    // the change feed), then each change.
    let code = lianjian_domain::region::RegionCode::parse("411121").unwrap();
    let ids: Vec<Uuid> =
        lianjian_store::entities::scan(env.county.store.conn(), Some(&code), None, 300)
            .await
            .unwrap()
            .into_iter()
            .map(|e| e.id)
            .collect();
    assert!(ids.len() >= 60, "{}", ids.len());
    let in_scope = scalar(
        &env.county,
        "SELECT COUNT(*) FROM entities WHERE region_code LIKE '411121%'",
    )
    .await as u64;
    wait_for("the initial load at the city", 180, async || {
        records(&env.city).await == in_scope
    })
    .await;
    let caught_up = async |env: &crate::sharing::Env| {
        repo::unpublished_count(env.county.store.conn())
            .await
            .unwrap()
            == 0
            && received(&env.city).await == sent(&env.county).await
    };

    // NATS down: the county keeps producing into its log; restarted, everything arrives.
    nats.stop();
    let half = ids.len() / 2;
    touch(&env.county, &ids[..half]).await;
    wait_for("the backlog in the county's log", 30, async || {
        repo::unpublished_count(env.county.store.conn())
            .await
            .unwrap()
            >= half as i64
    })
    .await;
    let before = received(&env.city).await;
    nats.start();
    wait_for("catch-up after the outage", 180, async || {
        caught_up(&env).await
    })
    .await;
    assert_eq!(received(&env.city).await, before + half as i64);

    // The city killed in the middle of a batch, restarted.
    let before = received(&env.city).await;
    touch(&env.county, &ids[half..]).await;
    wait_for("part of the batch", 60, async || {
        received(&env.city).await > before
    })
    .await;
    drop(city_link.take());
    let at_kill = received(&env.city).await;
    city_link = Some(link::start(env.city.clone()).await.unwrap());
    wait_for("catch-up after the kill", 180, async || {
        caught_up(&env).await
    })
    .await;
    assert!(at_kill <= before + (ids.len() - half) as i64);
    assert_eq!(
        received(&env.city).await,
        before + (ids.len() - half) as i64
    );
    assert_eq!(records(&env.city).await, in_scope);

    // Applied once: every received data message has one inbox row and one "received" row.
    let received = received(&env.city).await;
    let distinct = scalar(&env.city, "SELECT COUNT(DISTINCT message_id) FROM sharing_log WHERE event = 'received' AND note = 'directory_changes'").await;
    assert_eq!(received, distinct, "a message applied twice");
    let inbox = scalar(
        &env.city,
        "SELECT COUNT(*) FROM sharing_inbox WHERE outcome = 'applied'",
    )
    .await;
    assert!(inbox >= received);
    let sent = sent(&env.county).await;
    assert_eq!(sent, received);
    // Receipts for all of them come back.
    wait_for("every receipt at the county", 60, async || {
        scalar(
            &env.county,
            "SELECT COUNT(*) FROM sharing_log WHERE event = 'receipt' AND note = 'applied'",
        )
        .await
            >= sent + 1
    })
    .await;
    assert!(flow::verify(&env.county).await.unwrap().is_ok());
    assert!(flow::verify(&env.city).await.unwrap().is_ok());
    let stats = env.city.sharing.stats();
    assert!(stats.lag_p95_ms.is_some());
    drop(city_link);
    drop(county_link);
}

/// A visit result produced on the county while the city's link is down arrives once when it
/// restarts, with the rectification order's changes, in order.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_county_result_arrives_once_on_the_city_after_a_link_restart() {
    let nats = Nats::new();
    let env = env_with(TestDb::sqlite_from(&DEMO).await.unwrap(), &nats.url(), true).await;
    let county_link = link::start(env.county.clone()).await.unwrap();
    let city_link = link::start(env.city.clone()).await.unwrap();
    agree_over_link(&env, DataKind::VisitResults, "411121").await;
    agree_over_link(&env, DataKind::Rectification, "411121").await;
    let (order, visit) = demo_order(&env.county).await;
    wait_for("the demo's result and order at the city", 60, async || {
        held(&env.city, DataKind::VisitResults).await.len() == 1
            && held(&env.city, DataKind::Rectification).await.len() == 1
    })
    .await;

    // The city's link stopped; the county reports, re-checks and closes meanwhile, and its
    // link publishes everything into its stream.
    drop(city_link);
    report(&env.county, order).await;
    rectify_and_close(&env.county, order, visit).await;
    let sent_of = async |kind: &str| {
        scalar(
            &env.county,
            &format!("SELECT COUNT(*) FROM sharing_log WHERE event = 'sent' AND note = '{kind}'"),
        )
        .await
    };
    wait_for("the county's messages published", 30, async || {
        sent_of("visit_results").await == 2
            && sent_of("rectification").await >= 2
            && repo::unpublished_count(env.county.store.conn())
                .await
                .unwrap()
                == 0
    })
    .await;
    let at_city = held(&env.city, DataKind::VisitResults).await;
    assert_eq!(
        at_city[0].status.as_deref(),
        Some("published"),
        "the link was down"
    );

    // Restarted: the closed visit and the passed order arrive, each message applied once.
    let city_link = link::start(env.city.clone()).await.unwrap();
    wait_for("the closed visit at the city", 60, async || {
        held(&env.city, DataKind::VisitResults).await[0]
            .status
            .as_deref()
            == Some("closed")
            && held(&env.city, DataKind::Rectification).await[0]
                .status
                .as_deref()
                == Some("passed")
    })
    .await;
    let received_of = async |kind: &str| {
        scalar(
            &env.city,
            &format!(
                "SELECT COUNT(*) FROM sharing_log WHERE event IN ('received', 'stale') AND note = '{kind}'"
            ),
        )
        .await
    };
    for kind in ["visit_results", "rectification"] {
        wait_for("every message of the kind", 30, async || {
            received_of(kind).await == sent_of(kind).await
        })
        .await;
        let distinct = scalar(
            &env.city,
            &format!("SELECT COUNT(DISTINCT message_id) FROM sharing_log WHERE event IN ('received', 'stale') AND note = '{kind}'"),
        )
        .await;
        assert_eq!(
            distinct,
            received_of(kind).await,
            "{kind}: a message applied twice"
        );
    }
    assert_eq!(held(&env.city, DataKind::VisitResults).await.len(), 1);
    assert!(flow::verify(&env.city).await.unwrap().is_ok());
    assert!(flow::verify(&env.county).await.unwrap().is_ok());
    drop(city_link);
    drop(county_link);
}
