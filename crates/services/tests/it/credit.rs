//! Credit entries (issue 15 items 1 and 5) on both backends: a penalty is recorded with its
//! publication period, audited and sealed, public only within that period; a repeated push
//! changes nothing; every bad field is named and nothing is stored; roles and scope decide who
//! records and who reads; the sheet import names every bad cell and writes nothing half; a
//! listing's removal stops its publication; the public view never carries a class.

use chrono::Duration;
use lianjian_domain::credit::{RecordKind, RecordSource, RecordStatus, Tier};
use lianjian_services::credit::{self, EntryFilter, EntryInput, public};
use lianjian_services::directory::SearchInput;
use lianjian_services::exchange::credit as sheet;
use lianjian_services::{PageRequest, ServiceError, Services, directory};
use lianjian_store::on_both_backends;
use lianjian_store::seal;
use rust_xlsxwriter::Workbook;
use sea_orm::ConnectionTrait;

use crate::DEMO;
use crate::clues::{Env, actor, department, setup};

fn page() -> PageRequest {
    PageRequest::new(Some(1), Some(100))
}

/// The credit code of a demo entity of the county whose name holds `q`.
async fn usci_of(svc: &Services, q: &str) -> String {
    let office = actor(svc, "wy.office").await;
    directory::search(
        svc,
        &office,
        &SearchInput {
            q: q.into(),
            ..Default::default()
        },
        PageRequest::new(Some(1), Some(1)),
    )
    .await
    .unwrap()
    .items
    .first()
    .unwrap_or_else(|| panic!("a demo entity named like {q}"))
    .usci
    .clone()
}

fn penalty(usci: &str, reference: &str, tier: &str) -> EntryInput {
    EntryInput {
        usci: usci.into(),
        kind: "行政处罚".into(),
        tier: tier.into(),
        occurred_on: "2026-11-02".into(),
        reference: reference.into(),
        title: "销售超过保质期的药品".into(),
        legal_basis: "《中华人民共和国药品管理法》第一百一十七条".into(),
        penalty_kinds: "警告、罚款".into(),
        amount: "20000".into(),
        strict_field: "药品".into(),
        ..Default::default()
    }
}

on_both_backends!(
    template = DEMO, setup = setup;
    a_penalty_is_recorded_published_for_its_period_audited_and_sealed,
    bad_input_names_every_field_and_stores_nothing,
    roles_and_scope_decide_who_records_and_reads,
    the_sheet_names_every_bad_cell_and_writes_nothing_half,
    removing_a_listing_stops_its_publication,
);

async fn a_penalty_is_recorded_published_for_its_period_audited_and_sealed(env: Env) {
    let svc = &env.svc;
    let market = actor(svc, "wy.market").await;
    let x = department(svc, "411121", "县市场监管局").await;
    let usci = usci_of(svc, "面业").await;
    let e = credit::record(
        svc,
        &market,
        &penalty(&usci, "舞市监罚〔2026〕88号", "一般"),
        RecordSource::Manual,
    )
    .await
    .unwrap();
    assert_eq!(
        e.department_id,
        Some(x),
        "an administrator records for its own department"
    );
    assert_eq!(e.tier, Some(Tier::General));
    // Drugs: the minimum is a year, so repair opens and publication ends a year on.
    assert_eq!(e.publication.repair_from.to_string(), "2027-11-02");
    assert_eq!(e.publication.until.to_string(), "2027-11-02");
    // Public now, with the amount, and nothing about classes.
    let p = public::of_entity(svc, &usci).await.unwrap();
    assert_eq!(p.entries.len(), 1);
    assert_eq!(p.entries[0].amount.as_deref(), Some("20,000.00"));
    let json = serde_json::to_string(&p).unwrap();
    assert!(
        !json.contains("credit_class") && !json.contains("score"),
        "{json}"
    );
    // A minor penalty is recorded but not published.
    credit::record(
        svc,
        &market,
        &penalty(&usci, "舞市监罚〔2026〕89号", "轻微"),
        RecordSource::Manual,
    )
    .await
    .unwrap();
    assert_eq!(
        public::of_entity(svc, &usci).await.unwrap().entries.len(),
        1
    );
    // After the period ends, nothing is public.
    svc.clock.advance(Duration::days(366));
    assert!(
        public::of_entity(svc, &usci)
            .await
            .unwrap()
            .entries
            .is_empty()
    );
    // The same reference again is a conflict naming it; the API's upsert changes nothing.
    let err = credit::record(
        svc,
        &market,
        &penalty(&usci, "舞市监罚〔2026〕88号", "一般"),
        RecordSource::Manual,
    )
    .await
    .unwrap_err();
    assert!(matches!(err, ServiceError::Conflict { .. }), "{err:?}");
    let (_, changed) = credit::upsert(
        svc,
        &market,
        &penalty(&usci, "舞市监罚〔2026〕88号", "一般"),
    )
    .await
    .unwrap();
    assert_eq!(changed, None);
    let (again, changed) = credit::upsert(
        svc,
        &market,
        &penalty(&usci, "舞市监罚〔2026〕88号", "严重"),
    )
    .await
    .unwrap();
    assert_eq!(
        (changed, again.id, again.tier),
        (Some(false), e.id, Some(Tier::Serious))
    );
    // Audited, sealed: an edit made outside the application is named by reconcile.
    let c = svc.store.conn();
    let actions: Vec<String> =
        lianjian_store::audit::of_object(c, "credit_entry", &e.id.to_string(), 10)
            .await
            .unwrap()
            .into_iter()
            .map(|a| a.action)
            .collect();
    assert!(
        actions.contains(&"credit.record".to_string())
            && actions.contains(&"credit.update".to_string()),
        "{actions:?}"
    );
    assert!(seal::reconcile(c).await.unwrap().is_empty());
    c.execute_raw(sea_orm::Statement::from_sql_and_values(
        c.get_database_backend(),
        "UPDATE credit_entries SET tier = 'minor' WHERE id = $1",
        [e.id.into()],
    ))
    .await
    .unwrap();
    let found = seal::reconcile(c).await.unwrap();
    assert!(
        found
            .iter()
            .any(|f| f.table == seal::Sealed::CreditEntries && f.key == e.id.to_string()),
        "{found:?}"
    );
}

async fn bad_input_names_every_field_and_stores_nothing(env: Env) {
    let svc = &env.svc;
    let market = actor(svc, "wy.market").await;
    let all = EntryFilter::default().parse().unwrap();
    let before = credit::list(svc, &market, &all, page())
        .await
        .unwrap()
        .total;
    let bad = EntryInput {
        usci: "91411121MA00000000".into(),
        kind: "行政处罚".into(),
        tier: "很严重".into(),
        occurred_on: "2099-01-01".into(),
        reference: "".into(),
        title: "x".into(),
        legal_basis: "".into(),
        penalty_kinds: "打板子".into(),
        amount: "-5".into(),
        strict_field: "烟花".into(),
        removed_on: "2026-01-01".into(),
        ..Default::default()
    };
    let Err(ServiceError::Invalid(f)) =
        credit::record(svc, &market, &bad, RecordSource::Manual).await
    else {
        panic!("refused")
    };
    let mut fields: Vec<&str> = f.iter().map(|e| e.field.as_str()).collect();
    fields.sort();
    fields.dedup();
    assert_eq!(
        fields,
        [
            "amount",
            "legal_basis",
            "occurred_on",
            "penalty_kinds",
            "reference",
            "removed_on",
            "strict_field",
            "tier",
            "title",
            "usci"
        ]
    );
    // A fine without its amount is named too; a sanction cannot be typed in.
    let usci = usci_of(svc, "面业").await;
    let mut p = penalty(&usci, "舞市监罚〔2026〕90号", "一般");
    p.amount = String::new();
    let Err(ServiceError::Invalid(f)) =
        credit::record(svc, &market, &p, RecordSource::Manual).await
    else {
        panic!("refused")
    };
    assert_eq!(f[0].field, "amount");
    p.kind = "联合惩戒".into();
    let Err(ServiceError::Invalid(f)) =
        credit::record(svc, &market, &p, RecordSource::Manual).await
    else {
        panic!("refused")
    };
    assert!(f.iter().any(|e| e.code == "sanction_by_flow"), "{f:?}");
    assert_eq!(
        credit::list(svc, &market, &all, page())
            .await
            .unwrap()
            .total,
        before
    );
}

async fn roles_and_scope_decide_who_records_and_reads(env: Env) {
    let svc = &env.svc;
    let usci = usci_of(svc, "面业").await;
    let inspector = actor(svc, "wy.zhang").await;
    let leader = actor(svc, "wy.leader").await;
    let office = actor(svc, "wy.office").await;
    let market = actor(svc, "wy.market").await;
    for a in [&inspector, &leader] {
        let e = credit::record(
            svc,
            a,
            &penalty(&usci, "舞市监罚〔2026〕91号", "一般"),
            RecordSource::Manual,
        )
        .await
        .unwrap_err();
        assert!(matches!(e, ServiceError::Forbidden), "{e:?}");
    }
    // A department administrator records only its own department's decisions.
    let health = department(svc, "411121", "县卫生健康委").await;
    let mut p = penalty(&usci, "舞市监罚〔2026〕91号", "一般");
    p.department_id = health.to_string();
    let Err(ServiceError::Invalid(f)) =
        credit::record(svc, &market, &p, RecordSource::Manual).await
    else {
        panic!("refused")
    };
    assert_eq!(f[0].code, "own_department");
    // The office must name the department; then every line of the county reads the entry.
    let mut p = penalty(&usci, "舞卫罚〔2026〕3号", "一般");
    let Err(ServiceError::Invalid(f)) =
        credit::record(svc, &office, &p, RecordSource::Manual).await
    else {
        panic!("refused")
    };
    assert_eq!(f[0].field, "department_id");
    p.department_id = health.to_string();
    let e = credit::record(svc, &office, &p, RecordSource::Manual)
        .await
        .unwrap();
    for a in [&market, &inspector, &leader] {
        assert_eq!(credit::get(svc, a, e.id).await.unwrap().id, e.id);
    }
    let timeline = credit::timeline(svc, &market, e.entity_id).await.unwrap();
    assert!(!timeline.is_empty());
    // Another county sees nothing: not the entry, not the entity's file.
    let other = lianjian_services::cli_actor();
    let mut other = other.clone();
    other.role = lianjian_domain::account::Role::CoordinationOffice;
    other.region = lianjian_domain::region::RegionCode::parse("411122").unwrap();
    assert!(matches!(
        credit::get(svc, &other, e.id).await,
        Err(ServiceError::NotFound)
    ));
    assert!(matches!(
        credit::timeline(svc, &other, e.entity_id).await,
        Err(ServiceError::NotFound)
    ));
    let listed = credit::list(
        svc,
        &other,
        &EntryFilter::default().parse().unwrap(),
        page(),
    )
    .await
    .unwrap();
    assert_eq!(listed.total, 0);
    // The demo's own entries: a food penalty, a minor one, a listing and a commendation.
    let demo = credit::list(
        svc,
        &office,
        &EntryFilter::default().parse().unwrap(),
        page(),
    )
    .await
    .unwrap();
    assert!(demo.total >= 5, "{}", demo.total);
}

fn sheet_file(rows: &[[&str; 14]]) -> Vec<u8> {
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet();
    ws.set_name("信用记录").unwrap();
    for (j, h) in sheet::headers().iter().enumerate() {
        ws.write_string(0, j as u16, h).unwrap();
    }
    for (i, r) in rows.iter().enumerate() {
        for (j, v) in r.iter().enumerate() {
            ws.write_string(i as u32 + 1, j as u16, *v).unwrap();
        }
    }
    wb.save_to_buffer().unwrap()
}

async fn the_sheet_names_every_bad_cell_and_writes_nothing_half(env: Env) {
    let svc = &env.svc;
    let office = actor(svc, "wy.office").await;
    let a = usci_of(svc, "面业").await;
    let good = |reference: &'static str| -> [&'static str; 14] {
        [
            "",
            "行政处罚",
            reference,
            "未按规定储存药品",
            "一般",
            "警告、罚款",
            "5000.50",
            "药品",
            "2026-10-09",
            "县市场监管局",
            "",
            "《药品管理法》第一百二十六条",
            "",
            "",
        ]
    };
    let mut r1 = good("舞市监罚〔2026〕101号");
    let mut r2 = good("舞市监罚〔2026〕102号");
    let a_static: &'static str = Box::leak(a.clone().into_boxed_str());
    r1[0] = a_static;
    r2[0] = a_static;
    // Row 4 repeats row 2's reference; row 5 has a bad amount and an unknown department.
    let r3 = r1;
    let mut r4 = r2;
    r4[2] = "舞市监罚〔2026〕103号";
    r4[6] = "五千";
    r4[9] = "县不存在局";
    let file = sheet_file(&[r1, r2, r3, r4]);
    let o = sheet::import(svc, &office, &file, false, &|_| {})
        .await
        .unwrap();
    let named: Vec<(u32, String)> = o.errors.iter().map(|e| (e.row, e.column.clone())).collect();
    assert_eq!(
        named,
        [
            (4, "文号".to_string()),
            (5, "罚没金额（元）".to_string()),
            (5, "实施部门".to_string())
        ],
        "{:?}",
        o.errors
    );
    assert!(o.errors[1].to_string().contains("第5行"), "{}", o.errors[1]);
    assert_eq!(o.processed(), 0);
    let all = EntryFilter {
        q: "舞市监罚〔2026〕10".into(),
        ..Default::default()
    }
    .parse()
    .unwrap();
    assert_eq!(
        credit::list(svc, &office, &all, page())
            .await
            .unwrap()
            .total,
        0
    );
    // Skipping the bad rows saves the good ones and reports the rest; importing again changes
    // nothing; the export reads back as the same file.
    let o = sheet::import(svc, &office, &file, true, &|_| {})
        .await
        .unwrap();
    assert_eq!((o.report.inserted, o.skipped), (2, 2));
    assert!(o.error_report.is_some());
    let listed = credit::list(svc, &office, &all, page()).await.unwrap();
    assert_eq!(listed.total, 2);
    assert!(
        listed
            .items
            .iter()
            .all(|e| e.source == RecordSource::Import)
    );
    let again = sheet::import(svc, &office, &sheet_file(&[r1, r2]), false, &|_| {})
        .await
        .unwrap();
    assert_eq!(
        (
            again.report.inserted,
            again.report.updated,
            again.report.unchanged
        ),
        (0, 0, 2)
    );
    let exported = sheet::export(svc, &office, &all).await.unwrap();
    let back = sheet::import(svc, &office, &exported, false, &|_| {})
        .await
        .unwrap();
    assert!(back.errors.is_empty(), "{:?}", back.errors);
    assert_eq!(back.report.unchanged, 2);
}

async fn removing_a_listing_stops_its_publication(env: Env) {
    let svc = &env.svc;
    let market = actor(svc, "wy.market").await;
    let usci = usci_of(svc, "面业").await;
    let listing = EntryInput {
        usci: usci.clone(),
        kind: "经营异常名录".into(),
        occurred_on: "2026-09-01".into(),
        reference: "舞市监异〔2026〕7号".into(),
        title: "通过登记的住所无法联系".into(),
        ..Default::default()
    };
    let e = credit::record(svc, &market, &listing, RecordSource::Manual)
        .await
        .unwrap();
    assert_eq!(e.kind, RecordKind::AbnormalListing);
    assert_eq!(
        public::of_entity(svc, &usci).await.unwrap().entries.len(),
        1
    );
    let Err(ServiceError::Invalid(f)) = credit::remove_listing(svc, &market, e.id, "", "").await
    else {
        panic!("refused")
    };
    assert_eq!(f.len(), 2);
    let removed = credit::remove_listing(svc, &market, e.id, "2026-11-20", "已补报年度报告并公示")
        .await
        .unwrap();
    assert_eq!(removed.status, RecordStatus::Removed);
    assert!(
        public::of_entity(svc, &usci)
            .await
            .unwrap()
            .entries
            .is_empty()
    );
    let again = credit::remove_listing(svc, &market, e.id, "2026-11-21", "再次移出")
        .await
        .unwrap_err();
    assert!(matches!(again, ServiceError::Conflict { .. }), "{again:?}");
    // The public search finds the entity by its credit code, with nothing public.
    let found = public::search(svc, &usci, page()).await.unwrap();
    assert_eq!(found.items[0].public_entries, 0);
    assert!(matches!(
        public::search(svc, "药", page()).await,
        Err(ServiceError::Invalid(_))
    ));
}
