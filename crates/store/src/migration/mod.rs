//! Schema migrations: one set for SQLite and PostgreSQL, applied at start-up and by `lianjian migrate`.

use sea_orm_migration::prelude::*;

mod m20261122_000001_foundation;
mod m20261122_000002_regions;
mod m20261122_000003_sectors;
mod m20261122_000004_directory;
mod m20261122_000005_inspectors;
mod m20261122_000006_plans;
mod m20261122_000007_draws;
mod m20261206_000008_inspections;
mod m20261206_000009_evidence;
mod m20261206_000010_risk_weights;
mod m20261206_000011_calendar;
mod m20261206_000012_draw_witness;
mod m20261206_000013_audit_checkpoints;
mod m20261206_000014_draw_json_lz4;
mod m20261206_000015_directory_changes;
mod m20261206_000016_draw_access;
mod m20261206_000017_import_jobs;
mod m20261206_000018_submissions;
mod m20261206_000020_draw_public_records;
mod m20261206_000021_office_documents;
mod m20261207_000022_cases;
mod m20261207_000023_clue_workflow;
mod m20261207_000024_hotline;
mod m20261207_000025_open311;
mod m20261207_000026_clue_portal;
mod m20261207_000027_clue_desk;
mod m20261207_000028_clock_holders;
mod m20261207_000029_covering_clocks;
mod m20261207_000030_case_figures;
mod m20261207_000031_credit_entries;
mod m20261207_000032_credit_evaluation;
mod m20261207_000033_credit_sanctions;
mod m20261207_000034_warnings;
mod m20261207_000035_iot;
mod m20261207_000036_risk_model;
mod m20261207_000037_assistance;
mod m20261207_000038_licensing;
mod m20261207_000040_guides;
mod m20261207_000041_analysis;
mod m20261207_000042_sharing;
mod m20261207_000044_consultations;
mod m20261207_000045_linkage_rest;
mod m20261207_000046_control_share;
mod m20261207_000047_sharing_flows;

/// Named indexes and their columns, as a migration replaces them.
type Indexes = &'static [(&'static str, &'static [&'static str])];

/// Drops the indexes `drop` of `table` (those that exist) and creates `create`.
async fn replace_indexes(
    m: &SchemaManager<'_>,
    table: &'static str,
    drop: Indexes,
    create: Indexes,
) -> Result<(), DbErr> {
    for (name, _) in drop {
        m.drop_index(
            Index::drop()
                .name(*name)
                .table(table)
                .if_exists()
                .to_owned(),
        )
        .await?;
    }
    for (name, cols) in create {
        m.create_index(idx(name, table, cols)).await?;
    }
    Ok(())
}

/// A named, idempotent index over `cols` of `table`, for every migration.
fn idx(name: &str, table: &'static str, cols: &[&'static str]) -> IndexCreateStatement {
    let mut i = Index::create();
    i.name(name).table(table).if_not_exists();
    for c in cols {
        i.col(*c);
    }
    i.take()
}

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261122_000001_foundation::Migration),
            Box::new(m20261122_000002_regions::Migration),
            Box::new(m20261122_000003_sectors::Migration),
            Box::new(m20261122_000004_directory::Migration),
            Box::new(m20261122_000005_inspectors::Migration),
            Box::new(m20261122_000006_plans::Migration),
            Box::new(m20261122_000007_draws::Migration),
            Box::new(m20261206_000008_inspections::Migration),
            Box::new(m20261206_000009_evidence::Migration),
            Box::new(m20261206_000010_risk_weights::Migration),
            Box::new(m20261206_000011_calendar::Migration),
            Box::new(m20261206_000012_draw_witness::Migration),
            Box::new(m20261206_000013_audit_checkpoints::Migration),
            Box::new(m20261206_000014_draw_json_lz4::Migration),
            Box::new(m20261206_000015_directory_changes::Migration),
            Box::new(m20261206_000016_draw_access::Migration),
            Box::new(m20261206_000017_import_jobs::Migration),
            Box::new(m20261206_000018_submissions::Migration),
            Box::new(m20261206_000020_draw_public_records::Migration),
            Box::new(m20261206_000021_office_documents::Migration),
            Box::new(m20261207_000022_cases::Migration),
            Box::new(m20261207_000023_clue_workflow::Migration),
            Box::new(m20261207_000024_hotline::Migration),
            Box::new(m20261207_000025_open311::Migration),
            Box::new(m20261207_000026_clue_portal::Migration),
            Box::new(m20261207_000027_clue_desk::Migration),
            Box::new(m20261207_000028_clock_holders::Migration),
            Box::new(m20261207_000029_covering_clocks::Migration),
            Box::new(m20261207_000030_case_figures::Migration),
            Box::new(m20261207_000031_credit_entries::Migration),
            Box::new(m20261207_000032_credit_evaluation::Migration),
            Box::new(m20261207_000033_credit_sanctions::Migration),
            Box::new(m20261207_000034_warnings::Migration),
            Box::new(m20261207_000035_iot::Migration),
            Box::new(m20261207_000036_risk_model::Migration),
            Box::new(m20261207_000037_assistance::Migration),
            Box::new(m20261207_000038_licensing::Migration),
            Box::new(m20261207_000040_guides::Migration),
            Box::new(m20261207_000041_analysis::Migration),
            Box::new(m20261207_000042_sharing::Migration),
            Box::new(m20261207_000044_consultations::Migration),
            Box::new(m20261207_000045_linkage_rest::Migration),
            Box::new(m20261207_000046_control_share::Migration),
            Box::new(m20261207_000047_sharing_flows::Migration),
        ]
    }
}
