//! The draw record: exactly the JSON that `GET /api/v1/public/draws/{id}` serves and
//! `lianjian draw verify` reads. Lists are kept in one canonical order (see
//! [`DrawInput::normalise`]) because positions matter: candidate `i` gets the `i`-th random
//! number, and plans are referred to by index.

use std::collections::HashSet;
use std::fmt;

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use uuid::Uuid;

use super::{Bytes32, FORMAT, FORMAT_V3, FORMAT_WEIGHTED, MAX_RISK_WEIGHT};
use crate::Invalid;
use crate::account::CertificateNumber;
use crate::directory::CreditClass;
pub use crate::inspector::InspectorKind;
use crate::region::RegionCode;
use crate::usci::Usci;

/// A department as the record names it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DepartmentRef {
    pub id: Uuid,
    pub name: String,
}

/// Credit-risk strata of a plan's pool (国办 (九): ratios differentiated by credit class), plus
/// the entities not graded yet.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Stratum {
    A,
    B,
    C,
    D,
    Ungraded,
}

impl Stratum {
    /// The order strata are processed and listed in.
    pub const ALL: [Stratum; 5] = [
        Stratum::A,
        Stratum::B,
        Stratum::C,
        Stratum::D,
        Stratum::Ungraded,
    ];

    pub fn of(class: Option<CreditClass>) -> Self {
        match class {
            Some(CreditClass::A) => Stratum::A,
            Some(CreditClass::B) => Stratum::B,
            Some(CreditClass::C) => Stratum::C,
            Some(CreditClass::D) => Stratum::D,
            None => Stratum::Ungraded,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Stratum::A => "A",
            Stratum::B => "B",
            Stratum::C => "C",
            Stratum::D => "D",
            Stratum::Ungraded => "ungraded",
        }
    }

    /// How a mismatch names the stratum's control threshold (12.13).
    pub fn control_label(self) -> &'static str {
        match self {
            Stratum::A => "A (control)",
            Stratum::B => "B (control)",
            Stratum::C => "C (control)",
            Stratum::D => "D (control)",
            Stratum::Ungraded => "ungraded (control)",
        }
    }

    pub fn label_zh(self) -> &'static str {
        match self {
            Stratum::A => "A类",
            Stratum::B => "B类",
            Stratum::C => "C类",
            Stratum::D => "D类",
            Stratum::Ungraded => "未分类",
        }
    }
}

/// One value per stratum; in JSON `{"A": …, "B": …, "C": …, "D": …, "ungraded": …}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PerClass<T> {
    #[serde(rename = "A")]
    pub a: T,
    #[serde(rename = "B")]
    pub b: T,
    #[serde(rename = "C")]
    pub c: T,
    #[serde(rename = "D")]
    pub d: T,
    pub ungraded: T,
}

impl<T> PerClass<T> {
    pub fn get(&self, s: Stratum) -> &T {
        match s {
            Stratum::A => &self.a,
            Stratum::B => &self.b,
            Stratum::C => &self.c,
            Stratum::D => &self.d,
            Stratum::Ungraded => &self.ungraded,
        }
    }

    pub fn get_mut(&mut self, s: Stratum) -> &mut T {
        match s {
            Stratum::A => &mut self.a,
            Stratum::B => &mut self.b,
            Stratum::C => &mut self.c,
            Stratum::D => &mut self.d,
            Stratum::Ungraded => &mut self.ungraded,
        }
    }
}

/// A published plan taking part in the draw.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DrawPlan {
    pub id: Uuid,
    /// Unique within the draw; the last tie-breaker of the lead-plan rule.
    pub code: String,
    pub item_code: String,
    pub item_name: String,
    /// 重点事项: its plan leads any joint visit it is part of.
    pub key_item: bool,
    pub lead_department: DepartmentRef,
    /// Every department taking part, the lead department included.
    pub involved_departments: Vec<DepartmentRef>,
    pub check_points: u32,
    /// Sampling ratio per stratum in per mille (‰, 0–1000): a percentage with one decimal.
    pub ratios: PerClass<u16>,
    /// Officers per visit, at least 2 (two law-enforcement officers per inspection).
    pub inspectors_per_visit: u16,
    /// Experts (专家库) per visit; 0 when the plan asks for none.
    #[serde(default)]
    pub experts_per_visit: u16,
    /// Qualifications (资格) an officer of the lead department must hold, sorted.
    pub qualifications: Vec<String>,
    /// 按风险加权抽取: within each credit class, candidates with a higher risk weight are
    /// likelier to be drawn (order sampling on u/w; exact counts all the same). Omitted when
    /// false, so records without weighting keep their old form.
    #[serde(default, skip_serializing_if = "is_false")]
    pub risk_weighted: bool,
    /// 随机对照 (`/3`, risk-weighted plans only): the share of each stratum's quota, in per
    /// mille, drawn by the plain random order before the weighted order picks the rest, so that
    /// the risk weighting's lift can be measured on fresh results every year (docs/
    /// draw-algorithm.md 12.13). Omitted when 0, so records without it keep their form.
    #[serde(default, skip_serializing_if = "is_zero_u16")]
    pub control_permille: u16,
}

fn is_zero_u16(x: &u16) -> bool {
    *x == 0
}

fn is_zero_u64(x: &u64) -> bool {
    *x == 0
}

fn is_false(b: &bool) -> bool {
    !*b
}

fn one() -> u8 {
    1
}

fn is_one(w: &u8) -> bool {
    *w == 1
}

/// Why a candidate in a plan's pool may not be drawn for it (cooldown, class A once a year …).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Exclusion {
    /// Index into `plans`; one of the candidate's `plans`.
    pub plan: u32,
    /// Stable reason code, e.g. `cooldown`, `class_a_yearly`.
    pub reason: String,
    /// The reason as people read it.
    pub reason_zh: String,
}

/// An entity in at least one plan's pool.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Candidate {
    pub usci: Usci,
    pub name: String,
    /// `"A"`–`"D"`, or null when not graded.
    #[serde(with = "class_letter")]
    pub credit_class: Option<CreditClass>,
    /// Indices of the plans whose pool holds the entity, ascending.
    pub plans: Vec<u32>,
    /// Plans of `plans` it may not be drawn for, ascending by plan.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub exclusions: Vec<Exclusion>,
    /// Who inspected it at its previous visit; none of them may go again.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub previous_inspectors: Vec<CertificateNumber>,
    /// Risk weight 1–10 (the largest weight of the entity's tags; 1 = no weighting). Read only
    /// by risk-weighted plans. Omitted when 1.
    #[serde(default = "one", skip_serializing_if = "is_one")]
    pub risk_weight: u8,
}

impl Candidate {
    pub fn stratum(&self) -> Stratum {
        Stratum::of(self.credit_class)
    }

    pub fn is_excluded(&self, plan: u32) -> bool {
        self.exclusions
            .binary_search_by_key(&plan, |e| e.plan)
            .is_ok()
    }

    pub fn was_previous(&self, certificate: &CertificateNumber) -> bool {
        self.previous_inspectors
            .binary_search_by(|c| c.as_str().cmp(certificate.as_str()))
            .is_ok()
    }
}

/// An active member of the inspector pool (people on leave or gone are not in the record).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DrawInspector {
    /// 执法证号, unique.
    pub certificate: CertificateNumber,
    pub name: String,
    pub department_id: Uuid,
    pub kind: InspectorKind,
    /// Sorted.
    pub qualifications: Vec<String>,
    /// Entities the inspector declared a conflict of interest with, sorted.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub conflicts: Vec<Usci>,
    /// Visits already assigned before this draw (the workload balance starts from here).
    pub workload: u32,
}

impl DrawInspector {
    pub fn holds(&self, qualification: &str) -> bool {
        self.qualifications
            .binary_search_by(|q| q.as_str().cmp(qualification))
            .is_ok()
    }

    pub fn conflicts_with(&self, usci: &Usci) -> bool {
        self.conflicts.binary_search(usci).is_ok()
    }
}

/// Everything frozen at commit time and covered by the commitment's hashes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DrawInput {
    pub id: Uuid,
    pub title: String,
    pub region_code: RegionCode,
    pub period_start: NaiveDate,
    pub period_end: NaiveDate,
    /// The draw this one replaces; both stay public.
    pub redraw_of: Option<Uuid>,
    pub redraw_reason: Option<String>,
    pub plans: Vec<DrawPlan>,
    /// Ascending by credit code.
    pub candidates: Vec<Candidate>,
    /// Ascending by certificate number; in `lianjian-draw/3`, ascending by identity
    /// commitment ([`DrawInput::normalise_v3`]), so that the order leaks no certificate.
    pub inspectors: Vec<DrawInspector>,
    /// Present exactly in `lianjian-draw/3` inputs (every new draw): what the commitment names
    /// besides the pools. Absent from `/1` and `/2` records, which stay byte for byte as they were.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub v3: Option<V3Terms>,
}

/// What a `lianjian-draw/3` commitment names besides the pools.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct V3Terms {
    /// The public value announced at commit time, if any; its value is entered once known.
    pub beacon: Option<BeaconSpec>,
}

/// A pre-announced public random value (e.g. a national lottery draw), named at commit time.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BeaconSpec {
    /// Who publishes it, e.g. 中国福利彩票双色球.
    pub source: String,
    /// Which value, e.g. 第2026140期开奖号码.
    pub reference: String,
    /// The day it becomes known: after the commitment.
    pub available_on: NaiveDate,
}

/// The three hashes published before the draw.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Commitment {
    /// Over the draw header, the plans and the candidates (`candidates_text`).
    pub candidates_sha256: Bytes32,
    /// Over the inspector pool (`inspectors_text`).
    pub inspectors_sha256: Bytes32,
    /// Over the 32 bytes of the server seed.
    pub seed_sha256: Bytes32,
    pub committed_at: DateTime<Utc>,
}

/// An optional witness contribution (监督人/公证人): 1–64 bytes, in JSON as hex.
#[derive(Clone, PartialEq, Eq)]
pub struct Witness(Vec<u8>);

impl Witness {
    pub const MAX_BYTES: usize = 64;

    pub fn new(bytes: Vec<u8>) -> Result<Self, Invalid> {
        if bytes.is_empty() || bytes.len() > Self::MAX_BYTES {
            return Err(Invalid::new(
                "witness_length",
                format!("见证人随机数应为 1–64 字节（当前 {} 字节）", bytes.len()),
                format!(
                    "the witness contribution must have 1–64 bytes (has {})",
                    bytes.len()
                ),
            ));
        }
        Ok(Self(bytes))
    }

    pub fn from_hex(s: &str) -> Result<Self, Invalid> {
        let bytes = hex::decode(s.trim()).map_err(|_| {
            Invalid::new(
                "witness_hex",
                "见证人随机数应为十六进制数字",
                "the witness contribution must be hex digits",
            )
        })?;
        Self::new(bytes)
    }

    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }
}

impl fmt::Debug for Witness {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Witness({})", hex::encode(&self.0))
    }
}

impl Serialize for Witness {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&hex::encode(&self.0))
    }
}

impl<'de> Deserialize<'de> for Witness {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Self::from_hex(&s).map_err(|e| serde::de::Error::custom(e.en))
    }
}

/// The seeds, revealed at the draw.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Seeds {
    /// The platform's secret, committed to by `seed_sha256`.
    pub server: Bytes32,
    /// `/1` and `/2` only.
    pub witness: Option<Witness>,
    /// `/1` and `/2` only.
    pub witness_name: Option<String>,
    /// Present exactly in `lianjian-draw/3` records.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub v3: Option<SeedsV3>,
}

/// The secrets and contributions of a `lianjian-draw/3` draw.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SeedsV3 {
    /// Second 32-byte secret generated at commit time: every candidate's and inspector's salt
    /// derives from it. In the full record only, never in the public one.
    pub salt_key: Bytes32,
    /// Supervisor (监督人) contributions, ascending by account id, one per account.
    pub contributions: Vec<Contribution>,
    /// The announced beacon's value ([`V3Terms::beacon`]), once known.
    pub beacon_value: Option<String>,
    /// Why the draw went ahead with neither a contribution nor a beacon value (未经独立见证).
    /// Present exactly when there is neither.
    pub unwitnessed_reason: Option<String>,
}

impl SeedsV3 {
    /// The rules of the contributions: ascending by account id without duplicates, texts of
    /// 1–500 characters, a beacon value only where a beacon was announced, and a reason
    /// exactly when there is no independent contribution (issue 11 item 2).
    pub fn validate(&self, terms: &V3Terms) -> Result<(), BadInput> {
        let f = |s: &str| format!("seeds.v3.{s}");
        strictly_ascending(|| f("contributions"), &self.contributions, |c| c.account_id)?;
        for (k, c) in self.contributions.iter().enumerate() {
            text(|| f(&format!("contributions[{k}].name")), &c.name)?;
        }
        if let Some(v) = &self.beacon_value {
            if terms.beacon.is_none() {
                return Err(bad(
                    f("beacon_value"),
                    "beacon_not_announced",
                    "承诺时未预告公共随机源，不能填写其数值".into(),
                    "no beacon was announced at commit time, so there is no beacon value".into(),
                ));
            }
            text(|| f("beacon_value"), v)?;
        }
        match (&self.unwitnessed_reason, self.witnessed()) {
            (Some(r), false) => text(|| f("unwitnessed_reason"), r)?,
            (None, true) => {}
            (Some(_), true) => {
                return Err(bad(
                    f("unwitnessed_reason"),
                    "unwitnessed_reason",
                    "已有独立见证（监督人随机数或公共随机源），不应填写未经见证的理由".into(),
                    "the draw is witnessed (a contribution or the beacon value): no unwitnessed reason"
                        .into(),
                ));
            }
            (None, false) => {
                return Err(bad(
                    f("unwitnessed_reason"),
                    "unwitnessed",
                    "抽取须有监督人随机数或公共随机源数值；都没有时必须记录理由（未经独立见证）"
                        .into(),
                    "a draw needs a supervisor contribution or the beacon value; without either, a reason must be recorded"
                        .into(),
                ));
            }
        }
        Ok(())
    }

    /// At least one independent contribution: a supervisor's value or the beacon value.
    pub fn witnessed(&self) -> bool {
        !self.contributions.is_empty() || self.beacon_value.is_some()
    }
}

/// A supervisor's contribution, entered under their own login after the commitment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Contribution {
    pub account_id: Uuid,
    /// Display name of the supervisor (a public official acting as witness).
    pub name: String,
    pub value: ContributionValue,
    /// A statement of the platform, not bound into the key: checked only for order.
    pub submitted_at: DateTime<Utc>,
}

/// A contribution value: 16–64 bytes, in JSON as lower-case hex.
#[derive(Clone, PartialEq, Eq)]
pub struct ContributionValue(Vec<u8>);

impl ContributionValue {
    pub const MIN_BYTES: usize = 16;
    pub const MAX_BYTES: usize = 64;

    pub fn new(bytes: Vec<u8>) -> Result<Self, Invalid> {
        if !(Self::MIN_BYTES..=Self::MAX_BYTES).contains(&bytes.len()) {
            return Err(Invalid::new(
                "contribution_length",
                format!("监督人随机数应为 16–64 字节（当前 {} 字节）", bytes.len()),
                format!(
                    "the contribution must have 16–64 bytes (has {})",
                    bytes.len()
                ),
            ));
        }
        Ok(Self(bytes))
    }

    /// 32–128 hex digits, either case.
    pub fn from_hex(s: &str) -> Result<Self, Invalid> {
        let bytes = hex::decode(s.trim()).map_err(|_| {
            Invalid::new(
                "contribution_hex",
                "监督人随机数应为十六进制数字",
                "the contribution must be hex digits",
            )
        })?;
        Self::new(bytes)
    }

    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    pub fn to_hex(&self) -> String {
        hex::encode(&self.0)
    }
}

impl fmt::Debug for ContributionValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ContributionValue({})", hex::encode(&self.0))
    }
}

impl Serialize for ContributionValue {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&hex::encode(&self.0))
    }
}

impl<'de> Deserialize<'de> for ContributionValue {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        if s.bytes().any(|b| b.is_ascii_uppercase()) {
            return Err(serde::de::Error::custom("hex digits must be lower-case"));
        }
        Self::from_hex(&s).map_err(|e| serde::de::Error::custom(e.en))
    }
}

/// Per plan and stratum: how many could be drawn, how many had to be, how many were.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StratumCount {
    pub eligible: u64,
    pub quota: u64,
    pub drawn: u64,
    /// Of `drawn`, how many were drawn as the plan's random control share (12.13); omitted
    /// when 0.
    #[serde(default, skip_serializing_if = "is_zero_u64")]
    pub control: u64,
}

/// One joint visit (进一次门、查多项事): every plan that drew the entity.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Visit {
    pub usci: Usci,
    /// Plan indices, ascending.
    pub plans: Vec<u32>,
    pub lead_plan: u32,
    /// Officers, ascending by certificate number.
    pub inspectors: Vec<CertificateNumber>,
    /// Experts, ascending by certificate number.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub experts: Vec<CertificateNumber>,
    /// The plans (a subset of `plans`, ascending) that drew the entity as part of their
    /// random control share (12.13); omitted when none did.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub control_plans: Vec<u32>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DrawResult {
    /// SHA-256(server seed ‖ witness): the ChaCha20 key. Shown so that a reimplementation can
    /// check its first step on its own.
    pub combined_seed: Bytes32,
    /// Ascending by credit code.
    pub visits: Vec<Visit>,
    /// One entry per plan, in plan order.
    pub counts: Vec<PerClass<StratumCount>>,
    /// `lianjian-draw/3` only: per plan (in plan order) and stratum, the selection threshold
    /// ([`Threshold`]); `None` where nothing was drawn.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub thresholds: Option<Vec<PerClass<Option<Threshold>>>>,
    /// `/3` with a random control share in some plan (12.13): per plan and stratum, the
    /// threshold of the control picks on the plain key (weight 1); `None` where the plan drew
    /// no control pick in the stratum. Omitted when no plan has a control share.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub control_thresholds: Option<Vec<PerClass<Option<Threshold>>>>,
}

/// A selection threshold of one plan and stratum: an eligible candidate of that stratum was
/// drawn for the plan exactly when its sort key ([`super::weighted_key`]) is at most this.
/// It lies halfway between the largest key drawn and the smallest key left (2¹²⁸ − 1 when
/// none is left), so that it names no candidate. In JSON 32 lower-case hex digits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Threshold(pub u128);

impl Serialize for Threshold {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&format!("{:032x}", self.0))
    }
}

impl<'de> Deserialize<'de> for Threshold {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        if s.len() != 32
            || !s
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
        {
            return Err(serde::de::Error::custom(format!(
                "a threshold is 32 lower-case hex digits, not {s:?}"
            )));
        }
        u128::from_str_radix(&s, 16)
            .map(Threshold)
            .map_err(serde::de::Error::custom)
    }
}

/// The public record of a draw. It never changes once written.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DrawRecord {
    /// [`FORMAT`].
    pub format: String,
    pub input: DrawInput,
    pub commitment: Commitment,
    pub seeds: Seeds,
    pub drawn_at: DateTime<Utc>,
    pub result: DrawResult,
}

/// A record file that is not a draw record, with the JSON path of the bad value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    pub path: String,
    pub message: String,
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.path, self.message)
    }
}

impl std::error::Error for ParseError {}

impl DrawRecord {
    /// The record, in the format its input needs ([`DrawInput::format`]).
    pub fn new(
        input: DrawInput,
        commitment: Commitment,
        seeds: Seeds,
        drawn_at: DateTime<Utc>,
        result: DrawResult,
    ) -> Self {
        Self {
            format: input.format().to_string(),
            input,
            commitment,
            seeds,
            drawn_at,
            result,
        }
    }

    /// Reads a record, naming the path of the first bad value (`input.candidates[3].usci`).
    pub fn from_json(bytes: &[u8]) -> Result<Self, ParseError> {
        let r: DrawRecord = parse_json(bytes)?;
        if r.format != FORMAT && r.format != FORMAT_WEIGHTED && r.format != FORMAT_V3 {
            return Err(ParseError {
                path: "format".into(),
                message: format!(
                    "unsupported format {:?}, expected {FORMAT:?}, {FORMAT_WEIGHTED:?} or {FORMAT_V3:?}",
                    r.format
                ),
            });
        }
        Ok(r)
    }

    pub fn to_json_pretty(&self) -> String {
        serde_json::to_string_pretty(self).expect("records serialise")
    }

    /// Compact JSON, for large records.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("records serialise")
    }

    /// The record as the `draws` row stores it (issue 11, docs/performance.md): compact, with
    /// `"input":null` in place of the input, which the row already holds as committed (at a
    /// province's scale 50 of the record's 57 MB). [`record_with_input`] puts it back, giving
    /// exactly [`DrawRecord::to_json`].
    pub fn to_json_without_input(&self) -> String {
        #[derive(Serialize)]
        struct WithoutInput<'a> {
            format: &'a str,
            input: (),
            commitment: &'a Commitment,
            seeds: &'a Seeds,
            drawn_at: &'a DateTime<Utc>,
            result: &'a DrawResult,
        }
        serde_json::to_string(&WithoutInput {
            format: &self.format,
            input: (),
            commitment: &self.commitment,
            seeds: &self.seeds,
            drawn_at: &self.drawn_at,
            result: &self.result,
        })
        .expect("records serialise")
    }
}

/// A stored record with its input put back: `stored` as written by
/// [`DrawRecord::to_json_without_input`], `input_json` the input as committed (compact,
/// `serde_json::to_string` of the same [`DrawInput`]). Records stored whole (pretty or compact,
/// by earlier versions) are returned unchanged: a record's input is never `null`, so the two
/// forms cannot be confused.
pub fn record_with_input(stored: String, input_json: &str) -> String {
    const HEAD: &str = "{\"format\":\"";
    const HOLE: &str = ",\"input\":null,";
    let Some(rest) = stored.strip_prefix(HEAD) else {
        return stored;
    };
    // Format names are plain ASCII without quotes or escapes.
    let Some(end) = rest.find('"') else {
        return stored;
    };
    let at = HEAD.len() + end + 1;
    if !stored[at..].starts_with(HOLE) {
        return stored;
    }
    let mut full = String::with_capacity(stored.len() + input_json.len() + 8);
    full.push_str(&stored[..at]);
    full.push_str(",\"input\":");
    full.push_str(input_json);
    full.push(',');
    full.push_str(&stored[at + HOLE.len()..]);
    full
}

/// Reads JSON into `T`, naming the path of the first bad value (`input.candidates[3].usci`).
pub(super) fn parse_json<T: serde::de::DeserializeOwned>(bytes: &[u8]) -> Result<T, ParseError> {
    let de = &mut serde_json::Deserializer::from_slice(bytes);
    serde_path_to_error::deserialize(de).map_err(|e| {
        let path = e.path().to_string();
        let message = e.inner().to_string();
        // A missing field is reported at its parent; name the field itself.
        let path = match message
            .strip_prefix("missing field `")
            .and_then(|r| r.split('`').next())
        {
            Some(f) if path == "." => f.to_string(),
            Some(f) => format!("{path}.{f}"),
            None => path,
        };
        ParseError { path, message }
    })
}

/// An input that breaks a rule of the format, with the path of the bad value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadInput {
    pub field: String,
    pub invalid: Invalid,
}

impl fmt::Display for BadInput {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.field, self.invalid)
    }
}

impl std::error::Error for BadInput {}

fn bad(field: impl Into<String>, code: &'static str, zh: String, en: String) -> BadInput {
    BadInput {
        field: field.into(),
        invalid: Invalid::new(code, zh, en),
    }
}

/// Free text in the record: 1–500 characters. Anything else goes: the canonical text escapes it.
/// Field paths are built only on error (`field`), as validation runs over millions of candidates.
fn text(field: impl FnOnce() -> String, s: &str) -> Result<(), BadInput> {
    if s.is_empty() || s.len() > 500 && s.chars().count() > 500 {
        let n = s.chars().count();
        let field = field();
        return Err(bad(
            field.clone(),
            "text_length",
            format!("{field} 应为 1–500 个字符（当前 {n} 个）"),
            format!("{field} must have 1–500 characters (has {n})"),
        ));
    }
    Ok(())
}

/// Strictly ascending (sorted, no duplicates) by `key`.
fn strictly_ascending<'a, T, K: Ord>(
    field: impl FnOnce() -> String,
    items: &'a [T],
    key: impl Fn(&'a T) -> K,
) -> Result<(), BadInput> {
    if let Some(k) = (1..items.len()).find(|&k| key(&items[k - 1]) >= key(&items[k])) {
        let field = field();
        return Err(bad(
            format!("{field}[{k}]"),
            "not_canonical",
            format!("{field} 须严格升序且不重复（第 {k} 项）"),
            format!("{field} must be strictly ascending, without duplicates (at index {k})"),
        ));
    }
    Ok(())
}

impl DrawInput {
    /// Whether the input uses risk weighting: a risk-weighted plan or a candidate weight
    /// other than 1.
    pub fn is_weighted(&self) -> bool {
        self.plans.iter().any(|p| p.risk_weighted)
            || self.candidates.iter().any(|c| c.risk_weight != 1)
    }

    /// The record format this input is written in: [`FORMAT_V3`] when it has [`V3Terms`]
    /// (every new draw), otherwise [`FORMAT_WEIGHTED`] when it uses risk
    /// weighting, otherwise [`FORMAT`] (unchanged from before weighting existed, so that such
    /// records and their hashes stay exactly as they were).
    pub fn format(&self) -> &'static str {
        if self.v3.is_some() {
            FORMAT_V3
        } else if self.is_weighted() {
            FORMAT_WEIGHTED
        } else {
            FORMAT
        }
    }

    /// Puts every list into canonical order and drops duplicates: candidates by credit code,
    /// inspectors by certificate number, plan indices, exclusions (by plan), previous inspectors,
    /// qualifications and conflicts. Plans keep their order (candidates refer to them by index),
    /// and so do each plan's involved departments.
    pub fn normalise(&mut self) {
        for p in &mut self.plans {
            p.qualifications.sort();
            p.qualifications.dedup();
        }
        for c in &mut self.candidates {
            c.plans.sort_unstable();
            c.plans.dedup();
            c.exclusions.sort_by_key(|e| e.plan);
            c.exclusions.dedup_by_key(|e| e.plan);
            c.previous_inspectors
                .sort_by(|a, b| a.as_str().cmp(b.as_str()));
            c.previous_inspectors.dedup();
        }
        self.candidates.sort_by(|a, b| a.usci.cmp(&b.usci));
        self.candidates.dedup_by(|a, b| a.usci == b.usci);
        for i in &mut self.inspectors {
            i.qualifications.sort();
            i.qualifications.dedup();
            i.conflicts.sort();
            i.conflicts.dedup();
        }
        self.inspectors
            .sort_by(|a, b| a.certificate.as_str().cmp(b.certificate.as_str()));
        self.inspectors
            .dedup_by(|a, b| a.certificate == b.certificate);
    }

    /// [`DrawInput::normalise`], then for a `/3` input the inspectors in the `/3` order:
    /// ascending by identity commitment (salted from `salt_key`), which leaks nothing of the
    /// certificate order. The assignment's tie-breaks follow this list order.
    pub fn normalise_v3(&mut self, salt_key: &Bytes32) {
        self.normalise();
        if self.v3.is_none() {
            return;
        }
        // Previous inspectors no longer in the pool cannot be picked anyway; dropping them keeps
        // every value of a /3 record under the commitment (its text lists pool indices).
        let pool: HashSet<String> = self
            .inspectors
            .iter()
            .map(|x| x.certificate.as_str().to_string())
            .collect();
        for c in &mut self.candidates {
            c.previous_inspectors.retain(|p| pool.contains(p.as_str()));
        }
        let ids = super::v3::identity_commitments(self, salt_key);
        let mut order: Vec<(Bytes32, DrawInspector)> = ids
            .into_iter()
            .zip(std::mem::take(&mut self.inspectors))
            .collect();
        order.sort_by_key(|a| a.0);
        self.inspectors = order.into_iter().map(|(_, x)| x).collect();
    }

    /// Checks the rules of the format that serde cannot: canonical order, indices in range,
    /// ratios, team sizes. The draw and the verifier refuse an input that fails here.
    pub fn validate(&self) -> Result<(), BadInput> {
        text(|| "title".into(), &self.title)?;
        if self.period_end < self.period_start {
            return Err(bad(
                "period_end",
                "period_order",
                format!(
                    "抽查期间截止日 {} 早于起始日 {}",
                    self.period_end, self.period_start
                ),
                format!(
                    "period_end {} is before period_start {}",
                    self.period_end, self.period_start
                ),
            ));
        }
        match (&self.redraw_of, &self.redraw_reason) {
            (Some(_), Some(r)) => text(|| "redraw_reason".into(), r)?,
            (None, None) => {}
            _ => {
                return Err(bad(
                    "redraw_reason",
                    "redraw_reason",
                    "重新抽取必须说明理由，且只有重新抽取才有理由".into(),
                    "a re-draw needs a reason, and only a re-draw has one".into(),
                ));
            }
        }
        if self.plans.is_empty() {
            return Err(bad(
                "plans",
                "required",
                "至少需要一个抽查计划".into(),
                "at least one plan is required".into(),
            ));
        }
        let n_plans = self.plans.len();
        if n_plans > u32::MAX as usize || self.candidates.len() > u32::MAX as usize {
            return Err(bad(
                "candidates",
                "too_many",
                "计划或对象数量超出上限".into(),
                "too many plans or candidates".into(),
            ));
        }
        let mut codes = HashSet::new();
        for (k, p) in self.plans.iter().enumerate() {
            let f = |s: &str| format!("plans[{k}]{s}");
            text(|| f(".code"), &p.code)?;
            text(|| f(".item_code"), &p.item_code)?;
            text(|| f(".item_name"), &p.item_name)?;
            text(|| f(".lead_department.name"), &p.lead_department.name)?;
            if !codes.insert(p.code.as_str()) {
                return Err(bad(
                    f(".code"),
                    "duplicate_plan_code",
                    format!("计划编号“{}”重复", p.code),
                    format!("plan code '{}' appears twice", p.code),
                ));
            }
            for s in Stratum::ALL {
                let r = *p.ratios.get(s);
                if r > 1000 {
                    return Err(bad(
                        f(&format!(".ratios.{}", s.as_str())),
                        "ratio_range",
                        format!("抽查比例应为 0–1000‰（当前 {r}‰）"),
                        format!("ratio must be 0–1000 per mille (is {r})"),
                    ));
                }
            }
            if p.control_permille > 0 {
                // 12.13: a control share compares the weighted picks with random ones, so it
                // needs a weighted plan, and the `/3` thresholds that let entities check it.
                let why = if p.control_permille > 1000 {
                    Some((
                        format!("随机对照比例应为 0–1000‰（当前 {}‰）", p.control_permille),
                        format!(
                            "control share must be 0–1000 per mille (is {})",
                            p.control_permille
                        ),
                    ))
                } else if !p.risk_weighted {
                    Some((
                        "只有按风险加权抽取的计划才设随机对照比例".to_string(),
                        "only a risk-weighted plan has a control share".to_string(),
                    ))
                } else if self.v3.is_none() {
                    Some((
                        "随机对照只用于 lianjian-draw/3 的抽取".to_string(),
                        "a control share needs a lianjian-draw/3 draw".to_string(),
                    ))
                } else {
                    None
                };
                if let Some((zh, en)) = why {
                    return Err(bad(f(".control_permille"), "control_share", zh, en));
                }
            }
            if p.inspectors_per_visit < 2 {
                return Err(bad(
                    f(".inspectors_per_visit"),
                    "inspectors_per_visit",
                    "每次检查至少 2 名执法人员".into(),
                    "at least 2 officers per visit".into(),
                ));
            }
            let mut ids = HashSet::new();
            for (m, d) in p.involved_departments.iter().enumerate() {
                text(|| f(&format!(".involved_departments[{m}].name")), &d.name)?;
                if !ids.insert(d.id) {
                    return Err(bad(
                        f(&format!(".involved_departments[{m}]")),
                        "duplicate_department",
                        "参与部门重复".into(),
                        "department listed twice".into(),
                    ));
                }
            }
            if !p.involved_departments.contains(&p.lead_department) {
                return Err(bad(
                    f(".involved_departments"),
                    "lead_not_involved",
                    "参与部门须包含牵头部门（编号和名称一致）".into(),
                    "involved_departments must include the lead department (same id and name)"
                        .into(),
                ));
            }
            for (m, q) in p.qualifications.iter().enumerate() {
                text(|| f(&format!(".qualifications[{m}]")), q)?;
            }
            strictly_ascending(|| f(".qualifications"), &p.qualifications, |q| q.as_str())?;
        }
        strictly_ascending(|| "candidates".into(), &self.candidates, |c| &c.usci)?;
        for (i, c) in self.candidates.iter().enumerate() {
            let f = |s: &str| format!("candidates[{i}]{s}");
            text(|| f(".name"), &c.name)?;
            if c.plans.is_empty() {
                return Err(bad(
                    f(".plans"),
                    "required",
                    "对象须属于至少一个计划的抽查范围".into(),
                    "a candidate must be in at least one plan's pool".into(),
                ));
            }
            strictly_ascending(|| f(".plans"), &c.plans, |p| *p)?;
            if let Some(k) = c.plans.iter().position(|&p| p as usize >= n_plans) {
                return Err(bad(
                    f(&format!(".plans[{k}]")),
                    "plan_index",
                    format!("计划序号 {} 不存在", c.plans[k]),
                    format!("there is no plan {}", c.plans[k]),
                ));
            }
            strictly_ascending(|| f(".exclusions"), &c.exclusions, |e| e.plan)?;
            for (k, e) in c.exclusions.iter().enumerate() {
                let g = |s: &str| f(&format!(".exclusions[{k}]{s}"));
                if c.plans.binary_search(&e.plan).is_err() {
                    return Err(bad(
                        g(".plan"),
                        "exclusion_plan",
                        format!("排除的计划 {} 不在该对象的计划范围内", e.plan),
                        format!("excluded from plan {} whose pool it is not in", e.plan),
                    ));
                }
                text(|| g(".reason"), &e.reason)?;
                text(|| g(".reason_zh"), &e.reason_zh)?;
            }
            strictly_ascending(
                || f(".previous_inspectors"),
                &c.previous_inspectors,
                |p| p.as_str(),
            )?;
            if !(1..=MAX_RISK_WEIGHT).contains(&c.risk_weight) {
                return Err(bad(
                    f(".risk_weight"),
                    "risk_weight",
                    format!("风险权重应为 1–{MAX_RISK_WEIGHT}（当前 {}）", c.risk_weight),
                    format!(
                        "risk weight must be 1–{MAX_RISK_WEIGHT} (is {})",
                        c.risk_weight
                    ),
                ));
            }
        }
        if let Some(t) = &self.v3 {
            // `/3` lists inspectors by identity commitment, checked where the salt key is
            // known (commit_v3, verify); here only that no certificate appears twice.
            let mut seen = HashSet::new();
            if let Some(j) = self
                .inspectors
                .iter()
                .position(|x| !seen.insert(x.certificate.as_str()))
            {
                return Err(bad(
                    format!("inspectors[{j}].certificate"),
                    "duplicate_certificate",
                    "执法证号重复".into(),
                    "certificate number listed twice".into(),
                ));
            }
            for (i, c) in self.candidates.iter().enumerate() {
                if let Some(k) = c
                    .previous_inspectors
                    .iter()
                    .position(|p| !seen.contains(p.as_str()))
                {
                    return Err(bad(
                        format!("candidates[{i}].previous_inspectors[{k}]"),
                        "previous_not_in_pool",
                        "上次检查人员须在本次人员名单中（不在名单中的无须列出）".into(),
                        "a previous inspector must be in this draw's pool (others are left out)"
                            .into(),
                    ));
                }
            }
            if let Some(b) = &t.beacon {
                text(|| "v3.beacon.source".into(), &b.source)?;
                text(|| "v3.beacon.reference".into(), &b.reference)?;
            }
        } else {
            strictly_ascending(
                || "inspectors".into(),
                &self.inspectors,
                |i| i.certificate.as_str(),
            )?;
        }
        for (j, x) in self.inspectors.iter().enumerate() {
            let f = |s: &str| format!("inspectors[{j}]{s}");
            text(|| f(".name"), &x.name)?;
            for (m, q) in x.qualifications.iter().enumerate() {
                text(|| f(&format!(".qualifications[{m}]")), q)?;
            }
            strictly_ascending(|| f(".qualifications"), &x.qualifications, |q| q.as_str())?;
            strictly_ascending(|| f(".conflicts"), &x.conflicts, |u| u)?;
        }
        Ok(())
    }
}

/// Credit class as its letter, `"A"`–`"D"`, as the rest of the API shows it.
pub(super) mod class_letter {
    use super::*;

    pub fn serialize<S: Serializer>(c: &Option<CreditClass>, s: S) -> Result<S::Ok, S::Error> {
        match c {
            Some(c) => s.serialize_some(c.as_str()),
            None => s.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<CreditClass>, D::Error> {
        match Option::<String>::deserialize(d)? {
            None => Ok(None),
            Some(s) => match s.as_str() {
                "A" => Ok(Some(CreditClass::A)),
                "B" => Ok(Some(CreditClass::B)),
                "C" => Ok(Some(CreditClass::C)),
                "D" => Ok(Some(CreditClass::D)),
                _ => Err(serde::de::Error::custom(format!(
                    "credit class must be \"A\", \"B\", \"C\", \"D\" or null, not {s:?}"
                ))),
            },
        }
    }
}
