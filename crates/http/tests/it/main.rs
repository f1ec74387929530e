//! The HTTP integration tests, one binary (linking the whole application once instead of once
//! per file): one module per subject, sharing the harness in `common`.

mod common;

mod api_schemas;
mod audit_anchor;
mod authz_matrix;
mod calendar;
mod clue_desk;
mod clue_portal;
mod clues;
mod consultations;
mod credit;
mod credit_evaluation;
mod credit_sanctions;
mod directory;
mod draw_access;
mod draws;
mod evidence;
mod guides;
mod hotline;
mod http;
mod inspectors;
mod linkage;
mod open311;
mod plans;
mod portal_objection;
mod results_pages;
mod risk;
mod sharing;
mod staff_queues;
mod visits;
mod warnings;
