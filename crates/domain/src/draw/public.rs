//! The public variant of a `lianjian-draw/3` record (公示版) and the openings of its class
//! commitments (issue 11 item 3). The public variant publishes what the law allows and stays
//! verifiable: inspectors as per-draw pseudonyms, credit classes and risk weights only as salted
//! commitments, the per-class counts and the selection thresholds. Its canonical texts are the
//! very texts the commitment hashed, so anyone can recompute `candidates_sha256` and
//! `inspectors_sha256` from it.
//!
//! The whole public variant reveals the selection (the seeds give every candidate's number), so
//! it is published only once the embargo ends; before that the portal shows counts only.

use std::collections::HashMap;
use std::fmt;

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use uuid::Uuid;

use super::assign::assign;
use super::hash::{check_inspector_order, public_candidates_sha256, public_inspectors_sha256};
use super::prn::{prn_at, prns};
use super::record::{
    BeaconSpec, Candidate, Contribution, DrawInput, DrawInspector, DrawPlan, DrawRecord, Exclusion,
    InspectorKind, ParseError, PerClass, Stratum, StratumCount, Threshold, V3Terms, Visit,
    parse_json,
};
use super::sample::{control_quota, lead_plan, quota, weighted_key};
use super::v3::{
    candidate_salts_key, class_commitment, class_commitments_into, derive_key_from_text,
    identity_commitments, pseudonym, seed_commitment, witnesses_text,
};
use super::verify::Mismatch;
use super::{Bytes32, FORMAT_V3_OPENING, FORMAT_V3_PUBLIC, MAX_RISK_WEIGHT};
use crate::account::CertificateNumber;
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
    /// Plans that drew the entity as part of their random control share (12.13).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub control_plans: Vec<u32>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PublicResult {
    /// The ChaCha20 key ([`super::v3::derive_key`]).
    pub combined_seed: Bytes32,
    pub visits: Vec<PublicVisit>,
    pub counts: Vec<PerClass<StratumCount>>,
    pub thresholds: Vec<PerClass<Option<Threshold>>>,
    /// Present exactly when a plan has a random control share (12.13).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub control_thresholds: Option<Vec<PerClass<Option<Threshold>>>>,
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
    /// Drawn as part of the plan's random control share (12.13).
    pub control: bool,
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

impl PublicInput {
    /// The public form of a `/3` input: class commitments and identity commitments salted
    /// from `salt_key`, pseudonyms by list position, previous inspectors as indices. The `/3`
    /// canonical texts are written from it, for the commitment as for the public record.
    pub fn of(input: &DrawInput, salt_key: &Bytes32) -> Self {
        let ids = identity_commitments(input, salt_key);
        let n = input.inspectors.len();
        let index: HashMap<&str, u32> = input
            .inspectors
            .iter()
            .enumerate()
            .map(|(j, x)| (x.certificate.as_str(), j as u32))
            .collect();
        let salts_key = candidate_salts_key(salt_key);
        // Candidates in contiguous chunks on parallel threads (the salt stream is seekable),
        // each written straight into its place in the one list.
        let fill = |first: usize, out: &mut [std::mem::MaybeUninit<PublicCandidate>]| {
            let mut classes = vec![Bytes32::default(); out.len()];
            class_commitments_into(input, &salts_key, first, &mut classes);
            let cands = &input.candidates[first..first + out.len()];
            for ((o, c), class_commitment) in out.iter_mut().zip(cands).zip(classes) {
                let mut previous: Vec<u32> = c
                    .previous_inspectors
                    .iter()
                    .filter_map(|p| index.get(p.as_str()).copied())
                    .collect();
                previous.sort_unstable();
                o.write(PublicCandidate {
                    usci: c.usci.clone(),
                    name: c.name.clone(),
                    class_commitment,
                    plans: c.plans.clone(),
                    exclusions: c.exclusions.clone(),
                    previous_inspectors: previous,
                });
            }
        };
        let total = input.candidates.len();
        let threads = if total < 1 << 15 {
            1
        } else {
            std::thread::available_parallelism().map_or(1, |t| t.get().min(8))
        };
        let mut candidates: Vec<PublicCandidate> = Vec::with_capacity(total);
        let spare = &mut candidates.spare_capacity_mut()[..total];
        if threads == 1 {
            fill(0, spare);
        } else {
            let step = total.div_ceil(threads);
            std::thread::scope(|s| {
                for (k, out) in spare.chunks_mut(step).enumerate() {
                    let fill = &fill;
                    s.spawn(move || fill(k * step, out));
                }
            });
        }
        // SAFETY: `fill` wrote every element of `spare`, the first `total` slots (each chunk is
        // zipped with as many candidates; a panicking thread propagates from the scope before
        // this line, leaving the length 0).
        unsafe { candidates.set_len(total) };
        let inspectors = input
            .inspectors
            .iter()
            .zip(ids)
            .enumerate()
            .map(|(j, (x, identity_commitment))| PublicInspector {
                pseudonym: pseudonym(j, n),
                identity_commitment,
                department_id: x.department_id,
                kind: x.kind,
                qualifications: x.qualifications.clone(),
                conflicts: x.conflicts.clone(),
                workload: x.workload,
            })
            .collect();
        PublicInput {
            id: input.id,
            title: input.title.clone(),
            region_code: input.region_code.clone(),
            period_start: input.period_start,
            period_end: input.period_end,
            redraw_of: input.redraw_of,
            redraw_reason: input.redraw_reason.clone(),
            beacon: input.v3.as_ref().and_then(|t| t.beacon.clone()),
            plans: input.plans.clone(),
            candidates,
            inspectors,
        }
    }

    /// A stand-in full input with every class ungraded, every weight 1 and inspectors under
    /// certificate numbers `P00000001` … in list order, named by their pseudonyms: enough to
    /// check the rules of the format and to re-run the inspector assignment, which reads no
    /// class, weight or identity.
    fn stand_in(&self, candidates: Vec<Candidate>) -> DrawInput {
        DrawInput {
            id: self.id,
            title: self.title.clone(),
            region_code: self.region_code.clone(),
            period_start: self.period_start,
            period_end: self.period_end,
            redraw_of: self.redraw_of,
            redraw_reason: self.redraw_reason.clone(),
            plans: self.plans.clone(),
            candidates,
            inspectors: self
                .inspectors
                .iter()
                .enumerate()
                .map(|(j, x)| DrawInspector {
                    certificate: stand_in_certificate(j as u32),
                    name: x.pseudonym.clone(),
                    department_id: x.department_id,
                    kind: x.kind,
                    qualifications: x.qualifications.clone(),
                    conflicts: x.conflicts.clone(),
                    workload: x.workload,
                })
                .collect(),
            v3: Some(V3Terms {
                beacon: self.beacon.clone(),
            }),
        }
    }

    fn stand_in_candidate(&self, c: &PublicCandidate) -> Candidate {
        Candidate {
            usci: c.usci.clone(),
            name: c.name.clone(),
            credit_class: None,
            plans: c.plans.clone(),
            exclusions: c.exclusions.clone(),
            previous_inspectors: c
                .previous_inspectors
                .iter()
                .map(|&j| stand_in_certificate(j))
                .collect(),
            risk_weight: 1,
        }
    }
}

fn stand_in_certificate(j: u32) -> CertificateNumber {
    CertificateNumber::parse(&format!("P{:08}", u64::from(j) + 1)).expect("a valid number")
}

impl DrawRecord {
    /// The public variant of a `/3` record; `None` for `/1` and `/2` records (their full
    /// record is all there is).
    pub fn public_variant(&self) -> Option<PublicDrawRecord> {
        let v3 = self.seeds.v3.as_ref()?;
        self.input.v3.as_ref()?;
        self.public_variant_from(PublicInput::of(&self.input, &v3.salt_key))
    }

    /// [`Self::public_variant`] with its public input already made: `input` must be
    /// `PublicInput::of(&self.input, salt key)` (as `commit_v3_public` returns it for the
    /// committed input). `None` for `/1` and `/2` records, and when `input` does not have
    /// this record's id and as many candidates and inspectors.
    pub fn public_variant_from(&self, input: PublicInput) -> Option<PublicDrawRecord> {
        let v3 = self.seeds.v3.as_ref()?;
        self.input.v3.as_ref()?;
        if input.id != self.input.id
            || input.candidates.len() != self.input.candidates.len()
            || input.inspectors.len() != self.input.inspectors.len()
        {
            return None;
        }
        let index: HashMap<&str, usize> = self
            .input
            .inspectors
            .iter()
            .enumerate()
            .map(|(j, x)| (x.certificate.as_str(), j))
            .collect();
        let name = |c: &CertificateNumber| {
            index.get(c.as_str()).map_or_else(
                || "?".to_string(),
                |&j| input.inspectors[j].pseudonym.clone(),
            )
        };
        let visits = self
            .result
            .visits
            .iter()
            .map(|v| PublicVisit {
                usci: v.usci.clone(),
                plans: v.plans.clone(),
                lead_plan: v.lead_plan,
                inspectors: v.inspectors.iter().map(name).collect(),
                experts: v.experts.iter().map(name).collect(),
                control_plans: v.control_plans.clone(),
            })
            .collect();
        Some(PublicDrawRecord {
            format: FORMAT_V3_PUBLIC.into(),
            input,
            commitment: self.commitment.clone(),
            seeds: PublicSeeds {
                server: self.seeds.server,
                contributions: v3.contributions.clone(),
                beacon_value: v3.beacon_value.clone(),
                unwitnessed_reason: v3.unwitnessed_reason.clone(),
            },
            drawn_at: self.drawn_at,
            result: PublicResult {
                combined_seed: self.result.combined_seed,
                visits,
                counts: self.result.counts.clone(),
                thresholds: self.result.thresholds.clone().unwrap_or_default(),
                control_thresholds: self.result.control_thresholds.clone(),
            },
        })
    }

    /// The opening of candidate `usci`'s class commitment; `None` for `/1`, `/2` records and
    /// entities not in the pool.
    pub fn opening(&self, usci: &Usci) -> Option<Opening> {
        let v3 = self.seeds.v3.as_ref()?;
        let index = self
            .input
            .candidates
            .binary_search_by(|c| c.usci.cmp(usci))
            .ok()?;
        let c = &self.input.candidates[index];
        Some(Opening {
            format: FORMAT_V3_OPENING.into(),
            draw_id: self.input.id,
            index: index as u32,
            usci: c.usci.clone(),
            credit_class: c.credit_class,
            risk_weight: c.risk_weight,
            salt: super::v3::candidate_salt(&v3.salt_key, index as u32),
        })
    }
}

impl PublicDrawRecord {
    /// Reads a public record, naming the path of the first bad value.
    pub fn from_json(bytes: &[u8]) -> Result<Self, ParseError> {
        let r: PublicDrawRecord = parse_json(bytes)?;
        if r.format != FORMAT_V3_PUBLIC {
            return Err(ParseError {
                path: "format".into(),
                message: format!(
                    "unsupported format {:?}, expected {FORMAT_V3_PUBLIC:?}",
                    r.format
                ),
            });
        }
        Ok(r)
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
        let o: Opening = parse_json(bytes)?;
        if o.format != FORMAT_V3_OPENING {
            return Err(ParseError {
                path: "format".into(),
                message: format!(
                    "unsupported format {:?}, expected {FORMAT_V3_OPENING:?}",
                    o.format
                ),
            });
        }
        Ok(o)
    }

    pub fn to_json_pretty(&self) -> String {
        serde_json::to_string_pretty(self).expect("openings serialise")
    }

    /// Checks the opening against the public record: the commitment opens to this class and
    /// weight, and for every plan of its pool the entity was drawn exactly when it is eligible
    /// and its key is within the threshold of its class.
    #[allow(clippy::result_large_err)]
    pub fn check(&self, record: &PublicDrawRecord) -> Result<OpeningCheck, Mismatch> {
        let bad = |s: String| Err(Mismatch::Opening(s));
        if self.format != FORMAT_V3_OPENING {
            return bad(format!(
                "format {:?} is not {FORMAT_V3_OPENING}",
                self.format
            ));
        }
        let input = &record.input;
        if self.draw_id != input.id {
            return bad(format!(
                "the opening is for draw {}, the record is draw {}",
                self.draw_id, input.id
            ));
        }
        let Some(c) = input.candidates.get(self.index as usize) else {
            return bad(format!("the record has no candidate {}", self.index));
        };
        if c.usci != self.usci {
            return bad(format!(
                "candidate {} is {}, not {}",
                self.index, c.usci, self.usci
            ));
        }
        if !(1..=MAX_RISK_WEIGHT).contains(&self.risk_weight) {
            return bad(format!("risk weight {} is not 1–10", self.risk_weight));
        }
        let computed =
            class_commitment(&self.salt, &self.usci, self.credit_class, self.risk_weight);
        if computed != c.class_commitment {
            return bad(format!(
                "class commitment does not open: recorded {}, computed {computed} from this class, weight and salt",
                c.class_commitment
            ));
        }
        let stratum = Stratum::of(self.credit_class);
        let u = prn_at(&record.result.combined_seed, u64::from(self.index));
        let visit = record
            .result
            .visits
            .binary_search_by(|v| v.usci.cmp(&self.usci))
            .ok()
            .map(|k| &record.result.visits[k]);
        let mut plans = Vec::new();
        for &p in &c.plans {
            let Some(plan) = input.plans.get(p as usize) else {
                return bad(format!("the record has no plan {p}"));
            };
            let eligible = c.exclusions.binary_search_by_key(&p, |e| e.plan).is_err();
            let drawn = visit.is_some_and(|v| v.plans.contains(&p));
            let as_control = visit.is_some_and(|v| v.control_plans.contains(&p));
            let threshold = record
                .result
                .thresholds
                .get(p as usize)
                .and_then(|t| *t.get(stratum));
            let control_threshold = control_threshold_of(record, p, stratum);
            let w = if plan.risk_weighted {
                self.risk_weight
            } else {
                1
            };
            let key = weighted_key(u, w, self.index);
            // 12.13: in the control share when the plain key is within the control threshold;
            // drawn when that, or the plan's key within the selection threshold.
            let control_due = eligible
                && control_threshold.is_some_and(|t| weighted_key(u, 1, self.index) <= t.0);
            let due = control_due || eligible && threshold.is_some_and(|t| key <= t.0);
            if control_due != as_control && due == drawn {
                return bad(format!(
                    "plan {p} ({}): the entity {} as part of the random control share, but its plain key is {} the control threshold of class {} ({})",
                    plan.code,
                    if as_control {
                        "is listed"
                    } else {
                        "is not listed"
                    },
                    if control_due { "within" } else { "above" },
                    stratum.as_str(),
                    control_threshold.map_or("none".into(), |t| format!("{:032x}", t.0)),
                ));
            }
            if due != drawn {
                return bad(format!(
                    "plan {p} ({}): the entity {} but {} (key {key:032x}, threshold of class {} {})",
                    plan.code,
                    if drawn { "was drawn" } else { "was not drawn" },
                    if !eligible {
                        "it is excluded"
                    } else if due {
                        "its key is within the threshold"
                    } else {
                        "its key is above the threshold"
                    },
                    stratum.as_str(),
                    threshold.map_or("none".into(), |t| format!("{:032x}", t.0)),
                ));
            }
            plans.push(PlanOutcome {
                plan: p,
                code: plan.code.clone(),
                eligible,
                drawn,
                control: as_control,
            });
        }
        Ok(OpeningCheck {
            usci: c.usci.clone(),
            name: c.name.clone(),
            credit_class: self.credit_class,
            risk_weight: self.risk_weight,
            plans,
        })
    }
}

/// The control threshold of plan `p` in `stratum`, if the record has one (12.13).
fn control_threshold_of(record: &PublicDrawRecord, p: u32, stratum: Stratum) -> Option<Threshold> {
    record
        .result
        .control_thresholds
        .as_ref()?
        .get(p as usize)
        .and_then(|t| *t.get(stratum))
}

/// Checks a public record: everything that can be checked without classes, weights and
/// identities (docs/draw-algorithm.md, "What the public variant proves").
#[allow(clippy::result_large_err)]
pub fn verify_public(record: &PublicDrawRecord) -> Result<PublicSummary, Mismatch> {
    let public = |s: String| Mismatch::Public(s);
    if record.format != FORMAT_V3_PUBLIC {
        return Err(Mismatch::Format(record.format.clone()));
    }
    let input = &record.input;
    let n_insp = input.inspectors.len();

    // The rules of the format, on a stand-in input (classes and identities are not needed).
    let stand_in = input.stand_in(
        input
            .candidates
            .iter()
            .map(|c| input.stand_in_candidate(c))
            .collect(),
    );
    stand_in.validate().map_err(Mismatch::Invalid)?;
    check_inspector_order(input).map_err(Mismatch::Invalid)?;
    for (j, x) in input.inspectors.iter().enumerate() {
        if x.pseudonym != pseudonym(j, n_insp) {
            return Err(public(format!(
                "inspectors[{j}].pseudonym is {:?}, expected {:?}",
                x.pseudonym,
                pseudonym(j, n_insp)
            )));
        }
    }
    for (i, c) in input.candidates.iter().enumerate() {
        let prev = &c.previous_inspectors;
        if let Some(k) = (1..prev.len()).find(|&k| prev[k - 1] >= prev[k]) {
            return Err(public(format!(
                "candidates[{i}].previous_inspectors must be strictly ascending (at index {k})"
            )));
        }
        if let Some(&j) = prev.iter().find(|&&j| j as usize >= n_insp) {
            return Err(public(format!(
                "candidates[{i}].previous_inspectors: there is no inspector {j}"
            )));
        }
    }

    // The commitment.
    let c = &record.commitment;
    let computed = public_candidates_sha256(input);
    if computed != c.candidates_sha256 {
        return Err(Mismatch::CandidatesHash {
            recorded: c.candidates_sha256,
            computed,
        });
    }
    let computed = public_inspectors_sha256(input);
    if computed != c.inspectors_sha256 {
        return Err(Mismatch::InspectorsHash {
            recorded: c.inspectors_sha256,
            computed,
        });
    }
    let seeds = &record.seeds;
    let computed = seed_commitment(&seeds.server);
    if computed != c.seed_sha256 {
        return Err(Mismatch::SeedHash {
            recorded: c.seed_sha256,
            computed,
        });
    }
    if record.drawn_at < c.committed_at {
        return Err(Mismatch::Chronology);
    }

    // Witnessing, then the key.
    let terms = V3Terms {
        beacon: input.beacon.clone(),
    };
    super::verify::check_witnessing(
        &terms,
        &seeds.contributions,
        seeds.beacon_value.as_deref(),
        seeds.unwitnessed_reason.as_deref(),
        c.committed_at,
        record.drawn_at,
    )?;
    let key = derive_key_from_text(
        &seeds.server,
        &c.candidates_sha256,
        &c.inspectors_sha256,
        &witnesses_text(
            &seeds.contributions,
            seeds.beacon_value.as_deref(),
            seeds.unwitnessed_reason.as_deref(),
        ),
    );
    let result = &record.result;
    if result.combined_seed != key {
        return Err(Mismatch::CombinedSeed {
            recorded: result.combined_seed,
            computed: key,
        });
    }

    // Visits: canonical, each of an entity in the pool, for plans it is eligible for, with
    // the lead plan the rule gives.
    let visits = &result.visits;
    if let Some(k) = (1..visits.len()).find(|&k| visits[k - 1].usci >= visits[k].usci) {
        return Err(public(format!(
            "visits must be strictly ascending by credit code (visit {})",
            k + 1
        )));
    }
    let n_plans = input.plans.len();
    let mut at = Vec::with_capacity(visits.len());
    let mut drawn_per_plan = vec![0u64; n_plans];
    let mut control_per_plan = vec![0u64; n_plans];
    for (k, v) in visits.iter().enumerate() {
        let Ok(i) = input.candidates.binary_search_by(|c| c.usci.cmp(&v.usci)) else {
            return Err(public(format!(
                "visit {} is of {}, which is in no plan's pool",
                k + 1,
                v.usci
            )));
        };
        let cand = &input.candidates[i];
        if v.plans.is_empty() || (1..v.plans.len()).any(|m| v.plans[m - 1] >= v.plans[m]) {
            return Err(public(format!(
                "visit {} ({}): plans must be non-empty and strictly ascending",
                k + 1,
                v.usci
            )));
        }
        for &p in &v.plans {
            let in_pool = cand.plans.binary_search(&p).is_ok();
            let excluded = cand.exclusions.binary_search_by_key(&p, |e| e.plan).is_ok();
            if !in_pool || excluded {
                return Err(public(format!(
                    "visit {} ({}) is for plan {p}, which {} it",
                    k + 1,
                    v.usci,
                    if in_pool {
                        "excludes"
                    } else {
                        "has not in its pool"
                    }
                )));
            }
            drawn_per_plan[p as usize] += 1;
        }
        let cp = &v.control_plans;
        if (1..cp.len()).any(|m| cp[m - 1] >= cp[m])
            || cp.iter().any(|p| {
                v.plans.binary_search(p).is_err() || input.plans[*p as usize].control_permille == 0
            })
        {
            return Err(public(format!(
                "visit {} ({}): control plans must be strictly ascending plans of the visit that have a control share",
                k + 1,
                v.usci
            )));
        }
        for &p in cp {
            control_per_plan[p as usize] += 1;
        }
        let lead = lead_plan(&input.plans, &v.plans);
        if v.lead_plan != lead {
            return Err(public(format!(
                "visit {} ({}): lead plan is {}, the rule gives {lead}",
                k + 1,
                v.usci,
                v.lead_plan
            )));
        }
        at.push(i);
    }

    // Counts: eligible per plan in total, quotas from the ratios, drawn = min(quota,
    // eligible), and as many selections per plan as visits list.
    if result.counts.len() != n_plans || result.thresholds.len() != n_plans {
        return Err(public(format!(
            "counts and thresholds need one entry per plan ({n_plans}); the record has {} and {}",
            result.counts.len(),
            result.thresholds.len()
        )));
    }
    let mut eligible = vec![0u64; n_plans];
    for cand in &input.candidates {
        for &p in &cand.plans {
            if cand
                .exclusions
                .binary_search_by_key(&p, |e| e.plan)
                .is_err()
            {
                eligible[p as usize] += 1;
            }
        }
    }
    let with_control = input.plans.iter().any(|p| p.control_permille > 0);
    let no_control = PerClass::<Option<Threshold>>::default();
    match &result.control_thresholds {
        Some(t) if with_control && t.len() == n_plans => {}
        None if !with_control => {}
        _ => {
            return Err(public(format!(
                "control_thresholds are given, with one entry per plan ({n_plans}), exactly when a plan has a control share"
            )));
        }
    }
    let u = prns(&key, input.candidates.len());
    for (p, plan) in input.plans.iter().enumerate() {
        let counts = &result.counts[p];
        let thresholds = &result.thresholds[p];
        let control_thresholds = result
            .control_thresholds
            .as_ref()
            .map_or(&no_control, |t| &t[p]);
        let mut total = 0;
        let mut drawn = 0;
        let mut control = 0;
        for h in Stratum::ALL {
            let x = counts.get(h);
            let q = quota(x.eligible, *plan.ratios.get(h));
            let qc = control_quota(q, plan.control_permille);
            if x.control != qc {
                return Err(public(format!(
                    "plan {p} ({}) class {}: a quota of {q} at a control share of {}‰ gives {qc} control picks; the record says {}",
                    plan.code,
                    h.as_str(),
                    plan.control_permille,
                    x.control
                )));
            }
            if control_thresholds.get(h).is_some() != (x.control > 0) {
                return Err(public(format!(
                    "plan {p} ({}) class {}: a control threshold is given exactly when control picks were drawn",
                    plan.code,
                    h.as_str()
                )));
            }
            control += x.control;
            if x.quota != q || x.drawn != q.min(x.eligible) {
                return Err(public(format!(
                    "plan {p} ({}) class {}: eligible {} at {}‰ gives quota {q} and {} drawn; the record says quota {}, drawn {}",
                    plan.code,
                    h.as_str(),
                    x.eligible,
                    plan.ratios.get(h),
                    q.min(x.eligible),
                    x.quota,
                    x.drawn
                )));
            }
            if thresholds.get(h).is_some() != (x.drawn > x.control) {
                return Err(public(format!(
                    "plan {p} ({}) class {}: a threshold is given exactly when something was drawn (beyond the control share)",
                    plan.code,
                    h.as_str()
                )));
            }
            total += x.eligible;
            drawn += x.drawn;
        }
        if total != eligible[p] {
            return Err(public(format!(
                "plan {p} ({}): the classes add up to {total} eligible, the pool has {} eligible",
                plan.code, eligible[p]
            )));
        }
        if drawn != drawn_per_plan[p] {
            return Err(public(format!(
                "plan {p} ({}): the counts say {drawn} drawn, the visits list {}",
                plan.code, drawn_per_plan[p]
            )));
        }
        if control != control_per_plan[p] {
            return Err(public(format!(
                "plan {p} ({}): the counts say {control} control picks, the visits list {}",
                plan.code, control_per_plan[p]
            )));
        }
        // Bounds that need no class: a drawn entity's smallest possible key is within the
        // largest threshold; an entity left has a largest possible key above the smallest
        // threshold of a class that left someone (weights 1–10 unknown: key with 10, with 1).
        let hi = Stratum::ALL
            .iter()
            .filter_map(|&h| thresholds.get(h).map(|t| t.0))
            .max();
        let lo = Stratum::ALL
            .iter()
            .filter(|&&h| counts.get(h).drawn < counts.get(h).eligible)
            .map(|&h| thresholds.get(h).map_or(0, |t| t.0))
            .min();
        // The same for the control share, on the plain key (12.13): a control pick is within
        // the largest control threshold; any other eligible candidate is above the smallest
        // control threshold of a class where the control share left someone.
        let hi_c = Stratum::ALL
            .iter()
            .filter_map(|&h| control_thresholds.get(h).map(|t| t.0))
            .max();
        let lo_c = Stratum::ALL
            .iter()
            .filter(|&&h| {
                plan.control_permille > 0 && counts.get(h).control < counts.get(h).eligible
            })
            .map(|&h| control_thresholds.get(h).map_or(0, |t| t.0))
            .min();
        let w_min = if plan.risk_weighted {
            MAX_RISK_WEIGHT
        } else {
            1
        };
        // Per candidate: 0 not drawn for the plan, 1 drawn by its order, 2 as a control pick.
        let drawn_here: Vec<u8> = {
            let mut d = vec![0u8; input.candidates.len()];
            for (v, &i) in visits.iter().zip(&at) {
                if v.control_plans.contains(&(p as u32)) {
                    d[i] = 2;
                } else if v.plans.contains(&(p as u32)) {
                    d[i] = 1;
                }
            }
            d
        };
        for (i, cand) in input.candidates.iter().enumerate() {
            if cand.plans.binary_search(&(p as u32)).is_err()
                || cand
                    .exclusions
                    .binary_search_by_key(&(p as u32), |e| e.plan)
                    .is_ok()
            {
                continue;
            }
            let smallest = weighted_key(u[i], w_min, i as u32);
            let largest = weighted_key(u[i], 1, i as u32);
            let (fits, what) = match drawn_here[i] {
                2 => (
                    hi_c.is_some_and(|t| largest <= t),
                    "was drawn as a control pick although its plain key is above every class's control threshold",
                ),
                1 => (
                    hi.is_some_and(|t| smallest <= t) && lo_c.is_none_or(|t| largest > t),
                    "was drawn (not as a control pick) although its key is above every class's threshold or its plain key within every control threshold",
                ),
                _ => (
                    lo.is_none_or(|t| largest > t) && lo_c.is_none_or(|t| largest > t),
                    "was not drawn although its key is within every class's threshold",
                ),
            };
            if !fits {
                return Err(public(format!(
                    "plan {p} ({}): {} {what}",
                    plan.code, cand.usci
                )));
            }
        }
    }

    // The assignment, re-run on stand-ins: it reads no class, weight or identity.
    let mut staffed: Vec<Visit> = visits
        .iter()
        .map(|v| Visit {
            usci: v.usci.clone(),
            plans: v.plans.clone(),
            lead_plan: v.lead_plan,
            inspectors: Vec::new(),
            experts: Vec::new(),
            control_plans: Vec::new(),
        })
        .collect();
    let local: Vec<u32> = (0..visits.len() as u32).collect();
    let small = input.stand_in(
        at.iter()
            .map(|&i| input.stand_in_candidate(&input.candidates[i]))
            .collect(),
    );
    if let Err(f) = assign(&small, &key, &local, &mut staffed) {
        return Err(Mismatch::DrawFails(f));
    }
    let name = |c: &CertificateNumber| -> String {
        let j: usize = c.as_str()[1..].parse().expect("a stand-in number");
        input.inspectors[j - 1].pseudonym.clone()
    };
    for (k, (v, s)) in visits.iter().zip(&staffed).enumerate() {
        let inspectors: Vec<String> = s.inspectors.iter().map(name).collect();
        let experts: Vec<String> = s.experts.iter().map(name).collect();
        if v.inspectors != inspectors || v.experts != experts {
            return Err(public(format!(
                "visit {} ({}): recorded inspectors [{}] experts [{}]; recomputed [{}] [{}]",
                k + 1,
                v.usci,
                v.inspectors.join(","),
                v.experts.join(","),
                inspectors.join(","),
                experts.join(",")
            )));
        }
    }

    Ok(PublicSummary {
        id: input.id,
        title: input.title.clone(),
        plans: n_plans,
        candidates: input.candidates.len(),
        inspectors: n_insp,
        visits: visits.len(),
        selections: visits.iter().map(|v| v.plans.len() as u64).sum(),
        candidates_sha256: c.candidates_sha256,
        inspectors_sha256: c.inspectors_sha256,
        seed_sha256: c.seed_sha256,
        combined_seed: key,
        contributions: seeds.contributions.len(),
        beacon: seeds.beacon_value.is_some(),
        unwitnessed_reason: seeds.unwitnessed_reason.clone(),
    })
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
        #[derive(Deserialize)]
        struct Format {
            format: Option<serde_json::Value>,
        }
        let f: Format = parse_json(bytes)?;
        match f.format.as_ref().and_then(|v| v.as_str()) {
            Some(FORMAT_V3_PUBLIC) => PublicDrawRecord::from_json(bytes).map(AnyRecord::Public),
            _ => DrawRecord::from_json(bytes).map(AnyRecord::Full),
        }
    }
}

mod salt_hex {
    use super::*;

    pub fn serialize<S: Serializer>(
        salt: &super::super::v3::Salt,
        s: S,
    ) -> Result<S::Ok, S::Error> {
        s.serialize_str(&hex::encode(salt))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(
        d: D,
    ) -> Result<super::super::v3::Salt, D::Error> {
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
            match (self.eligible, self.drawn, self.control) {
                (false, _, _) => "排除 / excluded",
                (true, true, true) => "抽中（随机对照） / drawn (random control share)",
                (true, true, false) => "抽中 / drawn",
                (true, false, _) => "未抽中 / not drawn",
            }
        )
    }
}
