//! Joint credit supervision (联合信用监管, issue 15): joint sanctions and objections/repair.
pub mod repair;
pub mod sanctions;
