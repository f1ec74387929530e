//! The directory, tags, items and 双告知 through the real router (API, console and portal), on
//! SQLite always and on PostgreSQL when `LIANJIAN_TEST_POSTGRES_URL` is set. The demo data
//! provides departments and accounts; every tag, item and entity a test relies on is created
//! here through the API, with codes and names the demo content does not use.

use crate::common::*;

use axum::http::StatusCode;
use lianjian_domain::usci::Usci;
use serde_json::{Value, json};

impl App {
    async fn post_json(&self, path: &str, token: &str, body: &Value) -> Resp {
        self.api("POST", path, Some(token), Some(&body.to_string()))
            .await
    }

    /// An API token for a user, issued through the service as the CLI would.

    async fn create_tag(&self, token: &str, body: Value) -> Value {
        let r = self.post_json("/api/v1/tags", token, &body).await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
        r.json()
    }

    async fn save_entity(&self, token: &str, body: Value) -> Value {
        let r = self.post_json("/api/v1/entities", token, &body).await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
        r.json()
    }

    /// The caller's queue entry for an entity (the demo data fills queues, so page through).

    async fn queued(&self, token: &str, entity_id: &str) -> Option<Value> {
        for page in 1.. {
            let q = self
                .get_json(&format!("/api/v1/claims?per_page=200&page={page}"), token)
                .await;
            let items = q["items"].as_array().unwrap();
            if let Some(c) = items.iter().find(|c| c["entity_id"] == entity_id) {
                return Some(c.clone());
            }
            if items.len() < 200 {
                return None;
            }
        }
        None
    }
}

/// A valid enterprise credit code registered in `region` (both check characters right), with an
/// organisation code no demo entity uses.
fn usci(region: &str, n: u32) -> String {
    let body = format!("{:08}", 73_500_000 + n);
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
    let code = format!("{first17}{check}");
    Usci::parse(&code).expect("generated code is valid");
    code
}

fn entity(code: &str, name: &str, region: &str) -> Value {
    json!({"usci": code, "name": name, "region_code": region})
}

fn today() -> String {
    chrono::Utc::now()
        .with_timezone(&chrono::FixedOffset::east_opt(8 * 3600).unwrap())
        .format("%Y-%m-%d")
        .to_string()
}

on_both_backends!(
    template = DEMO, setup = app;
    rule_tags_entities_and_bad_input_writes_nothing,
    items_validate_publish_version_and_show_on_portal,
    item_directory_counts_and_entity_search,
    other_county_cannot_see_the_entity,
    another_regions_office_cannot_change_a_tag,
    claims_accept_reject_escalate_assign,
    console_pages_render_and_keep_bad_input,
);

async fn rule_tags_entities_and_bad_input_writes_nothing(app: App) {
    let t = app.token("admin").await;
    let major = app
        .create_tag(
            &t,
            json!({"code": "测试行业", "name": "测试行业大类", "region_code": "411121"}),
        )
        .await;
    assert_eq!(major["level"], "major");
    let tag = app.create_tag(&t, json!({"code": "测试冷链", "name": "测试冷链食品", "parent": "测试行业", "region_code": "411121"})).await;
    assert_eq!(
        (tag["level"].as_str(), tag["parent_code"].as_str()),
        (Some("middle"), Some("测试行业"))
    );
    // A duplicate code is a conflict on the code field.
    let r = app
        .post_json(
            "/api/v1/tags",
            &t,
            &json!({"code": "测试冷链", "name": "重复", "region_code": "411121"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    assert_eq!(r.fields(), vec!["code"]);

    let r = app
        .post_json(
            &format!("/api/v1/tags/{}/rules", enc("测试冷链")),
            &t,
            &json!({"kind": "licence_type", "pattern": "测试冷链经营许可证"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let rule_id = r.json()["rule"]["id"].as_str().unwrap().to_string();
    let rules = app
        .get_json(
            &format!("/api/v1/tags/{}/rules", tag["id"].as_str().unwrap()),
            &t,
        )
        .await;
    assert_eq!(rules.as_array().unwrap().len(), 1);
    assert_eq!(rules[0]["kind_label"], "许可证类型");

    // An entity whose licence matches the rule gets the tag, with source "rule".
    let code = usci("411121", 1);
    let mut body = entity(&code, "舞阳县测试冷链仓储有限公司", "411121");
    body["licences"] = json!([{"licence_type": "测试冷链经营许可证", "number": "LL-0001", "valid_from": "2026-01-01", "valid_to": "2028-12-31"}]);
    let d = app.save_entity(&t, body.clone()).await;
    let id = d["entity"]["id"].as_str().unwrap().to_string();
    assert_eq!(d["entity"]["usci"], code.as_str());
    assert_eq!(
        d["entity"]["entity_type"], "enterprise",
        "from the code's second character"
    );
    let tags: Vec<(&str, &str)> = d["tags"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| (x["code"].as_str().unwrap(), x["source"].as_str().unwrap()))
        .collect();
    assert!(tags.contains(&("测试冷链", "rule")), "{tags:?}");
    assert_eq!(d["licences"][0]["number"], "LL-0001");
    assert_eq!(d["timeline"][0]["action"], "entity.create");
    // Posting the same code again updates (200), it does not duplicate.
    body["name"] = json!("舞阳县测试冷链仓储股份有限公司");
    let r = app.post_json("/api/v1/entities", &t, &body).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.json()["entity"]["id"], id.as_str());
    let found = app
        .get_json(&format!("/api/v1/entities?q={}", enc("冷链仓储")), &t)
        .await;
    assert_eq!(found["total"], 1, "{found}");

    // Hand-set tags: PUT adds with source manual, DELETE removes.
    let r = app
        .api(
            "PUT",
            &format!("/api/v1/entities/{id}/tags/{}", enc("测试行业")),
            Some(&t),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.body);
    let d = app.get_json(&format!("/api/v1/entities/{id}"), &t).await;
    assert!(
        d["tags"]
            .as_array()
            .unwrap()
            .iter()
            .any(|x| x["code"] == "测试行业" && x["source"] == "manual"),
        "{d}"
    );
    let r = app
        .api(
            "DELETE",
            &format!("/api/v1/entities/{id}/tags/{}", enc("测试行业")),
            Some(&t),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    let r = app
        .api(
            "PUT",
            &format!("/api/v1/entities/{id}/tags/{}", enc("没有这个标签")),
            Some(&t),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.fields(), vec!["tag"]);

    // Bad input: 422 naming the field, and nothing is written (no entity, no audit entry).
    let writes = async || {
        app.get_json("/api/v1/audit?per_page=1&action=entity.create", &t)
            .await["total"]
            .as_u64()
            .unwrap()
    };
    let audit_before = writes().await;
    let good = usci("411121", 2);
    let last = good.chars().last().unwrap();
    let wrong_check = format!("{}{}", &good[..17], if last == '1' { '2' } else { '1' });
    for (bad, code) in [
        (wrong_check.clone(), "usci_check_digit"),
        (
            format!("{}O{}", &good[..10], &good[11..]),
            "usci_forbidden_char",
        ),
    ] {
        let r = app
            .post_json(
                "/api/v1/entities",
                &t,
                &entity(&bad, "舞阳县测试错误代码商行", "411121"),
            )
            .await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{bad}: {}",
            r.body
        );
        let j = r.json();
        assert_eq!(j["error"]["details"][0]["field"], "usci");
        assert_eq!(j["error"]["details"][0]["code"], code, "{j}");
    }
    let r = app
        .post_json(
            "/api/v1/entities",
            &t,
            &entity(&good, "舞阳县测试错误代码商行", "419999"),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.fields(), vec!["region_code"]);
    assert_eq!(r.json()["error"]["details"][0]["code"], "unknown_region");
    let none = app
        .get_json(&format!("/api/v1/entities?q={}", enc("错误代码")), &t)
        .await;
    assert_eq!(none["total"], 0);
    assert_eq!(writes().await, audit_before);
    // Unknown filters are named too.
    let r = app
        .api("GET", "/api/v1/entities?credit=E", Some(&t), None)
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.fields(), vec!["credit"]);
    let r = app
        .api("GET", "/api/v1/entities?sort=size", Some(&t), None)
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);

    // Retiring a tag by PATCH; deleting the rule.
    let r = app
        .api(
            "PATCH",
            &format!("/api/v1/tags/{}", enc("测试冷链")),
            Some(&t),
            Some(&json!({"status": "retired", "description": "停用测试"}).to_string()),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(
        (r.json()["status"].as_str(), r.json()["name"].as_str()),
        (Some("retired"), Some("测试冷链食品"))
    );
    let r = app
        .api(
            "DELETE",
            &format!("/api/v1/tags/{}/rules/{rule_id}", enc("测试冷链")),
            Some(&t),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    assert_eq!(
        app.get_json(&format!("/api/v1/tags/{}/rules", enc("测试冷链")), &t)
            .await
            .as_array()
            .unwrap()
            .len(),
        0
    );
    // A rule added later reaches entities already in the directory; removing it takes the tag away.
    app.create_tag(
        &t,
        json!({"code": "测试后加", "name": "测试后加规则", "region_code": "411121"}),
    )
    .await;
    let r = app
        .post_json(
            &format!("/api/v1/tags/{}/rules", enc("测试后加")),
            &t,
            &json!({"kind": "licence_type", "pattern": "测试冷链经营许可证"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let late_rule = r.json()["rule"]["id"].as_str().unwrap().to_string();
    let has_late = |d: &Value| {
        d["tags"]
            .as_array()
            .unwrap()
            .iter()
            .any(|x| x["code"] == "测试后加" && x["source"] == "rule")
    };
    let d = app.get_json(&format!("/api/v1/entities/{id}"), &t).await;
    assert!(has_late(&d), "{}", d["tags"]);
    let r = app
        .api(
            "DELETE",
            &format!("/api/v1/tags/{}/rules/{late_rule}", enc("测试后加")),
            Some(&t),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    let d = app.get_json(&format!("/api/v1/entities/{id}"), &t).await;
    assert!(!has_late(&d), "{}", d["tags"]);
    // Inspectors may read the vocabulary but not change it.
    let inspector = app.token("wy.zhang").await;
    assert_eq!(
        app.api("GET", "/api/v1/tags", Some(&inspector), None)
            .await
            .status,
        StatusCode::OK
    );
    let r = app
        .post_json(
            "/api/v1/tags",
            &inspector,
            &json!({"code": "测试越权", "name": "越权", "region_code": "411121"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
}

/// A minimal valid item body.
fn item(code: &str, lead: &str, coop: &str, expr: &str) -> Value {
    json!({
        "code": code,
        "name": "测试冷库食品安全监管",
        "region_code": "411121",
        "implementation_level": "county",
        "lead": {"department_id": lead, "duties": "冷库食品安全日常监管", "legal_basis": "《中华人民共和国食品安全法》第五十四条"},
        "cooperating": [{"department_id": coop, "duties": "冷库消防安全检查", "legal_basis": "《中华人民共和国消防法》第十六条"}],
        "object_description": "辖区内冷链食品仓储企业",
        "object_expr": expr,
        "methods": ["现场检查", "written"],
        "default_frequency": "每年不少于 1 次",
        "check_points": [
            {"dimension": "环境", "content": "冷库温度记录是否完整", "legal_basis": "食品安全法第五十四条"},
            {"dimension": "人员", "content": "从业人员健康证明", "legal_basis": "食品安全法第四十五条"}
        ]
    })
}

async fn items_validate_publish_version_and_show_on_portal(app: App) {
    let t = app.token("admin").await;
    app.create_tag(
        &t,
        json!({"code": "测试冷库", "name": "测试冷库", "region_code": "411121"}),
    )
    .await;
    let market = app.department(&t, "411121", "市场监管").await;
    let fire = app.department(&t, "411121", "消防").await;

    // The lead department may not also cooperate.
    let r = app
        .post_json(
            "/api/v1/items",
            &t,
            &item("TEST-ITEM-01", &market, &market, "测试冷库"),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(
        r.fields().contains(&"cooperating[0]".to_string()),
        "{}",
        r.body
    );
    assert_eq!(
        r.json()["error"]["details"][0]["code"],
        "duplicate_department"
    );
    // Object expressions: unknown tags and unbalanced parentheses are named.
    for expr in [
        "测试冷库 AND 没有的标签",
        "(测试冷库 OR credit:C",
        "测试冷库 AND (credit:C))",
    ] {
        let r = app
            .post_json(
                "/api/v1/items",
                &t,
                &item("TEST-ITEM-01", &market, &fire, expr),
            )
            .await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{expr}: {}",
            r.body
        );
        assert_eq!(r.fields(), vec!["object_expr"], "{expr}: {}", r.body);
    }
    let r = app.get_json("/api/v1/items?q=TEST-ITEM", &t).await;
    assert_eq!(r["total"], 0, "nothing written");

    let r = app
        .post_json(
            "/api/v1/items",
            &t,
            &item("test-item-01", &market, &fire, "测试冷库 AND NOT credit:A"),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let it = r.json();
    let id = it["id"].as_str().unwrap().to_string();
    assert_eq!(
        (
            it["code"].as_str(),
            it["status"].as_str(),
            it["version"].as_i64()
        ),
        (Some("TEST-ITEM-01"), Some("draft"), Some(0))
    );
    assert_eq!(it["departments"].as_array().unwrap().len(), 2);
    assert_eq!(it["departments"][0]["role"], "lead");
    assert_eq!(it["methods"], json!(["on_site", "written"]));
    assert_eq!(it["check_points"][0]["dimension"], "environment");
    // A draft is not public, neither on the portal nor in the public API.
    assert!(!app.get("/items", None).await.body.contains("TEST-ITEM-01"));
    let public = app
        .api(
            "GET",
            "/api/v1/public/items?q=TEST-ITEM&per_page=200",
            None,
            None,
        )
        .await;
    assert_eq!(public.status, StatusCode::OK);
    assert_eq!(public.json()["total"], 0);
    assert_eq!(
        app.get("/items/TEST-ITEM-01", None).await.status,
        StatusCode::NOT_FOUND
    );

    // Publish: version 1. A later change needs a summary and makes version 2.
    let r = app
        .api(
            "POST",
            &format!("/api/v1/items/{id}/publish"),
            Some(&t),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(
        (r.json()["status"].as_str(), r.json()["version"].as_i64()),
        (Some("published"), Some(1))
    );
    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    let between = chrono::Utc::now();
    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    let mut changed = item("TEST-ITEM-01", &market, &fire, "测试冷库 AND NOT credit:A");
    changed["name"] = json!("测试冷库冷链食品安全监管");
    let r = app
        .api(
            "PUT",
            &format!("/api/v1/items/{id}"),
            Some(&t),
            Some(&changed.to_string()),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.fields(), vec!["summary"]);
    changed["summary"] = json!("名称增加“冷链”");
    let r = app
        .api(
            "PUT",
            &format!("/api/v1/items/{id}"),
            Some(&t),
            Some(&changed.to_string()),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.json()["version"], 2);
    let versions = app
        .get_json(&format!("/api/v1/items/{id}/versions"), &t)
        .await;
    assert_eq!(
        versions
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v["version"].as_i64().unwrap())
            .collect::<Vec<_>>(),
        vec![2, 1]
    );
    assert_eq!(versions[0]["summary"], "名称增加“冷链”");
    // The version in force: before the change, version 1 with the old name; today, version 2.
    let at = app
        .get_json(
            &format!(
                "/api/v1/items/{id}/version-at?date={}",
                enc(&between.to_rfc3339())
            ),
            &t,
        )
        .await;
    assert_eq!(
        (at["version"].as_i64(), at["item"]["name"].as_str()),
        (Some(1), Some("测试冷库食品安全监管"))
    );
    let at = app
        .get_json(
            &format!("/api/v1/items/{id}/version-at?date={}", today()),
            &t,
        )
        .await;
    assert_eq!(at["version"], 2);
    let yesterday = (chrono::Utc::now() - chrono::Duration::days(2))
        .format("%Y-%m-%d")
        .to_string();
    let r = app
        .api(
            "GET",
            &format!("/api/v1/items/{id}/version-at?date={yesterday}"),
            Some(&t),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert_eq!(r.json()["error"]["code"], "not_in_force");
    let r = app
        .api(
            "GET",
            &format!("/api/v1/items/{id}/version-at?date=2026-02-30"),
            Some(&t),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(r.fields(), vec!["date"]);

    // Lists filter by status and department.
    let r = app
        .get_json(
            &format!("/api/v1/items?status=published&department={fire}&q=TEST-ITEM"),
            &t,
        )
        .await;
    assert_eq!(r["total"], 1);
    let r = app
        .get_json("/api/v1/items?status=draft&q=TEST-ITEM", &t)
        .await;
    assert_eq!(r["total"], 0);
    let r = app
        .api("GET", "/api/v1/items?status=gone", Some(&t), None)
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.fields(), vec!["status"]);

    // The public sees published items without signing in.
    let public = app
        .api("GET", "/api/v1/public/items?q=TEST-ITEM", None, None)
        .await
        .json();
    assert_eq!(public["total"], 1, "{public}");
    assert_eq!(public["items"][0]["lead_department_name"], "县市场监管局");
    assert_eq!(
        public["items"][0]["departments"].as_array().unwrap().len(),
        2
    );
    let page = app.get("/items?q=TEST-ITEM", None).await;
    assert_eq!(page.status, StatusCode::OK);
    let fire_name = public["items"][0]["departments"][1]["department_name"]
        .as_str()
        .unwrap()
        .to_string();
    for text in [
        "测试冷库冷链食品安全监管",
        "县市场监管局",
        fire_name.as_str(),
        "《中华人民共和国食品安全法》第五十四条",
        "现场检查、书面检查",
        "每年不少于 1 次",
    ] {
        assert!(page.body.contains(text), "portal list lacks {text}");
    }
    let detail = app.get("/items/TEST-ITEM-01", None).await;
    assert_eq!(detail.status, StatusCode::OK);
    assert!(
        detail.body.contains("冷库温度记录是否完整")
            && detail.body.contains("环境")
            && detail.body.contains("第 2 版"),
        "{}",
        detail.body
    );
    let home = app.get("/", None).await;
    assert!(
        home.body.contains("href=\"/items\""),
        "the portal home links the item list"
    );

    // Retired items leave the portal.
    let r = app
        .api(
            "POST",
            &format!("/api/v1/items/{id}/retire"),
            Some(&t),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(
        !app.get("/items?q=TEST-ITEM", None)
            .await
            .body
            .contains("测试冷库冷链食品安全监管")
    );
    let r = app
        .api(
            "POST",
            &format!("/api/v1/items/{id}/retire"),
            Some(&t),
            None,
        )
        .await;
    assert_eq!(
        r.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "retired cannot be retired again"
    );
    // Inspectors cannot publish.
    let inspector = app.token("wy.zhang").await;
    assert_eq!(
        app.api(
            "POST",
            &format!("/api/v1/items/{id}/publish"),
            Some(&inspector),
            None
        )
        .await
        .status,
        StatusCode::FORBIDDEN
    );
}

async fn item_directory_counts_and_entity_search(app: App) {
    let t = app.token("admin").await;
    app.create_tag(
        &t,
        json!({"code": "测试名录", "name": "测试名录对象", "region_code": "4111"}),
    )
    .await;
    app.create_tag(
        &t,
        json!({"code": "测试重点", "name": "测试重点对象", "region_code": "4111"}),
    )
    .await;
    let market = app.department(&t, "411121", "市场监管").await;
    let fire = app.department(&t, "411121", "消防").await;
    // Three in 舞阳县 (A, B, ungraded), one in 临颍县 (C), one without the tag.
    let rows = [
        (
            1,
            "舞阳县璟琮测试甲商贸有限公司",
            "411121",
            "A",
            "测试名录,测试重点",
        ),
        (2, "舞阳县璟琮测试乙商贸有限公司", "411121", "B", "测试名录"),
        (3, "舞阳县测试丙商贸有限公司", "411121", "", "测试名录"),
        (4, "临颍县璟琮测试丁商贸有限公司", "411122", "C", "测试名录"),
        (5, "舞阳县璟琮测试戊商贸有限公司", "411121", "D", ""),
    ];
    let mut codes = Vec::new();
    for (n, name, region, credit, tags) in rows {
        let code = usci(region, 100 + n);
        let mut b = entity(&code, name, region);
        b["credit_class"] = json!(credit);
        b["tags"] = json!(
            tags.split(',')
                .filter(|s| !s.is_empty())
                .collect::<Vec<_>>()
        );
        app.save_entity(&t, b).await;
        codes.push(code);
    }
    let mut body = item("TEST-DIR-01", &market, &fire, "测试名录");
    body["region_code"] = json!("4111");
    body["implementation_level"] = json!("city");
    let r = app.post_json("/api/v1/items", &t, &body).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let id = r.json()["id"].as_str().unwrap().to_string();

    let d = app
        .get_json(&format!("/api/v1/items/{id}/directory?per_page=200"), &t)
        .await;
    assert_eq!(d["entities"]["total"], 4, "{d}");
    let mut counts: Vec<(String, String, Option<String>, u64)> = d["counts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["county_code"].as_str().unwrap().into(),
                c["county_name"].as_str().unwrap().into(),
                c["credit_class"].as_str().map(String::from),
                c["count"].as_u64().unwrap(),
            )
        })
        .collect();
    counts.sort();
    let expected: Vec<(String, String, Option<String>, u64)> = vec![
        ("411121".into(), "舞阳县".into(), None, 1),
        ("411121".into(), "舞阳县".into(), Some("A".into()), 1),
        ("411121".into(), "舞阳县".into(), Some("B".into()), 1),
        ("411122".into(), "临颍县".into(), Some("C".into()), 1),
    ];
    assert_eq!(counts, expected);
    // A county office sees only its county's part of the item's directory.
    let office = app.token("wy.office").await;
    let d = app
        .get_json(&format!("/api/v1/items/{id}/directory"), &office)
        .await;
    assert_eq!(d["entities"]["total"], 3);
    assert!(
        d["counts"]
            .as_array()
            .unwrap()
            .iter()
            .all(|c| c["county_code"] == "411121")
    );

    // Search: a two-character Chinese fragment, a credit-code prefix, tags, item coverage.
    let names = |v: &Value| -> Vec<String> {
        v["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["name"].as_str().unwrap().to_string())
            .collect()
    };
    let r = app
        .get_json(
            &format!("/api/v1/entities?q={}&per_page=200", enc("璟琮")),
            &t,
        )
        .await;
    assert_eq!(r["total"], 4, "{r}");
    assert!(names(&r).iter().all(|n| n.contains("璟琮")));
    let prefix = &codes[1][..14];
    let r = app
        .get_json(&format!("/api/v1/entities?q={prefix}"), &t)
        .await;
    assert!(
        r["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|e| e["usci"].as_str().unwrap().starts_with(prefix))
    );
    assert!(
        r["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["usci"] == codes[1].as_str()),
        "{r}"
    );
    let r = app
        .get_json(
            &format!("/api/v1/entities?tag={}&per_page=200", enc("测试名录")),
            &t,
        )
        .await;
    assert_eq!(r["total"], 4);
    for q in [
        format!("tag={}&tag={}", enc("测试名录"), enc("测试重点")),
        format!("tag={}", enc("测试名录,测试重点")),
    ] {
        let r = app.get_json(&format!("/api/v1/entities?{q}"), &t).await;
        assert_eq!(names(&r), vec!["舞阳县璟琮测试甲商贸有限公司"], "{q}");
    }
    let r = app
        .get_json(
            "/api/v1/entities?item=TEST-DIR-01&region=411121&sort=credit&per_page=200",
            &t,
        )
        .await;
    assert_eq!(r["total"], 3);
    let r = app
        .get_json(
            &format!("/api/v1/entities?q={}&credit=C,D&sort=name", enc("璟琮")),
            &t,
        )
        .await;
    assert_eq!(
        names(&r),
        vec![
            "临颍县璟琮测试丁商贸有限公司",
            "舞阳县璟琮测试戊商贸有限公司"
        ]
    );
    let r = app
        .get_json(
            &format!(
                "/api/v1/entities?q={}&entity_type=individual_business",
                enc("璟琮")
            ),
            &t,
        )
        .await;
    assert_eq!(r["total"], 0);
    let r = app
        .get_json(
            &format!(
                "/api/v1/entities?q={}&per_page=2&page=2&sort=usci",
                enc("璟琮")
            ),
            &t,
        )
        .await;
    assert_eq!(
        (
            r["total"].as_u64(),
            r["items"].as_array().unwrap().len(),
            r["page"].as_u64()
        ),
        (Some(4), 2, Some(2))
    );
    // The county's own staff search within the county only.
    let r = app
        .get_json(&format!("/api/v1/entities?q={}", enc("璟琮")), &office)
        .await;
    assert_eq!(r["total"], 3);
    let r = app
        .api("GET", "/api/v1/entities?region=411122", Some(&office), None)
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.fields(), vec!["region"]);
}

async fn other_county_cannot_see_the_entity(app: App) {
    let t = app.token("admin").await;
    // A market-supervision administrator in 临颍县, the neighbouring county.
    let r = app
        .post_json(
            "/api/v1/departments",
            &t,
            &json!({"region_code": "411122", "name": "临颍县市场监管局", "line": "market"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let dept = r.json()["id"].as_str().unwrap().to_string();
    let r = app
        .post_json("/api/v1/users", &t, &json!({"username": "ly.market", "display_name": "临颍县市场监管局管理员", "role": "department_admin", "department_id": dept, "password": "Strong-Pass-123"}))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let other = app.token("ly.market").await;
    let own = app.token("wy.market").await;

    let code = usci("411121", 300);
    let d = app
        .save_entity(&t, entity(&code, "舞阳县测试范围商店", "411121"))
        .await;
    let id = d["entity"]["id"].as_str().unwrap().to_string();
    assert_eq!(
        app.api("GET", &format!("/api/v1/entities/{id}"), Some(&own), None)
            .await
            .status,
        StatusCode::OK
    );
    let r = app
        .api("GET", &format!("/api/v1/entities/{id}"), Some(&other), None)
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert_eq!(r.json()["error"]["code"], "not_found");
    // The same as an id that does not exist, or is not an id at all.
    assert_eq!(
        app.api(
            "GET",
            &format!("/api/v1/entities/{}", uuid::Uuid::now_v7()),
            Some(&other),
            None
        )
        .await
        .status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.api("GET", "/api/v1/entities/not-an-id", Some(&other), None)
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.api(
            "PUT",
            &format!("/api/v1/entities/{id}/tags/x1"),
            Some(&other),
            None
        )
        .await
        .status,
        StatusCode::NOT_FOUND
    );
    let found = app
        .get_json(&format!("/api/v1/entities?q={}", enc("范围商店")), &other)
        .await;
    assert_eq!(found["total"], 0);
    let found = app
        .get_json(&format!("/api/v1/entities?q={}", enc("范围商店")), &own)
        .await;
    assert_eq!(found["total"], 1);
    // Nor can it take the entity over by saving its credit code with its own region.
    let r = app
        .post_json(
            "/api/v1/entities",
            &other,
            &entity(&code, "临颍县测试范围商店", "411122"),
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
    assert_eq!(r.fields(), vec!["usci"]);
    assert_eq!(
        app.get_json(&format!("/api/v1/entities/{id}"), &own).await["entity"]["region_code"],
        "411121"
    );
    // Nor create one in a region it does not manage.
    let r = app
        .post_json(
            "/api/v1/entities",
            &other,
            &entity(&usci("411121", 301), "舞阳县测试越界商店", "411121"),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.fields(), vec!["region_code"]);
    // The console says the same.
    let cookie = app.login("wy.leader").await;
    assert_eq!(
        app.get(&format!("/console/directory/{id}"), Some(&cookie))
            .await
            .status,
        StatusCode::OK
    );
}

async fn claims_accept_reject_escalate_assign(app: App) {
    let t = app.token("admin").await;
    let market = app.department(&t, "411121", "市场监管").await;
    let health = app.department(&t, "411121", "卫生健康").await;
    app.create_tag(&t, json!({"code": "测试食品", "name": "测试食品经营", "region_code": "411121", "owner_department_id": market})).await;
    app.create_tag(&t, json!({"code": "测试卫生", "name": "测试公共卫生", "region_code": "411121", "owner_department_id": health})).await;
    let wy_market = app.token("wy.market").await;
    let wy_health = app.token("wy.health").await;
    let office = app.token("wy.office").await;

    // Tagged for both: offered to both departments.
    let a = app
        .save_entity(&t, json!({"usci": usci("411121", 400), "name": "舞阳县测试双告知甲", "region_code": "411121", "tags": ["测试食品", "测试卫生"]}))
        .await;
    let a_id = a["entity"]["id"].as_str().unwrap().to_string();
    let mut depts: Vec<&str> = a["claims"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["department_name"].as_str().unwrap())
        .collect();
    depts.sort();
    assert_eq!(depts, vec!["县卫生健康委", "县市场监管局"], "{a}");
    assert!(
        a["claims"]
            .as_array()
            .unwrap()
            .iter()
            .all(|c| c["status"] == "pending")
    );

    let mc = app
        .queued(&wy_market, &a_id)
        .await
        .expect("in the market queue");
    assert_eq!(mc["entity_name"], "舞阳县测试双告知甲");
    assert!(mc["waiting_hours"].as_i64().unwrap() >= 0);
    let hc = app
        .queued(&wy_health, &a_id)
        .await
        .expect("in the health queue");
    // A department cannot decide another's claim (it looks absent).
    let r = app
        .api(
            "POST",
            &format!("/api/v1/claims/{}/accept", hc["id"].as_str().unwrap()),
            Some(&wy_market),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let r = app
        .api(
            "POST",
            &format!("/api/v1/claims/{}/accept", mc["id"].as_str().unwrap()),
            Some(&wy_market),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.body);
    assert!(
        app.queued(&wy_market, &a_id).await.is_none(),
        "decided claims leave the queue"
    );
    // Rejecting needs a reason.
    let path = format!("/api/v1/claims/{}/reject", hc["id"].as_str().unwrap());
    let r = app
        .api(
            "POST",
            &path,
            Some(&wy_health),
            Some(&json!({"reason": "  "}).to_string()),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.fields(), vec!["reason"]);
    let r = app
        .api(
            "POST",
            &path,
            Some(&wy_health),
            Some(&json!({"reason": "不涉及公共场所卫生"}).to_string()),
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.body);
    // Another department took it on, so nothing goes to the office.
    assert!(app.queued(&office, &a_id).await.is_none());
    let d = app.get_json(&format!("/api/v1/entities/{a_id}"), &t).await;
    let statuses: Vec<(&str, &str)> = d["claims"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["department_name"].as_str().unwrap(),
                c["status"].as_str().unwrap(),
            )
        })
        .collect();
    assert!(
        statuses.contains(&("县市场监管局", "accepted"))
            && statuses.contains(&("县卫生健康委", "rejected")),
        "{statuses:?}"
    );
    // Accepting tags the entity as claimed by the department, with source 双告知.
    assert!(
        d["tags"].as_array().unwrap().iter().any(|x| {
            x["code"].as_str().unwrap().starts_with("claimed.411121.")
                && x["source"] == "notification"
        }),
        "{}",
        d["tags"]
    );
    assert!(
        d["claims"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["reason"] == "不涉及公共场所卫生")
    );
    assert!(
        d["timeline"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["action"] == "claim.reject")
    );

    // Only one department, which rejects: escalated to the coordination office, which assigns.
    let b = app.save_entity(&t, json!({"usci": usci("411121", 401), "name": "舞阳县测试双告知乙", "region_code": "411121", "tags": ["测试卫生"]})).await;
    let b_id = b["entity"]["id"].as_str().unwrap().to_string();
    let hc = app
        .queued(&wy_health, &b_id)
        .await
        .expect("in the health queue");
    let r = app
        .api(
            "POST",
            &format!("/api/v1/claims/{}/reject", hc["id"].as_str().unwrap()),
            Some(&wy_health),
            Some(&json!({"reason": "应由市场监管部门监管"}).to_string()),
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    let esc = app
        .queued(&office, &b_id)
        .await
        .expect("escalated to the office");
    assert_eq!(esc["status"], "escalated");
    assert!(
        esc["matched_by"]
            .as_str()
            .unwrap()
            .contains("应由市场监管部门监管")
    );
    let path = format!("/api/v1/claims/{}/assign", esc["id"].as_str().unwrap());
    // Department administrators cannot assign; the office must name a department.
    assert_eq!(
        app.post_json(&path, &wy_market, &json!({"department_id": market}))
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    let r = app
        .post_json(&path, &office, &json!({"department_id": "nope"}))
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.fields(), vec!["department_id"]);
    let r = app
        .post_json(
            &path,
            &office,
            &json!({"department_id": market, "note": "经研判属食品经营"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.body);
    assert!(app.queued(&office, &b_id).await.is_none());
    let d = app.get_json(&format!("/api/v1/entities/{b_id}"), &t).await;
    assert!(
        d["claims"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["status"] == "assigned" && c["department_name"] == "县市场监管局"),
        "{d}"
    );

    // No owning tag at all: straight to the office.
    let c = app.save_entity(&t, json!({"usci": usci("411121", 402), "name": "舞阳县测试双告知丙", "region_code": "411121"})).await;
    let c_id = c["entity"]["id"].as_str().unwrap().to_string();
    assert!(app.queued(&office, &c_id).await.is_some());
    // Inspectors have no queue.
    let inspector = app.token("wy.zhang").await;
    assert_eq!(
        app.api("GET", "/api/v1/claims", Some(&inspector), None)
            .await
            .status,
        StatusCode::FORBIDDEN
    );

    // The console queue shows the office's escalation with an assignment form, and keeps a bad
    // rejection's input on the department's page.
    let cookie = app.login("wy.office").await;
    let page = app.get("/console/claims?per_page=200", Some(&cookie)).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.body.contains("/assign") && page.body.contains("舞阳县测试双告知丙"),
        "{}",
        &page.body[..page.body.len().min(3000)]
    );
    let cookie = app.login("wy.health").await;
    let page = app.get("/console/claims", Some(&cookie)).await;
    assert_eq!(page.status, StatusCode::OK);
    let d = app.save_entity(&t, json!({"usci": usci("411121", 403), "name": "舞阳县测试双告知丁", "region_code": "411121", "tags": ["测试卫生"]})).await;
    let hc = app
        .queued(&wy_health, d["entity"]["id"].as_str().unwrap())
        .await
        .unwrap();
    let csrf = csrf_of(&page.body);
    let r = app
        .form(
            &format!("/console/claims/{}/reject", hc["id"].as_str().unwrap()),
            Some(&cookie),
            &format!("_csrf={csrf}&reason="),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        r.body.contains("退回须说明理由"),
        "the reason is asked for next to the claim"
    );
    let r = app
        .form(
            &format!("/console/claims/{}/accept", hc["id"].as_str().unwrap()),
            Some(&cookie),
            &format!("_csrf={csrf}"),
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
}

async fn console_pages_render_and_keep_bad_input(app: App) {
    let t = app.token("admin").await;
    let tag = app
        .create_tag(
            &t,
            json!({"code": "测试页面", "name": "测试页面标签", "region_code": "411121"}),
        )
        .await;
    app.post_json(
        &format!("/api/v1/tags/{}/rules", enc("测试页面")),
        &t,
        &json!({"kind": "scope_keyword", "pattern": "测试页面关键词"}),
    )
    .await;
    let mut b = entity(&usci("411121", 500), "舞阳县测试页面餐馆", "411121");
    b["business_scope"] = json!("测试页面关键词；餐饮服务");
    b["licences"] = json!([{"licence_type": "测试页面许可证", "number": "YM-1"}]);
    let e = app.save_entity(&t, b).await;
    let eid = e["entity"]["id"].as_str().unwrap().to_string();
    let market = app.department(&t, "411121", "市场监管").await;
    let fire = app.department(&t, "411121", "消防").await;
    let it = app
        .post_json(
            "/api/v1/items",
            &t,
            &item("TEST-PAGE-01", &market, &fire, "测试页面"),
        )
        .await
        .json();
    let iid = it["id"].as_str().unwrap().to_string();
    app.api(
        "POST",
        &format!("/api/v1/items/{iid}/publish"),
        Some(&t),
        None,
    )
    .await;

    let cookie = app.login("admin").await;
    let home = app.get("/console", Some(&cookie)).await;
    assert!(
        home.body.contains("href=\"/console/items\"")
            && home.body.contains("href=\"/console/directory\""),
        "items and directory are live"
    );
    // Every business area is built now: each card links to its page, none says 建设中.
    assert!(
        home.body.contains("双随机联合抽查") && !home.body.contains("建设中"),
        "every area is live"
    );
    let pages = [
        "/console/directory".to_string(),
        format!("/console/directory?q={}&sort=credit", enc("测试页面")),
        "/console/directory?usci=91411121".to_string(),
        format!(
            "/console/directory?tag={}&item=TEST-PAGE-01",
            enc("测试页面")
        ),
        "/console/directory/new".to_string(),
        format!("/console/directory/{eid}"),
        format!("/console/directory/{eid}/edit"),
        "/console/tags".to_string(),
        format!("/console/tags/{}", tag["id"].as_str().unwrap()),
        "/console/items".to_string(),
        "/console/items?status=published".to_string(),
        "/console/items/new".to_string(),
        format!("/console/items/{iid}"),
        format!("/console/items/{iid}?at={}", today()),
        format!("/console/items/{iid}/edit"),
        format!("/console/items/{iid}/directory"),
        "/console/claims".to_string(),
    ];
    for p in &pages {
        let r = app.get(p, Some(&cookie)).await;
        assert_eq!(
            r.status,
            StatusCode::OK,
            "{p}: {}",
            &r.body[..r.body.len().min(2000)]
        );
        assert!(r.body.contains("<main>"), "{p}");
    }
    let d = app
        .get(&format!("/console/directory/{eid}"), Some(&cookie))
        .await
        .body;
    for text in [
        "测试页面标签",
        "规则",
        "测试页面许可证",
        "TEST-PAGE-01",
        "新增监管对象",
    ] {
        assert!(d.contains(text), "entity page lacks {text}");
    }
    let l = app
        .get(
            &format!("/console/directory?q={}", enc("测试页面")),
            Some(&cookie),
        )
        .await
        .body;
    assert!(
        l.contains("舞阳县测试页面餐馆") && l.contains("sort=usci"),
        "sortable columns"
    );
    let tags = app.get("/console/tags", Some(&cookie)).await.body;
    assert!(
        tags.contains("测试页面关键词") && tags.contains("data-confirm"),
        "rules with a confirmed delete"
    );
    let i = app
        .get(&format!("/console/items/{iid}"), Some(&cookie))
        .await
        .body;
    assert!(
        i.contains("冷库温度记录是否完整")
            && i.contains("第 1 版")
            && i.contains("/retire")
            && i.contains("data-confirm")
    );
    let dir = app
        .get(&format!("/console/items/{iid}/directory"), Some(&cookie))
        .await
        .body;
    assert!(dir.contains("舞阳县测试页面餐馆") && dir.contains("未分类"));
    let empty = app
        .get(
            &format!("/console/directory?q={}", enc("不存在的名称片段")),
            Some(&cookie),
        )
        .await
        .body;
    assert!(empty.contains("没有符合条件的监管对象"));

    // Bad input on the console: shown next to its field, with what was typed kept.
    let csrf = csrf_of(&home.body);
    let good = usci("411121", 501);
    let bad = format!(
        "{}{}",
        &good[..17],
        if good.ends_with('1') { '2' } else { '1' }
    );
    let body = format!(
        "_csrf={csrf}&usci={bad}&name={}&region_code=411121&credit_class=&lic_type={}&lic_number=X&lic_issuer=&lic_from=&lic_to=",
        enc("舞阳县测试表单商店"),
        enc("测试许可证")
    );
    let r = app.form("/console/directory", Some(&cookie), &body).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(
        r.body.contains("校验码不符")
            && r.body.contains(&format!("value=\"{bad}\""))
            && r.body.contains("value=\"舞阳县测试表单商店\"")
    );
    assert!(
        r.body.contains("许可证编号至少 2 个字符"),
        "the licence row's error is shown"
    );
    // Item form: the duplicated department is flagged on its row, the typed name kept.
    let body = format!(
        "_csrf={csrf}&code=TEST-PAGE-02&name={}&region_code=411121&implementation_level=county&lead_department_id={market}&lead_duties={}&lead_legal_basis={}&coop_department_id={market}&coop_duties={}&coop_legal_basis={}&object_description={}&object_expr={}&methods=on_site",
        enc("测试表单事项"),
        enc("日常监管"),
        enc("食品安全法"),
        enc("配合检查"),
        enc("消防法"),
        enc("测试对象描述"),
        enc("(测试页面"),
    );
    let r = app.form("/console/items", Some(&cookie), &body).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        r.body.contains("牵头部门不能同时列为配合部门")
            && r.body.contains("value=\"测试表单事项\"")
            && r.body.contains("value=\"(测试页面\""),
        "{}",
        r.body
    );
    // Publishing from the console, and the version picker.
    let r = app
        .form(
            &format!("/console/items/{iid}/retire"),
            Some(&cookie),
            &format!("_csrf={csrf}"),
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let r = app
        .get(
            &format!("/console/items/{iid}?ok=retired&at=2000-01-01"),
            Some(&cookie),
        )
        .await;
    assert!(r.body.contains("已停用") && r.body.contains("尚未发布"));
    // Adding a tag from the entity page.
    let r = app
        .form(
            &format!("/console/directory/{eid}/tags"),
            Some(&cookie),
            &format!("_csrf={csrf}&tag="),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let r = app
        .form(
            "/console/tags",
            Some(&cookie),
            &format!(
                "_csrf={csrf}&code=a%20b&name={}&region_code=411121",
                enc("坏代码")
            ),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("标签代码“a b”不正确") && r.body.contains("value=\"坏代码\""));
    // Inspectors read the directory but get no edit buttons.
    let cookie = app.login("wy.zhang").await;
    let r = app.get("/console/directory", Some(&cookie)).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(!r.body.contains("/console/directory/new"));
    assert_eq!(
        app.get("/console/claims", Some(&cookie)).await.status,
        StatusCode::FORBIDDEN
    );
}

/// A tag's current region decides who may change it: an office whose scope does not hold the
/// tag's region can neither add nor remove its rules (re-tagging that region's entities, and so
/// its item directories and draw pools), nor move or retire it — not even to its own region.
async fn another_regions_office_cannot_change_a_tag(app: App) {
    let admin = app.token("admin").await;
    let wuyang_office = app.token("wy.office").await;
    let shandong_office = app.token("sd.office").await;
    app.create_tag(
        &admin,
        json!({"code": "测试跨区", "name": "测试跨区标签", "region_code": "411121"}),
    )
    .await;
    let rules = format!("/api/v1/tags/{}/rules", enc("测试跨区"));
    let r = app
        .post_json(
            &rules,
            &admin,
            &json!({"kind": "licence_type", "pattern": "测试跨区许可证"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let rule_id = r.json()["rule"]["id"].as_str().unwrap().to_string();

    let add = json!({"kind": "scope_keyword", "pattern": "餐饮"});
    let r = app.post_json(&rules, &shandong_office, &add).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "add a rule: {}", r.body);
    let r = app
        .api(
            "DELETE",
            &format!("{rules}/{rule_id}"),
            Some(&shandong_office),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "remove a rule: {}", r.body);
    let tag = format!("/api/v1/tags/{}", enc("测试跨区"));
    for change in [json!({"region_code": "37"}), json!({"status": "retired"})] {
        let r = app
            .api(
                "PATCH",
                &tag,
                Some(&shandong_office),
                Some(&change.to_string()),
            )
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{change}: {}", r.body);
    }
    // Nothing changed: the rule is still there, the tag still active in its county.
    let now = app.get_json(&rules, &admin).await;
    assert_eq!(now.as_array().unwrap().len(), 1, "{now}");
    let all = app.get_json("/api/v1/tags", &admin).await;
    let t = all
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["code"] == "测试跨区")
        .unwrap();
    assert_eq!(
        (t["status"].as_str(), t["region_code"].as_str()),
        (Some("active"), Some("411121"))
    );

    // The county's own office may.
    let r = app.post_json(&rules, &wuyang_office, &add).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
}
