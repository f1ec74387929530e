//! The directory change feed (`docs/architecture.md`, "Change feed"): two `Services`, each with
//! its own connection pool and directory index, on one database, as two servers would be. On
//! SQLite always; on PostgreSQL when `LIANJIAN_TEST_POSTGRES_URL` is set.

use std::time::{Duration, Instant};

use chrono::Datelike;
use lianjian_domain::usci::Usci;
use lianjian_engine::IndexQuery;
use lianjian_services::directory::{self, EntityInput};
use lianjian_services::draws::{self, DrawSpec};
use lianjian_services::plans::{self, PlanInput};
use lianjian_services::tags::{self, TagInput};
use lianjian_services::{PageRequest, Services, cli_actor};
use lianjian_store::Store;
use lianjian_store::changes::{self, DirectoryChange, FeedEntry};
use lianjian_store::entities::EntitySearch;
use lianjian_store::on_both_backends;
use lianjian_store::testing::TestDb;
use sea_orm::TransactionTrait;
use uuid::Uuid;

use crate::DEMO;

/// Two servers on one database (a copy of [`DEMO`]), both indexes built.
struct Pair {
    one: Services,
    two: Services,
    _db: TestDb,
}

async fn setup(db: TestDb) -> Pair {
    let one = Services::new(db.store.clone(), Default::default());
    one.load_index().await.unwrap();
    let two = Services::new(
        Store::connect(&db.url).await.expect("second pool"),
        Default::default(),
    );
    two.load_index().await.unwrap();
    Pair { one, two, _db: db }
}

on_both_backends!(
    template = DEMO, setup = setup, multi_thread;
    searches_counts_and_draw_pools_wait_for_the_other_servers_writes,
    the_follower_applies_changes_nobody_asked_for,
    a_server_behind_the_pruned_feed_rebuilds,
    feed_appends_wait_for_the_writer_before_them,
);

fn usci(n: u32) -> String {
    let first17 = format!("91411121CF{n:06}B");
    let code = format!("{first17}{}", Usci::check_char(&first17).unwrap());
    assert!(Usci::parse(&code).is_ok(), "{code}");
    code
}

/// An entity of Wuyang that item WY-2024-01 covers (it carries the item's tag).
fn food_producer(n: u32, name: &str) -> EntityInput {
    EntityInput {
        usci: usci(n),
        name: name.into(),
        entity_type: "enterprise".into(),
        region_code: "411121".into(),
        reg_status: "active".into(),
        tags: "获证食品生产企业".into(),
        ..Default::default()
    }
}

async fn search_total(svc: &Services, q: EntitySearch) -> u64 {
    svc.search_entities(&q, PageRequest::new(Some(1), Some(20)))
        .await
        .unwrap()
        .total
}

fn by_name(name: &str) -> EntitySearch {
    EntitySearch {
        q: Some(name.into()),
        ..Default::default()
    }
}

/// A published plan of item WY-2024-01 for next year, and the spec of a draw over it.
async fn next_years_draw(svc: &Services) -> DrawSpec {
    let a = cli_actor();
    let year = chrono::Utc::now().year() + 1;
    let plan = plans::create(
        svc,
        &a,
        &PlanInput {
            item: "WY-2024-01".into(),
            year: year.to_string(),
            period_start: format!("{year}-04-01"),
            period_end: format!("{year}-09-30"),
            qualifications: "食品安全".into(),
            ..Default::default()
        },
    )
    .await
    .expect("plan");
    plans::submit(svc, &a, plan.id).await.expect("submit");
    plans::approve(svc, &a, plan.id).await.expect("approve");
    plans::publish(svc, &a, plan.id).await.expect("publish");
    DrawSpec {
        title: "变更流测试".into(),
        region: "411121".into(),
        period_start: format!("{year}-04-01"),
        period_end: format!("{year}-09-30"),
        plan_ids: vec![plan.id],
        ..Default::default()
    }
}

async fn pool(svc: &Services, spec: &DrawSpec) -> u64 {
    draws::preview(svc, &cli_actor(), spec)
        .await
        .expect("preview")
        .candidates
}

/// A write on server one is in server two's search, item directory counts and draw pool at
/// once, with no follower running: the read-your-writes barrier applies the feed first.
async fn searches_counts_and_draw_pools_wait_for_the_other_servers_writes(p: Pair) {
    let a = cli_actor();
    let spec = next_years_draw(&p.one).await;
    let before = pool(&p.two, &spec).await;
    assert!(before > 0, "the demo's food producers are in the pool");

    let e = directory::save(&p.one, &a, &food_producer(1, "变更流甲食品有限公司"))
        .await
        .expect("save");
    // Server two has not applied it yet (nothing polls here) ...
    let head = changes::head(p.two.store.conn()).await.unwrap();
    assert!(p.two.index.applied() < head);
    // ... and its search, counts and draw pool see it all the same.
    assert_eq!(search_total(&p.two, by_name("变更流甲")).await, 1);
    assert_eq!(p.two.index.applied(), head);
    assert_eq!(pool(&p.two, &spec).await, before + 1);
    let counts = p
        .two
        .county_class_counts(&by_name("变更流甲"))
        .await
        .unwrap();
    assert_eq!(counts, vec![("411121".to_string(), None, 1)]);

    // A tag removed on one leaves the other's pool.
    directory::set_tag(&p.one, &a, e.id, "获证食品生产企业", false)
        .await
        .unwrap();
    assert_eq!(pool(&p.two, &spec).await, before);

    // A renamed tag: server two's index keeps tags by code and must move the entity over.
    let tag = tags::create(
        &p.one,
        &a,
        TagInput {
            code: "变更流旧码".into(),
            name: "变更流测试标签".into(),
            region_code: "41".into(),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    directory::set_tag(&p.one, &a, e.id, "变更流旧码", true)
        .await
        .unwrap();
    let with_tag = EntitySearch {
        tag_ids: vec![tag.id],
        ..Default::default()
    };
    assert_eq!(search_total(&p.two, with_tag.clone()).await, 1);
    tags::update(
        &p.one,
        &a,
        tag.id,
        TagInput {
            code: "变更流新码".into(),
            name: "变更流测试标签".into(),
            region_code: "41".into(),
            ..Default::default()
        },
        true,
    )
    .await
    .unwrap();
    assert_eq!(search_total(&p.two, with_tag).await, 1);
    let ix = p.two.index.read().unwrap();
    assert_eq!(ix.tag_bitmap("变更流新码").len(), 1);
    assert!(ix.tag_bitmap("变更流旧码").is_empty());
}

fn in_index(svc: &Services, name: &str) -> u64 {
    let ix = svc.index.read().expect("built");
    ix.search(
        &IndexQuery {
            q: Some(name.into()),
            ..Default::default()
        },
        0,
        10,
    )
    .total
}

/// With nobody reading, the follower brings server two's index up to date within its poll
/// interval (checked straight on the index, which has no barrier).
async fn the_follower_applies_changes_nobody_asked_for(p: Pair) {
    let follower = p.two.spawn_change_follower(Duration::from_millis(50));
    directory::save(
        &p.one,
        &cli_actor(),
        &food_producer(2, "变更流乙食品有限公司"),
    )
    .await
    .expect("save");
    let started = Instant::now();
    while in_index(&p.two, "变更流乙") == 0 {
        assert!(
            started.elapsed() < Duration::from_secs(2),
            "server two's index did not follow within 2 s"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    follower.abort();
}

/// Rows a server never applied are pruned: it notices the marker and rebuilds its index; a
/// server that had applied them carries on.
async fn a_server_behind_the_pruned_feed_rebuilds(p: Pair) {
    directory::save(
        &p.one,
        &cli_actor(),
        &food_producer(3, "变更流丙食品有限公司"),
    )
    .await
    .expect("save");
    let applied_one = p.one.index.applied();
    assert_eq!(
        applied_one,
        changes::head(p.one.store.conn()).await.unwrap()
    );
    assert_eq!(in_index(&p.two, "变更流丙"), 0);
    tokio::time::sleep(Duration::from_millis(5)).await;
    let pruned = p.one.prune_changes(Duration::ZERO).await.unwrap();
    assert!(pruned > 0);
    let rows = changes::read_after(p.one.store.conn(), 0, 10)
        .await
        .unwrap();
    assert_eq!(rows.len(), 1, "only the marker is left: {rows:?}");
    assert_eq!(
        rows[0].entry,
        FeedEntry::Pruned {
            through: applied_one
        }
    );
    // Server two had not applied the entity's row: it rebuilds and finds the entity.
    assert_eq!(search_total(&p.two, by_name("变更流丙")).await, 1);
    assert_eq!(in_index(&p.two, "变更流丙"), 1);
    assert_eq!(p.two.index.applied(), rows[0].seq);
    // Server one had: it passes the marker by.
    assert_eq!(p.one.follow_changes().await.unwrap(), 1);
    assert_eq!(p.one.index.applied(), rows[0].seq);
    assert_eq!(in_index(&p.one, "变更流丙"), 1);
}

/// `seq` order is commit order: an append in a transaction that did not take the writers'
/// lock up front (not begun by `Store::begin`) waits for the open writer, so its row cannot
/// commit before a row with a lower `seq`; and a rolled-back append leaves a gap nobody waits
/// for.
async fn feed_appends_wait_for_the_writer_before_them(p: Pair) {
    let (first, second, lost) = (Uuid::now_v7(), Uuid::now_v7(), Uuid::now_v7());
    let rolled_back = p.one.store.begin().await.unwrap();
    changes::append_directory_changes(&rolled_back, &[DirectoryChange::Entity(lost)])
        .await
        .unwrap();
    drop(rolled_back);

    let tx = p.one.store.begin().await.unwrap();
    changes::append_directory_changes(&tx, &[DirectoryChange::Entity(first)])
        .await
        .unwrap();
    let store = p.two.store.clone();
    let other = tokio::spawn(async move {
        let tx = store.conn().begin().await.unwrap();
        changes::append_directory_changes(&tx, &[DirectoryChange::Entity(second)])
            .await
            .unwrap();
        tx.commit().await.unwrap();
    });
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(
        !other.is_finished(),
        "the second append committed while the first writer was open"
    );
    tx.commit().await.unwrap();
    other.await.unwrap();

    let before = p.two.index.applied();
    let rows = changes::read_after(p.two.store.conn(), before, 10)
        .await
        .unwrap();
    let entries: Vec<FeedEntry> = rows.iter().map(|r| r.entry.clone()).collect();
    assert_eq!(
        entries,
        vec![
            FeedEntry::Change(DirectoryChange::Entity(first)),
            FeedEntry::Change(DirectoryChange::Entity(second)),
        ]
    );
    // The barrier reaches the head past the gap (the ids are of no entity: nothing to index).
    p.two.sync_index().await.unwrap();
    assert_eq!(p.two.index.applied(), rows[1].seq);
}
