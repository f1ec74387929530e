//! Data sharing between instances (issue 18) on both backends: a county instance (the backend
//! under test) and a city instance (SQLite), each with its own database and key. Messages are
//! carried by hand here (the NATS link has its own tests in `sharing_nats`), so tampering,
//! replay, scope and ordering are exercised exactly: both ends must approve before anything
//! flows; a tampered, replayed, out-of-scope or unknown-share message is refused and logged;
//! both message logs verify, and a rewritten row is caught; audit checkpoints shipped up catch a
//! county that rewrote its audit history.

use ed25519_dalek::SigningKey;
use lianjian_domain::evidence::PublicKey;
use lianjian_domain::sharing::{
    Body, DataKind, InstanceLevel, LogTamper, Refusal, SCHEMA, ShareStatus,
};
use lianjian_services::evidence::EvidenceConfig;
use lianjian_services::sharing::flow::{self, Outcome};
use lianjian_services::sharing::{self, Peer, ShareInput, SharingConfig};
use lianjian_services::{PageRequest, Services, cli_actor};
use lianjian_store::changes::{self, DirectoryChange};
use lianjian_store::on_both_backends;
use lianjian_store::sharing as repo;
use lianjian_store::testing::TestDb;
use sea_orm::ConnectionTrait;
use uuid::Uuid;

use crate::DEMO;

pub(crate) struct Env {
    pub county: Services,
    pub city: Services,
    pub county_key: SigningKey,
    _db: TestDb,
    _city_db: TestDb,
    _dirs: (tempfile::TempDir, tempfile::TempDir),
}

pub(crate) const COUNTY_SEED: [u8; 32] = [11; 32];
pub(crate) const CITY_SEED: [u8; 32] = [22; 32];

fn key_dir(seed: &[u8; 32]) -> tempfile::TempDir {
    use std::os::unix::fs::PermissionsExt;
    let d = tempfile::tempdir().unwrap();
    let p = d.path().join("signing.key");
    std::fs::write(&p, format!("{}\n", hex::encode(seed))).unwrap();
    std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o600)).unwrap();
    d
}

pub(crate) fn configs(nats_url: &str, users: bool) -> (SharingConfig, SharingConfig) {
    let pk = |s: &[u8; 32]| PublicKey(SigningKey::from_bytes(s).verifying_key());
    let county = SharingConfig {
        instance: "county-a".into(),
        level: InstanceLevel::County,
        region: "411121".into(),
        upstream: Some("city".into()),
        nats_url: nats_url.into(),
        nats_user: users.then(|| "county-a".into()),
        nats_password: users.then(|| "pw-county".into()),
        peers: vec![Peer {
            id: "city".into(),
            level: InstanceLevel::City,
            region: "4111".into(),
            public_key: pk(&CITY_SEED),
        }],
        poll_ms: 50,
    };
    let city = SharingConfig {
        instance: "city".into(),
        level: InstanceLevel::City,
        region: "4111".into(),
        upstream: None,
        nats_url: nats_url.into(),
        nats_user: users.then(|| "city".into()),
        nats_password: users.then(|| "pw-city".into()),
        peers: vec![Peer {
            id: "county-a".into(),
            level: InstanceLevel::County,
            region: "411121".into(),
            public_key: pk(&COUNTY_SEED),
        }],
        poll_ms: 50,
    };
    (county, city)
}

pub(crate) async fn env_with(db: TestDb, nats_url: &str, users: bool) -> Env {
    let city_db = TestDb::sqlite_from(&DEMO).await.expect("city database");
    let (dc, dy) = (key_dir(&COUNTY_SEED), key_dir(&CITY_SEED));
    let ev = |d: &tempfile::TempDir, origin: &str| EvidenceConfig {
        dir: d.path().to_path_buf(),
        origin: origin.into(),
        ..Default::default()
    };
    let (cc, yc) = configs(nats_url, users);
    Env {
        county: Services::new(db.store.clone(), Default::default())
            .with_evidence(ev(&dc, "county-a/evidence"))
            .with_sharing(cc),
        city: Services::new(city_db.store.clone(), Default::default())
            .with_evidence(ev(&dy, "city/evidence"))
            .with_sharing(yc),
        county_key: SigningKey::from_bytes(&COUNTY_SEED),
        _db: db,
        _city_db: city_db,
        _dirs: (dc, dy),
    }
}

async fn setup(db: TestDb) -> Env {
    env_with(db, "nats://127.0.0.1:1", false).await
}

on_both_backends!(
    template = DEMO, setup = setup, multi_thread;
    both_ends_approve_and_messages_are_evidence,
    audit_checkpoints_go_up_and_catch_a_rewritten_county_log,
);

/// Carries every unpublished message from `from` to `to` (what the NATS link does); returns
/// the outcomes.
pub(crate) async fn deliver(from: &Services, to: &Services) -> Vec<Outcome> {
    let me = from.sharing.config().unwrap().instance.clone();
    let rows = repo::unpublished(from.store.conn(), 10_000).await.unwrap();
    let mut out = Vec::new();
    for r in &rows {
        out.push(flow::receive(to, &me, r.wire.as_bytes()).await.unwrap());
    }
    let seqs: Vec<i64> = rows.iter().map(|r| r.seq).collect();
    repo::mark_published(from.store.conn(), &seqs)
        .await
        .unwrap();
    out
}

pub(crate) fn input(kind: DataKind, regions: &str) -> ShareInput {
    ShareInput {
        name: "县级名录变更报送市级".into(),
        kind: kind.as_str().into(),
        direction: "up".into(),
        consumer: "city".into(),
        regions: regions.into(),
        departments: String::new(),
        method: "push".into(),
        frequency: "realtime".into(),
        time_limit_hours: "24".into(),
        confidentiality: "internal".into(),
    }
}

/// Proposes a share at the county and has both ends approve it, carrying the control messages.
pub(crate) async fn agreed_share(env: &Env, kind: DataKind, regions: &str) -> Uuid {
    let admin = cli_actor();
    let s = sharing::propose(&env.county, &admin, &input(kind, regions))
        .await
        .unwrap();
    deliver(&env.county, &env.city).await;
    sharing::approve(&env.county, &admin, s.id).await.unwrap();
    sharing::approve(&env.city, &admin, s.id).await.unwrap();
    deliver(&env.county, &env.city).await;
    deliver(&env.city, &env.county).await;
    s.id
}

async fn entity_in(svc: &Services, region: &str) -> Uuid {
    let code = lianjian_domain::region::RegionCode::parse(region).unwrap();
    lianjian_store::entities::scan(svc.store.conn(), Some(&code), None, 1)
        .await
        .unwrap()[0]
        .id
}

pub(crate) async fn touch(svc: &Services, ids: &[Uuid]) {
    let tx = svc.store.begin().await.unwrap();
    changes::append_directory_changes(&tx, &DirectoryChange::entities(ids))
        .await
        .unwrap();
    tx.commit().await.unwrap();
}

fn forged(env: &Env, share_id: Uuid, entity: &str, seq: i64, region: &str) -> Vec<u8> {
    Body {
        schema: SCHEMA.into(),
        id: Uuid::now_v7(),
        share_id,
        kind: "directory_changes".into(),
        sender: "county-a".into(),
        receiver: "city".into(),
        entity: entity.into(),
        entity_seq: seq,
        region_code: region.into(),
        sent_at: chrono::Utc::now(),
        payload: serde_json::json!({"name": "伪造"}),
    }
    .sign(&env.county_key)
    .to_bytes()
}

async fn both_ends_approve_and_messages_are_evidence(env: Env) {
    let admin = cli_actor();
    // Bad input names every field.
    let mut bad = input(DataKind::DirectoryChanges, "41x");
    bad.consumer = "nobody".into();
    bad.time_limit_hours = "0".into();
    match sharing::propose(&env.county, &admin, &bad).await {
        Err(lianjian_services::ServiceError::Invalid(errs)) => {
            let fields: Vec<&str> = errs.iter().map(|e| e.field.as_str()).collect();
            assert_eq!(
                fields,
                ["consumer", "regions", "time_limit_hours"],
                "{errs:?}"
            );
        }
        other => panic!("{other:?}"),
    }
    // A share "down" from a county to a city does not fit the levels.
    let mut down = input(DataKind::DirectoryChanges, "");
    down.direction = "down".into();
    assert!(sharing::propose(&env.county, &admin, &down).await.is_err());

    // Proposed and approved by the county only: nothing flows.
    let s = sharing::propose(
        &env.county,
        &admin,
        &input(DataKind::DirectoryChanges, "411121"),
    )
    .await
    .unwrap();
    assert_eq!(deliver(&env.county, &env.city).await, [Outcome::Applied]);
    let at_city = sharing::get(&env.city, &admin, s.id).await.unwrap();
    assert_eq!(at_city.status, ShareStatus::Proposed);
    sharing::approve(&env.county, &admin, s.id).await.unwrap();
    deliver(&env.county, &env.city).await;
    let e1 = entity_in(&env.county, "411121").await;
    touch(&env.county, &[e1]).await;
    assert_eq!(
        flow::produce(&env.county).await.unwrap(),
        0,
        "not approved by the city yet"
    );
    let at_city = sharing::get(&env.city, &admin, s.id).await.unwrap();
    assert!(at_city.provider_approved_at.is_some() && at_city.consumer_approved_at.is_none());

    // The city approves: active at both ends once its approval arrives.
    let at_city = sharing::approve(&env.city, &admin, s.id).await.unwrap();
    assert_eq!(at_city.status, ShareStatus::Active);
    deliver(&env.city, &env.county).await;
    assert_eq!(
        sharing::get(&env.county, &admin, s.id)
            .await
            .unwrap()
            .status,
        ShareStatus::Active
    );

    // The county's directory change reaches the city, once.
    assert!(flow::produce(&env.county).await.unwrap() >= 1);
    let sent = repo::unpublished(env.county.store.conn(), 100)
        .await
        .unwrap();
    let outcomes = deliver(&env.county, &env.city).await;
    assert!(
        outcomes.iter().all(|o| *o == Outcome::Applied),
        "{outcomes:?}"
    );
    let recs = sharing::records(
        &env.city,
        &admin,
        DataKind::DirectoryChanges,
        None,
        PageRequest::new(Some(1), Some(200)),
    )
    .await
    .unwrap();
    let rec = recs
        .items
        .iter()
        .find(|r| r.entity == e1.to_string())
        .expect("shared entity at the city");
    assert_eq!(rec.sender, "county-a");
    assert_eq!(rec.region_code, "411121");
    assert!(rec.payload.get("name").is_some());

    // Receipts come back to the county's log.
    deliver(&env.city, &env.county).await;
    let about = repo::log_of_message(
        env.county.store.conn(),
        sent.last().unwrap().message_id.unwrap(),
    )
    .await
    .unwrap();
    let events: Vec<(&str, &str)> = about
        .iter()
        .map(|r| (r.event.as_str(), r.note.as_str()))
        .collect();
    assert_eq!(
        events,
        [("sent", "directory_changes"), ("receipt", "applied")]
    );

    // Replayed: logged as a duplicate, not applied again.
    let replay = sent.last().unwrap().wire.clone();
    assert_eq!(
        flow::receive(&env.city, "county-a", replay.as_bytes())
            .await
            .unwrap(),
        Outcome::Duplicate
    );
    let recs2 = sharing::records(
        &env.city,
        &admin,
        DataKind::DirectoryChanges,
        None,
        PageRequest::new(Some(1), Some(200)),
    )
    .await
    .unwrap();
    assert_eq!(recs.total, recs2.total);

    // Tampered in transit: refused, logged and dead-lettered.
    let tampered = replay.replacen("411121", "411122", 1);
    assert_ne!(tampered, replay);
    assert_eq!(
        flow::receive(&env.city, "county-a", tampered.as_bytes())
            .await
            .unwrap(),
        Outcome::Refused(Refusal::BadSignature)
    );
    // Published on another instance's subject (claims to be the county): refused.
    assert!(matches!(
        flow::receive(&env.city, "county-b", replay.as_bytes())
            .await
            .unwrap(),
        Outcome::Refused(Refusal::UnknownSender(_))
    ));
    // Signed, but outside the share's regions, or of a share nobody agreed.
    assert_eq!(
        flow::receive(
            &env.city,
            "county-a",
            &forged(&env, s.id, "x1", 1, "110101")
        )
        .await
        .unwrap(),
        Outcome::Refused(Refusal::OutOfScope("110101".into()))
    );
    let unknown = Uuid::now_v7();
    assert_eq!(
        flow::receive(
            &env.city,
            "county-a",
            &forged(&env, unknown, "x2", 1, "411121")
        )
        .await
        .unwrap(),
        Outcome::Refused(Refusal::UnknownShare(unknown))
    );
    // Older than what is held: logged, not applied.
    assert_eq!(
        flow::receive(
            &env.city,
            "county-a",
            &forged(&env, s.id, &e1.to_string(), 0, "411121")
        )
        .await
        .unwrap(),
        Outcome::Stale
    );
    let dead = sharing::dead_letters(
        &env.city,
        &admin,
        Some("open"),
        PageRequest::new(Some(1), Some(50)),
    )
    .await
    .unwrap();
    let codes: Vec<&str> = dead.items.iter().map(|d| d.reason_code.as_str()).collect();
    for c in [
        "bad_signature",
        "unknown_sender",
        "out_of_scope",
        "unknown_share",
    ] {
        assert!(codes.contains(&c), "{codes:?}");
    }
    // A retry of the unknown-share letter is refused again and stays open.
    let d = dead
        .items
        .iter()
        .find(|d| d.reason_code == "unknown_share")
        .unwrap();
    assert!(matches!(
        flow::retry(&env.city, &admin, d.id).await.unwrap(),
        Outcome::Refused(_)
    ));

    // Both logs verify; a rewritten row at the city is caught.
    assert!(flow::verify(&env.county).await.unwrap().is_ok());
    let n = flow::verify(&env.city).await.unwrap().unwrap();
    assert!(n >= 10, "{n}");
    env.city
        .store
        .conn()
        .execute_unprepared("UPDATE sharing_log SET note = 'rewritten' WHERE seq = 3")
        .await
        .unwrap();
    assert_eq!(
        flow::verify(&env.city).await.unwrap(),
        Err(LogTamper::Hash { seq: 3 })
    );

    // Every catalogue change is in the audit log, the peer's as "sharing:<peer>".
    let audit = lianjian_store::audit::list(
        env.city.store.conn(),
        &lianjian_domain::scope::Scope::system(),
        &lianjian_store::audit::AuditQuery::default(),
        PageRequest::new(Some(1), Some(200)),
    )
    .await
    .unwrap();
    let actions: Vec<(&str, &str)> = audit
        .items
        .iter()
        .map(|e| (e.action.as_str(), e.actor_name.as_str()))
        .collect();
    assert!(
        actions.contains(&("sharing.share.approve", "cli")),
        "{actions:?}"
    );
    assert!(
        actions.contains(&("sharing.share.remote", "sharing:county-a")),
        "{actions:?}"
    );
    // Suspending stops the flow at both ends.
    sharing::set_status(&env.city, &admin, s.id, ShareStatus::Suspended)
        .await
        .unwrap();
    deliver(&env.city, &env.county).await;
    touch(&env.county, &[e1]).await;
    assert_eq!(flow::produce(&env.county).await.unwrap(), 0);
}

async fn audit_checkpoints_go_up_and_catch_a_rewritten_county_log(env: Env) {
    let admin = cli_actor();
    agreed_share(&env, DataKind::AuditCheckpoints, "").await;
    let cp = lianjian_services::audit_log::make_checkpoint(&env.county)
        .await
        .unwrap();
    assert_eq!(flow::produce(&env.county).await.unwrap(), 1);
    assert_eq!(flow::produce(&env.county).await.unwrap(), 0, "sent once");
    let out = deliver(&env.county, &env.city).await;
    assert!(out.iter().all(|o| *o == Outcome::Applied), "{out:?}");
    let held = flow::received_checkpoint(&env.city, "county-a")
        .await
        .unwrap()
        .expect("held at the city");
    assert_eq!(held, cp);
    // The county's history verifies against the city's copy until the county rewrites it.
    assert!(
        lianjian_services::audit_log::verify_since(&env.county, &admin, &held)
            .await
            .unwrap()
            .is_ok()
    );
    env.county
        .store
        .conn()
        .execute_unprepared("UPDATE audit_log SET action = 'rewritten' WHERE seq = 2")
        .await
        .unwrap();
    assert!(
        lianjian_services::audit_log::verify_since(&env.county, &admin, &held)
            .await
            .unwrap()
            .is_err()
    );
}
