//! The 12345 interface's tables: the feed over `case_events` of clues pushed by a 12345
//! platform (source `hotline_12345`) in a scope, and the platforms' webhook subscriptions
//! (`hotline_subscriptions`) with their delivery cursor and state.

use chrono::{DateTime, Utc};
use lianjian_domain::scope::Scope;
use sea_orm::{ConnectionTrait, QueryResult, Value};
use uuid::Uuid;

use crate::cases::{CaseEvent, ECOLS, event_from_row};
use crate::{Result, placeholders, stmt};

/// An event of a pushed clue with the work-order number and the clue's code.
#[derive(Debug, Clone)]
pub struct FeedRow {
    pub event: CaseEvent,
    pub order_no: String,
    pub code: String,
}

/// Events of clues with source `hotline_12345` in `scope` whose action is in `actions`,
/// after the event `after` (UUIDv7 ids grow with time), written before `before`, oldest
/// first, at most `limit`.
pub async fn feed(
    c: &impl ConnectionTrait,
    scope: &Scope,
    actions: &[&str],
    after: Option<Uuid>,
    before: DateTime<Utc>,
    limit: u64,
) -> Result<Vec<FeedRow>> {
    if actions.is_empty() {
        return Ok(Vec::new());
    }
    let mut vals: Vec<Value> = vec!["clue".into(), before.into()];
    let from = vals.len() + 1;
    vals.extend(actions.iter().map(|a| Value::from(a.to_string())));
    let mut conds = vec![
        "e.case_kind = $1".to_string(),
        "e.at < $2".to_string(),
        format!("e.action IN ({})", placeholders(from, actions.len())),
    ];
    if let Some(a) = after {
        vals.push(a.into());
        conds.push(format!("e.id > ${}", vals.len()));
    }
    vals.push("hotline_12345".into());
    let src = vals.len();
    let w = crate::scope::sql(scope, &crate::clues::SHAPE, &mut vals);
    let cols = ECOLS
        .split(", ")
        .map(|c| format!("e.{c}"))
        .collect::<Vec<_>>()
        .join(", ");
    let sql = format!(
        "SELECT {cols}, k.external_no AS order_no, k.code AS clue_code FROM case_events e \
         JOIN (SELECT id, external_no, code FROM clues WHERE source = ${src} AND external_no IS NOT NULL AND {w}) k \
         ON k.id = e.case_id WHERE {} ORDER BY e.id LIMIT {limit}",
        conds.join(" AND ")
    );
    c.query_all_raw(stmt(c, sql, vals))
        .await?
        .iter()
        .map(|r| {
            Ok(FeedRow {
                event: event_from_row(r)?,
                order_no: r.try_get("", "order_no")?,
                code: r.try_get("", "clue_code")?,
            })
        })
        .collect()
}

/// The newest case event's id (a new subscription starts after it).
pub async fn last_event_id(c: &impl ConnectionTrait) -> Result<Option<Uuid>> {
    Ok(c.query_one_raw(stmt(
        c,
        "SELECT id FROM case_events ORDER BY id DESC LIMIT 1",
        vec![],
    ))
    .await?
    .map(|r| r.try_get("", "id"))
    .transpose()?)
}

/// A 12345 platform's webhook.
#[derive(Debug, Clone, PartialEq)]
pub struct Subscription {
    pub id: Uuid,
    /// The account whose scope the events are read in.
    pub user_id: Uuid,
    pub username: String,
    pub region_code: String,
    pub url: String,
    /// The HMAC-SHA256 key of the signature header.
    pub secret: String,
    /// The last event delivered.
    pub cursor: Option<Uuid>,
    /// Failures since the last success.
    pub attempts: i32,
    pub last_error: Option<String>,
    pub next_attempt_at: Option<DateTime<Utc>>,
    pub last_delivered_at: Option<DateTime<Utc>>,
    pub delivered: i64,
    pub created_at: DateTime<Utc>,
}

const SCOLS: &str = "id, user_id, username, region_code, url, secret, cursor, attempts, last_error, next_attempt_at, last_delivered_at, delivered, created_at";

fn sub_from_row(r: &QueryResult) -> Result<Subscription> {
    Ok(Subscription {
        id: r.try_get("", "id")?,
        user_id: r.try_get("", "user_id")?,
        username: r.try_get("", "username")?,
        region_code: r.try_get("", "region_code")?,
        url: r.try_get("", "url")?,
        secret: r.try_get("", "secret")?,
        cursor: r.try_get("", "cursor")?,
        attempts: r.try_get("", "attempts")?,
        last_error: r.try_get("", "last_error")?,
        next_attempt_at: r.try_get("", "next_attempt_at")?,
        last_delivered_at: r.try_get("", "last_delivered_at")?,
        delivered: r.try_get("", "delivered")?,
        created_at: r.try_get("", "created_at")?,
    })
}

pub async fn insert_subscription(c: &impl ConnectionTrait, s: &Subscription) -> Result<()> {
    c.execute_raw(stmt(
        c,
        format!(
            "INSERT INTO hotline_subscriptions ({SCOLS}) VALUES ({})",
            placeholders(1, 13)
        ),
        vec![
            s.id.into(),
            s.user_id.into(),
            s.username.clone().into(),
            s.region_code.clone().into(),
            s.url.clone().into(),
            s.secret.clone().into(),
            s.cursor.into(),
            s.attempts.into(),
            s.last_error.clone().into(),
            s.next_attempt_at.into(),
            s.last_delivered_at.into(),
            s.delivered.into(),
            s.created_at.into(),
        ],
    ))
    .await?;
    Ok(())
}

/// An account's subscriptions, oldest first.
pub async fn subscriptions_of(
    c: &impl ConnectionTrait,
    user_id: Uuid,
) -> Result<Vec<Subscription>> {
    c.query_all_raw(stmt(
        c,
        format!("SELECT {SCOLS} FROM hotline_subscriptions WHERE user_id = $1 ORDER BY id"),
        vec![user_id.into()],
    ))
    .await?
    .iter()
    .map(sub_from_row)
    .collect()
}

/// Deletes an account's subscription; `false` if it has none with this id.
pub async fn delete_subscription(
    c: &impl ConnectionTrait,
    id: Uuid,
    user_id: Uuid,
) -> Result<bool> {
    let r = c
        .execute_raw(stmt(
            c,
            "DELETE FROM hotline_subscriptions WHERE id = $1 AND user_id = $2",
            vec![id.into(), user_id.into()],
        ))
        .await?;
    Ok(r.rows_affected() == 1)
}

/// Subscriptions whose next attempt is due at `now` (never failed, or past their backoff).
pub async fn due_subscriptions(
    c: &impl ConnectionTrait,
    now: DateTime<Utc>,
) -> Result<Vec<Subscription>> {
    c.query_all_raw(stmt(
        c,
        format!(
            "SELECT {SCOLS} FROM hotline_subscriptions WHERE next_attempt_at IS NULL OR next_attempt_at <= $1 ORDER BY id"
        ),
        vec![now.into()],
    ))
    .await?
    .iter()
    .map(sub_from_row)
    .collect()
}

/// A delivery answered 2xx: the cursor moves to `cursor`, the failures are forgotten.
pub async fn record_success(
    c: &impl ConnectionTrait,
    id: Uuid,
    cursor: Uuid,
    count: i64,
    at: DateTime<Utc>,
) -> Result<()> {
    c.execute_raw(stmt(
        c,
        "UPDATE hotline_subscriptions SET cursor = $1, attempts = 0, last_error = NULL, next_attempt_at = NULL, last_delivered_at = $2, delivered = delivered + $3 WHERE id = $4",
        vec![cursor.into(), at.into(), count.into(), id.into()],
    ))
    .await?;
    Ok(())
}

/// A delivery failed: one more attempt counted, the error kept, the next attempt at `next`.
pub async fn record_failure(
    c: &impl ConnectionTrait,
    id: Uuid,
    error: &str,
    next: DateTime<Utc>,
) -> Result<()> {
    let error: String = error.chars().take(500).collect();
    c.execute_raw(stmt(
        c,
        "UPDATE hotline_subscriptions SET attempts = attempts + 1, last_error = $1, next_attempt_at = $2 WHERE id = $3",
        vec![error.into(), next.into(), id.into()],
    ))
    .await?;
    Ok(())
}
