//! Supervision items (监管事项, 国办 (四)(五), 鲁 task 2): what is checked, on what basis, by
//! which lead and cooperating departments, on which entities.

use crate::Invalid;
use crate::directory::labelled_enum;
use crate::error::bounded_text;

labelled_enum!(
    /// 事项类别.
    ItemCategory {
        General = "general" / "一般",
        Key = "key" / "重点",
    }
);

labelled_enum!(
    /// 监管方式 / 检查方式.
    Method {
        OnSite = "on_site" / "现场检查",
        Written = "written" / "书面检查",
        Online = "online" / "网络监测",
        Testing = "testing" / "检验检测",
        Commissioned = "commissioned" / "委托专业机构",
        OffSite = "off_site" / "非现场检查",
    }
);

labelled_enum!(
    /// Dimension a check point belongs to (鲁双随机办〔2022〕2号: 人员、设备、环境、制度、产品质量).
    Dimension {
        Personnel = "personnel" / "人员",
        Equipment = "equipment" / "设备",
        Environment = "environment" / "环境",
        System = "system" / "制度",
        ProductQuality = "product_quality" / "产品质量",
    }
);

labelled_enum!(
    /// 实施层级.
    ImplementationLevel {
        Province = "province" / "省级",
        City = "city" / "市级",
        County = "county" / "县级",
    }
);

labelled_enum!(
    /// Draft items are edited freely; published ones are in force and every change makes a
    /// new version (动态更新); retired ones stay readable.
    ItemStatus {
        Draft = "draft" / "草稿",
        Published = "published" / "已发布",
        Retired = "retired" / "已停用",
    }
);

labelled_enum!(
    /// A department's part in an item.
    DepartmentRole {
        Lead = "lead" / "牵头",
        Cooperating = "cooperating" / "配合",
    }
);

/// Item code: 2–32 upper-case letters, digits or `-`, e.g. `WY-2024-01`.
pub fn item_code(s: &str) -> Result<String, Invalid> {
    let t = s.trim().to_ascii_uppercase();
    if (2..=32).contains(&t.len())
        && t.bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'-')
    {
        Ok(t)
    } else {
        Err(Invalid::new(
            "item_code",
            format!("事项编码“{t}”不正确：2–32 位大写字母、数字或 -"),
            format!("item code '{t}' is malformed: 2–32 upper-case letters, digits or -"),
        ))
    }
}

pub fn item_name(s: &str) -> Result<String, Invalid> {
    bounded_text(s, 2, 128, "事项名称", "item name")
}

/// Methods as a list, from codes or labels separated by commas or 、.
pub fn methods(s: &str) -> Result<Vec<Method>, Invalid> {
    let mut out = Vec::new();
    for part in s
        .split([',', '，', '、', ';', '；'])
        .map(str::trim)
        .filter(|p| !p.is_empty())
    {
        let m = Method::parse(part)?;
        if !out.contains(&m) {
            out.push(m);
        }
    }
    if out.is_empty() {
        return Err(Invalid::new(
            "required",
            "至少选择一种检查方式",
            "choose at least one method",
        ));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses() {
        assert_eq!(item_code(" wy-2024-01 ").unwrap(), "WY-2024-01");
        assert!(item_code("事项1").is_err());
        assert_eq!(
            methods("现场检查、书面检查,on_site").unwrap(),
            vec![Method::OnSite, Method::Written]
        );
        assert!(methods("").is_err());
        assert!(methods("飞行检查").is_err());
        assert_eq!(
            Dimension::parse("产品质量").unwrap(),
            Dimension::ProductQuality
        );
    }
}
