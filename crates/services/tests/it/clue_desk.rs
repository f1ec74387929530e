//! The clue desk (issue 14 item 8) on both backends: the office's rates per department over a
//! small crafted season with known figures (a clue signed late, one finished only thanks to an
//! approved extension, one returned, one overdue now, one of another line), scoped like every
//! clue list; the queue filters and sorts; batch steps through the single steps.

use chrono::Duration;
use lianjian_domain::clue::ClueKind;
use lianjian_domain::region::RegionCode;
use lianjian_domain::scope::Actor;
use lianjian_domain::visit::beijing_date;
use lianjian_services::clues::batch::{self, ClueBatch};
use lianjian_services::clues::reports::{self, RatesQuery};
use lianjian_services::clues::{self, ClueFilter, ClueInput, ClueSort, Queue};
use lianjian_services::{PageRequest, ServiceError, Services, accounts, calendar, cli_actor};
use lianjian_store::on_both_backends;
use lianjian_store::testing::TestDb;
use uuid::Uuid;

use crate::DEMO;

struct Env {
    svc: Services,
    _db: TestDb,
}

async fn setup(db: TestDb) -> Env {
    Env {
        svc: Services::new(db.store.clone(), Default::default())
            .with_clock(lianjian_services::clock::Clock::adjustable()),
        _db: db,
    }
}

async fn actor(svc: &Services, username: &str) -> Actor {
    let admin = cli_actor();
    let u = accounts::find_user(svc, &admin, username).await.unwrap();
    let (_, token) = accounts::create_token(svc, &admin, u.id, "test", None)
        .await
        .unwrap();
    accounts::authenticate_token(svc, &token, None)
        .await
        .unwrap()
}

async fn department(svc: &Services, region: &str, name: &str) -> Uuid {
    let code = RegionCode::parse(region).unwrap();
    lianjian_store::departments::find_by_name(svc.store.conn(), &code, name)
        .await
        .unwrap()
        .unwrap_or_else(|| panic!("{name} in {region}"))
        .id
}

/// 莲花镇 of 舞阳县: no demo clue lies there, so the figures are this test's alone.
const TOWN: &str = "411121103";

fn input(n: u32, kind: &str) -> ClueInput {
    ClueInput {
        source: "hotline_12345".into(),
        kind: kind.into(),
        urgency: Some("normal".into()),
        content: format!("莲花镇第 {n} 号线索：农贸市场销售不合格食品"),
        address: format!("舞阳县莲花镇农贸市场 {n} 号摊位"),
        region_code: TOWN.into(),
        complainant_name: Some("赵六".into()),
        complainant_phone: Some("13700137000".into()),
        ..Default::default()
    }
}

async fn reg(svc: &Services, office: &Actor, n: u32) -> Uuid {
    clues::register(svc, office, &input(n, "report"))
        .await
        .unwrap()
        .clue
        .id
}

on_both_backends!(
    template = DEMO, setup = setup;
    rates_count_a_crafted_season_per_department_within_scope,
    queue_filters_and_sorts_narrow_the_list,
    batch_steps_go_through_the_single_steps_and_name_refusals,
);

async fn rates_count_a_crafted_season_per_department_within_scope(env: Env) {
    let svc = &env.svc;
    let office = actor(svc, "wy.office").await;
    let market = actor(svc, "wy.market").await;
    let health = actor(svc, "wy.health").await;
    let x = department(svc, "411121", "县市场监管局").await;
    let y = department(svc, "411121", "县卫生健康委").await;
    let cal = calendar::current(svc).await.unwrap();
    let t0 = beijing_date(svc.now());
    // A: signed and finished on the day of dispatch.
    let a = reg(svc, &office, 1).await;
    clues::dispatch(svc, &office, a, x).await.unwrap();
    clues::sign(svc, &market, a).await.unwrap();
    clues::finish(svc, &market, a, "已现场核查，责令整改", "属实")
        .await
        .unwrap();
    // B: dispatched today, signed after the signing deadline, never finished.
    let b = reg(svc, &office, 2).await;
    clues::dispatch(svc, &office, b, x).await.unwrap();
    // C: signed in time, 3 more working days approved, finished after the first deadline.
    let c = reg(svc, &office, 3).await;
    clues::dispatch(svc, &office, c, x).await.unwrap();
    clues::sign(svc, &market, c).await.unwrap();
    clues::request_extension(svc, &market, c, 3, "需送检，检验周期较长")
        .await
        .unwrap();
    clues::decide_extension(svc, &office, c, true, "")
        .await
        .unwrap();
    // D: another line's clue, signed in time.
    let d = reg(svc, &office, 4).await;
    clues::dispatch(svc, &office, d, y).await.unwrap();
    clues::sign(svc, &health, d).await.unwrap();
    // E: returned by the market department.
    let e = reg(svc, &office, 5).await;
    clues::dispatch(svc, &office, e, x).await.unwrap();
    clues::return_clue(svc, &market, e, "涉事单位为诊所，属卫生健康部门职责")
        .await
        .unwrap();
    // The day after the signing deadline: B signed late.
    let sign_due = cal.add_working_days(t0, 1);
    svc.clock
        .advance(Duration::days((sign_due - t0).num_days() + 1));
    clues::sign(svc, &market, b).await.unwrap();
    // The day after the first finishing deadline: C finished within its extended deadline, B
    // now overdue.
    let finish_due = cal.add_working_days(t0, 5);
    let now = beijing_date(svc.now());
    svc.clock
        .advance(Duration::days((finish_due - now).num_days() + 1));
    clues::finish(svc, &market, c, "抽样检验合格，已告知诉求人", "不属实")
        .await
        .unwrap();
    let today = beijing_date(svc.now());
    assert!(today > finish_due && today <= cal.add_working_days(finish_due, 3));

    let q = RatesQuery {
        from: Some(t0),
        to: Some(today),
        region: Some(RegionCode::parse(TOWN).unwrap()),
    };
    let r = reports::rates(svc, &office, &q).await.unwrap();
    assert_eq!(r.departments.len(), 2, "{r:?}");
    let of = |id: Uuid| {
        r.departments
            .iter()
            .find(|d| d.department_id == Some(id))
            .unwrap_or_else(|| panic!("{id} in {r:?}"))
    };
    let m = of(x);
    assert_eq!(
        (m.dispatched, m.signed, m.signed_in_time),
        (4, 3, 2),
        "A, B, C, E dispatched; A, B, C signed; B late: {m:?}"
    );
    assert_eq!(m.response_rate, Some(0.5));
    assert_eq!(
        (m.finished, m.finished_in_time, m.finished_extended),
        (2, 2, 1),
        "{m:?}"
    );
    assert_eq!(m.on_time_rate, Some(1.0));
    assert_eq!(m.overdue_now, 1, "B: {m:?}");
    assert_eq!(m.returned, 1, "E: {m:?}");
    assert_eq!(m.satisfaction_rate, None);
    let h = of(y);
    assert_eq!((h.dispatched, h.signed_in_time, h.finished), (1, 1, 0));
    assert_eq!(h.response_rate, Some(1.0));
    assert_eq!(h.on_time_rate, None);
    assert_eq!((r.total.dispatched, r.total.signed_in_time), (5, 3));
    // The market department's administrator sees its own line only.
    let r = reports::rates(svc, &market, &q).await.unwrap();
    assert_eq!(r.departments.len(), 1, "{r:?}");
    assert_eq!(r.departments[0].department_id, Some(x));
    assert_eq!(r.total.dispatched, 4);
    // A period before the season counts nothing dispatched or finished.
    let before = RatesQuery {
        from: Some(t0 - Duration::days(30)),
        to: Some(t0 - Duration::days(1)),
        region: q.region.clone(),
    };
    let r = reports::rates(svc, &office, &before).await.unwrap();
    assert_eq!((r.total.dispatched, r.total.finished), (0, 0), "{r:?}");
    // A reversed period is named.
    let bad = RatesQuery {
        from: Some(today),
        to: Some(t0 - Duration::days(1)),
        region: None,
    };
    match reports::rates(svc, &office, &bad).await {
        Err(ServiceError::Invalid(f)) => assert_eq!(f[0].field, "from"),
        other => panic!("{other:?}"),
    }
    // The xlsx of the rates opens with the departments and the total.
    let bytes = reports::export_rates(svc, &office, &q).await.unwrap();
    assert!(bytes.starts_with(b"PK"));

    // County-wide (the office's default view) the response, on-time and satisfaction figures
    // come from the daily figures kept with every clock write and 回访; they agree with
    // counting the clocks and events themselves, over the season and over a year with the
    // demo's clues (re-dispatched, returned, extended, revisited) included.
    clues::oversight::revisit(svc, &office, a, "basically_satisfied", "")
        .await
        .unwrap();
    use lianjian_store::{case_figures, clue_reports};
    let conn = svc.store.conn();
    let scope = lianjian_domain::scope::Scope::of(&office);
    assert!(case_figures::answers(&scope, None));
    assert!(!case_figures::answers(&scope, q.region.as_ref()));
    // A line-scoped reader reads its line's departments' figures: the market department's
    // row is the one counted from its clocks.
    let mscope = lianjian_domain::scope::Scope::of(&market);
    assert!(case_figures::answers(&mscope, None));
    let row = |v: Vec<clue_reports::DepartmentCounts>| v.into_iter().find(|d| d.department_id == x);
    assert_eq!(
        row(
            clue_reports::department_counts(conn, &mscope, None, t0, today, today)
                .await
                .unwrap()
        ),
        row(
            clue_reports::department_counts_from_clocks(conn, &mscope, None, t0, today, today)
                .await
                .unwrap()
        )
    );
    for from in [t0, today - Duration::days(365)] {
        let via = clue_reports::department_counts(conn, &scope, None, from, today, today)
            .await
            .unwrap();
        let direct =
            clue_reports::department_counts_from_clocks(conn, &scope, None, from, today, today)
                .await
                .unwrap();
        assert_eq!(via, direct, "from {from}");
        let m = via.iter().find(|d| d.department_id == x).unwrap();
        assert!(m.dispatched >= 4 && m.finished >= 2, "{m:?}");
        let via = clue_reports::satisfaction_counts(conn, &scope, None, from, today)
            .await
            .unwrap();
        let direct = clue_reports::satisfaction_counts_from_events(conn, &scope, None, from, today)
            .await
            .unwrap();
        assert_eq!(via, direct, "from {from}");
        assert!(via[&x].evaluated >= 1 && via[&x].satisfied >= 1, "{via:?}");
    }
}

async fn queue_filters_and_sorts_narrow_the_list(env: Env) {
    let svc = &env.svc;
    let office = actor(svc, "wy.office").await;
    let x = department(svc, "411121", "县市场监管局").await;
    let a = clues::register(svc, &office, &input(11, "complaint"))
        .await
        .unwrap()
        .clue;
    let b = clues::register(svc, &office, &input(12, "inquiry"))
        .await
        .unwrap()
        .clue;
    clues::dispatch(svc, &office, b.id, x).await.unwrap();
    let page = PageRequest::new(Some(1), Some(50));
    let town = Some(RegionCode::parse(TOWN).unwrap());
    let ids = |p: lianjian_services::Page<clues::ClueView>| {
        p.items.into_iter().map(|v| v.id).collect::<Vec<_>>()
    };
    let f = ClueFilter {
        region: town.clone(),
        kind: Some(ClueKind::Inquiry),
        ..Default::default()
    };
    assert_eq!(
        ids(clues::list(svc, &office, Queue::All, &f, page)
            .await
            .unwrap()),
        [b.id]
    );
    let f = ClueFilter {
        region: town.clone(),
        department_id: Some(x),
        ..Default::default()
    };
    assert_eq!(
        ids(clues::list(svc, &office, Queue::All, &f, page)
            .await
            .unwrap()),
        [b.id]
    );
    // Oldest first, and by deadline: the dispatched clue (a running clock) before the one
    // without any.
    let f = ClueFilter {
        region: town.clone(),
        sort: ClueSort::ReceivedAsc,
        ..Default::default()
    };
    assert_eq!(
        ids(clues::list(svc, &office, Queue::All, &f, page)
            .await
            .unwrap()),
        [a.id, b.id]
    );
    let f = ClueFilter {
        region: town.clone(),
        sort: ClueSort::DueAsc,
        ..Default::default()
    };
    assert_eq!(
        ids(clues::list(svc, &office, Queue::All, &f, page)
            .await
            .unwrap()),
        [b.id, a.id]
    );
    // Each tab's count (one pass over the scope) is its list's total.
    for (q, n) in clues::queue_counts(svc, &office).await.unwrap() {
        let p = clues::list(svc, &office, q, &ClueFilter::default(), page)
            .await
            .unwrap();
        assert_eq!(n, p.total, "{q:?}");
    }
    // The running-clock queues page their matches (selected once, counted, sorted by key):
    // pages follow one another, and a page past the end is empty with the same total.
    for (q, sort) in [
        (Queue::Overdue, ClueSort::ReceivedDesc),
        (Queue::All, ClueSort::DueAsc),
    ] {
        let f = ClueFilter {
            sort,
            ..Default::default()
        };
        let all = clues::list(svc, &office, q, &f, page).await.unwrap();
        assert!(all.total >= 1, "{q:?}");
        let mut one_by_one = Vec::new();
        for n in 1..=all.total {
            let p = clues::list(svc, &office, q, &f, PageRequest::new(Some(n), Some(1)))
                .await
                .unwrap();
            assert_eq!(p.total, all.total);
            one_by_one.extend(ids(p));
        }
        assert_eq!(one_by_one, ids(all.clone()), "{sort:?}");
        let past = clues::list(svc, &office, q, &f, PageRequest::new(Some(99), Some(20)))
            .await
            .unwrap();
        assert!(past.items.is_empty());
        assert_eq!(past.total, all.total);
    }
    let market = actor(svc, "wy.market").await;
    for (q, n) in clues::queue_counts(svc, &market).await.unwrap() {
        let p = clues::list(svc, &market, q, &ClueFilter::default(), page)
            .await
            .unwrap();
        assert_eq!(n, p.total, "{q:?}");
    }
    // Text finds the code.
    let f = ClueFilter {
        text: Some(a.code.clone()),
        ..Default::default()
    };
    assert_eq!(
        ids(clues::list(svc, &office, Queue::All, &f, page)
            .await
            .unwrap()),
        [a.id]
    );
}

async fn batch_steps_go_through_the_single_steps_and_name_refusals(env: Env) {
    let svc = &env.svc;
    let office = actor(svc, "wy.office").await;
    let market = actor(svc, "wy.market").await;
    let leader = actor(svc, "wy.leader").await;
    let x = department(svc, "411121", "县市场监管局").await;
    let a = reg(svc, &office, 21).await;
    let b = reg(svc, &office, 22).await;
    let c = reg(svc, &office, 23).await;
    // Office: dispatch all three to the market department.
    let rows = batch::run(
        svc,
        &office,
        &[a, b, c, a],
        &ClueBatch::Send {
            department_id: x,
            reason: String::new(),
        },
    )
    .await
    .unwrap();
    assert_eq!(rows.len(), 3, "duplicates once");
    assert!(rows.iter().all(|r| r.error.is_none()), "{rows:?}");
    // The department signs b; then signs a, b, c in one batch: b refused by its state.
    clues::sign(svc, &market, b).await.unwrap();
    let rows = batch::run(svc, &market, &[a, b, c], &ClueBatch::Sign)
        .await
        .unwrap();
    assert!(
        rows[0].error.is_none() && rows[2].error.is_none(),
        "{rows:?}"
    );
    assert!(
        matches!(rows[1].error, Some(ServiceError::Conflict { .. })),
        "{rows:?}"
    );
    // Read-only roles do no batch; an empty batch is named.
    assert!(matches!(
        batch::run(svc, &leader, &[a], &ClueBatch::Sign).await,
        Err(ServiceError::Forbidden)
    ));
    match batch::run(svc, &market, &[], &ClueBatch::Sign).await {
        Err(ServiceError::Invalid(f)) => assert_eq!(f[0].field, "ids"),
        other => panic!("{other:?}"),
    }
}
