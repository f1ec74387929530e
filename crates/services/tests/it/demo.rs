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
    // The sanction feedback's file goes to the evidence log, outside the source tree.
    let evidence = tempfile::tempdir().unwrap();
    let svc = Services::new(db.store.clone(), SecurityConfig::default()).with_evidence(
        lianjian_services::evidence::EvidenceConfig {
            dir: evidence.path().to_path_buf(),
            ..Default::default()
        },
    );
    let started = Instant::now();
    assert!(demo::seed(&svc).await.unwrap());
    eprintln!("demo seed took {:?}", started.elapsed());
    credit_work_is_there(&svc).await;
    guides_are_there(&svc).await;
    licensing_is_there(&svc).await;
    control_comparison_is_there(&svc).await;

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

/// Issue 16 item 4: the risk page's 随机对照检验 has 2026 with both arms of 30 results or more
/// and their lift.
async fn control_comparison_is_there(svc: &Services) {
    use lianjian_services::accounts;
    let admin = cli_actor();
    let u = accounts::find_user(svc, &admin, "wy.office").await.unwrap();
    let (_, token) = accounts::create_token(svc, &admin, u.id, "test", None)
        .await
        .unwrap();
    let office = accounts::authenticate_token(svc, &token, None)
        .await
        .unwrap();
    let years = lianjian_services::risk::control_lift_of(svc, &office)
        .await
        .unwrap();
    let y = years.iter().find(|y| y.year == 2026).expect("2026");
    eprintln!(
        "control {}/{}, weighted {}/{}, lift {:?}",
        y.control.problems, y.control.inspected, y.weighted.problems, y.weighted.inspected, y.lift
    );
    assert!(
        y.control.inspected >= 30 && y.weighted.inspected >= 30,
        "{y:?}"
    );
    assert!(y.lift.is_some(), "{y:?}");
}

/// Issue 17 item 7: a hand-over claimed on time with feedback, one escalated and assigned late,
/// one unclaimed past its deadline (red).
async fn licensing_is_there(svc: &Services) {
    use lianjian_domain::case::Light;
    use lianjian_domain::licensing::HandoverStatus;
    use lianjian_services::licensing;
    let all = licensing::list(
        svc,
        &cli_actor(),
        &Default::default(),
        PageRequest::new(Some(1), Some(20)),
    )
    .await
    .unwrap();
    let mut seen: Vec<(HandoverStatus, Light)> = all
        .items
        .iter()
        .map(|v| (v.handover.status, v.clocks[0].light))
        .collect();
    seen.sort_by_key(|x| x.0.as_str());
    assert_eq!(
        seen,
        [
            (HandoverStatus::Assigned, Light::Late),
            (HandoverStatus::Claimed, Light::Met),
            (HandoverStatus::Pending, Light::Red),
        ]
    );
    let fb = licensing::feedback_list(svc, &cli_actor(), true, PageRequest::new(Some(1), Some(20)))
        .await
        .unwrap();
    assert_eq!(fb.total, 1);
}

/// Issue 15 item 6: the evaluation run with explained classes, the sanction batch across three
/// departments with one feedback overdue and chased, the objection waiting, the repair granted.
async fn credit_work_is_there(svc: &Services) {
    use lianjian_domain::case::Light;
    use lianjian_domain::credit::appeal::{AppealKind, AppealStatus};
    use lianjian_domain::credit::sanction::TaskStatus;
    use lianjian_domain::directory::CreditClass;
    use lianjian_services::credit::evaluation as ev;
    use lianjian_services::credit::repair::{self, AppealQueue};
    use lianjian_services::credit::{public, sanctions};
    let office = crate::clues::actor(svc, "wy.office").await;
    let all = PageRequest::new(Some(1), Some(100));

    let runs = ev::runs(svc, &office, all).await.unwrap();
    assert_eq!(runs.items.len(), 1);
    let run = &runs.items[0];
    assert_eq!(run.status, "finished", "{:?}", run.error);
    assert!(run.entities >= 280, "{} entities evaluated", run.entities);
    assert_eq!(
        run.class_a + run.class_b + run.class_c + run.class_d,
        run.entities
    );
    let (_, changes) = ev::changes(svc, &office, run.id, all).await.unwrap();
    assert!(changes.total > 0);
    assert!(
        changes
            .items
            .iter()
            .all(|c| !c.change.explanation.contributions.is_empty()),
        "every class is explained"
    );

    let batches = sanctions::list_batches(svc, &office, None, None, all)
        .await
        .unwrap();
    assert_eq!(batches.items.len(), 1);
    let batch = sanctions::get_batch(svc, &office, batches.items[0].id)
        .await
        .unwrap();
    let mut statuses: Vec<_> = batch
        .tasks
        .iter()
        .map(|t| (t.status, t.light, t.supervised))
        .collect();
    statuses.sort_by_key(|s| s.0.as_str());
    assert_eq!(
        statuses,
        [
            (TaskStatus::Applied, None, 0),
            (TaskStatus::NotApplied, None, 0),
            (TaskStatus::Pending, Some(Light::Red), 1),
        ]
    );
    // The applied measure raises the producer's inspection frequency: class D.
    let subject = batch.subjects[0].entity_id;
    let page = ev::entity_credit(svc, &office, subject).await.unwrap();
    assert_eq!(page.class, Some(CreditClass::D));

    let appeals = repair::list(svc, &office, AppealQueue::All, None, None, all)
        .await
        .unwrap();
    let of = |k: AppealKind| {
        appeals
            .items
            .iter()
            .find(|a| a.kind == k)
            .unwrap_or_else(|| panic!("a demo {k:?}"))
    };
    assert_eq!(of(AppealKind::Objection).status, AppealStatus::Submitted);
    let repaired = of(AppealKind::Repair);
    assert_eq!(repaired.status, AppealStatus::Granted);
    // Its penalty is no longer published.
    let p = public::of_entity(svc, &repaired.usci).await.unwrap();
    assert!(
        p.entries
            .iter()
            .all(|e| !e.reference.as_deref().unwrap_or("").contains("21号")),
        "a repaired penalty is not public: {:?}",
        p.entries
    );
}

/// Issue 17 item 7: a guide for each Wuyang item (generated), two with explanatory text, the
/// departments' contacts in every guide.
async fn guides_are_there(svc: &Services) {
    use lianjian_domain::guide::SectionKind;
    for i in 1..=8 {
        let code = format!("WY-2024-{i:02}");
        let item = items::by_code(svc, &code).await.unwrap().unwrap();
        let g = lianjian_services::guides::guide(svc, item.id, chrono::Utc::now())
            .await
            .unwrap();
        assert_eq!(g.version, item.version, "{code}");
        assert!(!g.check_points.is_empty(), "{code} has no check points");
        assert!(
            g.departments.iter().all(|d| !d.contact.phone.is_empty()),
            "{code}: a department without contacts"
        );
        let written = g.section(SectionKind::Overview).is_some();
        assert_eq!(written, i <= 2, "{code}: explanatory text");
    }
}
