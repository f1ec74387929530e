//! The store integration tests, one binary: one module per subject.

mod conformance;
mod directory;
