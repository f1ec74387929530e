//! Case work with clocks (案件化办理): the one mechanism the second half of the platform shares
//! — clues (问题线索, 国办发〔2023〕1号 (十)), and later credit feedback tasks, warnings,
//! assistance requests. A capability defines only its statuses (a [`Lifecycle`] table) and its
//! rules; what every case has is here:
//!
//! - **events**: every step of a case is one [`Step`] (action, before → after, reason), which
//!   the services write as an event row together with its audit entry in one transaction;
//! - **clocks**: deadlines in working days on the calendar (`calendar::WorkingDayCalendar`),
//!   started at dispatch, never at signing (the 12345 "退单拉锯战" is a clock that only starts
//!   when a department accepts); each clock shows a [`Light`] computed from "now";
//! - **reasons**: a return, a refusal, an extension carry a mandatory reason ([`reason`]),
//!   shown to everyone handling the case.
//!
//! Escalation (an unsigned case past its deadline goes to the coordination office) is a step
//! like any other, taken by the server for a red clock (`services::cases`).

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::Invalid;
use crate::calendar::WorkingDayCalendar;
use crate::directory::labelled_enum;
use crate::error::bounded_text;
use crate::lifecycle::Lifecycle;

labelled_enum!(
    /// What kind of case an event or a clock belongs to. Each capability built on this
    /// mechanism adds itself here (the code is stored in `case_events` and `case_clocks`).
    CaseKind {
        Clue = "clue" / "问题线索",
        SanctionBatch = "sanction_batch" / "联合惩戒批次",
        SanctionTask = "sanction_task" / "联合惩戒任务",
        CreditObjection = "credit_objection" / "信用异议",
        CreditRepair = "credit_repair" / "信用修复",
        Warning = "warning" / "风险预警",
        LicenceHandover = "licence_handover" / "审管衔接",
        Assistance = "assistance" / "协查协助",
        Consultation = "consultation" / "议事会商",
        ConsultTask = "consult_task" / "会商任务",
        Circular = "circular" / "情况通报",
    }
);

labelled_enum!(
    /// A clock's light on the queues and the case page: running with time to spare (green),
    /// due soon — within the clock's warning days, or today (yellow), past its deadline (red);
    /// stopped on or before its deadline (met), or after it (late).
    Light {
        Green = "green" / "正常",
        Yellow = "yellow" / "即将超时",
        Red = "red" / "已超时",
        Met = "met" / "按时完成",
        Late = "late" / "超时完成",
    }
);

impl Light {
    /// Whether the clock still runs (green, yellow or red).
    pub fn is_running(self) -> bool {
        matches!(self, Light::Green | Light::Yellow | Light::Red)
    }
}

/// How a clock is set: its name (unique within a case), its length and when it turns yellow.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClockSpec {
    /// `sign`, `return`, `finish` …: stable, stored.
    pub name: &'static str,
    pub label_zh: &'static str,
    pub working_days: u32,
    /// Yellow from this many working days before the deadline (0: only on the deadline day).
    pub warn_within: u32,
}

impl ClockSpec {
    /// A task's deadline clock, `days` working days from its dispatch, yellow two working days
    /// before (on the deadline day only for a one-day clock): the rule of every task a
    /// department must report back on (sanctions' feedback tasks, consultations' tasks).
    pub const fn deadline(name: &'static str, label_zh: &'static str, days: u32) -> Self {
        let warn = if days > 2 { 2 } else { days.saturating_sub(1) };
        Self {
            name,
            label_zh,
            working_days: days,
            warn_within: warn,
        }
    }
}

/// A clock of one case: started on a day, due `working_days` working days later (the start day
/// not counted, as every deadline in `calendar`), stopped when what it waits for is done.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Clock {
    pub name: String,
    pub started_on: NaiveDate,
    pub working_days: u32,
    pub due: NaiveDate,
    pub warn_within: u32,
    pub stopped_on: Option<NaiveDate>,
    /// An hour clock's deadline to the minute (a response plan's "within 2 hours"); `due` is
    /// then its Beijing date, so daily figures count it like any clock. `None`: working days.
    #[serde(default)]
    pub due_at: Option<DateTime<Utc>>,
    /// When an hour clock stopped (met or late by the minute).
    #[serde(default)]
    pub stopped_at: Option<DateTime<Utc>>,
}

impl Clock {
    /// A clock started on `on` (Beijing date of the dispatch) by `spec`.
    pub fn start(cal: &WorkingDayCalendar, spec: &ClockSpec, on: NaiveDate) -> Self {
        Self {
            name: spec.name.to_string(),
            started_on: on,
            working_days: spec.working_days,
            due: cal.add_working_days(on, spec.working_days),
            warn_within: spec.warn_within,
            stopped_on: None,
            due_at: None,
            stopped_at: None,
        }
    }

    /// An hour clock named `name` started at `at`, due `hours` later: yellow in its last
    /// hour, red after.
    pub fn start_hours(name: &str, at: DateTime<Utc>, hours: u32) -> Self {
        let due_at = at + chrono::Duration::hours(i64::from(hours));
        Self {
            name: name.to_string(),
            started_on: beijing(at),
            working_days: 0,
            due: beijing(due_at),
            warn_within: 0,
            stopped_on: None,
            due_at: Some(due_at),
            stopped_at: None,
        }
    }

    /// The light at the instant `now`: an hour clock by the minute, a working-day clock by
    /// `now`'s Beijing date ([`Clock::light`]).
    pub fn light_at(&self, cal: &WorkingDayCalendar, now: DateTime<Utc>) -> Light {
        let Some(due_at) = self.due_at else {
            return self.light(cal, beijing(now));
        };
        if self.stopped_on.is_some() {
            let stopped = self.stopped_at.unwrap_or(now);
            return if stopped <= due_at {
                Light::Met
            } else {
                Light::Late
            };
        }
        let warn = chrono::Duration::hours(1);
        if now > due_at {
            Light::Red
        } else if due_at - now <= warn {
            Light::Yellow
        } else {
            Light::Green
        }
    }

    /// The same clock with its deadline moved `more` working days later (an approved 延期).
    pub fn extended(&self, cal: &WorkingDayCalendar, more: u32) -> Self {
        Self {
            working_days: self.working_days + more,
            due: cal.add_working_days(self.due, more),
            ..self.clone()
        }
    }

    /// The light on `today`. Running: red after the deadline day, yellow when at most
    /// `warn_within` working days are left (always on the deadline day itself), else green.
    /// Stopped: met or late by the day it stopped.
    pub fn light(&self, cal: &WorkingDayCalendar, today: NaiveDate) -> Light {
        if let Some(s) = self.stopped_on {
            return if s <= self.due {
                Light::Met
            } else {
                Light::Late
            };
        }
        if today > self.due {
            Light::Red
        } else if cal.working_days_between(today, self.due) <= i64::from(self.warn_within) {
            Light::Yellow
        } else {
            Light::Green
        }
    }

    /// Working days left after `today` up to the deadline (negative once past it).
    pub fn working_days_left(&self, cal: &WorkingDayCalendar, today: NaiveDate) -> i64 {
        cal.working_days_between(today, self.due)
    }
}

fn beijing(t: DateTime<Utc>) -> NaiveDate {
    let bj = chrono::FixedOffset::east_opt(8 * 3600).expect("valid offset");
    t.with_timezone(&bj).date_naive()
}

/// One step of a case: the action that was taken and the status it moved from and to (equal
/// for steps that change no status, such as a reassignment before signing). What the event
/// row and the audit entry both record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step<S> {
    pub action: &'static str,
    pub from: Option<S>,
    pub to: S,
    pub reason: Option<String>,
}

impl<S: Lifecycle> Step<S> {
    /// The first step of a case (its registration): no status before.
    pub fn open(action: &'static str, to: S) -> Self {
        Self {
            action,
            from: None,
            to,
            reason: None,
        }
    }

    /// A step from `from` to `to`, refused unless the lifecycle allows the move.
    pub fn moving(action: &'static str, from: S, to: S) -> Result<Self, Invalid> {
        from.move_to(to)?;
        Ok(Self {
            action,
            from: Some(from),
            to,
            reason: None,
        })
    }

    /// A step that keeps the status (`allowed` says whether this action may be taken in it).
    pub fn staying(action: &'static str, at: S, allowed: bool) -> Result<Self, Invalid> {
        if !allowed {
            return Err(Invalid::new(
                "transition",
                format!("{}当前为“{}”，不能办理此操作", S::WHAT_ZH, at.label()),
                format!(
                    "a {} in {} does not allow '{action}'",
                    S::WHAT_EN,
                    at.code()
                ),
            ));
        }
        Ok(Self {
            action,
            from: Some(at),
            to: at,
            reason: None,
        })
    }

    #[must_use]
    pub fn because(mut self, reason: String) -> Self {
        self.reason = Some(reason);
        self
    }
}

/// A mandatory reason (退回理由, 延期理由, 不予批准的理由 …): 2–500 characters.
pub fn reason(s: &str) -> Result<String, Invalid> {
    if s.trim().is_empty() {
        return Err(Invalid::new(
            "required",
            "请填写理由",
            "a reason is required",
        ));
    }
    bounded_text(s, 2, 500, "理由", "reason")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::calendar::WorkingDayCalendar;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    const FINISH: ClockSpec = ClockSpec {
        name: "finish",
        label_zh: "办结",
        working_days: 5,
        warn_within: 1,
    };

    #[test]
    fn a_clock_started_before_the_national_day_runs_over_the_holiday() {
        let cal = WorkingDayCalendar::builtin();
        // Dispatched on Tuesday 2026-09-29: 30 Sep counts, 1–7 Oct is the National Day
        // holiday, then 8 and 9 Oct and the make-up Saturday 10 Oct: the fifth working day is
        // Monday 12 Oct, not Tuesday 6 Oct as a weekday count would say.
        let c = Clock::start(&cal, &FINISH, d("2026-09-29"));
        assert_eq!(c.due, d("2026-10-12"));
        assert_eq!(cal.working_days_between(d("2026-09-29"), c.due), 5);
        // During the holiday the clock is not yellow yet: the working days left are counted.
        assert_eq!(c.light(&cal, d("2026-10-03")), Light::Green);
        // The working day before the deadline: yellow; the deadline day: yellow; after: red.
        assert_eq!(c.light(&cal, d("2026-10-09")), Light::Green);
        assert_eq!(c.light(&cal, d("2026-10-10")), Light::Yellow);
        assert_eq!(c.light(&cal, d("2026-10-11")), Light::Yellow);
        assert_eq!(c.light(&cal, c.due), Light::Yellow);
        assert_eq!(c.light(&cal, c.due.succ_opt().unwrap()), Light::Red);
        assert!(c.working_days_left(&cal, c.due.succ_opt().unwrap()) < 0);
    }

    #[test]
    fn a_stopped_clock_is_met_or_late_and_an_extension_moves_the_deadline() {
        let cal = WorkingDayCalendar::builtin();
        let c = Clock::start(&cal, &FINISH, d("2026-12-07")); // Monday
        assert_eq!(c.due, d("2026-12-14"));
        let mut met = c.clone();
        met.stopped_on = Some(d("2026-12-14"));
        assert_eq!(met.light(&cal, d("2027-01-30")), Light::Met);
        let mut late = c.clone();
        late.stopped_on = Some(d("2026-12-15"));
        assert_eq!(late.light(&cal, d("2026-12-15")), Light::Late);
        let longer = c.extended(&cal, 10);
        assert_eq!(longer.working_days, 15);
        assert_eq!(longer.due, d("2026-12-28"));
        assert_eq!(longer.light(&cal, d("2026-12-15")), Light::Green);
        // A one-day clock with no warning days is yellow only on its deadline day.
        let sign = ClockSpec {
            name: "sign",
            label_zh: "签收",
            working_days: 1,
            warn_within: 0,
        };
        let s = Clock::start(&cal, &sign, d("2026-12-11")); // Friday → due Monday
        assert_eq!(s.due, d("2026-12-14"));
        assert_eq!(s.light(&cal, d("2026-12-11")), Light::Green);
        assert_eq!(s.light(&cal, d("2026-12-12")), Light::Green);
        assert_eq!(s.light(&cal, d("2026-12-14")), Light::Yellow);
        assert_eq!(s.light(&cal, d("2026-12-15")), Light::Red);
    }

    #[test]
    fn an_hour_clock_is_lit_by_the_minute() {
        let cal = WorkingDayCalendar::builtin();
        let at: DateTime<Utc> = "2026-12-11T10:00:00Z".parse().unwrap(); // Friday 18:00 Beijing
        let k = Clock::start_hours("respond", at, 2);
        assert_eq!(k.due, d("2026-12-11"));
        assert_eq!(k.light_at(&cal, at), Light::Green);
        assert_eq!(
            k.light_at(&cal, at + chrono::Duration::minutes(61)),
            Light::Yellow
        );
        assert_eq!(
            k.light_at(&cal, at + chrono::Duration::minutes(121)),
            Light::Red
        );
        // It runs through the weekend: hours are hours.
        let mut s = k.clone();
        s.stopped_on = Some(d("2026-12-11"));
        s.stopped_at = Some(at + chrono::Duration::minutes(119));
        assert_eq!(s.light_at(&cal, at + chrono::Duration::days(3)), Light::Met);
        s.stopped_at = Some(at + chrono::Duration::minutes(121));
        assert_eq!(s.light_at(&cal, at), Light::Late);
    }

    #[test]
    fn reasons_are_required() {
        assert_eq!(reason(" ").unwrap_err().code, "required");
        assert_eq!(reason("否").unwrap_err().code, "too_short");
        assert_eq!(reason(" 不属于本部门职责 ").unwrap(), "不属于本部门职责");
        assert_eq!(reason(&"长".repeat(501)).unwrap_err().code, "too_long");
    }
}
