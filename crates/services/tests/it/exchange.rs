//! Excel import and export (`lianjian_services::exchange`) on SQLite, and on PostgreSQL when
//! `LIANJIAN_TEST_POSTGRES_URL` is set, each on a fresh database seeded with the demo data.

use std::sync::Mutex;

use calamine::{Data, Reader, Xlsx};
use lianjian_domain::account::Role;
use lianjian_domain::item::ItemStatus;
use lianjian_domain::region::RegionCode;
use lianjian_domain::usci::Usci;
use lianjian_services::directory::SearchInput;
use lianjian_services::exchange::{self, CellError, FileError, ImportOutcome, Phase, Progress};
use lianjian_services::tags::{self, TagInput};
use lianjian_services::{Actor, ServiceError, Services, cli_actor, items};

use crate::DEMO;
use lianjian_store::entities as entity_repo;
use lianjian_store::items::{self as item_repo, ItemQuery};
use lianjian_store::on_both_backends;
use lianjian_store::testing::TestDb;
use rust_xlsxwriter::Workbook;

struct Env {
    svc: Services,
    _db: TestDb,
}

/// `db` is a copy of [`DEMO`] (departments, tags with rules, items and about 300 entities); adds
/// the tag the test files use if the demo does not have it.
async fn setup(db: TestDb) -> Env {
    let svc = Services::new(db.store.clone(), Default::default());
    if lianjian_store::tags::by_code(svc.store.conn(), "餐饮服务")
        .await
        .unwrap()
        .is_none()
    {
        tags::create(
            &svc,
            &cli_actor(),
            TagInput {
                code: "餐饮服务".into(),
                name: "餐饮服务".into(),
                region_code: "41".into(),
                ..Default::default()
            },
        )
        .await
        .expect("tag");
    }
    Env { svc, _db: db }
}

async fn entity_count(env: &Env) -> u64 {
    entity_repo::count(env.svc.store.conn()).await.unwrap()
}

on_both_backends!(
    template = DEMO, setup = setup;
    entities_import_and_reimport_changes_nothing,
    broken_rows_are_named_and_all_or_nothing,
    skip_invalid_imports_valid_rows_with_error_report,
    export_then_reimport_is_unchanged,
    items_upsert_versions_and_round_trip,
    item_errors_name_sheet_row_and_column,
    rows_outside_the_actors_region_are_errors,
    import_job_writes_in_chunks_and_completes,
    import_job_stopped_mid_way_is_undone_on_restart,
    a_write_during_an_import_succeeds_between_chunks,
);

// ---- helpers ----

/// A valid credit code: `91` (enterprise) or `92` (individual business), registered in 411121
/// (bodies `TE…`, unlike the demo data's).
fn usci(kind: &str, n: u32) -> String {
    let first17 = format!("{kind}411121TE{n:06}B");
    let code = format!("{first17}{}", Usci::check_char(&first17).unwrap());
    assert!(Usci::parse(&code).is_ok(), "{code}");
    code
}

/// The same code with a wrong check character.
fn wrong_check(code: &str) -> String {
    let last = code.chars().last().unwrap();
    let other = if last == '1' { '2' } else { '1' };
    format!("{}{other}", &code[..17])
}

fn s(v: &[&str]) -> Vec<String> {
    v.iter().map(|x| x.to_string()).collect()
}

/// A sheet to write: name, headers, rows.
type SheetData<'a> = (&'a str, Vec<String>, Vec<Vec<String>>);

/// An xlsx with the given sheets, every cell a string.
fn xlsx(sheets: &[SheetData]) -> Vec<u8> {
    let mut wb = Workbook::new();
    for (name, headers, rows) in sheets {
        let ws = wb.add_worksheet();
        ws.set_name(*name).unwrap();
        for (j, h) in headers.iter().enumerate() {
            ws.write_string(0, j as u16, h).unwrap();
        }
        for (i, r) in rows.iter().enumerate() {
            for (j, v) in r.iter().enumerate() {
                if !v.is_empty() {
                    ws.write_string((i + 1) as u32, j as u16, v).unwrap();
                }
            }
        }
    }
    wb.save_to_buffer().unwrap()
}

/// Entity rows in template order: usci, name, type, legal rep, address, region, industry,
/// status, scope, credit, credit date, credit source, tags, licence ×5.
#[allow(clippy::too_many_arguments)]
fn entity_row(
    usci: &str,
    name: &str,
    region: &str,
    credit: &str,
    tags: &str,
    licence: [&str; 5],
) -> Vec<String> {
    let mut r = s(&[
        usci,
        name,
        "",
        "张三",
        "舞阳县人民路 1 号",
        region,
        "6210",
        "",
        "餐饮服务",
        credit,
        if credit.is_empty() { "" } else { "2026/3/31" },
        if credit.is_empty() {
            ""
        } else {
            "市场监管部门"
        },
        tags,
    ]);
    r.extend(s(&licence));
    r
}

fn entities_file(rows: Vec<Vec<String>>) -> Vec<u8> {
    xlsx(&[(exchange::ENTITY_SHEET, exchange::entity_headers(), rows)])
}

const NO_LICENCE: [&str; 5] = ["", "", "", "", ""];

/// Three entities on four rows: the first holds two licences (its second row gives only the
/// credit code and the licence).
fn three_entities() -> Vec<Vec<String>> {
    let a = usci("91", 1);
    let mut second = vec![String::new(); 18];
    second[0] = a.clone();
    second[13..18].clone_from_slice(&s(&[
        "食品经营许可证",
        "JY24111210000002",
        "舞阳县市场监督管理局",
        "2024-02-01",
        "2029-01-31",
    ]));
    vec![
        entity_row(
            &a,
            "舞阳县福满楼餐饮有限公司",
            "411121",
            "B",
            "餐饮服务",
            [
                "食品经营许可证",
                "JY14111210000001",
                "舞阳县市场监督管理局",
                "2024-01-01",
                "2028-12-31",
            ],
        ),
        second,
        entity_row(
            &usci("92", 2),
            "舞阳县老王烩面馆",
            "411121",
            "",
            "",
            NO_LICENCE,
        ),
        entity_row(
            &usci("91", 3),
            "舞阳县百货商场有限公司",
            "411121",
            "A",
            "",
            ["公共场所卫生许可证", "WS2024-0001", "", "", ""],
        ),
    ]
}

async fn import(env: &Env, bytes: &[u8], skip: bool) -> ImportOutcome {
    exchange::import_entities(&env.svc, &cli_actor(), bytes, skip, &|_| {})
        .await
        .expect("import runs")
}

fn find<'a>(errors: &'a [CellError], row: u32, column: &str) -> &'a CellError {
    errors
        .iter()
        .find(|e| e.row == row && e.column == column)
        .unwrap_or_else(|| panic!("no error at row {row} column {column}: {errors:#?}"))
}

/// (sheet names, rows of a sheet as text) of an xlsx, read with calamine.
fn sheet_rows(bytes: &[u8], sheet: &str) -> (Vec<String>, Vec<Vec<String>>) {
    let mut wb: Xlsx<_> = Xlsx::new(std::io::Cursor::new(bytes)).expect("calamine reads it");
    let names = wb.sheet_names();
    let range = wb.worksheet_range(sheet).expect("sheet exists");
    let rows = range
        .rows()
        .map(|r| {
            r.iter()
                .map(|c| {
                    if let Data::Empty = c {
                        String::new()
                    } else {
                        c.to_string()
                    }
                })
                .collect()
        })
        .collect();
    (names, rows)
}

// ---- entities ----

async fn entities_import_and_reimport_changes_nothing(env: Env) {
    let before = entity_count(&env).await;
    let file = entities_file(three_entities());
    let seen: Mutex<Vec<Progress>> = Mutex::new(Vec::new());
    let out = exchange::import_entities(&env.svc, &cli_actor(), &file, false, &|p| {
        seen.lock().unwrap().push(p)
    })
    .await
    .unwrap();
    assert!(out.errors.is_empty(), "{:#?}", out.errors);
    assert_eq!(
        (
            out.report.inserted,
            out.report.updated,
            out.report.unchanged
        ),
        (3, 0, 0)
    );
    assert!(out.error_report.is_none());
    let seen = seen.into_inner().unwrap();
    assert!(
        seen.iter()
            .any(|p| p.phase == Phase::Checking && p.done == 3 && p.total == 3),
        "{seen:?}"
    );
    assert_eq!(
        seen.last(),
        Some(&Progress {
            phase: Phase::Saving,
            done: 3,
            total: 3
        })
    );

    let c = env.svc.store.conn();
    let a = entity_repo::by_usci(c, &usci("91", 1))
        .await
        .unwrap()
        .expect("imported");
    assert_eq!(a.name, "舞阳县福满楼餐饮有限公司");
    assert_eq!(a.credit_date.unwrap().to_string(), "2026-03-31");
    let licences = entity_repo::licences_of(c, a.id).await.unwrap();
    assert_eq!(
        licences.len(),
        2,
        "the second row of the same code adds a licence"
    );
    let b = entity_repo::by_usci(c, &usci("92", 2))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        b.entity_type.label_zh(),
        "个体工商户",
        "type inferred from the credit code"
    );

    let again = import(&env, &file, false).await;
    assert!(again.errors.is_empty());
    assert_eq!(
        (
            again.report.inserted,
            again.report.updated,
            again.report.unchanged
        ),
        (0, 0, 3)
    );
    assert_eq!(entity_count(&env).await, before + 3);
}

/// Rows 2 and 6 are valid; 3 has a wrong check character, 4 the forbidden letter O, 5 an
/// unknown region, 7 a licence that ends before it starts. Columns are in another order than
/// the template's, with an extra column and untidy headers.
fn broken_file() -> (Vec<u8>, Vec<String>) {
    let headers = s(&[
        "  行政区划代码 *",
        "统一社会信用代码",
        "备注",
        "名称＊",
        "许可证类型",
        "许可证编号",
        "许可证有效期起",
        "许可证有效期止",
    ]);
    let bad_check = wrong_check(&usci("91", 11));
    let mut with_o = usci("91", 12);
    with_o.replace_range(10..11, "O");
    let codes = vec![
        usci("91", 10),
        bad_check,
        with_o,
        usci("91", 13),
        usci("91", 14),
        usci("91", 15),
    ];
    let rows = vec![
        s(&["411121", &codes[0], "", "正确的第一家", "", "", "", ""]),
        s(&[
            "411121",
            &codes[1],
            "校验码错",
            "校验码错误公司",
            "",
            "",
            "",
            "",
        ]),
        s(&["411121", &codes[2], "", "字母O公司", "", "", "", ""]),
        s(&["999999", &codes[3], "", "未知区划公司", "", "", "", ""]),
        s(&["411121", &codes[4], "", "正确的第二家", "", "", "", ""]),
        s(&[
            "411121",
            &codes[5],
            "",
            "许可证日期颠倒公司",
            "食品经营许可证",
            "JY1",
            "2025-01-01",
            "2024-01-01",
        ]),
    ];
    (
        xlsx(&[
            ("说明", s(&["随便写的"]), vec![]),
            (exchange::ENTITY_SHEET, headers, rows),
        ]),
        codes,
    )
}

async fn broken_rows_are_named_and_all_or_nothing(env: Env) {
    let before = entity_count(&env).await;
    let (file, codes) = broken_file();
    let out = import(&env, &file, false).await;
    assert_eq!((out.report.inserted, out.report.updated), (0, 0));
    assert!(out.error_report.is_none());
    assert_eq!(entity_count(&env).await, before, "all or nothing");

    let e = find(&out.errors, 3, "统一社会信用代码");
    assert_eq!(
        (e.sheet.as_str(), e.column_letter.as_str(), e.value.as_str()),
        ("监管对象", "B", codes[1].as_str())
    );
    assert!(e.reason.contains("校验码"), "{e:?}");
    assert!(e.reason_en.contains("check character"), "{e:?}");
    assert_eq!(
        e.to_string(),
        format!(
            "监管对象 第3行 统一社会信用代码(B) “{}”: {}",
            codes[1], e.reason
        )
    );

    let e = find(&out.errors, 4, "统一社会信用代码");
    assert_eq!(e.value, codes[2]);
    assert!(e.reason.contains("“O”"), "{e:?}");

    let e = find(&out.errors, 5, "行政区划代码");
    assert_eq!(
        (e.column_letter.as_str(), e.value.as_str()),
        ("A", "999999")
    );
    assert!(e.reason.contains("不存在"), "{e:?}");

    // The licence error names the licence column at fault (H), not the whole row.
    let e = find(&out.errors, 7, "许可证有效期止");
    assert_eq!(
        (e.column_letter.as_str(), e.value.as_str()),
        ("H", "2024-01-01")
    );
    assert!(
        out.errors.iter().all(|e| e.row != 2 && e.row != 6),
        "{:#?}",
        out.errors
    );
    assert!(out.errors.len() >= 4);
}

async fn skip_invalid_imports_valid_rows_with_error_report(env: Env) {
    let before = entity_count(&env).await;
    let (file, codes) = broken_file();
    let out = import(&env, &file, true).await;
    assert_eq!(out.report.inserted, 2, "{:#?}", out.errors);
    assert_eq!(out.skipped, 4);
    let c = env.svc.store.conn();
    assert!(entity_repo::by_usci(c, &codes[0]).await.unwrap().is_some());
    assert!(entity_repo::by_usci(c, &codes[4]).await.unwrap().is_some());
    assert_eq!(entity_count(&env).await, before + 2);

    let report = out.error_report.expect("an error report");
    let (names, rows) = sheet_rows(&report, exchange::ENTITY_SHEET);
    assert_eq!(names, vec![exchange::ENTITY_SHEET.to_string()]);
    let header = &rows[0];
    let col = |h: &str| {
        header
            .iter()
            .position(|x| x.trim_end_matches('*') == h)
            .unwrap_or_else(|| panic!("{h} in {header:?}"))
    };
    let (usci_c, reason_c, row_c) = (
        col("统一社会信用代码"),
        col(exchange::REASON_COLUMN),
        col(exchange::ROW_COLUMN),
    );
    assert_eq!(rows.len(), 5, "header and the four failed rows: {rows:#?}");
    assert_eq!(rows[1][usci_c], codes[1], "original value kept");
    assert_eq!(rows[1][row_c], "3");
    assert!(
        rows[1][reason_c].contains("统一社会信用代码：") && rows[1][reason_c].contains("校验码"),
        "{:?}",
        rows[1]
    );
    assert!(rows[3][reason_c].contains("行政区划代码"), "{:?}", rows[3]);
    // The report is itself an import file: the failed rows read back.
    let (again, _) = exchange::read_entities(&report).unwrap();
    assert_eq!(again.len(), 4);
    assert_eq!(again[0].1.usci, codes[1]);
    assert_eq!(again[0].0, 2, "row numbers are those of the report");
}

async fn export_then_reimport_is_unchanged(env: Env) {
    let out = import(&env, &entities_file(three_entities()), false).await;
    assert_eq!(out.report.inserted, 3);
    let total = entity_count(&env).await;
    // The whole directory: the demo's entities (tagged by rules, offered to departments) and ours.
    let export = exchange::export_entities(&env.svc, &cli_actor(), &SearchInput::default())
        .await
        .unwrap();
    let (names, rows) = sheet_rows(&export, exchange::ENTITY_SHEET);
    assert!(names.contains(&exchange::INSTRUCTIONS_SHEET.to_string()));
    assert_eq!(rows[0], exchange::entity_headers());
    let ours: Vec<&Vec<String>> = rows.iter().filter(|r| r[0].contains("411121TE")).collect();
    assert_eq!(
        ours.len(),
        4,
        "one row per licence, one for the entity without: {ours:#?}"
    );
    let (read, errors) = exchange::read_entities(&export).unwrap();
    assert!(errors.is_empty(), "{errors:#?}");
    assert_eq!(read.len() as u64, total);
    assert_eq!(
        read.iter()
            .find(|(_, e)| e.usci == usci("91", 1))
            .unwrap()
            .1
            .tags,
        "餐饮服务",
        "hand-set tags, not rule tags"
    );

    let again = import(&env, &export, false).await;
    assert!(again.errors.is_empty(), "{:#?}", again.errors);
    assert_eq!(
        (
            again.report.inserted,
            again.report.updated,
            again.report.unchanged
        ),
        (0, 0, total)
    );

    // A changed name in the file updates that entity only.
    let mut changed = three_entities();
    changed[2][1] = "舞阳县老王烩面馆（新店）".into();
    let upd = import(&env, &entities_file(changed.clone()), false).await;
    assert_eq!(
        (
            upd.report.inserted,
            upd.report.updated,
            upd.report.unchanged
        ),
        (0, 1, 2)
    );

    // A changed licence replaces the entity's licences; reordered rows change nothing.
    changed[1][14] = "JY24111210000099".into();
    let upd = import(&env, &entities_file(changed.clone()), false).await;
    assert_eq!((upd.report.updated, upd.report.unchanged), (1, 2));
    let a = entity_repo::by_usci(env.svc.store.conn(), &usci("91", 1))
        .await
        .unwrap()
        .unwrap();
    let numbers: Vec<String> = entity_repo::licences_of(env.svc.store.conn(), a.id)
        .await
        .unwrap()
        .into_iter()
        .map(|l| l.number)
        .collect();
    assert_eq!(numbers, vec!["JY14111210000001", "JY24111210000099"]);
    changed.swap(0, 1);
    let entity_cells = changed[1][1..13].to_vec();
    changed[0][1..13].clone_from_slice(&entity_cells);
    changed[1][1..13].iter_mut().for_each(|c| c.clear());
    let same = import(&env, &entities_file(changed), false).await;
    assert!(same.errors.is_empty(), "{:#?}", same.errors);
    assert_eq!((same.report.updated, same.report.unchanged), (0, 3));

    // Exports are limited by the search: here a credit-code prefix.
    let only = exchange::export_entities(
        &env.svc,
        &cli_actor(),
        &SearchInput {
            q: "91411121TE".into(),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let codes: Vec<String> = exchange::read_entities(&only)
        .unwrap()
        .0
        .into_iter()
        .map(|(_, e)| e.usci)
        .collect();
    assert_eq!(codes, vec![usci("91", 1), usci("91", 3)]);
}

async fn rows_outside_the_actors_region_are_errors(env: Env) {
    let office = Actor {
        user_id: uuid::Uuid::now_v7(),
        username: "wy.office".into(),
        display_name: "舞阳县专班办".into(),
        role: Role::CoordinationOffice,
        department_id: uuid::Uuid::now_v7(),
        department_line: "market".into(),
        region: RegionCode::parse("411121").unwrap(),
        ip: None,
        context: None,
    };
    let file = entities_file(vec![
        entity_row(
            &usci("91", 21),
            "舞阳县内公司",
            "411121",
            "",
            "",
            NO_LICENCE,
        ),
        entity_row(&usci("91", 22), "源汇区公司", "411102", "", "", NO_LICENCE),
    ]);
    let out = exchange::import_entities(&env.svc, &office, &file, false, &|_| {})
        .await
        .unwrap();
    let e = find(&out.errors, 3, "行政区划代码");
    assert!(e.reason.contains("管理范围"), "{e:?}");
    assert_eq!(out.report.inserted, 0);

    let leader = Actor {
        role: Role::Leader,
        ..office
    };
    assert!(matches!(
        exchange::import_entities(&env.svc, &leader, &file, true, &|_| {}).await,
        Err(ServiceError::Forbidden)
    ));
}

#[tokio::test]
async fn file_errors_are_clear() {
    let env = setup(TestDb::sqlite_from(&DEMO).await.unwrap()).await;
    // Not a spreadsheet.
    match exchange::read_entities(b"PK\x03\x04 certainly not a workbook") {
        Err(e @ FileError::NotXlsx { .. }) => {
            assert!(e.message().contains("文件不是有效的 xlsx 格式"));
            assert!(e.message_en().contains("not a valid xlsx"));
        }
        other => panic!("{other:?}"),
    }
    match exchange::import_entities(
        &env.svc,
        &cli_actor(),
        "名称,代码\n".as_bytes(),
        false,
        &|_| {},
    )
    .await
    {
        Err(ServiceError::Invalid(f)) => {
            assert_eq!(f[0].field, "file");
            assert_eq!(f[0].code, "not_xlsx");
            assert!(f[0].message.contains("文件不是有效的 xlsx 格式"));
        }
        other => panic!("{other:?}"),
    }
    // A required column is missing.
    let no_region = xlsx(&[(
        exchange::ENTITY_SHEET,
        s(&["统一社会信用代码*", "名称*", "许可证类型"]),
        vec![s(&[&usci("91", 1), "某公司", ""])],
    )]);
    match exchange::read_entities(&no_region) {
        Err(e @ FileError::MissingColumns { .. }) => {
            assert_eq!(
                e,
                FileError::MissingColumns {
                    sheet: "监管对象".into(),
                    columns: vec!["行政区划代码".into()]
                }
            );
            assert!(
                e.message().contains("行政区划代码") && e.message_en().contains("行政区划代码")
            );
        }
        other => panic!("{other:?}"),
    }
    // The sheet is missing.
    let wrong_sheet = xlsx(&[("Sheet1", exchange::entity_headers(), vec![])]);
    match exchange::read_entities(&wrong_sheet) {
        Err(e @ FileError::MissingSheet { .. }) => assert!(
            e.message().contains("监管对象") && e.message().contains("Sheet1"),
            "{e}"
        ),
        other => panic!("{other:?}"),
    }
    match exchange::import_items(
        &env.svc,
        &cli_actor(),
        &entities_file(vec![]),
        false,
        &|_| {},
    )
    .await
    {
        Err(ServiceError::Invalid(f)) => assert_eq!(f[0].code, "missing_sheet"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn templates_have_headers_instructions_and_read_back_empty() {
    let t = exchange::entity_template();
    let (names, rows) = sheet_rows(&t, exchange::ENTITY_SHEET);
    assert_eq!(names, vec!["监管对象", "填写说明"]);
    assert_eq!(
        rows[0].join(","),
        "统一社会信用代码*,名称*,主体类型,法定代表人,住所（经营场所）,行政区划代码*,行业代码,登记状态,经营范围,信用风险分类,分类日期,分类来源,标签,许可证类型,许可证编号,发证机关,许可证有效期起,许可证有效期止"
    );
    let (_, help) = sheet_rows(&t, exchange::INSTRUCTIONS_SHEET);
    let text = help
        .iter()
        .flatten()
        .cloned()
        .collect::<Vec<_>>()
        .join("\n");
    assert!(
        text.contains("一行一张许可证") && text.contains("个体工商户") && text.contains("存续"),
        "{text}"
    );
    assert!(exchange::read_entities(&t).unwrap().0.is_empty());

    let t = exchange::item_template();
    let (names, rows) = sheet_rows(&t, exchange::ITEM_SHEET);
    assert_eq!(names, vec!["事项", "检查要点", "填写说明"]);
    assert_eq!(rows[0][0], "事项编码*");
    assert_eq!(rows[0].len(), 16);
    let (_, rows) = sheet_rows(&t, exchange::POINT_SHEET);
    assert_eq!(rows[0].join(","), "事项编码*,维度*,检查内容*,检查依据*");
    assert!(exchange::read_items(&t).unwrap().0.is_empty());

    let table = exchange::xlsx_table(
        "用户:列表/2026",
        &["用户名", "姓名"],
        vec![s(&["admin", "系统管理员"]), s(&["wy.li", "李华"])],
    );
    let (names, rows) = sheet_rows(&table, "用户列表2026");
    assert_eq!(names, vec!["用户列表2026"]);
    assert_eq!(
        rows,
        vec![
            s(&["用户名", "姓名"]),
            s(&["admin", "系统管理员"]),
            s(&["wy.li", "李华"])
        ]
    );
}

// ---- items ----

fn item_row(
    code: &str,
    name: &str,
    lead: &str,
    coop: &str,
    coop_duties: &str,
    expr: &str,
) -> Vec<String> {
    s(&[
        code,
        name,
        "",
        "重点",
        "411121",
        "县级",
        lead,
        "负责餐饮服务食品安全监督检查",
        "《中华人民共和国食品安全法》第一百一十条",
        coop,
        coop_duties,
        if coop.is_empty() {
            ""
        } else {
            "《中华人民共和国食品安全法》第六条"
        },
        "辖区内餐饮服务经营者",
        expr,
        "现场检查、书面检查",
        "每年1次",
    ])
}

fn items_file(items: Vec<Vec<String>>, points: Vec<Vec<String>>) -> Vec<u8> {
    let (ih, ph) = exchange::item_headers();
    xlsx(&[
        (exchange::ITEM_SHEET, ih, items),
        (exchange::POINT_SHEET, ph, points),
    ])
}

fn two_items() -> (Vec<Vec<String>>, Vec<Vec<String>>) {
    (
        vec![
            item_row(
                "WY-EX-01",
                "餐饮服务食品安全检查",
                "县市场监管局",
                "县卫生健康委、县商务局",
                "负责从业人员健康管理\n负责餐饮行业管理",
                "餐饮服务 AND region:411121",
            ),
            item_row(
                "wy-ex-02",
                "公共场所卫生检查",
                "县卫生健康委",
                "",
                "",
                "region:411121",
            ),
        ],
        vec![
            s(&[
                "WY-EX-01",
                "人员",
                "从业人员持有效健康证明",
                "《中华人民共和国食品安全法》第四十五条",
            ]),
            s(&[
                "WY-EX-01",
                "环境",
                "加工场所环境整洁",
                "《中华人民共和国食品安全法》第三十三条",
            ]),
            s(&[
                "WY-EX-02",
                "制度",
                "建立卫生管理制度",
                "《公共场所卫生管理条例》第七条",
            ]),
        ],
    )
}

async fn import_items(env: &Env, bytes: &[u8], skip: bool) -> ImportOutcome {
    exchange::import_items(&env.svc, &cli_actor(), bytes, skip, &|_| {})
        .await
        .expect("import runs")
}

async fn items_upsert_versions_and_round_trip(env: Env) {
    let (items, points) = two_items();
    let file = items_file(items.clone(), points.clone());
    let out = import_items(&env, &file, false).await;
    assert!(out.errors.is_empty(), "{:#?}", out.errors);
    assert_eq!(
        (
            out.report.inserted,
            out.report.updated,
            out.report.unchanged
        ),
        (2, 0, 0)
    );
    let c = env.svc.store.conn();
    let one = item_repo::by_code(c, "WY-EX-01")
        .await
        .unwrap()
        .expect("created");
    assert_eq!(one.status, ItemStatus::Draft);
    assert_eq!(one.departments.len(), 3);
    assert_eq!(one.departments[1].duties, "负责从业人员健康管理");
    assert_eq!(one.departments[2].duties, "负责餐饮行业管理");
    assert_eq!(
        one.departments[2].legal_basis, "《中华人民共和国食品安全法》第六条",
        "one line serves every cooperating department"
    );
    assert_eq!(one.check_points.len(), 2);
    assert_eq!(
        item_repo::by_code(c, "WY-EX-02")
            .await
            .unwrap()
            .unwrap()
            .check_points
            .len(),
        1
    );

    let again = import_items(&env, &file, false).await;
    assert_eq!(
        (
            again.report.inserted,
            again.report.updated,
            again.report.unchanged
        ),
        (0, 0, 2)
    );

    // A published item changed by a file gets a new version with the import's summary.
    items::set_status(&env.svc, &cli_actor(), one.id, ItemStatus::Published)
        .await
        .unwrap();
    let mut changed = items.clone();
    changed[0][1] = "餐饮服务食品安全监督检查".into();
    let upd = import_items(&env, &items_file(changed, points.clone()), false).await;
    assert!(upd.errors.is_empty(), "{:#?}", upd.errors);
    assert_eq!(
        (
            upd.report.inserted,
            upd.report.updated,
            upd.report.unchanged
        ),
        (0, 1, 1)
    );
    let versions = items::versions(&env.svc, one.id).await.unwrap();
    assert_eq!(versions.len(), 2);
    assert_eq!(versions[0].summary, exchange::IMPORT_SUMMARY);
    assert_eq!(versions[0].snapshot.name, "餐饮服务食品安全监督检查");

    // Export, then import the export (ours and the demo's items): nothing changes.
    let total = item_repo::count(c).await.unwrap();
    let export = exchange::export_items(&env.svc, &cli_actor(), &ItemQuery::default())
        .await
        .unwrap();
    let (read, errors) = exchange::read_items(&export).unwrap();
    assert!(errors.is_empty(), "{errors:#?}");
    assert_eq!(read.len() as u64, total);
    let ours = &read
        .iter()
        .find(|(_, i)| i.code == "WY-EX-01")
        .expect("exported")
        .1;
    assert_eq!(
        ours.lead.department_id, "县市场监管局",
        "department names, not ids"
    );
    assert_eq!(ours.cooperating.len(), 2);
    assert_eq!(ours.check_points.len(), 2);
    let round = import_items(&env, &export, false).await;
    assert!(round.errors.is_empty(), "{:#?}", round.errors);
    assert_eq!(
        (
            round.report.inserted,
            round.report.updated,
            round.report.unchanged
        ),
        (0, 0, total)
    );
    assert_eq!(items::versions(&env.svc, one.id).await.unwrap().len(), 2);
}

async fn item_errors_name_sheet_row_and_column(env: Env) {
    let (mut items, mut points) = two_items();
    items[0][6] = "县不存在局".into(); // lead department (G)
    points[1][1] = "卫生".into(); // dimension of WY-EX-01's second point
    points.push(s(&["WY-EX-99", "人员", "某项内容", "某项依据"]));
    items.push(item_row(
        "WY-EX-03",
        "第三个事项",
        "县应急管理局",
        "",
        "",
        "region:411121 AND",
    ));
    let file = items_file(items, points);
    let before = item_repo::count(env.svc.store.conn()).await.unwrap();
    let out = import_items(&env, &file, false).await;
    assert_eq!((out.report.inserted, out.report.updated), (0, 0));
    assert_eq!(
        item_repo::count(env.svc.store.conn()).await.unwrap(),
        before,
        "all or nothing"
    );
    let e = find(&out.errors, 2, "牵头部门");
    assert_eq!(
        (e.sheet.as_str(), e.column_letter.as_str(), e.value.as_str()),
        ("事项", "G", "县不存在局")
    );
    assert!(e.reason.contains("没有名为“县不存在局”的在用部门"), "{e:?}");
    let e = out
        .errors
        .iter()
        .find(|e| e.sheet == "检查要点" && e.row == 3)
        .expect("dimension error");
    assert_eq!(
        (
            e.column.as_str(),
            e.column_letter.as_str(),
            e.value.as_str()
        ),
        ("维度", "B", "卫生")
    );
    let e = out
        .errors
        .iter()
        .find(|e| e.sheet == "检查要点" && e.row == 5)
        .expect("unknown item");
    assert_eq!(e.column, "事项编码");
    let e = find(&out.errors, 4, "对象标签表达式");
    assert_eq!(e.sheet, "事项");

    let out = import_items(&env, &file, true).await;
    assert_eq!(
        out.report.inserted, 1,
        "only WY-EX-02 is valid: {:#?}",
        out.errors
    );
    assert_eq!(out.skipped, 2);
    let report = out.error_report.expect("error report");
    let (names, items_back) = sheet_rows(&report, exchange::ITEM_SHEET);
    assert_eq!(names, vec!["事项", "检查要点"]);
    assert_eq!(
        items_back.len(),
        3,
        "WY-EX-01 and WY-EX-03: {items_back:#?}"
    );
    let (_, points_back) = sheet_rows(&report, exchange::POINT_SHEET);
    assert_eq!(
        points_back.len(),
        4,
        "both points of WY-EX-01 and the orphan: {points_back:#?}"
    );
    assert!(exchange::read_items(&report).is_ok());
}

#[test]
fn later_rows_of_one_credit_code_must_agree_with_the_first() {
    let mut rows = three_entities();
    rows[1][1] = "另一个名称".into(); // the second row of the first entity names it differently
    let (read, errors) = exchange::read_entities(&entities_file(rows)).unwrap();
    assert_eq!(read.len(), 3);
    assert_eq!(read[0].1.licences.len(), 2);
    assert_eq!(errors.len(), 1, "{errors:#?}");
    let e = &errors[0];
    assert_eq!(
        (
            e.row,
            e.column.as_str(),
            e.column_letter.as_str(),
            e.value.as_str(),
            e.code.as_str()
        ),
        (3, "名称", "B", "另一个名称", "inconsistent_row")
    );
    assert!(e.reason.contains("第 2 行"), "{e:?}");
}

/// The HTTP layer runs imports and exports inside axum handlers, which need `Send` futures.
#[allow(dead_code)]
fn futures_are_send(svc: &Services) {
    fn send<T: Send>(_: T) {}
    send(exchange::import_entities(
        svc,
        &cli_actor(),
        &[],
        false,
        &|_| {},
    ));
    send(exchange::import_items(
        svc,
        &cli_actor(),
        &[],
        false,
        &|_| {},
    ));
    send(exchange::export_entities(
        svc,
        &cli_actor(),
        &SearchInput::default(),
    ));
    send(exchange::export_items(
        svc,
        &cli_actor(),
        &ItemQuery::default(),
    ));
}

// ---------------------------------------------------------------------------------------------
// Hostile files: every limit is checked before the memory it guards is taken
// ---------------------------------------------------------------------------------------------

mod hostile {
    use std::io::{Cursor, Write};
    use std::time::{Duration, Instant};

    use lianjian_services::exchange::{self, FileError, Limit, UPLOAD_LIMITS};
    use proptest::prelude::*;
    use zip::write::SimpleFileOptions;

    /// A workbook written by hand, part by part, so that a test can put anything in it.
    fn package(parts: &[(&str, Vec<u8>)]) -> Vec<u8> {
        let mut z = zip::ZipWriter::new(Cursor::new(Vec::new()));
        let opts =
            SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
        for (name, body) in parts {
            z.start_file(*name, opts).unwrap();
            z.write_all(body).unwrap();
        }
        z.finish().unwrap().into_inner()
    }

    fn frame() -> Vec<(&'static str, Vec<u8>)> {
        vec![
            (
                "[Content_Types].xml",
                br#"<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>"#.to_vec(),
            ),
            (
                "_rels/.rels",
                br#"<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>"#.to_vec(),
            ),
            (
                "xl/workbook.xml",
                "<?xml version=\"1.0\" encoding=\"UTF-8\"?><workbook xmlns=\"http://schemas.openxmlformats.org/spreadsheetml/2006/main\" xmlns:r=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships\"><sheets><sheet name=\"监管对象\" sheetId=\"1\" r:id=\"rId1\"/></sheets></workbook>".as_bytes().to_vec(),
            ),
            (
                "xl/_rels/workbook.xml.rels",
                br#"<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>"#.to_vec(),
            ),
        ]
    }

    fn cell(at: &str, text: &str) -> String {
        format!(r#"<c r="{at}" t="inlineStr"><is><t>{text}</t></is></c>"#)
    }

    /// The entity sheet: the template's required headers, then `extra` as raw XML rows.
    fn sheet(dimension: &str, extra: &str) -> Vec<u8> {
        format!(
            r#"<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><dimension ref="{dimension}"/><sheetData><row r="1">{}{}{}</row>{extra}</sheetData></worksheet>"#,
            cell("A1", "统一社会信用代码"),
            cell("B1", "名称"),
            cell("C1", "行政区划代码")
        )
        .into_bytes()
    }

    fn workbook(sheet_xml: Vec<u8>) -> Vec<u8> {
        let mut parts = frame();
        parts.push(("xl/worksheets/sheet1.xml", sheet_xml));
        package(&parts)
    }

    fn refused(bytes: &[u8]) -> (Limit, u64, String) {
        let t = Instant::now();
        let r = exchange::read_entities(bytes);
        assert!(
            t.elapsed() < Duration::from_secs(60),
            "took {:?}",
            t.elapsed()
        );
        match r {
            Err(FileError::TooLarge { limit, value, at }) => (limit, value, at),
            Err(e) => panic!("refused for another reason: {e}"),
            Ok(_) => panic!("accepted"),
        }
    }

    /// The 1.9 KB file that made the old reader allocate 512 GiB: a header and one cell at
    /// the sheet's last cell. Refused, naming the cell and the column limit.
    #[test]
    fn a_cell_at_the_last_column_is_refused_before_any_allocation() {
        let bytes = workbook(sheet(
            "A1:XFD1048576",
            &format!(r#"<row r="1048576">{}</row>"#, cell("XFD1048576", "x")),
        ));
        assert!(bytes.len() < 4096, "{} bytes", bytes.len());
        let (limit, value, at) = refused(&bytes);
        assert_eq!(
            (limit, value, at.as_str()),
            (Limit::Columns, 256, "XFD1048576")
        );
        let e = exchange::read_entities(&bytes).unwrap_err();
        assert_eq!(e.code(), "file_limit");
        assert!(e.message().contains("列数最多 256"), "{}", e.message());
        assert!(e.message().contains("XFD1048576"), "{}", e.message());
        assert!(
            e.message_en().contains("columns at most 256"),
            "{}",
            e.message_en()
        );
    }

    /// A cell far down costs nothing more than a cell near the top: the sheet is streamed, so
    /// the row is simply reported as a bad row, by its number.
    #[test]
    fn a_cell_far_down_is_read_as_one_row() {
        let bytes = workbook(sheet(
            "A1:B1000000",
            &format!(
                r#"<row r="1000000">{}{}{}</row>"#,
                cell("A1000000", "not a code"),
                cell("B1000000", "某某公司"),
                cell("C1000000", "411121")
            ),
        ));
        let (rows, errors) = exchange::read_entities(&bytes).expect("read");
        let numbers: Vec<u32> = rows
            .iter()
            .map(|(n, _)| *n)
            .chain(errors.iter().map(|e| e.row))
            .collect();
        assert!(!numbers.is_empty());
        assert!(numbers.iter().all(|&n| n == 1_000_000), "{numbers:?}");
    }

    #[test]
    fn rows_beyond_excel_are_refused() {
        let bytes = workbook(sheet(
            "A1:A2000000",
            &format!(r#"<row r="2000000">{}</row>"#, cell("A2000000", "x")),
        ));
        let (limit, value, at) = refused(&bytes);
        assert_eq!(
            (limit, value, at.as_str()),
            (Limit::Rows, 1_048_576, "A2000000")
        );
    }

    /// A deflate bomb in the shared strings (which the reader would keep in memory): refused
    /// at the part's limit while inflating, before the reader sees it.
    #[test]
    fn a_deflate_bomb_is_refused_while_inflating() {
        let bomb = vec![b' '; (UPLOAD_LIMITS.max_shared_strings_bytes + 1) as usize];
        let mut parts = frame();
        parts.push(("xl/worksheets/sheet1.xml", sheet("A1:B1", "")));
        parts.push(("xl/sharedStrings.xml", bomb));
        let bytes = package(&parts);
        assert!(bytes.len() < 1 << 20, "{} bytes", bytes.len());
        let (limit, value, at) = refused(&bytes);
        assert_eq!(limit, Limit::PartSize);
        assert_eq!(value, UPLOAD_LIMITS.max_shared_strings_bytes);
        assert_eq!(at, "xl/sharedStrings.xml");
    }

    #[test]
    fn too_many_parts_are_refused() {
        let mut parts = frame();
        parts.push(("xl/worksheets/sheet1.xml", sheet("A1:B1", "")));
        let names: Vec<String> = (0..UPLOAD_LIMITS.max_parts)
            .map(|i| format!("x/{i}"))
            .collect();
        for n in &names {
            parts.push((n.as_str(), Vec::new()));
        }
        let (limit, ..) = refused(&package(&parts));
        assert_eq!(limit, Limit::Parts);
    }

    /// Sheet XML pieces an attacker might send: huge, negative, malformed or missing cell
    /// references, odd types, unbalanced tags.
    fn piece() -> impl Strategy<Value = String> {
        prop_oneof![
            (0u32..20, 0u32..5).prop_map(|(r, c)| format!(
                r#"<c r="{}{}" t="inlineStr"><is><t>v</t></is></c>"#,
                ["A", "B", "C", "XFD", "ZZZZ"][c as usize],
                r
            )),
            any::<u32>().prop_map(|r| format!(r#"<row r="{r}"><c t="n"><v>1</v></c></row>"#)),
            Just(r#"<c r="A-1"><v>1</v></c>"#.to_string()),
            Just(r#"<c r=""><v>x</v></c>"#.to_string()),
            Just(r#"<c t="s"><v>99999999</v></c>"#.to_string()),
            Just(r#"<c t="e"><v>#REF!</v></c>"#.to_string()),
            Just("<row>".to_string()),
            Just("</row>".to_string()),
            Just("<c>".to_string()),
            "[a-z<>/\"= ]{0,12}",
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 96, .. ProptestConfig::default() })]

        /// Whatever the sheet holds, reading answers (rows, or a file error) and never panics
        /// or allocates past the limits (a panic or an abort fails the test binary).
        #[test]
        fn any_sheet_gets_an_answer(pieces in prop::collection::vec(piece(), 0..24), dim in "[A-Z]{1,3}[0-9]{1,8}") {
            let body = format!("<row r=\"2\">{}</row>", pieces.concat());
            let _ = exchange::read_entities(&workbook(sheet(&format!("A1:{dim}"), &body)));
        }

        /// A valid workbook with bytes changed or cut: an answer, never a crash.
        #[test]
        fn damaged_packages_get_an_answer(flips in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 0..8), cut in any::<prop::sample::Index>()) {
            let mut bytes = workbook(sheet("A1:B2", &format!("<row r=\"2\">{}{}</row>", cell("A2", "x"), cell("B2", "y"))));
            for (at, b) in flips {
                let i = at.index(bytes.len());
                bytes[i] ^= b;
            }
            let n = cut.index(bytes.len() + 1);
            bytes.truncate(n.max(bytes.len() / 2));
            let _ = exchange::read_entities(&bytes);
        }
    }
}

// ---- import jobs (issue 12 item 5) ----

mod jobs_support {
    use super::*;
    use sea_orm::{ConnectionTrait, Statement};

    /// `n` new entities from number `first` on, every third with a licence.
    pub fn job_rows(first: u32, n: u32) -> Vec<Vec<String>> {
        (first..first + n)
            .map(|i| {
                let licence = if i % 3 == 0 {
                    [
                        "食品经营许可证",
                        "JY14111219990001",
                        "舞阳县市场监督管理局",
                        "2024-01-01",
                        "2028-12-31",
                    ]
                } else {
                    NO_LICENCE
                };
                entity_row(
                    &usci("91", i),
                    &format!("舞阳县导入任务测试第{i}号有限公司"),
                    "411121",
                    "B",
                    "餐饮服务",
                    licence,
                )
            })
            .collect()
    }

    pub async fn count(env: &Env, sql: &str) -> i64 {
        let c = env.svc.store.conn();
        c.query_one_raw(Statement::from_string(c.get_database_backend(), sql))
            .await
            .unwrap()
            .unwrap()
            .try_get_by_index::<i64>(0)
            .unwrap()
    }

    /// Audit positions of an action on a job.
    pub async fn seq_of(env: &Env, action: &str, job: uuid::Uuid) -> i64 {
        let c = env.svc.store.conn();
        c.query_one_raw(Statement::from_sql_and_values(
            c.get_database_backend(),
            "SELECT seq FROM audit_log WHERE action = $1 AND object_id = $2",
            [action.into(), job.to_string().into()],
        ))
        .await
        .unwrap()
        .unwrap_or_else(|| panic!("no {action} entry"))
        .try_get_by_index::<i64>(0)
        .unwrap()
    }

    /// The log is intact and every sealed row matches its last seal.
    pub async fn audit_clean(env: &Env) {
        let actor = cli_actor();
        assert!(
            lianjian_services::audit_log::verify(&env.svc, &actor)
                .await
                .unwrap()
                .is_ok(),
            "audit chain broken"
        );
        let findings = lianjian_services::audit_log::reconcile(&env.svc, &actor)
            .await
            .unwrap();
        assert!(findings.is_empty(), "{findings:?}");
    }
}

async fn import_job_writes_in_chunks_and_completes(env: Env) {
    use exchange::jobs::{self, ImportJobStatus, JobOptions};
    let before = entity_count(&env).await;
    let file = entities_file(jobs_support::job_rows(100, 25));
    let checked =
        exchange::check_entities(&env.svc, &cli_actor(), "任务.xlsx", &file, false, &|_| {})
            .await
            .unwrap();
    assert_eq!(checked.job.status, ImportJobStatus::Validating);
    assert_eq!(checked.job.valid, 25);
    // Checking wrote nothing.
    assert_eq!(entity_count(&env).await, before);
    let opts = JobOptions {
        chunk_rows: 10,
        pause: std::time::Duration::ZERO,
        stop_after_chunks: None,
    };
    let seen = Mutex::new(Vec::new());
    let (job, out) = jobs::write_entities(&env.svc, &cli_actor(), checked, &opts, &|p| {
        if p.phase == Phase::Saving {
            seen.lock().unwrap().push(p.done)
        }
    })
    .await
    .unwrap();
    assert_eq!(
        *seen.lock().unwrap(),
        vec![0, 10, 20, 25],
        "a step per chunk"
    );
    assert_eq!(job.status, ImportJobStatus::Completed);
    assert_eq!((job.written, job.inserted), (25, 25));
    assert_eq!(out.report.inserted, 25);
    let stored = jobs::get(&env.svc, &cli_actor(), job.id).await.unwrap();
    assert_eq!(stored.status, ImportJobStatus::Completed);
    assert_eq!(stored.file_name, "任务.xlsx");
    assert!(stored.finished_at.is_some());
    assert_eq!(entity_count(&env).await, before + 25);
    assert_eq!(
        jobs_support::count(&env, "SELECT COUNT(*) FROM import_job_rows").await,
        0,
        "a completed job keeps no journal"
    );
    assert!(
        jobs_support::seq_of(&env, "import.start", job.id).await
            < jobs_support::seq_of(&env, "import.complete", job.id).await
    );
    // The same file again: nothing changes, and the job says so.
    let again = exchange::import_entities(&env.svc, &cli_actor(), &file, false, &|_| {})
        .await
        .unwrap();
    assert_eq!(again.report.unchanged, 25);
    // Someone else's job is not theirs to watch.
    let stranger = Actor {
        user_id: uuid::Uuid::now_v7(),
        role: Role::DepartmentAdmin,
        ..cli_actor()
    };
    assert!(matches!(
        jobs::get(&env.svc, &stranger, job.id).await,
        Err(ServiceError::NotFound)
    ));
    jobs_support::audit_clean(&env).await;
}

async fn import_job_stopped_mid_way_is_undone_on_restart(env: Env) {
    use exchange::jobs::{self, ImportJobStatus, JobOptions};
    let conn = env.svc.store.conn();
    // An entity the file will change: its row, licences and tags must come back exactly.
    let existing = usci("91", 300);
    let licence = [
        "食品经营许可证",
        "JY14111210000300",
        "舞阳县市场监督管理局",
        "2024-01-01",
        "2028-12-31",
    ];
    exchange::import_entities(
        &env.svc,
        &cli_actor(),
        &entities_file(vec![entity_row(
            &existing,
            "舞阳县原来的名称有限公司",
            "411121",
            "B",
            "餐饮服务",
            licence,
        )]),
        false,
        &|_| {},
    )
    .await
    .unwrap();
    let old = entity_repo::by_usci(conn, &existing)
        .await
        .unwrap()
        .unwrap();
    let old_licences = entity_repo::licences_of(conn, old.id).await.unwrap();
    let mut old_tags = entity_repo::tags_of(conn, old.id).await.unwrap();
    old_tags.sort_by_key(|t| t.0);
    let entities0 = entity_count(&env).await;
    let claims0 = jobs_support::count(&env, "SELECT COUNT(*) FROM claims").await;

    let mut rows = vec![entity_row(
        &existing,
        "舞阳县改过的名称有限公司",
        "411121",
        "D",
        "",
        NO_LICENCE,
    )];
    rows.extend(jobs_support::job_rows(400, 30));
    let checked = exchange::check_entities(
        &env.svc,
        &cli_actor(),
        "中断.xlsx",
        &entities_file(rows),
        false,
        &|_| {},
    )
    .await
    .unwrap();
    let opts = JobOptions {
        chunk_rows: 10,
        pause: std::time::Duration::ZERO,
        stop_after_chunks: Some(2),
    };
    // The hook stops the job after two committed chunks, leaving it as a killed process would.
    let err = jobs::write_entities(&env.svc, &cli_actor(), checked, &opts, &|_| {})
        .await
        .unwrap_err();
    assert!(err.to_string().contains("test hook"), "{err}");
    let job = jobs::recent(&env.svc, &cli_actor(), 1)
        .await
        .unwrap()
        .remove(0);
    assert_eq!(job.status, ImportJobStatus::Writing);
    assert_eq!(job.written, 20);
    assert_eq!(entity_count(&env).await, entities0 + 19, "half written");
    let changed = entity_repo::by_usci(conn, &existing)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(changed.name, "舞阳县改过的名称有限公司");
    assert!(jobs_support::count(&env, "SELECT COUNT(*) FROM claims").await > claims0);

    // The restart: the job's runner (this process) no longer runs it, so it is undone.
    let done = jobs::recover(&env.svc).await.unwrap();
    assert_eq!(done.len(), 1, "{done:?}");
    assert_eq!(done[0].id, job.id);
    assert_eq!(done[0].status, ImportJobStatus::RolledBack);
    assert_eq!(done[0].undone, 20);
    assert!(
        done[0]
            .message
            .as_deref()
            .unwrap_or_default()
            .contains("中断")
    );
    assert_eq!(entity_count(&env).await, entities0);
    assert_eq!(
        jobs_support::count(&env, "SELECT COUNT(*) FROM claims").await,
        claims0,
        "the new entities' 双告知 claims are gone with them"
    );
    let back = entity_repo::by_usci(conn, &existing)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(back, old, "the changed entity has its before-image back");
    assert_eq!(
        entity_repo::licences_of(conn, old.id).await.unwrap(),
        old_licences
    );
    let mut tags = entity_repo::tags_of(conn, old.id).await.unwrap();
    tags.sort_by_key(|t| t.0);
    assert_eq!(tags, old_tags);
    assert_eq!(
        jobs_support::count(&env, "SELECT COUNT(*) FROM import_job_rows").await,
        0
    );
    assert!(
        jobs_support::seq_of(&env, "import.rollback", job.id).await
            > jobs_support::seq_of(&env, "import.start", job.id).await
    );
    jobs_support::audit_clean(&env).await;
    // Nothing is left to recover, and the job stays undone.
    assert!(jobs::recover(&env.svc).await.unwrap().is_empty());
    // The file imports whole afterwards.
    let file = entities_file(jobs_support::job_rows(400, 30));
    let out = exchange::import_entities(&env.svc, &cli_actor(), &file, false, &|_| {})
        .await
        .unwrap();
    assert_eq!(out.report.inserted, 30);
}

async fn a_write_during_an_import_succeeds_between_chunks(env: Env) {
    use exchange::jobs::{self, ImportJobStatus, JobOptions};
    let file = entities_file(jobs_support::job_rows(1000, 400));
    let checked =
        exchange::check_entities(&env.svc, &cli_actor(), "并发.xlsx", &file, false, &|_| {})
            .await
            .unwrap();
    let opts = JobOptions {
        chunk_rows: 40,
        ..JobOptions::default()
    };
    let svc = env.svc.clone();
    let importer = tokio::spawn(async move {
        jobs::write_entities(&svc, &cli_actor(), checked, &opts, &|_| {}).await
    });
    let mut writes = 0;
    while !importer.is_finished() {
        lianjian_services::sectors::create(
            &env.svc,
            &cli_actor(),
            &format!("导入期间新建领域{writes}"),
        )
        .await
        .expect("a write during an import succeeds");
        writes += 1;
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    let (job, _) = importer.await.unwrap().unwrap();
    assert_eq!(job.status, ImportJobStatus::Completed);
    assert_eq!(job.inserted, 400);
    // The writes went in between the job's chunks, not after it.
    let start = jobs_support::seq_of(&env, "import.start", job.id).await;
    let end = jobs_support::seq_of(&env, "import.complete", job.id).await;
    let between = jobs_support::count(
        &env,
        &format!(
            "SELECT COUNT(*) FROM audit_log WHERE action = 'sector.create' AND seq > {start} AND seq < {end}"
        ),
    )
    .await;
    assert!(
        between >= 2,
        "{between} of {writes} writes landed during the import"
    );
    jobs_support::audit_clean(&env).await;
}
