//! Compliance guides (一业一册, issue 17 item 5) on both backends: a guide is generated from
//! its item's version in force and changes when a new version takes effect (the old day still
//! shows the old version); its frequent problems are the failed check points of published
//! visits; its explanatory sections are versioned, audited and edited by the lead
//! department only; departments set their public contacts; the PDF is Chromium's.

use chrono::Utc;
use lianjian_domain::guide::SectionKind;
use lianjian_domain::item::DepartmentRole;
use lianjian_domain::visit::ResultCode;
use lianjian_services::items::{self, DepartmentPart, Item, ItemInput};
use lianjian_services::{ServiceError, Services, audit_log, documents, guides};
use lianjian_store::on_both_backends;
use lianjian_store::testing::TestDb;

use crate::DEMO;
use crate::clues::{actor, page};

pub(crate) struct Env {
    svc: Services,
    _db: TestDb,
}

async fn setup(db: TestDb) -> Env {
    Env {
        svc: Services::new(db.store.clone(), Default::default()),
        _db: db,
    }
}

on_both_backends!(
    template = DEMO, setup = setup;
    a_guide_follows_the_item_version_in_force_and_real_results,
    sections_are_versioned_audited_and_edited_by_the_lead_department,
    contacts_are_set_by_the_department_and_shown_in_its_guides,
);

async fn item(svc: &Services, code: &str) -> Item {
    items::by_code(svc, code).await.unwrap().unwrap()
}

/// The form an item's current state would fill.
fn input_of(i: &Item) -> ItemInput {
    let part = |d: &items::ItemDepartment| DepartmentPart {
        department_id: d.department_id.to_string(),
        duties: d.duties.clone(),
        legal_basis: d.legal_basis.clone(),
    };
    ItemInput {
        code: i.code.clone(),
        name: i.name.clone(),
        sector: i.sector_id.map(|s| s.to_string()).unwrap_or_default(),
        category: i.category.as_str().into(),
        region_code: i.region_code.to_string(),
        implementation_level: i.implementation_level.as_str().into(),
        lead: part(
            i.departments
                .iter()
                .find(|d| d.role == DepartmentRole::Lead)
                .unwrap(),
        ),
        cooperating: i
            .departments
            .iter()
            .filter(|d| d.role == DepartmentRole::Cooperating)
            .map(part)
            .collect(),
        object_description: i.object_description.clone(),
        object_expr: i.object_expr.clone(),
        methods: i
            .methods
            .iter()
            .map(|m| m.as_str())
            .collect::<Vec<_>>()
            .join(","),
        default_frequency: i.default_frequency.clone().unwrap_or_default(),
        check_points: i
            .check_points
            .iter()
            .map(|p| {
                [
                    p.dimension.as_str().to_string(),
                    p.content.clone(),
                    p.legal_basis.clone(),
                ]
            })
            .collect(),
    }
}

async fn a_guide_follows_the_item_version_in_force_and_real_results(env: Env) {
    let svc = &env.svc;
    let i = item(svc, "WY-2024-02").await;
    let before = Utc::now();
    let g = guides::guide(svc, i.id, before).await.unwrap();
    assert_eq!(g.version, i.version);
    assert_eq!(g.name, i.name);
    let points: usize = g.check_points.iter().map(|(_, ps)| ps.len()).sum();
    assert_eq!(points, i.check_points.len());
    assert_eq!(g.departments[0].role, DepartmentRole::Lead);
    assert_eq!(g.departments.len(), i.departments.len());
    assert!(!g.departments[0].name.is_empty());
    assert!(!g.legal_bases.is_empty());
    assert_eq!(g.frequency.rows.len(), 5);
    assert_eq!(g.steps.len(), 5);
    assert!(g.flowchart_svg.starts_with("<svg"));
    // The demo's pharmacy visit (published) failed the item's first check point and was
    // ordered to correct: the guide counts exactly that.
    assert_eq!(g.problems.len(), 1, "{:?}", g.problems);
    assert_eq!(g.problems[0].content, i.check_points[0].content);
    assert_eq!(g.problems[0].count, 1);
    assert_eq!(g.results, vec![(ResultCode::Corrected, 1)]);
    // An item nobody inspected has no problems to show.
    let other = item(svc, "WY-2024-01").await;
    assert!(
        guides::guide(svc, other.id, before)
            .await
            .unwrap()
            .problems
            .is_empty()
    );
    // Before its first publication an item has no guide.
    assert!(matches!(
        guides::guide(svc, i.id, i.created_at - chrono::Duration::days(1)).await,
        Err(ServiceError::NotFound)
    ));

    // A new version takes effect: the guide of today shows it, the guide of before does not.
    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    let market = actor(svc, "wy.market").await;
    let mut input = input_of(&i);
    input.check_points.push([
        "system".into(),
        "是否建立药品追溯制度".into(),
        "《药品管理法》第三十九条".into(),
    ]);
    let v2 = items::update(svc, &market, i.id, &input, "增加追溯制度检查要点")
        .await
        .unwrap();
    assert_eq!(v2.version, i.version + 1);
    let now = guides::guide(svc, i.id, Utc::now()).await.unwrap();
    assert_eq!(now.version, v2.version);
    let all: Vec<&str> = now
        .check_points
        .iter()
        .flat_map(|(_, ps)| ps.iter().map(|p| p.content.as_str()))
        .collect();
    assert!(all.contains(&"是否建立药品追溯制度"), "{all:?}");
    assert!(
        now.legal_bases
            .iter()
            .any(|b| b == "《药品管理法》第三十九条")
    );
    let then = guides::guide(svc, i.id, before).await.unwrap();
    assert_eq!(then.version, i.version);
    assert!(
        !then
            .check_points
            .iter()
            .flat_map(|(_, ps)| ps.iter())
            .any(|p| p.content == "是否建立药品追溯制度")
    );
}

async fn audit_count(svc: &Services, action: &str) -> u64 {
    audit_log::list(
        svc,
        &lianjian_services::cli_actor(),
        &audit_log::AuditQuery {
            action: Some(action.into()),
            ..Default::default()
        },
        page(),
    )
    .await
    .unwrap()
    .total
}

fn fields(e: &ServiceError) -> Vec<String> {
    match e {
        ServiceError::Invalid(v) => v.iter().map(|f| f.field.clone()).collect(),
        ServiceError::Conflict { field, .. } => vec![field.clone()],
        other => panic!("expected a field error, got {other:?}"),
    }
}

async fn sections_are_versioned_audited_and_edited_by_the_lead_department(env: Env) {
    let svc = &env.svc;
    let i = item(svc, "WY-2024-02").await;
    let market = actor(svc, "wy.market").await;
    // Another line's administrator, an inspector and a leader may not write the lead's guide.
    for who in ["wy.health", "wy.zhang", "wy.leader"] {
        let a = actor(svc, who).await;
        assert!(
            matches!(
                guides::edit_section(svc, &a, i.id, "overview", "说明").await,
                Err(ServiceError::Forbidden)
            ),
            "{who}"
        );
    }
    let e = guides::edit_section(svc, &market, i.id, "preface", "说明")
        .await
        .unwrap_err();
    assert_eq!(fields(&e), vec!["kind"]);
    let e = guides::edit_section(svc, &market, i.id, "整改指引", &"字".repeat(4001))
        .await
        .unwrap_err();
    assert_eq!(fields(&e), vec!["body"]);

    let v1 = guides::edit_section(svc, &market, i.id, "整改指引", "凭处方销售处方药。")
        .await
        .unwrap();
    assert_eq!((v1.kind, v1.version), (SectionKind::Rectification, 1));
    let e = guides::edit_section(svc, &market, i.id, "rectification", " 凭处方销售处方药。 ")
        .await
        .unwrap_err();
    assert_eq!(fields(&e), vec!["body"], "unchanged text is refused");
    let between = Utc::now();
    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    let v2 = guides::edit_section(
        svc,
        &market,
        i.id,
        "rectification",
        "凭处方销售处方药，并登记。",
    )
    .await
    .unwrap();
    assert_eq!(v2.version, 2);
    assert_eq!(audit_count(svc, "guide.section").await, 2);
    assert_eq!(guides::section_history(svc, i.id).await.unwrap().len(), 2);

    let g = guides::guide(svc, i.id, Utc::now()).await.unwrap();
    let s = g.section(SectionKind::Rectification).unwrap();
    assert_eq!(
        (s.version, s.body.as_str()),
        (2, "凭处方销售处方药，并登记。")
    );
    assert_eq!(s.edited_by, "wy.market");
    let public = g.public();
    assert!(public.sections.iter().all(|s| s.edited_by.is_empty()));
    // On an earlier moment the version then in force.
    let old = guides::guide(svc, i.id, between).await.unwrap();
    assert_eq!(old.section(SectionKind::Rectification).unwrap().version, 1);
    // Emptying a section takes it out of the guide; its history stays.
    guides::edit_section(svc, &market, i.id, "rectification", "  ")
        .await
        .unwrap();
    let g = guides::guide(svc, i.id, Utc::now()).await.unwrap();
    assert!(g.section(SectionKind::Rectification).is_none());
    // The coordination office of the county may write too.
    let office = actor(svc, "wy.office").await;
    guides::edit_section(svc, &office, i.id, "notes", "如实提供资料。")
        .await
        .unwrap();
}

async fn contacts_are_set_by_the_department_and_shown_in_its_guides(env: Env) {
    let svc = &env.svc;
    let i = item(svc, "WY-2024-02").await;
    let lead = i
        .departments
        .iter()
        .find(|d| d.role == DepartmentRole::Lead)
        .unwrap()
        .department_id;
    let market = actor(svc, "wy.market").await;
    let bad = guides::ContactInput {
        phone: "电话".into(),
        address: "x".into(),
        hours: String::new(),
    };
    let e = guides::set_contact(svc, &market, lead, &bad)
        .await
        .unwrap_err();
    assert_eq!(fields(&e), vec!["phone", "address"]);
    let health = actor(svc, "wy.health").await;
    let good = guides::ContactInput {
        phone: "0395-7212315".into(),
        address: "舞阳县人民路 1 号".into(),
        hours: "工作日 8:30–17:30".into(),
    };
    assert!(matches!(
        guides::set_contact(svc, &health, lead, &good).await,
        Err(ServiceError::Forbidden)
    ));
    guides::set_contact(svc, &market, lead, &good)
        .await
        .unwrap();
    assert_eq!(audit_count(svc, "department.contact").await, 1);
    let g = guides::guide(svc, i.id, Utc::now()).await.unwrap();
    assert_eq!(g.departments[0].contact.phone, "0395-7212315");
    assert_eq!(g.departments[0].contact.address, "舞阳县人民路 1 号");
}

/// Chromium renders a page to an A4 PDF (skipped where it is not installed, except under CI).
#[tokio::test]
async fn chromium_renders_a_pdf() {
    let installed = ["/usr/bin/chromium", "/usr/bin/chromium-browser"]
        .iter()
        .any(|p| std::path::Path::new(p).exists())
        || std::env::var_os("LIANJIAN_CHROMIUM").is_some();
    if !installed {
        assert!(
            std::env::var_os("CI").is_none(),
            "chromium is required under CI"
        );
        eprintln!("skipped: chromium not installed");
        return;
    }
    let html = "<!doctype html><meta charset=utf-8><style>@page{size:A4;margin:15mm}</style><h1>合规经营指南</h1><p>测试</p>";
    let pdf = documents::pdf(html).await.unwrap();
    assert!(pdf.starts_with(b"%PDF"));
    // A4 is 595 × 842 points (Chromium writes 594.96 × 841.92).
    let s = String::from_utf8_lossy(&pdf);
    assert!(
        s.contains("/MediaBox [0 0 594.9") && s.contains(" 841.9"),
        "not A4"
    );
    // The same page again comes from the cache, byte for byte.
    assert_eq!(documents::pdf(html).await.unwrap(), pdf);
}
