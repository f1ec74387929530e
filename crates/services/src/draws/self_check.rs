//! 抽查结果自查 (issue 11 item 3): an entity fetches the opening of its own class commitment
//! with its credit code and an access code staff handed it, and checks its own class and —
//! once the public record is out — whether it was rightly drawn
//! (`lianjian draw verify PUBLIC.json --opening OPENING.json`).
//!
//! - A code is per draw and candidate: 10 characters from a 32-letter alphabet without the
//!   look-alikes 0/O and 1/I (50 bits), shown once when staff generate it, stored only as a
//!   SHA-256 bound to the draw and the credit code. Whoever reads the database reads the salt
//!   key, and with it every opening, anyway; the hash keeps the code from being read off a
//!   screen or a backup of the code table alone. Generating a new code replaces the old one.
//! - Wrong codes are throttled like sign-ins (`login_failures`, keyed by draw and credit code:
//!   `SecurityConfig::max_login_failures` within `lockout_minutes`), so 50 bits cannot be
//!   guessed online. "No such candidate", "no code generated" and "wrong code" get the same
//!   answer, and count the same.
//! - An opening states one entity's class, weight and salt and its position in the pool —
//!   nothing of another entity. It may be fetched before the embargo ends (the issue lets an
//!   entity check its own class and inclusion); its inclusion can be checked only against the
//!   public record, which is served once the embargo ends, so before that the page says nothing
//!   about whether the entity was drawn.

use chrono::Duration;
use lianjian_domain::account::Role;
use lianjian_domain::draw::DrawStatus;
use lianjian_domain::draw::{DrawInput, DrawRecord, Opening, OpeningCheck};
use lianjian_domain::scope::Actor;
use lianjian_domain::usci::Usci;
use lianjian_store::StoreError;
use lianjian_store::accounts as throttle;
use lianjian_store::draw_access::{self as codes, NewCode};
use lianjian_store::draws::{self as repo, Draw};
use rand::Rng;
use serde::Serialize;
use sha2::{Digest, Sha256};
use uuid::Uuid;

use super::{ensure_may_draw, visible};
use crate::trail::{Record, record};
use crate::{Result, ServiceError, Services};

/// Letters of an access code: digits and capitals without 0, O, 1 and I (32 of them, so every
/// character carries 5 bits).
pub const CODE_ALPHABET: &[u8; 32] = b"23456789ABCDEFGHJKLMNPQRSTUVWXYZ";
/// Characters of an access code (50 bits).
pub const CODE_LEN: usize = 10;

fn corrupt(m: impl ToString) -> ServiceError {
    ServiceError::internal(StoreError::Corrupt(m.to_string()))
}

fn new_code() -> String {
    let mut rng = rand::rng();
    (0..CODE_LEN)
        .map(|_| CODE_ALPHABET[rng.random_range(0..CODE_ALPHABET.len())] as char)
        .collect()
}

/// A code as typed: spaces and dashes dropped, upper case (`abcde-fghjk` works).
fn normalise(code: &str) -> String {
    code.chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .map(|c| c.to_ascii_uppercase())
        .take(64)
        .collect()
}

/// How a code is stored: bound to its draw and credit code, so a code is useless elsewhere.
fn code_hash(draw_id: Uuid, usci: &str, code: &str) -> String {
    let mut h = Sha256::new();
    h.update(b"lianjian-draw access code\n");
    h.update(draw_id.to_string().as_bytes());
    h.update(b"\n");
    h.update(usci.as_bytes());
    h.update(b"\n");
    h.update(code.as_bytes());
    hex::encode(h.finalize())
}

fn constant_time_eq(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

/// A code as printed: two groups of five (`ABCDE-FGHJK`).
pub fn display_code(code: &str) -> String {
    if code.len() == CODE_LEN {
        format!("{}-{}", &code[..5], &code[5..])
    } else {
        code.to_string()
    }
}

/// A code just generated, shown to staff once (to print or export for the entity's notice).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct IssuedCode {
    pub usci: String,
    pub name: String,
    /// As printed, `ABCDE-FGHJK`.
    pub code: String,
}

/// The draw's candidates (credit code, name) from its committed input.
async fn candidates(c: &impl lianjian_store::Conn, d: &Draw) -> Result<Vec<(String, String)>> {
    let body = repo::body(c, d.id).await?.ok_or(ServiceError::NotFound)?;
    let input: DrawInput = serde_json::from_str(&body.input_json).map_err(corrupt)?;
    if input.v3.is_none() {
        return Err(ServiceError::conflict(
            "format",
            "旧格式（lianjian-draw/1、/2）记录没有按主体的承诺，无法自查",
            "legacy records (lianjian-draw/1, /2) have no per-entity commitments to open",
        ));
    }
    Ok(input
        .candidates
        .into_iter()
        .map(|c| (c.usci.as_str().to_string(), c.name))
        .collect())
}

/// Generates access codes for one candidate (`usci`) or, with `None`, for every candidate of
/// the draw (for the notices; earlier codes stop working). Staff who draw, in scope; the draw
/// must be committed or drawn.
pub async fn issue_codes(
    svc: &Services,
    actor: &Actor,
    id: Uuid,
    usci: Option<&str>,
) -> Result<Vec<IssuedCode>> {
    ensure_may_draw(actor)?;
    let usci = usci
        .map(|u| Usci::parse(u.trim()).map_err(|e| ServiceError::field("usci", e)))
        .transpose()?;
    let tx = svc.store.begin().await?;
    let d = visible(&tx, actor, id).await?;
    if d.status == DrawStatus::Failed {
        return Err(ServiceError::conflict(
            "status",
            format!("抽取 {} 未能完成，没有可供自查的记录", d.code),
            format!("draw {} failed: there is no record to open", d.code),
        ));
    }
    let mut all = candidates(&tx, &d).await?;
    if let Some(u) = &usci {
        all.retain(|(c, _)| c == u.as_str());
        if all.is_empty() {
            return Err(ServiceError::field(
                "usci",
                lianjian_domain::Invalid::new(
                    "not_a_candidate",
                    format!("{} 不在本次抽取的候选名单中", u.as_str()),
                    format!("{} is not a candidate of this draw", u.as_str()),
                ),
            ));
        }
    }
    let now = svc.now();
    let issued: Vec<IssuedCode> = all
        .into_iter()
        .map(|(usci, name)| IssuedCode {
            code: new_code(),
            usci,
            name,
        })
        .collect();
    let rows: Vec<NewCode> = issued
        .iter()
        .map(|i| NewCode {
            code_hash: code_hash(id, &i.usci, &i.code),
            usci: i.usci.clone(),
        })
        .collect();
    codes::put_codes(&tx, id, &rows, &actor.username, now).await?;
    // Who generated codes for whom; never a code.
    record(
        &tx,
        actor,
        Record::new("draw.access_codes", "draw", id)
            .at(&d.region_code, None)
            .after(&serde_json::json!({
                "code": d.code, "count": issued.len(),
                "usci": usci.as_ref().map(|u| u.as_str()),
            })),
    )
    .await?;
    tx.commit().await?;
    Ok(issued
        .into_iter()
        .map(|i| IssuedCode {
            code: display_code(&i.code),
            ..i
        })
        .collect())
}

/// How many candidates of a draw hold a code (for the console's draw page).
pub async fn codes_issued(svc: &Services, actor: &Actor, id: Uuid) -> Result<u64> {
    ensure_may_draw(actor)?;
    let c = svc.store.conn();
    visible(c, actor, id).await?;
    Ok(codes::count(c, id).await?.0)
}

/// The opening of a candidate's class commitment from a drawn `/3` record.
pub(super) fn opening_of(d: &Draw, record_json: Option<&str>, usci: &Usci) -> Result<Opening> {
    let Some(r) = record_json else {
        return Err(ServiceError::conflict(
            "status",
            format!("抽取 {} 尚未执行，没有可供核验的记录", d.code),
            format!("draw {} has no record to open yet", d.code),
        ));
    };
    let rec = DrawRecord::from_json(r.as_bytes()).map_err(corrupt)?;
    if !rec.format.starts_with("lianjian-draw/3") {
        return Err(ServiceError::conflict(
            "format",
            "旧格式（lianjian-draw/1、/2）记录没有按主体的承诺，无法提供核验凭证",
            "legacy records (lianjian-draw/1, /2) have no per-entity commitments to open",
        ));
    }
    rec.opening(usci).ok_or(ServiceError::NotFound)
}

/// What an entity gets for its credit code and its access code.
#[derive(Debug, Clone, Serialize)]
pub struct SelfCheck {
    pub draw_id: Uuid,
    pub draw_code: String,
    pub usci: String,
    /// The opening (`lianjian-draw/3-opening`) as the JSON file to download.
    pub opening_json: String,
    pub opening: Opening,
    /// From this day every visit of the draw is public (unless each result came earlier).
    pub public_from: chrono::NaiveDate,
    /// The public record is served (the embargo ended): the check below was made with it.
    pub record_public: bool,
    /// The opening checked against the public record, once it is public: the entity's plans
    /// and whether it was drawn for each. `None` before (it would tell a target in advance).
    pub check: Option<OpeningCheck>,
}

/// The uniform refusal: no such candidate, no code, or a wrong code.
fn wrong() -> ServiceError {
    ServiceError::refused(
        "统一社会信用代码或查询码不正确（多次输入错误将暂停查询）",
        "wrong credit code or access code (repeated failures pause the look-up)",
    )
}

/// The portal's self-check: with its credit code and access code an entity receives its
/// opening. Anybody may ask; wrong answers are throttled per draw and credit code.
pub async fn self_check(
    svc: &Services,
    id: Uuid,
    usci: &str,
    code: &str,
    ip: Option<String>,
) -> Result<SelfCheck> {
    let usci = Usci::parse(usci.trim()).map_err(|e| ServiceError::field("usci", e))?;
    let code = normalise(code);
    if code.is_empty() {
        return Err(ServiceError::field(
            "code",
            lianjian_domain::Invalid::new(
                "required",
                "请输入查询码",
                "the access code is required",
            ),
        ));
    }
    let c = svc.store.conn();
    let d = repo::get(c, id).await?.ok_or(ServiceError::NotFound)?;
    // The draw's state is public: saying it first tells nothing about the entity.
    if d.status != DrawStatus::Drawn {
        return Err(ServiceError::conflict(
            "status",
            format!(
                "抽取 {} {}，暂无可供自查的结果",
                d.code,
                if d.status == DrawStatus::Committed {
                    "尚未执行"
                } else {
                    "未能完成"
                }
            ),
            format!("draw {} has no result to check", d.code),
        ));
    }
    let key = format!("opening:{id}:{}", usci.as_str());
    let now = svc.now();
    let sec = &svc.security;
    let window_start = now - Duration::minutes(sec.lockout_minutes);
    let (failures, latest) = throttle::login_failures_since(c, &key, window_start).await?;
    if failures >= sec.max_login_failures {
        let until = latest.unwrap_or(now) + Duration::minutes(sec.lockout_minutes);
        return Err(ServiceError::Throttled {
            retry_after_secs: (until - now).num_seconds().max(1) as u64,
        });
    }
    let expected = codes::code_hash(c, id, usci.as_str()).await?;
    // The same hash is computed whether or not a code exists, so both answers take as long.
    let given = code_hash(id, usci.as_str(), &code);
    let ok = expected.is_some_and(|e| constant_time_eq(&e, &given));
    if !ok {
        throttle::record_login_failure(c, &key, ip.as_deref(), now).await?;
        return Err(wrong());
    }
    let body = repo::body(c, id).await?.ok_or(ServiceError::NotFound)?;
    let opening = opening_of(&d, body.record_json.as_deref(), &usci)?;
    let opening_json = serde_json::to_string_pretty(&opening).expect("serialisable");
    let emb = super::publication::embargo(c, &d, now).await?;
    let (record_public, check) = if emb.over {
        let (_, public) = super::publication::public_record(svc, id).await?;
        let public = lianjian_domain::draw::PublicDrawRecord::from_json(public.as_bytes())
            .map_err(corrupt)?;
        let check = opening.check(&public).map_err(|m| {
            corrupt(format!(
                "the opening of {} does not check: {m}",
                usci.as_str()
            ))
        })?;
        (true, Some(check))
    } else {
        (false, None)
    };
    let tx = svc.store.begin().await?;
    throttle::clear_login_failures(&tx, &key).await?;
    let who = Actor {
        user_id: Uuid::nil(),
        username: "portal".into(),
        display_name: "门户自查".into(),
        role: Role::Inspector,
        department_id: Uuid::nil(),
        department_line: String::new(),
        region: d.region_code.clone(),
        ip,
        context: None,
    };
    // That an entity fetched its opening, never its class.
    record(
        &tx,
        &who,
        Record::new("draw.self_check", "draw", id)
            .at(&d.region_code, None)
            .after(&serde_json::json!({ "code": d.code, "usci": usci.as_str() })),
    )
    .await?;
    tx.commit().await?;
    Ok(SelfCheck {
        draw_id: id,
        draw_code: d.code.clone(),
        usci: usci.as_str().to_string(),
        opening_json,
        opening,
        public_from: emb.public_from,
        record_public,
        check,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_ten_unambiguous_characters_and_differ() {
        let a = new_code();
        let b = new_code();
        assert_eq!(a.len(), CODE_LEN);
        assert!(a.bytes().all(|c| CODE_ALPHABET.contains(&c)), "{a}");
        assert!(!a.contains(['0', 'O', '1', 'I']));
        assert_ne!(a, b);
        assert_eq!(normalise(&display_code(&a).to_lowercase()), a);
    }

    #[test]
    fn a_code_is_bound_to_its_draw_and_entity() {
        let d = Uuid::now_v7();
        let h = code_hash(d, "91411121MA000001BP", "ABCDEFGHJK");
        assert_ne!(h, code_hash(d, "91411121MA000002BQ", "ABCDEFGHJK"));
        assert_ne!(
            h,
            code_hash(Uuid::now_v7(), "91411121MA000001BP", "ABCDEFGHJK")
        );
        assert_ne!(h, code_hash(d, "91411121MA000001BP", "ABCDEFGHJL"));
        assert!(constant_time_eq(
            &h,
            &code_hash(d, "91411121MA000001BP", "ABCDEFGHJK")
        ));
    }
}
