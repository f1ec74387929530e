//! 信用异议 from the portal (issue 15 item 4) through the real router, on SQLite and
//! PostgreSQL: an entity finds its public entries by its credit code, objects to one with a
//! contact and its reasons, and the objection is in the staff's appeal queue; every bad field
//! is named and nothing is filed; a second objection to the same entry, a post without the
//! page's token or challenge, an oversized body and a flood from one address are refused; the
//! page never shows a class or a score.

use crate::clue_portal::{attr_after, cookie_of, from, solve};
use crate::common::*;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};

on_both_backends!(
    template = DEMO, setup = app;
    an_entity_objects_from_the_portal_and_staff_see_it,
    bad_objections_are_named_and_refused,
);

/// The demo restaurant with a public food-safety penalty: (credit code, decision number).
async fn restaurant(app: &App) -> (String, String) {
    use sea_orm::ConnectionTrait;
    let c = app.svc.store.conn();
    let r = c
        .query_one_raw(sea_orm::Statement::from_string(
            c.get_database_backend(),
            "SELECT e.usci, c.reference FROM credit_entries c JOIN entities e ON e.id = c.entity_id \
             WHERE c.title = '使用超过保质期的食品原料加工食品'",
        ))
        .await
        .unwrap()
        .expect("the demo penalty");
    (
        r.try_get("", "usci").unwrap(),
        r.try_get("", "reference").unwrap(),
    )
}

/// The form page for `usci`: (cookie, csrf, challenge token, bits, body).
async fn page(app: &App, usci: &str) -> (String, String, String, u32, String) {
    let r = app
        .get(&format!("/credit/objection?usci={usci}"), None)
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    (
        cookie_of(&r),
        csrf_of(&r.body),
        attr_after(&r.body, "name=\"challenge\" id=\"challenge\" value=\""),
        attr_after(&r.body, "data-bits=\"").parse().unwrap(),
        r.body,
    )
}

async fn post(app: &App, ip: [u8; 4], cookie: &str, body: String) -> Resp {
    let mut req = Request::builder()
        .method("POST")
        .uri("/credit/objection")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header(header::COOKIE, cookie)
        .body(Body::from(body))
        .unwrap();
    req.extensions_mut().insert(from(ip));
    app.send(req).await
}

/// A fresh page's fields with the challenge solved, `fields` added.
async fn filled(app: &App, usci: &str, fields: &[(&str, &str)]) -> (String, String) {
    let (cookie, csrf, token, bits, _) = page(app, usci).await;
    let mut body = format!(
        "_csrf={}&usci={}&challenge={}&work={}",
        enc(&csrf),
        enc(usci),
        enc(&token),
        solve(&token, bits)
    );
    for (k, v) in fields {
        body.push_str(&format!("&{k}={}", enc(v)));
    }
    (cookie, body)
}

fn entry_of(body: &str) -> String {
    attr_after(body, "name=\"entry_id\" id=\"entry-")
}

async fn an_entity_objects_from_the_portal_and_staff_see_it(app: App) {
    let (usci, reference) = restaurant(&app).await;
    // The public credit page leads to the form; the form lists the public entries only.
    let detail = app.get(&format!("/credit/{usci}"), None).await;
    assert!(
        detail
            .body
            .contains(&format!("/credit/objection?usci={usci}"))
    );
    let (_, _, _, _, body) = page(&app, &usci).await;
    assert!(body.contains(&reference), "{body}");
    assert!(body.contains("<script src=\"/assets/portal-clue.js\"></script>"));
    for internal in ["风险", "评分", "信用等级", "信用分类", "惩戒"] {
        assert!(!body.contains(internal), "{internal} on the portal");
    }
    let entry = entry_of(&body);

    let (cookie, form) = filled(
        &app,
        &usci,
        &[
            ("entry_id", &entry),
            ("contact", "刘经理"),
            ("phone", "13912345678"),
            (
                "statement",
                "该批原料在保质期内，进货单据和检验报告可以证明，请予核查。",
            ),
        ],
    )
    .await;
    let r = post(&app, [10, 1, 0, 1], &cookie, form).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let code = attr_after(&r.body, "id=\"objection-code\">")
        .split('<')
        .next()
        .unwrap()
        .to_string();
    assert!(code.starts_with("YY-411121-"), "{code}");

    // In the staff queue as an objection, with the contact, due in 10 working days.
    let office = app.token("wy.office").await;
    let q = app
        .get_json(
            "/api/v1/credit-appeals?kind=objection&queue=all&per_page=50",
            &office,
        )
        .await;
    let a = q["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["code"] == code.as_str())
        .unwrap_or_else(|| panic!("{code} in {q}"))
        .clone();
    assert_eq!(a["kind"], "objection");
    assert_eq!(a["entry_id"], entry.as_str());
    assert_eq!(a["usci"], usci.as_str());
    assert_eq!(a["applicant"], "刘经理（13912345678）");
    assert_eq!(a["status"], "submitted");
    assert_eq!(a["clocks"].as_array().unwrap().len(), 1, "{a}");
    let d = app
        .get_json(
            &format!("/api/v1/credit-appeals/{}", a["id"].as_str().unwrap()),
            &office,
        )
        .await;
    assert!(
        d["timeline"].to_string().contains("portal")
            || d["timeline"].to_string().contains("信用信息公示平台"),
        "{d}"
    );

    // The same entry again: refused while the first is open, naming the entry.
    let (cookie, form) = filled(
        &app,
        &usci,
        &[
            ("entry_id", &entry),
            ("contact", "刘经理"),
            ("phone", "13912345678"),
            ("statement", "再次提出异议。"),
        ],
    )
    .await;
    let r = post(&app, [10, 1, 0, 1], &cookie, form).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(r.body.contains("data-field=\"entry_id\""), "{}", r.body);
    assert!(
        r.body.contains(&code),
        "names the open objection: {}",
        r.body
    );
}

async fn bad_objections_are_named_and_refused(app: App) {
    let (usci, _) = restaurant(&app).await;
    let office = app.token("wy.office").await;
    let count = |v: serde_json::Value| v["total"].as_u64().unwrap();
    let before = count(
        app.get_json("/api/v1/credit-appeals?kind=objection&queue=all", &office)
            .await,
    );

    // Every field missing or wrong is named; nothing is filed.
    let (cookie, form) = filled(&app, &usci, &[("phone", "12345"), ("contact", "刘")]).await;
    let r = post(&app, [10, 2, 0, 1], &cookie, form).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    for field in ["entry_id", "contact", "phone", "statement"] {
        assert!(
            r.body.contains(&format!("data-field=\"{field}\"")),
            "{field}: {}",
            r.body
        );
    }
    // An entry that is not the entity's public one, and a credit code that is not valid.
    let (cookie, form) = filled(
        &app,
        &usci,
        &[
            ("entry_id", "0190a0a0-0000-7000-8000-000000000000"),
            ("contact", "刘经理"),
            ("phone", "13912345678"),
            ("statement", "理由"),
        ],
    )
    .await;
    let r = post(&app, [10, 2, 0, 1], &cookie, form).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("data-field=\"entry_id\""), "{}", r.body);
    let (cookie, csrf, token, bits, _) = page(&app, &usci).await;
    let r = post(
        &app,
        [10, 2, 0, 1],
        &cookie,
        format!(
            "_csrf={}&usci=91411121ABCDEFGHIJ&entry_id=x&contact=%E5%88%98%E7%BB%8F%E7%90%86&phone=13912345678&statement=ok&challenge={}&work={}",
            enc(&csrf),
            enc(&token),
            solve(&token, bits)
        ),
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("data-field=\"usci\""), "{}", r.body);

    // Without the page's token: 403; without the challenge: named.
    let (_, form) = filled(&app, &usci, &[]).await;
    let r = post(&app, [10, 2, 0, 1], "lj_objection_csrf=forged", form).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let (cookie, csrf, _, _, body) = page(&app, &usci).await;
    let r = post(
        &app,
        [10, 2, 0, 1],
        &cookie,
        format!(
            "_csrf={}&usci={usci}&entry_id={}&contact=%E5%88%98%E7%BB%8F%E7%90%86&phone=13912345678&statement=ok",
            enc(&csrf),
            entry_of(&body)
        ),
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("data-field=\"challenge\""), "{}", r.body);

    // A body larger than the form can be is refused unread.
    let (cookie, mut form) = filled(&app, &usci, &[]).await;
    form.push_str(&format!("&statement={}", "x".repeat(40 * 1024)));
    let r = post(&app, [10, 2, 0, 1], &cookie, form).await;
    assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(
        count(
            app.get_json("/api/v1/credit-appeals?kind=objection&queue=all", &office)
                .await
        ),
        before,
        "nothing filed"
    );

    // An address that filed five in the hour waits (429 with Retry-After).
    let now = app.svc.now();
    for _ in 0..5 {
        lianjian_store::accounts::record_login_failure(
            app.svc.store.conn(),
            "portal-objection:ip:10.2.0.9",
            Some("10.2.0.9"),
            now,
        )
        .await
        .unwrap();
    }
    let (cookie, form) = filled(&app, &usci, &[]).await;
    let r = post(&app, [10, 2, 0, 9], &cookie, form).await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS, "{}", r.body);
    assert!(r.headers.contains_key(header::RETRY_AFTER));
}
