//! The store's part of a draw at a province's scale (issue 11, Performance; docs/performance.md,
//! the draw path), measured where the full `lianjian bench --draw-path` cannot be built or
//! loaded in time: writing a draw's row with a 41 MB input and completing it with a 93 MB record
//! (the sizes of the 1,000,000-entity bench province's largest item), each sealed, and inserting
//! 70,458 visits with their checks and teams. The seal from the values written is timed against
//! the seal that reads the row back, and both must give the same digest.
//!
//! Ignored by default (a few hundred MB of writes); run in release, on SQLite and, with
//! `LIANJIAN_TEST_POSTGRES_URL`, PostgreSQL:
//! `cargo test --release -p lianjian-store --test draw_write_scale -- --ignored --nocapture`

use std::time::Instant;

use chrono::{NaiveDate, Utc};
use lianjian_domain::region::RegionCode;
use lianjian_domain::visit::DrawSelection;
use lianjian_store::draws::{self, Draw, DrawBody, NewVisit, Visit, VisitCheck, VisitInspector};
use lianjian_store::seal::{self, RowKey, Sealed};
use lianjian_store::testing::TestDb;
use sea_orm::{ConnectionTrait, Statement};
use uuid::Uuid;

/// JSON-like text of about `bytes` bytes, with an apostrophe now and then (quoted by the seal).
fn json_of(bytes: usize, salt: u32) -> String {
    let mut s = String::with_capacity(bytes + 256);
    s.push('[');
    let mut i = 0u32;
    while s.len() < bytes {
        if i > 0 {
            s.push(',');
        }
        s.push_str(&format!(
            "\n  {{\"usci\": \"91370{salt:03}{i:010}X\", \"name\": \"基准市场主体{i} O'Neil 餐饮店\", \"class\": \"B\", \"pools\": [0]}}"
        ));
        i += 1;
    }
    s.push(']');
    s
}

fn ms(t: Instant) -> f64 {
    t.elapsed().as_secs_f64() * 1000.0
}

/// The digests of the last two seals of the draw `id`: the one from the values written and
/// the one read back right after it.
async fn last_two_seals(c: &impl ConnectionTrait, table: &str, id: Uuid) -> (String, String) {
    let rows = c
        .query_all_raw(Statement::from_sql_and_values(
            c.get_database_backend(),
            "SELECT after FROM audit_log WHERE action = $1 AND object_type = $2 AND object_id = $3 ORDER BY seq DESC LIMIT 2",
            vec![seal::SEAL_ACTION.into(), table.into(), id.to_string().into()],
        ))
        .await
        .unwrap();
    let d: Vec<String> = rows
        .iter()
        .map(|r| {
            let a: String = r.try_get_by_index(0).unwrap();
            let v: serde_json::Value = serde_json::from_str(&a).unwrap();
            v["rows"][id.to_string()].as_str().unwrap().to_string()
        })
        .collect();
    (d[1].clone(), d[0].clone())
}

/// The digest of the draw `id` as seals computed it before this change (each column quoted by
/// the database and joined with `|| '|' ||`, then hashed), and how long that took.
async fn chained_digest(c: &impl ConnectionTrait, id: Uuid) -> (String, f64) {
    use sha2::{Digest, Sha256};
    let sqlite = c.get_database_backend() == sea_orm::DbBackend::Sqlite;
    let q =
        |s: &str| Statement::from_sql_and_values(c.get_database_backend(), s, vec!["draws".into()]);
    let parts: Vec<String> = if sqlite {
        c.query_all_raw(q("SELECT name FROM pragma_table_info($1) ORDER BY cid"))
            .await
            .unwrap()
            .iter()
            .map(|r| format!("quote(t.\"{}\")", r.try_get_by_index::<String>(0).unwrap()))
            .collect()
    } else {
        c.query_all_raw(q("SELECT column_name::text, data_type::text FROM information_schema.columns \
             WHERE table_schema = current_schema() AND table_name = $1 ORDER BY ordinal_position"))
            .await
            .unwrap()
            .iter()
            .map(|r| {
                let n: String = r.try_get_by_index(0).unwrap();
                let ty: String = r.try_get_by_index(1).unwrap();
                match ty.as_str() {
                    "timestamp with time zone" => format!(
                        "quote_nullable(to_char(t.\"{n}\" AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US'))"
                    ),
                    "date" => format!("quote_nullable(to_char(t.\"{n}\", 'YYYY-MM-DD'))"),
                    _ => format!("quote_nullable(t.\"{n}\"::text)"),
                }
            })
            .collect()
    };
    let text = parts.join(" || '|' || ");
    let expr = if sqlite {
        text
    } else {
        format!("encode(sha256(convert_to({text}, 'UTF8')), 'hex')")
    };
    let t = Instant::now();
    let row = c
        .query_one_raw(Statement::from_sql_and_values(
            c.get_database_backend(),
            format!("SELECT {expr} AS canon FROM draws t WHERE t.id = $1"),
            vec![id.into()],
        ))
        .await
        .unwrap()
        .unwrap();
    let canon: String = row.try_get_by_index(0).unwrap();
    let inner = if sqlite {
        hex::encode(Sha256::digest(canon.as_bytes()))
    } else {
        canon
    };
    let mut h = Sha256::new();
    h.update(b"draws\n");
    h.update(inner.as_bytes());
    (hex::encode(h.finalize()), ms(t))
}

async fn at_scale(db: &TestDb, name: &str) {
    let c = db.store.conn();
    let id = Uuid::now_v7();
    let input = json_of(41_000_000, 1);
    let record = json_of(93_000_000, 2);
    let now = Utc::now();
    let d = Draw {
        id,
        code: "CQ-370000-2027-001".into(),
        region_code: RegionCode::parse("370000").unwrap(),
        title: "基准省份全省联合双随机抽查".into(),
        period_start: NaiveDate::from_ymd_opt(2027, 1, 1).unwrap(),
        period_end: NaiveDate::from_ymd_opt(2027, 12, 31).unwrap(),
        status: lianjian_domain::draw::DrawStatus::Committed,
        redraw_of: None,
        redraw_reason: None,
        superseded_by: None,
        candidates_sha256: "a".repeat(64),
        inspectors_sha256: "b".repeat(64),
        seed_sha256: "c".repeat(64),
        witness_name: None,
        visit_count: 0,
        created_by: "bench".into(),
        committed_at: now,
        drawn_at: None,
        beacon_source: None,
        beacon_reference: None,
        beacon_available_on: None,
        beacon_value: None,
        beacon_entered_by: None,
        beacon_entered_at: None,
        unwitnessed_reason: Some("性能基准测试，无独立见证".into()),
        publish_delay_days: 0,
    };
    let body = DrawBody {
        input_json: input.clone(),
        server_seed: "d".repeat(64),
        salt_key: Some("e".repeat(64)),
        witness_seed: None,
        record_json: None,
        failure_json: None,
    };
    let key = RowKey::id(id);

    let tx = db.store.begin().await.unwrap();
    let t = Instant::now();
    draws::insert(&tx, &d, &body, &[]).await.unwrap();
    let insert_ms = ms(t);
    let t = Instant::now();
    seal::seal_written(&tx, Sealed::Draws, key, &[("input_json", Some(&input))])
        .await
        .unwrap();
    let seal_written_41 = ms(t);
    let t = Instant::now();
    seal::seal(&tx, Sealed::Draws, &[key]).await.unwrap();
    let seal_read_back_41 = ms(t);
    let (a, b) = last_two_seals(&tx, "draws", id).await;
    assert_eq!(a, b, "{name}: the seals of the committed draw agree");
    let (chained, chained_41) = chained_digest(&tx, id).await;
    assert_eq!(a, chained, "{name}: and agree with the || form");
    let t = Instant::now();
    tx.commit().await.unwrap();
    let commit_1 = ms(t);

    let tx = db.store.begin().await.unwrap();
    let t = Instant::now();
    draws::complete(
        &tx,
        id,
        "drawn",
        Some(("未经独立见证", "")),
        Some(&record),
        None,
        70_458,
        now,
        &input,
    )
    .await
    .unwrap();
    let complete_ms = ms(t);
    let written = [
        ("input_json", Some(input.as_str())),
        ("record_json", Some(record.as_str())),
    ];
    let t = Instant::now();
    seal::seal_written(&tx, Sealed::Draws, key, &written)
        .await
        .unwrap();
    let seal_written_134 = ms(t);
    let t = Instant::now();
    seal::seal(&tx, Sealed::Draws, &[key]).await.unwrap();
    let seal_read_back_134 = ms(t);
    let (a, b) = last_two_seals(&tx, "draws", id).await;
    assert_eq!(a, b, "{name}: the seals of the drawn draw agree");
    let (chained, chained_134) = chained_digest(&tx, id).await;
    assert_eq!(a, chained, "{name}: and agree with the || form");

    // 70,458 visits of one plan, two inspectors each, in 140 counties.
    let regions: Vec<RegionCode> = (0..140)
        .map(|k| RegionCode::parse(&format!("37{:02}{:02}", 1 + k / 14, 2 + k % 14)).unwrap())
        .collect();
    let (plan, item, lead, coop) = (
        Uuid::now_v7(),
        Uuid::now_v7(),
        Uuid::now_v7(),
        Uuid::now_v7(),
    );
    let officers: Vec<Uuid> = (0..1000).map(|_| Uuid::now_v7()).collect();
    let visits: Vec<NewVisit> = (0..70_458usize)
        .map(|n| NewVisit {
            visit: Visit {
                id: Uuid::now_v7(),
                code: format!("{}-{:04}", d.code, n + 1),
                draw_id: Some(id),
                entity_id: Uuid::now_v7(),
                region_code: regions[n % regions.len()].clone(),
                lead_department_id: lead,
                trigger: lianjian_domain::visit::VisitTrigger::Random,
                trigger_note: None,
                status: lianjian_domain::visit::VisitStatus::Scheduled,
                period_start: d.period_start,
                period_end: d.period_end,
                visited_on: None,
                created_at: now,
                updated_at: now,
            },
            checks: vec![VisitCheck {
                plan_id: plan,
                item_id: item,
                department_id: lead,
                selection: Some(DrawSelection::Random),
            }],
            inspectors: vec![
                VisitInspector {
                    inspector_id: officers[n % 600],
                    department_id: lead,
                },
                VisitInspector {
                    inspector_id: officers[600 + n % 400],
                    department_id: coop,
                },
            ],
        })
        .collect();
    let t = Instant::now();
    draws::insert_visits(&tx, &visits).await.unwrap();
    let visits_ms = ms(t);
    let t = Instant::now();
    tx.commit().await.unwrap();
    let commit_2 = ms(t);
    let stored = c
        .query_one_raw(Statement::from_string(
            c.get_database_backend(),
            "SELECT COUNT(*) FROM visit_inspectors",
        ))
        .await
        .unwrap()
        .unwrap()
        .try_get_by_index::<i64>(0)
        .unwrap();
    assert_eq!(stored, 140_916);
    let findings = seal::reconcile(c).await.unwrap();
    assert!(findings.is_empty(), "{findings:?}");
    let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    println!(
        "{name} (load {}): insert draw + seal from values {insert_ms:.0} ms; seal of the 41 MB row from values {seal_written_41:.0} ms, read back (concat_ws) {seal_read_back_41:.0} ms, read back (||, before) {chained_41:.0} ms; commit {commit_1:.0} ms",
        load.trim()
    );
    println!(
        "{name}: complete + seal from values {complete_ms:.0} ms; seal of the 134 MB row from values {seal_written_134:.0} ms, read back (concat_ws) {seal_read_back_134:.0} ms, read back (||, before) {chained_134:.0} ms; 70,458 visits {visits_ms:.0} ms; commit {commit_2:.0} ms"
    );
}

#[tokio::test]
#[ignore = "writes a few hundred MB; run in release with --ignored"]
async fn draw_row_and_visits_at_province_scale() {
    let db = TestDb::sqlite().await.unwrap();
    at_scale(&db, "SQLite").await;
    if let Some(db) = TestDb::postgres().await.unwrap() {
        at_scale(&db, "PostgreSQL").await;
    }
}
