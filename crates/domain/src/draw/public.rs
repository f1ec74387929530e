//! The public variant of a `lianjian-draw/3` record (公示版) and the openings of its class
//! commitments (issue 11 item 3). The public variant publishes what the law allows and stays
//! verifiable: inspectors as per-draw pseudonyms, credit classes and risk weights only as salted
//! commitments, the per-class counts and the selection thresholds. Its canonical texts are the
//! very texts the commitment hashed, so anyone can recompute `candidates_sha256` and
//! `inspectors_sha256` from it.
//!
//! The whole public variant reveals the selection (the seeds give every candidate's number), so
//! it is published only once the embargo ends; before that the portal shows counts only.

use std::fmt;

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use uuid::Uuid;

use super::record::{
    BeaconSpec, Contribution, DrawPlan, DrawRecord, Exclusion, InspectorKind, ParseError, PerClass,
    StratumCount, Threshold,
};
use super::verify::Mismatch;
use super::{Bytes32, FORMAT_V3_OPENING, FORMAT_V3_PUBLIC};
use crate::directory::CreditClass;
use crate::region::RegionCode;
use crate::usci::Usci;

/// The public variant of a `/3` record. JSON `format` is [`FORMAT_V3_PUBLIC`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PublicDrawRecord {
    pub format: String,
    pub input: PublicInput,
    pub commitment: super::record::Commitment,
    pub seeds: PublicSeeds,
    pub drawn_at: DateTime<Utc>,
    pub result: PublicResult,
}

/// The committed input as the public may see it: exactly what the `/3` canonical texts hash.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PublicInput {
    pub id: Uuid,
    pub title: String,
    pub region_code: RegionCode,
    pub period_start: NaiveDate,
    pub period_end: NaiveDate,
    pub redraw_of: Option<Uuid>,
    pub redraw_reason: Option<String>,
    /// The beacon announced at commit time, if any.
    pub beacon: Option<BeaconSpec>,
    pub plans: Vec<DrawPlan>,
    /// Ascending by credit code, as in the full record (same indices).
    pub candidates: Vec<PublicCandidate>,
    /// In the `/3` order (ascending by identity commitment), as in the full record.
    pub inspectors: Vec<PublicInspector>,
}

/// A candidate without its class and weight.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PublicCandidate {
    pub usci: Usci,
    pub name: String,
    /// [`super::v3::class_commitment`] over its salt, credit code, class and risk weight.
    pub class_commitment: Bytes32,
    pub plans: Vec<u32>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub exclusions: Vec<Exclusion>,
    /// Inspectors of its previous visit who are in this draw's pool, as indices into
    /// `inspectors`, ascending (those not in the pool cannot be picked anyway).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub previous_inspectors: Vec<u32>,
}

/// An inspector under a per-draw pseudonym: no name, no certificate number.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PublicInspector {
    /// [`super::v3::pseudonym`] of its position, e.g. 检查员-07.
    pub pseudonym: String,
    /// [`super::v3::identity_commitment`] over its salt, certificate number and name.
    pub identity_commitment: Bytes32,
    pub department_id: Uuid,
    pub kind: InspectorKind,
    pub qualifications: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub conflicts: Vec<Usci>,
    pub workload: u32,
}

/// The revealed seeds, without the salt key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PublicSeeds {
    pub server: Bytes32,
    pub contributions: Vec<Contribution>,
    pub beacon_value: Option<String>,
    /// Present exactly when the draw had no independent contribution: 未经独立见证.
    pub unwitnessed_reason: Option<String>,
}

/// A visit with its officers and experts as pseudonyms.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PublicVisit {
    pub usci: Usci,
    pub plans: Vec<u32>,
    pub lead_plan: u32,
    pub inspectors: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub experts: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PublicResult {
    /// The ChaCha20 key ([`super::v3::derive_key`]).
    pub combined_seed: Bytes32,
    pub visits: Vec<PublicVisit>,
    pub counts: Vec<PerClass<StratumCount>>,
    pub thresholds: Vec<PerClass<Option<Threshold>>>,
}

/// What an entity needs to check its own class and inclusion against the public variant.
/// JSON `format` is [`FORMAT_V3_OPENING`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Opening {
    pub format: String,
    pub draw_id: Uuid,
    /// Position in `input.candidates`.
    pub index: u32,
    pub usci: Usci,
    /// `"A"`–`"D"`, or null when not graded.
    #[serde(with = "super::record::class_letter")]
    pub credit_class: Option<CreditClass>,
    pub risk_weight: u8,
    #[serde(with = "salt_hex")]
    pub salt: super::v3::Salt,
}

/// One plan whose pool holds the entity.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PlanOutcome {
    pub plan: u32,
    pub code: String,
    /// Not excluded from the plan.
    pub eligible: bool,
    /// Drawn for the plan (its key is within the plan's threshold of its class).
    pub drawn: bool,
}

/// An opening that checks out.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OpeningCheck {
    pub usci: Usci,
    pub name: String,
    pub credit_class: Option<CreditClass>,
    pub risk_weight: u8,
    pub plans: Vec<PlanOutcome>,
}

/// A public record that checks out.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PublicSummary {
    pub id: Uuid,
    pub title: String,
    pub plans: usize,
    pub candidates: usize,
    pub inspectors: usize,
    pub visits: usize,
    pub selections: u64,
    pub candidates_sha256: Bytes32,
    pub inspectors_sha256: Bytes32,
    pub seed_sha256: Bytes32,
    pub combined_seed: Bytes32,
    /// Supervisor contributions.
    pub contributions: usize,
    pub beacon: bool,
    /// 未经独立见证: the reason, when the draw had no independent contribution.
    pub unwitnessed_reason: Option<String>,
}

impl DrawRecord {
    /// The public variant of a `/3` record; `None` for `/1` and `/2` records (their full
    /// record is all there is).
    pub fn public_variant(&self) -> Option<PublicDrawRecord> {
        todo!()
    }

    /// The opening of candidate `usci`'s class commitment; `None` for `/1`, `/2` records and
    /// entities not in the pool.
    pub fn opening(&self, usci: &Usci) -> Option<Opening> {
        let _ = usci;
        todo!()
    }
}

impl PublicDrawRecord {
    /// Reads a public record, naming the path of the first bad value.
    pub fn from_json(bytes: &[u8]) -> Result<Self, ParseError> {
        let _ = bytes;
        todo!()
    }

    pub fn to_json_pretty(&self) -> String {
        serde_json::to_string_pretty(self).expect("records serialise")
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("records serialise")
    }
}

impl Opening {
    pub fn from_json(bytes: &[u8]) -> Result<Self, ParseError> {
        let _ = bytes;
        todo!()
    }

    pub fn to_json_pretty(&self) -> String {
        serde_json::to_string_pretty(self).expect("openings serialise")
    }

    /// Checks the opening against the public record: the commitment opens to this class and
    /// weight, and for every plan of its pool the entity was drawn exactly when it is eligible
    /// and its key is within the threshold of its class.
    #[allow(clippy::result_large_err)]
    pub fn check(&self, record: &PublicDrawRecord) -> Result<OpeningCheck, Mismatch> {
        let _ = record;
        todo!()
    }
}

/// Checks a public record: everything that can be checked without classes, weights and
/// identities (docs/draw-algorithm.md, "What the public variant proves").
#[allow(clippy::result_large_err)]
pub fn verify_public(record: &PublicDrawRecord) -> Result<PublicSummary, Mismatch> {
    let _ = record;
    todo!()
}

/// Any record `lianjian draw verify` reads, told apart by `format`.
#[derive(Debug, Clone)]
#[allow(clippy::large_enum_variant)]
pub enum AnyRecord {
    /// `/1`, `/2` or `/3` full.
    Full(DrawRecord),
    /// `/3` public.
    Public(PublicDrawRecord),
}

impl AnyRecord {
    pub fn from_json(bytes: &[u8]) -> Result<Self, ParseError> {
        let _ = bytes;
        todo!()
    }
}

mod salt_hex {
    use super::*;

    pub fn serialize<S: Serializer>(salt: &super::super::v3::Salt, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&hex::encode(salt))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<super::super::v3::Salt, D::Error> {
        let s = String::deserialize(d)?;
        let mut b = [0u8; 16];
        if s.bytes().any(|c| c.is_ascii_uppercase()) || hex::decode_to_slice(&s, &mut b).is_err() {
            return Err(serde::de::Error::custom(format!(
                "a salt is 32 lower-case hex digits, not {s:?}"
            )));
        }
        Ok(b)
    }
}

impl fmt::Display for PlanOutcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} {}",
            self.code,
            match (self.eligible, self.drawn) {
                (false, _) => "排除 / excluded",
                (true, true) => "抽中 / drawn",
                (true, false) => "未抽中 / not drawn",
            }
        )
    }
}
