//! `lianjian sharing …` (alias `exchange`, the wording): this instance's public key,
//! verifying a message log (the database's, or an exported file offline), exporting it, the
//! latest audit checkpoint received from a lower instance, and a nats-server configuration with
//! per-instance permissions. Exit codes: 0 intact, 3 tampered (naming the row), 2 bad input.

use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, anyhow};
use clap::Subcommand;
use lianjian_domain::evidence::PublicKey;
use lianjian_domain::sharing::{LogRow, verify_log};
use lianjian_services::Services;
use lianjian_services::sharing::{self, flow, link};

use crate::service_error;

#[derive(Subcommand)]
pub enum SharingCommand {
    /// Print this instance's Ed25519 public key (its peers' `[[sharing.peers]] public_key`).
    Key,
    /// Verify a message log: every row's hash and link and every message's signature. Without
    /// FILE, this instance's log; with FILE (from `sharing export-log`), offline.
    Verify {
        /// An exported message log (one JSON row a line)
        file: Option<PathBuf>,
        /// A sender's public key, INSTANCE=HEX (repeatable); with the database, the configured
        /// peers' keys are used
        #[arg(long = "key", value_name = "INSTANCE=HEX")]
        keys: Vec<String>,
    },
    /// Write the message log, one JSON row a line, to FILE or standard output.
    ExportLog {
        #[arg(short = 'o', long = "output", value_name = "FILE")]
        output: Option<PathBuf>,
    },
    /// Write the latest audit checkpoint received from INSTANCE (JSON), for `lianjian audit
    /// verify --since FILE --key HEX` against that instance's database.
    Checkpoint {
        #[arg(long = "from", value_name = "INSTANCE")]
        from: String,
        #[arg(short = 'o', long = "output", value_name = "FILE")]
        output: Option<PathBuf>,
    },
    /// Print a nats-server configuration: JetStream, one user per instance, each allowed only
    /// its own subjects (docs/sharing.md).
    NatsConfig {
        #[arg(long, default_value_t = 4222)]
        port: u16,
        #[arg(long, value_name = "DIR")]
        store_dir: PathBuf,
        /// INSTANCE=PASSWORD (repeatable)
        #[arg(long = "user", value_name = "INSTANCE=PASSWORD", required = true)]
        users: Vec<String>,
    },
}

/// Commands that need no database.
pub fn offline(action: &SharingCommand) -> Option<anyhow::Result<ExitCode>> {
    match action {
        SharingCommand::Verify {
            file: Some(f),
            keys,
        } => Some(verify_file(f, keys)),
        SharingCommand::NatsConfig {
            port,
            store_dir,
            users,
        } => Some(nats_config(*port, store_dir, users)),
        _ => None,
    }
}

fn parse_keys(keys: &[String]) -> anyhow::Result<Vec<(String, PublicKey)>> {
    keys.iter()
        .map(|k| {
            let (id, hex) = k
                .split_once('=')
                .ok_or_else(|| anyhow!("--key {k}: expected INSTANCE=HEX"))?;
            let pk = PublicKey::from_hex(hex.trim()).map_err(|e| anyhow!("--key {id}: {e}"))?;
            Ok((id.trim().to_string(), pk))
        })
        .collect()
}

fn report(r: Result<u64, lianjian_domain::sharing::LogTamper>, keys: usize) -> ExitCode {
    match r {
        Ok(n) => {
            println!("message log intact: {n} rows (signatures checked with {keys} keys)");
            ExitCode::SUCCESS
        }
        Err(t) => {
            eprintln!("message log TAMPERED: {t}");
            ExitCode::from(3)
        }
    }
}

fn verify_file(path: &Path, keys: &[String]) -> anyhow::Result<ExitCode> {
    let keys = match parse_keys(keys) {
        Ok(k) => k,
        Err(e) => {
            eprintln!("{e}");
            return Ok(ExitCode::from(2));
        }
    };
    let f = std::fs::File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
    let mut rows = Vec::new();
    for (i, line) in std::io::BufReader::new(f).lines().enumerate() {
        let line = line.with_context(|| format!("{}: line {}", path.display(), i + 1))?;
        if line.trim().is_empty() {
            continue;
        }
        match serde_json::from_str::<LogRow>(&line) {
            Ok(r) => rows.push(r),
            Err(e) => {
                eprintln!("{}: line {}: {e}", path.display(), i + 1);
                return Ok(ExitCode::from(2));
            }
        }
    }
    let find = |id: &str| keys.iter().find(|(k, _)| k == id).map(|(_, p)| *p);
    Ok(report(verify_log(rows, &find), keys.len()))
}

fn nats_config(port: u16, dir: &Path, users: &[String]) -> anyhow::Result<ExitCode> {
    let users = users
        .iter()
        .map(|u| {
            let (id, pw) = u
                .split_once('=')
                .ok_or_else(|| anyhow!("--user {u}: expected INSTANCE=PASSWORD"))?;
            let instance = lianjian_domain::sharing::instance_id(id)
                .map_err(|e| anyhow!("--user: {}", e.en))?;
            Ok(link::NatsUser {
                instance,
                password: pw.to_string(),
            })
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    print!("{}", link::server_config(port, dir, &users));
    Ok(ExitCode::SUCCESS)
}

fn write_out(output: Option<&Path>, text: &str) -> anyhow::Result<()> {
    match output {
        Some(p) => std::fs::write(p, text).with_context(|| format!("cannot write {}", p.display())),
        None => std::io::stdout()
            .write_all(text.as_bytes())
            .context("standard output"),
    }
}

pub async fn run(svc: &Services, action: SharingCommand) -> anyhow::Result<ExitCode> {
    match action {
        SharingCommand::Key => {
            println!(
                "{}",
                sharing::public_key(svc).map_err(service_error)?.to_hex()
            );
            Ok(ExitCode::SUCCESS)
        }
        SharingCommand::Verify { file: None, keys } => {
            let mut all = match parse_keys(&keys) {
                Ok(k) => k,
                Err(e) => {
                    eprintln!("{e}");
                    return Ok(ExitCode::from(2));
                }
            };
            if svc.sharing.config().is_some() {
                all.extend(flow::keys(svc).map_err(service_error)?);
            }
            let rows = flow::all_rows(svc.store.conn())
                .await
                .map_err(service_error)?;
            let find = |id: &str| all.iter().find(|(k, _)| k == id).map(|(_, p)| *p);
            Ok(report(verify_log(rows, &find), all.len()))
        }
        SharingCommand::ExportLog { output } => {
            let rows = flow::all_rows(svc.store.conn())
                .await
                .map_err(service_error)?;
            let mut text = String::new();
            for r in rows {
                text.push_str(&serde_json::to_string(&r)?);
                text.push('\n');
            }
            write_out(output.as_deref(), &text)?;
            Ok(ExitCode::SUCCESS)
        }
        SharingCommand::Checkpoint { from, output } => {
            match flow::received_checkpoint(svc, &from)
                .await
                .map_err(service_error)?
            {
                Some(cp) => {
                    write_out(output.as_deref(), &format!("{}\n", cp.to_json_pretty()))?;
                    Ok(ExitCode::SUCCESS)
                }
                None => {
                    eprintln!("no audit checkpoint received from {from}");
                    Ok(ExitCode::from(2))
                }
            }
        }
        SharingCommand::Verify { file: Some(_), .. } | SharingCommand::NatsConfig { .. } => {
            unreachable!("handled by offline()")
        }
    }
}
