//! Supervision sectors (监管领域): the editable list of areas items belong to.

use crate::Invalid;
use crate::error::bounded_text;

/// Sector name, 2–30 characters.
pub fn sector_name(s: &str) -> Result<String, Invalid> {
    bounded_text(s, 2, 30, "领域名称", "sector name")
}

/// Sectors named in the policies, loaded as the initial editable list: the 8 pilot domains of
/// 鲁双随机办〔2022〕2号, then the high-risk areas named by 国办发〔2023〕1号 (四) (食品、药品、
/// 医疗器械、危险化学品、燃气、特种设备、建筑工程质量、非法金融活动) and 舞政办〔2024〕20号 (三品一特).
pub const BUILTIN_SECTORS: &[&str] = &[
    "预付卡消费",
    "医疗服务",
    "养老服务",
    "餐饮服务",
    "职业技能培训",
    "建设项目",
    "交通新业态",
    "危化品安全",
    "食品",
    "药品",
    "医疗器械",
    "危险化学品",
    "燃气",
    "特种设备",
    "建筑工程质量",
    "非法金融活动",
    "重点工业产品",
    "食用农产品",
    "医疗美容",
];
