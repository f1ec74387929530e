//! The approval result sheet (审批结果, issue 17 item 2: "approval results arrive from the
//! approval bureau by API or xlsx"; 鲁 task 5 审管协同). One row per approval result, the
//! same fields as the API's push body ([`LicenceInput`]); every row is parsed and resolved by
//! the push's own code (`licensing::resolve`: the licensee in the directory within the
//! uploader's scope, the item, the supervising department) and every problem is named by row,
//! column and value. Nothing is saved while any row is wrong unless the caller skips invalid
//! rows; the valid rows are then handed over in one transaction, each exactly as a push does
//! (`licensing::save_on`: the 双告知 claim to the supervising department, its claiming clock,
//! the case's first step) with the channel `xlsx`. Idempotent like the push: a row repeating a
//! stored result (same licence number and event, same content) changes nothing.

use std::collections::HashMap;

use lianjian_domain::licensing::{LicenceEvent, LicenceInput};
use lianjian_domain::scope::Actor;
use lianjian_store::licensing as repo;

use super::{
    Column, ImportOutcome, Progress, RowCheck, SheetSpec, col, one_sheet_workbook, open, pick,
    read_table, repeated_keys,
};
use crate::licensing::{self, Resolved};
use crate::{FieldError, Result, ServiceError, Services};

const SHEET: &str = "审批结果";
/// The channel a hand-over from this sheet records (the API's is `api`).
pub const CHANNEL: &str = "xlsx";
/// Rows one file may hold: each row is resolved against the directory and the item list and
/// all are handed over in one transaction, so a file is a day's or a month's results, not a
/// bulk load (a bureau's county issues some hundreds of licences a month).
pub const MAX_ROWS: usize = 5_000;

const C_NO: usize = 0;
const C_EVENT: usize = 1;
const C_USCI: usize = 2;
const C_ITEM: usize = 3;
const C_NAME: usize = 4;
const C_DATE: usize = 5;
const C_BUREAU: usize = 6;

fn events() -> Vec<&'static str> {
    LicenceEvent::ALL.iter().map(|e| e.label_zh()).collect()
}

static COLUMNS: [Column; 7] = [
    col(
        "许可证号",
        true,
        24.0,
        "许可证号，4–64 个字符，可含字母、数字、汉字和 -()（）〔〕[]【】/_.·，不含空格。与“审批结果”一起唯一确定一条审批结果：再次导入同一许可证号的同一结果时按本行更正，内容相同的不作改动。",
    ),
    pick(
        "审批结果",
        true,
        12.0,
        "准予许可、变更许可或撤销注销。",
        events,
    ),
    col(
        "统一社会信用代码",
        true,
        22.0,
        "许可持有人的 18 位统一社会信用代码，须已在监管对象名录中、在您的管理范围内。",
    ),
    col(
        "监管事项编码",
        true,
        16.0,
        "该许可对应的监管事项编码（见事项清单），据此推送给该事项牵头条线离许可持有人最近的主管部门认领。",
    ),
    col(
        "许可事项名称",
        true,
        24.0,
        "审批部门使用的许可事项名称，2–100 个字符，如 食品经营许可。",
    ),
    col(
        "决定日期",
        true,
        12.0,
        "审批决定日期，如 2026-12-01，不晚于今天。",
    ),
    col(
        "审批部门",
        true,
        26.0,
        "作出决定的审批部门名称，2–64 个字符，如 县行政审批和政务信息管理局。",
    ),
];

static SPEC: SheetSpec = SheetSpec {
    name: SHEET,
    columns: &COLUMNS,
};

const NOTES: &[&str] = &[
    "1. 在“审批结果”工作表中填写，一行一条审批结果，第 1 行是表头：表头文字须与模板一致（可调整列的顺序）；所有列必填。",
    "2. 每条审批结果与接口 POST /api/v1/licences 推送的结果相同：按监管事项推送给主管部门认领，认领期限 5 个工作日，逾期未认领或被退回的转协调办指定监管部门。",
    "3. 按“许可证号 + 审批结果”更新：已导入或已推送的结果按本行更正，内容相同的不作改动，同一文件重复导入不会产生变化；已交接给其他主体或事项的许可证号不能改为本行的主体或事项。",
    "4. 一个文件最多 5000 行。",
];

/// The column holding each field of [`LicenceInput`].
fn column_of(field: &str) -> Option<usize> {
    Some(match field {
        "licence_no" => C_NO,
        "event" => C_EVENT,
        "usci" => C_USCI,
        "item_code" => C_ITEM,
        "licence_name" => C_NAME,
        "decided_on" => C_DATE,
        "bureau" => C_BUREAU,
        _ => return None,
    })
}

fn input_of(cells: &[String]) -> LicenceInput {
    LicenceInput {
        licence_no: cells[C_NO].clone(),
        event: cells[C_EVENT].clone(),
        usci: cells[C_USCI].clone(),
        item_code: cells[C_ITEM].clone(),
        licence_name: cells[C_NAME].clone(),
        decided_on: cells[C_DATE].clone(),
        bureau: cells[C_BUREAU].clone(),
    }
}

fn workbook(rows: &[Vec<String>]) -> Vec<u8> {
    one_sheet_workbook(&SPEC, "审批结果导入模板 · 填写说明", NOTES, rows)
        .expect("the sheet is well-formed")
}

/// The import template.
pub fn template() -> Vec<u8> {
    workbook(&[])
}

/// A filled sheet (tests, demos): one row per input, in the template's layout.
pub fn sheet_of(inputs: &[LicenceInput]) -> Vec<u8> {
    let rows: Vec<Vec<String>> = inputs
        .iter()
        .map(|i| {
            vec![
                i.licence_no.clone(),
                i.event.clone(),
                i.usci.clone(),
                i.item_code.clone(),
                i.licence_name.clone(),
                i.decided_on.clone(),
                i.bureau.clone(),
            ]
        })
        .collect();
    workbook(&rows)
}

/// `(licence number, event)` as a hand-over is keyed, when both parse.
fn key_of(input: &LicenceInput) -> Option<(String, LicenceEvent)> {
    let no = lianjian_domain::licensing::licence_no(&input.licence_no).ok()?;
    let event = LicenceEvent::parse(input.event.trim()).ok()?;
    Some((no, event))
}

/// Imports the approval result sheet (see the module's doc): only those who may push
/// (`licensing::may_push`).
pub async fn import(
    svc: &Services,
    actor: &Actor,
    bytes: &[u8],
    skip_invalid: bool,
    progress: &(dyn Fn(Progress) + Sync),
) -> Result<ImportOutcome> {
    if !licensing::may_push(actor) || actor.role.is_read_only() {
        return Err(ServiceError::Forbidden);
    }
    let t = read_table(&mut open(bytes)?, &SPEC)?;
    if t.rows.len() > MAX_ROWS {
        return Err(ServiceError::Invalid(vec![FieldError {
            field: "file".into(),
            code: "too_many_rows".into(),
            message: format!(
                "“{SHEET}”工作表有 {} 行数据，一个文件最多 {MAX_ROWS} 行，请拆分后分次导入",
                t.rows.len()
            ),
            message_en: format!(
                "the sheet has {} data rows, at most {MAX_ROWS} per file",
                t.rows.len()
            ),
        }]));
    }
    let c = svc.store.conn();
    let repeated = repeated_keys(
        &t,
        C_NO,
        |cells| key_of(&input_of(cells)),
        |n| {
            lianjian_domain::Invalid::new(
                "duplicate_licence",
                format!("同一审批结果的许可证号与第 {n} 行重复"),
                format!("the licence number and event repeat row {n}"),
            )
        },
    );
    let inputs: Vec<LicenceInput> = t.rows.iter().map(|r| input_of(&r.cells)).collect();
    let keys: Vec<(String, LicenceEvent)> = inputs.iter().filter_map(key_of).collect();
    let existing: HashMap<(String, LicenceEvent), repo::Handover> = repo::by_keys(c, &keys)
        .await?
        .into_iter()
        .map(|h| ((h.licence_no.clone(), h.event), h))
        .collect();
    let mut check = RowCheck::new(&t, repeated, progress);
    let mut to_save: Vec<Resolved> = Vec::new();
    for (ri, input) in inputs.iter().enumerate() {
        check.begin();
        match licensing::resolve(svc, actor, input, CHANNEL).await {
            Ok(r) => {
                let h = &r.handover;
                match existing.get(&(h.licence_no.clone(), h.event)) {
                    Some(old) if old.entity_id != h.entity_id || old.item_id != h.item_id => {
                        check.cell(
                            ri,
                            C_NO,
                            lianjian_domain::Invalid::new(
                                "licence_elsewhere",
                                format!(
                                    "许可证号“{}”的{}已交接给其他主体或事项，不能改为本行的主体或事项",
                                    h.licence_no,
                                    h.event.label_zh()
                                ),
                                "this licence event was handed over for another entity or item",
                            ),
                        )
                    }
                    Some(old) if old.same_content(h) => {
                        if check.clean(ri) {
                            check.unchanged += 1
                        }
                    }
                    _ => {
                        if check.clean(ri) {
                            to_save.push(r)
                        }
                    }
                }
            }
            Err(ServiceError::Invalid(fields)) => check.fields(ri, fields, column_of, &[]),
            Err(e) => return Err(e),
        }
        check.end(ri);
    }
    check
        .checked(skip_invalid)
        .finish(to_save, progress, |rows| {
            licensing::save_many(svc, actor, rows)
        })
        .await
}
