//! Joint credit supervision (联合信用监管, 国办发〔2023〕1号 (十一), 鲁 task 14): the credit
//! entries kept per entity (信用记录: penalties, listings, commendations; sanctions come from the
//! joint-sanction flow), their import and the public credit information (`public`); the
//! evaluation that sets the classes (`evaluation`); joint sanctions (`sanctions`) and
//! objections and credit repair (`repair`).
//!
//! Credit information is shared by every line within a region (国办 (十一): departments use
//! each other's records), so reading follows the directory's scope; recording is for the
//! deciding department's administrators and the coordination office.

pub mod evaluation;
pub mod public;
pub mod repair;
pub mod sanctions;

use chrono::NaiveDate;
use lianjian_domain::account::Role;
use lianjian_domain::credit::{
    self as rules, PenaltyKind, RecordDetail, RecordKind, RecordSource, RecordStatus, StrictField,
    Tier,
};
use lianjian_domain::directory::loose_date;
use lianjian_domain::scope::{Actor, Scope};
use lianjian_domain::usci::Usci;
use lianjian_domain::visit::beijing_date;
use lianjian_domain::{Invalid, page::Page};
use lianjian_store::credit::{self as repo};
use lianjian_store::departments as dept_repo;
use lianjian_store::entities::{self as entity_repo, Entity};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::error::Checker;
use crate::trail::{self, Record};
use crate::{PageRequest, Result, ServiceError, Services};

pub use lianjian_store::credit::{Entry, EntryQuery};

/// Whether `actor` may record credit entries: the coordination office (for any department of
/// its region) and department administrators (for their own department's decisions).
pub fn may_record(actor: &Actor) -> bool {
    matches!(
        actor.role,
        Role::SystemAdmin | Role::CoordinationOffice | Role::DepartmentAdmin
    )
}

/// Every staff role reads the credit entries of its region: credit supervision is joint.
pub fn may_read(_actor: &Actor) -> bool {
    true
}

fn today(svc: &Services) -> NaiveDate {
    beijing_date(svc.now())
}

/// A credit entry as typed in a form, a sheet row or an API body: text, parsed all at once.
#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct EntryInput {
    /// 统一社会信用代码 of the entity.
    pub usci: String,
    /// 行政处罚 / 经营异常名录 / 严重违法失信名单 / 表彰奖励 (code or label).
    pub kind: String,
    /// 轻微 / 一般 / 严重: penalties only.
    pub tier: String,
    /// The day of the decision, listing or commendation.
    pub occurred_on: String,
    /// 决定书文号 / 列入文号.
    pub reference: String,
    /// 违法行为 / 列入原因 / 表彰事由.
    pub title: String,
    pub legal_basis: String,
    /// 处罚种类, separated by 、 or commas.
    pub penalty_kinds: String,
    /// 罚没金额 in yuan.
    pub amount: String,
    /// 食品 / 药品 / 特种设备 / 安全生产 / 消防安全, when the penalty is in one of them.
    pub strict_field: String,
    /// The deciding department's id (the import resolves names to ids first). Department
    /// administrators may leave it empty: their own department.
    pub department_id: String,
    /// 移出日期 and 移出原因 of a listing.
    pub removed_on: String,
    pub removal_reason: String,
}

/// The field of [`EntryInput`] each error names (the import maps them to columns).
pub const FIELDS: &[&str] = &[
    "usci",
    "kind",
    "tier",
    "occurred_on",
    "reference",
    "title",
    "legal_basis",
    "penalty_kinds",
    "amount",
    "strict_field",
    "department_id",
    "removed_on",
    "removal_reason",
];

fn required(ch: &mut Checker, field: &str, value: &str, zh: &str, en: &str) -> bool {
    if value.trim().is_empty() {
        ch.push(
            field,
            Invalid::new(
                "required",
                format!("{zh}不能为空"),
                format!("the {en} is required"),
            ),
        );
        false
    } else {
        true
    }
}

fn penalty_kinds(s: &str) -> std::result::Result<Vec<PenaltyKind>, Invalid> {
    let mut out = Vec::new();
    for part in s
        .split(['、', ',', '，', ';', '；'])
        .map(str::trim)
        .filter(|p| !p.is_empty())
    {
        let k = PenaltyKind::parse(part)?;
        if !out.contains(&k) {
            out.push(k);
        }
    }
    if out.is_empty() {
        return Err(Invalid::new(
            "required",
            "处罚种类不能为空",
            "at least one penalty kind is required",
        ));
    }
    Ok(out)
}

/// Parses `input` into an entry for `actor` (every bad field named at once). `entities` holds
/// the entities by credit code (looked up by the caller, so an import reads them once);
/// `before` is the entry an upsert would replace.
pub(crate) async fn parse(
    svc: &Services,
    actor: &Actor,
    input: &EntryInput,
    entities: &std::collections::HashMap<String, Entity>,
    before: Option<&Entry>,
) -> Result<Entry> {
    let c = svc.store.conn();
    let mut ch = Checker::default();
    let today = today(svc);
    let usci = ch.check("usci", Usci::parse(&input.usci));
    let entity = usci.and_then(|u| {
        let e = entities.get(u.as_str()).cloned();
        if e.is_none() {
            ch.push(
                "usci",
                Invalid::new(
                    "unknown_entity",
                    format!("名录中没有统一社会信用代码为“{}”的主体", u.as_str()),
                    format!("no entity with credit code {} in the directory", u.as_str()),
                ),
            );
        }
        e
    });
    // Credit is shared by every line: only the region of the actor's grant matters.
    let full = actor.full_scope();
    let within = |r: &lianjian_domain::region::RegionCode| {
        full.region.as_ref().is_none_or(|g| r.is_within(g))
    };
    let entity = entity.filter(|e| {
        let ok = within(&e.region_code);
        if !ok {
            ch.push(
                "usci",
                Invalid::new(
                    "outside_scope",
                    "该主体不在您的管理范围内",
                    "the entity is outside your scope",
                ),
            );
        }
        ok
    });
    let kind = if required(&mut ch, "kind", &input.kind, "记录类别", "kind") {
        ch.check("kind", RecordKind::parse(&input.kind))
            .filter(|k| {
                let ok = !k.is_derived();
                if !ok {
                    ch.push(
                        "kind",
                        Invalid::new(
                            if *k == RecordKind::Sanction {
                                "sanction_by_flow"
                            } else {
                                "clue_by_flow"
                            },
                            format!(
                                "“{}”记录由{}生成，不能直接录入",
                                k.label_zh(),
                                if *k == RecordKind::Sanction {
                                    "联合惩戒流程在措施实施时"
                                } else {
                                    "问题线索办结（查实情况为属实或部分属实）时"
                                }
                            ),
                            format!("{} entries come from their own flow", k.as_str()),
                        ),
                    );
                }
                ok
            })
    } else {
        None
    };
    let occurred_on = if required(&mut ch, "occurred_on", &input.occurred_on, "日期", "date") {
        ch.check("occurred_on", loose_date(&input.occurred_on))
            .flatten()
            .filter(|d| {
                let ok = *d <= today;
                if !ok {
                    ch.push(
                        "occurred_on",
                        Invalid::new(
                            "future_date",
                            format!("日期 {d} 晚于今天"),
                            format!("date {d} is in the future"),
                        ),
                    );
                }
                ok
            })
    } else {
        None
    };
    let is_penalty = kind == Some(RecordKind::Penalty);
    let is_listing = matches!(
        kind,
        Some(RecordKind::AbnormalListing | RecordKind::SeriousDishonesty)
    );
    let reference = if input.reference.trim().is_empty() {
        if is_penalty || is_listing {
            required(&mut ch, "reference", "", "文号", "reference");
        }
        None
    } else {
        ch.check("reference", rules::decision_no(&input.reference))
    };
    let title = if required(&mut ch, "title", &input.title, "违法行为或事由", "title") {
        ch.check("title", rules::violation(&input.title))
    } else {
        None
    };
    let legal_basis = if input.legal_basis.trim().is_empty() {
        if is_penalty {
            required(&mut ch, "legal_basis", "", "法律依据", "legal basis");
        }
        None
    } else {
        ch.check("legal_basis", rules::legal_basis(&input.legal_basis))
    };
    let tier = match (is_penalty, input.tier.trim()) {
        (true, "") => {
            required(&mut ch, "tier", "", "严重程度", "tier");
            None
        }
        (true, t) => ch.check("tier", Tier::parse(t)),
        (false, "") => None,
        (false, _) => {
            ch.push(
                "tier",
                Invalid::new(
                    "not_applicable",
                    "只有行政处罚填写严重程度",
                    "only penalties have a tier",
                ),
            );
            None
        }
    };
    let strict = match input.strict_field.trim() {
        "" => None,
        s => ch.check("strict_field", StrictField::parse(s)),
    };
    let kinds = if is_penalty {
        ch.check("penalty_kinds", penalty_kinds(&input.penalty_kinds))
    } else {
        None
    };
    let amount = if is_penalty {
        ch.check("amount", rules::amount_cents(&input.amount))
    } else {
        Some(0)
    };
    if let (Some(ks), Some(0)) = (&kinds, amount) {
        if ks.iter().any(|k| {
            matches!(
                k,
                PenaltyKind::Fine | PenaltyKind::ConfiscateGains | PenaltyKind::ConfiscateProperty
            )
        }) {
            ch.push(
                "amount",
                Invalid::new(
                    "amount_required",
                    "处罚种类含罚款或没收时须填写罚没金额",
                    "a fine or confiscation needs its amount",
                ),
            );
        }
    }
    let removed_on = if input.removed_on.trim().is_empty() {
        None
    } else if !is_listing {
        ch.push(
            "removed_on",
            Invalid::new(
                "not_applicable",
                "只有名录列入记录填写移出日期",
                "only listings have a removal date",
            ),
        );
        None
    } else {
        ch.check("removed_on", loose_date(&input.removed_on))
            .flatten()
            .filter(|d| {
                let ok = occurred_on.is_none_or(|o| *d >= o) && *d <= today;
                if !ok {
                    ch.push(
                        "removed_on",
                        Invalid::new(
                            "removal_date",
                            "移出日期应不早于列入日期、不晚于今天",
                            "the removal date must be between the listing date and today",
                        ),
                    );
                }
                ok
            })
    };
    let removal_reason = match (removed_on, input.removal_reason.trim()) {
        (Some(_), "") => {
            required(&mut ch, "removal_reason", "", "移出原因", "removal reason");
            None
        }
        (_, "") => None,
        (_, r) => ch.check(
            "removal_reason",
            lianjian_domain::error::bounded_text(r, 2, 500, "移出原因", "removal reason"),
        ),
    };
    // The deciding department: an administrator's own; the office names one whose region
    // holds the entity.
    let department_id = match (actor.role, input.department_id.trim()) {
        (Role::DepartmentAdmin, "") => Some(actor.department_id),
        (Role::DepartmentAdmin, d) if d == actor.department_id.to_string() => {
            Some(actor.department_id)
        }
        (Role::DepartmentAdmin, _) => {
            ch.push(
                "department_id",
                Invalid::new(
                    "own_department",
                    "部门管理员只能录入本部门作出的记录",
                    "a department administrator records its own department's entries",
                ),
            );
            None
        }
        (_, "") => {
            required(&mut ch, "department_id", "", "实施部门", "department");
            None
        }
        (_, d) => match Uuid::parse_str(d) {
            Err(_) => {
                ch.push(
                    "department_id",
                    Invalid::new(
                        "unknown_department",
                        format!("部门“{d}”不存在"),
                        format!("no department '{d}'"),
                    ),
                );
                None
            }
            Ok(id) => match dept_repo::get(c, id).await? {
                Some(dep)
                    if entity
                        .as_ref()
                        .is_none_or(|e| e.region_code.is_within(&dep.region_code)) =>
                {
                    Some(id)
                }
                Some(dep) => {
                    ch.push(
                        "department_id",
                        Invalid::new(
                            "department_region",
                            format!("“{}”不管辖该主体所在的行政区划", dep.name),
                            "the department's region does not hold the entity",
                        ),
                    );
                    None
                }
                None => {
                    ch.push(
                        "department_id",
                        Invalid::new(
                            "unknown_department",
                            format!("部门“{d}”不存在"),
                            format!("no department '{d}'"),
                        ),
                    );
                    None
                }
            },
        },
    };
    if let Some(b) = before {
        if b.status != RecordStatus::Active && b.status != RecordStatus::Removed {
            ch.push(
                "reference",
                Invalid::new(
                    "entry_closed",
                    format!("该文号的记录状态为“{}”，不能再修改", b.status.label_zh()),
                    "the entry with this reference was repaired or withdrawn",
                ),
            );
        }
        if !within(&b.region_code) {
            ch.push(
                "reference",
                Invalid::new(
                    "outside_scope",
                    "该文号的记录属于您管理范围以外的地区",
                    "the entry with this reference is outside your scope",
                ),
            );
        }
    }
    ch.finish()?;
    let (Some(entity), Some(kind), Some(occurred_on), Some(title)) =
        (entity, kind, occurred_on, title)
    else {
        unreachable!("every required field was checked")
    };
    let (detail, publication) = match kind {
        RecordKind::Penalty => {
            let tier = tier.expect("checked");
            (
                RecordDetail::Penalty {
                    kinds: kinds.expect("checked"),
                    amount_cents: amount.expect("checked"),
                    strict_field: strict,
                },
                rules::penalty_publication(tier, strict, occurred_on),
            )
        }
        RecordKind::AbnormalListing | RecordKind::SeriousDishonesty => (
            RecordDetail::Listing {
                reason: title.clone(),
                removed_on,
                removal_reason: removal_reason.clone(),
            },
            rules::listing_publication(kind, occurred_on),
        ),
        _ => (
            RecordDetail::Note {
                text: title.clone(),
            },
            rules::Publication {
                published: false,
                repair_from: occurred_on,
                until: occurred_on,
            },
        ),
    };
    let now = svc.now();
    Ok(Entry {
        id: before.map(|b| b.id).unwrap_or_else(Uuid::now_v7),
        entity_id: entity.id,
        region_code: entity.region_code.clone(),
        department_id,
        kind,
        tier,
        occurred_on,
        reference,
        title,
        legal_basis,
        detail,
        source: before.map(|b| b.source).unwrap_or(RecordSource::Manual),
        publication,
        status: if removed_on.is_some() {
            RecordStatus::Removed
        } else {
            before.map(|b| b.status).unwrap_or(RecordStatus::Active)
        },
        ended_on: removed_on,
        created_by: before
            .map(|b| b.created_by.clone())
            .unwrap_or_else(|| actor.username.clone()),
        created_at: before.map(|b| b.created_at).unwrap_or(now),
        updated_at: now,
    })
}

/// The entities named by these inputs, by credit code.
pub(crate) async fn entities_of(
    svc: &Services,
    inputs: &[&EntryInput],
) -> Result<std::collections::HashMap<String, Entity>> {
    let codes: Vec<String> = inputs
        .iter()
        .filter_map(|i| Usci::parse(&i.usci).ok())
        .map(|u| u.as_str().to_string())
        .collect();
    Ok(entity_repo::by_uscis(svc.store.conn(), &codes).await?)
}

/// Records one entry (a form or an API call): a reference already recorded for this kind is a
/// conflict naming it.
pub async fn record(
    svc: &Services,
    actor: &Actor,
    input: &EntryInput,
    source: RecordSource,
) -> Result<Entry> {
    if !may_record(actor) || actor.role.is_read_only() {
        return Err(ServiceError::Forbidden);
    }
    let entities = entities_of(svc, &[input]).await?;
    let mut e = parse(svc, actor, input, &entities, None).await?;
    e.source = source;
    if let Some(r) = &e.reference {
        if let Some(old) = repo::by_references(svc.store.conn(), e.kind, std::slice::from_ref(r))
            .await?
            .remove(r)
        {
            return Err(ServiceError::conflict(
                "reference",
                format!(
                    "文号“{r}”已登记为{}记录（{}）",
                    old.kind.label_zh(),
                    old.occurred_on
                ),
                format!("reference '{r}' is already recorded"),
            ));
        }
    }
    save(svc, actor, vec![(e.clone(), None)]).await?;
    Ok(e)
}

/// Records or updates the entry with the same kind and reference (a system pushing its
/// decisions again changes nothing): the entry and whether it was new; `None` as the second
/// value when nothing changed.
pub async fn upsert(
    svc: &Services,
    actor: &Actor,
    input: &EntryInput,
) -> Result<(Entry, Option<bool>)> {
    if !may_record(actor) || actor.role.is_read_only() {
        return Err(ServiceError::Forbidden);
    }
    let entities = entities_of(svc, &[input]).await?;
    let before = match (
        RecordKind::parse(&input.kind),
        rules::decision_no(&input.reference),
    ) {
        (Ok(k), Ok(r)) => repo::by_references(svc.store.conn(), k, std::slice::from_ref(&r))
            .await?
            .remove(&r),
        _ => None,
    };
    let mut e = parse(svc, actor, input, &entities, before.as_ref()).await?;
    match before {
        Some(b) if e.same_content(&b) => Ok((b, None)),
        Some(b) => {
            save(svc, actor, vec![(e.clone(), Some(b))]).await?;
            Ok((e, Some(false)))
        }
        None => {
            e.source = RecordSource::Api;
            save(svc, actor, vec![(e.clone(), None)]).await?;
            Ok((e, Some(true)))
        }
    }
}

/// Saves new and changed entries in one transaction, each with its audit entry.
pub(crate) async fn save(
    svc: &Services,
    actor: &Actor,
    entries: Vec<(Entry, Option<Entry>)>,
) -> Result<(u64, u64)> {
    let tx = svc.store.begin().await?;
    let (new, changed): (Vec<_>, Vec<_>) = entries.into_iter().partition(|(_, b)| b.is_none());
    let fresh: Vec<Entry> = new.into_iter().map(|(e, _)| e).collect();
    repo::insert_many(&tx, &fresh).await?;
    let mut records = Vec::new();
    for e in &fresh {
        records.push(
            Record::new("credit.record", "credit_entry", e.id)
                .at(&e.region_code, e.department_id)
                .after(e),
        );
    }
    for (e, before) in &changed {
        repo::update(&tx, e).await?;
        records.push(
            Record::new("credit.update", "credit_entry", e.id)
                .at(&e.region_code, e.department_id)
                .before(before)
                .after(e),
        );
    }
    trail::record_many(&tx, actor, records).await?;
    tx.commit().await?;
    Ok((fresh.len() as u64, changed.len() as u64))
}

/// The list's filters as typed (query string or console form).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct EntryFilter {
    pub kind: String,
    pub status: String,
    pub department_id: String,
    pub entity_id: String,
    pub q: String,
    pub from: String,
    pub to: String,
}

impl EntryFilter {
    /// The query, every bad filter named.
    pub fn parse(&self) -> Result<EntryQuery> {
        let mut ch = Checker::default();
        fn opt(s: &str) -> Option<&str> {
            Some(s.trim()).filter(|t| !t.is_empty())
        }
        let uuid = |ch: &mut Checker, field: &str, s: &str| {
            opt(s).and_then(|t| {
                ch.check(
                    field,
                    Uuid::parse_str(t).map_err(|_| {
                        Invalid::new(
                            "malformed_id",
                            format!("“{t}”不是有效的编号"),
                            format!("'{t}' is not a valid id"),
                        )
                    }),
                )
            })
        };
        let q = EntryQuery {
            kind: opt(&self.kind).and_then(|k| ch.check("kind", RecordKind::parse(k))),
            status: opt(&self.status).and_then(|k| ch.check("status", RecordStatus::parse(k))),
            department_id: uuid(&mut ch, "department_id", &self.department_id),
            entity_id: uuid(&mut ch, "entity_id", &self.entity_id),
            q: opt(&self.q).map(str::to_string),
            from: ch.check("from", loose_date(&self.from)).flatten(),
            to: ch.check("to", loose_date(&self.to)).flatten(),
        };
        ch.finish()?;
        Ok(q)
    }
}

/// One entry in the actor's scope.
pub async fn get(svc: &Services, actor: &Actor, id: Uuid) -> Result<Entry> {
    repo::get(svc.store.conn(), &Scope::of(actor), id)
        .await?
        .ok_or(ServiceError::NotFound)
}

/// A page of entries in the actor's scope.
pub async fn list(
    svc: &Services,
    actor: &Actor,
    q: &EntryQuery,
    page: PageRequest,
) -> Result<Page<Entry>> {
    Ok(repo::list(svc.store.conn(), &Scope::of(actor), q, page).await?)
}

/// Removes a listing (移出名录): the entry stays, no longer in force.
pub async fn remove_listing(
    svc: &Services,
    actor: &Actor,
    id: Uuid,
    removed_on: &str,
    reason: &str,
) -> Result<Entry> {
    if !may_record(actor) || actor.role.is_read_only() {
        return Err(ServiceError::Forbidden);
    }
    let before = get(svc, actor, id).await?;
    if actor.role == Role::DepartmentAdmin && before.department_id != Some(actor.department_id) {
        return Err(ServiceError::Forbidden);
    }
    let input = EntryInput {
        removed_on: removed_on.into(),
        removal_reason: reason.into(),
        ..input_of(svc, &before).await?
    };
    if !matches!(
        before.kind,
        RecordKind::AbnormalListing | RecordKind::SeriousDishonesty
    ) {
        return Err(ServiceError::field(
            "kind",
            Invalid::new(
                "not_listing",
                "只有名录列入记录可以移出",
                "only a listing can be removed",
            ),
        ));
    }
    if before.status != RecordStatus::Active {
        return Err(ServiceError::conflict(
            "status",
            format!("该记录状态为“{}”，不能移出", before.status.label_zh()),
            "only an active listing can be removed",
        ));
    }
    let mut ch = Checker::default();
    if removed_on.trim().is_empty() {
        required(&mut ch, "removed_on", "", "移出日期", "removal date");
    }
    if reason.trim().is_empty() {
        required(&mut ch, "removal_reason", "", "移出原因", "removal reason");
    }
    ch.finish()?;
    let entities = entities_of(svc, &[&input]).await?;
    let e = parse(svc, actor, &input, &entities, Some(&before)).await?;
    save(svc, actor, vec![(e.clone(), Some(before))]).await?;
    Ok(e)
}

/// The input that would record `e` again (export, and edits that change one field).
pub async fn input_of(svc: &Services, e: &Entry) -> Result<EntryInput> {
    let usci = entity_repo::get(svc.store.conn(), e.entity_id)
        .await?
        .map(|x| x.usci)
        .unwrap_or_default();
    Ok(input_with(e, usci))
}

pub(crate) fn input_with(e: &Entry, usci: String) -> EntryInput {
    let (kinds, amount, strict, removed_on, removal_reason) = match &e.detail {
        RecordDetail::Penalty {
            kinds,
            amount_cents,
            strict_field,
        } => (
            kinds
                .iter()
                .map(|k| k.label_zh())
                .collect::<Vec<_>>()
                .join("、"),
            rules::yuan(*amount_cents).replace(',', ""),
            strict_field
                .map(|s| s.label_zh().to_string())
                .unwrap_or_default(),
            String::new(),
            String::new(),
        ),
        RecordDetail::Listing {
            removed_on,
            removal_reason,
            ..
        } => (
            String::new(),
            String::new(),
            String::new(),
            removed_on.map(|d| d.to_string()).unwrap_or_default(),
            removal_reason.clone().unwrap_or_default(),
        ),
        _ => Default::default(),
    };
    EntryInput {
        usci,
        kind: e.kind.label_zh().into(),
        tier: e.tier.map(|t| t.label_zh().to_string()).unwrap_or_default(),
        occurred_on: e.occurred_on.to_string(),
        reference: e.reference.clone().unwrap_or_default(),
        title: e.title.clone(),
        legal_basis: e.legal_basis.clone().unwrap_or_default(),
        penalty_kinds: kinds,
        amount,
        strict_field: strict,
        department_id: e.department_id.map(|d| d.to_string()).unwrap_or_default(),
        removed_on,
        removal_reason,
    }
}

/// Names and credit codes of the entities of entries the caller already reads.
pub async fn entity_names(
    svc: &Services,
    ids: &[Uuid],
) -> Result<std::collections::HashMap<Uuid, (String, String)>> {
    Ok(entity_repo::get_many(svc.store.conn(), ids)
        .await?
        .into_iter()
        .map(|e| (e.id, (e.name, e.usci)))
        .collect())
}

/// One line of an entity's credit timeline: an entry, or a published inspection result.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum TimelineItem {
    Entry(Entry),
    /// A published inspection result (检查结果, written by visits).
    Inspection {
        on: NaiveDate,
        visit_id: Uuid,
        department_id: Uuid,
        /// The result's label (未发现问题 …).
        result: String,
        follow_up: Option<String>,
    },
}

impl TimelineItem {
    pub fn on(&self) -> NaiveDate {
        match self {
            TimelineItem::Entry(e) => e.occurred_on,
            TimelineItem::Inspection { on, .. } => *on,
        }
    }
}

/// An entity's credit timeline (newest first) for staff in scope: its entries and its
/// published inspection results.
pub async fn timeline(svc: &Services, actor: &Actor, entity_id: Uuid) -> Result<Vec<TimelineItem>> {
    let c = svc.store.conn();
    crate::directory::visible_entity(svc, actor, entity_id).await?;
    let mut out: Vec<TimelineItem> = repo::of_entity(c, &Scope::of(actor), entity_id)
        .await?
        .into_iter()
        .map(TimelineItem::Entry)
        .collect();
    for r in lianjian_store::visits::credit_records_of_entity(c, entity_id).await? {
        out.push(TimelineItem::Inspection {
            on: r.recorded_on,
            visit_id: r.source_id,
            department_id: r.department_id,
            result: r.result_code.label_zh().into(),
            follow_up: r.follow_up.map(|f| f.label_zh().to_string()),
        });
    }
    out.sort_by_key(|i| std::cmp::Reverse(i.on()));
    Ok(out)
}

// ---------------------------------------------------------------------------------------
// Verified clues (查实投诉举报, issue 15 item 1)

/// The basis cited on a verified complaint's record.
const VERIFIED_CLUE_BASIS: &str =
    "《国务院办公厅关于深入推进跨部门综合监管的指导意见》（国办发〔2023〕1号）（十）（十一）";

/// What a clue's 办结 means for its entity's credit, written on the clue's transaction: a
/// complaint or report naming an entity and found true (属实 / 部分属实) is a record of kind
/// 查实投诉举报 on the entity's timeline — internal, never published
/// ([`rules::verified_clue_publication`]); found untrue, or reopened (`finding` `None`), the
/// record it left, if any, is withdrawn (已撤销, never counted). The clue's number is the
/// record's reference, so finishing it again re-activates the same record instead of adding one.
/// Returns the id of the record written or withdrawn, if any.
pub(crate) async fn settle_clue(
    tx: &impl lianjian_store::Conn,
    actor: &Actor,
    clue: &lianjian_store::clues::Clue,
    finding: Option<lianjian_domain::clue::Finding>,
    on: NaiveDate,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<Option<Uuid>> {
    let before = repo::by_references(
        tx,
        RecordKind::VerifiedClue,
        std::slice::from_ref(&clue.code),
    )
    .await?
    .remove(&clue.code);
    let entity = match clue.entity_id {
        Some(id) => entity_repo::get(tx, id).await?,
        None => None,
    };
    let verified = finding
        .filter(|f| f.is_verified() && clue.kind.takes_finding())
        .zip(entity);
    match (verified, before) {
        (Some((finding, entity)), before) => {
            let title = format!(
                "{}经查{}：{}",
                clue.kind.label_zh(),
                finding.label_zh(),
                clue.result.as_deref().unwrap_or_default()
            );
            let e = Entry {
                id: before.as_ref().map_or_else(Uuid::now_v7, |b| b.id),
                entity_id: entity.id,
                region_code: entity.region_code.clone(),
                department_id: clue.department_id,
                kind: RecordKind::VerifiedClue,
                tier: None,
                occurred_on: on,
                reference: Some(clue.code.clone()),
                title,
                legal_basis: Some(VERIFIED_CLUE_BASIS.into()),
                detail: RecordDetail::VerifiedClue {
                    clue_code: clue.code.clone(),
                    finding,
                },
                source: RecordSource::Clue,
                publication: rules::verified_clue_publication(on),
                status: RecordStatus::Active,
                ended_on: None,
                created_by: before
                    .as_ref()
                    .map_or_else(|| actor.username.clone(), |b| b.created_by.clone()),
                created_at: before.as_ref().map_or(now, |b| b.created_at),
                updated_at: now,
            };
            let record = Record::new("credit.record", "credit_entry", e.id)
                .at(&e.region_code, e.department_id);
            match &before {
                Some(b) if b.same_content(&e) => return Ok(Some(e.id)),
                Some(b) => {
                    repo::update(tx, &e).await?;
                    let record = Record {
                        action: "credit.update",
                        ..record
                    };
                    trail::record(tx, actor, record.before(b).after(&e)).await?;
                }
                None => {
                    repo::insert_many(tx, std::slice::from_ref(&e)).await?;
                    trail::record(tx, actor, record.after(&e)).await?;
                }
            }
            Ok(Some(e.id))
        }
        (None, Some(b)) if b.status == RecordStatus::Active => {
            if !repo::set_status(
                tx,
                b.id,
                RecordStatus::Active,
                RecordStatus::Withdrawn,
                Some(on),
                now,
            )
            .await?
            {
                return Err(ServiceError::conflict(
                    "status",
                    format!("线索 {} 的信用记录刚被他人改变，请刷新后重试", clue.code),
                    format!("the credit record of clue {} changed meanwhile", clue.code),
                ));
            }
            trail::record(
                tx,
                actor,
                Record::new("credit.withdraw", "credit_entry", b.id)
                    .at(&b.region_code, b.department_id)
                    .before(&serde_json::json!({ "status": RecordStatus::Active.as_str() }))
                    .after(&serde_json::json!({
                        "status": RecordStatus::Withdrawn.as_str(),
                        "ended_on": on,
                        "reference": b.reference,
                    })),
            )
            .await?;
            Ok(Some(b.id))
        }
        (None, _) => Ok(None),
    }
}
