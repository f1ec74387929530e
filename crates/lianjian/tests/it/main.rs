//! The application's integration tests, one binary (linking once instead of once per file):
//! the real `lianjian` binary driven from the command line, over HTTP and in a browser.

mod common;

mod audit_cli;
mod bench_cli;
mod browser;
mod browser_console;
mod browser_documents;
mod browser_field;
mod browser_portal_clue;
mod browser_visit;
mod demo_devices;
mod draw_cli;
mod e2e;
mod evidence_cli;
mod exchange_cli;
mod open311_client;
mod two_servers;
