//! Settings of a region's coordination office (联席办). For now one: how many days after a
//! draw's period its unpublished visits become public (issue 11 item 3, the embargo: "an
//! office setting may make it later"). A setting applies to the office's whole subtree; the
//! nearest one wins.

use chrono::{DateTime, Utc};
use lianjian_domain::region::RegionCode;
use sea_orm::{ConnectionTrait, Statement, Value};
use serde::Serialize;

use crate::{Result, StoreError, backend_of};

fn stmt(c: &impl ConnectionTrait, sql: impl Into<String>, vals: Vec<Value>) -> Statement {
    Statement::from_sql_and_values(backend_of(c), sql, vals)
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OfficeSetting {
    pub region_code: RegionCode,
    pub publish_delay_days: i32,
    pub updated_by: String,
    pub updated_at: DateTime<Utc>,
}

fn from_row(r: &sea_orm::QueryResult) -> Result<OfficeSetting> {
    let region: String = r.try_get("", "region_code")?;
    Ok(OfficeSetting {
        region_code: RegionCode::parse(&region).map_err(|e| StoreError::Corrupt(e.to_string()))?,
        publish_delay_days: r.try_get("", "publish_delay_days")?,
        updated_by: r.try_get("", "updated_by")?,
        updated_at: r.try_get("", "updated_at")?,
    })
}

/// The setting made for exactly this region.
pub async fn get(c: &impl ConnectionTrait, region: &RegionCode) -> Result<Option<OfficeSetting>> {
    c.query_one_raw(stmt(
        c,
        "SELECT region_code, publish_delay_days, updated_by, updated_at FROM office_settings WHERE region_code = $1",
        vec![region.to_string().into()],
    ))
    .await?
    .as_ref()
    .map(from_row)
    .transpose()
}

/// The setting in force for a region: its own, else its nearest ancestor's.
pub async fn nearest(
    c: &impl ConnectionTrait,
    region: &RegionCode,
) -> Result<Option<OfficeSetting>> {
    let lineage = region.lineage();
    let marks: Vec<String> = (1..=lineage.len()).map(|i| format!("${i}")).collect();
    let rows = c
        .query_all_raw(stmt(
            c,
            format!(
                "SELECT region_code, publish_delay_days, updated_by, updated_at FROM office_settings WHERE region_code IN ({})",
                marks.join(",")
            ),
            lineage.iter().map(|r| r.to_string().into()).collect(),
        ))
        .await?;
    let mut found: Vec<OfficeSetting> = rows.iter().map(from_row).collect::<Result<_>>()?;
    // The longest code is the nearest (codes of a lineage extend each other).
    found.sort_by_key(|s| std::cmp::Reverse(s.region_code.as_str().len()));
    Ok(found.into_iter().next())
}

pub async fn put(c: &impl ConnectionTrait, s: &OfficeSetting) -> Result<()> {
    c.execute_raw(stmt(
        c,
        "INSERT INTO office_settings (region_code, publish_delay_days, updated_by, updated_at) VALUES ($1,$2,$3,$4) ON CONFLICT (region_code) DO UPDATE SET publish_delay_days = excluded.publish_delay_days, updated_by = excluded.updated_by, updated_at = excluded.updated_at",
        vec![
            s.region_code.to_string().into(),
            s.publish_delay_days.into(),
            s.updated_by.clone().into(),
            s.updated_at.into(),
        ],
    ))
    .await?;
    Ok(())
}

/// Where the parties of a region's departments seek remedies, as its office set it (issue 13
/// item 4). An empty field means: derived from the region.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OfficeDocuments {
    pub region_code: RegionCode,
    pub reconsideration_body: String,
    pub court: String,
    pub updated_by: String,
    pub updated_at: DateTime<Utc>,
}

/// The document settings made for exactly this region (not inherited: a city's court is not its
/// counties' court).
pub async fn documents(
    c: &impl ConnectionTrait,
    region: &RegionCode,
) -> Result<Option<OfficeDocuments>> {
    let Some(r) = c
        .query_one_raw(stmt(
            c,
            "SELECT region_code, reconsideration_body, court, updated_by, updated_at FROM office_documents WHERE region_code = $1",
            vec![region.to_string().into()],
        ))
        .await?
    else {
        return Ok(None);
    };
    let code: String = r.try_get("", "region_code")?;
    Ok(Some(OfficeDocuments {
        region_code: RegionCode::parse(&code).map_err(|e| StoreError::Corrupt(e.to_string()))?,
        reconsideration_body: r.try_get("", "reconsideration_body")?,
        court: r.try_get("", "court")?,
        updated_by: r.try_get("", "updated_by")?,
        updated_at: r.try_get("", "updated_at")?,
    }))
}

pub async fn put_documents(c: &impl ConnectionTrait, d: &OfficeDocuments) -> Result<()> {
    c.execute_raw(stmt(
        c,
        "INSERT INTO office_documents (region_code, reconsideration_body, court, updated_by, updated_at) VALUES ($1,$2,$3,$4,$5) ON CONFLICT (region_code) DO UPDATE SET reconsideration_body = excluded.reconsideration_body, court = excluded.court, updated_by = excluded.updated_by, updated_at = excluded.updated_at",
        vec![
            d.region_code.to_string().into(),
            d.reconsideration_body.clone().into(),
            d.court.clone().into(),
            d.updated_by.clone().into(),
            d.updated_at.into(),
        ],
    ))
    .await?;
    Ok(())
}
