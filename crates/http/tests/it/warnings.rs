//! Risk warnings (issue 16 items 1–2) through the real router, on SQLite and PostgreSQL: a rule
//! is created by API (every bad field named, a condition error with its place), a warning is
//! raised and folded, signed, handled and closed through the API; the console's rule form
//! names every bad field and makes versions; the queue (tabs, level filter, sort) and the case
//! page render with clocks, occurrences and the step forms, which work; the health line does
//! not see the market line's warning.

use crate::api_schemas::conforms;
use crate::common::*;

use axum::http::StatusCode;
use lianjian_domain::warning::Trigger;
use serde_json::json;

on_both_backends!(
    template = DEMO, setup = app;
    a_warning_is_handled_through_the_api,
    the_console_keeps_rules_and_works_a_major_warning,
);

async fn entity(app: &App, token: &str) -> String {
    let e = app
        .get_json("/api/v1/entities?region=411121&per_page=1", token)
        .await;
    e["items"][0]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("{e}"))
        .to_string()
}

async fn raise(app: &App, rule: &serde_json::Value, entity: &str, summary: &str) -> String {
    let t = Trigger {
        rule_id: rule["id"].as_str().unwrap().parse().unwrap(),
        rule_version: rule["version"].as_i64().unwrap() as i32,
        entity_id: entity.parse().unwrap(),
        device_id: None,
        level: lianjian_domain::warning::Level::parse(rule["level"].as_str().unwrap()).unwrap(),
        summary: summary.into(),
        observed_at: chrono::Utc::now(),
        detail: serde_json::Value::Null,
    };
    lianjian_services::warnings::raise(&app.svc, t)
        .await
        .unwrap()
        .id
        .to_string()
}

async fn a_warning_is_handled_through_the_api(app: App) {
    let office = app.token("wy.office").await;
    let market = app.token("wy.market").await;
    let health = app.token("wy.health").await;
    // Bad rule: every field named.
    let r = app
        .post(
            "/api/v1/warning-rules",
            &office,
            json!({"code": "?", "name": "", "sector": "", "level": "purple",
                   "condition": {"type": "reading", "metric": "temperature", "op": "=", "value": 8},
                   "push": {"lines": []}, "plan": []}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    let mut fields = r.fields();
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
    assert!(r.body.contains("`>=`"), "{}", r.body);
    // A department administrator may not add rules.
    let body = json!({"code": "YJ-T-LL-01", "name": "冷链温度超标", "sector": "食品", "level": "yellow",
        "condition": {"type": "reading", "metric": "temperature", "op": ">", "value": 8, "for_minutes": 30},
        "push": {"lines": ["market"]},
        "plan": [{"name": "现场核查", "deadline": {"hours": 4}}, {"name": "整改复查", "deadline": {"working_days": 5}}]});
    let r = app
        .post("/api/v1/warning-rules", &market, body.clone())
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let rule = app.created("/api/v1/warning-rules", &office, body).await;
    let doc = serde_json::to_value(lianjian_http::openapi()).unwrap();
    conforms(&doc, "post", "/api/v1/warning-rules", 201, &rule);
    assert_eq!(rule["condition_text"], "温度 > 8 ℃ 持续 30 分钟");
    let e = entity(&app, &market).await;
    let id = raise(
        &app,
        &rule,
        &e,
        "冷链温度超标：温度 9.2 ℃ 已持续 31 分钟（阈值 > 8 ℃）",
    )
    .await;
    let again = raise(
        &app,
        &rule,
        &e,
        "冷链温度超标：温度 9.8 ℃ 已持续 45 分钟（阈值 > 8 ℃）",
    )
    .await;
    assert_eq!(id, again, "folded");
    let rid = rule["id"].as_str().unwrap().to_string();
    let list = app
        .get_json(&format!("/api/v1/warnings?rule_id={rid}"), &market)
        .await;
    assert_eq!(list["total"], 1, "{list}");
    assert_eq!(list["items"][0]["occurrences"], 2);
    conforms(&doc, "get", "/api/v1/warnings", 200, &list);
    // The health line sees nothing of it.
    assert_eq!(
        app.get_json(
            &format!("/api/v1/warnings?queue=all&rule_id={rid}"),
            &health
        )
        .await["total"],
        0
    );
    let r = app
        .post(&format!("/api/v1/warnings/{id}/sign"), &health, json!({}))
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let r = app
        .call("GET", "/api/v1/warnings?queue=nope", &market, json!(null))
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.fields(), vec!["queue"]);
    let r = app
        .post(&format!("/api/v1/warnings/{id}/sign"), &market, json!({}))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let d = r.json();
    conforms(&doc, "post", "/api/v1/warnings/{id}/sign", 200, &d);
    assert_eq!(d["warning"]["status"], "signed");
    let r = app
        .post(
            &format!("/api/v1/warnings/{id}/close"),
            &market,
            json!({"reason": ""}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.fields(), vec!["reason"]);
    let r = app
        .post(
            &format!("/api/v1/warnings/{id}/close"),
            &market,
            json!({"reason": "冷机已修复，温度恢复正常"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.json()["warning"]["status"], "closed");
    let r = app
        .post(&format!("/api/v1/warnings/{id}/sign"), &market, json!({}))
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    // A new version of the rule; its versions.
    let v2 = app
        .created(
            &format!("/api/v1/warning-rules/{}/versions", rule["id"].as_str().unwrap()),
            &office,
            json!({"code": "YJ-T-LL-01", "name": "冷链温度超标", "sector": "食品", "level": "orange",
                "condition": {"type": "reading", "metric": "temperature", "op": ">", "value": 6, "for_minutes": 30},
                "push": {"lines": ["market"]}, "plan": [{"name": "现场核查", "deadline": {"hours": 2}}]}),
        )
        .await;
    assert_eq!(v2["version"], 2);
    let vs = app
        .get_json(
            &format!("/api/v1/warning-rules/{}", rule["id"].as_str().unwrap()),
            &market,
        )
        .await;
    assert_eq!(vs.as_array().unwrap().len(), 2);
}

async fn the_console_keeps_rules_and_works_a_major_warning(app: App) {
    let office_c = app.login("wy.office").await;
    let page = app.get("/console/warning-rules", Some(&office_c)).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(page.body.contains("新增预警规则"));
    let csrf = csrf_of(&page.body);
    // Every bad field named on the form, the values kept.
    let r = app
        .form(
            "/console/warning-rules",
            Some(&office_c),
            &format!(
                "_csrf={csrf}&_once=r1&code=%3F&name=&sector=&level=yellow&condition={}&push={}&plan={}",
                enc("{not json"),
                enc(r#"{"lines":[]}"#),
                enc(r#"[{"name":"核查","deadline":{"hours":0}}]"#)
            ),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(r.body.contains("预警条件不是有效的 JSON"), "{}", r.body);
    let r = app
        .form(
            "/console/warning-rules",
            Some(&office_c),
            &format!(
                "_csrf={csrf}&_once=r2&code=%3F&name=&sector=&level=yellow&condition={}&push={}&plan={}",
                enc(r#"{"type":"event","metric":"rat","value":1}"#),
                enc(r#"{"lines":[]}"#),
                enc(r#"[{"name":"核查","deadline":{"hours":0}}]"#)
            ),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    for f in ["code", "name", "sector", "push", "plan"] {
        assert!(
            r.body.contains(&format!("data-field=\"{f}\"")),
            "{f}: {}",
            r.body
        );
    }
    let r = app
        .form(
            "/console/warning-rules",
            Some(&office_c),
            &format!(
                "_csrf={csrf}&_once=r3&code=YJ-T-MCLZ-01&name={}&sector={}&level=red&condition={}&push={}&plan={}&active=on",
                enc("明厨亮灶鼠患"),
                enc("食品"),
                enc(r#"{"type":"event","metric":"rat","value":1}"#),
                enc(r#"{"lines":["market","health"]}"#),
                enc(r#"[{"name":"立即现场核查","deadline":{"hours":2}},{"name":"消杀整改","deadline":{"working_days":3}}]"#)
            ),
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let office = app.token("wy.office").await;
    let rules = app.get_json("/api/v1/warning-rules", &office).await;
    let rule = rules
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["code"] == "YJ-T-MCLZ-01")
        .unwrap()
        .clone();
    assert_eq!(rule["major"], true);
    let e = entity(&app, &office).await;
    let id = raise(&app, &rule, &e, "明厨亮灶鼠患：监测到鼠患").await;
    // The market department's queue and page.
    let market_c = app.login("wy.market").await;
    let q = app.get("/console/warnings", Some(&market_c)).await;
    assert_eq!(q.status, StatusCode::OK, "{}", q.body);
    assert!(q.body.contains("明厨亮灶鼠患：监测到鼠患") && q.body.contains("红色"));
    let q = app
        .get(
            "/console/warnings?queue=all&level=red&sort=level",
            Some(&market_c),
        )
        .await;
    assert!(q.body.contains(&id));
    let q = app
        .get("/console/warnings?queue=all&level=blue", Some(&market_c))
        .await;
    assert!(!q.body.contains(&id));
    let q = app
        .get("/console/warnings?queue=all&sort=nope", Some(&market_c))
        .await;
    assert_eq!(q.status, StatusCode::OK);
    assert!(q.body.contains("排序“nope”无效"), "{}", q.body);
    let page = app
        .get(&format!("/console/warnings/{id}"), Some(&market_c))
        .await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(page.body.contains("立即现场核查") && page.body.contains("按小时计时"));
    assert!(page.body.contains("签收"));
    let csrf = csrf_of(&page.body);
    let r = app
        .form(
            &format!("/console/warnings/{id}/sign"),
            Some(&market_c),
            &format!("_csrf={csrf}&_once=w1"),
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    // Major: closing before the assessment is refused on the page with the reason.
    let r = app
        .form(
            &format!("/console/warnings/{id}/close"),
            Some(&market_c),
            &format!("_csrf={csrf}&_once=w2&reason={}", enc("误报")),
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
    assert!(r.body.contains("会商研判"), "{}", r.body);
    let r = app
        .form(
            &format!("/console/warnings/{id}/assess"),
            Some(&market_c),
            &format!("_csrf={csrf}&_once=w3&note="),
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let r = app
        .form(
            &format!("/console/warnings/{id}/decide"),
            Some(&market_c),
            &format!("_csrf={csrf}&_once=w4&minutes=&decision="),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(r.body.contains("会商纪要") && r.body.contains("研判结论"));
    let r = app
        .form(
            &format!("/console/warnings/{id}/decide"),
            Some(&market_c),
            &format!(
                "_csrf={csrf}&_once=w5&minutes={}&decision={}",
                enc("市场监管与卫健会商：确认后厨有鼠"),
                enc("责令停业整顿并消杀")
            ),
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let r = app
        .form(
            &format!("/console/warnings/{id}/handle"),
            Some(&market_c),
            &format!("_csrf={csrf}&_once=w6&note="),
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let r = app
        .form(
            &format!("/console/warnings/{id}/close"),
            Some(&market_c),
            &format!(
                "_csrf={csrf}&_once=w7&reason={}",
                enc("已消杀并复查，未再发现鼠迹")
            ),
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let page = app
        .get(
            &format!("/console/warnings/{id}?ok=closed"),
            Some(&market_c),
        )
        .await;
    assert!(page.body.contains("已办结") && page.body.contains("责令停业整顿并消杀"));
    for step in [
        "生成预警",
        "推送",
        "签收",
        "提请会商研判",
        "研判决定",
        "开始处置",
        "办结",
    ] {
        assert!(page.body.contains(step), "{step}");
    }
    // The health department was pushed to as well; the rule's page shows its version.
    let health_c = app.login("wy.health").await;
    assert_eq!(
        app.get(&format!("/console/warnings/{id}"), Some(&health_c))
            .await
            .status,
        StatusCode::OK
    );
    let rp = app
        .get(
            &format!("/console/warning-rules/{}", rule["id"].as_str().unwrap()),
            Some(&office_c),
        )
        .await;
    assert!(rp.body.contains("第 1 版（现行）") && rp.body.contains("修订为新版本"));
    // A department administrator reads the rules but has no form.
    let rp = app.get("/console/warning-rules", Some(&market_c)).await;
    assert!(rp.body.contains("YJ-T-MCLZ-01") && !rp.body.contains("新增预警规则"));
}
