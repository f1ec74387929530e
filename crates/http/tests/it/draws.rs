//! Joint double-random draws through the real router, on SQLite always and on PostgreSQL when
//! `LIANJIAN_TEST_POSTGRES_URL` is set. The demo data provides Wuyang's published plans, the
//! inspector pool, the supervisor `wy.jiandu` and one fourth-quarter draw it witnessed.

use crate::common::*;
use lianjian_domain::draw::DrawStatus;

use axum::http::StatusCode;
use lianjian_domain::draw::{DrawRecord, Opening, PublicDrawRecord, verify, verify_public};
use lianjian_store::Conn;
use serde_json::{Value, json};

on_both_backends!(
    template = DEMO, setup = app;
    demo_draw_is_public_and_verifiable,
    redraw_needs_a_reason_keeps_the_old_record_and_verifies,
    bad_input_and_authorization,
    pool_too_small_fails_and_says_why,
    console_and_portal_pages,
    tag_risk_weight_reaches_a_weighted_draws_record,
    witness_flow_supervisor_and_beacon,
    unwitnessed_draw_needs_a_reason_and_is_labelled,
    new_routes_authorization,
    embargo_public_endpoints_and_portal,
    stored_visits_match_the_record,
    batched_visit_inserts_store_what_row_by_row_inserts_store,
    contributions_close_when_the_beacon_is_due,
    stored_public_variant_is_what_verify_accepts,
    visits_name_every_participating_department,
);

impl App {
    async fn get_ok(&self, path: &str, token: Option<&str>) -> Value {
        let r = self.api("GET", path, token, None).await;
        assert_eq!(r.status, StatusCode::OK, "GET {path}: {}", r.body);
        r.json()
    }

    /// The demo's (not superseded) fourth-quarter draw.
    async fn demo_draw(&self) -> Value {
        let list = self.get_ok("/api/v1/public/draws", None).await;
        list["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|d| d["superseded_by"].is_null() && d["region_code"] == "411121")
            .cloned()
            .unwrap_or_else(|| panic!("no demo draw: {list}"))
    }

    /// The full record, as the county office reads it.
    async fn record(&self, id: &str) -> DrawRecord {
        let t = self.token("wy.office").await;
        let r = self
            .api("GET", &format!("/api/v1/draws/{id}/record"), Some(&t), None)
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        DrawRecord::from_json(r.body.as_bytes()).unwrap_or_else(|e| panic!("{e:?}\n{}", r.body))
    }

    /// The supervisor contributes 32 bytes (as the console's generator would).
    async fn contribute(&self, id: &str, value: &str) -> Resp {
        let t = self.token("wy.jiandu").await;
        self.post(
            &format!("/api/v1/draws/{id}/contribution"),
            &t,
            json!({ "value": value }),
        )
        .await
    }

    /// Marks every visit of a draw as published (what the inspection flow does once the
    /// departments publish the results; that flow has its own tests).
    async fn publish_visits(&self, draw_id: &str, only: Option<usize>) {
        let visits = lianjian_store::draws::visits_of_draw(
            self.svc.store.conn(),
            uuid::Uuid::parse_str(draw_id).unwrap(),
        )
        .await
        .unwrap();
        for v in visits.iter().take(only.unwrap_or(usize::MAX)) {
            let moved = lianjian_store::visits::set_visit_status(
                self.svc.store.conn(),
                v.id,
                (v.status, lianjian_domain::visit::VisitStatus::Published),
                &lianjian_store::visits::Progress {
                    published_at: Some(chrono::Utc::now()),
                    ..Default::default()
                },
            )
            .await
            .unwrap();
            assert!(moved, "visit {} was scheduled", v.code);
        }
    }
}

const VALUE: &str = "5a1e8c0f9d2b4a6e8c0f1d3b5a7e9c1f2b4d6a8c0e1f3b5d7a9c2e4f6b8d0a1c";

/// Names, certificate numbers and credit classes that must never be public.
fn secrets_of(rec: &DrawRecord) -> Vec<String> {
    let mut v = Vec::new();
    for i in &rec.input.inspectors {
        // A name that is also part of an entity's (public) name proves nothing either way.
        if !rec
            .input
            .candidates
            .iter()
            .any(|c| c.name.contains(&i.name))
        {
            v.push(i.name.clone());
        }
        v.push(i.certificate.as_str().to_string());
    }
    v
}

fn assert_no_secrets(body: &str, secrets: &[String], what: &str) {
    for s in secrets {
        assert!(!body.contains(s.as_str()), "{what} shows {s}");
    }
    for key in [
        "\"credit_class\"",
        "\"risk_weight\"",
        "\"salt_key\"",
        "\"certificate\"",
    ] {
        assert!(!body.contains(key), "{what} has {key}");
    }
}

async fn demo_draw_is_public_and_verifiable(app: App) {
    let d = app.demo_draw().await;
    assert_eq!(d["status"], "drawn", "{d}");
    assert!(d["visit_count"].as_i64().unwrap() > 0, "{d}");
    let rec = app.record(d["id"].as_str().unwrap()).await;
    assert_eq!(rec.format, "lianjian-draw/3");
    let summary = verify(&rec).expect("the full record verifies");
    assert_eq!(summary.visits as i64, d["visit_count"].as_i64().unwrap());
    assert_eq!(rec.commitment.seed_sha256.to_hex(), d["seed_sha256"]);
    // Witnessed by the demo supervisor, under its own account.
    let v3 = rec.seeds.v3.as_ref().expect("a /3 record");
    assert_eq!(v3.contributions.len(), 1);
    assert_eq!(v3.contributions[0].name, "县司法局监督员");
    assert!(v3.unwitnessed_reason.is_none());
    assert!(
        d["witness_name"]
            .as_str()
            .unwrap()
            .contains("县司法局监督员"),
        "{d}"
    );
    // The public variant verifies, and so does an entity's opening against it.
    let public = rec.public_variant().expect("a public variant");
    verify_public(&public).expect("the public variant verifies");
    // Joint visits: at least one entity is visited for two or more plans at once.
    assert!(
        rec.result.visits.iter().any(|v| v.plans.len() > 1),
        "no joint visit in the demo draw"
    );
    // Every visit has at least two inspectors and nobody with a declared conflict.
    for v in &rec.result.visits {
        assert!(v.inspectors.len() >= 2, "{v:?}");
        for c in &v.inspectors {
            let i = rec
                .input
                .inspectors
                .iter()
                .find(|i| &i.certificate == c)
                .unwrap();
            assert!(!i.conflicts_with(&v.usci));
        }
    }
    let usci = rec.result.visits[0].usci.to_string();
    let t = app.token("wy.office").await;
    let r = app
        .api(
            "GET",
            &format!(
                "/api/v1/draws/{}/openings/{usci}",
                d["id"].as_str().unwrap()
            ),
            Some(&t),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let o = Opening::from_json(r.body.as_bytes()).expect("an opening");
    let check = o.check(&public).expect("the opening checks");
    assert!(check.plans.iter().any(|p| p.drawn), "{check:?}");
    // Altered records do not verify: a result, a class, a seed.
    let mut bad = rec.clone();
    let last = bad.result.visits.len() - 1;
    bad.result.visits[0].inspectors = bad.result.visits[last].inspectors.clone();
    bad.result.visits[0].inspectors.reverse();
    assert!(verify(&bad).is_err());
    let mut bad = rec.clone();
    let c = &mut bad.input.candidates[0];
    c.credit_class = match c.credit_class {
        Some(lianjian_domain::directory::CreditClass::D) => None,
        _ => Some(lianjian_domain::directory::CreditClass::D),
    };
    assert!(verify(&bad).is_err());
    let mut bad = rec.clone();
    bad.seeds.server.0[0] ^= 1;
    assert!(verify(&bad).is_err());
    let mut bad = rec.clone();
    bad.seeds.v3.as_mut().unwrap().contributions[0].name = "别人".into();
    assert!(verify(&bad).is_err());
    // The visits are on the entity's timeline in the console's terms: scheduled, with checks.
    let v = app
        .get_ok(
            &format!("/api/v1/draws/{}", d["id"].as_str().unwrap()),
            Some(&t),
        )
        .await;
    let visits = v["visits"].as_array().unwrap();
    assert_eq!(visits.len() as i64, d["visit_count"].as_i64().unwrap());
    assert!(visits.iter().all(|x| x["visit"]["status"] == "scheduled"));
    assert!(
        v["preview"]["visits_saved"].as_u64().unwrap() > 0,
        "{}",
        v["preview"]
    );
}

async fn redraw_needs_a_reason_keeps_the_old_record_and_verifies(app: App) {
    let t = app.token("wy.office").await;
    let old = app.demo_draw().await;
    let old_id = old["id"].as_str().unwrap();
    let r = app
        .post(
            &format!("/api/v1/draws/{old_id}/redraw"),
            &t,
            json!({"reason": " "}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert_eq!(r.fields(), vec!["reason"]);
    let r = app
        .post(
            &format!("/api/v1/draws/{old_id}/redraw"),
            &t,
            json!({"reason": "执法人员库已更新，重新抽取"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let new = r.json();
    assert_eq!(new["status"], "committed");
    assert_eq!(new["redraw_of"], old_id);
    let new_id = new["id"].as_str().unwrap().to_string();
    // While committed, the public sees the commitment, not the seed; the re-draw keeps the
    // supervisor of the draw it replaces.
    let r = app
        .api("GET", &format!("/api/v1/public/draws/{new_id}"), None, None)
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.json()["status"], "committed");
    assert!(r.json()["seeds"].is_null());
    assert_eq!(
        r.json()["witnessing"]["supervisors"][0]["name"],
        "县司法局监督员",
        "{}",
        r.body
    );
    // The old record stays public, marked as superseded; its visits are cancelled.
    let list = app.get_ok("/api/v1/public/draws", None).await;
    let o = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["id"] == old_id)
        .unwrap();
    assert_eq!(o["superseded_by"], new_id.as_str());
    let ov = app
        .get_ok(&format!("/api/v1/draws/{old_id}"), Some(&t))
        .await;
    assert!(
        ov["visits"]
            .as_array()
            .unwrap()
            .iter()
            .all(|x| x["visit"]["status"] == "cancelled")
    );
    // A second re-draw of the old one is refused.
    let r = app
        .post(
            &format!("/api/v1/draws/{old_id}/redraw"),
            &t,
            json!({"reason": "再次重新抽取"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
    // Staff can no longer type a witness seed.
    let r = app
        .post(
            &format!("/api/v1/draws/{new_id}/execute"),
            &t,
            json!({"witness_name": "县司法局 王监督", "witness_seed": "c0ffee"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.body);
    assert!(r.body.contains("witness_name"), "{}", r.body);
    // The supervisor's contribution, then the draw; then once only.
    let r = app.contribute(&new_id, VALUE).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let r = app
        .post(&format!("/api/v1/draws/{new_id}/execute"), &t, json!({}))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.json()["draw"]["status"], "drawn", "{}", r.body);
    let r = app
        .post(&format!("/api/v1/draws/{new_id}/execute"), &t, json!({}))
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
    let rec = app.record(&new_id).await;
    verify(&rec).expect("re-draw verifies");
    assert_eq!(
        rec.input.redraw_of.map(|u| u.to_string()).as_deref(),
        Some(old_id)
    );
    assert_eq!(
        rec.seeds.v3.as_ref().unwrap().contributions[0]
            .value
            .to_hex(),
        VALUE
    );
    // No entity is visited twice for the same plan within the period: the re-draw's pools
    // ignore the cancelled visits, and every entity has one visit.
    let mut seen = std::collections::HashSet::new();
    assert!(
        rec.result
            .visits
            .iter()
            .all(|v| seen.insert(v.usci.clone()))
    );
}

async fn bad_input_and_authorization(app: App) {
    let t = app.token("wy.office").await;
    let r = app
        .post(
            "/api/v1/draws/preview",
            &t,
            json!({"region_code": "4111xx", "period_start": "2026-10-01", "period_end": "2026-09-01"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    let mut f = r.fields();
    f.sort();
    assert_eq!(f, vec!["period_end", "region"], "{}", r.body);
    let r = app
        .post(
            "/api/v1/draws/preview",
            &t,
            json!({"region_code": "411121", "period_start": "2026-10-01", "period_end": "2026-09-01"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert_eq!(r.fields(), vec!["period_end"]);
    // The demo's plans are already drawn (in progress): a second draw finds none left, and
    // naming one of them is refused with its code.
    let r = app
        .post(
            "/api/v1/draws",
            &t,
            json!({"region_code": "411121", "period_start": "2026-10-01", "period_end": "2026-12-31"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert_eq!(r.fields(), vec!["plan_ids"]);
    assert!(r.body.contains("尚未抽取"), "{}", r.body);
    let d = app.demo_draw().await;
    let v = app
        .get_ok(
            &format!("/api/v1/draws/{}", d["id"].as_str().unwrap()),
            Some(&t),
        )
        .await;
    let plan = v["plans"][0].clone();
    let r = app
        .post(
            "/api/v1/draws",
            &t,
            json!({"region_code": "411121", "period_start": "2026-10-01", "period_end": "2026-12-31", "plan_ids": [plan["id"]]}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(
        r.body.contains(plan["code"].as_str().unwrap()),
        "{}",
        r.body
    );
    // A period with no published plans.
    let r = app
        .post(
            "/api/v1/draws/preview",
            &t,
            json!({"region_code": "411121", "period_start": "2025-01-01", "period_end": "2025-03-31"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    // Inspectors and leaders do not draw; another county's office does not see Wuyang's draws.
    for who in ["wy.zhang", "wy.leader"] {
        let tk = app.token(who).await;
        let r = app
            .post(
                "/api/v1/draws/preview",
                &tk,
                json!({"region_code": "411121", "period_start": "2026-10-01", "period_end": "2026-12-31"}),
            )
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{who}: {}", r.body);
    }
    let r = app
        .post(
            &format!("/api/v1/draws/{}/execute", d["id"].as_str().unwrap()),
            &t,
            json!({}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
    // The old free witness seed is gone from the commitment too: an unknown field is refused.
    let r = app
        .post(
            "/api/v1/draws",
            &t,
            json!({"region_code": "411121", "period_start": "2026-10-01", "period_end": "2026-12-31", "witness_seed": "c0ffee"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.body);
    assert!(r.body.contains("witness_seed"), "{}", r.body);
    let r = app
        .api("GET", "/api/v1/public/draws/not-a-uuid", None, None)
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
}

async fn pool_too_small_fails_and_says_why(app: App) {
    let t = app.token("wy.office").await;
    let admin = app.token("admin").await;
    // Every officer of the county's market regulator leaves the pool.
    let list = app
        .get_ok(
            &format!(
                "/api/v1/inspectors?region=411121&q=&per_page=200&department={}",
                market_department(&app, &admin).await
            ),
            Some(&admin),
        )
        .await;
    let members = list["items"].as_array().unwrap();
    assert!(!members.is_empty(), "{list}");
    for m in members {
        let r = app
            .post(
                &format!("/api/v1/inspectors/{}/status", m["id"].as_str().unwrap()),
                &admin,
                json!({"status": "left"}),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    }
    let old = app.demo_draw().await;
    let r = app
        .post(
            &format!("/api/v1/draws/{}/redraw", old["id"].as_str().unwrap()),
            &t,
            json!({"reason": "测试：人员库不足"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let id = r.json()["id"].as_str().unwrap().to_string();
    let r = app.contribute(&id, VALUE).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let r = app
        .post(&format!("/api/v1/draws/{id}/execute"), &t, json!({}))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let out = r.json();
    assert_eq!(out["draw"]["status"], "failed", "{out}");
    let f = &out["failure"];
    assert!(
        ["insufficient_inspectors", "missing_qualification"].contains(&f["code"].as_str().unwrap()),
        "{f}"
    );
    assert!(f["short"].as_u64().unwrap() >= 1, "{f}");
    assert_eq!(f["department"]["name"], "县市场监管局", "{f}");
    // The failure is public too, and no visits were created.
    let r = app
        .api("GET", &format!("/api/v1/public/draws/{id}"), None, None)
        .await;
    assert_eq!(r.json()["failure"]["code"], f["code"]);
    assert!(
        !r.body.contains(f["usci"].as_str().unwrap()),
        "the public failure names no entity: {}",
        r.body
    );
    let v = app.get_ok(&format!("/api/v1/draws/{id}"), Some(&t)).await;
    assert!(v["visits"].as_array().unwrap().is_empty());
}

async fn market_department(app: &App, token: &str) -> String {
    let d = app
        .get_ok(
            &format!("/api/v1/departments?region=411121&q={}", enc("市场监管")),
            Some(token),
        )
        .await;
    d["items"][0]["id"].as_str().unwrap().to_string()
}

async fn console_and_portal_pages(app: App) {
    let cookie = app.login("wy.office").await;
    let r = app.get("/console/draws", Some(&cookie)).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.body.contains("CQ-411121-2026-001"), "{}", r.body);
    let d = app.demo_draw().await;
    let id = d["id"].as_str().unwrap();
    let r = app
        .get(&format!("/console/draws/{id}"), Some(&cookie))
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.body.contains("联合") && r.body.contains(d["seed_sha256"].as_str().unwrap()));
    let r = app
        .get(
            "/console/draws/new?region=411121&period_start=2026-10-01&period_end=2026-12-31&preview=1",
            Some(&cookie),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    // Already drawn: the planner says so instead of previewing.
    assert!(r.body.contains("尚未抽取"), "{}", r.body);
    // Re-draw from the console without a reason keeps the page and names the field.
    let csrf = csrf_of(
        &app.get(&format!("/console/draws/{id}"), Some(&cookie))
            .await
            .body,
    );
    let r = app
        .form(
            &format!("/console/draws/{id}/redraw"),
            Some(&cookie),
            &format!("_csrf={csrf}&reason="),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("重新抽取必须说明理由"), "{}", r.body);
    // The portal lists the draw with its counts per class; no task is public yet.
    let r = app.get("/draws", None).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.body.contains("CQ-411121-2026-001"));
    let r = app.get(&format!("/draws/{id}"), None).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.body.contains("可抽数 / 应抽数") && r.body.contains("尚未到公开时间"));
    assert!(r.body.contains("县司法局监督员"), "{}", r.body);
    assert!(
        !r.body.contains("张明"),
        "inspectors' names are not on the portal"
    );
    // The supervisor's queue is empty (it contributed to the demo draw); the office has none.
    let sup = app.login("wy.jiandu").await;
    let r = app.get("/console/witness", Some(&sup)).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(
        r.body.contains("目前没有等待您提交随机数的抽取"),
        "{}",
        r.body
    );
    let r = app.get("/console/witness", Some(&cookie)).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = app
        .get("/draws/00000000-0000-0000-0000-000000000000", None)
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
}

/// Issue 4, risk weighting: a tag's risk weight becomes the weight of its entities in the
/// record of a draw with a risk-weighted plan (format lianjian-draw/2), and the record verifies.
async fn tag_risk_weight_reaches_a_weighted_draws_record(app: App) {
    let office = app.token("wy.office").await;
    let market = app.token("wy.market").await;
    // The tag every entity of item WY-2024-01 carries weighs 4.
    let r = app
        .api(
            "PATCH",
            &format!("/api/v1/tags/{}", enc("获证食品生产企业")),
            Some(&office),
            Some(&json!({"risk_weight": 4}).to_string()),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.json()["risk_weight"], 4);
    let r = app
        .api(
            "PATCH",
            &format!("/api/v1/tags/{}", enc("获证食品生产企业")),
            Some(&office),
            Some(&json!({"risk_weight": 11}).to_string()),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert_eq!(r.fields(), vec!["risk_weight"]);

    // A risk-weighted plan of that item for next year, published.
    let year = chrono::Datelike::year(&chrono::Utc::now()) + 1;
    let r = app
        .post(
            "/api/v1/plans",
            &market,
            json!({
                "item": "WY-2024-01",
                "year": year.to_string(),
                "period_start": format!("{year}-04-01"),
                "period_end": format!("{year}-09-30"),
                "qualifications": ["食品安全"],
                "risk_weighted": true,
            }),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    assert_eq!(r.json()["risk_weighted"], true);
    let plan = r.json()["id"].as_str().unwrap().to_string();
    for (who, action) in [
        (&market, "submit"),
        (&office, "approve"),
        (&office, "publish"),
    ] {
        let r = app
            .api(
                "POST",
                &format!("/api/v1/plans/{plan}/{action}"),
                Some(who),
                None,
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{action}: {}", r.body);
    }
    let spec = json!({
        "region_code": "411121",
        "period_start": format!("{year}-04-01"),
        "period_end": format!("{year}-09-30"),
        "plan_ids": [plan],
        "unwitnessed_reason": "测试：加权抽取",
    });
    // The planner's preview says the plan is weighted.
    let r = app
        .post("/api/v1/draws/preview", &office, spec.clone())
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let pv = r.json();
    assert_eq!(pv["plans"][0]["risk_weighted"], true, "{pv}");
    assert!(pv["plans"][0]["heavier"].as_u64().unwrap() > 0, "{pv}");

    let r = app.post("/api/v1/draws", &office, spec).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let id = r.json()["id"].as_str().unwrap().to_string();
    let r = app
        .post(&format!("/api/v1/draws/{id}/execute"), &office, json!({}))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.json()["draw"]["status"], "drawn", "{}", r.body);

    let rec = app.record(&id).await;
    assert_eq!(rec.format, "lianjian-draw/3");
    assert!(rec.input.plans[0].risk_weighted);
    assert!(!rec.input.candidates.is_empty());
    assert!(
        rec.input.candidates.iter().all(|c| c.risk_weight == 4),
        "every entity of the item carries the tag of weight 4"
    );
    verify(&rec).expect("the weighted record verifies");
    // A weight changed in the record is found.
    let mut bad = rec.clone();
    bad.input.candidates[0].risk_weight = 3;
    assert!(verify(&bad).is_err());

    // The console's draw page shows the plan as weighted.
    let cookie = app.login("wy.office").await;
    let r = app
        .get(&format!("/console/draws/{id}"), Some(&cookie))
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.body.contains("按风险加权抽取"), "{}", r.body);
}

/// A re-draw of the demo draw witnessed by the supervisor and a beacon named for tomorrow.
async fn witnessed_redraw(app: &App, beacon_on: &str) -> String {
    let t = app.token("wy.office").await;
    let old = app.demo_draw().await;
    let r = app
        .post(
            &format!("/api/v1/draws/{}/redraw", old["id"].as_str().unwrap()),
            &t,
            json!({
                "reason": "测试：见证流程",
                "supervisors": ["wy.jiandu"],
                "beacon_source": "中国福利彩票双色球",
                "beacon_reference": "第2026140期开奖号码",
                "beacon_available_on": beacon_on,
            }),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    assert_eq!(r.json()["beacon_source"], "中国福利彩票双色球");
    r.json()["id"].as_str().unwrap().to_string()
}

fn tomorrow() -> String {
    let today = lianjian_domain::visit::beijing_date(chrono::Utc::now());
    (today + chrono::Days::new(1)).to_string()
}

/// Issue 11 item 2: the supervisor contributes under its own login, nobody sees the value
/// before the draw, the beacon is refused before its date, and the draw waits for both.
async fn witness_flow_supervisor_and_beacon(app: App) {
    let office = app.token("wy.office").await;
    let id = witnessed_redraw(&app, &tomorrow()).await;
    // Nothing is in yet: execute names both missing contributions.
    let r = app
        .post(&format!("/api/v1/draws/{id}/execute"), &office, json!({}))
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
    assert!(
        r.body.contains("县司法局监督员") && r.body.contains("双色球"),
        "{}",
        r.body
    );
    // The supervisor finds it in its queue.
    let sup = app.token("wy.jiandu").await;
    let q = app.get_json("/api/v1/draws/awaiting-witness", &sup).await;
    assert!(
        q.as_array().unwrap().iter().any(|d| d["id"] == id.as_str()),
        "{q}"
    );
    // Bad values name the field; the value is stored once.
    let r = app.contribute(&id, "abcd").await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert_eq!(r.fields(), vec!["value"]);
    let r = app.contribute(&id, "zz").await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    let r = app.contribute(&id, VALUE).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let r = app.contribute(&id, VALUE).await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
    let q = app.get_json("/api/v1/draws/awaiting-witness", &sup).await;
    assert!(q.as_array().unwrap().iter().all(|d| d["id"] != id.as_str()));
    // Staff (and the public) cannot read the value before the draw: not on the draw, not in
    // the list, not in a record (there is none yet), not in the audit log.
    for (path, token) in [
        (format!("/api/v1/draws/{id}"), Some(office.as_str())),
        ("/api/v1/draws".to_string(), Some(office.as_str())),
        (format!("/api/v1/public/draws/{id}"), None),
        (
            "/api/v1/audit?per_page=200".to_string(),
            Some(office.as_str()),
        ),
    ] {
        let r = app.api("GET", &path, token, None).await;
        assert!(!r.body.contains(VALUE), "{path} shows the contribution");
    }
    let v = app.get_json(&format!("/api/v1/draws/{id}"), &office).await;
    assert!(
        v["witnessing"]["supervisors"][0]["submitted_at"].is_string(),
        "{v}"
    );
    let r = app
        .api(
            "GET",
            &format!("/api/v1/draws/{id}/record"),
            Some(&office),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
    // The beacon is refused before its date, and the draw still waits for it.
    let r = app
        .post(
            &format!("/api/v1/draws/{id}/beacon"),
            &office,
            json!({"value": "03 08 12 19 25 31 + 07"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
    assert!(r.body.contains(&tomorrow()), "{}", r.body);
    let r = app
        .post(&format!("/api/v1/draws/{id}/execute"), &office, json!({}))
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
    assert!(!r.body.contains("县司法局监督员"), "{}", r.body);
    // The day comes (moved here by hand in the store, not in the committed text): the value is
    // entered once, then the draw runs.
    let code = app.get_json(&format!("/api/v1/draws/{id}"), &office).await["draw"]["code"]
        .as_str()
        .unwrap()
        .to_string();
    app.svc
        .store
        .conn()
        .execute_unprepared(&format!(
            "UPDATE draws SET beacon_available_on = '2026-01-01' WHERE code = '{code}'"
        ))
        .await
        .unwrap();
    let r = app
        .post(
            &format!("/api/v1/draws/{id}/beacon"),
            &office,
            json!({"value": " "}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert_eq!(r.fields(), vec!["value"]);
    let r = app
        .post(
            &format!("/api/v1/draws/{id}/beacon"),
            &office,
            json!({"value": "03 08 12 19 25 31 + 07"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let r = app
        .post(
            &format!("/api/v1/draws/{id}/beacon"),
            &office,
            json!({"value": "01 02 03 04 05 06 + 07"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
    let r = app
        .post(&format!("/api/v1/draws/{id}/execute"), &office, json!({}))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.json()["draw"]["status"], "drawn", "{}", r.body);
    // The record binds the value to the supervisor's account, with the beacon value. It does
    // not verify, rightly: it is dated before the committed beacon date (the store's date was
    // moved, the commitment's was not) — whoever tampers with the date is caught.
    let rec = app.record(&id).await;
    match verify(&rec) {
        Err(lianjian_domain::draw::Mismatch::Witnessing(m)) => {
            assert!(m.contains(&tomorrow()), "{m}")
        }
        other => panic!("a draw dated before its beacon must not verify: {other:?}"),
    }
    let v3 = rec.seeds.v3.as_ref().unwrap();
    let jiandu = lianjian_store::accounts::find_user_by_name(app.svc.store.conn(), "wy.jiandu")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(v3.contributions[0].account_id, jiandu.id);
    assert_eq!(v3.contributions[0].value.to_hex(), VALUE);
    assert_eq!(v3.beacon_value.as_deref(), Some("03 08 12 19 25 31 + 07"));
    // Too late to contribute now.
    let r = app.contribute(&id, VALUE).await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
}

/// A draw with neither a supervisor nor a beacon is refused without a reason, and labelled
/// 未经独立见证 with one; bad witness plans name their field.
async fn unwitnessed_draw_needs_a_reason_and_is_labelled(app: App) {
    let office = app.token("wy.office").await;
    let admin = app.token("admin").await;
    let old = app.demo_draw().await;
    let old_id = old["id"].as_str().unwrap();
    let redraw = |body: Value| {
        let app = &app;
        let office = office.clone();
        async move {
            app.post(&format!("/api/v1/draws/{old_id}/redraw"), &office, body)
                .await
        }
    };
    let r = redraw(json!({"reason": "测试重抽", "beacon_source": "双色球", "beacon_reference": "第1期", "beacon_available_on": "2020-01-01"})).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert_eq!(r.fields(), vec!["beacon_available_on"]);
    let r = redraw(json!({"reason": "测试重抽", "supervisors": ["wy.office"]})).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert_eq!(r.fields(), vec!["supervisors"]);
    // A supervisor of Shandong does not cover Wuyang.
    let dept = app.department(&admin, "37", "司法厅").await;
    let r = app
        .post(
            "/api/v1/users",
            &admin,
            json!({"username": "sd.jiandu", "display_name": "省司法厅监督员", "role": "supervisor", "department_id": dept, "password": "Strong-Pass-1"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let r = redraw(json!({"reason": "测试重抽", "supervisors": ["sd.jiandu"]})).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert_eq!(r.fields(), vec!["supervisors"]);
    assert!(r.body.contains("sd.jiandu"), "{}", r.body);
    let r = redraw(json!({"reason": "测试重抽", "supervisors": ["wy.jiandu"], "unwitnessed_reason": "多余的理由"})).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert_eq!(r.fields(), vec!["unwitnessed_reason"]);
    let r = redraw(
        json!({"reason": "测试重抽", "publish_delay_days": 400, "supervisors": ["wy.jiandu"]}),
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert_eq!(r.fields(), vec!["publish_delay_days"]);
    // A new plan with no witness at all: refused without a reason.
    let year = chrono::Datelike::year(&chrono::Utc::now()) + 1;
    let market = app.token("wy.market").await;
    let r = app
        .post(
            "/api/v1/plans",
            &market,
            json!({"item": "WY-2024-01", "year": year.to_string(), "period_start": format!("{year}-04-01"), "period_end": format!("{year}-09-30"), "qualifications": ["食品安全"]}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let plan = r.json()["id"].as_str().unwrap().to_string();
    for (who, action) in [
        (&market, "submit"),
        (&office, "approve"),
        (&office, "publish"),
    ] {
        let r = app
            .api(
                "POST",
                &format!("/api/v1/plans/{plan}/{action}"),
                Some(who),
                None,
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{action}: {}", r.body);
    }
    let mut spec = json!({
        "region_code": "411121",
        "period_start": format!("{year}-04-01"),
        "period_end": format!("{year}-09-30"),
        "plan_ids": [plan],
    });
    let r = app.post("/api/v1/draws", &office, spec.clone()).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert_eq!(r.fields(), vec!["unwitnessed_reason"]);
    spec["unwitnessed_reason"] = json!("监督人出差，经联席办同意");
    let r = app.post("/api/v1/draws", &office, spec).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let id = r.json()["id"].as_str().unwrap().to_string();
    let r = app
        .post(&format!("/api/v1/draws/{id}/execute"), &office, json!({}))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let rec = app.record(&id).await;
    verify(&rec).expect("an unwitnessed record verifies");
    assert_eq!(
        rec.seeds.v3.as_ref().unwrap().unwitnessed_reason.as_deref(),
        Some("监督人出差，经联席办同意")
    );
    // Labelled on the portal, the console and in the public JSON.
    let r = app.get(&format!("/draws/{id}"), None).await;
    assert!(
        r.body.contains("未经独立见证") && r.body.contains("监督人出差"),
        "{}",
        r.body
    );
    let cookie = app.login("wy.office").await;
    let r = app
        .get(&format!("/console/draws/{id}"), Some(&cookie))
        .await;
    assert!(r.body.contains("未经独立见证"), "{}", r.body);
    let r = app
        .api("GET", &format!("/api/v1/public/draws/{id}"), None, None)
        .await;
    assert_eq!(
        r.json()["witnessing"]["unwitnessed_reason"],
        "监督人出差，经联席办同意"
    );
}

/// Every new route: allowed roles, refused roles (403) and out of scope (404).
async fn new_routes_authorization(app: App) {
    let d = app.demo_draw().await;
    let id = d["id"].as_str().unwrap().to_string();
    let rec = app.record(&id).await;
    let usci = rec.result.visits[0].usci.to_string();
    let admin = app.token("admin").await;
    // An office and a supervisor of Shandong (outside Wuyang).
    let dept = app.department(&admin, "37", "司法厅").await;
    let r = app
        .post(
            "/api/v1/users",
            &admin,
            json!({"username": "sd.jiandu", "display_name": "省司法厅监督员", "role": "supervisor", "department_id": dept, "password": "Strong-Pass-1"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let get = |path: String, who: &'static str| {
        let app = &app;
        async move {
            let t = app.token(who).await;
            app.api("GET", &path, Some(&t), None).await.status
        }
    };
    // Full record: offices, department admins, leaders, supervisors in scope; not inspectors.
    for (who, want) in [
        ("wy.office", StatusCode::OK),
        ("wy.market", StatusCode::OK),
        ("wy.leader", StatusCode::OK),
        ("wy.jiandu", StatusCode::OK),
        ("admin", StatusCode::OK),
        ("wy.zhang", StatusCode::FORBIDDEN),
        ("sd.office", StatusCode::NOT_FOUND),
        ("sd.jiandu", StatusCode::NOT_FOUND),
    ] {
        assert_eq!(
            get(format!("/api/v1/draws/{id}/record"), who).await,
            want,
            "record: {who}"
        );
    }
    // Openings: staff who draw, in scope.
    for (who, want) in [
        ("wy.office", StatusCode::OK),
        ("admin", StatusCode::OK),
        ("wy.leader", StatusCode::FORBIDDEN),
        ("wy.jiandu", StatusCode::FORBIDDEN),
        ("wy.zhang", StatusCode::FORBIDDEN),
        ("sd.office", StatusCode::NOT_FOUND),
    ] {
        assert_eq!(
            get(format!("/api/v1/draws/{id}/openings/{usci}"), who).await,
            want,
            "opening: {who}"
        );
    }
    assert_eq!(
        get(
            format!("/api/v1/draws/{id}/openings/91411121XXXX"),
            "wy.office"
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    // The queue: supervisors only.
    assert_eq!(
        get("/api/v1/draws/awaiting-witness".into(), "wy.jiandu").await,
        StatusCode::OK
    );
    assert_eq!(
        get("/api/v1/draws/awaiting-witness".into(), "wy.office").await,
        StatusCode::FORBIDDEN
    );
    // Contribution and beacon on a committed, witnessed re-draw.
    let new_id = witnessed_redraw(&app, &tomorrow()).await;
    let post = |path: String, who: &'static str| {
        let app = &app;
        async move {
            let t = app.token(who).await;
            app.post(&path, &t, json!({"value": VALUE})).await.status
        }
    };
    for (who, want) in [
        ("wy.office", StatusCode::FORBIDDEN),
        ("wy.leader", StatusCode::FORBIDDEN),
        ("wy.zhang", StatusCode::FORBIDDEN),
        ("admin", StatusCode::FORBIDDEN),
        ("sd.jiandu", StatusCode::NOT_FOUND),
    ] {
        assert_eq!(
            post(format!("/api/v1/draws/{new_id}/contribution"), who).await,
            want,
            "contribution: {who}"
        );
    }
    for (who, want) in [
        ("wy.leader", StatusCode::FORBIDDEN),
        ("wy.zhang", StatusCode::FORBIDDEN),
        ("wy.jiandu", StatusCode::FORBIDDEN),
        ("sd.office", StatusCode::NOT_FOUND),
        // Allowed, but not before the beacon's date.
        ("wy.office", StatusCode::CONFLICT),
    ] {
        assert_eq!(
            post(format!("/api/v1/draws/{new_id}/beacon"), who).await,
            want,
            "beacon: {who}"
        );
    }
    // Execute: draw staff only, in scope.
    let r = app
        .post(
            &format!("/api/v1/draws/{new_id}/execute"),
            &app.token("wy.jiandu").await,
            json!({}),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
    let r = app
        .post(
            &format!("/api/v1/draws/{new_id}/execute"),
            &app.token("sd.office").await,
            json!({}),
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.body);
    // The supervisor is read-only elsewhere: it cannot commit, re-draw or change plans.
    let sup = app.token("wy.jiandu").await;
    let r = app
        .post(
            "/api/v1/draws",
            &sup,
            json!({"region_code": "411121", "period_start": "2026-10-01", "period_end": "2026-12-31", "supervisors": ["wy.jiandu"]}),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
    let r = app
        .post(
            &format!("/api/v1/draws/{new_id}/redraw"),
            &sup,
            json!({"reason": "监督人重抽"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
}

/// Issue 11 item 3: before the embargo ends nothing public names a selected entity, a credit
/// class or an inspector; each visit appears when its result is published; once all are, the
/// public record variant is served and verifies — and still carries no class or identity.
async fn embargo_public_endpoints_and_portal(app: App) {
    let d = app.demo_draw().await;
    let id = d["id"].as_str().unwrap().to_string();
    let rec = app.record(&id).await;
    let secrets = secrets_of(&rec);
    let targets: Vec<(String, String)> = rec
        .result
        .visits
        .iter()
        .map(|v| {
            let c = rec
                .input
                .candidates
                .iter()
                .find(|c| c.usci == v.usci)
                .unwrap();
            (v.usci.to_string(), c.name.clone())
        })
        .collect();
    // The office delays publication (here long enough that the test does not depend on today's
    // date; the demo's period ends 2026-12-31).
    app.svc
        .store
        .conn()
        .execute_unprepared(&format!(
            "UPDATE draws SET publish_delay_days = 3650 WHERE code = '{}'",
            d["code"].as_str().unwrap()
        ))
        .await
        .unwrap();
    // Before: no target, no class, no inspector anywhere public.
    for (p, body) in public_pages(&app, &id).await {
        assert_no_secrets(&body, &secrets, &p);
        // Published results name their entities (an ad-hoc visit may be to a drawn one).
        if p.contains("results") {
            continue;
        }
        for (usci, name) in &targets {
            assert!(
                !body.contains(usci.as_str()) && !body.contains(name.as_str()),
                "{p} names {name}"
            );
        }
    }
    let r = app
        .api("GET", &format!("/api/v1/public/draws/{id}"), None, None)
        .await;
    let s = r.json();
    assert_eq!(s["record_public"], false, "{s}");
    assert!(s["seeds"].is_null() && s["input"].is_null(), "{s}");
    assert!(
        s["plans"][0]["strata"].as_array().unwrap().len() == 5,
        "{s}"
    );
    assert!(
        !r.body.contains(&rec.seeds.server.to_hex()),
        "the server seed is secret"
    );
    // One visit's result is published: that entity appears, the others do not.
    app.publish_visits(&id, Some(1)).await;
    let r = app.get(&format!("/draws/{id}"), None).await;
    let first = &app
        .get_json(
            &format!("/api/v1/draws/{id}"),
            &app.token("wy.office").await,
        )
        .await["visits"][0];
    let first_usci = first["usci"].as_str().unwrap().to_string();
    assert!(r.body.contains(&first_usci), "{}", r.body);
    assert_no_secrets(&r.body, &secrets, "portal draw page");
    for (usci, name) in targets.iter().filter(|t| t.0 != first_usci) {
        assert!(
            !r.body.contains(usci.as_str()),
            "portal names {name} too early"
        );
    }
    let r = app
        .api("GET", &format!("/api/v1/public/draws/{id}"), None, None)
        .await;
    assert_eq!(r.json()["record_public"], false);
    assert_eq!(r.json()["visits"].as_array().unwrap().len(), 1);
    // All published: the public variant is served, verifies, and reveals no secret.
    app.publish_visits(&id, None).await;
    let r = app
        .api("GET", &format!("/api/v1/public/draws/{id}"), None, None)
        .await;
    assert_eq!(r.status, StatusCode::OK);
    let public = PublicDrawRecord::from_json(r.body.as_bytes())
        .unwrap_or_else(|e| panic!("{e:?}\n{}", &r.body[..r.body.len().min(500)]));
    assert_eq!(public.format, "lianjian-draw/3-public");
    verify_public(&public).expect("the served public record verifies");
    assert_no_secrets(&r.body, &secrets, "public record");
    assert!(
        !r.body
            .contains(&rec.seeds.v3.as_ref().unwrap().salt_key.to_hex())
    );
    for (p, body) in public_pages(&app, &id).await {
        assert_no_secrets(&body, &secrets, &p);
    }
    let r = app.get(&format!("/draws/{id}"), None).await;
    assert!(
        r.body.contains("下载公开版抽取记录") && r.body.contains(&targets[0].1),
        "{}",
        r.body
    );
}

/// Every public page and endpoint that could show a draw's targets, classes or inspectors.
async fn public_pages(app: &App, id: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for p in [
        format!("/api/v1/public/draws/{id}"),
        "/api/v1/public/draws".to_string(),
        "/api/v1/public/plans".to_string(),
        "/api/v1/public/items".to_string(),
        "/api/v1/public/results".to_string(),
    ] {
        let r = app.api("GET", &p, None, None).await;
        assert_eq!(r.status, StatusCode::OK, "{p}: {}", r.body);
        out.push((p, r.body));
    }
    for p in [
        format!("/draws/{id}"),
        "/draws".into(),
        "/plans".into(),
        "/results".into(),
        "/".into(),
    ] {
        let r = app.get(&p, None).await;
        assert_eq!(r.status, StatusCode::OK, "{p}");
        out.push((p, r.body));
    }
    out
}

/// The visits a draw writes (in multi-row statements) are exactly its record's: visit `n` has
/// code `<draw>-<n + 1>`, the record's entity, the lead plan's department, one check per plan
/// and the team in the record's order. The stored record is the one a draw from the stored
/// input computes, byte for byte, whether the input was held in memory since the commitment
/// (the demo's draw) or read back (a re-draw executed by a second server).
async fn stored_visits_match_the_record(app: App) {
    let d = app.demo_draw().await;
    let id: uuid::Uuid = d["id"].as_str().unwrap().parse().unwrap();
    visits_match_record(&app.svc, id).await;
    let actor = lianjian_services::cli_actor();
    let spec = lianjian_services::draws::WitnessSpec {
        unwitnessed_reason: "测试：由第二台服务器执行".into(),
        ..Default::default()
    };
    let again = lianjian_services::draws::redraw(&app.svc, &actor, id, "测试：重新抽取", &spec)
        .await
        .unwrap();
    let other = lianjian_services::Services::new(app.svc.store.clone(), Default::default());
    let done = lianjian_services::draws::execute(&other, &actor, again.id)
        .await
        .unwrap();
    assert_eq!(done.draw.status, DrawStatus::Drawn);
    visits_match_record(&app.svc, again.id).await;
}

async fn visits_match_record(svc: &lianjian_services::Services, id: uuid::Uuid) {
    use lianjian_domain::draw::{self as algo, DrawInput};
    use lianjian_store::{draws as repo, entities, inspectors};
    let c = svc.store.conn();
    let d = repo::get(c, id).await.unwrap().unwrap();
    let body = repo::body(c, id).await.unwrap().unwrap();
    let stored = body.record_json.unwrap();
    let rec = DrawRecord::from_json(stored.as_bytes()).unwrap();
    // What the draw computes from the stored input and seeds.
    let input: DrawInput = serde_json::from_str(&body.input_json).unwrap();
    let server = algo::Bytes32::from_hex(&body.server_seed).unwrap();
    let salt_key = algo::Bytes32::from_hex(body.salt_key.as_deref().unwrap()).unwrap();
    let commitment = algo::commit_v3(&input, &server, &salt_key, d.committed_at).unwrap();
    let result = algo::draw(&input, &rec.seeds).unwrap();
    let again = DrawRecord::new(input, commitment, rec.seeds.clone(), rec.drawn_at, result);
    assert_eq!(again.to_json(), stored);
    let visits = repo::visits_of_draw(c, id).await.unwrap();
    assert_eq!(visits.len(), rec.result.visits.len());
    assert!(!visits.is_empty());
    let ids: Vec<uuid::Uuid> = visits.iter().map(|v| v.id).collect();
    let checks = repo::checks_of_visits(c, &ids).await.unwrap();
    let teams = repo::inspectors_of_visits(c, &ids).await.unwrap();
    let plans = lianjian_store::plans::get_many(c, &repo::plan_ids(c, id).await.unwrap())
        .await
        .unwrap();
    let certs: Vec<String> = rec
        .input
        .inspectors
        .iter()
        .map(|i| i.certificate.as_str().to_string())
        .collect();
    let pool = inspectors::by_certificates(c, &certs).await.unwrap();
    for (n, (v, r)) in visits.iter().zip(&rec.result.visits).enumerate() {
        assert_eq!(v.code, format!("{}-{:04}", d.code, n + 1));
        assert_eq!(v.draw_id, Some(id));
        assert_eq!(
            (v.status.as_str(), v.trigger.as_str()),
            ("scheduled", "random")
        );
        assert_eq!(
            (v.period_start, v.period_end),
            (d.period_start, d.period_end)
        );
        let e = entities::get(c, v.entity_id).await.unwrap().unwrap();
        assert_eq!(e.usci, r.usci.as_str(), "{}", v.code);
        assert_eq!(v.region_code, e.region_code);
        assert_eq!(
            v.lead_department_id,
            rec.input.plans[r.lead_plan as usize].lead_department.id
        );
        let mut want: Vec<(uuid::Uuid, uuid::Uuid, uuid::Uuid)> = r
            .plans
            .iter()
            .map(|&p| {
                let dp = &rec.input.plans[p as usize];
                let item = plans.iter().find(|x| x.id == dp.id).unwrap().item_id;
                (dp.id, item, dp.lead_department.id)
            })
            .collect();
        let mut got: Vec<_> = checks[&v.id]
            .iter()
            .map(|k| (k.plan_id, k.item_id, k.department_id))
            .collect();
        want.sort();
        got.sort();
        assert_eq!(got, want, "{}", v.code);
        let team: Vec<(uuid::Uuid, uuid::Uuid)> = teams[&v.id]
            .iter()
            .map(|t| (t.inspector_id, t.department_id))
            .collect();
        let want_team: Vec<(uuid::Uuid, uuid::Uuid)> = r
            .inspectors
            .iter()
            .chain(&r.experts)
            .map(|c| {
                let i = &pool[c.as_str()];
                (i.id, i.department_id)
            })
            .collect();
        assert_eq!(team, want_team, "{}", v.code);
    }
}

/// `insert_visits` (multi-row statements, several per table here) stores the same rows as
/// `insert_visit` one visit at a time.
async fn batched_visit_inserts_store_what_row_by_row_inserts_store(app: App) {
    use lianjian_store::draws::{self as repo, NewVisit, Visit};
    let d = app.demo_draw().await;
    let draw: uuid::Uuid = d["id"].as_str().unwrap().parse().unwrap();
    let c = app.svc.store.conn();
    let demo = repo::visits_of_draw(c, draw).await.unwrap();
    let ids: Vec<uuid::Uuid> = demo.iter().map(|v| v.id).collect();
    let mut checks: Vec<_> = repo::checks_of_visits(c, &ids)
        .await
        .unwrap()
        .into_values()
        .flatten()
        .collect();
    checks.sort_by_key(|k| k.plan_id);
    checks.dedup_by_key(|k| k.plan_id);
    let mut people: Vec<_> = repo::inspectors_of_visits(c, &ids)
        .await
        .unwrap()
        .into_values()
        .flatten()
        .collect();
    people.sort_by_key(|t| t.inspector_id);
    people.dedup_by_key(|t| t.inspector_id);
    assert!(checks.len() >= 3 && people.len() >= 4);
    let now = chrono::Utc::now();
    // 7,000 visits with 1–3 checks and 1–4 inspectors: more rows than one statement takes on
    // either database, for each of the three tables.
    let make = |prefix: &str, n: usize| NewVisit {
        visit: Visit {
            id: uuid::Uuid::now_v7(),
            code: format!("{prefix}-{n:05}"),
            draw_id: Some(draw),
            entity_id: demo[n % demo.len()].entity_id,
            region_code: demo[n % demo.len()].region_code.clone(),
            lead_department_id: checks[n % checks.len()].department_id,
            trigger: lianjian_domain::visit::VisitTrigger::Random,
            trigger_note: (n % 7 == 0).then(|| format!("备注 {n}")),
            status: lianjian_domain::visit::VisitStatus::Scheduled,
            period_start: demo[0].period_start,
            period_end: demo[0].period_end,
            visited_on: (n % 5 == 0).then_some(demo[0].period_end),
            created_at: now,
            updated_at: now,
        },
        checks: (0..1 + n % 3)
            .map(|k| checks[(n + k) % checks.len()].clone())
            .collect(),
        inspectors: (0..1 + n % 4)
            .map(|k| people[(n * 3 + k) % people.len()].clone())
            .collect(),
    };
    let rows: Vec<NewVisit> = (0..7_000).map(|n| make("ROW", n)).collect();
    let batch: Vec<NewVisit> = (0..7_000).map(|n| make("BATCH", n)).collect();
    let tx = app.svc.store.begin().await.unwrap();
    for r in &rows {
        repo::insert_visit(&tx, &r.visit, &r.checks, &r.inspectors)
            .await
            .unwrap();
    }
    repo::insert_visits(&tx, &batch).await.unwrap();
    tx.commit().await.unwrap();
    let stored = repo::visits_of_draw(c, draw).await.unwrap();
    let read = async |prefix: &str| {
        let vs: Vec<Visit> = stored
            .iter()
            .filter(|v| v.code.starts_with(&format!("{prefix}-")))
            .cloned()
            .collect();
        let ids: Vec<uuid::Uuid> = vs.iter().map(|v| v.id).collect();
        let mut ch = repo::checks_of_visits(c, &ids).await.unwrap();
        let mut te = repo::inspectors_of_visits(c, &ids).await.unwrap();
        vs.into_iter()
            .map(|v| {
                let mut k = ch.remove(&v.id).unwrap_or_default();
                k.sort_by_key(|k| k.plan_id);
                let t = te.remove(&v.id).unwrap_or_default();
                (v, k, t)
            })
            .collect::<Vec<_>>()
    };
    let a = read("ROW").await;
    let b = read("BATCH").await;
    assert_eq!(a.len(), 7_000);
    assert_eq!(b.len(), 7_000);
    for (n, ((va, ka, ta), (vb, kb, tb))) in a.into_iter().zip(b).enumerate() {
        let mut want = batch[n].checks.clone();
        want.sort_by_key(|k| k.plan_id);
        assert_eq!(kb, want, "{}", vb.code);
        assert_eq!(tb, batch[n].inspectors, "{}", vb.code);
        assert_eq!((ka, ta), (kb, tb), "{}", vb.code);
        let strip = |v: Visit| Visit {
            id: uuid::Uuid::nil(),
            code: v.code.split_once('-').unwrap().1.to_string(),
            ..v
        };
        assert_eq!(strip(va), strip(vb));
    }
}

/// A supervisor's value must be fixed before the beacon's is known (threat model: a supervisor
/// colluding with the operator could otherwise grind with the beacon in hand): from the
/// beacon's date on, contributions are refused.
async fn contributions_close_when_the_beacon_is_due(app: App) {
    let office = app.token("wy.office").await;
    let id = witnessed_redraw(&app, &tomorrow()).await;
    let code = app.get_json(&format!("/api/v1/draws/{id}"), &office).await["draw"]["code"]
        .as_str()
        .unwrap()
        .to_string();
    app.svc
        .store
        .conn()
        .execute_unprepared(&format!(
            "UPDATE draws SET beacon_available_on = '2026-01-01' WHERE code = '{code}'"
        ))
        .await
        .unwrap();
    let r = app.contribute(&id, &"ab".repeat(32)).await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
    assert!(r.body.contains("不能再提交见证随机数"), "{}", r.body);
}

/// The public variant is generated once, when the draw is executed, and stored (issue 11,
/// docs/performance.md): the stored bytes are the domain's public variant of the full record,
/// verify as `lianjian draw verify` does, hold no credit class, risk weight, inspector name,
/// certificate number or salt key, and are what the public endpoint serves once the embargo
/// ends — also for a draw executed by another server (the input read back, not held).
async fn stored_public_variant_is_what_verify_accepts(app: App) {
    let d = app.demo_draw().await;
    let id: uuid::Uuid = d["id"].as_str().unwrap().parse().unwrap();
    let actor = lianjian_services::cli_actor();
    let spec = lianjian_services::draws::WitnessSpec {
        unwitnessed_reason: "测试：由第二台服务器执行".into(),
        ..Default::default()
    };
    let again = lianjian_services::draws::redraw(&app.svc, &actor, id, "测试：重新抽取", &spec)
        .await
        .unwrap();
    let other = lianjian_services::Services::new(app.svc.store.clone(), Default::default());
    let done = lianjian_services::draws::execute(&other, &actor, again.id)
        .await
        .unwrap();
    assert_eq!(done.draw.status, DrawStatus::Drawn);
    for id in [id, again.id] {
        let rec = app.record(&id.to_string()).await;
        let stored = lianjian_store::draws::public_record(app.svc.store.conn(), id)
            .await
            .unwrap()
            .unwrap_or_else(|| panic!("no public variant stored for {id}"));
        let public = PublicDrawRecord::from_json(stored.as_bytes())
            .unwrap_or_else(|e| panic!("{e:?}\n{}", &stored[..stored.len().min(500)]));
        let summary = verify_public(&public).expect("the stored public variant verifies");
        assert_eq!(summary.visits, rec.result.visits.len());
        assert_eq!(Some(&public), rec.public_variant().as_ref());
        assert_eq!(stored, public.to_json(), "stored as the variant's JSON");
        assert_no_secrets(&stored, &secrets_of(&rec), "stored public variant");
        let v3 = rec.seeds.v3.as_ref().unwrap();
        assert!(!stored.contains(&v3.salt_key.to_hex()));
        // Every candidate's class is in the full record, none in the stored variant.
        assert!(
            rec.input
                .candidates
                .iter()
                .any(|c| c.credit_class.is_some())
        );
        // One audit entry covers the draw's visits: `visits_sha256` of draw.execute is the
        // hash of the stored visits in the documented form (docs/audit-log.md).
        let c = app.svc.store.conn();
        let execute = lianjian_store::audit::of_object(c, "draw", &id.to_string(), 50)
            .await
            .unwrap()
            .into_iter()
            .rfind(|e| e.action == "draw.execute")
            .expect("a draw.execute entry");
        let after: Value = serde_json::from_str(execute.after.as_deref().unwrap()).unwrap();
        let visits = lianjian_store::draws::visits_of_draw(c, id).await.unwrap();
        let ids: Vec<uuid::Uuid> = visits.iter().map(|v| v.id).collect();
        let checks = lianjian_store::draws::checks_of_visits(c, &ids)
            .await
            .unwrap();
        let teams = lianjian_store::draws::inspectors_of_visits(c, &ids)
            .await
            .unwrap();
        let mut text = String::new();
        for (v, r) in visits.iter().zip(&rec.result.visits) {
            let mine = &checks[&v.id];
            let checks: Vec<String> = r
                .plans
                .iter()
                .map(|&p| {
                    let k = mine
                        .iter()
                        .find(|k| k.plan_id == rec.input.plans[p as usize].id)
                        .unwrap();
                    // The selection, which the record gives too (12.13).
                    let sel = if r.control_plans.contains(&p) {
                        "control"
                    } else if rec.input.plans[p as usize].risk_weighted {
                        "weighted"
                    } else {
                        "random"
                    };
                    assert_eq!(k.selection.map(|x| x.as_str()), Some(sel));
                    format!("{}:{}:{}:{sel}", k.plan_id, k.item_id, k.department_id)
                })
                .collect();
            let team: Vec<String> = teams[&v.id]
                .iter()
                .map(|t| format!("{}:{}", t.inspector_id, t.department_id))
                .collect();
            text.push_str(&format!(
                "{}\t{}\t{}\t{}\t{}\t{}\t{}\n",
                v.code,
                v.id,
                v.entity_id,
                v.region_code,
                v.lead_department_id,
                checks.join(","),
                team.join(",")
            ));
        }
        use sha2::Digest;
        assert_eq!(
            after["visits_sha256"].as_str(),
            Some(hex::encode(sha2::Sha256::digest(text.as_bytes())).as_str()),
            "{after}"
        );
        // Served from storage once every visit is published.
        app.publish_visits(&id.to_string(), None).await;
        let r = app
            .api("GET", &format!("/api/v1/public/draws/{id}"), None, None)
            .await;
        assert_eq!(r.status, StatusCode::OK);
        assert_eq!(r.body, stored, "the endpoint serves the stored variant");
    }
}

/// A visit of a draw names every department taking part: the plans' lead departments and their
/// cooperating departments (参与部门, issue 13), once each, lead first.
async fn visits_name_every_participating_department(app: App) {
    let office = app.token("wy.office").await;
    let list = app.get_json("/api/v1/draws", &office).await;
    let id = list["items"][0]["id"].as_str().unwrap().to_string();
    let d = app.get_json(&format!("/api/v1/draws/{id}"), &office).await;
    let depts = app
        .get_json("/api/v1/departments?per_page=200", &office)
        .await;
    let name_of = |id: &str| {
        depts["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|x| x["id"] == id)
            .map(|x| x["name"].as_str().unwrap().to_string())
            .unwrap_or_default()
    };
    let mut items = std::collections::HashMap::new();
    for p in d["plans"].as_array().unwrap() {
        let i = p["item_id"].as_str().unwrap().to_string();
        let item = app.get_json(&format!("/api/v1/items/{i}"), &office).await;
        items.insert(i, item["name"].clone());
    }
    let mut cooperating_seen = false;
    for v in d["visits"].as_array().unwrap() {
        let named: Vec<&str> = v["departments"]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| x.as_str().unwrap())
            .collect();
        let mut unique = named.clone();
        unique.dedup();
        assert_eq!(unique.len(), named.len(), "each once: {named:?}");
        assert_eq!(named[0], v["lead_department"], "lead first: {v}");
        // Every cooperating department of a plan whose item this visit checks is named.
        for p in d["plans"].as_array().unwrap() {
            let item = &items[p["item_id"].as_str().unwrap()];
            let checks_it = v["items"].as_array().unwrap().iter().any(|i| i == item);
            if !checks_it {
                continue;
            }
            for pd in p["departments"].as_array().unwrap() {
                let n = name_of(pd["department_id"].as_str().unwrap());
                assert!(named.contains(&n.as_str()), "{n} missing from {named:?}");
                cooperating_seen = true;
            }
        }
    }
    assert!(
        cooperating_seen,
        "the demo's plans have cooperating departments: {d}"
    );
}
