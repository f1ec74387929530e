//! Turns a [`ScopeFilter`] into SQL conditions: region subtree by code prefix, department line
//! through the departments table. Every scoped query goes through here.

use lianjian_domain::scope::ScopeFilter;
use sea_orm::sea_query::{Expr, ExprTrait, Query, SimpleExpr};

/// Condition on a table with `region_col` and `department_col`.
pub(crate) fn condition(
    f: &ScopeFilter,
    region_col: &'static str,
    department_col: &'static str,
) -> Option<SimpleExpr> {
    let mut parts: Vec<SimpleExpr> = Vec::new();
    if let Some(r) = &f.region {
        parts.push(Expr::col(region_col).like(format!("{}%", r.as_str())));
    }
    if let Some(line) = &f.line {
        parts.push(
            Expr::col(department_col).in_subquery(
                Query::select()
                    .column("id")
                    .from("departments")
                    .and_where(Expr::col("line").eq(line.as_str()))
                    .take(),
            ),
        );
    }
    parts.into_iter().reduce(|a, b| a.and(b))
}
