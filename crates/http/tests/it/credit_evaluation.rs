//! 信用评价 (issue 15 item 2) through the real router, on SQLite and PostgreSQL: the API defines
//! an index (every bad field named, nothing stored), runs an evaluation in the background, and
//! explains the changed classes; the console configures an index from scratch as a new user
//! would, starts a run and shows the explanation on the entity's page; classes and scores are
//! never public.

use crate::common::*;

use axum::http::StatusCode;
use lianjian_domain::credit::evaluation::IndexDef;
use lianjian_domain::credit::{
    PenaltyKind, Publication, RecordDetail, RecordKind, RecordSource, RecordStatus, Tier,
};
use serde_json::{Value, json};
use uuid::Uuid;

on_both_backends!(
    template = DEMO, setup = app;
    the_api_defines_an_index_runs_and_explains,
    the_console_configures_an_index_from_scratch_and_runs_it,
    classes_and_scores_are_never_public,
);

/// Gives the county's first entity (by credit code) a general penalty a month ago.
async fn penalise_first_entity(app: &App) -> Uuid {
    use sea_orm::ConnectionTrait;
    let c = app.svc.store.conn();
    let r = c
        .query_one_raw(sea_orm::Statement::from_string(
            c.get_database_backend(),
            "SELECT id FROM entities WHERE region_code LIKE '411121%' ORDER BY usci LIMIT 1",
        ))
        .await
        .unwrap()
        .unwrap();
    let id: Uuid = r.try_get("", "id").unwrap();
    let today = lianjian_domain::visit::beijing_date(app.svc.now());
    let on = today - chrono::Duration::days(30);
    let e = lianjian_store::credit::Entry {
        id: Uuid::now_v7(),
        entity_id: id,
        region_code: lianjian_domain::region::RegionCode::parse("411121").unwrap(),
        department_id: None,
        kind: RecordKind::Penalty,
        tier: Some(Tier::General),
        occurred_on: on,
        reference: Some("舞市监罚〔2026〕88号".into()),
        title: "销售超过保质期的食品".into(),
        legal_basis: Some("《食品安全法》第一百二十四条".into()),
        detail: RecordDetail::Penalty {
            kinds: vec![PenaltyKind::Fine],
            amount_cents: 500_000,
            strict_field: None,
        },
        source: RecordSource::Manual,
        publication: Publication {
            published: true,
            repair_from: on,
            until: on + chrono::Duration::days(365),
        },
        status: RecordStatus::Active,
        ended_on: None,
        created_by: "test".into(),
        created_at: app.svc.now(),
        updated_at: app.svc.now(),
    };
    let tx = app.svc.store.begin().await.unwrap();
    lianjian_store::credit::insert_many(&tx, &[e])
        .await
        .unwrap();
    tx.commit().await.unwrap();
    id
}

async fn finished(app: &App, token: &str, run: &str) -> Value {
    for _ in 0..600 {
        let r = app
            .get_json(&format!("/api/v1/credit/evaluations/{run}"), token)
            .await;
        if r["status"] != "running" {
            return r;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("run {run} still running");
}

async fn the_api_defines_an_index_runs_and_explains(app: App) {
    let office = app.token("wy.office").await;
    let market = app.token("wy.market").await;
    let x = penalise_first_entity(&app).await;

    // Every bad field named; nothing stored.
    let mut def = serde_json::to_value(IndexDef::standard()).unwrap();
    def["indicators"][0]["weight"] = json!(0);
    def["thresholds"] = json!({"a": 50, "b": 70, "c": 90});
    let r = app
        .post(
            "/api/v1/credit/indexes",
            &office,
            json!({"region_code": "41112", "name": "x", "definition": def}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    let fields = r.fields();
    for f in [
        "region_code",
        "name",
        "definition.indicators[0].weight",
        "definition.indicators",
        "definition.thresholds",
    ] {
        assert!(fields.contains(&f.to_string()), "{f} in {fields:?}");
    }
    assert_eq!(
        app.get_json("/api/v1/credit/indexes", &office).await,
        json!([])
    );
    // A missing field of the body is named too (a body that does not parse: 400).
    let r = app
        .post(
            "/api/v1/credit/indexes",
            &office,
            json!({"region_code": "411121", "name": "舞阳县指标"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.body);
    assert_eq!(r.fields(), ["definition"]);

    let idx = app
        .created(
            "/api/v1/credit/indexes",
            &office,
            json!({"region_code": "411121", "name": "舞阳县综合信用评价指标", "definition": IndexDef::standard()}),
        )
        .await;
    assert_eq!(idx["version"], 1);
    // Departments may not run; the office may.
    let r = app
        .post(
            "/api/v1/credit/evaluations",
            &market,
            json!({"region_code": "411121"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = app
        .post(
            "/api/v1/credit/evaluations",
            &office,
            json!({"region_code": "411121"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::ACCEPTED, "{}", r.body);
    let run = finished(&app, &office, r.json()["id"].as_str().unwrap()).await;
    assert_eq!(run["status"], "finished", "{run}");
    assert_eq!(run["index_version"], 1);
    let changes = app
        .get_json(
            &format!(
                "/api/v1/credit/evaluations/{}/changes?per_page=200",
                run["id"].as_str().unwrap()
            ),
            &market,
        )
        .await;
    assert_eq!(changes["total"], run["changed"]);
    let mine = changes["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["entity_id"] == x.to_string())
        .unwrap_or_else(|| panic!("{changes}"));
    assert_eq!(mine["class"], "B");
    assert_eq!(mine["score"], 70);
    assert!(
        mine["explanation"]
            .to_string()
            .contains("近24个月一般行政处罚1次，扣30分")
    );

    // The same as a spreadsheet: a zip (xlsx) with the department's rows.
    let r = app
        .api(
            "GET",
            &format!(
                "/api/v1/credit/evaluations/{}/changes.xlsx",
                run["id"].as_str().unwrap()
            ),
            Some(&market),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(
        r.headers[axum::http::header::CONTENT_TYPE]
            .to_str()
            .unwrap()
            .contains("spreadsheetml")
    );
    let page = app
        .get_json(&format!("/api/v1/credit/entities/{x}"), &market)
        .await;
    assert_eq!(page["class"], "B");
    assert_eq!(page["class_source"], "评价");
    assert_eq!(page["evaluation"]["score"], 70);

    // An override needs a reason; with one it holds.
    let r = app
        .post(
            &format!("/api/v1/credit/entities/{x}/override"),
            &office,
            json!({"class": "D", "reason": ""}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.fields(), ["reason"]);
    let r = app
        .post(
            &format!("/api/v1/credit/entities/{x}/override"),
            &office,
            json!({"class": "D", "reason": "列入食品安全重点监管对象", "until": "2099-12-31"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let page = app
        .get_json(&format!("/api/v1/credit/entities/{x}"), &office)
        .await;
    assert_eq!(page["class"], "D");
    assert_eq!(page["overrides"].as_array().unwrap().len(), 1);
}

async fn the_console_configures_an_index_from_scratch_and_runs_it(app: App) {
    let office = app.login("wy.office").await;
    let x = penalise_first_entity(&app).await;
    let home = app.get("/console", Some(&office)).await;
    // The menu's 联合信用监管 leads to a built page (this branch: the runs; merged with the
    // credit entries, their list, which links here).
    assert!(home.body.contains("href=\"/console/credit"), "menu entry");
    let list = app.get("/console/credit/evaluations", Some(&office)).await;
    assert_eq!(list.status, StatusCode::OK);
    assert!(list.body.contains("尚未进行信用评价"));
    let page = app.get("/console/credit/indexes", Some(&office)).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("新建指标体系"));
    let csrf = csrf_of(&page.body);

    // Typed wrong: each bad field named in words, what was typed kept.
    let bad = format!(
        "_csrf={csrf}&_once=ix1&name={}&region_code=411121&penalties_on=1&penalties_weight=abc&penalties_months=24&penalties_minor=5&penalties_general=30&penalties_serious=60&listings_on=1&listings_weight=40&listings_abnormal=20&listings_dishonest=30&threshold_a=90&threshold_b=70&threshold_c=50",
        enc("舞阳县综合评价")
    );
    let r = app
        .form("/console/credit/indexes", Some(&office), &bad)
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        r.body.contains("“行政处罚·权重”应填写不小于 0 的整数"),
        "{}",
        r.body
    );
    assert!(r.body.contains("舞阳县综合评价"), "typed name kept");
    let unordered = format!(
        "_csrf={csrf}&_once=ix2&name={}&region_code=411121&penalties_on=1&penalties_weight=60&penalties_months=24&penalties_minor=5&penalties_general=30&penalties_serious=60&listings_on=1&listings_weight=30&listings_abnormal=20&listings_dishonest=30&threshold_a=60&threshold_b=70&threshold_c=50",
        enc("舞阳县综合评价")
    );
    let r = app
        .form("/console/credit/indexes", Some(&office), &unordered)
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        r.body.contains("扣分指标的权重合计应为 100 分，现为 90 分"),
        "{}",
        r.body
    );
    assert!(
        r.body.contains("分数线应满足 A类") && r.body.contains("现为 60 / 70 / 50"),
        "{}",
        r.body
    );

    let good = format!(
        "_csrf={csrf}&_once=ix3&name={}&region_code=411121&penalties_on=1&penalties_weight=60&penalties_months=24&penalties_minor=5&penalties_general=30&penalties_serious=60&listings_on=1&listings_weight=40&listings_abnormal=20&listings_dishonest=30&threshold_a=90&threshold_b=70&threshold_c=50",
        enc("舞阳县综合评价")
    );
    let r = app
        .form("/console/credit/indexes", Some(&office), &good)
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let at = r.headers[axum::http::header::LOCATION]
        .to_str()
        .unwrap()
        .to_string();
    assert!(at.starts_with("/console/credit/indexes/"), "{at}");
    let page = app.get(&at, Some(&office)).await;
    assert!(page.body.contains("第1版"), "versions listed");

    let r = app
        .form(
            "/console/credit/evaluations",
            Some(&office),
            &format!("_csrf={csrf}&_once=run1&region_code=411121"),
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let run_page = r.headers[axum::http::header::LOCATION]
        .to_str()
        .unwrap()
        .to_string();
    let run_id = run_page.rsplit('/').next().unwrap().to_string();
    let token = app.token("wy.office").await;
    finished(&app, &token, &run_id).await;
    let page = app.get(&run_page, Some(&office)).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("已完成"), "{}", page.body);
    assert!(
        page.body.contains("近24个月一般行政处罚1次，扣30分"),
        "explained"
    );
    let page = app
        .get(&format!("/console/credit/entities/{x}"), Some(&office))
        .await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("B类（信用风险一般）"), "{}", page.body);
    assert!(page.body.contains("扣30分"));
    // No internal codes on screen.
    assert!(
        !page.body.contains(">penalties<") && !page.body.contains("general"),
        "codes shown"
    );
}

async fn classes_and_scores_are_never_public(app: App) {
    let x = penalise_first_entity(&app).await;
    // No public route: the staff API answers 401 without a token.
    let r = app
        .api("GET", &format!("/api/v1/credit/entities/{x}"), None, None)
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    let r = app
        .api("GET", "/api/v1/credit/evaluations", None, None)
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    // The published document's only public credit operations are the credit information
    // (信用信息公示), and neither carries a class or a score.
    let doc = app.api("GET", "/api/openapi.json", None, None).await.json();
    for (path, _) in doc["paths"].as_object().unwrap() {
        if path.contains("/public/") && path.contains("credit") {
            assert!(
                ["/api/v1/public/credit", "/api/v1/public/credit/{usci}"].contains(&path.as_str()),
                "{path} is public"
            );
        }
    }
    let usci = app
        .get_json(
            &format!("/api/v1/entities/{x}"),
            &app.token("wy.office").await,
        )
        .await["entity"]["usci"]
        .as_str()
        .unwrap()
        .to_string();
    for path in [
        format!("/api/v1/public/credit/{usci}"),
        format!("/api/v1/public/credit?q={usci}"),
    ] {
        let r = app.api("GET", &path, None, None).await;
        assert_eq!(r.status, StatusCode::OK, "{path}: {}", r.body);
        for word in ["class", "score", "评价"] {
            assert!(!r.body.contains(word), "{word} in {path}: {}", r.body);
        }
    }
    let console = app
        .get(&format!("/console/credit/entities/{x}"), None)
        .await;
    assert!(
        console.status == StatusCode::SEE_OTHER || console.status == StatusCode::UNAUTHORIZED,
        "{}",
        console.status
    );
}
