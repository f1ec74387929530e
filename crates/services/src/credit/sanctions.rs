//! Joint sanctions (联合惩戒, 国办发〔2023〕1号 (十一), 鲁 task 14: 发起 → 审核 → 执行 → 反馈) on
//! the shared case mechanism ([`crate::cases`]):
//!
//! - the measure catalogue (惩戒措施目录), kept by the coordination office of a region and read
//!   by its subtree ([`may_maintain_measures`]);
//! - a batch (惩戒批次) filed by the initiating department: reason, legal basis, period, the
//!   entities and the responsible persons the law names, the measures ([`may_file`]); the
//!   office approves it or returns it with a reason ([`may_review`]);
//! - on approval one task (执行任务) per implementing department, its feedback clock in working
//!   days started; the department adds evidence (证据互认) and reports back that it carried the
//!   measures out ([`apply`]) or why it could not ([`decline`]) ([`may_feed_back`]); the office
//!   chases overdue tasks (督办, [`supervise`]);
//! - a task carried out writes one credit entry (`credit_entries`, kind 联合惩戒, source 联合惩戒)
//!   per entity and measure against entities, in the same transaction; the evaluation counts an
//!   active entry whose measure raises inspection frequency (`class_d`) as class D;
//! - the server's pass [`lift_expired`] ends the entries at the end of their period (已移出)
//!   and lifts the tasks whose every measure has ended (已解除);
//! - [`statistics`] counts tasks by measure, department and result.
//!
//! Responsible persons' ID numbers are shown in full only to the staff of the initiating and
//! the implementing departments ([`may_see_id_numbers`]) and never written to the audit log.

use std::collections::{BTreeMap, HashMap};

use chrono::{NaiveDate, Utc};
use lianjian_domain::Invalid;
use lianjian_domain::account::Role;
use lianjian_domain::case::{CaseKind, Light, Step, reason};
use lianjian_domain::credit::sanction::{
    self as rules, BatchStatus, SanctionBatchAction, Subject, SubjectType, TASK_CLOCKS, TaskAction,
    TaskStatus,
};
use lianjian_domain::credit::{
    Publication, RecordDetail, RecordKind, RecordSource, RecordStatus, legal_basis,
};
use lianjian_domain::scope::{Actor, Scope};
use lianjian_domain::visit::beijing_date;
use lianjian_store::cases::{CaseEvent, ClockHolder};
use lianjian_store::credit_sanctions::{
    self as repo, Batch, BatchMeasure, BatchQuery, Measure, Task, TaskQuery,
};
use lianjian_store::departments::Department;
use lianjian_store::{Conn, Page, PageRequest};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::repair::CaseStepView;
use crate::cases::{self, CaseRef, ClockView};
use crate::error::Checker;
use crate::trail::{Record, record};
use crate::{Result, ServiceError, Services};

const BATCH: CaseKind = CaseKind::SanctionBatch;
const TASK: CaseKind = CaseKind::SanctionTask;
/// The record kind evidence files of a task are linked under.
const EVIDENCE_KIND: &str = "sanction_task";

// ---- who may ----

/// Who keeps the measure catalogue: the coordination office (and the system administrator).
pub fn may_maintain_measures(a: &Actor) -> bool {
    matches!(a.role, Role::SystemAdmin | Role::CoordinationOffice)
}

/// Who files a batch (发起): a department's administrators, the office, the system
/// administrator; not read-only roles or inspectors.
pub fn may_file(a: &Actor) -> bool {
    matches!(
        a.role,
        Role::SystemAdmin | Role::CoordinationOffice | Role::DepartmentAdmin
    )
}

/// Who reviews batches and chases tasks (审核, 督办): the office of the batch's region.
pub fn may_review(a: &Actor) -> bool {
    matches!(a.role, Role::SystemAdmin | Role::CoordinationOffice)
}

fn reviews(a: &Actor, region: &lianjian_domain::region::RegionCode) -> bool {
    may_review(a)
        && a.full_scope()
            .region
            .as_ref()
            .is_none_or(|r| region.is_within(r))
}

/// Who reports back for the implementing department `d` (反馈): its administrators and the
/// inspectors of its line in its region.
pub fn may_feed_back(a: &Actor, d: &Department) -> bool {
    matches!(a.role, Role::DepartmentAdmin | Role::Inspector)
        && a.department_line == d.line
        && d.region_code.is_within(&a.region)
}

/// Whether the actor reads responsible persons' ID numbers in full: the staff of the
/// initiating department and of the departments implementing the batch (they apply the
/// measures to the person). Everyone else — the office, leaders, supervisors — reads them
/// masked.
pub fn may_see_id_numbers(a: &Actor, b: &Batch, implementing: &[Uuid]) -> bool {
    matches!(a.role, Role::DepartmentAdmin | Role::Inspector)
        && (a.department_id == b.department_id || implementing.contains(&a.department_id))
}

// ---- views ----

/// A measure of the catalogue as shown.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct MeasureView {
    pub id: Uuid,
    pub name: String,
    pub legal_basis: String,
    pub department_id: Uuid,
    pub department_name: String,
    pub subject_type: SubjectType,
    pub subject_type_label: String,
    pub default_months: u32,
    /// Raises inspection frequency on this platform (class D for the period).
    pub class_d: bool,
    pub active: bool,
    pub region_code: String,
}

/// A subject of a batch as the reader may see it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct SubjectView {
    pub subject_type: SubjectType,
    pub subject_type_label: String,
    pub entity_id: Uuid,
    pub entity_name: String,
    pub usci: String,
    pub person_name: Option<String>,
    /// In full for the departments that need it, else masked (4111**********1234).
    pub id_number: Option<String>,
    pub person_role: Option<String>,
}

/// A measure a batch applies.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct BatchMeasureView {
    pub measure_id: Uuid,
    pub name: String,
    pub legal_basis: String,
    pub subject_type: SubjectType,
    pub subject_type_label: String,
    pub class_d: bool,
    pub department_id: Uuid,
    pub department_name: String,
    /// The last day it is in force.
    pub until: NaiveDate,
}

/// A batch as a list row or the head of its page.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct BatchView {
    pub id: Uuid,
    pub code: String,
    pub region_code: String,
    pub department_id: Uuid,
    pub department_name: String,
    pub reason: String,
    pub legal_basis: String,
    pub starts_on: NaiveDate,
    pub ends_on: Option<NaiveDate>,
    pub feedback_days: u32,
    pub status: BatchStatus,
    pub status_label: String,
    pub subjects: usize,
    pub created_by: String,
    pub created_at: chrono::DateTime<Utc>,
}

/// A task as a list row or the head of its page.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct TaskView {
    pub id: Uuid,
    pub code: String,
    pub batch_id: Uuid,
    pub batch_code: String,
    pub department_id: Uuid,
    pub department_name: String,
    pub status: TaskStatus,
    pub status_label: String,
    pub feedback: Option<String>,
    pub applied_on: Option<NaiveDate>,
    pub until: NaiveDate,
    /// How many times the office chased it (督办).
    pub supervised: u32,
    pub clocks: Vec<ClockView>,
    /// The light of its running feedback clock.
    pub light: Option<Light>,
    pub created_at: chrono::DateTime<Utc>,
}

/// A file sent with a task's feedback (open it at `/api/v1/evidence/{sha256}`).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct TaskFile {
    pub filename: String,
    pub sha256: String,
    pub size: u64,
    pub media_type: String,
    pub linked_at: chrono::DateTime<Utc>,
}

/// A batch's page.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct BatchDetail {
    pub batch: BatchView,
    pub subjects: Vec<SubjectView>,
    pub measures: Vec<BatchMeasureView>,
    pub tasks: Vec<TaskView>,
    pub timeline: Vec<CaseStepView>,
    /// Steps the reader may take now.
    pub actions: Vec<SanctionBatchAction>,
    /// Whether ID numbers are shown masked to this reader.
    pub id_numbers_masked: bool,
}

/// A task's page.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct TaskDetail {
    pub task: TaskView,
    pub batch: BatchView,
    /// The measures this department applies.
    pub measures: Vec<BatchMeasureView>,
    pub subjects: Vec<SubjectView>,
    pub files: Vec<TaskFile>,
    pub timeline: Vec<CaseStepView>,
    pub actions: Vec<TaskAction>,
    pub id_numbers_masked: bool,
}

fn today(svc: &Services) -> NaiveDate {
    beijing_date(svc.now())
}

async fn department_names(c: &impl Conn, ids: Vec<Uuid>) -> Result<HashMap<Uuid, String>> {
    let mut out = HashMap::new();
    for id in ids {
        if let std::collections::hash_map::Entry::Vacant(v) = out.entry(id) {
            let name = lianjian_store::departments::get(c, id)
                .await?
                .map_or_else(|| "（已删除的部门）".to_string(), |d| d.name);
            v.insert(name);
        }
    }
    Ok(out)
}

fn measure_view(m: &Measure, names: &HashMap<Uuid, String>) -> MeasureView {
    MeasureView {
        id: m.id,
        name: m.name.clone(),
        legal_basis: m.legal_basis.clone(),
        department_id: m.department_id,
        department_name: names.get(&m.department_id).cloned().unwrap_or_default(),
        subject_type: m.subject_type,
        subject_type_label: m.subject_type.label_zh().into(),
        default_months: m.default_months,
        class_d: m.class_d,
        active: m.active,
        region_code: m.region_code.to_string(),
    }
}

fn batch_view(b: &Batch, names: &HashMap<Uuid, String>) -> BatchView {
    BatchView {
        id: b.id,
        code: b.code.clone(),
        region_code: b.region_code.to_string(),
        department_id: b.department_id,
        department_name: names.get(&b.department_id).cloned().unwrap_or_default(),
        reason: b.reason.clone(),
        legal_basis: b.legal_basis.clone(),
        starts_on: b.starts_on,
        ends_on: b.ends_on,
        feedback_days: b.feedback_days,
        status: b.status,
        status_label: b.status.label_zh().into(),
        subjects: b.subjects.len(),
        created_by: b.created_by.clone(),
        created_at: b.created_at,
    }
}

fn task_view(
    t: &Task,
    batch_code: &str,
    names: &HashMap<Uuid, String>,
    clocks: Vec<ClockView>,
) -> TaskView {
    TaskView {
        id: t.id,
        code: t.code.clone(),
        batch_id: t.batch_id,
        batch_code: batch_code.to_string(),
        department_id: t.department_id,
        department_name: names.get(&t.department_id).cloned().unwrap_or_default(),
        status: t.status,
        status_label: t.status.label_zh().into(),
        feedback: t.feedback.clone(),
        applied_on: t.applied_on,
        until: t.until,
        supervised: t.supervised,
        light: clocks.iter().map(|k| k.light).find(|l| l.is_running()),
        clocks,
        created_at: t.created_at,
    }
}

fn timeline_of(
    events: Vec<CaseEvent>,
    label: impl Fn(&str) -> String,
    status: impl Fn(&str) -> String,
) -> Vec<CaseStepView> {
    events
        .into_iter()
        .map(|e| CaseStepView {
            action_label: label(&e.action),
            from_status: e.from_status.as_deref().map(&status),
            to_status: status(&e.to_status),
            action: e.action,
            reason: e.reason,
            actor: e.actor_display,
            at: e.at,
        })
        .collect()
}

fn batch_timeline(events: Vec<CaseEvent>) -> Vec<CaseStepView> {
    timeline_of(
        events,
        |a| SanctionBatchAction::parse(a).map_or_else(|_| a.to_string(), |x| x.label_zh().into()),
        |s| BatchStatus::parse(s).map_or_else(|_| s.to_string(), |x| x.label_zh().into()),
    )
}

fn task_timeline(events: Vec<CaseEvent>) -> Vec<CaseStepView> {
    timeline_of(
        events,
        |a| TaskAction::parse(a).map_or_else(|_| a.to_string(), |x| x.label_zh().into()),
        |s| TaskStatus::parse(s).map_or_else(|_| s.to_string(), |x| x.label_zh().into()),
    )
}

async fn subject_views(
    c: &impl Conn,
    subjects: &[Subject],
    full: bool,
) -> Result<Vec<SubjectView>> {
    let ids: Vec<Uuid> = subjects.iter().map(|s| s.entity_id).collect();
    let entities: HashMap<Uuid, lianjian_store::entities::Entity> =
        lianjian_store::entities::get_many(c, &ids)
            .await?
            .into_iter()
            .map(|e| (e.id, e))
            .collect();
    Ok(subjects
        .iter()
        .map(|s| {
            let e = entities.get(&s.entity_id);
            SubjectView {
                subject_type: s.subject_type,
                subject_type_label: s.subject_type.label_zh().into(),
                entity_id: s.entity_id,
                entity_name: e.map(|e| e.name.clone()).unwrap_or_default(),
                usci: e.map(|e| e.usci.clone()).unwrap_or_default(),
                person_name: s.person_name.clone(),
                id_number: s.id_number.as_ref().map(|n| {
                    if full {
                        n.clone()
                    } else {
                        rules::mask_id_number(n)
                    }
                }),
                person_role: s.person_role.clone(),
            }
        })
        .collect())
}

async fn batch_measure_views(
    c: &impl Conn,
    bms: &[BatchMeasure],
    names: &mut HashMap<Uuid, String>,
) -> Result<Vec<BatchMeasureView>> {
    let ids: Vec<Uuid> = bms.iter().map(|m| m.measure_id).collect();
    let ms: HashMap<Uuid, Measure> = repo::measures_by_ids(c, &ids)
        .await?
        .into_iter()
        .map(|m| (m.id, m))
        .collect();
    for (id, n) in department_names(c, bms.iter().map(|m| m.department_id).collect()).await? {
        names.entry(id).or_insert(n);
    }
    Ok(bms
        .iter()
        .filter_map(|bm| {
            let m = ms.get(&bm.measure_id)?;
            Some(BatchMeasureView {
                measure_id: m.id,
                name: m.name.clone(),
                legal_basis: m.legal_basis.clone(),
                subject_type: m.subject_type,
                subject_type_label: m.subject_type.label_zh().into(),
                class_d: m.class_d,
                department_id: bm.department_id,
                department_name: names.get(&bm.department_id).cloned().unwrap_or_default(),
                until: bm.until,
            })
        })
        .collect())
}

// ---- the catalogue ----

/// A measure as a form or the API sends it.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
pub struct MeasureInput {
    pub name: String,
    pub legal_basis: String,
    /// The implementing department (实施部门).
    pub department_id: Option<Uuid>,
    /// `entity` or `person` (or 市场主体 / 责任人).
    pub subject_type: String,
    /// 默认期限, months (1–60).
    pub default_months: Option<i64>,
    /// Whether it raises inspection frequency on this platform (class D for its period).
    #[serde(default)]
    pub class_d: bool,
    /// Still offered to new batches (default true).
    pub active: Option<bool>,
}

async fn parse_measure(
    c: &impl Conn,
    a: &Actor,
    input: &MeasureInput,
) -> Result<(String, String, Department, SubjectType, u32)> {
    let mut ck = Checker::default();
    let name = ck.check("name", rules::measure_name(&input.name));
    let basis = ck.check("legal_basis", legal_basis(&input.legal_basis));
    let st = ck.check("subject_type", SubjectType::parse(&input.subject_type));
    let months = match input.default_months {
        Some(n) => ck.check("default_months", rules::duration_months(n)),
        None => {
            ck.push(
                "default_months",
                Invalid::new(
                    "required",
                    "请填写默认期限（月）",
                    "the default duration is required",
                ),
            );
            None
        }
    };
    let dept = match input.department_id {
        None => {
            ck.push(
                "department_id",
                Invalid::new(
                    "required",
                    "请选择实施部门",
                    "the implementing department is required",
                ),
            );
            None
        }
        Some(id) => match lianjian_store::departments::get(c, id).await? {
            Some(d)
                if d.status == lianjian_domain::department::DepartmentStatus::Active
                    && a.full_scope().region.as_ref().is_none_or(|r| {
                        d.region_code.is_within(r) || r.is_within(&d.region_code)
                    }) =>
            {
                Some(d)
            }
            _ => {
                ck.push(
                    "department_id",
                    Invalid::new(
                        "unknown_department",
                        "实施部门不存在、已停用或不在本辖区",
                        "no such active department in your region",
                    ),
                );
                None
            }
        },
    };
    ck.finish()?;
    Ok((
        name.expect("checked"),
        basis.expect("checked"),
        dept.expect("checked"),
        st.expect("checked"),
        months.expect("checked"),
    ))
}

fn measure_conflict(e: lianjian_store::StoreError) -> ServiceError {
    match e {
        lianjian_store::StoreError::Conflict(_) => ServiceError::conflict(
            "name",
            "本辖区已有同名措施",
            "a measure of this name already exists in the region",
        ),
        other => other.into(),
    }
}

/// Adds a measure to the catalogue of the actor's region.
pub async fn create_measure(
    svc: &Services,
    a: &Actor,
    input: &MeasureInput,
) -> Result<MeasureView> {
    if !may_maintain_measures(a) {
        return Err(ServiceError::Forbidden);
    }
    let c = svc.store.conn();
    let (name, basis, dept, st, months) = parse_measure(c, a, input).await?;
    let now = lianjian_domain::audit::audit_time(svc.now());
    let m = Measure {
        id: Uuid::now_v7(),
        region_code: a.region.clone(),
        name,
        legal_basis: basis,
        department_id: dept.id,
        subject_type: st,
        default_months: months,
        class_d: input.class_d,
        active: input.active.unwrap_or(true),
        created_by: a.username.clone(),
        created_at: now,
        updated_at: now,
    };
    let tx = svc.store.begin().await?;
    repo::insert_measure(&tx, &m)
        .await
        .map_err(measure_conflict)?;
    record(
        &tx,
        a,
        Record::new("sanction_measure.create", "sanction_measure", m.id)
            .at(&m.region_code, None)
            .after(&m),
    )
    .await?;
    tx.commit().await?;
    let names = department_names(c, vec![m.department_id]).await?;
    Ok(measure_view(&m, &names))
}

/// Changes a measure of the catalogue (batches already filed keep what they applied).
pub async fn update_measure(
    svc: &Services,
    a: &Actor,
    id: Uuid,
    input: &MeasureInput,
) -> Result<MeasureView> {
    if !may_maintain_measures(a) {
        return Err(ServiceError::Forbidden);
    }
    let c = svc.store.conn();
    let before = repo::get_measure(c, &Scope::of(a), id)
        .await?
        .ok_or(ServiceError::NotFound)?;
    // Only the region that keeps it changes it (a county reads the city's, never edits it).
    if !a
        .full_scope()
        .region
        .as_ref()
        .is_none_or(|r| before.region_code.is_within(r))
    {
        return Err(ServiceError::refused(
            "该措施由上级联席办维护，本级不能修改",
            "the measure is kept by a higher office",
        ));
    }
    let (name, basis, dept, st, months) = parse_measure(c, a, input).await?;
    let m = Measure {
        name,
        legal_basis: basis,
        department_id: dept.id,
        subject_type: st,
        default_months: months,
        class_d: input.class_d,
        active: input.active.unwrap_or(before.active),
        updated_at: lianjian_domain::audit::audit_time(svc.now()),
        ..before.clone()
    };
    let tx = svc.store.begin().await?;
    repo::update_measure(&tx, &m)
        .await
        .map_err(measure_conflict)?;
    record(
        &tx,
        a,
        Record::new("sanction_measure.update", "sanction_measure", m.id)
            .at(&m.region_code, None)
            .before(&before)
            .after(&m),
    )
    .await?;
    tx.commit().await?;
    let names = department_names(c, vec![m.department_id]).await?;
    Ok(measure_view(&m, &names))
}

/// The catalogue the actor may use: its region's and its ancestors' measures.
pub async fn list_measures(
    svc: &Services,
    a: &Actor,
    active_only: bool,
) -> Result<Vec<MeasureView>> {
    let c = svc.store.conn();
    let ms = repo::list_measures(c, &Scope::ignoring_context(a), active_only).await?;
    let names = department_names(c, ms.iter().map(|m| m.department_id).collect()).await?;
    Ok(ms.iter().map(|m| measure_view(m, &names)).collect())
}

/// One measure.
pub async fn get_measure(svc: &Services, a: &Actor, id: Uuid) -> Result<MeasureView> {
    let c = svc.store.conn();
    let m = repo::get_measure(c, &Scope::ignoring_context(a), id)
        .await?
        .ok_or(ServiceError::NotFound)?;
    let names = department_names(c, vec![m.department_id]).await?;
    Ok(measure_view(&m, &names))
}

// ---- batches ----

/// A subject as a form or the API sends it: the entity by id or credit code; a responsible
/// person with name, ID number and role.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
pub struct SubjectInput {
    /// `entity` or `person`.
    pub subject_type: String,
    pub entity_id: Option<Uuid>,
    /// The entity's unified social credit code, if no id is given.
    pub usci: Option<String>,
    pub person_name: Option<String>,
    pub id_number: Option<String>,
    pub person_role: Option<String>,
}

/// A batch as a form or the API sends it.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
pub struct BatchInput {
    /// 惩戒事由.
    pub reason: String,
    /// 法律依据 (the batch's; each measure keeps its own too).
    pub legal_basis: String,
    /// First day of the period (default: today).
    pub starts_on: Option<NaiveDate>,
    /// Last day of the period (default: each measure's default duration).
    pub ends_on: Option<NaiveDate>,
    /// Feedback deadline in working days (1–60, default 10).
    pub feedback_days: Option<i64>,
    pub measure_ids: Vec<Uuid>,
    pub subjects: Vec<SubjectInput>,
}

/// At most this many subjects in one batch.
pub const MAX_SUBJECTS: usize = 200;

async fn parse_subjects(
    c: &impl Conn,
    a: &Actor,
    input: &[SubjectInput],
    ck: &mut Checker,
) -> Result<Vec<Subject>> {
    let mut out: Vec<Subject> = Vec::new();
    if input.is_empty() {
        ck.push(
            "subjects",
            Invalid::new(
                "required",
                "请至少列出一个惩戒对象",
                "name at least one subject",
            ),
        );
    }
    if input.len() > MAX_SUBJECTS {
        ck.push(
            "subjects",
            Invalid::new(
                "too_many",
                format!("一个批次至多 {MAX_SUBJECTS} 个惩戒对象"),
                format!("at most {MAX_SUBJECTS} subjects per batch"),
            ),
        );
        return Ok(out);
    }
    for (i, s) in input.iter().enumerate() {
        let f = |name: &str| format!("subjects[{i}].{name}");
        let Some(st) = ck.check(&f("subject_type"), SubjectType::parse(&s.subject_type)) else {
            continue;
        };
        let entity = match (
            s.entity_id,
            s.usci.as_deref().map(str::trim).filter(|u| !u.is_empty()),
        ) {
            (Some(id), _) => lianjian_store::entities::get(c, id).await?,
            (None, Some(u)) => {
                lianjian_store::entities::by_usci(c, &u.to_ascii_uppercase()).await?
            }
            (None, None) => None,
        };
        let entity = entity.filter(|e| {
            a.full_scope()
                .region
                .as_ref()
                .is_none_or(|r| e.region_code.is_within(r))
        });
        let Some(entity) = entity else {
            ck.push(
                &f("entity_id"),
                Invalid::new(
                    "unknown_entity",
                    format!(
                        "第 {} 个惩戒对象：名录中没有该市场主体（或不在本辖区）",
                        i + 1
                    ),
                    "no such entity in your region",
                ),
            );
            continue;
        };
        let (mut name, mut id_no, mut role) = (None, None, None);
        if st == SubjectType::Person {
            name = ck.check(
                &f("person_name"),
                rules::person_name(s.person_name.as_deref().unwrap_or("")),
            );
            id_no = ck.check(
                &f("id_number"),
                rules::id_number(s.id_number.as_deref().unwrap_or("")),
            );
            role = ck.check(
                &f("person_role"),
                rules::person_role(s.person_role.as_deref().unwrap_or("")),
            );
        }
        let subject = Subject {
            subject_type: st,
            entity_id: entity.id,
            person_name: name,
            id_number: id_no,
            person_role: role,
        };
        let dup = out.iter().any(|o| {
            o.subject_type == subject.subject_type
                && o.entity_id == subject.entity_id
                && o.id_number == subject.id_number
        });
        if dup {
            ck.push(
                &f("entity_id"),
                Invalid::new(
                    "duplicate",
                    format!("第 {} 个惩戒对象与前面重复", i + 1),
                    "the same subject twice",
                ),
            );
            continue;
        }
        out.push(subject);
    }
    Ok(out)
}

/// 发起: the initiating department files a batch; it waits for the office's review.
pub async fn file_batch(svc: &Services, a: &Actor, input: &BatchInput) -> Result<BatchDetail> {
    if !may_file(a) {
        return Err(ServiceError::Forbidden);
    }
    if a.department_id.is_nil() {
        return Err(ServiceError::refused(
            "发起惩戒需以部门身份办理，请使用部门账号",
            "a batch is filed by a department; use a department account",
        ));
    }
    let c = svc.store.conn();
    let today = today(svc);
    let mut ck = Checker::default();
    let reason_text = ck.check("reason", rules::batch_reason(&input.reason));
    let basis = ck.check("legal_basis", legal_basis(&input.legal_basis));
    let starts_on = input.starts_on.unwrap_or(today);
    ck.check("ends_on", rules::period(starts_on, input.ends_on));
    let feedback_days = ck.check("feedback_days", rules::feedback_days(input.feedback_days));
    let mut measures = Vec::new();
    if input.measure_ids.is_empty() {
        ck.push(
            "measure_ids",
            Invalid::new(
                "required",
                "请至少选择一项惩戒措施",
                "choose at least one measure",
            ),
        );
    }
    let scope = Scope::ignoring_context(a);
    for (i, id) in input.measure_ids.iter().enumerate() {
        match repo::get_measure(c, &scope, *id).await? {
            Some(m) if m.active => {
                if measures.iter().any(|x: &Measure| x.id == m.id) {
                    ck.push(
                        &format!("measure_ids[{i}]"),
                        Invalid::new(
                            "duplicate",
                            format!("措施“{}”重复", m.name),
                            "the same measure twice",
                        ),
                    );
                } else {
                    measures.push(m);
                }
            }
            _ => ck.push(
                &format!("measure_ids[{i}]"),
                Invalid::new(
                    "unknown_measure",
                    "所选措施不在本辖区的措施目录中或已停用",
                    "no such active measure in your catalogue",
                ),
            ),
        }
    }
    let subjects = parse_subjects(c, a, &input.subjects, &mut ck).await?;
    for m in &measures {
        if !subjects.iter().any(|s| s.subject_type == m.subject_type) {
            ck.push(
                "subjects",
                Invalid::new(
                    "no_subject",
                    format!(
                        "措施“{}”适用于{}，但未列出{}",
                        m.name,
                        m.subject_type.label_zh(),
                        m.subject_type.label_zh()
                    ),
                    format!(
                        "measure '{}' applies to a {} but none is named",
                        m.name,
                        m.subject_type.as_str()
                    ),
                ),
            );
        }
    }
    ck.finish()?;
    let now = lianjian_domain::audit::audit_time(svc.now());
    let year = starts_on.format("%Y");
    let county: String = a.region.as_str().chars().take(6).collect();
    let prefix = format!("CJ-{county}-{year}-");
    let tx = svc.store.begin().await?;
    let n = repo::next_code_number(&tx, &prefix).await?;
    let b = Batch {
        id: Uuid::now_v7(),
        code: format!("{prefix}{n:04}"),
        region_code: a.region.clone(),
        department_id: a.department_id,
        reason: reason_text.expect("checked"),
        legal_basis: basis.expect("checked"),
        starts_on,
        ends_on: input.ends_on,
        feedback_days: feedback_days.expect("checked"),
        subjects,
        status: BatchStatus::Submitted,
        created_by: a.username.clone(),
        created_at: now,
        updated_at: now,
    };
    let bms: Vec<BatchMeasure> = measures
        .iter()
        .map(|m| BatchMeasure {
            measure_id: m.id,
            department_id: m.department_id,
            until: rules::measure_until(starts_on, b.ends_on, m.default_months),
        })
        .collect();
    repo::insert_batch(&tx, &b, &bms).await?;
    let step = SanctionBatchAction::File.step(None).map_err(refused)?;
    // The audit entry names the measures and counts the subjects; ID numbers stay out of it.
    let detail = serde_json::json!({
        "measures": measures.iter().map(|m| m.name.clone()).collect::<Vec<_>>(),
        "entities": b.subjects.iter().filter(|s| s.subject_type == SubjectType::Entity).count(),
        "persons": b.subjects.iter().filter(|s| s.subject_type == SubjectType::Person).count(),
        "starts_on": b.starts_on,
        "ends_on": b.ends_on,
    });
    cases::record_step(&tx, a, &batch_ref(&b), &step, detail).await?;
    tx.commit().await?;
    get_batch(svc, a, b.id).await
}

fn batch_ref(b: &Batch) -> CaseRef<'_> {
    CaseRef {
        kind: BATCH,
        id: b.id,
        code: &b.code,
        region: b.region_code.as_str(),
        department_id: Some(b.department_id),
    }
}

fn task_ref(t: &Task) -> CaseRef<'_> {
    CaseRef {
        kind: TASK,
        id: t.id,
        code: &t.code,
        region: t.region_code.as_str(),
        department_id: Some(t.department_id),
    }
}

fn refused(e: Invalid) -> ServiceError {
    ServiceError::conflict("status", e.zh, e.en)
}

fn stale(code: &str) -> ServiceError {
    ServiceError::conflict(
        "status",
        format!("{code} 的状态刚被他人改变，请刷新后重试"),
        format!("{code} changed meanwhile; reload and retry"),
    )
}

async fn visible_batch(c: &impl Conn, a: &Actor, id: Uuid) -> Result<Batch> {
    repo::get_batch(c, &Scope::of(a), id)
        .await?
        .ok_or(ServiceError::NotFound)
}

fn batch_actions(a: &Actor, b: &Batch) -> Vec<SanctionBatchAction> {
    let office = reviews(a, &b.region_code);
    let filer = may_file(a) && a.department_id == b.department_id;
    SanctionBatchAction::ALL
        .iter()
        .copied()
        .filter(|x| x.step(Some(b.status)).is_ok())
        .filter(|x| match x {
            SanctionBatchAction::File | SanctionBatchAction::Complete => false,
            SanctionBatchAction::Approve | SanctionBatchAction::Return => office,
            SanctionBatchAction::Resubmit => filer,
        })
        .collect()
}

/// A batch's page: `NotFound` outside the actor's scope.
pub async fn get_batch(svc: &Services, a: &Actor, id: Uuid) -> Result<BatchDetail> {
    let c = svc.store.conn();
    let b = visible_batch(c, a, id).await?;
    let bms = repo::batch_measures(c, id).await?;
    let tasks = repo::tasks_of_batch(c, id).await?;
    let mut dept_ids: Vec<Uuid> = tasks.iter().map(|t| t.department_id).collect();
    dept_ids.push(b.department_id);
    let mut names = department_names(c, dept_ids).await?;
    let measures = batch_measure_views(c, &bms, &mut names).await?;
    let implementing: Vec<Uuid> = bms.iter().map(|m| m.department_id).collect();
    let full = may_see_id_numbers(a, &b, &implementing);
    let cal = crate::calendar::current(svc).await?;
    let ids: Vec<Uuid> = tasks.iter().map(|t| t.id).collect();
    let mut clocks = cases::clocks_of_many(c, &cal, TASK, &ids, today(svc), &TASK_CLOCKS).await?;
    let task_views = tasks
        .iter()
        .map(|t| task_view(t, &b.code, &names, clocks.remove(&t.id).unwrap_or_default()))
        .collect();
    Ok(BatchDetail {
        batch: batch_view(&b, &names),
        subjects: subject_views(c, &b.subjects, full).await?,
        measures,
        tasks: task_views,
        timeline: batch_timeline(cases::timeline(c, BATCH, id).await?),
        actions: batch_actions(a, &b),
        id_numbers_masked: !full,
    })
}

/// Batches in the actor's scope, newest first.
pub async fn list_batches(
    svc: &Services,
    a: &Actor,
    status: Option<BatchStatus>,
    q: Option<String>,
    page: PageRequest,
) -> Result<Page<BatchView>> {
    let c = svc.store.conn();
    let p = repo::list_batches(c, &Scope::of(a), &BatchQuery { status, q }, page).await?;
    let names = department_names(c, p.items.iter().map(|b| b.department_id).collect()).await?;
    Ok(p.map(|b| batch_view(&b, &names)))
}

/// 审核通过: the office approves a batch; each implementing department gets its task with the
/// feedback clock started today, in one transaction with the batch's step.
pub async fn approve(svc: &Services, a: &Actor, id: Uuid) -> Result<BatchDetail> {
    approve_on(svc, a, id, today(svc)).await
}

/// [`approve`] with the feedback clocks started on `on` (the demo's batch approved a week
/// ago, so that one department's feedback is overdue).
pub(crate) async fn approve_on(
    svc: &Services,
    a: &Actor,
    id: Uuid,
    on: NaiveDate,
) -> Result<BatchDetail> {
    let c = svc.store.conn();
    let b = visible_batch(c, a, id).await?;
    ensure_office(a, &b)?;
    let step = SanctionBatchAction::Approve
        .step(Some(b.status))
        .map_err(refused)?;
    let bms = repo::batch_measures(c, id).await?;
    let cal = crate::calendar::current(svc).await?;
    let today = on;
    let now = lianjian_domain::audit::audit_time(svc.now());
    let mut by_dept: BTreeMap<Uuid, NaiveDate> = BTreeMap::new();
    for m in &bms {
        let u = by_dept.entry(m.department_id).or_insert(m.until);
        *u = (*u).max(m.until);
    }
    let tx = svc.store.begin().await?;
    if !repo::set_batch_status(&tx, b.id, b.status, step.to, now).await? {
        return Err(stale(&b.code));
    }
    cases::record_step(
        &tx,
        a,
        &batch_ref(&b),
        &step,
        serde_json::json!({ "tasks": by_dept.len() }),
    )
    .await?;
    let spec = rules::feedback_clock(b.feedback_days);
    for (i, (dept, until)) in by_dept.iter().enumerate() {
        let t = Task {
            id: Uuid::now_v7(),
            code: format!("{}-{}", b.code, i + 1),
            batch_id: b.id,
            region_code: b.region_code.clone(),
            department_id: *dept,
            status: TaskStatus::Pending,
            feedback: None,
            applied_on: None,
            until: *until,
            supervised: 0,
            created_at: now,
            updated_at: now,
        };
        repo::insert_task(&tx, &t).await?;
        let open = TaskAction::Dispatch.step(None).map_err(refused)?;
        cases::record_step(
            &tx,
            a,
            &task_ref(&t),
            &open,
            serde_json::json!({ "batch": b.code }),
        )
        .await?;
        let holder = ClockHolder {
            region_code: t.region_code.to_string(),
            department_id: Some(t.department_id),
        };
        cases::start_clocks(&tx, &cal, TASK, t.id, &holder, &[spec], today).await?;
    }
    tx.commit().await?;
    get_batch(svc, a, id).await
}

/// 退回: the office returns a batch to the initiating department with a reason.
pub async fn return_batch(svc: &Services, a: &Actor, id: Uuid, why: &str) -> Result<BatchDetail> {
    let c = svc.store.conn();
    let b = visible_batch(c, a, id).await?;
    ensure_office(a, &b)?;
    let why = reason(why).map_err(|e| ServiceError::field("reason", e))?;
    let step = SanctionBatchAction::Return
        .step(Some(b.status))
        .map_err(refused)?
        .because(why);
    batch_step(svc, a, &b, step).await
}

/// 重新提交: the initiating department submits a returned batch again, saying what it did
/// about the return.
pub async fn resubmit(svc: &Services, a: &Actor, id: Uuid, why: &str) -> Result<BatchDetail> {
    let c = svc.store.conn();
    let b = visible_batch(c, a, id).await?;
    if !(may_file(a) && a.department_id == b.department_id) {
        return Err(ServiceError::Forbidden);
    }
    let why = reason(why).map_err(|e| ServiceError::field("reason", e))?;
    let step = SanctionBatchAction::Resubmit
        .step(Some(b.status))
        .map_err(refused)?
        .because(why);
    batch_step(svc, a, &b, step).await
}

async fn batch_step(
    svc: &Services,
    a: &Actor,
    b: &Batch,
    step: Step<BatchStatus>,
) -> Result<BatchDetail> {
    let now = lianjian_domain::audit::audit_time(svc.now());
    let tx = svc.store.begin().await?;
    if !repo::set_batch_status(&tx, b.id, b.status, step.to, now).await? {
        return Err(stale(&b.code));
    }
    cases::record_step(&tx, a, &batch_ref(b), &step, serde_json::Value::Null).await?;
    tx.commit().await?;
    get_batch(svc, a, b.id).await
}

fn ensure_office(a: &Actor, b: &Batch) -> Result<()> {
    if reviews(a, &b.region_code) {
        Ok(())
    } else if may_review(a) {
        Err(ServiceError::NotFound)
    } else {
        Err(ServiceError::Forbidden)
    }
}

// ---- tasks ----

lianjian_domain::labelled_enum!(queue
    /// The queues of tasks.
    TaskQueue {
        /// 待反馈.
        Pending = "pending" / "待反馈",
        /// 即将超时: the feedback clock is yellow.
        DueSoon = "due_soon" / "即将超时",
        /// 已超时: the feedback clock is red.
        Overdue = "overdue" / "已超时",
        /// 已执行 (in force).
        Applied = "applied" / "已执行",
        /// 未能执行.
        NotApplied = "not_applied" / "未能执行",
        /// 已解除.
        Lifted = "lifted" / "已解除",
        /// 全部.
        All = "all" / "全部",
    }
);

impl TaskQueue {
    fn query(
        self,
        cal: &lianjian_domain::calendar::WorkingDayCalendar,
        today: NaiveDate,
    ) -> TaskQuery {
        let warn = TASK_CLOCKS[0].warn_within;
        let mut q = TaskQuery::default();
        match self {
            TaskQueue::Pending => q.statuses = vec![TaskStatus::Pending],
            TaskQueue::DueSoon => {
                q.feedback_due = Some((Some(today), cases::yellow_before(cal, today, warn)));
            }
            TaskQueue::Overdue => q.feedback_due = Some((None, today)),
            TaskQueue::Applied => q.statuses = vec![TaskStatus::Applied],
            TaskQueue::NotApplied => q.statuses = vec![TaskStatus::NotApplied],
            TaskQueue::Lifted => q.statuses = vec![TaskStatus::Lifted],
            TaskQueue::All => {}
        }
        q
    }
}

/// Narrows a task queue.
#[derive(Debug, Clone, Default)]
pub struct TaskFilter {
    pub department_id: Option<Uuid>,
    pub batch_id: Option<Uuid>,
}

/// A queue of tasks within the actor's scope (a department sees its own; the office its
/// region's).
pub async fn list_tasks(
    svc: &Services,
    a: &Actor,
    queue: TaskQueue,
    f: &TaskFilter,
    page: PageRequest,
) -> Result<Page<TaskView>> {
    let c = svc.store.conn();
    let cal = crate::calendar::current(svc).await?;
    let today = today(svc);
    let mut q = queue.query(&cal, today);
    q.department_id = f.department_id;
    q.batch_id = f.batch_id;
    let p = repo::list_tasks(c, &Scope::of(a), &q, page).await?;
    task_page(svc, c, p, &cal, today).await
}

async fn task_page(
    _svc: &Services,
    c: &impl Conn,
    p: Page<Task>,
    cal: &lianjian_domain::calendar::WorkingDayCalendar,
    today: NaiveDate,
) -> Result<Page<TaskView>> {
    let names = department_names(c, p.items.iter().map(|t| t.department_id).collect()).await?;
    let ids: Vec<Uuid> = p.items.iter().map(|t| t.id).collect();
    let mut clocks = cases::clocks_of_many(c, cal, TASK, &ids, today, &TASK_CLOCKS).await?;
    let mut codes: HashMap<Uuid, String> = HashMap::new();
    for t in &p.items {
        if !codes.contains_key(&t.batch_id) {
            let b = repo::get_batch(c, &Scope::system(), t.batch_id).await?;
            codes.insert(t.batch_id, b.map(|b| b.code).unwrap_or_default());
        }
    }
    Ok(p.map(|t| {
        let k = clocks.remove(&t.id).unwrap_or_default();
        task_view(
            &t,
            codes.get(&t.batch_id).map_or("", String::as_str),
            &names,
            k,
        )
    }))
}

/// How many tasks each queue holds for the actor.
pub async fn task_queue_counts(svc: &Services, a: &Actor) -> Result<Vec<(TaskQueue, u64)>> {
    let c = svc.store.conn();
    let cal = crate::calendar::current(svc).await?;
    let today = today(svc);
    let scope = Scope::of(a);
    cases::queue_counts(|q: TaskQueue| {
        let (q, scope) = (q.query(&cal, today), &scope);
        async move { Ok(repo::count_tasks(c, scope, &q).await?) }
    })
    .await
}

async fn visible_task(c: &impl Conn, a: &Actor, id: Uuid) -> Result<Task> {
    repo::get_task(c, &Scope::of(a), id)
        .await?
        .ok_or(ServiceError::NotFound)
}

fn task_actions(a: &Actor, t: &Task, d: Option<&Department>) -> Vec<TaskAction> {
    let office = reviews(a, &t.region_code);
    let handles = d.is_some_and(|d| may_feed_back(a, d));
    TaskAction::ALL
        .iter()
        .copied()
        .filter(|x| x.step(Some(t.status)).is_ok())
        .filter(|x| match x {
            TaskAction::Dispatch | TaskAction::Lift => false,
            TaskAction::Supervise => office,
            TaskAction::Attach | TaskAction::Apply | TaskAction::Decline => handles,
        })
        .collect()
}

/// A task's page: `NotFound` outside the actor's scope (its department's line and region).
pub async fn get_task(svc: &Services, a: &Actor, id: Uuid) -> Result<TaskDetail> {
    let c = svc.store.conn();
    let t = visible_task(c, a, id).await?;
    // The batch a visible task belongs to: read with the task's visibility.
    let b = repo::get_batch(c, &Scope::system(), t.batch_id)
        .await?
        .ok_or(ServiceError::NotFound)?;
    let bms: Vec<BatchMeasure> = repo::batch_measures(c, b.id)
        .await?
        .into_iter()
        .filter(|m| m.department_id == t.department_id)
        .collect();
    let mut names = department_names(c, vec![b.department_id, t.department_id]).await?;
    let measures = batch_measure_views(c, &bms, &mut names).await?;
    let all_implementing: Vec<Uuid> = repo::batch_measures(c, b.id)
        .await?
        .iter()
        .map(|m| m.department_id)
        .collect();
    let full = may_see_id_numbers(a, &b, &all_implementing);
    // The department sees the subjects its measures apply to.
    let types: Vec<SubjectType> = measures.iter().map(|m| m.subject_type).collect();
    let subjects: Vec<Subject> = b
        .subjects
        .iter()
        .filter(|s| types.contains(&s.subject_type))
        .cloned()
        .collect();
    let cal = crate::calendar::current(svc).await?;
    let clocks = cases::clocks(c, &cal, TASK, id, today(svc), &TASK_CLOCKS).await?;
    let dept = lianjian_store::departments::get(c, t.department_id).await?;
    let files = crate::evidence::links_of(svc, EVIDENCE_KIND, &[id])
        .await?
        .remove(&id)
        .unwrap_or_default()
        .into_iter()
        .map(|l| TaskFile {
            filename: l.filename,
            sha256: l.evidence.sha256,
            size: l.evidence.size,
            media_type: l.evidence.media_type,
            linked_at: l.linked_at,
        })
        .collect();
    Ok(TaskDetail {
        task: task_view(&t, &b.code, &names, clocks),
        batch: batch_view(&b, &names),
        measures,
        subjects: subject_views(c, &subjects, full).await?,
        files,
        timeline: task_timeline(cases::timeline(c, TASK, id).await?),
        actions: task_actions(a, &t, dept.as_ref()),
        id_numbers_masked: !full,
    })
}

async fn ensure_implementer(c: &impl Conn, a: &Actor, t: &Task) -> Result<Department> {
    let d = lianjian_store::departments::get(c, t.department_id)
        .await?
        .ok_or(ServiceError::NotFound)?;
    if may_feed_back(a, &d) {
        Ok(d)
    } else if matches!(a.role, Role::DepartmentAdmin | Role::Inspector) {
        Err(ServiceError::refused(
            format!("此任务由{}执行，您不能代其反馈", d.name),
            format!("this task is {}'s; you cannot report for it", d.name),
        ))
    } else {
        Err(ServiceError::Forbidden)
    }
}

/// 上传执行材料: a file that shows the measure was carried out (a notice, a screenshot of the
/// restriction in the department's system), stored once in the evidence log and linked to the
/// task; one event. The same file again changes nothing (`false`).
pub async fn attach(
    svc: &Services,
    a: &Actor,
    id: Uuid,
    upload: crate::evidence::Upload,
) -> Result<(TaskDetail, bool)> {
    let c = svc.store.conn();
    let t = visible_task(c, a, id).await?;
    ensure_implementer(c, a, &t).await?;
    let step = TaskAction::Attach.step(Some(t.status)).map_err(refused)?;
    let filename = upload.filename.clone();
    let ev = crate::evidence::add(svc, a, upload).await?;
    let linked = crate::evidence::links_of(svc, EVIDENCE_KIND, &[id])
        .await?
        .remove(&id)
        .unwrap_or_default();
    if linked.iter().any(|l| l.evidence.sha256 == ev.sha256) {
        return Ok((get_task(svc, a, id).await?, false));
    }
    let tx = svc.store.begin().await?;
    crate::evidence::link(&tx, ev.id, EVIDENCE_KIND, id, &filename, t.department_id, a).await?;
    cases::record_step(
        &tx,
        a,
        &task_ref(&t),
        &step,
        serde_json::json!({ "file": filename, "sha256": ev.sha256 }),
    )
    .await?;
    tx.commit().await?;
    Ok((get_task(svc, a, id).await?, true))
}

/// Feedback as a form or the API sends it.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
pub struct FeedbackInput {
    /// 执行情况.
    pub feedback: String,
    /// The day the measures took effect (default: today).
    pub applied_on: Option<NaiveDate>,
}

/// 反馈已执行: the department reports that it carried its measures out, with at least one
/// evidence file already attached. In the same transaction: the task's step, the feedback
/// clock stopped, one credit entry per entity and measure against entities (kind 联合惩戒,
/// `class_d` from the measure), and — when no task is left waiting — the batch's 反馈完毕.
pub async fn apply(
    svc: &Services,
    a: &Actor,
    id: Uuid,
    input: &FeedbackInput,
) -> Result<TaskDetail> {
    let c = svc.store.conn();
    let t = visible_task(c, a, id).await?;
    ensure_implementer(c, a, &t).await?;
    let step = TaskAction::Apply.step(Some(t.status)).map_err(refused)?;
    let today = today(svc);
    let mut ck = Checker::default();
    let text = ck.check("feedback", rules::feedback_text(&input.feedback));
    let applied_on = input.applied_on.unwrap_or(today);
    if applied_on > today {
        ck.push(
            "applied_on",
            Invalid::new(
                "future",
                "执行日期不能晚于今天",
                "the day applied cannot be in the future",
            ),
        );
    }
    let b = repo::get_batch(c, &Scope::system(), t.batch_id)
        .await?
        .ok_or(ServiceError::NotFound)?;
    if applied_on < b.starts_on {
        ck.push(
            "applied_on",
            Invalid::new(
                "before_period",
                format!("执行日期不能早于惩戒期限起始日（{}）", b.starts_on),
                format!(
                    "the day applied cannot precede the period's start ({})",
                    b.starts_on
                ),
            ),
        );
    } else if applied_on > t.until {
        ck.push(
            "applied_on",
            Invalid::new(
                "after_period",
                format!("执行日期晚于惩戒措施的截止日（{}），措施已到期", t.until),
                format!(
                    "the day applied is after the measures' last day ({})",
                    t.until
                ),
            ),
        );
    }
    let files = crate::evidence::links_of(svc, EVIDENCE_KIND, &[id])
        .await?
        .remove(&id)
        .unwrap_or_default();
    if files.is_empty() {
        ck.push(
            "files",
            Invalid::new(
                "evidence_required",
                "请先上传执行材料（如告知书、系统限制截图），再反馈已执行",
                "attach evidence that the measures were carried out first",
            ),
        );
    }
    ck.finish()?;
    let bms: Vec<BatchMeasure> = repo::batch_measures(c, b.id)
        .await?
        .into_iter()
        .filter(|m| m.department_id == t.department_id)
        .collect();
    let measures: HashMap<Uuid, Measure> =
        repo::measures_by_ids(c, &bms.iter().map(|m| m.measure_id).collect::<Vec<_>>())
            .await?
            .into_iter()
            .map(|m| (m.id, m))
            .collect();
    let entity_ids: Vec<Uuid> = b
        .subjects
        .iter()
        .filter(|s| s.subject_type == SubjectType::Entity)
        .map(|s| s.entity_id)
        .collect();
    let entities = lianjian_store::entities::get_many(c, &entity_ids).await?;
    let now = lianjian_domain::audit::audit_time(svc.now());
    let mut entries = Vec::new();
    for bm in &bms {
        let Some(m) = measures.get(&bm.measure_id) else {
            continue;
        };
        if m.subject_type != SubjectType::Entity {
            continue;
        }
        for e in &entities {
            entries.push(lianjian_store::credit::Entry {
                id: Uuid::now_v7(),
                entity_id: e.id,
                region_code: e.region_code.clone(),
                department_id: Some(t.department_id),
                kind: RecordKind::Sanction,
                tier: None,
                occurred_on: applied_on,
                reference: Some(format!("{}/{}", t.code, entries.len() + 1)),
                title: m.name.clone(),
                legal_basis: Some(m.legal_basis.clone()),
                detail: RecordDetail::Sanction {
                    measure: m.name.clone(),
                    until: bm.until,
                    class_d: m.class_d,
                },
                source: RecordSource::Sanction,
                // Not published on the portal (a sanction is not among the public records);
                // it ends by itself after its last day.
                publication: Publication {
                    published: false,
                    repair_from: bm.until,
                    until: bm.until,
                },
                status: RecordStatus::Active,
                ended_on: None,
                created_by: a.username.clone(),
                created_at: now,
                updated_at: now,
            });
        }
    }
    let mut after = t.clone();
    after.status = step.to;
    after.feedback = text;
    after.applied_on = Some(applied_on);
    after.updated_at = now;
    let tx = svc.store.begin().await?;
    if !repo::set_task(&tx, t.status, &after).await? {
        return Err(stale(&t.code));
    }
    lianjian_store::credit::insert_many(&tx, &entries).await?;
    cases::stop_clocks(&tx, TASK, id, &[], today, TaskAction::Apply.as_str()).await?;
    cases::record_step(
        &tx,
        a,
        &task_ref(&after),
        &step,
        serde_json::json!({
            "applied_on": applied_on,
            "credit_entries": entries.iter().map(|e| e.id).collect::<Vec<_>>(),
            "files": files.len(),
        }),
    )
    .await?;
    let mut touched: Vec<Uuid> = entries.iter().map(|e| e.entity_id).collect();
    touched.dedup();
    for e in touched {
        super::repair::reevaluate_entity(svc, &tx, a, e, "联合惩戒措施实施").await?;
    }
    complete_if_answered(&tx, a, &b, after.updated_at).await?;
    tx.commit().await?;
    svc.apply_own_changes().await;
    get_task(svc, a, id).await
}

/// 反馈未能执行: the department reports that it could not carry the measures out, and why
/// (the entity is not under its authority, the person holds no licence …).
pub async fn decline(svc: &Services, a: &Actor, id: Uuid, why: &str) -> Result<TaskDetail> {
    let c = svc.store.conn();
    let t = visible_task(c, a, id).await?;
    ensure_implementer(c, a, &t).await?;
    let why = reason(why).map_err(|e| ServiceError::field("reason", e))?;
    let step = TaskAction::Decline
        .step(Some(t.status))
        .map_err(refused)?
        .because(why.clone());
    let b = repo::get_batch(c, &Scope::system(), t.batch_id)
        .await?
        .ok_or(ServiceError::NotFound)?;
    let today = today(svc);
    let mut after = t.clone();
    after.status = step.to;
    after.feedback = Some(why);
    after.updated_at = lianjian_domain::audit::audit_time(svc.now());
    let tx = svc.store.begin().await?;
    if !repo::set_task(&tx, t.status, &after).await? {
        return Err(stale(&t.code));
    }
    cases::stop_clocks(&tx, TASK, id, &[], today, TaskAction::Decline.as_str()).await?;
    cases::record_step(&tx, a, &task_ref(&after), &step, serde_json::Value::Null).await?;
    complete_if_answered(&tx, a, &b, after.updated_at).await?;
    tx.commit().await?;
    get_task(svc, a, id).await
}

/// The batch's 反馈完毕 once no task waits for feedback (on the caller's transaction, which
/// has just answered one).
async fn complete_if_answered(
    tx: &impl Conn,
    a: &Actor,
    b: &Batch,
    now: chrono::DateTime<Utc>,
) -> Result<()> {
    let tasks = repo::tasks_of_batch(tx, b.id).await?;
    if b.status != BatchStatus::Approved || tasks.iter().any(|t| !t.status.is_answered()) {
        return Ok(());
    }
    let step = SanctionBatchAction::Complete
        .step(Some(b.status))
        .map_err(refused)?;
    if !repo::set_batch_status(tx, b.id, b.status, step.to, now).await? {
        return Err(stale(&b.code));
    }
    let detail = serde_json::json!({
        "applied": tasks.iter().filter(|t| t.status == TaskStatus::Applied).count(),
        "not_applied": tasks.iter().filter(|t| t.status == TaskStatus::NotApplied).count(),
    });
    cases::record_step(tx, a, &batch_ref(b), &step, detail).await?;
    Ok(())
}

/// 督办: the office chases a task waiting for feedback, with a reason the department reads on
/// the task's timeline. The clock keeps running.
pub async fn supervise(svc: &Services, a: &Actor, id: Uuid, why: &str) -> Result<TaskDetail> {
    let c = svc.store.conn();
    let t = visible_task(c, a, id).await?;
    if !reviews(a, &t.region_code) {
        return Err(if may_review(a) {
            ServiceError::NotFound
        } else {
            ServiceError::Forbidden
        });
    }
    let why = reason(why).map_err(|e| ServiceError::field("reason", e))?;
    let step = TaskAction::Supervise
        .step(Some(t.status))
        .map_err(refused)?
        .because(why);
    let mut after = t.clone();
    after.supervised += 1;
    after.updated_at = lianjian_domain::audit::audit_time(svc.now());
    let tx = svc.store.begin().await?;
    if !repo::set_task(&tx, t.status, &after).await? {
        return Err(stale(&t.code));
    }
    cases::record_step(
        &tx,
        a,
        &task_ref(&after),
        &step,
        serde_json::json!({ "times": after.supervised }),
    )
    .await?;
    tx.commit().await?;
    get_task(svc, a, id).await
}

/// What one lifting pass did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Lifted {
    /// Credit entries whose period ended (已移出).
    pub entries: usize,
    /// Tasks whose every measure ended (已解除).
    pub tasks: usize,
}

/// The server's pass (自动解除): every sanction entry still in force after its last day is
/// removed (`ended_on` the day after it), each with its audit entry; every task carried out
/// whose measures have all ended is lifted (a step by the server). Each in its own
/// transaction; run daily by `lianjian serve` and safe to run again.
pub async fn lift_expired(svc: &Services) -> Result<Lifted> {
    let c = svc.store.conn();
    let today = today(svc);
    let server = cases::server_actor();
    let mut out = Lifted::default();
    for (id, until) in repo::sanction_entries_to_end(c, today).await? {
        let Some(e) = lianjian_store::credit::get(c, &Scope::system(), id).await? else {
            continue;
        };
        let ended = until.succ_opt().unwrap_or(until);
        let tx = svc.store.begin().await?;
        if !lianjian_store::credit::set_status(
            &tx,
            id,
            RecordStatus::Active,
            RecordStatus::Removed,
            Some(ended),
            lianjian_domain::audit::audit_time(svc.now()),
        )
        .await?
        {
            continue;
        }
        record(
            &tx,
            &server,
            Record::new("credit_entry.lift", "credit_entry", id)
                .at(&e.region_code, e.department_id)
                .before(&serde_json::json!({ "status": RecordStatus::Active.as_str() }))
                .after(&serde_json::json!({
                    "status": RecordStatus::Removed.as_str(),
                    "ended_on": ended,
                    "reference": e.reference,
                })),
        )
        .await?;
        super::repair::reevaluate_entity(svc, &tx, &server, e.entity_id, "联合惩戒措施到期解除")
            .await?;
        tx.commit().await?;
        svc.apply_own_changes().await;
        out.entries += 1;
    }
    for id in repo::tasks_to_lift(c, today).await? {
        let Some(t) = repo::get_task(c, &Scope::system(), id).await? else {
            continue;
        };
        let step = TaskAction::Lift.step(Some(t.status)).map_err(refused)?;
        let mut after = t.clone();
        after.status = step.to;
        after.updated_at = lianjian_domain::audit::audit_time(svc.now());
        let tx = svc.store.begin().await?;
        if !repo::set_task(&tx, t.status, &after).await? {
            continue;
        }
        let entries = repo::entries_of_task(&tx, &t.code).await?;
        cases::record_step(
            &tx,
            &server,
            &task_ref(&after),
            &step,
            serde_json::json!({ "until": t.until, "credit_entries": entries }),
        )
        .await?;
        tx.commit().await?;
        out.tasks += 1;
    }
    Ok(out)
}

// ---- statistics ----

/// Counts of tasks by result.
#[derive(Debug, Clone, Default, Serialize, utoipa::ToSchema)]
pub struct Counts {
    pub total: u64,
    pub pending: u64,
    pub applied: u64,
    pub not_applied: u64,
    pub lifted: u64,
}

impl Counts {
    fn add(&mut self, s: TaskStatus, n: u64) {
        self.total += n;
        match s {
            TaskStatus::Pending => self.pending += n,
            TaskStatus::Applied => self.applied += n,
            TaskStatus::NotApplied => self.not_applied += n,
            TaskStatus::Lifted => self.lifted += n,
        }
    }
}

/// One row of the statistics.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct StatLine {
    pub id: Uuid,
    pub name: String,
    #[serde(flatten)]
    pub counts: Counts,
}

/// Statistics over the tasks dispatched in a period (Beijing dates, both included) within the
/// actor's scope: by measure (a task counts once for each measure it applies), by
/// implementing department (each task once) and in all; tasks overdue now.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Statistics {
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub by_measure: Vec<StatLine>,
    pub by_department: Vec<StatLine>,
    pub total: Counts,
    /// Tasks whose feedback clock is red today (whatever the period).
    pub overdue_now: u64,
}

/// Joint-sanction statistics (by measure, department and result).
pub async fn statistics(
    svc: &Services,
    a: &Actor,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Statistics> {
    if to < from {
        return Err(ServiceError::field(
            "to",
            Invalid::new(
                "period",
                "截止日期早于起始日期",
                "the period ends before it starts",
            ),
        ));
    }
    let c = svc.store.conn();
    let bj = |d: NaiveDate| {
        d.and_hms_opt(0, 0, 0).expect("midnight").and_utc() - chrono::Duration::hours(8)
    };
    let scope = Scope::of(a);
    let rows = repo::statistics(c, &scope, bj(from), bj(to + chrono::Duration::days(1))).await?;
    let mut by_measure: BTreeMap<Uuid, Counts> = BTreeMap::new();
    for r in &rows {
        by_measure
            .entry(r.measure_id)
            .or_default()
            .add(r.status, r.tasks);
    }
    // A department's tasks once each, whatever number of measures they apply.
    let mut by_department: BTreeMap<Uuid, Counts> = BTreeMap::new();
    let mut total = Counts::default();
    for (d, s, n) in
        repo::task_counts_by_department(c, &scope, bj(from), bj(to + chrono::Duration::days(1)))
            .await?
    {
        by_department.entry(d).or_default().add(s, n);
        total.add(s, n);
    }
    let depts: Vec<Uuid> = by_department.keys().copied().collect();
    let ms: HashMap<Uuid, String> =
        repo::measures_by_ids(c, &by_measure.keys().copied().collect::<Vec<_>>())
            .await?
            .into_iter()
            .map(|m| (m.id, m.name))
            .collect();
    let names = department_names(c, depts.clone()).await?;
    let today = today(svc);
    let overdue_now = repo::count_tasks(
        c,
        &scope,
        &TaskQuery {
            feedback_due: Some((None, today)),
            ..Default::default()
        },
    )
    .await?;
    Ok(Statistics {
        from,
        to,
        by_measure: by_measure
            .into_iter()
            .map(|(id, counts)| StatLine {
                id,
                name: ms.get(&id).cloned().unwrap_or_default(),
                counts,
            })
            .collect(),
        by_department: by_department
            .into_iter()
            .map(|(id, counts)| StatLine {
                id,
                name: names.get(&id).cloned().unwrap_or_default(),
                counts,
            })
            .collect(),
        total,
        overdue_now,
    })
}
