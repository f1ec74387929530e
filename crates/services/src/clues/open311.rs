//! Open311 GeoReport v2 (<http://wiki.open311.org/GeoReport_v2>) on top of the clue workflow:
//! what the public may report ([`services`]), how a submitted request becomes a clue (intake
//! through [`super::register_with`], source 投诉举报平台 `portal`), and how a clue reads to
//! the public (open/closed, status notes, expected time). The HTTP face (`/open311/v2/`) only
//! parses and renders; everything the standard decides is here.
//!
//! **Keys**: applications submit with an API key (`lianjian open311 key create`), stored as a
//! SHA-256 hash only; the key's region is its scope — a request is registered within it.
//!
//! **What is public** (every GET is public, no key): only clues submitted through Open311 (a
//! 12345 work order or a department's finding is never listed here), and of those only the
//! fields of [`Request`]. Never the complainant's name, phone or e-mail, never who acted
//! (inspectors, staff), never a return reason, an extension request or any other internal note:
//! status notes and the notes of `extensions=true` come from [`mapping`] alone.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Duration, FixedOffset, NaiveDate, NaiveTime, TimeZone, Utc};
use lianjian_domain::Invalid;
use lianjian_domain::account::Role;
use lianjian_domain::case::CaseKind;
use lianjian_domain::clue::{ClueAction, ClueKind, ClueStatus, DISPATCH_CLOCKS, FINISH_CLOCK};
use lianjian_domain::region::RegionCode;
use lianjian_domain::scope::{Actor, Scope};
use lianjian_domain::visit::beijing_date;
use lianjian_store::open311::{self as repo, ApiKey, PublicRequest, RequestQuery};
use lianjian_store::{Page, PageRequest};
use uuid::Uuid;

use crate::accounts::secret_hash;
use crate::error::Checker;
use crate::{Result, ServiceError, Services};

/// The specification this interface implements (service discovery names it).
pub const SPECIFICATION: &str = "http://wiki.open311.org/GeoReport_v2";
/// When this endpoint's behaviour last changed (service discovery's `changeset`).
pub const CHANGESET: &str = "2026-12-07T00:00:00Z";
/// The spec's default: "a span of 90 days or first 1000 requests returned".
pub const DEFAULT_DAYS: i64 = 90;
pub const MAX_PAGE_SIZE: u64 = 1000;

/// The one place where our clue workflow meets the standard's vocabulary: services, statuses,
/// status notes and public notes. A new clue status or step is mapped here (the compiler
/// points at the matches).
pub mod mapping {
    use super::*;

    /// A service the public may request: one per kind of clue (诉求类型), with a stable code.
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub struct ServiceSpec {
        pub code: &'static str,
        pub kind: ClueKind,
        pub name: &'static str,
        pub description: &'static str,
        pub keywords: &'static str,
    }

    /// Every service, in the order `services` lists them. Codes never change; a new service
    /// gets a new code.
    pub const SERVICES: &[ServiceSpec] = &[
        ServiceSpec {
            code: "complaint",
            kind: ClueKind::Complaint,
            name: "投诉",
            description: "您的权益受到经营者侵害（如商品质量、价格、服务、食品安全），要求处理。",
            keywords: "投诉,消费,权益",
        },
        ServiceSpec {
            code: "report",
            kind: ClueKind::Report,
            name: "举报",
            description: "反映市场主体的违法行为线索（如无证经营、假冒伪劣、过期药品），由监管部门核查。",
            keywords: "举报,违法,线索",
        },
        ServiceSpec {
            code: "inquiry",
            kind: ClueKind::Inquiry,
            name: "咨询",
            description: "咨询监管政策、办事要求。",
            keywords: "咨询,政策",
        },
        ServiceSpec {
            code: "help",
            kind: ClueKind::Help,
            name: "求助",
            description: "遇到需要监管部门协助解决的问题。",
            keywords: "求助",
        },
        ServiceSpec {
            code: "suggestion",
            kind: ClueKind::Suggestion,
            name: "建议",
            description: "对监管工作的意见和建议。",
            keywords: "建议,意见",
        },
    ];

    /// The group every service is listed under.
    pub const GROUP: &str = "市场监管问题线索";

    pub fn service(code: &str) -> Option<&'static ServiceSpec> {
        SERVICES.iter().find(|s| s.code == code)
    }

    pub fn service_of_kind(kind: ClueKind) -> &'static ServiceSpec {
        SERVICES
            .iter()
            .find(|s| s.kind == kind)
            .expect("every clue kind has a service")
    }

    /// GeoReport v2 knows two statuses: a clue is closed once finished (办结, and after its
    /// 回访), open otherwise — a merged duplicate too, until the clue it joined is finished.
    pub fn status(s: ClueStatus) -> Status {
        match s {
            ClueStatus::Finished | ClueStatus::Closed => Status::Closed,
            ClueStatus::Registered
            | ClueStatus::Dispatched
            | ClueStatus::Handling
            | ClueStatus::ExtensionRequested
            | ClueStatus::Returned
            | ClueStatus::Escalated
            | ClueStatus::Disputed
            | ClueStatus::Merged => Status::Open,
        }
    }

    /// Our statuses a GeoReport status stands for (the `status` filter).
    pub fn statuses_of(s: Status) -> Vec<ClueStatus> {
        ClueStatus::ALL
            .iter()
            .copied()
            .filter(|x| status(*x) == s)
            .collect()
    }

    /// `status_notes`: the current state in public words. The handling department is named
    /// (an office, not a person); a return's reason and an extension request are internal.
    pub fn status_note(s: ClueStatus, department: Option<&str>, result: Option<&str>) -> String {
        let d = department.unwrap_or("承办部门");
        match s {
            ClueStatus::Registered => "已受理，等待联席办分派承办部门".into(),
            ClueStatus::Dispatched => format!("已分派至{d}，等待签收"),
            ClueStatus::Handling | ClueStatus::ExtensionRequested => format!("{d}正在办理"),
            ClueStatus::Returned => "正在重新确定承办部门".into(),
            ClueStatus::Escalated => "联席办正在督促办理".into(),
            ClueStatus::Disputed => "联席办正在确定承办部门".into(),
            ClueStatus::Merged => "已与反映同一问题的诉求合并办理".into(),
            ClueStatus::Finished | ClueStatus::Closed => match result {
                Some(r) => format!("已办结。办理结果：{r}"),
                None => "已办结".into(),
            },
        }
    }

    /// One step of a clue's timeline as the public reads it (`extensions=true` notes):
    /// `(summary, description)`, or `None` for steps that stay internal (an extension asked
    /// or refused). Never the actor, never a reason typed by staff.
    pub fn public_note(
        action: ClueAction,
        department: Option<&str>,
        days: Option<u64>,
        finish_due: Option<&str>,
        result: Option<&str>,
    ) -> Option<(&'static str, String)> {
        let d = department.unwrap_or("承办部门");
        Some(match action {
            ClueAction::Register => ("受理", "诉求已登记".to_string()),
            ClueAction::Dispatch => ("派单", format!("已分派至{d}")),
            ClueAction::Reassign => ("改派", format!("已改派至{d}")),
            ClueAction::Sign => ("签收", format!("{d}已签收")),
            ClueAction::Return => ("退回", "承办部门已退回，联席办重新分派".to_string()),
            ClueAction::Escalate => ("督办", "超时未签收，已提交联席办督办".to_string()),
            ClueAction::ApproveExtension => (
                "延期",
                match (days, finish_due) {
                    (Some(n), Some(due)) => format!("办理期限延长 {n} 个工作日，至 {due}"),
                    _ => "办理期限已延长".to_string(),
                },
            ),
            ClueAction::Finish => (
                "办结",
                match result {
                    Some(r) => format!("已办结。办理结果：{r}"),
                    None => "已办结".to_string(),
                },
            ),
            ClueAction::Decide => ("派单", format!("已分派至{d}")),
            ClueAction::Supervise => ("督办", "联席办已督办".to_string()),
            ClueAction::Transfer => ("转办", "已转至事发地联席办办理".to_string()),
            ClueAction::Merge => ("并单", "已与反映同一问题的诉求合并办理".to_string()),
            ClueAction::Revisit => ("回访", "已回访".to_string()),
            // Internal: an extension asked or refused, a dispute, a reminder; and a visit about
            // to happen is an unannounced inspection's target, never public.
            ClueAction::RequestExtension
            | ClueAction::RefuseExtension
            | ClueAction::Dispute
            | ClueAction::Urge
            | ClueAction::JoinVisit
            | ClueAction::Verify
            | ClueAction::Attach => return None,
        })
    }
}

/// GeoReport v2 status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Open,
    Closed,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Open => "open",
            Status::Closed => "closed",
        }
    }

    fn parse(s: &str) -> std::result::Result<Self, Invalid> {
        match s.trim() {
            "open" => Ok(Status::Open),
            "closed" => Ok(Status::Closed),
            t => Err(Invalid::new(
                "status",
                format!("状态“{t}”不正确，应为 open 或 closed"),
                format!("status '{t}' is not one of: open, closed"),
            )),
        }
    }
}

// ---- what the standard returns ----

/// One attribute of a service definition.
#[derive(Debug, Clone)]
pub struct Attribute {
    pub code: &'static str,
    /// `string`, `number`, `datetime`, `text`, `singlevaluelist`, `multivaluelist`.
    pub datatype: &'static str,
    pub required: bool,
    pub datatype_description: Option<&'static str>,
    pub order: u32,
    pub description: &'static str,
    /// `(key, name)` of list datatypes.
    pub values: Vec<(&'static str, &'static str)>,
}

/// A service (`GET services`) with its definition (`GET services/{code}`).
#[derive(Debug, Clone)]
pub struct Service {
    pub code: &'static str,
    pub name: &'static str,
    pub description: &'static str,
    pub metadata: bool,
    /// Requests are registered as clues while the client waits: always `realtime`.
    pub kind: &'static str,
    pub keywords: &'static str,
    pub group: &'static str,
    pub attributes: Vec<Attribute>,
}

/// The attributes every service takes (`attribute[code]=value`).
fn attributes() -> Vec<Attribute> {
    vec![
        Attribute {
            code: "entity_usci",
            datatype: "string",
            required: false,
            datatype_description: Some("18 位统一社会信用代码"),
            order: 1,
            description: "涉及主体的统一社会信用代码（营业执照上的 18 位代码），须在本辖区名录库中",
            values: vec![],
        },
        Attribute {
            code: "entity_name",
            datatype: "string",
            required: false,
            datatype_description: None,
            order: 2,
            description: "涉及主体名称（店名、单位名称）",
            values: vec![],
        },
        Attribute {
            code: "anonymous",
            datatype: "singlevaluelist",
            required: false,
            datatype_description: None,
            order: 3,
            description: "是否匿名：匿名时承办部门看不到您的姓名和电话",
            values: vec![("false", "不匿名"), ("true", "匿名")],
        },
    ]
}

/// Every service the public may request.
pub fn services() -> Vec<Service> {
    mapping::SERVICES
        .iter()
        .map(|s| Service {
            code: s.code,
            name: s.name,
            description: s.description,
            metadata: true,
            kind: "realtime",
            keywords: s.keywords,
            group: mapping::GROUP,
            attributes: attributes(),
        })
        .collect()
}

/// One service's definition; `NotFound` for an unknown code.
pub fn service(code: &str) -> Result<Service> {
    services()
        .into_iter()
        .find(|s| s.code == code)
        .ok_or(ServiceError::NotFound)
}

/// A public note of `extensions=true`.
#[derive(Debug, Clone)]
pub struct Note {
    pub datetime: DateTime<FixedOffset>,
    pub summary: &'static str,
    pub description: String,
}

/// A service request as GeoReport v2 publishes it. Every field here is public.
#[derive(Debug, Clone)]
pub struct Request {
    /// The clue's code (线索编号).
    pub service_request_id: String,
    /// The clue's id (`tokens/{token}`).
    pub token: String,
    pub status: Status,
    pub status_notes: String,
    pub service_name: String,
    pub service_code: String,
    pub description: String,
    pub agency_responsible: Option<String>,
    pub service_notice: Option<String>,
    pub requested_datetime: DateTime<FixedOffset>,
    pub updated_datetime: DateTime<FixedOffset>,
    /// The end of the day the 办结 clock falls due (none before dispatch and once closed).
    pub expected_datetime: Option<DateTime<FixedOffset>>,
    pub address: String,
    pub lat: Option<f64>,
    pub long: Option<f64>,
    /// `extensions=true`: our detailed status and the public notes.
    pub extended: Option<Extended>,
}

/// What `extensions=true` adds (as Austin's and Chicago's endpoints: `extended_attributes`
/// and `notes`).
#[derive(Debug, Clone)]
pub struct Extended {
    /// Our status code (`handling` …) and its Chinese label.
    pub detailed_status: &'static str,
    pub detailed_status_label: &'static str,
    /// GB/T 2260 code of the clue's region.
    pub region_code: String,
    pub channel: &'static str,
    pub notes: Vec<Note>,
}

/// Times go out in Beijing time with their offset (the spec wants a timezone on every one).
pub fn beijing(t: DateTime<Utc>) -> DateTime<FixedOffset> {
    t.with_timezone(&FixedOffset::east_opt(8 * 3600).expect("valid offset"))
}

fn end_of_day(d: NaiveDate) -> DateTime<FixedOffset> {
    let tz = FixedOffset::east_opt(8 * 3600).expect("valid offset");
    tz.from_local_datetime(&d.and_time(NaiveTime::from_hms_opt(23, 59, 59).expect("valid")))
        .single()
        .expect("fixed offsets are unambiguous")
}

// ---- reading ----

/// Filters of `GET requests`, as the query string carries them (text; parsed here).
#[derive(Debug, Clone, Default)]
pub struct RequestFilter {
    pub jurisdiction_id: Option<String>,
    pub service_request_id: Option<String>,
    pub service_code: Option<String>,
    pub start_date: Option<String>,
    pub end_date: Option<String>,
    pub status: Option<String>,
    /// Extension (paging).
    pub page: Option<String>,
    pub page_size: Option<String>,
    /// Extension (update feed, as Chicago's endpoint): requests updated after / before.
    pub updated_after: Option<String>,
    pub updated_before: Option<String>,
    pub extensions: bool,
}

/// A W3C date-time (RFC 3339), or a date alone: the start of that day in Beijing, or with
/// `end` its last second.
fn w3c(field: &str, s: &str, end: bool) -> std::result::Result<DateTime<Utc>, Invalid> {
    let t = s.trim();
    if let Ok(x) = DateTime::parse_from_rfc3339(t) {
        return Ok(x.with_timezone(&Utc));
    }
    if let Ok(d) = NaiveDate::parse_from_str(t, "%Y-%m-%d") {
        let local = if end {
            end_of_day(d)
        } else {
            end_of_day(d) - Duration::seconds(86_399)
        };
        return Ok(local.with_timezone(&Utc));
    }
    Err(Invalid::new(
        "datetime",
        format!("{field}“{t}”不是 W3C 日期时间（如 2026-12-01T00:00:00+08:00）"),
        format!("{field} '{t}' is not a W3C date-time such as 2026-12-01T00:00:00Z"),
    ))
}

fn positive(field: &str, s: &str, max: u64) -> std::result::Result<u64, Invalid> {
    match s.trim().parse::<u64>() {
        Ok(n) if (1..=max).contains(&n) => Ok(n),
        _ => Err(Invalid::new(
            "range",
            format!("{field}“{}”应为 1 到 {max} 的整数", s.trim()),
            format!(
                "{field} '{}' is not a whole number from 1 to {max}",
                s.trim()
            ),
        )),
    }
}

fn comma_list(s: Option<&str>) -> Vec<String> {
    s.unwrap_or_default()
        .split(',')
        .map(str::trim)
        .filter(|x| !x.is_empty())
        .map(str::to_string)
        .collect()
}

/// The public scope of this endpoint: the site's jurisdiction, narrowed to `jurisdiction_id`
/// when one is given. An unknown jurisdiction, or one this site does not serve, is `NotFound`
/// (the spec's 404 "jurisdiction_id provided was not found").
pub async fn jurisdiction_scope(svc: &Services, jurisdiction_id: Option<&str>) -> Result<Scope> {
    let scope = svc.public_scope();
    match jurisdiction_id.map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(scope),
        Some(j) => {
            let r = RegionCode::parse(j).map_err(|_| ServiceError::NotFound)?;
            if !svc.site.publishes(&r, false)
                || lianjian_store::regions::get(svc.store.conn(), &r)
                    .await?
                    .is_none()
            {
                return Err(ServiceError::NotFound);
            }
            Ok(scope.narrowed(Some(&r), None))
        }
    }
}

/// `GET requests`: public requests matching the filter, newest first (most recently updated
/// first when the update feed's `updated_after`/`updated_before` is used). Bad filters are
/// field errors (the spec's 400), every one at once.
pub async fn list(svc: &Services, f: &RequestFilter) -> Result<Page<Request>> {
    let scope = jurisdiction_scope(svc, f.jurisdiction_id.as_deref()).await?;
    let mut ch = Checker::default();
    let codes = comma_list(f.service_request_id.as_deref());
    let service_codes = comma_list(f.service_code.as_deref());
    for s in &service_codes {
        if mapping::service(s).is_none() {
            ch.push(
                "service_code",
                Invalid::new(
                    "unknown_service",
                    format!("服务类型“{s}”不存在"),
                    format!("service_code '{s}' is not a service of this endpoint"),
                ),
            );
        }
    }
    let mut statuses = Vec::new();
    for s in comma_list(f.status.as_deref()) {
        if let Some(st) = ch.check("status", Status::parse(&s)) {
            statuses.extend(mapping::statuses_of(st));
        }
    }
    let date = |ch: &mut Checker, field: &str, v: &Option<String>, end: bool| {
        v.as_deref()
            .filter(|s| !s.trim().is_empty())
            .and_then(|s| ch.check(field, w3c(field, s, end)))
    };
    let start = date(&mut ch, "start_date", &f.start_date, false);
    let end = date(&mut ch, "end_date", &f.end_date, true);
    let updated_after = date(&mut ch, "updated_after", &f.updated_after, false);
    let updated_before = date(&mut ch, "updated_before", &f.updated_before, true);
    let page = f
        .page
        .as_deref()
        .filter(|s| !s.trim().is_empty())
        .and_then(|s| ch.check("page", positive("page", s, PageRequest::MAX_PAGE)));
    let page_size = f
        .page_size
        .as_deref()
        .filter(|s| !s.trim().is_empty())
        .and_then(|s| ch.check("page_size", positive("page_size", s, MAX_PAGE_SIZE)));
    // The spec's window: at most 90 days of requested_datetime; the most recent 90 days when
    // neither end is given (unless requests are asked by id or through the update feed).
    let span = Duration::days(DEFAULT_DAYS);
    let (from, to) = match (start, end) {
        (Some(a), Some(b)) => {
            if b < a {
                ch.push(
                    "end_date",
                    Invalid::new(
                        "range",
                        "end_date 早于 start_date",
                        "end_date lies before start_date",
                    ),
                );
            } else if b - a > span + Duration::days(1) {
                ch.push(
                    "end_date",
                    Invalid::new(
                        "range",
                        format!("start_date 到 end_date 不能超过 {DEFAULT_DAYS} 天"),
                        format!(
                            "start_date to end_date may not span more than {DEFAULT_DAYS} days"
                        ),
                    ),
                );
            }
            (Some(a), Some(b))
        }
        (Some(a), None) => (Some(a), Some(a + span)),
        (None, Some(b)) => (Some(b - span), Some(b)),
        (None, None) if updated_after.is_some() || updated_before.is_some() => (None, None),
        (None, None) => (Some(svc.now() - span), None),
    };
    ch.finish()?;
    let q = RequestQuery {
        codes,
        service_codes,
        statuses,
        received_from: from,
        received_to: to,
        updated_after,
        updated_before,
    };
    let feed = q.updated_after.is_some() || q.updated_before.is_some();
    let page = PageRequest {
        page: page.unwrap_or(1),
        per_page: page_size.unwrap_or(MAX_PAGE_SIZE),
    };
    let c = svc.store.conn();
    let p = repo::list(c, &scope, &q, feed, page).await?;
    let items = views(svc, &p.items, f.extensions).await?;
    Ok(Page {
        items,
        total: p.total,
        page: p.page,
        per_page: p.per_page,
    })
}

/// `GET requests/{id}`: one public request by its `service_request_id` (the clue code).
pub async fn get(
    svc: &Services,
    jurisdiction_id: Option<&str>,
    id: &str,
    extensions: bool,
) -> Result<Request> {
    let scope = jurisdiction_scope(svc, jurisdiction_id).await?;
    let r = repo::by_code(svc.store.conn(), &scope, id.trim())
        .await?
        .ok_or(ServiceError::NotFound)?;
    Ok(views(svc, &[r], extensions)
        .await?
        .pop()
        .expect("one in, one out"))
}

/// `GET tokens/{token}`: the request a token stands for, as `(service_request_id, token)`.
pub async fn by_token(
    svc: &Services,
    jurisdiction_id: Option<&str>,
    token: &str,
) -> Result<(String, String)> {
    let scope = jurisdiction_scope(svc, jurisdiction_id).await?;
    let id: Uuid = token.trim().parse().map_err(|_| ServiceError::NotFound)?;
    let r = repo::by_token(svc.store.conn(), &scope, id)
        .await?
        .ok_or(ServiceError::NotFound)?;
    Ok((r.code, r.clue_id.to_string()))
}

async fn views(svc: &Services, rows: &[PublicRequest], extensions: bool) -> Result<Vec<Request>> {
    let c = svc.store.conn();
    let cal = crate::calendar::current(svc).await?;
    let today = beijing_date(svc.now());
    let ids: Vec<Uuid> = rows.iter().map(|r| r.clue_id).collect();
    let mut clocks =
        crate::cases::clocks_of_many(c, &cal, CaseKind::Clue, &ids, today, &DISPATCH_CLOCKS)
            .await?;
    let mut dept_ids: Vec<Uuid> = rows.iter().filter_map(|r| r.department_id).collect();
    let mut timelines = HashMap::new();
    if extensions {
        for r in rows {
            let events = crate::cases::timeline(c, CaseKind::Clue, r.clue_id).await?;
            for e in &events {
                if let Some(d) = detail_department(e.detail.as_deref()) {
                    dept_ids.push(d);
                }
            }
            timelines.insert(r.clue_id, events);
        }
    }
    dept_ids.sort();
    dept_ids.dedup();
    let depts = lianjian_store::departments::by_ids(c, &dept_ids).await?;
    let name_of = |id: Option<Uuid>| id.and_then(|d| depts.get(&d)).map(|d| d.name.clone());
    Ok(rows
        .iter()
        .map(|r| {
            let department = name_of(r.department_id);
            let spec = mapping::service(&r.service_code)
                .unwrap_or_else(|| mapping::service_of_kind(r.kind));
            let status = mapping::status(r.status);
            let expected = (status == Status::Open)
                .then(|| {
                    clocks
                        .remove(&r.clue_id)
                        .unwrap_or_default()
                        .into_iter()
                        .find(|k| k.name == FINISH_CLOCK.name && k.stopped_on.is_none())
                        .map(|k| end_of_day(k.due))
                })
                .flatten();
            let extended = extensions.then(|| Extended {
                detailed_status: r.status.as_str(),
                detailed_status_label: r.status.label_zh(),
                region_code: r.region_code.to_string(),
                channel: "open311",
                notes: timelines
                    .remove(&r.clue_id)
                    .unwrap_or_default()
                    .into_iter()
                    .filter_map(|e| {
                        let action = ClueAction::parse(&e.action).ok()?;
                        let d: serde_json::Value = e
                            .detail
                            .as_deref()
                            .and_then(|s| serde_json::from_str(s).ok())
                            .unwrap_or_default();
                        let dept = name_of(detail_department(e.detail.as_deref()));
                        let (summary, description) = mapping::public_note(
                            action,
                            dept.as_deref().or(department.as_deref()),
                            d["days"].as_u64(),
                            d["finish_due"].as_str(),
                            d["result"].as_str(),
                        )?;
                        Some(Note {
                            datetime: beijing(e.at),
                            summary,
                            description,
                        })
                    })
                    .collect(),
            });
            Request {
                service_request_id: r.code.clone(),
                token: r.clue_id.to_string(),
                status,
                status_notes: mapping::status_note(
                    r.status,
                    department.as_deref(),
                    r.result.as_deref(),
                ),
                service_name: spec.name.to_string(),
                service_code: spec.code.to_string(),
                description: r.content.clone(),
                agency_responsible: department,
                service_notice: None,
                requested_datetime: beijing(r.received_at),
                updated_datetime: beijing(r.updated_at),
                expected_datetime: expected,
                address: r.address.clone(),
                lat: r.latitude,
                long: r.longitude,
                extended,
            }
        })
        .collect())
}

fn detail_department(detail: Option<&str>) -> Option<Uuid> {
    detail
        .and_then(|d| serde_json::from_str::<serde_json::Value>(d).ok())
        .and_then(|d| d["department_id"].as_str().and_then(|s| s.parse().ok()))
}

// ---- submitting ----

/// `POST requests` as the form carries it (text; parsed here). Personal data (`email`,
/// `phone`, names) goes to the clue's complainant fields and is never published.
#[derive(Debug, Clone, Default)]
pub struct PostRequest {
    pub api_key: Option<String>,
    pub jurisdiction_id: Option<String>,
    pub service_code: Option<String>,
    pub lat: Option<String>,
    pub long: Option<String>,
    pub address_string: Option<String>,
    pub address_id: Option<String>,
    pub email: Option<String>,
    pub device_id: Option<String>,
    pub account_id: Option<String>,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub phone: Option<String>,
    pub description: Option<String>,
    pub media_url: Option<String>,
    /// `attribute[code]=value`.
    pub attributes: BTreeMap<String, String>,
}

/// What `POST requests` answers: the request is registered while the client waits, so both
/// its id and a token are known at once.
#[derive(Debug, Clone)]
pub struct Created {
    pub service_request_id: String,
    pub token: String,
    pub service_notice: String,
}

/// Why a key is refused (the spec's 403).
fn bad_key(zh: &str, en: &str) -> ServiceError {
    ServiceError::refused(zh, en)
}

/// The key a client sent, if it is one we issued and still valid.
pub async fn key_of(svc: &Services, key: Option<&str>) -> Result<ApiKey> {
    let k = key
        .map(str::trim)
        .filter(|k| !k.is_empty())
        .ok_or_else(|| {
            bad_key(
                "缺少 api_key：提交诉求须使用平台发放的 API 密钥",
                "api_key was not provided; submitting requires a key issued by this platform",
            )
        })?;
    match repo::key_by_hash(svc.store.conn(), &secret_hash(k)).await? {
        Some(x) if x.revoked_at.is_none() => Ok(x),
        Some(_) => Err(bad_key("该 api_key 已被吊销", "api_key has been revoked")),
        None => Err(bad_key("api_key 无效", "api_key is invalid")),
    }
}

/// The actor a key submits as: an application of the complaint platform, registering clues
/// within the key's region (its scope), recorded in the audit log as `open311:<name>`.
fn key_actor(k: &ApiKey) -> Actor {
    Actor {
        user_id: Uuid::nil(),
        username: format!("open311:{}", k.name),
        display_name: format!("Open311 应用：{}", k.name),
        role: Role::CoordinationOffice,
        department_id: Uuid::nil(),
        department_line: String::new(),
        region: k.region_code.clone(),
        ip: None,
        context: None,
    }
}

fn opt(s: &Option<String>) -> Option<&str> {
    s.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

/// `POST requests`: registers the request as a clue (source `portal`, kind from the service)
/// in the key's region, synchronously. A missing or bad key is `Refused` (403); a jurisdiction
/// not found is `NotFound` (404); every bad field is reported at once (400).
pub async fn submit(svc: &Services, p: &PostRequest) -> Result<Created> {
    let key = key_of(svc, p.api_key.as_deref()).await?;
    let actor = key_actor(&key);
    let mut ch = Checker::default();
    // The region: the jurisdiction given (it must lie in the key's region), else the key's.
    let region = match opt(&p.jurisdiction_id) {
        None => key.region_code.clone(),
        Some(j) => {
            let r = RegionCode::parse(j).map_err(|_| ServiceError::NotFound)?;
            if lianjian_store::regions::get(svc.store.conn(), &r)
                .await?
                .is_none()
            {
                return Err(ServiceError::NotFound);
            }
            if !r.is_within(&key.region_code) {
                ch.push(
                    "jurisdiction_id",
                    Invalid::new(
                        "outside_scope",
                        format!(
                            "jurisdiction_id“{r}”不在该 api_key 的受理范围（{}）内",
                            key.region_code
                        ),
                        format!(
                            "jurisdiction_id {r} is outside this api_key's region {}",
                            key.region_code
                        ),
                    ),
                );
            }
            r
        }
    };
    let service = match opt(&p.service_code) {
        None => {
            ch.push(
                "service_code",
                Invalid::new(
                    "required",
                    "缺少 service_code",
                    "service_code was not provided",
                ),
            );
            None
        }
        Some(s) => match mapping::service(s) {
            Some(x) => Some(x),
            None => {
                ch.push(
                    "service_code",
                    Invalid::new(
                        "unknown_service",
                        format!("服务类型“{s}”不存在"),
                        format!("service_code '{s}' is not a service of this endpoint"),
                    ),
                );
                None
            }
        },
    };
    let number = |ch: &mut Checker, field: &str, v: &Option<String>| -> Option<f64> {
        let s = opt(v)?;
        match s.parse::<f64>() {
            Ok(x) if x.is_finite() => Some(x),
            _ => {
                ch.push(
                    field,
                    Invalid::new(
                        "number",
                        format!("{field}“{s}”不是数字"),
                        format!("{field} '{s}' is not a number"),
                    ),
                );
                None
            }
        }
    };
    let lat = number(&mut ch, "lat", &p.lat);
    let long = number(&mut ch, "long", &p.long);
    let bad_number =
        (opt(&p.lat).is_some() && lat.is_none()) || (opt(&p.long).is_some() && long.is_none());
    if !bad_number {
        match (lat, long) {
            (Some(a), Some(o))
                if !(-90.0..=90.0).contains(&a) || !(-180.0..=180.0).contains(&o) =>
            {
                ch.push(
                    "lat",
                    Invalid::new(
                        "position",
                        format!("位置坐标不正确（lat {a}，long {o}）"),
                        format!("lat {a} / long {o} is not a WGS84 position"),
                    ),
                )
            }
            (Some(_), None) | (None, Some(_)) => ch.push(
                "long",
                Invalid::new(
                    "position",
                    "lat 和 long 须同时提供",
                    "lat and long must be given together",
                ),
            ),
            _ => {}
        }
    }
    let address = match (opt(&p.address_string), opt(&p.address_id), lat.zip(long)) {
        (Some(a), _, _) => Some(a.to_string()),
        (None, Some(id), _) => Some(format!("地址编号 {id}")),
        (None, None, Some((a, o))) => Some(format!("坐标 {a:.6},{o:.6}")),
        (None, None, None) => {
            if !bad_number {
                ch.push(
                    "address_string",
                    Invalid::new(
                        "location_required",
                        "须提供位置：lat 和 long，或 address_string，或 address_id",
                        "a location is required: lat and long, address_string or address_id",
                    ),
                );
            }
            None
        }
    };
    if let Some(e) = opt(&p.email)
        && (e.len() > 254 || !e.contains('@') || e.starts_with('@') || e.ends_with('@'))
    {
        ch.push(
            "email",
            Invalid::new(
                "email",
                format!("电子邮箱“{e}”不正确"),
                format!("email '{e}' is not an e-mail address"),
            ),
        );
    }
    let known: Vec<&str> = attributes().iter().map(|a| a.code).collect();
    for k in p.attributes.keys() {
        if !known.contains(&k.as_str()) {
            ch.push(
                &format!("attribute[{k}]"),
                Invalid::new(
                    "unknown_attribute",
                    format!("属性“{k}”不存在（可用：{}）", known.join("、")),
                    format!(
                        "attribute '{k}' is not defined; defined: {}",
                        known.join(", ")
                    ),
                ),
            );
        }
    }
    let anonymous = match p.attributes.get("anonymous").map(|s| s.trim()) {
        None | Some("") | Some("false") => false,
        Some("true") => true,
        Some(v) => {
            ch.push(
                "attribute[anonymous]",
                Invalid::new(
                    "value",
                    format!("anonymous“{v}”应为 true 或 false"),
                    format!("attribute[anonymous] '{v}' is not one of: true, false"),
                ),
            );
            false
        }
    };
    // Names as the client sends them; Chinese names read 姓 then 名.
    let name = match (opt(&p.first_name), opt(&p.last_name)) {
        (None, None) => None,
        (Some(f), None) => Some(f.to_string()),
        (None, Some(l)) => Some(l.to_string()),
        (Some(f), Some(l)) if f.is_ascii() && l.is_ascii() => Some(format!("{f} {l}")),
        (Some(f), Some(l)) => Some(format!("{l}{f}")),
    };
    let mut content = opt(&p.description).unwrap_or_default().to_string();
    if let Some(n) = p
        .attributes
        .get("entity_name")
        .map(|s| s.trim())
        .filter(|s| !s.is_empty())
    {
        content = format!("{content}（涉及主体：{n}）");
    }
    if content.trim().is_empty() {
        ch.push(
            "description",
            Invalid::new(
                "required",
                "缺少 description（诉求内容）",
                "description was not provided",
            ),
        );
    }
    ch.finish()?;
    let service = service.expect("checked");
    let input = super::ClueInput {
        source: lianjian_domain::clue::ClueSource::Portal.as_str().into(),
        kind: service.kind.as_str().into(),
        urgency: None,
        content,
        address: address.expect("checked"),
        region_code: region.to_string(),
        latitude: lat,
        longitude: long,
        entity_usci: p.attributes.get("entity_usci").cloned(),
        item_ids: vec![],
        complainant_name: name,
        complainant_phone: opt(&p.phone).map(str::to_string),
        anonymous,
        external_no: None,
        received_at: None,
    };
    let key_id = key.id;
    let code = service.code;
    let clue = super::register_with(
        svc,
        &actor,
        &input,
        super::Intake::default(),
        move |tx, x| async move {
            repo::insert_request(&tx, x.id, key_id, code).await?;
            Ok(tx)
        },
    )
    .await
    .map_err(|e| match e {
        // The clue's own field names, as the standard names them.
        ServiceError::Invalid(fields) => ServiceError::Invalid(
            fields
                .into_iter()
                .map(|mut f| {
                    f.field = match f.field.as_str() {
                        "content" => "description".into(),
                        "address" => "address_string".into(),
                        "latitude" => "lat".into(),
                        "region_code" => "jurisdiction_id".into(),
                        "entity_usci" => "attribute[entity_usci]".into(),
                        "complainant_name" => "first_name".into(),
                        "complainant_phone" => "phone".into(),
                        _ => f.field,
                    };
                    f
                })
                .collect(),
        ),
        e => e,
    })?;
    Ok(Created {
        service_request_id: clue.code.clone(),
        token: clue.id.to_string(),
        service_notice: format!(
            "已登记为问题线索 {}，联席办将分派承办部门办理；可凭编号查询办理进度",
            clue.code
        ),
    })
}

// ---- keys (operator's CLI) ----

/// A key as listed (never the key itself).
pub type KeyInfo = ApiKey;

/// Creates a key for an application submitting within `region`; returns it with the key,
/// which is shown this once and stored only as its hash.
pub async fn create_key(
    svc: &Services,
    a: &Actor,
    name: &str,
    region: &str,
) -> Result<(ApiKey, String)> {
    if a.role != Role::SystemAdmin {
        return Err(ServiceError::Forbidden);
    }
    let mut ch = Checker::default();
    let name = ch.check(
        "name",
        lianjian_domain::error::bounded_text(name, 1, 40, "应用名称", "name"),
    );
    let region = match RegionCode::parse(region) {
        Err(e) => {
            ch.push("region", e);
            None
        }
        Ok(r) => {
            if lianjian_store::regions::get(svc.store.conn(), &r)
                .await?
                .is_none()
            {
                return Err(crate::regions::unknown_region("region", &r));
            } else {
                Some(r)
            }
        }
    };
    ch.finish()?;
    let mut b = [0u8; 24];
    rand::RngCore::fill_bytes(&mut rand::rng(), &mut b);
    let secret = format!("o311_{}", hex::encode(b));
    let k = ApiKey {
        id: Uuid::now_v7(),
        name: name.expect("checked"),
        key_hash: secret_hash(&secret),
        region_code: region.expect("checked"),
        created_by: a.username.clone(),
        created_at: lianjian_domain::audit::audit_time(svc.now()),
        revoked_at: None,
    };
    let tx = svc.store.begin().await?;
    repo::insert_key(&tx, &k).await?;
    crate::trail::record(
        &tx,
        a,
        crate::trail::Record::new("open311.key_create", "open311_key", k.id)
            .at(&k.region_code, None)
            .after(&serde_json::json!({ "name": k.name, "region": k.region_code.to_string() })),
    )
    .await?;
    tx.commit().await?;
    Ok((k, secret))
}

/// Every key, newest first.
pub async fn keys(svc: &Services, a: &Actor) -> Result<Vec<KeyInfo>> {
    if a.role != Role::SystemAdmin {
        return Err(ServiceError::Forbidden);
    }
    Ok(repo::keys(svc.store.conn()).await?)
}

/// Revokes a key by its id; requests it submitted stay.
pub async fn revoke_key(svc: &Services, a: &Actor, id: &str) -> Result<()> {
    if a.role != Role::SystemAdmin {
        return Err(ServiceError::Forbidden);
    }
    let id: Uuid = id.trim().parse().map_err(|_| {
        ServiceError::field("id", Invalid::new("uuid", "密钥编号不正确", "not a key id"))
    })?;
    let tx = svc.store.begin().await?;
    if !repo::revoke_key(&tx, id, lianjian_domain::audit::audit_time(svc.now())).await? {
        return Err(ServiceError::NotFound);
    }
    crate::trail::record(
        &tx,
        a,
        crate::trail::Record::new("open311.key_revoke", "open311_key", id),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}
