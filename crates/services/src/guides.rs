//! Compliance guides (合规经营指南, "一业一册", 国办发〔2023〕1号 (六): 一类事项制定一册合规经营
//! 指南，一次性告知市场主体合规经营要求; 鲁 task 6; issue 17 item 5). One guide per supervision
//! item, generated on reading from the item's version in force on the day asked — so a new
//! version changes the guide the moment it takes effect — with: the check points by
//! dimension, the legal basis, the lead and cooperating departments and their public
//! contacts, the methods, how often by credit class (the item's latest public plan, else the
//! defaults plans start from), the process as a flowchart, the most frequent problems of the
//! last 12 months from published results, how to rectify, and the explanatory sections the
//! lead department writes (each edit a new version, audited).
//!
//! Everything here may be public (ARCHITECTURE.md: guides are public): counts and check
//! points, never an entity, a credit class of an entity, an inspector or an editor's name —
//! [`Guide::public`] drops the editors.

use std::collections::HashMap;

use chrono::{DateTime, Duration, Utc};
use lianjian_domain::account::Role;
use lianjian_domain::guide::{self as rules, SectionKind, Step};
use lianjian_domain::item::{DepartmentRole, Dimension, ImplementationLevel, ItemCategory, Method};
use lianjian_domain::plan::{ClassRatios, RatioClass};
use lianjian_domain::scope::Actor;
use lianjian_domain::visit::ResultCode;
use lianjian_store::guides as repo;
use serde::Serialize;
use uuid::Uuid;

use crate::items::{self, CheckPoint, Item};
use crate::trail::{Record, record};
use crate::{Result, ServiceError, Services, documents};

pub use lianjian_store::guides::{Contact, Problem, Section};

/// How far back the frequent problems are counted.
pub const PROBLEM_WINDOW_DAYS: i64 = 365;
/// How many frequent problems a guide lists.
pub const PROBLEM_LIMIT: u32 = 10;

/// A department's part, as the guide names it.
#[derive(Debug, Clone, Serialize)]
pub struct GuideDepartment {
    pub department_id: Uuid,
    pub name: String,
    pub role: DepartmentRole,
    pub duties: String,
    pub legal_basis: String,
    pub contact: Contact,
}

/// How often entities of a credit class are drawn: the ratio and the band local practice
/// gives it.
#[derive(Debug, Clone, Serialize)]
pub struct FrequencyRow {
    pub class: RatioClass,
    pub label: &'static str,
    pub ratio: String,
    pub band: &'static str,
}

/// Where the ratios come from.
#[derive(Debug, Clone, Serialize)]
pub struct Frequency {
    /// The item's latest public plan (code, year), or None: the defaults plans start from.
    pub plan: Option<(String, i32)>,
    pub rows: Vec<FrequencyRow>,
    /// 检查频次 as the item list states it.
    pub stated: Option<String>,
}

/// A guide as generated for a day.
#[derive(Debug, Clone, Serialize)]
pub struct Guide {
    pub item_id: Uuid,
    pub code: String,
    pub name: String,
    pub sector: Option<String>,
    pub category: ItemCategory,
    pub level: ImplementationLevel,
    pub object_description: String,
    /// The item version the guide follows, and since when it is in force.
    pub version: i32,
    pub version_effective_at: DateTime<Utc>,
    /// The moment the guide was generated for.
    pub at: DateTime<Utc>,
    pub departments: Vec<GuideDepartment>,
    pub check_points: Vec<(Dimension, Vec<CheckPoint>)>,
    /// Every distinct provision the item and its check points cite.
    pub legal_bases: Vec<String>,
    pub methods: Vec<Method>,
    pub frequency: Frequency,
    pub steps: Vec<Step>,
    pub flowchart_svg: String,
    /// Problems of the last [`PROBLEM_WINDOW_DAYS`] days from published results.
    pub problems: Vec<Problem>,
    pub results: Vec<(ResultCode, i64)>,
    pub problems_since: DateTime<Utc>,
    /// The explanatory sections in force at `at`, in [`SectionKind::ALL`] order.
    pub sections: Vec<Section>,
}

impl Guide {
    /// The guide as the portal shows it: the editors' names left out.
    pub fn public(mut self) -> Guide {
        for s in &mut self.sections {
            s.edited_by.clear();
        }
        self
    }

    pub fn section(&self, kind: SectionKind) -> Option<&Section> {
        self.sections.iter().find(|s| s.kind == kind)
    }
}

/// The frequency by credit class: the item's latest public plan's ratios, or the defaults
/// plans of its category start from (DOMAIN.md, 鲁双随机办: A ≤5 %, B 5–20 %, …).
pub fn frequency_rows(ratios: &ClassRatios) -> Vec<FrequencyRow> {
    RatioClass::ALL
        .iter()
        .map(|c| FrequencyRow {
            class: *c,
            label: c.label_zh(),
            ratio: ratios.get(*c).to_string(),
            band: c.band_zh(),
        })
        .collect()
}

/// The guide of an item as in force at `at` (NotFound when the item was not published then).
pub async fn guide(svc: &Services, item_id: Uuid, at: DateTime<Utc>) -> Result<Guide> {
    let c = svc.store.conn();
    let v = items::version_at(svc, item_id, at)
        .await?
        .ok_or(ServiceError::NotFound)?;
    let item: Item = v.snapshot;
    let sector = match item.sector_id {
        Some(id) => lianjian_store::sectors::get(c, id).await?.map(|s| s.name),
        None => None,
    };
    let ids: Vec<Uuid> = item.departments.iter().map(|d| d.department_id).collect();
    let mut contacts = repo::contacts(c, &ids).await?;
    let mut departments = Vec::with_capacity(item.departments.len());
    for d in &item.departments {
        let name = lianjian_store::departments::get(c, d.department_id)
            .await?
            .map(|x| x.name)
            .unwrap_or_default();
        departments.push(GuideDepartment {
            department_id: d.department_id,
            name,
            role: d.role,
            duties: d.duties.clone(),
            legal_basis: d.legal_basis.clone(),
            contact: contacts.remove(&d.department_id).unwrap_or_default(),
        });
    }
    // The lead first.
    departments.sort_by_key(|d| d.role != DepartmentRole::Lead);
    let check_points = Dimension::ALL
        .iter()
        .filter_map(|dim| {
            let ps: Vec<CheckPoint> = item
                .check_points
                .iter()
                .filter(|p| p.dimension == *dim)
                .cloned()
                .collect();
            (!ps.is_empty()).then_some((*dim, ps))
        })
        .collect();
    let legal_bases = documents::provisions(
        item.departments
            .iter()
            .map(|d| d.legal_basis.as_str())
            .chain(item.check_points.iter().map(|p| p.legal_basis.as_str())),
    );
    let frequency = match repo::public_plan_ratios(c, item_id).await? {
        Some((code, year, r)) => Frequency {
            plan: Some((code, year)),
            rows: frequency_rows(&r),
            stated: item.default_frequency.clone(),
        },
        None => Frequency {
            plan: None,
            rows: frequency_rows(&ClassRatios::defaults(item.category)),
            stated: item.default_frequency.clone(),
        },
    };
    let steps = rules::process(&item.methods);
    let flowchart_svg = rules::flowchart_svg(&steps);
    let since = at - Duration::days(PROBLEM_WINDOW_DAYS);
    let problems = repo::top_problems(c, item_id, since, PROBLEM_LIMIT).await?;
    let results = repo::result_counts(c, item_id, since).await?;
    let sections = sections_at(svc, item_id, at).await?;
    Ok(Guide {
        item_id,
        code: item.code,
        name: item.name,
        sector,
        category: item.category,
        level: item.implementation_level,
        object_description: item.object_description,
        version: v.version,
        version_effective_at: v.effective_at,
        at,
        departments,
        check_points,
        legal_bases,
        methods: item.methods,
        frequency,
        steps,
        flowchart_svg,
        problems,
        results,
        problems_since: since,
        sections,
    })
}

/// The explanatory sections in force at `at`: of each kind, the latest version saved by
/// then (an emptied section is left out).
async fn sections_at(svc: &Services, item_id: Uuid, at: DateTime<Utc>) -> Result<Vec<Section>> {
    let all = repo::section_versions(svc.store.conn(), item_id).await?;
    let mut latest: HashMap<SectionKind, Section> = HashMap::new();
    for s in all.into_iter().filter(|s| s.edited_at <= at) {
        match latest.get(&s.kind) {
            Some(x) if x.version >= s.version => {}
            _ => {
                latest.insert(s.kind, s);
            }
        }
    }
    Ok(SectionKind::ALL
        .iter()
        .filter_map(|k| latest.remove(k))
        .filter(|s| !s.body.is_empty())
        .collect())
}

/// Every saved version of an item's sections, newest first (the console's history).
pub async fn section_history(svc: &Services, item_id: Uuid) -> Result<Vec<Section>> {
    Ok(repo::section_versions(svc.store.conn(), item_id).await?)
}

/// Whether the actor may edit guides at all (the console shows the forms only then); each
/// guide is checked against its item as item edits are: system administrators, the
/// coordination office of the item's region, the lead department's administrators.
pub fn may_edit_guides(a: &Actor) -> bool {
    items::may_edit_items(a)
}

/// Saves a new version of one explanatory section of an item's guide, with its audit entry.
pub async fn edit_section(
    svc: &Services,
    actor: &Actor,
    item_id: Uuid,
    kind: &str,
    body: &str,
) -> Result<Section> {
    let item = items::get(svc, item_id).await?;
    items::ensure_editor(svc, actor, &item).await?;
    let kind = SectionKind::parse(kind).map_err(|e| ServiceError::field("kind", e))?;
    let body = rules::section_body(body).map_err(|e| ServiceError::field("body", e))?;
    let before = repo::sections(svc.store.conn(), item_id)
        .await?
        .into_iter()
        .find(|s| s.kind == kind);
    if before.as_ref().map(|s| s.body.as_str()).unwrap_or("") == body {
        return Err(ServiceError::conflict(
            "body",
            "内容没有变化",
            "the section is unchanged",
        ));
    }
    let tx = svc.store.begin().await?;
    let saved = repo::insert_section(&tx, item_id, kind, &body, &actor.username, Utc::now())
        .await
        .map_err(|e| match e {
            lianjian_store::StoreError::Conflict(_) => ServiceError::conflict(
                "body",
                "该说明刚被他人修改，请刷新后再保存",
                "the section was just changed by someone else; reload and save again",
            ),
            other => other.into(),
        })?;
    let mut entry = Record::new("guide.section", "item", item_id)
        .at(&item.region_code, Some(item.lead_department_id))
        .after(&saved);
    if let Some(b) = &before {
        entry = entry.before(b);
    }
    record(&tx, actor, entry).await?;
    tx.commit().await?;
    Ok(saved)
}

/// A department's public contact details as a form gives them.
#[derive(Debug, Clone, Default)]
pub struct ContactInput {
    pub phone: String,
    pub address: String,
    pub hours: String,
}

/// Sets a department's public contact details (shown in every guide naming it): the
/// department's own administrators, the coordination office of its region, system
/// administrators.
pub async fn set_contact(
    svc: &Services,
    actor: &Actor,
    department_id: Uuid,
    input: &ContactInput,
) -> Result<Contact> {
    let d = lianjian_store::departments::get(svc.store.conn(), department_id)
        .await?
        .ok_or(ServiceError::NotFound)?;
    let in_scope = actor
        .full_scope()
        .region
        .as_ref()
        .is_none_or(|r| d.region_code.is_within(r));
    let ok = match actor.role {
        Role::SystemAdmin => true,
        Role::CoordinationOffice => in_scope,
        Role::DepartmentAdmin => in_scope && d.line == actor.department_line,
        _ => false,
    };
    if !in_scope {
        return Err(ServiceError::NotFound);
    }
    if !ok {
        return Err(ServiceError::Forbidden);
    }
    let mut errs = Vec::new();
    let phone = if input.phone.trim().is_empty() {
        Ok(String::new())
    } else {
        rules::contact_phone(&input.phone)
    };
    let contact = Contact {
        phone: phone.unwrap_or_else(|e| {
            errs.push(crate::FieldError::new("phone", e));
            String::new()
        }),
        address: rules::contact_address(&input.address).unwrap_or_else(|e| {
            errs.push(crate::FieldError::new("address", e));
            String::new()
        }),
        hours: rules::contact_hours(&input.hours).unwrap_or_else(|e| {
            errs.push(crate::FieldError::new("hours", e));
            String::new()
        }),
    };
    if !errs.is_empty() {
        return Err(ServiceError::Invalid(errs));
    }
    let before = repo::contacts(svc.store.conn(), &[department_id])
        .await?
        .remove(&department_id);
    let tx = svc.store.begin().await?;
    repo::set_contact(&tx, department_id, &contact, &actor.username, Utc::now()).await?;
    let mut entry = Record::new("department.contact", "department", department_id)
        .at(&d.region_code, Some(department_id))
        .after(&contact);
    if let Some(b) = &before {
        entry = entry.before(b);
    }
    record(&tx, actor, entry).await?;
    tx.commit().await?;
    Ok(contact)
}

/// The guide's PDF: `html` (the printable page, styles inline) rendered by Chromium on A4
/// through the documents' renderer.
pub async fn pdf(html: &str) -> Result<Vec<u8>> {
    documents::pdf(html).await
}

/// The demo's guides (issue 17 item 7): every published Wuyang item has its guide already
/// (generated); here the lead departments add explanatory text to two of them and the county's
/// departments named by the items publish their contacts (演示号码).
pub async fn seed_demo(svc: &Services) -> Result<()> {
    let market = crate::accounts::actor_of_user(svc, "wy.market").await?;
    let office = crate::accounts::actor_of_user(svc, "wy.office").await?;
    let sections: &[(&Actor, &str, SectionKind, &str)] = &[
        (
            &market,
            "WY-2024-02",
            SectionKind::Overview,
            "本指南适用于舞阳县行政区域内从事药品零售的药店（含连锁门店）。\n按照“一业一册”告知制度，市场监管、卫生健康等部门对零售药店的检查要求一次告知，能在日常经营中对照自查的，请提前自查。",
        ),
        (
            &market,
            "WY-2024-02",
            SectionKind::Rectification,
            "处方药须凭执业医师处方销售，处方应留存备查，销售记录完整可追溯。\n执业药师应在岗在职、挂牌明示；因故不在岗时应挂牌告知并停止销售处方药。\n收到《责令整改通知书》后，按期限完成整改，并将整改报告和佐证材料报送检查部门。",
        ),
        (
            &market,
            "WY-2024-02",
            SectionKind::Notes,
            "检查人员应出示执法证件，经营者有权要求回避。\n对检查结果有异议的，可以在结果公示期间向检查部门提出。",
        ),
        (
            &office,
            "WY-2024-01",
            SectionKind::Overview,
            "本指南适用于舞阳县取得食品生产许可的企业。市场监管、卫生健康、生态环境等部门的检查合并为一次联合检查，“进一次门、查多项事”。",
        ),
    ];
    for (who, code, kind, body) in sections {
        let item = items::by_code(svc, code)
            .await?
            .ok_or(ServiceError::NotFound)?;
        edit_section(svc, who, item.id, kind.as_str(), body).await?;
    }
    // The contacts of every Wuyang department an item names, as its office publishes them.
    let mut seen = std::collections::HashSet::new();
    let mut n = 0;
    for code in (1..=8).map(|i| format!("WY-2024-{i:02}")) {
        let Some(item) = items::by_code(svc, &code).await? else {
            continue;
        };
        for d in &item.departments {
            if !seen.insert(d.department_id) {
                continue;
            }
            n += 1;
            set_contact(
                svc,
                &office,
                d.department_id,
                &ContactInput {
                    phone: format!("0395-72{:05}", 10000 + n),
                    address: format!("舞阳县政务服务中心 {n} 号窗口"),
                    hours: "工作日 8:30–12:00，14:30–17:30".into(),
                },
            )
            .await?;
        }
    }
    Ok(())
}
