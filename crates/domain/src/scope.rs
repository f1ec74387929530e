//! Who is acting, and what they may see: data scope by department line and region subtree.
//! The store turns a [`ScopeFilter`] into SQL, so scope is enforced in queries, not only in pages.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::account::Role;
use crate::region::RegionCode;

/// The authenticated user (or system account) on whose behalf a use case runs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Actor {
    pub user_id: Uuid,
    pub username: String,
    pub display_name: String,
    pub role: Role,
    pub department_id: Uuid,
    /// The department's line (条线), e.g. `market` for every 市场监管局 at every level.
    pub department_line: String,
    pub region: RegionCode,
    /// Client address, for the audit log.
    pub ip: Option<String>,
    /// Narrower view chosen in the console (only roles that may switch context).
    pub context: Option<Context>,
}

/// A narrower view a user chose, always inside the user's own scope.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Context {
    pub region: RegionCode,
    pub department_line: Option<String>,
}

/// Rows a query may return: those in `region`'s subtree (all regions if `None`) and of
/// department line `line` (all lines if `None`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ScopeFilter {
    pub region: Option<RegionCode>,
    pub line: Option<String>,
}

impl ScopeFilter {
    pub fn everything() -> Self {
        Self::default()
    }

    pub fn permits(&self, region: &RegionCode, line: Option<&str>) -> bool {
        let region_ok = self.region.as_ref().is_none_or(|r| region.is_within(r));
        let line_ok = match (&self.line, line) {
            (None, _) => true,
            (Some(want), Some(have)) => want == have,
            (Some(_), None) => false,
        };
        region_ok && line_ok
    }

    /// Whether every row this filter permits, `outer` also permits.
    pub fn is_within(&self, outer: &ScopeFilter) -> bool {
        let region_ok = match (&outer.region, &self.region) {
            (None, _) => true,
            (Some(o), Some(s)) => s.is_within(o),
            (Some(_), None) => false,
        };
        let line_ok = match (&outer.line, &self.line) {
            (None, _) => true,
            (Some(o), Some(s)) => o == s,
            (Some(_), None) => false,
        };
        region_ok && line_ok
    }
}

impl Actor {
    /// Everything the role grants, ignoring any chosen context.
    pub fn full_scope(&self) -> ScopeFilter {
        match self.role {
            Role::SystemAdmin => ScopeFilter::everything(),
            Role::CoordinationOffice | Role::Leader | Role::Supervisor => ScopeFilter {
                region: Some(self.region.clone()),
                line: None,
            },
            Role::DepartmentAdmin | Role::Inspector => ScopeFilter {
                region: Some(self.region.clone()),
                line: Some(self.department_line.clone()),
            },
        }
    }

    /// What queries are limited to: the chosen context if any (it was checked to lie inside
    /// the full scope when chosen), else the full scope.
    pub fn scope(&self) -> ScopeFilter {
        let full = self.full_scope();
        match &self.context {
            Some(c) => {
                let narrowed = ScopeFilter {
                    region: Some(c.region.clone()),
                    line: c.department_line.clone().or(full.line.clone()),
                };
                if narrowed.is_within(&full) {
                    narrowed
                } else {
                    full
                }
            }
            None => full,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn actor(role: Role, region: &str, line: &str) -> Actor {
        Actor {
            user_id: Uuid::nil(),
            username: "u".into(),
            display_name: "u".into(),
            role,
            department_id: Uuid::nil(),
            department_line: line.into(),
            region: RegionCode::parse(region).unwrap(),
            ip: None,
            context: None,
        }
    }

    #[test]
    fn department_admin_sees_own_line_in_subtree() {
        let a = actor(Role::DepartmentAdmin, "37", "market");
        let s = a.scope();
        assert!(s.permits(&RegionCode::parse("371502").unwrap(), Some("market")));
        assert!(!s.permits(&RegionCode::parse("371502").unwrap(), Some("health")));
        assert!(!s.permits(&RegionCode::parse("411121").unwrap(), Some("market")));
    }

    #[test]
    fn coordination_office_sees_all_lines_in_subtree() {
        let a = actor(Role::CoordinationOffice, "411121", "market");
        assert!(
            a.scope()
                .permits(&RegionCode::parse("411121100").unwrap(), Some("health"))
        );
        assert!(
            !a.scope()
                .permits(&RegionCode::parse("4111").unwrap(), Some("health"))
        );
    }

    #[test]
    fn context_cannot_widen_scope() {
        let mut a = actor(Role::CoordinationOffice, "411121", "market");
        a.context = Some(Context {
            region: RegionCode::parse("41").unwrap(),
            department_line: None,
        });
        assert_eq!(a.scope(), a.full_scope());
        a.context = Some(Context {
            region: RegionCode::parse("411121100").unwrap(),
            department_line: Some("health".into()),
        });
        assert!(a.scope().is_within(&a.full_scope()));
        assert!(
            !a.scope()
                .permits(&RegionCode::parse("411121100").unwrap(), Some("market"))
        );
    }
}
