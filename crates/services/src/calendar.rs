//! TEMPORARY shim until the calendar branch is merged: weekends only.
use chrono::{Datelike, NaiveDate, Weekday};
use crate::{Result, Services};
pub struct Cal;
impl Cal {
    pub fn is_working_day(&self, d: NaiveDate) -> bool { !matches!(d.weekday(), Weekday::Sat | Weekday::Sun) }
    pub fn add_working_days(&self, from: NaiveDate, n: u32) -> NaiveDate {
        let mut d = from; let mut k = 0;
        while k < n { d = d.succ_opt().unwrap(); if self.is_working_day(d) { k += 1; } }
        d
    }
    pub fn working_days_between(&self, from: NaiveDate, to: NaiveDate) -> i64 {
        if to < from { return -self.working_days_between(to, from); }
        let mut d = from; let mut k = 0;
        while d < to { d = d.succ_opt().unwrap(); if self.is_working_day(d) { k += 1; } }
        k
    }
}
pub async fn current(_svc: &Services) -> Result<Cal> { Ok(Cal) }
