//! Consultations and circulars (议事会商、情况通报, issue 17 item 3) through the real router, on
//! SQLite and PostgreSQL: a consultation convened by API with a bad body names every field and
//! stores nothing; a good one is seen by its participants and the office, never by a
//! department not taking part (404, and absent from its lists); its minutes turn a decision
//! into two tasks reported through the API; a circular records the reader's receipt, the
//! issuer sees it and reminds the unread; answers conform to the OpenAPI document. The
//! console's task queue (会商任务) exports the list as filtered as xlsx; a bad filter is named.

use crate::api_schemas::conforms;
use crate::common::*;

use axum::http::StatusCode;
use serde_json::json;

on_both_backends!(
    template = DEMO, setup = app;
    a_consultation_and_a_circular_through_the_api_each_seen_only_by_its_parties,
    the_task_queue_exports_what_it_shows,
);

async fn a_consultation_and_a_circular_through_the_api_each_seen_only_by_its_parties(app: App) {
    let office = app.token("wy.office").await;
    let market = app.token("wy.market").await;
    let health = app.token("wy.health").await;
    let zhang = app.token("wy.zhang").await;
    let x = app.department(&office, "411121", "县市场监管局").await;
    let y = app.department(&office, "411121", "县卫生健康委").await;
    let doc = serde_json::to_value(lianjian_http::openapi()).unwrap();

    // Bad body: every field named, nothing stored.
    let r = app
        .post(
            "/api/v1/consultations",
            &market,
            json!({"title": "", "topic": "学校食堂问题", "agenda": "通报与研究", "place": "会议室",
                   "meets_at": "下周一", "participants": []}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert_eq!(r.fields(), vec!["title", "meets_at", "participants"]);
    assert_eq!(
        app.get_json("/api/v1/consultations", &market).await["total"],
        0
    );
    // An inspector convenes nothing.
    let r = app
        .post(
            "/api/v1/consultations",
            &zhang,
            json!({"title": "学校食堂问题会商", "topic": "议题", "agenda": "议程", "place": "会议室",
                   "meets_at": "2026-12-09T09:30", "participants": [{"department_id": x}]}),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);

    // The market bureau convenes with itself alone.
    let c = app
        .created(
            "/api/v1/consultations",
            &market,
            json!({"title": "学校食堂问题会商", "topic": "某中学食堂后厨卫生问题", "agenda": "一、通报；二、研究",
                   "place": "县市场监管局会议室", "meets_at": "2026-12-09T09:30",
                   "participants": [{"department_id": x, "attendees": "食品经营科 张明"}]}),
        )
        .await;
    conforms(&doc, "post", "/api/v1/consultations", 201, &c);
    let id = c["consultation"]["id"].as_str().unwrap().to_string();
    assert_eq!(c["consultation"]["status_label"], "拟定");
    // Not a participant: the health commission neither lists nor reads it.
    let r = app
        .api(
            "GET",
            &format!("/api/v1/consultations/{id}"),
            Some(&health),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.body);
    assert_eq!(
        app.get_json("/api/v1/consultations", &health).await["total"],
        0
    );
    let page = app
        .get_json(&format!("/api/v1/consultations/{id}"), &office)
        .await;
    conforms(&doc, "get", "/api/v1/consultations/{id}", 200, &page);

    let r = app
        .post(
            &format!("/api/v1/consultations/{id}/hold"),
            &market,
            json!({}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    // Minutes naming a bad task field.
    let r = app
        .post(
            &format!("/api/v1/consultations/{id}/minutes"),
            &market,
            json!({"minutes": "会议纪要", "decisions": [{"text": "分工整改", "tasks": [{"department_id": y, "description": "监测", "deadline_days": 500}]}]}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert_eq!(r.fields(), vec!["decisions[0].tasks[0].deadline_days"]);
    let d = app
        .post(
            &format!("/api/v1/consultations/{id}/minutes"),
            &market,
            json!({"minutes": "会议认为需市场监管、卫健分别处置。", "decisions": [{"text": "市场监管局督促整改，卫健委开展监测。",
                   "tasks": [{"department_id": x, "description": "督促食堂整改并复查", "deadline_days": 5},
                             {"department_id": y, "description": "开展食源性疾病监测", "deadline_days": 10}]}]}),
        )
        .await;
    assert_eq!(d.status, StatusCode::OK, "{}", d.body);
    let d = d.json();
    assert_eq!(d["consultation"]["progress"]["total"], 2);
    // The health commission owns a task now: it sees the consultation and its tasks (the
    // progress of all of them), its own by the department filter.
    let all = app
        .get_json("/api/v1/consultation-tasks?queue=running", &health)
        .await;
    conforms(&doc, "get", "/api/v1/consultation-tasks", 200, &all);
    assert_eq!(all["total"], 2, "{all}");
    let tasks = app
        .get_json(
            &format!("/api/v1/consultation-tasks?queue=running&department_id={y}"),
            &health,
        )
        .await;
    assert_eq!(tasks["total"], 1, "{tasks}");
    let ht = tasks["items"][0]["id"].as_str().unwrap().to_string();
    app.get_json(&format!("/api/v1/consultations/{id}"), &health)
        .await;
    let r = app
        .post(
            &format!("/api/v1/consultation-tasks/{ht}/report"),
            &market,
            json!({"report": "越权"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
    let t = app
        .post(
            &format!("/api/v1/consultation-tasks/{ht}/report"),
            &health,
            json!({"report": "已完成监测，未发现聚集性病例。"}),
        )
        .await;
    assert_eq!(t.status, StatusCode::OK, "{}", t.body);
    let t = t.json();
    conforms(
        &doc,
        "post",
        "/api/v1/consultation-tasks/{id}/report",
        200,
        &t,
    );
    assert_eq!(t["task"]["status_label"], "已完成");

    // A circular from the market bureau to the health commission.
    let r = app
        .post(
            "/api/v1/circulars",
            &market,
            json!({"title": "通报", "body": "", "department_ids": ["not-an-id"]}),
        )
        .await;
    // A malformed id is named by the JSON reader (400); a bad value by the service (422).
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.body);
    assert_eq!(r.fields(), vec!["department_ids[0]"]);
    let r = app
        .post(
            "/api/v1/circulars",
            &market,
            json!({"title": "通报", "body": "", "department_ids": [y], "regions": ["411122"]}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert_eq!(r.fields(), vec!["body", "regions[0]"]);
    let circ = app
        .created(
            "/api/v1/circulars",
            &market,
            json!({"title": "关于学校食堂检查情况的通报", "body": "发现问题 5 处，均已责令整改。", "department_ids": [y]}),
        )
        .await;
    conforms(&doc, "post", "/api/v1/circulars", 201, &circ);
    let cid = circ["circular"]["id"].as_str().unwrap().to_string();
    let unread = app
        .get_json("/api/v1/circulars?queue=unread", &health)
        .await;
    assert_eq!(unread["total"], 1, "{unread}");
    let seen = app
        .get_json(&format!("/api/v1/circulars/{cid}"), &health)
        .await;
    conforms(&doc, "get", "/api/v1/circulars/{id}", 200, &seen);
    assert_eq!(
        app.get_json("/api/v1/circulars?queue=unread", &health)
            .await["total"],
        0
    );
    let mine = app
        .get_json(&format!("/api/v1/circulars/{cid}"), &market)
        .await;
    assert_eq!(mine["circular"]["read"], 1);
    assert_eq!(mine["receipts"][0]["read_by"], "县卫生健康委管理员");
    // Everyone has read: nothing to remind.
    let r = app
        .post(
            &format!("/api/v1/circulars/{cid}/remind"),
            &market,
            json!({}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
}

/// The demo's consultation (one task done by the market bureau, one running at the health
/// commission) in the console's task queue, and its xlsx export as filtered.
async fn the_task_queue_exports_what_it_shows(app: App) {
    lianjian_services::consultations::seed_demo(&app.svc)
        .await
        .unwrap();
    let office = app.login("wy.office").await;
    let page = app.get("/console/consultation-tasks", Some(&office)).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    for text in [
        "会商任务",
        "县市场监管局",
        "县卫生健康委",
        "冷链食品温度异常风险会商",
        "导出本队列（Excel）",
    ] {
        assert!(page.body.contains(text), "{text} in {}", page.body);
    }
    let running = app
        .get("/console/consultation-tasks?queue=running", Some(&office))
        .await;
    assert!(running.body.contains("县卫生健康委"));
    assert!(
        running
            .body
            .contains("/console/consultation-tasks/export?queue=running"),
        "the export link keeps the filters: {}",
        running.body
    );

    // Every task, then the running one only: the export follows the list's filters.
    let all = crate::http::export_rows(
        &app,
        "/console/consultation-tasks/export?queue=all",
        &office,
        "会商任务",
    )
    .await;
    assert_eq!(all[0][0], "任务编号");
    assert_eq!(
        all[0].len(),
        lianjian_services::consultations::TASK_EXPORT_HEADERS.len()
    );
    assert_eq!(all.len(), 3, "{all:?}");
    let statuses: Vec<&str> = all[1..].iter().map(|r| r[9].as_str()).collect();
    assert!(
        statuses.contains(&"已完成") && statuses.contains(&"办理中"),
        "{statuses:?}"
    );
    assert!(all[1..].iter().all(|r| r[2] == "冷链食品温度异常风险会商"));
    let running = crate::http::export_rows(
        &app,
        "/console/consultation-tasks/export?queue=running",
        &office,
        "会商任务",
    )
    .await;
    assert_eq!(running.len(), 2, "{running:?}");
    assert_eq!(running[1][4], "县卫生健康委");
    assert_eq!(running[1][9], "办理中");
    let health = app
        .department(&app.token("wy.office").await, "411121", "县卫生健康委")
        .await;
    let mine = crate::http::export_rows(
        &app,
        &format!("/console/consultation-tasks/export?department_id={health}"),
        &office,
        "会商任务",
    )
    .await;
    assert_eq!(mine.len(), 2, "{mine:?}");

    // A bad filter is named, nothing exported.
    for (q, field) in [
        ("queue=someday", "queue"),
        ("department_id=x1", "department_id"),
    ] {
        let (status, _, body) = crate::http::download(
            &app,
            &format!("/console/consultation-tasks/export?{q}"),
            &office,
        )
        .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{q}");
        let body = String::from_utf8_lossy(&body);
        assert!(
            body.contains(field) || body.contains("队列") || body.contains("责任部门"),
            "{q}: {body}"
        );
    }
    // Another province's office sees no task, in the list or the export.
    let other = app.login("sd.office").await;
    let page = app.get("/console/consultation-tasks", Some(&other)).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(!page.body.contains("冷链食品温度异常风险会商"));
    let none = crate::http::export_rows(
        &app,
        "/console/consultation-tasks/export",
        &other,
        "会商任务",
    )
    .await;
    assert_eq!(none.len(), 1, "the header only: {none:?}");
}
