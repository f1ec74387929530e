//! The demo seed builds a working county: published items whose directories are filled by tag
//! rules, 双告知 claims, and nothing changes when it runs again.

use std::time::Instant;

use lianjian_domain::item::ItemStatus;
use lianjian_domain::scope::Scope;
use lianjian_services::{PageRequest, SecurityConfig, Services, cli_actor, demo, items};
use lianjian_store::claims::{self, ClaimStatus};
use lianjian_store::items::ItemQuery;
use lianjian_store::testing::TestDb;
use lianjian_store::{audit, entities};

async fn counts(svc: &Services) -> (u64, u64, u64, u64, u64) {
    let c = svc.store.conn();
    let all = PageRequest::new(Some(1), Some(1));
    let pending = claims::queue(c, &Scope::system(), None, ClaimStatus::Pending, all)
        .await
        .unwrap()
        .total;
    let escalated = claims::queue(c, &Scope::system(), None, ClaimStatus::Escalated, all)
        .await
        .unwrap()
        .total;
    (
        entities::count(c).await.unwrap(),
        lianjian_store::items::count(c).await.unwrap(),
        audit::count(c).await.unwrap(),
        pending,
        escalated,
    )
}

#[tokio::test]
async fn demo_seed_builds_a_county_once() {
    let db = TestDb::sqlite().await.unwrap();
    let svc = Services::new(db.store.clone(), SecurityConfig::default());
    let started = Instant::now();
    assert!(demo::seed(&svc).await.unwrap());
    eprintln!("demo seed took {:?}", started.elapsed());

    let published = items::list(
        &svc,
        &Scope::public(),
        ItemQuery {
            status: Some(ItemStatus::Published),
            ..Default::default()
        },
        PageRequest::new(Some(1), Some(100)),
    )
    .await
    .unwrap();
    assert_eq!(published.total, 16);
    assert_eq!(
        published
            .items
            .iter()
            .filter(|i| i.code.starts_with("WY-2024-"))
            .count(),
        8
    );
    assert_eq!(
        published
            .items
            .iter()
            .filter(|i| i.code.starts_with("SD-PILOT-"))
            .count(),
        8
    );

    let actor = cli_actor();
    for item in published.items.iter().filter(|i| i.code.starts_with("WY-")) {
        let dir = items::directory(&svc, &actor, item.id, PageRequest::new(Some(1), Some(5)))
            .await
            .unwrap();
        assert!(
            dir.page.total > 0,
            "{} {} selects nothing",
            item.code,
            item.name
        );
        eprintln!("{} {}: {}", item.code, item.name, dir.page.total);
    }

    let before = counts(&svc).await;
    let (entities, _, _, pending, escalated) = before;
    eprintln!("{entities} entities, {pending} pending claims, {escalated} escalations");
    let c = svc.store.conn();
    for cl in claims::queue(
        c,
        &Scope::system(),
        None,
        ClaimStatus::Escalated,
        PageRequest::new(Some(1), Some(100)),
    )
    .await
    .unwrap()
    .items
    {
        eprintln!(
            "  escalated: {}",
            lianjian_store::entities::get(c, cl.entity_id)
                .await
                .unwrap()
                .unwrap()
                .name
        );
    }
    assert!((280..=320).contains(&entities), "{entities} entities");
    assert!(pending > entities / 2, "{pending} pending claims");
    assert!(
        (3..=20).contains(&escalated),
        "{escalated} escalations for the coordination office"
    );

    assert!(!demo::seed(&svc).await.unwrap());
    assert_eq!(counts(&svc).await, before, "a second seed changes nothing");
}
