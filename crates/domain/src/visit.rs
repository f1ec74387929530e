//! Inspection visits and their results (检查实施与结果公示, 一公开): the visit's states, the
//! answers per check point, the national result and follow-up codes, and the rules that tie
//! them together. 鲁双随机办 principle 6: results are published ("公示为原则、不公示为例外");
//! problems lead to rectification (责令整改), violations of another department's rules are
//! passed to it (抄告), suspected crimes are transferred (移送). DOMAIN.md "Enumerations".

use serde::{Deserialize, Serialize};

use crate::Invalid;
use crate::directory::labelled_enum;
use crate::error::bounded_text;
use crate::lifecycle::lifecycle;

labelled_enum!(
    /// A visit's state. scheduled → in_progress → submitted → reviewed → published → closed;
    /// a department that returns its part sends the visit back to in_progress. cancelled is
    /// where a re-draw leaves the visits of the replaced draw.
    VisitStatus {
        Scheduled = "scheduled" / "待检查",
        InProgress = "in_progress" / "检查中",
        Submitted = "submitted" / "结果已提交",
        Reviewed = "reviewed" / "已审核",
        Published = "published" / "已公示",
        Closed = "closed" / "后续处置完结",
        Cancelled = "cancelled" / "已取消",
    }
);

labelled_enum!(
    /// What starts a visit: a draw (双随机) or something else (ad hoc: a complaint, a warning …).
    VisitTrigger {
        Random = "random" / "双随机抽查",
        Complaint = "complaint" / "投诉举报",
        Clue = "clue" / "问题线索核查",
        Warning = "warning" / "风险预警",
        Referral = "referral" / "部门移送/抄告",
        Assigned = "assigned" / "上级交办",
        FollowUp = "follow_up" / "整改复查",
        Routine = "routine" / "日常巡查",
    }
);

labelled_enum!(
    /// How a draw picked the entity for one plan's check (docs/draw-algorithm.md 12.13): the
    /// plain random order of a plan without risk weighting, the random control share of a
    /// risk-weighted plan (随机对照), or that plan's weighted order. Comparing the problem rates
    /// of control and weighted picks measures the risk weighting's lift (issue 16 item 4).
    DrawSelection {
        Random = "random" / "随机抽取",
        Control = "control" / "随机对照",
        Weighted = "weighted" / "按风险加权",
    }
);

labelled_enum!(
    /// The answer for one check point (检查要点).
    Answer {
        Pass = "pass" / "符合",
        Fail = "fail" / "不符合",
        NotApplicable = "not_applicable" / "不适用",
    }
);

labelled_enum!(
    /// The national result codes of 双随机 inspections (检查结果), DOMAIN.md.
    ResultCode {
        NoProblem = "no_problem" / "未发现问题",
        NotPublicised = "not_publicised" / "未按规定公示应当公示的信息",
        FalsePublicity = "false_publicity" / "公示信息隐瞒真实情况、弄虚作假",
        Unreachable = "unreachable" / "通过登记的住所（经营场所）无法联系",
        Corrected = "corrected" / "发现问题已责令改正",
        Pending = "pending" / "发现问题待后续处理",
        NoActivity = "no_activity" / "未发现开展本次抽查涉及的经营活动",
        ClosedDown = "closed_down" / "已关闭停业或正在组织清算",
        Uncooperative = "uncooperative" / "不配合检查情节严重",
        OtherDepartment = "other_department" / "违反其他部门相关规定",
        Deregistered = "deregistered" / "注销",
        Revoked = "revoked" / "吊销",
        Withdrawn = "withdrawn" / "撤销",
        MovedOut = "moved_out" / "迁出",
    }
);

labelled_enum!(
    /// Follow-up (后续处置), DOMAIN.md.
    FollowUp {
        None = "none" / "无需后续处置",
        Rectify = "rectify" / "责令改正",
        Handover = "handover" / "移交日常监管部门",
        CaseTransfer = "case_transfer" / "案件线索移送办案机构",
        Notify = "notify" / "抄告相关部门",
    }
);

labelled_enum!(
    /// A department's review of its part of a visit's results. pending → approved or
    /// returned; a returned part goes back to pending when the inspectors submit again, an
    /// approved one when they change it while the visit is back with them.
    Review {
        Pending = "pending" / "待审核",
        Approved = "approved" / "已通过",
        Returned = "returned" / "已退回",
    }
);

labelled_enum!(
    /// A rectification order (责令整改通知书).
    RectificationStatus {
        Issued = "issued" / "整改中",
        Reported = "reported" / "已报告整改",
        Passed = "passed" / "复查合格",
        Failed = "failed" / "复查不合格",
    }
);

labelled_enum!(
    /// A referral to another department (抄告) and its feedback.
    ReferralStatus {
        Sent = "sent" / "待反馈",
        Answered = "answered" / "已反馈",
    }
);

labelled_enum!(
    /// A case transfer (案件移送) to a handling agency and its feedback.
    TransferStatus {
        Transferred = "transferred" / "已移送",
        Accepted = "accepted" / "已受理",
        Declined = "declined" / "不予受理",
    }
);

lifecycle!(VisitStatus, "检查任务", "visit", {
    Scheduled => [InProgress, Cancelled],
    InProgress => [Submitted],
    // A department's part returned on review sends the visit back to its inspectors.
    Submitted => [Reviewed, InProgress],
    Reviewed => [Published],
    Published => [Closed],
    Closed => [],
    Cancelled => [],
});

lifecycle!(Review, "事项审核", "review", {
    Pending => [Approved, Returned],
    // The inspectors changed an approved part while another department's return had sent the
    // visit back to them: its department reviews it again.
    Approved => [Pending],
    // Resubmitted after the return.
    Returned => [Pending],
});

lifecycle!(RectificationStatus, "责令整改", "rectification order", {
    // A review visit may decide before the entity reports.
    Issued => [Reported, Passed, Failed],
    Reported => [Passed, Failed],
    Passed => [],
    Failed => [],
});

lifecycle!(ReferralStatus, "抄告", "referral", {
    Sent => [Answered],
    Answered => [],
});

lifecycle!(TransferStatus, "案件移送", "case transfer", {
    Transferred => [Accepted, Declined],
    Accepted => [],
    Declined => [],
});

impl ResultCode {
    /// Codes that say a problem was found: they cannot stand with every check point passed,
    /// and "no problem" cannot stand with a failed one.
    pub fn finds_problem(self) -> bool {
        matches!(
            self,
            ResultCode::NotPublicised
                | ResultCode::FalsePublicity
                | ResultCode::Corrected
                | ResultCode::Pending
                | ResultCode::Uncooperative
                | ResultCode::OtherDepartment
        )
    }

    /// Codes for which the inspection could not take place (the entity is gone or could not
    /// be met): check points may stay unanswered.
    pub fn without_inspection(self) -> bool {
        matches!(
            self,
            ResultCode::Unreachable
                | ResultCode::NoActivity
                | ResultCode::ClosedDown
                | ResultCode::Deregistered
                | ResultCode::Revoked
                | ResultCode::Withdrawn
                | ResultCode::MovedOut
        )
    }
}

impl VisitStatus {
    /// Results are public (published, and closed after follow-up).
    pub fn is_public(self) -> bool {
        matches!(self, VisitStatus::Published | VisitStatus::Closed)
    }

    /// States in which inspectors may still record answers and evidence.
    pub fn is_open_for_recording(self) -> bool {
        matches!(self, VisitStatus::Scheduled | VisitStatus::InProgress)
    }

    /// The visit is done on site (results submitted or later): the start of the publication
    /// deadline and of the cooldown.
    pub fn is_completed(self) -> bool {
        matches!(
            self,
            VisitStatus::Submitted
                | VisitStatus::Reviewed
                | VisitStatus::Published
                | VisitStatus::Closed
        )
    }
}

/// Results are published no later than 20 working days after the visit is completed
/// (issue 5; 鲁双随机办 principle 6: 公示为原则、不公示为例外).
pub const PUBLISH_WITHIN_WORKING_DAYS: u32 = 20;

/// Default feedback time for a referral (抄告), in working days.
pub const REFERRAL_FEEDBACK_WORKING_DAYS: u32 = 10;

/// One item's result as an inspector enters it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ItemResult {
    pub code: ResultCode,
    pub follow_up: FollowUp,
    pub summary: String,
}

/// Answers of one item's check points, in checklist order (None = not answered yet).
pub type ItemAnswers<'a> = &'a [Option<Answer>];

/// Checks that a result may be submitted with these answers; every complaint names the check
/// point (1-based within the item) or the field.
pub fn check_item_result(
    answers: ItemAnswers<'_>,
    result: Option<&ItemResult>,
) -> Result<(), Vec<(String, Invalid)>> {
    let mut errs = Vec::new();
    if result.is_none_or(|r| !r.code.without_inspection()) {
        for (i, a) in answers.iter().enumerate() {
            if a.is_none() {
                errs.push((
                    format!("check_points[{}]", i + 1),
                    Invalid::new(
                        "unanswered",
                        format!("第 {} 个检查要点尚未填写（符合/不符合/不适用）", i + 1),
                        format!(
                            "check point {} is not answered (pass / fail / not applicable)",
                            i + 1
                        ),
                    ),
                ));
            }
        }
    }
    let Some(r) = result else {
        errs.push((
            "result_code".into(),
            Invalid::new("required", "请选择检查结果", "choose the inspection result"),
        ));
        return Err(errs);
    };
    let failed = answers.iter().filter(|a| **a == Some(Answer::Fail)).count();
    if failed > 0 && r.code == ResultCode::NoProblem {
        errs.push((
            "result_code".into(),
            Invalid::new(
                "inconsistent",
                format!("有 {failed} 个检查要点不符合，检查结果不能是“未发现问题”"),
                format!("{failed} check point(s) failed: the result cannot be 'no problem'"),
            ),
        ));
    }
    if r.code == ResultCode::NoProblem && r.follow_up != FollowUp::None {
        errs.push((
            "follow_up".into(),
            Invalid::new(
                "inconsistent",
                "未发现问题时后续处置应为“无需后续处置”",
                "with no problem found the follow-up must be 'none'",
            ),
        ));
    }
    if r.code == ResultCode::Corrected && r.follow_up != FollowUp::Rectify {
        errs.push((
            "follow_up".into(),
            Invalid::new(
                "inconsistent",
                "“发现问题已责令改正”的后续处置应为“责令改正”",
                "'problem found, ordered to correct' needs the follow-up 'rectify'",
            ),
        ));
    }
    if r.code == ResultCode::OtherDepartment && r.follow_up != FollowUp::Notify {
        errs.push((
            "follow_up".into(),
            Invalid::new(
                "inconsistent",
                "“违反其他部门相关规定”的后续处置应为“抄告相关部门”",
                "'violates another department's rules' needs the follow-up 'notify'",
            ),
        ));
    }
    if r.code.finds_problem() && r.follow_up == FollowUp::None {
        errs.push((
            "follow_up".into(),
            Invalid::new(
                "inconsistent",
                "发现问题时必须选择后续处置",
                "a problem was found: choose a follow-up",
            ),
        ));
    }
    if errs.is_empty() { Ok(()) } else { Err(errs) }
}

/// A note on a check point or a result summary: up to 1,000 characters, may be empty.
pub fn note(s: &str) -> Result<String, Invalid> {
    if s.trim().is_empty() {
        return Ok(String::new());
    }
    bounded_text(s, 0, 1000, "说明", "note")
}

/// Text of an order, a referral or a transfer: 4–2,000 characters.
pub fn matter(s: &str, what_zh: &str, what_en: &str) -> Result<String, Invalid> {
    bounded_text(s, 4, 2000, what_zh, what_en)
}

/// A rectification period in working days: 1–180.
pub fn rectification_days(n: i64) -> Result<u32, Invalid> {
    if (1..=180).contains(&n) {
        Ok(n as u32)
    } else {
        Err(Invalid::new(
            "out_of_range",
            format!("整改期限应为 1 至 180 个工作日（填写的是 {n}）"),
            format!("the rectification period must be 1 to 180 working days (got {n})"),
        ))
    }
}

/// A position from the browser (WGS-84), optional on every record made in the field.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Position {
    pub lat: f64,
    pub lng: f64,
    /// Accuracy in metres as the browser reports it.
    pub accuracy: Option<f64>,
}

impl Position {
    pub fn new(lat: f64, lng: f64, accuracy: Option<f64>) -> Result<Self, Invalid> {
        if !(-90.0..=90.0).contains(&lat) || !(-180.0..=180.0).contains(&lng) {
            return Err(Invalid::new(
                "position",
                format!("位置坐标不正确（纬度 {lat}，经度 {lng}）"),
                format!("invalid position (lat {lat}, lng {lng})"),
            ));
        }
        if accuracy.is_some_and(|a| !(0.0..=100_000.0).contains(&a)) {
            return Err(Invalid::new(
                "position",
                "定位精度不正确",
                "invalid position accuracy",
            ));
        }
        Ok(Self { lat, lng, accuracy })
    }
}

/// The calendar day in Beijing time (UTC+8), in which deadlines are counted.
pub fn beijing_date(t: chrono::DateTime<chrono::Utc>) -> chrono::NaiveDate {
    let bj = chrono::FixedOffset::east_opt(8 * 3600).expect("valid offset");
    t.with_timezone(&bj).date_naive()
}

/// What the merge rule reads of a visit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VisitSlot {
    pub trigger: VisitTrigger,
    pub status: VisitStatus,
    pub start: chrono::NaiveDate,
    pub end: chrono::NaiveDate,
}

impl VisitSlot {
    fn overlaps(&self, o: &VisitSlot) -> bool {
        self.start <= o.end && o.start <= self.end
    }

    fn open(&self) -> bool {
        self.status.is_open_for_recording()
    }
}

/// Whether two visits to the same entity should be one (国办发〔2023〕1号 (九): two departments
/// inspecting the same entity who can do it together must do it together — "进一次门、查多项事";
/// 鲁 task 12): one comes from a draw (双随机), the other is ad hoc (a complaint, a warning …),
/// their periods overlap and neither has been carried out yet. Staff are warned on both
/// visits' pages; [`merge_refusal`] says whether the merge can be made now.
pub fn should_merge(a: &VisitSlot, b: &VisitSlot) -> bool {
    let one_random = (a.trigger == VisitTrigger::Random) != (b.trigger == VisitTrigger::Random);
    one_random && a.open() && b.open() && a.overlaps(b)
}

/// Why the ad-hoc visit cannot be folded into the random one now, if it cannot. Both must still
/// be scheduled: once an inspection has started its checklist is frozen and answered, and the
/// draw's visit keeps its randomly drawn team and period.
pub fn merge_refusal(ad_hoc: &VisitSlot, random: &VisitSlot) -> Option<Invalid> {
    if ad_hoc.trigger == VisitTrigger::Random || random.trigger != VisitTrigger::Random {
        return Some(Invalid::new(
            "not_ad_hoc",
            "只能把非双随机的检查并入双随机抽查产生的检查",
            "only an ad-hoc visit can be merged into a random one",
        ));
    }
    if !ad_hoc.overlaps(random) {
        return Some(Invalid::new(
            "no_overlap",
            "两次检查的检查期间不重叠，无需合并",
            "the visits' periods do not overlap",
        ));
    }
    if ad_hoc.status != VisitStatus::Scheduled || random.status != VisitStatus::Scheduled {
        return Some(Invalid::new(
            "started",
            "已开始检查的任务不能合并（检查清单已固定），请协调两组人员同时进场",
            "a visit already started cannot be merged: its checklist is frozen",
        ));
    }
    None
}

#[cfg(test)]
mod tests {
    fn slot(trigger: VisitTrigger, status: VisitStatus, from: &str, to: &str) -> VisitSlot {
        VisitSlot {
            trigger,
            status,
            start: from.parse().unwrap(),
            end: to.parse().unwrap(),
        }
    }

    #[test]
    fn a_complaint_visit_overlapping_a_random_one_should_be_merged() {
        use VisitStatus::*;
        use VisitTrigger::*;
        let random = slot(Random, Scheduled, "2026-10-01", "2026-12-31");
        let complaint = slot(Complaint, Scheduled, "2026-12-05", "2027-01-04");
        assert!(should_merge(&complaint, &random));
        assert!(should_merge(&random, &complaint));
        assert_eq!(merge_refusal(&complaint, &random), None);
        // Periods that only touch on one day still overlap.
        let touching = slot(Complaint, Scheduled, "2026-12-31", "2027-01-31");
        assert!(should_merge(&touching, &random));
        // Disjoint periods, two random or two ad-hoc visits: nothing to merge.
        let later = slot(Complaint, Scheduled, "2027-01-01", "2027-01-31");
        assert!(!should_merge(&later, &random));
        assert_eq!(merge_refusal(&later, &random).unwrap().code, "no_overlap");
        assert!(!should_merge(&random, &random));
        assert!(!should_merge(&complaint, &complaint));
        assert_eq!(
            merge_refusal(&random, &complaint).unwrap().code,
            "not_ad_hoc"
        );
        // Warned while both are open; merged only while both are scheduled.
        let started = slot(Random, InProgress, "2026-10-01", "2026-12-31");
        assert!(should_merge(&complaint, &started));
        assert_eq!(merge_refusal(&complaint, &started).unwrap().code, "started");
        let done = slot(Random, Submitted, "2026-10-01", "2026-12-31");
        assert!(!should_merge(&complaint, &done));
        let cancelled = slot(Complaint, Cancelled, "2026-12-05", "2027-01-04");
        assert!(!should_merge(&cancelled, &random));
    }

    use super::*;

    fn r(code: ResultCode, f: FollowUp) -> ItemResult {
        ItemResult {
            code,
            follow_up: f,
            summary: String::new(),
        }
    }

    #[test]
    fn unanswered_points_are_named() {
        let a = [Some(Answer::Pass), None, Some(Answer::NotApplicable), None];
        let e = check_item_result(&a, Some(&r(ResultCode::NoProblem, FollowUp::None))).unwrap_err();
        let fields: Vec<&str> = e.iter().map(|(f, _)| f.as_str()).collect();
        assert_eq!(fields, ["check_points[2]", "check_points[4]"]);
    }

    #[test]
    fn gone_entities_need_no_answers() {
        let a = [None, None];
        assert!(
            check_item_result(&a, Some(&r(ResultCode::Unreachable, FollowUp::Handover))).is_ok()
        );
    }

    #[test]
    fn failed_point_contradicts_no_problem() {
        let a = [Some(Answer::Fail)];
        let e = check_item_result(&a, Some(&r(ResultCode::NoProblem, FollowUp::None))).unwrap_err();
        assert_eq!(e[0].0, "result_code");
        assert!(check_item_result(&a, Some(&r(ResultCode::Corrected, FollowUp::Rectify))).is_ok());
        let e =
            check_item_result(&a, Some(&r(ResultCode::Corrected, FollowUp::Notify))).unwrap_err();
        assert_eq!(e[0].0, "follow_up");
        let e = check_item_result(&a, Some(&r(ResultCode::Pending, FollowUp::None))).unwrap_err();
        assert_eq!(e[0].0, "follow_up");
    }

    #[test]
    fn missing_result_is_named() {
        let e = check_item_result(&[], None).unwrap_err();
        assert_eq!(e[0].0, "result_code");
    }

    #[test]
    fn status_graphs() {
        use crate::lifecycle::{Lifecycle, check_graph};
        check_graph(VisitStatus::parse);
        check_graph(RectificationStatus::parse);
        check_graph(ReferralStatus::parse);
        check_graph(TransferStatus::parse);
        check_graph(Review::parse);
        assert!(VisitStatus::Submitted.can_move_to(VisitStatus::InProgress));
        assert!(!VisitStatus::Published.can_move_to(VisitStatus::InProgress));
        assert!(!VisitStatus::InProgress.can_move_to(VisitStatus::Cancelled));
        let e = VisitStatus::Closed
            .move_to(VisitStatus::Published)
            .unwrap_err();
        assert_eq!(e.zh, "检查任务当前为“后续处置完结”，不能改为“已公示”");
        assert!(RectificationStatus::Issued.can_move_to(RectificationStatus::Passed));
        assert!(!RectificationStatus::Passed.can_move_to(RectificationStatus::Failed));
        assert!(!ReferralStatus::Answered.can_move_to(ReferralStatus::Sent));
        assert!(TransferStatus::Declined.is_final());
    }

    #[test]
    fn review_moves() {
        use crate::lifecycle::Lifecycle;
        use Review::*;
        assert!(Pending.can_move_to(Approved));
        assert!(Pending.can_move_to(Returned));
        assert!(Approved.can_move_to(Pending));
        assert!(Returned.can_move_to(Pending));
        // A decision stands until the inspectors act: approving twice, returning an approved
        // part or approving a returned one without a new submission are refused.
        assert!(!Approved.can_move_to(Approved));
        assert!(!Approved.can_move_to(Returned));
        assert!(!Returned.can_move_to(Approved));
        assert!(!Returned.can_move_to(Returned));
        assert!(!Pending.is_final() && !Approved.is_final() && !Returned.is_final());
        let e = Approved.move_to(Returned).unwrap_err();
        assert_eq!(e.code, "transition");
        assert_eq!(e.zh, "事项审核当前为“已通过”，不能改为“已退回”");
        assert_eq!(e.en, "a review cannot move from approved to returned");
    }

    #[test]
    fn labels_parse_back() {
        for c in ResultCode::ALL {
            assert_eq!(ResultCode::parse(c.label_zh()).unwrap(), *c);
            assert_eq!(ResultCode::parse(c.as_str()).unwrap(), *c);
        }
        assert!(rectification_days(0).is_err());
        assert_eq!(rectification_days(15).unwrap(), 15);
        assert!(Position::new(91.0, 0.0, None).is_err());
        assert!(Position::new(33.4, 113.6, Some(12.0)).is_ok());
    }
}
