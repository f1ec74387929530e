//! `lianjian calendar`: load the State Council's holiday arrangement from CSV and show a year of
//! the working-day calendar (工作日历), from the server's shell.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use chrono::{Datelike, NaiveDate, Utc};
use clap::Subcommand;
use lianjian_domain::calendar::weekday_zh;
use lianjian_services::{ServiceError, Services, calendar, cli_actor};

use crate::service_error;

#[derive(Subcommand)]
pub enum CalendarCommand {
    /// Import public holidays (休) and make-up workdays (班) from a CSV file `date,kind,name`
    /// (docs/calendar.md). All or nothing: exit 2 naming the line, column and value when the
    /// file has errors.
    Import {
        /// The .csv file (UTF-8)
        file: PathBuf,
    },
    /// Print the listed days of a year (default: this year) and whether its arrangement is loaded.
    Show {
        /// Year, e.g. 2026
        year: Option<i32>,
    },
}

pub async fn run(svc: &Services, action: CalendarCommand) -> anyhow::Result<ExitCode> {
    match action {
        CalendarCommand::Import { file } => {
            let text = std::fs::read_to_string(&file)
                .with_context(|| format!("cannot read {}", file.display()))?;
            match calendar::import_csv(svc, &cli_actor(), &text).await {
                Ok(r) => {
                    println!(
                        "imported {}: {} added, {} changed, {} unchanged",
                        file.display(),
                        r.added,
                        r.changed,
                        r.unchanged
                    );
                    Ok(ExitCode::SUCCESS)
                }
                Err(ServiceError::Invalid(fields)) => {
                    for f in fields {
                        eprintln!("{}: {} ({})", file.display(), f.message, f.message_en);
                    }
                    eprintln!("nothing was imported");
                    Ok(ExitCode::from(2))
                }
                Err(e) => Err(service_error(e)),
            }
        }
        CalendarCommand::Show { year } => {
            // The calendar is Chinese national data: "this year" is the year in Beijing.
            let year = year.unwrap_or_else(|| (Utc::now() + chrono::Duration::hours(8)).year());
            let cal = calendar::current(svc).await.map_err(service_error)?;
            let days = calendar::list(svc, year).await.map_err(service_error)?;
            if cal.covers(year) {
                println!("{year}: holiday arrangement loaded");
            } else {
                println!(
                    "{year}: holiday arrangement NOT loaded ({year}年节假日安排尚未录入, 按周末计算)"
                );
            }
            for d in &days {
                println!(
                    "{}  {}  {}  {}",
                    d.day.date,
                    weekday_zh(d.day.date),
                    d.day.kind.mark(),
                    d.day.name
                );
            }
            let (Some(first), Some(last)) = (
                NaiveDate::from_ymd_opt(year, 1, 1),
                NaiveDate::from_ymd_opt(year, 12, 31),
            ) else {
                anyhow::bail!("year {year} is out of range");
            };
            let pred = first.pred_opt().context("year out of range")?;
            println!(
                "{} listed days; {} working days in {year}",
                days.len(),
                cal.working_days_between(pred, last)
            );
            Ok(ExitCode::SUCCESS)
        }
    }
}
