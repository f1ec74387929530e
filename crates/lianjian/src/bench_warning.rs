//! `lianjian bench --warning-eval`: the streaming evaluator of device readings
//! (`domain::warning::ReadingEvaluator`, issue 16: the ingest must sustain ≥ 20,000 readings/s
//! on two cores across 100,000 devices). One core, no database: `--devices` devices (fridges
//! reporting temperature, kitchen cameras reporting events, gas alarms), the standard device
//! rules of the demo (cold chain > 8 ℃ for 30 minutes, rats, smoking, open bins, no gloves, gas
//! alarm, offline > 60 minutes), `--readings` readings in per-device time order (one round of
//! every device per simulated minute, deterministic from `--seed`, with excursions and
//! events), then one silence sweep over every device. Reports readings/s, the triggers raised
//! and the state held.

use std::collections::BTreeMap;
use std::time::Instant;

use chrono::{Duration, TimeZone, Utc};
use lianjian_domain::warning::{
    Condition, DeviceInfo, Level, Op, PlanStep, PushRule, Reading, ReadingEvaluator, StepDeadline,
    WarningRule,
};
use uuid::Uuid;

use super::BenchArgs;

fn rule(code: &str, name: &str, level: Level, condition: Condition) -> WarningRule {
    WarningRule {
        id: Uuid::now_v7(),
        version: 1,
        code: code.into(),
        name: name.into(),
        sector: "食品".into(),
        level,
        assessment: None,
        condition,
        push: PushRule {
            lines: vec!["market".into()],
            item_departments: false,
        },
        plan: vec![PlanStep {
            name: "现场核查".into(),
            deadline: StepDeadline::Hours(4),
        }],
    }
}

/// The demo's device rules (services::demo seeds the same).
pub fn rules() -> Vec<WarningRule> {
    let ev = |m: &str| Condition::Event {
        metric: m.into(),
        value: 1.0,
    };
    vec![
        rule(
            "YJ-LL-01",
            "冷链温度超标",
            Level::Yellow,
            Condition::Reading {
                metric: "temperature".into(),
                op: Op::Gt,
                value: 8.0,
                for_minutes: 30,
            },
        ),
        rule("YJ-MCLZ-01", "明厨亮灶鼠患", Level::Red, ev("rat")),
        rule("YJ-MCLZ-02", "后厨吸烟", Level::Yellow, ev("smoking")),
        rule("YJ-MCLZ-03", "垃圾桶未加盖", Level::Yellow, ev("bin_open")),
        rule("YJ-MCLZ-04", "未佩戴手套", Level::Blue, ev("no_gloves")),
        rule("YJ-RQ-01", "燃气报警", Level::Red, ev("gas_alarm")),
        rule(
            "YJ-LX-01",
            "设备离线",
            Level::Blue,
            Condition::Silence { minutes: 60 },
        ),
    ]
}

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
}

pub fn run(a: &BenchArgs) -> anyhow::Result<String> {
    let n = a.warning_devices as usize;
    let total = a.warning_readings;
    anyhow::ensure!(n > 0, "--warning-devices must be at least 1");
    let mut rng = Rng(a.seed);
    let kinds = ["fridge", "camera", "gas"];
    let devices: Vec<DeviceInfo> = (0..n)
        .map(|i| DeviceInfo {
            id: Uuid::from_u128((a.seed as u128) << 64 | i as u128),
            kind: kinds[i % 3].into(),
            entity_id: Uuid::from_u128(i as u128 / 3 + 1),
            thresholds: BTreeMap::new(),
        })
        .collect();
    let camera_events = ["rat", "smoking", "bin_open", "no_gloves", "person"];
    let start = Utc.with_ymd_and_hms(2026, 12, 7, 0, 0, 0).unwrap();
    // Readings made before timing (the ingest's JSON parsing is not the evaluator's cost).
    let mut readings = Vec::with_capacity(total as usize);
    let mut minute = 0i64;
    // A fridge's temperature drifts; a few run warm for a while (excursions).
    let mut temp: Vec<f64> = (0..n).map(|_| 4.0).collect();
    'outer: loop {
        for (i, d) in devices.iter().enumerate() {
            if readings.len() as u64 >= total {
                break 'outer;
            }
            let r = rng.next();
            let (metric, value) = match i % 3 {
                0 => {
                    let t = &mut temp[i];
                    let step = ((r % 1000) as f64 / 1000.0 - 0.5) * 0.6;
                    *t = (*t + step + if r.is_multiple_of(997) { 5.0 } else { 0.0 })
                        .clamp(-20.0, 15.0);
                    if *t > 6.0 && r.is_multiple_of(7) {
                        *t -= 2.0;
                    }
                    ("temperature", *t)
                }
                1 => {
                    let e = camera_events[(r % 5) as usize];
                    (
                        e,
                        if (r >> 8).is_multiple_of(50) {
                            1.0
                        } else {
                            0.0
                        },
                    )
                }
                _ => (
                    "gas_alarm",
                    if (r >> 8).is_multiple_of(5000) {
                        1.0
                    } else {
                        0.0
                    },
                ),
            };
            readings.push(Reading {
                device_id: d.id,
                metric: metric.to_string(),
                value,
                at: start + Duration::minutes(minute),
            });
        }
        minute += 1;
    }
    let mut ev = ReadingEvaluator::new(rules());
    let t = Instant::now();
    let mut triggers = 0usize;
    for r in &readings {
        let d = &devices[(r.device_id.as_u128() & 0xFFFF_FFFF_FFFF_FFFF) as usize];
        triggers += ev.observe(d, r).len();
    }
    let observe = t.elapsed();
    let t = Instant::now();
    let now = start + Duration::minutes(minute + 90);
    let last = start + Duration::minutes(minute);
    let mut silent = 0usize;
    for d in &devices {
        silent += ev.silent(d, last, now).len();
    }
    let sweep = t.elapsed();
    let rate = readings.len() as f64 / observe.as_secs_f64();
    Ok(format!(
        "devices {n}, readings {}, simulated minutes {minute}\n\
         observe: {:.3} s, {:.0} readings/s on one core, {triggers} triggers\n\
         silence sweep over every device: {:.1} ms, {silent} triggers\n\
         state held: {} (device, rule) pairs, {} rules",
        readings.len(),
        observe.as_secs_f64(),
        rate,
        sweep.as_secs_f64() * 1000.0,
        ev.state_count(),
        ev.rule_count(),
    ))
}
