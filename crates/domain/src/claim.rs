//! 双告知 claims (舞阳 (二)): a new or changed entity is offered to its competent departments,
//! each of which accepts or rejects it; what nobody accepts goes to the coordination office,
//! which assigns it.

use crate::directory::labelled_enum;
use crate::lifecycle::lifecycle;

labelled_enum!(
    /// `pending` (in a department's queue), `accepted`, `rejected`; `escalated` rows have no
    /// department and wait for the coordination office, which `assigned` them.
    ClaimStatus {
        Pending = "pending" / "待认领",
        Accepted = "accepted" / "已认领",
        Rejected = "rejected" / "已退回",
        Escalated = "escalated" / "待研判",
        Assigned = "assigned" / "已指定",
        Expired = "expired" / "逾期未认领",
    }
);

labelled_enum!(
    /// What a claim offers: an entity new or changed in the directory (双告知), or an approval
    /// result handed over by the approval bureau (审管衔接, `domain::licensing`: the claim's
    /// `source_id` is the licence event, whose claim clock gives the deadline).
    ClaimSource {
        Entity = "entity" / "双告知",
        Licence = "licence" / "审管衔接",
    }
);

// Pending and escalated are two starting points (a claim is created in one or the other);
// neither moves into the other: escalation creates a new claim without a department.
lifecycle!(ClaimStatus, "认领", "claim", {
    // Expired: not decided by its deadline (hand-overs have one); escalation follows.
    Pending => [Accepted, Rejected, Expired],
    Accepted => [],
    Rejected => [],
    Escalated => [Assigned],
    Assigned => [],
    Expired => [],
});

impl ClaimStatus {
    /// Still waiting for a decision.
    pub fn is_open(self) -> bool {
        matches!(self, ClaimStatus::Pending | ClaimStatus::Escalated)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lifecycle::Lifecycle;

    #[test]
    fn moves_and_codes() {
        for s in ClaimStatus::ALL {
            assert_eq!(ClaimStatus::parse(s.as_str()).unwrap(), *s);
            assert_eq!(ClaimStatus::parse(s.label_zh()).unwrap(), *s);
            assert!(!s.can_move_to(*s));
        }
        assert!(ClaimStatus::parse("taken").is_err());
        assert!(ClaimStatus::Pending.can_move_to(ClaimStatus::Accepted));
        assert!(ClaimStatus::Pending.can_move_to(ClaimStatus::Rejected));
        assert!(!ClaimStatus::Pending.can_move_to(ClaimStatus::Assigned));
        assert!(ClaimStatus::Escalated.can_move_to(ClaimStatus::Assigned));
        assert!(!ClaimStatus::Rejected.can_move_to(ClaimStatus::Accepted));
        assert!(
            ClaimStatus::Escalated
                .move_to(ClaimStatus::Accepted)
                .is_err()
        );
    }
}
