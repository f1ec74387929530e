//! The pager under every list page: numbered pages with gaps, previous/next, a page-size
//! choice and a jump box, keeping the list's filters in every link (issue 13, 分页).

use std::borrow::Borrow;

use lianjian_domain::page::{Page, PageRequest};

use crate::extract::urlencode;

/// Page sizes offered; a list may be asked for another size up to the API's maximum.
pub const SIZES: [u64; 3] = [10, 20, 50];

/// One list's pager: where it is, and the filters to keep in its links.
#[derive(Debug, Clone)]
pub struct Pager {
    pub page: u64,
    pub pages: u64,
    pub total: u64,
    pub per_page: u64,
    /// The list's query parameters other than `page` and `per_page`.
    pub params: Vec<(String, String)>,
}

impl Pager {
    /// The pager of `page`, keeping `params` (those naming the page or its size are dropped).
    pub fn of<T>(page: &Page<T>, params: &[(String, String)]) -> Self {
        Self {
            page: page.page,
            pages: page.pages(),
            total: page.total,
            per_page: page.per_page,
            params: params
                .iter()
                .filter(|(k, v)| k != "page" && k != "per_page" && k != "_csrf" && !v.is_empty())
                .cloned()
                .collect(),
        }
    }

    /// The pager of `page` keeping the named filters (the console's lists).
    pub fn new<T>(page: &Page<T>, filters: &[(&str, &str)]) -> Self {
        let params: Vec<(String, String)> = filters
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Self::of(page, &params)
    }

    /// The request a portal or console list makes of `?page=&per_page=`: the page size
    /// defaults to `default_size`, and a wrong number shows the nearest page.
    pub fn request(params: &[(String, String)], default_size: u64) -> PageRequest {
        let num = |k: &str| {
            params
                .iter()
                .find(|(n, _)| n == k)
                .and_then(|(_, v)| v.trim().parse::<u64>().ok())
        };
        PageRequest::new(num("page"), Some(num("per_page").unwrap_or(default_size)))
    }

    /// The filters as `k=v&` (for export links that take the list's filters).
    pub fn query(&self) -> String {
        self.params
            .iter()
            .map(|(k, v)| format!("{}={}&", urlencode(k), urlencode(v)))
            .collect()
    }

    /// The link to page `n` with the same filters and size.
    /// (`Borrow`, because templates pass their arguments by reference.)
    pub fn href(&self, n: impl Borrow<u64>) -> String {
        let n = *n.borrow();
        format!("?{}page={n}&per_page={}", self.query(), self.per_page)
    }

    /// The previous and next page numbers, held inside 1..=pages.
    pub fn prev(&self) -> u64 {
        self.page.saturating_sub(1).max(1)
    }

    pub fn next(&self) -> u64 {
        (self.page + 1).min(self.pages)
    }

    /// The link to the first page at size `size`.
    pub fn size_href(&self, size: impl Borrow<u64>) -> String {
        Self {
            per_page: *size.borrow(),
            ..self.clone()
        }
        .href(1)
    }

    pub fn sizes(&self) -> &'static [u64] {
        &SIZES
    }

    /// The page numbers to show: the first and last, and two on each side of the current
    /// one; `None` stands for a gap (…).
    pub fn numbers(&self) -> Vec<Option<u64>> {
        let mut out = Vec::new();
        let mut last = 0;
        for n in 1..=self.pages {
            let near = n.abs_diff(self.page) <= 2;
            if n == 1 || n == self.pages || near {
                if n > last + 1 {
                    out.push(None);
                }
                out.push(Some(n));
                last = n;
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pager(page: u64, total: u64) -> Pager {
        let p: Page<()> = Page {
            items: vec![],
            total,
            page,
            per_page: 10,
        };
        Pager::of(
            &p,
            &[
                ("q".into(), "药 店&1".into()),
                ("page".into(), "3".into()),
                ("region".into(), String::new()),
            ],
        )
    }

    #[test]
    fn numbers_keep_ends_and_neighbours() {
        let n = |p: &Pager| p.numbers();
        assert_eq!(n(&pager(1, 30)), vec![Some(1), Some(2), Some(3)]);
        assert_eq!(
            n(&pager(6, 200)),
            vec![
                Some(1),
                None,
                Some(4),
                Some(5),
                Some(6),
                Some(7),
                Some(8),
                None,
                Some(20)
            ]
        );
        assert_eq!(n(&pager(1, 0)), vec![Some(1)]);
    }

    #[test]
    fn links_keep_filters_and_drop_paging() {
        let p = pager(2, 100);
        assert_eq!(p.href(3), "?q=%E8%8D%AF%20%E5%BA%97%261&page=3&per_page=10");
        assert_eq!(
            p.size_href(50),
            "?q=%E8%8D%AF%20%E5%BA%97%261&page=1&per_page=50"
        );
    }
}
