//! `lianjian risk`: the risk model (issue 16 item 4) from the shell. `demo` fits and evaluates
//! a model on the synthetic history of a seed and prints the evaluation table (needs no
//! database: the checker re-runs it on a new seed); `fit` fits a model on a region's
//! history in the database, evaluates it, stores it and scores the region's entities.

use std::process::ExitCode;

use clap::Subcommand;
use lianjian_domain::risk::Evaluation;
use lianjian_services::risk::{self, FitInput, synthetic};
use lianjian_services::{Services, cli_actor};

#[derive(Subcommand)]
pub enum RiskCommand {
    /// Fit and evaluate on a synthetic history (合成数据) made from SEED; prints the table
    /// and, last, a JSON line with the model and its evaluation.
    Demo {
        #[arg(long, default_value_t = synthetic::DEMO_SEED)]
        seed: u64,
        #[arg(long, default_value_t = synthetic::DEMO_ENTITIES)]
        entities: usize,
    },
    /// Fit on a region's own history, evaluate on the held-out period, store the model and
    /// score every entity of the region.
    Fit {
        /// GB/T 2260 region code
        #[arg(long)]
        region: String,
        /// First day of the training window (YYYY-MM-DD)
        #[arg(long)]
        train_from: String,
        /// Last day of the training window
        #[arg(long)]
        train_to: String,
        /// Last day of the held-out period
        #[arg(long)]
        eval_to: String,
        /// Level thresholds, e.g. 0.5,0.3,0.15,0.05
        #[arg(long, default_value = "")]
        thresholds: String,
        /// Minimum frequencies in months, e.g. 6,12,18,24,36
        #[arg(long, default_value = "")]
        months: String,
    },
}

fn pct(x: Option<f64>) -> String {
    x.map_or_else(|| "—".into(), |v| format!("{:.1}%", v * 100.0))
}

/// The evaluation table as text (the console shows the same figures with definitions).
pub fn table(e: &Evaluation) -> String {
    let mut s = String::new();
    s += &format!("留出检验期 {} 至 {}\n", e.period_from, e.period_to);
    s += &format!("检查次数 {}，发现问题 {}\n", e.inspections, e.problems);
    s += &format!(
        "平均提前天数（按评分重排真实日程）: {}\n",
        e.mean_days_earlier
            .map_or_else(|| "—".into(), |d| format!("{d:.1}"))
    );
    s += &format!(
        "前一半检查发现的问题占比: 实际顺序 {}，模型顺序 {}\n",
        pct(e.first_half_actual),
        pct(e.first_half_model)
    );
    s += &format!(
        "AUC: {}\n",
        e.auc.map_or_else(|| "—".into(), |a| format!("{a:.3}"))
    );
    s += "校准（评分由低到高十组）: 组 检查次数 平均预测 实际比例\n";
    for (i, d) in e.deciles.iter().enumerate() {
        s += &format!(
            "  {:>2} {:>6} {:>7} {:>7}\n",
            i + 1,
            d.inspections,
            pct(Some(d.mean_predicted)),
            pct(Some(d.observed_rate))
        );
    }
    s
}

pub fn demo(seed: u64, entities: usize) -> anyhow::Result<ExitCode> {
    let f = risk::fit_synthetic(entities, seed).map_err(|e| anyhow::anyhow!("{e}"))?;
    println!("合成数据（synthetic history）: {entities} entities, seed {seed}");
    println!(
        "训练期 {} 至 {}: {} inspections, {} with a problem",
        synthetic::WINDOWS.train_from,
        synthetic::WINDOWS.train_to,
        f.samples,
        f.positives
    );
    println!("系数（标准化特征）:");
    for (i, x) in f.model.features.iter().enumerate() {
        println!("  {:<24} {:+.3}", x.label, f.model.coefficients[i]);
    }
    println!("  截距 {:+.3}", f.model.intercept);
    if let Some(e) = &f.evaluation {
        print!("{}", table(e));
    }
    println!(
        "{}",
        serde_json::json!({"seed": seed, "entities": entities, "samples": f.samples,
            "positives": f.positives, "model": f.model, "evaluation": f.evaluation})
    );
    Ok(ExitCode::SUCCESS)
}

pub async fn fit(svc: &Services, input: FitInput) -> anyhow::Result<ExitCode> {
    match risk::fit(svc, &cli_actor(), &input).await {
        Ok(m) => {
            println!(
                "model {} version {} of {}: {} training inspections, {} entities scored",
                m.id, m.version, m.region_code, m.samples, m.scored
            );
            match &m.evaluation {
                Some(e) => print!("{}", table(e)),
                None => println!("no inspection in the held-out period: not evaluated"),
            }
            Ok(ExitCode::SUCCESS)
        }
        Err(lianjian_services::ServiceError::Invalid(errs)) => {
            for e in errs {
                eprintln!("{}: {}", e.field, e.message_en);
            }
            Ok(ExitCode::from(2))
        }
        Err(e) => Err(anyhow::anyhow!("{e}")),
    }
}
