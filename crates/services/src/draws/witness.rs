//! Who witnesses a draw (issue 11 item 2): contributions fixed after the commitment is published
//! and chosen by nobody who can read the server seed. At commitment the office invites one or
//! more supervisors (监督人, role `supervisor`) and/or names a public beacon (e.g. a lottery draw
//! on a later date); a draw with neither needs a recorded reason and is labelled 未经独立见证.
//! Supervisors enter their own values under their own logins; staff enter the beacon value once
//! it is known. Values stay secret until the draw is executed. Design: `docs/double-random.md`.

use chrono::{DateTime, NaiveDate, Utc};
use lianjian_domain::Invalid;
use lianjian_domain::account::Role;
use lianjian_domain::draw::DrawStatus;
use lianjian_domain::draw::{BeaconSpec, Contribution, ContributionValue, SeedsV3};
use lianjian_domain::region::RegionCode;
use lianjian_domain::scope::Actor;
use lianjian_domain::visit::beijing_date;
use lianjian_store::accounts::{self as account_repo, User, UserStatus};
use lianjian_store::draws::{self as repo, Draw, DrawWitness};
use lianjian_store::{Conn, StoreError};
use serde::Serialize;
use uuid::Uuid;

use super::{ensure_may_draw, invalid, visible};
use crate::error::Checker;
use crate::office_settings::MAX_DELAY_DAYS;
use crate::trail::{Record, record};
use crate::{Result, ServiceError, Services};

/// How the office wants the draw witnessed, as entered.
#[derive(Debug, Clone, Default)]
pub struct WitnessSpec {
    /// User names of supervisor accounts to invite.
    pub supervisors: Vec<String>,
    pub beacon_source: String,
    pub beacon_reference: String,
    /// YYYY-MM-DD, after today.
    pub beacon_available_on: String,
    /// Required when nobody is invited and no beacon is named.
    pub unwitnessed_reason: String,
    /// Days after the period's end before unpublished visits become public (empty: the
    /// coordination office's setting, which is also the least allowed).
    pub publish_delay_days: String,
}

impl WitnessSpec {
    fn is_empty(&self) -> bool {
        self.supervisors.iter().all(|s| s.trim().is_empty())
            && self.beacon_source.trim().is_empty()
            && self.beacon_reference.trim().is_empty()
            && self.beacon_available_on.trim().is_empty()
            && self.unwitnessed_reason.trim().is_empty()
            && self.publish_delay_days.trim().is_empty()
    }
}

/// A parsed [`WitnessSpec`].
#[derive(Debug, Clone)]
pub(super) struct Witnessing {
    pub supervisors: Vec<User>,
    pub beacon: Option<BeaconSpec>,
    pub unwitnessed_reason: Option<String>,
    pub publish_delay_days: i32,
}

pub(super) async fn parse(
    c: &impl Conn,
    region: &RegionCode,
    spec: &WitnessSpec,
    now: DateTime<Utc>,
) -> Result<Witnessing> {
    let mut ch = Checker::default();
    let today = beijing_date(now);
    let mut supervisors: Vec<User> = Vec::new();
    for name in spec.supervisors.iter().map(|s| s.trim()) {
        if name.is_empty() {
            continue;
        }
        let u = account_repo::find_user_by_name(c, name).await?;
        match u {
            Some(u)
                if u.role == Role::Supervisor
                    && u.status == UserStatus::Active
                    && region.is_within(&u.region_code) =>
            {
                if !supervisors.iter().any(|s| s.id == u.id) {
                    supervisors.push(u);
                }
            }
            Some(u) if u.role == Role::Supervisor && u.status == UserStatus::Active => ch.push(
                "supervisors",
                Invalid::new(
                    "supervisor_outside_scope",
                    format!("监督人“{name}”的监督范围不包括本次抽取的地区"),
                    format!("supervisor '{name}' does not cover this draw's region"),
                ),
            ),
            _ => ch.push(
                "supervisors",
                Invalid::new(
                    "not_a_supervisor",
                    format!("“{name}”不是在用的监督人账号"),
                    format!("'{name}' is not an active supervisor account"),
                ),
            ),
        }
    }
    supervisors.sort_by_key(|u| u.id);

    let (src, refr, on) = (
        spec.beacon_source.trim(),
        spec.beacon_reference.trim(),
        spec.beacon_available_on.trim(),
    );
    let beacon = if src.is_empty() && refr.is_empty() && on.is_empty() {
        None
    } else {
        let mut ok = true;
        for (field, v, zh) in [
            ("beacon_source", src, "公开随机源"),
            ("beacon_reference", refr, "期号或名称"),
        ] {
            if v.is_empty() {
                ok = false;
                ch.push(
                    field,
                    Invalid::new(
                        "required",
                        format!("请填写{zh}"),
                        format!("{field} is required when a beacon is named"),
                    ),
                );
            } else if v.chars().count() > 100 {
                ok = false;
                ch.push(
                    field,
                    Invalid::new(
                        "too_long",
                        format!("{zh}最多 100 个字"),
                        format!("{field}: at most 100 characters"),
                    ),
                );
            }
        }
        let date = match NaiveDate::parse_from_str(on, "%Y-%m-%d") {
            Ok(d) if d > today => Some(d),
            Ok(d) => {
                ch.push(
                    "beacon_available_on",
                    Invalid::new(
                        "not_after_today",
                        format!("公开随机值的公布日期（{d}）必须晚于今天（{today}），否则它在承诺前已可知"),
                        format!("the beacon's date ({d}) must be after today ({today}): it must be unknown at commitment"),
                    ),
                );
                None
            }
            Err(_) => {
                ch.push(
                    "beacon_available_on",
                    Invalid::new(
                        "date",
                        format!("日期“{on}”不正确，应为 2026-10-01 这样的格式"),
                        format!("date '{on}' is not YYYY-MM-DD"),
                    ),
                );
                None
            }
        };
        match date {
            Some(available_on) if ok => Some(BeaconSpec {
                source: src.to_string(),
                reference: refr.to_string(),
                available_on,
            }),
            _ => None,
        }
    };

    let reason = spec.unwitnessed_reason.trim();
    let witnessed = !supervisors.is_empty()
        || beacon.is_some()
        || !src.is_empty()
        || spec.supervisors.iter().any(|s| !s.trim().is_empty());
    let unwitnessed_reason = if witnessed {
        if !reason.is_empty() {
            ch.push(
                "unwitnessed_reason",
                Invalid::new(
                    "witnessed",
                    "已邀请监督人或指定公开随机源时，不应填写未经见证的理由",
                    "a witnessed draw takes no reason for being unwitnessed",
                ),
            );
        }
        None
    } else if reason.chars().count() < 4 {
        ch.push(
            "unwitnessed_reason",
            Invalid::new(
                "required",
                "没有邀请监督人、也没有指定公开随机源：请说明不经独立见证的理由（至少 4 个字），理由将公开，记录将标注“未经独立见证”",
                "neither a supervisor nor a beacon: give the reason for an unwitnessed draw (at least 4 characters); it is published and the record is labelled as unwitnessed",
            ),
        );
        None
    } else if reason.chars().count() > 500 {
        ch.push(
            "unwitnessed_reason",
            Invalid::new(
                "too_long",
                "理由最多 500 个字",
                "reason: at most 500 characters",
            ),
        );
        None
    } else {
        Some(reason.to_string())
    };

    // The coordination office's setting for the region (nearest ancestor's) is the default and
    // the floor: a draw may publish later than its office says, never earlier. It is recorded
    // in the draw, so a later change of the setting moves no published date.
    let office_delay = crate::office_settings::delay_in_force(c, region)
        .await?
        .days;
    let publish_delay_days = match spec.publish_delay_days.trim() {
        "" => office_delay,
        s => match s.parse::<i32>() {
            Ok(n) if (office_delay..=MAX_DELAY_DAYS).contains(&n) => n,
            Ok(n) if (0..office_delay).contains(&n) => {
                ch.push(
                    "publish_delay_days",
                    Invalid::new(
                        "below_office_setting",
                        format!("联席办规定期间结束后延后 {office_delay} 天公开，本次抽取不能更早（可填 {office_delay}–{MAX_DELAY_DAYS}，或留空）"),
                        format!("the coordination office delays publication by {office_delay} days; a draw may not publish earlier ({office_delay}–{MAX_DELAY_DAYS}, or empty)"),
                    ),
                );
                office_delay
            }
            _ => {
                ch.push(
                    "publish_delay_days",
                    Invalid::new(
                        "range",
                        format!("公开延后天数应为 0–{MAX_DELAY_DAYS} 的整数"),
                        format!("publish_delay_days: a whole number 0–{MAX_DELAY_DAYS}"),
                    ),
                );
                office_delay
            }
        },
    };
    ch.finish()?;
    Ok(Witnessing {
        supervisors,
        beacon,
        unwitnessed_reason,
        publish_delay_days,
    })
}

/// A re-draw keeps the supervisors, the reason and the delay of the draw it replaces unless new
/// ones are given; a beacon is never inherited (its date may have passed, its value be known).
pub(super) async fn inherit(c: &impl Conn, old: &Draw, spec: &WitnessSpec) -> Result<WitnessSpec> {
    if !spec.is_empty() {
        return Ok(spec.clone());
    }
    let mut supervisors = Vec::new();
    for w in repo::witnesses(c, old.id).await? {
        if let Some(u) = account_repo::get_user(c, w.account_id).await? {
            supervisors.push(u.username);
        }
    }
    // The old delay is kept unless the office's setting has since become later (then the
    // setting applies: a re-draw publishes no earlier than its office now says).
    let office = crate::office_settings::delay_in_force(c, &old.region_code)
        .await?
        .days;
    Ok(WitnessSpec {
        supervisors,
        unwitnessed_reason: old.unwitnessed_reason.clone().unwrap_or_default(),
        publish_delay_days: if old.publish_delay_days > office {
            old.publish_delay_days.to_string()
        } else {
            String::new()
        },
        ..Default::default()
    })
}

pub(super) async fn invite(
    c: &impl Conn,
    actor: &Actor,
    draw_id: Uuid,
    w: &Witnessing,
    now: DateTime<Utc>,
) -> Result<()> {
    for u in &w.supervisors {
        repo::insert_witness(
            c,
            &DrawWitness {
                draw_id,
                account_id: u.id,
                display_name: u.display_name.clone(),
                invited_by: actor.username.clone(),
                invited_at: now,
                value_hex: None,
                submitted_at: None,
            },
        )
        .await?;
    }
    Ok(())
}

/// What a draw still waits for before it can be executed, in words (zh, en).
pub(super) async fn missing(c: &impl Conn, d: &Draw) -> Result<Vec<(String, String)>> {
    let mut out = Vec::new();
    for w in repo::witnesses(c, d.id).await? {
        if w.value_hex.is_none() {
            out.push((
                format!("监督人 {} 的随机数", w.display_name),
                format!("the contribution of supervisor {}", w.display_name),
            ));
        }
    }
    if let (Some(src), Some(r), None) = (&d.beacon_source, &d.beacon_reference, &d.beacon_value) {
        let on = d
            .beacon_available_on
            .map(|d| d.to_string())
            .unwrap_or_default();
        out.push((
            format!("公开随机源 {src} {r} 的数值（{on} 起可录入）"),
            format!("the value of the beacon {src} {r} (from {on})"),
        ));
    }
    Ok(out)
}

/// The contributions of a draw ready to execute, bound to their accounts, with the beacon
/// value and the reason for a draw nobody witnessed.
pub(super) async fn seeds_v3(
    c: &impl Conn,
    d: &Draw,
    salt_key: lianjian_domain::draw::Bytes32,
) -> Result<SeedsV3> {
    let corrupt = |m: String| ServiceError::internal(StoreError::Corrupt(m));
    let mut contributions = Vec::new();
    for w in repo::witnesses(c, d.id).await? {
        let (Some(v), Some(at)) = (w.value_hex, w.submitted_at) else {
            return Err(corrupt(format!("{}: a contribution is missing", d.code)));
        };
        contributions.push(Contribution {
            account_id: w.account_id,
            name: w.display_name,
            value: ContributionValue::from_hex(&v).map_err(|e| corrupt(e.en))?,
            submitted_at: at,
        });
    }
    contributions.sort_by_key(|c| c.account_id);
    Ok(SeedsV3 {
        salt_key,
        contributions,
        beacon_value: d.beacon_value.clone(),
        unwitnessed_reason: d.unwitnessed_reason.clone(),
    })
}

/// One invited supervisor as anybody may see it: whether it contributed, never the value
/// (which is in the record once the draw is executed).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct WitnessStatus {
    pub account_id: Uuid,
    pub name: String,
    pub submitted_at: Option<DateTime<Utc>>,
}

/// How a draw is witnessed, without any secret value.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Witnessed {
    pub supervisors: Vec<WitnessStatus>,
    pub beacon_source: Option<String>,
    pub beacon_reference: Option<String>,
    pub beacon_available_on: Option<NaiveDate>,
    /// Public once entered: anyone can compare it with the source.
    pub beacon_value: Option<String>,
    /// Set when nobody independent witnesses the draw (未经独立见证).
    pub unwitnessed_reason: Option<String>,
    /// Whether this is a legacy draw (format `/1` or `/2`, with the old free witness seed).
    pub legacy: bool,
}

pub(super) async fn status(c: &impl Conn, d: &Draw, legacy: bool) -> Result<Witnessed> {
    Ok(Witnessed {
        supervisors: repo::witnesses(c, d.id)
            .await?
            .into_iter()
            .map(|w| WitnessStatus {
                account_id: w.account_id,
                name: w.display_name,
                submitted_at: w.submitted_at,
            })
            .collect(),
        beacon_source: d.beacon_source.clone(),
        beacon_reference: d.beacon_reference.clone(),
        beacon_available_on: d.beacon_available_on,
        beacon_value: d.beacon_value.clone(),
        unwitnessed_reason: d.unwitnessed_reason.clone(),
        legacy,
    })
}

/// A supervisor enters its own contribution (hex, 16–64 bytes; the console generates 32
/// random bytes in the browser). Only the invited supervisor, only once, only while the draw
/// awaits its draw. Nobody else can enter it: staff who can read the server seed could grind it.
pub async fn contribute(svc: &Services, actor: &Actor, id: Uuid, value: &str) -> Result<Draw> {
    if actor.role != Role::Supervisor {
        return Err(ServiceError::Forbidden);
    }
    let value =
        ContributionValue::from_hex(value.trim()).map_err(|e| ServiceError::field("value", e))?;
    let tx = svc.store.begin().await?;
    let d = visible(&tx, actor, id).await?;
    let mine = repo::witnesses(&tx, id)
        .await?
        .into_iter()
        .find(|w| w.account_id == actor.user_id);
    let Some(mine) = mine else {
        return Err(ServiceError::refused(
            format!("您未被邀请见证抽取 {}", d.code),
            format!("you are not invited to witness draw {}", d.code),
        ));
    };
    if d.status != DrawStatus::Committed || d.superseded_by.is_some() {
        return Err(ServiceError::conflict(
            "status",
            format!("抽取 {} 已不再等待见证", d.code),
            format!("draw {} no longer awaits witnesses", d.code),
        ));
    }
    if mine.value_hex.is_some() {
        return Err(ServiceError::conflict(
            "value",
            "您已提交过随机数，不可更改",
            "you have already contributed; a contribution cannot be changed",
        ));
    }
    let now = svc.now();
    // A supervisor's value must be fixed before the beacon's is known: otherwise a supervisor
    // colluding with the operator (who knows the server seed) could choose its value with the
    // beacon in hand and grind the result (docs/draw-algorithm.md, threat model).
    if let Some(on) = d.beacon_available_on
        && beijing_date(now) >= on
    {
        return Err(ServiceError::conflict(
            "value",
            format!("信标（{on}）已经或即将公布，不能再提交见证随机数；请说明理由后重新抽取"),
            format!(
                "the beacon ({on}) is due or public: contributions are closed; re-draw the draw"
            ),
        ));
    }
    if !repo::submit_contribution(&tx, id, actor.user_id, &value.to_hex(), now).await? {
        return Err(ServiceError::conflict(
            "value",
            "提交未成功：抽取状态已变化，请刷新后重试",
            "not stored: the draw changed meanwhile",
        ));
    }
    // The audit entry says who contributed and when, never the value.
    record(
        &tx,
        actor,
        Record::new("draw.contribute", "draw", id)
            .at(&d.region_code, None)
            .after(&serde_json::json!({ "code": d.code, "submitted_at": now })),
    )
    .await?;
    tx.commit().await?;
    Ok(d)
}

/// Draw staff in scope enter the beacon's value once it is published: not before its date.
pub async fn enter_beacon(svc: &Services, actor: &Actor, id: Uuid, value: &str) -> Result<Draw> {
    ensure_may_draw(actor)?;
    let value = value.split_whitespace().collect::<Vec<_>>().join(" ");
    if value.is_empty() || value.chars().count() > 200 {
        return Err(invalid(
            "value",
            "length",
            "请填写公开随机值（1–200 个字，照录公布的数值）",
            "enter the beacon's value as published (1–200 characters)",
        ));
    }
    let tx = svc.store.begin().await?;
    let d = visible(&tx, actor, id).await?;
    let (Some(src), Some(on)) = (&d.beacon_source, d.beacon_available_on) else {
        return Err(ServiceError::conflict(
            "value",
            format!("抽取 {} 没有指定公开随机源", d.code),
            format!("draw {} names no beacon", d.code),
        ));
    };
    if d.status != DrawStatus::Committed || d.superseded_by.is_some() {
        return Err(ServiceError::conflict(
            "status",
            format!("抽取 {} 已不再等待公开随机值", d.code),
            format!("draw {} no longer awaits the beacon", d.code),
        ));
    }
    if d.beacon_value.is_some() {
        return Err(ServiceError::conflict(
            "value",
            "公开随机值已录入，不可更改",
            "the beacon's value is already entered and cannot be changed",
        ));
    }
    let now = svc.now();
    let today = beijing_date(now);
    if today < on {
        return Err(ServiceError::conflict(
            "value",
            format!("{src} 的数值 {on} 才公布，今天（{today}）不能录入"),
            format!("the beacon is published on {on}; it cannot be entered today ({today})"),
        ));
    }
    if !repo::set_beacon_value(&tx, id, &value, &actor.username, now).await? {
        return Err(ServiceError::conflict(
            "value",
            "录入未成功：抽取状态已变化，请刷新后重试",
            "not stored: the draw changed meanwhile",
        ));
    }
    record(
        &tx,
        actor,
        Record::new("draw.beacon", "draw", id)
            .at(&d.region_code, None)
            .after(&serde_json::json!({ "code": d.code, "beacon_value": value })),
    )
    .await?;
    tx.commit().await?;
    let d = repo::get(svc.store.conn(), id)
        .await?
        .ok_or(ServiceError::NotFound)?;
    Ok(d)
}

/// 待见证的抽取: the draws awaiting this supervisor's contribution.
pub async fn awaiting(svc: &Services, actor: &Actor) -> Result<Vec<Draw>> {
    if actor.role != Role::Supervisor {
        return Err(ServiceError::Forbidden);
    }
    let scope = actor.scope();
    Ok(repo::awaiting_witness(svc.store.conn(), actor.user_id)
        .await?
        .into_iter()
        .filter(|d| {
            scope
                .region
                .as_ref()
                .is_none_or(|r| d.region_code.is_within(r))
        })
        .collect())
}
