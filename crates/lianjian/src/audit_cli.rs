//! `lianjian audit …`: verify the hash chain (optionally against a kept checkpoint), make and
//! export signed checkpoints, reconcile the sealed tables with their after-images.
//! Exit codes: 0 intact / clean, 3 tampered (naming what), 2 a checkpoint that cannot be used.

use std::path::Path;
use std::process::ExitCode;

use anyhow::Context;
use lianjian_domain::audit::SignedAuditCheckpoint;
use lianjian_domain::evidence::PublicKey;
use lianjian_services::{Services, audit_log, cli_actor};

use crate::service_error;

/// `audit verify [--since FILE] [--key HEX]`.
pub async fn verify(
    svc: &Services,
    since: Option<&Path>,
    key: Option<&str>,
) -> anyhow::Result<ExitCode> {
    let actor = cli_actor();
    let r = match since {
        None => audit_log::verify(svc, &actor).await,
        Some(path) => {
            let cp = match read_checkpoint(path) {
                Ok(cp) => cp,
                Err(msg) => {
                    eprintln!("unusable checkpoint {}: {msg}", path.display());
                    return Ok(ExitCode::from(2));
                }
            };
            let trusted = match key.map(PublicKey::from_hex).transpose() {
                Ok(k) => k,
                Err(msg) => {
                    eprintln!("--key: {msg}");
                    return Ok(ExitCode::from(2));
                }
            };
            if let Some(p) = audit_log::anchor_problem(svc, &cp, trusted).map_err(service_error)? {
                eprintln!("unusable checkpoint {}: {p}", path.display());
                return Ok(ExitCode::from(2));
            }
            audit_log::verify_since(svc, &actor, &cp).await
        }
    };
    match r.map_err(service_error)? {
        Ok(v) => {
            println!(
                "audit log intact: {} entries, last #{}, head {}",
                v.entries, v.last_seq, v.head_hash
            );
            if let Some(path) = since {
                println!("  and it extends the checkpoint in {}", path.display());
            }
            Ok(ExitCode::SUCCESS)
        }
        Err(t) => {
            eprintln!("audit log TAMPERED: {t}");
            Ok(ExitCode::from(3))
        }
    }
}

fn read_checkpoint(path: &Path) -> Result<SignedAuditCheckpoint, String> {
    let bytes = std::fs::read(path).map_err(|e| format!("cannot read it: {e}"))?;
    SignedAuditCheckpoint::from_json(&bytes).map_err(|e| e.to_string())
}

/// `audit checkpoint [-o FILE] [--list]`: sign the current head now and write the checkpoint
/// (JSON) to FILE or standard output; with `--list`, the stored checkpoints, newest first, one
/// JSON object a line.
pub async fn checkpoint(
    svc: &Services,
    output: Option<&Path>,
    list: bool,
) -> anyhow::Result<ExitCode> {
    let text = if list {
        let all = audit_log::checkpoints(svc, &cli_actor(), u64::MAX >> 1)
            .await
            .map_err(service_error)?;
        all.iter()
            .map(|c| serde_json::to_string(c).expect("checkpoints serialise") + "\n")
            .collect::<String>()
    } else {
        let cp = audit_log::make_checkpoint(svc)
            .await
            .map_err(service_error)?;
        eprintln!(
            "signed audit checkpoint: {} entries, head {}, key {}",
            cp.size,
            cp.head_hash,
            cp.public_key.fingerprint()
        );
        cp.to_json_pretty() + "\n"
    };
    match output {
        Some(p) => {
            std::fs::write(p, text).with_context(|| format!("cannot write {}", p.display()))?
        }
        None => print!("{text}"),
    }
    Ok(ExitCode::SUCCESS)
}

/// `audit reconcile`: exit 0 when every sealed row is its last after-image, 3 with the list.
pub async fn reconcile(svc: &Services) -> anyhow::Result<ExitCode> {
    let findings = audit_log::reconcile(svc, &cli_actor())
        .await
        .map_err(service_error)?;
    if findings.is_empty() {
        println!(
            "reconciled: every row of the sealed tables matches its audit record / 业务数据与审计记录一致"
        );
        return Ok(ExitCode::SUCCESS);
    }
    println!(
        "{} row(s) changed outside the application / {} 行数据系绕过系统改动:",
        findings.len(),
        findings.len()
    );
    for f in &findings {
        println!("{f}");
    }
    Ok(ExitCode::from(3))
}
