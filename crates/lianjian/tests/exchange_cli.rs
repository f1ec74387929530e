//! `lianjian template` and `lianjian import` run as the real binary on a fresh SQLite database.

mod common;

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
