//! IoT devices (物联网感知设备), issue 16 item 3: `/api/v1/devices` (the registry, scoped like
//! the directory and by the owner department's line) and `/api/v1/iot/ingest` (the MQTT
//! ingest's counters and samples of refused messages). Readings arrive over MQTT, never
//! here (docs/iot.md).

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use lianjian_services::ServiceError;
use lianjian_services::iot::IngestStats;
use lianjian_services::iot::devices::{
    self, DeviceDetail, DeviceFilter, DeviceInput, DeviceView, may_manage_devices,
};
use serde::Deserialize;
use utoipa::IntoParams;

use super::dto::PageOf;
use super::params::{self, Pages, text};
use crate::error::ErrorBody;
use crate::extract::{ApiActor, ApiJson, ApiQuery};
use crate::{ApiError, AppState};

/// Filters of the device list.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DeviceParams {
    /// Part of the device id or the location.
    pub q: Option<String>,
    /// `cold_chain_thermometer`, `kitchen_camera`, `gas_alarm`, `smoke_detector`,
    /// `water_quality`, `other`.
    pub kind: Option<String>,
    /// `active` or `retired`.
    pub status: Option<String>,
}

/// Devices in the caller's scope, by device id.
#[utoipa::path(get, path = "/api/v1/devices", tag = "iot", params(DeviceParams, Pages),
    responses((status = 200, body = PageOf<DeviceView>), (status = 422, body = ErrorBody)))]
pub async fn list(
    State(st): State<AppState>,
    ApiActor(a): ApiActor,
    ApiQuery(f): ApiQuery<DeviceParams>,
    ApiQuery(p): ApiQuery<Pages>,
) -> Result<Json<PageOf<DeviceView>>, ApiError> {
    let filter = DeviceFilter {
        q: text(&f.q),
        kind: text(&f.kind),
        status: text(&f.status),
    };
    let page = devices::list(&st.svc, &a, &filter, p.request()?).await?;
    Ok(Json(PageOf::from(page, |x| x)))
}

/// Registers a device (administrators of the owner department's line, the coordination
/// office). Every bad field is named (422); a device id already registered is a 409 on
/// `external_id`.
#[utoipa::path(post, path = "/api/v1/devices", tag = "iot", request_body = DeviceInput,
    responses((status = 201, body = DeviceView), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create(
    State(st): State<AppState>,
    ApiActor(a): ApiActor,
    ApiJson(b): ApiJson<DeviceInput>,
) -> Result<(StatusCode, Json<DeviceView>), ApiError> {
    Ok((
        StatusCode::CREATED,
        Json(devices::create(&st.svc, &a, &b).await?),
    ))
}

/// A device with its latest readings, minute aggregates and exceedances. 404 outside the
/// caller's scope.
#[utoipa::path(get, path = "/api/v1/devices/{id}", tag = "iot",
    responses((status = 200, body = DeviceDetail), (status = 404, body = ErrorBody)))]
pub async fn get(
    State(st): State<AppState>,
    ApiActor(a): ApiActor,
    Path(id): Path<String>,
) -> Result<Json<DeviceDetail>, ApiError> {
    Ok(Json(devices::get(&st.svc, &a, params::id(&id)?).await?))
}

/// Changes a device (every field sent again; `status: retired` stops accepting its
/// messages, its history stays).
#[utoipa::path(put, path = "/api/v1/devices/{id}", tag = "iot", request_body = DeviceInput,
    responses((status = 200, body = DeviceView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn update(
    State(st): State<AppState>,
    ApiActor(a): ApiActor,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<DeviceInput>,
) -> Result<Json<DeviceView>, ApiError> {
    Ok(Json(
        devices::update(&st.svc, &a, params::id(&id)?, &b).await?,
    ))
}

/// The MQTT ingest's counters since the server started and the newest refused messages with
/// their reason (for those who keep devices).
#[utoipa::path(get, path = "/api/v1/iot/ingest", tag = "iot",
    responses((status = 200, body = IngestStats), (status = 403, body = ErrorBody)))]
pub async fn ingest(
    State(st): State<AppState>,
    ApiActor(a): ApiActor,
) -> Result<Json<IngestStats>, ApiError> {
    if !may_manage_devices(&a) {
        return Err(ServiceError::Forbidden.into());
    }
    Ok(Json(st.svc.iot.stats()))
}
