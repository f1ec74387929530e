//! Administrative division codes (行政区划代码, GB/T 2260, extended with the 9-digit township
//! level used by the statistics bureau). A code's ancestors are its prefixes, which makes
//! "within my region's subtree" a prefix test, in memory and in SQL alike.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::Invalid;

/// Level of an administrative division.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RegionLevel {
    /// 省级 (2 digits)
    Province,
    /// 地市级 (4 digits)
    City,
    /// 县级 (6 digits)
    County,
    /// 乡镇（街道）级 (9 digits)
    Township,
}

impl RegionLevel {
    pub fn from_len(len: usize) -> Option<Self> {
        match len {
            2 => Some(Self::Province),
            4 => Some(Self::City),
            6 => Some(Self::County),
            9 => Some(Self::Township),
            _ => None,
        }
    }

    pub fn code_len(self) -> usize {
        match self {
            Self::Province => 2,
            Self::City => 4,
            Self::County => 6,
            Self::Township => 9,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Province => "province",
            Self::City => "city",
            Self::County => "county",
            Self::Township => "township",
        }
    }

    pub fn label_zh(self) -> &'static str {
        match self {
            Self::Province => "省级",
            Self::City => "市级",
            Self::County => "县级",
            Self::Township => "乡镇级",
        }
    }

    /// The prefix a department name carries at this level (省发展改革委, 市…, 县…).
    pub fn department_prefix(self) -> &'static str {
        match self {
            Self::Province => "省",
            Self::City => "市",
            Self::County | Self::Township => "县",
        }
    }
}

/// A syntactically valid region code. Whether the region exists is the reference data's
/// business (the store checks it); this type guarantees the shape.
#[derive(
    Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, utoipa::ToSchema,
)]
#[serde(try_from = "String", into = "String")]
#[schema(example = "411121")]
pub struct RegionCode(String);

impl RegionCode {
    pub fn parse(s: &str) -> Result<Self, Invalid> {
        let s = s.trim();
        if s.is_empty() {
            return Err(Invalid::new(
                "required",
                "行政区划代码不能为空",
                "region code is required",
            ));
        }
        if !s.bytes().all(|b| b.is_ascii_digit()) {
            return Err(Invalid::new(
                "region_code_not_digits",
                format!("行政区划代码“{s}”只能由数字组成"),
                format!("region code '{s}' must consist of digits only"),
            ));
        }
        if RegionLevel::from_len(s.len()).is_none() {
            return Err(Invalid::new(
                "region_code_length",
                format!("行政区划代码“{s}”应为 2、4、6 或 9 位（省、市、县、乡镇）"),
                format!(
                    "region code '{s}' must have 2, 4, 6 or 9 digits (province, city, county, township)"
                ),
            ));
        }
        Ok(Self(s.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn level(&self) -> RegionLevel {
        RegionLevel::from_len(self.0.len()).expect("length checked at parse")
    }

    /// The enclosing division, if any.
    pub fn parent(&self) -> Option<RegionCode> {
        let len = match self.level() {
            RegionLevel::Province => return None,
            RegionLevel::City => 2,
            RegionLevel::County => 4,
            RegionLevel::Township => 6,
        };
        Some(Self(self.0[..len].to_string()))
    }

    /// This code and its ancestors, from the province down.
    pub fn lineage(&self) -> Vec<RegionCode> {
        let mut v = vec![self.clone()];
        let mut cur = self.clone();
        while let Some(p) = cur.parent() {
            v.push(p.clone());
            cur = p;
        }
        v.reverse();
        v
    }

    /// True if `self` is `ancestor` or lies in its subtree.
    pub fn is_within(&self, ancestor: &RegionCode) -> bool {
        self.0.starts_with(&ancestor.0)
    }
}

impl fmt::Display for RegionCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl FromStr for RegionCode {
    type Err = Invalid;
    fn from_str(s: &str) -> Result<Self, Invalid> {
        Self::parse(s)
    }
}

impl TryFrom<String> for RegionCode {
    type Error = Invalid;
    fn try_from(s: String) -> Result<Self, Invalid> {
        Self::parse(&s)
    }
}

impl From<RegionCode> for String {
    fn from(r: RegionCode) -> String {
        r.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn levels_and_lineage() {
        let c = RegionCode::parse("411121").unwrap();
        assert_eq!(c.level(), RegionLevel::County);
        let l: Vec<_> = c.lineage().iter().map(|r| r.to_string()).collect();
        assert_eq!(l, ["41", "4111", "411121"]);
        assert!(c.is_within(&RegionCode::parse("41").unwrap()));
        assert!(!c.is_within(&RegionCode::parse("37").unwrap()));
    }

    #[test]
    fn rejects_bad_shapes() {
        for bad in ["", "3", "371", "37150", "3715a1", "1234567890", "３７"] {
            let e = RegionCode::parse(bad).unwrap_err();
            assert!(!e.zh.is_empty(), "{bad}");
        }
    }

    proptest! {
        #[test]
        fn every_ancestor_contains_the_code(s in "[0-9]{9}") {
            let c = RegionCode::parse(&s).unwrap();
            for a in c.lineage() {
                prop_assert!(c.is_within(&a));
            }
        }
    }
}
