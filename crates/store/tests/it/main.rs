//! The store integration tests, one binary: one module per subject.

mod conformance;
mod directory;
mod draw_write_scale;
mod seal;
mod visit_batches;
