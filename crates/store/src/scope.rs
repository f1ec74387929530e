//! The one place data scope becomes SQL. Every scoped list and get in the store takes a
//! [`Scope`] (made only from the acting user, or by the named `system`/`public` escapes; see
//! `lianjian_domain::scope`) and applies it here, through the table's [`Shape`]. No store module
//! writes a region prefix or a department-line subquery of its own.
//!
//! A scope is the role's grant AND every filter the caller narrowed it with, so the SQL is the
//! conjunction of one condition per part: a filter can only narrow.

use lianjian_domain::region::RegionCode;
use lianjian_domain::scope::{Scope, ScopeFilter};
use sea_orm::Value;
use sea_orm::sea_query::{Alias, Expr, ExprTrait, Query, SimpleExpr};

/// How one table carries data scope.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Shape {
    /// The column holding the row's region code (qualified when the query joins).
    pub region: &'static str,
    /// Catalogue rows (plans, items) apply downwards: a region also sees the rows of its
    /// ancestors (a province plan covers every county in it). Only the grant widens so;
    /// a filter the caller chose is always a plain subtree.
    pub ancestors_visible: bool,
    pub line: Line,
}

/// How a row belongs to a department line (条线).
#[derive(Debug, Clone, Copy)]
pub(crate) enum Line {
    /// Rows shared by every line (the directory of entities, draws, claims).
    Shared,
    /// A column holding the line itself (departments).
    Own(&'static str),
    /// A column holding a department id.
    Department(&'static str),
    /// Rows linked to departments through a join table: the row's `id` column is in
    /// `SELECT key FROM table WHERE department IN (departments of the line)`.
    Through {
        id: &'static str,
        table: &'static str,
        key: &'static str,
        department: &'static str,
    },
}

impl Shape {
    /// A table with a region column and a department column (users, audit entries,
    /// rectifications…).
    pub(crate) const fn department(region: &'static str, department: &'static str) -> Self {
        Self {
            region,
            ancestors_visible: false,
            line: Line::Department(department),
        }
    }

    /// A table whose rows belong to every line: only the region applies.
    pub(crate) const fn shared(region: &'static str) -> Self {
        Self {
            region,
            ancestors_visible: false,
            line: Line::Shared,
        }
    }
}

/// One condition of a scope on a table.
enum Part<'a> {
    Subtree(&'static str, &'a RegionCode),
    /// The subtree or one of the code's ancestors.
    SubtreeOrAncestors(&'static str, &'a RegionCode),
    Line(Line, &'a str),
}

fn parts<'a>(scope: &'a Scope, shape: &Shape) -> Vec<Part<'a>> {
    let mut out = Vec::new();
    let mut add = |f: &'a ScopeFilter, grant: bool| {
        if let Some(r) = &f.region {
            out.push(if grant && shape.ancestors_visible {
                Part::SubtreeOrAncestors(shape.region, r)
            } else {
                Part::Subtree(shape.region, r)
            });
        }
        if let Some(l) = &f.line
            && !matches!(shape.line, Line::Shared)
        {
            out.push(Part::Line(shape.line, l));
        }
    };
    add(scope.grant(), true);
    for f in scope.narrowing() {
        add(f, false);
    }
    out
}

/// `p ≤ x < upper(p)` selects the strings starting with `p` with a plain B-tree range on both
/// databases (LIKE cannot use the index under PostgreSQL's non-C collations).
fn upper(r: &RegionCode) -> String {
    format!("{r}\u{10FFFF}")
}

/// The scope as a raw SQL condition with `$n` placeholders numbered after `vals`, which it
/// extends; `1 = 1` when the scope limits nothing.
pub(crate) fn sql(scope: &Scope, shape: &Shape, vals: &mut Vec<Value>) -> String {
    let mut conds = Vec::new();
    let ph = |vals: &mut Vec<Value>, v: Value| {
        vals.push(v);
        format!("${}", vals.len())
    };
    for p in parts(scope, shape) {
        conds.push(match p {
            Part::Subtree(col, r) => {
                let a = ph(vals, r.to_string().into());
                let b = ph(vals, upper(r).into());
                format!("({col} >= {a} AND {col} < {b})")
            }
            Part::SubtreeOrAncestors(col, r) => {
                let ancestors: Vec<String> = r
                    .lineage()
                    .into_iter()
                    .map(|x| ph(vals, String::from(x).into()))
                    .collect();
                let a = ph(vals, r.to_string().into());
                let b = ph(vals, upper(r).into());
                format!(
                    "({col} IN ({}) OR ({col} >= {a} AND {col} < {b}))",
                    ancestors.join(", ")
                )
            }
            Part::Line(Line::Own(col), l) => {
                format!("{col} = {}", ph(vals, l.to_string().into()))
            }
            Part::Line(Line::Department(col), l) => format!(
                "{col} IN (SELECT id FROM departments WHERE line = {})",
                ph(vals, l.to_string().into())
            ),
            Part::Line(
                Line::Through {
                    id,
                    table,
                    key,
                    department,
                },
                l,
            ) => format!(
                "{id} IN (SELECT sl.{key} FROM {table} sl JOIN departments sd ON sd.id = sl.{department} WHERE sd.line = {})",
                ph(vals, l.to_string().into())
            ),
            Part::Line(Line::Shared, _) => continue,
        });
    }
    if conds.is_empty() {
        "1 = 1".into()
    } else {
        conds.join(" AND ")
    }
}

/// The same condition as a sea-query expression, for queries built with SeaORM; `None` when
/// the scope limits nothing.
pub(crate) fn expr(scope: &Scope, shape: &Shape) -> Option<SimpleExpr> {
    let subtree = |col: &'static str, r: &RegionCode| {
        column(col).gte(r.as_str()).and(column(col).lt(upper(r)))
    };
    let in_line =
        |sub: sea_orm::sea_query::SelectStatement, col: &'static str| column(col).in_subquery(sub);
    parts(scope, shape)
        .into_iter()
        .filter_map(|p| {
            Some(match p {
                Part::Subtree(col, r) => subtree(col, r),
                Part::SubtreeOrAncestors(col, r) => column(col)
                    .is_in(r.lineage().into_iter().map(String::from))
                    .or(subtree(col, r)),
                Part::Line(Line::Own(col), l) => column(col).eq(l),
                Part::Line(Line::Department(col), l) => in_line(
                    Query::select()
                        .column(Alias::new("id"))
                        .from(Alias::new("departments"))
                        .and_where(Expr::col(Alias::new("line")).eq(l))
                        .take(),
                    col,
                ),
                Part::Line(
                    Line::Through {
                        id,
                        table,
                        key,
                        department,
                    },
                    l,
                ) => in_line(
                    Query::select()
                        .column(Alias::new(key))
                        .from(Alias::new(table))
                        .and_where(
                            Expr::col(Alias::new(department)).in_subquery(
                                Query::select()
                                    .column(Alias::new("id"))
                                    .from(Alias::new("departments"))
                                    .and_where(Expr::col(Alias::new("line")).eq(l))
                                    .take(),
                            ),
                        )
                        .take(),
                    id,
                ),
                Part::Line(Line::Shared, _) => return None,
            })
        })
        .reduce(|a, b| a.and(b))
}

/// A column, qualified (`table.column`) or not.
fn column(name: &'static str) -> Expr {
    match name.split_once('.') {
        Some((t, c)) => Expr::col((Alias::new(t), Alias::new(c))),
        None => Expr::col(Alias::new(name)),
    }
}
