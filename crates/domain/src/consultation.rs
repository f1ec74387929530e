//! Consultations and circulars (议事会商、情况通报, 国办发〔2023〕1号 (十二)–(十四): 健全协同
//!联动机制; 鲁 tasks 15–18; issue 17 item 3) on the shared case mechanism (`crate::case`):
//!
//! - a consultation (议事会商) convened by a coordination office or a department: title,
//!   topic, participants, agenda, date and place, materials, minutes and decisions
//!   (拟定 → 已召开 → 纪要已定稿 → 已办结, or 已取消 before it is held);
//! - each decision (会商决定) becomes one or more tasks (会商任务), one per owner department,
//!   with a deadline in working days from the day the minutes are finalised; a task runs its
//!   clock like a sanction's feedback task ([`ClockSpec::deadline`]), is chased by the office
//!   (督办) and escalated to it by the server once overdue (超时上报), and is completed with a
//!   report and evidence; the consultation is done when its last task is;
//! - a circular (情况通报): issued once to departments (and regions, whose departments it
//!   reaches), read by each recipient department (a read receipt: who, when), the unread
//!   reminded by the issuer.
//!
//! Pure: statuses with their lifecycle tables, the actions that move them, the task clock and
//! the parsers of every field (each error names its field).

use chrono::NaiveDateTime;

use crate::Invalid;
use crate::case::{ClockSpec, Step};
use crate::directory::labelled_enum;
use crate::error::{bounded_text, multiline_text};
use crate::lifecycle::lifecycle;

labelled_enum!(
    /// A consultation's state.
    ConsultationStatus {
        Planned = "planned" / "拟定",
        Held = "held" / "已召开",
        Finalised = "finalised" / "纪要已定稿",
        Closed = "closed" / "已办结",
        Cancelled = "cancelled" / "已取消",
    }
);

lifecycle!(ConsultationStatus, "议事会商", "consultation", {
    Planned => [Held, Cancelled],
    Held => [Finalised],
    Finalised => [Closed],
    Closed => [],
    Cancelled => [],
});

labelled_enum!(
    /// The steps of a consultation.
    ConsultationAction {
        Convene = "convene" / "发起会商",
        Attach = "attach" / "添加材料",
        Hold = "hold" / "记录召开",
        Finalise = "finalise" / "纪要定稿",
        Close = "close" / "办结",
        Cancel = "cancel" / "取消会商",
    }
);

impl ConsultationAction {
    /// Whether the step needs a reason (a cancellation does).
    pub fn needs_reason(self) -> bool {
        matches!(self, ConsultationAction::Cancel)
    }

    /// The move this action makes from `from` (`None`: the consultation is being convened).
    pub fn step(
        self,
        from: Option<ConsultationStatus>,
    ) -> Result<Step<ConsultationStatus>, Invalid> {
        use ConsultationStatus as S;
        let Some(f) = from else {
            return if self == ConsultationAction::Convene {
                Ok(Step::open(self.as_str(), S::Planned))
            } else {
                Err(Invalid::new(
                    "transition",
                    "会商尚未发起",
                    "the consultation has not been convened",
                ))
            };
        };
        let to = match self {
            ConsultationAction::Convene => return Step::staying(self.as_str(), f, false),
            // Materials before the meeting and until the minutes are final.
            ConsultationAction::Attach => {
                return Step::staying(self.as_str(), f, matches!(f, S::Planned | S::Held));
            }
            ConsultationAction::Hold => S::Held,
            ConsultationAction::Finalise => S::Finalised,
            ConsultationAction::Close => S::Closed,
            ConsultationAction::Cancel => S::Cancelled,
        };
        Step::moving(self.as_str(), f, to)
    }
}

labelled_enum!(
    /// A decision's task (会商任务): running until its owner department reports it done.
    ConsultationTaskStatus {
        Running = "running" / "办理中",
        Done = "done" / "已完成",
    }
);

lifecycle!(ConsultationTaskStatus, "会商任务", "consultation task", {
    Running => [Done],
    Done => [],
});

labelled_enum!(
    /// The steps of a task.
    ConsultationTaskAction {
        Dispatch = "dispatch" / "下达任务",
        Report = "report" / "报告完成",
        Supervise = "supervise" / "督办",
        Escalate = "escalate" / "超时上报",
    }
);

impl ConsultationTaskAction {
    /// Whether the step needs a reason (督办 does).
    pub fn needs_reason(self) -> bool {
        matches!(self, ConsultationTaskAction::Supervise)
    }

    /// The move this action makes from `from` (`None`: the task is being dispatched).
    pub fn step(
        self,
        from: Option<ConsultationTaskStatus>,
    ) -> Result<Step<ConsultationTaskStatus>, Invalid> {
        use ConsultationTaskStatus as S;
        let Some(f) = from else {
            return if self == ConsultationTaskAction::Dispatch {
                Ok(Step::open(self.as_str(), S::Running))
            } else {
                Err(Invalid::new(
                    "transition",
                    "会商任务尚未下达",
                    "the task has not been dispatched",
                ))
            };
        };
        match self {
            ConsultationTaskAction::Dispatch => Step::staying(self.as_str(), f, false),
            ConsultationTaskAction::Supervise | ConsultationTaskAction::Escalate => {
                Step::staying(self.as_str(), f, f == S::Running)
            }
            ConsultationTaskAction::Report => Step::moving(self.as_str(), f, S::Done),
        }
    }
}

/// The minutes (会商纪要), 2–4000 characters over as many lines as written (the length of a
/// warning's joint-assessment minutes, `warning::minutes_text`).
pub fn minutes_text(s: &str) -> Result<String, Invalid> {
    multiline_text(s, 2, 4000, "会商纪要", "minutes")
}

/// A task's clock (办理期限): `days` working days from the day the minutes are finalised.
pub fn task_clock(days: u32) -> ClockSpec {
    ClockSpec::deadline("finish", "任务办理", days)
}

/// The labels of every clock a task runs.
pub const TASK_CLOCKS: [ClockSpec; 1] = [ClockSpec::deadline("finish", "任务办理", 10)];

/// A task's deadline in working days: 1–120.
pub fn task_days(n: i64) -> Result<u32, Invalid> {
    if (1..=120).contains(&n) {
        Ok(n as u32)
    } else {
        Err(Invalid::new(
            "out_of_range",
            format!("办理期限应为 1–120 个工作日，收到 {n}"),
            format!("the deadline must be 1–120 working days, got {n}"),
        ))
    }
}

/// A consultation's or a circular's title (标题), 2–100 characters.
pub fn title(s: &str) -> Result<String, Invalid> {
    bounded_text(s, 2, 100, "标题", "title")
}

/// What the consultation is about (议题), 2–1000 characters.
pub fn topic(s: &str) -> Result<String, Invalid> {
    multiline_text(s, 2, 1000, "议题", "topic")
}

/// The agenda (议程), 2–2000 characters.
pub fn agenda(s: &str) -> Result<String, Invalid> {
    multiline_text(s, 2, 2000, "议程", "agenda")
}

/// Where it meets (地点, a room or 视频会议), 2–100 characters.
pub fn place(s: &str) -> Result<String, Invalid> {
    bounded_text(s, 2, 100, "会议地点", "place")
}

/// Named staff attending for a department (参会人员), 2–200 characters.
pub fn attendees(s: &str) -> Result<String, Invalid> {
    bounded_text(s, 2, 200, "参会人员", "attendees")
}

/// A decision (会商决定), 2–1000 characters.
pub fn decision(s: &str) -> Result<String, Invalid> {
    multiline_text(s, 2, 1000, "会商决定", "decision")
}

/// What a task asks of its department (任务内容), 2–1000 characters.
pub fn task_text(s: &str) -> Result<String, Invalid> {
    multiline_text(s, 2, 1000, "任务内容", "task")
}

/// A task's completion report (完成情况), 2–2000 characters.
pub fn report(s: &str) -> Result<String, Invalid> {
    multiline_text(s, 2, 2000, "完成情况", "report")
}

/// A circular's text (通报内容), 2–20000 characters.
pub fn body(s: &str) -> Result<String, Invalid> {
    multiline_text(s, 2, 20000, "通报内容", "body")
}

/// When a consultation meets, as a form or the API sends it (`2026-12-09T09:30`, seconds
/// optional, Beijing time).
pub fn meets_at(s: &str) -> Result<NaiveDateTime, Invalid> {
    let t = s.trim();
    [
        "%Y-%m-%dT%H:%M",
        "%Y-%m-%dT%H:%M:%S",
        "%Y-%m-%d %H:%M",
        "%Y-%m-%d %H:%M:%S",
    ]
    .iter()
    .find_map(|f| NaiveDateTime::parse_from_str(t, f).ok())
    .ok_or_else(|| {
        Invalid::new(
            "datetime",
            format!("“{t}”不是有效的会议时间（例：2026-12-09T09:30）"),
            format!("'{t}' is not a meeting time (e.g. 2026-12-09T09:30)"),
        )
    })
}

labelled_enum!(
    /// What prompted a consultation (optional): a warning, an assistance request or a case
    /// transfer (移送).
    LinkKind {
        Warning = "warning" / "风险预警",
        Assistance = "assistance" / "协查请求",
        Transfer = "transfer" / "案件移送",
    }
);

labelled_enum!(
    /// A circular's one status: issued (it is read per recipient, [`CircularAction::Read`]).
    CircularStatus {
        Issued = "issued" / "已发布",
    }
);

lifecycle!(CircularStatus, "情况通报", "circular", {
    Issued => [],
});

labelled_enum!(
    /// The steps of a circular.
    CircularAction {
        Issue = "issue" / "发布通报",
        Read = "read" / "已阅",
        Remind = "remind" / "提醒未读",
    }
);

impl CircularAction {
    /// The step (a circular keeps its one status; only the issue opens it).
    pub fn step(self, from: Option<CircularStatus>) -> Result<Step<CircularStatus>, Invalid> {
        match (self, from) {
            (CircularAction::Issue, None) => Ok(Step::open(self.as_str(), CircularStatus::Issued)),
            (CircularAction::Issue, Some(f)) => Step::staying(self.as_str(), f, false),
            (_, None) => Err(Invalid::new(
                "transition",
                "情况通报尚未发布",
                "the circular has not been issued",
            )),
            (_, Some(f)) => Step::staying(self.as_str(), f, true),
        }
    }
}

/// At most this many participants or recipient departments.
pub const MAX_PARTIES: usize = 100;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lifecycle::{Lifecycle, check_graph};

    #[test]
    fn lifecycles_are_connected() {
        check_graph(ConsultationStatus::parse);
        check_graph(ConsultationTaskStatus::parse);
        assert!(ConsultationStatus::Closed.is_final() && ConsultationTaskStatus::Done.is_final());
    }

    #[test]
    fn a_consultation_moves_by_its_table() {
        use ConsultationAction as A;
        use ConsultationStatus as S;
        assert_eq!(A::Convene.step(None).unwrap().to, S::Planned);
        assert!(A::Hold.step(None).is_err());
        assert_eq!(A::Hold.step(Some(S::Planned)).unwrap().to, S::Held);
        // Minutes only after the meeting; no cancelling once held.
        assert!(A::Finalise.step(Some(S::Planned)).is_err());
        assert!(A::Cancel.step(Some(S::Held)).is_err());
        assert_eq!(A::Finalise.step(Some(S::Held)).unwrap().to, S::Finalised);
        assert!(A::Attach.step(Some(S::Finalised)).is_err());
        assert_eq!(A::Close.step(Some(S::Finalised)).unwrap().to, S::Closed);
        assert!(A::Close.step(Some(S::Held)).is_err());
        assert!(A::Cancel.needs_reason() && !A::Hold.needs_reason());
    }

    #[test]
    fn a_task_runs_until_reported() {
        use ConsultationTaskAction as A;
        use ConsultationTaskStatus as S;
        assert_eq!(A::Dispatch.step(None).unwrap().to, S::Running);
        assert!(A::Report.step(None).is_err());
        let s = A::Supervise.step(Some(S::Running)).unwrap();
        assert_eq!((s.from, s.to), (Some(S::Running), S::Running));
        assert!(A::Escalate.step(Some(S::Done)).is_err());
        assert_eq!(A::Report.step(Some(S::Running)).unwrap().to, S::Done);
        assert!(A::Report.step(Some(S::Done)).is_err());
        assert!(A::Supervise.needs_reason());
    }

    #[test]
    fn fields_are_parsed() {
        assert_eq!(task_days(0).unwrap_err().code, "out_of_range");
        assert_eq!(task_days(121).unwrap_err().code, "out_of_range");
        assert_eq!(task_days(5).unwrap(), 5);
        let k = task_clock(1);
        assert_eq!((k.working_days, k.warn_within), (1, 0));
        assert_eq!(task_clock(10).warn_within, 2);
        assert!(title("会").is_err());
        assert_eq!(
            meets_at("2026-12-09T09:30").unwrap().to_string(),
            "2026-12-09 09:30:00"
        );
        assert_eq!(meets_at("明天上午").unwrap_err().code, "datetime");
        assert_eq!(
            agenda("一、通报；\r\n二、研究。\n").unwrap(),
            "一、通报；\n二、研究。"
        );
        assert_eq!(agenda("一\u{0}二").unwrap_err().code, "control_character");
        assert!(CircularAction::Read.step(None).is_err());
        assert!(
            CircularAction::Issue
                .step(Some(CircularStatus::Issued))
                .is_err()
        );
        assert!(
            CircularAction::Remind
                .step(Some(CircularStatus::Issued))
                .is_ok()
        );
    }
}
