//! Evidence mutual recognition (证据互认) through the real router, on SQLite always and on
//! PostgreSQL when `LIANJIAN_TEST_POSTGRES_URL` is set: uploads stored once by content, proofs
//! that verify offline and stop verifying once the file or proof is altered, refused uploads
//! that name the file and the limit and leave nothing behind, scoped and audited reads.

use crate::common::*;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use http_body_util::BodyExt;
use lianjian_domain::evidence::{self as ev, ConsistencyProof, Mismatch, ProofDocument};
use lianjian_domain::region::RegionCode;
use lianjian_services::evidence;
use serde_json::Value;
use tower::ServiceExt;
use uuid::Uuid;

fn png(tag: &str) -> Vec<u8> {
    let mut v = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec();
    v.extend(format!("test photo {tag}").as_bytes());
    v
}

fn jpeg(tag: &str) -> Vec<u8> {
    let mut v = b"\xff\xd8\xff\xe0\0\x10JFIF\0".to_vec();
    v.extend(format!("test photo {tag}").as_bytes());
    v
}

/// A multipart body with one `file` part.
fn form(name: &str, content_type: Option<&str>, bytes: &[u8]) -> (String, Vec<u8>) {
    let b = "----lianjianevidence";
    let mut body = Vec::new();
    body.extend(
        format!("--{b}\r\nContent-Disposition: form-data; name=\"note\"\r\n\r\nignored\r\n")
            .as_bytes(),
    );
    body.extend(
        format!("--{b}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\n")
            .as_bytes(),
    );
    if let Some(ct) = content_type {
        body.extend(format!("Content-Type: {ct}\r\n").as_bytes());
    }
    body.extend(b"\r\n");
    body.extend(bytes);
    body.extend(format!("\r\n--{b}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={b}"), body)
}

impl App {
    async fn upload(&self, token: &str, name: &str, ct: Option<&str>, bytes: &[u8]) -> Resp {
        let (ctype, body) = form(name, ct, bytes);
        let req = Request::builder()
            .method("POST")
            .uri("/api/v1/evidence")
            .header(header::AUTHORIZATION, format!("Bearer {token}"))
            .header(header::CONTENT_TYPE, ctype)
            .body(Body::from(body))
            .unwrap();
        self.send(req).await
    }

    async fn raw(
        &self,
        path: &str,
        token: Option<&str>,
    ) -> (StatusCode, axum::http::HeaderMap, Vec<u8>) {
        let mut b = Request::builder().uri(path);
        if let Some(t) = token {
            b = b.header(header::AUTHORIZATION, format!("Bearer {t}"));
        }
        let r = self
            .router
            .clone()
            .oneshot(b.body(Body::empty()).unwrap())
            .await
            .unwrap();
        let (status, headers) = (r.status(), r.headers().clone());
        (
            status,
            headers,
            r.into_body().collect().await.unwrap().to_bytes().to_vec(),
        )
    }

    async fn proof_of(&self, token: &str, sha: &str) -> ProofDocument {
        let (status, _, body) = self
            .raw(&format!("/api/v1/evidence/{sha}/proof"), Some(token))
            .await;
        assert_eq!(status, StatusCode::OK, "{}", String::from_utf8_lossy(&body));
        ProofDocument::from_json(&body).unwrap()
    }

    async fn evidence_rows(&self) -> u64 {
        lianjian_store::evidence::tree_size(self.svc.store.conn())
            .await
            .unwrap()
    }

    /// Audit entries with this action about the files with these hashes.
    async fn audit_actions(&self, action: &str, shas: &[&str]) -> usize {
        let c = self.svc.store.conn();
        let mut k = 0;
        for sha in shas {
            k += lianjian_store::audit::of_object(c, "evidence", sha, 100)
                .await
                .unwrap()
                .iter()
                .filter(|e| e.action == action)
                .count();
        }
        k
    }

    /// Files under the evidence folder (not the key).
    fn stored_files(&self) -> Vec<std::path::PathBuf> {
        let mut out = Vec::new();
        let root = self.evidence_dir.path();
        if let Ok(rd) = std::fs::read_dir(root) {
            for d in rd.flatten() {
                if d.path().is_dir() {
                    for f in std::fs::read_dir(d.path()).unwrap().flatten() {
                        out.push(f.path());
                    }
                }
            }
        }
        out.sort();
        out
    }
}

on_both_backends!(
    template = DEMO, setup = app;
    stored_once_proved_verified_offline_then_altered,
    refused_uploads_name_the_file_and_leave_nothing,
    reads_are_scoped_audited_and_checked,
    links_record_each_use,
);

async fn stored_once_proved_verified_offline_then_altered(app: App) {
    let zhang = app.token("wy.zhang").await;
    let wang = app.token("wy.wang").await;
    let health = app.token("wy.health").await;

    // Before any evidence, the public checkpoint is the signed empty tree.
    let (status, _, body) = app.raw("/api/v1/public/evidence/checkpoint", None).await;
    assert_eq!(status, StatusCode::OK);
    let cp0: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(cp0["tree_size"], 0);
    assert_eq!(cp0["root_hash"], ev::merkle::empty_root().to_hex());

    let photo = png("1");
    let r = app
        .upload(&zhang, "现场照片1.png", Some("image/png"), &photo)
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let first = r.json();
    let sha = ev::sha256(&photo).to_hex();
    assert_eq!(first["sha256"], sha);
    assert_eq!(first["media_type"], "image/png");
    assert_eq!(first["leaf_index"], 0);
    assert_eq!(first["created"], true);

    // The same content from another department: the same record, no new leaf, one file.
    let r = app.upload(&wang, "IMG_0001.PNG", None, &photo).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.json()["id"], first["id"]);
    assert_eq!(r.json()["created"], false);
    assert_eq!(app.evidence_rows().await, 1);
    let files = app.stored_files();
    assert_eq!(files.len(), 1, "{files:?}");
    assert!(
        files[0].ends_with(format!("{}/{sha}", &sha[..2])),
        "{files:?}"
    );
    assert_eq!(std::fs::read(&files[0]).unwrap(), photo);

    // The signing key was made on first use, readable by its owner only.
    let key = app.evidence_dir.path().join("signing.key");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&key).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "{mode:o}");
    }

    // A second file; the first file's proof, fetched by another department, verifies offline.
    let other = jpeg("2");
    let r = app
        .upload(&wang, "检查记录.jpg", Some("image/jpeg"), &other)
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    assert_eq!(r.json()["leaf_index"], 1);
    let proof = app.proof_of(&health, &sha).await;
    assert_eq!(proof.tree_size, 2);
    let s = ev::verify(&photo, &proof).unwrap();
    assert_eq!((s.leaf_index, s.tree_size), (0, 2));
    assert_eq!(s.sha256.to_hex(), sha);

    // The public checkpoint is the one in the proof, with its key.
    let (_, _, body) = app.raw("/api/v1/public/evidence/checkpoint", None).await;
    let cp: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(cp["tree_size"], 2);
    assert_eq!(
        cp["root_hash"],
        proof.checkpoint.checkpoint.root_hash.to_hex()
    );
    assert_eq!(cp["public_key"], proof.checkpoint.public_key.to_hex());
    assert_eq!(cp["key_fingerprint"], s.key_fingerprint);
    assert_eq!(cp0["public_key"], cp["public_key"]);
    assert!(
        cp["signed_text"]
            .as_str()
            .unwrap()
            .starts_with("lianjian-evidence-checkpoint/1\nlianjian/evidence\n2\n")
    );

    // Altered: one byte of the file; one hash of the path; the signed root.
    let mut altered = photo.clone();
    altered[10] ^= 0x01;
    assert!(matches!(
        ev::verify(&altered, &proof),
        Err(Mismatch::FileHash { .. })
    ));
    let mut p = proof.clone();
    p.audit_path[0].0[0] ^= 0x80;
    assert!(matches!(
        ev::verify(&photo, &p),
        Err(Mismatch::Inclusion { .. })
    ));
    let mut p = proof.clone();
    p.checkpoint.checkpoint.root_hash.0[31] ^= 1;
    assert!(matches!(
        ev::verify(&photo, &p),
        Err(Mismatch::Signature { .. })
    ));

    // The log only grew: the empty, first and second checkpoints are consistent.
    for (a, b) in [(0, 2), (1, 2), (0, 1), (2, 2)] {
        let (status, _, body) = app
            .raw(
                &format!("/api/v1/public/evidence/consistency?first={a}&second={b}"),
                None,
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{}", String::from_utf8_lossy(&body));
        let c = ConsistencyProof::from_json(&body).unwrap();
        assert_eq!(c.verify(), Ok(()), "{a} → {b}");
    }
    let (status, _, _) = app
        .raw("/api/v1/public/evidence/consistency?first=1&second=7", None)
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _, _) = app
        .raw("/api/v1/public/evidence/consistency?first=x&second=1", None)
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);

    // The proof as a download.
    let (status, headers, _) = app
        .raw(
            &format!("/api/v1/evidence/{sha}/proof?download=1"),
            Some(&health),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let cd = headers[header::CONTENT_DISPOSITION].to_str().unwrap();
    assert!(cd.starts_with("attachment") && cd.contains(&sha), "{cd}");

    // Proofs need a sign-in; a bad hash is named; an unknown one is absent.
    assert_eq!(
        app.raw(&format!("/api/v1/evidence/{sha}/proof"), None)
            .await
            .0,
        StatusCode::UNAUTHORIZED
    );
    let r = app
        .api("GET", "/api/v1/evidence/xyz/proof", Some(&health), None)
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert_eq!(r.fields(), vec!["sha256"]);
    let r = app
        .api(
            "GET",
            &format!("/api/v1/evidence/{}/proof", "ab".repeat(32)),
            Some(&health),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);

    // Each new file is audited once, a repeat upload not at all; the audit chain holds.
    assert_eq!(
        app.audit_actions("evidence.add", &[&sha, &ev::sha256(&other).to_hex()])
            .await,
        2
    );
    let admin = app.token("admin").await;
    let v = app.get_json("/api/v1/audit/verify", &admin).await;
    assert_eq!(v["intact"], true, "{v}");
}

async fn refused_uploads_name_the_file_and_leave_nothing(app: App) {
    let zhang = app.token("wy.zhang").await;
    let leader = app.token("wy.leader").await;
    let audit_before = lianjian_store::audit::count(app.svc.store.conn())
        .await
        .unwrap();

    // One byte over the 10 MiB default.
    let mut big = png("big");
    big.resize(10 * 1024 * 1024 + 1, 0);
    let r = app
        .upload(&zhang, "大照片.png", Some("image/png"), &big)
        .await;
    assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE, "{}", r.body);
    let j = r.json();
    assert_eq!(j["error"]["details"][0]["field"], "file");
    assert_eq!(j["error"]["details"][0]["code"], "file_too_large");
    let msg = j["error"]["message"].as_str().unwrap();
    assert!(
        msg.contains("大照片.png") && msg.contains("10485761 字节") && msg.contains("10 MiB"),
        "{msg}"
    );
    let en = j["error"]["message_en"].as_str().unwrap();
    assert!(en.contains("over the evidence limit of 10 MiB"), "{en}");

    // Forbidden type, whatever the name and declared type say.
    let exe = b"MZ\x90\0\x03\0\0\0\x04\0\0\0".to_vec();
    let r = app
        .upload(&zhang, "照片.jpg", Some("image/jpeg"), &exe)
        .await;
    assert_eq!(r.status, StatusCode::UNSUPPORTED_MEDIA_TYPE, "{}", r.body);
    let j = r.json();
    assert_eq!(j["error"]["details"][0]["code"], "forbidden_type");
    let msg = j["error"]["message"].as_str().unwrap();
    assert!(msg.contains("照片.jpg") && msg.contains("PDF"), "{msg}");
    // A declared type the content contradicts.
    let r = app
        .upload(&zhang, "报告.pdf", Some("application/pdf"), &png("x"))
        .await;
    assert_eq!(r.status, StatusCode::UNSUPPORTED_MEDIA_TYPE, "{}", r.body);
    assert_eq!(r.json()["error"]["details"][0]["code"], "type_mismatch");
    // Empty, no file part, not multipart.
    let r = app.upload(&zhang, "空.png", None, b"").await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert_eq!(r.json()["error"]["details"][0]["code"], "empty_file");
    let r = app
        .api("POST", "/api/v1/evidence", Some(&zhang), Some("{}"))
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.body);
    // The read-only leader may not upload at all.
    let r = app.upload(&leader, "a.png", None, &png("leader")).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);

    // Nothing was stored, logged, signed or audited.
    assert_eq!(app.evidence_rows().await, 0);
    assert!(app.stored_files().is_empty(), "{:?}", app.stored_files());
    assert!(
        lianjian_store::evidence::latest_checkpoint(app.svc.store.conn())
            .await
            .unwrap()
            .is_none()
    );
    assert_eq!(
        lianjian_store::audit::count(app.svc.store.conn())
            .await
            .unwrap(),
        audit_before
    );

    // A smaller configured limit is the one named.
    let small = app.svc.clone().with_evidence(evidence::EvidenceConfig {
        dir: app.evidence_dir.path().to_path_buf(),
        max_bytes: 1000,
        ..Default::default()
    });
    let router = lianjian_http::router(lianjian_http::AppState {
        svc: small,
        secure_cookies: false,
    });
    let (ctype, body) = form("scan.pdf", None, &{
        let mut v = b"%PDF-1.7\n".to_vec();
        v.resize(1500, b' ');
        v
    });
    let r = router
        .oneshot(
            Request::builder()
                .method("POST")
                .uri("/api/v1/evidence")
                .header(header::AUTHORIZATION, format!("Bearer {zhang}"))
                .header(header::CONTENT_TYPE, ctype)
                .body(Body::from(body))
                .unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::PAYLOAD_TOO_LARGE);
    let body = r.into_body().collect().await.unwrap().to_bytes();
    let j: Value = serde_json::from_slice(&body).unwrap();
    let msg = j["error"]["message"].as_str().unwrap();
    assert!(
        msg.contains("scan.pdf") && msg.contains("1500 字节") && msg.contains("1000 字节"),
        "{msg}"
    );
    assert_eq!(app.evidence_rows().await, 0);
}

async fn reads_are_scoped_audited_and_checked(app: App) {
    let zhang = app.token("wy.zhang").await;
    let health = app.token("wy.health").await;
    let shandong = app.token("sd.office").await;
    let photo = png("read");
    let sha = ev::sha256(&photo).to_hex();
    let r = app.upload(&zhang, "a.png", None, &photo).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);

    // Another department of the county opens it: the bytes, typed, and an audit entry.
    let (status, headers, body) = app
        .raw(&format!("/api/v1/evidence/{sha}"), Some(&health))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body, photo);
    assert_eq!(headers[header::CONTENT_TYPE], "image/png");
    assert_eq!(headers[header::X_CONTENT_TYPE_OPTIONS], "nosniff");
    assert_eq!(app.audit_actions("evidence.open", &[&sha]).await, 1);
    // Upper case works too.
    let (status, _, _) = app
        .raw(
            &format!("/api/v1/evidence/{}", sha.to_uppercase()),
            Some(&health),
        )
        .await;
    assert_eq!(status, StatusCode::OK);

    // Outside the uploader's region it looks absent (and is not audited) — but the proof is
    // open to any department.
    let (status, _, _) = app
        .raw(&format!("/api/v1/evidence/{sha}"), Some(&shandong))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(app.audit_actions("evidence.open", &[&sha]).await, 2);
    let p = app.proof_of(&shandong, &sha).await;
    assert!(ev::verify(&photo, &p).is_ok());
    assert_eq!(
        app.raw(&format!("/api/v1/evidence/{sha}"), None).await.0,
        StatusCode::UNAUTHORIZED
    );

    // A file altered on disk is refused, never served.
    let path = evidence::blob_path(app.evidence_dir.path(), &sha);
    let mut bad = photo.clone();
    bad[9] ^= 1;
    std::fs::write(&path, &bad).unwrap();
    let (status, _, _) = app
        .raw(&format!("/api/v1/evidence/{sha}"), Some(&health))
        .await;
    assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
    // Uploading the content again repairs the stored copy, without a new leaf.
    let r = app.upload(&zhang, "a.png", None, &photo).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(std::fs::read(&path).unwrap(), photo);
    assert_eq!(app.evidence_rows().await, 1);
}

async fn links_record_each_use(app: App) {
    let zhang = app.token("wy.zhang").await;
    let shandong = app.token("sd.office").await;
    let photo = png("link");
    let sha = ev::sha256(&photo).to_hex();
    let r = app.upload(&zhang, "a.png", None, &photo).await;
    let id: Uuid = r.json()["id"].as_str().unwrap().parse().unwrap();

    let c = app.svc.store.conn();
    let sd = lianjian_store::departments::find_by_name(
        c,
        &RegionCode::parse("37").unwrap(),
        "省市场监管局",
    )
    .await
    .unwrap()
    .expect("demo department");
    let (r1, r2) = (Uuid::now_v7(), Uuid::now_v7());
    let actor = lianjian_services::cli_actor();
    let tx = app.svc.store.begin().await.unwrap();
    evidence::link(
        &tx,
        id,
        "visit_result",
        r1,
        "现场/门头照片.png",
        sd.id,
        &actor,
    )
    .await
    .unwrap();
    evidence::link(&tx, id, "visit_result", r2, "复查照片.png", sd.id, &actor)
        .await
        .unwrap();
    // The same use again changes nothing.
    evidence::link(&tx, id, "visit_result", r1, "again.png", sd.id, &actor)
        .await
        .unwrap();
    tx.commit().await.unwrap();

    let links = evidence::links_of(&app.svc, "visit_result", &[r1, r2, Uuid::now_v7()])
        .await
        .unwrap();
    assert_eq!(links.len(), 2);
    assert_eq!(links[&r1].len(), 1);
    assert_eq!(links[&r1][0].filename, "门头照片.png");
    assert_eq!(links[&r2][0].filename, "复查照片.png");
    assert_eq!(links[&r2][0].evidence.sha256, sha);
    assert_eq!(app.audit_actions("evidence.link", &[&sha]).await, 2);

    // A department using the file may open it from its own region.
    let (status, _, body) = app
        .raw(&format!("/api/v1/evidence/{sha}"), Some(&shandong))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body, photo);

    // Bad kinds and names are named; unknown files and departments are absent.
    let tx = app.svc.store.begin().await.unwrap();
    let e = evidence::link(&tx, id, "Visit Result", r1, "a.png", sd.id, &actor)
        .await
        .unwrap_err();
    assert!(
        matches!(&e, lianjian_services::ServiceError::Invalid(f) if f[0].field == "record_kind"),
        "{e:?}"
    );
    let e = evidence::link(&tx, id, "visit_result", r1, "a\u{1}.png", sd.id, &actor)
        .await
        .unwrap_err();
    assert!(
        matches!(&e, lianjian_services::ServiceError::Invalid(f) if f[0].field == "filename"),
        "{e:?}"
    );
    let e = evidence::link(
        &tx,
        Uuid::now_v7(),
        "visit_result",
        r1,
        "a.png",
        sd.id,
        &actor,
    )
    .await
    .unwrap_err();
    assert!(matches!(e, lianjian_services::ServiceError::NotFound));
    let e = evidence::link(&tx, id, "visit_result", r1, "a.png", Uuid::now_v7(), &actor)
        .await
        .unwrap_err();
    assert!(matches!(e, lianjian_services::ServiceError::NotFound));
}
