//! The risk model (issue 16 item 4) on both backends: a model is fitted on the county's own
//! inspection history (features as of each inspection's day), evaluated on the held-out period
//! by re-ordering its real schedule, stored as a version with an audit entry, and scores every
//! entity of the region; an entity's score is explained per feature and adds up; bad input is
//! named field by field; who may fit and who may read; the overdue list follows the levels'
//! minimum frequencies; levels feed the draw weights; the demo's model is synthetic.

use chrono::{Days, NaiveDate};
use lianjian_domain::visit::beijing_date;
use lianjian_services::risk::{self, FitInput};
use lianjian_services::{PageRequest, ServiceError, cli_actor};
use lianjian_store::on_both_backends;
use sea_orm::ConnectionTrait;
use uuid::Uuid;

use crate::DEMO;
use crate::clues::{Env, actor, setup};

on_both_backends!(
    template = DEMO, setup = setup;
    a_model_is_fitted_evaluated_stored_and_scores_the_region,
    fitting_names_bad_fields_and_needs_enough_inspections,
    only_the_office_fits_and_inspectors_read_no_scores,
    the_overdue_list_follows_the_levels_frequencies,
    the_demo_model_is_synthetic_and_scores_nobody,
);

async fn county_entities(env: &Env, n: i64) -> Vec<Uuid> {
    let c = env.svc.store.conn();
    c.query_all_raw(sea_orm::Statement::from_sql_and_values(
        c.get_database_backend(),
        "SELECT id FROM entities WHERE region_code LIKE '411121%' ORDER BY usci LIMIT $1",
        vec![n.into()],
    ))
    .await
    .unwrap()
    .iter()
    .map(|r| r.try_get("", "id").unwrap())
    .collect()
}

/// A completed visit of `entity` on `day` with one result (`problem`: 发现问题待后续处理).
async fn visit(env: &Env, entity: Uuid, day: NaiveDate, problem: bool) {
    let c = env.svc.store.conn();
    let id = Uuid::now_v7();
    let at = day.and_hms_opt(4, 0, 0).unwrap().and_utc();
    c.execute_raw(sea_orm::Statement::from_sql_and_values(
        c.get_database_backend(),
        "INSERT INTO visits (id, code, entity_id, region_code, lead_department_id, trigger, \
         status, period_start, period_end, visited_on, completed_at, created_at, updated_at) \
         VALUES ($1, $2, $3, '411121', $4, 'random', 'published', $5, $5, $5, $6, $6, $6)",
        vec![
            id.into(),
            format!("T-{}", id.simple()).into(),
            entity.into(),
            Uuid::now_v7().into(),
            day.into(),
            at.into(),
        ],
    ))
    .await
    .unwrap();
    c.execute_raw(sea_orm::Statement::from_sql_and_values(
        c.get_database_backend(),
        "INSERT INTO visit_results (visit_id, plan_id, item_id, department_id, result_code, \
         follow_up, summary, review, updated_at) VALUES ($1, $2, $3, $4, $5, NULL, '', 'approved', $6)",
        vec![
            id.into(),
            Uuid::now_v7().into(),
            Uuid::now_v7().into(),
            Uuid::now_v7().into(),
            (if problem { "pending" } else { "no_problem" }).into(),
            at.into(),
        ],
    ))
    .await
    .unwrap();
}

/// 60 entities: every third (the “bad” ones) has problems at each visit. Four visits each in
/// the training window, one in the held-out period — the bad ones late in it, so the real
/// order finds their problems last.
async fn history(env: &Env) -> (Vec<Uuid>, FitInput) {
    let today = beijing_date(env.svc.now());
    let ids = county_entities(env, 60).await;
    let train_from = today - Days::new(720);
    let train_to = today - Days::new(91);
    for (i, id) in ids.iter().enumerate() {
        let bad = i % 3 == 0;
        for k in 0..4u64 {
            visit(
                env,
                *id,
                train_from + Days::new(60 + 150 * k + i as u64),
                bad,
            )
            .await;
        }
        let held = if bad {
            60 + (i as u64 % 20)
        } else {
            5 + (i as u64 % 50)
        };
        visit(env, *id, train_to + Days::new(held), bad).await;
    }
    let input = FitInput {
        region_code: "411121".into(),
        train_from: train_from.to_string(),
        train_to: train_to.to_string(),
        eval_to: (today - Days::new(1)).to_string(),
        thresholds: String::new(),
        months: String::new(),
    };
    (ids, input)
}

async fn audit_count(env: &Env, action: &str) -> i64 {
    let c = env.svc.store.conn();
    c.query_one_raw(sea_orm::Statement::from_sql_and_values(
        c.get_database_backend(),
        "SELECT COUNT(*) AS n FROM audit_log WHERE action = $1",
        vec![action.into()],
    ))
    .await
    .unwrap()
    .unwrap()
    .try_get("", "n")
    .unwrap()
}

fn fields(e: &ServiceError) -> Vec<(String, String)> {
    match e {
        ServiceError::Invalid(errs) => errs
            .iter()
            .map(|f| (f.field.clone(), f.code.clone()))
            .collect(),
        other => panic!("expected Invalid, got {other:?}"),
    }
}

async fn a_model_is_fitted_evaluated_stored_and_scores_the_region(env: Env) {
    let office = actor(&env.svc, "wy.office").await;
    let (ids, input) = history(&env).await;
    let m = risk::fit(&env.svc, &office, &input).await.unwrap();
    // The demo's synthetic model is the county's version 1.
    assert_eq!(m.version, 2);
    assert_eq!(m.origin, "manual");
    assert!(m.samples >= 240, "{}", m.samples);
    assert!(m.positives >= 80);
    // Past problems predict problems.
    let w = |code: &str| {
        let i = m
            .definition
            .features
            .iter()
            .position(|f| f.code == code)
            .unwrap();
        m.definition.coefficients[i]
    };
    assert!(w("problems_1y") > 0.0);
    assert!(w("last_problem") > 0.0);
    // Never the inspector: no feature names one.
    assert!(
        m.definition
            .features
            .iter()
            .all(|f| !f.code.contains("inspector"))
    );
    // Held out: the bad entities' problems come late in the real order and first by score.
    let e = m.evaluation.clone().unwrap();
    assert_eq!(e.inspections, 60);
    assert_eq!(e.problems, 20);
    assert_eq!(e.auc, Some(1.0));
    assert!(e.mean_days_earlier.unwrap() > 20.0, "{e:?}");
    assert_eq!(e.first_half_model, Some(1.0));
    assert_eq!(e.first_half_actual, Some(0.0));
    // Every entity of the county is scored; the bad ones rank above the good ones.
    let county: i64 = {
        let c = env.svc.store.conn();
        c.query_one_raw(sea_orm::Statement::from_string(
            c.get_database_backend(),
            "SELECT COUNT(*) AS n FROM entities WHERE region_code LIKE '411121%'",
        ))
        .await
        .unwrap()
        .unwrap()
        .try_get("", "n")
        .unwrap()
    };
    assert_eq!(m.scored, county);
    assert_eq!(m.scored_on, Some(beijing_date(env.svc.now())));
    let ov = risk::overview(&env.svc, &office, PageRequest::new(None, None))
        .await
        .unwrap();
    assert_eq!(ov.counts.iter().sum::<i64>(), county);
    assert_eq!(ov.latest.as_ref().map(|x| x.id), Some(m.id));
    let bad = risk::entity_risk(&env.svc, &office, ids[0]).await.unwrap();
    let good = risk::entity_risk(&env.svc, &office, ids[1]).await.unwrap();
    let (pb, pg) = (
        bad.score.as_ref().unwrap().probability,
        good.score.as_ref().unwrap().probability,
    );
    assert!(pb > pg, "{pb} vs {pg}");
    // The explanation adds up to the stored score, in Chinese labels.
    let x = bad.explanation.unwrap();
    let sum: f64 = x.intercept + x.contributions.iter().map(|c| c.contribution).sum::<f64>();
    assert!((sum - x.log_odds).abs() < 1e-9);
    assert!((x.probability - pb).abs() < 1e-9);
    let p1 = x
        .contributions
        .iter()
        .find(|c| c.code == "problems_1y")
        .unwrap();
    assert_eq!(p1.label, "近1年检查发现问题次数");
    assert!(p1.contribution > 0.0);
    assert!(bad.level_label.unwrap().starts_with("风险等级"));
    assert_eq!(audit_count(&env, "risk.fit").await, 2); // the demo's and this one
    assert_eq!(audit_count(&env, "risk.score").await, 1);
    // Levels feed the draws' weights: an entity at 一级–三级 weighs more than 1.
    let weights = lianjian_store::risk::draw_weights(
        env.svc.store.conn(),
        &lianjian_domain::region::RegionCode::parse("411121").unwrap(),
    )
    .await
    .unwrap();
    let level = bad.score.unwrap().level;
    if level <= 3 {
        assert!(weights[&ids[0]] > 1);
    } else {
        assert!(!weights.contains_key(&ids[0]));
    }
    assert!(weights.values().all(|w| (2..=4).contains(w)));
    // A second fit is the next version.
    let m2 = risk::fit(&env.svc, &office, &input).await.unwrap();
    assert_eq!(m2.version, 3);
}

async fn fitting_names_bad_fields_and_needs_enough_inspections(env: Env) {
    let office = actor(&env.svc, "wy.office").await;
    let today = beijing_date(env.svc.now());
    let bad = FitInput {
        region_code: "411121".into(),
        train_from: "2025-13-01".into(),
        train_to: (today - Days::new(10)).to_string(),
        eval_to: (today + Days::new(3)).to_string(),
        thresholds: "0.5,0.6,0.1,0.05".into(),
        months: "6,12".into(),
    };
    let e = risk::fit(&env.svc, &office, &bad).await.unwrap_err();
    let f = fields(&e);
    assert!(f.contains(&("train_from".into(), "date".into())), "{f:?}");
    assert!(f.contains(&("eval_to".into(), "future".into())), "{f:?}");
    assert!(
        f.contains(&("thresholds".into(), "list".into())) || f.iter().any(|x| x.0 == "months"),
        "{f:?}"
    );
    let order = FitInput {
        region_code: "411121".into(),
        train_from: (today - Days::new(10)).to_string(),
        train_to: (today - Days::new(20)).to_string(),
        eval_to: (today - Days::new(30)).to_string(),
        ..Default::default()
    };
    let f = fields(&risk::fit(&env.svc, &office, &order).await.unwrap_err());
    assert!(f.contains(&("train_to".into(), "order".into())), "{f:?}");
    assert!(f.contains(&("eval_to".into(), "order".into())), "{f:?}");
    let th = FitInput {
        region_code: "411121".into(),
        train_from: (today - Days::new(400)).to_string(),
        train_to: (today - Days::new(100)).to_string(),
        eval_to: (today - Days::new(1)).to_string(),
        thresholds: "0.5,0.6,0.1,0.05".into(),
        ..Default::default()
    };
    let f = fields(&risk::fit(&env.svc, &office, &th).await.unwrap_err());
    assert_eq!(
        f,
        vec![("thresholds".to_string(), "thresholds".to_string())]
    );
    // The demo's own history is too thin to fit on: said on the training window.
    let thin = FitInput {
        thresholds: String::new(),
        ..th
    };
    let f = fields(&risk::fit(&env.svc, &office, &thin).await.unwrap_err());
    assert_eq!(
        f,
        vec![("train_from".to_string(), "too_few_inspections".to_string())]
    );
    // Outside the office's region.
    let other = FitInput {
        region_code: "370102".into(),
        ..thin
    };
    let f = fields(&risk::fit(&env.svc, &office, &other).await.unwrap_err());
    assert!(
        f.contains(&("region_code".into(), "outside_scope".into())),
        "{f:?}"
    );
}

async fn only_the_office_fits_and_inspectors_read_no_scores(env: Env) {
    let (ids, input) = history(&env).await;
    for who in ["wy.market", "wy.zhang", "wy.leader", "wy.jiandu"] {
        let a = actor(&env.svc, who).await;
        assert!(
            matches!(
                risk::fit(&env.svc, &a, &input).await,
                Err(ServiceError::Forbidden)
            ),
            "{who}"
        );
    }
    risk::fit(&env.svc, &cli_actor(), &input).await.unwrap();
    let inspector = actor(&env.svc, "wy.zhang").await;
    assert!(matches!(
        risk::entity_risk(&env.svc, &inspector, ids[0]).await,
        Err(ServiceError::Forbidden)
    ));
    assert!(matches!(
        risk::models(&env.svc, &inspector, PageRequest::new(None, None)).await,
        Err(ServiceError::Forbidden)
    ));
    // A department administrator and a leader of the county read them.
    for who in ["wy.market", "wy.leader"] {
        let a = actor(&env.svc, who).await;
        let r = risk::entity_risk(&env.svc, &a, ids[0]).await.unwrap();
        assert!(r.score.is_some(), "{who}");
    }
    // Shandong's office sees none of the Henan county's models, nor its entities' scores.
    let sd = actor(&env.svc, "sd.office").await;
    let page = risk::models(&env.svc, &sd, PageRequest::new(None, None))
        .await
        .unwrap();
    assert_eq!(page.total, 0);
    assert!(matches!(
        risk::entity_risk(&env.svc, &sd, ids[0]).await,
        Err(ServiceError::NotFound)
    ));
    let admin = actor(&env.svc, "admin").await;
    let page = risk::models(&env.svc, &admin, PageRequest::new(None, None))
        .await
        .unwrap();
    assert_eq!(page.total, 2);
}

async fn the_overdue_list_follows_the_levels_frequencies(env: Env) {
    let office = actor(&env.svc, "wy.office").await;
    let (ids, mut input) = history(&env).await;
    // Every level inspected at least monthly: every entity not inspected in the last month is
    // overdue, and one inspected yesterday is not.
    input.months = "1,1,1,1,1".into();
    risk::fit(&env.svc, &office, &input).await.unwrap();
    let today = beijing_date(env.svc.now());
    visit(&env, ids[5], today - Days::new(1), false).await;
    let ov = risk::overview(&env.svc, &office, PageRequest::new(Some(1), Some(100)))
        .await
        .unwrap();
    let all = ov.counts.iter().sum::<i64>() as u64;
    assert!(
        ov.overdue.total >= all - 61 && ov.overdue.total < all,
        "{} of {all}",
        ov.overdue.total
    );
    let mut p = 1;
    loop {
        let page = risk::overview(&env.svc, &office, PageRequest::new(Some(p), Some(100)))
            .await
            .unwrap()
            .overdue;
        assert!(page.items.iter().all(|o| o.entity_id != ids[5]));
        // Highest risk first.
        assert!(page.items.windows(2).all(|w| w[0].level <= w[1].level));
        if page.items.is_empty() || p >= page.pages() {
            break;
        }
        p += 1;
    }
    // With the default frequencies (≥ 6 months) nobody inspected in the last 90 days is due.
    input.months = String::new();
    risk::fit(&env.svc, &office, &input).await.unwrap();
    let ov = risk::overview(&env.svc, &office, PageRequest::new(Some(1), Some(100)))
        .await
        .unwrap();
    assert!(ov.overdue.items.iter().all(|o| !ids.contains(&o.entity_id)));
    assert!(ov.overdue.items.iter().all(|o| {
        o.last_inspected_on
            .is_none_or(|d| d < today - Days::new(180))
    }));
}

async fn the_demo_model_is_synthetic_and_scores_nobody(env: Env) {
    let admin = actor(&env.svc, "admin").await;
    let models = risk::models(&env.svc, &admin, PageRequest::new(None, None))
        .await
        .unwrap();
    assert_eq!(models.total, 1);
    let m = &models.items[0];
    assert_eq!(m.origin, "demo");
    assert_eq!(m.scored, 0);
    let e = m.evaluation.as_ref().unwrap();
    assert!(e.auc.unwrap() > 0.6);
    assert!(e.mean_days_earlier.unwrap() > 0.0);
    let ov = risk::overview(&env.svc, &admin, PageRequest::new(None, None))
        .await
        .unwrap();
    assert_eq!(ov.counts, [0; 5]);
}
