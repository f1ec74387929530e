//! JSON API for other systems and scripts, `/api/v1`. Authenticate with
//! `Authorization: Bearer <token>` (tokens are issued in the console or by `lianjian user token`).

pub(crate) mod analysis;
pub(crate) mod assistance;
mod audit;
mod calendar;
mod cases;
mod claims;
pub(crate) mod clues;
pub(crate) mod consultations;
pub(crate) mod credit;
pub(crate) mod credit_evaluation;
pub(crate) mod credit_sanctions;
pub(crate) mod departments;
pub(crate) mod devices;
pub(crate) mod draws;
mod dto;
pub(crate) mod entities;
pub(crate) mod evidence;
pub(crate) mod guides;
pub(crate) mod hotline;
mod import_jobs;
pub(crate) mod inspectors;
pub(crate) mod items;
pub(crate) mod licensing;
pub(crate) mod params;
pub(crate) mod plans;
mod regions;
pub(crate) mod risk;
mod sectors;
pub(crate) mod sharing;
pub(crate) mod tags;
pub(crate) mod users;
pub(crate) mod visits;
pub(crate) mod warnings;

use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::{Modify, OpenApi};
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
        (name = "guides", description = "合规经营指南（一业一册）：由事项清单生成，补充说明与部门联系方式"),
        (name = "inspectors", description = "执法检查人员库与专家库：资格、状态、回避申报、关联账号"),
        (name = "plans", description = "年度抽查工作计划与抽查计划公告"),
        (name = "draws", description = "双随机抽取：承诺、抽取、重抽与公开的抽取记录"),
        (name = "visits", description = "检查实施：合并检查清单、现场录入、证据、确认、部门审核、结果公示，责令整改、抄告与案件移送"),
        (name = "evidence", description = "证据互认：证据文件一次存储、包含证明与签名检查点"),
        (name = "analysis", description = "分析评估：各项指标按部门、地区、事项、月份统计，Excel 导出，监管行为记录（JSON Lines）供上级系统"),
        (name = "clues", description = "问题线索联合处置：登记、派单、签收、退回、改派、延期、办结，每一步留痕并按工作日计时"),
        (name = "credit", description = "联合信用监管：信用记录（行政处罚、经营异常名录、严重违法失信名单、表彰）、信用档案与信用信息公示；信用评价指标体系（版本化）、评价批次与各部门的变动推送、主体信用分类及其解释、人工调整（分类和评分仅限工作人员，从不公开）"),
        (name = "risk", description = "风险预测模型：以平台自身历史（检查结果、整改、投诉举报、行政处罚、许可证、标签、在库年限）拟合的正则化逻辑回归，留出期按真实检查日程重排评价，主体风险等级（一级最高…五级）与最低检查频次，逐项特征贡献解释（仅限工作人员，从不公开）"),
        (name = "sanctions", description = "联合惩戒与信用修复：措施目录、发起、审核、执行反馈（证据、督办、到期解除）、统计，信用异议与信用修复"),
        (name = "assistance", description = "协查协助与行刑衔接：跨地区、跨层级的协查请求（受理、交办、答复附证据、超时提醒双方），公安机关提请协助与双向咨询，检察监督只读"),
        (name = "consultations", description = "议事会商与情况通报：会商（参会部门、议程、材料、纪要、决定），决定分解为各部门任务（工作日计时、督办、超时上报协调办、报告完成附证据），情况通报（接收部门阅读回执、提醒未读）"),
        (name = "warnings", description = "风险隐患联合监测预警：预警规则（按行业领域、版本化）、预警生成与重复触发合并、推送、签收、会商研判、处置、办结、转线索或转检查，每一步留痕并按预案计时"),
        (name = "iot", description = "物联网感知监测：设备登记（设备编号、类型、所属主体、安装位置、指标阈值、静默时长、负责部门）、最新读数、分钟聚合与超限记录；读数经 MQTT 接入（见 docs/iot.md）"),
        (name = "licensing", description = "审管衔接：审批结果（准予、变更、撤销注销许可）推送与认领（按许可证号和事项幂等，认领期限按工作日计时，逾期转协调办），监管结果反馈审批部门"),
        (name = "sharing", description = "信息互通共享：省市县实例间经 NATS JetStream 交换数据；共享目录（数据类别、方向、范围、方式、频率、时限、密级）须双方确认，消息签名并记入双方的哈希链消息日志，死信可重试（见 docs/sharing.md；仅限工作人员）"),
        (name = "hotline", description = "12345 热线接口：工单推送（按工单编号幂等）、办理事件拉取与回调（签名、重试）"),
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
        .routes(routes!(tags::preview_rule))
        .routes(routes!(tags::preview_removal))
        .routes(routes!(tags::remove_rule))
        .routes(routes!(items::list, items::create))
        .routes(routes!(items::get, items::update))
        .routes(routes!(items::publish))
        .routes(routes!(items::retire))
        .routes(routes!(items::versions))
        .routes(routes!(items::version_at))
        .routes(routes!(items::directory))
        .routes(routes!(items::public_list))
        .routes(routes!(guides::get))
        .routes(routes!(guides::put_section))
        .routes(routes!(guides::put_contact))
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
        .routes(routes!(visits::merge))
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
        .routes(routes!(credit::list, credit::push))
        .routes(routes!(credit::export))
        .routes(routes!(credit::get))
        .routes(routes!(credit::remove))
        .routes(routes!(credit::timeline))
        .routes(routes!(credit::public_search))
        .routes(routes!(credit::public_get))
        .routes(routes!(clues::list, clues::create))
        .routes(routes!(clues::batch))
        .routes({
            // Like the evidence upload: the file is read in chunks against the evidence limit.
            let (schemas, paths, r) = routes!(clues::attach);
            (
                schemas,
                paths,
                r.layer(axum::extract::DefaultBodyLimit::disable()),
            )
        })
        .routes(routes!(clues::export))
        .routes(routes!(clues::rates))
        .routes(routes!(clues::rates_export))
        .routes(routes!(analysis::table))
        .routes(routes!(analysis::export))
        .routes(routes!(analysis::actions))
        .routes(routes!(analysis::refresh))
        .routes(routes!(clues::get))
        .routes(routes!(clues::dispatch))
        .routes(routes!(clues::reassign))
        .routes(routes!(clues::sign))
        .routes(routes!(clues::return_clue))
        .routes(routes!(clues::request_extension))
        .routes(routes!(clues::decide_extension))
        .routes(routes!(clues::finish))
        .routes(routes!(clues::dispute))
        .routes(routes!(clues::decide))
        .routes(routes!(clues::supervise))
        .routes(routes!(clues::urge))
        .routes(routes!(clues::transfer))
        .routes(routes!(clues::merge))
        .routes(routes!(clues::revisit))
        .routes(routes!(clues::join_visit))
        .routes(routes!(clues::verify))
        .routes(routes!(clues::routes, clues::add_route))
        .routes(routes!(clues::delete_route))
        .routes(routes!(
            clues::deadlines,
            clues::put_deadline,
            clues::delete_deadline
        ))
        .routes(routes!(
            credit_sanctions::list_measures,
            credit_sanctions::create_measure
        ))
        .routes(routes!(
            credit_sanctions::get_measure,
            credit_sanctions::update_measure
        ))
        .routes(routes!(
            credit_sanctions::list_batches,
            credit_sanctions::file_batch
        ))
        .routes(routes!(credit_sanctions::get_batch))
        .routes(routes!(credit_sanctions::approve))
        .routes(routes!(credit_sanctions::return_batch))
        .routes(routes!(credit_sanctions::resubmit))
        .routes(routes!(credit_sanctions::list_tasks))
        .routes(routes!(credit_sanctions::get_task))
        .routes({
            // Like the evidence upload: the file is read in chunks against the evidence limit.
            let (schemas, paths, r) = routes!(credit_sanctions::attach);
            (
                schemas,
                paths,
                r.layer(axum::extract::DefaultBodyLimit::disable()),
            )
        })
        .routes(routes!(credit_sanctions::apply))
        .routes(routes!(credit_sanctions::decline))
        .routes(routes!(credit_sanctions::supervise))
        .routes(routes!(credit_sanctions::statistics))
        .routes(routes!(
            credit_sanctions::list_appeals,
            credit_sanctions::register_appeal
        ))
        .routes(routes!(credit_sanctions::get_appeal))
        .routes(routes!(credit_sanctions::decide_appeal))
        .routes(routes!(
            credit_evaluation::indexes,
            credit_evaluation::define
        ))
        .routes(routes!(credit_evaluation::index, credit_evaluation::edit))
        .routes(routes!(credit_evaluation::runs, credit_evaluation::start))
        .routes(routes!(credit_evaluation::run))
        .routes(routes!(credit_evaluation::changes))
        .routes(routes!(credit_evaluation::export_changes))
        .routes(routes!(credit_evaluation::entity))
        .routes(routes!(credit_evaluation::override_class))
        .routes(routes!(warnings::list_rules, warnings::create_rule))
        .routes(routes!(warnings::rule_versions))
        .routes(routes!(warnings::new_version))
        .routes(routes!(assistance::list, assistance::create))
        .routes(routes!(assistance::get))
        .routes(routes!(assistance::assign))
        .routes(routes!(assistance::reassign))
        .routes(routes!(assistance::refuse))
        .routes(routes!(assistance::withdraw))
        .routes(routes!(assistance::answer))
        .routes(routes!(assistance::attach))
        .routes(routes!(assistance::close))
        .routes(routes!(assistance::reopen))
        .routes(routes!(
            assistance::of_transfer,
            assistance::create_for_transfer
        ))
        .routes(routes!(consultations::list, consultations::create))
        .routes(routes!(consultations::get))
        .routes(routes!(consultations::attach))
        .routes(routes!(consultations::hold))
        .routes(routes!(consultations::finalise))
        .routes(routes!(consultations::cancel))
        .routes(routes!(consultations::tasks))
        .routes(routes!(consultations::task))
        .routes(routes!(consultations::report))
        .routes(routes!(consultations::supervise))
        .routes(routes!(
            consultations::circular_list,
            consultations::circular_create
        ))
        .routes(routes!(consultations::circular_get))
        .routes(routes!(consultations::circular_remind))
        .routes(routes!(warnings::list))
        .routes(routes!(warnings::get))
        .routes(routes!(warnings::sign))
        .routes(routes!(warnings::handle))
        .routes(routes!(warnings::close))
        .routes(routes!(warnings::assess))
        .routes(routes!(warnings::decide))
        .routes(routes!(warnings::to_clue))
        .routes(routes!(warnings::to_visit))
        .routes(routes!(licensing::list, licensing::push))
        .routes(routes!(licensing::get))
        .routes(routes!(licensing::feed_back))
        .routes(routes!(licensing::feedback_list))
        .routes(routes!(licensing::acknowledge))
        .routes(routes!(devices::list, devices::create))
        .routes(routes!(devices::get, devices::update))
        .routes(routes!(devices::ingest))
        .routes(routes!(risk::models, risk::fit))
        .routes(routes!(risk::model))
        .routes(routes!(risk::entity))
        .routes(routes!(risk::control_lift))
        .routes(routes!(sharing::overview))
        .routes(routes!(sharing::shares, sharing::propose))
        .routes(routes!(sharing::approve))
        .routes(routes!(sharing::set_status))
        .routes(routes!(sharing::dead_letters))
        .routes(routes!(sharing::retry))
        .routes(routes!(hotline::push))
        .routes(routes!(hotline::events))
        .routes(routes!(hotline::subscribe, hotline::subscriptions))
        .routes(routes!(hotline::unsubscribe))
        .routes(routes!(evidence::proof))
        .routes(routes!(evidence::public_checkpoint))
        .routes(routes!(evidence::public_consistency))
}

/// Completes the document made from the handlers' annotations with what every operation shares,
/// so that no operation can forget an answer its extractors give:
/// - 400 (`bad_request`: malformed JSON, wrong content type, a parameter that does not parse)
///   and 422 (`validation_failed`) where the operation takes parameters or a body;
/// - 401 and 403 where it needs a sign-in (no or bad token; a role or scope that may not);
/// - 404 where its path names a record;
/// - 409 on every signed-in change (the record's state or a unique name forbids it);
/// - 413 where it takes a body (the request size limit, also for chunked bodies);
///
/// all with the one error schema, and a unique `operationId` (`tag.function`).
pub fn complete(doc: &mut utoipa::openapi::OpenApi) {
    use utoipa::openapi::path::ParameterIn;
    use utoipa::openapi::{ContentBuilder, Ref, RefOr, ResponseBuilder};

    let shared: [(&str, &str, &str); 7] = [
        (
            "400",
            "BadRequest",
            "请求格式错误（JSON、参数或 Content-Type） · malformed request",
        ),
        (
            "401",
            "Unauthenticated",
            "缺少或无效的 API 令牌 · no valid API token",
        ),
        (
            "403",
            "Forbidden",
            "角色或数据范围不允许 · not allowed for this role or scope",
        ),
        (
            "404",
            "NotFound",
            "记录不存在或无权访问 · not found, or not yours to see",
        ),
        (
            "409",
            "Conflict",
            "与记录当前状态或已有名称冲突 · conflicts with the record's state or an existing name",
        ),
        ("413", "TooLarge", "请求体过大 · request body too large"),
        (
            "422",
            "Invalid",
            "字段校验失败，逐项列出 · validation failed, per field",
        ),
    ];
    let components = doc.components.get_or_insert_with(Default::default);
    merge_flattened(components);
    for (_, name, description) in shared {
        components.responses.insert(
            name.to_string(),
            RefOr::T(
                ResponseBuilder::new()
                    .description(description)
                    .content(
                        "application/json",
                        ContentBuilder::new()
                            .schema(Some(Ref::from_schema_name("ErrorBody")))
                            .build(),
                    )
                    .build(),
            ),
        );
    }
    let public = serde_json::json!([{}]);
    for (path, item) in doc.paths.paths.iter_mut() {
        let names_record = path.contains('{');
        for (method, op) in [
            ("get", &mut item.get),
            ("put", &mut item.put),
            ("post", &mut item.post),
            ("delete", &mut item.delete),
            ("patch", &mut item.patch),
        ]
        .into_iter()
        .filter_map(|(m, op)| op.as_mut().map(|op| (m, op)))
        {
            let takes_query = op.parameters.as_ref().is_some_and(|ps| {
                ps.iter().any(
                    |p| matches!(p, RefOr::T(p) if matches!(p.parameter_in, ParameterIn::Query)),
                )
            });
            let takes_body = op.request_body.is_some();
            let signed_in = op
                .security
                .as_ref()
                .is_none_or(|s| serde_json::to_value(s).ok().as_ref() != Some(&public));
            for (status, name, _) in shared {
                let applies = match status {
                    "400" | "422" => takes_query || takes_body || names_record,
                    "401" | "403" => signed_in,
                    "404" => names_record,
                    // Every change meets the record's current state (a state machine) or a
                    // unique name; reads never conflict.
                    "409" => method != "get" && signed_in,
                    "413" => takes_body,
                    _ => false,
                };
                if applies {
                    op.responses
                        .responses
                        .entry(status.to_string())
                        .or_insert_with(|| RefOr::Ref(Ref::from_response_name(name)));
                }
            }
            if let (Some(tag), Some(id)) = (
                op.tags.as_ref().and_then(|t| t.first()),
                op.operation_id.as_mut(),
            ) && !id.contains('.')
            {
                *id = format!("{tag}.{id}");
            }
        }
    }
    // Two modules under one tag may use the same function name (`directory.list`): those
    // take their path's fixed segments too.
    let mut seen = std::collections::HashMap::<String, usize>::new();
    for item in doc.paths.paths.values() {
        for op in operations(item) {
            if let Some(id) = &op.operation_id {
                *seen.entry(id.clone()).or_default() += 1;
            }
        }
    }
    for (path, item) in doc.paths.paths.iter_mut() {
        let tail: Vec<&str> = path
            .trim_start_matches("/api/v1/")
            .split('/')
            .filter(|s| !s.starts_with('{'))
            .collect();
        for op in operations_mut(item) {
            if let Some(id) = op.operation_id.as_mut()
                && seen.get(id.as_str()).is_some_and(|n| *n > 1)
            {
                *id = format!("{id}_{}", tail.join("_").replace('-', "_"));
            }
        }
    }
}

/// A body with a `#[serde(flatten)]` part is documented by utoipa as `allOf` of its parts, each
/// closed (`additionalProperties: false`, from `deny_unknown_fields`), which no value can
/// satisfy. Such a body is one closed object on the wire: merge the parts into that object.
fn merge_flattened(components: &mut utoipa::openapi::Components) {
    use utoipa::openapi::RefOr;
    use utoipa::openapi::schema::{AdditionalProperties, Object, Schema, Type};
    let before = components.schemas.clone();
    let part = |r: &RefOr<Schema>| -> Option<Object> {
        match r {
            RefOr::T(Schema::Object(o)) => Some(o.clone()),
            RefOr::Ref(r) => {
                match before.get(r.ref_location.trim_start_matches("#/components/schemas/")) {
                    Some(RefOr::T(Schema::Object(o))) => Some(o.clone()),
                    _ => None,
                }
            }
            _ => None,
        }
    };
    for schema in components.schemas.values_mut() {
        let RefOr::T(Schema::AllOf(all)) = schema else {
            continue;
        };
        let Some(parts) = all.items.iter().map(part).collect::<Option<Vec<_>>>() else {
            continue;
        };
        let mut merged = Object::with_type(Type::Object);
        merged.description = all.description.clone();
        let mut closed = false;
        for p in parts {
            closed |= matches!(
                p.additional_properties.as_deref(),
                Some(AdditionalProperties::FreeForm(false))
            );
            merged.properties.extend(p.properties);
            merged.required.extend(p.required);
        }
        if closed {
            merged.additional_properties = Some(Box::new(AdditionalProperties::FreeForm(false)));
        }
        *schema = RefOr::T(Schema::Object(merged));
    }
}

fn operations(
    item: &utoipa::openapi::PathItem,
) -> impl Iterator<Item = &utoipa::openapi::path::Operation> {
    [&item.get, &item.put, &item.post, &item.delete, &item.patch]
        .into_iter()
        .flatten()
}

fn operations_mut(
    item: &mut utoipa::openapi::PathItem,
) -> impl Iterator<Item = &mut utoipa::openapi::path::Operation> {
    [
        &mut item.get,
        &mut item.put,
        &mut item.post,
        &mut item.delete,
        &mut item.patch,
    ]
    .into_iter()
    .flatten()
}
