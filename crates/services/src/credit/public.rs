//! Public credit information (信用信息公示, issue 15 item 5): search by name or credit code,
//! then an entity's penalties within their publication period and its abnormal-operation and
//! serious-dishonesty listings. What may be public is decided by
//! `domain::credit::CreditRecord::is_public_on` alone; a class, a score, a sanction, a minor
//! penalty or a repaired record is never here.

use std::collections::HashMap;

use chrono::NaiveDate;
use lianjian_domain::credit::{RecordDetail, RecordKind};
use lianjian_domain::page::Page;
use lianjian_domain::usci::Usci;
use lianjian_domain::visit::beijing_date;
use lianjian_store::credit as repo;
use lianjian_store::entities::{self as entity_repo, EntitySearch};
use serde::Serialize;
use uuid::Uuid;

use crate::{PageRequest, Result, ServiceError, Services};

/// An entity as the public search lists it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PublicEntity {
    pub name: String,
    pub usci: String,
    pub region_code: String,
    /// How many of its entries are public today.
    pub public_entries: u64,
}

/// One public entry.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PublicEntry {
    /// The entry (what an objection from the portal names).
    pub id: Uuid,
    /// 行政处罚 / 经营异常名录 / 严重违法失信名单.
    pub kind: String,
    /// 决定书文号 / 列入文号.
    pub reference: Option<String>,
    /// 违法行为 / 列入原因.
    pub title: String,
    pub legal_basis: Option<String>,
    /// The decision or listing day.
    pub on: NaiveDate,
    /// The deciding or listing department.
    pub department: Option<String>,
    /// 处罚种类 (penalties).
    pub penalty_kinds: Vec<String>,
    /// 罚没金额 in yuan, as `12,345.00` (penalties).
    pub amount: Option<String>,
    /// Last day of publication.
    pub public_until: NaiveDate,
}

/// An entity's public credit information.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PublicCredit {
    pub entity: PublicEntity,
    pub entries: Vec<PublicEntry>,
}

fn today(svc: &Services) -> NaiveDate {
    beijing_date(svc.now())
}

/// Entities of the site's jurisdiction whose name holds `q`, or whose credit code starts with
/// it; at least two characters (none asked: an empty page).
pub async fn search(svc: &Services, q: &str, page: PageRequest) -> Result<Page<PublicEntity>> {
    let q = q.trim();
    if q.is_empty() {
        // Nothing asked, nothing listed: the portal shows its search form.
        return Ok(Page {
            items: Vec::new(),
            total: 0,
            page: page.page,
            per_page: page.per_page,
        });
    }
    if q.chars().count() < 2 {
        return Err(ServiceError::field(
            "q",
            lianjian_domain::Invalid::new(
                "too_short",
                "请输入至少 2 个字的名称或统一社会信用代码",
                "type at least two characters of a name or credit code",
            ),
        ));
    }
    let c = svc.store.conn();
    let found = entity_repo::search(
        c,
        &EntitySearch {
            q: Some(q.to_string()),
            region: svc.site.region.clone(),
            ..Default::default()
        },
        page,
    )
    .await?;
    let today = today(svc);
    let mut items = Vec::with_capacity(found.items.len());
    for e in found.items {
        let n = repo::public_of_entity(c, e.id, today).await?.len() as u64;
        items.push(PublicEntity {
            name: e.name,
            usci: e.usci,
            region_code: e.region_code.to_string(),
            public_entries: n,
        });
    }
    Ok(Page {
        items,
        total: found.total,
        page: found.page,
        per_page: found.per_page,
    })
}

/// The public credit information of the entity with credit code `usci` (in the site's
/// jurisdiction; elsewhere it looks absent).
pub async fn of_entity(svc: &Services, usci: &str) -> Result<PublicCredit> {
    let u = Usci::parse(usci).map_err(|e| ServiceError::field("usci", e))?;
    let c = svc.store.conn();
    let e = entity_repo::by_usci(c, u.as_str())
        .await?
        .filter(|e| {
            svc.site
                .region
                .as_ref()
                .is_none_or(|r| e.region_code.is_within(r))
        })
        .ok_or(ServiceError::NotFound)?;
    let entries = repo::public_of_entity(c, e.id, today(svc)).await?;
    let mut names: HashMap<Uuid, String> = HashMap::new();
    let mut out = Vec::with_capacity(entries.len());
    for x in entries {
        let department = match x.department_id {
            Some(d) => {
                if !names.contains_key(&d) {
                    let n = lianjian_store::departments::get(c, d)
                        .await?
                        .map(|d| d.name)
                        .unwrap_or_default();
                    names.insert(d, n);
                }
                Some(names[&d].clone()).filter(|n| !n.is_empty())
            }
            None => None,
        };
        let (penalty_kinds, amount) = match &x.detail {
            RecordDetail::Penalty {
                kinds,
                amount_cents,
                ..
            } => (
                kinds.iter().map(|k| k.label_zh().to_string()).collect(),
                (*amount_cents > 0).then(|| lianjian_domain::credit::yuan(*amount_cents)),
            ),
            _ => (Vec::new(), None),
        };
        debug_assert!(matches!(
            x.kind,
            RecordKind::Penalty | RecordKind::AbnormalListing | RecordKind::SeriousDishonesty
        ));
        out.push(PublicEntry {
            id: x.id,
            kind: x.kind.label_zh().into(),
            reference: x.reference,
            title: x.title,
            legal_basis: x.legal_basis,
            on: x.occurred_on,
            department,
            penalty_kinds,
            amount,
            public_until: x.publication.until,
        });
    }
    Ok(PublicCredit {
        entity: PublicEntity {
            public_entries: out.len() as u64,
            name: e.name,
            usci: e.usci,
            region_code: e.region_code.to_string(),
        },
        entries: out,
    })
}
