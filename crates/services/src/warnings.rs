//! Risk warnings as case work (风险隐患联合监测预警, 国办发〔2023〕1号 (八), 鲁 task 11; issue 16
//! items 1–2) on the shared case mechanism ([`crate::cases`]):
//!
//! - rules (预警规则) per sector, versioned: a new version replaces the one in force, the old
//!   ones stay readable, warnings name the version that raised them ([`create_rule`],
//!   [`new_version`], [`may_maintain_rules`]);
//! - [`raise`] turns a [`Trigger`] (from the IoT ingest's `ReadingEvaluator` or the hourly
//!   [`evaluate_records`] pass) into a warning in one transaction: the warning (code, region
//!   from the entity, departments from the push rule), its steps 生成 and 推送 recorded through
//!   [`cases::record_step`], the response plan's clocks started (working days or hours). A
//!   trigger of a rule, entity and device whose warning is still open folds into it (one more
//!   occurrence, latest time and value) instead of raising another;
//! - the pushed departments sign, handle and close it with a reason, or turn it into a clue
//!   (the clue flow's registration, source 数据监测/物联感知) or a visit (an ad-hoc visit,
//!   trigger 风险预警); a major warning goes first to a joint assessment (会商研判) of the
//!   departments involved, with minutes and a decision.
//!
//! Folding is not a step (a fridge reporting every minute would flood the audit log); the
//! occurrence count, first and last time are on the warning and its latest occurrences kept.

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::{DateTime, Duration, NaiveDate, Utc};
use lianjian_domain::Invalid;
use lianjian_domain::account::Role;
use lianjian_domain::case::{CaseKind, ClockSpec, Light, Step, reason};
use lianjian_domain::lifecycle::Lifecycle;
use lianjian_domain::region::RegionCode;
use lianjian_domain::scope::{Actor, Scope};
use lianjian_domain::visit::beijing_date;
use lianjian_domain::warning::{
    self as rules, Condition, ConditionKind, ExpiryKind, Fact, Level, PlanStep, PushRule,
    StepDeadline, Trigger, WarningAction, WarningRule, WarningStatus,
};
use lianjian_store::cases::{CaseEvent, ClockHolder};
use lianjian_store::departments::Department;
use lianjian_store::warnings::{
    self as repo, Assessment, Occurrence, RuleVersion, Warning, WarningQuery,
};
use lianjian_store::{Conn, Page, PageRequest};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::cases::{self, CaseRef, ClockView};
use crate::credit::repair::CaseStepView;
use crate::error::Checker;
use crate::trail::{Record, record};
use crate::{Result, ServiceError, Services};

const KIND: CaseKind = CaseKind::Warning;

/// Clock names of a plan's steps (a plan has at most [`rules::MAX_PLAN_STEPS`]); the label
/// shown is the step's name in the rule.
const PLAN_CLOCKS: [ClockSpec; rules::MAX_PLAN_STEPS] = {
    const fn spec(name: &'static str) -> ClockSpec {
        ClockSpec {
            name,
            label_zh: "预案步骤",
            working_days: 1,
            warn_within: 1,
        }
    }
    [
        spec("plan1"),
        spec("plan2"),
        spec("plan3"),
        spec("plan4"),
        spec("plan5"),
        spec("plan6"),
        spec("plan7"),
        spec("plan8"),
    ]
};

// ---- who may ----

/// Who keeps the rules: the coordination office and the system administrator.
pub fn may_maintain_rules(a: &Actor) -> bool {
    matches!(a.role, Role::SystemAdmin | Role::CoordinationOffice)
}

/// Who reads warnings and rules: every staff role (lists are scoped: a department sees what
/// was pushed to its line in its region).
pub fn may_read(a: &Actor) -> bool {
    let _ = a;
    true
}

/// Who signs, handles and closes a warning: the staff (administrators and inspectors) of a
/// department it was pushed to.
pub fn may_handle(a: &Actor, pushed: &[Uuid]) -> bool {
    matches!(a.role, Role::DepartmentAdmin | Role::Inspector) && pushed.contains(&a.department_id)
}

/// Who calls and concludes a joint assessment (会商研判): the office of the warning's region,
/// or an administrator of a department it was pushed to.
pub fn may_assess(a: &Actor, region: &RegionCode, pushed: &[Uuid]) -> bool {
    coordinates(a, region) || (a.role == Role::DepartmentAdmin && pushed.contains(&a.department_id))
}

fn coordinates(a: &Actor, region: &RegionCode) -> bool {
    matches!(a.role, Role::SystemAdmin | Role::CoordinationOffice)
        && a.full_scope()
            .region
            .as_ref()
            .is_none_or(|r| region.is_within(r))
}

/// Who turns a warning into a visit: an administrator of a pushed department or the office
/// (the visit flow's own rule for ad-hoc visits).
pub fn may_convert_to_visit(a: &Actor, region: &RegionCode, pushed: &[Uuid]) -> bool {
    may_assess(a, region, pushed)
}

/// The steps the actor may take on `w` now.
pub fn actions(a: &Actor, w: &Warning, pushed: &[Uuid]) -> Vec<WarningAction> {
    WarningAction::ALL
        .iter()
        .copied()
        .filter(|x| x.step(Some(w.status), w.major).is_ok())
        .filter(|x| match x {
            WarningAction::Raise | WarningAction::Push => false,
            WarningAction::Sign | WarningAction::Handle | WarningAction::Close => {
                may_handle(a, pushed)
            }
            WarningAction::ToClue => may_handle(a, pushed) && crate::clues::may_register(a),
            WarningAction::Assess | WarningAction::Decide => may_assess(a, &w.region_code, pushed),
            WarningAction::ToVisit => may_convert_to_visit(a, &w.region_code, pushed),
        })
        .collect()
}

// ---- rules ----

/// A rule version as pages and the API show it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct RuleView {
    pub id: Uuid,
    pub version: i32,
    pub code: String,
    pub name: String,
    pub sector: String,
    pub level: Level,
    pub level_label: String,
    /// Needs a joint assessment (会商研判).
    pub major: bool,
    pub assessment: Option<bool>,
    #[schema(value_type = Object)]
    pub condition: Condition,
    pub condition_text: String,
    pub push: PushRule,
    pub plan: Vec<PlanStep>,
    pub plan_text: String,
    /// `device` (evaluated as readings arrive) or `record` (the hourly pass).
    pub kind: String,
    pub current: bool,
    pub active: bool,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
}

fn plan_text(p: &[PlanStep]) -> String {
    p.iter()
        .map(|s| format!("{}（{}）", s.name, s.deadline.describe()))
        .collect::<Vec<_>>()
        .join(" → ")
}

fn rule_view(v: &RuleVersion) -> RuleView {
    let r = &v.rule;
    RuleView {
        id: r.id,
        version: r.version,
        code: r.code.clone(),
        name: r.name.clone(),
        sector: r.sector.clone(),
        level: r.level,
        level_label: r.level.label_zh().into(),
        major: r.is_major(),
        assessment: r.assessment,
        condition_text: r.condition.describe(),
        condition: r.condition.clone(),
        push: r.push.clone(),
        plan_text: plan_text(&r.plan),
        plan: r.plan.clone(),
        kind: v.kind.clone(),
        current: v.current,
        active: v.active,
        created_by: v.created_by.clone(),
        created_at: v.created_at,
    }
}

/// A rule as a form or the API sends it. The condition, push rule and plan are JSON (the
/// console's form sends them as text and they are parsed here).
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RuleInput {
    /// 2–32 of A–Z, 0–9, '-'; fixed once created.
    pub code: String,
    pub name: String,
    /// The sector's name (行业领域).
    pub sector: String,
    /// `red`, `orange`, `yellow`, `blue` (or 红色 …).
    pub level: String,
    /// Joint assessment required (default: red and orange).
    #[serde(default)]
    pub assessment: Option<bool>,
    /// e.g. `{"type":"reading","metric":"temperature","op":">","value":8,"for_minutes":30}`.
    #[schema(value_type = Object)]
    pub condition: serde_json::Value,
    /// e.g. `{"lines":["market"],"item_departments":false}`.
    #[schema(value_type = Object)]
    pub push: serde_json::Value,
    /// e.g. `[{"name":"现场核查","deadline":{"hours":2}}]`.
    #[schema(value_type = Object)]
    pub plan: serde_json::Value,
    /// Still evaluated (default true).
    #[serde(default)]
    pub active: Option<bool>,
}

async fn parse_rule(
    c: &impl Conn,
    input: &RuleInput,
) -> Result<(
    String,
    String,
    String,
    Level,
    Condition,
    ConditionKind,
    PushRule,
    Vec<PlanStep>,
)> {
    let mut ck = Checker::default();
    let code = ck.check("code", rules::rule_code(&input.code));
    let name = ck.check("name", rules::rule_name(&input.name));
    let level = ck.check("level", Level::parse(&input.level));
    let condition = ck.check(
        "condition",
        Condition::parse_json(&input.condition.to_string()),
    );
    let push = ck.check("push", rules::parse_push(&input.push.to_string()));
    let plan = ck.check("plan", rules::parse_plan(&input.plan.to_string()));
    let sector = input.sector.trim().to_string();
    if sector.is_empty() {
        ck.push(
            "sector",
            Invalid::new("required", "请选择行业领域", "the sector is required"),
        );
    } else if !repo::sector_exists(c, &sector).await? {
        ck.push(
            "sector",
            Invalid::new(
                "unknown_sector",
                format!("行业领域“{sector}”不存在"),
                format!("no sector '{sector}'"),
            ),
        );
    }
    ck.finish()?;
    let condition = condition.expect("checked");
    let kind = condition.kind();
    Ok((
        code.expect("checked"),
        name.expect("checked"),
        sector,
        level.expect("checked"),
        condition,
        kind,
        push.expect("checked"),
        plan.expect("checked"),
    ))
}

fn kind_code(k: ConditionKind) -> &'static str {
    match k {
        ConditionKind::Device => "device",
        ConditionKind::Record => "record",
    }
}

/// Adds a rule (its version 1).
pub async fn create_rule(svc: &Services, a: &Actor, input: &RuleInput) -> Result<RuleView> {
    if !may_maintain_rules(a) {
        return Err(ServiceError::Forbidden);
    }
    let c = svc.store.conn();
    let (code, name, sector, level, condition, kind, push, plan) = parse_rule(c, input).await?;
    if repo::rule_by_code(c, &code).await?.is_some() {
        return Err(ServiceError::conflict(
            "code",
            format!("规则编码 {code} 已存在"),
            format!("rule code {code} exists"),
        ));
    }
    let v = RuleVersion {
        rule: WarningRule {
            id: Uuid::now_v7(),
            version: 1,
            code,
            name,
            sector,
            level,
            assessment: input.assessment,
            condition,
            push,
            plan,
        },
        kind: kind_code(kind).into(),
        current: true,
        active: input.active.unwrap_or(true),
        created_by: a.username.clone(),
        created_at: lianjian_domain::audit::audit_time(svc.now()),
    };
    write_version(svc, a, &v, None).await
}

/// A new version of a rule (编辑 = 新版本): warnings raised before keep naming the version that
/// raised them. The code stays.
pub async fn new_version(
    svc: &Services,
    a: &Actor,
    id: Uuid,
    input: &RuleInput,
) -> Result<RuleView> {
    if !may_maintain_rules(a) {
        return Err(ServiceError::Forbidden);
    }
    let c = svc.store.conn();
    let before = repo::get_rule(c, id, None)
        .await?
        .ok_or(ServiceError::NotFound)?;
    let (code, name, sector, level, condition, kind, push, plan) = parse_rule(c, input).await?;
    if code != before.rule.code {
        return Err(ServiceError::field(
            "code",
            Invalid::new(
                "fixed",
                "规则编码创建后不能修改",
                "a rule's code cannot change",
            ),
        ));
    }
    let v = RuleVersion {
        rule: WarningRule {
            id,
            version: before.rule.version + 1,
            code,
            name,
            sector,
            level,
            assessment: input.assessment,
            condition,
            push,
            plan,
        },
        kind: kind_code(kind).into(),
        current: true,
        active: input.active.unwrap_or(before.active),
        created_by: a.username.clone(),
        created_at: lianjian_domain::audit::audit_time(svc.now()),
    };
    write_version(svc, a, &v, Some(&before)).await
}

async fn write_version(
    svc: &Services,
    a: &Actor,
    v: &RuleVersion,
    before: Option<&RuleVersion>,
) -> Result<RuleView> {
    let tx = svc.store.begin().await?;
    repo::insert_rule_version(&tx, v).await?;
    let view = rule_view(v);
    let mut r = Record::new(
        if before.is_some() {
            "warning_rule.version"
        } else {
            "warning_rule.create"
        },
        "warning_rule",
        v.rule.id,
    )
    .at(a.region.as_str(), None)
    .after(&serde_json::to_value(&view).unwrap_or_default());
    if let Some(b) = before {
        r = r.before(&serde_json::to_value(rule_view(b)).unwrap_or_default());
    }
    record(&tx, a, r).await?;
    tx.commit().await?;
    Ok(view)
}

/// The rules in force (current versions), by sector and code.
pub async fn list_rules(svc: &Services, a: &Actor) -> Result<Vec<RuleView>> {
    if !may_read(a) {
        return Err(ServiceError::Forbidden);
    }
    Ok(repo::current_rules(svc.store.conn(), None)
        .await?
        .iter()
        .map(rule_view)
        .collect())
}

/// A rule's versions, newest first.
pub async fn rule_versions(svc: &Services, a: &Actor, id: Uuid) -> Result<Vec<RuleView>> {
    if !may_read(a) {
        return Err(ServiceError::Forbidden);
    }
    let v = repo::rule_versions(svc.store.conn(), id).await?;
    if v.is_empty() {
        return Err(ServiceError::NotFound);
    }
    Ok(v.iter().map(rule_view).collect())
}

/// The active device rules in force, for the IoT ingest's `ReadingEvaluator`.
pub async fn device_rules(svc: &Services) -> Result<Vec<WarningRule>> {
    Ok(repo::current_rules(svc.store.conn(), Some("device"))
        .await?
        .into_iter()
        .map(|v| v.rule)
        .collect())
}

// ---- raising ----

/// What [`raise`] did: the warning's id, and whether the trigger folded into an open warning.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Raised {
    pub id: Uuid,
    pub folded: bool,
}

/// The actor the platform raises warnings as (recorded as `system`).
pub fn monitor_actor() -> Actor {
    let mut a = crate::cli_actor();
    a.username = "system".into();
    a.display_name = "系统（监测预警）".into();
    a
}

/// The departments a push rule names for an entity in `region`: per line, the active
/// department of that line nearest the entity (its own region first, then upwards).
async fn push_departments(
    c: &impl Conn,
    rule: &WarningRule,
    region: &RegionCode,
) -> Result<Vec<Department>> {
    let mut lines: Vec<String> = rule.push.lines.clone();
    if rule.push.item_departments {
        for l in repo::item_lines_of_sector(c, &rule.sector).await? {
            if !lines.contains(&l) {
                lines.push(l);
            }
        }
    }
    let mut by_region: Vec<Vec<Department>> = Vec::new();
    for r in region.lineage().iter().rev() {
        by_region.push(lianjian_store::departments::active_in_region(c, r).await?);
    }
    let mut out: Vec<Department> = Vec::new();
    for l in &lines {
        if let Some(d) = by_region
            .iter()
            .find_map(|ds| ds.iter().find(|d| &d.line == l))
            && !out.iter().any(|o| o.id == d.id)
        {
            out.push(d.clone());
        }
    }
    Ok(out)
}

fn check_trigger(t: &Trigger) -> Result<String> {
    let s = t.summary.trim();
    if s.is_empty() || s.chars().count() > 500 {
        return Err(ServiceError::field(
            "summary",
            Invalid::new(
                "summary",
                "预警摘要应为 1–500 个字符",
                "a trigger's summary is 1-500 characters",
            ),
        ));
    }
    Ok(s.to_string())
}

/// Raises a warning from a trigger, or folds it into the open warning of the same rule, entity
/// and device — in one transaction.
pub async fn raise(svc: &Services, t: Trigger) -> Result<Raised> {
    let summary = check_trigger(&t)?;
    let c = svc.store.conn();
    let rule = repo::get_rule(c, t.rule_id, Some(t.rule_version))
        .await?
        .ok_or_else(|| {
            ServiceError::field(
                "rule_id",
                Invalid::new("unknown_rule", "预警规则不存在", "no such rule version"),
            )
        })?
        .rule;
    let detail = (!t.detail.is_null()).then(|| t.detail.to_string());
    let now = lianjian_domain::audit::audit_time(svc.now());
    let observed = lianjian_domain::audit::audit_time(t.observed_at);
    // Two attempts: a concurrent raise may open the same warning between our look and insert.
    for _ in 0..2 {
        let tx = svc.store.begin().await?;
        if let Some(w) = repo::open_of(&tx, t.rule_id, t.entity_id, t.device_id).await?
            && repo::fold(&tx, w.id, observed, &summary, detail.clone(), now).await?
        {
            repo::insert_occurrence(&tx, w.id, observed, &summary, detail.clone()).await?;
            tx.commit().await?;
            return Ok(Raised {
                id: w.id,
                folded: true,
            });
        }
        match open_new(svc, &tx, &rule, &t, &summary, detail.clone(), observed, now).await {
            Ok(id) => {
                tx.commit().await?;
                return Ok(Raised { id, folded: false });
            }
            Err(ServiceError::Internal(_))
                if repo::open_of(c, t.rule_id, t.entity_id, t.device_id)
                    .await?
                    .is_some() =>
            {
                drop(tx);
                continue;
            }
            Err(e) => return Err(e),
        }
    }
    Err(ServiceError::conflict(
        "rule_id",
        "预警正在被并发生成，请重试",
        "the warning is being raised concurrently; retry",
    ))
}

#[allow(clippy::too_many_arguments)]
async fn open_new(
    svc: &Services,
    tx: &lianjian_store::Tx,
    rule: &WarningRule,
    t: &Trigger,
    summary: &str,
    detail: Option<String>,
    observed: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<Uuid> {
    let entity = lianjian_store::entities::get(tx, t.entity_id)
        .await?
        .ok_or_else(|| {
            ServiceError::field(
                "entity_id",
                Invalid::new("unknown_entity", "名录中没有该市场主体", "no such entity"),
            )
        })?;
    let departments = push_departments(tx, rule, &entity.region_code).await?;
    let county: String = entity.region_code.as_str().chars().take(6).collect();
    let prefix = format!("YJ-{county}-{}-", beijing_date(now).format("%Y"));
    let n = repo::next_code_number(tx, &prefix).await?;
    let w = Warning {
        id: Uuid::now_v7(),
        code: format!("{prefix}{n:05}"),
        region_code: entity.region_code.clone(),
        rule_id: rule.id,
        rule_version: rule.version,
        entity_id: entity.id,
        device_id: t.device_id,
        level: t.level,
        major: rule.is_major(),
        status: WarningStatus::Raised,
        summary: summary.to_string(),
        occurrences: 1,
        first_at: observed,
        last_at: observed,
        last_detail: detail.clone(),
        outcome: None,
        clue_id: None,
        visit_id: None,
        created_at: now,
        updated_at: now,
    };
    let ids: Vec<Uuid> = departments.iter().map(|d| d.id).collect();
    repo::insert(tx, &w, &ids).await?;
    repo::insert_occurrence(tx, w.id, observed, summary, detail).await?;
    let actor = monitor_actor();
    let open = WarningAction::Raise.step(None, w.major).map_err(refused)?;
    cases::record_step(
        tx,
        &actor,
        &case_ref(&w, ids.first().copied()),
        &open,
        serde_json::json!({ "rule": rule.code, "version": rule.version, "summary": summary, "level": w.level.as_str() }),
    )
    .await?;
    let push = WarningAction::Push
        .step(Some(WarningStatus::Raised), w.major)
        .map_err(refused)?;
    if !repo::set_status(
        tx,
        w.id,
        WarningStatus::Raised,
        WarningStatus::Pushed,
        now,
        None,
        None,
        None,
    )
    .await?
    {
        return Err(stale(&w.code));
    }
    cases::record_step(
        tx,
        &actor,
        &case_ref(&w, ids.first().copied()),
        &push,
        serde_json::json!({ "departments": departments.iter().map(|d| d.name.clone()).collect::<Vec<_>>() }),
    )
    .await?;
    // The response plan's clocks, from the push (国办发〔2023〕1号 (八): 预警响应).
    let holder = ClockHolder {
        region_code: w.region_code.to_string(),
        department_id: ids.first().copied(),
    };
    let cal = crate::calendar::current(svc).await?;
    for (i, s) in rule.plan.iter().enumerate().take(PLAN_CLOCKS.len()) {
        let spec = PLAN_CLOCKS[i];
        match s.deadline {
            StepDeadline::WorkingDays(d) => {
                let spec = ClockSpec {
                    working_days: d,
                    warn_within: 1.min(d.saturating_sub(1)),
                    ..spec
                };
                cases::start_clocks(tx, &cal, KIND, w.id, &holder, &[spec], beijing_date(now))
                    .await?;
            }
            StepDeadline::Hours(h) => {
                cases::start_hour_clock(tx, KIND, w.id, &holder, spec.name, now, h).await?;
            }
        }
    }
    Ok(w.id)
}

fn case_ref(w: &Warning, department: Option<Uuid>) -> CaseRef<'_> {
    CaseRef {
        kind: KIND,
        id: w.id,
        code: &w.code,
        region: w.region_code.as_str(),
        department_id: department,
    }
}

fn refused(e: Invalid) -> ServiceError {
    ServiceError::conflict("status", e.zh, e.en)
}

fn stale(code: &str) -> ServiceError {
    ServiceError::conflict(
        "status",
        format!("预警 {code} 的状态刚被他人改变，请刷新后重试"),
        format!("{code} changed meanwhile; reload and retry"),
    )
}

// ---- views ----

/// A department by id and name.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct WarningDepartment {
    pub id: Uuid,
    pub name: String,
}

/// A warning as a queue row or the head of its page.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct WarningView {
    pub id: Uuid,
    pub code: String,
    pub region_code: String,
    pub level: Level,
    pub level_label: String,
    /// Needs a joint assessment.
    pub major: bool,
    pub status: WarningStatus,
    pub status_label: String,
    pub summary: String,
    pub entity_id: Uuid,
    pub entity_name: String,
    pub device_id: Option<Uuid>,
    pub rule_id: Uuid,
    pub rule_version: i32,
    pub rule_code: String,
    pub rule_name: String,
    pub occurrences: u32,
    pub first_at: DateTime<Utc>,
    pub last_at: DateTime<Utc>,
    pub departments: Vec<WarningDepartment>,
    pub clocks: Vec<ClockView>,
    /// The worst light of its running clocks.
    pub light: Option<Light>,
    /// 办结理由, or the clue's / visit's code once converted.
    pub outcome: Option<String>,
    pub clue_id: Option<Uuid>,
    pub visit_id: Option<Uuid>,
    pub created_at: DateTime<Utc>,
}

/// A joint assessment as shown.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct AssessmentView {
    pub departments: Vec<WarningDepartment>,
    pub minutes: Option<String>,
    pub decision: Option<String>,
    pub requested_by: String,
    pub requested_at: DateTime<Utc>,
    pub decided_by: Option<String>,
    pub decided_at: Option<DateTime<Utc>>,
}

/// A warning's page.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct WarningDetail {
    pub warning: WarningView,
    pub rule: RuleView,
    pub occurrences: Vec<Occurrence>,
    pub assessments: Vec<AssessmentView>,
    pub timeline: Vec<CaseStepView>,
    /// Steps the reader may take now.
    pub actions: Vec<WarningAction>,
}

fn light_rank(l: Light) -> u8 {
    match l {
        Light::Red => 0,
        Light::Yellow => 1,
        Light::Green => 2,
        Light::Late => 3,
        Light::Met => 4,
    }
}

async fn views(svc: &Services, c: &impl Conn, ws: Vec<Warning>) -> Result<Vec<WarningView>> {
    let cal = crate::calendar::current(svc).await?;
    let now = svc.now();
    let ids: Vec<Uuid> = ws.iter().map(|w| w.id).collect();
    let clocks = lianjian_store::cases::clocks_of_many(c, KIND, &ids).await?;
    let mut by_case: HashMap<Uuid, Vec<lianjian_domain::case::Clock>> = HashMap::new();
    for (id, k) in clocks {
        by_case.entry(id).or_default().push(k);
    }
    let entities: HashMap<Uuid, String> =
        lianjian_store::entities::get_many(c, &ws.iter().map(|w| w.entity_id).collect::<Vec<_>>())
            .await?
            .into_iter()
            .map(|e| (e.id, e.name))
            .collect();
    let mut rules: HashMap<(Uuid, i32), WarningRule> = HashMap::new();
    let mut out = Vec::with_capacity(ws.len());
    for w in ws {
        if let std::collections::hash_map::Entry::Vacant(v) =
            rules.entry((w.rule_id, w.rule_version))
            && let Some(r) = repo::get_rule(c, w.rule_id, Some(w.rule_version)).await?
        {
            v.insert(r.rule);
        }
        let rule = rules.get(&(w.rule_id, w.rule_version));
        let dept_ids = repo::departments_of(c, w.id).await?;
        let names = lianjian_store::departments::by_ids(c, &dept_ids).await?;
        let mut ks: Vec<ClockView> = by_case
            .remove(&w.id)
            .unwrap_or_default()
            .iter()
            .map(|k| {
                let mut v = ClockView::at(k, &cal, now, &PLAN_CLOCKS);
                if let Some(i) = PLAN_CLOCKS.iter().position(|s| s.name == k.name)
                    && let Some(s) = rule.and_then(|r| r.plan.get(i))
                {
                    v.label = s.name.clone();
                }
                v
            })
            .collect();
        ks.sort_by_key(|k| {
            PLAN_CLOCKS
                .iter()
                .position(|s| s.name == k.name)
                .unwrap_or(usize::MAX)
        });
        out.push(WarningView {
            id: w.id,
            code: w.code.clone(),
            region_code: w.region_code.to_string(),
            level: w.level,
            level_label: w.level.label_zh().into(),
            major: w.major,
            status: w.status,
            status_label: w.status.label_zh().into(),
            summary: w.summary.clone(),
            entity_id: w.entity_id,
            entity_name: entities.get(&w.entity_id).cloned().unwrap_or_default(),
            device_id: w.device_id,
            rule_id: w.rule_id,
            rule_version: w.rule_version,
            rule_code: rule.map(|r| r.code.clone()).unwrap_or_default(),
            rule_name: rule.map(|r| r.name.clone()).unwrap_or_default(),
            occurrences: w.occurrences,
            first_at: w.first_at,
            last_at: w.last_at,
            departments: dept_ids
                .iter()
                .map(|d| WarningDepartment {
                    id: *d,
                    name: names
                        .get(d)
                        .map_or_else(|| "（已删除的部门）".to_string(), |x| x.name.clone()),
                })
                .collect(),
            light: ks
                .iter()
                .map(|k| k.light)
                .filter(|l| l.is_running())
                .min_by_key(|l| light_rank(*l)),
            clocks: ks,
            outcome: w.outcome.clone(),
            clue_id: w.clue_id,
            visit_id: w.visit_id,
            created_at: w.created_at,
        });
    }
    Ok(out)
}

fn timeline_of(events: Vec<CaseEvent>) -> Vec<CaseStepView> {
    events
        .into_iter()
        .map(|e| CaseStepView {
            action_label: WarningAction::parse(&e.action)
                .map_or_else(|_| e.action.clone(), |x| x.label_zh().into()),
            from_status: e.from_status.as_deref().map(|s| {
                WarningStatus::parse(s).map_or_else(|_| s.to_string(), |x| x.label_zh().into())
            }),
            to_status: WarningStatus::parse(&e.to_status)
                .map_or_else(|_| e.to_status.clone(), |x| x.label_zh().into()),
            action: e.action,
            reason: e.reason,
            actor: e.actor_display,
            at: e.at,
        })
        .collect()
}

async fn visible(c: &impl Conn, a: &Actor, id: Uuid) -> Result<Warning> {
    repo::get(c, &Scope::of(a), id)
        .await?
        .ok_or(ServiceError::NotFound)
}

/// A warning's page: `NotFound` outside the actor's scope.
pub async fn get(svc: &Services, a: &Actor, id: Uuid) -> Result<WarningDetail> {
    let c = svc.store.conn();
    let w = visible(c, a, id).await?;
    let pushed = repo::departments_of(c, id).await?;
    let rule = repo::get_rule(c, w.rule_id, Some(w.rule_version))
        .await?
        .ok_or(ServiceError::NotFound)?;
    let mut assessments = Vec::new();
    for x in repo::assessments_of(c, id).await? {
        assessments.push(assessment_view(c, x).await?);
    }
    let acts = actions(a, &w, &pushed);
    let view = views(svc, c, vec![w]).await?.remove(0);
    Ok(WarningDetail {
        warning: view,
        rule: rule_view(&rule),
        occurrences: repo::occurrences(c, id, 50).await?,
        assessments,
        timeline: timeline_of(cases::timeline(c, KIND, id).await?),
        actions: acts,
    })
}

async fn assessment_view(c: &impl Conn, x: Assessment) -> Result<AssessmentView> {
    let names = lianjian_store::departments::by_ids(c, &x.departments).await?;
    Ok(AssessmentView {
        departments: x
            .departments
            .iter()
            .map(|d| WarningDepartment {
                id: *d,
                name: names.get(d).map(|n| n.name.clone()).unwrap_or_default(),
            })
            .collect(),
        minutes: x.minutes,
        decision: x.decision,
        requested_by: x.requested_by,
        requested_at: x.requested_at,
        decided_by: x.decided_by,
        decided_at: x.decided_at,
    })
}

// ---- queues ----

lianjian_domain::labelled_enum!(queue
    /// The queues of warnings.
    WarningQueue {
        /// 待签收.
        Pending = "pending" / "待签收",
        /// 办理中 (signed, decided, handling).
        Open = "open" / "办理中",
        /// 会商研判中.
        Assessing = "assessing" / "会商研判",
        /// 即将超时: a plan clock is due today or on the next working day.
        DueSoon = "due_soon" / "即将超时",
        /// 已超时.
        Overdue = "overdue" / "已超时",
        /// 已办结 (closed or converted).
        Done = "done" / "已办结",
        /// 全部.
        All = "all" / "全部",
    }
);

impl WarningQueue {
    fn query(
        self,
        cal: &lianjian_domain::calendar::WorkingDayCalendar,
        today: NaiveDate,
    ) -> WarningQuery {
        use WarningStatus as S;
        let mut q = WarningQuery::default();
        match self {
            WarningQueue::Pending => q.statuses = vec![S::Pushed],
            WarningQueue::Open => q.statuses = vec![S::Signed, S::Decided, S::Handling],
            WarningQueue::Assessing => q.statuses = vec![S::Assessing],
            WarningQueue::DueSoon => {
                q.due = Some((Some(today), cases::yellow_before(cal, today, 1)));
            }
            WarningQueue::Overdue => q.due = Some((None, today)),
            WarningQueue::Done => q.statuses = vec![S::Closed, S::ToClue, S::ToVisit],
            WarningQueue::All => {}
        }
        q
    }
}

/// Narrows a queue.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema, utoipa::IntoParams)]
pub struct WarningFilter {
    /// `red`, `orange`, `yellow`, `blue`.
    pub level: Option<String>,
    pub rule_id: Option<Uuid>,
    pub entity_id: Option<Uuid>,
    pub department_id: Option<Uuid>,
    /// `level` (most severe first), `last` (latest occurrence first); default newest first.
    pub sort: Option<String>,
}

fn filter_query(f: &WarningFilter, mut q: WarningQuery) -> Result<WarningQuery> {
    if let Some(l) = f.level.as_deref().filter(|s| !s.trim().is_empty()) {
        q.level = Some(Level::parse(l).map_err(|e| ServiceError::field("level", e))?);
    }
    q.rule_id = f.rule_id;
    q.entity_id = f.entity_id;
    q.department_id = f.department_id;
    q.sort = match f.sort.as_deref().map(str::trim) {
        None | Some("") | Some("created") => None,
        Some(s @ ("level" | "last")) => Some(s.to_string()),
        Some(s) => {
            return Err(ServiceError::field(
                "sort",
                Invalid::new(
                    "unknown_sort",
                    format!("排序“{s}”无效，可选：level、last、created"),
                    format!("sort '{s}' is not one of level, last, created"),
                ),
            ));
        }
    };
    Ok(q)
}

/// A queue of warnings within the actor's scope.
pub async fn list(
    svc: &Services,
    a: &Actor,
    queue: WarningQueue,
    f: &WarningFilter,
    page: PageRequest,
) -> Result<Page<WarningView>> {
    let c = svc.store.conn();
    let cal = crate::calendar::current(svc).await?;
    let q = filter_query(f, queue.query(&cal, beijing_date(svc.now())))?;
    let p = repo::list(c, &Scope::of(a), &q, page).await?;
    let (total, pg, per) = (p.total, p.page, p.per_page);
    let items = views(svc, c, p.items).await?;
    Ok(Page {
        items,
        total,
        page: pg,
        per_page: per,
    })
}

/// How many warnings each queue holds for the actor.
pub async fn queue_counts(svc: &Services, a: &Actor) -> Result<Vec<(WarningQueue, u64)>> {
    let c = svc.store.conn();
    let cal = crate::calendar::current(svc).await?;
    let today = beijing_date(svc.now());
    let scope = Scope::of(a);
    cases::queue_counts(|q: WarningQueue| {
        let (q, scope) = (q.query(&cal, today), &scope);
        async move { Ok(repo::count(c, scope, &q).await?) }
    })
    .await
}

// ---- actions ----

async fn step_on(
    svc: &Services,
    a: &Actor,
    w: &Warning,
    step: Step<WarningStatus>,
    outcome: Option<&str>,
    detail: serde_json::Value,
) -> Result<()> {
    let now = lianjian_domain::audit::audit_time(svc.now());
    let tx = svc.store.begin().await?;
    apply_on(&tx, a, w, &step, now, outcome, None, None, detail).await?;
    tx.commit().await?;
    Ok(())
}

#[allow(clippy::too_many_arguments)]
async fn apply_on(
    tx: &lianjian_store::Tx,
    a: &Actor,
    w: &Warning,
    step: &Step<WarningStatus>,
    now: DateTime<Utc>,
    outcome: Option<&str>,
    clue_id: Option<Uuid>,
    visit_id: Option<Uuid>,
    detail: serde_json::Value,
) -> Result<()> {
    if !repo::set_status(tx, w.id, w.status, step.to, now, outcome, clue_id, visit_id).await? {
        return Err(stale(&w.code));
    }
    let dept = (!a.department_id.is_nil()).then_some(a.department_id);
    cases::record_step(tx, a, &case_ref(w, dept), step, detail).await?;
    if step.to.is_final() {
        cases::stop_clocks_at(tx, KIND, w.id, &[], now, step.action).await?;
    }
    Ok(())
}

async fn prepare(
    svc: &Services,
    a: &Actor,
    id: Uuid,
    action: WarningAction,
) -> Result<(Warning, Vec<Uuid>, Step<WarningStatus>)> {
    let c = svc.store.conn();
    let w = visible(c, a, id).await?;
    let pushed = repo::departments_of(c, id).await?;
    if !actions_allowed_by_role(a, &w, &pushed, action) {
        return Err(ServiceError::Forbidden);
    }
    let step = action.step(Some(w.status), w.major).map_err(refused)?;
    Ok((w, pushed, step))
}

fn actions_allowed_by_role(a: &Actor, w: &Warning, pushed: &[Uuid], x: WarningAction) -> bool {
    match x {
        WarningAction::Raise | WarningAction::Push => false,
        WarningAction::Sign | WarningAction::Handle | WarningAction::Close => may_handle(a, pushed),
        WarningAction::ToClue => may_handle(a, pushed) && crate::clues::may_register(a),
        WarningAction::Assess | WarningAction::Decide => may_assess(a, &w.region_code, pushed),
        WarningAction::ToVisit => may_convert_to_visit(a, &w.region_code, pushed),
    }
}

/// 签收: a pushed department takes the warning on.
pub async fn sign(svc: &Services, a: &Actor, id: Uuid) -> Result<WarningDetail> {
    let (w, _, step) = prepare(svc, a, id, WarningAction::Sign).await?;
    step_on(svc, a, &w, step, None, serde_json::Value::Null).await?;
    get(svc, a, id).await
}

/// 开始处置: the department starts the response plan's measures (after the assessment's
/// decision for a major warning).
pub async fn handle(
    svc: &Services,
    a: &Actor,
    id: Uuid,
    note: Option<&str>,
) -> Result<WarningDetail> {
    let (w, _, mut step) = prepare(svc, a, id, WarningAction::Handle).await?;
    if let Some(n) = note.map(str::trim).filter(|n| !n.is_empty()) {
        step = step.because(reason(n).map_err(|e| ServiceError::field("note", e))?);
    }
    step_on(svc, a, &w, step, None, serde_json::Value::Null).await?;
    get(svc, a, id).await
}

/// 办结: closed with a mandatory reason (what was found and done, or why it was a false
/// alarm); every clock stops.
pub async fn close(svc: &Services, a: &Actor, id: Uuid, why: &str) -> Result<WarningDetail> {
    let why = reason(why).map_err(|e| ServiceError::field("reason", e))?;
    let (w, _, step) = prepare(svc, a, id, WarningAction::Close).await?;
    let step = step.because(why.clone());
    step_on(svc, a, &w, step, Some(&why), serde_json::Value::Null).await?;
    get(svc, a, id).await
}

/// A joint assessment's request: the departments invited besides those the warning was pushed
/// to (they then see the warning).
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
pub struct AssessInput {
    #[serde(default)]
    pub department_ids: Vec<Uuid>,
    /// What is to be assessed (optional).
    #[serde(default)]
    pub note: Option<String>,
}

/// 提请会商研判: the warning goes to a joint assessment of the pushed departments and those
/// invited (active departments of the warning's region or above).
pub async fn assess(
    svc: &Services,
    a: &Actor,
    id: Uuid,
    input: &AssessInput,
) -> Result<WarningDetail> {
    let (w, pushed, mut step) = prepare(svc, a, id, WarningAction::Assess).await?;
    let c = svc.store.conn();
    if input.department_ids.len() > 20 {
        return Err(ServiceError::field(
            "department_ids",
            Invalid::new("too_many", "至多邀请 20 个部门", "at most 20 departments"),
        ));
    }
    let found = lianjian_store::departments::by_ids(c, &input.department_ids).await?;
    let mut invited = Vec::new();
    for (i, d) in input.department_ids.iter().enumerate() {
        match found.get(d) {
            Some(x)
                if x.status == lianjian_domain::department::DepartmentStatus::Active
                    && (w.region_code.is_within(&x.region_code)
                        || x.region_code.is_within(&w.region_code)) =>
            {
                if !invited.contains(d) && !pushed.contains(d) {
                    invited.push(*d);
                }
            }
            _ => {
                return Err(ServiceError::field(
                    &format!("department_ids[{i}]"),
                    Invalid::new(
                        "unknown_department",
                        "邀请的部门不存在、已停用或不在预警所在地区",
                        "no such active department for the warning's region",
                    ),
                ));
            }
        }
    }
    if let Some(n) = input
        .note
        .as_deref()
        .map(str::trim)
        .filter(|n| !n.is_empty())
    {
        step = step.because(reason(n).map_err(|e| ServiceError::field("note", e))?);
    }
    let mut all = pushed.clone();
    all.extend(invited.iter().copied());
    let now = lianjian_domain::audit::audit_time(svc.now());
    let tx = svc.store.begin().await?;
    repo::add_departments(&tx, id, &invited).await?;
    repo::insert_assessment(
        &tx,
        &Assessment {
            id: Uuid::now_v7(),
            warning_id: id,
            departments: all.clone(),
            minutes: None,
            decision: None,
            requested_by: a.username.clone(),
            requested_at: now,
            decided_by: None,
            decided_at: None,
        },
    )
    .await?;
    apply_on(
        &tx,
        a,
        &w,
        &step,
        now,
        None,
        None,
        None,
        serde_json::json!({ "departments": all }),
    )
    .await?;
    tx.commit().await?;
    get(svc, a, id).await
}

/// The minutes and decision of a joint assessment.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
pub struct AssessmentDecision {
    /// 会商纪要.
    pub minutes: String,
    /// 研判结论 (what is to be done).
    pub decision: String,
}

/// 研判决定: the assessment's minutes and decision are recorded; handling may go on.
pub async fn decide(
    svc: &Services,
    a: &Actor,
    id: Uuid,
    input: &AssessmentDecision,
) -> Result<WarningDetail> {
    let mut ck = Checker::default();
    let minutes = ck.check("minutes", rules::minutes_text(&input.minutes));
    let decision = ck.check("decision", rules::decision_text(&input.decision));
    ck.finish()?;
    let (minutes, decision) = (minutes.expect("checked"), decision.expect("checked"));
    let (w, _, step) = prepare(svc, a, id, WarningAction::Decide).await?;
    let step = step.because(decision.clone());
    let now = lianjian_domain::audit::audit_time(svc.now());
    let tx = svc.store.begin().await?;
    if !repo::decide_assessment(&tx, id, &minutes, &decision, &a.username, now).await? {
        return Err(stale(&w.code));
    }
    apply_on(
        &tx,
        a,
        &w,
        &step,
        now,
        None,
        None,
        None,
        serde_json::json!({ "minutes": minutes }),
    )
    .await?;
    tx.commit().await?;
    get(svc, a, id).await
}

/// Turning a warning into a clue: what the clue says besides the warning's summary.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
pub struct ToClueInput {
    /// Added to the clue's content after the warning's summary.
    #[serde(default)]
    pub note: Option<String>,
}

/// 转为线索: registers a clue through the clue flow (source 数据监测/物联感知, kind 举报,
/// the entity and address from the directory), in one transaction with the warning's step.
pub async fn to_clue(
    svc: &Services,
    a: &Actor,
    id: Uuid,
    input: &ToClueInput,
) -> Result<WarningDetail> {
    let (w, _, step) = prepare(svc, a, id, WarningAction::ToClue).await?;
    let c = svc.store.conn();
    let entity = lianjian_store::entities::get(c, w.entity_id)
        .await?
        .ok_or(ServiceError::NotFound)?;
    let mut content = format!("风险预警 {}：{}", w.code, w.summary);
    if let Some(n) = input
        .note
        .as_deref()
        .map(str::trim)
        .filter(|n| !n.is_empty())
    {
        content.push_str(&format!("。{n}"));
    }
    let clue = crate::clues::ClueInput {
        source: lianjian_domain::clue::ClueSource::Monitoring
            .as_str()
            .into(),
        kind: lianjian_domain::clue::ClueKind::Report.as_str().into(),
        urgency: Some(
            if w.level.is_major() {
                "urgent"
            } else {
                "normal"
            }
            .into(),
        ),
        content,
        address: entity
            .address
            .clone()
            .filter(|s| s.trim().chars().count() >= 2)
            .unwrap_or_else(|| entity.name.clone()),
        region_code: entity.region_code.to_string(),
        entity_usci: Some(entity.usci.clone()),
        external_no: Some(w.code.clone()),
        ..Default::default()
    };
    let actor = a.clone();
    let now = lianjian_domain::audit::audit_time(svc.now());
    crate::clues::register_with(svc, a, &clue, Default::default(), |tx, x| async move {
        apply_on(
            &tx,
            &actor,
            &w,
            &step,
            now,
            Some(&x.code),
            Some(x.id),
            None,
            serde_json::json!({ "clue_id": x.id, "clue_code": x.code }),
        )
        .await?;
        Ok(tx)
    })
    .await?;
    get(svc, a, id).await
}

/// Turning a warning into a visit: the items to check, the officers and the period, as for any
/// ad-hoc visit.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
pub struct ToVisitInput {
    pub item_ids: Vec<Uuid>,
    /// Pool members (at least two officers).
    pub inspector_ids: Vec<Uuid>,
    /// YYYY-MM-DD.
    pub period_start: String,
    pub period_end: String,
}

/// What the 转为检查 form offers (the console; not an API schema): the published items led by
/// or involving the departments the warning was pushed to, and their active officers and
/// staff. The visit flow checks the choices again.
#[derive(Debug, Clone, Serialize)]
pub struct VisitChoices {
    /// `(item id, "code name")`.
    pub items: Vec<(Uuid, String)>,
    pub team: Vec<crate::inspectors::TeamChoice>,
}

/// The choices of [`to_visit`]'s form, for those who may turn the warning into a visit now.
pub async fn visit_choices(svc: &Services, a: &Actor, id: Uuid) -> Result<VisitChoices> {
    let (_, pushed, _) = prepare(svc, a, id, WarningAction::ToVisit).await?;
    let c = svc.store.conn();
    let mut items: Vec<(Uuid, String)> = Vec::new();
    for d in &pushed {
        let q = lianjian_store::items::ItemQuery {
            status: Some(lianjian_domain::item::ItemStatus::Published),
            department_id: Some(*d),
            ..Default::default()
        };
        let p =
            lianjian_store::items::list(c, &Scope::of(a), &q, PageRequest::new(Some(1), Some(200)))
                .await?;
        for it in p.items {
            if !items.iter().any(|(i, _)| *i == it.id) {
                items.push((it.id, format!("{} {}", it.code, it.name)));
            }
        }
    }
    Ok(VisitChoices {
        items,
        team: crate::inspectors::team_choices(svc, a, &pushed).await?,
    })
}

/// 转为检查: an ad-hoc visit with trigger 风险预警 to the warning's entity, created through the
/// visit flow in one transaction with the warning's step.
pub async fn to_visit(
    svc: &Services,
    a: &Actor,
    id: Uuid,
    input: &ToVisitInput,
) -> Result<WarningDetail> {
    let (w, _, step) = prepare(svc, a, id, WarningAction::ToVisit).await?;
    let c = svc.store.conn();
    let usci = lianjian_store::entities::get(c, w.entity_id)
        .await?
        .map(|e| e.usci)
        .unwrap_or_default();
    let spec = crate::visits::AdHocSpec {
        usci,
        item_ids: input.item_ids.clone(),
        trigger: lianjian_domain::visit::VisitTrigger::Warning
            .as_str()
            .into(),
        trigger_note: format!(
            "风险预警 {}：{}",
            w.code,
            w.summary.chars().take(60).collect::<String>()
        ),
        inspector_ids: input.inspector_ids.clone(),
        period_start: input.period_start.clone(),
        period_end: input.period_end.clone(),
    };
    let actor = a.clone();
    let now = lianjian_domain::audit::audit_time(svc.now());
    crate::visits::create_ad_hoc_with(svc, a, &spec, |tx, v| async move {
        apply_on(
            &tx,
            &actor,
            &w,
            &step,
            now,
            Some(&v.code),
            None,
            Some(v.id),
            serde_json::json!({ "visit_id": v.id, "visit_code": v.code }),
        )
        .await?;
        Ok(tx)
    })
    .await?;
    get(svc, a, id).await
}

// ---- the record pass ----

/// Entities a record condition holds for, with what it found (zh).
async fn record_matches(
    c: &impl Conn,
    cond: &Condition,
    now: DateTime<Utc>,
    today: NaiveDate,
) -> Result<BTreeMap<Uuid, Vec<String>>> {
    let mut out: BTreeMap<Uuid, Vec<String>> = BTreeMap::new();
    match cond {
        Condition::CountInWindow {
            fact,
            at_least,
            days,
        } => {
            let since = now - Duration::days(i64::from(*days));
            let rows = match fact {
                Fact::Complaints => repo::complaint_counts(c, since, *at_least).await?,
                Fact::Exceedances => repo::exceedance_counts(c, since, *at_least).await?,
                Fact::ProblemResults => repo::problem_result_counts(c, since, *at_least).await?,
            };
            for (e, n) in rows {
                out.entry(e)
                    .or_default()
                    .push(format!("{days} 天内{} {n} 次", fact.label_zh()));
            }
        }
        Condition::Expiry { what, within_days } => match what {
            ExpiryKind::Licence => {
                let until = today + Duration::days(i64::from(*within_days));
                for (e, t, no, to) in repo::licences_expiring(c, until).await? {
                    let s = if to < today {
                        format!("{t}（{no}）已于 {to} 过期")
                    } else {
                        format!("{t}（{no}）将于 {to} 到期")
                    };
                    out.entry(e).or_default().push(s);
                }
            }
            // The directory holds no special-equipment inspection dates yet: nothing matches.
            ExpiryKind::SpecialEquipment => {}
        },
        Condition::All { of } => {
            let mut first = true;
            for x in of {
                let m = Box::pin(record_matches(c, x, now, today)).await?;
                if first {
                    out = m;
                    first = false;
                } else {
                    out.retain(|k, _| m.contains_key(k));
                    for (k, v) in m {
                        if let Some(o) = out.get_mut(&k) {
                            o.extend(v);
                        }
                    }
                }
            }
        }
        Condition::Any { of } => {
            for x in of {
                for (k, v) in Box::pin(record_matches(c, x, now, today)).await? {
                    out.entry(k).or_default().extend(v);
                }
            }
        }
        Condition::Reading { .. } | Condition::Event { .. } | Condition::Silence { .. } => {}
    }
    Ok(out)
}

/// How long after a record warning of a rule and entity was created no new one is raised for
/// them once it was closed (the condition usually still holds: a licence still expiring):
/// the condition's window, at least a day.
fn quiet_days(c: &Condition) -> i64 {
    match c {
        Condition::CountInWindow { days, .. } => i64::from(*days),
        Condition::Expiry { within_days, .. } => i64::from(*within_days).max(1),
        Condition::All { of } | Condition::Any { of } => {
            of.iter().map(quiet_days).max().unwrap_or(1)
        }
        _ => 1,
    }
    .max(1)
}

/// The hourly pass over the platform's records: every active record rule in force is
/// evaluated; each entity it holds for is raised (an open warning folds the repeat; one closed
/// within the rule's window is not raised again). Returns (raised, folded).
pub async fn evaluate_records(svc: &Services, today: NaiveDate) -> Result<(usize, usize)> {
    let c = svc.store.conn();
    let now = svc.now();
    let mut raised = 0;
    let mut folded = 0;
    for v in repo::current_rules(c, Some("record")).await? {
        let r = &v.rule;
        let matches = record_matches(c, &r.condition, now, today).await?;
        let quiet: HashSet<Uuid> =
            repo::recently_finished(c, r.id, now - Duration::days(quiet_days(&r.condition)))
                .await?
                .into_iter()
                .collect();
        for (entity, found) in matches {
            if quiet.contains(&entity) {
                continue;
            }
            let t = Trigger {
                rule_id: r.id,
                rule_version: r.version,
                entity_id: entity,
                device_id: None,
                level: r.level,
                summary: format!("{}：{}", r.name, found.join("；")),
                observed_at: now,
                detail: serde_json::json!({ "found": found }),
            };
            match raise(svc, t).await {
                Ok(x) if x.folded => folded += 1,
                Ok(_) => raised += 1,
                Err(e) => {
                    tracing::warn!(rule = %r.code, %entity, error = %e, "record warning not raised")
                }
            }
        }
    }
    Ok((raised, folded))
}
