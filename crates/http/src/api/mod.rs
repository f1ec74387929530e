//! JSON API for other systems and scripts, `/api/v1`. Authenticate with
//! `Authorization: Bearer <token>` (tokens are issued in the console or by `lianjian user token`).

mod audit;
mod calendar;
mod claims;
pub(crate) mod departments;
pub(crate) mod draws;
mod dto;
pub(crate) mod entities;
pub(crate) mod evidence;
mod import_jobs;
pub(crate) mod inspectors;
pub(crate) mod items;
pub(crate) mod params;
pub(crate) mod plans;
mod regions;
mod sectors;
pub(crate) mod tags;
pub(crate) mod users;
pub(crate) mod visits;

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
        (name = "calendar", description = "工作日历：法定节假日、调休上班日与按工作日计算的期限"),
        (name = "audit", description = "审计日志"),
        (name = "directory", description = "监管对象名录库与双告知"),
        (name = "tags", description = "标签与打标规则"),
        (name = "items", description = "监管事项清单"),
        (name = "inspectors", description = "执法检查人员库与专家库：资格、状态、回避申报、关联账号"),
        (name = "plans", description = "年度抽查工作计划与抽查计划公告"),
        (name = "draws", description = "双随机抽取：承诺、抽取、重抽与公开的抽取记录"),
        (name = "visits", description = "检查实施：合并检查清单、现场录入、证据、确认、部门审核、结果公示，责令整改、抄告与案件移送"),
        (name = "evidence", description = "证据互认：证据文件一次存储、包含证明与签名检查点"),
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
        .routes(routes!(calendar::list))
        .routes(routes!(calendar::working_days))
        .routes(routes!(calendar::put, calendar::delete))
        .routes(routes!(audit::list))
        .routes(routes!(audit::verify))
        .routes(routes!(audit::public_audit_checkpoint))
        .routes(routes!(entities::list, entities::save))
        .routes(routes!(entities::get))
        .routes(routes!(entities::add_tag, entities::remove_tag))
        .routes(routes!(import_jobs::list))
        .routes(routes!(import_jobs::get))
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
        .routes(routes!(inspectors::list, inspectors::create))
        .routes(routes!(inspectors::get, inspectors::update))
        .routes(routes!(inspectors::set_status))
        .routes(routes!(
            inspectors::add_qualification,
            inspectors::remove_qualification
        ))
        .routes(routes!(inspectors::conflicts, inspectors::declare_conflict))
        .routes(routes!(inspectors::withdraw_conflict))
        .routes(routes!(inspectors::link_user, inspectors::unlink_user))
        .routes(routes!(plans::list, plans::create))
        .routes(routes!(plans::annual))
        .routes(routes!(plans::get, plans::update))
        .routes(routes!(plans::submit))
        .routes(routes!(plans::return_plan))
        .routes(routes!(plans::approve))
        .routes(routes!(plans::publish))
        .routes(routes!(plans::public_list))
        .routes(routes!(draws::preview))
        .routes(routes!(draws::list, draws::commit))
        .routes(routes!(draws::get))
        .routes(routes!(draws::execute))
        .routes(routes!(draws::redraw))
        .routes(routes!(draws::contribute))
        .routes(routes!(draws::beacon))
        .routes(routes!(draws::awaiting))
        .routes(routes!(draws::full_record))
        .routes(routes!(draws::opening))
        .routes(routes!(draws::access_codes))
        .routes(routes!(draws::self_check))
        .routes(routes!(draws::public_list))
        .routes(routes!(draws::public_get))
        .routes(routes!(visits::list, visits::create))
        .routes(routes!(visits::get))
        .routes(routes!(visits::start))
        .routes(routes!(visits::save))
        .routes({
            // Photos are larger than axum's 2 MB default; the evidence service enforces its own
            // limit (naming the file) and the router-wide limit still caps the request.
            let (schemas, paths, r) = routes!(visits::attach);
            (
                schemas,
                paths,
                r.layer(axum::extract::DefaultBodyLimit::disable()),
            )
        })
        .routes(routes!(visits::confirm))
        .routes(routes!(visits::review))
        .routes(routes!(visits::publish))
        .routes(routes!(visits::close))
        .routes(routes!(visits::issue_order))
        .routes(routes!(visits::orders))
        .routes(routes!(visits::report_rectified))
        .routes(routes!(visits::recheck))
        .routes(routes!(visits::refer))
        .routes(routes!(visits::referrals))
        .routes(routes!(visits::answer_referral))
        .routes(routes!(visits::transfer))
        .routes(routes!(visits::transfers))
        .routes(routes!(visits::transfer_feedback))
        .routes(routes!(visits::results))
        .routes(routes!(visits::export))
        .routes(routes!(visits::public_results))
        .routes({
            // The upload reads its body in chunks and enforces the evidence size limit itself
            // (naming the file); the router-wide limit still caps the request.
            let (schemas, paths, r) = routes!(evidence::upload);
            (
                schemas,
                paths,
                r.layer(axum::extract::DefaultBodyLimit::disable()),
            )
        })
        .routes(routes!(evidence::get))
        .routes(routes!(evidence::proof))
        .routes(routes!(evidence::public_checkpoint))
        .routes(routes!(evidence::public_consistency))
}

/// `?page=&per_page=` on every list.
#[derive(Debug, Deserialize, IntoParams)]
pub struct Paging {
    /// Page number, 1–1,000,000 (422 outside).
    pub page: Option<u64>,
    /// Items per page, 1–200 (default 20; 422 outside).
    pub per_page: Option<u64>,
}

impl Paging {
    pub fn request(&self) -> Result<lianjian_services::PageRequest, crate::ApiError> {
        crate::ApiError::paging(self.page, self.per_page)
    }
}
