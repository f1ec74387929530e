//! Excel in and out (Excel 导入导出) for the directory (名录库) and the item list (事项清单).
//!
//! - Templates with Chinese headers, a note on every header, an instructions sheet (填写说明) and
//!   drop-down lists for enumerated columns.
//! - Reading matches headers by text (not position), tolerant of spaces and a trailing `*`, and
//!   names the sheet, row (as Excel shows it), column (header and letter) and value of every
//!   problem ([`CellError`]). A file that cannot be used at all is a [`FileError`].
//! - Imports validate every row first. Without `skip_invalid` nothing is imported when any row is
//!   invalid; with it the valid rows are imported and the failed ones come back as an xlsx
//!   (original values plus 错误原因) that can be corrected and imported again.
//! - Exports use the import layout, so export → edit → import round-trips; importing an
//!   unchanged export changes nothing.
//!
//! Entities: one licence per row; several rows with the same credit code are one entity with
//! several licences (the later rows may leave the entity columns blank, or repeat them exactly).
//! Items: sheet 事项, one item per row, department names resolved in the item's region and its
//! ancestors; sheet 检查要点, one check point per row, linked by item code.

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::io::Cursor;

use calamine::{Data, Reader, Xlsx};

mod bounded;
pub mod credit;
pub mod devices;
pub mod jobs;
pub mod licensing;
pub mod sample;
pub use bounded::{LIMITS as UPLOAD_LIMITS, Limit, Limits};
use lianjian_domain::Invalid;
use lianjian_domain::account::Role;
use lianjian_domain::directory::{CreditClass, EntityType, RegStatus, loose_date};
use lianjian_domain::error::bounded_text;
use lianjian_domain::item::{
    self as item_rules, DepartmentRole, Dimension, ImplementationLevel, ItemCategory, Method,
};
use lianjian_domain::region::RegionCode;
use lianjian_domain::scope::{Actor, Scope};
use lianjian_domain::tag::TagSource;
use lianjian_domain::tag_expr::TagExpr;
use lianjian_store::PageRequest;
use lianjian_store::departments::{self as dept_repo, Department};
use lianjian_store::entities as entity_repo;
use lianjian_store::items::{self as item_repo, Item, ItemQuery};
use lianjian_store::sectors::{self as sector_repo, Sector};
use lianjian_store::tags as tag_repo;
use rust_xlsxwriter::{Color, DataValidation, Format, Note, Workbook, XlsxError};
use serde::Serialize;
use uuid::Uuid;

use crate::directory::{self, EntityInput, ImportReport, SearchInput, Vocabulary};
use crate::items::{self, DepartmentPart, ItemInput};
use crate::sheets::{MAX_DATA_ROWS, clip, header_format, text_format};
use crate::{FieldError, Result, ServiceError, Services, departments};

/// The plain list table, where callers outside the crate have always found it.
pub use crate::sheets::xlsx_table;

/// Sheet of the directory template.
pub const ENTITY_SHEET: &str = "监管对象";
/// Sheets of the item template.
pub const ITEM_SHEET: &str = "事项";
pub const POINT_SHEET: &str = "检查要点";
/// Sheet explaining the columns.
pub const INSTRUCTIONS_SHEET: &str = "填写说明";
/// Extra columns of an error report.
pub const REASON_COLUMN: &str = "错误原因";
pub const ROW_COLUMN: &str = "原行号";
/// Summary of item changes made by an import (a published item gets a new version with it).
pub const IMPORT_SUMMARY: &str = "Excel 导入更新";

// ---------------------------------------------------------------------------------------------
// Errors and outcomes
// ---------------------------------------------------------------------------------------------

/// A file that cannot be imported at all.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum FileError {
    /// Not an xlsx workbook (another format, damaged, or not a spreadsheet).
    NotXlsx {
        detail: String,
    },
    MissingSheet {
        expected: String,
        found: Vec<String>,
    },
    /// Required columns whose header is not in the sheet.
    MissingColumns {
        sheet: String,
        columns: Vec<String>,
    },
    DuplicateColumns {
        sheet: String,
        columns: Vec<String>,
    },
    /// More rows than a sheet holds (export only).
    TooManyRows {
        sheet: String,
        rows: usize,
    },
    /// An uploaded file past one of the reading limits ([`UPLOAD_LIMITS`]): `value` is the
    /// limit, `at` where it was crossed (a cell such as `XFD1048576`, or a part of the package).
    TooLarge {
        limit: Limit,
        value: u64,
        at: String,
    },
}

/// A limit's value as people read it: bytes in MiB.
fn limit_value(limit: Limit, value: u64) -> String {
    if limit.is_bytes() {
        format!("{} MiB", value >> 20)
    } else {
        value.to_string()
    }
}

impl FileError {
    pub fn code(&self) -> &'static str {
        match self {
            FileError::NotXlsx { .. } => "not_xlsx",
            FileError::MissingSheet { .. } => "missing_sheet",
            FileError::MissingColumns { .. } => "missing_columns",
            FileError::DuplicateColumns { .. } => "duplicate_columns",
            FileError::TooManyRows { .. } => "too_many_rows",
            FileError::TooLarge { .. } => "file_limit",
        }
    }

    /// The message in Chinese.
    pub fn message(&self) -> String {
        match self {
            FileError::NotXlsx { .. } => {
                "文件不是有效的 xlsx 格式，请用 Excel 或 WPS 另存为 .xlsx 后再导入".into()
            }
            FileError::MissingSheet { expected, found } => {
                format!(
                    "文件中没有名为“{expected}”的工作表（现有：{}），请使用导入模板",
                    found.join("、")
                )
            }
            FileError::MissingColumns { sheet, columns } => {
                format!(
                    "工作表“{sheet}”缺少必填列：{}（表头须与模板一致）",
                    columns.join("、")
                )
            }
            FileError::DuplicateColumns { sheet, columns } => format!(
                "工作表“{sheet}”中这些列出现了不止一次：{}",
                columns.join("、")
            ),
            FileError::TooManyRows { sheet, rows } => {
                format!(
                    "工作表“{sheet}”需要 {rows} 行，超过 Excel 单表上限 {MAX_DATA_ROWS} 行，请缩小范围"
                )
            }
            FileError::TooLarge { limit, value, at } => format!(
                "文件超出导入上限：{}最多 {}（超出位置：{at}），请拆分文件或删除多余内容后再导入",
                limit.label_zh(),
                limit_value(*limit, *value)
            ),
        }
    }

    pub fn message_en(&self) -> String {
        match self {
            FileError::NotXlsx { detail } => format!(
                "the file is not a valid xlsx workbook ({detail}); save it as .xlsx in Excel or WPS and import again"
            ),
            FileError::MissingSheet { expected, found } => {
                format!(
                    "the workbook has no sheet named '{expected}' (it has: {}); use the import template",
                    found.join(", ")
                )
            }
            FileError::MissingColumns { sheet, columns } => format!(
                "sheet '{sheet}' lacks required columns: {}",
                columns.join(", ")
            ),
            FileError::DuplicateColumns { sheet, columns } => format!(
                "sheet '{sheet}' has these columns more than once: {}",
                columns.join(", ")
            ),
            FileError::TooManyRows { sheet, rows } => {
                format!("sheet '{sheet}' would need {rows} rows, more than Excel's {MAX_DATA_ROWS}")
            }
            FileError::TooLarge { limit, value, at } => format!(
                "the file exceeds an import limit: {} at most {} (crossed at {at}); split the file or remove what is not needed",
                limit.label_en(),
                limit_value(*limit, *value)
            ),
        }
    }
}

impl fmt::Display for FileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.message(), self.message_en())
    }
}

impl std::error::Error for FileError {}

/// A file error is an invalid input named `file`.
impl From<FileError> for ServiceError {
    fn from(e: FileError) -> Self {
        ServiceError::Invalid(vec![FieldError {
            field: "file".into(),
            code: e.code().into(),
            message: e.message(),
            message_en: e.message_en(),
        }])
    }
}

/// A problem with one cell (or one row, when `column` is empty).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CellError {
    pub sheet: String,
    /// 1-based, as Excel shows it.
    pub row: u32,
    /// The column's header as the template names it (without `*`).
    pub column: String,
    /// The column's letter in this file (`A`, `B`, … `AA`).
    pub column_letter: String,
    /// The cell's content as read.
    pub value: String,
    /// Stable code (as in the API's field errors).
    pub code: String,
    pub reason: String,
    pub reason_en: String,
}

/// `监管对象 第3行 统一社会信用代码(A) “9141…”: 校验码不符…`
impl fmt::Display for CellError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let value = if self.value.is_empty() {
            "（空）".to_string()
        } else {
            format!("“{}”", self.value)
        };
        if self.column.is_empty() {
            write!(
                f,
                "{} 第{}行 {}: {}",
                self.sheet, self.row, value, self.reason
            )
        } else {
            write!(
                f,
                "{} 第{}行 {}({}) {}: {}",
                self.sheet, self.row, self.column, self.column_letter, value, self.reason
            )
        }
    }
}

/// What reading a sheet gives: each record with the (1-based) row it starts on, and the
/// problems found without the database.
pub type ReadRows<T> = (Vec<(u32, T)>, Vec<CellError>);

/// What an import did.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ImportOutcome {
    /// Counts of what was saved (entities or items, not rows).
    pub report: ImportReport,
    /// Every problem found, in sheet and row order.
    pub errors: Vec<CellError>,
    /// Entities or items not imported because of errors.
    pub skipped: u64,
    /// With `skip_invalid` and errors: an xlsx of the failed rows (original values plus
    /// 错误原因) that can be corrected and imported again.
    #[serde(skip)]
    pub error_report: Option<Vec<u8>>,
}

impl ImportOutcome {
    /// Whether anything reached the database (or was found identical there).
    pub fn processed(&self) -> u64 {
        self.report.inserted + self.report.updated + self.report.unchanged
    }
}

/// Stages of an import reported to the progress callback.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Phase {
    /// Validating rows (entities or items done of total).
    Checking,
    /// Saving valid entities or items.
    Saving,
    /// Undoing what an import job wrote (entities done of those written).
    Undoing,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Progress {
    pub phase: Phase,
    pub done: u64,
    pub total: u64,
}

// ---------------------------------------------------------------------------------------------
// Column specifications
// ---------------------------------------------------------------------------------------------

struct Column {
    name: &'static str,
    required: bool,
    help: &'static str,
    /// Allowed values, offered as a drop-down list; empty for free text.
    choices: fn() -> Vec<&'static str>,
    width: f64,
}

struct SheetSpec {
    name: &'static str,
    columns: &'static [Column],
}

fn free() -> Vec<&'static str> {
    Vec::new()
}
fn entity_types() -> Vec<&'static str> {
    EntityType::ALL.iter().map(|t| t.label_zh()).collect()
}
fn reg_statuses() -> Vec<&'static str> {
    RegStatus::ALL.iter().map(|t| t.label_zh()).collect()
}
fn credit_classes() -> Vec<&'static str> {
    CreditClass::ALL.iter().map(|t| t.as_str()).collect()
}
fn categories() -> Vec<&'static str> {
    ItemCategory::ALL.iter().map(|t| t.label_zh()).collect()
}
fn levels() -> Vec<&'static str> {
    ImplementationLevel::ALL
        .iter()
        .map(|t| t.label_zh())
        .collect()
}
fn dimensions() -> Vec<&'static str> {
    Dimension::ALL.iter().map(|t| t.label_zh()).collect()
}

const fn col(name: &'static str, required: bool, width: f64, help: &'static str) -> Column {
    Column {
        name,
        required,
        help,
        choices: free,
        width,
    }
}
const fn pick(
    name: &'static str,
    required: bool,
    width: f64,
    help: &'static str,
    choices: fn() -> Vec<&'static str>,
) -> Column {
    Column {
        name,
        required,
        help,
        choices,
        width,
    }
}

const E_USCI: usize = 0;
const E_NAME: usize = 1;
const E_TYPE: usize = 2;
const E_REP: usize = 3;
const E_ADDRESS: usize = 4;
const E_REGION: usize = 5;
const E_INDUSTRY: usize = 6;
const E_STATUS: usize = 7;
const E_SCOPE: usize = 8;
const E_CREDIT: usize = 9;
const E_CREDIT_DATE: usize = 10;
const E_CREDIT_SOURCE: usize = 11;
const E_TAGS: usize = 12;
const E_LIC_TYPE: usize = 13;
const E_LIC_NO: usize = 14;
const E_LIC_ISSUER: usize = 15;
const E_LIC_FROM: usize = 16;
const E_LIC_TO: usize = 17;

static ENTITY_COLUMNS: [Column; 18] = [
    col(
        "统一社会信用代码",
        true,
        22.0,
        "18 位统一社会信用代码（GB 32100-2015），会核对校验码；不使用字母 I、O、Z、S、V。同一代码可占多行，每行填写一张许可证。",
    ),
    col("名称", true, 30.0, "主体名称，2–200 个字符。"),
    pick(
        "主体类型",
        false,
        14.0,
        "从下拉列表选择；留空时按信用代码第 2 位推断（91 企业、92 个体工商户、93 农民专业合作社）。",
        entity_types,
    ),
    col(
        "法定代表人",
        false,
        12.0,
        "法定代表人或经营者，最多 64 个字符。",
    ),
    col(
        "住所（经营场所）",
        false,
        36.0,
        "住所或经营场所，最多 255 个字符。",
    ),
    col(
        "行政区划代码",
        true,
        14.0,
        "主体所在的行政区划代码（GB/T 2260），县级 6 位或乡镇级 9 位，如 411121 或 411121100；须为系统中已有的代码且在您的管理范围内。",
    ),
    col(
        "行业代码",
        false,
        10.0,
        "国民经济行业分类代码（GB/T 4754-2017）：2–4 位数字，可带门类字母，如 6210 或 H6210。",
    ),
    pick(
        "登记状态",
        false,
        10.0,
        "从下拉列表选择；留空为“存续”。",
        reg_statuses,
    ),
    col(
        "经营范围",
        false,
        40.0,
        "经营范围，最多 4000 个字符；标签规则会按其中的关键词自动打标签。",
    ),
    pick(
        "信用风险分类",
        false,
        12.0,
        "企业信用风险分类：A 信用风险低、B 一般、C 较高、D 高；留空为未分类。",
        credit_classes,
    ),
    col(
        "分类日期",
        false,
        12.0,
        "信用风险分类的日期，如 2026-03-31（也可写 2026/3/31、20260331）。",
    ),
    col(
        "分类来源",
        false,
        16.0,
        "信用风险分类的来源，最多 64 个字符，如 市场监管部门。",
    ),
    col(
        "标签",
        false,
        16.0,
        "手工标签的标签代码，多个用“、”或逗号分隔；须为系统中已有的标签。按规则自动打的标签不必填写。",
    ),
    col(
        "许可证类型",
        false,
        18.0,
        "许可证名称，2–64 个字符，如 食品经营许可证。一行一张许可证；同一主体有多张时用多行填写。",
    ),
    col(
        "许可证编号",
        false,
        20.0,
        "许可证编号，2–64 个字符；填写许可证时必填。",
    ),
    col("发证机关", false, 20.0, "发证机关，2–128 个字符。"),
    col(
        "许可证有效期起",
        false,
        14.0,
        "有效期起始日，如 2024-01-01。",
    ),
    col(
        "许可证有效期止",
        false,
        14.0,
        "有效期截止日，不得早于起始日。",
    ),
];

static ENTITY_SPEC: SheetSpec = SheetSpec {
    name: ENTITY_SHEET,
    columns: &ENTITY_COLUMNS,
};

const I_CODE: usize = 0;
const I_NAME: usize = 1;
const I_SECTOR: usize = 2;
const I_CATEGORY: usize = 3;
const I_REGION: usize = 4;
const I_LEVEL: usize = 5;
const I_LEAD: usize = 6;
const I_LEAD_DUTIES: usize = 7;
const I_LEAD_BASIS: usize = 8;
const I_COOP: usize = 9;
const I_COOP_DUTIES: usize = 10;
const I_COOP_BASIS: usize = 11;
const I_OBJECTS: usize = 12;
const I_EXPR: usize = 13;
const I_METHODS: usize = 14;
const I_FREQUENCY: usize = 15;

static ITEM_COLUMNS: [Column; 16] = [
    col(
        "事项编码",
        true,
        16.0,
        "2–32 位大写字母、数字或 -，如 WY-2024-01。系统中已有该编码的事项按本行内容更新（已发布的事项生成新版本），内容相同的不作改动。",
    ),
    col("事项名称", true, 30.0, "事项名称，2–128 个字符。"),
    col(
        "监管领域",
        false,
        16.0,
        "系统中已有的监管领域名称，如 食品安全；可留空。",
    ),
    pick(
        "事项类别",
        false,
        10.0,
        "一般或重点；留空为“一般”。",
        categories,
    ),
    col(
        "行政区划代码",
        true,
        14.0,
        "事项所在清单的行政区划代码，如 411121（舞阳县）。",
    ),
    pick("实施层级", true, 10.0, "省级、市级或县级。", levels),
    col(
        "牵头部门",
        true,
        20.0,
        "牵头部门的名称，须为本行行政区划或其上级的在用部门，如 县市场监管局。",
    ),
    col(
        "牵头部门监管职责",
        true,
        30.0,
        "牵头部门的监管职责，2–1000 个字符。",
    ),
    col(
        "牵头部门监管依据",
        true,
        30.0,
        "牵头部门的监管依据（法律法规及条款），2–1000 个字符。",
    ),
    col(
        "配合部门",
        false,
        24.0,
        "配合部门的名称，多个用“、”分隔；规则同牵头部门，且不能与牵头部门相同。",
    ),
    col(
        "配合部门监管职责",
        false,
        30.0,
        "各配合部门职责相同时写一条；不同时按配合部门的顺序每行写一条（单元格内按 Alt+Enter 换行），行数须与配合部门个数相同。",
    ),
    col("配合部门监管依据", false, 30.0, "写法同配合部门监管职责。"),
    col(
        "监管对象",
        true,
        24.0,
        "监管对象的文字描述，2–500 个字符，如 辖区内餐饮服务经营者。",
    ),
    col(
        "对象标签表达式",
        true,
        28.0,
        "选出监管对象的标签表达式，如 餐饮服务 AND region:411121；可用 AND、OR、NOT、括号、region:、type:、credit:，标签须为已有标签。",
    ),
    col(
        "检查方式",
        true,
        18.0,
        "一种或多种，用“、”分隔：现场检查、书面检查、网络监测、检验检测、委托专业机构、非现场检查。",
    ),
    col("默认抽查频次", false, 14.0, "如 每年1次；可留空。"),
];

static ITEM_SPEC: SheetSpec = SheetSpec {
    name: ITEM_SHEET,
    columns: &ITEM_COLUMNS,
};

const P_CODE: usize = 0;
const P_DIMENSION: usize = 1;
const P_CONTENT: usize = 2;
const P_BASIS: usize = 3;

static POINT_COLUMNS: [Column; 4] = [
    col(
        "事项编码",
        true,
        16.0,
        "检查要点所属事项的编码，须在“事项”工作表中。每行一个检查要点，按行的先后排列；导入时以本表为准整体替换该事项的检查要点。",
    ),
    pick(
        "维度",
        true,
        10.0,
        "人员、设备、环境、制度或产品质量。",
        dimensions,
    ),
    col("检查内容", true, 40.0, "检查内容，2–1000 个字符。"),
    col(
        "检查依据",
        true,
        40.0,
        "检查依据（法律法规及条款），2–1000 个字符。",
    ),
];

static POINT_SPEC: SheetSpec = SheetSpec {
    name: POINT_SHEET,
    columns: &POINT_COLUMNS,
};

impl SheetSpec {
    fn header(&self, i: usize) -> String {
        let c = &self.columns[i];
        if c.required {
            format!("{}*", c.name)
        } else {
            c.name.to_string()
        }
    }

    fn column_of(&self, header: &str) -> Option<usize> {
        let h = norm_header(header);
        if h.is_empty() {
            return None;
        }
        self.columns.iter().position(|c| norm_header(c.name) == h)
    }
}

/// Header text as compared: no whitespace anywhere, half-width brackets, no trailing `*`.
fn norm_header(s: &str) -> String {
    let t: String = s
        .chars()
        .filter(|c| !c.is_whitespace())
        .map(|c| match c {
            '（' => '(',
            '）' => ')',
            '＊' => '*',
            c => c,
        })
        .collect();
    t.trim_end_matches('*').to_string()
}

// ---------------------------------------------------------------------------------------------
// Reading
// ---------------------------------------------------------------------------------------------

/// One sheet as read: the columns of its spec that it has, and its non-empty data rows.
struct Table {
    spec: &'static SheetSpec,
    /// The sheet's name as the file spells it.
    sheet: String,
    /// Absolute 0-based column of each spec column, if present.
    cols: Vec<Option<u32>>,
    rows: Vec<Row>,
}

struct Row {
    /// 1-based, as Excel shows it.
    number: u32,
    /// Cell text by spec column (empty when absent).
    cells: Vec<String>,
}

/// A problem found, before it is named for the user.
#[derive(Debug, Clone)]
struct Problem {
    /// Index into the tables of the import (0 for entities and items, 1 for check points).
    table: usize,
    /// Index into that table's rows.
    row: usize,
    /// Spec column, if the problem is in one cell.
    col: Option<usize>,
    code: String,
    zh: String,
    en: String,
}

impl Problem {
    fn new(table: usize, row: usize, col: Option<usize>, e: Invalid) -> Self {
        Self {
            table,
            row,
            col,
            code: e.code.into(),
            zh: e.zh,
            en: e.en,
        }
    }

    fn field(table: usize, row: usize, col: Option<usize>, f: FieldError) -> Self {
        Self {
            table,
            row,
            col,
            code: f.code,
            zh: f.message,
            en: f.message_en,
        }
    }
}

fn open(bytes: &[u8]) -> Result<Xlsx<Cursor<&[u8]>>, FileError> {
    bounded::open(bytes, &UPLOAD_LIMITS)
}

fn read_table(wb: &mut Xlsx<Cursor<&[u8]>>, spec: &'static SheetSpec) -> Result<Table, FileError> {
    let names = wb.sheet_names();
    let Some(sheet) = names.iter().find(|n| n.trim() == spec.name).cloned() else {
        return Err(FileError::MissingSheet {
            expected: spec.name.into(),
            found: names,
        });
    };
    let cells = bounded::read_cells(wb, &sheet, &UPLOAD_LIMITS)?;
    let (r0, _) = cells.start();
    // The header row: the first of the top ten rows that names a column (a title row may
    // precede it).
    let header = cells
        .rows
        .range(r0..r0.saturating_add(10))
        .find(|(_, r)| {
            r.iter()
                .any(|(_, c)| spec.column_of(&cell_text(c)).is_some())
        })
        .map(|(&h, _)| h);
    let mut cols: Vec<Option<u32>> = vec![None; spec.columns.len()];
    let mut duplicates = Vec::new();
    if let Some(h) = header {
        for (j, c) in &cells.rows[&h] {
            if let Some(k) = spec.column_of(&cell_text(c)) {
                if cols[k].is_some() {
                    duplicates.push(spec.columns[k].name.to_string());
                } else {
                    cols[k] = Some(*j);
                }
            }
        }
    }
    if !duplicates.is_empty() {
        return Err(FileError::DuplicateColumns {
            sheet,
            columns: duplicates,
        });
    }
    let missing: Vec<String> = spec
        .columns
        .iter()
        .zip(&cols)
        .filter(|(c, at)| c.required && at.is_none())
        .map(|(c, _)| c.name.to_string())
        .collect();
    if !missing.is_empty() {
        return Err(FileError::MissingColumns {
            sheet,
            columns: missing,
        });
    }
    let h = header.expect("a spec has required columns");
    let mut out = Vec::new();
    for (&r, row) in cells.rows.range(h + 1..) {
        let texts: Vec<String> = cols
            .iter()
            .map(|c| {
                c.and_then(|abs| row.binary_search_by_key(&abs, |(j, _)| *j).ok())
                    .map(|k| cell_text(&row[k].1))
                    .unwrap_or_default()
            })
            .collect();
        if texts.iter().all(String::is_empty) {
            continue;
        }
        out.push(Row {
            number: r + 1,
            cells: texts,
        });
    }
    Ok(Table {
        spec,
        sheet,
        cols,
        rows: out,
    })
}

/// A cell as text: numbers without a spurious `.0`, dates as 2026-03-31.
fn cell_text(d: &Data) -> String {
    match d {
        Data::Empty => String::new(),
        Data::String(s) => s.trim().to_string(),
        Data::Int(i) => i.to_string(),
        Data::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{}", *f as i64),
        Data::Float(f) => f.to_string(),
        Data::Bool(b) => if *b { "TRUE" } else { "FALSE" }.to_string(),
        Data::DateTime(dt) if dt.is_datetime() => {
            let (y, m, d, hh, mm, ss, _) = dt.to_ymd_hms_milli();
            if (hh, mm, ss) == (0, 0, 0) {
                format!("{y:04}-{m:02}-{d:02}")
            } else {
                format!("{y:04}-{m:02}-{d:02} {hh:02}:{mm:02}:{ss:02}")
            }
        }
        Data::DateTime(dt) => dt.as_f64().to_string(),
        Data::DateTimeIso(s) => s.strip_suffix("T00:00:00").unwrap_or(s).to_string(),
        Data::DurationIso(s) => s.clone(),
        Data::Error(e) => e.to_string(),
    }
}

/// `0` → `A`, `25` → `Z`, `26` → `AA`.
fn column_letter(col: u32) -> String {
    let mut n = col + 1;
    let mut out = Vec::new();
    while n > 0 {
        out.push(b'A' + ((n - 1) % 26) as u8);
        n = (n - 1) / 26;
    }
    out.reverse();
    String::from_utf8(out).expect("ASCII")
}

fn cell_errors(tables: &[&Table], problems: &[Problem]) -> Vec<CellError> {
    let mut ps: Vec<&Problem> = problems.iter().collect();
    ps.sort_by_key(|p| (p.table, p.row, p.col.unwrap_or(usize::MAX)));
    ps.iter()
        .map(|p| {
            let t = tables[p.table];
            let row = &t.rows[p.row];
            CellError {
                sheet: t.sheet.clone(),
                row: row.number,
                column: p
                    .col
                    .map(|c| t.spec.columns[c].name.to_string())
                    .unwrap_or_default(),
                column_letter: p
                    .col
                    .and_then(|c| t.cols[c])
                    .map(column_letter)
                    .unwrap_or_default(),
                value: p.col.map(|c| row.cells[c].clone()).unwrap_or_default(),
                code: p.code.clone(),
                reason: p.zh.clone(),
                reason_en: p.en.clone(),
            }
        })
        .collect()
}

// ---------------------------------------------------------------------------------------------
// Writing
// ---------------------------------------------------------------------------------------------

/// A sheet in the layout of `spec`: headers with notes, text columns, drop-down lists, and
/// `rows` below. Cells of `marked` (row index, column) get a red background.
fn write_spec_sheet(
    wb: &mut Workbook,
    spec: &SheetSpec,
    name: &str,
    rows: &[Vec<String>],
    extra: &[&str],
    marked: &HashSet<(usize, usize)>,
) -> Result<(), XlsxError> {
    let ws = wb.add_worksheet();
    ws.set_name(name)?;
    let text = text_format();
    let bad = text_format().set_background_color(Color::RGB(0xFFC7CE));
    for (j, c) in spec.columns.iter().enumerate() {
        let j16 = j as u16;
        ws.set_column_width(j16, c.width)?;
        ws.set_column_format(j16, &text)?;
        ws.write_string_with_format(0, j16, spec.header(j), &header_format(c.required))?;
        let mut help = c.help.to_string();
        if c.required {
            help.push_str("（必填）");
        }
        ws.insert_note(
            0,
            j16,
            &Note::new(help)
                .set_author("联监")
                .add_author_prefix(false)
                .set_width(320)
                .set_height(120),
        )?;
        let choices = (c.choices)();
        if !choices.is_empty() {
            let v = DataValidation::new()
                .allow_list_strings(&choices)?
                .set_error_title("取值无效")?
                .set_error_message(format!("请从下拉列表中选择：{}", choices.join("、")))?;
            ws.add_data_validation(1, j16, MAX_DATA_ROWS as u32, j16, &v)?;
        }
    }
    for (k, h) in extra.iter().enumerate() {
        let j = (spec.columns.len() + k) as u16;
        ws.write_string_with_format(0, j, *h, &header_format(false))?;
        ws.set_column_width(j, if *h == REASON_COLUMN { 60.0 } else { 8.0 })?;
    }
    ws.set_row_height(0, 30)?;
    ws.set_freeze_panes(1, 0)?;
    for (i, r) in rows.iter().enumerate() {
        let ri = (i + 1) as u32;
        for (j, v) in r.iter().enumerate() {
            if v.is_empty() && !marked.contains(&(i, j)) {
                continue;
            }
            let f = if marked.contains(&(i, j)) {
                &bad
            } else {
                &text
            };
            ws.write_string_with_format(ri, j as u16, clip(v), f)?;
        }
    }
    Ok(())
}

fn write_instructions(
    wb: &mut Workbook,
    title: &str,
    notes: &[&str],
    specs: &[&SheetSpec],
) -> Result<(), XlsxError> {
    let ws = wb.add_worksheet();
    ws.set_name(INSTRUCTIONS_SHEET)?;
    let bold = Format::new().set_bold();
    let wrap = Format::new().set_text_wrap();
    ws.set_column_width(0, 22)?;
    ws.set_column_width(1, 8)?;
    ws.set_column_width(2, 80)?;
    ws.set_column_width(3, 40)?;
    ws.write_string_with_format(0, 0, title, &Format::new().set_bold().set_font_size(14))?;
    let mut r = 2u32;
    for n in notes {
        ws.merge_range(r, 0, r, 3, n, &wrap)?;
        ws.set_row_height(r, 36)?;
        r += 1;
    }
    for spec in specs {
        r += 1;
        ws.write_string_with_format(r, 0, format!("工作表“{}”的列", spec.name), &bold)?;
        r += 1;
        for (j, h) in ["列名", "必填", "说明", "可选值"].iter().enumerate() {
            ws.write_string_with_format(r, j as u16, *h, &header_format(false))?;
        }
        r += 1;
        for c in spec.columns {
            ws.write_string(r, 0, c.name)?;
            ws.write_string(r, 1, if c.required { "是" } else { "" })?;
            ws.write_string_with_format(r, 2, c.help, &wrap)?;
            ws.write_string_with_format(r, 3, (c.choices)().join("、"), &wrap)?;
            r += 1;
        }
    }
    Ok(())
}

const ENTITY_NOTES: &[&str] = &[
    "1. 在“监管对象”工作表中填写，第 1 行是表头：表头文字须与模板一致（可调整列的顺序，可删去非必填列，多出的列会被忽略）；带 * 的列必填。",
    "2. 一行一张许可证。同一主体有多张许可证时，用多行填写，统一社会信用代码相同；后续行的其他主体信息列可以留空，填写时须与该主体的第一行相同。没有许可证的主体填一行，许可证各列留空。",
    "3. 按统一社会信用代码更新：系统中已有的主体按文件内容更新，许可证以文件为准整体替换，标签只增不减；内容完全相同的不作改动，同一文件重复导入不会产生变化。新主体会自动推送给主管部门认领（双告知）。",
    "4. 统一社会信用代码、行政区划代码、行业代码请保持文本格式（模板已设置），以免 Excel 去掉前导零或改写为科学计数法。日期写作 2026-03-31。",
    "5. 导入前会逐行检查，错误会指明工作表、行号、列和取值。默认有错误时全部不导入；选择“跳过错误行”时只导入正确的主体，并生成一份错误报告（含原值和“错误原因”列），改正后可直接再次导入。",
];

const ITEM_NOTES: &[&str] = &[
    "1. “事项”工作表一行一个事项；“检查要点”工作表一行一个检查要点，用事项编码对应到事项。第 1 行是表头，表头文字须与模板一致（可调整列的顺序），带 * 的列必填。",
    "2. 部门填写名称，须为事项所在行政区划或其上级行政区划的在用部门；多个配合部门用“、”分隔。各配合部门职责、依据不同时，在单元格内每行写一条（Alt+Enter 换行），顺序与配合部门相同。",
    "3. 按事项编码更新：系统中已有的事项按文件内容更新（已发布的事项生成新版本，变更说明为“Excel 导入更新”），检查要点以文件为准整体替换；内容完全相同的不作改动。新事项为草稿，发布后生效。",
    "4. 导入前会逐行检查，错误会指明工作表、行号、列和取值。默认有错误时全部不导入；选择“跳过错误行”时只导入正确的事项，并生成一份错误报告，改正后可直接再次导入。",
];

fn entity_workbook(rows: &[Vec<String>]) -> Result<Vec<u8>, XlsxError> {
    let mut wb = Workbook::new();
    write_spec_sheet(
        &mut wb,
        &ENTITY_SPEC,
        ENTITY_SHEET,
        rows,
        &[],
        &HashSet::new(),
    )?;
    write_instructions(
        &mut wb,
        "监管对象名录导入模板 · 填写说明",
        ENTITY_NOTES,
        &[&ENTITY_SPEC],
    )?;
    wb.save_to_buffer()
}

fn item_workbook(items: &[Vec<String>], points: &[Vec<String>]) -> Result<Vec<u8>, XlsxError> {
    let mut wb = Workbook::new();
    write_spec_sheet(&mut wb, &ITEM_SPEC, ITEM_SHEET, items, &[], &HashSet::new())?;
    write_spec_sheet(
        &mut wb,
        &POINT_SPEC,
        POINT_SHEET,
        points,
        &[],
        &HashSet::new(),
    )?;
    write_instructions(
        &mut wb,
        "监管事项清单导入模板 · 填写说明",
        ITEM_NOTES,
        &[&ITEM_SPEC, &POINT_SPEC],
    )?;
    wb.save_to_buffer()
}

/// The empty import template of the directory: sheet 监管对象 and 填写说明.
pub fn entity_template() -> Vec<u8> {
    entity_workbook(&[]).expect("the template is well-formed")
}

/// The empty import template of the item list: sheets 事项, 检查要点 and 填写说明.
pub fn item_template() -> Vec<u8> {
    item_workbook(&[], &[]).expect("the template is well-formed")
}

/// An error report: for each sheet, the failed rows with their original values, the cells at
/// fault in red, then 错误原因 and 原行号. The sheets keep the import layout, so the report can
/// be corrected and imported again.
fn error_workbook(
    tables: &[&Table],
    problems: &[Problem],
    failed_rows: &[Vec<usize>],
    other_rows_reason: &dyn Fn(usize, usize) -> String,
) -> Vec<u8> {
    let mut by_row: HashMap<(usize, usize), Vec<&Problem>> = HashMap::new();
    for p in problems {
        by_row.entry((p.table, p.row)).or_default().push(p);
    }
    let build = || -> Result<Vec<u8>, XlsxError> {
        let mut wb = Workbook::new();
        for (ti, t) in tables.iter().enumerate() {
            let mut rows_idx: Vec<usize> = failed_rows[ti].clone();
            rows_idx.sort_unstable();
            rows_idx.dedup();
            let mut rows = Vec::with_capacity(rows_idx.len());
            let mut marked = HashSet::new();
            for (out_i, &ri) in rows_idx.iter().enumerate() {
                let row = &t.rows[ri];
                let mine: &[&Problem] = by_row.get(&(ti, ri)).map_or(&[], Vec::as_slice);
                let reason = if mine.is_empty() {
                    other_rows_reason(ti, ri)
                } else {
                    mine.iter()
                        .map(|p| match p.col {
                            Some(c) => {
                                marked.insert((out_i, c));
                                format!("{}：{}", t.spec.columns[c].name, p.zh)
                            }
                            None => p.zh.clone(),
                        })
                        .collect::<Vec<_>>()
                        .join("；")
                };
                let mut cells = row.cells.clone();
                cells.push(reason);
                cells.push(row.number.to_string());
                rows.push(cells);
            }
            write_spec_sheet(
                &mut wb,
                t.spec,
                &t.sheet,
                &rows,
                &[REASON_COLUMN, ROW_COLUMN],
                &marked,
            )?;
        }
        wb.save_to_buffer()
    };
    build().expect("error reports are well-formed")
}

fn too_many(sheet: &str, rows: usize) -> Result<()> {
    if rows > MAX_DATA_ROWS {
        return Err(FileError::TooManyRows {
            sheet: sheet.into(),
            rows,
        }
        .into());
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Entities
// ---------------------------------------------------------------------------------------------

/// One entity of a sheet: its first row and any further rows with the same credit code.
struct EntityRecord {
    input: EntityInput,
    /// Indices into the table's rows, the first one first.
    rows: Vec<usize>,
    /// The row (index) each of `input.licences` came from.
    licence_rows: Vec<usize>,
}

/// Credit codes as grouping keys: what `Usci::parse` would make of them.
fn usci_key(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
            _ => c,
        })
        .filter(|c| !c.is_whitespace())
        .collect::<String>()
        .to_ascii_uppercase()
}

fn licence_of(cells: &[String]) -> Option<[String; 5]> {
    let l = [E_LIC_TYPE, E_LIC_NO, E_LIC_ISSUER, E_LIC_FROM, E_LIC_TO].map(|c| cells[c].clone());
    if l.iter().all(String::is_empty) {
        None
    } else {
        Some(l)
    }
}

fn group_entities(t: &Table, problems: &mut Vec<Problem>) -> Vec<EntityRecord> {
    let mut out: Vec<EntityRecord> = Vec::new();
    let mut by_code: HashMap<String, usize> = HashMap::new();
    for (ri, row) in t.rows.iter().enumerate() {
        let c = &row.cells;
        let key = usci_key(&c[E_USCI]);
        match by_code.get(&key).copied().filter(|_| !key.is_empty()) {
            None => {
                let mut rec = EntityRecord {
                    input: EntityInput {
                        usci: c[E_USCI].clone(),
                        name: c[E_NAME].clone(),
                        entity_type: c[E_TYPE].clone(),
                        legal_rep: c[E_REP].clone(),
                        address: c[E_ADDRESS].clone(),
                        region_code: c[E_REGION].clone(),
                        industry_code: c[E_INDUSTRY].clone(),
                        reg_status: c[E_STATUS].clone(),
                        business_scope: c[E_SCOPE].clone(),
                        credit_class: c[E_CREDIT].clone(),
                        credit_date: c[E_CREDIT_DATE].clone(),
                        credit_source: c[E_CREDIT_SOURCE].clone(),
                        licences: Vec::new(),
                        tags: c[E_TAGS].clone(),
                    },
                    rows: vec![ri],
                    licence_rows: Vec::new(),
                };
                if let Some(l) = licence_of(c) {
                    rec.input.licences.push(l);
                    rec.licence_rows.push(ri);
                }
                if !key.is_empty() {
                    by_code.insert(key, out.len());
                }
                out.push(rec);
            }
            Some(k) => {
                let rec = &mut out[k];
                let first = &t.rows[rec.rows[0]];
                for (col, v) in c.iter().enumerate().take(E_TAGS + 1).skip(E_NAME) {
                    if !v.is_empty() && *v != first.cells[col] {
                        let n = first.number;
                        problems.push(Problem::new(
                            0,
                            ri,
                            Some(col),
                            Invalid::new(
                                "inconsistent_row",
                                format!("与同一统一社会信用代码的第 {n} 行不一致（第 {n} 行为“{}”）；后续行的主体信息请留空或与第一行相同", first.cells[col]),
                                format!("differs from row {n} of the same credit code ('{}'); leave entity columns of later rows blank or equal to the first", first.cells[col]),
                            ),
                        ));
                    }
                }
                rec.rows.push(ri);
                if let Some(l) = licence_of(c) {
                    rec.input.licences.push(l);
                    rec.licence_rows.push(ri);
                }
            }
        }
    }
    out
}

fn entity_column(field: &str) -> Option<usize> {
    Some(match field {
        "usci" => E_USCI,
        "name" => E_NAME,
        "entity_type" => E_TYPE,
        "legal_rep" => E_REP,
        "address" => E_ADDRESS,
        "region_code" => E_REGION,
        "industry_code" => E_INDUSTRY,
        "reg_status" => E_STATUS,
        "business_scope" => E_SCOPE,
        "credit_class" => E_CREDIT,
        "credit_date" => E_CREDIT_DATE,
        "credit_source" => E_CREDIT_SOURCE,
        "tags" => E_TAGS,
        _ => return None,
    })
}

/// Which licence column a licence's error is about: the first one that does not parse alone.
fn licence_column(l: &[String; 5]) -> usize {
    if bounded_text(&l[0], 2, 64, "", "").is_err() {
        E_LIC_TYPE
    } else if bounded_text(&l[1], 2, 64, "", "").is_err() {
        E_LIC_NO
    } else if !l[2].trim().is_empty() && bounded_text(&l[2], 2, 128, "", "").is_err() {
        E_LIC_ISSUER
    } else if loose_date(&l[3]).is_err() {
        E_LIC_FROM
    } else {
        E_LIC_TO
    }
}

/// Reads the directory sheet: each entity with the row it starts on (its later rows only add
/// licences), and the problems visible without the database (rows of one credit code that
/// disagree). Field values are checked on import.
pub fn read_entities(bytes: &[u8]) -> Result<ReadRows<EntityInput>, FileError> {
    let t = read_table(&mut open(bytes)?, &ENTITY_SPEC)?;
    let mut problems = Vec::new();
    let recs = group_entities(&t, &mut problems);
    let errors = cell_errors(&[&t], &problems);
    Ok((
        recs.into_iter()
            .map(|r| (t.rows[r.rows[0]].number, r.input))
            .collect(),
        errors,
    ))
}

fn ensure_directory_editor(actor: &Actor) -> Result<()> {
    if matches!(
        actor.role,
        Role::SystemAdmin | Role::CoordinationOffice | Role::DepartmentAdmin
    ) {
        Ok(())
    } else {
        Err(ServiceError::Forbidden)
    }
}

/// Imports a directory sheet as an import job ([`jobs`]): every entity is checked first
/// ([`check_entities`]); then either nothing is imported (some row is invalid, `skip_invalid`
/// off) or the valid entities are written in short transactions ([`jobs::write_entities`]),
/// completed or undone as a whole.
pub async fn import_entities(
    svc: &Services,
    actor: &Actor,
    bytes: &[u8],
    skip_invalid: bool,
    progress: &(dyn Fn(Progress) + Sync),
) -> Result<ImportOutcome> {
    let checked = check_entities(svc, actor, "", bytes, skip_invalid, progress).await?;
    let (_, outcome) =
        jobs::write_entities(svc, actor, checked, &jobs::JobOptions::default(), progress).await?;
    Ok(outcome)
}

/// A directory file that was checked under an import job and is ready to be written.
pub struct CheckedEntities {
    pub job: jobs::ImportJob,
    /// The entities to write (empty when the file was refused).
    pub(crate) valid: Vec<directory::ParsedEntity>,
    /// The problems found, the entities skipped and the error report; `report` is filled in by
    /// the writing.
    pub outcome: ImportOutcome,
}

/// Checks a directory sheet under a new import job (status 校验中): every row against the
/// vocabulary and the actor's region, and every credit code already in the directory against
/// the actor's region too, without writing anything. A file that cannot be read fails the job
/// and is the error; a file with problems and no `skip_invalid` fails the job and comes back
/// with its errors and nothing to write.
pub async fn check_entities(
    svc: &Services,
    actor: &Actor,
    file_name: &str,
    bytes: &[u8],
    skip_invalid: bool,
    progress: &(dyn Fn(Progress) + Sync),
) -> Result<CheckedEntities> {
    ensure_directory_editor(actor)?;
    let mut job = jobs::start(svc, actor, "entities", file_name).await?;
    match check_entity_rows(svc, actor, bytes, skip_invalid, progress).await {
        Ok((valid, outcome)) => {
            job.total = valid.len() as u64 + outcome.skipped;
            job.valid = valid.len() as u64;
            job.skipped = outcome.skipped;
            job.errors = outcome.errors.len() as u64;
            if !outcome.errors.is_empty() && !skip_invalid {
                job.total = outcome.skipped;
                jobs::fail(
                    svc,
                    &mut job,
                    format!(
                        "文件有 {} 处错误，未导入任何数据 ({} errors; nothing imported)",
                        outcome.errors.len(),
                        outcome.errors.len()
                    ),
                )
                .await?;
                return Ok(CheckedEntities {
                    job,
                    valid: Vec::new(),
                    outcome,
                });
            }
            Ok(CheckedEntities {
                job,
                valid,
                outcome,
            })
        }
        Err(e) => {
            let why = match &e {
                ServiceError::Invalid(f) => f
                    .iter()
                    .map(|f| f.message.clone())
                    .collect::<Vec<_>>()
                    .join("；"),
                other => other.to_string(),
            };
            jobs::fail(svc, &mut job, why).await?;
            Err(e)
        }
    }
}

/// The checking of [`check_entities`]: the valid entities, and the outcome so far.
async fn check_entity_rows(
    svc: &Services,
    actor: &Actor,
    bytes: &[u8],
    skip_invalid: bool,
    progress: &(dyn Fn(Progress) + Sync),
) -> Result<(Vec<directory::ParsedEntity>, ImportOutcome)> {
    let t = read_table(&mut open(bytes)?, &ENTITY_SPEC)?;
    let mut problems = Vec::new();
    let recs = group_entities(&t, &mut problems);
    let vocab = Vocabulary::load(svc).await?;
    let scope = actor.full_scope().region;
    let total = recs.len() as u64;
    let mut bad_rows: HashSet<usize> = problems.iter().map(|p| p.row).collect();
    let mut parsed: Vec<(usize, directory::ParsedEntity)> = Vec::with_capacity(recs.len());
    let mut failed: Vec<usize> = Vec::new();
    progress(Progress {
        phase: Phase::Checking,
        done: 0,
        total,
    });
    for (i, rec) in recs.iter().enumerate() {
        let first = rec.rows[0];
        match directory::parse_entity(&rec.input, &vocab) {
            Ok(p) => {
                if let Some(s) = &scope
                    && !p.entity.region_code.is_within(s)
                {
                    let r = &p.entity.region_code;
                    problems.push(Problem::new(
                        0,
                        first,
                        Some(E_REGION),
                        Invalid::new(
                            "outside_scope",
                            format!("行政区划“{r}”不在您的管理范围内"),
                            format!("region {r} is outside your scope"),
                        ),
                    ));
                } else {
                    parsed.push((i, p));
                }
            }
            Err(fields) => {
                for f in fields {
                    let (row, col) = match f
                        .field
                        .strip_prefix("licences[")
                        .and_then(|s| s.strip_suffix(']'))
                        .and_then(|n| n.parse::<usize>().ok())
                    {
                        Some(n) if n < rec.licence_rows.len() => (
                            rec.licence_rows[n],
                            Some(licence_column(&rec.input.licences[n])),
                        ),
                        _ => (first, entity_column(&f.field)),
                    };
                    problems.push(Problem::field(0, row, col, f));
                }
            }
        }
        if (i + 1) % 1000 == 0 || i + 1 == recs.len() {
            progress(Progress {
                phase: Phase::Checking,
                done: i as u64 + 1,
                total,
            });
        }
    }
    // Credit codes already in the directory must be registered in the actor's region: found
    // now, before anything is written, rather than by the chunk that meets them.
    if scope.is_some() {
        for part in parsed.chunks(2000) {
            let uscis: Vec<String> = part.iter().map(|(_, p)| p.entity.usci.clone()).collect();
            let existing = entity_repo::by_uscis(svc.store.conn(), &uscis).await?;
            for (i, p) in part {
                if let Some(old) = existing.get(&p.entity.usci)
                    && let Some(why) = directory::registered_elsewhere(actor, old)
                {
                    problems.push(Problem::new(0, recs[*i].rows[0], Some(E_USCI), why));
                }
            }
        }
    }
    // A record is valid when none of its rows has a problem.
    bad_rows.extend(problems.iter().map(|p| p.row));
    let mut valid = Vec::with_capacity(parsed.len());
    let mut parsed = parsed.into_iter().peekable();
    for (i, rec) in recs.iter().enumerate() {
        let p = parsed.next_if(|(j, _)| *j == i).map(|(_, p)| p);
        if rec.rows.iter().any(|r| bad_rows.contains(r)) {
            failed.push(i);
        } else if let Some(p) = p {
            valid.push(p);
        }
    }
    let errors = cell_errors(&[&t], &problems);
    let mut outcome = ImportOutcome {
        skipped: failed.len() as u64,
        errors,
        ..Default::default()
    };
    if !outcome.errors.is_empty() && !skip_invalid {
        outcome.skipped = total;
        return Ok((Vec::new(), outcome));
    }
    if !outcome.errors.is_empty() {
        let failed_rows: Vec<usize> = failed
            .iter()
            .flat_map(|&i| recs[i].rows.iter().copied())
            .collect();
        let problem_rows: HashSet<usize> = problems.iter().map(|p| p.row).collect();
        let bad_numbers: HashMap<usize, Vec<u32>> = failed
            .iter()
            .flat_map(|&i| {
                let nums: Vec<u32> = recs[i]
                    .rows
                    .iter()
                    .filter(|r| problem_rows.contains(r))
                    .map(|r| t.rows[*r].number)
                    .collect();
                recs[i]
                    .rows
                    .iter()
                    .map(move |&r| (r, nums.clone()))
                    .collect::<Vec<_>>()
            })
            .collect();
        let why = |_: usize, row: usize| {
            let nums: Vec<String> = bad_numbers
                .get(&row)
                .map(|v| v.iter().map(|n| n.to_string()).collect())
                .unwrap_or_default();
            format!(
                "同一统一社会信用代码的第 {} 行有错误，本行一并未导入",
                nums.join("、")
            )
        };
        outcome.error_report = Some(error_workbook(&[&t], &problems, &[failed_rows], &why));
    }
    Ok((valid, outcome))
}

/// The entities a search selects, in the import layout (one row per licence), sorted by
/// credit code. Tags set by rules are left out: importing the file back sets them again.
pub async fn export_entities(
    svc: &Services,
    actor: &Actor,
    search: &SearchInput,
) -> Result<Vec<u8>> {
    let c = svc.store.conn();
    let codes: HashMap<Uuid, String> = tag_repo::all(c)
        .await?
        .into_iter()
        .map(|t| (t.id, t.code))
        .collect();
    let mut input = search.clone();
    input.sort = "usci".into();
    let mut rows: Vec<Vec<String>> = Vec::new();
    let mut page = 1;
    loop {
        let p = directory::search(
            svc,
            actor,
            &input,
            PageRequest::new(Some(page), Some(PageRequest::MAX_PER_PAGE)),
        )
        .await?;
        let ids: Vec<Uuid> = p.items.iter().map(|e| e.id).collect();
        let mut licences_of = entity_repo::licences_of_many(c, &ids).await?;
        let tags_of = entity_repo::tags_of_many(c, &ids).await?;
        for e in &p.items {
            let licences = licences_of.remove(&e.id).unwrap_or_default();
            let mut tags: Vec<&str> = tags_of
                .get(&e.id)
                .into_iter()
                .flatten()
                .filter(|(_, s)| *s != TagSource::Rule)
                .filter_map(|(t, _)| codes.get(t).map(String::as_str))
                .collect();
            tags.sort_unstable();
            let opt = |s: &Option<String>| s.clone().unwrap_or_default();
            let date = |d: Option<chrono::NaiveDate>| d.map(|d| d.to_string()).unwrap_or_default();
            let base = vec![
                e.usci.clone(),
                e.name.clone(),
                e.entity_type.label_zh().to_string(),
                opt(&e.legal_rep),
                opt(&e.address),
                e.region_code.to_string(),
                opt(&e.industry_code),
                e.reg_status.label_zh().to_string(),
                opt(&e.business_scope),
                e.credit_class
                    .map(|cc| cc.as_str().to_string())
                    .unwrap_or_default(),
                date(e.credit_date),
                opt(&e.credit_source),
                tags.join("、"),
            ];
            if licences.is_empty() {
                let mut r = base.clone();
                r.extend(std::iter::repeat_n(String::new(), 5));
                rows.push(r);
            }
            for l in licences {
                let mut r = base.clone();
                r.extend([
                    l.licence_type,
                    l.number,
                    opt(&l.issuer),
                    date(l.valid_from),
                    date(l.valid_to),
                ]);
                rows.push(r);
            }
        }
        too_many(ENTITY_SHEET, rows.len())?;
        // Not `p.pages()`: a search's total may be capped.
        if (p.items.len() as u64) < p.per_page {
            break;
        }
        page += 1;
    }
    Ok(entity_workbook(&rows).expect("export rows are well-formed"))
}

// ---------------------------------------------------------------------------------------------
// Items
// ---------------------------------------------------------------------------------------------

/// One item of the 事项 sheet with its check points from the 检查要点 sheet.
struct ItemRecord {
    /// Department ids hold the department names as written until they are resolved.
    input: ItemInput,
    /// Index into the 事项 table's rows.
    row: usize,
    /// Indices into the 检查要点 table's rows, one per `input.check_points`.
    point_rows: Vec<usize>,
}

fn split_names(s: &str) -> Vec<String> {
    s.split(['、', ',', '，', ';', '；', '\n'])
        .map(str::trim)
        .filter(|n| !n.is_empty())
        .map(String::from)
        .collect()
}

/// The cooperating departments' duties (or bases): one line each, or one line for all.
fn split_parts(text: &str, n: usize) -> Option<Vec<String>> {
    if n <= 1 {
        return Some(vec![text.trim().to_string(); n]);
    }
    let lines: Vec<String> = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(String::from)
        .collect();
    match lines.len() {
        0 | 1 => Some(vec![text.trim().to_string(); n]),
        k if k == n => Some(lines),
        _ => None,
    }
}

fn group_items(items: &Table, points: &Table, problems: &mut Vec<Problem>) -> Vec<ItemRecord> {
    let mut out: Vec<ItemRecord> = Vec::new();
    let mut by_code: HashMap<String, usize> = HashMap::new();
    for (ri, row) in items.rows.iter().enumerate() {
        let c = &row.cells;
        let names = split_names(&c[I_COOP]);
        let mut coop: Vec<DepartmentPart> = names
            .iter()
            .map(|n| DepartmentPart {
                department_id: n.clone(),
                ..Default::default()
            })
            .collect();
        for (col, what_zh, what_en) in [
            (I_COOP_DUTIES, "监管职责", "duties"),
            (I_COOP_BASIS, "监管依据", "legal bases"),
        ] {
            match split_parts(&c[col], names.len()) {
                Some(parts) => {
                    for (p, text) in coop.iter_mut().zip(parts) {
                        if col == I_COOP_DUTIES { p.duties = text } else { p.legal_basis = text }
                    }
                }
                None => problems.push(Problem::new(
                    0,
                    ri,
                    Some(col),
                    Invalid::new(
                        "part_count",
                        format!("配合部门有 {} 个，{what_zh}却有 {} 行：请每个配合部门写一行，或只写一行供全部配合部门共用", names.len(), c[col].lines().filter(|l| !l.trim().is_empty()).count()),
                        format!("{} cooperating departments but {} lines of {what_en}: one line per department, or one for all", names.len(), c[col].lines().filter(|l| !l.trim().is_empty()).count()),
                    ),
                )),
            }
            if names.is_empty() && !c[col].is_empty() {
                problems.push(Problem::new(
                    0,
                    ri,
                    Some(col),
                    Invalid::new(
                        "no_department",
                        format!("未填写配合部门，却填写了配合部门{what_zh}"),
                        format!("cooperating {what_en} without cooperating departments"),
                    ),
                ));
            }
        }
        let input = ItemInput {
            code: c[I_CODE].clone(),
            name: c[I_NAME].clone(),
            sector: c[I_SECTOR].clone(),
            category: c[I_CATEGORY].clone(),
            region_code: c[I_REGION].clone(),
            implementation_level: c[I_LEVEL].clone(),
            lead: DepartmentPart {
                department_id: c[I_LEAD].clone(),
                duties: c[I_LEAD_DUTIES].clone(),
                legal_basis: c[I_LEAD_BASIS].clone(),
            },
            cooperating: coop,
            object_description: c[I_OBJECTS].clone(),
            object_expr: c[I_EXPR].clone(),
            methods: c[I_METHODS].clone(),
            default_frequency: c[I_FREQUENCY].clone(),
            check_points: Vec::new(),
        };
        let key = c[I_CODE].trim().to_ascii_uppercase();
        if let Some(&k) = by_code.get(&key).filter(|_| !key.is_empty()) {
            let n = items.rows[out[k].row].number;
            problems.push(Problem::new(
                0,
                ri,
                Some(I_CODE),
                Invalid::new(
                    "duplicate_code",
                    format!("事项编码与第 {n} 行重复"),
                    format!("item code repeats row {n}"),
                ),
            ));
        } else if !key.is_empty() {
            by_code.insert(key, out.len());
        }
        out.push(ItemRecord {
            input,
            row: ri,
            point_rows: Vec::new(),
        });
    }
    for (pi, row) in points.rows.iter().enumerate() {
        let c = &row.cells;
        let key = c[P_CODE].trim().to_ascii_uppercase();
        match by_code.get(&key) {
            Some(&k) => {
                out[k].input.check_points.push([
                    c[P_DIMENSION].clone(),
                    c[P_CONTENT].clone(),
                    c[P_BASIS].clone(),
                ]);
                out[k].point_rows.push(pi);
            }
            None => problems.push(Problem::new(
                1,
                pi,
                Some(P_CODE),
                if key.is_empty() {
                    Invalid::new("required", "事项编码不能为空", "item code is required")
                } else {
                    Invalid::new(
                        "unknown_item",
                        format!("事项编码“{}”不在“事项”工作表中", c[P_CODE]),
                        format!("item code '{}' is not on the 事项 sheet", c[P_CODE]),
                    )
                },
            )),
        }
    }
    out
}

fn read_item_tables(bytes: &[u8]) -> Result<(Table, Table), FileError> {
    let mut wb = open(bytes)?;
    let items = read_table(&mut wb, &ITEM_SPEC)?;
    let points = read_table(&mut wb, &POINT_SPEC)?;
    Ok((items, points))
}

/// Reads the item sheets: each item with its row on 事项 and its check points from 检查要点.
/// Department fields (`lead.department_id`, `cooperating[i].department_id`) hold the
/// department *names* as written; `import_items` resolves them. Problems visible without the
/// database (repeated codes, check points of unknown items, mismatched duty lines) are returned.
pub fn read_items(bytes: &[u8]) -> Result<ReadRows<ItemInput>, FileError> {
    let (items, points) = read_item_tables(bytes)?;
    let mut problems = Vec::new();
    let recs = group_items(&items, &points, &mut problems);
    let errors = cell_errors(&[&items, &points], &problems);
    Ok((
        recs.into_iter()
            .map(|r| (items.rows[r.row].number, r.input))
            .collect(),
        errors,
    ))
}

/// Where an item field error points: (table, row, column).
fn item_cell(rec: &ItemRecord, field: &str) -> (usize, usize, Option<usize>) {
    let on_item = |col: Option<usize>| (0, rec.row, col);
    if let Some(rest) = field.strip_prefix("check_points[") {
        let (n, sub) = rest.split_once(']').unwrap_or((rest, ""));
        if let Some(&pr) = n.parse::<usize>().ok().and_then(|n| rec.point_rows.get(n)) {
            let col = match sub {
                ".dimension" => P_DIMENSION,
                ".content" => P_CONTENT,
                _ => P_BASIS,
            };
            return (1, pr, Some(col));
        }
        return on_item(Some(I_CODE));
    }
    if let Some(rest) = field.strip_prefix("cooperating[") {
        let sub = rest.split_once(']').map_or("", |(_, s)| s);
        return on_item(Some(match sub {
            ".duties" => I_COOP_DUTIES,
            ".legal_basis" => I_COOP_BASIS,
            _ => I_COOP,
        }));
    }
    on_item(Some(match field {
        "code" => I_CODE,
        "name" => I_NAME,
        "sector" => I_SECTOR,
        "category" => I_CATEGORY,
        "region_code" => I_REGION,
        "implementation_level" => I_LEVEL,
        "lead" => I_LEAD,
        "lead.duties" => I_LEAD_DUTIES,
        "lead.legal_basis" => I_LEAD_BASIS,
        "object_description" => I_OBJECTS,
        "object_expr" => I_EXPR,
        "methods" => I_METHODS,
        "default_frequency" => I_FREQUENCY,
        _ => return on_item(None),
    }))
}

/// The department of this name nearest the region (county before city before province).
fn find_department<'a>(pickable: &'a [Department], name: &str) -> Option<&'a Department> {
    pickable
        .iter()
        .filter(|d| d.name == name.trim())
        .max_by_key(|d| d.region_code.as_str().len())
}

/// Whether the actor may edit an item with this region and lead department (as `items` decides:
/// system administrators; coordination offices in their region; department administrators in
/// their region for items their line leads).
async fn may_edit_item(
    svc: &Services,
    actor: &Actor,
    region: &RegionCode,
    lead: Uuid,
) -> Result<bool> {
    let in_scope = actor
        .full_scope()
        .region
        .as_ref()
        .is_none_or(|r| region.is_within(r));
    Ok(match actor.role {
        Role::SystemAdmin => true,
        Role::CoordinationOffice => in_scope,
        Role::DepartmentAdmin => {
            in_scope
                && dept_repo::get(svc.store.conn(), lead)
                    .await?
                    .is_some_and(|d| d.line == actor.department_line)
        }
        _ => false,
    })
}

/// Whether saving `input` would leave `old` as it is (the import then skips it).
fn same_item(old: &Item, input: &ItemInput, sectors: &[Sector]) -> bool {
    let trimmed = |s: &str| s.trim().to_string();
    let sector = match input.sector.trim() {
        "" => None,
        s => match sectors
            .iter()
            .find(|x| x.name == s || x.id.to_string() == s)
        {
            Some(x) => Some(x.id),
            None => return false,
        },
    };
    let category = ItemCategory::parse(if input.category.trim().is_empty() {
        "一般"
    } else {
        &input.category
    });
    let mut parts = Vec::new();
    for (p, role) in std::iter::once((&input.lead, DepartmentRole::Lead)).chain(
        input
            .cooperating
            .iter()
            .map(|p| (p, DepartmentRole::Cooperating)),
    ) {
        if role == DepartmentRole::Cooperating
            && p.department_id.trim().is_empty()
            && p.duties.trim().is_empty()
        {
            continue;
        }
        let Ok(id) = Uuid::parse_str(p.department_id.trim()) else {
            return false;
        };
        parts.push(item_repo::ItemDepartment {
            department_id: id,
            role,
            duties: trimmed(&p.duties),
            legal_basis: trimmed(&p.legal_basis),
        });
    }
    let mut points = Vec::new();
    for p in input
        .check_points
        .iter()
        .filter(|p| !p.iter().all(|f| f.trim().is_empty()))
    {
        let Ok(d) = Dimension::parse(&p[0]) else {
            return false;
        };
        points.push(item_repo::CheckPoint {
            dimension: d,
            content: trimmed(&p[1]),
            legal_basis: trimmed(&p[2]),
        });
    }
    item_rules::item_code(&input.code).is_ok_and(|c| c == old.code)
        && input.name.trim() == old.name
        && sector == old.sector_id
        && category.is_ok_and(|c| c == old.category)
        && RegionCode::parse(&input.region_code).is_ok_and(|r| r == old.region_code)
        && ImplementationLevel::parse(&input.implementation_level)
            .is_ok_and(|l| l == old.implementation_level)
        && parts == old.departments
        && input.object_description.trim() == old.object_description
        && TagExpr::parse(&input.object_expr).is_ok_and(|e| e.to_string() == old.object_expr)
        && item_rules::methods(&input.methods).is_ok_and(|m| m == old.methods)
        && Some(input.default_frequency.trim().to_string()).filter(|f| !f.is_empty())
            == old.default_frequency
        && points == old.check_points
}

/// Imports the item sheets, upserting by item code: a new code creates a draft item, an
/// existing code updates it (`items::update` with summary “Excel 导入更新”), identical content
/// is left alone. Every item is checked first; without `skip_invalid` nothing is saved when any
/// row is invalid.
pub async fn import_items(
    svc: &Services,
    actor: &Actor,
    bytes: &[u8],
    skip_invalid: bool,
    progress: &(dyn Fn(Progress) + Sync),
) -> Result<ImportOutcome> {
    if !matches!(
        actor.role,
        Role::SystemAdmin | Role::CoordinationOffice | Role::DepartmentAdmin
    ) {
        return Err(ServiceError::Forbidden);
    }
    let (items_t, points_t) = read_item_tables(bytes)?;
    let mut problems = Vec::new();
    let mut recs = group_items(&items_t, &points_t, &mut problems);
    let c = svc.store.conn();
    let sectors = sector_repo::list(c).await?;
    let total = recs.len() as u64;
    let mut pickable: HashMap<String, Vec<Department>> = HashMap::new();
    // Validation runs `items::create` as a read-only actor: it parses and checks the input
    // exactly as a real save would, then refuses (Forbidden) before writing anything.
    let mut dry = actor.clone();
    dry.role = Role::Leader;
    // (record index, existing item id) of the records to save.
    let mut to_save: Vec<(usize, Option<Uuid>)> = Vec::new();
    let mut unchanged = 0u64;
    let mut failed: Vec<usize> = Vec::new();
    let already_bad: HashSet<(usize, usize)> = problems.iter().map(|p| (p.table, p.row)).collect();
    progress(Progress {
        phase: Phase::Checking,
        done: 0,
        total,
    });
    for (i, rec) in recs.iter_mut().enumerate() {
        let before = problems.len();
        let mut suppress: HashSet<String> = HashSet::new();
        // Department names → ids, among the active departments of the region and its ancestors.
        let region = RegionCode::parse(&rec.input.region_code).ok();
        let depts: Option<&Vec<Department>> = match &region {
            Some(r) if lianjian_store::regions::get(c, r).await?.is_some() => {
                if !pickable.contains_key(r.as_str()) {
                    pickable.insert(r.to_string(), departments::pickable(svc, r).await?);
                }
                pickable.get(r.as_str())
            }
            _ => None,
        };
        let row = rec.row;
        let mut resolve = |part: &mut DepartmentPart, field: String, col: usize, lead: bool| {
            let name = part.department_id.trim().to_string();
            let Some(depts) = depts else {
                // The region is wrong; that is reported, and departments cannot be looked up.
                part.department_id.clear();
                suppress.insert(field);
                return;
            };
            if name.is_empty() {
                if lead {
                    problems.push(Problem::new(
                        0,
                        row,
                        Some(col),
                        Invalid::new(
                            "required",
                            "牵头部门不能为空",
                            "the lead department is required",
                        ),
                    ));
                    suppress.insert(field);
                }
                return;
            }
            match find_department(depts, &name) {
                Some(d) => part.department_id = d.id.to_string(),
                None => {
                    let r = region.as_ref().map(|r| r.to_string()).unwrap_or_default();
                    problems.push(Problem::new(
                        0,
                        row,
                        Some(col),
                        Invalid::new(
                            "unknown_department",
                            format!("行政区划“{r}”及其上级中没有名为“{name}”的在用部门"),
                            format!(
                                "no active department named '{name}' in region {r} or above it"
                            ),
                        ),
                    ));
                    part.department_id.clear();
                    suppress.insert(field);
                }
            }
        };
        resolve(&mut rec.input.lead, "lead".into(), I_LEAD, true);
        for (k, p) in rec.input.cooperating.iter_mut().enumerate() {
            resolve(p, format!("cooperating[{k}]"), I_COOP, false);
        }
        match items::create(svc, &dry, &rec.input).await {
            Err(ServiceError::Invalid(fields)) => {
                for f in fields.into_iter().filter(|f| !suppress.contains(&f.field)) {
                    let (table, row, col) = item_cell(rec, &f.field);
                    problems.push(Problem::field(table, row, col, f));
                }
            }
            Err(ServiceError::Forbidden) => {}
            Err(e) => return Err(e),
            Ok(item) => {
                // Cannot happen while `items::create` refuses read-only actors; never leave a trace.
                tracing::error!(code = %item.code, "dry-run validation created an item");
                return Err(ServiceError::Forbidden);
            }
        }
        let has_problem = problems.len() > before
            || already_bad.contains(&(0, rec.row))
            || rec
                .point_rows
                .iter()
                .any(|r| already_bad.contains(&(1, *r)));
        if !has_problem {
            let code = item_rules::item_code(&rec.input.code).expect("validated");
            let existing = item_repo::by_code(c, &code).await?;
            match existing {
                Some(old) if same_item(&old, &rec.input, &sectors) => unchanged += 1,
                old => {
                    let region = RegionCode::parse(&rec.input.region_code).expect("validated");
                    let lead = Uuid::parse_str(&rec.input.lead.department_id).expect("resolved");
                    let allowed = may_edit_item(svc, actor, &region, lead).await?
                        && match &old {
                            Some(o) => {
                                may_edit_item(svc, actor, &o.region_code, o.lead_department_id)
                                    .await?
                            }
                            None => true,
                        };
                    if allowed {
                        to_save.push((i, old.map(|o| o.id)));
                    } else {
                        problems.push(Problem::new(
                            0,
                            rec.row,
                            Some(I_CODE),
                            Invalid::new("forbidden", "您无权维护该事项：不在您的管理范围内，或牵头部门不属于您的条线", "you may not maintain this item: outside your scope, or led by another line"),
                        ));
                    }
                }
            }
        }
        if problems.len() > before
            || already_bad.contains(&(0, rec.row))
            || rec
                .point_rows
                .iter()
                .any(|r| already_bad.contains(&(1, *r)))
        {
            failed.push(i);
        }
        progress(Progress {
            phase: Phase::Checking,
            done: i as u64 + 1,
            total,
        });
    }
    // Check points of unknown items belong to no item.
    let owned_points: HashSet<usize> = recs
        .iter()
        .flat_map(|r| r.point_rows.iter().copied())
        .collect();
    let orphan_points: Vec<usize> = problems
        .iter()
        .filter(|p| p.table == 1 && !owned_points.contains(&p.row))
        .map(|p| p.row)
        .collect();
    let mut outcome = ImportOutcome {
        report: ImportReport {
            unchanged,
            ..Default::default()
        },
        ..Default::default()
    };
    let any_problem = !problems.is_empty();
    if any_problem && !skip_invalid {
        outcome.errors = cell_errors(&[&items_t, &points_t], &problems);
        outcome.report = ImportReport::default();
        outcome.skipped = total;
        return Ok(outcome);
    }
    let n = to_save.len() as u64;
    progress(Progress {
        phase: Phase::Saving,
        done: 0,
        total: n,
    });
    for (k, (i, existing)) in to_save.into_iter().enumerate() {
        let rec = &recs[i];
        let saved = match existing {
            Some(id) => items::update(svc, actor, id, &rec.input, IMPORT_SUMMARY)
                .await
                .map(|_| true),
            None => items::create(svc, actor, &rec.input).await.map(|_| false),
        };
        match saved {
            Ok(true) => outcome.report.updated += 1,
            Ok(false) => outcome.report.inserted += 1,
            // Changed by someone else since the check: report it against the row.
            Err(ServiceError::Invalid(fields)) => {
                for f in fields {
                    let (table, row, col) = item_cell(rec, &f.field);
                    problems.push(Problem::field(table, row, col, f));
                }
                failed.push(i);
            }
            Err(ServiceError::Conflict {
                field,
                message,
                message_en,
            }) => {
                let (table, row, col) = item_cell(rec, &field);
                problems.push(Problem {
                    table,
                    row,
                    col,
                    code: "conflict".into(),
                    zh: message,
                    en: message_en,
                });
                failed.push(i);
            }
            Err(ServiceError::Forbidden | ServiceError::NotFound) => {
                problems.push(Problem::new(
                    0,
                    rec.row,
                    Some(I_CODE),
                    Invalid::new(
                        "forbidden",
                        "您无权维护该事项",
                        "you may not maintain this item",
                    ),
                ));
                failed.push(i);
            }
            Err(e) => return Err(e),
        }
        progress(Progress {
            phase: Phase::Saving,
            done: k as u64 + 1,
            total: n,
        });
    }
    outcome.errors = cell_errors(&[&items_t, &points_t], &problems);
    outcome.skipped = failed.len() as u64;
    if !outcome.errors.is_empty() {
        let mut failed_rows = vec![Vec::new(), Vec::new()];
        for &i in &failed {
            failed_rows[0].push(recs[i].row);
            failed_rows[1].extend(recs[i].point_rows.iter().copied());
        }
        failed_rows[1].extend(orphan_points);
        let code_of_point = |r: usize| points_t.rows[r].cells[P_CODE].clone();
        let why = |table: usize, row: usize| {
            if table == 0 {
                "该事项的检查要点有错误，本行一并未导入".to_string()
            } else {
                format!("事项“{}”有错误，本行一并未导入", code_of_point(row))
            }
        };
        outcome.error_report = Some(error_workbook(
            &[&items_t, &points_t],
            &problems,
            &failed_rows,
            &why,
        ));
    }
    Ok(outcome)
}

/// Items on the lists that apply in the actor's view, in the import layout.
pub async fn export_items(svc: &Services, actor: &Actor, q: &ItemQuery) -> Result<Vec<u8>> {
    let c = svc.store.conn();
    let sectors: HashMap<Uuid, String> = sector_repo::list(c)
        .await?
        .into_iter()
        .map(|s| (s.id, s.name))
        .collect();
    let scope = Scope::of(actor);
    let mut heads = Vec::new();
    let mut page = 1;
    loop {
        let p = items::list(
            svc,
            &scope,
            q.clone(),
            PageRequest::new(Some(page), Some(PageRequest::MAX_PER_PAGE)),
        )
        .await?;
        heads.extend(p.items.iter().map(|i| i.id));
        if (p.items.len() as u64) < p.per_page {
            break;
        }
        page += 1;
    }
    let mut full = Vec::with_capacity(heads.len());
    for id in heads {
        full.push(items::get(svc, id).await?);
    }
    let ids: Vec<Uuid> = full
        .iter()
        .flat_map(|i| i.departments.iter().map(|d| d.department_id))
        .collect();
    let names = dept_repo::by_ids(c, &ids).await?;
    let name = |id: &Uuid| names.get(id).map(|d| d.name.clone()).unwrap_or_default();
    let mut item_rows = Vec::new();
    let mut point_rows = Vec::new();
    for it in &full {
        let lead = it
            .departments
            .iter()
            .find(|d| d.role == DepartmentRole::Lead);
        let coop: Vec<&item_repo::ItemDepartment> = it
            .departments
            .iter()
            .filter(|d| d.role == DepartmentRole::Cooperating)
            .collect();
        let joined = |f: &dyn Fn(&item_repo::ItemDepartment) -> String| {
            let parts: Vec<String> = coop
                .iter()
                .map(|d| f(d).replace(['\r', '\n'], if coop.len() > 1 { " " } else { "\n" }))
                .collect();
            if parts.len() > 1 && parts.iter().all(|p| *p == parts[0]) {
                parts[0].clone()
            } else {
                // One line per department (with several, a department's own line breaks became spaces).
                parts.join("\n")
            }
        };
        item_rows.push(vec![
            it.code.clone(),
            it.name.clone(),
            it.sector_id
                .and_then(|s| sectors.get(&s).cloned())
                .unwrap_or_default(),
            it.category.label_zh().to_string(),
            it.region_code.to_string(),
            it.implementation_level.label_zh().to_string(),
            lead.map(|d| name(&d.department_id)).unwrap_or_default(),
            lead.map(|d| d.duties.clone()).unwrap_or_default(),
            lead.map(|d| d.legal_basis.clone()).unwrap_or_default(),
            coop.iter()
                .map(|d| name(&d.department_id))
                .collect::<Vec<_>>()
                .join("、"),
            joined(&|d| d.duties.clone()),
            joined(&|d| d.legal_basis.clone()),
            it.object_description.clone(),
            it.object_expr.clone(),
            it.methods
                .iter()
                .map(|m: &Method| m.label_zh())
                .collect::<Vec<_>>()
                .join("、"),
            it.default_frequency.clone().unwrap_or_default(),
        ]);
        for p in &it.check_points {
            point_rows.push(vec![
                it.code.clone(),
                p.dimension.label_zh().to_string(),
                p.content.clone(),
                p.legal_basis.clone(),
            ]);
        }
    }
    too_many(POINT_SHEET, point_rows.len())?;
    Ok(item_workbook(&item_rows, &point_rows).expect("export rows are well-formed"))
}

/// The column headers of the directory sheet, in template order (required ones end in `*`).
pub fn entity_headers() -> Vec<String> {
    (0..ENTITY_SPEC.columns.len())
        .map(|i| ENTITY_SPEC.header(i))
        .collect()
}

/// The column headers of the 事项 and 检查要点 sheets, in template order.
pub fn item_headers() -> (Vec<String>, Vec<String>) {
    (
        (0..ITEM_SPEC.columns.len())
            .map(|i| ITEM_SPEC.header(i))
            .collect(),
        (0..POINT_SPEC.columns.len())
            .map(|i| POINT_SPEC.header(i))
            .collect(),
    )
}

// ---------------------------------------------------------------------------------------------
// Inspectors (执法检查人员库)
// ---------------------------------------------------------------------------------------------
//
// Sheet 检查人员, one member per row, upserted by certificate number. Departments are written by
// name and resolved in the row's region and its ancestors (or, with the region left blank, in the
// importer's region subtree); the template offers the departments of the importer's region as a
// drop-down list kept on a hidden sheet (部门列表), since a list written inline is limited to 255
// characters.

use lianjian_domain::inspector::{InspectorKind, InspectorStatus};
use lianjian_store::inspectors::{self as inspector_repo, InspectorQuery};
use rust_xlsxwriter::{DataValidationErrorStyle, Formula};

use crate::inspectors::{self, InspectorInput};

/// Sheet of the inspector template.
pub const INSPECTOR_SHEET: &str = "检查人员";
/// Hidden sheet holding the department drop-down list.
const DEPARTMENT_LIST_SHEET: &str = "部门列表";

const N_CERT: usize = 0;
const N_NAME: usize = 1;
const N_DEPT: usize = 2;
const N_REGION: usize = 3;
const N_KIND: usize = 4;
const N_STATUS: usize = 5;
const N_QUALS: usize = 6;
const N_PHONE: usize = 7;

fn inspector_kinds() -> Vec<&'static str> {
    InspectorKind::ALL.iter().map(|t| t.label_zh()).collect()
}
fn inspector_statuses() -> Vec<&'static str> {
    InspectorStatus::ALL.iter().map(|t| t.label_zh()).collect()
}

static INSPECTOR_COLUMNS: [Column; 8] = [
    col(
        "执法证号",
        true,
        20.0,
        "执法证号，6–32 位字母、数字或 -，不区分大小写。系统中已有该证号的人员按本行内容更新，内容相同的不作改动；同一证号在文件中只能出现一次。",
    ),
    col("姓名", true, 10.0, "姓名，2–50 个字符。"),
    col(
        "所属部门",
        true,
        24.0,
        "所属部门的名称，从下拉列表选择（列表为您所在地区的在用部门），如 县市场监管局；须在您的管理范围内。",
    ),
    col(
        "行政区划代码",
        false,
        14.0,
        "人员所在的行政区划代码，为所属部门所在地区或其下级（如乡镇市场监管所所在乡镇 411121100）；留空为所属部门所在地区。",
    ),
    pick(
        "人员类别",
        false,
        10.0,
        "执法人员或专家；留空时新人员为“执法人员”，已有人员不变。专家只在抽查计划要求专家时才会被抽取。",
        inspector_kinds,
    ),
    pick(
        "状态",
        false,
        8.0,
        "在岗、休假或离岗；留空时新人员为“在岗”，已有人员不变。只有在岗人员会被抽取。",
        inspector_statuses,
    ),
    col(
        "资格",
        false,
        30.0,
        "执法资格或专业领域，如 食品安全、特种设备、药品、消防；多项用“、”或逗号分隔，每项 1–20 个字符。导入时以本列为准整体替换。",
    ),
    col(
        "联系电话",
        false,
        14.0,
        "手机号码（11 位）或固定电话，可留空。",
    ),
];

static INSPECTOR_SPEC: SheetSpec = SheetSpec {
    name: INSPECTOR_SHEET,
    columns: &INSPECTOR_COLUMNS,
};

const INSPECTOR_NOTES: &[&str] = &[
    "1. 在“检查人员”工作表中填写，一行一人，第 1 行是表头：表头文字须与模板一致（可调整列的顺序，可删去非必填列）；带 * 的列必填。",
    "2. 按执法证号更新：系统中已有的人员按本行内容更新，资格以本行为准整体替换；内容完全相同的不作改动，同一文件重复导入不会产生变化。人员类别、状态留空时不改变已有人员的取值。",
    "3. 所属部门填写部门名称，按本行的行政区划代码及其上级查找；行政区划代码留空时在您的管理范围内查找，同名部门不止一个时请填写行政区划代码。",
    "4. 回避申报、关联登录账号请在工作台的人员页面办理，不通过本表导入。",
    "5. 导入前会逐行检查，错误会指明工作表、行号、列和取值。默认有错误时全部不导入；选择“跳过错误行”时只导入正确的行，并生成一份错误报告，改正后可直接再次导入。",
];

fn inspector_workbook(rows: &[Vec<String>], departments: &[String]) -> Result<Vec<u8>, XlsxError> {
    let mut wb = Workbook::new();
    write_spec_sheet(
        &mut wb,
        &INSPECTOR_SPEC,
        INSPECTOR_SHEET,
        rows,
        &[],
        &HashSet::new(),
    )?;
    write_instructions(
        &mut wb,
        "执法检查人员库导入模板 · 填写说明",
        INSPECTOR_NOTES,
        &[&INSPECTOR_SPEC],
    )?;
    if !departments.is_empty() {
        let list = wb.add_worksheet();
        list.set_name(DEPARTMENT_LIST_SHEET)?;
        for (i, name) in departments.iter().enumerate() {
            list.write_string(i as u32, 0, clip(name))?;
        }
        list.set_hidden(true);
        // A warning, not a stop: a member of a department elsewhere (another county of a city's
        // list) is valid too when its region is filled in.
        let v = DataValidation::new()
            .allow_list_formula(Formula::new(format!(
                "='{DEPARTMENT_LIST_SHEET}'!$A$1:$A${}",
                departments.len()
            )))
            .set_error_style(DataValidationErrorStyle::Warning)
            .set_error_title("部门不在列表中")?
            .set_error_message(
                "请从下拉列表中选择所属部门；其他地区的部门请同时填写行政区划代码。",
            )?;
        let col = N_DEPT as u16;
        wb.worksheet_from_name(INSPECTOR_SHEET)?
            .add_data_validation(1, col, MAX_DATA_ROWS as u32, col, &v)?;
    }
    wb.save_to_buffer()
}

/// The import template of the inspector pool, with `departments` (names) as the drop-down list
/// of 所属部门 (none: free text).
pub fn inspector_template(departments: &[String]) -> Vec<u8> {
    inspector_workbook(&[], departments).expect("the template is well-formed")
}

/// Department names the actor's template offers: the active departments of the actor's region
/// (its context's, if chosen), of its own line for department administrators.
async fn inspector_departments(svc: &Services, actor: &Actor) -> Result<Vec<String>> {
    let scope = actor.scope();
    let region = scope.region.clone().unwrap_or_else(|| actor.region.clone());
    let mut names: Vec<String> = dept_repo::active_in_region(svc.store.conn(), &region)
        .await?
        .into_iter()
        .filter(|d| scope.line.as_ref().is_none_or(|l| *l == d.line))
        .map(|d| d.name)
        .collect();
    names.dedup();
    Ok(names)
}

/// The template for `actor`: the departments of its region in the drop-down list.
pub async fn inspector_template_for(svc: &Services, actor: &Actor) -> Result<Vec<u8>> {
    Ok(inspector_template(
        &inspector_departments(svc, actor).await?,
    ))
}

/// The column headers of the inspector sheet, in template order (required ones end in `*`).
pub fn inspector_headers() -> Vec<String> {
    (0..INSPECTOR_SPEC.columns.len())
        .map(|i| INSPECTOR_SPEC.header(i))
        .collect()
}

fn inspector_input(cells: &[String]) -> InspectorInput {
    InspectorInput {
        certificate_number: cells[N_CERT].clone(),
        name: cells[N_NAME].clone(),
        department_id: cells[N_DEPT].clone(),
        region_code: cells[N_REGION].clone(),
        kind: cells[N_KIND].clone(),
        status: cells[N_STATUS].clone(),
        qualifications: cells[N_QUALS].clone(),
        qualification_list: None,
        phone: cells[N_PHONE].clone(),
    }
}

/// Certificate numbers as keys: what `CertificateNumber::parse` would make of them.
fn certificate_key(s: &str) -> String {
    s.trim().to_ascii_uppercase()
}

/// Later rows repeating an earlier row's certificate number.
fn repeated_certificates(t: &Table, problems: &mut Vec<Problem>) {
    let mut first: HashMap<String, u32> = HashMap::new();
    for (ri, row) in t.rows.iter().enumerate() {
        let key = certificate_key(&row.cells[N_CERT]);
        if key.is_empty() {
            continue;
        }
        match first.get(&key) {
            Some(n) => problems.push(Problem::new(
                0,
                ri,
                Some(N_CERT),
                Invalid::new(
                    "duplicate_certificate",
                    format!("执法证号与第 {n} 行重复"),
                    format!("certificate number repeats row {n}"),
                ),
            )),
            None => {
                first.insert(key, row.number);
            }
        }
    }
}

/// Reads the inspector sheet: each row as an input (its `department_id` holds the department
/// *name* as written; `import_inspectors` resolves it), and the problems visible without the
/// database (repeated certificate numbers).
pub fn read_inspectors(bytes: &[u8]) -> Result<ReadRows<InspectorInput>, FileError> {
    let t = read_table(&mut open(bytes)?, &INSPECTOR_SPEC)?;
    let mut problems = Vec::new();
    repeated_certificates(&t, &mut problems);
    let errors = cell_errors(&[&t], &problems);
    Ok((
        t.rows
            .iter()
            .map(|r| (r.number, inspector_input(&r.cells)))
            .collect(),
        errors,
    ))
}

fn inspector_column(field: &str) -> Option<usize> {
    Some(match field {
        "certificate_number" => N_CERT,
        "name" => N_NAME,
        "department_id" => N_DEPT,
        "region_code" => N_REGION,
        "kind" => N_KIND,
        "status" => N_STATUS,
        "qualifications" => N_QUALS,
        "phone" => N_PHONE,
        _ => return None,
    })
}

/// The departments a sheet names, looked up once per name.
#[derive(Default)]
struct DepartmentNames(HashMap<String, Vec<Department>>);

impl DepartmentNames {
    /// The department called `name` near `region` (or within `within`), as
    /// [`resolve_department`] finds it: its id, or why there is none.
    async fn resolve(
        &mut self,
        c: &impl lianjian_store::Conn,
        name: &str,
        region: Option<&RegionCode>,
        within: Option<&RegionCode>,
    ) -> Result<std::result::Result<Uuid, Invalid>> {
        if !self.0.contains_key(name) {
            self.0
                .insert(name.to_string(), active_departments_named(c, name).await?);
        }
        Ok(resolve_department(&self.0[name], name, region, within).map(|d| d.id))
    }
}

/// Every active department called exactly `name`, anywhere (a sheet names departments).
async fn active_departments_named(
    c: &impl lianjian_store::Conn,
    name: &str,
) -> Result<Vec<Department>> {
    let q = dept_repo::DepartmentQuery {
        q: Some(name.to_string()),
        status: Some(lianjian_domain::department::DepartmentStatus::Active),
        ..Default::default()
    };
    let mut found = Vec::new();
    let mut page = 1;
    loop {
        let p = dept_repo::list(
            c,
            &lianjian_domain::scope::Scope::system(),
            &q,
            PageRequest::new(Some(page), Some(PageRequest::MAX_PER_PAGE)),
        )
        .await?;
        let n = p.items.len() as u64;
        found.extend(p.items.into_iter().filter(|d| d.name == name));
        if n < p.per_page {
            break;
        }
        page += 1;
    }
    Ok(found)
}

/// Resolves a department name: in the row's region and its ancestors (the nearest), or with no
/// region in the actor's region subtree (exactly one).
fn resolve_department<'a>(
    named: &'a [Department],
    name: &str,
    region: Option<&RegionCode>,
    within: Option<&RegionCode>,
) -> Result<&'a Department, Invalid> {
    match region {
        Some(r) => named
            .iter()
            .filter(|d| r.is_within(&d.region_code))
            .max_by_key(|d| d.region_code.as_str().len())
            .ok_or_else(|| {
                Invalid::new(
                    "unknown_department",
                    format!("行政区划“{r}”及其上级中没有名为“{name}”的在用部门"),
                    format!("no active department named '{name}' in region {r} or above it"),
                )
            }),
        None => {
            let found: Vec<&Department> = named
                .iter()
                .filter(|d| within.is_none_or(|w| d.region_code.is_within(w)))
                .collect();
            match found.as_slice() {
                [d] => Ok(d),
                [] => Err(Invalid::new(
                    "unknown_department",
                    format!("您的管理范围内没有名为“{name}”的在用部门"),
                    format!("no active department named '{name}' in your scope"),
                )),
                many => Err(Invalid::new(
                    "ambiguous_department",
                    format!(
                        "名为“{name}”的部门有 {} 个（{}），请填写行政区划代码",
                        many.len(),
                        many.iter()
                            .map(|d| d.region_code.to_string())
                            .collect::<Vec<_>>()
                            .join("、")
                    ),
                    format!(
                        "{} departments are named '{name}'; fill in the region code",
                        many.len()
                    ),
                )),
            }
        }
    }
}

/// Imports the inspector sheet, upserting by certificate number: a new number adds a member,
/// an existing one is updated (qualifications replaced), identical rows are left alone. Every
/// row is checked first with the same parser as the form (`inspectors::parse`); without
/// `skip_invalid` nothing is saved when any row is invalid; the valid rows are saved in one
/// transaction.
pub async fn import_inspectors(
    svc: &Services,
    actor: &Actor,
    bytes: &[u8],
    skip_invalid: bool,
    progress: &(dyn Fn(Progress) + Sync),
) -> Result<ImportOutcome> {
    if !matches!(
        actor.role,
        Role::SystemAdmin | Role::CoordinationOffice | Role::DepartmentAdmin
    ) {
        return Err(ServiceError::Forbidden);
    }
    let t = read_table(&mut open(bytes)?, &INSPECTOR_SPEC)?;
    let c = svc.store.conn();
    let mut problems = Vec::new();
    repeated_certificates(&t, &mut problems);
    let already_bad: HashSet<usize> = problems.iter().map(|p| p.row).collect();
    let keys: Vec<String> = t
        .rows
        .iter()
        .map(|r| certificate_key(&r.cells[N_CERT]))
        .filter(|k| !k.is_empty())
        .collect();
    let existing = inspector_repo::by_certificates(c, &keys).await?;
    let full = actor.full_scope();
    let total = t.rows.len() as u64;
    let mut named = DepartmentNames::default();
    let mut lines: HashMap<Uuid, String> = HashMap::new();
    let mut to_save = Vec::new();
    let mut unchanged = 0u64;
    let mut failed: Vec<usize> = Vec::new();
    progress(Progress {
        phase: Phase::Checking,
        done: 0,
        total,
    });
    for (ri, row) in t.rows.iter().enumerate() {
        let before = problems.len();
        let mut input = inspector_input(&row.cells);
        // The department by name.
        let name = input.department_id.trim().to_string();
        let mut department_reported = false;
        if name.is_empty() {
            problems.push(Problem::new(
                0,
                ri,
                Some(N_DEPT),
                Invalid::new("required", "所属部门不能为空", "the department is required"),
            ));
            department_reported = true;
        } else {
            let region = RegionCode::parse(&input.region_code).ok();
            if input.region_code.trim().is_empty() || region.is_some() {
                match named
                    .resolve(c, &name, region.as_ref(), full.region.as_ref())
                    .await?
                {
                    Ok(d) => input.department_id = d.to_string(),
                    Err(e) => {
                        problems.push(Problem::new(0, ri, Some(N_DEPT), e));
                        department_reported = true;
                    }
                }
            } else {
                // The region is malformed (reported below); the department cannot be looked up.
                department_reported = true;
            }
        }
        if department_reported {
            input.department_id.clear();
        }
        // An existing member must be one the actor maintains.
        let old = existing.get(&certificate_key(&input.certificate_number));
        if let Some(o) = old {
            if let std::collections::hash_map::Entry::Vacant(e) = lines.entry(o.department_id) {
                e.insert(
                    dept_repo::get(c, o.department_id)
                        .await?
                        .map(|d| d.line)
                        .unwrap_or_default(),
                );
            }
            if !full.permits(&o.region_code, Some(&lines[&o.department_id])) {
                problems.push(Problem::new(
                    0,
                    ri,
                    Some(N_CERT),
                    Invalid::new(
                        "forbidden",
                        "该执法证号已登记在您管理范围以外的部门，不能在此修改",
                        "this certificate number belongs to a member outside your scope",
                    ),
                ));
            }
        }
        match inspectors::parse(svc, actor, &input, old).await {
            Ok(p) => {
                if problems.len() == before && !already_bad.contains(&ri) {
                    match old {
                        Some(o) if p.same_content(o) => unchanged += 1,
                        _ => to_save.push((p, old.cloned())),
                    }
                }
            }
            Err(ServiceError::Invalid(fields)) => {
                for f in fields {
                    if department_reported && f.field == "department_id" {
                        continue;
                    }
                    let col = inspector_column(&f.field);
                    problems.push(Problem::field(0, ri, col, f));
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
        .finish(to_save, progress, |rows| async move {
            let saved = inspectors::save_many(svc, actor, rows).await?;
            Ok((saved.inserted, saved.updated))
        })
        .await
}

/// A one-sheet import whose every row has been checked.
struct Checked<'a> {
    table: &'a Table,
    problems: Vec<Problem>,
    /// Rows with problems.
    failed: Vec<usize>,
    /// Rows identical to what is stored.
    unchanged: u64,
    skip_invalid: bool,
}

impl Checked<'_> {
    /// Ends the import: a file with errors saves nothing unless invalid rows are skipped;
    /// otherwise `save` writes the valid rows in one transaction and returns (inserted,
    /// updated), and the failed rows come back as an error report to correct and import again.
    async fn finish<T, F, Fut>(
        self,
        rows: Vec<T>,
        progress: &(dyn Fn(Progress) + Sync),
        save: F,
    ) -> Result<ImportOutcome>
    where
        F: FnOnce(Vec<T>) -> Fut,
        Fut: std::future::Future<Output = Result<(u64, u64)>>,
    {
        let total = self.table.rows.len() as u64;
        let mut outcome = ImportOutcome {
            report: ImportReport {
                unchanged: self.unchanged,
                ..Default::default()
            },
            errors: cell_errors(&[self.table], &self.problems),
            skipped: self.failed.len() as u64,
            error_report: None,
        };
        if !outcome.errors.is_empty() && !self.skip_invalid {
            outcome.report = ImportReport::default();
            outcome.skipped = total;
            return Ok(outcome);
        }
        let n = rows.len() as u64;
        progress(Progress {
            phase: Phase::Saving,
            done: 0,
            total: n,
        });
        let (inserted, updated) = save(rows).await?;
        outcome.report.inserted = inserted;
        outcome.report.updated = updated;
        progress(Progress {
            phase: Phase::Saving,
            done: n,
            total: n,
        });
        if !outcome.errors.is_empty() {
            outcome.error_report = Some(error_workbook(
                &[self.table],
                &self.problems,
                &[self.failed],
                &|_, _| String::new(),
            ));
        }
        Ok(outcome)
    }
}

/// The instructions' sentence on checking, of the sheets checked by [`RowCheck`].
const ROW_CHECK_NOTE: &str = "导入前会逐行检查，错误会指明工作表、行号、列和取值。默认有错误时全部不导入；选择“跳过有错误的行”时只导入正确的行，并生成一份错误报告，改正后可直接再次导入。";

/// A one-sheet import checked row by row (the sheets of `exchange::licensing` and
/// `exchange::devices`): the problems found, the rows that failed, the rows found unchanged,
/// and the progress reported as rows are done. `begin` each row, add its problems, `end` it;
/// [`Checked::finish`] then saves or refuses.
struct RowCheck<'a> {
    table: &'a Table,
    problems: Vec<Problem>,
    /// Rows with a problem found before the row-by-row check (a repeated key).
    already_bad: HashSet<usize>,
    failed: Vec<usize>,
    unchanged: u64,
    progress: &'a (dyn Fn(Progress) + Sync),
    /// Problems before the current row.
    mark: usize,
}

impl<'a> RowCheck<'a> {
    /// Starts the check with the problems found on the whole sheet (repeated keys).
    fn new(table: &'a Table, found: Vec<Problem>, progress: &'a (dyn Fn(Progress) + Sync)) -> Self {
        progress(Progress {
            phase: Phase::Checking,
            done: 0,
            total: table.rows.len() as u64,
        });
        Self {
            table,
            already_bad: found.iter().map(|p| p.row).collect(),
            problems: found,
            failed: Vec::new(),
            unchanged: 0,
            progress,
            mark: 0,
        }
    }

    fn begin(&mut self) {
        self.mark = self.problems.len();
    }

    /// Whether row `ri` has no problem so far.
    fn clean(&self, ri: usize) -> bool {
        self.problems.len() == self.mark && !self.already_bad.contains(&ri)
    }

    fn cell(&mut self, ri: usize, col: usize, e: Invalid) {
        self.problems.push(Problem::new(0, ri, Some(col), e));
    }

    /// A service's field errors on row `ri`, each in its column (`skip`: fields already named).
    fn fields(
        &mut self,
        ri: usize,
        fields: Vec<FieldError>,
        column_of: fn(&str) -> Option<usize>,
        skip: &[&str],
    ) {
        for f in fields {
            if !skip.contains(&f.field.as_str()) {
                self.problems
                    .push(Problem::field(0, ri, column_of(&f.field), f));
            }
        }
    }

    fn end(&mut self, ri: usize) {
        if !self.clean(ri) {
            self.failed.push(ri);
        }
        (self.progress)(Progress {
            phase: Phase::Checking,
            done: ri as u64 + 1,
            total: self.table.rows.len() as u64,
        });
    }

    /// The check done: [`Checked::finish`] saves the valid rows or refuses the sheet.
    fn checked(self, skip_invalid: bool) -> Checked<'a> {
        Checked {
            table: self.table,
            problems: self.problems,
            failed: self.failed,
            unchanged: self.unchanged,
            skip_invalid,
        }
    }
}

/// Rows after the first with the same key (`key` of the row's cells) are named in column
/// `col` with `repeat(n)` (`n` the first row's number).
fn repeated_keys<K: std::hash::Hash + Eq>(
    t: &Table,
    col: usize,
    key: impl Fn(&[String]) -> Option<K>,
    repeat: impl Fn(u32) -> Invalid,
) -> Vec<Problem> {
    let mut first: HashMap<K, u32> = HashMap::new();
    let mut out = Vec::new();
    for (ri, row) in t.rows.iter().enumerate() {
        let Some(k) = key(&row.cells) else {
            continue;
        };
        match first.get(&k) {
            Some(n) => out.push(Problem::new(0, ri, Some(col), repeat(*n))),
            None => {
                first.insert(k, row.number);
            }
        }
    }
    out
}

/// A workbook of one import sheet checked by [`RowCheck`] (`rows` in its column order) and its
/// instructions: `notes`, numbered from 1, then the checking note.
fn one_sheet_workbook(
    spec: &'static SheetSpec,
    title: &str,
    notes: &[&str],
    rows: &[Vec<String>],
) -> Result<Vec<u8>, XlsxError> {
    let mut wb = Workbook::new();
    write_spec_sheet(&mut wb, spec, spec.name, rows, &[], &HashSet::new())?;
    let last = format!("{}. {ROW_CHECK_NOTE}", notes.len() + 1);
    let all: Vec<&str> = notes.iter().copied().chain([last.as_str()]).collect();
    write_instructions(&mut wb, title, &all, &[spec])?;
    wb.save_to_buffer()
}

/// Every page of a list, in order (the exports).
async fn all_pages<T, F, Fut>(mut page: F) -> Result<Vec<T>>
where
    F: FnMut(PageRequest) -> Fut,
    Fut: std::future::Future<Output = Result<lianjian_store::Page<T>>>,
{
    let mut out = Vec::new();
    for n in 1.. {
        let p = page(PageRequest::new(Some(n), Some(PageRequest::MAX_PER_PAGE))).await?;
        let last = (p.items.len() as u64) < p.per_page;
        out.extend(p.items);
        if last {
            break;
        }
    }
    Ok(out)
}

/// The members a list shows (its filters, the actor's scope), in the import layout, so that
/// export → edit → import round-trips.
pub async fn export_inspectors(
    svc: &Services,
    actor: &Actor,
    q: &InspectorQuery,
) -> Result<Vec<u8>> {
    let mut rows: Vec<Vec<String>> = Vec::new();
    let mut page = 1;
    loop {
        let p = inspectors::list(
            svc,
            actor,
            q,
            PageRequest::new(Some(page), Some(PageRequest::MAX_PER_PAGE)),
        )
        .await?;
        for v in &p.items {
            let i = &v.inspector;
            rows.push(vec![
                i.certificate_number.clone(),
                i.name.clone(),
                v.department_name.clone(),
                i.region_code.to_string(),
                i.kind.label_zh().to_string(),
                i.status.label_zh().to_string(),
                i.qualifications.join("、"),
                i.phone.clone().unwrap_or_default(),
            ]);
        }
        too_many(INSPECTOR_SHEET, rows.len())?;
        if (p.items.len() as u64) < p.per_page {
            break;
        }
        page += 1;
    }
    let departments = inspector_departments(svc, actor).await?;
    Ok(inspector_workbook(&rows, &departments).expect("export rows are well-formed"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn letters_and_headers() {
        assert_eq!(column_letter(0), "A");
        assert_eq!(column_letter(25), "Z");
        assert_eq!(column_letter(26), "AA");
        assert_eq!(column_letter(701), "ZZ");
        assert_eq!(column_letter(702), "AAA");
        assert_eq!(ENTITY_SPEC.column_of(" 统一社会信用代码 * "), Some(E_USCI));
        assert_eq!(ENTITY_SPEC.column_of("住所(经营场所)"), Some(E_ADDRESS));
        assert_eq!(ENTITY_SPEC.column_of("许可证有效期止＊"), Some(E_LIC_TO));
        assert_eq!(ENTITY_SPEC.column_of("备注"), None);
    }

    #[test]
    fn cooperating_parts() {
        assert_eq!(
            split_parts("a", 2),
            Some(vec!["a".to_string(), "a".to_string()])
        );
        assert_eq!(
            split_parts("a\nb", 2),
            Some(vec!["a".to_string(), "b".to_string()])
        );
        assert_eq!(split_parts("a\nb\nc", 2), None);
        assert_eq!(split_parts("a\nb", 1), Some(vec!["a\nb".to_string()]));
    }

    #[test]
    fn templates_read_back_empty() {
        let (rows, errors) = read_entities(&entity_template()).unwrap();
        assert!(rows.is_empty() && errors.is_empty());
        let (rows, errors) = read_items(&item_template()).unwrap();
        assert!(rows.is_empty() && errors.is_empty());
        assert!(matches!(
            read_entities(b"not a spreadsheet"),
            Err(FileError::NotXlsx { .. })
        ));
        assert!(matches!(
            read_entities(&item_template()),
            Err(FileError::MissingSheet { .. })
        ));
    }
}
