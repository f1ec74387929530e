//! The daily figures (`case_figures`) on both backends: kept in step with every clock write
//! (a re-dispatch moves a count, a late signature counts as signed but not in time, an
//! extension marks the finish), equal to counting the clocks afresh, and filled by migration
//! `m20261207_000030_case_figures` from clocks and 回访 written before it.

use std::collections::BTreeMap;

use chrono::{NaiveDate, Utc};
use lianjian_domain::case::{CaseKind, Clock};
use lianjian_domain::scope::Scope;
use lianjian_store::case_figures::{self, Figure};
use lianjian_store::cases::{self, ClockHolder};
use lianjian_store::migration::Migrator;
use lianjian_store::on_both_backends;
use lianjian_store::testing::TestDb;
use sea_orm::ConnectionTrait;
use sea_orm_migration::MigratorTrait;
use uuid::Uuid;

use crate::exec;

on_both_backends!(figures_follow_the_clocks_and_are_filled_by_the_migration);

fn day(d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, d).unwrap()
}

fn clock(name: &str, started: u32, due: u32) -> Clock {
    Clock {
        name: name.into(),
        started_on: day(started),
        working_days: 1,
        due: day(due),
        warn_within: 0,
        stopped_on: None,
        due_at: None,
        stopped_at: None,
    }
}

/// What the figures hold for the whole county from `from` to `to`, per department.
async fn held(c: &impl ConnectionTrait) -> BTreeMap<Uuid, BTreeMap<Figure, i64>> {
    let mut out = case_figures::sums(
        c,
        CaseKind::Clue,
        &Figure::ALL,
        &Scope::system(),
        None,
        (day(1), day(30)),
    )
    .await
    .unwrap();
    for f in out.values_mut() {
        f.retain(|_, n| *n != 0);
    }
    out.retain(|_, f| !f.is_empty());
    out
}

/// The same counted afresh from every clock.
async fn recounted(
    c: &impl ConnectionTrait,
    cases: &[Uuid],
) -> BTreeMap<Uuid, BTreeMap<Figure, i64>> {
    let mut out: BTreeMap<Uuid, BTreeMap<Figure, i64>> = BTreeMap::new();
    for id in cases {
        let clocks = case_figures::clocks(c, CaseKind::Clue, *id).await.unwrap();
        for cell in case_figures::of_clocks(&clocks) {
            *out.entry(cell.department_id)
                .or_default()
                .entry(cell.figure)
                .or_default() += 1;
        }
    }
    out
}

async fn figures_follow_the_clocks_and_are_filled_by_the_migration(db: &TestDb) {
    let c = db.store.conn();
    let k = CaseKind::Clue;
    let (x, y) = (Uuid::now_v7(), Uuid::now_v7());
    let at = |d| ClockHolder {
        region_code: "411121001".into(),
        department_id: Some(d),
    };
    let (a, b, e) = (Uuid::now_v7(), Uuid::now_v7(), Uuid::now_v7());
    // A: sent to X on the 2nd, signed in time, extended, finished on the 12th.
    cases::put_clock(c, k, a, &clock("sign", 2, 3), &at(x))
        .await
        .unwrap();
    cases::put_clock(c, k, a, &clock("finish", 2, 9), &at(x))
        .await
        .unwrap();
    cases::stop_clocks(c, k, a, &["sign"], day(3), "sign")
        .await
        .unwrap();
    cases::set_due(c, k, a, &clock("finish", 2, 13))
        .await
        .unwrap();
    cases::stop_clocks(c, k, a, &["finish"], day(12), "finish")
        .await
        .unwrap();
    // B: sent to X, then re-sent to Y before signing (改派: counted once, for Y), signed late.
    cases::put_clock(c, k, b, &clock("sign", 4, 5), &at(x))
        .await
        .unwrap();
    cases::put_clock(c, k, b, &clock("sign", 5, 6), &at(y))
        .await
        .unwrap();
    cases::stop_clocks(c, k, b, &[], day(9), "sign")
        .await
        .unwrap();
    // E: sent to X and returned (sent, not signed); its finishing clock stopped by the return.
    cases::put_clock(c, k, e, &clock("sign", 6, 7), &at(x))
        .await
        .unwrap();
    cases::put_clock(c, k, e, &clock("finish", 6, 13), &at(x))
        .await
        .unwrap();
    cases::stop_clocks(c, k, e, &[], day(7), "return")
        .await
        .unwrap();

    let now = held(c).await;
    assert_eq!(now, recounted(c, &[a, b, e]).await);
    use Figure as F;
    assert_eq!(
        now[&x],
        BTreeMap::from([
            (F::Dispatched, 2),
            (F::Signed, 1),
            (F::SignedInTime, 1),
            (F::Finished, 1),
            (F::FinishedInTime, 1),
            (F::FinishedExtended, 1),
        ])
    );
    assert_eq!(
        now[&y],
        BTreeMap::from([(F::Dispatched, 1), (F::Signed, 1)])
    );
    // The 30-day window ending on the 11th sees A's dispatch but not its finish (the 12th).
    let window = case_figures::sums(
        c,
        k,
        &Figure::ALL,
        &Scope::system(),
        None,
        (day(1), day(11)),
    )
    .await
    .unwrap();
    assert_eq!(window[&x].get(&F::Finished).copied().unwrap_or(0), 0);

    // The migration fills the figures from what was written before it, 回访 included: A was
    // revisited (satisfied) for X.
    crate::down_to_before(c, "m20261207_000030_case_figures").await;
    exec(
        c,
        "INSERT INTO clues (id, code, source, kind, urgency, content, address, region_code, \
         anonymous, received_at, status, department_id, created_by, created_at, updated_at) \
         VALUES ($1, 'XS-F-1', 'portal', 'complaint', 'normal', '内容内容内容', '地址', '411121001', \
         $2, $3, 'closed', $4, 't', $3, $3)",
        vec![a.into(), false.into(), Utc::now().into(), x.into()],
    )
    .await;
    let revisited = NaiveDate::from_ymd_opt(2026, 11, 14)
        .unwrap()
        .and_hms_opt(17, 30, 0)
        .unwrap()
        .and_utc();
    exec(
        c,
        "INSERT INTO case_events (id, case_kind, case_id, action, from_status, to_status, \
         actor_name, actor_display, region_code, at) VALUES ($1, 'clue', $2, 'revisit', \
         'finished', 'closed', 'o', 'o', '411121001', $3)",
        vec![Uuid::now_v7().into(), a.into(), revisited.into()],
    )
    .await;
    Migrator::up(c, None).await.unwrap();
    let mut want = now.clone();
    // 17:30 UTC is the next day in Beijing.
    want.get_mut(&x).unwrap().insert(F::Evaluated, 1);
    want.get_mut(&x).unwrap().insert(F::Satisfied, 1);
    assert_eq!(held(c).await, want);
    let on = case_figures::sums(
        c,
        k,
        &Figure::ALL,
        &Scope::system(),
        None,
        (day(15), day(15)),
    )
    .await
    .unwrap();
    assert_eq!(on[&x][&F::Evaluated], 1);
}
