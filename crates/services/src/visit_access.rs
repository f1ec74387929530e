//! Who sees a visit and who acts for a department on it: shared by carrying out visits
//! ([`crate::visits`]) and by what their findings lead to ([`crate::follow_ups`]), so that
//! neither depends on the other for them.

use lianjian_domain::account::Role;
use lianjian_domain::scope::{Actor, Scope};
use lianjian_domain::visit::VisitStatus;
use lianjian_store::Conn;
use lianjian_store::departments::{self, Department};
use lianjian_store::visits::{self as repo, VisitRow};
use uuid::Uuid;

use crate::{Result, ServiceError};

/// May the actor act for this department (review its part, issue its orders …)? System
/// administrators anywhere; coordination offices for every department of their region
/// subtree; department administrators for their line in their subtree.
pub(crate) fn acts_for(actor: &Actor, d: &Department) -> bool {
    let full = actor.full_scope();
    let region_ok = full
        .region
        .as_ref()
        .is_none_or(|r| d.region_code.is_within(r));
    match actor.role {
        Role::SystemAdmin => true,
        Role::CoordinationOffice => region_ok,
        Role::DepartmentAdmin => region_ok && d.line == actor.department_line,
        Role::Inspector | Role::Leader | Role::Supervisor | Role::Procuratorate => false,
    }
}

pub(crate) async fn department(c: &impl Conn, id: Uuid) -> Result<Department> {
    departments::get(c, id).await?.ok_or(ServiceError::NotFound)
}

/// The visit, if it lies in the actor's view: the region subtree and, for line-scoped roles,
/// a check of a department of their line — or the actor is on its team.
pub(crate) async fn visible(c: &impl Conn, actor: &Actor, id: Uuid) -> Result<VisitRow> {
    let v = match repo::get_visit_scoped(c, &Scope::of(actor), id).await? {
        Some(v) => v,
        // Team members see the visits they are on wherever these lie.
        None => {
            let team = repo::team(c, id).await?;
            if !team.iter().any(|m| m.user_id == Some(actor.user_id)) {
                return Err(ServiceError::NotFound);
            }
            repo::get_visit(c, id)
                .await?
                .ok_or(ServiceError::NotFound)?
        }
    };
    if v.status == VisitStatus::Cancelled && actor.role == Role::Inspector {
        return Err(ServiceError::NotFound);
    }
    Ok(v)
}
