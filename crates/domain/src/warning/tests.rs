use super::*;
use crate::lifecycle::check_graph;
use proptest::prelude::*;
use std::collections::BTreeMap;

fn t0() -> DateTime<Utc> {
    "2026-12-07T08:00:00Z".parse().unwrap()
}

fn rule(code: &str, level: Level, condition: Condition) -> WarningRule {
    WarningRule {
        id: Uuid::now_v7(),
        version: 1,
        code: code.into(),
        name: "冷库温度".into(),
        sector: "food".into(),
        level,
        assessment: None,
        condition,
        push: PushRule {
            lines: vec!["market".into()],
            item_departments: false,
        },
        plan: vec![PlanStep {
            name: "现场核查".into(),
            deadline: StepDeadline::Hours(4),
        }],
    }
}

fn cold() -> Condition {
    Condition::Reading {
        metric: "temperature".into(),
        op: Op::Gt,
        value: 8.0,
        for_minutes: 30,
    }
}

fn device() -> DeviceInfo {
    DeviceInfo {
        id: Uuid::now_v7(),
        kind: "fridge".into(),
        entity_id: Uuid::now_v7(),
        thresholds: BTreeMap::new(),
    }
}

fn reading(d: &DeviceInfo, metric: &str, value: f64, minute: i64) -> Reading {
    Reading {
        device_id: d.id,
        metric: metric.into(),
        value,
        at: t0() + Duration::minutes(minute),
    }
}

#[test]
fn the_warning_lifecycle_is_a_connected_graph() {
    check_graph(WarningStatus::parse);
    assert!(WarningStatus::Handling.is_open());
    assert!(!WarningStatus::ToClue.is_open());
}

#[test]
fn a_major_warning_is_assessed_before_it_is_handled_or_closed() {
    use WarningAction as A;
    use WarningStatus as S;
    assert_eq!(A::Raise.step(None, true).unwrap().to, S::Raised);
    assert!(A::Sign.step(None, false).is_err());
    assert_eq!(A::Push.step(Some(S::Raised), true).unwrap().to, S::Pushed);
    assert_eq!(A::Sign.step(Some(S::Pushed), true).unwrap().to, S::Signed);
    for a in [A::Handle, A::Close, A::ToClue, A::ToVisit] {
        assert_eq!(
            a.step(Some(S::Signed), true).unwrap_err().code,
            "assessment_required"
        );
        assert!(a.step(Some(S::Signed), false).is_ok());
        assert!(a.step(Some(S::Decided), true).is_ok());
    }
    assert_eq!(
        A::Assess.step(Some(S::Signed), true).unwrap().to,
        S::Assessing
    );
    // A minor warning may be assessed too if its handlers ask for it.
    assert!(A::Assess.step(Some(S::Signed), false).is_ok());
    assert!(A::Decide.step(Some(S::Signed), true).is_err());
    assert_eq!(
        A::Decide.step(Some(S::Assessing), true).unwrap().to,
        S::Decided
    );
    assert!(A::Close.step(Some(S::Closed), false).is_err());
    assert!(A::Sign.step(Some(S::Signed), false).is_err());
    assert!(A::Raise.step(Some(S::Raised), false).is_err());
    assert!(A::Close.needs_reason() && !A::Sign.needs_reason());
    assert!(Level::Red.is_major() && Level::Orange.is_major() && !Level::Yellow.is_major());
    let mut r = rule("YJ-1", Level::Blue, cold());
    assert!(!r.is_major());
    r.assessment = Some(true);
    assert!(r.is_major());
}

#[test]
fn conditions_parse_and_every_error_names_its_place() {
    let c = Condition::parse_json(
        r#"{"type":"reading","metric":"temperature","op":">","value":8,"for_minutes":30}"#,
    )
    .unwrap();
    assert_eq!(c, cold());
    assert_eq!(c.describe(), "温度 > 8 ℃ 持续 30 分钟");
    let any = Condition::parse_json(
        r#"{"type":"any","of":[{"type":"event","metric":"rat","value":1},{"type":"silence","minutes":60}]}"#,
    )
    .unwrap();
    assert_eq!(any.kind(), ConditionKind::Device);
    let rec = Condition::parse_json(
        r#"{"type":"all","of":[{"type":"count_in_window","fact":"complaints","at_least":3,"days":30},{"type":"expiry","what":"licence","within_days":30}]}"#,
    )
    .unwrap();
    assert_eq!(rec.kind(), ConditionKind::Record);
    assert_eq!(
        rec.describe(),
        "30 天内投诉举报线索达到 3 次 且 许可证在 30 天内到期"
    );

    let e =
        Condition::parse_json(r#"{"type":"reading","metric":"temperature","op":"=","value":8}"#)
            .unwrap_err();
    assert_eq!(e.code, "condition");
    assert!(e.zh.contains("`>=`"), "{}", e.zh);
    let e = Condition::parse_json(r#"{"type":"reading","metric":"Temp!","op":">","value":8}"#)
        .unwrap_err();
    assert_eq!(e.code, "metric");
    assert!(e.zh.contains("condition.metric"));
    let e = Condition::parse_json(r#"{"type":"silence","minutes":0}"#).unwrap_err();
    assert_eq!(e.code, "out_of_range");
    let e = Condition::parse_json(
        r#"{"type":"all","of":[{"type":"silence","minutes":5},{"type":"expiry","what":"licence","within_days":3}]}"#,
    )
    .unwrap_err();
    assert_eq!(e.code, "mixed");
    assert!(e.zh.contains("condition.of[1]"));
    let e = Condition::parse_json(r#"{"type":"any","of":[]}"#).unwrap_err();
    assert_eq!(e.code, "empty");
    let e = Condition::parse_json(
        r#"{"type":"count_in_window","fact":"gossip","at_least":3,"days":30}"#,
    )
    .unwrap_err();
    assert_eq!(e.code, "condition");
    // Depth and size are bounded.
    let mut deep = r#"{"type":"silence","minutes":5}"#.to_string();
    for _ in 0..5 {
        deep = format!(r#"{{"type":"any","of":[{deep}]}}"#);
    }
    assert_eq!(Condition::parse_json(&deep).unwrap_err().code, "too_deep");
    let many = format!(
        r#"{{"type":"any","of":[{}]}}"#,
        vec![r#"{"type":"silence","minutes":5}"#; 20].join(",")
    );
    assert!(Condition::parse_json(&many).is_err());
    assert_eq!(
        Condition::parse_json(&"x".repeat(9000)).unwrap_err().code,
        "too_long"
    );
}

#[test]
fn plans_and_push_rules_parse_with_bounds() {
    let p = parse_plan(r#"[{"name":"现场核查","deadline":{"hours":2}},{"name":"整改复查","deadline":{"working_days":5}}]"#).unwrap();
    assert_eq!(p[1].deadline, StepDeadline::WorkingDays(5));
    assert_eq!(parse_plan("[]").unwrap_err().code, "plan_steps");
    assert_eq!(
        parse_plan(r#"[{"name":"核查","deadline":{"hours":0}}]"#)
            .unwrap_err()
            .code,
        "deadline"
    );
    assert_eq!(
        parse_plan(
            r#"[{"name":"核查","deadline":{"hours":2}},{"name":"核查","deadline":{"hours":3}}]"#
        )
        .unwrap_err()
        .code,
        "duplicate"
    );
    assert_eq!(parse_plan(r#"[{"name":"核查"}]"#).unwrap_err().code, "plan");
    assert_eq!(
        parse_push(r#"{"lines":["market","health"]}"#)
            .unwrap()
            .lines,
        vec!["market", "health"]
    );
    assert_eq!(parse_push("{}").unwrap_err().code, "required");
    assert_eq!(
        parse_push(r#"{"lines":["Market"]}"#).unwrap_err().code,
        "line"
    );
    assert_eq!(parse_push(r#"{"linez":[]}"#).unwrap_err().code, "push");
    assert_eq!(rule_code(" yj-ll-01 ").unwrap(), "YJ-LL-01");
    assert!(rule_code("预警").is_err());
}

#[test]
fn a_reading_above_the_threshold_triggers_once_after_its_duration() {
    let d = device();
    let mut ev = ReadingEvaluator::new(vec![rule("YJ-1", Level::Yellow, cold())]);
    assert!(
        ev.observe(&d, &reading(&d, "temperature", 9.0, 0))
            .is_empty()
    );
    assert!(
        ev.observe(&d, &reading(&d, "temperature", 9.1, 29))
            .is_empty()
    );
    let t = ev.observe(&d, &reading(&d, "temperature", 9.2, 31));
    assert_eq!(t.len(), 1);
    assert_eq!(
        t[0].summary,
        "冷库温度：温度 9.2 ℃ 已持续 31 分钟（阈值 > 8 ℃）"
    );
    assert_eq!(t[0].entity_id, d.entity_id);
    assert_eq!(t[0].device_id, Some(d.id));
    assert_eq!(t[0].level, Level::Yellow);
    // The same excursion does not trigger again.
    assert!(
        ev.observe(&d, &reading(&d, "temperature", 9.5, 40))
            .is_empty()
    );
    // Back under: the duration resets; a new excursion must last 30 minutes again.
    assert!(
        ev.observe(&d, &reading(&d, "temperature", 7.0, 41))
            .is_empty()
    );
    assert!(
        ev.observe(&d, &reading(&d, "temperature", 9.0, 42))
            .is_empty()
    );
    assert!(
        ev.observe(&d, &reading(&d, "temperature", 9.0, 71))
            .is_empty()
    );
    assert_eq!(
        ev.observe(&d, &reading(&d, "temperature", 9.0, 72)).len(),
        1
    );
    // Other metrics and other devices are not confused with it.
    assert!(
        ev.observe(&d, &reading(&d, "humidity", 99.0, 73))
            .is_empty()
    );
    let d2 = device();
    assert!(
        ev.observe(&d2, &reading(&d2, "temperature", 9.0, 73))
            .is_empty()
    );
}

#[test]
fn a_device_threshold_overrides_the_rules_value() {
    let mut d = device();
    d.thresholds.insert("temperature".into(), 4.0);
    let mut ev = ReadingEvaluator::new(vec![rule(
        "YJ-1",
        Level::Yellow,
        Condition::Reading {
            metric: "temperature".into(),
            op: Op::Gt,
            value: 8.0,
            for_minutes: 0,
        },
    )]);
    let t = ev.observe(&d, &reading(&d, "temperature", 5.0, 0));
    assert_eq!(t.len(), 1);
    assert!(t[0].summary.contains("阈值 > 4 ℃"), "{}", t[0].summary);
}

#[test]
fn graded_rules_keep_their_margin_over_a_device_threshold() {
    let graded = |code: &str, level: Level, value: f64| {
        rule(
            code,
            level,
            Condition::Reading {
                metric: "temperature".into(),
                op: Op::Gt,
                value,
                for_minutes: 0,
            },
        )
    };
    let rules = vec![
        graded("YJ-Y", Level::Yellow, 8.0),
        graded("YJ-O", Level::Orange, 12.0),
    ];
    let codes = |t: Vec<Trigger>| {
        t.iter()
            .map(|t| {
                let r = rules.iter().find(|r| r.id == t.rule_id).unwrap();
                r.code.clone()
            })
            .collect::<Vec<_>>()
    };
    // A fridge whose own limit is the rules' 8 ℃: 10 ℃ is yellow only, 13 ℃ orange too.
    let mut fridge = device();
    fridge.thresholds.insert("temperature".into(), 8.0);
    let mut ev = ReadingEvaluator::new(rules.clone());
    let at = |d: &DeviceInfo, v: f64, m: i64| reading(d, "temperature", v, m);
    assert_eq!(codes(ev.observe(&fridge, &at(&fridge, 10.0, 0))), ["YJ-Y"]);
    assert_eq!(codes(ev.observe(&fridge, &at(&fridge, 13.0, 1))), ["YJ-O"]);
    // A freezer whose limit is −12 ℃: yellow above −12, orange above −8.
    let mut freezer = device();
    freezer.thresholds.insert("temperature".into(), -12.0);
    let mut ev = ReadingEvaluator::new(rules.clone());
    assert_eq!(
        codes(ev.observe(&freezer, &at(&freezer, -10.0, 0))),
        ["YJ-Y"]
    );
    assert_eq!(
        codes(ev.observe(&freezer, &at(&freezer, -7.0, 1))),
        ["YJ-O"]
    );
}

#[test]
fn each_event_is_an_occurrence() {
    let d = device();
    let mut ev = ReadingEvaluator::new(vec![rule(
        "YJ-RAT",
        Level::Red,
        Condition::Event {
            metric: "rat".into(),
            value: 1.0,
        },
    )]);
    assert_eq!(ev.observe(&d, &reading(&d, "rat", 1.0, 0)).len(), 1);
    assert_eq!(ev.observe(&d, &reading(&d, "rat", 1.0, 1)).len(), 1);
    assert!(ev.observe(&d, &reading(&d, "rat", 0.0, 2)).is_empty());
    let t = ev.observe(&d, &reading(&d, "rat", 1.0, 3));
    assert_eq!(t[0].summary, "冷库温度：监测到鼠患");
}

#[test]
fn silence_fires_once_per_silence() {
    let d = device();
    let mut ev = ReadingEvaluator::new(vec![rule(
        "YJ-OFF",
        Level::Blue,
        Condition::Silence { minutes: 60 },
    )]);
    let seen = t0();
    assert!(ev.silent(&d, seen, seen + Duration::minutes(59)).is_empty());
    let t = ev.silent(&d, seen, seen + Duration::minutes(61));
    assert_eq!(t.len(), 1);
    assert!(t[0].summary.contains("离线 61 分钟"));
    assert!(
        ev.silent(&d, seen, seen + Duration::minutes(120))
            .is_empty()
    );
    // It reports again, then falls silent again: a new silence.
    ev.observe(&d, &reading(&d, "temperature", 3.0, 130));
    let seen2 = seen + Duration::minutes(130);
    assert_eq!(ev.silent(&d, seen2, seen2 + Duration::minutes(61)).len(), 1);
}

#[test]
fn combinations_fire_when_the_tree_holds() {
    let d = device();
    let c = Condition::All {
        of: vec![
            Condition::Reading {
                metric: "temperature".into(),
                op: Op::Gt,
                value: 8.0,
                for_minutes: 0,
            },
            Condition::Reading {
                metric: "humidity".into(),
                op: Op::Ge,
                value: 90.0,
                for_minutes: 0,
            },
        ],
    };
    let mut ev = ReadingEvaluator::new(vec![rule("YJ-2", Level::Orange, c)]);
    assert!(
        ev.observe(&d, &reading(&d, "temperature", 9.0, 0))
            .is_empty()
    );
    assert_eq!(ev.observe(&d, &reading(&d, "humidity", 95.0, 1)).len(), 1);
    assert!(ev.observe(&d, &reading(&d, "humidity", 96.0, 2)).is_empty());
    // Record conditions are not the evaluator's.
    let ev = ReadingEvaluator::new(vec![rule(
        "YJ-3",
        Level::Blue,
        Condition::Expiry {
            what: ExpiryKind::Licence,
            within_days: 30,
        },
    )]);
    assert_eq!(ev.rule_count(), 0);
}

proptest! {
    /// Against a naive model: with one device and a `> t for m` rule, a trigger happens exactly
    /// at readings where the excursion has lasted m minutes for the first time.
    #[test]
    fn the_evaluator_agrees_with_a_naive_model(
        values in proptest::collection::vec((0.0f64..16.0, 1i64..20), 1..200),
        minutes in 0u32..60,
    ) {
        let d = device();
        let c = Condition::Reading { metric: "temperature".into(), op: Op::Gt, value: 8.0, for_minutes: minutes };
        let mut ev = ReadingEvaluator::new(vec![rule("YJ-P", Level::Yellow, c)]);
        let mut at = 0i64;
        let mut since: Option<i64> = None;
        let mut fired = false;
        for (v, step) in values {
            at += step;
            let got = ev.observe(&d, &reading(&d, "temperature", v, at)).len();
            let want = if v > 8.0 {
                let s = *since.get_or_insert(at);
                let holds = at - s >= i64::from(minutes);
                let f = holds && !fired;
                fired = holds;
                usize::from(f)
            } else {
                since = None;
                fired = false;
                0
            };
            prop_assert_eq!(got, want);
        }
    }
}
