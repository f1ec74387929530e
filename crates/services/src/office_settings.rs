//! Settings of a region's coordination office (联席办). One for now: the publication delay of
//! draws (issue 11 item 3, embargo: a visit's entity becomes public when its result is
//! published or when the period ends, "an office setting may make it later, never earlier than
//! the visit"). The setting of a region applies to draws committed in its subtree, the nearest
//! setting winning; a draw records the delay in force when it is committed, so a later change
//! moves no date that was already announced. Design: `docs/double-random.md` (Publication).

use lianjian_domain::Invalid;
use lianjian_domain::account::Role;
use lianjian_domain::region::RegionCode;
use lianjian_domain::scope::Actor;
use lianjian_store::Conn;
use lianjian_store::office_settings::{self as repo, OfficeSetting};
use serde::Serialize;

use crate::trail::{Record, record};
use crate::{Result, ServiceError, Services};

/// The longest an office may delay publication after the period's end; also the longest a
/// single draw may ask for.
pub const MAX_DELAY_DAYS: i32 = 366;

/// The delay a draw committed in a region gets by default, and whose setting it is.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct DelayInForce {
    pub days: i32,
    /// The region whose office set it (the region itself or an ancestor); none: the built-in 0.
    pub set_by_region: Option<RegionCode>,
}

pub async fn delay_in_force(c: &impl Conn, region: &RegionCode) -> Result<DelayInForce> {
    Ok(match repo::nearest(c, region).await? {
        Some(s) => DelayInForce {
            days: s.publish_delay_days,
            set_by_region: Some(s.region_code),
        },
        None => DelayInForce {
            days: 0,
            set_by_region: None,
        },
    })
}

/// What the settings page shows for one region.
#[derive(Debug, Clone, Serialize)]
pub struct SettingsView {
    pub region_code: RegionCode,
    /// The setting made for exactly this region, if any.
    pub own: Option<OfficeSetting>,
    /// What draws committed in this region get.
    pub in_force: DelayInForce,
    /// Whether the actor may change this region's setting.
    pub may_edit: bool,
    pub max_days: i32,
}

/// Only the region's own coordination office (and system administrators) set its defaults: a
/// county office does not decide for the city, nor a city office for a county that has its own.
fn may_edit(actor: &Actor, region: &RegionCode) -> bool {
    match actor.role {
        Role::SystemAdmin => true,
        Role::CoordinationOffice => actor.region == *region,
        _ => false,
    }
}

fn parse_region(actor: &Actor, region: Option<&str>) -> Result<RegionCode> {
    let region = match region.map(str::trim).filter(|r| !r.is_empty()) {
        Some(r) => RegionCode::parse(r).map_err(|e| ServiceError::field("region", e))?,
        None => actor.region.clone(),
    };
    // Staff read the settings of their own subtree and of the regions above it (whose settings
    // reach them); nothing beside it.
    if !(region.is_within(&actor.region) || actor.region.is_within(&region))
        && actor.role != Role::SystemAdmin
    {
        return Err(ServiceError::NotFound);
    }
    Ok(region)
}

pub async fn view(svc: &Services, actor: &Actor, region: Option<&str>) -> Result<SettingsView> {
    let region = parse_region(actor, region)?;
    let c = svc.store.conn();
    Ok(SettingsView {
        own: repo::get(c, &region).await?,
        in_force: delay_in_force(c, &region).await?,
        may_edit: may_edit(actor, &region),
        max_days: MAX_DELAY_DAYS,
        region_code: region,
    })
}

/// Sets the publication delay of draws committed from now on in the region's subtree (unless a
/// nearer office has its own). Draws already committed keep theirs.
pub async fn set_publish_delay(
    svc: &Services,
    actor: &Actor,
    region: Option<&str>,
    days: &str,
) -> Result<OfficeSetting> {
    let region = parse_region(actor, region)?;
    if !may_edit(actor, &region) {
        return Err(ServiceError::Forbidden);
    }
    let days = match days.trim().parse::<i32>() {
        Ok(n) if (0..=MAX_DELAY_DAYS).contains(&n) => n,
        _ => {
            return Err(ServiceError::field(
                "publish_delay_days",
                Invalid::new(
                    "range",
                    format!("公开延后天数应为 0–{MAX_DELAY_DAYS} 的整数"),
                    format!("publish_delay_days: a whole number 0–{MAX_DELAY_DAYS}"),
                ),
            ));
        }
    };
    let tx = svc.store.begin().await?;
    let before = repo::get(&tx, &region).await?;
    let s = OfficeSetting {
        region_code: region.clone(),
        publish_delay_days: days,
        updated_by: actor.username.clone(),
        updated_at: svc.now(),
    };
    repo::put(&tx, &s).await?;
    let mut r = Record::new("office_settings.update", "office_settings", &region)
        .at(&region, None)
        .after(&serde_json::json!({ "publish_delay_days": days }));
    if let Some(b) = &before {
        r = r.before(&serde_json::json!({ "publish_delay_days": b.publish_delay_days }));
    }
    record(&tx, actor, r).await?;
    tx.commit().await?;
    Ok(s)
}
