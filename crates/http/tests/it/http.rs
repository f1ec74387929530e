//! HTTP tests through the real router on a real database (SQLite always, PostgreSQL when
//! `LIANJIAN_TEST_POSTGRES_URL` is set), seeded with the demo data.

use crate::common::*;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use lianjian_services::demo;
use serde_json::json;

on_both_backends!(
    template = DEMO, setup = app;
    paging_out_of_range_is_422_never_500,
    sign_in_csrf_frame_headers_and_invisible_names,
    api_without_credentials_is_401_with_error_shape,
    malformed_json_and_missing_fields_name_the_field,
    validation_errors_name_every_field_and_change_nothing,
    scope_is_enforced_in_queries,
    read_only_and_role_limits,
    console_login_csrf_and_home,
    login_is_throttled_after_repeated_failures,
    changes_are_audited_and_chain_verifies,
    health_metrics_portal_and_docs,
    context_switch_narrows_and_never_widens,
    console_excel_upload_and_export,
    console_list_exports,
    console_failures_are_error_pages_at_the_api_status,
    oversize_bodies_and_headers_on_the_wire,
);

async fn console_excel_upload_and_export(app: App) {
    use lianjian_domain::usci::Usci;
    let cookie = app.login("wy.office").await;
    let page = app.get("/console/import", Some(&cookie)).await;
    assert_eq!(page.status, StatusCode::OK);
    let csrf = csrf_of(&page.body);
    let headers = lianjian_services::exchange::entity_headers();
    let h: Vec<&str> = headers.iter().map(String::as_str).collect();
    let body17 = "92411121MA9XK0001";
    let good = format!("{body17}{}", Usci::check_char(body17).unwrap());
    let row = |code: &str, name: &str| {
        let mut r = vec![String::new(); h.len()];
        r[0] = code.to_string();
        r[1] = name.to_string();
        r[5] = "411121".to_string();
        r
    };
    let file = lianjian_services::exchange::xlsx_table(
        "监管对象",
        &h,
        vec![
            row(&good, "舞阳县测试导入商店"),
            row("91411121MA9XK0002O", "坏代码商店"),
        ],
    );
    // All or nothing: the bad row stops the import and is named.
    let (ct, body) = multipart(&csrf, &file, false);
    let req = Request::builder()
        .method("POST")
        .uri("/console/import/entities")
        .header(header::COOKIE, &cookie)
        .header(header::CONTENT_TYPE, ct)
        .body(Body::from(body))
        .unwrap();
    let r = app.send(req).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(
        r.body.contains("未导入任何数据")
            && r.body.contains("统一社会信用代码")
            && r.body.contains("91411121MA9XK0002O"),
        "{}",
        r.body
    );
    assert!(
        !app.get("/console/directory?q=测试导入", Some(&cookie))
            .await
            .body
            .contains("舞阳县测试导入商店")
    );
    // Skipping invalid rows imports the good one and offers the error report.
    let (ct, body) = multipart(&csrf, &file, true);
    let req = Request::builder()
        .method("POST")
        .uri("/console/import/entities")
        .header(header::COOKIE, &cookie)
        .header(header::CONTENT_TYPE, ct)
        .body(Body::from(body))
        .unwrap();
    let r = app.send(req).await;
    assert!(
        r.body.contains("导入完成")
            && r.body.contains("新增 1")
            && r.body.contains("导入错误报告.xlsx"),
        "{}",
        r.body
    );
    assert!(
        app.get("/console/directory?q=测试导入", Some(&cookie))
            .await
            .body
            .contains("舞阳县测试导入商店")
    );
    // The import ran as a job: its page, the import page's list and the API show it.
    let at = r
        .body
        .find("/console/import-jobs/")
        .expect("a link to the job");
    let id: String = r.body[at + "/console/import-jobs/".len()..]
        .chars()
        .take_while(|c| *c != '"')
        .collect();
    let job = app
        .get(&format!("/console/import-jobs/{id}"), Some(&cookie))
        .await;
    assert_eq!(job.status, StatusCode::OK);
    assert!(
        job.body.contains("状态：已完成")
            && job.body.contains("新增 1，")
            && !job.body.contains("http-equiv=\"refresh\""),
        "{}",
        job.body
    );
    assert!(
        app.get("/console/import", Some(&cookie))
            .await
            .body
            .contains(&format!("/console/import-jobs/{id}"))
    );
    let api = app
        .get(&format!("/api/v1/import-jobs/{id}"), Some(&cookie))
        .await;
    assert_eq!(api.status, StatusCode::OK, "{}", api.body);
    let v: serde_json::Value = serde_json::from_str(&api.body).unwrap();
    assert_eq!(
        (
            v["status"].as_str(),
            v["inserted"].as_u64(),
            v["skipped"].as_u64()
        ),
        (Some("completed"), Some(1), Some(1))
    );
    // Another department's administrator does not see it.
    let other = app.login("wy.market").await;
    assert_eq!(
        app.get(&format!("/console/import-jobs/{id}"), Some(&other))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.get(&format!("/api/v1/import-jobs/{id}"), Some(&other))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    // Not an xlsx file: a clear message, nothing imported.
    let (ct, body) = multipart(&csrf, b"name,usci\n", false);
    let req = Request::builder()
        .method("POST")
        .uri("/console/import/entities")
        .header(header::COOKIE, &cookie)
        .header(header::CONTENT_TYPE, ct)
        .body(Body::from(body))
        .unwrap();
    let r = app.send(req).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("xlsx"), "{}", r.body);
    // Exports are real xlsx files (zip containers).
    for path in [
        "/console/directory/export?q=测试导入",
        "/console/items/export",
        "/console/import/template/entities",
    ] {
        let r = app
            .send(
                Request::builder()
                    .uri(path)
                    .header(header::COOKIE, &cookie)
                    .body(Body::empty())
                    .unwrap(),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{path}");
        assert!(
            r.headers[header::CONTENT_TYPE]
                .to_str()
                .unwrap()
                .contains("spreadsheetml"),
            "{path}"
        );
    }
}

async fn context_switch_narrows_and_never_widens(app: App) {
    let cookie = app.login("sd.office").await;
    let home = app.get("/console", Some(&cookie)).await;
    assert!(home.body.contains("山东省（全部部门）"), "full scope shown");
    let csrf = csrf_of(&home.body);
    // Outside the province: refused, nothing changes.
    let r = app
        .form(
            "/console/context",
            Some(&cookie),
            &format!("_csrf={csrf}&region=411121&line="),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let r = app
        .form(
            "/console/context",
            Some(&cookie),
            &format!("_csrf={csrf}&region=999999&line="),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let d = app.get("/console/departments", Some(&cookie)).await;
    assert!(d.body.contains("省市场监管局"));
    // Narrow to 聊城市 and the market line: the provincial departments drop out of view.
    let r = app
        .form(
            "/console/context",
            Some(&cookie),
            &format!("_csrf={csrf}&region=3715&line=market"),
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let home = app.get("/console?ok=context", Some(&cookie)).await;
    assert!(
        home.body.contains("视图：山东省 / 聊城市（市场监管条线）"),
        "{}",
        home.body
    );
    let d = app.get("/console/departments", Some(&cookie)).await;
    assert!(!d.body.contains("省市场监管局"));
    // Back to the full scope.
    let r = app
        .form(
            "/console/context",
            Some(&cookie),
            &format!("_csrf={csrf}&region=&line="),
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert!(
        app.get("/console/departments", Some(&cookie))
            .await
            .body
            .contains("省市场监管局")
    );
    // Roles bound to one department cannot switch.
    let cookie = app.login("wy.market").await;
    let csrf = csrf_of(&app.get("/console", Some(&cookie)).await.body);
    let r = app
        .form(
            "/console/context",
            Some(&cookie),
            &format!("_csrf={csrf}&region=411121&line="),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
}

async fn api_without_credentials_is_401_with_error_shape(app: App) {
    let r = app.api("GET", "/api/v1/users", None, None).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    let j = r.json();
    assert_eq!(j["error"]["code"], "unauthenticated");
    assert!(j["error"]["message"].as_str().unwrap().contains("登录"));
    assert!(j["error"]["message_en"].as_str().is_some());
    let r = app
        .api("GET", "/api/v1/users", Some("lj_not_a_real_token"), None)
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    let r = app.api("GET", "/api/v1/nope", None, None).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert_eq!(r.json()["error"]["code"], "no_such_endpoint");
}

async fn malformed_json_and_missing_fields_name_the_field(app: App) {
    let t = app.token("admin").await;
    let r = app
        .api("POST", "/api/v1/sectors", Some(&t), Some("{\"name\": "))
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(r.json()["error"]["details"][0]["code"], "malformed_json");
    let r = app
        .api(
            "POST",
            "/api/v1/users",
            Some(&t),
            Some("{\"username\": \"abc\"}"),
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(r.json()["error"]["details"][0]["field"], "display_name");
    let r = app
        .api("POST", "/api/v1/sectors", Some(&t), Some("{\"name\": 42}"))
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(r.json()["error"]["details"][0]["field"], "name");
    let r = app
        .api(
            "POST",
            "/api/v1/sectors",
            Some(&t),
            Some("{\"nmae\": \"x\"}"),
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(r.json()["error"]["details"][0]["field"], "nmae");
}

async fn validation_errors_name_every_field_and_change_nothing(app: App) {
    let t = app.token("admin").await;
    let before = app
        .api("GET", "/api/v1/users?per_page=200", Some(&t), None)
        .await
        .json()["total"]
        .as_u64()
        .unwrap();
    let body = json!({"username": "1bad", "display_name": "", "role": "boss", "department_id": "nope", "password": "short"});
    let r = app
        .api("POST", "/api/v1/users", Some(&t), Some(&body.to_string()))
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    let fields: Vec<String> = r.json()["error"]["details"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["field"].as_str().unwrap().to_string())
        .collect();
    for f in [
        "username",
        "display_name",
        "role",
        "department_id",
        "password",
    ] {
        assert!(fields.contains(&f.to_string()), "{f} missing in {fields:?}");
    }
    let after = app
        .api("GET", "/api/v1/users?per_page=200", Some(&t), None)
        .await
        .json()["total"]
        .as_u64()
        .unwrap();
    assert_eq!(before, after);
    // Inspectors need a certificate number; a taken user name is a conflict.
    let depts = app
        .api(
            "GET",
            "/api/v1/departments?region=411121&q=市场监管",
            Some(&t),
            None,
        )
        .await
        .json();
    let market = depts["items"][0]["id"].as_str().unwrap().to_string();
    let body = json!({"username": "new.inspector", "display_name": "赵六", "role": "inspector", "department_id": market, "password": "Strong-Pass-1"});
    let r = app
        .api("POST", "/api/v1/users", Some(&t), Some(&body.to_string()))
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.json()["error"]["details"][0]["field"], "certificate_no");
    let body = json!({"username": "wy.zhang", "display_name": "重名", "role": "leader", "department_id": market, "password": "Strong-Pass-1"});
    let r = app
        .api("POST", "/api/v1/users", Some(&t), Some(&body.to_string()))
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    assert_eq!(r.json()["error"]["details"][0]["field"], "username");
}

async fn scope_is_enforced_in_queries(app: App) {
    let admin = app.token("admin").await;
    let market = app.token("wy.market").await;
    let all = app
        .api("GET", "/api/v1/users?per_page=200", Some(&admin), None)
        .await
        .json();
    let health_user = all["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["username"] == "wy.wang")
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let shandong_user = all["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["username"] == "sd.office")
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();

    let mine = app
        .api("GET", "/api/v1/users?per_page=200", Some(&market), None)
        .await
        .json();
    let names: Vec<&str> = mine["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["username"].as_str().unwrap())
        .collect();
    assert!(
        names.contains(&"wy.zhang") && names.contains(&"wy.office"),
        "{names:?}"
    );
    assert!(
        !names.contains(&"wy.wang") && !names.contains(&"admin"),
        "{names:?}"
    );
    // Outside scope: 404, the same as a record that does not exist.
    let r = app
        .api(
            "GET",
            &format!("/api/v1/users/{health_user}"),
            Some(&market),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let r = app
        .api(
            "GET",
            &format!("/api/v1/users/{}", uuid::Uuid::now_v7()),
            Some(&market),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let r = app
        .api(
            "PUT",
            &format!("/api/v1/users/{health_user}/status"),
            Some(&market),
            Some("{\"status\":\"disabled\"}"),
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    // The county coordination office sees every line of its county, not the province.
    let office = app.token("wy.office").await;
    let r = app
        .api(
            "GET",
            &format!("/api/v1/users/{health_user}"),
            Some(&office),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    let r = app
        .api(
            "GET",
            &format!("/api/v1/users/{shandong_user}"),
            Some(&office),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    // Departments: staff see their region subtree.
    let d = app
        .api(
            "GET",
            "/api/v1/departments?per_page=200",
            Some(&market),
            None,
        )
        .await
        .json();
    assert_eq!(d["total"], 17);
}

async fn read_only_and_role_limits(app: App) {
    let leader = app.token("wy.leader").await;
    let r = app
        .api(
            "POST",
            "/api/v1/sectors",
            Some(&leader),
            Some("{\"name\":\"新领域\"}"),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let inspector = app.token("wy.zhang").await;
    let r = app
        .api("GET", "/api/v1/users", Some(&inspector), None)
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let me = app
        .api("GET", "/api/v1/me", Some(&inspector), None)
        .await
        .json();
    assert_eq!(me["role"], "inspector");
    // A department administrator cannot create a system administrator.
    let market = app.token("wy.market").await;
    let depts = app
        .api(
            "GET",
            "/api/v1/departments?region=411121&q=市场监管",
            Some(&market),
            None,
        )
        .await
        .json();
    let d = depts["items"][0]["id"].as_str().unwrap();
    let body = json!({"username": "sneaky", "display_name": "越权", "role": "system_admin", "department_id": d, "password": "Strong-Pass-1"});
    let r = app
        .api(
            "POST",
            "/api/v1/users",
            Some(&market),
            Some(&body.to_string()),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        r.json()["error"]["details"][0]["code"],
        "role_not_grantable"
    );
}

async fn console_login_csrf_and_home(app: App) {
    let r = app.get("/console", None).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert!(
        r.headers[header::LOCATION]
            .to_str()
            .unwrap()
            .starts_with("/console/login")
    );
    let bad = app
        .login_form("username=admin&password=wrong-Password1")
        .await;
    assert_eq!(bad.status, StatusCode::UNAUTHORIZED);
    assert!(bad.body.contains("用户名或密码错误"));
    assert!(
        bad.body.contains("value=\"admin\""),
        "the typed user name is kept"
    );

    let cookie = app.login("admin").await;
    let home = app.get("/console", Some(&cookie)).await;
    assert_eq!(home.status, StatusCode::OK);
    for area in [
        "监管事项清单",
        "监管对象名录库",
        "双随机联合抽查",
        "问题线索联合处置",
        "联合信用监管",
        "用户管理",
        "审计日志",
    ] {
        assert!(home.body.contains(area), "nav lacks {area}");
    }
    // A form without the session's CSRF token is refused and changes nothing.
    let r = app
        .form(
            "/console/sectors",
            Some(&cookie),
            "_csrf=forged&name=伪造领域",
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let csrf = csrf_of(&home.body);
    let r = app
        .form(
            "/console/sectors",
            Some(&cookie),
            &format!("_csrf={csrf}&name=%E6%96%B0%E9%A2%86%E5%9F%9F"),
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let sectors = app.get("/console/sectors", Some(&cookie)).await;
    assert!(sectors.body.contains("新领域") && !sectors.body.contains("伪造领域"));
    // Bad form input is shown on the page with the value kept.
    let r = app
        .form("/console/users", Some(&cookie), &format!("_csrf={csrf}&username=zz&display_name=%E5%BC%A0&role=inspector&department_id=&password=x"))
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("用户名应为 3–32 个字符") && r.body.contains("value=\"zz\""));
    // Signing out ends the session.
    let r = app
        .form("/console/logout", Some(&cookie), &format!("_csrf={csrf}"))
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(
        app.get("/console", Some(&cookie)).await.status,
        StatusCode::SEE_OTHER
    );
}

async fn login_is_throttled_after_repeated_failures(app: App) {
    for _ in 0..5 {
        let r = app
            .login_form("username=wy.li&password=Wrong-Pass-123")
            .await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    }
    let r = app
        .login_form(&format!("username=wy.li&password={}", demo::DEMO_PASSWORD))
        .await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(r.body.contains("登录失败次数过多"));
    // Other accounts are not affected.
    app.login("wy.zhang").await;
}

async fn changes_are_audited_and_chain_verifies(app: App) {
    let t = app.token("admin").await;
    let r = app
        .api(
            "POST",
            "/api/v1/sectors",
            Some(&t),
            Some("{\"name\":\"网络交易\"}"),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let id = r.json()["id"].as_str().unwrap().to_string();
    let r = app
        .api(
            "PATCH",
            &format!("/api/v1/sectors/{id}"),
            Some(&t),
            Some("{\"name\":\"网络交易监管\"}"),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    let log = app
        .api("GET", "/api/v1/audit?action=sector.update", Some(&t), None)
        .await
        .json();
    let e = &log["items"][0];
    assert_eq!(e["actor_name"], "admin");
    assert!(e["before"].as_str().unwrap().contains("网络交易\""));
    assert!(e["after"].as_str().unwrap().contains("网络交易监管"));
    // Restricted read: viewing a user's record is itself audited.
    let users = app
        .api("GET", "/api/v1/users?q=wy.zhang", Some(&t), None)
        .await
        .json();
    let uid = users["items"][0]["id"].as_str().unwrap();
    app.api("GET", &format!("/api/v1/users/{uid}"), Some(&t), None)
        .await;
    let views = app
        .api("GET", "/api/v1/audit?action=user.view", Some(&t), None)
        .await
        .json();
    assert_eq!(views["items"][0]["object_id"], uid);
    let v = app
        .api("GET", "/api/v1/audit/verify", Some(&t), None)
        .await
        .json();
    assert_eq!(v["intact"], true, "{v}");
    // Department administrators see only their scope's entries, and may not verify.
    let market = app.token("wy.market").await;
    let scoped = app
        .api("GET", "/api/v1/audit?per_page=200", Some(&market), None)
        .await
        .json();
    assert!(scoped["items"].as_array().unwrap().iter().all(|e| {
        e["region_code"]
            .as_str()
            .unwrap_or("")
            .starts_with("411121")
    }));
    assert_eq!(
        app.api("GET", "/api/v1/audit/verify", Some(&market), None)
            .await
            .status,
        StatusCode::FORBIDDEN
    );
}

async fn health_metrics_portal_and_docs(app: App) {
    let r = app.get("/healthz", None).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.json()["database"], "ok");
    let r = app.get("/", None).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.body.contains("跨部门综合监管信息公开") && r.body.contains("预付卡消费"));
    let r = app.get("/api/openapi.json", None).await;
    assert!(r.json()["paths"]["/api/v1/users"].is_object());
    let r = app.get("/api/docs/", None).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.body.contains("swagger"), "docs served from the binary");
    let r = app.get("/metrics", None).await;
    assert!(r.body.contains("lianjian_http_requests_total"));
    let r = app.get("/no/such/page", None).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert!(r.body.contains("页面不存在"));
}

/// No template carries a `style` attribute or a `<style>` element: the pages'
/// Content-Security-Policy (`style-src 'self'`) would drop them, silently unstyling the page.
#[test]
fn templates_have_no_inline_styles() {
    fn walk(dir: &std::path::Path, found: &mut Vec<String>) {
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                walk(&p, found);
            } else {
                // The guide's print page is never served: it is rendered to a file for
                // headless Chromium (guides' PDF), which needs its styles inline.
                if p.ends_with("portal/guide_print.html") {
                    continue;
                }
                let text = std::fs::read_to_string(&p).unwrap();
                for (n, line) in text.lines().enumerate() {
                    if line.contains(" style=") || line.contains("<style") {
                        found.push(format!("{}:{}", p.display(), n + 1));
                    }
                }
            }
        }
    }
    let mut found = Vec::new();
    walk(
        &std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("templates"),
        &mut found,
    );
    assert!(found.is_empty(), "inline styles:\n{}", found.join("\n"));
}

#[test]
fn openapi_snapshot() {
    // The snapshot keeps the file it had when this module was a test binary of its own.
    insta::with_settings!({snapshot_path => "../snapshots", prepend_module_to_snapshot => false}, {
        insta::assert_json_snapshot!("http__openapi_snapshot", lianjian_http::openapi());
    });
}

/// Every operation has its own id, and lists the answers its extractors can give: 401 and 403
/// unless public, 413 with a body, 404 when its path names a record, 400 and 422 with input.
#[test]
fn openapi_operations_list_their_answers() {
    let doc = serde_json::to_value(lianjian_http::openapi()).unwrap();
    let mut ids = std::collections::HashSet::new();
    for (path, ops) in doc["paths"].as_object().unwrap() {
        for (method, op) in ops.as_object().unwrap() {
            let id = op["operationId"].as_str().unwrap_or_default().to_string();
            assert!(
                ids.insert(id.clone()),
                "{method} {path}: operationId {id} repeats"
            );
            let has = |s: &str| op["responses"].get(s).is_some();
            let public = op["security"] == serde_json::json!([{}]);
            assert_eq!(has("401"), !public, "{method} {path}: 401");
            assert_eq!(
                has("413"),
                op.get("requestBody").is_some(),
                "{method} {path}: 413"
            );
            if path.contains('{') {
                assert!(has("404") && has("400") && has("422"), "{method} {path}");
            }
            assert!(!has("500"), "{method} {path}");
        }
    }
}

/// A console download: status, headers and the raw body (exports are binary).
pub(crate) async fn download(
    app: &App,
    path: &str,
    cookie: &str,
) -> (StatusCode, axum::http::HeaderMap, Vec<u8>) {
    use http_body_util::BodyExt;
    use tower::ServiceExt;
    let req = Request::builder()
        .uri(path)
        .header(header::COOKIE, cookie)
        .body(Body::empty())
        .unwrap();
    let r = app.router.clone().oneshot(req).await.unwrap();
    let (status, headers) = (r.status(), r.headers().clone());
    let bytes = r.into_body().collect().await.unwrap().to_bytes().to_vec();
    (status, headers, bytes)
}

/// The rows (header first) of an xlsx export's one sheet, read with calamine.
pub(crate) async fn export_rows(
    app: &App,
    path: &str,
    cookie: &str,
    sheet: &str,
) -> Vec<Vec<String>> {
    let (status, headers, bytes) = download(app, path, cookie).await;
    assert_eq!(
        status,
        StatusCode::OK,
        "{path}: {}",
        String::from_utf8_lossy(&bytes)
    );
    assert!(
        headers[header::CONTENT_TYPE]
            .to_str()
            .unwrap()
            .contains("spreadsheetml"),
        "{path}"
    );
    assert!(
        headers[header::CONTENT_DISPOSITION]
            .to_str()
            .unwrap()
            .starts_with("attachment"),
        "{path}"
    );
    xlsx_rows(&bytes, sheet)
}

fn xlsx_rows(bytes: &[u8], sheet: &str) -> Vec<Vec<String>> {
    use calamine::{Data, Reader, Xlsx};
    let mut wb: Xlsx<_> = Xlsx::new(std::io::Cursor::new(bytes)).expect("calamine reads it");
    assert_eq!(wb.sheet_names(), vec![sheet.to_string()]);
    let range = wb.worksheet_range(sheet).expect("sheet exists");
    range
        .rows()
        .map(|r| {
            r.iter()
                .map(|c| match c {
                    Data::Empty => String::new(),
                    c => c.to_string(),
                })
                .collect()
        })
        .collect()
}

fn is_beijing_time(s: &str) -> bool {
    chrono::NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S").is_ok()
}

async fn console_list_exports(app: App) {
    const WUYANG: &str = "河南省 / 漯河市 / 舞阳县";
    let office = app.login("wy.office").await;
    let admin = app.token("admin").await;

    // Users: the list's filters, all pages, the list's columns; the link carries the filters.
    let page = app
        .get("/console/users?role=inspector", Some(&office))
        .await;
    assert!(
        page.body.contains("/console/users/export?role=inspector"),
        "{}",
        page.body
    );
    let rows = export_rows(
        &app,
        "/console/users/export?role=inspector",
        &office,
        "用户",
    )
    .await;
    assert_eq!(
        rows[0],
        [
            "用户名",
            "姓名",
            "角色",
            "部门",
            "地区",
            "执法证号",
            "状态",
            "最近登录"
        ]
    );
    let names: Vec<&str> = rows[1..].iter().map(|r| r[0].as_str()).collect();
    assert_eq!(names, ["wy.li", "wy.wang", "wy.zhang"]);
    let zhang = &rows[3];
    assert_eq!(
        zhang[..7],
        [
            "wy.zhang",
            "张明",
            "执法检查人员",
            "县市场监管局",
            WUYANG,
            "41112120230001",
            "正常"
        ]
    );
    // Signed in: the last login is filled in, in Beijing time.
    let _ = app.login("wy.li").await;
    let rows = export_rows(&app, "/console/users/export?q=wy.li", &office, "用户").await;
    assert_eq!(rows.len(), 2, "{rows:?}");
    assert!(is_beijing_time(&rows[1][7]), "{:?}", rows[1]);
    // A department administrator exports only their own line.
    let market = app.login("wy.market").await;
    let rows = export_rows(
        &app,
        "/console/users/export?role=inspector",
        &market,
        "用户",
    )
    .await;
    let names: Vec<&str> = rows[1..].iter().map(|r| r[0].as_str()).collect();
    assert_eq!(names, ["wy.li", "wy.zhang"]);
    // Personal data leaving the system is audited, with the filters and the row count.
    let log = app
        .api(
            "GET",
            "/api/v1/audit?action=user.export",
            Some(&admin),
            None,
        )
        .await
        .json();
    let items = log["items"].as_array().unwrap();
    assert_eq!(items.len(), 3, "{log}");
    let last: serde_json::Value =
        serde_json::from_str(items[0]["after"].as_str().unwrap()).unwrap();
    assert_eq!(items[0]["actor_name"], "wy.market");
    assert_eq!(last["role"], "inspector");
    assert_eq!(last["rows"], 2);
    // Without access to the list, no export (and nothing audited).
    let zhang_cookie = app.login("wy.zhang").await;
    let (status, _, _) = download(&app, "/console/users/export", &zhang_cookie).await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    // Departments: the list's filters and order.
    let page = app
        .get("/console/departments?q=市场监管", Some(&office))
        .await;
    assert!(
        page.body.contains("/console/departments/export?q="),
        "{}",
        page.body
    );
    let rows = export_rows(
        &app,
        "/console/departments/export?q=市场监管",
        &office,
        "部门",
    )
    .await;
    assert_eq!(
        rows[0],
        [
            "地区代码",
            "地区",
            "部门名称",
            "条线",
            "状态",
            "内置集",
            "排序"
        ]
    );
    let listed = app
        .api(
            "GET",
            "/api/v1/departments?q=市场监管&per_page=200",
            Some(&app.token("wy.office").await),
            None,
        )
        .await
        .json();
    let expected: Vec<&str> = listed["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["name"].as_str().unwrap())
        .collect();
    let got: Vec<&str> = rows[1..].iter().map(|r| r[2].as_str()).collect();
    assert!(!expected.is_empty());
    assert_eq!(got, expected);
    let county = rows[1..]
        .iter()
        .find(|r| r[2] == "县市场监管局")
        .unwrap_or_else(|| panic!("{rows:?}"));
    assert_eq!(
        county[..5],
        ["411121", WUYANG, "县市场监管局", "market", "在用"]
    );
    assert!(county[5].contains("舞阳县"), "{county:?}");
    assert!(county[6].parse::<i32>().is_ok(), "{county:?}");
    // A filter that does not parse goes back to the list, which names it.
    let (status, headers, _) =
        download(&app, "/console/departments/export?region=12x", &office).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert!(
        headers[header::LOCATION]
            .to_str()
            .unwrap()
            .starts_with("/console/departments?")
    );

    // Audit log: the viewer's filters, Beijing time, recorded as audit.export.
    let page = app
        .get("/console/audit?action=user.export", Some(&office))
        .await;
    assert!(
        page.body
            .contains("/console/audit/export?action=user.export"),
        "{}",
        page.body
    );
    let rows = export_rows(
        &app,
        "/console/audit/export?action=user.export",
        &office,
        "审计日志",
    )
    .await;
    assert_eq!(
        rows[0],
        [
            "序号",
            "时间（北京时间）",
            "操作人",
            "角色",
            "部门",
            "地区",
            "操作",
            "对象类型",
            "对象",
            "IP",
            "条目哈希"
        ]
    );
    assert_eq!(rows.len(), 4, "{rows:?}");
    let e = &rows[1];
    assert!(
        e[0].parse::<i64>().unwrap() > rows[2][0].parse::<i64>().unwrap(),
        "newest first"
    );
    assert!(is_beijing_time(&e[1]), "{e:?}");
    assert_eq!(
        e[2..9],
        [
            "wy.market",
            "部门管理员",
            "县市场监管局",
            WUYANG,
            "user.export",
            "user",
            "2 rows"
        ]
    );
    assert_eq!(e[10].len(), 64, "{e:?}");
    let log = app
        .api(
            "GET",
            "/api/v1/audit?action=audit.export",
            Some(&admin),
            None,
        )
        .await
        .json();
    assert_eq!(log["items"][0]["actor_name"], "wy.office", "{log}");
    let after: serde_json::Value =
        serde_json::from_str(log["items"][0]["after"].as_str().unwrap()).unwrap();
    assert_eq!(after["action"], "user.export");
    assert_eq!(after["rows"], 3);
    assert_eq!(after["capped"], false);
    // Inspectors and leaders do not read the log.
    for who in ["wy.zhang", "wy.leader"] {
        let cookie = app.login(who).await;
        let (status, _, _) = download(&app, "/console/audit/export", &cookie).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{who}");
    }
    // A bad date goes back to the viewer.
    let (status, _, _) = download(&app, "/console/audit/export?from=2026-13-01", &office).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    // Past the cap: the newest entries, and the first row says the rest were left out.
    let bytes = lianjian_services::audit_log::export_at_most(
        &app.svc,
        &lianjian_services::cli_actor(),
        &Default::default(),
        2,
    )
    .await
    .unwrap();
    let rows = xlsx_rows(&bytes, "审计日志");
    assert_eq!(rows.len(), 4, "{rows:?}");
    assert_eq!(rows[1][0], lianjian_services::audit_log::capped_notice(2));
    assert!(rows[2][0].parse::<i64>().unwrap() > rows[3][0].parse::<i64>().unwrap());
    let log = app
        .api(
            "GET",
            "/api/v1/audit?action=audit.export",
            Some(&admin),
            None,
        )
        .await
        .json();
    let after: serde_json::Value =
        serde_json::from_str(log["items"][0]["after"].as_str().unwrap()).unwrap();
    assert_eq!(
        (&after["rows"], &after["capped"]),
        (&json!(2), &json!(true))
    );
}

/// Every list in the OpenAPI document that takes `page` refuses a page past the limit with 422
/// naming it (it once reached SQL as a 64-bit offset and answered 500); console and portal
/// lists show their nearest page instead.
async fn paging_out_of_range_is_422_never_500(app: App) {
    let admin = app.token("admin").await;
    let spec = app.get_json("/api/openapi.json", &admin).await;
    let mut lists = 0;
    for (path, ops) in spec["paths"].as_object().unwrap() {
        let Some(get) = ops.get("get") else { continue };
        let takes_page = get["parameters"]
            .as_array()
            .is_some_and(|ps| ps.iter().any(|p| p["name"] == "page"));
        if !takes_page || path.contains('{') {
            continue;
        }
        lists += 1;
        for (q, field) in [
            ("page=9223372036854775807", "page"),
            ("page=0", "page"),
            ("per_page=100000", "per_page"),
        ] {
            let r = app
                .api("GET", &format!("{path}?{q}"), Some(&admin), None)
                .await;
            assert_eq!(
                r.status,
                StatusCode::UNPROCESSABLE_ENTITY,
                "{path}?{q}: {}",
                r.body
            );
            assert_eq!(r.fields(), vec![field.to_string()], "{path}?{q}");
        }
        let r = app
            .api("GET", &format!("{path}?page=1000000"), Some(&admin), None)
            .await;
        assert_eq!(r.status, StatusCode::OK, "{path}?page=1000000: {}", r.body);
    }
    assert!(lists >= 15, "only {lists} lists take page");
    let cookie = app.login("admin").await;
    for page in [
        "/console/directory",
        "/console/visits",
        "/console/results",
        "/console/draws",
        "/console/audit",
        "/console/users",
        "/console/items",
        "/console/plans",
    ] {
        let r = app
            .get(&format!("{page}?page=9223372036854775807"), Some(&cookie))
            .await;
        assert_eq!(r.status, StatusCode::OK, "{page}");
    }
    for page in ["/results", "/draws", "/plans", "/items"] {
        let r = app
            .get(&format!("{page}?page=9223372036854775807"), None)
            .await;
        assert_eq!(r.status, StatusCode::OK, "{page}");
    }
}

/// Smaller holes: the sign-in form needs its own CSRF token (login CSRF), pages may not be
/// framed and run only the binary's own scripts, and a name made of invisible or direction-
/// control characters is refused.
async fn sign_in_csrf_frame_headers_and_invisible_names(app: App) {
    let body = format!(
        "username=admin&password={}&next=/console",
        demo::DEMO_PASSWORD
    );
    // Posted from elsewhere: no token, or a token without its cookie.
    for (cookie, form) in [
        (None, body.clone()),
        (None, format!("{body}&_csrf={}", "a".repeat(64))),
        (
            Some("lj_login_csrf=bbbb"),
            format!("{body}&_csrf={}", "a".repeat(64)),
        ),
    ] {
        let r = app.form("/console/login", cookie, &form).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{cookie:?}");
        assert!(r.body.contains("登录页面已过期或来源不明"), "{}", r.body);
        let set: Vec<&str> = r
            .headers
            .get_all(header::SET_COOKIE)
            .iter()
            .map(|v| v.to_str().unwrap())
            .collect();
        assert!(
            set.iter().all(|c| !c.starts_with("lianjian_session")),
            "{set:?}"
        );
    }
    assert_eq!(app.login_form(&body).await.status, StatusCode::SEE_OTHER);

    let cookie = app.login("admin").await;
    for (path, cookie) in [
        ("/console", Some(cookie.as_str())),
        ("/", None),
        ("/console/login", None),
    ] {
        let r = app.get(path, cookie).await;
        let csp = r.headers[header::CONTENT_SECURITY_POLICY].to_str().unwrap();
        assert!(
            csp.contains("frame-ancestors 'none'") && csp.contains("script-src 'self'"),
            "{path}: {csp}"
        );
        assert_eq!(r.headers[header::X_FRAME_OPTIONS], "DENY", "{path}");
        assert_eq!(
            r.headers[header::X_CONTENT_TYPE_OPTIONS],
            "nosniff",
            "{path}"
        );
        assert!(
            !r.body.contains("onclick=") && !r.body.contains("javascript:"),
            "{path}"
        );
        // Styles come from the bundled style sheets only: no inline styles to allow.
        assert!(
            csp.contains("style-src 'self';") && !csp.contains("unsafe-inline"),
            "{path}: {csp}"
        );
        assert!(
            !r.body.contains(" style=") && !r.body.contains("<style"),
            "{path}"
        );
    }

    let t = app.token("admin").await;
    for (name, code) in [
        (r"\u200b\u200b", "invisible_only"),
        (r"\u3164", "invisible_only"),
        (r"\u202e网络交易", "direction_control"),
    ] {
        let r = app
            .api(
                "POST",
                "/api/v1/sectors",
                Some(&t),
                Some(&format!("{{\"name\":\"{name}\"}}")),
            )
            .await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{name}: {}",
            r.body
        );
        assert_eq!(r.json()["error"]["details"][0]["code"], code, "{name}");
    }
}

/// Console handlers answer a failure with the error page, inside the signed-in user's
/// navigation, at the status the API gives the same failure; a malformed record id is a missing
/// record; the CSRF check and the one-time `_once` field hold on every form.
async fn console_failures_are_error_pages_at_the_api_status(app: App) {
    let cookie = app.login("admin").await;
    let csrf = csrf_of(&app.get("/console", Some(&cookie)).await.body);
    let nav = "用户管理";

    // A well-formed id that names nothing, and one that does not parse: the same 404 page.
    for path in [
        format!("/console/users/{}", uuid::Uuid::nil()),
        "/console/users/not-an-id".to_string(),
        "/console/rectifications/not-an-id".to_string(),
    ] {
        let r = app.get(&path, Some(&cookie)).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{path}");
        assert!(
            r.body.contains("<h1>未找到</h1>") && r.body.contains(nav),
            "{path}: {}",
            r.body
        );
    }
    // A form posted to a malformed id: 404 (this route answered a bare 400 before).
    let r = app
        .form(
            "/console/sectors/not-an-id",
            Some(&cookie),
            &format!("_csrf={csrf}&name=x"),
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.body);
    assert!(r.body.contains(nav));
    // A forged token is refused before anything else is looked at.
    let r = app
        .form(
            &format!("/console/users/{}/status", uuid::Uuid::nil()),
            Some(&cookie),
            "_csrf=forged&status=disabled",
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert!(r.body.contains("CSRF"), "{}", r.body);
    // A role that may not do something gets 403 on the error page.
    let inspector = app.login("wy.zhang").await;
    let r = app.get("/console/users/new", Some(&inspector)).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert!(r.body.contains("<h1>无权操作</h1>"), "{}", r.body);
    // A validation failure with no form to show it on: 422 on the error page.
    let r = app
        .form(
            &format!("/console/users/{}/tokens", uuid::Uuid::nil()),
            Some(&cookie),
            &format!("_csrf={csrf}&name=t&valid_days=soon"),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        r.body.contains("<h1>输入有误</h1>") && r.body.contains("soon"),
        "{}",
        r.body
    );

    // The same form posted twice with one `_once` is handled once.
    let name = "重复提交只建一次";
    let body = format!("_csrf={csrf}&_once=console-once-1&name={}", enc(name));
    let first = app.form("/console/sectors", Some(&cookie), &body).await;
    assert_eq!(first.status, StatusCode::SEE_OTHER, "{}", first.body);
    let shown = app.get("/console/sectors", Some(&cookie)).await.body;
    assert!(shown.contains(name));
    let again = app.form("/console/sectors", Some(&cookie), &body).await;
    assert_eq!(again.status, StatusCode::SEE_OTHER, "{}", again.body);
    let page = app.get("/console/sectors", Some(&cookie)).await.body;
    assert_eq!(
        page.matches(name).count(),
        shown.matches(name).count(),
        "no second sector"
    );
}

/// Sends `head` (request line and headers, without the blank line) and then `body` in chunks of
/// 64 KiB with `Transfer-Encoding: chunked` (no length announced), reading the answer while it
/// writes: the server may answer and close before the body ends.
async fn raw_exchange(
    addr: std::net::SocketAddr,
    head: String,
    body: Option<Vec<u8>>,
) -> (u16, String) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    let (mut rd, mut wr) = stream.into_split();
    let writer = tokio::spawn(async move {
        let chunked = body.is_some();
        let mut out = head.into_bytes();
        if chunked {
            out.extend_from_slice(b"Transfer-Encoding: chunked\r\n");
        }
        out.extend_from_slice(b"\r\n");
        wr.write_all(&out).await?;
        if let Some(body) = body {
            for c in body.chunks(64 * 1024) {
                wr.write_all(format!("{:x}\r\n", c.len()).as_bytes())
                    .await?;
                wr.write_all(c).await?;
                wr.write_all(b"\r\n").await?;
            }
            wr.write_all(b"0\r\n\r\n").await?;
        }
        Ok::<_, std::io::Error>(wr)
    });
    let mut got = Vec::new();
    let mut buf = vec![0u8; 16 * 1024];
    let answer = tokio::time::timeout(std::time::Duration::from_secs(60), async {
        loop {
            match rd.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => got.extend_from_slice(&buf[..n]),
            }
            let text = String::from_utf8_lossy(&got).into_owned();
            if let Some(end) = text.find("\r\n\r\n") {
                let len = text[..end]
                    .lines()
                    .find_map(|l| {
                        l.to_ascii_lowercase()
                            .strip_prefix("content-length:")
                            .map(|v| v.trim().parse::<usize>().unwrap_or(0))
                    })
                    .unwrap_or(0);
                if got.len() >= end + 4 + len {
                    break;
                }
            }
        }
    })
    .await;
    assert!(answer.is_ok(), "no answer within 60 s");
    writer.abort();
    let text = String::from_utf8_lossy(&got).into_owned();
    let status = text
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no status line in {text:?}"));
    let body = text
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_string())
        .unwrap_or_default();
    (status, body)
}

/// Limits hold on a real connection, where a body may come chunked with no length: an oversize
/// JSON body, an oversize upload and an announced oversize length answer 413 in the error
/// shape; too many or too large headers answer 431; the server keeps serving throughout.
async fn oversize_bodies_and_headers_on_the_wire(app: App) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let router = app.router.clone();
    let server = tokio::spawn(async move {
        axum::serve(
            listener,
            router.into_make_service_with_connect_info::<std::net::SocketAddr>(),
        )
        .await
    });
    let token = app.token("admin").await;
    let auth = format!("Authorization: Bearer {token}\r\n");
    let code = |body: &str| -> String {
        serde_json::from_str::<serde_json::Value>(body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {body}"))["error"]["code"]
            .as_str()
            .unwrap_or_default()
            .to_string()
    };

    // A JSON body over the 2 MiB limit, chunked.
    let mut json = b"{\"name\": \"".to_vec();
    json.resize(3 * 1024 * 1024, b'a');
    json.extend_from_slice(b"\"}");
    let (status, body) = raw_exchange(
        addr,
        format!(
            "POST /api/v1/departments HTTP/1.1\r\nHost: x\r\n{auth}Content-Type: application/json\r\n"
        ),
        Some(json),
    )
    .await;
    assert_eq!(status, 413, "{body}");
    assert_eq!(code(&body), "too_large");

    // An upload past the router-wide limit (32 MiB), chunked: cut off while read.
    let boundary = "lianjianboundary";
    let mut form = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"big.png\"\r\nContent-Type: image/png\r\n\r\n"
    )
    .into_bytes();
    form.extend_from_slice(b"\x89PNG\r\n\x1a\n");
    form.resize(form.len() + 40 * 1024 * 1024, 0);
    form.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    let (status, body) = raw_exchange(
        addr,
        format!(
            "POST /api/v1/evidence HTTP/1.1\r\nHost: x\r\n{auth}Content-Type: multipart/form-data; boundary={boundary}\r\n"
        ),
        Some(form),
    )
    .await;
    assert_eq!(status, 413, "{body}");
    assert!(!code(&body).is_empty(), "{body}");

    // An announced length past the limit is refused before anything is read.
    let (status, body) = raw_exchange(
        addr,
        format!(
            "POST /api/v1/departments HTTP/1.1\r\nHost: x\r\n{auth}Content-Type: application/json\r\nContent-Length: 999999999\r\n"
        ),
        None,
    )
    .await;
    assert_eq!(status, 413, "{body}");
    assert_eq!(code(&body), "too_large");

    // Too many headers, then one too large.
    let many: String = (0..150).map(|i| format!("X-Filler-{i}: {i}\r\n")).collect();
    let (status, _) = raw_exchange(
        addr,
        format!("GET /healthz HTTP/1.1\r\nHost: x\r\n{many}"),
        None,
    )
    .await;
    assert_eq!(status, 431);
    let huge = "a".repeat(1024 * 1024);
    let (status, _) = raw_exchange(
        addr,
        format!("GET /healthz HTTP/1.1\r\nHost: x\r\nX-Huge: {huge}\r\n"),
        None,
    )
    .await;
    assert_eq!(status, 431);

    // Still serving.
    let (status, body) = raw_exchange(
        addr,
        "GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n".to_string(),
        None,
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert!(!server.is_finished());
    server.abort();
}
