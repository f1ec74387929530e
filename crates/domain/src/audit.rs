//! The tamper-evident audit log (审计日志): each entry carries the SHA-256 of the previous one.
//!
//! The hash covers every field except `seq` (the storage order), so that a forger who
//! renumbers rows to make room for an inserted entry is still caught by the links. The exact
//! bytes hashed are specified in `docs/audit-log.md`; [`entry_hash`] is the reference.

use std::fmt;

use chrono::{DateTime, SecondsFormat, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::draw::ParseError;
use crate::evidence::{
    PublicKey, SignatureBytes, SigningKey, Timestamp, parse_json, sign_bytes, signature_valid,
};

/// `prev_hash` of the first entry.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// One entry as stored. `before`/`after` are JSON texts, kept byte-exact because they are hashed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEntry {
    pub seq: i64,
    pub id: Uuid,
    /// Truncated to microseconds (what both databases keep).
    pub at: DateTime<Utc>,
    pub actor_id: Option<Uuid>,
    pub actor_name: String,
    pub actor_role: Option<String>,
    pub department_id: Option<Uuid>,
    pub region_code: Option<String>,
    pub ip: Option<String>,
    pub action: String,
    pub object_type: String,
    pub object_id: Option<String>,
    pub before: Option<String>,
    pub after: Option<String>,
    pub prev_hash: String,
    pub hash: String,
}

/// The hashed form: fixed field order, `at` in RFC 3339 with microseconds.
#[derive(Serialize)]
struct Canonical<'a> {
    id: &'a Uuid,
    at: String,
    actor_id: &'a Option<Uuid>,
    actor_name: &'a str,
    actor_role: &'a Option<String>,
    department_id: &'a Option<Uuid>,
    region_code: &'a Option<String>,
    ip: &'a Option<String>,
    action: &'a str,
    object_type: &'a str,
    object_id: &'a Option<String>,
    before: &'a Option<String>,
    after: &'a Option<String>,
}

/// SHA-256 (hex) of `prev_hash`, a newline, and the canonical JSON of the entry.
pub fn entry_hash(e: &AuditEntry) -> String {
    let c = Canonical {
        id: &e.id,
        at: e.at.to_rfc3339_opts(SecondsFormat::Micros, true),
        actor_id: &e.actor_id,
        actor_name: &e.actor_name,
        actor_role: &e.actor_role,
        department_id: &e.department_id,
        region_code: &e.region_code,
        ip: &e.ip,
        action: &e.action,
        object_type: &e.object_type,
        object_id: &e.object_id,
        before: &e.before,
        after: &e.after,
    };
    let json = serde_json::to_vec(&c).expect("canonical entry serialises");
    let mut h = Sha256::new();
    h.update(e.prev_hash.as_bytes());
    h.update(b"\n");
    h.update(&json);
    hex::encode(h.finalize())
}

/// Time as the log keeps it: microseconds, so the hash survives a round trip through either database.
pub fn audit_time(t: DateTime<Utc>) -> DateTime<Utc> {
    use chrono::SubsecRound;
    t.trunc_subsecs(6)
}

/// The first sign of tampering found, in log order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Tamper {
    /// The entry's content no longer matches its own hash, or (if its hash was recomputed)
    /// the hash the next entry links to.
    Altered { seq: i64, id: Uuid },
    /// Entries with these sequence numbers are missing.
    Removed { from_seq: i64, to_seq: i64 },
    /// This entry was not written by the platform: nothing links to it.
    Inserted { seq: i64, id: Uuid },
    /// The chain is intact but shorter than a signed checkpoint says it was: entries were
    /// cut off the end, or the whole log was deleted and its head reset.
    Truncated { entries: u64, checkpoint_size: u64 },
    /// The entry at the checkpoint's position is not the one the checkpoint signed: the log up
    /// to it was rewritten (and re-chained) after the checkpoint was made.
    Rewritten { position: u64, seq: i64, id: Uuid },
}

impl fmt::Display for Tamper {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Tamper::Altered { seq, id } => {
                write!(f, "entry #{seq} ({id}) was altered / 第 {seq} 条记录被篡改")
            }
            Tamper::Removed { from_seq, to_seq } if from_seq == to_seq => {
                write!(
                    f,
                    "entry #{from_seq} was removed / 第 {from_seq} 条记录被删除"
                )
            }
            Tamper::Removed { from_seq, to_seq } => {
                write!(
                    f,
                    "entries #{from_seq}–#{to_seq} were removed / 第 {from_seq}–{to_seq} 条记录被删除"
                )
            }
            Tamper::Inserted { seq, id } => write!(
                f,
                "entry #{seq} ({id}) was inserted / 第 {seq} 条记录系伪造插入"
            ),
            Tamper::Truncated {
                entries,
                checkpoint_size,
            } => write!(
                f,
                "the log holds {entries} entries but a signed checkpoint recorded {checkpoint_size}: it was truncated or deleted / 日志仅有 {entries} 条，已签名的检查点记载了 {checkpoint_size} 条：日志被截断或删除"
            ),
            Tamper::Rewritten { position, seq, id } => write!(
                f,
                "entry #{seq} ({id}), the {position}th, is not the entry the signed checkpoint recorded there: the log was rewritten up to it / 第 {position} 条记录与已签名的检查点不符：日志被改写"
            ),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Link<'a> {
    seq: i64,
    id: Uuid,
    hash: &'a str,
}

/// The latest entry as recorded in the head row, updated in the same transaction as each append.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Head {
    pub seq: i64,
    pub hash: String,
}

/// Outcome of a clean verification.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Verified {
    pub entries: u64,
    pub last_seq: i64,
    pub head_hash: String,
}

/// Streams entries in `seq` order and finds the first break. Holds at most three entries, so
/// logs of any length verify in constant memory.
#[derive(Debug, Default)]
pub struct ChainVerifier {
    last: Option<AuditEntry>,
    before_last_hash: Option<String>,
    /// A self-consistent entry whose link is broken, awaiting the next entry to decide.
    suspect: Option<AuditEntry>,
    head_seen_at: Option<(i64, Uuid)>,
    head_hash: Option<String>,
    count: u64,
    /// A signed checkpoint's (size, head hash): the entry at that position must have that hash.
    anchor: Option<(u64, String)>,
}

impl ChainVerifier {
    /// `head` is the recorded head, if any; entries after it are insertions.
    pub fn new(head: Option<&Head>) -> Self {
        Self {
            head_hash: head.map(|h| h.hash.clone()),
            ..Self::default()
        }
    }

    /// Also checks the log against a signed checkpoint: at least `size` entries, the
    /// `size`-th (by position in the chain, not by `seq`) with hash `head_hash`.
    pub fn with_anchor(mut self, size: u64, head_hash: &str) -> Self {
        self.anchor = (size > 0).then(|| (size, head_hash.to_string()));
        self
    }

    fn last_hash(&self) -> &str {
        self.last.as_ref().map_or(GENESIS, |l| l.hash.as_str())
    }

    fn last_link(&self) -> Option<Link<'_>> {
        self.last.as_ref().map(|l| Link {
            seq: l.seq,
            id: l.id,
            hash: &l.hash,
        })
    }

    fn accept(&mut self, e: AuditEntry) {
        if self.head_seen_at.is_none()
            && let Some(h) = &self.head_hash
            && &e.prev_hash == h
        {
            self.head_seen_at = Some((e.seq, e.id));
        }
        // Before the first entry stands the genesis hash, so a forgery slipped in ahead of
        // entry 1 is recognised like any other insertion.
        self.before_last_hash = Some(
            self.last
                .take()
                .map_or_else(|| GENESIS.to_string(), |l| l.hash),
        );
        self.last = Some(e);
        self.count += 1;
    }

    pub fn push(&mut self, e: AuditEntry) -> Result<(), Tamper> {
        if let Some(s) = self.suspect.take() {
            if e.prev_hash == self.last_hash() {
                // The chain skips the suspect: nothing links to it.
                return Err(Tamper::Inserted {
                    seq: s.seq,
                    id: s.id,
                });
            }
            let last = self.last_link().map(|l| (l.seq, l.id));
            if e.prev_hash == s.hash {
                // The chain runs through the suspect, so what it linked to was rewritten.
                return Err(match last {
                    Some((seq, id)) => Tamper::Altered { seq, id },
                    None => Tamper::Altered {
                        seq: s.seq,
                        id: s.id,
                    },
                });
            }
            return Err(Tamper::Altered {
                seq: s.seq,
                id: s.id,
            });
        }
        if entry_hash(&e) != e.hash {
            return Err(Tamper::Altered {
                seq: e.seq,
                id: e.id,
            });
        }
        if e.prev_hash == self.last_hash() {
            let (seq, id, matches_anchor) = (
                e.seq,
                e.id,
                self.anchor
                    .as_ref()
                    .is_none_or(|(n, h)| *n != self.count + 1 || *h == e.hash),
            );
            self.accept(e);
            if !matches_anchor {
                return Err(Tamper::Rewritten {
                    position: self.count,
                    seq,
                    id,
                });
            }
            return Ok(());
        }
        // The link is broken but the entry is self-consistent.
        if let (Some(bl), Some(l)) = (&self.before_last_hash, self.last_link())
            && &e.prev_hash == bl
        {
            // It links past the previous entry: that one was slipped in.
            return Err(Tamper::Inserted {
                seq: l.seq,
                id: l.id,
            });
        }
        let expected_seq = self.last_link().map_or(1, |l| l.seq + 1);
        if e.seq > expected_seq {
            return Err(Tamper::Removed {
                from_seq: expected_seq,
                to_seq: e.seq - 1,
            });
        }
        self.suspect = Some(e);
        Ok(())
    }

    pub fn finish(self, head: Option<&Head>) -> Result<Verified, Tamper> {
        let last_seq = self.last_link().map_or(0, |l| l.seq);
        if let Some(s) = &self.suspect {
            return Err(match head {
                Some(h) if h.hash == self.last_hash() => Tamper::Inserted {
                    seq: s.seq,
                    id: s.id,
                },
                _ => match self.last_link() {
                    Some(l) => Tamper::Altered {
                        seq: l.seq,
                        id: l.id,
                    },
                    None => Tamper::Altered {
                        seq: s.seq,
                        id: s.id,
                    },
                },
            });
        }
        if let Some(h) = head
            && h.hash != self.last_hash()
        {
            if let Some((seq, id)) = self.head_seen_at {
                return Err(Tamper::Inserted { seq, id });
            }
            if h.seq > last_seq {
                return Err(Tamper::Removed {
                    from_seq: last_seq + 1,
                    to_seq: h.seq,
                });
            }
            if let Some(l) = self.last_link() {
                return Err(Tamper::Altered {
                    seq: l.seq,
                    id: l.id,
                });
            }
        }
        if let Some((n, _)) = &self.anchor
            && self.count < *n
        {
            return Err(Tamper::Truncated {
                entries: self.count,
                checkpoint_size: *n,
            });
        }
        Ok(Verified {
            entries: self.count,
            last_seq,
            head_hash: self.last_hash().to_string(),
        })
    }
}

/// Verifies a whole log held in memory (tests and small logs).
pub fn verify_all(
    entries: impl IntoIterator<Item = AuditEntry>,
    head: Option<&Head>,
) -> Result<Verified, Tamper> {
    let mut v = ChainVerifier::new(head);
    for e in entries {
        v.push(e)?;
    }
    v.finish(head)
}

/// First line of every signed audit checkpoint. It differs from the evidence log's, so a
/// signature over one kind of checkpoint never verifies as the other.
pub const CHECKPOINT_FORMAT: &str = "lianjian-audit-checkpoint/1";

/// The log's state at one moment: `size` entries, the last of them with hash `head_hash`
/// ([`GENESIS`] when empty). Signed as the exact bytes of [`AuditCheckpoint::signed_bytes`]:
/// five LF-terminated lines (format, origin, size, head hash, timestamp). See
/// `docs/audit-log.md`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditCheckpoint {
    pub origin: String,
    pub size: u64,
    pub head_hash: String,
    pub timestamp: Timestamp,
}

impl AuditCheckpoint {
    pub fn signed_bytes(&self) -> Vec<u8> {
        format!(
            "{CHECKPOINT_FORMAT}\n{}\n{}\n{}\n{}\n",
            self.origin, self.size, self.head_hash, self.timestamp
        )
        .into_bytes()
    }

    /// Signs with `key` (the evidence log's signing key; see `docs/audit-log.md`).
    pub fn sign(self, key: &SigningKey) -> SignedAuditCheckpoint {
        let (signature, public_key) = sign_bytes(key, &self.signed_bytes());
        SignedAuditCheckpoint {
            format: CHECKPOINT_FORMAT.to_string(),
            origin: self.origin,
            size: self.size,
            head_hash: self.head_hash,
            timestamp: self.timestamp,
            signature,
            public_key,
        }
    }
}

/// What `GET /api/v1/public/audit/checkpoint` returns, `lianjian audit checkpoint` writes and
/// `lianjian audit verify --since` reads: the checkpoint's fields, its signature and the public
/// key. No personal data: sizes, hashes and a time only.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SignedAuditCheckpoint {
    /// [`CHECKPOINT_FORMAT`].
    pub format: String,
    pub origin: String,
    pub size: u64,
    pub head_hash: String,
    pub timestamp: Timestamp,
    pub signature: SignatureBytes,
    pub public_key: PublicKey,
}

fn is_lower_hex_64(s: &str) -> bool {
    s.len() == 64 && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

impl SignedAuditCheckpoint {
    pub fn checkpoint(&self) -> AuditCheckpoint {
        AuditCheckpoint {
            origin: self.origin.clone(),
            size: self.size,
            head_hash: self.head_hash.clone(),
            timestamp: self.timestamp,
        }
    }

    /// Whether the signature is the public key's over the checkpoint's five lines.
    pub fn signature_valid(&self) -> bool {
        signature_valid(
            &self.public_key,
            &self.checkpoint().signed_bytes(),
            &self.signature,
        )
    }

    /// Reads a checkpoint, naming the JSON path of the first bad value. Only the canonical
    /// form is accepted: no unknown fields, lower-case hex, an origin that is one line.
    pub fn from_json(bytes: &[u8]) -> Result<Self, ParseError> {
        let c: SignedAuditCheckpoint = parse_json(bytes)?;
        let bad = |path: &str, message: String| ParseError {
            path: path.into(),
            message,
        };
        if c.format != CHECKPOINT_FORMAT {
            return Err(bad(
                "format",
                format!(
                    "unsupported format {:?}, expected {CHECKPOINT_FORMAT:?}",
                    c.format
                ),
            ));
        }
        let n = c.origin.chars().count();
        if n == 0
            || n > 128
            || c.origin.chars().any(char::is_control)
            || c.origin.trim() != c.origin
        {
            return Err(bad(
                "origin",
                "must be 1-128 characters on one line, without leading or trailing white space"
                    .into(),
            ));
        }
        if !is_lower_hex_64(&c.head_hash) {
            return Err(bad(
                "head_hash",
                format!("expected 64 lower-case hex digits, got {:?}", c.head_hash),
            ));
        }
        if c.size == 0 && c.head_hash != GENESIS {
            return Err(bad(
                "head_hash",
                "a checkpoint of an empty log must carry 64 zeros".into(),
            ));
        }
        let sig = serde_json::to_value(c.signature).expect("hex");
        let key = serde_json::to_value(c.public_key).expect("hex");
        let raw: serde_json::Value =
            serde_json::from_slice(bytes).map_err(|e| bad(".", e.to_string()))?;
        if raw.get("signature") != Some(&sig) {
            return Err(bad(
                "signature",
                "expected 128 lower-case hex digits".into(),
            ));
        }
        if raw.get("public_key") != Some(&key) {
            return Err(bad(
                "public_key",
                "expected 64 lower-case hex digits".into(),
            ));
        }
        Ok(c)
    }

    pub fn to_json_pretty(&self) -> String {
        serde_json::to_string_pretty(self).expect("checkpoints serialise")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chain(n: usize) -> Vec<AuditEntry> {
        let mut out: Vec<AuditEntry> = Vec::new();
        for i in 0..n {
            let prev = out.last().map_or(GENESIS.to_string(), |e| e.hash.clone());
            let mut e = AuditEntry {
                seq: i as i64 + 1,
                id: Uuid::now_v7(),
                at: audit_time(Utc::now()),
                actor_id: None,
                actor_name: "system".into(),
                actor_role: None,
                department_id: None,
                region_code: Some("37".into()),
                ip: None,
                action: "test.write".into(),
                object_type: "thing".into(),
                object_id: Some(i.to_string()),
                before: None,
                after: Some(format!("{{\"n\":{i}}}")),
                prev_hash: prev,
                hash: String::new(),
            };
            e.hash = entry_hash(&e);
            out.push(e);
        }
        out
    }

    fn head(v: &[AuditEntry]) -> Head {
        let l = v.last().unwrap();
        Head {
            seq: l.seq,
            hash: l.hash.clone(),
        }
    }

    fn forged(after: &AuditEntry, seq: i64) -> AuditEntry {
        let mut f = after.clone();
        f.id = Uuid::now_v7();
        f.seq = seq;
        f.action = "user.grant_admin".into();
        f.prev_hash = after.hash.clone();
        f.hash = entry_hash(&f);
        f
    }

    #[test]
    fn intact_chain_verifies() {
        let c = chain(10);
        let h = head(&c);
        let v = verify_all(c, Some(&h)).unwrap();
        assert_eq!(v.entries, 10);
        assert_eq!(v.last_seq, 10);
        assert_eq!(verify_all(Vec::new(), None).unwrap().entries, 0);
    }

    #[test]
    fn edited_content_is_altered() {
        let mut c = chain(10);
        let h = head(&c);
        c[4].after = Some("{\"n\":999}".into());
        assert_eq!(
            verify_all(c.clone(), Some(&h)),
            Err(Tamper::Altered {
                seq: 5,
                id: c[4].id
            })
        );
    }

    #[test]
    fn edited_and_rehashed_is_altered() {
        let mut c = chain(10);
        let h = head(&c);
        c[4].after = Some("{\"n\":999}".into());
        c[4].hash = entry_hash(&c[4]);
        assert_eq!(
            verify_all(c.clone(), Some(&h)),
            Err(Tamper::Altered {
                seq: 5,
                id: c[4].id
            })
        );
    }

    #[test]
    fn removed_anywhere_is_found() {
        for k in [0usize, 4, 9] {
            let mut c = chain(10);
            let h = head(&c);
            c.remove(k);
            let seq = k as i64 + 1;
            assert_eq!(
                verify_all(c, Some(&h)),
                Err(Tamper::Removed {
                    from_seq: seq,
                    to_seq: seq
                }),
                "k={k}"
            );
        }
    }

    #[test]
    fn inserted_with_renumbering_is_found() {
        let c = chain(10);
        let h = head(&c);
        let f = forged(&c[3], 5);
        let mut t: Vec<_> = c[..4].to_vec();
        t.push(f.clone());
        for e in &c[4..] {
            let mut e = e.clone();
            e.seq += 1;
            t.push(e);
        }
        assert_eq!(
            verify_all(t, Some(&h)),
            Err(Tamper::Inserted { seq: 5, id: f.id })
        );
    }

    #[test]
    fn inserted_with_a_broken_link_is_found() {
        let c = chain(10);
        let h = head(&c);
        let mut f = forged(&c[3], 5);
        f.prev_hash = "ab".repeat(32);
        f.hash = entry_hash(&f);
        let mut t: Vec<_> = c[..4].to_vec();
        t.push(f.clone());
        for e in &c[4..] {
            let mut e = e.clone();
            e.seq += 1;
            t.push(e);
        }
        assert_eq!(
            verify_all(t, Some(&h)),
            Err(Tamper::Inserted { seq: 5, id: f.id })
        );
    }

    #[test]
    fn inserted_before_the_first_entry_is_found() {
        let c = chain(5);
        let h = head(&c);
        let mut f = c[0].clone();
        f.id = Uuid::now_v7();
        f.prev_hash = GENESIS.to_string();
        f.hash = entry_hash(&f);
        let mut t = vec![f.clone()];
        for e in &c {
            let mut e = e.clone();
            e.seq += 1;
            t.push(e);
        }
        assert_eq!(
            verify_all(t, Some(&h)),
            Err(Tamper::Inserted { seq: 1, id: f.id })
        );
    }

    #[test]
    fn entries_behind_an_empty_head_are_insertions() {
        let c = chain(2);
        let genesis = Head {
            seq: 0,
            hash: GENESIS.to_string(),
        };
        assert_eq!(
            verify_all(c.clone(), Some(&genesis)),
            Err(Tamper::Inserted {
                seq: 1,
                id: c[0].id
            })
        );
    }

    #[test]
    fn appended_after_head_is_found() {
        let mut c = chain(10);
        let h = head(&c);
        let f = forged(&c[9], 11);
        c.push(f.clone());
        assert_eq!(
            verify_all(c, Some(&h)),
            Err(Tamper::Inserted { seq: 11, id: f.id })
        );
    }

    fn anchor_of(c: &[AuditEntry], n: usize) -> (u64, String) {
        (n as u64, c[n - 1].hash.clone())
    }

    #[test]
    fn anchored_log_that_grew_verifies() {
        let c = chain(10);
        let h = head(&c);
        let (n, hash) = anchor_of(&c, 6);
        let mut v = ChainVerifier::new(Some(&h)).with_anchor(n, &hash);
        for e in c {
            v.push(e).unwrap();
        }
        assert_eq!(v.finish(Some(&h)).unwrap().entries, 10);
    }

    #[test]
    fn truncated_or_deleted_log_is_caught_by_the_anchor() {
        let c = chain(10);
        let (n, hash) = anchor_of(&c, 8);
        // Cut to 5 entries and the head reset to the 5th: the chain alone is intact.
        let cut = c[..5].to_vec();
        let h = head(&cut);
        assert!(verify_all(cut.clone(), Some(&h)).is_ok());
        let mut v = ChainVerifier::new(Some(&h)).with_anchor(n, &hash);
        for e in cut {
            v.push(e).unwrap();
        }
        assert_eq!(
            v.finish(Some(&h)),
            Err(Tamper::Truncated {
                entries: 5,
                checkpoint_size: 8
            })
        );
        let genesis = Head {
            seq: 0,
            hash: GENESIS.into(),
        };
        let v = ChainVerifier::new(None).with_anchor(n, &hash);
        assert_eq!(
            v.finish(Some(&genesis)),
            Err(Tamper::Truncated {
                entries: 0,
                checkpoint_size: 8
            })
        );
    }

    #[test]
    fn rewritten_and_rechained_log_is_caught_by_the_anchor() {
        let c = chain(10);
        let (n, hash) = anchor_of(&c, 7);
        // Entry 3 edited and every later hash recomputed: a self-consistent forgery.
        let mut forged = c.clone();
        forged[2].after = Some("{\"n\":999}".into());
        for i in 2..forged.len() {
            if i > 2 {
                forged[i].prev_hash = forged[i - 1].hash.clone();
            }
            forged[i].hash = entry_hash(&forged[i]);
        }
        let h = head(&forged);
        assert!(verify_all(forged.clone(), Some(&h)).is_ok());
        let mut v = ChainVerifier::new(Some(&h)).with_anchor(n, &hash);
        let mut found = None;
        for e in forged.clone() {
            if let Err(t) = v.push(e) {
                found = Some(t);
                break;
            }
        }
        assert_eq!(
            found,
            Some(Tamper::Rewritten {
                position: 7,
                seq: 7,
                id: forged[6].id
            })
        );
    }

    fn key() -> SigningKey {
        SigningKey::from_bytes(&[7u8; 32])
    }

    fn signed() -> SignedAuditCheckpoint {
        AuditCheckpoint {
            origin: "lianjian/audit".into(),
            size: 42,
            head_hash: "ab".repeat(32),
            timestamp: Timestamp::parse("2026-12-06T05:00:00.123456Z").unwrap(),
        }
        .sign(&key())
    }

    #[test]
    fn checkpoint_round_trips_and_its_signature_covers_every_field() {
        let s = signed();
        assert!(s.signature_valid());
        let back = SignedAuditCheckpoint::from_json(s.to_json_pretty().as_bytes()).unwrap();
        assert_eq!(back, s);
        assert_eq!(
            String::from_utf8(s.checkpoint().signed_bytes()).unwrap(),
            format!(
                "lianjian-audit-checkpoint/1\nlianjian/audit\n42\n{}\n2026-12-06T05:00:00.123456Z\n",
                "ab".repeat(32)
            )
        );
        let mut t = s.clone();
        t.size = 41;
        assert!(!t.signature_valid());
        let mut t = s.clone();
        t.head_hash = "cd".repeat(32);
        assert!(!t.signature_valid());
        let mut t = s.clone();
        t.origin = "other".into();
        assert!(!t.signature_valid());
        let mut t = s;
        t.timestamp = Timestamp::parse("2026-12-06T05:00:01.123456Z").unwrap();
        assert!(!t.signature_valid());
    }

    #[test]
    fn checkpoint_reading_names_the_bad_field() {
        let good: serde_json::Value = serde_json::to_value(signed()).unwrap();
        let cases: [(&str, serde_json::Value); 6] = [
            (
                "format",
                serde_json::json!("lianjian-evidence-checkpoint/1"),
            ),
            ("head_hash", serde_json::json!("AB".repeat(32))),
            ("origin", serde_json::json!("two\nlines")),
            ("size", serde_json::json!(-1)),
            ("timestamp", serde_json::json!("2026-12-06T05:00:00Z")),
            ("signature", serde_json::json!("zz")),
        ];
        for (field, value) in cases {
            let mut v = good.clone();
            v[field] = value;
            let e = SignedAuditCheckpoint::from_json(v.to_string().as_bytes()).unwrap_err();
            assert_eq!(e.path, field, "{e}");
        }
        let mut v = good.clone();
        v["extra"] = serde_json::json!(1);
        assert!(SignedAuditCheckpoint::from_json(v.to_string().as_bytes()).is_err());
        let mut v = good;
        v.as_object_mut().unwrap().remove("public_key");
        assert_eq!(
            SignedAuditCheckpoint::from_json(v.to_string().as_bytes())
                .unwrap_err()
                .path,
            "public_key"
        );
    }
}
