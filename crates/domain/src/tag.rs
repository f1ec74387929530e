//! Tags (标签化管理, 鲁 task 12): a managed vocabulary in three levels, set by hand, by rules
//! or by 双告知, and combined into items' object definitions ([`crate::tag_expr`]).

use crate::Invalid;
use crate::directory::labelled_enum;
use crate::error::bounded_text;

/// Tag code: 2–64 characters of letters, digits, `_`, `.`, `-` or Chinese; no spaces, so it
/// can stand bare in a tag expression.
pub fn tag_code(s: &str) -> Result<String, Invalid> {
    let t = s.trim();
    let ok = (2..=64).contains(&t.chars().count())
        && t.chars().all(|c| c.is_alphanumeric() || "_.-".contains(c))
        && !matches!(t.to_ascii_uppercase().as_str(), "AND" | "OR" | "NOT");
    if ok {
        Ok(t.to_string())
    } else {
        Err(Invalid::new(
            "tag_code",
            format!("标签代码“{t}”不正确：2–64 位字母、数字、汉字或 _ . -，不能是 AND/OR/NOT"),
            format!(
                "tag code '{t}' is malformed: 2–64 letters, digits, CJK or _ . -, not AND/OR/NOT"
            ),
        ))
    }
}

pub fn tag_name(s: &str) -> Result<String, Invalid> {
    bounded_text(s, 2, 64, "标签名称", "tag name")
}

/// Largest risk weight of a tag (the draw record's limit for a candidate's weight).
pub use crate::draw::MAX_RISK_WEIGHT;

/// A tag's risk weight for risk-weighted draws (按风险加权抽取): an integer 1–10, 1 meaning no
/// weighting; empty means 1.
pub fn risk_weight(s: &str) -> Result<u8, Invalid> {
    let t = s.trim();
    if t.is_empty() {
        return Ok(1);
    }
    match t.parse::<u8>() {
        Ok(w) if (1..=MAX_RISK_WEIGHT).contains(&w) => Ok(w),
        _ => Err(Invalid::new(
            "risk_weight",
            format!("风险权重“{t}”不正确，应为 1–{MAX_RISK_WEIGHT} 的整数（1 表示不加权）"),
            format!("risk weight '{t}' must be an integer 1–{MAX_RISK_WEIGHT} (1 = no weighting)"),
        )),
    }
}

/// An entity's risk weight: the largest weight among its tags, 1 if it has none (a tag of
/// weight 3 such as 高风险 makes the entity weigh 3 whatever its other tags).
pub fn entity_risk_weight(tag_weights: impl IntoIterator<Item = u8>) -> u8 {
    tag_weights.into_iter().max().unwrap_or(1).max(1)
}

labelled_enum!(
    /// Level in the vocabulary.
    TagLevel {
        Major = "major" / "大类",
        Middle = "middle" / "中类",
        Minor = "minor" / "小类",
    }
);

impl TagLevel {
    pub fn number(self) -> i16 {
        match self {
            TagLevel::Major => 1,
            TagLevel::Middle => 2,
            TagLevel::Minor => 3,
        }
    }

    pub fn from_number(n: i16) -> Option<Self> {
        match n {
            1 => Some(TagLevel::Major),
            2 => Some(TagLevel::Middle),
            3 => Some(TagLevel::Minor),
            _ => None,
        }
    }

    /// The level a child of this level has.
    pub fn child(self) -> Option<Self> {
        Self::from_number(self.number() + 1)
    }
}

labelled_enum!(
    /// How a tag came to an entity.
    TagSource {
        Manual = "manual" / "手工",
        Rule = "rule" / "规则",
        Notification = "notification" / "双告知",
        Import = "import" / "导入",
    }
);

labelled_enum!(
    /// What a tag rule looks at.
    RuleKind {
        LicenceType = "licence_type" / "许可证类型",
        IndustryPrefix = "industry_prefix" / "行业代码前缀",
        ScopeKeyword = "scope_keyword" / "经营范围关键词",
    }
);

/// The facts of an entity that rules read.
#[derive(Debug, Clone, Default)]
pub struct RuleFacts<'a> {
    pub licence_types: Vec<&'a str>,
    pub industry_code: Option<&'a str>,
    pub business_scope: Option<&'a str>,
}

/// Whether a rule of `kind` with `pattern` selects an entity with `facts`.
pub fn rule_matches(kind: RuleKind, pattern: &str, facts: &RuleFacts<'_>) -> bool {
    let p = pattern.trim();
    if p.is_empty() {
        return false;
    }
    match kind {
        RuleKind::LicenceType => facts.licence_types.iter().any(|t| t.trim() == p),
        RuleKind::IndustryPrefix => {
            let p = p.to_ascii_uppercase();
            // "H62" and "62" both select "H6210" and "6210".
            let strip = |s: &str| {
                s.trim_start_matches(|c: char| c.is_ascii_alphabetic())
                    .to_string()
            };
            facts
                .industry_code
                .is_some_and(|c| c.starts_with(&p) || strip(c).starts_with(&strip(&p)))
        }
        RuleKind::ScopeKeyword => facts.business_scope.is_some_and(|s| s.contains(p)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes() {
        assert!(tag_code("餐饮服务").is_ok());
        assert!(tag_code("food.catering-1").is_ok());
        assert!(tag_code("a b").is_err());
        assert!(tag_code("and").is_err());
    }

    #[test]
    fn risk_weights() {
        assert_eq!(risk_weight(""), Ok(1));
        assert_eq!(risk_weight(" 3 "), Ok(3));
        assert_eq!(risk_weight("10"), Ok(10));
        for bad in ["0", "11", "-1", "2.5", "高"] {
            assert_eq!(risk_weight(bad).unwrap_err().code, "risk_weight", "{bad}");
        }
        assert_eq!(entity_risk_weight([]), 1);
        assert_eq!(entity_risk_weight([1, 3, 2]), 3);
    }

    #[test]
    fn rules() {
        let f = RuleFacts {
            licence_types: vec!["食品经营许可证"],
            industry_code: Some("H6210"),
            business_scope: Some("餐饮服务；预包装食品销售"),
        };
        assert!(rule_matches(RuleKind::LicenceType, "食品经营许可证", &f));
        assert!(rule_matches(RuleKind::IndustryPrefix, "62", &f));
        assert!(rule_matches(RuleKind::IndustryPrefix, "H62", &f));
        assert!(!rule_matches(RuleKind::IndustryPrefix, "63", &f));
        assert!(rule_matches(RuleKind::ScopeKeyword, "预包装食品", &f));
        assert!(!rule_matches(RuleKind::ScopeKeyword, "", &f));
    }
}
