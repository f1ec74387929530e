//! 信用异议 from the portal (issue 15 item 4): an entity files an objection to one of its own
//! public credit entries itself, without an account. It names itself by its unified social
//! credit code, picks one of the entries the portal publishes for it (the only ones it can see
//! there), gives a contact (联系人 and 联系电话) and its reasons; the objection then lands in the
//! staff's appeal queue exactly as one registered by staff ([`crate::credit::repair::register`]: the
//! same checks, code, 10-working-day clock, timeline and audit), registered by `portal`.
//!
//! Protected as the portal's complaint form is (`crate::clues::portal`): the page's CSRF
//! cookie (HTTP layer), the signed one-use challenge (proof of work, or a question without
//! scripts), a limit per client address in the throttle table, and bounded fields. The page
//! shows only what the public credit page shows: never a class, a score or a sanction.

use chrono::NaiveDate;
use lianjian_domain::Invalid;
use lianjian_domain::credit::appeal as rules;
use lianjian_domain::error::bounded_text;
use lianjian_domain::usci::Usci;
use lianjian_store::accounts as throttle;
use uuid::Uuid;

use crate::credit::public;
use crate::credit::repair::{self, AppealInput};
use crate::clues::portal::{ChallengeAnswer, limit, portal_actor, verify};
use crate::error::Checker;
use crate::{Result, ServiceError, Services};

/// Objections one client address may file per [`IP_WINDOW_MINUTES`].
pub const PER_IP: u64 = 5;
pub const IP_WINDOW_MINUTES: i64 = 60;

/// The form as sent. Text as typed; [`submit`] checks everything.
#[derive(Debug, Clone, Default)]
pub struct PortalObjectionInput {
    /// The entity's unified social credit code.
    pub usci: String,
    /// The public entry objected to (its id, as the form lists it).
    pub entry_id: String,
    /// 联系人: who files for the entity.
    pub contact: String,
    /// 联系电话.
    pub phone: String,
    /// 异议理由.
    pub statement: String,
    pub challenge: ChallengeAnswer,
}

/// What the entity is told once filed.
#[derive(Debug, Clone)]
pub struct Filed {
    pub code: String,
    /// The decision is due by this day (10 working days).
    pub due: Option<NaiveDate>,
}

/// Files an objection from the portal: the limit, the challenge, the fields (each error names
/// its field), then [`repair::register`] as `portal`; the filing counts against the address.
pub async fn submit(
    svc: &Services,
    ip: Option<String>,
    input: &PortalObjectionInput,
) -> Result<Filed> {
    let ip_key = format!("portal-objection:ip:{}", ip.as_deref().unwrap_or("unknown"));
    limit(svc, &ip_key, PER_IP, IP_WINDOW_MINUTES).await?;
    verify(svc, &input.challenge).await?;

    let mut ch = Checker::default();
    let credit = match Usci::parse(&input.usci) {
        Err(e) => {
            ch.push("usci", e);
            None
        }
        Ok(u) => match public::of_entity(svc, u.as_str()).await {
            Ok(c) => Some(c),
            Err(ServiceError::NotFound) => {
                ch.push(
                    "usci",
                    Invalid::new(
                        "unknown_entity",
                        "本平台没有该统一社会信用代码的经营主体，请核对后重新填写",
                        "no entity with this credit code on this site",
                    ),
                );
                None
            }
            Err(e) => return Err(e),
        },
    };
    let entry = match Uuid::parse_str(input.entry_id.trim()) {
        Err(_) => {
            ch.push(
                "entry_id",
                Invalid::new(
                    "required",
                    "请选择有异议的公示记录",
                    "choose the public entry objected to",
                ),
            );
            None
        }
        Ok(id) => match &credit {
            Some(c) if !c.entries.iter().any(|x| x.id == id) => {
                ch.push(
                    "entry_id",
                    Invalid::new(
                        "not_public",
                        "所选记录不是该主体正在公示的信用记录，请重新选择",
                        "the entry is not one of the entity's public entries",
                    ),
                );
                None
            }
            _ => Some(id),
        },
    };
    let contact = ch.check(
        "contact",
        bounded_text(&input.contact, 2, 20, "联系人", "contact"),
    );
    let phone = if input.phone.trim().is_empty() {
        ch.push(
            "phone",
            Invalid::new(
                "required",
                "请填写联系电话，以便作出决定的部门联系您",
                "a phone number is needed",
            ),
        );
        None
    } else {
        ch.check("phone", lianjian_domain::clue::phone(&input.phone))
            .flatten()
    };
    let statement = ch.check("statement", rules::statement(&input.statement));
    ch.finish()?;
    let (contact, phone) = (contact.expect("checked"), phone.expect("checked"));
    let mut actor = portal_actor(svc, ip.clone());
    actor.display_name = "信用信息公示平台".into();
    let d = repair::register(
        svc,
        &actor,
        &AppealInput {
            kind: "objection".into(),
            entry_id: entry,
            applicant: format!("{contact}（{phone}）"),
            statement: statement.expect("checked"),
        },
    )
    .await?;
    throttle::record_login_failure(svc.store.conn(), &ip_key, ip.as_deref(), svc.now()).await?;
    Ok(Filed {
        code: d.appeal.code,
        due: d.appeal.clocks.first().map(|k| k.due),
    })
}

#[cfg(test)]
mod tests {
    /// The contact and the phone are kept together as the appeal's applicant (申请人, at most
    /// 40 characters): the longest of each still fits.
    #[test]
    fn contact_and_phone_fit_the_applicant_field() {
        let longest = format!("{}（{}）", "张".repeat(20), "0395-12345678-1234");
        assert!(
            lianjian_domain::credit::appeal::applicant(&longest).is_ok(),
            "{longest}"
        );
    }
}
