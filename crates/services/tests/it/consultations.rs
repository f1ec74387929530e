//! Consultations and circulars (议事会商、情况通报, issue 17 item 3) on both backends: a
//! consultation whose decision becomes two tasks for two departments, one reported done with
//! evidence, one chased and escalated when overdue, the consultation closed with its last task;
//! every step an event with its audit entry; a department not taking part sees nothing; every
//! bad field named and nothing half-written; a circular read by one recipient department, the
//! issuer seeing who has read and reminding the others, outsiders seeing nothing.

use chrono::Duration;
use lianjian_domain::case::Light;
use lianjian_domain::consultation::{
    ConsultationAction, ConsultationStatus, ConsultationTaskStatus,
};
use lianjian_services::circulars::{self, CircularInput, CircularQueue};
use lianjian_services::consultations::{
    self, ConsultationInput, ConsultationQueue, DecisionInput, MinutesInput, ParticipantInput,
    ReportInput, TaskFilter, TaskInput, TaskQueue,
};
use lianjian_services::{ServiceError, Services};
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
    a_decision_becomes_two_tasks_tracked_to_the_end,
    outsiders_see_no_consultation_and_bad_input_is_named,
    a_circular_is_read_and_the_unread_are_reminded,
);

fn input(participants: Vec<Uuid>) -> ConsultationInput {
    ConsultationInput {
        title: "校园食堂问题会商".into(),
        topic: "某中学食堂后厨卫生问题的联合处置".into(),
        agenda: "一、通报检查发现的问题；二、研究整改措施。".into(),
        place: "县政府三楼会议室".into(),
        meets_at: "2026-12-09T09:30".into(),
        participants: participants
            .into_iter()
            .map(|d| ParticipantInput {
                department_id: d,
                attendees: None,
            })
            .collect(),
        ..Default::default()
    }
}

fn errors(e: ServiceError) -> Vec<String> {
    match e {
        ServiceError::Invalid(v) => v.into_iter().map(|f| f.field).collect(),
        other => panic!("expected field errors, got {other:?}"),
    }
}

async fn audit_count(svc: &Services, action: &str) -> i64 {
    use sea_orm::ConnectionTrait;
    let c = svc.store.conn();
    let r = c
        .query_one_raw(sea_orm::Statement::from_sql_and_values(
            c.get_database_backend(),
            "SELECT COUNT(*) AS n FROM audit_log WHERE action = $1",
            vec![action.into()],
        ))
        .await
        .unwrap()
        .unwrap();
    r.try_get("", "n").unwrap()
}

async fn a_decision_becomes_two_tasks_tracked_to_the_end(env: Env) {
    let svc = &env.svc;
    let office = actor(svc, "wy.office").await;
    let market = actor(svc, "wy.market").await;
    let health = actor(svc, "wy.health").await;
    let zhang = actor(svc, "wy.zhang").await; // inspector, market bureau
    let wang = actor(svc, "wy.wang").await; // inspector, health commission
    let m = department(svc, "411121", "县市场监管局").await;
    let h = department(svc, "411121", "县卫生健康委").await;
    let edu = department(svc, "411121", "县教育局").await;

    let x = consultations::convene(svc, &office, &input(vec![m, edu]))
        .await
        .unwrap();
    let id = x.consultation.id;
    assert_eq!(x.consultation.status, ConsultationStatus::Planned);
    assert!(x.actions.contains(&ConsultationAction::Hold));
    // The health commission is not taking part yet: it does not see the consultation.
    assert!(matches!(
        consultations::get(svc, &health, id).await,
        Err(ServiceError::NotFound)
    ));
    // Minutes only once held.
    let minutes = MinutesInput {
        minutes: "会议认为食堂后厨卫生问题突出，需市场监管和卫健部门分别整改、监测。".into(),
        decisions: vec![DecisionInput {
            text: "市场监管局督促食堂整改，卫健委开展学校食源性疾病监测。".into(),
            tasks: vec![
                TaskInput {
                    department_id: m,
                    description: "督促该食堂完成后厨卫生整改并复查。".into(),
                    deadline_days: 5,
                },
                TaskInput {
                    department_id: h,
                    description: "开展该校食源性疾病监测并通报结果。".into(),
                    deadline_days: 3,
                },
            ],
        }],
    };
    assert!(matches!(
        consultations::finalise(svc, &office, id, &minutes).await,
        Err(ServiceError::Conflict { .. })
    ));
    // Only the convener's side runs it: the market bureau takes part but did not convene.
    assert!(matches!(
        consultations::hold(svc, &market, id).await,
        Err(ServiceError::Forbidden)
    ));
    consultations::hold(svc, &office, id).await.unwrap();
    let d = consultations::finalise(svc, &office, id, &minutes)
        .await
        .unwrap();
    assert_eq!(d.consultation.status, ConsultationStatus::Finalised);
    assert_eq!(d.decisions.len(), 1);
    assert_eq!(d.decisions[0].tasks.len(), 2);
    assert_eq!(d.consultation.progress.total, 2);
    assert_eq!(d.consultation.progress.running, 2);
    // The task's owner joined the participants: the health commission now sees it.
    assert!(d.participants.iter().any(|p| p.department_id == h));
    consultations::get(svc, &wang, id).await.unwrap();
    let mt = d.decisions[0]
        .tasks
        .iter()
        .find(|t| t.department_id == m)
        .unwrap()
        .clone();
    let ht = d.decisions[0]
        .tasks
        .iter()
        .find(|t| t.department_id == h)
        .unwrap()
        .clone();
    assert_eq!(mt.clocks[0].working_days, 5);
    assert_eq!(mt.clocks[0].light, Light::Green);

    // Each department reports only its own task.
    assert!(matches!(
        consultations::report(
            svc,
            &health,
            mt.id,
            &ReportInput {
                report: "越权报告".into(),
                evidence_ids: vec![]
            }
        )
        .await,
        Err(ServiceError::Forbidden)
    ));
    // A report naming a file not in the evidence log changes nothing.
    let bad = consultations::report(
        svc,
        &zhang,
        mt.id,
        &ReportInput {
            report: "".into(),
            evidence_ids: vec![Uuid::now_v7()],
        },
    )
    .await
    .unwrap_err();
    assert_eq!(errors(bad), vec!["report", "evidence_ids"]);
    assert_eq!(
        consultations::get_task(svc, &zhang, mt.id)
            .await
            .unwrap()
            .task
            .status,
        ConsultationTaskStatus::Running
    );
    let ev = lianjian_services::evidence::add(
        svc,
        &zhang,
        lianjian_services::evidence::Upload {
            filename: "复查记录.pdf".into(),
            media_type: Some("application/pdf".into()),
            bytes: b"%PDF-1.4\n% consultation test\n%%EOF\n".to_vec(),
        },
    )
    .await
    .unwrap();
    let done = consultations::report(
        svc,
        &zhang,
        mt.id,
        &ReportInput {
            report: "已复查，后厨卫生问题整改到位。".into(),
            evidence_ids: vec![ev.id],
        },
    )
    .await
    .unwrap();
    assert_eq!(done.task.status, ConsultationTaskStatus::Done);
    assert_eq!(done.task.clocks[0].light, Light::Met);
    assert_eq!(done.files.len(), 1);
    // Reported once: a second report is refused by state.
    assert!(matches!(
        consultations::report(
            svc,
            &zhang,
            mt.id,
            &ReportInput {
                report: "再次报告".into(),
                evidence_ids: vec![]
            }
        )
        .await,
        Err(ServiceError::Conflict { .. })
    ));

    // The office chases the running one; the department may not.
    assert!(matches!(
        consultations::supervise(svc, &health, ht.id, "请尽快办理").await,
        Err(ServiceError::Forbidden)
    ));
    let s = consultations::supervise(svc, &office, ht.id, "请尽快报送监测结果")
        .await
        .unwrap();
    assert_eq!(s.task.supervised, 1);
    // Past its deadline: red, in the overdue queue, escalated to the office once.
    svc.clock.advance(Duration::days(10));
    assert_eq!(consultations::escalate_overdue(svc).await.unwrap(), 1);
    assert_eq!(consultations::escalate_overdue(svc).await.unwrap(), 0);
    let t = consultations::get_task(svc, &office, ht.id).await.unwrap();
    assert!(t.task.escalated);
    assert_eq!(t.task.clocks[0].light, Light::Red);
    assert_eq!(
        t.timeline
            .iter()
            .map(|s| s.action.as_str())
            .collect::<Vec<_>>(),
        vec!["dispatch", "supervise", "escalate"]
    );
    let overdue = consultations::list_tasks(
        svc,
        &office,
        TaskQueue::Overdue,
        &TaskFilter::default(),
        page(),
    )
    .await
    .unwrap();
    assert!(overdue.items.iter().any(|x| x.id == ht.id));
    assert!(!overdue.items.iter().any(|x| x.id == mt.id));
    let x = consultations::get(svc, &office, id).await.unwrap();
    assert_eq!(
        (
            x.consultation.progress.done,
            x.consultation.progress.overdue
        ),
        (1, 1)
    );

    // The last task done closes the consultation.
    consultations::report(
        svc,
        &health,
        ht.id,
        &ReportInput {
            report: "监测未发现聚集性病例，结果已通报。".into(),
            evidence_ids: vec![],
        },
    )
    .await
    .unwrap();
    let x = consultations::get(svc, &office, id).await.unwrap();
    assert_eq!(x.consultation.status, ConsultationStatus::Closed);
    assert_eq!(
        x.timeline
            .iter()
            .map(|s| s.action.as_str())
            .collect::<Vec<_>>(),
        vec!["convene", "hold", "finalise", "close"]
    );
    assert_eq!(audit_count(svc, "consultation.convene").await, 1);
    assert_eq!(audit_count(svc, "consult_task.report").await, 2);
    assert_eq!(audit_count(svc, "consult_task.escalate").await, 1);
    let closed = consultations::list(
        svc,
        &market,
        ConsultationQueue::Closed,
        Some("食堂".into()),
        page(),
    )
    .await
    .unwrap();
    assert_eq!(closed.items.len(), 1);
}

async fn outsiders_see_no_consultation_and_bad_input_is_named(env: Env) {
    let svc = &env.svc;
    let market = actor(svc, "wy.market").await;
    let health = actor(svc, "wy.health").await;
    let wang = actor(svc, "wy.wang").await;
    let zhang = actor(svc, "wy.zhang").await;
    let leader = actor(svc, "wy.leader").await;
    let m = department(svc, "411121", "县市场监管局").await;

    // Every bad field is named at once; nothing is stored.
    let mut bad = input(vec![Uuid::now_v7(), m, m]);
    bad.title = "会".into();
    bad.meets_at = "明天上午".into();
    bad.link_kind = Some("warning".into());
    let e = consultations::convene(svc, &market, &bad)
        .await
        .unwrap_err();
    assert_eq!(
        errors(e),
        vec![
            "title",
            "meets_at",
            "participants[0].department_id",
            "participants[2].department_id",
            "link_id"
        ]
    );
    assert_eq!(
        consultations::list(svc, &market, ConsultationQueue::All, None, page())
            .await
            .unwrap()
            .total,
        0
    );
    // Inspectors and leaders convene nothing.
    for a in [&zhang, &leader] {
        assert!(matches!(
            consultations::convene(svc, a, &input(vec![m])).await,
            Err(ServiceError::Forbidden)
        ));
    }
    // The market bureau convenes with itself alone: the health commission's staff see nothing,
    // neither in lists nor by id; the county's leader (every line of the county) reads it.
    let x = consultations::convene(svc, &market, &input(vec![m]))
        .await
        .unwrap();
    let id = x.consultation.id;
    for a in [&health, &wang] {
        assert!(matches!(
            consultations::get(svc, a, id).await,
            Err(ServiceError::NotFound)
        ));
        assert_eq!(
            consultations::list(svc, a, ConsultationQueue::All, None, page())
                .await
                .unwrap()
                .total,
            0
        );
    }
    consultations::get(svc, &leader, id).await.unwrap();
    assert!(matches!(
        consultations::cancel(svc, &leader, id, "领导取消").await,
        Err(ServiceError::Forbidden)
    ));
    // Minutes with a task for an unknown department and a deadline out of range: each named.
    consultations::hold(svc, &market, id).await.unwrap();
    let e = consultations::finalise(
        svc,
        &market,
        id,
        &MinutesInput {
            minutes: "纪要".into(),
            decisions: vec![DecisionInput {
                text: "决定".into(),
                tasks: vec![TaskInput {
                    department_id: Uuid::now_v7(),
                    description: "任务".into(),
                    deadline_days: 0,
                }],
            }],
        },
    )
    .await
    .unwrap_err();
    assert_eq!(
        errors(e),
        vec![
            "decisions[0].tasks[0].deadline_days",
            "decisions[0].tasks[0].department_id"
        ]
    );
    let x = consultations::get(svc, &market, id).await.unwrap();
    assert_eq!(x.consultation.status, ConsultationStatus::Held);
    assert!(x.decisions.is_empty());
    // A cancel needs a reason, and is refused once held.
    assert!(matches!(
        consultations::cancel(svc, &market, id, "").await,
        Err(ServiceError::Invalid(_))
    ));
    assert!(matches!(
        consultations::cancel(svc, &market, id, "不再需要").await,
        Err(ServiceError::Conflict { .. })
    ));
}

async fn a_circular_is_read_and_the_unread_are_reminded(env: Env) {
    let svc = &env.svc;
    let office = actor(svc, "wy.office").await;
    let market = actor(svc, "wy.market").await;
    let health = actor(svc, "wy.health").await;
    let wang = actor(svc, "wy.wang").await;
    let zhang = actor(svc, "wy.zhang").await;
    let m = department(svc, "411121", "县市场监管局").await;
    let h = department(svc, "411121", "县卫生健康委").await;
    let edu = department(svc, "411121", "县教育局").await;

    // Bad fields named: a region outside the issuer's, an unknown department, no body.
    let e = circulars::issue(
        svc,
        &market,
        &CircularInput {
            title: "关于校园食堂检查情况的通报".into(),
            body: "".into(),
            department_ids: vec![Uuid::now_v7()],
            regions: vec!["411122".into()],
            evidence_ids: vec![],
        },
    )
    .await
    .unwrap_err();
    assert_eq!(errors(e), vec!["body", "regions[0]", "department_ids[0]"]);
    assert!(matches!(
        circulars::issue(svc, &zhang, &CircularInput::default()).await,
        Err(ServiceError::Forbidden)
    ));

    // The market bureau informs the health commission and the education bureau.
    let c = circulars::issue(
        svc,
        &market,
        &CircularInput {
            title: "关于校园食堂检查情况的通报".into(),
            body: "本月检查全县中小学食堂 12 家，发现问题 5 处，均已责令整改。".into(),
            department_ids: vec![h, edu],
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let id = c.circular.id;
    assert_eq!((c.circular.recipients, c.circular.read), (2, 0));
    assert_eq!(c.receipts.len(), 2);
    // In the health commission's 待阅 queue until one of its staff opens it.
    let unread = circulars::list(svc, &wang, CircularQueue::Unread, None, page())
        .await
        .unwrap();
    assert!(unread.items.iter().any(|x| x.id == id));
    let seen = circulars::get(svc, &wang, id).await.unwrap();
    assert!(
        seen.receipts.is_empty(),
        "recipients do not see the others' receipts"
    );
    assert!(seen.circular.my_read_at.is_some());
    // A second reader of the department does not move the receipt.
    circulars::get(svc, &health, id).await.unwrap();
    let unread = circulars::list(svc, &health, CircularQueue::Unread, None, page())
        .await
        .unwrap();
    assert!(!unread.items.iter().any(|x| x.id == id));
    // The issuer sees who has read (王芳 for the health commission) and who has not.
    let d = circulars::get(svc, &market, id).await.unwrap();
    assert_eq!(d.circular.read, 1);
    let hr = d.receipts.iter().find(|r| r.department_id == h).unwrap();
    assert!(hr.read);
    assert_eq!(hr.read_by.as_deref(), Some("王芳"));
    assert!(
        !d.receipts
            .iter()
            .find(|r| r.department_id == edu)
            .unwrap()
            .read
    );
    // Reminding reaches the unread only; only the issuer's side reminds.
    assert!(matches!(
        circulars::remind(svc, &health, id).await,
        Err(ServiceError::Forbidden)
    ));
    let r = circulars::remind(svc, &office, id).await.unwrap();
    let er = r.receipts.iter().find(|r| r.department_id == edu).unwrap();
    assert_eq!(er.reminded, 1);
    assert_eq!(
        r.receipts
            .iter()
            .find(|r| r.department_id == h)
            .unwrap()
            .reminded,
        0
    );
    assert_eq!(
        r.timeline
            .iter()
            .map(|s| s.action.as_str())
            .collect::<Vec<_>>(),
        vec!["issue", "read", "remind"]
    );
    // Outsiders: the market line of another county, the health line for a circular not sent
    // to it.
    let only_market = circulars::issue(
        svc,
        &office,
        &CircularInput {
            title: "内部通报".into(),
            body: "仅发市场监管局。".into(),
            department_ids: vec![m],
            ..Default::default()
        },
    )
    .await
    .unwrap();
    assert!(matches!(
        circulars::get(svc, &wang, only_market.circular.id).await,
        Err(ServiceError::NotFound)
    ));
    assert!(
        !circulars::list(svc, &wang, CircularQueue::All, None, page())
            .await
            .unwrap()
            .items
            .iter()
            .any(|x| x.id == only_market.circular.id)
    );
}
