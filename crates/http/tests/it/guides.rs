//! Compliance guides (一业一册, issue 17 item 5) through the real router on both backends: the
//! portal's index, guide page (no personal data) and PDF; the console's list, preview as on a
//! date and section and contact forms (errors named, 422); the staff API's date parameter.

use crate::common::*;

use axum::http::{StatusCode, header};

on_both_backends!(
    template = DEMO, setup = app;
    portal_guides_are_public_complete_and_impersonal,
    console_edits_sections_and_contacts_and_the_portal_follows,
);

async fn pharmacy_item(app: &App, token: &str) -> serde_json::Value {
    let l = app
        .get_json("/api/v1/items?q=WY-2024-02&status=published", token)
        .await;
    assert_eq!(l["total"], 1, "{l}");
    // The list carries heads only; the item itself its check points.
    let id = l["items"][0]["id"].as_str().unwrap();
    app.get_json(&format!("/api/v1/items/{id}"), token).await
}

async fn portal_guides_are_public_complete_and_impersonal(app: App) {
    let home = app.get("/", None).await;
    assert!(
        home.body.contains("href=\"/guides\""),
        "home links the guides"
    );

    let list = app.get("/guides", None).await;
    assert_eq!(list.status, StatusCode::OK, "{}", list.body);
    assert!(
        list.body.contains("data-guide=\"WY-2024-02\""),
        "{}",
        list.body
    );
    let none = app
        .get("/guides?q=%E4%B8%8D%E5%AD%98%E5%9C%A8%E7%9A%84", None)
        .await;
    assert!(none.body.contains("没有找到"), "{}", none.body);

    let token = app.token("admin").await;
    let item = pharmacy_item(&app, &token).await;
    let first_point = item["check_points"][0]["content"].as_str().unwrap();
    let g = app.get("/guides/wy-2024-02", None).await;
    assert_eq!(g.status, StatusCode::OK, "{}", g.body);
    for want in [
        item["name"].as_str().unwrap(),
        "合规经营指南",
        "<svg",
        "检查流程图",
        "结果公示",
        first_point,
        "常见问题（近 12 个月）",
        "发现问题已责令改正 1 次",
        "如何整改",
        "联系方式",
        "/guides/WY-2024-02/pdf",
        "/assets/guide.css",
    ] {
        assert!(g.body.contains(want), "guide lacks {want}");
    }
    // Nothing personal: not the inspected pharmacy, not its inspectors.
    let r = app.api("GET", "/api/v1/public/results", None, None).await;
    let entity = r.json()["items"][0]["entity_name"]
        .as_str()
        .unwrap()
        .to_string();
    for never in [entity.as_str(), "张明", "李华", "41112120230001"] {
        assert!(!g.body.contains(never), "the public guide shows {never}");
    }
    assert_eq!(
        app.get("/guides/NO-SUCH-1", None).await.status,
        StatusCode::NOT_FOUND
    );

    // How long a guide page takes through the router (docs/performance.md): 20 reads.
    let mut took = Vec::new();
    for _ in 0..20 {
        let t = std::time::Instant::now();
        assert_eq!(
            app.get("/guides/WY-2024-02", None).await.status,
            StatusCode::OK
        );
        took.push(t.elapsed());
    }
    took.sort();
    eprintln!(
        "guide page: p50 {:?}, p95 {:?}, max {:?}",
        took[9], took[18], took[19]
    );
    // A bound for a debug build on a shared machine; the target (< 200 ms) is measured in
    // docs/performance.md.
    assert!(took[18] < std::time::Duration::from_secs(2), "{took:?}");

    // The PDF, rendered by Chromium where it is installed.
    let pdf = app.get("/guides/WY-2024-02/pdf", None).await;
    if pdf.status == StatusCode::SERVICE_UNAVAILABLE {
        assert!(
            std::env::var_os("CI").is_none(),
            "chromium is required under CI"
        );
        assert!(pdf.body.contains("Chromium"), "{}", pdf.body);
    } else {
        assert_eq!(pdf.status, StatusCode::OK, "{}", pdf.body);
        assert_eq!(pdf.headers[header::CONTENT_TYPE], "application/pdf");
        assert!(
            pdf.headers[header::CONTENT_DISPOSITION]
                .to_str()
                .unwrap()
                .contains("guide-WY-2024-02.pdf")
        );
        assert!(pdf.body.starts_with("%PDF"));
    }

    // The staff API: the guide as on a day, a bad day named.
    let id = item["id"].as_str().unwrap();
    let j = app.get_json(&format!("/api/v1/guides/{id}"), &token).await;
    assert_eq!(j["code"], "WY-2024-02");
    assert_eq!(j["frequency"].as_array().unwrap().len(), 5);
    assert_eq!(j["problems"][0]["count"], 1);
    let bad = app
        .api(
            "GET",
            &format!("/api/v1/guides/{id}?date=31.03.2026"),
            Some(&token),
            None,
        )
        .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST, "{}", bad.body);
    assert!(bad.body.contains("date"), "{}", bad.body);
    let early = app
        .api(
            "GET",
            &format!("/api/v1/guides/{id}?date=2000-01-01"),
            Some(&token),
            None,
        )
        .await;
    assert_eq!(early.status, StatusCode::NOT_FOUND, "{}", early.body);
}

async fn console_edits_sections_and_contacts_and_the_portal_follows(app: App) {
    let token = app.token("admin").await;
    let item = pharmacy_item(&app, &token).await;
    let id = item["id"].as_str().unwrap().to_string();
    let cookie = app.login("wy.market").await;

    let list = app.get("/console/guides", Some(&cookie)).await;
    assert_eq!(list.status, StatusCode::OK, "{}", list.body);
    assert!(
        list.body.contains(&format!("/console/guides/{id}")),
        "{}",
        list.body
    );

    let page = app
        .get(&format!("/console/guides/{id}"), Some(&cookie))
        .await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(page.body.contains("补充说明"), "{}", page.body);
    assert!(page.body.contains("<svg"));
    let csrf = csrf_of(&page.body);

    // A section too long is refused with its message, the text kept in the form.
    let long = "字".repeat(4001);
    let r = app
        .form(
            &format!("/console/guides/{id}/sections"),
            Some(&cookie),
            &format!("_csrf={csrf}&kind=rectification&body={}", enc(&long)),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(r.body.contains("不能超过 4000 字"), "{}", r.body);

    let text = "处方药须凭处方销售并登记处方来源。";
    let r = app
        .form(
            &format!("/console/guides/{id}/sections"),
            Some(&cookie),
            &format!("_csrf={csrf}&kind=rectification&body={}", enc(text)),
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let g = app.get("/guides/WY-2024-02", None).await;
    assert!(g.body.contains(text), "the portal shows the new section");
    let page = app
        .get(&format!("/console/guides/{id}?ok=section"), Some(&cookie))
        .await;
    assert!(page.body.contains("说明已保存为新版本"));
    assert!(
        page.body.contains("wy.market"),
        "the history names the editor"
    );
    // …but the portal never does.
    assert!(!g.body.contains("wy.market"));

    // Another line's administrator sees the page but may not write the lead's guide.
    let health = app.login("wy.health").await;
    let hp = app
        .get(&format!("/console/guides/{id}"), Some(&health))
        .await;
    let r = app
        .form(
            &format!("/console/guides/{id}/sections"),
            Some(&health),
            &format!("_csrf={}&kind=notes&body=x", csrf_of(&hp.body)),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);

    // Contacts: a bad phone named; a good one shown on the portal.
    let dept = item["lead"]["department_id"]
        .as_str()
        .or_else(|| item["lead_department_id"].as_str())
        .unwrap()
        .to_string();
    let r = app
        .form(
            &format!("/console/guides/{id}/contacts"),
            Some(&cookie),
            &format!("_csrf={csrf}&department_id={dept}&phone=abc"),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(r.body.contains("联系电话“abc”不正确"), "{}", r.body);
    let r = app
        .form(
            &format!("/console/guides/{id}/contacts"),
            Some(&cookie),
            &format!(
                "_csrf={csrf}&department_id={dept}&phone=0395-7212315&hours={}",
                enc("工作日 8:30-17:30")
            ),
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let g = app.get("/guides/WY-2024-02", None).await;
    assert!(g.body.contains("0395-7212315"));

    // The preview as on a day before the item existed: no guide then; a bad day named.
    let p = app
        .get(
            &format!("/console/guides/{id}?at=2000-01-01"),
            Some(&cookie),
        )
        .await;
    assert!(p.body.contains("时该事项尚未发布"), "{}", p.body);
    let p = app
        .get(&format!("/console/guides/{id}?at=yesterday"), Some(&cookie))
        .await;
    assert!(p.body.contains("无法识别"), "{}", p.body);
}
