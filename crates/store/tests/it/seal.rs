//! Row seals of draws computed from the values written (`seal::seal_written`, no read-back)
//! are byte for byte the digests `audit reconcile` computes, and the digests of the
//! `quote(a) || '|' || quote(b) …` form every row sealed before was sealed with: on SQLite,
//! and on PostgreSQL when `LIANJIAN_TEST_POSTGRES_URL` is set, each on a fresh database.

use std::collections::HashMap;

use chrono::{NaiveDate, TimeZone, Utc};
use lianjian_domain::region::RegionCode;
use lianjian_store::draws::{self, Draw, DrawBody};
use lianjian_store::seal::{self, Difference, Sealed};
use lianjian_store::testing::TestDb;
use sea_orm::{ConnectionTrait, DbBackend, Statement};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use lianjian_store::on_both_backends;

on_both_backends!(
    draws_sealed_from_written_values_match_the_database_digest,
    a_seal_from_another_input_than_stored_is_named_by_reconcile,
);

fn sql(c: &impl ConnectionTrait, s: impl Into<String>, vals: Vec<sea_orm::Value>) -> Statement {
    Statement::from_sql_and_values(c.get_database_backend(), s, vals)
}

/// Text that every quoting rule has to get right: single quotes, backslashes (PostgreSQL's
/// `E'…'`), JSON escapes, `|`, the word NULL, CJK and a four-byte character; `n` times over.
fn awkward(n: usize) -> String {
    let unit = r#"{"名称":"O'Brien 餐饮\\店","note":"a \"quoted\" | NULL \n 𠀀 ''","x":[1,2.5e3]}"#;
    let mut s = String::from("[");
    for i in 0..n {
        if i > 0 {
            s.push(',');
        }
        s.push_str(unit);
    }
    s.push(']');
    s
}

fn draw(id: Uuid, title: &str) -> Draw {
    let at = Utc.with_ymd_and_hms(2027, 1, 2, 3, 4, 5).unwrap()
        + chrono::Duration::microseconds(678_901);
    Draw {
        id,
        code: format!("CQ-370000-2027-{}", &id.simple().to_string()[20..]),
        region_code: RegionCode::parse("370000").unwrap(),
        title: title.into(),
        period_start: NaiveDate::from_ymd_opt(2027, 1, 1).unwrap(),
        period_end: NaiveDate::from_ymd_opt(2027, 12, 31).unwrap(),
        status: lianjian_domain::draw::DrawStatus::Committed,
        redraw_of: None,
        redraw_reason: Some("re'draw \\ 原因".into()),
        superseded_by: None,
        candidates_sha256: "a".repeat(64),
        inspectors_sha256: "b".repeat(64),
        seed_sha256: "c".repeat(64),
        witness_name: None,
        visit_count: 0,
        created_by: "tester".into(),
        committed_at: at,
        drawn_at: None,
        beacon_source: None,
        beacon_reference: None,
        beacon_available_on: None,
        beacon_value: None,
        beacon_entered_by: None,
        beacon_entered_at: None,
        unwitnessed_reason: Some("测试".into()),
        publish_delay_days: 3,
    }
}

/// The digest of every row of `table` as the seals computed it before they were built in one
/// pass: each column quoted by the database and joined with `|| '|' ||`, written out here
/// independently of `seal.rs`.
async fn chained_digests(c: &impl ConnectionTrait, table: &str) -> HashMap<Uuid, String> {
    let sqlite = c.get_database_backend() == DbBackend::Sqlite;
    let parts: Vec<String> = if sqlite {
        c.query_all_raw(sql(
            c,
            "SELECT name FROM pragma_table_info($1) ORDER BY cid",
            vec![table.into()],
        ))
        .await
        .unwrap()
        .iter()
        .map(|r| format!("quote(t.\"{}\")", r.try_get_by_index::<String>(0).unwrap()))
        .collect()
    } else {
        c.query_all_raw(sql(
            c,
            "SELECT column_name::text, data_type::text FROM information_schema.columns \
             WHERE table_schema = current_schema() AND table_name = $1 ORDER BY ordinal_position",
            vec![table.into()],
        ))
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
    let rows = c
        .query_all_raw(sql(
            c,
            format!("SELECT t.id AS id, {expr} AS canon FROM {table} t"),
            Vec::new(),
        ))
        .await
        .unwrap();
    rows.iter()
        .map(|r| {
            let id: Uuid = r.try_get("", "id").unwrap();
            let canon: String = r.try_get("", "canon").unwrap();
            let inner = if sqlite {
                hex::encode(Sha256::digest(canon.as_bytes()))
            } else {
                canon
            };
            let mut h = Sha256::new();
            h.update(table.as_bytes());
            h.update(b"\n");
            h.update(inner.as_bytes());
            (id, hex::encode(h.finalize()))
        })
        .collect()
}

/// The digest each row of `table` was last sealed with, from the audit log.
async fn sealed_digests(c: &impl ConnectionTrait, table: &str) -> HashMap<Uuid, String> {
    let rows = c
        .query_all_raw(sql(
            c,
            "SELECT after FROM audit_log WHERE action = $1 AND object_type = $2 ORDER BY seq",
            vec![seal::SEAL_ACTION.into(), table.into()],
        ))
        .await
        .unwrap();
    let mut out = HashMap::new();
    for r in rows {
        let after: String = r.try_get_by_index(0).unwrap();
        let v: serde_json::Value = serde_json::from_str(&after).unwrap();
        for (k, d) in v["rows"].as_object().unwrap() {
            out.insert(k.parse().unwrap(), d.as_str().unwrap().to_string());
        }
    }
    out
}

async fn draws_sealed_from_written_values_match_the_database_digest(db: &TestDb) {
    let c = db.store.conn();
    let sqlite = c.get_database_backend() == DbBackend::Sqlite;
    // A drawn draw with a large awkward input and record and a public variant, a failed one,
    // and one still committed, each written through the store's write functions.
    let mut ids = Vec::new();
    for (k, status) in ["drawn", "failed", "committed"].into_iter().enumerate() {
        let id = Uuid::now_v7();
        ids.push(id);
        let input = awkward(2_000 + k);
        let tx = db.store.begin().await.unwrap();
        let body = DrawBody {
            input_json: input.clone(),
            server_seed: "d".repeat(64),
            salt_key: Some("e".repeat(64)),
            witness_seed: None,
            record_json: None,
            failure_json: None,
        };
        draws::insert(&tx, &draw(id, "O'Brien \\ 全省抽查 | NULL"), &body, &[])
            .await
            .unwrap();
        let at = Utc.with_ymd_and_hms(2027, 2, 3, 4, 5, 6).unwrap();
        match status {
            "drawn" => {
                let record = awkward(5_000);
                draws::complete(
                    &tx,
                    id,
                    "drawn",
                    Some(("监督人 王'五", "")),
                    Some(&record),
                    None,
                    70,
                    at,
                    &input,
                )
                .await
                .unwrap();
                // SQLite's quote reads text up to its first NUL byte (PostgreSQL refuses
                // NUL in text).
                let public = if sqlite {
                    format!("{}\0after a NUL 'quoted'", awkward(300))
                } else {
                    awkward(300)
                };
                draws::insert_public_record(&tx, id, &public, at)
                    .await
                    .unwrap();
            }
            "failed" => {
                draws::complete(
                    &tx,
                    id,
                    "failed",
                    None,
                    None,
                    Some(r#"{"failure":"名额不足 'x' \\"}"#),
                    0,
                    at,
                    &input,
                )
                .await
                .unwrap();
            }
            _ => {}
        }
        tx.commit().await.unwrap();
    }
    for table in [Sealed::Draws.table(), Sealed::DrawPublicRecords.table()] {
        let chained = chained_digests(c, table).await;
        let sealed = sealed_digests(c, table).await;
        assert_eq!(
            chained.len(),
            if table == "draws" { 3 } else { 1 },
            "{table}"
        );
        assert_eq!(sealed, chained, "{table}: seals are the chained digests");
    }
    // And reconcile, computing the digests in one pass, finds every row as sealed.
    let findings = seal::reconcile(c).await.unwrap();
    assert!(findings.is_empty(), "{findings:?}");
}

async fn a_seal_from_another_input_than_stored_is_named_by_reconcile(db: &TestDb) {
    let c = db.store.conn();
    let id = Uuid::now_v7();
    let tx = db.store.begin().await.unwrap();
    let body = DrawBody {
        input_json: awkward(10),
        server_seed: "d".repeat(64),
        salt_key: None,
        witness_seed: None,
        record_json: None,
        failure_json: None,
    };
    draws::insert(&tx, &draw(id, "t"), &body, &[])
        .await
        .unwrap();
    // The draw completed with an input other than the stored one (one byte differs).
    let other = awkward(10).replacen("O'Brien", "O'Brian", 1);
    draws::complete(
        &tx,
        id,
        "drawn",
        None,
        Some("{}"),
        None,
        1,
        Utc::now(),
        &other,
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    let findings = seal::reconcile(c).await.unwrap();
    assert_eq!(findings.len(), 1, "{findings:?}");
    assert_eq!(findings[0].table, Sealed::Draws);
    assert_eq!(findings[0].key, id.to_string());
    assert!(matches!(findings[0].difference, Difference::Changed { .. }));
}
