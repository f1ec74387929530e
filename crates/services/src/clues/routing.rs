//! Routing (分办) of a clue, issue 14 item 2: which items it touches and which departments
//! should handle it, suggested to the office from
//! - the items chosen at intake,
//! - the office's routing table (`clue_routes`): a keyword in the content suggests an item
//!   and/or a lead department,
//! - the items whose object definition (监管对象) selects the clue's entity, when nothing else
//!   names one;
//!
//! and the lead department from each item's lead line, the county's department of that line
//! (or a sector rule of the routing table). Several lines make a joint verification led by the
//! first, the others cooperating (国办发〔2023〕1号 (十): 一家牵头、联合核查); no line at all
//! means an unclear owner, for the office to decide (裁定, `super::joint`).
//!
//! Also here: the office's deadline rules per source and kind (办理时限), used at dispatch.

use std::collections::HashMap;

use chrono::Utc;
use lianjian_domain::Invalid;
use lianjian_domain::clue::{ClueKind, ClueSource, Deadlines};
use lianjian_domain::region::RegionCode;
use lianjian_domain::scope::Actor;
use lianjian_store::Conn;
use lianjian_store::clues::{self as repo, Clue, DeadlineRule, Route};
use lianjian_store::departments::Department;
use lianjian_store::items::Item;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::{ItemRef, may_dispatch};
use crate::error::Checker;
use crate::trail::{Record, record};
use crate::{Result, ServiceError, Services};

/// A department the routing names, and why.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct SuggestedDepartment {
    pub id: Uuid,
    pub name: String,
    pub why: String,
}

/// An item the routing names, and why.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct SuggestedItem {
    #[serde(flatten)]
    pub item: ItemRef,
    pub why: String,
}

/// The routing of one clue, for the office's dispatch form and the API.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Routing {
    pub items: Vec<SuggestedItem>,
    pub lead: Option<SuggestedDepartment>,
    /// Several lines: a joint verification led by `lead`.
    pub cooperating: Vec<SuggestedDepartment>,
    /// No owner found: the office decides the lead (谁主管谁牵头、谁为主谁牵头、谁靠近谁牵头).
    pub unclear: bool,
}

/// The active department of `line` nearest to `region` (its own, else its ancestors').
pub(crate) async fn department_of_line(
    c: &impl Conn,
    line: &str,
    region: &RegionCode,
) -> Result<Option<Department>> {
    for r in region.lineage().iter().rev() {
        if let Some(d) = lianjian_store::departments::active_in_region(c, r)
            .await?
            .into_iter()
            .find(|d| d.line == line)
        {
            return Ok(Some(d));
        }
    }
    Ok(None)
}

/// The routing suggested for a clue (read-only; nothing is stored).
pub(crate) async fn suggest(c: &impl Conn, x: &Clue) -> Result<Routing> {
    let mut picked: Vec<(Item, String)> = Vec::new();
    let mut depts: Vec<(Department, String)> = Vec::new();
    let push_item = |picked: &mut Vec<(Item, String)>, it: Item, why: String| {
        if !picked.iter().any(|(p, _)| p.id == it.id) {
            picked.push((it, why));
        }
    };
    for id in repo::items_of(c, x.id).await? {
        if let Some(it) = lianjian_store::items::get(c, id).await? {
            push_item(&mut picked, it, "登记时选择".into());
        }
    }
    let routes = repo::routes_for(c, &x.region_code).await?;
    let content = x.content.to_lowercase();
    for r in routes.iter() {
        let Some(k) = r
            .keyword
            .as_deref()
            .filter(|k| content.contains(&k.to_lowercase()))
        else {
            continue;
        };
        if let Some(id) = r.item_id
            && let Some(it) = lianjian_store::items::get(c, id).await?
        {
            push_item(&mut picked, it, format!("内容含关键词“{k}”"));
        }
        if let Some(id) = r.department_id
            && let Some(d) = lianjian_store::departments::get(c, id).await?
            && !depts.iter().any(|(x, _)| x.id == d.id)
        {
            depts.push((d, format!("分办规则：关键词“{k}”")));
        }
    }
    if picked.is_empty()
        && let Some(eid) = x.entity_id
        && let Some(e) = lianjian_store::entities::get(c, eid).await?
    {
        for it in crate::directory::items_covering(c, &e).await? {
            let why = format!("主体“{}”属于该事项的监管对象", e.name);
            push_item(&mut picked, it, why);
        }
    }
    // Sector rules name the lead for the items of that sector.
    let sector_rule: HashMap<Uuid, Uuid> = routes
        .iter()
        .filter_map(|r| Some((r.sector_id?, r.department_id?)))
        .fold(HashMap::new(), |mut m, (s, d)| {
            m.entry(s).or_insert(d);
            m
        });
    let mut lead_dept: HashMap<Uuid, Department> = HashMap::new();
    for (it, _) in &picked {
        let d = match it.sector_id.and_then(|s| sector_rule.get(&s)) {
            Some(id) => lianjian_store::departments::get(c, *id).await?,
            None => match lianjian_store::departments::get(c, it.lead_department_id).await? {
                Some(owner) => department_of_line(c, &owner.line, &x.region_code).await?,
                None => None,
            },
        };
        if let Some(d) = d {
            lead_dept.insert(it.id, d.clone());
            if !depts.iter().any(|(x, _)| x.id == d.id) {
                depts.push((d, format!("监管事项“{}”的牵头部门", it.name)));
            }
        }
    }
    let mut out = depts.into_iter().map(|(d, why)| SuggestedDepartment {
        id: d.id,
        name: d.name,
        why,
    });
    let lead = out.next();
    Ok(Routing {
        unclear: lead.is_none(),
        lead,
        cooperating: out.collect(),
        items: picked
            .into_iter()
            .map(|(it, why)| SuggestedItem {
                item: ItemRef {
                    id: it.id,
                    code: it.code,
                    name: it.name,
                },
                why,
            })
            .collect(),
    })
}

// ---- the routing table ----

/// A rule as the office's table shows it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct RouteView {
    pub id: Uuid,
    pub region_code: String,
    pub keyword: Option<String>,
    pub sector_id: Option<Uuid>,
    pub sector: Option<String>,
    pub item_id: Option<Uuid>,
    pub item: Option<String>,
    pub department_id: Option<Uuid>,
    pub department: Option<String>,
    pub created_by: String,
}

/// A new rule as the form or the API sends it.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RouteInput {
    /// The region the rule applies in (its subtree), inside the office's; default the office's.
    #[serde(default)]
    pub region_code: Option<String>,
    /// A word or phrase of the clue's content (1–32 characters).
    #[serde(default)]
    pub keyword: Option<String>,
    /// A sector: its items' clues go to `department_id`.
    #[serde(default)]
    pub sector_id: Option<String>,
    #[serde(default)]
    pub item_id: Option<String>,
    #[serde(default)]
    pub department_id: Option<String>,
}

/// The region whose rules the actor keeps: the office's own (the system administrator's:
/// everywhere, `None`).
fn office_region(a: &Actor) -> Result<Option<RegionCode>> {
    if !may_dispatch(a) {
        return Err(ServiceError::Forbidden);
    }
    Ok(a.full_scope().region.clone())
}

/// The region a new rule is kept for: the one given, inside the actor's; else the actor's own
/// (the system administrator must name one).
fn rule_region(
    ch: &mut Checker,
    own: Option<&RegionCode>,
    given: Option<&str>,
) -> Option<RegionCode> {
    match given.map(str::trim).filter(|s| !s.is_empty()) {
        None => {
            if own.is_none() {
                ch.push(
                    "region_code",
                    Invalid::new(
                        "required",
                        "请选择规则适用的行政区划",
                        "name the region the rule applies in",
                    ),
                );
            }
            own.cloned()
        }
        Some(s) => match RegionCode::parse(s) {
            Ok(r) if own.is_none_or(|o| r.is_within(o)) => Some(r),
            Ok(r) => {
                ch.push(
                    "region_code",
                    Invalid::new(
                        "outside_scope",
                        format!("行政区划“{r}”不在您的管理范围内"),
                        format!("region {r} is outside your scope"),
                    ),
                );
                None
            }
            Err(e) => {
                ch.push("region_code", e);
                None
            }
        },
    }
}

fn id_field(ch: &mut Checker, field: &str, s: Option<&str>) -> Option<Uuid> {
    let t = s.map(str::trim).filter(|t| !t.is_empty())?;
    match t.parse() {
        Ok(id) => Some(id),
        Err(_) => {
            ch.push(
                field,
                Invalid::new(
                    "uuid",
                    format!("编号“{t}”不正确"),
                    format!("'{t}' is not an id"),
                ),
            );
            None
        }
    }
}

/// The rules kept in the office's region and below.
pub async fn routes(svc: &Services, a: &Actor) -> Result<Vec<RouteView>> {
    let region = office_region(a)?;
    let c = svc.store.conn();
    let rows = repo::routes_in(c, region.as_ref()).await?;
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        let department = match r.department_id {
            Some(d) => lianjian_store::departments::get(c, d)
                .await?
                .map(|d| d.name),
            None => None,
        };
        let item = match r.item_id {
            Some(i) => lianjian_store::items::get(c, i).await?.map(|i| i.name),
            None => None,
        };
        let sector = match r.sector_id {
            Some(s) => lianjian_store::sectors::get(c, s).await?.map(|s| s.name),
            None => None,
        };
        out.push(RouteView {
            id: r.id,
            region_code: r.region_code.to_string(),
            keyword: r.keyword,
            sector_id: r.sector_id,
            sector,
            item_id: r.item_id,
            item,
            department_id: r.department_id,
            department,
            created_by: r.created_by,
        });
    }
    Ok(out)
}

/// Adds a rule: a keyword or a sector (one of them), and what it suggests — an item, a
/// department, or both (a sector rule names a department). Audited.
pub async fn add_route(svc: &Services, a: &Actor, input: &RouteInput) -> Result<Uuid> {
    let own = office_region(a)?;
    let c = svc.store.conn();
    let mut ch = Checker::default();
    let region = rule_region(&mut ch, own.as_ref(), input.region_code.as_deref());
    let keyword = input
        .keyword
        .as_deref()
        .map(str::trim)
        .filter(|k| !k.is_empty())
        .and_then(|k| {
            ch.check(
                "keyword",
                lianjian_domain::error::bounded_text(k, 1, 32, "关键词", "keyword"),
            )
        });
    let sector_id = id_field(&mut ch, "sector_id", input.sector_id.as_deref());
    let item_id = id_field(&mut ch, "item_id", input.item_id.as_deref());
    let department_id = id_field(&mut ch, "department_id", input.department_id.as_deref());
    let given = |s: &Option<String>| s.as_deref().is_some_and(|t| !t.trim().is_empty());
    if given(&input.keyword) == given(&input.sector_id) {
        ch.push(
            "keyword",
            Invalid::new(
                "keyword_or_sector",
                "请填写关键词或选择行业领域（二选一）",
                "give a keyword or a sector, not both",
            ),
        );
    }
    if !given(&input.item_id) && !given(&input.department_id) {
        ch.push(
            "department_id",
            Invalid::new(
                "required",
                "请选择建议的牵头部门或监管事项",
                "name a department or an item to suggest",
            ),
        );
    }
    if sector_id.is_some() && department_id.is_none() {
        ch.push(
            "department_id",
            Invalid::new(
                "required",
                "行业领域规则须指定牵头部门",
                "a sector rule names a department",
            ),
        );
    }
    if let Some(s) = sector_id
        && lianjian_store::sectors::get(c, s).await?.is_none()
    {
        ch.push(
            "sector_id",
            Invalid::new("unknown_sector", "行业领域不存在", "no such sector"),
        );
    }
    if let Some(i) = item_id
        && lianjian_store::items::get(c, i).await?.is_none()
    {
        ch.push(
            "item_id",
            Invalid::new("unknown_item", "监管事项不存在", "no such item"),
        );
    }
    if let Some(d) = department_id {
        match lianjian_store::departments::get(c, d).await? {
            Some(d)
                if region
                    .as_ref()
                    .is_none_or(|r| d.region_code.is_within(r) || r.is_within(&d.region_code)) => {}
            _ => ch.push(
                "department_id",
                Invalid::new(
                    "unknown_department",
                    "部门不存在或不在您的辖区",
                    "no such department in your region",
                ),
            ),
        }
    }
    ch.finish()?;
    let r = Route {
        id: Uuid::now_v7(),
        region_code: region.expect("checked"),
        keyword,
        sector_id,
        item_id,
        department_id,
        created_by: a.username.clone(),
        created_at: lianjian_domain::audit::audit_time(Utc::now()),
    };
    let tx = svc.store.begin().await?;
    repo::insert_route(&tx, &r).await?;
    record(
        &tx,
        a,
        Record::new("clue_route.create", "clue_route", r.id)
            .at(&r.region_code, None)
            .after(&serde_json::json!({"keyword": r.keyword, "sector_id": r.sector_id, "item_id": r.item_id, "department_id": r.department_id})),
    )
    .await?;
    tx.commit().await?;
    Ok(r.id)
}

/// Deletes a rule of the office's region or below. Audited.
pub async fn delete_route(svc: &Services, a: &Actor, id: Uuid) -> Result<()> {
    let own = office_region(a)?;
    let tx = svc.store.begin().await?;
    let Some(r) = repo::routes_in(&tx, own.as_ref())
        .await?
        .into_iter()
        .find(|r| r.id == id)
    else {
        return Err(ServiceError::NotFound);
    };
    repo::delete_route(&tx, id, own.as_ref()).await?;
    record(
        &tx,
        a,
        Record::new("clue_route.delete", "clue_route", id)
            .at(&r.region_code, None)
            .before(&serde_json::json!({"keyword": r.keyword, "sector_id": r.sector_id, "item_id": r.item_id, "department_id": r.department_id})),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

// ---- deadlines per source and kind ----

/// A deadline rule as the office's table shows it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct DeadlineRuleView {
    pub region_code: String,
    /// `None`: any source.
    pub source: Option<ClueSource>,
    pub source_label: String,
    pub kind: Option<ClueKind>,
    pub kind_label: String,
    #[serde(flatten)]
    pub deadlines: Deadlines,
    pub updated_by: String,
}

/// A deadline rule as the form or the API sends it.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DeadlineInput {
    /// The region the rule applies in (its subtree), inside the office's; default the office's.
    #[serde(default)]
    pub region_code: Option<String>,
    /// A source code or label; empty for any source.
    #[serde(default)]
    pub source: Option<String>,
    /// A kind code or label; empty for any kind.
    #[serde(default)]
    pub kind: Option<String>,
    pub sign_days: i64,
    pub return_days: i64,
    pub finish_days: i64,
}

fn view_rule(r: DeadlineRule) -> DeadlineRuleView {
    DeadlineRuleView {
        region_code: r.region_code.to_string(),
        source_label: r.source.map_or("全部来源", |s| s.label_zh()).into(),
        kind_label: r.kind.map_or("全部类型", |k| k.label_zh()).into(),
        source: r.source,
        kind: r.kind,
        deadlines: r.deadlines,
        updated_by: r.updated_by,
    }
}

fn optional<T>(
    ch: &mut Checker,
    field: &str,
    s: Option<&str>,
    parse: impl Fn(&str) -> Result<T, Invalid>,
) -> Option<Option<T>> {
    match s.map(str::trim).filter(|s| !s.is_empty() && *s != "*") {
        None => Some(None),
        Some(t) => ch.check(field, parse(t)).map(Some),
    }
}

/// The rules that apply in the office's region (its own and inherited), nearest first.
pub async fn deadline_rules(svc: &Services, a: &Actor) -> Result<Vec<DeadlineRuleView>> {
    let region = office_region(a)?;
    Ok(repo::deadline_rules_for(svc.store.conn(), region.as_ref())
        .await?
        .into_iter()
        .map(view_rule)
        .collect())
}

/// Sets the deadlines of clues of one source and kind in the office's region. Audited.
pub async fn put_deadline_rule(svc: &Services, a: &Actor, input: &DeadlineInput) -> Result<()> {
    let own = office_region(a)?;
    let mut ch = Checker::default();
    let region = rule_region(&mut ch, own.as_ref(), input.region_code.as_deref());
    let source = optional(
        &mut ch,
        "source",
        input.source.as_deref(),
        ClueSource::parse,
    );
    let kind = optional(&mut ch, "kind", input.kind.as_deref(), ClueKind::parse);
    let days = match Deadlines::parse(input.sign_days, input.return_days, input.finish_days) {
        Ok(d) => Some(d),
        Err(errs) => {
            for (f, e) in errs {
                ch.push(f, e);
            }
            None
        }
    };
    ch.finish()?;
    let region = region.expect("checked");
    let rule = DeadlineRule {
        region_code: region.clone(),
        source: source.expect("checked"),
        kind: kind.expect("checked"),
        deadlines: days.expect("checked"),
        updated_by: a.username.clone(),
        updated_at: lianjian_domain::audit::audit_time(Utc::now()),
    };
    let tx = svc.store.begin().await?;
    repo::put_deadline_rule(&tx, &rule).await?;
    record(
        &tx,
        a,
        Record::new("clue_deadline.set", "clue_deadline", Uuid::nil())
            .at(&region, None)
            .after(&serde_json::json!({"source": rule.source.map(|s| s.as_str()), "kind": rule.kind.map(|k| k.as_str()), "sign_days": rule.deadlines.sign_days, "return_days": rule.deadlines.return_days, "finish_days": rule.deadlines.finish_days})),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Removes the office's rule for one source and kind (inherited or default deadlines apply
/// again). Audited.
pub async fn delete_deadline_rule(
    svc: &Services,
    a: &Actor,
    region: Option<&str>,
    source: Option<&str>,
    kind: Option<&str>,
) -> Result<()> {
    let own = office_region(a)?;
    let mut ch = Checker::default();
    let region = rule_region(&mut ch, own.as_ref(), region);
    let source = optional(&mut ch, "source", source, ClueSource::parse);
    let kind = optional(&mut ch, "kind", kind, ClueKind::parse);
    ch.finish()?;
    let (source, kind) = (source.expect("checked"), kind.expect("checked"));
    let region = region.expect("checked");
    let tx = svc.store.begin().await?;
    if !repo::delete_deadline_rule(&tx, &region, source, kind).await? {
        return Err(ServiceError::NotFound);
    }
    record(
        &tx,
        a,
        Record::new("clue_deadline.delete", "clue_deadline", Uuid::nil())
            .at(&region, None)
            .before(&serde_json::json!({"source": source.map(|s| s.as_str()), "kind": kind.map(|k| k.as_str())})),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// The deadlines a clue gets at dispatch: the most specific rule (source and kind, then
/// source, then kind, then any) of its region, else of the nearest ancestor with one; the
/// 12345 defaults when none applies.
pub(crate) async fn deadlines_for(c: &impl Conn, x: &Clue) -> Result<Deadlines> {
    let rules = repo::deadline_rules_for(c, Some(&x.region_code)).await?;
    let best = rules
        .iter()
        .filter(|r| r.source.is_none_or(|s| s == x.source) && r.kind.is_none_or(|k| k == x.kind))
        .max_by_key(|r| {
            (
                r.region_code.as_str().len(),
                r.source.is_some(),
                r.kind.is_some(),
            )
        });
    Ok(best.map(|r| r.deadlines).unwrap_or_default())
}
