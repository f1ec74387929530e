//! The clue desk around the queues (issue 14 item 8): the queue filters as the list and the
//! export read them, batch 签收 / 派单·改派 from a queue (each clue its own step, refusals named
//! row by row — the pattern of `claims::batch`), the xlsx export of the queue as filtered, and
//! the office's rates per department (签收及时率, 按时办结率, 当前超时, 退回, 满意率).

use std::collections::BTreeMap;

use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::NaiveDate;
use lianjian_domain::clue::{ClueKind, ClueSource, Urgency};
use lianjian_domain::region::RegionCode;
use lianjian_services::ServiceError;
use lianjian_services::clues::batch::{self, ClueBatch};
use lianjian_services::clues::reports::{self, ClueRates, RatesQuery, percent};
use lianjian_services::clues::{ClueFilter, ClueSort, Queue};
use uuid::Uuid;

use super::fields::FormData;
use super::{Chrome, ConsoleError, CsrfForm, form_errors, render};
use crate::AppState;
use crate::api::params::Params;
use crate::extract::Console;

/// The sort choices of the queue list: (value, label).
pub const SORTS: [(&str, &str); 3] = [
    ("received", "受理时间（新→旧）"),
    ("received_asc", "受理时间（旧→新）"),
    ("due", "时限（先到期在前）"),
];

pub fn sort_of(s: &str) -> Result<ClueSort, lianjian_domain::Invalid> {
    match s.trim() {
        "" | "received" => Ok(ClueSort::ReceivedDesc),
        "received_asc" => Ok(ClueSort::ReceivedAsc),
        "due" => Ok(ClueSort::DueAsc),
        t => Err(lianjian_domain::Invalid::new(
            "unknown_sort",
            format!("“{t}”不是有效的排序方式"),
            format!("'{t}' is not a sort; one of: received, received_asc, due"),
        )),
    }
}

/// The queue list's filters as typed (kept on the page) and as parsed; each bad one is named.
#[derive(Default, Clone)]
pub struct TypedFilter {
    pub region: String,
    pub source: String,
    pub kind: String,
    pub urgency: String,
    pub department_id: String,
    pub sort: String,
    pub q: String,
}

impl TypedFilter {
    pub fn read(p: &Params) -> Self {
        Self {
            region: p.one("region"),
            source: p.one("source"),
            kind: p.one("kind"),
            urgency: p.one("urgency"),
            department_id: p.one("department_id"),
            sort: p.one("sort"),
            q: p.one("q"),
        }
    }

    /// The service's filter, or every bad field with its message.
    pub fn parse(&self) -> (ClueFilter, BTreeMap<String, String>) {
        let mut errors = BTreeMap::new();
        let mut f = ClueFilter {
            text: (!self.q.trim().is_empty()).then(|| self.q.trim().to_string()),
            ..Default::default()
        };
        let mut put = |k: &str, e: lianjian_domain::Invalid| {
            errors.insert(k.to_string(), e.zh);
        };
        if !self.region.is_empty() {
            match RegionCode::parse(&self.region) {
                Ok(r) => f.region = Some(r),
                Err(e) => put("region", e),
            }
        }
        if !self.source.is_empty() {
            match ClueSource::parse(&self.source) {
                Ok(x) => f.source = Some(x),
                Err(e) => put("source", e),
            }
        }
        if !self.kind.is_empty() {
            match ClueKind::parse(&self.kind) {
                Ok(x) => f.kind = Some(x),
                Err(e) => put("kind", e),
            }
        }
        if !self.urgency.is_empty() {
            match Urgency::parse(&self.urgency) {
                Ok(x) => f.urgency = Some(x),
                Err(e) => put("urgency", e),
            }
        }
        if !self.department_id.is_empty() {
            match self.department_id.trim().parse::<Uuid>() {
                Ok(d) => f.department_id = Some(d),
                Err(_) => put(
                    "department_id",
                    lianjian_domain::Invalid::new(
                        "uuid",
                        "承办部门不正确",
                        "department_id is not an id",
                    ),
                ),
            }
        }
        match sort_of(&self.sort) {
            Ok(s) => f.sort = s,
            Err(e) => put("sort", e),
        }
        (f, errors)
    }

    /// The filters as query pairs (pager, export link).
    pub fn pairs(&self) -> Vec<(&'static str, String)> {
        vec![
            ("region", self.region.clone()),
            ("source", self.source.clone()),
            ("kind", self.kind.clone()),
            ("urgency", self.urgency.clone()),
            ("department_id", self.department_id.clone()),
            ("sort", self.sort.clone()),
            ("q", self.q.clone()),
        ]
    }
}

/// The queue of the request, the actor's first queue when none is named.
pub fn queue_of(p: &Params, mine: &[Queue]) -> Result<Queue, lianjian_domain::Invalid> {
    let raw = p.one("queue");
    if raw.trim().is_empty() {
        return Ok(mine.first().copied().unwrap_or(Queue::All));
    }
    Queue::parse(&raw)
}

/// The batch bar's fields as typed, and the outcome of the last batch.
#[derive(Default)]
pub struct BatchState {
    pub ids: Vec<String>,
    pub department_id: String,
    pub reason: String,
    /// Why the batch as a whole was refused (nothing was done).
    pub error: Option<String>,
    pub report: Option<BatchReport>,
}

impl BatchState {
    pub fn checked(&self, id: &Uuid) -> bool {
        let id = id.to_string();
        self.ids.contains(&id)
    }
}

/// What a batch did: how many were done, and each clue that was not (第 N 条 or its code), why.
pub struct BatchReport {
    pub action: &'static str,
    pub done: usize,
    pub failed: Vec<(String, String)>,
}

/// Why one clue of a batch was not done, in words.
fn row_failure(e: ServiceError) -> String {
    match e {
        ServiceError::NotFound => "不在您的队列中（可能已由他人处理，或不属于您的管辖范围）".into(),
        ServiceError::Forbidden => "您无权办理该线索".into(),
        other => match super::fields::errors_of(&other) {
            Some(m) => m.into_values().collect::<Vec<_>>().join("；"),
            None => crate::ApiError::from(other).message,
        },
    }
}

/// `POST /console/clues/batch`: 批量签收 (`action=sign`) or 批量派单/改派 (`action=send`, with
/// `department_id` and, for clues already sent once, `reason`) on the checked clues. Answers
/// the queue page (as filtered) with the report.
pub async fn batch(
    State(st): State<AppState>,
    Console(s): Console,
    Query(q): Query<Vec<(String, String)>>,
    CsrfForm(f): CsrfForm<FormData>,
) -> Result<Response, ConsoleError> {
    let mut state = BatchState {
        ids: f.all("ids"),
        department_id: f.get("department_id"),
        reason: f.get("reason"),
        ..Default::default()
    };
    let mut ids = Vec::with_capacity(state.ids.len());
    for raw in &state.ids {
        match Uuid::parse_str(raw.trim()) {
            Ok(id) => ids.push(id),
            Err(_) => return Err(ConsoleError::not_found()),
        }
    }
    let p = Params(q);
    let refuse = |mut state: BatchState, msg: String| {
        state.error = Some(format!("批量操作未执行：{msg}"));
        state
    };
    let (what, action) = match f.get("action").as_str() {
        "sign" => (ClueBatch::Sign, "签收"),
        "send" => match Uuid::parse_str(state.department_id.trim()) {
            Ok(d) => (
                ClueBatch::Send {
                    department_id: d,
                    reason: state.reason.clone(),
                },
                "派单/改派",
            ),
            Err(_) => {
                let state = refuse(state, "请选择承办部门".into());
                return super::clues::list_page(&st, &s, &p, state).await;
            }
        },
        _ => {
            let state = refuse(state, "请选择要执行的操作".into());
            return super::clues::list_page(&st, &s, &p, state).await;
        }
    };
    let rows = match batch::run(&st.svc, &s.actor, &ids, &what).await {
        Ok(rows) => rows,
        Err(e @ ServiceError::Forbidden) => return Err(e.into()),
        Err(e) => {
            let msg = form_errors(e)?.into_values().collect::<Vec<_>>().join("；");
            let state = refuse(state, msg);
            return super::clues::list_page(&st, &s, &p, state).await;
        }
    };
    let mut report = BatchReport {
        action,
        done: 0,
        failed: Vec::new(),
    };
    let mut still = Vec::new();
    for (i, r) in rows.into_iter().enumerate() {
        match r.error {
            None => report.done += 1,
            Some(e) => {
                let name = match r.code {
                    Some(code) => format!("第 {} 条（{code}）", i + 1),
                    None => format!("第 {} 条", i + 1),
                };
                still.push(r.clue_id.to_string());
                report.failed.push((name, row_failure(e)));
            }
        }
    }
    // Clues not done stay checked, to fix the bar and try again.
    state.ids = still;
    state.report = Some(report);
    super::clues::list_page(&st, &s, &p, state).await
}

/// `GET /console/clues/export`: the queue as filtered, as xlsx (complainants masked).
pub async fn export(
    State(st): State<AppState>,
    Console(s): Console,
    Query(q): Query<Vec<(String, String)>>,
) -> Result<Response, ConsoleError> {
    let p = Params(q);
    let mine = Queue::of_role(&s.actor);
    let queue = queue_of(&p, &mine).map_err(|e| ServiceError::field("queue", e))?;
    let (filter, errors) = TypedFilter::read(&p).parse();
    if let Some((k, v)) = errors.into_iter().next() {
        return Err(ServiceError::field(
            &k,
            lianjian_domain::Invalid::new("invalid", v.clone(), v),
        )
        .into());
    }
    let bytes = reports::export(&st.svc, &s.actor, queue, &filter).await?;
    Ok(super::exchange::xlsx(
        &format!(
            "问题线索-{}-{}.xlsx",
            queue.label_zh(),
            crate::api::params::today()
        ),
        bytes,
    ))
}

/// The rates form as typed and parsed.
fn rates_query(p: &Params) -> (RatesQuery, BTreeMap<String, String>) {
    let mut errors = BTreeMap::new();
    let mut q = RatesQuery::default();
    let date = |k: &str, errors: &mut BTreeMap<String, String>| -> Option<NaiveDate> {
        let v = p.one(k);
        if v.trim().is_empty() {
            return None;
        }
        match v.trim().parse::<NaiveDate>() {
            Ok(d) => Some(d),
            Err(_) => {
                errors.insert(
                    k.into(),
                    format!("日期“{v}”不正确，应为 2026-12-07 这样的格式"),
                );
                None
            }
        }
    };
    q.from = date("from", &mut errors);
    q.to = date("to", &mut errors);
    let r = p.one("region");
    if !r.trim().is_empty() {
        match RegionCode::parse(&r) {
            Ok(x) => q.region = Some(x),
            Err(e) => {
                errors.insert("region".into(), e.zh);
            }
        }
    }
    (q, errors)
}

pub struct RateRow {
    pub department: String,
    pub dispatched: i64,
    pub signed_in_time: i64,
    pub response: String,
    pub finished: i64,
    pub finished_in_time: i64,
    pub finished_extended: i64,
    pub on_time: String,
    pub overdue_now: i64,
    pub returned: i64,
    pub satisfaction: String,
}

fn rate_row(x: &reports::ClueDepartmentRate) -> RateRow {
    RateRow {
        department: x.department.clone(),
        dispatched: x.dispatched,
        signed_in_time: x.signed_in_time,
        response: percent(x.response_rate),
        finished: x.finished,
        finished_in_time: x.finished_in_time,
        finished_extended: x.finished_extended,
        on_time: percent(x.on_time_rate),
        overdue_now: x.overdue_now,
        returned: x.returned,
        satisfaction: percent(x.satisfaction_rate),
    }
}

#[derive(Template)]
#[template(path = "console/clue_rates.html")]
struct RatesPage {
    c: Chrome,
    from: String,
    to: String,
    region: String,
    today: String,
    rows: Vec<RateRow>,
    total: Option<RateRow>,
    export_query: String,
    errors: BTreeMap<String, String>,
}

/// `GET /console/clues/rates`: the rates per department over a period (default the last 30
/// days) and region.
pub async fn rates(
    State(st): State<AppState>,
    Console(s): Console,
    Query(q): Query<Vec<(String, String)>>,
) -> Result<Response, ConsoleError> {
    let p = Params(q);
    let (rq, mut errors) = rates_query(&p);
    let r: Option<ClueRates> = if errors.is_empty() {
        match reports::rates(&st.svc, &s.actor, &rq).await {
            Ok(r) => Some(r),
            Err(e) => {
                errors.extend(form_errors(e)?);
                None
            }
        }
    } else {
        None
    };
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let (from, to, today) = match &r {
        Some(r) => (r.from.to_string(), r.to.to_string(), r.today.to_string()),
        None => (p.one("from"), p.one("to"), String::new()),
    };
    let region = p.one("region");
    let export_query = format!(
        "from={}&to={}&region={}",
        crate::extract::urlencode(&from),
        crate::extract::urlencode(&to),
        crate::extract::urlencode(&region)
    );
    let body = render(RatesPage {
        c: Chrome::new(&st.svc, &s, "clues").await,
        rows: r
            .as_ref()
            .map(|r| r.departments.iter().map(rate_row).collect())
            .unwrap_or_default(),
        total: r.as_ref().map(|r| rate_row(&r.total)),
        from,
        to,
        region,
        today,
        export_query,
        errors,
    });
    Ok((status, body).into_response())
}

/// `GET /console/clues/rates/export`: the same figures as xlsx.
pub async fn rates_export(
    State(st): State<AppState>,
    Console(s): Console,
    Query(q): Query<Vec<(String, String)>>,
) -> Result<Response, ConsoleError> {
    let (rq, errors) = rates_query(&Params(q));
    if let Some((k, v)) = errors.into_iter().next() {
        return Err(ServiceError::field(
            &k,
            lianjian_domain::Invalid::new("invalid", v.clone(), v),
        )
        .into());
    }
    let bytes = reports::export_rates(&st.svc, &s.actor, &rq).await?;
    Ok(super::exchange::xlsx(
        &format!("线索办理统计-{}.xlsx", crate::api::params::today()),
        bytes,
    ))
}
