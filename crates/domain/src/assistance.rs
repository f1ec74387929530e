//! Assistance requests (协查/协助, 国办发〔2023〕1号 (十二)–(十四); 鲁 tasks 15–18): one office
//! or department asks another region's office — another county, its city, the province, or the
//! reverse — for an inspection, a document, a verification or enforcement help about an
//! entity, with its legal basis and a deadline in working days; the receiving office assigns
//! it to a department, which answers with evidence. The same capability carries the requests
//! of administrative–criminal linkage (行刑衔接): the police asking for an appraisal
//! (检验鉴定) or the custody of seized goods (涉案物品保管), and the two-way consultations
//! (双向咨询) about a case transfer — a request with kind `consultation`, linked to the
//! transfer, from either side.
//!
//! Pure: the kinds, the statuses with their `lifecycle!` table, the actions (the one map from
//! actions to moves), the clocks and the parsers of a request's fields (each error names its
//! field).

use serde::{Deserialize, Serialize};

use crate::Invalid;
use crate::case::{ClockSpec, Step};
use crate::directory::labelled_enum;
use crate::error::bounded_text;
use crate::lifecycle::lifecycle;

labelled_enum!(
    /// What is asked for.
    AssistanceKind {
        Inspection = "inspection" / "协助检查",
        Document = "document" / "调取材料",
        Verification = "verification" / "协助核查",
        Enforcement = "enforcement" / "协助执法",
        Appraisal = "appraisal" / "检验鉴定",
        Custody = "custody" / "涉案物品保管",
        Consultation = "consultation" / "咨询",
    }
);

labelled_enum!(
    /// Who stands on a side of a request: an administrative agency on the platform (an office
    /// or a department), or the public security agency (公安机关), whose requests and answers
    /// the department's staff enter on its behalf (行刑衔接).
    Party {
        Agency = "agency" / "行政机关",
        PublicSecurity = "public_security" / "公安机关",
    }
);

labelled_enum!(
    /// A request's state.
    AssistanceStatus {
        Submitted = "submitted" / "待受理",
        Assigned = "assigned" / "办理中",
        Answered = "answered" / "已答复",
        Closed = "closed" / "已办结",
        Refused = "refused" / "不予协助",
        Withdrawn = "withdrawn" / "已撤回",
    }
);

lifecycle!(AssistanceStatus, "协查请求", "assistance request", {
    Submitted => [Assigned, Refused, Withdrawn],
    Assigned => [Answered, Withdrawn],
    // The requester finds the answer wanting (要求补充答复): back to the assigned department.
    Answered => [Closed, Assigned],
    Closed => [],
    Refused => [],
    Withdrawn => [],
});

labelled_enum!(
    /// The steps of a request.
    AssistanceAction {
        Submit = "submit" / "发起请求",
        Assign = "assign" / "交办",
        Reassign = "reassign" / "改派",
        Refuse = "refuse" / "不予协助",
        Attach = "attach" / "补充材料",
        Answer = "answer" / "答复",
        Close = "close" / "确认办结",
        Reopen = "reopen" / "要求补充答复",
        Withdraw = "withdraw" / "撤回",
        FlagOverdue = "flag_overdue" / "超时提醒",
    }
);

impl AssistanceAction {
    /// Whether the step needs a reason.
    pub fn needs_reason(self) -> bool {
        matches!(
            self,
            AssistanceAction::Refuse
                | AssistanceAction::Reassign
                | AssistanceAction::Reopen
                | AssistanceAction::Withdraw
        )
    }

    /// The move this action makes from `from` (`None`: the request is being submitted).
    pub fn step(self, from: Option<AssistanceStatus>) -> Result<Step<AssistanceStatus>, Invalid> {
        use AssistanceStatus as S;
        let Some(f) = from else {
            return if self == AssistanceAction::Submit {
                Ok(Step::open(self.as_str(), S::Submitted))
            } else {
                Err(Invalid::new(
                    "transition",
                    "协查请求尚未发起",
                    "the request has not been submitted",
                ))
            };
        };
        let to = match self {
            AssistanceAction::Submit => return Step::staying(self.as_str(), f, false),
            AssistanceAction::Reassign => {
                return Step::staying(self.as_str(), f, f == S::Assigned);
            }
            AssistanceAction::Attach => {
                return Step::staying(self.as_str(), f, matches!(f, S::Assigned | S::Answered));
            }
            AssistanceAction::FlagOverdue => {
                return Step::staying(self.as_str(), f, matches!(f, S::Submitted | S::Assigned));
            }
            AssistanceAction::Assign | AssistanceAction::Reopen => S::Assigned,
            AssistanceAction::Refuse => S::Refused,
            AssistanceAction::Answer => S::Answered,
            AssistanceAction::Close => S::Closed,
            AssistanceAction::Withdraw => S::Withdrawn,
        };
        Step::moving(self.as_str(), f, to)
    }
}

/// 受理: the receiving office assigns or refuses within 2 working days of the request.
pub const ACCEPT: ClockSpec = ClockSpec {
    name: "accept",
    label_zh: "受理",
    working_days: 2,
    warn_within: 0,
};

/// 答复: the answer is due the requested number of working days after the request
/// ([`answer_clock`]); yellow from the working day before.
pub fn answer_clock(days: u32) -> ClockSpec {
    ClockSpec {
        name: "answer",
        label_zh: "答复",
        working_days: days,
        warn_within: 1,
    }
}

/// The clocks a request shows (labels and order).
pub const CLOCK_LABELS: [ClockSpec; 2] = [
    ACCEPT,
    ClockSpec {
        name: "answer",
        label_zh: "答复",
        working_days: 0,
        warn_within: 1,
    },
];

/// A deadline of 1–60 working days.
pub const MAX_DEADLINE_DAYS: u32 = 60;

/// The deadline in working days (办理时限).
pub fn deadline_days(s: &str) -> Result<u32, Invalid> {
    let t = s.trim();
    if t.is_empty() {
        return Err(Invalid::new(
            "required",
            "请填写办理时限（工作日）",
            "the deadline in working days is required",
        ));
    }
    match t.parse::<u32>() {
        Ok(n) if (1..=MAX_DEADLINE_DAYS).contains(&n) => Ok(n),
        _ => Err(Invalid::new(
            "out_of_range",
            format!("办理时限应为 1–{MAX_DEADLINE_DAYS} 个工作日，收到“{t}”"),
            format!("the deadline must be 1-{MAX_DEADLINE_DAYS} working days, got '{t}'"),
        )),
    }
}

/// The entity concerned as the requester names it (协查对象): 2–100 characters.
pub fn subject(s: &str) -> Result<String, Invalid> {
    bounded_text(s, 2, 100, "协查对象", "subject")
}

/// 法律依据: 2–500 characters.
pub fn legal_basis(s: &str) -> Result<String, Invalid> {
    bounded_text(s, 2, 500, "法律依据", "legal basis")
}

/// What is needed (协查事项), or the question of a consultation: 2–2000 characters.
pub fn needed(s: &str) -> Result<String, Invalid> {
    bounded_text(s, 2, 2000, "协查事项", "what is needed")
}

/// The answer (答复内容): 2–4000 characters.
pub fn answer(s: &str) -> Result<String, Invalid> {
    bounded_text(s, 2, 4000, "答复内容", "answer")
}

/// The name of an agency outside the platform (舞阳县公安局): 2–100 characters.
pub fn agency(s: &str) -> Result<String, Invalid> {
    bounded_text(s, 2, 100, "机关名称", "agency")
}

/// A side of a request as the queue and the page show it (a request's reader stands on the
/// requesting side, the receiving side, or both when one office holds both regions).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Side {
    Requesting,
    Receiving,
    Both,
}

impl Side {
    pub fn label_zh(self) -> &'static str {
        match self {
            Side::Requesting => "我方发起",
            Side::Receiving => "请求我方",
            Side::Both => "本辖区内",
        }
    }

    /// Whether the reader sees the receiving side's internal work (which department it was
    /// assigned to, reassignments and their reasons).
    pub fn sees_receiving_internals(self) -> bool {
        matches!(self, Side::Receiving | Side::Both)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lifecycle::{Lifecycle, check_graph};

    #[test]
    fn the_lifecycle_is_well_formed() {
        check_graph(AssistanceStatus::parse);
        assert!(AssistanceStatus::Closed.is_final());
        assert!(AssistanceStatus::Refused.is_final());
        assert!(!AssistanceStatus::Answered.is_final());
    }

    #[test]
    fn actions_move_as_the_table_says() {
        use AssistanceAction as A;
        use AssistanceStatus as S;
        assert_eq!(A::Submit.step(None).unwrap().to, S::Submitted);
        assert!(A::Assign.step(None).is_err());
        assert_eq!(A::Assign.step(Some(S::Submitted)).unwrap().to, S::Assigned);
        assert_eq!(A::Refuse.step(Some(S::Submitted)).unwrap().to, S::Refused);
        // Refusing after assignment is not a move: the department answers instead.
        assert!(A::Refuse.step(Some(S::Assigned)).is_err());
        assert_eq!(A::Answer.step(Some(S::Assigned)).unwrap().to, S::Answered);
        assert!(A::Answer.step(Some(S::Submitted)).is_err());
        assert_eq!(A::Reopen.step(Some(S::Answered)).unwrap().to, S::Assigned);
        assert_eq!(A::Close.step(Some(S::Answered)).unwrap().to, S::Closed);
        assert!(A::Close.step(Some(S::Assigned)).is_err());
        assert!(A::Withdraw.step(Some(S::Answered)).is_err());
        let r = A::Reassign.step(Some(S::Assigned)).unwrap();
        assert_eq!((r.from, r.to), (Some(S::Assigned), S::Assigned));
        assert!(A::Reassign.step(Some(S::Submitted)).is_err());
        assert!(A::FlagOverdue.step(Some(S::Assigned)).is_ok());
        assert!(A::FlagOverdue.step(Some(S::Answered)).is_err());
        assert!(A::Attach.step(Some(S::Closed)).is_err());
        for s in S::ALL {
            assert!(A::Submit.step(Some(*s)).is_err());
        }
    }

    #[test]
    fn fields_name_their_errors() {
        assert_eq!(deadline_days(" 5 ").unwrap(), 5);
        for bad in ["", "0", "61", "-1", "五", "99999999999"] {
            assert!(deadline_days(bad).is_err(), "{bad}");
        }
        assert!(deadline_days("61").unwrap_err().to_string().contains("61"));
        assert!(subject("甲").is_err());
        assert!(legal_basis(&"法".repeat(501)).is_err());
        assert!(needed("请协助核查该企业的生产许可证").is_ok());
        assert!(answer(" ").is_err());
        assert_eq!(answer_clock(7).working_days, 7);
    }
}
