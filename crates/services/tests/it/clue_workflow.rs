//! Issue 14 items 2–4 on both backends: routing suggestions from the office's table and the
//! items; joint dispatch (cooperating departments see the clue, only the lead handles it);
//! 提请裁定 and 裁定 with its rule; 督办, 催办, 转办 to another region, 并单 (answered with
//! the clue it joined), 回访 (satisfied closes, dissatisfied reopens); deadlines per source and
//! kind; a clue joining an open visit or starting its own verification visit.

use lianjian_domain::clue::{ClueAction, ClueStatus, Satisfaction};
use lianjian_services::ServiceError;
use lianjian_services::clues::joint::{DecisionInput, VerifyInput};
use lianjian_services::clues::routing::{DeadlineInput, RouteInput};
use lianjian_services::clues::{self, ClueInput, Queue};
use lianjian_store::on_both_backends;

use crate::DEMO;
use crate::clues::{Env, actor, department, input, listed, setup};

on_both_backends!(
    template = DEMO, setup = setup;
    routing_suggests_and_a_joint_dispatch_shares_the_clue,
    a_disputed_clue_is_decided_by_a_named_rule,
    oversight_steps_merge_transfer_and_revisit,
    deadlines_follow_the_source_and_kind,
    a_clue_joins_an_open_visit_or_starts_its_own,
);

fn fields(e: &ServiceError) -> Vec<String> {
    match e {
        ServiceError::Invalid(f) => f.iter().map(|f| f.field.clone()).collect(),
        other => panic!("{other:?}"),
    }
}

async fn item(env: &Env, code: &str) -> uuid::Uuid {
    lianjian_store::items::by_code(env.svc.store.conn(), code)
        .await
        .unwrap()
        .unwrap()
        .id
}

/// The first demo entity the tag expression selects (as the demo picks its own).
async fn entity_usci(env: &Env, expr: &str) -> String {
    let resolved = lianjian_services::directory::resolve(&env.svc, expr)
        .await
        .unwrap();
    let s = lianjian_store::entities::EntitySearch {
        covered_by: Some(resolved),
        ..Default::default()
    };
    let ids = lianjian_store::entities::search_ids(env.svc.store.conn(), &s, None, 1)
        .await
        .unwrap();
    lianjian_store::entities::get(env.svc.store.conn(), ids[0])
        .await
        .unwrap()
        .unwrap()
        .usci
}

async fn routing_suggests_and_a_joint_dispatch_shares_the_clue(env: Env) {
    let svc = &env.svc;
    let office = actor(svc, "wy.office").await;
    let market = actor(svc, "wy.market").await;
    let health = actor(svc, "wy.health").await;
    let x = department(svc, "411121", "县市场监管局").await;
    let y = department(svc, "411121", "县卫生健康委").await;
    // A keyword rule: 医美 → the health commission.
    let e = clues::routing::add_route(svc, &office, &RouteInput::default())
        .await
        .unwrap_err();
    assert_eq!(fields(&e), ["keyword", "department_id"]);
    clues::routing::add_route(
        svc,
        &office,
        &RouteInput {
            keyword: Some("医美".into()),
            department_id: Some(y.to_string()),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    // A department cannot keep the table.
    assert!(matches!(
        clues::routing::routes(svc, &market).await,
        Err(ServiceError::Forbidden)
    ));
    let mut i = input();
    i.external_no = None;
    i.content = "某医美门店销售过期药品，请核查".into();
    i.item_ids = vec![item(&env, "WY-2024-02").await.to_string()];
    let c = clues::register(svc, &office, &i).await.unwrap();
    let r = c.routing.as_ref().expect("the office sees a suggestion");
    assert!(!r.unclear);
    assert_eq!(r.lead.as_ref().unwrap().id, y, "{r:?}");
    assert!(r.lead.as_ref().unwrap().why.contains("医美"));
    assert_eq!(r.cooperating.iter().map(|d| d.id).collect::<Vec<_>>(), [x]);
    assert_eq!(r.items[0].why, "登记时选择");
    // Joint dispatch: health leads, market cooperates; both see it, only the lead signs.
    let d = clues::joint::dispatch_jointly(svc, &office, c.clue.id, y, &[x])
        .await
        .unwrap();
    assert_eq!(d.cooperating.len(), 1);
    assert!(
        d.timeline[1]
            .note
            .as_deref()
            .unwrap()
            .contains("配合部门：县市场监管局")
    );
    let seen = clues::get(svc, &market, c.clue.id).await.unwrap();
    assert!(
        !seen.actions.contains(&ClueAction::Sign),
        "{:?}",
        seen.actions
    );
    assert!(seen.clue.complainant.masked);
    assert!(
        clues::get(svc, &health, c.clue.id)
            .await
            .unwrap()
            .actions
            .contains(&ClueAction::Sign)
    );
    assert!(matches!(
        clues::sign(svc, &market, c.clue.id).await,
        Err(ServiceError::Refused { .. })
    ));
    // An unknown cooperating department is named by its position.
    let c2 = clues::register(
        svc,
        &office,
        &ClueInput {
            external_no: None,
            ..input()
        },
    )
    .await
    .unwrap();
    let e = clues::joint::dispatch_jointly(svc, &office, c2.clue.id, x, &[uuid::Uuid::nil()])
        .await
        .unwrap_err();
    assert_eq!(fields(&e), ["cooperating_ids[0]"]);
}

async fn a_disputed_clue_is_decided_by_a_named_rule(env: Env) {
    let svc = &env.svc;
    let office = actor(svc, "wy.office").await;
    let market = actor(svc, "wy.market").await;
    let x = department(svc, "411121", "县市场监管局").await;
    let mut i = input();
    i.external_no = None;
    i.content = "小区门口流动摊贩售卖来历不明的食品".into();
    let c = clues::register(svc, &office, &i).await.unwrap();
    assert!(c.routing.as_ref().unwrap().unclear);
    assert!(matches!(
        clues::joint::dispute(svc, &market, c.clue.id, "不清楚归谁管").await,
        Err(ServiceError::NotFound | ServiceError::Forbidden)
    ));
    let d = clues::joint::dispute(svc, &office, c.clue.id, "涉及多个部门，职责不清")
        .await
        .unwrap();
    assert_eq!(d.clue.status, ClueStatus::Disputed);
    assert!(d.clue.clocks.iter().any(|k| k.name == "decide"));
    assert!(listed(svc, &office, Queue::Disputed, c.clue.id).await);
    let e = clues::joint::decide(svc, &office, c.clue.id, &DecisionInput::default())
        .await
        .unwrap_err();
    assert_eq!(fields(&e), ["rule", "reason", "lead_id"]);
    let done = clues::joint::decide(
        svc,
        &office,
        c.clue.id,
        &DecisionInput {
            rule: "nearest".into(),
            lead_id: x.to_string(),
            cooperating_ids: vec![],
            reason: "摊贩在市场监管所辖区内经营，由其牵头".into(),
        },
    )
    .await
    .unwrap();
    assert_eq!(done.clue.status, ClueStatus::Dispatched);
    let last = done.timeline.last().unwrap();
    assert_eq!(last.action, "decide");
    assert!(last.note.as_deref().unwrap().contains("谁靠近谁牵头"));
    assert!(last.reason.as_deref().unwrap().contains("牵头"));
    let decide = done
        .clue
        .clocks
        .iter()
        .find(|k| k.name == "decide")
        .unwrap();
    assert!(decide.stopped_on.is_some());
}

async fn oversight_steps_merge_transfer_and_revisit(env: Env) {
    let svc = &env.svc;
    let office = actor(svc, "wy.office").await;
    let market = actor(svc, "wy.market").await;
    let x = department(svc, "411121", "县市场监管局").await;
    let main = clues::register(svc, &office, &input()).await.unwrap();
    let dup = clues::register(
        svc,
        &office,
        &ClueInput {
            external_no: Some("12345-2026-000002".into()),
            complainant_phone: Some("13900139000".into()),
            ..input()
        },
    )
    .await
    .unwrap();
    clues::dispatch(svc, &office, main.clue.id, x)
        .await
        .unwrap();
    // 督办 flags it; 催办 needs a note; a department can do neither.
    let s = clues::oversight::supervise(svc, &office, main.clue.id, "请于本周内办结并报告")
        .await
        .unwrap();
    assert!(s.clue.supervised);
    assert_eq!(
        fields(
            &clues::oversight::urge(svc, &office, main.clue.id, "")
                .await
                .unwrap_err()
        ),
        ["reason"]
    );
    assert!(matches!(
        clues::oversight::urge(svc, &market, main.clue.id, "快点办").await,
        Err(ServiceError::Forbidden)
    ));
    // 并单 by code; not into itself; the duplicate waits and leaves the queues.
    let e = clues::oversight::merge(svc, &office, dup.clue.id, &dup.clue.code, "")
        .await
        .unwrap_err();
    assert_eq!(fields(&e), ["into"]);
    let m = clues::oversight::merge(
        svc,
        &office,
        dup.clue.id,
        &main.clue.code,
        "同一事项重复来电",
    )
    .await
    .unwrap();
    assert_eq!(m.clue.status, ClueStatus::Merged);
    assert_eq!(m.merged_into_code.as_deref(), Some(main.clue.code.as_str()));
    assert!(!listed(svc, &office, Queue::ToDispatch, dup.clue.id).await);
    clues::sign(svc, &market, main.clue.id).await.unwrap();
    let f = clues::finish(svc, &market, main.clue.id, "已责令下架并立案调查", "属实")
        .await
        .unwrap();
    assert_eq!(f.merged.len(), 1);
    // Every complainant is answered: the duplicate is finished with the same result.
    let d = clues::get(svc, &office, dup.clue.id).await.unwrap();
    assert_eq!(d.clue.status, ClueStatus::Finished);
    assert_eq!(d.clue.result.as_deref(), Some("已责令下架并立案调查"));
    // 回访: dissatisfied needs the reason and reopens with a new finishing clock.
    let e = clues::oversight::revisit(svc, &office, main.clue.id, "dissatisfied", "")
        .await
        .unwrap_err();
    assert_eq!(fields(&e), ["reason"]);
    let r = clues::oversight::revisit(svc, &office, main.clue.id, "不满意", "诉求人称药店仍在销售")
        .await
        .unwrap();
    assert_eq!(r.clue.status, ClueStatus::Handling);
    assert_eq!(r.clue.satisfaction, Some(Satisfaction::Dissatisfied));
    assert!(r.clue.result.is_none());
    assert!(
        r.clue
            .clocks
            .iter()
            .any(|k| k.name == "finish" && k.light.is_running())
    );
    clues::finish(
        svc,
        &market,
        main.clue.id,
        "复查确认已全部下架，罚款 5000 元",
        "属实",
    )
    .await
    .unwrap();
    let closed = clues::oversight::revisit(svc, &office, main.clue.id, "satisfied", "")
        .await
        .unwrap();
    assert_eq!(closed.clue.status, ClueStatus::Closed);
    assert!(closed.actions.is_empty());
    // 转办: to another county's office; this office no longer sees it, that one does.
    let t = clues::register(
        svc,
        &office,
        &ClueInput {
            external_no: None,
            ..input()
        },
    )
    .await
    .unwrap();
    let e = clues::oversight::transfer(svc, &office, t.clue.id, "411121", "")
        .await
        .unwrap_err();
    assert_eq!(fields(&e), ["reason", "region_code"]);
    let moved = clues::oversight::transfer(svc, &office, t.clue.id, "411122", "事发地在临颍县")
        .await
        .unwrap();
    assert_eq!(moved.region_code, "411122");
    assert!(matches!(
        clues::get(svc, &office, t.clue.id).await,
        Err(ServiceError::NotFound)
    ));
    let row = lianjian_store::clues::get(svc.store.conn(), t.clue.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (row.status, row.region_code.as_str()),
        (ClueStatus::Registered, "411122")
    );
    let audit =
        lianjian_store::audit::of_object(svc.store.conn(), "clue", &t.clue.id.to_string(), 10)
            .await
            .unwrap();
    assert!(audit.iter().any(|a| a.action == "clue.transfer"));
}

async fn deadlines_follow_the_source_and_kind(env: Env) {
    let svc = &env.svc;
    let office = actor(svc, "wy.office").await;
    let market = actor(svc, "wy.market").await;
    let x = department(svc, "411121", "县市场监管局").await;
    let e = clues::routing::put_deadline_rule(
        svc,
        &office,
        &DeadlineInput {
            source: Some("nowhere".into()),
            sign_days: 0,
            return_days: 2,
            finish_days: 99,
            ..Default::default()
        },
    )
    .await
    .unwrap_err();
    assert_eq!(fields(&e), ["source", "sign_days", "finish_days"]);
    assert!(matches!(
        clues::routing::put_deadline_rule(svc, &market, &DeadlineInput::default()).await,
        Err(ServiceError::Forbidden)
    ));
    // 12345 complaints: 10 working days to finish; any other hotline order keeps 5.
    for (kind, finish) in [(Some("complaint"), 10), (None, 7)] {
        clues::routing::put_deadline_rule(
            svc,
            &office,
            &DeadlineInput {
                source: Some("hotline_12345".into()),
                kind: kind.map(Into::into),
                sign_days: 1,
                return_days: 2,
                finish_days: finish,
                ..Default::default()
            },
        )
        .await
        .unwrap();
    }
    let c = clues::register(svc, &office, &input()).await.unwrap();
    let d = clues::dispatch(svc, &office, c.clue.id, x).await.unwrap();
    let k = d.clue.clocks.iter().find(|k| k.name == "finish").unwrap();
    assert_eq!(k.working_days, 10);
    let c = clues::register(
        svc,
        &office,
        &ClueInput {
            kind: "report".into(),
            external_no: None,
            ..input()
        },
    )
    .await
    .unwrap();
    let d = clues::dispatch(svc, &office, c.clue.id, x).await.unwrap();
    assert_eq!(
        d.clue
            .clocks
            .iter()
            .find(|k| k.name == "finish")
            .unwrap()
            .working_days,
        7
    );
    // A longer finishing clock still allows the full 10 days of extension.
    clues::sign(svc, &market, c.clue.id).await.unwrap();
    clues::request_extension(svc, &market, c.clue.id, 10, "需要检验检测结果")
        .await
        .unwrap();
    assert_eq!(
        clues::routing::deadline_rules(svc, &office)
            .await
            .unwrap()
            .len(),
        2
    );
    clues::routing::delete_deadline_rule(svc, &office, None, Some("hotline_12345"), None)
        .await
        .unwrap();
    assert!(matches!(
        clues::routing::delete_deadline_rule(svc, &office, None, Some("hotline_12345"), None).await,
        Err(ServiceError::NotFound)
    ));
}

async fn a_clue_joins_an_open_visit_or_starts_its_own(env: Env) {
    let svc = &env.svc;
    let office = actor(svc, "wy.office").await;
    let market = actor(svc, "wy.market").await;
    let x = department(svc, "411121", "县市场监管局").await;
    // The demo's clinic has an open complaint visit.
    let clinic = entity_usci(&env, "医疗美容机构").await;
    let mut i = ClueInput {
        external_no: None,
        entity_usci: Some(clinic),
        item_ids: vec![item(&env, "WY-2024-02").await.to_string()],
        ..input()
    };
    let c = clues::register(svc, &office, &i).await.unwrap();
    clues::dispatch(svc, &office, c.clue.id, x).await.unwrap();
    clues::sign(svc, &market, c.clue.id).await.unwrap();
    let d = clues::get(svc, &market, c.clue.id).await.unwrap();
    let related = d.related.expect("the entity's open work");
    let open = related
        .open_visits
        .first()
        .expect("the demo's open visit")
        .clone();
    assert!(d.actions.contains(&ClueAction::JoinVisit));
    let j = clues::joint::join_visit(svc, &market, c.clue.id, open.id)
        .await
        .unwrap();
    assert_eq!(j.visit.as_ref().unwrap().id, open.id);
    let checks = lianjian_store::draws::checks_of_visits(svc.store.conn(), &[open.id])
        .await
        .unwrap();
    let wanted = item(&env, "WY-2024-02").await;
    assert!(checks[&open.id].iter().any(|c| c.item_id == wanted));
    // Once linked, no second visit.
    assert!(matches!(
        clues::joint::join_visit(svc, &market, c.clue.id, open.id).await,
        Err(ServiceError::Conflict { .. })
    ));
    // Another clue about a pharmacy starts its own visit with trigger "clue".
    i.entity_usci = Some(entity_usci(&env, "零售药店").await);
    let c = clues::register(svc, &office, &i).await.unwrap();
    clues::dispatch(svc, &office, c.clue.id, x).await.unwrap();
    clues::sign(svc, &market, c.clue.id).await.unwrap();
    let pool = clues::joint::verification_pool(svc, &market, c.clue.id)
        .await
        .unwrap();
    assert!(pool.len() >= 2, "{pool:?}");
    let e = clues::joint::verify(svc, &market, c.clue.id, &VerifyInput::default())
        .await
        .unwrap_err();
    assert!(fields(&e).contains(&"inspector_ids".to_string()));
    let today = lianjian_domain::visit::beijing_date(svc.now());
    let v = clues::joint::verify(
        svc,
        &market,
        c.clue.id,
        &VerifyInput {
            inspector_ids: pool.iter().take(2).map(|m| m.id).collect(),
            period_start: today.to_string(),
            period_end: (today + chrono::Days::new(10)).to_string(),
        },
    )
    .await
    .unwrap();
    let brief = v.visit.expect("the new visit");
    assert_eq!(brief.trigger_label, "问题线索核查");
    assert_eq!(v.timeline.last().unwrap().action, "verify");
}
