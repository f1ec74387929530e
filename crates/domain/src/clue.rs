//! Problem clues (问题线索) and their joint handling, 国办发〔2023〕1号 (十) and 鲁政办发〔2023〕14号
//! task 13: clues come from the 12345 hotline, the online supervision platform, associations,
//! media and departments' own findings; they are dispatched (分办), transferred (转办) and
//! supervised (督办) with deadlines. A clue is a case (`crate::case`): its statuses below, its
//! clocks started at dispatch (12345 practice: 签收 within 1 working day, 退回 with a reason
//! within 2, 办结 within 5, 延期 up to 10 — DOMAIN.md; configurable later).
//!
//! The complainant's name and phone are personal data (DOMAIN.md "What is public": never leaves
//! the handling department): parsed here, masked here ([`mask_name`], [`mask_phone`]).

use serde::{Deserialize, Serialize};

use crate::Invalid;
use crate::case::{ClockSpec, Step};
use crate::directory::labelled_enum;
use crate::error::bounded_text;
use crate::lifecycle::lifecycle;

labelled_enum!(
    /// Where a clue came from (DOMAIN.md "Clue sources").
    ClueSource {
        Hotline12345 = "hotline_12345" / "12345热线",
        InternetPlus = "internet_plus" / "互联网+监管",
        Portal = "portal" / "投诉举报平台",
        Association = "association" / "行业协会",
        Media = "media" / "新闻媒体",
        Department = "department" / "部门移送/抄告",
        Assigned = "assigned" / "交办转办",
        Patrol = "patrol" / "日常巡查",
        Monitoring = "monitoring" / "数据监测/物联感知",
    }
);

labelled_enum!(
    /// What the person asks for (12345 诉求类型).
    ClueKind {
        Complaint = "complaint" / "投诉",
        Report = "report" / "举报",
        Inquiry = "inquiry" / "咨询",
        Help = "help" / "求助",
        Suggestion = "suggestion" / "建议",
    }
);

labelled_enum!(
    /// 紧急程度 as 12345 work orders carry it.
    Urgency {
        Normal = "normal" / "一般",
        Urgent = "urgent" / "紧急",
        VeryUrgent = "very_urgent" / "特急",
    }
);

labelled_enum!(
    /// A clue's state. registered → dispatched → handling → finished; a department returns a
    /// dispatched clue with a reason (returned) and the office dispatches it again (改派); an
    /// unsigned clue past its signing deadline goes to the office (escalated); an extension
    /// asked while handling waits for the office's decision.
    ClueStatus {
        Registered = "registered" / "待派单",
        Dispatched = "dispatched" / "待签收",
        Handling = "handling" / "办理中",
        ExtensionRequested = "extension_requested" / "延期待审批",
        Returned = "returned" / "退回待处理",
        Escalated = "escalated" / "超时未签收",
        Disputed = "disputed" / "争议待裁定",
        Finished = "finished" / "已办结",
        Closed = "closed" / "已回访归档",
        Merged = "merged" / "已并单",
    }
);

lifecycle!(ClueStatus, "问题线索", "clue", {
    // 并单: a duplicate waits on the clue it joined; 争议: the office found no clear owner.
    Registered => [Dispatched, Disputed, Merged],
    // Signed (签收) moves to handling; a late signature is still a signature.
    Dispatched => [Handling, Returned, Escalated],
    // A department that signed and then finds the clue is not its duty returns it while the
    // return clock runs (checked by the service).
    Handling => [ExtensionRequested, Finished, Returned],
    ExtensionRequested => [Handling],
    // 转办 to another region re-registers it there (the region changes, see `Transfer`).
    Returned => [Dispatched, Disputed, Registered, Merged],
    Escalated => [Dispatched, Handling],
    // 裁定: the office names the lead by 谁主管谁牵头、谁为主谁牵头、谁靠近谁牵头.
    Disputed => [Dispatched, Registered],
    // 回访: satisfied closes it; dissatisfied sends it back to the department (重办).
    Finished => [Closed, Handling],
    Closed => [],
    // A merged clue is answered with the clue it joined.
    Merged => [Finished],
});

impl ClueStatus {
    /// Open statuses a department works on (its queues), as opposed to the office's.
    pub fn is_with_department(self) -> bool {
        matches!(
            self,
            ClueStatus::Dispatched | ClueStatus::Handling | ClueStatus::ExtensionRequested
        )
    }

    /// Statuses the coordination office must act on.
    pub fn is_with_office(self) -> bool {
        matches!(
            self,
            ClueStatus::Registered
                | ClueStatus::Returned
                | ClueStatus::Escalated
                | ClueStatus::ExtensionRequested
                | ClueStatus::Disputed
        )
    }

    /// Still being worked on (not finished, closed or merged away).
    pub fn is_open(self) -> bool {
        !matches!(
            self,
            ClueStatus::Finished | ClueStatus::Closed | ClueStatus::Merged
        )
    }
}

labelled_enum!(
    /// The rule by which the office names a disputed clue's lead department (国办发〔2023〕1号
    /// (十): 谁主管谁牵头、谁为主谁牵头、谁靠近谁牵头).
    LeadRule {
        Competent = "competent" / "谁主管谁牵头",
        Principal = "principal" / "谁为主谁牵头",
        Nearest = "nearest" / "谁靠近谁牵头",
    }
);

labelled_enum!(
    /// What the handling department found at 办结 (查实情况) of a complaint or report. 属实 and
    /// 部分属实 are verified (查实): when the clue names an entity they become a credit record of
    /// kind 查实投诉举报 on its timeline (国办发〔2023〕1号 (十)(十一)).
    Finding {
        Substantiated = "substantiated" / "属实",
        PartlySubstantiated = "partly_substantiated" / "部分属实",
        Unsubstantiated = "unsubstantiated" / "不属实",
    }
);

impl Finding {
    /// 查实: the complaint or report was found true, wholly or in part.
    pub fn is_verified(self) -> bool {
        !matches!(self, Finding::Unsubstantiated)
    }
}

impl ClueKind {
    /// Complaints and reports are found true or not; inquiries, requests for help and
    /// suggestions have nothing to verify.
    pub fn takes_finding(self) -> bool {
        matches!(self, ClueKind::Complaint | ClueKind::Report)
    }
}

labelled_enum!(
    /// The complainant's verdict at 回访 (12345 满意度).
    Satisfaction {
        Satisfied = "satisfied" / "满意",
        BasicallySatisfied = "basically_satisfied" / "基本满意",
        Dissatisfied = "dissatisfied" / "不满意",
    }
);

impl Satisfaction {
    /// Counted as satisfied in the office's rates (满意 and 基本满意).
    pub fn is_satisfied(self) -> bool {
        !matches!(self, Satisfaction::Dissatisfied)
    }
}

/// Every step a clue can take (the `action` of its events and audit entries: `clue.<code>`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ClueAction {
    Register,
    Dispatch,
    Sign,
    Return,
    Reassign,
    Escalate,
    RequestExtension,
    ApproveExtension,
    RefuseExtension,
    Finish,
    Dispute,
    Decide,
    Supervise,
    Urge,
    Transfer,
    Merge,
    JoinVisit,
    Verify,
    Revisit,
    /// 补充材料: a file added to the clue's evidence by its handling staff or the office.
    Attach,
}

impl ClueAction {
    pub const ALL: &'static [ClueAction] = &[
        ClueAction::Register,
        ClueAction::Dispatch,
        ClueAction::Sign,
        ClueAction::Return,
        ClueAction::Reassign,
        ClueAction::Escalate,
        ClueAction::RequestExtension,
        ClueAction::ApproveExtension,
        ClueAction::RefuseExtension,
        ClueAction::Finish,
        ClueAction::Dispute,
        ClueAction::Decide,
        ClueAction::Supervise,
        ClueAction::Urge,
        ClueAction::Transfer,
        ClueAction::Merge,
        ClueAction::JoinVisit,
        ClueAction::Verify,
        ClueAction::Revisit,
        ClueAction::Attach,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ClueAction::Register => "register",
            ClueAction::Dispatch => "dispatch",
            ClueAction::Sign => "sign",
            ClueAction::Return => "return",
            ClueAction::Reassign => "reassign",
            ClueAction::Escalate => "escalate",
            ClueAction::RequestExtension => "request_extension",
            ClueAction::ApproveExtension => "approve_extension",
            ClueAction::RefuseExtension => "refuse_extension",
            ClueAction::Finish => "finish",
            ClueAction::Dispute => "dispute",
            ClueAction::Decide => "decide",
            ClueAction::Supervise => "supervise",
            ClueAction::Urge => "urge",
            ClueAction::Transfer => "transfer",
            ClueAction::Merge => "merge",
            ClueAction::JoinVisit => "join_visit",
            ClueAction::Verify => "verify",
            ClueAction::Revisit => "revisit",
            ClueAction::Attach => "attach",
        }
    }

    pub fn label_zh(self) -> &'static str {
        match self {
            ClueAction::Register => "登记",
            ClueAction::Dispatch => "派单",
            ClueAction::Sign => "签收",
            ClueAction::Return => "退回",
            ClueAction::Reassign => "改派",
            ClueAction::Escalate => "超时升级至联席办",
            ClueAction::RequestExtension => "申请延期",
            ClueAction::ApproveExtension => "批准延期",
            ClueAction::RefuseExtension => "不予延期",
            ClueAction::Finish => "办结",
            ClueAction::Dispute => "提请裁定",
            ClueAction::Decide => "裁定牵头部门",
            ClueAction::Supervise => "督办",
            ClueAction::Urge => "催办",
            ClueAction::Transfer => "转办",
            ClueAction::Merge => "并单",
            ClueAction::JoinVisit => "并入检查",
            ClueAction::Verify => "发起核查",
            ClueAction::Revisit => "回访",
            ClueAction::Attach => "补充材料",
        }
    }

    pub fn parse(s: &str) -> Result<Self, Invalid> {
        Self::ALL
            .iter()
            .copied()
            .find(|a| a.as_str() == s)
            .ok_or_else(|| {
                Invalid::new(
                    "unknown_action",
                    format!("未知的线索办理操作“{s}”"),
                    format!("unknown clue action '{s}'"),
                )
            })
    }

    /// Whether this step must carry a reason (退回、改派、延期 and its refusal).
    pub fn needs_reason(self) -> bool {
        matches!(
            self,
            ClueAction::Return
                | ClueAction::Reassign
                | ClueAction::RequestExtension
                | ClueAction::RefuseExtension
                | ClueAction::Dispute
                | ClueAction::Decide
                | ClueAction::Supervise
                | ClueAction::Urge
                | ClueAction::Transfer
        )
    }

    /// The step this action takes from `from`, or why it cannot be taken: the one place that
    /// maps actions onto the status graph.
    pub fn step(self, from: ClueStatus) -> Result<Step<ClueStatus>, Invalid> {
        use ClueStatus as S;
        let a = self.as_str();
        match self {
            ClueAction::Register => Ok(Step::open(a, S::Registered)),
            // 派单 is the first sending only; what comes back goes out again by 改派.
            ClueAction::Dispatch if from == S::Registered => Step::moving(a, from, S::Dispatched),
            ClueAction::Dispatch => Step::staying(a, from, false),
            // Only a sent clue is signed: a finished one reopens through 回访, an extension
            // request waits for the office — both also lead to handling, but not by signing.
            ClueAction::Sign if matches!(from, S::Finished | S::ExtensionRequested) => {
                Step::staying(a, from, false)
            }
            ClueAction::Sign => Step::moving(a, from, S::Handling),
            ClueAction::Return => Step::moving(a, from, S::Returned),
            // 改派: what came back (returned, escalated) goes out again; an unsigned clue can
            // also be redirected before the department signs (its status stays).
            ClueAction::Reassign if from == S::Dispatched => Step::staying(a, from, true),
            ClueAction::Reassign => {
                if matches!(from, S::Returned | S::Escalated) {
                    Step::moving(a, from, S::Dispatched)
                } else {
                    Step::staying(a, from, false)
                }
            }
            ClueAction::Escalate => Step::moving(a, from, S::Escalated),
            ClueAction::RequestExtension => Step::moving(a, from, S::ExtensionRequested),
            ClueAction::ApproveExtension | ClueAction::RefuseExtension => {
                if from == S::ExtensionRequested {
                    Step::moving(a, from, S::Handling)
                } else {
                    Step::staying(a, from, false)
                }
            }
            ClueAction::Finish => Step::moving(a, from, S::Finished),
            ClueAction::Dispute => Step::moving(a, from, S::Disputed),
            // 裁定 only settles a dispute; a plain clue is dispatched.
            ClueAction::Decide if from == S::Disputed => Step::moving(a, from, S::Dispatched),
            ClueAction::Decide => Step::staying(a, from, false),
            // 督办 and 催办 are notices on an open clue; the clue stays where it is.
            ClueAction::Supervise => Step::staying(a, from, from.is_open()),
            ClueAction::Urge => Step::staying(a, from, from.is_with_department()),
            // 转办 to another region: it arrives there as registered, for that office.
            ClueAction::Transfer if from == S::Registered => Step::staying(a, from, true),
            ClueAction::Transfer => Step::moving(a, from, S::Registered),
            ClueAction::Merge => Step::moving(a, from, S::Merged),
            // Joining an open visit or starting one keeps the clue with its department.
            ClueAction::JoinVisit | ClueAction::Verify => {
                Step::staying(a, from, from == S::Handling)
            }
            // A dissatisfied complainant sends it back (重办); the service picks the target.
            ClueAction::Revisit => Step::moving(a, from, S::Closed),
            // Files are added while the clue is worked on and to a finished one (the result's
            // documents), not once it is archived or merged into another.
            ClueAction::Attach => Step::staying(a, from, !matches!(from, S::Closed | S::Merged)),
        }
    }

    /// 回访 with the complainant's verdict: closed when satisfied, back to handling when not.
    pub fn revisit(from: ClueStatus, s: Satisfaction) -> Result<Step<ClueStatus>, Invalid> {
        let to = if s.is_satisfied() {
            ClueStatus::Closed
        } else {
            ClueStatus::Handling
        };
        Step::moving(ClueAction::Revisit.as_str(), from, to)
    }
}

/// The clocks of a dispatched clue, all started at dispatch (DOMAIN.md, 12345 practice).
pub const SIGN_CLOCK: ClockSpec = ClockSpec {
    name: "sign",
    label_zh: "签收时限",
    working_days: 1,
    warn_within: 0,
};
/// A department may return a clue it cannot handle within this many working days.
pub const RETURN_CLOCK: ClockSpec = ClockSpec {
    name: "return",
    label_zh: "退回时限",
    working_days: 2,
    warn_within: 0,
};
pub const FINISH_CLOCK: ClockSpec = ClockSpec {
    name: "finish",
    label_zh: "办结时限",
    working_days: 5,
    warn_within: 1,
};
pub const DISPATCH_CLOCKS: [ClockSpec; 3] = [SIGN_CLOCK, RETURN_CLOCK, FINISH_CLOCK];
/// The office decides a disputed clue's lead within this many working days.
pub const DECIDE_CLOCK: ClockSpec = ClockSpec {
    name: "decide",
    label_zh: "裁定时限",
    working_days: 3,
    warn_within: 1,
};

/// Deadlines of one kind of clue (`clue_deadline_rules`): the clocks started at dispatch with
/// these working days in place of the defaults.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Deadlines {
    pub sign_days: u32,
    pub return_days: u32,
    pub finish_days: u32,
}

impl Default for Deadlines {
    fn default() -> Self {
        Deadlines {
            sign_days: SIGN_CLOCK.working_days,
            return_days: RETURN_CLOCK.working_days,
            finish_days: FINISH_CLOCK.working_days,
        }
    }
}

impl Deadlines {
    /// Parses the three numbers: signing 1–5, returning 1–10 and no later than finishing,
    /// finishing 1–60 working days. Every bad number is named.
    pub fn parse(sign: i64, ret: i64, finish: i64) -> Result<Self, Vec<(&'static str, Invalid)>> {
        let mut errs = Vec::new();
        let mut one = |field: &'static str, zh: &str, v: i64, max: i64| {
            if (1..=max).contains(&v) {
                v as u32
            } else {
                errs.push((
                    field,
                    Invalid::new(
                        "out_of_range",
                        format!("{zh}应为 1 至 {max} 个工作日（填写的是 {v}）"),
                        format!("{field} must be 1 to {max} working days (got {v})"),
                    ),
                ));
                0
            }
        };
        let d = Deadlines {
            sign_days: one("sign_days", "签收时限", sign, 5),
            return_days: one("return_days", "退回时限", ret, 10),
            finish_days: one("finish_days", "办结时限", finish, 60),
        };
        if errs.is_empty() && d.return_days > d.finish_days {
            errs.push((
                "return_days",
                Invalid::new(
                    "after_finish",
                    "退回时限不能长于办结时限",
                    "the return deadline cannot be after the finishing deadline",
                ),
            ));
        }
        if errs.is_empty() { Ok(d) } else { Err(errs) }
    }

    /// The clocks started at dispatch.
    pub fn clocks(self) -> [ClockSpec; 3] {
        [
            ClockSpec {
                working_days: self.sign_days,
                ..SIGN_CLOCK
            },
            ClockSpec {
                working_days: self.return_days,
                ..RETURN_CLOCK
            },
            ClockSpec {
                working_days: self.finish_days,
                ..FINISH_CLOCK
            },
        ]
    }
}

/// The longest extension (延期) of the finishing deadline, in working days.
pub const MAX_EXTENSION_DAYS: u32 = 10;

/// Working days of an extension request: 1 to [`MAX_EXTENSION_DAYS`].
pub fn extension_days(n: i64) -> Result<u32, Invalid> {
    if (1..=i64::from(MAX_EXTENSION_DAYS)).contains(&n) {
        Ok(n as u32)
    } else {
        Err(Invalid::new(
            "out_of_range",
            format!("延期应为 1 至 {MAX_EXTENSION_DAYS} 个工作日（填写的是 {n}）"),
            format!("an extension is 1 to {MAX_EXTENSION_DAYS} working days (got {n})"),
        ))
    }
}

/// What the clue says: 5–4,000 characters, on several lines if the person wrote them so (a
/// form's text area, a work order); other control characters are refused.
pub fn content(s: &str) -> Result<String, Invalid> {
    crate::error::multiline_text(s, 5, 4000, "线索内容", "content")
}

/// Where it happened: 2–200 characters.
pub fn address(s: &str) -> Result<String, Invalid> {
    bounded_text(s, 2, 200, "事发地址", "address")
}

/// A finishing note (办理结果): 4–2,000 characters.
pub fn result_text(s: &str) -> Result<String, Invalid> {
    bounded_text(s, 4, 2000, "办理结果", "result")
}

/// A 12345 work-order number or another system's reference: 1–64 printable ASCII characters.
pub fn external_no(s: &str) -> Result<Option<String>, Invalid> {
    let t = s.trim();
    if t.is_empty() {
        return Ok(None);
    }
    if t.len() > 64 || !t.chars().all(|c| c.is_ascii_graphic()) {
        return Err(Invalid::new(
            "external_no",
            "来源单号应为 1 至 64 个字母、数字或符号（不含空格）",
            "the source reference must be 1–64 printable ASCII characters without spaces",
        ));
    }
    Ok(Some(t.to_string()))
}

/// The complainant's name: up to 50 characters, may be empty (anonymous or unknown).
pub fn complainant_name(s: &str) -> Result<Option<String>, Invalid> {
    if s.trim().is_empty() {
        return Ok(None);
    }
    bounded_text(s, 1, 50, "诉求人姓名", "complainant name").map(Some)
}

/// A Chinese phone number as people write it: a mobile number (11 digits starting 1[3-9]),
/// optionally with +86; or a landline with its area code (0 and 2–3 digits, then 7–8 digits),
/// with or without a hyphen and an extension after `-` or `转`. Stored as digits with one
/// hyphen after the area code. Empty is allowed (anonymous tips).
pub fn phone(s: &str) -> Result<Option<String>, Invalid> {
    let t: String = s.trim().chars().filter(|c| !matches!(c, ' ')).collect();
    if t.is_empty() {
        return Ok(None);
    }
    let bad = || {
        Invalid::new(
            "phone",
            format!("联系电话“{t}”不正确：手机号为 11 位数字，固定电话请带区号（如 0395-1234567）"),
            format!("phone '{t}' is not a mobile number (11 digits) or a landline with area code"),
        )
    };
    let t = t
        .strip_prefix("+86")
        .or_else(|| t.strip_prefix("86").filter(|r| r.len() == 11))
        .unwrap_or(&t);
    let digits = |x: &str| !x.is_empty() && x.chars().all(|c| c.is_ascii_digit());
    if t.len() == 11 && digits(t) && t.starts_with('1') && (b'3'..=b'9').contains(&t.as_bytes()[1])
    {
        return Ok(Some(t.to_string()));
    }
    let (main, ext) = match t.split_once('转').or_else(|| {
        // A second hyphen starts an extension: 0395-1234567-801.
        let first = t.find('-')?;
        let second = t[first + 1..].find('-')? + first + 1;
        Some((&t[..second], &t[second + 1..]))
    }) {
        Some((m, e)) if digits(e) && e.len() <= 6 => (m, Some(e)),
        Some(_) => return Err(bad()),
        None => (t, None),
    };
    let (area, local) = match main.split_once('-') {
        Some((a, l)) => (a.to_string(), l.to_string()),
        None if main.starts_with('0') && digits(main) => {
            // Without a hyphen: area codes of Beijing etc. have 3 digits (010, 02x), others 4.
            let n = if matches!(&main[1..2], "1" | "2") {
                3
            } else {
                4
            };
            if main.len() <= n {
                return Err(bad());
            }
            (main[..n].to_string(), main[n..].to_string())
        }
        None => return Err(bad()),
    };
    if !(digits(&area)
        && area.starts_with('0')
        && (3..=4).contains(&area.len())
        && digits(&local)
        && (7..=8).contains(&local.len()))
    {
        return Err(bad());
    }
    Ok(Some(match ext {
        Some(e) => format!("{area}-{local}-{e}"),
        None => format!("{area}-{local}"),
    }))
}

/// A name as those who may not see it read it: the first character, the rest as `*`.
pub fn mask_name(name: &str) -> String {
    let mut cs = name.chars();
    match cs.next() {
        Some(first) => {
            let rest = cs.count().max(1);
            format!("{first}{}", "*".repeat(rest))
        }
        None => String::new(),
    }
}

/// A phone as those who may not see it read it: the first three and the last four digits of
/// a mobile number (138****5678), the area code and the last two digits of a landline.
pub fn mask_phone(phone: &str) -> String {
    if let Some((area, local)) = phone.split_once('-') {
        let local = local.split('-').next().unwrap_or_default();
        let keep = local.len().saturating_sub(2);
        return format!("{area}-{}{}", "*".repeat(keep), &local[keep..]);
    }
    if phone.len() >= 7 {
        format!(
            "{}{}{}",
            &phone[..3],
            "*".repeat(phone.len() - 7),
            &phone[phone.len() - 4..]
        )
    } else {
        "*".repeat(phone.len())
    }
}

/// Coordinates of the place (WGS-84), both or neither.
pub fn coordinates(lat: Option<f64>, lng: Option<f64>) -> Result<Option<(f64, f64)>, Invalid> {
    match (lat, lng) {
        (None, None) => Ok(None),
        (Some(a), Some(o)) if (-90.0..=90.0).contains(&a) && (-180.0..=180.0).contains(&o) => {
            Ok(Some((a, o)))
        }
        (Some(a), Some(o)) => Err(Invalid::new(
            "position",
            format!("位置坐标不正确（纬度 {a}，经度 {o}）"),
            format!("invalid position (lat {a}, lng {o})"),
        )),
        _ => Err(Invalid::new(
            "position",
            "经度和纬度应同时填写或同时留空",
            "give both latitude and longitude, or neither",
        )),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn content_keeps_its_lines_and_refuses_other_controls() {
        assert_eq!(
            super::content("  第一行\r\n第二行内容  \n").unwrap(),
            "第一行\n第二行内容"
        );
        assert_eq!(
            super::content("五个字以上\u{7}").unwrap_err().code,
            "control_character"
        );
        assert_eq!(super::content("短\n\n").unwrap_err().code, "too_short");
    }

    use super::*;
    use crate::lifecycle::check_graph;

    #[test]
    fn the_status_graph_is_whole_and_actions_follow_it() {
        check_graph(ClueStatus::parse);
        use ClueStatus as S;
        let s = ClueAction::Sign.step(S::Dispatched).unwrap();
        assert_eq!((s.from, s.to), (Some(S::Dispatched), S::Handling));
        // Signing a clue that has not been dispatched names both statuses.
        let e = ClueAction::Sign.step(S::Registered).unwrap_err();
        assert_eq!(e.zh, "问题线索当前为“待派单”，不能改为“办理中”");
        // A finished clue only takes its 回访 and files (the result's documents); a closed or
        // merged-away one takes nothing.
        for a in ClueAction::ALL.iter().filter(|a| {
            !matches!(
                a,
                ClueAction::Register | ClueAction::Revisit | ClueAction::Attach
            )
        }) {
            assert!(a.step(S::Finished).is_err(), "{a:?}");
        }
        for a in ClueAction::ALL
            .iter()
            .filter(|a| **a != ClueAction::Register)
        {
            assert!(a.step(S::Closed).is_err(), "{a:?}");
            // A merged clue is finished only with the clue it joined (the service's step).
            assert!(
                a.step(S::Merged).is_err() || *a == ClueAction::Finish,
                "{a:?}"
            );
        }
        // 回访: satisfied closes, dissatisfied reopens (重办).
        let v = ClueAction::revisit(S::Finished, Satisfaction::BasicallySatisfied).unwrap();
        assert_eq!(v.to, S::Closed);
        let v = ClueAction::revisit(S::Finished, Satisfaction::Dissatisfied).unwrap();
        assert_eq!(v.to, S::Handling);
        assert!(ClueAction::revisit(S::Handling, Satisfaction::Satisfied).is_err());
        // 督办 on any open clue, 催办 only while a department holds it; both keep the status.
        assert_eq!(
            ClueAction::Supervise.step(S::Returned).unwrap().to,
            S::Returned
        );
        assert!(ClueAction::Urge.step(S::Returned).is_err());
        assert_eq!(ClueAction::Urge.step(S::Handling).unwrap().to, S::Handling);
        // 转办 re-registers; 裁定 dispatches a disputed clue; 并单 from the office's statuses.
        assert_eq!(
            ClueAction::Transfer.step(S::Registered).unwrap().to,
            S::Registered
        );
        assert_eq!(
            ClueAction::Transfer.step(S::Disputed).unwrap().to,
            S::Registered
        );
        assert!(ClueAction::Transfer.step(S::Handling).is_err());
        assert_eq!(
            ClueAction::Decide.step(S::Disputed).unwrap().to,
            S::Dispatched
        );
        assert!(ClueAction::Decide.step(S::Registered).is_err());
        assert!(ClueAction::Merge.step(S::Handling).is_err());
        assert!(ClueAction::JoinVisit.step(S::Dispatched).is_err());
        assert_eq!(
            ClueAction::Verify.step(S::Handling).unwrap().to,
            S::Handling
        );
        // 改派 before signing keeps the status; after a return it dispatches again; while
        // handling it is refused.
        let r = ClueAction::Reassign.step(S::Dispatched).unwrap();
        assert_eq!(r.to, S::Dispatched);
        assert_eq!(
            ClueAction::Reassign.step(S::Returned).unwrap().to,
            S::Dispatched
        );
        assert!(ClueAction::Reassign.step(S::Handling).is_err());
        // A late signature after escalation is still accepted.
        assert_eq!(ClueAction::Sign.step(S::Escalated).unwrap().to, S::Handling);
        assert!(ClueAction::Return.step(S::ExtensionRequested).is_err());
        assert!(ClueAction::Sign.step(S::ExtensionRequested).is_err());
        assert!(ClueAction::Dispatch.step(S::Returned).is_err());
        assert!(ClueAction::ApproveExtension.step(S::Handling).is_err());
        assert_eq!(
            ClueAction::RefuseExtension
                .step(S::ExtensionRequested)
                .unwrap()
                .to,
            S::Handling
        );
        for a in ClueAction::ALL {
            assert_eq!(ClueAction::parse(a.as_str()).unwrap(), *a);
        }
        assert!(ClueAction::Return.needs_reason() && !ClueAction::Sign.needs_reason());
    }

    #[test]
    fn phones_parse_and_mask() {
        assert_eq!(phone("138 0013 8000").unwrap().unwrap(), "13800138000");
        assert_eq!(phone("+8613800138000").unwrap().unwrap(), "13800138000");
        assert_eq!(phone("0395-1234567").unwrap().unwrap(), "0395-1234567");
        assert_eq!(phone("03951234567").unwrap().unwrap(), "0395-1234567");
        assert_eq!(phone("01012345678").unwrap().unwrap(), "010-12345678");
        assert_eq!(
            phone("0395-1234567转801").unwrap().unwrap(),
            "0395-1234567-801"
        );
        assert_eq!(phone("").unwrap(), None);
        for bad in [
            "12345",
            "23800138000",
            "1380013800a",
            "0395-12",
            "abc",
            "1280013800",
        ] {
            assert_eq!(phone(bad).unwrap_err().code, "phone", "{bad}");
        }
        assert_eq!(mask_phone("13800138000"), "138****8000");
        assert_eq!(mask_phone("0395-1234567"), "0395-*****67");
        assert_eq!(mask_phone("0395-1234567-801"), "0395-*****67");
        assert_eq!(mask_name("张三"), "张*");
        assert_eq!(mask_name("欧阳娜娜"), "欧***");
        assert_eq!(mask_name("李"), "李*");
    }

    #[test]
    fn fields_name_their_problem() {
        assert_eq!(content("太短").unwrap_err().code, "too_short");
        assert!(content("药店销售过期药品，请核查").is_ok());
        assert_eq!(extension_days(11).unwrap_err().code, "out_of_range");
        assert_eq!(extension_days(10).unwrap(), 10);
        let d = Deadlines::parse(1, 2, 5).unwrap();
        assert_eq!(d, Deadlines::default());
        assert_eq!(d.clocks()[2].working_days, 5);
        let e = Deadlines::parse(0, 3, 99).unwrap_err();
        assert_eq!(
            e.iter().map(|(f, _)| *f).collect::<Vec<_>>(),
            ["sign_days", "finish_days"]
        );
        assert_eq!(
            Deadlines::parse(1, 6, 5).unwrap_err()[0].1.code,
            "after_finish"
        );
        assert!(coordinates(Some(33.4), None).is_err());
        assert!(coordinates(Some(95.0), Some(113.6)).is_err());
        assert_eq!(
            coordinates(Some(33.4), Some(113.6)).unwrap(),
            Some((33.4, 113.6))
        );
        assert_eq!(
            external_no(" 12345-2026-0001 ").unwrap().unwrap(),
            "12345-2026-0001"
        );
        assert!(external_no("带 空格").is_err());
        assert_eq!(
            ClueSource::parse("12345热线").unwrap(),
            ClueSource::Hotline12345
        );
        assert_eq!(Urgency::parse("特急").unwrap(), Urgency::VeryUrgent);
    }
}
