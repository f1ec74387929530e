//! `lianjian draw verify` runs as the real binary on record files written by the domain code.

use crate::common;

use lianjian_domain::draw::example;

fn verify(path: &std::path::Path) -> (i32, String, String) {
    // A database URL that cannot work proves that the command does not open one.
    common::run(
        &["draw", "verify", path.to_str().unwrap()],
        &[(
            "LIANJIAN_DATABASE_URL",
            "postgres://nobody@127.0.0.1:1/none",
        )],
    )
}

#[test]
fn verify_intact_tampered_and_unreadable_records() {
    let dir = common::temp_dir("draw-cli");
    let record = example::record();

    // Intact: exit 0 with a summary.
    let good = dir.join("draw.json");
    std::fs::write(&good, record.to_json_pretty()).unwrap();
    let (code, out, err) = verify(&good);
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        out.contains("抽取记录核验通过 / draw record verified"),
        "{out}"
    );
    assert!(out.contains("计划 plans 2"), "{out}");
    assert!(out.contains("检查 visits 8"), "{out}");
    assert!(
        out.contains(&record.commitment.seed_sha256.to_hex()),
        "{out}"
    );
    assert!(out.contains(&record.result.combined_seed.to_hex()), "{out}");

    // The compact form verifies as well.
    let compact = dir.join("compact.json");
    std::fs::write(&compact, record.to_json()).unwrap();
    assert_eq!(verify(&compact).0, 0);

    // A changed result: exit 3 naming the visit.
    let mut v = serde_json::to_value(&record).unwrap();
    v["result"]["visits"][2]["inspectors"][0] = "ZF41112101".into();
    let tampered = dir.join("tampered-result.json");
    std::fs::write(&tampered, v.to_string()).unwrap();
    let (code, out, err) = verify(&tampered);
    assert_eq!(code, 3, "{out}{err}");
    assert!(err.contains("draw record does NOT verify"), "{err}");
    assert!(err.contains("visit 3 differs"), "{err}");

    // A changed input: exit 3 naming the hash.
    let mut v = serde_json::to_value(&record).unwrap();
    v["input"]["candidates"][0]["credit_class"] = "D".into();
    let tampered = dir.join("tampered-input.json");
    std::fs::write(&tampered, v.to_string()).unwrap();
    let (code, _, err) = verify(&tampered);
    assert_eq!(code, 3, "{err}");
    assert!(err.contains("candidates hash differs"), "{err}");

    // A changed server seed: exit 3 naming the seed hash.
    let mut v = serde_json::to_value(&record).unwrap();
    v["seeds"]["server"] = "ff".repeat(32).into();
    let tampered = dir.join("tampered-seed.json");
    std::fs::write(&tampered, v.to_string()).unwrap();
    let (code, _, err) = verify(&tampered);
    assert_eq!(code, 3, "{err}");
    assert!(err.contains("seed hash differs"), "{err}");

    // Not a record: exit 2 with the path of the bad value.
    let mut v = serde_json::to_value(&record).unwrap();
    v["input"]["candidates"][3]["credit_class"] = "E".into();
    let bad = dir.join("bad-class.json");
    std::fs::write(&bad, v.to_string()).unwrap();
    let (code, _, err) = verify(&bad);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("input.candidates[3].credit_class"), "{err}");

    let garbage = dir.join("garbage.json");
    std::fs::write(&garbage, "this is not JSON").unwrap();
    let (code, _, err) = verify(&garbage);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("not a valid draw record"), "{err}");

    let (code, _, err) = verify(&dir.join("missing.json"));
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("cannot read the draw record"), "{err}");

    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn verify_failed_record_recomputes_the_same_failure() {
    use lianjian_domain::draw::{DrawError, commit, draw};
    let dir = common::temp_dir("draw-cli-failed");
    // The example with all but one inspector gone: no visit can have two officers.
    let mut input = example::input();
    input.inspectors.truncate(1);
    let seeds = example::seeds();
    let commitment = commit(&input, &seeds.server, example::committed_at()).unwrap();
    let Err(DrawError::Failed(f)) = draw(&input, &seeds) else {
        panic!("a pool of one must fail");
    };
    let rec = serde_json::json!({
        "format": lianjian_domain::draw::FORMAT, "input": input, "commitment": commitment,
        "seeds": seeds, "drawn_at": example::drawn_at(), "failure": f,
    });
    let path = dir.join("failed.json");
    std::fs::write(&path, rec.to_string()).unwrap();
    let (code, out, err) = verify(&path);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("failed draw verified"), "{out}");
    // Claiming another failure than the one that happens does not verify.
    let mut bad = rec.clone();
    bad["failure"]["short"] = (f.short + 1).into();
    std::fs::write(&path, bad.to_string()).unwrap();
    let (code, _, err) = verify(&path);
    assert_eq!(code, 3, "{err}");
    assert!(err.contains("recorded failure"), "{err}");
}

fn verify_with(path: &std::path::Path, opening: &std::path::Path) -> (i32, String, String) {
    common::run(
        &[
            "draw",
            "verify",
            path.to_str().unwrap(),
            "--opening",
            opening.to_str().unwrap(),
        ],
        &[],
    )
}

#[test]
fn verify_v3_full_public_and_opening() {
    let dir = common::temp_dir("draw-cli-v3");
    let record = example::v3_record();
    let public = record.public_variant().unwrap();

    // The full record: exit 0, witnessed by a supervisor and the beacon.
    let full = dir.join("full.json");
    std::fs::write(&full, record.to_json_pretty()).unwrap();
    let (code, out, err) = verify(&full);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("draw record verified"), "{out}");
    assert!(out.contains("[lianjian-draw/3]"), "{out}");
    assert!(out.contains("supervisor contributions 1"), "{out}");
    assert!(out.contains("public beacon value"), "{out}");
    assert!(out.contains(&record.result.combined_seed.to_hex()), "{out}");

    // The public variant: exit 0.
    let public_path = dir.join("public.json");
    std::fs::write(&public_path, public.to_json_pretty()).unwrap();
    let (code, out, err) = verify(&public_path);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("public draw record verified"), "{out}");
    assert!(out.contains("[lianjian-draw/3-public]"), "{out}");
    // As the platform stores and serves it (compact JSON, generated when the draw runs).
    let served = dir.join("public-served.json");
    std::fs::write(&served, public.to_json()).unwrap();
    let (code, out, err) = verify(&served);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("public draw record verified"), "{out}");

    // An entity's opening, against the public and the full record.
    let drawn = &record.result.visits[0].usci;
    let opening = record.opening(drawn).unwrap();
    let opening_path = dir.join("opening.json");
    std::fs::write(&opening_path, opening.to_json_pretty()).unwrap();
    for r in [&public_path, &full] {
        let (code, out, err) = verify_with(r, &opening_path);
        assert_eq!(code, 0, "{out}{err}");
        assert!(out.contains("opening verified"), "{out}");
        assert!(out.contains(drawn.as_str()), "{out}");
        assert!(out.contains("抽中 / drawn"), "{out}");
    }

    // An opening claiming another class: exit 3.
    let mut v = serde_json::to_value(&opening).unwrap();
    v["credit_class"] = if opening.credit_class.map(|c| c.as_str()) == Some("A") {
        "B".into()
    } else {
        "A".into()
    };
    let lie = dir.join("lie.json");
    std::fs::write(&lie, v.to_string()).unwrap();
    let (code, _, err) = verify_with(&public_path, &lie);
    assert_eq!(code, 3, "{err}");
    assert!(err.contains("class commitment does not open"), "{err}");

    // A malformed opening: exit 2 naming the path.
    v["salt"] = "XYZ".into();
    std::fs::write(&lie, v.to_string()).unwrap();
    let (code, _, err) = verify_with(&public_path, &lie);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("salt"), "{err}");

    // An opening against a legacy record: exit 2.
    let legacy = dir.join("legacy.json");
    std::fs::write(&legacy, example::record().to_json()).unwrap();
    let (code, _, err) = verify_with(&legacy, &opening_path);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("needs a lianjian-draw/3 record"), "{err}");

    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn verify_v3_tampering() {
    let dir = common::temp_dir("draw-cli-v3-tamper");
    let record = example::v3_record();
    let public = record.public_variant().unwrap();
    let path = dir.join("t.json");
    let run = |v: &serde_json::Value| {
        std::fs::write(&path, v.to_string()).unwrap();
        verify(&path)
    };

    // Full record: a credit class changed is found through its commitment.
    let mut v = serde_json::to_value(&record).unwrap();
    v["input"]["candidates"][0]["credit_class"] = "D".into();
    let (code, _, err) = run(&v);
    assert_eq!(code, 3, "{err}");
    assert!(err.contains("candidates hash differs"), "{err}");
    // An inspector's name changed: the identity commitment.
    let mut v = serde_json::to_value(&record).unwrap();
    v["input"]["inspectors"][0]["name"] = "张三".into();
    let (code, _, err) = run(&v);
    assert_eq!(code, 3, "{err}");
    assert!(err.contains("inspectors hash differs"), "{err}");
    // A contribution changed: the key.
    let mut v = serde_json::to_value(&record).unwrap();
    v["seeds"]["v3"]["contributions"][0]["value"] = "00".repeat(16).into();
    let (code, _, err) = run(&v);
    assert_eq!(code, 3, "{err}");
    assert!(err.contains("combined seed differs"), "{err}");
    // The witness removed without a reason: the witnessing rule.
    let mut v = serde_json::to_value(&record).unwrap();
    v["seeds"]["v3"]["contributions"] = serde_json::json!([]);
    v["seeds"]["v3"]["beacon_value"] = serde_json::Value::Null;
    let (code, _, err) = run(&v);
    assert_eq!(code, 3, "{err}");
    assert!(err.contains("witnessing rule broken"), "{err}");
    // A threshold changed.
    let mut v = serde_json::to_value(&record).unwrap();
    v["result"]["thresholds"][0]["B"] = "0".repeat(32).into();
    let (code, _, err) = run(&v);
    assert_eq!(code, 3, "{err}");
    assert!(err.contains("threshold of plan 0"), "{err}");
    // Not a record: a contribution of upper-case hex, exit 2 with its path.
    let mut v = serde_json::to_value(&record).unwrap();
    v["seeds"]["v3"]["contributions"][0]["value"] = "AB".repeat(16).into();
    let (code, _, err) = run(&v);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("seeds.v3.contributions[0].value"), "{err}");

    // Public record: a pseudonym swapped in a visit.
    let mut v = serde_json::to_value(&public).unwrap();
    v["result"]["visits"][0]["inspectors"][0] = "检查员-09".into();
    let (code, _, err) = run(&v);
    assert_eq!(code, 3, "{err}");
    assert!(err.contains("public record differs"), "{err}");
    // A class commitment changed.
    let mut v = serde_json::to_value(&public).unwrap();
    v["input"]["candidates"][1]["class_commitment"] = "ab".repeat(32).into();
    let (code, _, err) = run(&v);
    assert_eq!(code, 3, "{err}");
    assert!(err.contains("candidates hash differs"), "{err}");
    // A visit dropped.
    let mut v = serde_json::to_value(&public).unwrap();
    v["result"]["visits"].as_array_mut().unwrap().remove(0);
    let (code, _, err) = run(&v);
    assert_eq!(code, 3, "{err}");
    // A secret added to the public record is not a public record: exit 2.
    let mut v = serde_json::to_value(&public).unwrap();
    v["input"]["candidates"][0]["credit_class"] = "A".into();
    let (code, _, err) = run(&v);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("input.candidates[0]"), "{err}");

    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn verify_failed_v3_record() {
    use lianjian_domain::draw::{DrawError, commit_v3, draw};
    let dir = common::temp_dir("draw-cli-failed-v3");
    // The /3 example with one inspector left: no visit can have two officers.
    let mut input = example::v3_input();
    input.inspectors.truncate(1);
    for c in &mut input.candidates {
        c.previous_inspectors.clear();
    }
    let seeds = example::v3_seeds();
    let commitment = commit_v3(
        &input,
        &seeds.server,
        &example::v3_salt_key(),
        example::committed_at(),
    )
    .unwrap();
    let Err(DrawError::Failed(f)) = draw(&input, &seeds) else {
        panic!("a pool of one must fail");
    };
    let rec = serde_json::json!({
        "format": lianjian_domain::draw::FORMAT_V3, "input": input, "commitment": commitment,
        "seeds": seeds, "drawn_at": example::v3_drawn_at(), "failure": f,
    });
    let path = dir.join("failed.json");
    std::fs::write(&path, rec.to_string()).unwrap();
    let (code, out, err) = verify(&path);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("failed draw verified"), "{out}");
    // Another salt key does not give the committed hashes.
    let mut bad = rec.clone();
    bad["seeds"]["v3"]["salt_key"] = "00".repeat(32).into();
    std::fs::write(&path, bad.to_string()).unwrap();
    let (code, _, err) = verify(&path);
    assert_eq!(code, 3, "{err}");
    assert!(err.contains("commitment hashes differ"), "{err}");
    let _ = std::fs::remove_dir_all(&dir);
}
