//! Regulated entities (监管对象) of the directory (名录库, 鲁 task 3): their kinds, registration
//! status, credit-risk class, industry code and licences.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::Invalid;
use crate::error::bounded_text;

/// A closed set of values each with a stable code (stored, sent over the API, put in links)
/// and a Chinese label (shown on pages, accepted from spreadsheets): what every enum made by
/// [`labelled_enum!`] is, so shared code (a console queue's tabs, a list's `queue` parameter)
/// is written once for all of them.
pub trait Labelled: Copy + PartialEq + 'static {
    /// Every value, in the order pages list them.
    const ALL: &'static [Self];
    fn as_str(self) -> &'static str;
    fn label_zh(self) -> &'static str;
    /// The value of a code or a Chinese label.
    fn parse(s: &str) -> Result<Self, Invalid>;
}

/// An enum of [`Labelled`] values: `Name { Variant = "code" / "中文", … }`. Its `parse` accepts
/// the code or the label and names the choices when it refuses (`unknown_<Name>`). Written
/// `labelled_enum!(queue Name { … })` it is a queue of a case list, refused as `unknown_queue`
/// ("“x”不是有效的队列，可选：…"). Variants may carry doc comments.
#[macro_export]
macro_rules! labelled_enum {
    (queue $(#[$m:meta])* $name:ident { $($(#[$vm:meta])* $variant:ident = $code:literal / $zh:literal),+ $(,)? }) => {
        $crate::labelled_enum!(@enum [$(#[$m])*] $name { $($(#[$vm])* $variant = $code / $zh),+ } |t: &str| {
            $crate::Invalid::new(
                "unknown_queue",
                format!("“{t}”不是有效的队列，可选：{}", $name::ALL.iter().map(|v| v.label_zh()).collect::<Vec<_>>().join("、")),
                format!("'{t}' is not a queue; one of {}", $name::ALL.iter().map(|v| v.as_str()).collect::<Vec<_>>().join(", ")),
            )
        });
    };
    ($(#[$m:meta])* $name:ident { $($(#[$vm:meta])* $variant:ident = $code:literal / $zh:literal),+ $(,)? }) => {
        $crate::labelled_enum!(@enum [$(#[$m])*] $name { $($(#[$vm])* $variant = $code / $zh),+ } |t: &str| {
            let choices: Vec<&str> = $name::ALL.iter().map(|v| v.label_zh()).collect();
            $crate::Invalid::new(
                concat!("unknown_", stringify!($name)),
                format!("“{t}”不是有效的取值，可选：{}", choices.join("、")),
                format!("'{t}' is not a valid value; one of: {}", $name::ALL.iter().map(|v| v.as_str()).collect::<Vec<_>>().join(", ")),
            )
        });
    };
    (@enum [$(#[$m:meta])*] $name:ident { $($(#[$vm:meta])* $variant:ident = $code:literal / $zh:literal),+ } $refusal:expr) => {
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, ::serde::Serialize, ::serde::Deserialize, ::utoipa::ToSchema)]
        #[serde(rename_all = "snake_case")]
        $(#[$m])*
        pub enum $name { $($(#[$vm])* $variant),+ }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $code),+ }
            }

            pub fn label_zh(self) -> &'static str {
                match self { $($name::$variant => $zh),+ }
            }

            /// Accepts the code or the Chinese label (spreadsheets carry the label).
            pub fn parse(s: &str) -> Result<Self, $crate::Invalid> {
                let t = s.trim();
                let refusal = $refusal;
                $name::ALL.iter().copied().find(|v| v.as_str() == t || v.label_zh() == t).ok_or_else(|| refusal(t))
            }
        }

        impl $crate::Labelled for $name {
            const ALL: &'static [$name] = $name::ALL;

            fn as_str(self) -> &'static str {
                $name::as_str(self)
            }

            fn label_zh(self) -> &'static str {
                $name::label_zh(self)
            }

            fn parse(s: &str) -> Result<Self, $crate::Invalid> {
                $name::parse(s)
            }
        }
    };
}
pub(crate) use labelled_enum;

labelled_enum!(
    /// Kind of market or social entity.
    EntityType {
        Enterprise = "enterprise" / "企业",
        IndividualBusiness = "individual_business" / "个体工商户",
        FarmerCooperative = "farmer_cooperative" / "农民专业合作社",
        PublicInstitution = "public_institution" / "事业单位",
        SocialOrganisation = "social_organisation" / "社会组织",
        GovernmentAgency = "government_agency" / "机关",
        Other = "other" / "其他",
    }
);

labelled_enum!(
    /// Registration status (登记状态); gone entities stay in the directory with their history.
    RegStatus {
        Active = "active" / "存续",
        Revoked = "revoked" / "吊销",
        Cancelled = "cancelled" / "注销",
        MovedOut = "moved_out" / "迁出",
        Closed = "closed" / "停业",
    }
);

labelled_enum!(
    /// Enterprise credit-risk class (信用风险分类, 国办 (九)): A low … D high.
    CreditClass {
        A = "A" / "A类（信用风险低）",
        B = "B" / "B类（信用风险一般）",
        C = "C" / "C类（信用风险较高）",
        D = "D" / "D类（信用风险高）",
    }
);

impl CreditClass {
    pub fn letter(self) -> char {
        self.as_str().chars().next().expect("one letter")
    }

    /// Also accepts a bare letter in either case, as spreadsheets have it.
    pub fn parse_loose(s: &str) -> Result<Self, Invalid> {
        let t = s.trim().to_ascii_uppercase();
        let t = t.trim_end_matches('类');
        Self::parse(t)
    }
}

/// Industry code (国民经济行业分类, GB/T 4754-2017): an optional section letter A–T followed
/// by 2, 3 or 4 digits (大类/中类/小类), e.g. `6210` or `H6210`.
pub fn industry_code(s: &str) -> Result<Option<String>, Invalid> {
    let t = s.trim().to_ascii_uppercase();
    if t.is_empty() {
        return Ok(None);
    }
    let digits = t
        .strip_prefix(|c: char| ('A'..='T').contains(&c))
        .unwrap_or(&t);
    if (2..=4).contains(&digits.len()) && digits.bytes().all(|b| b.is_ascii_digit()) {
        Ok(Some(t))
    } else {
        Err(Invalid::new(
            "industry_code",
            format!(
                "行业代码“{t}”不符合 GB/T 4754：应为 2–4 位数字，可带门类字母（如 6210 或 H6210）"
            ),
            format!(
                "industry code '{t}' is not GB/T 4754: 2–4 digits, optionally after a section letter (6210, H6210)"
            ),
        ))
    }
}

pub fn entity_name(s: &str) -> Result<String, Invalid> {
    bounded_text(s, 2, 200, "名称", "name")
}

/// Dates as people type them in spreadsheets: 2026-03-31, 2026/3/31, 2026.3.31, 20260331.
pub fn loose_date(s: &str) -> Result<Option<NaiveDate>, Invalid> {
    let t = s.trim();
    if t.is_empty() {
        return Ok(None);
    }
    for f in ["%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d", "%Y%m%d", "%Y年%m月%d日"] {
        if let Ok(d) = NaiveDate::parse_from_str(t, f) {
            return Ok(Some(d));
        }
    }
    Err(Invalid::new(
        "date_format",
        format!("日期“{t}”无法识别，请使用 2026-03-31 格式"),
        format!("cannot read date '{t}'; use 2026-03-31"),
    ))
}

/// A licence (许可证) an entity holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Licence {
    pub licence_type: String,
    pub number: String,
    pub issuer: Option<String>,
    pub valid_from: Option<NaiveDate>,
    pub valid_to: Option<NaiveDate>,
}

impl Licence {
    pub fn parse(
        licence_type: &str,
        number: &str,
        issuer: &str,
        from: &str,
        to: &str,
    ) -> Result<Self, Invalid> {
        let licence_type = bounded_text(licence_type, 2, 64, "许可证类型", "licence type")?;
        let number = bounded_text(number, 2, 64, "许可证编号", "licence number")?;
        let issuer = Some(issuer.trim())
            .filter(|i| !i.is_empty())
            .map(|i| bounded_text(i, 2, 128, "发证机关", "issuer"))
            .transpose()?;
        let valid_from = loose_date(from)?;
        let valid_to = loose_date(to)?;
        if let (Some(f), Some(t)) = (valid_from, valid_to)
            && t < f
        {
            return Err(Invalid::new(
                "licence_dates",
                format!("许可证有效期截止日 {t} 早于起始日 {f}"),
                format!("licence valid_to {t} is before valid_from {f}"),
            ));
        }
        Ok(Self {
            licence_type,
            number,
            issuer,
            valid_from,
            valid_to,
        })
    }
}

/// The text both full-text indexes search: overlapping character bigrams of the name,
/// space-separated, then the last character alone. A fragment of two or more characters is
/// the phrase of its own bigrams; a single character is a prefix match on them. Letters are
/// lower-cased; spaces and punctuation split words.
pub fn name_grams(name: &str) -> String {
    let mut out = String::new();
    for word in name
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
    {
        let chars: Vec<char> = word.chars().flat_map(char::to_lowercase).collect();
        for w in chars.windows(2) {
            out.push(w[0]);
            out.push(w[1]);
            out.push(' ');
        }
        if let Some(last) = chars.last() {
            out.push(*last);
            out.push(' ');
        }
    }
    out.trim_end().to_string()
}

/// The bigrams of a search fragment, in order; a single character yields itself.
pub fn query_grams(fragment: &str) -> Vec<String> {
    let chars: Vec<char> = fragment
        .chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect();
    match chars.len() {
        0 => Vec::new(),
        1 => vec![chars[0].to_string()],
        _ => chars.windows(2).map(|w| w.iter().collect()).collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn enums_parse_codes_and_labels() {
        assert_eq!(
            EntityType::parse("个体工商户").unwrap(),
            EntityType::IndividualBusiness
        );
        assert_eq!(
            EntityType::parse("enterprise").unwrap(),
            EntityType::Enterprise
        );
        assert!(EntityType::parse("公司").unwrap_err().zh.contains("企业"));
        assert_eq!(CreditClass::parse_loose("c").unwrap(), CreditClass::C);
        assert_eq!(CreditClass::parse_loose("D类").unwrap(), CreditClass::D);
        assert!(CreditClass::parse_loose("E").is_err());
    }

    #[test]
    fn industry_codes() {
        assert_eq!(industry_code("h6210").unwrap().as_deref(), Some("H6210"));
        assert_eq!(industry_code("").unwrap(), None);
        assert!(industry_code("62101").is_err());
        assert!(industry_code("Z62").is_err());
    }

    #[test]
    fn grams_cover_every_fragment() {
        let g = name_grams("舞阳县福满楼餐饮店");
        let tokens: Vec<&str> = g.split(' ').collect();
        for frag in ["餐饮", "福满楼", "舞阳县福满楼餐饮店"] {
            let q = query_grams(frag);
            assert!(
                tokens
                    .windows(q.len())
                    .any(|w| w.iter().zip(&q).all(|(a, b)| a == b)),
                "{frag}"
            );
        }
        assert!(tokens.iter().any(|t| t.starts_with('店')));
        assert_eq!(name_grams("ABC Foods"), "ab bc c fo oo od ds s");
    }

    #[test]
    fn dates_and_licences() {
        assert_eq!(
            loose_date("2026/3/31").unwrap().unwrap().to_string(),
            "2026-03-31"
        );
        assert!(loose_date("31/03/2026").is_err());
        assert_eq!(
            Licence::parse(
                "食品经营许可证",
                "JY14111210000001",
                "舞阳县市场监督管理局",
                "2024-01-01",
                "2023-01-01"
            )
            .unwrap_err()
            .code,
            "licence_dates"
        );
    }
}
