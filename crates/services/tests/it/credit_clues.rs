//! Verified clues become credit records (issue 15 item 1), on both backends: a complaint naming
//! an entity and finished as 属实 or 部分属实 leaves one internal record of kind 查实投诉举报 on
//! the entity's timeline, written in the clue's transaction with its audit entry; the finding is
//! required for complaints and reports and refused for inquiries; reopening (回访不满意) withdraws
//! the record and finishing again re-activates the same one, never a second; the evaluation's
//! complaints indicator counts only verified complaints; nothing of it is public.

use lianjian_domain::clue::{ClueStatus, Finding};
use lianjian_domain::credit::{RecordDetail, RecordKind, RecordSource, RecordStatus};
use lianjian_domain::scope::Scope;
use lianjian_services::clues::{self, ClueInput, oversight};
use lianjian_services::credit::evaluation::{self as ev, IndexInput, RunInput, Trigger};
use lianjian_services::{ServiceError, credit};
use lianjian_store::on_both_backends;
use sea_orm::ConnectionTrait;
use uuid::Uuid;

use crate::DEMO;
use crate::clues::{Env, actor, department, setup};
use crate::credit_evaluation::field_names;

on_both_backends!(
    template = DEMO, setup = setup;
    a_verified_complaint_is_recorded_once_and_withdrawn_on_reopening,
    the_finding_is_required_for_complaints_only,
);

/// An entity of the county with no verified complaint yet: its id and credit code.
async fn entity(env: &Env) -> (Uuid, String) {
    let c = env.svc.store.conn();
    let r = c
        .query_one_raw(sea_orm::Statement::from_string(
            c.get_database_backend(),
            "SELECT id, usci FROM entities WHERE region_code LIKE '411121%' AND id NOT IN \
             (SELECT entity_id FROM credit_entries WHERE kind = 'verified_clue') \
             ORDER BY usci LIMIT 1",
        ))
        .await
        .unwrap()
        .unwrap();
    (r.try_get("", "id").unwrap(), r.try_get("", "usci").unwrap())
}

fn complaint(kind: &str, usci: &str) -> ClueInput {
    ClueInput {
        source: "hotline_12345".into(),
        kind: kind.into(),
        urgency: Some("normal".into()),
        content: "市民反映该店销售过期食品，请核查处理".into(),
        address: "舞阳县舞泉镇人民路 8 号".into(),
        region_code: "411121".into(),
        entity_usci: Some(usci.into()),
        complainant_name: Some("李四".into()),
        complainant_phone: Some("13700137001".into()),
        ..Default::default()
    }
}

async fn verified_entries(env: &Env, entity: Uuid) -> Vec<lianjian_store::credit::Entry> {
    lianjian_store::credit::of_entity(env.svc.store.conn(), &Scope::system(), entity)
        .await
        .unwrap()
        .into_iter()
        .filter(|e| e.kind == RecordKind::VerifiedClue)
        .collect()
}

async fn audit_count(env: &Env, action: &str, object: Uuid) -> i64 {
    let c = env.svc.store.conn();
    c.query_one_raw(sea_orm::Statement::from_sql_and_values(
        c.get_database_backend(),
        "SELECT COUNT(*) AS n FROM audit_log WHERE action = $1 AND object_id = $2",
        vec![action.into(), object.to_string().into()],
    ))
    .await
    .unwrap()
    .unwrap()
    .try_get("", "n")
    .unwrap()
}

async fn complaints_explanation(env: &Env, entity: Uuid) -> String {
    let office = actor(&env.svc, "wy.office").await;
    ev::run_now(
        &env.svc,
        &office,
        &RunInput {
            region_code: "411121".into(),
            index_id: None,
        },
        Trigger::Manual,
    )
    .await
    .unwrap();
    let page = ev::entity_credit(&env.svc, &office, entity).await.unwrap();
    page.evaluation
        .unwrap()
        .contributions
        .into_iter()
        .find(|c| c.indicator == "complaints")
        .unwrap()
        .explanation
}

async fn a_verified_complaint_is_recorded_once_and_withdrawn_on_reopening(env: Env) {
    let svc = &env.svc;
    svc.load_index().await.unwrap();
    let office = actor(svc, "wy.office").await;
    let market = actor(svc, "wy.market").await;
    let x = department(svc, "411121", "县市场监管局").await;
    let (entity_id, usci) = entity(&env).await;
    ev::define(
        svc,
        &office,
        &IndexInput {
            region_code: "411121".into(),
            sector_id: None,
            name: "舞阳县综合信用评价指标".into(),
            definition: lianjian_domain::credit::evaluation::IndexDef::standard(),
        },
    )
    .await
    .unwrap();

    let c = clues::register(svc, &office, &complaint("complaint", &usci))
        .await
        .unwrap()
        .clue;
    clues::dispatch(svc, &office, c.id, x).await.unwrap();
    clues::sign(svc, &market, c.id).await.unwrap();
    let f = clues::finish(
        svc,
        &market,
        c.id,
        "经现场核查，确有过期食品在售，已责令下架",
        "属实",
    )
    .await
    .unwrap();
    assert!(
        f.timeline
            .last()
            .unwrap()
            .note
            .as_deref()
            .unwrap()
            .contains("查实情况：属实")
    );
    let es = verified_entries(&env, entity_id).await;
    assert_eq!(es.len(), 1);
    let e = &es[0];
    assert_eq!(e.status, RecordStatus::Active);
    assert_eq!(e.source, RecordSource::Clue);
    assert_eq!(e.reference.as_deref(), Some(c.code.as_str()));
    assert_eq!(e.department_id, Some(x));
    assert!(
        e.legal_basis
            .as_deref()
            .unwrap()
            .contains("国办发〔2023〕1号")
    );
    assert!(e.title.contains("已责令下架"), "{}", e.title);
    assert!(!e.publication.published, "complaints are internal");
    assert_eq!(
        e.detail,
        RecordDetail::VerifiedClue {
            clue_code: c.code.clone(),
            finding: Finding::Substantiated
        }
    );
    assert_eq!(audit_count(&env, "credit.record", e.id).await, 1);
    // On the staff timeline, never on the public page.
    let tl = credit::timeline(svc, &office, entity_id).await.unwrap();
    assert!(tl.iter().any(
        |i| matches!(i, credit::TimelineItem::Entry(t) if t.kind == RecordKind::VerifiedClue)
    ));
    let public = credit::public::of_entity(svc, &usci).await.unwrap();
    assert!(public.entries.iter().all(|p| p.kind != "查实投诉举报"));
    // The evaluation counts it.
    assert_eq!(
        complaints_explanation(&env, entity_id).await,
        "近12个月被投诉举报经查属实1件，扣5分"
    );

    // 回访不满意 reopens the clue: the record is withdrawn, not deleted.
    let r = oversight::revisit(svc, &office, c.id, "dissatisfied", "诉求人称仍在销售")
        .await
        .unwrap();
    assert_eq!(r.clue.status, ClueStatus::Handling);
    let es = verified_entries(&env, entity_id).await;
    assert_eq!(es.len(), 1);
    assert_eq!(es[0].status, RecordStatus::Withdrawn);
    assert_eq!(audit_count(&env, "credit.withdraw", e.id).await, 1);
    assert_eq!(
        complaints_explanation(&env, entity_id).await,
        "近12个月无查实的投诉举报，不扣分"
    );

    // Finished again as untrue: still withdrawn, nothing new.
    clues::finish(svc, &market, c.id, "复查未发现过期食品", "不属实")
        .await
        .unwrap();
    let es = verified_entries(&env, entity_id).await;
    assert_eq!((es.len(), es[0].status), (1, RecordStatus::Withdrawn));
    // Reopened and finished as partly true: the same record is active again.
    oversight::revisit(svc, &office, c.id, "dissatisfied", "诉求人提供了购物小票")
        .await
        .unwrap();
    assert_eq!(audit_count(&env, "credit.withdraw", e.id).await, 1);
    clues::finish(
        svc,
        &market,
        c.id,
        "部分商品确已过期，已责令下架",
        "部分属实",
    )
    .await
    .unwrap();
    let es = verified_entries(&env, entity_id).await;
    assert_eq!(es.len(), 1);
    assert_eq!((es[0].id, es[0].status), (e.id, RecordStatus::Active));
    assert_eq!(
        es[0].detail,
        RecordDetail::VerifiedClue {
            clue_code: c.code.clone(),
            finding: Finding::PartlySubstantiated
        }
    );
    assert_eq!(audit_count(&env, "credit.update", e.id).await, 1);
    // 回访满意 closes it; the record stays.
    oversight::revisit(svc, &office, c.id, "satisfied", "")
        .await
        .unwrap();
    let es = verified_entries(&env, entity_id).await;
    assert_eq!((es.len(), es[0].status), (1, RecordStatus::Active));
}

async fn the_finding_is_required_for_complaints_only(env: Env) {
    let svc = &env.svc;
    let office = actor(svc, "wy.office").await;
    let market = actor(svc, "wy.market").await;
    let x = department(svc, "411121", "县市场监管局").await;
    let (entity_id, usci) = entity(&env).await;
    let report = clues::register(svc, &office, &complaint("report", &usci))
        .await
        .unwrap()
        .clue;
    let inquiry = clues::register(svc, &office, &complaint("inquiry", &usci))
        .await
        .unwrap()
        .clue;
    for id in [report.id, inquiry.id] {
        clues::dispatch(svc, &office, id, x).await.unwrap();
        clues::sign(svc, &market, id).await.unwrap();
    }
    // A report without a finding, or with an unknown one: refused, nothing written.
    for bad in ["", "查无此事"] {
        let e = clues::finish(svc, &market, report.id, "已到现场核查", bad)
            .await
            .unwrap_err();
        assert_eq!(field_names(&e), ["finding"]);
    }
    let d = clues::get(svc, &office, report.id).await.unwrap();
    assert_eq!(d.clue.status, ClueStatus::Handling);
    // An inquiry has nothing to verify.
    let e = clues::finish(svc, &market, inquiry.id, "已电话答复诉求人", "属实")
        .await
        .unwrap_err();
    assert_eq!(field_names(&e), ["finding"]);
    clues::finish(svc, &market, inquiry.id, "已电话答复诉求人", "")
        .await
        .unwrap();
    // An untrue report leaves no record.
    clues::finish(svc, &market, report.id, "经核查不属实", "unsubstantiated")
        .await
        .unwrap();
    assert!(verified_entries(&env, entity_id).await.is_empty());
    // Staff cannot type such a record by hand.
    let input = credit::EntryInput {
        usci: usci.clone(),
        kind: "查实投诉举报".into(),
        occurred_on: "2026-01-05".into(),
        reference: "XS-2026-HAND".into(),
        title: "手工录入的查实投诉".into(),
        ..Default::default()
    };
    match credit::record(svc, &office, &input, RecordSource::Manual)
        .await
        .unwrap_err()
    {
        ServiceError::Invalid(errs) => assert!(
            errs.iter()
                .any(|f| f.field == "kind" && f.code == "clue_by_flow"),
            "{errs:?}"
        ),
        other => panic!("{other:?}"),
    }
}
