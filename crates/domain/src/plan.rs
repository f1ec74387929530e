//! Annual inspection plans (年度抽查工作计划, 鲁 task 4; DOMAIN.md §3–4): the lead department of an
//! item files, with the item's cooperating departments, one plan per year and period: where
//! (a region subtree, optionally narrowed by a tag expression), how many per credit-risk class,
//! how long an inspected entity rests, how many inspectors go on each visit, with which
//! qualifications. Plans move draft → submitted → approved → published → in progress →
//! completed, and a submitted plan may be returned to draft with a reason.

use std::fmt;

use chrono::{DateTime, Datelike, FixedOffset, NaiveDate, TimeZone, Utc};
use serde::{Deserialize, Serialize};

use crate::Invalid;
use crate::account::Role;
use crate::directory::{CreditClass, labelled_enum};
use crate::error::bounded_text;
use crate::item::ItemCategory;

labelled_enum!(
    /// Where a plan stands.
    PlanStatus {
        Draft = "draft" / "草稿",
        Submitted = "submitted" / "已报送",
        Approved = "approved" / "已审核",
        Published = "published" / "已公布",
        InProgress = "in_progress" / "实施中",
        Completed = "completed" / "已完成",
    }
);

impl PlanStatus {
    /// Statuses the public sees (抽查计划公告): published and later.
    pub const PUBLIC: &'static [PlanStatus] = &[
        PlanStatus::Published,
        PlanStatus::InProgress,
        PlanStatus::Completed,
    ];

    pub fn is_public(self) -> bool {
        Self::PUBLIC.contains(&self)
    }
}

labelled_enum!(
    /// A move from one status to another.
    PlanAction {
        Submit = "submit" / "报送",
        Return = "return" / "退回",
        Approve = "approve" / "审核通过",
        Publish = "publish" / "公布",
        Start = "start" / "开始实施",
        Complete = "complete" / "完成",
    }
);

/// Who makes a move.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PlanParty {
    /// The item's lead department (its administrators), or a coordination office or system
    /// administrator acting for it: edits drafts and submits.
    Filer,
    /// The coordination office of the plan's region or above (or a system administrator):
    /// approves, returns, publishes.
    Office,
    /// A draw: the draw service moves the plans it draws to in progress, and on to completed.
    Draw,
}

impl PlanParty {
    /// Roles that may act as this party at all; the services also check region and line.
    pub fn roles(self) -> &'static [Role] {
        match self {
            PlanParty::Filer => &[
                Role::SystemAdmin,
                Role::CoordinationOffice,
                Role::DepartmentAdmin,
            ],
            PlanParty::Office | PlanParty::Draw => &[Role::SystemAdmin, Role::CoordinationOffice],
        }
    }

    pub fn may(self, role: Role) -> bool {
        self.roles().contains(&role)
    }
}

impl PlanAction {
    /// The status a move starts from and the one it reaches.
    pub fn edge(self) -> (PlanStatus, PlanStatus) {
        use PlanStatus::*;
        match self {
            PlanAction::Submit => (Draft, Submitted),
            PlanAction::Return => (Submitted, Draft),
            PlanAction::Approve => (Submitted, Approved),
            PlanAction::Publish => (Approved, Published),
            PlanAction::Start => (Published, InProgress),
            PlanAction::Complete => (InProgress, Completed),
        }
    }

    pub fn party(self) -> PlanParty {
        match self {
            PlanAction::Submit => PlanParty::Filer,
            PlanAction::Return | PlanAction::Approve | PlanAction::Publish => PlanParty::Office,
            PlanAction::Start | PlanAction::Complete => PlanParty::Draw,
        }
    }

    /// Moves that may be made from `status`, in the order a page offers them.
    pub fn from_status(status: PlanStatus) -> Vec<PlanAction> {
        PlanAction::ALL
            .iter()
            .copied()
            .filter(|a| a.edge().0 == status)
            .collect()
    }
}

/// The status `action` leads to from `from`, or why it cannot be made.
pub fn transition(from: PlanStatus, action: PlanAction) -> Result<PlanStatus, Invalid> {
    let (must, to) = action.edge();
    if from == must {
        Ok(to)
    } else {
        Err(Invalid::new(
            "transition",
            format!(
                "计划当前为“{}”，不能{}（仅“{}”的计划可以{}）",
                from.label_zh(),
                action.label_zh(),
                must.label_zh(),
                action.label_zh()
            ),
            format!(
                "a {} plan cannot be {}; only a {} one can",
                from.as_str(),
                past(action),
                must.as_str()
            ),
        ))
    }
}

fn past(a: PlanAction) -> &'static str {
    match a {
        PlanAction::Submit => "submitted",
        PlanAction::Return => "returned",
        PlanAction::Approve => "approved",
        PlanAction::Publish => "published",
        PlanAction::Start => "started",
        PlanAction::Complete => "completed",
    }
}

/// Only drafts are edited; anything later changes only by a move.
pub fn ensure_editable(status: PlanStatus) -> Result<(), Invalid> {
    if status == PlanStatus::Draft {
        Ok(())
    } else {
        Err(Invalid::new(
            "not_editable",
            format!(
                "计划当前为“{}”，只有草稿可以修改；已报送的计划须先由联席办退回",
                status.label_zh()
            ),
            format!(
                "the plan is {}; only drafts can be edited (a submitted plan must be returned first)",
                status.as_str()
            ),
        ))
    }
}

// ---- ratios ----

/// A sampling ratio (抽查比例) in per mille: 0–1000, i.e. 0–100 % with at most one decimal.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Deserialize,
    utoipa::ToSchema,
)]
#[serde(transparent)]
pub struct Ratio(u16);

impl Ratio {
    pub const ZERO: Ratio = Ratio(0);
    pub const FULL: Ratio = Ratio(1000);

    pub fn from_per_mille(n: u16) -> Option<Ratio> {
        (n <= 1000).then_some(Ratio(n))
    }

    pub fn per_mille(self) -> u16 {
        self.0
    }

    /// Reads `5`, `5%`, `2.5`, `2.5%` (full-width ％ and a space before it too): percent, at
    /// most one decimal, 0–100.
    pub fn parse(s: &str) -> Result<Ratio, Invalid> {
        let t = s.trim();
        let bad = || {
            Invalid::new(
                "ratio",
                format!(
                    "抽查比例“{t}”无法识别：请填写 0–100 之间的百分数，最多一位小数，如 5 或 2.5%"
                ),
                format!(
                    "ratio '{t}' is not a percentage from 0 to 100 with at most one decimal, e.g. 5 or 2.5%"
                ),
            )
        };
        if t.is_empty() {
            return Err(Invalid::new(
                "required",
                "请填写抽查比例",
                "the ratio is required",
            ));
        }
        let num = t
            .strip_suffix('%')
            .or_else(|| t.strip_suffix('％'))
            .unwrap_or(t)
            .trim_end();
        let (int, frac) = match num.split_once('.') {
            Some((i, f)) => (i, Some(f)),
            None => (num, None),
        };
        if int.is_empty() || int.len() > 4 || !int.bytes().all(|b| b.is_ascii_digit()) {
            return Err(bad());
        }
        let tenths = match frac {
            None => 0,
            Some(f) if f.len() == 1 && f.as_bytes()[0].is_ascii_digit() => {
                u32::from(f.as_bytes()[0] - b'0')
            }
            Some(f) if !f.is_empty() && f.bytes().all(|b| b.is_ascii_digit()) => {
                return Err(Invalid::new(
                    "ratio_precision",
                    format!("抽查比例“{t}”最多保留一位小数"),
                    format!("ratio '{t}' may have at most one decimal"),
                ));
            }
            Some(_) => return Err(bad()),
        };
        let v = int.parse::<u32>().map_err(|_| bad())? * 10 + tenths;
        if v > 1000 {
            return Err(Invalid::new(
                "ratio_range",
                format!("抽查比例“{t}”超出范围：应在 0% 到 100% 之间"),
                format!("ratio '{t}' is out of range: 0% to 100%"),
            ));
        }
        Ok(Ratio(v as u16))
    }

    /// The number as a form shows it, without the percent sign: `5`, `2.5`.
    pub fn percent_text(self) -> String {
        if self.0.is_multiple_of(10) {
            format!("{}", self.0 / 10)
        } else {
            format!("{}.{}", self.0 / 10, self.0 % 10)
        }
    }
}

impl fmt::Display for Ratio {
    /// `5%`, `2.5%`: what [`Ratio::parse`] reads back.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}%", self.percent_text())
    }
}

/// One column of the ratios: a credit-risk class, or not yet graded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RatioClass {
    A,
    B,
    C,
    D,
    Ungraded,
}

impl RatioClass {
    pub const ALL: &'static [RatioClass] = &[
        RatioClass::A,
        RatioClass::B,
        RatioClass::C,
        RatioClass::D,
        RatioClass::Ungraded,
    ];

    pub fn of(class: Option<CreditClass>) -> RatioClass {
        match class {
            Some(CreditClass::A) => RatioClass::A,
            Some(CreditClass::B) => RatioClass::B,
            Some(CreditClass::C) => RatioClass::C,
            Some(CreditClass::D) => RatioClass::D,
            None => RatioClass::Ungraded,
        }
    }

    /// Field name in forms, the API and the database (`ratio_a` …).
    pub fn field(self) -> &'static str {
        match self {
            RatioClass::A => "ratio_a",
            RatioClass::B => "ratio_b",
            RatioClass::C => "ratio_c",
            RatioClass::D => "ratio_d",
            RatioClass::Ungraded => "ratio_ungraded",
        }
    }

    pub fn label_zh(self) -> &'static str {
        match self {
            RatioClass::A => "A类（信用风险低）",
            RatioClass::B => "B类（信用风险一般）",
            RatioClass::C => "C类（信用风险较高）",
            RatioClass::D => "D类（信用风险高）",
            RatioClass::Ungraded => "未评级",
        }
    }

    /// The typical band in local practice (DOMAIN.md), shown as help; not enforced.
    pub fn band_zh(self) -> &'static str {
        match self {
            RatioClass::A => "一般不超过 5%，且每年至多抽查 1 次",
            RatioClass::B => "一般 5%–20%，每年 1 次",
            RatioClass::C => "一般 21%–60%",
            RatioClass::D => "一般 61%–100%，重点事项全覆盖",
            RatioClass::Ungraded => "尚未评定信用风险分类的对象",
        }
    }

    /// Bounds of the band in per mille, inclusive (none for ungraded).
    pub fn band(self) -> Option<(u16, u16)> {
        match self {
            RatioClass::A => Some((0, 50)),
            RatioClass::B => Some((50, 200)),
            RatioClass::C => Some((210, 600)),
            RatioClass::D => Some((610, 1000)),
            RatioClass::Ungraded => None,
        }
    }
}

/// Ratios per credit-risk class, plus one for entities not yet graded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ClassRatios {
    pub a: Ratio,
    pub b: Ratio,
    pub c: Ratio,
    pub d: Ratio,
    pub ungraded: Ratio,
}

impl ClassRatios {
    /// Defaults (DOMAIN.md): A 3 %, B 10 %, C 30 %, D 70 %, not graded 10 %; key items cover
    /// every D entity.
    pub fn defaults(category: ItemCategory) -> ClassRatios {
        ClassRatios {
            a: Ratio(30),
            b: Ratio(100),
            c: Ratio(300),
            d: if category == ItemCategory::Key {
                Ratio::FULL
            } else {
                Ratio(700)
            },
            ungraded: Ratio(100),
        }
    }

    pub fn get(&self, class: RatioClass) -> Ratio {
        match class {
            RatioClass::A => self.a,
            RatioClass::B => self.b,
            RatioClass::C => self.c,
            RatioClass::D => self.d,
            RatioClass::Ungraded => self.ungraded,
        }
    }

    pub fn set(&mut self, class: RatioClass, r: Ratio) {
        match class {
            RatioClass::A => self.a = r,
            RatioClass::B => self.b = r,
            RatioClass::C => self.c = r,
            RatioClass::D => self.d = r,
            RatioClass::Ungraded => self.ungraded = r,
        }
    }

    /// The ratio that applies to an entity of `class` (none: not graded).
    pub fn for_class(&self, class: Option<CreditClass>) -> Ratio {
        self.get(RatioClass::of(class))
    }
}

// ---- other settings ----

fn whole(
    s: &str,
    min: u8,
    max: u8,
    code: &'static str,
    what_zh: &str,
    what_en: &str,
) -> Result<u8, Invalid> {
    let t = s.trim();
    match t.parse::<u32>() {
        Ok(n) if (u32::from(min)..=u32::from(max)).contains(&n) => Ok(n as u8),
        _ => Err(Invalid::new(
            code,
            format!("{what_zh}“{t}”不正确：应为 {min}–{max} 之间的整数"),
            format!("{what_en} '{t}' must be a whole number from {min} to {max}"),
        )),
    }
}

pub const DEFAULT_COOLDOWN_MONTHS: u8 = 6;
/// 随机对照: the share of each class's quota a risk-weighted plan draws at random, so that
/// the model's lift can be measured on fresh data each year (issue 16 item 4: "every plan
/// keeps a random control share (default 10 %)"; docs/draw-algorithm.md 12.13).
pub const DEFAULT_CONTROL_SHARE: Ratio = Ratio(100);
pub const DEFAULT_INSPECTORS_PER_VISIT: u8 = 2;

/// Months an entity inspected for the same item rests before it can be drawn again: 0–36.
pub fn cooldown_months(s: &str) -> Result<u8, Invalid> {
    if s.trim().is_empty() {
        return Ok(DEFAULT_COOLDOWN_MONTHS);
    }
    whole(s, 0, 36, "cooldown_months", "冷却期月数", "cooldown months")
}

/// Inspectors on each visit: 2–10 (执法人员不少于两人).
pub fn inspectors_per_visit(s: &str) -> Result<u8, Invalid> {
    if s.trim().is_empty() {
        return Ok(DEFAULT_INSPECTORS_PER_VISIT);
    }
    whole(
        s,
        2,
        10,
        "inspectors_per_visit",
        "每组检查人员数",
        "inspectors per visit",
    )
}

/// Experts drawn for each visit (专家): 0–10.
pub fn expert_count(s: &str) -> Result<u8, Invalid> {
    if s.trim().is_empty() {
        return Ok(0);
    }
    whole(s, 0, 10, "expert_count", "专家人数", "expert count")
}

/// A plan year: 2000–2100.
pub fn plan_year(s: &str) -> Result<i32, Invalid> {
    let t = s.trim();
    match t.parse::<i32>() {
        Ok(y) if (2000..=2100).contains(&y) => Ok(y),
        _ if t.is_empty() => Err(Invalid::new(
            "required",
            "请填写计划年度",
            "the year is required",
        )),
        _ => Err(Invalid::new(
            "year",
            format!("计划年度“{t}”不正确，应为四位年份，如 2026"),
            format!("year '{t}' must be a four-digit year such as 2026"),
        )),
    }
}

/// Required qualifications (资格): free labels separated by commas or 、, each 2–32 characters,
/// at most 10, duplicates dropped.
pub fn qualifications(s: &str) -> Result<Vec<String>, Invalid> {
    let mut out: Vec<String> = Vec::new();
    for part in s
        .split([',', '，', '、', ';', '；', '\n'])
        .map(str::trim)
        .filter(|p| !p.is_empty())
    {
        let q = bounded_text(part, 2, 32, "资格名称", "qualification")?;
        if !out.contains(&q) {
            out.push(q);
        }
    }
    if out.len() > 10 {
        return Err(Invalid::new(
            "too_many",
            format!("资格要求最多 10 项（当前 {} 项）", out.len()),
            format!("at most 10 qualifications (has {})", out.len()),
        ));
    }
    Ok(out)
}

/// Why a plan is returned to its filer: 2–500 characters.
pub fn return_reason(s: &str) -> Result<String, Invalid> {
    bounded_text(s, 2, 500, "退回原因", "reason for returning")
}

/// Which end of a period an error is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Bound {
    Start,
    End,
}

/// The days a plan is carried out in: inside its year, start ≤ end.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Period {
    pub start: NaiveDate,
    pub end: NaiveDate,
}

impl Period {
    /// Checks both ends against the year and each other, reporting every problem.
    pub fn new(
        year: i32,
        start: NaiveDate,
        end: NaiveDate,
    ) -> Result<Period, Vec<(Bound, Invalid)>> {
        let mut errs = Vec::new();
        for (b, d, zh, en) in [
            (Bound::Start, start, "开始日期", "start"),
            (Bound::End, end, "结束日期", "end"),
        ] {
            if d.year() != year {
                errs.push((
                    b,
                    Invalid::new(
                        "outside_year",
                        format!("{zh} {d} 不在计划年度 {year} 年内"),
                        format!("the {en} date {d} is not in the plan year {year}"),
                    ),
                ));
            }
        }
        if errs.is_empty() && end < start {
            errs.push((
                Bound::End,
                Invalid::new(
                    "period_order",
                    format!("结束日期 {end} 早于开始日期 {start}"),
                    format!("the end date {end} is before the start date {start}"),
                ),
            ));
        }
        if errs.is_empty() {
            Ok(Period { start, end })
        } else {
            Err(errs)
        }
    }

    /// The whole year.
    pub fn year(year: i32) -> Option<Period> {
        Some(Period {
            start: NaiveDate::from_ymd_opt(year, 1, 1)?,
            end: NaiveDate::from_ymd_opt(year, 12, 31)?,
        })
    }

    /// Whether the period shares a day with `from..=to`.
    pub fn overlaps(&self, from: NaiveDate, to: NaiveDate) -> bool {
        self.start <= to && self.end >= from
    }
}

fn beijing() -> FixedOffset {
    FixedOffset::east_opt(8 * 3600).expect("valid offset")
}

/// The deadline for filing a plan of `year`: the end of 31 March, Beijing time (鲁 task 4).
pub fn filing_deadline(year: i32) -> DateTime<Utc> {
    let april = NaiveDate::from_ymd_opt(year, 4, 1)
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .expect("1 April exists");
    beijing()
        .from_local_datetime(&april)
        .single()
        .expect("no DST in Beijing")
        .with_timezone(&Utc)
}

/// Whether a plan of `year` submitted at `submitted_at` was filed late (after 31 March).
pub fn is_late(year: i32, submitted_at: DateTime<Utc>) -> bool {
    submitted_at >= filing_deadline(year)
}

/// A plan's code: `<item code>-<year>-<nn>`, nn counting the item's plans of that year from 01.
pub fn plan_code(item_code: &str, year: i32, seq: u32) -> String {
    format!("{item_code}-{year}-{seq:02}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn ratios_parse() {
        for (s, pm) in [
            ("5", 50),
            ("5%", 50),
            (" 2.5 ", 25),
            ("2.5%", 25),
            ("2.5 %", 25),
            ("100", 1000),
            ("0", 0),
            ("0.1％", 1),
            ("07", 70),
        ] {
            assert_eq!(Ratio::parse(s).unwrap().per_mille(), pm, "{s}");
        }
        for (s, code) in [
            ("120%", "ratio_range"),
            ("100.1", "ratio_range"),
            ("abc", "ratio"),
            ("2.55", "ratio_precision"),
            ("-1", "ratio"),
            ("5.", "ratio"),
            (".5", "ratio"),
            ("", "required"),
            ("1e2", "ratio"),
            ("5%%", "ratio"),
        ] {
            let e = Ratio::parse(s).unwrap_err();
            assert_eq!(e.code, code, "{s}");
            if !s.is_empty() {
                assert!(
                    e.zh.contains(s.trim()),
                    "the message names the value: {}",
                    e.zh
                );
            }
        }
        assert_eq!(Ratio::parse("2.5").unwrap().to_string(), "2.5%");
        assert_eq!(Ratio::parse("30").unwrap().to_string(), "30%");
    }

    proptest! {
        #[test]
        fn ratio_prints_what_it_parses(n in 0u16..=1000) {
            let r = Ratio::from_per_mille(n).unwrap();
            prop_assert_eq!(Ratio::parse(&r.to_string()).unwrap(), r);
            prop_assert_eq!(Ratio::parse(&r.percent_text()).unwrap(), r);
        }

        #[test]
        fn parsed_ratios_print_back_canonically(int in 0u32..=100, tenth in proptest::option::of(0u32..10), pct in any::<bool>()) {
            let s = match tenth {
                Some(t) => format!("{int}.{t}"),
                None => int.to_string(),
            };
            let s = if pct { format!("{s}%") } else { s };
            let want = int * 10 + tenth.unwrap_or(0);
            match Ratio::parse(&s) {
                Ok(r) => {
                    prop_assert_eq!(u32::from(r.per_mille()), want);
                    prop_assert_eq!(Ratio::parse(&r.to_string()).unwrap(), r);
                }
                Err(e) => {
                    prop_assert!(want > 1000);
                    prop_assert_eq!(e.code, "ratio_range");
                }
            }
        }

        #[test]
        fn no_ratio_above_full(s in "[0-9]{1,4}(\\.[0-9])?%?") {
            if let Ok(r) = Ratio::parse(&s) {
                prop_assert!(r <= Ratio::FULL);
            }
        }
    }

    #[test]
    fn defaults_follow_the_category() {
        let g = ClassRatios::defaults(ItemCategory::General);
        assert_eq!(
            [g.a, g.b, g.c, g.d, g.ungraded].map(|r| r.to_string()),
            ["3%", "10%", "30%", "70%", "10%"]
        );
        assert_eq!(ClassRatios::defaults(ItemCategory::Key).d, Ratio::FULL);
        assert_eq!(g.for_class(None), g.ungraded);
        assert_eq!(g.for_class(Some(CreditClass::C)), g.c);
        for c in RatioClass::ALL {
            if let Some((lo, hi)) = c.band() {
                assert!(lo <= hi && hi <= 1000);
            }
        }
    }

    #[test]
    fn transitions() {
        use PlanAction::*;
        use PlanStatus::*;
        assert_eq!(transition(Draft, Submit).unwrap(), Submitted);
        assert_eq!(transition(Submitted, Return).unwrap(), Draft);
        assert_eq!(transition(Submitted, Approve).unwrap(), Approved);
        assert_eq!(transition(Approved, Publish).unwrap(), Published);
        assert_eq!(transition(Published, Start).unwrap(), InProgress);
        assert_eq!(transition(InProgress, Complete).unwrap(), Completed);
        let e = transition(Draft, Publish).unwrap_err();
        assert_eq!(e.code, "transition");
        assert!(e.zh.contains("草稿") && e.zh.contains("公布"), "{}", e.zh);
        assert!(transition(Approved, Return).is_err());
        assert!(transition(Completed, Submit).is_err());
        // Every status but completed has a way on; completed is the end.
        for s in PlanStatus::ALL {
            assert_eq!(
                PlanAction::from_status(*s).is_empty(),
                *s == Completed,
                "{s:?}"
            );
        }
        assert_eq!(PlanAction::from_status(Submitted), vec![Return, Approve]);
        assert!(ensure_editable(Draft).is_ok());
        assert_eq!(ensure_editable(Submitted).unwrap_err().code, "not_editable");
    }

    #[test]
    fn who_moves() {
        assert!(PlanAction::Submit.party().may(Role::DepartmentAdmin));
        assert!(!PlanAction::Approve.party().may(Role::DepartmentAdmin));
        assert!(PlanAction::Publish.party().may(Role::CoordinationOffice));
        assert!(!PlanAction::Submit.party().may(Role::Leader));
        assert!(!PlanAction::Submit.party().may(Role::Inspector));
        assert!(PlanAction::Start.party().may(Role::SystemAdmin));
    }

    #[test]
    fn settings() {
        assert_eq!(cooldown_months("").unwrap(), 6);
        assert_eq!(cooldown_months("36").unwrap(), 36);
        assert!(cooldown_months("37").is_err());
        assert_eq!(inspectors_per_visit("").unwrap(), 2);
        let e = inspectors_per_visit("1").unwrap_err();
        assert!(e.zh.contains("“1”") && e.zh.contains("2–10"), "{}", e.zh);
        assert!(inspectors_per_visit("11").is_err());
        assert_eq!(expert_count("").unwrap(), 0);
        assert_eq!(plan_year("2026").unwrap(), 2026);
        assert!(plan_year("26").is_err());
        assert_eq!(
            qualifications("特种设备、食品安全,特种设备").unwrap(),
            vec!["特种设备", "食品安全"]
        );
        assert!(qualifications("x").is_err());
        assert!(return_reason(" ").is_err());
        assert_eq!(plan_code("WY-2024-01", 2026, 1), "WY-2024-01-2026-01");
    }

    #[test]
    fn periods() {
        let d = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
        let p = Period::new(2026, d("2026-10-01"), d("2026-12-31")).unwrap();
        assert!(p.overlaps(d("2026-12-31"), d("2027-01-31")));
        assert!(!p.overlaps(d("2026-01-01"), d("2026-09-30")));
        let e = Period::new(2026, d("2025-12-01"), d("2027-01-01")).unwrap_err();
        assert_eq!(
            e.iter().map(|(b, _)| *b).collect::<Vec<_>>(),
            vec![Bound::Start, Bound::End]
        );
        let e = Period::new(2026, d("2026-12-01"), d("2026-11-01")).unwrap_err();
        assert_eq!(e[0].0, Bound::End);
        assert_eq!(e[0].1.code, "period_order");
        assert_eq!(Period::year(2026).unwrap().end, d("2026-12-31"));
    }

    #[test]
    fn late_after_march_beijing_time() {
        let at = |s: &str| DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc);
        assert!(!is_late(2026, at("2026-03-31T23:59:59+08:00")));
        assert!(is_late(2026, at("2026-04-01T00:00:00+08:00")));
        // 31 March 17:00 UTC is already 1 April in Beijing.
        assert!(is_late(2026, at("2026-03-31T17:00:00Z")));
        assert!(
            !is_late(2027, at("2026-12-01T10:00:00+08:00")),
            "filed the year before"
        );
        assert!(is_late(2025, at("2026-01-05T10:00:00+08:00")));
    }
}
