//! `lianjian audit checkpoint`, `audit verify [--since]` and `audit reconcile` as the real
//! binary on a demo database, then tampered with plain SQL and by editing the kept checkpoint,
//! on SQLite and, when `LIANJIAN_TEST_POSTGRES_URL` is set, PostgreSQL.

use crate::common;

use std::path::Path;

use lianjian_services::{Services, demo, evidence};
use lianjian_store::Store;
use sea_orm::{ConnectionTrait, Statement};

async fn sql(url: &str, s: &str) {
    let store = Store::connect(url).await.unwrap();
    let c = store.conn();
    c.execute_raw(Statement::from_string(c.get_database_backend(), s))
        .await
        .unwrap_or_else(|e| panic!("{s}: {e}"));
    store.close().await.unwrap();
}

async fn kept_checkpoint_catches_a_deleted_log(url: &str, dir: &Path) {
    let key_dir = dir.join("evidence");
    let key_env = key_dir.to_str().unwrap().to_string();
    let store = Store::connect_and_migrate(url).await.unwrap();
    let svc = Services::new(store, Default::default()).with_evidence(evidence::EvidenceConfig {
        dir: key_dir.clone(),
        ..Default::default()
    });
    demo::seed(&svc).await.unwrap();
    svc.store.close().await.unwrap();
    let run = |args: &[&str]| {
        let mut a: Vec<&str> = vec!["audit"];
        a.extend(args);
        a.extend(["--database-url", url]);
        common::run(&a, &[("LIANJIAN_EVIDENCE_DIR", &key_env)])
    };

    // The demo's rows all match their seals.
    let (code, out, err) = run(&["reconcile"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("业务数据与审计记录一致"), "{out}");

    // A checkpoint kept outside, then verified against.
    let cp = dir.join("checkpoint.json");
    let (code, out, err) = run(&["checkpoint", "-o", cp.to_str().unwrap()]);
    assert_eq!(code, 0, "{out}{err}");
    let (code, out, err) = run(&["verify", "--since", cp.to_str().unwrap()]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("audit log intact"), "{out}");
    let (code, out, _) = run(&["checkpoint", "--list"]);
    assert_eq!(code, 0);
    assert_eq!(out.lines().count(), 1, "{out}");

    // An edited checkpoint or an unreadable file: exit 2, naming why.
    let mut v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&cp).unwrap()).unwrap();
    v["size"] = (v["size"].as_u64().unwrap() + 5).into();
    let forged = dir.join("forged.json");
    std::fs::write(&forged, v.to_string()).unwrap();
    let (code, _, err) = run(&["verify", "--since", forged.to_str().unwrap()]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("signature does not verify"), "{err}");
    let junk = dir.join("junk.json");
    std::fs::write(&junk, "{\"format\": 1}").unwrap();
    let (code, _, err) = run(&["verify", "--since", junk.to_str().unwrap()]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("format"), "{err}");
    let (code, _, err) = run(&["verify", "--since", "/nonexistent/cp.json"]);
    assert_eq!(code, 2, "{err}");

    // A credit class set to A with plain SQL: reconcile names the row.
    sql(
        url,
        "UPDATE entities SET credit_class = 'A' WHERE id = (SELECT id FROM entities WHERE credit_class IS NULL OR credit_class <> 'A' ORDER BY usci LIMIT 1)",
    )
    .await;
    let (code, out, err) = run(&["reconcile"]);
    assert_eq!(code, 3, "{out}{err}");
    assert!(
        out.contains("1 row(s) changed outside the application"),
        "{out}"
    );
    assert!(
        out.contains("entities ") && out.contains("content differs"),
        "{out}"
    );

    // The whole log deleted and its head reset: the chain alone reads "0 entries, intact".
    sql(url, "DELETE FROM audit_log").await;
    sql(
        url,
        "UPDATE audit_head SET seq = 0, hash = '0000000000000000000000000000000000000000000000000000000000000000' WHERE id = 1",
    )
    .await;
    let (code, _, err) = run(&["verify", "--since", cp.to_str().unwrap()]);
    assert_eq!(code, 3, "{err}");
    assert!(
        err.contains("holds 0 entries") && err.contains("truncated or deleted"),
        "{err}"
    );
    // Without --since the stored checkpoint anchors it.
    let (code, _, err) = run(&["verify"]);
    assert_eq!(code, 3, "{err}");
    assert!(err.contains("truncated or deleted"), "{err}");
}

#[tokio::test]
async fn audit_cli_on_sqlite() {
    let dir = common::temp_dir("audit-cli");
    let url = format!("sqlite://{}/lianjian.db", dir.display());
    kept_checkpoint_catches_a_deleted_log(&url, &dir).await;
}

#[tokio::test]
async fn audit_cli_on_postgres() {
    let Some(base) = std::env::var(lianjian_store::testing::POSTGRES_ENV)
        .ok()
        .filter(|u| !u.trim().is_empty())
    else {
        eprintln!("skipped: LIANJIAN_TEST_POSTGRES_URL is not set");
        return;
    };
    let url = lianjian_store::testing::fresh_postgres_database(&base)
        .await
        .unwrap();
    let dir = common::temp_dir("audit-cli-pg");
    kept_checkpoint_catches_a_deleted_log(&url, &dir).await;
}
