//! `lianjian bench --risk-score`: scoring the synthetic province with the risk model (issue 16
//! item 4, performance: 15,000,000 entities scored in < 60 s on two cores).
//!
//! A model is fitted on the demo's synthetic history (`services::risk::synthetic`, seed
//! `--seed`); then `--entities` synthetic entities' histories are made in blocks of 100,000
//! (not timed), and for every block the features as of the day after the history ends are
//! computed from the dated events (`domain::risk::values`, the code `services::risk` scores
//! with), scored and given their level, on every core (timed). The sum of the timed parts is
//! the scoring time. Reading the histories from the database and writing 15 million score
//! rows are not part of this figure (see docs/performance.md).

use std::time::{Duration, Instant};

use chrono::Days;
use lianjian_domain::risk::{History, Levels, values};
use lianjian_services::risk::{fit_synthetic, synthetic};
use serde_json::{Value, json};

use super::{BenchArgs, ms};

const BLOCK: usize = 100_000;

pub async fn run(a: &BenchArgs) -> anyhow::Result<Value> {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let n = a.entities as usize;
    let t = Instant::now();
    let fitted = fit_synthetic(synthetic::DEMO_ENTITIES, a.seed)
        .map_err(|e| anyhow::anyhow!("fitting the model: {e}"))?;
    let fit_time = t.elapsed();
    let m = fitted.model;
    let levels = Levels::default();
    println!(
        "model fitted on {} synthetic entities ({} inspections, {} features): {:.0} ms",
        synthetic::DEMO_ENTITIES,
        fitted.samples,
        m.features.len(),
        ms(fit_time)
    );
    let as_of = synthetic::END + Days::new(1);
    let mut generate = Duration::ZERO;
    let mut score = Duration::ZERO;
    let mut counts = [0u64; 5];
    let mut sum = 0.0f64;
    let mut done = 0usize;
    let mut block_no = 0u64;
    while done < n {
        let size = BLOCK.min(n - done);
        let per = size.div_ceil(cores);
        let t = Instant::now();
        let block: Vec<History> = std::thread::scope(|s| {
            let hs: Vec<_> = (0..cores)
                .map(|k| {
                    let seed = a.seed ^ (block_no << 20) ^ (k as u64) << 8;
                    let count = per.min(size.saturating_sub(k * per));
                    s.spawn(move || synthetic::histories(count, seed))
                })
                .collect();
            hs.into_iter()
                .flat_map(|h| h.join().expect("generator does not panic"))
                .collect()
        });
        generate += t.elapsed();
        let t = Instant::now();
        let parts: Vec<([u64; 5], f64)> = std::thread::scope(|s| {
            let hs: Vec<_> = block
                .chunks(per.max(1))
                .map(|chunk| {
                    let m = &m;
                    let levels = &levels;
                    s.spawn(move || {
                        let mut c = [0u64; 5];
                        let mut total = 0.0;
                        for h in chunk {
                            let p = m.probability(&values(&m.features, h, as_of));
                            c[levels.level(p) as usize] += 1;
                            total += p;
                        }
                        (c, total)
                    })
                })
                .collect();
            hs.into_iter()
                .map(|h| h.join().expect("scoring does not panic"))
                .collect()
        });
        score += t.elapsed();
        for (c, t) in parts {
            for k in 0..5 {
                counts[k] += c[k];
            }
            sum += t;
        }
        done += size;
        block_no += 1;
    }
    println!(
        "{n} entities: histories made in {:.0} ms (not timed); features, scores and levels on {cores} cores: {:.0} ms (levels 1–5: {:?}, mean probability {:.3})",
        ms(generate),
        ms(score),
        counts,
        sum / n.max(1) as f64
    );
    Ok(json!({
        "entities": n,
        "cores": cores,
        "fit_ms": ms(fit_time),
        "generate_ms": ms(generate),
        "score_ms": ms(score),
        "levels": counts,
        "mean_probability": sum / n.max(1) as f64,
        "auc_held_out": fitted.evaluation.as_ref().and_then(|e| e.auc),
    }))
}
