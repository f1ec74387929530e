//! 问题线索 (issue 14) through the real router, on SQLite and PostgreSQL: the API registers a
//! clue (naming every bad field, storing nothing), lists and reads it within scope with the
//! complainant masked for non-handlers; the console's menu entry, intake form, queues, clue page
//! with its timeline and clocks, and the step forms (dispatch, sign, return with a reason,
//! reassign, finish).

use crate::common::*;

use axum::http::StatusCode;
use serde_json::json;

on_both_backends!(
    template = DEMO, setup = app;
    the_api_registers_lists_and_reads_clues_within_scope,
    the_console_takes_a_clue_from_intake_to_finish,
    the_console_routes_disputes_and_oversees_clues,
    the_api_keeps_routing_and_deadline_tables,
);

fn body() -> serde_json::Value {
    json!({
        "source": "hotline_12345",
        "kind": "complaint",
        "urgency": "urgent",
        "content": "舞阳县城关镇某药店销售过期药品，请核查",
        "address": "舞阳县城关镇人民路 18 号",
        "region_code": "411121",
        "complainant_name": "王小明",
        "complainant_phone": "13800138000",
        "external_no": "12345-2026-API-1"
    })
}

async fn the_api_registers_lists_and_reads_clues_within_scope(app: App) {
    let office = app.token("wy.office").await;
    let market = app.token("wy.market").await;
    let health = app.token("wy.health").await;
    let leader = app.token("wy.leader").await;
    let before = app.get_json("/api/v1/clues?queue=all", &office).await;
    // Malformed: every field named, nothing stored.
    let r = app
        .post(
            "/api/v1/clues",
            &office,
            json!({"source": "电报", "kind": "complaint", "content": "短", "address": "城关", "region_code": "411121", "complainant_phone": "123"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    let mut f = r.fields();
    f.sort();
    assert_eq!(f, ["complainant_phone", "content", "source"]);
    // An unknown field is a 400/422 naming it, not silently dropped.
    let mut extra = body();
    extra["colour"] = json!("red");
    let r = app.post("/api/v1/clues", &office, &extra).await;
    assert!(r.status.is_client_error(), "{} {}", r.status, r.body);
    let list = app.get_json("/api/v1/clues?queue=all", &office).await;
    assert_eq!(list["total"], before["total"], "{list}");
    // Leaders register nothing.
    let r = app.post("/api/v1/clues", &leader, body()).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = app.post("/api/v1/clues", &office, body()).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let c = r.json();
    let id = c["id"].as_str().unwrap().to_string();
    assert_eq!(c["status"], "registered");
    assert_eq!(c["complainant"]["phone"], "13800138000");
    assert_eq!(c["timeline"][0]["action"], "register");
    // The same work order again: 422 on external_no.
    let r = app.post("/api/v1/clues", &office, body()).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.fields(), ["external_no"]);
    // Dispatch to the market department; the queue 待签收 holds it for the department.
    let x = app.department(&office, "411121", "县市场监管局").await;
    let r = app
        .post(
            &format!("/api/v1/clues/{id}/dispatch"),
            &office,
            json!({"department_id": x}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let d = r.json();
    assert_eq!(d["status"], "dispatched");
    assert_eq!(d["clocks"].as_array().unwrap().len(), 3);
    let q = app.get_json("/api/v1/clues?queue=to_sign", &market).await;
    let mine = q["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == id.as_str())
        .unwrap_or_else(|| panic!("{q}"));
    assert_eq!(mine["complainant"]["phone"], "13800138000");
    // Another line neither lists nor reads it.
    let q = app
        .get_json("/api/v1/clues?queue=all&per_page=200", &health)
        .await;
    assert!(!q.to_string().contains(&id), "{q}");
    let r = app
        .api("GET", &format!("/api/v1/clues/{id}"), Some(&health), None)
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    // The leader reads it, masked.
    let l = app.get_json(&format!("/api/v1/clues/{id}"), &leader).await;
    assert_eq!(l["complainant"]["phone"], "138****8000");
    assert_eq!(l["complainant"]["masked"], true);
    assert_eq!(l["actions"], json!([]));
    // An unknown queue is named.
    let r = app
        .api("GET", "/api/v1/clues?queue=soon", Some(&office), None)
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.fields(), ["queue"]);
    // Return without a reason: 422; with one: returned, the reason on the timeline.
    let r = app
        .post(
            &format!("/api/v1/clues/{id}/return"),
            &market,
            json!({"reason": ""}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let r = app
        .post(
            &format!("/api/v1/clues/{id}/return"),
            &market,
            json!({"reason": "经核实涉事单位为诊所，属卫生健康部门职责"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let d = r.json();
    assert_eq!(
        d["timeline"][2]["reason"],
        "经核实涉事单位为诊所，属卫生健康部门职责"
    );
    // Signing a returned clue conflicts with its state.
    let r = app
        .post(&format!("/api/v1/clues/{id}/sign"), &market, json!({}))
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
}

async fn the_console_takes_a_clue_from_intake_to_finish(app: App) {
    let office = app.login("wy.office").await;
    let market = app.login("wy.market").await;
    // The menu entry replaces 建设中, the queues are the office's.
    let home = app.get("/console", Some(&office)).await;
    assert!(home.body.contains("href=\"/console/clues\""), "menu entry");
    let list = app.get("/console/clues", Some(&office)).await;
    assert_eq!(list.status, StatusCode::OK);
    for q in ["待派单", "退回待处理", "待签收", "即将超时", "已超时"] {
        assert!(list.body.contains(q), "{q}");
    }
    // The intake form, with a bad field kept and named.
    let form = app.get("/console/clues/new", Some(&office)).await;
    assert_eq!(form.status, StatusCode::OK);
    let csrf = csrf_of(&form.body);
    let once = |n: u32| format!("&_once=clues{n}");
    let r = app
        .form(
            "/console/clues",
            Some(&office),
            &format!(
                "_csrf={csrf}{}&source=hotline_12345&kind=complaint&urgency=normal&content={}&address={}&region_code=411121&complainant_phone=12",
                once(1),
                enc("农贸市场摊贩销售病死猪肉"),
                enc("舞阳县北舞渡镇农贸市场")
            ),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        r.body.contains("农贸市场摊贩销售病死猪肉"),
        "typed text kept"
    );
    assert!(r.body.contains("联系电话"), "{}", r.body);
    let r = app
        .form(
            "/console/clues",
            Some(&office),
            &format!(
                "_csrf={csrf}{}&source=hotline_12345&kind=report&urgency=urgent&content={}&address={}&region_code=411121&complainant_name={}&complainant_phone=13900139000",
                once(2),
                enc("农贸市场摊贩销售病死猪肉"),
                enc("舞阳县北舞渡镇农贸市场"),
                enc("李四")
            ),
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let loc = r.headers["location"].to_str().unwrap().to_string();
    let id = loc
        .trim_start_matches("/console/clues/")
        .split('?')
        .next()
        .unwrap()
        .to_string();
    let page = app.get(&loc, Some(&office)).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("线索已登记"));
    assert!(page.body.contains("13900139000"));
    assert!(page.body.contains("派单至"));
    // Dispatch to the market department.
    let x = app
        .department(&app.token("wy.office").await, "411121", "县市场监管局")
        .await;
    let r = app
        .form(
            &format!("/console/clues/{id}/dispatch"),
            Some(&office),
            &format!("_csrf={csrf}{}&department_id={x}", once(3)),
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    // The department sees it in 待签收 and signs it on its page.
    let q = app.get("/console/clues?queue=to_sign", Some(&market)).await;
    assert!(q.body.contains(&id), "in 待签收");
    let page = app
        .get(&format!("/console/clues/{id}"), Some(&market))
        .await;
    assert!(page.body.contains("签收时限") && page.body.contains("办结时限"));
    assert!(page.body.contains("/sign"), "sign form");
    let mcsrf = csrf_of(&page.body);
    let r = app
        .form(
            &format!("/console/clues/{id}/sign"),
            Some(&market),
            &format!("_csrf={mcsrf}{}", once(4)),
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    // Returning without a reason is refused on the page.
    let r = app
        .form(
            &format!("/console/clues/{id}/return"),
            Some(&market),
            &format!("_csrf={mcsrf}{}&reason=", once(5)),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("请填写理由"), "{}", r.body);
    // A complaint is finished with its finding (查实情况): without one the form says so.
    let page = app
        .get(&format!("/console/clues/{id}"), Some(&market))
        .await;
    assert!(page.body.contains("name=\"finding\""), "{}", page.body);
    let r = app
        .form(
            &format!("/console/clues/{id}/finish"),
            Some(&market),
            &format!(
                "_csrf={mcsrf}{}&result={}",
                once(60),
                enc("已现场核查并立案查处")
            ),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(r.body.contains("办结时须填写查实情况"), "{}", r.body);
    // Finished with a result; the timeline names each step and actor.
    let r = app
        .form(
            &format!("/console/clues/{id}/finish"),
            Some(&market),
            &format!(
                "_csrf={mcsrf}{}&result={}&finding=substantiated",
                once(6),
                enc("已现场核查并立案查处")
            ),
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let page = app
        .get(&format!("/console/clues/{id}"), Some(&market))
        .await;
    for s in [
        "登记",
        "派单",
        "签收",
        "办结",
        "已现场核查并立案查处",
        "wy.market",
        "按时完成",
    ] {
        assert!(page.body.contains(s), "{s}");
    }
    // A leader reads the page with the phone masked and no forms.
    let leader = app.login("wy.leader").await;
    let page = app
        .get(&format!("/console/clues/{id}"), Some(&leader))
        .await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("139****9000") && !page.body.contains("13900139000"));
    assert!(!page.body.contains("/finish\""));
    assert_eq!(
        app.get("/console/clues/new", Some(&leader)).await.status,
        StatusCode::FORBIDDEN
    );
}

/// Routing, joint dispatch, 提请裁定 → 裁定 and 回访 through the console's forms.
async fn the_console_routes_disputes_and_oversees_clues(app: App) {
    let office = app.login("wy.office").await;
    let health = app.login("wy.health").await;
    let token = app.token("wy.office").await;
    let x = app.department(&token, "411121", "县市场监管局").await;
    let y = app.department(&token, "411121", "县卫生健康委").await;
    let r = app
        .post(
            "/api/v1/clue-routes",
            &token,
            json!({"keyword": "诊所", "department_id": y}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let mut b = body();
    b["external_no"] = json!("12345-2026-API-ROUTE");
    b["content"] = json!("某诊所销售过期药品，请核查");
    let c = app.post("/api/v1/clues", &token, &b).await;
    assert_eq!(c.status, StatusCode::CREATED, "{}", c.body);
    let id = c.json()["id"].as_str().unwrap().to_string();
    let page = app
        .get(&format!("/console/clues/{id}"), Some(&office))
        .await;
    assert!(page.body.contains("分办建议"), "routing card");
    assert!(page.body.contains("分办规则：关键词“诊所”"), "why");
    assert!(
        page.body
            .contains(&format!("<option value=\"{y}\" selected>")),
        "lead preselected"
    );
    assert!(
        page.body.contains("提请裁定") && page.body.contains("转办") && page.body.contains("并单")
    );
    // 转办 offers the neighbouring counties by name.
    assert!(
        page.body
            .contains(r#"<option value="411122">临颍县</option>"#),
        "transfer regions"
    );
    let csrf = csrf_of(&page.body);
    let once = |n: u32| format!("&_once=route{n}");
    // A dispute, then a decision missing its rule is refused on the page, naming it.
    let r = app
        .form(
            &format!("/console/clues/{id}/dispute"),
            Some(&office),
            &format!(
                "_csrf={csrf}{}&reason={}",
                once(1),
                enc("卫健委与市场监管局均认为不属本部门职责")
            ),
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let page = app
        .get(&format!("/console/clues/{id}?ok=disputed"), Some(&office))
        .await;
    assert!(page.body.contains("争议待裁定") && page.body.contains("裁定时限"));
    assert!(page.body.contains("谁靠近谁牵头"), "the rules offered");
    let r = app
        .form(
            &format!("/console/clues/{id}/decide"),
            Some(&office),
            &format!(
                "_csrf={csrf}{}&rule=&department_id={y}&reason={}",
                once(2),
                enc("诊所由卫健委主管")
            ),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let r = app
        .form(
            &format!("/console/clues/{id}/decide"),
            Some(&office),
            &format!(
                "_csrf={csrf}{}&rule=competent&department_id={y}&cooperating_ids={x}&reason={}",
                once(3),
                enc("诊所由卫健委主管，药品质量由市场监管局配合")
            ),
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let page = app
        .get(&format!("/console/clues/{id}"), Some(&health))
        .await;
    assert!(page.body.contains("配合部门") && page.body.contains("谁主管谁牵头"));
    assert!(page.body.contains("/sign"), "the lead signs");
    // The queue of disputes is the office's.
    let q = app
        .get("/console/clues?queue=disputed", Some(&office))
        .await;
    assert_eq!(q.status, StatusCode::OK);
    assert!(q.body.contains("争议待裁定"));
}

/// The office's routing and deadline tables through the API: fields named, other offices'
/// rules out of reach.
async fn the_api_keeps_routing_and_deadline_tables(app: App) {
    let office = app.token("wy.office").await;
    let market = app.token("wy.market").await;
    let r = app
        .post(
            "/api/v1/clue-routes",
            &office,
            json!({"keyword": "", "item_id": "x"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    let mut f = r.fields();
    f.sort();
    assert_eq!(f, ["item_id", "keyword"]);
    let r = app
        .api("GET", "/api/v1/clue-routes", Some(&market), None)
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = app
        .call(
            "PUT",
            "/api/v1/clue-deadlines",
            &office,
            json!({"kind": "complaint", "sign_days": 1, "return_days": 3, "finish_days": 2}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert_eq!(r.fields(), ["return_days"]);
    let r = app
        .call(
            "PUT",
            "/api/v1/clue-deadlines",
            &office,
            json!({"kind": "complaint", "sign_days": 1, "return_days": 2, "finish_days": 8}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let rules = r.json();
    assert_eq!(rules[0]["finish_days"], 8, "{rules}");
    assert_eq!(rules[0]["kind_label"], "投诉");
    assert_eq!(rules[0]["source_label"], "全部来源");
    let r = app
        .api(
            "DELETE",
            "/api/v1/clue-deadlines?kind=complaint",
            Some(&office),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.body);
}
