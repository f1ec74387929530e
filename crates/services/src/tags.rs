//! Tag vocabulary (标签化管理) and tag rules. Rules tag entities automatically from licence
//! types, industry codes and business-scope keywords, re-evaluated when an entity or a rule
//! changes (鲁 task 12).

use chrono::Utc;
use lianjian_domain::Invalid;
use lianjian_domain::account::Role;
use lianjian_domain::directory::loose_date;
use lianjian_domain::region::RegionCode;
use lianjian_domain::scope::Actor;
use lianjian_domain::tag::{self as rules, RuleFacts, RuleKind, TagLevel};
use lianjian_store::changes::{self, DirectoryChange};
use lianjian_store::entities::{self as entity_repo, Entity};
use lianjian_store::tags::{self as repo};
use lianjian_store::{Conn, StoreError, departments};
use serde::Serialize;
use uuid::Uuid;

use crate::error::Checker;
use crate::trail::{Record, record};
use crate::{Result, ServiceError, Services};

/// Tags and tag rules as this service reads and lists them.
pub use lianjian_store::tags::{Tag, TagRule};

/// Who maintains the vocabulary: system administrators, coordination offices, and department
/// administrators (for tags their own department owns, see [`may_edit`]). The console offers
/// the new-tag form only when this holds.
pub fn may_create(a: &Actor) -> bool {
    matches!(
        a.role,
        Role::SystemAdmin | Role::CoordinationOffice | Role::DepartmentAdmin
    )
}

fn ensure_editor(a: &Actor) -> Result<()> {
    if may_create(a) {
        Ok(())
    } else {
        Err(ServiceError::Forbidden)
    }
}

/// Whether `a` may change `tag` as it stands — its rules, its fields, its status: an editor
/// whose region scope holds the tag's whole region (a county office may not re-tag another
/// county's entities, nor a province's), and for a department administrator a tag its own
/// department owns. The console shows the tag's actions only when this holds.
pub fn may_edit(a: &Actor, tag: &Tag) -> bool {
    ensure_editor(a).is_ok()
        && a.scope()
            .region
            .as_ref()
            .is_none_or(|r| tag.region_code.is_within(r))
        && (a.role != Role::DepartmentAdmin || tag.owner_department_id == Some(a.department_id))
}

/// Whether `a` may hand-set `tag` on an entity (or remove it): an editor, and for a department
/// administrator a tag its own department owns or one no department owns. Another department's
/// tag defines that department's item directories and draw pools, so putting entities into it
/// or taking them out is that department's (or the coordination office's) decision, as
/// [`may_edit`] is for its rules.
pub fn may_apply(a: &Actor, tag: &Tag) -> bool {
    ensure_editor(a).is_ok()
        && (a.role != Role::DepartmentAdmin
            || tag.owner_department_id.is_none_or(|o| o == a.department_id))
}

fn ensure_may_edit(a: &Actor, tag: &Tag) -> Result<()> {
    if may_edit(a, tag) {
        Ok(())
    } else {
        Err(ServiceError::Forbidden)
    }
}

pub async fn all(svc: &Services) -> Result<Vec<Tag>> {
    Ok(repo::all(svc.store.conn()).await?)
}

#[derive(Debug, Clone, Default)]
pub struct TagInput {
    pub code: String,
    pub name: String,
    /// Parent tag code; empty for a 大类.
    pub parent: String,
    pub region_code: String,
    /// Owning (competent) department id; empty for none.
    pub owner_department_id: String,
    pub description: String,
    pub valid_from: String,
    pub valid_to: String,
    /// Risk weight for risk-weighted draws, 1–10; empty means 1 (no weighting).
    pub risk_weight: String,
}

async fn parse_tag(
    svc: &Services,
    actor: &Actor,
    input: &TagInput,
    ch: &mut Checker,
) -> Result<Option<Tag>> {
    let c = svc.store.conn();
    let code = ch.check("code", rules::tag_code(&input.code));
    let name = ch.check("name", rules::tag_name(&input.name));
    let region = ch.check("region_code", RegionCode::parse(&input.region_code));
    if let Some(r) = &region
        && !actor
            .full_scope()
            .region
            .as_ref()
            .is_none_or(|s| r.is_within(s))
    {
        ch.push(
            "region_code",
            Invalid::new(
                "outside_scope",
                "标签适用范围超出您的权限范围",
                "the tag's region is outside your scope",
            ),
        );
    }
    let (parent_id, level) = match input.parent.trim() {
        "" => (None, Some(TagLevel::Major)),
        p => match repo::by_code(c, p).await? {
            Some(parent) => match parent.level.child() {
                Some(l) => (Some(parent.id), Some(l)),
                None => {
                    ch.push(
                        "parent",
                        Invalid::new(
                            "tag_too_deep",
                            format!("“{p}”已是小类，不能再有下级"),
                            format!("'{p}' is a minor tag and cannot have children"),
                        ),
                    );
                    (None, None)
                }
            },
            None => {
                ch.push(
                    "parent",
                    Invalid::new(
                        "unknown_tag",
                        format!("上级标签“{p}”不存在"),
                        format!("parent tag '{p}' does not exist"),
                    ),
                );
                (None, None)
            }
        },
    };
    let owner = match input.owner_department_id.trim() {
        "" => Some(None),
        s => match Uuid::parse_str(s).ok() {
            Some(id) if departments::get(c, id).await?.is_some() => {
                if actor.role == Role::DepartmentAdmin && id != actor.department_id {
                    ch.push(
                        "owner_department_id",
                        Invalid::new(
                            "not_own_department",
                            "部门管理员只能维护本部门的标签",
                            "department administrators maintain their own department's tags",
                        ),
                    );
                    None
                } else {
                    Some(Some(id))
                }
            }
            _ => {
                ch.push(
                    "owner_department_id",
                    Invalid::new(
                        "unknown_department",
                        "所选部门不存在",
                        "department does not exist",
                    ),
                );
                None
            }
        },
    };
    if actor.role == Role::DepartmentAdmin && matches!(owner, Some(None)) {
        ch.push(
            "owner_department_id",
            Invalid::new(
                "required",
                "部门管理员新建标签须指定本部门为主管部门",
                "department administrators must own the tags they create",
            ),
        );
    }
    let from = ch.check("valid_from", loose_date(&input.valid_from));
    let to = ch.check("valid_to", loose_date(&input.valid_to));
    let risk_weight = ch.check("risk_weight", rules::risk_weight(&input.risk_weight));
    if let (Some(Some(f)), Some(Some(t))) = (from, to)
        && t < f
    {
        ch.push(
            "valid_to",
            Invalid::new(
                "date_order",
                "有效期截止日早于起始日",
                "valid_to is before valid_from",
            ),
        );
    }
    let description = Some(input.description.trim().to_string()).filter(|d| !d.is_empty());
    Ok(
        match (code, name, region, level, owner, from, to, risk_weight) {
            (
                Some(code),
                Some(name),
                Some(region_code),
                Some(level),
                Some(owner_department_id),
                Some(valid_from),
                Some(valid_to),
                Some(risk_weight),
            ) => {
                let now = Utc::now();
                Some(Tag {
                    id: Uuid::now_v7(),
                    code,
                    name,
                    parent_id,
                    level,
                    region_code,
                    owner_department_id,
                    description,
                    valid_from,
                    valid_to,
                    status: "active".into(),
                    risk_weight,
                    created_at: now,
                    updated_at: now,
                })
            }
            _ => None,
        },
    )
}

fn taken(code: &str) -> ServiceError {
    ServiceError::conflict(
        "code",
        format!("标签代码“{code}”已被使用"),
        format!("tag code '{code}' is taken"),
    )
}

pub async fn create(svc: &Services, actor: &Actor, input: TagInput) -> Result<Tag> {
    ensure_editor(actor)?;
    let mut ch = Checker::default();
    let tag = parse_tag(svc, actor, &input, &mut ch).await?;
    ch.finish()?;
    let tag = tag.expect("checked");
    let tx = svc.store.begin().await?;
    repo::insert(&tx, &tag).await.map_err(|e| match e {
        StoreError::Conflict(_) => taken(&tag.code),
        other => other.into(),
    })?;
    record(
        &tx,
        actor,
        Record::new("tag.create", "tag", tag.id)
            .at(&tag.region_code, tag.owner_department_id)
            .after(&tag),
    )
    .await?;
    tx.commit().await?;
    Ok(tag)
}

pub async fn update(
    svc: &Services,
    actor: &Actor,
    id: Uuid,
    input: TagInput,
    active: bool,
) -> Result<Tag> {
    ensure_editor(actor)?;
    let before = repo::get(svc.store.conn(), id)
        .await?
        .ok_or(ServiceError::NotFound)?;
    // The tag as it stands decides, then its new fields are checked like a new tag's.
    ensure_may_edit(actor, &before)?;
    let mut ch = Checker::default();
    let parsed = parse_tag(svc, actor, &input, &mut ch).await?;
    ch.finish()?;
    let p = parsed.expect("checked");
    let after = Tag {
        id,
        created_at: before.created_at,
        status: if active { "active" } else { "retired" }.into(),
        updated_at: Utc::now(),
        ..p
    };
    let tx = svc.store.begin().await?;
    repo::update(&tx, &after).await.map_err(|e| match e {
        StoreError::Conflict(_) => taken(&after.code),
        other => other.into(),
    })?;
    record(
        &tx,
        actor,
        Record::new("tag.update", "tag", id)
            .at(&after.region_code, after.owner_department_id)
            .before(&before)
            .after(&after),
    )
    .await?;
    if before.code != after.code {
        changes::append_directory_changes(&tx, &[DirectoryChange::TagCode(before.code.clone())])
            .await?;
    }
    tx.commit().await?;
    if before.code != after.code {
        svc.apply_own_changes().await;
    }
    Ok(after)
}

pub async fn rules_list(svc: &Services) -> Result<Vec<TagRule>> {
    Ok(repo::rules(svc.store.conn()).await?)
}

/// Adds a rule and applies it to the whole directory at once. Returns how many entities gained
/// or lost the tag.
pub async fn add_rule(
    svc: &Services,
    actor: &Actor,
    tag_code: &str,
    kind: &str,
    pattern: &str,
) -> Result<(TagRule, u64)> {
    add_rule_as_previewed(svc, actor, tag_code, kind, pattern, None).await
}

/// A confirmed change must be the one the preview showed: if the directory moved meanwhile
/// (other entities would now gain or lose the tag), nothing is written and the user previews
/// again.
fn ensure_as_previewed(expected: Option<(u64, u64)>, gained: usize, lost: usize) -> Result<()> {
    match expected {
        Some((g, l)) if (g, l) != (gained as u64, lost as u64) => Err(ServiceError::conflict(
            "preview",
            format!(
                "名录库在预览后已有变化（现在将有 {gained} 个对象获得、{lost} 个对象失去该标签，预览时为 {g} 和 {l}），未作修改，请重新预览后确认"
            ),
            format!(
                "the directory changed since the preview ({gained} gain and {lost} lose the tag now, {g} and {l} then); nothing was changed"
            ),
        )),
        _ => Ok(()),
    }
}

/// [`add_rule`], refused unless exactly `expected` (gained, lost) entities change when set.
pub async fn add_rule_as_previewed(
    svc: &Services,
    actor: &Actor,
    tag_code: &str,
    kind: &str,
    pattern: &str,
    expected: Option<(u64, u64)>,
) -> Result<(TagRule, u64)> {
    let (tag, rule) = parse_rule(svc, actor, tag_code, kind, pattern).await?;
    let tx = svc.store.begin().await?;
    repo::insert_rule(&tx, &rule).await?;
    let (gained, lost) = reevaluate_tag(&tx, &tag).await?;
    ensure_as_previewed(expected, gained.len(), lost.len())?;
    let changed: Vec<Uuid> = gained.iter().chain(&lost).copied().collect();
    record(
        &tx,
        actor,
        Record::new("tag.rule_add", "tag", tag.id)
            .at(&tag.region_code, tag.owner_department_id)
            .after(&serde_json::json!({"rule": &rule, "entities_tagged": gained.len(), "entities_untagged": lost.len()})),
    )
    .await?;
    changes::append_directory_changes(&tx, &DirectoryChange::entities(&changed)).await?;
    tx.commit().await?;
    svc.apply_own_changes().await;
    Ok((rule, changed.len() as u64))
}

pub async fn remove_rule(svc: &Services, actor: &Actor, rule_id: Uuid) -> Result<u64> {
    remove_rule_as_previewed(svc, actor, rule_id, None).await
}

/// [`remove_rule`], refused unless exactly `expected` (gained, lost) entities change when set.
pub async fn remove_rule_as_previewed(
    svc: &Services,
    actor: &Actor,
    rule_id: Uuid,
    expected: Option<(u64, u64)>,
) -> Result<u64> {
    ensure_editor(actor)?;
    let tx = svc.store.begin().await?;
    let rule = repo::delete_rule(&tx, rule_id)
        .await?
        .ok_or(ServiceError::NotFound)?;
    let tag = repo::get(&tx, rule.tag_id)
        .await?
        .ok_or(ServiceError::NotFound)?;
    ensure_may_edit(actor, &tag)?;
    let (gained, lost) = reevaluate_tag(&tx, &tag).await?;
    ensure_as_previewed(expected, gained.len(), lost.len())?;
    let changed: Vec<Uuid> = gained.iter().chain(&lost).copied().collect();
    record(
        &tx,
        actor,
        Record::new("tag.rule_remove", "tag", tag.id)
            .at(&tag.region_code, tag.owner_department_id)
            .before(&rule),
    )
    .await?;
    changes::append_directory_changes(&tx, &DirectoryChange::entities(&changed)).await?;
    tx.commit().await?;
    svc.apply_own_changes().await;
    Ok(changed.len() as u64)
}

/// Tags the rules give an entity with these facts (active, valid today, in scope of its region).
pub fn rule_tags(
    all_rules: &[TagRule],
    tags: &[Tag],
    e: &Entity,
    licence_types: &[String],
) -> Vec<(Uuid, String)> {
    let today = Utc::now().date_naive();
    let facts = RuleFacts {
        licence_types: licence_types.iter().map(String::as_str).collect(),
        industry_code: e.industry_code.as_deref(),
        business_scope: e.business_scope.as_deref(),
    };
    let mut out: Vec<(Uuid, String)> = Vec::new();
    for r in all_rules {
        if out.iter().any(|(t, _)| *t == r.tag_id)
            || !rules::rule_matches(r.kind, &r.pattern, &facts)
        {
            continue;
        }
        if let Some(t) = tags.iter().find(|t| t.id == r.tag_id)
            && t.valid_on(today)
            && e.region_code.is_within(&t.region_code)
        {
            out.push((t.id, format!("{}：{}", r.kind.label_zh(), r.pattern)));
        }
    }
    out
}

/// Applies every rule to one entity: adds the tags rules give, removes rule tags that no longer
/// hold, keeps hand-set ones. Returns (added, removed).
pub async fn apply_rules(c: &impl Conn, e: &Entity) -> Result<(Vec<(Uuid, String)>, Vec<Uuid>)> {
    let all_rules = repo::rules(c).await?;
    let tags = repo::all(c).await?;
    let licence_types = entity_repo::licences_of(c, e.id)
        .await?
        .into_iter()
        .map(|l| l.licence_type)
        .collect::<Vec<_>>();
    let wanted = rule_tags(&all_rules, &tags, e, &licence_types);
    let mut added = Vec::new();
    for (tag, why) in &wanted {
        if entity_repo::add_tag(
            c,
            e.id,
            &e.region_code,
            *tag,
            lianjian_domain::tag::TagSource::Rule,
        )
        .await?
        {
            added.push((*tag, why.clone()));
        }
    }
    let keep: Vec<Uuid> = wanted.iter().map(|(t, _)| *t).collect();
    let removed = entity_repo::remove_rule_tags_except(c, e.id, &keep).await?;
    Ok((added, removed))
}

/// An entity that would gain or lose a tag.
#[derive(Debug, Clone)]
struct Changed {
    id: Uuid,
    region_code: String,
    name: String,
    usci: String,
}

/// Who gains and who loses `tag` if its rules were `rules` (hand-set tags are never removed):
/// only entities within the tag's region can carry it, and only that tag can appear or vanish,
/// so this reads the region in pages of 1,000. Reads only.
async fn tag_diff(
    c: &impl Conn,
    tag: &Tag,
    rules: &[TagRule],
) -> Result<(Vec<Changed>, Vec<Changed>)> {
    let in_force = tag.valid_on(Utc::now().date_naive());
    let mut after = None;
    let (mut gained, mut lost) = (Vec::new(), Vec::new());
    loop {
        let page = entity_repo::scan(c, Some(&tag.region_code), after, 1000).await?;
        let Some(last) = page.last() else { break };
        after = Some(last.id);
        let ids: Vec<Uuid> = page.iter().map(|e| e.id).collect();
        let licences = entity_repo::licence_types_of(c, &ids).await?;
        let current = entity_repo::tags_of_many(c, &ids).await?;
        for e in &page {
            let lt = licences.get(&e.id).map(Vec::as_slice).unwrap_or(&[]);
            let facts = RuleFacts {
                licence_types: lt.iter().map(String::as_str).collect(),
                industry_code: e.industry_code.as_deref(),
                business_scope: e.business_scope.as_deref(),
            };
            let wanted = in_force
                && rules
                    .iter()
                    .any(|r| rules::rule_matches(r.kind, &r.pattern, &facts));
            let has = current
                .get(&e.id)
                .and_then(|ts| ts.iter().find(|(t, _)| *t == tag.id))
                .map(|(_, s)| *s);
            let changed = || Changed {
                id: e.id,
                region_code: e.region_code.to_string(),
                name: e.name.clone(),
                usci: e.usci.clone(),
            };
            match (wanted, has) {
                (true, None) => gained.push(changed()),
                (false, Some(lianjian_domain::tag::TagSource::Rule)) => lost.push(changed()),
                _ => {}
            }
        }
    }
    Ok((gained, lost))
}

/// The rules of `tag` as they stand.
async fn rules_of(c: &impl Conn, tag: &Tag) -> Result<Vec<TagRule>> {
    Ok(repo::rules(c)
        .await?
        .into_iter()
        .filter(|r| r.tag_id == tag.id)
        .collect())
}

/// Re-applies one tag's rules after they changed, writing only the differences
/// ([`tag_diff`]). Returns the entities that gained the tag and those that lost it.
async fn reevaluate_tag(c: &impl Conn, tag: &Tag) -> Result<(Vec<Uuid>, Vec<Uuid>)> {
    let rules = rules_of(c, tag).await?;
    let (gained, lost) = tag_diff(c, tag, &rules).await?;
    for e in &lost {
        entity_repo::remove_tag(c, e.id, tag.id).await?;
    }
    let rows: Vec<_> = gained
        .iter()
        .map(|e| {
            (
                e.id,
                tag.id,
                e.region_code.clone(),
                lianjian_domain::tag::TagSource::Rule,
            )
        })
        .collect();
    entity_repo::add_tags_many(c, &rows).await?;
    Ok((
        gained.iter().map(|e| e.id).collect(),
        lost.iter().map(|e| e.id).collect(),
    ))
}

/// How many names of each side a preview shows.
pub const PREVIEW_SAMPLE: usize = 10;

/// What a rule change would do to the directory, before it is made (标签规则预览): how many
/// entities gain and lose the tag, and the first [`PREVIEW_SAMPLE`] of each as
/// (name, credit code). A keyword like 美容 that would put ordinary beauty salons under
/// 医疗美容机构 shows here, before anything is tagged.
#[derive(Debug, Clone, Serialize)]
pub struct RulePreview {
    pub tag_code: String,
    pub tag_name: String,
    pub gained: u64,
    pub lost: u64,
    pub gained_sample: Vec<(String, String)>,
    pub lost_sample: Vec<(String, String)>,
}

fn preview_of(tag: &Tag, gained: &[Changed], lost: &[Changed]) -> RulePreview {
    let sample = |v: &[Changed]| {
        v.iter()
            .take(PREVIEW_SAMPLE)
            .map(|e| (e.name.clone(), e.usci.clone()))
            .collect()
    };
    RulePreview {
        tag_code: tag.code.clone(),
        tag_name: tag.name.clone(),
        gained: gained.len() as u64,
        lost: lost.len() as u64,
        gained_sample: sample(gained),
        lost_sample: sample(lost),
    }
}

/// The rule a form describes, checked as [`add_rule`] checks it, with its tag; nothing written.
async fn parse_rule(
    svc: &Services,
    actor: &Actor,
    tag_code: &str,
    kind: &str,
    pattern: &str,
) -> Result<(Tag, TagRule)> {
    ensure_editor(actor)?;
    let mut ch = Checker::default();
    let kind = ch.check("kind", RuleKind::parse(kind));
    let pattern = ch.check(
        "pattern",
        lianjian_domain::error::bounded_text(pattern, 1, 128, "规则内容", "pattern"),
    );
    let tag = repo::by_code(svc.store.conn(), tag_code.trim()).await?;
    if tag.is_none() {
        ch.push(
            "tag",
            Invalid::new(
                "unknown_tag",
                format!("标签“{tag_code}”不存在"),
                format!("tag '{tag_code}' does not exist"),
            ),
        );
    }
    ch.finish()?;
    let (kind, pattern, tag) = (
        kind.expect("checked"),
        pattern.expect("checked"),
        tag.expect("checked"),
    );
    ensure_may_edit(actor, &tag)?;
    let rule = TagRule {
        id: Uuid::now_v7(),
        tag_id: tag.id,
        kind,
        pattern,
        created_at: Utc::now(),
    };
    Ok((tag, rule))
}

/// Who would gain and lose the tag if this rule were added ([`add_rule`] with the same
/// fields makes exactly this change while the directory stays as it is). Writes nothing.
pub async fn preview_add_rule(
    svc: &Services,
    actor: &Actor,
    tag_code: &str,
    kind: &str,
    pattern: &str,
) -> Result<RulePreview> {
    let (tag, rule) = parse_rule(svc, actor, tag_code, kind, pattern).await?;
    let c = svc.store.conn();
    let mut rules = rules_of(c, &tag).await?;
    rules.push(rule);
    let (gained, lost) = tag_diff(c, &tag, &rules).await?;
    Ok(preview_of(&tag, &gained, &lost))
}

/// Who would gain and lose the tag if this rule were removed. Writes nothing.
pub async fn preview_remove_rule(
    svc: &Services,
    actor: &Actor,
    rule_id: Uuid,
) -> Result<(TagRule, RulePreview)> {
    ensure_editor(actor)?;
    let c = svc.store.conn();
    let rules = repo::rules(c).await?;
    let rule = rules
        .iter()
        .find(|r| r.id == rule_id)
        .cloned()
        .ok_or(ServiceError::NotFound)?;
    let tag = repo::get(c, rule.tag_id)
        .await?
        .ok_or(ServiceError::NotFound)?;
    ensure_may_edit(actor, &tag)?;
    let rest: Vec<TagRule> = rules
        .into_iter()
        .filter(|r| r.tag_id == tag.id && r.id != rule_id)
        .collect();
    let (gained, lost) = tag_diff(c, &tag, &rest).await?;
    Ok((rule, preview_of(&tag, &gained, &lost)))
}
