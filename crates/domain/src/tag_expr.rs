//! Tag expressions (标签表达式): which entities an inspection item regulates, written by department
//! staff as e.g. `危化品 AND (加油站 OR NOT 个体) AND region:4111`. Parsing yields an AST that can be
//! checked against the tag catalogue, printed back in one canonical form, and evaluated against an
//! entity's facts without IO.
//!
//! Grammar (keywords case-insensitive; Chinese keywords and full-width punctuation accepted):
//!
//! ```text
//! expr    := or
//! or      := and ( ("OR" | "或" | "|") and )*
//! and     := unary ( ("AND" | "且" | "&") unary )*
//! unary   := ("NOT" | "非" | "!") unary | primary
//! primary := "(" expr ")" | "（" expr "）" | filter | tag
//! tag     := bare word of [A-Za-z0-9_.-] and CJK characters | "name" | “name”
//! filter  := "region:" 2/4/6/9 digits | "type:" word-or-name | "credit:" A–D ("credit:C,D")
//! ```
//!
//! Keywords are whole words: `非 煤矿山` is NOT 煤矿山, while `非煤矿山` (non-coal mines, a common
//! category) is one tag. Quote a tag that is spelt like a keyword.

use std::fmt;
use std::str::FromStr;

use crate::Invalid;
use crate::region::RegionCode;

/// Deepest nesting of parentheses and NOTs accepted: parsing, printing and evaluation recurse,
/// and an expression comes from a web form.
const MAX_DEPTH: usize = 32;

/// A parsed tag expression. `And` and `Or` never directly contain their own kind (the parser
/// flattens them) and have at least two members; `Credit` is sorted without duplicates. Values
/// built by hand outside those rules still evaluate, but may not print back to the same value.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum TagExpr {
    /// The entity carries this tag (标签编码).
    Tag(String),
    /// `region:CODE`: the entity is registered in CODE or within it.
    Region(String),
    /// `type:WORD`: the entity's type (主体类型, e.g. 个体工商户) is exactly WORD.
    EntityType(String),
    /// `credit:C,D`: the entity's credit class (信用等级) is one of these.
    Credit(Vec<char>),
    Not(Box<TagExpr>),
    And(Vec<TagExpr>),
    Or(Vec<TagExpr>),
}

/// What an expression needs to know about an entity.
pub trait EntityFacts {
    fn has_tag(&self, code: &str) -> bool;
    /// The entity's region code (行政区划代码).
    fn region(&self) -> &str;
    fn entity_type(&self) -> &str;
    /// A–D, if the entity has been graded.
    fn credit_class(&self) -> Option<char>;
}

/// Why an expression does not parse, with the 1-based character column (not byte) it points at,
/// so the form can put a caret under it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExprError {
    pub code: &'static str,
    pub zh: String,
    pub en: String,
    pub position: usize,
}

impl ExprError {
    fn new(
        code: &'static str,
        position: usize,
        zh: impl Into<String>,
        en: impl Into<String>,
    ) -> Self {
        Self {
            code,
            zh: zh.into(),
            en: en.into(),
            position,
        }
    }
}

impl fmt::Display for ExprError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "第 {p} 列：{} (column {p}: {})",
            self.zh,
            self.en,
            p = self.position
        )
    }
}

impl std::error::Error for ExprError {}

impl From<ExprError> for Invalid {
    fn from(e: ExprError) -> Invalid {
        let p = e.position;
        Invalid::new(
            e.code,
            format!("标签表达式第 {p} 列：{}", e.zh),
            format!("tag expression, column {p}: {}", e.en),
        )
    }
}

/// Parses a tag expression; same as [`TagExpr::parse`].
pub fn parse(src: &str) -> Result<TagExpr, ExprError> {
    TagExpr::parse(src)
}

impl TagExpr {
    pub fn parse(src: &str) -> Result<TagExpr, ExprError> {
        let (toks, lex_err) = lex(src);
        let mut p = Parser {
            toks,
            lex_err,
            next: 0,
            prev: None,
            depth: 0,
        };
        let expr = p.or()?;
        match p.peek()? {
            None => Ok(expr),
            Some(t) if t.tok == Tok::RParen => Err(unmatched_close(&t)),
            Some(t) => Err(missing_operator(&t)),
        }
    }

    /// Every tag referenced, in order of first appearance, without duplicates.
    pub fn tags(&self) -> Vec<&str> {
        fn walk<'a>(e: &'a TagExpr, out: &mut Vec<&'a str>) {
            match e {
                TagExpr::Tag(t) => {
                    if !out.contains(&t.as_str()) {
                        out.push(t);
                    }
                }
                TagExpr::Not(inner) => walk(inner, out),
                TagExpr::And(v) | TagExpr::Or(v) => v.iter().for_each(|e| walk(e, out)),
                TagExpr::Region(_) | TagExpr::EntityType(_) | TagExpr::Credit(_) => {}
            }
        }
        let mut out = Vec::new();
        walk(self, &mut out);
        out
    }

    /// Fails on the first tag that `known` does not know: a misspelt tag would otherwise silently
    /// match nothing (or, under NOT, everything).
    pub fn validate_tags(&self, known: impl Fn(&str) -> bool) -> Result<(), Invalid> {
        match self.tags().into_iter().find(|t| !known(t)) {
            None => Ok(()),
            Some(t) => Err(Invalid::new(
                "unknown_tag",
                format!("标签“{t}”不存在，请检查拼写或先在标签库中创建"),
                format!(
                    "unknown tag '{t}'; check the spelling or create it in the tag catalogue first"
                ),
            )),
        }
    }

    /// Whether an entity with these facts is regulated by the expression.
    pub fn matches(&self, e: &impl EntityFacts) -> bool {
        match self {
            TagExpr::Tag(t) => e.has_tag(t),
            TagExpr::Region(r) => e.region().starts_with(r.as_str()),
            TagExpr::EntityType(t) => e.entity_type() == t,
            TagExpr::Credit(cs) => e
                .credit_class()
                .is_some_and(|c| cs.contains(&c.to_ascii_uppercase())),
            TagExpr::Not(inner) => !inner.matches(e),
            TagExpr::And(v) => v.iter().all(|x| x.matches(e)),
            TagExpr::Or(v) => v.iter().any(|x| x.matches(e)),
        }
    }
}

impl FromStr for TagExpr {
    type Err = ExprError;
    fn from_str(s: &str) -> Result<Self, ExprError> {
        Self::parse(s)
    }
}

/// Canonical form: English upper-case keywords, single spaces, parentheses only where precedence
/// needs them, names quoted only when a bare word would not read back as the same tag.
impl fmt::Display for TagExpr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TagExpr::Tag(t) => write_name(f, t),
            TagExpr::Region(r) => write!(f, "region:{r}"),
            TagExpr::EntityType(t) => {
                f.write_str("type:")?;
                write_name(f, t)
            }
            TagExpr::Credit(cs) => {
                f.write_str("credit:")?;
                for (i, c) in cs.iter().enumerate() {
                    if i > 0 {
                        f.write_str(",")?;
                    }
                    write!(f, "{c}")?;
                }
                Ok(())
            }
            TagExpr::Not(inner) => match **inner {
                TagExpr::And(_) | TagExpr::Or(_) => write!(f, "NOT ({inner})"),
                _ => write!(f, "NOT {inner}"),
            },
            TagExpr::And(v) => {
                for (i, x) in v.iter().enumerate() {
                    if i > 0 {
                        f.write_str(" AND ")?;
                    }
                    match x {
                        TagExpr::Or(_) => write!(f, "({x})")?,
                        _ => write!(f, "{x}")?,
                    }
                }
                Ok(())
            }
            TagExpr::Or(v) => {
                for (i, x) in v.iter().enumerate() {
                    if i > 0 {
                        f.write_str(" OR ")?;
                    }
                    write!(f, "{x}")?;
                }
                Ok(())
            }
        }
    }
}

/// Bare if it reads back as the same word, else quoted. A name holding both `"` and `”` cannot be
/// written (the grammar has no escapes) and cannot come out of the parser either.
fn write_name(f: &mut fmt::Formatter<'_>, name: &str) -> fmt::Result {
    if !name.is_empty() && name.chars().all(is_word_char) && keyword(name).is_none() {
        f.write_str(name)
    } else if !name.contains('"') {
        write!(f, "\"{name}\"")
    } else {
        write!(f, "“{name}”")
    }
}

fn is_word_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-') || is_cjk(c)
}

/// CJK ideographs (basic block, extension A, compatibility, and the supplementary planes' extensions).
fn is_cjk(c: char) -> bool {
    matches!(c, '\u{3007}' | '\u{3400}'..='\u{4DBF}' | '\u{4E00}'..='\u{9FFF}' | '\u{F900}'..='\u{FAFF}')
        || ('\u{20000}'..='\u{3134F}').contains(&c)
}

fn keyword(word: &str) -> Option<Tok> {
    match word.to_ascii_lowercase().as_str() {
        "and" | "且" => Some(Tok::And),
        "or" | "或" => Some(Tok::Or),
        "not" | "非" => Some(Tok::Not),
        _ => None,
    }
}

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    LParen,
    RParen,
    And,
    Or,
    Not,
    /// A tag or a filter, complete.
    Leaf(TagExpr),
}

#[derive(Debug, Clone)]
struct Token {
    tok: Tok,
    /// 1-based character column of the token's first character.
    pos: usize,
    /// As written, for messages.
    text: String,
}

/// Splits the source into tokens. Stops at the first lexical error, which the parser reports only
/// when it gets there, so the leftmost error wins.
fn lex(src: &str) -> (Vec<Token>, Option<ExprError>) {
    let chars: Vec<char> = src.chars().collect();
    let mut toks = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let start = i;
        let c = chars[i];
        i += 1;
        let tok = match c {
            c if c.is_whitespace() => continue,
            '(' | '（' => Tok::LParen,
            ')' | '）' => Tok::RParen,
            '&' | '＆' | '|' | '｜' => {
                // `&&` and `||` as typed by programmers mean the same.
                if chars.get(i) == Some(&c) {
                    i += 1;
                }
                if matches!(c, '&' | '＆') {
                    Tok::And
                } else {
                    Tok::Or
                }
            }
            '!' | '！' => Tok::Not,
            '"' | '“' => match quoted(&chars, start) {
                Ok((name, end)) => {
                    i = end;
                    Tok::Leaf(TagExpr::Tag(name))
                }
                Err(e) => return (toks, Some(e)),
            },
            c if is_word_char(c) => {
                while i < chars.len() && is_word_char(chars[i]) {
                    i += 1;
                }
                let word: String = chars[start..i].iter().collect();
                if matches!(chars.get(i), Some(':' | '：')) {
                    match filter(&word, &chars, start, &mut i) {
                        Ok(leaf) => Tok::Leaf(leaf),
                        Err(e) => return (toks, Some(e)),
                    }
                } else {
                    keyword(&word).unwrap_or(Tok::Leaf(TagExpr::Tag(word)))
                }
            }
            c => {
                let e = ExprError::new(
                    "tag_expr_unexpected",
                    start + 1,
                    format!("无法识别的字符“{c}”；名称含空格或符号时请加引号"),
                    format!(
                        "unexpected character '{c}'; quote names that contain spaces or symbols"
                    ),
                );
                return (toks, Some(e));
            }
        };
        toks.push(Token {
            tok,
            pos: start + 1,
            text: chars[start..i].iter().collect(),
        });
    }
    (toks, None)
}

/// A quoted name starting at `start` ("…" or “…”), trimmed; returns it and the index after it.
fn quoted(chars: &[char], start: usize) -> Result<(String, usize), ExprError> {
    let close = if chars[start] == '"' { '"' } else { '”' };
    let Some(len) = chars[start + 1..].iter().position(|c| *c == close) else {
        return Err(ExprError::new(
            "tag_expr_unterminated_quote",
            start + 1,
            format!("引号没有闭合，缺少“{close}”"),
            format!("unterminated quote: missing {close}"),
        ));
    };
    let end = start + 1 + len;
    let name: String = chars[start + 1..end]
        .iter()
        .collect::<String>()
        .trim()
        .to_string();
    if name.is_empty() {
        return Err(ExprError::new(
            "tag_expr_empty_name",
            start + 1,
            "引号内的名称为空",
            "empty quoted name",
        ));
    }
    Ok((name, end + 1))
}

/// A filter whose name `chars[start..*i]` is followed by a colon at `*i`; advances `*i` past the value.
fn filter(name: &str, chars: &[char], start: usize, i: &mut usize) -> Result<TagExpr, ExprError> {
    let pos = start + 1;
    let lname = name.to_ascii_lowercase();
    *i += 1;
    while *i < chars.len() && chars[*i].is_whitespace() {
        *i += 1;
    }
    let value_start = *i;
    let mut take = |ok: fn(char) -> bool| -> String {
        while *i < chars.len() && ok(chars[*i]) {
            *i += 1;
        }
        chars[value_start..*i].iter().collect()
    };
    let missing = |what_zh: &str, what_en: &str| {
        ExprError::new(
            "tag_expr_bad_filter",
            pos,
            format!("“{name}:”后缺少{what_zh}"),
            format!("'{name}:' needs {what_en}"),
        )
    };
    match lname.as_str() {
        "region" => {
            let v = take(is_word_char);
            if v.is_empty() {
                return Err(missing(
                    "行政区划代码，如 region:411121",
                    "a region code, e.g. region:411121",
                ));
            }
            RegionCode::parse(&v)
                .map(|_| TagExpr::Region(v))
                .map_err(|e| ExprError::new("tag_expr_bad_filter", value_start + 1, e.zh, e.en))
        }
        "type" => {
            if matches!(chars.get(value_start), Some('"' | '“')) {
                let (v, end) = quoted(chars, value_start)?;
                *i = end;
                return Ok(TagExpr::EntityType(v));
            }
            let v = take(is_word_char);
            if v.is_empty() {
                return Err(missing(
                    "主体类型，如 type:个体工商户",
                    "an entity type, e.g. type:个体工商户",
                ));
            }
            Ok(TagExpr::EntityType(v))
        }
        "credit" => {
            let v = take(|c| is_word_char(c) || matches!(c, ',' | '，'));
            if v.is_empty() {
                return Err(missing(
                    "信用等级，如 credit:C,D",
                    "credit classes, e.g. credit:C,D",
                ));
            }
            let mut classes = Vec::new();
            let mut piece_start = value_start;
            for piece in v.split([',', '，']) {
                let mut cs = piece.chars();
                match (cs.next().map(|c| c.to_ascii_uppercase()), cs.next()) {
                    (Some(c @ 'A'..='D'), None) => classes.push(c),
                    _ => {
                        let shown = if piece.is_empty() {
                            "（空）".to_string()
                        } else {
                            piece.to_string()
                        };
                        return Err(ExprError::new(
                            "tag_expr_bad_filter",
                            piece_start + 1,
                            format!(
                                "信用等级“{shown}”无效：应为 A、B、C、D，多个用逗号分隔，如 credit:C,D"
                            ),
                            format!(
                                "credit class '{piece}' is invalid: use A, B, C or D, comma-separated, e.g. credit:C,D"
                            ),
                        ));
                    }
                }
                piece_start += piece.chars().count() + 1;
            }
            classes.sort_unstable();
            classes.dedup();
            Ok(TagExpr::Credit(classes))
        }
        _ => Err(ExprError::new(
            "tag_expr_unknown_filter",
            pos,
            format!("未知的筛选条件“{name}:”，可用 region:、type:、credit:；名称含冒号时请加引号"),
            format!(
                "unknown filter '{name}:'; use region:, type: or credit: (quote names that contain a colon)"
            ),
        )),
    }
}

fn unmatched_close(t: &Token) -> ExprError {
    ExprError::new(
        "tag_expr_unbalanced",
        t.pos,
        "多余的右括号，没有与之对应的左括号",
        "unmatched closing parenthesis",
    )
}

fn missing_operator(t: &Token) -> ExprError {
    let s = &t.text;
    ExprError::new(
        "tag_expr_unexpected",
        t.pos,
        format!("“{s}”前缺少运算符 AND 或 OR"),
        format!("expected AND or OR before '{s}'"),
    )
}

/// Recursive descent, one token of lookahead.
struct Parser {
    toks: Vec<Token>,
    lex_err: Option<ExprError>,
    next: usize,
    /// Index of the last token consumed: says what an operand is missing after.
    prev: Option<usize>,
    depth: usize,
}

impl Parser {
    fn peek(&self) -> Result<Option<Token>, ExprError> {
        match (self.toks.get(self.next), &self.lex_err) {
            (Some(t), _) => Ok(Some(t.clone())),
            (None, Some(e)) => Err(e.clone()),
            (None, None) => Ok(None),
        }
    }

    fn bump(&mut self) {
        self.prev = Some(self.next);
        self.next += 1;
    }

    fn enter(&mut self, pos: usize) -> Result<(), ExprError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(ExprError::new(
                "tag_expr_too_deep",
                pos,
                format!("括号和 NOT 嵌套超过 {MAX_DEPTH} 层"),
                format!("parentheses and NOTs nest deeper than {MAX_DEPTH} levels"),
            ));
        }
        Ok(())
    }

    fn or(&mut self) -> Result<TagExpr, ExprError> {
        let mut items = vec![self.and()?];
        while let Some(t) = self.peek()?
            && t.tok == Tok::Or
        {
            self.bump();
            items.push(self.and()?);
        }
        Ok(flatten(items, true))
    }

    fn and(&mut self) -> Result<TagExpr, ExprError> {
        let mut items = vec![self.unary()?];
        while let Some(t) = self.peek()?
            && t.tok == Tok::And
        {
            self.bump();
            items.push(self.unary()?);
        }
        Ok(flatten(items, false))
    }

    fn unary(&mut self) -> Result<TagExpr, ExprError> {
        match self.peek()? {
            Some(t) if t.tok == Tok::Not => {
                self.bump();
                self.enter(t.pos)?;
                let inner = self.unary()?;
                self.depth -= 1;
                Ok(TagExpr::Not(Box::new(inner)))
            }
            _ => self.primary(),
        }
    }

    fn primary(&mut self) -> Result<TagExpr, ExprError> {
        let Some(t) = self.peek()? else {
            return Err(self.missing_operand(None));
        };
        match t.tok {
            Tok::Leaf(leaf) => {
                self.bump();
                Ok(leaf)
            }
            Tok::LParen => {
                self.bump();
                self.enter(t.pos)?;
                let inner = self.or()?;
                self.depth -= 1;
                match self.peek()? {
                    Some(c) if c.tok == Tok::RParen => {
                        self.bump();
                        Ok(inner)
                    }
                    Some(other) => Err(missing_operator(&other)),
                    None => Err(ExprError::new(
                        "tag_expr_unbalanced",
                        t.pos,
                        "左括号没有对应的右括号",
                        "unmatched opening parenthesis",
                    )),
                }
            }
            _ => Err(self.missing_operand(Some(&t))),
        }
    }

    /// An operand was due but `found` (an operator, a closing parenthesis or the end) came.
    fn missing_operand(&self, found: Option<&Token>) -> ExprError {
        let prev = self.prev.map(|i| &self.toks[i]);
        let missing_after = |p: &Token| {
            ExprError::new(
                "tag_expr_missing_operand",
                p.pos,
                format!("“{}”后缺少操作数", p.text),
                format!("'{}' needs an operand after it", p.text),
            )
        };
        match (prev, found) {
            (Some(p), _) if matches!(p.tok, Tok::And | Tok::Or | Tok::Not) => missing_after(p),
            (_, Some(t)) if matches!(t.tok, Tok::And | Tok::Or) => ExprError::new(
                "tag_expr_missing_operand",
                t.pos,
                format!("“{}”前缺少操作数", t.text),
                format!("'{}' needs an operand before it", t.text),
            ),
            (Some(p), Some(_)) if p.tok == Tok::LParen => ExprError::new(
                "tag_expr_missing_operand",
                p.pos,
                "括号内缺少表达式",
                "empty parentheses",
            ),
            (Some(p), None) if p.tok == Tok::LParen => ExprError::new(
                "tag_expr_unbalanced",
                p.pos,
                "左括号没有对应的右括号",
                "unmatched opening parenthesis",
            ),
            (_, Some(t)) if t.tok == Tok::RParen => unmatched_close(t),
            (None, None) => ExprError::new(
                "tag_expr_empty",
                1,
                "标签表达式不能为空",
                "tag expression is required",
            ),
            // Not reached: an operand is only due at the start, after an operator or after "(".
            (_, Some(t)) => missing_operator(t),
            (Some(p), None) => missing_after(p),
        }
    }
}

/// Joins operands of one operator, absorbing members of the same kind (`(A AND B) AND C` is
/// `A AND B AND C`).
fn flatten(items: Vec<TagExpr>, or: bool) -> TagExpr {
    if items.len() == 1 {
        return items.into_iter().next().expect("one item");
    }
    let mut out = Vec::with_capacity(items.len());
    for x in items {
        match x {
            TagExpr::Or(v) if or => out.extend(v),
            TagExpr::And(v) if !or => out.extend(v),
            x => out.push(x),
        }
    }
    if or {
        TagExpr::Or(out)
    } else {
        TagExpr::And(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use TagExpr::*;
    use proptest::prelude::*;

    fn tag(s: &str) -> TagExpr {
        Tag(s.to_string())
    }

    fn p(s: &str) -> TagExpr {
        TagExpr::parse(s).unwrap_or_else(|e| panic!("{s}: {e}"))
    }

    fn err(s: &str) -> (&'static str, usize) {
        let e = TagExpr::parse(s).unwrap_err();
        (e.code, e.position)
    }

    #[test]
    fn precedence_not_and_or() {
        assert_eq!(
            p("A OR B AND NOT C"),
            Or(vec![tag("A"), And(vec![tag("B"), Not(Box::new(tag("C")))])])
        );
        assert_eq!(
            p("NOT A AND B"),
            And(vec![Not(Box::new(tag("A"))), tag("B")])
        );
        assert_eq!(
            p("NOT (A AND B)"),
            Not(Box::new(And(vec![tag("A"), tag("B")])))
        );
        assert_eq!(
            p("(A OR B) AND C"),
            And(vec![Or(vec![tag("A"), tag("B")]), tag("C")])
        );
        assert_eq!(p("NOT NOT A"), Not(Box::new(Not(Box::new(tag("A"))))));
    }

    #[test]
    fn flattens_and_keeps_order() {
        assert_eq!(
            p("A AND (B AND C) AND D"),
            And(vec![tag("A"), tag("B"), tag("C"), tag("D")])
        );
        assert_eq!(
            p("(A OR B) OR (C OR D)"),
            Or(vec![tag("A"), tag("B"), tag("C"), tag("D")])
        );
        assert_eq!(p("((A))"), tag("A"));
    }

    #[test]
    fn keywords_symbols_and_chinese() {
        let expected = p("A AND (B OR NOT C)");
        for s in [
            "a and (b or not c)",
            "A 且 （B 或 非 C）",
            "A & (B | !C)",
            "A && (B || !C)",
            "A And(B Or Not C)",
            "A＆（B｜！C）",
        ] {
            assert_eq!(p(s).to_string().to_uppercase(), expected.to_string(), "{s}");
        }
        assert_eq!(
            p("危化品 且 加油站"),
            And(vec![tag("危化品"), tag("加油站")])
        );
        // Keywords are whole words: 非煤矿山 (non-coal mines) is a tag, 非 煤矿山 is NOT 煤矿山.
        assert_eq!(p("非煤矿山"), tag("非煤矿山"));
        assert_eq!(p("非 煤矿山"), Not(Box::new(tag("煤矿山"))));
        assert_eq!(p("非（煤矿山）"), Not(Box::new(tag("煤矿山"))));
        assert_eq!(
            p("android OR order"),
            Or(vec![tag("android"), tag("order")])
        );
        // A tag spelt like a keyword, or with a space, is quoted.
        assert_eq!(
            p("\"AND\" AND “fire safety”"),
            And(vec![tag("AND"), tag("fire safety")])
        );
        assert_eq!(p("WHP-1.a_b"), tag("WHP-1.a_b"));
    }

    #[test]
    fn filters() {
        assert_eq!(
            p("region:4111 AND type:个体工商户 AND credit:d,c,C"),
            And(vec![
                Region("4111".into()),
                EntityType("个体工商户".into()),
                Credit(vec!['C', 'D'])
            ])
        );
        assert_eq!(p("REGION：411121"), Region("411121".into()));
        assert_eq!(
            p("type: \"农民 专业合作社\""),
            EntityType("农民 专业合作社".into())
        );
        assert_eq!(p("credit:C，D"), Credit(vec!['C', 'D']));
        assert_eq!(p("region:411121001"), Region("411121001".into()));
    }

    #[test]
    fn errors_point_at_the_right_column() {
        assert_eq!(err(""), ("tag_expr_empty", 1));
        assert_eq!(err("   "), ("tag_expr_empty", 1));
        // Unbalanced parentheses point at the unmatched one.
        assert_eq!(err("(A AND (B)"), ("tag_expr_unbalanced", 1));
        assert_eq!(err("A AND (B OR (C)"), ("tag_expr_unbalanced", 7));
        assert_eq!(err("A)"), ("tag_expr_unbalanced", 2));
        assert_eq!(err(") A"), ("tag_expr_unbalanced", 1));
        assert_eq!(err("("), ("tag_expr_unbalanced", 1));
        assert_eq!(err("危化品）"), ("tag_expr_unbalanced", 4));
        // Missing operands point at the operator that lacks one.
        assert_eq!(err("A AND"), ("tag_expr_missing_operand", 3));
        assert_eq!(err("AND A"), ("tag_expr_missing_operand", 1));
        assert_eq!(err("A OR AND B"), ("tag_expr_missing_operand", 3));
        assert_eq!(err("NOT"), ("tag_expr_missing_operand", 1));
        assert_eq!(err("(OR A)"), ("tag_expr_missing_operand", 2));
        assert_eq!(err("A AND ()"), ("tag_expr_missing_operand", 7));
        assert_eq!(err("危化品 且"), ("tag_expr_missing_operand", 5));
        // Unexpected tokens.
        assert_eq!(err("A B"), ("tag_expr_unexpected", 3));
        assert_eq!(err("A NOT B"), ("tag_expr_unexpected", 3));
        assert_eq!(err("(A B)"), ("tag_expr_unexpected", 4));
        assert_eq!(err("A AND #B"), ("tag_expr_unexpected", 7));
        assert_eq!(err("加油站 AND 危化品 # x"), ("tag_expr_unexpected", 13));
        // Bad filter values point at the value.
        assert_eq!(err("region:411"), ("tag_expr_bad_filter", 8));
        assert_eq!(err("A AND region:41112a"), ("tag_expr_bad_filter", 14));
        assert_eq!(err("region:"), ("tag_expr_bad_filter", 1));
        assert_eq!(err("credit:E"), ("tag_expr_bad_filter", 8));
        assert_eq!(err("credit:C,E"), ("tag_expr_bad_filter", 10));
        assert_eq!(err("credit:C,,D"), ("tag_expr_bad_filter", 10));
        assert_eq!(err("credit:CD"), ("tag_expr_bad_filter", 8));
        assert_eq!(err("type:"), ("tag_expr_bad_filter", 1));
        assert_eq!(err("A OR colour:red"), ("tag_expr_unknown_filter", 6));
        // Quotes.
        assert_eq!(
            err("A AND \"fire safety"),
            ("tag_expr_unterminated_quote", 7)
        );
        assert_eq!(err("“消防 安全\""), ("tag_expr_unterminated_quote", 1));
        assert_eq!(err("\"  \""), ("tag_expr_empty_name", 1));
        // The leftmost error wins, lexical or not.
        assert_eq!(err("AND A \"open"), ("tag_expr_missing_operand", 1));
    }

    #[test]
    fn nesting_is_bounded() {
        let deep = format!("{}A{}", "(".repeat(MAX_DEPTH), ")".repeat(MAX_DEPTH));
        assert_eq!(p(&deep), tag("A"));
        let too_deep = format!("{}A{}", "(".repeat(10_000), ")".repeat(10_000));
        assert_eq!(err(&too_deep), ("tag_expr_too_deep", MAX_DEPTH + 1));
        assert_eq!(err(&"NOT ".repeat(10_000)).0, "tag_expr_too_deep");
    }

    #[test]
    fn messages_and_invalid() {
        let e = TagExpr::parse("A AND").unwrap_err();
        assert_eq!(e.zh, "“AND”后缺少操作数");
        let inv: Invalid = e.into();
        assert_eq!(inv.code, "tag_expr_missing_operand");
        assert_eq!(inv.zh, "标签表达式第 3 列：“AND”后缺少操作数");
        let e = TagExpr::parse("region:411").unwrap_err();
        assert!(e.zh.contains("2、4、6 或 9 位"), "{}", e.zh);
    }

    #[test]
    fn canonical_display() {
        let e = p("a  且 （b 或 非 c） & REGION:411121");
        assert_eq!(e.to_string(), "a AND (b OR NOT c) AND region:411121");
        assert_eq!(
            p("NOT (A OR B) OR credit:D,C").to_string(),
            "NOT (A OR B) OR credit:C,D"
        );
        assert_eq!(
            p("“say \"hi\"” OR \"非\" OR type:\"a b\"").to_string(),
            "“say \"hi\"” OR \"非\" OR type:\"a b\""
        );
    }

    #[test]
    fn tags_and_validation() {
        let e = p("A AND (B OR NOT A) AND region:41 AND C");
        assert_eq!(e.tags(), ["A", "B", "C"]);
        assert!(e.validate_tags(|t| "ABC".contains(t)).is_ok());
        let inv = e.validate_tags(|t| t == "A").unwrap_err();
        assert_eq!(inv.code, "unknown_tag");
        assert!(inv.zh.contains("“B”"), "{}", inv.zh);
    }

    struct Entity {
        tags: &'static [&'static str],
        region: &'static str,
        kind: &'static str,
        credit: Option<char>,
    }

    impl EntityFacts for Entity {
        fn has_tag(&self, code: &str) -> bool {
            self.tags.contains(&code)
        }
        fn region(&self) -> &str {
            self.region
        }
        fn entity_type(&self) -> &str {
            self.kind
        }
        fn credit_class(&self) -> Option<char> {
            self.credit
        }
    }

    #[test]
    fn evaluation() {
        let station = Entity {
            tags: &["危化品", "加油站"],
            region: "411121",
            kind: "企业",
            credit: Some('C'),
        };
        let shop = Entity {
            tags: &["危化品"],
            region: "371502",
            kind: "个体工商户",
            credit: None,
        };
        let m = |s: &str, e: &Entity| p(s).matches(e);
        assert!(m("危化品 AND region:4111", &station));
        assert!(m("region:41 AND region:411121", &station));
        assert!(!m("region:4112", &station));
        assert!(m("危化品 AND NOT 加油站", &shop));
        assert!(!m("危化品 AND NOT 加油站", &station));
        assert!(m("type:个体工商户", &shop) && !m("type:个体工商户", &station));
        assert!(m("credit:C,D", &station));
        assert!(
            !m("credit:A,B,C,D", &shop),
            "ungraded entities match no credit filter"
        );
        assert!(m("NOT credit:C,D", &shop));
        assert!(m("加油站 OR type:个体工商户", &shop) && m("加油站 OR type:个体工商户", &station));
    }

    /// Flattens nested same-kind And/Or, as the parser does.
    fn normalise(e: TagExpr) -> TagExpr {
        match e {
            Not(inner) => Not(Box::new(normalise(*inner))),
            And(v) => flatten(v.into_iter().map(normalise).collect(), false),
            Or(v) => flatten(v.into_iter().map(normalise).collect(), true),
            leaf => leaf,
        }
    }

    fn leaf() -> impl Strategy<Value = TagExpr> {
        let name = prop_oneof![
            "[A-Za-z0-9_.-]{1,8}",
            "[危化品加油站煤矿山非且或个体]{1,4}",
            "[a-z]{1,4}( [a-z]{1,4}){1,2}",
            "(and|OR|Not|且|或|非|region|type:x|a\"b|c”d|#)",
        ];
        prop_oneof![
            name.clone().prop_map(Tag),
            "([0-9]{2}|[0-9]{4}|[0-9]{6}|[0-9]{9})".prop_map(Region),
            name.prop_map(EntityType),
            proptest::sample::subsequence(vec!['A', 'B', 'C', 'D'], 1..=4).prop_map(Credit),
        ]
    }

    fn expr() -> impl Strategy<Value = TagExpr> {
        leaf().prop_recursive(5, 48, 4, |inner| {
            prop_oneof![
                inner.clone().prop_map(|e| Not(Box::new(e))),
                proptest::collection::vec(inner.clone(), 2..4).prop_map(And),
                proptest::collection::vec(inner, 2..4).prop_map(Or),
            ]
        })
    }

    proptest! {
        #[test]
        fn display_reparses_to_the_same_ast(e in expr()) {
            let canonical = normalise(e.clone());
            let shown = e.to_string();
            prop_assert_eq!(TagExpr::parse(&shown).map_err(|x| x.to_string()), Ok(canonical.clone()), "{}", shown);
            prop_assert_eq!(canonical.to_string().parse::<TagExpr>().unwrap(), canonical);
        }
    }
}
