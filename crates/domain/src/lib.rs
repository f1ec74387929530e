//! Pure domain types and rules of Lianjian (联监): values that parse, never merely validate,
//! and rules with no IO. Every other crate builds on these.

pub mod account;
pub mod audit;
pub mod department;
pub mod error;
pub mod region;
pub mod scope;
pub mod sector;

pub use error::Invalid;
