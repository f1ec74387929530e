//! Objections and credit repair (异议申诉与信用修复, the repair rules in force from 2026-04-01)
//! on the shared case mechanism (`crate::case`): an entity objects to a credit entry (异议) or
//! applies for its repair (信用修复); staff register it on the entity's behalf; it is decided
//! within 10 working days (a clock). An objection upheld withdraws the entry (撤销,
//! [`RecordStatus::Withdrawn`]); a repair granted stops its publication
//! ([`RecordStatus::Repaired`]). A repair is accepted only once the tier's minimum period has
//! passed ([`super::CreditRecord::repairable_on`]).

use chrono::NaiveDate;

use crate::Invalid;
use crate::case::{CaseKind, ClockSpec, Step};
use crate::directory::labelled_enum;
use crate::error::bounded_text;
use crate::lifecycle::lifecycle;

use super::{CreditRecord, RecordStatus};

labelled_enum!(
    /// What the entity asks for.
    AppealKind {
        Objection = "objection" / "信用异议",
        Repair = "repair" / "信用修复",
    }
);

impl AppealKind {
    /// The case kind its events and clock are kept under.
    pub fn case_kind(self) -> CaseKind {
        match self {
            AppealKind::Objection => CaseKind::CreditObjection,
            AppealKind::Repair => CaseKind::CreditRepair,
        }
    }

    /// The entry's status once the appeal is granted.
    pub fn granted_status(self) -> RecordStatus {
        match self {
            AppealKind::Objection => RecordStatus::Withdrawn,
            AppealKind::Repair => RecordStatus::Repaired,
        }
    }

    /// Whether the entry may be appealed on `today`: an objection against any entry in force;
    /// a repair only once the minimum publication period has passed.
    pub fn admissible(self, record: &CreditRecord, today: NaiveDate) -> Result<(), Invalid> {
        match self {
            AppealKind::Repair => record.repairable_on(today),
            AppealKind::Objection if record.status == RecordStatus::Active => Ok(()),
            AppealKind::Objection => Err(Invalid::new(
                "not_objectionable",
                format!("该记录状态为“{}”，不能提出异议", record.status.label_zh()),
                "only an entry in force can be objected to",
            )),
        }
    }
}

labelled_enum!(
    /// Where an appeal stands.
    AppealStatus {
        Submitted = "submitted" / "待决定",
        Granted = "granted" / "予以支持",
        Rejected = "rejected" / "不予支持",
    }
);

lifecycle!(AppealStatus, "异议或修复申请", "appeal", {
    Submitted => [Granted, Rejected],
    Granted => [],
    Rejected => [],
});

labelled_enum!(
    /// The steps of an appeal.
    AppealAction {
        Submit = "submit" / "登记申请",
        Grant = "grant" / "予以支持",
        Reject = "reject" / "不予支持",
    }
);

impl AppealAction {
    pub fn step(self, from: Option<AppealStatus>) -> Result<Step<AppealStatus>, Invalid> {
        match (self, from) {
            (AppealAction::Submit, None) => Ok(Step::open(self.as_str(), AppealStatus::Submitted)),
            (AppealAction::Submit, Some(f)) => Step::staying(self.as_str(), f, false),
            (_, None) => Err(Invalid::new(
                "transition",
                "申请尚未登记",
                "the appeal has not been submitted",
            )),
            (AppealAction::Grant, Some(f)) => Step::moving(self.as_str(), f, AppealStatus::Granted),
            (AppealAction::Reject, Some(f)) => {
                Step::moving(self.as_str(), f, AppealStatus::Rejected)
            }
        }
    }
}

/// The decision clock (办理时限): 10 working days from registration, yellow two before.
pub const DECIDE_CLOCK: ClockSpec = ClockSpec {
    name: "decide",
    label_zh: "决定",
    working_days: 10,
    warn_within: 2,
};

/// The applicant's statement (申请理由 / 异议理由), 2–1000 characters.
pub fn statement(s: &str) -> Result<String, Invalid> {
    bounded_text(s, 2, 1000, "申请理由", "statement")
}

/// Who applies for the entity (申请人 or 联系人), 2–40 characters.
pub fn applicant(s: &str) -> Result<String, Invalid> {
    bounded_text(s, 2, 40, "申请人", "applicant")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::credit::{RecordKind, Tier, penalty_publication};
    use crate::lifecycle::check_graph;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn lifecycle_and_actions() {
        check_graph(AppealStatus::parse);
        assert_eq!(
            AppealAction::Submit.step(None).unwrap().to,
            AppealStatus::Submitted
        );
        assert!(AppealAction::Grant.step(None).is_err());
        assert!(
            AppealAction::Grant
                .step(Some(AppealStatus::Rejected))
                .is_err()
        );
        assert_eq!(
            AppealAction::Reject
                .step(Some(AppealStatus::Submitted))
                .unwrap()
                .to,
            AppealStatus::Rejected
        );
        assert_eq!(
            AppealKind::Objection.granted_status(),
            RecordStatus::Withdrawn
        );
        assert_eq!(AppealKind::Repair.granted_status(), RecordStatus::Repaired);
        assert!(AppealKind::Objection.case_kind().as_str().len() <= 16);
    }

    #[test]
    fn repair_waits_for_the_minimum_period_objection_does_not() {
        let mut r = CreditRecord {
            kind: RecordKind::Penalty,
            tier: Some(Tier::Serious),
            occurred_on: d("2026-05-01"),
            status: RecordStatus::Active,
            publication: penalty_publication(Tier::Serious, None, d("2026-05-01")),
        };
        assert_eq!(
            AppealKind::Repair
                .admissible(&r, d("2027-04-30"))
                .unwrap_err()
                .code,
            "too_early"
        );
        assert!(AppealKind::Repair.admissible(&r, d("2027-05-01")).is_ok());
        assert!(
            AppealKind::Objection
                .admissible(&r, d("2026-05-02"))
                .is_ok()
        );
        r.status = RecordStatus::Withdrawn;
        assert!(
            AppealKind::Objection
                .admissible(&r, d("2026-05-02"))
                .is_err()
        );
        assert!(AppealKind::Repair.admissible(&r, d("2028-05-02")).is_err());
    }
}
