//! 风险预测模型 in the console (issue 16 item 4): the newest model with its evaluation on the
//! held-out period (Chicago's re-ordered schedule, calibration, AUC) and its coefficients, the
//! level distribution, the entities overdue for their level's minimum inspection frequency, a
//! form to fit a new model now, every model version, and an entity's score explained per
//! feature. Staff only; never on the portal.

use std::collections::BTreeMap;

use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use lianjian_domain::risk::{Evaluation, Level, Levels};
use lianjian_services::accounts::SessionAuth;
use lianjian_services::risk::{self, FitInput, RiskModel};

use super::{Chrome, ConsoleError, CsrfForm, Pager, PathId, form_errors, local, render, see_other};
use crate::AppState;
use crate::extract::Console;

type Form = BTreeMap<String, String>;

fn pct(x: f64) -> String {
    format!("{:.1}%", x * 100.0)
}

fn pct_opt(x: Option<f64>) -> String {
    x.map_or_else(|| "—".into(), pct)
}

/// A model as the pages show it.
pub struct ModelView {
    id: String,
    version: i32,
    region: String,
    synthetic: bool,
    train: String,
    held_out: String,
    samples: i64,
    positives: i64,
    fitted: String,
    by: String,
    scored: String,
    /// (feature label, coefficient, mean, scale)
    coefficients: Vec<(String, String, String, String)>,
    intercept: String,
    evaluation: Option<EvalView>,
    /// (level label, lower bound, months)
    levels: Vec<(String, String, u32)>,
}

/// The evaluation table.
pub struct EvalView {
    period: String,
    inspections: u64,
    problems: u64,
    days_earlier: String,
    first_half_actual: String,
    first_half_model: String,
    auc: String,
    /// (rank, inspections, mean predicted, observed rate)
    deciles: Vec<(usize, u64, String, String)>,
}

fn eval_view(e: &Evaluation) -> EvalView {
    EvalView {
        period: format!("{} 至 {}", e.period_from, e.period_to),
        inspections: e.inspections,
        problems: e.problems,
        days_earlier: e
            .mean_days_earlier
            .map_or_else(|| "—".into(), |d| format!("{d:.1} 天")),
        first_half_actual: pct_opt(e.first_half_actual),
        first_half_model: pct_opt(e.first_half_model),
        auc: e.auc.map_or_else(|| "—".into(), |a| format!("{a:.3}")),
        deciles: e
            .deciles
            .iter()
            .enumerate()
            .map(|(i, d)| {
                (
                    i + 1,
                    d.inspections,
                    pct(d.mean_predicted),
                    pct(d.observed_rate),
                )
            })
            .collect(),
    }
}

fn level_rows(l: &Levels) -> Vec<(String, String, u32)> {
    Level::ALL
        .iter()
        .enumerate()
        .map(|(i, lv)| {
            let bound = l
                .thresholds
                .get(i)
                .map_or_else(|| "其余".into(), |t| format!("≥ {}", pct(*t)));
            (lv.label().to_string(), bound, l.months_of(*lv))
        })
        .collect()
}

fn model_view(c: &Chrome, m: &RiskModel) -> ModelView {
    let d = &m.definition;
    ModelView {
        id: m.id.to_string(),
        version: m.version,
        region: c.region_name(m.region_code.as_str()).to_string(),
        synthetic: m.origin == "demo",
        train: format!("{} 至 {}", m.train_from, m.train_to),
        held_out: format!("{} 至 {}", m.train_to + chrono::Days::new(1), m.eval_to),
        samples: m.samples,
        positives: m.positives,
        fitted: local(&m.fitted_at),
        by: m.fitted_by.clone(),
        scored: m
            .scored_on
            .map_or_else(|| "尚未评分".into(), |d| format!("{d}，{} 户", m.scored)),
        coefficients: d
            .features
            .iter()
            .enumerate()
            .map(|(i, f)| {
                (
                    f.label.clone(),
                    format!("{:+.3}", d.coefficients[i]),
                    format!("{:.2}", d.means[i]),
                    format!("{:.2}", d.scales[i]),
                )
            })
            .collect(),
        intercept: format!("{:+.3}", d.intercept),
        evaluation: m.evaluation.as_ref().map(eval_view),
        levels: level_rows(&m.levels),
    }
}

// ---------------------------------------------------------------------------------------
// The risk page

#[derive(Template)]
#[template(path = "console/risk.html")]
struct RiskPage {
    c: Chrome,
    latest: Option<ModelView>,
    /// (level label, months, entities)
    counts: Vec<(String, u32, i64)>,
    /// (entity id, name, usci, level label, probability, last inspected)
    overdue: Vec<(String, String, String, String, String, String)>,
    pager: Pager,
    /// 随机对照检验 per year: (year, control "n · rate (interval)", weighted the same, lift).
    lift: Vec<(i32, String, String, String)>,
    /// (id, version, region, fitted, origin)
    models: Vec<(String, i32, String, String, bool)>,
    can_fit: bool,
    region: String,
    form: Form,
    errors: Vec<String>,
    notice: Option<&'static str>,
}

async fn risk_page(
    st: &AppState,
    s: &SessionAuth,
    q: &[(String, String)],
    form: Form,
    errors: Vec<String>,
    notice: Option<&'static str>,
) -> Result<Response, ConsoleError> {
    let c = Chrome::new(&st.svc, s, "warnings").await;
    let ov = risk::overview(&st.svc, &s.actor, Pager::request(q, 20)).await?;
    let models = risk::models(
        &st.svc,
        &s.actor,
        lianjian_domain::page::PageRequest::new(Some(1), Some(50)),
    )
    .await?;
    let counts = Level::ALL
        .iter()
        .enumerate()
        .map(|(i, l)| (l.label().to_string(), ov.levels.months_of(*l), ov.counts[i]))
        .collect();
    let overdue = ov
        .overdue
        .items
        .iter()
        .map(|o| {
            (
                o.entity_id.to_string(),
                o.entity_name.clone(),
                o.usci.clone(),
                Level::from_number(o.level)
                    .map_or("", Level::label)
                    .to_string(),
                pct(o.probability),
                o.last_inspected_on
                    .map_or_else(|| "从未检查".into(), |d| d.to_string()),
            )
        })
        .collect();
    let arm = |a: &lianjian_domain::risk::Arm| match (a.rate, a.interval) {
        (Some(r), Some((lo, hi))) => format!(
            "{} 次，发现问题 {} 次，{}（95% 区间 {}–{}）",
            a.inspected,
            a.problems,
            pct(r),
            pct(lo),
            pct(hi)
        ),
        _ => "尚无结果".into(),
    };
    let lift = ov
        .control_lift
        .iter()
        .map(|l| {
            (
                l.year,
                arm(&l.control),
                arm(&l.weighted),
                l.lift.map_or_else(
                    || {
                        format!(
                            "样本不足（每组至少 {} 个结果）",
                            lianjian_domain::risk::MIN_ARM_RESULTS
                        )
                    },
                    |x| format!("{x:.2} 倍"),
                ),
            )
        })
        .collect();
    let page = RiskPage {
        lift,
        latest: ov.latest.as_ref().map(|m| model_view(&c, m)),
        counts,
        overdue,
        pager: Pager::of(&ov.overdue, q),
        models: models
            .items
            .iter()
            .map(|m| {
                (
                    m.id.to_string(),
                    m.version,
                    c.region_name(m.region_code.as_str()).to_string(),
                    local(&m.fitted_at),
                    m.origin == "demo",
                )
            })
            .collect(),
        can_fit: risk::may_fit(&s.actor),
        region: form.get("region_code").cloned().unwrap_or_default(),
        form,
        notice,
        c,
        errors: errors.clone(),
    };
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    Ok((status, render(page)).into_response())
}

pub async fn page(
    State(st): State<AppState>,
    Console(s): Console,
    Query(q): Query<Vec<(String, String)>>,
) -> Result<Response, ConsoleError> {
    let notice = q
        .iter()
        .any(|(k, v)| k == "ok" && v == "fitted")
        .then_some("已拟合新模型并完成评分");
    risk_page(&st, &s, &q, Form::new(), Vec::new(), notice).await
}

pub async fn fit(
    State(st): State<AppState>,
    Console(s): Console,
    CsrfForm(f): CsrfForm<Form>,
) -> Result<Response, ConsoleError> {
    let get = |k: &str| f.get(k).cloned().unwrap_or_default();
    let input = FitInput {
        region_code: get("region_code"),
        train_from: get("train_from"),
        train_to: get("train_to"),
        eval_to: get("eval_to"),
        thresholds: get("thresholds"),
        months: get("months"),
    };
    match risk::fit(&st.svc, &s.actor, &input).await {
        Ok(_) => Ok(see_other("/console/risk?ok=fitted")),
        Err(e) => {
            let errors = form_errors(e)?.into_values().collect();
            risk_page(&st, &s, &[], f, errors, None).await
        }
    }
}

// ---------------------------------------------------------------------------------------
// A model

#[derive(Template)]
#[template(path = "console/risk_model.html")]
struct ModelPage {
    c: Chrome,
    mv: ModelView,
}

pub async fn model(
    State(st): State<AppState>,
    Console(s): Console,
    PathId(id): PathId,
) -> Result<Response, ConsoleError> {
    let m = risk::model(&st.svc, &s.actor, id).await?;
    let c = Chrome::new(&st.svc, &s, "warnings").await;
    let page = ModelPage {
        mv: model_view(&c, &m),
        c,
    };
    Ok(render(page).into_response())
}

// ---------------------------------------------------------------------------------------
// An entity

#[derive(Template)]
#[template(path = "console/risk_entity.html")]
struct EntityPage {
    c: Chrome,
    id: String,
    name: String,
    usci: String,
    scored: bool,
    probability: String,
    level: String,
    months: String,
    scored_on: String,
    model_id: String,
    model_version: String,
    intercept: String,
    log_odds: String,
    /// (label, value, standardised, coefficient, contribution)
    rows: Vec<(String, String, String, String, String)>,
}

pub async fn entity(
    State(st): State<AppState>,
    Console(s): Console,
    PathId(id): PathId,
) -> Result<Response, ConsoleError> {
    let r = risk::entity_risk(&st.svc, &s.actor, id).await?;
    let c = Chrome::new(&st.svc, &s, "warnings").await;
    let mut rows: Vec<(String, String, String, String, String, f64)> = r
        .explanation
        .as_ref()
        .map(|e| {
            e.contributions
                .iter()
                .map(|x| {
                    (
                        x.label.clone(),
                        format!("{}", (x.value * 100.0).round() / 100.0),
                        format!("{:+.2}", x.standardised),
                        format!("{:+.3}", x.coefficient),
                        format!("{:+.3}", x.contribution),
                        x.contribution,
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    // Largest effect first: what raises the score most, then what lowers it most.
    rows.sort_by(|a, b| b.5.abs().total_cmp(&a.5.abs()));
    let page = EntityPage {
        id: r.entity_id.to_string(),
        name: r.name.clone(),
        usci: r.usci.clone(),
        scored: r.score.is_some(),
        probability: r
            .score
            .as_ref()
            .map(|x| pct(x.probability))
            .unwrap_or_default(),
        level: r.level_label.clone().unwrap_or_default(),
        months: r
            .frequency_months
            .map(|m| format!("{m} 个月"))
            .unwrap_or_default(),
        scored_on: r
            .score
            .as_ref()
            .map(|x| x.scored_on.to_string())
            .unwrap_or_default(),
        model_id: r.model_id.map(|x| x.to_string()).unwrap_or_default(),
        model_version: r.model_version.map(|v| v.to_string()).unwrap_or_default(),
        intercept: r
            .explanation
            .as_ref()
            .map(|e| format!("{:+.3}", e.intercept))
            .unwrap_or_default(),
        log_odds: r
            .explanation
            .as_ref()
            .map(|e| format!("{:+.3}", e.log_odds))
            .unwrap_or_default(),
        rows: rows
            .into_iter()
            .map(|(a, b, c, d, e, _)| (a, b, c, d, e))
            .collect(),
        c,
    };
    Ok(render(page).into_response())
}
