//! The store integration tests, one binary: one module per subject.

mod case_figures;
mod clock_holders;
mod conformance;
mod directory;
mod draw_write_scale;
mod seal;
mod visit_batches;
