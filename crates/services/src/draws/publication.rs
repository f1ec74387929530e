//! What a draw publishes, and when (issue 11 item 3; 鲁双随机办 principle 6: results are public,
//! advance target lists and credit classes are not).
//!
//! - Before the embargo ends the public sees the commitment, how the draw is witnessed, the
//!   plans with their counts per credit class, the period — and each visit (entity, items,
//!   departments; never inspectors) once its result is published.
//! - The embargo of a visit ends when its result is published or when the period ends plus the
//!   office's delay, whichever comes first; the whole draw's when every visit is public. Only
//!   then does a `lianjian-draw/3` draw publish its public record variant (its server seed lets
//!   anyone compute every pick from the pool).
//! - Legacy `/1` and `/2` records carry classes and inspectors' names and certificates: the
//!   public only ever gets the summary (after the embargo with the visits, without inspectors);
//!   the full record stays available to staff.

use lianjian_domain::draw::DrawStatus;
use lianjian_domain::visit::VisitStatus;
use std::collections::HashSet;

use chrono::{DateTime, Days, NaiveDate, Utc};
use lianjian_domain::account::Role;
use lianjian_domain::draw::{DrawInput, DrawRecord};
use lianjian_domain::scope::Actor;
use lianjian_domain::usci::Usci;
use lianjian_domain::visit::beijing_date;
use lianjian_store::StoreError;
use lianjian_store::draws::{self as repo, Draw};
use serde::Serialize;
use uuid::Uuid;

use super::witness::{self, Witnessed};
use super::{ensure_may_draw, quotas, view, visible};
use crate::{Result, ServiceError, Services};

/// When a draw's selected entities become public.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Embargo {
    /// From this day (Beijing time) every visit is public: the day after the period's end plus
    /// the office's delay. A visit whose result is published is public earlier.
    pub public_from: NaiveDate,
    pub publish_delay_days: i32,
    /// Every visit is public (and a `/3` draw's public record with it).
    pub over: bool,
    #[serde(skip)]
    pub public_visits: HashSet<Uuid>,
}

pub(super) async fn embargo(
    c: &impl lianjian_store::Conn,
    d: &Draw,
    now: DateTime<Utc>,
) -> Result<Embargo> {
    let today = beijing_date(now);
    let delay = u64::try_from(d.publish_delay_days).unwrap_or(0);
    let public_from = d
        .period_end
        .checked_add_days(Days::new(1 + delay))
        .unwrap_or(d.period_end);
    let period_over = today >= public_from;
    let visits = repo::visit_publication(c, d.id).await?;
    let public_visits: HashSet<Uuid> = visits
        .iter()
        .filter(|v| period_over || v.published_at.is_some())
        .map(|v| v.visit_id)
        .collect();
    let live: Vec<_> = visits
        .iter()
        .filter(|v| v.status != VisitStatus::Cancelled)
        .collect();
    let all_published = !live.is_empty() && live.iter().all(|v| v.published_at.is_some());
    Ok(Embargo {
        public_from,
        publish_delay_days: d.publish_delay_days,
        over: d.status == DrawStatus::Drawn && (period_over || all_published),
        public_visits,
    })
}

#[derive(Debug, Clone, Serialize)]
pub struct PublicCommitment {
    pub candidates_sha256: String,
    pub inspectors_sha256: String,
    pub seed_sha256: String,
    pub committed_at: DateTime<Utc>,
}

/// One credit class of a plan: how many could be drawn and how many must be.
#[derive(Debug, Clone, Serialize)]
pub struct PublicStratum {
    pub label: String,
    pub eligible: u64,
    pub quota: u64,
}

#[derive(Debug, Clone, Serialize)]
pub struct PublicPlan {
    pub code: String,
    pub item_name: String,
    pub lead_department: String,
    pub risk_weighted: bool,
    pub strata: Vec<PublicStratum>,
    pub total_quota: u64,
    /// Of `total_quota`, drawn as the random control share (随机对照; published: 12.13).
    pub control: u64,
}

/// A visit whose embargo ended: the entity and what is checked, never who checks.
#[derive(Debug, Clone, Serialize)]
pub struct PublicVisit {
    pub code: String,
    pub usci: String,
    pub entity_name: String,
    pub items: Vec<String>,
    pub departments: Vec<String>,
}

/// Why a draw failed, without the entity it could not staff (that would name a target).
#[derive(Debug, Clone, Serialize)]
pub struct PublicFailure {
    pub code: String,
    pub department: Option<String>,
    pub qualification: Option<String>,
    pub short: u64,
}

/// What anybody may see of a draw before (and, for legacy records, after) its embargo.
#[derive(Debug, Clone, Serialize)]
pub struct PublicSummary {
    pub format: String,
    pub status: DrawStatus,
    pub code: String,
    pub title: String,
    pub region_code: String,
    pub period_start: NaiveDate,
    pub period_end: NaiveDate,
    pub redraw_of: Option<Uuid>,
    pub redraw_reason: Option<String>,
    pub superseded_by: Option<Uuid>,
    pub commitment: PublicCommitment,
    pub drawn_at: Option<DateTime<Utc>>,
    pub witnessing: Witnessed,
    pub plans: Vec<PublicPlan>,
    pub visit_count: i32,
    pub embargo: Embargo,
    /// The visits whose embargo ended.
    pub visits: Vec<PublicVisit>,
    pub failure: Option<PublicFailure>,
    /// Whether the public record variant (what `lianjian draw verify` checks) is available
    /// at this same address instead of this summary.
    pub record_public: bool,
    pub note: String,
}

fn corrupt(m: impl ToString) -> ServiceError {
    ServiceError::internal(StoreError::Corrupt(m.to_string()))
}

fn is_v3(format: &str) -> bool {
    format.starts_with("lianjian-draw/3")
}

pub async fn summary(svc: &Services, id: Uuid) -> Result<(Draw, PublicSummary)> {
    let c = svc.store.conn();
    let d = public_draw(svc, id).await?;
    let body = repo::body(c, id).await?.ok_or(ServiceError::NotFound)?;
    let input: DrawInput = serde_json::from_str(&body.input_json).map_err(corrupt)?;
    let format = input.format().to_string();
    let legacy = !is_v3(&format);
    let emb = embargo(c, &d, svc.now()).await?;
    let witnessing = witness::status(c, &d, legacy).await?;
    let plans = quotas(&input)
        .into_iter()
        .map(|q| PublicPlan {
            code: q.code,
            item_name: q.item_name,
            lead_department: q.lead_department,
            risk_weighted: q.risk_weighted,
            total_quota: q.total_quota,
            control: q.control,
            strata: q
                .strata
                .into_iter()
                .map(|(label, eligible, quota)| PublicStratum {
                    label,
                    eligible,
                    quota,
                })
                .collect(),
        })
        .collect();
    let visits = if emb.public_visits.is_empty() {
        Vec::new()
    } else {
        view(svc, d.clone())
            .await?
            .visits
            .into_iter()
            .filter(|v| emb.public_visits.contains(&v.visit.id))
            .map(|v| PublicVisit {
                code: v.visit.code,
                usci: v.usci,
                entity_name: v.entity_name,
                items: v.items,
                departments: v.departments,
            })
            .collect()
    };
    let failure = body
        .failure_json
        .as_deref()
        .and_then(|f| serde_json::from_str::<serde_json::Value>(f).ok())
        .and_then(|v| v.get("failure").cloned())
        .map(|f| PublicFailure {
            code: f["code"].as_str().unwrap_or_default().to_string(),
            department: f["department"]["name"].as_str().map(str::to_string),
            qualification: f["qualification"].as_str().map(str::to_string),
            short: f["short"].as_u64().unwrap_or(0),
        });
    let record_public = !legacy && emb.over && body.record_json.is_some();
    let note = if legacy {
        "本抽取为旧格式记录（含信用分类和执法人员身份），仅公开承诺、各类别数量和已到公开时间的检查任务；完整记录仅供工作人员查阅。"
    } else if record_public {
        "公开版抽取记录已可下载，可用 lianjian draw verify 复核。"
    } else {
        "检查对象在检查结果公示后或检查期间结束后公开；此前仅公开承诺、见证情况、各类别数量和检查期间。"
    };
    Ok((
        d.clone(),
        PublicSummary {
            format,
            status: d.status,
            code: d.code.clone(),
            title: d.title.clone(),
            region_code: d.region_code.to_string(),
            period_start: d.period_start,
            period_end: d.period_end,
            redraw_of: d.redraw_of,
            redraw_reason: d.redraw_reason.clone(),
            superseded_by: d.superseded_by,
            commitment: PublicCommitment {
                candidates_sha256: d.candidates_sha256.clone(),
                inspectors_sha256: d.inspectors_sha256.clone(),
                seed_sha256: d.seed_sha256.clone(),
                committed_at: d.committed_at,
            },
            drawn_at: d.drawn_at,
            witnessing,
            plans,
            visit_count: d.visit_count,
            embargo: emb,
            visits,
            failure,
            record_public,
            note: note.into(),
        },
    ))
}

/// A draw of the site's jurisdiction; any other is as absent as an unknown id.
async fn public_draw(svc: &Services, id: Uuid) -> Result<Draw> {
    repo::get(svc.store.conn(), id)
        .await?
        .filter(|d| svc.site.publishes(&d.region_code, false))
        .ok_or(ServiceError::NotFound)
}

/// The public JSON of a draw: the public record variant of a `/3` draw whose embargo ended
/// (what `lianjian draw verify` checks), otherwise the [`PublicSummary`].
pub async fn public_record(svc: &Services, id: Uuid) -> Result<(Draw, String)> {
    let c = svc.store.conn();
    // A stored public variant (written when the draw was executed, so the draw is a drawn
    // `/3` one) is served as stored once the embargo ends: the same bytes every time, and
    // neither the input nor the record (tens of megabytes at a province's scale) parsed per
    // request. The summary's test, `record_public`, reduces to the embargo here.
    let d = public_draw(svc, id).await?;
    if d.status == DrawStatus::Drawn
        && embargo(c, &d, Utc::now()).await?.over
        && let Some(stored) = repo::public_record(c, id).await?
    {
        return Ok((d, stored));
    }
    let (d, s) = summary(svc, id).await?;
    if s.record_public {
        // Drawn before public variants were stored: generated from the full record, as
        // `to_json` of the same variant (what execute stores).
        let body = repo::body(c, id).await?.ok_or(ServiceError::NotFound)?;
        let rec = DrawRecord::from_json(body.record_json.as_deref().unwrap_or_default().as_bytes())
            .map_err(corrupt)?;
        let public = rec
            .public_variant()
            .ok_or_else(|| corrupt("a lianjian-draw/3 draw without a public variant"))?;
        return Ok((d, public.to_json()));
    }
    Ok((d, serde_json::to_string_pretty(&s).expect("serialisable")))
}

/// Who may read a draw's full record (classes, weights, inspectors' names and certificates,
/// the salt key): the offices and department admins that draw, leaders and supervisors, in
/// scope. Inspectors may not: they would learn the other targets before the visits.
fn may_read_full(actor: &Actor) -> bool {
    matches!(
        actor.role,
        Role::SystemAdmin
            | Role::CoordinationOffice
            | Role::DepartmentAdmin
            | Role::Leader
            | Role::Supervisor
    )
}

/// The full record once drawn (the failure with its input if it failed).
pub async fn full_record(svc: &Services, actor: &Actor, id: Uuid) -> Result<(Draw, String)> {
    if !may_read_full(actor) {
        return Err(ServiceError::Forbidden);
    }
    let c = svc.store.conn();
    let d = visible(c, actor, id).await?;
    let body = repo::body(c, id).await?.ok_or(ServiceError::NotFound)?;
    match (body.record_json, body.failure_json) {
        (Some(r), _) => Ok((d, r)),
        (None, Some(f)) => Ok((d, f)),
        (None, None) => Err(ServiceError::conflict(
            "status",
            format!("抽取 {} 尚未执行，还没有记录", d.code),
            format!("draw {} has not been drawn yet: no record", d.code),
        )),
    }
}

/// The opening of one candidate's class commitment, for staff to hand to the entity: with it
/// and the public record the entity checks its own class and whether it was rightly drawn
/// (`lianjian draw verify PUBLIC.json --opening OPENING.json`).
pub async fn opening(svc: &Services, actor: &Actor, id: Uuid, usci: &str) -> Result<String> {
    ensure_may_draw(actor)?;
    let usci = Usci::parse(usci).map_err(|e| ServiceError::field("usci", e))?;
    let c = svc.store.conn();
    let d = visible(c, actor, id).await?;
    let body = repo::body(c, id).await?.ok_or(ServiceError::NotFound)?;
    let o = super::self_check::opening_of(&d, body.record_json.as_deref(), &usci)?;
    Ok(serde_json::to_string_pretty(&o).expect("serialisable"))
}
