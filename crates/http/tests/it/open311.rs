//! Open311 GeoReport v2 (issue 14 item 6) through the real router, on SQLite and PostgreSQL:
//! every endpoint in JSON and XML, the spec's errors (missing or bad api_key 403, bad
//! service_code, bad lat/long, a jurisdiction outside the key's region 400, unknown ids 404),
//! the filters of `GET requests` with paging and the update feed, open/closed and the public
//! notes as a clue moves through dispatch, signing and finishing — and no complainant data or
//! staff identity anywhere in the public answers.

use crate::common::*;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use lianjian_services::clues::open311;
use serde_json::{Value, json};

on_both_backends!(
    template = DEMO, setup = app;
    open311_discovery_services_and_definitions,
    open311_post_and_read_requests,
    open311_errors_follow_the_spec,
    open311_filters_paging_and_the_update_feed,
);

const B: &str = "/open311/v2";

async fn key(app: &App, region: &str) -> String {
    open311::create_key(
        &app.svc,
        &lianjian_services::cli_actor(),
        "测试应用",
        region,
    )
    .await
    .expect("key")
    .1
}

async fn post(app: &App, fmt: &str, form: &str) -> Resp {
    let req = Request::builder()
        .method("POST")
        .uri(format!("{B}/requests.{fmt}"))
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from(form.to_string()))
        .unwrap();
    app.send(req).await
}

fn form(key: &str, extra: &str) -> String {
    format!(
        "api_key={key}&service_code=report&lat=33.437&long=113.609&address_string={}&description={}&first_name={}&last_name={}&phone=13800138000&email=zhang%40example.cn&attribute[entity_name]={}{extra}",
        enc("舞阳县舞泉镇人民路 1 号"),
        enc("药店出售过期药品，请核查"),
        enc("三"),
        enc("张"),
        enc("某某大药房"),
    )
}

fn xml_type(r: &Resp) {
    let ct = r.headers[header::CONTENT_TYPE].to_str().unwrap();
    assert!(ct.starts_with("text/xml"), "{ct}");
    assert!(
        r.body
            .starts_with("<?xml version=\"1.0\" encoding=\"utf-8\"?>"),
        "{}",
        r.body
    );
}

/// The spec's error list: one entry per problem, each with the status as its code.
fn spec_errors(r: &Resp, status: u16) -> Vec<String> {
    assert_eq!(r.status.as_u16(), status, "{}", r.body);
    let v: Value = r.json();
    v.as_array()
        .unwrap_or_else(|| panic!("not an error list: {}", r.body))
        .iter()
        .map(|e| {
            assert_eq!(e["code"], status, "{e}");
            e["description"].as_str().unwrap().to_string()
        })
        .collect()
}

async fn open311_discovery_services_and_definitions(app: App) {
    let r = app.get(&format!("{B}/discovery.json"), None).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let d = r.json();
    assert_eq!(d["endpoints"][0]["specification"], open311::SPECIFICATION);
    assert_eq!(
        d["endpoints"][0]["formats"],
        json!(["text/xml", "application/json"])
    );
    let r = app.get(&format!("{B}/discovery.xml"), None).await;
    xml_type(&r);
    assert!(
        r.body.contains("<endpoints><endpoint><specification>"),
        "{}",
        r.body
    );

    let r = app.get(&format!("{B}/services.json"), None).await;
    let s = r.json();
    let codes: Vec<&str> = s
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["service_code"].as_str().unwrap())
        .collect();
    assert_eq!(
        codes,
        ["complaint", "report", "inquiry", "help", "suggestion"]
    );
    assert_eq!(s[1]["metadata"], true);
    assert_eq!(s[1]["type"], "realtime");
    let r = app.get(&format!("{B}/services.xml"), None).await;
    xml_type(&r);
    assert!(r.body.contains("<services><service><service_code>complaint</service_code><service_name>投诉</service_name>"), "{}", r.body);

    let r = app.get(&format!("{B}/services/report.json"), None).await;
    let d = r.json();
    assert_eq!(d["service_code"], "report");
    let attrs = d["attributes"].as_array().unwrap();
    assert_eq!(attrs[0]["code"], "entity_usci");
    assert_eq!(attrs[2]["datatype"], "singlevaluelist");
    assert_eq!(attrs[2]["values"][1]["key"], "true");
    let r = app.get(&format!("{B}/services/report.xml"), None).await;
    xml_type(&r);
    assert!(r.body.contains("<service_definition><service_code>report</service_code><attributes><attribute><variable>true</variable><code>entity_usci</code>"), "{}", r.body);
    // Unknown service: 404 in the spec's list, in the format asked.
    assert_eq!(
        spec_errors(
            &app.get(&format!("{B}/services/potholes.json"), None).await,
            404
        )
        .len(),
        1
    );
    let r = app.get(&format!("{B}/services/potholes.xml"), None).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert!(
        r.body
            .contains("<errors><error><code>404</code><description>"),
        "{}",
        r.body
    );
}

async fn open311_post_and_read_requests(app: App) {
    let k = key(&app, "411121").await;
    // JSON: id and token at once.
    let r = post(&app, "json", &form(&k, "")).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let c = r.json();
    let id = c[0]["service_request_id"].as_str().unwrap().to_string();
    let token = c[0]["token"].as_str().unwrap().to_string();
    assert!(id.starts_with("XS-411121-"), "{c}");
    assert!(c[0]["account_id"].is_null());
    // XML.
    let r = post(&app, "xml", &form(&k, "")).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    xml_type(&r);
    assert!(
        r.body
            .contains("<service_requests><request><service_request_id>XS-411121-"),
        "{}",
        r.body
    );

    // The clue behind it: portal source, report kind, the complainant kept for the handlers.
    let office = app.token("wy.office").await;
    let clue = app
        .get_json(&format!("/api/v1/clues/{token}"), &office)
        .await;
    assert_eq!(clue["source"], "portal");
    assert_eq!(clue["kind"], "report");
    assert_eq!(clue["complainant"]["name"], "张三");
    assert_eq!(clue["complainant"]["phone"], "13800138000");
    assert_eq!(clue["region_code"], "411121");

    // tokens/{token}
    let t = app
        .get(&format!("{B}/tokens/{token}.json"), None)
        .await
        .json();
    assert_eq!(t, json!([{"service_request_id": id, "token": token}]));
    let r = app.get(&format!("{B}/tokens/{token}.xml"), None).await;
    xml_type(&r);
    assert!(r.body.contains(&format!(
        "<request><service_request_id>{id}</service_request_id><token>{token}</token></request>"
    )));

    // requests/{id}: open, no complainant data.
    let r = app.get(&format!("{B}/requests/{id}.json"), None).await;
    let one = r.json();
    assert_eq!(one[0]["status"], "open");
    assert_eq!(one[0]["service_code"], "report");
    assert_eq!(one[0]["address"], "舞阳县舞泉镇人民路 1 号");
    assert_eq!(one[0]["lat"], 33.437);
    assert!(
        one[0]["description"]
            .as_str()
            .unwrap()
            .contains("某某大药房")
    );
    for secret in ["13800138000", "zhang@example.cn", "张三", "token", "wy."] {
        assert!(!r.body.contains(secret), "{secret} in {}", r.body);
    }
    let r = app.get(&format!("{B}/requests/{id}.xml"), None).await;
    xml_type(&r);
    assert!(r.body.contains("<status>open</status>"), "{}", r.body);
    assert!(r.body.contains("<address_id/><zipcode/>"), "{}", r.body);

    // Through dispatch, signing and finishing: the department named, closed at the end,
    // never a person; the notes of extensions=true are the public steps.
    let market_id = app.department(&office, "411121", "县市场监管局").await;
    let r = app
        .post(
            &format!("/api/v1/clues/{token}/dispatch"),
            &office,
            json!({"department_id": market_id}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let one = app
        .get(&format!("{B}/requests/{id}.json"), None)
        .await
        .json();
    assert_eq!(one[0]["agency_responsible"], "县市场监管局");
    assert!(
        one[0]["expected_datetime"]
            .as_str()
            .unwrap()
            .ends_with("T23:59:59+08:00"),
        "{one}"
    );
    let market = app.token("wy.market").await;
    let r = app
        .post(&format!("/api/v1/clues/{token}/sign"), &market, json!({}))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let r = app
        .post(
            &format!("/api/v1/clues/{token}/finish"),
            &market,
            json!({"result": "经核查，已责令下架过期药品并立案调查", "finding": "substantiated"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let r = app
        .get(&format!("{B}/requests/{id}.json?extensions=true"), None)
        .await;
    let one = r.json();
    assert_eq!(one[0]["status"], "closed");
    assert!(
        one[0]["status_notes"]
            .as_str()
            .unwrap()
            .contains("已责令下架"),
        "{one}"
    );
    assert!(one[0]["expected_datetime"].is_null());
    assert_eq!(one[0]["extended_attributes"]["detailed_status"], "finished");
    let notes: Vec<&str> = one[0]["notes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["summary"].as_str().unwrap())
        .collect();
    assert_eq!(notes, ["受理", "派单", "签收", "办结"]);
    for secret in ["13800138000", "张三", "wy.market", "wy.office"] {
        assert!(!r.body.contains(secret), "{secret} in {}", r.body);
    }
    let r = app
        .get(&format!("{B}/requests/{id}.xml?extensions=true"), None)
        .await;
    assert!(r.body.contains("<notes><note><datetime>"), "{}", r.body);
    assert!(r.body.contains("<type>activity</type>"), "{}", r.body);

    // A clue registered by staff (a 12345 call) is not published here.
    let r = app
        .post(
            "/api/v1/clues",
            &office,
            json!({"source": "hotline_12345", "kind": "report", "content": "热线反映某超市销售过期食品", "address": "舞阳县人民路", "region_code": "411121"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let code = r.json()["code"].as_str().unwrap().to_string();
    spec_errors(
        &app.get(&format!("{B}/requests/{code}.json"), None).await,
        404,
    );
    let all = app.get(&format!("{B}/requests.json"), None).await;
    assert!(!all.body.contains(&code), "{}", all.body);
}

async fn open311_errors_follow_the_spec(app: App) {
    let k = key(&app, "411121").await;
    // No key, a wrong key, a revoked key: 403.
    let no_key = form("", "").replacen("api_key=&", "", 1);
    let e = spec_errors(&post(&app, "json", &no_key).await, 403);
    assert!(e[0].contains("api_key"), "{e:?}");
    let r = post(&app, "xml", &no_key).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert!(
        r.body
            .contains("<errors><error><code>403</code><description>api_key"),
        "{}",
        r.body
    );
    spec_errors(&post(&app, "json", &form("o311_wrong", "")).await, 403);
    let (revoked, secret) = open311::create_key(
        &app.svc,
        &lianjian_services::cli_actor(),
        "旧应用",
        "411121",
    )
    .await
    .unwrap();
    open311::revoke_key(
        &app.svc,
        &lianjian_services::cli_actor(),
        &revoked.id.to_string(),
    )
    .await
    .unwrap();
    let e = spec_errors(&post(&app, "json", &form(&secret, "")).await, 403);
    assert!(e[0].contains("revoked"), "{e:?}");

    // Bad service_code, bad lat/long, no location, no description: every one listed, 400.
    let r = post(
        &app,
        "json",
        &format!("api_key={k}&service_code=potholes&lat=north&long=113.6"),
    )
    .await;
    let e = spec_errors(&r, 400);
    assert!(e.iter().any(|d| d.starts_with("service_code:")), "{e:?}");
    assert!(e.iter().any(|d| d.starts_with("lat:")), "{e:?}");
    assert!(e.iter().any(|d| d.starts_with("description:")), "{e:?}");
    let e = spec_errors(
        &post(
            &app,
            "json",
            &format!(
                "api_key={k}&service_code=report&lat=95&long=113.6&description={}",
                enc("纬度超出范围的提交")
            ),
        )
        .await,
        400,
    );
    assert!(e[0].starts_with("lat:"), "{e:?}");
    let e = spec_errors(
        &post(
            &app,
            "json",
            &format!(
                "api_key={k}&service_code=report&description={}",
                enc("没有位置的提交内容")
            ),
        )
        .await,
        400,
    );
    assert!(e[0].contains("location"), "{e:?}");
    let e = spec_errors(
        &post(&app, "json", &form(&k, "&attribute[colour]=red")).await,
        400,
    );
    assert!(e[0].starts_with("attribute[colour]:"), "{e:?}");
    let e = spec_errors(
        &post(
            &app,
            "json",
            &form(&k, "&attribute[entity_usci]=91411121MA0000000X"),
        )
        .await,
        400,
    );
    assert!(e[0].starts_with("attribute[entity_usci]:"), "{e:?}");
    // Outside the key's region: 400; a jurisdiction that does not exist: 404.
    let e = spec_errors(
        &post(&app, "json", &form(&k, "&jurisdiction_id=411122")).await,
        400,
    );
    assert!(e[0].starts_with("jurisdiction_id:"), "{e:?}");
    spec_errors(
        &post(&app, "json", &form(&k, "&jurisdiction_id=999999")).await,
        404,
    );
    let narrow = key(&app, "411122").await;
    spec_errors(
        &post(&app, "json", &form(&narrow, "&jurisdiction_id=411121")).await,
        400,
    );
    // Nothing of that was stored.
    let all = app.get(&format!("{B}/requests.json"), None).await.json();
    assert_eq!(all, json!([]));

    // Unknown ids and tokens: 404 in either format.
    spec_errors(
        &app.get(&format!("{B}/requests/XS-411121-2026-99999.json"), None)
            .await,
        404,
    );
    let r = app
        .get(&format!("{B}/requests/XS-411121-2026-99999.xml"), None)
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert!(
        r.body.contains("<errors><error><code>404</code>"),
        "{}",
        r.body
    );
    spec_errors(
        &app.get(&format!("{B}/tokens/not-a-token.json"), None).await,
        404,
    );
    spec_errors(
        &app.get(&format!("{B}/tokens/{}.json", uuid::Uuid::now_v7()), None)
            .await,
        404,
    );
    // Bad filters: 400 naming the parameter.
    let e = spec_errors(
        &app.get(
            &format!(
                "{B}/requests.json?status=pending&service_code=x&start_date=yesterday&page_size=0"
            ),
            None,
        )
        .await,
        400,
    );
    for p in ["status:", "service_code:", "start_date:", "page_size:"] {
        assert!(e.iter().any(|d| d.starts_with(p)), "{p} {e:?}");
    }
    let e = spec_errors(
        &app.get(
            &format!(
                "{B}/requests.json?start_date=2026-01-01T00:00:00Z&end_date=2026-06-01T00:00:00Z"
            ),
            None,
        )
        .await,
        400,
    );
    assert!(e[0].contains("90 days"), "{e:?}");
    spec_errors(
        &app.get(&format!("{B}/services.json?jurisdiction_id=999999"), None)
            .await,
        404,
    );
    // A resource that does not exist, or a format we do not serve.
    spec_errors(&app.get(&format!("{B}/potholes.json"), None).await, 404);
    spec_errors(&app.get(&format!("{B}/services.html"), None).await, 404);
}

async fn open311_filters_paging_and_the_update_feed(app: App) {
    let k = key(&app, "411121").await;
    let mut ids = Vec::new();
    for (service, extra) in [
        ("report", ""),
        ("complaint", ""),
        ("complaint", "&jurisdiction_id=411121"),
    ] {
        let f = form(&k, extra).replace("service_code=report", &format!("service_code={service}"));
        let r = post(&app, "json", &f).await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
        ids.push(
            r.json()[0]["service_request_id"]
                .as_str()
                .unwrap()
                .to_string(),
        );
    }
    let list = |v: &Value| -> Vec<String> {
        v.as_array()
            .unwrap()
            .iter()
            .map(|x| x["service_request_id"].as_str().unwrap().to_string())
            .collect()
    };
    // Default: the last 90 days, newest first.
    let all = list(&app.get(&format!("{B}/requests.json"), None).await.json());
    assert_eq!(all, [ids[2].clone(), ids[1].clone(), ids[0].clone()]);
    // service_request_id (comma list) overrides the other filters.
    let r = list(
        &app.get(
            &format!(
                "{B}/requests.json?service_request_id={},{}&service_code=help",
                ids[0], ids[2]
            ),
            None,
        )
        .await
        .json(),
    );
    assert_eq!(r, [ids[2].clone(), ids[0].clone()]);
    // service_code, status.
    let r = list(
        &app.get(&format!("{B}/requests.json?service_code=complaint"), None)
            .await
            .json(),
    );
    assert_eq!(r, [ids[2].clone(), ids[1].clone()]);
    let r = list(
        &app.get(
            &format!("{B}/requests.json?service_code=complaint,report&status=open"),
            None,
        )
        .await
        .json(),
    );
    assert_eq!(r.len(), 3);
    assert_eq!(
        app.get(&format!("{B}/requests.json?status=closed"), None)
            .await
            .json(),
        json!([])
    );
    // start_date/end_date: a window in the past holds none; a date alone is read as a day.
    assert_eq!(
        app.get(
            &format!(
                "{B}/requests.json?start_date=2020-01-01T00:00:00Z&end_date=2020-02-01T00:00:00Z"
            ),
            None
        )
        .await
        .json(),
        json!([])
    );
    let today = lianjian_domain::visit::beijing_date(chrono::Utc::now()).to_string();
    let r = list(
        &app.get(
            &format!("{B}/requests.json?start_date={today}&end_date={today}"),
            None,
        )
        .await
        .json(),
    );
    assert_eq!(r.len(), 3);
    // jurisdiction_id narrows; another county has none.
    assert_eq!(
        list(
            &app.get(&format!("{B}/requests.json?jurisdiction_id=411121"), None)
                .await
                .json()
        )
        .len(),
        3
    );
    assert_eq!(
        app.get(&format!("{B}/requests.json?jurisdiction_id=411122"), None)
            .await
            .json(),
        json!([])
    );
    // Paging (extension).
    let p1 = list(
        &app.get(&format!("{B}/requests.json?page_size=2"), None)
            .await
            .json(),
    );
    let p2 = list(
        &app.get(&format!("{B}/requests.json?page_size=2&page=2"), None)
            .await
            .json(),
    );
    assert_eq!(p1, [ids[2].clone(), ids[1].clone()]);
    assert_eq!(p2, [ids[0].clone()]);
    let r = app
        .get(&format!("{B}/requests.xml?page_size=1"), None)
        .await;
    xml_type(&r);
    assert_eq!(r.body.matches("<request>").count(), 1, "{}", r.body);
    // The update feed (extension): after the newest one's registration (a second later, as
    // the feed's times are whole seconds) only a change made since shows: the oldest, changed.
    let first = app
        .get(&format!("{B}/requests/{}.json", ids[2]), None)
        .await
        .json();
    let t0 = first[0]["updated_datetime"].as_str().unwrap().to_string();
    std::thread::sleep(std::time::Duration::from_millis(1100));
    let office = app.token("wy.office").await;
    let token = app
        .get(
            &format!("{B}/requests/{}.json?extensions=true", ids[0]),
            None,
        )
        .await
        .json()[0]["token"]
        .as_str()
        .unwrap()
        .to_string();
    let market_id = app.department(&office, "411121", "县市场监管局").await;
    let r = app
        .post(
            &format!("/api/v1/clues/{token}/dispatch"),
            &office,
            json!({"department_id": market_id}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let after = (chrono::DateTime::parse_from_rfc3339(&t0).unwrap() + chrono::Duration::seconds(1))
        .to_rfc3339();
    let r = list(
        &app.get(
            &format!("{B}/requests.json?updated_after={}", enc(&after)),
            None,
        )
        .await
        .json(),
    );
    assert_eq!(r, [ids[0].clone()]);
    let r = list(
        &app.get(
            &format!("{B}/requests.json?updated_before={}", enc(&after)),
            None,
        )
        .await
        .json(),
    );
    assert!(!r.contains(&ids[0]) && r.len() == 2, "{r:?}");
}
