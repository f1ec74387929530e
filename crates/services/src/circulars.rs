//! Circulars (情况通报, 国办发〔2023〕1号 (十二)–(十四); 鲁 tasks 15–18; issue 17 item 3):
//!
//! - an office or a department [`issue`]s a circular — title, text, attachments (files already
//!   in the evidence log), recipients: departments, and regions whose active departments it
//!   reaches — within its own region subtree;
//! - each recipient department's staff find it in their 待阅 queue; the first of them to open
//!   it ([`get`]) records the department's read receipt (who, when) as a 已阅 step;
//! - the issuer sees who has read and who has not, and [`remind`]s the unread (提醒未读, a
//!   step counted on each unread receipt).
//!
//! Every step is an event of the shared case mechanism (kind `circular`) with its audit entry.
//! Scope (`store::consultations`): the issuer's side and the recipient departments; no one
//! else.

use chrono::{DateTime, Utc};
use lianjian_domain::Invalid;
use lianjian_domain::account::Role;
use lianjian_domain::case::CaseKind;
use lianjian_domain::consultation::{self as rules, CircularAction, CircularStatus, MAX_PARTIES};
use lianjian_domain::region::RegionCode;
use lianjian_domain::scope::{Actor, Scope};
use lianjian_store::consultations::{self as repo, Circular, CircularQuery, Recipient};
use lianjian_store::{Conn, Page, PageRequest};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::cases::{self, CaseRef, CaseStepView};
use crate::consultations::{AttachmentView, department_names, is_office_over};
use crate::error::Checker;
use crate::{Result, ServiceError, Services};

const KIND: CaseKind = CaseKind::Circular;
/// The evidence log's record kind for a circular's attachments.
pub const RECORD_KIND: &str = "circular";

/// Who issues circulars: the office, departments' administrators (acting for a department).
pub fn may_issue(a: &Actor) -> bool {
    crate::consultations::may_convene(a)
}

/// Whether the actor stands on the issuer's side: the issuing department's administrators,
/// or the office over its region (a circular the office issued is the office's alone). They
/// see the receipts and remind the unread.
pub fn is_issuer(a: &Actor, x: &Circular) -> bool {
    (!x.by_office && a.role == Role::DepartmentAdmin && a.department_id == x.issuer_department_id)
        || is_office_over(a, &x.region_code)
}

/// Whether the actor reads for a recipient department (its staff: administrators and
/// inspectors; the office reading a circular is not a receipt).
fn reads_for(a: &Actor, recipients: &[Recipient]) -> bool {
    matches!(a.role, Role::DepartmentAdmin | Role::Inspector)
        && recipients
            .iter()
            .any(|r| r.department_id == a.department_id)
}

/// A circular in a queue.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct CircularView {
    pub id: Uuid,
    pub code: String,
    pub title: String,
    pub region_code: String,
    pub issuer: String,
    pub by_office: bool,
    /// Regions addressed as a whole.
    pub regions: Vec<String>,
    pub recipients: u32,
    pub read: u32,
    /// When the reader's own department read it (none: unread, or not a recipient).
    pub my_read_at: Option<DateTime<Utc>>,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
}

/// A recipient department and its receipt (shown to the issuer's side only).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ReceiptView {
    pub department_id: Uuid,
    pub department: String,
    pub region_code: String,
    pub read: bool,
    pub read_at: Option<DateTime<Utc>>,
    pub read_by: Option<String>,
    /// How many reminders it was sent while unread.
    pub reminded: i32,
}

/// A circular's page.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct CircularDetail {
    pub circular: CircularView,
    pub body: String,
    pub attachments: Vec<AttachmentView>,
    /// Every recipient with its receipt, for the issuer's side; empty for recipients.
    pub receipts: Vec<ReceiptView>,
    pub timeline: Vec<CaseStepView>,
    pub actions: Vec<CircularAction>,
}

async fn view(c: &impl Conn, a: &Actor, x: Circular) -> Result<(CircularView, Vec<Recipient>)> {
    let recipients = repo::recipients_of(c, x.id).await?;
    let names = department_names(c, [x.issuer_department_id]).await?;
    let issuer = if x.by_office {
        format!(
            "{}（专班办）",
            crate::consultations::region_name(c, &x.region_code).await
        )
    } else {
        names
            .get(&x.issuer_department_id)
            .cloned()
            .unwrap_or_else(|| "（已删除的部门）".into())
    };
    let read = recipients.iter().filter(|r| r.read_at.is_some()).count();
    Ok((
        CircularView {
            id: x.id,
            code: x.code,
            title: x.title,
            region_code: x.region_code,
            issuer,
            by_office: x.by_office,
            regions: x.regions,
            recipients: u32::try_from(recipients.len()).unwrap_or(u32::MAX),
            read: u32::try_from(read).unwrap_or(u32::MAX),
            my_read_at: recipients
                .iter()
                .find(|r| r.department_id == a.department_id)
                .and_then(|r| r.read_at),
            created_by: x.created_by,
            created_at: x.created_at,
        },
        recipients,
    ))
}

fn case_ref(x: &Circular) -> CaseRef<'_> {
    CaseRef {
        kind: KIND,
        id: x.id,
        code: &x.code,
        region: x.region_code.as_str(),
        department_id: Some(x.issuer_department_id),
    }
}

/// A circular as a form or the API sends it.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
pub struct CircularInput {
    pub title: String,
    /// 通报内容.
    pub body: String,
    /// Recipient departments.
    #[serde(default)]
    pub department_ids: Vec<Uuid>,
    /// Recipient regions: every active department of each (within the issuer's region).
    #[serde(default)]
    pub regions: Vec<String>,
    /// Attachments already in the evidence log.
    #[serde(default)]
    pub evidence_ids: Vec<Uuid>,
}

/// 发布通报: the recipients are the departments named and every active department of the
/// regions named, all within the issuer's region subtree (a department outside it is named as
/// the bad field). Every bad field is named; nothing is written unless all parse.
pub async fn issue(svc: &Services, a: &Actor, input: &CircularInput) -> Result<CircularDetail> {
    if !may_issue(a) {
        return Err(ServiceError::Forbidden);
    }
    let c = svc.store.conn();
    let mut ch = Checker::default();
    let title = ch.check("title", rules::title(&input.title));
    let body = ch.check("body", rules::body(&input.body));
    let mine = a.full_scope().region;
    let inside = |r: &RegionCode| mine.as_ref().is_none_or(|m| r.is_within(m));
    let mut recipients: Vec<(Uuid, String)> = Vec::new();
    let mut regions = Vec::new();
    for (i, code) in input.regions.iter().enumerate() {
        let f = format!("regions[{i}]");
        let Some(r) = ch.check(&f, RegionCode::parse(code)) else {
            continue;
        };
        if !inside(&r) {
            ch.push(
                &f,
                Invalid::new(
                    "out_of_scope",
                    format!("地区 {r} 不在本单位辖区内"),
                    format!("region {r} is outside your region"),
                ),
            );
            continue;
        }
        let ds = lianjian_store::departments::active_in_region(c, &r).await?;
        if ds.is_empty() {
            ch.push(
                &f,
                Invalid::new(
                    "no_departments",
                    format!("地区 {r} 没有在用的部门"),
                    format!("region {r} has no active department"),
                ),
            );
        }
        for d in ds {
            if !recipients.iter().any(|(id, _)| *id == d.id) {
                recipients.push((d.id, d.region_code.to_string()));
            }
        }
        regions.push(r.to_string());
    }
    for (i, id) in input.department_ids.iter().enumerate() {
        let f = format!("department_ids[{i}]");
        match lianjian_store::departments::get(c, *id).await? {
            Some(d)
                if d.status == lianjian_domain::department::DepartmentStatus::Active
                    && inside(&d.region_code) =>
            {
                if !recipients.iter().any(|(x, _)| *x == d.id) {
                    recipients.push((d.id, d.region_code.to_string()));
                }
            }
            _ => ch.push(
                &f,
                Invalid::new(
                    "unknown_department",
                    format!(
                        "第 {} 个接收部门（{id}）不存在、已停用或不在本单位辖区内",
                        i + 1
                    ),
                    format!(
                        "recipient {} ({id}) is not an active department in your region",
                        i + 1
                    ),
                ),
            ),
        }
    }
    if input.department_ids.is_empty() && input.regions.is_empty() {
        ch.push(
            "department_ids",
            Invalid::new(
                "required",
                "请选择接收部门或地区",
                "name recipient departments or regions",
            ),
        );
    }
    if recipients.len() > MAX_PARTIES * 10 {
        ch.push(
            "department_ids",
            Invalid::new(
                "too_many",
                "接收部门过多（至多 1000 个）",
                "1000 recipients at most",
            ),
        );
    }
    let files = ch.absorb(
        crate::consultations::existing_files(c, "evidence_ids", &input.evidence_ids).await,
    )?;
    ch.finish()?;
    let (Some(title), Some(body), Some(files)) = (title, body, files) else {
        return Err(ServiceError::refused("输入有误", "invalid input"));
    };
    let by_office = matches!(a.role, Role::CoordinationOffice | Role::SystemAdmin);
    let own = lianjian_store::departments::get(c, a.department_id)
        .await?
        .ok_or(ServiceError::NotFound)?;
    let region = if by_office {
        a.region.to_string()
    } else {
        own.region_code.to_string()
    };
    let now = lianjian_domain::audit::audit_time(svc.now());
    let tx = svc.store.begin().await?;
    let x = Circular {
        id: Uuid::now_v7(),
        code: crate::consultations::next_code(&tx, "TB", &region, now).await?,
        title,
        body,
        region_code: region.clone(),
        issuer_department_id: own.id,
        by_office,
        regions,
        created_by: a.username.clone(),
        created_at: now,
    };
    repo::insert_circular(&tx, &x, &recipients).await?;
    let step = CircularAction::Issue
        .step(None)
        .map_err(|e| ServiceError::conflict("status", e.zh, e.en))?;
    cases::record_step(
        &tx,
        a,
        &case_ref(&x),
        &step,
        serde_json::json!({"recipients": recipients.len(), "regions": x.regions}),
    )
    .await?;
    crate::consultations::link_files(svc, &tx, a, RECORD_KIND, x.id, &region, &files).await?;
    tx.commit().await?;
    get(svc, a, x.id).await
}

/// A circular's page. Opened by a recipient department's staff, it records the department's
/// read receipt first (the first reader, once). The issuer's side sees every receipt. 404
/// outside scope.
pub async fn get(svc: &Services, a: &Actor, id: Uuid) -> Result<CircularDetail> {
    let c = svc.store.conn();
    let x = repo::get_circular(c, &Scope::of(a), id)
        .await?
        .ok_or(ServiceError::NotFound)?;
    let recipients = repo::recipients_of(c, id).await?;
    if reads_for(a, &recipients)
        && recipients
            .iter()
            .any(|r| r.department_id == a.department_id && r.read_at.is_none())
    {
        let now = lianjian_domain::audit::audit_time(svc.now());
        let tx = svc.store.begin().await?;
        // Another reader of the department first: their receipt stands, no second step.
        if repo::mark_read(&tx, id, a.department_id, &a.username, &a.display_name, now).await? {
            let step = CircularAction::Read
                .step(Some(CircularStatus::Issued))
                .map_err(|e| ServiceError::conflict("status", e.zh, e.en))?;
            let mut r = case_ref(&x);
            r.department_id = Some(a.department_id);
            cases::record_step(
                &tx,
                a,
                &r,
                &step,
                serde_json::json!({"department": a.department_id}),
            )
            .await?;
            tx.commit().await?;
        }
    }
    let issuer = is_issuer(a, &x);
    let body = x.body.clone();
    let (v, recipients) = view(c, a, x).await?;
    let receipts = if issuer {
        let names = department_names(c, recipients.iter().map(|r| r.department_id)).await?;
        recipients
            .into_iter()
            .map(|r| ReceiptView {
                department: names
                    .get(&r.department_id)
                    .cloned()
                    .unwrap_or_else(|| "（已删除的部门）".into()),
                department_id: r.department_id,
                region_code: r.region_code,
                read: r.read_at.is_some(),
                read_at: r.read_at,
                read_by: r.read_by_name,
                reminded: r.reminded,
            })
            .collect()
    } else {
        Vec::new()
    };
    let actions = if issuer && v.read < v.recipients {
        vec![CircularAction::Remind]
    } else {
        Vec::new()
    };
    Ok(CircularDetail {
        body,
        attachments: crate::evidence::links_of(svc, RECORD_KIND, &[id])
            .await?
            .remove(&id)
            .unwrap_or_default()
            .into_iter()
            .map(AttachmentView::from)
            .collect(),
        receipts,
        timeline: cases::timeline(c, KIND, id)
            .await?
            .into_iter()
            .map(|e| {
                CaseStepView::of::<CircularStatus>(e, |s| {
                    CircularAction::parse(s).ok().map(CircularAction::label_zh)
                })
            })
            .collect(),
        circular: v,
        actions,
    })
}

/// 提醒未读: the issuer's side reminds every recipient that has not read it; a step recording
/// how many. Nothing unread is a 409.
pub async fn remind(svc: &Services, a: &Actor, id: Uuid) -> Result<CircularDetail> {
    let c = svc.store.conn();
    let x = repo::get_circular(c, &Scope::of(a), id)
        .await?
        .ok_or(ServiceError::NotFound)?;
    if !is_issuer(a, &x) {
        return Err(ServiceError::Forbidden);
    }
    let now = lianjian_domain::audit::audit_time(svc.now());
    let tx = svc.store.begin().await?;
    let n = repo::remind_unread(&tx, id, now).await?;
    if n == 0 {
        return Err(ServiceError::conflict(
            "status",
            "全部接收部门均已阅读，无需提醒",
            "every recipient has read it",
        ));
    }
    let step = CircularAction::Remind
        .step(Some(CircularStatus::Issued))
        .map_err(|e| ServiceError::conflict("status", e.zh, e.en))?;
    cases::record_step(
        &tx,
        a,
        &case_ref(&x),
        &step,
        serde_json::json!({"unread": n}),
    )
    .await?;
    tx.commit().await?;
    get(svc, a, id).await
}

lianjian_domain::labelled_enum!(queue
    /// The queues of circulars.
    CircularQueue {
        /// 待阅: received by the reader's department, not read yet.
        Unread = "unread" / "待阅",
        /// 收到的: received by the reader's department.
        Received = "received" / "收到的通报",
        /// 全部: everything in scope (what the reader's side issued too).
        All = "all" / "全部",
    }
);

impl CircularQueue {
    fn query(self, a: &Actor) -> CircularQuery {
        let mut q = CircularQuery::default();
        match self {
            CircularQueue::Unread => q.unread_by = Some(a.department_id),
            CircularQueue::Received => q.received_by = Some(a.department_id),
            CircularQueue::All => {}
        }
        q
    }
}

/// A queue of circulars within the actor's scope, newest first, searched by code, title or
/// text.
pub async fn list(
    svc: &Services,
    a: &Actor,
    queue: CircularQueue,
    search: Option<String>,
    page: PageRequest,
) -> Result<Page<CircularView>> {
    let c = svc.store.conn();
    let mut q = queue.query(a);
    q.q = search;
    let Page {
        items,
        total,
        page,
        per_page,
    } = repo::list_circulars(c, &Scope::of(a), &q, page).await?;
    let mut out = Vec::with_capacity(items.len());
    for x in items {
        out.push(view(c, a, x).await?.0);
    }
    Ok(Page {
        items: out,
        total,
        page,
        per_page,
    })
}

/// How many circulars each queue holds for the actor.
pub async fn queue_counts(svc: &Services, a: &Actor) -> Result<Vec<(CircularQueue, u64)>> {
    let c = svc.store.conn();
    let scope = Scope::of(a);
    cases::queue_counts(|q: CircularQueue| {
        let (q, scope) = (q.query(a), &scope);
        async move { Ok(repo::count_circulars(c, scope, &q).await?) }
    })
    .await
}

/// The demo's circular (issue 17 item 7): 舞阳县专班办 informs every department of 舞阳县 of the
/// cold-chain consultation; the market bureau and the health commission have read it, the
/// other departments not yet.
pub async fn seed_demo(svc: &Services) -> Result<()> {
    let office = crate::accounts::actor_of_user(svc, "wy.office").await?;
    let market = crate::accounts::actor_of_user(svc, "wy.market").await?;
    let health = crate::accounts::actor_of_user(svc, "wy.health").await?;
    let circular = issue(
        svc,
        &office,
        &CircularInput {
            title: "关于冷链食品温度异常风险处置情况的通报".into(),
            body: "近期，县农贸市场冷库连续出现温度超标预警。经县专班办组织市场监管、卫健部门会商，已开展冷链食品安全专项排查。请各部门结合职责，督促本行业冷链相关经营单位落实温控措施，发现问题及时通报。".into(),
            regions: vec!["411121".into()],
            ..Default::default()
        },
    )
    .await?;
    for reader in [&market, &health] {
        get(svc, reader, circular.circular.id).await?;
    }
    Ok(())
}
