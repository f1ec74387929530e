//! Official documents (执法文书): what every printed notice (检查通知书, 责令整改通知书) must
//! carry besides its matter — the issuing authority's legal name, and the remedies clause
//! telling the party where and within what time it may seek administrative reconsideration
//! (行政复议法 2023 第二十条: 60 days; 第二十四条: a county's or city's department is reviewed by
//! that level's people's government) or sue (行政诉讼法 第四十六条: 6 months; 第十八条: the
//! court where the authority is located). The region's coordination office may name both bodies
//! when they cannot be derived (联席办设置 → 文书设置).

use lianjian_domain::department::legal_name;
use lianjian_domain::region::RegionLevel;
use uuid::Uuid;

use crate::{Result, ServiceError, Services, regions};

/// Lines whose authorities are reviewed by the next higher authority of the line instead of
/// the local government (行政复议法 2023 第二十七条: customs, finance, foreign exchange, tax,
/// state security).
const VERTICAL_LINES: &[&str] = &[
    "customs",
    "tax",
    "financial_regulation",
    "foreign_exchange",
    "state_security",
];

/// Who issues a notice, as the notice names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Issuer {
    /// 机关全称, e.g. 舞阳县卫生健康委员会.
    pub legal_name: String,
    /// Where the party applies for reconsideration, e.g. 舞阳县人民政府.
    pub reconsideration_body: String,
    /// Where the party may sue, e.g. 舞阳县人民法院.
    pub court: String,
    /// The people's procuratorate of the authority's level, which receives a copy of every case
    /// transfer (《行政执法机关移送涉嫌犯罪案件的规定》: the transfer letter is copied to the
    /// procuratorate of the same level), e.g. 舞阳县人民检察院.
    pub procuratorate: String,
}

impl Issuer {
    /// The remedies clause (救济途径告知) every notice ends with.
    pub fn remedies(&self) -> String {
        format!(
            "你单位如不服本通知，可以自收到本通知书之日起六十日内向{}申请行政复议，或者自收到本通知书之日起六个月内向{}提起行政诉讼。",
            self.reconsideration_body, self.court
        )
    }
}

/// The issuer of notices of department `department_id`.
pub async fn issuer(svc: &Services, department_id: Uuid) -> Result<Issuer> {
    let d = lianjian_store::departments::get(svc.store.conn(), department_id)
        .await?
        .ok_or(ServiceError::NotFound)?;
    let lineage = regions::lineage(svc, &d.region_code).await?;
    let named: Vec<(RegionLevel, &str)> =
        lineage.iter().map(|r| (r.level, r.name.as_str())).collect();
    let derived = derive(&lineage, &d.line);
    // What the region's office set wins over what is derived (issue 13 item 4).
    let set = lianjian_store::office_settings::documents(svc.store.conn(), &d.region_code).await?;
    let (reconsideration_body, court) = match set {
        Some(s) => (
            Some(s.reconsideration_body)
                .filter(|b| !b.is_empty())
                .unwrap_or(derived.0),
            Some(s.court).filter(|c| !c.is_empty()).unwrap_or(derived.1),
        ),
        None => derived,
    };
    let procuratorate = match lineage.last() {
        Some(r) => format!("{}人民检察院", r.name),
        None => "同级人民检察院".to_string(),
    };
    Ok(Issuer {
        legal_name: legal_name(&d.name, &named),
        reconsideration_body,
        court,
        procuratorate,
    })
}

/// The reconsideration body and the court derived from a department's region (its lineage,
/// province first) and line, when the office has not named them.
fn derive(lineage: &[regions::Region], line: &str) -> (String, String) {
    let own = lineage.last().map(|r| r.name.clone()).unwrap_or_default();
    let level = lineage.last().map(|r| r.level);
    let body = if VERTICAL_LINES.contains(&line) {
        "上一级主管部门".to_string()
    } else {
        format!("{own}人民政府")
    };
    // A county's departments are sued in the county's basic court; which basic court of a
    // city or province hears a case against its departments is not derivable from the region.
    let court = match level {
        Some(RegionLevel::County | RegionLevel::Township) => format!("{own}人民法院"),
        _ => "有管辖权的人民法院".to_string(),
    };
    (body, court)
}

/// What the remedies clause of a region's (non-vertical) departments names when its office sets
/// nothing: shown beside the office's 文书设置 form.
pub async fn derived_bodies(
    svc: &Services,
    region: &lianjian_domain::region::RegionCode,
) -> Result<(String, String)> {
    Ok(derive(&regions::lineage(svc, region).await?, ""))
}

/// The legal provisions a notice cites (法律依据): the distinct non-empty bases, in order.
pub fn provisions<'a>(bases: impl IntoIterator<Item = &'a str>) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for b in bases {
        let b = b.trim();
        if !b.is_empty() && !out.iter().any(|x| x == b) {
            out.push(b.to_string());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remedies_name_the_bodies_and_time_limits() {
        let i = Issuer {
            legal_name: "舞阳县卫生健康委员会".into(),
            reconsideration_body: "舞阳县人民政府".into(),
            court: "舞阳县人民法院".into(),
            procuratorate: "舞阳县人民检察院".into(),
        };
        let r = i.remedies();
        assert!(r.contains("六十日内向舞阳县人民政府申请行政复议"), "{r}");
        assert!(r.contains("六个月内向舞阳县人民法院提起行政诉讼"), "{r}");
    }

    #[test]
    fn provisions_are_distinct_and_ordered() {
        assert_eq!(
            provisions([
                "《药品管理法》第五十三条",
                " ",
                "《药品管理法》第五十三条",
                "《药品经营质量管理规范》"
            ]),
            vec!["《药品管理法》第五十三条", "《药品经营质量管理规范》"]
        );
    }
}
