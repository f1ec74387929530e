//! Plain xlsx tables for list exports (users, departments, audit entries, plans, results …)
//! and the cell formats the import templates share. Kept apart from [`crate::exchange`] (the
//! import/export of the directory and the item list) so that the capabilities that export a
//! list do not depend on the exchange, which itself depends on them.

use std::collections::HashMap;

use lianjian_domain::region::RegionCode;
use rust_xlsxwriter::{Color, Format, Workbook, Worksheet, XlsxError};

use crate::{Result, Services};

/// Data rows an Excel sheet holds below its header row.
pub(crate) const MAX_DATA_ROWS: usize = 1_048_575;
/// Longest text a cell holds.
const MAX_CELL_CHARS: usize = 32_767;

pub(crate) fn text_format() -> Format {
    Format::new().set_num_format("@")
}

pub(crate) fn header_format(required: bool) -> Format {
    let f = Format::new()
        .set_bold()
        .set_num_format("@")
        .set_background_color(Color::RGB(0xDDEBF7))
        .set_text_wrap();
    if required {
        f.set_font_color(Color::RGB(0xC00000))
    } else {
        f
    }
}

pub(crate) fn clip(s: &str) -> &str {
    match s.char_indices().nth(MAX_CELL_CHARS) {
        Some((i, _)) => &s[..i],
        None => s,
    }
}

/// Display width of text: CJK and other wide characters count twice.
fn display_width(s: &str) -> usize {
    s.chars()
        .map(|c| if (c as u32) < 0x1100 { 1 } else { 2 })
        .sum()
}

/// At most this many rows leave in one list export ([`export_rows`]).
pub(crate) const MAX_EXPORT_ROWS: usize = 100_000;

/// A list as an export's rows: every page of it, fetched `PageRequest::MAX_PER_PAGE` items at a
/// time, each item made a row of `columns` cells by `row`; cut at [`MAX_EXPORT_ROWS`] with a
/// last row that says so.
pub(crate) async fn export_rows<T, F, Fut>(
    columns: usize,
    mut fetch: F,
    row: impl Fn(T) -> Vec<String>,
) -> Result<Vec<Vec<String>>>
where
    F: FnMut(lianjian_store::PageRequest) -> Fut,
    Fut: std::future::Future<Output = Result<lianjian_store::Page<T>>>,
{
    use lianjian_store::PageRequest;
    let mut rows: Vec<Vec<String>> = Vec::new();
    let mut page = 1;
    let mut more = false;
    loop {
        let p = fetch(PageRequest::new(
            Some(page),
            Some(PageRequest::MAX_PER_PAGE),
        ))
        .await?;
        let n = p.items.len() as u64;
        rows.extend(p.items.into_iter().map(&row));
        if rows.len() >= MAX_EXPORT_ROWS {
            more = p.total as usize > MAX_EXPORT_ROWS;
            break;
        }
        if n < p.per_page {
            break;
        }
        page += 1;
    }
    if more {
        rows.truncate(MAX_EXPORT_ROWS);
        let mut note = vec![String::new(); columns.max(1)];
        note[0] = format!("仅导出前 {MAX_EXPORT_ROWS} 条，请缩小筛选范围");
        rows.push(note);
    }
    Ok(rows)
}

/// A plain table for any list view: a bold header row, text cells, sensible widths. Rows beyond
/// one sheet's capacity continue on sheets named `name (2)`, `name (3)` ….
pub fn xlsx_table(sheet_name: &str, headers: &[&str], rows: Vec<Vec<String>>) -> Vec<u8> {
    let base = sheet_title(sheet_name);
    let mut widths: Vec<usize> = headers.iter().map(|h| display_width(h)).collect();
    for r in rows.iter().take(500) {
        for (j, v) in r.iter().enumerate() {
            if j < widths.len() {
                widths[j] = widths[j].max(display_width(v));
            }
        }
    }
    let build = || -> Result<Vec<u8>, XlsxError> {
        let mut wb = Workbook::new();
        let text = text_format();
        let head = header_format(false);
        let chunks: Vec<&[Vec<String>]> = if rows.is_empty() {
            vec![&rows[..]]
        } else {
            rows.chunks(MAX_DATA_ROWS).collect()
        };
        for (k, chunk) in chunks.iter().enumerate() {
            let ws: &mut Worksheet = wb.add_worksheet();
            ws.set_name(if k == 0 {
                base.clone()
            } else {
                sheet_title(&format!("{base} ({})", k + 1))
            })?;
            for (j, h) in headers.iter().enumerate() {
                ws.write_string_with_format(0, j as u16, clip(h), &head)?;
                ws.set_column_width(j as u16, (widths[j] + 2).clamp(6, 60) as f64)?;
            }
            ws.set_freeze_panes(1, 0)?;
            for (i, r) in chunk.iter().enumerate() {
                for (j, v) in r.iter().enumerate() {
                    if !v.is_empty() {
                        ws.write_string_with_format((i + 1) as u32, j as u16, clip(v), &text)?;
                    }
                }
            }
        }
        wb.save_to_buffer()
    };
    build().expect("sheet names and cell texts are sanitised")
}

/// A valid sheet name: at most 31 characters, none of `[]:*?/\`, not blank.
fn sheet_title(s: &str) -> String {
    let t: String = s
        .chars()
        .filter(|c| !"[]:*?/\\".contains(*c))
        .take(31)
        .collect();
    let t = t.trim().trim_matches('\'').to_string();
    if t.is_empty() { "Sheet1".into() } else { t }
}

/// A time in list exports: Beijing time, as staff read it on the pages, to the second.
pub(crate) fn beijing_time(t: &chrono::DateTime<chrono::Utc>) -> String {
    let bj = chrono::FixedOffset::east_opt(8 * 3600).expect("valid offset");
    t.with_timezone(&bj).format("%Y-%m-%d %H:%M:%S").to_string()
}

/// Region names for list exports ("河南省 / 漯河市 / 舞阳县"), one look-up per distinct code;
/// a code that does not parse or is unknown stands for itself.
pub(crate) async fn region_names(
    svc: &Services,
    mut codes: Vec<String>,
) -> Result<HashMap<String, String>> {
    codes.sort_unstable();
    codes.dedup();
    let mut out = HashMap::new();
    for code in codes {
        let name = match RegionCode::parse(&code) {
            Ok(r) => lianjian_store::regions::path_name(svc.store.conn(), &r).await?,
            Err(_) => code.clone(),
        };
        out.insert(code, name);
    }
    Ok(out)
}
