//! Supervision sectors (监管领域): an editable list kept by system administrators and
//! coordination offices.

use chrono::Utc;
use lianjian_domain::account::Role;
use lianjian_domain::scope::Actor;
use lianjian_domain::sector::sector_name;
use lianjian_store::StoreError;
use lianjian_store::sectors::{self as repo};
use uuid::Uuid;

use crate::trail::{Record, record};
use crate::{Result, ServiceError, Services};

/// A sector as this service returns it.
pub use lianjian_store::sectors::Sector;

/// The list is shared by the whole instance, so only system administrators and provincial
/// coordination offices maintain it.
pub fn may_maintain(a: &Actor) -> bool {
    match a.role {
        Role::SystemAdmin => true,
        Role::CoordinationOffice => {
            a.region.level() == lianjian_domain::region::RegionLevel::Province
        }
        _ => false,
    }
}

fn ensure_maintainer(a: &Actor) -> Result<()> {
    if may_maintain(a) {
        Ok(())
    } else {
        Err(ServiceError::Forbidden)
    }
}

pub async fn count(svc: &Services) -> Result<u64> {
    Ok(repo::count(svc.store.conn()).await?)
}

pub async fn list(svc: &Services) -> Result<Vec<Sector>> {
    Ok(repo::list(svc.store.conn()).await?)
}

fn dup(e: StoreError, name: &str) -> ServiceError {
    match e {
        StoreError::Conflict(_) => ServiceError::conflict(
            "name",
            format!("领域“{name}”已存在"),
            format!("sector '{name}' already exists"),
        ),
        other => other.into(),
    }
}

pub async fn create(svc: &Services, actor: &Actor, name: &str) -> Result<Sector> {
    ensure_maintainer(actor)?;
    let name = sector_name(name).map_err(|e| ServiceError::field("name", e))?;
    let now = Utc::now();
    let sort = repo::list(svc.store.conn())
        .await?
        .iter()
        .map(|s| s.sort_order)
        .max()
        .unwrap_or(0)
        + 10;
    let s = Sector {
        id: Uuid::now_v7(),
        name,
        status: "active".into(),
        sort_order: sort,
        created_at: now,
        updated_at: now,
    };
    let tx = svc.store.begin().await?;
    repo::insert(&tx, &s).await.map_err(|e| dup(e, &s.name))?;
    record(
        &tx,
        actor,
        Record::new("sector.create", "sector", s.id).after(&s),
    )
    .await?;
    tx.commit().await?;
    Ok(s)
}

/// Renames and/or retires (`active` = false) a sector.
pub async fn update(
    svc: &Services,
    actor: &Actor,
    id: Uuid,
    name: Option<&str>,
    active: Option<bool>,
) -> Result<Sector> {
    ensure_maintainer(actor)?;
    let before = repo::get(svc.store.conn(), id)
        .await?
        .ok_or(ServiceError::NotFound)?;
    let mut after = before.clone();
    if let Some(n) = name {
        after.name = sector_name(n).map_err(|e| ServiceError::field("name", e))?;
    }
    if let Some(a) = active {
        after.status = if a { "active" } else { "retired" }.into();
    }
    after.updated_at = Utc::now();
    let tx = svc.store.begin().await?;
    repo::update(&tx, &after)
        .await
        .map_err(|e| dup(e, &after.name))?;
    record(
        &tx,
        actor,
        Record::new("sector.update", "sector", id)
            .before(&before)
            .after(&after),
    )
    .await?;
    tx.commit().await?;
    Ok(after)
}
