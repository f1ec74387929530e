//! `lianjian evidence verify FILE PROOF.json`: checks an evidence file against its proof with no
//! database and no network, so that a department receiving evidence from another can rely on
//! it without trusting the sender's database (证据互认, 国办发〔2023〕1号 (十五)).
//! `lianjian evidence proof SHA256` writes a stored file's proof from the database.

use std::path::Path;
use std::process::ExitCode;

use lianjian_domain::evidence::{ProofDocument, PublicKey, verify_with_key};
use lianjian_services::{Services, cli_actor, evidence};

/// The files cannot be read, the proof is not a proof, or `--key` is not a key.
pub const EXIT_UNREADABLE: u8 = 2;
/// The file or the proof does not check out.
pub const EXIT_MISMATCH: u8 = 3;

pub fn verify(file: &Path, proof: &Path, key: Option<&str>) -> ExitCode {
    let unreadable = |msg: String| {
        eprintln!("{msg}");
        ExitCode::from(EXIT_UNREADABLE)
    };
    let trusted = match key.map(PublicKey::from_hex).transpose() {
        Ok(k) => k,
        Err(e) => return unreadable(format!("--key 不是有效的 Ed25519 公钥 / --key: {e}")),
    };
    let bytes = match std::fs::read(file) {
        Ok(b) => b,
        Err(e) => {
            return unreadable(format!(
                "无法读取证据文件 {} / cannot read the evidence file: {e}",
                file.display()
            ));
        }
    };
    let text = match std::fs::read(proof) {
        Ok(b) => b,
        Err(e) => {
            return unreadable(format!(
                "无法读取证明文件 {} / cannot read the proof: {e}",
                proof.display()
            ));
        }
    };
    let doc = match ProofDocument::from_json(&text) {
        Ok(d) => d,
        Err(e) => {
            return unreadable(format!(
                "证明文件格式错误 / not a valid evidence proof: {} at {}: {}",
                proof.display(),
                e.path,
                e.message
            ));
        }
    };
    match verify_with_key(&bytes, &doc, trusted.as_ref()) {
        Ok(s) => {
            println!("证据核验通过 / evidence verified: {}", file.display());
            println!("  文件哈希 file sha256     {}", s.sha256);
            println!(
                "  大小与类型 size, type    {} 字节 bytes, {}",
                s.size, s.media_type
            );
            println!("  登记时间 appended at     {}", s.appended_at);
            println!(
                "  日志位置 leaf index      {} / 树大小 tree size {}",
                s.leaf_index, s.tree_size
            );
            println!("  根哈希 root hash         {}", s.root_hash);
            println!(
                "  检查点 checkpoint        {} @ {}",
                s.origin, s.checkpoint_time
            );
            println!(
                "  签名公钥 signing key     {} ({})",
                s.key_fingerprint, s.public_key
            );
            if trusted.is_some() {
                println!(
                    "  签名公钥为指定的受信任公钥 / signed by the trusted key given with --key"
                );
            } else {
                println!(
                    "  注意：未指定 --key，请将公钥指纹与签发部门公布的指纹核对 / no --key given: \
                     compare the key fingerprint with the one the issuing platform publishes"
                );
            }
            ExitCode::SUCCESS
        }
        Err(m) => {
            eprintln!("证据核验失败 / evidence does NOT verify: {m}");
            ExitCode::from(EXIT_MISMATCH)
        }
    }
}

/// Writes the proof of the stored file with this SHA-256 to `out` (stdout when `None`).
pub async fn proof(svc: &Services, sha256: &str, out: Option<&Path>) -> anyhow::Result<ExitCode> {
    let doc = evidence::proof(svc, &cli_actor(), sha256)
        .await
        .map_err(|e| match e {
            lianjian_services::ServiceError::NotFound => anyhow::anyhow!(
                "no evidence with SHA-256 {} / 没有该哈希的证据",
                sha256.trim()
            ),
            other => crate::service_error(other),
        })?;
    let json = doc.to_json_pretty();
    match out {
        Some(p) => {
            std::fs::write(p, format!("{json}\n"))
                .map_err(|e| anyhow::anyhow!("cannot write {}: {e}", p.display()))?;
            eprintln!(
                "wrote the proof of {} (leaf {} of {}) to {}",
                doc.entry.sha256,
                doc.leaf_index,
                doc.tree_size,
                p.display()
            );
        }
        None => println!("{json}"),
    }
    Ok(ExitCode::SUCCESS)
}
