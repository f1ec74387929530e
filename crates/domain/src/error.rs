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

/// [`bounded_text`] for a text area: the value may run over several lines (a form's text
/// area, a work order, minutes); line breaks are kept (`\r\n` as `\n`), every other control
/// character is refused as there.
pub fn multiline_text(
    value: &str,
    min: usize,
    max: usize,
    what_zh: &str,
    what_en: &str,
) -> Result<String, Invalid> {
    let s = value.replace("\r\n", "\n");
    bounded_text(&s.replace('\n', " "), min, max, what_zh, what_en)?;
    Ok(
        s.trim_matches(|c: char| c.is_whitespace() || is_invisible(c))
            .to_string(),
    )
}

/// Trims a text value and checks its length in characters (not bytes: names are Chinese).
pub fn bounded_text(
    value: &str,
    min: usize,
    max: usize,
    what_zh: &str,
    what_en: &str,
) -> Result<String, Invalid> {
    // Invisible characters at either end are trimmed like spaces; a value made only of them
    // would look empty on every page, and direction controls could make a name read as
    // another (Trojan-source style), so neither is accepted.
    if let Some(c) = value.chars().find(|&c| is_direction_control(c)) {
        return Err(Invalid::new(
            "direction_control",
            format!("{what_zh}不能包含文字方向控制字符（U+{:04X}）", c as u32),
            format!(
                "{what_en} must not contain a text direction control character (U+{:04X})",
                c as u32
            ),
        ));
    }
    let v = value.trim_matches(|c: char| c.is_whitespace() || is_invisible(c));
    if v.is_empty() && !value.is_empty() && min >= 1 && !value.trim().is_empty() {
        return Err(Invalid::new(
            "invisible_only",
            format!("{what_zh}不能只由不可见字符组成"),
            format!("{what_en} must not consist of invisible characters only"),
        ));
    }
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

/// Characters that change the direction text is laid out in (Unicode bidi controls).
pub fn is_direction_control(c: char) -> bool {
    matches!(
        c,
        '\u{061C}' | '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}'
    )
}

/// Characters that take no visible room: zero-width spaces and joiners, word joiners, the
/// byte-order mark, soft hyphens, fillers.
pub fn is_invisible(c: char) -> bool {
    matches!(
        c,
        '\u{00AD}'
            | '\u{034F}'
            | '\u{115F}'
            | '\u{1160}'
            | '\u{180E}'
            | '\u{200B}'..='\u{200D}'
            | '\u{2060}'..='\u{2064}'
            | '\u{3164}'
            | '\u{FEFF}'
            | '\u{FFA0}'
    ) || is_direction_control(c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_need_a_visible_character_and_no_direction_control() {
        let name = |s: &str| bounded_text(s, 1, 50, "姓名", "name");
        assert_eq!(name(" 张三\u{200B} ").unwrap(), "张三");
        for s in [
            "\u{200B}",
            "\u{200B}\u{FEFF}\u{2060}",
            " \u{3164} ",
            "\u{00AD}",
        ] {
            assert_eq!(name(s).unwrap_err().code, "invisible_only", "{s:?}");
        }
        for s in [
            "\u{202E}",
            "张\u{202E}三",
            "\u{2066}abc\u{2069}",
            "a\u{200F}",
        ] {
            assert_eq!(name(s).unwrap_err().code, "direction_control", "{s:?}");
        }
        assert_eq!(name("   ").unwrap_err().code, "required");
        assert_eq!(name("").unwrap_err().code, "required");
        // Joiners inside a name are kept (emoji sequences, some scripts).
        assert_eq!(name("a\u{200D}b").unwrap(), "a\u{200D}b");
    }
}
