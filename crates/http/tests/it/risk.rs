//! 风险预测模型 (issue 16 item 4) through the real router, on SQLite and PostgreSQL: the console
//! fits a model on the county's history from its form (bad fields named in words, what was
//! typed kept), shows the evaluation table with its definitions, the level distribution and
//! an entity's explanation in Chinese labels only; the API fits and explains; risk scores are
//! never public (no public operation, nothing on the portal, 401 without a token).

use crate::common::*;

use axum::http::StatusCode;
use chrono::Days;
use serde_json::json;
use uuid::Uuid;

on_both_backends!(
    template = DEMO, setup = app;
    the_console_fits_a_model_and_explains_a_score,
    the_api_fits_and_explains,
    risk_scores_are_never_public,
    a_level_weighs_in_a_risk_weighted_draw,
    the_demo_shows_the_control_comparison,
);

/// 45 entities of the county with four inspections in the training window and one in the
/// held-out period; every third found a problem each time. Returns (bad entity, form dates).
async fn history(app: &App) -> (Uuid, [String; 3]) {
    use sea_orm::ConnectionTrait;
    let c = app.svc.store.conn();
    let ids: Vec<Uuid> = c
        .query_all_raw(sea_orm::Statement::from_string(
            c.get_database_backend(),
            "SELECT id FROM entities WHERE region_code LIKE '411121%' ORDER BY usci LIMIT 45",
        ))
        .await
        .unwrap()
        .iter()
        .map(|r| r.try_get("", "id").unwrap())
        .collect();
    let today = lianjian_domain::visit::beijing_date(app.svc.now());
    let from = today - Days::new(720);
    let to = today - Days::new(91);
    for (i, id) in ids.iter().enumerate() {
        let bad = i % 3 == 0;
        let days: Vec<chrono::NaiveDate> = (0..4u64)
            .map(|k| from + Days::new(60 + 150 * k + i as u64))
            .chain([to + Days::new(if bad { 70 } else { 10 } + i as u64 % 15)])
            .collect();
        for day in days {
            let v = Uuid::now_v7();
            let at = day.and_hms_opt(4, 0, 0).unwrap().and_utc();
            c.execute_raw(sea_orm::Statement::from_sql_and_values(
                c.get_database_backend(),
                "INSERT INTO visits (id, code, entity_id, region_code, lead_department_id, trigger, \
                 status, period_start, period_end, visited_on, completed_at, created_at, updated_at) \
                 VALUES ($1, $2, $3, '411121', $4, 'random', 'published', $5, $5, $5, $6, $6, $6)",
                vec![
                    v.into(),
                    format!("T-{}", v.simple()).into(),
                    (*id).into(),
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
                    v.into(),
                    Uuid::now_v7().into(),
                    Uuid::now_v7().into(),
                    Uuid::now_v7().into(),
                    (if bad { "corrected" } else { "no_problem" }).into(),
                    at.into(),
                ],
            ))
            .await
            .unwrap();
        }
    }
    (
        ids[0],
        [
            from.to_string(),
            to.to_string(),
            (today - Days::new(1)).to_string(),
        ],
    )
}

async fn the_console_fits_a_model_and_explains_a_score(app: App) {
    let office = app.login("wy.office").await;
    let (bad, [from, to, eval]) = history(&app).await;
    let home = app.get("/console", Some(&office)).await;
    assert!(home.body.contains("href=\"/console/risk\""), "menu entry");
    let page = app.get("/console/risk", Some(&office)).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    // The demo's synthetic model is shown as such, with its evaluation table.
    assert!(page.body.contains("合成数据"));
    assert!(page.body.contains("平均提前天数"));
    let csrf = csrf_of(&page.body);
    // Typed wrong: each field named in words, the dates typed kept.
    let r = app
        .form(
            "/console/risk",
            Some(&office),
            &format!("_csrf={csrf}&_once=r1&region_code=411121&train_from={from}&train_to={to}&eval_to=2099-01-01&thresholds=0.2,0.5,0.1,0.05"),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("留出检验期不得晚于今天"), "{}", r.body);
    assert!(r.body.contains("严格递减"), "{}", r.body);
    assert!(r.body.contains(&from), "typed dates kept");
    let r = app
        .form(
            "/console/risk",
            Some(&office),
            &format!("_csrf={csrf}&_once=r2&region_code=411121&train_from={from}&train_to={to}&eval_to={eval}"),
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let page = app.get("/console/risk?ok=fitted", Some(&office)).await;
    assert!(page.body.contains("已拟合新模型并完成评分"));
    assert!(page.body.contains("第 2 版") || page.body.contains("第 1 版"));
    assert!(page.body.contains("近1年检查发现问题次数"));
    assert!(page.body.contains("风险等级一级（最高）"));
    assert!(
        page.body.contains("data-auc>1.000<"),
        "perfectly separated: AUC 1"
    );
    let e = app
        .get(&format!("/console/risk/entities/{bad}"), Some(&office))
        .await;
    assert_eq!(e.status, StatusCode::OK);
    assert!(e.body.contains("风险评分说明"));
    assert!(e.body.contains("近1年检查发现问题次数"));
    assert!(e.body.contains("截距"));
    // No internal codes on screen.
    for code in ["problems_1y", "last_problem", "never_inspected", "licence:"] {
        assert!(!e.body.contains(code), "{code} shown");
        assert!(!page.body.contains(code), "{code} shown");
    }
    // Inspectors do not see scores.
    let zhang = app.login("wy.zhang").await;
    let r = app
        .get(&format!("/console/risk/entities/{bad}"), Some(&zhang))
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
}

async fn the_api_fits_and_explains(app: App) {
    let token = app.token("wy.office").await;
    let (bad, [from, to, eval]) = history(&app).await;
    let r = app
        .call(
            "POST",
            "/api/v1/risk/models",
            &token,
            json!({"region_code": "411121", "train_from": "x", "train_to": to, "eval_to": eval, "months": "6,12"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let f = r.fields();
    assert!(
        f.contains(&"train_from".to_string()) && f.contains(&"months".to_string()),
        "{f:?}"
    );
    let m = app
        .created(
            "/api/v1/risk/models",
            &token,
            json!({"region_code": "411121", "train_from": from, "train_to": to, "eval_to": eval}),
        )
        .await;
    assert_eq!(m["evaluation"]["problems"], 15);
    assert!(
        m["evaluation"]["mean_days_earlier"].as_f64().unwrap() > 30.0,
        "{m}"
    );
    assert_eq!(
        m["definition"]["features"][0]["label"],
        "近1年检查发现问题次数"
    );
    let got = app
        .get_json(
            &format!("/api/v1/risk/models/{}", m["id"].as_str().unwrap()),
            &token,
        )
        .await;
    assert_eq!(got["id"], m["id"]);
    let x = app
        .get_json(&format!("/api/v1/risk/entities/{bad}"), &token)
        .await;
    assert!(x["score"]["probability"].as_f64().unwrap() > 0.5, "{x}");
    assert_eq!(x["score"]["level"], 1);
    assert_eq!(x["frequency_months"], 6);
    let parts = x["explanation"]["contributions"].as_array().unwrap();
    assert!(
        parts
            .iter()
            .all(|p| p["label"].as_str().is_some_and(|l| !l.is_empty()))
    );
}

async fn risk_scores_are_never_public(app: App) {
    let token = app.token("wy.office").await;
    let (bad, [from, to, eval]) = history(&app).await;
    app.created(
        "/api/v1/risk/models",
        &token,
        json!({"region_code": "411121", "train_from": from, "train_to": to, "eval_to": eval}),
    )
    .await;
    for path in [
        "/api/v1/risk/models".to_string(),
        format!("/api/v1/risk/entities/{bad}"),
    ] {
        let r = app.api("GET", &path, None, None).await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{path}");
    }
    let r = app
        .get(&format!("/console/risk/entities/{bad}"), None)
        .await;
    assert!(
        r.status == StatusCode::SEE_OTHER || r.status == StatusCode::UNAUTHORIZED,
        "{}",
        r.status
    );
    // No public operation of the document touches risk.
    let doc = app.api("GET", "/api/openapi.json", None, None).await.json();
    for (path, _) in doc["paths"].as_object().unwrap() {
        assert!(
            !(path.contains("/public/") && path.contains("risk")),
            "{path} is public"
        );
    }
    // The entity's public credit information and portal page carry no level or probability.
    let usci = app
        .get_json(&format!("/api/v1/entities/{bad}"), &token)
        .await["entity"]["usci"]
        .as_str()
        .unwrap()
        .to_string();
    for path in [
        format!("/api/v1/public/credit/{usci}"),
        format!("/credit/{usci}"),
        format!("/credit?q={usci}"),
    ] {
        let r = app.get(&path, None).await;
        assert_eq!(r.status, StatusCode::OK, "{path}: {}", r.body);
        for word in ["风险等级", "probability", "风险预测"] {
            assert!(!r.body.contains(word), "{word} in {path}");
        }
    }
}

/// Every entity of the county at 风险等级一级 but one at 五级, no tag weighted: a risk-weighted
/// plan's draw records weight 4 for the first and 1 for the other, and the record verifies
/// (the draw format is unchanged).
async fn a_level_weighs_in_a_risk_weighted_draw(app: App) {
    use sea_orm::ConnectionTrait;
    let office = app.token("wy.office").await;
    let market = app.token("wy.market").await;
    let c = app.svc.store.conn();
    let today = lianjian_domain::visit::beijing_date(app.svc.now());
    c.execute_raw(sea_orm::Statement::from_sql_and_values(
        c.get_database_backend(),
        "INSERT INTO risk_scores (entity_id, region_code, model_id, probability, level, scored_on) \
         SELECT id, region_code, $1, 0.9, 1, $2 FROM entities WHERE region_code LIKE '411121%'",
        vec![Uuid::now_v7().into(), today.into()],
    ))
    .await
    .unwrap();
    let low: String = c
        .query_one_raw(sea_orm::Statement::from_string(
            c.get_database_backend(),
            "SELECT entities.usci FROM entities JOIN entity_tags ON entity_tags.entity_id = entities.id \
             JOIN tags ON tags.id = entity_tags.tag_id WHERE tags.name = '获证食品生产企业' \
             ORDER BY entities.usci LIMIT 1",
        ))
        .await
        .unwrap()
        .unwrap()
        .try_get("", "usci")
        .unwrap();
    c.execute_raw(sea_orm::Statement::from_sql_and_values(
        c.get_database_backend(),
        "UPDATE risk_scores SET level = 5, probability = 0.01 WHERE entity_id = \
         (SELECT id FROM entities WHERE usci = $1)",
        vec![low.clone().into()],
    ))
    .await
    .unwrap();
    let year = chrono::Datelike::year(&chrono::Utc::now()) + 1;
    // The control share: 10 % unless set; none for a plan without weighting (named field).
    let body = |weighted: bool, share: &str| {
        json!({
            "item": "WY-2024-01",
            "year": year.to_string(),
            "period_start": format!("{year}-04-01"),
            "period_end": format!("{year}-09-30"),
            "qualifications": ["食品安全"],
            "risk_weighted": weighted,
            "control_share": share,
        })
    };
    let r = app.post("/api/v1/plans", &market, body(true, "")).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    assert_eq!(r.json()["control_share_permille"], 100, "{}", r.body);
    let r = app.post("/api/v1/plans", &market, body(false, "10")).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(r.body.contains("control_share"), "{}", r.body);
    let r = app.post("/api/v1/plans", &market, body(true, "120")).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    // Half of each class's quota at random, and high ratios, so that the county's small
    // pools have both kinds of pick.
    let mut b = body(true, "50");
    for k in ["ratio_a", "ratio_b", "ratio_c", "ratio_d", "ratio_ungraded"] {
        b[k] = json!("80");
    }
    let r = app.post("/api/v1/plans", &market, b).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let plan = r.json()["id"].as_str().unwrap().to_string();
    for (who, action) in [
        (&market, "submit"),
        (&office, "approve"),
        (&office, "publish"),
    ] {
        let r = app
            .api(
                "POST",
                &format!("/api/v1/plans/{plan}/{action}"),
                Some(who),
                None,
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{action}: {}", r.body);
    }
    let spec = json!({
        "region_code": "411121",
        "period_start": format!("{year}-04-01"),
        "period_end": format!("{year}-09-30"),
        "plan_ids": [plan],
        "unwitnessed_reason": "测试：按风险等级加权抽取",
    });
    let r = app.post("/api/v1/draws", &office, spec).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let id = r.json()["id"].as_str().unwrap().to_string();
    let r = app
        .post(&format!("/api/v1/draws/{id}/execute"), &office, json!({}))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let r = app
        .api(
            "GET",
            &format!("/api/v1/draws/{id}/record"),
            Some(&office),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let rec = lianjian_domain::draw::DrawRecord::from_json(r.body.as_bytes()).unwrap();
    assert!(rec.input.plans[0].risk_weighted);
    assert!(rec.input.candidates.len() > 1);
    assert!(rec.input.candidates.iter().any(|c| c.usci.as_str() == low));
    for cand in &rec.input.candidates {
        let want = if cand.usci.as_str() == low { 1 } else { 4 };
        assert_eq!(cand.risk_weight, want, "{}", cand.usci.as_str());
    }
    lianjian_domain::draw::verify(&rec).expect("the weighted record verifies");

    // The random control share (12.13): in the record, in the plan, and on every visit check
    // as how the draw picked the entity.
    assert_eq!(rec.input.plans[0].control_permille, 500);
    let r = app
        .api("GET", &format!("/api/v1/plans/{plan}"), Some(&office), None)
        .await;
    assert_eq!(r.json()["control_share_permille"], 500, "{}", r.body);
    let counts = &rec.result.counts[0];
    let control: u64 = lianjian_domain::draw::Stratum::ALL
        .iter()
        .map(|&h| counts.get(h).control)
        .sum();
    let drawn: u64 = lianjian_domain::draw::Stratum::ALL
        .iter()
        .map(|&h| counts.get(h).drawn)
        .sum();
    assert_eq!(
        control,
        rec.result
            .visits
            .iter()
            .filter(|v| v.control_plans == [0])
            .count() as u64
    );
    let pub_rec = rec.public_variant().unwrap();
    lianjian_domain::draw::verify_public(&pub_rec).expect("the public variant verifies");
    let rows = c
        .query_all_raw(sea_orm::Statement::from_sql_and_values(
            c.get_database_backend(),
            "SELECT e.usci, vc.visit_id, vc.plan_id, vc.item_id, vc.department_id, vc.selection \
             FROM visit_checks vc JOIN visits v ON v.id = vc.visit_id \
             JOIN entities e ON e.id = v.entity_id WHERE v.draw_id = $1",
            vec![Uuid::parse_str(&id).unwrap().into()],
        ))
        .await
        .unwrap();
    assert_eq!(rows.len() as u64, drawn);
    let at = chrono::Utc::now();
    let (mut control_seen, mut weighted_seen) = (0u64, 0u64);
    for row in &rows {
        let usci: String = row.try_get("", "usci").unwrap();
        let sel: String = row.try_get("", "selection").unwrap();
        let v = rec
            .result
            .visits
            .iter()
            .find(|v| v.usci.as_str() == usci)
            .unwrap();
        let want = if v.control_plans.is_empty() {
            "weighted"
        } else {
            "control"
        };
        assert_eq!(sel, want, "{usci}");
        // Results: every weighted pick finds a problem, no control pick does.
        let problem = sel == "weighted";
        control_seen += u64::from(!problem);
        weighted_seen += u64::from(problem);
        let visit: Uuid = row.try_get("", "visit_id").unwrap();
        c.execute_raw(sea_orm::Statement::from_sql_and_values(
            c.get_database_backend(),
            "INSERT INTO visit_results (visit_id, plan_id, item_id, department_id, result_code, \
             follow_up, summary, review, updated_at) VALUES ($1, $2, $3, $4, $5, NULL, '', 'approved', $6)",
            vec![
                visit.into(),
                row.try_get::<Uuid>("", "plan_id").unwrap().into(),
                row.try_get::<Uuid>("", "item_id").unwrap().into(),
                row.try_get::<Uuid>("", "department_id").unwrap().into(),
                (if problem { "corrected" } else { "no_problem" }).into(),
                at.into(),
            ],
        ))
        .await
        .unwrap();
    }
    assert_eq!(control_seen, control);
    assert!(
        control > 0 && weighted_seen > 0,
        "{control} {weighted_seen}"
    );
    // The risk page compares the two arms of the year.
    let office_session = app.login("wy.office").await;
    let r = app.get("/console/risk", Some(&office_session)).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.body.contains("随机对照检验"), "{}", r.body);
    let row = format!("<td>{year}</td><td>{control_seen} 次，发现问题 0 次，0.0%");
    assert!(r.body.contains(&row), "{row} in {}", r.body);
    assert!(
        r.body.contains(&format!(
            "{weighted_seen} 次，发现问题 {weighted_seen} 次，100.0%"
        )),
        "{}",
        r.body
    );
    // The same through the API, for other systems.
    let r = app
        .api("GET", "/api/v1/risk/control-lift", Some(&office), None)
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let y = &r.json()[0];
    assert_eq!(y["year"], year);
    assert_eq!(y["control"]["inspected"], control_seen);
    assert_eq!(y["control"]["problems"], 0);
    assert_eq!(y["weighted"]["problems"], weighted_seen);
}

/// The demo's 随机对照检验 (`demo::seed_control_share`, which `lianjian demo` runs): its
/// risk-weighted third-quarter draw verifies, publishes its control picks, and its results give
/// the risk page and the API both arms of 2026 with at least 30 results each and their lift.
async fn the_demo_shows_the_control_comparison(app: App) {
    lianjian_services::demo::seed_control_share(&app.svc)
        .await
        .unwrap();
    let office = app.token("wy.office").await;
    let r = app
        .api("GET", "/api/v1/risk/control-lift", Some(&office), None)
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let years = r.json();
    let y = years
        .as_array()
        .unwrap()
        .iter()
        .find(|y| y["year"] == 2026)
        .unwrap_or_else(|| panic!("2026 in {}", r.body))
        .clone();
    let (control, weighted) = (
        y["control"]["inspected"].as_u64().unwrap(),
        y["weighted"]["inspected"].as_u64().unwrap(),
    );
    assert!(control >= 30 && weighted >= 30, "{y}");
    assert!(y["control"]["problems"].as_u64().unwrap() > 0, "{y}");
    let lift = y["lift"]
        .as_f64()
        .unwrap_or_else(|| panic!("a lift in {y}"));
    let rate =
        |arm: &str| y[arm]["problems"].as_f64().unwrap() / y[arm]["inspected"].as_f64().unwrap();
    assert!(
        (lift - rate("weighted") / rate("control")).abs() < 1e-9,
        "{y}"
    );

    // The draw behind it: risk-weighted plans with a control share, verifiable by anyone.
    let draws = app.get_json("/api/v1/draws?per_page=50", &office).await;
    let d = draws["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["title"].as_str().unwrap().contains("随机对照"))
        .unwrap_or_else(|| panic!("the control-share draw in {draws}"))
        .clone();
    let r = app
        .api(
            "GET",
            &format!("/api/v1/draws/{}/record", d["id"].as_str().unwrap()),
            Some(&office),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let rec = lianjian_domain::draw::DrawRecord::from_json(r.body.as_bytes()).unwrap();
    assert!(
        rec.input
            .plans
            .iter()
            .all(|p| p.risk_weighted && p.control_permille == 500)
    );
    assert!(rec.input.candidates.iter().any(|c| c.risk_weight == 3));
    lianjian_domain::draw::verify(&rec).expect("the demo's weighted record verifies");
    let picks = rec
        .result
        .visits
        .iter()
        .filter(|v| !v.control_plans.is_empty())
        .count();
    assert!(picks > 0 && picks < rec.result.visits.len());

    // The console's risk page shows the year's row with the lift, in words.
    let session = app.login("wy.office").await;
    let page = app.get("/console/risk", Some(&session)).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(!page.body.contains("data-lift-empty"), "{}", page.body);
    let row = format!(
        "<td>2026</td><td>{control} 次，发现问题 {} 次",
        y["control"]["problems"]
    );
    assert!(page.body.contains(&row), "{row} in {}", page.body);
    assert!(
        page.body.contains(&format!("<td>{lift:.2} 倍</td>")),
        "{lift:.2} in {}",
        page.body
    );
}
