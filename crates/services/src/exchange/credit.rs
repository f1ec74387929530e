//! The credit entry sheet (信用记录, issue 15 item 1): penalties, listings and commendations
//! imported and exported like the inspector pool — every row parsed by the form's parser
//! (`credit::parse`), every problem named by sheet, row and column, nothing saved while any row
//! is wrong unless the caller skips invalid rows, the valid rows in one transaction, upsert by
//! (kind, reference).

use std::collections::{HashMap, HashSet};

use lianjian_domain::credit::{RecordKind, RecordSource, StrictField, Tier};
use lianjian_domain::region::RegionCode;
use lianjian_domain::scope::Actor;
use lianjian_store::PageRequest;
use lianjian_store::credit as repo;
use rust_xlsxwriter::{Workbook, XlsxError};

use super::{
    Checked, Column, DepartmentNames, ImportOutcome, Phase, Problem, Progress, ReadRows, SheetSpec,
    Table, cell_errors, col, open, pick, read_table, write_instructions, write_spec_sheet,
};
use crate::credit::{self, Entry, EntryInput, EntryQuery};
use crate::{Result, ServiceError, Services};

const SHEET: &str = "信用记录";

const C_USCI: usize = 0;
const C_KIND: usize = 1;
const C_REFERENCE: usize = 2;
const C_TITLE: usize = 3;
const C_TIER: usize = 4;
const C_PENALTY_KINDS: usize = 5;
const C_AMOUNT: usize = 6;
const C_STRICT: usize = 7;
const C_DATE: usize = 8;
const C_DEPT: usize = 9;
const C_REGION: usize = 10;
const C_BASIS: usize = 11;
const C_REMOVED_ON: usize = 12;
const C_REMOVAL_REASON: usize = 13;

fn kinds() -> Vec<&'static str> {
    RecordKind::ALL
        .iter()
        .filter(|k| !k.is_derived())
        .map(|k| k.label_zh())
        .collect()
}
fn tiers() -> Vec<&'static str> {
    Tier::ALL.iter().map(|t| t.label_zh()).collect()
}
fn strict_fields() -> Vec<&'static str> {
    StrictField::ALL.iter().map(|t| t.label_zh()).collect()
}

static COLUMNS: [Column; 14] = [
    col(
        "统一社会信用代码",
        true,
        22.0,
        "主体的 18 位统一社会信用代码，须已在监管对象名录中、在您的管理范围内。",
    ),
    pick(
        "记录类别",
        true,
        14.0,
        "行政处罚、经营异常名录、严重违法失信名单或表彰奖励。联合惩戒记录由联合惩戒流程生成，不通过本表导入。",
        kinds,
    ),
    col(
        "文号",
        false,
        26.0,
        "行政处罚决定书文号或列入决定文号，4–64 个字符；行政处罚和名录列入必填。同一类别的文号唯一：系统中已有该文号的记录按本行更新，内容相同的不作改动。",
    ),
    col(
        "违法行为或事由",
        true,
        40.0,
        "行政处罚的违法行为、名录的列入原因或表彰事由，2–500 个字符。",
    ),
    pick(
        "严重程度",
        false,
        10.0,
        "行政处罚必填：轻微、一般或严重。决定公示期限：轻微一般不公示（最长 3 个月），一般 3 个月至 1 年，严重 1 至 3 年。",
        tiers,
    ),
    col(
        "处罚种类",
        false,
        24.0,
        "行政处罚必填，多项用“、”分隔：警告、通报批评、罚款、没收违法所得、没收非法财物、暂扣许可证件、降低资质等级、吊销许可证件、限制开展生产经营活动、责令停产停业、责令关闭、限制从业、行政拘留、其他。",
    ),
    col(
        "罚没金额（元）",
        false,
        14.0,
        "罚没金额，单位元，最多两位小数；处罚种类含罚款或没收时必填。",
    ),
    pick(
        "重点领域",
        false,
        12.0,
        "食品、药品、特种设备、安全生产、消防安全领域的处罚，最短公示期不少于 1 年；其他领域留空。",
        strict_fields,
    ),
    col(
        "日期",
        true,
        12.0,
        "处罚决定日期、列入日期或表彰日期，如 2026-03-31，不晚于今天。",
    ),
    col(
        "实施部门",
        false,
        22.0,
        "作出决定的部门名称，如 县市场监管局；部门管理员留空为本部门，联席办必填。",
    ),
    col(
        "部门行政区划代码",
        false,
        14.0,
        "实施部门所在的行政区划代码；同名部门不止一个时填写。",
    ),
    col(
        "法律依据",
        false,
        40.0,
        "作出决定所依据的法律法规及条款，2–500 个字符；行政处罚必填。",
    ),
    col(
        "移出日期",
        false,
        12.0,
        "名录列入记录已移出时填写移出日期，不早于列入日期。",
    ),
    col(
        "移出原因",
        false,
        30.0,
        "填写移出日期时必填，2–500 个字符。",
    ),
];

static SPEC: SheetSpec = SheetSpec {
    name: SHEET,
    columns: &COLUMNS,
};

const NOTES: &[&str] = &[
    "1. 在“信用记录”工作表中填写，一行一条记录，第 1 行是表头：表头文字须与模板一致（可调整列的顺序，可删去非必填列）；带 * 的列必填。",
    "2. 按“记录类别 + 文号”更新：系统中已有的记录按本行内容更新，内容相同的不作改动，同一文件重复导入不会产生变化。已修复或已撤销的记录不能通过导入修改。",
    "3. 公示期限按 2026 年 4 月 1 日起施行的信用修复规则自动计算；轻微处罚一般不公示。信用风险分类和评分任何时候都不公示。",
    "4. 导入前会逐行检查，错误会指明工作表、行号、列和取值。默认有错误时全部不导入；选择“跳过错误行”时只导入正确的行，并生成一份错误报告，改正后可直接再次导入。",
];

/// The column holding each field of [`EntryInput`].
fn column_of(field: &str) -> Option<usize> {
    Some(match field {
        "usci" => C_USCI,
        "kind" => C_KIND,
        "reference" => C_REFERENCE,
        "title" => C_TITLE,
        "tier" => C_TIER,
        "penalty_kinds" => C_PENALTY_KINDS,
        "amount" => C_AMOUNT,
        "strict_field" => C_STRICT,
        "occurred_on" => C_DATE,
        "department_id" => C_DEPT,
        "legal_basis" => C_BASIS,
        "removed_on" => C_REMOVED_ON,
        "removal_reason" => C_REMOVAL_REASON,
        _ => return None,
    })
}

fn input_of(cells: &[String]) -> EntryInput {
    EntryInput {
        usci: cells[C_USCI].clone(),
        kind: cells[C_KIND].clone(),
        tier: cells[C_TIER].clone(),
        occurred_on: cells[C_DATE].clone(),
        reference: cells[C_REFERENCE].clone(),
        title: cells[C_TITLE].clone(),
        legal_basis: cells[C_BASIS].clone(),
        penalty_kinds: cells[C_PENALTY_KINDS].clone(),
        amount: cells[C_AMOUNT].clone(),
        strict_field: cells[C_STRICT].clone(),
        // The department's name; `import` resolves it.
        department_id: cells[C_DEPT].clone(),
        removed_on: cells[C_REMOVED_ON].clone(),
        removal_reason: cells[C_REMOVAL_REASON].clone(),
    }
}

fn workbook(rows: &[Vec<String>]) -> Result<Vec<u8>, XlsxError> {
    let mut wb = Workbook::new();
    write_spec_sheet(&mut wb, &SPEC, SHEET, rows, &[], &HashSet::new())?;
    write_instructions(&mut wb, "信用记录导入模板 · 填写说明", NOTES, &[&SPEC])?;
    wb.save_to_buffer()
}

/// The import template.
pub fn template() -> Vec<u8> {
    workbook(&[]).expect("the template is well-formed")
}

/// The column headers in template order (required ones end in `*`).
pub fn headers() -> Vec<String> {
    (0..COLUMNS.len()).map(|i| SPEC.header(i)).collect()
}

/// `(kind, reference)` as the upsert keys it, when both parse.
fn key_of(input: &EntryInput) -> Option<(RecordKind, String)> {
    let kind = RecordKind::parse(&input.kind).ok()?;
    let reference = lianjian_domain::credit::decision_no(&input.reference).ok()?;
    Some((kind, reference))
}

/// Later rows repeating an earlier row's kind and reference.
fn repeated(t: &Table, problems: &mut Vec<Problem>) {
    let mut first: HashMap<(RecordKind, String), u32> = HashMap::new();
    for (ri, row) in t.rows.iter().enumerate() {
        let Some(key) = key_of(&input_of(&row.cells)) else {
            continue;
        };
        match first.get(&key) {
            Some(n) => problems.push(Problem::new(
                0,
                ri,
                Some(C_REFERENCE),
                lianjian_domain::Invalid::new(
                    "duplicate_reference",
                    format!("同类别的文号与第 {n} 行重复"),
                    format!("the reference repeats row {n}"),
                ),
            )),
            None => {
                first.insert(key, row.number);
            }
        }
    }
}

/// Reads the sheet without the database: each row as an input (department by name) and the
/// problems visible without it.
pub fn read(bytes: &[u8]) -> Result<ReadRows<EntryInput>, super::FileError> {
    let t = read_table(&mut open(bytes)?, &SPEC)?;
    let mut problems = Vec::new();
    repeated(&t, &mut problems);
    let errors = cell_errors(&[&t], &problems);
    Ok((
        t.rows
            .iter()
            .map(|r| (r.number, input_of(&r.cells)))
            .collect(),
        errors,
    ))
}

/// Imports the credit entry sheet (see the module's doc).
pub async fn import(
    svc: &Services,
    actor: &Actor,
    bytes: &[u8],
    skip_invalid: bool,
    progress: &(dyn Fn(Progress) + Sync),
) -> Result<ImportOutcome> {
    if !credit::may_record(actor) || actor.role.is_read_only() {
        return Err(ServiceError::Forbidden);
    }
    let t = read_table(&mut open(bytes)?, &SPEC)?;
    let c = svc.store.conn();
    let mut problems = Vec::new();
    repeated(&t, &mut problems);
    let already_bad: HashSet<usize> = problems.iter().map(|p| p.row).collect();
    let mut inputs: Vec<EntryInput> = t.rows.iter().map(|r| input_of(&r.cells)).collect();
    let entities = credit::entities_of(svc, &inputs.iter().collect::<Vec<_>>()).await?;
    // Existing entries by (kind, reference), one query per kind.
    let mut existing: HashMap<(RecordKind, String), Entry> = HashMap::new();
    for kind in RecordKind::ALL {
        let refs: Vec<String> = inputs
            .iter()
            .filter_map(key_of)
            .filter(|(k, _)| k == kind)
            .map(|(_, r)| r)
            .collect();
        if refs.is_empty() {
            continue;
        }
        for (r, e) in repo::by_references(c, *kind, &refs).await? {
            existing.insert((*kind, r), e);
        }
    }
    let full = actor.full_scope();
    let total = t.rows.len() as u64;
    let mut named = DepartmentNames::default();
    let mut to_save = Vec::new();
    let mut unchanged = 0u64;
    let mut failed = Vec::new();
    progress(Progress {
        phase: Phase::Checking,
        done: 0,
        total,
    });
    for (ri, input) in inputs.iter_mut().enumerate() {
        let before = problems.len();
        // The department by name, near the row's region or within the actor's scope.
        let name = input.department_id.trim().to_string();
        let mut department_reported = false;
        if !name.is_empty() {
            let region_text = t.rows[ri].cells[C_REGION].trim().to_string();
            let region = match RegionCode::parse(&region_text) {
                Ok(r) => Some(r),
                Err(e) if !region_text.is_empty() => {
                    problems.push(Problem::new(0, ri, Some(C_REGION), e));
                    department_reported = true;
                    None
                }
                Err(_) => None,
            };
            if !department_reported {
                match named
                    .resolve(c, &name, region.as_ref(), full.region.as_ref())
                    .await?
                {
                    Ok(d) => input.department_id = d.to_string(),
                    Err(e) => {
                        problems.push(Problem::new(0, ri, Some(C_DEPT), e));
                        department_reported = true;
                    }
                }
            }
        }
        if department_reported {
            input.department_id.clear();
        }
        let old = key_of(input).and_then(|k| existing.get(&k));
        match credit::parse(svc, actor, input, &entities, old).await {
            Ok(mut e) => {
                if problems.len() == before && !already_bad.contains(&ri) {
                    match old {
                        Some(o) if e.same_content(o) => unchanged += 1,
                        _ => {
                            if old.is_none() {
                                e.source = RecordSource::Import;
                            }
                            to_save.push((e, old.cloned()));
                        }
                    }
                }
            }
            Err(ServiceError::Invalid(fields)) => {
                for f in fields {
                    if department_reported && f.field == "department_id" {
                        continue;
                    }
                    problems.push(Problem::field(0, ri, column_of(&f.field), f));
                }
            }
            Err(e) => return Err(e),
        }
        if problems.len() > before || already_bad.contains(&ri) {
            failed.push(ri);
        }
        progress(Progress {
            phase: Phase::Checking,
            done: ri as u64 + 1,
            total,
        });
    }
    let checked = Checked {
        table: &t,
        problems,
        failed,
        unchanged,
        skip_invalid,
    };
    checked
        .finish(to_save, progress, |rows| credit::save(svc, actor, rows))
        .await
}

/// The entries a list shows (its filters, the actor's scope) in the import layout, so that
/// export → edit → import round-trips (sanction entries are listed with their category for
/// reading; importing them back is refused by row).
pub async fn export(svc: &Services, actor: &Actor, q: &EntryQuery) -> Result<Vec<u8>> {
    let c = svc.store.conn();
    let mut rows: Vec<Vec<String>> = Vec::new();
    let mut names: HashMap<uuid::Uuid, (String, String)> = HashMap::new();
    let mut page = 1;
    loop {
        let p = credit::list(
            svc,
            actor,
            q,
            PageRequest::new(Some(page), Some(PageRequest::MAX_PER_PAGE)),
        )
        .await?;
        let ids: Vec<uuid::Uuid> = p.items.iter().map(|e| e.entity_id).collect();
        let uscis: HashMap<uuid::Uuid, String> = lianjian_store::entities::get_many(c, &ids)
            .await?
            .into_iter()
            .map(|e| (e.id, e.usci))
            .collect();
        for e in &p.items {
            let input = credit::input_with(e, uscis.get(&e.entity_id).cloned().unwrap_or_default());
            let (dept, region) = match e.department_id {
                Some(d) => {
                    if !names.contains_key(&d) {
                        let v = lianjian_store::departments::get(c, d)
                            .await?
                            .map(|x| (x.name, x.region_code.to_string()))
                            .unwrap_or_default();
                        names.insert(d, v);
                    }
                    names[&d].clone()
                }
                None => Default::default(),
            };
            let mut row = vec![String::new(); COLUMNS.len()];
            row[C_USCI] = input.usci;
            row[C_KIND] = input.kind;
            row[C_REFERENCE] = input.reference;
            row[C_TITLE] = input.title;
            row[C_TIER] = input.tier;
            row[C_PENALTY_KINDS] = input.penalty_kinds;
            row[C_AMOUNT] = input.amount;
            row[C_STRICT] = input.strict_field;
            row[C_DATE] = input.occurred_on;
            row[C_DEPT] = dept;
            row[C_REGION] = region;
            row[C_BASIS] = input.legal_basis;
            row[C_REMOVED_ON] = input.removed_on;
            row[C_REMOVAL_REASON] = input.removal_reason;
            rows.push(row);
        }
        if (p.items.len() as u64) < p.per_page {
            break;
        }
        page += 1;
    }
    Ok(workbook(&rows).expect("export rows are well-formed"))
}
