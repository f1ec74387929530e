//! JSON API for other systems and scripts, `/api/v1`. Authenticate with
//! `Authorization: Bearer <token>` (tokens are issued in the console or by `lianjian user token`).

mod audit;
mod claims;
pub(crate) mod departments;
mod dto;
pub(crate) mod entities;
pub(crate) mod items;
pub(crate) mod params;
mod regions;
mod sectors;
pub(crate) mod tags;
pub(crate) mod users;

use serde::Deserialize;
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::{IntoParams, Modify, OpenApi};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Lianjian (联监) API",
        description = "跨部门综合监管平台接口。Errors always have the shape `{\"error\": {\"code\", \"message\", \"message_en\", \"details\"}}`.",
        version = "1"
    ),
    modifiers(&BearerAuth),
    security(("bearer" = [])),
    tags(
        (name = "accounts", description = "用户与 API 令牌"),
        (name = "departments", description = "部门"),
        (name = "regions", description = "行政区划（GB/T 2260）"),
        (name = "sectors", description = "监管领域"),
        (name = "audit", description = "审计日志"),
        (name = "directory", description = "监管对象名录库与双告知"),
        (name = "tags", description = "标签与打标规则"),
        (name = "items", description = "监管事项清单"),
    )
)]
struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let c = openapi.components.get_or_insert_with(Default::default);
        c.add_security_scheme(
            "bearer",
            SecurityScheme::Http(Http::new(HttpAuthScheme::Bearer)),
        );
    }
}

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(users::me))
        .routes(routes!(users::list, users::create))
        .routes(routes!(users::get, users::update))
        .routes(routes!(users::set_status))
        .routes(routes!(users::reset_password))
        .routes(routes!(users::create_token, users::list_tokens))
        .routes(routes!(users::revoke_token))
        .routes(routes!(departments::list, departments::create))
        .routes(routes!(departments::get, departments::update))
        .routes(routes!(departments::copy_set))
        .routes(routes!(regions::children))
        .routes(routes!(regions::get))
        .routes(routes!(sectors::list, sectors::create))
        .routes(routes!(sectors::update))
        .routes(routes!(audit::list))
        .routes(routes!(audit::verify))
        .routes(routes!(entities::list, entities::save))
        .routes(routes!(entities::get))
        .routes(routes!(entities::add_tag, entities::remove_tag))
        .routes(routes!(claims::queue))
        .routes(routes!(claims::accept))
        .routes(routes!(claims::reject))
        .routes(routes!(claims::assign))
        .routes(routes!(tags::list, tags::create))
        .routes(routes!(tags::update))
        .routes(routes!(tags::rules, tags::add_rule))
        .routes(routes!(tags::remove_rule))
        .routes(routes!(items::list, items::create))
        .routes(routes!(items::get, items::update))
        .routes(routes!(items::publish))
        .routes(routes!(items::retire))
        .routes(routes!(items::versions))
        .routes(routes!(items::version_at))
        .routes(routes!(items::directory))
        .routes(routes!(items::public_list))
}

/// `?page=&per_page=` on every list.
#[derive(Debug, Deserialize, IntoParams)]
pub struct Paging {
    /// Page number, from 1.
    pub page: Option<u64>,
    /// Items per page, 1–200 (default 20).
    pub per_page: Option<u64>,
}

impl Paging {
    pub fn request(&self) -> lianjian_services::PageRequest {
        lianjian_services::PageRequest::new(self.page, self.per_page)
    }
}
