//! Reading an uploaded workbook without trusting it. An xlsx file is a zip of XML parts, and
//! both layers can be made to cost far more than the file's size: a 2 KB sheet with one cell at
//! XFD1048576 made the previous reader allocate the whole bounding box (512 GiB, an abort no
//! panic catcher stops), and a deflate bomb of 2 MB inflates to gigabytes. So every limit below
//! is checked *before* the memory it guards is taken:
//!
//! 1. the package: at most [`Limits::max_parts`] parts, each inflated by a counting reader
//!    (the sizes the zip directory declares can lie) to at most its limit, all together to at
//!    most [`Limits::max_inflated_bytes`]; shared strings, which the reader keeps in memory,
//!    have a lower limit than sheets, which it streams;
//! 2. the sheet: cells are streamed one by one (never a bounding-box range), each cell's
//!    position checked against the row and column limits, and the number of cells and the
//!    total of their text counted as they arrive.
//!
//! A refusal is a [`FileError::TooLarge`] that names the limit, its value and where it was
//! crossed (the part, or the cell such as `XFD1048576`). The limits are documented in
//! `docs/exchange.md`.

use std::collections::BTreeMap;
use std::io::{Cursor, Read};

use calamine::{Data, Reader, Xlsx};

use super::{FileError, column_letter};

/// What an uploaded workbook may cost. [`LIMITS`] are the ones in force.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Parts (files) in the zip package; a workbook from Excel or WPS has about 10–30.
    pub max_parts: usize,
    /// Inflated size of one worksheet part (streamed: costs time, not memory).
    pub max_sheet_bytes: u64,
    /// Inflated size of the shared-strings part (held in memory while reading).
    pub max_shared_strings_bytes: u64,
    /// Inflated size of any other part (workbook, styles, relationships …).
    pub max_other_part_bytes: u64,
    /// Inflated size of all parts together.
    pub max_inflated_bytes: u64,
    /// Rows of a sheet, header included (Excel's own limit).
    pub max_rows: u32,
    /// Columns of a sheet; the templates use fewer than 40.
    pub max_columns: u32,
    /// Non-empty cells of a sheet.
    pub max_cells: u64,
    /// Bytes of text of all non-empty cells of a sheet, as read.
    pub max_text_bytes: u64,
}

pub const LIMITS: Limits = Limits {
    max_parts: 1_000,
    max_sheet_bytes: 512 << 20,
    max_shared_strings_bytes: 128 << 20,
    max_other_part_bytes: 16 << 20,
    max_inflated_bytes: 1 << 30,
    max_rows: 1_048_576,
    max_columns: 256,
    max_cells: 5_000_000,
    max_text_bytes: 256 << 20,
};

/// Which limit a file crossed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Limit {
    Parts,
    PartSize,
    InflatedSize,
    Rows,
    Columns,
    Cells,
    Text,
}

impl Limit {
    pub fn label_zh(self) -> &'static str {
        match self {
            Limit::Parts => "压缩包内文件数",
            Limit::PartSize => "单个部件解压后大小",
            Limit::InflatedSize => "解压后总大小",
            Limit::Rows => "行数",
            Limit::Columns => "列数",
            Limit::Cells => "非空单元格数",
            Limit::Text => "单元格文字总量",
        }
    }

    pub fn label_en(self) -> &'static str {
        match self {
            Limit::Parts => "parts in the package",
            Limit::PartSize => "inflated size of one part",
            Limit::InflatedSize => "inflated size of all parts",
            Limit::Rows => "rows",
            Limit::Columns => "columns",
            Limit::Cells => "non-empty cells",
            Limit::Text => "total text of the cells",
        }
    }

    /// Whether the limit's value is a number of bytes (shown in MiB).
    pub fn is_bytes(self) -> bool {
        matches!(self, Limit::PartSize | Limit::InflatedSize | Limit::Text)
    }
}

fn too_large(limit: Limit, value: u64, at: impl Into<String>) -> FileError {
    FileError::TooLarge {
        limit,
        value,
        at: at.into(),
    }
}

fn part_limit(name: &str, limits: &Limits) -> u64 {
    let lower = name.to_ascii_lowercase();
    if lower.starts_with("xl/worksheets/") {
        limits.max_sheet_bytes
    } else if lower == "xl/sharedstrings.xml" {
        limits.max_shared_strings_bytes
    } else {
        limits.max_other_part_bytes
    }
}

/// Inflates every part through a counter, stopping at the first limit crossed. Runs before the
/// workbook reader sees the file, so that what it later holds in memory is bounded.
pub fn check_package(bytes: &[u8], limits: &Limits) -> Result<(), FileError> {
    let not_xlsx = |e: &dyn std::fmt::Display| FileError::NotXlsx {
        detail: e.to_string(),
    };
    let mut zip = zip::ZipArchive::new(Cursor::new(bytes)).map_err(|e| not_xlsx(&e))?;
    if zip.len() > limits.max_parts {
        return Err(too_large(
            Limit::Parts,
            limits.max_parts as u64,
            format!("{}", zip.len()),
        ));
    }
    let mut total = 0u64;
    let mut buf = vec![0u8; 64 << 10];
    for i in 0..zip.len() {
        let mut part = zip.by_index(i).map_err(|e| not_xlsx(&e))?;
        let name = part.name().map_err(|e| not_xlsx(&e))?.to_string();
        let limit = part_limit(&name, limits);
        let mut size = 0u64;
        loop {
            let n = part.read(&mut buf).map_err(|e| not_xlsx(&e))?;
            if n == 0 {
                break;
            }
            size += n as u64;
            total += n as u64;
            if size > limit {
                return Err(too_large(Limit::PartSize, limit, name));
            }
            if total > limits.max_inflated_bytes {
                return Err(too_large(
                    Limit::InflatedSize,
                    limits.max_inflated_bytes,
                    name,
                ));
            }
        }
    }
    Ok(())
}

/// Opens a workbook whose package passed [`check_package`].
pub fn open<'a>(bytes: &'a [u8], limits: &Limits) -> Result<Xlsx<Cursor<&'a [u8]>>, FileError> {
    check_package(bytes, limits)?;
    Xlsx::new(Cursor::new(bytes)).map_err(|e| FileError::NotXlsx {
        detail: e.to_string(),
    })
}

/// The non-empty cells of a sheet, by 0-based row, each row's cells by 0-based column.
pub struct SheetCells {
    pub rows: BTreeMap<u32, Vec<(u32, Data)>>,
}

impl SheetCells {
    /// The first row and column holding a value.
    pub fn start(&self) -> (u32, u32) {
        let r0 = self.rows.keys().next().copied().unwrap_or(0);
        let c0 = self
            .rows
            .values()
            .filter_map(|r| r.iter().map(|(c, _)| *c).min())
            .min()
            .unwrap_or(0);
        (r0, c0)
    }
}

/// Bytes a value holds as text (for the text budget).
fn text_bytes(d: &Data) -> u64 {
    match d {
        Data::String(s) | Data::DateTimeIso(s) | Data::DurationIso(s) => s.len() as u64,
        _ => 8,
    }
}

/// Streams a sheet's cells, refusing at the first cell past a limit.
pub fn read_cells(
    wb: &mut Xlsx<Cursor<&[u8]>>,
    sheet: &str,
    limits: &Limits,
) -> Result<SheetCells, FileError> {
    let not_xlsx = |e: calamine::XlsxError| FileError::NotXlsx {
        detail: e.to_string(),
    };
    let mut reader = wb.worksheet_cells_reader(sheet).map_err(not_xlsx)?;
    let mut rows: BTreeMap<u32, Vec<(u32, Data)>> = BTreeMap::new();
    let (mut cells, mut text) = (0u64, 0u64);
    while let Some(cell) = reader.next_cell().map_err(not_xlsx)? {
        let (r, c) = cell.get_position();
        let at = || format!("{}{}", column_letter(c), u64::from(r) + 1);
        if r >= limits.max_rows {
            return Err(too_large(Limit::Rows, limits.max_rows.into(), at()));
        }
        if c >= limits.max_columns {
            return Err(too_large(Limit::Columns, limits.max_columns.into(), at()));
        }
        let value = Data::from(cell.get_value().clone());
        if value == Data::Empty {
            continue;
        }
        cells += 1;
        if cells > limits.max_cells {
            return Err(too_large(Limit::Cells, limits.max_cells, at()));
        }
        text += text_bytes(&value);
        if text > limits.max_text_bytes {
            return Err(too_large(Limit::Text, limits.max_text_bytes, at()));
        }
        rows.entry(r).or_default().push((c, value));
    }
    for r in rows.values_mut() {
        // Stream order is column order in files Excel writes; others are sorted here, and a
        // column given twice keeps its last value, as Excel would show it.
        r.sort_by_key(|(c, _)| *c);
        r.dedup_by(|later, earlier| {
            if later.0 == earlier.0 {
                std::mem::swap(later, earlier);
                true
            } else {
                false
            }
        });
    }
    Ok(SheetCells { rows })
}
