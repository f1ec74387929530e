//! 信息互通共享 in the console of an upper instance (issue 18): the records received from a
//! lower instance listed by kind with their codes in Chinese, and the dashboard adding up each
//! lower instance's figures. The records are stored as the receiver stores them (the flows
//! themselves are tested in the services' `sharing` and `sharing_nats` tests).

use crate::common::*;

use axum::http::StatusCode;
use lianjian_domain::evidence::PublicKey;
use lianjian_domain::sharing::InstanceLevel;
use lianjian_services::sharing::{Peer, SharingConfig};
use lianjian_store::sharing::{SharedRecord, put_record};
use serde_json::json;
use uuid::Uuid;

on_both_backends!(
    template = DEMO, setup = app;
    upper_console_shows_lower_figures_and_received_records_in_chinese,
);

/// The app as a city instance with one county below it.
fn as_city(app: App) -> App {
    // Any valid key (RFC 8032's first test key): nothing is verified on this page.
    let key =
        PublicKey::from_hex("d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a")
            .unwrap();
    let svc = app.svc.clone().with_sharing(SharingConfig {
        instance: "city".into(),
        level: InstanceLevel::City,
        region: "4111".into(),
        upstream: None,
        nats_url: "nats://127.0.0.1:1".into(),
        nats_user: None,
        nats_password: None,
        peers: vec![Peer {
            id: "county-a".into(),
            level: InstanceLevel::County,
            region: "411121".into(),
            public_key: key,
        }],
        poll_ms: 50,
    });
    App {
        router: lianjian_http::router(lianjian_http::AppState {
            svc: svc.clone(),
            secure_cookies: false,
        }),
        svc,
        ..app
    }
}

async fn received(app: &App, kind: &str, entity: &str, payload: serde_json::Value) {
    put_record(
        app.svc.store.conn(),
        &SharedRecord {
            sender: "county-a".into(),
            kind: kind.into(),
            entity: entity.into(),
            entity_seq: 1,
            region_code: "411121".into(),
            status: payload["status"].as_str().map(String::from),
            payload,
            message_id: Uuid::now_v7(),
            updated_at: chrono::Utc::now(),
        },
    )
    .await
    .unwrap();
}

async fn upper_console_shows_lower_figures_and_received_records_in_chinese(app: App) {
    let app = as_city(app);
    received(
        &app,
        "visit_results",
        "v1",
        json!({"code": "JC-1", "entity_name": "舞阳县某大药房", "status": "published",
               "results": [{"item": "药品经营检查", "result_code": "corrected", "follow_up": "rectify"}]}),
    )
    .await;
    received(
        &app,
        "rectification",
        "r1",
        json!({"code": "ZG-1", "entity_name": "舞阳县某大药房", "status": "issued", "deadline": "2026-12-20"}),
    )
    .await;
    received(
        &app,
        "rectification",
        "r2",
        json!({"code": "ZG-2", "entity_name": "舞阳县某餐馆", "status": "passed", "deadline": "2026-11-20"}),
    )
    .await;
    let cookie = app.login("admin").await;

    let page = app
        .get("/console/sharing?kind=visit_results", Some(&cookie))
        .await;
    assert_eq!(page.status, StatusCode::OK);
    let html = &page.body;
    assert!(html.contains("下级共享数据汇总"), "{html}");
    assert!(html.contains("收到的共享数据（检查结果）"));
    for shown in [
        "舞阳县某大药房",
        "JC-1（已公示）",
        "发现问题已责令改正",
        "责令改正",
    ] {
        assert!(html.contains(shown), "{shown}");
    }
    assert!(!html.contains(">corrected<") && !html.contains("corrected，"));
    // The dashboard's row for county-a: 1 published visit, 1 open and 1 re-checked order.
    let row = html
        .split("<tr>")
        .find(|r| r.contains("data-label=\"下级实例\">county-a<"))
        .expect("county-a's row");
    for (label, n) in [
        ("已公示检查", 1),
        ("整改中", 1),
        ("整改已复查", 1),
        ("名录主体", 0),
    ] {
        assert!(
            row.contains(&format!("data-label=\"{label}\">{n}<")),
            "{label} {n}: {row}"
        );
    }

    let page = app
        .get("/console/sharing?kind=rectification", Some(&cookie))
        .await;
    assert!(
        page.body.contains("ZG-1（整改中），整改期限 2026-12-20"),
        "{}",
        page.body
    );
    assert!(page.body.contains("ZG-2（复查合格）"));
}
