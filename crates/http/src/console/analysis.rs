//! 分析评估 (issue 17 item 6): the indicators with their definitions, a monthly trend chart and a
//! breakdown by department, region, item or month (ECharts, bundled; `assets/analysis.js` draws
//! from the JSON the page carries), drill-down to narrower tables and to the record lists,
//! xlsx of every table and the supervision actions as JSON Lines. The leader's home page.

use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::NaiveDate;
use lianjian_domain::analysis::{Indicator, Records};
use lianjian_services::ServiceError;
use lianjian_services::analysis::{self, BYS, By, Table, by_code, by_label};

use super::fields::FormData;
use super::{Chrome, ConsoleError, CsrfForm, form_errors, render, see_other};
use crate::AppState;
use crate::api::params::Params;
use crate::extract::{Console, urlencode};

/// One indicator card: the total's value, its definition and where its records are.
pub struct Card {
    code: &'static str,
    label: &'static str,
    shown: String,
    definition: &'static str,
    records: String,
}

/// A breakdown row as shown: its label, where a click narrows to, and the values.
pub struct RowView {
    label: String,
    narrow: Option<String>,
    records: Option<String>,
    values: Vec<String>,
}

#[derive(Template)]
#[template(path = "console/analysis.html")]
struct Page {
    c: Chrome,
    from: String,
    to: String,
    by: &'static str,
    bys: Vec<(&'static str, &'static str)>,
    region: String,
    department: String,
    item: String,
    cards: Vec<Card>,
    headers: Vec<&'static str>,
    rows: Vec<RowView>,
    total: Option<RowView>,
    refreshed_at: Option<String>,
    may_refresh: bool,
    /// The query of this table (for the export and narrowing links).
    query: String,
    /// The chart data (JSON in a non-executed script block; CSP allows no inline script).
    chart: String,
    errors: std::collections::BTreeMap<String, String>,
}

fn parse(st: &AppState, p: &Params) -> Result<analysis::Query, ServiceError> {
    let (from, to, by, region, dept, item) = (
        p.one("from"),
        p.one("to"),
        p.one("by"),
        p.one("region"),
        p.one("department"),
        p.one("item"),
    );
    let some = |s: &str| (!s.is_empty()).then_some(s.to_string());
    analysis::parse_query(
        &st.svc,
        some(&from).as_deref(),
        some(&to).as_deref(),
        some(&by).as_deref(),
        some(&region).as_deref(),
        some(&dept).as_deref(),
        some(&item).as_deref(),
    )
}

/// The list page holding an indicator's records, with the filters it understands.
fn records_link(
    r: Records,
    from: NaiveDate,
    to: NaiveDate,
    region: &str,
    department: &str,
    item: &str,
) -> String {
    let pairs: Vec<(&str, String)> = match r {
        Records::Results => vec![
            ("from", from.to_string()),
            ("to", to.to_string()),
            ("region", region.into()),
            ("department", department.into()),
            ("item", item.into()),
        ],
        Records::Rectifications => vec![("region", region.into())],
        // Exactly the requests the figure counts (store::assistance::answered_condition).
        Records::Assistance => vec![
            ("answered_from", from.to_string()),
            ("answered_to", to.to_string()),
            ("region", region.into()),
            ("department", department.into()),
        ],
        Records::Clues | Records::Warnings | Records::Sanctions => vec![],
    };
    let path = match r {
        Records::Results => "/console/results",
        Records::Rectifications => "/console/rectifications",
        Records::Clues => "/console/clues",
        Records::Warnings => "/console/warnings",
        Records::Sanctions => "/console/sanctions",
        Records::Assistance => "/console/assistance",
    };
    let qs: Vec<String> = pairs
        .iter()
        .filter(|(_, v)| !v.is_empty())
        .map(|(k, v)| format!("{k}={}", urlencode(v)))
        .collect();
    if qs.is_empty() {
        path.into()
    } else {
        format!("{path}?{}", qs.join("&"))
    }
}

/// `GET /console/analysis`: the analysis page (the leader's home).
pub async fn page(
    State(st): State<AppState>,
    Console(s): Console,
    Query(raw): Query<Vec<(String, String)>>,
) -> Result<Response, ConsoleError> {
    let p = Params(raw);
    let notice = p.one("ok");
    let mut errors = std::collections::BTreeMap::new();
    let parsed = match parse(&st, &p) {
        Ok(x) => Some(x),
        Err(e) => {
            errors = form_errors(e)?;
            None
        }
    };
    let mut tables: Option<(analysis::Query, Table, Table)> = None;
    if let Some(x) = parsed {
        let mut m = x.clone();
        m.by = By::Month;
        let t = analysis::table(&st.svc, &s.actor, &x).await?;
        let trend = if x.by == By::Month {
            t.clone()
        } else {
            analysis::table(&st.svc, &s.actor, &m).await?
        };
        tables = Some((x, t, trend));
    }
    let (region, department, item) = (p.one("region"), p.one("department"), p.one("item"));
    let shown: Vec<Indicator> = match &tables {
        Some((x, _, _)) if x.by == By::Item || x.item_id.is_some() => Indicator::ALL
            .iter()
            .copied()
            .filter(|i| i.by_item())
            .collect(),
        _ => Indicator::ALL.to_vec(),
    };
    let mut page = Page {
        c: Chrome::new(&st.svc, &s, "analysis")
            .await
            .with_notice((!notice.is_empty()).then_some(notice.as_str())),
        from: p.one("from"),
        to: p.one("to"),
        by: "department",
        bys: BYS.iter().map(|b| (by_code(*b), by_label(*b))).collect(),
        region: region.clone(),
        department: department.clone(),
        item: item.clone(),
        cards: Vec::new(),
        headers: shown.iter().map(|i| i.label_zh()).collect(),
        rows: Vec::new(),
        total: None,
        refreshed_at: None,
        may_refresh: analysis::may_refresh(&s.actor),
        query: String::new(),
        chart: "{}".into(),
        errors,
    };
    if let Some((x, t, trend)) = &tables {
        let (from, to) = (x.months.from, x.months.last_day());
        page.from = t.from.clone();
        page.to = t.to.clone();
        page.by = by_code(x.by);
        page.refreshed_at = t.refreshed_at.clone();
        let base = |by: &str, region: &str, department: &str, item: &str| {
            let mut s = format!("from={}&to={}&by={by}", t.from, t.to);
            for (k, v) in [
                ("region", region),
                ("department", department),
                ("item", item),
            ] {
                if !v.is_empty() {
                    s.push_str(&format!("&{k}={}", urlencode(v)));
                }
            }
            s
        };
        page.query = base(page.by, &region, &department, &item);
        let values = |r: &analysis::Row| -> Vec<String> {
            shown
                .iter()
                .map(|i| {
                    r.values
                        .iter()
                        .find(|v| v.indicator == *i)
                        .map(|v| v.shown.clone())
                        .unwrap_or_default()
                })
                .collect()
        };
        page.cards = shown
            .iter()
            .map(|i| Card {
                code: i.as_str(),
                label: i.label_zh(),
                shown: t
                    .total
                    .values
                    .iter()
                    .find(|v| v.indicator == *i)
                    .map(|v| v.shown.clone())
                    .unwrap_or_default(),
                definition: i.definition_zh(),
                records: records_link(i.records(), from, to, &region, &department, &item),
            })
            .collect();
        page.rows = t
            .rows
            .iter()
            .map(|r| {
                // A click narrows to the row: a department → its items, a region → the next
                // level, an item → its months, a month → that month by department.
                let (narrow, rec) = match x.by {
                    By::Department => (
                        Some(base("item", &region, &r.key, &item)),
                        Some(records_link(
                            Records::Results,
                            from,
                            to,
                            &region,
                            &r.key,
                            &item,
                        )),
                    ),
                    By::Region => (
                        Some(base(
                            if r.key.len() >= 6 {
                                "department"
                            } else {
                                "region"
                            },
                            &r.key,
                            &department,
                            &item,
                        )),
                        Some(records_link(
                            Records::Results,
                            from,
                            to,
                            &r.key,
                            &department,
                            &item,
                        )),
                    ),
                    By::Item => (
                        Some(base("month", &region, &department, &r.key)),
                        Some(records_link(
                            Records::Results,
                            from,
                            to,
                            &region,
                            &department,
                            &r.key,
                        )),
                    ),
                    By::Month => {
                        let m = NaiveDate::parse_from_str(&format!("{}-01", r.key), "%Y-%m-%d")
                            .unwrap_or(x.months.from);
                        let last = lianjian_domain::analysis::add_months(m, 1)
                            .pred_opt()
                            .unwrap_or(m);
                        let mut narrow = format!("from={k}&to={k}&by=department", k = r.key);
                        for (k, v) in [
                            ("region", &region),
                            ("department", &department),
                            ("item", &item),
                        ] {
                            if !v.is_empty() {
                                narrow.push_str(&format!("&{k}={}", urlencode(v)));
                            }
                        }
                        (
                            Some(narrow),
                            Some(records_link(
                                Records::Results,
                                m,
                                last,
                                &region,
                                &department,
                                &item,
                            )),
                        )
                    }
                };
                RowView {
                    label: r.label.clone(),
                    narrow,
                    records: rec,
                    values: values(r),
                }
            })
            .collect();
        page.total = Some(RowView {
            label: "合计".into(),
            narrow: None,
            records: None,
            values: values(&t.total),
        });
        let series: Vec<serde_json::Value> = shown
            .iter()
            .map(|i| {
                serde_json::json!({
                    "code": i.as_str(),
                    "name": i.label_zh(),
                    "rate": matches!(i.formula(), lianjian_domain::analysis::Formula::Rate(..)),
                    "trend": trend.rows.iter().map(|r| r.values.iter().find(|v| v.indicator == *i).and_then(|v| v.value)).collect::<Vec<_>>(),
                    "breakdown": t.rows.iter().map(|r| r.values.iter().find(|v| v.indicator == *i).and_then(|v| v.value)).collect::<Vec<_>>(),
                })
            })
            .collect();
        page.chart = serde_json::json!({
            "months": trend.rows.iter().map(|r| r.key.clone()).collect::<Vec<_>>(),
            "keys": t.rows.iter().map(|r| r.label.clone()).collect::<Vec<_>>(),
            "series": series,
        })
        .to_string()
        // Kept inside its script element whatever a name holds.
        .replace("</", "<\\/");
    }
    let status = if page.errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    Ok((status, render(page)).into_response())
}

/// `GET /console/analysis/export`: the table as xlsx.
pub async fn export(
    State(st): State<AppState>,
    Console(s): Console,
    Query(raw): Query<Vec<(String, String)>>,
) -> Result<Response, ConsoleError> {
    let x = parse(&st, &Params(raw))?;
    let bytes = analysis::export_xlsx(&st.svc, &s.actor, &x).await?;
    Ok(super::exchange::xlsx(
        &format!(
            "分析评估-{}-{}.xlsx",
            by_label(x.by).trim_start_matches('按'),
            crate::api::params::today()
        ),
        bytes,
    ))
}

/// `GET /console/analysis/actions`: the supervision actions of a period as JSON Lines.
pub async fn actions(
    State(st): State<AppState>,
    Console(s): Console,
    Query(raw): Query<Vec<(String, String)>>,
) -> Result<Response, ConsoleError> {
    let p = Params(raw);
    let x = parse(&st, &p)?;
    let body =
        analysis::export_actions(&st.svc, &s.actor, x.months.from, x.months.last_day()).await?;
    Ok(crate::api::analysis::jsonl(
        &format!(
            "监管行为-{}-{}.jsonl",
            x.months.from.format("%Y%m"),
            x.months.to.format("%Y%m")
        ),
        body,
    ))
}

/// `POST /console/analysis/refresh`: rebuilds the figures now (the office).
pub async fn refresh(
    State(st): State<AppState>,
    Console(s): Console,
    CsrfForm(_f): CsrfForm<FormData>,
) -> Result<Response, ConsoleError> {
    analysis::refresh(&st.svc, &s.actor).await?;
    Ok(see_other("/console/analysis?ok=analysis_refreshed"))
}
