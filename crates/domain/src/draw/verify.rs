//! Verification of a published record: recompute the commitment from the record's input and
//! seeds, re-run the draw, and compare with the stored result.
//!
//! What it proves: the result is the one the algorithm gives for this input and these seeds,
//! and the input and server seed are the ones committed to — provided the commitment hashes
//! match those published at commit time. `committed_at`, `drawn_at` and `witness_name` are
//! statements of the platform (kept in its audit log), checked only for order.

use std::fmt;

use serde::Serialize;
use uuid::Uuid;

use super::assign::DrawFailure;
use super::hash::{candidates_sha256, inspectors_sha256, seed_sha256};
use super::hash::{check_inspector_order, public_candidates_sha256, public_inspectors_sha256};
use super::prn::combined_seed;
use super::public::PublicInput;
use super::record::{
    BadInput, Contribution, DrawRecord, DrawResult, PerClass, SeedsV3, Stratum, StratumCount,
    Threshold, V3Terms, Visit,
};
use super::sample::{DrawError, draw, draw_committed};
use super::v3::{derive_key, seed_commitment};
use super::{Bytes32, FORMAT, FORMAT_V3, FORMAT_WEIGHTED};
use crate::visit::beijing_date;
use chrono::{DateTime, Utc};

/// A record that checks out.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Summary {
    pub id: Uuid,
    pub title: String,
    pub plans: usize,
    pub candidates: usize,
    pub inspectors: usize,
    pub visits: usize,
    /// Entity-plan selections (a joint visit of two plans counts twice).
    pub selections: u64,
    pub candidates_sha256: Bytes32,
    pub inspectors_sha256: Bytes32,
    pub seed_sha256: Bytes32,
    pub combined_seed: Bytes32,
    pub witness: bool,
}

/// The first difference between a record and its recomputation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Mismatch {
    /// A format this version does not know.
    Format(String),
    /// A known format, but not the one the input needs: `lianjian-draw/2` exactly when the
    /// input uses risk weighting.
    FormatOfInput {
        recorded: String,
        required: &'static str,
    },
    /// The input breaks a rule of the format (e.g. candidates out of order).
    Invalid(BadInput),
    CandidatesHash {
        recorded: Bytes32,
        computed: Bytes32,
    },
    InspectorsHash {
        recorded: Bytes32,
        computed: Bytes32,
    },
    SeedHash {
        recorded: Bytes32,
        computed: Bytes32,
    },
    /// `drawn_at` is before `committed_at`.
    Chronology,
    /// `/3`: the witnessing rule is broken (a reason with a contribution, none without, a
    /// beacon value without an announced beacon, a contribution dated outside the draw …).
    Witnessing(String),
    /// `/3`: a selection threshold differs from the recomputed one.
    Threshold {
        plan: usize,
        code: String,
        stratum: &'static str,
        recorded: Option<Threshold>,
        computed: Option<Threshold>,
    },
    /// `/3` public variant or opening: a check that needs no secret fails; says which.
    Public(String),
    /// An opening that does not open its commitment or contradicts the record; says how.
    Opening(String),
    /// The record shows a result, but recomputing the draw fails.
    DrawFails(DrawFailure),
    CombinedSeed {
        recorded: Bytes32,
        computed: Bytes32,
    },
    /// Visit `number` (1-based) differs; `None` where one side has fewer visits.
    Visit {
        number: usize,
        recorded: Option<Visit>,
        computed: Option<Visit>,
    },
    /// The counts of plan `plan` (index) differ, or the number of plans counted.
    Counts {
        plan: usize,
        code: String,
        recorded: Option<PerClass<StratumCount>>,
        computed: Option<PerClass<StratumCount>>,
    },
}

fn visit_text(v: &Option<Visit>) -> String {
    match v {
        None => "none / 无".into(),
        Some(v) => {
            let certs = |c: &[crate::account::CertificateNumber]| {
                c.iter().map(|c| c.as_str()).collect::<Vec<_>>().join(",")
            };
            let mut s = format!(
                "{} plans {:?} lead {} inspectors [{}]",
                v.usci,
                v.plans,
                v.lead_plan,
                certs(&v.inspectors)
            );
            if !v.experts.is_empty() {
                s.push_str(&format!(" experts [{}]", certs(&v.experts)));
            }
            if !v.control_plans.is_empty() {
                s.push_str(&format!(" control {:?}", v.control_plans));
            }
            s
        }
    }
}

fn counts_text(c: &Option<PerClass<StratumCount>>) -> String {
    match c {
        None => "none / 无".into(),
        Some(c) => super::record::Stratum::ALL
            .iter()
            .map(|&s| {
                let x = c.get(s);
                format!("{} {}/{}/{}", s.as_str(), x.eligible, x.quota, x.drawn)
            })
            .collect::<Vec<_>>()
            .join(", "),
    }
}

impl fmt::Display for Mismatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Mismatch::Format(found) => write!(
                f,
                "不支持的记录格式 {found:?}（应为 {FORMAT} 或 {FORMAT_WEIGHTED}） / unsupported format {found:?}, expected {FORMAT} or {FORMAT_WEIGHTED}"
            ),
            Mismatch::FormatOfInput { recorded, required } => write!(
                f,
                "记录格式 {recorded} 与内容不符（{}应为 {required}） / format {recorded} does not fit the input, which {} {required}",
                if *required == FORMAT_WEIGHTED {
                    "含风险加权，"
                } else {
                    "不含风险加权，"
                },
                if *required == FORMAT_WEIGHTED {
                    "uses risk weighting:"
                } else {
                    "uses no risk weighting:"
                },
            ),
            Mismatch::Invalid(b) => write!(f, "记录内容不合规 / invalid record: {b}"),
            Mismatch::CandidatesHash { recorded, computed } => write!(
                f,
                "对象名单哈希不符 / candidates hash differs: recorded {recorded}, computed {computed}"
            ),
            Mismatch::InspectorsHash { recorded, computed } => write!(
                f,
                "检查人员名单哈希不符 / inspectors hash differs: recorded {recorded}, computed {computed}"
            ),
            Mismatch::SeedHash { recorded, computed } => write!(
                f,
                "服务器种子哈希不符 / seed hash differs: recorded {recorded}, computed {computed}"
            ),
            Mismatch::Chronology => {
                write!(f, "抽取时间早于承诺时间 / drawn_at is before committed_at")
            }
            Mismatch::Witnessing(what) => {
                write!(f, "见证规则不符 / witnessing rule broken: {what}")
            }
            Mismatch::Threshold {
                plan,
                code,
                stratum,
                recorded,
                computed,
            } => write!(
                f,
                "计划 {plan}（{code}）{stratum} 类的入选阈值不符 / threshold of plan {plan} ({code}) \
                 stratum {stratum} differs: recorded {}, recomputed {}",
                recorded.map_or("none".into(), |t| format!("{:032x}", t.0)),
                computed.map_or("none".into(), |t| format!("{:032x}", t.0)),
            ),
            Mismatch::Public(what) => write!(f, "公示版记录不符 / public record differs: {what}"),
            Mismatch::Opening(what) => {
                write!(f, "承诺打开核验失败 / opening does not check: {what}")
            }
            Mismatch::DrawFails(x) => {
                write!(f, "按记录重新抽取失败 / re-running the draw fails: {x}")
            }
            Mismatch::CombinedSeed { recorded, computed } => write!(
                f,
                "合成种子不符 / combined seed differs: recorded {recorded}, computed {computed}"
            ),
            Mismatch::Visit {
                number,
                recorded,
                computed,
            } => write!(
                f,
                "第 {number} 次检查不符 / visit {number} differs: recorded {}; recomputed {}",
                visit_text(recorded),
                visit_text(computed)
            ),
            Mismatch::Counts {
                plan,
                code,
                recorded,
                computed,
            } => write!(
                f,
                "计划 {plan}（{code}）的抽取数量不符 / counts of plan {plan} ({code}) differ \
                 (eligible/quota/drawn): recorded {}; recomputed {}",
                counts_text(recorded),
                counts_text(computed)
            ),
        }
    }
}

impl std::error::Error for Mismatch {}

/// Checks a record: format, input rules, the three hashes, then the whole draw.
// A mismatch is reported once; its size does not matter.
#[allow(clippy::result_large_err)]
pub fn verify(record: &DrawRecord) -> Result<Summary, Mismatch> {
    if record.format == FORMAT_V3 {
        return verify_v3(record);
    }
    if record.format != FORMAT && record.format != FORMAT_WEIGHTED {
        return Err(Mismatch::Format(record.format.clone()));
    }
    let input = &record.input;
    input.validate().map_err(Mismatch::Invalid)?;
    if input.v3.is_some()
        || record.seeds.v3.is_some()
        || record.result.thresholds.is_some()
        || record.result.control_thresholds.is_some()
    {
        return Err(Mismatch::FormatOfInput {
            recorded: record.format.clone(),
            required: FORMAT_V3,
        });
    }
    if record.format != input.format() {
        return Err(Mismatch::FormatOfInput {
            recorded: record.format.clone(),
            required: input.format(),
        });
    }
    let c = &record.commitment;
    let computed = candidates_sha256(input);
    if computed != c.candidates_sha256 {
        return Err(Mismatch::CandidatesHash {
            recorded: c.candidates_sha256,
            computed,
        });
    }
    let computed = inspectors_sha256(input);
    if computed != c.inspectors_sha256 {
        return Err(Mismatch::InspectorsHash {
            recorded: c.inspectors_sha256,
            computed,
        });
    }
    let computed = seed_sha256(&record.seeds.server);
    if computed != c.seed_sha256 {
        return Err(Mismatch::SeedHash {
            recorded: c.seed_sha256,
            computed,
        });
    }
    if record.drawn_at < c.committed_at {
        return Err(Mismatch::Chronology);
    }
    // The combined seed first: a changed witness shows as such, even where the draw it leads
    // to fails.
    let stored = &record.result;
    let key = combined_seed(&record.seeds.server, record.seeds.witness.as_ref());
    if stored.combined_seed != key {
        return Err(Mismatch::CombinedSeed {
            recorded: stored.combined_seed,
            computed: key,
        });
    }
    let result = match draw(input, &record.seeds) {
        Ok(r) => r,
        Err(DrawError::Failed(x)) => return Err(Mismatch::DrawFails(x)),
        Err(DrawError::Invalid { .. }) => unreachable!("the input was validated above"),
    };
    compare_results(record, &result)?;
    Ok(Summary {
        id: input.id,
        title: input.title.clone(),
        plans: input.plans.len(),
        candidates: input.candidates.len(),
        inspectors: input.inspectors.len(),
        visits: result.visits.len(),
        selections: result.visits.iter().map(|v| v.plans.len() as u64).sum(),
        candidates_sha256: c.candidates_sha256,
        inspectors_sha256: c.inspectors_sha256,
        seed_sha256: c.seed_sha256,
        combined_seed: result.combined_seed,
        witness: record.seeds.witness.is_some(),
    })
}

/// The witnessing rules of a `/3` record (issue 11 item 2), shared by both variants: the
/// contributions' rules ([`SeedsV3::validate`]), every contribution submitted between the
/// commitment and the draw, the beacon announced for a day after the commitment's (Beijing)
/// date, and its value entered no earlier than that day.
#[allow(clippy::result_large_err)]
pub(super) fn check_witnessing(
    terms: &V3Terms,
    contributions: &[Contribution],
    beacon_value: Option<&str>,
    unwitnessed_reason: Option<&str>,
    committed_at: DateTime<Utc>,
    drawn_at: DateTime<Utc>,
) -> Result<(), Mismatch> {
    let w = |s: String| Err(Mismatch::Witnessing(s));
    let seeds = SeedsV3 {
        salt_key: Bytes32::default(),
        contributions: contributions.to_vec(),
        beacon_value: beacon_value.map(str::to_string),
        unwitnessed_reason: unwitnessed_reason.map(str::to_string),
    };
    if let Err(b) = seeds.validate(terms) {
        return w(b.to_string());
    }
    for (k, c) in contributions.iter().enumerate() {
        if c.submitted_at < committed_at || c.submitted_at > drawn_at {
            return w(format!(
                "contribution {k} ({}) was submitted at {}, outside the commitment ({committed_at}) and the draw ({drawn_at})",
                c.name, c.submitted_at
            ));
        }
    }
    if let Some(b) = &terms.beacon {
        let committed = beijing_date(committed_at);
        if b.available_on <= committed {
            return w(format!(
                "the beacon is available on {}, not after the commitment's date {committed}",
                b.available_on
            ));
        }
        if beacon_value.is_some() && beijing_date(drawn_at) < b.available_on {
            return w(format!(
                "the beacon value is known on {}, but the draw is dated {}",
                b.available_on,
                beijing_date(drawn_at)
            ));
        }
    }
    Ok(())
}

/// [`verify`] of a `/3` full record: the rules, the inspector order, both hashes over the
/// `/3` texts (salted from the salt key), the seed commitment, the witnessing rules, the key,
/// then the whole draw with its thresholds.
#[allow(clippy::result_large_err)]
fn verify_v3(record: &DrawRecord) -> Result<Summary, Mismatch> {
    let input = &record.input;
    input.validate().map_err(Mismatch::Invalid)?;
    if input.format() != FORMAT_V3 {
        return Err(Mismatch::FormatOfInput {
            recorded: record.format.clone(),
            required: input.format(),
        });
    }
    let terms = input.v3.as_ref().expect("a /3 input");
    let Some(v3) = &record.seeds.v3 else {
        return Err(Mismatch::Witnessing(
            "seeds.v3 is missing (salt key and contributions)".into(),
        ));
    };
    if record.seeds.witness.is_some() || record.seeds.witness_name.is_some() {
        return Err(Mismatch::Witnessing(
            "a lianjian-draw/3 record has no legacy witness (seeds.witness)".into(),
        ));
    }
    let public = PublicInput::of(input, &v3.salt_key);
    check_inspector_order(&public).map_err(Mismatch::Invalid)?;
    let c = &record.commitment;
    let computed = public_candidates_sha256(&public);
    if computed != c.candidates_sha256 {
        return Err(Mismatch::CandidatesHash {
            recorded: c.candidates_sha256,
            computed,
        });
    }
    let computed = public_inspectors_sha256(&public);
    if computed != c.inspectors_sha256 {
        return Err(Mismatch::InspectorsHash {
            recorded: c.inspectors_sha256,
            computed,
        });
    }
    drop(public);
    let computed = seed_commitment(&record.seeds.server);
    if computed != c.seed_sha256 {
        return Err(Mismatch::SeedHash {
            recorded: c.seed_sha256,
            computed,
        });
    }
    if record.drawn_at < c.committed_at {
        return Err(Mismatch::Chronology);
    }
    check_witnessing(
        terms,
        &v3.contributions,
        v3.beacon_value.as_deref(),
        v3.unwitnessed_reason.as_deref(),
        c.committed_at,
        record.drawn_at,
    )?;
    let stored = &record.result;
    let key = derive_key(
        &record.seeds.server,
        &c.candidates_sha256,
        &c.inspectors_sha256,
        v3,
    );
    if stored.combined_seed != key {
        return Err(Mismatch::CombinedSeed {
            recorded: stored.combined_seed,
            computed: key,
        });
    }
    let result = match draw_committed(input, &record.seeds, c) {
        Ok(r) => r,
        Err(DrawError::Failed(x)) => return Err(Mismatch::DrawFails(x)),
        Err(DrawError::Invalid {
            field, message_en, ..
        }) => {
            return Err(Mismatch::Witnessing(format!("{field}: {message_en}")));
        }
    };
    compare_results(record, &result)?;
    compare_thresholds(input, &stored.thresholds, &result.thresholds, false)?;
    compare_thresholds(
        input,
        &stored.control_thresholds,
        &result.control_thresholds,
        true,
    )?;
    Ok(Summary {
        id: input.id,
        title: input.title.clone(),
        plans: input.plans.len(),
        candidates: input.candidates.len(),
        inspectors: input.inspectors.len(),
        visits: result.visits.len(),
        selections: result.visits.iter().map(|v| v.plans.len() as u64).sum(),
        candidates_sha256: c.candidates_sha256,
        inspectors_sha256: c.inspectors_sha256,
        seed_sha256: c.seed_sha256,
        combined_seed: result.combined_seed,
        witness: v3.witnessed(),
    })
}

/// Recorded thresholds (of the selection, or of the control share: 12.13) against the
/// recomputed ones, plan by plan and stratum by stratum.
#[allow(clippy::result_large_err)]
fn compare_thresholds(
    input: &super::DrawInput,
    recorded: &Option<Vec<PerClass<Option<Threshold>>>>,
    computed: &Option<Vec<PerClass<Option<Threshold>>>>,
    control: bool,
) -> Result<(), Mismatch> {
    let (recorded, computed) = (
        recorded.as_deref().unwrap_or(&[]),
        computed.as_deref().unwrap_or(&[]),
    );
    for p in 0..recorded.len().max(computed.len()) {
        for h in Stratum::ALL {
            let r = recorded.get(p).map(|t| *t.get(h));
            let x = computed.get(p).map(|t| *t.get(h));
            if r != x {
                return Err(Mismatch::Threshold {
                    plan: p,
                    code: input.plans.get(p).map_or("?".into(), |x| x.code.clone()),
                    stratum: if control {
                        h.control_label()
                    } else {
                        h.as_str()
                    },
                    recorded: r.flatten(),
                    computed: x.flatten(),
                });
            }
        }
    }
    Ok(())
}

/// The recorded visits and counts against the recomputed ones.
#[allow(clippy::result_large_err)]
fn compare_results(record: &DrawRecord, result: &DrawResult) -> Result<(), Mismatch> {
    let stored = &record.result;
    let input = &record.input;
    let n = stored.visits.len().max(result.visits.len());
    for k in 0..n {
        let (r, c) = (stored.visits.get(k), result.visits.get(k));
        if r != c {
            return Err(Mismatch::Visit {
                number: k + 1,
                recorded: r.cloned(),
                computed: c.cloned(),
            });
        }
    }
    let n = stored.counts.len().max(result.counts.len());
    for p in 0..n {
        let (r, c) = (stored.counts.get(p), result.counts.get(p));
        if r != c {
            return Err(Mismatch::Counts {
                plan: p,
                code: input.plans.get(p).map_or("?".into(), |x| x.code.clone()),
                recorded: r.copied(),
                computed: c.copied(),
            });
        }
    }
    Ok(())
}
