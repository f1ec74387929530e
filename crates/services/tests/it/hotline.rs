//! The 12345 interface's service rules on both backends: clue codes stay distinct under
//! concurrent registrations (the per-prefix counter row), a pushed order's deadline and
//! dispatching unit are recorded on its registration event without the caller's data, and the
//! feed maps only the steps in its table.

use std::collections::BTreeSet;

use lianjian_domain::case::CaseKind;
use lianjian_services::clues::hotline::{self, HotlineOrder};
use lianjian_services::clues::{self, ClueInput};
use lianjian_services::{Services, accounts, cli_actor};
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

on_both_backends!(
    template = DEMO, setup = setup;
    concurrent_registrations_get_distinct_consecutive_codes,
    a_pushed_order_keeps_its_deadline_on_the_register_event,
);

async fn office(svc: &Services) -> lianjian_domain::scope::Actor {
    let admin = cli_actor();
    let u = accounts::find_user(svc, &admin, "wy.office").await.unwrap();
    let (_, token) = accounts::create_token(svc, &admin, u.id, "test", None)
        .await
        .unwrap();
    accounts::authenticate_token(svc, &token, None)
        .await
        .unwrap()
}

async fn concurrent_registrations_get_distinct_consecutive_codes(env: Env) {
    let a = office(&env.svc).await;
    let mut tasks = Vec::new();
    for i in 0..8 {
        let svc = env.svc.clone();
        let a = a.clone();
        tasks.push(tokio::spawn(async move {
            let input = ClueInput {
                source: "patrol".into(),
                kind: "report".into(),
                content: format!("并发登记测试 {i}：某经营户无证经营"),
                address: "舞阳县城关镇".into(),
                region_code: "411121".into(),
                ..Default::default()
            };
            clues::register(&svc, &a, &input).await
        }));
    }
    let mut codes = BTreeSet::new();
    for t in tasks {
        let d = t.await.unwrap().unwrap_or_else(|e| panic!("{e:?}"));
        codes.insert(d.clue.code);
    }
    assert_eq!(codes.len(), 8, "{codes:?}");
    // Consecutive numbers under one prefix (nothing failed, so no gap).
    let nums: Vec<u64> = codes
        .iter()
        .map(|c| c.rsplit('-').next().unwrap().parse().unwrap())
        .collect();
    assert_eq!(nums.last().unwrap() - nums.first().unwrap(), 7, "{codes:?}");
}

async fn a_pushed_order_keeps_its_deadline_on_the_register_event(env: Env) {
    let a = office(&env.svc).await;
    let o = HotlineOrder {
        order_no: "12345-SVC-0001".into(),
        called_at: "2026-12-07T09:30:00+08:00".into(),
        caller_name: Some("李四".into()),
        caller_phone: Some("0395-1234567".into()),
        kind: "求助".into(),
        content: "小区门口流动摊贩占道经营，请处理".into(),
        address: "舞阳县城关镇解放路".into(),
        region_code: "411121".into(),
        entity: Some("名录中没有的某摊点".into()),
        deadline_date: Some("2026-12-18".into()),
        dispatching_unit: Some("漯河市 12345 热线".into()),
        ..Default::default()
    };
    let r = hotline::push(&env.svc, &a, &o).await.unwrap();
    assert!(r.created);
    let events = lianjian_store::cases::events_of(env.svc.store.conn(), CaseKind::Clue, r.clue_id)
        .await
        .unwrap();
    assert_eq!(events.len(), 1);
    let d: serde_json::Value = serde_json::from_str(events[0].detail.as_deref().unwrap()).unwrap();
    let h = &d["hotline"];
    assert_eq!(h["order_no"], "12345-SVC-0001");
    assert_eq!(h["deadline_date"], "2026-12-18");
    assert_eq!(h["dispatching_unit"], "漯河市 12345 热线");
    assert_eq!(h["entity_note"], "not_in_directory");
    assert_eq!(h["entity_given"], "名录中没有的某摊点");
    // Neither the event nor the audit entry carries the caller.
    let text = events[0].detail.clone().unwrap();
    assert!(
        !text.contains("李四") && !text.contains("1234567"),
        "{text}"
    );
    // Pushed again: the same clue, not created.
    let again = hotline::push(&env.svc, &a, &o).await.unwrap();
    assert!(!again.created);
    assert_eq!(again.code, r.code);
    // An order's 办理时限 in working days is its finishing clock once dispatched.
    let o2 = HotlineOrder {
        order_no: "12345-SVC-0002".into(),
        deadline_date: None,
        deadline_days: Some(8),
        ..o.clone()
    };
    let r2 = hotline::push(&env.svc, &a, &o2).await.unwrap();
    let x = lianjian_store::departments::find_by_name(
        env.svc.store.conn(),
        &lianjian_domain::region::RegionCode::parse("411121").unwrap(),
        "县市场监管局",
    )
    .await
    .unwrap()
    .unwrap()
    .id;
    let d = lianjian_services::clues::dispatch(&env.svc, &a, r2.clue_id, x)
        .await
        .unwrap();
    let finish = d.clue.clocks.iter().find(|k| k.name == "finish").unwrap();
    assert_eq!(finish.working_days, 8);
    // Every feed row maps a distinct action.
    let actions: BTreeSet<&str> = hotline::FEED.iter().map(|f| f.action).collect();
    assert_eq!(actions.len(), hotline::FEED.len());
}
