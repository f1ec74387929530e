//! 信用评价 in the console (issue 15 item 2): the evaluation indexes and their editor, the runs
//! with their progress and a form to start one, a run's page with the changed entities and
//! their explanations (each department sees those in its scope), and an entity's class with
//! its explanation and the override form.

use std::collections::BTreeMap;

use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use lianjian_domain::credit::evaluation::{Evaluation, IndexDef, Indicator, Rule, Thresholds};
use lianjian_services::accounts::SessionAuth;
use lianjian_services::credit::evaluation::{self as ev, IndexInput, OverrideInput, Run, RunInput};
use uuid::Uuid;

use super::{
    Chrome, ConsoleError, CsrfForm, Pager, PathId, form_errors, local, local_opt, render, see_other,
};
use crate::AppState;
use crate::extract::Console;

type Form = BTreeMap<String, String>;

fn status_label(s: &str) -> &'static str {
    match s {
        "running" => "评价中",
        "finished" => "已完成",
        _ => "失败",
    }
}

fn trigger_label(s: &str) -> &'static str {
    if s == "quarterly" {
        "季度自动评价"
    } else {
        "手动发起"
    }
}

/// A run as a row of the list and the head of its page.
pub struct RunView {
    id: Uuid,
    region: String,
    index_version: i32,
    trigger: &'static str,
    status: &'static str,
    running: bool,
    failed: bool,
    error: String,
    entities: i64,
    changed: i64,
    classes: [i64; 4],
    overridden: i64,
    started: String,
    finished: String,
    by: String,
}

fn run_view(c: &Chrome, r: &Run) -> RunView {
    RunView {
        id: r.id,
        region: c.region_name(r.region_code.as_str()).to_string(),
        index_version: r.index_version,
        trigger: trigger_label(&r.trigger),
        status: status_label(&r.status),
        running: r.status == "running",
        failed: r.status == "failed",
        error: r.error.clone().unwrap_or_default(),
        entities: r.entities,
        changed: r.changed,
        classes: [r.class_a, r.class_b, r.class_c, r.class_d],
        overridden: r.overridden,
        started: local(&r.started_at),
        finished: local_opt(&r.finished_at),
        by: r.created_by.clone(),
    }
}

// ---------------------------------------------------------------------------------------
// Runs

#[derive(Template)]
#[template(path = "console/credit_eval_runs.html")]
struct RunsPage {
    c: Chrome,
    rows: Vec<RunView>,
    pager: Pager,
    can_run: bool,
    /// (id, label) of the indexes a run may apply.
    indexes: Vec<(String, String)>,
    region: String,
    errors: Vec<String>,
}

async fn runs_page(
    st: &AppState,
    s: &SessionAuth,
    q: &[(String, String)],
    region: String,
    errors: Vec<String>,
) -> Result<Response, ConsoleError> {
    let c = Chrome::new(&st.svc, s, "credit").await;
    let req = Pager::request(q, 20);
    let page = ev::runs(&st.svc, &s.actor, req).await?;
    let pager = Pager::of(&page, q);
    let rows = page.items.iter().map(|r| run_view(&c, r)).collect();
    let indexes = ev::indexes(&st.svc, &s.actor)
        .await?
        .into_iter()
        .map(|x| {
            (
                x.id.to_string(),
                format!(
                    "{}（{}，第{}版）",
                    x.name,
                    c.region_name(x.region_code.as_str()),
                    x.version
                ),
            )
        })
        .collect();
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let page = RunsPage {
        can_run: ev::may_run(&s.actor),
        rows,
        pager,
        indexes,
        region,
        errors,
        c,
    };
    Ok((status, render(page)).into_response())
}

pub async fn runs(
    State(st): State<AppState>,
    Console(s): Console,
    Query(q): Query<Vec<(String, String)>>,
) -> Result<Response, ConsoleError> {
    runs_page(&st, &s, &q, String::new(), Vec::new()).await
}

pub async fn start(
    State(st): State<AppState>,
    Console(s): Console,
    CsrfForm(f): CsrfForm<Form>,
) -> Result<Response, ConsoleError> {
    let region = f.get("region_code").cloned().unwrap_or_default();
    let index_id = match f
        .get("index_id")
        .map(|s| s.trim())
        .filter(|s| !s.is_empty())
    {
        None => None,
        Some(v) => match v.parse::<Uuid>() {
            Ok(id) => Some(id),
            Err(_) => {
                return runs_page(&st, &s, &[], region, vec!["所选指标体系不存在".into()]).await;
            }
        },
    };
    let input = RunInput {
        region_code: region.clone(),
        index_id,
    };
    match ev::start_in_background(&st.svc, &s.actor, &input).await {
        Ok(run) => Ok(see_other(&format!(
            "/console/credit/evaluations/{}",
            run.id
        ))),
        Err(e) => {
            let errs = form_errors(e)?;
            runs_page(&st, &s, &[], region, errs.into_values().collect()).await
        }
    }
}

// ---------------------------------------------------------------------------------------
// A run

pub struct ChangeView {
    entity_id: Uuid,
    name: String,
    usci: String,
    previous: String,
    class: String,
    score: i32,
    overridden: bool,
    lines: Vec<String>,
}

fn lines_of(e: &Evaluation) -> Vec<String> {
    let mut out: Vec<String> = e
        .contributions
        .iter()
        .map(|c| format!("{}：{}", c.label, c.explanation))
        .collect();
    if let Some(f) = &e.forced {
        out.push(f.clone());
    }
    out
}

#[derive(Template)]
#[template(path = "console/credit_eval_run.html")]
struct RunPage {
    c: Chrome,
    run: RunView,
    rows: Vec<ChangeView>,
    pager: Pager,
}

pub async fn run(
    State(st): State<AppState>,
    Console(s): Console,
    PathId(id): PathId,
    Query(q): Query<Vec<(String, String)>>,
) -> Result<Response, ConsoleError> {
    let c = Chrome::new(&st.svc, &s, "credit").await;
    let (r, page) = ev::changes(&st.svc, &s.actor, id, Pager::request(&q, 50)).await?;
    let pager = Pager::of(&page, &q);
    let rows = page
        .items
        .into_iter()
        .map(|x| ChangeView {
            entity_id: x.change.entity_id,
            name: x.entity_name,
            usci: x.usci,
            previous: x
                .change
                .previous_class
                .map(|c| c.label_zh().to_string())
                .unwrap_or_else(|| "未分类".into()),
            class: x.change.class.label_zh().to_string(),
            score: x.change.score,
            overridden: x.change.overridden,
            lines: lines_of(&x.change.explanation),
        })
        .collect();
    let run = run_view(&c, &r);
    Ok(render(RunPage {
        c,
        run,
        rows,
        pager,
    }))
}

/// The run's changes in the user's scope as xlsx.
pub async fn export(
    State(st): State<AppState>,
    Console(s): Console,
    PathId(id): PathId,
) -> Result<Response, ConsoleError> {
    let bytes = ev::export_changes(&st.svc, &s.actor, id).await?;
    Ok(super::exchange::xlsx(
        &format!(
            "信用分类变动-{}.xlsx",
            lianjian_domain::visit::beijing_date(st.svc.now())
        ),
        bytes,
    ))
}

// ---------------------------------------------------------------------------------------
// Indexes

/// One indicator of the editor: its inputs and their values.
pub struct IndicatorView {
    key: &'static str,
    label: &'static str,
    bonus: bool,
    on: bool,
    weight: String,
    /// (input name, label, value)
    fields: Vec<(String, &'static str, String)>,
}

/// The editor's indicators: (form key, label, [(field, label)]).
const SPECS: &[(&str, &str, &[(&str, &str)])] = &[
    (
        "penalties",
        "行政处罚",
        &[
            ("months", "统计期（月）"),
            ("minor", "轻微处罚每次扣分"),
            ("general", "一般处罚每次扣分"),
            ("serious", "严重处罚每次扣分"),
        ],
    ),
    (
        "inspection_problems",
        "检查发现问题",
        &[
            ("months", "统计期（月）"),
            ("rectified", "已当场整改每次扣分"),
            ("open", "未整改或待后续处理每次扣分"),
        ],
    ),
    (
        "complaints",
        "查实投诉举报",
        &[("months", "统计期（月）"), ("each", "每件扣分")],
    ),
    (
        "listings",
        "名录状态",
        &[
            ("abnormal", "列入经营异常名录扣分"),
            ("dishonest", "列入严重违法失信名单扣分"),
        ],
    ),
    ("sanctions", "联合惩戒", &[("each", "每项措施扣分")]),
    (
        "commendations",
        "表彰奖励（加分）",
        &[("months", "统计期（月）"), ("each", "每次加分")],
    ),
];

fn def_to_form(def: &IndexDef) -> Form {
    let mut f = Form::new();
    for ind in &def.indicators {
        let k = ind.rule.code();
        f.insert(format!("{k}_on"), "1".into());
        f.insert(format!("{k}_weight"), ind.weight.to_string());
        let vals: Vec<(&str, u32)> = match ind.rule {
            Rule::Penalties {
                months,
                minor,
                general,
                serious,
            } => vec![
                ("months", months),
                ("minor", minor),
                ("general", general),
                ("serious", serious),
            ],
            Rule::InspectionProblems {
                months,
                rectified,
                open,
            } => {
                vec![("months", months), ("rectified", rectified), ("open", open)]
            }
            Rule::Complaints { months, each } | Rule::Commendations { months, each } => {
                vec![("months", months), ("each", each)]
            }
            Rule::Listings {
                abnormal,
                dishonest,
            } => {
                vec![("abnormal", abnormal), ("dishonest", dishonest)]
            }
            Rule::Sanctions { each } => vec![("each", each)],
        };
        for (n, v) in vals {
            f.insert(format!("{k}_{n}"), v.to_string());
        }
    }
    let t = def.thresholds;
    f.insert("threshold_a".into(), t.a.to_string());
    f.insert("threshold_b".into(), t.b.to_string());
    f.insert("threshold_c".into(), t.c.to_string());
    f
}

/// The definition a form describes, or every field that is not a whole number, named.
fn form_to_def(f: &Form) -> Result<IndexDef, Vec<String>> {
    let mut errs = Vec::new();
    let mut num = |name: &str, label: &str| -> u32 {
        let v = f.get(name).map(|s| s.trim()).unwrap_or("");
        match v.parse::<u32>() {
            Ok(n) => n,
            Err(_) => {
                errs.push(format!("“{label}”应填写不小于 0 的整数，现为“{v}”"));
                0
            }
        }
    };
    let mut indicators = Vec::new();
    for (key, label, fields) in SPECS {
        if f.get(&format!("{key}_on")).is_none_or(|v| v != "1") {
            continue;
        }
        let weight = num(&format!("{key}_weight"), &format!("{label}·权重"));
        let mut v = |field: &str| {
            let flabel = fields
                .iter()
                .find(|(n, _)| *n == field)
                .map(|(_, l)| *l)
                .unwrap_or(field);
            num(&format!("{key}_{field}"), &format!("{label}·{flabel}"))
        };
        let rule = match *key {
            "penalties" => Rule::Penalties {
                months: v("months"),
                minor: v("minor"),
                general: v("general"),
                serious: v("serious"),
            },
            "inspection_problems" => Rule::InspectionProblems {
                months: v("months"),
                rectified: v("rectified"),
                open: v("open"),
            },
            "complaints" => Rule::Complaints {
                months: v("months"),
                each: v("each"),
            },
            "listings" => Rule::Listings {
                abnormal: v("abnormal"),
                dishonest: v("dishonest"),
            },
            "sanctions" => Rule::Sanctions { each: v("each") },
            _ => Rule::Commendations {
                months: v("months"),
                each: v("each"),
            },
        };
        indicators.push(Indicator { rule, weight });
    }
    let a = num("threshold_a", "A类分数线") as i32;
    let b = num("threshold_b", "B类分数线") as i32;
    let c = num("threshold_c", "C类分数线") as i32;
    if errs.is_empty() {
        Ok(IndexDef {
            indicators,
            thresholds: Thresholds { a, b, c },
        })
    } else {
        Err(errs)
    }
}

fn indicator_views(f: &Form) -> Vec<IndicatorView> {
    SPECS
        .iter()
        .map(|(key, label, fields)| IndicatorView {
            key,
            label,
            bonus: *key == "commendations",
            on: f.get(&format!("{key}_on")).is_some_and(|v| v == "1"),
            weight: f.get(&format!("{key}_weight")).cloned().unwrap_or_default(),
            fields: fields
                .iter()
                .map(|(n, l)| {
                    let name = format!("{key}_{n}");
                    let v = f.get(&name).cloned().unwrap_or_default();
                    (name, *l, v)
                })
                .collect(),
        })
        .collect()
}

pub struct IndexRow {
    id: Uuid,
    name: String,
    region: String,
    sector: String,
    version: i32,
    updated: String,
}

pub struct VersionRow {
    version: i32,
    name: String,
    by: String,
    at: String,
    summary: String,
}

#[derive(Template)]
#[template(path = "console/credit_indexes.html")]
struct IndexesPage {
    c: Chrome,
    rows: Vec<IndexRow>,
    can_define: bool,
    /// The editor: new (`id` none) or the next version of an index.
    id: Option<Uuid>,
    version: i32,
    name: String,
    region: String,
    sector: String,
    sectors: Vec<(String, String)>,
    indicators: Vec<IndicatorView>,
    thresholds: [String; 3],
    versions: Vec<VersionRow>,
    errors: Vec<String>,
}

fn summary(def: &IndexDef) -> String {
    let parts: Vec<String> = def
        .indicators
        .iter()
        .map(|i| format!("{}{}分", i.rule.label_zh(), i.weight))
        .collect();
    format!(
        "{}；A类≥{}、B类≥{}、C类≥{}",
        parts.join("、"),
        def.thresholds.a,
        def.thresholds.b,
        def.thresholds.c
    )
}

struct Editor {
    id: Option<Uuid>,
    version: i32,
    form: Form,
    errors: Vec<String>,
}

async fn indexes_page(
    st: &AppState,
    s: &SessionAuth,
    ed: Editor,
    notice: Option<&'static str>,
) -> Result<Response, ConsoleError> {
    let c = Chrome::new(&st.svc, s, "credit").await.with_notice(notice);
    let sectors_all = lianjian_services::sectors::list(&st.svc).await?;
    let sector_name = |id: Option<Uuid>| {
        id.and_then(|i| sectors_all.iter().find(|x| x.id == i))
            .map(|x| x.name.clone())
            .unwrap_or_else(|| "地区默认".into())
    };
    let rows = ev::indexes(&st.svc, &s.actor)
        .await?
        .into_iter()
        .map(|x| IndexRow {
            id: x.id,
            region: c.region_name(x.region_code.as_str()).to_string(),
            sector: sector_name(x.sector_id),
            name: x.name,
            version: x.version,
            updated: local(&x.updated_at),
        })
        .collect();
    let versions = match ed.id {
        Some(id) => ev::index(&st.svc, &s.actor, id)
            .await?
            .1
            .into_iter()
            .map(|v| VersionRow {
                version: v.version,
                summary: summary(&v.definition),
                name: v.name,
                by: v.created_by,
                at: local(&v.created_at),
            })
            .collect(),
        None => Vec::new(),
    };
    let get = |k: &str| ed.form.get(k).cloned().unwrap_or_default();
    let status = if ed.errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let page = IndexesPage {
        can_define: ev::may_define_any(&s.actor),
        rows,
        id: ed.id,
        version: ed.version,
        name: get("name"),
        region: get("region_code"),
        sector: get("sector_id"),
        sectors: sectors_all
            .iter()
            .filter(|x| x.status == "active")
            .map(|x| (x.id.to_string(), x.name.clone()))
            .collect(),
        indicators: indicator_views(&ed.form),
        thresholds: [get("threshold_a"), get("threshold_b"), get("threshold_c")],
        versions,
        errors: ed.errors,
        c,
    };
    Ok((status, render(page)).into_response())
}

#[derive(serde::Deserialize)]
pub struct Notice {
    ok: Option<String>,
}

fn notice_of(n: &Notice) -> Option<&'static str> {
    match n.ok.as_deref() {
        Some("saved") => Some("已保存为新版本"),
        Some("created") => Some("已新建指标体系"),
        _ => None,
    }
}

pub async fn indexes(
    State(st): State<AppState>,
    Console(s): Console,
    Query(n): Query<Notice>,
) -> Result<Response, ConsoleError> {
    let mut form = def_to_form(&IndexDef::standard());
    form.insert("region_code".into(), s.actor.region.to_string());
    let ed = Editor {
        id: None,
        version: 0,
        form,
        errors: Vec::new(),
    };
    indexes_page(&st, &s, ed, notice_of(&n)).await
}

pub async fn index(
    State(st): State<AppState>,
    Console(s): Console,
    PathId(id): PathId,
    Query(n): Query<Notice>,
) -> Result<Response, ConsoleError> {
    let (x, _) = ev::index(&st.svc, &s.actor, id).await?;
    let mut form = def_to_form(&x.definition);
    form.insert("name".into(), x.name.clone());
    form.insert("region_code".into(), x.region_code.to_string());
    if let Some(sid) = x.sector_id {
        form.insert("sector_id".into(), sid.to_string());
    }
    let ed = Editor {
        id: Some(id),
        version: x.version,
        form,
        errors: Vec::new(),
    };
    indexes_page(&st, &s, ed, notice_of(&n)).await
}

fn messages(e: lianjian_services::ServiceError) -> Result<Vec<String>, ConsoleError> {
    Ok(form_errors(e)?.into_values().collect())
}

pub async fn define(
    State(st): State<AppState>,
    Console(s): Console,
    CsrfForm(f): CsrfForm<Form>,
) -> Result<Response, ConsoleError> {
    let sector = match f
        .get("sector_id")
        .map(|v| v.trim())
        .filter(|v| !v.is_empty())
    {
        None => Ok(None),
        Some(v) => v
            .parse::<Uuid>()
            .map(Some)
            .map_err(|_| vec!["所选监管领域不存在".to_string()]),
    };
    let result = match (form_to_def(&f), sector) {
        (Ok(definition), Ok(sector_id)) => {
            let input = IndexInput {
                region_code: f.get("region_code").cloned().unwrap_or_default(),
                sector_id,
                name: f.get("name").cloned().unwrap_or_default(),
                definition,
            };
            match ev::define(&st.svc, &s.actor, &input).await {
                Ok(x) => {
                    return Ok(see_other(&format!(
                        "/console/credit/indexes/{}?ok=created",
                        x.id
                    )));
                }
                Err(e) => messages(e)?,
            }
        }
        (Err(mut a), b) => {
            if let Err(b) = b {
                a.extend(b);
            }
            a
        }
        (_, Err(b)) => b,
    };
    let ed = Editor {
        id: None,
        version: 0,
        form: f,
        errors: result,
    };
    indexes_page(&st, &s, ed, None).await
}

pub async fn edit(
    State(st): State<AppState>,
    Console(s): Console,
    PathId(id): PathId,
    CsrfForm(f): CsrfForm<Form>,
) -> Result<Response, ConsoleError> {
    let version: i32 = f
        .get("version")
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0);
    let errors = match form_to_def(&f) {
        Ok(def) => {
            let name = f.get("name").cloned().unwrap_or_default();
            match ev::edit(&st.svc, &s.actor, id, version, &name, &def).await {
                Ok(_) => return Ok(see_other(&format!("/console/credit/indexes/{id}?ok=saved"))),
                Err(e) => messages(e)?,
            }
        }
        Err(errs) => errs,
    };
    // The page shows what was typed; the index's region stays its own.
    let (x, _) = ev::index(&st.svc, &s.actor, id).await?;
    let mut form = f;
    form.insert("region_code".into(), x.region_code.to_string());
    let ed = Editor {
        id: Some(id),
        version,
        form,
        errors,
    };
    indexes_page(&st, &s, ed, None).await
}

// ---------------------------------------------------------------------------------------
// An entity's class

pub struct OverrideRow {
    class: String,
    reason: String,
    until: String,
    by: String,
    at: String,
    state: &'static str,
}

#[derive(Template)]
#[template(path = "console/credit_entity.html")]
struct EntityPage {
    c: Chrome,
    id: Uuid,
    name: String,
    usci: String,
    class: String,
    source: String,
    date: String,
    evaluated: bool,
    score: i32,
    scored_class: String,
    index: String,
    evaluated_on: String,
    /// (indicator, points shown signed, explanation)
    rows: Vec<(String, String, String)>,
    forced: Option<String>,
    overrides: Vec<OverrideRow>,
    can_override: bool,
    form: Form,
    errors: Vec<String>,
}

async fn entity_page(
    st: &AppState,
    s: &SessionAuth,
    id: Uuid,
    form: Form,
    errors: Vec<String>,
    notice: Option<&'static str>,
) -> Result<Response, ConsoleError> {
    let x = ev::entity_credit(&st.svc, &s.actor, id).await?;
    let c = Chrome::new(&st.svc, s, "credit").await.with_notice(notice);
    let today = lianjian_domain::visit::beijing_date(st.svc.now());
    let (score, scored_class, rows, forced) = match &x.evaluation {
        Some(e) => (
            e.score,
            e.class.label_zh().to_string(),
            e.contributions
                .iter()
                .map(|c| {
                    let p = if c.points > 0 {
                        format!("+{}", c.points)
                    } else {
                        c.points.to_string()
                    };
                    (c.label.clone(), p, c.explanation.clone())
                })
                .collect(),
            e.forced.clone(),
        ),
        None => (0, String::new(), Vec::new(), None),
    };
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let page = EntityPage {
        id,
        name: x.name.clone(),
        usci: x.usci.clone(),
        class: x
            .class
            .map(|c| c.label_zh().to_string())
            .unwrap_or_else(|| "未分类".into()),
        source: x.class_source.clone().unwrap_or_else(|| "—".into()),
        date: x
            .class_date
            .map(|d| d.to_string())
            .unwrap_or_else(|| "—".into()),
        evaluated: x.evaluation.is_some(),
        score,
        scored_class,
        index: match (&x.index_name, x.index_version) {
            (Some(n), Some(v)) => format!("{n}（第{v}版）"),
            _ => String::new(),
        },
        evaluated_on: x.evaluated_on.map(|d| d.to_string()).unwrap_or_default(),
        rows,
        forced,
        overrides: x
            .overrides
            .iter()
            .map(|o| OverrideRow {
                class: o.class.label_zh().to_string(),
                reason: o.reason.clone(),
                until: o
                    .until
                    .map(|d| d.to_string())
                    .unwrap_or_else(|| "长期".into()),
                by: o.created_by.clone(),
                at: local(&o.created_at),
                state: if o.revoked_at.is_some() {
                    "已被替换"
                } else if o.is_valid_on(today) {
                    "有效"
                } else {
                    "已到期"
                },
            })
            .collect(),
        can_override: ev::may_run(&s.actor),
        form,
        errors,
        c,
    };
    Ok((status, render(page)).into_response())
}

pub async fn entity(
    State(st): State<AppState>,
    Console(s): Console,
    PathId(id): PathId,
    Query(n): Query<Notice>,
) -> Result<Response, ConsoleError> {
    let notice = match n.ok.as_deref() {
        Some("overridden") => Some("已人工调整信用风险分类"),
        _ => None,
    };
    entity_page(&st, &s, id, Form::new(), Vec::new(), notice).await
}

pub async fn override_class(
    State(st): State<AppState>,
    Console(s): Console,
    PathId(id): PathId,
    CsrfForm(f): CsrfForm<Form>,
) -> Result<Response, ConsoleError> {
    let input = OverrideInput {
        class: f.get("class").cloned().unwrap_or_default(),
        reason: f.get("reason").cloned().unwrap_or_default(),
        until: f.get("until").cloned(),
    };
    match ev::override_class(&st.svc, &s.actor, id, &input).await {
        Ok(_) => Ok(see_other(&format!(
            "/console/credit/entities/{id}?ok=overridden"
        ))),
        Err(e) => {
            let errors = messages(e)?;
            entity_page(&st, &s, id, f, errors, None).await
        }
    }
}
