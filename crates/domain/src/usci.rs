//! Unified social credit codes (统一社会信用代码, GB 32100-2015): the 18-character identity every
//! regulated entity carries. Parsing checks the shape and both check characters, so that a typo is
//! caught in the form rather than after an inspection has been filed against the wrong entity.
//!
//! Layout: 1 登记管理部门码, 2 机构类别码, 3–8 登记管理机关行政区划码, 9–17 主体标识码
//! (组织机构代码, GB 11714-1997), 18 校验码 (GB/T 17710, ISO 7064 MOD 31-3).

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::Invalid;

/// The 31 characters a code may use, in value order (I O Z S V are left out: they read like 1 0 2 5 U).
const CHARSET: &[u8; 31] = b"0123456789ABCDEFGHJKLMNPQRTUWXY";

/// 3^(i-1) mod 31: weights of the first 17 characters for the check character.
const WEIGHTS: [u32; 17] = [
    1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28,
];

/// Weights of the 8 body characters of an organisation code (GB 11714-1997).
const ORG_WEIGHTS: [u32; 8] = [3, 7, 9, 10, 5, 8, 4, 2];

/// Registration authorities (登记管理部门码) in use: 1 机构编制, 2 外交, 3 司法行政, 4 文化, 5 民政,
/// 6 旅游, 7 宗教, 8 工会, 9 工商/市场监管, A 中央军委改革和编制办公室, N 农业, Y 其他.
/// GB 32100-2015 itself names only 1, 5, 9 and Y; the others were assigned later and occur on real
/// certificates (律师事务所 start with 31, 公证处 with 32).
const AUTHORITIES: &str = "123456789ANY";

/// A unified social credit code whose shape and check characters are right. Whether the entity
/// exists is the registry's business.
#[derive(
    Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, utoipa::ToSchema,
)]
#[serde(try_from = "String", into = "String")]
#[schema(example = "91411121MA40000001")]
pub struct Usci(String);

impl Usci {
    pub fn parse(s: &str) -> Result<Self, Invalid> {
        // Full-width ASCII (U+FF01..U+FF5E) comes in when codes are pasted from Word or a PDF.
        let s: String = s
            .chars()
            .map(|c| match c {
                '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
                _ => c,
            })
            .collect();
        let s = s.trim().to_ascii_uppercase();
        let chars: Vec<char> = s.chars().collect();

        if chars.is_empty() {
            return Err(Invalid::new(
                "required",
                "统一社会信用代码不能为空",
                "unified social credit code is required",
            ));
        }
        if chars.len() != 18 {
            let n = chars.len();
            return Err(Invalid::new(
                "usci_length",
                format!("统一社会信用代码应为 18 位（当前 {n} 位）"),
                format!("unified social credit code must have 18 characters (has {n})"),
            ));
        }
        if let Some((i, c)) = chars.iter().enumerate().find(|(_, c)| value(**c).is_none()) {
            let pos = i + 1;
            return Err(Invalid::new(
                "usci_forbidden_char",
                format!("第 {pos} 位字符“{c}”不属于统一社会信用代码字符集（不使用 I、O、Z、S、V）"),
                format!(
                    "character '{c}' at position {pos} is not allowed in a unified social credit code \
                     (digits and upper-case letters except I, O, Z, S, V)"
                ),
            ));
        }
        if !AUTHORITIES.contains(chars[0]) {
            let c = chars[0];
            return Err(Invalid::new(
                "usci_authority",
                format!(
                    "第 1 位登记管理部门码“{c}”无效，应为 1–9、A、N、Y 之一（如 1 机构编制、5 民政、9 市场监管、Y 其他）"
                ),
                format!(
                    "registration authority code '{c}' (position 1) is not one of 1–9, A, N, Y"
                ),
            ));
        }
        if !chars[2..8].iter().all(char::is_ascii_digit) {
            let region: String = chars[2..8].iter().collect();
            return Err(Invalid::new(
                "usci_region",
                format!("第 3–8 位行政区划码“{region}”应为 6 位数字"),
                format!("region code '{region}' (positions 3–8) must be 6 digits"),
            ));
        }
        let expected = Self::check_char(&s[..17]).expect("17 characters of the set");
        if chars[17] != expected {
            let given = chars[17];
            return Err(Invalid::new(
                "usci_check_digit",
                format!("校验码不符：按前 17 位应为“{expected}”，实际为“{given}”，请逐位核对代码"),
                format!(
                    "check character mismatch: the first 17 characters give '{expected}', the code ends in \
                     '{given}'; check every character"
                ),
            ));
        }
        // Individual businesses (92…) often carry a body that is not a GB 11714 code; elsewhere,
        // check the organisation code only when it has the GB 11714 shape.
        let org = &chars[8..17];
        if &s[..2] != "92" && matches!(org[8], '0'..='9' | 'X') {
            let expected = org_check_char(&org[..8]).expect("characters of the set");
            if org[8] != expected {
                let code: String = org.iter().collect();
                let given = org[8];
                return Err(Invalid::new(
                    "usci_org_check_digit",
                    format!(
                        "第 9–17 位组织机构代码“{code}”的校验码应为“{expected}”，实际为“{given}”"
                    ),
                    format!(
                        "organisation code '{code}' (positions 9–17) should end in '{expected}', not '{given}'"
                    ),
                ));
            }
        }
        Ok(Self(s))
    }

    /// The check character (position 18) for the first 17 characters, which must all be in the
    /// code's character set. Handy for generating valid test data.
    pub fn check_char(first17: &str) -> Option<char> {
        let mut sum = 0;
        let mut n = 0;
        for (c, w) in first17
            .chars()
            .zip(WEIGHTS.iter().chain(std::iter::repeat(&0)))
        {
            sum += value(c)? * w;
            n += 1;
        }
        if n != 17 {
            return None;
        }
        Some(CHARSET[((31 - sum % 31) % 31) as usize] as char)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// 登记管理机关行政区划码 (positions 3–8): where the entity was registered, not necessarily
    /// where it operates.
    pub fn region_code(&self) -> &str {
        &self.0[2..8]
    }

    /// 登记管理部门码 (position 1).
    pub fn authority(&self) -> char {
        self.0.as_bytes()[0] as char
    }

    /// A coarse reading of positions 1–2, for display only: rules decide on registered facts.
    pub fn entity_kind_hint(&self) -> &'static str {
        let b = self.0.as_bytes();
        match (b[0], b[1]) {
            (b'9', b'1') => "企业",
            (b'9', b'2') => "个体工商户",
            (b'9', b'3') => "农民专业合作社",
            (b'1', _) => "机关/事业单位",
            (b'5', _) => "社会组织",
            _ => "其他",
        }
    }
}

/// Value of a character in the code's set (its index), or None if it is not in the set.
fn value(c: char) -> Option<u32> {
    CHARSET
        .iter()
        .position(|&b| b as char == c)
        .map(|i| i as u32)
}

/// GB 11714-1997 check character for 8 body characters: digits are 0–9, letters A–Z are 10–35.
fn org_check_char(body: &[char]) -> Option<char> {
    let mut sum = 0;
    for (c, w) in body.iter().zip(ORG_WEIGHTS) {
        sum += c.to_digit(36)? * w;
    }
    Some(match 11 - sum % 11 {
        10 => 'X',
        11 => '0',
        d => char::from_digit(d, 10).expect("below 10"),
    })
}

impl fmt::Display for Usci {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl FromStr for Usci {
    type Err = Invalid;
    fn from_str(s: &str) -> Result<Self, Invalid> {
        Self::parse(s)
    }
}

impl TryFrom<String> for Usci {
    type Error = Invalid;
    fn try_from(s: String) -> Result<Self, Invalid> {
        Self::parse(&s)
    }
}

impl From<Usci> for String {
    fn from(u: Usci) -> String {
        u.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const SET: &str = "0123456789ABCDEFGHJKLMNPQRTUWXY";

    /// Completes 17 characters with their check character.
    fn complete(first17: &str) -> String {
        format!("{first17}{}", Usci::check_char(first17).unwrap())
    }

    /// A valid code from authority, category, region and organisation-code body (GB 11714 check added).
    fn make(head: &str, region: &str, org_body: &str) -> String {
        let body: Vec<char> = org_body.chars().collect();
        complete(&format!(
            "{head}{region}{org_body}{}",
            org_check_char(&body).unwrap()
        ))
    }

    #[test]
    fn published_example_is_valid() {
        // Widely cited example (福州, 350100). Computed by hand as well: the 17 weighted values sum
        // to 1640 = 52·31 + 28, so C18 = 31 − 28 = 3; organisation code M000100Y: sum 139 = 12·11 + 7,
        // so C9 = 11 − 7 = 4. Both check characters agree with the code.
        let u = Usci::parse("91350100M000100Y43").unwrap();
        assert_eq!(Usci::check_char("91350100M000100Y4"), Some('3'));
        assert_eq!(
            org_check_char(&"M000100Y".chars().collect::<Vec<_>>()),
            Some('4')
        );
        assert_eq!(u.region_code(), "350100");
        assert_eq!(u.authority(), '9');
        assert_eq!(u.entity_kind_hint(), "企业");
        // A 事业单位 code quoted in a validator's bug report; it checks out too.
        assert_eq!(
            Usci::parse("12440600MB2C07549J")
                .unwrap()
                .entity_kind_hint(),
            "机关/事业单位"
        );
    }

    #[test]
    fn normalises_case_width_and_whitespace() {
        let u = Usci::parse("  91350100m000100y43\t").unwrap();
        assert_eq!(u.as_str(), "91350100M000100Y43");
        // Full-width digits and letters, ideographic space around.
        let u = Usci::parse("\u{3000}９１３５０１００Ｍ０００１００Ｙ４３").unwrap();
        assert_eq!(u.as_str(), "91350100M000100Y43");
        assert_eq!("91350100M000100Y43".parse::<Usci>().unwrap(), u);
    }

    #[test]
    fn serde_round_trip() {
        let u = Usci::parse("91350100M000100Y43").unwrap();
        let json = serde_json::to_string(&u).unwrap();
        assert_eq!(json, "\"91350100M000100Y43\"");
        assert_eq!(serde_json::from_str::<Usci>(&json).unwrap(), u);
        assert!(serde_json::from_str::<Usci>("\"91350100M000100Y44\"").is_err());
    }

    #[test]
    fn length() {
        assert_eq!(Usci::parse("   ").unwrap_err().code, "required");
        let e = Usci::parse("91350100M000100Y4").unwrap_err();
        assert_eq!(e.code, "usci_length");
        assert!(e.zh.contains("17"), "{}", e.zh);
        let e = Usci::parse("91350100M000100Y433").unwrap_err();
        assert!(e.en.contains("19"), "{}", e.en);
        // Characters, not bytes.
        assert_eq!(
            Usci::parse("统一社会信用代码").unwrap_err().code,
            "usci_length"
        );
    }

    #[test]
    fn forbidden_characters() {
        let e = Usci::parse("91O50100M000100Y43").unwrap_err();
        assert_eq!(e.code, "usci_forbidden_char");
        assert_eq!(
            e.zh,
            "第 3 位字符“O”不属于统一社会信用代码字符集（不使用 I、O、Z、S、V）"
        );
        for (bad, pos) in [
            ("I", 1),
            ("Z", 9),
            ("S", 12),
            ("V", 18),
            ("s", 16),
            ("-", 5),
            ("码", 10),
        ] {
            let mut chars: Vec<String> = "91350100M000100Y43".chars().map(String::from).collect();
            chars[pos - 1] = bad.to_string();
            let e = Usci::parse(&chars.concat()).unwrap_err();
            assert_eq!(e.code, "usci_forbidden_char", "{bad}");
            assert!(e.zh.starts_with(&format!("第 {pos} 位")), "{}", e.zh);
            assert!(e.zh.contains("不使用 I、O、Z、S、V"));
        }
    }

    #[test]
    fn authority() {
        let e = Usci::parse(&complete("B1350100M000100Y4")).unwrap_err();
        assert_eq!(e.code, "usci_authority");
        assert!(e.zh.contains("“B”"));
        // 0 is not an authority either.
        assert_eq!(
            Usci::parse(&complete("01350100M000100Y4"))
                .unwrap_err()
                .code,
            "usci_authority"
        );
        for a in AUTHORITIES.chars() {
            let code = make(&format!("{a}1"), "350100", "M000100Y");
            assert_eq!(Usci::parse(&code).unwrap().authority(), a);
        }
        // 31… is 司法行政/律师执业机构, a category in use that GB 32100-2015's own 1/5/9/Y list lacks.
        assert!(Usci::parse(&make("31", "110000", "E0001789")).is_ok());
    }

    #[test]
    fn region() {
        let e = Usci::parse(&complete("9135A100M000100Y4")).unwrap_err();
        assert_eq!(e.code, "usci_region");
        assert!(e.zh.contains("35A100"));
    }

    #[test]
    fn check_digit() {
        let e = Usci::parse("91350100M000100Y44").unwrap_err();
        assert_eq!(e.code, "usci_check_digit");
        assert!(
            e.zh.contains("应为“3”") && e.zh.contains("实际为“4”"),
            "{}",
            e.zh
        );
        assert!(e.en.contains("'3'") && e.en.contains("'4'"));
    }

    #[test]
    fn check_char_takes_exactly_17_characters_of_the_set() {
        assert_eq!(Usci::check_char("91350100M000100Y"), None);
        assert_eq!(Usci::check_char("91350100M000100Y43"), None);
        assert_eq!(Usci::check_char("91350100M000100O4"), None);
        // Sum ≡ 0 (mod 31) gives 0, not the out-of-set 31.
        assert_eq!(Usci::check_char("00000000000000000"), Some('0'));
    }

    #[test]
    fn organisation_code_check() {
        // Top-level check character right, organisation check character wrong.
        let e = Usci::parse(&complete("91350100M000100Y5")).unwrap_err();
        assert_eq!(e.code, "usci_org_check_digit");
        assert!(
            e.zh.contains("M000100Y5") && e.zh.contains("应为“4”"),
            "{}",
            e.zh
        );
        // 10 → X and 11 → 0.
        let x = (0..100_000_000u32)
            .map(|n| format!("{n:08}"))
            .find(|b| org_check_char(&b.chars().collect::<Vec<_>>()) == Some('X'))
            .unwrap();
        assert!(Usci::parse(&make("91", "350100", &x)).unwrap().as_str()[8..17].ends_with('X'));
        assert_eq!(
            org_check_char(&"00000000".chars().collect::<Vec<_>>()),
            Some('0')
        );
        // Individual businesses: the body is not checked.
        assert!(Usci::parse(&complete("92350100M000100Y5")).is_ok());
        assert_eq!(
            Usci::parse(&complete("92350100M000100Y5"))
                .unwrap()
                .entity_kind_hint(),
            "个体工商户"
        );
        // Not GB 11714-shaped (check position is a letter other than X): not checked.
        assert!(Usci::parse(&complete("9135010000000000A")).is_ok());
    }

    #[test]
    fn organisation_check_alone_misses_substitutions_the_top_level_catches() {
        // GB 11714 works mod 11 over values up to 35, so 0 → B (value 11) leaves its check intact…
        let good = make("91", "350100", "M000100Y");
        let body = |code: &str| code[8..16].chars().collect::<Vec<_>>();
        let bad = format!("{}B{}", &good[..9], &good[10..]);
        assert_eq!(org_check_char(&body(&good)), org_check_char(&body(&bad)));
        // …but the top-level MOD 31-3 check does not.
        assert_eq!(Usci::parse(&bad).unwrap_err().code, "usci_check_digit");
    }

    #[test]
    fn entity_kind_hints() {
        let hint = |head: &str| {
            Usci::parse(&make(head, "411121", "12345678"))
                .unwrap()
                .entity_kind_hint()
        };
        assert_eq!(hint("91"), "企业");
        assert_eq!(hint("93"), "农民专业合作社");
        assert_eq!(hint("99"), "其他");
        assert_eq!(hint("12"), "机关/事业单位");
        assert_eq!(hint("53"), "社会组织");
        assert_eq!(hint("Y1"), "其他");
    }

    fn set_char() -> impl Strategy<Value = char> {
        proptest::sample::select(SET.chars().collect::<Vec<_>>())
    }

    /// Valid codes: GB 11714-checked organisation codes, and 92… codes with an arbitrary body.
    fn valid_code() -> impl Strategy<Value = String> {
        let checked = (
            proptest::sample::select(AUTHORITIES.chars().collect::<Vec<_>>()),
            set_char(),
            "[0-9]{6}",
            proptest::collection::vec(set_char(), 8),
        )
            .prop_map(|(a, k, region, body)| {
                let org: String = body.iter().collect();
                complete(&format!(
                    "{a}{k}{region}{org}{}",
                    org_check_char(&body).unwrap()
                ))
            });
        let individual =
            ("[0-9]{6}", proptest::collection::vec(set_char(), 9)).prop_map(|(region, body)| {
                complete(&format!("92{region}{}", body.iter().collect::<String>()))
            });
        prop_oneof![3 => checked, 1 => individual]
    }

    proptest! {
        #[test]
        fn valid_codes_round_trip(code in valid_code()) {
            let u = Usci::parse(&code).unwrap();
            prop_assert_eq!(u.as_str(), code.as_str());
            prop_assert_eq!(Usci::parse(&u.to_string()).unwrap(), u.clone());
            prop_assert_eq!(Usci::parse(&code.to_ascii_lowercase()).unwrap(), u.clone());
            let json = serde_json::to_string(&u).unwrap();
            prop_assert_eq!(serde_json::from_str::<Usci>(&json).unwrap(), u);
        }

        /// MOD 31-3 over a 31-character set with weights that are units mod 31: any single
        /// substitution changes the weighted sum by w·δ ≢ 0, so it is always caught.
        #[test]
        fn every_single_substitution_is_rejected(code in valid_code()) {
            let chars: Vec<char> = code.chars().collect();
            for i in 0..18 {
                for c in SET.chars().filter(|c| *c != chars[i]) {
                    let mut changed = chars.clone();
                    changed[i] = c;
                    let changed: String = changed.into_iter().collect();
                    prop_assert!(Usci::parse(&changed).is_err(), "{} accepted", changed);
                }
            }
        }
    }
}
