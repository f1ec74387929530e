//! 审管衔接 (issue 17 item 2) on both backends: an approval result pushed by the bureau is
//! offered to the supervising department as a 双告知 claim with a claiming clock; a repeated
//! push changes nothing; the department claims it through the claim service (clock met); an
//! unclaimed one expires and escalates to the office, which assigns it (clock late); a
//! rejection escalates with its reason; bad input names every field; feedback reaches the
//! bureau, which acknowledges it; an xlsx of results is checked row by row, saved all or
//! nothing, and each row handed over exactly as a push.

use chrono::Duration;
use lianjian_domain::case::Light;
use lianjian_domain::claim::{ClaimSource, ClaimStatus};
use lianjian_domain::licensing::{HandoverStatus, LicenceInput};
use lianjian_services::licensing::{self, FeedbackInput};
use lianjian_services::{ServiceError, Services, directory};
use lianjian_store::on_both_backends;
use lianjian_store::testing::TestDb;

use crate::DEMO;
use crate::clues::{actor, department, page};

pub(crate) struct Env {
    svc: Services,
    _db: TestDb,
}

async fn setup(db: TestDb) -> Env {
    Env {
        svc: Services::new(db.store.clone(), Default::default())
            .with_clock(lianjian_services::clock::Clock::adjustable()),
        _db: db,
    }
}

on_both_backends!(
    template = DEMO, setup = setup;
    a_pushed_licence_is_claimed_through_the_claim_queue_and_a_repeat_changes_nothing,
    an_unclaimed_licence_escalates_and_the_office_assigns_it_late,
    a_rejection_escalates_with_its_reason,
    bad_input_names_every_field_and_only_the_bureau_pushes,
    feedback_reaches_the_bureau_which_acknowledges_it,
    an_xlsx_of_results_is_all_or_nothing_and_each_row_is_handed_over_as_a_push,
);

async fn usci(svc: &Services) -> String {
    let code = lianjian_domain::region::RegionCode::parse("411121").unwrap();
    lianjian_store::entities::scan(svc.store.conn(), Some(&code), None, 1)
        .await
        .unwrap()
        .remove(0)
        .usci
}

/// The first claim of the actor's queue (every page) that `f` picks.
async fn in_queue(
    svc: &Services,
    a: &lianjian_domain::scope::Actor,
    f: impl Fn(&directory::ClaimView) -> bool,
) -> Option<lianjian_store::claims::Claim> {
    for n in 1.. {
        let q =
            directory::claim_queue(svc, a, lianjian_store::PageRequest::new(Some(n), Some(200)))
                .await
                .unwrap();
        if let Some(v) = q.items.iter().find(|v| f(v)) {
            return Some(v.claim.clone());
        }
        if q.items.len() < 200 {
            return None;
        }
    }
    None
}

fn input(no: &str, usci: &str) -> LicenceInput {
    LicenceInput {
        licence_no: no.into(),
        event: "准予许可".into(),
        usci: usci.into(),
        item_code: "WY-2024-01".into(),
        licence_name: "食品生产许可".into(),
        decided_on: "2026-12-01".into(),
        bureau: "县行政审批和政务信息管理局".into(),
    }
}

async fn a_pushed_licence_is_claimed_through_the_claim_queue_and_a_repeat_changes_nothing(
    env: Env,
) {
    let svc = &env.svc;
    let office = actor(svc, "wy.office").await;
    let market = actor(svc, "wy.market").await;
    let market_id = department(svc, "411121", "县市场监管局").await;
    let u = usci(svc).await;
    let out = licensing::push(svc, &office, &input("SC14111210001", &u))
        .await
        .unwrap();
    assert_eq!(out.outcome, "created");
    assert_eq!(out.status, HandoverStatus::Pending);
    assert_eq!(out.department_id, Some(market_id));
    // The same push again: nothing new; a corrected name: an update, still one hand-over.
    let again = licensing::push(svc, &office, &input("SC14111210001", &u))
        .await
        .unwrap();
    assert_eq!((again.id, again.outcome), (out.id, "unchanged"));
    let mut fixed = input("SC14111210001", &u);
    fixed.licence_name = "食品生产许可（糕点）".into();
    assert_eq!(
        licensing::push(svc, &office, &fixed).await.unwrap().outcome,
        "updated"
    );
    // The department finds it in its 双告知 queue, as a claim of source licence.
    let cl = in_queue(svc, &market, |v| v.claim.source_id == Some(out.id))
        .await
        .expect("in the market bureau's claim queue");
    assert_eq!(cl.source, ClaimSource::Licence);
    let d = licensing::get(svc, &market, out.id).await.unwrap();
    assert_eq!(d.actionable_claim, Some(cl.id));
    assert_eq!(d.view.clocks[0].light, Light::Green);
    directory::decide_claim(svc, &market, cl.id, true, "")
        .await
        .unwrap();
    let d = licensing::get(svc, &market, out.id).await.unwrap();
    assert_eq!(d.view.handover.status, HandoverStatus::Claimed);
    assert_eq!(d.view.handover.licence_name, "食品生产许可（糕点）");
    assert_eq!(d.view.clocks[0].light, Light::Met);
    let actions: Vec<&str> = d.timeline.iter().map(|e| e.action.as_str()).collect();
    assert_eq!(actions, ["push", "update", "claim"]);
    assert_eq!(d.actionable_claim, None);
    // Claimed once: deciding again is refused as absent.
    assert!(matches!(
        directory::decide_claim(svc, &market, cl.id, true, "").await,
        Err(ServiceError::NotFound)
    ));
}

async fn an_unclaimed_licence_escalates_and_the_office_assigns_it_late(env: Env) {
    let svc = &env.svc;
    let office = actor(svc, "wy.office").await;
    let market_id = department(svc, "411121", "县市场监管局").await;
    let u = usci(svc).await;
    let out = licensing::push(svc, &office, &input("SC14111210002", &u))
        .await
        .unwrap();
    assert_eq!(licensing::escalate_overdue(svc).await.unwrap(), 0);
    svc.clock.advance(Duration::days(12));
    let d = licensing::get(svc, &office, out.id).await.unwrap();
    assert_eq!(d.view.clocks[0].light, Light::Red);
    assert!(licensing::escalate_overdue(svc).await.unwrap() >= 1);
    assert_eq!(licensing::escalate_overdue(svc).await.unwrap(), 0);
    let d = licensing::get(svc, &office, out.id).await.unwrap();
    assert_eq!(d.view.handover.status, HandoverStatus::Escalated);
    assert_eq!(d.view.handover.department_id, None);
    let statuses: Vec<ClaimStatus> = d.claims.iter().map(|(c, _)| c.status).collect();
    assert_eq!(statuses, [ClaimStatus::Expired, ClaimStatus::Escalated]);
    assert_eq!(d.timeline.last().unwrap().actor, "系统（超时自动处理）");
    // The office finds it in its escalation queue and assigns it; the clock stops late.
    let esc = d.actionable_claim.expect("the office may assign it");
    assert!(
        in_queue(svc, &office, |v| v.claim.id == esc)
            .await
            .is_some()
    );
    directory::assign_claim(svc, &office, esc, market_id, "按事项主管部门指定")
        .await
        .unwrap();
    let d = licensing::get(svc, &office, out.id).await.unwrap();
    assert_eq!(d.view.handover.status, HandoverStatus::Assigned);
    assert_eq!(d.view.handover.department_id, Some(market_id));
    assert_eq!(d.view.clocks[0].light, Light::Late);
    let actions: Vec<&str> = d.timeline.iter().map(|e| e.action.as_str()).collect();
    assert_eq!(actions, ["push", "expire", "assign"]);
}

async fn a_rejection_escalates_with_its_reason(env: Env) {
    let svc = &env.svc;
    let office = actor(svc, "wy.office").await;
    let market = actor(svc, "wy.market").await;
    let u = usci(svc).await;
    let out = licensing::push(svc, &office, &input("SC14111210003", &u))
        .await
        .unwrap();
    let d = licensing::get(svc, &market, out.id).await.unwrap();
    let cl = d.actionable_claim.unwrap();
    // A rejection needs a reason.
    assert!(matches!(
        directory::decide_claim(svc, &market, cl, false, " ").await,
        Err(ServiceError::Invalid(_))
    ));
    directory::decide_claim(svc, &market, cl, false, "该许可不属本局监管")
        .await
        .unwrap();
    let d = licensing::get(svc, &office, out.id).await.unwrap();
    assert_eq!(d.view.handover.status, HandoverStatus::Escalated);
    let last = d.timeline.last().unwrap();
    assert_eq!(last.action, "escalate");
    assert!(
        last.reason
            .as_deref()
            .unwrap()
            .contains("该许可不属本局监管")
    );
    // The clock keeps running while the office decides.
    assert!(d.view.clocks[0].light.is_running());
}

async fn bad_input_names_every_field_and_only_the_bureau_pushes(env: Env) {
    let svc = &env.svc;
    let office = actor(svc, "wy.office").await;
    let bad = LicenceInput {
        licence_no: "S 1".into(),
        event: "批准".into(),
        usci: "123".into(),
        item_code: "".into(),
        licence_name: "".into(),
        decided_on: "2099-01-01".into(),
        bureau: "".into(),
    };
    let Err(ServiceError::Invalid(f)) = licensing::push(svc, &office, &bad).await else {
        panic!("refused");
    };
    let fields: Vec<&str> = f.iter().map(|f| f.field.as_str()).collect();
    assert_eq!(
        fields,
        [
            "licence_no",
            "event",
            "usci",
            "item_code",
            "licence_name",
            "decided_on",
            "bureau"
        ]
    );
    let u = usci(svc).await;
    let mut unknown = input("SC14111210004", &u);
    unknown.item_code = "NO-SUCH".into();
    let Err(ServiceError::Invalid(f)) = licensing::push(svc, &office, &unknown).await else {
        panic!("refused");
    };
    assert!(
        f.iter()
            .any(|f| f.field == "item_code" && f.code == "unknown_item")
    );
    // An inspector, a supervising department and a leader may not push.
    for who in ["wy.zhang", "wy.health", "wy.leader"] {
        let a = actor(svc, who).await;
        assert!(matches!(
            licensing::push(svc, &a, &input("SC14111210005", &u)).await,
            Err(ServiceError::Forbidden)
        ));
    }
    // Nothing was stored.
    let all = licensing::list(svc, &office, &Default::default(), page())
        .await
        .unwrap();
    assert!(
        all.items
            .iter()
            .all(|v| v.handover.licence_no != "SC14111210005")
    );
}

async fn feedback_reaches_the_bureau_which_acknowledges_it(env: Env) {
    let svc = &env.svc;
    let office = actor(svc, "wy.office").await;
    let market = actor(svc, "wy.market").await;
    let health = actor(svc, "wy.health").await;
    let u = usci(svc).await;
    let out = licensing::push(svc, &office, &input("SC14111210006", &u))
        .await
        .unwrap();
    let d = licensing::get(svc, &market, out.id).await.unwrap();
    directory::decide_claim(svc, &market, d.actionable_claim.unwrap(), true, "")
        .await
        .unwrap();
    let fb = FeedbackInput {
        kind: "吊销许可建议".into(),
        content: "双随机检查发现其超范围生产经营，建议依法吊销食品生产许可证。".into(),
        visit_id: None,
    };
    // Not the supervising department: refused.
    assert!(
        licensing::feed_back(svc, &health, out.id, &fb)
            .await
            .is_err()
    );
    let mut bad = fb.clone();
    bad.kind = "建议".into();
    bad.visit_id = Some("not-a-visit".into());
    let Err(ServiceError::Invalid(f)) = licensing::feed_back(svc, &market, out.id, &bad).await
    else {
        panic!("refused");
    };
    let fields: Vec<&str> = f.iter().map(|f| f.field.as_str()).collect();
    assert_eq!(fields, ["kind", "visit_id"]);
    let f = licensing::feed_back(svc, &market, out.id, &fb)
        .await
        .unwrap();
    let unread = licensing::feedback_list(svc, &office, true, page())
        .await
        .unwrap();
    assert!(unread.items.iter().any(|x| x.id == f.id));
    let read = licensing::acknowledge(svc, &office, f.id).await.unwrap();
    let first = read.read_at.unwrap();
    assert_eq!(
        licensing::acknowledge(svc, &office, f.id)
            .await
            .unwrap()
            .read_at,
        Some(first)
    );
    let unread = licensing::feedback_list(svc, &office, true, page())
        .await
        .unwrap();
    assert!(unread.items.iter().all(|x| x.id != f.id));
    // Supervising departments cannot mark the bureau's receipts.
    assert!(matches!(
        licensing::acknowledge(svc, &market, f.id).await,
        Err(ServiceError::Forbidden)
    ));
}

async fn an_xlsx_of_results_is_all_or_nothing_and_each_row_is_handed_over_as_a_push(env: Env) {
    use lianjian_services::exchange::licensing as sheet;
    let svc = &env.svc;
    let office = actor(svc, "wy.office").await;
    let market = actor(svc, "wy.market").await;
    let market_id = department(svc, "411121", "县市场监管局").await;
    let u = usci(svc).await;
    let prefix = |p: &str| lianjian_store::licensing::HandoverQuery {
        q: Some(p.into()),
        ..Default::default()
    };
    // Row 3 names an unknown item, row 4 a bad date, row 5 repeats row 2.
    let mut unknown_item = input("XL14111210002", &u);
    unknown_item.item_code = "NO-SUCH".into();
    let mut bad_date = input("XL14111210003", &u);
    bad_date.decided_on = "2026-13-01".into();
    let rows = vec![
        input("XL14111210001", &u),
        unknown_item,
        bad_date,
        input("XL14111210001", &u),
    ];
    let file = sheet::sheet_of(&rows);
    let o = sheet::import(svc, &office, &file, false, &|_| {})
        .await
        .unwrap();
    let named: Vec<(u32, &str, &str, &str)> = o
        .errors
        .iter()
        .map(|e| (e.row, e.column.as_str(), e.value.as_str(), e.code.as_str()))
        .collect();
    assert_eq!(
        named,
        [
            (3, "监管事项编码", "NO-SUCH", "unknown_item"),
            (4, "决定日期", "2026-13-01", named[1].3),
            (5, "许可证号", "XL14111210001", "duplicate_licence"),
        ]
    );
    assert!(o.errors.iter().all(|e| !e.reason.is_empty()));
    assert_eq!(o.processed(), 0);
    // Nothing half-written: not even the good first row.
    let none = licensing::list(svc, &office, &prefix("XL1411121"), page())
        .await
        .unwrap();
    assert_eq!(none.total, 0);
    // Skipping the invalid rows: the good row is handed over, the rest come back as a report.
    let o = sheet::import(svc, &office, &file, true, &|_| {})
        .await
        .unwrap();
    assert_eq!((o.report.inserted, o.skipped), (1, 3));
    assert!(o.error_report.is_some());
    let got = licensing::list(svc, &office, &prefix("XL14111210001"), page())
        .await
        .unwrap();
    assert_eq!(got.total, 1);
    let h = &got.items[0].handover;
    assert_eq!(
        (h.channel.as_str(), h.status, h.department_id),
        ("xlsx", HandoverStatus::Pending, Some(market_id))
    );
    // Exactly as a push: a 双告知 claim in the department's queue, a running claim clock, the
    // case's first step.
    let cl = in_queue(svc, &market, |v| v.claim.source_id == Some(h.id))
        .await
        .expect("in the market bureau's claim queue");
    assert_eq!(cl.source, ClaimSource::Licence);
    let d = licensing::get(svc, &market, h.id).await.unwrap();
    assert_eq!(d.view.clocks[0].light, Light::Green);
    let actions: Vec<&str> = d.timeline.iter().map(|e| e.action.as_str()).collect();
    assert_eq!(actions, ["push"]);
    // The same row again (by file or by API): unchanged; a corrected name: updated.
    let again = sheet::sheet_of(&[input("XL14111210001", &u)]);
    let o = sheet::import(svc, &office, &again, false, &|_| {})
        .await
        .unwrap();
    assert_eq!(
        (o.report.inserted, o.report.updated, o.report.unchanged),
        (0, 0, 1)
    );
    let mut fixed = input("XL14111210001", &u);
    fixed.licence_name = "食品生产许可（糕点）".into();
    let o = sheet::import(svc, &office, &sheet::sheet_of(&[fixed]), false, &|_| {})
        .await
        .unwrap();
    assert_eq!((o.report.inserted, o.report.updated), (0, 1));
    assert_eq!(
        licensing::push(svc, &office, &input("XL14111210001", &u))
            .await
            .unwrap()
            .id,
        h.id
    );
    // Only those who may push import; a file that is not xlsx is a file error.
    assert!(matches!(
        sheet::import(svc, &market, &again, false, &|_| {}).await,
        Err(ServiceError::Forbidden)
    ));
    let Err(ServiceError::Invalid(f)) =
        sheet::import(svc, &office, b"not a workbook", false, &|_| {}).await
    else {
        panic!("refused");
    };
    assert_eq!(f[0].field, "file");
    // The template reads back as an empty sheet.
    let o = sheet::import(svc, &office, &sheet::template(), false, &|_| {})
        .await
        .unwrap();
    assert_eq!((o.processed(), o.errors.len()), (0, 0));
}
