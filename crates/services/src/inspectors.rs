//! The inspector pool (执法检查人员库) and expert pool (专家库) of double-random inspections
//! (国办发〔2023〕1号 (九)): members per department and region, their qualifications, status,
//! declared conflicts of interest (回避) and linked sign-in account. See `docs/double-random.md`.
//!
//! Who may do what:
//!
//! - system administrators maintain every member; coordination offices those of their region
//!   subtree; department administrators those of their department line in their subtree;
//! - leaders read what their scope shows;
//! - an inspector sees only the record linked to their own account, and may declare (not
//!   withdraw) their own conflicts of interest.
//!
//! Out-of-scope records look absent (`NotFound`). Every change is recorded in the audit log in
//! the transaction that makes it; reading a member's record (personal data: certificate number
//! and phone) is recorded as `inspector.view`, as reading a user's is.

use chrono::Utc;
use lianjian_domain::Invalid;
use lianjian_domain::account::{self, CertificateNumber, Role};
use lianjian_domain::audit::AuditEntry;
use lianjian_domain::department::DepartmentStatus;
use lianjian_domain::inspector::{self as rules, InspectorKind, InspectorStatus};
use lianjian_domain::region::RegionCode;
use lianjian_domain::scope::{Actor, Scope};
use lianjian_domain::usci::Usci;
use lianjian_store::accounts as user_repo;
use lianjian_store::departments::{self as dept_repo, Department};
use lianjian_store::entities as entity_repo;
use lianjian_store::inspectors::{self as repo, PoolMember};
use lianjian_store::{Page, PageRequest, StoreError, audit, regions};
use serde::Serialize;
use uuid::Uuid;

use crate::error::Checker;
use crate::trail::{Record, record, record_many};
use crate::{Result, ServiceError, Services};

/// Pool members as this service reads and lists them.
pub use lianjian_store::inspectors::{Conflict, Inspector, InspectorQuery, InspectorSort};

/// A member as a form, the API or a spreadsheet row gives it; every field is parsed here.
#[derive(Debug, Clone, Default)]
pub struct InspectorInput {
    pub name: String,
    /// 执法证号 (6–32 letters, digits or `-`).
    pub certificate_number: String,
    /// The department's id.
    pub department_id: String,
    /// Blank: the department's region. Otherwise that region or one inside it.
    pub region_code: String,
    /// 执法人员 / 专家 (or the codes). Blank: officer for a new member, unchanged otherwise.
    pub kind: String,
    /// 在岗 / 休假 / 离岗 (or the codes). Blank: active for a new member, unchanged otherwise.
    pub status: String,
    pub phone: String,
    /// Qualifications separated by `、`, `，`, `,`, `；` or `;`; they replace the member's.
    pub qualifications: String,
    /// Qualifications one label each (the API), instead of `qualifications` when set: a label
    /// containing a separator is an error here, not two labels.
    pub qualification_list: Option<Vec<String>>,
}

/// A member with the names a page shows next to it.
#[derive(Debug, Clone, Serialize)]
pub struct InspectorView {
    pub inspector: Inspector,
    pub department_name: String,
    /// User name of the linked account.
    pub username: Option<String>,
}

/// One member's page: the record, its declared conflicts, its history.
#[derive(Debug, Clone, Serialize)]
pub struct InspectorDetail {
    pub view: InspectorView,
    pub conflicts: Vec<Conflict>,
    /// Audit entries about this member, oldest first.
    pub timeline: Vec<AuditEntry>,
}

/// What a bulk save did.
#[derive(Debug, Clone, Copy, Default, Serialize)]
pub struct SaveReport {
    pub inserted: u64,
    pub updated: u64,
}

/// Whether the actor maintains the pool at all (adds members, imports; each member is then
/// checked with [`may_maintain`]). The console offers the pool's add and import actions only
/// when this holds.
pub fn may_add_members(a: &Actor) -> bool {
    matches!(
        a.role,
        Role::SystemAdmin | Role::CoordinationOffice | Role::DepartmentAdmin
    )
}

fn is_maintainer(a: &Actor) -> bool {
    may_add_members(a)
}

/// Whether the actor sees this member (whose department is of `line`).
fn sees(a: &Actor, i: &Inspector, line: &str) -> bool {
    match a.role {
        Role::Inspector => i.user_id == Some(a.user_id),
        _ => a.scope().permits(&i.region_code, Some(line)),
    }
}

/// Whether the actor maintains members of this region and department line.
fn maintains(a: &Actor, region: &RegionCode, line: &str) -> bool {
    is_maintainer(a) && a.full_scope().permits(region, Some(line))
}

async fn department(svc: &Services, id: Uuid) -> Result<Department> {
    dept_repo::get(svc.store.conn(), id)
        .await?
        .ok_or_else(|| ServiceError::internal(StoreError::Corrupt(format!("department {id}"))))
}

/// The member if the actor sees it, with its department; otherwise `NotFound`.
async fn visible(svc: &Services, a: &Actor, id: Uuid) -> Result<(Inspector, Department)> {
    let i = repo::get(svc.store.conn(), id)
        .await?
        .ok_or(ServiceError::NotFound)?;
    let d = department(svc, i.department_id).await?;
    if sees(a, &i, &d.line) {
        Ok((i, d))
    } else {
        Err(ServiceError::NotFound)
    }
}

/// The member if the actor maintains it: `NotFound` when out of sight, `Forbidden` when the
/// role changes nothing.
async fn maintained(svc: &Services, a: &Actor, id: Uuid) -> Result<(Inspector, Department)> {
    let (i, d) = visible(svc, a, id).await?;
    if !is_maintainer(a) {
        return Err(ServiceError::Forbidden);
    }
    if !maintains(a, &i.region_code, &d.line) {
        return Err(ServiceError::NotFound);
    }
    Ok((i, d))
}

fn ensure_maintainer(a: &Actor) -> Result<()> {
    if is_maintainer(a) {
        Ok(())
    } else {
        Err(ServiceError::Forbidden)
    }
}

/// `Conflict` on the certificate number, naming it.
pub(crate) fn certificate_taken(number: &str) -> ServiceError {
    ServiceError::conflict(
        "certificate_number",
        format!("执法证号“{number}”已登记在检查人员库中，不能重复登记"),
        format!("certificate number '{number}' is already in the inspector pool"),
    )
}

fn map_taken(number: &str) -> impl Fn(StoreError) -> ServiceError + '_ {
    move |e| match e {
        StoreError::Conflict(_) => certificate_taken(number),
        other => other.into(),
    }
}

/// Parses a member and checks it against the database (department in the actor's scope, region
/// inside the department's). `before` is the stored record when updating: blank kind and
/// status keep its values, and its id, link and creation time carry over.
pub(crate) async fn parse(
    svc: &Services,
    actor: &Actor,
    input: &InspectorInput,
    before: Option<&Inspector>,
) -> Result<Inspector> {
    let c = svc.store.conn();
    let mut ch = Checker::default();
    let name = ch.check("name", rules::inspector_name(&input.name));
    let cert = ch.check(
        "certificate_number",
        CertificateNumber::parse(&input.certificate_number),
    );
    let kind = match (input.kind.trim(), before) {
        ("", Some(b)) => Some(b.kind),
        ("", None) => Some(InspectorKind::Officer),
        (k, _) => ch.check("kind", InspectorKind::parse(k)),
    };
    let status = match (input.status.trim(), before) {
        ("", Some(b)) => Some(b.status),
        ("", None) => Some(InspectorStatus::Active),
        (s, _) => ch.check("status", InspectorStatus::parse(s)),
    };
    let phone = ch.check("phone", account::phone(&input.phone));
    let qualifications = ch.check(
        "qualifications",
        match &input.qualification_list {
            Some(list) => list
                .iter()
                .map(|q| rules::qualification(q))
                .collect::<Result<Vec<_>, _>>()
                .map(|mut v| {
                    v.sort();
                    v.dedup();
                    v
                }),
            None => rules::qualifications(&input.qualifications),
        },
    );
    let dept = match Uuid::parse_str(input.department_id.trim()) {
        Err(_) => {
            ch.push(
                "department_id",
                Invalid::new("required", "请选择所属部门", "department is required"),
            );
            None
        }
        Ok(id) => match dept_repo::get(c, id).await? {
            Some(d)
                if actor.full_scope().permits(&d.region_code, Some(&d.line))
                    && (d.status == DepartmentStatus::Active
                        || before.is_some_and(|b| b.department_id == d.id)) =>
            {
                Some(d)
            }
            _ => {
                ch.push(
                    "department_id",
                    Invalid::new(
                        "unknown_department",
                        "所选部门不存在、已撤销或不在您的管理范围内",
                        "department does not exist, is retired, or is outside your scope",
                    ),
                );
                None
            }
        },
    };
    let region = match input.region_code.trim() {
        "" => dept.as_ref().map(|d| d.region_code.clone()),
        r => match ch.check("region_code", RegionCode::parse(r)) {
            Some(r) if regions::get(c, &r).await?.is_none() => {
                ch.push(
                    "region_code",
                    Invalid::new(
                        "unknown_region",
                        format!("行政区划代码“{r}”不存在"),
                        format!("region code '{r}' does not exist"),
                    ),
                );
                None
            }
            Some(r) => match &dept {
                Some(d) if !r.is_within(&d.region_code) => {
                    ch.push(
                        "region_code",
                        Invalid::new(
                            "outside_department",
                            format!("行政区划“{r}”不在所属部门所在地区（{}）之内", d.region_code),
                            format!(
                                "region {r} is not inside the department's region {}",
                                d.region_code
                            ),
                        ),
                    );
                    None
                }
                _ => Some(r),
            },
            None => None,
        },
    };
    ch.finish()?;
    let now = Utc::now();
    let d = dept.expect("checked");
    Ok(Inspector {
        id: before.map_or_else(Uuid::now_v7, |b| b.id),
        department_id: d.id,
        region_code: region.expect("checked"),
        name: name.expect("checked"),
        certificate_number: cert.expect("checked").as_str().to_string(),
        kind: kind.expect("checked"),
        status: status.expect("checked"),
        phone: phone.expect("checked"),
        user_id: before.and_then(|b| b.user_id),
        qualifications: qualifications.expect("checked"),
        created_at: before.map_or(now, |b| b.created_at),
        updated_at: now,
    })
}

fn at(i: &Inspector) -> (String, Option<Uuid>) {
    (i.region_code.to_string(), Some(i.department_id))
}

/// Adds a member to the pool.
pub async fn create(svc: &Services, actor: &Actor, input: &InspectorInput) -> Result<Inspector> {
    ensure_maintainer(actor)?;
    let i = parse(svc, actor, input, None).await?;
    if repo::by_certificate(svc.store.conn(), &i.certificate_number)
        .await?
        .is_some()
    {
        return Err(certificate_taken(&i.certificate_number));
    }
    let tx = svc.store.begin().await?;
    repo::insert(&tx, &i)
        .await
        .map_err(map_taken(&i.certificate_number))?;
    let (region, dept) = at(&i);
    record(
        &tx,
        actor,
        Record::new("inspector.create", "inspector", i.id)
            .at(region, dept)
            .after(&i),
    )
    .await?;
    tx.commit().await?;
    Ok(i)
}

/// Replaces a member's fields and qualifications (blank kind or status: unchanged). Moving a
/// member to a department or region outside the actor's scope is refused like any other.
pub async fn update(
    svc: &Services,
    actor: &Actor,
    id: Uuid,
    input: &InspectorInput,
) -> Result<Inspector> {
    let (before, _) = maintained(svc, actor, id).await?;
    let after = parse(svc, actor, input, Some(&before)).await?;
    if after.certificate_number != before.certificate_number
        && repo::by_certificate(svc.store.conn(), &after.certificate_number)
            .await?
            .is_some()
    {
        return Err(certificate_taken(&after.certificate_number));
    }
    if after.same_content(&before) {
        return Ok(before);
    }
    let tx = svc.store.begin().await?;
    repo::update(&tx, &after)
        .await
        .map_err(map_taken(&after.certificate_number))?;
    let (region, dept) = at(&after);
    record(
        &tx,
        actor,
        Record::new("inspector.update", "inspector", id)
            .at(region, dept)
            .before(&before)
            .after(&after),
    )
    .await?;
    tx.commit().await?;
    Ok(after)
}

/// Writes `after` (a changed copy of `before`) with one audit entry.
async fn save_change(
    svc: &Services,
    actor: &Actor,
    action: &str,
    before: &Inspector,
    mut after: Inspector,
) -> Result<Inspector> {
    after.updated_at = Utc::now();
    let tx = svc.store.begin().await?;
    repo::update(&tx, &after)
        .await
        .map_err(map_taken(&after.certificate_number))?;
    let (region, dept) = at(&after);
    record(
        &tx,
        actor,
        Record::new(action, "inspector", after.id)
            .at(region, dept)
            .before(before)
            .after(&after),
    )
    .await?;
    tx.commit().await?;
    Ok(after)
}

/// 在岗 / 休假 / 离岗. Setting the status a member already has changes nothing.
pub async fn set_status(
    svc: &Services,
    actor: &Actor,
    id: Uuid,
    status: &str,
) -> Result<Inspector> {
    let status = InspectorStatus::parse(status).map_err(|e| ServiceError::field("status", e))?;
    let (before, _) = maintained(svc, actor, id).await?;
    if before.status == status {
        return Ok(before);
    }
    let mut after = before.clone();
    after.status = status;
    save_change(svc, actor, "inspector.status", &before, after).await
}

/// Adds one qualification (already held: nothing changes).
pub async fn add_qualification(
    svc: &Services,
    actor: &Actor,
    id: Uuid,
    qualification: &str,
) -> Result<Inspector> {
    let q =
        rules::qualification(qualification).map_err(|e| ServiceError::field("qualification", e))?;
    let (before, _) = maintained(svc, actor, id).await?;
    if before.qualifications.contains(&q) {
        return Ok(before);
    }
    let mut after = before.clone();
    after.qualifications.push(q);
    after.qualifications.sort();
    save_change(svc, actor, "inspector.qualification_add", &before, after).await
}

/// Removes one qualification; `NotFound` if the member does not hold it.
pub async fn remove_qualification(
    svc: &Services,
    actor: &Actor,
    id: Uuid,
    qualification: &str,
) -> Result<Inspector> {
    let (before, _) = maintained(svc, actor, id).await?;
    let q = qualification.trim();
    if !before.qualifications.iter().any(|x| x == q) {
        return Err(ServiceError::NotFound);
    }
    let mut after = before.clone();
    after.qualifications.retain(|x| x != q);
    save_change(svc, actor, "inspector.qualification_remove", &before, after).await
}

/// The entity a declaration names: an id or a credit code.
async fn find_entity(svc: &Services, entity: &str) -> Result<Result<entity_repo::Entity, Invalid>> {
    let c = svc.store.conn();
    let t = entity.trim();
    if t.is_empty() {
        return Ok(Err(Invalid::new(
            "required",
            "请填写需回避主体的统一社会信用代码",
            "the entity's credit code is required",
        )));
    }
    if let Ok(id) = Uuid::parse_str(t) {
        return Ok(entity_repo::get(c, id).await?.ok_or_else(|| {
            Invalid::new(
                "unknown_entity",
                "名录库中没有该主体",
                "no such entity in the directory",
            )
        }));
    }
    let code = match Usci::parse(t) {
        Ok(u) => u,
        Err(e) => {
            return Ok(Err(Invalid {
                zh: format!("“{t}”：{}", e.zh),
                en: format!("'{t}': {}", e.en),
                ..e
            }));
        }
    };
    Ok(entity_repo::by_usci(c, code.as_str())
        .await?
        .ok_or_else(|| {
            Invalid::new(
                "unknown_entity",
                format!("名录库中没有统一社会信用代码为“{code}”的主体"),
                format!("no entity with credit code {code} in the directory"),
            )
        }))
}

/// Declares a conflict of interest (回避) between a member and an entity (by credit code or
/// id), with a reason. Maintainers declare for members they maintain; an inspector for their
/// own record. Declaring the same entity twice is a `Conflict`.
pub async fn declare_conflict(
    svc: &Services,
    actor: &Actor,
    inspector_id: Uuid,
    entity: &str,
    reason: &str,
) -> Result<Conflict> {
    let (i, d) = visible(svc, actor, inspector_id).await?;
    let own = actor.role == Role::Inspector && i.user_id == Some(actor.user_id);
    if !own {
        if !is_maintainer(actor) {
            return Err(ServiceError::Forbidden);
        }
        if !maintains(actor, &i.region_code, &d.line) {
            return Err(ServiceError::NotFound);
        }
    }
    let mut ch = Checker::default();
    let e = ch.check("entity", find_entity(svc, entity).await?);
    let reason = ch.check("reason", rules::conflict_reason(reason));
    ch.finish()?;
    let e = e.expect("checked");
    let k = Conflict {
        id: Uuid::now_v7(),
        inspector_id,
        entity_id: e.id,
        usci: e.usci.clone(),
        entity_name: e.name.clone(),
        reason: reason.expect("checked"),
        declared_at: Utc::now(),
        declared_by: actor.username.clone(),
    };
    let tx = svc.store.begin().await?;
    repo::add_conflict(&tx, &k).await.map_err(|err| match err {
        StoreError::Conflict(_) => ServiceError::conflict(
            "entity",
            format!("已申报过与“{}”（{}）的回避", e.name, e.usci),
            format!("a conflict with {} is already declared", e.usci),
        ),
        other => other.into(),
    })?;
    let (region, dept) = at(&i);
    record(
        &tx,
        actor,
        Record::new("inspector.conflict_declare", "inspector", inspector_id)
            .at(region, dept)
            .after(&k),
    )
    .await?;
    tx.commit().await?;
    Ok(k)
}

/// Withdraws a declaration. Only maintainers may: a member cannot lift their own conflict.
pub async fn withdraw_conflict(
    svc: &Services,
    actor: &Actor,
    inspector_id: Uuid,
    conflict_id: Uuid,
) -> Result<Conflict> {
    let (i, _) = maintained(svc, actor, inspector_id).await?;
    let k = repo::get_conflict(svc.store.conn(), conflict_id)
        .await?
        .filter(|k| k.inspector_id == inspector_id)
        .ok_or(ServiceError::NotFound)?;
    let tx = svc.store.begin().await?;
    if !repo::remove_conflict(&tx, conflict_id).await? {
        return Err(ServiceError::NotFound);
    }
    let (region, dept) = at(&i);
    record(
        &tx,
        actor,
        Record::new("inspector.conflict_withdraw", "inspector", inspector_id)
            .at(region, dept)
            .before(&k),
    )
    .await?;
    tx.commit().await?;
    Ok(k)
}

/// Links the member to a sign-in account (user name or id): the account must have role
/// inspector, belong to the member's department and not be linked to another member.
pub async fn link_user(svc: &Services, actor: &Actor, id: Uuid, user: &str) -> Result<Inspector> {
    let (before, _) = maintained(svc, actor, id).await?;
    let c = svc.store.conn();
    let t = user.trim();
    let found = match Uuid::parse_str(t) {
        Ok(uid) => user_repo::get_user_scoped(c, &Scope::ignoring_context(actor), uid).await?,
        Err(_) => user_repo::find_user_by_name(c, &t.to_ascii_lowercase())
            .await?
            .filter(|u| {
                actor
                    .full_scope()
                    .region
                    .as_ref()
                    .is_none_or(|r| u.region_code.is_within(r))
            }),
    };
    let bad = |code: &'static str, zh: String, en: String| {
        ServiceError::field("user", Invalid::new(code, zh, en))
    };
    let Some(u) = found else {
        return Err(bad(
            "unknown_user",
            format!("没有用户名为“{t}”的账号，或该账号不在您的管理范围内"),
            format!("no account '{t}' in your scope"),
        ));
    };
    if u.role != Role::Inspector {
        return Err(bad(
            "not_inspector",
            format!(
                "账号“{}”的角色是“{}”，只能关联角色为执法检查人员的账号",
                u.username,
                u.role.label_zh()
            ),
            format!(
                "account '{}' has role {}; only inspector accounts can be linked",
                u.username, u.role
            ),
        ));
    }
    if u.department_id != before.department_id {
        return Err(bad(
            "other_department",
            format!("账号“{}”属于其他部门，只能关联本部门的账号", u.username),
            format!("account '{}' belongs to another department", u.username),
        ));
    }
    if before.user_id == Some(u.id) {
        return Ok(before);
    }
    if let Some(other) = repo::by_user(c, u.id).await? {
        return Err(ServiceError::conflict(
            "user",
            format!(
                "账号“{}”已关联检查人员（执法证号 {}）",
                u.username, other.certificate_number
            ),
            format!(
                "account '{}' is linked to certificate {}",
                u.username, other.certificate_number
            ),
        ));
    }
    let mut after = before.clone();
    after.user_id = Some(u.id);
    after.updated_at = Utc::now();
    let tx = svc.store.begin().await?;
    repo::set_user(&tx, id, after.user_id, after.updated_at)
        .await
        .map_err(|e| match e {
            StoreError::Conflict(_) => ServiceError::conflict(
                "user",
                format!("账号“{}”已关联其他检查人员", u.username),
                format!("account '{}' is linked to another member", u.username),
            ),
            other => other.into(),
        })?;
    let (region, dept) = at(&after);
    record(
        &tx,
        actor,
        Record::new("inspector.link_user", "inspector", id)
            .at(region, dept)
            .before(&before)
            .after(&after),
    )
    .await?;
    tx.commit().await?;
    Ok(after)
}

/// Removes the link to a sign-in account (none: nothing changes).
pub async fn unlink_user(svc: &Services, actor: &Actor, id: Uuid) -> Result<Inspector> {
    let (before, _) = maintained(svc, actor, id).await?;
    if before.user_id.is_none() {
        return Ok(before);
    }
    let mut after = before.clone();
    after.user_id = None;
    after.updated_at = Utc::now();
    let tx = svc.store.begin().await?;
    repo::set_user(&tx, id, None, after.updated_at).await?;
    let (region, dept) = at(&after);
    record(
        &tx,
        actor,
        Record::new("inspector.unlink_user", "inspector", id)
            .at(region, dept)
            .before(&before)
            .after(&after),
    )
    .await?;
    tx.commit().await?;
    Ok(after)
}

async fn views(svc: &Services, v: Vec<Inspector>) -> Result<Vec<InspectorView>> {
    let c = svc.store.conn();
    let ids: Vec<Uuid> = v.iter().map(|i| i.department_id).collect();
    let names = dept_repo::by_ids(c, &ids).await?;
    let mut out = Vec::with_capacity(v.len());
    for i in v {
        let username = match i.user_id {
            Some(u) => user_repo::get_user(c, u).await?.map(|u| u.username),
            None => None,
        };
        out.push(InspectorView {
            department_name: names
                .get(&i.department_id)
                .map(|d| d.name.clone())
                .unwrap_or_default(),
            username,
            inspector: i,
        });
    }
    Ok(out)
}

/// A member with its department's name and linked user name, for showing a record the caller
/// already holds (after a change).
pub async fn describe(svc: &Services, i: Inspector) -> Result<InspectorView> {
    Ok(views(svc, vec![i]).await?.remove(0))
}

/// Members the actor sees that match `q` (an inspector: only their own record).
pub async fn list(
    svc: &Services,
    actor: &Actor,
    q: &InspectorQuery,
    page: PageRequest,
) -> Result<Page<InspectorView>> {
    let mut q = q.clone();
    if actor.role == Role::Inspector {
        q.user_id = Some(actor.user_id);
    }
    let p = repo::list(svc.store.conn(), &Scope::of(actor), &q, page).await?;
    let items = views(svc, p.items).await?;
    Ok(Page {
        items,
        total: p.total,
        page: p.page,
        per_page: p.per_page,
    })
}

/// One member with conflicts and history. Personal data, so the read is audited.
pub async fn get(svc: &Services, actor: &Actor, id: Uuid) -> Result<InspectorDetail> {
    let (i, _) = visible(svc, actor, id).await?;
    let c = svc.store.conn();
    let conflicts = repo::conflicts_of(c, id).await?;
    let timeline = audit::of_object(c, "inspector", &id.to_string(), 100).await?;
    let tx = svc.store.begin().await?;
    let (region, dept) = at(&i);
    record(
        &tx,
        actor,
        Record::new("inspector.view", "inspector", id).at(region, dept),
    )
    .await?;
    tx.commit().await?;
    Ok(InspectorDetail {
        view: views(svc, vec![i]).await?.remove(0),
        conflicts,
        timeline,
    })
}

/// A member's declared conflicts, newest first.
pub async fn conflicts(svc: &Services, actor: &Actor, id: Uuid) -> Result<Vec<Conflict>> {
    visible(svc, actor, id).await?;
    Ok(repo::conflicts_of(svc.store.conn(), id).await?)
}

/// Whether the actor may change this member (for pages deciding which buttons to show).
pub async fn may_maintain(svc: &Services, actor: &Actor, i: &Inspector) -> Result<bool> {
    let d = department(svc, i.department_id).await?;
    Ok(maintains(actor, &i.region_code, &d.line))
}

/// The pool record linked to the actor's own account, if any.
pub async fn own(svc: &Services, actor: &Actor) -> Result<Option<Inspector>> {
    Ok(repo::by_user(svc.store.conn(), actor.user_id).await?)
}

/// The active officers a draw in `region` may pick, from `department_ids` (every department
/// when empty): see [`lianjian_store::inspectors::pool`].
pub async fn pool(
    svc: &Services,
    region: &RegionCode,
    department_ids: &[Uuid],
) -> Result<Vec<PoolMember>> {
    Ok(repo::pool(svc.store.conn(), region, department_ids).await?)
}

/// The active experts (专家库) of `region` and `department_ids`, for plans that ask for them.
pub async fn expert_pool(
    svc: &Services,
    region: &RegionCode,
    department_ids: &[Uuid],
) -> Result<Vec<PoolMember>> {
    Ok(repo::expert_pool(svc.store.conn(), region, department_ids).await?)
}

/// Saves parsed members in one transaction: each new one (`before` none) inserted, each changed
/// one updated, with one audit entry each. The caller has parsed every member with [`parse`]
/// as `actor` and checked that the actor maintains the stored ones (spreadsheet imports, demo).
pub(crate) async fn save_many(
    svc: &Services,
    actor: &Actor,
    members: Vec<(Inspector, Option<Inspector>)>,
) -> Result<SaveReport> {
    ensure_maintainer(actor)?;
    let mut report = SaveReport::default();
    if members.is_empty() {
        return Ok(report);
    }
    let tx = svc.store.begin().await?;
    let mut records = Vec::with_capacity(members.len());
    for (after, before) in &members {
        let (region, dept) = at(after);
        match before {
            None => {
                repo::insert(&tx, after)
                    .await
                    .map_err(map_taken(&after.certificate_number))?;
                report.inserted += 1;
                records.push(
                    Record::new("inspector.create", "inspector", after.id)
                        .at(region, dept)
                        .after(after),
                );
            }
            Some(b) => {
                repo::update(&tx, after)
                    .await
                    .map_err(map_taken(&after.certificate_number))?;
                report.updated += 1;
                records.push(
                    Record::new("inspector.update", "inspector", after.id)
                        .at(region, dept)
                        .before(b)
                        .after(after),
                );
            }
        }
    }
    record_many(&tx, actor, records).await?;
    tx.commit().await?;
    Ok(report)
}

/// A pool member offered for an ad-hoc visit's team (a console form's choice; not an API
/// schema).
#[derive(Debug, Clone, Serialize)]
pub struct TeamChoice {
    pub id: Uuid,
    pub name: String,
    pub kind_label: String,
    pub department: String,
}

/// The active pool members of `departments` the actor sees, department by department: whom an
/// ad-hoc visit (a clue's verification, a warning's visit) can send. The visit flow checks
/// the team again.
pub async fn team_choices(
    svc: &Services,
    a: &Actor,
    departments: &[Uuid],
) -> Result<Vec<TeamChoice>> {
    let c = svc.store.conn();
    let names = dept_repo::by_ids(c, departments).await?;
    let mut out = Vec::new();
    for d in departments {
        let q = InspectorQuery {
            department_id: Some(*d),
            status: Some(InspectorStatus::Active),
            ..Default::default()
        };
        let page = repo::list(c, &Scope::of(a), &q, PageRequest::new(Some(1), Some(200))).await?;
        for m in page.items {
            out.push(TeamChoice {
                id: m.id,
                name: m.name,
                kind_label: m.kind.label_zh().into(),
                department: names.get(d).map(|d| d.name.clone()).unwrap_or_default(),
            });
        }
    }
    Ok(out)
}
