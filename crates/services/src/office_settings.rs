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
use lianjian_store::office_settings::{self as repo, OfficeDocuments, OfficeSetting};
use serde::Serialize;

use crate::error::Checker;
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
    /// Where the parties of this region's departments seek remedies, as set for exactly it.
    pub documents: Option<OfficeDocuments>,
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
        documents: repo::documents(c, &region).await?,
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

/// The longest name of a reconsideration body or a court (e.g. 河南省漯河市中级人民法院).
const MAX_BODY_CHARS: usize = 60;

/// Sets where the parties of the region's departments apply for reconsideration and which court
/// hears their suits (issue 13 item 4), named by every notice's remedies clause. An empty value
/// goes back to what the platform derives from the region. Only this region's own office sets it.
pub async fn set_documents(
    svc: &Services,
    actor: &Actor,
    region: Option<&str>,
    reconsideration_body: &str,
    court: &str,
) -> Result<OfficeDocuments> {
    let region = parse_region(actor, region)?;
    if !may_edit(actor, &region) {
        return Err(ServiceError::Forbidden);
    }
    let mut ch = Checker::default();
    let body = ch.check(
        "reconsideration_body",
        body_name(
            reconsideration_body,
            &["人民政府", "部门", "机关", "局", "委员会", "厅"],
            "行政复议机关",
            "reconsideration_body",
        ),
    );
    let court = ch.check("court", body_name(court, &["法院"], "管辖法院", "court"));
    ch.finish()?;
    let d = OfficeDocuments {
        region_code: region.clone(),
        reconsideration_body: body.unwrap_or_default(),
        court: court.unwrap_or_default(),
        updated_by: actor.username.clone(),
        updated_at: svc.now(),
    };
    let tx = svc.store.begin().await?;
    let before = repo::documents(&tx, &region).await?;
    repo::put_documents(&tx, &d).await?;
    let mut r = Record::new("office_settings.documents", "office_settings", &region)
        .at(&region, None)
        .after(&serde_json::json!({ "reconsideration_body": d.reconsideration_body, "court": d.court }));
    if let Some(b) = &before {
        r = r.before(&serde_json::json!({ "reconsideration_body": b.reconsideration_body, "court": b.court }));
    }
    record(&tx, actor, r).await?;
    tx.commit().await?;
    Ok(d)
}

/// A body's name as a notice prints it: empty (derive it), or a name ending as such bodies'
/// names end, so a slip (a person's name, a phone number) is caught before it is printed.
fn body_name(
    v: &str,
    endings: &[&str],
    what_zh: &str,
    what_en: &str,
) -> std::result::Result<String, Invalid> {
    let v = lianjian_domain::error::bounded_text(v, 0, MAX_BODY_CHARS, what_zh, what_en)?;
    if v.is_empty() || endings.iter().any(|e| v.ends_with(e)) {
        Ok(v)
    } else {
        Err(Invalid::new(
            "body_name",
            format!(
                "{what_zh}应填写机关全称，以“{}”结尾；留空则按行政区划自动确定",
                endings.join("”或“")
            ),
            format!(
                "{what_en}: the body's full name, ending in {}; empty derives it from the region",
                endings.join(" or ")
            ),
        ))
    }
}
