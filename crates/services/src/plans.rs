//! Annual inspection plans (年度抽查工作计划, 鲁 task 4): the lead department of a published item
//! files a plan for a year and a period inside it, with the item's cooperating departments; the
//! coordination office of the plan's region (or above) approves, returns or publishes it; a draw
//! moves published plans to in progress and on to completed. The coordination office sees the
//! aggregated annual plan of its level, as a table and as an xlsx file. Every change is audited
//! in the transaction that makes it.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, Utc};
use lianjian_domain::Invalid;
use lianjian_domain::account::Role;
use lianjian_domain::audit::AuditEntry;
use lianjian_domain::directory::loose_date;
use lianjian_domain::item::{DepartmentRole, ItemCategory, ItemStatus};
use lianjian_domain::plan::{
    self as rules, Bound, ClassRatios, Period, PlanAction, PlanParty, PlanStatus, RatioClass,
};
use lianjian_domain::region::RegionCode;
use lianjian_domain::scope::{Actor, Scope};
use lianjian_domain::tag_expr::TagExpr;
use lianjian_store::items::{self as item_repo, Item, ItemQuery};
use lianjian_store::plans::{self as repo};
use lianjian_store::{Conn, Page, PageRequest, StoreError, audit, departments, regions, tags};
use serde::Serialize;
use uuid::Uuid;

use crate::error::Checker;
use crate::trail::{Record, record, record_many};
use crate::{Result, ServiceError, Services, directory};

/// Plans as this service reads and lists them.
pub use lianjian_store::plans::{Plan, PlanDepartment, PlanQuery, PlanSort};

/// A plan as a form or an API call gives it. Blank values take the defaults.
#[derive(Debug, Clone, Default)]
pub struct PlanInput {
    /// The item: its id or code.
    pub item: String,
    pub year: String,
    /// Blank: 1 January of the year.
    pub period_start: String,
    /// Blank: 31 December of the year.
    pub period_end: String,
    /// Blank: the item's region, or the actor's if that is narrower.
    pub region_code: String,
    /// Tag expression narrowing the item's objects; blank for none.
    pub narrowing_expr: String,
    /// Percent texts (`5`, `2.5%`); blank: the default for the item's category.
    pub ratio_a: String,
    pub ratio_b: String,
    pub ratio_c: String,
    pub ratio_d: String,
    pub ratio_ungraded: String,
    pub cooldown_months: String,
    pub inspectors_per_visit: String,
    pub expert_count: String,
    /// Ids of the item's cooperating departments that take part; `None`: all of them.
    pub cooperating: Option<Vec<String>>,
    /// Comma- or 、-separated.
    pub qualifications: String,
    /// 按风险加权抽取: within each credit class, entities with a higher risk weight (their
    /// heaviest tag's) are likelier to be drawn; counts stay exact (issue 4).
    pub risk_weighted: bool,
    /// 随机对照比例 of a risk-weighted plan, a percent text; blank: 10 % when risk-weighted.
    /// Must be blank or 0 for a plan without risk weighting (its whole sample is random).
    pub control_share: String,
}

impl PlanInput {
    fn ratio(&self, c: RatioClass) -> &str {
        match c {
            RatioClass::A => &self.ratio_a,
            RatioClass::B => &self.ratio_b,
            RatioClass::C => &self.ratio_c,
            RatioClass::D => &self.ratio_d,
            RatioClass::Ungraded => &self.ratio_ungraded,
        }
    }

    /// The form of an existing plan (for editing).
    pub fn of_plan(p: &Plan, item_code: &str) -> Self {
        PlanInput {
            item: item_code.to_string(),
            year: p.year.to_string(),
            period_start: p.period_start.to_string(),
            period_end: p.period_end.to_string(),
            region_code: p.region_code.to_string(),
            narrowing_expr: p.narrowing_expr.clone().unwrap_or_default(),
            ratio_a: p.ratios.a.percent_text(),
            ratio_b: p.ratios.b.percent_text(),
            ratio_c: p.ratios.c.percent_text(),
            ratio_d: p.ratios.d.percent_text(),
            ratio_ungraded: p.ratios.ungraded.percent_text(),
            cooldown_months: p.cooldown_months.to_string(),
            inspectors_per_visit: p.inspectors_per_visit.to_string(),
            expert_count: p.expert_count.to_string(),
            cooperating: Some(p.cooperating_ids().iter().map(Uuid::to_string).collect()),
            qualifications: p.qualifications.join("、"),
            risk_weighted: p.risk_weighted,
            control_share: if p.risk_weighted {
                p.control_share.percent_text()
            } else {
                String::new()
            },
        }
    }
}

/// Whether something of region `r` concerns the actor's view: inside it, or covering it.
fn applies(a: &Actor, r: &RegionCode) -> bool {
    match a.scope().region {
        None => true,
        Some(s) => r.is_within(&s) || s.is_within(r),
    }
}

/// The item a plan is for: by id or code, published, and applying where the actor looks.
async fn resolve_item(svc: &Services, actor: &Actor, s: &str) -> Result<Item, Invalid> {
    let t = s.trim();
    let unknown = || {
        Invalid::new(
            "unknown_item",
            format!("监管事项“{t}”不存在或不在您的管辖范围内"),
            format!("item '{t}' does not exist or is outside your scope"),
        )
    };
    if t.is_empty() {
        return Err(Invalid::new("required", "请选择监管事项", "choose an item"));
    }
    let c = svc.store.conn();
    let found = match Uuid::parse_str(t) {
        Ok(id) => item_repo::get(c, id).await,
        Err(_) => item_repo::by_code(c, &t.to_ascii_uppercase()).await,
    };
    let item = match found {
        Ok(Some(i)) if applies(actor, &i.region_code) => i,
        Ok(_) => return Err(unknown()),
        Err(e) => {
            tracing::error!(error = %e, "item lookup failed");
            return Err(unknown());
        }
    };
    if item.status != ItemStatus::Published {
        return Err(Invalid::new(
            "item_not_published",
            format!(
                "事项“{}”当前为“{}”，只有已发布的事项可以制定抽查计划",
                item.name,
                item.status.label_zh()
            ),
            format!(
                "item {} is {}; only published items can have plans",
                item.code,
                item.status.as_str()
            ),
        ));
    }
    Ok(item)
}

/// Who files a plan for `item`: system administrators, coordination offices, and
/// administrators of the lead department's line (条线). Region is checked with the input.
async fn ensure_filer(svc: &Services, a: &Actor, item: &Item) -> Result<()> {
    if !may_file(a) {
        return Err(ServiceError::Forbidden);
    }
    if a.role == Role::DepartmentAdmin {
        let lead = departments::get(svc.store.conn(), item.lead_department_id).await?;
        if lead.is_none_or(|d| d.line != a.department_line) {
            return Err(ServiceError::Forbidden);
        }
    }
    Ok(())
}

/// Who approves, returns and publishes: system administrators and the coordination office of
/// the plan's region or a region above it.
fn ensure_office(a: &Actor, p: &Plan) -> Result<()> {
    let at_or_above = a
        .full_scope()
        .region
        .is_none_or(|r| p.region_code.is_within(&r));
    if PlanParty::Office.may(a.role) && at_or_above {
        Ok(())
    } else {
        Err(ServiceError::Forbidden)
    }
}

/// The 1-based character column where `tag` first appears as a whole word in `src`.
fn tag_column(src: &str, tag: &str) -> Option<usize> {
    let word = |c: char| c.is_alphanumeric() || matches!(c, '_' | '.' | '-');
    let chars: Vec<char> = src.chars().collect();
    let t: Vec<char> = tag.chars().collect();
    (0..chars.len()).find_map(|i| {
        let end = i + t.len();
        let fits = end <= chars.len()
            && chars[i..end] == t[..]
            && (i == 0 || !word(chars[i - 1]))
            && (end == chars.len() || !word(chars[end]));
        fits.then_some(i + 1)
    })
}

/// The narrowing expression, parsed and with every tag known, exactly as an item's object
/// expression is checked ([`directory::resolve`]); an unknown tag is named with its column.
async fn narrowing(svc: &Services, src: &str, ch: &mut Checker) -> Result<Option<Option<String>>> {
    if src.trim().is_empty() {
        return Ok(Some(None));
    }
    match directory::resolve(svc, src).await {
        Ok(r) => Ok(Some(Some(r.expr.to_string()))),
        Err(ServiceError::Invalid(fs)) => {
            for f in fs {
                let mut e = Invalid {
                    code: "narrowing_expr",
                    zh: f.message,
                    en: f.message_en,
                };
                if f.code == "unknown_tag"
                    && let Ok(parsed) = TagExpr::parse(src)
                {
                    for t in parsed.tags() {
                        if tags::by_code(svc.store.conn(), t).await?.is_none() {
                            let col = tag_column(src, t).unwrap_or(1);
                            e = Invalid::new(
                                "unknown_tag",
                                format!(
                                    "标签表达式第 {col} 列：标签“{t}”不存在，请检查拼写或先在标签库中创建"
                                ),
                                format!("tag expression, column {col}: unknown tag '{t}'"),
                            );
                            break;
                        }
                    }
                }
                ch.push("narrowing_expr", e);
            }
            Ok(None)
        }
        Err(e) => Err(e),
    }
}

/// Everything a plan is made of, checked against the item and the database.
struct Parsed {
    item: Item,
    year: i32,
    period: Period,
    region: RegionCode,
    narrowing_expr: Option<String>,
    ratios: ClassRatios,
    cooldown_months: u8,
    inspectors_per_visit: u8,
    expert_count: u8,
    risk_weighted: bool,
    control_share: rules::Ratio,
    departments: Vec<PlanDepartment>,
    qualifications: Vec<String>,
}

/// Parses `input`, reporting every bad field at once. The item and the actor's right to file
/// for it come first (a department of another line is refused before its input is read).
async fn parse(svc: &Services, actor: &Actor, input: &PlanInput) -> Result<Parsed> {
    if !may_file(actor) {
        return Err(ServiceError::Forbidden);
    }
    let item = resolve_item(svc, actor, &input.item)
        .await
        .map_err(|e| ServiceError::field("item", e))?;
    ensure_filer(svc, actor, &item).await?;
    let c = svc.store.conn();
    let mut ch = Checker::default();
    let year = ch.check("year", rules::plan_year(&input.year));
    let start = ch.check("period_start", loose_date(&input.period_start));
    let end = ch.check("period_end", loose_date(&input.period_end));
    let period = match (year, start, end) {
        (Some(y), Some(s), Some(e)) => {
            let whole = Period::year(y).expect("plan years are valid");
            match Period::new(y, s.unwrap_or(whole.start), e.unwrap_or(whole.end)) {
                Ok(p) => Some(p),
                Err(errs) => {
                    for (b, e) in errs {
                        let f = match b {
                            Bound::Start => "period_start",
                            Bound::End => "period_end",
                        };
                        ch.push(f, e);
                    }
                    None
                }
            }
        }
        _ => None,
    };
    let scope_region = actor.full_scope().region;
    let region_text = match input.region_code.trim() {
        "" => match &scope_region {
            Some(s) if s.is_within(&item.region_code) => s.to_string(),
            _ => item.region_code.to_string(),
        },
        t => t.to_string(),
    };
    let region = match ch.check("region_code", RegionCode::parse(&region_text)) {
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
        Some(r) if !r.is_within(&item.region_code) => {
            ch.push(
                "region_code",
                Invalid::new(
                    "outside_item",
                    format!("抽查范围“{r}”不在事项所属地区“{}”之内", item.region_code),
                    format!(
                        "region {r} is outside the item's region {}",
                        item.region_code
                    ),
                ),
            );
            None
        }
        Some(r) if scope_region.as_ref().is_some_and(|s| !r.is_within(s)) => {
            ch.push(
                "region_code",
                Invalid::new(
                    "outside_scope",
                    format!("抽查范围“{r}”超出您的管辖范围"),
                    format!("region {r} is outside your scope"),
                ),
            );
            None
        }
        r => r,
    };
    let narrowing_expr = narrowing(svc, &input.narrowing_expr, &mut ch).await?;
    let mut ratios = ClassRatios::defaults(item.category);
    for class in RatioClass::ALL {
        let t = input.ratio(*class);
        if !t.trim().is_empty()
            && let Some(r) = ch.check(class.field(), rules::Ratio::parse(t))
        {
            ratios.set(*class, r);
        }
    }
    let control_share = match (input.risk_weighted, input.control_share.trim()) {
        (true, "") => Some(rules::DEFAULT_CONTROL_SHARE),
        (false, "") => Some(rules::Ratio::ZERO),
        (weighted, t) => match ch.check("control_share", rules::Ratio::parse(t)) {
            Some(r) if !weighted && r != rules::Ratio::ZERO => {
                ch.push(
                    "control_share",
                    Invalid::new(
                        "control_share_unweighted",
                        "只有按风险加权抽取的计划才设随机对照比例：不加权的计划全部随机抽取",
                        "only a risk-weighted plan has a control share: a plan without weighting is random throughout",
                    ),
                );
                None
            }
            r => r,
        },
    };
    let cooldown_months = ch.check(
        "cooldown_months",
        rules::cooldown_months(&input.cooldown_months),
    );
    let inspectors_per_visit = ch.check(
        "inspectors_per_visit",
        rules::inspectors_per_visit(&input.inspectors_per_visit),
    );
    let expert_count = ch.check("expert_count", rules::expert_count(&input.expert_count));
    let qualifications = ch.check(
        "qualifications",
        rules::qualifications(&input.qualifications),
    );

    // The lead department, then the item's cooperating departments taking part (all by default).
    let mut parts = vec![PlanDepartment {
        department_id: item.lead_department_id,
        role: DepartmentRole::Lead,
    }];
    let item_coop: Vec<Uuid> = item
        .departments
        .iter()
        .filter(|d| d.role == DepartmentRole::Cooperating)
        .map(|d| d.department_id)
        .collect();
    match &input.cooperating {
        None => parts.extend(item_coop.iter().map(|id| PlanDepartment {
            department_id: *id,
            role: DepartmentRole::Cooperating,
        })),
        Some(chosen) => {
            let mut want = Vec::new();
            for s in chosen.iter().map(|s| s.trim()).filter(|s| !s.is_empty()) {
                match Uuid::parse_str(s).ok().filter(|id| item_coop.contains(id)) {
                    Some(id) => want.push(id),
                    None => ch.push(
                        "cooperating",
                        Invalid::new(
                            "not_cooperating",
                            format!(
                                "部门“{s}”不是该事项的配合部门，计划只能从事项的配合部门中选择"
                            ),
                            format!("department {s} is not a cooperating department of the item"),
                        ),
                    ),
                }
            }
            // In the item's order.
            parts.extend(item_coop.iter().filter(|id| want.contains(id)).map(|id| {
                PlanDepartment {
                    department_id: *id,
                    role: DepartmentRole::Cooperating,
                }
            }));
        }
    }
    ch.finish()?;
    Ok(Parsed {
        item,
        year: year.expect("checked"),
        period: period.expect("checked"),
        region: region.expect("checked"),
        narrowing_expr: narrowing_expr.expect("checked"),
        ratios,
        cooldown_months: cooldown_months.expect("checked"),
        inspectors_per_visit: inspectors_per_visit.expect("checked"),
        expert_count: expert_count.expect("checked"),
        risk_weighted: input.risk_weighted,
        control_share: control_share.expect("checked"),
        departments: parts,
        qualifications: qualifications.expect("checked"),
    })
}

fn apply(p: &mut Plan, x: Parsed) {
    p.item_id = x.item.id;
    p.item_version = x.item.version;
    p.year = x.year;
    p.period_start = x.period.start;
    p.period_end = x.period.end;
    p.region_code = x.region;
    p.narrowing_expr = x.narrowing_expr;
    p.ratios = x.ratios;
    p.cooldown_months = x.cooldown_months;
    p.inspectors_per_visit = x.inspectors_per_visit;
    p.expert_count = x.expert_count;
    p.risk_weighted = x.risk_weighted;
    p.control_share = x.control_share;
    p.departments = x.departments;
    p.qualifications = x.qualifications;
}

fn audit_record<'a>(action: &'a str, p: &Plan) -> Record<'a> {
    Record::new(action, "plan", p.id).at(&p.region_code, p.lead_department_id())
}

/// Files a draft plan for a published item. The code is the item's code, the year and the next
/// number: `WY-2024-01-2026-01`.
pub async fn create(svc: &Services, actor: &Actor, input: &PlanInput) -> Result<Plan> {
    let x = parse(svc, actor, input).await?;
    let now = Utc::now();
    let item_code = x.item.code.clone();
    let mut plan = Plan {
        id: Uuid::now_v7(),
        code: String::new(),
        item_id: x.item.id,
        item_version: x.item.version,
        year: x.year,
        period_start: x.period.start,
        period_end: x.period.end,
        region_code: x.region.clone(),
        narrowing_expr: None,
        ratios: x.ratios,
        cooldown_months: x.cooldown_months,
        inspectors_per_visit: x.inspectors_per_visit,
        expert_count: x.expert_count,
        risk_weighted: x.risk_weighted,
        control_share: x.control_share,
        status: PlanStatus::Draft,
        return_reason: None,
        submitted_at: None,
        late: false,
        approved_at: None,
        published_at: None,
        created_by: actor.username.clone(),
        created_at: now,
        updated_at: now,
        departments: Vec::new(),
        qualifications: Vec::new(),
    };
    apply(&mut plan, x);
    let tx = svc.store.begin().await?;
    plan.code = repo::next_code(&tx, &item_code, plan.year).await?;
    repo::insert(&tx, &plan).await.map_err(|e| match e {
        StoreError::Conflict(_) => ServiceError::conflict(
            "code",
            format!("计划编号“{}”已被使用，请重试", plan.code),
            format!("plan code {} is taken; retry", plan.code),
        ),
        other => other.into(),
    })?;
    record(&tx, actor, audit_record("plan.create", &plan).after(&plan)).await?;
    tx.commit().await?;
    Ok(plan)
}

/// The plan, if the actor may see it: its region inside the actor's view or covering it, and
/// for line-scoped roles, a department of the actor's line taking part. Others look absent.
pub async fn get(svc: &Services, actor: &Actor, id: Uuid) -> Result<Plan> {
    let p = repo::get(svc.store.conn(), id)
        .await?
        .ok_or(ServiceError::NotFound)?;
    if !applies(actor, &p.region_code) {
        return Err(ServiceError::NotFound);
    }
    if let Some(line) = actor.scope().line {
        let ids: Vec<Uuid> = p.departments.iter().map(|d| d.department_id).collect();
        let ds = departments::by_ids(svc.store.conn(), &ids).await?;
        if !ds.values().any(|d| d.line == line) {
            return Err(ServiceError::NotFound);
        }
    }
    Ok(p)
}

fn status_error(e: Invalid) -> ServiceError {
    ServiceError::field("status", e)
}

/// Changes a draft. The item stays the one the plan was filed for.
pub async fn update(svc: &Services, actor: &Actor, id: Uuid, input: &PlanInput) -> Result<Plan> {
    let before = get(svc, actor, id).await?;
    let item = item_repo::get(svc.store.conn(), before.item_id)
        .await?
        .ok_or(ServiceError::NotFound)?;
    ensure_filer(svc, actor, &item).await?;
    rules::ensure_editable(before.status).map_err(status_error)?;
    let mut input = input.clone();
    let named = input.item.trim();
    if named.is_empty() {
        input.item = item.id.to_string();
    } else if named != item.id.to_string() && !named.eq_ignore_ascii_case(&item.code) {
        return Err(ServiceError::field(
            "item",
            Invalid::new(
                "item_fixed",
                "计划创建后不能更换监管事项；如需为其他事项制定计划，请新建计划",
                "a plan's item cannot change; create a new plan for another item",
            ),
        ));
    }
    let x = parse(svc, actor, &input).await?;
    let mut after = before.clone();
    apply(&mut after, x);
    after.updated_at = Utc::now();
    let tx = svc.store.begin().await?;
    repo::update(&tx, &after).await?;
    record(
        &tx,
        actor,
        audit_record("plan.update", &after)
            .before(&before)
            .after(&after),
    )
    .await?;
    tx.commit().await?;
    Ok(after)
}

fn action_name(a: PlanAction) -> &'static str {
    match a {
        PlanAction::Submit => "plan.submit",
        PlanAction::Return => "plan.return",
        PlanAction::Approve => "plan.approve",
        PlanAction::Publish => "plan.publish",
        PlanAction::Start => "plan.start",
        PlanAction::Complete => "plan.complete",
    }
}

/// One move by a person (submit, return, approve, publish).
async fn act(
    svc: &Services,
    actor: &Actor,
    id: Uuid,
    action: PlanAction,
    reason: Option<&str>,
) -> Result<Plan> {
    act_at(svc, actor, id, action, reason, Utc::now()).await
}

/// [`act`] with the time the move is stamped with (the demo files its plans in March).
pub(crate) async fn act_at(
    svc: &Services,
    actor: &Actor,
    id: Uuid,
    action: PlanAction,
    reason: Option<&str>,
    now: DateTime<Utc>,
) -> Result<Plan> {
    let before = get(svc, actor, id).await?;
    match action.party() {
        PlanParty::Filer => {
            let item = item_repo::get(svc.store.conn(), before.item_id)
                .await?
                .ok_or(ServiceError::NotFound)?;
            ensure_filer(svc, actor, &item).await?;
        }
        PlanParty::Office => ensure_office(actor, &before)?,
        PlanParty::Draw => return Err(ServiceError::Forbidden),
    }
    let to = rules::transition(before.status, action).map_err(status_error)?;
    let mut after = before.clone();
    after.status = to;
    after.updated_at = now;
    match action {
        PlanAction::Submit => {
            let item = item_repo::get(svc.store.conn(), before.item_id)
                .await?
                .ok_or(ServiceError::NotFound)?;
            if item.status != ItemStatus::Published {
                return Err(ServiceError::field(
                    "item",
                    Invalid::new(
                        "item_not_published",
                        format!(
                            "事项“{}”当前为“{}”，不能报送其抽查计划",
                            item.name,
                            item.status.label_zh()
                        ),
                        format!(
                            "item {} is {}; its plan cannot be submitted",
                            item.code,
                            item.status.as_str()
                        ),
                    ),
                ));
            }
            after.item_version = item.version;
            after.submitted_at = Some(now);
            after.late = rules::is_late(after.year, now);
            after.return_reason = None;
        }
        PlanAction::Return => {
            let reason = rules::return_reason(reason.unwrap_or_default())
                .map_err(|e| ServiceError::field("reason", e))?;
            after.return_reason = Some(reason);
        }
        PlanAction::Approve => after.approved_at = Some(now),
        PlanAction::Publish => after.published_at = Some(now),
        PlanAction::Start | PlanAction::Complete => {}
    }
    let tx = svc.store.begin().await?;
    repo::update(&tx, &after).await?;
    record(
        &tx,
        actor,
        audit_record(action_name(action), &after)
            .before(&before)
            .after(&after),
    )
    .await?;
    tx.commit().await?;
    Ok(after)
}

/// The moves `actor` may make on `p` now (for the buttons a page shows), and whether it may
/// edit it.
pub async fn allowed(svc: &Services, actor: &Actor, p: &Plan) -> Result<(Vec<PlanAction>, bool)> {
    if actor.role.is_read_only() {
        return Ok((Vec::new(), false));
    }
    let item = item_repo::get(svc.store.conn(), p.item_id).await?;
    let filer = match &item {
        Some(i) => ensure_filer(svc, actor, i).await.is_ok(),
        None => false,
    };
    let office = ensure_office(actor, p).is_ok();
    let actions = PlanAction::from_status(p.status)
        .into_iter()
        .filter(|a| match a.party() {
            PlanParty::Filer => filer,
            PlanParty::Office => office,
            PlanParty::Draw => false,
        })
        .collect();
    Ok((actions, filer && p.status == PlanStatus::Draft))
}

/// Draft → submitted, by the lead department. Flags the plan late after 31 March of its year.
pub async fn submit(svc: &Services, actor: &Actor, id: Uuid) -> Result<Plan> {
    act(svc, actor, id, PlanAction::Submit, None).await
}

/// Submitted → draft, by the coordination office, with the reason the filer will read.
pub async fn return_plan(svc: &Services, actor: &Actor, id: Uuid, reason: &str) -> Result<Plan> {
    act(svc, actor, id, PlanAction::Return, Some(reason)).await
}

/// Submitted → approved, by the coordination office.
pub async fn approve(svc: &Services, actor: &Actor, id: Uuid) -> Result<Plan> {
    act(svc, actor, id, PlanAction::Approve, None).await
}

/// Approved → published (抽查计划公告), by the coordination office.
pub async fn publish(svc: &Services, actor: &Actor, id: Uuid) -> Result<Plan> {
    act(svc, actor, id, PlanAction::Publish, None).await
}

/// Moves made by a draw, inside the draw's own write transaction `c`. The caller has decided
/// that `actor` may run the draw; each move is checked and audited here.
async fn draw_move(
    c: &impl Conn,
    actor: &Actor,
    ids: &[Uuid],
    action: PlanAction,
) -> Result<Vec<Plan>> {
    let (_, to) = action.edge();
    let plans = repo::get_many(c, ids).await?;
    let mut unique = ids.to_vec();
    unique.sort();
    unique.dedup();
    if plans.len() != unique.len() {
        return Err(ServiceError::NotFound);
    }
    let mut errs = Checker::default();
    let mut moving = Vec::new();
    for p in &plans {
        if p.status == to {
            continue;
        }
        match rules::transition(p.status, action) {
            Ok(_) => moving.push(p),
            Err(e) => errs.push(
                "plans",
                Invalid::new(
                    e.code,
                    format!("计划 {}：{}", p.code, e.zh),
                    format!("plan {}: {}", p.code, e.en),
                ),
            ),
        }
    }
    errs.finish()?;
    let move_ids: Vec<Uuid> = moving.iter().map(|p| p.id).collect();
    repo::set_status_many(c, &move_ids, to).await?;
    let now = Utc::now();
    let afters: Vec<Plan> = moving
        .iter()
        .map(|p| Plan {
            status: to,
            updated_at: now,
            ..(*p).clone()
        })
        .collect();
    let records: Vec<Record<'_>> = moving
        .iter()
        .zip(&afters)
        .map(|(b, a)| {
            audit_record(action_name(action), a)
                .before(&serde_json::json!({"status": b.status.as_str()}))
                .after(&serde_json::json!({"status": a.status.as_str()}))
        })
        .collect();
    record_many(c, actor, records).await?;
    let mut out = repo::get_many(c, ids).await?;
    out.sort_by(|a, b| a.code.cmp(&b.code));
    Ok(out)
}

/// For the draw service, inside its write transaction: published → in progress for every plan
/// in `ids` (plans already in progress are left alone, as a re-draw finds them). Any other
/// status fails naming the plan; an unknown id is `NotFound`. Returns the plans as they are now.
pub async fn mark_in_progress(c: &impl Conn, actor: &Actor, ids: &[Uuid]) -> Result<Vec<Plan>> {
    draw_move(c, actor, ids, PlanAction::Start).await
}

/// For the draw service, inside its write transaction: in progress → completed (already
/// completed plans are left alone).
pub async fn complete(c: &impl Conn, actor: &Actor, ids: &[Uuid]) -> Result<Vec<Plan>> {
    draw_move(c, actor, ids, PlanAction::Complete).await
}

/// Published plans of `region`'s subtree whose period overlaps `from..=to`: what a draw may take.
pub async fn published_in_period(
    svc: &Services,
    region: &RegionCode,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Vec<Plan>> {
    Ok(repo::published_in_period(svc.store.conn(), region, from, to).await?)
}

/// Plans in the actor's view: regions inside it or covering it, and for line-scoped roles the
/// plans a department of the line takes part in. `q.within`, if set, narrows to a subtree;
/// `q.regions` and `q.line` are replaced by the view.
pub async fn list(
    svc: &Services,
    actor: &Actor,
    q: PlanQuery,
    page: PageRequest,
) -> Result<Page<Plan>> {
    // `within`, if the caller set it, narrows the view to a subtree (the store intersects it).
    Ok(repo::list(svc.store.conn(), &Scope::of(actor), &q, page).await?)
}

/// Published plans and later, for the public (抽查计划公告). A status filter narrows within them.
pub async fn public_list(svc: &Services, q: PlanQuery, page: PageRequest) -> Result<Page<Plan>> {
    let mut q = q;
    q.statuses.retain(|s| s.is_public());
    if q.statuses.is_empty() {
        q.statuses = PlanStatus::PUBLIC.to_vec();
    }
    q.late_only = false;
    Ok(repo::list(svc.store.conn(), &svc.public_scope(), &q, page).await?)
}

/// A published (or later) plan by code, for the public.
pub async fn public_get(svc: &Services, code: &str) -> Result<Plan> {
    match repo::by_code(svc.store.conn(), &code.trim().to_ascii_uppercase()).await? {
        Some(p) if p.status.is_public() && svc.site.publishes(&p.region_code, true) => Ok(p),
        _ => Err(ServiceError::NotFound),
    }
}

/// The plan's audit entries, oldest first: its status history.
pub async fn history(svc: &Services, actor: &Actor, id: Uuid) -> Result<Vec<AuditEntry>> {
    let p = get(svc, actor, id).await?;
    Ok(audit::of_object(svc.store.conn(), "plan", &p.id.to_string(), 200).await?)
}

/// Published items the actor may file plans for (a department administrator: those its line
/// leads), for the form's picker.
pub async fn fileable_items(svc: &Services, actor: &Actor) -> Result<Vec<Item>> {
    if !may_file(actor) {
        return Ok(Vec::new());
    }
    let c = svc.store.conn();
    let q = ItemQuery {
        status: Some(ItemStatus::Published),
        ..Default::default()
    };
    let page = item_repo::list(
        c,
        &Scope::of(actor),
        &q,
        PageRequest::new(Some(1), Some(PageRequest::MAX_PER_PAGE)),
    )
    .await?;
    if actor.role != Role::DepartmentAdmin {
        return Ok(page.items);
    }
    let ids: Vec<Uuid> = page.items.iter().map(|i| i.lead_department_id).collect();
    let ds = departments::by_ids(c, &ids).await?;
    Ok(page
        .items
        .into_iter()
        .filter(|i| {
            ds.get(&i.lead_department_id)
                .is_some_and(|d| d.line == actor.department_line)
        })
        .collect())
}

// ---- the aggregated annual plan of a level ----

/// One plan in the aggregated annual plan, with the names it shows.
#[derive(Debug, Clone, Serialize)]
pub struct AnnualRow {
    pub plan: Plan,
    pub item_code: String,
    pub item_name: String,
    pub item_category: ItemCategory,
    pub lead_department: String,
    pub cooperating_departments: Vec<String>,
    pub region_name: String,
}

/// The annual plan of one level (本级年度抽查工作计划): every plan its departments lead.
#[derive(Debug, Clone, Serialize)]
pub struct AnnualPlan {
    pub year: i32,
    pub region: RegionCode,
    pub region_name: String,
    pub rows: Vec<AnnualRow>,
    /// Plans per status (statuses with none left out), in life-cycle order.
    pub counts: Vec<(PlanStatus, u64)>,
    pub late: u64,
}

const ANNUAL_LIMIT: u64 = 5000;

/// Whether the actor files plans (department administrators of the lead line, coordination
/// offices, system administrators; the item is checked per plan). The console offers the
/// new-plan form only when this holds.
pub fn may_file(actor: &Actor) -> bool {
    PlanParty::Filer.may(actor.role)
}

/// Whether the actor reads the aggregated annual plan of a level ([`annual`]).
pub fn may_see_annual(actor: &Actor) -> bool {
    matches!(
        actor.role,
        Role::SystemAdmin | Role::CoordinationOffice | Role::Leader
    )
}

/// The annual plan of `region` (default: the actor's view) for `year`: the plans whose lead
/// department belongs to that region, by code. For coordination offices, system
/// administrators and leaders, within their scope.
pub async fn annual(svc: &Services, actor: &Actor, year: &str, region: &str) -> Result<AnnualPlan> {
    if !may_see_annual(actor) {
        return Err(ServiceError::Forbidden);
    }
    let mut ch = Checker::default();
    let year = ch.check("year", rules::plan_year(year));
    let region = match region.trim() {
        "" => Some(actor.scope().region.unwrap_or_else(|| actor.region.clone())),
        t => match ch.check("region", RegionCode::parse(t)) {
            Some(r) if actor.full_scope().region.is_some_and(|s| !r.is_within(&s)) => {
                ch.push(
                    "region",
                    Invalid::new(
                        "outside_scope",
                        format!("地区“{r}”超出您的管辖范围"),
                        format!("region {r} is outside your scope"),
                    ),
                );
                None
            }
            r => r,
        },
    };
    ch.finish()?;
    let (year, region) = (year.expect("checked"), region.expect("checked"));
    let c = svc.store.conn();
    let q = PlanQuery {
        year: Some(year),
        lead_region: Some(region.to_string()),
        sort: PlanSort::Code,
        ..Default::default()
    };
    let scope = Scope::ignoring_context(actor);
    let plans = repo::all(c, &scope, &q, ANNUAL_LIMIT).await?;
    let (counts, late) = repo::counts_by_status(c, &scope, &q).await?;
    let mut items: HashMap<Uuid, Item> = HashMap::new();
    for p in &plans {
        if !items.contains_key(&p.item_id)
            && let Some(i) = item_repo::get(c, p.item_id).await?
        {
            items.insert(i.id, i);
        }
    }
    let ids: Vec<Uuid> = plans
        .iter()
        .flat_map(|p| p.departments.iter().map(|d| d.department_id))
        .collect();
    let names = departments::by_ids(c, &ids).await?;
    let name = |id: Uuid| {
        names
            .get(&id)
            .map(|d| d.name.clone())
            .unwrap_or_else(|| "（部门已删除）".into())
    };
    let mut region_names: HashMap<String, String> = HashMap::new();
    let mut rows = Vec::with_capacity(plans.len());
    for p in plans {
        let key = p.region_code.to_string();
        if !region_names.contains_key(&key) {
            let n = regions::path_name(c, &p.region_code)
                .await
                .unwrap_or_else(|_| key.clone());
            region_names.insert(key.clone(), n);
        }
        let item = items.get(&p.item_id);
        rows.push(AnnualRow {
            item_code: item.map(|i| i.code.clone()).unwrap_or_default(),
            item_name: item.map(|i| i.name.clone()).unwrap_or_default(),
            item_category: item.map_or(ItemCategory::General, |i| i.category),
            lead_department: p.lead_department_id().map(name).unwrap_or_default(),
            cooperating_departments: p.cooperating_ids().into_iter().map(name).collect(),
            region_name: region_names[&key].clone(),
            plan: p,
        });
    }
    let region_name = regions::path_name(c, &region)
        .await
        .unwrap_or_else(|_| region.to_string());
    Ok(AnnualPlan {
        year,
        region,
        region_name,
        rows,
        counts,
        late,
    })
}

/// Columns of the annual plan sheet.
pub const ANNUAL_HEADERS: [&str; 19] = [
    "序号",
    "计划编号",
    "事项编码",
    "抽查事项",
    "事项类别",
    "牵头部门",
    "配合部门",
    "抽查范围",
    "开始日期",
    "结束日期",
    "A类比例",
    "B类比例",
    "C类比例",
    "D类比例",
    "未评级比例",
    "冷却期（月）",
    "每组检查人员",
    "状态",
    "报送日期",
];

/// The annual plan as an xlsx file: one row per plan, then 逾期报送 (是/否) in the last column.
pub async fn annual_xlsx(
    svc: &Services,
    actor: &Actor,
    year: &str,
    region: &str,
) -> Result<Vec<u8>> {
    let a = annual(svc, actor, year, region).await?;
    let mut headers: Vec<&str> = ANNUAL_HEADERS.to_vec();
    headers.push("逾期报送");
    let bj = chrono::FixedOffset::east_opt(8 * 3600).expect("valid offset");
    let rows = a
        .rows
        .iter()
        .enumerate()
        .map(|(i, r)| {
            let p = &r.plan;
            vec![
                (i + 1).to_string(),
                p.code.clone(),
                r.item_code.clone(),
                r.item_name.clone(),
                r.item_category.label_zh().to_string(),
                r.lead_department.clone(),
                r.cooperating_departments.join("、"),
                r.region_name.clone(),
                p.period_start.to_string(),
                p.period_end.to_string(),
                p.ratios.a.to_string(),
                p.ratios.b.to_string(),
                p.ratios.c.to_string(),
                p.ratios.d.to_string(),
                p.ratios.ungraded.to_string(),
                p.cooldown_months.to_string(),
                p.inspectors_per_visit.to_string(),
                p.status.label_zh().to_string(),
                p.submitted_at
                    .map(|t| t.with_timezone(&bj).format("%Y-%m-%d").to_string())
                    .unwrap_or_default(),
                if p.late { "是" } else { "否" }.to_string(),
            ]
        })
        .collect();
    Ok(crate::sheets::xlsx_table(
        &format!("{}年度抽查计划", a.year),
        &headers,
        rows,
    ))
}

#[cfg(test)]
mod tests {
    #[test]
    fn tag_columns() {
        use super::tag_column;
        assert_eq!(tag_column("食品 AND 没有", "没有"), Some(8));
        assert_eq!(tag_column("没有的标签 OR 没有", "没有"), Some(10));
        assert_eq!(tag_column("a-b AND b", "b"), Some(9));
        assert_eq!(tag_column("x", "y"), None);
    }
}
