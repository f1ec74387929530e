//! Region reference data for pickers and breadcrumbs (read-only, public).

use lianjian_domain::Invalid;
use lianjian_domain::region::RegionCode;
use lianjian_store::regions::{self as repo};

use crate::{Result, ServiceError, Services};

/// A region as this service returns it.
pub use lianjian_store::regions::Region;

pub async fn get(svc: &Services, code: &str) -> Result<Region> {
    let code = RegionCode::parse(code).map_err(|e| ServiceError::field("code", e))?;
    repo::get(svc.store.conn(), &code)
        .await?
        .ok_or_else(|| unknown_region("code", &code))
}

pub async fn children(svc: &Services, parent: Option<&str>) -> Result<Vec<Region>> {
    match parent.map(str::trim).filter(|p| !p.is_empty()) {
        None => Ok(repo::children(svc.store.conn(), None).await?),
        Some(p) => {
            let r = get(svc, p).await?;
            Ok(repo::children(svc.store.conn(), Some(&r.code)).await?)
        }
    }
}

/// `root` (a code) and every region below it, or every region for `None`; parents first.
pub async fn subtree(svc: &Services, root: Option<&str>) -> Result<Vec<Region>> {
    match root.map(str::trim).filter(|p| !p.is_empty()) {
        None => Ok(repo::subtree(svc.store.conn(), None).await?),
        Some(p) => {
            let r = get(svc, p).await?;
            Ok(repo::subtree(svc.store.conn(), Some(&r.code)).await?)
        }
    }
}

pub async fn search(svc: &Services, q: &str, within: Option<&RegionCode>) -> Result<Vec<Region>> {
    Ok(repo::search(svc.store.conn(), q, within, 50).await?)
}

/// The region and its ancestors, province first.
pub async fn lineage(svc: &Services, code: &RegionCode) -> Result<Vec<Region>> {
    Ok(repo::lineage(svc.store.conn(), code).await?)
}

pub async fn path_name(svc: &Services, code: &RegionCode) -> Result<String> {
    Ok(repo::path_name(svc.store.conn(), code).await?)
}

/// The field error for a region code that parses but names no region.
pub(crate) fn unknown_region(field: &str, code: &RegionCode) -> ServiceError {
    ServiceError::field(
        field,
        Invalid::new(
            "unknown_region",
            format!("行政区划代码“{code}”不存在"),
            format!("region code '{code}' does not exist"),
        ),
    )
}
