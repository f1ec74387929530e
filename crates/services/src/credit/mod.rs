//! Joint credit supervision (联合信用监管, issue 15): one module per part of the capability.

pub mod evaluation;
