//! Compliance guides (合规经营指南, 一业一册, issue 17 item 5): a guide as generated for a day,
//! its explanatory sections and the departments' public contacts. Staff API; the public reads
//! guides on the portal (`/guides`).

use axum::Json;
use axum::extract::{Path, State};
use chrono::{DateTime, Utc};
use lianjian_services::guides::{self, ContactInput, Guide};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::items::visible_item;
use super::params;
use crate::error::ErrorBody;
use crate::extract::{ApiActor, ApiJson, ApiQuery};
use crate::{ApiError, AppState};

#[derive(Debug, Serialize, ToSchema)]
pub struct GuideDepartmentDto {
    pub department_id: Uuid,
    pub name: String,
    /// lead | cooperating
    pub role: String,
    pub role_label: String,
    pub duties: String,
    pub legal_basis: String,
    pub phone: String,
    pub address: String,
    pub hours: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct GuideCheckPointDto {
    pub dimension: String,
    pub dimension_label: String,
    pub content: String,
    pub legal_basis: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct GuideFrequencyDto {
    /// a | b | c | d | ungraded
    pub class: String,
    pub class_label: String,
    /// e.g. `3%`
    pub ratio: String,
    pub band: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct GuideProblemDto {
    pub dimension: String,
    pub dimension_label: String,
    pub content: String,
    pub legal_basis: String,
    /// Times answered 不符合 on published visits in the window.
    pub count: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct GuideResultDto {
    pub result_code: String,
    pub result_label: String,
    pub count: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct GuideSectionDto {
    /// overview | rectification | notes
    pub kind: String,
    pub kind_label: String,
    pub version: i32,
    pub body: String,
    pub edited_by: String,
    pub edited_at: DateTime<Utc>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct GuideDto {
    pub item_id: Uuid,
    pub code: String,
    pub name: String,
    pub sector: Option<String>,
    /// The item version the guide follows and since when it is in force.
    pub item_version: i32,
    pub version_effective_at: DateTime<Utc>,
    pub at: DateTime<Utc>,
    pub object_description: String,
    pub methods: Vec<String>,
    pub departments: Vec<GuideDepartmentDto>,
    pub check_points: Vec<GuideCheckPointDto>,
    pub legal_bases: Vec<String>,
    /// The public plan the ratios come from (`<code>`), or none: the defaults.
    pub frequency_plan: Option<String>,
    pub frequency: Vec<GuideFrequencyDto>,
    pub process: Vec<String>,
    /// The process flowchart, an SVG document.
    pub flowchart_svg: String,
    pub problems_since: DateTime<Utc>,
    pub problems: Vec<GuideProblemDto>,
    pub results: Vec<GuideResultDto>,
    pub sections: Vec<GuideSectionDto>,
}

fn section_dto(s: guides::Section) -> GuideSectionDto {
    GuideSectionDto {
        kind: s.kind.as_str().into(),
        kind_label: s.kind.label_zh().into(),
        version: s.version,
        body: s.body,
        edited_by: s.edited_by,
        edited_at: s.edited_at,
    }
}

fn guide_dto(g: Guide) -> GuideDto {
    GuideDto {
        item_id: g.item_id,
        code: g.code,
        name: g.name,
        sector: g.sector,
        item_version: g.version,
        version_effective_at: g.version_effective_at,
        at: g.at,
        object_description: g.object_description,
        methods: g.methods.iter().map(|m| m.label_zh().to_string()).collect(),
        departments: g
            .departments
            .into_iter()
            .map(|d| GuideDepartmentDto {
                department_id: d.department_id,
                name: d.name,
                role: d.role.as_str().into(),
                role_label: d.role.label_zh().into(),
                duties: d.duties,
                legal_basis: d.legal_basis,
                phone: d.contact.phone,
                address: d.contact.address,
                hours: d.contact.hours,
            })
            .collect(),
        check_points: g
            .check_points
            .into_iter()
            .flat_map(|(_, ps)| ps)
            .map(|p| GuideCheckPointDto {
                dimension: p.dimension.as_str().into(),
                dimension_label: p.dimension.label_zh().into(),
                content: p.content,
                legal_basis: p.legal_basis,
            })
            .collect(),
        legal_bases: g.legal_bases,
        frequency_plan: g.frequency.plan.map(|(c, _)| c),
        frequency: g
            .frequency
            .rows
            .into_iter()
            .map(|r| GuideFrequencyDto {
                class: r.class.field().trim_start_matches("ratio_").into(),
                class_label: r.label.into(),
                ratio: r.ratio,
                band: r.band.into(),
            })
            .collect(),
        process: g
            .steps
            .into_iter()
            .map(|s| format!("{}：{}", s.title, s.detail))
            .collect(),
        flowchart_svg: g.flowchart_svg,
        problems_since: g.problems_since,
        problems: g
            .problems
            .into_iter()
            .map(|p| GuideProblemDto {
                dimension: p.dimension.as_str().into(),
                dimension_label: p.dimension.label_zh().into(),
                content: p.content,
                legal_basis: p.legal_basis,
                count: p.count,
            })
            .collect(),
        results: g
            .results
            .into_iter()
            .map(|(c, n)| GuideResultDto {
                result_code: c.as_str().into(),
                result_label: c.label_zh().into(),
                count: n,
            })
            .collect(),
        sections: g.sections.into_iter().map(section_dto).collect(),
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct GuideAt {
    /// A day, YYYY-MM-DD (the guide as at the end of that day, Beijing time), or an RFC 3339
    /// instant; today when absent.
    pub date: Option<String>,
}

/// An item's compliance guide as generated from the item version in force on a day.
#[utoipa::path(get, path = "/api/v1/guides/{item_id}", tag = "guides", params(GuideAt),
    responses((status = 200, body = GuideDto), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn get(
    State(st): State<AppState>,
    ApiActor(a): ApiActor,
    Path(item_id): Path<String>,
    ApiQuery(q): ApiQuery<GuideAt>,
) -> Result<Json<GuideDto>, ApiError> {
    let i = visible_item(&st.svc, &a, params::id(&item_id)?).await?;
    let at = match q.date.as_deref().map(str::trim).filter(|d| !d.is_empty()) {
        None => Utc::now(),
        Some(d) => params::end_of_day_or_instant(d).ok_or_else(|| {
            ApiError::bad_request(
                "date",
                "date_format",
                format!("日期“{d}”无法识别，请使用 2026-03-31 格式"),
                format!("cannot read date '{d}'; use 2026-03-31"),
            )
        })?,
    };
    Ok(Json(guide_dto(guides::guide(&st.svc, i.id, at).await?)))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SectionBody {
    /// The text, at most 4000 characters; empty removes the section (its history stays).
    pub body: String,
}

/// Saves a new version of an explanatory section (overview | rectification | notes, or the
/// Chinese labels); the lead department's administrators and the coordination office.
#[utoipa::path(put, path = "/api/v1/guides/{item_id}/sections/{kind}", tag = "guides", request_body = SectionBody,
    responses((status = 200, body = GuideSectionDto), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn put_section(
    State(st): State<AppState>,
    ApiActor(a): ApiActor,
    Path((item_id, kind)): Path<(String, String)>,
    ApiJson(b): ApiJson<SectionBody>,
) -> Result<Json<GuideSectionDto>, ApiError> {
    let i = visible_item(&st.svc, &a, params::id(&item_id)?).await?;
    let s = guides::edit_section(&st.svc, &a, i.id, &kind, &b.body).await?;
    Ok(Json(section_dto(s)))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ContactBody {
    #[serde(default)]
    pub phone: String,
    #[serde(default)]
    pub address: String,
    #[serde(default)]
    pub hours: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ContactDto {
    pub phone: String,
    pub address: String,
    pub hours: String,
}

/// Sets a department's public contact details, shown in every guide naming it: its own
/// administrators, the coordination office of its region.
#[utoipa::path(put, path = "/api/v1/guides/contacts/{department_id}", tag = "guides", request_body = ContactBody,
    responses((status = 200, body = ContactDto), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn put_contact(
    State(st): State<AppState>,
    ApiActor(a): ApiActor,
    Path(department_id): Path<String>,
    ApiJson(b): ApiJson<ContactBody>,
) -> Result<Json<ContactDto>, ApiError> {
    let input = ContactInput {
        phone: b.phone,
        address: b.address,
        hours: b.hours,
    };
    let c = guides::set_contact(&st.svc, &a, params::id(&department_id)?, &input).await?;
    Ok(Json(ContactDto {
        phone: c.phone,
        address: c.address,
        hours: c.hours,
    }))
}
