//! Evidence mutual recognition (证据互认, 国办发〔2023〕1号 (十五)): evidence that one department
//! collects, another department can accept without trusting the collector's database. Every
//! evidence file is committed to by a canonical *leaf* ([`Entry`]) appended to an append-only
//! Merkle log in the style of Certificate Transparency (RFC 6962 / RFC 9162, [`merkle`]); the
//! log's state is published as Ed25519-signed [`Checkpoint`]s; a [`ProofDocument`] carries an
//! entry, its inclusion proof and the signed checkpoint, and [`verify`] checks a file against
//! it offline (`lianjian evidence verify`). Consistency proofs ([`ConsistencyProof`]) show that
//! a later checkpoint extends an earlier one, i.e. that nothing logged was rewritten.
//!
//! Every byte that is hashed or signed is specified in `docs/evidence.md`, with a worked
//! example this module's tests reproduce ([`example`]). Pure: no IO, no clock, no randomness
//! (the service generates the signing key and reads the time).

pub mod media;
pub mod merkle;

#[cfg(test)]
mod tests;

use std::fmt;

use chrono::{DateTime, SecondsFormat, SubsecRound, Utc};
use ed25519_dalek::Signer;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use sha2::{Digest, Sha256};

pub use ed25519_dalek::SigningKey;
pub use media::{MediaType, check_upload, sniff};
pub use merkle::{Hash, MemoryTree, NodeId};

use crate::draw::{Bytes32, ParseError, lower_hex};

/// First field of every canonical leaf.
pub const LEAF_FORMAT: &str = "lianjian-evidence-leaf/1";
/// First line of every signed checkpoint.
pub const CHECKPOINT_FORMAT: &str = "lianjian-evidence-checkpoint/1";
/// `format` of every proof document.
pub const PROOF_FORMAT: &str = "lianjian-evidence-proof/1";
/// `format` of every consistency proof document.
pub const CONSISTENCY_FORMAT: &str = "lianjian-evidence-consistency/1";

/// SHA-256 of a file.
pub fn sha256(bytes: &[u8]) -> Hash {
    Bytes32(Sha256::digest(bytes).into())
}

/// A UTC instant with microsecond precision, written exactly as `2026-12-06T05:00:00.123456Z`
/// (always six fractional digits, always `Z`), so that a leaf or checkpoint has one byte form.
/// Reading accepts only that form.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(DateTime<Utc>);

impl Timestamp {
    /// Truncates to microseconds (what PostgreSQL and the audit log keep).
    pub fn new(t: DateTime<Utc>) -> Self {
        Self(t.trunc_subsecs(6))
    }

    pub fn get(self) -> DateTime<Utc> {
        self.0
    }

    pub fn parse(s: &str) -> Result<Self, String> {
        let t = DateTime::parse_from_rfc3339(s)
            .map_err(|e| format!("not a timestamp {s:?}: {e}"))?
            .with_timezone(&Utc);
        let t = Self(t);
        if t.to_string() != s {
            return Err(format!(
                "timestamp {s:?} is not in the canonical form YYYY-MM-DDTHH:MM:SS.ffffffZ (UTC, six fractional digits)"
            ));
        }
        Ok(t)
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0.to_rfc3339_opts(SecondsFormat::Micros, true))
    }
}

impl Serialize for Timestamp {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_string())
    }
}

impl<'de> Deserialize<'de> for Timestamp {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Self::parse(&s).map_err(serde::de::Error::custom)
    }
}

/// What an evidence entry commits to. Its canonical leaf ([`Entry::leaf`]) is the UTF-8 line
/// `lianjian-evidence-leaf/1 TAB sha256 TAB size TAB media_type TAB appended_at LF`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Entry {
    /// SHA-256 of the file, 64 lower-case hex digits.
    pub sha256: Hash,
    /// Bytes.
    pub size: u64,
    pub media_type: MediaType,
    /// When the platform appended the entry (its statement; see `docs/evidence.md`).
    pub appended_at: Timestamp,
}

impl Entry {
    /// The exact bytes of the leaf.
    pub fn leaf(&self) -> Vec<u8> {
        format!(
            "{LEAF_FORMAT}\t{}\t{}\t{}\t{}\n",
            self.sha256, self.size, self.media_type, self.appended_at
        )
        .into_bytes()
    }

    pub fn leaf_hash(&self) -> Hash {
        merkle::leaf_hash(&self.leaf())
    }
}

/// The Ed25519 public key checkpoints are signed with, as 64 hex digits.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct PublicKey(pub ed25519_dalek::VerifyingKey);

impl PublicKey {
    pub fn to_hex(&self) -> String {
        hex::encode(self.0.as_bytes())
    }

    pub fn from_hex(s: &str) -> Result<Self, String> {
        let mut b = [0u8; 32];
        hex::decode_to_slice(s.trim(), &mut b)
            .map_err(|_| format!("expected 64 hex digits (an Ed25519 public key), got {s:?}"))?;
        ed25519_dalek::VerifyingKey::from_bytes(&b)
            .map(PublicKey)
            .map_err(|_| format!("{s:?} is not a valid Ed25519 public key"))
    }

    /// `SHA256:` and the first 16 hex digits of SHA-256 of the 32 key bytes: short enough to
    /// read out over the phone when departments exchange trusted keys.
    pub fn fingerprint(&self) -> String {
        format!("SHA256:{}", &sha256(self.0.as_bytes()).to_hex()[..16])
    }
}

impl fmt::Display for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_hex())
    }
}

impl fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PublicKey({})", self.to_hex())
    }
}

impl Serialize for PublicKey {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_hex())
    }
}

impl<'de> Deserialize<'de> for PublicKey {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        lower_hex(&s, 64).map_err(serde::de::Error::custom)?;
        Self::from_hex(&s).map_err(serde::de::Error::custom)
    }
}

/// An Ed25519 signature, 128 hex digits.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct SignatureBytes(pub [u8; 64]);

impl SignatureBytes {
    pub fn to_hex(&self) -> String {
        hex::encode(self.0)
    }

    pub fn from_hex(s: &str) -> Result<Self, String> {
        let mut b = [0u8; 64];
        hex::decode_to_slice(s, &mut b)
            .map_err(|_| format!("expected 128 hex digits (an Ed25519 signature), got {s:?}"))?;
        Ok(Self(b))
    }
}

impl fmt::Debug for SignatureBytes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Signature({})", self.to_hex())
    }
}

impl Serialize for SignatureBytes {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_hex())
    }
}

impl<'de> Deserialize<'de> for SignatureBytes {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        lower_hex(&s, 128).map_err(serde::de::Error::custom)?;
        Self::from_hex(&s).map_err(serde::de::Error::custom)
    }
}

/// The log's state at one size. Signed as the exact bytes of [`Checkpoint::signed_bytes`]:
/// five LF-terminated lines — the format tag, the origin (the log's name), the tree size in
/// decimal, the root hash in lower-case hex, the timestamp.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Checkpoint {
    pub origin: String,
    pub tree_size: u64,
    pub root_hash: Hash,
    pub timestamp: Timestamp,
}

/// Checks a log name: 1–128 characters, no control characters (it is one line of the signed
/// text).
pub fn origin(s: &str) -> Result<String, crate::Invalid> {
    let o = crate::error::bounded_text(s, 1, 128, "证据日志名称", "evidence log name")?;
    if o != s {
        return Err(crate::Invalid::new(
            "whitespace",
            "证据日志名称首尾不能有空白",
            "evidence log name must not start or end with white space",
        ));
    }
    Ok(o)
}

impl Checkpoint {
    pub fn signed_bytes(&self) -> Vec<u8> {
        format!(
            "{CHECKPOINT_FORMAT}\n{}\n{}\n{}\n{}\n",
            self.origin, self.tree_size, self.root_hash, self.timestamp
        )
        .into_bytes()
    }

    /// Signs with `key`; the public key travels with the signature.
    pub fn sign(self, key: &SigningKey) -> SignedCheckpoint {
        let sig = key.sign(&self.signed_bytes());
        SignedCheckpoint {
            checkpoint: self,
            signature: SignatureBytes(sig.to_bytes()),
            public_key: PublicKey(key.verifying_key()),
        }
    }
}

/// A checkpoint with its Ed25519 signature and the public key to check it with.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "SignedCheckpointJson")]
pub struct SignedCheckpoint {
    #[serde(flatten)]
    pub checkpoint: Checkpoint,
    pub signature: SignatureBytes,
    pub public_key: PublicKey,
}

/// The JSON form read strictly: serde cannot refuse unknown fields of a flattened struct, so
/// the fields are read flat here (unknown ones refused) and the origin checked as the signed
/// text requires (`docs/evidence.md`, "Checkpoint").
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SignedCheckpointJson {
    origin: String,
    tree_size: u64,
    root_hash: Hash,
    timestamp: Timestamp,
    signature: SignatureBytes,
    public_key: PublicKey,
}

impl TryFrom<SignedCheckpointJson> for SignedCheckpoint {
    type Error = String;

    fn try_from(j: SignedCheckpointJson) -> Result<Self, String> {
        origin(&j.origin).map_err(|e| format!("origin {:?}: {}", j.origin, e.en))?;
        Ok(Self {
            checkpoint: Checkpoint {
                origin: j.origin,
                tree_size: j.tree_size,
                root_hash: j.root_hash,
                timestamp: j.timestamp,
            },
            signature: j.signature,
            public_key: j.public_key,
        })
    }
}

impl SignedCheckpoint {
    /// Whether the signature is the public key's over the checkpoint's bytes (strict Ed25519:
    /// no small-order keys, no malleable signatures).
    pub fn signature_valid(&self) -> bool {
        let sig = ed25519_dalek::Signature::from_bytes(&self.signature.0);
        self.public_key
            .0
            .verify_strict(&self.checkpoint.signed_bytes(), &sig)
            .is_ok()
    }
}

/// What `GET …/evidence/{sha256}/proof` returns and `lianjian evidence verify` reads.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProofDocument {
    /// [`PROOF_FORMAT`].
    pub format: String,
    pub entry: Entry,
    /// Position of the entry's leaf in the log, from 0.
    pub leaf_index: u64,
    /// Size of the tree the audit path is for; equal to the checkpoint's.
    pub tree_size: u64,
    /// RFC 9162 inclusion proof, leaf side first, lower-case hex.
    pub audit_path: Vec<Hash>,
    pub checkpoint: SignedCheckpoint,
}

fn parse_json<T: serde::de::DeserializeOwned>(bytes: &[u8]) -> Result<T, ParseError> {
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

impl ProofDocument {
    /// Reads a proof, naming the JSON path of the first bad value (`checkpoint.signature`).
    pub fn from_json(bytes: &[u8]) -> Result<Self, ParseError> {
        let p: ProofDocument = parse_json(bytes)?;
        if p.format != PROOF_FORMAT {
            return Err(ParseError {
                path: "format".into(),
                message: format!(
                    "unsupported format {:?}, expected {PROOF_FORMAT:?}",
                    p.format
                ),
            });
        }
        Ok(p)
    }

    pub fn to_json_pretty(&self) -> String {
        serde_json::to_string_pretty(self).expect("proofs serialise")
    }
}

/// A proof that checkpoint `second` extends checkpoint `first` (RFC 9162 §2.1.4).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConsistencyProof {
    /// [`CONSISTENCY_FORMAT`].
    pub format: String,
    pub first: SignedCheckpoint,
    pub second: SignedCheckpoint,
    pub path: Vec<Hash>,
}

impl ConsistencyProof {
    pub fn from_json(bytes: &[u8]) -> Result<Self, ParseError> {
        let p: ConsistencyProof = parse_json(bytes)?;
        if p.format != CONSISTENCY_FORMAT {
            return Err(ParseError {
                path: "format".into(),
                message: format!(
                    "unsupported format {:?}, expected {CONSISTENCY_FORMAT:?}",
                    p.format
                ),
            });
        }
        Ok(p)
    }

    /// Both signatures, the same origin, and the RFC 9162 consistency check.
    pub fn verify(&self) -> Result<(), Mismatch> {
        for c in [&self.first, &self.second] {
            if !c.signature_valid() {
                return Err(Mismatch::Signature {
                    fingerprint: c.public_key.fingerprint(),
                    tree_size: c.checkpoint.tree_size,
                });
            }
        }
        let (a, b) = (&self.first.checkpoint, &self.second.checkpoint);
        if a.origin != b.origin {
            return Err(Mismatch::Origin {
                first: a.origin.clone(),
                second: b.origin.clone(),
            });
        }
        if merkle::verify_consistency(
            a.tree_size,
            b.tree_size,
            &a.root_hash,
            &b.root_hash,
            &self.path,
        ) {
            Ok(())
        } else {
            Err(Mismatch::Consistency {
                first: a.tree_size,
                second: b.tree_size,
            })
        }
    }
}

/// A file and proof that check out.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Summary {
    pub sha256: Hash,
    pub size: u64,
    pub media_type: MediaType,
    pub appended_at: Timestamp,
    pub leaf_index: u64,
    pub tree_size: u64,
    pub root_hash: Hash,
    pub origin: String,
    pub checkpoint_time: Timestamp,
    pub public_key: PublicKey,
    pub key_fingerprint: String,
}

/// The first thing that does not check out, in the order [`verify`] checks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Mismatch {
    /// The file's SHA-256 is not the entry's: the file was altered (or is another file).
    FileHash {
        recorded: Hash,
        computed: Hash,
    },
    FileSize {
        recorded: u64,
        actual: u64,
    },
    /// The file's content is not of the entry's media type.
    MediaType {
        recorded: MediaType,
        sniffed: Option<MediaType>,
    },
    /// `--key` named another key than the one the checkpoint was signed with.
    UntrustedKey {
        trusted: String,
        found: String,
    },
    /// The checkpoint's signature does not verify under its public key: the checkpoint
    /// (origin, size, root, time) or the signature was altered.
    Signature {
        fingerprint: String,
        tree_size: u64,
    },
    /// The proof's tree size is not the checkpoint's.
    TreeSize {
        proof: u64,
        checkpoint: u64,
    },
    /// The leaf index is not inside the tree.
    LeafIndex {
        index: u64,
        tree_size: u64,
    },
    /// The audit path has the wrong number of hashes for this index and size.
    PathLength {
        expected: usize,
        found: usize,
    },
    /// The entry and audit path lead to another root than the signed one.
    Inclusion {
        computed: Hash,
        signed: Hash,
    },
    /// Two checkpoints of a consistency proof name different logs.
    Origin {
        first: String,
        second: String,
    },
    /// The consistency path does not show that the second tree extends the first.
    Consistency {
        first: u64,
        second: u64,
    },
}

fn media_text(m: &Option<MediaType>) -> String {
    m.map_or("none of the allowed types / 非允许类型".into(), |m| {
        m.to_string()
    })
}

impl fmt::Display for Mismatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Mismatch::FileHash { recorded, computed } => write!(
                f,
                "文件哈希不符，文件已被改动或不是该证据 / file hash differs: the proof's entry has sha256 {recorded}, the file has {computed}"
            ),
            Mismatch::FileSize { recorded, actual } => write!(
                f,
                "文件大小不符 / file size differs: entry {recorded} bytes, file {actual} bytes"
            ),
            Mismatch::MediaType { recorded, sniffed } => write!(
                f,
                "文件类型不符 / media type differs: entry {recorded}, file content {}",
                media_text(sniffed)
            ),
            Mismatch::UntrustedKey { trusted, found } => write!(
                f,
                "检查点不是由受信任的公钥签名 / checkpoint is not signed by the trusted key: trusted {trusted}, found {found}"
            ),
            Mismatch::Signature {
                fingerprint,
                tree_size,
            } => write!(
                f,
                "检查点签名无效（检查点或签名被改动） / checkpoint signature does NOT verify (checkpoint of size {tree_size}, key {fingerprint}): the checkpoint or its signature was altered"
            ),
            Mismatch::TreeSize { proof, checkpoint } => write!(
                f,
                "证明的树大小与检查点不符 / tree size differs: proof {proof}, checkpoint {checkpoint}"
            ),
            Mismatch::LeafIndex { index, tree_size } => write!(
                f,
                "叶子序号超出日志范围 / leaf index {index} is outside a tree of {tree_size} leaves"
            ),
            Mismatch::PathLength { expected, found } => write!(
                f,
                "包含证明路径长度不符 / inclusion path has {found} hashes, expected {expected}"
            ),
            Mismatch::Inclusion { computed, signed } => write!(
                f,
                "包含证明不成立（条目、叶子序号或路径被改动） / inclusion proof does NOT verify: entry and audit path lead to root {computed}, the signed root is {signed}"
            ),
            Mismatch::Origin { first, second } => write!(
                f,
                "两个检查点来自不同的日志 / checkpoints are of different logs: {first:?} and {second:?}"
            ),
            Mismatch::Consistency { first, second } => write!(
                f,
                "一致性证明不成立 / consistency proof does NOT verify: the tree of {second} leaves is not shown to extend the tree of {first}"
            ),
        }
    }
}

impl std::error::Error for Mismatch {}

/// Checks `file` against `proof`: the file's hash, size and type against the entry; the
/// checkpoint's signature (against `trusted` too, when given); the tree size and leaf index;
/// then that the entry's leaf and the audit path lead to the signed root.
pub fn verify_with_key(
    file: &[u8],
    proof: &ProofDocument,
    trusted: Option<&PublicKey>,
) -> Result<Summary, Mismatch> {
    let e = &proof.entry;
    let computed = sha256(file);
    if computed != e.sha256 {
        return Err(Mismatch::FileHash {
            recorded: e.sha256,
            computed,
        });
    }
    if file.len() as u64 != e.size {
        return Err(Mismatch::FileSize {
            recorded: e.size,
            actual: file.len() as u64,
        });
    }
    let sniffed = sniff(file);
    let same_family = matches!(
        (sniffed, e.media_type),
        (Some(MediaType::Heic), MediaType::Heif) | (Some(MediaType::Heif), MediaType::Heic)
    );
    if sniffed != Some(e.media_type) && !same_family {
        return Err(Mismatch::MediaType {
            recorded: e.media_type,
            sniffed,
        });
    }
    let c = &proof.checkpoint;
    if let Some(t) = trusted
        && *t != c.public_key
    {
        return Err(Mismatch::UntrustedKey {
            trusted: t.fingerprint(),
            found: c.public_key.fingerprint(),
        });
    }
    if !c.signature_valid() {
        return Err(Mismatch::Signature {
            fingerprint: c.public_key.fingerprint(),
            tree_size: c.checkpoint.tree_size,
        });
    }
    let size = c.checkpoint.tree_size;
    if proof.tree_size != size {
        return Err(Mismatch::TreeSize {
            proof: proof.tree_size,
            checkpoint: size,
        });
    }
    if proof.leaf_index >= size {
        return Err(Mismatch::LeafIndex {
            index: proof.leaf_index,
            tree_size: size,
        });
    }
    let expected = merkle::inclusion_ranges(proof.leaf_index, size).len();
    if proof.audit_path.len() != expected {
        return Err(Mismatch::PathLength {
            expected,
            found: proof.audit_path.len(),
        });
    }
    let leaf = e.leaf_hash();
    let root = merkle::root_from_inclusion(&leaf, proof.leaf_index, size, &proof.audit_path)
        .expect("index and path length were checked");
    if root != c.checkpoint.root_hash {
        return Err(Mismatch::Inclusion {
            computed: root,
            signed: c.checkpoint.root_hash,
        });
    }
    Ok(Summary {
        sha256: e.sha256,
        size: e.size,
        media_type: e.media_type,
        appended_at: e.appended_at,
        leaf_index: proof.leaf_index,
        tree_size: size,
        root_hash: root,
        origin: c.checkpoint.origin.clone(),
        checkpoint_time: c.checkpoint.timestamp,
        public_key: c.public_key,
        key_fingerprint: c.public_key.fingerprint(),
    })
}

/// [`verify_with_key`] accepting whatever key signed the checkpoint (the summary names it:
/// compare its fingerprint with the one the issuing department published).
pub fn verify(file: &[u8], proof: &ProofDocument) -> Result<Summary, Mismatch> {
    verify_with_key(file, proof, None)
}

/// The worked example of `docs/evidence.md`: three tiny files appended to a log signed with a
/// fixed key. Tests pin its numbers and the document quotes them.
pub mod example {
    use super::*;

    /// Not a secret: the example's Ed25519 seed (32 bytes of 0x01).
    pub const SEED: [u8; 32] = [1u8; 32];
    pub const ORIGIN: &str = "example.lianjian/evidence";

    pub fn key() -> SigningKey {
        SigningKey::from_bytes(&SEED)
    }

    /// A minimal PNG signature, a JPEG start and a PDF header: enough for the sniffer.
    pub fn files() -> Vec<Vec<u8>> {
        vec![
            b"\x89PNG\r\n\x1a\nexample photo 1".to_vec(),
            b"\xff\xd8\xff\xe0example photo 2".to_vec(),
            b"%PDF-1.7\nexample record\n".to_vec(),
        ]
    }

    pub fn time(k: u32) -> Timestamp {
        Timestamp::parse(&format!("2026-12-06T08:0{k}:00.000000Z")).expect("canonical")
    }

    pub fn entries() -> Vec<Entry> {
        files()
            .iter()
            .enumerate()
            .map(|(k, f)| Entry {
                sha256: sha256(f),
                size: f.len() as u64,
                media_type: sniff(f).expect("allowed type"),
                appended_at: time(k as u32),
            })
            .collect()
    }

    pub fn tree() -> MemoryTree {
        MemoryTree::from_leaves(entries().iter().map(Entry::leaf_hash))
    }

    pub fn checkpoint() -> SignedCheckpoint {
        let t = tree();
        Checkpoint {
            origin: ORIGIN.into(),
            tree_size: t.len(),
            root_hash: t.root(t.len()),
            timestamp: time(5),
        }
        .sign(&key())
    }

    /// The proof of file `k` at the example's checkpoint.
    pub fn proof(k: usize) -> ProofDocument {
        let t = tree();
        ProofDocument {
            format: PROOF_FORMAT.into(),
            entry: entries()[k].clone(),
            leaf_index: k as u64,
            tree_size: t.len(),
            audit_path: t.inclusion(k as u64, t.len()),
            checkpoint: checkpoint(),
        }
    }
}
