//! Risk warnings (issue 16 items 1–2) on the shared case mechanism, on both backends: a rule is
//! created and versioned; a trigger raises a warning pushed to the departments its push rule
//! names, with the response plan's clocks (hours and working days); repeats fold into the open
//! warning; the pushed department signs, handles and closes it with a reason; a major warning
//! must be jointly assessed (minutes, decision) before it is handled or converted to a clue;
//! a department sees only what was pushed to it; the hourly record pass raises licence
//! expiries and complaint counts and folds repeats.

use chrono::Duration;
use lianjian_domain::case::Light;
use lianjian_domain::scope::Actor;
use lianjian_domain::warning::{Level, Trigger, WarningStatus};
use lianjian_services::warnings::{
    self, AssessInput, AssessmentDecision, RuleInput, ToClueInput, WarningFilter, WarningQueue,
};
use lianjian_services::{ServiceError, Services, audit_log, clues};
use lianjian_store::on_both_backends;
use lianjian_store::testing::TestDb;
use serde_json::json;
use uuid::Uuid;

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
    a_warning_is_raised_folded_signed_handled_and_closed,
    a_major_warning_is_assessed_jointly_before_it_becomes_a_clue,
    a_department_sees_only_what_was_pushed_to_it_and_acts_only_on_that,
    rules_name_every_bad_field_and_keep_their_versions,
    the_record_pass_raises_expiries_and_complaint_counts_and_folds_repeats,
);

async fn entity(svc: &Services) -> lianjian_store::entities::Entity {
    let code = lianjian_domain::region::RegionCode::parse("411121").unwrap();
    lianjian_store::entities::scan(svc.store.conn(), Some(&code), None, 1)
        .await
        .unwrap()
        .remove(0)
}

fn rule(code: &str, level: &str, condition: serde_json::Value, lines: &[&str]) -> RuleInput {
    RuleInput {
        code: code.into(),
        name: "冷链温度超标".into(),
        sector: "食品".into(),
        level: level.into(),
        assessment: None,
        condition,
        push: json!({ "lines": lines }),
        plan: json!([
            {"name": "现场核查", "deadline": {"hours": 4}},
            {"name": "整改复查", "deadline": {"working_days": 5}}
        ]),
        active: None,
    }
}

fn cold() -> serde_json::Value {
    json!({"type":"reading","metric":"temperature","op":">","value":8,"for_minutes":30})
}

fn trigger(r: &warnings::RuleView, entity: Uuid, device: Option<Uuid>, v: f64) -> Trigger {
    Trigger {
        rule_id: r.id,
        rule_version: r.version,
        entity_id: entity,
        device_id: device,
        level: r.level,
        summary: format!("冷链温度超标：温度 {v} ℃ 已持续 31 分钟（阈值 > 8 ℃）"),
        observed_at: chrono::Utc::now(),
        detail: json!({ "value": v }),
    }
}

async fn audit_count(svc: &Services, action: &str) -> u64 {
    audit_log::list(
        svc,
        &lianjian_services::cli_actor(),
        &audit_log::AuditQuery {
            action: Some(action.into()),
            ..Default::default()
        },
        page(),
    )
    .await
    .unwrap()
    .total
}

fn field_of(e: &ServiceError) -> Vec<String> {
    match e {
        ServiceError::Invalid(v) => v.iter().map(|f| f.field.clone()).collect(),
        ServiceError::Conflict { field, .. } => vec![field.clone()],
        other => panic!("expected a field error, got {other:?}"),
    }
}

async fn a_warning_is_raised_folded_signed_handled_and_closed(env: Env) {
    let svc = &env.svc;
    let office = actor(svc, "wy.office").await;
    let market = actor(svc, "wy.market").await;
    let zhang = actor(svc, "wy.zhang").await;
    let x = department(svc, "411121", "县市场监管局").await;
    let r = warnings::create_rule(
        svc,
        &office,
        &rule("YJ-T-LL-01", "yellow", cold(), &["market"]),
    )
    .await
    .unwrap();
    assert_eq!((r.version, r.kind.as_str(), r.major), (1, "device", false));
    let e = entity(svc).await;
    let device = Uuid::now_v7();
    let first = warnings::raise(svc, trigger(&r, e.id, Some(device), 9.2))
        .await
        .unwrap();
    assert!(!first.folded);
    let d = warnings::get(svc, &market, first.id).await.unwrap();
    assert_eq!(d.warning.status, WarningStatus::Pushed);
    assert_eq!(d.warning.level, Level::Yellow);
    assert!(
        d.warning.code.starts_with("YJ-411121-"),
        "{}",
        d.warning.code
    );
    assert_eq!(
        d.warning
            .departments
            .iter()
            .map(|x| x.id)
            .collect::<Vec<_>>(),
        vec![x]
    );
    // The plan's clocks: 4 hours and 5 working days, both running, labelled by the plan.
    assert_eq!(d.warning.clocks.len(), 2);
    assert_eq!(d.warning.clocks[0].label, "现场核查");
    assert!(d.warning.clocks[0].due_at.is_some());
    assert_eq!(d.warning.clocks[0].light, Light::Green);
    assert_eq!(d.warning.clocks[1].label, "整改复查");
    assert_eq!(d.warning.clocks[1].working_days, 5);
    assert_eq!(
        d.timeline
            .iter()
            .map(|s| s.action.as_str())
            .collect::<Vec<_>>(),
        vec!["raise", "push"]
    );
    assert_eq!(d.timeline[0].actor, "系统（监测预警）");
    // A repeat of the same rule, entity and device folds; another device opens its own.
    let again = warnings::raise(svc, trigger(&r, e.id, Some(device), 9.6))
        .await
        .unwrap();
    assert_eq!((again.id, again.folded), (first.id, true));
    let other = warnings::raise(svc, trigger(&r, e.id, Some(Uuid::now_v7()), 9.0))
        .await
        .unwrap();
    assert!(!other.folded);
    let d = warnings::get(svc, &market, first.id).await.unwrap();
    assert_eq!(d.warning.occurrences, 2);
    assert!(d.warning.summary.contains("9.6"));
    assert_eq!(d.occurrences.len(), 2);
    assert_eq!(d.timeline.len(), 2, "folding is not a step");
    // Four hours later the hour clock is red (it runs through nights and weekends).
    svc.clock.advance(Duration::hours(4) + Duration::minutes(1));
    let d = warnings::get(svc, &market, first.id).await.unwrap();
    assert_eq!(d.warning.clocks[0].light, Light::Red);
    assert_eq!(d.warning.light, Some(Light::Red));
    // The pushed department's inspector signs; a handling step; closing needs a reason.
    assert!(
        d.actions
            .contains(&lianjian_domain::warning::WarningAction::Sign)
    );
    let d = warnings::sign(svc, &zhang, first.id).await.unwrap();
    assert_eq!(d.warning.status, WarningStatus::Signed);
    let e2 = warnings::sign(svc, &zhang, first.id).await.unwrap_err();
    assert!(matches!(e2, ServiceError::Conflict { .. }), "{e2:?}");
    warnings::handle(svc, &zhang, first.id, Some("已通知企业转移货物并检修冷机"))
        .await
        .unwrap();
    let e3 = warnings::close(svc, &zhang, first.id, " ")
        .await
        .unwrap_err();
    assert_eq!(field_of(&e3), vec!["reason"]);
    let d = warnings::close(svc, &zhang, first.id, "冷机故障已修复，温度恢复至 4 ℃")
        .await
        .unwrap();
    assert_eq!(d.warning.status, WarningStatus::Closed);
    assert_eq!(
        d.warning.outcome.as_deref(),
        Some("冷机故障已修复，温度恢复至 4 ℃")
    );
    assert!(d.warning.clocks.iter().all(|k| !k.light.is_running()));
    assert_eq!(d.warning.clocks[0].light, Light::Late);
    assert_eq!(d.warning.clocks[1].light, Light::Met);
    assert!(d.actions.is_empty());
    for a in [
        "warning.raise",
        "warning.push",
        "warning.sign",
        "warning.handle",
        "warning.close",
    ] {
        assert!(audit_count(svc, a).await >= 1, "{a} audited");
    }
    // Once closed, the next trigger opens a new warning.
    let next = warnings::raise(svc, trigger(&r, e.id, Some(device), 10.0))
        .await
        .unwrap();
    assert!(!next.folded);
    assert_ne!(next.id, first.id);
    // Queues: the new one waits for signing, the closed one is done.
    let pending = warnings::list(
        svc,
        &market,
        WarningQueue::Pending,
        &WarningFilter::default(),
        page(),
    )
    .await
    .unwrap();
    assert!(pending.items.iter().any(|w| w.id == next.id));
    assert!(!pending.items.iter().any(|w| w.id == first.id));
    let done = warnings::list(
        svc,
        &market,
        WarningQueue::Done,
        &WarningFilter::default(),
        page(),
    )
    .await
    .unwrap();
    assert!(done.items.iter().any(|w| w.id == first.id));
    let overdue = warnings::list(
        svc,
        &office,
        WarningQueue::All,
        &WarningFilter {
            sort: Some("level".into()),
            rule_id: Some(r.id),
            ..Default::default()
        },
        page(),
    )
    .await
    .unwrap();
    assert_eq!(overdue.total, 3);
    let bad = warnings::list(
        svc,
        &office,
        WarningQueue::All,
        &WarningFilter {
            sort: Some("x".into()),
            ..Default::default()
        },
        page(),
    )
    .await
    .unwrap_err();
    assert_eq!(field_of(&bad), vec!["sort"]);
}

async fn a_major_warning_is_assessed_jointly_before_it_becomes_a_clue(env: Env) {
    let svc = &env.svc;
    let office = actor(svc, "wy.office").await;
    let market = actor(svc, "wy.market").await;
    let health = actor(svc, "wy.health").await;
    let y = department(svc, "411121", "县卫生健康委").await;
    let em = department(svc, "411121", "县应急管理局").await;
    let mut input = rule(
        "YJ-T-MCLZ-01",
        "red",
        json!({"type":"event","metric":"rat","value":1}),
        &["market", "health"],
    );
    input.name = "明厨亮灶鼠患".into();
    let r = warnings::create_rule(svc, &office, &input).await.unwrap();
    assert!(r.major);
    let e = entity(svc).await;
    let w = warnings::raise(svc, trigger(&r, e.id, None, 1.0))
        .await
        .unwrap();
    // Pushed to both lines: the health department sees it too.
    let d = warnings::get(svc, &health, w.id).await.unwrap();
    assert_eq!(d.warning.departments.len(), 2);
    assert!(d.warning.departments.iter().any(|x| x.id == y));
    warnings::sign(svc, &market, w.id).await.unwrap();
    // Major: no handling, closing or converting before the assessment.
    for err in [
        warnings::handle(svc, &market, w.id, None)
            .await
            .unwrap_err(),
        warnings::close(svc, &market, w.id, "误报，现场无鼠迹")
            .await
            .unwrap_err(),
        warnings::to_clue(svc, &market, w.id, &ToClueInput::default())
            .await
            .unwrap_err(),
    ] {
        match err {
            ServiceError::Conflict { message, .. } => {
                assert!(message.contains("会商研判"), "{message}")
            }
            other => panic!("{other:?}"),
        }
    }
    // An inspector may not call an assessment; an unknown invitee is named.
    let zhang = actor(svc, "wy.zhang").await;
    assert!(matches!(
        warnings::assess(svc, &zhang, w.id, &AssessInput::default()).await,
        Err(ServiceError::Forbidden)
    ));
    let bad = warnings::assess(
        svc,
        &market,
        w.id,
        &AssessInput {
            department_ids: vec![Uuid::now_v7()],
            note: None,
        },
    )
    .await
    .unwrap_err();
    assert_eq!(field_of(&bad), vec!["department_ids[0]"]);
    let d = warnings::assess(
        svc,
        &office,
        w.id,
        &AssessInput {
            department_ids: vec![em],
            note: Some("鼠患涉及食品安全与病媒防制，请三部门会商".into()),
        },
    )
    .await
    .unwrap();
    assert_eq!(d.warning.status, WarningStatus::Assessing);
    assert_eq!(d.assessments.len(), 1);
    assert_eq!(d.assessments[0].departments.len(), 3);
    // The invited department now sees the warning.
    let mut em_admin = health.clone();
    em_admin.department_id = em;
    em_admin.department_line = "emergency".into();
    assert!(warnings::get(svc, &em_admin, w.id).await.is_ok());
    // The decision needs minutes and a decision; both are named.
    let bad = warnings::decide(svc, &market, w.id, &AssessmentDecision::default())
        .await
        .unwrap_err();
    let mut fields = field_of(&bad);
    fields.sort();
    assert_eq!(fields, vec!["decision", "minutes"]);
    let d = warnings::decide(
        svc,
        &market,
        w.id,
        &AssessmentDecision {
            minutes: "市场监管、卫健、应急三部门会商：监控截图确认后厨夜间有鼠出没".into(),
            decision: "立即停业整顿，转为问题线索由市场监管局立案核查".into(),
        },
    )
    .await
    .unwrap();
    assert_eq!(d.warning.status, WarningStatus::Decided);
    assert!(d.assessments[0].decided_at.is_some());
    // Converted to a clue through the clue flow, in one step.
    let d = warnings::to_clue(
        svc,
        &market,
        w.id,
        &ToClueInput {
            note: Some("附会商纪要".into()),
        },
    )
    .await
    .unwrap();
    assert_eq!(d.warning.status, WarningStatus::ToClue);
    let clue_id = d.warning.clue_id.expect("clue linked");
    let c = clues::get(svc, &office, clue_id).await.unwrap();
    assert_eq!(c.clue.source, lianjian_domain::clue::ClueSource::Monitoring);
    assert!(c.clue.content.contains(&d.warning.code));
    assert_eq!(
        d.timeline
            .iter()
            .map(|s| s.action.as_str())
            .collect::<Vec<_>>(),
        vec!["raise", "push", "sign", "assess", "decide", "to_clue"]
    );
}

async fn a_department_sees_only_what_was_pushed_to_it_and_acts_only_on_that(env: Env) {
    let svc = &env.svc;
    let office = actor(svc, "wy.office").await;
    let market = actor(svc, "wy.market").await;
    let health = actor(svc, "wy.health").await;
    let wang = actor(svc, "wy.wang").await;
    let leader = actor(svc, "wy.leader").await;
    let r = warnings::create_rule(
        svc,
        &office,
        &rule("YJ-T-LL-02", "blue", cold(), &["market"]),
    )
    .await
    .unwrap();
    let e = entity(svc).await;
    let w = warnings::raise(svc, trigger(&r, e.id, None, 9.0))
        .await
        .unwrap();
    // The health line does not see the market line's warning at all.
    for a in [&health, &wang] {
        assert!(matches!(
            warnings::get(svc, a, w.id).await,
            Err(ServiceError::NotFound)
        ));
        assert!(matches!(
            warnings::sign(svc, a, w.id).await,
            Err(ServiceError::NotFound)
        ));
        let l = warnings::list(svc, a, WarningQueue::All, &WarningFilter::default(), page())
            .await
            .unwrap();
        assert!(!l.items.iter().any(|x| x.id == w.id));
    }
    // The leader and the office see it but do not sign for the department.
    for a in [&leader, &office] {
        let d = warnings::get(svc, a, w.id).await.unwrap();
        assert!(d.actions.is_empty(), "{:?}", d.actions);
        assert!(matches!(
            warnings::sign(svc, a, w.id).await,
            Err(ServiceError::Forbidden)
        ));
    }
    // Rules are the office's: a department administrator may not add one.
    assert!(matches!(
        warnings::create_rule(svc, &market, &rule("YJ-X-1", "blue", cold(), &["market"])).await,
        Err(ServiceError::Forbidden)
    ));
    // Another county's market department (same line) does not see it either.
    let mut other: Actor = market.clone();
    other.region = lianjian_domain::region::RegionCode::parse("411122").unwrap();
    other.department_id = Uuid::now_v7();
    assert!(matches!(
        warnings::get(svc, &other, w.id).await,
        Err(ServiceError::NotFound)
    ));
    // The market administrator signs.
    let counts = warnings::queue_counts(svc, &market).await.unwrap();
    assert!(
        counts
            .iter()
            .any(|(q, n)| *q == WarningQueue::Pending && *n >= 1)
    );
    assert_eq!(
        warnings::sign(svc, &market, w.id)
            .await
            .unwrap()
            .warning
            .status,
        WarningStatus::Signed
    );
}

async fn rules_name_every_bad_field_and_keep_their_versions(env: Env) {
    let svc = &env.svc;
    let office = actor(svc, "wy.office").await;
    let bad = RuleInput {
        code: "预警".into(),
        name: "".into(),
        sector: "不存在的领域".into(),
        level: "purple".into(),
        assessment: None,
        condition: json!({"type":"all","of":[{"type":"silence","minutes":5},{"type":"expiry","what":"licence","within_days":3}]}),
        push: json!({}),
        plan: json!([{"name":"核查","deadline":{"hours":0}}]),
        active: None,
    };
    let e = warnings::create_rule(svc, &office, &bad).await.unwrap_err();
    let mut fields = field_of(&e);
    fields.sort();
    assert_eq!(
        fields,
        vec![
            "code",
            "condition",
            "level",
            "name",
            "plan",
            "push",
            "sector"
        ]
    );
    let r = warnings::create_rule(
        svc,
        &office,
        &rule("YJ-T-LL-03", "yellow", cold(), &["market"]),
    )
    .await
    .unwrap();
    let dup = warnings::create_rule(
        svc,
        &office,
        &rule("yj-t-ll-03", "yellow", cold(), &["market"]),
    )
    .await
    .unwrap_err();
    assert_eq!(field_of(&dup), vec!["code"]);
    // A new version: orange, 6 ℃; the code cannot change.
    let mut v2 = rule(
        "YJ-T-LL-03",
        "orange",
        json!({"type":"reading","metric":"temperature","op":">","value":6,"for_minutes":30}),
        &["market"],
    );
    let r2 = warnings::new_version(svc, &office, r.id, &v2)
        .await
        .unwrap();
    assert_eq!((r2.id, r2.version, r2.major), (r.id, 2, true));
    v2.code = "YJ-T-LL-04".into();
    let e = warnings::new_version(svc, &office, r.id, &v2)
        .await
        .unwrap_err();
    assert_eq!(field_of(&e), vec!["code"]);
    let versions = warnings::rule_versions(svc, &office, r.id).await.unwrap();
    assert_eq!(
        versions
            .iter()
            .map(|v| (v.version, v.current))
            .collect::<Vec<_>>(),
        vec![(2, true), (1, false)]
    );
    let listed = warnings::list_rules(svc, &office).await.unwrap();
    let mine: Vec<_> = listed.iter().filter(|v| v.id == r.id).collect();
    assert_eq!(mine.len(), 1);
    assert_eq!(mine[0].version, 2);
    assert_eq!(mine[0].condition_text, "温度 > 6 ℃ 持续 30 分钟");
    // The device rules for the ingest are the current versions of active device rules.
    let dev = warnings::device_rules(svc).await.unwrap();
    assert!(dev.iter().any(|x| x.id == r.id && x.version == 2));
    assert!(audit_count(svc, "warning_rule.version").await >= 1);
    // A warning raised by version 1 keeps naming version 1.
    let e1 = entity(svc).await;
    let w = warnings::raise(
        svc,
        Trigger {
            rule_id: r.id,
            rule_version: 1,
            entity_id: e1.id,
            device_id: None,
            level: Level::Yellow,
            summary: "冷链温度超标".into(),
            observed_at: chrono::Utc::now(),
            detail: serde_json::Value::Null,
        },
    )
    .await
    .unwrap();
    let d = warnings::get(svc, &office, w.id).await.unwrap();
    assert_eq!((d.warning.rule_version, d.rule.version), (1, 1));
    // An unknown rule version is refused by name.
    let e = warnings::raise(
        svc,
        Trigger {
            rule_version: 9,
            ..trigger(&r2, e1.id, None, 9.0)
        },
    )
    .await
    .unwrap_err();
    assert_eq!(field_of(&e), vec!["rule_id"]);
}

async fn the_record_pass_raises_expiries_and_complaint_counts_and_folds_repeats(env: Env) {
    let svc = &env.svc;
    let office = actor(svc, "wy.office").await;
    let e = entity(svc).await;
    let today = lianjian_domain::visit::beijing_date(svc.now());
    lianjian_store::entities::replace_licences(
        svc.store.conn(),
        e.id,
        &e.region_code,
        &[lianjian_domain::directory::Licence {
            licence_type: "食品经营许可证".into(),
            number: "JY14111210000001".into(),
            issuer: None,
            valid_from: None,
            valid_to: Some(today + Duration::days(10)),
        }],
    )
    .await
    .unwrap();
    let mut lic = rule(
        "YJ-T-XK-01",
        "blue",
        json!({"type":"expiry","what":"licence","within_days":30}),
        &["market"],
    );
    lic.name = "许可证即将到期".into();
    let r = warnings::create_rule(svc, &office, &lic).await.unwrap();
    assert_eq!(r.kind, "record");
    let mut cmp = rule(
        "YJ-T-TS-01",
        "yellow",
        json!({"type":"count_in_window","fact":"complaints","at_least":3,"days":30}),
        &["market"],
    );
    cmp.name = "投诉举报集中".into();
    let rc = warnings::create_rule(svc, &office, &cmp).await.unwrap();
    for i in 0..3 {
        let mut c = crate::clues::input();
        c.entity_usci = Some(e.usci.clone());
        c.external_no = Some(format!("12345-2026-WARN-{i}"));
        clues::register(svc, &office, &c).await.unwrap();
    }
    let (raised, _) = warnings::evaluate_records(svc, today).await.unwrap();
    assert!(raised >= 2);
    let mine = |rule_id: Uuid| WarningFilter {
        rule_id: Some(rule_id),
        entity_id: Some(e.id),
        ..Default::default()
    };
    let l = warnings::list(svc, &office, WarningQueue::All, &mine(r.id), page())
        .await
        .unwrap();
    assert_eq!(l.total, 1);
    assert!(
        l.items[0].summary.contains("JY14111210000001"),
        "{}",
        l.items[0].summary
    );
    assert!(l.items[0].device_id.is_none());
    let lc = warnings::list(svc, &office, WarningQueue::All, &mine(rc.id), page())
        .await
        .unwrap();
    assert_eq!(lc.total, 1);
    assert!(
        lc.items[0].summary.contains("3 次"),
        "{}",
        lc.items[0].summary
    );
    // The next hour folds instead of raising again.
    let (_, folded) = warnings::evaluate_records(svc, today).await.unwrap();
    assert!(folded >= 2);
    let l = warnings::list(svc, &office, WarningQueue::All, &mine(r.id), page())
        .await
        .unwrap();
    assert_eq!((l.total, l.items[0].occurrences), (1, 2));
    // Closed: not raised again within the rule's window.
    let market = actor(svc, "wy.market").await;
    let id = l.items[0].id;
    warnings::sign(svc, &market, id).await.unwrap();
    warnings::close(svc, &market, id, "已提醒企业办理延续")
        .await
        .unwrap();
    warnings::evaluate_records(svc, today).await.unwrap();
    let l = warnings::list(svc, &office, WarningQueue::All, &mine(r.id), page())
        .await
        .unwrap();
    assert_eq!(l.total, 1);
}
