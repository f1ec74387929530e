//! Query strings and path ids for the directory, tag and item endpoints, parsed by hand so that
//! every bad value comes back in the one error shape (axum's own rejections are plain text), and
//! so that a filter may be repeated (`?tag=a&tag=b`) or comma-separated (`?tag=a,b`).

use chrono::{DateTime, FixedOffset, NaiveDate, TimeZone, Utc};
use lianjian_services::PageRequest;
use utoipa::IntoParams;
use uuid::Uuid;

use crate::ApiError;

/// The pairs of a query string, in order.
#[derive(Debug, Default, Clone)]
pub struct Params(pub Vec<(String, String)>);

impl Params {
    /// The last non-empty value of `key`, trimmed; empty if absent.
    pub fn one(&self, key: &str) -> String {
        self.0
            .iter()
            .rev()
            .find(|(k, v)| k == key && !v.trim().is_empty())
            .map(|(_, v)| v.trim().to_string())
            .unwrap_or_default()
    }

    /// Every value of `key`, commas (also full-width and 、) splitting one value into several.
    pub fn many(&self, key: &str) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for (_, v) in self.0.iter().filter(|(k, _)| k == key) {
            for part in v
                .split([',', '，', '、'])
                .map(str::trim)
                .filter(|p| !p.is_empty())
            {
                if !out.iter().any(|o| o == part) {
                    out.push(part.to_string());
                }
            }
        }
        out
    }

    fn number(&self, key: &str) -> Result<Option<u64>, ApiError> {
        let v = self.one(key);
        if v.is_empty() {
            return Ok(None);
        }
        v.parse::<u64>().map(Some).map_err(|_| {
            ApiError::bad_request(
                key,
                "not_a_number",
                format!("参数 {key}“{v}”应为正整数"),
                format!("{key} '{v}' must be a positive whole number"),
            )
        })
    }

    /// `page` and `per_page` (1–200, default 20).
    pub fn paging(&self) -> Result<PageRequest, ApiError> {
        ApiError::paging(self.number("page")?, self.number("per_page")?)
    }
}

/// `?page=&per_page=` of the lists here (documentation; read by [`Params::paging`]).
#[derive(Debug, IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
pub struct Pages {
    /// Page number, 1–1,000,000 (422 outside).
    pub page: Option<u64>,
    /// Items per page, 1–200 (default 20; 422 outside).
    pub per_page: Option<u64>,
}

/// An id in a path; a malformed one is as absent as an unknown one.
pub fn id(s: &str) -> Result<Uuid, ApiError> {
    Uuid::parse_str(s.trim()).map_err(|_| ApiError::not_found())
}

fn beijing() -> FixedOffset {
    FixedOffset::east_opt(8 * 3600).expect("valid offset")
}

/// A calendar day as people mean it (Beijing time): the last instant of that day. Also accepts an
/// RFC 3339 instant for callers that need one.
pub fn end_of_day_or_instant(s: &str) -> Option<DateTime<Utc>> {
    let t = s.trim();
    if let Ok(i) = DateTime::parse_from_rfc3339(t) {
        return Some(i.with_timezone(&Utc));
    }
    let d = NaiveDate::parse_from_str(t, "%Y-%m-%d").ok()?;
    let next = d.succ_opt()?.and_hms_opt(0, 0, 0)?;
    let start_next = beijing()
        .from_local_datetime(&next)
        .single()?
        .with_timezone(&Utc);
    Some(start_next - chrono::Duration::microseconds(1))
}

/// Today in Beijing, as `YYYY-MM-DD`.
pub fn today() -> String {
    Utc::now()
        .with_timezone(&beijing())
        .format("%Y-%m-%d")
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repeated_and_comma_separated_values() {
        let p = Params(vec![
            ("tag".into(), "a,b".into()),
            ("tag".into(), "c".into()),
            ("tag".into(), "a".into()),
            ("q".into(), " x ".into()),
        ]);
        assert_eq!(p.many("tag"), vec!["a", "b", "c"]);
        assert_eq!(p.one("q"), "x");
        assert!(Params(vec![("page".into(), "x".into())]).paging().is_err());
    }

    #[test]
    fn days_end_in_beijing() {
        let t = end_of_day_or_instant("2026-03-31").unwrap();
        assert_eq!(t.to_rfc3339(), "2026-03-31T15:59:59.999999+00:00");
        assert!(end_of_day_or_instant("2026-02-30").is_none());
        assert!(end_of_day_or_instant("2026-03-31T10:00:00+08:00").is_some());
    }
}
