//! Verifiable draws (抽取) of joint double-random inspections (双随机、一公开, 国办发〔2023〕1号
//! (九); 鲁 task 12): which entities each plan inspects, merged into joint visits, and which
//! inspectors go.
//!
//! Everything here is pure and deterministic: the same [`DrawInput`] and [`Seeds`] always give
//! the same [`DrawResult`], so anyone holding a published [`DrawRecord`] can recompute it
//! ([`verify`], `lianjian draw verify`). `docs/draw-algorithm.md` specifies every step for an
//! independent implementation; this module is the reference.
//!
//! A draw runs in two steps so that nobody can re-draw until a result suits:
//!
//! 1. the service freezes the pools into a [`DrawInput`] (normalised with
//!    [`DrawInput::normalise`]), generates a secret 32-byte server seed and publishes
//!    [`commit`]'s [`Commitment`] (three SHA-256 hashes);
//! 2. later, with the optional witness contribution, [`draw`] computes the [`DrawResult`] and
//!    [`DrawRecord::new`] assembles the public record.

mod assign;
#[cfg(target_arch = "x86_64")]
mod chacha8;
pub mod example;
mod hash;
mod prn;
mod public;
mod record;
mod sample;
mod status;
pub mod v3;
mod verify;

#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_v3;

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

pub use assign::DrawFailure;
pub use hash::{
    candidates_sha256, candidates_text, commit, commit_seeds, commit_v3, commit_v3_public,
    inspectors_sha256, inspectors_text, public_candidates_text, public_inspectors_text,
    seed_sha256,
};
pub use prn::{
    PRN_STREAM, PrnReader, PrnStream, TIEBREAK_STREAM, combined_seed, prn_at, prns, tiebreak_at,
};
pub use public::{
    AnyRecord, Opening, OpeningCheck, PlanOutcome, PublicCandidate, PublicDrawRecord, PublicInput,
    PublicInspector, PublicResult, PublicSeeds, PublicSummary, PublicVisit, verify_public,
};
pub use record::{
    BadInput, BeaconSpec, Candidate, Commitment, Contribution, ContributionValue, DepartmentRef,
    DrawInput, DrawInspector, DrawPlan, DrawRecord, DrawResult, Exclusion, InspectorKind,
    ParseError, PerClass, Seeds, SeedsV3, Stratum, StratumCount, Threshold, V3Terms, Visit,
    Witness, record_with_input,
};
pub use sample::{
    Candidates, DrawError, NOT_ELIGIBLE, Numbers, PlanStrata, WEIGHT_SCALE, control_quota, draw,
    draw_committed, quota, select_smallest, select_smallest_by, select_smallest_in, select_strata,
    weighted_key,
};
pub use status::DrawStatus;
pub use verify::{Mismatch, Summary, verify};

/// `format` of records without risk weighting: every candidate's weight is 1 and no plan is
/// risk-weighted. Records written before risk weighting existed are all of this format, and a
/// draw without weighting still writes it, byte for byte as before.
pub const FORMAT: &str = "lianjian-draw/1";

/// `format` of records with risk weighting (a candidate weight other than 1 or a risk-weighted
/// plan): the canonical text carries the weights, so a reader that only knows
/// [`FORMAT`] refuses the record by its format instead of misreading it.
pub const FORMAT_WEIGHTED: &str = "lianjian-draw/2";

/// `format` of every new draw's full record: domain-separated derivation (HMAC-SHA256 keyed by
/// the server seed), supervisor and beacon contributions, salted commitments to credit
/// classes, risk weights and inspector identities (issue 11).
pub const FORMAT_V3: &str = "lianjian-draw/3";

/// `format` of the public variant of a `/3` record ([`PublicDrawRecord`]).
pub const FORMAT_V3_PUBLIC: &str = "lianjian-draw/3-public";

/// `format` of an [`Opening`] of a `/3` class commitment.
pub const FORMAT_V3_OPENING: &str = "lianjian-draw/3-opening";

/// Largest risk weight of a candidate (and of a tag). Weights are 1–10, so that
/// [`WEIGHT_SCALE`] = lcm(1, …, 10) makes every weighted key an exact integer.
pub const MAX_RISK_WEIGHT: u8 = 10;

/// 32 bytes written as 64 lower-case hex digits: seeds, the combined seed and SHA-256 hashes.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct Bytes32(pub [u8; 32]);

impl Bytes32 {
    pub fn to_hex(&self) -> String {
        hex::encode(self.0)
    }

    /// Exactly 64 hex digits, either case: for values people type (a hash in a URL).
    pub fn from_hex(s: &str) -> Result<Self, String> {
        let mut b = [0u8; 32];
        hex::decode_to_slice(s, &mut b)
            .map_err(|_| format!("expected 64 hex digits (32 bytes), got {:?}", s))?;
        Ok(Self(b))
    }

    /// Exactly 64 lower-case hex digits: the one form records, proofs and checkpoints are
    /// written in, and so the only one their readers accept (a document has one byte form).
    pub fn from_lower_hex(s: &str) -> Result<Self, String> {
        lower_hex(s, 64)?;
        Self::from_hex(s)
    }
}

impl fmt::Display for Bytes32 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_hex())
    }
}

impl fmt::Debug for Bytes32 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Bytes32({})", self.to_hex())
    }
}

impl Serialize for Bytes32 {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_hex())
    }
}

impl<'de> Deserialize<'de> for Bytes32 {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Self::from_lower_hex(&s).map_err(serde::de::Error::custom)
    }
}

/// Whether `s` is exactly `digits` lower-case hex digits (`0-9a-f`).
pub fn lower_hex(s: &str, digits: usize) -> Result<(), String> {
    if s.len() == digits && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')) {
        Ok(())
    } else {
        Err(format!(
            "expected {digits} lower-case hex digits, got {s:?}"
        ))
    }
}
