//! The inspector pool (执法检查人员库) through the real router (API and console), on SQLite always
//! and on PostgreSQL when `LIANJIAN_TEST_POSTGRES_URL` is set. The demo data provides the Wuyang
//! pool (72 members of 15 departments, three linked accounts, two declared conflicts); members a
//! test creates use certificate numbers starting `TEST-`, which the demo does not use.

use crate::common::*;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use lianjian_domain::inspector::{InspectorKind, InspectorStatus};
use lianjian_domain::region::RegionCode;
use serde_json::{Value, json};
use uuid::Uuid;

impl App {
    async fn send_json(&self, method: &str, path: &str, token: &str, body: &Value) -> Resp {
        self.api(method, path, Some(token), Some(&body.to_string()))
            .await
    }

    /// The member with this certificate number, as the caller sees it.
    async fn member(&self, token: &str, certificate: &str) -> Value {
        let p = self
            .get_json(&format!("/api/v1/inspectors?q={certificate}"), token)
            .await;
        assert_eq!(p["total"], 1, "{certificate}: {p}");
        p["items"][0].clone()
    }

    /// Audit entries about one member, oldest first: (action, before, after).
    async fn trail(&self, id: &str) -> Vec<(String, Value, Value)> {
        lianjian_store::audit::of_object(self.svc.store.conn(), "inspector", id, 100)
            .await
            .unwrap()
            .into_iter()
            .map(|e| {
                let j = |s: Option<String>| {
                    s.map(|s| serde_json::from_str(&s).unwrap())
                        .unwrap_or(Value::Null)
                };
                (e.action, j(e.before), j(e.after))
            })
            .collect()
    }

    async fn audit_count(&self) -> u64 {
        lianjian_store::audit::count(self.svc.store.conn())
            .await
            .unwrap()
    }

    async fn import_inspectors(&self, cookie: &str, csrf: &str, file: &[u8], skip: bool) -> Resp {
        let (ct, body) = multipart(csrf, file, skip);
        let req = Request::builder()
            .method("POST")
            .uri("/console/import/inspectors")
            .header(header::COOKIE, cookie)
            .header(header::CONTENT_TYPE, ct)
            .body(Body::from(body))
            .unwrap();
        self.send(req).await
    }
}

/// A credit code of a demo entity in Wuyang.
async fn demo_entity(app: &App, token: &str, n: usize) -> (String, String) {
    let p = app
        .get_json(
            "/api/v1/entities?region=411121&per_page=20&sort=usci",
            token,
        )
        .await;
    let e = &p["items"][n];
    (
        e["usci"].as_str().unwrap().to_string(),
        e["id"].as_str().unwrap().to_string(),
    )
}

on_both_backends!(
    template = DEMO, setup = app;
    crud_is_audited_and_certificates_are_unique,
    bad_input_names_every_field_and_writes_nothing,
    scope_hides_other_lines_and_regions,
    conflicts_are_declared_and_withdrawn,
    accounts_link_only_inspectors_of_the_department,
    xlsx_round_trip_changes_nothing_and_bad_rows_are_named,
    pool_has_only_active_officers_with_qualifications_and_conflicts,
    console_pages_render_confirm_and_keep_bad_input,
);

async fn crud_is_audited_and_certificates_are_unique(app: App) {
    let t = app.token("wy.market").await;
    let market = app.department(&t, "411121", "市场监管").await;
    let r = app
        .send_json(
            "POST",
            "/api/v1/inspectors",
            &t,
            &json!({
                "name": "测试员甲",
                "certificate_number": "test-000001",
                "department_id": market,
                "qualifications": ["食品安全", "特种设备", "食品安全"],
                "phone": "13800000001"
            }),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let m = r.json();
    let id = m["id"].as_str().unwrap().to_string();
    assert_eq!(m["certificate_number"], "TEST-000001", "stored upper case");
    assert_eq!(
        (m["status"].as_str(), m["kind"].as_str()),
        (Some("active"), Some("officer"))
    );
    assert_eq!(m["region_code"], "411121", "the department's region");
    assert_eq!(m["department_name"], "县市场监管局");
    let mut want = vec!["特种设备", "食品安全"];
    want.sort();
    assert_eq!(m["qualifications"], json!(want));

    // Read back with conflicts; the read itself is audited (personal data).
    let d = app.get_json(&format!("/api/v1/inspectors/{id}"), &t).await;
    assert_eq!(d["inspector"]["name"], "测试员甲");
    assert_eq!(d["conflicts"], json!([]));

    // Update, status, qualifications: each audited with before and after.
    let r = app
        .send_json(
            "PUT",
            &format!("/api/v1/inspectors/{id}"),
            &t,
            &json!({
                "name": "测试员乙",
                "certificate_number": "TEST-000001",
                "department_id": market,
                "region_code": "411121102",
                "qualifications": ["计量"]
            }),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.json()["region_code"], "411121102");
    assert_eq!(r.json()["status"], "active", "blank status is unchanged");
    let r = app
        .send_json(
            "POST",
            &format!("/api/v1/inspectors/{id}/status"),
            &t,
            &json!({"status": "休假"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.json()["status"], "on_leave");
    let r = app
        .api(
            "PUT",
            &format!("/api/v1/inspectors/{id}/qualifications/{}", enc("特种设备")),
            Some(&t),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.json()["qualifications"], json!(["特种设备", "计量"]));
    let r = app
        .api(
            "DELETE",
            &format!("/api/v1/inspectors/{id}/qualifications/{}", enc("计量")),
            Some(&t),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.json()["qualifications"], json!(["特种设备"]));
    let r = app
        .api(
            "DELETE",
            &format!("/api/v1/inspectors/{id}/qualifications/{}", enc("计量")),
            Some(&t),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "not held any more");

    let trail = app.trail(&id).await;
    let actions: Vec<&str> = trail.iter().map(|(a, _, _)| a.as_str()).collect();
    assert_eq!(
        actions,
        [
            "inspector.create",
            "inspector.view",
            "inspector.update",
            "inspector.status",
            "inspector.qualification_add",
            "inspector.qualification_remove",
        ]
    );
    let (_, before, after) = &trail[2];
    assert_eq!(
        (before["name"].as_str(), after["name"].as_str()),
        (Some("测试员甲"), Some("测试员乙"))
    );
    let (_, before, after) = &trail[3];
    assert_eq!(
        (before["status"].as_str(), after["status"].as_str()),
        (Some("active"), Some("on_leave"))
    );
    // Setting the same status again changes nothing and records nothing.
    let n = app.audit_count().await;
    let r = app
        .send_json(
            "POST",
            &format!("/api/v1/inspectors/{id}/status"),
            &t,
            &json!({"status": "on_leave"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(app.audit_count().await, n);

    // A certificate number already in the pool is a conflict naming the number, whatever its case.
    let r = app
        .send_json(
            "POST",
            "/api/v1/inspectors",
            &t,
            &json!({"name": "测试员丙", "certificate_number": " test-000001 ", "department_id": market}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
    assert_eq!(r.fields(), vec!["certificate_number"]);
    assert!(
        r.json()["error"]["details"][0]["message"]
            .as_str()
            .unwrap()
            .contains("TEST-000001")
    );
    // Also when an update takes a number of the demo pool.
    let r = app
        .send_json(
            "PUT",
            &format!("/api/v1/inspectors/{id}"),
            &t,
            &json!({"name": "测试员乙", "certificate_number": "41112120230001", "department_id": market}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
    assert!(r.body.contains("41112120230001"));

    // Leaders read and change nothing.
    let leader = app.token("wy.leader").await;
    app.get_json(&format!("/api/v1/inspectors/{id}"), &leader)
        .await;
    let r = app
        .send_json(
            "POST",
            &format!("/api/v1/inspectors/{id}/status"),
            &leader,
            &json!({"status": "active"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
    let r = app
        .send_json(
            "POST",
            "/api/v1/inspectors",
            &leader,
            &json!({"name": "测试员丁", "certificate_number": "TEST-000002", "department_id": market}),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
}

async fn bad_input_names_every_field_and_writes_nothing(app: App) {
    let t = app.token("wy.office").await;
    let health = app.department(&t, "411121", "卫生健康").await;
    let before = app.audit_count().await;
    let r = app
        .send_json(
            "POST",
            "/api/v1/inspectors",
            &t,
            &json!({
                "name": " 张 ",
                "certificate_number": "证号",
                "department_id": "not-an-id",
                "region_code": "4111",
                "kind": "临时工",
                "status": "出差",
                "phone": "电话",
                "qualifications": ["食品安全，药品"]
            }),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    let mut fields = r.fields();
    fields.sort();
    assert_eq!(
        fields,
        [
            "certificate_number",
            "department_id",
            "kind",
            "name",
            "phone",
            "qualifications",
            "status"
        ],
        "{}",
        r.body
    );
    // The region must lie inside the department's.
    let r = app
        .send_json(
            "POST",
            "/api/v1/inspectors",
            &t,
            &json!({"name": "测试员", "certificate_number": "TEST-100001", "department_id": health, "region_code": "411122"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert_eq!(r.fields(), vec!["region_code"]);
    // A qualification over 20 characters; an unknown field (400, as for every body).
    let r = app
        .send_json(
            "POST",
            "/api/v1/inspectors",
            &t,
            &json!({"name": "测试员", "certificate_number": "TEST-100001", "department_id": health, "qualifications": ["资".repeat(21)]}),
        )
        .await;
    assert_eq!(r.fields(), vec!["qualifications"]);
    let r = app
        .send_json(
            "POST",
            "/api/v1/inspectors",
            &t,
            &json!({"name": "测试员", "certificate_number": "TEST-100001", "department_id": health, "grade": 3}),
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.body);
    assert_eq!(r.fields(), vec!["grade"]);
    // Bad filters are named too.
    let r = app
        .api(
            "GET",
            "/api/v1/inspectors?status=busy&sort=age",
            Some(&t),
            None,
        )
        .await;
    let mut fields = r.fields();
    fields.sort();
    assert_eq!(fields, ["sort", "status"], "{}", r.body);
    assert_eq!(app.audit_count().await, before, "nothing was written");
    let p = app.get_json("/api/v1/inspectors?q=TEST-", &t).await;
    assert_eq!(p["total"], 0);
}

async fn scope_hides_other_lines_and_regions(app: App) {
    let market_admin = app.token("wy.market").await;
    let health_admin = app.token("wy.health").await;
    let office = app.token("wy.office").await;
    let zhang = app.member(&market_admin, "41112120230001").await;
    let zid = zhang["id"].as_str().unwrap();
    // Another line's department administrator: absent, whether reading or writing.
    let r = app
        .api(
            "GET",
            &format!("/api/v1/inspectors/{zid}"),
            Some(&health_admin),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.body);
    let r = app
        .send_json(
            "POST",
            &format!("/api/v1/inspectors/{zid}/status"),
            &health_admin,
            &json!({"status": "left"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.body);
    let r = app
        .send_json(
            "PUT",
            &format!("/api/v1/inspectors/{zid}"),
            &health_admin,
            &json!({"name": "改名", "certificate_number": "41112120230001", "department_id": zhang["department_id"]}),
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.body);
    // Its list shows its own line only; it cannot place a member in another line.
    let p = app
        .get_json("/api/v1/inspectors?per_page=200", &health_admin)
        .await;
    assert_eq!(p["total"], 6, "{p}");
    assert!(
        p["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|i| i["department_name"] == "县卫生健康委")
    );
    let r = app
        .send_json(
            "POST",
            "/api/v1/inspectors",
            &health_admin,
            &json!({"name": "测试员", "certificate_number": "TEST-200001", "department_id": zhang["department_id"]}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert_eq!(r.fields(), vec!["department_id"]);
    // The county office sees every line of its county; the province's office of Shandong none.
    let p = app.get_json("/api/v1/inspectors?per_page=1", &office).await;
    assert_eq!(p["total"], 72, "{p}");
    let sd = app.token("sd.office").await;
    let r = app
        .api("GET", &format!("/api/v1/inspectors/{zid}"), Some(&sd), None)
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert_eq!(app.get_json("/api/v1/inspectors", &sd).await["total"], 0);
    // Filters: status, kind, qualification, region subtree.
    let on_leave = app
        .get_json("/api/v1/inspectors?status=on_leave&per_page=200", &office)
        .await;
    assert_eq!(on_leave["total"], 3, "{on_leave}");
    let experts = app.get_json("/api/v1/inspectors?kind=专家", &office).await;
    assert_eq!(experts["total"], 4, "{experts}");
    let special = app
        .get_json(
            &format!(
                "/api/v1/inspectors?qualification={}&sort=certificate",
                enc("特种设备")
            ),
            &office,
        )
        .await;
    let certs: Vec<&str> = special["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["certificate_number"].as_str().unwrap())
        .collect();
    assert_eq!(
        certs,
        [
            "41112120230001",
            "41112120230004",
            "41112120230007",
            "41112120230902",
            "ZJ-411121-001"
        ]
    );
    let town = app
        .get_json("/api/v1/inspectors?region=411121102", &office)
        .await;
    assert_eq!(town["total"], 1);
    assert_eq!(town["items"][0]["name"], "郑国庆");

    // An inspector sees their own record only, and may declare (not withdraw) a conflict.
    let own = app.token("wy.zhang").await;
    let p = app.get_json("/api/v1/inspectors", &own).await;
    assert_eq!(p["total"], 1, "{p}");
    assert_eq!(p["items"][0]["certificate_number"], "41112120230001");
    assert_eq!(p["items"][0]["username"], "wy.zhang");
    let li = app.member(&market_admin, "41112120230002").await;
    let r = app
        .api(
            "GET",
            &format!("/api/v1/inspectors/{}", li["id"].as_str().unwrap()),
            Some(&own),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let (usci, _) = demo_entity(&app, &office, 3).await;
    let r = app
        .send_json(
            "POST",
            &format!("/api/v1/inspectors/{zid}/conflicts"),
            &own,
            &json!({"entity": usci, "reason": "表弟在该单位任职"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let kid = r.json()["id"].as_str().unwrap().to_string();
    assert_eq!(r.json()["declared_by"], "wy.zhang");
    let r = app
        .api(
            "DELETE",
            &format!("/api/v1/inspectors/{zid}/conflicts/{kid}"),
            Some(&own),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
    let r = app
        .send_json(
            "POST",
            &format!("/api/v1/inspectors/{zid}/status"),
            &own,
            &json!({"status": "on_leave"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
}

async fn conflicts_are_declared_and_withdrawn(app: App) {
    let t = app.token("wy.market").await;
    let market = app.department(&t, "411121", "市场监管").await;
    let m = app
        .send_json(
            "POST",
            "/api/v1/inspectors",
            &t,
            &json!({"name": "测试回避", "certificate_number": "TEST-300001", "department_id": market, "qualifications": ["药品"]}),
        )
        .await
        .json();
    let id = m["id"].as_str().unwrap().to_string();
    let (usci, entity_id) = demo_entity(&app, &t, 0).await;
    let path = format!("/api/v1/inspectors/{id}/conflicts");

    // Both inputs bad: both named; an unknown (well-formed) credit code is named too.
    let r = app
        .send_json("POST", &path, &t, &json!({"entity": "123", "reason": ""}))
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    let mut f = r.fields();
    f.sort();
    assert_eq!(f, ["entity", "reason"]);
    let unknown = {
        // An organisation code no demo entity uses, with both check characters right.
        let body = "73600001";
        let sum: u32 = body
            .chars()
            .zip([3, 7, 9, 10, 5, 8, 4, 2])
            .map(|(c, w)| c.to_digit(36).unwrap() * w)
            .sum();
        let org_check = match 11 - sum % 11 {
            10 => 'X',
            11 => '0',
            d => char::from_digit(d, 10).unwrap(),
        };
        let first17 = format!("91411121{body}{org_check}");
        let check = lianjian_domain::usci::Usci::check_char(&first17).unwrap();
        format!("{first17}{check}")
    };
    let r = app
        .send_json(
            "POST",
            &path,
            &t,
            &json!({"entity": unknown, "reason": "亲属任职"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert_eq!(r.fields(), vec!["entity"]);
    assert!(r.body.contains(&unknown));

    let r = app
        .send_json(
            "POST",
            &path,
            &t,
            &json!({"entity": usci.to_lowercase(), "reason": " 配偶在该企业任职 "}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let k = r.json();
    assert_eq!(
        (k["usci"].as_str(), k["entity_id"].as_str()),
        (Some(usci.as_str()), Some(entity_id.as_str()))
    );
    assert_eq!(k["reason"], "配偶在该企业任职");
    // Twice for the same entity: a conflict.
    let r = app
        .send_json(
            "POST",
            &path,
            &t,
            &json!({"entity": entity_id, "reason": "再次申报"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
    assert_eq!(r.fields(), vec!["entity"]);
    let list = app.get_json(&path, &t).await;
    assert_eq!(list.as_array().unwrap().len(), 1);

    // The draw's loader sees it while it stands.
    let c = app.svc.store.conn();
    let county = RegionCode::parse("411121").unwrap();
    let market_id = Uuid::parse_str(&market).unwrap();
    let pool = lianjian_store::inspectors::pool(c, &county, &[market_id])
        .await
        .unwrap();
    let me = pool.iter().find(|p| p.id.to_string() == id).unwrap();
    assert!(me.has_conflict_with(Uuid::parse_str(&entity_id).unwrap()));
    assert_eq!(me.conflicts[0].usci, usci);

    let kid = k["id"].as_str().unwrap();
    let r = app
        .api("DELETE", &format!("{path}/{kid}"), Some(&t), None)
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.body);
    let r = app
        .api("DELETE", &format!("{path}/{kid}"), Some(&t), None)
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "withdrawn already");
    assert_eq!(app.get_json(&path, &t).await, json!([]));
    let pool = lianjian_store::inspectors::pool(c, &county, &[market_id])
        .await
        .unwrap();
    assert!(
        pool.iter()
            .find(|p| p.id.to_string() == id)
            .unwrap()
            .conflicts
            .is_empty()
    );
    let trail = app.trail(&id).await;
    let declared = trail
        .iter()
        .find(|(a, _, _)| a == "inspector.conflict_declare")
        .unwrap();
    assert_eq!(declared.2["usci"], usci.as_str());
    let withdrawn = trail
        .iter()
        .find(|(a, _, _)| a == "inspector.conflict_withdraw")
        .unwrap();
    assert_eq!(withdrawn.1["reason"], "配偶在该企业任职");
}

async fn accounts_link_only_inspectors_of_the_department(app: App) {
    let t = app.token("wy.office").await;
    let market = app.department(&t, "411121", "市场监管").await;
    // The demo links wy.zhang, wy.li and wy.wang.
    let zhang = app.member(&t, "41112120230001").await;
    assert_eq!(zhang["username"], "wy.zhang");
    let m = app
        .send_json(
            "POST",
            "/api/v1/inspectors",
            &t,
            &json!({"name": "测试关联", "certificate_number": "TEST-400001", "department_id": market}),
        )
        .await
        .json();
    let path = format!("/api/v1/inspectors/{}/user", m["id"].as_str().unwrap());
    for (user, status, code) in [
        (
            "wy.market",
            StatusCode::UNPROCESSABLE_ENTITY,
            "not_inspector",
        ),
        (
            "wy.wang",
            StatusCode::UNPROCESSABLE_ENTITY,
            "other_department",
        ),
        ("nobody", StatusCode::UNPROCESSABLE_ENTITY, "unknown_user"),
        ("wy.li", StatusCode::CONFLICT, "conflict"),
    ] {
        let r = app
            .send_json("PUT", &path, &t, &json!({"user": user}))
            .await;
        assert_eq!(r.status, status, "{user}: {}", r.body);
        assert_eq!(r.fields(), vec!["user"], "{user}");
        if status != StatusCode::CONFLICT {
            assert_eq!(r.json()["error"]["details"][0]["code"], code, "{user}");
        }
    }
    // Unlink wy.li from its demo record, then link it here.
    let li = app.member(&t, "41112120230002").await;
    let r = app
        .api(
            "DELETE",
            &format!("/api/v1/inspectors/{}/user", li["id"].as_str().unwrap()),
            Some(&t),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.json()["username"], Value::Null);
    let r = app
        .send_json("PUT", &path, &t, &json!({"user": "WY.LI"}))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.json()["username"], "wy.li");
    let li_token = app.token("wy.li").await;
    let own = app.get_json("/api/v1/inspectors", &li_token).await;
    assert_eq!(own["items"][0]["certificate_number"], "TEST-400001");
}

async fn xlsx_round_trip_changes_nothing_and_bad_rows_are_named(app: App) {
    let cookie = app.login("wy.office").await;
    let page = app.get("/console/import", Some(&cookie)).await;
    assert!(page.body.contains("执法检查人员库"));
    let csrf = csrf_of(&page.body);

    let (status, template) = app
        .bytes("/console/import/template/inspectors", &cookie)
        .await;
    assert_eq!(status, StatusCode::OK);
    let (rows, errors) = lianjian_services::exchange::read_inspectors(&template).unwrap();
    assert!(rows.is_empty() && errors.is_empty());

    // Export → import: nothing changes.
    let (status, export) = app.bytes("/console/inspectors/export", &cookie).await;
    assert_eq!(status, StatusCode::OK);
    let (rows, errors) = lianjian_services::exchange::read_inspectors(&export).unwrap();
    assert_eq!(rows.len(), 72);
    assert!(errors.is_empty(), "{errors:?}");
    let zhang = rows
        .iter()
        .find(|(_, r)| r.certificate_number == "41112120230001")
        .unwrap();
    assert_eq!(zhang.1.department_id, "县市场监管局", "departments by name");
    let before = app.audit_count().await;
    let r = app.import_inspectors(&cookie, &csrf, &export, false).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(r.body.contains("新增 0，更新 0，未变化 72"), "{}", r.body);
    assert_eq!(app.audit_count().await, before, "nothing written");
    // A filtered export has only what the list shows.
    let (_, experts) = app
        .bytes("/console/inspectors/export?kind=expert", &cookie)
        .await;
    let (rows, _) = lianjian_services::exchange::read_inspectors(&experts).unwrap();
    assert_eq!(rows.len(), 4);

    // A file with a good row, a bad one and a repeated certificate number.
    let headers = lianjian_services::exchange::inspector_headers();
    let h: Vec<&str> = headers.iter().map(String::as_str).collect();
    let row = |cert: &str, name: &str, dept: &str, quals: &str| {
        let mut r = vec![String::new(); h.len()];
        r[0] = cert.into();
        r[1] = name.into();
        r[2] = dept.into();
        r[6] = quals.into();
        r
    };
    let file = lianjian_services::exchange::xlsx_table(
        "检查人员",
        &h,
        vec![
            row(
                "TEST-500001",
                "导入甲",
                "县市场监管局",
                "食品安全，特种设备",
            ),
            row("X1", "导入乙", "县不存在局", ""),
            row("test-500001", "导入丙", "县消防救援局", "消防"),
        ],
    );
    let r = app.import_inspectors(&cookie, &csrf, &file, false).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    for needle in [
        "未导入任何数据",
        "执法证号（A列）",
        "X1",
        "所属部门（C列）",
        "县不存在局",
        "与第 2 行重复",
    ] {
        assert!(r.body.contains(needle), "{needle}: {}", r.body);
    }
    let t = app.token("wy.office").await;
    assert_eq!(
        app.get_json("/api/v1/inspectors?q=TEST-5", &t).await["total"],
        0
    );
    // Skipping invalid rows imports the good one and offers the error report.
    let r = app.import_inspectors(&cookie, &csrf, &file, true).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(r.body.contains("新增 1，更新 0，未变化 0"), "{}", r.body);
    assert!(r.body.contains("下载错误报告"));
    let m = app.member(&t, "TEST-500001").await;
    assert_eq!(m["qualifications"], json!(["特种设备", "食品安全"]));
    assert_eq!(m["department_name"], "县市场监管局");
    // Through the service: the error rows name sheet, row, column and value.
    let o = lianjian_services::exchange::import_inspectors(
        &app.svc,
        &lianjian_services::cli_actor(),
        &file,
        false,
        &|_| {},
    )
    .await
    .unwrap();
    let bad = o.errors.iter().find(|e| e.value == "X1").unwrap();
    assert_eq!(
        (
            bad.sheet.as_str(),
            bad.row,
            bad.column.as_str(),
            bad.column_letter.as_str()
        ),
        ("检查人员", 3, "执法证号", "A")
    );
    assert_eq!(bad.code, "certificate_format");
}

async fn pool_has_only_active_officers_with_qualifications_and_conflicts(app: App) {
    let t = app.token("wy.office").await;
    let c = app.svc.store.conn();
    let county = RegionCode::parse("411121").unwrap();
    let market = Uuid::parse_str(&app.department(&t, "411121", "市场监管").await).unwrap();
    let fire = Uuid::parse_str(&app.department(&t, "411121", "消防").await).unwrap();
    let pool = lianjian_store::inspectors::pool(c, &county, &[market])
        .await
        .unwrap();
    let certs: Vec<&str> = pool.iter().map(|m| m.certificate_number.as_str()).collect();
    // 8 market officers minus 吴晓红 (on leave); no experts.
    assert_eq!(
        certs,
        [
            "41112120230001",
            "41112120230002",
            "41112120230003",
            "41112120230004",
            "41112120230005",
            "41112120230007",
            "41112120230008"
        ]
    );
    assert!(
        pool.iter()
            .all(|m| m.kind == InspectorKind::Officer && m.department_id == market)
    );
    let zhang = &pool[0];
    let mut want = vec!["特种设备".to_string(), "食品安全".to_string()];
    want.sort();
    assert_eq!(zhang.qualifications, want);
    assert!(zhang.holds("特种设备") && zhang.user_id.is_some());
    let zhao = &pool[2];
    assert_eq!(zhao.name, "赵志刚");
    assert_eq!(zhao.conflicts.len(), 1, "declared by the demo");
    let e = lianjian_store::entities::get(c, zhao.conflicts[0].entity_id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(e.usci, zhao.conflicts[0].usci);

    // Several departments; every department when none is named; a region subtree.
    let two = lianjian_store::inspectors::pool(c, &county, &[market, fire, market])
        .await
        .unwrap();
    assert_eq!(two.len(), 7 + 5);
    let all = lianjian_store::inspectors::pool(c, &county, &[])
        .await
        .unwrap();
    // 72 members: 4 experts, 3 on leave, 1 left.
    assert_eq!(all.len(), 72 - 4 - 3 - 1);
    let town = RegionCode::parse("411121102").unwrap();
    let p = lianjian_store::inspectors::pool(c, &town, &[])
        .await
        .unwrap();
    assert_eq!(p.len(), 1);
    assert_eq!(p[0].name, "郑国庆");
    let shandong = RegionCode::parse("37").unwrap();
    assert!(
        lianjian_store::inspectors::pool(c, &shandong, &[])
            .await
            .unwrap()
            .is_empty()
    );
    // Experts come from their own loader.
    let experts = lianjian_store::inspectors::expert_pool(c, &county, &[market])
        .await
        .unwrap();
    let names: Vec<&str> = experts.iter().map(|m| m.name.as_str()).collect();
    assert_eq!(names, ["许卫东", "蒋文静"]);

    // Leaving the pool (离岗) takes a member out; coming back puts them in.
    let li = app.member(&t, "41112120230002").await;
    let path = format!("/api/v1/inspectors/{}/status", li["id"].as_str().unwrap());
    app.send_json("POST", &path, &t, &json!({"status": "left"}))
        .await;
    let pool = lianjian_store::inspectors::pool(c, &county, &[market])
        .await
        .unwrap();
    assert!(
        !pool
            .iter()
            .any(|m| m.certificate_number == "41112120230002")
    );
    app.send_json("POST", &path, &t, &json!({"status": "在岗"}))
        .await;
    let svc_pool = lianjian_services::inspectors::pool(&app.svc, &county, &[market])
        .await
        .unwrap();
    assert!(
        svc_pool
            .iter()
            .any(|m| m.certificate_number == "41112120230002")
    );
    assert!(svc_pool.iter().all(|m| m.kind == InspectorKind::Officer));
    // The service's reading of the same list as the API: every member active.
    let listed = app
        .get_json(
            "/api/v1/inspectors?status=active&kind=officer&per_page=200",
            &t,
        )
        .await;
    assert_eq!(listed["total"], all.len() as u64);
    assert_eq!(
        InspectorStatus::parse("在岗").unwrap(),
        InspectorStatus::Active
    );
}

async fn console_pages_render_confirm_and_keep_bad_input(app: App) {
    let cookie = app.login("wy.market").await;
    let t = app.token("wy.market").await;
    let zhao = app.member(&t, "41112120230003").await;
    let zid = zhao["id"].as_str().unwrap().to_string();
    let home = app.get("/console", Some(&cookie)).await;
    assert!(
        home.body.contains("href=\"/console/inspectors\"") && home.body.contains("检查人员库"),
        "nav entry"
    );
    for p in [
        "/console/inspectors".to_string(),
        "/console/inspectors?status=on_leave&sort=name".to_string(),
        format!("/console/inspectors?qualification={}", enc("特种设备")),
        "/console/inspectors/new".to_string(),
        format!("/console/inspectors/{zid}"),
        format!("/console/inspectors/{zid}/edit"),
    ] {
        let r = app.get(&p, Some(&cookie)).await;
        assert_eq!(
            r.status,
            StatusCode::OK,
            "{p}: {}",
            &r.body[..r.body.len().min(2000)]
        );
        assert!(r.body.contains("<main>"), "{p}");
    }
    // A bad filter is shown on the page; an empty result explains itself.
    let r = app
        .get("/console/inspectors?status=busy", Some(&cookie))
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("不是有效的取值"));
    let r = app
        .get("/console/inspectors?q=没有这个人", Some(&cookie))
        .await;
    assert!(r.body.contains("没有符合条件的人员"));

    // The member's page: conflicts listed with a confirmed withdrawal, 离岗 confirmed.
    let d = app
        .get(&format!("/console/inspectors/{zid}"), Some(&cookie))
        .await;
    assert!(
        d.body.contains("配偶在该企业担任质量负责人"),
        "demo conflict"
    );
    assert!(d.body.contains("data-confirm=\"确定撤回 赵志刚"));
    assert!(d.body.contains("data-confirm=\"确定将 赵志刚 标记为离岗"));
    let csrf = csrf_of(&d.body);

    // The form keeps bad input and says what is wrong, in Chinese.
    let market = app.department(&t, "411121", "市场监管").await;
    let r = app
        .form(
            "/console/inspectors",
            Some(&cookie),
            &format!(
                "_csrf={csrf}&name=&certificate_number=41112120230001&department_id={market}&kind=officer&status=active&qualifications={}&phone=",
                enc("很长很长很长很长很长很长很长很长很长很长很长的资格")
            ),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(r.body.contains("姓名不能为空"), "{}", r.body);
    assert!(r.body.contains("资格最多 20 个字符"), "{}", r.body);
    // Without the CSRF token nothing happens.
    let r = app
        .form(
            "/console/inspectors",
            Some(&cookie),
            &format!("name=x&certificate_number=TEST-600001&department_id={market}"),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    // A good one is created; the duplicate certificate is explained on the form.
    let good = format!(
        "_csrf={csrf}&name={}&certificate_number=TEST-600001&department_id={market}&kind=officer&status=active&qualifications={}&phone=",
        enc("控制台新增"),
        enc("计量、特种设备")
    );
    let r = app.form("/console/inspectors", Some(&cookie), &good).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let r = app.form("/console/inspectors", Some(&cookie), &good).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("执法证号“TEST-600001”已登记"), "{}", r.body);

    // Detail-page forms: a qualification, a conflict with a bad credit code, 离岗.
    let nid = app.member(&t, "TEST-600001").await["id"]
        .as_str()
        .unwrap()
        .to_string();
    let r = app
        .form(
            &format!("/console/inspectors/{nid}/qualifications"),
            Some(&cookie),
            &format!("_csrf={csrf}&qualification={}", enc("计量")),
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let r = app
        .form(
            &format!("/console/inspectors/{nid}/conflicts"),
            Some(&cookie),
            &format!("_csrf={csrf}&entity=12345&reason="),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("回避事由不能为空") && r.body.contains("12345"));
    let r = app
        .form(
            &format!("/console/inspectors/{nid}/status"),
            Some(&cookie),
            &format!("_csrf={csrf}&status=left"),
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(app.member(&t, "TEST-600001").await["status"], "left");
    // Another line's administrator finds nothing there.
    let health = app.login("wy.health").await;
    let r = app
        .get(&format!("/console/inspectors/{zid}"), Some(&health))
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
}
