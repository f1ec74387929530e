//! Credit entries through the real router on SQLite and PostgreSQL (issue 15 items 1 and 5):
//! a system pushes penalties (201, then 200 for the same decision), bad bodies name every
//! field, the console lists, shows and imports them (bad cells named, nothing written), an
//! entity's credit file shows its class to staff, and the portal and the public API show
//! penalties within their period — never a class, a score or a minor penalty.

use crate::common::*;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use serde_json::json;

on_both_backends!(
    template = DEMO, setup = app;
    a_system_pushes_penalties_and_the_public_reads_only_what_is_public,
    the_console_lists_shows_and_imports_entries,
);

/// A demo entity of Wuyang with a credit class (the demo imports classes): (id, usci, letter).
async fn classed_entity(app: &App, token: &str) -> (String, String, String) {
    let p = app
        .get_json("/api/v1/entities?region=411121&credit=C&per_page=1", token)
        .await;
    let e = &p["items"][0];
    (
        e["id"]
            .as_str()
            .unwrap_or_else(|| panic!("{p}"))
            .to_string(),
        e["usci"].as_str().unwrap().to_string(),
        e["credit_class"].as_str().unwrap_or("C").to_string(),
    )
}

async fn a_system_pushes_penalties_and_the_public_reads_only_what_is_public(app: App) {
    let token = app.token("wy.market").await;
    let (id, usci, _) = classed_entity(&app, &token).await;
    let public_before = app
        .api("GET", &format!("/api/v1/public/credit/{usci}"), None, None)
        .await
        .json()["entries"]
        .as_array()
        .unwrap()
        .len();
    let body = json!({
        "usci": usci, "kind": "penalty", "tier": "general", "occurred_on": "2026-10-15",
        "reference": "舞市监罚〔2026〕201号", "title": "经营标签不符合规定的食品",
        "legal_basis": "《中华人民共和国食品安全法》第一百二十五条",
        "penalty_kinds": "警告、罚款", "amount": "3000", "strict_field": "食品"
    });
    let r = app.post("/api/v1/credit/entries", &token, &body).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let e = r.json();
    assert_eq!(e["kind_label"], "行政处罚");
    assert_eq!(e["publication"]["until"], "2027-10-15");
    // The same decision again: 200, the same entry.
    let again = app.post("/api/v1/credit/entries", &token, &body).await;
    assert_eq!(again.status, StatusCode::OK, "{}", again.body);
    assert_eq!(again.json()["id"], e["id"]);
    // A minor one is recorded, never published.
    let mut minor = body.clone();
    minor["reference"] = json!("舞市监罚〔2026〕202号");
    minor["tier"] = json!("minor");
    minor["strict_field"] = json!("");
    assert_eq!(
        app.post("/api/v1/credit/entries", &token, &minor)
            .await
            .status,
        StatusCode::CREATED
    );
    // Every bad field is named; unknown fields are refused.
    let bad = app
        .post(
            "/api/v1/credit/entries",
            &token,
            json!({"usci": "123", "kind": "penalty", "occurred_on": "明天", "title": "x"}),
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", bad.body);
    let mut fields = bad.fields();
    fields.sort();
    fields.dedup();
    assert_eq!(
        fields,
        [
            "legal_basis",
            "occurred_on",
            "penalty_kinds",
            "reference",
            "tier",
            "title",
            "usci"
        ]
    );
    // Staff read the list and the entity's timeline.
    let list = app
        .get_json(
            &format!("/api/v1/credit/entries?kind=penalty&entity_id={id}"),
            &token,
        )
        .await;
    assert_eq!(list["total"], 2, "{list}");
    let t = app
        .get_json(&format!("/api/v1/entities/{id}/credit"), &token)
        .await;
    assert!(t.as_array().unwrap().len() >= 2, "{t}");
    // The public: one penalty (the minor one is not published), no class, no score.
    let p = app
        .api("GET", &format!("/api/v1/public/credit/{usci}"), None, None)
        .await;
    assert_eq!(p.status, StatusCode::OK, "{}", p.body);
    let pj = p.json();
    assert_eq!(
        pj["entries"].as_array().unwrap().len(),
        public_before + 1,
        "{pj}"
    );
    assert!(
        pj["entries"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["amount"] == "3,000.00"),
        "{pj}"
    );
    for word in ["credit_class", "score", "class", "tier"] {
        assert!(!p.body.contains(word), "{word} in {}", p.body);
    }
    let s = app
        .api(
            "GET",
            &format!("/api/v1/public/credit?q={usci}"),
            None,
            None,
        )
        .await;
    assert_eq!(s.status, StatusCode::OK, "{}", s.body);
    assert_eq!(
        s.json()["items"][0]["public_entries"],
        public_before as u64 + 1
    );
    let short = app
        .api("GET", "/api/v1/public/credit?q=x", None, None)
        .await;
    assert_eq!(short.status, StatusCode::UNPROCESSABLE_ENTITY);
    // The portal pages say the same, with no class anywhere.
    let page = app.get(&format!("/credit/{usci}"), None).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("舞市监罚〔2026〕201号"), "{}", page.body);
    assert!(!page.body.contains("舞市监罚〔2026〕202号"));
    for word in ["信用风险", "A类", "B类", "C类", "D类", "评分"] {
        assert!(!page.body.contains(word), "{word} on the portal");
    }
    let found = app.get(&format!("/credit?q={usci}"), None).await;
    assert!(
        found
            .body
            .contains(&format!("公示中的信息 {} 条", public_before + 1)),
        "{}",
        found.body
    );
    assert_eq!(
        app.get("/credit/91411121XXXXXXXXXX", None).await.status,
        StatusCode::NOT_FOUND
    );
}

async fn the_console_lists_shows_and_imports_entries(app: App) {
    let cookie = app.login("wy.market").await;
    let token = app.token("wy.market").await;
    let (id, usci, letter) = classed_entity(&app, &token).await;
    // The form: every bad field named on the page, what was typed kept.
    let new = app.get("/console/credit/new", Some(&cookie)).await;
    assert_eq!(new.status, StatusCode::OK);
    let csrf = csrf_of(&new.body);
    let r = app
        .form(
            "/console/credit",
            Some(&cookie),
            &format!("_csrf={csrf}&kind=penalty&usci={usci}&title=x&occurred_on=2026-10-01"),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        r.body.contains("决定书文号") || r.body.contains("文号不能为空"),
        "{}",
        r.body
    );
    let r = app
        .form(
            "/console/credit",
            Some(&cookie),
            &format!(
                "_csrf={csrf}&kind=abnormal&usci={usci}&title={}&occurred_on=2026-10-01&reference={}",
                enc("通过登记的住所无法联系"),
                enc("舞市监异〔2026〕30号")
            ),
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let at = r.headers[header::LOCATION].to_str().unwrap().to_string();
    let page = app.get(&at, Some(&cookie)).await;
    assert!(
        page.body.contains("经营异常名录") && page.body.contains("移出名录"),
        "{}",
        page.body
    );
    assert!(page.body.contains("data-confirm"), "removal asks first");
    // An objection registered from the entry's page opens the appeal's own page; a second one
    // while it is open is named on the entry's page.
    let entry_id = at
        .trim_start_matches("/console/credit/")
        .split('?')
        .next()
        .unwrap()
        .to_string();
    let body = format!(
        "_csrf={csrf}&kind=objection&applicant={}&statement={}",
        enc("该店经营者"),
        enc("住所可以联系，列入依据有误")
    );
    let r = app
        .form(
            &format!("/console/credit/{entry_id}/appeal"),
            Some(&cookie),
            &body,
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert!(
        r.headers[header::LOCATION]
            .to_str()
            .unwrap()
            .starts_with("/console/sanctions/appeals/")
    );
    let again = app
        .form(
            &format!("/console/credit/{entry_id}/appeal"),
            Some(&cookie),
            &body,
        )
        .await;
    assert_eq!(again.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(again.body.contains("待决定"), "{}", again.body);
    // The list and the entity's credit file, which shows the class to staff only.
    let list = app.get("/console/credit", Some(&cookie)).await;
    assert!(list.body.contains("舞市监异〔2026〕30号"));
    let file = app
        .get(&format!("/console/directory/{id}/credit"), Some(&cookie))
        .await;
    assert_eq!(file.status, StatusCode::OK);
    assert!(file.body.contains(&format!("{letter}类")), "{}", file.body);
    // The import: bad cells named with row and column, nothing written.
    let import = app.get("/console/import", Some(&cookie)).await;
    assert!(import.body.contains("/console/import/template/credit"));
    let csrf = csrf_of(&import.body);
    let (status, template) = app.bytes("/console/import/template/credit", &cookie).await;
    assert_eq!(status, StatusCode::OK);
    assert!(template.starts_with(b"PK"));
    let mut wb = rust_xlsxwriter::Workbook::new();
    let ws = wb.add_worksheet();
    ws.set_name("信用记录").unwrap();
    for (j, h) in lianjian_services::exchange::credit::headers()
        .iter()
        .enumerate()
    {
        ws.write_string(0, j as u16, h).unwrap();
    }
    let rows = [
        [
            usci.as_str(),
            "行政处罚",
            "舞市监罚〔2026〕301号",
            "未建立进货查验记录",
            "一般",
            "警告",
            "",
            "",
            "2026-09-09",
            "",
            "",
            "《食品安全法》第一百二十六条",
        ],
        [
            usci.as_str(),
            "行政处罚",
            "舞市监罚〔2026〕302号",
            "未建立进货查验记录",
            "特别严重",
            "警告",
            "",
            "",
            "2026-09-09",
            "",
            "",
            "《食品安全法》第一百二十六条",
        ],
    ];
    for (i, r) in rows.iter().enumerate() {
        for (j, v) in r.iter().enumerate() {
            ws.write_string(i as u32 + 1, j as u16, *v).unwrap();
        }
    }
    let file = wb.save_to_buffer().unwrap();
    let (ct, body) = multipart(&csrf, &file, false);
    let req = Request::builder()
        .method("POST")
        .uri("/console/import/credit")
        .header(header::COOKIE, &cookie)
        .header(header::CONTENT_TYPE, ct)
        .body(Body::from(body))
        .unwrap();
    let r = app.send(req).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(
        r.body.contains("严重程度") && r.body.contains("特别严重"),
        "{}",
        r.body
    );
    let list = app
        .get_json(
            "/api/v1/credit/entries?q=%E8%88%9E%E5%B8%82%E7%9B%91%E7%BD%9A%E3%80%942026%E3%80%9530",
            &token,
        )
        .await;
    assert_eq!(list["total"], 0, "nothing written: {list}");
    // The export is an xlsx in the import layout.
    let (status, x) = app.bytes("/console/credit/export", &cookie).await;
    assert_eq!(status, StatusCode::OK);
    assert!(x.starts_with(b"PK"));
}
