//! Requests answered once (重复提交防护, issue 12 item 9). A double click on 发送抄告, a browser
//! that re-posts a form, or another system that retries a call after a timeout must not create
//! a second 抄告, order or entity: the first request under a key is handled, and every repeat
//! gets the first one's answer. Keys are opaque here; the HTTP layer derives them from who is
//! asking, where, and the form's one-time field or the `Idempotency-Key` header.

use std::sync::atomic::{AtomicI64, Ordering};

use chrono::{Duration, Utc};
pub use lianjian_domain::submission::{Answer, Claim};
use lianjian_store::submissions as repo;

use crate::{Result, Services};

/// How long answers are kept: retries come within minutes; a day covers a retry queue that
/// waited overnight.
pub const KEEP_HOURS: i64 = 24;
/// A claim unanswered this long belongs to a request whose process died; it may be taken over.
pub const STALE_SECONDS: i64 = 120;

/// When this process last forgot old answers (seconds since the epoch).
static LAST_PRUNE: AtomicI64 = AtomicI64::new(0);
/// Old answers are forgotten at most this often, not on every post.
const PRUNE_EVERY_SECONDS: i64 = 600;

/// Claims `key` for a request whose body hashes to `request_hash`.
pub async fn claim(svc: &Services, key: &str, request_hash: &str) -> Result<Claim> {
    let now = Utc::now();
    let c = svc.store.conn();
    // Pruning here keeps the table at about a day of requests without a timer of its own; one
    // request in ten minutes does it, the others skip it.
    let last = LAST_PRUNE.load(Ordering::Relaxed);
    if now.timestamp() - last >= PRUNE_EVERY_SECONDS
        && LAST_PRUNE
            .compare_exchange(last, now.timestamp(), Ordering::Relaxed, Ordering::Relaxed)
            .is_ok()
    {
        repo::prune(c, now - Duration::hours(KEEP_HOURS)).await?;
    }
    Ok(repo::claim(
        c,
        key,
        request_hash,
        now,
        now - Duration::seconds(STALE_SECONDS),
    )
    .await?)
}

/// Keeps the answer for repeats.
pub async fn answer(svc: &Services, key: &str, a: &Answer) -> Result<()> {
    Ok(repo::answer(svc.store.conn(), key, a).await?)
}

/// Forgets the claim, so the next request under `key` is handled afresh.
pub async fn release(svc: &Services, key: &str) -> Result<()> {
    Ok(repo::release(svc.store.conn(), key).await?)
}
