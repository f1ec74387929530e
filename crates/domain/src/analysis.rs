//! Analysis and evaluation (分析评估, 国办发〔2023〕1号 (十五)): the indicators leaders and the
//! coordination office read, each a ratio (or a count, or a mean) of counts kept per month,
//! county, department and item, with the definition shown beside it on screen.

use chrono::{Datelike, NaiveDate};

use crate::Invalid;

/// How an indicator is computed from the counts (names of `store::analysis::COUNTS`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Formula {
    /// numerator ÷ denominator, shown as a percentage.
    Rate(&'static str, &'static str),
    /// A count.
    Count(&'static str),
    /// sum ÷ count, in hours (the sum is in minutes).
    MeanHours(&'static str, &'static str),
    /// A median in days, held as twice its value (a median of an even number of values is a
    /// half): the services compute it from a histogram and put it among the counts; `None`
    /// when nothing was counted (the count named second is zero).
    MedianDays(&'static str, &'static str),
}

/// Where an indicator's records are listed (drill-down).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Records {
    /// Published results (`/console/results`), filterable by department, region, item, dates.
    Results,
    /// Rectification orders (`/console/rectifications`).
    Rectifications,
    Clues,
    Warnings,
    Sanctions,
    /// Assistance requests (`/console/assistance`).
    Assistance,
}

macro_rules! indicators {
    ($($v:ident = $code:literal, $zh:literal, $formula:expr, $records:ident, $def:literal;)+) => {
        /// An indicator of the analysis pages.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
        #[serde(rename_all = "snake_case")]
        pub enum Indicator { $($v),+ }

        impl Indicator {
            pub const ALL: &'static [Indicator] = &[$(Indicator::$v),+];
            pub fn as_str(self) -> &'static str { match self { $(Indicator::$v => $code),+ } }
            pub fn label_zh(self) -> &'static str { match self { $(Indicator::$v => $zh),+ } }
            pub fn formula(self) -> Formula { match self { $(Indicator::$v => $formula),+ } }
            pub fn records(self) -> Records { match self { $(Indicator::$v => Records::$records),+ } }
            /// The definition shown beside the figure.
            pub fn definition_zh(self) -> &'static str { match self { $(Indicator::$v => $def),+ } }
        }
    };
}

use Formula::*;

indicators! {
    PlanCompletion = "plan_completion", "计划完成率", Rate("plan_published", "plan_due"), Results,
        "已公示的双随机抽查事项 ÷ 应完成的双随机抽查事项（任务期限截止日在统计期内且已到期、未取消；一次检查按所查事项计）";
    ProblemRate = "problem_rate", "问题发现率", Rate("problems", "inspected"), Results,
        "检查结果为发现问题（未按规定公示、虚假公示、已责令改正、待处理、不配合检查、违反其他部门规定）的检查事项 ÷ 已完成的检查事项（按检查日期）";
    JointShare = "joint_share", "联合检查占比", Rate("joint", "inspected"), Results,
        "两个及以上部门同一次上门完成的检查事项 ÷ 已完成的检查事项";
    VisitsSaved = "visits_saved", "联合检查减少上门次数", Count("saved"), Results,
        "每次联合检查中牵头部门以外的每个部门计 1 次（否则需各自上门），计入该部门在本次检查中的第一个事项";
    RectificationRate = "rectification_rate", "整改率", Rate("rect_passed", "rect_issued"), Rectifications,
        "复查合格的责令整改通知 ÷ 下达的责令整改通知（按下达日期）";
    RectificationOnTime = "rectification_on_time", "按期整改率", Rate("rect_on_time", "rect_passed"), Rectifications,
        "在整改期限内报告整改且复查合格的 ÷ 复查合格的";
    PublicationTimeliness = "publication_timeliness", "公示及时率", Rate("published_on_time", "published"), Results,
        "在完成检查后 20 个工作日内公示的检查事项 ÷ 已公示的检查事项（鲁双随机办原则六）";
    ClueResponse = "clue_response", "线索签收及时率", Rate("clue_signed_in_time", "clue_dispatched"), Clues,
        "在签收期限内签收的线索 ÷ 分派给部门的线索（按分派日期，来自线索时限的日统计）";
    ClueOnTime = "clue_on_time", "线索按时办结率", Rate("clue_finished_in_time", "clue_finished"), Clues,
        "在（经批准延长后的）办结期限内办结的线索 ÷ 办结的线索（按办结日期）";
    ClueSatisfaction = "clue_satisfaction", "线索满意率", Rate("clue_satisfied", "clue_evaluated"), Clues,
        "回访评价为满意或基本满意的 ÷ 回访评价的（按回访日期）";
    WarningResponse = "warning_response", "预警平均响应时长（小时）", MeanHours("warn_minutes", "warn_signed"), Warnings,
        "从预警生成到各推送部门签收的平均时长（按预警生成月份）";
    SanctionFeedback = "sanction_feedback", "惩戒反馈率", Rate("sanction_fed_back", "sanction_tasks"), Sanctions,
        "已反馈执行情况的联合惩戒任务 ÷ 下达的联合惩戒任务（按下达日期）";
    SanctionFeedbackOnTime = "sanction_feedback_on_time", "惩戒按期反馈率", Rate("sanction_on_time", "sanction_tasks"), Sanctions,
        "在反馈期限内反馈的联合惩戒任务 ÷ 下达的联合惩戒任务";
    AssistanceOnTime = "assistance_on_time", "协查按时答复率", Rate("assist_on_time", "assist_answered"), Assistance,
        "在答复期限内答复的协查请求 ÷ 已答复的协查请求（按答复日期计入受理部门；要求补充答复的，以最近一次答复计；移送案件中向公安机关的咨询由公安机关答复，不计入）";
    AssistanceMedianDays = "assistance_median_days", "协查答复用时中位数（天）", MedianDays("assist_median_x2", "assist_answered"), Assistance,
        "已答复的协查请求从开始计算答复时限（发出请求或要求补充答复之日）到答复之日的自然日数，取中位数（按答复日期计入受理部门，范围同协查按时答复率）";
}

impl Indicator {
    /// The value from the counts (`None`: nothing to divide by).
    pub fn value(self, get: impl Fn(&str) -> i64) -> Option<f64> {
        match self.formula() {
            Rate(n, d) => {
                let d = get(d);
                (d > 0).then(|| get(n) as f64 / d as f64)
            }
            Count(n) => Some(get(n) as f64),
            MeanHours(sum, n) => {
                let n = get(n);
                (n > 0).then(|| get(sum) as f64 / n as f64 / 60.0)
            }
            MedianDays(x2, n) => (get(n) > 0).then(|| get(x2) as f64 / 2.0),
        }
    }

    /// The value as shown: a percentage with one decimal, a count, hours with one decimal, or
    /// "—" when there is nothing to divide by.
    pub fn show(self, v: Option<f64>) -> String {
        match (self.formula(), v) {
            (_, None) => "—".into(),
            (Rate(..), Some(v)) => format!("{:.1}%", v * 100.0),
            (Count(_), Some(v)) => format!("{}", v as i64),
            (MeanHours(..) | MedianDays(..), Some(v)) => format!("{v:.1}"),
        }
    }

    /// Whether the indicator is counted per item (clues, warnings and sanctions are not).
    pub fn by_item(self) -> bool {
        matches!(self.records(), Records::Results | Records::Rectifications)
    }
}

/// Twice the median of the values a histogram holds (`(value, how many)`, any order; merged
/// buckets of one value may repeat): the middle value, or the sum of the two middle ones when
/// their number is even. `None` for an empty histogram.
pub fn median_x2(hist: &[(i64, i64)]) -> Option<i64> {
    let mut h: Vec<(i64, i64)> = hist.iter().copied().filter(|(_, n)| *n > 0).collect();
    h.sort_unstable();
    let total: i64 = h.iter().map(|(_, n)| n).sum();
    if total == 0 {
        return None;
    }
    // The values at 0-based positions (total - 1) / 2 and total / 2.
    let at = |pos: i64| -> i64 {
        let mut seen = 0;
        for (v, n) in &h {
            seen += n;
            if pos < seen {
                return *v;
            }
        }
        h.last().expect("not empty").0
    };
    Some(at((total - 1) / 2) + at(total / 2))
}

/// A period of whole months, `from` and `to` the first days of their months.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Months {
    pub from: NaiveDate,
    pub to: NaiveDate,
}

/// The longest period read at once: ten years.
pub const MAX_MONTHS: i32 = 120;

impl Months {
    /// Parses `YYYY-MM` bounds; none given: the twelve months up to and including `today`'s.
    /// An error names its field (`from` or `to`).
    pub fn parse(
        from: Option<&str>,
        to: Option<&str>,
        today: NaiveDate,
    ) -> Result<Self, (&'static str, Invalid)> {
        let month = |s: &str| -> Result<NaiveDate, Invalid> {
            let s = s.trim();
            if s.len() > 10 {
                return Err(bad(s));
            }
            NaiveDate::parse_from_str(&format!("{s}-01"), "%Y-%m-%d").map_err(|_| bad(s))
        };
        let this = first_of(today);
        let to = match to {
            Some(s) if !s.trim().is_empty() => month(s).map_err(|e| ("to", e))?,
            _ => this,
        };
        let from = match from {
            Some(s) if !s.trim().is_empty() => month(s).map_err(|e| ("from", e))?,
            _ => add_months(to, -11),
        };
        if from > to {
            return Err((
                "from",
                Invalid::new(
                    "period_reversed",
                    "起始月份晚于截止月份",
                    "the first month is after the last",
                ),
            ));
        }
        if months_between(from, to) >= MAX_MONTHS {
            return Err((
                "from",
                Invalid::new(
                    "period_too_long",
                    format!("统计期最长 {MAX_MONTHS} 个月"),
                    format!("the period is at most {MAX_MONTHS} months"),
                ),
            ));
        }
        Ok(Months { from, to })
    }

    /// The last day of the period.
    pub fn last_day(&self) -> NaiveDate {
        add_months(self.to, 1).pred_opt().expect("a day before")
    }

    /// Every month of the period as `YYYY-MM`.
    pub fn labels(&self) -> Vec<String> {
        let n = months_between(self.from, self.to);
        (0..=n)
            .map(|k| add_months(self.from, k).format("%Y-%m").to_string())
            .collect()
    }
}

fn bad(s: &str) -> Invalid {
    Invalid::new(
        "month",
        format!("月份“{s}”不正确，应为 2026-12 这样的格式"),
        format!("'{s}' is not a month (YYYY-MM)"),
    )
}

pub fn first_of(d: NaiveDate) -> NaiveDate {
    d.with_day(1).expect("day 1")
}

fn months_between(a: NaiveDate, b: NaiveDate) -> i32 {
    (b.year() - a.year()) * 12 + b.month() as i32 - a.month() as i32
}

/// `d` (a first of month) moved by `k` months.
pub fn add_months(d: NaiveDate, k: i32) -> NaiveDate {
    let m = d.year() * 12 + d.month0() as i32 + k;
    NaiveDate::from_ymd_opt(m.div_euclid(12), m.rem_euclid(12) as u32 + 1, 1).expect("a month")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn default_period_is_the_last_twelve_months() {
        let m = Months::parse(None, None, d("2026-12-07")).unwrap();
        assert_eq!((m.from, m.to), (d("2026-01-01"), d("2026-12-01")));
        assert_eq!(m.last_day(), d("2026-12-31"));
        assert_eq!(m.labels().len(), 12);
    }

    #[test]
    fn bad_periods_are_named() {
        let t = d("2026-12-07");
        assert_eq!(
            Months::parse(Some("2026-13"), None, t).unwrap_err().1.code,
            "month"
        );
        assert_eq!(
            Months::parse(Some("2026-05"), Some("2026-04"), t)
                .unwrap_err()
                .1
                .code,
            "period_reversed"
        );
        assert_eq!(
            Months::parse(Some("2010-01"), Some("2026-04"), t)
                .unwrap_err()
                .1
                .code,
            "period_too_long"
        );
        assert_eq!(
            Months::parse(Some(&"9".repeat(50)), None, t)
                .unwrap_err()
                .1
                .code,
            "month"
        );
    }

    #[test]
    fn values() {
        let get = |k: &str| match k {
            "plan_published" => 3,
            "plan_due" => 4,
            "warn_minutes" => 180,
            "warn_signed" => 2,
            _ => 0,
        };
        assert_eq!(Indicator::PlanCompletion.value(get), Some(0.75));
        assert_eq!(Indicator::PlanCompletion.show(Some(0.75)), "75.0%");
        assert_eq!(Indicator::ProblemRate.value(get), None);
        assert_eq!(Indicator::ProblemRate.show(None), "—");
        assert_eq!(Indicator::WarningResponse.value(get), Some(1.5));
        assert_eq!(Indicator::VisitsSaved.value(get), Some(0.0));
        assert_eq!(Indicator::AssistanceMedianDays.value(get), None);
        let get = |k: &str| match k {
            "assist_median_x2" => 7,
            "assist_answered" => 4,
            "assist_on_time" => 3,
            _ => 0,
        };
        assert_eq!(Indicator::AssistanceMedianDays.value(get), Some(3.5));
        assert_eq!(Indicator::AssistanceMedianDays.show(Some(3.5)), "3.5");
        assert_eq!(Indicator::AssistanceOnTime.value(get), Some(0.75));
        assert!(!Indicator::AssistanceOnTime.by_item());
    }

    #[test]
    fn median_of_a_histogram() {
        assert_eq!(median_x2(&[]), None);
        assert_eq!(median_x2(&[(4, 1)]), Some(8));
        // 1, 2, 2, 9: (2 + 2) / 2.
        assert_eq!(median_x2(&[(1, 1), (2, 2), (9, 1)]), Some(4));
        // 1, 3: 2.
        assert_eq!(median_x2(&[(1, 1), (3, 1)]), Some(4));
        // 0, 0, 5: 0.
        assert_eq!(median_x2(&[(0, 2), (5, 1)]), Some(0));
        // 1, 2, 3, 4 across unsorted buckets: 2.5.
        assert_eq!(median_x2(&[(4, 1), (1, 1), (3, 1), (2, 1)]), Some(5));
    }
}
