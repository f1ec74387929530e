//! IoT sensing for non-site supervision (物联网感知监测, 国办发〔2023〕1号 (八)、(十五), 舞阳 (四)):
//!
//! - [`devices`]: the device registry (设备登记), scoped like the directory;
//! - [`ingest`]: what the consumer does with a message — parse, refuse with a counted reason,
//!   write batches (raw readings, minute aggregates, exceedances) and tell the
//!   [`ReadingObserver`] (the warnings' evaluator) after each batch is durable;
//! - [`mqtt`]: the MQTT consumer (QoS 1, persistent session, acknowledged only after the batch
//!   is written) — docs/iot.md describes the topics and payloads.
//!
//! [`IotState`] is the ingest's memory, shared by the consumer and the console (counters,
//! samples of refused messages, last-seen times).

pub mod devices;
pub mod ingest;
pub mod mqtt;
pub mod warnings;

use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, RwLock};

use chrono::{DateTime, Utc};
use lianjian_domain::iot::{BadReason, DeviceInfo, OpenExceedance, PayloadLimits, Reading};
use lianjian_domain::region::RegionCode;
use serde::Serialize;
use uuid::Uuid;

use crate::Result;

/// A boxed future, for the object-safe [`ReadingObserver`].
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Told about readings once they are durably written, and about silent devices. The warnings'
/// evaluator (`domain::warning::ReadingEvaluator`) plugs in here through a thin adapter: the
/// field names of [`DeviceInfo`] and [`Reading`] are its own.
pub trait ReadingObserver: Send + Sync {
    /// The accepted readings of a batch (duplicates dropped), in per-device time order.
    fn observe<'a>(&'a self, batch: &'a [(Arc<DeviceInfo>, Reading)]) -> BoxFuture<'a, Result<()>>;
    /// Devices silent for longer than their silence minutes, with their last-seen time
    /// (checked every minute, for as long as they stay silent).
    fn silent<'a>(
        &'a self,
        devices: &'a [(Arc<DeviceInfo>, DateTime<Utc>)],
        now: DateTime<Utc>,
    ) -> BoxFuture<'a, Result<()>>;
}

/// Observes nothing (until the warnings are plugged in).
#[derive(Debug, Default, Clone, Copy)]
pub struct NoObserver;

impl ReadingObserver for NoObserver {
    fn observe<'a>(&'a self, _: &'a [(Arc<DeviceInfo>, Reading)]) -> BoxFuture<'a, Result<()>> {
        Box::pin(async { Ok(()) })
    }
    fn silent<'a>(
        &'a self,
        _: &'a [(Arc<DeviceInfo>, DateTime<Utc>)],
        _: DateTime<Utc>,
    ) -> BoxFuture<'a, Result<()>> {
        Box::pin(async { Ok(()) })
    }
}

/// A registered, active device as the ingest knows it.
#[derive(Debug, Clone)]
pub struct KnownDevice {
    pub info: Arc<DeviceInfo>,
    pub external_id: String,
    pub region_code: RegionCode,
    pub silence_minutes: u32,
}

/// A refused message kept for the console and /metrics (the newest few).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct BadSample {
    pub reason: BadReason,
    pub reason_label: String,
    pub topic: String,
    /// The payload's first bytes, as text (lossy).
    pub payload: String,
    pub received_at: DateTime<Utc>,
}

/// Samples of refused messages kept in memory.
pub const SAMPLES_KEPT: usize = 20;

/// The ingest's counters (since the process started).
#[derive(Debug, Clone, Default, Serialize, utoipa::ToSchema)]
pub struct IngestStats {
    /// Messages received (good and bad).
    pub messages: u64,
    /// Readings written.
    pub readings: u64,
    /// Readings dropped as already stored (same device, metric and time, or message id).
    pub duplicates: u64,
    /// Refused messages per reason code.
    pub bad: BTreeMap<String, u64>,
    pub batches: u64,
    /// Batches that failed to write and were retried.
    pub write_failures: u64,
    pub exceedances_opened: u64,
    pub last_batch_at: Option<DateTime<Utc>>,
    pub samples: Vec<BadSample>,
}

#[derive(Debug, Default)]
struct Counters {
    stats: IngestStats,
    samples: VecDeque<BadSample>,
}

/// Last reading time per device, and the devices whose time moved since it was persisted.
type LastSeen = (HashMap<Uuid, DateTime<Utc>>, HashSet<Uuid>);

/// The ingest's memory; one per server (`Services::iot`).
#[derive(Debug, Default)]
pub struct IotState {
    /// Active devices by their vendor id.
    devices: RwLock<HashMap<String, Arc<KnownDevice>>>,
    counters: Mutex<Counters>,
    /// Last reading time per device, and which changed since they were last persisted.
    last_seen: Mutex<LastSeen>,
    /// Open exceedances by device and metric.
    open: Mutex<HashMap<(Uuid, String), OpenExceedance>>,
    limits: RwLock<PayloadLimits>,
}

/// A shared handle to the [`IotState`]. Cheap to clone.
#[derive(Debug, Clone, Default)]
pub struct IotHandle(pub Arc<IotState>);

impl std::ops::Deref for IotHandle {
    type Target = IotState;
    fn deref(&self) -> &IotState {
        &self.0
    }
}

impl IotState {
    pub fn limits(&self) -> PayloadLimits {
        *self.limits.read().expect("limits lock")
    }

    /// Sets the payload limits (the server's `[mqtt]` settings).
    pub fn set_limits(&self, l: PayloadLimits) {
        *self.limits.write().expect("limits lock") = l;
    }

    pub(crate) fn device(&self, external_id: &str) -> Option<Arc<KnownDevice>> {
        self.devices
            .read()
            .expect("devices lock")
            .get(external_id)
            .cloned()
    }

    /// Puts a device in the cache (or takes it out when retired); the registry calls this
    /// after each change it commits.
    pub(crate) fn remember(&self, d: &lianjian_store::iot::Device) {
        let mut map = self.devices.write().expect("devices lock");
        map.retain(|_, k| k.info.id != d.id);
        if d.status == lianjian_domain::iot::DeviceStatus::Active {
            map.insert(d.external_id.clone(), Arc::new(known(d)));
        }
    }

    /// The counters and the newest samples.
    pub fn stats(&self) -> IngestStats {
        let c = self.counters.lock().expect("counters lock");
        let mut s = c.stats.clone();
        s.samples = c.samples.iter().rev().cloned().collect();
        s
    }

    pub(crate) fn count_bad(
        &self,
        reason: BadReason,
        topic: &str,
        payload: &[u8],
        at: DateTime<Utc>,
    ) {
        let mut c = self.counters.lock().expect("counters lock");
        c.stats.messages += 1;
        *c.stats.bad.entry(reason.as_str().to_string()).or_default() += 1;
        if c.samples.len() == SAMPLES_KEPT {
            c.samples.pop_front();
        }
        let cut = &payload[..payload.len().min(200)];
        c.samples.push_back(BadSample {
            reason,
            reason_label: reason.label_zh().to_string(),
            topic: topic.chars().take(200).collect(),
            payload: String::from_utf8_lossy(cut).into_owned(),
            received_at: at,
        });
        tracing::debug!(reason = reason.as_str(), topic, "iot message refused");
    }

    pub(crate) fn count(&self, f: impl FnOnce(&mut IngestStats)) {
        f(&mut self.counters.lock().expect("counters lock").stats);
    }

    /// When a device was last heard from (memory first, then what was persisted).
    pub fn last_seen(&self, device: Uuid) -> Option<DateTime<Utc>> {
        self.last_seen
            .lock()
            .expect("last seen lock")
            .0
            .get(&device)
            .copied()
    }

    pub(crate) fn saw(&self, seen: impl IntoIterator<Item = (Uuid, DateTime<Utc>)>) {
        let mut g = self.last_seen.lock().expect("last seen lock");
        let (map, dirty) = &mut *g;
        for (id, at) in seen {
            let e = map.entry(id).or_insert(at);
            if *e < at {
                *e = at;
            }
            if *e == at {
                dirty.insert(id);
            }
        }
    }

    /// Active devices whose last reading is older than their silence minutes at `now`.
    /// Devices never heard from are not silent (they have not started reporting).
    pub fn silent_devices(&self, now: DateTime<Utc>) -> Vec<(Arc<DeviceInfo>, DateTime<Utc>)> {
        let devices = self.devices.read().expect("devices lock");
        let seen = self.last_seen.lock().expect("last seen lock");
        let mut out: Vec<_> = devices
            .values()
            .filter_map(|d| {
                let last = *seen.0.get(&d.info.id)?;
                (now - last > chrono::Duration::minutes(i64::from(d.silence_minutes)))
                    .then(|| (d.info.clone(), last))
            })
            .collect();
        out.sort_by_key(|(d, _)| d.id);
        out
    }
}

fn known(d: &lianjian_store::iot::Device) -> KnownDevice {
    KnownDevice {
        info: Arc::new(DeviceInfo {
            id: d.id,
            kind: d.kind.as_str().to_string(),
            entity_id: d.entity_id,
            thresholds: d.thresholds.clone(),
        }),
        external_id: d.external_id.clone(),
        region_code: d.region_code.clone(),
        silence_minutes: d.silence_minutes,
    }
}
