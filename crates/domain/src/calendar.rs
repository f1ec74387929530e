//! The working-day calendar (工作日历): which dates are working days (工作日) for deadlines
//! counted in working days — rectification orders (责令整改通知书) and the 20-working-day
//! publication of inspection results (国办发〔2019〕5号: 抽查检查结果在20个工作日内向社会公示).
//!
//! Monday to Friday are working days, except the public holidays (法定节假日, 放假) that the
//! State Council's yearly notice (国务院办公厅关于XXXX年部分节假日安排的通知) lists; the make-up
//! workdays (调休上班) that notice lists are working days although they fall on a weekend.
//! Built-in data: the notices for 2025 and 2026 in `data/holidays/`, one row per day named.
//!
//! Counting rule (see `docs/calendar.md`): a period counted in working days starts the day after
//! the event — the start day is never counted (《民法典》第二百零一条: 按照年、月、日计算期间的,
//! 开始的当日不计入, 自下一日开始计算; 《民事诉讼法》第七章第一节 期间: 期间开始的时和日,
//! 不计算在期间内) — and only working days are counted (《行政处罚法》第八十五条:
//! "二日""三日""五日""七日"的规定是指工作日, 不含法定节假日; 《行政许可法》第八十二条:
//! 期限以工作日计算, 不含法定节假日). The deadline is the last counted day, which is always a
//! working day, so the rule that a deadline falling on a holiday moves to the next working day
//! never applies.

use std::collections::BTreeMap;
use std::fmt;

use chrono::{Datelike, NaiveDate, Weekday};
use serde::{Deserialize, Serialize};

use crate::Invalid;
use crate::error::bounded_text;

/// What a listed date is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DayKind {
    /// 放假: no work, even on a weekday.
    Holiday,
    /// 调休上班: work, even on a weekend.
    Workday,
}

impl DayKind {
    pub fn as_str(self) -> &'static str {
        match self {
            DayKind::Holiday => "holiday",
            DayKind::Workday => "workday",
        }
    }

    /// The one-character mark the notices and the CSV files use.
    pub fn mark(self) -> &'static str {
        match self {
            DayKind::Holiday => "休",
            DayKind::Workday => "班",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            DayKind::Holiday => "放假",
            DayKind::Workday => "调休上班",
        }
    }

    /// `休`/`班` (as in the notices) or `holiday`/`workday`.
    pub fn parse(s: &str) -> Result<Self, Invalid> {
        match s.trim() {
            "休" | "holiday" | "放假" => Ok(DayKind::Holiday),
            "班" | "workday" | "上班" | "调休上班" => Ok(DayKind::Workday),
            other => Err(Invalid::new(
                "invalid_day_kind",
                format!("类型“{other}”无效，应为 休 或 班（holiday / workday）"),
                format!("kind '{other}' is invalid: use 休 or 班 (holiday / workday)"),
            )),
        }
    }
}

impl fmt::Display for DayKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One listed date: a public holiday or a make-up workday, with the festival it belongs to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CalendarDay {
    pub date: NaiveDate,
    pub kind: DayKind,
    /// The festival, e.g. 春节, 国庆节 (a make-up workday carries the festival it pays for).
    pub name: String,
}

/// Festival name, 1–20 characters.
pub fn day_name(s: &str) -> Result<String, Invalid> {
    bounded_text(s, 1, 20, "节日名称", "holiday name")
}

fn is_weekend(d: NaiveDate) -> bool {
    matches!(d.weekday(), Weekday::Sat | Weekday::Sun)
}

impl CalendarDay {
    /// Checks the name and that a make-up workday falls on a weekend: a 调休上班 day on a
    /// weekday changes nothing and is almost certainly a typing error. (A holiday on a weekend
    /// is fine: the notices give ranges such as 10月1日至7日 that include the weekend.)
    pub fn checked(self) -> Result<Self, Invalid> {
        let name = day_name(&self.name)?;
        if self.kind == DayKind::Workday && !is_weekend(self.date) {
            return Err(Invalid::new(
                "workday_not_weekend",
                format!(
                    "{} 是{}，调休上班日应为周六或周日",
                    self.date,
                    weekday_zh(self.date)
                ),
                format!(
                    "{} is a {:?}: a make-up workday must be a Saturday or Sunday",
                    self.date,
                    self.date.weekday()
                ),
            ));
        }
        Ok(Self { name, ..self })
    }
}

/// 周一 … 周日.
pub fn weekday_zh(d: NaiveDate) -> &'static str {
    ["周一", "周二", "周三", "周四", "周五", "周六", "周日"]
        [d.weekday().num_days_from_monday() as usize]
}

/// Working days: Monday–Friday, minus listed holidays, plus listed make-up workdays.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WorkingDayCalendar {
    days: BTreeMap<NaiveDate, CalendarDay>,
}

impl WorkingDayCalendar {
    /// A calendar of the listed days. A date listed twice is an error naming the date, as is a
    /// day that fails [`CalendarDay::checked`].
    pub fn new(days: impl IntoIterator<Item = CalendarDay>) -> Result<Self, Invalid> {
        let mut map = BTreeMap::new();
        for d in days {
            let d = d.checked()?;
            if map.contains_key(&d.date) {
                return Err(Invalid::new(
                    "duplicate_date",
                    format!("日期 {} 重复列出", d.date),
                    format!("date {} is listed twice", d.date),
                ));
            }
            map.insert(d.date, d);
        }
        Ok(Self { days: map })
    }

    /// The built-in arrangements ([`BUILTIN_YEARS`]).
    pub fn builtin() -> Self {
        Self::new(builtin_days()).expect("built-in holiday data is valid (tested)")
    }

    pub fn is_working_day(&self, d: NaiveDate) -> bool {
        match self.days.get(&d).map(|x| x.kind) {
            Some(DayKind::Holiday) => false,
            Some(DayKind::Workday) => true,
            None => !is_weekend(d),
        }
    }

    /// The listed entry for `d`, if any.
    pub fn day(&self, d: NaiveDate) -> Option<&CalendarDay> {
        self.days.get(&d)
    }

    /// The date that is the `n`-th working day after `start`: `start` itself is not counted
    /// (module docs: 开始的当日不计入), so `n = 0` returns `start` and for `n ≥ 1` the result is
    /// always a working day. A rectification order served on Friday 2026-02-13 with 5 working
    /// days is due on Friday 2026-02-27 (Saturday 02-14 is a make-up workday; 02-15 to 02-23
    /// is the Spring Festival holiday).
    ///
    /// Panics only if the result would lie past [`NaiveDate::MAX`] (year 262143); callers that
    /// take `n` from outside bound it (the API accepts at most [`MAX_WORKING_DAYS`]).
    pub fn add_working_days(&self, start: NaiveDate, n: u32) -> NaiveDate {
        let mut d = start;
        let mut left = n;
        while left > 0 {
            d = d
                .succ_opt()
                .expect("working-day deadline within the date range");
            if self.is_working_day(d) {
                left -= 1;
            }
        }
        d
    }

    /// Working days after `from` up to and including `to` (the same counting as
    /// [`Self::add_working_days`], so `working_days_between(s, add_working_days(s, n)) == n`);
    /// negative, with the same magnitude as the other way round, if `to < from`.
    pub fn working_days_between(&self, from: NaiveDate, to: NaiveDate) -> i64 {
        if to < from {
            return -self.working_days_between(to, from);
        }
        from.iter_days()
            .skip(1)
            .take_while(|d| *d <= to)
            .filter(|d| self.is_working_day(*d))
            .count() as i64
    }

    /// Whether the State Council's arrangement for `year` is loaded, i.e. both fixed-date
    /// statutory holidays of that year are listed: 元旦 (1月1日) and 国庆节 (10月1日), which
    /// 《全国年节及纪念日放假办法》第二条 makes holidays every year and every notice therefore
    /// lists. Counting on stray rows of a notice that spill into another year (the 2024 New
    /// Year arrangement began on 2023-12-30) would wrongly report that other year as loaded.
    /// When false, the year is counted by weekends only and the UI warns about it.
    pub fn covers(&self, year: i32) -> bool {
        let holiday = |m, d| {
            NaiveDate::from_ymd_opt(year, m, d)
                .and_then(|x| self.days.get(&x))
                .is_some_and(|x| x.kind == DayKind::Holiday)
        };
        holiday(1, 1) && holiday(10, 1)
    }

    /// Every listed day in date order.
    pub fn days(&self) -> impl Iterator<Item = &CalendarDay> {
        self.days.values()
    }

    /// The listed days of one year in date order.
    pub fn days_in_year(&self, year: i32) -> impl Iterator<Item = &CalendarDay> {
        self.days.values().filter(move |d| d.date.year() == year)
    }
}

/// The largest `n` the API and the console accept for a computed deadline: ten years of working
/// days, far beyond any legal period, small enough that a request cannot run for long.
pub const MAX_WORKING_DAYS: u32 = 2_500;

/// A CSV line that does not parse: which line (from 1, counting comments and the header),
/// which column, the value as written, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CsvError {
    pub line: usize,
    /// 1 = date, 2 = kind, 3 = name; 0 when the line as a whole is wrong.
    pub column: usize,
    pub value: String,
    pub problem: Invalid,
}

impl CsvError {
    fn column_zh(&self) -> &'static str {
        match self.column {
            1 => "第 1 列（日期）",
            2 => "第 2 列（类型）",
            3 => "第 3 列（名称）",
            _ => "",
        }
    }

    fn column_en(&self) -> &'static str {
        match self.column {
            1 => " column 1 (date)",
            2 => " column 2 (kind)",
            3 => " column 3 (name)",
            _ => "",
        }
    }

    /// One message naming line, column and value.
    pub fn to_invalid(&self) -> Invalid {
        Invalid::new(
            self.problem.code,
            format!(
                "第 {} 行{}“{}”：{}",
                self.line,
                self.column_zh(),
                self.value,
                self.problem.zh
            ),
            format!(
                "line {}{} '{}': {}",
                self.line,
                self.column_en(),
                self.value,
                self.problem.en
            ),
        )
    }
}

impl fmt::Display for CsvError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.to_invalid().fmt(f)
    }
}

impl std::error::Error for CsvError {}

/// Parses plain CSV text `date,kind,name`, one listed day a line: `date` as `YYYY-MM-DD`, `kind`
/// as `休`/`班` or `holiday`/`workday`, `name` the festival. Blank lines and lines starting with
/// `#` are skipped, as is a header line starting with `date`. A date listed twice is an error on
/// the second line. The days are also checked as [`WorkingDayCalendar::new`] checks them, so a
/// file that parses loads.
pub fn parse_csv(text: &str) -> Result<Vec<CalendarDay>, CsvError> {
    let mut out = Vec::new();
    let mut seen: BTreeMap<NaiveDate, usize> = BTreeMap::new();
    for (i, raw) in text.trim_start_matches('\u{feff}').lines().enumerate() {
        let line = i + 1;
        let l = raw.trim();
        if l.is_empty() || l.starts_with('#') || (out.is_empty() && l.starts_with("date")) {
            continue;
        }
        let cols: Vec<&str> = l.split(',').map(str::trim).collect();
        if cols.len() != 3 {
            return Err(CsvError {
                line,
                column: 0,
                value: l.to_string(),
                problem: Invalid::new(
                    "csv_columns",
                    format!("应有 3 列（日期,类型,名称），实有 {} 列", cols.len()),
                    format!("expected 3 columns (date,kind,name), found {}", cols.len()),
                ),
            });
        }
        let err = |column: usize, problem: Invalid| CsvError {
            line,
            column,
            value: cols[column - 1].to_string(),
            problem,
        };
        let date = NaiveDate::parse_from_str(cols[0], "%Y-%m-%d").map_err(|_| {
            err(
                1,
                Invalid::new(
                    "invalid_date",
                    "日期无效，应为 YYYY-MM-DD",
                    "invalid date: use YYYY-MM-DD",
                ),
            )
        })?;
        let kind = DayKind::parse(cols[1]).map_err(|e| err(2, e))?;
        let name = day_name(cols[2]).map_err(|e| err(3, e))?;
        let day = CalendarDay { date, kind, name }
            .checked()
            .map_err(|e| err(1, e))?;
        if let Some(first) = seen.insert(date, line) {
            return Err(err(
                1,
                Invalid::new(
                    "duplicate_date",
                    format!("日期重复（第 {first} 行已列出）"),
                    format!("date listed twice (already on line {first})"),
                ),
            ));
        }
        out.push(day);
    }
    Ok(out)
}

/// The built-in arrangements: year and the CSV of the State Council's notice for it.
pub const BUILTIN_YEARS: &[(i32, &str)] = &[
    // 国办发明电〔2024〕12号
    (2025, include_str!("../data/holidays/2025.csv")),
    // 国务院办公厅关于2026年部分节假日安排的通知, 2025年11月4日
    (2026, include_str!("../data/holidays/2026.csv")),
];

/// Every built-in day, in date order.
pub fn builtin_days() -> Vec<CalendarDay> {
    BUILTIN_YEARS
        .iter()
        .flat_map(|(y, text)| {
            parse_csv(text).unwrap_or_else(|e| panic!("built-in holidays {y}: {e}"))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    fn cal() -> WorkingDayCalendar {
        WorkingDayCalendar::builtin()
    }

    #[test]
    fn weekdays_work_weekends_rest_without_listed_days() {
        let c = WorkingDayCalendar::new([]).unwrap();
        assert!(c.is_working_day(d("2027-03-01"))); // Monday
        assert!(c.is_working_day(d("2027-03-05"))); // Friday
        assert!(!c.is_working_day(d("2027-03-06"))); // Saturday
        assert!(!c.is_working_day(d("2027-03-07"))); // Sunday
        assert_eq!(c.add_working_days(d("2027-03-05"), 1), d("2027-03-08"));
    }

    #[test]
    fn zero_days_is_the_start_and_the_start_is_not_counted() {
        let c = cal();
        // Saturday start, n = 0: the start itself even though it is not a working day.
        assert_eq!(c.add_working_days(d("2026-03-07"), 0), d("2026-03-07"));
        // Monday start: the first working day after it is Tuesday.
        assert_eq!(c.add_working_days(d("2026-03-02"), 1), d("2026-03-03"));
        assert_eq!(c.working_days_between(d("2026-03-02"), d("2026-03-02")), 0);
        assert_eq!(c.working_days_between(d("2026-03-02"), d("2026-03-03")), 1);
        assert_eq!(c.working_days_between(d("2026-03-03"), d("2026-03-02")), -1);
    }

    #[test]
    fn builtin_rows_match_the_notices_weekdays() {
        // The weekdays the notices print next to each date: a wrong date row would not match.
        let c = cal();
        let expect = [
            ("2025-01-01", "周三", DayKind::Holiday),
            ("2025-01-28", "周二", DayKind::Holiday),
            ("2025-02-04", "周二", DayKind::Holiday),
            ("2025-01-26", "周日", DayKind::Workday),
            ("2025-02-08", "周六", DayKind::Workday),
            ("2025-04-04", "周五", DayKind::Holiday),
            ("2025-04-06", "周日", DayKind::Holiday),
            ("2025-05-01", "周四", DayKind::Holiday),
            ("2025-05-05", "周一", DayKind::Holiday),
            ("2025-04-27", "周日", DayKind::Workday),
            ("2025-05-31", "周六", DayKind::Holiday),
            ("2025-06-02", "周一", DayKind::Holiday),
            ("2025-10-01", "周三", DayKind::Holiday),
            ("2025-10-08", "周三", DayKind::Holiday),
            ("2025-09-28", "周日", DayKind::Workday),
            ("2025-10-11", "周六", DayKind::Workday),
            ("2026-01-01", "周四", DayKind::Holiday),
            ("2026-01-03", "周六", DayKind::Holiday),
            ("2026-01-04", "周日", DayKind::Workday),
            ("2026-02-15", "周日", DayKind::Holiday),
            ("2026-02-23", "周一", DayKind::Holiday),
            ("2026-02-14", "周六", DayKind::Workday),
            ("2026-02-28", "周六", DayKind::Workday),
            ("2026-04-04", "周六", DayKind::Holiday),
            ("2026-04-06", "周一", DayKind::Holiday),
            ("2026-05-01", "周五", DayKind::Holiday),
            ("2026-05-05", "周二", DayKind::Holiday),
            ("2026-05-09", "周六", DayKind::Workday),
            ("2026-06-19", "周五", DayKind::Holiday),
            ("2026-06-21", "周日", DayKind::Holiday),
            ("2026-09-25", "周五", DayKind::Holiday),
            ("2026-09-27", "周日", DayKind::Holiday),
            ("2026-10-01", "周四", DayKind::Holiday),
            ("2026-10-07", "周三", DayKind::Holiday),
            ("2026-09-20", "周日", DayKind::Workday),
            ("2026-10-10", "周六", DayKind::Workday),
        ];
        for (date, wd, kind) in expect {
            let x = c.day(d(date)).unwrap_or_else(|| panic!("{date} listed"));
            assert_eq!(weekday_zh(x.date), wd, "{date}");
            assert_eq!(x.kind, kind, "{date}");
        }
        // The notices' totals: 放假 days per festival (ranges counted inclusively).
        let count = |y: i32, name: &str, k: DayKind| {
            c.days_in_year(y)
                .filter(|x| x.name == name && x.kind == k)
                .count()
        };
        assert_eq!(count(2025, "春节", DayKind::Holiday), 8);
        assert_eq!(count(2025, "国庆节、中秋节", DayKind::Holiday), 8);
        assert_eq!(count(2025, "劳动节", DayKind::Holiday), 5);
        assert_eq!(count(2026, "春节", DayKind::Holiday), 9);
        assert_eq!(count(2026, "国庆节", DayKind::Holiday), 7);
        assert_eq!(count(2026, "春节", DayKind::Workday), 2);
        assert_eq!(c.days_in_year(2025).count(), 33);
        assert_eq!(c.days_in_year(2026).count(), 39);
    }

    #[test]
    fn spring_festival_and_national_day_weeks_are_skipped() {
        let c = cal();
        // Friday 2026-02-13 + 5: Sat 02-14 (班) is 1, the holiday 02-15..23 is skipped,
        // Tue 02-24 .. Fri 02-27 are 2..5.
        assert_eq!(c.add_working_days(d("2026-02-13"), 5), d("2026-02-27"));
        // Sat 02-28 is a make-up workday: the 6th.
        assert_eq!(c.add_working_days(d("2026-02-13"), 6), d("2026-02-28"));
        // Wednesday 2026-09-30 + 1: 10-01..07 is National Day, the next working day is Thu 10-08.
        assert_eq!(c.add_working_days(d("2026-09-30"), 1), d("2026-10-08"));
        // 2025: Monday 2025-01-27 + 1 skips 01-28..02-04 → Wednesday 02-05.
        assert_eq!(c.add_working_days(d("2025-01-27"), 1), d("2025-02-05"));
        // 2025-09-30 + 1 skips 10-01..08 → Thursday 10-09.
        assert_eq!(c.add_working_days(d("2025-09-30"), 1), d("2025-10-09"));
    }

    #[test]
    fn make_up_saturdays_count() {
        let c = cal();
        assert!(c.is_working_day(d("2026-10-10"))); // Saturday, 班
        assert!(!c.is_working_day(d("2026-10-17"))); // ordinary Saturday
        // Friday 10-09 + 1 is the make-up Saturday 10-10.
        assert_eq!(c.add_working_days(d("2026-10-09"), 1), d("2026-10-10"));
        // Sunday 2026-01-04 is a make-up workday: New Year's Eve 2025-12-31 + 1 is that Sunday.
        assert_eq!(c.add_working_days(d("2025-12-31"), 1), d("2026-01-04"));
    }

    #[test]
    fn twenty_working_days_over_national_day_2026() {
        let c = cal();
        // A visit completed on Friday 2026-09-18: Sun 09-20 (班) counts, 09-25 (中秋节) and
        // 10-01..07 do not, Sat 10-10 (班) does.
        let due = c.add_working_days(d("2026-09-18"), 20);
        assert_eq!(due, d("2026-10-22"));
        assert_eq!(c.working_days_between(d("2026-09-18"), due), 20);
    }

    #[test]
    fn covers_needs_the_year_arrangement() {
        let c = cal();
        assert!(c.covers(2025));
        assert!(c.covers(2026));
        assert!(!c.covers(2027));
        assert!(!c.covers(2024));
        // A stray row of another year's notice does not make a year covered.
        let c = WorkingDayCalendar::new([CalendarDay {
            date: d("2023-12-30"),
            kind: DayKind::Holiday,
            name: "元旦".into(),
        }])
        .unwrap();
        assert!(!c.covers(2023));
    }

    #[test]
    fn a_date_listed_twice_is_named() {
        let day = CalendarDay {
            date: d("2026-10-01"),
            kind: DayKind::Holiday,
            name: "国庆节".into(),
        };
        let e = WorkingDayCalendar::new([day.clone(), day]).unwrap_err();
        assert_eq!(e.code, "duplicate_date");
        assert!(e.zh.contains("2026-10-01"), "{e}");
    }

    #[test]
    fn a_make_up_workday_on_a_weekday_is_refused() {
        let e = WorkingDayCalendar::new([CalendarDay {
            date: d("2026-10-09"), // Friday
            kind: DayKind::Workday,
            name: "国庆节".into(),
        }])
        .unwrap_err();
        assert_eq!(e.code, "workday_not_weekend");
        assert!(e.zh.contains("周五"), "{e}");
    }

    #[test]
    fn csv_accepts_both_kind_spellings_comments_and_header() {
        let days = parse_csv(
            "\u{feff}# comment\ndate,kind,name\n\n2027-01-01,休,元旦\n2027-02-06, workday ,春节\n2027-02-08,holiday,春节\n",
        )
        .unwrap();
        assert_eq!(days.len(), 3);
        assert_eq!(days[1].kind, DayKind::Workday);
        assert_eq!(days[2].kind, DayKind::Holiday);
    }

    #[test]
    fn csv_errors_name_line_column_and_value() {
        let e = parse_csv("date,kind,name\n2027-01-01,休,元旦\n2027-02-30,休,春节\n").unwrap_err();
        assert_eq!((e.line, e.column, e.value.as_str()), (3, 1, "2027-02-30"));
        assert!(
            e.to_invalid()
                .zh
                .starts_with("第 3 行第 1 列（日期）“2027-02-30”"),
            "{e}"
        );

        let e = parse_csv("2027-01-01,放羊,元旦").unwrap_err();
        assert_eq!((e.line, e.column, e.value.as_str()), (1, 2, "放羊"));

        let e = parse_csv("2027-01-01,休,").unwrap_err();
        assert_eq!((e.line, e.column), (1, 3));

        let e = parse_csv("2027-01-01,休").unwrap_err();
        assert_eq!((e.line, e.column, e.problem.code), (1, 0, "csv_columns"));

        let e = parse_csv("2027-01-01,休,元旦\n# x\n2027-01-01,休,元旦").unwrap_err();
        assert_eq!((e.line, e.column, e.problem.code), (3, 1, "duplicate_date"));
        assert!(e.to_invalid().zh.contains("第 1 行已列出"));
    }

    fn any_date() -> impl Strategy<Value = NaiveDate> {
        // 2024-06-01 .. 2027-06-30: across both built-in years and the unlisted years around.
        (0i64..1125).prop_map(|k| d("2024-06-01") + chrono::Duration::days(k))
    }

    proptest! {
        #[test]
        fn adding_n_then_m_is_adding_n_plus_m(s in any_date(), n in 0u32..80, m in 0u32..80) {
            let c = cal();
            prop_assert_eq!(c.add_working_days(c.add_working_days(s, n), m), c.add_working_days(s, n + m));
        }

        #[test]
        fn the_result_is_a_working_day(s in any_date(), n in 1u32..300) {
            let c = cal();
            let r = c.add_working_days(s, n);
            prop_assert!(c.is_working_day(r));
            prop_assert!(r > s);
        }

        #[test]
        fn between_inverts_add(s in any_date(), n in 0u32..300) {
            let c = cal();
            let r = c.add_working_days(s, n);
            prop_assert_eq!(c.working_days_between(s, r), n as i64);
            prop_assert_eq!(c.working_days_between(r, s), -(n as i64));
            // And no earlier date reaches n: the result is the first such date.
            if n > 0 {
                prop_assert_eq!(c.working_days_between(s, r.pred_opt().unwrap()), n as i64 - 1);
            }
        }

        #[test]
        fn between_is_additive(a in any_date(), b in any_date(), x in any_date()) {
            let c = cal();
            prop_assert_eq!(
                c.working_days_between(a, b) + c.working_days_between(b, x),
                c.working_days_between(a, x)
            );
        }
    }
}
