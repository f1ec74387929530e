//! Builds audit entries for the acting user; every use case that changes something calls this
//! inside its transaction.

use lianjian_domain::scope::Actor;
use lianjian_store::audit::{self, NewEntry};
use lianjian_store::{Conn, Result};
use serde::Serialize;

pub(crate) struct Record<'a> {
    pub action: &'a str,
    pub object_type: &'a str,
    pub object_id: Option<String>,
    /// Region the record belongs to, so scoped auditors see it.
    pub region: Option<String>,
    pub department_id: Option<uuid::Uuid>,
    pub before: Option<serde_json::Value>,
    pub after: Option<serde_json::Value>,
}

impl<'a> Record<'a> {
    pub fn new(action: &'a str, object_type: &'a str, object_id: impl ToString) -> Self {
        Self {
            action,
            object_type,
            object_id: Some(object_id.to_string()),
            region: None,
            department_id: None,
            before: None,
            after: None,
        }
    }

    pub fn at(mut self, region: impl ToString, department_id: Option<uuid::Uuid>) -> Self {
        self.region = Some(region.to_string());
        self.department_id = department_id;
        self
    }

    pub fn before(mut self, v: &impl Serialize) -> Self {
        self.before = serde_json::to_value(v).ok();
        self
    }

    pub fn after(mut self, v: &impl Serialize) -> Self {
        self.after = serde_json::to_value(v).ok();
        self
    }
}

pub(crate) async fn record(c: &impl Conn, actor: &Actor, r: Record<'_>) -> Result<()> {
    audit::append(c, entry(actor, r)).await?;
    Ok(())
}

/// Many records at once (bulk imports), in order, with one head update.
pub(crate) async fn record_many(c: &impl Conn, actor: &Actor, rs: Vec<Record<'_>>) -> Result<()> {
    audit::append_many(c, rs.into_iter().map(|r| entry(actor, r)).collect()).await
}

fn entry(actor: &Actor, r: Record<'_>) -> NewEntry {
    let is_person = !actor.user_id.is_nil();
    NewEntry {
        actor_id: is_person.then_some(actor.user_id),
        actor_name: actor.username.clone(),
        // Only signed-in people have a role; `cli`, `demo` and failed sign-ins do not.
        actor_role: is_person.then(|| actor.role.as_str().to_string()),
        department_id: r.department_id.or(is_person.then_some(actor.department_id)),
        region_code: r
            .region
            .or_else(|| is_person.then(|| actor.region.to_string())),
        ip: actor.ip.clone(),
        action: r.action.to_string(),
        object_type: r.object_type.to_string(),
        object_id: r.object_id,
        before: r.before,
        after: r.after,
    }
}
