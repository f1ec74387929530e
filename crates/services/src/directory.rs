//! The regulated-object directory (监管对象名录库, 鲁 task 3): entities keyed by the unified
//! social credit code, their licences and tags, search, bulk import, and 双告知 (new or
//! changed entities offered to their competent departments, 舞阳 (二)).

use lianjian_domain::lifecycle::Lifecycle;
use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use lianjian_domain::Invalid;
use lianjian_domain::account::Role;
use lianjian_domain::audit::AuditEntry;
use lianjian_domain::directory::{self as rules, CreditClass, EntityType, Licence, RegStatus};
use lianjian_domain::region::RegionCode;
use lianjian_domain::scope::{Actor, Scope};
use lianjian_domain::tag::TagSource;
use lianjian_domain::tag_expr::{EntityFacts, TagExpr};
use lianjian_domain::usci::Usci;
use lianjian_store::changes::{self, DirectoryChange};
use lianjian_store::claims;
use lianjian_store::entities::{self as repo, EntitySearch, ResolvedExpr};
use lianjian_store::items::{self as item_repo, Item};
use lianjian_store::tags::{self as tag_repo, Tag};
use lianjian_store::{Conn, Page, PageRequest, audit, departments, regions};
use serde::Serialize;
use uuid::Uuid;

use crate::error::{Checker, FieldError};
use crate::trail::{Record, record, record_many};
use crate::{Result, ServiceError, Services, tags};

/// Entities and 双告知 claims as this service reads and lists them.
pub use lianjian_store::claims::{Claim, ClaimStatus};
pub use lianjian_store::entities::{Entity, EntitySort};

/// One entity as a form, an API call or a spreadsheet row gives it: every field raw text.
#[derive(Debug, Clone, Default)]
pub struct EntityInput {
    pub usci: String,
    pub name: String,
    pub entity_type: String,
    pub legal_rep: String,
    pub address: String,
    pub region_code: String,
    pub industry_code: String,
    pub reg_status: String,
    pub business_scope: String,
    pub credit_class: String,
    pub credit_date: String,
    pub credit_source: String,
    /// (type, number, issuer, valid from, valid to)
    pub licences: Vec<[String; 5]>,
    /// Tag codes set by hand, separated by commas or 、.
    pub tags: String,
}

/// An entity that parsed, ready to save.
#[derive(Debug, Clone)]
pub struct ParsedEntity {
    pub entity: Entity,
    pub licences: Vec<Licence>,
    pub tag_codes: Vec<String>,
}

/// What parsing needs to know about the world: which regions and tags exist.
pub struct Vocabulary {
    pub regions: HashSet<String>,
    pub tags: HashMap<String, Tag>,
}

impl Vocabulary {
    pub async fn load(svc: &Services) -> Result<Self> {
        let c = svc.store.conn();
        let regions = regions::all_codes(c).await?;
        let tags = tag_repo::all(c)
            .await?
            .into_iter()
            .map(|t| (t.code.clone(), t))
            .collect();
        Ok(Self { regions, tags })
    }
}

fn opt(s: &str, max: usize, zh: &str, en: &str) -> Result<Option<String>, Invalid> {
    let t = s.trim();
    if t.is_empty() {
        Ok(None)
    } else {
        lianjian_domain::error::bounded_text(t, 1, max, zh, en).map(Some)
    }
}

/// Parses one entity, reporting every bad field. Pure but for the vocabulary it is given.
pub fn parse_entity(
    input: &EntityInput,
    vocab: &Vocabulary,
) -> Result<ParsedEntity, Vec<FieldError>> {
    let mut ch = Checker::default();
    let usci = ch.check("usci", Usci::parse(&input.usci));
    let name = ch.check("name", rules::entity_name(&input.name));
    let entity_type = match input.entity_type.trim() {
        // Left blank: what the credit code's second character says.
        "" => usci
            .as_ref()
            .map(|u: &Usci| EntityType::parse(u.entity_kind_hint()).unwrap_or(EntityType::Other)),
        t => ch.check("entity_type", EntityType::parse(t)),
    };
    let legal_rep = ch.check(
        "legal_rep",
        opt(&input.legal_rep, 64, "法定代表人", "legal representative"),
    );
    let address = ch.check("address", opt(&input.address, 255, "地址", "address"));
    let region = match ch.check("region_code", RegionCode::parse(&input.region_code)) {
        Some(r) if vocab.regions.contains(r.as_str()) => Some(r),
        Some(r) => {
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
        None => None,
    };
    let industry = ch.check("industry_code", rules::industry_code(&input.industry_code));
    let reg_status = match input.reg_status.trim() {
        "" => Some(RegStatus::Active),
        s => ch.check("reg_status", RegStatus::parse(s)),
    };
    let scope = ch.check(
        "business_scope",
        opt(&input.business_scope, 4000, "经营范围", "business scope"),
    );
    let credit = match input.credit_class.trim() {
        "" => Some(None),
        s => ch
            .check("credit_class", CreditClass::parse_loose(s))
            .map(Some),
    };
    let credit_date = ch.check("credit_date", rules::loose_date(&input.credit_date));
    let credit_source = ch.check(
        "credit_source",
        opt(&input.credit_source, 64, "分类来源", "credit source"),
    );
    let mut licences = Vec::new();
    for (i, l) in input.licences.iter().enumerate() {
        if l.iter().all(|f| f.trim().is_empty()) {
            continue;
        }
        if let Some(l) = ch.check(
            &format!("licences[{i}]"),
            Licence::parse(&l[0], &l[1], &l[2], &l[3], &l[4]),
        ) {
            licences.push(l);
        }
    }
    let mut tag_codes = Vec::new();
    for code in input
        .tags
        .split([',', '，', '、', ';', '；', ' '])
        .map(str::trim)
        .filter(|c| !c.is_empty())
    {
        if vocab.tags.contains_key(code) {
            if !tag_codes.iter().any(|c| c == code) {
                tag_codes.push(code.to_string());
            }
        } else {
            ch.push(
                "tags",
                Invalid::new(
                    "unknown_tag",
                    format!("标签“{code}”不存在"),
                    format!("tag '{code}' does not exist"),
                ),
            );
        }
    }
    if let (Some(u), Some(r)) = (&usci, &region) {
        // The credit code carries the registering region; a different directory region is
        // allowed (entities move) but not a different province, which is almost always a typo.
        if !u.region_code().starts_with(&r.as_str()[..2]) && u.region_code() != "000000" {
            tracing::debug!(usci = %u, region = %r, "credit code registered in another province");
        }
    }
    let errs = ch.into_errors();
    if !errs.is_empty() {
        return Err(errs);
    }
    let now = Utc::now();
    Ok(ParsedEntity {
        entity: Entity {
            id: Uuid::now_v7(),
            usci: usci.expect("checked").as_str().to_string(),
            name: name.expect("checked"),
            entity_type: entity_type.expect("checked"),
            legal_rep: legal_rep.expect("checked"),
            address: address.expect("checked"),
            region_code: region.expect("checked"),
            industry_code: industry.expect("checked"),
            reg_status: reg_status.expect("checked"),
            business_scope: scope.expect("checked"),
            credit_class: credit.expect("checked"),
            credit_date: credit_date.expect("checked"),
            credit_source: credit_source.expect("checked"),
            created_at: now,
            updated_at: now,
        },
        licences,
        tag_codes,
    })
}

/// Whether the actor may add or change entities (in its own region; [`save`] and imports
/// check the entity's region too). The console shows the directory's edit actions only when
/// this holds.
pub fn may_edit_entities(a: &Actor) -> bool {
    matches!(
        a.role,
        Role::SystemAdmin | Role::CoordinationOffice | Role::DepartmentAdmin
    )
}

/// Whether the actor works a queue of 双告知 claims: a department's pending claims, or the
/// escalations of a coordination office ([`claim_queue`]).
pub fn may_handle_claims(a: &Actor) -> bool {
    matches!(
        a.role,
        Role::SystemAdmin | Role::CoordinationOffice | Role::DepartmentAdmin
    )
}

/// Who may add or change entities: administrators and coordination offices, in their region.
fn ensure_editor(a: &Actor, region: &RegionCode) -> Result<()> {
    if !may_edit_entities(a) {
        return Err(ServiceError::Forbidden);
    }
    if a.full_scope()
        .region
        .as_ref()
        .is_some_and(|r| !region.is_within(r))
    {
        return Err(ServiceError::field(
            "region_code",
            Invalid::new(
                "outside_scope",
                format!("行政区划“{region}”不在您的管理范围内"),
                format!("region {region} is outside your scope"),
            ),
        ));
    }
    Ok(())
}

/// Outcome of a bulk import.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ImportReport {
    pub inserted: u64,
    pub updated: u64,
    pub unchanged: u64,
    pub claims_created: u64,
}

/// Saves parsed entities in one transaction: inserts new credit codes, updates changed ones,
/// leaves identical ones alone (so importing a file twice changes nothing), applies tag rules,
/// and offers new entities to their competent departments (双告知). `progress` is called with
/// the number of rows done. The form's path; a file's import runs as a job of short
/// transactions instead (`exchange::jobs`).
pub async fn import(
    svc: &Services,
    actor: &Actor,
    rows: Vec<ParsedEntity>,
    progress: &(dyn Fn(u64) + Sync),
) -> Result<ImportReport> {
    for r in &rows {
        ensure_editor(actor, &r.entity.region_code)?;
    }
    let tx = svc.store.begin().await?;
    repo::prepare_bulk(&tx).await?;
    let mut report = ImportReport::default();
    let mut done = 0u64;
    let mut touched: Vec<Uuid> = Vec::new();
    for chunk in rows.chunks(2000) {
        touched.extend(import_chunk(&tx, actor, chunk, &mut report).await?.touched);
        done += chunk.len() as u64;
        progress(done);
    }
    changes::append_directory_changes(&tx, &DirectoryChange::entities(&touched)).await?;
    tx.commit().await?;
    svc.apply_own_changes().await;
    Ok(report)
}

/// What an entity was before an import changed it: enough to put it back.
#[derive(Debug, Clone, Serialize, serde::Deserialize)]
pub(crate) struct BeforeImage {
    pub entity: Entity,
    pub licences: Vec<Licence>,
    pub tags: Vec<(Uuid, TagSource)>,
}

/// What one chunk of an import wrote.
pub(crate) struct ChunkWrite {
    /// Entities inserted or changed (for the index).
    pub touched: Vec<Uuid>,
    /// (entity, before-image as JSON): `None` for an inserted entity.
    pub journal: Vec<(Uuid, Option<String>)>,
}

/// Saves one chunk of parsed entities inside the caller's transaction (see [`import`]), adding
/// to `report`. The vocabulary (tags, rules, 双告知 targets) is read in the same transaction,
/// so a chunk is consistent with itself even when chunks commit apart.
pub(crate) async fn import_chunk(
    tx: &impl Conn,
    actor: &Actor,
    chunk: &[ParsedEntity],
    report: &mut ImportReport,
) -> Result<ChunkWrite> {
    let all_rules = tag_repo::rules(tx).await?;
    let all_tags = tag_repo::all(tx).await?;
    let tag_by_code: HashMap<&str, &Tag> = all_tags.iter().map(|t| (t.code.as_str(), t)).collect();
    // 双告知 targets by (owner department, region): the same for every entity of a region.
    let mut targets = HashMap::new();
    let mut out = ChunkWrite {
        touched: Vec::new(),
        journal: Vec::new(),
    };
    let uscis: Vec<String> = chunk.iter().map(|r| r.entity.usci.clone()).collect();
    let existing = repo::by_uscis(tx, &uscis).await?;
    let ids: Vec<Uuid> = existing.values().map(|e| e.id).collect();
    let mut existing_licences = repo::licences_of_many(tx, &ids).await?;
    let existing_tags = repo::tags_of_many(tx, &ids).await?;
    let mut inserts: Vec<Entity> = Vec::new();
    let mut tag_rows: Vec<(Uuid, Uuid, String, TagSource)> = Vec::new();
    let mut audits: Vec<Record<'_>> = Vec::new();
    let mut new_entities: Vec<(Entity, Vec<Uuid>)> = Vec::new();
    let mut new_licences: Vec<(Uuid, RegionCode, Licence)> = Vec::new();
    for p in chunk {
        let licence_types: Vec<String> =
            p.licences.iter().map(|l| l.licence_type.clone()).collect();
        match existing.get(&p.entity.usci) {
            None => {
                let e = p.entity.clone();
                let mut tag_ids: Vec<Uuid> = p
                    .tag_codes
                    .iter()
                    .filter_map(|c| tag_by_code.get(c.as_str()).map(|t| t.id))
                    .collect();
                for (t, _) in tags::rule_tags(&all_rules, &all_tags, &e, &licence_types) {
                    if !tag_ids.contains(&t) {
                        tag_rows.push((e.id, t, e.region_code.to_string(), TagSource::Rule));
                        tag_ids.push(t);
                    }
                }
                for c in &p.tag_codes {
                    if let Some(t) = tag_by_code.get(c.as_str()) {
                        tag_rows.push((e.id, t.id, e.region_code.to_string(), TagSource::Import));
                    }
                }
                audits.push(Record::new("entity.create", "entity", e.id).at(&e.region_code, None).after(&serde_json::json!({"entity": &e, "licences": &p.licences, "source": "import"})));
                new_licences.extend(
                    p.licences
                        .iter()
                        .map(|l| (e.id, e.region_code.clone(), l.clone())),
                );
                inserts.push(e.clone());
                out.touched.push(e.id);
                out.journal.push((e.id, None));
                new_entities.push((e, tag_ids));
                report.inserted += 1;
            }
            Some(old) => {
                // Upserting by credit code must not move another region's entity (and its
                // history) into the importer's: the existing record must be in scope too.
                if let Some(e) = registered_elsewhere(actor, old) {
                    return Err(ServiceError::field("usci", e));
                }
                let mut e = p.entity.clone();
                e.id = old.id;
                e.created_at = old.created_at;
                let current_licences = existing_licences.remove(&old.id).unwrap_or_default();
                let licences_same = current_licences.len() == p.licences.len()
                    && current_licences.iter().all(|l| p.licences.contains(l));
                let current_tags = existing_tags.get(&old.id).cloned().unwrap_or_default();
                let tags_missing: Vec<Uuid> = p
                    .tag_codes
                    .iter()
                    .filter_map(|c| tag_by_code.get(c.as_str()).map(|t| t.id))
                    .filter(|t| !current_tags.iter().any(|(ct, _)| ct == t))
                    .collect();
                if e.same_content(old) && licences_same && tags_missing.is_empty() {
                    report.unchanged += 1;
                    continue;
                }
                let before = BeforeImage {
                    entity: old.clone(),
                    licences: current_licences,
                    tags: current_tags,
                };
                out.journal.push((
                    e.id,
                    Some(serde_json::to_string(&before).map_err(|x| {
                        ServiceError::internal(lianjian_store::StoreError::Corrupt(format!(
                            "before-image of {}: {x}",
                            e.id
                        )))
                    })?),
                ));
                repo::update(tx, &e).await?;
                out.touched.push(e.id);
                if !licences_same {
                    repo::replace_licences(tx, e.id, &e.region_code, &p.licences).await?;
                }
                for t in tags_missing {
                    tag_rows.push((e.id, t, e.region_code.to_string(), TagSource::Import));
                }
                tags::apply_rules(tx, &e).await?;
                audits.push(Record::new("entity.update", "entity", e.id).at(&e.region_code, None).before(old).after(&serde_json::json!({"entity": &e, "licences": &p.licences, "source": "import"})));
                report.updated += 1;
            }
        }
    }
    repo::insert_many(tx, &inserts).await?;
    repo::insert_licences_many(tx, &new_licences).await?;
    repo::add_tags_many(tx, &tag_rows).await?;
    record_many(tx, actor, audits).await?;
    // New entities have no claims yet; their claims' records are appended in one go.
    let mut claim_records = Vec::new();
    for (e, tag_ids) in &new_entities {
        let asked = offer_targets(tx, e, tag_ids, &all_tags, &mut targets).await?;
        for cl in offer_claims(e, asked, &[]) {
            claims::insert(tx, &cl).await?;
            claim_records.push(claim_record(&cl));
            report.claims_created += 1;
        }
    }
    record_many(tx, actor, claim_records).await?;
    Ok(out)
}

/// Why `actor` may not change the existing entity `old` by importing its credit code: it is
/// registered outside the actor's region.
pub(crate) fn registered_elsewhere(actor: &Actor, old: &Entity) -> Option<Invalid> {
    if actor
        .full_scope()
        .region
        .as_ref()
        .is_none_or(|r| old.region_code.is_within(r))
    {
        return None;
    }
    Some(Invalid::new(
        "registered_elsewhere",
        format!(
            "统一社会信用代码“{}”已登记在您管理范围以外的地区（{}），不能修改",
            old.usci, old.region_code
        ),
        format!(
            "credit code {} is registered outside your scope ({})",
            old.usci, old.region_code
        ),
    ))
}

/// Undoes what one chunk of an import job wrote, inside the caller's transaction: entities it
/// inserted are deleted with their licences, tags and 双告知 claims; entities it changed get
/// their before-image back (row, licences, tags). Returns (deleted, restored) ids.
pub(crate) async fn undo_chunk(
    tx: &impl Conn,
    rows: &[(Uuid, Option<String>)],
) -> Result<(Vec<Uuid>, Vec<Uuid>)> {
    let inserted: Vec<Uuid> = rows
        .iter()
        .filter(|(_, b)| b.is_none())
        .map(|(id, _)| *id)
        .collect();
    let mut restored = Vec::new();
    for (id, before) in rows {
        let Some(before) = before else { continue };
        let b: BeforeImage = serde_json::from_str(before).map_err(|x| {
            ServiceError::internal(lianjian_store::StoreError::Corrupt(format!(
                "journal of entity {id}: {x}"
            )))
        })?;
        match repo::update(tx, &b.entity).await {
            Ok(()) => {}
            // Deleted since (no use case deletes entities today): nothing to put back.
            Err(lianjian_store::StoreError::NotFound) => continue,
            Err(e) => return Err(e.into()),
        }
        repo::replace_licences(tx, b.entity.id, &b.entity.region_code, &b.licences).await?;
        repo::set_tags(tx, b.entity.id, &b.entity.region_code, &b.tags).await?;
        restored.push(*id);
    }
    if !inserted.is_empty() {
        claims::delete_of_entities(tx, &inserted).await?;
        repo::delete_many(tx, &inserted).await?;
    }
    Ok((inserted, restored))
}

/// 双告知: offers an entity to the competent department of each owning tag it carries — the
/// department of the owner's line nearest the entity (county, then city, then province) — or,
/// if no tag names one, to the coordination office for 研判定性. Returns claims created.
async fn notify(
    c: &impl Conn,
    actor: &Actor,
    e: &Entity,
    tag_ids: &[Uuid],
    all_tags: &[Tag],
) -> Result<u64> {
    let existing = claims::of_entity(c, e.id).await?;
    let asked = offer_targets(c, e, tag_ids, all_tags, &mut HashMap::new()).await?;
    let created = offer_claims(e, asked, &existing);
    for cl in &created {
        claims::insert(c, cl).await?;
        record(c, actor, claim_record(cl)).await?;
    }
    Ok(created.len() as u64)
}

/// The departments (with why) an entity is offered to: for each owning tag it carries, the
/// department of the owner's line nearest the entity. `cache` keeps the answer per (owner,
/// region) for the length of one transaction (a bulk import asks the same question often).
async fn offer_targets(
    c: &impl Conn,
    e: &Entity,
    tag_ids: &[Uuid],
    all_tags: &[Tag],
    cache: &mut HashMap<(Uuid, String), Option<Uuid>>,
) -> Result<Vec<(Uuid, String)>> {
    let mut asked: Vec<(Uuid, String)> = Vec::new();
    for t in all_tags.iter().filter(|t| tag_ids.contains(&t.id)) {
        let Some(owner) = t.owner_department_id else {
            continue;
        };
        let key = (owner, e.region_code.to_string());
        let target = match cache.get(&key) {
            Some(found) => *found,
            None => {
                let found = match departments::get(c, owner).await? {
                    None => None,
                    Some(owner_dept) => Some(
                        crate::departments::nearest_of_line(c, &owner_dept.line, &e.region_code)
                            .await?
                            .map_or(owner_dept.id, |d| d.id),
                    ),
                };
                cache.insert(key, found);
                found
            }
        };
        let Some(target) = target else { continue };
        if !asked.iter().any(|(d, _)| *d == target) {
            asked.push((target, format!("标签“{}”", t.name)));
        }
    }
    Ok(asked)
}

/// The claims to create for an entity offered to `asked`, given the claims it already has: one
/// pending claim per department not yet asked, or an escalation to the coordination office
/// when no department is named and the entity has no claim at all.
fn offer_claims(e: &Entity, asked: Vec<(Uuid, String)>, existing: &[Claim]) -> Vec<Claim> {
    let now = Utc::now();
    let claim = |department_id: Option<Uuid>, status: ClaimStatus, matched_by: String| Claim {
        id: Uuid::now_v7(),
        entity_id: e.id,
        region_code: e.region_code.clone(),
        department_id,
        status,
        matched_by,
        reason: None,
        created_at: now,
        decided_at: None,
        decided_by: None,
        source: lianjian_store::claims::ClaimSource::Entity,
        source_id: None,
    };
    if asked.is_empty() {
        return if existing.is_empty() {
            vec![claim(
                None,
                ClaimStatus::Escalated,
                "无规则匹配的主管部门".into(),
            )]
        } else {
            Vec::new()
        };
    }
    asked
        .into_iter()
        .filter(|(d, _)| !existing.iter().any(|x| x.department_id == Some(*d)))
        .map(|(d, why)| claim(Some(d), ClaimStatus::Pending, why))
        .collect()
}

fn claim_record(cl: &Claim) -> Record<'static> {
    match cl.department_id {
        None => Record::new("claim.escalate", "entity", cl.entity_id)
            .at(&cl.region_code, None)
            .after(cl),
        Some(d) => Record::new("claim.notify", "entity", cl.entity_id)
            .at(&cl.region_code, Some(d))
            .after(cl),
    }
}

/// Adds or updates one entity (console form, API).
pub async fn save(svc: &Services, actor: &Actor, input: &EntityInput) -> Result<Entity> {
    let vocab = Vocabulary::load(svc).await?;
    let parsed = parse_entity(input, &vocab).map_err(ServiceError::Invalid)?;
    ensure_editor(actor, &parsed.entity.region_code)?;
    let usci = parsed.entity.usci.clone();
    import(svc, actor, vec![parsed], &|_| {}).await?;
    repo::by_usci(svc.store.conn(), &usci)
        .await?
        .ok_or(ServiceError::NotFound)
}

/// Search input as the API and console give it.
#[derive(Debug, Clone, Default)]
pub struct SearchInput {
    pub q: String,
    pub region: String,
    /// Tag codes, all required.
    pub tags: Vec<String>,
    /// Letters A–D.
    pub credit: String,
    pub entity_type: String,
    pub reg_status: String,
    /// Item code: entities the item covers.
    pub item: String,
    pub sort: String,
}

/// Turns search input into a store query limited to the actor's region subtree.
pub async fn search_query(
    svc: &Services,
    actor: &Actor,
    input: &SearchInput,
) -> Result<EntitySearch> {
    let c = svc.store.conn();
    let mut errs = Vec::new();
    let mut s = EntitySearch {
        q: Some(input.q.trim().to_string()).filter(|q| !q.is_empty()),
        ..Default::default()
    };
    let scope_region = actor.scope().region;
    s.region = match input.region.trim() {
        "" => scope_region.clone(),
        r => match RegionCode::parse(r) {
            Ok(code) => match &scope_region {
                // A region outside the scope narrows to nothing rather than widening.
                Some(sr) if !code.is_within(sr) && !sr.is_within(&code) => {
                    errs.push(FieldError::new(
                        "region",
                        Invalid::new(
                            "outside_scope",
                            "所选行政区划超出您的权限范围",
                            "region outside your scope",
                        ),
                    ));
                    None
                }
                Some(sr) if sr.is_within(&code) => Some(sr.clone()),
                _ => Some(code),
            },
            Err(e) => {
                errs.push(FieldError::new("region", e));
                None
            }
        },
    };
    for code in input
        .tags
        .iter()
        .map(|t| t.trim())
        .filter(|t| !t.is_empty())
    {
        match tag_repo::by_code(c, code).await? {
            Some(t) => s.tag_ids.push(t.id),
            None => errs.push(FieldError::new(
                "tag",
                Invalid::new(
                    "unknown_tag",
                    format!("标签“{code}”不存在"),
                    format!("tag '{code}' does not exist"),
                ),
            )),
        }
    }
    for ch in input
        .credit
        .split([',', ' '])
        .map(str::trim)
        .filter(|x| !x.is_empty())
    {
        match CreditClass::parse_loose(ch) {
            Ok(cc) => s.credit.push(cc),
            Err(e) => errs.push(FieldError::new("credit", e)),
        }
    }
    if !input.entity_type.trim().is_empty() {
        match EntityType::parse(&input.entity_type) {
            Ok(t) => s.entity_type = Some(t),
            Err(e) => errs.push(FieldError::new("entity_type", e)),
        }
    }
    if !input.reg_status.trim().is_empty() {
        match RegStatus::parse(&input.reg_status) {
            Ok(t) => s.reg_status = Some(t),
            Err(e) => errs.push(FieldError::new("reg_status", e)),
        }
    }
    if !input.item.trim().is_empty() {
        match item_repo::by_code(c, &input.item.trim().to_ascii_uppercase()).await? {
            Some(item) => s.covered_by = Some(resolve(svc, &item.object_expr).await?),
            None => errs.push(FieldError::new(
                "item",
                Invalid::new(
                    "unknown_item",
                    format!("事项“{}”不存在", input.item.trim()),
                    "no such item",
                ),
            )),
        }
    }
    s.sort = match input.sort.trim() {
        "" => Default::default(),
        x => repo::EntitySort::parse(x).unwrap_or_default(),
    };
    if !errs.is_empty() {
        return Err(ServiceError::Invalid(errs));
    }
    Ok(s)
}

/// Parses an item's object expression and resolves its tags (every one must exist).
pub async fn resolve(svc: &Services, expr: &str) -> Result<ResolvedExpr> {
    let parsed = TagExpr::parse(expr).map_err(|e| ServiceError::field("object_expr", e.into()))?;
    let mut ids = HashMap::new();
    for code in parsed.tags() {
        match tag_repo::by_code(svc.store.conn(), code).await? {
            Some(t) => {
                ids.insert(code.to_string(), t.id);
            }
            None => {
                return Err(ServiceError::field(
                    "object_expr",
                    Invalid::new(
                        "unknown_tag",
                        format!("对象表达式中的标签“{code}”不存在"),
                        format!("unknown tag '{code}' in the object expression"),
                    ),
                ));
            }
        }
    }
    Ok(ResolvedExpr {
        expr: parsed,
        tag_ids: ids,
    })
}

pub async fn search(
    svc: &Services,
    actor: &Actor,
    input: &SearchInput,
    page: PageRequest,
) -> Result<Page<Entity>> {
    let q = search_query(svc, actor, input).await?;
    svc.search_entities(&q, page).await
}

/// An entity with everything its page shows.
#[derive(Debug, Clone, Serialize)]
pub struct EntityDetail {
    pub entity: Entity,
    pub licences: Vec<Licence>,
    pub tags: Vec<(Tag, TagSource)>,
    /// Published items whose object definition selects this entity.
    pub items: Vec<Item>,
    pub claims: Vec<Claim>,
    pub timeline: Vec<AuditEntry>,
}

struct Facts<'a> {
    e: &'a Entity,
    tags: HashSet<&'a str>,
}

impl EntityFacts for Facts<'_> {
    fn has_tag(&self, code: &str) -> bool {
        self.tags.contains(code)
    }
    fn region(&self) -> &str {
        self.e.region_code.as_str()
    }
    fn entity_type(&self) -> &str {
        self.e.entity_type.label_zh()
    }
    fn credit_class(&self) -> Option<char> {
        self.e.credit_class.map(|c| c.letter())
    }
}

/// The entity, if the actor may see it: outside the actor's region subtree looks absent.
pub async fn visible_entity(svc: &Services, actor: &Actor, id: Uuid) -> Result<Entity> {
    repo::get_scoped(svc.store.conn(), &Scope::of(actor), id)
        .await?
        .ok_or(ServiceError::NotFound)
}

/// The entity a save with this credit code would update, if any; a conflict if another
/// region manages it (an upsert would move it, and its history, out of that region's view).
pub async fn existing_for_save(
    svc: &Services,
    actor: &Actor,
    usci: &str,
) -> Result<Option<Entity>> {
    let Ok(u) = Usci::parse(usci) else {
        return Ok(None);
    };
    let existing = repo::by_usci(svc.store.conn(), u.as_str()).await?;
    if let Some(e) = &existing
        && actor
            .full_scope()
            .region
            .as_ref()
            .is_some_and(|r| !e.region_code.is_within(r))
    {
        return Err(ServiceError::conflict(
            "usci",
            "该统一社会信用代码的监管对象已由其他地区登记管理，不能在此修改；如对象已迁入本地区，请联系其原所在地或联席办办理",
            "an entity with this credit code is managed by another region and cannot be changed here",
        ));
    }
    Ok(existing)
}

/// Entities outside the actor's region subtree look absent.
pub async fn get(svc: &Services, actor: &Actor, id: Uuid) -> Result<EntityDetail> {
    let c = svc.store.conn();
    let e = visible_entity(svc, actor, id).await?;
    let all_tags: HashMap<Uuid, Tag> = tag_repo::all(c)
        .await?
        .into_iter()
        .map(|t| (t.id, t))
        .collect();
    let tags: Vec<(Tag, TagSource)> = repo::tags_of(c, id)
        .await?
        .into_iter()
        .filter_map(|(t, s)| all_tags.get(&t).cloned().map(|t| (t, s)))
        .collect();
    let items = items_selecting(c, &e, &tags).await?;
    Ok(EntityDetail {
        licences: repo::licences_of(c, id).await?,
        claims: claims::of_entity(c, id).await?,
        timeline: audit::of_object(c, "entity", &id.to_string(), 200).await?,
        items,
        tags,
        entity: e,
    })
}

/// The published items of the entity's region line whose object definition (监管对象) selects
/// the entity with these tags.
async fn items_selecting(
    c: &impl Conn,
    e: &Entity,
    tags: &[(Tag, TagSource)],
) -> Result<Vec<Item>> {
    let facts = Facts {
        e,
        tags: tags.iter().map(|(t, _)| t.code.as_str()).collect(),
    };
    let mut items = Vec::new();
    for item in item_repo::published(c).await? {
        let applies = e.region_code.is_within(&item.region_code)
            || item.region_code.is_within(&e.region_code);
        if applies
            && let Ok(expr) = TagExpr::parse(&item.object_expr)
            && expr.matches(&facts)
        {
            items.push(item);
        }
    }
    Ok(items)
}

/// The published items that regulate an entity (its tags against each item's object
/// definition): a clue's routing suggests them.
pub(crate) async fn items_covering(c: &impl Conn, e: &Entity) -> Result<Vec<Item>> {
    let all_tags: HashMap<Uuid, Tag> = tag_repo::all(c)
        .await?
        .into_iter()
        .map(|t| (t.id, t))
        .collect();
    let tags: Vec<(Tag, TagSource)> = repo::tags_of(c, e.id)
        .await?
        .into_iter()
        .filter_map(|(t, s)| all_tags.get(&t).cloned().map(|t| (t, s)))
        .collect();
    items_selecting(c, e, &tags).await
}

/// Sets or removes a hand-set tag.
pub async fn set_tag(
    svc: &Services,
    actor: &Actor,
    entity_id: Uuid,
    tag_code: &str,
    present: bool,
) -> Result<()> {
    let c = svc.store.conn();
    let e = repo::get(c, entity_id)
        .await?
        .ok_or(ServiceError::NotFound)?;
    ensure_editor(actor, &e.region_code)?;
    let tag = tag_repo::by_code(c, tag_code.trim())
        .await?
        .ok_or_else(|| {
            ServiceError::field(
                "tag",
                Invalid::new(
                    "unknown_tag",
                    format!("标签“{tag_code}”不存在"),
                    format!("tag '{tag_code}' does not exist"),
                ),
            )
        })?;
    if !crate::tags::may_apply(actor, &tag) {
        return Err(ServiceError::Forbidden);
    }
    let tx = svc.store.begin().await?;
    let changed = if present {
        repo::add_tag(&tx, entity_id, &e.region_code, tag.id, TagSource::Manual).await?
    } else {
        repo::remove_tag(&tx, entity_id, tag.id).await?
    };
    if changed {
        let action = if present {
            "entity.tag_add"
        } else {
            "entity.tag_remove"
        };
        record(
            &tx,
            actor,
            Record::new(action, "entity", entity_id)
                .at(&e.region_code, None)
                .after(&serde_json::json!({"tag": tag.code})),
        )
        .await?;
        if present {
            let all_tags = tag_repo::all(&tx).await?;
            notify(&tx, actor, &e, &[tag.id], &all_tags).await?;
        }
        changes::append_directory_changes(&tx, &[DirectoryChange::Entity(entity_id)]).await?;
    }
    tx.commit().await?;
    svc.apply_own_changes().await;
    Ok(())
}

// ---- 双告知 queues ----

/// A claim with what its queue shows.
#[derive(Debug, Clone, Serialize)]
pub struct ClaimView {
    pub claim: Claim,
    pub entity_name: String,
    pub usci: String,
    pub department_name: Option<String>,
    /// Hours since the claim was created (the queue shows waiting time).
    pub waiting_hours: i64,
}

async fn views(svc: &Services, page: Page<Claim>) -> Result<Page<ClaimView>> {
    let c = svc.store.conn();
    let dept_ids: Vec<Uuid> = page.items.iter().filter_map(|x| x.department_id).collect();
    let depts = departments::by_ids(c, &dept_ids).await?;
    let now: DateTime<Utc> = Utc::now();
    let mut items = Vec::with_capacity(page.items.len());
    for cl in &page.items {
        let e = repo::get(c, cl.entity_id).await?;
        items.push(ClaimView {
            entity_name: e.as_ref().map(|e| e.name.clone()).unwrap_or_default(),
            usci: e.map(|e| e.usci).unwrap_or_default(),
            department_name: cl
                .department_id
                .and_then(|d| depts.get(&d).map(|d| d.name.clone())),
            waiting_hours: (now - cl.created_at).num_hours(),
            claim: cl.clone(),
        });
    }
    Ok(Page {
        items,
        total: page.total,
        page: page.page,
        per_page: page.per_page,
    })
}

/// The actor's queue: its department's pending claims, or for a coordination office the
/// escalations of its region subtree.
pub async fn claim_queue(
    svc: &Services,
    actor: &Actor,
    page: PageRequest,
) -> Result<Page<ClaimView>> {
    let c = svc.store.conn();
    let p = match actor.role {
        Role::CoordinationOffice | Role::SystemAdmin => {
            claims::queue(c, &Scope::of(actor), None, ClaimStatus::Escalated, page).await?
        }
        Role::DepartmentAdmin => {
            claims::queue(
                c,
                &Scope::of(actor),
                Some(actor.department_id),
                ClaimStatus::Pending,
                page,
            )
            .await?
        }
        _ => return Err(ServiceError::Forbidden),
    };
    views(svc, p).await
}

/// A department accepts or rejects (with a reason) a claim in its queue. When the last
/// department rejects, the entity goes to the coordination office.
pub async fn decide_claim(
    svc: &Services,
    actor: &Actor,
    claim_id: Uuid,
    accept: bool,
    reason: &str,
) -> Result<()> {
    if actor.role != Role::DepartmentAdmin && actor.role != Role::SystemAdmin {
        return Err(ServiceError::Forbidden);
    }
    let reason = reason.trim();
    if !accept && reason.is_empty() {
        return Err(ServiceError::field(
            "reason",
            Invalid::new("required", "退回须说明理由", "a rejection needs a reason"),
        ));
    }
    let tx = svc.store.begin().await?;
    let cl = claims::get(&tx, claim_id)
        .await?
        .ok_or(ServiceError::NotFound)?;
    let status = if accept {
        ClaimStatus::Accepted
    } else {
        ClaimStatus::Rejected
    };
    // A claim no longer pending is out of the department's queue: as absent as another's.
    if !cl.status.can_move_to(status)
        || (actor.role == Role::DepartmentAdmin && cl.department_id != Some(actor.department_id))
    {
        return Err(ServiceError::NotFound);
    }
    let now = Utc::now();
    claims::decide(
        &tx,
        claim_id,
        status,
        Some(reason).filter(|r| !r.is_empty()),
        &actor.username,
        now,
        None,
    )
    .await?;
    record(
        &tx,
        actor,
        Record::new(
            if accept {
                "claim.accept"
            } else {
                "claim.reject"
            },
            "entity",
            cl.entity_id,
        )
        .at(&cl.region_code, cl.department_id)
        .after(&serde_json::json!({"claim": claim_id, "reason": reason})),
    )
    .await?;
    if accept && let Some(dept) = cl.department_id {
        mark_claimed(&tx, actor, cl.entity_id, &cl.region_code, dept).await?;
    }
    let mut escalated = None;
    if !accept {
        // The other departments offered the same thing (an entity's 双告知 claims, or a
        // hand-over's claims).
        let others = match cl.source_id {
            Some(sid) => claims::of_source(&tx, cl.source, sid).await?,
            None => claims::of_entity(&tx, cl.entity_id).await?,
        };
        let open = others.iter().any(|o| {
            o.id != claim_id
                && matches!(
                    o.status,
                    ClaimStatus::Pending
                        | ClaimStatus::Accepted
                        | ClaimStatus::Escalated
                        | ClaimStatus::Assigned
                )
        });
        if !open {
            let esc = cl.escalation(format!("各部门均已退回：{reason}"), now);
            claims::insert(&tx, &esc).await?;
            record(
                &tx,
                actor,
                Record::new("claim.escalate", "entity", cl.entity_id)
                    .at(&cl.region_code, None)
                    .after(&esc),
            )
            .await?;
            escalated = Some(esc);
        }
    }
    crate::licensing::follow_claim(
        &tx,
        svc,
        actor,
        &cl,
        status,
        cl.department_id,
        escalated.as_ref(),
    )
    .await?;
    changes::append_directory_changes(&tx, &[DirectoryChange::Entity(cl.entity_id)]).await?;
    tx.commit().await?;
    svc.apply_own_changes().await;
    Ok(())
}

/// The coordination office decides (研判定性) an escalated entity and assigns it to a department.
pub async fn assign_claim(
    svc: &Services,
    actor: &Actor,
    claim_id: Uuid,
    department_id: Uuid,
    note: &str,
) -> Result<()> {
    if !matches!(actor.role, Role::CoordinationOffice | Role::SystemAdmin) {
        return Err(ServiceError::Forbidden);
    }
    let tx = svc.store.begin().await?;
    let cl = claims::get(&tx, claim_id)
        .await?
        .ok_or(ServiceError::NotFound)?;
    if !cl.status.can_move_to(ClaimStatus::Assigned)
        || actor
            .scope()
            .region
            .as_ref()
            .is_some_and(|r| !cl.region_code.is_within(r))
    {
        return Err(ServiceError::NotFound);
    }
    let d = departments::get(&tx, department_id)
        .await?
        .filter(|d| cl.region_code.is_within(&d.region_code))
        .ok_or_else(|| {
            ServiceError::field(
                "department_id",
                Invalid::new(
                    "unknown_department",
                    "所选部门不存在或不管辖该对象所在地区",
                    "department does not exist or does not cover the entity's region",
                ),
            )
        })?;
    claims::decide(
        &tx,
        claim_id,
        ClaimStatus::Assigned,
        Some(note.trim()).filter(|n| !n.is_empty()),
        &actor.username,
        Utc::now(),
        Some(d.id),
    )
    .await?;
    record(
        &tx,
        actor,
        Record::new("claim.assign", "entity", cl.entity_id)
            .at(&cl.region_code, Some(d.id))
            .after(&serde_json::json!({"claim": claim_id, "department": d.name, "note": note})),
    )
    .await?;
    mark_claimed(&tx, actor, cl.entity_id, &cl.region_code, d.id).await?;
    crate::licensing::follow_claim(
        &tx,
        svc,
        actor,
        &cl,
        ClaimStatus::Assigned,
        Some(d.id),
        None,
    )
    .await?;
    changes::append_directory_changes(&tx, &[DirectoryChange::Entity(cl.entity_id)]).await?;
    tx.commit().await?;
    svc.apply_own_changes().await;
    Ok(())
}

/// What a batch does to each claim it names (认领 / 退回 / 指定主管部门).
#[derive(Debug, Clone)]
pub enum ClaimDecision {
    Accept,
    /// Reject with one reason for every claim of the batch.
    Reject {
        reason: String,
    },
    /// The coordination office assigns every claim of the batch to one department.
    Assign {
        department_id: Uuid,
        note: String,
    },
}

/// One claim of a batch and what became of it.
#[derive(Debug)]
pub struct BatchRow {
    pub claim_id: Uuid,
    /// The entity's name, when the actor may know it (the claim is the actor's to decide).
    pub entity_name: Option<String>,
    /// Why this claim was not decided; `None`: done.
    pub error: Option<ServiceError>,
}

/// At most this many claims in one batch (a queue page holds 20 … 100).
pub const MAX_BATCH: usize = 200;

/// Decides several claims at once. Each claim goes through the single action
/// ([`decide_claim`] / [`assign_claim`]), in its own transaction and with the same
/// authorization, so one claim that fails (handled meanwhile by someone else, outside the
/// actor's queue, a department that does not cover its region) leaves the others done and is
/// reported with its reason. What is wrong with the batch itself (no claim chosen, no reason
/// for a rejection, too many claims) fails the whole batch before anything is written.
pub async fn decide_claims(
    svc: &Services,
    actor: &Actor,
    ids: &[Uuid],
    decision: &ClaimDecision,
) -> Result<Vec<BatchRow>> {
    if !may_handle_claims(actor) {
        return Err(ServiceError::Forbidden);
    }
    let mut ids = ids.to_vec();
    let mut seen = HashSet::new();
    ids.retain(|id| seen.insert(*id));
    if ids.is_empty() {
        return Err(ServiceError::field(
            "ids",
            Invalid::new(
                "required",
                "请先勾选要处理的对象",
                "choose at least one claim",
            ),
        ));
    }
    if ids.len() > MAX_BATCH {
        return Err(ServiceError::field(
            "ids",
            Invalid::new(
                "too_many",
                format!("一次最多处理 {MAX_BATCH} 条"),
                format!("at most {MAX_BATCH} claims at once"),
            ),
        ));
    }
    if let ClaimDecision::Reject { reason } = decision
        && reason.trim().is_empty()
    {
        return Err(ServiceError::field(
            "reason",
            Invalid::new("required", "退回须说明理由", "a rejection needs a reason"),
        ));
    }
    let mut out = Vec::with_capacity(ids.len());
    for id in ids {
        let r = match decision {
            ClaimDecision::Accept => decide_claim(svc, actor, id, true, "").await,
            ClaimDecision::Reject { reason } => decide_claim(svc, actor, id, false, reason).await,
            ClaimDecision::Assign {
                department_id,
                note,
            } => assign_claim(svc, actor, id, *department_id, note).await,
        };
        // A claim the actor may not decide stays nameless: the batch reveals nothing the
        // single action would not.
        let named = matches!(
            r,
            Ok(()) | Err(ServiceError::Invalid(_)) | Err(ServiceError::Conflict { .. })
        );
        let entity_name = if named {
            entity_name_of_claim(svc, id).await?
        } else {
            None
        };
        out.push(BatchRow {
            claim_id: id,
            entity_name,
            error: r.err(),
        });
    }
    Ok(out)
}

async fn entity_name_of_claim(svc: &Services, claim_id: Uuid) -> Result<Option<String>> {
    let c = svc.store.conn();
    let Some(cl) = claims::get(c, claim_id).await? else {
        return Ok(None);
    };
    Ok(repo::get(c, cl.entity_id).await?.map(|e| e.name))
}

/// The tag that says "this department has claimed this entity" (双告知 认领): code
/// `claimed.<department region>.<line>`, owned by the department, created on first use. Item
/// object definitions can use it, so an accepted claim puts the entity in the department's items.
pub fn claimed_tag_code(dept: &departments::Department) -> String {
    format!("claimed.{}.{}", dept.region_code, dept.line)
}

/// Tags the entity as claimed by `department_id` with source 双告知, in the caller's transaction.
async fn mark_claimed(
    tx: &impl Conn,
    actor: &Actor,
    entity_id: Uuid,
    entity_region: &RegionCode,
    department_id: Uuid,
) -> Result<()> {
    let dept = departments::get(tx, department_id)
        .await?
        .ok_or(ServiceError::NotFound)?;
    let code = claimed_tag_code(&dept);
    let tag = match tag_repo::by_code(tx, &code).await? {
        Some(t) => t,
        None => {
            let now = Utc::now();
            let t = Tag {
                id: Uuid::now_v7(),
                code: code.clone(),
                name: format!("{}认领", dept.name),
                parent_id: None,
                level: lianjian_domain::tag::TagLevel::Minor,
                region_code: dept.region_code.clone(),
                owner_department_id: Some(dept.id),
                description: Some("双告知：该部门已认领的监管对象".into()),
                valid_from: None,
                valid_to: None,
                status: "active".into(),
                risk_weight: 1,
                created_at: now,
                updated_at: now,
            };
            tag_repo::insert(tx, &t).await?;
            record(
                tx,
                actor,
                Record::new("tag.create", "tag", t.id)
                    .at(&t.region_code, Some(dept.id))
                    .after(&t),
            )
            .await?;
            t
        }
    };
    if repo::add_tag(
        tx,
        entity_id,
        entity_region,
        tag.id,
        TagSource::Notification,
    )
    .await?
    {
        record(
            tx,
            actor,
            Record::new("entity.tag_add", "entity", entity_id)
                .at(entity_region, Some(dept.id))
                .after(
                    &serde_json::json!({"tag": code, "source": TagSource::Notification.as_str()}),
                ),
        )
        .await?;
    }
    Ok(())
}
