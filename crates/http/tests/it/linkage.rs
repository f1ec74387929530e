//! The rest of linkage (issue 17 items 2, 4, 6; issue 16 items 2, 3) through the real router on
//! SQLite and PostgreSQL: approval results uploaded as xlsx on the hand-over console page; the
//! police's requests and the consultations of a case transfer filed and listed on its page; a
//! warning turned into a visit from its page; assistance timeliness on the analysis page with
//! its definition, drill-down and export; the device registry exported and imported as xlsx.

use crate::common::*;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use lianjian_domain::licensing::LicenceInput;
use lianjian_services::exchange::licensing as licence_sheet;

on_both_backends!(
    template = DEMO, setup = app;
    approval_results_are_uploaded_as_xlsx_on_the_licences_page,
    police_requests_are_filed_and_listed_on_the_transfer_page,
    a_warning_becomes_a_visit_from_its_page,
    assistance_timeliness_is_on_the_analysis_page_with_its_records,
    devices_are_exported_and_imported_as_xlsx,
);

async fn upload(app: &App, cookie: &str, csrf: &str, kind: &str, file: &[u8], skip: bool) -> Resp {
    let (ct, body) = multipart(csrf, file, skip);
    let req = Request::builder()
        .method("POST")
        .uri(format!("/console/import/{kind}"))
        .header(header::COOKIE, cookie)
        .header(header::CONTENT_TYPE, ct)
        .body(Body::from(body))
        .unwrap();
    app.send(req).await
}

async fn approval_results_are_uploaded_as_xlsx_on_the_licences_page(app: App) {
    let token = app.token("wy.office").await;
    let p = app
        .get_json("/api/v1/entities?region=411121&per_page=1", &token)
        .await;
    let usci = p["items"][0]["usci"].as_str().unwrap().to_string();
    let cookie = app.login("wy.office").await;
    let page = app.get("/console/licences", Some(&cookie)).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.body.contains("/console/import/template/licences"),
        "{}",
        page.body
    );
    assert!(page.body.contains("action=\"/console/import/licences\""));
    let csrf = csrf_of(&page.body);
    let (status, template) = app
        .bytes("/console/import/template/licences", &cookie)
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(template.starts_with(b"PK"));
    let row = |no: &str, event: &str| LicenceInput {
        licence_no: no.into(),
        event: event.into(),
        usci: usci.clone(),
        item_code: "WY-2024-01".into(),
        licence_name: "食品生产许可".into(),
        decided_on: "2026-12-01".into(),
        bureau: "县行政审批和政务信息管理局".into(),
    };
    // A bad event on row 3: 422, the row, column and value named, nothing written.
    let bad = licence_sheet::sheet_of(&[
        row("HT14111210001", "准予许可"),
        row("HT14111210002", "批准"),
    ]);
    let r = upload(&app, &cookie, &csrf, "licences", &bad, false).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(
        r.body.contains("审批结果（B列）") && r.body.contains("批准") && r.body.contains(">3<"),
        "{}",
        r.body
    );
    let list = app.get_json("/api/v1/licences?q=HT1411121", &token).await;
    assert_eq!(list["total"], 0, "nothing written: {list}");
    // The good file: handed over, pending with the market bureau, channel xlsx.
    let good = licence_sheet::sheet_of(&[
        row("HT14111210001", "准予许可"),
        row("HT14111210002", "变更许可"),
    ]);
    let r = upload(&app, &cookie, &csrf, "licences", &good, false).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let list = app.get_json("/api/v1/licences?q=HT1411121", &token).await;
    assert_eq!(list["total"], 2, "{list}");
    assert!(
        list["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|h| h["channel"] == "xlsx" && h["status"] == "pending"),
        "{list}"
    );
    // A supervising department may not upload approval results.
    let market = app.login("wy.market").await;
    let page = app.get("/console/licences", Some(&market)).await;
    assert!(!page.body.contains("action=\"/console/import/licences\""));
    let r = upload(
        &app,
        &market,
        &csrf_of(&page.body),
        "licences",
        &good,
        false,
    )
    .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
}

async fn police_requests_are_filed_and_listed_on_the_transfer_page(app: App) {
    use lianjian_services::{assistance, follow_ups, visits};
    let token = app.token("wy.market").await;
    let market = lianjian_services::accounts::authenticate_token(&app.svc, &token, None)
        .await
        .unwrap();
    // A transfer of a started visit of the market bureau, accepted by the police, with the
    // police's appraisal request (as the demo has it).
    let vs = visits::list(
        &app.svc,
        &market,
        &Default::default(),
        lianjian_services::PageRequest::new(Some(1), Some(100)),
    )
    .await
    .unwrap();
    let v = vs
        .items
        .iter()
        .map(|x| &x.visit)
        .find(|v| !matches!(v.status.as_str(), "scheduled" | "cancelled"))
        .expect("a started visit");
    let t = follow_ups::transfer(
        &app.svc,
        &market,
        v.id,
        &follow_ups::TransferSpec {
            department_id: None,
            agency: "舞阳县公安局".into(),
            facts: "检查发现该主体销售的药品涉嫌为假药，涉嫌生产、销售假药罪".into(),
        },
    )
    .await
    .unwrap();
    follow_ups::transfer_feedback(
        &app.svc,
        &market,
        t.id,
        true,
        "经审查，决定立案侦查",
        &follow_ups::TransferDecisionInput {
            decided_on: None,
            document_no: Some("舞公（食药）立字〔2026〕12号".into()),
        },
    )
    .await
    .unwrap();
    for (kind, from, needed) in [
        (
            "appraisal",
            "public_security",
            "请对扣押的涉案药品出具检验报告",
        ),
        ("consultation", "agency", "涉案药品在检验期间由哪一方保管？"),
    ] {
        assistance::for_transfer(
            &app.svc,
            &market,
            t.id,
            &assistance::TransferRequestInput {
                kind: kind.into(),
                from_party: from.into(),
                legal_basis: "《行政执法机关移送涉嫌犯罪案件的规定》第八条".into(),
                needed: needed.into(),
                deadline_days: "10".into(),
            },
        )
        .await
        .unwrap();
    }
    let id = t.id.to_string();
    let at = format!("/console/transfers/{id}");
    let cookie = app.login("wy.market").await;
    let page = app.get(&at, Some(&cookie)).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    // The demo's appraisal request and consultation are listed with their deadlines and states.
    assert!(
        page.body.contains("检验鉴定") && page.body.contains("咨询"),
        "{}",
        page.body
    );
    assert!(page.body.contains("答复截止"));
    assert!(page.body.contains(&format!(
        "action=\"/console/transfers/{id}/assistance#linkage\""
    )));
    // The agency's decision shows its document number.
    assert!(
        page.body.contains("舞公（食药）立字〔2026〕12号"),
        "{}",
        page.body
    );
    let csrf = csrf_of(&page.body);
    // Bad fields: 422 on the transfer's page, each field named, the values kept.
    let r = app
        .form(
            &format!("/console/transfers/{id}/assistance"),
            Some(&cookie),
            &format!(
                "_csrf={csrf}&from_party=public_security&kind=&legal_basis=&needed={}&deadline_days=99",
                enc("请协助保管扣押的冷冻肉品")
            ),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(r.body.contains("请协助保管扣押的冷冻肉品"), "values kept");
    assert!(
        r.body.matches("invalid-feedback").count() >= 3,
        "{}",
        r.body
    );
    assert!(r.body.contains("99"), "the bad value is shown");
    // A good one: to the request's page; then listed on the transfer's page.
    let r = app
        .form(
            &format!("/console/transfers/{id}/assistance"),
            Some(&cookie),
            &format!(
                "_csrf={csrf}&from_party=public_security&kind=custody&legal_basis={}&needed={}&deadline_days=5",
                enc("《行政执法机关移送涉嫌犯罪案件的规定》第八条"),
                enc("请协助保管扣押的冷冻肉品 300 公斤")
            ),
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let page = app.get(&at, Some(&cookie)).await;
    assert!(page.body.contains("涉案物品保管"), "{}", page.body);
    // Who may file is the service's rule (`may_request_for_transfer`, the authorization
    // matrix's rows); the form follows it.
    let market_dept = app.get_json("/api/v1/transfers?per_page=100", &token).await;
    assert!(market_dept["items"].to_string().contains(&id));
}

/// The `value`s of the options of the select with `id` in `html`.
fn options_of(html: &str, id: &str) -> Vec<String> {
    let Some(start) = html.find(&format!("id=\"{id}\"")) else {
        return Vec::new();
    };
    let end = start + html[start..].find("</select>").unwrap();
    html[start..end]
        .split("<option value=\"")
        .skip(1)
        .map(|o| o.split('"').next().unwrap().to_string())
        .collect()
}

async fn a_warning_becomes_a_visit_from_its_page(app: App) {
    let token = app.token("wy.market").await;
    let list = app.get_json("/api/v1/warnings?per_page=100", &token).await;
    let mut found = None;
    for w in list["items"].as_array().unwrap() {
        let id = w["id"].as_str().unwrap().to_string();
        let mut d = app
            .get_json(&format!("/api/v1/warnings/{id}"), &token)
            .await;
        if d["actions"].to_string().contains("\"sign\"") && w["major"] != true {
            app.post(
                &format!("/api/v1/warnings/{id}/sign"),
                &token,
                &serde_json::json!({}),
            )
            .await;
            d = app
                .get_json(&format!("/api/v1/warnings/{id}"), &token)
                .await;
        }
        if d["actions"].to_string().contains("to_visit") {
            found = Some(id);
            break;
        }
    }
    let id = found.expect("a demo warning the market bureau may turn into a visit");
    let at = format!("/console/warnings/{id}");
    let cookie = app.login("wy.market").await;
    let page = app.get(&at, Some(&cookie)).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.body
            .contains(&format!("action=\"/console/warnings/{id}/to-visit\"")),
        "{}",
        page.body
    );
    let items = options_of(&page.body, "visit_items");
    let team = options_of(&page.body, "visit_team");
    assert!(
        !items.is_empty() && team.len() >= 2,
        "items {items:?} team {team:?}"
    );
    let csrf = csrf_of(&page.body);
    // No item, one person, dates reversed: 422 on the warning's page, each field named, the
    // choices kept; nothing created.
    let r = app
        .form(
            &format!("/console/warnings/{id}/to-visit"),
            Some(&cookie),
            &format!(
                "_csrf={csrf}&inspector_ids={}&period_start=2026-12-20&period_end=2026-12-10",
                team[0]
            ),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(r.body.contains("请至少选择一个检查事项"), "{}", r.body);
    assert!(r.body.contains("至少需要 2 名执法人员"), "{}", r.body);
    assert!(r.body.contains("结束日期早于开始日期"), "{}", r.body);
    assert!(
        r.body.contains(&format!("value=\"{}\" selected", team[0])),
        "the choice is kept"
    );
    let d = app
        .get_json(&format!("/api/v1/warnings/{id}"), &token)
        .await;
    assert_ne!(d["warning"]["status"], "to_visit");
    // The good form: the visit is created, the warning is 已转检查 with the visit's code.
    let mut body = format!(
        "_csrf={csrf}&item_ids={}&period_start=2026-12-10&period_end=2026-12-20",
        items[0]
    );
    for m in &team {
        body.push_str(&format!("&inspector_ids={m}"));
    }
    let r = app
        .form(
            &format!("/console/warnings/{id}/to-visit"),
            Some(&cookie),
            &body,
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let d = app
        .get_json(&format!("/api/v1/warnings/{id}"), &token)
        .await;
    assert_eq!(d["warning"]["status"], "to_visit", "{d}");
    let page = app.get(&at, Some(&cookie)).await;
    assert!(page.body.contains("已转检查"));
    assert!(!page.body.contains("/to-visit\""), "no second visit");
}

async fn assistance_timeliness_is_on_the_analysis_page_with_its_records(app: App) {
    let cookie = app.login("wy.office").await;
    let page = app
        .get("/console/analysis?by=department", Some(&cookie))
        .await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    for text in [
        "协查按时答复率",
        "协查答复用时中位数（天）",
        "在答复期限内答复的协查请求 ÷ 已答复的协查请求",
    ] {
        assert!(page.body.contains(text), "{text}: {}", page.body);
    }
    let start = page
        .body
        .find("/console/assistance?answered_from=")
        .expect("the figure's records link");
    let link = page.body[start..]
        .split('"')
        .next()
        .unwrap()
        .replace("&amp;", "&");
    let drilled = app.get(&link, Some(&cookie)).await;
    assert_eq!(drilled.status, StatusCode::OK, "{}", drilled.body);
    assert!(drilled.body.contains("data-drill"), "{}", drilled.body);
    // A bad date in a hand-made link is named, not a 500.
    let bad = app
        .get(
            "/console/assistance?answered_from=2026-02-30&answered_to=2026-12-31",
            Some(&cookie),
        )
        .await;
    assert!(bad.body.contains("2026-02-30"), "{}", bad.body);
    let (status, x) = app
        .bytes("/console/analysis/export?by=region", &cookie)
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(x.starts_with(b"PK"));
}

async fn devices_are_exported_and_imported_as_xlsx(app: App) {
    use lianjian_services::exchange::devices as device_sheet;
    let token = app.token("wy.market").await;
    let p = app
        .get_json("/api/v1/entities?region=411121&per_page=1", &token)
        .await;
    let usci = p["items"][0]["usci"].as_str().unwrap().to_string();
    let cookie = app.login("wy.market").await;
    let page = app.get("/console/devices", Some(&cookie)).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.body.contains("action=\"/console/import/devices\""),
        "{}",
        page.body
    );
    assert!(page.body.contains("/console/devices/export?"));
    let csrf = csrf_of(&page.body);
    let row = |loc: &str| {
        vec![
            "HT-DEV-0001".to_string(),
            "燃气报警器".into(),
            usci.clone(),
            "县市场监管局".into(),
            String::new(),
            loc.into(),
            String::new(),
            "30".into(),
            String::new(),
        ]
    };
    // An empty location on row 2: 422, named; nothing written.
    let r = upload(
        &app,
        &cookie,
        &csrf,
        "devices",
        &device_sheet::sheet_of(&[row("")]),
        false,
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(r.body.contains("安装位置（F列）"), "{}", r.body);
    let list = app.get_json("/api/v1/devices?q=HT-DEV", &token).await;
    assert_eq!(list["total"], 0, "{list}");
    let r = upload(
        &app,
        &cookie,
        &csrf,
        "devices",
        &device_sheet::sheet_of(&[row("后厨燃气表旁")]),
        false,
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let list = app.get_json("/api/v1/devices?q=HT-DEV", &token).await;
    assert_eq!(list["total"], 1, "{list}");
    let (status, x) = app.bytes("/console/devices/export?q=HT-DEV", &cookie).await;
    assert_eq!(status, StatusCode::OK);
    assert!(x.starts_with(b"PK"));
    let (status, t) = app.bytes("/console/import/template/devices", &cookie).await;
    assert_eq!(status, StatusCode::OK);
    assert!(t.starts_with(b"PK"));
}
