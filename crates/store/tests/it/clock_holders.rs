//! Migration `m20261207_000028_clock_holders` on data written before it: the clue clocks get
//! their clue's region and department, the step that stopped them where the clue's status
//! tells it, and their approved extensions — on both backends.

use chrono::{NaiveDate, Utc};
use lianjian_store::migration::Migrator;
use lianjian_store::on_both_backends;
use lianjian_store::testing::TestDb;
use sea_orm::{ConnectionTrait, Statement};
use sea_orm_migration::MigratorTrait;
use uuid::Uuid;

use crate::exec;

on_both_backends!(clue_clocks_are_backfilled_from_their_clues);

async fn clue_clocks_are_backfilled_from_their_clues(db: &TestDb) {
    let c = db.store.conn();
    // Back to before 000028 (000029 after it replaces indexes, 000030 adds the daily
    // figures, filled from the clocks: tested in case_figures.rs).
    crate::down_to_before(c, "m20261207_000028_clock_holders").await;
    let now = Utc::now();
    let day = |d: u32| NaiveDate::from_ymd_opt(2026, 12, d).unwrap();
    let dept = Uuid::now_v7();
    // A finished clue (signed, one approved extension) and a returned one.
    let (done, back) = (Uuid::now_v7(), Uuid::now_v7());
    for (id, code, status) in [(done, "XS-T-1", "finished"), (back, "XS-T-2", "returned")] {
        exec(
            c,
            "INSERT INTO clues (id, code, source, kind, urgency, content, address, region_code, \
             anonymous, received_at, status, department_id, created_by, created_at, updated_at) \
             VALUES ($1, $2, 'portal', 'complaint', 'normal', '内容内容内容', '地址', '411121001', \
             $3, $4, $5, $6, 't', $4, $4)",
            vec![
                id.into(),
                code.into(),
                false.into(),
                now.into(),
                status.into(),
                dept.into(),
            ],
        )
        .await;
        for (name, stopped) in [("sign", day(2)), ("finish", day(7))] {
            exec(
                c,
                "INSERT INTO case_clocks (case_kind, case_id, name, started_on, working_days, due, \
                 warn_within, stopped_on) VALUES ('clue', $1, $2, $3, 1, $4, 0, $5)",
                vec![
                    id.into(),
                    name.into(),
                    day(1).into(),
                    day(8).into(),
                    stopped.into(),
                ],
            )
            .await;
        }
    }
    exec(
        c,
        "INSERT INTO case_events (id, case_kind, case_id, action, to_status, actor_name, \
         actor_display, region_code, at) VALUES ($1, 'clue', $2, 'approve_extension', 'handling', \
         'o', 'o', '411121001', $3)",
        vec![Uuid::now_v7().into(), done.into(), now.into()],
    )
    .await;

    Migrator::up(c, None).await.unwrap();
    let rows = c
        .query_all_raw(Statement::from_string(
            c.get_database_backend(),
            "SELECT case_id, name, region_code, department_id, stopped_by, extensions \
             FROM case_clocks ORDER BY name",
        ))
        .await
        .unwrap();
    let mut seen = Vec::new();
    for r in &rows {
        let id: Uuid = r.try_get("", "case_id").unwrap();
        let name: String = r.try_get("", "name").unwrap();
        let region: String = r.try_get("", "region_code").unwrap();
        let d: Option<Uuid> = r.try_get("", "department_id").unwrap();
        let by: Option<String> = r.try_get("", "stopped_by").unwrap();
        let ext: i32 = r.try_get("", "extensions").unwrap();
        assert_eq!((region.as_str(), d), ("411121001", Some(dept)));
        seen.push((id == done, name, by, ext));
    }
    seen.sort();
    assert_eq!(
        seen,
        [
            // The returned clue: stopped, but neither signed nor finished by it.
            (false, "finish".into(), None, 0),
            (false, "sign".into(), None, 0),
            (true, "finish".into(), Some("finish".into()), 1),
            (true, "sign".into(), Some("sign".into()), 0),
        ]
    );
}
