//! The in-memory directory index (名录索引, `lianjian-engine`) that directory searches, item
//! directories and draw pools run on. It is built from the store once at start-up and then
//! kept current by the use cases: every committed write that changes entities or their tags
//! calls [`Services::reindex`] with the ids it touched.
//!
//! Until the first build finishes, readers fall back to SQL (the store's search), so a large
//! directory does not delay start-up. One process owns its index: several servers on one
//! PostgreSQL database each see only their own writes until restarted (documented limit).

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, RwLock, RwLockReadGuard};
use std::time::Instant;

use lianjian_engine::{DirectoryIndex, IndexBuilder, IndexQuery, IndexSort, IndexedEntity};
use lianjian_store::Conn;
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
}

impl Default for State {
    fn default() -> Self {
        Self {
            index: RwLock::new(DirectoryIndex::empty()),
            ready: AtomicBool::new(false),
        }
    }
}

impl std::fmt::Debug for IndexHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IndexHandle")
            .field("ready", &self.is_ready())
            .finish()
    }
}

impl IndexHandle {
    pub fn is_ready(&self) -> bool {
        self.0.ready.load(Ordering::Acquire)
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
        let started = Instant::now();
        let snapshot = self.store.begin_snapshot().await?;
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
        self.index.0.ready.store(true, Ordering::Release);
        tracing::info!(
            entities = stats.entities,
            millis = stats.millis as u64,
            memory_bytes = stats.memory_bytes,
            "directory index built"
        );
        Ok(stats)
    }

    /// Brings these entities up to date in the index after a committed write (new, changed,
    /// re-tagged or deleted). Does nothing before the first build: that build reads them.
    pub(crate) async fn reindex(&self, ids: &[Uuid]) -> Result<()> {
        if !self.index.is_ready() || ids.is_empty() {
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

    /// After a tag's code changed: every entity that carried it under the old code.
    pub(crate) async fn reindex_tag(&self, old_code: &str) -> Result<()> {
        let ids: Vec<Uuid> = match self.index.read() {
            Some(ix) => {
                let nums: Vec<u32> = ix.tag_bitmap(old_code).iter().collect();
                ix.ids_of(&nums)
            }
            None => return Ok(()),
        };
        self.reindex(&ids).await
    }

    /// A directory search: on the index when it is ready (exact totals, any fragment length,
    /// milliseconds at province scale), otherwise in SQL. Rows come from the store either way.
    pub async fn search_entities(
        &self,
        q: &EntitySearch,
        page: PageRequest,
    ) -> Result<Page<Entity>> {
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
    /// Builds the index now if it is not built yet (draws need it; searches can wait).
    pub async fn ensure_index(&self) -> Result<()> {
        if !self.index.is_ready() {
            self.load_index().await?;
        }
        Ok(())
    }
}
