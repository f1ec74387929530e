//! `/api/v1/calendar`: the working-day calendar (工作日历) — listed public holidays and make-up
//! workdays, and deadlines counted in working days for other systems.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use chrono::{DateTime, NaiveDate, Utc};
use lianjian_domain::calendar::{CalendarDay, DayKind, weekday_zh};
use lianjian_services::calendar::StoredDay;
use lianjian_services::{ServiceError, calendar};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::params;
use crate::error::ErrorBody;
use crate::extract::{ApiActor, ApiJson, ApiQuery};
use crate::{ApiError, AppState};

#[derive(Debug, Serialize, ToSchema)]
pub struct CalendarDayDto {
    pub date: NaiveDate,
    /// holiday (放假) | workday (调休上班)
    pub kind: String,
    pub kind_label: String,
    /// 周一 … 周日
    pub weekday: String,
    /// The festival, e.g. 春节.
    pub name: String,
    /// Who last set the day; `builtin` for the State Council notices shipped with Lianjian.
    pub updated_by: String,
    pub updated_at: DateTime<Utc>,
}

impl From<StoredDay> for CalendarDayDto {
    fn from(d: StoredDay) -> Self {
        Self {
            date: d.day.date,
            kind: d.day.kind.as_str().into(),
            kind_label: d.day.kind.label().into(),
            weekday: weekday_zh(d.day.date).into(),
            name: d.day.name,
            updated_by: d.updated_by,
            updated_at: d.updated_at,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CalendarYearDto {
    pub year: i32,
    /// Whether the State Council's arrangement for the year is loaded; if not, deadlines in that
    /// year are counted by weekends only.
    pub covered: bool,
    pub days: Vec<CalendarDayDto>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct YearFilter {
    /// Year, e.g. 2026; default the current year (Beijing time).
    pub year: Option<i32>,
}

impl YearFilter {
    fn year(&self) -> Result<i32, ApiError> {
        let Some(y) = self.year else {
            return Ok(params::today()[..4].parse().expect("a year"));
        };
        if (1949..=9999).contains(&y) {
            Ok(y)
        } else {
            Err(ApiError::out_of_range(
                "year",
                format!("年份“{y}”无效，应为 1949–9999"),
                format!("year '{y}' is invalid: 1949–9999"),
            ))
        }
    }
}

fn date_param(field: &str, v: &str) -> Result<NaiveDate, ApiError> {
    NaiveDate::parse_from_str(v.trim(), "%Y-%m-%d").map_err(|_| {
        ApiError::bad_request(
            field,
            "invalid_date",
            format!("日期“{v}”无效，应为 YYYY-MM-DD"),
            format!("date '{v}' is invalid: use YYYY-MM-DD"),
        )
    })
}

/// The listed public holidays (放假) and make-up workdays (调休上班) of one year.
#[utoipa::path(get, path = "/api/v1/calendar", tag = "calendar", params(YearFilter),
    responses((status = 200, body = CalendarYearDto), (status = 400, body = ErrorBody)))]
pub async fn list(
    State(st): State<AppState>,
    _a: ApiActor,
    ApiQuery(f): ApiQuery<YearFilter>,
) -> Result<Json<CalendarYearDto>, ApiError> {
    let year = f.year()?;
    let cal = calendar::current(&st.svc).await?;
    let days = calendar::list(&st.svc, year).await?;
    Ok(Json(CalendarYearDto {
        year,
        covered: cal.covers(year),
        days: days.into_iter().map(CalendarDayDto::from).collect(),
    }))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CalendarDayInput {
    /// holiday | workday (also 休 | 班).
    pub kind: String,
    /// The festival, e.g. 春节.
    pub name: String,
}

/// Lists a date as a holiday or a make-up workday (replacing what was listed on it). System
/// administrators and provincial coordination offices only.
#[utoipa::path(put, path = "/api/v1/calendar/{date}", tag = "calendar", request_body = CalendarDayInput,
    params(("date" = String, Path, description = "YYYY-MM-DD")),
    responses((status = 200, body = CalendarDayDto), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn put(
    State(st): State<AppState>,
    ApiActor(a): ApiActor,
    Path(date): Path<String>,
    ApiJson(b): ApiJson<CalendarDayInput>,
) -> Result<Json<CalendarDayDto>, ApiError> {
    let date = date_param("date", &date)?;
    let kind = DayKind::parse(&b.kind).map_err(|e| ServiceError::field("kind", e))?;
    let d = calendar::set_day(
        &st.svc,
        &a,
        CalendarDay {
            date,
            kind,
            name: b.name,
        },
    )
    .await?;
    Ok(Json(d.into()))
}

/// Removes a listed date: it goes back to the weekday rule. System administrators and
/// provincial coordination offices only.
#[utoipa::path(delete, path = "/api/v1/calendar/{date}", tag = "calendar",
    params(("date" = String, Path, description = "YYYY-MM-DD")),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn delete(
    State(st): State<AppState>,
    ApiActor(a): ApiActor,
    Path(date): Path<String>,
) -> Result<StatusCode, ApiError> {
    // A malformed date is as absent as an unlisted one.
    let date =
        NaiveDate::parse_from_str(date.trim(), "%Y-%m-%d").map_err(|_| ApiError::not_found())?;
    calendar::remove_day(&st.svc, &a, date).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct WorkingDaysQuery {
    /// The start date, YYYY-MM-DD (the day of service or completion; not counted).
    pub from: String,
    /// Working days, 0–2500.
    pub n: u32,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DeadlineDto {
    pub from: NaiveDate,
    pub working_days: u32,
    /// The n-th working day after `from`.
    pub due: NaiveDate,
    /// 周一 … 周日
    pub due_weekday: String,
    /// Years between `from` and `due` whose holiday arrangement is not loaded (counted by
    /// weekends only: the deadline may be too early).
    pub uncovered_years: Vec<i32>,
}

/// Computes a deadline counted in working days: the n-th working day after `from`, the start
/// day not counted (开始的当日不计入; docs/calendar.md).
#[utoipa::path(get, path = "/api/v1/calendar/working-days", tag = "calendar", params(WorkingDaysQuery),
    responses((status = 200, body = DeadlineDto), (status = 400, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn working_days(
    State(st): State<AppState>,
    _a: ApiActor,
    ApiQuery(q): ApiQuery<WorkingDaysQuery>,
) -> Result<Json<DeadlineDto>, ApiError> {
    let from = date_param("from", &q.from)?;
    let d = calendar::deadline(&st.svc, from, q.n).await?;
    Ok(Json(DeadlineDto {
        from: d.from,
        working_days: d.working_days,
        due_weekday: weekday_zh(d.due).into(),
        due: d.due,
        uncovered_years: d.uncovered_years,
    }))
}
