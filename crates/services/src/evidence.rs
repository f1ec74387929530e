//! TEMPORARY shim until the evidence branch is merged.
use sha2::Digest;
use uuid::Uuid;
use crate::{Actor, Result, Services};
#[derive(Debug, Clone, Default)]
pub struct Upload { pub filename: String, pub media_type: Option<String>, pub bytes: Vec<u8> }
pub struct Evidence { pub id: Uuid, pub sha256: String, pub size: i64, pub media_type: String }
pub async fn add(_svc: &Services, _actor: &Actor, u: Upload) -> Result<Evidence> {
    Ok(Evidence { id: Uuid::now_v7(), sha256: hex::encode(sha2::Sha256::digest(&u.bytes)), size: u.bytes.len() as i64, media_type: u.media_type.unwrap_or_default() })
}
pub async fn link(_c: &impl lianjian_store::Conn, _e: Uuid, _k: &str, _r: Uuid, _f: &str, _d: Uuid, _a: &Actor) -> Result<()> { Ok(()) }
