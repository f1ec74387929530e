//! `lianjian evidence proof` and `lianjian evidence verify` as the real binary: a file stored
//! through the service, its proof written from the database, verified offline, then altered —
//! the file by one byte, the proof in its path, its signature, its key — on SQLite and, when
//! `LIANJIAN_TEST_POSTGRES_URL` is set, PostgreSQL.

use crate::common;

use std::path::Path;

use lianjian_domain::evidence::example;
use lianjian_services::{Services, cli_actor, evidence};
use lianjian_store::Store;

/// A database URL that cannot work proves that `verify` does not open one.
fn verify(file: &Path, proof: &Path, key: Option<&str>) -> (i32, String, String) {
    let mut args = vec![
        "evidence",
        "verify",
        file.to_str().unwrap(),
        proof.to_str().unwrap(),
    ];
    if let Some(k) = key {
        args.extend(["--key", k]);
    }
    common::run(
        &args,
        &[(
            "LIANJIAN_DATABASE_URL",
            "postgres://nobody@127.0.0.1:1/none",
        )],
    )
}

async fn stored_proof_verifies_then_altered_fails(url: &str, dir: &Path) {
    // Store two files through the service, as the server does.
    let store = Store::connect_and_migrate(url).await.unwrap();
    let svc = Services::new(store, Default::default()).with_evidence(evidence::EvidenceConfig {
        dir: dir.join("evidence"),
        ..Default::default()
    });
    let photo = b"\xff\xd8\xff\xe0\0\x10JFIF\0 a photo taken at the inspection".to_vec();
    let scan = b"%PDF-1.7\n% the signed inspection record\n".to_vec();
    let e = evidence::add(
        &svc,
        &cli_actor(),
        evidence::Upload {
            filename: "现场.jpg".into(),
            media_type: Some("image/jpeg".into()),
            bytes: photo.clone(),
        },
    )
    .await
    .unwrap();
    evidence::add(
        &svc,
        &cli_actor(),
        evidence::Upload {
            filename: "记录.pdf".into(),
            media_type: None,
            bytes: scan,
        },
    )
    .await
    .unwrap();
    let public_key = evidence::checkpoint(&svc)
        .await
        .unwrap()
        .public_key
        .to_hex();
    svc.store.close().await.unwrap();

    // `evidence proof` writes the proof from the database.
    let file = dir.join("现场.jpg");
    std::fs::write(&file, &photo).unwrap();
    let proof = dir.join("proof.json");
    let (code, out, err) = common::run(
        &[
            "evidence",
            "proof",
            &e.sha256.to_uppercase(),
            "-o",
            proof.to_str().unwrap(),
            "--database-url",
            url,
        ],
        &[],
    );
    assert_eq!(code, 0, "{out}{err}");
    let (code, stdout, err) = common::run(
        &["evidence", "proof", &e.sha256, "--database-url", url],
        &[],
    );
    assert_eq!(code, 0, "{err}");
    assert_eq!(stdout, std::fs::read_to_string(&proof).unwrap());
    let (code, _, err) = common::run(
        &["evidence", "proof", &"ab".repeat(32), "--database-url", url],
        &[],
    );
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("no evidence with SHA-256"), "{err}");

    // Verified offline, with and without the trusted key.
    let (code, out, err) = verify(&file, &proof, None);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("证据核验通过 / evidence verified"), "{out}");
    assert!(out.contains(&e.sha256), "{out}");
    assert!(
        out.contains("leaf index      0 / 树大小 tree size 2"),
        "{out}"
    );
    assert!(out.contains("no --key given"), "{out}");
    let (code, out, err) = verify(&file, &proof, Some(&public_key));
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("signed by the trusted key"), "{out}");

    // One byte of the file altered: exit 3 naming the file hash.
    let mut altered = photo.clone();
    altered[20] ^= 0x20;
    let bad_file = dir.join("altered.jpg");
    std::fs::write(&bad_file, &altered).unwrap();
    let (code, _, err) = verify(&bad_file, &proof, None);
    assert_eq!(code, 3, "{err}");
    assert!(
        err.contains("evidence does NOT verify") && err.contains("file hash differs"),
        "{err}"
    );

    // The proof altered: a hash of the inclusion path, the signature, the root, the key.
    let v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&proof).unwrap()).unwrap();
    let write = |name: &str, v: &serde_json::Value| {
        let p = dir.join(name);
        std::fs::write(&p, v.to_string()).unwrap();
        p
    };
    let flip = |s: &str| {
        let mut b = s.as_bytes().to_vec();
        b[0] = if b[0] == b'0' { b'1' } else { b'0' };
        String::from_utf8(b).unwrap()
    };
    let mut w = v.clone();
    w["audit_path"][0] = flip(w["audit_path"][0].as_str().unwrap()).into();
    let (code, _, err) = verify(&file, &write("path.json", &w), None);
    assert_eq!(code, 3, "{err}");
    assert!(err.contains("inclusion proof does NOT verify"), "{err}");
    let mut w = v.clone();
    w["checkpoint"]["signature"] = flip(w["checkpoint"]["signature"].as_str().unwrap()).into();
    let (code, _, err) = verify(&file, &write("sig.json", &w), None);
    assert_eq!(code, 3, "{err}");
    assert!(
        err.contains("checkpoint signature does NOT verify"),
        "{err}"
    );
    let mut w = v.clone();
    w["checkpoint"]["root_hash"] = flip(w["checkpoint"]["root_hash"].as_str().unwrap()).into();
    let (code, _, err) = verify(&file, &write("root.json", &w), None);
    assert_eq!(code, 3, "{err}");
    assert!(err.contains("signature does NOT verify"), "{err}");
    let mut w = v.clone();
    w["leaf_index"] = 1.into();
    let (code, _, err) = verify(&file, &write("index.json", &w), None);
    assert_eq!(code, 3, "{err}");
    // Another platform's key (the example's) is not the trusted one.
    let other = example::key().verifying_key();
    let (code, _, err) = verify(&file, &proof, Some(&hex_of(other.as_bytes())));
    assert_eq!(code, 3, "{err}");
    assert!(err.contains("not signed by the trusted key"), "{err}");

    // Unreadable: exit 2 naming the JSON path, the file or the key.
    let mut w = v.clone();
    w["entry"]["size"] = "many".into();
    let (code, _, err) = verify(&file, &write("bad.json", &w), None);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("entry.size"), "{err}");
    let (code, _, err) = verify(&dir.join("missing.jpg"), &proof, None);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("cannot read the evidence file"), "{err}");
    let (code, _, err) = verify(&file, &proof, Some("xyz"));
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("--key"), "{err}");
}

fn hex_of(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

#[tokio::test]
async fn evidence_cli_on_sqlite() {
    let dir = common::temp_dir("evidence-cli");
    let url = format!("sqlite://{}/lianjian.db", dir.display());
    stored_proof_verifies_then_altered_fails(&url, &dir).await;
}

#[tokio::test]
async fn evidence_cli_on_postgres() {
    let Some(base) = std::env::var(lianjian_store::testing::POSTGRES_ENV)
        .ok()
        .filter(|u| !u.trim().is_empty())
    else {
        eprintln!("skipped: LIANJIAN_TEST_POSTGRES_URL is not set");
        return;
    };
    let url = lianjian_store::testing::fresh_postgres_database(&base)
        .await
        .unwrap();
    let dir = common::temp_dir("evidence-cli-pg");
    stored_proof_verifies_then_altered_fails(&url, &dir).await;
}

#[test]
fn the_documented_example_verifies() {
    let dir = common::temp_dir("evidence-example");
    let file = dir.join("photo.png");
    std::fs::write(&file, &example::files()[0]).unwrap();
    let proof = dir.join("proof.json");
    std::fs::write(&proof, example::proof(0).to_json_pretty()).unwrap();
    let key = hex_of(example::key().verifying_key().as_bytes());
    let (code, out, err) = verify(&file, &proof, Some(&key));
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("example.lianjian/evidence"), "{out}");

    // What docs/evidence.md forbids is unreadable (exit 2), not quietly accepted: an unknown
    // field inside the checkpoint, upper-case hex, an origin with surrounding space.
    let v: serde_json::Value = serde_json::from_str(&example::proof(0).to_json_pretty()).unwrap();
    let mut extra = v.clone();
    extra["checkpoint"]["comment"] = "added".into();
    let mut upper = v.clone();
    let root = upper["checkpoint"]["root_hash"]
        .as_str()
        .unwrap()
        .to_uppercase();
    upper["checkpoint"]["root_hash"] = root.into();
    let mut origin = v.clone();
    origin["checkpoint"]["origin"] = "example.lianjian/evidence ".into();
    for (name, w) in [("extra", extra), ("upper", upper), ("origin", origin)] {
        let p = dir.join(format!("{name}.json"));
        std::fs::write(&p, w.to_string()).unwrap();
        let (code, out, err) = verify(&file, &p, Some(&key));
        assert_eq!(code, 2, "{name}: {out}{err}");
        assert!(err.contains("checkpoint"), "{name}: {err}");
    }
}
