//! The service integration tests, one binary (linking once instead of once per file): one
//! module per subject.

use std::future::Future;
use std::pin::Pin;

use lianjian_services::Services;
use lianjian_store::Store;
use lianjian_store::testing::Template;

mod analysis;
mod assistance;
mod audit_anchor;
mod change_feed;
mod clue_desk;
mod clue_workflow;
mod clues;
mod consultations;
mod credit;
mod credit_clues;
mod credit_evaluation;
mod credit_sanctions;
mod demo;
mod exchange;
mod guides;
mod hotline;
mod iot;
mod iot_warnings;
mod licensing;
mod risk;
mod sharing;
mod sharing_nats;
mod staff_queues;
mod warnings;

/// The demo data, seeded once per backend per test process; each test gets a copy.
pub static DEMO: Template = Template {
    name: "demo",
    prepare: seed_demo,
};

fn seed_demo(store: &Store) -> Pin<Box<dyn Future<Output = ()> + Send + '_>> {
    Box::pin(async move {
        let svc = Services::new(store.clone(), Default::default());
        lianjian_services::demo::seed_base(&svc)
            .await
            .expect("demo seed");
    })
}
