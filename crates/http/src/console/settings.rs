//! 联席办设置 in the console: the coordination office of a region sets how long after a draw's
//! period its unpublished visits stay unpublished (issue 11 item 3, the embargo; an office
//! setting may make publication later, never earlier). Design: `docs/double-random.md`.

use askama::Template;
use axum::extract::{Query, State};
use axum::response::Response;
use lianjian_services::ServiceError;
use lianjian_services::accounts::SessionAuth;
use lianjian_services::office_settings::{self, SettingsView};

use super::fields::{FormData, errors_of};
use super::{Chrome, ConsoleError, CsrfForm, local, render, see_other};
use crate::AppState;
use crate::api::params::Params;
use crate::extract::Console;

#[derive(Template)]
#[template(path = "console/settings.html")]
struct Page {
    c: Chrome,
    v: SettingsView,
    region_name: String,
    set_by_name: String,
    updated: String,
    days: String,
    /// 文书设置: what the form shows (typed values after an error, else the saved ones) and what
    /// an empty field derives to.
    doc_body: String,
    doc_court: String,
    derived_body: String,
    derived_court: String,
    doc_updated: String,
    error: Option<String>,
    errors: std::collections::BTreeMap<String, String>,
}

async fn page(
    st: &AppState,
    s: &SessionAuth,
    region: Option<&str>,
    notice: Option<&str>,
    err: Option<ServiceError>,
    typed: Typed,
) -> Result<Response, ConsoleError> {
    let v = office_settings::view(&st.svc, &s.actor, region).await?;
    let (derived_body, derived_court) =
        lianjian_services::documents::derived_bodies(&st.svc, &v.region_code).await?;
    let saved_docs = v.documents.as_ref();
    let (doc_body, doc_court) = match &typed {
        Typed::Documents(b, c) => (b.clone(), c.clone()),
        _ => (
            saved_docs
                .map(|d| d.reconsideration_body.clone())
                .unwrap_or_default(),
            saved_docs.map(|d| d.court.clone()).unwrap_or_default(),
        ),
    };
    let doc_updated = saved_docs
        .map(|d| format!("{} 于 {} 修改", d.updated_by, local(&d.updated_at)))
        .unwrap_or_default();
    let name = async |r: &lianjian_domain::region::RegionCode| {
        lianjian_services::regions::path_name(&st.svc, r)
            .await
            .unwrap_or_else(|_| r.to_string())
    };
    let region_name = name(&v.region_code).await;
    let set_by_name = match &v.in_force.set_by_region {
        Some(r) => name(r).await,
        None => String::new(),
    };
    let (error, errors) = match err {
        Some(e) => {
            let fields = errors_of(&e).unwrap_or_default();
            (Some(crate::ApiError::from(e).message), fields)
        }
        None => (None, Default::default()),
    };
    Ok(render(Page {
        c: Chrome::new(&st.svc, s, "settings")
            .await
            .with_notice(notice),
        updated: v
            .own
            .as_ref()
            .map(|o| local(&o.updated_at))
            .unwrap_or_default(),
        days: match typed {
            Typed::Delay(d) => d,
            _ => v
                .own
                .as_ref()
                .map(|o| o.publish_delay_days.to_string())
                .unwrap_or_default(),
        },
        doc_body,
        doc_court,
        derived_body,
        derived_court,
        doc_updated,
        region_name,
        set_by_name,
        v,
        error,
        errors,
    }))
}

/// What the user typed into one of the page's forms, shown again beside its errors.
enum Typed {
    None,
    Delay(String),
    Documents(String, String),
}

/// Answers a form's field errors with the page and the typed values (422); other errors as usual.
async fn refused(
    st: &AppState,
    s: &SessionAuth,
    region: &str,
    e: ServiceError,
    typed: Typed,
) -> Result<Response, ConsoleError> {
    use axum::response::IntoResponse;
    match e {
        e @ ServiceError::Invalid(_) => {
            let mut r = page(st, s, Some(region), None, Some(e), typed)
                .await
                .into_response();
            *r.status_mut() = axum::http::StatusCode::UNPROCESSABLE_ENTITY;
            Ok(r)
        }
        e => Err(e.into()),
    }
}

pub async fn show(
    State(st): State<AppState>,
    Console(s): Console,
    Query(q): Query<Vec<(String, String)>>,
) -> Result<Response, ConsoleError> {
    let p = Params(q);
    let region = p.one("region");
    page(
        &st,
        &s,
        Some(region.as_str()),
        Some(p.one("ok").as_str()),
        None,
        Typed::None,
    )
    .await
}

pub async fn save(
    State(st): State<AppState>,
    Console(s): Console,
    CsrfForm(f): CsrfForm<FormData>,
) -> Result<Response, ConsoleError> {
    let region = f.get("region");
    match office_settings::set_publish_delay(
        &st.svc,
        &s.actor,
        Some(region.as_str()),
        &f.get("publish_delay_days"),
    )
    .await
    {
        Ok(saved) => Ok(see_other(&format!(
            "/console/settings?region={}&ok=saved",
            saved.region_code
        ))),
        Err(e) => {
            refused(
                &st,
                &s,
                &region,
                e,
                Typed::Delay(f.get("publish_delay_days")),
            )
            .await
        }
    }
}

/// 文书设置: where the parties of the region's departments seek remedies (issue 13 item 4).
pub async fn save_documents(
    State(st): State<AppState>,
    Console(s): Console,
    CsrfForm(f): CsrfForm<FormData>,
) -> Result<Response, ConsoleError> {
    let region = f.get("region");
    let (body, court) = (f.get("reconsideration_body"), f.get("court"));
    match office_settings::set_documents(&st.svc, &s.actor, Some(region.as_str()), &body, &court)
        .await
    {
        Ok(saved) => Ok(see_other(&format!(
            "/console/settings?region={}&ok=saved",
            saved.region_code
        ))),
        Err(e) => refused(&st, &s, &region, e, Typed::Documents(body, court)).await,
    }
}
