//! The use cases behind the staff console's queues (issue 13 item 3), on both backends: a tag
//! rule's preview is exactly the change its confirmation makes, 双告知 claims decided in a
//! batch row by row with the single action's authorization, and the to-do counts.

use lianjian_domain::scope::Actor;
use lianjian_services::directory::{self, ClaimDecision};
use lianjian_services::{PageRequest, ServiceError, Services, accounts, cli_actor, queues, tags};
use lianjian_store::on_both_backends;
use lianjian_store::testing::TestDb;

use crate::DEMO;

struct Env {
    svc: Services,
    _db: TestDb,
}

async fn setup(db: TestDb) -> Env {
    Env {
        svc: Services::new(db.store.clone(), Default::default()),
        _db: db,
    }
}

async fn actor(svc: &Services, username: &str) -> Actor {
    let admin = cli_actor();
    let u = accounts::find_user(svc, &admin, username).await.unwrap();
    let (_, token) = accounts::create_token(svc, &admin, u.id, "test", None)
        .await
        .unwrap();
    accounts::authenticate_token(svc, &token, None)
        .await
        .unwrap()
}

on_both_backends!(
    template = DEMO, setup = setup;
    a_rule_preview_is_the_change_its_confirmation_makes,
    a_claim_batch_is_decided_row_by_row,
);

async fn a_rule_preview_is_the_change_its_confirmation_makes(env: Env) {
    let svc = &env.svc;
    let office = actor(svc, "wy.office").await;
    let p = tags::preview_add_rule(svc, &office, "医疗美容机构", "scope_keyword", "美容")
        .await
        .unwrap();
    assert!(p.gained > 0 && p.lost == 0, "{p:?}");
    assert!(p.gained_sample.len() as u64 == p.gained.min(tags::PREVIEW_SAMPLE as u64));
    let rules_before = tags::rules_list(svc).await.unwrap().len();
    // Other counts than the directory gives: refused, nothing written.
    let e = tags::add_rule_as_previewed(
        svc,
        &office,
        "医疗美容机构",
        "scope_keyword",
        "美容",
        Some((p.gained + 1, 0)),
    )
    .await
    .unwrap_err();
    assert!(matches!(e, ServiceError::Conflict { .. }), "{e:?}");
    assert_eq!(tags::rules_list(svc).await.unwrap().len(), rules_before);
    let (rule, n) = tags::add_rule_as_previewed(
        svc,
        &office,
        "医疗美容机构",
        "scope_keyword",
        "美容",
        Some((p.gained, p.lost)),
    )
    .await
    .unwrap();
    assert_eq!(n, p.gained);
    // Removing it again: the preview names the same entities as losing the tag.
    let (_, back) = tags::preview_remove_rule(svc, &office, rule.id)
        .await
        .unwrap();
    assert_eq!((back.gained, back.lost), (0, p.gained));
    assert_eq!(back.lost_sample, p.gained_sample);
    // A department that does not own the tag may not even preview it.
    let market = actor(svc, "wy.market").await;
    let e = tags::preview_remove_rule(svc, &market, rule.id)
        .await
        .unwrap_err();
    assert!(matches!(e, ServiceError::Forbidden), "{e:?}");
}

async fn a_claim_batch_is_decided_row_by_row(env: Env) {
    let svc = &env.svc;
    let market = actor(svc, "wy.market").await;
    let health = actor(svc, "wy.health").await;
    let page = PageRequest::new(Some(1), Some(100));
    let mine = directory::claim_queue(svc, &market, page).await.unwrap();
    let theirs = directory::claim_queue(svc, &health, page).await.unwrap();
    let ids = [
        mine.items[0].claim.id,
        theirs.items[0].claim.id,
        mine.items[0].claim.id,
    ];
    let rows = directory::decide_claims(svc, &market, &ids, &ClaimDecision::Accept)
        .await
        .unwrap();
    // The repeated id is decided once; the other department's claim is not found and nameless.
    assert_eq!(rows.len(), 2);
    assert!(rows[0].error.is_none());
    assert_eq!(
        rows[0].entity_name.as_deref(),
        Some(mine.items[0].entity_name.as_str())
    );
    assert!(matches!(rows[1].error, Some(ServiceError::NotFound)));
    assert!(rows[1].entity_name.is_none());
    let after = directory::claim_queue(svc, &health, page).await.unwrap();
    assert_eq!(after.total, theirs.total);
    // Batch-level faults refuse everything.
    let e = directory::decide_claims(svc, &market, &[], &ClaimDecision::Accept)
        .await
        .unwrap_err();
    assert!(matches!(e, ServiceError::Invalid(_)));
    let e = directory::decide_claims(
        svc,
        &market,
        &[mine.items[1].claim.id],
        &ClaimDecision::Reject { reason: " ".into() },
    )
    .await
    .unwrap_err();
    assert!(matches!(e, ServiceError::Invalid(_)));
    assert_eq!(
        directory::claim_queue(svc, &market, page)
            .await
            .unwrap()
            .total,
        mine.total - 1
    );
    // The home's counts come from the same queue.
    let q = queues::todo(svc, &market).await.unwrap();
    let claims = q
        .iter()
        .find(|x| matches!(x.kind, queues::QueueKind::Claims { escalations: false }))
        .unwrap();
    assert_eq!(claims.count, mine.total - 1);
    let leader = actor(svc, "wy.leader").await;
    assert!(queues::todo(svc, &leader).await.unwrap().is_empty());
}
