//! The commitment: SHA-256 over a canonical text form of the frozen pools, not over JSON (whose
//! spacing, escaping and key order an independent implementation cannot be expected to match).
//! The text is specified in `docs/draw-algorithm.md` ("Canonical text"): one line per record,
//! tab-separated fields, LF line ends.

use std::fmt::{self, Write};

use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};

use super::Bytes32;
use super::public::PublicInput;
use super::record::{BadInput, Commitment, DrawInput, Seeds, Stratum};

/// Writes `s` with `\`, TAB, LF, CR and `,` escaped, so that fields and list elements can never
/// run into each other.
fn esc<W: Write>(w: &mut W, s: &str) -> fmt::Result {
    if !s.contains(['\\', '\t', '\n', '\r', ',']) {
        return w.write_str(s);
    }
    for c in s.chars() {
        match c {
            '\\' => w.write_str("\\\\")?,
            '\t' => w.write_str("\\t")?,
            '\n' => w.write_str("\\n")?,
            '\r' => w.write_str("\\r")?,
            ',' => w.write_str("\\,")?,
            c => w.write_char(c)?,
        }
    }
    Ok(())
}

/// [`esc`] into a string.
pub(super) fn esc_into(s: &mut String, text: &str) {
    esc(s, text).expect("writing to a string never fails");
}

/// A list field: the escaped elements joined by `,`; empty list, empty field.
fn list<W: Write, S: AsRef<str>>(w: &mut W, items: impl IntoIterator<Item = S>) -> fmt::Result {
    for (k, s) in items.into_iter().enumerate() {
        if k > 0 {
            w.write_char(',')?;
        }
        esc(w, s.as_ref())?;
    }
    Ok(())
}

/// Texts of format `lianjian-draw/2` (risk weighting, [`DrawInput::format`]) add one last
/// field to every plan line (`risk_weighted`) and candidate line (`risk_weight`); texts of
/// `lianjian-draw/1` are exactly as they were before weighting existed, so the hashes of
/// records already published do not change.
fn write_candidates<W: Write>(w: &mut W, d: &DrawInput) -> fmt::Result {
    let format = d.format();
    let weighted = d.is_weighted();
    writeln!(w, "{format} candidates")?;
    write!(w, "draw\t{}\t", d.id)?;
    esc(w, &d.title)?;
    write!(
        w,
        "\t{}\t{}\t{}\t",
        d.region_code.as_str(),
        d.period_start.format("%Y-%m-%d"),
        d.period_end.format("%Y-%m-%d"),
    )?;
    if let Some(r) = d.redraw_of {
        write!(w, "{r}")?;
    }
    w.write_char('\t')?;
    esc(w, d.redraw_reason.as_deref().unwrap_or(""))?;
    w.write_char('\n')?;
    for p in &d.plans {
        write!(w, "plan\t{}\t", p.id)?;
        esc(w, &p.code)?;
        w.write_char('\t')?;
        esc(w, &p.item_code)?;
        w.write_char('\t')?;
        esc(w, &p.item_name)?;
        write!(w, "\t{}\t{}\t", u8::from(p.key_item), p.lead_department.id)?;
        esc(w, &p.lead_department.name)?;
        write!(w, "\t{}", p.check_points)?;
        for s in Stratum::ALL {
            write!(w, "\t{}", p.ratios.get(s))?;
        }
        write!(w, "\t{}\t{}\t", p.inspectors_per_visit, p.experts_per_visit)?;
        list(w, &p.qualifications)?;
        if weighted {
            write!(w, "\t{}", u8::from(p.risk_weighted))?;
        }
        w.write_char('\n')?;
        for dep in &p.involved_departments {
            write!(w, "department\t{}\t", dep.id)?;
            esc(w, &dep.name)?;
            w.write_char('\n')?;
        }
    }
    for c in &d.candidates {
        write!(w, "candidate\t{}\t", c.usci.as_str())?;
        esc(w, &c.name)?;
        w.write_char('\t')?;
        if let Some(class) = c.credit_class {
            w.write_str(class.as_str())?;
        }
        w.write_char('\t')?;
        for (k, p) in c.plans.iter().enumerate() {
            if k > 0 {
                w.write_char(',')?;
            }
            write!(w, "{p}")?;
        }
        w.write_char('\t')?;
        list(w, c.previous_inspectors.iter().map(|p| p.as_str()))?;
        if weighted {
            write!(w, "\t{}", c.risk_weight)?;
        }
        w.write_char('\n')?;
        for e in &c.exclusions {
            write!(w, "exclusion\t{}\t", e.plan)?;
            esc(w, &e.reason)?;
            w.write_char('\t')?;
            esc(w, &e.reason_zh)?;
            w.write_char('\n')?;
        }
    }
    Ok(())
}

fn write_inspectors<W: Write>(w: &mut W, d: &DrawInput) -> fmt::Result {
    writeln!(w, "{} inspectors", d.format())?;
    writeln!(w, "draw\t{}", d.id)?;
    for x in &d.inspectors {
        write!(w, "inspector\t{}\t", x.certificate.as_str())?;
        esc(w, &x.name)?;
        write!(w, "\t{}\t{}\t", x.department_id, x.kind.as_str())?;
        list(w, &x.qualifications)?;
        w.write_char('\t')?;
        list(w, x.conflicts.iter().map(|u| u.as_str()))?;
        writeln!(w, "\t{}", x.workload)?;
    }
    Ok(())
}

/// Feeds text into SHA-256 through a small buffer, so that hashing a large pool needs no copy
/// of its whole text.
struct HashWriter {
    sha: Sha256,
    buf: String,
}

impl Write for HashWriter {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        self.buf.push_str(s);
        if self.buf.len() >= 1 << 16 {
            self.sha.update(self.buf.as_bytes());
            self.buf.clear();
        }
        Ok(())
    }
}

fn digest(f: impl FnOnce(&mut HashWriter) -> fmt::Result) -> Bytes32 {
    let mut h = HashWriter {
        sha: Sha256::new(),
        buf: String::with_capacity(1 << 17),
    };
    f(&mut h).expect("hashing never fails");
    h.sha.update(h.buf.as_bytes());
    Bytes32(h.sha.finalize().into())
}

/// The canonical text of the draw header, the plans and the candidates.
pub fn candidates_text(input: &DrawInput) -> String {
    let mut s = String::new();
    write_candidates(&mut s, input).expect("writing to a string never fails");
    s
}

/// The canonical text of the inspector pool.
pub fn inspectors_text(input: &DrawInput) -> String {
    let mut s = String::new();
    write_inspectors(&mut s, input).expect("writing to a string never fails");
    s
}

/// SHA-256 of [`candidates_text`].
pub fn candidates_sha256(input: &DrawInput) -> Bytes32 {
    digest(|h| write_candidates(h, input))
}

/// SHA-256 of [`inspectors_text`].
pub fn inspectors_sha256(input: &DrawInput) -> Bytes32 {
    digest(|h| write_inspectors(h, input))
}

/// SHA-256 of the 32 seed bytes (not of their hex).
pub fn seed_sha256(server_seed: &Bytes32) -> Bytes32 {
    Bytes32(Sha256::digest(server_seed.0).into())
}

/// The commitment to publish before the draw. The input must be valid (and so canonical):
/// a hash over lists in some other order would commit to a different draw.
pub fn commit(
    input: &DrawInput,
    server_seed: &Bytes32,
    at: DateTime<Utc>,
) -> Result<Commitment, BadInput> {
    input.validate()?;
    Ok(Commitment {
        candidates_sha256: candidates_sha256(input),
        inspectors_sha256: inspectors_sha256(input),
        seed_sha256: seed_sha256(server_seed),
        committed_at: at,
    })
}

/// The `/3` canonical text of the header, the beacon, the plans and the candidates, written
/// from the public input (which is exactly what it commits to).
pub fn public_candidates_text(input: &PublicInput) -> String {
    let _ = input;
    todo!()
}

/// The `/3` canonical text of the inspector pool, written from the public input.
pub fn public_inspectors_text(input: &PublicInput) -> String {
    let _ = input;
    todo!()
}

/// The commitment of a `/3` draw: the two hashes over the `/3` canonical texts (class and
/// identity commitments salted from `salt_key`) and HMAC-SHA256(server seed, "lianjian-draw/3
/// commitment"). The input must be valid, in the `/3` order ([`DrawInput::normalise_v3`]).
pub fn commit_v3(
    input: &DrawInput,
    server_seed: &Bytes32,
    salt_key: &Bytes32,
    at: DateTime<Utc>,
) -> Result<Commitment, BadInput> {
    let _ = (input, server_seed, salt_key, at);
    todo!()
}

/// [`commit`] or [`commit_v3`], as the input's format needs (the salt key from `seeds.v3`).
pub fn commit_seeds(
    input: &DrawInput,
    seeds: &Seeds,
    at: DateTime<Utc>,
) -> Result<Commitment, BadInput> {
    let _ = (input, seeds, at);
    todo!()
}
