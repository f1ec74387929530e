//! `draws::insert_visits` stores exactly the visits, checks and teams it is given, whichever form
//! it takes (PostgreSQL: one `UNNEST` statement per table when no varying column holds NULLs;
//! multi-row `VALUES` otherwise, and on SQLite): on SQLite, and on PostgreSQL when
//! `LIANJIAN_TEST_POSTGRES_URL` is set, each on a fresh database.

use chrono::{NaiveDate, TimeZone, Utc};
use lianjian_domain::region::RegionCode;
use lianjian_domain::visit::DrawSelection;
use lianjian_store::draws::{self, NewVisit, Visit, VisitCheck, VisitInspector};
use lianjian_store::testing::TestDb;
use uuid::Uuid;

use lianjian_store::on_both_backends;

on_both_backends!(batched_visits_read_back_as_given);

/// `n` visits of one draw; with `notes`, every third carries a trigger note (a varying column
/// with NULLs among its values).
fn visits(draw: Uuid, n: usize, notes: bool) -> Vec<NewVisit> {
    let at = Utc.with_ymd_and_hms(2027, 1, 2, 3, 4, 5).unwrap()
        + chrono::Duration::microseconds(123_456);
    let (plan, item, lead, coop) = (
        Uuid::now_v7(),
        Uuid::now_v7(),
        Uuid::now_v7(),
        Uuid::now_v7(),
    );
    let regions = ["370102", "370103", "370211", "371002"];
    (0..n)
        .map(|k| NewVisit {
            visit: Visit {
                id: Uuid::now_v7(),
                code: format!("CQ-{}-{:04}", draw.simple(), k + 1),
                draw_id: Some(draw),
                entity_id: Uuid::now_v7(),
                region_code: RegionCode::parse(regions[k % regions.len()]).unwrap(),
                lead_department_id: lead,
                trigger: lianjian_domain::visit::VisitTrigger::Random,
                trigger_note: (notes && k % 3 == 0).then(|| format!("说明 {k} O'Neil")),
                status: lianjian_domain::visit::VisitStatus::Scheduled,
                period_start: NaiveDate::from_ymd_opt(2027, 1, 1).unwrap(),
                period_end: NaiveDate::from_ymd_opt(2027, 12, 31).unwrap(),
                visited_on: None,
                created_at: at,
                updated_at: at,
            },
            checks: vec![VisitCheck {
                plan_id: plan,
                item_id: item,
                department_id: lead,
                selection: Some(if k % 10 == 0 {
                    DrawSelection::Control
                } else {
                    DrawSelection::Weighted
                }),
            }],
            inspectors: vec![
                VisitInspector {
                    inspector_id: Uuid::now_v7(),
                    department_id: lead,
                },
                VisitInspector {
                    inspector_id: Uuid::now_v7(),
                    department_id: coop,
                },
            ],
        })
        .collect()
}

async fn batched_visits_read_back_as_given(db: &TestDb) {
    let c = db.store.conn();
    for (n, notes) in [(1, false), (2, false), (250, false), (250, true)] {
        let draw = Uuid::now_v7();
        let given = visits(draw, n, notes);
        draws::insert_visits(c, &given).await.unwrap();
        let stored = draws::visits_of_draw(c, draw).await.unwrap();
        let expected: Vec<Visit> = given.iter().map(|v| v.visit.clone()).collect();
        assert_eq!(stored, expected, "{n} visits, notes {notes}");
        let ids: Vec<Uuid> = expected.iter().map(|v| v.id).collect();
        let checks = draws::checks_of_visits(c, &ids).await.unwrap();
        let teams = draws::inspectors_of_visits(c, &ids).await.unwrap();
        for v in &given {
            assert_eq!(checks[&v.visit.id], v.checks, "checks of {}", v.visit.code);
            assert_eq!(teams[&v.visit.id], v.inspectors, "team of {}", v.visit.code);
        }
    }
}
