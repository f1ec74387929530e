//! `/api/v1/analysis`: analysis and evaluation (分析评估, issue 17 item 6) — every indicator with
//! its definition by department, region, item or month for the caller's scope, the same table
//! as xlsx, the figures rebuilt on demand, and the supervision actions (inspections,
//! rectifications, sanction tasks) as JSON Lines for upper-level systems
//! (docs/supervision-actions.md).

use axum::Json;
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use lianjian_services::analysis::{self, Table};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::params::{self, text};
use crate::error::ErrorBody;
use crate::extract::{ApiActor, ApiQuery};
use crate::{ApiError, AppState};

/// The period, breakdown and filters of a table.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AnalysisParams {
    /// First month (`2026-01`); default eleven months before `to`.
    pub from: Option<String>,
    /// Last month, inclusive; default this month.
    pub to: Option<String>,
    /// `department` (default), `region`, `item` or `month` (the trend).
    pub by: Option<String>,
    /// A region subtree (narrows the caller's scope).
    pub region: Option<String>,
    /// A department id.
    pub department: Option<String>,
    /// An item id.
    pub item: Option<String>,
}

impl AnalysisParams {
    fn query(&self, st: &AppState) -> Result<analysis::Query, ApiError> {
        Ok(analysis::parse_query(
            &st.svc,
            text(&self.from).as_deref(),
            text(&self.to).as_deref(),
            text(&self.by).as_deref(),
            text(&self.region).as_deref(),
            text(&self.department).as_deref(),
            text(&self.item).as_deref(),
        )?)
    }
}

/// The indicators (plan completion, problem rate, joint-inspection share, visits saved,
/// rectification and on-time rates, publication timeliness, clue response / on-time /
/// satisfaction, warning response hours, sanction feedback) per department, region, item or
/// month, with the total, the counts behind each value and each indicator's definition. Only
/// records in the caller's scope count. Inspectors get 403.
#[utoipa::path(get, path = "/api/v1/analysis", tag = "analysis", params(AnalysisParams),
    responses((status = 200, body = Table), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn table(
    State(st): State<AppState>,
    ApiActor(a): ApiActor,
    ApiQuery(p): ApiQuery<AnalysisParams>,
) -> Result<Json<Table>, ApiError> {
    Ok(Json(analysis::table(&st.svc, &a, &p.query(&st)?).await?))
}

/// The same table as xlsx (the total, then the definitions, below the rows).
#[utoipa::path(get, path = "/api/v1/analysis/export.xlsx", tag = "analysis", params(AnalysisParams),
    responses((status = 200, description = "xlsx", content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn export(
    State(st): State<AppState>,
    ApiActor(a): ApiActor,
    ApiQuery(p): ApiQuery<AnalysisParams>,
) -> Result<Response, ApiError> {
    let bytes = analysis::export_xlsx(&st.svc, &a, &p.query(&st)?).await?;
    Ok(crate::console::exchange::xlsx(
        &format!("分析评估-{}.xlsx", params::today()),
        bytes,
    ))
}

/// The supervision actions of the period's months (`from`, `to`) within the caller's scope, as
/// JSON Lines (`application/x-ndjson`): one object per line with `type` `inspection`,
/// `rectification`, `sanction_task`, `assistance` or `penalty`; the fields are documented in
/// docs/supervision-actions.md. More than 200,000 records of a kind: 422, export a shorter
/// period.
#[utoipa::path(get, path = "/api/v1/analysis/actions", tag = "analysis", params(AnalysisParams),
    responses((status = 200, description = "JSON Lines", content_type = "application/x-ndjson"), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn actions(
    State(st): State<AppState>,
    ApiActor(a): ApiActor,
    ApiQuery(p): ApiQuery<AnalysisParams>,
) -> Result<Response, ApiError> {
    let q = p.query(&st)?;
    let body = analysis::export_actions(&st.svc, &a, q.months.from, q.months.last_day()).await?;
    Ok(jsonl(
        &format!("supervision-actions-{}.jsonl", q.months.from.format("%Y%m")),
        body,
    ))
}

/// A JSON Lines download.
pub(crate) fn jsonl(name: &str, body: String) -> Response {
    let encoded = crate::extract::urlencode(name);
    (
        [
            (
                header::CONTENT_TYPE,
                "application/x-ndjson; charset=utf-8".to_string(),
            ),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"actions.jsonl\"; filename*=UTF-8''{encoded}"),
            ),
        ],
        body,
    )
        .into_response()
}

/// What a rebuild did.
#[derive(Debug, Serialize, ToSchema)]
pub struct Refreshed {
    /// Cells (month × county × department × item) written.
    pub cells: i64,
    pub millis: i64,
}

/// Rebuilds the monthly figures from the records now (the server also does it every hour).
/// The coordination office and the system administrator; others get 403.
#[utoipa::path(post, path = "/api/v1/analysis/refresh", tag = "analysis",
    responses((status = 200, body = Refreshed), (status = 403, body = ErrorBody)))]
pub async fn refresh(
    State(st): State<AppState>,
    ApiActor(a): ApiActor,
) -> Result<Json<Refreshed>, ApiError> {
    let r = analysis::refresh(&st.svc, &a).await?;
    Ok(Json(Refreshed {
        cells: r.cells,
        millis: r.millis,
    }))
}
