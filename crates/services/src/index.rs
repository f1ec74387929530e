//! The in-memory directory index (名录索引, `lianjian-engine`) that directory searches, item
//! directories and draw pools run on. It is built from the store once at start-up and then
//! follows the store's change feed (`lianjian_store::changes`, `docs/architecture.md`
//! "Change feed"): every committed write that changes entities or their tags appends the ids it
//! touched to the feed in its own transaction, and every server applies the feed, after its own
//! writes, every `index_poll_ms`, and before any search, count or draw pool (the read-your-writes
//! barrier, [`Services::sync_index`]). So several servers on one database see each other's writes.
//!
//! Until the first build finishes, readers fall back to SQL (the store's search), so a large
//! directory does not delay start-up.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::sync::{Arc, RwLock, RwLockReadGuard};
use std::time::{Duration, Instant};

use lianjian_engine::{DirectoryIndex, IndexBuilder, IndexQuery, IndexSort, IndexedEntity};
use lianjian_store::Conn;
use lianjian_store::changes::{self, DirectoryChange, FeedEntry};
use lianjian_store::entities::{self as repo, Entity, EntitySearch, EntitySort};
use lianjian_store::tags as tag_repo;
use lianjian_store::{Page, PageRequest};
use uuid::Uuid;

use crate::{Result, Services};

/// Shared handle to the index; cheap to clone.
#[derive(Clone, Default)]
pub struct IndexHandle(Arc<State>);

struct State {
    index: RwLock<DirectoryIndex>,
    ready: AtomicBool,
    /// The change feed position the index reflects: every change with a `seq` up to this one is
    /// in it. Written only while `follow` is held.
    applied: AtomicI64,
    /// One build or feed pass at a time: a pass reads the feed after `applied` and moves it on,
    /// and entities read by two overlapping passes could otherwise be written back stale.
    follow: tokio::sync::Mutex<()>,
}

impl Default for State {
    fn default() -> Self {
        Self {
            index: RwLock::new(DirectoryIndex::empty()),
            ready: AtomicBool::new(false),
            applied: AtomicI64::new(0),
            follow: tokio::sync::Mutex::new(()),
        }
    }
}

impl std::fmt::Debug for IndexHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IndexHandle")
            .field("ready", &self.is_ready())
            .field("applied", &self.applied())
            .finish()
    }
}

impl IndexHandle {
    pub fn is_ready(&self) -> bool {
        self.0.ready.load(Ordering::Acquire)
    }

    /// The change feed position the index reflects (0 before the first build).
    pub fn applied(&self) -> i64 {
        self.0.applied.load(Ordering::Acquire)
    }

    /// A read view, or None while the first build runs.
    pub fn read(&self) -> Option<RwLockReadGuard<'_, DirectoryIndex>> {
        if !self.is_ready() {
            return None;
        }
        Some(self.0.index.read().unwrap_or_else(|p| p.into_inner()))
    }
}

/// What a full build took.
#[derive(Debug, Clone, Copy)]
pub struct IndexStats {
    pub entities: u64,
    pub millis: u128,
    pub memory_bytes: u64,
}

const PAGE: u64 = 5_000;

/// Feed rows read per query while catching up.
const FEED_BATCH: u64 = 20_000;

/// How long feed rows are kept. A server that was away longer (stopped, or cut off from the
/// database) finds the rows it missed pruned and rebuilds its index instead.
pub const FEED_RETENTION: Duration = Duration::from_secs(24 * 3600);

/// How often a follower prunes the feed.
const PRUNE_EVERY: Duration = Duration::from_secs(3600);

/// Default of the `index_poll_ms` setting: how often a server applies other servers' changes
/// when nothing asks for them sooner.
pub const DEFAULT_POLL: Duration = Duration::from_millis(500);

fn indexed(e: &Entity, tags: Vec<String>) -> IndexedEntity {
    IndexedEntity {
        id: e.id,
        usci: e.usci.clone(),
        name: e.name.clone(),
        region: e.region_code.clone(),
        entity_type: e.entity_type,
        reg_status: e.reg_status,
        credit_class: e.credit_class,
        updated_at: e.updated_at.timestamp(),
        tags,
    }
}

/// Tag codes of a page of entities.
async fn tag_codes(
    c: &impl Conn,
    codes: &HashMap<Uuid, String>,
    ids: &[Uuid],
) -> Result<HashMap<Uuid, Vec<String>>> {
    Ok(repo::tags_of_many(c, ids)
        .await?
        .into_iter()
        .map(|(e, ts)| {
            let mut v: Vec<String> = ts
                .into_iter()
                .filter_map(|(t, _)| codes.get(&t).cloned())
                .collect();
            v.sort();
            (e, v)
        })
        .collect())
}

async fn code_map(c: &impl Conn) -> Result<HashMap<Uuid, String>> {
    Ok(tag_repo::all(c)
        .await?
        .into_iter()
        .map(|t| (t.id, t.code))
        .collect())
}

impl Services {
    /// Builds the index from the store (start-up, or after a bulk change made outside the
    /// use cases) and switches readers to it.
    pub async fn load_index(&self) -> Result<IndexStats> {
        let _one = self.index.0.follow.lock().await;
        self.build_locked().await
    }

    async fn build_locked(&self) -> Result<IndexStats> {
        let started = Instant::now();
        let snapshot = self.store.begin_snapshot().await?;
        // The feed's head first: on SQLite the snapshot starts at the first read, and the
        // index then holds exactly the changes up to `head` (later ones are applied after).
        let head = changes::head(&snapshot).await?;
        let codes = code_map(&snapshot).await?;
        let mut b = IndexBuilder::with_capacity(repo::count(&snapshot).await? as usize);
        let mut after = None;
        loop {
            let page = repo::scan(&snapshot, None, after, PAGE).await?;
            let Some(last) = page.last() else { break };
            after = Some(last.id);
            let ids: Vec<Uuid> = page.iter().map(|e| e.id).collect();
            let mut tags = tag_codes(&snapshot, &codes, &ids).await?;
            for e in &page {
                b.push(indexed(e, tags.remove(&e.id).unwrap_or_default()));
            }
        }
        snapshot.commit().await?;
        let built = b.finish();
        let stats = IndexStats {
            entities: built.len(),
            millis: started.elapsed().as_millis(),
            memory_bytes: built.memory_bytes(),
        };
        *self
            .index
            .0
            .index
            .write()
            .unwrap_or_else(|p| p.into_inner()) = built;
        self.index.0.applied.store(head, Ordering::Release);
        self.index.0.ready.store(true, Ordering::Release);
        tracing::info!(
            entities = stats.entities,
            millis = stats.millis as u64,
            memory_bytes = stats.memory_bytes,
            feed_position = head,
            "directory index built"
        );
        Ok(stats)
    }

    /// Applies every change in the feed after the index's position (this server's own writes
    /// and other servers'). Returns how many feed rows it applied; 0 before the first build,
    /// which reads everything itself.
    pub async fn follow_changes(&self) -> Result<u64> {
        let _one = self.index.0.follow.lock().await;
        self.follow_locked().await
    }

    async fn follow_locked(&self) -> Result<u64> {
        if !self.index.is_ready() {
            return Ok(0);
        }
        let c = self.store.conn();
        let mut applied = self.index.applied();
        let mut total = 0u64;
        loop {
            let rows = changes::read_after(c, applied, FEED_BATCH).await?;
            let Some(last) = rows.last().map(|r| r.seq) else {
                break;
            };
            let mut ids: Vec<Uuid> = Vec::new();
            let mut renamed: Vec<String> = Vec::new();
            for r in &rows {
                match &r.entry {
                    FeedEntry::Change(DirectoryChange::Entity(id)) => ids.push(*id),
                    FeedEntry::Change(DirectoryChange::TagCode(code)) => renamed.push(code.clone()),
                    FeedEntry::Pruned { through } if *through > applied => {
                        // Rows this index never applied are gone: read everything again.
                        tracing::warn!(
                            applied,
                            pruned_through = *through,
                            "directory index is behind the pruned change feed; rebuilding"
                        );
                        self.build_locked().await?;
                        return Ok(total + rows.len() as u64);
                    }
                    FeedEntry::Pruned { .. } => {}
                }
            }
            // A renamed tag: the entities indexed under its old code (entity_tags rows do not
            // change on a rename, so the feed names the code, not the entities).
            if !renamed.is_empty()
                && let Some(ix) = self.index.read()
            {
                for code in &renamed {
                    let nums: Vec<u32> = ix.tag_bitmap(code).iter().collect();
                    ids.extend(ix.ids_of(&nums));
                }
            }
            ids.sort_unstable();
            ids.dedup();
            self.reindex_now(&ids).await?;
            applied = last;
            self.index.0.applied.store(applied, Ordering::Release);
            total += rows.len() as u64;
            if (rows.len() as u64) < FEED_BATCH {
                break;
            }
        }
        Ok(total)
    }

    /// The read-your-writes barrier: returns once the index holds every change committed
    /// before the call, on whichever server it was made. Searches, counts and draw pools call
    /// it first. Before the first build it does nothing: readers use SQL then.
    pub async fn sync_index(&self) -> Result<()> {
        if !self.index.is_ready() {
            return Ok(());
        }
        // Everything committed before now has a seq at most `target` (module comment of
        // `lianjian_store::changes`: seq order is commit order).
        let target = changes::head(self.store.conn()).await?;
        if self.index.applied() >= target {
            return Ok(());
        }
        let _one = self.index.0.follow.lock().await;
        // A pass run meanwhile by another request or the follower may have got there.
        while self.index.applied() < target {
            if self.follow_locked().await? == 0 {
                // Unreachable while rows at or below `target` stay committed; never spin.
                return Err(crate::ServiceError::internal(
                    lianjian_store::StoreError::Corrupt(format!(
                        "change feed: head {target} not reached from {}",
                        self.index.applied()
                    )),
                ));
            }
        }
        Ok(())
    }

    /// After a use case committed changes it appended to the feed: applies them here at once,
    /// so its own server shows them without waiting for the next poll. The write is committed
    /// whatever happens here, so a failure is logged and left to the next pass.
    pub(crate) async fn apply_own_changes(&self) {
        if let Err(e) = self.follow_changes().await {
            tracing::warn!(error = %e, "applying the change feed after a write failed; the next pass retries");
        }
    }

    /// Follows the feed every `every` until the process ends, and prunes rows older than
    /// [`FEED_RETENTION`] once an hour. Started by `lianjian serve`.
    pub fn spawn_change_follower(&self, every: Duration) -> tokio::task::JoinHandle<()> {
        let svc = self.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(every);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            let mut last_prune: Option<Instant> = None;
            loop {
                tick.tick().await;
                if let Err(e) = svc.follow_changes().await {
                    tracing::warn!(error = %e, "following the directory change feed failed");
                }
                if svc.index.is_ready() && last_prune.is_none_or(|t| t.elapsed() >= PRUNE_EVERY) {
                    last_prune = Some(Instant::now());
                    match svc.prune_changes(FEED_RETENTION).await {
                        Ok(0) => {}
                        Ok(n) => tracing::info!(rows = n, "pruned the directory change feed"),
                        Err(e) => {
                            tracing::warn!(error = %e, "pruning the directory change feed failed")
                        }
                    }
                }
            }
        })
    }

    /// Deletes feed rows older than `keep` (see [`FEED_RETENTION`]). Returns the rows deleted.
    pub async fn prune_changes(&self, keep: Duration) -> Result<u64> {
        let cutoff =
            chrono::Utc::now() - chrono::Duration::from_std(keep).unwrap_or(chrono::Duration::MAX);
        let tx = self.store.begin().await?;
        let n = changes::prune(&tx, cutoff).await?;
        tx.commit().await?;
        Ok(n)
    }

    /// Brings these entities up to date in the index (new, changed, re-tagged or deleted).
    /// Only feed passes call it, one at a time.
    async fn reindex_now(&self, ids: &[Uuid]) -> Result<()> {
        if ids.is_empty() {
            return Ok(());
        }
        let c = self.store.conn();
        let codes = code_map(c).await?;
        for chunk in ids.chunks(PAGE as usize) {
            let rows = repo::get_many(c, chunk).await?;
            let mut tags = tag_codes(c, &codes, chunk).await?;
            let mut found: HashMap<Uuid, IndexedEntity> = rows
                .iter()
                .map(|e| (e.id, indexed(e, tags.remove(&e.id).unwrap_or_default())))
                .collect();
            let mut ix = self
                .index
                .0
                .index
                .write()
                .unwrap_or_else(|p| p.into_inner());
            for id in chunk {
                match found.remove(id) {
                    Some(e) => ix.upsert(e),
                    None => {
                        ix.remove(*id);
                    }
                }
            }
        }
        Ok(())
    }

    /// A directory search: on the index when it is ready (exact totals, any fragment length,
    /// milliseconds at province scale), otherwise in SQL. Rows come from the store either way.
    pub async fn search_entities(
        &self,
        q: &EntitySearch,
        page: PageRequest,
    ) -> Result<Page<Entity>> {
        self.sync_index().await?;
        let c = self.store.conn();
        let iq = index_query(c, q).await?;
        // The guard must not live across an await (it is not Send).
        let hits = self
            .index
            .read()
            .map(|ix| ix.search(&iq, page.offset(), page.per_page));
        let Some(hits) = hits else {
            return Ok(repo::search(c, q, page).await?);
        };
        Ok(Page {
            items: repo::get_many(c, &hits.ids).await?,
            total: hits.total,
            page: page.page,
            per_page: page.per_page,
        })
    }

    /// Counts of a search's entities by county (6-digit code) and credit class letter.
    pub async fn county_class_counts(
        &self,
        q: &EntitySearch,
    ) -> Result<Vec<(String, Option<String>, u64)>> {
        self.sync_index().await?;
        let c = self.store.conn();
        let iq = index_query(c, q).await?;
        let counts = self.index.read().map(|ix| {
            let set = ix.select(&iq);
            ix.counts_by_county_and_class(&set)
        });
        match counts {
            Some(counts) => Ok(counts
                .into_iter()
                .map(|(county, class, n)| (county, class.map(|k| k.as_str().to_string()), n))
                .collect()),
            None => Ok(repo::counts_by_county_and_class(c, q).await?),
        }
    }
}

/// The store's search in the index's terms: tag ids become codes.
async fn index_query(c: &impl Conn, q: &EntitySearch) -> Result<IndexQuery> {
    let tags = if q.tag_ids.is_empty() {
        Vec::new()
    } else {
        let codes = code_map(c).await?;
        q.tag_ids
            .iter()
            .map(|id| codes.get(id).cloned().unwrap_or_default())
            .collect()
    };
    Ok(IndexQuery {
        q: q.q.clone(),
        region: q.region.clone(),
        tags,
        credit: q.credit.clone(),
        entity_type: q.entity_type,
        reg_status: q.reg_status,
        covered_by: q.covered_by.as_ref().map(|r| r.expr.clone()),
        sort: match q.sort {
            EntitySort::Default => IndexSort::Default,
            EntitySort::Name => IndexSort::Name,
            EntitySort::Usci => IndexSort::Usci,
            EntitySort::Region => IndexSort::Region,
            EntitySort::UpdatedDesc => IndexSort::UpdatedDesc,
            EntitySort::CreditClass => IndexSort::CreditClass,
        },
    })
}

impl Services {
    /// Builds the index now if it is not built yet (draws need it; searches can wait), then
    /// waits for it to hold every change committed before the call ([`Services::sync_index`]).
    pub async fn ensure_index(&self) -> Result<()> {
        if !self.index.is_ready() {
            let _one = self.index.0.follow.lock().await;
            // Another caller may have built it while this one waited.
            if !self.index.is_ready() {
                self.build_locked().await?;
            }
        }
        self.sync_index().await
    }
}
