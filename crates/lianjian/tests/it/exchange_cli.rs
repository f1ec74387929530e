//! `lianjian template` and `lianjian import` run as the real binary on a fresh SQLite database.

use crate::common;

use lianjian_domain::usci::Usci;
use lianjian_services::exchange;

fn usci(n: u32) -> String {
    let first17 = format!("91411121TE{n:06}B");
    format!("{first17}{}", Usci::check_char(&first17).unwrap())
}

fn row(code: &str, name: &str, region: &str) -> Vec<String> {
    let mut r = vec![String::new(); exchange::entity_headers().len()];
    r[0] = code.into();
    r[1] = name.into();
    r[5] = region.into();
    r
}

#[test]
fn template_then_import_with_errors_and_skip_invalid() {
    let dir = common::temp_dir("exchange-cli");
    let db = format!("sqlite://{}/lianjian.db", dir.display());
    let env = [("LIANJIAN_DATABASE_URL", db.as_str())];

    // Templates.
    for (kind, name) in [
        ("entities", "entities-template.xlsx"),
        ("items", "items-template.xlsx"),
    ] {
        let path = dir.join(name);
        let (code, out, err) = common::run(&["template", kind, path.to_str().unwrap()], &[]);
        assert_eq!(code, 0, "{out}{err}");
        assert!(out.contains(name), "{out}");
        let bytes = std::fs::read(&path).unwrap();
        match kind {
            "entities" => assert!(exchange::read_entities(&bytes).unwrap().0.is_empty()),
            _ => assert!(exchange::read_items(&bytes).unwrap().0.is_empty()),
        }
    }

    // A file with one good row and two bad ones: nothing is imported, every error is printed.
    let headers = exchange::entity_headers();
    let headers: Vec<&str> = headers.iter().map(String::as_str).collect();
    let good = usci(1);
    let bad_check = format!(
        "{}{}",
        &usci(2)[..17],
        if usci(2).ends_with('1') { '2' } else { '1' }
    );
    let rows = vec![
        row(&good, "舞阳县正确的公司", "411121"),
        row(&bad_check, "校验码错误的公司", "411121"),
        row(&usci(3), "区划不存在的公司", "999999"),
    ];
    let file = dir.join("directory.xlsx");
    std::fs::write(
        &file,
        exchange::xlsx_table(exchange::ENTITY_SHEET, &headers, rows),
    )
    .unwrap();
    let (code, out, err) = common::run(&["import", "entities", file.to_str().unwrap()], &env);
    assert_eq!(code, 2, "{out}{err}");
    assert!(
        out.contains(&format!(
            "监管对象 第3行 统一社会信用代码(A) “{bad_check}”: 校验码不符"
        )),
        "{out}"
    );
    assert!(
        out.contains("监管对象 第4行 行政区划代码(F) “999999”: "),
        "{out}"
    );
    assert!(out.contains("新增 0，"), "{out}");
    assert!(err.contains("未导入任何数据"), "{err}");
    assert!(!dir.join("directory.errors.xlsx").exists());

    // With --skip-invalid the good row is imported and the failed ones are written next to the file.
    let (code, out, err) = common::run(
        &[
            "import",
            "entities",
            file.to_str().unwrap(),
            "--skip-invalid",
        ],
        &env,
    );
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("新增 1，更新 0，未变 0"), "{out}");
    assert!(out.contains("因错误未导入 2个主体"), "{out}");
    let report = dir.join("directory.errors.xlsx");
    assert!(out.contains(&report.display().to_string()), "{out}");
    let (failed, _) = exchange::read_entities(&std::fs::read(&report).unwrap()).unwrap();
    assert_eq!(
        failed
            .iter()
            .map(|(_, e)| e.usci.as_str())
            .collect::<Vec<_>>(),
        vec![bad_check.as_str(), usci(3).as_str()]
    );

    // The same file again: the good row is unchanged.
    let (code, out, _) = common::run(
        &[
            "import",
            "entities",
            file.to_str().unwrap(),
            "--skip-invalid",
        ],
        &env,
    );
    assert_eq!(code, 0);
    assert!(out.contains("新增 0，更新 0，未变 1"), "{out}");

    // Not a spreadsheet: a one-line error.
    let junk = dir.join("junk.xlsx");
    std::fs::write(&junk, "名称,代码\n").unwrap();
    let (code, _, err) = common::run(&["import", "items", junk.to_str().unwrap()], &env);
    assert_eq!(code, 1);
    assert!(err.contains("文件不是有效的 xlsx 格式"), "{err}");
    assert_eq!(err.trim().lines().count(), 1, "{err}");

    let _ = std::fs::remove_dir_all(&dir);
}

async fn scalar(url: &str, sql: &str) -> i64 {
    use sea_orm::ConnectionTrait;
    let store = lianjian_store::Store::connect(url).await.unwrap();
    let c = store.conn();
    let v = c
        .query_one_raw(sea_orm::Statement::from_string(
            c.get_database_backend(),
            sql,
        ))
        .await
        .unwrap()
        .unwrap()
        .try_get_by_index::<i64>(0)
        .unwrap();
    store.close().await.unwrap();
    v
}

async fn status_of_last_job(url: &str) -> String {
    use sea_orm::ConnectionTrait;
    let store = lianjian_store::Store::connect(url).await.unwrap();
    let c = store.conn();
    let v = c
        .query_one_raw(sea_orm::Statement::from_string(
            c.get_database_backend(),
            "SELECT status FROM import_jobs ORDER BY created_at DESC LIMIT 1",
        ))
        .await
        .unwrap()
        .unwrap()
        .try_get_by_index::<String>(0)
        .unwrap();
    store.close().await.unwrap();
    v
}

/// `kill -9` of `lianjian import` half-way through the writing: the next start of the server
/// undoes the job as a whole, and the audit log still verifies and reconciles.
async fn import_killed_mid_way_is_undone_on_restart(url: &str, dir: &std::path::Path) {
    use std::io::{BufRead, BufReader};
    let env = [("LIANJIAN_DATABASE_URL", url)];
    let headers = exchange::entity_headers();
    let headers: Vec<&str> = headers.iter().map(String::as_str).collect();
    // Some entities before the job, one of which the job changes.
    let base: Vec<Vec<String>> = (1..=5)
        .map(|i| row(&usci(i), &format!("舞阳县原有第{i}号公司"), "411121"))
        .collect();
    let base_file = dir.join("base.xlsx");
    std::fs::write(
        &base_file,
        exchange::xlsx_table(exchange::ENTITY_SHEET, &headers, base),
    )
    .unwrap();
    let (code, out, err) = common::run(&["import", "entities", base_file.to_str().unwrap()], &env);
    assert_eq!(code, 0, "{out}{err}");
    let before = scalar(url, "SELECT COUNT(*) FROM entities").await;
    let name_before = scalar(
        url,
        &format!(
            "SELECT COUNT(*) FROM entities WHERE usci = '{}' AND name = '舞阳县原有第1号公司'",
            usci(1)
        ),
    )
    .await;
    assert_eq!((before, name_before), (5, 1));

    let mut rows = vec![row(&usci(1), "舞阳县改名后的第1号公司", "411121")];
    rows.extend((100..1100).map(|i| row(&usci(i), &format!("舞阳县新增第{i}号公司"), "411121")));
    let file = dir.join("big.xlsx");
    std::fs::write(
        &file,
        exchange::xlsx_table(exchange::ENTITY_SHEET, &headers, rows),
    )
    .unwrap();
    // Small chunks with long pauses, so that the kill surely lands in the middle.
    let mut child = std::process::Command::new(common::bin())
        .current_dir(common::work_dir())
        .args(["import", "entities", file.to_str().unwrap()])
        .env("LIANJIAN_DATABASE_URL", url)
        .env("LIANJIAN_IMPORT_CHUNK_ROWS", "50")
        .env("LIANJIAN_IMPORT_PAUSE_MS", "300")
        .env_remove("LIANJIAN_CONFIG")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut seen = Vec::new();
    loop {
        let line = lines
            .next()
            .unwrap_or_else(|| panic!("import ended before it was killed: {seen:?}"))
            .unwrap();
        let written = line
            .strip_prefix("写入 ")
            .and_then(|r| r.split('/').next())
            .and_then(|n| n.parse::<u64>().ok());
        seen.push(line);
        if written.is_some_and(|n| n >= 200) {
            break;
        }
    }
    child.kill().unwrap(); // SIGKILL: no destructor, no rollback, no goodbye
    child.wait().unwrap();
    assert!(
        seen.iter().any(|l| l.starts_with("导入任务 ")),
        "the job is named: {seen:?}"
    );
    let half = scalar(url, "SELECT COUNT(*) FROM entities").await;
    assert!(half >= before + 199 && half < before + 1000, "{half}");
    assert_eq!(status_of_last_job(url).await, "writing");

    // The restart undoes the job before the server answers.
    let server = common::start(&["serve", "--listen", "127.0.0.1:0", "--database-url", url]);
    assert_eq!(scalar(url, "SELECT COUNT(*) FROM entities").await, before);
    assert_eq!(
        scalar(
            url,
            &format!(
                "SELECT COUNT(*) FROM entities WHERE usci = '{}' AND name = '舞阳县原有第1号公司'",
                usci(1)
            )
        )
        .await,
        1,
        "the changed entity is back as it was"
    );
    assert_eq!(scalar(url, "SELECT COUNT(*) FROM import_job_rows").await, 0);
    assert_eq!(status_of_last_job(url).await, "rolled_back");
    drop(server);
    for what in ["verify", "reconcile"] {
        let (code, out, err) = common::run(&["audit", what, "--database-url", url], &[]);
        assert_eq!(code, 0, "audit {what}: {out}{err}");
    }
    // The file imports whole afterwards.
    let (code, out, err) = common::run(&["import", "entities", file.to_str().unwrap()], &env);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("新增 1000，更新 1，"), "{out}");
}

#[tokio::test]
async fn import_killed_mid_way_on_sqlite() {
    let dir = common::temp_dir("import-kill");
    let url = format!("sqlite://{}/lianjian.db", dir.display());
    import_killed_mid_way_is_undone_on_restart(&url, &dir).await;
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn import_killed_mid_way_on_postgres() {
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
    let dir = common::temp_dir("import-kill-pg");
    import_killed_mid_way_is_undone_on_restart(&url, &dir).await;
    let _ = std::fs::remove_dir_all(&dir);
}
