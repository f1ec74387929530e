//! Data sharing between instances (信息互通共享, 国办发〔2023〕1号 (十六); 鲁 task 21; issue 18):
//! the share catalogue (共享目录) with both ends' approval, signed messages kept as evidence in
//! a hash-chained message log on both sides, exactly-once application, dead letters, and the
//! NATS JetStream link ([`link`]). Design and message format: `docs/sharing.md`.
//!
//! This instance's identity (level, region, upstream, peers and their public keys) comes from
//! the `[sharing]` configuration section; its Ed25519 key is the evidence log's signing key
//! (`services::evidence`), so the audit checkpoints it ships up verify under the same key.

pub mod flow;
pub mod link;

use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use chrono::Utc;
use lianjian_domain::Invalid;
use lianjian_domain::account::Role;
use lianjian_domain::evidence::PublicKey;
use lianjian_domain::lifecycle::Lifecycle;
use lianjian_domain::region::RegionCode;
use lianjian_domain::scope::Actor;
use lianjian_domain::sharing::{
    Confidentiality, DataKind, Direction, Frequency, InstanceLevel, ShareMethod, ShareStatus,
    instance_id,
};
use lianjian_store::sharing as repo;
pub use lianjian_store::sharing::{DeadLetter, Share, SharedRecord};
use lianjian_store::{Page, PageRequest};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::error::Checker;
use crate::trail::{Record, record};
use crate::{Result, ServiceError, Services};

/// Another instance this one exchanges with.
#[derive(Debug, Clone, PartialEq)]
pub struct Peer {
    pub id: String,
    pub level: InstanceLevel,
    pub region: String,
    /// Its Ed25519 public key (its evidence log's key): every message from it must verify.
    pub public_key: PublicKey,
}

/// The `[sharing]` section: who this instance is and how it reaches the others.
#[derive(Debug, Clone)]
pub struct SharingConfig {
    pub instance: String,
    pub level: InstanceLevel,
    pub region: String,
    /// The instance directly above (a county's city, a city's province).
    pub upstream: Option<String>,
    /// `nats://host:port`.
    pub nats_url: String,
    /// This instance's NATS user (its permissions allow only its own subjects).
    pub nats_user: Option<String>,
    pub nats_password: Option<String>,
    pub peers: Vec<Peer>,
    /// How often the producers look for new data and unacknowledged messages, milliseconds.
    pub poll_ms: u64,
}

impl SharingConfig {
    pub fn peer(&self, id: &str) -> Option<&Peer> {
        self.peers.iter().find(|p| p.id == id)
    }
}

/// How many recent lags are kept for the p95 shown on the console and in `/metrics`.
const LAG_SAMPLES: usize = 1024;

#[derive(Debug, Default)]
struct Counters {
    published: AtomicU64,
    received: AtomicU64,
    applied: AtomicU64,
    duplicates: AtomicU64,
    refused: AtomicU64,
    lags_ms: Mutex<VecDeque<i64>>,
}

/// The sharing configuration and the link's counters. Cheap to clone.
#[derive(Debug, Clone, Default)]
pub struct SharingHandle {
    config: Option<Arc<SharingConfig>>,
    counters: Arc<Counters>,
}

impl SharingHandle {
    pub fn new(config: SharingConfig) -> Self {
        Self {
            config: Some(Arc::new(config)),
            counters: Arc::default(),
        }
    }

    pub fn config(&self) -> Option<&SharingConfig> {
        self.config.as_deref()
    }

    fn note_lag(&self, ms: i64) {
        let mut q = self
            .counters
            .lags_ms
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        if q.len() == LAG_SAMPLES {
            q.pop_front();
        }
        q.push_back(ms.max(0));
    }

    /// The link's counters since start.
    pub fn stats(&self) -> LinkStats {
        let c = &self.counters;
        let mut lags: Vec<i64> = c
            .lags_ms
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .iter()
            .copied()
            .collect();
        lags.sort_unstable();
        let p95 = (!lags.is_empty()).then(|| lags[((lags.len() * 95).div_ceil(100)).max(1) - 1]);
        LinkStats {
            published: c.published.load(Ordering::Relaxed),
            received: c.received.load(Ordering::Relaxed),
            applied: c.applied.load(Ordering::Relaxed),
            duplicates: c.duplicates.load(Ordering::Relaxed),
            refused: c.refused.load(Ordering::Relaxed),
            lag_p95_ms: p95,
            lag_samples: lags.len(),
        }
    }
}

/// What the console and `/metrics` show of the link.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct LinkStats {
    pub published: u64,
    pub received: u64,
    pub applied: u64,
    pub duplicates: u64,
    pub refused: u64,
    /// 95th percentile of sender-to-applied lag over the recent messages, milliseconds.
    pub lag_p95_ms: Option<i64>,
    pub lag_samples: usize,
}

impl Services {
    /// The same services taking part in sharing as `config` says.
    pub fn with_sharing(mut self, config: SharingConfig) -> Self {
        self.sharing = SharingHandle::new(config);
        self
    }
}

pub(crate) fn config(svc: &Services) -> Result<&SharingConfig> {
    svc.sharing.config().ok_or_else(|| {
        ServiceError::refused(
            "本实例未配置信息共享（配置文件 [sharing] 一节）",
            "sharing is not configured on this instance ([sharing] section)",
        )
    })
}

/// Who reads the catalogue, the message log and the dead letters: system administrators and
/// coordination offices.
pub fn may_view(actor: &Actor) -> bool {
    matches!(actor.role, Role::SystemAdmin | Role::CoordinationOffice)
}

/// Who proposes, approves, suspends and revokes shares and retries dead letters: system
/// administrators (a share opens data to another government level).
pub fn may_manage(actor: &Actor) -> bool {
    actor.role == Role::SystemAdmin
}

fn ensure(ok: bool) -> Result<()> {
    if ok {
        Ok(())
    } else {
        Err(ServiceError::Forbidden)
    }
}

/// A share as proposed (form, API, CLI): every field as text, parsed here.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
pub struct ShareInput {
    pub name: String,
    pub kind: String,
    pub direction: String,
    /// The receiving instance's id.
    pub consumer: String,
    /// Region codes (prefixes), separated by commas or spaces; empty: the whole jurisdiction.
    #[serde(default)]
    pub regions: String,
    /// Department ids, separated by commas or spaces; empty: every department.
    #[serde(default)]
    pub departments: String,
    pub method: String,
    pub frequency: String,
    pub time_limit_hours: String,
    pub confidentiality: String,
}

fn split(s: &str) -> impl Iterator<Item = &str> {
    s.split([',', '，', ' ', '、'])
        .map(str::trim)
        .filter(|t| !t.is_empty())
}

/// Which way data flows between two levels (an up share goes to a higher level, a down share
/// 数据回流 to a lower one, a peer share to the same level).
fn direction_fits(dir: Direction, me: InstanceLevel, peer: InstanceLevel) -> bool {
    let rank = |l: InstanceLevel| match l {
        InstanceLevel::Province => 0,
        InstanceLevel::City => 1,
        InstanceLevel::County => 2,
    };
    match dir {
        Direction::Up => rank(peer) < rank(me),
        Direction::Down => rank(peer) > rank(me),
        Direction::Peer => rank(peer) == rank(me),
    }
}

fn parse_share(cfg: &SharingConfig, i: &ShareInput, actor: &Actor) -> Result<Share> {
    let mut c = Checker::default();
    let name = c.check(
        "name",
        lianjian_domain::error::bounded_text(&i.name, 1, 200, "共享名称", "name"),
    );
    let kind = c.check("kind", DataKind::parse(&i.kind));
    let direction = c.check("direction", Direction::parse(&i.direction));
    let method = c.check("method", ShareMethod::parse(&i.method));
    let frequency = c.check("frequency", Frequency::parse(&i.frequency));
    let conf = c.check(
        "confidentiality",
        Confidentiality::parse(&i.confidentiality),
    );
    let consumer = c
        .check("consumer", instance_id(&i.consumer))
        .and_then(|id| match cfg.peer(&id) {
            Some(p) => Some(p.clone()),
            None => {
                c.push(
                    "consumer",
                    Invalid::new(
                        "unknown_peer",
                        format!("“{id}”不是已配置的对端实例"),
                        format!("'{id}' is not a configured peer instance"),
                    ),
                );
                None
            }
        });
    if let (Some(d), Some(p)) = (direction, consumer.as_ref())
        && !direction_fits(d, cfg.level, p.level)
    {
        c.push(
            "direction",
            Invalid::new(
                "direction_level",
                format!(
                    "“{}”不适用于从{}到{}",
                    d.label_zh(),
                    cfg.level.label_zh(),
                    p.level.label_zh()
                ),
                format!(
                    "'{}' does not fit {} to {}",
                    d.as_str(),
                    cfg.level.as_str(),
                    p.level.as_str()
                ),
            ),
        );
    }
    let mut regions = Vec::new();
    for r in split(&i.regions).take(101) {
        if regions.len() == 100 {
            c.push(
                "regions",
                Invalid::new("too_many", "地区最多 100 个", "at most 100 regions"),
            );
            break;
        }
        let ok = (2..=12).contains(&r.len()) && r.bytes().all(|b| b.is_ascii_digit());
        if ok {
            regions.push(r.to_string());
        } else {
            c.push(
                "regions",
                Invalid::new(
                    "region",
                    format!("地区代码“{r}”无效（2–12 位数字）"),
                    format!("region code '{r}' is invalid (2–12 digits)"),
                ),
            );
        }
    }
    let mut departments = Vec::new();
    for d in split(&i.departments).take(101) {
        match Uuid::parse_str(d) {
            Ok(u) if departments.len() < 100 => departments.push(u),
            Ok(_) => {
                c.push(
                    "departments",
                    Invalid::new("too_many", "部门最多 100 个", "at most 100 departments"),
                );
                break;
            }
            Err(_) => c.push(
                "departments",
                Invalid::new(
                    "department",
                    format!("部门标识“{d}”无效"),
                    format!("department id '{d}' is invalid"),
                ),
            ),
        }
    }
    let hours = match i.time_limit_hours.trim().parse::<i32>() {
        Ok(h) if (1..=720).contains(&h) => Some(h),
        _ => {
            c.push(
                "time_limit_hours",
                Invalid::new(
                    "time_limit_hours",
                    format!("时限“{}”无效：应为 1–720 小时", i.time_limit_hours.trim()),
                    format!(
                        "time limit '{}' is invalid: 1–720 hours",
                        i.time_limit_hours.trim()
                    ),
                ),
            );
            None
        }
    };
    c.finish()?;
    let now = lianjian_domain::audit::audit_time(Utc::now());
    let (
        Some(name),
        Some(kind),
        Some(direction),
        Some(method),
        Some(frequency),
        Some(conf),
        Some(consumer),
        Some(hours),
    ) = (
        name, kind, direction, method, frequency, conf, consumer, hours,
    )
    else {
        unreachable!("every field checked")
    };
    Ok(Share {
        id: Uuid::now_v7(),
        name,
        kind,
        direction,
        provider: cfg.instance.clone(),
        consumer: consumer.id,
        regions,
        departments,
        method,
        frequency,
        time_limit_hours: hours,
        confidentiality: conf,
        status: ShareStatus::Proposed,
        provider_approved_by: None,
        provider_approved_at: None,
        consumer_approved_by: None,
        consumer_approved_at: None,
        created_by: actor.username.clone(),
        created_at: now,
        updated_at: now,
    })
}

/// Proposes a share this instance provides. Nothing flows until both ends approve
/// ([`approve`]); the proposal goes to the consumer as a signed control message.
pub async fn propose(svc: &Services, actor: &Actor, input: &ShareInput) -> Result<Share> {
    ensure(may_manage(actor))?;
    let cfg = config(svc)?;
    let share = parse_share(cfg, input, actor)?;
    let tx = svc.store.begin().await?;
    repo::put_share(&tx, &share).await?;
    record(
        &tx,
        actor,
        Record::new("sharing.share.propose", "share", share.id).after(&share),
    )
    .await?;
    flow::send_control(&tx, svc, &share, "propose", &actor.username).await?;
    tx.commit().await?;
    Ok(share)
}

/// Which end of a share this instance is.
fn my_side(cfg: &SharingConfig, s: &Share) -> Result<Side> {
    if s.provider == cfg.instance {
        Ok(Side::Provider)
    } else if s.consumer == cfg.instance {
        Ok(Side::Consumer)
    } else {
        Err(ServiceError::NotFound)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Side {
    Provider,
    Consumer,
}

/// Records one end's approval; with both, the share becomes active.
pub(crate) fn set_approval(s: &mut Share, side: Side, by: &str) {
    let now = lianjian_domain::audit::audit_time(Utc::now());
    match side {
        Side::Provider => {
            s.provider_approved_by = Some(by.into());
            s.provider_approved_at = Some(now);
        }
        Side::Consumer => {
            s.consumer_approved_by = Some(by.into());
            s.consumer_approved_at = Some(now);
        }
    }
    if s.status == ShareStatus::Proposed
        && s.provider_approved_at.is_some()
        && s.consumer_approved_at.is_some()
    {
        s.status = ShareStatus::Active;
    }
    s.updated_at = now;
}

/// This end approves a share (审核确认); the other end learns it by a signed control message.
pub async fn approve(svc: &Services, actor: &Actor, id: Uuid) -> Result<Share> {
    ensure(may_manage(actor))?;
    let cfg = config(svc)?;
    let tx = svc.store.begin().await?;
    let mut s = repo::get_share(&tx, id)
        .await?
        .ok_or(ServiceError::NotFound)?;
    let before = s.clone();
    if s.status != ShareStatus::Proposed {
        return Err(ServiceError::conflict(
            "status",
            format!("共享状态为“{}”，不能再确认", s.status.label_zh()),
            format!("the share is {}, it cannot be approved", s.status.as_str()),
        ));
    }
    let side = my_side(cfg, &s)?;
    set_approval(&mut s, side, &actor.username);
    repo::put_share(&tx, &s).await?;
    record(
        &tx,
        actor,
        Record::new("sharing.share.approve", "share", s.id)
            .before(&before)
            .after(&s),
    )
    .await?;
    flow::send_control(&tx, svc, &s, "approve", &actor.username).await?;
    tx.commit().await?;
    Ok(s)
}

/// Suspends, resumes or revokes a share (either end); the other end follows.
pub async fn set_status(svc: &Services, actor: &Actor, id: Uuid, to: ShareStatus) -> Result<Share> {
    ensure(may_manage(actor))?;
    let cfg = config(svc)?;
    let tx = svc.store.begin().await?;
    let mut s = repo::get_share(&tx, id)
        .await?
        .ok_or(ServiceError::NotFound)?;
    my_side(cfg, &s)?;
    let before = s.clone();
    move_status(&mut s, to)?;
    repo::put_share(&tx, &s).await?;
    record(
        &tx,
        actor,
        Record::new("sharing.share.status", "share", s.id)
            .before(&before)
            .after(&s),
    )
    .await?;
    flow::send_control(&tx, svc, &s, to.as_str(), &actor.username).await?;
    tx.commit().await?;
    Ok(s)
}

pub(crate) fn move_status(s: &mut Share, to: ShareStatus) -> Result<()> {
    // Resuming needs both approvals, which an active-then-suspended share already has.
    if !s.status.can_move_to(to) || (to == ShareStatus::Active && s.status == ShareStatus::Proposed)
    {
        return Err(ServiceError::conflict(
            "status",
            format!("共享不能从“{}”变为“{}”", s.status.label_zh(), to.label_zh()),
            format!(
                "a share cannot move from {} to {}",
                s.status.as_str(),
                to.as_str()
            ),
        ));
    }
    s.status = to;
    s.updated_at = lianjian_domain::audit::audit_time(Utc::now());
    Ok(())
}

pub async fn list(svc: &Services, actor: &Actor, page: PageRequest) -> Result<Page<Share>> {
    ensure(may_view(actor))?;
    Ok(repo::list_shares(svc.store.conn(), page).await?)
}

pub async fn get(svc: &Services, actor: &Actor, id: Uuid) -> Result<Share> {
    ensure(may_view(actor))?;
    repo::get_share(svc.store.conn(), id)
        .await?
        .ok_or(ServiceError::NotFound)
}

pub async fn dead_letters(
    svc: &Services,
    actor: &Actor,
    status: Option<&str>,
    page: PageRequest,
) -> Result<Page<DeadLetter>> {
    ensure(may_view(actor))?;
    Ok(repo::list_dead_letters(svc.store.conn(), status, page).await?)
}

/// Records received from other instances (the upper level's copy of what lower levels share),
/// optionally within a region prefix.
pub async fn records(
    svc: &Services,
    actor: &Actor,
    kind: DataKind,
    region: Option<&RegionCode>,
    page: PageRequest,
) -> Result<Page<SharedRecord>> {
    ensure(may_view(actor))?;
    Ok(repo::list_records(
        svc.store.conn(),
        kind.as_str(),
        region.map(|r| r.as_str()),
        page,
    )
    .await?)
}

pub async fn log(
    svc: &Services,
    actor: &Actor,
    event: Option<&str>,
    page: PageRequest,
) -> Result<Page<lianjian_domain::sharing::LogRow>> {
    ensure(may_view(actor))?;
    Ok(repo::log_page(svc.store.conn(), event, page).await?)
}

/// Message-log rows of one event.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct EventCount {
    pub event: String,
    /// The event in Chinese.
    pub label: String,
    pub count: i64,
}

/// The link's figures: counters since start and the message log's counts by event.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Overview {
    pub instance: Option<String>,
    pub level: Option<InstanceLevel>,
    pub upstream: Option<String>,
    pub peers: Vec<String>,
    pub stats: LinkStats,
    /// Message-log rows by event.
    pub log_counts: Vec<EventCount>,
    /// Sent messages JetStream has not acknowledged yet (the backlog).
    pub unpublished: i64,
    pub open_dead_letters: u64,
}

pub async fn overview(svc: &Services, actor: &Actor) -> Result<Overview> {
    ensure(may_view(actor))?;
    figures(svc).await
}

/// [`overview`] without an actor (`/metrics`).
pub async fn figures(svc: &Services) -> Result<Overview> {
    let c = svc.store.conn();
    let cfg = svc.sharing.config();
    Ok(Overview {
        instance: cfg.map(|c| c.instance.clone()),
        level: cfg.map(|c| c.level),
        upstream: cfg.and_then(|c| c.upstream.clone()),
        peers: cfg
            .map(|c| c.peers.iter().map(|p| p.id.clone()).collect())
            .unwrap_or_default(),
        stats: svc.sharing.stats(),
        log_counts: repo::log_counts(c)
            .await?
            .into_iter()
            .map(|(event, count)| EventCount {
                label: lianjian_domain::sharing::LogEvent::parse(&event)
                    .map(|e| e.label_zh().to_string())
                    .unwrap_or_else(|_| event.clone()),
                event,
                count,
            })
            .collect(),
        unpublished: repo::unpublished_count(c).await?,
        open_dead_letters: repo::list_dead_letters(
            c,
            Some("open"),
            PageRequest::new(Some(1), Some(1)),
        )
        .await?
        .total,
    })
}

/// This instance's public key (its evidence log's key, made on first use): what its peers put in
/// their `[[sharing.peers]]` (`lianjian sharing key`).
pub fn public_key(svc: &Services) -> Result<PublicKey> {
    Ok(PublicKey(svc.evidence.signing_key()?.verifying_key()))
}
