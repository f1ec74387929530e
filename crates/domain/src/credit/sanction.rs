//! Joint sanctions (联合惩戒, 国办发〔2023〕1号 (十一), 鲁 task 14) on the shared case mechanism
//! (`crate::case`): a catalogue of measures (惩戒措施: legal basis, implementing department,
//! subject type, default duration, whether it raises inspection frequency on this platform);
//! a batch (惩戒批次) the initiating department files and the coordination office reviews
//! (发起 → 审核); one task (执行任务) per implementing department with a feedback clock in
//! working days (执行 → 反馈); overdue feedback is chased (督办); measures lift by themselves at
//! the end of their period (自动解除).
//!
//! Pure: statuses with their lifecycle tables, the actions that move them, the feedback clock,
//! and the parsers of every field (each error names its field). Responsible persons' ID
//! numbers (身份证号) are validated here and masked by [`mask_id_number`] for every reader who
//! does not need them.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::Invalid;
use crate::case::{ClockSpec, Step};
use crate::directory::labelled_enum;
use crate::error::bounded_text;
use crate::lifecycle::lifecycle;

labelled_enum!(
    /// Whom a measure applies to: the entity itself, or a responsible person the law names
    /// (法定代表人、主要负责人 …).
    SubjectType {
        Entity = "entity" / "市场主体",
        Person = "person" / "责任人",
    }
);

labelled_enum!(
    /// A batch (惩戒批次): filed by the initiating department, reviewed by the office; once
    /// approved its tasks run; completed when every task has been answered.
    BatchStatus {
        Submitted = "submitted" / "待审核",
        Returned = "returned" / "已退回",
        Approved = "approved" / "执行中",
        Completed = "completed" / "已完成反馈",
    }
);

lifecycle!(BatchStatus, "惩戒批次", "sanction batch", {
    Submitted => [Approved, Returned],
    Returned => [Submitted],
    Approved => [Completed],
    Completed => [],
});

labelled_enum!(
    /// An implementing department's task (执行任务): waiting for its feedback; carried out
    /// (反馈已执行, with evidence); not carried out (反馈未能执行, with the reason); lifted at the
    /// end of the measures' period (已解除).
    TaskStatus {
        Pending = "pending" / "待反馈",
        Applied = "applied" / "已执行",
        NotApplied = "not_applied" / "未能执行",
        Lifted = "lifted" / "已解除",
    }
);

lifecycle!(TaskStatus, "惩戒任务", "sanction task", {
    Pending => [Applied, NotApplied],
    Applied => [Lifted],
    NotApplied => [],
    Lifted => [],
});

impl TaskStatus {
    /// Whether the department has answered (the task no longer waits for feedback).
    pub fn is_answered(self) -> bool {
        !matches!(self, TaskStatus::Pending)
    }
}

labelled_enum!(
    /// The steps of a batch.
    SanctionBatchAction {
        File = "file" / "发起",
        Resubmit = "resubmit" / "重新提交",
        Approve = "approve" / "审核通过",
        Return = "return" / "退回",
        Complete = "complete" / "反馈完毕",
    }
);

impl SanctionBatchAction {
    /// Whether the step needs a reason (a return does).
    pub fn needs_reason(self) -> bool {
        matches!(self, SanctionBatchAction::Return)
    }

    /// The move this action makes from `from` (refused when the table does not allow it).
    pub fn step(self, from: Option<BatchStatus>) -> Result<Step<BatchStatus>, Invalid> {
        use BatchStatus as S;
        match (self, from) {
            (SanctionBatchAction::File, None) => Ok(Step::open(self.as_str(), S::Submitted)),
            (SanctionBatchAction::File, Some(f)) => Step::staying(self.as_str(), f, false),
            (_, None) => Err(Invalid::new(
                "transition",
                "惩戒批次尚未发起",
                "the batch has not been filed",
            )),
            (SanctionBatchAction::Resubmit, Some(f)) => {
                Step::moving(self.as_str(), f, S::Submitted)
            }
            (SanctionBatchAction::Approve, Some(f)) => Step::moving(self.as_str(), f, S::Approved),
            (SanctionBatchAction::Return, Some(f)) => Step::moving(self.as_str(), f, S::Returned),
            (SanctionBatchAction::Complete, Some(f)) => {
                Step::moving(self.as_str(), f, S::Completed)
            }
        }
    }
}

labelled_enum!(
    /// The steps of a task.
    TaskAction {
        Dispatch = "dispatch" / "下发",
        Attach = "attach" / "上传执行材料",
        Apply = "apply" / "反馈已执行",
        Decline = "decline" / "反馈未能执行",
        Supervise = "supervise" / "督办",
        Lift = "lift" / "到期解除",
    }
);

impl TaskAction {
    /// Whether the step needs a reason (督办 and 未能执行 do).
    pub fn needs_reason(self) -> bool {
        matches!(self, TaskAction::Decline | TaskAction::Supervise)
    }

    /// The move this action makes from `from` (`None`: the task is being created).
    pub fn step(self, from: Option<TaskStatus>) -> Result<Step<TaskStatus>, Invalid> {
        use TaskStatus as S;
        let Some(f) = from else {
            return if self == TaskAction::Dispatch {
                Ok(Step::open(self.as_str(), S::Pending))
            } else {
                Err(Invalid::new(
                    "transition",
                    "惩戒任务尚未下发",
                    "the task has not been dispatched",
                ))
            };
        };
        match self {
            TaskAction::Dispatch => Step::staying(self.as_str(), f, false),
            TaskAction::Attach => Step::staying(self.as_str(), f, f == S::Pending),
            TaskAction::Supervise => Step::staying(self.as_str(), f, f == S::Pending),
            TaskAction::Apply => Step::moving(self.as_str(), f, S::Applied),
            TaskAction::Decline => Step::moving(self.as_str(), f, S::NotApplied),
            TaskAction::Lift => Step::moving(self.as_str(), f, S::Lifted),
        }
    }
}

/// The feedback deadline a batch sets when it names none: 10 working days.
pub const DEFAULT_FEEDBACK_DAYS: u32 = 10;

/// The feedback clock of a task (反馈期限), `days` working days from its dispatch, yellow two
/// working days before.
pub fn feedback_clock(days: u32) -> ClockSpec {
    ClockSpec::deadline("feedback", "执行反馈", days)
}

/// The labels of every clock a task may run.
pub const TASK_CLOCKS: [ClockSpec; 1] = [ClockSpec {
    name: "feedback",
    label_zh: "执行反馈",
    working_days: DEFAULT_FEEDBACK_DAYS,
    warn_within: 2,
}];

/// A feedback deadline in working days: 1–60 (none given: [`DEFAULT_FEEDBACK_DAYS`]).
pub fn feedback_days(n: Option<i64>) -> Result<u32, Invalid> {
    match n {
        None => Ok(DEFAULT_FEEDBACK_DAYS),
        Some(n) if (1..=60).contains(&n) => Ok(n as u32),
        Some(n) => Err(Invalid::new(
            "out_of_range",
            format!("反馈期限应为 1–60 个工作日，收到 {n}"),
            format!("the feedback deadline must be 1–60 working days, got {n}"),
        )),
    }
}

/// A measure's name (措施名称), 2–100 characters.
pub fn measure_name(s: &str) -> Result<String, Invalid> {
    bounded_text(s, 2, 100, "措施名称", "measure name")
}

/// A measure's default duration in months (默认期限): 1–60.
pub fn duration_months(n: i64) -> Result<u32, Invalid> {
    if (1..=60).contains(&n) {
        Ok(n as u32)
    } else {
        Err(Invalid::new(
            "out_of_range",
            format!("默认期限应为 1–60 个月，收到 {n}"),
            format!("the default duration must be 1–60 months, got {n}"),
        ))
    }
}

/// Why the batch is filed (惩戒事由), 2–500 characters.
pub fn batch_reason(s: &str) -> Result<String, Invalid> {
    bounded_text(s, 2, 500, "惩戒事由", "reason for the sanction")
}

/// What the department did (执行情况), 2–1000 characters.
pub fn feedback_text(s: &str) -> Result<String, Invalid> {
    bounded_text(s, 2, 1000, "执行情况", "feedback")
}

/// A responsible person's name (责任人姓名), 2–40 characters.
pub fn person_name(s: &str) -> Result<String, Invalid> {
    bounded_text(s, 2, 40, "责任人姓名", "person's name")
}

/// A responsible person's role (职务, e.g. 法定代表人), 2–40 characters.
pub fn person_role(s: &str) -> Result<String, Invalid> {
    bounded_text(s, 2, 40, "责任人职务", "person's role")
}

/// A resident ID number (居民身份证号码, GB 11643-1999): 17 digits and a check character
/// (ISO 7064 MOD 11-2, `X` for ten), the birth date valid. Upper-cased.
pub fn id_number(s: &str) -> Result<String, Invalid> {
    let t = s.trim().to_ascii_uppercase();
    let bad = |why: &str, en: &str| {
        Invalid::new(
            "id_number",
            format!("身份证号码{why}"),
            format!("the ID number {en}"),
        )
    };
    let b = t.as_bytes();
    if b.len() != 18
        || !b[..17].iter().all(u8::is_ascii_digit)
        || !(b[17].is_ascii_digit() || b[17] == b'X')
    {
        return Err(bad(
            "应为 18 位（最后一位可为 X）",
            "must have 18 characters (the last may be X)",
        ));
    }
    if NaiveDate::parse_from_str(&t[6..14], "%Y%m%d").is_err() {
        return Err(bad("中的出生日期无效", "holds an invalid birth date"));
    }
    const W: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
    let sum: u32 = b[..17]
        .iter()
        .zip(W)
        .map(|(d, w)| u32::from(d - b'0') * w)
        .sum();
    let check = b"10X98765432"[(sum % 11) as usize];
    if b[17] != check {
        return Err(bad("校验位不正确", "has a wrong check character"));
    }
    Ok(t)
}

/// An ID number as readers who do not need it see it: the first four and the last four
/// characters (4111**********1234).
pub fn mask_id_number(id: &str) -> String {
    let cs: Vec<char> = id.chars().collect();
    if cs.len() <= 8 {
        return "*".repeat(cs.len());
    }
    let head: String = cs[..4].iter().collect();
    let tail: String = cs[cs.len() - 4..].iter().collect();
    format!("{head}{}{tail}", "*".repeat(cs.len() - 8))
}

/// A subject of a batch as filed: the entity, or a responsible person of it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Subject {
    pub subject_type: SubjectType,
    pub entity_id: uuid::Uuid,
    /// The person's name, ID number and role (persons only).
    pub person_name: Option<String>,
    pub id_number: Option<String>,
    pub person_role: Option<String>,
}

/// The last day a measure is in force: the batch's end if it names one, else the start plus
/// the measure's default duration, less a day (a year from 2026-12-07 ends 2027-12-06).
pub fn measure_until(starts_on: NaiveDate, ends_on: Option<NaiveDate>, months: u32) -> NaiveDate {
    ends_on.unwrap_or_else(|| {
        super::plus_months(starts_on, months)
            .pred_opt()
            .unwrap_or(starts_on)
    })
}

/// The period of a batch: it ends on or after its start, within five years.
pub fn period(starts_on: NaiveDate, ends_on: Option<NaiveDate>) -> Result<(), Invalid> {
    if let Some(e) = ends_on {
        if e < starts_on {
            return Err(Invalid::new(
                "period",
                format!("惩戒期限截止日（{e}）早于起始日（{starts_on}）"),
                format!("the period ends ({e}) before it starts ({starts_on})"),
            ));
        }
        if e > super::plus_months(starts_on, 60) {
            return Err(Invalid::new(
                "period",
                "惩戒期限不能超过 5 年",
                "the period cannot exceed five years",
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lifecycle::{Lifecycle, check_graph};

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn lifecycles_are_connected() {
        check_graph(BatchStatus::parse);
        check_graph(TaskStatus::parse);
        assert!(TaskStatus::Lifted.is_final() && TaskStatus::NotApplied.is_final());
        assert!(!TaskStatus::Pending.is_answered() && TaskStatus::Applied.is_answered());
    }

    #[test]
    fn actions_follow_the_tables() {
        use BatchStatus as B;
        use TaskStatus as T;
        assert_eq!(
            SanctionBatchAction::File.step(None).unwrap().to,
            B::Submitted
        );
        assert!(SanctionBatchAction::Approve.step(None).is_err());
        assert_eq!(
            SanctionBatchAction::Return
                .step(Some(B::Submitted))
                .unwrap()
                .to,
            B::Returned
        );
        assert!(
            SanctionBatchAction::Approve
                .step(Some(B::Returned))
                .is_err()
        );
        assert_eq!(
            SanctionBatchAction::Resubmit
                .step(Some(B::Returned))
                .unwrap()
                .to,
            B::Submitted
        );
        assert!(
            SanctionBatchAction::Complete
                .step(Some(B::Submitted))
                .is_err()
        );
        assert_eq!(TaskAction::Dispatch.step(None).unwrap().to, T::Pending);
        assert!(TaskAction::Apply.step(None).is_err());
        let s = TaskAction::Supervise.step(Some(T::Pending)).unwrap();
        assert_eq!((s.from, s.to), (Some(T::Pending), T::Pending));
        // 督办 and files only while feedback is awaited.
        assert!(TaskAction::Supervise.step(Some(T::Applied)).is_err());
        assert!(TaskAction::Attach.step(Some(T::Lifted)).is_err());
        assert!(TaskAction::Apply.step(Some(T::Applied)).is_err());
        assert_eq!(
            TaskAction::Lift.step(Some(T::Applied)).unwrap().to,
            T::Lifted
        );
        assert!(TaskAction::Lift.step(Some(T::Pending)).is_err());
        assert!(TaskAction::Decline.needs_reason() && !TaskAction::Apply.needs_reason());
        assert!(SanctionBatchAction::Return.needs_reason());
    }

    #[test]
    fn id_numbers_are_checked_and_masked() {
        // The GB 11643 example number.
        assert_eq!(
            id_number(" 11010519491231002x ").unwrap(),
            "11010519491231002X"
        );
        assert_eq!(
            id_number("11010519491231002Y").unwrap_err().code,
            "id_number"
        );
        assert!(
            id_number("110105194912310021").is_err(),
            "wrong check digit"
        );
        assert!(id_number("110105194913310027").is_err(), "month 13");
        assert!(id_number("1101051949123100").is_err(), "too short");
        assert_eq!(mask_id_number("11010519491231002X"), "1101**********002X");
        assert!(!mask_id_number("11010519491231002X").contains("19491231"));
    }

    #[test]
    fn periods_and_limits() {
        assert_eq!(measure_until(d("2026-12-07"), None, 12), d("2027-12-06"));
        assert_eq!(
            measure_until(d("2026-12-07"), Some(d("2027-03-01")), 12),
            d("2027-03-01")
        );
        assert!(period(d("2026-12-07"), Some(d("2026-12-06"))).is_err());
        assert!(period(d("2026-12-07"), Some(d("2032-12-08"))).is_err());
        assert!(period(d("2026-12-07"), None).is_ok());
        assert_eq!(feedback_days(None).unwrap(), 10);
        assert_eq!(feedback_days(Some(0)).unwrap_err().code, "out_of_range");
        assert!(feedback_days(Some(61)).is_err());
        assert_eq!(duration_months(0).unwrap_err().code, "out_of_range");
        let k = feedback_clock(1);
        assert_eq!((k.working_days, k.warn_within), (1, 0));
        assert_eq!(feedback_clock(10).warn_within, 2);
        assert!(measure_name("限").is_err());
    }
}
