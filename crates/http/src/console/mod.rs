//! The staff console (工作台), `/console`: server-rendered pages in zh-CN. Every form carries
//! the session's CSRF token; every list pages and filters; destructive actions ask first.

mod account;
mod analysis;
mod assistance;
mod audit;
mod auth;
mod calendar;
mod cases;
mod claims;
mod clue_desk;
mod clue_routing;
mod consultations;
mod licensing;
pub(crate) use clue_desk::sort_of as clue_sort;
mod clues;
mod credit;
mod credit_evaluation;
mod credit_sanctions;
mod departments;
mod devices;
mod directory;
pub(crate) mod draws;
pub(crate) mod exchange;
pub(crate) mod extract;
pub(crate) mod fields;
mod follow_ups;
mod guides;
mod home;
mod inspectors;
mod items;
mod plans;
pub(crate) mod results;
mod risk;
mod sectors;
mod settings;
mod sharing;
mod tags;
mod users;
mod visit_merge;
pub(crate) mod visits;
mod warnings;

use askama::Template;
use axum::Router;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use chrono::{DateTime, FixedOffset, Utc};
use lianjian_domain::account::Role;
use lianjian_services::Services;
use lianjian_services::accounts::SessionAuth;

use crate::AppState;
use crate::i18n::{Messages, zh_cn};
pub use extract::{ConsoleError, CsrfForm, PathId, check_csrf, form_errors, parse_id};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/", get(home::page))
        .route("/login", get(auth::form).post(auth::submit))
        .route("/logout", post(auth::logout))
        .route("/context", post(home::switch_context))
        .route("/analysis", get(analysis::page))
        .route("/analysis/export", get(analysis::export))
        .route("/analysis/actions", get(analysis::actions))
        .route("/analysis/refresh", post(analysis::refresh))
        .route("/users", get(users::list).post(users::create))
        .route("/users/export", get(users::export))
        .route("/users/new", get(users::new_form))
        .route("/users/{id}", get(users::detail).post(users::update))
        .route("/users/{id}/edit", get(users::edit_form))
        .route("/users/{id}/status", post(users::set_status))
        .route("/users/{id}/password", post(users::reset_password))
        .route("/users/{id}/tokens", post(users::create_token))
        .route("/tokens/{id}/revoke", post(users::revoke_token))
        .route(
            "/departments",
            get(departments::list).post(departments::create),
        )
        .route("/departments/copy-set", post(departments::copy_set))
        .route("/departments/export", get(departments::export))
        .route("/departments/{id}/rename", post(departments::rename))
        .route("/departments/{id}/status", post(departments::set_status))
        .route("/sectors", get(sectors::list).post(sectors::create))
        .route(
            "/credit/evaluations",
            get(credit_evaluation::runs).post(credit_evaluation::start),
        )
        .route("/credit/evaluations/{id}", get(credit_evaluation::run))
        .route(
            "/credit/evaluations/{id}/export",
            get(credit_evaluation::export),
        )
        .route(
            "/credit/indexes",
            get(credit_evaluation::indexes).post(credit_evaluation::define),
        )
        .route(
            "/credit/indexes/{id}",
            get(credit_evaluation::index).post(credit_evaluation::edit),
        )
        .route("/risk", get(risk::page).post(risk::fit))
        .route("/risk/models/{id}", get(risk::model))
        .route("/risk/entities/{id}", get(risk::entity))
        .route("/sharing", get(sharing::page))
        .route("/sharing/shares", post(sharing::propose))
        .route("/sharing/shares/{id}/approve", post(sharing::approve))
        .route("/sharing/shares/{id}/status", post(sharing::set_status))
        .route("/sharing/dead-letters/{id}/retry", post(sharing::retry))
        .route("/credit/entities/{id}", get(credit_evaluation::entity))
        .route(
            "/credit/entities/{id}/override",
            post(credit_evaluation::override_class),
        )
        .route("/sectors/{id}", post(sectors::update))
        .route("/calendar", get(calendar::list).post(calendar::set))
        .route("/calendar/import", post(calendar::import))
        .route("/calendar/{date}/remove", post(calendar::remove))
        .route("/audit", get(audit::list))
        .route("/audit/export", get(audit::export))
        .route("/account", get(account::page))
        .route("/account/password", post(account::change_password))
        .route("/account/tokens", post(account::create_token))
        .route("/directory", get(directory::list).post(directory::create))
        .route("/directory/new", get(directory::new_form))
        .route(
            "/directory/{id}",
            get(directory::detail).post(directory::update),
        )
        .route("/directory/{id}/edit", get(directory::edit_form))
        .route("/directory/{id}/credit", get(credit::entity_file))
        .route("/credit", get(credit::list).post(credit::create))
        .route("/credit/new", get(credit::new_form))
        .route("/credit/export", get(credit::export))
        .route("/credit/{id}", get(credit::detail))
        .route("/credit/{id}/removal", post(credit::remove))
        .route("/credit/{id}/appeal", post(credit::appeal))
        .route("/directory/{id}/tags", post(directory::add_tag))
        .route("/directory/{id}/tags/remove", post(directory::remove_tag))
        .route("/tags", get(tags::list).post(tags::create))
        .route("/tags/{id}", get(tags::edit_form).post(tags::update))
        .route("/tags/{id}/status", post(tags::set_status))
        .route("/tags/rules", post(tags::add_rule))
        .route("/tags/rules/{id}/delete", post(tags::remove_rule))
        .route("/guides", get(guides::list))
        .route("/guides/{id}", get(guides::detail))
        .route("/guides/{id}/sections", post(guides::save_section))
        .route("/guides/{id}/contacts", post(guides::save_contact))
        .route("/items", get(items::list).post(items::create))
        .route("/items/new", get(items::new_form))
        .route("/items/{id}", get(items::detail).post(items::update))
        .route("/items/{id}/edit", get(items::edit_form))
        .route("/items/{id}/publish", post(items::publish))
        .route("/items/{id}/retire", post(items::retire))
        .route("/items/{id}/directory", get(items::directory))
        .route("/import", get(exchange::page))
        .route(
            "/import/{kind}",
            post(exchange::upload).layer(axum::extract::DefaultBodyLimit::max(32 * 1024 * 1024)),
        )
        .route("/import/template/{kind}", get(exchange::template))
        .route("/import-jobs/{id}", get(exchange::job))
        .route("/directory/export", get(exchange::export_entities))
        .route("/items/export", get(exchange::export_items))
        .route(
            "/inspectors",
            get(inspectors::list).post(inspectors::create),
        )
        .route("/inspectors/new", get(inspectors::new_form))
        .route("/inspectors/export", get(inspectors::export))
        .route(
            "/inspectors/{id}",
            get(inspectors::detail).post(inspectors::update),
        )
        .route("/inspectors/{id}/edit", get(inspectors::edit_form))
        .route("/inspectors/{id}/status", post(inspectors::set_status))
        .route(
            "/inspectors/{id}/qualifications",
            post(inspectors::add_qualification),
        )
        .route(
            "/inspectors/{id}/qualifications/remove",
            post(inspectors::remove_qualification),
        )
        .route(
            "/inspectors/{id}/conflicts",
            post(inspectors::declare_conflict),
        )
        .route(
            "/inspectors/{id}/conflicts/{conflict_id}/withdraw",
            post(inspectors::withdraw_conflict),
        )
        .route("/inspectors/{id}/user", post(inspectors::link_user))
        .route(
            "/inspectors/{id}/user/unlink",
            post(inspectors::unlink_user),
        )
        .route("/plans", get(plans::list).post(plans::create))
        .route("/plans/new", get(plans::new_form))
        .route("/plans/annual", get(plans::annual))
        .route("/plans/annual/export", get(plans::annual_export))
        .route("/plans/{id}", get(plans::detail).post(plans::update))
        .route("/plans/{id}/edit", get(plans::edit_form))
        .route("/plans/{id}/submit", post(plans::submit))
        .route("/plans/{id}/return", post(plans::return_plan))
        .route("/plans/{id}/approve", post(plans::approve))
        .route("/plans/{id}/publish", post(plans::publish))
        .route("/draws", get(draws::list).post(draws::commit))
        .route("/draws/new", get(draws::new_form))
        .route("/draws/{id}", get(draws::detail))
        .route("/draws/{id}/execute", post(draws::execute))
        .route("/draws/{id}/redraw", post(draws::redraw))
        .route("/draws/{id}/beacon", post(draws::beacon))
        .route("/draws/{id}/contribution", post(draws::contribute))
        .route("/draws/{id}/opening", get(draws::opening))
        .route("/draws/{id}/access-codes", post(draws::access_code))
        .route(
            "/draws/{id}/access-codes/export",
            post(draws::access_codes_export),
        )
        .route("/settings", get(settings::show).post(settings::save))
        .route("/settings/documents", post(settings::save_documents))
        .route("/witness", get(draws::witness_queue))
        .route("/visits", get(visits::list))
        .route("/visits/{id}", get(visits::detail))
        .route("/visits/{id}/notice", get(visits::notice))
        .route(
            "/visits/{id}/field",
            get(visits::field).post(visits::field_save),
        )
        .route(
            "/visits/{id}/field/upload",
            post(visits::field_upload).layer(axum::extract::DefaultBodyLimit::disable()),
        )
        .route("/visits/{id}/review", post(visits::review))
        .route("/visits/{id}/publish", post(visits::publish))
        .route("/visits/{id}/close", post(visits::close))
        .route("/visits/{id}/merge", post(visit_merge::merge))
        .route("/visits/{id}/rectifications", post(visits::issue_order))
        .route("/visits/{id}/referrals", post(visits::refer))
        .route("/visits/{id}/transfers", post(visits::transfer))
        .route("/claims", get(claims::queue))
        .route("/claims/batch", post(claims::batch))
        .route("/claims/{id}/accept", post(claims::accept))
        .route("/claims/{id}/reject", post(claims::reject))
        .route("/claims/{id}/assign", post(claims::assign))
        .route("/licences", get(licensing::list))
        .route("/licences/{id}", get(licensing::show))
        .route("/licences/{id}/feedback", post(licensing::feed_back))
        .route("/licence-feedback", get(licensing::feedback_list))
        .route("/licence-feedback/{id}/read", post(licensing::acknowledge))
        .route("/clues", get(clues::list).post(clues::create))
        .route("/clues/new", get(clues::new_form))
        .route("/clues/routing", get(clue_routing::show))
        .route("/clues/routing/routes", post(clue_routing::add_route))
        .route(
            "/clues/routing/routes/{id}/delete",
            post(clue_routing::delete_route),
        )
        .route(
            "/clues/routing/deadlines",
            post(clue_routing::save_deadline),
        )
        .route(
            "/clues/routing/deadlines/delete",
            post(clue_routing::delete_deadline),
        )
        .route("/clues/batch", post(clue_desk::batch))
        .route("/clues/export", get(clue_desk::export))
        .route("/clues/rates", get(clue_desk::rates))
        .route("/clues/rates/export", get(clue_desk::rates_export))
        .route("/clues/{id}", get(clues::detail))
        .route("/clues/{id}/dispatch", post(clues::dispatch))
        .route("/clues/{id}/reassign", post(clues::reassign))
        .route("/clues/{id}/sign", post(clues::sign))
        .route("/clues/{id}/return", post(clues::return_clue))
        .route("/clues/{id}/extension", post(clues::extension))
        .route(
            "/clues/{id}/extension/decision",
            post(clues::decide_extension),
        )
        .route("/clues/{id}/finish", post(clues::finish))
        .route("/clues/{id}/dispute", post(clues::dispute))
        .route("/clues/{id}/decide", post(clues::decide))
        .route("/clues/{id}/supervise", post(clues::supervise))
        .route("/clues/{id}/urge", post(clues::urge))
        .route("/clues/{id}/transfer", post(clues::transfer))
        .route("/clues/{id}/merge", post(clues::merge))
        .route("/clues/{id}/revisit", post(clues::revisit))
        .route("/clues/{id}/join-visit", post(clues::join_visit))
        .route("/clues/{id}/verify", post(clues::verify))
        .route(
            "/clues/{id}/attachments",
            post(clues::attach).layer(axum::extract::DefaultBodyLimit::disable()),
        )
        .route("/results", get(results::list))
        .route("/results/export", get(results::export))
        .route("/rectifications", get(follow_ups::orders))
        .route("/rectifications/{id}", get(follow_ups::order))
        .route("/rectifications/{id}/print", get(follow_ups::print))
        .route("/rectifications/{id}/report", post(follow_ups::report))
        .route("/rectifications/{id}/recheck", post(follow_ups::recheck))
        .route(
            "/assistance",
            get(assistance::queue).post(assistance::create),
        )
        .route("/assistance/new", get(assistance::new_form))
        .route("/assistance/{id}", get(assistance::case))
        .route("/assistance/{id}/assign", post(assistance::assign))
        .route("/assistance/{id}/reassign", post(assistance::reassign))
        .route("/assistance/{id}/refuse", post(assistance::refuse))
        .route("/assistance/{id}/withdraw", post(assistance::withdraw))
        .route("/assistance/{id}/answer", post(assistance::answer))
        .route("/assistance/{id}/attachments", post(assistance::attach))
        .route("/assistance/{id}/close", post(assistance::close))
        .route("/assistance/{id}/reopen", post(assistance::reopen))
        .route(
            "/consultations",
            get(consultations::queue).post(consultations::create),
        )
        .route("/consultations/new", get(consultations::new_form))
        .route("/consultations/{id}", get(consultations::case))
        .route("/consultations/{id}/materials", post(consultations::attach))
        .route("/consultations/{id}/hold", post(consultations::hold))
        .route("/consultations/{id}/minutes", post(consultations::finalise))
        .route("/consultations/{id}/cancel", post(consultations::cancel))
        .route("/consultation-tasks", get(consultations::task_queue))
        .route(
            "/consultation-tasks/export",
            get(consultations::task_export),
        )
        .route("/consultation-tasks/{id}", get(consultations::task))
        .route(
            "/consultation-tasks/{id}/report",
            post(consultations::report),
        )
        .route(
            "/consultation-tasks/{id}/supervise",
            post(consultations::supervise),
        )
        .route(
            "/circulars",
            get(consultations::circular_queue).post(consultations::circular_create),
        )
        .route("/circulars/new", get(consultations::circular_new))
        .route("/circulars/{id}", get(consultations::circular))
        .route(
            "/circulars/{id}/remind",
            post(consultations::circular_remind),
        )
        .route(
            "/transfers/{id}/assistance",
            post(assistance::create_for_transfer),
        )
        .route("/warnings", get(warnings::queue))
        .route("/warnings/{id}", get(warnings::case))
        .route("/warnings/{id}/sign", post(warnings::sign))
        .route("/warnings/{id}/handle", post(warnings::handle))
        .route("/warnings/{id}/close", post(warnings::close))
        .route("/warnings/{id}/assess", post(warnings::assess))
        .route("/warnings/{id}/decide", post(warnings::decide))
        .route("/warnings/{id}/to-clue", post(warnings::to_clue))
        .route("/warnings/{id}/to-visit", post(warnings::to_visit))
        .route(
            "/warning-rules",
            get(warnings::rules).post(warnings::create_rule),
        )
        .route(
            "/warning-rules/{id}",
            get(warnings::rule).post(warnings::new_version),
        )
        .route("/devices", get(devices::list).post(devices::create))
        .route("/devices/new", get(devices::new_form))
        .route("/devices/export", get(devices::export))
        .route("/devices/{id}", get(devices::show).post(devices::update))
        .route("/devices/{id}/edit", get(devices::edit_form))
        .route("/sanctions", get(credit_sanctions::queue))
        .route(
            "/sanctions/measures",
            get(credit_sanctions::measures).post(credit_sanctions::add_measure),
        )
        .route("/sanctions/batches/new", get(credit_sanctions::new_batch))
        .route("/sanctions/batches", post(credit_sanctions::file_batch))
        .route("/sanctions/tasks/{id}", get(credit_sanctions::task))
        .route(
            "/sanctions/tasks/{id}/attachments",
            post(credit_sanctions::attach).layer(axum::extract::DefaultBodyLimit::disable()),
        )
        .route("/sanctions/tasks/{id}/apply", post(credit_sanctions::apply))
        .route(
            "/sanctions/tasks/{id}/decline",
            post(credit_sanctions::decline),
        )
        .route(
            "/sanctions/tasks/{id}/supervise",
            post(credit_sanctions::supervise),
        )
        .route("/sanctions/batches/{id}", get(credit_sanctions::batch))
        .route(
            "/sanctions/batches/{id}/approve",
            post(credit_sanctions::approve),
        )
        .route(
            "/sanctions/batches/{id}/return",
            post(credit_sanctions::return_batch),
        )
        .route(
            "/sanctions/batches/{id}/resubmit",
            post(credit_sanctions::resubmit),
        )
        .route("/sanctions/appeals", get(credit_sanctions::appeals))
        .route("/sanctions/appeals/{id}", get(credit_sanctions::appeal))
        .route(
            "/sanctions/appeals/{id}/decide",
            post(credit_sanctions::decide),
        )
        .route("/referrals", get(follow_ups::referrals))
        .route("/referrals/{id}", get(follow_ups::referral))
        .route("/referrals/{id}/answer", post(follow_ups::answer))
        .route("/referrals/{id}/print", get(follow_ups::referral_print))
        .route("/transfers", get(follow_ups::transfers))
        .route("/transfers/{id}", get(follow_ups::transfer))
        .route("/transfers/{id}/print", get(follow_ups::transfer_print))
        .route(
            "/transfers/{id}/feedback",
            post(follow_ups::transfer_feedback),
        )
        .layer(axum::middleware::from_fn(extract::error_pages))
}

/// Business areas of DOMAIN.md, shown in the navigation. Those not built yet are labelled as
/// under construction, never dressed as done; the built ones are in [`LIVE_AREAS`].
pub const BUSINESS_AREAS: &[(&str, &str, &str)] = &[
    (
        "items",
        "nav.items",
        "监管事项、牵头与配合部门、检查要点、监管依据（国办 (四)(五)）",
    ),
    (
        "directory",
        "nav.directory",
        "以统一社会信用代码为主键的监管对象、标签、双告知（鲁 任务3）",
    ),
    (
        "plans",
        "nav.plans",
        "各牵头部门年度抽查计划，联席办汇总（鲁 任务4）",
    ),
    (
        "random",
        "nav.random",
        "按信用风险分类抽取对象与执法人员，标签交集自动生成联合检查（国办 (九)）",
    ),
    (
        "results",
        "nav.results",
        "联合检查结果录入、部门审核与公示（一公开）",
    ),
    (
        "warnings",
        "nav.warnings",
        "预警指标、联合预警模型与推送规则（国办 (八)）",
    ),
    (
        "clues",
        "nav.clues",
        "12345 热线等线索的分办、转办、督办（国办 (十)）",
    ),
    (
        "credit",
        "nav.credit",
        "信用记录、分级分类、联合惩戒发起与反馈（国办 (十一)）",
    ),
    (
        "sanctions",
        "nav.sanctions",
        "联合惩戒发起、审核、执行反馈与督办，信用异议与信用修复（国办 (十一)）",
    ),
    (
        "iot",
        "nav.iot",
        "冷链、明厨亮灶、燃气等感知设备登记，MQTT 接入读数、分钟汇总与超限记录（舞阳 (四)、国办 (十五)）",
    ),
    (
        "risk",
        "nav.risk",
        "以平台自身检查、投诉、处罚历史预测检查发现问题的概率，逐项解释，设定风险等级与最低检查频次（国办 (八)）",
    ),
    (
        "linkage",
        "nav.linkage",
        "跨层级跨区域协助、审管衔接、行刑衔接（国办 (十二)–(十四)）",
    ),
    (
        "guides",
        "nav.guides",
        "“一业一册”合规经营指引（国办 (六)）",
    ),
    (
        "analysis",
        "nav.analysis",
        "监管数据分析评估与证据互认（国办 (十五)）",
    ),
    (
        "sharing",
        "nav.sharing",
        "省市县数据共享与回流（国办 (十六)）",
    ),
];

/// Business areas that are built, with their pages.
pub const LIVE_AREAS: &[(&str, &str)] = &[
    ("items", "/console/items"),
    ("plans", "/console/plans"),
    ("random", "/console/draws"),
    ("directory", "/console/directory"),
    ("results", "/console/results"),
    ("clues", "/console/clues"),
    ("credit", "/console/credit"),
    ("sanctions", "/console/sanctions"),
    ("warnings", "/console/warnings"),
    ("iot", "/console/devices"),
    ("risk", "/console/risk"),
    ("analysis", "/console/analysis"),
    ("guides", "/console/guides"),
    ("linkage", "/console/assistance"),
    ("sharing", "/console/sharing"),
];

/// A list's filters as `k=v&` (the ones filled in, encoded), to put before a sort or page
/// parameter in a link or an export's address.
pub(crate) fn query_prefix(pairs: &[(&str, &str)]) -> String {
    pairs
        .iter()
        .filter(|(_, v)| !v.is_empty())
        .map(|(k, v)| format!("{k}={}&", crate::extract::urlencode(v)))
        .collect()
}

/// What every console page shows around its content.
pub struct Chrome {
    pub t: &'static Messages,
    pub user: String,
    pub role: String,
    pub csrf: String,
    /// One-time value every form of this page posts as `_once`, so the same post sent twice
    /// is handled once (see `crate::submissions`).
    pub once: String,
    pub active: &'static str,
    pub scope_label: String,
    pub context_label: String,
    pub can_switch: bool,
    pub manages_users: bool,
    pub sees_audit: bool,
    /// Whether the 双告知 queue is the user's to work (department administrators, coordination offices).
    pub sees_claims: bool,
    /// Whether the user witnesses draws (监督人): the queue 待见证的抽取.
    pub witnesses: bool,
    /// (area key, label, page; empty while under construction)
    pub business: Vec<(&'static str, &'static str, &'static str)>,
    pub notice: Option<String>,
    /// The regions of the user's scope, by name, for region pickers.
    pub regions: crate::regions::Options,
}

impl Chrome {
    pub async fn new(svc: &Services, s: &SessionAuth, active: &'static str) -> Self {
        let t = zh_cn();
        let a = &s.actor;
        let scope = a.scope();
        let region_label = match &scope.region {
            Some(r) => lianjian_services::regions::path_name(svc, r)
                .await
                .unwrap_or_else(|_| r.to_string()),
            None => "全国".to_string(),
        };
        let scope_label = match &scope.line {
            Some(l) => format!(
                "{region_label}（{}条线）",
                lianjian_domain::department::line_label_zh(l).unwrap_or(l)
            ),
            None => format!("{region_label}（全部部门）"),
        };
        let context_label = if a.context.is_some() {
            format!("视图：{scope_label}")
        } else {
            scope_label.clone()
        };
        Chrome {
            t,
            user: a.display_name.clone(),
            role: a.role.label_zh().to_string(),
            csrf: s.csrf_token.clone(),
            once: uuid::Uuid::new_v4().simple().to_string(),
            active,
            scope_label,
            context_label,
            can_switch: a.role.may_switch_context(),
            manages_users: a.role.manages_users(),
            sees_audit: lianjian_services::audit_log::may_view(a),
            sees_claims: lianjian_services::directory::may_handle_claims(a),
            witnesses: a.role == Role::Supervisor,
            business: BUSINESS_AREAS
                .iter()
                .map(|(k, key, _)| (*k, t.get(key), live_href(k)))
                .collect(),
            notice: None,
            regions: crate::regions::within_scope(svc, scope.region.as_ref().map(|r| r.as_str()))
                .await,
        }
    }

    /// A region picker's choices for its current `value`: (code, name, selected).
    pub fn region_choices<'a>(&'a self, value: &'a str) -> Vec<(&'a str, &'a str, bool)> {
        crate::regions::choices(&self.regions, value)
    }

    /// The Chinese name of a department line (条线), or its key for a line without one.
    pub fn line_name<'a>(&self, line: &'a str) -> &'a str {
        lianjian_domain::department::line_label_zh(line).unwrap_or(line)
    }

    /// The name of a region of the user's scope, or its code.
    pub fn region_name<'a>(&'a self, code: &'a str) -> &'a str {
        crate::regions::name_of(&self.regions, code)
    }

    /// The page of a business area, empty while it is under construction.
    pub fn href_of(&self, area: &str) -> &'static str {
        live_href(area)
    }

    pub fn with_notice(mut self, n: Option<&str>) -> Self {
        self.notice = n.map(notice_text).filter(|s| !s.is_empty());
        self
    }
}

fn live_href(area: &str) -> &'static str {
    LIVE_AREAS
        .iter()
        .find(|(k, _)| *k == area)
        .map_or("", |(_, h)| *h)
}

/// Success messages travel as short keys in the redirect URL (`?ok=saved`).
fn notice_text(key: &str) -> String {
    match key {
        "saved" => "已保存。",
        "analysis_refreshed" => "统计数据已更新。",
        "created" => "已创建。",
        "disabled" => "账号已停用，其会话已结束。",
        "enabled" => "账号已启用。",
        "password" => "密码已重置，该用户需使用新密码重新登录。",
        "own_password" => "密码已修改。",
        "revoked" => "令牌已吊销。",
        "copied" => "内置部门集已复制。",
        "context" => "视图已切换。",
        "committed" => {
            "已冻结候选名单和执法人员名单，承诺（三个哈希值）已公布。受邀监督人可在“待见证的抽取”中提交随机数；指定了公开随机源的，其数值公布后录入；齐备后即可执行抽取。"
        }
        "drawn" => "抽取完成，已生成检查任务。检查对象在检查结果公示后或检查期间结束后公开。",
        "beacon" => "公开随机值已录入。",
        "contributed" => "您的随机数已提交，抽取执行前不会向任何人显示。",
        "draw_failed" => "抽取未能完成：有规则无法满足，原因见下方。记录已保存并公开。",
        "approved" => "已审核通过。",
        "returned" => "已退回，检查人员补正后需重新确认。",
        "published" => "检查结果已公示，并记入主体信用记录。",
        "closed" => "后续处置已办结。",
        "order" => "责令整改通知书已签发，可打印送达。",
        "referred" => "抄告已发送，等待接收部门反馈。",
        "transferred" => "案件移送已记录。",
        "merged" => "已合并：另一检查的事项和检查缘由已并入本次检查，原检查已取消并留有链接。",
        _ => "",
    }
    .to_string()
}

#[derive(Template)]
#[template(path = "console/error.html")]
struct ErrorPage {
    c: Chrome,
    title: String,
    message: String,
}

pub fn render(t: impl Template) -> Response {
    match t.render() {
        Ok(s) => Html(s).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "template failed");
            (StatusCode::INTERNAL_SERVER_ERROR, "页面渲染失败").into_response()
        }
    }
}

pub fn see_other(to: &str) -> Response {
    Redirect::to(to).into_response()
}

/// The error of a refused form or step as its page shows it: the message, each field's (next
/// to the field), and the status to answer with (the API's for that error: 403, 404, 409, 422).
pub fn failure(
    err: Option<lianjian_services::ServiceError>,
) -> (
    Option<String>,
    std::collections::BTreeMap<String, String>,
    StatusCode,
) {
    match err {
        None => (None, Default::default(), StatusCode::OK),
        Some(e) => {
            let fields = fields::errors_of(&e).unwrap_or_default();
            let api = crate::ApiError::from(e);
            (Some(api.message), fields, api.status)
        }
    }
}

/// `r` answered at `status` (a page shown again with a refusal).
pub fn with_status(status: StatusCode, mut r: Response) -> Response {
    *r.status_mut() = status;
    r
}

/// Dates as staff read them: Beijing time, minutes.
pub fn local(t: &DateTime<Utc>) -> String {
    let bj = FixedOffset::east_opt(8 * 3600).expect("valid offset");
    t.with_timezone(&bj).format("%Y-%m-%d %H:%M").to_string()
}

pub fn local_opt(t: &Option<DateTime<Utc>>) -> String {
    t.as_ref().map(local).unwrap_or_else(|| "—".into())
}

/// Paging links that keep the current filters (shared with the portal).
pub use crate::pager::Pager;

pub fn role_options() -> Vec<(String, String)> {
    Role::ALL
        .iter()
        .map(|r| (r.as_str().to_string(), r.label_zh().to_string()))
        .collect()
}

/// The departments a form offers: those of the region the user works in now (its console view,
/// else its own), the levels above it and its subtree (`departments::offered`), each labelled
/// with its region's name so that same-named departments of two levels are told apart.
pub(crate) async fn offered_departments(
    svc: &lianjian_services::Services,
    actor: &lianjian_domain::scope::Actor,
) -> Vec<(String, String)> {
    let found = lianjian_services::departments::offered(svc, actor)
        .await
        .unwrap_or_default();
    let names = crate::api::items::county_names(
        svc,
        found.iter().map(|d| d.region_code.to_string()).collect(),
    )
    .await;
    found
        .into_iter()
        .map(|d| {
            let r = d.region_code.to_string();
            let rn = names.get(&r).cloned().unwrap_or(r);
            (d.id.to_string(), format!("{}（{rn}）", d.name))
        })
        .collect()
}
