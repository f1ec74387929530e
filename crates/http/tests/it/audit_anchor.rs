//! The audit log's public checkpoint (issue 11 item 5) through the real router, on SQLite
//! always and on PostgreSQL when `LIANJIAN_TEST_POSTGRES_URL` is set.

use crate::common::*;

use axum::http::StatusCode;
use lianjian_domain::audit::{GENESIS, SignedAuditCheckpoint};
use sea_orm::{ConnectionTrait, Statement};

on_both_backends!(
    template = DEMO, setup = app;
    public_checkpoint_is_signed_and_carries_nothing_personal,
    deleted_log_is_tampered_for_the_verify_endpoint_once_a_checkpoint_exists,
);

async fn public_checkpoint_is_signed_and_carries_nothing_personal(app: App) {
    // No sign-in needed; the same for anyone signed in.
    let r = app
        .api("GET", "/api/v1/public/audit/checkpoint", None, None)
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let v = r.json();
    let mut keys: Vec<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
    keys.sort();
    assert_eq!(
        keys,
        [
            "format",
            "head_hash",
            "origin",
            "public_key",
            "signature",
            "size",
            "timestamp"
        ]
    );
    // Exactly what `lianjian audit verify --since` reads, and validly signed.
    let cp = SignedAuditCheckpoint::from_json(r.body.as_bytes()).unwrap();
    assert!(cp.signature_valid());
    assert_eq!(cp.format, "lianjian-audit-checkpoint/1");
    let n = lianjian_store::audit::count(app.svc.store.conn())
        .await
        .unwrap();
    assert_eq!(cp.size, n);
    let head = lianjian_store::audit::head(app.svc.store.conn())
        .await
        .unwrap();
    assert_eq!(cp.head_hash, head.hash);
    // Signed with the evidence log's key.
    let ev = app
        .api("GET", "/api/v1/public/evidence/checkpoint", None, None)
        .await
        .json();
    assert_eq!(ev["public_key"], v["public_key"]);

    let inspector = app.token("wy.zhang").await;
    let again = app
        .api(
            "GET",
            "/api/v1/public/audit/checkpoint",
            Some(&inspector),
            None,
        )
        .await;
    assert_eq!(again.status, StatusCode::OK);
    // Within the hour the same checkpoint is served, even though the log grew (the token).
    assert_eq!(again.json(), v);
}

async fn deleted_log_is_tampered_for_the_verify_endpoint_once_a_checkpoint_exists(app: App) {
    let admin = app.token("admin").await;
    let r = app
        .api("GET", "/api/v1/public/audit/checkpoint", None, None)
        .await;
    assert_eq!(r.status, StatusCode::OK);
    let c = app.svc.store.conn();
    for sql in [
        "DELETE FROM audit_log".to_string(),
        format!("UPDATE audit_head SET seq = 0, hash = '{GENESIS}' WHERE id = 1"),
    ] {
        c.execute_raw(Statement::from_string(c.get_database_backend(), sql))
            .await
            .unwrap();
    }
    let v = app.get_json("/api/v1/audit/verify", &admin).await;
    assert_eq!(v["intact"], false, "{v}");
    let problem = v["problem"].as_str().unwrap();
    assert!(problem.contains("truncated or deleted"), "{problem}");
    // Only system administrators verify.
    let market = app.token("wy.market").await;
    let r = app
        .api("GET", "/api/v1/audit/verify", Some(&market), None)
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
}
