//! Analysis and evaluation (分析评估, issue 17 item 6; 国办发〔2023〕1号 (十五)): every indicator of
//! `lianjian_domain::analysis::Indicator` with its definition, by department, region, item or
//! month, for the reader's scope (a leader sees its region subtree, a department its line), from
//! the monthly figures of `lianjian_store::analysis` (rebuilt by [`refresh`]); xlsx of every
//! table; and the supervision actions (inspections, rectifications, sanction tasks) as JSON Lines
//! for upper-level systems (docs/supervision-actions.md), from which the figures can be
//! recomputed (tested).
//!
//! Assistance-request timeliness (协查按时答复率 and the median days to answer) joins through
//! the extension point described in `lianjian_store::analysis`: two counts, and a histogram of
//! days to answer from which each row's median is taken ([`table`]).

use std::collections::BTreeMap;

use chrono::NaiveDate;
use lianjian_domain::Invalid;
use lianjian_domain::account::Role;
use lianjian_domain::analysis::{Indicator, Months, median_x2};
use lianjian_domain::region::RegionCode;
use lianjian_domain::scope::{Actor, Scope};
use lianjian_domain::visit::beijing_date;
pub use lianjian_store::analysis::By;
use lianjian_store::analysis::{self as store, Counts, Filter, Refreshed};
use serde::Serialize;
use uuid::Uuid;

use crate::trail::{Record, record};
use crate::{Result, ServiceError, Services};

/// Who reads the analysis pages: leaders, the office, supervisors, system and department
/// administrators (each within its scope). Inspectors have their task lists instead.
pub fn may_read(a: &Actor) -> bool {
    a.role != Role::Inspector
}

/// Who rebuilds the figures at once (they are otherwise rebuilt every hour by the server):
/// the office and the system administrator.
pub fn may_refresh(a: &Actor) -> bool {
    matches!(a.role, Role::SystemAdmin | Role::CoordinationOffice)
}

/// What a table shows: a period, a breakdown and optional filters.
#[derive(Debug, Clone)]
pub struct Query {
    pub months: Months,
    pub by: By,
    pub region: Option<RegionCode>,
    pub department_id: Option<Uuid>,
    pub item_id: Option<Uuid>,
}

/// The breakdown's name in URLs.
pub fn by_code(by: By) -> &'static str {
    match by {
        By::Department => "department",
        By::Region => "region",
        By::Item => "item",
        By::Month => "month",
    }
}

pub fn by_label(by: By) -> &'static str {
    match by {
        By::Department => "按部门",
        By::Region => "按地区",
        By::Item => "按事项",
        By::Month => "按月份（趋势）",
    }
}

pub const BYS: [By; 4] = [By::Department, By::Region, By::Item, By::Month];

/// Parses the query's text fields, naming each bad one.
pub fn parse_query(
    svc: &Services,
    from: Option<&str>,
    to: Option<&str>,
    by: Option<&str>,
    region: Option<&str>,
    department: Option<&str>,
    item: Option<&str>,
) -> Result<Query> {
    let months = Months::parse(from, to, beijing_date(svc.now()))
        .map_err(|(k, e)| ServiceError::field(k, e))?;
    let by = match by.map(str::trim).filter(|s| !s.is_empty()) {
        None => By::Department,
        Some(s) => BYS.into_iter().find(|b| by_code(*b) == s).ok_or_else(|| {
            ServiceError::field(
                "by",
                Invalid::new(
                    "unknown_by",
                    format!(
                        "“{}”不是有效的分组，可选：部门、地区、事项、月份",
                        s.chars().take(20).collect::<String>()
                    ),
                    "by is one of department, region, item, month",
                ),
            )
        })?,
    };
    let id = |k: &str, v: Option<&str>| -> Result<Option<Uuid>> {
        match v.map(str::trim).filter(|s| !s.is_empty()) {
            None => Ok(None),
            Some(s) => Uuid::parse_str(s).map(Some).map_err(|_| {
                ServiceError::field(
                    k,
                    Invalid::new("id", "编号不正确", format!("{k} is not an id")),
                )
            }),
        }
    };
    Ok(Query {
        months,
        by,
        region: match region.map(str::trim).filter(|s| !s.is_empty()) {
            None => None,
            Some(r) => Some(RegionCode::parse(r).map_err(|e| ServiceError::field("region", e))?),
        },
        department_id: id("department", department)?,
        item_id: id("item", item)?,
    })
}

/// The count that holds twice the median days to answer an assistance request
/// (`Indicator::AssistanceMedianDays`), computed here from `store::answer_days`.
const MEDIAN_X2: &str = "assist_median_x2";

/// One indicator's value in a row.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Value {
    pub indicator: Indicator,
    /// A ratio (0–1), a count or hours; null when there is nothing to divide by.
    pub value: Option<f64>,
    /// As shown ("75.0%", "—").
    pub shown: String,
}

/// A row of a table: a department, a region, an item or a month, or the total.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Row {
    /// The id, region code or `YYYY-MM` (empty for the total).
    pub key: String,
    pub label: String,
    pub values: Vec<Value>,
    /// The counts the values are computed from (by name, docs/architecture.md).
    #[schema(value_type = BTreeMap<String, i64>)]
    pub counts: BTreeMap<String, i64>,
}

/// One indicator's name and definition.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Definition {
    pub indicator: Indicator,
    pub label: String,
    pub definition: String,
    /// Whether it is counted per item (the breakdown by item leaves the others out).
    pub by_item: bool,
}

/// A table of the analysis pages.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Table {
    pub from: String,
    pub to: String,
    pub by: String,
    pub definitions: Vec<Definition>,
    pub rows: Vec<Row>,
    pub total: Row,
    /// When the figures were last rebuilt (Beijing time); null: never (nothing to show yet).
    pub refreshed_at: Option<String>,
}

fn row(key: String, label: String, counts: &Counts) -> Row {
    let get = |k: &str| counts.get(k).copied().unwrap_or(0);
    Row {
        key,
        label,
        values: Indicator::ALL
            .iter()
            .map(|i| {
                let v = i.value(get);
                Value {
                    indicator: *i,
                    value: v,
                    shown: i.show(v),
                }
            })
            .collect(),
        counts: counts.iter().map(|(k, v)| (k.to_string(), *v)).collect(),
    }
}

fn filter(q: &Query) -> Filter {
    Filter {
        from: Some(q.months.from),
        to: Some(q.months.to),
        region: q.region.clone(),
        department_id: q.department_id,
        item_id: q.item_id,
    }
}

/// The table `q` asks for, within the actor's scope.
pub async fn table(svc: &Services, a: &Actor, q: &Query) -> Result<Table> {
    if !may_read(a) {
        return Err(ServiceError::Forbidden);
    }
    let c = svc.store.conn();
    let scope = Scope::of(a);
    let f = filter(q);
    let mut sums = store::sums(c, &scope, &f, q.by).await?;
    if q.by == By::Month {
        // Every month of the period, empty ones too, so the trend has no gaps.
        let mut by_month: BTreeMap<String, Counts> = sums.into_iter().collect();
        sums = q
            .months
            .labels()
            .into_iter()
            .map(|m| {
                let c = by_month.remove(&m).unwrap_or_default();
                (m, c)
            })
            .collect();
    }
    let labels = labels(svc, q.by, &sums).await?;
    let mut total = Counts::new();
    for (_, counts) in &sums {
        for (k, v) in counts {
            *total.entry(k).or_default() += v;
        }
    }
    // Medians are not sums: each row's and the total's from the histogram of its key.
    let hist: BTreeMap<String, Vec<(i64, i64)>> = store::answer_days(c, &scope, &f, q.by)
        .await?
        .into_iter()
        .collect();
    for (k, counts) in &mut sums {
        if let Some(m) = hist.get(k).and_then(|h| median_x2(h)) {
            counts.insert(MEDIAN_X2, m);
        }
    }
    let all: Vec<(i64, i64)> = hist.values().flatten().copied().collect();
    if let Some(m) = median_x2(&all) {
        total.insert(MEDIAN_X2, m);
    }
    let rows = sums
        .iter()
        .filter(|(k, _)| !(q.by == By::Item && *k == Uuid::nil().to_string()))
        .map(|(k, counts)| {
            let label = labels.get(k).cloned().unwrap_or_else(|| k.clone());
            row(k.clone(), label, counts)
        })
        .collect();
    let refreshed = store::refreshed(c).await?;
    Ok(Table {
        from: q.months.from.format("%Y-%m").to_string(),
        to: q.months.to.format("%Y-%m").to_string(),
        by: by_code(q.by).into(),
        definitions: Indicator::ALL
            .iter()
            .map(|i| Definition {
                indicator: *i,
                label: i.label_zh().into(),
                definition: i.definition_zh().into(),
                by_item: i.by_item(),
            })
            .collect(),
        rows,
        total: row(String::new(), "合计".into(), &total),
        refreshed_at: refreshed.map(|r| crate::sheets::beijing_time(&r.at)),
    })
}

/// The names of the keys: departments, regions ("省 / 市 / 县"), items ("code name"), months.
async fn labels(
    svc: &Services,
    by: By,
    sums: &[(String, Counts)],
) -> Result<BTreeMap<String, String>> {
    let c = svc.store.conn();
    let ids = || -> Vec<Uuid> { sums.iter().filter_map(|(k, _)| k.parse().ok()).collect() };
    Ok(match by {
        By::Month => BTreeMap::new(),
        By::Department => lianjian_store::departments::by_ids(c, &ids())
            .await?
            .into_iter()
            .map(|(id, d)| (id.to_string(), d.name))
            .collect(),
        By::Item => store::item_names(c, &ids())
            .await?
            .into_iter()
            .map(|(id, (code, name))| (id.to_string(), format!("{code} {name}")))
            .collect(),
        By::Region => {
            crate::sheets::region_names(svc, sums.iter().map(|(k, _)| k.clone()).collect())
                .await?
                .into_iter()
                .collect()
        }
    })
}

/// The table as xlsx: one row per key and the total, a column per indicator, then the
/// definitions.
pub async fn export_xlsx(svc: &Services, a: &Actor, q: &Query) -> Result<Vec<u8>> {
    let t = table(svc, a, q).await?;
    let mut headers: Vec<&str> = vec![match q.by {
        By::Department => "部门",
        By::Region => "地区",
        By::Item => "事项",
        By::Month => "月份",
    }];
    headers.extend(Indicator::ALL.iter().map(|i| i.label_zh()));
    let line = |r: &Row| -> Vec<String> {
        std::iter::once(r.label.clone())
            .chain(r.values.iter().map(|v| v.shown.clone()))
            .collect()
    };
    let mut rows: Vec<Vec<String>> = t.rows.iter().map(line).collect();
    rows.push(line(&t.total));
    rows.push(vec![]);
    rows.push(vec![format!(
        "统计期：{} 至 {}；数据更新于 {}",
        t.from,
        t.to,
        t.refreshed_at.as_deref().unwrap_or("尚未统计")
    )]);
    for d in &t.definitions {
        rows.push(vec![d.label.clone(), d.definition.clone()]);
    }
    Ok(crate::sheets::xlsx_table("分析评估", &headers, rows))
}

/// Rebuilds the monthly figures from the records (the office's 立即更新, the hourly job and the
/// demo) and records who did it.
pub async fn refresh(svc: &Services, a: &Actor) -> Result<Refreshed> {
    if !may_refresh(a) {
        return Err(ServiceError::Forbidden);
    }
    // Rebuilt outside the audit lock (a province takes a while), then recorded.
    let r = refresh_unattended(svc).await?;
    let tx = svc.store.begin().await?;
    record(
        &tx,
        a,
        Record::new("analysis.refresh", "analysis", "months").after(&serde_json::json!({
            "cells": r.cells, "millis": r.millis,
        })),
    )
    .await?;
    tx.commit().await?;
    Ok(r)
}

/// Rebuilds the figures without an actor (the server's hourly job): no audit entry, as it
/// changes no record, only the figures derived from them.
pub async fn refresh_unattended(svc: &Services) -> Result<Refreshed> {
    let tx = svc.store.begin_bulk().await?;
    let r = store::refresh(&tx, beijing_date(svc.now())).await?;
    tx.commit().await?;
    Ok(r)
}

/// At most this many records of each kind leave in one export of supervision actions.
pub const MAX_ACTIONS: usize = 200_000;

/// The supervision actions of a period within the actor's scope as JSON Lines
/// (docs/supervision-actions.md): each line an object with `type` `inspection`,
/// `rectification`, `sanction_task`, `assistance` or `penalty` and that record's fields. More than [`MAX_ACTIONS`] of a
/// kind is a 422 asking for a shorter period.
pub async fn export_actions(
    svc: &Services,
    a: &Actor,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<String> {
    if !may_read(a) {
        return Err(ServiceError::Forbidden);
    }
    if from > to {
        return Err(ServiceError::field(
            "from",
            Invalid::new(
                "period_reversed",
                "起始日期晚于截止日期",
                "from is after to",
            ),
        ));
    }
    let x = store::actions(svc.store.conn(), &Scope::of(a), (from, to), MAX_ACTIONS).await?;
    if [
        x.inspections.len(),
        x.rectifications.len(),
        x.sanctions.len(),
        x.assistance.len(),
        x.penalties.len(),
    ]
    .iter()
    .any(|n| *n > MAX_ACTIONS)
    {
        return Err(ServiceError::field(
            "to",
            Invalid::new(
                "too_many",
                format!("记录超过 {MAX_ACTIONS} 条，请缩短统计期分次导出"),
                format!("more than {MAX_ACTIONS} records: export a shorter period"),
            ),
        ));
    }
    let mut out = String::new();
    let mut put = |kind: &str, v: serde_json::Value| {
        let mut v = v;
        if let serde_json::Value::Object(m) = &mut v {
            m.insert("type".into(), kind.into());
        }
        out.push_str(&v.to_string());
        out.push('\n');
    };
    for r in x.inspections {
        put(
            "inspection",
            serde_json::to_value(r).expect("a plain record serialises"),
        );
    }
    for r in x.rectifications {
        put(
            "rectification",
            serde_json::to_value(r).expect("a plain record serialises"),
        );
    }
    for r in x.sanctions {
        put(
            "sanction_task",
            serde_json::to_value(r).expect("a plain record serialises"),
        );
    }
    for r in x.assistance {
        put(
            "assistance",
            serde_json::to_value(r).expect("a plain record serialises"),
        );
    }
    for r in x.penalties {
        put(
            "penalty",
            serde_json::to_value(r).expect("a plain record serialises"),
        );
    }
    Ok(out)
}

/// The demo's dashboard (issue 17 item 7): a year of back-dated visits in 舞阳县 behind the
/// figures ([`lianjian_store::analysis::demo_history`]), then the figures rebuilt.
pub async fn seed_demo(svc: &Services) -> Result<usize> {
    let county = RegionCode::parse("411121").expect("舞阳县");
    let tx = svc.store.begin().await?;
    let n = store::demo_history(&tx, &county, beijing_date(svc.now()), 600).await?;
    store::refresh(&tx, beijing_date(svc.now())).await?;
    tx.commit().await?;
    Ok(n)
}
