//! Paging types live in `lianjian_domain::page` (pure, shared by every layer); the store
//! re-exports them where its list functions have always named them.

pub use lianjian_domain::page::{Page, PageRequest};
