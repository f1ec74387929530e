//! What each data kind sends (docs/sharing.md "Flows in this version"): where its producer
//! learns that a record changed (its feed) and the record's current content, read from the
//! store. Names are resolved here (departments, items) because the receiving instance does not
//! hold the sender's catalogues; codes stay codes, and the receiver labels them with the same
//! domain enums. Masking by the share's confidentiality is applied by the producer
//! ([`lianjian_domain::sharing::mask`]) on what this returns.
//!
//! Feeds: directory changes read the directory change feed (`store::changes`); visit results,
//! rectification orders, penalties and sanction batches read the **audit log** as their change
//! feed (`audit::objects_after`, one object type each). Every write of those records appends its
//! audit entry in the same transaction under the writers' lock, so the log's `seq` is commit
//! order, it is never pruned, and it starts at the beginning of the instance's history: a new
//! share first sends every record in scope, then each change — with no trigger, no extra table
//! and no second place a capability must remember to write to.

use chrono::NaiveDate;
use lianjian_domain::credit::RecordKind;
use lianjian_domain::scope::Scope;
use lianjian_domain::sharing::DataKind;
use lianjian_domain::visit::VisitStatus;
use lianjian_store::{Conn, credit, credit_sanctions, departments, entities, items, visits};
use serde_json::{Value, json};
use uuid::Uuid;

use super::Share;
use crate::{Result, ServiceError};

/// Where a kind's producer learns what changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Feed {
    /// The directory change feed (`directory_changes`).
    Directory,
    /// Audit entries about objects of this type.
    Audit(&'static str),
}

impl Feed {
    /// The feed of a kind that flows record by record (not audit checkpoints).
    pub(crate) fn of(kind: DataKind) -> Option<Feed> {
        match kind {
            DataKind::DirectoryChanges => Some(Feed::Directory),
            DataKind::VisitResults => Some(Feed::Audit("visit")),
            DataKind::Rectification => Some(Feed::Audit("rectification")),
            DataKind::Penalties => Some(Feed::Audit("credit_entry")),
            DataKind::Sanctions => Some(Feed::Audit("sanction_batch")),
            _ => None,
        }
    }

    /// The prefix of the producer's cursor name (`dir:` kept from the first version).
    pub(crate) fn cursor(self, share: Uuid) -> String {
        match self {
            Feed::Directory => format!("dir:{share}"),
            Feed::Audit(_) => format!("audit:{share}"),
        }
    }
}

/// One record to send: its key among the kind's records, its region (`None`: a deletion, which
/// the receiver checks against the region of the record it holds), the department it belongs
/// to (checked against the share's departments) and its content before masking.
pub(crate) struct Outgoing {
    pub entity: String,
    pub region: Option<String>,
    pub department: Option<Uuid>,
    pub payload: Value,
}

impl Outgoing {
    /// Whether the share's scope (regions and departments) covers the record.
    pub(crate) fn in_scope(&self, share: &Share) -> bool {
        self.region
            .as_deref()
            .is_none_or(|r| share.covers_region(r))
            && self
                .department
                .is_none_or(|d| share.covers_department(Some(d)))
    }
}

fn corrupt(e: impl ToString) -> ServiceError {
    ServiceError::internal(lianjian_store::StoreError::Corrupt(e.to_string()))
}

async fn department(c: &impl Conn, id: Uuid) -> Result<String> {
    Ok(departments::get(c, id)
        .await?
        .map(|d| d.name)
        .unwrap_or_default())
}

/// The current records of `kind` that object `id` of its feed stands for (none when there is
/// nothing to send yet, e.g. a visit whose results are not published).
pub(crate) async fn current(
    c: &impl Conn,
    share: &Share,
    id: Uuid,
    today: NaiveDate,
) -> Result<Vec<Outgoing>> {
    match share.kind {
        DataKind::DirectoryChanges => directory_entity(c, id).await.map(|o| vec![o]),
        DataKind::VisitResults => visit_results(c, id).await,
        DataKind::Rectification => rectification(c, id).await,
        DataKind::Penalties => penalty(c, share, id, today).await,
        DataKind::Sanctions => sanctions(c, id).await,
        _ => Ok(Vec::new()),
    }
}

/// A directory entity as stored, or its deletion.
async fn directory_entity(c: &impl Conn, id: Uuid) -> Result<Outgoing> {
    Ok(match entities::get(c, id).await? {
        Some(e) => Outgoing {
            entity: id.to_string(),
            region: Some(e.region_code.as_str().to_string()),
            department: None,
            payload: serde_json::to_value(&e).map_err(corrupt)?,
        },
        None => Outgoing {
            entity: id.to_string(),
            region: None,
            department: None,
            payload: json!({"id": id, "deleted": true}),
        },
    })
}

/// A visit's results (检查结果), once published (公示): the visit, its results per item with
/// the item's and department's names, and the inspectors (an identity: internal and public
/// shares drop it).
async fn visit_results(c: &impl Conn, id: Uuid) -> Result<Vec<Outgoing>> {
    let Some(v) = visits::get_visit(c, id).await? else {
        return Ok(Vec::new());
    };
    if !matches!(v.status, VisitStatus::Published | VisitStatus::Closed) {
        return Ok(Vec::new());
    }
    let mut results = Vec::new();
    for r in visits::results(c, id).await? {
        let item = items::get(c, r.item_id)
            .await?
            .map(|i| i.name)
            .unwrap_or_default();
        results.push(json!({
            "item": item,
            "department": department(c, r.department_id).await?,
            "result_code": r.result_code.map(|x| x.as_str()),
            "follow_up": r.follow_up.map(|x| x.as_str()),
            "summary": r.summary,
        }));
    }
    let inspectors: Vec<String> = visits::team(c, id)
        .await?
        .into_iter()
        .map(|m| m.name)
        .collect();
    Ok(vec![Outgoing {
        entity: id.to_string(),
        region: Some(v.region_code.as_str().to_string()),
        department: Some(v.lead_department_id),
        payload: json!({
            "id": v.id,
            "code": v.code,
            "usci": v.usci,
            "entity_name": v.entity_name,
            "region_code": v.region_code.as_str(),
            "trigger": v.trigger.as_str(),
            "status": v.status.as_str(),
            "visited_on": v.visited_on,
            "published_at": v.published_at,
            "closed_at": v.closed_at,
            "lead_department": department(c, v.lead_department_id).await?,
            "results": results,
            "inspectors": inspectors,
        }),
    }])
}

/// A rectification order (责令整改) and where it stands.
async fn rectification(c: &impl Conn, id: Uuid) -> Result<Vec<Outgoing>> {
    let Some(r) = visits::get_rectification(c, id).await? else {
        return Ok(Vec::new());
    };
    let v = visits::get_visit(c, r.visit_id).await?;
    Ok(vec![Outgoing {
        entity: id.to_string(),
        region: Some(r.region_code.clone()),
        department: Some(r.department_id),
        payload: json!({
            "id": r.id,
            "code": r.code,
            "visit_code": v.as_ref().map(|v| v.code.clone()),
            "usci": v.as_ref().map(|v| v.usci.clone()),
            "entity_name": v.as_ref().map(|v| v.entity_name.clone()),
            "region_code": r.region_code,
            "department": department(c, r.department_id).await?,
            "requirements": r.requirements,
            "issued_on": r.issued_on,
            "deadline": r.deadline,
            "status": r.status.as_str(),
            "reported_at": r.reported_at,
            "closing_note": r.closing_note,
            "closed_at": r.closed_at,
            "created_by": r.created_by,
        }),
    }])
}

/// A penalty (行政处罚) of the credit records. A public share carries only what the public may
/// read today (within its publication period, 公示期内).
async fn penalty(
    c: &impl Conn,
    share: &Share,
    id: Uuid,
    today: NaiveDate,
) -> Result<Vec<Outgoing>> {
    let Some(e) = credit::get(c, &Scope::system(), id).await? else {
        return Ok(Vec::new());
    };
    if e.kind != RecordKind::Penalty
        || (share.confidentiality == lianjian_domain::sharing::Confidentiality::Public
            && !e.record().is_public_on(today))
    {
        return Ok(Vec::new());
    }
    let entity = entities::get(c, e.entity_id).await?;
    let dept = match e.department_id {
        Some(d) => department(c, d).await?,
        None => String::new(),
    };
    Ok(vec![Outgoing {
        entity: id.to_string(),
        region: Some(e.region_code.as_str().to_string()),
        department: e.department_id,
        payload: json!({
            "id": e.id,
            "usci": entity.as_ref().map(|x| x.usci.clone()),
            "entity_name": entity.as_ref().map(|x| x.name.clone()),
            "region_code": e.region_code.as_str(),
            "department": dept,
            "tier": e.tier.map(|t| t.as_str()),
            "occurred_on": e.occurred_on,
            "reference": e.reference,
            "title": e.title,
            "legal_basis": e.legal_basis,
            "detail": e.detail,
            "status": e.status.as_str(),
            "ended_on": e.ended_on,
            "created_by": e.created_by,
        }),
    }])
}

/// A joint sanction batch (联合惩戒) once approved: one record per subject, in the subject's
/// region, so each lower instance receives the sanctions on its own entities.
async fn sanctions(c: &impl Conn, id: Uuid) -> Result<Vec<Outgoing>> {
    use lianjian_domain::credit::sanction::BatchStatus;
    let Some(b) = credit_sanctions::get_batch(c, &Scope::system(), id).await? else {
        return Ok(Vec::new());
    };
    if !matches!(b.status, BatchStatus::Approved | BatchStatus::Completed) {
        return Ok(Vec::new());
    }
    let applied = credit_sanctions::batch_measures(c, id).await?;
    let ids: Vec<Uuid> = applied.iter().map(|m| m.measure_id).collect();
    let catalogue = credit_sanctions::measures_by_ids(c, &ids).await?;
    let mut measures = Vec::new();
    for m in &applied {
        let name = catalogue
            .iter()
            .find(|x| x.id == m.measure_id)
            .map(|x| x.name.clone())
            .unwrap_or_default();
        measures.push(json!({
            "name": name,
            "department": department(c, m.department_id).await?,
            "until": m.until,
        }));
    }
    let initiator = department(c, b.department_id).await?;
    let mut out = Vec::new();
    for (i, s) in b.subjects.iter().enumerate() {
        let Some(e) = entities::get(c, s.entity_id).await? else {
            continue;
        };
        out.push(Outgoing {
            entity: format!("{id}:{i}"),
            region: Some(e.region_code.as_str().to_string()),
            department: Some(b.department_id),
            payload: json!({
                "id": b.id,
                "code": b.code,
                "usci": e.usci,
                "entity_name": e.name,
                "region_code": e.region_code.as_str(),
                "subject_type": s.subject_type.as_str(),
                "person_name": s.person_name,
                "id_number": s.id_number,
                "person_role": s.person_role,
                "department": initiator,
                "reason": b.reason,
                "legal_basis": b.legal_basis,
                "starts_on": b.starts_on,
                "ends_on": b.ends_on,
                "status": b.status.as_str(),
                "measures": measures,
                "created_by": b.created_by,
            }),
        });
    }
    Ok(out)
}

/// The state a received record is kept in (`sharing_records.status`): the record's own
/// `status`, or `deleted` for a deletion.
pub(crate) fn status_of(payload: &Value) -> Option<String> {
    if let Some(s) = payload.get("status").and_then(Value::as_str) {
        return Some(s.chars().take(32).collect());
    }
    (payload.get("deleted") == Some(&Value::Bool(true))).then(|| "deleted".to_string())
}
