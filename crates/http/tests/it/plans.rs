//! Annual inspection plans (年度抽查工作计划) through the real router (API, console and portal), on
//! SQLite always and on PostgreSQL when `LIANJIAN_TEST_POSTGRES_URL` is set. The demo data
//! provides Wuyang's departments, accounts, the 8 joint items and their 2026 plans (six
//! published, one submitted late, one draft); tests file new plans for other years.

use crate::common::*;

use axum::http::{StatusCode, header};
use chrono::Datelike;
use serde_json::{Value, json};

impl App {
    async fn act(&self, token: &str, id: &str, action: &str) -> Resp {
        self.api(
            "POST",
            &format!("/api/v1/plans/{id}/{action}"),
            Some(token),
            None,
        )
        .await
    }

    /// Actions recorded about one plan, oldest first.
    async fn plan_actions(&self, id: &str) -> Vec<String> {
        lianjian_store::audit::of_object(self.svc.store.conn(), "plan", id, 100)
            .await
            .unwrap()
            .into_iter()
            .map(|e| e.action)
            .collect()
    }

    async fn plan_count(&self) -> u64 {
        lianjian_store::plans::count(self.svc.store.conn())
            .await
            .unwrap()
    }
}

fn this_year() -> i32 {
    chrono::Utc::now()
        .with_timezone(&chrono::FixedOffset::east_opt(8 * 3600).unwrap())
        .year()
}

/// A plan body for item `item` and `year`, the rest left to defaults.
fn plan(item: &str, year: i32) -> Value {
    json!({
        "item": item,
        "year": year.to_string(),
        "period_start": format!("{year}-04-01"),
        "period_end": format!("{year}-09-30"),
        "ratio_a": "2.5%",
        "ratio_c": "35",
        "qualifications": ["食品安全"],
    })
}

fn form(pairs: &[(&str, &str)]) -> String {
    pairs
        .iter()
        .map(|(k, v)| format!("{k}={}", enc(v)))
        .collect::<Vec<_>>()
        .join("&")
}

on_both_backends!(
    template = DEMO, setup = app;
    lifecycle_is_audited,
    illegal_moves_are_refused_with_a_reason,
    only_the_lead_line_files_and_only_the_office_decides,
    bad_input_names_every_field_and_writes_nothing,
    late_flag_after_march,
    annual_plan_table_and_xlsx,
    public_sees_published_plans_only,
    console_pages_forms_and_actions,
);

async fn lifecycle_is_audited(app: App) {
    let market = app.token("wy.market").await;
    let office = app.token("wy.office").await;
    let year = this_year() + 1;

    let r = app
        .post("/api/v1/plans", &market, &plan("wy-2024-01", year))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let p = r.json();
    let id = p["id"].as_str().unwrap().to_string();
    assert_eq!(p["code"], format!("WY-2024-01-{year}-01"));
    assert_eq!(p["status"], "draft");
    assert_eq!(p["item_name"], "食品生产企业综合监管");
    assert_eq!(p["region_code"], "411121", "defaults to the actor's county");
    // Given ratios as typed; the rest are the defaults for a key item (D fully covered).
    assert_eq!(
        [
            &p["ratios"]["a"]["percent"],
            &p["ratios"]["b"]["percent"],
            &p["ratios"]["c"]["percent"],
            &p["ratios"]["d"]["percent"],
            &p["ratios"]["ungraded"]["percent"]
        ],
        ["2.5%", "10%", "35%", "100%", "10%"]
    );
    assert_eq!(p["ratios"]["a"]["per_mille"], 25);
    assert_eq!(
        (
            p["cooldown_months"].as_u64(),
            p["inspectors_per_visit"].as_u64()
        ),
        (Some(6), Some(2))
    );
    assert_eq!(p["lead_department"]["name"], "县市场监管局");
    // All of the item's cooperating departments take part by default.
    let coop: Vec<&str> = p["cooperating_departments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["name"].as_str().unwrap())
        .collect();
    assert_eq!(coop, vec!["县应急管理局", "市生态环境局舞阳分局"]);
    let emergency = p["cooperating_departments"][0]["id"]
        .as_str()
        .unwrap()
        .to_string();

    // A second plan of the same item and year gets the next number.
    let r = app
        .post("/api/v1/plans", &market, &plan("WY-2024-01", year))
        .await;
    assert_eq!(r.json()["code"], format!("WY-2024-01-{year}-02"));

    // Edit the draft: a narrowing expression, fewer cooperating departments.
    let mut b = plan("WY-2024-01", year);
    b["narrowing_expr"] = json!("获证食品生产企业 AND credit:C,D");
    b["cooperating"] = json!([emergency]);
    b["inspectors_per_visit"] = json!("3");
    let r = app
        .api(
            "PUT",
            &format!("/api/v1/plans/{id}"),
            Some(&market),
            Some(&b.to_string()),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let p = r.json();
    assert_eq!(p["narrowing_expr"], "获证食品生产企业 AND credit:C,D");
    assert_eq!(p["cooperating_departments"].as_array().unwrap().len(), 1);
    assert_eq!(p["inspectors_per_visit"], 3);

    // Submit, return with a reason, submit again, approve, publish.
    let r = app.act(&market, &id, "submit").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(
        (r.json()["status"].as_str(), r.json()["late"].as_bool()),
        (Some("submitted"), Some(false))
    );
    assert!(r.json()["submitted_at"].is_string());
    let r = app
        .post(
            &format!("/api/v1/plans/{id}/return"),
            &office,
            &json!({"reason": " "}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert_eq!(r.fields(), vec!["reason"]);
    let r = app
        .post(
            &format!("/api/v1/plans/{id}/return"),
            &office,
            &json!({"reason": "D类比例与上年检查发现问题情况不符，请补充说明"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.json()["status"], "draft");
    assert_eq!(
        r.json()["return_reason"],
        "D类比例与上年检查发现问题情况不符，请补充说明"
    );
    assert_eq!(app.act(&market, &id, "submit").await.status, StatusCode::OK);
    let r = app.act(&office, &id, "approve").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.json()["status"], "approved");
    assert!(
        r.json()["return_reason"].is_null(),
        "cleared when submitted again"
    );
    let r = app.act(&office, &id, "publish").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.json()["status"], "published");
    assert!(r.json()["published_at"].is_string());

    assert_eq!(
        app.plan_actions(&id).await,
        vec![
            "plan.create",
            "plan.update",
            "plan.submit",
            "plan.return",
            "plan.submit",
            "plan.approve",
            "plan.publish"
        ]
    );
    let entries = lianjian_store::audit::of_object(app.svc.store.conn(), "plan", &id, 100)
        .await
        .unwrap();
    let ret = entries.iter().find(|e| e.action == "plan.return").unwrap();
    assert_eq!(ret.actor_name, "wy.office");
    assert!(ret.after.as_deref().unwrap().contains("补充说明"));
    assert_eq!(ret.region_code.as_deref(), Some("411121"));
    let admin = app.token("admin").await;
    let v = app.get_json("/api/v1/audit/verify", &admin).await;
    assert_eq!(v["intact"], true, "{v}");

    // The draw service's moves: published → in progress → completed, audited in its transaction.
    let actor = lianjian_services::cli_actor();
    let uid = uuid::Uuid::parse_str(&id).unwrap();
    let tx = app.svc.store.begin().await.unwrap();
    let moved = lianjian_services::plans::mark_in_progress(&tx, &actor, &[uid])
        .await
        .unwrap();
    tx.commit().await.unwrap();
    assert_eq!(moved[0].status.as_str(), "in_progress");
    let tx = app.svc.store.begin().await.unwrap();
    lianjian_services::plans::complete(&tx, &actor, &[uid])
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let p = app.get_json(&format!("/api/v1/plans/{id}"), &market).await;
    assert_eq!(p["status"], "completed");
    assert_eq!(
        app.plan_actions(&id).await[7..],
        ["plan.start".to_string(), "plan.complete".to_string()]
    );
    // A draft cannot be started by a draw; the error names the plan and nothing changes.
    let draft = app
        .get_json(&format!("/api/v1/plans?year={year}&status=draft"), &market)
        .await;
    let draft_id = uuid::Uuid::parse_str(draft["items"][0]["id"].as_str().unwrap()).unwrap();
    let tx = app.svc.store.begin().await.unwrap();
    let e = lianjian_services::plans::mark_in_progress(&tx, &actor, &[uid, draft_id])
        .await
        .unwrap_err();
    drop(tx);
    assert!(
        format!("{e:?}").contains(&format!("WY-2024-01-{year}-02")),
        "{e:?}"
    );
}

async fn illegal_moves_are_refused_with_a_reason(app: App) {
    let market = app.token("wy.market").await;
    let office = app.token("wy.office").await;
    let year = this_year() + 1;
    let id = app
        .post("/api/v1/plans", &market, &plan("WY-2024-02", year))
        .await
        .json()["id"]
        .as_str()
        .unwrap()
        .to_string();
    // Publishing or approving a draft: 422 on the status field, saying why.
    for action in ["publish", "approve"] {
        let r = app.act(&office, &id, action).await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{action}: {}",
            r.body
        );
        assert_eq!(r.fields(), vec!["status"]);
        let msg = r.json()["error"]["message"].as_str().unwrap().to_string();
        assert!(msg.contains("草稿"), "{msg}");
        assert_eq!(r.json()["error"]["details"][0]["code"], "transition");
    }
    let r = app
        .post(
            &format!("/api/v1/plans/{id}/return"),
            &office,
            &json!({"reason": "退回测试"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(app.act(&market, &id, "submit").await.status, StatusCode::OK);
    // Submitting twice, and editing a submitted plan, are refused.
    let r = app.act(&market, &id, "submit").await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        r.json()["error"]["message"]
            .as_str()
            .unwrap()
            .contains("已报送")
    );
    let r = app
        .api(
            "PUT",
            &format!("/api/v1/plans/{id}"),
            Some(&market),
            Some(&plan("WY-2024-02", year).to_string()),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert_eq!(r.fields(), vec!["status"]);
    assert_eq!(r.json()["error"]["details"][0]["code"], "not_editable");
    assert!(
        r.json()["error"]["message"]
            .as_str()
            .unwrap()
            .contains("只有草稿可以修改")
    );
    // Publishing before approval is refused too.
    let r = app.act(&office, &id, "publish").await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        app.plan_actions(&id).await,
        vec!["plan.create", "plan.submit"],
        "refused moves leave no trace"
    );
    // The item of a plan cannot change.
    let id2 = app
        .post("/api/v1/plans", &market, &plan("WY-2024-02", year))
        .await
        .json()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let r = app
        .api(
            "PUT",
            &format!("/api/v1/plans/{id2}"),
            Some(&market),
            Some(&plan("WY-2024-03", year).to_string()),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.fields(), vec!["item"]);
}

async fn only_the_lead_line_files_and_only_the_office_decides(app: App) {
    let market = app.token("wy.market").await;
    let health = app.token("wy.health").await;
    let leader = app.token("wy.leader").await;
    let office = app.token("wy.office").await;
    let sd_office = app.token("sd.office").await;
    let year = this_year() + 1;
    // 县卫生健康委 does not lead 食品生产企业综合监管 (the market line does).
    let r = app
        .post("/api/v1/plans", &health, &plan("WY-2024-01", year))
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
    // …but leads 涉医疗美容经营活动综合监管.
    let r = app
        .post("/api/v1/plans", &health, &plan("WY-2024-07", year))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    // Leaders read only; another province's office does not see Wuyang's items.
    assert_eq!(
        app.post("/api/v1/plans", &leader, &plan("WY-2024-01", year))
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    let r = app
        .post("/api/v1/plans", &sd_office, &plan("WY-2024-01", year))
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.fields(), vec!["item"]);
    // A plan's scope stays inside the item's region and the filer's.
    let mut b = plan("WY-2024-01", year);
    b["region_code"] = json!("411122");
    let r = app.post("/api/v1/plans", &market, &b).await;
    assert_eq!(r.fields(), vec!["region_code"], "{}", r.body);

    let id = app
        .post("/api/v1/plans", &market, &plan("WY-2024-01", year))
        .await
        .json()["id"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(
        app.act(&health, &id, "submit").await.status,
        StatusCode::NOT_FOUND,
        "not health's to see"
    );
    assert_eq!(app.act(&market, &id, "submit").await.status, StatusCode::OK);
    // A department administrator cannot approve, not even its own plan.
    let r = app.act(&market, &id, "approve").await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
    assert_eq!(
        app.act(&leader, &id, "approve").await.status,
        StatusCode::FORBIDDEN
    );
    // Another region's coordination office does not see the plan at all.
    assert_eq!(
        app.act(&sd_office, &id, "approve").await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.act(&office, &id, "approve").await.status,
        StatusCode::OK
    );

    // Scope in lists: health sees the plans its line takes part in (it cooperates on
    // 医疗器械使用单位综合监管 and leads 医疗美容), not the market's food plans.
    let mine = app
        .get_json("/api/v1/plans?year=2026&per_page=200", &health)
        .await;
    let codes: Vec<&str> = mine["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["code"].as_str().unwrap())
        .collect();
    assert!(
        codes.contains(&"WY-2024-06-2026-01") && codes.contains(&"WY-2024-07-2026-01"),
        "{codes:?}"
    );
    assert!(!codes.contains(&"WY-2024-01-2026-01"), "{codes:?}");
    let all = app.get_json("/api/v1/plans?year=2026", &office).await;
    assert_eq!(all["total"], 8);
    let none = app.get_json("/api/v1/plans?year=2026", &sd_office).await;
    assert_eq!(none["total"], 0);
}

async fn bad_input_names_every_field_and_writes_nothing(app: App) {
    let market = app.token("wy.market").await;
    let year = this_year() + 1;
    let before = app.plan_count().await;
    let body = json!({
        "item": "WY-2024-01",
        "year": year.to_string(),
        "period_start": format!("{}-12-01", year - 1),
        "period_end": format!("{year}-06-30"),
        "ratio_a": "120%",
        "ratio_b": "abc",
        "ratio_c": "2.55",
        "inspectors_per_visit": "1",
        "cooldown_months": "40",
        "narrowing_expr": "获证食品生产企业 AND 没有的标签",
    });
    let r = app.post("/api/v1/plans", &market, &body).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    let mut fields = r.fields();
    fields.sort();
    assert_eq!(
        fields,
        vec![
            "cooldown_months",
            "inspectors_per_visit",
            "narrowing_expr",
            "period_start",
            "ratio_a",
            "ratio_b",
            "ratio_c"
        ]
    );
    let details = r.json()["error"]["details"].as_array().unwrap().clone();
    let msg = |f: &str| {
        details
            .iter()
            .find(|d| d["field"] == f)
            .map(|d| d["message"].as_str().unwrap().to_string())
            .unwrap()
    };
    assert!(msg("ratio_a").contains("120%"), "{}", msg("ratio_a"));
    assert!(msg("ratio_b").contains("abc"));
    assert!(msg("inspectors_per_visit").contains("“1”"));
    assert!(
        msg("period_start").contains(&format!("{year} 年")),
        "{}",
        msg("period_start")
    );
    // The unknown tag is named with its column (获证食品生产企业 AND  is 13 characters).
    assert!(
        msg("narrowing_expr").contains("第 14 列") && msg("narrowing_expr").contains("没有的标签"),
        "{}",
        msg("narrowing_expr")
    );
    // A syntax error in the expression also carries its column; the end before the start too.
    let mut b = plan("WY-2024-01", year);
    b["narrowing_expr"] = json!("(获证食品生产企业 OR credit:C");
    b["period_start"] = json!(format!("{year}-09-01"));
    b["period_end"] = json!(format!("{year}-08-01"));
    b["cooperating"] = json!([uuid::Uuid::nil().to_string()]);
    b["year"] = json!(year.to_string());
    let r = app.post("/api/v1/plans", &market, &b).await;
    let mut fields = r.fields();
    fields.sort();
    assert_eq!(
        fields,
        vec!["cooperating", "narrowing_expr", "period_end"],
        "{}",
        r.body
    );
    assert!(r.body.contains("列"), "{}", r.body);
    let r = app
        .post(
            "/api/v1/plans",
            &market,
            &json!({"item": "WY-2024-01", "year": "26"}),
        )
        .await;
    assert_eq!(r.fields(), vec!["year"]);
    let r = app
        .post(
            "/api/v1/plans",
            &market,
            &json!({"item": "NO-SUCH", "year": "2027"}),
        )
        .await;
    assert_eq!(r.fields(), vec!["item"]);
    // Malformed JSON and unknown fields are named too.
    let r = app
        .post(
            "/api/v1/plans",
            &market,
            &json!({"year": "2027", "colour": "red"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.body);
    assert_eq!(app.plan_count().await, before, "nothing written");
}

async fn late_flag_after_march(app: App) {
    let market = app.token("wy.market").await;
    let office = app.token("wy.office").await;
    // Filed for last year: late whatever today is; for next year: on time.
    let last = this_year() - 1;
    let id = app
        .post("/api/v1/plans", &market, &plan("WY-2024-03", last))
        .await
        .json()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let r = app.act(&market, &id, "submit").await;
    assert_eq!(r.json()["late"], true, "{}", r.body);
    let next = this_year() + 1;
    let id = app
        .post("/api/v1/plans", &market, &plan("WY-2024-03", next))
        .await
        .json()["id"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(app.act(&market, &id, "submit").await.json()["late"], false);
    // The demo's 重点工业产品 plan was submitted on 15 April 2026: the only late one of 2026.
    let late = app
        .get_json("/api/v1/plans?year=2026&late=true", &office)
        .await;
    assert_eq!(late["total"], 1, "{late}");
    assert_eq!(late["items"][0]["code"], "WY-2024-05-2026-01");
    assert_eq!(late["items"][0]["status"], "submitted");
    let r = app
        .api(
            "GET",
            "/api/v1/plans?late=maybe&year=20",
            Some(&office),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let mut f = r.fields();
    f.sort();
    assert_eq!(f, vec!["late", "year"]);
}

async fn annual_plan_table_and_xlsx(app: App) {
    let office = app.token("wy.office").await;
    let market = app.token("wy.market").await;
    let a = app
        .get_json("/api/v1/plans/annual?year=2026", &office)
        .await;
    assert_eq!(a["region_code"], "411121");
    assert_eq!(a["plans"].as_array().unwrap().len(), 8, "{a}");
    let counts: Vec<(String, u64)> = a["counts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["status"].as_str().unwrap().to_string(),
                c["count"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        counts,
        vec![
            ("draft".to_string(), 1),
            ("submitted".to_string(), 1),
            // The demo's fourth-quarter draw took the six published plans.
            ("in_progress".to_string(), 6)
        ]
    );
    assert_eq!(a["late"], 1);
    assert_eq!(a["plans"][0]["code"], "WY-2024-01-2026-01");
    // Department administrators do not see the aggregation; a bad year is named.
    let r = app
        .api("GET", "/api/v1/plans/annual?year=2026", Some(&market), None)
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = app
        .api("GET", "/api/v1/plans/annual?year=abc", Some(&office), None)
        .await;
    assert_eq!(r.fields(), vec!["year"]);

    // The same as an xlsx file, read back with calamine.
    let cookie = app.login("wy.office").await;
    let (status, bytes) = app
        .bytes("/console/plans/annual/export?year=2026", &cookie)
        .await;
    assert_eq!(status, StatusCode::OK);
    use calamine::{Reader, Xlsx};
    let mut wb: Xlsx<_> = calamine::open_workbook_from_rs(std::io::Cursor::new(bytes)).unwrap();
    let sheet = wb.sheet_names()[0].clone();
    assert_eq!(sheet, "2026年度抽查计划");
    let range = wb.worksheet_range(&sheet).unwrap();
    let rows: Vec<Vec<String>> = range
        .rows()
        .map(|r| r.iter().map(|c| c.to_string()).collect())
        .collect();
    assert_eq!(rows.len(), 9, "header and 8 plans");
    let col = |name: &str| {
        rows[0]
            .iter()
            .position(|h| h == name)
            .unwrap_or_else(|| panic!("{name}"))
    };
    let row = |code: &str| {
        rows.iter()
            .find(|r| r[col("计划编号")] == code)
            .unwrap()
            .clone()
    };
    let food = row("WY-2024-01-2026-01");
    assert_eq!(food[col("抽查事项")], "食品生产企业综合监管");
    assert_eq!(food[col("牵头部门")], "县市场监管局");
    assert_eq!(food[col("配合部门")], "县应急管理局、市生态环境局舞阳分局");
    assert_eq!(food[col("A类比例")], "3%");
    assert_eq!(food[col("D类比例")], "100%");
    assert_eq!(food[col("开始日期")], "2026-10-01");
    assert_eq!(food[col("状态")], "实施中");
    assert_eq!(food[col("报送日期")], "2026-03-18");
    assert_eq!(food[col("逾期报送")], "否");
    let industry = row("WY-2024-05-2026-01");
    assert_eq!(industry[col("逾期报送")], "是");
    assert_eq!(industry[col("状态")], "已报送");
    assert_eq!(
        industry[col("配合部门")],
        "县工信局、县应急管理局、市生态环境局舞阳分局"
    );
    // Department administrators cannot download it.
    let cookie = app.login("wy.market").await;
    let (status, _) = app
        .bytes("/console/plans/annual/export?year=2026", &cookie)
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

async fn public_sees_published_plans_only(app: App) {
    let r = app
        .api(
            "GET",
            "/api/v1/public/plans?year=2026&per_page=200",
            None,
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let p = r.json();
    assert_eq!(p["total"], 6, "{p}");
    let codes: Vec<&str> = p["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["code"].as_str().unwrap())
        .collect();
    assert!(!codes.contains(&"WY-2024-05-2026-01") && !codes.contains(&"WY-2024-08-2026-01"));
    assert!(p["items"][0].get("created_by").is_none(), "no staff names");
    // Published plans stay public while the demo's draw carries them out.
    assert_eq!(p["items"][0]["status"], "in_progress");
    // Asking for drafts or late ones changes nothing.
    let r = app
        .api(
            "GET",
            "/api/v1/public/plans?year=2026&status=draft&late=true",
            None,
            None,
        )
        .await;
    assert_eq!(r.json()["total"], 6);
    // Search by item, department, region and text.
    let one = app
        .api("GET", "/api/v1/public/plans?item=WY-2024-07", None, None)
        .await
        .json();
    assert_eq!(one["total"], 1);
    assert_eq!(one["items"][0]["lead_department"], "县卫生健康委");
    let t = app.token("admin").await;
    let d = app
        .get_json(
            &format!("/api/v1/departments?region=411121&q={}", enc("卫生健康")),
            &t,
        )
        .await;
    let health = d["items"][0]["id"].as_str().unwrap();
    let by_dept = app
        .api(
            "GET",
            &format!("/api/v1/public/plans?department={health}"),
            None,
            None,
        )
        .await
        .json();
    // Health leads 医疗美容 and cooperates on 医疗器械使用单位.
    assert_eq!(by_dept["total"], 2, "{by_dept}");
    let q = app
        .api(
            "GET",
            &format!("/api/v1/public/plans?q={}", enc("零售药店")),
            None,
            None,
        )
        .await
        .json();
    assert_eq!(q["total"], 1);
    assert_eq!(
        app.api("GET", "/api/v1/public/plans?region=37", None, None)
            .await
            .json()["total"],
        0
    );
    assert_eq!(
        app.api("GET", "/api/v1/public/plans?region=4111", None, None)
            .await
            .json()["total"],
        6
    );

    // The portal: the notice list and a plan's page; drafts are not found.
    let page = app.get("/plans?year=2026", None).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("WY-2024-01-2026-01") && page.body.contains("食品生产企业综合监管"));
    assert!(!page.body.contains("WY-2024-08-2026-01") && !page.body.contains("WY-2024-05-2026-01"));
    let d = app.get("/plans/WY-2024-07-2026-01", None).await;
    assert_eq!(d.status, StatusCode::OK);
    assert!(d.body.contains("涉医疗美容经营活动综合监管") && d.body.contains("县卫生健康委"));
    assert_eq!(
        app.get("/plans/WY-2024-08-2026-01", None).await.status,
        StatusCode::NOT_FOUND
    );
    let empty = app
        .get(&format!("/plans?q={}", enc("没有这个计划")), None)
        .await;
    assert!(empty.body.contains("没有找到"), "empty state");
    assert!(app.get("/", None).await.body.contains("href=\"/plans\""));
}

async fn console_pages_forms_and_actions(app: App) {
    let cookie = app.login("wy.market").await;
    let home = app.get("/console", Some(&cookie)).await;
    assert!(
        home.body.contains("href=\"/console/plans\""),
        "plans are live in the navigation"
    );
    let list = app.get("/console/plans?year=2026", Some(&cookie)).await;
    assert_eq!(list.status, StatusCode::OK);
    assert!(
        list.body.contains("WY-2024-05-2026-01") && list.body.contains("逾期报送"),
        "late badge"
    );
    let csrf = csrf_of(&app.get("/console/plans/new", Some(&cookie)).await.body);
    let year = (this_year() + 1).to_string();
    // Bad input comes back on the form, in Chinese, with what was typed.
    let r = app
        .form(
            "/console/plans",
            Some(&cookie),
            &form(&[
                ("_csrf", &csrf),
                ("item", "WY-2024-01"),
                ("year", &year),
                ("ratio_a", "120%"),
                ("inspectors_per_visit", "1"),
                ("cooperating_sent", "1"),
            ]),
        )
        .await;
    assert_eq!(
        r.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        &r.body[..r.body.len().min(800)]
    );
    assert!(r.body.contains("抽查比例“120%”超出范围") && r.body.contains("每组检查人员数“1”"));
    assert!(r.body.contains("value=\"120%\""));
    // The random control share of a weighted plan: on the form, checked, shown on the plan.
    assert!(
        app.get("/console/plans/new", Some(&cookie))
            .await
            .body
            .contains("随机对照比例")
    );
    let r = app
        .form(
            "/console/plans",
            Some(&cookie),
            &form(&[
                ("_csrf", &csrf),
                ("item", "WY-2024-01"),
                ("year", &year),
                ("qualifications", "食品安全"),
                ("risk_weighted", "1"),
                ("control_share", "150"),
            ]),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("value=\"150\"") && r.body.contains("超出范围"));
    let r = app
        .form(
            "/console/plans",
            Some(&cookie),
            &form(&[
                ("_csrf", &csrf),
                ("item", "WY-2024-01"),
                ("year", &year),
                ("qualifications", "食品安全"),
                ("risk_weighted", "1"),
                ("control_share", "20"),
            ]),
        )
        .await;
    assert_eq!(
        r.status,
        StatusCode::SEE_OTHER,
        "{}",
        &r.body[..r.body.len().min(800)]
    );
    let to = r.headers[header::LOCATION].to_str().unwrap().to_string();
    let detail = app.get(&to, Some(&cookie)).await;
    assert!(
        detail.body.contains("其中 20% 为随机对照"),
        "{}",
        detail.body
    );
    // Without the CSRF token nothing happens.
    let r = app
        .form(
            "/console/plans",
            Some(&cookie),
            &form(&[("item", "WY-2024-01"), ("year", &year)]),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = app
        .form(
            "/console/plans",
            Some(&cookie),
            &form(&[
                ("_csrf", &csrf),
                ("item", "WY-2024-01"),
                ("year", &year),
                ("period_start", &format!("{year}-05-01")),
                ("period_end", &format!("{year}-10-31")),
                ("ratio_d", "80"),
                ("qualifications", "食品安全"),
            ]),
        )
        .await;
    assert_eq!(
        r.status,
        StatusCode::SEE_OTHER,
        "{}",
        &r.body[..r.body.len().min(800)]
    );
    let to = r.headers[header::LOCATION].to_str().unwrap().to_string();
    let id = to
        .trim_start_matches("/console/plans/")
        .split('?')
        .next()
        .unwrap()
        .to_string();
    let detail = app.get(&to, Some(&cookie)).await;
    assert_eq!(detail.status, StatusCode::OK);
    for text in [
        "获证食品生产企业",
        "80%",
        "一般 61%–100%",
        "食品安全",
        "报送",
        "data-confirm",
        "创建",
    ] {
        assert!(detail.body.contains(text), "detail lacks {text}");
    }
    let csrf = csrf_of(&detail.body);
    let r = app
        .form(
            &format!("/console/plans/{id}/submit"),
            Some(&cookie),
            &form(&[("_csrf", &csrf)]),
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    // The office returns it with a reason, from its own session.
    let oc = app.login("wy.office").await;
    let page = app.get(&format!("/console/plans/{id}"), Some(&oc)).await;
    assert!(page.body.contains("审核通过") && page.body.contains("退回"));
    let ocsrf = csrf_of(&page.body);
    let r = app
        .form(
            &format!("/console/plans/{id}/return"),
            Some(&oc),
            &form(&[("_csrf", &ocsrf), ("reason", "")]),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        r.body.contains("退回原因至少 2 个字符"),
        "{}",
        &r.body[..r.body.len().min(800)]
    );
    let r = app
        .form(
            &format!("/console/plans/{id}/return"),
            Some(&oc),
            &form(&[("_csrf", &ocsrf), ("reason", "请补充检查人员资格要求")]),
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let detail = app
        .get(&format!("/console/plans/{id}"), Some(&cookie))
        .await;
    assert!(detail.body.contains("请补充检查人员资格要求") && detail.body.contains("退回"));
    // Edit form, then annual page and list variations render.
    for p in [
        format!("/console/plans/{id}/edit"),
        "/console/plans?late=true&sort=submitted".to_string(),
        format!("/console/plans?q={}&status=published", enc("食品")),
        "/console/plans/new?item=WY-2024-02".to_string(),
    ] {
        let r = app.get(&p, Some(&cookie)).await;
        assert_eq!(
            r.status,
            StatusCode::OK,
            "{p}: {}",
            &r.body[..r.body.len().min(800)]
        );
        assert!(r.body.contains("<main>"), "{p}");
    }
    let r = app.get("/console/plans?year=xx", Some(&cookie)).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let empty = app
        .get(
            &format!("/console/plans?q={}", enc("没有这个计划")),
            Some(&cookie),
        )
        .await;
    assert!(empty.body.contains("没有符合条件的计划"));
    let annual = app.get("/console/plans/annual?year=2026", Some(&oc)).await;
    assert_eq!(annual.status, StatusCode::OK);
    assert!(
        annual.body.contains("WY-2024-05-2026-01")
            && annual.body.contains("逾期报送")
            && annual
                .body
                .contains("/console/plans/annual/export?year=2026")
    );
    assert_eq!(
        app.get("/console/plans/annual", Some(&cookie)).await.status,
        StatusCode::FORBIDDEN
    );
    // Department administrators see no approve button on a submitted plan.
    let submitted = app
        .get_json(
            "/api/v1/plans?year=2026&status=submitted",
            &app.token("wy.market").await,
        )
        .await;
    let sid = submitted["items"][0]["id"].as_str().unwrap();
    let page = app
        .get(&format!("/console/plans/{sid}"), Some(&cookie))
        .await;
    assert!(
        !page.body.contains("/approve"),
        "no approve button for the filer"
    );
    let page = app.get(&format!("/console/plans/{sid}"), Some(&oc)).await;
    assert!(page.body.contains("/approve"));
    assert!(page.body.contains("状态记录"), "status history");
}
