//! Directory store conformance: search by name fragment (1, 2, 3+ characters), credit-code
//! prefix, region subtree, tags, credit class and tag expressions, on SQLite and PostgreSQL.

use std::collections::HashMap;

use chrono::Utc;
use lianjian_domain::directory::{CreditClass, EntityType, RegStatus};
use lianjian_domain::region::RegionCode;
use lianjian_domain::tag::{TagLevel, TagSource};
use lianjian_domain::tag_expr::TagExpr;
use lianjian_domain::usci::Usci;
use lianjian_store::PageRequest;
use lianjian_store::entities::{self, Entity, EntitySearch, ResolvedExpr};
use lianjian_store::on_both_backends;
use lianjian_store::tags::{self, Tag};
use lianjian_store::testing::TestDb;
use uuid::Uuid;

on_both_backends!(
    search_by_fragment_prefix_region_and_class,
    tag_expressions_compile_to_sql,
    update_keeps_search_index_current
);

pub fn usci(n: u32) -> String {
    let first17 = format!("92411121MA{n:07}");
    format!("{first17}{}", Usci::check_char(&first17).unwrap())
}

fn entity(n: u32, name: &str, region: &str, credit: Option<CreditClass>) -> Entity {
    Entity {
        id: Uuid::now_v7(),
        usci: usci(n),
        name: name.into(),
        entity_type: EntityType::IndividualBusiness,
        legal_rep: None,
        address: None,
        region_code: RegionCode::parse(region).unwrap(),
        industry_code: Some("H6210".into()),
        reg_status: RegStatus::Active,
        business_scope: None,
        credit_class: credit,
        credit_date: None,
        credit_source: None,
        created_at: Utc::now(),
        updated_at: Utc::now(),
    }
}

async fn seed(db: &TestDb) -> Vec<Entity> {
    let rows = vec![
        entity(1, "舞阳县福满楼餐饮店", "411121100", Some(CreditClass::A)),
        entity(2, "舞阳县康宁大药房", "411121101", Some(CreditClass::C)),
        entity(3, "漯河市源汇区福满餐饮店", "411102", Some(CreditClass::C)),
        entity(4, "舞阳县阳光养老院", "411121", None),
        entity(5, "Wuyang Foods Co", "411121", Some(CreditClass::D)),
    ];
    for r in &rows {
        Usci::parse(&r.usci).expect("test credit codes are valid");
    }
    entities::insert_many(db.store.conn(), &rows).await.unwrap();
    rows
}

fn names(p: &lianjian_store::Page<Entity>) -> Vec<String> {
    let mut v: Vec<String> = p.items.iter().map(|e| e.name.clone()).collect();
    v.sort();
    v
}

async fn run(db: &TestDb, s: EntitySearch) -> lianjian_store::Page<Entity> {
    entities::search(db.store.conn(), &s, PageRequest::new(Some(1), Some(50)))
        .await
        .unwrap()
}

async fn search_by_fragment_prefix_region_and_class(db: &TestDb) {
    seed(db).await;
    let q = |s: &str| EntitySearch {
        q: Some(s.into()),
        ..Default::default()
    };
    assert_eq!(
        names(&run(db, q("餐饮")).await),
        ["漯河市源汇区福满餐饮店", "舞阳县福满楼餐饮店"]
    );
    assert_eq!(names(&run(db, q("福满楼")).await), ["舞阳县福满楼餐饮店"]);
    assert_eq!(run(db, q("药")).await.total, 1, "single character");
    assert_eq!(run(db, q("院")).await.total, 1, "single last character");
    assert_eq!(run(db, q("foods")).await.total, 1, "case-insensitive latin");
    assert_eq!(run(db, q("不存在的名字")).await.total, 0);
    // A credit-code prefix.
    assert_eq!(
        run(db, q(&usci(2)[..12])).await.total,
        5,
        "all share the first 12"
    );
    assert_eq!(run(db, q(&usci(2))).await.total, 1);
    // Region subtree and class.
    let s = EntitySearch {
        region: Some(RegionCode::parse("411121").unwrap()),
        credit: vec![CreditClass::C],
        ..Default::default()
    };
    assert_eq!(names(&run(db, s).await), ["舞阳县康宁大药房"]);
    let s = EntitySearch {
        q: Some("餐饮".into()),
        region: Some(RegionCode::parse("4111").unwrap()),
        ..Default::default()
    };
    assert_eq!(run(db, s).await.total, 2);
    // Paging and counts.
    let p = entities::search(
        db.store.conn(),
        &EntitySearch::default(),
        PageRequest::new(Some(2), Some(2)),
    )
    .await
    .unwrap();
    assert_eq!((p.total, p.items.len()), (5, 2));
    let counts = entities::counts_by_county_and_class(db.store.conn(), &EntitySearch::default())
        .await
        .unwrap();
    let wuyang: u64 = counts
        .iter()
        .filter(|(c, _, _)| c == "411121")
        .map(|(_, _, n)| n)
        .sum();
    assert_eq!(wuyang, 4);
}

async fn tag(db: &TestDb, code: &str) -> Tag {
    let t = Tag {
        id: Uuid::now_v7(),
        code: code.into(),
        name: code.into(),
        parent_id: None,
        level: TagLevel::Major,
        region_code: RegionCode::parse("41").unwrap(),
        owner_department_id: None,
        description: None,
        valid_from: None,
        valid_to: None,
        status: "active".into(),
        risk_weight: 1,
        created_at: Utc::now(),
        updated_at: Utc::now(),
    };
    tags::insert(db.store.conn(), &t).await.unwrap();
    t
}

async fn tag_expressions_compile_to_sql(db: &TestDb) {
    let rows = seed(db).await;
    let food = tag(db, "餐饮服务").await;
    let drug = tag(db, "零售药店").await;
    let c = db.store.conn();
    for (e, t) in [
        (&rows[0], &food),
        (&rows[2], &food),
        (&rows[1], &drug),
        (&rows[0], &drug),
    ] {
        entities::add_tag(c, e.id, &e.region_code, t.id, TagSource::Manual)
            .await
            .unwrap();
    }
    let ids: HashMap<String, Uuid> = [
        ("餐饮服务".to_string(), food.id),
        ("零售药店".to_string(), drug.id),
    ]
    .into();
    let by = |src: &str| EntitySearch {
        covered_by: Some(ResolvedExpr {
            expr: TagExpr::parse(src).unwrap(),
            tag_ids: ids.clone(),
        }),
        ..Default::default()
    };
    assert_eq!(run(db, by("餐饮服务")).await.total, 2);
    assert_eq!(
        names(&run(db, by("餐饮服务 AND 零售药店")).await),
        ["舞阳县福满楼餐饮店"]
    );
    assert_eq!(run(db, by("餐饮服务 OR 零售药店")).await.total, 3);
    assert_eq!(
        names(&run(db, by("餐饮服务 AND NOT 零售药店")).await),
        ["漯河市源汇区福满餐饮店"]
    );
    assert_eq!(
        names(
            &run(
                db,
                by("(餐饮服务 OR 零售药店) AND region:411121 AND credit:C")
            )
            .await
        ),
        ["舞阳县康宁大药房"]
    );
    assert_eq!(
        run(db, by("type:个体工商户 AND NOT 餐饮服务")).await.total,
        3
    );
    let s = EntitySearch {
        tag_ids: vec![food.id, drug.id],
        ..Default::default()
    };
    assert_eq!(run(db, s).await.total, 1);
}

async fn update_keeps_search_index_current(db: &TestDb) {
    let rows = seed(db).await;
    let mut e = rows[3].clone();
    e.name = "舞阳县夕阳红颐养中心".into();
    entities::update(db.store.conn(), &e).await.unwrap();
    let q = |s: &str| EntitySearch {
        q: Some(s.into()),
        ..Default::default()
    };
    assert_eq!(run(db, q("养老院")).await.total, 0);
    assert_eq!(run(db, q("颐养")).await.total, 1);
    let got = entities::by_usci(db.store.conn(), &e.usci)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(got.name, e.name);
    assert!(
        entities::update(
            db.store.conn(),
            &Entity {
                id: Uuid::now_v7(),
                ..e
            }
        )
        .await
        .is_err()
    );
}
