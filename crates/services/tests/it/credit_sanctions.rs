//! Joint sanctions and credit appeals (issue 15 items 3–4) on the shared case mechanism, on
//! both backends: a batch is filed, returned with a reason, resubmitted and approved; each
//! implementing department gets a task with a feedback clock; feedback needs evidence and
//! writes the class-D sanction entry in the same transaction; the batch completes when every
//! task is answered; measures lift at the end of their period; overdue tasks show red and are
//! chased (督办); ID numbers are masked for those who do not need them; bad input names every
//! field; objections withdraw and repairs repair an entry, a repair only after the minimum
//! period, each decided on a 10-working-day clock.

use chrono::Duration;
use lianjian_domain::case::Light;
use lianjian_domain::credit::appeal::{AppealAction, AppealStatus};
use lianjian_domain::credit::sanction::{BatchStatus, SanctionBatchAction, TaskAction, TaskStatus};
use lianjian_domain::credit::{
    Publication, RecordDetail, RecordKind, RecordSource, RecordStatus, Tier, penalty_publication,
};
use lianjian_domain::scope::Actor;
use lianjian_domain::visit::beijing_date;
use lianjian_services::credit::repair::{self, AppealInput, AppealQueue};
use lianjian_services::credit::sanctions::{
    self, BatchInput, FeedbackInput, MeasureInput, SubjectInput, TaskFilter, TaskQueue,
};
use lianjian_services::evidence::{EvidenceConfig, Upload};
use lianjian_services::{ServiceError, Services, audit_log, calendar};
use lianjian_store::on_both_backends;
use lianjian_store::testing::TestDb;
use uuid::Uuid;

use crate::DEMO;
use crate::clues::{actor, department, page};

pub(crate) struct Env {
    svc: Services,
    _db: TestDb,
    _dir: tempfile::TempDir,
}

async fn setup(db: TestDb) -> Env {
    let dir = tempfile::tempdir().unwrap();
    Env {
        svc: Services::new(db.store.clone(), Default::default())
            .with_clock(lianjian_services::clock::Clock::adjustable())
            .with_evidence(EvidenceConfig {
                dir: dir.path().to_path_buf(),
                ..EvidenceConfig::default()
            }),
        _db: db,
        _dir: dir,
    }
}

on_both_backends!(
    template = DEMO, setup = setup;
    a_batch_runs_from_filing_to_lifting,
    overdue_tasks_are_red_and_chased_and_scope_hides_other_departments_tasks,
    bad_batches_name_every_field_and_store_nothing,
    objections_withdraw_and_repairs_repair_after_the_minimum_period,
);

const ID_NO: &str = "11010519491231002X";

async fn entity_in(svc: &Services, n: usize) -> Vec<lianjian_store::entities::Entity> {
    let code = lianjian_domain::region::RegionCode::parse("411121").unwrap();
    let v = lianjian_store::entities::scan(svc.store.conn(), Some(&code), None, n as u64)
        .await
        .unwrap();
    assert_eq!(v.len(), n, "the demo has entities in Wuyang");
    v
}

fn measure(name: &str, dept: Uuid, subject: &str, class_d: bool) -> MeasureInput {
    MeasureInput {
        name: name.into(),
        legal_basis: "《关于建立完善守信联合激励和失信联合惩戒制度的指导意见》".into(),
        department_id: Some(dept),
        subject_type: subject.into(),
        default_months: Some(12),
        class_d,
        active: None,
    }
}

fn pdf(n: u8) -> Upload {
    Upload {
        filename: format!("执行告知书{n}.pdf"),
        media_type: Some("application/pdf".into()),
        bytes: format!("%PDF-1.4\n% sanction evidence {n}\n%%EOF\n").into_bytes(),
    }
}

struct Batch {
    office: Actor,
    market: Actor,
    health: Actor,
    market_dept: Uuid,
    health_dept: Uuid,
    entity: Uuid,
    batch: Uuid,
}

/// Two measures (market: class D on the entity; health: on the legal representative), one
/// batch filed by the market department naming one entity and its legal representative.
async fn filed(svc: &Services, feedback_days: Option<i64>, ends_in: Option<i64>) -> Batch {
    let office = actor(svc, "wy.office").await;
    let market = actor(svc, "wy.market").await;
    let health = actor(svc, "wy.health").await;
    let market_dept = department(svc, "411121", "县市场监管局").await;
    let health_dept = department(svc, "411121", "县卫生健康委").await;
    let m1 = sanctions::create_measure(
        svc,
        &office,
        &measure(
            "列为重点监管对象，提高抽查比例和频次",
            market_dept,
            "entity",
            true,
        ),
    )
    .await
    .unwrap();
    let m2 = sanctions::create_measure(
        svc,
        &office,
        &measure("限制担任医疗机构负责人", health_dept, "person", false),
    )
    .await
    .unwrap();
    let e = entity_in(svc, 1).await.remove(0);
    let today = beijing_date(svc.now());
    let b = sanctions::file_batch(
        svc,
        &market,
        &BatchInput {
            reason: "被列入严重违法失信名单，依法实施联合惩戒".into(),
            legal_basis: "《市场监督管理严重违法失信名单管理办法》第十七条".into(),
            starts_on: Some(today),
            ends_on: ends_in.map(|d| today + Duration::days(d)),
            feedback_days,
            measure_ids: vec![m1.id, m2.id],
            subjects: vec![
                SubjectInput {
                    subject_type: "entity".into(),
                    entity_id: Some(e.id),
                    ..Default::default()
                },
                SubjectInput {
                    subject_type: "person".into(),
                    usci: Some(e.usci.clone()),
                    person_name: Some("赵某某".into()),
                    id_number: Some(ID_NO.to_ascii_lowercase()),
                    person_role: Some("法定代表人".into()),
                    ..Default::default()
                },
            ],
        },
    )
    .await
    .unwrap();
    assert_eq!(b.batch.status, BatchStatus::Submitted);
    assert!(b.batch.code.starts_with("CJ-411121-"), "{}", b.batch.code);
    Batch {
        office,
        market,
        health,
        market_dept,
        health_dept,
        entity: e.id,
        batch: b.batch.id,
    }
}

fn task_of(d: &sanctions::BatchDetail, dept: Uuid) -> Uuid {
    d.tasks.iter().find(|t| t.department_id == dept).unwrap().id
}

async fn a_batch_runs_from_filing_to_lifting(env: Env) {
    let svc = &env.svc;
    let x = filed(svc, None, Some(30)).await;
    // ID numbers: in full for the initiating department, masked for the office.
    let mine = sanctions::get_batch(svc, &x.market, x.batch).await.unwrap();
    assert!(!mine.id_numbers_masked);
    assert_eq!(mine.subjects[1].id_number.as_deref(), Some(ID_NO));
    let seen = sanctions::get_batch(svc, &x.office, x.batch).await.unwrap();
    assert!(seen.id_numbers_masked);
    assert_eq!(
        seen.subjects[1].id_number.as_deref(),
        Some("1101**********002X")
    );
    assert_eq!(
        seen.actions,
        [SanctionBatchAction::Approve, SanctionBatchAction::Return]
    );
    assert!(mine.actions.is_empty(), "the filer waits for the review");
    // The department cannot review its own batch.
    let e = sanctions::approve(svc, &x.market, x.batch)
        .await
        .unwrap_err();
    assert!(matches!(e, ServiceError::Forbidden), "{e:?}");
    // Returned with a reason, resubmitted, approved.
    let e = sanctions::return_batch(svc, &x.office, x.batch, " ")
        .await
        .unwrap_err();
    let ServiceError::Invalid(f) = e else {
        panic!("{e:?}")
    };
    assert_eq!(f[0].field, "reason");
    let r = sanctions::return_batch(svc, &x.office, x.batch, "请补充严重失信名单列入决定书文号")
        .await
        .unwrap();
    assert_eq!(r.batch.status, BatchStatus::Returned);
    let r = sanctions::resubmit(svc, &x.market, x.batch, "已在惩戒事由中补充列入决定书文号")
        .await
        .unwrap();
    assert_eq!(r.batch.status, BatchStatus::Submitted);
    let d = sanctions::approve(svc, &x.office, x.batch).await.unwrap();
    assert_eq!(d.batch.status, BatchStatus::Approved);
    assert_eq!(d.tasks.len(), 2);
    let steps: Vec<&str> = d.timeline.iter().map(|t| t.action.as_str()).collect();
    assert_eq!(steps, ["file", "return", "resubmit", "approve"]);
    assert_eq!(
        d.timeline[1].reason.as_deref(),
        Some("请补充严重失信名单列入决定书文号")
    );
    // Each task's feedback clock: 10 working days from today on the calendar.
    let cal = calendar::current(svc).await.unwrap();
    let today = beijing_date(svc.now());
    for t in &d.tasks {
        assert_eq!(t.status, TaskStatus::Pending);
        assert_eq!(t.clocks.len(), 1);
        assert_eq!(t.clocks[0].due, cal.add_working_days(today, 10));
        assert_eq!(t.light, Some(Light::Green));
    }
    let health_task = task_of(&d, x.health_dept);
    let market_task = task_of(&d, x.market_dept);
    // The health commission sees only the person its measure applies to, with the ID number.
    let ht = sanctions::get_task(svc, &x.health, health_task)
        .await
        .unwrap();
    assert_eq!(ht.subjects.len(), 1);
    assert_eq!(ht.subjects[0].id_number.as_deref(), Some(ID_NO));
    assert_eq!(
        ht.actions,
        [TaskAction::Attach, TaskAction::Apply, TaskAction::Decline]
    );
    // Feedback needs evidence first.
    let fb = FeedbackInput {
        feedback: "已在医疗机构校验中限制其担任负责人".into(),
        applied_on: None,
    };
    let e = sanctions::apply(svc, &x.health, health_task, &fb)
        .await
        .unwrap_err();
    let ServiceError::Invalid(f) = e else {
        panic!("{e:?}")
    };
    assert_eq!(f[0].field, "files");
    let (_, new) = sanctions::attach(svc, &x.health, health_task, pdf(1))
        .await
        .unwrap();
    assert!(new);
    let (again, new) = sanctions::attach(svc, &x.health, health_task, pdf(1))
        .await
        .unwrap();
    assert!(!new, "the same file twice changes nothing");
    assert_eq!(again.files.len(), 1);
    let h = sanctions::apply(svc, &x.health, health_task, &fb)
        .await
        .unwrap();
    assert_eq!(h.task.status, TaskStatus::Applied);
    assert_eq!(h.task.clocks[0].light, Light::Met);
    // A person's measure writes no entity credit entry.
    let entries = lianjian_store::credit::of_entity(
        svc.store.conn(),
        &lianjian_domain::scope::Scope::system(),
        x.entity,
    )
    .await
    .unwrap();
    assert!(entries.iter().all(|e| e.kind != RecordKind::Sanction));
    // Batch still running: one task waits.
    assert_eq!(
        sanctions::get_batch(svc, &x.office, x.batch)
            .await
            .unwrap()
            .batch
            .status,
        BatchStatus::Approved
    );
    sanctions::attach(svc, &x.market, market_task, pdf(2))
        .await
        .unwrap();
    let m = sanctions::apply(
        svc,
        &x.market,
        market_task,
        &FeedbackInput {
            feedback: "已将该主体列为重点监管对象，纳入D类抽查".into(),
            applied_on: Some(today),
        },
    )
    .await
    .unwrap();
    assert_eq!(m.task.status, TaskStatus::Applied);
    // The class-D sanction entry, written in the same transaction.
    let entries = lianjian_store::credit::of_entity(
        svc.store.conn(),
        &lianjian_domain::scope::Scope::system(),
        x.entity,
    )
    .await
    .unwrap();
    let s: Vec<_> = entries
        .iter()
        .filter(|e| e.kind == RecordKind::Sanction)
        .collect();
    assert_eq!(s.len(), 1);
    let until = today + Duration::days(30);
    assert_eq!(s[0].source, RecordSource::Sanction);
    assert_eq!(s[0].status, RecordStatus::Active);
    assert_eq!(s[0].department_id, Some(x.market_dept));
    assert_eq!(
        s[0].detail,
        RecordDetail::Sanction {
            measure: "列为重点监管对象，提高抽查比例和频次".into(),
            until,
            class_d: true
        }
    );
    assert!(
        !s[0].record().is_public_on(today),
        "sanctions are not on the portal"
    );
    // Every task answered: the batch completed, by the step that answered the last one.
    let b = sanctions::get_batch(svc, &x.office, x.batch).await.unwrap();
    assert_eq!(b.batch.status, BatchStatus::Completed);
    assert_eq!(b.timeline.last().unwrap().action, "complete");
    // Audited: every step has its entry.
    let admin = lianjian_services::cli_actor();
    for action in [
        "sanction_batch.file",
        "sanction_batch.approve",
        "sanction_task.dispatch",
        "sanction_task.attach",
        "sanction_task.apply",
        "sanction_batch.complete",
    ] {
        let n = audit_log::list(
            svc,
            &admin,
            &audit_log::AuditQuery {
                action: Some(action.into()),
                ..Default::default()
            },
            page(),
        )
        .await
        .unwrap()
        .total;
        assert!(n >= 1, "{action} audited");
    }
    // Statistics: by measure, department and result.
    let st = sanctions::statistics(svc, &x.office, today, today)
        .await
        .unwrap();
    assert_eq!(st.total.total, 2);
    assert_eq!(st.total.applied, 2);
    assert_eq!(st.by_measure.len(), 2);
    assert_eq!(st.by_department.len(), 2);
    assert_eq!(st.overdue_now, 0);
    // The lifting pass does nothing before the end…
    svc.clock.advance(Duration::days(30));
    let l = sanctions::lift_expired(svc).await.unwrap();
    assert_eq!((l.entries, l.tasks), (0, 0));
    // …and the day after it ends the entry and lifts the market's task.
    svc.clock.advance(Duration::days(1));
    let l = sanctions::lift_expired(svc).await.unwrap();
    assert_eq!(l.entries, 1);
    assert_eq!(
        l.tasks, 2,
        "both tasks' measures ended with the batch's period"
    );
    let e = lianjian_store::credit::get(
        svc.store.conn(),
        &lianjian_domain::scope::Scope::system(),
        s[0].id,
    )
    .await
    .unwrap()
    .unwrap();
    assert_eq!(e.status, RecordStatus::Removed);
    assert_eq!(e.ended_on, until.succ_opt());
    let m = sanctions::get_task(svc, &x.market, market_task)
        .await
        .unwrap();
    assert_eq!(m.task.status, TaskStatus::Lifted);
    assert_eq!(m.timeline.last().unwrap().actor, "系统（超时自动处理）");
    // Run again: nothing more to do.
    let l = sanctions::lift_expired(svc).await.unwrap();
    assert_eq!((l.entries, l.tasks), (0, 0));
}

async fn overdue_tasks_are_red_and_chased_and_scope_hides_other_departments_tasks(env: Env) {
    let svc = &env.svc;
    let x = filed(svc, Some(1), None).await;
    let d = sanctions::approve(svc, &x.office, x.batch).await.unwrap();
    let health_task = task_of(&d, x.health_dept);
    let market_task = task_of(&d, x.market_dept);
    // A line-scoped department sees its own task only; the other looks absent.
    let e = sanctions::get_task(svc, &x.market, health_task)
        .await
        .unwrap_err();
    assert!(matches!(e, ServiceError::NotFound), "{e:?}");
    let mine = sanctions::list_tasks(
        svc,
        &x.health,
        TaskQueue::All,
        &TaskFilter::default(),
        page(),
    )
    .await
    .unwrap();
    assert_eq!(
        mine.items.iter().map(|t| t.id).collect::<Vec<_>>(),
        [health_task]
    );
    // But the health commission reads the batch it implements (a party to it).
    sanctions::get_batch(svc, &x.health, x.batch).await.unwrap();
    // A department cannot report for another.
    let wang = actor(svc, "wy.wang").await; // a health inspector
    sanctions::attach(svc, &wang, health_task, pdf(3))
        .await
        .unwrap();
    // Past the one-working-day deadline: red, in the 已超时 queue.
    let cal = calendar::current(svc).await.unwrap();
    let today = beijing_date(svc.now());
    let due = cal.add_working_days(today, 1);
    svc.clock
        .advance(Duration::days((due - today).num_days() + 1));
    let overdue = sanctions::list_tasks(
        svc,
        &x.office,
        TaskQueue::Overdue,
        &TaskFilter::default(),
        page(),
    )
    .await
    .unwrap();
    assert_eq!(overdue.total, 2);
    assert!(overdue.items.iter().all(|t| t.light == Some(Light::Red)));
    let counts = sanctions::task_queue_counts(svc, &x.office).await.unwrap();
    assert!(counts.contains(&(TaskQueue::Overdue, 2)));
    assert!(counts.contains(&(TaskQueue::DueSoon, 0)));
    // 督办: the office only, with a reason the department reads on the timeline.
    let e = sanctions::supervise(svc, &x.health, health_task, "请尽快反馈")
        .await
        .unwrap_err();
    assert!(matches!(e, ServiceError::Forbidden), "{e:?}");
    let e = sanctions::supervise(svc, &x.office, health_task, "")
        .await
        .unwrap_err();
    let ServiceError::Invalid(f) = e else {
        panic!("{e:?}")
    };
    assert_eq!(f[0].field, "reason");
    sanctions::supervise(
        svc,
        &x.office,
        health_task,
        "反馈已超期，请于两个工作日内反馈执行情况",
    )
    .await
    .unwrap();
    let h = sanctions::get_task(svc, &x.health, health_task)
        .await
        .unwrap();
    assert_eq!(h.task.supervised, 1);
    let last = h.timeline.last().unwrap();
    assert_eq!(last.action, "supervise");
    assert_eq!(
        last.reason.as_deref(),
        Some("反馈已超期，请于两个工作日内反馈执行情况")
    );
    // The inspector of the line reports that it could not be carried out.
    let e = sanctions::decline(svc, &wang, health_task, "")
        .await
        .unwrap_err();
    assert!(matches!(e, ServiceError::Invalid(_)), "{e:?}");
    let h = sanctions::decline(
        svc,
        &wang,
        health_task,
        "该责任人未在本县医疗机构任职，无法执行",
    )
    .await
    .unwrap();
    assert_eq!(h.task.status, TaskStatus::NotApplied);
    assert_eq!(h.task.clocks[0].light, Light::Late);
    assert!(h.actions.is_empty());
    // Supervision after the answer is refused.
    let e = sanctions::supervise(svc, &x.office, health_task, "再次督办")
        .await
        .unwrap_err();
    assert!(matches!(e, ServiceError::Conflict { .. }), "{e:?}");
    // The market task is still overdue; statistics count it.
    let st = sanctions::statistics(svc, &x.office, today, beijing_date(svc.now()))
        .await
        .unwrap();
    assert_eq!(st.overdue_now, 1);
    assert_eq!((st.total.pending, st.total.not_applied), (1, 1));
    let _ = market_task;
}

async fn bad_batches_name_every_field_and_store_nothing(env: Env) {
    let svc = &env.svc;
    let market = actor(svc, "wy.market").await;
    let office = actor(svc, "wy.office").await;
    let zhang = actor(svc, "wy.zhang").await;
    let e = sanctions::file_batch(svc, &zhang, &BatchInput::default())
        .await
        .unwrap_err();
    assert!(
        matches!(e, ServiceError::Forbidden),
        "inspectors do not file: {e:?}"
    );
    let e = sanctions::create_measure(svc, &market, &MeasureInput::default())
        .await
        .unwrap_err();
    assert!(
        matches!(e, ServiceError::Forbidden),
        "departments do not keep the catalogue"
    );
    let e = sanctions::create_measure(svc, &office, &MeasureInput::default())
        .await
        .unwrap_err();
    let ServiceError::Invalid(f) = e else {
        panic!("{e:?}")
    };
    let fields: Vec<&str> = f.iter().map(|x| x.field.as_str()).collect();
    for want in [
        "name",
        "legal_basis",
        "subject_type",
        "default_months",
        "department_id",
    ] {
        assert!(fields.contains(&want), "{want} in {fields:?}");
    }
    let market_dept = department(svc, "411121", "县市场监管局").await;
    let m = sanctions::create_measure(
        svc,
        &office,
        &measure("限制参加政府采购", market_dept, "person", false),
    )
    .await
    .unwrap();
    // The same name twice in a region is a conflict naming the field.
    let e = sanctions::create_measure(
        svc,
        &office,
        &measure("限制参加政府采购", market_dept, "entity", false),
    )
    .await
    .unwrap_err();
    assert!(
        matches!(e, ServiceError::Conflict { ref field, .. } if field == "name"),
        "{e:?}"
    );
    let today = beijing_date(svc.now());
    let e = sanctions::file_batch(
        svc,
        &market,
        &BatchInput {
            reason: "".into(),
            legal_basis: "x".into(),
            starts_on: Some(today),
            ends_on: Some(today - Duration::days(1)),
            feedback_days: Some(0),
            measure_ids: vec![m.id, Uuid::now_v7()],
            subjects: vec![SubjectInput {
                subject_type: "person".into(),
                entity_id: Some(entity_in(svc, 1).await[0].id),
                person_name: Some("赵某某".into()),
                id_number: Some("110105194912310021".into()),
                person_role: None,
                ..Default::default()
            }],
        },
    )
    .await
    .unwrap_err();
    let ServiceError::Invalid(f) = e else {
        panic!("{e:?}")
    };
    let fields: Vec<&str> = f.iter().map(|x| x.field.as_str()).collect();
    for want in [
        "reason",
        "legal_basis",
        "ends_on",
        "feedback_days",
        "measure_ids[1]",
        "subjects[0].id_number",
        "subjects[0].person_role",
    ] {
        assert!(fields.contains(&want), "{want} in {fields:?}");
    }
    // A measure against persons with only an entity named.
    let e = sanctions::file_batch(
        svc,
        &market,
        &BatchInput {
            reason: "被列入严重违法失信名单".into(),
            legal_basis: "《市场监督管理严重违法失信名单管理办法》".into(),
            measure_ids: vec![m.id],
            subjects: vec![SubjectInput {
                subject_type: "entity".into(),
                entity_id: Some(entity_in(svc, 1).await[0].id),
                ..Default::default()
            }],
            ..Default::default()
        },
    )
    .await
    .unwrap_err();
    let ServiceError::Invalid(f) = e else {
        panic!("{e:?}")
    };
    assert_eq!(f[0].field, "subjects");
    assert_eq!(f[0].code, "no_subject");
    let p = sanctions::list_batches(svc, &office, None, None, page())
        .await
        .unwrap();
    assert_eq!(p.total, 0, "nothing stored");
}

async fn penalty(
    svc: &Services,
    entity: &lianjian_store::entities::Entity,
    dept: Uuid,
    days_ago: i64,
    reference: &str,
) -> Uuid {
    let today = beijing_date(svc.now());
    let on = today - Duration::days(days_ago);
    let now = chrono::Utc::now();
    let e = lianjian_store::credit::Entry {
        id: Uuid::now_v7(),
        entity_id: entity.id,
        region_code: entity.region_code.clone(),
        department_id: Some(dept),
        kind: RecordKind::Penalty,
        tier: Some(Tier::General),
        occurred_on: on,
        reference: Some(reference.into()),
        title: "销售超过保质期的食品".into(),
        legal_basis: Some("《食品安全法》第一百二十四条".into()),
        detail: RecordDetail::Penalty {
            kinds: vec![lianjian_domain::credit::PenaltyKind::Fine],
            amount_cents: 500_000,
            strict_field: None,
        },
        source: RecordSource::Manual,
        publication: penalty_publication(Tier::General, None, on),
        status: RecordStatus::Active,
        ended_on: None,
        created_by: "test".into(),
        created_at: now,
        updated_at: now,
    };
    let _: Publication = e.publication;
    lianjian_store::credit::insert_many(svc.store.conn(), &[e.clone()])
        .await
        .unwrap();
    e.id
}

async fn objections_withdraw_and_repairs_repair_after_the_minimum_period(env: Env) {
    let svc = &env.svc;
    let office = actor(svc, "wy.office").await;
    let market = actor(svc, "wy.market").await;
    let health = actor(svc, "wy.health").await;
    let zhang = actor(svc, "wy.zhang").await;
    let market_dept = department(svc, "411121", "县市场监管局").await;
    let ents = entity_in(svc, 1).await;
    let recent = penalty(svc, &ents[0], market_dept, 30, "舞市监罚〔2026〕101号").await;
    let old = penalty(svc, &ents[0], market_dept, 200, "舞市监罚〔2026〕7号").await;
    let input = |kind: &str, entry: Uuid| AppealInput {
        kind: kind.into(),
        entry_id: Some(entry),
        applicant: "某某公司（委托人：钱某）".into(),
        statement: "已全部履行行政处罚决定，主动纠正违法行为".into(),
    };
    // Inspectors do not register; bad input names every field.
    let e = repair::register(svc, &zhang, &input("repair", old))
        .await
        .unwrap_err();
    assert!(matches!(e, ServiceError::Forbidden), "{e:?}");
    let e = repair::register(svc, &office, &AppealInput::default())
        .await
        .unwrap_err();
    let ServiceError::Invalid(f) = e else {
        panic!("{e:?}")
    };
    let fields: Vec<&str> = f.iter().map(|x| x.field.as_str()).collect();
    assert_eq!(fields, ["kind", "applicant", "statement", "entry_id"]);
    // A repair before the minimum period (3 months for a general penalty) is not accepted.
    let e = repair::register(svc, &office, &input("repair", recent))
        .await
        .unwrap_err();
    let ServiceError::Invalid(f) = e else {
        panic!("{e:?}")
    };
    assert_eq!(
        (f[0].field.as_str(), f[0].code.as_str()),
        ("entry_id", "too_early")
    );
    // An objection is accepted at any time, decided on a 10-working-day clock.
    let o = repair::register(svc, &office, &input("objection", recent))
        .await
        .unwrap();
    assert_eq!(o.appeal.status, AppealStatus::Submitted);
    assert!(o.appeal.code.starts_with("YY-411121-"), "{}", o.appeal.code);
    let cal = calendar::current(svc).await.unwrap();
    let today = beijing_date(svc.now());
    assert_eq!(o.appeal.clocks[0].due, cal.add_working_days(today, 10));
    assert_eq!(o.actions, [AppealAction::Grant, AppealAction::Reject]);
    // Only one open appeal per entry.
    let e = repair::register(svc, &market, &input("objection", recent))
        .await
        .unwrap_err();
    let ServiceError::Invalid(f) = e else {
        panic!("{e:?}")
    };
    assert_eq!(f[0].code, "open_appeal");
    // Another department's administrator does not decide the market's entry.
    let e = repair::decide(svc, &health, o.appeal.id, true, "理由充分")
        .await
        .unwrap_err();
    assert!(matches!(e, ServiceError::Forbidden), "{e:?}");
    // Upheld by the recording department: the entry is withdrawn.
    let d = repair::decide(
        svc,
        &market,
        o.appeal.id,
        true,
        "经复核，处罚决定已被复议撤销",
    )
    .await
    .unwrap();
    assert_eq!(d.appeal.status, AppealStatus::Granted);
    assert_eq!(d.entry.as_ref().unwrap().status, RecordStatus::Withdrawn);
    assert_eq!(d.appeal.clocks[0].light, Light::Met);
    let steps: Vec<&str> = d.timeline.iter().map(|t| t.action.as_str()).collect();
    assert_eq!(steps, ["submit", "grant"]);
    let e = repair::register(svc, &office, &input("objection", recent))
        .await
        .unwrap_err();
    let ServiceError::Invalid(f) = e else {
        panic!("{e:?}")
    };
    assert_eq!(f[0].code, "not_objectionable");
    // A repair after the minimum period: rejected first (the entry stays), then granted.
    let r = repair::register(svc, &office, &input("repair", old))
        .await
        .unwrap();
    assert!(r.appeal.code.starts_with("XF-411121-"));
    let r = repair::decide(
        svc,
        &office,
        r.appeal.id,
        false,
        "尚未提交履行完毕的证明材料",
    )
    .await
    .unwrap();
    assert_eq!(r.appeal.status, AppealStatus::Rejected);
    assert_eq!(r.entry.as_ref().unwrap().status, RecordStatus::Active);
    let e = repair::decide(svc, &office, r.appeal.id, true, "改为支持")
        .await
        .unwrap_err();
    assert!(matches!(e, ServiceError::Conflict { .. }), "{e:?}");
    let r = repair::register(svc, &office, &input("repair", old))
        .await
        .unwrap();
    let r = repair::decide(
        svc,
        &office,
        r.appeal.id,
        true,
        "已履行处罚并完成整改，准予修复",
    )
    .await
    .unwrap();
    let entry = r.entry.unwrap();
    assert_eq!(entry.status, RecordStatus::Repaired);
    let stored = lianjian_store::credit::get(
        svc.store.conn(),
        &lianjian_domain::scope::Scope::system(),
        old,
    )
    .await
    .unwrap()
    .unwrap();
    assert_eq!(stored.ended_on, Some(today));
    assert!(!stored.record().is_public_on(today), "publication stopped");
    // Queues.
    let decided = repair::list(svc, &office, AppealQueue::Decided, None, None, page())
        .await
        .unwrap();
    assert_eq!(decided.total, 3);
    let open = repair::list(svc, &office, AppealQueue::Submitted, None, None, page())
        .await
        .unwrap();
    assert_eq!(open.total, 0);
    // An open one past its deadline is red.
    let third = penalty(svc, &ents[0], market_dept, 10, "舞市监罚〔2026〕150号").await;
    repair::register(svc, &office, &input("objection", third))
        .await
        .unwrap();
    let due = cal.add_working_days(today, 10);
    svc.clock
        .advance(Duration::days((due - today).num_days() + 1));
    let red = repair::list(svc, &office, AppealQueue::Overdue, None, None, page())
        .await
        .unwrap();
    assert_eq!(red.total, 1);
    assert_eq!(red.items[0].light, Some(Light::Red));
}
