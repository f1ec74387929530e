//! `lianjian draw verify RECORD.json`: recomputes a published draw record (抽取记录) with no
//! database and no network, so that anyone can check a draw (双随机、一公开, 国办发〔2023〕1号 (九)).

use std::path::Path;
use std::process::ExitCode;

use lianjian_domain::draw::{
    Commitment, DrawError, DrawInput, DrawRecord, Seeds, commit, draw, verify as verify_record,
};

/// The file cannot be read or is not a draw record.
pub const EXIT_UNREADABLE: u8 = 2;
/// The record does not match its recomputation.
pub const EXIT_MISMATCH: u8 = 3;

pub fn verify(file: &Path) -> ExitCode {
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
    let record = match DrawRecord::from_json(&bytes) {
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
    match verify_record(&record) {
        Ok(s) => {
            println!(
                "抽取记录核验通过 / draw record verified: {} ({})",
                s.title, s.id
            );
            println!(
                "  计划 plans {} · 候选对象 candidates {} · 检查人员 inspectors {}",
                s.plans, s.candidates, s.inspectors
            );
            println!(
                "  检查 visits {} (抽中 selections {}, 联合检查减少 {} 次 / joint visits saved {})",
                s.visits,
                s.selections,
                s.selections - s.visits as u64,
                s.selections - s.visits as u64
            );
            println!("  对象名单 candidates_sha256  {}", s.candidates_sha256);
            println!("  人员名单 inspectors_sha256  {}", s.inspectors_sha256);
            println!("  服务器种子 seed_sha256      {}", s.seed_sha256);
            println!(
                "  合成种子 combined seed      {}{}",
                s.combined_seed,
                if s.witness {
                    " (含见证人随机数 / with witness)"
                } else {
                    ""
                }
            );
            ExitCode::SUCCESS
        }
        Err(m) => {
            eprintln!("抽取记录核验失败 / draw record does NOT verify: {m}");
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
    match commit(&r.input, &r.seeds.server, r.commitment.committed_at) {
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
