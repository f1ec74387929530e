//! The OpenAPI document describes what the API really answers (issue 12): the demo's visits,
//! orders, referrals, transfers and results, fetched through the real router, are checked
//! against the response schemas the document gives their operations — every field documented,
//! every required field present, every value of its documented type. Schemathesis checks the
//! same against the live binary with generated input; this test does it with real records.

use crate::common::*;

use axum::http::StatusCode;
use serde_json::{Value, json};

on_both_backends!(
    template = DEMO, setup = app;
    visit_and_follow_up_bodies_match_their_schemas,
    draw_bodies_match_their_schemas,
    clue_bodies_match_their_schemas,
);

/// Problems of `v` against `schema` (a schema object or a `$ref` into `doc`), with JSON paths.
fn check(doc: &Value, schema: &Value, v: &Value, at: &str, out: &mut Vec<String>) {
    if let Some(r) = schema.get("$ref").and_then(Value::as_str) {
        let name = r.trim_start_matches("#/components/schemas/");
        return check(doc, &doc["components"]["schemas"][name], v, at, out);
    }
    if let Some(all) = schema.get("allOf").and_then(Value::as_array) {
        // Flattened parts: the object must satisfy each part's required fields and types; a key
        // is documented when any part (or the schema itself) names it.
        let mut known: Vec<String> = Vec::new();
        for s in all {
            let s = resolve(doc, s);
            known.extend(
                s["properties"]
                    .as_object()
                    .into_iter()
                    .flatten()
                    .map(|(k, _)| k.clone()),
            );
            let mut part = s.clone();
            part["additionalProperties"] = json!(true);
            check(doc, &part, v, at, out);
        }
        if let Some(o) = v.as_object() {
            for k in o.keys().filter(|k| !known.contains(k)) {
                out.push(format!("{at}.{k}: not in the schema"));
            }
        }
        return;
    }
    if let Some(any) = schema
        .get("oneOf")
        .or(schema.get("anyOf"))
        .and_then(Value::as_array)
    {
        let fits = any.iter().any(|s| {
            let mut e = Vec::new();
            check(doc, s, v, at, &mut e);
            e.is_empty()
        });
        if !fits {
            out.push(format!(
                "{at}: matches none of {}",
                Value::Array(any.clone())
            ));
        }
        return;
    }
    let types: Vec<&str> = match &schema["type"] {
        Value::String(t) => vec![t.as_str()],
        Value::Array(ts) => ts.iter().filter_map(Value::as_str).collect(),
        _ => vec![],
    };
    let actual = match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(n) if n.is_i64() || n.is_u64() => "integer",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    };
    if !types.is_empty()
        && !types.contains(&actual)
        && !(actual == "integer" && types.contains(&"number"))
    {
        out.push(format!("{at}: {actual}, documented as {types:?}"));
        return;
    }
    if let (Some(e), false) = (schema.get("enum").and_then(Value::as_array), v.is_null()) {
        if !e.contains(v) {
            out.push(format!(
                "{at}: {v} is not one of {}",
                Value::Array(e.clone())
            ));
        }
    }
    match v {
        Value::Object(o) => {
            let props = schema["properties"].as_object();
            for r in schema["required"].as_array().into_iter().flatten() {
                let r = r.as_str().unwrap();
                if !o.contains_key(r) {
                    out.push(format!("{at}.{r}: required, missing"));
                }
            }
            for (k, x) in o {
                match props.and_then(|p| p.get(k)) {
                    Some(s) => check(doc, s, x, &format!("{at}.{k}"), out),
                    None if schema["additionalProperties"] == json!(true)
                        || schema["additionalProperties"].is_object()
                        || props.is_none() => {}
                    None => out.push(format!("{at}.{k}: not in the schema")),
                }
            }
        }
        Value::Array(xs) => {
            if let Some(s) = schema.get("items") {
                for (i, x) in xs.iter().enumerate() {
                    check(doc, s, x, &format!("{at}[{i}]"), out);
                }
            }
        }
        _ => {}
    }
}

fn resolve<'a>(doc: &'a Value, s: &'a Value) -> &'a Value {
    match s.get("$ref").and_then(Value::as_str) {
        Some(r) => resolve(
            doc,
            &doc["components"]["schemas"][r.trim_start_matches("#/components/schemas/")],
        ),
        None => s,
    }
}

/// Checks a body against the schema `doc` gives `method path` for `status`.
fn conforms(doc: &Value, method: &str, path: &str, status: u16, body: &Value) {
    let schema = &doc["paths"][path][method]["responses"][status.to_string()]["content"]["application/json"]
        ["schema"];
    assert!(
        !schema.is_null(),
        "{method} {path} {status}: no JSON schema"
    );
    let mut problems = Vec::new();
    check(doc, schema, body, "$", &mut problems);
    assert!(
        problems.is_empty(),
        "{method} {path} {status} does not match its schema:\n{}",
        problems.join("\n")
    );
}

async fn visit_and_follow_up_bodies_match_their_schemas(app: App) {
    let doc = serde_json::to_value(lianjian_http::openapi()).unwrap();
    let market = app.token("wy.market").await;
    let list = app
        .get_json("/api/v1/visits?status=published", &market)
        .await;
    conforms(&doc, "get", "/api/v1/visits", 200, &list);
    let id = list["items"][0]["visit"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let v = app.get_json(&format!("/api/v1/visits/{id}"), &market).await;
    assert!(!v["parts"].as_array().unwrap().is_empty(), "{v}");
    conforms(&doc, "get", "/api/v1/visits/{id}", 200, &v);
    // The check can fail: an undocumented field, a missing one, a wrong type, a stray status.
    let mut bad = v.clone();
    bad["visit"]["undocumented"] = json!(1);
    bad.as_object_mut().unwrap().remove("parts");
    bad["may_close"] = json!("yes");
    bad["visit"]["status"] = json!("lost");
    let mut problems = Vec::new();
    let schema = &doc["paths"]["/api/v1/visits/{id}"]["get"]["responses"]["200"]["content"]["application/json"]
        ["schema"];
    check(&doc, schema, &bad, "$", &mut problems);
    for want in [
        "$.visit.undocumented",
        "$.parts",
        "$.may_close",
        "$.visit.status",
    ] {
        assert!(
            problems.iter().any(|p| p.starts_with(want)),
            "{want}: {problems:?}"
        );
    }

    let health = app.department(&market, "411121", "卫生健康").await;
    let r = app
        .call(
            "POST",
            &format!("/api/v1/visits/{id}/referrals"),
            &market,
            json!({"to_department_id": health, "matter": "发现执业医师资格存疑，请核查"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    conforms(
        &doc,
        "post",
        "/api/v1/visits/{id}/referrals",
        201,
        &r.json(),
    );
    let r = app
        .call(
            "POST",
            &format!("/api/v1/visits/{id}/transfers"),
            &market,
            json!({"agency": "舞阳县公安局", "facts": "涉嫌销售假药，货值较大"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    conforms(
        &doc,
        "post",
        "/api/v1/visits/{id}/transfers",
        201,
        &r.json(),
    );
    for path in [
        "/api/v1/rectifications",
        "/api/v1/referrals",
        "/api/v1/transfers",
        "/api/v1/results",
    ] {
        let query = if path == "/api/v1/referrals" {
            "?direction=outgoing"
        } else {
            ""
        };
        let body = app.get_json(&format!("{path}{query}"), &market).await;
        assert!(body["total"].as_u64().unwrap() >= 1, "{path}: {body}");
        conforms(&doc, "get", path, 200, &body);
    }

    // The inspector's field work: start, draft, the visit as the team sees it.
    let zhang = app.token("wy.zhang").await;
    let mine = app
        .get_json("/api/v1/visits?status=scheduled", &zhang)
        .await;
    conforms(&doc, "get", "/api/v1/visits", 200, &mine);
    if let Some(vid) = mine["items"][0]["visit"]["id"].as_str() {
        let v = app.get_json(&format!("/api/v1/visits/{vid}"), &zhang).await;
        conforms(&doc, "get", "/api/v1/visits/{id}", 200, &v);
    }
}

async fn draw_bodies_match_their_schemas(app: App) {
    let doc = serde_json::to_value(lianjian_http::openapi()).unwrap();
    let office = app.token("wy.office").await;
    let list = app.get_json("/api/v1/draws", &office).await;
    assert!(list["total"].as_u64().unwrap() >= 1, "{list}");
    conforms(&doc, "get", "/api/v1/draws", 200, &list);
    for d in list["items"].as_array().unwrap() {
        let id = d["id"].as_str().unwrap();
        let v = app.get_json(&format!("/api/v1/draws/{id}"), &office).await;
        conforms(&doc, "get", "/api/v1/draws/{id}", 200, &v);
    }
}

/// A clue through its steps (registered with an entity and an item, dispatched, signed,
/// extension asked and approved, finished): every body matches its operation's schema.
async fn clue_bodies_match_their_schemas(app: App) {
    let doc = serde_json::to_value(lianjian_http::openapi()).unwrap();
    let office = app.token("wy.office").await;
    let market = app.token("wy.market").await;
    let items = app.get_json("/api/v1/items?q=WY-2024-02", &office).await;
    let item = items["items"][0]["id"].as_str().unwrap().to_string();
    let entities = app.get_json("/api/v1/entities?per_page=1", &office).await;
    let usci = entities["items"][0]["usci"]
        .as_str()
        .or(entities["items"][0]["entity"]["usci"].as_str())
        .unwrap_or_else(|| panic!("{entities}"))
        .to_string();
    let r = app
        .post(
            "/api/v1/clues",
            &office,
            json!({"source": "hotline_12345", "kind": "report", "urgency": "very_urgent",
                   "content": "举报某药店无证经营处方药", "address": "舞阳县城关镇",
                   "region_code": "411121", "latitude": 33.43, "longitude": 113.6,
                   "entity_usci": usci, "item_ids": [item], "complainant_name": "赵六",
                   "complainant_phone": "0395-7654321", "anonymous": true,
                   "external_no": "12345-SCHEMA-1", "received_at": "2026-12-01T09:30:00+08:00"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let c = r.json();
    assert_eq!(c["items"][0]["id"], item.as_str());
    assert!(c["entity"]["name"].is_string(), "{c}");
    conforms(&doc, "post", "/api/v1/clues", 201, &c);
    let id = c["id"].as_str().unwrap().to_string();
    let x = app.department(&office, "411121", "县市场监管局").await;
    let steps = [
        ("dispatch", json!({"department_id": x}), "office"),
        ("sign", json!({}), "market"),
        (
            "extension",
            json!({"days": 2, "reason": "需抽样检验"}),
            "market",
        ),
        ("extension/decision", json!({"approve": true}), "office"),
        ("finish", json!({"result": "已立案查处"}), "market"),
    ];
    for (step, body, who) in steps {
        let token = if who == "office" { &office } else { &market };
        let path = format!("/api/v1/clues/{{id}}/{step}");
        let r = app
            .post(&format!("/api/v1/clues/{id}/{step}"), token, &body)
            .await;
        assert_eq!(r.status, StatusCode::OK, "{step}: {}", r.body);
        conforms(&doc, "post", &path, 200, &r.json());
    }
    let one = app.get_json(&format!("/api/v1/clues/{id}"), &market).await;
    assert_eq!(one["status"], "finished");
    assert_eq!(
        one["complainant"]["masked"], true,
        "anonymous: masked for the department"
    );
    conforms(&doc, "get", "/api/v1/clues/{id}", 200, &one);
    let list = app.get_json("/api/v1/clues?queue=finished", &office).await;
    assert!(list.to_string().contains(&id), "{list}");
    conforms(&doc, "get", "/api/v1/clues", 200, &list);
}
