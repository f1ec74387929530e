//! `lianjian bench` end to end: a small synthetic province, on PostgreSQL too when
//! `LIANJIAN_TEST_POSTGRES_URL` names a server (the bench creates and drops its own database).

use crate::common;

use common::run;

#[test]
fn bench_prints_every_figure_as_json_last() {
    let pg = std::env::var("LIANJIAN_TEST_POSTGRES_URL")
        .ok()
        .filter(|u| !u.trim().is_empty());
    let mut args = vec!["bench", "--entities", "20000", "--runs", "5"];
    if let Some(url) = &pg {
        args.extend(["--postgres", url.as_str()]);
    } else {
        eprintln!("LIANJIAN_TEST_POSTGRES_URL unset or empty: PostgreSQL part skipped");
    }
    let (code, out, err) = run(&args, &[]);
    assert_eq!(code, 0, "stdout:\n{out}\nstderr:\n{err}");
    let last = out.lines().last().expect("output");
    let v: serde_json::Value = serde_json::from_str(last).expect("last line is JSON");
    assert_eq!(v["entities"], 20000);
    for key in [
        "generate_ms",
        "build_ms",
        "memory_bytes",
        "eval_total_ms",
        "eval_p95_ms",
        "joint_ms",
        "draw_ms",
        "counts_by_county_ms",
    ] {
        assert!(v[key].is_number(), "{key} in {last}");
    }
    assert_eq!(v["items"], 500);
    assert_eq!(v["tags"], 300);
    let joint = &v["joint"];
    assert_eq!(
        joint["visits_saved"].as_u64().unwrap(),
        joint["sum_pools"].as_u64().unwrap() - joint["union"].as_u64().unwrap()
    );
    assert_eq!(joint["top_pairs"].as_array().unwrap().len(), 20);
    let draw = &v["draw"];
    assert!(draw["picked"].as_u64().unwrap() > 0);
    assert!(draw["picked"].as_u64().unwrap() < draw["pool"].as_u64().unwrap());
    for kind in [
        "name_2_chars",
        "name_1_char",
        "name_4_chars",
        "tag_province_by_name",
        "name_2_chars_in_county",
        "county_credit_c_by_name",
        "usci_prefix",
    ] {
        assert!(v["search"][kind]["p95_ms"].is_number(), "{kind}");
    }
    match pg {
        Some(_) => {
            let p = &v["postgres"];
            assert!(p["sql_eval_total_ms"].as_f64().unwrap() > 0.0, "{p}");
            assert!(p["ratio"].is_number(), "{p}");
            assert_eq!(
                p["count_mismatches"], 0,
                "SQL and index agree on every item: {p}"
            );
        }
        None => assert!(v["postgres"].is_null()),
    }
    // Same seed, same province: the draw picks the same first entities.
    let (_, again, _) = run(&["bench", "--entities", "20000", "--runs", "1"], &[]);
    let w: serde_json::Value = serde_json::from_str(again.lines().last().unwrap()).unwrap();
    assert_eq!(w["draw"]["first_picks"], v["draw"]["first_picks"]);
    assert_eq!(w["joint"]["union"], v["joint"]["union"]);
}

#[test]
fn bench_rejects_sizes_out_of_range() {
    let (code, _, err) = run(&["bench", "--entities", "20000000"], &[]);
    assert_ne!(code, 0);
    assert!(err.contains("--entities"), "{err}");
}
