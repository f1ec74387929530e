//! The public complaint form (投诉举报) and tracking page (进度查询) of the portal (issue 14
//! item 7): anybody may send a clue with source `portal` through [`submit`] and follow it with
//! [`track`], by the clue's code and the check code (查询码) shown once on sending.
//!
//! - **Check codes** are 10 characters from the access-code alphabet of draws (50 bits), shown
//!   once; only a salted SHA-256 is kept (`clue_checks`), as the draw access codes are.
//! - **Floods**, without any outside service: successful submissions are counted per client
//!   address and per phone number, and failed look-ups per client address, in the throttle
//!   table sign-ins use (`login_failures`, in the database, so every instance sees the same
//!   counts; a phone is counted under a keyed hash, never in clear). Beyond the limits the
//!   caller gets [`ServiceError::Throttled`] with the seconds to wait.
//! - **The challenge** ([`challenge`]): a token signed with the portal's secret (kept in the
//!   database, shared by every instance) that expires after [`CHALLENGE_MINUTES`]. The page's
//!   script finds a number `n` such that SHA-256(`token:n`) starts with [`CHALLENGE_BITS`] zero
//!   bits (proof of work); a browser without scripts answers a small question instead, whose
//!   numbers come from the secret, not from the token. A solved challenge is good once
//!   (`portal_challenges`); a forged, expired or replayed one is refused, naming the field.
//! - **What the public sees** on tracking ([`Tracking`]): the clue's code and kind, a public
//!   status label, the dates received, dispatched and finished, the handling department once
//!   dispatched, and the department's result text once finished — the reply the complainant
//!   is owed (12345 回复). Never the complainant's data, staff or inspectors, return reasons,
//!   extension requests or clocks: those are the handlers' business.
//! - **Attachments** (photos, PDF) are checked by their content's first bytes and stored
//!   through the evidence log ([`crate::evidence`]) before the clue; the clue and its links
//!   commit together. A file stored for a clue that then fails to register stays in the log
//!   without a link (content-addressed: sending it again reuses it).

use chrono::{DateTime, Duration, NaiveDate, Utc};
use lianjian_domain::Invalid;
use lianjian_domain::account::Role;
use lianjian_domain::clue::{ClueKind, ClueStatus};
use lianjian_domain::draw::Bytes32;
use lianjian_domain::draw::v3::hmac_sha256;
use lianjian_domain::evidence as ev;
use lianjian_domain::region::RegionCode;
use lianjian_domain::scope::Actor;
use lianjian_domain::visit::beijing_date;
use lianjian_store::accounts as throttle;
use lianjian_store::clue_portal::{self as repo, ClueCheck};
use rand::Rng;
use sha2::{Digest, Sha256};
use uuid::Uuid;

use super::{ClueInput, Intake, KIND, register_with};
use crate::draws::{CODE_ALPHABET, CODE_LEN};
use crate::error::Checker;
use crate::evidence::{self, Upload};
use crate::{Result, ServiceError, Services};

/// Leading zero bits the proof of work needs (about 65,000 SHA-256 on average: a second or
/// two on a phone, nothing for one person, a cost for a flood).
pub const CHALLENGE_BITS: u32 = 16;
/// How long a challenge (and so the form page) stays good.
pub const CHALLENGE_MINUTES: i64 = 60;
/// Attachments per clue, and the largest attachment (the evidence log's own limit applies too).
pub const MAX_FILES: usize = 3;
pub const MAX_FILE_BYTES: u64 = 5 * 1024 * 1024;
/// Clues one client address may send per [`IP_WINDOW_MINUTES`].
pub const PER_IP: u64 = 5;
pub const IP_WINDOW_MINUTES: i64 = 60;
/// Clues one phone number may send per [`PHONE_WINDOW_MINUTES`].
pub const PER_PHONE: u64 = 3;
pub const PHONE_WINDOW_MINUTES: i64 = 24 * 60;
/// Wrong look-ups one client address may make per [`LOOKUP_WINDOW_MINUTES`].
pub const LOOKUP_FAILURES: u64 = 10;
pub const LOOKUP_WINDOW_MINUTES: i64 = 15;

const SECRET_NAME: &str = "clue_portal";
const TOKEN_VERSION: &str = "c1";

/// The kinds the public form offers, in its order.
pub const KINDS: &[ClueKind] = &[
    ClueKind::Complaint,
    ClueKind::Report,
    ClueKind::Suggestion,
    ClueKind::Inquiry,
    ClueKind::Help,
];

/// Who the portal is in the audit trail and to the clue workflow: the office of the site's
/// jurisdiction (or, on a national instance, the platform).
pub fn portal_actor(svc: &Services, ip: Option<String>) -> Actor {
    let (role, region) = match &svc.site.region {
        Some(r) => (Role::CoordinationOffice, r.clone()),
        None => (
            Role::SystemAdmin,
            RegionCode::parse("11").expect("valid code"),
        ),
    };
    Actor {
        user_id: Uuid::nil(),
        username: "portal".into(),
        display_name: "投诉举报平台".into(),
        role,
        department_id: Uuid::nil(),
        department_line: String::new(),
        region,
        ip,
        context: None,
    }
}

async fn secret(svc: &Services) -> Result<Bytes32> {
    let fresh = hex::encode(rand::random::<[u8; 32]>());
    let hex_value = repo::secret(svc.store.conn(), SECRET_NAME, &fresh, svc.now()).await?;
    let mut b = [0u8; 32];
    hex::decode_to_slice(&hex_value, &mut b).map_err(|e| {
        ServiceError::internal(lianjian_store::StoreError::Corrupt(format!(
            "portal secret: {e}"
        )))
    })?;
    Ok(Bytes32(b))
}

// ---- the challenge ----

/// A challenge for one form page.
#[derive(Debug, Clone)]
pub struct Challenge {
    /// `c1.<expiry, Unix seconds>.<16 random hex>.<bits>.<HMAC hex>`.
    pub token: String,
    pub bits: u32,
    /// The question for browsers without scripts, in words.
    pub question: String,
    pub expires_at: DateTime<Utc>,
}

const DIGITS_ZH: [&str; 10] = ["零", "一", "二", "三", "四", "五", "六", "七", "八", "九"];

fn mac_of(key: &Bytes32, body: &str) -> String {
    hmac_sha256(key, &[b"lianjian clue-portal challenge\n", body.as_bytes()]).to_hex()
}

/// The question's two numbers (1–9), from the secret and the token's random part.
fn question_numbers(key: &Bytes32, random: &str) -> (u8, u8) {
    let h = hmac_sha256(
        key,
        &[b"lianjian clue-portal question\n", random.as_bytes()],
    );
    (1 + h.0[0] % 9, 1 + h.0[1] % 9)
}

/// A new challenge, good for [`CHALLENGE_MINUTES`]. Nothing is written.
pub async fn challenge(svc: &Services) -> Result<Challenge> {
    let key = secret(svc).await?;
    let expires_at = svc.now() + Duration::minutes(CHALLENGE_MINUTES);
    let random = hex::encode(rand::random::<[u8; 8]>());
    let body = format!(
        "{TOKEN_VERSION}.{}.{random}.{CHALLENGE_BITS}",
        expires_at.timestamp()
    );
    let token = format!("{body}.{}", mac_of(&key, &body));
    let (a, b) = question_numbers(&key, &random);
    Ok(Challenge {
        token,
        bits: CHALLENGE_BITS,
        question: format!(
            "{}加{}等于几？（请填写阿拉伯数字）",
            DIGITS_ZH[a as usize], DIGITS_ZH[b as usize]
        ),
        expires_at,
    })
}

/// What the form sends back for its challenge.
#[derive(Debug, Clone, Default)]
pub struct ChallengeAnswer {
    pub token: String,
    /// The proof of work's number, found by the page's script.
    pub work: String,
    /// The answer to the question (without scripts).
    pub answer: String,
}

fn challenge_error(code: &'static str, zh: &str, en: &str) -> ServiceError {
    ServiceError::field("challenge", Invalid::new(code, zh, en))
}

/// Leading zero bits of SHA-256(`token:work`).
pub fn work_bits(token: &str, work: &str) -> u32 {
    let h = Sha256::digest(format!("{token}:{work}").as_bytes());
    let mut n = 0;
    for b in h {
        if b == 0 {
            n += 8;
        } else {
            n += b.leading_zeros();
            break;
        }
    }
    n
}

/// Checks the answer and marks the challenge used; every refusal names the field
/// `challenge` (or `answer`, a wrong answer to the question).
pub async fn verify(svc: &Services, a: &ChallengeAnswer) -> Result<()> {
    let token = a.token.trim();
    if token.is_empty() {
        return Err(challenge_error(
            "missing",
            "缺少人机验证：请在浏览器中打开本页填写（启用 JavaScript 时自动完成，未启用时请回答页面上的问题）",
            "the challenge is missing",
        ));
    }
    let forged = || {
        challenge_error(
            "forged",
            "人机验证无效，请刷新页面后重新提交",
            "the challenge was not issued by this site",
        )
    };
    let parts: Vec<&str> = token.split('.').collect();
    let [version, expiry, random, bits, mac] = parts[..] else {
        return Err(forged());
    };
    let body = format!("{version}.{expiry}.{random}.{bits}");
    let key = secret(svc).await?;
    let expected = mac_of(&key, &body);
    if version != TOKEN_VERSION || !constant_time_eq(expected.as_bytes(), mac.as_bytes()) {
        return Err(forged());
    }
    let (Ok(expiry), Ok(bits)) = (expiry.parse::<i64>(), bits.parse::<u32>()) else {
        return Err(forged());
    };
    let Some(expires_at) = DateTime::<Utc>::from_timestamp(expiry, 0) else {
        return Err(forged());
    };
    let now = svc.now();
    if expires_at < now {
        return Err(challenge_error(
            "expired",
            "人机验证已过期（页面打开时间过长），请刷新页面后重新提交",
            "the challenge has expired",
        ));
    }
    let work = a.work.trim();
    let answer = a.answer.trim();
    let solved = if !work.is_empty() && work.len() <= 20 {
        work_bits(token, work) >= bits
    } else {
        false
    };
    if !solved {
        if answer.is_empty() {
            return Err(challenge_error(
                "unsolved",
                "人机验证未完成：请稍候片刻待页面自动完成验证，或回答页面上的问题",
                "the challenge was not solved",
            ));
        }
        let (x, y) = question_numbers(&key, random);
        if answer.parse::<u32>().ok() != Some(u32::from(x + y)) {
            return Err(ServiceError::field(
                "answer",
                Invalid::new(
                    "wrong_answer",
                    "验证问题的回答不正确，请重新计算后填写阿拉伯数字",
                    "wrong answer to the question",
                ),
            ));
        }
    }
    let used = hex::encode(Sha256::digest(token.as_bytes()));
    if !repo::consume_challenge(svc.store.conn(), &used, expires_at, now).await? {
        return Err(challenge_error(
            "replayed",
            "该人机验证已使用过，请刷新页面后重新提交",
            "the challenge was already used",
        ));
    }
    Ok(())
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

// ---- limits ----

fn ip_key(prefix: &str, ip: Option<&str>) -> String {
    format!("{prefix}:ip:{}", ip.unwrap_or("unknown"))
}

async fn phone_key(svc: &Services, phone: &str) -> Result<String> {
    let key = secret(svc).await?;
    let h = hmac_sha256(&key, &[b"lianjian clue-portal phone\n", phone.as_bytes()]);
    Ok(format!("portal-clue:phone:{}", &h.to_hex()[..32]))
}

/// Refuses with the seconds to wait when `key` has reached `limit` within `minutes`.
pub(crate) async fn limit(svc: &Services, key: &str, limit: u64, minutes: i64) -> Result<()> {
    let now = svc.now();
    let window = Duration::minutes(minutes);
    let (n, latest) = throttle::login_failures_since(svc.store.conn(), key, now - window).await?;
    if n >= limit {
        let until = latest.unwrap_or(now) + window;
        return Err(ServiceError::Throttled {
            retry_after_secs: (until - now).num_seconds().max(1) as u64,
        });
    }
    Ok(())
}

// ---- sending ----

/// The complaint form as sent. Text as typed; [`submit`] checks everything.
#[derive(Debug, Clone, Default)]
pub struct PortalClueInput {
    /// `complaint`, `report`, … (or the label).
    pub kind: String,
    pub content: String,
    pub address: String,
    pub region_code: String,
    /// The business's name as the person knows it (optional).
    pub entity_name: String,
    /// Its unified social credit code (optional), looked up in the directory.
    pub entity_usci: String,
    /// Anonymous: no name or phone is taken (what was typed is dropped).
    pub anonymous: bool,
    pub name: String,
    pub phone: String,
    /// The consent text was accepted.
    pub consent: bool,
    pub files: Vec<Upload>,
    pub challenge: ChallengeAnswer,
}

/// What the sender is shown once.
#[derive(Debug, Clone)]
pub struct Submitted {
    pub code: String,
    /// As printed, `ABCDE-FGHJK`; only its hash is stored.
    pub check_code: String,
    pub attachments: usize,
}

/// A file that is too large, named (for the HTTP layer, which stops reading at the limit).
pub fn file_too_large(name: &str) -> ServiceError {
    ServiceError::field(
        "files",
        ev::media::too_large(name, MAX_FILE_BYTES + 1, true, MAX_FILE_BYTES),
    )
}

/// Too many files, named.
pub fn too_many_files() -> ServiceError {
    ServiceError::field(
        "files",
        Invalid::new(
            "too_many_files",
            format!("附件最多 {MAX_FILES} 个"),
            format!("at most {MAX_FILES} attachments"),
        ),
    )
}

fn salted(salt: &str, check: &str) -> String {
    let mut h = Sha256::new();
    h.update(b"lianjian clue check code\n");
    h.update(salt.as_bytes());
    h.update(b"\n");
    h.update(check.as_bytes());
    hex::encode(h.finalize())
}

fn new_check_code() -> String {
    let mut rng = rand::rng();
    (0..CODE_LEN)
        .map(|_| CODE_ALPHABET[rng.random_range(0..CODE_ALPHABET.len())] as char)
        .collect()
}

/// A code as typed: spaces and dashes dropped, upper case.
fn normalise_check(s: &str) -> String {
    s.chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .map(|c| c.to_ascii_uppercase())
        .take(32)
        .collect()
}

fn clue_input_of(
    input: &PortalClueInput,
    name: Option<String>,
    phone: Option<String>,
    content: String,
) -> ClueInput {
    ClueInput {
        source: "portal".into(),
        kind: input.kind.clone(),
        urgency: None,
        content,
        address: input.address.clone(),
        region_code: input.region_code.trim().to_string(),
        entity_usci: Some(input.entity_usci.trim().to_string()).filter(|s| !s.is_empty()),
        complainant_name: name,
        complainant_phone: phone,
        anonymous: input.anonymous,
        ..Default::default()
    }
}

/// Sends a clue from the portal: limits, the challenge, the portal's own fields, attachments,
/// then the clue through [`super::register`] with its check code and attachment links in the
/// same transaction.
pub async fn submit(
    svc: &Services,
    ip: Option<String>,
    input: PortalClueInput,
) -> Result<Submitted> {
    let ip_key = ip_key("portal-clue", ip.as_deref());
    limit(svc, &ip_key, PER_IP, IP_WINDOW_MINUTES).await?;
    verify(svc, &input.challenge).await?;

    let mut ch = Checker::default();
    if !input.consent {
        ch.push(
            "consent",
            Invalid::new(
                "required",
                "请阅读并勾选“我已阅读并同意”后再提交",
                "the consent must be accepted",
            ),
        );
    }
    let (name, phone) = if input.anonymous {
        (None, None)
    } else {
        let name = if input.name.trim().is_empty() {
            ch.push(
                "complainant_name",
                Invalid::new(
                    "required",
                    "实名反映请填写姓名（或选择匿名反映）",
                    "a named complaint needs a name",
                ),
            );
            None
        } else {
            ch.check(
                "complainant_name",
                lianjian_domain::clue::complainant_name(&input.name),
            )
            .flatten()
        };
        let phone = if input.phone.trim().is_empty() {
            ch.push(
                "complainant_phone",
                Invalid::new(
                    "required",
                    "实名反映请填写联系电话，以便承办部门联系您（或选择匿名反映）",
                    "a named complaint needs a phone number",
                ),
            );
            None
        } else {
            ch.check(
                "complainant_phone",
                lianjian_domain::clue::phone(&input.phone),
            )
            .flatten()
        };
        (name, phone)
    };
    // Checked here too: the name of the business is appended to the text below.
    let content = ch.check("content", lianjian_domain::clue::content(&input.content));
    let entity_name = input.entity_name.trim();
    if entity_name.chars().count() > 100 {
        ch.push(
            "entity_name",
            Invalid::new(
                "too_long",
                "被反映对象名称最多 100 个字",
                "the business name is at most 100 characters",
            ),
        );
    }
    if KINDS
        .iter()
        .all(|k| ClueKind::parse(&input.kind).ok() != Some(*k))
    {
        ch.push(
            "kind",
            Invalid::new(
                "required",
                "请选择反映类型（投诉、举报、建议、咨询或求助）",
                "choose a kind",
            ),
        );
    }
    if input.region_code.trim().is_empty() {
        ch.push(
            "region_code",
            Invalid::new("required", "请选择事发地区", "choose the region"),
        );
    }
    if input.files.len() > MAX_FILES {
        ch.push(
            "files",
            Invalid::new(
                "too_many_files",
                format!("附件最多 {MAX_FILES} 个（选择了 {} 个）", input.files.len()),
                format!("at most {MAX_FILES} attachments"),
            ),
        );
    }
    let max = MAX_FILE_BYTES.min(svc.evidence.config().max_bytes);
    for f in &input.files {
        if let Err(e) = ev::check_upload(&f.filename, f.media_type.as_deref(), &f.bytes, max) {
            ch.push("files", e);
        }
    }
    let mine = ch.into_errors();
    let content = match content {
        Some(c) if mine.is_empty() => c,
        _ => {
            // Every bad field at once: the clue's own checks too, on a registration that is
            // rolled back whatever it finds.
            let mut all = mine;
            let probe = ClueInput {
                content: input.content.clone(),
                ..clue_input_of(&input, None, None, String::new())
            };
            let actor = portal_actor(svc, ip.clone());
            let rollback = |_tx, _clue| async {
                Err::<lianjian_store::Tx, _>(ServiceError::Invalid(Vec::new()))
            };
            if let Err(ServiceError::Invalid(more)) =
                register_with(svc, &actor, &probe, Intake::default(), rollback).await
            {
                let named: Vec<String> = all.iter().map(|e| e.field.clone()).collect();
                all.extend(more.into_iter().filter(|e| !named.contains(&e.field)));
            }
            return Err(ServiceError::Invalid(all));
        }
    };
    if let Some(p) = &phone {
        limit(
            svc,
            &phone_key(svc, p).await?,
            PER_PHONE,
            PHONE_WINDOW_MINUTES,
        )
        .await?;
    }

    let content = if entity_name.is_empty() {
        content
    } else {
        format!("{content}\n（被反映对象：{entity_name}）")
    };
    let clue_input = clue_input_of(&input, name, phone.clone(), content);
    let actor = portal_actor(svc, ip.clone());
    // Files first (the log appends in its own transaction); the clue links them.
    let mut stored = Vec::new();
    for f in input.files {
        let filename = f.filename.clone();
        let e = evidence::add(svc, &actor, f).await?;
        stored.push((e.id, filename));
    }
    let check_code = new_check_code();
    let salt = hex::encode(rand::random::<[u8; 16]>());
    let hash = salted(&salt, &check_code);
    let phone_key = match &phone {
        Some(p) => Some(phone_key(svc, p).await?),
        None => None,
    };
    let now = svc.now();
    let n_files = stored.len();
    let who = actor.clone();
    let ip_for_log = ip.clone();
    let clue = register_with(
        svc,
        &actor,
        &clue_input,
        Intake::default(),
        move |tx, clue| async move {
            for (id, name) in &stored {
                evidence::link_unassigned(&tx, *id, "clue", clue.id, name, &clue.region_code, &who)
                    .await?;
            }
            repo::insert_check(
                &tx,
                &ClueCheck {
                    clue_id: clue.id,
                    code: clue.code.clone(),
                    salt,
                    check_hash: hash,
                    created_at: now,
                },
            )
            .await?;
            throttle::record_login_failure(&tx, &ip_key, ip_for_log.as_deref(), now).await?;
            if let Some(k) = &phone_key {
                throttle::record_login_failure(&tx, k, ip_for_log.as_deref(), now).await?;
            }
            Ok(tx)
        },
    )
    .await?;
    Ok(Submitted {
        code: clue.code,
        check_code: crate::draws::display_code(&check_code),
        attachments: n_files,
    })
}

// ---- tracking ----

/// What the tracking page shows of a clue: nothing personal, nothing internal.
#[derive(Debug, Clone, PartialEq)]
pub struct Tracking {
    pub code: String,
    pub kind_label: &'static str,
    pub status_label: &'static str,
    pub finished: bool,
    pub received_on: NaiveDate,
    pub dispatched_on: Option<NaiveDate>,
    pub finished_on: Option<NaiveDate>,
    /// The handling department, once dispatched to it.
    pub department: Option<String>,
    /// The department's reply (办理结果), once finished.
    pub result: Option<String>,
}

/// The status as the public reads it: the office's internal states (returned, escalated,
/// an extension asked) are not the complainant's business — the clue is being handled or
/// being routed again.
pub fn public_status(s: ClueStatus) -> &'static str {
    match s {
        ClueStatus::Registered => "已受理，待分派",
        ClueStatus::Dispatched => "已分派，待承办部门签收",
        ClueStatus::Handling | ClueStatus::ExtensionRequested => "办理中",
        ClueStatus::Returned | ClueStatus::Escalated | ClueStatus::Disputed => "重新分派中",
        // A duplicate is answered with the clue it joined.
        ClueStatus::Merged => "已与同一问题的诉求合并办理",
        ClueStatus::Finished | ClueStatus::Closed => "已办结",
    }
}

fn with_department(s: ClueStatus) -> bool {
    matches!(
        s,
        ClueStatus::Dispatched
            | ClueStatus::Handling
            | ClueStatus::ExtensionRequested
            | ClueStatus::Finished
            | ClueStatus::Closed
    )
}

/// The one answer for a wrong code, a wrong check code or a clue that is not public here.
fn not_found() -> ServiceError {
    ServiceError::NotFound
}

/// The tracking page's look-up, by clue code and check code. Every miss is the same
/// [`ServiceError::NotFound`] and counts against the client address
/// ([`LOOKUP_FAILURES`] per [`LOOKUP_WINDOW_MINUTES`]).
pub async fn track(
    svc: &Services,
    ip: Option<String>,
    code: &str,
    check: &str,
) -> Result<Tracking> {
    let key = ip_key("portal-track", ip.as_deref());
    limit(svc, &key, LOOKUP_FAILURES, LOOKUP_WINDOW_MINUTES).await?;
    let c = svc.store.conn();
    let code = code.trim().to_ascii_uppercase();
    let check = normalise_check(check);
    let row = if code.is_empty() || code.len() > 32 {
        None
    } else {
        repo::check_by_code(c, &code).await?
    };
    // The same hash is computed whether or not the code exists.
    let salt = row.as_ref().map_or("0", |r| r.salt.as_str());
    let given = salted(salt, &check);
    let ok = row
        .as_ref()
        .is_some_and(|r| constant_time_eq(r.check_hash.as_bytes(), given.as_bytes()));
    let clue = match (ok, row) {
        (true, Some(r)) => {
            lianjian_store::clues::get_scoped(c, &svc.public_scope(), r.clue_id).await?
        }
        _ => None,
    };
    let Some(x) = clue else {
        throttle::record_login_failure(c, &key, ip.as_deref(), svc.now()).await?;
        return Err(not_found());
    };
    let dispatched_on = crate::cases::timeline(c, KIND, x.id)
        .await?
        .into_iter()
        .find(|e| e.action == "dispatch" || e.action == "decide")
        .map(|e| beijing_date(e.at));
    let department = match x.department_id {
        Some(d) if with_department(x.status) => lianjian_store::departments::get(c, d)
            .await?
            .map(|d| d.name),
        _ => None,
    };
    let finished = matches!(x.status, ClueStatus::Finished | ClueStatus::Closed);
    Ok(Tracking {
        code: x.code,
        kind_label: x.kind.label_zh(),
        status_label: public_status(x.status),
        finished,
        received_on: beijing_date(x.received_at),
        dispatched_on,
        finished_on: x.finished_at.filter(|_| finished).map(beijing_date),
        department,
        result: x.result.filter(|_| finished),
    })
}
