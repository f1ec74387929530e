//! 联合惩戒 and 信用异议/修复 (issue 15 items 3–4) through the real router, on SQLite and
//! PostgreSQL: a batch filed by API names every bad field and stores nothing; ID numbers are
//! masked in the API and on the pages for the office and shown in full to the initiating and
//! implementing departments; the console's queue, task page (with its feedback form and the
//! 督办 form), batch page and appeal pages render and their step forms work.

use crate::api_schemas::conforms;
use crate::common::*;

use axum::http::StatusCode;
use serde_json::json;

on_both_backends!(
    template = DEMO, setup = app;
    a_sanction_batch_is_filed_reviewed_and_fed_back_through_api_and_console,
    an_objection_is_decided_in_the_console,
    the_console_keeps_the_catalogue_and_files_a_batch,
);

const ID_NO: &str = "11010519491231002X";

async fn entity(app: &App, token: &str) -> (String, String) {
    let e = app
        .get_json("/api/v1/entities?region=411121&per_page=1", token)
        .await;
    (
        e["items"][0]["id"]
            .as_str()
            .unwrap_or_else(|| panic!("{e}"))
            .to_string(),
        e["items"][0]["usci"].as_str().unwrap().to_string(),
    )
}

async fn a_sanction_batch_is_filed_reviewed_and_fed_back_through_api_and_console(app: App) {
    let office = app.token("wy.office").await;
    let market = app.token("wy.market").await;
    let health = app.token("wy.health").await;
    let x = app.department(&office, "411121", "县市场监管局").await;
    let y = app.department(&office, "411121", "县卫生健康委").await;
    let m1 = app
        .created(
            "/api/v1/sanction-measures",
            &office,
            json!({"name": "列为重点监管对象", "legal_basis": "《严重违法失信名单管理办法》", "department_id": x, "subject_type": "entity", "default_months": 12, "class_d": true}),
        )
        .await;
    let m2 = app
        .created(
            "/api/v1/sanction-measures",
            &office,
            json!({"name": "限制担任医疗机构负责人", "legal_basis": "《医疗机构管理条例》", "department_id": y, "subject_type": "person", "default_months": 12}),
        )
        .await;
    let (entity_id, usci) = entity(&app, &market).await;
    // Bad input: every field named, nothing stored.
    let r = app
        .post(
            "/api/v1/sanction-batches",
            &market,
            json!({"reason": "", "legal_basis": "", "measure_ids": [], "subjects": [{"subject_type": "person", "usci": usci, "person_name": "赵某某", "id_number": "123"}]}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    let fields = r.fields();
    for f in [
        "reason",
        "legal_basis",
        "measure_ids",
        "subjects[0].id_number",
        "subjects[0].person_role",
    ] {
        assert!(fields.iter().any(|x| x == f), "{f} in {fields:?}");
    }
    assert_eq!(
        app.get_json("/api/v1/sanction-batches", &office).await["total"],
        0
    );
    let b = app
        .created(
            "/api/v1/sanction-batches",
            &market,
            json!({"reason": "被列入严重违法失信名单", "legal_basis": "《市场监督管理严重违法失信名单管理办法》第十七条", "feedback_days": 5,
                   "measure_ids": [m1["id"], m2["id"]],
                   "subjects": [{"subject_type": "entity", "entity_id": entity_id},
                                {"subject_type": "person", "usci": usci, "person_name": "赵某某", "id_number": ID_NO, "person_role": "法定代表人"}]}),
        )
        .await;
    let doc = serde_json::to_value(lianjian_http::openapi()).unwrap();
    conforms(&doc, "post", "/api/v1/sanction-measures", 201, &m1);
    conforms(&doc, "post", "/api/v1/sanction-batches", 201, &b);
    let id = b["batch"]["id"].as_str().unwrap().to_string();
    assert_eq!(b["batch"]["status"], "submitted");
    assert_eq!(
        b["subjects"][1]["id_number"], ID_NO,
        "the initiating department reads it"
    );
    // The office reads it masked, in the API and on the page.
    let seen = app
        .get_json(&format!("/api/v1/sanction-batches/{id}"), &office)
        .await;
    assert_eq!(seen["id_numbers_masked"], true);
    assert_eq!(seen["subjects"][1]["id_number"], "1101**********002X");
    let office_c = app.login("wy.office").await;
    let page = app
        .get(&format!("/console/sanctions/batches/{id}"), Some(&office_c))
        .await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(page.body.contains("1101**********002X"));
    assert!(
        !page.body.contains(ID_NO),
        "no full ID number for the office"
    );
    assert!(page.body.contains("审核通过") && page.body.contains("退回理由"));
    // Return without a reason: the page names the field, nothing changes.
    let csrf = csrf_of(&page.body);
    let r = app
        .form(
            &format!("/console/sanctions/batches/{id}/return"),
            Some(&office_c),
            &format!("_csrf={csrf}&_once=s1&reason="),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(r.body.contains("请填写理由"), "{}", r.body);
    let r = app
        .form(
            &format!("/console/sanctions/batches/{id}/approve"),
            Some(&office_c),
            &format!("_csrf={csrf}&_once=s2"),
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let d = app
        .get_json(&format!("/api/v1/sanction-batches/{id}"), &office)
        .await;
    assert_eq!(d["batch"]["status"], "approved");
    let tasks = d["tasks"].as_array().unwrap();
    assert_eq!(tasks.len(), 2);
    let health_task = tasks
        .iter()
        .find(|t| t["department_id"] == y.as_str())
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    // The health commission's queue and task page: its person, the ID number in full, the
    // feedback forms; not the office's 督办 form.
    let health_c = app.login("wy.health").await;
    let q = app.get("/console/sanctions", Some(&health_c)).await;
    assert_eq!(q.status, StatusCode::OK);
    assert!(q.body.contains(&health_task));
    let t = app
        .get(
            &format!("/console/sanctions/tasks/{health_task}"),
            Some(&health_c),
        )
        .await;
    assert_eq!(t.status, StatusCode::OK, "{}", t.body);
    assert!(t.body.contains(ID_NO) && t.body.contains("赵某某"));
    assert!(t.body.contains("反馈已执行") && t.body.contains("反馈未能执行"));
    assert!(!t.body.contains("督办意见"));
    // The market department cannot open the health commission's task (out of its line).
    let r = app
        .api(
            "GET",
            &format!("/api/v1/sanction-tasks/{health_task}"),
            Some(&market),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    // Feedback without evidence: named on the page; then declined with a reason.
    let csrf = csrf_of(&t.body);
    let r = app
        .form(
            &format!("/console/sanctions/tasks/{health_task}/apply"),
            Some(&health_c),
            &format!("_csrf={csrf}&_once=s3&feedback={}", enc("已限制其任职")),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(r.body.contains("请先上传执行材料"), "{}", r.body);
    // The office chases it on its page.
    let ot = app
        .get(
            &format!("/console/sanctions/tasks/{health_task}"),
            Some(&office_c),
        )
        .await;
    assert!(ot.body.contains("督办意见"));
    let r = app
        .form(
            &format!("/console/sanctions/tasks/{health_task}/supervise"),
            Some(&office_c),
            &format!(
                "_csrf={}&_once=s4&reason={}",
                csrf_of(&ot.body),
                enc("请尽快反馈执行情况")
            ),
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let r = app
        .form(
            &format!("/console/sanctions/tasks/{health_task}/decline"),
            Some(&health_c),
            &format!(
                "_csrf={csrf}&_once=s5&reason={}",
                enc("该责任人未在本县医疗机构任职")
            ),
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let t = app
        .get_json(&format!("/api/v1/sanction-tasks/{health_task}"), &health)
        .await;
    assert_eq!(t["task"]["status"], "not_applied");
    let actions: Vec<&str> = t["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions, ["dispatch", "supervise", "decline"]);
    assert_eq!(t["timeline"][1]["reason"], "请尽快反馈执行情况");
    conforms(&doc, "get", "/api/v1/sanction-tasks/{id}", 200, &t);
    let d = app
        .get_json(&format!("/api/v1/sanction-batches/{id}"), &office)
        .await;
    conforms(&doc, "get", "/api/v1/sanction-batches/{id}", 200, &d);
    let q = app
        .get_json("/api/v1/sanction-tasks?queue=all", &office)
        .await;
    assert_eq!(q["total"], 2);
    conforms(&doc, "get", "/api/v1/sanction-tasks", 200, &q);
    let ms = app.get_json("/api/v1/sanction-measures", &office).await;
    conforms(&doc, "get", "/api/v1/sanction-measures", 200, &ms);
    let st = app.get_json("/api/v1/sanction-statistics", &office).await;
    conforms(&doc, "get", "/api/v1/sanction-statistics", 200, &st);
    assert_eq!(st["total"]["total"], 2);
    assert_eq!(st["total"]["not_applied"], 1);
}

async fn an_objection_is_decided_in_the_console(app: App) {
    let office = app.token("wy.office").await;
    let market = app.token("wy.market").await;
    let (entity_id, _) = entity(&app, &market).await;
    let x = app.department(&office, "411121", "县市场监管局").await;
    let on = chrono::NaiveDate::from_ymd_opt(2026, 1, 5).unwrap();
    let entry = {
        use lianjian_domain::credit::*;
        let ent = lianjian_store::entities::get(app.svc.store.conn(), entity_id.parse().unwrap())
            .await
            .unwrap()
            .unwrap();
        let e = lianjian_store::credit::Entry {
            id: uuid::Uuid::now_v7(),
            entity_id: ent.id,
            region_code: ent.region_code.clone(),
            department_id: Some(x.parse().unwrap()),
            kind: RecordKind::Penalty,
            tier: Some(Tier::General),
            occurred_on: on,
            reference: Some("舞市监罚〔2026〕3号".into()),
            title: "销售超过保质期的食品".into(),
            legal_basis: Some("《食品安全法》第一百二十四条".into()),
            detail: RecordDetail::Penalty {
                kinds: vec![PenaltyKind::Fine],
                amount_cents: 100_000,
                strict_field: None,
            },
            source: RecordSource::Manual,
            publication: penalty_publication(Tier::General, None, on),
            status: RecordStatus::Active,
            ended_on: None,
            created_by: "test".into(),
            created_at: chrono::Utc::now(),
            updated_at: chrono::Utc::now(),
        };
        lianjian_store::credit::insert_many(app.svc.store.conn(), &[e.clone()])
            .await
            .unwrap();
        e.id.to_string()
    };
    // A bad kind and a missing statement are named.
    let r = app
        .post(
            "/api/v1/credit-appeals",
            &office,
            json!({"kind": "complaint", "entry_id": entry, "applicant": "钱某", "statement": ""}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.fields(), ["kind", "statement"]);
    let a = app
        .created(
            "/api/v1/credit-appeals",
            &office,
            json!({"kind": "objection", "entry_id": entry, "applicant": "某某公司（委托人：钱某）", "statement": "该处罚决定已被行政复议撤销"}),
        )
        .await;
    let doc = serde_json::to_value(lianjian_http::openapi()).unwrap();
    conforms(&doc, "post", "/api/v1/credit-appeals", 201, &a);
    let id = a["appeal"]["id"].as_str().unwrap().to_string();
    let market_c = app.login("wy.market").await;
    let list = app.get("/console/sanctions/appeals", Some(&market_c)).await;
    assert_eq!(list.status, StatusCode::OK);
    assert!(list.body.contains(a["appeal"]["code"].as_str().unwrap()));
    let page = app
        .get(&format!("/console/sanctions/appeals/{id}"), Some(&market_c))
        .await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(page.body.contains("作出决定") && page.body.contains("舞市监罚〔2026〕3号"));
    let csrf = csrf_of(&page.body);
    let r = app
        .form(
            &format!("/console/sanctions/appeals/{id}/decide"),
            Some(&market_c),
            &format!("_csrf={csrf}&_once=a1&verdict=&reason={}", enc("理由")),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(r.body.contains("请选择予以支持或不予支持"));
    let r = app
        .form(
            &format!("/console/sanctions/appeals/{id}/decide"),
            Some(&market_c),
            &format!(
                "_csrf={csrf}&_once=a2&verdict=grant&reason={}",
                enc("经复核，处罚决定已被撤销")
            ),
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let d = app
        .get_json(&format!("/api/v1/credit-appeals/{id}"), &office)
        .await;
    assert_eq!(d["appeal"]["status"], "granted");
    assert_eq!(d["entry"]["status"], "withdrawn");
    conforms(&doc, "get", "/api/v1/credit-appeals/{id}", 200, &d);
    let l = app
        .get_json("/api/v1/credit-appeals?queue=decided", &office)
        .await;
    assert_eq!(l["total"], 1);
    conforms(&doc, "get", "/api/v1/credit-appeals", 200, &l);
}

async fn the_console_keeps_the_catalogue_and_files_a_batch(app: App) {
    let office = app.token("wy.office").await;
    let market = app.token("wy.market").await;
    let x = app.department(&office, "411121", "县市场监管局").await;
    let (_, usci) = entity(&app, &market).await;
    let office_c = app.login("wy.office").await;
    let page = app
        .get("/console/sanctions/measures", Some(&office_c))
        .await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("新增措施"));
    let csrf = csrf_of(&page.body);
    // A bad duration is named; nothing added.
    let r = app
        .form(
            "/console/sanctions/measures",
            Some(&office_c),
            &format!(
                "_csrf={csrf}&_once=c1&name={}&legal_basis={}&department_id={x}&subject_type=entity&default_months=0&class_d=1",
                enc("列为重点监管对象"),
                enc("《严重违法失信名单管理办法》")
            ),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(r.body.contains("默认期限应为 1–60 个月"), "{}", r.body);
    let r = app
        .form(
            "/console/sanctions/measures",
            Some(&office_c),
            &format!(
                "_csrf={csrf}&_once=c2&name={}&legal_basis={}&department_id={x}&subject_type=entity&default_months=12&class_d=1",
                enc("列为重点监管对象"),
                enc("《严重违法失信名单管理办法》")
            ),
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let ms = app.get_json("/api/v1/sanction-measures", &market).await;
    assert_eq!(ms[0]["class_d"], true, "{ms}");
    let measure = ms[0]["id"].as_str().unwrap().to_string();
    // Departments read the catalogue but have no form to change it.
    let market_c = app.login("wy.market").await;
    let page = app
        .get("/console/sanctions/measures", Some(&market_c))
        .await;
    assert!(page.body.contains("列为重点监管对象") && !page.body.contains("新增措施"));
    // The filing form: a wrong subject line is named; then filed and shown.
    let page = app
        .get("/console/sanctions/batches/new", Some(&market_c))
        .await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("列为重点监管对象"));
    let csrf = csrf_of(&page.body);
    let post = |once: &str, subjects: &str| {
        format!(
            "_csrf={csrf}&_once={once}&reason={}&legal_basis={}&feedback_days=5&measure_ids={measure}&subjects={}",
            enc("被列入严重违法失信名单"),
            enc("《市场监督管理严重违法失信名单管理办法》第十七条"),
            enc(subjects)
        )
    };
    let r = app
        .form(
            "/console/sanctions/batches",
            Some(&market_c),
            &post("c3", &format!("{usci}，赵某某")),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(r.body.contains("惩戒对象第 1 行格式不正确"), "{}", r.body);
    let r = app
        .form(
            "/console/sanctions/batches",
            Some(&market_c),
            &post("c4", &usci),
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let to = r.headers["location"].to_str().unwrap().to_string();
    let page = app.get(&to, Some(&market_c)).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("待审核") && page.body.contains(&usci));
    // Inspectors file nothing.
    let zhang = app.login("wy.zhang").await;
    let r = app
        .get("/console/sanctions/batches/new", Some(&zhang))
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
}
