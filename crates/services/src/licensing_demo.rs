//! The demo's 审管衔接 (issue 17 items 2 and 7), kept apart from the capability so that the
//! capability does not depend on the claim service that calls it back.

use lianjian_domain::account::Role;
use lianjian_domain::claim::{ClaimSource, ClaimStatus};
use lianjian_domain::licensing::{FeedbackKind, LicenceEvent, LicenceInput};
use lianjian_domain::visit::beijing_date;
use lianjian_store::{claims, entities};

use crate::licensing::{self, FeedbackInput};
use crate::{Result, ServiceError, Services};

/// The demo's hand-overs (issue 17 item 7), pushed by the county's approval bureau (an
/// administrator `wy.approval` is added for it): one claimed on time with a revocation proposal
/// fed back, one not claimed by its deadline — escalated to the office, which assigned it
/// late — and one still unclaimed past its deadline (red clock).
pub(crate) async fn seed_licensing(svc: &Services, region: &str, password: &str) -> Result<()> {
    let sys = crate::cli_actor();
    let c = svc.store.conn();
    let region = lianjian_domain::region::RegionCode::parse(region).expect("demo region");
    let bureau_dept =
        lianjian_store::departments::find_by_name(c, &region, "县行政审批和政务信息管理局")
            .await?
            .ok_or(ServiceError::NotFound)?;
    if crate::accounts::actor_of_user(svc, "wy.approval")
        .await
        .is_err()
    {
        crate::accounts::create_user(
            svc,
            &sys,
            crate::accounts::UserInput {
                username: "wy.approval".into(),
                display_name: "县行政审批局管理员".into(),
                role: Role::DepartmentAdmin.as_str().into(),
                department_id: bureau_dept.id.to_string(),
                password: password.into(),
                ..Default::default()
            },
        )
        .await?;
    }
    let bureau = crate::accounts::actor_of_user(svc, "wy.approval").await?;
    let office = crate::accounts::actor_of_user(svc, "wy.office").await?;
    let market = crate::accounts::actor_of_user(svc, "wy.market").await?;
    let ents = entities::scan(c, Some(&region), None, 3).await?;
    let now = svc.now();
    let input = |no: &str, usci: &str, name: &str, days_ago: i64| LicenceInput {
        licence_no: no.into(),
        event: LicenceEvent::Granted.as_str().into(),
        usci: usci.into(),
        item_code: "WY-2024-01".into(),
        licence_name: name.into(),
        decided_on: (beijing_date(now) - chrono::Duration::days(days_ago)).to_string(),
        bureau: bureau_dept.name.clone(),
    };
    // Pushed `days_ago` days ago: the claim clock starts that day.
    let push_at = |i: LicenceInput, days_ago: i64| {
        let (bureau, svc) = (&bureau, svc);
        async move {
            let mut r = licensing::resolve(svc, bureau, &i, "api").await?;
            let at = now - chrono::Duration::days(days_ago);
            r.handover.created_at = at;
            r.handover.updated_at = at;
            let tx = svc.store.begin().await?;
            let out = licensing::save_on(&tx, svc, bureau, &r).await?;
            tx.commit().await?;
            Ok::<_, ServiceError>(out)
        }
    };
    let Some([a, b, d]) = ents.get(..3).map(|e| [&e[0], &e[1], &e[2]]) else {
        return Ok(());
    };
    // Claimed on time, then a revocation proposal fed back to the bureau.
    let on_time = push_at(
        input("JY14111212026001", &a.usci, "食品生产许可（糕点类）", 2),
        2,
    )
    .await?;
    let claim = claims::of_source(c, ClaimSource::Licence, on_time.id)
        .await?
        .into_iter()
        .find(|x| x.status == ClaimStatus::Pending);
    if let Some(cl) = claim {
        crate::directory::decide_claim(svc, &market, cl.id, true, "").await?;
        licensing::feed_back(
            svc,
            &market,
            on_time.id,
            &FeedbackInput {
                kind: FeedbackKind::Revocation.as_str().into(),
                content: "双随机抽查发现该企业使用非食品原料生产糕点，已立案查处，建议依法吊销其食品生产许可证。".into(),
                visit_id: None,
            },
        )
        .await?;
    }
    // Not claimed in 5 working days: escalated by the server's pass, assigned by the office.
    let late = push_at(
        input("JY14111212026002", &b.usci, "食品生产许可（饮料类）", 14),
        14,
    )
    .await?;
    licensing::escalate_overdue(svc).await?;
    if let Some(esc) = claims::of_source(c, ClaimSource::Licence, late.id)
        .await?
        .into_iter()
        .find(|x| x.status == ClaimStatus::Escalated)
        && let Some(dept) = late.department_id
    {
        crate::directory::assign_claim(
            svc,
            &office,
            esc.id,
            dept,
            "逾期未认领，按事项主管部门指定",
        )
        .await?;
    }
    // Still waiting past its deadline: red on the queue (the next pass escalates it).
    push_at(
        input("JY14111212026003", &d.usci, "食品生产许可（肉制品）", 9),
        9,
    )
    .await?;
    Ok(())
}
