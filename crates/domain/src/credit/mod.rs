//! Joint credit supervision (联合信用监管, 国办发〔2023〕1号 (十一), 鲁 task 14): the credit
//! records kept per entity (信用记录) and the publication periods of the credit repair rules in
//! force from 2026-04-01 (公共信用信息纠错修复管理办法: 轻微 normally not published and at most
//! 3 months; 一般 3 months – 1 year; 严重 1 – 3 years; food, drugs, special equipment, work and
//! fire safety at least 1 year; repair only after the minimum period; publication stops by
//! itself at the maximum).
//!
//! Pure: the store keeps the rows, the services decide who may write them. What of a record the
//! public may read is decided here, once ([`CreditRecord::is_public_on`]).

pub mod appeal;
pub mod sanction;

use chrono::{Months, NaiveDate};
use serde::{Deserialize, Serialize};

pub mod evaluation;

use crate::Invalid;
use crate::directory::labelled_enum;
use crate::error::bounded_text;

labelled_enum!(
    /// What a credit record is. Inspection results are not stored as records: visits hold them,
    /// and the timeline and the evaluation read them there. A verified complaint or report
    /// (查实投诉举报) is written by the clue's 办结 when the department finds it 属实 or 部分属实
    /// (国办发〔2023〕1号 (十)(十一): clue handling results feed the credit records).
    RecordKind {
        Penalty = "penalty" / "行政处罚",
        AbnormalListing = "abnormal" / "经营异常名录",
        SeriousDishonesty = "dishonest" / "严重违法失信名单",
        Sanction = "sanction" / "联合惩戒",
        Commendation = "commendation" / "表彰奖励",
        VerifiedClue = "verified_clue" / "查实投诉举报",
    }
);

impl RecordKind {
    /// Written by another capability's step (a sanction task carried out, a clue closed as
    /// verified), never typed, imported or pushed as such.
    pub fn is_derived(self) -> bool {
        matches!(self, RecordKind::Sanction | RecordKind::VerifiedClue)
    }
}

labelled_enum!(
    /// The tier of a dishonest act (失信行为严重程度), which sets its publication period.
    Tier {
        Minor = "minor" / "轻微",
        General = "general" / "一般",
        Serious = "serious" / "严重",
    }
);

labelled_enum!(
    /// Where a record stands: in force; removed from a list (移出名录, kept, no longer in
    /// force); repaired (信用修复: publication stopped before the maximum); withdrawn after an
    /// objection or a court ruling (撤销: wrong, never counted).
    RecordStatus {
        Active = "active" / "有效",
        Removed = "removed" / "已移出",
        Repaired = "repaired" / "已修复",
        Withdrawn = "withdrawn" / "已撤销",
    }
);

labelled_enum!(
    /// Penalty types of 《行政处罚法》 art. 9.
    PenaltyKind {
        Warning = "warning" / "警告",
        Criticism = "criticism" / "通报批评",
        Fine = "fine" / "罚款",
        ConfiscateGains = "confiscate_gains" / "没收违法所得",
        ConfiscateProperty = "confiscate_property" / "没收非法财物",
        LicenceSuspension = "licence_suspension" / "暂扣许可证件",
        QualificationDowngrade = "downgrade" / "降低资质等级",
        LicenceRevocation = "licence_revocation" / "吊销许可证件",
        BusinessRestriction = "restriction" / "限制开展生产经营活动",
        Suspension = "suspension" / "责令停产停业",
        Closure = "closure" / "责令关闭",
        EmploymentRestriction = "employment_restriction" / "限制从业",
        Detention = "detention" / "行政拘留",
        Other = "other" / "其他",
    }
);

labelled_enum!(
    /// Fields where the minimum publication period is at least one year (the 2026 repair
    /// rules: 食品、药品、特种设备、安全生产、消防安全).
    StrictField {
        Food = "food" / "食品",
        Drugs = "drugs" / "药品",
        SpecialEquipment = "special_equipment" / "特种设备",
        WorkSafety = "work_safety" / "安全生产",
        FireSafety = "fire_safety" / "消防安全",
    }
);

labelled_enum!(
    /// Where a record came from.
    RecordSource {
        Import = "import" / "表格导入",
        Api = "api" / "接口推送",
        Manual = "manual" / "手工录入",
        Sanction = "sanction" / "联合惩戒",
        Clue = "clue" / "问题线索办结",
    }
);

/// When a record may be published and repaired.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Publication {
    /// Whether the record is published at all (a minor penalty normally is not).
    pub published: bool,
    /// First day a repair application is accepted (the minimum period has passed).
    pub repair_from: NaiveDate,
    /// Last day of publication (the maximum): publication stops by itself after it.
    pub until: NaiveDate,
}

pub(crate) fn plus_months(d: NaiveDate, months: u32) -> NaiveDate {
    d.checked_add_months(Months::new(months))
        .unwrap_or(NaiveDate::MAX)
}

/// The publication period of a penalty of `tier` decided on `decided`.
pub fn penalty_publication(
    tier: Tier,
    strict: Option<StrictField>,
    decided: NaiveDate,
) -> Publication {
    let (published, min, max) = match tier {
        Tier::Minor => (false, 0, 3),
        Tier::General => (true, 3, 12),
        Tier::Serious => (true, 12, 36),
    };
    // In the strict fields the minimum is a year, and a record is published at least that long.
    let (min, max) = if strict.is_some() {
        (min.max(12), max.max(12))
    } else {
        (min, max)
    };
    Publication {
        published,
        repair_from: plus_months(decided, min),
        until: plus_months(decided, max),
    }
}

/// A listing's publication: while listed, and (serious dishonesty) for three years at most
/// from listing (严重失信主体名单: repair after one year).
pub fn listing_publication(kind: RecordKind, listed: NaiveDate) -> Publication {
    match kind {
        RecordKind::SeriousDishonesty => Publication {
            published: true,
            repair_from: plus_months(listed, 12),
            until: plus_months(listed, 36),
        },
        // 经营异常名录: removed once the cause is corrected; moved to the serious list after 3 years.
        _ => Publication {
            published: true,
            repair_from: listed,
            until: plus_months(listed, 36),
        },
    }
}

/// How long a verified complaint or report stays on the record: one year from the day the clue
/// was finished (the longest window the standard index looks back on complaints is 12 months),
/// never published — complaints and their findings are internal (DOMAIN.md "What is public"; no
/// rule publishes them), and the entity may object (异议) at once.
pub fn verified_clue_publication(finished: NaiveDate) -> Publication {
    Publication {
        published: false,
        repair_from: finished,
        until: plus_months(finished, 12),
    }
}

/// A penalty decision number (行政处罚决定书文号), e.g. `舞市监罚〔2026〕12号`: 4–64 characters.
pub fn decision_no(s: &str) -> Result<String, Invalid> {
    bounded_text(s, 4, 64, "决定书文号", "decision number")
}

/// The act found (违法行为), 2–500 characters.
pub fn violation(s: &str) -> Result<String, Invalid> {
    bounded_text(s, 2, 500, "违法行为", "violation")
}

/// The legal basis (法律依据), 2–500 characters.
pub fn legal_basis(s: &str) -> Result<String, Invalid> {
    bounded_text(s, 2, 500, "法律依据", "legal basis")
}

/// An amount in yuan with at most two decimals (罚没金额), as cents; 0 – 10,000,000,000 yuan.
pub fn amount_cents(s: &str) -> Result<i64, Invalid> {
    let t = s.trim().trim_end_matches('元').replace([',', '，'], "");
    if t.is_empty() {
        return Ok(0);
    }
    let bad = || {
        Invalid::new(
            "amount",
            format!("罚没金额“{}”应为不超过两位小数的非负金额（元）", s.trim()),
            format!(
                "amount '{}' must be a non-negative sum in yuan with at most two decimals",
                s.trim()
            ),
        )
    };
    let (whole, frac) = match t.split_once('.') {
        Some((w, f)) => (w, f),
        None => (t.as_str(), ""),
    };
    if whole.is_empty()
        || whole.len() > 11
        || frac.len() > 2
        || !whole.bytes().all(|b| b.is_ascii_digit())
        || !frac.bytes().all(|b| b.is_ascii_digit())
    {
        return Err(bad());
    }
    let w: i64 = whole.parse().map_err(|_| bad())?;
    let f: i64 = format!("{frac:0<2}").parse().map_err(|_| bad())?;
    let cents = w * 100 + f;
    if cents > 1_000_000_000_000 {
        return Err(bad());
    }
    Ok(cents)
}

/// Cents as yuan for display: `12,345.60`.
pub fn yuan(cents: i64) -> String {
    let w = (cents / 100).to_string();
    let mut grouped = String::new();
    for (i, ch) in w.chars().enumerate() {
        if i > 0 && (w.len() - i) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(ch);
    }
    format!("{grouped}.{:02}", cents % 100)
}

/// What kind-specific facts a record carries (kept as JSON).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum RecordDetail {
    Penalty {
        /// 处罚种类, at least one.
        kinds: Vec<PenaltyKind>,
        /// 罚没金额, cents.
        amount_cents: i64,
        strict_field: Option<StrictField>,
    },
    Listing {
        /// 列入原因.
        reason: String,
        removed_on: Option<NaiveDate>,
        removal_reason: Option<String>,
    },
    /// A joint-sanction measure (联合惩戒措施) in force on the entity from `occurred_on` to
    /// `until`; `class_d` when the measure raises inspection frequency on this platform (the
    /// entity counts as class D for the period, 国办 (十一)).
    Sanction {
        measure: String,
        until: NaiveDate,
        class_d: bool,
    },
    /// A complaint or report found true by the department that handled it (查实): the clue's
    /// number and the finding (属实 / 部分属实).
    VerifiedClue {
        clue_code: String,
        finding: crate::clue::Finding,
    },
    /// A commendation or another fact told in words.
    Note { text: String },
}

/// A credit record as the domain sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[schema(as = CreditEntryRecord)]
pub struct CreditRecord {
    pub kind: RecordKind,
    pub tier: Option<Tier>,
    pub occurred_on: NaiveDate,
    pub status: RecordStatus,
    pub publication: Publication,
}

impl CreditRecord {
    /// Whether the public may read the record on `today` (DOMAIN.md: penalties within their
    /// publication period are public; classes and scores never). Withdrawn, repaired and
    /// removed records, and minor penalties, are not published.
    pub fn is_public_on(&self, today: NaiveDate) -> bool {
        self.publication.published
            && self.status == RecordStatus::Active
            && self.occurred_on <= today
            && today <= self.publication.until
            && matches!(
                self.kind,
                RecordKind::Penalty | RecordKind::AbnormalListing | RecordKind::SeriousDishonesty
            )
    }

    /// Whether a repair application is accepted on `today`: an active, negative record whose
    /// minimum period has passed.
    pub fn repairable_on(&self, today: NaiveDate) -> Result<(), Invalid> {
        if self.status != RecordStatus::Active || self.kind == RecordKind::Commendation {
            return Err(Invalid::new(
                "not_repairable",
                format!("该记录状态为“{}”，不能申请信用修复", self.status.label_zh()),
                "only an active negative record can be repaired",
            ));
        }
        if today < self.publication.repair_from {
            return Err(Invalid::new(
                "too_early",
                format!(
                    "最短公示期未满，{} 起方可申请信用修复",
                    self.publication.repair_from
                ),
                format!(
                    "the minimum publication period ends; apply from {}",
                    self.publication.repair_from
                ),
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn periods_follow_the_2026_rules() {
        let p = penalty_publication(Tier::Minor, None, d("2026-05-31"));
        assert!(!p.published);
        assert_eq!(p.until, d("2026-08-31"));
        assert_eq!(p.repair_from, d("2026-05-31"));
        let p = penalty_publication(Tier::General, None, d("2026-01-31"));
        assert_eq!((p.repair_from, p.until), (d("2026-04-30"), d("2027-01-31")));
        let p = penalty_publication(Tier::Serious, None, d("2026-02-01"));
        assert_eq!((p.repair_from, p.until), (d("2027-02-01"), d("2029-02-01")));
        // Food: at least a year, even for a general or minor penalty.
        let p = penalty_publication(Tier::General, Some(StrictField::Food), d("2026-02-01"));
        assert_eq!((p.repair_from, p.until), (d("2027-02-01"), d("2027-02-01")));
        let p = penalty_publication(Tier::Minor, Some(StrictField::FireSafety), d("2026-02-01"));
        assert_eq!(p.until, d("2027-02-01"));
        assert!(!p.published);
    }

    #[test]
    fn public_only_within_the_period_and_while_active() {
        let mut r = CreditRecord {
            kind: RecordKind::Penalty,
            tier: Some(Tier::General),
            occurred_on: d("2026-03-01"),
            status: RecordStatus::Active,
            publication: penalty_publication(Tier::General, None, d("2026-03-01")),
        };
        assert!(!r.is_public_on(d("2026-02-28")));
        assert!(r.is_public_on(d("2026-03-01")));
        assert!(r.is_public_on(d("2027-03-01")));
        assert!(!r.is_public_on(d("2027-03-02")));
        assert!(r.repairable_on(d("2026-05-31")).is_err());
        assert!(r.repairable_on(d("2026-06-01")).is_ok());
        r.status = RecordStatus::Repaired;
        assert!(!r.is_public_on(d("2026-04-01")));
        assert!(r.repairable_on(d("2026-07-01")).is_err());
        r.status = RecordStatus::Active;
        r.kind = RecordKind::Sanction;
        assert!(!r.is_public_on(d("2026-04-01")));
        // A verified complaint is internal: never public, even within its period.
        let v = CreditRecord {
            kind: RecordKind::VerifiedClue,
            tier: None,
            occurred_on: d("2026-03-01"),
            status: RecordStatus::Active,
            publication: verified_clue_publication(d("2026-03-01")),
        };
        assert!(!v.is_public_on(d("2026-03-02")));
        assert_eq!(v.publication.until, d("2027-03-01"));
        assert!(RecordKind::VerifiedClue.is_derived() && !RecordKind::Penalty.is_derived());
    }

    #[test]
    fn penalty_labels_survive_a_list() {
        // A cell lists several kinds separated by 、 or commas: no label may hold one.
        for k in PenaltyKind::ALL {
            assert!(
                !k.label_zh().contains(['、', ',', '，', ';', '；']),
                "{k:?}"
            );
        }
    }

    #[test]
    fn amounts() {
        assert_eq!(amount_cents("12,345.6元").unwrap(), 1_234_560);
        assert_eq!(amount_cents("").unwrap(), 0);
        assert_eq!(amount_cents("0.05").unwrap(), 5);
        for bad in ["-1", "1.234", "abc", ".5", "1e5", "100000000001"] {
            assert!(amount_cents(bad).is_err(), "{bad}");
        }
        assert_eq!(yuan(1_234_560), "12,345.60");
        assert_eq!(yuan(5), "0.05");
        assert_eq!(yuan(100_000_000), "1,000,000.00");
    }
}
