//! The working-day calendar (工作日历): every deadline counted in working days reads
//! [`current`]; system administrators and provincial coordination offices keep the listed
//! public holidays and make-up workdays (national data, so the same rule as the sector list:
//! [`crate::sectors::may_maintain`]).

use std::collections::BTreeSet;

use chrono::{Datelike, NaiveDate, Utc};
use lianjian_domain::calendar::{
    CalendarDay, MAX_WORKING_DAYS, WorkingDayCalendar, day_name, parse_csv,
};
use lianjian_domain::{Invalid, scope::Actor};
use lianjian_store::StoreError;
use lianjian_store::calendar::{self as repo};
use serde::Serialize;

use crate::trail::{Record, record, record_many};
use crate::{Result, ServiceError, Services};

/// A stored calendar day as this service returns it.
pub use lianjian_store::calendar::StoredDay;

/// Who may change the calendar: as for sectors, system administrators and provincial
/// coordination offices, because the holiday arrangement is one national list.
pub fn may_maintain(a: &Actor) -> bool {
    crate::sectors::may_maintain(a)
}

fn ensure_maintainer(a: &Actor) -> Result<()> {
    if may_maintain(a) {
        Ok(())
    } else {
        Err(ServiceError::Forbidden)
    }
}

/// The calendar as stored now: one query over a few dozen rows a year, so every deadline
/// computation sees a change at once without a cache to invalidate.
pub async fn current(svc: &Services) -> Result<WorkingDayCalendar> {
    let days = repo::all(svc.store.conn()).await?;
    WorkingDayCalendar::new(days.into_iter().map(|d| d.day)).map_err(|e| {
        ServiceError::internal(StoreError::Corrupt(format!("calendar_days: {}", e.en)))
    })
}

/// The date `n` working days after `from` (the start day not counted).
pub async fn add_working_days(svc: &Services, from: NaiveDate, n: u32) -> Result<NaiveDate> {
    Ok(current(svc).await?.add_working_days(from, n))
}

/// Working days after `from` up to and including `to` (negative when `to` is earlier).
pub async fn working_days_between(svc: &Services, from: NaiveDate, to: NaiveDate) -> Result<i64> {
    Ok(current(svc).await?.working_days_between(from, to))
}

/// The listed days of `year`, in date order.
pub async fn list(svc: &Services, year: i32) -> Result<Vec<StoredDay>> {
    Ok(repo::year(svc.store.conn(), year).await?)
}

/// Years with at least one listed day, ascending.
pub async fn years(svc: &Services) -> Result<Vec<i32>> {
    Ok(repo::years(svc.store.conn()).await?)
}

/// Checks a day for storing, naming the field at fault.
fn check(day: CalendarDay) -> Result<CalendarDay> {
    let name = day_name(&day.name).map_err(|e| ServiceError::field("name", e))?;
    CalendarDay { name, ..day }
        .checked()
        .map_err(|e| ServiceError::field("kind", e))
}

/// Lists a day as a holiday or a make-up workday, replacing what was listed on that date.
pub async fn set_day(svc: &Services, actor: &Actor, day: CalendarDay) -> Result<StoredDay> {
    ensure_maintainer(actor)?;
    let day = check(day)?;
    let tx = svc.store.begin().await?;
    let before = repo::get(&tx, day.date).await?;
    let after = StoredDay {
        day,
        updated_by: actor.username.clone(),
        updated_at: Utc::now(),
    };
    repo::upsert(&tx, &after).await?;
    let mut r = Record::new("calendar.set", "calendar_day", after.day.date).after(&after);
    if let Some(b) = &before {
        r = r.before(b);
    }
    record(&tx, actor, r).await?;
    tx.commit().await?;
    Ok(after)
}

/// Removes a listed day: the date goes back to its weekday rule. `NotFound` if not listed.
pub async fn remove_day(svc: &Services, actor: &Actor, date: NaiveDate) -> Result<()> {
    ensure_maintainer(actor)?;
    let tx = svc.store.begin().await?;
    let before = repo::get(&tx, date).await?.ok_or(ServiceError::NotFound)?;
    repo::delete(&tx, date).await?;
    record(
        &tx,
        actor,
        Record::new("calendar.remove", "calendar_day", date).before(&before),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// What an import did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ImportSummary {
    /// Dates not listed before.
    pub added: usize,
    /// Dates listed before with another kind or name, now replaced.
    pub changed: usize,
    /// Dates already listed exactly so.
    pub unchanged: usize,
}

/// Imports CSV text `date,kind,name` ([`parse_csv`]): all or nothing. A line that does not parse
/// fails the whole import with an error on field `file` naming the line, column and value.
/// Listed dates are added or replaced; dates the file does not list are left alone (remove them
/// one by one), so loading a corrected notice never loses another year.
pub async fn import_csv(svc: &Services, actor: &Actor, text: &str) -> Result<ImportSummary> {
    ensure_maintainer(actor)?;
    let days = parse_csv(text).map_err(|e| ServiceError::field("file", e.to_invalid()))?;
    if days.is_empty() {
        return Err(ServiceError::field(
            "file",
            Invalid::new(
                "empty_file",
                "文件中没有日期行（格式：日期,类型,名称）",
                "the file lists no days (format: date,kind,name)",
            ),
        ));
    }
    let now = Utc::now();
    let tx = svc.store.begin().await?;
    let mut summary = ImportSummary::default();
    let mut records = Vec::new();
    for day in days {
        let before = repo::get(&tx, day.date).await?;
        if before
            .as_ref()
            .is_some_and(|b| b.day.kind == day.kind && b.day.name == day.name)
        {
            summary.unchanged += 1;
            continue;
        }
        let after = StoredDay {
            day,
            updated_by: actor.username.clone(),
            updated_at: now,
        };
        repo::upsert(&tx, &after).await?;
        let mut r = Record::new("calendar.import", "calendar_day", after.day.date).after(&after);
        match &before {
            Some(b) => {
                summary.changed += 1;
                r = r.before(b);
            }
            None => summary.added += 1,
        }
        records.push(r);
    }
    record_many(&tx, actor, records).await?;
    tx.commit().await?;
    Ok(summary)
}

/// A computed deadline and whether the calendar knows every year it spans.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Deadline {
    pub from: NaiveDate,
    pub working_days: u32,
    /// The `working_days`-th working day after `from` (`from` itself not counted).
    pub due: NaiveDate,
    /// Years from `from` to `due` whose holiday arrangement is not loaded: counted by
    /// weekends only, so the deadline may be too early.
    pub uncovered_years: Vec<i32>,
}

/// The deadline `n` working days after `from` on the current calendar. `n` is at most
/// [`MAX_WORKING_DAYS`].
pub async fn deadline(svc: &Services, from: NaiveDate, n: u32) -> Result<Deadline> {
    if n > MAX_WORKING_DAYS {
        return Err(ServiceError::field(
            "n",
            Invalid::new(
                "too_large",
                format!("工作日数最多 {MAX_WORKING_DAYS}"),
                format!("n must be at most {MAX_WORKING_DAYS}"),
            ),
        ));
    }
    let cal = current(svc).await?;
    Ok(deadline_on(&cal, from, n))
}

/// [`deadline`] on a calendar already read, for callers computing many deadlines at once.
pub fn deadline_on(cal: &WorkingDayCalendar, from: NaiveDate, n: u32) -> Deadline {
    let due = cal.add_working_days(from, n);
    let uncovered_years = (from.year()..=due.year())
        .filter(|y| !cal.covers(*y))
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    Deadline {
        from,
        working_days: n,
        due,
        uncovered_years,
    }
}
