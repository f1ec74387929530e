//! Paging for every list: page numbers from 1, a bounded page size, and the total.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct PageRequest {
    pub page: u64,
    pub per_page: u64,
}

impl PageRequest {
    pub const MAX_PER_PAGE: u64 = 200;
    /// Highest page number: keeps every offset (at most 200 million) far inside the 64-bit
    /// signed range both databases take, whatever a client sends.
    pub const MAX_PAGE: u64 = 1_000_000;

    /// Clamps what a client asked for into a sane request (pages of the console and portal,
    /// where a wrong number just shows the nearest page; the API refuses it with
    /// [`PageRequest::checked`]).
    pub fn new(page: Option<u64>, per_page: Option<u64>) -> Self {
        Self {
            page: page.unwrap_or(1).clamp(1, Self::MAX_PAGE),
            per_page: per_page.unwrap_or(20).clamp(1, Self::MAX_PER_PAGE),
        }
    }

    /// The request, or the name of the parameter out of range: `page` 1–[`Self::MAX_PAGE`],
    /// `per_page` 1–[`Self::MAX_PER_PAGE`].
    pub fn checked(page: Option<u64>, per_page: Option<u64>) -> Result<Self, &'static str> {
        if page.is_some_and(|p| !(1..=Self::MAX_PAGE).contains(&p)) {
            return Err("page");
        }
        if per_page.is_some_and(|p| !(1..=Self::MAX_PER_PAGE).contains(&p)) {
            return Err("per_page");
        }
        Ok(Self::new(page, per_page))
    }

    pub fn offset(&self) -> u64 {
        (self.page - 1) * self.per_page
    }
}

impl Default for PageRequest {
    fn default() -> Self {
        Self::new(None, None)
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub total: u64,
    pub page: u64,
    pub per_page: u64,
}

impl<T> Page<T> {
    pub fn pages(&self) -> u64 {
        self.total.div_ceil(self.per_page).max(1)
    }

    pub fn map<U>(self, f: impl FnMut(T) -> U) -> Page<U> {
        Page {
            items: self.items.into_iter().map(f).collect(),
            total: self.total,
            page: self.page,
            per_page: self.per_page,
        }
    }
}
