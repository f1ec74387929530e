//! Compliance guides (合规经营指南, "一业一册", 国办发〔2023〕1号 (六): 一类事项制定一册合规经营
//! 指南，一次性告知市场主体合规经营要求; 鲁 task 6). A guide is generated from its item's
//! version in force; people only write its explanatory sections and their departments'
//! public contact details. This module holds what those inputs may be and the process
//! flowchart every guide draws.

use serde::{Deserialize, Serialize};

use crate::Invalid;
use crate::directory::labelled_enum;
use crate::error::bounded_text;
use crate::item::Method;
use crate::visit::PUBLISH_WITHIN_WORKING_DAYS;

labelled_enum!(
    /// An explanatory section the lead department writes beside what is generated.
    SectionKind {
        Overview = "overview" / "适用范围与说明",
        Rectification = "rectification" / "整改指引",
        Notes = "notes" / "经营者须知",
    }
);

/// The longest section, in characters: a booklet's page or two.
pub const SECTION_MAX_CHARS: usize = 4000;

/// A section's text: up to [`SECTION_MAX_CHARS`] characters; empty clears the section.
pub fn section_body(s: &str) -> Result<String, Invalid> {
    // Bounded before anything is copied (a form may carry megabytes).
    if s.len() > SECTION_MAX_CHARS * 4 || s.chars().count() > SECTION_MAX_CHARS {
        return Err(Invalid::new(
            "too_long",
            format!("说明内容不能超过 {SECTION_MAX_CHARS} 字"),
            format!("a section may have at most {SECTION_MAX_CHARS} characters"),
        ));
    }
    if s.trim().is_empty() {
        return Ok(String::new());
    }
    // Paragraphs are lines: each line is checked as text (no other control characters, no
    // direction controls), blank lines between paragraphs collapse to one line break.
    let mut lines = Vec::new();
    for line in s.lines() {
        if line.trim().is_empty() {
            continue;
        }
        lines.push(bounded_text(
            line,
            1,
            SECTION_MAX_CHARS,
            "说明内容",
            "section text",
        )?);
    }
    Ok(lines.join("\n"))
}

/// A department's public telephone: digits with `-`, spaces, `(`/`)` or a leading `+`,
/// 5–32 characters, e.g. `0395-7212345` or `12315`.
pub fn contact_phone(s: &str) -> Result<String, Invalid> {
    let t = s.trim();
    let digits = t.chars().filter(char::is_ascii_digit).count();
    let ok = (5..=32).contains(&t.len())
        && digits >= 5
        && t.chars().enumerate().all(|(i, c)| {
            c.is_ascii_digit()
                || matches!(c, '-' | ' ' | '(' | ')' | '、' | '/')
                || (c == '+' && i == 0)
        });
    if ok {
        Ok(t.to_string())
    } else {
        Err(Invalid::new(
            "phone",
            format!(
                "联系电话“{}”不正确：5–32 位数字，可含 - ( ) 空格",
                t.chars().take(40).collect::<String>()
            ),
            format!(
                "phone '{}' is malformed: 5–32 digits with - ( ) or spaces",
                t.chars().take(40).collect::<String>()
            ),
        ))
    }
}

pub fn contact_address(s: &str) -> Result<String, Invalid> {
    if s.trim().is_empty() {
        return Ok(String::new());
    }
    bounded_text(s, 2, 128, "办公地址", "address")
}

pub fn contact_hours(s: &str) -> Result<String, Invalid> {
    if s.trim().is_empty() {
        return Ok(String::new());
    }
    bounded_text(s, 2, 64, "办公时间", "office hours")
}

/// One box of the process flowchart.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Step {
    pub title: String,
    pub detail: String,
}

/// The supervision process an entity goes through for an item (鲁双随机办〔2022〕2号 and
/// 国办 (十): a clue or a random draw starts a visit; the result is recorded; problems are
/// ordered to be corrected and reviewed; results are published within 20 working days).
pub fn process(methods: &[Method]) -> Vec<Step> {
    let how = if methods.is_empty() {
        "按检查要点逐项检查".to_string()
    } else {
        methods
            .iter()
            .map(|m| m.label_zh())
            .collect::<Vec<_>>()
            .join("、")
    };
    vec![
        Step {
            title: "启动检查".into(),
            detail: "双随机抽取或问题线索核查".into(),
        },
        Step {
            title: "实施检查".into(),
            detail: how,
        },
        Step {
            title: "检查结果".into(),
            detail: "逐项记录并经部门审核".into(),
        },
        Step {
            title: "整改复查".into(),
            detail: "发现问题的责令限期改正并复查".into(),
        },
        Step {
            title: "结果公示".into(),
            detail: format!("{PUBLISH_WITHIN_WORKING_DAYS} 个工作日内向社会公示"),
        },
    ]
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// The process as an SVG drawn here, no script: a column of boxes joined by arrows, narrow
/// enough for a phone and scalable for A4; the branch "未发现问题" skips rectification.
pub fn flowchart_svg(steps: &[Step]) -> String {
    const W: u32 = 360;
    const BOX_W: u32 = 240;
    const BOX_H: u32 = 52;
    const GAP: u32 = 30;
    const X: u32 = 20;
    let h = steps.len() as u32 * (BOX_H + GAP) - GAP + 20;
    let mut s = format!(
        r##"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {W} {h}" width="100%" style="max-width:{W}px" role="img" aria-label="检查流程图" font-family="sans-serif"><title>检查流程图</title><defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#333"/></marker></defs>"##
    );
    let cx = X + BOX_W / 2;
    for (i, st) in steps.iter().enumerate() {
        let y = 10 + i as u32 * (BOX_H + GAP);
        s.push_str(&format!(
            r##"<rect x="{X}" y="{y}" width="{BOX_W}" height="{BOX_H}" rx="8" fill="#eef4fb" stroke="#1f5fa8" stroke-width="1.5"/><text x="{cx}" y="{}" text-anchor="middle" font-size="15" font-weight="bold" fill="#123">{}. {}</text><text x="{cx}" y="{}" text-anchor="middle" font-size="12" fill="#333">{}</text>"##,
            y + 22,
            i + 1,
            esc(&st.title),
            y + 41,
            esc(&st.detail)
        ));
        if i + 1 < steps.len() {
            s.push_str(&format!(
                r##"<line x1="{cx}" y1="{}" x2="{cx}" y2="{}" stroke="#333" stroke-width="1.5" marker-end="url(#arrow)"/>"##,
                y + BOX_H,
                y + BOX_H + GAP - 2
            ));
        }
    }
    // 检查结果 (third) → 结果公示 (fifth) when nothing is found.
    if steps.len() == 5 {
        let y_from = 10 + 2 * (BOX_H + GAP) + BOX_H / 2;
        let y_to = 10 + 4 * (BOX_H + GAP) + BOX_H / 2;
        let x0 = X + BOX_W;
        let x1 = W - 30;
        s.push_str(&format!(
            r##"<path d="M{x0},{y_from} H{x1} V{y_to} H{}" fill="none" stroke="#666" stroke-width="1.2" stroke-dasharray="4 3" marker-end="url(#arrow)"/><text x="{}" y="{}" font-size="11" fill="#444" writing-mode="tb">未发现问题</text>"##,
            x0 + 2,
            x1 + 6,
            y_from + 20
        ));
    }
    s.push_str("</svg>");
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sections_are_bounded() {
        assert_eq!(section_body("  ").unwrap(), "");
        assert_eq!(section_body(" 说明 ").unwrap(), "说明");
        assert_eq!(
            section_body("第一段。\r\n\r\n 第二段。\n").unwrap(),
            "第一段。\n第二段。"
        );
        assert_eq!(
            section_body("a\u{0007}b").unwrap_err().code,
            "control_character"
        );
        let long = "字".repeat(SECTION_MAX_CHARS + 1);
        assert_eq!(section_body(&long).unwrap_err().code, "too_long");
        assert!(section_body(&"字".repeat(SECTION_MAX_CHARS)).is_ok());
        assert_eq!(
            SectionKind::parse("整改指引").unwrap(),
            SectionKind::Rectification
        );
    }

    #[test]
    fn phones() {
        assert_eq!(contact_phone(" 0395-7212345 ").unwrap(), "0395-7212345");
        assert!(contact_phone("12315").is_ok());
        assert!(contact_phone("+86 395 7212345").is_ok());
        assert!(contact_phone("电话").is_err());
        assert!(contact_phone("123").is_err());
        assert!(contact_phone("0395-72<b>").is_err());
    }

    #[test]
    fn flowchart_has_every_step_and_no_script() {
        let steps = process(&[Method::OnSite, Method::Written]);
        assert_eq!(steps.len(), 5);
        assert_eq!(steps[1].detail, "现场检查、书面检查");
        let svg = flowchart_svg(&steps);
        assert!(svg.starts_with("<svg") && svg.ends_with("</svg>"));
        for st in &steps {
            assert!(svg.contains(&st.title), "{}", st.title);
        }
        assert_eq!(svg.matches("<rect").count(), 5);
        assert_eq!(svg.matches("<line").count(), 4);
        assert!(svg.contains("未发现问题"));
        assert!(!svg.contains("<script"));
        // Text is escaped.
        let svg = flowchart_svg(&[Step {
            title: "<a>".into(),
            detail: "&".into(),
        }]);
        assert!(svg.contains("&lt;a&gt;") && svg.contains("&amp;"));
    }
}
