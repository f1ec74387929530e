//! `lianjian-draw/3`: domain-separated derivations (HMAC-SHA256 under fixed labels) and the
//! salted commitments that let the public record commit to credit classes, risk weights and
//! inspector identities without showing them (issue 11; docs/draw-algorithm.md, "Format 3").
//!
//! Why HMAC: `/1` and `/2` published SHA-256(server seed) and keyed the draw with
//! SHA-256(server seed ‖ witness), which length extension lets anyone compute from the published
//! hash alone. An HMAC keyed by the server seed is not extendable, and the commitment and the
//! key use different labels, so no published value equals or yields the key.

use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

use super::Bytes32;
use super::record::{Contribution, DrawInput, SeedsV3};
use crate::account::CertificateNumber;
use crate::directory::CreditClass;
use crate::usci::Usci;

/// Label of the seed commitment: HMAC-SHA256(server seed, this).
pub const COMMITMENT_LABEL: &str = "lianjian-draw/3 commitment";
/// Label that starts the message of the key derivation.
pub const KEY_LABEL: &str = "lianjian-draw/3 key";
/// Label of the key of the candidates' salt stream: HMAC-SHA256(salt key, this).
pub const CANDIDATE_SALTS_LABEL: &str = "lianjian-draw/3 candidate salts";
/// Label of an inspector's salt: HMAC-SHA256(salt key, this ‖ LF ‖ certificate), first 16 bytes.
pub const INSPECTOR_SALT_LABEL: &str = "lianjian-draw/3 inspector salt";
/// Label of a threshold's offset: HMAC-SHA256(salt key, this ‖ LF ‖ plan index ‖ LF ‖ stratum).
pub const THRESHOLD_LABEL: &str = "lianjian-draw/3 threshold";
/// Label of the offsets of the random control share's thresholds (12.13).
pub const CONTROL_THRESHOLD_LABEL: &str = "lianjian-draw/3 control threshold";
/// Label that starts an inspector's identity commitment.
pub const IDENTITY_LABEL: &str = "lianjian-draw/3 inspector";

type HmacSha256 = Hmac<Sha256>;

/// A 16-byte salt, in JSON as 32 lower-case hex digits.
pub type Salt = [u8; 16];

fn hmac_state(key: &Bytes32) -> HmacSha256 {
    <HmacSha256 as Mac>::new_from_slice(&key.0).expect("HMAC takes keys of any length")
}

/// HMAC-SHA256(`key`, concatenation of `parts`).
pub fn hmac_sha256(key: &Bytes32, parts: &[&[u8]]) -> Bytes32 {
    let mut m = hmac_state(key);
    for p in parts {
        m.update(p);
    }
    Bytes32(m.finalize().into_bytes().into())
}

/// The seed commitment published before the draw (in `commitment.seed_sha256`, whose name
/// stays for compatibility): HMAC-SHA256(server seed, "lianjian-draw/3 commitment").
pub fn seed_commitment(server: &Bytes32) -> Bytes32 {
    hmac_sha256(server, &[COMMITMENT_LABEL.as_bytes()])
}

/// The canonical text of a draw's contributions, bound into the key: one line per supervisor
/// contribution (ascending by account id) `contribution TAB account id TAB name TAB value hex`,
/// then `beacon TAB value` if the beacon value is in, then `unwitnessed TAB reason` if a
/// reason is given; fields escaped as in the candidates text. Empty when there is nothing.
pub fn contributions_text(seeds: &SeedsV3) -> String {
    witnesses_text(
        &seeds.contributions,
        seeds.beacon_value.as_deref(),
        seeds.unwitnessed_reason.as_deref(),
    )
}

/// [`contributions_text`] from its parts (the public record has no salt key).
pub fn witnesses_text(
    contributions: &[Contribution],
    beacon_value: Option<&str>,
    unwitnessed_reason: Option<&str>,
) -> String {
    let mut s = String::new();
    for c in contributions {
        s.push_str("contribution\t");
        s.push_str(&c.account_id.to_string());
        s.push('\t');
        super::hash::esc_into(&mut s, &c.name);
        s.push('\t');
        s.push_str(&c.value.to_hex());
        s.push('\n');
    }
    if let Some(v) = beacon_value {
        s.push_str("beacon\t");
        super::hash::esc_into(&mut s, v);
        s.push('\n');
    }
    if let Some(r) = unwitnessed_reason {
        s.push_str("unwitnessed\t");
        super::hash::esc_into(&mut s, r);
        s.push('\n');
    }
    s
}

/// The ChaCha20 key of a `/3` draw: HMAC-SHA256(server seed, "lianjian-draw/3 key" ‖ LF ‖
/// candidates_sha256 hex ‖ LF ‖ inspectors_sha256 hex ‖ LF ‖ [`contributions_text`]).
pub fn derive_key(
    server: &Bytes32,
    candidates_sha256: &Bytes32,
    inspectors_sha256: &Bytes32,
    seeds: &SeedsV3,
) -> Bytes32 {
    derive_key_from_text(
        server,
        candidates_sha256,
        inspectors_sha256,
        &contributions_text(seeds),
    )
}

/// [`derive_key`] over a contributions text already written ([`witnesses_text`]).
pub fn derive_key_from_text(
    server: &Bytes32,
    candidates_sha256: &Bytes32,
    inspectors_sha256: &Bytes32,
    contributions_text: &str,
) -> Bytes32 {
    hmac_sha256(
        server,
        &[
            KEY_LABEL.as_bytes(),
            b"\n",
            candidates_sha256.to_hex().as_bytes(),
            b"\n",
            inspectors_sha256.to_hex().as_bytes(),
            b"\n",
            contributions_text.as_bytes(),
        ],
    )
}

fn salt_of(state: &HmacSha256, label: &str, id: &str) -> Salt {
    let mut m = state.clone();
    m.update(label.as_bytes());
    m.update(b"\n");
    m.update(id.as_bytes());
    let full: [u8; 32] = m.finalize().into_bytes().into();
    full[..16].try_into().expect("16 bytes")
}

/// The ChaCha20 key of the candidates' salts: HMAC-SHA256(salt key, "lianjian-draw/3 candidate
/// salts").
pub fn candidate_salts_key(salt_key: &Bytes32) -> Bytes32 {
    hmac_sha256(salt_key, &[CANDIDATE_SALTS_LABEL.as_bytes()])
}

/// Candidate `index`'s salt: keystream bytes `16·index .. 16·index + 16` of ChaCha20 (stream 0,
/// as in section 4 of docs/draw-algorithm.md) keyed with [`candidate_salts_key`]; i.e. words
/// `2·index` and `2·index + 1`, each written little-endian. A stream rather than one HMAC per
/// candidate: half a million salts cost a few milliseconds.
pub fn candidate_salt(salt_key: &Bytes32, index: u32) -> Salt {
    let mut w = [0u64; 2];
    super::prn::words(
        &candidate_salts_key(salt_key),
        0,
        2 * u64::from(index),
        &mut w,
    );
    salt_of_words(w[0], w[1])
}

fn salt_of_words(a: u64, b: u64) -> Salt {
    let mut s = [0u8; 16];
    s[..8].copy_from_slice(&a.to_le_bytes());
    s[8..].copy_from_slice(&b.to_le_bytes());
    s
}

/// An inspector's salt: the first 16 bytes of HMAC-SHA256(salt key, "lianjian-draw/3 inspector
/// salt" ‖ LF ‖ certificate number).
pub fn inspector_salt(salt_key: &Bytes32, certificate: &CertificateNumber) -> Salt {
    salt_of(
        &hmac_state(salt_key),
        INSPECTOR_SALT_LABEL,
        certificate.as_str(),
    )
}

/// A candidate's class commitment: SHA-256(salt (16 bytes) ‖ credit code ‖ TAB ‖ class letter,
/// or `-` when not graded ‖ TAB ‖ risk weight in decimal). At most 39 bytes, so one SHA-256
/// block; no label is needed, since the secret salt, unique per draw and candidate, already
/// sets these hashes apart from every other.
pub fn class_commitment(
    salt: &Salt,
    usci: &Usci,
    class: Option<CreditClass>,
    risk_weight: u8,
) -> Bytes32 {
    let mut h = Sha256::new();
    h.update(salt);
    h.update(usci.as_str().as_bytes());
    h.update(b"\t");
    h.update(class.map_or("-", |c| c.as_str()).as_bytes());
    h.update(b"\t");
    // Decimal without an allocation: this runs once per candidate.
    let digits = [
        b'0' + (risk_weight / 100) % 10,
        b'0' + (risk_weight / 10) % 10,
        b'0' + risk_weight % 10,
    ];
    let from = if risk_weight >= 100 {
        0
    } else if risk_weight >= 10 {
        1
    } else {
        2
    };
    h.update(&digits[from..]);
    Bytes32(h.finalize().into())
}

/// An inspector's identity commitment: SHA-256("lianjian-draw/3 inspector" ‖ LF ‖ salt (16
/// bytes) ‖ certificate number ‖ TAB ‖ name).
pub fn identity_commitment(salt: &Salt, certificate: &CertificateNumber, name: &str) -> Bytes32 {
    let mut h = Sha256::new();
    h.update(IDENTITY_LABEL.as_bytes());
    h.update(b"\n");
    h.update(salt);
    h.update(certificate.as_str().as_bytes());
    h.update(b"\t");
    h.update(name.as_bytes());
    Bytes32(h.finalize().into())
}

/// The per-draw pseudonym of the inspector at `index` (0-based, in the `/3` order, i.e. by
/// identity commitment) of a pool of `count`: `检查员-` and the 1-based position, zero-padded to
/// the width of `count` (at least 2 digits): 检查员-01 … 检查员-09 for 9, 检查员-001 for 100.
pub fn pseudonym(index: usize, count: usize) -> String {
    let width = count.to_string().len().max(2);
    format!("检查员-{:0width$}", index + 1)
}

/// Class commitments of candidates `first ..` of `input`, one per element of `out`.
pub(super) fn class_commitments_into(
    input: &DrawInput,
    salts_key: &Bytes32,
    first: usize,
    out: &mut [Bytes32],
) {
    let mut words = vec![0u64; 2 * out.len()];
    super::prn::words(salts_key, 0, 2 * first as u64, &mut words);
    for (k, o) in out.iter_mut().enumerate() {
        let c = &input.candidates[first + k];
        let salt = salt_of_words(words[2 * k], words[2 * k + 1]);
        *o = class_commitment(&salt, &c.usci, c.credit_class, c.risk_weight);
    }
}

/// Class commitments of every candidate of `input`, in candidate order.
pub fn class_commitments(input: &DrawInput, salt_key: &Bytes32) -> Vec<Bytes32> {
    let mut out = vec![Bytes32::default(); input.candidates.len()];
    class_commitments_into(input, &candidate_salts_key(salt_key), 0, &mut out);
    out
}

/// Identity commitments of every inspector of `input`, in list order.
pub fn identity_commitments(input: &DrawInput, salt_key: &Bytes32) -> Vec<Bytes32> {
    let state = hmac_state(salt_key);
    input
        .inspectors
        .iter()
        .map(|x| {
            let salt = salt_of(&state, INSPECTOR_SALT_LABEL, x.certificate.as_str());
            identity_commitment(&salt, &x.certificate, &x.name)
        })
        .collect()
}

/// The secret offset that places a threshold within its interval: the first 16 bytes of
/// HMAC-SHA256(salt key, "lianjian-draw/3 threshold" ‖ LF ‖ plan index in decimal ‖ LF ‖
/// stratum (`A`–`D`, `ungraded`)), read as a big-endian 128-bit integer.
pub fn threshold_offset(salt_key: &Bytes32, plan: u32, stratum: super::Stratum) -> u128 {
    offset_under(THRESHOLD_LABEL, salt_key, plan, stratum)
}

/// [`threshold_offset`] for a control threshold: the same under
/// "lianjian-draw/3 control threshold" (12.13).
pub fn control_threshold_offset(salt_key: &Bytes32, plan: u32, stratum: super::Stratum) -> u128 {
    offset_under(CONTROL_THRESHOLD_LABEL, salt_key, plan, stratum)
}

fn offset_under(label: &str, salt_key: &Bytes32, plan: u32, stratum: super::Stratum) -> u128 {
    let h = hmac_sha256(
        salt_key,
        &[
            label.as_bytes(),
            b"\n",
            plan.to_string().as_bytes(),
            b"\n",
            stratum.as_str().as_bytes(),
        ],
    );
    u128::from_be_bytes(h.0[..16].try_into().expect("16 bytes"))
}
