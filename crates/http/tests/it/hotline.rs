//! The 12345 interface (issue 14 item 5) through the real router, on SQLite and PostgreSQL:
//! a pushed work order becomes a clue with its fields; pushing it again answers the same clue
//! and stores nothing; the same number with other content is a 409; a malformed order names
//! every bad field and stores nothing; an entity or region outside the county is refused;
//! concurrent pushes of one order make one clue, of different orders different codes; the
//! feed lists sign/return/extension/finish in order with cursor paging and no personal data;
//! a webhook delivers to a real local HTTP server, retries after a 500, and its signature
//! verifies.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use crate::common::*;

use axum::http::StatusCode;
use hmac::{Hmac, Mac};
use serde_json::{Value, json};
use sha2::Sha256;

on_both_backends!(
    template = DEMO, setup = app;
    a_pushed_order_becomes_a_clue_once,
    bad_orders_are_refused_naming_the_field_and_store_nothing,
    concurrent_pushes_make_one_clue_per_order_and_distinct_codes,
    the_feed_lists_the_steps_in_order_with_a_cursor,
    a_webhook_retries_after_a_failure_and_signs_its_deliveries,
);

fn order(no: &str) -> Value {
    json!({
        "order_no": no,
        "called_at": "2026-12-07 09:30:00",
        "caller_name": "王小明",
        "caller_phone": "13800138000",
        "kind": "投诉",
        "content": "舞阳县城关镇某药店销售过期药品，请核查处理",
        "address": "舞阳县城关镇人民路 18 号",
        "region_code": "411121",
        "urgency": "紧急",
        "deadline_days": 5,
        "dispatching_unit": "漯河市 12345 政务服务便民热线"
    })
}

/// A valid credit code of `region` (as the authorization matrix makes them).
fn usci(region: &str, n: u32) -> String {
    use lianjian_domain::usci::Usci;
    let body = format!("{:08}", 73_700_000 + n);
    let weights = [3, 7, 9, 10, 5, 8, 4, 2];
    let sum: u32 = body
        .chars()
        .zip(weights)
        .map(|(c, w)| c.to_digit(36).unwrap() * w)
        .sum();
    let org_check = match 11 - sum % 11 {
        10 => 'X',
        11 => '0',
        d => char::from_digit(d, 10).unwrap(),
    };
    let first17 = format!("91{region}{body}{org_check}");
    let check = Usci::check_char(&first17).unwrap();
    format!("{first17}{check}")
}

async fn clue_total(app: &App, token: &str) -> u64 {
    app.get_json("/api/v1/clues?queue=all&per_page=1", token)
        .await["total"]
        .as_u64()
        .unwrap()
}

async fn entity(app: &App, admin: &str, code: &str, name: &str, region: &str) {
    let r = app
        .post(
            "/api/v1/entities",
            admin,
            json!({"usci": code, "name": name, "region_code": region}),
        )
        .await;
    assert!(r.status.is_success(), "{}", r.body);
}

async fn a_pushed_order_becomes_a_clue_once(app: App) {
    let office = app.token("wy.office").await;
    let admin = app.token("admin").await;
    let leader = app.token("wy.leader").await;
    let code = usci("411121", 1);
    entity(&app, &admin, &code, "舞阳县热线测试大药房", "411121").await;
    let mut o = order("12345-HL-0001");
    o["entity"] = json!(code);
    // Only the office (and the system administrator) pushes.
    let r = app.post("/api/v1/hotline/orders", &leader, &o).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
    let r = app.post("/api/v1/hotline/orders", &office, &o).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let receipt = r.json();
    assert_eq!(receipt["created"], true);
    assert_eq!(receipt["order_no"], "12345-HL-0001");
    let id = receipt["clue_id"].as_str().unwrap().to_string();
    let c = app.get_json(&format!("/api/v1/clues/{id}"), &office).await;
    assert_eq!(c["code"], receipt["code"]);
    // (`source` serializes as `hotline12345` — labelled_enum's snake_case of the variant, not
    // its code `hotline_12345`; a pre-existing quirk of the clue view, so the label is checked.)
    assert_eq!(c["source_label"], "12345热线");
    assert_eq!(c["external_no"], "12345-HL-0001");
    assert_eq!(c["kind"], "complaint");
    assert_eq!(c["urgency"], "urgent");
    assert_eq!(c["region_code"], "411121");
    assert_eq!(c["entity"]["usci"], code.as_str());
    assert_eq!(c["complainant"]["phone"], "13800138000");
    assert_eq!(c["complainant"]["name"], "王小明");
    // 来电时间 09:30 Beijing is 01:30 UTC.
    assert!(
        c["received_at"]
            .as_str()
            .unwrap()
            .starts_with("2026-12-07T01:30:00"),
        "{c}"
    );
    assert_eq!(c["timeline"].as_array().unwrap().len(), 1, "{c}");
    let total = clue_total(&app, &office).await;

    // Pushed again: 200, the same clue, nothing new stored and no second event.
    let r = app.post("/api/v1/hotline/orders", &office, &o).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.json()["code"], receipt["code"]);
    assert_eq!(r.json()["created"], false);
    assert_eq!(clue_total(&app, &office).await, total);
    let c = app.get_json(&format!("/api/v1/clues/{id}"), &office).await;
    assert_eq!(c["timeline"].as_array().unwrap().len(), 1, "{c}");

    // The same number with other content (or another caller): 409 naming the order number.
    for (k, v) in [
        (
            "content",
            json!("舞阳县城关镇某超市销售过期食品，请核查处理"),
        ),
        ("caller_phone", json!("13900139000")),
        ("deadline_days", json!(3)),
    ] {
        let mut other = o.clone();
        other[k] = v;
        let r = app.post("/api/v1/hotline/orders", &office, &other).await;
        assert_eq!(r.status, StatusCode::CONFLICT, "{k}: {}", r.body);
        assert!(r.body.contains("12345-HL-0001"), "{}", r.body);
    }
    assert_eq!(clue_total(&app, &office).await, total);

    // An entity by name: one match in the county is matched; several are kept unmatched.
    let mut by_name = order("12345-HL-0002");
    by_name["entity"] = json!("舞阳县热线测试大药房");
    let r = app.post("/api/v1/hotline/orders", &office, &by_name).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let c = app
        .get_json(
            &format!("/api/v1/clues/{}", r.json()["clue_id"].as_str().unwrap()),
            &office,
        )
        .await;
    assert_eq!(c["entity"]["usci"], code.as_str());
    entity(
        &app,
        &admin,
        &usci("411121", 2),
        "舞阳县连锁测试药店",
        "411121",
    )
    .await;
    entity(
        &app,
        &admin,
        &usci("411121", 3),
        "舞阳县连锁测试药店",
        "411121",
    )
    .await;
    let mut several = order("12345-HL-0003");
    several["entity"] = json!("舞阳县连锁测试药店");
    let r = app.post("/api/v1/hotline/orders", &office, &several).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let c = app
        .get_json(
            &format!("/api/v1/clues/{}", r.json()["clue_id"].as_str().unwrap()),
            &office,
        )
        .await;
    assert!(c["entity"].is_null(), "{c}");
}

async fn bad_orders_are_refused_naming_the_field_and_store_nothing(app: App) {
    let office = app.token("wy.office").await;
    let admin = app.token("admin").await;
    let total = clue_total(&app, &office).await;
    let mut o = order("12345-HL-0100");
    o["called_at"] = json!("昨天上午");
    o["caller_phone"] = json!("123");
    o["kind"] = json!("电报");
    o["content"] = json!("短");
    o["deadline_days"] = json!(99);
    let r = app.post("/api/v1/hotline/orders", &office, &o).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    let mut f = r.fields();
    f.sort();
    assert_eq!(
        f,
        [
            "called_at",
            "caller_phone",
            "content",
            "deadline_days",
            "kind"
        ]
    );
    // A missing number, a bad date.
    let mut o = order("");
    o["deadline_days"] = Value::Null;
    o["deadline_date"] = json!("2026-13-40");
    let r = app.post("/api/v1/hotline/orders", &office, &o).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    let mut f = r.fields();
    f.sort();
    assert_eq!(f, ["deadline_date", "order_no"]);
    // Outside the county: the region, an entity by credit code, an entity by name.
    let outside = usci("411122", 10);
    entity(&app, &admin, &outside, "临颍县热线测试诊所", "411122").await;
    let mut o = order("12345-HL-0101");
    o["region_code"] = json!("411122");
    let r = app.post("/api/v1/hotline/orders", &office, &o).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert_eq!(r.fields(), ["region_code"]);
    for e in [outside.as_str(), "临颍县热线测试诊所"] {
        let mut o = order("12345-HL-0102");
        o["entity"] = json!(e);
        let r = app.post("/api/v1/hotline/orders", &office, &o).await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{e}: {}",
            r.body
        );
        assert_eq!(r.fields(), ["entity"], "{e}");
    }
    // Unknown fields are refused, not dropped.
    let mut o = order("12345-HL-0103");
    o["colour"] = json!("red");
    let r = app.post("/api/v1/hotline/orders", &office, &o).await;
    assert!(r.status.is_client_error(), "{}", r.body);
    assert_eq!(clue_total(&app, &office).await, total);
}

async fn concurrent_pushes_make_one_clue_per_order_and_distinct_codes(app: App) {
    let office = app.token("wy.office").await;
    let total = clue_total(&app, &office).await;
    let o = order("12345-HL-0200");
    let (a, b, c, d) = tokio::join!(
        app.post("/api/v1/hotline/orders", &office, &o),
        app.post("/api/v1/hotline/orders", &office, &o),
        app.post("/api/v1/hotline/orders", &office, &o),
        app.post("/api/v1/hotline/orders", &office, &o),
    );
    let all = [a, b, c, d];
    for r in &all {
        assert!(
            r.status == StatusCode::CREATED || r.status == StatusCode::OK,
            "{} {}",
            r.status,
            r.body
        );
    }
    assert_eq!(
        all.iter()
            .filter(|r| r.status == StatusCode::CREATED)
            .count(),
        1
    );
    let codes: std::collections::BTreeSet<String> = all
        .iter()
        .map(|r| r.json()["code"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(codes.len(), 1, "{codes:?}");
    assert_eq!(clue_total(&app, &office).await, total + 1);
    // Different orders at once: each its own code.
    let (a, b, c, d) = tokio::join!(
        app.post("/api/v1/hotline/orders", &office, order("12345-HL-0201")),
        app.post("/api/v1/hotline/orders", &office, order("12345-HL-0202")),
        app.post("/api/v1/hotline/orders", &office, order("12345-HL-0203")),
        app.post("/api/v1/hotline/orders", &office, order("12345-HL-0204")),
    );
    let mut codes = std::collections::BTreeSet::new();
    for r in [a, b, c, d] {
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
        codes.insert(r.json()["code"].as_str().unwrap().to_string());
    }
    assert_eq!(codes.len(), 4, "{codes:?}");
}

/// Pushes an order and sends it to the market department; the clue's id.
async fn pushed_and_dispatched(app: &App, office: &str, no: &str) -> String {
    let r = app.post("/api/v1/hotline/orders", office, order(no)).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let id = r.json()["clue_id"].as_str().unwrap().to_string();
    let x = app.department(office, "411121", "县市场监管局").await;
    let r = app
        .post(
            &format!("/api/v1/clues/{id}/dispatch"),
            office,
            json!({"department_id": x}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    id
}

async fn step(app: &App, token: &str, path: String, body: Value) {
    let r = app.post(&path, token, body).await;
    assert_eq!(r.status, StatusCode::OK, "{path}: {}", r.body);
}

/// Every event of the feed after `after`, paging by `limit`.
async fn whole_feed(app: &App, token: &str, limit: u32) -> Vec<Value> {
    let mut out = Vec::new();
    let mut after = String::new();
    loop {
        let page = app
            .get_json(
                &format!("/api/v1/hotline/events?limit={limit}&after={after}"),
                token,
            )
            .await;
        let events = page["events"].as_array().unwrap().clone();
        assert!(events.len() <= limit as usize);
        if events.is_empty() {
            return out;
        }
        after = page["cursor"].as_str().unwrap().to_string();
        assert_eq!(events.last().unwrap()["id"], page["cursor"]);
        out.extend(events);
    }
}

async fn the_feed_lists_the_steps_in_order_with_a_cursor(app: App) {
    let office = app.token("wy.office").await;
    let market = app.token("wy.market").await;
    let a = pushed_and_dispatched(&app, &office, "12345-HL-0300").await;
    step(&app, &market, format!("/api/v1/clues/{a}/sign"), json!({})).await;
    step(
        &app,
        &market,
        format!("/api/v1/clues/{a}/extension"),
        json!({"days": 3, "reason": "需送检，等待检验报告"}),
    )
    .await;
    step(
        &app,
        &office,
        format!("/api/v1/clues/{a}/extension/decision"),
        json!({"approve": true}),
    )
    .await;
    step(
        &app,
        &market,
        format!("/api/v1/clues/{a}/finish"),
        json!({"result": "经查属实，已责令下架过期药品并立案调查", "finding": "属实"}),
    )
    .await;
    let b = pushed_and_dispatched(&app, &office, "12345-HL-0301").await;
    step(
        &app,
        &market,
        format!("/api/v1/clues/{b}/return"),
        json!({"reason": "不属于本部门职责，应由卫健部门办理"}),
    )
    .await;
    // Events are listed once settled (a second).
    tokio::time::sleep(std::time::Duration::from_millis(1200)).await;
    let all = whole_feed(&app, &office, 100).await;
    let paged = whole_feed(&app, &office, 2).await;
    assert_eq!(all, paged);
    let ids: Vec<&str> = all.iter().map(|e| e["id"].as_str().unwrap()).collect();
    let mut sorted = ids.clone();
    sorted.sort();
    assert_eq!(ids, sorted, "the cursor order is the ids' order");
    let of = |no: &str| -> Vec<String> {
        all.iter()
            .filter(|e| e["order_no"] == no)
            .map(|e| e["event"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(
        of("12345-HL-0300"),
        [
            "signed",
            "extension_requested",
            "extension_approved",
            "finished"
        ]
    );
    assert_eq!(of("12345-HL-0301"), ["returned"]);
    let finished = all
        .iter()
        .find(|e| e["order_no"] == "12345-HL-0300" && e["event"] == "finished")
        .unwrap();
    assert_eq!(finished["result"], "经查属实，已责令下架过期药品并立案调查");
    assert_eq!(finished["unit"], "县市场监管局");
    let returned = all
        .iter()
        .find(|e| e["order_no"] == "12345-HL-0301")
        .unwrap();
    assert_eq!(returned["reason"], "不属于本部门职责，应由卫健部门办理");
    let approved = all
        .iter()
        .find(|e| e["event"] == "extension_approved")
        .unwrap();
    assert_eq!(approved["days"], 3);
    assert!(approved["finish_due"].is_string(), "{approved}");
    // Never the caller's data.
    let text = serde_json::to_string(&all).unwrap();
    assert!(!text.contains("13800138000") && !text.contains("王小明"));
    // After the last cursor: nothing; bad parameters named; other roles refused.
    let last = ids.last().unwrap();
    let p = app
        .get_json(&format!("/api/v1/hotline/events?after={last}"), &office)
        .await;
    assert_eq!(p["events"], json!([]));
    assert_eq!(p["cursor"], *last);
    let r = app
        .api(
            "GET",
            "/api/v1/hotline/events?limit=0&after=x",
            Some(&office),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    let mut f = r.fields();
    f.sort();
    assert_eq!(f, ["after", "limit"]);
    let r = app
        .api("GET", "/api/v1/hotline/events", Some(&market), None)
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
}

/// What the receiver got: (signature header, body) per request.
type Received = Arc<Mutex<Vec<(String, Vec<u8>)>>>;

/// A receiver that answers 500 to its first request and 200 after, keeping what it got.
async fn receiver() -> (SocketAddr, Received) {
    use axum::routing::post;
    let got: Received = Arc::default();
    let kept = got.clone();
    let app = axum::Router::new().route(
        "/hook",
        post(
            move |headers: axum::http::HeaderMap, body: axum::body::Bytes| {
                let kept = kept.clone();
                async move {
                    let sig = headers
                        .get("x-lianjian-signature")
                        .and_then(|v| v.to_str().ok())
                        .unwrap_or_default()
                        .to_string();
                    let mut k = kept.lock().unwrap();
                    k.push((sig, body.to_vec()));
                    if k.len() == 1 {
                        StatusCode::INTERNAL_SERVER_ERROR
                    } else {
                        StatusCode::OK
                    }
                }
            },
        ),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    (addr, got)
}

async fn a_webhook_retries_after_a_failure_and_signs_its_deliveries(app: App) {
    let office = app.token("wy.office").await;
    let market = app.token("wy.market").await;
    let (addr, got) = receiver().await;
    let secret = "hotline-test-secret-0001";
    let r = app
        .post(
            "/api/v1/hotline/subscriptions",
            &market,
            json!({"url": format!("http://{addr}/hook"), "secret": secret}),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = app
        .post(
            "/api/v1/hotline/subscriptions",
            &office,
            json!({"url": "https://example.org/hook"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert_eq!(r.fields(), ["url"]);
    let sub = app
        .created(
            "/api/v1/hotline/subscriptions",
            &office,
            json!({"url": format!("http://{addr}/hook"), "secret": secret}),
        )
        .await;
    assert_eq!(sub["secret"], secret);
    let sub_id = sub["id"].as_str().unwrap().to_string();
    let a = pushed_and_dispatched(&app, &office, "12345-HL-0400").await;
    step(&app, &market, format!("/api/v1/clues/{a}/sign"), json!({})).await;
    tokio::time::sleep(std::time::Duration::from_millis(1200)).await;

    // First attempt: the receiver answers 500; the attempt is recorded, the cursor stays.
    let n = lianjian_http::webhooks::deliver_once(&app.svc)
        .await
        .unwrap();
    assert_eq!(n, 0);
    let subs = app.get_json("/api/v1/hotline/subscriptions", &office).await;
    let s = &subs.as_array().unwrap()[0];
    assert_eq!(s["attempts"], 1, "{s}");
    assert_eq!(s["last_error"], "HTTP 500");
    assert!(s["next_attempt_at"].is_string());
    assert!(s["secret"].is_null(), "the secret is shown only once");
    // Not due again before its backoff.
    assert_eq!(
        lianjian_http::webhooks::deliver_once(&app.svc)
            .await
            .unwrap(),
        0
    );
    assert_eq!(got.lock().unwrap().len(), 1);
    tokio::time::sleep(std::time::Duration::from_millis(2100)).await;
    let n = lianjian_http::webhooks::deliver_once(&app.svc)
        .await
        .unwrap();
    assert_eq!(n, 1);
    let deliveries = got.lock().unwrap().clone();
    assert_eq!(deliveries.len(), 2);
    // The retry carries the same events; the signature verifies with the secret.
    assert_eq!(deliveries[0].1, deliveries[1].1);
    for (sig, body) in &deliveries {
        let mut m = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
        m.update(body);
        let hex = sig.strip_prefix("sha256=").expect("sha256= prefix");
        m.verify_slice(&hex_decode(hex))
            .expect("signature verifies");
    }
    let feed: Value = serde_json::from_slice(&deliveries[1].1).unwrap();
    assert_eq!(feed["events"][0]["order_no"], "12345-HL-0400");
    assert_eq!(feed["events"][0]["event"], "signed");
    let subs = app.get_json("/api/v1/hotline/subscriptions", &office).await;
    let s = &subs.as_array().unwrap()[0];
    assert_eq!(s["attempts"], 0, "{s}");
    assert_eq!(s["delivered"], 1);
    assert_eq!(s["cursor"], feed["events"][0]["id"]);
    // Nothing new: nothing sent.
    assert_eq!(
        lianjian_http::webhooks::deliver_once(&app.svc)
            .await
            .unwrap(),
        0
    );
    assert_eq!(got.lock().unwrap().len(), 2);
    // Deleted by its owner; another account's delete is a 404.
    let r = app
        .api(
            "DELETE",
            &format!("/api/v1/hotline/subscriptions/{sub_id}"),
            Some(&app.token("admin").await),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let r = app
        .api(
            "DELETE",
            &format!("/api/v1/hotline/subscriptions/{sub_id}"),
            Some(&office),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    let subs = app.get_json("/api/v1/hotline/subscriptions", &office).await;
    assert_eq!(subs, json!([]));
}

fn hex_decode(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}
