//! The commitment: SHA-256 over a canonical text form of the frozen pools, not over JSON (whose
//! spacing, escaping and key order an independent implementation cannot be expected to match).
//! The text is specified in `docs/draw-algorithm.md` ("Canonical text"): one line per record,
//! tab-separated fields, LF line ends.

use std::fmt::{self, Write};

use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};

use super::public::PublicInput;
use super::record::{BadInput, Commitment, DrawInput, DrawPlan, Exclusion, Seeds, Stratum};
use super::{Bytes32, FORMAT_V3};

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
/// The fields of the `draw` line.
struct Header<'a> {
    id: uuid::Uuid,
    title: &'a str,
    region_code: &'a str,
    period_start: chrono::NaiveDate,
    period_end: chrono::NaiveDate,
    redraw_of: Option<uuid::Uuid>,
    redraw_reason: Option<&'a str>,
}

impl<'a> Header<'a> {
    fn of(d: &'a DrawInput) -> Self {
        Self {
            id: d.id,
            title: &d.title,
            region_code: d.region_code.as_str(),
            period_start: d.period_start,
            period_end: d.period_end,
            redraw_of: d.redraw_of,
            redraw_reason: d.redraw_reason.as_deref(),
        }
    }

    fn of_public(d: &'a PublicInput) -> Self {
        Self {
            id: d.id,
            title: &d.title,
            region_code: d.region_code.as_str(),
            period_start: d.period_start,
            period_end: d.period_end,
            redraw_of: d.redraw_of,
            redraw_reason: d.redraw_reason.as_deref(),
        }
    }
}

fn write_header<W: Write>(w: &mut W, d: &Header<'_>) -> fmt::Result {
    write!(w, "draw\t{}\t", d.id)?;
    esc(w, d.title)?;
    write!(
        w,
        "\t{}\t{}\t{}\t",
        d.region_code,
        d.period_start.format("%Y-%m-%d"),
        d.period_end.format("%Y-%m-%d"),
    )?;
    if let Some(r) = d.redraw_of {
        write!(w, "{r}")?;
    }
    w.write_char('\t')?;
    esc(w, d.redraw_reason.unwrap_or(""))?;
    w.write_char('\n')
}

fn write_plans<W: Write>(w: &mut W, plans: &[DrawPlan], weighted: bool) -> fmt::Result {
    for p in plans {
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
        // `/3` only (validated): written only when set, so that texts without it are unchanged.
        if p.control_permille > 0 {
            write!(w, "\t{}", p.control_permille)?;
        }
        w.write_char('\n')?;
        for dep in &p.involved_departments {
            write!(w, "department\t{}\t", dep.id)?;
            esc(w, &dep.name)?;
            w.write_char('\n')?;
        }
    }
    Ok(())
}

fn write_exclusions<W: Write>(w: &mut W, exclusions: &[Exclusion]) -> fmt::Result {
    for e in exclusions {
        write!(w, "exclusion\t{}\t", e.plan)?;
        esc(w, &e.reason)?;
        w.write_char('\t')?;
        esc(w, &e.reason_zh)?;
        w.write_char('\n')?;
    }
    Ok(())
}

/// 64 lower-case hex digits without an allocation (once per candidate).
fn write_hex32<W: Write>(w: &mut W, b: &Bytes32) -> fmt::Result {
    let mut buf = [0u8; 64];
    hex::encode_to_slice(b.0, &mut buf).expect("64 digits for 32 bytes");
    w.write_str(std::str::from_utf8(&buf).expect("hex is ASCII"))
}

/// `/3`: the header, the announced beacon, the plans (always with `risk_weighted`), and per
/// candidate its class commitment instead of class and weight, and its previous inspectors
/// as indices into the inspector list.
fn write_candidates_v3<W: Write>(w: &mut W, d: &PublicInput) -> fmt::Result {
    writeln!(w, "{FORMAT_V3} candidates")?;
    write_header(w, &Header::of_public(d))?;
    if let Some(b) = &d.beacon {
        w.write_str("beacon\t")?;
        esc(w, &b.source)?;
        w.write_char('\t')?;
        esc(w, &b.reference)?;
        writeln!(w, "\t{}", b.available_on.format("%Y-%m-%d"))?;
    }
    write_plans(w, &d.plans, true)?;
    for c in &d.candidates {
        write!(w, "candidate\t{}\t", c.usci.as_str())?;
        esc(w, &c.name)?;
        w.write_char('\t')?;
        write_hex32(w, &c.class_commitment)?;
        w.write_char('\t')?;
        for (k, p) in c.plans.iter().enumerate() {
            if k > 0 {
                w.write_char(',')?;
            }
            write!(w, "{p}")?;
        }
        w.write_char('\t')?;
        for (k, p) in c.previous_inspectors.iter().enumerate() {
            if k > 0 {
                w.write_char(',')?;
            }
            write!(w, "{p}")?;
        }
        w.write_char('\n')?;
        write_exclusions(w, &c.exclusions)?;
    }
    Ok(())
}

/// `/3`: per inspector its pseudonym and identity commitment instead of certificate and name.
fn write_inspectors_v3<W: Write>(w: &mut W, d: &PublicInput) -> fmt::Result {
    writeln!(w, "{FORMAT_V3} inspectors")?;
    writeln!(w, "draw\t{}", d.id)?;
    for x in &d.inspectors {
        w.write_str("inspector\t")?;
        esc(w, &x.pseudonym)?;
        write!(
            w,
            "\t{}\t{}\t{}\t",
            x.identity_commitment,
            x.department_id,
            x.kind.as_str()
        )?;
        list(w, &x.qualifications)?;
        w.write_char('\t')?;
        list(w, x.conflicts.iter().map(|u| u.as_str()))?;
        writeln!(w, "\t{}", x.workload)?;
    }
    Ok(())
}

fn write_candidates<W: Write>(w: &mut W, d: &DrawInput) -> fmt::Result {
    let format = d.format();
    let weighted = d.is_weighted();
    writeln!(w, "{format} candidates")?;
    write_header(w, &Header::of(d))?;
    write_plans(w, &d.plans, weighted)?;
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
        write_exclusions(w, &c.exclusions)?;
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
    if input.v3.is_some() {
        return Err(BadInput {
            field: "v3".into(),
            invalid: crate::Invalid::new(
                "format",
                "lianjian-draw/3 的承诺须用盐密钥计算（commit_v3）",
                "a lianjian-draw/3 commitment needs the salt key (commit_v3)",
            ),
        });
    }
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
    let mut s = String::new();
    write_candidates_v3(&mut s, input).expect("writing to a string never fails");
    s
}

/// SHA-256 of [`public_candidates_text`]: `candidates_sha256` of a `/3` draw.
pub fn public_candidates_sha256(input: &PublicInput) -> Bytes32 {
    digest(|h| write_candidates_v3(h, input))
}

/// SHA-256 of [`public_inspectors_text`]: `inspectors_sha256` of a `/3` draw.
pub fn public_inspectors_sha256(input: &PublicInput) -> Bytes32 {
    digest(|h| write_inspectors_v3(h, input))
}

/// The `/3` canonical text of the inspector pool, written from the public input.
pub fn public_inspectors_text(input: &PublicInput) -> String {
    let mut s = String::new();
    write_inspectors_v3(&mut s, input).expect("writing to a string never fails");
    s
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
    commit_v3_public(input, server_seed, salt_key, at).map(|(c, _)| c)
}

/// [`commit_v3`], also returning the public input it hashed (`PublicInput::of(input,
/// salt_key)`): the caller that draws next can build the public variant from it with
/// `DrawRecord::public_variant_from` instead of salting and committing every candidate again.
pub fn commit_v3_public(
    input: &DrawInput,
    server_seed: &Bytes32,
    salt_key: &Bytes32,
    at: DateTime<Utc>,
) -> Result<(Commitment, PublicInput), BadInput> {
    input.validate()?;
    if input.v3.is_none() {
        return Err(BadInput {
            field: "v3".into(),
            invalid: crate::Invalid::new(
                "format",
                "lianjian-draw/3 的输入须含 v3 条款",
                "a lianjian-draw/3 input needs its v3 terms",
            ),
        });
    }
    let public = PublicInput::of(input, salt_key);
    check_inspector_order(&public)?;
    let commitment = Commitment {
        candidates_sha256: public_candidates_sha256(&public),
        inspectors_sha256: public_inspectors_sha256(&public),
        seed_sha256: super::v3::seed_commitment(server_seed),
        committed_at: at,
    };
    Ok((commitment, public))
}

/// [`commit`] or [`commit_v3`], as the input's format needs (the salt key from `seeds.v3`).
pub fn commit_seeds(
    input: &DrawInput,
    seeds: &Seeds,
    at: DateTime<Utc>,
) -> Result<Commitment, BadInput> {
    match (&input.v3, &seeds.v3) {
        (None, _) => commit(input, &seeds.server, at),
        (Some(_), Some(v3)) => commit_v3(input, &seeds.server, &v3.salt_key, at),
        (Some(_), None) => Err(BadInput {
            field: "seeds.v3".into(),
            invalid: crate::Invalid::new(
                "required",
                "lianjian-draw/3 的种子须含盐密钥等",
                "the seeds of a lianjian-draw/3 draw need their v3 part (salt key …)",
            ),
        }),
    }
}

/// `/3` inspectors are listed by identity commitment, strictly ascending (which also makes
/// the pseudonyms a function of the list).
pub(super) fn check_inspector_order(public: &PublicInput) -> Result<(), BadInput> {
    let xs = &public.inspectors;
    if let Some(k) =
        (1..xs.len()).find(|&k| xs[k - 1].identity_commitment >= xs[k].identity_commitment)
    {
        return Err(BadInput {
            field: format!("inspectors[{k}]"),
            invalid: crate::Invalid::new(
                "not_canonical",
                format!("检查人员须按身份承诺严格升序排列（第 {k} 项）"),
                format!(
                    "inspectors must be strictly ascending by identity commitment (at index {k})"
                ),
            ),
        });
    }
    Ok(())
}
