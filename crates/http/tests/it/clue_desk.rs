//! The clue desk (issue 14 item 8) through the real router, on SQLite and PostgreSQL: batch
//! 签收 and 派单/改派 from a queue with refusals named row by row and the rest done; the xlsx
//! export of a queue (labels, complainant masked, read back with calamine) from the console
//! and the API; the rates page, API and export within scope; the home page's clue card; files
//! added to a clue (补充材料) as evidence and the batch steps through the API.

use crate::common::*;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use http_body_util::BodyExt;
use serde_json::json;
use tower::ServiceExt;

on_both_backends!(
    template = DEMO, setup = app;
    batch_sign_and_send_name_refusals_and_do_the_rest,
    the_export_masks_complainants_and_uses_labels,
    rates_show_per_department_within_scope,
    the_home_card_counts_the_users_queues,
    files_and_batches_through_the_api_and_the_console,
);

/// 辛安镇 of 舞阳县: no demo clue lies there.
const TOWN: &str = "411121104";

async fn register(app: &App, office: &str, n: u32) -> (String, String) {
    let c = app
        .created(
            "/api/v1/clues",
            office,
            json!({
                "source": "hotline_12345",
                "kind": "complaint",
                "content": format!("辛安镇第 {n} 号线索：超市销售过期食品"),
                "address": format!("舞阳县辛安镇商业街 {n} 号"),
                "region_code": TOWN,
                "complainant_name": "王小明",
                "complainant_phone": "13800138000",
            }),
        )
        .await;
    (
        c["id"].as_str().unwrap().to_string(),
        c["code"].as_str().unwrap().to_string(),
    )
}

async fn dispatch(app: &App, office: &str, id: &str, dept: &str) {
    let r = app
        .post(
            &format!("/api/v1/clues/{id}/dispatch"),
            office,
            json!({"department_id": dept}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
}

async fn batch_sign_and_send_name_refusals_and_do_the_rest(app: App) {
    let office_t = app.token("wy.office").await;
    let x = app.department(&office_t, "411121", "县市场监管局").await;
    let (c1, _) = register(&app, &office_t, 1).await;
    let (c2, _) = register(&app, &office_t, 2).await;
    let (c3, _) = register(&app, &office_t, 3).await;
    dispatch(&app, &office_t, &c1, &x).await;
    dispatch(&app, &office_t, &c2, &x).await;
    // The department's 待签收 queue offers the batch bar with a confirmation.
    let market = app.login("wy.market").await;
    let page = app
        .get(
            &format!("/console/clues?queue=to_sign&region={TOWN}"),
            Some(&market),
        )
        .await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("批量签收") && page.body.contains("data-confirm"));
    assert!(page.body.contains(&c1) && page.body.contains(&c2));
    let csrf = csrf_of(&page.body);
    // c3 is not the department's (not dispatched): named by its place, the others signed.
    let r = app
        .form(
            &format!("/console/clues/batch?queue=to_sign&region={TOWN}"),
            Some(&market),
            &format!("_csrf={csrf}&_once=desk1&action=sign&ids={c1}&ids={c3}&ids={c2}"),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(r.body.contains("data-batch-done=\"2\""), "{}", r.body);
    assert!(r.body.contains("data-batch-failed=\"1\""));
    assert!(r.body.contains("第 2 条：不在您的队列中"), "{}", r.body);
    for id in [&c1, &c2] {
        let d = app
            .get_json(&format!("/api/v1/clues/{id}"), &office_t)
            .await;
        assert_eq!(d["status"], "handling", "{d}");
        assert_eq!(d["timeline"][2]["action"], "sign");
    }
    // Nothing checked: the batch is refused as a whole and says why.
    let r = app
        .form(
            "/console/clues/batch",
            Some(&market),
            &format!("_csrf={csrf}&_once=desk2&action=sign"),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("请先勾选要处理的线索"), "{}", r.body);
    // The office sends c3 (registered: 派单) and c1 (signed: 改派 refused; no reason given
    // either): c3 dispatched, c1 named with its code and why.
    let office = app.login("wy.office").await;
    let page = app.get("/console/clues?queue=all", Some(&office)).await;
    assert!(page.body.contains("批量派单/改派"));
    let ocsrf = csrf_of(&page.body);
    let c1_code = app
        .get_json(&format!("/api/v1/clues/{c1}"), &office_t)
        .await["code"]
        .as_str()
        .unwrap()
        .to_string();
    let r = app
        .form(
            "/console/clues/batch?queue=all",
            Some(&office),
            &format!(
                "_csrf={ocsrf}&_once=desk3&action=send&department_id={x}&reason=&ids={c3}&ids={c1}"
            ),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(r.body.contains("data-batch-done=\"1\""), "{}", r.body);
    assert!(
        r.body.contains(&format!("第 2 条（{c1_code}）：")),
        "{}",
        r.body
    );
    let d = app
        .get_json(&format!("/api/v1/clues/{c3}"), &office_t)
        .await;
    assert_eq!(d["status"], "dispatched");
    // No department chosen: refused as a whole.
    let r = app
        .form(
            "/console/clues/batch",
            Some(&office),
            &format!("_csrf={ocsrf}&_once=desk4&action=send&ids={c3}"),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("请选择承办部门"));
    // Read-only roles do no batch.
    let leader = app.login("wy.leader").await;
    let lpage = app.get("/console/clues", Some(&leader)).await;
    assert!(!lpage.body.contains("data-batch-bar"));
    let r = app
        .form(
            "/console/clues/batch",
            Some(&leader),
            &format!(
                "_csrf={}&_once=desk5&action=sign&ids={c3}",
                csrf_of(&lpage.body)
            ),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
}

/// The rows of an xlsx's sheet `sheet` (header first), read with calamine.
fn sheet_rows(bytes: &[u8], sheet: &str) -> Vec<Vec<String>> {
    use calamine::{Data, Reader, Xlsx};
    let mut wb: Xlsx<_> =
        Xlsx::new(std::io::Cursor::new(bytes.to_vec())).expect("calamine reads it");
    assert_eq!(wb.sheet_names(), vec![sheet.to_string()]);
    wb.worksheet_range(sheet)
        .expect("sheet")
        .rows()
        .map(|r| {
            r.iter()
                .map(|c| match c {
                    Data::Empty => String::new(),
                    c => c.to_string(),
                })
                .collect()
        })
        .collect()
}

async fn api_bytes(app: &App, path: &str, token: &str) -> (StatusCode, String, Vec<u8>) {
    let req = Request::builder()
        .uri(path)
        .header(header::AUTHORIZATION, format!("Bearer {token}"))
        .body(Body::empty())
        .unwrap();
    let r = app.router.clone().oneshot(req).await.unwrap();
    let status = r.status();
    let ct = r
        .headers()
        .get(header::CONTENT_TYPE)
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default();
    (
        status,
        ct,
        r.into_body().collect().await.unwrap().to_bytes().to_vec(),
    )
}

async fn the_export_masks_complainants_and_uses_labels(app: App) {
    let office_t = app.token("wy.office").await;
    let (_, code) = register(&app, &office_t, 7).await;
    // The office reads the phone in full on the page, but an export is masked always.
    let office = app.login("wy.office").await;
    let (status, bytes) = app
        .bytes(
            &format!("/console/clues/export?queue=all&q={code}"),
            &office,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let rows = sheet_rows(&bytes, "问题线索");
    assert_eq!(rows.len(), 2, "{rows:?}");
    let head = &rows[0];
    let col = |h: &str| {
        head.iter()
            .position(|x| x == h)
            .unwrap_or_else(|| panic!("{h}: {head:?}"))
    };
    let r = &rows[1];
    assert_eq!(r[col("线索编号")], code);
    assert_eq!(r[col("来源")], "12345热线");
    assert_eq!(r[col("诉求类型")], "投诉");
    assert_eq!(r[col("状态")], "待派单");
    assert_eq!(r[col("诉求人")], "王**");
    assert_eq!(r[col("联系电话")], "138****8000");
    assert!(!String::from_utf8_lossy(&bytes).contains("13800138000"));
    // The API: the same file; a bad filter is named.
    let (status, ct, bytes) = api_bytes(
        &app,
        &format!("/api/v1/clues/export.xlsx?queue=to_dispatch&q={code}"),
        &office_t,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert!(ct.contains("spreadsheetml"), "{ct}");
    let rows = sheet_rows(&bytes, "问题线索");
    assert_eq!(rows[1][col("联系电话")], "138****8000");
    let r = app
        .api(
            "GET",
            "/api/v1/clues/export.xlsx?kind=rumour",
            Some(&office_t),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.fields(), ["kind"]);
    // An empty queue still exports its header row.
    let (status, bytes) = app
        .bytes(
            "/console/clues/export?queue=all&q=no-such-clue-anywhere",
            &office,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(sheet_rows(&bytes, "问题线索").len(), 1);
}

async fn rates_show_per_department_within_scope(app: App) {
    let office_t = app.token("wy.office").await;
    let market_t = app.token("wy.market").await;
    let x = app.department(&office_t, "411121", "县市场监管局").await;
    let y = app.department(&office_t, "411121", "县卫生健康委").await;
    let (c1, _) = register(&app, &office_t, 31).await;
    let (c2, _) = register(&app, &office_t, 32).await;
    dispatch(&app, &office_t, &c1, &x).await;
    dispatch(&app, &office_t, &c2, &y).await;
    let r = app
        .post(&format!("/api/v1/clues/{c1}/sign"), &market_t, json!({}))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let q = format!("/api/v1/clues/rates?region={TOWN}");
    let all = app.get_json(&q, &office_t).await;
    let deps = all["departments"].as_array().unwrap();
    assert_eq!(deps.len(), 2, "{all}");
    let m = deps
        .iter()
        .find(|d| d["department_id"] == x.as_str())
        .unwrap();
    assert_eq!(m["dispatched"], 1);
    assert_eq!(m["signed_in_time"], 1);
    assert_eq!(m["response_rate"], 1.0);
    assert!(m["satisfaction_rate"].is_null());
    let h = deps
        .iter()
        .find(|d| d["department_id"] == y.as_str())
        .unwrap();
    assert_eq!(h["response_rate"], 0.0);
    assert_eq!(all["total"]["dispatched"], 2);
    // The market department sees its own line only.
    let mine = app.get_json(&q, &market_t).await;
    let deps = mine["departments"].as_array().unwrap();
    assert_eq!(deps.len(), 1, "{mine}");
    assert_eq!(deps[0]["department_id"], x.as_str());
    // A bad date is named.
    let r = app
        .api(
            "GET",
            "/api/v1/clues/rates?from=2026-13-01",
            Some(&office_t),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.fields(), ["from"]);
    // The console page and its export.
    let office = app.login("wy.office").await;
    let page = app
        .get(
            &format!("/console/clues/rates?region={TOWN}"),
            Some(&office),
        )
        .await;
    assert_eq!(page.status, StatusCode::OK);
    for s in [
        "签收及时率",
        "按时办结率",
        "县市场监管局",
        "县卫生健康委",
        "100.0%",
        "合计",
    ] {
        assert!(page.body.contains(s), "{s}");
    }
    let bad = app
        .get("/console/clues/rates?from=yesterday", Some(&office))
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.body.contains("日期“yesterday”不正确"));
    let (status, bytes) = app
        .bytes(
            &format!("/console/clues/rates/export?region={TOWN}"),
            &office,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let rows = sheet_rows(&bytes, "线索办理统计");
    assert_eq!(rows[0][0], "承办部门");
    assert!(
        rows.iter().any(|r| r[0] == "合计" && r[1] == "2"),
        "{rows:?}"
    );
}

async fn the_home_card_counts_the_users_queues(app: App) {
    let office_t = app.token("wy.office").await;
    let x = app.department(&office_t, "411121", "县市场监管局").await;
    let (c1, _) = register(&app, &office_t, 41).await;
    dispatch(&app, &office_t, &c1, &x).await;
    let market = app.login("wy.market").await;
    let home = app.get("/console", Some(&market)).await;
    assert_eq!(home.status, StatusCode::OK);
    assert!(home.body.contains("data-clue-card"), "{}", home.body);
    assert!(home.body.contains("href=\"/console/clues?queue=to_sign\""));
    assert!(home.body.contains("data-clue-red=") && home.body.contains("data-clue-yellow="));
    // The count on the card is the queue's.
    let q = app
        .get_json("/api/v1/clues?queue=to_sign", &app.token("wy.market").await)
        .await;
    let n = q["total"].as_u64().unwrap();
    assert!(n >= 1);
    assert!(
        home.body
            .contains(&format!("data-clue-queue=\"to_sign\" data-count=\"{n}\"")),
        "{}",
        home.body
    );
}

/// A multipart form with `_csrf` (when given) and one file.
fn file_form(csrf: Option<&str>, name: &str, ct: &str, bytes: &[u8]) -> (String, Vec<u8>) {
    let b = "----lianjianclue";
    let mut body = Vec::new();
    if let Some(c) = csrf {
        body.extend(
            format!("--{b}\r\nContent-Disposition: form-data; name=\"_csrf\"\r\n\r\n{c}\r\n")
                .as_bytes(),
        );
    }
    body.extend(format!("--{b}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\nContent-Type: {ct}\r\n\r\n").as_bytes());
    body.extend(bytes);
    body.extend(format!("\r\n--{b}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={b}"), body)
}

async fn upload(app: &App, token: &str, clue: &str, name: &str, ct: &str, bytes: &[u8]) -> Resp {
    let (ctype, body) = file_form(None, name, ct, bytes);
    app.send(
        Request::builder()
            .method("POST")
            .uri(format!("/api/v1/clues/{clue}/attachments"))
            .header(header::AUTHORIZATION, format!("Bearer {token}"))
            .header(header::CONTENT_TYPE, ctype)
            .body(Body::from(body))
            .unwrap(),
    )
    .await
}

async fn files_and_batches_through_the_api_and_the_console(app: App) {
    let office = app.token("wy.office").await;
    let market = app.token("wy.market").await;
    let health = app.token("wy.health").await;
    let leader = app.token("wy.leader").await;
    let x = app.department(&office, "411121", "县市场监管局").await;
    let (c1, c1_code) = register(&app, &office, 11).await;
    let (c2, _) = register(&app, &office, 12).await;
    let (c3, _) = register(&app, &office, 13).await;
    dispatch(&app, &office, &c1, &x).await;
    dispatch(&app, &office, &c2, &x).await;

    // 补充材料: the office adds a photo, the handling department a PDF; each is evidence
    // listed on the clue and one event on its timeline.
    let photo = b"\xff\xd8\xff\xe0\0\x10JFIF\0clue-desk-photo".to_vec();
    let r = upload(&app, &office, &c1, "现场.jpg", "image/jpeg", &photo).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let d = r.json();
    assert_eq!(d["attachments"][0]["filename"], "现场.jpg", "{d}");
    let sha = d["attachments"][0]["sha256"].as_str().unwrap().to_string();
    let last = d["timeline"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(last["action"], "attach", "{d}");
    // The same file again: nothing new (a retry).
    let r = upload(&app, &office, &c1, "现场.jpg", "image/jpeg", &photo).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.json()["attachments"].as_array().unwrap().len(), 1);
    let pdf = b"%PDF-1.4\n% clue desk result\n%%EOF\n".to_vec();
    let r = upload(&app, &market, &c1, "核查记录.pdf", "application/pdf", &pdf).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    assert_eq!(r.json()["attachments"].as_array().unwrap().len(), 2);
    // The file opens for the office (an audited read) and proves its inclusion in the log.
    let (st, _, bytes) = api_bytes(&app, &format!("/api/v1/evidence/{sha}"), &office).await;
    assert_eq!((st, bytes), (StatusCode::OK, photo.clone()));
    // Another line does not see the clue; read-only roles add nothing; a text file is named
    // and refused; none of them stored anything.
    let r = upload(
        &app,
        &health,
        &c1,
        "b.jpg",
        "image/jpeg",
        b"\xff\xd8\xff\xe0\0\x10JFIF\0b",
    )
    .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.body);
    let r = upload(
        &app,
        &leader,
        &c1,
        "b.jpg",
        "image/jpeg",
        b"\xff\xd8\xff\xe0\0\x10JFIF\0b",
    )
    .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
    let r = upload(&app, &market, &c1, "notes.txt", "text/plain", b"plain").await;
    assert_eq!(r.status, StatusCode::UNSUPPORTED_MEDIA_TYPE, "{}", r.body);
    assert!(r.body.contains("notes.txt"), "{}", r.body);
    let d = app.get_json(&format!("/api/v1/clues/{c1}"), &office).await;
    assert_eq!(d["attachments"].as_array().unwrap().len(), 2, "{d}");
    // Not dispatched yet: only the office adds files; a department does not see it.
    let r = upload(&app, &market, &c3, "c.jpg", "image/jpeg", &photo).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.body);

    // The console's form on the clue page, with its token.
    let cookie = app.login("wy.market").await;
    let page = app
        .get(&format!("/console/clues/{c1}"), Some(&cookie))
        .await;
    assert!(page.body.contains("补充材料"), "{}", page.body);
    let csrf = csrf_of(&page.body);
    let mut scan = b"\x89PNG\r\n\x1a\n".to_vec();
    scan.extend(b"clue-desk-scan");
    let (ctype, body) = file_form(Some(&csrf), "通知书.png", "image/png", &scan);
    let req = |ctype: String, body: Vec<u8>| {
        Request::builder()
            .method("POST")
            .uri(format!("/console/clues/{c1}/attachments"))
            .header(header::COOKIE, &cookie)
            .header(header::CONTENT_TYPE, ctype)
            .body(Body::from(body))
            .unwrap()
    };
    let r = app.send(req(ctype, body)).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let page = app
        .get(&format!("/console/clues/{c1}"), Some(&cookie))
        .await;
    assert!(
        page.body.contains("通知书.png") && page.body.contains("补充材料"),
        "{}",
        page.body
    );
    // A wrong token stores nothing; a refused type is named on the page.
    let (ctype, body) = file_form(Some("wrong"), "x.png", "image/png", &scan);
    assert_eq!(
        app.send(req(ctype, body)).await.status,
        StatusCode::FORBIDDEN
    );
    let (ctype, body) = file_form(
        Some(&csrf),
        "宏病毒.docm",
        "application/octet-stream",
        b"PK\x03\x04 not allowed",
    );
    let r = app.send(req(ctype, body)).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(r.body.contains("宏病毒.docm"), "{}", r.body);
    let d = app.get_json(&format!("/api/v1/clues/{c1}"), &office).await;
    assert_eq!(d["attachments"].as_array().unwrap().len(), 3, "{d}");

    // Batch through the API: c3 is not the department's (404 in its row), the others signed.
    let r = app
        .post(
            "/api/v1/clues/batch",
            &market,
            json!({"ids": [c1, c3, c2], "action": "sign"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let b = r.json();
    assert_eq!(
        (b["done"].as_u64(), b["failed"].as_u64()),
        (Some(2), Some(1)),
        "{b}"
    );
    assert_eq!(b["rows"][0]["code"], c1_code.as_str());
    assert_eq!(b["rows"][1]["ok"], false);
    assert_eq!(b["rows"][1]["status"], 404);
    assert_eq!(b["rows"][1]["error"]["code"], "not_found");
    let d = app.get_json(&format!("/api/v1/clues/{c2}"), &office).await;
    assert_eq!(d["status"], "handling", "{d}");
    // Signing again: each row refused by the clue's state (409), nothing else changes.
    let r = app
        .post(
            "/api/v1/clues/batch",
            &market,
            json!({"ids": [c1], "action": "sign"}),
        )
        .await;
    assert_eq!(r.json()["rows"][0]["status"], 409, "{}", r.body);
    // Wrong batches are refused whole, naming the field.
    let r = app
        .post(
            "/api/v1/clues/batch",
            &office,
            json!({"ids": [c3], "action": "send"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert_eq!(r.fields(), ["department_id"]);
    let r = app
        .post(
            "/api/v1/clues/batch",
            &office,
            json!({"ids": [], "action": "sign"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert_eq!(r.fields(), ["ids"]);
    let r = app
        .post(
            "/api/v1/clues/batch",
            &leader,
            json!({"ids": [c3], "action": "sign"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
    // The office dispatches c3 by batch.
    let r = app
        .post(
            "/api/v1/clues/batch",
            &office,
            json!({"ids": [c3], "action": "send", "department_id": x}),
        )
        .await;
    assert_eq!(r.json()["done"], 1, "{}", r.body);
    let d = app.get_json(&format!("/api/v1/clues/{c3}"), &office).await;
    assert_eq!(d["status"], "dispatched", "{d}");
}
