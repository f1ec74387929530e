//! The API side of the case mechanism (`services::cases`), written once for every case kind:
//! a queue is a page of the kind's views ([`listed`], its `queue` parameter read by
//! [`params::queue`](super::params::queue)); a step is a POST on the case's path whose answer is
//! the case as it now stands ([`on_case`]). A kind's handlers only name their service calls; their
//! `utoipa::path` documents each operation.

use axum::Json;
use lianjian_services::{Page, ServiceError};
use utoipa::ToSchema;
use uuid::Uuid;

use super::dto::PageOf;
use super::params;
use crate::ApiError;

/// A read or a step of the case of path id `id` (404 when it is not an id): `run` takes it and answers
/// the case's detail.
pub async fn on_case<T, Fut>(id: &str, run: impl FnOnce(Uuid) -> Fut) -> Result<Json<T>, ApiError>
where
    Fut: Future<Output = Result<T, ServiceError>>,
{
    Ok(Json(run(params::id(id)?).await?))
}

/// A page of a queue as the API answers it.
pub fn listed<T: ToSchema>(page: Page<T>) -> Json<PageOf<T>> {
    Json(PageOf::from(page, |x| x))
}
