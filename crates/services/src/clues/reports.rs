//! What the clue desk reports (issue 14 item 8): the xlsx export of a queue with its filters
//! (complainants always masked, labels not codes) and the office's rates per department over
//! a period — response (签收及时率), on-time (按时办结率), overdue now, returns, and
//! satisfaction once 评价 exists. Definitions (also docs/architecture.md, "Cases"):
//!
//! - **dispatched**: clues whose (last) dispatch to the department started its clocks in the
//!   period; **response rate** = of those, signed by the department on or before the signing
//!   deadline ÷ dispatched. A clue returned or still unsigned counts as not responded.
//! - **on-time rate**: clues the department finished in the period, finished on or before the
//!   finishing deadline as extended by approved 延期 ÷ finished.
//! - **overdue now**: the department's clues whose 签收 or 办结 clock runs past its deadline
//!   today (not limited to the period).
//! - **returned**: returns (退回) the department's staff made in the period.
//! - **satisfaction rate**: (满意 + 基本满意) ÷ evaluated, from [`lianjian_store::clue_reports::
//!   satisfaction_counts`]: each 回访 recorded in the period is one evaluation (a clue
//!   revisited again after 重办 is evaluated again).
//!
//! The response, on-time and satisfaction figures of a county-wide (or wider) reader come from
//! the daily figures kept with every clock write and 回访 (`lianjian_store::case_figures`), so
//! a year costs what a month does; a line-scoped reader's are counted from the clocks.

use chrono::{Duration, FixedOffset, NaiveDate};
use lianjian_domain::Invalid;
use lianjian_domain::clue::{self as rules, FINISH_CLOCK, SIGN_CLOCK};
use lianjian_domain::region::RegionCode;
use lianjian_domain::scope::{Actor, Scope};
use lianjian_store::PageRequest;
use lianjian_store::clue_reports::{self as store, DepartmentCounts};
use serde::Serialize;
use uuid::Uuid;

use super::{ClueFilter, ClueView, Queue, list, today};
use crate::{Result, ServiceError, Services};

// ---- export ----

/// At most this many clues leave in one export; a note row says when more matched.
pub const MAX_EXPORT_ROWS: usize = 50_000;

pub const EXPORT_HEADERS: [&str; 19] = [
    "线索编号",
    "来源单号",
    "受理时间",
    "来源",
    "诉求类型",
    "紧急程度",
    "线索内容",
    "事发地址",
    "涉及主体",
    "统一社会信用代码",
    "诉求人",
    "联系电话",
    "承办部门",
    "状态",
    "签收期限",
    "办结期限",
    "时限状态",
    "办结时间",
    "办理结果",
];

fn beijing(t: &chrono::DateTime<chrono::Utc>) -> String {
    let tz = FixedOffset::east_opt(8 * 3600).expect("UTC+8");
    t.with_timezone(&tz).format("%Y-%m-%d %H:%M").to_string()
}

/// A list row as an export row: labels, Beijing times, the complainant masked whoever reads.
fn export_row(v: ClueView) -> Vec<String> {
    let due = |name: &str| {
        v.clocks
            .iter()
            .find(|k| k.name == name)
            .map(|k| k.due.to_string())
            .unwrap_or_default()
    };
    // The view is unmasked for handling staff; an export never is.
    let name = v.complainant.name.as_deref().map(|n| {
        if v.complainant.masked {
            n.to_string()
        } else {
            rules::mask_name(n)
        }
    });
    let phone = v.complainant.phone.as_deref().map(|p| {
        if v.complainant.masked {
            p.to_string()
        } else {
            rules::mask_phone(p)
        }
    });
    let who = if v.complainant.anonymous && name.is_none() {
        "匿名".to_string()
    } else {
        name.unwrap_or_default()
    };
    vec![
        v.code.clone(),
        v.external_no.clone().unwrap_or_default(),
        beijing(&v.received_at),
        v.source_label.clone(),
        v.kind_label.clone(),
        v.urgency_label.clone(),
        v.content.clone(),
        v.address.clone(),
        v.entity
            .as_ref()
            .map(|e| e.name.clone())
            .unwrap_or_default(),
        v.entity
            .as_ref()
            .map(|e| e.usci.clone())
            .unwrap_or_default(),
        who,
        phone.unwrap_or_default(),
        v.department.clone().unwrap_or_else(|| "联席办".into()),
        v.status_label.clone(),
        due(SIGN_CLOCK.name),
        due(FINISH_CLOCK.name),
        v.light
            .map(|l| l.label_zh().to_string())
            .unwrap_or_default(),
        v.finished_at.as_ref().map(beijing).unwrap_or_default(),
        v.result.clone().unwrap_or_default(),
    ]
}

/// The queue with its filters, every page up to [`MAX_EXPORT_ROWS`], as xlsx (sheet 问题线索).
pub async fn export(svc: &Services, a: &Actor, queue: Queue, f: &ClueFilter) -> Result<Vec<u8>> {
    let mut rows: Vec<Vec<String>> = Vec::new();
    let mut page = 1;
    let mut more = false;
    loop {
        let p = list(
            svc,
            a,
            queue,
            f,
            PageRequest::new(Some(page), Some(PageRequest::MAX_PER_PAGE)),
        )
        .await?;
        let n = p.items.len() as u64;
        rows.extend(p.items.into_iter().map(export_row));
        if rows.len() >= MAX_EXPORT_ROWS {
            more = p.total as usize > MAX_EXPORT_ROWS;
            break;
        }
        if n < p.per_page {
            break;
        }
        page += 1;
    }
    if more {
        rows.truncate(MAX_EXPORT_ROWS);
        let mut note = vec![String::new(); EXPORT_HEADERS.len()];
        note[0] = format!("仅导出前 {MAX_EXPORT_ROWS} 条，请缩小筛选范围");
        rows.push(note);
    }
    Ok(crate::sheets::xlsx_table("问题线索", &EXPORT_HEADERS, rows))
}

// ---- rates ----

/// The figures of one department (or the total) over the period.
#[derive(Debug, Clone, Default, Serialize, utoipa::ToSchema)]
pub struct ClueDepartmentRate {
    /// None on the total row.
    pub department_id: Option<Uuid>,
    pub department: String,
    pub dispatched: i64,
    pub signed: i64,
    pub signed_in_time: i64,
    /// signed_in_time ÷ dispatched, 0–1 (none when nothing was dispatched).
    pub response_rate: Option<f64>,
    pub finished: i64,
    pub finished_in_time: i64,
    /// Finished clues whose deadline had been extended (延期).
    pub finished_extended: i64,
    /// finished_in_time ÷ finished, 0–1.
    pub on_time_rate: Option<f64>,
    pub overdue_now: i64,
    pub returned: i64,
    /// Evaluations (满意 / 基本满意 / 不满意) — none until the 评价 step stores them.
    pub evaluated: Option<i64>,
    /// (满意 + 基本满意) ÷ evaluated, 0–1; none until evaluations exist.
    pub satisfaction_rate: Option<f64>,
}

/// The office's view of clue handling per department.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ClueRates {
    pub from: NaiveDate,
    pub to: NaiveDate,
    /// The region subtree asked for (within the caller's scope).
    pub region: Option<String>,
    /// "Overdue now" is as of this day.
    pub today: NaiveDate,
    pub departments: Vec<ClueDepartmentRate>,
    pub total: ClueDepartmentRate,
}

/// The period and region of the rates.
#[derive(Debug, Clone, Default)]
pub struct RatesQuery {
    /// Default: 30 days before `to`.
    pub from: Option<NaiveDate>,
    /// Default: today.
    pub to: Option<NaiveDate>,
    pub region: Option<RegionCode>,
}

/// The longest period asked at once.
pub const MAX_PERIOD_DAYS: i64 = 366 * 3;

fn ratio(n: i64, d: i64) -> Option<f64> {
    (d > 0).then(|| n as f64 / d as f64)
}

fn rate_of(
    department_id: Option<Uuid>,
    department: String,
    x: &DepartmentCounts,
) -> ClueDepartmentRate {
    ClueDepartmentRate {
        department_id,
        department,
        dispatched: x.dispatched,
        signed: x.signed,
        signed_in_time: x.signed_in_time,
        response_rate: ratio(x.signed_in_time, x.dispatched),
        finished: x.finished,
        finished_in_time: x.finished_in_time,
        finished_extended: x.finished_extended,
        on_time_rate: ratio(x.finished_in_time, x.finished),
        overdue_now: x.overdue_now,
        returned: x.returned,
        evaluated: None,
        satisfaction_rate: None,
    }
}

/// The rates per department for the clues in the actor's scope (a line-scoped reader sees its
/// line's departments only; out of scope is not counted).
pub async fn rates(svc: &Services, a: &Actor, q: &RatesQuery) -> Result<ClueRates> {
    let today = today(svc);
    let to = q.to.unwrap_or(today);
    let from = q.from.unwrap_or(to - Duration::days(29));
    if from > to {
        return Err(ServiceError::field(
            "from",
            Invalid::new(
                "range",
                format!("起始日期 {from} 晚于截止日期 {to}"),
                format!("from {from} is after to {to}"),
            ),
        ));
    }
    if (to - from).num_days() > MAX_PERIOD_DAYS {
        return Err(ServiceError::field(
            "from",
            Invalid::new(
                "range",
                format!("统计期间最长 {MAX_PERIOD_DAYS} 天"),
                format!("the period is at most {MAX_PERIOD_DAYS} days"),
            ),
        ));
    }
    let c = svc.store.conn();
    let scope = Scope::of(a);
    let counts = store::department_counts(c, &scope, q.region.as_ref(), from, to, today).await?;
    let satisfaction = store::satisfaction_counts(c, &scope, q.region.as_ref(), from, to).await?;
    let ids: Vec<Uuid> = counts
        .iter()
        .map(|x| x.department_id)
        .chain(satisfaction.keys().copied())
        .collect();
    let names = lianjian_store::departments::by_ids(c, &ids).await?;
    // A line-scoped reader sees its line's departments only, however a figure was counted (a
    // joint clue another line leads shows in that line's figures, not in this reader's).
    let lines: Vec<&str> = std::iter::once(scope.grant())
        .chain(scope.narrowing())
        .filter_map(|f| f.line.as_deref())
        .collect();
    let on_line = |id: &Uuid| {
        lines.is_empty()
            || names
                .get(id)
                .is_some_and(|d| lines.iter().all(|l| d.line == *l))
    };
    let counts: Vec<DepartmentCounts> = counts
        .into_iter()
        .filter(|x| on_line(&x.department_id))
        .collect();
    let mut satisfaction = satisfaction;
    satisfaction.retain(|id, _| on_line(id));
    let mut total = DepartmentCounts::default();
    let mut departments: Vec<ClueDepartmentRate> = counts
        .iter()
        .map(|x| {
            total.dispatched += x.dispatched;
            total.signed += x.signed;
            total.signed_in_time += x.signed_in_time;
            total.finished += x.finished;
            total.finished_in_time += x.finished_in_time;
            total.finished_extended += x.finished_extended;
            total.overdue_now += x.overdue_now;
            total.returned += x.returned;
            let name = names
                .get(&x.department_id)
                .map_or_else(|| "（已删除的部门）".to_string(), |d| d.name.clone());
            let mut r = rate_of(Some(x.department_id), name, x);
            if let Some(s) = satisfaction.get(&x.department_id) {
                r.evaluated = Some(s.evaluated);
                r.satisfaction_rate = ratio(s.satisfied, s.evaluated);
            }
            r
        })
        .collect();
    departments.sort_by(|a, b| a.department.cmp(&b.department));
    let mut t = rate_of(None, "合计".into(), &total);
    if !satisfaction.is_empty() {
        let (ok, n) = satisfaction
            .values()
            .fold((0, 0), |(ok, n), s| (ok + s.satisfied, n + s.evaluated));
        t.evaluated = Some(n);
        t.satisfaction_rate = ratio(ok, n);
    }
    Ok(ClueRates {
        from,
        to,
        region: q.region.as_ref().map(ToString::to_string),
        today,
        departments,
        total: t,
    })
}

/// A rate as people read it: 87.5%, or — when there is nothing to divide.
pub fn percent(r: Option<f64>) -> String {
    r.map_or_else(|| "—".into(), |x| format!("{:.1}%", x * 100.0))
}

pub const RATES_HEADERS: [&str; 13] = [
    "承办部门",
    "派单数",
    "已签收",
    "按时签收",
    "签收及时率",
    "办结数",
    "按时办结",
    "其中经延期",
    "按时办结率",
    "当前超时",
    "退回次数",
    "已评价",
    "满意率",
];

/// The rates as xlsx (sheet 线索办理统计), the total last.
pub async fn export_rates(svc: &Services, a: &Actor, q: &RatesQuery) -> Result<Vec<u8>> {
    let r = rates(svc, a, q).await?;
    let row = |x: &ClueDepartmentRate| {
        vec![
            x.department.clone(),
            x.dispatched.to_string(),
            x.signed.to_string(),
            x.signed_in_time.to_string(),
            percent(x.response_rate),
            x.finished.to_string(),
            x.finished_in_time.to_string(),
            x.finished_extended.to_string(),
            percent(x.on_time_rate),
            x.overdue_now.to_string(),
            x.returned.to_string(),
            x.evaluated.map_or_else(|| "—".into(), |n| n.to_string()),
            percent(x.satisfaction_rate),
        ]
    };
    let mut rows: Vec<Vec<String>> = r.departments.iter().map(row).collect();
    rows.push(row(&r.total));
    let mut note = vec![String::new(); RATES_HEADERS.len()];
    note[0] = format!("统计期间 {} 至 {}；当前超时截至 {}", r.from, r.to, r.today);
    rows.push(note);
    Ok(crate::sheets::xlsx_table(
        "线索办理统计",
        &RATES_HEADERS,
        rows,
    ))
}
