//! Query strings and path ids. Each endpoint's query string is one struct that both documents it
//! (`IntoParams`) and parses it ([`parse`], through the [`ApiQuery`](crate::extract::ApiQuery)
//! extractor): every bad value comes back in the one error shape (axum's own rejections are
//! plain text), a filter may be repeated (`?tag=a&tag=b`) or comma-separated (`?tag=a,b`, see
//! [`split`]), and an empty value counts as absent.

use chrono::{DateTime, FixedOffset, NaiveDate, TimeZone, Utc};
use lianjian_domain::Labelled;
use lianjian_services::PageRequest;
use serde::Deserialize;
use serde::de::DeserializeOwned;
use utoipa::IntoParams;
use uuid::Uuid;

use crate::ApiError;

/// Parses a raw query string into its struct; a value that does not parse as its field's type
/// (or a single-valued parameter given twice) answers 400 naming the parameter.
pub fn parse<T: DeserializeOwned>(query: &str) -> Result<T, ApiError> {
    let de = serde_html_form::Deserializer::from_bytes(query.as_bytes());
    serde_path_to_error::deserialize(de).map_err(|e| {
        let field = match e.path().to_string() {
            p if p == "." || p.is_empty() => "query".to_string(),
            p => p,
        };
        let inner = e.into_inner();
        ApiError::bad_request(
            &field,
            "malformed_parameter",
            format!("参数“{field}”格式不正确"),
            format!("parameter '{field}' is malformed: {inner}"),
        )
    })
}

/// Every value of a repeatable filter, commas (also full-width and 、) splitting one value
/// into several; trimmed, without empties and repeats.
pub fn split(values: &[String]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for part in values
        .iter()
        .flat_map(|v| v.split([',', '，', '、']))
        .map(str::trim)
        .filter(|p| !p.is_empty())
    {
        if !out.iter().any(|o| o == part) {
            out.push(part.to_string());
        }
    }
    out
}

/// A single text value, trimmed; `None` when absent or blank.
pub fn text(v: &Option<String>) -> Option<String> {
    v.as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
}

/// A single text value, trimmed; empty when absent.
pub fn text_or_empty(v: &Option<String>) -> String {
    text(v).unwrap_or_default()
}

/// `?page=&per_page=` of every list.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct Pages {
    /// Page number, 1–1,000,000 (422 outside).
    pub page: Option<u64>,
    /// Items per page, 1–200 (default 20; 422 outside).
    pub per_page: Option<u64>,
}

impl Pages {
    pub fn request(&self) -> Result<PageRequest, ApiError> {
        ApiError::paging(self.page, self.per_page)
    }
}

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

    /// The pairs parsed as an endpoint's query struct, exactly as [`parse`] does for the API
    /// (the console and portal read the same filters).
    pub fn typed<T: DeserializeOwned>(&self) -> Result<T, ApiError> {
        let encoded = serde_html_form::to_string(&self.0).unwrap_or_default();
        parse(&encoded)
    }

    /// As [`Params::typed`], for callers that speak in service errors (console pages): a value
    /// that does not parse is a field error naming the parameter.
    pub fn filter<T: DeserializeOwned>(&self) -> Result<T, lianjian_services::ServiceError> {
        self.typed().map_err(|e| {
            let d = e.details.into_iter().next();
            let field = d.as_ref().map_or("query".to_string(), |d| d.field.clone());
            lianjian_services::ServiceError::field(
                &field,
                lianjian_domain::Invalid::new("malformed_parameter", e.message, e.message_en),
            )
        })
    }

    /// `page` and `per_page` (1–200, default 20).
    pub fn paging(&self) -> Result<PageRequest, ApiError> {
        self.typed::<Pages>()?.request()
    }
}

/// A refused parameter value, named by its parameter (422).
pub fn field_err(field: &str, e: lianjian_domain::Invalid) -> ApiError {
    lianjian_services::ServiceError::field(field, e).into()
}

/// A list's `queue`: `default` when absent or blank; a queue that does not exist is refused on
/// `queue` (422).
pub fn queue<Q: Labelled>(v: &Option<String>, default: Q) -> Result<Q, ApiError> {
    Ok(coded("queue", v)?.unwrap_or(default))
}

/// An optional coded filter (a status, a kind): none when absent or blank; a value its type
/// does not know is refused on `field` (422).
pub fn coded<T: Labelled>(field: &str, v: &Option<String>) -> Result<Option<T>, ApiError> {
    text(v)
        .map(|s| T::parse(&s).map_err(|e| field_err(field, e)))
        .transpose()
}

/// An optional id filter (`?department_id=`): none when absent or blank; a value that is not
/// an id is refused on `field` (422), the English message naming the field.
pub fn opt_id(field: &str, v: &Option<String>) -> Result<Option<Uuid>, ApiError> {
    opt_id_worded(field, v, |s| format!("{field} '{s}' is not an id"))
}

/// [`opt_id`] whose English message names only the value (as the consultation and assistance
/// lists have always answered).
pub fn opt_id_unnamed(field: &str, v: &Option<String>) -> Result<Option<Uuid>, ApiError> {
    opt_id_worded(field, v, |s| format!("'{s}' is not an id"))
}

fn opt_id_worded(
    field: &str,
    v: &Option<String>,
    en: impl FnOnce(&str) -> String,
) -> Result<Option<Uuid>, ApiError> {
    match text(v) {
        None => Ok(None),
        Some(s) => s.parse::<Uuid>().map(Some).map_err(|_| {
            field_err(
                field,
                lianjian_domain::Invalid::new("uuid", format!("“{s}”不是有效的编号"), en(&s)),
            )
        }),
    }
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

    #[derive(Debug, serde::Deserialize)]
    struct Filter {
        q: Option<String>,
        tag: Option<Vec<String>>,
        n: Option<u32>,
    }

    #[test]
    fn one_struct_parses_a_query_string() {
        let f: Filter = parse("q=%E5%B7%A5&tag=a,b&tag=c&n=").unwrap();
        assert_eq!(f.q.as_deref(), Some("工"));
        assert_eq!(split(f.tag.as_deref().unwrap()), vec!["a", "b", "c"]);
        assert_eq!(f.n, None, "an empty value is absent");
        let e = parse::<Filter>("n=-1").unwrap_err();
        assert_eq!(e.status, axum::http::StatusCode::BAD_REQUEST);
        assert_eq!(e.details[0].field, "n");
        let e = parse::<Filter>("q=a&q=b").unwrap_err();
        assert_eq!(
            e.details[0].field, "q",
            "a single value given twice is refused"
        );
        let p = Params(vec![("tag".into(), "x y".into()), ("n".into(), "7".into())]);
        let f: Filter = p.typed().unwrap();
        assert_eq!((f.tag.unwrap(), f.n), (vec!["x y".to_string()], Some(7)));
    }

    #[test]
    fn days_end_in_beijing() {
        let t = end_of_day_or_instant("2026-03-31").unwrap();
        assert_eq!(t.to_rfc3339(), "2026-03-31T15:59:59.999999+00:00");
        assert!(end_of_day_or_instant("2026-02-30").is_none());
        assert!(end_of_day_or_instant("2026-03-31T10:00:00+08:00").is_some());
    }
}
