//! Departments (部门) and the built-in sets of competent departments from the policies.
//!
//! A department belongs to one region. Departments of the same kind at different levels
//! (省市场监管局, 市市场监管局, 县市场监管局) share a *line* (条线) key, which is how a
//! provincial department administrator sees its line across the province.

use serde::{Deserialize, Serialize};

use crate::Invalid;
use crate::error::bounded_text;
use crate::region::RegionLevel;

/// Department name, 2–40 characters.
pub fn department_name(s: &str) -> Result<String, Invalid> {
    bounded_text(s, 2, 40, "部门名称", "department name")
}

/// Line key: 2–32 lower-case ASCII letters, digits or `_`.
pub fn line_key(s: &str) -> Result<String, Invalid> {
    let s = s.trim();
    if (2..=32).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
    {
        Ok(s.to_string())
    } else {
        Err(Invalid::new(
            "line_key_format",
            format!("条线代码“{s}”格式不正确：应为 2–32 位小写字母、数字或下划线"),
            format!("line key '{s}' is malformed: 2–32 lower-case letters, digits or _"),
        ))
    }
}

/// Status of a department: retired ones keep their history but take no new work.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DepartmentStatus {
    Active,
    Retired,
}

impl DepartmentStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Active => "active",
            Self::Retired => "retired",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "active" => Some(Self::Active),
            "retired" => Some(Self::Retired),
            _ => None,
        }
    }
    pub fn label_zh(self) -> &'static str {
        match self {
            Self::Active => "在用",
            Self::Retired => "已撤销",
        }
    }
}

/// One entry of a built-in set. `stem` is the name without its level prefix (省/市/县);
/// `{county}` in a stem stands for the short name of the county it is copied to.
#[derive(Debug, Clone, Copy)]
pub struct BuiltinDepartment {
    pub stem: &'static str,
    pub line: &'static str,
    /// False for names that carry no level prefix of their own (市生态环境局{county}分局).
    pub prefixed: bool,
}

/// A named set of departments an administrator can copy to any region.
#[derive(Debug, Clone, Copy)]
pub struct BuiltinSet {
    pub key: &'static str,
    pub title: &'static str,
    pub source: &'static str,
    pub departments: &'static [BuiltinDepartment],
}

const fn d(stem: &'static str, line: &'static str) -> BuiltinDepartment {
    BuiltinDepartment {
        stem,
        line,
        prefixed: true,
    }
}

/// 鲁政办发〔2023〕14号 annex: the 38 provincial competent departments (省级主管部门名单).
pub const SHANDONG_38: BuiltinSet = BuiltinSet {
    key: "shandong-38",
    title: "山东省省级主管部门（38 个）",
    source: "鲁政办发〔2023〕14号 附件",
    departments: &[
        d("发展改革委", "development_reform"),
        d("教育厅", "education"),
        d("科技厅", "science"),
        d("工业和信息化厅", "industry_it"),
        d("民族宗教委", "ethnic_religion"),
        d("公安厅", "public_security"),
        d("民政厅", "civil_affairs"),
        d("司法厅", "justice"),
        d("财政厅", "finance"),
        d("人力资源社会保障厅", "human_resources"),
        d("自然资源厅", "natural_resources"),
        d("生态环境厅", "ecology"),
        d("住房城乡建设厅", "housing"),
        d("交通运输厅", "transport"),
        d("水利厅", "water"),
        d("农业农村厅", "agriculture"),
        d("商务厅", "commerce"),
        d("文化和旅游厅", "culture_tourism"),
        d("卫生健康委", "health"),
        d("应急厅", "emergency"),
        d("市场监管局", "market"),
        d("广电局", "radio_tv"),
        d("体育局", "sport"),
        d("统计局", "statistics"),
        d("医保局", "medical_insurance"),
        d("机关事务局", "government_affairs"),
        d("国动办", "civil_defence"),
        d("地方金融监管局", "local_finance"),
        d("大数据局", "big_data"),
        d("能源局", "energy"),
        d("粮食和储备局", "grain_reserves"),
        d("畜牧局", "livestock"),
        d("海洋局", "ocean"),
        d("药监局", "drug"),
        d("新闻出版局", "press"),
        d("版权局", "copyright"),
        d("电影局", "film"),
        d("消防救援总队", "fire_rescue"),
    ],
};

/// 舞政办〔2024〕20号 annex 1: the 17 member departments of the Wuyang county task force.
pub const WUYANG_17: BuiltinSet = BuiltinSet {
    key: "wuyang-17",
    title: "舞阳县“三品一特”综合监管工作专班成员单位（17 个）",
    source: "舞政办〔2024〕20号 附件1",
    departments: &[
        d("市场监管局", "market"),
        d("行政审批和政务信息管理局", "administrative_approval"),
        d("发改委", "development_reform"),
        d("司法局", "justice"),
        d("卫生健康委", "health"),
        d("应急管理局", "emergency"),
        d("医疗保障局", "medical_insurance"),
        d("商务局", "commerce"),
        d("公安局", "public_security"),
        d("农业农村局", "agriculture"),
        d("住建局", "housing"),
        d("城市管理局", "urban_management"),
        d("教育局", "education"),
        d("工信局", "industry_it"),
        d("交通运输局", "transport"),
        BuiltinDepartment {
            stem: "市生态环境局{county}分局",
            line: "ecology",
            prefixed: false,
        },
        d("消防救援局", "fire_rescue"),
    ],
};

pub const BUILTIN_SETS: &[BuiltinSet] = &[SHANDONG_38, WUYANG_17];

pub fn builtin_set(key: &str) -> Option<&'static BuiltinSet> {
    BUILTIN_SETS.iter().find(|s| s.key == key)
}

/// Short name of a division for use inside a department name: 舞阳县 → 舞阳, 东城区 → 东城.
pub fn short_region_name(name: &str) -> &str {
    for suffix in ["自治县", "自治旗", "县", "区", "市", "旗"] {
        if let Some(s) = name.strip_suffix(suffix)
            && s.chars().count() >= 2
        {
            return s;
        }
    }
    name
}

impl BuiltinDepartment {
    /// The department's name when copied to a region of `level` named `region_name`.
    pub fn name_at(&self, level: RegionLevel, region_name: &str) -> String {
        let stem = self
            .stem
            .replace("{county}", short_region_name(region_name));
        if self.prefixed {
            format!("{}{}", level.department_prefix(), stem)
        } else {
            stem
        }
    }
}

/// Working names (简称) of competent departments and their legal names (全称), as their seals
/// and official documents carry them.
const LEGAL_STEMS: &[(&str, &str)] = &[
    ("市场监管局", "市场监督管理局"),
    ("卫生健康委", "卫生健康委员会"),
    ("发改委", "发展和改革委员会"),
    ("住建局", "住房和城乡建设局"),
    ("住房城乡建设厅", "住房和城乡建设厅"),
    ("工信局", "工业和信息化局"),
    ("应急厅", "应急管理厅"),
    ("广电局", "广播电视局"),
    ("医保局", "医疗保障局"),
    ("药监局", "药品监督管理局"),
    ("地方金融监管局", "地方金融管理局"),
    ("民族宗教委", "民族宗教事务委员会"),
    ("人力资源社会保障厅", "人力资源和社会保障厅"),
    ("机关事务局", "机关事务管理局"),
    ("粮食和储备局", "粮食和物资储备局"),
    ("国动办", "国防动员办公室"),
];

/// A department's legal name (机关全称) for official documents (执法文书 must name the
/// authority in full): the level prefix of its working name replaced by the full name of the
/// region it stands for, and a working stem expanded. `lineage` holds the department's region
/// and its ancestors (level, name), province first: 县卫生健康委 of 舞阳县 → 舞阳县卫生健康委员会;
/// 市生态环境局舞阳分局 → 漯河市生态环境局舞阳分局. A name without a level prefix is kept.
pub fn legal_name(name: &str, lineage: &[(RegionLevel, &str)]) -> String {
    match split_prefix(name, lineage) {
        Some((region, rest)) => format!("{region}{}", expand_stem(rest)),
        None => expand_stem(name),
    }
}

/// A department's working name with the region it stands for, for a list that shows
/// departments of several regions (协查协助 between counties): the level prefix replaced by the
/// region's name, the stem kept — 县市场监管局 of 舞阳县 → 舞阳县市场监管局, never
/// 舞阳县县市场监管局, nor 舞泉镇县市场监管局 when the user who acted sits in a township of the
/// county. A name without a level prefix (a custom name, already in full) is kept.
pub fn qualified_name(name: &str, lineage: &[(RegionLevel, &str)]) -> String {
    match split_prefix(name, lineage) {
        Some((region, rest)) => format!("{region}{rest}"),
        None => name.to_string(),
    }
}

/// The region a working name's level prefix (省, 市, 县) stands for, from `lineage`, and the
/// rest of the name; none without a prefix or without a region of that level.
fn split_prefix<'a>(
    name: &'a str,
    lineage: &[(RegionLevel, &'a str)],
) -> Option<(&'a str, &'a str)> {
    let region_at = |level: RegionLevel| {
        lineage
            .iter()
            .rev()
            .find(|(l, _)| *l == level)
            .map(|(_, n)| *n)
    };
    let (region, rest) = match name.chars().next() {
        Some('省') => (region_at(RegionLevel::Province), &name['省'.len_utf8()..]),
        // 市场监管局 has no prefix: its 市 is the stem's.
        Some('市') if !name.starts_with("市场") => {
            (region_at(RegionLevel::City), &name['市'.len_utf8()..])
        }
        Some('县') => (region_at(RegionLevel::County), &name['县'.len_utf8()..]),
        _ => (None, name),
    };
    region.map(|r| (r, rest))
}

fn expand_stem(rest: &str) -> String {
    for (short, full) in LEGAL_STEMS {
        if let Some(tail) = rest.strip_prefix(short) {
            return format!("{full}{tail}");
        }
    }
    rest.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn legal_names_name_the_region_in_full() {
        let wuyang = [
            (RegionLevel::Province, "河南省"),
            (RegionLevel::City, "漯河市"),
            (RegionLevel::County, "舞阳县"),
        ];
        assert_eq!(legal_name("县卫生健康委", &wuyang), "舞阳县卫生健康委员会");
        assert_eq!(legal_name("县市场监管局", &wuyang), "舞阳县市场监督管理局");
        assert_eq!(
            legal_name("市生态环境局舞阳分局", &wuyang),
            "漯河市生态环境局舞阳分局"
        );
        assert_eq!(legal_name("县消防救援局", &wuyang), "舞阳县消防救援局");
        assert_eq!(legal_name("市场监管局", &wuyang), "市场监督管理局");
        let shandong = [(RegionLevel::Province, "山东省")];
        assert_eq!(legal_name("省药监局", &shandong), "山东省药品监督管理局");
        assert_eq!(
            legal_name("省市场监管局", &shandong),
            "山东省市场监督管理局"
        );
        // A custom name without a prefix stays as the office typed it.
        assert_eq!(legal_name("舞阳县城市管理局", &wuyang), "舞阳县城市管理局");
    }

    #[test]
    fn qualified_names_never_double_a_level() {
        let wuyang = [
            (RegionLevel::Province, "河南省"),
            (RegionLevel::City, "漯河市"),
            (RegionLevel::County, "舞阳县"),
        ];
        assert_eq!(qualified_name("县市场监管局", &wuyang), "舞阳县市场监管局");
        // A township's lineage still names the county for a county department.
        let town = [
            (RegionLevel::Province, "河南省"),
            (RegionLevel::City, "漯河市"),
            (RegionLevel::County, "舞阳县"),
            (RegionLevel::Township, "舞泉镇"),
        ];
        assert_eq!(qualified_name("县市场监管局", &town), "舞阳县市场监管局");
        assert_eq!(
            qualified_name("市生态环境局舞阳分局", &wuyang),
            "漯河市生态环境局舞阳分局"
        );
        assert_eq!(qualified_name("市场监管局", &wuyang), "市场监管局");
        assert_eq!(
            qualified_name("舞阳县城市管理局", &wuyang),
            "舞阳县城市管理局"
        );
        assert_eq!(
            qualified_name("省药监局", &[(RegionLevel::Province, "山东省")]),
            "山东省药监局"
        );
    }

    #[test]
    fn sets_have_the_documented_sizes_and_unique_lines() {
        assert_eq!(SHANDONG_38.departments.len(), 38);
        assert_eq!(WUYANG_17.departments.len(), 17);
        for set in BUILTIN_SETS {
            let mut lines: Vec<_> = set.departments.iter().map(|d| d.line).collect();
            lines.sort();
            lines.dedup();
            assert_eq!(lines.len(), set.departments.len(), "{}", set.key);
            for d in set.departments {
                line_key(d.line).unwrap();
            }
        }
    }

    #[test]
    fn names_follow_the_level() {
        let fire = SHANDONG_38.departments.last().unwrap();
        assert_eq!(
            fire.name_at(RegionLevel::Province, "山东省"),
            "省消防救援总队"
        );
        let eco = WUYANG_17
            .departments
            .iter()
            .find(|d| d.line == "ecology")
            .unwrap();
        assert_eq!(
            eco.name_at(RegionLevel::County, "舞阳县"),
            "市生态环境局舞阳分局"
        );
        let market = WUYANG_17.departments[0];
        assert_eq!(
            market.name_at(RegionLevel::County, "舞阳县"),
            "县市场监管局"
        );
        assert_eq!(market.name_at(RegionLevel::City, "漯河市"), "市市场监管局");
    }
}

/// The Chinese name of a line (条线) key, for screens and documents: `health` → 卫生健康.
/// Covers the lines of the built-in sets; a line an administrator invented is shown as its key.
pub fn line_label_zh(line: &str) -> Option<&'static str> {
    Some(match line {
        "development_reform" => "发展改革",
        "education" => "教育",
        "science" => "科技",
        "industry_it" => "工业和信息化",
        "ethnic_religion" => "民族宗教",
        "public_security" => "公安",
        "civil_affairs" => "民政",
        "justice" => "司法行政",
        "finance" => "财政",
        "human_resources" => "人力资源社会保障",
        "natural_resources" => "自然资源",
        "ecology" => "生态环境",
        "housing" => "住房城乡建设",
        "transport" => "交通运输",
        "water" => "水利",
        "agriculture" => "农业农村",
        "commerce" => "商务",
        "culture_tourism" => "文化和旅游",
        "health" => "卫生健康",
        "emergency" => "应急管理",
        "market" => "市场监管",
        "radio_tv" => "广播电视",
        "sport" => "体育",
        "statistics" => "统计",
        "medical_insurance" => "医疗保障",
        "government_affairs" => "机关事务",
        "civil_defence" => "人民防空",
        "local_finance" => "地方金融监管",
        "big_data" => "大数据",
        "energy" => "能源",
        "grain_reserves" => "粮食和储备",
        "livestock" => "畜牧",
        "ocean" => "海洋",
        "drug" => "药品监管",
        "press" => "新闻出版",
        "copyright" => "版权",
        "film" => "电影",
        "fire_rescue" => "消防救援",
        "administrative_approval" => "行政审批",
        "urban_management" => "城市管理",
        _ => return None,
    })
}

#[cfg(test)]
mod line_label_tests {
    use super::*;

    #[test]
    fn every_builtin_line_has_a_chinese_label() {
        for set in BUILTIN_SETS {
            for d in set.departments {
                assert!(line_label_zh(d.line).is_some(), "{} has no label", d.line);
            }
        }
        assert_eq!(line_label_zh("health"), Some("卫生健康"));
        assert_eq!(line_label_zh("made_up"), None);
    }
}
