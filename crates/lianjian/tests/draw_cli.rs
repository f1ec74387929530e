//! `lianjian draw verify` runs as the real binary on record files written by the domain code.

mod common;

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
