//! Batch steps on the clue queues (issue 14 item 8): 批量签收 by the handling department and
//! 批量派单/改派 by the office. Each clue goes through the single step ([`super::sign`],
//! [`super::dispatch`], [`super::reassign`]) with its own authorization, transaction, event
//! and audit entry; one clue refused (signed meanwhile, out of scope, a department that does
//! not cover its region) leaves the others done and is reported with why. What is wrong with
//! the batch itself (nothing chosen, too many) refuses it before anything is written — the
//! pattern of `directory::decide_claims`.

use std::collections::HashSet;

use lianjian_domain::Invalid;
use lianjian_domain::clue::ClueStatus;
use lianjian_domain::scope::{Actor, Scope};
use serde::Serialize;
use uuid::Uuid;

use super::{may_dispatch, may_register, repo};
use crate::directory::MAX_BATCH;
use crate::{Result, ServiceError, Services};

/// What a batch did with one clue.
#[derive(Debug)]
pub struct ClueBatchRow {
    pub clue_id: Uuid,
    /// The clue's code when the actor may see the clue.
    pub code: Option<String>,
    /// Why this clue was not done; `None`: done.
    pub error: Option<ServiceError>,
}

/// The batch steps.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum ClueBatch {
    /// 批量签收.
    Sign,
    /// 批量派单/改派 to one department: a registered clue is dispatched, a returned, escalated
    /// or unsigned one reassigned (which needs `reason`).
    Send { department_id: Uuid, reason: String },
}

fn ids_of(ids: &[Uuid]) -> Result<Vec<Uuid>> {
    let mut seen = HashSet::new();
    let ids: Vec<Uuid> = ids.iter().copied().filter(|id| seen.insert(*id)).collect();
    if ids.is_empty() {
        return Err(ServiceError::field(
            "ids",
            Invalid::new(
                "required",
                "请先勾选要处理的线索",
                "choose at least one clue",
            ),
        ));
    }
    if ids.len() > MAX_BATCH {
        return Err(ServiceError::field(
            "ids",
            Invalid::new(
                "too_many",
                format!("一次最多处理 {MAX_BATCH} 条"),
                format!("at most {MAX_BATCH} clues at once"),
            ),
        ));
    }
    Ok(ids)
}

/// Runs `batch` on every clue of `ids` (duplicates once), in the order given.
pub async fn run(
    svc: &Services,
    a: &Actor,
    ids: &[Uuid],
    batch: &ClueBatch,
) -> Result<Vec<ClueBatchRow>> {
    match batch {
        ClueBatch::Sign if !may_register(a) => return Err(ServiceError::Forbidden),
        ClueBatch::Send { .. } if !may_dispatch(a) => return Err(ServiceError::Forbidden),
        _ => {}
    }
    let ids = ids_of(ids)?;
    let mut out = Vec::with_capacity(ids.len());
    for id in ids {
        let c = svc.store.conn();
        // Read once to choose 派单 or 改派; the step itself reads again and checks state.
        let seen = repo::get_scoped(c, &Scope::of(a), id).await?;
        let r = match (batch, &seen) {
            (_, None) => Err(ServiceError::NotFound),
            (ClueBatch::Sign, Some(_)) => super::sign(svc, a, id).await.map(|_| ()),
            (ClueBatch::Send { department_id, .. }, Some(x))
                if x.status == ClueStatus::Registered =>
            {
                super::dispatch(svc, a, id, *department_id)
                    .await
                    .map(|_| ())
            }
            (
                ClueBatch::Send {
                    department_id,
                    reason,
                },
                Some(_),
            ) => super::reassign(svc, a, id, *department_id, reason)
                .await
                .map(|_| ()),
        };
        out.push(ClueBatchRow {
            clue_id: id,
            code: seen.map(|x| x.code),
            error: r.err(),
        });
    }
    Ok(out)
}
