//! Assistance requests (协查/协助, issue 17 items 1 and 4) on both backends: a request between
//! two counties followed by each county's own users (each sees only what is theirs: the
//! requesting side the request and the answer, not the receiving side's assignment; the
//! receiving county's department only once assigned; a third region nothing); every bad field
//! named; overdue requests flagged once and queued for both offices; the police's request and
//! a consultation about a case transfer on the same capability, read by the procuratorate
//! (and nothing else); the analysis figures of answer timeliness (on-time rate, median days)
//! recomputed from the records their drill-down lists.

use chrono::Duration;
use lianjian_domain::assistance::{AssistanceAction, AssistanceStatus, Side};
use lianjian_domain::case::Light;
use lianjian_domain::scope::Actor;
use lianjian_services::assistance::{
    self, AssistanceFilter, AssistanceQueue, RequestInput, TransferRequestInput,
};
use lianjian_services::{ServiceError, Services, accounts, cli_actor};
use lianjian_store::on_both_backends;
use lianjian_store::testing::TestDb;
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
    two_counties_follow_a_request_each_seeing_only_theirs,
    bad_requests_name_every_field_and_store_nothing,
    overdue_requests_are_flagged_once_for_both_offices,
    a_transfer_gets_police_requests_and_consultations_the_procuratorate_reads,
    answer_timeliness_in_the_analysis_matches_the_drilled_down_records,
);

async fn user(svc: &Services, username: &str, role: &str, dept: Uuid) -> Actor {
    accounts::create_user(
        svc,
        &cli_actor(),
        accounts::UserInput {
            username: username.into(),
            display_name: username.into(),
            role: role.into(),
            department_id: dept.to_string(),
            password: lianjian_services::demo::DEMO_PASSWORD.into(),
            ..Default::default()
        },
    )
    .await
    .unwrap_or_else(|e| panic!("{username}: {e:?}"));
    actor(svc, username).await
}

/// 临颍县 (411122) with its departments, its office and its market bureau's administrator.
async fn linying(svc: &Services) -> (Actor, Actor, Uuid) {
    let ly = lianjian_domain::region::RegionCode::parse("411122").unwrap();
    if lianjian_store::departments::find_by_name(svc.store.conn(), &ly, "县市场监管局")
        .await
        .unwrap()
        .is_none()
    {
        lianjian_services::departments::copy_builtin_set(
            svc,
            &cli_actor(),
            lianjian_domain::department::WUYANG_17.key,
            "411122",
        )
        .await
        .unwrap();
    }
    let market = department(svc, "411122", "县市场监管局").await;
    let office = user(svc, "t.ly.office", "coordination_office", market).await;
    let admin = user(svc, "t.ly.market", "department_admin", market).await;
    (office, admin, market)
}

fn request(to: &str) -> RequestInput {
    RequestInput {
        kind: "verification".into(),
        to_region: to.into(),
        subject: "临颍县某食品有限公司".into(),
        legal_basis: "《市场监督管理行政处罚程序规定》第十五条".into(),
        needed: "请核查该企业 2026 年 11 月的进货查验记录并提供复印件".into(),
        deadline_days: "5".into(),
        ..Default::default()
    }
}

async fn ids(svc: &Services, a: &Actor, q: AssistanceQueue) -> Vec<Uuid> {
    assistance::list(svc, a, q, &AssistanceFilter::default(), page())
        .await
        .unwrap()
        .items
        .iter()
        .map(|x| x.id)
        .collect()
}

async fn two_counties_follow_a_request_each_seeing_only_theirs(env: Env) {
    let svc = &env.svc;
    let (ly_office, ly_market, ly_market_dept) = linying(svc).await;
    let wy_office = actor(svc, "wy.office").await;
    let wy_market = actor(svc, "wy.market").await;
    let wy_health = actor(svc, "wy.health").await;

    // 舞阳 asks 临颍; and, separately, the city (漯河市 4111): 临颍 must not see that one.
    let r = assistance::submit(svc, &wy_office, &request("411122"))
        .await
        .unwrap();
    let id = r.request.id;
    assert_eq!(r.request.status, AssistanceStatus::Submitted);
    assert_eq!(r.request.side, Side::Requesting);
    let names: Vec<&str> = r.request.clocks.iter().map(|k| k.name.as_str()).collect();
    assert_eq!(names, ["accept", "answer"]);
    // The requesting department named with its county once (not 舞阳县县市场监管局).
    assert_eq!(r.request.from_name, "舞阳县市场监管局");
    let to_city = assistance::submit(svc, &wy_office, &request("4111"))
        .await
        .unwrap();
    // 临颍 asks 舞阳 (the reverse direction).
    let back = assistance::submit(svc, &ly_office, &request("411121"))
        .await
        .unwrap();

    assert!(
        ids(svc, &wy_office, AssistanceQueue::Sent)
            .await
            .contains(&id)
    );
    assert!(
        !ids(svc, &wy_office, AssistanceQueue::Received)
            .await
            .contains(&id)
    );
    assert!(
        ids(svc, &wy_office, AssistanceQueue::Received)
            .await
            .contains(&back.request.id)
    );
    let ly_sees = ids(svc, &ly_office, AssistanceQueue::All).await;
    assert!(ly_sees.contains(&id) && ly_sees.contains(&back.request.id));
    assert!(
        !ly_sees.contains(&to_city.request.id),
        "addressed to the city, not to 临颍"
    );
    assert!(
        ids(svc, &ly_office, AssistanceQueue::Received)
            .await
            .contains(&id)
    );
    // The requesting department's staff see it; another department of the county does not;
    // 临颍's market bureau not before its office assigned it.
    assert!(
        ids(svc, &wy_market, AssistanceQueue::All)
            .await
            .contains(&id)
    );
    assert!(
        !ids(svc, &wy_health, AssistanceQueue::All)
            .await
            .contains(&id)
    );
    assert!(
        !ids(svc, &ly_market, AssistanceQueue::All)
            .await
            .contains(&id)
    );
    assert!(matches!(
        assistance::get(svc, &ly_market, id).await,
        Err(ServiceError::NotFound)
    ));
    assert!(matches!(
        assistance::get(svc, &wy_health, id).await,
        Err(ServiceError::NotFound)
    ));

    // Only the receiving office assigns, only to its own departments.
    let wy_market_dept = department(svc, "411121", "县市场监管局").await;
    assert!(matches!(
        assistance::assign(svc, &wy_office, id, ly_market_dept).await,
        Err(ServiceError::Forbidden)
    ));
    let e = assistance::assign(svc, &ly_office, id, wy_market_dept)
        .await
        .unwrap_err();
    assert!(format!("{e:?}").contains("department_id"), "{e:?}");
    let d = assistance::assign(svc, &ly_office, id, ly_market_dept)
        .await
        .unwrap();
    assert_eq!(d.request.status, AssistanceStatus::Assigned);
    assert_eq!(d.request.side, Side::Receiving);
    assert_eq!(
        d.request.to_department_name.as_deref(),
        Some("县市场监管局")
    );
    let accept = d
        .request
        .clocks
        .iter()
        .find(|k| k.name == "accept")
        .unwrap();
    assert_eq!(accept.light, Light::Met);
    assert!(d.actions.contains(&AssistanceAction::Reassign));

    // Now 临颍's market bureau sees and answers it; the requester cannot answer.
    assert!(
        ids(svc, &ly_market, AssistanceQueue::Open)
            .await
            .contains(&id)
    );
    assert!(matches!(
        assistance::answer(svc, &wy_office, id, "答复", &[]).await,
        Err(ServiceError::Forbidden)
    ));
    let e = assistance::answer(svc, &ly_market, id, " ", &[])
        .await
        .unwrap_err();
    assert!(format!("{e:?}").contains("answer"), "{e:?}");
    let a = assistance::answer(
        svc,
        &ly_market,
        id,
        "经核查，该企业 11 月进货查验记录齐全，复印件见附件。",
        &[],
    )
    .await
    .unwrap();
    assert_eq!(a.request.status, AssistanceStatus::Answered);
    assert!(a.request.clocks.iter().all(|k| !k.light.is_running()));

    // The requesting side reads the answer but not the receiving side's internal assignment.
    let seen = assistance::get(svc, &wy_office, id).await.unwrap();
    assert_eq!(seen.request.side, Side::Requesting);
    assert!(
        seen.request
            .answer
            .as_deref()
            .unwrap()
            .contains("进货查验记录")
    );
    assert_eq!(seen.request.to_department_id, None);
    assert_eq!(seen.request.to_department_name, None);
    let assign = seen.timeline.iter().find(|e| e.action == "assign").unwrap();
    assert_eq!(assign.actor, "受理方联席办");
    assert!(seen.actions.contains(&AssistanceAction::Close));
    assert!(seen.actions.contains(&AssistanceAction::Reopen));
    // The receiving side does not close the requester's request.
    assert!(matches!(
        assistance::close(svc, &ly_office, id).await,
        Err(ServiceError::Forbidden)
    ));
    let done = assistance::close(svc, &wy_office, id).await.unwrap();
    assert_eq!(done.request.status, AssistanceStatus::Closed);
    assert!(
        ids(svc, &ly_office, AssistanceQueue::Done)
            .await
            .contains(&id)
    );
    // Every step is on the timeline: submit, assign, answer, close.
    let full = assistance::get(svc, &ly_office, id).await.unwrap();
    let acts: Vec<&str> = full.timeline.iter().map(|e| e.action.as_str()).collect();
    assert_eq!(acts, ["submit", "assign", "answer", "close"]);
    // A closed request takes no more steps.
    assert!(matches!(
        assistance::withdraw(svc, &wy_office, id, "不再需要").await,
        Err(ServiceError::Conflict { .. })
    ));
    // The receiving office refuses the reverse request with a reason the requester reads.
    let e = assistance::refuse(svc, &wy_office, back.request.id, "")
        .await
        .unwrap_err();
    assert!(format!("{e:?}").contains("reason"), "{e:?}");
    let refused = assistance::refuse(svc, &wy_office, back.request.id, "该事项不属于本县管辖")
        .await
        .unwrap();
    assert_eq!(refused.request.status, AssistanceStatus::Refused);
    let theirs = assistance::get(svc, &ly_office, back.request.id)
        .await
        .unwrap();
    assert_eq!(
        theirs.request.outcome.as_deref(),
        Some("该事项不属于本县管辖")
    );
}

async fn bad_requests_name_every_field_and_store_nothing(env: Env) {
    let svc = &env.svc;
    let office = actor(svc, "wy.office").await;
    let bad = RequestInput {
        kind: "lunch".into(),
        to_region: "411121".into(),
        subject: "甲".into(),
        legal_basis: "".into(),
        needed: "".into(),
        deadline_days: "61".into(),
        ..Default::default()
    };
    let ServiceError::Invalid(errs) = assistance::submit(svc, &office, &bad).await.unwrap_err()
    else {
        panic!("expected field errors")
    };
    let fields: Vec<&str> = errs.iter().map(|e| e.field.as_str()).collect();
    for f in [
        "kind",
        "to_region",
        "subject",
        "legal_basis",
        "needed",
        "deadline_days",
    ] {
        assert!(fields.contains(&f), "{f} missing in {fields:?}");
    }
    let mut unknown = request("419999");
    unknown.deadline_days = "0".into();
    let ServiceError::Invalid(errs) = assistance::submit(svc, &office, &unknown)
        .await
        .unwrap_err()
    else {
        panic!("expected field errors")
    };
    assert_eq!(errs.len(), 2, "{errs:?}");
    assert!(ids(svc, &office, AssistanceQueue::All).await.is_empty());
    // Read-only roles and inspectors send nothing.
    for who in ["wy.leader", "wy.zhang"] {
        let a = actor(svc, who).await;
        assert!(matches!(
            assistance::submit(svc, &a, &request("411122")).await,
            Err(ServiceError::Forbidden)
        ));
    }
}

async fn overdue_requests_are_flagged_once_for_both_offices(env: Env) {
    let svc = &env.svc;
    let (ly_office, _, _) = linying(svc).await;
    let wy_office = actor(svc, "wy.office").await;
    let mut input = request("411122");
    input.deadline_days = "2".into();
    let r = assistance::submit(svc, &wy_office, &input).await.unwrap();
    let id = r.request.id;
    assert_eq!(assistance::flag_overdue(svc).await.unwrap(), 0);
    assert!(
        !ids(svc, &wy_office, AssistanceQueue::Overdue)
            .await
            .contains(&id)
    );
    svc.clock.advance(Duration::days(10));
    for office in [&wy_office, &ly_office] {
        assert!(
            ids(svc, office, AssistanceQueue::Overdue)
                .await
                .contains(&id)
        );
    }
    assert_eq!(assistance::flag_overdue(svc).await.unwrap(), 1);
    assert_eq!(
        assistance::flag_overdue(svc).await.unwrap(),
        0,
        "flagged once"
    );
    for office in [&wy_office, &ly_office] {
        let d = assistance::get(svc, office, id).await.unwrap();
        assert!(d.request.flagged_overdue);
        assert_eq!(d.request.light, Some(Light::Red));
        let last = d.timeline.last().unwrap();
        assert_eq!(last.action, "flag_overdue");
        assert_eq!(last.actor, "系统（超时自动处理）");
    }
}

async fn a_transfer_gets_police_requests_and_consultations_the_procuratorate_reads(env: Env) {
    let svc = &env.svc;
    let market = actor(svc, "wy.market").await;
    let health = actor(svc, "wy.health").await;
    // A transfer of the demo's pharmacy visit, accepted by the police with its date.
    let visits = lianjian_services::visits::list(svc, &market, &Default::default(), page())
        .await
        .unwrap();
    let v = visits
        .items
        .iter()
        .map(|v| &v.visit)
        .find(|v| v.status.as_str() != "scheduled" && v.status.as_str() != "cancelled")
        .expect("a started visit in the demo");
    let t = lianjian_services::follow_ups::transfer(
        svc,
        &market,
        v.id,
        &lianjian_services::follow_ups::TransferSpec {
            department_id: None,
            agency: "舞阳县公安局".into(),
            facts: "涉嫌销售假药，货值金额较大".into(),
        },
    )
    .await
    .unwrap();
    let today = lianjian_domain::visit::beijing_date(svc.now());
    let bad = lianjian_services::follow_ups::TransferDecisionInput {
        decided_on: Some((today + Duration::days(3)).to_string()),
        document_no: None,
    };
    let e = lianjian_services::follow_ups::transfer_feedback(
        svc,
        &market,
        t.id,
        true,
        "已立案侦查",
        &bad,
    )
    .await
    .unwrap_err();
    assert!(format!("{e:?}").contains("decided_on"), "{e:?}");
    let ok = lianjian_services::follow_ups::TransferDecisionInput {
        decided_on: Some(today.to_string()),
        document_no: Some("舞公（食药）立字〔2026〕12号".into()),
    };
    lianjian_services::follow_ups::transfer_feedback(svc, &market, t.id, true, "已立案侦查", &ok)
        .await
        .unwrap();
    let dec = assistance::transfer_decision(svc, &market, t.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(dec.decided_on, today);

    // The police ask for an appraisal (entered by the department); the department asks them.
    let police = TransferRequestInput {
        kind: "appraisal".into(),
        from_party: "public_security".into(),
        legal_basis: "《行政执法机关移送涉嫌犯罪案件的规定》第八条".into(),
        needed: "请对扣押的 12 盒药品进行检验鉴定".into(),
        deadline_days: "10".into(),
    };
    let p = assistance::for_transfer(svc, &market, t.id, &police)
        .await
        .unwrap();
    assert_eq!(p.request.status, AssistanceStatus::Assigned);
    assert_eq!(p.request.from_name, "舞阳县公安局");
    assert_eq!(p.request.transfer_id, Some(t.id));
    assert!(matches!(
        assistance::for_transfer(svc, &health, t.id, &police).await,
        Err(ServiceError::NotFound | ServiceError::Forbidden)
    ));
    let ask = TransferRequestInput {
        kind: "consultation".into(),
        from_party: "agency".into(),
        legal_basis: "《关于加强行政执法与刑事司法衔接工作的意见》".into(),
        needed: "涉案药品是否需要继续由我局保管？".into(),
        deadline_days: "3".into(),
    };
    let q = assistance::for_transfer(svc, &market, t.id, &ask)
        .await
        .unwrap();
    assert_eq!(q.request.to_name, "舞阳县公安局");
    // A transfer's requests stand in the entity's region (a township here); the department and
    // the receiving office are still named by their county, never 舞泉镇县市场监管局.
    assert_eq!(q.request.from_name, "舞阳县市场监管局");
    assert_eq!(p.request.to_name, "舞阳县联席办");
    let answered = assistance::answer(
        svc,
        &market,
        q.request.id,
        "公安机关答复：由其接收保管。",
        &[],
    )
    .await
    .unwrap();
    assert_eq!(answered.request.status, AssistanceStatus::Answered);

    // The procuratorate of the county reads the transfer's requests and nothing else of them.
    let mut procuratorate = market.clone();
    procuratorate.role = lianjian_domain::account::Role::Procuratorate;
    procuratorate.user_id = Uuid::now_v7();
    let wy_office = actor(svc, "wy.office").await;
    let plain = assistance::submit(svc, &wy_office, &request("411122"))
        .await
        .unwrap();
    let seen = ids(svc, &procuratorate, AssistanceQueue::All).await;
    assert!(seen.contains(&p.request.id) && seen.contains(&q.request.id));
    assert!(
        !seen.contains(&plain.request.id),
        "not linked to a transfer"
    );
    assert!(matches!(
        assistance::get(svc, &procuratorate, plain.request.id).await,
        Err(ServiceError::NotFound)
    ));
    assert!(
        assistance::get(svc, &procuratorate, p.request.id)
            .await
            .unwrap()
            .actions
            .is_empty()
    );
    assert!(matches!(
        assistance::answer(svc, &procuratorate, p.request.id, "检察机关不应能答复", &[]).await,
        Err(ServiceError::Forbidden)
    ));
    assert_eq!(
        assistance::of_transfer(svc, &procuratorate, t.id)
            .await
            .unwrap()
            .len(),
        2
    );
}

async fn answer_timeliness_in_the_analysis_matches_the_drilled_down_records(env: Env) {
    use lianjian_domain::analysis::Indicator;
    use lianjian_services::analysis;
    let svc = &env.svc;
    let (ly_office, ly_market, ly_dept) = linying(svc).await;
    let wy_office = actor(svc, "wy.office").await;
    // Three requests to 临颍: answered the same day, after 3 days, and after 10 days against a
    // deadline of one working day (late).
    let mut ids = Vec::new();
    for days in ["5", "5", "1"] {
        let mut r = request("411122");
        r.deadline_days = days.into();
        let x = assistance::submit(svc, &wy_office, &r).await.unwrap();
        assistance::assign(svc, &ly_office, x.request.id, ly_dept)
            .await
            .unwrap();
        ids.push(x.request.id);
    }
    let answer =
        |id| assistance::answer(svc, &ly_market, id, "经核查，情况属实，材料见附件。", &[]);
    answer(ids[0]).await.unwrap();
    svc.clock.advance(Duration::days(3));
    answer(ids[1]).await.unwrap();
    svc.clock.advance(Duration::days(7));
    let late = answer(ids[2]).await.unwrap();
    let k = late
        .request
        .clocks
        .iter()
        .find(|k| k.name == "answer")
        .unwrap();
    assert_eq!(k.light, Light::Late);
    analysis::refresh_unattended(svc).await.unwrap();

    let q = analysis::parse_query(
        svc,
        None,
        None,
        Some("department"),
        Some("411122"),
        None,
        None,
    )
    .unwrap();
    let t = analysis::table(svc, &ly_office, &q).await.unwrap();
    let row = t
        .rows
        .iter()
        .find(|r| r.key == ly_dept.to_string())
        .expect("the market bureau's row");
    let value =
        |r: &analysis::Row, i: Indicator| r.values.iter().find(|v| v.indicator == i).unwrap().value;
    // Recomputed from the records the drill-down lists, alone.
    let f = AssistanceFilter {
        answered_from: Some(q.months.from.to_string()),
        answered_to: Some(q.months.last_day().to_string()),
        department_id: Some(ly_dept),
        region: Some("411122".into()),
        ..Default::default()
    };
    let listed = assistance::list(svc, &ly_office, AssistanceQueue::All, &f, page())
        .await
        .unwrap();
    let listed_ids: Vec<Uuid> = listed.items.iter().map(|x| x.id).collect();
    assert!(
        ids.iter().all(|id| listed_ids.contains(id)),
        "{listed_ids:?}"
    );
    let mut days: Vec<i64> = Vec::new();
    let mut on_time = 0;
    for x in &listed.items {
        let k = x.clocks.iter().find(|k| k.name == "answer").unwrap();
        let stopped = k.stopped_on.expect("answered");
        days.push((stopped - k.started_on).num_days());
        if stopped <= k.due {
            on_time += 1;
        }
    }
    days.sort_unstable();
    let n = days.len();
    let median = (days[(n - 1) / 2] + days[n / 2]) as f64 / 2.0;
    assert_eq!(row.counts["assist_answered"], n as i64);
    assert_eq!(
        value(row, Indicator::AssistanceOnTime),
        Some(on_time as f64 / n as f64)
    );
    assert_eq!(value(row, Indicator::AssistanceMedianDays), Some(median));
    assert!(days.contains(&10) && days.contains(&3));
    // The total of the region is the same here (one receiving department answered), and the
    // monthly breakdown sums to it.
    assert_eq!(
        value(&t.total, Indicator::AssistanceMedianDays),
        Some(median)
    );
    let mut by_month = q.clone();
    by_month.by = analysis::By::Month;
    let m = analysis::table(svc, &ly_office, &by_month).await.unwrap();
    let answered: i64 = m
        .rows
        .iter()
        .filter_map(|r| r.counts.get("assist_answered"))
        .sum();
    assert_eq!(answered, n as i64);
    // The requesting county's own figures do not count what 临颍 answered.
    let wq = analysis::parse_query(svc, None, None, Some("department"), None, None, None).unwrap();
    let w = analysis::table(svc, &wy_office, &wq).await.unwrap();
    assert!(w.rows.iter().all(|r| r.key != ly_dept.to_string()));
    // A bad drill-down date is named.
    let bad = AssistanceFilter {
        answered_from: Some("2026-13-01".into()),
        answered_to: Some("2026-12-31".into()),
        ..Default::default()
    };
    let Err(ServiceError::Invalid(e)) =
        assistance::list(svc, &ly_office, AssistanceQueue::All, &bad, page()).await
    else {
        panic!("refused");
    };
    assert_eq!(e[0].field, "answered_from");
}
