//! Pure domain types and rules of Lianjian (联监): values that parse, never merely validate,
//! and rules with no IO. Every other crate builds on these.

pub mod account;
pub mod analysis;
pub mod assistance;
pub mod audit;
pub mod calendar;
pub mod case;
pub mod claim;
pub mod clue;
pub mod consultation;
pub mod credit;
pub mod department;
pub mod directory;
pub mod draw;
pub mod error;
pub mod evidence;
pub mod guide;
pub mod import_job;
pub mod inspector;
pub mod iot;
pub mod item;
pub mod licensing;
pub mod lifecycle;
pub mod page;
pub mod plan;
pub mod region;
pub mod risk;
pub mod scope;
pub mod sector;
pub mod sharing;
pub mod submission;
pub mod tag;
pub mod tag_expr;
pub mod usci;
pub mod visit;
pub mod warning;

pub use directory::Labelled;
pub use error::Invalid;
