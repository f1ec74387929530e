//! The inspector pool (执法检查人员库) and the expert pool (专家库) of double-random inspections
//! (双随机、一公开, 国办发〔2023〕1号 (九)): who may be drawn, with which qualifications, and the
//! conflicts of interest (回避) they declared. See `docs/double-random.md`.
//!
//! The certificate number (执法证号) is [`crate::account::CertificateNumber`], the same value a
//! user account of role inspector carries.

use crate::Invalid;
use crate::directory::labelled_enum;
use crate::error::bounded_text;

labelled_enum!(
    /// Whether someone can be drawn now: only active (在岗) members are; people on leave come
    /// back, people who left stay in the pool for the history of past draws.
    InspectorStatus {
        Active = "active" / "在岗",
        OnLeave = "on_leave" / "休假",
        Left = "left" / "离岗",
    }
);

labelled_enum!(
    /// Law-enforcement officers (执法人员) are drawn for every visit; experts (专家) only when a
    /// plan asks for them.
    InspectorKind {
        Officer = "officer" / "执法人员",
        Expert = "expert" / "专家",
    }
);

/// Characters that separate qualifications in a list (and so cannot be inside one).
pub const QUALIFICATION_SEPARATORS: [char; 5] = [',', '，', ';', '；', '、'];

/// Longest qualification label, in characters.
pub const QUALIFICATION_MAX_CHARS: usize = 20;

/// A qualification (资格) label such as 特种设备 or 食品安全: trimmed, 1–20 characters, none of
/// the list separators `, ， ; ； 、`.
pub fn qualification(s: &str) -> Result<String, Invalid> {
    let v = bounded_text(s, 1, QUALIFICATION_MAX_CHARS, "资格", "qualification")?;
    if let Some(bad) = v.chars().find(|c| QUALIFICATION_SEPARATORS.contains(c)) {
        return Err(Invalid::new(
            "qualification_separator",
            format!("资格“{v}”不能包含“{bad}”：多项资格请分开填写"),
            format!("qualification '{v}' must not contain '{bad}'; list several separately"),
        ));
    }
    Ok(v)
}

/// A list of qualifications as a spreadsheet cell or a form has it, separated by `、`, `，`,
/// `,`, `；` or `;` (or new lines): each parsed, duplicates dropped, sorted. Empty is no
/// qualification.
pub fn qualifications(s: &str) -> Result<Vec<String>, Invalid> {
    let mut out: Vec<String> = Vec::new();
    for part in s
        .split(|c: char| QUALIFICATION_SEPARATORS.contains(&c) || c == '\n' || c == '\r')
        .map(str::trim)
        .filter(|p| !p.is_empty())
    {
        let q = qualification(part)?;
        if !out.contains(&q) {
            out.push(q);
        }
    }
    out.sort();
    Ok(out)
}

/// The reason given when declaring a conflict of interest (回避事由), 2–200 characters, e.g.
/// “配偶在该企业任职”.
pub fn conflict_reason(s: &str) -> Result<String, Invalid> {
    if s.trim().is_empty() {
        return Err(Invalid::new(
            "required",
            "回避事由不能为空",
            "a conflict reason is required",
        ));
    }
    bounded_text(s, 2, 200, "回避事由", "conflict reason")
}

/// A member's name (姓名), 2–50 characters.
pub fn inspector_name(s: &str) -> Result<String, Invalid> {
    if s.trim().is_empty() {
        return Err(Invalid::new("required", "姓名不能为空", "name is required"));
    }
    bounded_text(s, 2, 50, "姓名", "name")
}

/// Whether a member with this kind and status may be drawn for a visit; experts only when the
/// plan asks for experts.
pub fn drawable(kind: InspectorKind, status: InspectorStatus, experts_wanted: bool) -> bool {
    status == InspectorStatus::Active
        && match kind {
            InspectorKind::Officer => true,
            InspectorKind::Expert => experts_wanted,
        }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_and_kinds_parse_from_codes_and_labels() {
        assert_eq!(
            InspectorStatus::parse("休假").unwrap(),
            InspectorStatus::OnLeave
        );
        assert_eq!(
            InspectorStatus::parse("left").unwrap(),
            InspectorStatus::Left
        );
        assert_eq!(
            InspectorKind::parse(" 专家 ").unwrap(),
            InspectorKind::Expert
        );
        assert_eq!(
            InspectorKind::parse("临时工").unwrap_err().code,
            "unknown_InspectorKind"
        );
    }

    #[test]
    fn qualification_labels() {
        assert_eq!(qualification(" 特种设备 ").unwrap(), "特种设备");
        assert_eq!(qualification("").unwrap_err().code, "required");
        assert_eq!(
            qualification("食品安全，药品").unwrap_err().code,
            "qualification_separator"
        );
        assert_eq!(
            qualification(&"资".repeat(21)).unwrap_err().code,
            "too_long"
        );
        assert!(qualification(&"资".repeat(20)).is_ok());
    }

    #[test]
    fn qualification_lists_split_dedupe_and_sort() {
        let mut want: Vec<String> = ["食品安全", "特种设备", "消防", "药品"]
            .map(String::from)
            .to_vec();
        want.sort();
        assert_eq!(
            qualifications("食品安全、特种设备,食品安全；消防\n药品").unwrap(),
            want
        );
        assert!(qualifications(" ,、 ").unwrap().is_empty());
        assert!(qualifications(&format!("消防、{}", "资".repeat(21))).is_err());
    }

    #[test]
    fn only_active_members_are_drawn_and_experts_on_request() {
        use InspectorKind::*;
        use InspectorStatus::*;
        assert!(drawable(Officer, Active, false));
        assert!(!drawable(Officer, OnLeave, true));
        assert!(!drawable(Officer, Left, true));
        assert!(!drawable(Expert, Active, false));
        assert!(drawable(Expert, Active, true));
    }

    #[test]
    fn reasons_and_names() {
        assert_eq!(
            conflict_reason(" 配偶在该企业任职 ").unwrap(),
            "配偶在该企业任职"
        );
        assert_eq!(conflict_reason("亲").unwrap_err().code, "too_short");
        assert_eq!(conflict_reason("").unwrap_err().code, "required");
        assert_eq!(inspector_name("张").unwrap_err().code, "too_short");
        assert_eq!(inspector_name(" ").unwrap_err().code, "required");
        assert_eq!(inspector_name("欧阳明").unwrap(), "欧阳明");
    }
}
