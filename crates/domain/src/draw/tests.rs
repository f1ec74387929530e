//! Tests of the draw: the fixed test vector quoted in `docs/draw-algorithm.md`, the random
//! stream against an independent ChaCha20, failures, tampering, and property tests.

use std::collections::HashSet;

use proptest::prelude::*;
use rand_chacha::ChaCha8Rng;
use rand_chacha::rand_core::{RngCore, SeedableRng};
use uuid::Uuid;

use super::*;
use crate::account::CertificateNumber;
use crate::directory::CreditClass;
use crate::usci::Usci;

// ---------------------------------------------------------------------------------------------
// An independent ChaCha20 block function (RFC 8439 §2.3), to pin what the stream is.

fn quarter(s: &mut [u32; 16], a: usize, b: usize, c: usize, d: usize) {
    s[a] = s[a].wrapping_add(s[b]);
    s[d] = (s[d] ^ s[a]).rotate_left(16);
    s[c] = s[c].wrapping_add(s[d]);
    s[b] = (s[b] ^ s[c]).rotate_left(12);
    s[a] = s[a].wrapping_add(s[b]);
    s[d] = (s[d] ^ s[a]).rotate_left(8);
    s[c] = s[c].wrapping_add(s[d]);
    s[b] = (s[b] ^ s[c]).rotate_left(7);
}

fn rfc8439_block(key: &[u8; 32], counter: u32, nonce: &[u8; 12]) -> [u8; 64] {
    let mut s = [0u32; 16];
    s[..4].copy_from_slice(&[0x61707865, 0x3320646e, 0x79622d32, 0x6b206574]);
    for k in 0..8 {
        s[4 + k] = u32::from_le_bytes(key[4 * k..4 * k + 4].try_into().unwrap());
    }
    s[12] = counter;
    for k in 0..3 {
        s[13 + k] = u32::from_le_bytes(nonce[4 * k..4 * k + 4].try_into().unwrap());
    }
    let init = s;
    for _ in 0..10 {
        quarter(&mut s, 0, 4, 8, 12);
        quarter(&mut s, 1, 5, 9, 13);
        quarter(&mut s, 2, 6, 10, 14);
        quarter(&mut s, 3, 7, 11, 15);
        quarter(&mut s, 0, 5, 10, 15);
        quarter(&mut s, 1, 6, 11, 12);
        quarter(&mut s, 2, 7, 8, 13);
        quarter(&mut s, 3, 4, 9, 14);
    }
    let mut out = [0u8; 64];
    for k in 0..16 {
        out[4 * k..4 * k + 4].copy_from_slice(&s[k].wrapping_add(init[k]).to_le_bytes());
    }
    out
}

fn rfc8439_words(key: &Bytes32, nonce: &[u8; 12], n: usize) -> Vec<u64> {
    let mut bytes = Vec::new();
    let mut counter = 0;
    while bytes.len() < 8 * n {
        bytes.extend_from_slice(&rfc8439_block(&key.0, counter, nonce));
        counter += 1;
    }
    bytes
        .chunks_exact(8)
        .take(n)
        .map(|b| u64::from_le_bytes(b.try_into().unwrap()))
        .collect()
}

#[test]
fn reference_block_function_matches_rfc8439_vector() {
    // RFC 8439 §2.3.2.
    let key: [u8; 32] = std::array::from_fn(|k| k as u8);
    let nonce = [0, 0, 0, 0x09, 0, 0, 0, 0x4a, 0, 0, 0, 0];
    let b = rfc8439_block(&key, 1, &nonce);
    assert_eq!(hex::encode(&b[..16]), "10f1e7e4d13b5915500fdd1fa32071c4");
    assert_eq!(hex::encode(&b[48..]), "b5129cd1de164eb9cbd083e8a2503c4e");
}

#[test]
fn streams_are_rfc8439_chacha20_with_a_zero_or_stream_nonce() {
    let key = combined_seed(&example::seeds().server, None);
    let n = 200;
    assert_eq!(prns(&key, n), rfc8439_words(&key, &[0; 12], n));
    let mut nonce1 = [0u8; 12];
    nonce1[4] = 1;
    let t = rfc8439_words(&key, &nonce1, n);
    for (i, w) in t.iter().enumerate() {
        assert_eq!(tiebreak_at(&key, i as u64), *w, "i={i}");
    }
}

#[test]
fn random_access_and_sequential_numbers_agree() {
    let key = example::record().result.combined_seed;
    let n = 1000;
    let seq = prns(&key, n);
    let iter: Vec<u64> = PrnStream::new(&key).take(n).collect();
    assert_eq!(seq, iter);
    let mut reader = PrnReader::new(&key, PRN_STREAM);
    for i in (0..n).rev().step_by(7).chain(0..n) {
        assert_eq!(prn_at(&key, i as u64), seq[i], "prn_at {i}");
        assert_eq!(reader.at(i as u64), seq[i], "reader {i}");
    }
    // A stream started in the middle, and `fill` after partial iteration.
    let mid: Vec<u64> = PrnStream::starting_at(&key, PRN_STREAM, 333)
        .take(100)
        .collect();
    assert_eq!(mid, seq[333..433]);
    let mut s = PrnStream::new(&key);
    let first: Vec<u64> = s.by_ref().take(5).collect();
    let mut rest = vec![0; 600];
    s.fill(&mut rest);
    assert_eq!(first, seq[..5]);
    assert_eq!(rest, seq[5..605]);
    assert_eq!(s.next(), Some(seq[605]));
}

// ---------------------------------------------------------------------------------------------
// The worked example and its numbers (quoted in docs/draw-algorithm.md).

#[test]
fn test_vector_of_the_worked_example() {
    let r = example::record();
    let c = &r.commitment;
    assert_eq!(
        c.seed_sha256.to_hex(),
        "630dcd2966c4336691125448bbb25b4ff412a49c732db2c8abc1b8581bd710dd"
    );
    assert_eq!(
        c.candidates_sha256.to_hex(),
        "1b737bd4e0c943d6faee064807058ab20c470ac73426e88840087da82005b2dd"
    );
    assert_eq!(
        c.inspectors_sha256.to_hex(),
        "c97a710e570fee08192fcc60e17a0cf530888f73568698de0a35f190128018b4"
    );
    assert_eq!(
        r.result.combined_seed.to_hex(),
        "aa6de44a350c9da07f5cee855c419962684d2d9331f8194ba2c935b1c60c096d"
    );
    let u: Vec<String> = prns(&r.result.combined_seed, 12)
        .iter()
        .map(|u| format!("{u:016x}"))
        .collect();
    assert_eq!(
        u,
        [
            "b1a373e5aaa6ce9b",
            "65edba348d6b5efe",
            "a8d4ee6d9fdd68b4",
            "7094cf5922315c6d",
            "7c6dbd8c6c02f325",
            "cfe25cf927734f62",
            "491a90cbc871a6cc",
            "983eb15d23be24b0",
            "228794a119496575",
            "9f52f0e9c68058f6",
            "c6b1f320fb08003c",
            "3554fd41f4f39fe9",
        ]
    );
    assert_eq!(
        prns(&r.result.combined_seed, 1)[0],
        12800201996164845211,
        "u_0 in decimal"
    );
    let t: Vec<String> = (0..6)
        .map(|i| format!("{:016x}", tiebreak_at(&r.result.combined_seed, i)))
        .collect();
    assert_eq!(
        t,
        [
            "a839faec715e93f8",
            "d547a050c60a18bd",
            "22b6150590de3459",
            "e35a8ffe5fcd6416",
            "9df560f3dbf568fd",
            "4358b90a88525fdf",
        ]
    );

    let visits: Vec<String> = r
        .result
        .visits
        .iter()
        .map(|v| {
            format!(
                "{} {:?} lead {} {}",
                &v.usci.as_str()[10..16],
                v.plans,
                v.lead_plan,
                v.inspectors
                    .iter()
                    .map(|c| &c.as_str()[6..])
                    .collect::<Vec<_>>()
                    .join(",")
            )
        })
        .collect();
    assert_eq!(
        visits,
        [
            "000003 [0] lead 0 2101,2202",
            "000004 [1] lead 1 2102,2105,2301",
            "000005 [1] lead 1 2103,2104,2302",
            "000007 [1] lead 1 2102,2104,2301",
            "000008 [1] lead 1 2101,2102,2301",
            "000009 [0, 1] lead 1 2103,2202,2302",
            "000010 [1] lead 1 2102,2105,2302",
            "000012 [0] lead 0 2101,2201",
        ]
    );
    let counts: Vec<String> = r
        .result
        .counts
        .iter()
        .map(|c| {
            Stratum::ALL
                .iter()
                .map(|&s| {
                    let x = c.get(s);
                    format!("{}/{}/{}", x.eligible, x.quota, x.drawn)
                })
                .collect::<Vec<_>>()
                .join(" ")
        })
        .collect();
    assert_eq!(
        counts,
        [
            "0/0/0 3/1/1 2/1/1 0/0/0 2/1/1",
            "1/1/1 2/1/1 2/1/1 2/2/2 1/1/1"
        ]
    );
    let s = verify(&r).unwrap();
    assert_eq!((s.plans, s.candidates, s.inspectors), (2, 12, 9));
    assert_eq!((s.visits, s.selections), (8, 9));
}

#[test]
fn canonical_text_of_the_example() {
    let input = example::input();
    let text = candidates_text(&input);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[0], "lianjian-draw/1 candidates");
    assert_eq!(
        lines[1],
        "draw\t0195f3a0-0000-7000-8000-000000000001\t舞阳县2026年第二季度跨部门联合双随机抽查\t411121\t2026-04-01\t2026-06-30\t\t"
    );
    assert_eq!(
        lines[2],
        "plan\t44444444-4444-4444-8444-000000000001\tWY-2026-01\tWY-01\t食品生产企业综合监管\t0\t11111111-1111-4111-8111-111111111111\t舞阳县市场监督管理局\t12\t30\t100\t300\t700\t100\t2\t0\t食品安全"
    );
    assert!(lines.contains(
        &"candidate\t91411121MA000009B0\t舞阳县豫中食品有限公司\tB\t0,1\tZF41112101,ZF41112201"
    ));
    assert!(lines.contains(&"candidate\t91411121MA000004BT\t舞阳县泥河食品有限公司\t\t0,1\t"));
    assert!(lines.contains(&"exclusion\t0\tcooldown\t6个月内已就同一事项检查"));
    assert!(text.ends_with('\n'));
    let ins = inspectors_text(&input);
    assert!(ins.contains(
        "inspector\tZF41112104\t刘洋\t11111111-1111-4111-8111-111111111111\tofficer\t食品安全\t91411121MA000009B0\t0\n"
    ));
    assert!(ins.contains("\tofficer\t特种设备,食品安全\t\t3\n"));
}

#[test]
fn text_fields_are_escaped() {
    let mut input = example::input();
    input.title = "a\tb\nc\\d,e\rf".into();
    let text = candidates_text(&input);
    assert!(text.contains("\ta\\tb\\nc\\\\d\\,e\\rf\t"));
    input.plans[0].qualifications = vec!["x,y".into(), "z".into()];
    assert!(candidates_text(&input).contains("\tx\\,y,z\n"));
}

#[test]
fn quotas_round_up_in_integers() {
    assert_eq!(quota(0, 1000), 0);
    assert_eq!(quota(10, 0), 0);
    assert_eq!(quota(1, 1), 1);
    assert_eq!(quota(3, 100), 1);
    assert_eq!(quota(10, 100), 1);
    assert_eq!(quota(11, 100), 2);
    assert_eq!(quota(1000, 30), 30);
    assert_eq!(quota(1001, 30), 31);
    assert_eq!(quota(7, 1000), 7);
    assert_eq!(quota(u32::MAX as u64, 999), 4_290_672_328);
}

#[test]
fn json_round_trip_and_parse_errors_name_the_path() {
    let r = example::record();
    let json = r.to_json_pretty();
    assert_eq!(DrawRecord::from_json(json.as_bytes()).unwrap(), r);

    let mut v: serde_json::Value = serde_json::from_str(&json).unwrap();
    v["input"]["candidates"][3]["credit_class"] = "E".into();
    let e = DrawRecord::from_json(v.to_string().as_bytes()).unwrap_err();
    assert_eq!(e.path, "input.candidates[3].credit_class");

    let mut v: serde_json::Value = serde_json::from_str(&json).unwrap();
    v["input"]["inspectors"][0]
        .as_object_mut()
        .unwrap()
        .remove("workload");
    let e = DrawRecord::from_json(v.to_string().as_bytes()).unwrap_err();
    assert_eq!(e.path, "input.inspectors[0].workload");

    let mut v: serde_json::Value = serde_json::from_str(&json).unwrap();
    v["seeds"]["server"] = "abcd".into();
    assert_eq!(
        DrawRecord::from_json(v.to_string().as_bytes())
            .unwrap_err()
            .path,
        "seeds.server"
    );

    let mut v: serde_json::Value = serde_json::from_str(&json).unwrap();
    v["format"] = "lianjian-draw/9".into();
    assert_eq!(
        DrawRecord::from_json(v.to_string().as_bytes())
            .unwrap_err()
            .path,
        "format"
    );
    assert!(DrawRecord::from_json(b"not json").is_err());
}

// ---------------------------------------------------------------------------------------------
// Tampering.

pub(super) fn mutate_leaves(
    v: &serde_json::Value,
    path: String,
    out: &mut Vec<(String, serde_json::Value)>,
) {
    use serde_json::Value;
    match v {
        Value::Object(m) => {
            for (k, x) in m {
                let p = if path.is_empty() {
                    k.clone()
                } else {
                    format!("{path}.{k}")
                };
                mutate_leaves(x, p, out);
            }
        }
        Value::Array(a) => {
            for (k, x) in a.iter().enumerate() {
                mutate_leaves(x, format!("{path}[{k}]"), out);
            }
        }
        Value::Null => out.push((path, Value::String("X".into()))),
        Value::Bool(b) => out.push((path, Value::Bool(!b))),
        Value::Number(n) => out.push((path, Value::from(n.as_u64().unwrap() + 1))),
        Value::String(s) => {
            let mut chars: Vec<char> = s.chars().collect();
            match chars.last().copied() {
                Some(c @ '0'..='8') => *chars.last_mut().unwrap() = (c as u8 + 1) as char,
                Some('9') => *chars.last_mut().unwrap() = '0',
                Some(c @ 'a'..='e') => *chars.last_mut().unwrap() = (c as u8 + 1) as char,
                Some('f') => *chars.last_mut().unwrap() = 'a',
                _ => chars.push('X'),
            }
            out.push((path, Value::String(chars.into_iter().collect())));
        }
    }
}

pub(super) fn set_path(v: &mut serde_json::Value, path: &str, new: serde_json::Value) {
    let mut cur = v;
    for part in path.split('.') {
        let (name, idx) = match part.find('[') {
            Some(i) => (&part[..i], Some(&part[i..])),
            None => (part, None),
        };
        cur = &mut cur[name];
        if let Some(idx) = idx {
            for n in idx.split(['[', ']']).filter(|s| !s.is_empty()) {
                cur = &mut cur[n.parse::<usize>().unwrap()];
            }
        }
    }
    *cur = new;
}

/// Every single value of the record, changed, is refused: the file no longer parses, or
/// verification finds a difference. Only the platform's time stamps and the witness's name are
/// statements outside the proof; see `timestamps_are_checked_for_order_only`.
#[test]
fn changing_any_value_of_the_record_is_detected() {
    let r = example::record();
    let v = serde_json::to_value(&r).unwrap();
    let mut mutations = Vec::new();
    mutate_leaves(&v, String::new(), &mut mutations);
    assert!(mutations.len() > 200, "{}", mutations.len());
    for (path, new) in mutations {
        let mut t = v.clone();
        set_path(&mut t, &path, new.clone());
        assert_ne!(t, v, "{path}");
        let Ok(tampered) = DrawRecord::from_json(t.to_string().as_bytes()) else {
            continue;
        };
        if matches!(
            path.as_str(),
            "commitment.committed_at" | "drawn_at" | "seeds.witness_name"
        ) {
            continue;
        }
        assert!(
            verify(&tampered).is_err(),
            "changing {path} to {new} was not detected"
        );
    }
}

#[test]
fn timestamps_are_checked_for_order_only() {
    let mut r = example::record();
    r.drawn_at = example::drawn_at() + chrono::Duration::days(3);
    assert!(verify(&r).is_ok());
    r.drawn_at = example::committed_at() - chrono::Duration::seconds(1);
    assert_eq!(verify(&r), Err(Mismatch::Chronology));
}

#[test]
fn tampering_names_the_first_difference() {
    let good = example::record();

    let mut r = good.clone();
    r.input.candidates[0].credit_class = Some(CreditClass::D);
    assert!(matches!(verify(&r), Err(Mismatch::CandidatesHash { .. })));

    let mut r = good.clone();
    r.input.inspectors[0].conflicts = vec![example::usci(3)];
    assert!(matches!(verify(&r), Err(Mismatch::InspectorsHash { .. })));

    let mut r = good.clone();
    r.seeds.server.0[31] ^= 1;
    assert!(matches!(verify(&r), Err(Mismatch::SeedHash { .. })));

    let mut r = good.clone();
    r.seeds.witness = Some(Witness::new(b"witness-2027".to_vec()).unwrap());
    assert!(matches!(verify(&r), Err(Mismatch::CombinedSeed { .. })));

    let mut r = good.clone();
    r.seeds.witness = None;
    assert!(matches!(verify(&r), Err(Mismatch::CombinedSeed { .. })));

    let mut r = good.clone();
    r.result.visits[2].inspectors[0] = CertificateNumber::parse("ZF41112101").unwrap();
    let e = verify(&r).unwrap_err();
    assert!(matches!(e, Mismatch::Visit { number: 3, .. }), "{e}");
    assert!(e.to_string().contains("visit 3 differs"), "{e}");

    let mut r = good.clone();
    r.result.visits.pop();
    assert!(matches!(
        verify(&r),
        Err(Mismatch::Visit {
            number: 8,
            recorded: None,
            ..
        })
    ));

    let mut r = good.clone();
    r.result.counts[1].d.eligible = 3;
    let e = verify(&r).unwrap_err();
    assert!(matches!(e, Mismatch::Counts { plan: 1, .. }), "{e}");
    assert!(e.to_string().contains("WY-2026-08"), "{e}");

    let mut r = good.clone();
    r.input.candidates.swap(0, 1);
    assert!(matches!(verify(&r), Err(Mismatch::Invalid(_))));

    // Re-hashing the altered input is caught as well: the recorded result no longer follows.
    let mut r = good.clone();
    r.input.candidates[2].credit_class = Some(CreditClass::A);
    r.commitment.candidates_sha256 = candidates_sha256(&r.input);
    assert!(matches!(
        verify(&r),
        Err(Mismatch::Visit { .. } | Mismatch::Counts { .. })
    ));
}

// ---------------------------------------------------------------------------------------------
// Rules of the assignment, and failures.

fn cert(s: &str) -> CertificateNumber {
    CertificateNumber::parse(s).unwrap()
}

fn failure(input: &DrawInput) -> DrawFailure {
    match draw(input, &example::seeds()) {
        Err(DrawError::Failed(f)) => f,
        other => panic!("expected a failure, got {other:?}"),
    }
}

#[test]
fn missing_qualification_fails_naming_it() {
    let mut input = example::input();
    for x in &mut input.inspectors {
        x.qualifications.retain(|q| q != "特种设备");
    }
    let f = failure(&input);
    assert_eq!(f.code, "missing_qualification");
    assert_eq!(f.qualification.as_deref(), Some("特种设备"));
    assert_eq!(f.department.as_ref().unwrap().id, example::MARKET);
    assert_eq!(f.usci, example::usci(4), "the first visit of plan 1");
    assert_eq!(f.short, 1);
    assert!(f.message.contains("缺少资格“特种设备”"), "{}", f.message);
}

#[test]
fn all_conflicted_fails() {
    let mut input = example::input();
    for x in &mut input.inspectors {
        if x.holds("特种设备") {
            x.conflicts.push(example::usci(4));
        }
    }
    let f = failure(&input);
    assert_eq!(f.code, "all_conflicted");
    assert_eq!(f.usci, example::usci(4));
    assert!(f.message.contains("全部存在利益冲突"), "{}", f.message);
    assert!(f.message.contains("申报利益冲突 2 人"), "{}", f.message);

    // Previous inspectors count alike.
    let mut input = example::input();
    input.candidates[3].previous_inspectors = vec![cert("ZF41112102"), cert("ZF41112103")];
    let f = failure(&input);
    assert_eq!(f.code, "all_conflicted");
    assert!(f.message.contains("上次检查 2 人"), "{}", f.message);
}

#[test]
fn short_of_officers_fails_with_the_number() {
    // No officer of the emergency department: the first plan-1 visit cannot have one.
    let mut input = example::input();
    input
        .inspectors
        .retain(|x| x.department_id != example::EMERGENCY);
    let f = failure(&input);
    assert_eq!(f.code, "insufficient_inspectors");
    assert_eq!(f.department.as_ref().unwrap().id, example::EMERGENCY);
    assert_eq!(f.short, 1);
    assert!(f.message.contains("人员不足"), "{}", f.message);

    // 8 per visit: the market department has 5 officers, the emergency one adds 1 → 2 short.
    // (Nobody is taken from a third department to fill up: extras come from the lead's.)
    let mut input = example::input();
    input.plans[1].inspectors_per_visit = 8;
    let f = failure(&input);
    assert_eq!(f.code, "insufficient_inspectors");
    assert_eq!(f.department.as_ref().unwrap().id, example::MARKET);
    assert_eq!(f.usci, example::usci(4));
    assert_eq!(f.short, 2);
}

fn expert(c: &str, conflicts: Vec<Usci>) -> DrawInspector {
    DrawInspector {
        certificate: cert(c),
        name: "吴刚".into(),
        department_id: example::MARKET,
        kind: InspectorKind::Expert,
        qualifications: vec!["特种设备".into()],
        conflicts,
        workload: 0,
    }
}

#[test]
fn experts_only_when_asked_for() {
    let mut input = example::input();
    input.inspectors.push(expert("ZJ41112101", vec![]));
    input.normalise();
    let r = draw(&input, &example::seeds()).unwrap();
    assert!(r.visits.iter().all(|v| v.experts.is_empty()));
    assert!(
        r.visits
            .iter()
            .all(|v| v.inspectors.iter().all(|c| c.as_str() != "ZJ41112101"))
    );

    input.plans[1].experts_per_visit = 1;
    let r = draw(&input, &example::seeds()).unwrap();
    for v in &r.visits {
        let want = usize::from(v.plans.contains(&1));
        assert_eq!(v.experts.len(), want, "{v:?}");
    }

    *input.inspectors.last_mut().unwrap() = expert("ZJ41112101", vec![example::usci(5)]);
    let f = failure(&input);
    assert_eq!((f.code, f.department.as_ref()), ("all_conflicted", None));
    assert_eq!(f.usci, example::usci(5));

    input.inspectors.pop();
    let f = failure(&input);
    assert_eq!(f.code, "insufficient_experts");
    assert!(f.message.contains("专家不足"), "{}", f.message);
}

#[test]
fn lead_plan_rule() {
    let mut input = example::input();
    // Without key items the plan with more check points (plan 0: 12) leads the joint visit.
    input.plans[1].key_item = false;
    let r = draw(&input, &example::seeds()).unwrap();
    let joint = r.visits.iter().find(|v| v.plans.len() == 2).unwrap();
    assert_eq!(joint.lead_plan, 0);
    // Equal check points: the lower plan code leads.
    input.plans[0].check_points = 8;
    input.plans[0].code = "WY-2026-09".into();
    let r = draw(&input, &example::seeds()).unwrap();
    let joint = r.visits.iter().find(|v| v.plans.len() == 2).unwrap();
    assert_eq!(joint.lead_plan, 1);
}

#[test]
fn workload_is_balanced() {
    // One plan drawing all 12 entities, 2 per visit, one department of 4 interchangeable
    // officers, one of whom starts with 2 visits: 24 assignments.
    let mut input = example::input();
    input.plans.truncate(1);
    input.plans[0].ratios = PerClass {
        a: 1000,
        b: 1000,
        c: 1000,
        d: 1000,
        ungraded: 1000,
    };
    input.plans[0].qualifications.clear();
    input.plans[0].involved_departments = vec![input.plans[0].lead_department.clone()];
    for c in &mut input.candidates {
        c.plans = vec![0];
        c.exclusions.clear();
        c.previous_inspectors.clear();
    }
    input
        .inspectors
        .retain(|x| x.department_id == example::MARKET);
    input.inspectors.truncate(4);
    for x in &mut input.inspectors {
        x.conflicts.clear();
        x.workload = 0;
    }
    input.inspectors[3].workload = 2;
    let r = draw(&input, &example::seeds()).unwrap();
    assert_eq!(r.visits.len(), 12);
    let mut n = [0u32; 4];
    for v in &r.visits {
        for c in &v.inspectors {
            n[input
                .inspectors
                .iter()
                .position(|x| &x.certificate == c)
                .unwrap()] += 1;
        }
    }
    // Final loads (2 before for the last) differ by at most one.
    let fin = [n[0], n[1], n[2], n[3] + 2];
    assert_eq!(fin.iter().sum::<u32>(), 26);
    assert!(
        fin.iter().max().unwrap() - fin.iter().min().unwrap() <= 1,
        "{n:?}"
    );
}

#[test]
fn invalid_inputs_are_refused() {
    let check = |f: &dyn Fn(&mut DrawInput), field: &str| {
        let mut input = example::input();
        f(&mut input);
        let e = input.validate().unwrap_err();
        assert_eq!(e.field, field, "{e}");
        assert!(matches!(
            draw(&input, &example::seeds()),
            Err(DrawError::Invalid { .. })
        ));
        assert!(commit(&input, &example::seeds().server, example::committed_at()).is_err());
    };
    check(
        &|i| i.plans[0].inspectors_per_visit = 1,
        "plans[0].inspectors_per_visit",
    );
    check(&|i| i.plans[1].ratios.d = 1001, "plans[1].ratios.D");
    check(&|i| i.plans[1].code = "WY-2026-01".into(), "plans[1].code");
    check(
        &|i| {
            i.plans[0].involved_departments.remove(0);
        },
        "plans[0].involved_departments",
    );
    check(
        &|i| i.candidates[0].plans = vec![2],
        "candidates[0].plans[0]",
    );
    check(&|i| i.candidates[0].plans.clear(), "candidates[0].plans");
    check(
        &|i| {
            i.candidates[2].exclusions.push(Exclusion {
                plan: 1,
                reason: "cooldown".into(),
                reason_zh: "冷却期".into(),
            })
        },
        "candidates[2].exclusions[0].plan",
    );
    check(&|i| i.candidates.swap(3, 4), "candidates[4]");
    check(&|i| i.inspectors.swap(0, 1), "inspectors[1]");
    check(
        &|i| i.inspectors[2].qualifications.reverse(),
        "inspectors[2].qualifications[1]",
    );
    check(&|i| i.redraw_of = Some(Uuid::nil()), "redraw_reason");
    check(&|i| i.title.clear(), "title");
    check(&|i| i.plans.clear(), "plans");
}

#[test]
fn a_redraw_records_what_it_replaces() {
    let mut input = example::input();
    input.redraw_of = Some(Uuid::from_u128(7));
    input.redraw_reason = Some("首次抽取所用名录有误".into());
    let before = candidates_sha256(&example::input());
    assert_ne!(candidates_sha256(&input), before);
    assert!(
        candidates_text(&input)
            .lines()
            .nth(1)
            .unwrap()
            .ends_with("\t00000000-0000-0000-0000-000000000007\t首次抽取所用名录有误")
    );
}

// ---------------------------------------------------------------------------------------------
// Property tests on random inputs.

const QUALS: [&str; 3] = ["食品安全", "特种设备", "药品"];

/// A random, valid input built from a shape seed (so that cross-references stay consistent).
pub(super) fn random_input(shape: u64, n_cand: usize, n_insp: usize, n_plans: usize) -> DrawInput {
    let mut g = ChaCha8Rng::seed_from_u64(shape);
    let mut pick = |n: u64| g.next_u64() % n;
    let n_depts = 1 + pick(3) as usize;
    let dept = |k: usize| DepartmentRef {
        id: Uuid::from_u128(0x1000 + k as u128),
        name: format!("部门{k}"),
    };
    let mut plans = Vec::new();
    for p in 0..n_plans {
        let lead = pick(n_depts as u64) as usize;
        let mut involved = vec![dept(lead)];
        for d in 0..n_depts {
            if d != lead && pick(2) == 0 {
                involved.push(dept(d));
            }
        }
        let ratio = |x: u64| [0u16, 1, 100, 300, 500, 999, 1000][x as usize];
        plans.push(DrawPlan {
            id: Uuid::from_u128(0x2000 + p as u128),
            code: format!("P-{:02}", pick(100)) + &format!("-{p}"),
            item_code: format!("I-{p}"),
            item_name: format!("事项{p}"),
            key_item: pick(4) == 0,
            lead_department: dept(lead),
            involved_departments: involved,
            check_points: 1 + pick(5) as u32,
            ratios: PerClass {
                a: ratio(pick(7)),
                b: ratio(pick(7)),
                c: ratio(pick(7)),
                d: ratio(pick(7)),
                ungraded: ratio(pick(7)),
            },
            inspectors_per_visit: 2 + pick(2) as u16,
            experts_per_visit: u16::from(pick(6) == 0),
            qualifications: (0..3)
                .filter(|_| pick(3) == 0)
                .map(|q| QUALS[q].to_string())
                .collect(),
            risk_weighted: false,
            control_permille: 0,
        });
    }
    let certs: Vec<String> = (0..n_insp).map(|j| format!("ZF{j:06}")).collect();
    let uscis: Vec<Usci> = (0..n_cand as u32)
        .map(|n| example::usci(n * 7 + 1))
        .collect();
    let mut candidates = Vec::new();
    for usci in &uscis {
        let mut in_plans: Vec<u32> = (0..n_plans as u32).filter(|_| pick(2) == 0).collect();
        if in_plans.is_empty() {
            in_plans.push(pick(n_plans as u64) as u32);
        }
        let exclusions = in_plans
            .iter()
            .filter(|_| pick(5) == 0)
            .map(|&p| Exclusion {
                plan: p,
                reason: "cooldown".into(),
                reason_zh: "冷却期内".into(),
            })
            .collect();
        candidates.push(Candidate {
            usci: usci.clone(),
            name: format!("对象{}", usci.as_str()),
            credit_class: [
                None,
                Some(CreditClass::A),
                Some(CreditClass::B),
                Some(CreditClass::C),
                Some(CreditClass::D),
            ][pick(5) as usize],
            plans: in_plans,
            exclusions,
            previous_inspectors: certs
                .iter()
                .filter(|_| pick(8) == 0)
                .map(|c| cert(c))
                .collect(),
            risk_weight: 1,
        });
    }
    let inspectors = certs
        .iter()
        .map(|c| DrawInspector {
            certificate: cert(c),
            name: format!("人员{c}"),
            department_id: dept(pick(n_depts as u64) as usize).id,
            kind: if pick(6) == 0 {
                InspectorKind::Expert
            } else {
                InspectorKind::Officer
            },
            qualifications: (0..3)
                .filter(|_| pick(2) == 0)
                .map(|q| QUALS[q].to_string())
                .collect(),
            conflicts: uscis.iter().filter(|_| pick(10) == 0).cloned().collect(),
            workload: pick(4) as u32,
        })
        .collect();
    let mut input = DrawInput {
        id: Uuid::from_u128(u128::from(shape)),
        title: "随机抽查".into(),
        region_code: crate::region::RegionCode::parse("411121").unwrap(),
        period_start: chrono::NaiveDate::from_ymd_opt(2026, 1, 1).unwrap(),
        period_end: chrono::NaiveDate::from_ymd_opt(2026, 12, 31).unwrap(),
        redraw_of: None,
        redraw_reason: None,
        plans,
        candidates,
        inspectors,
        v3: None,
    };
    input.normalise();
    input.validate().expect("generated inputs are valid");
    input
}

pub(super) fn seeds_of(server: [u8; 32], witness: Option<Vec<u8>>) -> Seeds {
    Seeds {
        server: Bytes32(server),
        witness: witness.map(|w| Witness::new(w).unwrap()),
        witness_name: None,
        v3: None,
    }
}

pub(super) fn record_of(input: DrawInput, seeds: Seeds, result: DrawResult) -> DrawRecord {
    let commitment = commit(&input, &seeds.server, example::committed_at()).unwrap();
    DrawRecord::new(input, commitment, seeds, example::drawn_at(), result)
}

/// Checks every rule of a successful draw against the input, independently of the code that
/// made it.
pub(super) fn check_rules(input: &DrawInput, seeds: &Seeds, r: &DrawResult) {
    let key = combined_seed(&seeds.server, seeds.witness.as_ref());
    assert_eq!(r.combined_seed, key);
    let u = prns(&key, input.candidates.len());
    let idx = |usci: &Usci| {
        input
            .candidates
            .binary_search_by(|c| c.usci.cmp(usci))
            .unwrap()
    };
    // No entity twice; visits ascending.
    assert!(r.visits.windows(2).all(|w| w[0].usci < w[1].usci));

    // Exact counts, and the sample is the smallest numbers of the stratum.
    assert_eq!(r.counts.len(), input.plans.len());
    for (p, plan) in input.plans.iter().enumerate() {
        for h in Stratum::ALL {
            let mut pool: Vec<(u64, usize)> = input
                .candidates
                .iter()
                .enumerate()
                .filter(|(_, c)| {
                    c.plans.contains(&(p as u32)) && !c.is_excluded(p as u32) && c.stratum() == h
                })
                .map(|(i, _)| (u[i], i))
                .collect();
            pool.sort();
            let q = quota(pool.len() as u64, *plan.ratios.get(h));
            let want: HashSet<usize> = pool.iter().take(q as usize).map(|&(_, i)| i).collect();
            let got: HashSet<usize> = r
                .visits
                .iter()
                .filter(|v| v.plans.contains(&(p as u32)))
                .map(|v| idx(&v.usci))
                .filter(|&i| input.candidates[i].stratum() == h)
                .collect();
            assert_eq!(got, want, "plan {p} stratum {h:?}");
            let c = r.counts[p].get(h);
            assert_eq!(
                (c.eligible, c.quota, c.drawn),
                (pool.len() as u64, q, q),
                "plan {p} stratum {h:?}"
            );
            if q > 0 {
                assert!(*plan.ratios.get(h) > 0);
            }
        }
    }

    for v in &r.visits {
        let c = &input.candidates[idx(&v.usci)];
        assert!(!v.plans.is_empty() && v.plans.windows(2).all(|w| w[0] < w[1]));
        for &p in &v.plans {
            assert!(c.plans.contains(&p) && !c.is_excluded(p), "excluded pick");
        }
        let plans: Vec<&DrawPlan> = v.plans.iter().map(|&p| &input.plans[p as usize]).collect();
        let lead = v
            .plans
            .iter()
            .copied()
            .min_by_key(|&p| {
                let x = &input.plans[p as usize];
                (
                    !x.key_item,
                    std::cmp::Reverse(x.check_points),
                    x.code.clone(),
                )
            })
            .unwrap();
        assert_eq!(v.lead_plan, lead);

        let team: Vec<&DrawInspector> = v
            .inspectors
            .iter()
            .map(|c| {
                input
                    .inspectors
                    .iter()
                    .find(|x| &x.certificate == c)
                    .unwrap()
            })
            .collect();
        let panel: Vec<&DrawInspector> = v
            .experts
            .iter()
            .map(|c| {
                input
                    .inspectors
                    .iter()
                    .find(|x| &x.certificate == c)
                    .unwrap()
            })
            .collect();
        let need = plans
            .iter()
            .map(|p| p.inspectors_per_visit)
            .max()
            .unwrap()
            .max(2);
        assert!(team.len() >= usize::from(need) && team.len() >= 2);
        assert!(team.iter().all(|x| x.kind == InspectorKind::Officer));
        assert!(panel.iter().all(|x| x.kind == InspectorKind::Expert));
        assert_eq!(
            panel.len(),
            usize::from(plans.iter().map(|p| p.experts_per_visit).max().unwrap())
        );
        let distinct: HashSet<&str> = team
            .iter()
            .chain(&panel)
            .map(|x| x.certificate.as_str())
            .collect();
        assert_eq!(distinct.len(), team.len() + panel.len());
        for x in team.iter().chain(&panel) {
            assert!(!x.conflicts_with(&v.usci), "conflicted inspector");
            assert!(!c.was_previous(&x.certificate), "previous inspector");
        }
        for p in &plans {
            for d in &p.involved_departments {
                assert!(
                    team.iter().any(|x| x.department_id == d.id),
                    "department without an officer"
                );
            }
            for q in &p.qualifications {
                assert!(
                    team.iter()
                        .any(|x| x.department_id == p.lead_department.id && x.holds(q)),
                    "qualification not covered"
                );
            }
        }
        // Only the involved departments send officers.
        for x in &team {
            assert!(plans.iter().any(|p| {
                p.involved_departments
                    .iter()
                    .any(|d| d.id == x.department_id)
            }));
        }
    }
}

#[test]
fn most_random_inputs_draw() {
    // Guards the property tests below against testing failures only.
    let mut ok = 0;
    for shape in 0..200 {
        let input = random_input(shape, 30, 24, 2);
        match draw(&input, &seeds_of([shape as u8; 32], None)) {
            Ok(r) => {
                ok += 1;
                check_rules(&input, &seeds_of([shape as u8; 32], None), &r);
            }
            Err(DrawError::Failed(f)) => assert!(
                [
                    "missing_qualification",
                    "insufficient_inspectors",
                    "all_conflicted",
                    "insufficient_experts"
                ]
                .contains(&f.code)
            ),
            Err(e) => panic!("{e}"),
        }
    }
    assert!(ok >= 120, "only {ok} of 200 drew");
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn draws_follow_every_rule_and_verify(
        shape in any::<u64>(),
        n_cand in 0usize..40,
        n_insp in 4usize..40,
        n_plans in 1usize..4,
        server in any::<[u8; 32]>(),
        witness in proptest::option::of(proptest::collection::vec(any::<u8>(), 1..=64)),
    ) {
        let input = random_input(shape, n_cand, n_insp, n_plans);
        let seeds = seeds_of(server, witness);
        let result = match draw(&input, &seeds) {
            Ok(r) => r,
            Err(DrawError::Failed(f)) => {
                // A failure names a drawn entity and is itself reproducible.
                prop_assert!(input.candidates.iter().any(|c| c.usci == f.usci));
                prop_assert_eq!(draw(&input, &seeds), Err(DrawError::Failed(f)));
                return Ok(());
            }
            Err(e) => panic!("{e}"),
        };
        check_rules(&input, &seeds, &result);
        prop_assert_eq!(draw(&input, &seeds).unwrap(), result.clone());

        // Reproducible from the record, also after a round trip through JSON.
        let record = record_of(input, seeds, result);
        prop_assert!(verify(&record).is_ok());
        let back = DrawRecord::from_json(record.to_json_pretty().as_bytes()).unwrap();
        prop_assert!(verify(&back).is_ok());

        // Tampering with any part is found.
        let mut g = ChaCha8Rng::seed_from_u64(shape);
        if !record.input.candidates.is_empty() {
            let mut t = record.clone();
            let k = (g.next_u64() % t.input.candidates.len() as u64) as usize;
            let c = &mut t.input.candidates[k];
            c.credit_class = match c.credit_class {
                Some(CreditClass::A) => None,
                _ => Some(CreditClass::A),
            };
            assert!(matches!(verify(&t), Err(Mismatch::CandidatesHash { .. })));

            let mut t = record.clone();
            let usci = t.input.candidates[k].usci.clone();
            let x = &mut t.input.inspectors[(g.next_u64() % n_insp as u64) as usize];
            if let Ok(pos) = x.conflicts.binary_search(&usci) {
                x.conflicts.remove(pos);
            } else {
                x.conflicts.push(usci);
                x.conflicts.sort();
            }
            assert!(matches!(verify(&t), Err(Mismatch::InspectorsHash { .. })));
        }
        let mut t = record.clone();
        t.seeds.server.0[(g.next_u64() % 32) as usize] ^= 1 << (g.next_u64() % 8);
        assert!(matches!(verify(&t), Err(Mismatch::SeedHash { .. })));

        let mut t = record.clone();
        t.seeds.witness = match &t.seeds.witness {
            Some(w) => {
                let mut b = w.as_bytes().to_vec();
                b[0] ^= 0x80;
                Some(Witness::new(b).unwrap())
            }
            None => Some(Witness::new(vec![0]).unwrap()),
        };
        assert!(matches!(verify(&t), Err(Mismatch::CombinedSeed { .. })));

        if !record.result.visits.is_empty() {
            let mut t = record.clone();
            let v = (g.next_u64() % t.result.visits.len() as u64) as usize;
            let visit = &mut t.result.visits[v];
            let other = t
                .input
                .inspectors
                .iter()
                .find(|x| !visit.inspectors.contains(&x.certificate))
                .map(|x| x.certificate.clone());
            match other {
                Some(c) => visit.inspectors[0] = c,
                None => { visit.inspectors.pop(); }
            }
            let e = verify(&t);
            prop_assert!(
                matches!(&e, Err(Mismatch::Visit { number, .. }) if *number == v + 1),
                "{:?}", e
            );

            let mut t = record.clone();
            t.result.visits.remove(v);
            assert!(matches!(verify(&t), Err(Mismatch::Visit { .. })));
        }
        let mut t = record.clone();
        t.result.counts[0].ungraded.eligible += 1;
        assert!(matches!(verify(&t), Err(Mismatch::Counts { plan: 0, .. })));
    }

    #[test]
    fn selection_is_the_smallest_numbers(
        key in any::<[u8; 32]>(),
        indices in proptest::collection::btree_set(0u32..5000, 0..300),
        quota in 0usize..350,
    ) {
        let key = Bytes32(key);
        let idx: Vec<u32> = indices.into_iter().collect();
        let mut all: Vec<(u64, u32)> = idx.iter().map(|&i| (prn_at(&key, u64::from(i)), i)).collect();
        all.sort();
        let mut want: Vec<u32> = all.iter().take(quota).map(|&(_, i)| i).collect();
        want.sort();
        prop_assert_eq!(select_smallest(&key, quota, idx.iter().copied()), want.clone());
        let table = prns(&key, 5000);
        prop_assert_eq!(select_smallest_in(&table, quota, idx.iter().rev().copied()), want);
    }

    #[test]
    fn eight_block_keystream_equals_rand_chacha(
        key in any::<[u8; 32]>(),
        stream in prop_oneof![Just(0u64), Just(1u64), any::<u64>()],
        first in prop_oneof![
            0u64..2_000,
            // Around the carry of the 64-bit block counter from its low 32 bits (block 2³²
            // is word 2³⁵) and far out.
            (1u64 << 35) - 600..(1u64 << 35) + 600,
            0u64..(1u64 << 60),
        ],
        len in 0usize..700,
    ) {
        let key = Bytes32(key);
        let mut want = vec![0u64; len];
        super::prn::words_portable(&key, stream, first, &mut want);
        let mut got = vec![0u64; len];
        super::prn::words(&key, stream, first, &mut got);
        prop_assert_eq!(&got, &want);
        #[cfg(target_arch = "x86_64")]
        if super::chacha8::available() {
            let mut direct = vec![0u64; len];
            super::chacha8::words(&key.0, stream, first, &mut direct);
            prop_assert_eq!(direct, want);
        }
    }

    #[test]
    fn prn_random_access_equals_the_stream(key in any::<[u8; 32]>(), i in 0u64..100_000) {
        let key = Bytes32(key);
        let mut s = PrnStream::starting_at(&key, PRN_STREAM, i - i % 3);
        let seq: Vec<u64> = s.by_ref().take(3).collect();
        prop_assert_eq!(prn_at(&key, i), seq[(i % 3) as usize]);
        prop_assert_eq!(PrnReader::new(&key, PRN_STREAM).at(i), prn_at(&key, i));
    }
}

// ---------------------------------------------------------------------------------------------
// Risk weighting (按风险加权抽取) and the fast selection.

/// The specification's selection, written plainly: per plan and stratum, the eligible
/// candidates sorted by u_i·w_j against u_j·w_i (as u128, exact; weight 1 unless the plan is
/// risk-weighted), ties by index; the first `quota`, ascending.
fn reference_picks(input: &DrawInput, key: &Bytes32) -> Vec<[Vec<u32>; 5]> {
    let u = prns(key, input.candidates.len());
    let mut out = Vec::new();
    for (p, plan) in input.plans.iter().enumerate() {
        let mut per: [Vec<u32>; 5] = Default::default();
        for h in Stratum::ALL {
            let mut pool: Vec<u32> = input
                .candidates
                .iter()
                .enumerate()
                .filter(|(_, c)| {
                    c.plans.contains(&(p as u32)) && !c.is_excluded(p as u32) && c.stratum() == h
                })
                .map(|(i, _)| i as u32)
                .collect();
            let w = |i: u32| {
                if plan.risk_weighted {
                    u128::from(input.candidates[i as usize].risk_weight)
                } else {
                    1
                }
            };
            pool.sort_by(|&i, &j| {
                (u128::from(u[i as usize]) * w(j))
                    .cmp(&(u128::from(u[j as usize]) * w(i)))
                    .then(i.cmp(&j))
            });
            let q = quota(pool.len() as u64, *plan.ratios.get(h)) as usize;
            pool.truncate(q);
            pool.sort();
            per[h as usize] = pool;
        }
        out.push(per);
    }
    out
}

/// The entities each plan drew, from a result's visits, ascending by index.
fn picks_of(input: &DrawInput, r: &DrawResult) -> Vec<Vec<u32>> {
    let at = |usci: &Usci| {
        input
            .candidates
            .binary_search_by(|c| c.usci.cmp(usci))
            .unwrap() as u32
    };
    (0..input.plans.len() as u32)
        .map(|p| {
            r.visits
                .iter()
                .filter(|v| v.plans.contains(&p))
                .map(|v| at(&v.usci))
                .collect()
        })
        .collect()
}

/// Makes some plans risk-weighted and gives candidates weights 1–10 (about half stay 1).
pub(super) fn add_weights(input: &mut DrawInput, seed: u64) {
    let mut g = ChaCha8Rng::seed_from_u64(seed ^ 0x7765_6967_6874);
    for p in &mut input.plans {
        p.risk_weighted = g.next_u64() % 3 != 0;
    }
    for c in &mut input.candidates {
        c.risk_weight = if g.next_u64() % 2 == 0 {
            1
        } else {
            1 + (g.next_u64() % 10) as u8
        };
    }
}

#[test]
fn weighted_keys_order_like_the_cross_products() {
    let mut g = ChaCha8Rng::seed_from_u64(7);
    for _ in 0..100_000 {
        // Small numbers too, where equal products (ties) happen.
        let small = g.next_u64() % 2 == 0;
        let u = |g: &mut ChaCha8Rng| {
            if small {
                g.next_u64() % 64
            } else {
                g.next_u64()
            }
        };
        let (ui, uj) = (u(&mut g), u(&mut g));
        let (wi, wj) = (1 + (g.next_u64() % 10) as u8, 1 + (g.next_u64() % 10) as u8);
        let (i, j) = ((g.next_u64() % 1000) as u32, (g.next_u64() % 1000) as u32);
        let spec = (u128::from(ui) * u128::from(wj))
            .cmp(&(u128::from(uj) * u128::from(wi)))
            .then(i.cmp(&j));
        assert_eq!(weighted_key(ui, wi, i).cmp(&weighted_key(uj, wj, j)), spec);
    }
}

/// A random plan over `n` candidates: strata (some not eligible), weights, quotas from ratios.
fn random_strata(
    seed: u64,
    n: usize,
    weighted: bool,
) -> (Vec<u8>, Option<Vec<u8>>, [u64; 5], [u64; 5]) {
    let mut g = ChaCha8Rng::seed_from_u64(seed);
    let strata: Vec<u8> = (0..n)
        .map(|_| match g.next_u64() % 7 {
            5 | 6 => NOT_ELIGIBLE,
            h => h as u8,
        })
        .collect();
    let weights: Option<Vec<u8>> =
        weighted.then(|| (0..n).map(|_| 1 + (g.next_u64() % 10) as u8).collect());
    let mut eligible = [0u64; 5];
    let mut mass = [0u64; 5];
    for (i, &h) in strata.iter().enumerate() {
        if h != NOT_ELIGIBLE {
            eligible[h as usize] += 1;
            mass[h as usize] += weights.as_ref().map_or(1, |w| u64::from(w[i]));
        }
    }
    let mut quotas = [0u64; 5];
    for h in 0..5 {
        let r = [0u16, 1, 30, 100, 300, 700, 999, 1000][(g.next_u64() % 8) as usize];
        quotas[h] = quota(eligible[h], r);
    }
    (strata, weights, quotas, mass)
}

/// [`select_strata`]'s answer, plainly: sort each stratum's keys, take the quota.
fn reference_strata(
    u: &[u64],
    strata: &[u8],
    weights: Option<&[u8]>,
    quotas: [u64; 5],
) -> [Vec<u32>; 5] {
    let mut out: [Vec<u32>; 5] = Default::default();
    for h in 0..5u8 {
        let mut keys: Vec<u128> = (0..strata.len())
            .filter(|&i| strata[i] == h)
            .map(|i| weighted_key(u[i], weights.map_or(1, |w| w[i]), i as u32))
            .collect();
        keys.sort_unstable();
        keys.truncate(quotas[h as usize] as usize);
        let mut idx: Vec<u32> = keys.iter().map(|&k| k as u32).collect();
        idx.sort_unstable();
        out[h as usize] = idx;
    }
    out
}

#[test]
fn fast_selection_equals_the_reference_on_large_pools() {
    // Large enough for the parallel paths (threads over ranges, strata on threads).
    for (seed, weighted) in [(1, false), (2, true), (3, false), (4, true)] {
        let n = 300_000;
        let (strata, weights, quotas, mass) = random_strata(seed, n, weighted);
        let key = Bytes32([seed as u8; 32]);
        let u = prns(&key, n);
        let want = reference_strata(&u, &strata, weights.as_deref(), quotas);
        let ps = PlanStrata {
            candidates: strata.as_slice(),
            weights: weights.as_deref(),
            quotas,
            mass,
        };
        assert_eq!(select_strata(Numbers::Key(&key), &ps), want);
        assert_eq!(select_strata(Numbers::Computed(&u), &ps), want);
        if !weighted {
            // And the domain's original per-stratum selection.
            for h in 0..5u8 {
                let pool = (0..n as u32).filter(|&i| strata[i as usize] == h);
                assert_eq!(
                    select_smallest_in(&u, quotas[h as usize] as usize, pool),
                    want[h as usize]
                );
            }
        }
        // A wrong `mass` only costs a second pass, never a different answer: too small
        // (more than the quota below the `sure` cut, or everything kept), too large (fewer
        // than the quota below the `keep` cut).
        for bad in [[1u64; 5], mass.map(|m| m / 4), [u64::MAX / 4; 5]] {
            let ps = PlanStrata { mass: bad, ..ps };
            assert_eq!(select_strata(Numbers::Key(&key), &ps), want);
        }
    }
}

#[test]
fn weight_five_is_drawn_markedly_more_often_than_weight_one() {
    // 100 candidates in one stratum, the first 10 of weight 5, the others 1; a quota of 10
    // (100 ‰), 2,000 draws with keys from a fixed seed. Sequential Poisson sampling gives
    // inclusion probabilities near 10·w/Σw: about 0.36 for weight 5 and 0.07 for weight 1
    // (unweighted both would be 0.10).
    let strata = vec![0u8; 100];
    let weights: Vec<u8> = (0..100).map(|i| if i < 10 { 5 } else { 1 }).collect();
    let ps = PlanStrata {
        candidates: strata.as_slice(),
        weights: Some(&weights),
        quotas: [10, 0, 0, 0, 0],
        mass: [140, 0, 0, 0, 0],
    };
    let mut g = ChaCha8Rng::seed_from_u64(2026);
    let (mut heavy, mut light) = (0u32, 0u32);
    for _ in 0..2000 {
        let mut k = [0u8; 32];
        g.fill_bytes(&mut k);
        let sel = select_strata(Numbers::Key(&Bytes32(k)), &ps);
        assert_eq!(sel[0].len(), 10, "exact count");
        heavy += sel[0].iter().filter(|&&i| i < 10).count() as u32;
        light += sel[0].iter().filter(|&&i| i >= 10).count() as u32;
    }
    let heavy_rate = f64::from(heavy) / (2000.0 * 10.0);
    let light_rate = f64::from(light) / (2000.0 * 90.0);
    assert!(
        heavy_rate > 0.3 && light_rate < 0.085,
        "{heavy_rate} {light_rate}"
    );
    assert!(heavy_rate > 4.0 * light_rate, "{heavy_rate} {light_rate}");
}

#[test]
fn records_without_weighting_keep_format_1() {
    // Old records: the example's hashes are pinned in test_vector_of_the_worked_example; its
    // JSON has no weight fields and reads back as format 1.
    let r = example::record();
    assert_eq!(r.format, "lianjian-draw/1");
    let json = r.to_json_pretty();
    assert!(!json.contains("risk_weight"));
    // A format-1 record that claims a weight is refused (its input needs format 2).
    let mut t = r.clone();
    t.input.candidates[0].risk_weight = 3;
    assert!(matches!(
        verify(&t),
        Err(Mismatch::FormatOfInput {
            required: "lianjian-draw/2",
            ..
        })
    ));
    // And a format-2 record without weighting too.
    let mut t = r.clone();
    t.format = FORMAT_WEIGHTED.into();
    assert!(matches!(verify(&t), Err(Mismatch::FormatOfInput { .. })));
    // A legacy input under the format-3 tag is refused as such, and an unknown format too.
    let mut t = r.clone();
    t.format = FORMAT_V3.into();
    assert!(matches!(verify(&t), Err(Mismatch::FormatOfInput { .. })));
    let mut t = r;
    t.format = "lianjian-draw/4".into();
    assert!(matches!(verify(&t), Err(Mismatch::Format(_))));
}

#[test]
fn weights_must_be_1_to_10() {
    for (w, ok) in [(0u8, false), (1, true), (10, true), (11, false)] {
        let mut input = example::weighted_input();
        input.candidates[2].risk_weight = w;
        assert_eq!(input.validate().is_ok(), ok, "weight {w}");
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn weighted_draws_are_reproducible_exact_and_tamper_evident(
        shape in any::<u64>(),
        n_cand in 1usize..60,
        n_plans in 1usize..4,
        server in any::<[u8; 32]>(),
    ) {
        let mut input = random_input(shape, n_cand, 30, n_plans);
        add_weights(&mut input, shape);
        let seeds = seeds_of(server, None);
        let key = combined_seed(&seeds.server, None);
        let want = reference_picks(&input, &key);
        let result = match draw(&input, &seeds) {
            Ok(r) => r,
            Err(DrawError::Failed(_)) => return Ok(()),
            Err(e) => panic!("{e}"),
        };
        // The reference selection, with exact counts.
        let got = picks_of(&input, &result);
        for (p, per) in want.iter().enumerate() {
            let mut all: Vec<u32> = per.iter().flatten().copied().collect();
            all.sort();
            prop_assert_eq!(&got[p], &all);
            for h in Stratum::ALL {
                let c = result.counts[p].get(h);
                prop_assert_eq!(c.drawn, c.quota);
                prop_assert_eq!(c.drawn, per[h as usize].len() as u64);
            }
        }
        // Reproducible from its record, also through JSON.
        let record = record_of(input.clone(), seeds.clone(), result);
        prop_assert_eq!(&record.format, input.format());
        prop_assert!(verify(&record).is_ok());
        let back = DrawRecord::from_json(record.to_json().as_bytes()).unwrap();
        prop_assert!(verify(&back).is_ok());
        // Changing one candidate's weight is found.
        let mut t = record.clone();
        let k = (shape % t.input.candidates.len() as u64) as usize;
        let c = &mut t.input.candidates[k];
        c.risk_weight = if c.risk_weight == 10 { 9 } else { c.risk_weight + 1 };
        prop_assert!(verify(&t).is_err());
        // And so is a plan's weighting switched.
        let mut t = record.clone();
        t.input.plans[0].risk_weighted ^= true;
        prop_assert!(verify(&t).is_err());
    }

    #[test]
    fn all_weights_1_draw_as_unweighted(
        shape in any::<u64>(),
        n_cand in 0usize..60,
        n_plans in 1usize..4,
        server in any::<[u8; 32]>(),
    ) {
        let plain = random_input(shape, n_cand, 30, n_plans);
        let mut weighted = plain.clone();
        for p in &mut weighted.plans {
            p.risk_weighted = true;
        }
        let seeds = seeds_of(server, None);
        prop_assert_eq!(plain.format(), "lianjian-draw/1");
        prop_assert_eq!(weighted.format(), "lianjian-draw/2");
        prop_assert_eq!(draw(&plain, &seeds), draw(&weighted, &seeds));
    }

    #[test]
    fn fast_selection_equals_the_reference(
        seed in any::<u64>(),
        n in 0usize..3000,
        weighted in any::<bool>(),
        key in any::<[u8; 32]>(),
    ) {
        let (strata, weights, quotas, mass) = random_strata(seed, n, weighted);
        let key = Bytes32(key);
        let u = prns(&key, n);
        let want = reference_strata(&u, &strata, weights.as_deref(), quotas);
        let ps = PlanStrata { candidates: strata.as_slice(), weights: weights.as_deref(), quotas, mass };
        prop_assert_eq!(select_strata(Numbers::Key(&key), &ps), want.clone());
        prop_assert_eq!(select_strata(Numbers::Computed(&u), &ps), want);
    }
}

#[test]
fn weighted_test_vector() {
    // Section 10 of docs/draw-algorithm.md, "Weighted variant".
    let r = example::weighted_record();
    assert_eq!(r.format, "lianjian-draw/2");
    let text = candidates_text(&r.input);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[0], "lianjian-draw/2 candidates");
    assert!(lines[2].ends_with("\t2\t0\t食品安全\t0"));
    assert!(lines[5].ends_with("\t3\t0\t特种设备\t1"));
    assert!(lines.contains(&"candidate\t91411121MA000001BP\t舞阳县贾湖酒业有限公司\tB\t0,1\t\t3"));
    assert!(
        lines.contains(&"candidate\t91411121MA000005BU\t舞阳县锅炉压力容器厂\tD\t1\tZF41112102\t1")
    );
    assert!(inspectors_text(&r.input).starts_with("lianjian-draw/2 inspectors\n"));
    let c = &r.commitment;
    assert_eq!(
        c.candidates_sha256.to_hex(),
        "7d16c2342517ed47b74b11a3faea63b5a1b689a2440118d92c616a20a7b3dd7f"
    );
    assert_eq!(
        c.inspectors_sha256.to_hex(),
        "a6cb5e88bfa5e35587d33849464d5af5ed10210d7c5b280dfcb2dd582bf8e6ba"
    );
    // Plan 1, class C: i 6 (u 491a…, weight 1) against i 10 (u c6b1…, weight 3):
    // u_6 · 3 = 15803045757236606052 > u_10 · 1 = 14317492013363626044, so i 10 is drawn
    // (unweighted, i 6 was). Class B: u_8 · 3 = 7464362216341123167 < u_0 · 1, so i 8 stays.
    let u = prns(&r.result.combined_seed, 12);
    assert_eq!(u128::from(u[6]) * 3, 15803045757236606052);
    assert_eq!(u128::from(u[10]), 14317492013363626044);
    assert_eq!(u128::from(u[8]) * 3, 7464362216341123167);
    let visits: Vec<String> = r
        .result
        .visits
        .iter()
        .map(|v| {
            format!(
                "{} {:?} lead {} {}",
                &v.usci.as_str()[10..16],
                v.plans,
                v.lead_plan,
                v.inspectors
                    .iter()
                    .map(|c| &c.as_str()[6..])
                    .collect::<Vec<_>>()
                    .join(",")
            )
        })
        .collect();
    assert_eq!(
        visits,
        [
            "000003 [0] lead 0 2101,2202",
            "000004 [1] lead 1 2102,2105,2301",
            "000005 [1] lead 1 2103,2104,2302",
            "000008 [1] lead 1 2102,2104,2301",
            "000009 [0, 1] lead 1 2103,2202,2301",
            "000010 [1] lead 1 2102,2105,2302",
            "000011 [1] lead 1 2101,2102,2302",
            "000012 [0] lead 0 2101,2201",
        ]
    );
    // Same counts as unweighted: weighting changes who, never how many.
    assert_eq!(r.result.counts, example::record().result.counts);
    let s = verify(&r).unwrap();
    assert_eq!((s.visits, s.selections), (8, 9));
    // Changing one weight breaks the commitment.
    let mut t = r.clone();
    t.input.candidates[10].risk_weight = 2;
    assert!(matches!(verify(&t), Err(Mismatch::CandidatesHash { .. })));
}
