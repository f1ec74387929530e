//! Joint clue handling (issue 14) on the shared case mechanism, on both backends: every step is
//! an event written with its audit entry in one transaction (and rolled back with it), clocks
//! count working days on the calendar across a holiday and turn red, unsigned clues escalate,
//! returns need a reason, extensions move the deadline, scope hides clues from other counties
//! and lines, and the complainant's data is masked for everyone but the handling staff.

use chrono::Duration;
use lianjian_domain::calendar::{CalendarDay, DayKind};
use lianjian_domain::case::{CaseKind, Light, Step};
use lianjian_domain::clue::{ClueAction, ClueStatus};
use lianjian_domain::scope::Actor;
use lianjian_domain::visit::beijing_date;
use lianjian_services::clues::{self, ClueFilter, ClueInput, Queue};
use lianjian_services::{
    PageRequest, ServiceError, Services, accounts, calendar, cases, cli_actor,
};
use lianjian_store::on_both_backends;
use lianjian_store::testing::TestDb;
use uuid::Uuid;

use crate::DEMO;

pub(crate) struct Env {
    pub(crate) svc: Services,
    _db: TestDb,
}

pub(crate) async fn setup(db: TestDb) -> Env {
    Env {
        svc: Services::new(db.store.clone(), Default::default())
            .with_clock(lianjian_services::clock::Clock::adjustable()),
        _db: db,
    }
}

pub(crate) async fn actor(svc: &Services, username: &str) -> Actor {
    let admin = cli_actor();
    let u = accounts::find_user(svc, &admin, username).await.unwrap();
    let (_, token) = accounts::create_token(svc, &admin, u.id, "test", None)
        .await
        .unwrap();
    accounts::authenticate_token(svc, &token, None)
        .await
        .unwrap()
}

pub(crate) async fn department(svc: &Services, region: &str, name: &str) -> Uuid {
    let code = lianjian_domain::region::RegionCode::parse(region).unwrap();
    lianjian_store::departments::find_by_name(svc.store.conn(), &code, name)
        .await
        .unwrap()
        .unwrap_or_else(|| panic!("{name} in {region}"))
        .id
}

pub(crate) fn input() -> ClueInput {
    ClueInput {
        source: "hotline_12345".into(),
        kind: "complaint".into(),
        urgency: Some("urgent".into()),
        content: "舞阳县城关镇某药店销售过期药品，请核查处理".into(),
        address: "舞阳县城关镇人民路 18 号".into(),
        region_code: "411121".into(),
        complainant_name: Some("王小明".into()),
        complainant_phone: Some("13800138000".into()),
        external_no: Some("12345-2026-000001".into()),
        ..Default::default()
    }
}

pub(crate) fn page() -> PageRequest {
    PageRequest::new(Some(1), Some(100))
}

pub(crate) async fn listed(svc: &Services, a: &Actor, q: Queue, id: Uuid) -> bool {
    clues::list(svc, a, q, &ClueFilter::default(), page())
        .await
        .unwrap()
        .items
        .iter()
        .any(|x| x.id == id)
}

on_both_backends!(
    template = DEMO, setup = setup;
    a_clue_is_dispatched_signed_and_finished_step_by_step,
    a_step_and_its_audit_entry_commit_or_roll_back_together,
    clocks_count_working_days_across_a_holiday_and_escalate,
    returns_need_a_reason_and_extensions_move_the_deadline,
    scope_hides_clues_and_masks_the_complainant,
    bad_input_names_every_field_and_stores_nothing,
    the_demo_holds_clues_in_several_states,
);

async fn a_clue_is_dispatched_signed_and_finished_step_by_step(env: Env) {
    let svc = &env.svc;
    let office = actor(svc, "wy.office").await;
    let market = actor(svc, "wy.market").await;
    let x = department(svc, "411121", "县市场监管局").await;
    let c = clues::register(svc, &office, &input()).await.unwrap();
    assert_eq!(c.clue.status, ClueStatus::Registered);
    assert!(c.clue.code.starts_with("XS-411121-"), "{}", c.clue.code);
    assert!(c.clue.clocks.is_empty() && c.clue.light.is_none());
    // The office's steps on a registered clue; none of the department's.
    assert_eq!(
        c.actions,
        [
            ClueAction::Dispatch,
            ClueAction::Dispute,
            ClueAction::Supervise,
            ClueAction::Transfer,
            ClueAction::Merge,
            ClueAction::Attach
        ]
    );
    // The same 12345 work order twice is refused, naming the field.
    let e = clues::register(svc, &office, &input()).await.unwrap_err();
    let ServiceError::Invalid(f) = e else {
        panic!("{e:?}")
    };
    assert_eq!(
        (f[0].field.as_str(), f[0].code.as_str()),
        ("external_no", "duplicate")
    );
    // The department does not see it before dispatch; the office's queue holds it.
    assert!(matches!(
        clues::get(svc, &market, c.clue.id).await,
        Err(ServiceError::NotFound)
    ));
    assert!(listed(svc, &office, Queue::ToDispatch, c.clue.id).await);
    let d = clues::dispatch(svc, &office, c.clue.id, x).await.unwrap();
    assert_eq!(d.clue.status, ClueStatus::Dispatched);
    let names: Vec<&str> = d.clue.clocks.iter().map(|k| k.name.as_str()).collect();
    assert_eq!(names, ["sign", "return", "finish"]);
    let today = beijing_date(svc.now());
    assert!(d.clue.clocks.iter().all(|k| k.started_on == today));
    // Only the office dispatches; the department signs.
    let seen = clues::get(svc, &market, c.clue.id).await.unwrap();
    assert!(
        seen.actions.contains(&ClueAction::Sign),
        "{:?}",
        seen.actions
    );
    assert!(!seen.actions.contains(&ClueAction::Dispatch));
    assert!(matches!(
        clues::dispatch(svc, &market, c.clue.id, x).await,
        Err(ServiceError::Forbidden)
    ));
    assert!(listed(svc, &market, Queue::ToSign, c.clue.id).await);
    let s = clues::sign(svc, &market, c.clue.id).await.unwrap();
    assert_eq!(s.clue.status, ClueStatus::Handling);
    let sign = s.clue.clocks.iter().find(|k| k.name == "sign").unwrap();
    assert_eq!((sign.light, sign.stopped_on), (Light::Met, Some(today)));
    assert!(listed(svc, &market, Queue::ToHandle, c.clue.id).await);
    // Finishing needs a result text.
    let e = clues::finish(svc, &market, c.clue.id, "", "")
        .await
        .unwrap_err();
    assert!(matches!(e, ServiceError::Invalid(_)), "{e:?}");
    let f = clues::finish(
        svc,
        &market,
        c.clue.id,
        "经现场核查，已责令下架过期药品并立案调查",
        "属实",
    )
    .await
    .unwrap();
    assert_eq!(f.clue.status, ClueStatus::Finished);
    assert!(f.clue.clocks.iter().all(|k| !k.light.is_running()));
    // Only files can still be added (the result's documents).
    assert_eq!(f.actions, [ClueAction::Attach]);
    // A finished clue moves no more: the status graph refuses, nothing is written.
    let e = clues::sign(svc, &market, c.clue.id).await.unwrap_err();
    assert!(matches!(e, ServiceError::Conflict { .. }), "{e:?}");
    // Four steps, each an event with its actor and one audit entry naming the event.
    let steps: Vec<(&str, &str)> = f
        .timeline
        .iter()
        .map(|t| (t.action.as_str(), t.actor.as_str()))
        .collect();
    assert_eq!(
        steps,
        [
            ("register", "wy.office"),
            ("dispatch", "wy.office"),
            ("sign", "wy.market"),
            ("finish", "wy.market")
        ]
    );
    assert!(
        f.timeline[1]
            .note
            .as_deref()
            .unwrap()
            .contains("县市场监管局")
    );
    let audit =
        lianjian_store::audit::of_object(svc.store.conn(), "clue", &c.clue.id.to_string(), 50)
            .await
            .unwrap();
    let actions: Vec<&str> = audit.iter().map(|e| e.action.as_str()).collect();
    assert_eq!(
        actions,
        ["clue.register", "clue.dispatch", "clue.sign", "clue.finish"]
    );
    // The complainant's phone never reaches the audit log.
    assert!(audit.iter().all(|e| {
        !e.after
            .as_deref()
            .unwrap_or_default()
            .contains("13800138000")
    }));
    assert!(
        lianjian_store::audit::verify(svc.store.conn())
            .await
            .unwrap()
            .is_ok()
    );
}

async fn a_step_and_its_audit_entry_commit_or_roll_back_together(env: Env) {
    let svc = &env.svc;
    let office = actor(svc, "wy.office").await;
    let c = clues::register(svc, &office, &input()).await.unwrap();
    let conn = svc.store.conn();
    let count = || async {
        (
            lianjian_store::cases::events_of(conn, CaseKind::Clue, c.clue.id)
                .await
                .unwrap()
                .len(),
            lianjian_store::audit::count(conn).await.unwrap(),
        )
    };
    let before = count().await;
    let case = cases::CaseRef {
        kind: CaseKind::Clue,
        id: c.clue.id,
        code: &c.clue.code,
        region: "411121",
        department_id: None,
    };
    let step = Step::moving("dispatch", ClueStatus::Registered, ClueStatus::Dispatched).unwrap();
    // Dropped without commit: neither the event nor the audit entry remains.
    {
        let tx = svc.store.begin().await.unwrap();
        cases::record_step(&tx, &office, &case, &step, serde_json::Value::Null)
            .await
            .unwrap();
    }
    assert_eq!(count().await, before);
    // Committed: both, and the audit entry names the event.
    let tx = svc.store.begin().await.unwrap();
    let e = cases::record_step(&tx, &office, &case, &step, serde_json::json!({"x": 1}))
        .await
        .unwrap();
    tx.commit().await.unwrap();
    assert_eq!(count().await, (before.0 + 1, before.1 + 1));
    let last = lianjian_store::audit::of_object(conn, "clue", &c.clue.id.to_string(), 1)
        .await
        .unwrap();
    assert!(
        last[0]
            .after
            .as_deref()
            .unwrap()
            .contains(&e.id.to_string())
    );
    // A use case refused half-way writes neither: a reassignment to an unknown department.
    let before = count().await;
    let e = clues::reassign(svc, &office, c.clue.id, Uuid::now_v7(), "派错部门，改派")
        .await
        .unwrap_err();
    assert!(
        matches!(e, ServiceError::Conflict { .. } | ServiceError::Invalid(_)),
        "{e:?}"
    );
    assert_eq!(count().await, before);
}

async fn clocks_count_working_days_across_a_holiday_and_escalate(env: Env) {
    let svc = &env.svc;
    let office = actor(svc, "wy.office").await;
    let market = actor(svc, "wy.market").await;
    let x = department(svc, "411121", "县市场监管局").await;
    let today = beijing_date(svc.now());
    let plain = calendar::current(svc).await.unwrap();
    // A holiday on the second working day after today: the finishing deadline (5 working
    // days) moves one working day later than a count that ignores it.
    let holiday = plain.add_working_days(today, 2);
    calendar::set_day(
        svc,
        &cli_actor(),
        CalendarDay {
            date: holiday,
            kind: DayKind::Holiday,
            name: "测试假日".into(),
        },
    )
    .await
    .unwrap();
    // The demo's own unsigned clue is escalated first, so what follows is this clue's.
    clues::escalate_overdue(svc).await.unwrap();
    let c = clues::register(svc, &office, &input()).await.unwrap();
    let d = clues::dispatch(svc, &office, c.clue.id, x).await.unwrap();
    let due = |n: &str| d.clue.clocks.iter().find(|k| k.name == n).unwrap().due;
    assert_eq!(due("sign"), plain.add_working_days(today, 1));
    assert_eq!(due("finish"), plain.add_working_days(today, 6));
    assert!(due("finish") > holiday);
    // Unsigned past the signing deadline: red, in the 已超时 queue, escalated by the server.
    assert!(!listed(svc, &market, Queue::Overdue, c.clue.id).await);
    let sign_due = due("sign");
    svc.clock
        .advance(Duration::days((sign_due - today).num_days() + 1));
    let now = clues::get(svc, &market, c.clue.id).await.unwrap();
    let sign = now.clue.clocks.iter().find(|k| k.name == "sign").unwrap();
    assert_eq!(sign.light, Light::Red);
    assert_eq!(now.clue.light, Some(Light::Red));
    assert!(listed(svc, &market, Queue::Overdue, c.clue.id).await);
    assert!(clues::escalate_overdue(svc).await.unwrap() >= 1);
    // Once escalated, a clue is not escalated again.
    assert_eq!(clues::escalate_overdue(svc).await.unwrap(), 0);
    let e = clues::get(svc, &office, c.clue.id).await.unwrap();
    assert_eq!(e.clue.status, ClueStatus::Escalated);
    let last = e.timeline.last().unwrap();
    assert_eq!(
        (last.action.as_str(), last.actor.as_str()),
        ("escalate", "system")
    );
    // A late signature is still accepted and the clock shows it was late.
    let s = clues::sign(svc, &market, c.clue.id).await.unwrap();
    let sign = s.clue.clocks.iter().find(|k| k.name == "sign").unwrap();
    assert_eq!(sign.light, Light::Late);
}

async fn returns_need_a_reason_and_extensions_move_the_deadline(env: Env) {
    let svc = &env.svc;
    let office = actor(svc, "wy.office").await;
    let market = actor(svc, "wy.market").await;
    let health = actor(svc, "wy.health").await;
    let x = department(svc, "411121", "县市场监管局").await;
    let y = department(svc, "411121", "县卫生健康委").await;
    let c = clues::register(svc, &office, &input()).await.unwrap();
    clues::dispatch(svc, &office, c.clue.id, y).await.unwrap();
    // Returning without a reason is refused and changes nothing.
    let e = clues::return_clue(svc, &health, c.clue.id, " ")
        .await
        .unwrap_err();
    let ServiceError::Invalid(f) = e else {
        panic!("{e:?}")
    };
    assert_eq!(f[0].field, "reason");
    assert_eq!(
        clues::get(svc, &office, c.clue.id)
            .await
            .unwrap()
            .clue
            .status,
        ClueStatus::Dispatched
    );
    // Another department cannot return it for them (it does not even see it).
    assert!(matches!(
        clues::return_clue(svc, &market, c.clue.id, "不属于本部门").await,
        Err(ServiceError::NotFound)
    ));
    let r = clues::return_clue(svc, &health, c.clue.id, "药品经营属市场监管部门职责")
        .await
        .unwrap();
    assert_eq!(r.clue.status, ClueStatus::Returned);
    assert!(r.clue.clocks.iter().all(|k| !k.light.is_running()));
    let last = r.timeline.last().unwrap();
    assert_eq!(last.reason.as_deref(), Some("药品经营属市场监管部门职责"));
    assert!(listed(svc, &office, Queue::Returned, c.clue.id).await);
    // The office reassigns with a reason; the clocks start again.
    let e = clues::reassign(svc, &office, c.clue.id, x, "")
        .await
        .unwrap_err();
    assert!(matches!(e, ServiceError::Invalid(_)), "{e:?}");
    let re = clues::reassign(svc, &office, c.clue.id, x, "按职责改派市场监管局")
        .await
        .unwrap();
    assert_eq!(re.clue.status, ClueStatus::Dispatched);
    assert_eq!(re.clue.department.as_deref(), Some("县市场监管局"));
    assert!(re.clue.clocks.iter().all(|k| k.light.is_running()));
    // The health commission no longer handles it.
    assert!(matches!(
        clues::get(svc, &health, c.clue.id).await,
        Err(ServiceError::NotFound)
    ));
    clues::sign(svc, &market, c.clue.id).await.unwrap();
    let finish_due = |d: &clues::ClueDetail| {
        d.clue
            .clocks
            .iter()
            .find(|k| k.name == "finish")
            .unwrap()
            .due
    };
    let asked = clues::request_extension(svc, &market, c.clue.id, 11, "需抽样检验")
        .await
        .unwrap_err();
    assert!(matches!(asked, ServiceError::Invalid(_)), "{asked:?}");
    let asked = clues::request_extension(svc, &market, c.clue.id, 10, "需抽样送检，检验周期较长")
        .await
        .unwrap();
    assert_eq!(asked.clue.status, ClueStatus::ExtensionRequested);
    assert!(listed(svc, &office, Queue::Extensions, c.clue.id).await);
    // The department cannot approve its own extension.
    assert!(matches!(
        clues::decide_extension(svc, &market, c.clue.id, true, "").await,
        Err(ServiceError::Forbidden)
    ));
    let cal = calendar::current(svc).await.unwrap();
    let approved = clues::decide_extension(svc, &office, c.clue.id, true, "")
        .await
        .unwrap();
    assert_eq!(approved.clue.status, ClueStatus::Handling);
    assert_eq!(
        finish_due(&approved),
        cal.add_working_days(finish_due(&asked), 10)
    );
    let k = approved
        .clue
        .clocks
        .iter()
        .find(|k| k.name == "finish")
        .unwrap();
    assert_eq!(k.working_days, 15);
    // Ten working days are the most in all: a second request is refused.
    let e = clues::request_extension(svc, &market, c.clue.id, 1, "再延一天")
        .await
        .unwrap_err();
    assert!(matches!(e, ServiceError::Invalid(_)), "{e:?}");
}

async fn scope_hides_clues_and_masks_the_complainant(env: Env) {
    let svc = &env.svc;
    let sys = cli_actor();
    lianjian_services::departments::copy_builtin_set(
        svc,
        &sys,
        lianjian_domain::department::WUYANG_17.key,
        "411122",
    )
    .await
    .unwrap();
    let other = department(svc, "411122", "县市场监管局").await;
    accounts::create_user(
        svc,
        &sys,
        accounts::UserInput {
            username: "ly.market".into(),
            display_name: "临颍市场".into(),
            role: "department_admin".into(),
            department_id: other.to_string(),
            password: lianjian_services::demo::DEMO_PASSWORD.into(),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let other_county = actor(svc, "ly.market").await;
    let office = actor(svc, "wy.office").await;
    let market = actor(svc, "wy.market").await;
    let zhang = actor(svc, "wy.zhang").await;
    let health = actor(svc, "wy.health").await;
    let leader = actor(svc, "wy.leader").await;
    let admin = actor(svc, "admin").await;
    let x = department(svc, "411121", "县市场监管局").await;
    let c = clues::register(svc, &office, &input()).await.unwrap();
    clues::dispatch(svc, &office, c.clue.id, x).await.unwrap();
    // Another county's market department (same line) and the county's health commission
    // (another line) can neither get nor list it; a region filter cannot widen the scope.
    for a in [&other_county, &health] {
        assert!(matches!(
            clues::get(svc, a, c.clue.id).await,
            Err(ServiceError::NotFound)
        ));
        assert!(!listed(svc, a, Queue::All, c.clue.id).await);
        let f = ClueFilter {
            region: Some(lianjian_domain::region::RegionCode::parse("411121").unwrap()),
            ..Default::default()
        };
        let p = clues::list(svc, a, Queue::All, &f, page()).await.unwrap();
        assert!(p.items.iter().all(|v| v.id != c.clue.id));
        assert!(matches!(
            clues::sign(svc, a, c.clue.id).await,
            Err(ServiceError::NotFound)
        ));
    }
    // Handling staff read the phone; the leader and the system administrator read it masked.
    let phone = |a: &Actor| {
        let a = a.clone();
        async move {
            let v = clues::get(svc, &a, c.clue.id)
                .await
                .unwrap()
                .clue
                .complainant;
            (v.phone.unwrap(), v.name.unwrap(), v.masked)
        }
    };
    for a in [&office, &market, &zhang] {
        assert_eq!(
            phone(a).await,
            ("13800138000".into(), "王小明".into(), false)
        );
    }
    for a in [&leader, &admin] {
        assert_eq!(phone(a).await, ("138****8000".into(), "王**".into(), true));
    }
    let listed_masked = clues::list(svc, &leader, Queue::All, &ClueFilter::default(), page())
        .await
        .unwrap();
    let row = listed_masked
        .items
        .iter()
        .find(|v| v.id == c.clue.id)
        .unwrap();
    assert_eq!(row.complainant.phone.as_deref(), Some("138****8000"));
    // An anonymous complainant: only the office that took the call reads the phone.
    let mut anon = input();
    anon.external_no = Some("12345-2026-000002".into());
    anon.anonymous = true;
    let a = clues::register(svc, &office, &anon).await.unwrap();
    clues::dispatch(svc, &office, a.clue.id, x).await.unwrap();
    let seen = clues::get(svc, &market, a.clue.id)
        .await
        .unwrap()
        .clue
        .complainant;
    assert_eq!(
        (seen.phone.as_deref(), seen.masked),
        (Some("138****8000"), true)
    );
    let seen = clues::get(svc, &office, a.clue.id)
        .await
        .unwrap()
        .clue
        .complainant;
    assert_eq!(
        (seen.phone.as_deref(), seen.masked),
        (Some("13800138000"), false)
    );
}

async fn bad_input_names_every_field_and_stores_nothing(env: Env) {
    let svc = &env.svc;
    let office = actor(svc, "wy.office").await;
    let leader = actor(svc, "wy.leader").await;
    let market = actor(svc, "wy.market").await;
    assert!(matches!(
        clues::register(svc, &leader, &input()).await,
        Err(ServiceError::Forbidden)
    ));
    let bad = ClueInput {
        source: "电报".into(),
        kind: "".into(),
        content: "短".into(),
        address: "".into(),
        region_code: "411122".into(),
        complainant_phone: Some("12345".into()),
        entity_usci: Some("91411121MA000000XX".into()),
        item_ids: vec!["not-an-id".into()],
        received_at: Some("昨天".into()),
        ..Default::default()
    };
    let all = |a: Actor| async move {
        clues::list(svc, &a, Queue::All, &ClueFilter::default(), page())
            .await
            .unwrap()
            .total
    };
    let before = all(office.clone()).await;
    let e = clues::register(svc, &market, &bad).await.unwrap_err();
    let ServiceError::Invalid(f) = e else {
        panic!("{e:?}")
    };
    let mut fields: Vec<&str> = f.iter().map(|x| x.field.as_str()).collect();
    fields.sort();
    assert_eq!(
        fields,
        [
            "address",
            "complainant_phone",
            "content",
            "entity_usci",
            "item_ids[0]",
            "kind",
            "received_at",
            "region_code",
            "source"
        ]
    );
    assert_eq!(all(office.clone()).await, before);
    // A department's own finding stays visible to it before the office dispatches it.
    let mut own = input();
    own.source = "patrol".into();
    own.external_no = None;
    let c = clues::register(svc, &market, &own).await.unwrap();
    assert!(clues::get(svc, &market, c.clue.id).await.is_ok());
    assert!(listed(svc, &office, Queue::ToDispatch, c.clue.id).await);
}

async fn the_demo_holds_clues_in_several_states(env: Env) {
    let svc = &env.svc;
    let office = actor(svc, "wy.office").await;
    let of = |q: Queue| {
        let office = office.clone();
        async move {
            clues::list(svc, &office, q, &ClueFilter::default(), page())
                .await
                .unwrap()
                .items
        }
    };
    let order = |no: &'static str| {
        let office = office.clone();
        async move {
            let x = lianjian_store::clues::by_external_no(svc.store.conn(), no)
                .await
                .unwrap()
                .unwrap_or_else(|| panic!("demo order {no}"));
            clues::get(svc, &office, x.id).await.unwrap()
        }
    };
    let steps = |d: &clues::ClueDetail| -> Vec<String> {
        d.timeline.iter().map(|t| t.action.clone()).collect()
    };
    assert_eq!(of(Queue::All).await.len(), 8);
    assert_eq!(of(Queue::ToDispatch).await.len(), 1, "the media report");
    assert_eq!(of(Queue::ToHandle).await.len(), 3);
    let overdue = of(Queue::Overdue).await;
    assert_eq!(overdue.len(), 1, "the clue never signed");
    assert_eq!(overdue[0].light, Some(Light::Red));
    assert!(of(Queue::Returned).await.is_empty() && of(Queue::Disputed).await.is_empty());

    // Finished and closed after a satisfied 回访.
    let done = order("12345-2026-1201-0031").await;
    assert_eq!(done.clue.status, ClueStatus::Closed);
    assert!(steps(&done).ends_with(&["finish".into(), "revisit".into()]));

    // Returned with its reason, then re-routed to market supervision.
    let d = order("12345-2026-1204-0107").await;
    let ret = d.timeline.iter().find(|t| t.action == "return").unwrap();
    assert_eq!(ret.actor, "wy.health");
    assert!(ret.reason.as_deref().unwrap().contains("市场监管部门"));
    assert_eq!(d.timeline.last().unwrap().action, "reassign");
    assert_eq!(d.clue.department.as_deref(), Some("县市场监管局"));
    // Its complainant asked for confidentiality: the office reads the phone.
    assert!(d.clue.complainant.anonymous && !d.clue.complainant.masked);

    // Disputed and decided, handled by its lead with market supervision cooperating.
    let d = order("12345-2026-1206-0019").await;
    assert!(steps(&d).contains(&"dispute".into()) && steps(&d).contains(&"decide".into()));
    assert_eq!(d.clue.department.as_deref(), Some("县卫生健康委"));
    assert_eq!(d.cooperating.len(), 1);

    // Three departments, verified jointly; the duplicate merged into it.
    let d = order("12345-2026-1207-0008").await;
    assert_eq!(d.cooperating.len(), 2);
    assert!(
        !d.items.is_empty(),
        "the routing's items were recorded at dispatch"
    );
    let v = d.visit.as_ref().expect("the verification visit");
    assert_eq!(v.trigger_label, "问题线索核查");
    assert_eq!(d.merged.len(), 1);
    let dup = order("12345-2026-1207-0015").await;
    assert_eq!(dup.clue.status, ClueStatus::Merged);
    assert_eq!(dup.merged_into_code.as_deref(), Some(d.clue.code.as_str()));

    // Joined to the clinic's open complaint visit, not a second visit.
    let d = order("12345-2026-1207-0021").await;
    let v = d.visit.as_ref().expect("the joined visit");
    assert_ne!(v.trigger_label, "问题线索核查");
}
