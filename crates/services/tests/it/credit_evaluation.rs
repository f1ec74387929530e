//! The credit evaluation (issue 15 item 2) on both backends: an index is defined, validated
//! field by field and versioned; a run scores the facts kept in credit entries, inspection
//! records and clues, writes only the classes that change (source “评价”, the run's date) with
//! audit entries and change-feed rows the directory index follows; the explanation names every
//! indicator's contribution; overrides need a reason and win over the score while valid; each
//! department reads the changes in its scope; the quarterly pass runs once per county.

use chrono::NaiveDate;
use lianjian_domain::credit::evaluation::{IndexDef, Rule};
use lianjian_domain::credit::{
    Publication, RecordDetail, RecordKind, RecordSource, RecordStatus, Tier,
};
use lianjian_domain::directory::CreditClass;
use lianjian_domain::region::RegionCode;
use lianjian_domain::scope::Actor;
use lianjian_domain::visit::beijing_date;
use lianjian_services::credit::evaluation::{
    self as ev, IndexInput, OverrideInput, RunInput, Trigger,
};
use lianjian_services::{PageRequest, ServiceError};
use lianjian_store::on_both_backends;
use sea_orm::ConnectionTrait;
use uuid::Uuid;

use crate::DEMO;
use crate::clues::{Env, actor, setup};

on_both_backends!(
    template = DEMO, setup = setup;
    an_index_is_validated_field_by_field_and_versioned,
    a_run_writes_changed_classes_with_explanations,
    overrides_need_a_reason_and_win_while_valid,
    departments_read_changes_in_their_scope_only,
    the_quarterly_pass_runs_once_per_county,
    a_running_run_blocks_others_until_it_is_stale,
);

fn input(name: &str) -> IndexInput {
    IndexInput {
        region_code: "411121".into(),
        sector_id: None,
        name: name.into(),
        definition: IndexDef::standard(),
    }
}

pub(crate) fn field_names(e: &ServiceError) -> Vec<String> {
    match e {
        ServiceError::Invalid(errs) => errs.iter().map(|f| f.field.clone()).collect(),
        other => panic!("expected Invalid, got {other:?}"),
    }
}

/// Two entities of the county, in credit-code order.
async fn two_entities(env: &Env) -> (Uuid, Uuid) {
    let rows = env
        .svc
        .store
        .conn()
        .query_all_raw(sea_orm::Statement::from_string(
            env.svc.store.conn().get_database_backend(),
            "SELECT id FROM entities WHERE region_code LIKE '411121%' ORDER BY usci LIMIT 2",
        ))
        .await
        .unwrap();
    let ids: Vec<Uuid> = rows.iter().map(|r| r.try_get("", "id").unwrap()).collect();
    (ids[0], ids[1])
}

async fn add_entry(
    env: &Env,
    entity: Uuid,
    kind: RecordKind,
    tier: Option<Tier>,
    detail: RecordDetail,
) {
    let today = beijing_date(env.svc.now());
    let on = today - chrono::Duration::days(30);
    let e = lianjian_store::credit::Entry {
        id: Uuid::now_v7(),
        entity_id: entity,
        region_code: RegionCode::parse("411121").unwrap(),
        department_id: None,
        kind,
        tier,
        occurred_on: on,
        reference: Some(format!(
            "舞市监罚〔2026〕{}号",
            &Uuid::now_v7().simple().to_string()[20..]
        )),
        title: "销售超过保质期的食品".into(),
        legal_basis: Some("《食品安全法》第一百二十四条".into()),
        detail,
        source: RecordSource::Manual,
        publication: Publication {
            published: true,
            repair_from: on,
            until: on + chrono::Duration::days(365),
        },
        status: RecordStatus::Active,
        ended_on: None,
        created_by: "test".into(),
        created_at: env.svc.now(),
        updated_at: env.svc.now(),
    };
    let tx = env.svc.store.begin().await.unwrap();
    lianjian_store::credit::insert_many(&tx, &[e])
        .await
        .unwrap();
    tx.commit().await.unwrap();
}

async fn entity_class(env: &Env, id: Uuid) -> (Option<String>, Option<String>, Option<NaiveDate>) {
    let e = lianjian_store::entities::get(env.svc.store.conn(), id)
        .await
        .unwrap()
        .unwrap();
    (
        e.credit_class.map(|c| c.as_str().to_string()),
        e.credit_source,
        e.credit_date,
    )
}

async fn audit_count(env: &Env, action: &str) -> i64 {
    let r = env
        .svc
        .store
        .conn()
        .query_one_raw(sea_orm::Statement::from_sql_and_values(
            env.svc.store.conn().get_database_backend(),
            "SELECT COUNT(*) AS n FROM audit_log WHERE action = $1",
            vec![action.into()],
        ))
        .await
        .unwrap()
        .unwrap();
    r.try_get("", "n").unwrap()
}

async fn an_index_is_validated_field_by_field_and_versioned(env: Env) {
    let svc = &env.svc;
    let office = actor(svc, "wy.office").await;
    let market = actor(svc, "wy.market").await;
    let inspector = actor(svc, "wy.zhang").await;

    let mut bad = input("");
    bad.definition.indicators[0].weight = 10;
    bad.definition.thresholds.b = 95;
    let e = ev::define(svc, &office, &bad).await.unwrap_err();
    let fields = field_names(&e);
    for f in ["name", "definition.indicators", "definition.thresholds"] {
        assert!(fields.contains(&f.to_string()), "{f} in {fields:?}");
    }
    assert!(
        ev::indexes(svc, &office).await.unwrap().is_empty(),
        "nothing stored"
    );

    // A department maintains its sector's index, not the county's default.
    assert!(matches!(
        ev::define(svc, &market, &input("舞阳县默认指标")).await,
        Err(ServiceError::Refused { .. })
    ));
    assert!(matches!(
        ev::define(svc, &inspector, &input("舞阳县默认指标")).await,
        Err(ServiceError::Forbidden)
    ));

    let x = ev::define(svc, &office, &input("舞阳县综合信用评价指标"))
        .await
        .unwrap();
    assert_eq!(x.version, 1);
    let mut def = x.definition.clone();
    def.indicators[0].rule = Rule::Penalties {
        months: 36,
        minor: 10,
        general: 30,
        serious: 60,
    };
    let y = ev::edit(svc, &office, x.id, 1, "舞阳县综合信用评价指标", &def)
        .await
        .unwrap();
    assert_eq!(y.version, 2);
    // An edit started from version 1 after version 2 was saved is refused.
    assert!(matches!(
        ev::edit(svc, &office, x.id, 1, "舞阳县综合信用评价指标", &def).await,
        Err(ServiceError::Conflict { .. })
    ));
    let (_, versions) = ev::index(svc, &inspector, x.id).await.unwrap();
    assert_eq!(
        versions.iter().map(|v| v.version).collect::<Vec<_>>(),
        [2, 1]
    );
    assert_eq!(versions[1].definition, IndexDef::standard());
    assert_eq!(audit_count(&env, "credit_index.define").await, 1);
    assert_eq!(audit_count(&env, "credit_index.edit").await, 1);
}

async fn a_run_writes_changed_classes_with_explanations(env: Env) {
    let svc = &env.svc;
    svc.load_index().await.unwrap();
    let office = actor(svc, "wy.office").await;
    let (x, y) = two_entities(&env).await;
    let run_input = RunInput {
        region_code: "411121".into(),
        index_id: None,
    };
    // No index yet: refused with a reason.
    assert!(matches!(
        ev::run_now(svc, &office, &run_input, Trigger::Manual).await,
        Err(ServiceError::Refused { .. })
    ));
    ev::define(svc, &office, &input("舞阳县综合信用评价指标"))
        .await
        .unwrap();
    add_entry(
        &env,
        x,
        RecordKind::Penalty,
        Some(Tier::General),
        RecordDetail::Penalty {
            kinds: vec![lianjian_domain::credit::PenaltyKind::Fine],
            amount_cents: 500_000,
            strict_field: None,
        },
    )
    .await;
    add_entry(
        &env,
        y,
        RecordKind::SeriousDishonesty,
        None,
        RecordDetail::Listing {
            reason: "提供虚假材料骗取许可".into(),
            removed_on: None,
            removal_reason: None,
        },
    )
    .await;

    let run = ev::run_now(svc, &office, &run_input, Trigger::Manual)
        .await
        .unwrap();
    assert_eq!(run.status, "finished", "{:?}", run.error);
    assert!(run.entities >= 2);
    assert_eq!(
        run.class_a + run.class_b + run.class_c + run.class_d,
        run.entities
    );
    let today = beijing_date(svc.now());
    assert_eq!(
        entity_class(&env, x).await,
        (Some("B".into()), Some("评价".into()), Some(today))
    );
    assert_eq!(entity_class(&env, y).await.0.as_deref(), Some("D"));
    // The directory index (and so the next draw commit) has the class in force.
    {
        let idx = svc.index.read().unwrap();
        assert_eq!(idx.get(x).unwrap().credit_class(), Some(CreditClass::B));
        assert_eq!(idx.get(y).unwrap().credit_class(), Some(CreditClass::D));
    }

    let (_, changes) = ev::changes(svc, &office, run.id, PageRequest::new(Some(1), Some(1000)))
        .await
        .unwrap();
    assert_eq!(changes.total as i64, run.changed);
    let cx = changes
        .items
        .iter()
        .find(|c| c.change.entity_id == x)
        .unwrap();
    assert_eq!(cx.change.score, 70);
    assert!(
        cx.change
            .explanation
            .contributions
            .iter()
            .any(|c| c.explanation == "近24个月一般行政处罚1次，扣30分")
    );
    let cy = changes
        .items
        .iter()
        .find(|c| c.change.entity_id == y)
        .unwrap();
    assert!(
        cy.change
            .explanation
            .forced
            .as_deref()
            .unwrap()
            .contains("严重违法失信")
    );
    assert!(audit_count(&env, "credit_eval.apply").await >= 1);

    // The entity's page explains its class from the latest result.
    let page = ev::entity_credit(svc, &office, x).await.unwrap();
    assert_eq!(page.class, Some(CreditClass::B));
    assert_eq!(page.evaluation.unwrap().score, 70);

    // Nothing moved: a second run changes nothing.
    let again = ev::run_now(svc, &office, &run_input, Trigger::Manual)
        .await
        .unwrap();
    assert_eq!(again.changed, 0);
    let runs = ev::runs(svc, &office, PageRequest::new(Some(1), Some(10)))
        .await
        .unwrap();
    assert_eq!(runs.total, 2);
}

async fn overrides_need_a_reason_and_win_while_valid(env: Env) {
    let svc = &env.svc;
    let office = actor(svc, "wy.office").await;
    let market = actor(svc, "wy.market").await;
    let (x, _) = two_entities(&env).await;
    ev::define(svc, &office, &input("舞阳县综合信用评价指标"))
        .await
        .unwrap();
    let bad = OverrideInput {
        class: "E".into(),
        reason: " ".into(),
        until: Some("2020-01-01".into()),
    };
    let fields = field_names(&ev::override_class(svc, &office, x, &bad).await.unwrap_err());
    assert_eq!(fields, ["class", "reason", "until"]);
    let good = OverrideInput {
        class: "c".into(),
        reason: "食品安全专项整治期间重点监管".into(),
        until: None,
    };
    assert!(matches!(
        ev::override_class(svc, &market, x, &good).await,
        Err(ServiceError::Forbidden)
    ));
    let o = ev::override_class(svc, &office, x, &good).await.unwrap();
    assert_eq!(o.class, CreditClass::C);
    assert_eq!(entity_class(&env, x).await.1.as_deref(), Some("人工调整"));
    assert_eq!(audit_count(&env, "credit_eval.override").await, 1);

    let run = ev::run_now(
        svc,
        &office,
        &RunInput {
            region_code: "411121".into(),
            index_id: None,
        },
        Trigger::Manual,
    )
    .await
    .unwrap();
    assert_eq!(run.overridden, 1);
    // The override holds: the entity keeps C (no change row), though its score says A.
    assert_eq!(entity_class(&env, x).await.0.as_deref(), Some("C"));
    let (_, changes) = ev::changes(svc, &office, run.id, PageRequest::new(Some(1), Some(1000)))
        .await
        .unwrap();
    assert!(changes.items.iter().all(|c| c.change.entity_id != x));
    let page = ev::entity_credit(svc, &office, x).await.unwrap();
    assert_eq!(page.overrides.len(), 1);
    assert_eq!(page.evaluation.unwrap().class, CreditClass::A);
}

async fn departments_read_changes_in_their_scope_only(env: Env) {
    let svc = &env.svc;
    let office = actor(svc, "wy.office").await;
    let market = actor(svc, "wy.market").await;
    let (x, _) = two_entities(&env).await;
    ev::define(svc, &office, &input("舞阳县综合信用评价指标"))
        .await
        .unwrap();
    let run = ev::run_now(
        svc,
        &office,
        &RunInput {
            region_code: "411121".into(),
            index_id: None,
        },
        Trigger::Manual,
    )
    .await
    .unwrap();
    let (_, mine) = ev::changes(svc, &market, run.id, PageRequest::new(Some(1), Some(10)))
        .await
        .unwrap();
    assert_eq!(mine.total as i64, run.changed);
    assert!(ev::entity_credit(svc, &market, x).await.is_ok());
    // A department of another county sees neither the run nor the entity.
    let other = Actor {
        region: RegionCode::parse("411122").unwrap(),
        ..market.clone()
    };
    assert!(matches!(
        ev::changes(svc, &other, run.id, PageRequest::new(Some(1), Some(10))).await,
        Err(ServiceError::NotFound)
    ));
    assert!(matches!(
        ev::entity_credit(svc, &other, x).await,
        Err(ServiceError::NotFound)
    ));
    // Nor may the office run over another county.
    let e = ev::run_now(
        svc,
        &office,
        &RunInput {
            region_code: "411122".into(),
            index_id: None,
        },
        Trigger::Manual,
    )
    .await
    .unwrap_err();
    assert_eq!(field_names(&e), ["region_code"]);
}

async fn the_quarterly_pass_runs_once_per_county(env: Env) {
    let svc = &env.svc;
    let office = actor(svc, "wy.office").await;
    // No index: nothing to run.
    assert!(ev::run_quarterly(svc).await.unwrap().is_empty());
    ev::define(svc, &office, &input("舞阳县综合信用评价指标"))
        .await
        .unwrap();
    let runs = ev::run_quarterly(svc).await.unwrap();
    assert_eq!(runs.len(), 1);
    assert_eq!(runs[0].region_code.as_str(), "411121");
    assert_eq!(runs[0].trigger, "quarterly");
    assert_eq!(runs[0].created_by, "system");
    assert!(
        ev::run_quarterly(svc).await.unwrap().is_empty(),
        "once a quarter"
    );
}

async fn a_running_run_blocks_others_until_it_is_stale(env: Env) {
    let svc = &env.svc;
    let office = actor(svc, "wy.office").await;
    ev::define(svc, &office, &input("舞阳县综合信用评价指标"))
        .await
        .unwrap();
    let town = RunInput {
        region_code: "411121100".into(),
        index_id: None,
    };
    let county = RunInput {
        region_code: "411121".into(),
        index_id: None,
    };
    // A run over the county started and not executed yet: a run over one of its townships is
    // refused while it runs.
    let admin = lianjian_services::cli_actor();
    let ix = ev::indexes(svc, &office).await.unwrap()[0].id;
    let started = ev::start(
        svc,
        &admin,
        &RunInput {
            index_id: Some(ix),
            ..county
        },
        Trigger::Manual,
    )
    .await
    .unwrap();
    assert!(matches!(
        ev::start(
            svc,
            &admin,
            &RunInput {
                index_id: Some(ix),
                ..town.clone()
            },
            Trigger::Manual
        )
        .await,
        Err(ServiceError::Conflict { .. })
    ));
    // Seven hours later the server is taken to have stopped during it.
    let clock = svc.clock.clone();
    clock.advance(chrono::Duration::hours(7));
    let later = ev::start(
        svc,
        &admin,
        &RunInput {
            index_id: Some(ix),
            ..town
        },
        Trigger::Manual,
    )
    .await
    .unwrap();
    assert_ne!(later.id, started.id);
}
