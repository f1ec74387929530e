//! Carrying out visits and publishing results through the real router, on SQLite always and on
//! PostgreSQL when `LIANJIAN_TEST_POSTGRES_URL` is set. The demo provides a joint ad-hoc visit
//! (market + health) scheduled for `wy.zhang` and `wy.wang`, and a published pharmacy visit.

use crate::common::*;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use serde_json::{Value, json};

on_both_backends!(
    template = DEMO, setup = app;
    joint_visit_from_phone_to_portal,
    follow_ups_orders_referrals_transfers,
    results_lists_and_ad_hoc_visits,
    attachments_are_evidence_for_every_department,
    a_line_or_region_filter_only_narrows,
    offline_edits_never_overwrite_a_colleagues_record,
);

impl App {
    /// The demo's joint clinic visit, as its inspector sees it.
    async fn clinic_visit(&self, token: &str) -> Value {
        let l = self
            .get_json("/api/v1/visits?status=scheduled&per_page=200", token)
            .await;
        let ad_hoc: Vec<&Value> = l["items"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|v| v["visit"]["trigger"] == "complaint")
            .collect();
        assert_eq!(ad_hoc.len(), 1, "{l}");
        let id = ad_hoc[0]["visit"]["id"].as_str().unwrap().to_string();
        self.get_json(&format!("/api/v1/visits/{id}"), token).await
    }
}

fn all_answers(v: &Value, answer: &str) -> Vec<Value> {
    v["parts"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|p| p["points"].as_array().unwrap().clone())
        .map(|p| json!({"seq": p["seq"], "answer": answer, "note": ""}))
        .collect()
}

async fn joint_visit_from_phone_to_portal(app: App) {
    let zhang = app.token("wy.zhang").await;
    let wang = app.token("wy.wang").await;
    let li = app.token("wy.li").await;
    let market = app.token("wy.market").await;
    let health = app.token("wy.health").await;

    let v = app.clinic_visit(&zhang).await;
    let id = v["visit"]["id"].as_str().unwrap().to_string();
    let parts = v["parts"].as_array().unwrap();
    assert_eq!(parts.len(), 2, "a joint visit of two items: {v}");
    assert_ne!(
        parts[0]["department_id"], parts[1]["department_id"],
        "two departments"
    );
    assert!(v["may_record"].as_bool().unwrap());
    // The merged checklist numbers every check point once.
    let n_points: usize = parts
        .iter()
        .map(|p| p["points"].as_array().unwrap().len())
        .sum();
    assert!(n_points >= 2, "{v}");

    // Somebody not on the team may not record.
    let r = app
        .call(
            "PUT",
            &format!("/api/v1/visits/{id}/draft"),
            &li,
            json!({"answers": [{"seq": 1, "answer": "pass"}]}),
        )
        .await;
    assert!(
        r.status == StatusCode::FORBIDDEN || r.status == StatusCode::NOT_FOUND,
        "{}",
        r.body
    );
    let r = app
        .call(
            "POST",
            &format!("/api/v1/visits/{id}/start"),
            &market,
            json!({}),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
    assert_eq!(r.json()["error"]["code"], "refused");
    assert!(
        r.json()["error"]["message"]
            .as_str()
            .unwrap()
            .contains("不在本次检查"),
        "{}",
        r.body
    );

    // Start with a position; save part of the answers.
    let r = app
        .call(
            "POST",
            &format!("/api/v1/visits/{id}/start"),
            &zhang,
            json!({"position": {"lat": 33.44, "lng": 113.61, "accuracy": 15.0}}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.json()["visit"]["status"], "in_progress");
    let answers = all_answers(&v, "pass");
    let first = json!({"answers": [answers[0].clone()]});
    let r = app
        .call(
            "PUT",
            &format!("/api/v1/visits/{id}/draft"),
            &zhang,
            first.clone(),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.json()["changed"], 1);
    // The same form again (a retry after a dropped connection) changes nothing.
    let r = app
        .call("PUT", &format!("/api/v1/visits/{id}/draft"), &zhang, first)
        .await;
    assert_eq!(r.json()["changed"], 0, "{}", r.body);

    // Bad values are named and nothing is saved.
    let r = app
        .call(
            "PUT",
            &format!("/api/v1/visits/{id}/draft"),
            &zhang,
            json!({"answers": [{"seq": 2, "answer": "maybe"}, {"seq": 999, "answer": "pass"}]}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert_eq!(r.fields(), ["answers[0].answer", "answers[1].seq"]);

    // Confirming with unanswered check points names each of them.
    let r = app
        .call(
            "POST",
            &format!("/api/v1/visits/{id}/confirm"),
            &zhang,
            json!({}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    let fields = r.fields();
    assert!(
        fields
            .iter()
            .any(|f| f.ends_with(".check_points[2]") || f.ends_with(".check_points[1]")),
        "{fields:?}"
    );
    assert!(
        fields.iter().any(|f| f.ends_with(".result_code")),
        "{fields:?}"
    );

    // Both inspectors record; wang fills in the health part.
    let results: Vec<Value> = parts
        .iter()
        .map(|p| json!({"plan_id": p["plan_id"], "result_code": "no_problem", "follow_up": "none", "summary": ""}))
        .collect();
    let r = app
        .call(
            "PUT",
            &format!("/api/v1/visits/{id}/draft"),
            &wang,
            json!({"answers": answers, "results": results}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    // A failed point contradicts "no problem".
    let r = app
        .call(
            "PUT",
            &format!("/api/v1/visits/{id}/draft"),
            &zhang,
            json!({"answers": [{"seq": 1, "answer": "fail", "note": "未见进货查验记录"}]}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let r = app
        .call(
            "POST",
            &format!("/api/v1/visits/{id}/confirm"),
            &zhang,
            json!({}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(r.body.contains("未发现问题"), "{}", r.body);
    let seq1_plan = parts.iter().find(|p| p["points"][0]["seq"] == 1).unwrap()["plan_id"].clone();
    let r = app
        .call("PUT", &format!("/api/v1/visits/{id}/draft"), &zhang, json!({"results": [{"plan_id": seq1_plan, "result_code": "发现问题已责令改正", "follow_up": "责令改正", "summary": "当场责令改正"}]}))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);

    let r = app
        .call(
            "POST",
            &format!("/api/v1/visits/{id}/confirm"),
            &zhang,
            json!({}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.json()["submitted"], false);
    assert_eq!(r.json()["waiting_for"], json!(["王芳"]));
    // Confirming twice is harmless.
    let r = app
        .call(
            "POST",
            &format!("/api/v1/visits/{id}/confirm"),
            &zhang,
            json!({}),
        )
        .await;
    assert_eq!(r.json()["newly_confirmed"], false, "{}", r.body);
    let r = app
        .call(
            "POST",
            &format!("/api/v1/visits/{id}/confirm"),
            &wang,
            json!({}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.json()["submitted"], true, "{}", r.body);
    // The record is closed to edits now.
    let r = app
        .call(
            "PUT",
            &format!("/api/v1/visits/{id}/draft"),
            &zhang,
            json!({"answers": [answers[0].clone()]}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);

    let v = app.get_json(&format!("/api/v1/visits/{id}"), &market).await;
    assert_eq!(v["visit"]["status"], "submitted");
    assert!(v["visit"]["publish_deadline"].is_string(), "{v}");
    let part_of = |v: &Value, dept_name: &str| -> Value {
        v["parts"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["department_name"].as_str().unwrap().contains(dept_name))
            .unwrap()
            .clone()
    };
    let mp = part_of(&v, "市场");
    let hp = part_of(&v, "卫生");
    // Each department reviews its own part only.
    let r = app
        .call(
            "POST",
            &format!("/api/v1/visits/{id}/review"),
            &market,
            json!({"plan_id": hp["plan_id"], "approve": true}),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
    let r = app
        .call(
            "POST",
            &format!("/api/v1/visits/{id}/review"),
            &market,
            json!({"plan_id": mp["plan_id"], "approve": true}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(part_of(&r.json(), "市场")["result"]["review"], "approved");
    // An approval stands until the inspectors change the part: approving it again or
    // returning it now is a move the review's lifecycle does not have.
    for (approve, to) in [(true, "已通过"), (false, "已退回")] {
        let r = app
            .call(
                "POST",
                &format!("/api/v1/visits/{id}/review"),
                &market,
                json!({"plan_id": mp["plan_id"], "approve": approve, "note": "再次审核该事项"}),
            )
            .await;
        assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
        assert!(
            r.body
                .contains(&format!("事项审核当前为“已通过”，不能改为“{to}”")),
            "{}",
            r.body
        );
    }
    // Returning needs a reason; then the inspectors confirm again.
    let r = app
        .call(
            "POST",
            &format!("/api/v1/visits/{id}/review"),
            &health,
            json!({"plan_id": hp["plan_id"], "approve": false}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert_eq!(r.fields(), ["note"]);
    let r = app
        .call(
            "POST",
            &format!("/api/v1/visits/{id}/review"),
            &health,
            json!({"plan_id": hp["plan_id"], "approve": false, "note": "请补充检查说明"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.json()["visit"]["status"], "in_progress");
    assert_eq!(part_of(&r.json(), "卫生")["result"]["review"], "returned");
    assert_eq!(part_of(&r.json(), "市场")["result"]["review"], "approved");
    let r = app
        .call("PUT", &format!("/api/v1/visits/{id}/draft"), &wang, json!({"results": [{"plan_id": hp["plan_id"], "result_code": "corrected", "follow_up": "rectify", "summary": "已补充：当场责令改正，限期十日"}]}))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    for t in [&zhang, &wang] {
        let r = app
            .call(
                "POST",
                &format!("/api/v1/visits/{id}/confirm"),
                t,
                json!({}),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    }
    // Resubmitted: the returned part is back with its department, the approved one stays so.
    let v2 = app.get_json(&format!("/api/v1/visits/{id}"), &health).await;
    assert_eq!(part_of(&v2, "卫生")["result"]["review"], "pending", "{v2}");
    assert_eq!(part_of(&v2, "市场")["result"]["review"], "approved", "{v2}");
    let r = app
        .call(
            "POST",
            &format!("/api/v1/visits/{id}/review"),
            &health,
            json!({"plan_id": hp["plan_id"], "approve": true}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.json()["visit"]["status"], "reviewed", "{}", r.body);

    // Only the lead department publishes.
    let lead = v["lead_department"].as_str().unwrap().to_string();
    let (lead_tok, other_tok) = if lead.contains("市场") {
        (&market, &health)
    } else {
        (&health, &market)
    };
    let r = app
        .call(
            "POST",
            &format!("/api/v1/visits/{id}/publish"),
            other_tok,
            json!({}),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
    let r = app
        .call(
            "POST",
            &format!("/api/v1/visits/{id}/publish"),
            lead_tok,
            json!({}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.json()["visit"]["status"], "published");

    // The portal's API shows entity, item, department, date and result — no people, no notes.
    let usci = v["visit"]["usci"].as_str().unwrap();
    let r = app
        .api(
            "GET",
            &format!("/api/v1/public/results?entity={usci}"),
            None,
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let p = r.json();
    assert_eq!(p["total"], 2, "{p}");
    assert!(
        !r.body.contains("张明")
            && !r.body.contains("王芳")
            && !r.body.contains("未见进货查验记录"),
        "{}",
        r.body
    );
    assert!(
        r.body.contains("发现问题已责令改正") && r.body.contains("未发现问题"),
        "{}",
        r.body
    );
    let r = app.get(&format!("/results?entity={usci}"), None).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.body.contains("发现问题已责令改正"), "portal page");

    // Effects: the entity's timeline and its credit records.
    let entity_id = v["visit"]["entity_id"].as_str().unwrap();
    let e = app
        .get_json(&format!("/api/v1/entities/{entity_id}"), &market)
        .await;
    assert!(e.to_string().contains("entity.inspection_result"), "{e}");
    let ent = lianjian_store::entities::by_usci(app.svc.store.conn(), usci)
        .await
        .unwrap()
        .unwrap();
    let credit = lianjian_store::visits::credit_records_of_entity(app.svc.store.conn(), ent.id)
        .await
        .unwrap();
    assert_eq!(credit.len(), 2);

    // Every step is in the audit chain, which still verifies.
    let audit = app
        .get_json(
            "/api/v1/audit?action=visit.confirm",
            &app.token("admin").await,
        )
        .await;
    assert!(audit["total"].as_u64().unwrap() >= 4, "{audit}");
    // Every row these use cases wrote was sealed in its transaction (docs/audit-log.md).
    let unsealed = lianjian_store::seal::reconcile(app.svc.store.conn())
        .await
        .unwrap();
    assert!(unsealed.is_empty(), "{unsealed:#?}");
}

async fn follow_ups_orders_referrals_transfers(app: App) {
    let market = app.token("wy.market").await;
    let health = app.token("wy.health").await;
    let id = app.published_visit(&market).await;
    let v = app.get_json(&format!("/api/v1/visits/{id}"), &market).await;
    assert_eq!(
        v["rectifications"].as_array().unwrap().len(),
        1,
        "the demo's order: {v}"
    );
    let plan = v["parts"][0]["plan_id"].clone();

    // A deadline in the past (or today) is refused with the field named.
    let r = app
        .call(
            "POST",
            &format!("/api/v1/visits/{id}/rectifications"),
            &market,
            json!({"plan_id": plan, "requirements": "完善进货查验记录", "deadline": "2020-01-01"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert_eq!(r.fields(), ["deadline"]);
    let r = app
        .call(
            "POST",
            &format!("/api/v1/visits/{id}/rectifications"),
            &market,
            json!({"plan_id": plan, "requirements": "完善进货查验记录", "working_days": 0}),
        )
        .await;
    assert_eq!(r.fields(), ["working_days"], "{}", r.body);
    let r = app
        .call(
            "POST",
            &format!("/api/v1/visits/{id}/rectifications"),
            &market,
            json!({"plan_id": plan, "requirements": "完善进货查验记录", "working_days": 5}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let order = r.json();
    let issued =
        chrono::NaiveDate::parse_from_str(order["issued_on"].as_str().unwrap(), "%Y-%m-%d")
            .unwrap();
    let deadline =
        chrono::NaiveDate::parse_from_str(order["deadline"].as_str().unwrap(), "%Y-%m-%d").unwrap();
    // Five working days: at least five calendar days later, on a working day.
    use chrono::Datelike;
    assert!((deadline - issued).num_days() >= 5, "{order}");
    assert!(deadline.weekday().number_from_monday() <= 5, "{order}");
    // The health department may not act for the market department's order.
    let oid = order["id"].as_str().unwrap();
    let r = app
        .call(
            "POST",
            &format!("/api/v1/rectifications/{oid}/report"),
            &health,
            json!({"text": "已整改完毕"}),
        )
        .await;
    assert!(
        matches!(r.status, StatusCode::FORBIDDEN | StatusCode::NOT_FOUND),
        "{}",
        r.body
    );
    let r = app
        .call(
            "POST",
            &format!("/api/v1/rectifications/{oid}/report"),
            &market,
            json!({"text": "已建立进货查验记录"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.json()["status"], "reported");

    // Closing waits for the open orders.
    let r = app
        .call(
            "POST",
            &format!("/api/v1/visits/{id}/close"),
            &market,
            json!({}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
    for o in app.get_json(&format!("/api/v1/visits/{id}"), &market).await["rectifications"]
        .as_array()
        .unwrap()
    {
        let r = app
            .call(
                "POST",
                &format!(
                    "/api/v1/rectifications/{}/recheck",
                    o["id"].as_str().unwrap()
                ),
                &market,
                json!({"passed": true, "text": "复查合格，已规范销售"}),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    }

    // A referral to the health department, answered by it.
    let r = app
        .refer_to_health(&market, &id, "发现执业医师资格存疑，请核查")
        .await;
    let rid = r["id"].as_str().unwrap().to_string();
    let inbox = app
        .get_json("/api/v1/referrals?direction=incoming", &health)
        .await;
    assert!(inbox.to_string().contains(&rid), "{inbox}");
    // The status filter takes a referral's own statuses: another list's status, or none
    // known, is named (it used to match nothing, silently).
    let sent = app
        .get_json("/api/v1/referrals?direction=incoming&status=sent", &health)
        .await;
    assert!(sent.to_string().contains(&rid), "{sent}");
    for bad in ["issued", "lost"] {
        let r = app
            .api(
                "GET",
                &format!("/api/v1/referrals?status={bad}"),
                Some(&health),
                None,
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
        assert_eq!(r.fields(), ["status"]);
    }
    let r = app
        .call(
            "POST",
            &format!("/api/v1/referrals/{rid}/answer"),
            &market,
            json!({"text": "已核查完毕"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
    let r = app
        .call(
            "POST",
            &format!("/api/v1/referrals/{rid}/answer"),
            &health,
            json!({"text": "已核查，资格有效"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);

    // A case transfer.
    let r = app
        .call(
            "POST",
            &format!("/api/v1/visits/{id}/transfers"),
            &market,
            json!({"agency": "舞阳县公安局", "facts": "x"}),
        )
        .await;
    assert_eq!(r.fields(), ["facts"], "{}", r.body);
    app.transfer_to_police(&market, &id, "涉嫌销售假药，货值较大")
        .await;

    let r = app
        .call(
            "POST",
            &format!("/api/v1/visits/{id}/close"),
            &market,
            json!({}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.json()["visit"]["status"], "closed");
    // Every row these use cases wrote was sealed in its transaction (docs/audit-log.md).
    let unsealed = lianjian_store::seal::reconcile(app.svc.store.conn())
        .await
        .unwrap();
    assert!(unsealed.is_empty(), "{unsealed:#?}");
}

async fn results_lists_and_ad_hoc_visits(app: App) {
    let market = app.token("wy.market").await;
    let r = app.get_json("/api/v1/results", &market).await;
    assert!(r["total"].as_u64().unwrap() >= 1, "{r}");
    let row = &r["items"][0];
    assert!(
        row["publish_deadline"].is_string() && row["late"].is_boolean(),
        "{row}"
    );
    let r = app
        .api("GET", "/api/v1/results/export", Some(&market), None)
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(
        r.headers["content-type"]
            .to_str()
            .unwrap()
            .contains("spreadsheetml")
    );
    let r = app
        .api(
            "GET",
            "/api/v1/results?from=2026-13-01",
            Some(&market),
            None,
        )
        .await;
    assert_eq!(r.fields(), ["from"]);
    let r = app
        .api("GET", "/api/v1/public/results?result=nonsense", None, None)
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);

    // An ad-hoc visit: every bad field at once.
    let r = app
        .call("POST", "/api/v1/visits", &market, json!({"usci": "91411121MA0000000X", "item_ids": [], "trigger": "random", "trigger_note": "", "inspector_ids": [], "period_start": "2026-12-10", "period_end": "2026-12-01"}))
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    let f = r.fields();
    for want in [
        "usci",
        "trigger",
        "trigger_note",
        "period_end",
        "item_ids",
        "inspector_ids",
    ] {
        assert!(f.iter().any(|x| x == want), "{want} in {f:?}");
    }
    // Inspectors see only the visits they are on.
    let li = app.token("wy.li").await;
    let mine = app.get_json("/api/v1/visits?per_page=200", &li).await;
    let all = app.get_json("/api/v1/visits?per_page=200", &market).await;
    assert!(
        mine["total"].as_u64().unwrap() < all["total"].as_u64().unwrap(),
        "{mine}"
    );
    assert!(
        !mine.to_string().contains("注射用产品"),
        "the clinic visit is not wy.li's: {mine}"
    );
}

/// A multipart attachment form: `file`, and `seq` when given.
fn attachment(
    token: &str,
    visit: &str,
    name: &str,
    ct: &str,
    bytes: &[u8],
    seq: Option<i32>,
) -> Request<Body> {
    let b = "----lianjianvisit";
    let mut body = Vec::new();
    if let Some(s) = seq {
        body.extend(
            format!("--{b}\r\nContent-Disposition: form-data; name=\"seq\"\r\n\r\n{s}\r\n")
                .as_bytes(),
        );
    }
    body.extend(format!("--{b}\r\nContent-Disposition: form-data; name=\"lat\"\r\n\r\n33.44\r\n--{b}\r\nContent-Disposition: form-data; name=\"lng\"\r\n\r\n113.61\r\n").as_bytes());
    body.extend(format!("--{b}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\nContent-Type: {ct}\r\n\r\n").as_bytes());
    body.extend(bytes);
    body.extend(format!("\r\n--{b}--\r\n").as_bytes());
    Request::builder()
        .method("POST")
        .uri(format!("/api/v1/visits/{visit}/attachments"))
        .header(header::AUTHORIZATION, format!("Bearer {token}"))
        .header(
            header::CONTENT_TYPE,
            format!("multipart/form-data; boundary={b}"),
        )
        .body(Body::from(body))
        .unwrap()
}

async fn attachments_are_evidence_for_every_department(app: App) {
    let zhang = app.token("wy.zhang").await;
    let li = app.token("wy.li").await;
    let health = app.token("wy.health").await;
    let v = app.clinic_visit(&zhang).await;
    let id = v["visit"]["id"].as_str().unwrap().to_string();
    let mut photo = b"\xff\xd8\xff\xe0\0\x10JFIF\0".to_vec();
    photo.extend("注射用产品包装照片".as_bytes());

    // Not on the team: refused, nothing stored.
    let r = app
        .send(attachment(&li, &id, "a.jpg", "image/jpeg", &photo, Some(1)))
        .await;
    assert!(
        matches!(r.status, StatusCode::FORBIDDEN | StatusCode::NOT_FOUND),
        "{}",
        r.body
    );
    // A forbidden type is named and nothing is attached.
    let r = app
        .send(attachment(
            &zhang,
            &id,
            "notes.txt",
            "text/plain",
            b"plain text",
            Some(1),
        ))
        .await;
    assert_eq!(r.status, StatusCode::UNSUPPORTED_MEDIA_TYPE, "{}", r.body);
    assert!(r.body.contains("notes.txt"), "{}", r.body);
    // Over the evidence limit (10 MiB): 413 naming the file; a phone-sized photo (3 MB) is fine.
    let mut big = photo.clone();
    big.resize(11 * 1024 * 1024, b'x');
    let r = app
        .send(attachment(
            &zhang,
            &id,
            "big.jpg",
            "image/jpeg",
            &big,
            Some(1),
        ))
        .await;
    assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE, "{}", r.body);
    assert!(r.body.contains("big.jpg"), "{}", r.body);
    let mut phone = photo.clone();
    phone.resize(3 * 1024 * 1024, b'y');
    let r = app
        .send(attachment(
            &zhang,
            &id,
            "phone.jpg",
            "image/jpeg",
            &phone,
            None,
        ))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    // A check point that does not exist.
    let r = app
        .send(attachment(
            &zhang,
            &id,
            "a.jpg",
            "image/jpeg",
            &photo,
            Some(999),
        ))
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert_eq!(r.fields(), ["seq"]);
    let v2 = app.get_json(&format!("/api/v1/visits/{id}"), &zhang).await;
    assert_eq!(
        v2["attachments"].as_array().unwrap().len(),
        1,
        "only the 3 MB photo: {v2}"
    );

    // A photo for check point 1, sent twice (a retry): one attachment, one stored copy.
    for _ in 0..2 {
        let r = app
            .send(attachment(
                &zhang,
                &id,
                "现场照片.jpg",
                "image/jpeg",
                &photo,
                Some(1),
            ))
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    }
    let v2 = app.get_json(&format!("/api/v1/visits/{id}"), &zhang).await;
    let atts: Vec<&Value> = v2["attachments"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["seq"] == 1)
        .collect();
    assert_eq!(atts.len(), 1, "{v2}");
    assert_eq!(
        v2["visit"]["status"], "in_progress",
        "an upload starts the visit"
    );
    let sha = atts[0]["sha256"].as_str().unwrap();
    assert!(atts[0]["position"].as_str().unwrap().contains("113.61"));

    // The other department fetches the file and its inclusion proof, and verifies offline.
    let r = app
        .api(
            "GET",
            &format!("/api/v1/evidence/{sha}"),
            Some(&health),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let proof = app
        .get_json(&format!("/api/v1/evidence/{sha}/proof"), &health)
        .await;
    let doc =
        lianjian_domain::evidence::ProofDocument::from_json(proof.to_string().as_bytes()).unwrap();
    lianjian_domain::evidence::verify(&photo, &doc).expect("the photo verifies against its proof");
    let mut altered = photo.clone();
    *altered.last_mut().unwrap() ^= 1;
    assert!(lianjian_domain::evidence::verify(&altered, &doc).is_err());
}

/// Issue 12: a filter narrows the acting user's scope and never replaces it. Services used to
/// take the query's line "if it had none", so a department administrator asking for another
/// line's visits saw them. Asked through the services (the API has no `line` parameter yet).
async fn a_line_or_region_filter_only_narrows(app: App) {
    use lianjian_services::PageRequest;
    use lianjian_services::visits::{self, ResultQuery, VisitQuery};
    use std::collections::HashSet;
    let actor = |name: &'static str| {
        let app = &app;
        async move {
            let t = app.token(name).await;
            lianjian_services::accounts::authenticate_token(&app.svc, &t, None)
                .await
                .unwrap()
        }
    };
    let market = actor("wy.market").await;
    let health = actor("wy.health").await;
    // A visit by health inspectors alone, so that the view of health holds one the market
    // bureau does not check whatever the demo's random draw selected.
    let health_only = {
        let c = app.svc.store.conn();
        let member = |cert: &'static str| async move {
            lianjian_store::inspectors::by_certificate(c, cert)
                .await
                .unwrap()
                .unwrap()
                .id
        };
        let today = lianjian_domain::visit::beijing_date(chrono::Utc::now());
        let clinic = lianjian_store::entities::scan(
            c,
            Some(&lianjian_domain::region::RegionCode::parse("411121").unwrap()),
            None,
            1000,
        )
        .await
        .unwrap()
        .into_iter()
        .find(|e| e.name.contains("医疗美容") || e.name.contains("医美"))
        .expect("a demo clinic");
        visits::create_ad_hoc(
            &app.svc,
            &health,
            &visits::AdHocSpec {
                usci: clinic.usci.clone(),
                item_ids: vec![
                    lianjian_store::items::by_code(c, "WY-2024-07")
                        .await
                        .unwrap()
                        .unwrap()
                        .id,
                ],
                trigger: "complaint".into(),
                trigger_note: "测试：卫生健康部门单独检查".into(),
                inspector_ids: vec![
                    member("41112120230102").await,
                    member("41112120230103").await,
                ],
                period_start: today.to_string(),
                period_end: (today + chrono::Days::new(10)).to_string(),
            },
        )
        .await
        .unwrap()
        .visit
        .id
    };
    let page = PageRequest::new(Some(1), Some(PageRequest::MAX_PER_PAGE));
    let ids = |p: &lianjian_services::Page<visits::VisitListEntry>| -> HashSet<uuid::Uuid> {
        p.items.iter().map(|v| v.visit.id).collect()
    };
    let own = visits::list(&app.svc, &market, &VisitQuery::default(), page)
        .await
        .unwrap();
    let theirs = visits::list(&app.svc, &health, &VisitQuery::default(), page)
        .await
        .unwrap();
    let (own, theirs) = (ids(&own), ids(&theirs));
    assert!(theirs.contains(&health_only) && !own.contains(&health_only));
    assert!(
        theirs.difference(&own).next().is_some(),
        "the demo has health visits without a market check"
    );
    let asked = VisitQuery {
        line: Some("health".into()),
        ..Default::default()
    };
    let got = ids(&visits::list(&app.svc, &market, &asked, page).await.unwrap());
    assert!(got.is_subset(&own), "?line=health widened the market view");
    assert!(got.is_subset(&theirs));
    // A region outside the actor's subtree finds nothing rather than the whole view.
    let elsewhere = VisitQuery {
        region: Some(lianjian_domain::region::RegionCode::parse("37").unwrap()),
        ..Default::default()
    };
    let got = visits::list(&app.svc, &market, &elsewhere, page)
        .await
        .unwrap();
    assert_eq!(got.total, 0);

    // Results: the same rule.
    let rows = |q: ResultQuery, a: lianjian_services::Actor| {
        let svc = app.svc.clone();
        async move {
            visits::results(&svc, &a, &q, page)
                .await
                .unwrap()
                .items
                .into_iter()
                .map(|r| (r.row.visit_id, r.row.department_id))
                .collect::<HashSet<_>>()
        }
    };
    let own = rows(ResultQuery::default(), market.clone()).await;
    let asked = rows(
        ResultQuery {
            line: Some("health".into()),
            ..Default::default()
        },
        market.clone(),
    )
    .await;
    assert!(
        asked.is_subset(&own),
        "?line=health widened the market results"
    );
}

/// The phone's sync protocol (issue 13): an entry sent with the `base` it was edited from is
/// written only while the server still holds that base; otherwise it comes back as a conflict
/// naming the colleague's value, and nothing of it is written. The phone settles it by sending
/// again on the server's value. A change after a colleague's confirmation names who must
/// confirm again.
async fn offline_edits_never_overwrite_a_colleagues_record(app: App) {
    let zhang = app.token("wy.zhang").await;
    let wang = app.token("wy.wang").await;
    let v = app.clinic_visit(&zhang).await;
    let id = v["visit"]["id"].as_str().unwrap().to_string();
    let draft = format!("/api/v1/visits/{id}/draft");
    let unanswered = json!({"answer": "", "note": ""});

    // Both phones showed point 1 unanswered; 王芳 answers first.
    let r = app
        .call("PUT", &draft, &wang, json!({"answers": [{"seq": 1, "answer": "fail", "note": "灭火器过期", "base": unanswered}]}))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.json()["changed"], 1);
    assert_eq!(r.json()["conflicts"], json!([]));

    // 张明's offline answers arrive later on the same base: point 2 is written, point 1 is not.
    let r = app
        .call(
            "PUT",
            &draft,
            &zhang,
            json!({"answers": [
                {"seq": 1, "answer": "pass", "note": "", "base": unanswered},
                {"seq": 2, "answer": "pass", "note": "", "base": unanswered},
            ]}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let body = r.json();
    assert_eq!(body["changed"], 1, "{body}");
    let conflicts = body["conflicts"].as_array().unwrap();
    assert_eq!(conflicts.len(), 1, "{body}");
    let c = &conflicts[0];
    assert_eq!(c["field"], "answers[0]");
    assert_eq!(c["seq"], 1);
    assert_eq!(c["server"], json!({"answer": "fail", "note": "灭火器过期"}));
    assert_eq!(c["by"], "王芳");
    let msg = c["message"].as_str().unwrap();
    assert!(
        msg.contains("王芳") && msg.contains("不符合") && msg.contains("符合"),
        "{msg}"
    );
    let now = app.get_json(&format!("/api/v1/visits/{id}"), &zhang).await;
    let point = |v: &Value, seq: i64| -> Value {
        v["parts"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|p| p["points"].as_array().unwrap().clone())
            .find(|p| p["seq"] == seq)
            .unwrap()
    };
    assert_eq!(point(&now, 1)["answer"], "fail", "not overwritten");
    assert_eq!(point(&now, 2)["answer"], "pass");

    // The same value as the server's is no conflict, whatever the base.
    let r = app
        .call("PUT", &draft, &zhang, json!({"answers": [{"seq": 1, "answer": "fail", "note": "灭火器过期", "base": unanswered}]}))
        .await;
    assert_eq!(r.json()["conflicts"], json!([]), "{}", r.body);
    assert_eq!(r.json()["changed"], 0);

    // Results follow the same rule.
    let plan = now["parts"][0]["plan_id"].clone();
    let empty = json!({"result_code": "", "follow_up": "", "summary": ""});
    let r = app
        .call("PUT", &draft, &wang, json!({"results": [{"plan_id": plan, "result_code": "corrected", "follow_up": "rectify", "summary": "", "base": empty}]}))
        .await;
    assert_eq!(r.json()["conflicts"], json!([]), "{}", r.body);
    let r = app
        .call("PUT", &draft, &zhang, json!({"results": [{"plan_id": plan, "result_code": "no_problem", "follow_up": "none", "summary": "", "base": empty}]}))
        .await;
    let c = &r.json()["conflicts"][0];
    assert_eq!(c["field"], "results[0]", "{}", r.body);
    assert_eq!(c["server"]["result_code"], "corrected");
    assert!(c["server_zh"].as_str().unwrap().contains("责令"), "{c}");

    // Kept after seeing it: sent again on the server's value as base, it is written.
    let r = app
        .call(
            "PUT",
            &draft,
            &zhang,
            json!({"answers": [{"seq": 1, "answer": "pass", "note": "已当场更换", "base": {"answer": "fail", "note": "灭火器过期"}}]}),
        )
        .await;
    assert_eq!(r.json()["conflicts"], json!([]), "{}", r.body);
    assert_eq!(r.json()["changed"], 1);
    let now = app.get_json(&format!("/api/v1/visits/{id}"), &zhang).await;
    assert_eq!(point(&now, 1)["answer"], "pass");
    assert_eq!(point(&now, 1)["note"], "已当场更换");

    // A base that is not an answer is refused by name, and nothing is written.
    let r = app
        .call(
            "PUT",
            &draft,
            &zhang,
            json!({"answers": [{"seq": 3, "answer": "pass", "base": {"answer": "maybe"}}]}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert_eq!(r.fields(), ["answers[0].base.answer"]);

    // Without a base (older clients, scripts) the answer is written as sent.
    let r = app
        .call(
            "PUT",
            &draft,
            &wang,
            json!({"answers": [{"seq": 1, "answer": "not_applicable"}]}),
        )
        .await;
    assert_eq!(r.json()["changed"], 1, "{}", r.body);

    // 张明 completes and confirms; 王芳's later change withdraws his confirmation by name.
    let results: Vec<Value> = now["parts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| json!({"plan_id": p["plan_id"], "result_code": "no_problem", "follow_up": "none", "summary": ""}))
        .collect();
    let r = app
        .call(
            "PUT",
            &draft,
            &zhang,
            json!({"answers": all_answers(&now, "pass"), "results": results}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let r = app
        .call(
            "POST",
            &format!("/api/v1/visits/{id}/confirm"),
            &zhang,
            json!({}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let r = app
        .call("PUT", &draft, &wang, json!({"answers": [{"seq": 2, "answer": "pass", "note": "复核", "base": {"answer": "pass", "note": ""}}]}))
        .await;
    assert_eq!(r.json()["withdrawn"], json!(["张明"]), "{}", r.body);
}
