//! Draws (双随机抽取, 国办发〔2023〕1号 (九); 鲁 task 12): the planner's preview, the commitment,
//! the draw itself, re-draws and the public records. The algorithm is `lianjian_domain::draw`
//! (pure, verifiable); this module freezes its input from the store and the directory index,
//! and turns its result into visits. Design: `docs/double-random.md`.

use lianjian_domain::draw::DrawStatus;
use lianjian_domain::lifecycle::Lifecycle;
use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::{Datelike, Months, NaiveDate, Utc};
use lianjian_domain::Invalid;
use lianjian_domain::account::{CertificateNumber, Role};
use lianjian_domain::draw::{
    self as algo, Bytes32, Candidate, DepartmentRef, DrawError, DrawFailure, DrawInput,
    DrawInspector, DrawPlan, DrawRecord, DrawResult, Exclusion, PerClass, PublicInput, Seeds,
};
use lianjian_domain::item::ItemCategory;
use lianjian_domain::plan::PlanStatus;
use lianjian_domain::region::RegionCode;
use lianjian_domain::scope::{Actor, Scope};
use lianjian_domain::tag_expr::{self, TagExpr};
use lianjian_domain::usci::Usci;
use lianjian_store::draws::{self as repo, DrawBody, Visit, VisitCheck, VisitInspector};
use lianjian_store::inspectors::{self as pool_repo, PoolMember};
use lianjian_store::plans::{self as plan_repo, Plan};
use lianjian_store::{Conn, Page, PageRequest, departments, entities, items as item_repo};
use serde::Serialize;
use uuid::Uuid;

use crate::error::Checker;
use crate::trail::{Record, record};
use crate::{Result, ServiceError, Services};

/// Draws as this service reads and lists them.
pub use lianjian_store::draws::{Draw, DrawQuery};

mod publication;
mod self_check;
mod witness;

pub use publication::{
    Embargo, PublicFailure, PublicPlan, PublicStratum, PublicSummary, PublicVisit, full_record,
    opening, public_record, summary as public_summary,
};
pub use self_check::{
    CODE_ALPHABET, CODE_LEN, IssuedCode, SelfCheck, codes_issued, display_code, issue_codes,
    self_check,
};
pub use witness::{WitnessSpec, WitnessStatus, Witnessed, awaiting, contribute, enter_beacon};

/// What the planner asks for: a region, a period and the plans (all published plans of the
/// region and period when none are named).
#[derive(Debug, Clone, Default)]
pub struct DrawSpec {
    pub title: String,
    pub region: String,
    pub period_start: String,
    pub period_end: String,
    pub plan_ids: Vec<Uuid>,
    /// How the draw will be witnessed (ignored by the preview).
    pub witness: WitnessSpec,
}

struct Parsed {
    title: String,
    region: RegionCode,
    from: NaiveDate,
    to: NaiveDate,
}

fn invalid(
    field: &str,
    code: &'static str,
    zh: impl Into<String>,
    en: impl Into<String>,
) -> ServiceError {
    ServiceError::field(field, Invalid::new(code, zh, en))
}

async fn parse_spec(svc: &Services, actor: &Actor, spec: &DrawSpec) -> Result<Parsed> {
    let mut ch = Checker::default();
    let region = match RegionCode::parse(spec.region.trim()) {
        Ok(r) => {
            if actor
                .scope()
                .region
                .as_ref()
                .is_some_and(|s| !r.is_within(s))
            {
                ch.push(
                    "region",
                    Invalid::new(
                        "outside_scope",
                        "所选行政区划超出您的权限范围",
                        "region outside your scope",
                    ),
                );
            }
            Some(r)
        }
        Err(e) => {
            ch.push("region", e);
            None
        }
    };
    let date = |field: &str, s: &str, ch: &mut Checker| match NaiveDate::parse_from_str(
        s.trim(),
        "%Y-%m-%d",
    ) {
        Ok(d) => Some(d),
        Err(_) => {
            ch.push(
                field,
                Invalid::new(
                    "date",
                    format!("日期“{}”不正确，应为 2026-10-01 这样的格式", s.trim()),
                    format!("date '{}' is not YYYY-MM-DD", s.trim()),
                ),
            );
            None
        }
    };
    let from = date("period_start", &spec.period_start, &mut ch);
    let to = date("period_end", &spec.period_end, &mut ch);
    if let (Some(f), Some(t)) = (from, to)
        && f > t
    {
        ch.push(
            "period_end",
            Invalid::new(
                "period_order",
                "结束日期早于开始日期",
                "the period ends before it starts",
            ),
        );
    }
    let title = spec.title.trim().to_string();
    if title.chars().count() > 100 {
        ch.push(
            "title",
            Invalid::new(
                "too_long",
                "标题最多 100 个字",
                "title: at most 100 characters",
            ),
        );
    }
    ch.finish()?;
    let (region, from, to) = (
        region.expect("checked"),
        from.expect("checked"),
        to.expect("checked"),
    );
    Ok(Parsed {
        // The default title names the region, not its code (issue 13: labels, never codes).
        title: if title.is_empty() {
            let name = match crate::regions::get(svc, region.as_str()).await {
                Ok(r) => r.name,
                Err(_) => region.to_string(),
            };
            format!("{name} {from} 至 {to} 联合双随机抽查")
        } else {
            title
        },
        region,
        from,
        to,
    })
}

/// Whether the actor commits and executes draws: coordination offices for every plan of their
/// region; department admins only for plans their own department line leads (checked per
/// plan); system admins anywhere. The console shows the draw actions only when this holds.
pub fn may_draw(actor: &Actor) -> bool {
    matches!(
        actor.role,
        Role::SystemAdmin | Role::CoordinationOffice | Role::DepartmentAdmin
    )
}

fn ensure_may_draw(actor: &Actor) -> Result<()> {
    if may_draw(actor) {
        Ok(())
    } else {
        Err(ServiceError::Forbidden)
    }
}

async fn plans_for(
    c: &impl Conn,
    actor: &Actor,
    p: &Parsed,
    ids: &[Uuid],
    replacing: Option<Uuid>,
) -> Result<Vec<Plan>> {
    let plans = if ids.is_empty() {
        plan_repo::published_in_period(c, &p.region, p.from, p.to).await?
    } else {
        let mut found = plan_repo::get_many(c, ids).await?;
        found.sort_by(|a, b| a.code.cmp(&b.code));
        if found.len() != ids.len() {
            return Err(invalid(
                "plan_ids",
                "unknown_plan",
                "所选计划不存在",
                "a chosen plan does not exist",
            ));
        }
        for pl in &found {
            let ok_status = pl.status == PlanStatus::Published
                || (replacing.is_some() && pl.status == PlanStatus::InProgress);
            if !ok_status {
                return Err(invalid(
                    "plan_ids",
                    "plan_not_published",
                    format!(
                        "计划 {} 状态为“{}”，只有已公布的计划可以抽取",
                        pl.code,
                        pl.status.label_zh()
                    ),
                    format!(
                        "plan {} is {}; only published plans can be drawn",
                        pl.code,
                        pl.status.as_str()
                    ),
                ));
            }
            if !pl.region_code.is_within(&p.region)
                || pl.period_start > p.to
                || pl.period_end < p.from
            {
                return Err(invalid(
                    "plan_ids",
                    "plan_outside",
                    format!("计划 {} 不在所选地区或期间内", pl.code),
                    format!("plan {} is outside the chosen region or period", pl.code),
                ));
            }
        }
        found
    };
    if plans.is_empty() {
        return Err(invalid(
            "plan_ids",
            "no_plans",
            "该地区和期间没有已公布、尚未抽取的抽查计划",
            "no published plans left to draw in this region and period",
        ));
    }
    if actor.role == Role::DepartmentAdmin {
        for pl in &plans {
            let lead = pl
                .departments
                .iter()
                .find(|d| d.role == lianjian_domain::item::DepartmentRole::Lead)
                .map(|d| d.department_id);
            let line = match lead {
                Some(id) => departments::get(c, id).await?.map(|d| d.line),
                None => None,
            };
            if line.as_deref() != Some(actor.department_line.as_str()) {
                return Err(ServiceError::Forbidden);
            }
        }
    }
    let ids: Vec<Uuid> = plans.iter().map(|p| p.id).collect();
    let busy: Vec<Uuid> = repo::plans_in_live_draws(c, &ids).await?;
    let busy: Vec<&Plan> = plans
        .iter()
        .filter(|p| busy.contains(&p.id))
        .filter(|_| replacing.is_none())
        .collect();
    if let Some(pl) = busy.first() {
        return Err(invalid(
            "plan_ids",
            "plan_already_drawn",
            format!(
                "计划 {} 已在另一次抽取中；如需重新抽取，请在原抽取记录上说明理由后重抽",
                pl.code
            ),
            format!(
                "plan {} is already part of a draw; re-draw that one with a reason",
                pl.code
            ),
        ));
    }
    Ok(plans)
}

/// A stage of a draw, timed by `lianjian bench --draw-path` (docs/performance.md): the span
/// lives as long as the returned value; nothing is recorded unless a subscriber asks for it.
fn stage(name: &'static str) -> tracing::Span {
    tracing::info_span!("draw_stage", stage = name)
}

fn lead_of(p: &Plan) -> Uuid {
    p.departments
        .iter()
        .find(|d| d.role == lianjian_domain::item::DepartmentRole::Lead)
        .map(|d| d.department_id)
        .unwrap_or_default()
}

fn ratios(p: &Plan) -> PerClass<u16> {
    PerClass {
        a: p.ratios.a.per_mille(),
        b: p.ratios.b.per_mille(),
        c: p.ratios.c.per_mille(),
        d: p.ratios.d.per_mille(),
        ungraded: p.ratios.ungraded.per_mille(),
    }
}

fn months_before(d: NaiveDate, m: u32) -> NaiveDate {
    d.checked_sub_months(Months::new(m)).unwrap_or(d)
}

/// Everything a draw freezes, built from the store and the directory index.
async fn build_input(
    svc: &Services,
    c: &impl Conn,
    p: &Parsed,
    plans: &[Plan],
    id: Uuid,
    redraw: Option<(Uuid, String)>,
) -> Result<DrawInput> {
    svc.ensure_index().await?;
    let st = stage("input: plans and items");
    let mut dept_names: HashMap<Uuid, String> = HashMap::new();
    let mut dref = async |id: Uuid| -> Result<DepartmentRef> {
        if !dept_names.contains_key(&id) {
            let name = departments::get(c, id)
                .await?
                .map(|d| d.name)
                .unwrap_or_default();
            dept_names.insert(id, name);
        }
        Ok(DepartmentRef {
            id,
            name: dept_names[&id].clone(),
        })
    };
    // Plans and their pools (item object definition ∧ plan narrowing ∧ plan region).
    let mut draw_plans = Vec::with_capacity(plans.len());
    let mut exprs: Vec<TagExpr> = Vec::with_capacity(plans.len());
    let mut items = Vec::with_capacity(plans.len());
    for pl in plans {
        let item = item_repo::get(c, pl.item_id)
            .await?
            .ok_or(ServiceError::NotFound)?;
        let mut parts = vec![
            tag_expr::parse(&item.object_expr)
                .map_err(|e| ServiceError::internal(lianjian_store::StoreError::Corrupt(e.en)))?,
            TagExpr::Region(pl.region_code.to_string()),
        ];
        if let Some(n) = pl
            .narrowing_expr
            .as_deref()
            .filter(|n| !n.trim().is_empty())
        {
            parts.push(
                tag_expr::parse(n).map_err(|e| {
                    ServiceError::internal(lianjian_store::StoreError::Corrupt(e.en))
                })?,
            );
        }
        exprs.push(TagExpr::And(parts));
        let lead = dref(lead_of(pl)).await?;
        let mut involved = Vec::new();
        for d in &pl.departments {
            involved.push(dref(d.department_id).await?);
        }
        involved.sort_by_key(|d| d.id);
        involved.dedup_by_key(|d| d.id);
        draw_plans.push(DrawPlan {
            id: pl.id,
            code: pl.code.clone(),
            item_code: item.code.clone(),
            item_name: item.name.clone(),
            key_item: item.category == ItemCategory::Key,
            lead_department: lead,
            involved_departments: involved,
            check_points: item.check_points.len() as u32,
            ratios: ratios(pl),
            inspectors_per_visit: u16::from(pl.inspectors_per_visit),
            experts_per_visit: u16::from(pl.expert_count),
            qualifications: pl.qualifications.clone(),
            risk_weighted: pl.risk_weighted,
            control_permille: if pl.risk_weighted {
                pl.control_share.per_mille()
            } else {
                0
            },
        });
        items.push(item);
    }

    drop(st);
    let st = stage("input: earlier visits and inspectors");
    // Exclusions from earlier visits: the cooldown per item, and class A at most once a year.
    let since = plans
        .iter()
        .map(|pl| months_before(pl.period_start, u32::from(pl.cooldown_months)))
        .chain(plans.iter().map(|pl| months_before(pl.period_start, 12)))
        .min()
        .unwrap_or(p.from);
    let mut item_checks: HashMap<(Uuid, Uuid), NaiveDate> = HashMap::new();
    let mut random_checks: HashMap<Uuid, NaiveDate> = HashMap::new();
    for (entity, item, trigger, start) in repo::checks_since(c, &p.region, since).await? {
        let e = item_checks.entry((entity, item)).or_insert(start);
        *e = (*e).max(start);
        if trigger == lianjian_domain::visit::VisitTrigger::Random {
            let r = random_checks.entry(entity).or_insert(start);
            *r = (*r).max(start);
        }
    }

    // Inspectors: the officers (and experts) of every involved department in the region.
    let dept_ids: Vec<Uuid> = {
        let mut v: Vec<Uuid> = draw_plans
            .iter()
            .flat_map(|p| p.involved_departments.iter().map(|d| d.id))
            .collect();
        v.sort();
        v.dedup();
        v
    };
    let mut members: Vec<PoolMember> = pool_repo::pool(c, &p.region, &dept_ids).await?;
    if draw_plans.iter().any(|p| p.experts_per_visit > 0) {
        members.extend(pool_repo::expert_pool(c, &p.region, &dept_ids).await?);
    }
    let workload = repo::workload_since(
        c,
        NaiveDate::from_ymd_opt(p.from.year(), 1, 1).expect("valid date"),
    )
    .await?;
    let mut cert_of: HashMap<Uuid, String> = members
        .iter()
        .map(|m| (m.id, m.certificate_number.clone()))
        .collect();
    let last = repo::last_inspectors(c, &p.region).await?;
    for ids in last.values() {
        for i in ids {
            if !cert_of.contains_key(i)
                && let Some(x) = pool_repo::get(c, *i).await?
            {
                cert_of.insert(*i, x.certificate_number);
            }
        }
    }

    // Risk weights (issue 4: "optional risk weighting within a class"): an entity weighs as its
    // heaviest tag in force today. Recorded only when a plan of the draw is risk-weighted, so
    // draws without weighting keep format lianjian-draw/1 (weights would not change them).
    let weight_of_tag: HashMap<String, u8> = if draw_plans.iter().any(|p| p.risk_weighted) {
        let today = Utc::now().date_naive();
        lianjian_store::tags::all(c)
            .await?
            .into_iter()
            .filter(|t| t.risk_weight > 1 && t.valid_on(today))
            .map(|t| (t.code, t.risk_weight))
            .collect()
    } else {
        HashMap::new()
    };
    // The risk model's level weighs too (issue 16 item 4): an entity weighs as the heavier of
    // its tags and its level (风险等级一级 4, 二级 3, 三级 2, else 1; `domain::risk::Level`).
    let weight_of_level: HashMap<Uuid, u8> = if draw_plans.iter().any(|p| p.risk_weighted) {
        lianjian_store::risk::draw_weights(c, &p.region).await?
    } else {
        HashMap::new()
    };
    drop(st);
    let st = stage("input: candidates from the index");
    let corrupt = |e: Invalid| ServiceError::internal(lianjian_store::StoreError::Corrupt(e.en));
    // Candidates: the union of the pools, in credit-code order, entities in business only,
    // each with its exclusions and previous inspectors; built straight from the index on every
    // core (docs/performance.md, the draw path).
    let (candidates, in_pool) = {
        let ix = svc.index.read().ok_or_else(|| {
            ServiceError::conflict(
                "index",
                "名录索引尚未就绪，请稍后再试",
                "the directory index is not ready yet",
            )
        })?;
        let active = ix
            .status_bitmap(lianjian_domain::directory::RegStatus::Active)
            .clone();
        let pools: Vec<_> = exprs.iter().map(|e| ix.eval(e) & &active).collect();
        let mut union = lianjian_engine::RoaringBitmap::new();
        for b in &pools {
            union |= b;
        }
        let nums = ix.in_usci_order(&union);
        let candidate = |n: u32| -> Result<Candidate> {
            let v = ix.entity(n).expect("member of the index");
            let id = v.id();
            let class = v.credit_class();
            let in_plans: Vec<u32> = pools
                .iter()
                .enumerate()
                .filter(|(_, b)| b.contains(n))
                .map(|(i, _)| i as u32)
                .collect();
            let mut exclusions = Vec::new();
            for &pi in &in_plans {
                let pl = &plans[pi as usize];
                let item = &items[pi as usize];
                let cool_from = months_before(pl.period_start, u32::from(pl.cooldown_months));
                if pl.cooldown_months > 0
                    && let Some(d) = item_checks.get(&(id, item.id))
                    && *d >= cool_from
                {
                    exclusions.push(Exclusion {
                        plan: pi,
                        reason: "cooldown".into(),
                        reason_zh: format!(
                            "{} 已就本事项检查，{} 个月内不重复抽取",
                            d, pl.cooldown_months
                        ),
                    });
                } else if class == Some(lianjian_domain::directory::CreditClass::A)
                    && let Some(d) = random_checks.get(&id)
                    && *d >= months_before(pl.period_start, 12)
                {
                    exclusions.push(Exclusion {
                        plan: pi,
                        reason: "class_a_yearly".into(),
                        reason_zh: format!("A 类主体一年内至多抽查一次（{} 已被抽查）", d),
                    });
                }
            }
            let previous_inspectors = last
                .get(&id)
                .map(|v| {
                    v.iter()
                        .filter_map(|i| cert_of.get(i))
                        .filter_map(|c| CertificateNumber::parse(c).ok())
                        .collect()
                })
                .unwrap_or_default();
            Ok(Candidate {
                usci: Usci::parse(v.usci()).map_err(corrupt)?,
                name: v.name().to_string(),
                credit_class: class,
                plans: in_plans,
                exclusions,
                previous_inspectors,
                risk_weight: if weight_of_tag.is_empty() && weight_of_level.is_empty() {
                    1
                } else {
                    lianjian_domain::tag::entity_risk_weight(
                        v.tags()
                            .iter()
                            .filter_map(|t| weight_of_tag.get(*t).copied())
                            .chain(weight_of_level.get(&id).copied()),
                    )
                },
            })
        };
        // Large pools in one chunk per core; the chunks stay in credit-code order.
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get().min(8));
        let per = nums.len().div_ceil(cores).max(50_000);
        let chunks: Vec<Result<Vec<Candidate>>> = std::thread::scope(|s| {
            let handles: Vec<_> = nums
                .chunks(per)
                .map(|chunk| s.spawn(|| chunk.iter().map(|&n| candidate(n)).collect()))
                .collect();
            handles
                .into_iter()
                .map(|h| h.join().expect("building candidates does not panic"))
                .collect()
        });
        let mut candidates = Vec::with_capacity(nums.len());
        for chunk in chunks {
            candidates.extend(chunk?);
        }
        // Declared conflicts that matter: with entities in the pools.
        let in_pool: HashSet<Uuid> = members
            .iter()
            .flat_map(|m| m.conflict_entity_ids())
            .filter(|e| ix.number(*e).is_some_and(|n| union.contains(n)))
            .collect();
        (candidates, in_pool)
    };

    drop(st);
    let st = stage("input: inspectors");
    let mut inspectors = Vec::with_capacity(members.len());
    for m in &members {
        let mut conflicts: Vec<Usci> = m
            .conflicts
            .iter()
            .filter(|k| in_pool.contains(&k.entity_id))
            .filter_map(|k| Usci::parse(&k.usci).ok())
            .collect();
        conflicts.sort();
        inspectors.push(DrawInspector {
            certificate: CertificateNumber::parse(&m.certificate_number).map_err(corrupt)?,
            name: m.name.clone(),
            department_id: m.department_id,
            kind: m.kind,
            qualifications: m.qualifications.clone(),
            conflicts,
            workload: workload.get(&m.id).copied().unwrap_or(0),
        });
    }
    inspectors.sort_by(|a, b| a.certificate.as_str().cmp(b.certificate.as_str()));
    let (redraw_of, redraw_reason) = match redraw {
        Some((id, r)) => (Some(id), Some(r)),
        None => (None, None),
    };
    let mut input = DrawInput {
        id,
        title: p.title.clone(),
        region_code: p.region.clone(),
        period_start: p.from,
        period_end: p.to,
        redraw_of,
        redraw_reason,
        plans: draw_plans,
        candidates,
        inspectors,
        v3: None,
    };
    drop(st);
    let st = stage("input: normalise");
    input.normalise();
    drop(st);
    Ok(input)
}

/// Published plans a draw of this region and period could take (the planner's check list);
/// empty while the region or dates do not parse.
pub async fn candidate_plans(
    svc: &Services,
    actor: &Actor,
    region: &str,
    from: &str,
    to: &str,
) -> Result<Vec<Plan>> {
    let spec = DrawSpec {
        region: region.into(),
        period_start: from.into(),
        period_end: to.into(),
        ..Default::default()
    };
    let Ok(p) = parse_spec(svc, actor, &spec).await else {
        return Ok(Vec::new());
    };
    Ok(plan_repo::published_in_period(svc.store.conn(), &p.region, p.from, p.to).await?)
}

// ---- the planner's preview ----

/// What the planner shows before anything is committed: the quotas (exact), and from a trial
/// draw with a throw-away seed, the joint visits it would make (the real draw's seed is not
/// known yet, so these figures are typical, not the result).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Preview {
    pub title: String,
    pub region_code: String,
    pub period_start: NaiveDate,
    pub period_end: NaiveDate,
    pub plans: Vec<PlanQuota>,
    pub candidates: u64,
    pub excluded: u64,
    pub inspectors: u64,
    /// One visit per plan and entity, as if every department went alone.
    pub separate_visits: u64,
    /// One visit per entity (进一次门、查多项事).
    pub joint_visits: u64,
    pub visits_saved: u64,
    /// Entities with the most checks in one visit.
    pub heaviest: Vec<Burden>,
    pub departments: Vec<DepartmentLoad>,
    /// The trial draw could not staff a visit: the real one would fail the same way unless
    /// the inspector pool changes.
    pub failure: Option<DrawFailure>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PlanQuota {
    pub plan_id: Uuid,
    pub code: String,
    pub item_name: String,
    pub lead_department: String,
    /// Per stratum A, B, C, D, not graded: (eligible, quota).
    pub strata: Vec<(String, u64, u64)>,
    pub total_quota: u64,
    /// 按风险加权抽取 within each class.
    pub risk_weighted: bool,
    /// Eligible candidates weighing more than 1 (0 unless the plan is risk-weighted).
    pub heavier: u64,
    /// 随机对照比例 in per mille (0 unless the plan is risk-weighted).
    pub control_permille: u16,
    /// Of `total_quota`, how many the control share draws at random.
    pub control: u64,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Burden {
    pub usci: String,
    pub name: String,
    pub items: Vec<String>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct DepartmentLoad {
    pub department: String,
    pub separate_visits: u64,
    pub joint_visits: u64,
    pub inspectors: u64,
}

fn quotas(input: &DrawInput) -> Vec<PlanQuota> {
    use lianjian_domain::draw::Stratum;
    input
        .plans
        .iter()
        .enumerate()
        .map(|(pi, pl)| {
            let mut eligible: PerClass<u64> = PerClass::default();
            let mut heavier = 0;
            for c in &input.candidates {
                if c.plans.contains(&(pi as u32)) && !c.is_excluded(pi as u32) {
                    *eligible.get_mut(c.stratum()) += 1;
                    heavier += u64::from(pl.risk_weighted && c.risk_weight > 1);
                }
            }
            let strata: Vec<(String, u64, u64)> = Stratum::ALL
                .iter()
                .map(|&h| {
                    let n = *eligible.get(h);
                    (
                        h.label_zh().to_string(),
                        n,
                        algo::quota(n, *pl.ratios.get(h)),
                    )
                })
                .collect();
            PlanQuota {
                plan_id: pl.id,
                code: pl.code.clone(),
                item_name: pl.item_name.clone(),
                lead_department: pl.lead_department.name.clone(),
                total_quota: strata.iter().map(|s| s.2).sum(),
                control: strata
                    .iter()
                    .map(|s| algo::control_quota(s.2, pl.control_permille))
                    .sum(),
                strata,
                risk_weighted: pl.risk_weighted,
                heavier,
                control_permille: pl.control_permille,
            }
        })
        .collect()
}

fn random_seed() -> Bytes32 {
    Bytes32(rand::random::<[u8; 32]>())
}

pub async fn preview(svc: &Services, actor: &Actor, spec: &DrawSpec) -> Result<Preview> {
    ensure_may_draw(actor)?;
    let p = parse_spec(svc, actor, spec).await?;
    let c = svc.store.conn();
    let plans = plans_for(c, actor, &p, &spec.plan_ids, None).await?;
    let mut input = build_input(svc, c, &p, &plans, Uuid::nil(), None).await?;
    let seeds = Seeds {
        server: random_seed(),
        witness: None,
        witness_name: None,
        v3: None,
    };
    // The trial is a `/1`–`/2` draw (no salts to compute for a preview), which has no control
    // share: the quotas below still show it; the trial only finds failures and joint visits.
    let shares: Vec<u16> = input
        .plans
        .iter_mut()
        .map(|pl| std::mem::take(&mut pl.control_permille))
        .collect();
    let trial = algo::draw(&input, &seeds);
    for (pl, share) in input.plans.iter_mut().zip(shares) {
        pl.control_permille = share;
    }
    let (result, failure) = match trial {
        Ok(r) => (Some(r), None),
        Err(DrawError::Failed(f)) => (None, Some(f)),
        Err(DrawError::Invalid {
            message,
            message_en,
            ..
        }) => {
            return Err(ServiceError::internal(lianjian_store::StoreError::Corrupt(
                format!("{message} ({message_en})"),
            )));
        }
    };
    let plans_q = quotas(&input);
    let separate: u64 = plans_q.iter().map(|q| q.total_quota).sum();
    let mut out = Preview {
        title: input.title.clone(),
        region_code: input.region_code.to_string(),
        period_start: input.period_start,
        period_end: input.period_end,
        candidates: input.candidates.len() as u64,
        excluded: input
            .candidates
            .iter()
            .filter(|c| !c.exclusions.is_empty())
            .count() as u64,
        inspectors: input.inspectors.len() as u64,
        separate_visits: separate,
        joint_visits: 0,
        visits_saved: 0,
        heaviest: Vec::new(),
        departments: Vec::new(),
        failure,
        plans: plans_q,
    };
    if let Some(r) = &result {
        fill_effects(&input, r, &mut out);
    }
    Ok(out)
}

/// Joint visits, the heaviest burdens and the load per department of a result.
fn fill_effects(input: &DrawInput, r: &DrawResult, out: &mut Preview) {
    out.joint_visits = r.visits.len() as u64;
    out.separate_visits = r.visits.iter().map(|v| v.plans.len() as u64).sum();
    out.visits_saved = out.separate_visits.saturating_sub(out.joint_visits);
    let name_of: HashMap<&Usci, &str> = input
        .candidates
        .iter()
        .map(|c| (&c.usci, c.name.as_str()))
        .collect();
    let mut heavy: Vec<&lianjian_domain::draw::Visit> =
        r.visits.iter().filter(|v| v.plans.len() > 1).collect();
    heavy.sort_by(|a, b| b.plans.len().cmp(&a.plans.len()).then(a.usci.cmp(&b.usci)));
    out.heaviest = heavy
        .into_iter()
        .take(10)
        .map(|v| Burden {
            usci: v.usci.to_string(),
            name: name_of
                .get(&v.usci)
                .copied()
                .unwrap_or_default()
                .to_string(),
            items: v
                .plans
                .iter()
                .map(|&p| input.plans[p as usize].item_name.clone())
                .collect(),
        })
        .collect();
    let mut per: BTreeMap<String, (u64, HashSet<&Usci>, HashSet<&str>)> = BTreeMap::new();
    let dept_of: HashMap<&str, Uuid> = input
        .inspectors
        .iter()
        .map(|i| (i.certificate.as_str(), i.department_id))
        .collect();
    let dept_name: HashMap<Uuid, &str> = input
        .plans
        .iter()
        .flat_map(|p| p.involved_departments.iter())
        .map(|d| (d.id, d.name.as_str()))
        .collect();
    for v in &r.visits {
        for &p in &v.plans {
            let e = per
                .entry(input.plans[p as usize].lead_department.name.clone())
                .or_default();
            e.0 += 1;
            e.1.insert(&v.usci);
        }
        for cert in &v.inspectors {
            if let Some(d) = dept_of.get(cert.as_str()) {
                let e = per
                    .entry(dept_name.get(d).copied().unwrap_or_default().to_string())
                    .or_default();
                e.2.insert(cert.as_str());
            }
        }
    }
    out.departments = per
        .into_iter()
        .map(|(department, (sep, joint, ins))| DepartmentLoad {
            department,
            separate_visits: sep,
            joint_visits: joint.len() as u64,
            inspectors: ins.len() as u64,
        })
        .collect();
}

// ---- commitment, draw, re-draw ----

async fn next_code(c: &impl Conn, region: &RegionCode, from: NaiveDate) -> Result<String> {
    let n = repo::count_in_year(c, region, from.year()).await? + 1;
    Ok(format!("CQ-{}-{}-{:03}", region, from.year(), n))
}

#[allow(clippy::too_many_arguments)]
async fn commit_in(
    svc: &Services,
    tx: &impl Conn,
    actor: &Actor,
    p: &Parsed,
    plans: &[Plan],
    redraw: Option<(Uuid, String)>,
    witness_spec: &WitnessSpec,
) -> Result<Draw> {
    let now = svc.now();
    // Parsed before the (expensive) pools are built: a bad witness plan fails fast.
    let w = witness::parse(tx, &p.region, witness_spec, now).await?;
    let id = Uuid::now_v7();
    let mut input = build_input(svc, tx, p, plans, id, redraw.clone()).await?;
    // Every new draw is lianjian-draw/3 (issue 11): the beacon's spec is part of what the
    // commitment names; the salt key (a second secret) salts the class and identity commitments.
    input.v3 = Some(algo::V3Terms {
        beacon: w.beacon.clone(),
    });
    let seed = random_seed();
    let salt_key = random_seed();
    let st = stage("commit: hashes and input JSON");
    input.normalise_v3(&salt_key);
    // The input's JSON is written while its hashes are computed, on two cores.
    let (committed, input_json) = std::thread::scope(|s| {
        let json = s.spawn(|| serde_json::to_string(&input).expect("serialisable"));
        let committed = algo::commit_v3_public(&input, &seed, &salt_key, now);
        (committed, json.join().expect("serialising does not panic"))
    });
    let (commitment, public_input) = committed.map_err(|b| {
        ServiceError::internal(lianjian_store::StoreError::Corrupt(format!(
            "{}: {}",
            b.field, b.invalid.en
        )))
    })?;
    drop(st);
    let d = Draw {
        id,
        code: next_code(tx, &p.region, p.from).await?,
        region_code: p.region.clone(),
        title: p.title.clone(),
        period_start: p.from,
        period_end: p.to,
        status: DrawStatus::Committed,
        redraw_of: redraw.as_ref().map(|r| r.0),
        redraw_reason: redraw.map(|r| r.1),
        superseded_by: None,
        candidates_sha256: commitment.candidates_sha256.to_hex(),
        inspectors_sha256: commitment.inspectors_sha256.to_hex(),
        seed_sha256: commitment.seed_sha256.to_hex(),
        witness_name: None,
        visit_count: 0,
        created_by: actor.username.clone(),
        committed_at: now,
        drawn_at: None,
        beacon_source: w.beacon.as_ref().map(|b| b.source.clone()),
        beacon_reference: w.beacon.as_ref().map(|b| b.reference.clone()),
        beacon_available_on: w.beacon.as_ref().map(|b| b.available_on),
        beacon_value: None,
        beacon_entered_by: None,
        beacon_entered_at: None,
        unwitnessed_reason: w.unwitnessed_reason.clone(),
        publish_delay_days: w.publish_delay_days,
    };
    let body = DrawBody {
        input_json,
        server_seed: seed.to_hex(),
        salt_key: Some(salt_key.to_hex()),
        witness_seed: None,
        record_json: None,
        failure_json: None,
    };
    let st = stage("commit: write draw and audit");
    let plan_ids: Vec<Uuid> = plans.iter().map(|p| p.id).collect();
    repo::insert(tx, &d, &body, &plan_ids).await?;
    witness::invite(tx, actor, id, &w, now).await?;
    record(
        tx,
        actor,
        Record::new("draw.commit", "draw", d.id).at(&d.region_code, None).after(&serde_json::json!({
            "code": d.code, "plans": plans.iter().map(|p| &p.code).collect::<Vec<_>>(),
            "candidates": input.candidates.len(), "inspectors": input.inspectors.len(),
            "candidates_sha256": d.candidates_sha256, "inspectors_sha256": d.inspectors_sha256,
            "seed_sha256": d.seed_sha256, "redraw_of": d.redraw_of, "redraw_reason": d.redraw_reason,
            "supervisors": w.supervisors.iter().map(|u| &u.username).collect::<Vec<_>>(),
            "beacon": w.beacon, "unwitnessed_reason": d.unwitnessed_reason,
            "publish_delay_days": d.publish_delay_days,
        })),
    )
    .await?;
    svc.committed_input
        .put(d.id, input, body.input_json, commitment, Some(public_input));
    drop(st);
    Ok(d)
}

/// Step 1: freezes the pools and two secrets (the server seed and the salt key), invites the
/// witnesses and publishes the commitment.
pub async fn commit(svc: &Services, actor: &Actor, spec: &DrawSpec) -> Result<Draw> {
    ensure_may_draw(actor)?;
    let p = parse_spec(svc, actor, spec).await?;
    let tx = svc.store.begin().await?;
    let plans = plans_for(&tx, actor, &p, &spec.plan_ids, None).await?;
    let d = commit_in(svc, &tx, actor, &p, &plans, None, &spec.witness).await?;
    let st = stage("commit: transaction commit");
    tx.commit().await?;
    drop(st);
    Ok(d)
}

async fn visible(c: &impl Conn, actor: &Actor, id: Uuid) -> Result<Draw> {
    let d = repo::get(c, id).await?.ok_or(ServiceError::NotFound)?;
    if actor
        .scope()
        .region
        .as_ref()
        .is_some_and(|r| !d.region_code.is_within(r))
    {
        return Err(ServiceError::NotFound);
    }
    Ok(d)
}

/// The input of the draw this process committed last, with its JSON as stored and its
/// commitment, kept until the draw is executed: executing it then needs neither to read back
/// nor to parse and hash its input again (tens of megabytes at a province's scale,
/// docs/performance.md), and the draw's row is sealed from the JSON held. Only ever one
/// draw's; a miss (a restart, another server, another draw committed since) reads the stored
/// input as before.
#[derive(Clone, Default)]
#[allow(clippy::type_complexity)]
pub struct CommittedInput(
    std::sync::Arc<
        std::sync::Mutex<
            Option<(
                Uuid,
                DrawInput,
                String,
                algo::Commitment,
                Option<PublicInput>,
            )>,
        >,
    >,
);

impl std::fmt::Debug for CommittedInput {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("CommittedInput")
    }
}

impl CommittedInput {
    fn put(
        &self,
        id: Uuid,
        input: DrawInput,
        input_json: String,
        commitment: algo::Commitment,
        public: Option<PublicInput>,
    ) {
        *self.0.lock().unwrap_or_else(|e| e.into_inner()) =
            Some((id, input, input_json, commitment, public));
    }

    #[allow(clippy::type_complexity)]
    fn take(&self, id: Uuid) -> Option<(DrawInput, String, algo::Commitment, Option<PublicInput>)> {
        let mut slot = self.0.lock().unwrap_or_else(|e| e.into_inner());
        match slot.take() {
            Some((held, input, input_json, commitment, public)) if held == id => {
                Some((input, input_json, commitment, public))
            }
            other => {
                *slot = other;
                None
            }
        }
    }
}

/// What a committed draw was committed to: its input (parsed, and its JSON as stored), server
/// seed and commitment (the stored commitment time), from [`CommittedInput`] if this process
/// committed it last (then with the public input the commitment hashed), otherwise read back,
/// parsed and hashed again. The caller compares the hashes with the published ones.
#[allow(clippy::type_complexity)]
async fn committed_input(
    svc: &Services,
    c: &impl Conn,
    d: &Draw,
) -> Result<(
    DrawInput,
    String,
    Bytes32,
    Option<Bytes32>,
    algo::Commitment,
    Option<PublicInput>,
)> {
    let corrupt = |m: String| ServiceError::internal(lianjian_store::StoreError::Corrupt(m));
    if let Some((input, input_json, mut commitment, public)) = svc.committed_input.take(d.id) {
        let st = stage("execute: input held since the commitment");
        let (seed, salt_key) = repo::secrets(c, d.id)
            .await?
            .ok_or(ServiceError::NotFound)?;
        let server = Bytes32::from_hex(&seed).map_err(corrupt)?;
        let salt_key = salt_key
            .map(|k| Bytes32::from_hex(&k).map_err(corrupt))
            .transpose()?;
        // The stored seed and time, as a read-back input would be committed with.
        commitment.seed_sha256 = if input.v3.is_some() {
            algo::v3::seed_commitment(&server)
        } else {
            algo::seed_sha256(&server)
        };
        commitment.committed_at = d.committed_at;
        drop(st);
        return Ok((input, input_json, server, salt_key, commitment, public));
    }
    let st = stage("execute: read and parse input");
    let body = repo::body(c, d.id).await?.ok_or(ServiceError::NotFound)?;
    let input: DrawInput =
        serde_json::from_str(&body.input_json).map_err(|e| corrupt(e.to_string()))?;
    drop(st);
    let st = stage("execute: hashes again");
    let server = Bytes32::from_hex(&body.server_seed).map_err(corrupt)?;
    let salt_key = body
        .salt_key
        .as_deref()
        .map(|k| Bytes32::from_hex(k).map_err(corrupt))
        .transpose()?;
    let (commitment, public) = match &salt_key {
        Some(k) if input.v3.is_some() => {
            algo::commit_v3_public(&input, &server, k, d.committed_at).map(|(c, p)| (c, Some(p)))
        }
        _ => algo::commit(&input, &server, d.committed_at).map(|c| (c, None)),
    }
    .map_err(|b| corrupt(format!("{}: {}", b.field, b.invalid.en)))?;
    drop(st);
    Ok((input, body.input_json, server, salt_key, commitment, public))
}

/// The outcome of step 2.
#[derive(Debug, Clone, Serialize)]
pub struct Executed {
    pub draw: Draw,
    pub failure: Option<DrawFailure>,
}

/// The visits of a draw's result, with their checks and teams: visit `n` (0-based, in the
/// result's credit-code order) gets code `<draw code>-<n + 1>`. Entities, plans and inspectors
/// are looked up once for all visits and the rows go in with multi-row statements
/// (docs/performance.md, the draw path). Returns the draw's plans and the SHA-256 of the
/// visits as written ([`visits_sha256`]), which the `draw.execute` audit entry records: one
/// entry covers every visit of the draw (docs/audit-log.md).
async fn create_visits(
    tx: &impl Conn,
    d: &Draw,
    input: &DrawInput,
    result: &DrawResult,
    now: chrono::DateTime<Utc>,
) -> Result<(Vec<Plan>, String)> {
    let corrupt = |m: String| ServiceError::internal(lianjian_store::StoreError::Corrupt(m));
    let plans = plan_repo::get_many(tx, &repo::plan_ids(tx, d.id).await?).await?;
    let plan_by_id: HashMap<Uuid, &Plan> = plans.iter().map(|p| (p.id, p)).collect();
    let ucodes: Vec<&str> = result.visits.iter().map(|v| v.usci.as_str()).collect();
    let found = entities::ids_by_uscis(tx, &ucodes).await?;
    let certs: Vec<String> = input
        .inspectors
        .iter()
        .map(|i| i.certificate.as_str().to_string())
        .collect();
    let ins = pool_repo::by_certificates(tx, &certs).await?;
    let ins_by_cert: HashMap<&str, (Uuid, Uuid)> = ins
        .values()
        .map(|i| (i.certificate_number.as_str(), (i.id, i.department_id)))
        .collect();
    // Per plan of the input: its check on a visit.
    let check_of: Vec<VisitCheck> = input
        .plans
        .iter()
        .map(|dp| VisitCheck {
            plan_id: dp.id,
            item_id: plan_by_id
                .get(&dp.id)
                .map(|p| p.item_id)
                .unwrap_or_default(),
            department_id: dp.lead_department.id,
            selection: None,
        })
        .collect();
    // How the draw picked the entity for a plan (docs/draw-algorithm.md 12.13).
    let selection = |pi: u32, v: &algo::Visit| {
        use lianjian_domain::visit::DrawSelection;
        Some(if v.control_plans.contains(&pi) {
            DrawSelection::Control
        } else if input.plans[pi as usize].risk_weighted {
            DrawSelection::Weighted
        } else {
            DrawSelection::Random
        })
    };
    let mut rows = Vec::with_capacity(result.visits.len());
    for (n, v) in result.visits.iter().enumerate() {
        let (entity_id, region) = found
            .get(v.usci.as_str())
            .ok_or_else(|| corrupt(format!("entity {} vanished", v.usci)))?;
        let lead = &input.plans[v.lead_plan as usize];
        rows.push(repo::NewVisit {
            visit: Visit {
                id: Uuid::now_v7(),
                code: format!("{}-{:04}", d.code, n + 1),
                draw_id: Some(d.id),
                entity_id: *entity_id,
                region_code: region.clone(),
                lead_department_id: lead.lead_department.id,
                trigger: lianjian_domain::visit::VisitTrigger::Random,
                trigger_note: None,
                status: lianjian_domain::visit::VisitStatus::Scheduled,
                period_start: d.period_start,
                period_end: d.period_end,
                visited_on: None,
                created_at: now,
                updated_at: now,
            },
            checks: v
                .plans
                .iter()
                .map(|&pi| VisitCheck {
                    selection: selection(pi, v),
                    ..check_of[pi as usize].clone()
                })
                .collect(),
            inspectors: v
                .inspectors
                .iter()
                .chain(v.experts.iter())
                .filter_map(|c| ins_by_cert.get(c.as_str()))
                .map(|(i, dept)| VisitInspector {
                    inspector_id: *i,
                    department_id: *dept,
                })
                .collect(),
        });
    }
    repo::insert_visits(tx, &rows).await?;
    Ok((plans, visits_sha256(&rows)))
}

/// SHA-256 (hex) of the visits a draw created, in the record's order, one line each:
/// `code TAB visit id TAB entity id TAB region TAB lead department id TAB checks TAB team LF`,
/// checks as `plan:item:department:selection` (`random`, `control` or `weighted`; draws made
/// before the control share have no selection and no last part) and the team as `inspector:department` in `seq` order,
/// each list joined by `,` (docs/audit-log.md, "Draws and their visits").
fn visits_sha256(rows: &[repo::NewVisit]) -> String {
    use sha2::{Digest, Sha256};
    use std::fmt::Write;
    let mut h = Sha256::new();
    let mut line = String::with_capacity(512);
    for n in rows {
        let v = &n.visit;
        line.clear();
        let _ = write!(
            line,
            "{}\t{}\t{}\t{}\t{}\t",
            v.code, v.id, v.entity_id, v.region_code, v.lead_department_id
        );
        for (i, c) in n.checks.iter().enumerate() {
            let sep = if i == 0 { "" } else { "," };
            let _ = write!(line, "{sep}{}:{}:{}", c.plan_id, c.item_id, c.department_id);
            if let Some(x) = c.selection {
                let _ = write!(line, ":{}", x.as_str());
            }
        }
        line.push('\t');
        for (i, t) in n.inspectors.iter().enumerate() {
            let sep = if i == 0 { "" } else { "," };
            let _ = write!(line, "{sep}{}:{}", t.inspector_id, t.department_id);
        }
        line.push('\n');
        h.update(line.as_bytes());
    }
    hex::encode(h.finalize())
}

/// Step 2: the draw, once every invited supervisor has contributed and the named beacon's
/// value is entered (409 naming what is missing until then). The office executes rather than
/// the last contribution (docs/double-random.md). A draw that cannot meet a rule is stored as
/// failed, with the reason.
pub async fn execute(svc: &Services, actor: &Actor, id: Uuid) -> Result<Executed> {
    ensure_may_draw(actor)?;
    let tx = svc.store.begin().await?;
    let d = visible(&tx, actor, id).await?;
    if !d.status.can_move_to(DrawStatus::Drawn) {
        return Err(ServiceError::conflict(
            "status",
            format!("抽取 {} 已经执行过，结果不可更改", d.code),
            format!("draw {} has already been drawn", d.code),
        ));
    }
    let corrupt = |m: String| ServiceError::internal(lianjian_store::StoreError::Corrupt(m));
    let missing = witness::missing(&tx, &d).await?;
    if !missing.is_empty() {
        let (zh, en): (Vec<String>, Vec<String>) = missing.into_iter().unzip();
        return Err(ServiceError::conflict(
            "witnesses",
            format!("还不能执行抽取，尚待：{}", zh.join("；")),
            format!("cannot draw yet; waiting for {}", en.join("; ")),
        ));
    }
    let (input, input_json, server, salt_key, commitment, public_input) =
        committed_input(svc, &tx, &d).await?;
    // Legacy draws committed before lianjian-draw/3 took a free witness seed typed by staff
    // (grindable, issue 11): they are not executed any more, only re-drawn.
    let Some(salt_key) = salt_key else {
        return Err(ServiceError::conflict(
            "format",
            format!(
                "抽取 {} 是旧格式的承诺（无独立见证），不能再执行；请说明理由后重新抽取",
                d.code
            ),
            format!(
                "draw {} was committed in a legacy format without independent witnesses; re-draw it",
                d.code
            ),
        ));
    };
    let seeds = Seeds {
        server,
        witness: None,
        witness_name: None,
        v3: Some(witness::seeds_v3(&tx, &d, salt_key).await?),
    };
    if let (Some(v3), Some(terms)) = (&seeds.v3, &input.v3) {
        v3.validate(terms)
            .map_err(|b| corrupt(format!("{}: {}", b.field, b.invalid.en)))?;
    }
    if commitment.candidates_sha256.to_hex() != d.candidates_sha256
        || commitment.inspectors_sha256.to_hex() != d.inspectors_sha256
        || commitment.seed_sha256.to_hex() != d.seed_sha256
    {
        return Err(corrupt(format!(
            "draw {} no longer matches its commitment",
            d.code
        )));
    }
    let now = svc.now();
    // Who witnessed, in the list's terms (the record binds each value to its account).
    let witness_name = witness_label(&seeds, &d);
    let wit_ref = Some((witness_name.as_str(), ""));
    let st = stage("execute: selection and assignment");
    let outcome = algo::draw_committed(&input, &seeds, &commitment);
    drop(st);
    let (status, failure, visits_hash) = match outcome {
        Ok(result) => {
            // The record is serialised on another core while the visits are written, without
            // its input, which the row already holds (`DrawRecord::to_json_without_input`;
            // the store joins them on read): at a province's scale 7 MB written, sealed and
            // committed in this transaction instead of 93 (docs/performance.md).
            let st = stage("execute: visits, record serialised meanwhile");
            let rec = std::sync::Arc::new(DrawRecord::new(input, commitment, seeds, now, result));
            let json = {
                let rec = rec.clone();
                tokio::task::spawn_blocking(move || rec.to_json_without_input())
            };
            // The public variant (issue 11 item 3) is generated once, here, and stored: the
            // portal serves the stored bytes instead of rebuilding it from the full record on
            // every request. `/1` and `/2` records have none.
            let public_json = {
                let rec = rec.clone();
                tokio::task::spawn_blocking(move || {
                    match public_input {
                        // The public input the commitment hashed: the same salts and
                        // commitments, not computed again.
                        Some(p) => rec.public_variant_from(p),
                        None => rec.public_variant(),
                    }
                    .map(|p| p.to_json())
                })
            };
            let (plans, visits_hash) = create_visits(&tx, &d, &rec.input, &rec.result, now).await?;
            let plan_ids: Vec<Uuid> = plans.iter().map(|p| p.id).collect();
            crate::plans::mark_in_progress(&tx, actor, &plan_ids).await?;
            let visits = rec.result.visits.len() as i32;
            let rec_json = json
                .await
                .map_err(|e| corrupt(format!("serialising the record: {e}")))?;
            drop(st);
            let st = stage("execute: write record");
            repo::complete(
                &tx,
                id,
                "drawn",
                wit_ref,
                Some(&rec_json),
                None,
                visits,
                now,
                &input_json,
            )
            .await?;
            drop(st);
            let st = stage("execute: write public variant");
            let public_json = public_json
                .await
                .map_err(|e| corrupt(format!("generating the public variant: {e}")))?;
            if let Some(pj) = public_json {
                repo::insert_public_record(&tx, id, &pj, now).await?;
            }
            drop(st);
            ("drawn", None, Some(visits_hash))
        }
        Err(DrawError::Failed(f)) => {
            let failure_json = serde_json::json!({
                "format": input.format(), "input": input, "commitment": commitment, "seeds": seeds,
                "drawn_at": now, "failure": f,
            });
            repo::complete(
                &tx,
                id,
                "failed",
                wit_ref,
                None,
                Some(&failure_json.to_string()),
                0,
                now,
                &input_json,
            )
            .await?;
            ("failed", Some(f), None)
        }
        Err(DrawError::Invalid {
            field, message_en, ..
        }) => {
            return Err(corrupt(format!("{field}: {message_en}")));
        }
    };
    record(
        &tx,
        actor,
        Record::new("draw.execute", "draw", id)
            .at(&d.region_code, None)
            .after(&serde_json::json!({
                "code": d.code, "status": status, "witnesses": witness_name, "failure": failure,
                "visits_sha256": visits_hash,
            })),
    )
    .await?;
    let st = stage("execute: transaction commit");
    tx.commit().await?;
    drop(st);
    let draw = repo::get(svc.store.conn(), id)
        .await?
        .ok_or(ServiceError::NotFound)?;
    Ok(Executed { draw, failure })
}

/// Who witnessed a `/3` draw, for lists: the supervisors and the beacon, or 未经独立见证.
fn witness_label(seeds: &Seeds, d: &Draw) -> String {
    let Some(v3) = &seeds.v3 else {
        return String::new();
    };
    let mut parts: Vec<String> = v3
        .contributions
        .iter()
        .map(|c| format!("监督人 {}", c.name))
        .collect();
    if let (Some(src), Some(r)) = (&d.beacon_source, &d.beacon_reference)
        && v3.beacon_value.is_some()
    {
        parts.push(format!("{src} {r}"));
    }
    if parts.is_empty() {
        "未经独立见证".into()
    } else {
        parts.join("、").chars().take(64).collect()
    }
}

/// A re-draw: needs a reason, keeps the old record (marked as superseded, its scheduled visits
/// cancelled) and commits a new draw of the same plans over fresh pools. Both stay public. The
/// new draw keeps the old one's supervisors, reason and delay unless `witness` says otherwise.
pub async fn redraw(
    svc: &Services,
    actor: &Actor,
    id: Uuid,
    reason: &str,
    witness_spec: &WitnessSpec,
) -> Result<Draw> {
    ensure_may_draw(actor)?;
    let reason = reason.trim();
    if reason.chars().count() < 4 {
        return Err(invalid(
            "reason",
            "required",
            "重新抽取必须说明理由（至少 4 个字），理由将公开",
            "a re-draw needs a reason (at least 4 characters); it is published",
        ));
    }
    let tx = svc.store.begin().await?;
    let old = visible(&tx, actor, id).await?;
    if old.superseded_by.is_some() {
        return Err(ServiceError::conflict(
            "status",
            format!("抽取 {} 已被重新抽取取代", old.code),
            format!("draw {} was already replaced by a re-draw", old.code),
        ));
    }
    let spec = witness::inherit(&tx, &old, witness_spec).await?;
    repo::cancel_visits_of_draw(&tx, id).await?;
    let p = Parsed {
        title: old.title.clone(),
        region: old.region_code.clone(),
        from: old.period_start,
        to: old.period_end,
    };
    let plan_ids = repo::plan_ids(&tx, id).await?;
    let plans = plans_for(&tx, actor, &p, &plan_ids, Some(id)).await?;
    let d = commit_in(
        svc,
        &tx,
        actor,
        &p,
        &plans,
        Some((id, reason.to_string())),
        &spec,
    )
    .await?;
    repo::set_superseded(&tx, id, d.id).await?;
    tx.commit().await?;
    Ok(d)
}

// ---- reading ----

pub async fn list(
    svc: &Services,
    actor: &Actor,
    q: &DrawQuery,
    page: PageRequest,
) -> Result<Page<Draw>> {
    // The query's region narrows the actor's scope (the store intersects them).
    Ok(repo::list(svc.store.conn(), &Scope::of(actor), q, page).await?)
}

/// A visit with what the pages show.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct VisitView {
    pub visit: Visit,
    pub usci: String,
    pub entity_name: String,
    pub lead_department: String,
    pub items: Vec<String>,
    pub departments: Vec<String>,
    pub inspectors: Vec<String>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct DrawView {
    pub draw: Draw,
    pub plans: Vec<Plan>,
    pub visits: Vec<VisitView>,
    pub failure: Option<serde_json::Value>,
    pub preview: Option<Preview>,
    /// Who witnesses the draw and who has contributed (never the values).
    pub witnessing: Witnessed,
    /// What the draw still waits for before it can be executed (zh).
    pub missing: Vec<String>,
    pub embargo: Embargo,
}

pub async fn get(svc: &Services, actor: &Actor, id: Uuid) -> Result<DrawView> {
    let c = svc.store.conn();
    let d = visible(c, actor, id).await?;
    view(svc, d).await
}

async fn view(svc: &Services, d: Draw) -> Result<DrawView> {
    let c = svc.store.conn();
    let plans = plan_repo::get_many(c, &repo::plan_ids(c, d.id).await?).await?;
    let visits = repo::visits_of_draw(c, d.id).await?;
    let ids: Vec<Uuid> = visits.iter().map(|v| v.id).collect();
    let mut checks = repo::checks_of_visits(c, &ids).await?;
    let mut teams = repo::inspectors_of_visits(c, &ids).await?;
    let ents: HashMap<Uuid, entities::Entity> =
        entities::get_many(c, &visits.iter().map(|v| v.entity_id).collect::<Vec<_>>())
            .await?
            .into_iter()
            .map(|e| (e.id, e))
            .collect();
    let mut dept_names: HashMap<Uuid, String> = HashMap::new();
    let mut item_names: HashMap<Uuid, String> = HashMap::new();
    let mut people: HashMap<Uuid, String> = HashMap::new();
    let mut out = Vec::with_capacity(visits.len());
    for v in visits {
        let mut names_of = async |id: Uuid| -> Result<String> {
            if let Some(n) = dept_names.get(&id) {
                return Ok(n.clone());
            }
            let n = departments::get(c, id)
                .await?
                .map(|d| d.name)
                .unwrap_or_default();
            dept_names.insert(id, n.clone());
            Ok(n)
        };
        let lead = names_of(v.lead_department_id).await?;
        let mut items = Vec::new();
        let mut depts = Vec::new();
        for ch in checks.remove(&v.id).unwrap_or_default() {
            // 参与部门: each check's department and its plan's cooperating departments (issue 13).
            depts.push(names_of(ch.department_id).await?);
            for pd in plans
                .iter()
                .filter(|p| p.id == ch.plan_id)
                .flat_map(|p| &p.departments)
            {
                depts.push(names_of(pd.department_id).await?);
            }
            if !item_names.contains_key(&ch.item_id) {
                let n = item_repo::get(c, ch.item_id)
                    .await?
                    .map(|i| i.name)
                    .unwrap_or_default();
                item_names.insert(ch.item_id, n);
            }
            items.push(item_names[&ch.item_id].clone());
        }
        let mut seen = HashSet::new();
        depts.retain(|d| seen.insert(d.clone()));
        let mut inspectors = Vec::new();
        for t in teams.remove(&v.id).unwrap_or_default() {
            if !people.contains_key(&t.inspector_id) {
                let n = pool_repo::get(c, t.inspector_id)
                    .await?
                    .map(|i| i.name)
                    .unwrap_or_default();
                people.insert(t.inspector_id, n);
            }
            inspectors.push(people[&t.inspector_id].clone());
        }
        let e = ents.get(&v.entity_id);
        out.push(VisitView {
            usci: e.map(|e| e.usci.clone()).unwrap_or_default(),
            entity_name: e.map(|e| e.name.clone()).unwrap_or_default(),
            lead_department: lead,
            items,
            departments: depts,
            inspectors,
            visit: v,
        });
    }
    let body = repo::body(c, d.id).await?.ok_or(ServiceError::NotFound)?;
    let failure = body
        .failure_json
        .as_deref()
        .and_then(|f| serde_json::from_str::<serde_json::Value>(f).ok())
        .and_then(|v| v.get("failure").cloned());
    // The effects of the actual result, in the planner's terms.
    let preview = match body.record_json.as_deref() {
        Some(r) => {
            let rec: DrawRecord = serde_json::from_str(r).map_err(|e| {
                ServiceError::internal(lianjian_store::StoreError::Corrupt(e.to_string()))
            })?;
            let mut p = Preview {
                title: d.title.clone(),
                region_code: d.region_code.to_string(),
                period_start: d.period_start,
                period_end: d.period_end,
                plans: quotas(&rec.input),
                candidates: rec.input.candidates.len() as u64,
                excluded: rec
                    .input
                    .candidates
                    .iter()
                    .filter(|c| !c.exclusions.is_empty())
                    .count() as u64,
                inspectors: rec.input.inspectors.len() as u64,
                separate_visits: 0,
                joint_visits: 0,
                visits_saved: 0,
                heaviest: Vec::new(),
                departments: Vec::new(),
                failure: None,
            };
            fill_effects(&rec.input, &rec.result, &mut p);
            Some(p)
        }
        None => None,
    };
    let witnessing = witness::status(c, &d, body.salt_key.is_none()).await?;
    let missing = if d.status == DrawStatus::Committed {
        witness::missing(c, &d)
            .await?
            .into_iter()
            .map(|m| m.0)
            .collect()
    } else {
        Vec::new()
    };
    let embargo = publication::embargo(c, &d, svc.now()).await?;
    Ok(DrawView {
        draw: d,
        plans,
        visits: out,
        failure,
        preview,
        witnessing,
        missing,
        embargo,
    })
}

// ---- public (一公开) ----

/// Every draw is public once committed: its commitment first, its complete record once drawn.
pub async fn public_list(svc: &Services, q: &DrawQuery, page: PageRequest) -> Result<Page<Draw>> {
    Ok(repo::list(svc.store.conn(), &svc.public_scope(), q, page).await?)
}
