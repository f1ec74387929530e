//! 审管衔接 (approval–supervision hand-over, 鲁 task 5 "强化审管协同联动"; 国办发〔2023〕1号
//! (十二)): an approval result (a licence granted, changed or revoked) arrives from the
//! approval bureau and is offered to the supervising department as a 双告知 claim with a
//! claiming deadline in working days (the claim clock below); unclaimed ones go to the
//! coordination office as 双告知 escalations do. Supervision results that bear on a licence are
//! fed back to the bureau ([`FeedbackKind`]).

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::Invalid;
use crate::case::ClockSpec;
use crate::directory::labelled_enum;
use crate::error::bounded_text;
use crate::lifecycle::lifecycle;
use crate::usci::Usci;

labelled_enum!(
    /// What the approval bureau decided about a licence.
    LicenceEvent {
        Granted = "granted" / "准予许可",
        Changed = "changed" / "变更许可",
        Revoked = "revoked" / "撤销注销",
    }
);

labelled_enum!(
    /// A hand-over as a case: offered to the supervising department (`pending`), claimed by it,
    /// or — rejected or not claimed in time — with the coordination office (`escalated`), which
    /// assigns a department. The claim rows (domain::claim) hold each department's answer.
    HandoverStatus {
        Pending = "pending" / "待认领",
        Claimed = "claimed" / "已认领",
        Escalated = "escalated" / "待协调办指定",
        Assigned = "assigned" / "已指定",
    }
);

lifecycle!(HandoverStatus, "审管衔接事项", "hand-over", {
    Pending => [Claimed, Escalated],
    Claimed => [],
    Escalated => [Assigned],
    Assigned => [],
});

impl HandoverStatus {
    pub fn is_open(self) -> bool {
        matches!(self, HandoverStatus::Pending | HandoverStatus::Escalated)
    }
}

labelled_enum!(
    /// What supervision tells the approval bureau about a licence.
    FeedbackKind {
        Revocation = "revocation" / "吊销许可建议",
        Suspension = "suspension" / "暂扣许可建议",
        Change = "change" / "变更许可建议",
        Notice = "notice" / "监管情况告知",
    }
);

/// The claiming deadline: the supervising department claims a hand-over within 5 working days
/// (yellow on the last working day before); the clock stops when the hand-over is claimed or
/// assigned, late if after the deadline.
pub const CLAIM_CLOCK: ClockSpec = ClockSpec {
    name: "claim",
    label_zh: "认领",
    working_days: 5,
    warn_within: 1,
};

/// A licence number as the bureau writes it: 4–64 characters, letters, digits, CJK and
/// `-()（）〔〕[]第号/` only (it is a key: no spaces inside).
pub fn licence_no(s: &str) -> Result<String, Invalid> {
    let v = bounded_text(s, 4, 64, "许可证号", "licence number")?;
    if let Some(c) = v
        .chars()
        .find(|c| !(c.is_alphanumeric() || "-()（）〔〕[]【】/_.·".contains(*c)))
    {
        return Err(Invalid::new(
            "licence_no_char",
            format!("许可证号“{v}”含有不允许的字符“{c}”"),
            format!("licence number '{v}' contains '{c}'"),
        ));
    }
    Ok(v)
}

/// An approval result as it arrives (API body or xlsx row), before the database resolves the
/// entity and the item.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct LicenceInput {
    /// 许可证号 (with `event`, the key of an idempotent push).
    #[serde(default)]
    pub licence_no: String,
    /// `granted`, `changed`, `revoked` or their Chinese labels.
    #[serde(default)]
    pub event: String,
    /// 统一社会信用代码 of the licensee (must be in the directory).
    #[serde(default)]
    pub usci: String,
    /// 监管事项编码 of the item the licence is supervised under.
    #[serde(default)]
    pub item_code: String,
    /// 许可事项名称 as the bureau names it.
    #[serde(default)]
    pub licence_name: String,
    /// 决定日期, e.g. 2026-12-01.
    #[serde(default)]
    pub decided_on: String,
    /// 审批部门 (the bureau's name).
    #[serde(default)]
    pub bureau: String,
}

/// The parts of a [`LicenceInput`] that parse without the database.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParsedLicence {
    pub licence_no: String,
    pub event: LicenceEvent,
    pub usci: Usci,
    pub item_code: String,
    pub licence_name: String,
    pub decided_on: NaiveDate,
    pub bureau: String,
}

/// Parses every field, naming each one that is wrong (field, message).
pub fn parse(
    input: &LicenceInput,
    today: NaiveDate,
) -> Result<ParsedLicence, Vec<(&'static str, Invalid)>> {
    let mut errs = Vec::new();
    fn take<T>(
        errs: &mut Vec<(&'static str, Invalid)>,
        field: &'static str,
        r: Result<T, Invalid>,
    ) -> Option<T> {
        r.map_err(|e| errs.push((field, e))).ok()
    }
    let no = take(&mut errs, "licence_no", licence_no(&input.licence_no));
    let event = take(&mut errs, "event", LicenceEvent::parse(input.event.trim()));
    let usci = take(&mut errs, "usci", Usci::parse(&input.usci));
    let item = take(
        &mut errs,
        "item_code",
        bounded_text(&input.item_code, 1, 32, "监管事项编码", "item code"),
    );
    let name = take(
        &mut errs,
        "licence_name",
        bounded_text(&input.licence_name, 2, 100, "许可事项名称", "licence name"),
    );
    let decided = take(
        &mut errs,
        "decided_on",
        crate::directory::loose_date(&input.decided_on).and_then(|d| match d {
            None => Err(Invalid::new(
                "required",
                "请填写决定日期",
                "decided_on is required",
            )),
            Some(d) if d > today => Err(Invalid::new(
                "future_date",
                format!("决定日期 {d} 晚于今天"),
                format!("decided_on {d} is in the future"),
            )),
            Some(d) => Ok(d),
        }),
    );
    let bureau = take(
        &mut errs,
        "bureau",
        bounded_text(&input.bureau, 2, 64, "审批部门", "bureau"),
    );
    if !errs.is_empty() {
        return Err(errs);
    }
    Ok(ParsedLicence {
        licence_no: no.expect("checked"),
        event: event.expect("checked"),
        usci: usci.expect("checked"),
        item_code: item.expect("checked"),
        licence_name: name.expect("checked"),
        decided_on: decided.expect("checked"),
        bureau: bureau.expect("checked"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lifecycle::Lifecycle;

    fn input() -> LicenceInput {
        LicenceInput {
            licence_no: "JY14111210000123".into(),
            event: "准予许可".into(),
            usci: "91350100M000100Y43".into(),
            item_code: "WY-SC-001".into(),
            licence_name: "食品经营许可".into(),
            decided_on: "2026/12/1".into(),
            bureau: "县行政审批和政务信息管理局".into(),
        }
    }

    #[test]
    fn a_result_parses_and_each_bad_field_is_named() {
        let today: NaiveDate = "2026-12-07".parse().unwrap();
        let p = parse(&input(), today).unwrap();
        assert_eq!(p.event, LicenceEvent::Granted);
        assert_eq!(p.decided_on, "2026-12-01".parse::<NaiveDate>().unwrap());
        let mut bad = input();
        bad.licence_no = "JY 1".into();
        bad.event = "批准".into();
        bad.decided_on = "2026-12-08".into();
        let errs = parse(&bad, today).unwrap_err();
        let fields: Vec<_> = errs.iter().map(|(f, _)| *f).collect();
        assert_eq!(fields, ["licence_no", "event", "decided_on"]);
        assert_eq!(errs[2].1.code, "future_date");
    }

    #[test]
    fn hand_over_moves() {
        assert!(HandoverStatus::Pending.can_move_to(HandoverStatus::Claimed));
        assert!(HandoverStatus::Pending.can_move_to(HandoverStatus::Escalated));
        assert!(!HandoverStatus::Pending.can_move_to(HandoverStatus::Assigned));
        assert!(HandoverStatus::Escalated.can_move_to(HandoverStatus::Assigned));
        assert!(HandoverStatus::Claimed.is_final());
        assert!(HandoverStatus::Escalated.is_open());
        for s in HandoverStatus::ALL {
            assert_eq!(HandoverStatus::parse(s.label_zh()).unwrap(), *s);
        }
    }
}
