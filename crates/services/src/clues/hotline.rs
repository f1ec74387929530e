//! The 12345 interface (issue 14 item 5): a 12345 platform pushes work orders (工单), each
//! registered as a clue through [`super::register_with`] (source `hotline_12345`, the work-order
//! number as `external_no`), and reads the steps taken on them back — a pull feed over
//! `case_events` and, optionally, webhooks with retries.
//!
//! - **Who pushes**: an account of the coordination office (联席办) of the county, or the
//!   system administrator ([`may_push`]) — the office takes the calls and dispatches them; its
//!   scope is the county, so an order for a region or an entity outside it is refused (422).
//! - **Idempotent on the work-order number**: the same order pushed again answers the clue it
//!   made (nothing new stored, no second event); the same number with other content is a 409.
//!   The unique index on `clues.external_no` decides between concurrent pushes; the loser
//!   reads the winner's clue and compares.
//! - **Events back** ([`FEED`]): sign, return, extension request and decision, finish; one
//!   table from case-event actions to 12345 event types, extended as the workflow grows. The
//!   complainant's data is never in an event.

use chrono::{DateTime, Duration, NaiveDate, NaiveDateTime, TimeZone, Utc};
use hmac::{Hmac, Mac};
use lianjian_domain::Invalid;
use lianjian_domain::account::Role;
use lianjian_domain::case::CaseKind;
use lianjian_domain::clue::{self as rules, ClueSource};
use lianjian_domain::error::bounded_text;
use lianjian_domain::scope::{Actor, Scope};
use lianjian_store::clues as repo;
use lianjian_store::hotline::{self as store, FeedRow, Subscription};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use super::ClueInput;
use crate::error::{Checker, FieldError};
use crate::{Result, ServiceError, Services};

/// Who may push work orders, read the feed and keep webhooks: the coordination office (its
/// county by its scope) and the system administrator.
pub fn may_push(a: &Actor) -> bool {
    matches!(a.role, Role::SystemAdmin | Role::CoordinationOffice)
}

// ---- intake ----

/// A 12345 work order (工单) as the platform pushes it. Text as the platform sends it; every
/// field is parsed and every bad one named at once (422), nothing stored.
#[derive(Debug, Clone, Default, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "order_no": "12345-2026-1207-0001",
    "called_at": "2026-12-07 09:30:00",
    "caller_name": "张三",
    "caller_phone": "13800138000",
    "kind": "投诉",
    "content": "舞阳县城关镇某药店销售过期药品，请核查处理",
    "address": "舞阳县城关镇人民路 12 号",
    "region_code": "411121",
    "entity": "舞阳县某大药房",
    "urgency": "紧急",
    "deadline_days": 5,
    "dispatching_unit": "漯河市 12345 政务服务便民热线"
}))]
pub struct HotlineOrder {
    /// 工单编号: the platform's work-order number, 1–64 printable ASCII characters; the key
    /// of idempotency.
    pub order_no: String,
    /// 来电时间: RFC 3339 (`2026-12-07T09:30:00+08:00`) or Beijing time as
    /// `2026-12-07 09:30:00`.
    pub called_at: String,
    /// 诉求人 (personal data: shown only to handling staff).
    #[serde(default)]
    pub caller_name: Option<String>,
    /// 联系电话 (personal data): a mobile number or a landline with its area code.
    #[serde(default)]
    pub caller_phone: Option<String>,
    /// 是否保密: the caller asked that the handling department not learn who they are.
    #[serde(default)]
    pub anonymous: bool,
    /// 诉求类型: 投诉, 举报, 咨询, 求助, 建议 (or `complaint`, `report`, `inquiry`, `help`,
    /// `suggestion`).
    pub kind: String,
    /// 诉求内容: 5–4,000 characters.
    pub content: String,
    /// 事发地址.
    pub address: String,
    /// 事发地行政区划 (GB/T 2260), inside the caller's county.
    pub region_code: String,
    /// 涉及主体: a unified social credit code, or a name matched in the directory of the
    /// caller's county (a name with several matches, or none, is kept unmatched and noted).
    #[serde(default)]
    pub entity: Option<String>,
    /// 紧急程度: 一般 (default), 紧急, 特急.
    #[serde(default)]
    pub urgency: Option<String>,
    /// 办理时限 in working days (1–60); or give `deadline_date`.
    #[serde(default)]
    pub deadline_days: Option<i64>,
    /// 办理时限 as a date (`2026-12-14`), not before the call.
    #[serde(default)]
    pub deadline_date: Option<String>,
    /// 派单单位: the unit of the 12345 platform that dispatched the order.
    #[serde(default)]
    pub dispatching_unit: Option<String>,
}

/// What a push answers: the clue the work order is (new or already registered).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct HotlineReceipt {
    pub order_no: String,
    pub clue_id: Uuid,
    /// The clue's code (`XS-411121-2026-00001`).
    pub code: String,
    pub status: lianjian_domain::clue::ClueStatus,
    /// False when the order had been pushed before (nothing new stored).
    pub created: bool,
}

/// The longest 办理时限 a work order may carry, in working days.
pub const MAX_DEADLINE_DAYS: i64 = 60;

/// Field names of [`ClueInput`] as a work order names them.
const RENAMED: &[(&str, &str)] = &[
    ("external_no", "order_no"),
    ("received_at", "called_at"),
    ("complainant_name", "caller_name"),
    ("complainant_phone", "caller_phone"),
    ("entity_usci", "entity"),
];

fn renamed(mut errs: Vec<FieldError>) -> Vec<FieldError> {
    for e in &mut errs {
        if let Some((_, to)) = RENAMED.iter().find(|(from, _)| *from == e.field) {
            e.field = (*to).to_string();
        }
    }
    errs
}

/// `called_at` as RFC 3339: RFC 3339 as given, or a Beijing wall-clock time.
fn called_at(s: &str) -> std::result::Result<DateTime<Utc>, Invalid> {
    let t = s.trim();
    if let Ok(x) = DateTime::parse_from_rfc3339(t) {
        return Ok(x.with_timezone(&Utc));
    }
    let beijing = chrono::FixedOffset::east_opt(8 * 3600).expect("valid offset");
    for f in ["%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y/%m/%d %H:%M:%S"] {
        if let Ok(n) = NaiveDateTime::parse_from_str(t, f)
            && let Some(x) = beijing.from_local_datetime(&n).single()
        {
            return Ok(x.with_timezone(&Utc));
        }
    }
    Err(Invalid::new(
        "datetime",
        format!("来电时间“{t}”不正确，应为 2026-12-07 09:30:00 或 2026-12-07T09:30:00+08:00"),
        format!("called_at '{t}' is neither RFC 3339 nor 'YYYY-MM-DD HH:MM:SS' Beijing time"),
    ))
}

/// The order's 办理时限 as recorded: working days or a date (not both).
#[derive(Debug, Clone, PartialEq)]
enum Deadline {
    Days(i64),
    Date(NaiveDate),
}

fn deadline(o: &HotlineOrder, called: Option<DateTime<Utc>>, ch: &mut Checker) -> Option<Deadline> {
    let date = o
        .deadline_date
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty());
    match (o.deadline_days, date) {
        (None, None) => None,
        (Some(_), Some(_)) => {
            ch.push(
                "deadline_days",
                Invalid::new(
                    "ambiguous",
                    "办理时限请只填工作日数或截止日期之一",
                    "give deadline_days or deadline_date, not both",
                ),
            );
            None
        }
        (Some(n), None) if (1..=MAX_DEADLINE_DAYS).contains(&n) => Some(Deadline::Days(n)),
        (Some(n), None) => {
            ch.push(
                "deadline_days",
                Invalid::new(
                    "out_of_range",
                    format!("办理时限应为 1 至 {MAX_DEADLINE_DAYS} 个工作日（填写的是 {n}）"),
                    format!("deadline_days must be 1 to {MAX_DEADLINE_DAYS} (got {n})"),
                ),
            );
            None
        }
        (None, Some(s)) => match NaiveDate::parse_from_str(s, "%Y-%m-%d") {
            Ok(d) if called.is_some_and(|c| d < lianjian_domain::visit::beijing_date(c)) => {
                ch.push(
                    "deadline_date",
                    Invalid::new(
                        "before_call",
                        format!("办理时限 {d} 早于来电日期"),
                        format!("deadline_date {d} is before the call"),
                    ),
                );
                None
            }
            Ok(d) => Some(Deadline::Date(d)),
            Err(_) => {
                ch.push(
                    "deadline_date",
                    Invalid::new(
                        "date",
                        format!("办理时限“{s}”不正确，应为 2026-12-14 这样的日期"),
                        format!("deadline_date '{s}' is not a YYYY-MM-DD date"),
                    ),
                );
                None
            }
        },
    }
}

/// A digest of what the order says besides the caller's data (compared with the caller's
/// name and phone on the clue itself, so no hash of personal data is stored).
fn digest(o: &HotlineOrder) -> String {
    let t = |s: &Option<String>| s.as_deref().map(str::trim).unwrap_or_default().to_string();
    let canonical = serde_json::json!([
        o.order_no.trim(),
        o.called_at.trim(),
        o.anonymous,
        o.kind.trim(),
        o.content.trim(),
        o.address.trim(),
        o.region_code.trim(),
        t(&o.entity),
        t(&o.urgency),
        o.deadline_days,
        t(&o.deadline_date),
        t(&o.dispatching_unit),
    ]);
    hex::encode(Sha256::digest(canonical.to_string().as_bytes()))
}

/// Whether the stored clue `id` is the order `o` (same digest, same caller).
async fn same_order(svc: &Services, id: Uuid, o: &HotlineOrder) -> Result<bool> {
    let c = svc.store.conn();
    let Some(x) = repo::get(c, id).await? else {
        return Ok(false);
    };
    let stored = crate::cases::timeline(c, CaseKind::Clue, id)
        .await?
        .into_iter()
        .find(|e| e.action == "register")
        .and_then(|e| e.detail)
        .and_then(|d| serde_json::from_str::<serde_json::Value>(&d).ok())
        .and_then(|d| d["hotline"]["digest"].as_str().map(str::to_string));
    let name = rules::complainant_name(o.caller_name.as_deref().unwrap_or_default()).ok();
    let phone = rules::phone(o.caller_phone.as_deref().unwrap_or_default()).ok();
    Ok(stored.as_deref() == Some(digest(o).as_str())
        && name == Some(x.complainant_name.clone())
        && phone == Some(x.complainant_phone.clone()))
}

/// The answer to an order whose number is registered already: the clue if it is this order
/// and the caller sees it, else a 409.
async fn existing(svc: &Services, a: &Actor, no: &str, o: &HotlineOrder) -> Result<HotlineReceipt> {
    let c = svc.store.conn();
    let x = repo::by_external_no(c, no).await?.ok_or_else(|| {
        ServiceError::internal(lianjian_store::StoreError::Corrupt(format!(
            "order {no} reported as registered but absent"
        )))
    })?;
    let visible = repo::get_scoped(c, &Scope::of(a), x.id).await?.is_some();
    if x.source != ClueSource::Hotline12345 || !visible || !same_order(svc, x.id, o).await? {
        return Err(ServiceError::conflict(
            "order_no",
            format!(
                "工单编号 {no} 已登记为另一条内容不同的线索（{}），请核对工单编号",
                if visible {
                    x.code.as_str()
                } else {
                    "不在您的辖区"
                }
            ),
            format!(
                "work order {no} is already registered with different content; check the order number"
            ),
        ));
    }
    Ok(HotlineReceipt {
        order_no: no.to_string(),
        clue_id: x.id,
        code: x.code,
        status: x.status,
        created: false,
    })
}

/// Registers a pushed work order as a clue, or answers the clue it already is.
pub async fn push(svc: &Services, a: &Actor, o: &HotlineOrder) -> Result<HotlineReceipt> {
    if !may_push(a) {
        return Err(ServiceError::Forbidden);
    }
    let c = svc.store.conn();
    let mut ch = Checker::default();
    let no = match rules::external_no(&o.order_no) {
        Ok(Some(n)) => Some(n),
        Ok(None) => {
            ch.push(
                "order_no",
                Invalid::new("required", "请填写工单编号", "order_no is required"),
            );
            None
        }
        Err(e) => {
            ch.push("order_no", e);
            None
        }
    };
    if let Some(no) = &no
        && repo::by_external_no(c, no).await?.is_some()
    {
        return existing(svc, a, no, o).await;
    }
    let called = if o.called_at.trim().is_empty() {
        ch.push(
            "called_at",
            Invalid::new("required", "请填写来电时间", "called_at is required"),
        );
        None
    } else {
        ch.check("called_at", called_at(&o.called_at))
    };
    let deadline = deadline(o, called, &mut ch);
    let unit = match o
        .dispatching_unit
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        None => None,
        Some(s) => ch.check(
            "dispatching_unit",
            bounded_text(s, 2, 100, "派单单位", "dispatching unit"),
        ),
    };
    // 涉及主体: a credit code goes to the register's directory check; a name is matched here.
    let mut entity_usci = None;
    let mut entity_note: Option<&str> = None;
    let given = o.entity.as_deref().map(str::trim).filter(|s| !s.is_empty());
    if let Some(s) = given {
        let looks_like_code = s.len() == 18 && s.chars().all(|c| c.is_ascii_alphanumeric());
        if looks_like_code {
            entity_usci = Some(s.to_string());
        } else {
            let region = a.full_scope().region;
            let found = lianjian_store::entities::by_name(c, s, 50).await?;
            let inside: Vec<_> = found
                .iter()
                .filter(|e| region.as_ref().is_none_or(|r| e.region_code.is_within(r)))
                .collect();
            match inside.as_slice() {
                [one] => entity_usci = Some(one.usci.clone()),
                [] if !found.is_empty() => ch.push(
                    "entity",
                    Invalid::new(
                        "outside_scope",
                        format!("涉及主体“{s}”不在您的辖区"),
                        format!("entity '{s}' lies outside your region"),
                    ),
                ),
                [] => entity_note = Some("not_in_directory"),
                _ => entity_note = Some("several_matches"),
            }
        }
    }
    let input = ClueInput {
        source: ClueSource::Hotline12345.as_str().into(),
        kind: o.kind.clone(),
        urgency: o.urgency.clone(),
        content: o.content.clone(),
        address: o.address.clone(),
        region_code: o.region_code.clone(),
        latitude: None,
        longitude: None,
        entity_usci,
        item_ids: Vec::new(),
        complainant_name: o.caller_name.clone(),
        complainant_phone: o.caller_phone.clone(),
        anonymous: o.anonymous,
        // An empty reference when the number is bad: the register then names only the others.
        external_no: no.clone(),
        received_at: called.map(|t| t.to_rfc3339()),
    };
    let mut hotline = serde_json::json!({
        "order_no": no,
        "called_at": called,
        "dispatching_unit": unit,
        "digest": digest(o),
    });
    match &deadline {
        Some(Deadline::Days(n)) => hotline["deadline_days"] = (*n).into(),
        Some(Deadline::Date(d)) => hotline["deadline_date"] = d.to_string().into(),
        None => {}
    }
    if let (Some(s), Some(note)) = (given, entity_note) {
        hotline["entity_given"] = s.into();
        hotline["entity_note"] = note.into();
    }
    let mut extra = serde_json::Map::new();
    extra.insert("hotline".into(), hotline);
    let early = ch.into_errors();
    match super::register_with(
        svc,
        a,
        &input,
        super::Intake {
            extra,
            earlier: early,
        },
        |tx, _| async move { Ok(tx) },
    )
    .await
    {
        Ok(x) => Ok(HotlineReceipt {
            order_no: no.unwrap_or_default(),
            clue_id: x.id,
            code: x.code,
            status: x.status,
            created: true,
        }),
        Err(ServiceError::Invalid(errs)) => {
            // Another push of the same number won the unique index meanwhile.
            if let Some(no) = &no
                && errs.len() == 1
                && errs[0].field == "external_no"
                && errs[0].code == "duplicate"
            {
                return existing(svc, a, no, o).await;
            }
            Err(ServiceError::Invalid(renamed(errs)))
        }
        Err(e) => Err(e),
    }
}

// ---- events back ----

/// One row of the mapping from case-event actions to the events a 12345 platform receives.
#[derive(Debug, Clone, Copy)]
pub struct FeedEvent {
    /// The clue step (`case_events.action`).
    pub action: &'static str,
    /// The event type the platform reads.
    pub event: &'static str,
    pub label_zh: &'static str,
}

/// What the platform is told, in one place: add a row when the workflow gains a step the
/// platform must hear of (回访、评价 when those steps exist).
pub const FEED: &[FeedEvent] = &[
    FeedEvent {
        action: "sign",
        event: "signed",
        label_zh: "签收",
    },
    FeedEvent {
        action: "return",
        event: "returned",
        label_zh: "退回",
    },
    FeedEvent {
        action: "request_extension",
        event: "extension_requested",
        label_zh: "申请延期",
    },
    FeedEvent {
        action: "approve_extension",
        event: "extension_approved",
        label_zh: "延期已批准",
    },
    FeedEvent {
        action: "refuse_extension",
        event: "extension_refused",
        label_zh: "延期未批准",
    },
    FeedEvent {
        action: "finish",
        event: "finished",
        label_zh: "办结",
    },
    FeedEvent {
        action: "revisit",
        event: "revisited",
        label_zh: "回访",
    },
];

/// How long an event must be old before the feed lists it: ids are UUIDv7 taken before the
/// commit, so on PostgreSQL a slower transaction may commit an earlier id after a later one;
/// waiting this long keeps a cursor from skipping it.
pub const SETTLE: Duration = Duration::milliseconds(1000);

/// One event back to the platform. Never the caller's data.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct HotlineEvent {
    /// The event's id (UUIDv7, increasing): the cursor, and the key to drop duplicates of an
    /// at-least-once webhook delivery.
    pub id: Uuid,
    pub order_no: String,
    pub clue_code: String,
    /// `signed`, `returned`, `extension_requested`, `extension_approved`, `extension_refused`,
    /// `finished`, `revisited`.
    pub event: String,
    pub label: String,
    pub at: DateTime<Utc>,
    /// The department that took the step.
    pub unit: Option<String>,
    /// 退回、延期 reasons.
    pub reason: Option<String>,
    /// 办理结果 of a finish.
    pub result: Option<String>,
    /// Working days asked or granted (extensions).
    pub days: Option<u64>,
    /// The finishing deadline after an approved extension.
    pub finish_due: Option<String>,
}

/// A page of the feed.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct HotlineFeed {
    pub events: Vec<HotlineEvent>,
    /// Pass as `after` for the next page (the last event's id; the given cursor when empty).
    pub cursor: Option<Uuid>,
}

pub const MAX_FEED_LIMIT: u64 = 500;

async fn events_for(
    svc: &Services,
    a: &Actor,
    after: Option<Uuid>,
    limit: u64,
) -> Result<Vec<HotlineEvent>> {
    let c = svc.store.conn();
    let actions: Vec<&str> = FEED.iter().map(|f| f.action).collect();
    let before = lianjian_domain::audit::audit_time(Utc::now()) - SETTLE;
    let rows: Vec<FeedRow> = store::feed(c, &Scope::of(a), &actions, after, before, limit).await?;
    let mut ids: Vec<Uuid> = rows
        .iter()
        .filter_map(|r| r.event.actor_department_id)
        .collect();
    ids.sort();
    ids.dedup();
    let units = lianjian_store::departments::by_ids(c, &ids).await?;
    Ok(rows
        .into_iter()
        .filter_map(|r| {
            let f = FEED.iter().find(|f| f.action == r.event.action)?;
            let d: serde_json::Value = r
                .event
                .detail
                .as_deref()
                .and_then(|d| serde_json::from_str(d).ok())
                .unwrap_or_default();
            Some(HotlineEvent {
                id: r.event.id,
                order_no: r.order_no,
                clue_code: r.code,
                event: f.event.into(),
                label: f.label_zh.into(),
                at: r.event.at,
                unit: r
                    .event
                    .actor_department_id
                    .and_then(|u| units.get(&u))
                    .map(|u| u.name.clone()),
                reason: r.event.reason,
                result: d["result"].as_str().map(str::to_string),
                days: d["days"].as_u64(),
                finish_due: d["finish_due"].as_str().map(str::to_string),
            })
        })
        .collect())
}

/// The events of the work orders in the caller's scope after `after`, oldest first, at most
/// `limit` (1–500, default 100).
pub async fn feed(
    svc: &Services,
    a: &Actor,
    after: Option<&str>,
    limit: Option<i64>,
) -> Result<HotlineFeed> {
    if !may_push(a) {
        return Err(ServiceError::Forbidden);
    }
    let mut ch = Checker::default();
    let after = match after.map(str::trim).filter(|s| !s.is_empty()) {
        None => None,
        Some(s) => ch.check(
            "after",
            s.parse::<Uuid>().map_err(|_| {
                Invalid::new(
                    "cursor",
                    format!("游标“{s}”不正确"),
                    format!("'{s}' is not a cursor"),
                )
            }),
        ),
    };
    let limit = match limit {
        None => Some(100),
        Some(n) if (1..=MAX_FEED_LIMIT as i64).contains(&n) => Some(n as u64),
        Some(n) => {
            ch.push(
                "limit",
                Invalid::new(
                    "out_of_range",
                    format!("limit 应为 1 至 {MAX_FEED_LIMIT}（填写的是 {n}）"),
                    format!("limit must be 1 to {MAX_FEED_LIMIT} (got {n})"),
                ),
            );
            None
        }
    };
    ch.finish()?;
    let events = events_for(svc, a, after, limit.expect("checked")).await?;
    Ok(HotlineFeed {
        cursor: events.last().map(|e| e.id).or(after),
        events,
    })
}

// ---- webhooks ----

/// A webhook subscription as its owner reads it (the secret is shown only when created).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct HotlineSubscriptionView {
    pub id: Uuid,
    pub url: String,
    pub region_code: String,
    /// The last event delivered (the delivery cursor).
    pub cursor: Option<Uuid>,
    /// Failed attempts since the last success.
    pub attempts: i32,
    pub last_error: Option<String>,
    pub next_attempt_at: Option<DateTime<Utc>>,
    pub last_delivered_at: Option<DateTime<Utc>>,
    /// Events delivered in all.
    pub delivered: i64,
    pub created_at: DateTime<Utc>,
    /// Only in the answer to the creation: the HMAC-SHA256 key of `X-Lianjian-Signature`.
    pub secret: Option<String>,
}

fn sub_view(s: &Subscription, with_secret: bool) -> HotlineSubscriptionView {
    HotlineSubscriptionView {
        id: s.id,
        url: s.url.clone(),
        region_code: s.region_code.clone(),
        cursor: s.cursor,
        attempts: s.attempts,
        last_error: s.last_error.clone(),
        next_attempt_at: s.next_attempt_at,
        last_delivered_at: s.last_delivered_at,
        delivered: s.delivered,
        created_at: s.created_at,
        secret: with_secret.then(|| s.secret.clone()),
    }
}

/// A new webhook: where to POST. The secret is generated unless given (16–128 characters).
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct HotlineSubscriptionInput {
    /// `http://…`: deliveries are plain HTTP (inside the government network, or to a
    /// TLS-terminating proxy in front of an https receiver).
    pub url: String,
    #[serde(default)]
    pub secret: Option<String>,
    /// Deliver from events after this cursor (default: from now on).
    #[serde(default)]
    pub after: Option<Uuid>,
}

fn url(s: &str) -> std::result::Result<String, Invalid> {
    let t = s.trim();
    let ok = t.starts_with("http://")
        && t.len() <= 500
        && t.len() > "http://x".len()
        && !t.chars().any(|c| c.is_whitespace() || c.is_control());
    if ok {
        Ok(t.to_string())
    } else {
        Err(Invalid::new(
            "url",
            format!(
                "回调地址“{t}”不正确，应为 http:// 开头的网址（本系统不直接发起 HTTPS，请经政务网内的 TLS 代理转发）"
            ),
            format!(
                "'{t}' is not an http:// URL (deliveries are plain HTTP; reach an https receiver through a TLS-terminating proxy)"
            ),
        ))
    }
}

/// Creates a webhook for the caller's scope (the caller's region; events are those the
/// caller's account may read, checked again at each delivery).
pub async fn subscribe(
    svc: &Services,
    a: &Actor,
    input: &HotlineSubscriptionInput,
) -> Result<HotlineSubscriptionView> {
    if !may_push(a) {
        return Err(ServiceError::Forbidden);
    }
    let mut ch = Checker::default();
    let u = ch.check("url", url(&input.url));
    let secret = match input
        .secret
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        None => {
            Some(hex::encode(Uuid::new_v4().as_bytes()) + &hex::encode(Uuid::new_v4().as_bytes()))
        }
        Some(s) if (16..=128).contains(&s.len()) && s.chars().all(|c| c.is_ascii_graphic()) => {
            Some(s.to_string())
        }
        Some(_) => {
            ch.push(
                "secret",
                Invalid::new(
                    "secret",
                    "签名密钥应为 16 至 128 个字母、数字或符号",
                    "the secret must be 16–128 printable ASCII characters",
                ),
            );
            None
        }
    };
    ch.finish()?;
    let now = lianjian_domain::audit::audit_time(svc.now());
    // From now on unless a cursor is given: the newest event so far.
    let cursor = match input.after {
        Some(c) => Some(c),
        None => store::last_event_id(svc.store.conn()).await?,
    };
    let s = Subscription {
        id: Uuid::now_v7(),
        user_id: a.user_id,
        username: a.username.clone(),
        region_code: a.region.to_string(),
        url: u.expect("checked"),
        secret: secret.expect("checked"),
        cursor,
        attempts: 0,
        last_error: None,
        next_attempt_at: None,
        last_delivered_at: None,
        delivered: 0,
        created_at: now,
    };
    let tx = svc.store.begin().await?;
    store::insert_subscription(&tx, &s).await?;
    crate::trail::record(
        &tx,
        a,
        crate::trail::Record::new("hotline.subscribe", "hotline_subscription", s.id)
            .at(&s.region_code, None)
            .after(&serde_json::json!({ "url": s.url })),
    )
    .await?;
    tx.commit().await?;
    Ok(sub_view(&s, true))
}

/// The caller's webhooks with their delivery state.
pub async fn subscriptions(svc: &Services, a: &Actor) -> Result<Vec<HotlineSubscriptionView>> {
    if !may_push(a) {
        return Err(ServiceError::Forbidden);
    }
    Ok(store::subscriptions_of(svc.store.conn(), a.user_id)
        .await?
        .iter()
        .map(|s| sub_view(s, false))
        .collect())
}

/// Deletes one of the caller's webhooks (another's is absent: 404).
pub async fn unsubscribe(svc: &Services, a: &Actor, id: Uuid) -> Result<()> {
    if !may_push(a) {
        return Err(ServiceError::Forbidden);
    }
    let tx = svc.store.begin().await?;
    if !store::delete_subscription(&tx, id, a.user_id).await? {
        return Err(ServiceError::NotFound);
    }
    crate::trail::record(
        &tx,
        a,
        crate::trail::Record::new("hotline.unsubscribe", "hotline_subscription", id)
            .at(a.region.as_str(), None),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// The signature header a delivery carries: `sha256=<hex HMAC-SHA256 of the body>` keyed with
/// the subscription's secret.
pub const SIGNATURE_HEADER: &str = "X-Lianjian-Signature";

pub fn sign(secret: &str, body: &[u8]) -> String {
    let mut m = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("any key length");
    m.update(body);
    format!("sha256={}", hex::encode(m.finalize().into_bytes()))
}

/// One delivery to make: the body (a JSON [`HotlineFeed`]) and its signature.
pub struct Delivery {
    pub url: String,
    pub body: Vec<u8>,
    pub signature: String,
}

/// The backoff after `attempts` failures in a row: 2, 4, 8 … seconds, at most an hour.
pub fn backoff(attempts: i32) -> Duration {
    let secs = 1i64 << attempts.clamp(1, 12);
    Duration::seconds(secs.min(3600))
}

/// One pass over the webhooks due now: for each, the next events after its cursor (at most
/// 100, as its owner's account may read them), POSTed by `post` (which answers the HTTP status
/// or why it failed). A 2xx moves the cursor; anything else counts an attempt and sets the
/// next one by [`backoff`]. At least once: a delivery whose answer is lost is sent again, the
/// event ids tell the receiver it has them. Returns how many events were delivered.
pub async fn deliver_due<F, Fut>(svc: &Services, post: F) -> Result<usize>
where
    F: Fn(Delivery) -> Fut,
    Fut: std::future::Future<Output = std::result::Result<u16, String>>,
{
    let now = Utc::now();
    let mut n = 0;
    for s in store::due_subscriptions(svc.store.conn(), now).await? {
        let active = lianjian_store::accounts::get_user(svc.store.conn(), s.user_id)
            .await?
            .is_some_and(|u| u.status == lianjian_store::accounts::UserStatus::Active);
        let owner = match crate::accounts::actor_of_user(svc, &s.username).await {
            Ok(a) if active && may_push(&a) && a.user_id == s.user_id => a,
            _ => {
                store::record_failure(
                    svc.store.conn(),
                    s.id,
                    "the owner's account is disabled or may no longer receive 12345 events",
                    now + Duration::hours(1),
                )
                .await?;
                continue;
            }
        };
        let events = events_for(svc, &owner, s.cursor, 100).await?;
        let Some(last) = events.last().map(|e| e.id) else {
            continue;
        };
        let count = events.len();
        let body = serde_json::to_vec(&HotlineFeed {
            events,
            cursor: Some(last),
        })
        .map_err(|e| ServiceError::internal(lianjian_store::StoreError::Corrupt(e.to_string())))?;
        let signature = sign(&s.secret, &body);
        let answer = post(Delivery {
            url: s.url.clone(),
            body,
            signature,
        })
        .await;
        let c = svc.store.conn();
        match answer {
            Ok(code) if (200..300).contains(&code) => {
                store::record_success(c, s.id, last, count as i64, Utc::now()).await?;
                n += count;
            }
            Ok(code) => {
                store::record_failure(
                    c,
                    s.id,
                    &format!("HTTP {code}"),
                    Utc::now() + backoff(s.attempts + 1),
                )
                .await?;
            }
            Err(e) => {
                store::record_failure(c, s.id, &e, Utc::now() + backoff(s.attempts + 1)).await?;
            }
        }
    }
    Ok(n)
}

/// The 办理时限 a 12345 work order carried (kept in its registration event), as working days
/// from `on`, the day the clue is dispatched: the order's finishing deadline overrides the
/// office's rule for that clue. `None` for other clues and orders without one.
pub(crate) async fn order_finish_days(
    c: &impl lianjian_store::Conn,
    x: &lianjian_store::clues::Clue,
    cal: &lianjian_domain::calendar::WorkingDayCalendar,
    on: NaiveDate,
) -> Result<Option<u32>> {
    if x.source != ClueSource::Hotline12345 {
        return Ok(None);
    }
    let Some(register) = crate::cases::timeline(c, CaseKind::Clue, x.id)
        .await?
        .into_iter()
        .find(|e| e.action == "register")
    else {
        return Ok(None);
    };
    let d: serde_json::Value = register
        .detail
        .as_deref()
        .and_then(|d| serde_json::from_str(d).ok())
        .unwrap_or_default();
    let h = &d["hotline"];
    if let Some(n) = h["deadline_days"].as_u64() {
        return Ok(u32::try_from(n).ok());
    }
    Ok(h["deadline_date"]
        .as_str()
        .and_then(|s| NaiveDate::parse_from_str(s, "%Y-%m-%d").ok())
        .map(|due| u32::try_from(cal.working_days_between(on, due).max(1)).unwrap_or(1)))
}
