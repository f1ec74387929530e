//! Risk warnings (风险隐患联合监测预警, 国办发〔2023〕1号 (八); 鲁 task 11): warning rules per
//! sector (预警规则: a condition, a level, a push rule and a response plan 预案), versioned like
//! items, and warnings as case work on the shared mechanism (`crate::case`): raised → pushed →
//! signed → handling → closed with a reason, or converted to a clue or to a visit; a major
//! warning (red or orange, or as its rule says) goes to a joint assessment (会商研判) with
//! minutes and a decision before it is handled or closed.
//!
//! Pure: the statuses and their lifecycle, the actions, the rule parsers (every error names its
//! field, conditions are bounded in depth and size) and [`ReadingEvaluator`], the streaming
//! evaluator the IoT ingest feeds device readings into (issue 16 item 2).

use std::collections::HashMap;

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::Invalid;
use crate::case::Step;
use crate::directory::labelled_enum;
use crate::error::bounded_text;
use crate::lifecycle::lifecycle;

labelled_enum!(
    /// Warning level (预警级别), most severe first: 红 red, 橙 orange, 黄 yellow, 蓝 blue.
    Level {
        Red = "red" / "红色",
        Orange = "orange" / "橙色",
        Yellow = "yellow" / "黄色",
        Blue = "blue" / "蓝色",
    }
);

impl Level {
    /// Red and orange warnings are major (重大预警): they go to a joint assessment unless the
    /// rule says otherwise.
    pub fn is_major(self) -> bool {
        matches!(self, Level::Red | Level::Orange)
    }

    /// 0 for red … 3 for blue (sorting by severity).
    pub fn rank(self) -> u8 {
        match self {
            Level::Red => 0,
            Level::Orange => 1,
            Level::Yellow => 2,
            Level::Blue => 3,
        }
    }
}

labelled_enum!(
    /// A warning's state.
    WarningStatus {
        Raised = "raised" / "已生成",
        Pushed = "pushed" / "待签收",
        Signed = "signed" / "已签收",
        Assessing = "assessing" / "会商研判中",
        Decided = "decided" / "已研判",
        Handling = "handling" / "处置中",
        Closed = "closed" / "已办结",
        ToClue = "to_clue" / "已转线索",
        ToVisit = "to_visit" / "已转检查",
    }
);

lifecycle!(WarningStatus, "预警", "warning", {
    Raised => [Pushed],
    Pushed => [Signed],
    Signed => [Assessing, Handling, Closed, ToClue, ToVisit],
    Assessing => [Decided],
    Decided => [Handling, Closed, ToClue, ToVisit],
    Handling => [Closed, ToClue, ToVisit],
    Closed => [],
    ToClue => [],
    ToVisit => [],
});

impl WarningStatus {
    /// Still open: new triggers of its rule, entity and device fold into it.
    pub fn is_open(self) -> bool {
        use crate::lifecycle::Lifecycle;
        !self.is_final()
    }
}

labelled_enum!(
    /// The steps of a warning.
    WarningAction {
        Raise = "raise" / "生成预警",
        Push = "push" / "推送",
        Sign = "sign" / "签收",
        Assess = "assess" / "提请会商研判",
        Decide = "decide" / "研判决定",
        Handle = "handle" / "开始处置",
        Close = "close" / "办结",
        ToClue = "to_clue" / "转为线索",
        ToVisit = "to_visit" / "转为检查",
    }
);

impl WarningAction {
    /// Whether the step needs a reason (办结 does; a decision carries its own text).
    pub fn needs_reason(self) -> bool {
        matches!(self, WarningAction::Close)
    }

    /// The move this action makes from `from` (`None`: the warning is being raised). A major
    /// warning (`major`) must be assessed and decided before it is handled, closed or
    /// converted (国办发〔2023〕1号 (八): 重大风险隐患 会商研判).
    pub fn step(
        self,
        from: Option<WarningStatus>,
        major: bool,
    ) -> Result<Step<WarningStatus>, Invalid> {
        use WarningStatus as S;
        let Some(f) = from else {
            return if self == WarningAction::Raise {
                Ok(Step::open(self.as_str(), S::Raised))
            } else {
                Err(Invalid::new(
                    "transition",
                    "预警尚未生成",
                    "the warning has not been raised",
                ))
            };
        };
        let to = match self {
            WarningAction::Raise => return Step::staying(self.as_str(), f, false),
            WarningAction::Push => S::Pushed,
            WarningAction::Sign => S::Signed,
            WarningAction::Assess => S::Assessing,
            WarningAction::Decide => S::Decided,
            WarningAction::Handle => S::Handling,
            WarningAction::Close => S::Closed,
            WarningAction::ToClue => S::ToClue,
            WarningAction::ToVisit => S::ToVisit,
        };
        if major && f == S::Signed && matches!(to, S::Handling | S::Closed | S::ToClue | S::ToVisit)
        {
            return Err(Invalid::new(
                "assessment_required",
                "重大预警须先经会商研判并作出决定，才能处置、办结或转办",
                "a major warning must be jointly assessed and decided first",
            ));
        }
        Step::moving(self.as_str(), f, to)
    }
}

// ---- conditions ----

/// A comparison of a reading with a threshold.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub enum Op {
    #[serde(rename = ">")]
    Gt,
    #[serde(rename = ">=")]
    Ge,
    #[serde(rename = "<")]
    Lt,
    #[serde(rename = "<=")]
    Le,
}

impl Op {
    /// `>` and `>=`: an upper limit.
    pub fn is_upper(self) -> bool {
        matches!(self, Op::Gt | Op::Ge)
    }

    pub fn holds(self, value: f64, threshold: f64) -> bool {
        match self {
            Op::Gt => value > threshold,
            Op::Ge => value >= threshold,
            Op::Lt => value < threshold,
            Op::Le => value <= threshold,
        }
    }

    pub fn symbol(self) -> &'static str {
        match self {
            Op::Gt => ">",
            Op::Ge => "≥",
            Op::Lt => "<",
            Op::Le => "≤",
        }
    }
}

labelled_enum!(
    /// Facts about an entity counted in a window of days (CountInWindow).
    Fact {
        Complaints = "complaints" / "投诉举报线索",
        Exceedances = "exceedances" / "监测超标",
        ProblemResults = "problem_results" / "检查发现问题",
    }
);

labelled_enum!(
    /// What expires (Expiry).
    ExpiryKind {
        Licence = "licence" / "许可证",
        SpecialEquipment = "special_equipment" / "特种设备定期检验",
    }
);

/// A rule's condition (预警条件). Device conditions (reading, event, silence) are evaluated
/// by [`ReadingEvaluator`] as readings arrive; record conditions (count in a window, expiry) by
/// the hourly pass over the platform's records. One rule does not mix the two kinds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum Condition {
    /// A reading compared with a threshold, holding for `for_minutes` (0: at once).
    Reading {
        metric: String,
        op: Op,
        value: f64,
        #[serde(default)]
        for_minutes: u32,
    },
    /// A discrete device event (a camera's 鼠患 detection): a reading of `metric` equal to
    /// `value` triggers at once.
    Event { metric: String, value: f64 },
    /// The device sent nothing for `minutes`.
    Silence { minutes: u32 },
    /// At least `at_least` facts about the entity in the last `days` days.
    CountInWindow {
        fact: Fact,
        at_least: u32,
        days: u32,
    },
    /// Something of the entity expires within `within_days` days (or has expired).
    Expiry { what: ExpiryKind, within_days: u32 },
    /// Every condition holds.
    All { of: Vec<Condition> },
    /// One of the conditions holds.
    Any { of: Vec<Condition> },
}

/// At most this many conditions in one rule, nested at most this deep.
pub const MAX_CONDITIONS: usize = 16;
pub const MAX_DEPTH: usize = 4;

fn metric_code(path: &str, m: &str) -> Result<(), Invalid> {
    let ok = !m.is_empty()
        && m.len() <= 40
        && m.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'.');
    if ok {
        Ok(())
    } else {
        Err(Invalid::new(
            "metric",
            format!("{path}：监测指标代码“{m}”应为 1–40 个小写字母、数字、下划线或点"),
            format!("{path}: metric '{m}' must be 1-40 of a-z, 0-9, '_' or '.'"),
        ))
    }
}

fn in_range(path: &str, what_zh: &str, n: u32, lo: u32, hi: u32) -> Result<(), Invalid> {
    if (lo..=hi).contains(&n) {
        Ok(())
    } else {
        Err(Invalid::new(
            "out_of_range",
            format!("{path}：{what_zh}应为 {lo}–{hi}，收到 {n}"),
            format!("{path}: must be {lo}-{hi}, got {n}"),
        ))
    }
}

/// Which kind of condition a tree is made of.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConditionKind {
    /// Readings, events, silence: the streaming evaluator.
    Device,
    /// Counts and expiries: the hourly pass.
    Record,
}

impl Condition {
    /// Parses a condition from JSON text: the shape, then [`Condition::check`].
    pub fn parse_json(s: &str) -> Result<Self, Invalid> {
        if s.len() > 8_000 {
            return Err(Invalid::new(
                "too_long",
                "预警条件过长（至多 8000 字节）",
                "the condition is too long (8000 bytes at most)",
            ));
        }
        let de = &mut serde_json::Deserializer::from_str(s);
        let c: Condition = serde_path_to_error::deserialize(de).map_err(|e| {
            let path = e.path().to_string();
            let at = if path == "." {
                String::new()
            } else {
                format!("（位置 {path}）")
            };
            Invalid::new(
                "condition",
                format!("预警条件格式不正确{at}：{}", e.inner()),
                format!("the condition does not parse{at}: {}", e.inner()),
            )
        })?;
        c.check()?;
        Ok(c)
    }

    /// Checks bounds (size, depth, metric codes, ranges) and that device and record conditions
    /// are not mixed; returns the kind.
    pub fn check(&self) -> Result<ConditionKind, Invalid> {
        let mut count = 0;
        let kind = self.check_at("condition", 1, &mut count)?;
        if count > MAX_CONDITIONS {
            return Err(Invalid::new(
                "too_many",
                format!("一条规则至多 {MAX_CONDITIONS} 个条件，收到 {count} 个"),
                format!("at most {MAX_CONDITIONS} conditions per rule, got {count}"),
            ));
        }
        Ok(kind)
    }

    fn check_at(
        &self,
        path: &str,
        depth: usize,
        count: &mut usize,
    ) -> Result<ConditionKind, Invalid> {
        *count += 1;
        if depth > MAX_DEPTH || *count > MAX_CONDITIONS {
            return Err(Invalid::new(
                "too_deep",
                format!("{path}：条件嵌套至多 {MAX_DEPTH} 层、共 {MAX_CONDITIONS} 个"),
                format!("{path}: at most {MAX_DEPTH} levels and {MAX_CONDITIONS} conditions"),
            ));
        }
        match self {
            Condition::Reading {
                metric,
                value,
                for_minutes,
                ..
            } => {
                metric_code(&format!("{path}.metric"), metric)?;
                if !value.is_finite() || value.abs() > 1e9 {
                    return Err(Invalid::new(
                        "value",
                        format!("{path}.value：阈值应为有限数值"),
                        format!("{path}.value: the threshold must be a finite number"),
                    ));
                }
                in_range(
                    &format!("{path}.for_minutes"),
                    "持续分钟数",
                    *for_minutes,
                    0,
                    7 * 24 * 60,
                )?;
                Ok(ConditionKind::Device)
            }
            Condition::Event { metric, value } => {
                metric_code(&format!("{path}.metric"), metric)?;
                if !value.is_finite() {
                    return Err(Invalid::new(
                        "value",
                        format!("{path}.value：事件值应为有限数值"),
                        format!("{path}.value: the event value must be a finite number"),
                    ));
                }
                Ok(ConditionKind::Device)
            }
            Condition::Silence { minutes } => {
                in_range(
                    &format!("{path}.minutes"),
                    "离线分钟数",
                    *minutes,
                    1,
                    30 * 24 * 60,
                )?;
                Ok(ConditionKind::Device)
            }
            Condition::CountInWindow { at_least, days, .. } => {
                in_range(&format!("{path}.at_least"), "次数", *at_least, 1, 1000)?;
                in_range(&format!("{path}.days"), "天数", *days, 1, 366)?;
                Ok(ConditionKind::Record)
            }
            Condition::Expiry { within_days, .. } => {
                in_range(
                    &format!("{path}.within_days"),
                    "提前天数",
                    *within_days,
                    0,
                    366,
                )?;
                Ok(ConditionKind::Record)
            }
            Condition::All { of } | Condition::Any { of } => {
                if of.is_empty() {
                    return Err(Invalid::new(
                        "empty",
                        format!("{path}.of：组合条件至少包含一个条件"),
                        format!("{path}.of: a combination needs at least one condition"),
                    ));
                }
                let mut kind = None;
                for (i, c) in of.iter().enumerate() {
                    let k = c.check_at(&format!("{path}.of[{i}]"), depth + 1, count)?;
                    if kind.is_some_and(|x| x != k) {
                        return Err(Invalid::new(
                            "mixed",
                            format!(
                                "{path}.of[{i}]：同一规则不能混用设备监测条件与记录统计条件，请拆为两条规则"
                            ),
                            format!(
                                "{path}.of[{i}]: device and record conditions cannot be mixed in one rule"
                            ),
                        ));
                    }
                    kind = Some(k);
                }
                Ok(kind.expect("non-empty"))
            }
        }
    }

    /// What kind of condition this is (the tree must have been checked).
    pub fn kind(&self) -> ConditionKind {
        match self {
            Condition::Reading { .. } | Condition::Event { .. } | Condition::Silence { .. } => {
                ConditionKind::Device
            }
            Condition::CountInWindow { .. } | Condition::Expiry { .. } => ConditionKind::Record,
            Condition::All { of } | Condition::Any { of } => {
                of.first().map_or(ConditionKind::Record, Condition::kind)
            }
        }
    }

    /// The condition in words (zh), for rule lists and pages.
    pub fn describe(&self) -> String {
        match self {
            Condition::Reading {
                metric,
                op,
                value,
                for_minutes,
            } => {
                let (l, u) = metric_label(metric);
                let base = format!("{l} {} {}{u}", op.symbol(), fmt_num(*value));
                if *for_minutes > 0 {
                    format!("{base} 持续 {for_minutes} 分钟")
                } else {
                    base
                }
            }
            Condition::Event { metric, .. } => format!("监测到{}", metric_label(metric).0),
            Condition::Silence { minutes } => format!("设备离线超过 {minutes} 分钟"),
            Condition::CountInWindow {
                fact,
                at_least,
                days,
            } => format!("{days} 天内{}达到 {at_least} 次", fact.label_zh()),
            Condition::Expiry { what, within_days } => {
                format!("{}在 {within_days} 天内到期", what.label_zh())
            }
            Condition::All { of } => of
                .iter()
                .map(Condition::describe)
                .collect::<Vec<_>>()
                .join(" 且 "),
            Condition::Any { of } => of
                .iter()
                .map(Condition::describe)
                .collect::<Vec<_>>()
                .join(" 或 "),
        }
    }
}

/// A metric's Chinese name and unit (known metrics; others read 监测值).
pub fn metric_label(metric: &str) -> (&'static str, &'static str) {
    match metric {
        "temperature" => ("温度", " ℃"),
        "humidity" => ("湿度", " %"),
        "gas" | "gas_alarm" => ("燃气浓度", " %LEL"),
        "rat" => ("鼠患", ""),
        "smoking" => ("吸烟", ""),
        "bin_open" => ("垃圾桶未加盖", ""),
        "no_gloves" => ("未佩戴手套", ""),
        "no_mask" => ("未佩戴口罩", ""),
        "pressure" => ("压力", " MPa"),
        _ => ("监测值", ""),
    }
}

fn fmt_num(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e15 {
        format!("{}", v as i64)
    } else {
        format!("{v:.1}")
    }
}

// ---- push rule and response plan ----

/// Which departments a warning goes to (推送规则), in the entity's region: the departments of
/// the named lines (条线, e.g. `market`, `health`, `emergency`) nearest the entity (its county's
/// first, else the nearest above), and, if `item_departments`, the lead departments of the
/// supervision items of the rule's sector.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PushRule {
    #[serde(default)]
    pub lines: Vec<String>,
    #[serde(default)]
    pub item_departments: bool,
}

impl PushRule {
    pub fn check(&self) -> Result<(), Invalid> {
        if self.lines.is_empty() && !self.item_departments {
            return Err(Invalid::new(
                "required",
                "推送规则至少指定一个条线或按事项推送",
                "the push rule names no line and no item departments",
            ));
        }
        if self.lines.len() > 10 {
            return Err(Invalid::new(
                "too_many",
                "推送规则至多 10 个条线",
                "at most 10 lines",
            ));
        }
        for l in &self.lines {
            let ok = !l.is_empty()
                && l.len() <= 32
                && l.bytes().all(|b| b.is_ascii_lowercase() || b == b'_');
            if !ok {
                return Err(Invalid::new(
                    "line",
                    format!("条线代码“{l}”应为小写字母或下划线"),
                    format!("line '{l}' must be lowercase letters or '_'"),
                ));
            }
        }
        Ok(())
    }
}

/// A step's deadline: working days on the calendar, or hours of the clock (an immediate
/// response to a gas alarm cannot wait for Monday).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum StepDeadline {
    WorkingDays(u32),
    Hours(u32),
}

impl StepDeadline {
    pub fn describe(self) -> String {
        match self {
            StepDeadline::WorkingDays(n) => format!("{n} 个工作日"),
            StepDeadline::Hours(n) => format!("{n} 小时"),
        }
    }
}

/// One step of a response plan (预案).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PlanStep {
    pub name: String,
    pub deadline: StepDeadline,
}

/// At most this many steps in a plan.
pub const MAX_PLAN_STEPS: usize = 8;

/// Checks a response plan: 1–8 steps, names 2–40 characters and distinct, deadlines 1–60
/// working days or 1–720 hours. Returns the steps trimmed.
pub fn check_plan(steps: &[PlanStep]) -> Result<Vec<PlanStep>, Invalid> {
    if steps.is_empty() || steps.len() > MAX_PLAN_STEPS {
        return Err(Invalid::new(
            "plan_steps",
            format!(
                "预案应有 1–{MAX_PLAN_STEPS} 个步骤，收到 {} 个",
                steps.len()
            ),
            format!("a plan has 1-{MAX_PLAN_STEPS} steps, got {}", steps.len()),
        ));
    }
    let mut out: Vec<PlanStep> = Vec::new();
    for (i, s) in steps.iter().enumerate() {
        let name = bounded_text(
            &s.name,
            2,
            40,
            &format!("预案第 {} 步名称", i + 1),
            "step name",
        )?;
        let ok = match s.deadline {
            StepDeadline::WorkingDays(n) => (1..=60).contains(&n),
            StepDeadline::Hours(n) => (1..=720).contains(&n),
        };
        if !ok {
            return Err(Invalid::new(
                "deadline",
                format!("预案第 {} 步期限应为 1–60 个工作日或 1–720 小时", i + 1),
                format!("step {}: 1-60 working days or 1-720 hours", i + 1),
            ));
        }
        if out.iter().any(|o| o.name == name) {
            return Err(Invalid::new(
                "duplicate",
                format!("预案第 {} 步与前面的步骤同名", i + 1),
                format!("step {} repeats a name", i + 1),
            ));
        }
        out.push(PlanStep {
            name,
            deadline: s.deadline,
        });
    }
    Ok(out)
}

/// Reads a plan from JSON text (the form's textarea or the API).
pub fn parse_plan(s: &str) -> Result<Vec<PlanStep>, Invalid> {
    if s.len() > 4_000 {
        return Err(Invalid::new("too_long", "预案过长", "the plan is too long"));
    }
    let de = &mut serde_json::Deserializer::from_str(s);
    let steps: Vec<PlanStep> = serde_path_to_error::deserialize(de).map_err(|e| {
        Invalid::new(
            "plan",
            format!("预案格式不正确（位置 {}）：{}", e.path(), e.inner()),
            format!("the plan does not parse at {}: {}", e.path(), e.inner()),
        )
    })?;
    check_plan(&steps)
}

/// Reads a push rule from JSON text.
pub fn parse_push(s: &str) -> Result<PushRule, Invalid> {
    if s.len() > 2_000 {
        return Err(Invalid::new(
            "too_long",
            "推送规则过长",
            "the push rule is too long",
        ));
    }
    let de = &mut serde_json::Deserializer::from_str(s);
    let p: PushRule = serde_path_to_error::deserialize(de).map_err(|e| {
        Invalid::new(
            "push",
            format!("推送规则格式不正确（位置 {}）：{}", e.path(), e.inner()),
            format!(
                "the push rule does not parse at {}: {}",
                e.path(),
                e.inner()
            ),
        )
    })?;
    p.check()?;
    Ok(p)
}

/// A rule's code: 2–32 of A–Z, 0–9, '-' (e.g. `YJ-LL-01`), upper-cased.
pub fn rule_code(s: &str) -> Result<String, Invalid> {
    let t = s.trim().to_ascii_uppercase();
    let ok = (2..=32).contains(&t.len())
        && t.bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'-');
    if ok {
        Ok(t)
    } else {
        Err(Invalid::new(
            "rule_code",
            "规则编码应为 2–32 个大写字母、数字或连字符",
            "a rule code is 2-32 of A-Z, 0-9 or '-'",
        ))
    }
}

/// A rule's name, 2–60 characters.
pub fn rule_name(s: &str) -> Result<String, Invalid> {
    bounded_text(s, 2, 60, "规则名称", "rule name")
}

/// Minutes (会商纪要), 2–4000 characters.
pub fn minutes_text(s: &str) -> Result<String, Invalid> {
    bounded_text(s, 2, 4000, "会商纪要", "minutes")
}

/// A joint assessment's decision (研判结论), 2–1000 characters.
pub fn decision_text(s: &str) -> Result<String, Invalid> {
    bounded_text(s, 2, 1000, "研判结论", "decision")
}

/// A warning rule, one version of it (as the evaluator and `raise` read it).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WarningRule {
    pub id: Uuid,
    pub version: i32,
    pub code: String,
    pub name: String,
    /// Sector code (行业领域) the rule belongs to.
    pub sector: String,
    pub level: Level,
    /// Joint assessment required regardless of level (`None`: red and orange are).
    pub assessment: Option<bool>,
    pub condition: Condition,
    pub push: PushRule,
    pub plan: Vec<PlanStep>,
}

impl WarningRule {
    /// Whether warnings of this rule need a joint assessment.
    pub fn is_major(&self) -> bool {
        self.assessment.unwrap_or(self.level.is_major())
    }
}

// ---- the streaming evaluator ----

/// A device's reading and what the evaluator knows of a device: the IoT ingest's own types
/// (`domain::iot`), so that the ingest hands its batches to the evaluator as they are.
pub use crate::iot::{DeviceInfo, Reading};

/// A rule's condition met: what `services::warnings::raise` turns into a warning or folds
/// into the open one.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Trigger {
    pub rule_id: Uuid,
    pub rule_version: i32,
    pub entity_id: Uuid,
    pub device_id: Option<Uuid>,
    pub level: Level,
    /// In Chinese, e.g. 冷库温度 9.2 ℃ 已持续 31 分钟（阈值 8 ℃）.
    pub summary: String,
    pub observed_at: DateTime<Utc>,
    pub detail: serde_json::Value,
}

/// A leaf of a device condition, flattened.
#[derive(Debug, Clone)]
enum Leaf {
    Reading {
        metric: String,
        op: Op,
        value: f64,
        for_minutes: u32,
        /// The mildest value of the evaluator's rules on this metric in this direction (the
        /// lowest of the `>`/`>=` rules, the highest of the `<`/`<=` ones): a device's own
        /// threshold takes its place, and graded rules keep their margin over it.
        base: f64,
    },
    Event {
        metric: String,
        value: f64,
    },
    Silence {
        minutes: u32,
    },
}

/// A condition tree over leaf indices.
#[derive(Debug, Clone)]
enum Tree {
    Leaf(usize),
    All(Vec<Tree>),
    Any(Vec<Tree>),
}

impl Tree {
    fn eval(&self, held: &[bool]) -> bool {
        match self {
            Tree::Leaf(i) => held[*i],
            Tree::All(v) => v.iter().all(|t| t.eval(held)),
            Tree::Any(v) => v.iter().any(|t| t.eval(held)),
        }
    }
}

#[derive(Debug)]
struct CompiledRule {
    rule: WarningRule,
    leaves: Vec<Leaf>,
    tree: Tree,
    has_silence: bool,
}

fn compile(c: &Condition, leaves: &mut Vec<Leaf>) -> Option<Tree> {
    Some(match c {
        Condition::Reading {
            metric,
            op,
            value,
            for_minutes,
        } => {
            leaves.push(Leaf::Reading {
                metric: metric.clone(),
                op: *op,
                value: *value,
                for_minutes: *for_minutes,
                base: *value,
            });
            Tree::Leaf(leaves.len() - 1)
        }
        Condition::Event { metric, value } => {
            leaves.push(Leaf::Event {
                metric: metric.clone(),
                value: *value,
            });
            Tree::Leaf(leaves.len() - 1)
        }
        Condition::Silence { minutes } => {
            leaves.push(Leaf::Silence { minutes: *minutes });
            Tree::Leaf(leaves.len() - 1)
        }
        Condition::CountInWindow { .. } | Condition::Expiry { .. } => return None,
        Condition::All { of } => Tree::All(
            of.iter()
                .map(|c| compile(c, leaves))
                .collect::<Option<_>>()?,
        ),
        Condition::Any { of } => Tree::Any(
            of.iter()
                .map(|c| compile(c, leaves))
                .collect::<Option<_>>()?,
        ),
    })
}

/// A leaf's state for one device: whether it holds now, since when (a reading's excursion).
#[derive(Debug, Clone, Copy, Default)]
struct LeafState {
    held: bool,
    /// Start of the current excursion of a reading leaf.
    since: Option<DateTime<Utc>>,
    last_value: f64,
    /// For a silence leaf: the `last_seen` it fired for.
    silenced_for: Option<DateTime<Utc>>,
}

/// One device's state under one rule.
#[derive(Debug, Clone, Default)]
struct RuleState {
    leaves: Vec<LeafState>,
    /// The rule has fired for the current excursion (no repeat until it ends).
    fired: bool,
}

/// Evaluates device readings against the rules in force whose condition involves readings,
/// events or silence. State is kept per (device, rule); memory grows with the devices that
/// reported a metric some rule reads.
#[derive(Debug)]
pub struct ReadingEvaluator {
    rules: Vec<CompiledRule>,
    /// Metric → the rules reading it.
    by_metric: HashMap<String, Vec<usize>>,
    /// Rules with a silence leaf.
    silence_rules: Vec<usize>,
    state: HashMap<(Uuid, u32), RuleState>,
}

impl ReadingEvaluator {
    /// The evaluator over `rules`; rules with record conditions are left out.
    pub fn new(rules: Vec<WarningRule>) -> Self {
        let mut compiled = Vec::new();
        for r in rules {
            let mut leaves = Vec::new();
            if let Some(tree) = compile(&r.condition, &mut leaves) {
                let has_silence = leaves.iter().any(|l| matches!(l, Leaf::Silence { .. }));
                compiled.push(CompiledRule {
                    rule: r,
                    leaves,
                    tree,
                    has_silence,
                });
            }
        }
        // A device's threshold (docs/iot.md) stands for the mildest rule on its metric; a
        // graded rule keeps its distance from it (device 8 ℃: > 8 yellow, > 12 orange; a
        // freezer at −12 ℃: > −12 yellow, > −8 orange), so a device threshold never collapses
        // the grades into one.
        let mut bases: HashMap<(String, bool), f64> = HashMap::new();
        for c in &compiled {
            for l in &c.leaves {
                if let Leaf::Reading {
                    metric, op, value, ..
                } = l
                {
                    let up = op.is_upper();
                    let b = bases.entry((metric.clone(), up)).or_insert(*value);
                    *b = if up { b.min(*value) } else { b.max(*value) };
                }
            }
        }
        for c in &mut compiled {
            for l in &mut c.leaves {
                if let Leaf::Reading {
                    metric, op, base, ..
                } = l
                {
                    *base = bases[&(metric.clone(), op.is_upper())];
                }
            }
        }
        let mut by_metric: HashMap<String, Vec<usize>> = HashMap::new();
        let mut silence_rules = Vec::new();
        for (i, c) in compiled.iter().enumerate() {
            for l in &c.leaves {
                let m = match l {
                    Leaf::Reading { metric, .. } | Leaf::Event { metric, .. } => metric,
                    Leaf::Silence { .. } => continue,
                };
                let v = by_metric.entry(m.clone()).or_default();
                if !v.contains(&i) {
                    v.push(i);
                }
            }
            if c.has_silence {
                silence_rules.push(i);
            }
        }
        Self {
            rules: compiled,
            by_metric,
            silence_rules,
            state: HashMap::new(),
        }
    }

    /// How many rules the evaluator runs.
    pub fn rule_count(&self) -> usize {
        self.rules.len()
    }

    /// How many (device, rule) states it holds.
    pub fn state_count(&self) -> usize {
        self.state.len()
    }

    /// Feed one accepted reading (in per-device time order); returns triggers to raise.
    pub fn observe(&mut self, device: &DeviceInfo, r: &Reading) -> Vec<Trigger> {
        let mut out = Vec::new();
        let Some(rules) = self.by_metric.get(r.metric.as_str()) else {
            // A reading no rule reads still proves the device alive: a silence leaf ends.
            self.reset_silence(device.id);
            return out;
        };
        for &ri in rules {
            let rule = &self.rules[ri];
            let st = self
                .state
                .entry((device.id, ri as u32))
                .or_insert_with(|| RuleState {
                    leaves: vec![LeafState::default(); rule.leaves.len()],
                    fired: false,
                });
            let mut pulses = Vec::new();
            for (li, leaf) in rule.leaves.iter().enumerate() {
                let ls = &mut st.leaves[li];
                match leaf {
                    Leaf::Reading {
                        metric,
                        op,
                        value,
                        for_minutes,
                        base,
                    } if *metric == r.metric => {
                        let threshold = device_threshold(device, metric, *value, *base);
                        if op.holds(r.value, threshold) {
                            let since = *ls.since.get_or_insert(r.at);
                            ls.last_value = r.value;
                            ls.held = r.at - since >= Duration::minutes(i64::from(*for_minutes));
                        } else {
                            ls.since = None;
                            ls.held = false;
                        }
                    }
                    Leaf::Event { metric, value } if *metric == r.metric => {
                        // An event holds only at the reading that reports it: each report
                        // is an occurrence (raise folds it into the open warning).
                        ls.held = r.value == *value;
                        ls.last_value = r.value;
                        if ls.held {
                            pulses.push(li);
                        }
                    }
                    Leaf::Silence { .. } => {
                        ls.held = false;
                    }
                    _ => {}
                }
            }
            let held: Vec<bool> = st.leaves.iter().map(|l| l.held).collect();
            let now_holds = rule.tree.eval(&held);
            let fire = now_holds && (!st.fired || !pulses.is_empty());
            if fire {
                out.push(trigger(rule, device, &st.leaves, r.at, Some(r)));
            }
            st.fired = now_holds;
            for li in pulses {
                st.leaves[li].held = false;
            }
        }
        out
    }

    fn reset_silence(&mut self, device: Uuid) {
        for &ri in &self.silence_rules {
            if let Some(st) = self.state.get_mut(&(device, ri as u32)) {
                for (li, leaf) in self.rules[ri].leaves.iter().enumerate() {
                    if matches!(leaf, Leaf::Silence { .. }) {
                        st.leaves[li].held = false;
                    }
                }
                let held: Vec<bool> = st.leaves.iter().map(|l| l.held).collect();
                st.fired = self.rules[ri].tree.eval(&held);
            }
        }
    }

    /// Called periodically: devices silent for longer than a Silence rule's minutes. Fires
    /// once per silence (per `last_seen`).
    pub fn silent(
        &mut self,
        device: &DeviceInfo,
        last_seen: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Vec<Trigger> {
        let mut out = Vec::new();
        for &ri in &self.silence_rules {
            let rule = &self.rules[ri];
            let st = self
                .state
                .entry((device.id, ri as u32))
                .or_insert_with(|| RuleState {
                    leaves: vec![LeafState::default(); rule.leaves.len()],
                    fired: false,
                });
            let mut fresh = false;
            for (li, leaf) in rule.leaves.iter().enumerate() {
                if let Leaf::Silence { minutes } = leaf {
                    let ls = &mut st.leaves[li];
                    let silent = now - last_seen >= Duration::minutes(i64::from(*minutes));
                    ls.held = silent;
                    if silent && ls.silenced_for != Some(last_seen) {
                        ls.silenced_for = Some(last_seen);
                        fresh = true;
                    }
                }
            }
            let held: Vec<bool> = st.leaves.iter().map(|l| l.held).collect();
            let holds = rule.tree.eval(&held);
            if holds && (!st.fired || fresh) {
                let mut t = trigger(rule, device, &st.leaves, now, None);
                let mins = (now - last_seen).num_minutes();
                t.summary = format!("{}：设备已离线 {mins} 分钟", rule.rule.name);
                t.detail["last_seen"] = serde_json::json!(last_seen);
                t.detail["silent_minutes"] = serde_json::json!(mins);
                out.push(t);
            }
            st.fired = holds;
        }
        out
    }
}

/// A reading leaf's threshold for `device`: the rule's value, or the device's own threshold
/// moved by the rule's margin over the mildest rule on the metric.
fn device_threshold(device: &DeviceInfo, metric: &str, value: f64, base: f64) -> f64 {
    device
        .thresholds
        .get(metric)
        .map_or(value, |d| d + (value - base))
}

fn trigger(
    rule: &CompiledRule,
    device: &DeviceInfo,
    leaves: &[LeafState],
    at: DateTime<Utc>,
    r: Option<&Reading>,
) -> Trigger {
    let mut parts = Vec::new();
    for (leaf, ls) in rule.leaves.iter().zip(leaves) {
        if !ls.held {
            continue;
        }
        match leaf {
            Leaf::Reading {
                metric,
                op,
                value,
                for_minutes,
                base,
            } => {
                let (l, u) = metric_label(metric);
                let thr = device_threshold(device, metric, *value, *base);
                let mins = ls.since.map_or(0, |s| (at - s).num_minutes());
                let mut s = format!("{l} {}{u}", fmt_num1(ls.last_value));
                if *for_minutes > 0 {
                    s.push_str(&format!(" 已持续 {mins} 分钟"));
                }
                s.push_str(&format!("（阈值 {} {}{u}）", op.symbol(), fmt_num(thr)));
                parts.push(s);
            }
            Leaf::Event { metric, .. } => parts.push(format!("监测到{}", metric_label(metric).0)),
            Leaf::Silence { minutes } => parts.push(format!("设备离线超过 {minutes} 分钟")),
        }
    }
    Trigger {
        rule_id: rule.rule.id,
        rule_version: rule.rule.version,
        entity_id: device.entity_id,
        device_id: Some(device.id),
        level: rule.rule.level,
        summary: format!("{}：{}", rule.rule.name, parts.join("，")),
        observed_at: at,
        detail: serde_json::json!({
            "metric": r.map(|r| r.metric.clone()),
            "value": r.map(|r| r.value),
            "device_kind": device.kind,
        }),
    }
}

fn fmt_num1(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e15 {
        format!("{}", v as i64)
    } else {
        format!("{v:.1}")
    }
}

#[cfg(test)]
mod tests;
