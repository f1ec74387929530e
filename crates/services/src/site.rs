//! The instance's public face (门户): the name it goes by and the jurisdiction (辖区) whose
//! records its portal and public API publish. A county's platform shows its own county's
//! plans, draws and results and the items that apply there (its own, its city's and its
//! province's), not another county's pilot items (issue 13, 门户).

use lianjian_domain::region::RegionCode;
use lianjian_domain::scope::Scope;

use crate::{Result, Services, regions};

/// What the portal says of itself.
#[derive(Debug, Clone, Default)]
pub struct Site {
    /// The configured site name; see [`Site::title`].
    pub name: Option<String>,
    /// The jurisdiction; `None` = the whole country (a national or test instance).
    pub region: Option<RegionCode>,
    /// The jurisdiction's own name, e.g. "舞阳县".
    pub region_name: Option<String>,
    /// Its full name down from the province, e.g. "河南省漯河市舞阳县".
    pub region_path: Option<String>,
}

impl Site {
    /// The name in the portal's header: the configured one, else the jurisdiction's name
    /// followed by the generic title.
    pub fn title(&self, generic: &str) -> String {
        match (&self.name, &self.region_name) {
            (Some(n), _) => n.clone(),
            (None, Some(r)) => format!("{r}{generic}"),
            (None, None) => generic.to_string(),
        }
    }
}

impl Services {
    /// The same services publishing for `region` under `name` (`serve --site-region`). An
    /// unknown region is an error naming it, so a typo never publishes the whole country.
    pub async fn with_site(mut self, name: Option<String>, region: Option<&str>) -> Result<Self> {
        self.site = Site {
            name: name.map(|n| n.trim().to_string()).filter(|n| !n.is_empty()),
            ..Site::default()
        };
        if let Some(code) = region.map(str::trim).filter(|r| !r.is_empty()) {
            let r = regions::get(&self, code).await?;
            let path = regions::lineage(&self, &r.code).await?;
            self.site.region_path = Some(path.into_iter().map(|x| x.name).collect());
            self.site.region_name = Some(r.name);
            self.site.region = Some(r.code);
        }
        Ok(self)
    }

    /// What the portal and the public API may show: public records of the jurisdiction.
    pub fn public_scope(&self) -> Scope {
        Scope::public_within(self.site.region.clone())
    }
}

impl Site {
    /// Whether a public record of `region` belongs on this site: one inside the jurisdiction,
    /// or, for catalogue records (items, plans), one of an ancestor, which applies here too.
    pub fn publishes(&self, region: &RegionCode, catalogue: bool) -> bool {
        match &self.region {
            None => true,
            Some(j) => region.is_within(j) || (catalogue && j.is_within(region)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code(s: &str) -> RegionCode {
        RegionCode::parse(s).unwrap()
    }

    #[test]
    fn a_county_site_publishes_its_own_and_its_ancestors_catalogue() {
        let site = Site {
            region: Some(code("411121")),
            ..Default::default()
        };
        assert!(site.publishes(&code("411121"), false));
        assert!(site.publishes(&code("411121100"), false));
        assert!(!site.publishes(&code("41"), false), "a province's draw");
        assert!(
            site.publishes(&code("41"), true),
            "a province's item applies"
        );
        assert!(site.publishes(&code("4111"), true));
        assert!(!site.publishes(&code("411122"), true), "a neighbour's item");
        assert!(
            !site.publishes(&code("37"), true),
            "another province's item"
        );
        assert!(Site::default().publishes(&code("37"), false));
    }
}
