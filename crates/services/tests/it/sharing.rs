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
    visit_results_and_rectifications_go_up_masked_in_order_and_once,
    messages_of_the_new_kinds_pass_the_same_checks,
    penalties_and_sanctions_flow_down_to_the_county,
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

/// A share from the city down to the county (数据回流), agreed at both ends.
async fn agreed_down(env: &Env, kind: DataKind, regions: &str, conf: &str) -> Uuid {
    let admin = cli_actor();
    let mut i = input(kind, regions);
    i.name = "市级数据回流县级".into();
    i.direction = "down".into();
    i.consumer = "county-a".into();
    i.confidentiality = conf.into();
    let s = sharing::propose(&env.city, &admin, &i).await.unwrap();
    deliver(&env.city, &env.county).await;
    sharing::approve(&env.city, &admin, s.id).await.unwrap();
    sharing::approve(&env.county, &admin, s.id).await.unwrap();
    deliver(&env.city, &env.county).await;
    deliver(&env.county, &env.city).await;
    s.id
}

/// The open dead letters at `svc` (the first 50).
async fn open_dead_letters(svc: &Services) -> lianjian_store::Page<repo::DeadLetter> {
    sharing::dead_letters(
        svc,
        &cli_actor(),
        Some("open"),
        PageRequest::new(Some(1), Some(50)),
    )
    .await
    .unwrap()
}

/// The demo's order reported and re-checked, and its visit closed (at the county).
pub(crate) async fn rectify_and_close(svc: &Services, order: Uuid, visit: Uuid) {
    let admin = cli_actor();
    lianjian_services::follow_ups::recheck(svc, &admin, order, true, "复查合格，予以销号")
        .await
        .unwrap();
    lianjian_services::visits::close(svc, &admin, visit)
        .await
        .unwrap();
}

/// The demo's order reported by the entity.
pub(crate) async fn report(svc: &Services, order: Uuid) {
    lianjian_services::follow_ups::report_rectified(
        svc,
        &cli_actor(),
        order,
        "已建立处方药销售登记制度",
    )
    .await
    .unwrap();
}

/// The records of `kind` held at `svc`.
pub(crate) async fn held(svc: &Services, kind: DataKind) -> Vec<repo::SharedRecord> {
    sharing::records(
        svc,
        &cli_actor(),
        kind,
        None,
        PageRequest::new(Some(1), Some(200)),
    )
    .await
    .unwrap()
    .items
}

/// The demo's rectification order and its visit (the published pharmacy visit in 411121).
pub(crate) async fn demo_order(svc: &Services) -> (Uuid, Uuid) {
    let row = svc
        .store
        .conn()
        .query_one_raw(sea_orm::Statement::from_string(
            svc.store.conn().get_database_backend(),
            "SELECT id, visit_id FROM rectifications",
        ))
        .await
        .unwrap()
        .expect("the demo's rectification order");
    (
        row.try_get("", "id").unwrap(),
        row.try_get("", "visit_id").unwrap(),
    )
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
    forged_kind(
        env,
        DataKind::DirectoryChanges,
        share_id,
        entity,
        seq,
        region,
    )
}

/// A message signed with the county's key, as the county would send it.
fn forged_kind(
    env: &Env,
    kind: DataKind,
    share_id: Uuid,
    entity: &str,
    seq: i64,
    region: &str,
) -> Vec<u8> {
    Body {
        schema: SCHEMA.into(),
        id: Uuid::now_v7(),
        share_id,
        kind: kind.as_str().into(),
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
    let dead = open_dead_letters(&env.city).await;
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

async fn visit_results_and_rectifications_go_up_masked_in_order_and_once(env: Env) {
    let admin = cli_actor();
    agreed_share(&env, DataKind::VisitResults, "411121").await;
    agreed_share(&env, DataKind::Rectification, "411121").await;
    let (order, visit) = demo_order(&env.county).await;

    // The first run sends what exists (from the start of the audit log): the demo's published
    // visit and its open order; nothing the second time.
    assert_eq!(flow::produce(&env.county).await.unwrap(), 2);
    assert_eq!(flow::produce(&env.county).await.unwrap(), 0, "sent once");
    let out = deliver(&env.county, &env.city).await;
    assert!(out.iter().all(|o| *o == Outcome::Applied), "{out:?}");
    let results = held(&env.city, DataKind::VisitResults).await;
    assert_eq!(results.len(), 1);
    let r = &results[0];
    assert_eq!(r.entity, visit.to_string());
    assert!(r.region_code.starts_with("411121"), "{}", r.region_code);
    assert_eq!(r.status.as_deref(), Some("published"));
    assert_eq!(r.payload["results"][0]["result_code"], "corrected");
    assert_eq!(r.payload["results"][0]["follow_up"], "rectify");
    assert!(
        r.payload["results"][0]["item"]
            .as_str()
            .is_some_and(|s| !s.is_empty())
    );
    // Internal share: the county's visit has a team, but no inspector's identity leaves it.
    let team = lianjian_store::visits::team(env.county.store.conn(), visit)
        .await
        .unwrap();
    assert!(!team.is_empty());
    assert!(r.payload.get("inspectors").is_none(), "{}", r.payload);
    for m in &team {
        assert!(!r.payload.to_string().contains(&m.name), "{}", m.name);
    }
    let orders = held(&env.city, DataKind::Rectification).await;
    assert_eq!(orders.len(), 1);
    assert_eq!(orders[0].entity, order.to_string());
    assert_eq!(orders[0].status.as_deref(), Some("issued"));
    assert!(orders[0].payload.get("created_by").is_none());
    assert!(orders[0].payload["entity_name"].as_str().is_some());

    // The upper level's dashboard adds them up per lower instance.
    let figures = sharing::lower_figures(&env.city, &admin).await.unwrap();
    assert_eq!(figures.len(), 1);
    assert_eq!(
        (
            figures[0].instance.as_str(),
            figures[0].visits_with_results,
            figures[0].rectifications_open,
            figures[0].rectifications_closed
        ),
        ("county-a", 1, 1, 0)
    );
    assert!(
        sharing::lower_figures(&env.county, &admin)
            .await
            .unwrap()
            .is_empty(),
        "a county has no lower level"
    );

    // The order is reported, re-checked and the visit closed: each change goes up, in order.
    report(&env.county, order).await;
    let reported = {
        flow::produce(&env.county).await.unwrap();
        repo::unpublished(env.county.store.conn(), 100)
            .await
            .unwrap()
    };
    rectify_and_close(&env.county, order, visit).await;
    assert_eq!(flow::produce(&env.county).await.unwrap(), 2);
    // Delivered newest first: the older report arrives after the re-check and is not applied
    // over it.
    let rows = repo::unpublished(env.county.store.conn(), 100)
        .await
        .unwrap();
    let mut outcomes = Vec::new();
    for r in rows.iter().rev() {
        outcomes.push(
            flow::receive(&env.city, "county-a", r.wire.as_bytes())
                .await
                .unwrap(),
        );
    }
    assert!(outcomes.contains(&Outcome::Stale), "{outcomes:?}");
    let orders = held(&env.city, DataKind::Rectification).await;
    assert_eq!(orders[0].status.as_deref(), Some("passed"));
    let results = held(&env.city, DataKind::VisitResults).await;
    assert_eq!(results[0].status.as_deref(), Some("closed"));
    // Replayed: a duplicate, applied once.
    let again = flow::receive(&env.city, "county-a", reported[0].wire.as_bytes())
        .await
        .unwrap();
    assert_eq!(again, Outcome::Duplicate);
    let figures = sharing::lower_figures(&env.city, &admin).await.unwrap();
    assert_eq!(
        (
            figures[0].rectifications_open,
            figures[0].rectifications_closed
        ),
        (0, 1)
    );
    assert!(flow::verify(&env.city).await.unwrap().is_ok());
}

async fn messages_of_the_new_kinds_pass_the_same_checks(env: Env) {
    let admin = cli_actor();
    let results = agreed_share(&env, DataKind::VisitResults, "411121").await;
    let before = open_dead_letters(&env.city).await.total;
    // Signed by the county, but about a visit outside the share's regions: refused and
    // dead-lettered, nothing stored.
    let outside = forged_kind(
        &env,
        DataKind::VisitResults,
        results,
        "v-outside",
        1,
        "410102",
    );
    assert_eq!(
        flow::receive(&env.city, "county-a", &outside)
            .await
            .unwrap(),
        Outcome::Refused(Refusal::OutOfScope("410102".into()))
    );
    // A penalty on the visit-results share: the kind does not match.
    let wrong = forged_kind(&env, DataKind::Penalties, results, "p1", 1, "411121");
    assert_eq!(
        flow::receive(&env.city, "county-a", &wrong).await.unwrap(),
        Outcome::Refused(Refusal::KindMismatch("penalties".into()))
    );
    // Tampered in transit: the signature no longer verifies.
    let good = String::from_utf8(forged_kind(
        &env,
        DataKind::VisitResults,
        results,
        "v1",
        1,
        "411121",
    ))
    .unwrap();
    let tampered = good.replacen("伪造", "篡改", 1);
    assert_ne!(good, tampered);
    assert_eq!(
        flow::receive(&env.city, "county-a", tampered.as_bytes())
            .await
            .unwrap(),
        Outcome::Refused(Refusal::BadSignature)
    );
    // A share suspended at the city: its messages are refused too.
    sharing::set_status(&env.city, &admin, results, ShareStatus::Suspended)
        .await
        .unwrap();
    assert_eq!(
        flow::receive(&env.city, "county-a", good.as_bytes())
            .await
            .unwrap(),
        Outcome::Refused(Refusal::ShareNotActive(results))
    );
    assert!(held(&env.city, DataKind::VisitResults).await.is_empty());
    let dead = open_dead_letters(&env.city).await;
    assert_eq!(dead.total, before + 4);
    let codes: Vec<&str> = dead.items.iter().map(|d| d.reason_code.as_str()).collect();
    for c in [
        "out_of_scope",
        "kind_mismatch",
        "bad_signature",
        "share_not_active",
    ] {
        assert!(codes.contains(&c), "{codes:?}");
    }
    // Resumed, the dead letter refused for the suspended share is retried and applied.
    sharing::set_status(&env.city, &admin, results, ShareStatus::Active)
        .await
        .unwrap();
    let d = dead
        .items
        .iter()
        .find(|d| d.reason_code == "share_not_active")
        .unwrap();
    assert_eq!(
        flow::retry(&env.city, &admin, d.id).await.unwrap(),
        Outcome::Applied
    );
    assert_eq!(held(&env.city, DataKind::VisitResults).await.len(), 1);
}

async fn penalties_and_sanctions_flow_down_to_the_county(env: Env) {
    // The city's joint sanction work (a batch on a Wuyang food producer, approved).
    lianjian_services::demo::seed_credit_work(&env.city)
        .await
        .unwrap();
    // Penalties down on a public share: only what the public may read today (the demo's
    // general-tier penalty in its publication period, not the minor one), without the
    // amounts or who recorded it.
    agreed_down(&env, DataKind::Penalties, "411121", "public").await;
    agreed_down(&env, DataKind::Sanctions, "411121", "internal").await;
    // A share down to the county outside its region sends nothing.
    agreed_down(&env, DataKind::Penalties, "3701", "internal").await;
    assert!(flow::produce(&env.city).await.unwrap() >= 2);
    let out = deliver(&env.city, &env.county).await;
    assert!(out.iter().all(|o| *o == Outcome::Applied), "{out:?}");

    let penalties = held(&env.county, DataKind::Penalties).await;
    let refs: Vec<&str> = penalties
        .iter()
        .filter_map(|p| p.payload["reference"].as_str())
        .collect();
    assert!(refs.iter().any(|r| r.ends_with("〕58号")), "{refs:?}");
    assert!(
        !refs.iter().any(|r| r.ends_with("〕7号")),
        "a penalty the public may not read went down a public share: {refs:?}"
    );
    for p in &penalties {
        assert_eq!(p.sender, "city");
        assert!(p.region_code.starts_with("411121"), "{}", p.region_code);
        for hidden in ["detail", "created_by", "department", "tier"] {
            assert!(p.payload.get(hidden).is_none(), "{hidden}: {}", p.payload);
        }
    }

    let sanctions = held(&env.county, DataKind::Sanctions).await;
    assert!(!sanctions.is_empty());
    for s in &sanctions {
        assert!(
            matches!(s.status.as_deref(), Some("approved" | "completed")),
            "{:?}",
            s.status
        );
        assert!(
            s.payload["measures"]
                .as_array()
                .is_some_and(|m| !m.is_empty())
        );
        // Internal: no ID numbers, no staff names.
        assert!(s.payload.get("id_number").is_none() && s.payload.get("created_by").is_none());
    }
    // The county's dashboard has no lower level; the city's lists no county figures from
    // what flowed down.
    assert!(
        sharing::lower_figures(&env.county, &cli_actor())
            .await
            .unwrap()
            .is_empty()
    );
    assert!(flow::verify(&env.county).await.unwrap().is_ok());
}
