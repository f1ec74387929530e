//! The result and follow-up pages through the real router, on SQLite always and on PostgreSQL
//! when `LIANJIAN_TEST_POSTGRES_URL` is set: the portal's 检查结果公示, the console's 检查结果
//! with deadlines and export, 责令整改 with its printable notice and re-check, 抄告 inbox and
//! feedback, 案件移送 feedback, and scope (404 outside it). The demo provides a published
//! pharmacy visit (inspectors 张明 and 李华) with a rectification order under way.

use crate::common::*;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use serde_json::{Value, json};

on_both_backends!(
    template = DEMO, setup = app;
    portal_results_public_and_searchable,
    console_results_deadlines_and_export,
    rectification_print_and_recheck,
    referral_inbox_and_answer,
    transfer_feedback_and_scope,
    repeated_posts_create_one_referral,
    portal_one_row_per_joint_visit_and_literal_search,
    portal_publishes_only_its_jurisdiction,
    printed_referral_and_transfer_and_office_documents,
);

impl App {
    /// The demo's published pharmacy result, as the public API shows it.
    async fn pharmacy(&self) -> Value {
        let r = self.api("GET", "/api/v1/public/results", None, None).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        let p = r.json();
        assert_eq!(p["total"], 1, "the demo publishes one result: {p}");
        p["items"][0].clone()
    }

    /// The demo's open rectification order (id, code).
    async fn demo_order(&self, token: &str) -> (String, String) {
        let l = self.get_json("/api/v1/rectifications", token).await;
        assert_eq!(l["total"], 1, "{l}");
        let o = &l["items"][0];
        (
            o["id"].as_str().unwrap().to_string(),
            o["code"].as_str().unwrap().to_string(),
        )
    }
}

async fn portal_results_public_and_searchable(app: App) {
    let ph = app.pharmacy().await;
    let name = ph["entity_name"].as_str().unwrap();
    let usci = ph["usci"].as_str().unwrap();

    // The home tile leads to the page.
    let home = app.get("/", None).await;
    assert!(home.body.contains("href=\"/results\""), "{}", home.body);

    let r = app.get("/results", None).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    for want in [
        name,
        usci,
        "零售药店监督检查",
        "发现问题已责令改正",
        "非随机检查",
        "检查结果公示",
    ] {
        assert!(r.body.contains(want), "{want} on the portal page");
    }
    // No inspectors, no notes.
    for never in [
        "张明",
        "李华",
        "发现处方药未凭处方销售记录",
        "已当场责令改正",
    ] {
        assert!(!r.body.contains(never), "{never} must not be published");
    }

    // Search by a fragment of the credit code, by name, by date.
    let r = app
        .get(&format!("/results?entity={}", &usci[..12]), None)
        .await;
    assert!(r.body.contains(name), "search by credit-code prefix");
    let r = app
        .get(&format!("/results?entity={}", enc(name)), None)
        .await;
    assert!(
        r.body.contains(usci) && r.body.contains("共 1 条"),
        "search by name"
    );
    let r = app
        .get("/results?from=2001-01-01&to=2001-12-31", None)
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(
        !r.body.contains(name) && r.body.contains("没有找到符合条件的检查结果"),
        "a period without visits"
    );

    // A search that matches nothing says so and offers the whole list.
    let r = app
        .get(
            &format!("/results?entity={}", enc("不存在的主体甲乙丙")),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(
        r.body.contains("没有找到符合条件的检查结果") && r.body.contains("查看全部公示结果"),
        "{}",
        r.body
    );
    assert!(!r.body.contains(usci));

    // A bad date is named on the form, not a server error.
    let r = app.get("/results?from=2026-13-01", None).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        r.body.contains("2026-13-01") && r.body.contains("class=\"invalid-feedback\""),
        "{}",
        r.body
    );

    // The staff-only late filter is ignored here.
    let r = app.get("/results?late=1", None).await;
    assert!(r.body.contains(name), "late is not a public filter");
}

async fn console_results_deadlines_and_export(app: App) {
    let ph = app.pharmacy().await;
    let name = ph["entity_name"].as_str().unwrap();
    let cookie = app.login("wy.market").await;

    let r = app.get("/console/results", Some(&cookie)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(
        r.body.contains("公示期限") && r.body.contains(name),
        "{}",
        r.body
    );
    // The row leads to the visit's page and shows its deadline (20 working days after completion).
    let api = app
        .get_json("/api/v1/results", &app.token("wy.market").await)
        .await;
    let row = &api["items"][0];
    assert!(r.body.contains(&format!(
        "/console/visits/{}",
        row["visit_id"].as_str().unwrap()
    )));
    assert!(
        r.body.contains(row["publish_deadline"].as_str().unwrap()),
        "deadline shown"
    );
    // Navigation: the area is live, with its follow-up pages.
    for href in [
        "/console/results\"",
        "/console/visits\"",
        "/console/rectifications\"",
        "/console/referrals\"",
        "/console/transfers\"",
    ] {
        assert!(r.body.contains(href), "nav {href}");
    }

    // Published on time: not in the late list, which then shows its empty state.
    let r = app.get("/console/results?late=1", Some(&cookie)).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(
        !r.body.contains(name) && r.body.contains("没有逾期未公示的检查结果"),
        "{}",
        r.body
    );
    let r = app
        .get(
            &format!("/console/results?entity={}", enc("不存在的主体甲乙丙")),
            Some(&cookie),
        )
        .await;
    assert!(r.body.contains("没有符合条件的检查结果"));
    let r = app.get("/console/results?region=abc", Some(&cookie)).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);

    // The export answers an xlsx of the filtered list.
    let r = app.get("/console/results/export", Some(&cookie)).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(
        r.headers[header::CONTENT_TYPE]
            .to_str()
            .unwrap()
            .contains("spreadsheetml")
    );
    assert!(
        r.headers[header::CONTENT_DISPOSITION]
            .to_str()
            .unwrap()
            .contains("attachment")
    );

    // Inspectors have no result list; the home page counts the pending work as links.
    let zhang = app.login("wy.zhang").await;
    let r = app.get("/console/results", Some(&zhang)).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let home = app.get("/console", Some(&cookie)).await;
    assert!(
        home.body.contains("href=\"/console/results?late=1\"")
            && home.body.contains("检查结果待审核"),
        "{}",
        home.body
    );
    assert!(
        !home
            .body
            .contains("data-area=\"results\"><h3>检查结果公示 <span class=\"tag\">建设中"),
        "results are live"
    );

    // Outside the scope (Shandong), the Wuyang results are not listed.
    let sd = app.login("sd.office").await;
    let r = app.get("/console/results", Some(&sd)).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(!r.body.contains(name));
}

async fn rectification_print_and_recheck(app: App) {
    let ph = app.pharmacy().await;
    let name = ph["entity_name"].as_str().unwrap();
    let usci = ph["usci"].as_str().unwrap();
    let market = app.token("wy.market").await;
    let (oid, code) = app.demo_order(&market).await;
    let cookie = app.login("wy.market").await;

    let r = app.get("/console/rectifications", Some(&cookie)).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(
        r.body.contains(&code) && r.body.contains(name) && r.body.contains("整改中"),
        "{}",
        r.body
    );
    let r = app
        .get("/console/rectifications?overdue=1", Some(&cookie))
        .await;
    assert!(
        !r.body.contains(&code) && r.body.contains("没有逾期未办结的整改"),
        "the demo's order is not overdue"
    );

    // The printable notice: number, entity, credit code, findings, requirements, deadline, signatures.
    let r = app
        .get(
            &format!("/console/rectifications/{oid}/print"),
            Some(&cookie),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    for want in [
        "责令整改通知书",
        code.as_str(),
        name,
        usci,
        "发现处方药未凭处方销售记录",
        "建立处方药销售登记制度",
        "10 个工作日",
        // The authority in full, and the remedies with their bodies and time limits.
        "舞阳县市场监督管理局<br>责令整改通知书",
        "舞阳县市场监督管理局（印章）",
        "六十日内向舞阳县人民政府申请行政复议",
        "六个月内向舞阳县人民法院提起行政诉讼",
        "签收人",
        "data-print",
    ] {
        assert!(r.body.contains(want), "{want} on the notice");
    }
    assert!(!r.body.contains("县市场监管局<br>"), "not the working name");

    // The visit's 检查通知书 names the lead authority in full, each item's legal basis and
    // the remedies.
    let vid = app.published_visit(&market).await;
    let n = app
        .get(&format!("/console/visits/{vid}/notice"), Some(&cookie))
        .await;
    assert_eq!(n.status, StatusCode::OK, "{}", n.body);
    for want in [
        "检 查 通 知 书",
        "舞阳县市场监督管理局（盖章）",
        "检查依据",
        "六十日内向舞阳县人民政府申请行政复议",
        "href=\"/assets/sheet.css\"",
    ] {
        assert!(n.body.contains(want), "{want} on the inspection notice");
    }
    // Its style sheet (no inline styles under the pages' CSP) sets the A4 page.
    let sheet = app.get("/assets/sheet.css", None).await;
    assert!(sheet.body.contains("@page{size:A4"), "{}", sheet.body);

    // Out of scope: the health department and Shandong do not see the order.
    for who in ["wy.health", "sd.office"] {
        let other = app.login(who).await;
        for path in [
            format!("/console/rectifications/{oid}"),
            format!("/console/rectifications/{oid}/print"),
        ] {
            let r = app.get(&path, Some(&other)).await;
            assert_eq!(r.status, StatusCode::NOT_FOUND, "{who} {path}");
        }
    }
    let r = app
        .get("/console/rectifications/not-an-id", Some(&cookie))
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);

    // The detail page carries both forms; the re-check asks first.
    let page = app
        .get(&format!("/console/rectifications/{oid}"), Some(&cookie))
        .await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.body.contains("记录整改报告") && page.body.contains("data-confirm=\"复查结论"),
        "{}",
        page.body
    );
    let csrf = csrf_of(&page.body);

    // Without the CSRF token nothing happens.
    let r = app
        .form(
            &format!("/console/rectifications/{oid}/recheck"),
            Some(&cookie),
            "_csrf=bad&verdict=passed&note=x",
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    // A missing verdict is named on the form, the note kept.
    let r = app
        .form(
            &format!("/console/rectifications/{oid}/recheck"),
            Some(&cookie),
            &format!("_csrf={csrf}&note={}", enc("复查合格")),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(
        r.body.contains("请选择复查结论") && r.body.contains("复查合格</textarea>"),
        "{}",
        r.body
    );

    // The report, then the re-check that closes the order.
    let r = app
        .form(
            &format!("/console/rectifications/{oid}/report"),
            Some(&cookie),
            &format!("_csrf={csrf}&report={}", enc("已建立处方药销售登记制度")),
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let r = app
        .form(
            &format!("/console/rectifications/{oid}/recheck"),
            Some(&cookie),
            &format!(
                "_csrf={csrf}&verdict=passed&note={}",
                enc("复查合格，已凭处方销售")
            ),
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert_eq!(
        r.headers[header::LOCATION],
        format!("/console/rectifications/{oid}?ok=passed")
    );
    let o = app.get_json("/api/v1/rectifications", &market).await;
    assert_eq!(o["items"][0]["status"], "passed", "{o}");
    assert_eq!(o["items"][0]["report"], "已建立处方药销售登记制度");

    let page = app
        .get(
            &format!("/console/rectifications/{oid}?ok=passed"),
            Some(&cookie),
        )
        .await;
    assert!(
        page.body.contains("复查合格，整改已办结") && page.body.contains("复查合格，已凭处方销售")
    );
    assert!(!page.body.contains("保存复查结论"), "no form once closed");
    // A second re-check is a conflict shown on the page.
    let r = app
        .form(
            &format!("/console/rectifications/{oid}/recheck"),
            Some(&cookie),
            &format!("_csrf={csrf}&verdict=failed&note={}", enc("再次复查")),
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
    assert!(r.body.contains("已复查办结"));
}

async fn referral_inbox_and_answer(app: App) {
    let market = app.token("wy.market").await;
    let vid = app.published_visit(&market).await;
    let r = app
        .refer_to_health(&market, &vid, "发现坐堂医生执业资格存疑，请核查")
        .await;
    let rid = r["id"].as_str().unwrap().to_string();
    let rcode = r["code"].as_str().unwrap().to_string();

    // The health department's inbox (收到的, the default tab) shows it.
    let health = app.login("wy.health").await;
    let r = app.get("/console/referrals", Some(&health)).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(
        r.body.contains(&rcode) && r.body.contains("待反馈") && r.body.contains("县市场监管局"),
        "{}",
        r.body
    );
    let r = app
        .get("/console/referrals?direction=outgoing", Some(&health))
        .await;
    assert!(
        !r.body.contains(&rcode) && r.body.contains("还没有发出抄告"),
        "{}",
        r.body
    );
    // The sender sees it among those sent, without an answer form.
    let mk = app.login("wy.market").await;
    let r = app
        .get("/console/referrals?direction=outgoing", Some(&mk))
        .await;
    assert!(r.body.contains(&rcode), "{}", r.body);
    let r = app
        .get(&format!("/console/referrals/{rid}"), Some(&mk))
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(
        !r.body.contains("提交反馈") && r.body.contains("等待接收部门"),
        "{}",
        r.body
    );
    assert!(
        r.body.contains(&format!("/console/visits/{vid}")),
        "the sender sees the visit link"
    );

    // The receiving side answers.
    let page = app
        .get(&format!("/console/referrals/{rid}"), Some(&health))
        .await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.body.contains("发现坐堂医生执业资格存疑")
            && page.body.contains("提交反馈")
            && page.body.contains("data-confirm"),
        "{}",
        page.body
    );
    let csrf = csrf_of(&page.body);
    let r = app
        .form(
            &format!("/console/referrals/{rid}/answer"),
            Some(&health),
            &format!("_csrf={csrf}&feedback="),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    let r = app
        .form(
            &format!("/console/referrals/{rid}/answer"),
            Some(&health),
            &format!("_csrf={csrf}&feedback={}", enc("已核查，执业资格有效")),
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let page = app
        .get(
            &format!("/console/referrals/{rid}?ok=answered"),
            Some(&health),
        )
        .await;
    assert!(
        page.body.contains("已核查，执业资格有效") && page.body.contains("已反馈"),
        "{}",
        page.body
    );
    assert!(!page.body.contains("提交反馈"));
    let inbox = app
        .get_json(
            "/api/v1/referrals?direction=incoming",
            &app.token("wy.health").await,
        )
        .await;
    assert_eq!(inbox["items"][0]["status"], "answered", "{inbox}");

    // Outside the scope: 404.
    let sd = app.login("sd.office").await;
    let r = app
        .get(&format!("/console/referrals/{rid}"), Some(&sd))
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
}

async fn transfer_feedback_and_scope(app: App) {
    let market = app.token("wy.market").await;
    let vid = app.published_visit(&market).await;
    let cookie = app.login("wy.market").await;
    let r = app.get("/console/transfers", Some(&cookie)).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.body.contains("还没有案件移送"), "empty state: {}", r.body);

    let t = app
        .transfer_to_police(&market, &vid, "涉嫌销售假药，货值较大")
        .await;
    let tid = t["id"].as_str().unwrap().to_string();
    let tcode = t["code"].as_str().unwrap().to_string();

    let r = app.get("/console/transfers", Some(&cookie)).await;
    assert!(
        r.body.contains(&tcode) && r.body.contains("舞阳县公安局") && r.body.contains("已移送"),
        "{}",
        r.body
    );
    let page = app
        .get(&format!("/console/transfers/{tid}"), Some(&cookie))
        .await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.body.contains("记录办案机关答复") && page.body.contains("data-confirm"),
        "{}",
        page.body
    );
    let csrf = csrf_of(&page.body);
    let r = app
        .form(
            &format!("/console/transfers/{tid}/feedback"),
            Some(&cookie),
            &format!("_csrf={csrf}&feedback={}", enc("已受理")),
        )
        .await;
    assert_eq!(
        r.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "a verdict is required"
    );
    let r = app
        .form(
            &format!("/console/transfers/{tid}/feedback"),
            Some(&cookie),
            &format!(
                "_csrf={csrf}&verdict=accepted&feedback={}",
                enc("舞公（食药环）受案字〔2026〕12号")
            ),
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let page = app
        .get(
            &format!("/console/transfers/{tid}?ok=accepted"),
            Some(&cookie),
        )
        .await;
    assert!(
        page.body.contains("已受理") && page.body.contains("舞公（食药环）受案字〔2026〕12号"),
        "{}",
        page.body
    );
    assert!(!page.body.contains("保存答复"));
    let r = app
        .get("/console/transfers?status=declined", Some(&cookie))
        .await;
    assert!(!r.body.contains(&tcode) && r.body.contains("没有符合条件的移送记录"));
    // A status transfers do not have is named next to the filter, not matched to nothing.
    let r = app
        .get("/console/transfers?status=answered", Some(&cookie))
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        r.body.contains("“answered”不是有效的取值") && r.body.contains("查询条件有误"),
        "{}",
        r.body
    );

    // Outside the scope: the health department and Shandong get 404.
    for who in ["wy.health", "sd.office"] {
        let other = app.login(who).await;
        let r = app
            .get(&format!("/console/transfers/{tid}"), Some(&other))
            .await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{who}");
        let r = app.get("/console/transfers", Some(&other)).await;
        assert!(!r.body.contains(&tcode), "{who} list");
    }
}

/// Issue 12 item 9: the same 抄告 form posted twice (a double click, a re-post after 返回), at
/// once or one after the other, creates one 抄告; an API retry with the same
/// `Idempotency-Key` gets the first answer; a changed form or a new key is a new request.
async fn repeated_posts_create_one_referral(app: App) {
    let market = app.token("wy.market").await;
    let vid = app.published_visit(&market).await;
    let health_id = app.department(&market, "411121", "卫生健康").await;
    let count = async |app: &App| {
        let l = app
            .get_json("/api/v1/referrals?direction=outgoing", &market)
            .await;
        l["total"].as_u64().expect("a page with its total")
    };
    let before = count(&app).await;

    let cookie = app.login("wy.market").await;
    let page = app
        .get(&format!("/console/visits/{vid}"), Some(&cookie))
        .await;
    assert_eq!(page.status, StatusCode::OK);
    let csrf = csrf_of(&page.body);
    let once = page
        .body
        .split("name=\"_once\" value=\"")
        .nth(1)
        .and_then(|r| r.split('"').next())
        .expect("every console form carries a one-time field")
        .to_string();
    let form = |once: &str, matter: &str| {
        format!(
            "_csrf={csrf}&_once={once}&to_department_id={health_id}&matter={}",
            enc(matter)
        )
    };
    let path = format!("/console/visits/{vid}/referrals");
    let body = form(&once, "发现坐堂医生执业资格存疑，请核查");
    let first = app.form(&path, Some(&cookie), &body).await;
    assert_eq!(first.status, StatusCode::SEE_OTHER, "{}", first.body);
    let again = app.form(&path, Some(&cookie), &body).await;
    assert_eq!(again.status, StatusCode::SEE_OTHER, "{}", again.body);
    assert_eq!(
        again.headers[header::LOCATION],
        first.headers[header::LOCATION],
        "the repeat is answered with the first post's page"
    );
    assert_eq!(count(&app).await, before + 1, "posted twice, created once");

    // Two posts at the same moment: one is handled, the other waits for its answer.
    let body = form("concurrent-once", "同时提交的两次点击");
    let (a, b) = tokio::join!(
        app.form(&path, Some(&cookie), &body),
        app.form(&path, Some(&cookie), &body)
    );
    assert_eq!(
        (a.status, b.status),
        (StatusCode::SEE_OTHER, StatusCode::SEE_OTHER)
    );
    assert_eq!(count(&app).await, before + 2, "a double click creates one");

    // The same page's form with other content is another 抄告, as is a new page's form.
    let r = app
        .form(&path, Some(&cookie), &form(&once, "另一事项：许可证过期"))
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert_eq!(count(&app).await, before + 3);
    // A form refused for its content is not remembered: corrected, it goes through.
    let bad = format!(
        "_csrf={csrf}&_once=fix-me&to_department_id=&matter={}",
        enc("缺少接收部门")
    );
    let r = app.form(&path, Some(&cookie), &bad).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    let r = app.form(&path, Some(&cookie), &bad).await;
    assert_eq!(
        r.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "re-handled, not replayed"
    );
    assert_eq!(count(&app).await, before + 3);

    // The API: a retry with the same Idempotency-Key gets the first answer.
    let call = |key: &str, matter: &str| {
        Request::builder()
            .method("POST")
            .uri(format!("/api/v1/visits/{vid}/referrals"))
            .header(header::AUTHORIZATION, format!("Bearer {market}"))
            .header(header::CONTENT_TYPE, "application/json")
            .header("Idempotency-Key", key)
            .body(Body::from(
                json!({"to_department_id": health_id, "matter": matter}).to_string(),
            ))
            .unwrap()
    };
    let r1 = app.send(call("retry-7f3a", "接口抄告")).await;
    assert_eq!(r1.status, StatusCode::CREATED, "{}", r1.body);
    let r2 = app.send(call("retry-7f3a", "接口抄告")).await;
    assert_eq!(r2.status, StatusCode::CREATED, "{}", r2.body);
    assert_eq!(r2.json()["id"], r1.json()["id"]);
    assert_eq!(r2.headers["idempotent-replayed"], "true");
    assert_eq!(count(&app).await, before + 4);
    let r = app.send(call("retry-7f3a", "换了内容")).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert_eq!(r.fields(), vec!["Idempotency-Key"]);
    let r = app.send(call("a new key", "接口抄告")).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    assert_eq!(count(&app).await, before + 5);
    let r = app.send(call("", "接口抄告")).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.body);
}

/// A joint visit (two departments' results on one visit) is one row on the portal, with both
/// departments; the API still lists each item result. `%` and `_` typed in a search match
/// themselves, not everything.
async fn portal_one_row_per_joint_visit_and_literal_search(app: App) {
    use sea_orm::ConnectionTrait;
    // A second department's result on the demo's published visit (a 联合检查). The plan id
    // only has to differ from the first result's: the department's id serves.
    app.svc
        .store
        .conn()
        .execute_unprepared(
            "INSERT INTO visit_results (visit_id, plan_id, item_id, department_id, result_code, follow_up, summary, review, updated_at) \
             SELECT r.visit_id, d.id, r.item_id, d.id, r.result_code, r.follow_up, r.summary, r.review, r.updated_at \
             FROM visit_results r JOIN visits v ON v.id = r.visit_id, departments d \
             WHERE v.status = 'published' AND d.region_code = '411121' AND d.id <> r.department_id AND d.name = '县卫生健康委'",
        )
        .await
        .unwrap();
    let api = app
        .api("GET", "/api/v1/public/results", None, None)
        .await
        .json();
    assert_eq!(api["total"], 2, "two item results: {api}");
    let depts: Vec<&str> = api["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["department"].as_str().unwrap())
        .collect();

    let page = app.get("/results", None).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert_eq!(
        page.body.matches("<tr data-visit").count(),
        1,
        "{}",
        page.body
    );
    assert!(page.body.contains("联合检查"), "{}", page.body);
    assert!(page.body.contains("共 1 条"), "{}", page.body);
    for d in &depts {
        assert!(page.body.contains(d), "{d} on the joint row");
    }

    // Literal search: a lone % or _ finds nothing instead of every result.
    for q in ["%25", "_", "%25%25"] {
        let r = app.get(&format!("/results?entity={q}"), None).await;
        assert_eq!(r.status, StatusCode::OK);
        assert_eq!(r.body.matches("<tr data-visit").count(), 0, "entity={q}");
        assert!(r.body.contains("没有找到符合条件的检查结果"), "entity={q}");
        let a = app
            .api(
                "GET",
                &format!("/api/v1/public/results?entity={q}"),
                None,
                None,
            )
            .await
            .json();
        assert_eq!(a["total"], 0, "API entity={q}: {a}");
    }
}

/// A county's platform (`site_region`) publishes that county's results, draws and plans and
/// the items that apply there (its own and its province's), not another province's pilot
/// items; the header names the jurisdiction; regions are chosen by name.
async fn portal_publishes_only_its_jurisdiction(app: App) {
    let national_items = app.get("/items?per_page=50", None).await;
    assert!(
        national_items.body.contains("SD-PILOT-01"),
        "without a site region every item is public"
    );
    let mut app = app;
    let svc = app
        .svc
        .clone()
        .with_site(None, Some("411121"))
        .await
        .unwrap();
    app.router = lianjian_http::router(lianjian_http::AppState {
        svc,
        secure_cookies: false,
    });

    let home = app.get("/", None).await;
    assert!(home.body.contains("舞阳县"), "{}", home.body);
    for href in ["/items", "/plans", "/draws", "/results"] {
        assert!(
            home.body.contains(&format!("href=\"{href}\"")),
            "menu links {href}"
        );
    }
    assert!(
        !home.body.contains("暂无公开信息"),
        "no tile for what is not built"
    );

    let items = app.get("/items?per_page=50", None).await;
    assert_eq!(items.status, StatusCode::OK);
    assert!(
        !items.body.contains("SD-PILOT-01"),
        "another province's item"
    );
    assert!(
        items.body.contains("data-item="),
        "the county's items are listed"
    );
    let other = app.get("/items/SD-PILOT-01", None).await;
    assert_eq!(other.status, StatusCode::NOT_FOUND);
    let api = app
        .api("GET", "/api/v1/public/items?per_page=200", None, None)
        .await;
    assert!(!api.body.contains("SD-PILOT-01"), "nor through the API");

    // The published pharmacy result is the county's.
    let results = app.get("/results", None).await;
    assert_eq!(results.body.matches("<tr data-visit").count(), 1);
    // Regions by name: the county's towns, e.g. 舞泉镇, with codes only as values.
    assert!(
        results.body.contains(">\u{3000}舞泉镇<") || results.body.contains(">舞泉镇<"),
        "{}",
        results.body
    );
    assert!(!results.body.contains("行政区划代码"));
    let town = app.get("/results?region=411121100", None).await;
    assert_eq!(town.status, StatusCode::OK);

    // A province's site offers every level of it by name: cities, their counties, and the
    // counties' towns, each indented under its parent; the whole country's site stops at the
    // counties (a list of every town would be tens of thousands long).
    let svc = app.svc.clone().with_site(None, Some("41")).await.unwrap();
    app.router = lianjian_http::router(lianjian_http::AppState {
        svc,
        secure_cookies: false,
    });
    for page in ["/results", "/plans"] {
        let body = app.get(page, None).await.body;
        // The option of `code`, labelled `label` (indentation included); its position.
        let at = |code: &str, label: &str| {
            let i = body
                .find(&format!("<option value=\"{code}\""))
                .unwrap_or_else(|| panic!("{page}: {code} not offered"));
            let option = &body[i..i + body[i..].find("</option>").unwrap()];
            assert!(option.ends_with(&format!(">{label}")), "{page}: {option}");
            i
        };
        let (city, county, town) = (
            at("4111", "漯河市"),
            at("411121", "\u{3000}舞阳县"),
            at("411121100", "\u{3000}\u{3000}舞泉镇"),
        );
        assert!(city < county && county < town, "{page}: parents first");
    }
    let svc = app.svc.clone().with_site(None, None).await.unwrap();
    app.router = lianjian_http::router(lianjian_http::AppState {
        svc,
        secure_cookies: false,
    });
    let body = app.get("/results", None).await.body;
    assert!(
        body.contains(">\u{3000}\u{3000}舞阳县</option>") && !body.contains("value=\"411121100\""),
        "the country's site: provinces, cities, counties"
    );

    // A site elsewhere publishes none of it, and answers 404 for the county's draws.
    let svc = app.svc.clone().with_site(None, Some("37")).await.unwrap();
    app.router = lianjian_http::router(lianjian_http::AppState {
        svc,
        secure_cookies: false,
    });
    let r = app.get("/results", None).await;
    assert_eq!(r.body.matches("<tr data-visit").count(), 0);
    let draws = app
        .api("GET", "/api/v1/public/draws", None, None)
        .await
        .json();
    assert_eq!(draws["total"], 0, "{draws}");
    let items = app.get("/items?per_page=50", None).await;
    assert!(items.body.contains("SD-PILOT-01"));
}

/// Issue 13 item 4: the printed 抄告函 and 涉嫌犯罪案件移送书 carry the authority's legal name,
/// their number, the provisions the visit found broken, and (on the entity's sheet) the remedies
/// clause; the office's 文书设置 names the bodies the platform cannot derive.
async fn printed_referral_and_transfer_and_office_documents(app: App) {
    let market = app.token("wy.market").await;
    let vid = app.published_visit(&market).await;
    let r = app
        .refer_to_health(&market, &vid, "发现执业医师资格存疑，请核查")
        .await;
    let rid = r["id"].as_str().unwrap().to_string();
    let rcode = r["code"].as_str().unwrap().to_string();
    let t = app
        .transfer_to_police(&market, &vid, "涉嫌销售假药，货值较大")
        .await;
    let tid = t["id"].as_str().unwrap().to_string();
    let tcode = t["code"].as_str().unwrap().to_string();

    let mk = app.login("wy.market").await;
    let detail = app
        .get(&format!("/console/referrals/{rid}"), Some(&mk))
        .await;
    assert!(
        detail
            .body
            .contains(&format!("/console/referrals/{rid}/print"))
    );
    let r = app
        .get(&format!("/console/referrals/{rid}/print"), Some(&mk))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    for want in [
        "舞阳县市场监督管理局<br>抄 告 函",
        rcode.as_str(),
        "舞阳县卫生健康委员会</span>：",
        "发现执业医师资格存疑，请核查",
        "国办发〔2023〕1号",
        "舞阳县市场监督管理局（印章）",
        "告 知 书（送被检查单位）",
        "六十日内向舞阳县人民政府申请行政复议",
        "六个月内向舞阳县人民法院提起行政诉讼",
        "/assets/print.css",
    ] {
        assert!(r.body.contains(want), "{want} on the 抄告函: {}", r.body);
    }
    // The receiving department prints it too; another province does not see it.
    let health = app.login("wy.health").await;
    let r = app
        .get(&format!("/console/referrals/{rid}/print"), Some(&health))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let sd = app.login("sd.office").await;
    for path in [
        format!("/console/referrals/{rid}/print"),
        format!("/console/transfers/{tid}/print"),
    ] {
        assert_eq!(
            app.get(&path, Some(&sd)).await.status,
            StatusCode::NOT_FOUND,
            "{path}"
        );
    }

    let r = app
        .get(&format!("/console/transfers/{tid}/print"), Some(&mk))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    for want in [
        "舞阳县市场监督管理局<br>涉嫌犯罪案件移送书",
        tcode.as_str(),
        "舞阳县公安局</span>：",
        "涉嫌销售假药，货值较大",
        "《行政执法机关移送涉嫌犯罪案件的规定》",
        "抄送：舞阳县人民检察院",
        "回执",
        "六十日内向舞阳县人民政府申请行政复议",
    ] {
        assert!(r.body.contains(want), "{want} on the 移送书: {}", r.body);
    }

    // 文书设置: the county office names the court; a slip is refused with the field named.
    let office = app.login("wy.office").await;
    let page = app.get("/console/settings", Some(&office)).await;
    assert!(
        page.body.contains("舞阳县人民法院"),
        "the derived court is shown"
    );
    let save = async |who: &str, body: &str| -> Resp {
        let cookie = app.login(who).await;
        let page = app.get("/console/settings", Some(&cookie)).await;
        app.form(
            "/console/settings/documents",
            Some(&cookie),
            &format!("_csrf={}&region=411121&{body}", csrf_of(&page.body)),
        )
        .await
    };
    let r = save(
        "wy.office",
        &format!("reconsideration_body=&court={}", enc("张三")),
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(r.body.contains("管辖法院应填写机关全称"), "{}", r.body);
    assert!(r.body.contains("value=\"张三\""), "the typed value is kept");
    assert_eq!(
        save("wy.market", "reconsideration_body=&court=")
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    let court = "漯河市源汇区人民法院";
    let r = save(
        "wy.office",
        &format!("reconsideration_body=&court={}", enc(court)),
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let r = app
        .get(&format!("/console/transfers/{tid}/print"), Some(&mk))
        .await;
    assert!(
        r.body.contains(&format!("六个月内向{court}提起行政诉讼"))
            && r.body.contains("六十日内向舞阳县人民政府申请行政复议"),
        "{}",
        r.body
    );
}
