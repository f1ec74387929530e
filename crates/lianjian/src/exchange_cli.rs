//! `lianjian template` and `lianjian import`: Excel files for the directory (监管对象), the
//! item list (事项), the inspector pool (检查人员), credit entries, approval results (审批结果) and IoT devices (物联设备), run as the console actor (`cli_actor`).

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Context, anyhow};
use indicatif::{ProgressBar, ProgressStyle};
use std::io::IsTerminal;

use lianjian_services::exchange::jobs::{self, ImportJobStatus, JobOptions};
use lianjian_services::exchange::{self, ImportOutcome, Phase, Progress};
use lianjian_services::{ServiceError, Services, cli_actor};

/// Exit code of an import that saved nothing because the file has errors.
pub const EXIT_INVALID_FILE: u8 = 2;

#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// 监管对象名录 (the directory)
    Entities,
    /// 监管事项清单 (the item list)
    Items,
    /// 执法检查人员库 (the inspector pool)
    Inspectors,
    /// 信用记录 (penalties, listings, commendations)
    Credit,
    /// 审批结果 (approval results handed over to the supervising departments, 审管衔接)
    Licences,
    /// 物联设备 (the IoT device registry)
    Devices,
}

/// Writes the empty import template of `kind` to `file`.
pub fn template(kind: Kind, file: &Path) -> anyhow::Result<ExitCode> {
    let bytes = match kind {
        Kind::Entities => exchange::entity_template(),
        Kind::Items => exchange::item_template(),
        // No database here: the department column is free text (the console's template offers
        // the departments of the user's region as a drop-down list).
        Kind::Inspectors => exchange::inspector_template(&[]),
        Kind::Credit => exchange::credit::template(),
        Kind::Licences => exchange::licensing::template(),
        Kind::Devices => exchange::devices::template(),
    };
    std::fs::write(file, bytes).with_context(|| format!("cannot write {}", file.display()))?;
    println!("已写入导入模板 {} (template written)", file.display());
    Ok(ExitCode::SUCCESS)
}

/// `<dir>/<stem>.errors.xlsx` next to the input file.
pub fn error_report_path(input: &Path) -> PathBuf {
    let stem = input
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "import".into());
    input.with_file_name(format!("{stem}.errors.xlsx"))
}

fn bar_style(phase: Phase) -> ProgressStyle {
    let label = match phase {
        Phase::Checking => "检查",
        Phase::Saving => "导入",
        Phase::Undoing => "撤销",
    };
    ProgressStyle::with_template(&format!(
        "{label} [{{bar:40}}] {{pos}}/{{len}} ({{per_sec}}, 剩余 {{eta}})"
    ))
    .unwrap_or_else(|_| ProgressStyle::default_bar())
    .progress_chars("=> ")
}

/// Imports `file` into the database of `svc`, with a progress bar on the terminal (a line per
/// written chunk otherwise). Exits with [`EXIT_INVALID_FILE`] when the file has errors and
/// nothing was imported. A directory file is written by an import job: an earlier job whose
/// process was killed is undone first ([`recover`]).
pub async fn import(
    svc: &Services,
    kind: Kind,
    file: &Path,
    skip_invalid: bool,
) -> anyhow::Result<ExitCode> {
    let bytes = std::fs::read(file).with_context(|| format!("cannot read {}", file.display()))?;
    let bar = ProgressBar::new_spinner();
    bar.set_message(format!("读取 {} …", file.display()));
    bar.enable_steady_tick(Duration::from_millis(120));
    let phase = std::sync::Mutex::new(None::<Phase>);
    // Without a terminal (a log, a pipe) the bar is hidden: one line per written chunk instead.
    let lines = !std::io::stdout().is_terminal();
    let progress = |p: Progress| {
        if lines {
            match p.phase {
                Phase::Saving => println!("写入 {}/{} (written)", p.done, p.total),
                Phase::Undoing => println!("撤销 {}/{} (undone)", p.done, p.total),
                Phase::Checking => {}
            }
        }
        let mut current = phase.lock().unwrap_or_else(|e| e.into_inner());
        if *current != Some(p.phase) {
            *current = Some(p.phase);
            bar.disable_steady_tick();
            bar.set_style(bar_style(p.phase));
            bar.reset();
            bar.set_length(p.total);
        }
        bar.set_position(p.done);
    };
    let actor = cli_actor();
    let result = match kind {
        Kind::Entities => {
            let name = file
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            match exchange::check_entities(svc, &actor, &name, &bytes, skip_invalid, &progress)
                .await
            {
                Ok(checked) => {
                    if !checked.job.status.is_final() {
                        bar.println(format!(
                            "导入任务 {}：校验通过 {} 个主体，分批写入 (import job; checked, writing in chunks)",
                            checked.job.id, checked.job.valid
                        ));
                        if lines {
                            println!("导入任务 {} (import job)", checked.job.id);
                        }
                    }
                    jobs::write_entities(svc, &actor, checked, &JobOptions::from_env(), &progress)
                        .await
                        .map(|(_, o)| o)
                }
                Err(e) => Err(e),
            }
        }
        Kind::Items => exchange::import_items(svc, &actor, &bytes, skip_invalid, &progress).await,
        Kind::Inspectors => {
            exchange::import_inspectors(svc, &actor, &bytes, skip_invalid, &progress).await
        }
        Kind::Credit => {
            exchange::credit::import(svc, &actor, &bytes, skip_invalid, &progress).await
        }
        Kind::Licences => {
            exchange::licensing::import(svc, &actor, &bytes, skip_invalid, &progress).await
        }
        Kind::Devices => {
            exchange::devices::import(svc, &actor, &bytes, skip_invalid, &progress).await
        }
    };
    bar.finish_and_clear();
    let outcome = match result {
        Ok(o) => o,
        Err(ServiceError::Invalid(fields)) if fields.iter().any(|f| f.field == "file") => {
            let f = &fields[0];
            return Err(anyhow!(
                "{}: {} ({})",
                file.display(),
                f.message,
                f.message_en
            ));
        }
        Err(e) => return Err(crate::service_error(e)),
    };
    report(kind, file, skip_invalid, &outcome)
}

fn report(
    kind: Kind,
    file: &Path,
    skip_invalid: bool,
    o: &ImportOutcome,
) -> anyhow::Result<ExitCode> {
    let what = match kind {
        Kind::Entities => "个主体",
        Kind::Items => "个事项",
        Kind::Inspectors => "名人员",
        Kind::Credit => "条信用记录",
        Kind::Licences => "条审批结果",
        Kind::Devices => "台设备",
    };
    for e in &o.errors {
        println!("{e}");
    }
    if !o.errors.is_empty() {
        println!("共 {} 处错误 ({} errors)", o.errors.len(), o.errors.len());
    }
    let r = &o.report;
    let mut line = format!(
        "新增 {}，更新 {}，未变 {}",
        r.inserted, r.updated, r.unchanged
    );
    if kind == Kind::Entities {
        line.push_str(&format!("，双告知推送 {}", r.claims_created));
    }
    if o.skipped > 0 {
        line.push_str(&format!("，因错误未导入 {}{what}", o.skipped));
    }
    println!(
        "{line} (inserted {}, updated {}, unchanged {}, skipped {})",
        r.inserted, r.updated, r.unchanged, o.skipped
    );
    if let Some(bytes) = &o.error_report {
        let path = error_report_path(file);
        std::fs::write(&path, bytes).with_context(|| format!("cannot write {}", path.display()))?;
        println!(
            "错误报告已写入 {}：改正后可直接再次导入 (error report written)",
            path.display()
        );
    }
    if !o.errors.is_empty() && o.processed() == 0 {
        if skip_invalid {
            eprintln!("未导入任何数据：每一行都有错误 (nothing imported: every row has errors)");
        } else {
            eprintln!(
                "未导入任何数据：请改正以上错误后重新导入，或加 --skip-invalid 只导入正确的行 (nothing imported; fix the errors, or use --skip-invalid)"
            );
        }
        return Ok(ExitCode::from(EXIT_INVALID_FILE));
    }
    Ok(ExitCode::SUCCESS)
}

/// Finishes off import jobs whose process is gone (`exchange::jobs::recover`), saying so.
pub async fn recover(svc: &Services) -> anyhow::Result<()> {
    for j in jobs::recover(svc).await.map_err(crate::service_error)? {
        match j.status {
            ImportJobStatus::RolledBack => println!(
                "已撤销中断的导入任务 {}：撤回 {} 个主体，名录恢复到导入前 (interrupted import job undone)",
                j.id, j.undone
            ),
            _ => println!(
                "已结束中断的导入任务 {}（尚未写入任何数据）(interrupted import job closed)",
                j.id
            ),
        }
    }
    Ok(())
}
