//! One error for a value that does not parse: a stable code and a message in Chinese and English.
//! The layer that knows which field the value came from attaches the field name.

use std::fmt;

/// Why a value was rejected. `code` is stable for API clients; the messages are for people.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invalid {
    pub code: &'static str,
    pub zh: String,
    pub en: String,
}

impl Invalid {
    pub fn new(code: &'static str, zh: impl Into<String>, en: impl Into<String>) -> Self {
        Self {
            code,
            zh: zh.into(),
            en: en.into(),
        }
    }
}

impl fmt::Display for Invalid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.zh, self.en)
    }
}

impl std::error::Error for Invalid {}

/// Trims a text value and checks its length in characters (not bytes: names are Chinese).
pub fn bounded_text(
    value: &str,
    min: usize,
    max: usize,
    what_zh: &str,
    what_en: &str,
) -> Result<String, Invalid> {
    let v = value.trim();
    let n = v.chars().count();
    if n < min {
        return Err(if min <= 1 {
            Invalid::new(
                "required",
                format!("{what_zh}不能为空"),
                format!("{what_en} is required"),
            )
        } else {
            Invalid::new(
                "too_short",
                format!("{what_zh}至少 {min} 个字符"),
                format!("{what_en} must have at least {min} characters"),
            )
        });
    }
    if n > max {
        return Err(Invalid::new(
            "too_long",
            format!("{what_zh}最多 {max} 个字符（当前 {n} 个）"),
            format!("{what_en} must have at most {max} characters (has {n})"),
        ));
    }
    if v.chars().any(char::is_control) {
        return Err(Invalid::new(
            "control_character",
            format!("{what_zh}不能包含控制字符"),
            format!("{what_en} must not contain control characters"),
        ));
    }
    Ok(v.to_string())
}
