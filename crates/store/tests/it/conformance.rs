//! Store conformance suite: every test runs on SQLite, and on PostgreSQL when
//! `LIANJIAN_TEST_POSTGRES_URL` is set (CI sets it), each on a fresh database.

use chrono::Utc;
use lianjian_domain::account::Role;
use lianjian_domain::audit::Tamper;
use lianjian_domain::department::DepartmentStatus;
use lianjian_domain::region::RegionCode;
use lianjian_domain::scope::{Actor, Scope};
use lianjian_store::audit::{self, NewEntry};
use lianjian_store::departments::{self, Department, DepartmentQuery};
use lianjian_store::on_both_backends;
use lianjian_store::testing::TestDb;
use lianjian_store::{PageRequest, Store, StoreError, regions};
use sea_orm::{ConnectionTrait, Statement};
use uuid::Uuid;

on_both_backends!(
    migrations_load_regions_and_are_idempotent,
    region_lineage_and_children,
    departments_are_scoped_and_unique,
    audit_chain_verifies_when_intact,
    audit_detects_altered_entry,
    audit_detects_removed_entry,
    audit_detects_inserted_entry,
    audit_append_rolls_back_with_its_transaction,
    visit_and_claim_rows_carry_enums_and_visits_move_by_compare_and_set,
    visit_results_carry_enums_and_reviews_move_by_compare_and_set,
    an_unknown_stored_code_is_a_store_error_naming_column_and_value,
);

fn r(s: &str) -> RegionCode {
    RegionCode::parse(s).unwrap()
}

async fn migrations_load_regions_and_are_idempotent(db: &TestDb) {
    let n = regions::count(db.store.conn()).await.unwrap();
    assert!(n > 40_000, "regions loaded: {n}");
    db.store.migrate().await.unwrap();
    assert_eq!(regions::count(db.store.conn()).await.unwrap(), n);
    // A second process connecting to the same database migrates as a no-op too.
    let again = Store::connect_and_migrate(&db.url).await.unwrap();
    assert_eq!(regions::count(again.conn()).await.unwrap(), n);
}

async fn region_lineage_and_children(db: &TestDb) {
    let c = db.store.conn();
    assert_eq!(
        regions::path_name(c, &r("411121")).await.unwrap(),
        "河南省 / 漯河市 / 舞阳县"
    );
    let kids = regions::children(c, Some(&r("411121"))).await.unwrap();
    assert!(kids.len() >= 10 && kids.iter().all(|k| k.code.as_str().starts_with("411121")));
    let provinces = regions::children(c, None).await.unwrap();
    assert_eq!(provinces.len(), 31);
    assert!(regions::get(c, &r("999999")).await.unwrap().is_none());
    let found = regions::search(c, "舞阳", None, 10).await.unwrap();
    assert!(found.iter().any(|f| f.code.as_str() == "411121"));
}

fn dept(region: &str, name: &str, line: &str) -> Department {
    Department {
        id: Uuid::now_v7(),
        region_code: r(region),
        name: name.into(),
        line: line.into(),
        status: DepartmentStatus::Active,
        builtin_set: None,
        sort_order: 10,
        created_at: Utc::now(),
        updated_at: Utc::now(),
    }
}

async fn departments_are_scoped_and_unique(db: &TestDb) {
    let c = db.store.conn();
    departments::insert(c, &dept("411121", "县市场监管局", "market"))
        .await
        .unwrap();
    departments::insert(c, &dept("411121", "县卫生健康委", "health"))
        .await
        .unwrap();
    departments::insert(c, &dept("371502", "区市场监管局", "market"))
        .await
        .unwrap();
    let dup = departments::insert(c, &dept("411121", "县市场监管局", "market"))
        .await
        .unwrap_err();
    assert!(matches!(dup, StoreError::Conflict(_)), "{dup:?}");

    let scope = Scope::of(&actor(Role::DepartmentAdmin, "41", "market"));
    let page = departments::list(
        c,
        &scope,
        &DepartmentQuery::default(),
        PageRequest::default(),
    )
    .await
    .unwrap();
    assert_eq!(page.total, 1);
    assert_eq!(page.items[0].name, "县市场监管局");
    let all = departments::list(
        c,
        &Scope::system(),
        &DepartmentQuery::default(),
        PageRequest::default(),
    )
    .await
    .unwrap();
    assert_eq!(all.total, 3);
    let other = all
        .items
        .iter()
        .find(|d| d.region_code.as_str() == "371502")
        .unwrap();
    assert!(
        departments::get_scoped(c, &scope, other.id)
            .await
            .unwrap()
            .is_none()
    );

    // A filter narrows the grant and never widens it: another line or another province
    // finds nothing, a line inside an all-lines grant finds only that line.
    let count = |s: Scope| async move {
        departments::list(c, &s, &DepartmentQuery::default(), PageRequest::default())
            .await
            .unwrap()
            .total
    };
    assert_eq!(count(scope.clone().narrowed(None, Some("health"))).await, 0);
    assert_eq!(count(scope.clone().narrowed(Some(&r("37")), None)).await, 0);
    assert_eq!(
        count(scope.clone().narrowed(Some(&r("4111")), None)).await,
        1
    );
    let office = Scope::of(&actor(Role::CoordinationOffice, "41", "market"));
    assert_eq!(count(office.clone()).await, 2);
    assert_eq!(
        count(office.clone().narrowed(None, Some("health"))).await,
        1
    );
    assert_eq!(count(office.narrowed(Some(&r("37")), None)).await, 0);
    assert_eq!(
        count(Scope::public().narrowed(Some(&r("37")), None)).await,
        1
    );
}

fn actor(role: Role, region: &str, line: &str) -> Actor {
    Actor {
        user_id: Uuid::nil(),
        username: "t".into(),
        display_name: "t".into(),
        role,
        department_id: Uuid::nil(),
        department_line: line.into(),
        region: r(region),
        ip: None,
        context: None,
    }
}

async fn write_entries(store: &Store, n: usize) {
    for i in 0..n {
        let tx = store.begin().await.unwrap();
        audit::append(
            &tx,
            NewEntry {
                actor_name: "tester".into(),
                action: "test.write".into(),
                object_type: "thing".into(),
                object_id: Some(i.to_string()),
                region_code: Some("411121".into()),
                after: Some(serde_json::json!({"n": i, "名称": "测试"})),
                ..Default::default()
            },
        )
        .await
        .unwrap();
        tx.commit().await.unwrap();
    }
}

async fn exec(store: &Store, sql: &str) {
    let c = store.conn();
    c.execute_raw(Statement::from_string(
        c.get_database_backend(),
        sql.to_string(),
    ))
    .await
    .unwrap();
}

async fn audit_chain_verifies_when_intact(db: &TestDb) {
    assert_eq!(
        audit::verify(db.store.conn())
            .await
            .unwrap()
            .unwrap()
            .entries,
        0
    );
    write_entries(&db.store, 5).await;
    let v = audit::verify(db.store.conn()).await.unwrap().unwrap();
    assert_eq!((v.entries, v.last_seq), (5, 5));
    assert_eq!(
        audit::head(db.store.conn()).await.unwrap().hash,
        v.head_hash
    );
}

async fn audit_detects_altered_entry(db: &TestDb) {
    write_entries(&db.store, 5).await;
    exec(
        &db.store,
        "UPDATE audit_log SET actor_name = 'mallory' WHERE seq = 3",
    )
    .await;
    let t = audit::verify(db.store.conn()).await.unwrap().unwrap_err();
    assert!(matches!(t, Tamper::Altered { seq: 3, .. }), "{t:?}");
}

async fn audit_detects_removed_entry(db: &TestDb) {
    write_entries(&db.store, 5).await;
    exec(&db.store, "DELETE FROM audit_log WHERE seq = 2").await;
    let t = audit::verify(db.store.conn()).await.unwrap().unwrap_err();
    assert_eq!(
        t,
        Tamper::Removed {
            from_seq: 2,
            to_seq: 2
        }
    );
}

async fn audit_detects_inserted_entry(db: &TestDb) {
    write_entries(&db.store, 5).await;
    // Make room after entry 3 and copy entry 3 into the gap: a plausible forgery.
    exec(
        &db.store,
        "UPDATE audit_log SET seq = seq + 100 WHERE seq > 3",
    )
    .await;
    exec(
        &db.store,
        "UPDATE audit_log SET seq = seq - 99 WHERE seq > 100",
    )
    .await;
    let c = db.store.conn();
    let cols = "actor_id, actor_name, actor_role, department_id, region_code, ip, action, object_type, object_id, before, after, prev_hash, hash";
    let (uuid_expr, at_expr) = match c.get_database_backend() {
        sea_orm::DbBackend::Postgres => ("gen_random_uuid()", "at"),
        _ => ("randomblob(16)", "at"),
    };
    exec(
        &db.store,
        &format!("INSERT INTO audit_log (seq, id, at, {cols}) SELECT 4, {uuid_expr}, {at_expr}, {cols} FROM audit_log WHERE seq = 3"),
    )
    .await;
    let t = audit::verify(c).await.unwrap().unwrap_err();
    assert!(
        matches!(
            t,
            Tamper::Inserted { seq: 4, .. } | Tamper::Altered { seq: 4, .. }
        ),
        "{t:?}"
    );
    // The copy has a new id, so its own hash no longer matches: reported at entry 4 either way.
}

async fn audit_append_rolls_back_with_its_transaction(db: &TestDb) {
    write_entries(&db.store, 2).await;
    {
        let tx = db.store.begin().await.unwrap();
        audit::append(
            &tx,
            NewEntry {
                actor_name: "x".into(),
                action: "a".into(),
                object_type: "t".into(),
                ..Default::default()
            },
        )
        .await
        .unwrap();
        // dropped without commit
    }
    let v = audit::verify(db.store.conn()).await.unwrap().unwrap();
    assert_eq!(v.entries, 2);
    assert_eq!(audit::count(db.store.conn()).await.unwrap(), 2);
}

/// A department, an entity of its county and a scheduled complaint visit to it.
async fn a_visit(
    c: &impl ConnectionTrait,
) -> (
    Department,
    lianjian_store::entities::Entity,
    lianjian_store::draws::Visit,
) {
    use lianjian_domain::directory::{EntityType, RegStatus};
    use lianjian_domain::visit::VisitStatus;
    use lianjian_store::{draws, entities};

    let d = dept("411121", "县市场监管局", "market");
    departments::insert(c, &d).await.unwrap();
    let now = lianjian_domain::audit::audit_time(Utc::now());
    let e = entities::Entity {
        id: Uuid::now_v7(),
        usci: "91411121MA9XXXXX0T".into(),
        name: "舞阳县某某商贸有限公司".into(),
        entity_type: EntityType::Enterprise,
        legal_rep: None,
        address: None,
        region_code: r("411121"),
        industry_code: None,
        reg_status: RegStatus::Active,
        business_scope: None,
        credit_class: None,
        credit_date: None,
        credit_source: None,
        created_at: now,
        updated_at: now,
    };
    entities::insert_many(c, std::slice::from_ref(&e))
        .await
        .unwrap();
    let today = now.date_naive();
    let v = draws::Visit {
        id: Uuid::now_v7(),
        code: "JC-411121-2026-0001".into(),
        draw_id: None,
        entity_id: e.id,
        region_code: r("411121"),
        lead_department_id: d.id,
        trigger: lianjian_domain::visit::VisitTrigger::Complaint,
        trigger_note: Some("投诉".into()),
        status: VisitStatus::Scheduled,
        period_start: today,
        period_end: today,
        visited_on: None,
        created_at: now,
        updated_at: now,
    };
    draws::insert_visit(c, &v, &[], &[]).await.unwrap();
    (d, e, v)
}

/// Visit and claim rows read by column name carry the domain's status enums, on both backends;
/// a visit moves only from the status it was read with.
async fn visit_and_claim_rows_carry_enums_and_visits_move_by_compare_and_set(db: &TestDb) {
    use lianjian_domain::claim::ClaimStatus;
    use lianjian_domain::visit::{VisitStatus, VisitTrigger};
    use lianjian_store::{claims, draws, visits};

    let c = db.store.conn();
    let (d, e, v) = a_visit(c).await;
    let now = v.created_at;

    let row = visits::get_visit(c, v.id).await.unwrap().unwrap();
    assert_eq!(row.trigger, VisitTrigger::Complaint);
    assert_eq!(row.status, VisitStatus::Scheduled);
    assert_eq!(row.entity_name, e.name);
    assert_eq!(row.usci, e.usci);
    assert_eq!(row.lead_department_id, d.id);
    assert_eq!(row.trigger_note.as_deref(), Some("投诉"));
    let listed = visits::list_visits(
        c,
        &Scope::system(),
        &visits::VisitQuery {
            status: vec![VisitStatus::Scheduled],
            ..Default::default()
        },
        PageRequest::default(),
    )
    .await
    .unwrap();
    assert_eq!(listed.total, 1);
    assert_eq!(listed.items[0], row);

    let started = visits::Progress {
        started: Some((now, None)),
        ..Default::default()
    };
    let moved = (VisitStatus::Scheduled, VisitStatus::InProgress);
    assert!(
        visits::set_visit_status(c, v.id, moved, &started)
            .await
            .unwrap()
    );
    // The same move again finds the visit no longer scheduled and changes nothing.
    assert!(
        !visits::set_visit_status(c, v.id, moved, &started)
            .await
            .unwrap()
    );
    let row = visits::get_visit(c, v.id).await.unwrap().unwrap();
    assert_eq!(row.status, VisitStatus::InProgress);
    assert_eq!(row.started_at, Some(now));
    assert_eq!(
        draws::visits_of_entity(c, e.id).await.unwrap()[0].status,
        VisitStatus::InProgress
    );

    let cl = claims::Claim {
        id: Uuid::now_v7(),
        entity_id: e.id,
        region_code: r("411121"),
        department_id: Some(d.id),
        status: ClaimStatus::Pending,
        matched_by: "规则".into(),
        reason: None,
        created_at: now,
        decided_at: None,
        decided_by: None,
        source: claims::ClaimSource::Entity,
        source_id: None,
    };
    claims::insert(c, &cl).await.unwrap();
    assert_eq!(claims::get(c, cl.id).await.unwrap().unwrap(), cl);

    // A status the domain does not know is corruption, named by its column.
    exec(
        &db.store,
        "UPDATE visits SET status = 'lost' WHERE code = 'JC-411121-2026-0001'",
    )
    .await;
    let err = visits::get_visit(c, v.id).await.unwrap_err();
    assert!(
        matches!(&err, StoreError::Corrupt(m) if m.starts_with("status")),
        "{err:?}"
    );
}

/// A visit's results, answers and credit records carry the domain's result code, follow-up,
/// review and answer enums; a review moves only from the value it was read with.
async fn visit_results_carry_enums_and_reviews_move_by_compare_and_set(db: &TestDb) {
    use lianjian_domain::visit::{Answer, FollowUp, ResultCode, Review};
    use lianjian_store::visits::{self, AnswerRow, CreditRecord, ResultRow};

    let c = db.store.conn();
    let (d, e, v) = a_visit(c).await;
    let now = v.created_at;
    let (plan, item) = (Uuid::now_v7(), Uuid::now_v7());
    let part = ResultRow::pending(plan, item, d.id, now);
    assert_eq!(part.review, Review::Pending);
    visits::insert_result(c, v.id, &part).await.unwrap();
    assert_eq!(visits::results(c, v.id).await.unwrap(), [part]);

    let set = |code, fu| visits::set_result(c, v.id, plan, code, fu, "当场责令改正");
    assert!(
        set(Some(ResultCode::Corrected), Some(FollowUp::Rectify))
            .await
            .unwrap()
    );
    // The same result again changes nothing.
    assert!(
        !set(Some(ResultCode::Corrected), Some(FollowUp::Rectify))
            .await
            .unwrap()
    );
    let got = &visits::results(c, v.id).await.unwrap()[0];
    assert_eq!(
        (got.result_code, got.follow_up),
        (Some(ResultCode::Corrected), Some(FollowUp::Rectify))
    );

    let approve = (Review::Pending, Review::Approved);
    assert!(
        visits::set_review(c, v.id, plan, approve, None, Some("wy.admin"))
            .await
            .unwrap()
    );
    // A second decision read as pending finds the part approved meanwhile: nothing changes.
    assert!(
        !visits::set_review(
            c,
            v.id,
            plan,
            (Review::Pending, Review::Returned),
            Some("资料不全"),
            Some("other")
        )
        .await
        .unwrap()
    );
    let got = &visits::results(c, v.id).await.unwrap()[0];
    assert_eq!(got.review, Review::Approved);
    assert_eq!(got.reviewed_by.as_deref(), Some("wy.admin"));
    assert_eq!(got.review_note, None);

    let answer = AnswerRow {
        seq: 1,
        answer: Answer::Fail,
        note: "灭火器过期".into(),
        inspector_id: Uuid::now_v7(),
        recorded_at: now,
    };
    assert!(visits::upsert_answer(c, v.id, &answer).await.unwrap());
    assert!(!visits::upsert_answer(c, v.id, &answer).await.unwrap());
    assert_eq!(visits::answers(c, v.id).await.unwrap(), [answer]);

    let credit = CreditRecord {
        id: Uuid::now_v7(),
        entity_id: e.id,
        region_code: "411121".into(),
        kind: "inspection".into(),
        source_id: v.id,
        item_id: Some(item),
        department_id: d.id,
        result_code: ResultCode::Corrected,
        follow_up: Some(FollowUp::Rectify),
        recorded_on: now.date_naive(),
        created_at: now,
    };
    visits::insert_credit_record(c, &credit).await.unwrap();
    assert_eq!(
        visits::credit_records_of_entity(c, e.id).await.unwrap(),
        [credit]
    );
}

/// A value the domain does not know in a coded column (written outside the application) is
/// a store error that names the column and the value, never a panic or a silent default.
async fn an_unknown_stored_code_is_a_store_error_naming_column_and_value(db: &TestDb) {
    use lianjian_store::visits::{self, ResultRow};

    let c = db.store.conn();
    let (d, _, v) = a_visit(c).await;
    let plan = Uuid::now_v7();
    let part = ResultRow::pending(plan, Uuid::now_v7(), d.id, v.created_at);
    visits::insert_result(c, v.id, &part).await.unwrap();
    for (sql, col, value) in [
        (
            "UPDATE visit_results SET review = 'lost'",
            "review",
            "'lost'",
        ),
        (
            "UPDATE visit_results SET review = 'pending', result_code = 'fine'",
            "result_code",
            "'fine'",
        ),
        (
            "UPDATE visit_results SET result_code = NULL, follow_up = 'later'",
            "follow_up",
            "'later'",
        ),
    ] {
        exec(&db.store, sql).await;
        let err = visits::results(c, v.id).await.unwrap_err();
        let StoreError::Corrupt(m) = &err else {
            panic!("{sql}: {err:?}");
        };
        assert!(m.starts_with(&format!("{col}: {value} ")), "{sql}: {m}");
    }
    exec(
        &db.store,
        "UPDATE visit_results SET follow_up = NULL, review = 'pending'",
    )
    .await;
    assert_eq!(visits::results(c, v.id).await.unwrap(), [part]);
}
