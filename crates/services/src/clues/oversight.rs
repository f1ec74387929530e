//! The office's oversight of clues (issue 14 item 3, 国办发〔2020〕53号: 督办、回访、评价):
//! 督办 and 催办 notices, 转办 to another region's office, 并单 of duplicates (answered with
//! the clue they joined), and 回访 with the complainant's verdict — satisfied closes the clue,
//! dissatisfied sends it back to the department (重办) with a new finishing clock.

use lianjian_domain::Invalid;
use lianjian_domain::case::reason;
use lianjian_domain::clue::{ClueAction, ClueStatus, FINISH_CLOCK, Satisfaction};
use lianjian_domain::region::RegionCode;
use lianjian_domain::scope::Actor;
use lianjian_store::clues::{self as repo};
use serde::Serialize;
use uuid::Uuid;

use super::{
    ClueDetail, KIND, apply, apply_on, ensure_office, refused_by_rule, routing, today, visible,
};
use crate::cases;
use crate::error::Checker;
use crate::{Result, ServiceError, Services};

/// 督办: the office puts an open clue under supervision, with its instructions (a reason);
/// the clue is flagged on every queue until finished.
pub async fn supervise(svc: &Services, a: &Actor, id: Uuid, why: &str) -> Result<ClueDetail> {
    notice(svc, a, id, ClueAction::Supervise, why).await
}

/// 催办: the office reminds the department holding a clue, with a note.
pub async fn urge(svc: &Services, a: &Actor, id: Uuid, why: &str) -> Result<ClueDetail> {
    notice(svc, a, id, ClueAction::Urge, why).await
}

async fn notice(
    svc: &Services,
    a: &Actor,
    id: Uuid,
    action: ClueAction,
    why: &str,
) -> Result<ClueDetail> {
    let c = svc.store.conn();
    let x = visible(c, a, id).await?;
    ensure_office(a, &x)?;
    let why = reason(why).map_err(|e| ServiceError::field("reason", e))?;
    let step = action.step(x.status).map_err(refused_by_rule)?.because(why);
    let mut after = x.clone();
    if action == ClueAction::Supervise {
        after.supervised = true;
    }
    apply(
        svc,
        a,
        &x,
        after,
        step,
        serde_json::json!({ "department_id": x.department_id }),
        |tx| async move { Ok(tx) },
    )
    .await
}

/// Where a transferred clue went (the office no longer sees it).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Transferred {
    pub id: Uuid,
    pub code: String,
    pub region_code: String,
    pub region_name: String,
}

/// 转办: the office sends a clue that belongs to another region to that region's office; it
/// arrives there registered (待派单), its clocks stopped, and leaves this office's view.
pub async fn transfer(
    svc: &Services,
    a: &Actor,
    id: Uuid,
    region: &str,
    why: &str,
) -> Result<Transferred> {
    let c = svc.store.conn();
    let x = visible(c, a, id).await?;
    ensure_office(a, &x)?;
    let mut ch = Checker::default();
    let why = ch.check("reason", reason(why));
    let target = match RegionCode::parse(region) {
        Err(e) => {
            ch.push("region_code", e);
            None
        }
        Ok(r) if r == x.region_code => {
            ch.push(
                "region_code",
                Invalid::new(
                    "same_region",
                    "线索已在该行政区划，请选择其他地区",
                    "the clue is already in that region",
                ),
            );
            None
        }
        Ok(r) => match lianjian_store::regions::get(c, &r).await? {
            Some(reg) => Some((r, reg.name)),
            None => {
                ch.push(
                    "region_code",
                    Invalid::new(
                        "unknown_region",
                        format!("行政区划代码“{r}”不存在"),
                        format!("no region {r}"),
                    ),
                );
                None
            }
        },
    };
    ch.finish()?;
    let (region, region_name) = target.expect("checked");
    let step = ClueAction::Transfer
        .step(x.status)
        .map_err(refused_by_rule)?
        .because(why.expect("checked"));
    let mut after = x.clone();
    after.status = step.to;
    after.region_code = region.clone();
    after.department_id = None;
    let today = today(svc);
    let tx = svc.store.begin().await?;
    cases::stop_clocks(&tx, KIND, id, &[], today, ClueAction::Transfer.as_str()).await?;
    repo::set_cooperating(&tx, id, &[]).await?;
    apply_on(
        &tx,
        a,
        &x,
        &after,
        &step,
        serde_json::json!({
            "from_region": x.region_code.to_string(),
            "to_region": region.to_string(),
            "to_region_name": region_name,
        }),
    )
    .await?;
    tx.commit().await?;
    Ok(Transferred {
        id,
        code: x.code,
        region_code: region.to_string(),
        region_name,
    })
}

/// 并单: a duplicate joins another open clue (the one that stays); its clocks stop and it is
/// answered with that clue's result when it finishes — every complainant gets an answer.
pub async fn merge(
    svc: &Services,
    a: &Actor,
    id: Uuid,
    into: &str,
    why: &str,
) -> Result<ClueDetail> {
    let c = svc.store.conn();
    let x = visible(c, a, id).await?;
    ensure_office(a, &x)?;
    let unknown = || {
        ServiceError::field(
            "into",
            Invalid::new(
                "unknown_clue",
                format!("没有编号为“{}”的线索（或不在您的范围内）", into.trim()),
                format!("no clue '{}' in your scope", into.trim()),
            ),
        )
    };
    // By id or by code, as people type it.
    let main = match into.trim().parse::<Uuid>() {
        Ok(mid) => visible(c, a, mid).await.map_err(|_| unknown())?,
        Err(_) => {
            let found = repo::by_code(c, into.trim()).await?.ok_or_else(unknown)?;
            visible(c, a, found.id).await.map_err(|_| unknown())?
        }
    };
    if main.id == x.id {
        return Err(ServiceError::field(
            "into",
            Invalid::new("same_clue", "不能并入线索自身", "a clue cannot join itself"),
        ));
    }
    if !main.status.is_open() {
        return Err(ServiceError::field(
            "into",
            Invalid::new(
                "not_open",
                format!(
                    "线索 {} 当前为“{}”，不能再并入",
                    main.code,
                    main.status.label_zh()
                ),
                format!("clue {} is {}", main.code, main.status.as_str()),
            ),
        ));
    }
    if let (Some(e1), Some(e2)) = (x.entity_id, main.entity_id)
        && e1 != e2
    {
        return Err(ServiceError::field(
            "into",
            Invalid::new(
                "other_entity",
                "两条线索涉及的主体不同，不能并单",
                "the clues name different entities",
            ),
        ));
    }
    let mut step = ClueAction::Merge.step(x.status).map_err(refused_by_rule)?;
    if !why.trim().is_empty() {
        step = step.because(reason(why).map_err(|e| ServiceError::field("reason", e))?);
    }
    let mut after = x.clone();
    after.status = step.to;
    after.merged_into = Some(main.id);
    let today = today(svc);
    apply(
        svc,
        a,
        &x,
        after,
        step,
        serde_json::json!({ "into": main.id, "into_code": main.code }),
        |tx| async move {
            cases::stop_clocks(&tx, KIND, id, &[], today, ClueAction::Merge.as_str()).await?;
            Ok(tx)
        },
    )
    .await
}

/// 回访: the office (or the 12345 platform for its orders) records the complainant's verdict
/// on a finished clue. Satisfied or basically satisfied closes it; dissatisfied — with the
/// complainant's reason — sends it back to the department (重办) with a new finishing clock.
pub async fn revisit(
    svc: &Services,
    a: &Actor,
    id: Uuid,
    satisfaction: &str,
    note: &str,
) -> Result<ClueDetail> {
    let c = svc.store.conn();
    let x = visible(c, a, id).await?;
    ensure_office(a, &x)?;
    let mut ch = Checker::default();
    let verdict = ch.check("satisfaction", Satisfaction::parse(satisfaction));
    let note = match (verdict, note.trim().is_empty()) {
        (Some(Satisfaction::Dissatisfied), true) => {
            ch.push(
                "reason",
                Invalid::new(
                    "required",
                    "不满意时请记录群众不满意的原因",
                    "give the complainant's reason for dissatisfaction",
                ),
            );
            None
        }
        (_, true) => None,
        (_, false) => ch.check("reason", reason(note)),
    };
    ch.finish()?;
    let verdict = verdict.expect("checked");
    let mut step = ClueAction::revisit(x.status, verdict).map_err(refused_by_rule)?;
    if let Some(n) = note {
        step = step.because(n);
    }
    let mut after = x.clone();
    after.status = step.to;
    after.satisfaction = Some(verdict);
    let reopened = step.to == ClueStatus::Handling;
    if reopened {
        after.result = None;
        after.finished_at = None;
    }
    let cal = crate::calendar::current(svc).await?;
    let finish_days = routing::deadlines_for(c, &x).await?.finish_days;
    let today = today(svc);
    let spec = lianjian_domain::case::ClockSpec {
        working_days: finish_days,
        ..FINISH_CLOCK
    };
    let detail = if reopened {
        serde_json::json!({
            "satisfaction": verdict.as_str(),
            "department_id": x.department_id,
            "finish_due": cal.add_working_days(today, finish_days),
        })
    } else {
        serde_json::json!({ "satisfaction": verdict.as_str() })
    };
    let held = super::holder(&x, x.department_id);
    // One evaluation for the department that handled it, in the office's daily figures, on
    // the day its event is recorded (the events' real time, as the rates read them).
    let evaluated_on = lianjian_domain::visit::beijing_date(chrono::Utc::now());
    let mut figures = std::collections::BTreeMap::new();
    if let Some(d) = x.department_id {
        use lianjian_store::case_figures::{Cell, Figure, county_of};
        let cell = |figure| Cell {
            figure,
            day: evaluated_on,
            county: county_of(x.region_code.as_str()),
            department_id: d,
        };
        figures.insert(cell(Figure::Evaluated), 1);
        if !reopened {
            figures.insert(cell(Figure::Satisfied), 1);
        }
    }
    let actor = a.clone();
    let at = lianjian_domain::audit::audit_time(svc.now());
    let reopened_clue = after.clone();
    apply(svc, a, &x, after, step, detail, |tx| async move {
        if reopened {
            cases::start_clocks(&tx, &cal, KIND, id, &held, &[spec], today).await?;
            // 重办: a verified complaint's credit record is withdrawn until it is finished again.
            crate::credit::settle_clue(&tx, &actor, &reopened_clue, None, today, at).await?;
        }
        lianjian_store::case_figures::add_all(&tx, KIND, &figures).await?;
        Ok(tx)
    })
    .await
}
