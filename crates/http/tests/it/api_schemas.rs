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
    tag_rule_preview_and_visit_merge_through_the_api,
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
pub(crate) fn conforms(doc: &Value, method: &str, path: &str, status: u16, body: &Value) {
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

    let r = app
        .refer_to_health(&market, &id, "发现执业医师资格存疑，请核查")
        .await;
    conforms(&doc, "post", "/api/v1/visits/{id}/referrals", 201, &r);
    let t = app
        .transfer_to_police(&market, &id, "涉嫌销售假药，货值较大")
        .await;
    conforms(&doc, "post", "/api/v1/visits/{id}/transfers", 201, &t);
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

/// How many entities carry the tag 医疗美容机构.
async fn tagged(app: &App, token: &str) -> u64 {
    app.get_json(
        &format!("/api/v1/entities?tag={}&per_page=1", enc("医疗美容机构")),
        token,
    )
    .await["total"]
        .as_u64()
        .unwrap()
}

/// Issue 13: the tag-rule preview and the visit merge the console offers, through the API —
/// the same services, typed bodies that match the document, the documented refusals.
async fn tag_rule_preview_and_visit_merge_through_the_api(app: App) {
    let doc = serde_json::to_value(lianjian_http::openapi()).unwrap();
    let office = app.token("wy.office").await;
    let tag = enc("医疗美容机构");
    let before = tagged(&app, &office).await;
    let rule = json!({"kind": "scope_keyword", "pattern": "美容"});
    let r = app
        .call(
            "POST",
            &format!("/api/v1/tags/{tag}/rules/preview"),
            &office,
            rule.clone(),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let p = r.json();
    conforms(&doc, "post", "/api/v1/tags/{tag}/rules/preview", 200, &p);
    let gained = p["gained"].as_u64().unwrap();
    assert!(gained > 0 && p["lost"] == 0, "{p}");
    assert!(
        p["gained_sample"].as_array().unwrap().len() as u64 == gained.min(10)
            && p["gained_sample"][0]["usci"].as_str().unwrap().len() == 18,
        "{p}"
    );
    assert_eq!(
        tagged(&app, &office).await,
        before,
        "a preview writes nothing"
    );
    // A bad rule is refused field by field; an inspector may not preview.
    let r = app
        .call(
            "POST",
            &format!("/api/v1/tags/{tag}/rules/preview"),
            &office,
            json!({"kind": "zodiac", "pattern": ""}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    let zhang = app.token("wy.zhang").await;
    let r = app
        .call(
            "POST",
            &format!("/api/v1/tags/{tag}/rules/preview"),
            &zhang,
            rule.clone(),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);

    // Adding with other counts than the preview's changes nothing (409); with them, it applies.
    let mut stale = rule.clone();
    stale["expected"] = json!({"gained": gained + 1, "lost": 0});
    let r = app
        .call("POST", &format!("/api/v1/tags/{tag}/rules"), &office, stale)
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
    assert_eq!(tagged(&app, &office).await, before);
    let mut checked = rule.clone();
    checked["expected"] = json!({"gained": gained, "lost": 0});
    let r = app
        .call(
            "POST",
            &format!("/api/v1/tags/{tag}/rules"),
            &office,
            checked,
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    conforms(&doc, "post", "/api/v1/tags/{tag}/rules", 201, &r.json());
    assert_eq!(tagged(&app, &office).await, before + gained);
    let rid = r.json()["rule"]["id"].as_str().unwrap().to_string();
    // Removing it would take the tag from as many.
    let r = app
        .api(
            "GET",
            &format!("/api/v1/tags/{tag}/rules/{rid}/preview"),
            Some(&office),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let p = r.json();
    conforms(
        &doc,
        "get",
        "/api/v1/tags/{tag}/rules/{rule_id}/preview",
        200,
        &p,
    );
    assert_eq!(
        (p["gained"].as_u64(), p["lost"].as_u64()),
        (Some(0), Some(gained)),
        "{p}"
    );
    assert_eq!(p["rule"]["id"], rid.as_str());
    assert_eq!(tagged(&app, &office).await, before + gained);

    // The merge: a complaint visit to the entity of a drawn visit, in its period.
    let l = app
        .get_json("/api/v1/visits?status=scheduled&per_page=200", &office)
        .await;
    let random = l["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["visit"]["trigger"] == "random")
        .unwrap_or_else(|| panic!("{l}"))["visit"]
        .clone();
    let random_id = random["id"].as_str().unwrap().to_string();
    let pool = app
        .get_json("/api/v1/inspectors?per_page=200", &office)
        .await;
    let officers: Vec<Value> = pool["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["kind"] == "officer" && m["status"] == "active")
        .take(2)
        .map(|m| m["id"].clone())
        .collect();
    let items = app
        .get_json("/api/v1/items?status=published&per_page=200", &office)
        .await;
    let item = items["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["code"].as_str().unwrap().starts_with("WY-"))
        .unwrap()["id"]
        .clone();
    let end = random["period_end"].as_str().unwrap();
    let r = app
        .call(
            "POST",
            "/api/v1/visits",
            &office,
            json!({"usci": random["usci"], "item_ids": [item], "trigger": "complaint",
                   "trigger_note": "接群众举报", "inspector_ids": officers,
                   "period_start": end, "period_end": end}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let ad_hoc = r.json()["visit"]["id"].as_str().unwrap().to_string();
    let merge = format!("/api/v1/visits/{ad_hoc}/merge");
    // An inspector may not; a visit into itself is no merge; unknown fields are refused.
    let r = app
        .call("POST", &merge, &zhang, json!({"into": random_id}))
        .await;
    assert!(
        matches!(r.status, StatusCode::FORBIDDEN | StatusCode::NOT_FOUND),
        "{}",
        r.status
    );
    let r = app
        .call("POST", &merge, &office, json!({"into": ad_hoc}))
        .await;
    assert!(r.status.is_client_error(), "{}", r.body);
    let r = app
        .call("POST", &merge, &office, json!({"into": random_id, "x": 1}))
        .await;
    assert!(
        matches!(
            r.status,
            StatusCode::BAD_REQUEST | StatusCode::UNPROCESSABLE_ENTITY
        ),
        "{}",
        r.body
    );
    let r = app
        .call("POST", &merge, &office, json!({"into": random_id}))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let v = r.json();
    conforms(&doc, "post", "/api/v1/visits/{id}/merge", 200, &v);
    assert_eq!(v["visit"]["id"], random_id.as_str());
    assert!(
        v["visit"]["trigger_note"]
            .as_str()
            .unwrap()
            .contains("接群众举报"),
        "{v}"
    );
    let gone = app
        .get_json(&format!("/api/v1/visits/{ad_hoc}"), &office)
        .await;
    assert_eq!(gone["visit"]["status"], "cancelled");
    // Once merged, again is a conflict with the visit's state.
    let r = app
        .call("POST", &merge, &office, json!({"into": random_id}))
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
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
        (
            "finish",
            json!({"result": "已立案查处", "finding": "partly_substantiated"}),
            "market",
        ),
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

/// Every type the OpenAPI document describes has a name of its own: two `ToSchema` types of
/// the same name (say `TaskDetail` of sanctions and of consultations) would share one entry of
/// `components.schemas`, the later silently replacing the earlier, so that one operation is
/// documented with the other's body. Scans the workspace's sources for `ToSchema` derives and
/// their `#[schema(as = …)]` names.
#[test]
fn schema_names_are_unique() {
    fn rust_files(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
        for e in std::fs::read_dir(dir).unwrap().flatten() {
            let p = e.path();
            if p.is_dir() {
                rust_files(&p, out);
            } else if p.extension().is_some_and(|x| x == "rs") {
                out.push(p);
            }
        }
    }
    let crates = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut files = Vec::new();
    for c in ["domain", "store", "services", "http"] {
        rust_files(&crates.join(c).join("src"), &mut files);
    }
    let mut seen: std::collections::HashMap<String, String> = Default::default();
    let mut clashes = Vec::new();
    for f in &files {
        let text = std::fs::read_to_string(f).unwrap();
        let lines: Vec<&str> = text.lines().map(str::trim).collect();
        for (k, line) in lines.iter().enumerate() {
            // `labelled_enum!` derives ToSchema under the enum's own name.
            if line.starts_with("labelled_enum!(") {
                let name = lines[k + 1..]
                    .iter()
                    .find(|l| !l.starts_with("//") && !l.starts_with("#["))
                    .and_then(|l| l.split([' ', '{']).next())
                    .map(str::to_string);
                if let Some(name) = name {
                    let here = format!("{}:{}", f.display(), k + 1);
                    if let Some(before) = seen.insert(name.clone(), here.clone()) {
                        clashes.push(format!("{name}: {before} and {here}"));
                    }
                }
                continue;
            }
            if !(line.starts_with("#[derive(") && line.contains("ToSchema")) {
                continue;
            }
            // The attributes that follow the derive, up to the item.
            let mut alias = None;
            let mut item = None;
            for l in &lines[k + 1..] {
                if let Some(rest) = l.split("schema(as = ").nth(1) {
                    alias = rest.split(')').next().map(str::to_string);
                }
                if let Some(rest) = l
                    .strip_prefix("pub struct ")
                    .or_else(|| l.strip_prefix("pub enum "))
                    .or_else(|| l.strip_prefix("struct "))
                    .or_else(|| l.strip_prefix("enum "))
                {
                    item = rest
                        .split(|ch: char| !(ch.is_alphanumeric() || ch == '_'))
                        .next()
                        .map(str::to_string);
                    break;
                }
                if !l.starts_with("#[") && !l.starts_with("///") && !l.starts_with("//") {
                    break;
                }
            }
            let Some(item) = item else { continue };
            let name = alias.unwrap_or(item);
            let here = format!("{}:{}", f.display(), k + 1);
            if let Some(before) = seen.insert(name.clone(), here.clone()) {
                clashes.push(format!("{name}: {before} and {here}"));
            }
        }
    }
    assert!(seen.len() > 100, "found only {} schema types", seen.len());
    assert!(
        clashes.is_empty(),
        "schema names used twice:\n{}",
        clashes.join("\n")
    );
}
