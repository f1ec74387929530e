//! Tests of `lianjian-draw/3`: the derivations, both variants, openings, witnessing rules,
//! tampering and property tests (issue 11 items 1, 3 and 6).

use proptest::prelude::*;
use uuid::Uuid;

use super::tests::{add_weights, mutate_leaves, random_input, set_path};
use super::*;
use crate::directory::CreditClass;

/// A `/3` version of a random input and its seeds: salt key and server seed from `secret`,
/// one supervisor contribution, or the beacon value, or a reason (by `witnessing` mod 3).
fn v3_of(mut input: DrawInput, secret: [u8; 32], witnessing: u8) -> (DrawInput, Seeds) {
    let salt_key = Bytes32(secret.map(|b| b ^ 0x5a));
    input.v3 = Some(V3Terms {
        beacon: (witnessing % 3 == 1).then(|| BeaconSpec {
            source: "中国福利彩票双色球".into(),
            reference: "第2026037期开奖号码".into(),
            available_on: chrono::NaiveDate::from_ymd_opt(2026, 4, 2).unwrap(),
        }),
    });
    input.normalise_v3(&salt_key);
    let v3 = SeedsV3 {
        salt_key,
        contributions: if witnessing.is_multiple_of(3) {
            vec![Contribution {
                account_id: Uuid::from_u128(7),
                name: "监督人甲".into(),
                value: ContributionValue::new(secret[..20].to_vec()).unwrap(),
                submitted_at: "2026-04-03T01:00:00Z".parse().unwrap(),
            }]
        } else {
            Vec::new()
        },
        beacon_value: (witnessing % 3 == 1)
            .then(|| format!("{:02} 08 12 19 25 31 + 07", secret[0] % 33)),
        unwitnessed_reason: (witnessing % 3 == 2).then(|| "监督人因故未到场".into()),
    };
    let seeds = Seeds {
        server: Bytes32(secret),
        witness: None,
        witness_name: None,
        v3: Some(v3),
    };
    (input, seeds)
}

#[allow(clippy::result_large_err)]
fn v3_record_of(input: DrawInput, seeds: Seeds) -> Result<DrawRecord, DrawError> {
    let salt_key = seeds.v3.as_ref().unwrap().salt_key;
    let commitment = commit_v3(&input, &seeds.server, &salt_key, example::committed_at())?;
    let result = draw_committed(&input, &seeds, &commitment)?;
    Ok(DrawRecord::new(
        input,
        commitment,
        seeds,
        example::v3_drawn_at(),
        result,
    ))
}

#[test]
fn hmac_is_rfc4231() {
    // RFC 4231 test case 2 has a 4-byte key; ours are 32 bytes, so check case 1 through the
    // crate with its 20-byte key padded by the crate itself: HMAC keys shorter than the block
    // are zero-padded, so a 32-byte key of 20 × 0x0b then 12 × 0 gives the same MAC.
    let mut key = [0u8; 32];
    key[..20].fill(0x0b);
    assert_eq!(
        v3::hmac_sha256(&Bytes32(key), &[b"Hi There"]).to_hex(),
        "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"
    );
}

#[test]
fn example_v3_verifies_in_both_variants() {
    let r = example::v3_record();
    assert_eq!(r.format, FORMAT_V3);
    let s = verify(&r).unwrap();
    assert!(s.witness);
    let p = r
        .public_variant()
        .expect("a /3 record has a public variant");
    assert_eq!(p.format, FORMAT_V3_PUBLIC);
    let ps = verify_public(&p).unwrap();
    assert_eq!(ps.visits, s.visits);
    assert_eq!(ps.combined_seed, s.combined_seed);
    // Through JSON, and told apart by format.
    let back = PublicDrawRecord::from_json(p.to_json().as_bytes()).unwrap();
    assert_eq!(back, p);
    assert!(matches!(
        AnyRecord::from_json(p.to_json().as_bytes()),
        Ok(AnyRecord::Public(_))
    ));
    assert!(matches!(
        AnyRecord::from_json(r.to_json().as_bytes()),
        Ok(AnyRecord::Full(_))
    ));
    let full = DrawRecord::from_json(r.to_json().as_bytes()).unwrap();
    assert_eq!(full, r);
    // /1 and /2 have no public variant and no opening.
    assert!(example::record().public_variant().is_none());
    assert!(example::record().opening(&example::usci(1)).is_none());
}

#[test]
fn the_key_is_no_published_value() {
    let r = example::v3_record();
    let key = r.result.combined_seed;
    let c = &r.commitment;
    for published in [c.seed_sha256, c.candidates_sha256, c.inspectors_sha256] {
        assert_ne!(key, published);
    }
    // Not the legacy derivations either, with or without a contribution.
    assert_ne!(key, combined_seed(&r.seeds.server, None));
    assert_ne!(c.seed_sha256, seed_sha256(&r.seeds.server));
    // Without any contribution the key still differs from the commitment.
    let mut v3 = r.seeds.v3.clone().unwrap();
    v3.contributions.clear();
    v3.beacon_value = None;
    let bare = v3::derive_key(
        &r.seeds.server,
        &c.candidates_sha256,
        &c.inspectors_sha256,
        &v3,
    );
    assert_ne!(bare, c.seed_sha256);
    assert_ne!(bare, key);
}

#[test]
#[allow(clippy::result_large_err)]
fn witnessing_rules() {
    let input = example::v3_input();
    let base = example::v3_seeds();
    let draw_with = |f: &dyn Fn(&mut SeedsV3)| {
        let mut s = base.clone();
        f(s.v3.as_mut().unwrap());
        draw(&input, &s)
    };
    let field = |e: DrawError| match e {
        DrawError::Invalid { field, code, .. } => (field, code),
        other => panic!("{other}"),
    };
    // Neither a contribution nor the beacon value, and no reason: refused.
    let e = draw_with(&|v| {
        v.contributions.clear();
        v.beacon_value = None;
    })
    .unwrap_err();
    assert_eq!(
        field(e),
        ("seeds.v3.unwitnessed_reason".into(), "unwitnessed")
    );
    // With a reason: draws, and the record says so.
    assert!(
        draw_with(&|v| {
            v.contributions.clear();
            v.beacon_value = None;
            v.unwitnessed_reason = Some("监督人因故未到场".into());
        })
        .is_ok()
    );
    // A reason beside a contribution: refused.
    let e = draw_with(&|v| v.unwitnessed_reason = Some("x".into())).unwrap_err();
    assert_eq!(field(e).1, "unwitnessed_reason");
    // Contributions out of order or twice: refused.
    let e = draw_with(&|v| {
        let c = v.contributions[0].clone();
        v.contributions.push(c);
    })
    .unwrap_err();
    assert_eq!(
        field(e),
        ("seeds.v3.contributions[1]".into(), "not_canonical")
    );
    // A legacy witness in a /3 draw: refused.
    let mut s = base.clone();
    s.witness = Some(Witness::new(vec![1; 8]).unwrap());
    assert_eq!(field(draw(&input, &s).unwrap_err()).0, "seeds.witness");
    // A contribution of fewer than 16 bytes cannot exist.
    assert_eq!(
        ContributionValue::new(vec![0; 15]).unwrap_err().code,
        "contribution_length"
    );
    // A beacon value where none was announced.
    let mut no_beacon = input.clone();
    no_beacon.v3 = Some(V3Terms { beacon: None });
    assert_eq!(
        field(draw(&no_beacon, &base).unwrap_err()).0,
        "seeds.v3.beacon_value"
    );
}

#[test]
fn verify_checks_witnessing_dates() {
    let r = example::v3_record();
    // A contribution dated before the commitment.
    let mut t = r.clone();
    t.seeds.v3.as_mut().unwrap().contributions[0].submitted_at =
        example::committed_at() - chrono::Duration::seconds(1);
    assert!(matches!(verify(&t), Err(Mismatch::Witnessing(_))));
    // A beacon available on the commitment's own day.
    let p = r.public_variant().unwrap();
    let mut t = p.clone();
    t.commitment.committed_at = "2026-04-01T17:00:00Z".parse().unwrap(); // 04-02 in Beijing
    assert!(verify_public(&t).is_err());
    // Drawn before the beacon is known.
    let mut t = r.clone();
    t.drawn_at = "2026-04-01T10:00:00Z".parse().unwrap();
    assert!(matches!(verify(&t), Err(Mismatch::Witnessing(_))));
}

#[test]
fn openings_check_and_tampered_openings_do_not() {
    let r = example::v3_record();
    let p = r.public_variant().unwrap();
    let mut drawn = 0;
    for c in &r.input.candidates {
        let o = r.opening(&c.usci).unwrap();
        let back = Opening::from_json(o.to_json_pretty().as_bytes()).unwrap();
        assert_eq!(back, o);
        let check = o.check(&p).unwrap_or_else(|m| panic!("{}: {m}", c.usci));
        assert_eq!(check.credit_class, c.credit_class);
        for po in &check.plans {
            let in_visit = r
                .result
                .visits
                .iter()
                .any(|v| v.usci == c.usci && v.plans.contains(&po.plan));
            assert_eq!(po.drawn, in_visit);
            drawn += usize::from(po.drawn);
        }
        // Another class, weight or salt does not open the commitment.
        let mut t = o.clone();
        t.credit_class = match c.credit_class {
            Some(CreditClass::A) => Some(CreditClass::B),
            _ => Some(CreditClass::A),
        };
        assert!(matches!(t.check(&p), Err(Mismatch::Opening(_))));
        let mut t = o.clone();
        t.risk_weight = if o.risk_weight == 10 {
            9
        } else {
            o.risk_weight + 1
        };
        assert!(t.check(&p).is_err());
        let mut t = o.clone();
        t.salt[0] ^= 1;
        assert!(t.check(&p).is_err());
    }
    assert!(drawn > 0);
    assert!(r.opening(&crate::draw::example::usci(999)).is_none());
    // A threshold lowered below a drawn entity's key is caught by that entity's opening.
    let v = &r.result.visits[0];
    let o = r.opening(&v.usci).unwrap();
    let h = Stratum::of(o.credit_class);
    let mut t = p.clone();
    *t.result.thresholds[v.plans[0] as usize].get_mut(h) = Some(Threshold(0));
    assert!(o.check(&t).is_err());
}

/// The public variant holds no credit class, risk weight, inspector name, certificate number
/// or salt key: searched in its JSON.
fn assert_nothing_secret(r: &DrawRecord, json: &str) {
    for key in [
        "\"credit_class\"",
        "\"risk_weight\"",
        "\"certificate\"",
        "\"salt_key\"",
        "\"name\":\"检",
    ] {
        assert!(!json.contains(key), "{key} in the public variant");
    }
    for x in &r.input.inspectors {
        assert!(
            !json.contains(x.certificate.as_str()),
            "certificate {}",
            x.certificate.as_str()
        );
        assert!(
            !json.contains(&format!("\"{}\"", x.name)),
            "name {}",
            x.name
        );
    }
    let v3 = r.seeds.v3.as_ref().unwrap();
    assert!(!json.contains(&v3.salt_key.to_hex()));
    for i in 0..r.input.candidates.len() {
        let salt = v3::candidate_salt(&v3.salt_key, i as u32);
        assert!(!json.contains(&hex::encode(salt)));
    }
}

#[test]
fn public_variant_of_the_example_holds_nothing_secret() {
    let r = example::v3_record();
    let p = r.public_variant().unwrap();
    assert_nothing_secret(&r, &p.to_json());
    // Thresholds name no candidate: none equals a candidate's key.
    let u = prns(&r.result.combined_seed, r.input.candidates.len());
    for (pi, t) in p.result.thresholds.iter().enumerate() {
        for h in Stratum::ALL {
            if let Some(t) = t.get(h) {
                for (i, c) in r.input.candidates.iter().enumerate() {
                    let w = if r.input.plans[pi].risk_weighted {
                        c.risk_weight
                    } else {
                        1
                    };
                    assert_ne!(weighted_key(u[i], w, i as u32), t.0);
                }
            }
        }
    }
}

/// Every value of the full `/3` record, changed, is refused, except the platform's time
/// stamps (checked for order only).
#[test]
fn changing_any_value_of_a_v3_record_is_detected() {
    let r = example::v3_record();
    let v = serde_json::to_value(&r).unwrap();
    let mut mutations = Vec::new();
    mutate_leaves(&v, String::new(), &mut mutations);
    assert!(mutations.len() > 200, "{}", mutations.len());
    for (path, new) in mutations {
        let mut t = v.clone();
        set_path(&mut t, &path, new.clone());
        let Ok(tampered) = DrawRecord::from_json(t.to_string().as_bytes()) else {
            continue;
        };
        if path == "commitment.committed_at"
            || path == "drawn_at"
            || path.ends_with(".submitted_at")
        {
            continue;
        }
        assert!(
            verify(&tampered).is_err(),
            "changing {path} to {new} was not detected"
        );
    }
}

/// Every value of the public variant, changed, is refused, except the time stamps and the
/// thresholds: any threshold between the largest key drawn and the smallest key left tells
/// the same truth, and the public can only bound it (openings check it, entity by entity).
#[test]
fn changing_any_value_of_a_public_record_is_detected() {
    let r = example::v3_record();
    let p = r.public_variant().unwrap();
    let v = serde_json::to_value(&p).unwrap();
    let mut mutations = Vec::new();
    mutate_leaves(&v, String::new(), &mut mutations);
    assert!(mutations.len() > 150, "{}", mutations.len());
    for (path, new) in mutations {
        let mut t = v.clone();
        set_path(&mut t, &path, new.clone());
        let Ok(tampered) = PublicDrawRecord::from_json(t.to_string().as_bytes()) else {
            continue;
        };
        if path == "commitment.committed_at"
            || path == "drawn_at"
            || path.ends_with(".submitted_at")
            || path.starts_with("result.thresholds")
        {
            continue;
        }
        assert!(
            verify_public(&tampered).is_err(),
            "changing {path} to {new} was not detected"
        );
    }
}

#[test]
fn legacy_formats_are_unchanged() {
    // /1 and /2 JSON carry none of the new fields.
    for r in [example::record(), example::weighted_record()] {
        let json = r.to_json();
        for f in ["\"v3\"", "\"thresholds\""] {
            assert!(!json.contains(f));
        }
        assert!(verify(&r).is_ok());
    }
    // A /3 input cannot be committed the legacy way.
    let input = example::v3_input();
    assert!(commit(&input, &example::seeds().server, example::committed_at()).is_err());
}

#[test]
fn inspector_order_is_by_identity_commitment() {
    let r = example::v3_record();
    let ids = v3::identity_commitments(&r.input, &r.seeds.v3.as_ref().unwrap().salt_key);
    assert!(ids.windows(2).all(|w| w[0] < w[1]));
    // Listing them by certificate instead is refused.
    let mut t = r.clone();
    t.input
        .inspectors
        .sort_by(|a, b| a.certificate.as_str().cmp(b.certificate.as_str()));
    if t.input.inspectors != r.input.inspectors {
        assert!(matches!(verify(&t), Err(Mismatch::Invalid(_))));
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(40))]

    #[test]
    fn v3_records_verify_in_both_variants_and_tampering_fails(
        shape in any::<u64>(),
        n_cand in 1usize..50,
        n_insp in 4usize..30,
        n_plans in 1usize..4,
        secret in any::<[u8; 32]>(),
        witnessing in any::<u8>(),
        pick in any::<usize>(),
    ) {
        let mut input = random_input(shape, n_cand, n_insp, n_plans);
        if shape % 2 == 0 {
            add_weights(&mut input, shape);
            add_control_shares(&mut input, shape);
        }
        let (input, seeds) = v3_of(input, secret, witnessing);
        let r = match v3_record_of(input, seeds) {
            Ok(r) => r,
            Err(DrawError::Failed(_)) => return Ok(()),
            Err(e) => panic!("{e}"),
        };
        prop_assert!(verify(&r).is_ok());
        let p = r.public_variant().unwrap();
        prop_assert!(verify_public(&p).is_ok(), "{:?}", verify_public(&p).err().map(|m| m.to_string()));
        let back = PublicDrawRecord::from_json(p.to_json().as_bytes()).unwrap();
        prop_assert!(verify_public(&back).is_ok());
        assert_nothing_secret(&r, &p.to_json());
        // Every opening checks.
        let k = pick % r.input.candidates.len();
        for c in &r.input.candidates {
            let o = r.opening(&c.usci).unwrap();
            prop_assert!(o.check(&p).is_ok(), "{:?}", o.check(&p).err().map(|m| m.to_string()));
        }
        // A control pick passed off as a weighted one (or the reverse) fails both variants.
        if let Some(m) = r.result.visits.iter().position(|v| !v.control_plans.is_empty()) {
            let mut t = r.clone();
            t.result.visits[m].control_plans.clear();
            prop_assert!(verify(&t).is_err(), "control flag");
            let mut tp = p.clone();
            tp.result.visits[m].control_plans.clear();
            prop_assert!(verify_public(&tp).is_err(), "control flag, public");
        }
        if let Some(m) = r.result.visits.iter().position(|v| {
            v.plans.iter().any(|q| r.input.plans[*q as usize].control_permille > 0 && !v.control_plans.contains(q))
        }) {
            let v = &r.result.visits[m];
            let q = *v.plans.iter().find(|q| r.input.plans[**q as usize].control_permille > 0 && !v.control_plans.contains(q)).unwrap();
            let mut tp = p.clone();
            tp.result.visits[m].control_plans.push(q);
            tp.result.visits[m].control_plans.sort_unstable();
            prop_assert!(verify_public(&tp).is_err(), "weighted pick passed off as control, public");
            let o = r.opening(&v.usci).unwrap();
            prop_assert!(o.check(&tp).is_err(), "weighted pick passed off as control, opening");
        }

        // Changing any committed value fails verify.
        let v3 = r.seeds.v3.as_ref().unwrap();
        let mut t = r.clone();
        let c = &mut t.input.candidates[k];
        c.credit_class = match c.credit_class { Some(CreditClass::A) => None, _ => Some(CreditClass::A) };
        prop_assert!(verify(&t).is_err(), "class");
        let mut t = r.clone();
        let c = &mut t.input.candidates[k];
        c.risk_weight = if c.risk_weight == 10 { 9 } else { c.risk_weight + 1 };
        prop_assert!(verify(&t).is_err(), "weight");
        let mut t = r.clone();
        t.seeds.v3.as_mut().unwrap().salt_key.0[pick % 32] ^= 1;
        prop_assert!(verify(&t).is_err(), "salt key");
        let j = pick % r.input.inspectors.len();
        let mut t = r.clone();
        t.input.inspectors[j].name.push('X');
        prop_assert!(verify(&t).is_err(), "inspector name");
        let mut t = r.clone();
        let cert = format!("{}9", t.input.inspectors[j].certificate.as_str());
        t.input.inspectors[j].certificate = crate::account::CertificateNumber::parse(&cert).unwrap();
        prop_assert!(verify(&t).is_err(), "certificate");
        if !v3.contributions.is_empty() {
            let mut t = r.clone();
            let mut bytes = v3.contributions[0].value.as_bytes().to_vec();
            let at = pick % bytes.len();
            bytes[at] ^= 1;
            t.seeds.v3.as_mut().unwrap().contributions[0].value = ContributionValue::new(bytes).unwrap();
            prop_assert!(verify(&t).is_err(), "contribution");
            let mut tp = p.clone();
            tp.seeds.contributions = t.seeds.v3.as_ref().unwrap().contributions.clone();
            prop_assert!(verify_public(&tp).is_err(), "contribution, public");
        }
        if let Some(b) = &v3.beacon_value {
            let mut t = r.clone();
            t.seeds.v3.as_mut().unwrap().beacon_value = Some(format!("{b} "));
            prop_assert!(verify(&t).is_err(), "beacon");
            let mut tp = p.clone();
            tp.seeds.beacon_value = Some(format!("{b} "));
            prop_assert!(verify_public(&tp).is_err(), "beacon, public");
        }
        if !r.result.visits.is_empty() {
            let m = pick % r.result.visits.len();
            let mut t = r.clone();
            t.result.visits[m].inspectors.reverse();
            t.result.visits[m].inspectors.push(t.input.inspectors[j].certificate.clone());
            prop_assert!(verify(&t).is_err(), "visit");
            let mut tp = p.clone();
            tp.result.visits[m].inspectors.push(tp.input.inspectors[j].pseudonym.clone());
            prop_assert!(verify_public(&tp).is_err(), "visit, public");
            let mut tp = p.clone();
            tp.result.visits.remove(m);
            prop_assert!(verify_public(&tp).is_err(), "visit removed, public");
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(40))]

    /// What the services store when a draw is executed: the public variant built from the
    /// public input the commitment hashed (`commit_v3_public`, kept from the commitment) is the
    /// public variant of the record, its compact JSON verifies and holds nothing secret; a
    /// public input of another draw is refused.
    #[test]
    fn public_variant_from_the_committed_public_input(
        shape in any::<u64>(),
        n_cand in 1usize..50,
        n_insp in 4usize..30,
        n_plans in 1usize..4,
        secret in any::<[u8; 32]>(),
        witnessing in any::<u8>(),
    ) {
        let mut input = random_input(shape, n_cand, n_insp, n_plans);
        if shape % 2 == 0 {
            add_weights(&mut input, shape);
        }
        let (input, seeds) = v3_of(input, secret, witnessing);
        let salt_key = seeds.v3.as_ref().unwrap().salt_key;
        let (commitment, public_input) =
            commit_v3_public(&input, &seeds.server, &salt_key, example::committed_at()).unwrap();
        prop_assert_eq!(
            &commitment,
            &commit_v3(&input, &seeds.server, &salt_key, example::committed_at()).unwrap()
        );
        let result = match draw_committed(&input, &seeds, &commitment) {
            Ok(r) => r,
            Err(DrawError::Failed(_)) => return Ok(()),
            Err(e) => panic!("{e}"),
        };
        let r = DrawRecord::new(input, commitment, seeds, example::v3_drawn_at(), result);
        let mut other = public_input.clone();
        let stored = r.public_variant_from(public_input).unwrap();
        let fresh = r.public_variant();
        prop_assert_eq!(Some(&stored), fresh.as_ref());
        let json = stored.to_json();
        let back = PublicDrawRecord::from_json(json.as_bytes()).unwrap();
        prop_assert!(verify_public(&back).is_ok());
        assert_nothing_secret(&r, &json);
        other.id = Uuid::from_u128(u128::from(shape) + 1);
        prop_assert!(other.id == r.input.id || r.public_variant_from(other).is_none());
    }
}

/// Random control shares (0, 15 %, 30 %, 45 %, 100 %) on the risk-weighted plans of a `/3`
/// input.
fn add_control_shares(input: &mut DrawInput, seed: u64) {
    for (k, p) in input.plans.iter_mut().enumerate() {
        if p.risk_weighted {
            p.control_permille = [0, 150, 300, 450, 1000][((seed >> 8) as usize + k) % 5];
        }
    }
}

/// The random control share by a plain reference: per plan and stratum, the `control_quota`
/// eligible candidates with the smallest plain keys, then the rest of the quota with the
/// smallest weighted keys among the others (docs/draw-algorithm.md 12.13); the draw's visits,
/// control flags and counts are exactly that.
#[test]
fn control_share_matches_a_plain_reference() {
    for seed in 0..60u64 {
        let mut input = random_input(seed, 200, 12, 3);
        add_weights(&mut input, seed);
        add_control_shares(&mut input, seed);
        let (input, seeds) = v3_of(input, [seed as u8; 32], 0);
        let r = match v3_record_of(input, seeds) {
            Ok(r) => r,
            Err(DrawError::Failed(_)) => continue,
            Err(e) => panic!("{e}"),
        };
        let u = prns(&r.result.combined_seed, r.input.candidates.len());
        for (p, plan) in r.input.plans.iter().enumerate() {
            for h in Stratum::ALL {
                let mut eligible: Vec<u32> = (0..r.input.candidates.len() as u32)
                    .filter(|&i| {
                        let c = &r.input.candidates[i as usize];
                        c.plans.contains(&(p as u32))
                            && !c.is_excluded(p as u32)
                            && c.stratum() == h
                    })
                    .collect();
                let q = quota(eligible.len() as u64, *plan.ratios.get(h)) as usize;
                let qc = control_quota(q as u64, plan.control_permille) as usize;
                eligible.sort_by_key(|&i| weighted_key(u[i as usize], 1, i));
                let mut control: Vec<u32> = eligible[..qc].to_vec();
                let w = |i: u32| {
                    if plan.risk_weighted {
                        r.input.candidates[i as usize].risk_weight
                    } else {
                        1
                    }
                };
                let mut rest = eligible[qc..].to_vec();
                rest.sort_by_key(|&i| weighted_key(u[i as usize], w(i), i));
                let mut targeted: Vec<u32> = rest[..q - qc].to_vec();
                control.sort_unstable();
                targeted.sort_unstable();
                let of = |control_flag: bool| -> Vec<u32> {
                    r.result
                        .visits
                        .iter()
                        .filter(|v| {
                            v.plans.contains(&(p as u32))
                                && v.control_plans.contains(&(p as u32)) == control_flag
                        })
                        .map(|v| {
                            r.input
                                .candidates
                                .binary_search_by(|c| c.usci.cmp(&v.usci))
                                .unwrap() as u32
                        })
                        .filter(|&i| r.input.candidates[i as usize].stratum() == h)
                        .collect()
                };
                assert_eq!(
                    of(true),
                    control,
                    "seed {seed} plan {p} class {}",
                    h.as_str()
                );
                assert_eq!(
                    of(false),
                    targeted,
                    "seed {seed} plan {p} class {}",
                    h.as_str()
                );
                let x = r.result.counts[p].get(h);
                assert_eq!(
                    (x.quota, x.drawn, x.control),
                    (q as u64, q as u64, qc as u64)
                );
            }
        }
    }
}

#[test]
fn control_shares_are_refused_where_they_mean_nothing() {
    let mut input = example::v3_input();
    input.plans[0].control_permille = 100;
    let e = input.validate().unwrap_err();
    assert_eq!(
        (e.field.as_str(), e.invalid.code),
        ("plans[0].control_permille", "control_share")
    );
    input.plans[0].risk_weighted = true;
    assert!(input.validate().is_ok());
    input.plans[0].control_permille = 1001;
    assert_eq!(input.validate().unwrap_err().invalid.code, "control_share");
    let mut legacy = example::input();
    legacy.plans[0].risk_weighted = true;
    legacy.plans[0].control_permille = 100;
    assert_eq!(legacy.validate().unwrap_err().invalid.code, "control_share");
}

#[test]
fn control_quota_rounds_half_up() {
    assert_eq!(control_quota(0, 100), 0);
    assert_eq!(control_quota(4, 100), 0);
    assert_eq!(control_quota(5, 100), 1);
    assert_eq!(control_quota(15, 100), 2);
    assert_eq!(control_quota(70_458, 100), 7_046);
    assert_eq!(control_quota(7, 1000), 7);
}

/// The size of the largest item pool of the bench province: 500,000 candidates, about 70,000
/// visits. Times the public variant (issue 11: within ~150 ms on one core) and the /3 parts of
/// commit and draw. Run with
/// `cargo test --release -p lianjian-domain --lib -- --ignored --nocapture v3_timing_at_500k`.
#[test]
#[ignore]
fn v3_timing_at_500k() {
    use std::time::Instant;
    let n = 500_000u32;
    let market = example::MARKET;
    let dept = DepartmentRef {
        id: market,
        name: "市场监督管理局".into(),
    };
    let plan = DrawPlan {
        id: Uuid::from_u128(1),
        code: "P-1".into(),
        item_code: "I-1".into(),
        item_name: "事项".into(),
        key_item: false,
        lead_department: dept.clone(),
        involved_departments: vec![dept],
        check_points: 3,
        ratios: PerClass {
            a: 50,
            b: 100,
            c: 200,
            d: 1000,
            ungraded: 140,
        },
        inspectors_per_visit: 2,
        experts_per_visit: 0,
        qualifications: Vec::new(),
        risk_weighted: true,
        control_permille: 0,
    };
    let classes = [
        Some(CreditClass::A),
        Some(CreditClass::B),
        Some(CreditClass::C),
        Some(CreditClass::D),
        None,
    ];
    let candidates: Vec<Candidate> = (0..n)
        .map(|k| Candidate {
            usci: example::usci(k),
            name: format!("企业{k}"),
            credit_class: classes[[0, 1, 1, 1, 2, 4, 4, 4, 4, 3][(k % 10) as usize]],
            plans: vec![0],
            exclusions: Vec::new(),
            previous_inspectors: Vec::new(),
            risk_weight: 1 + (k % 3) as u8,
        })
        .collect();
    let inspectors: Vec<DrawInspector> = (0..300)
        .map(|j| DrawInspector {
            certificate: crate::account::CertificateNumber::parse(&format!("ZF{j:06}")).unwrap(),
            name: format!("检查员姓名{j}"),
            department_id: market,
            kind: InspectorKind::Officer,
            qualifications: Vec::new(),
            conflicts: Vec::new(),
            workload: 0,
        })
        .collect();
    let input = DrawInput {
        id: Uuid::from_u128(9),
        title: "计时".into(),
        region_code: crate::region::RegionCode::parse("411121").unwrap(),
        period_start: chrono::NaiveDate::from_ymd_opt(2026, 4, 1).unwrap(),
        period_end: chrono::NaiveDate::from_ymd_opt(2026, 6, 30).unwrap(),
        redraw_of: None,
        redraw_reason: None,
        plans: vec![plan],
        candidates,
        inspectors,
        v3: None,
    };
    let (mut input, seeds) = v3_of(input, [7; 32], 0);
    let salt_key = seeds.v3.as_ref().unwrap().salt_key;
    let t = Instant::now();
    input.normalise_v3(&salt_key);
    let normalise = t.elapsed();
    // CPU time of the whole process (all threads), in clock ticks of 10 ms: the machine may
    // be shared, so wall time alone can mislead.
    let cpu = || {
        let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
        let f: Vec<&str> = stat
            .rsplit(')')
            .next()
            .unwrap_or("")
            .split_whitespace()
            .collect();
        let t = |k: usize| f.get(k).and_then(|x| x.parse::<u64>().ok()).unwrap_or(0);
        std::time::Duration::from_millis(10 * (t(11) + t(12)))
    };
    let (t, c) = (Instant::now(), cpu());
    let commitment = commit_v3(&input, &seeds.server, &salt_key, example::committed_at()).unwrap();
    let commit = t.elapsed();
    println!("commit_v3: wall {commit:?}, cpu {:?}", cpu() - c);
    let (t, c) = (Instant::now(), cpu());
    let result = draw_committed(&input, &seeds, &commitment).unwrap();
    let drawn = t.elapsed();
    println!("draw_committed: wall {drawn:?}, cpu {:?}", cpu() - c);
    let record = DrawRecord::new(input, commitment, seeds, example::v3_drawn_at(), result);
    let (t, c) = (Instant::now(), cpu());
    let commitments = v3::class_commitments(&record.input, &salt_key);
    println!(
        "class_commitments: wall {:?}, cpu {:?}",
        t.elapsed(),
        cpu() - c
    );
    drop(commitments);
    let (t, c) = (Instant::now(), cpu());
    let pi = PublicInput::of(&record.input, &salt_key);
    println!(
        "PublicInput::of: wall {:?}, cpu {:?}",
        t.elapsed(),
        cpu() - c
    );
    drop(pi);
    let (t, c) = (Instant::now(), cpu());
    let public = record.public_variant().unwrap();
    let variant = t.elapsed();
    println!("public_variant: wall {variant:?}, cpu {:?}", cpu() - c);
    let t = Instant::now();
    let json = public.to_json();
    let serialise = t.elapsed();
    let threads = std::thread::available_parallelism().map_or(1, |t| t.get());
    println!(
        "500k /3 ({threads} threads): normalise_v3 {normalise:?}, commit_v3 {commit:?}, \
         draw_committed {drawn:?} ({} visits), public_variant {variant:?}, public JSON {serialise:?} ({} MB)",
        record.result.visits.len(),
        json.len() >> 20
    );
    let t = Instant::now();
    verify_public(&public).unwrap();
    println!("verify_public {:?}", t.elapsed());
}

/// docs/draw-algorithm.md prints the `/3` worked example exactly as the code computes it.
#[test]
fn the_documented_v3_example_matches() {
    let doc = include_str!("../../../../docs/draw-algorithm.md");
    let text = example::v3_worked_example();
    if !doc.contains(&text) {
        // Written out so that the document can be brought up to date by copying it in.
        let out = std::env::temp_dir().join("lianjian-v3-worked-example.txt");
        std::fs::write(&out, &text).unwrap();
        panic!(
            "docs/draw-algorithm.md must contain the /3 worked example exactly (section 12.12); \
             the current text is in {}",
            out.display()
        );
    }
}

/// docs/draw-algorithm.md prints the control-share example exactly as the code computes it,
/// and it verifies in both variants, with every opening.
#[test]
fn the_documented_control_example_matches() {
    let r = example::v3_control_record();
    verify(&r).unwrap();
    let p = r.public_variant().unwrap();
    verify_public(&p).unwrap();
    for c in &r.input.candidates {
        let check = r.opening(&c.usci).unwrap().check(&p).unwrap();
        let v = r.result.visits.iter().find(|v| v.usci == c.usci);
        for po in &check.plans {
            let control = v.is_some_and(|v| v.control_plans.contains(&po.plan));
            assert_eq!(po.control, control);
            assert_eq!(po.to_string().contains("随机对照"), control, "{po}");
        }
    }
    assert!(r.result.visits.iter().any(|v| !v.control_plans.is_empty()));
    let doc = include_str!("../../../../docs/draw-algorithm.md");
    let text = example::v3_control_worked_example();
    if !doc.contains(&text) {
        let out = std::env::temp_dir().join("lianjian-v3-control-example.txt");
        std::fs::write(&out, &text).unwrap();
        panic!(
            "docs/draw-algorithm.md must contain the control-share example exactly (section \
             12.13); the current text is in {}",
            out.display()
        );
    }
}

/// Everything in a `/3` full record is committed: previous inspectors outside the pool (who
/// could not be picked anyway, and whom the text cannot list) are dropped by `normalise_v3`
/// and refused by `validate`.
#[test]
fn previous_inspectors_outside_the_pool_are_left_out() {
    let gone = crate::account::CertificateNumber::parse("ZF99999999").unwrap();
    let mut input = example::v3_input();
    input.candidates[0].previous_inspectors.push(gone.clone());
    let e = input.validate().unwrap_err();
    assert_eq!(e.field, "candidates[0].previous_inspectors[0]");
    assert_eq!(e.invalid.code, "previous_not_in_pool");
    input.normalise_v3(&example::v3_salt_key());
    assert!(input.validate().is_ok());
    assert!(!input.candidates[0].previous_inspectors.contains(&gone));
}

#[test]
fn a_record_stored_without_its_input_joins_back_to_the_same_bytes() {
    for r in [example::v3_record(), example::record()] {
        let input_json = serde_json::to_string(&r.input).unwrap();
        let stored = r.to_json_without_input();
        assert!(stored.contains(",\"input\":null,"));
        assert!(!stored.contains(&input_json));
        assert_eq!(record_with_input(stored, &input_json), r.to_json());
        // Records stored whole, pretty or compact, are returned as they are.
        assert_eq!(record_with_input(r.to_json(), &input_json), r.to_json());
        assert_eq!(
            record_with_input(r.to_json_pretty(), &input_json),
            r.to_json_pretty()
        );
    }
    // Neither a truncated head nor text that merely starts like a record is spliced.
    for odd in [
        "",
        "{\"format\":\"",
        "{\"format\":\"x\",\"input\":nul",
        "null",
    ] {
        assert_eq!(record_with_input(odd.to_string(), "{}"), odd);
    }
}
