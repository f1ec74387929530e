//! `lianjian draw verify RECORD.json [--opening OPENING.json]`: recomputes a published draw
//! record (抽取记录) with no database and no network, so that anyone can check a draw
//! (双随机、一公开, 国办发〔2023〕1号 (九)). Reads `lianjian-draw/1`, `/2`, `/3` full and `/3`
//! public records, told apart by `format`; with an opening (`/3`), also checks an entity's own
//! class and inclusion.

use std::path::Path;
use std::process::ExitCode;

use lianjian_domain::draw::{
    AnyRecord, Commitment, DrawError, DrawInput, Opening, PublicDrawRecord, Seeds, commit_seeds,
    draw, verify as verify_record, verify_public,
};

/// The file cannot be read or is not a draw record.
pub const EXIT_UNREADABLE: u8 = 2;
/// The record does not match its recomputation.
pub const EXIT_MISMATCH: u8 = 3;

pub fn verify(file: &Path, opening: Option<&Path>) -> ExitCode {
    let bytes = match std::fs::read(file) {
        Ok(b) => b,
        Err(e) => {
            eprintln!(
                "无法读取抽取记录 {} / cannot read the draw record: {e}",
                file.display()
            );
            return ExitCode::from(EXIT_UNREADABLE);
        }
    };
    // A draw that failed publishes its input, commitment, seeds and the failure instead of a
    // result: recomputing it must fail the same way.
    if let Ok(v) = serde_json::from_slice::<serde_json::Value>(&bytes)
        && v.get("failure").is_some()
    {
        return verify_failed(file, &v);
    }
    let record = match AnyRecord::from_json(&bytes) {
        Ok(r) => r,
        Err(e) => {
            eprintln!(
                "抽取记录格式错误 / not a valid draw record: {} at {}: {}",
                file.display(),
                e.path,
                e.message
            );
            return ExitCode::from(EXIT_UNREADABLE);
        }
    };
    // Read the opening first: an unreadable file is exit 2 whatever the record says.
    let opening = match opening.map(read_opening).transpose() {
        Ok(o) => o,
        Err(code) => return code,
    };
    let public = match record {
        AnyRecord::Full(record) => {
            match verify_record(&record) {
                Ok(s) => {
                    println!(
                        "抽取记录核验通过 / draw record verified: {} ({}) [{}]",
                        s.title, s.id, record.format
                    );
                    println!(
                        "  计划 plans {} · 候选对象 candidates {} · 检查人员 inspectors {}",
                        s.plans, s.candidates, s.inspectors
                    );
                    print_visits(s.visits, s.selections);
                    println!("  对象名单 candidates_sha256  {}", s.candidates_sha256);
                    println!("  人员名单 inspectors_sha256  {}", s.inspectors_sha256);
                    println!("  服务器种子 seed_sha256      {}", s.seed_sha256);
                    match &record.seeds.v3 {
                        None => println!(
                            "  合成种子 combined seed      {}{}",
                            s.combined_seed,
                            if s.witness {
                                " (含见证人随机数 / with witness)"
                            } else {
                                ""
                            }
                        ),
                        Some(v3) => {
                            println!("  抽取密钥 draw key           {}", s.combined_seed);
                            print_witnessing(
                                v3.contributions.len(),
                                v3.beacon_value.is_some(),
                                v3.unwitnessed_reason.as_deref(),
                            );
                        }
                    }
                }
                Err(m) => {
                    eprintln!("抽取记录核验失败 / draw record does NOT verify: {m}");
                    return ExitCode::from(EXIT_MISMATCH);
                }
            }
            match (&opening, record.public_variant()) {
                (None, _) => return ExitCode::SUCCESS,
                (Some(_), Some(p)) => p,
                (Some(_), None) => {
                    eprintln!(
                        "承诺打开只适用于 lianjian-draw/3 记录 / an opening needs a lianjian-draw/3 record, this is {}",
                        record.format
                    );
                    return ExitCode::from(EXIT_UNREADABLE);
                }
            }
        }
        AnyRecord::Public(record) => {
            match verify_public(&record) {
                Ok(s) => {
                    println!(
                        "公示版抽取记录核验通过 / public draw record verified: {} ({}) [{}]",
                        s.title, s.id, record.format
                    );
                    println!(
                        "  计划 plans {} · 候选对象 candidates {} · 检查人员（化名） inspectors (pseudonyms) {}",
                        s.plans, s.candidates, s.inspectors
                    );
                    print_visits(s.visits, s.selections);
                    println!("  对象名单 candidates_sha256  {}", s.candidates_sha256);
                    println!("  人员名单 inspectors_sha256  {}", s.inspectors_sha256);
                    println!("  服务器种子承诺 seed_sha256  {}", s.seed_sha256);
                    println!("  抽取密钥 draw key           {}", s.combined_seed);
                    print_witnessing(s.contributions, s.beacon, s.unwitnessed_reason.as_deref());
                    println!(
                        "  公示版不含信用类别与人员身份：类别的核对须由对象凭承诺打开进行 / classes and identities are not in the public record: an entity checks its own with --opening"
                    );
                }
                Err(m) => {
                    eprintln!("公示版抽取记录核验失败 / public draw record does NOT verify: {m}");
                    return ExitCode::from(EXIT_MISMATCH);
                }
            }
            if opening.is_none() {
                return ExitCode::SUCCESS;
            }
            record
        }
    };
    let opening = opening.expect("checked above");
    check_opening(&opening, &public)
}

fn print_visits(visits: usize, selections: u64) {
    println!(
        "  检查 visits {} (抽中 selections {}, 联合检查减少 {} 次 / joint visits saved {})",
        visits,
        selections,
        selections - visits as u64,
        selections - visits as u64
    );
}

fn print_witnessing(contributions: usize, beacon: bool, unwitnessed: Option<&str>) {
    match unwitnessed {
        Some(reason) => println!("  未经独立见证 / NOT independently witnessed: {reason}"),
        None => println!(
            "  独立见证 witnessed by: 监督人随机数 supervisor contributions {contributions}{}",
            if beacon {
                " · 公共随机源 public beacon value"
            } else {
                ""
            }
        ),
    }
}

fn read_opening(path: &Path) -> Result<Opening, ExitCode> {
    let bytes = std::fs::read(path).map_err(|e| {
        eprintln!(
            "无法读取承诺打开文件 {} / cannot read the opening: {e}",
            path.display()
        );
        ExitCode::from(EXIT_UNREADABLE)
    })?;
    Opening::from_json(&bytes).map_err(|e| {
        eprintln!(
            "承诺打开文件格式错误 / not a valid opening: {} at {}: {}",
            path.display(),
            e.path,
            e.message
        );
        ExitCode::from(EXIT_UNREADABLE)
    })
}

fn check_opening(opening: &Opening, record: &PublicDrawRecord) -> ExitCode {
    match opening.check(record) {
        Ok(c) => {
            println!(
                "承诺打开核验通过 / opening verified: {} {} — 信用类别 credit class {} · 风险权重 risk weight {}",
                c.usci,
                c.name,
                c.credit_class.map_or("未分类 / ungraded", |k| k.as_str()),
                c.risk_weight
            );
            for p in &c.plans {
                println!("  计划 plan {p}");
            }
            ExitCode::SUCCESS
        }
        Err(m) => {
            eprintln!("承诺打开核验失败 / opening does NOT verify: {m}");
            ExitCode::from(EXIT_MISMATCH)
        }
    }
}

/// The published record of a failed draw: `{format, input, commitment, seeds, drawn_at, failure}`.
#[derive(serde::Deserialize)]
struct FailedRecord {
    format: String,
    input: DrawInput,
    commitment: Commitment,
    seeds: Seeds,
    failure: RecordedFailure,
}

#[derive(serde::Deserialize)]
struct RecordedFailure {
    code: String,
    usci: String,
    short: u32,
    message: String,
}

fn verify_failed(file: &Path, v: &serde_json::Value) -> ExitCode {
    let r: FailedRecord = match serde_path_to_error::deserialize(v) {
        Ok(r) => r,
        Err(e) => {
            eprintln!(
                "抽取记录格式错误 / not a valid draw record: {} at {}: {}",
                file.display(),
                e.path(),
                e.inner()
            );
            return ExitCode::from(EXIT_UNREADABLE);
        }
    };
    let mismatch = |what: String| {
        eprintln!("抽取记录核验失败 / draw record does NOT verify: {what}");
        ExitCode::from(EXIT_MISMATCH)
    };
    if r.format != r.input.format() {
        return mismatch(format!(
            "format {} is not {} (the format of this input)",
            r.format,
            r.input.format()
        ));
    }
    match commit_seeds(&r.input, &r.seeds, r.commitment.committed_at) {
        Ok(c) if c == r.commitment => {}
        Ok(_) => return mismatch("commitment hashes differ from the input and seed".into()),
        Err(e) => return mismatch(format!("input is invalid: {}: {}", e.field, e.invalid.en)),
    }
    match draw(&r.input, &r.seeds) {
        Err(DrawError::Failed(f))
            if f.code == r.failure.code
                && f.usci.as_str() == r.failure.usci
                && f.short == r.failure.short =>
        {
            println!(
                "抽取失败记录核验通过 / failed draw verified: {} ({})",
                r.input.title, r.input.id
            );
            println!("  失败原因 failure: {}", r.failure.message);
            ExitCode::SUCCESS
        }
        Err(DrawError::Failed(f)) => mismatch(format!(
            "recorded failure {} at {} (short {}), recomputed {} at {} (short {})",
            r.failure.code, r.failure.usci, r.failure.short, f.code, f.usci, f.short
        )),
        Err(DrawError::Invalid {
            field, message_en, ..
        }) => mismatch(format!("input is invalid: {field}: {message_en}")),
        Ok(_) => mismatch("the recorded failure does not happen: the draw succeeds".into()),
    }
}
