//! Working-day calendar page (工作日历): a year's public holidays and make-up workdays as a
//! month grid and a list, kept by system administrators and provincial coordination offices
//! (add, remove after confirmation, CSV import), and a deadline calculator for everyone.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::{Datelike, NaiveDate};
use lianjian_domain::calendar::{
    CalendarDay, DayKind, MAX_WORKING_DAYS, WorkingDayCalendar, weekday_zh,
};
use lianjian_services::accounts::SessionAuth;
use lianjian_services::{ServiceError, calendar};
use serde::Deserialize;

use super::{Chrome, ConsoleError, CsrfForm, form_errors, local, render, see_other};
use crate::AppState;
use crate::api::params::today;
use crate::extract::Console;

pub struct Row {
    date: String,
    weekday: &'static str,
    holiday: bool,
    kind_label: &'static str,
    name: String,
    updated_by: String,
    updated_at: String,
}

/// One cell of a month grid; `day == 0` pads the first and last week.
pub struct Cell {
    day: u32,
    /// `holiday` (放假) | `workday` (调休上班) | `weekend` | `` (ordinary working day)
    class: &'static str,
    title: String,
}

pub struct Month {
    month: u32,
    weeks: Vec<Vec<Cell>>,
}

pub struct DeadlineView {
    from: String,
    n: u32,
    due: String,
    due_weekday: &'static str,
    uncovered: String,
}

#[derive(Template)]
#[template(path = "console/calendar.html")]
struct Page {
    c: Chrome,
    year: i32,
    years: Vec<i32>,
    covered: bool,
    rows: Vec<Row>,
    months: Vec<Month>,
    can_maintain: bool,
    error: Option<String>,
    /// Values of the add form and the import box, kept when they are refused.
    form_date: String,
    form_kind: String,
    form_name: String,
    csv: String,
    calc_from: String,
    calc_n: String,
    calc_error: Option<String>,
    deadline: Option<DeadlineView>,
}

fn months(cal: &WorkingDayCalendar, year: i32) -> Vec<Month> {
    (1..=12)
        .filter_map(|m| {
            let first = NaiveDate::from_ymd_opt(year, m, 1)?;
            let mut weeks = Vec::new();
            let mut week: Vec<Cell> = (0..first.weekday().num_days_from_monday())
                .map(|_| Cell {
                    day: 0,
                    class: "",
                    title: String::new(),
                })
                .collect();
            for d in first.iter_days().take_while(|d| d.month() == m) {
                let listed = cal.day(d);
                let class = match listed.map(|x| x.kind) {
                    Some(DayKind::Holiday) => "holiday",
                    Some(DayKind::Workday) => "workday",
                    None if !cal.is_working_day(d) => "weekend",
                    None => "",
                };
                let title = listed
                    .map(|x| format!("{} {}（{}）", d, x.name, x.kind.label()))
                    .unwrap_or_else(|| format!("{} {}", d, weekday_zh(d)));
                week.push(Cell {
                    day: d.day(),
                    class,
                    title,
                });
                if week.len() == 7 {
                    weeks.push(std::mem::take(&mut week));
                }
            }
            if !week.is_empty() {
                while week.len() < 7 {
                    week.push(Cell {
                        day: 0,
                        class: "",
                        title: String::new(),
                    });
                }
                weeks.push(week);
            }
            Some(Month { month: m, weeks })
        })
        .collect()
}

fn this_year() -> i32 {
    today()[..4].parse().expect("a year")
}

fn parse_year(s: Option<&str>) -> i32 {
    s.and_then(|y| y.trim().parse::<i32>().ok())
        .filter(|y| (1949..=9999).contains(y))
        .unwrap_or_else(this_year)
}

#[derive(Default)]
struct Extra {
    notice: Option<String>,
    error: Option<String>,
    form: Option<(String, String, String)>,
    csv: String,
    calc: Option<(String, String)>,
}

async fn page(
    st: &AppState,
    s: &SessionAuth,
    year: i32,
    x: Extra,
) -> Result<Response, ConsoleError> {
    let svc = &st.svc;
    let (cal, listed, mut years) = async {
        Ok::<_, ServiceError>((
            calendar::current(svc).await?,
            calendar::list(svc, year).await?,
            calendar::years(svc).await?,
        ))
    }
    .await?;
    for y in [year - 1, year, year + 1, this_year()] {
        if !years.contains(&y) {
            years.push(y);
        }
    }
    years.sort();
    let rows = listed
        .into_iter()
        .map(|d| Row {
            date: d.day.date.to_string(),
            weekday: weekday_zh(d.day.date),
            holiday: d.day.kind == DayKind::Holiday,
            kind_label: d.day.kind.label(),
            name: d.day.name,
            updated_by: d.updated_by,
            updated_at: local(&d.updated_at),
        })
        .collect();
    let (calc_from, calc_n) = x.calc.unwrap_or_default();
    let mut calc_error = None;
    let mut deadline = None;
    if !calc_from.is_empty() || !calc_n.is_empty() {
        match (
            NaiveDate::parse_from_str(calc_from.trim(), "%Y-%m-%d"),
            calc_n.trim().parse::<u32>(),
        ) {
            (Ok(from), Ok(n)) if n <= MAX_WORKING_DAYS => {
                let d = calendar::deadline_on(&cal, from, n);
                deadline = Some(DeadlineView {
                    from: from.to_string(),
                    n,
                    due: d.due.to_string(),
                    due_weekday: weekday_zh(d.due),
                    uncovered: d
                        .uncovered_years
                        .iter()
                        .map(|y| format!("{y}年"))
                        .collect::<Vec<_>>()
                        .join("、"),
                });
            }
            (Err(_), _) => calc_error = Some(format!("起算日期“{calc_from}”无效，应为 YYYY-MM-DD")),
            _ => {
                calc_error = Some(format!(
                    "工作日数“{calc_n}”无效，应为 0–{MAX_WORKING_DAYS} 的整数"
                ))
            }
        }
    }
    let mut c = Chrome::new(svc, s, "calendar").await;
    c.notice = x.notice;
    let status = if x.error.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    let (form_date, form_kind, form_name) = x.form.unwrap_or_default();
    Ok((
        status,
        render(Page {
            year,
            years,
            covered: cal.covers(year),
            rows,
            months: months(&cal, year),
            can_maintain: calendar::may_maintain(&s.actor),
            error: x.error,
            form_date,
            form_kind,
            form_name,
            csv: x.csv,
            calc_from,
            calc_n,
            calc_error,
            deadline,
            c,
        }),
    )
        .into_response())
}

#[derive(Deserialize)]
pub struct PageQuery {
    year: Option<String>,
    from: Option<String>,
    n: Option<String>,
    ok: Option<String>,
    added: Option<usize>,
    changed: Option<usize>,
    unchanged: Option<usize>,
}

pub async fn list(
    State(st): State<AppState>,
    Console(s): Console,
    Query(q): Query<PageQuery>,
) -> Result<Response, ConsoleError> {
    let notice = match q.ok.as_deref() {
        Some("saved") => Some("已保存。".to_string()),
        Some("removed") => Some("已删除，该日期恢复按周末规则计算。".to_string()),
        Some("imported") => Some(format!(
            "导入完成：新增 {} 天，修改 {} 天，未变 {} 天。",
            q.added.unwrap_or(0),
            q.changed.unwrap_or(0),
            q.unchanged.unwrap_or(0)
        )),
        _ => None,
    };
    let year = parse_year(q.year.as_deref());
    let calc = (q.from.is_some() || q.n.is_some())
        .then(|| (q.from.unwrap_or_default(), q.n.unwrap_or_default()));
    page(
        &st,
        &s,
        year,
        Extra {
            notice,
            calc,
            ..Default::default()
        },
    )
    .await
}

#[derive(Deserialize)]
pub struct DayForm {
    #[serde(default)]
    date: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    name: String,
}

pub async fn set(
    State(st): State<AppState>,
    Console(s): Console,
    CsrfForm(f): CsrfForm<DayForm>,
) -> Result<Response, ConsoleError> {
    let form = (f.date.clone(), f.kind.clone(), f.name.clone());
    let parsed = NaiveDate::parse_from_str(f.date.trim(), "%Y-%m-%d")
        .map_err(|_| format!("日期“{}”无效，应为 YYYY-MM-DD", f.date))
        .and_then(|date| {
            DayKind::parse(&f.kind)
                .map(|kind| (date, kind))
                .map_err(|e| e.zh)
        });
    let year_of_form = parsed
        .as_ref()
        .map(|(d, _)| d.year())
        .unwrap_or_else(|_| this_year());
    let refused = |error: String| Extra {
        error: Some(error),
        form: Some(form.clone()),
        ..Default::default()
    };
    let (date, kind) = match parsed {
        Ok(v) => v,
        Err(e) => return page(&st, &s, year_of_form, refused(e)).await,
    };
    let day = CalendarDay {
        date,
        kind,
        name: f.name,
    };
    match calendar::set_day(&st.svc, &s.actor, day).await {
        Ok(_) => Ok(see_other(&format!(
            "/console/calendar?year={}&ok=saved",
            date.year()
        ))),
        Err(e) => {
            let errs = form_errors(e)?;
            let msg = errs.into_values().next().unwrap_or_default();
            page(&st, &s, date.year(), refused(msg)).await
        }
    }
}

pub async fn remove(
    State(st): State<AppState>,
    Console(s): Console,
    Path(date): Path<String>,
    _: CsrfForm,
) -> Result<Response, ConsoleError> {
    let Ok(date) = NaiveDate::parse_from_str(&date, "%Y-%m-%d") else {
        return Err(ConsoleError::not_found());
    };
    calendar::remove_day(&st.svc, &s.actor, date).await?;
    Ok(see_other(&format!(
        "/console/calendar?year={}&ok=removed",
        date.year()
    )))
}

#[derive(Deserialize)]
pub struct ImportForm {
    #[serde(default)]
    csv: String,
    #[serde(default)]
    year: String,
}

pub async fn import(
    State(st): State<AppState>,
    Console(s): Console,
    CsrfForm(f): CsrfForm<ImportForm>,
) -> Result<Response, ConsoleError> {
    let year = parse_year(Some(&f.year));
    match calendar::import_csv(&st.svc, &s.actor, &f.csv).await {
        Ok(r) => Ok(see_other(&format!(
            "/console/calendar?year={year}&ok=imported&added={}&changed={}&unchanged={}",
            r.added, r.changed, r.unchanged
        ))),
        Err(e) => {
            let errs = form_errors(e)?;
            let msg = errs.into_values().next().unwrap_or_default();
            let x = Extra {
                error: Some(format!("导入失败，未做任何修改：{msg}")),
                csv: f.csv,
                ..Default::default()
            };
            page(&st, &s, year, x).await
        }
    }
}
