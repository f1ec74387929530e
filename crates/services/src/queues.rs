//! The to-do queues a role owns (工作台待办), counted with exactly the list queries the
//! console links them to, so a count and the list behind it never disagree. Every count goes
//! through the same use case and scope as its list: nothing here widens what a role sees.
//! ARCHITECTURE.md "queues per role built from the same scope mechanism as every list".

use chrono::Utc;
use lianjian_domain::account::Role;
use lianjian_domain::plan::{PlanParty, PlanStatus};
use lianjian_domain::region::RegionCode;
use lianjian_domain::scope::Actor;
use lianjian_domain::visit::{
    RectificationStatus, ReferralStatus, TransferStatus, VisitStatus, beijing_date,
};
use lianjian_store::plans::PlanQuery;
use lianjian_store::visits::{FollowUpQuery, ResultQuery, VisitQuery};

use crate::{PageRequest, Result, Services};

/// One queue of the console home: which, how many rows wait in it, and the list filter that
/// shows exactly those rows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Queue {
    pub kind: QueueKind,
    pub count: u64,
}

/// The queues, each with the filter of its list (the console turns it into a link).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum QueueKind {
    /// Plans submitted to the coordination office of `within` (or above): approve or return.
    PlansToApprove { within: Option<RegionCode> },
    /// Approved plans the office is to publish (抽查计划公告).
    PlansToPublish { within: Option<RegionCode> },
    /// 双告知: escalations for an office, claims waiting for a department.
    Claims { escalations: bool },
    /// Visits whose results were submitted and await the departments' review.
    Reviews,
    /// Results of completed visits past their publication deadline, not published (一公开,
    /// 20 working days).
    LatePublications,
    /// Rectification orders open past their deadline.
    OverdueOrders,
    /// Rectification orders whose entity reported back: to re-check.
    ReportedOrders,
    /// Referrals (抄告) received and not yet answered.
    ReferralsWaiting,
    /// Case transfers (移送) sent and not yet answered by the handling agency.
    TransfersWaiting,
    /// An inspector's visits still to carry out.
    MyOpenVisits,
}

fn one() -> PageRequest {
    PageRequest::new(Some(1), Some(1))
}

/// The region of the plans an office approves: its own subtree (`None`: everywhere).
fn office_region(actor: &Actor) -> Option<RegionCode> {
    actor.full_scope().region
}

/// The plan query behind [`QueueKind::PlansToApprove`] / [`QueueKind::PlansToPublish`].
pub fn plan_query(status: PlanStatus, within: Option<RegionCode>) -> PlanQuery {
    PlanQuery {
        statuses: vec![status],
        within,
        ..Default::default()
    }
}

/// The follow-up query of the lists (`status`, `overdue`), as the console reads its filters.
pub fn follow_up_query<S>(status: Option<S>, overdue: bool) -> FollowUpQuery<S> {
    FollowUpQuery {
        status,
        overdue_on: overdue.then(|| beijing_date(Utc::now())),
        ..Default::default()
    }
}

/// The queues `actor`'s role owns, in the order the home shows them. Read-only roles own none.
pub async fn todo(svc: &Services, actor: &Actor) -> Result<Vec<Queue>> {
    let mut out = Vec::new();
    let role = actor.role;
    if role == Role::Inspector {
        let q = VisitQuery {
            status: vec![VisitStatus::Scheduled, VisitStatus::InProgress],
            ..Default::default()
        };
        let count = crate::visits::list(svc, actor, &q, one()).await?.total;
        out.push(Queue {
            kind: QueueKind::MyOpenVisits,
            count,
        });
        return Ok(out);
    }
    if role.is_read_only() {
        return Ok(out);
    }
    if PlanParty::Office.may(role) {
        for (status, kind) in [
            (
                PlanStatus::Submitted,
                QueueKind::PlansToApprove {
                    within: office_region(actor),
                },
            ),
            (
                PlanStatus::Approved,
                QueueKind::PlansToPublish {
                    within: office_region(actor),
                },
            ),
        ] {
            let q = plan_query(status, office_region(actor));
            let count = crate::plans::list(svc, actor, q, one()).await?.total;
            out.push(Queue { kind, count });
        }
    }
    if crate::directory::may_handle_claims(actor) {
        let count = crate::directory::claim_queue(svc, actor, one())
            .await?
            .total;
        out.push(Queue {
            kind: QueueKind::Claims {
                escalations: matches!(role, Role::CoordinationOffice | Role::SystemAdmin),
            },
            count,
        });
    }
    let q = VisitQuery {
        status: vec![VisitStatus::Submitted],
        ..Default::default()
    };
    out.push(Queue {
        kind: QueueKind::Reviews,
        count: crate::visits::list(svc, actor, &q, one()).await?.total,
    });
    // Per result (one row per item of a visit), as the result list counts them.
    let q = ResultQuery {
        late_on: Some(beijing_date(Utc::now())),
        ..Default::default()
    };
    out.push(Queue {
        kind: QueueKind::LatePublications,
        count: crate::visits::results(svc, actor, &q, one()).await?.total,
    });
    let count = crate::follow_ups::orders(svc, actor, &follow_up_query(None, true), one())
        .await?
        .total;
    out.push(Queue {
        kind: QueueKind::OverdueOrders,
        count,
    });
    let q = follow_up_query(Some(RectificationStatus::Reported), false);
    let count = crate::follow_ups::orders(svc, actor, &q, one())
        .await?
        .total;
    out.push(Queue {
        kind: QueueKind::ReportedOrders,
        count,
    });
    let q = follow_up_query(Some(ReferralStatus::Sent), false);
    let count = crate::follow_ups::referrals(svc, actor, &q, true, one())
        .await?
        .total;
    out.push(Queue {
        kind: QueueKind::ReferralsWaiting,
        count,
    });
    let q = follow_up_query(Some(TransferStatus::Transferred), false);
    let count = crate::follow_ups::transfers(svc, actor, &q, one())
        .await?
        .total;
    out.push(Queue {
        kind: QueueKind::TransfersWaiting,
        count,
    });
    Ok(out)
}
