//! Times the Excel import of the directory: generates an xlsx of N entities (default 100,000;
//! valid credit codes, regions under 舞阳县 411121, about 40% with licences, some with two) and
//! imports it with `exchange::import_entities` into a fresh SQLite database, then imports the
//! same file again (nothing changes) and exports the directory.
//!
//! ```sh
//! cargo run --release -p lianjian-services --example import_bench -- 100000
//! # also keep the generated file, e.g. to time `lianjian import entities /tmp/entities.xlsx`:
//! cargo run --release -p lianjian-services --example import_bench -- 100000 /tmp/entities.xlsx
//! # with the demo data first (tags whose rules tag the entities, owned by departments, so that
//! # 双告知 offers them to departments rather than escalating them):
//! LIANJIAN_BENCH_DEMO=1 cargo run --release -p lianjian-services --example import_bench -- 100000
//! # on PostgreSQL instead (a fresh database is created on that server):
//! LIANJIAN_BENCH_POSTGRES_URL=postgres://postgres@127.0.0.1:5432/postgres \
//!   cargo run --release -p lianjian-services --example import_bench -- 100000
//! ```

use std::sync::Mutex;
use std::time::Instant;

use lianjian_domain::region::RegionCode;
use lianjian_services::directory::SearchInput;
use lianjian_services::exchange::sample::rows;
use lianjian_services::exchange::{self, Phase, Progress};
use lianjian_services::{Services, cli_actor};
use lianjian_store::Store;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let n: u32 = std::env::args()
        .nth(1)
        .map(|a| a.parse().expect("N: number of entities"))
        .unwrap_or(100_000);
    let dir = tempfile::tempdir()?;
    let url = match std::env::var("LIANJIAN_BENCH_POSTGRES_URL") {
        Ok(base) => lianjian_store::testing::fresh_postgres_database(&base).await?,
        Err(_) => format!("sqlite://{}/bench.db", dir.path().display()),
    };
    let store = Store::connect_and_migrate(&url).await?;
    println!("database: {}", lianjian_store::redact_url(&url));
    let svc = Services::new(store, Default::default());
    if std::env::var("LIANJIAN_BENCH_DEMO").is_ok() {
        let t = Instant::now();
        lianjian_services::demo::seed(&svc).await?;
        println!("demo data seeded in {:.1} s", t.elapsed().as_secs_f64());
    }
    let county = RegionCode::parse("411121").expect("region");
    let mut regions: Vec<String> =
        lianjian_store::regions::children(svc.store.conn(), Some(&county))
            .await?
            .into_iter()
            .map(|r| r.code.to_string())
            .collect();
    regions.push(county.to_string());

    let t = Instant::now();
    let rows = rows(n, &regions);
    let row_count = rows.len();
    let headers = exchange::entity_headers();
    let headers: Vec<&str> = headers.iter().map(String::as_str).collect();
    let file = exchange::xlsx_table(exchange::ENTITY_SHEET, &headers, rows);
    println!(
        "generated {n} entities on {row_count} rows: {:.1} MiB in {:.1} s",
        file.len() as f64 / 1048576.0,
        t.elapsed().as_secs_f64()
    );
    if let Some(keep) = std::env::args().nth(2) {
        std::fs::write(&keep, &file)?;
        println!("written to {keep}");
    }

    for round in ["first import", "same file again"] {
        let start = Instant::now();
        let marks: Mutex<Vec<(Phase, f64)>> = Mutex::new(Vec::new());
        let progress = |p: Progress| {
            let mut m = marks.lock().unwrap();
            if m.last().is_none_or(|(ph, _)| *ph != p.phase) {
                m.push((p.phase, start.elapsed().as_secs_f64()));
            }
        };
        let out = exchange::import_entities(&svc, &cli_actor(), &file, false, &progress).await?;
        let total = start.elapsed().as_secs_f64();
        let marks = marks.into_inner().unwrap();
        let at = |ph: Phase| {
            marks
                .iter()
                .find(|(p, _)| *p == ph)
                .map_or(total, |(_, t)| *t)
        };
        let (check, save) = (at(Phase::Checking), at(Phase::Saving));
        assert!(
            out.errors.is_empty(),
            "{:?}",
            &out.errors[..out.errors.len().min(5)]
        );
        println!(
            "{round}: {total:.1} s (read xlsx {check:.1} s, check {:.1} s, save {:.1} s): inserted {}, updated {}, unchanged {}, claims {}",
            save - check,
            total - save,
            out.report.inserted,
            out.report.updated,
            out.report.unchanged,
            out.report.claims_created
        );
    }

    let start = Instant::now();
    let export = exchange::export_entities(&svc, &cli_actor(), &SearchInput::default()).await?;
    let took = start.elapsed().as_secs_f64();
    let (exported, _) = exchange::read_entities(&export)?;
    println!(
        "export: {} entities, {:.1} MiB in {took:.1} s",
        exported.len(),
        export.len() as f64 / 1048576.0
    );
    Ok(())
}
