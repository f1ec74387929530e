//! Data sharing between instances (信息互通共享, 国办发〔2023〕1号 (十六); 鲁 task 21): a deployment
//! is a tree of instances (province, cities, counties), each with its own database, exchanging
//! what the share catalogue (共享目录) allows over NATS JetStream.
//!
//! Pure: instance identities, the share catalogue's values and lifecycle, the signed message
//! (the envelope every message carries, versioned), field masking by confidentiality, and the
//! message log's hash chain, which `lianjian sharing verify` recomputes offline.

use chrono::{DateTime, Utc};
use ed25519_dalek::SigningKey;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::Invalid;
use crate::directory::labelled_enum;
use crate::evidence::{PublicKey, SignatureBytes, sha256, sign_bytes, signature_valid};
use crate::lifecycle::lifecycle;

/// The message schema this version writes and reads (the envelope's `schema`).
pub const SCHEMA: &str = "lianjian-sharing/1";

/// The largest message accepted from a link, checked before parsing.
pub const MAX_MESSAGE_BYTES: usize = 256 * 1024;

labelled_enum!(
    /// An instance's administrative level (层级).
    InstanceLevel {
        Province = "province" / "省级",
        City = "city" / "市级",
        County = "county" / "县级",
    }
);

labelled_enum!(
    /// Which way a share flows: up to the upper level, down (数据回流) or to a peer.
    Direction {
        Up = "up" / "向上报送",
        Down = "down" / "数据回流",
        Peer = "peer" / "平级共享",
    }
);

labelled_enum!(
    /// What a share carries. [`DataKind::flows`] says which kinds this version produces; the
    /// others can be catalogued (and approved) but have no producer yet.
    DataKind {
        DirectoryChanges = "directory_changes" / "名录变更",
        AuditCheckpoints = "audit_checkpoints" / "审计检查点",
        CreditClasses = "credit_classes" / "信用风险分类",
        VisitResults = "visit_results" / "检查结果",
        Rectification = "rectification" / "整改情况",
        CluesTransferred = "clues_transferred" / "移送线索",
        Sanctions = "sanctions" / "联合惩戒",
        Penalties = "penalties" / "行政处罚",
        Warnings = "warnings" / "风险预警",
    }
);

impl DataKind {
    /// Whether this version produces messages of this kind.
    pub fn flows(self) -> bool {
        matches!(
            self,
            DataKind::DirectoryChanges
                | DataKind::AuditCheckpoints
                | DataKind::VisitResults
                | DataKind::Rectification
                | DataKind::Sanctions
                | DataKind::Penalties
        )
    }

    /// The fields a `Public` share keeps of this kind's records: what the public portal may
    /// show of them (ARCHITECTURE.md: results, penalties and their subjects are public;
    /// inspectors' identities, personal contacts and credit classes are not).
    pub fn public_fields(self) -> &'static [&'static str] {
        match self {
            DataKind::VisitResults => &[
                "id",
                "code",
                "usci",
                "entity_name",
                "region_code",
                "status",
                "visited_on",
                "published_at",
                "results",
            ],
            DataKind::Rectification => &[
                "id",
                "code",
                "visit_code",
                "usci",
                "entity_name",
                "region_code",
                "status",
                "deadline",
                "closed_at",
            ],
            DataKind::Penalties => &[
                "id",
                "usci",
                "entity_name",
                "region_code",
                "occurred_on",
                "reference",
                "title",
                "legal_basis",
                "status",
            ],
            DataKind::Sanctions => &[
                "id",
                "code",
                "usci",
                "entity_name",
                "region_code",
                "reason",
                "legal_basis",
                "starts_on",
                "ends_on",
                "status",
                "measures",
            ],
            _ => PUBLIC_FIELDS,
        }
    }
}

labelled_enum!(
    /// How the data moves (共享方式).
    ShareMethod {
        Push = "push" / "主动推送",
        OnRequest = "on_request" / "按需调取",
    }
);

labelled_enum!(
    /// How often (共享频率).
    Frequency {
        Realtime = "realtime" / "实时",
        Hourly = "hourly" / "每小时",
        Daily = "daily" / "每日",
    }
);

labelled_enum!(
    /// Confidentiality (密级): what leaves the instance is masked accordingly.
    Confidentiality {
        Public = "public" / "公开",
        Internal = "internal" / "内部",
        Sensitive = "sensitive" / "敏感",
    }
);

labelled_enum!(
    /// A share's state: proposed until both ends approved, then active.
    ShareStatus {
        Proposed = "proposed" / "待双方确认",
        Active = "active" / "已生效",
        Suspended = "suspended" / "已暂停",
        Revoked = "revoked" / "已撤销",
    }
);

lifecycle!(ShareStatus, "共享目录", "share", {
    Proposed => [Active, Revoked],
    Active => [Suspended, Revoked],
    Suspended => [Active, Revoked],
    Revoked => [],
});

/// An instance's name on the links: lower-case letters, digits and `-`, at most 32, because it
/// is a NATS subject token and a user name.
pub fn instance_id(s: &str) -> Result<String, Invalid> {
    let t = s.trim();
    let ok = !t.is_empty()
        && t.len() <= 32
        && t.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    if ok {
        Ok(t.to_string())
    } else {
        Err(Invalid::new(
            "instance_id",
            format!("实例标识“{t}”无效：只能由小写字母、数字和“-”组成，最多 32 个字符"),
            format!("instance id '{t}' is invalid: lower-case letters, digits and '-', at most 32"),
        ))
    }
}

/// Fields never sent beyond `Internal`, whatever the kind: personal contacts. Complainants'
/// and legal representatives' phones never leave the county (issue 18 item 2).
pub const SENSITIVE_FIELDS: &[&str] = &[
    "phone",
    "contact_phone",
    "complainant_phone",
    "legal_rep_phone",
    "id_number",
    "legal_rep_id_number",
    "address_detail",
];

/// Staff identities (inspectors, who issued or reviewed): kept only by `Sensitive` shares.
pub const IDENTITY_FIELDS: &[&str] = &["inspectors", "created_by", "reviewed_by"];

/// Fields a `Public` share keeps of a directory entity: what the public directory shows.
pub const PUBLIC_FIELDS: &[&str] = &[
    "id",
    "usci",
    "name",
    "entity_type",
    "region_code",
    "reg_status",
    "industry_code",
    "deleted",
];

/// Masks a record of `kind` (a JSON object) by the share's confidentiality: `Sensitive` keeps
/// every field but blanks personal contacts to "***"; `Internal` drops personal contacts and
/// staff identities; `Public` keeps only the kind's public fields. Non-objects pass through.
pub fn mask(conf: Confidentiality, kind: DataKind, v: serde_json::Value) -> serde_json::Value {
    let serde_json::Value::Object(map) = v else {
        return v;
    };
    let public = kind.public_fields();
    let out = map
        .into_iter()
        .filter_map(|(k, v)| {
            let personal = SENSITIVE_FIELDS.contains(&k.as_str());
            let identity = IDENTITY_FIELDS.contains(&k.as_str());
            match conf {
                Confidentiality::Public => public.contains(&k.as_str()).then_some((k, v)),
                Confidentiality::Internal => (!personal && !identity).then_some((k, v)),
                Confidentiality::Sensitive if personal => {
                    Some((k, serde_json::Value::String("***".into())))
                }
                Confidentiality::Sensitive => Some((k, v)),
            }
        })
        .collect();
    serde_json::Value::Object(out)
}

/// The signed part of a message (X-Road: the sending server signs and time-stamps).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Body {
    /// Always [`SCHEMA`] for this version.
    pub schema: String,
    /// UUIDv7: unique, and ordered by sending time.
    pub id: Uuid,
    pub share_id: Uuid,
    pub kind: String,
    pub sender: String,
    pub receiver: String,
    /// The entity (or log) the message is about; messages of one entity apply in `entity_seq`
    /// order.
    pub entity: String,
    pub entity_seq: i64,
    /// Region of the data, checked against the share's scope by the receiver.
    pub region_code: String,
    pub sent_at: DateTime<Utc>,
    pub payload: serde_json::Value,
}

/// A message on the wire: the body's exact JSON bytes and the sender's signature over them
/// (signing the transmitted bytes avoids any canonical-JSON question).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Wire {
    pub body: String,
    pub signature: String,
}

/// Why a received message is refused (logged, and listed as a dead letter).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    TooLarge(usize),
    Malformed(String),
    UnknownSchema(String),
    UnknownSender(String),
    BadSignature,
    WrongReceiver(String),
    UnknownShare(Uuid),
    ShareNotActive(Uuid),
    KindMismatch(String),
    OutOfScope(String),
}

impl Refusal {
    pub fn code(&self) -> &'static str {
        match self {
            Refusal::TooLarge(_) => "too_large",
            Refusal::Malformed(_) => "malformed",
            Refusal::UnknownSchema(_) => "unknown_schema",
            Refusal::UnknownSender(_) => "unknown_sender",
            Refusal::BadSignature => "bad_signature",
            Refusal::WrongReceiver(_) => "wrong_receiver",
            Refusal::UnknownShare(_) => "unknown_share",
            Refusal::ShareNotActive(_) => "share_not_active",
            Refusal::KindMismatch(_) => "kind_mismatch",
            Refusal::OutOfScope(_) => "out_of_scope",
        }
    }
}

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Refusal::TooLarge(n) => write!(f, "消息过大（{n} 字节）"),
            Refusal::Malformed(e) => write!(f, "消息格式错误：{e}"),
            Refusal::UnknownSchema(s) => write!(f, "未知的消息版本“{s}”"),
            Refusal::UnknownSender(s) => write!(f, "未知的发送实例“{s}”"),
            Refusal::BadSignature => write!(f, "发送方签名无效"),
            Refusal::WrongReceiver(r) => write!(f, "消息的接收方是“{r}”，不是本实例"),
            Refusal::UnknownShare(id) => write!(f, "共享目录中没有 {id}"),
            Refusal::ShareNotActive(id) => write!(f, "共享 {id} 未经双方确认或已停用"),
            Refusal::KindMismatch(k) => write!(f, "数据类别“{k}”与共享不符"),
            Refusal::OutOfScope(r) => write!(f, "地区 {r} 不在共享范围内"),
        }
    }
}

impl Body {
    /// Serialises and signs: the message as sent.
    pub fn sign(&self, key: &SigningKey) -> Wire {
        let body = serde_json::to_string(self).expect("a body serialises");
        let (sig, _) = sign_bytes(key, body.as_bytes());
        Wire {
            body,
            signature: sig.to_hex(),
        }
    }
}

impl Wire {
    pub fn to_bytes(&self) -> Vec<u8> {
        serde_json::to_vec(self).expect("a wire message serialises")
    }

    /// Parses a message from a link, bounded before parsing, and checks its schema. The
    /// signature is checked with [`Wire::verify`] once the sender's key is known.
    pub fn parse(bytes: &[u8]) -> Result<(Wire, Body), Refusal> {
        if bytes.len() > MAX_MESSAGE_BYTES {
            return Err(Refusal::TooLarge(bytes.len()));
        }
        let wire: Wire =
            serde_json::from_slice(bytes).map_err(|e| Refusal::Malformed(e.to_string()))?;
        let body: Body =
            serde_json::from_str(&wire.body).map_err(|e| Refusal::Malformed(e.to_string()))?;
        if body.schema != SCHEMA {
            return Err(Refusal::UnknownSchema(
                body.schema.chars().take(40).collect(),
            ));
        }
        Ok((wire, body))
    }

    pub fn verify(&self, key: &PublicKey) -> bool {
        SignatureBytes::from_hex(&self.signature)
            .map(|sig| signature_valid(key, self.body.as_bytes(), &sig))
            .unwrap_or(false)
    }
}

labelled_enum!(
    /// What a message-log row records.
    LogEvent {
        Sent = "sent" / "已发送",
        Received = "received" / "已接收并应用",
        Duplicate = "duplicate" / "重复消息（未重复应用）",
        Stale = "stale" / "过期版本（未应用）",
        Refused = "refused" / "已拒收",
        Receipt = "receipt" / "回执",
    }
);

/// One row of the message log (消息日志) as hashed: every field but the hash itself.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LogRow {
    pub seq: i64,
    pub event: String,
    pub message_id: Option<Uuid>,
    pub peer: String,
    /// The message as sent or received (the wire JSON), or the receipt.
    pub wire: String,
    pub note: String,
    pub at: DateTime<Utc>,
    pub prev_hash: String,
    pub hash: String,
}

/// The genesis `prev_hash` of a message log.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// The hash of a row: SHA-256 over a length-prefixed encoding of every field but `hash`, so no
/// two rows encode alike.
pub fn row_hash(
    seq: i64,
    event: &str,
    message_id: Option<Uuid>,
    peer: &str,
    wire: &str,
    note: &str,
    at: DateTime<Utc>,
    prev_hash: &str,
) -> String {
    let mut b = Vec::with_capacity(wire.len() + 256);
    b.extend_from_slice(b"lianjian-sharing-log/1\n");
    let id = message_id.map(|u| u.to_string()).unwrap_or_default();
    let at = at.timestamp_micros().to_string();
    for part in [
        &seq.to_string(),
        event,
        &id,
        peer,
        wire,
        note,
        &at,
        prev_hash,
    ] {
        b.extend_from_slice(&(part.len() as u64).to_be_bytes());
        b.extend_from_slice(part.as_bytes());
    }
    hex::encode(sha256(&b).0)
}

impl LogRow {
    pub fn computed_hash(&self) -> String {
        row_hash(
            self.seq,
            &self.event,
            self.message_id,
            &self.peer,
            &self.wire,
            &self.note,
            self.at,
            &self.prev_hash,
        )
    }
}

/// Where a message log stops being what was written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LogTamper {
    /// Row `seq` does not hash to its stored hash: a field was changed.
    Hash { seq: i64 },
    /// Row `seq` does not continue the row before it: a row was removed or inserted.
    Link { seq: i64 },
    /// Row `seq` is a sent or received message whose sender signature does not verify.
    Signature { seq: i64 },
}

impl std::fmt::Display for LogTamper {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            LogTamper::Hash { seq } => write!(
                f,
                "row {seq}: its content does not match its hash (changed) / 第 {seq} 条记录已被改动"
            ),
            LogTamper::Link { seq } => write!(
                f,
                "row {seq}: it does not follow the row before it (rows removed or inserted) / 第 {seq} 条记录前的链条断裂"
            ),
            LogTamper::Signature { seq } => write!(
                f,
                "row {seq}: the message's signature does not verify / 第 {seq} 条消息的签名无效"
            ),
        }
    }
}

/// Recomputes a message log in `seq` order: every hash, every link, and the signature of every
/// accepted or sent message under its sender's key (`keys` by instance id; a message whose sender
/// is not in `keys` is checked for hash and link only). Returns the rows checked.
pub fn verify_log(
    rows: impl IntoIterator<Item = LogRow>,
    keys: &dyn Fn(&str) -> Option<PublicKey>,
) -> Result<u64, LogTamper> {
    let mut prev = GENESIS.to_string();
    let mut n = 0u64;
    for r in rows {
        if r.prev_hash != prev {
            return Err(LogTamper::Link { seq: r.seq });
        }
        if r.computed_hash() != r.hash {
            return Err(LogTamper::Hash { seq: r.seq });
        }
        if matches!(r.event.as_str(), "sent" | "received" | "receipt")
            && let Ok((wire, body)) = Wire::parse(r.wire.as_bytes())
            && let Some(k) = keys(&body.sender)
            && !wire.verify(&k)
        {
            return Err(LogTamper::Signature { seq: r.seq });
        }
        prev = r.hash;
        n += 1;
    }
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body(payload: serde_json::Value) -> Body {
        Body {
            schema: SCHEMA.into(),
            id: Uuid::now_v7(),
            share_id: Uuid::now_v7(),
            kind: "directory_changes".into(),
            sender: "county-a".into(),
            receiver: "city".into(),
            entity: "e1".into(),
            entity_seq: 1,
            region_code: "370102".into(),
            sent_at: Utc::now(),
            payload,
        }
    }

    #[test]
    fn share_lifecycle() {
        crate::lifecycle::check_graph(ShareStatus::parse);
    }

    #[test]
    fn signed_message_verifies_and_tampering_does_not() {
        let key = SigningKey::from_bytes(&[7; 32]);
        let pk = PublicKey(key.verifying_key());
        let w = body(serde_json::json!({"name": "甲公司"})).sign(&key);
        let (w2, b2) = Wire::parse(&w.to_bytes()).unwrap();
        assert!(w2.verify(&pk));
        assert_eq!(b2.payload["name"], "甲公司");
        let tampered = Wire {
            body: w.body.replace("甲公司", "乙公司"),
            signature: w.signature.clone(),
        };
        assert!(!tampered.verify(&pk));
        let other = PublicKey(SigningKey::from_bytes(&[8; 32]).verifying_key());
        assert!(!w.verify(&other));
    }

    #[test]
    fn parse_refuses_oversize_and_other_schemas() {
        assert!(matches!(
            Wire::parse(&vec![b' '; MAX_MESSAGE_BYTES + 1]),
            Err(Refusal::TooLarge(_))
        ));
        let key = SigningKey::from_bytes(&[7; 32]);
        let mut b = body(serde_json::json!({}));
        b.schema = "lianjian-sharing/9".into();
        assert!(matches!(
            Wire::parse(&b.sign(&key).to_bytes()),
            Err(Refusal::UnknownSchema(_))
        ));
        assert!(matches!(Wire::parse(b"{}"), Err(Refusal::Malformed(_))));
    }

    #[test]
    fn masking_by_confidentiality() {
        let dir = DataKind::DirectoryChanges;
        let v = serde_json::json!({"name": "甲", "phone": "138", "usci": "x", "note": "n"});
        let p = mask(Confidentiality::Public, dir, v.clone());
        assert_eq!(p, serde_json::json!({"name": "甲", "usci": "x"}));
        let i = mask(Confidentiality::Internal, dir, v.clone());
        assert!(i.get("phone").is_none() && i.get("note").is_some());
        let s = mask(Confidentiality::Sensitive, dir, v);
        assert_eq!(s["phone"], "***");
        // A visit result: inspectors' identities only on sensitive shares; the public sees
        // the result but not the trigger (e.g. a complaint).
        let r = serde_json::json!({"code": "JC1", "results": [], "inspectors": ["张三"],
            "trigger": "complaint", "id_number": "4111"});
        let kind = DataKind::VisitResults;
        let i = mask(Confidentiality::Internal, kind, r.clone());
        assert_eq!(
            i,
            serde_json::json!({"code": "JC1", "results": [], "trigger": "complaint"})
        );
        let s = mask(Confidentiality::Sensitive, kind, r.clone());
        assert_eq!(s["inspectors"][0], "张三");
        assert_eq!(s["id_number"], "***");
        let p = mask(Confidentiality::Public, kind, r);
        assert_eq!(p, serde_json::json!({"code": "JC1", "results": []}));
    }

    #[test]
    fn instance_ids() {
        assert!(instance_id("county-370102").is_ok());
        assert!(instance_id("County").is_err());
        assert!(instance_id("a.b").is_err());
        assert!(instance_id("").is_err());
    }

    #[test]
    fn log_chain_detects_change_removal_and_bad_signature() {
        let key = SigningKey::from_bytes(&[7; 32]);
        let pk = PublicKey(key.verifying_key());
        let mut rows = Vec::new();
        let mut prev = GENESIS.to_string();
        for seq in 1..=3 {
            let wire = String::from_utf8(body(serde_json::json!({"n": seq})).sign(&key).to_bytes())
                .unwrap();
            let at = Utc::now();
            let hash = row_hash(seq, "sent", None, "city", &wire, "", at, &prev);
            rows.push(LogRow {
                seq,
                event: "sent".into(),
                message_id: None,
                peer: "city".into(),
                wire,
                note: String::new(),
                at,
                prev_hash: prev.clone(),
                hash: hash.clone(),
            });
            prev = hash;
        }
        let keys = |s: &str| (s == "county-a").then_some(pk);
        assert_eq!(verify_log(rows.clone(), &keys), Ok(3));
        let mut changed = rows.clone();
        changed[1].note = "x".into();
        assert_eq!(verify_log(changed, &keys), Err(LogTamper::Hash { seq: 2 }));
        let mut removed = rows.clone();
        removed.remove(1);
        assert_eq!(verify_log(removed, &keys), Err(LogTamper::Link { seq: 3 }));
        // A message rewritten and the row re-hashed: the chain is consistent but the sender's
        // signature no longer verifies.
        let mut forged = rows.clone();
        forged[2].wire = forged[2].wire.replace("\\\"n\\\":3", "\\\"n\\\":4");
        assert_ne!(forged[2].wire, rows[2].wire);
        forged[2].hash = forged[2].computed_hash();
        assert_eq!(
            verify_log(forged, &keys),
            Err(LogTamper::Signature { seq: 3 })
        );
    }
}
