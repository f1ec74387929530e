//! End-to-end: the real binary, its subcommands, and its answers to bad input.

use crate::common;

use common::{run, start, temp_dir};
use sea_orm::{ConnectionTrait, Statement};

#[tokio::test]
async fn serve_on_port_zero_answers_health_and_api() {
    let dir = temp_dir("e2e");
    let url = format!("sqlite://{}/lj.db", dir.display());
    let app = start(&["serve", "--listen", "127.0.0.1:0", "--database-url", &url]);
    let client = reqwest::Client::new();
    let h: serde_json::Value = client
        .get(format!("{}/healthz", app.base))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(h["status"], "ok");
    let r = client
        .get(format!("{}/api/v1/me", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    let r = client
        .get(format!("{}/console/login", app.base))
        .send()
        .await
        .unwrap();
    assert!(r.text().await.unwrap().contains("登录"));
}

#[test]
fn bad_database_urls_fail_with_one_line() {
    let (code, _, err) = run(&["migrate", "--database-url", "mysql://x@y/z"], &[]);
    assert_ne!(code, 0);
    assert!(
        err.starts_with("error: unsupported database URL") && err.trim().lines().count() == 1,
        "{err}"
    );
    let (code, _, err) = run(
        &[
            "migrate",
            "--database-url",
            "postgres://nobody:secret@127.0.0.1:1/nodb",
        ],
        &[],
    );
    assert_ne!(code, 0);
    assert!(
        err.contains("cannot connect to database") && !err.contains("secret"),
        "{err}"
    );
    assert_eq!(err.trim().lines().count(), 1, "{err}");
}

#[test]
fn unknown_config_key_and_busy_port_fail_clearly() {
    let dir = temp_dir("cfg");
    let cfg = dir.join("lianjian.toml");
    std::fs::write(
        &cfg,
        "listen = \"127.0.0.1:0\"\ndatabse_url = \"sqlite://x.db\"\n",
    )
    .unwrap();
    let (code, _, err) = run(&["serve", "--config", cfg.to_str().unwrap()], &[]);
    assert_ne!(code, 0);
    assert!(
        err.contains("databse_url") && err.trim().lines().count() == 1,
        "{err}"
    );

    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port();
    let url = format!("sqlite://{}/lj.db", dir.display());
    let (code, _, err) = run(
        &[
            "serve",
            "--listen",
            &format!("127.0.0.1:{port}"),
            "--database-url",
            &url,
        ],
        &[],
    );
    assert_ne!(code, 0);
    assert!(err.contains("already in use"), "{err}");
}

async fn audit_tamper_round_trip(url: &str) {
    let (code, out, err) = run(&["migrate", "--database-url", url], &[]);
    assert_eq!(code, 0, "{out}{err}");
    let (code, out, err) = run(
        &[
            "user",
            "add",
            "--database-url",
            url,
            "--username",
            "boss",
            "--name",
            "管理员",
            "--role",
            "system_admin",
            "--region",
            "411121",
            "--department",
            "县市场监管局",
            "--create-department-line",
            "market",
        ],
        &[],
    );
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        out.contains("password: "),
        "a generated password is printed once"
    );
    let (code, _, err) = run(
        &[
            "user",
            "add",
            "--database-url",
            url,
            "--username",
            "x",
            "--name",
            "X",
            "--role",
            "boss",
            "--region",
            "999999",
            "--department",
            "无",
        ],
        &[],
    );
    assert_ne!(code, 0);
    assert!(err.starts_with("error:"), "{err}");
    let (code, out, _) = run(&["user", "disable", "boss", "--database-url", url], &[]);
    assert_eq!(code, 0, "{out}");
    let (code, out, err) = run(&["user", "list", "--database-url", url], &[]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("boss") && out.contains("disabled"));

    let (code, out, _) = run(&["audit", "verify", "--database-url", url], &[]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("audit log intact: 3 entries"), "{out}");

    let store = lianjian_store::Store::connect(url).await.unwrap();
    let c = store.conn();
    c.execute_raw(Statement::from_string(
        c.get_database_backend(),
        "UPDATE audit_log SET action = 'user.nothing' WHERE seq = 2",
    ))
    .await
    .unwrap();
    let (code, _, err) = run(&["audit", "verify", "--database-url", url], &[]);
    assert_eq!(code, 3);
    assert!(err.contains("entry #2") && err.contains("altered"), "{err}");
    store.close().await.unwrap();
}

#[tokio::test]
async fn cli_users_and_audit_verify_on_sqlite() {
    let dir = temp_dir("cli");
    audit_tamper_round_trip(&format!("sqlite://{}/lj.db", dir.display())).await;
}

#[tokio::test]
async fn cli_users_and_audit_verify_on_postgres() {
    let Ok(base) = std::env::var(lianjian_store::testing::POSTGRES_ENV) else {
        eprintln!("skipped: LIANJIAN_TEST_POSTGRES_URL is not set");
        return;
    };
    let url = lianjian_store::testing::fresh_postgres_database(&base)
        .await
        .unwrap();
    audit_tamper_round_trip(&url).await;
}
