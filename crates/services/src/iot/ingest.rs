//! The ingest (数据接入): a message becomes readings of a registered device or a counted
//! refusal; readings are written in batches, one transaction each (raw readings with
//! duplicates dropped, minute aggregates, exceedances), and the observer hears of them after
//! the commit. The MQTT consumer ([`super::mqtt`]) acknowledges a batch's messages only after
//! [`write_batch`] returned, so a crash loses nothing: the broker redelivers, and the
//! duplicates are dropped here (docs/iot.md, "Delivery").

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use chrono::{DateTime, Utc};
use lianjian_domain::iot::{
    self as rules, BadReason, DeviceInfo, ExceedanceStep, OpenExceedance, Reading,
};
use lianjian_store::iot::{self as repo, Minute, RawReading};
use uuid::Uuid;

use super::{IotState, KnownDevice, ReadingObserver};
use crate::{Result, Services};

/// A message accepted for writing: its device, its id if it carries one, its readings.
#[derive(Debug, Clone)]
pub struct Accepted {
    pub device: Arc<KnownDevice>,
    pub msg_id: Option<String>,
    pub readings: Vec<(String, f64, DateTime<Utc>)>,
    pub received_at: DateTime<Utc>,
}

impl Accepted {
    pub fn len(&self) -> usize {
        self.readings.len()
    }

    pub fn is_empty(&self) -> bool {
        self.readings.is_empty()
    }
}

/// Loads the ingest's memory from the store: active devices, last-seen times, open
/// exceedances. Called when the consumer starts (and again to pick up registry changes made
/// by another server).
pub async fn load(svc: &Services) -> Result<()> {
    let c = svc.store.conn();
    let all = repo::all_devices(c).await?;
    let state = &svc.iot;
    {
        let mut map = state.devices.write().expect("devices lock");
        map.clear();
        for d in all
            .iter()
            .filter(|d| d.status == rules::DeviceStatus::Active)
        {
            map.insert(d.external_id.clone(), Arc::new(super::known(d)));
        }
    }
    {
        let mut g = state.last_seen.lock().expect("last seen lock");
        for d in &all {
            if let Some(at) = d.last_seen_at {
                let e = g.0.entry(d.id).or_insert(at);
                if *e < at {
                    *e = at;
                }
            }
        }
    }
    let open = repo::open_exceedances(c).await?;
    let mut map = state.open.lock().expect("open lock");
    map.clear();
    for x in open {
        map.insert(
            (x.device_id, x.metric),
            OpenExceedance {
                id: x.id,
                threshold: x.threshold,
                started_at: x.started_at,
                last_at: x.last_at,
                peak: x.peak,
                count: x.count,
            },
        );
    }
    Ok(())
}

/// Reads one message: the device from the topic, the readings from the payload. A refusal is
/// counted with its reason and sampled; it never fails otherwise.
pub fn accept(
    state: &IotState,
    topic: &str,
    payload: &[u8],
    received_at: DateTime<Utc>,
) -> std::result::Result<Accepted, BadReason> {
    let r = (|| {
        let limits = state.limits();
        // The size bound first: nothing larger is looked at.
        if payload.len() > limits.max_bytes {
            return Err(BadReason::TooLarge);
        }
        let ext = rules::device_in_topic(topic)?;
        let device = state.device(ext).ok_or(BadReason::UnknownDevice)?;
        let m = rules::parse_message(payload, received_at, &limits)?;
        Ok(Accepted {
            device,
            msg_id: m.id,
            readings: m.readings,
            received_at,
        })
    })();
    if let Err(reason) = r {
        state.count_bad(reason, topic, payload, received_at);
    }
    r
}

/// An exceedance as a batch leaves it: device, metric, the interval, when it ended.
type Touched = (Uuid, String, OpenExceedance, Option<DateTime<Utc>>);

/// What a batch did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Written {
    pub readings: usize,
    pub duplicates: usize,
    pub exceedances_opened: usize,
}

/// Writes a batch of accepted messages in one transaction, then tells `observer` about the
/// readings that were new. On error nothing is written and the memory is unchanged, so the
/// caller may retry the same batch.
pub async fn write_batch(
    svc: &Services,
    batch: &[Accepted],
    observer: &dyn ReadingObserver,
) -> Result<Written> {
    let state = &svc.iot;
    let mut written = Written::default();
    let total: usize = batch.iter().map(Accepted::len).sum();
    let tx = svc.store.begin_bulk().await?;
    // 1. Whole messages seen before (their id) are duplicates.
    let mut ids: Vec<(Uuid, String, DateTime<Utc>)> = Vec::new();
    let mut seen_ids: HashSet<(Uuid, &str)> = HashSet::new();
    for a in batch {
        if let Some(m) = &a.msg_id
            && seen_ids.insert((a.device.info.id, m.as_str()))
        {
            ids.push((a.device.info.id, m.clone(), a.received_at));
        }
    }
    let new_ids = if ids.is_empty() {
        HashSet::new()
    } else {
        repo::insert_messages(&tx, &ids).await?
    };
    let mut taken_ids: HashSet<(Uuid, &str)> = HashSet::new();
    let mut raw: Vec<RawReading> = Vec::with_capacity(total);
    let mut owner: Vec<usize> = Vec::with_capacity(total);
    for (i, a) in batch.iter().enumerate() {
        if let Some(m) = &a.msg_id {
            let key = (a.device.info.id, m.as_str());
            // New to the store, and the first message of the batch with this id.
            if !new_ids.contains(&(key.0, m.clone())) || !taken_ids.insert(key) {
                continue;
            }
        }
        for (metric, value, at) in &a.readings {
            raw.push(RawReading {
                device_id: a.device.info.id,
                metric: metric.clone(),
                at: *at,
                value: *value,
                received_at: a.received_at,
            });
            owner.push(i);
        }
    }
    // 2. Readings stored before (same device, metric and time) are duplicates too.
    let fresh = if raw.is_empty() {
        Vec::new()
    } else {
        repo::insert_readings(&tx, &raw).await?
    };
    written.readings = fresh.len();
    written.duplicates = total - fresh.len();
    // In per-device time order: what the aggregates, the exceedances and the observer read.
    let mut accepted: Vec<(usize, &RawReading)> =
        fresh.iter().map(|&k| (owner[k], &raw[k])).collect();
    accepted.sort_by_key(|a| (a.1.device_id, a.1.at));
    // 3. Minute aggregates.
    let mut minutes: HashMap<(Uuid, &str, DateTime<Utc>), Minute> = HashMap::new();
    for (_, r) in &accepted {
        let minute = rules::minute_of(r.at);
        minutes
            .entry((r.device_id, r.metric.as_str(), minute))
            .and_modify(|m| {
                m.min = m.min.min(r.value);
                m.max = m.max.max(r.value);
                m.sum += r.value;
                m.count += 1;
                if r.at >= m.last_at {
                    m.last = r.value;
                    m.last_at = r.at;
                }
            })
            .or_insert_with(|| Minute {
                device_id: r.device_id,
                metric: r.metric.clone(),
                minute,
                min: r.value,
                max: r.value,
                sum: r.value,
                count: 1,
                last: r.value,
                last_at: r.at,
            });
    }
    let minutes: Vec<Minute> = minutes.into_values().collect();
    repo::merge_minutes(&tx, &minutes).await?;
    // 4. Exceedances, against a copy of the open ones (kept only once committed). Every
    // interval touched is written as it ends the batch: still open, or ended.
    let mut changed: HashMap<(Uuid, String), Option<OpenExceedance>> = HashMap::new();
    let mut touched: HashMap<Uuid, Touched> = HashMap::new();
    {
        let open = state.open.lock().expect("open lock");
        for (i, r) in &accepted {
            let dev = &batch[*i].device.info;
            let Some(&threshold) = dev.thresholds.get(&r.metric) else {
                continue;
            };
            let key = (r.device_id, r.metric.clone());
            let current = match changed.get(&key) {
                Some(x) => x.clone(),
                None => open.get(&key).cloned(),
            };
            match rules::exceedance_step(current.as_ref(), threshold, r.value, r.at, Uuid::now_v7) {
                ExceedanceStep::None => {}
                ExceedanceStep::Open(o) | ExceedanceStep::Extend(o) => {
                    if current.is_none() {
                        written.exceedances_opened += 1;
                    }
                    touched.insert(o.id, (r.device_id, r.metric.clone(), o.clone(), None));
                    changed.insert(key, Some(o));
                }
                ExceedanceStep::Close { ended_at, .. } => {
                    let o = current.expect("closing an open exceedance");
                    touched.insert(o.id, (r.device_id, r.metric.clone(), o, Some(ended_at)));
                    changed.insert(key, None);
                }
            }
        }
    }
    let rows: Vec<repo::ExceedanceRow<'_>> = touched
        .values()
        .map(|(device, metric, o, ended_at)| (*device, metric.as_str(), o, *ended_at))
        .collect();
    repo::put_exceedances(&tx, &rows).await?;
    tx.commit().await?;
    // Durable: now the memory follows.
    {
        let mut open = state.open.lock().expect("open lock");
        for (k, o) in changed {
            match o {
                Some(o) => open.insert(k, o),
                None => open.remove(&k),
            };
        }
    }
    let mut last: HashMap<Uuid, DateTime<Utc>> = HashMap::new();
    for a in batch {
        let e = last.entry(a.device.info.id).or_insert(a.received_at);
        if *e < a.received_at {
            *e = a.received_at;
        }
    }
    state.saw(last);
    state.count(|s| {
        s.messages += batch.len() as u64;
        s.readings += written.readings as u64;
        s.duplicates += written.duplicates as u64;
        s.batches += 1;
        s.exceedances_opened += written.exceedances_opened as u64;
        s.last_batch_at = Some(Utc::now());
    });
    if !accepted.is_empty() {
        let seen: Vec<(Arc<DeviceInfo>, Reading)> = accepted
            .iter()
            .map(|(i, r)| {
                (
                    batch[*i].device.info.clone(),
                    Reading {
                        device_id: r.device_id,
                        metric: r.metric.clone(),
                        value: r.value,
                        at: r.at,
                    },
                )
            })
            .collect();
        if let Err(e) = observer.observe(&seen).await {
            // The readings are stored; the observer's failure is its own (logged).
            tracing::warn!(error = %e, "iot observer failed on a batch");
        }
    }
    Ok(written)
}

/// Writes the last-seen times that moved since the previous call (every minute from the
/// consumer), so silence is detected after a restart too.
pub async fn persist_last_seen(svc: &Services) -> Result<usize> {
    let dirty: Vec<(Uuid, DateTime<Utc>)> = {
        let mut g = svc.iot.last_seen.lock().expect("last seen lock");
        let (map, dirty) = &mut *g;
        dirty
            .drain()
            .filter_map(|id| map.get(&id).map(|at| (id, *at)))
            .collect()
    };
    if dirty.is_empty() {
        return Ok(0);
    }
    for chunk in dirty.chunks(1_000) {
        let tx = svc.store.begin_bulk().await?;
        repo::set_last_seen(&tx, chunk).await?;
        tx.commit().await?;
    }
    Ok(dirty.len())
}

/// Tells `observer` about the devices silent at `now` (the consumer calls it every minute).
pub async fn check_silence(
    svc: &Services,
    observer: &dyn ReadingObserver,
    now: DateTime<Utc>,
) -> Result<usize> {
    let silent = svc.iot.silent_devices(now);
    if !silent.is_empty() {
        observer.silent(&silent, now).await?;
    }
    Ok(silent.len())
}

/// Deletes raw readings older than the retention (the payload limits' `max_age`) at `now`;
/// aggregates and exceedances stay.
pub async fn purge(svc: &Services, now: DateTime<Utc>) -> Result<u64> {
    let before = now - svc.iot.limits().max_age;
    let tx = svc.store.begin_bulk().await?;
    let n = repo::purge(&tx, before).await?;
    tx.commit().await?;
    Ok(n)
}
