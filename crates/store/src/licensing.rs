//! 审管衔接 (`domain::licensing`): the hand-overs (`licence_events`, one per licence and event)
//! and the feedback to the approval bureau (`licence_feedback`). Each hand-over's claims are
//! rows of `claims` with source `licence` (store::claims), its clock a `case_clocks` row.

use chrono::{DateTime, NaiveDate, Utc};
use lianjian_domain::licensing::{FeedbackKind, HandoverStatus, LicenceEvent};
use lianjian_domain::region::RegionCode;
use lianjian_domain::scope::Scope;
use sea_orm::{ConnectionTrait, QueryResult, Value};
use serde::Serialize;
use uuid::Uuid;

use crate::scope::Shape;
use crate::{Page, PageRequest, Result, StoreError, placeholders, stmt};

/// One approval result handed over to supervision.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Handover {
    pub id: Uuid,
    pub licence_no: String,
    pub event: LicenceEvent,
    pub entity_id: Uuid,
    pub usci: String,
    pub item_id: Uuid,
    pub licence_name: String,
    pub decided_on: NaiveDate,
    pub bureau: String,
    /// `api` or `xlsx`.
    pub channel: String,
    pub region_code: RegionCode,
    pub status: HandoverStatus,
    /// The supervising department (none while with the coordination office).
    pub department_id: Option<Uuid>,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl Handover {
    /// Whether a push carries the same approval result (nothing to update).
    pub fn same_content(&self, o: &Handover) -> bool {
        self.entity_id == o.entity_id
            && self.item_id == o.item_id
            && self.licence_name == o.licence_name
            && self.decided_on == o.decided_on
            && self.bureau == o.bureau
    }
}

const COLS: &str = "id, licence_no, event, entity_id, usci, item_id, licence_name, decided_on, bureau, channel, region_code, status, department_id, created_by, created_at, updated_at";

fn from_row(r: &QueryResult) -> Result<Handover> {
    let region: String = r.try_get("", "region_code")?;
    Ok(Handover {
        id: r.try_get("", "id")?,
        licence_no: r.try_get("", "licence_no")?,
        event: crate::coded(r, "event", LicenceEvent::parse)?,
        entity_id: r.try_get("", "entity_id")?,
        usci: r.try_get("", "usci")?,
        item_id: r.try_get("", "item_id")?,
        licence_name: r.try_get("", "licence_name")?,
        decided_on: r.try_get("", "decided_on")?,
        bureau: r.try_get("", "bureau")?,
        channel: r.try_get("", "channel")?,
        region_code: RegionCode::parse(&region).map_err(|e| StoreError::Corrupt(e.to_string()))?,
        status: crate::coded(r, "status", HandoverStatus::parse)?,
        department_id: r.try_get("", "department_id")?,
        created_by: r.try_get("", "created_by")?,
        created_at: r.try_get("", "created_at")?,
        updated_at: r.try_get("", "updated_at")?,
    })
}

pub async fn insert(c: &impl ConnectionTrait, h: &Handover) -> Result<()> {
    c.execute_raw(stmt(
        c,
        format!(
            "INSERT INTO licence_events ({COLS}) VALUES ({})",
            placeholders(1, 16)
        ),
        vec![
            h.id.into(),
            h.licence_no.clone().into(),
            h.event.as_str().into(),
            h.entity_id.into(),
            h.usci.clone().into(),
            h.item_id.into(),
            h.licence_name.clone().into(),
            h.decided_on.into(),
            h.bureau.clone().into(),
            h.channel.clone().into(),
            h.region_code.to_string().into(),
            h.status.as_str().into(),
            h.department_id.into(),
            h.created_by.clone().into(),
            h.created_at.into(),
            h.updated_at.into(),
        ],
    ))
    .await?;
    Ok(())
}

/// Updates what the bureau may correct by pushing again (the approval result's content).
pub async fn update_content(c: &impl ConnectionTrait, h: &Handover) -> Result<()> {
    c.execute_raw(stmt(
        c,
        "UPDATE licence_events SET licence_name = $2, decided_on = $3, bureau = $4, updated_at = $5 WHERE id = $1",
        vec![
            h.id.into(),
            h.licence_name.clone().into(),
            h.decided_on.into(),
            h.bureau.clone().into(),
            h.updated_at.into(),
        ],
    ))
    .await?;
    Ok(())
}

/// Moves a hand-over from `from` (checked: `false` when someone moved it meanwhile).
pub async fn set_status(
    c: &impl ConnectionTrait,
    id: Uuid,
    from: HandoverStatus,
    to: HandoverStatus,
    department_id: Option<Uuid>,
) -> Result<bool> {
    let r = c
        .execute_raw(stmt(
            c,
            "UPDATE licence_events SET status = $3, department_id = $4, updated_at = $5 WHERE id = $1 AND status = $2",
            vec![
                id.into(),
                from.as_str().into(),
                to.as_str().into(),
                department_id.into(),
                crate::now().into(),
            ],
        ))
        .await?;
    Ok(r.rows_affected() == 1)
}

pub async fn get(c: &impl ConnectionTrait, id: Uuid) -> Result<Option<Handover>> {
    c.query_one_raw(stmt(
        c,
        format!("SELECT {COLS} FROM licence_events WHERE id = $1"),
        vec![id.into()],
    ))
    .await?
    .as_ref()
    .map(from_row)
    .transpose()
}

/// A hand-over within `scope` (hand-overs are shared by every line of a region, as 双告知
/// claims are: the claim names the department).
pub async fn get_scoped(
    c: &impl ConnectionTrait,
    scope: &Scope,
    id: Uuid,
) -> Result<Option<Handover>> {
    let mut vals: Vec<Value> = vec![id.into()];
    let w = crate::scope::sql(scope, &Shape::shared("region_code"), &mut vals);
    c.query_one_raw(stmt(
        c,
        format!("SELECT {COLS} FROM licence_events WHERE id = $1 AND {w}"),
        vals,
    ))
    .await?
    .as_ref()
    .map(from_row)
    .transpose()
}

/// Hand-overs by their keys (licence number, event).
pub async fn by_keys(
    c: &impl ConnectionTrait,
    keys: &[(String, LicenceEvent)],
) -> Result<Vec<Handover>> {
    let mut out = Vec::new();
    for chunk in keys.chunks(200) {
        let mut vals: Vec<Value> = Vec::new();
        let mut ors = Vec::new();
        for (no, ev) in chunk {
            vals.push(no.clone().into());
            vals.push(ev.as_str().into());
            ors.push(format!(
                "(licence_no = ${} AND event = ${})",
                vals.len() - 1,
                vals.len()
            ));
        }
        for r in c
            .query_all_raw(stmt(
                c,
                format!(
                    "SELECT {COLS} FROM licence_events WHERE {}",
                    ors.join(" OR ")
                ),
                vals,
            ))
            .await?
        {
            out.push(from_row(&r)?);
        }
    }
    Ok(out)
}

/// Filters of the hand-over list.
#[derive(Debug, Clone, Default)]
pub struct HandoverQuery {
    pub status: Option<HandoverStatus>,
    pub department_id: Option<Uuid>,
    /// Licence number or credit code, exact prefix.
    pub q: Option<String>,
    /// With the coordination office (no department).
    pub unassigned: bool,
}

/// Hand-overs in `scope`, newest first.
pub async fn list(
    c: &impl ConnectionTrait,
    scope: &Scope,
    q: &HandoverQuery,
    page: PageRequest,
) -> Result<Page<Handover>> {
    let mut vals: Vec<Value> = Vec::new();
    let mut conds = vec![crate::scope::sql(
        scope,
        &Shape::shared("region_code"),
        &mut vals,
    )];
    if let Some(s) = q.status {
        vals.push(s.as_str().into());
        conds.push(format!("status = ${}", vals.len()));
    }
    if let Some(d) = q.department_id {
        vals.push(d.into());
        conds.push(format!("department_id = ${}", vals.len()));
    }
    if q.unassigned {
        conds.push("department_id IS NULL".into());
    }
    if let Some(t) = q.q.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
        vals.push(format!("{t}%").into());
        let n = vals.len();
        conds.push(format!("(licence_no LIKE ${n} OR usci LIKE ${n})"));
    }
    crate::paged(
        c,
        "licence_events",
        COLS,
        &conds.join(" AND "),
        "created_at DESC, id DESC",
        vals,
        page,
        from_row,
    )
    .await
}

/// A feedback record: what supervision tells the approval bureau about a licence.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Feedback {
    pub id: Uuid,
    pub licence_event_id: Uuid,
    pub licence_no: String,
    pub kind: FeedbackKind,
    pub content: String,
    pub visit_id: Option<Uuid>,
    pub department_id: Uuid,
    pub region_code: RegionCode,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
    pub read_at: Option<DateTime<Utc>>,
}

const FCOLS: &str = "id, licence_event_id, licence_no, kind, content, visit_id, department_id, region_code, created_by, created_at, read_at";

fn feedback_from_row(r: &QueryResult) -> Result<Feedback> {
    let region: String = r.try_get("", "region_code")?;
    Ok(Feedback {
        id: r.try_get("", "id")?,
        licence_event_id: r.try_get("", "licence_event_id")?,
        licence_no: r.try_get("", "licence_no")?,
        kind: crate::coded(r, "kind", FeedbackKind::parse)?,
        content: r.try_get("", "content")?,
        visit_id: r.try_get("", "visit_id")?,
        department_id: r.try_get("", "department_id")?,
        region_code: RegionCode::parse(&region).map_err(|e| StoreError::Corrupt(e.to_string()))?,
        created_by: r.try_get("", "created_by")?,
        created_at: r.try_get("", "created_at")?,
        read_at: r.try_get("", "read_at")?,
    })
}

pub async fn insert_feedback(c: &impl ConnectionTrait, f: &Feedback) -> Result<()> {
    c.execute_raw(stmt(
        c,
        format!(
            "INSERT INTO licence_feedback ({FCOLS}) VALUES ({})",
            placeholders(1, 11)
        ),
        vec![
            f.id.into(),
            f.licence_event_id.into(),
            f.licence_no.clone().into(),
            f.kind.as_str().into(),
            f.content.clone().into(),
            f.visit_id.into(),
            f.department_id.into(),
            f.region_code.to_string().into(),
            f.created_by.clone().into(),
            f.created_at.into(),
            f.read_at.into(),
        ],
    ))
    .await?;
    Ok(())
}

/// Feedback in `scope`, newest first; `unread` keeps what the bureau has not acknowledged;
/// `event` keeps one hand-over's.
pub async fn feedback_list(
    c: &impl ConnectionTrait,
    scope: &Scope,
    unread: bool,
    event: Option<Uuid>,
    page: PageRequest,
) -> Result<Page<Feedback>> {
    let mut vals: Vec<Value> = Vec::new();
    let mut conds = vec![crate::scope::sql(
        scope,
        &Shape::shared("region_code"),
        &mut vals,
    )];
    if unread {
        conds.push("read_at IS NULL".into());
    }
    if let Some(e) = event {
        vals.push(e.into());
        conds.push(format!("licence_event_id = ${}", vals.len()));
    }
    crate::paged(
        c,
        "licence_feedback",
        FCOLS,
        &conds.join(" AND "),
        "created_at DESC, id DESC",
        vals,
        page,
        feedback_from_row,
    )
    .await
}

pub async fn get_feedback(c: &impl ConnectionTrait, id: Uuid) -> Result<Option<Feedback>> {
    c.query_one_raw(stmt(
        c,
        format!("SELECT {FCOLS} FROM licence_feedback WHERE id = $1"),
        vec![id.into()],
    ))
    .await?
    .as_ref()
    .map(feedback_from_row)
    .transpose()
}

/// Marks feedback read by the bureau (first acknowledgement only). `false`: already read.
pub async fn mark_feedback_read(
    c: &impl ConnectionTrait,
    id: Uuid,
    at: DateTime<Utc>,
) -> Result<bool> {
    let r = c
        .execute_raw(stmt(
            c,
            "UPDATE licence_feedback SET read_at = $2 WHERE id = $1 AND read_at IS NULL",
            vec![id.into(), at.into()],
        ))
        .await?;
    Ok(r.rows_affected() == 1)
}
