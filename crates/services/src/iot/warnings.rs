//! The warnings' side of the IoT ingest (国办发〔2023〕1号 (八): monitoring feeds the joint
//! warning): every durable batch of readings and every silent device goes through the device
//! rules in force (`domain::warning::ReadingEvaluator`), and each trigger is raised as a
//! warning or folded into the open one (`services::warnings::raise`). The ingest never waits
//! on a failed warning: the readings are stored, the failure is logged.

use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use lianjian_domain::iot::{DeviceInfo, Reading};
use lianjian_domain::warning::{ReadingEvaluator, Trigger, WarningRule};
use tokio::sync::Mutex;
use uuid::Uuid;

use super::{BoxFuture, ReadingObserver};
use crate::{Result, Services, warnings};

/// How often the rules in force are compared with the evaluator's (a new version or a rule
/// switched off takes effect within this time).
const RULES_CHECKED_EVERY: Duration = Duration::from_secs(60);

/// The evaluator over the device rules in force, fed by the ingest.
pub struct DeviceWarnings {
    svc: Services,
    state: Mutex<Loaded>,
}

struct Loaded {
    evaluator: ReadingEvaluator,
    /// The rules (id, version) the evaluator was built from.
    rules: Vec<(Uuid, i32)>,
    checked: Instant,
}

fn fingerprint(rules: &[WarningRule]) -> Vec<(Uuid, i32)> {
    let mut v: Vec<(Uuid, i32)> = rules.iter().map(|r| (r.id, r.version)).collect();
    v.sort();
    v
}

impl DeviceWarnings {
    /// The observer for `svc`'s ingest, with the device rules in force now.
    pub async fn new(svc: Services) -> Result<Arc<Self>> {
        let rules = warnings::device_rules(&svc).await?;
        Ok(Arc::new(Self {
            svc,
            state: Mutex::new(Loaded {
                rules: fingerprint(&rules),
                evaluator: ReadingEvaluator::new(rules),
                checked: Instant::now(),
            }),
        }))
    }

    /// Rebuilds the evaluator when the rules in force changed (their running durations start
    /// again: a changed rule is a new rule).
    async fn refresh(&self, l: &mut Loaded) -> Result<()> {
        if l.checked.elapsed() < RULES_CHECKED_EVERY {
            return Ok(());
        }
        l.checked = Instant::now();
        let rules = warnings::device_rules(&self.svc).await?;
        let f = fingerprint(&rules);
        if f != l.rules {
            tracing::info!(
                rules = rules.len(),
                "device warning rules changed; evaluator rebuilt"
            );
            l.rules = f;
            l.evaluator = ReadingEvaluator::new(rules);
        }
        Ok(())
    }

    async fn raise_all(&self, triggers: Vec<Trigger>) {
        for t in triggers {
            let rule = t.rule_id;
            match warnings::raise(&self.svc, t).await {
                Ok(r) => {
                    tracing::debug!(warning = %r.id, folded = r.folded, "device warning");
                }
                Err(e) => {
                    tracing::warn!(error = %e, %rule, "a device warning could not be raised");
                }
            }
        }
    }
}

impl ReadingObserver for DeviceWarnings {
    fn observe<'a>(&'a self, batch: &'a [(Arc<DeviceInfo>, Reading)]) -> BoxFuture<'a, Result<()>> {
        Box::pin(async move {
            let triggers = {
                let mut l = self.state.lock().await;
                if let Err(e) = self.refresh(&mut l).await {
                    tracing::warn!(error = %e, "device warning rules could not be reloaded");
                }
                let mut out = Vec::new();
                for (d, r) in batch {
                    out.extend(l.evaluator.observe(d, r));
                }
                out
            };
            self.raise_all(triggers).await;
            Ok(())
        })
    }

    fn silent<'a>(
        &'a self,
        devices: &'a [(Arc<DeviceInfo>, DateTime<Utc>)],
        now: DateTime<Utc>,
    ) -> BoxFuture<'a, Result<()>> {
        Box::pin(async move {
            let triggers = {
                let mut l = self.state.lock().await;
                let mut out = Vec::new();
                for (d, last_seen) in devices {
                    out.extend(l.evaluator.silent(d, *last_seen, now));
                }
                out
            };
            self.raise_all(triggers).await;
            Ok(())
        })
    }
}
