//! Merging a complaint-driven (ad-hoc) visit into the random visit to the same entity in an
//! overlapping period (国办发〔2023〕1号 (九), "进一次门、查多项事"). Both visits' pages warn
//! of the pair (`VisitDetail::overlaps`) and offer this form; the service decides who may.

use axum::extract::State;
use axum::response::Response;
use lianjian_services::visits;

use super::fields::FormData;
use super::{ConsoleError, CsrfForm, PathId, parse_id, see_other};
use crate::AppState;
use crate::extract::Console;

/// `POST /console/visits/{id}/merge` with `into` = the random visit: folds visit `id` into it
/// and shows the random visit.
pub async fn merge(
    State(st): State<AppState>,
    Console(s): Console,
    PathId(id): PathId,
    CsrfForm(f): CsrfForm<FormData>,
) -> Result<Response, ConsoleError> {
    let into = parse_id(f.get("into").trim())?;
    let v = visits::merge_into_random(&st.svc, &s.actor, id, into).await?;
    Ok(see_other(&format!(
        "/console/visits/{}?ok=merged",
        v.visit.id
    )))
}
