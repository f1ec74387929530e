//! Who is acting, and what they may see: data scope by department line and region subtree.
//! A [`Scope`], made only from the acting user (or by the named `system`/`public` escapes),
//! is what every scoped list and get in the store takes; the store turns it into SQL in one
//! place, so scope is enforced in queries, not only in pages. [`ScopeFilter`] is the plain
//! (region, line) description a scope is made of, for checks in memory.

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
            // The procuratorate's grant is its region subtree over every line; what it may read
            // at all (transfers and their requests) is limited by role, not by scope.
            Role::CoordinationOffice | Role::Leader | Role::Supervisor | Role::Procuratorate => {
                ScopeFilter {
                    region: Some(self.region.clone()),
                    line: None,
                }
            }
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

/// What one caller may read: the rows the acting user's role grants (`grant`), narrowed by any
/// filters the caller chose. Every part must hold, so a filter such as `?line=` or
/// `?region=` can only narrow what the role grants, never widen it.
///
/// The store's scoped lists and gets take a `Scope` and nothing else for data scope, and a
/// `Scope` is made only from an [`Actor`] ([`Scope::of`], [`Scope::ignoring_context`]) or by
/// the two named, greppable escapes: [`Scope::system`] (CLI, background jobs, the server's own
/// passes) and [`Scope::public`] (the portal, where the record type decides what is public).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scope {
    grant: ScopeFilter,
    narrowing: Vec<ScopeFilter>,
    origin: Origin,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Origin {
    Actor,
    System,
    Public,
}

impl Scope {
    /// What `actor` may see now: the role's grant, limited to the console context if one was
    /// chosen (see [`Actor::scope`]).
    pub fn of(actor: &Actor) -> Self {
        Self {
            grant: actor.scope(),
            narrowing: Vec::new(),
            origin: Origin::Actor,
        }
    }

    /// Everything the role grants `actor`, ignoring a chosen console context (for pickers of
    /// targets the user may act on whatever view is chosen).
    pub fn ignoring_context(actor: &Actor) -> Self {
        Self {
            grant: actor.full_scope(),
            narrowing: Vec::new(),
            origin: Origin::Actor,
        }
    }

    /// What `actor` may see of data every line shares (departments are reference data: items
    /// name lead and cooperating departments of other lines): the region of [`Scope::of`],
    /// every line.
    pub fn all_lines_of(actor: &Actor) -> Self {
        Self {
            grant: ScopeFilter {
                region: actor.scope().region,
                line: None,
            },
            narrowing: Vec::new(),
            origin: Origin::Actor,
        }
    }

    /// Every row: the server acting for itself (CLI commands typed by the operator, start-up
    /// passes, background jobs). Never for a request made by a user.
    pub fn system() -> Self {
        Self {
            grant: ScopeFilter::everything(),
            narrowing: Vec::new(),
            origin: Origin::System,
        }
    }

    /// Every row, for the public portal and public API: there the record type, not the
    /// reader, decides what is shown (published plans, results, draw commitments).
    pub fn public() -> Self {
        Self {
            grant: ScopeFilter::everything(),
            narrowing: Vec::new(),
            origin: Origin::Public,
        }
    }

    /// The public face of an instance serving one jurisdiction (辖区): like [`Scope::public`],
    /// limited to `region` as a grant, so catalogue rows of its ancestors (a province's items
    /// and plans, which apply in every county) stay visible. `None` = the whole country.
    pub fn public_within(region: Option<RegionCode>) -> Self {
        Self {
            grant: ScopeFilter { region, line: None },
            narrowing: Vec::new(),
            origin: Origin::Public,
        }
    }

    /// This scope further limited to `region`'s subtree and department line `line` (either
    /// `None` = no further limit). The result never permits a row this scope does not.
    #[must_use]
    pub fn narrowed(mut self, region: Option<&RegionCode>, line: Option<&str>) -> Self {
        if region.is_some() || line.is_some() {
            self.narrowing.push(ScopeFilter {
                region: region.cloned(),
                line: line.map(str::to_string),
            });
        }
        self
    }

    /// What the role (or the escape) grants, before narrowing.
    pub fn grant(&self) -> &ScopeFilter {
        &self.grant
    }

    /// The filters the caller chose; each must hold as well as the grant.
    pub fn narrowing(&self) -> &[ScopeFilter] {
        &self.narrowing
    }

    pub fn is_system(&self) -> bool {
        self.origin == Origin::System
    }

    pub fn is_public(&self) -> bool {
        self.origin == Origin::Public
    }

    /// Whether a row of `region` belonging to department line `line` is in scope.
    pub fn permits(&self, region: &RegionCode, line: Option<&str>) -> bool {
        self.grant.permits(region, line) && self.narrowing.iter().all(|f| f.permits(region, line))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use proptest::prelude::*;

    fn region_strategy() -> impl Strategy<Value = RegionCode> {
        // Few distinct digits so that generated codes often nest or coincide.
        prop_oneof![
            "[34][17]",
            "[34][17]0[12]",
            "[34][17]0[12]0[12]",
            "[34][17]0[12]0[12]00[12]",
        ]
        .prop_map(|s| RegionCode::parse(&s).unwrap())
    }

    fn role_strategy() -> impl Strategy<Value = Role> {
        prop_oneof![
            Just(Role::SystemAdmin),
            Just(Role::CoordinationOffice),
            Just(Role::Leader),
            Just(Role::Supervisor),
            Just(Role::Procuratorate),
            Just(Role::DepartmentAdmin),
            Just(Role::Inspector),
        ]
    }

    fn line_strategy() -> impl Strategy<Value = String> {
        prop_oneof![Just("market".to_string()), Just("health".to_string())]
    }

    proptest! {
        /// The `?line=` / `?region=` widening bug (issue 12): whatever the caller asks for, the
        /// scope a list runs with permits only rows the actor's role grants, and only rows the
        /// filter asks for; a row both allow is permitted (the intersection is exact).
        #[test]
        fn narrowing_never_widens(
            role in role_strategy(),
            home in region_strategy(),
            line in line_strategy(),
            context in proptest::option::of((region_strategy(), proptest::option::of(line_strategy()))),
            asked_region in proptest::option::of(region_strategy()),
            asked_line in proptest::option::of(line_strategy()),
            row_region in region_strategy(),
            row_line in proptest::option::of(line_strategy()),
        ) {
            let mut a = actor(role, home.as_str(), &line);
            a.context = context.map(|(region, department_line)| Context { region, department_line });
            let s = Scope::of(&a).narrowed(asked_region.as_ref(), asked_line.as_deref());
            let asked = ScopeFilter { region: asked_region.clone(), line: asked_line.clone() };
            let permitted = s.permits(&row_region, row_line.as_deref());
            if permitted {
                prop_assert!(a.full_scope().permits(&row_region, row_line.as_deref()));
                prop_assert!(a.scope().permits(&row_region, row_line.as_deref()));
                prop_assert!(asked.permits(&row_region, row_line.as_deref()));
            }
            prop_assert_eq!(
                permitted,
                a.scope().permits(&row_region, row_line.as_deref())
                    && asked.permits(&row_region, row_line.as_deref())
            );
        }
    }

    #[test]
    fn asking_for_another_line_finds_nothing() {
        let a = actor(Role::DepartmentAdmin, "411121", "market");
        let s = Scope::of(&a).narrowed(None, Some("health"));
        let here = RegionCode::parse("411121100").unwrap();
        assert!(!s.permits(&here, Some("health")));
        assert!(!s.permits(&here, Some("market")));
        assert!(Scope::of(&a).permits(&here, Some("market")));
    }

    #[test]
    fn escapes_are_named() {
        assert!(Scope::system().is_system() && !Scope::system().is_public());
        assert!(Scope::public().is_public());
        let a = actor(Role::SystemAdmin, "11", "market");
        assert!(!Scope::of(&a).is_system());
        assert_eq!(Scope::of(&a).grant(), Scope::system().grant());
    }

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
