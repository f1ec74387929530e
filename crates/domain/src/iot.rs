//! IoT sensing for non-site supervision (物联网感知监测, 国办发〔2023〕1号 (八)、(十五), 舞阳 (四)):
//! the device registry's values, readings, the MQTT payload convention (docs/iot.md) and the
//! exceedance rule. Pure: the consumer (services::iot) feeds bytes in and gets readings or the
//! reason a message is refused.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, TimeZone, Timelike, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::Invalid;
use crate::directory::labelled_enum;

labelled_enum!(
    /// What a device is (设备类型): decides nothing by itself; the warning rules match on it.
    DeviceKind {
        ColdChainThermometer = "cold_chain_thermometer" / "冷链温度计",
        KitchenCamera = "kitchen_camera" / "明厨亮灶摄像头",
        GasAlarm = "gas_alarm" / "燃气报警器",
        SmokeDetector = "smoke_detector" / "烟感报警器",
        WaterQuality = "water_quality" / "水质监测仪",
        Other = "other" / "其他设备",
    }
);

labelled_enum!(
    /// A device in use (在用) reports; a retired one (已停用) is kept with its history and its
    /// messages are refused as from an unknown device.
    DeviceStatus {
        Active = "active" / "在用",
        Retired = "retired" / "已停用",
    }
);

/// One accepted reading. Field names are those of `domain::warning::Reading` (the warnings'
/// evaluator), so the hook is a plain adapter.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Reading {
    pub device_id: Uuid,
    pub metric: String,
    pub value: f64,
    pub at: DateTime<Utc>,
}

/// What the evaluator needs of a device (field names as `domain::warning::DeviceInfo`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DeviceInfo {
    pub id: Uuid,
    /// The kind's code (`DeviceKind::as_str`).
    pub kind: String,
    pub entity_id: Uuid,
    /// Per-metric thresholds; they override the warning rules' values for this device.
    pub thresholds: BTreeMap<String, f64>,
}

/// The vendor's id of a device (设备编号), also the topic segment it publishes under: 1–64
/// characters of `A–Z a–z 0–9 . _ : -` (never `/`, `+` or `#`, which MQTT topics reserve).
pub fn external_id(s: &str) -> Result<String, Invalid> {
    let t = s.trim();
    if t.is_empty() {
        return Err(Invalid::new(
            "required",
            "设备编号不能为空",
            "the device id is required",
        ));
    }
    if t.len() > 64 {
        return Err(Invalid::new(
            "too_long",
            "设备编号最多 64 个字符",
            "the device id has at most 64 characters",
        ));
    }
    if let Some(c) = t
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | ':' | '-')))
    {
        return Err(Invalid::new(
            "bad_device_id",
            format!("设备编号只能包含字母、数字和 . _ : -（含有“{c}”）"),
            format!("the device id may hold only letters, digits and . _ : - (found '{c}')"),
        ));
    }
    Ok(t.to_string())
}

/// A metric name (指标): 1–32 characters of lower-case ASCII letters, digits and `_`,
/// starting with a letter (`temperature`, `rat`, `gas_lel`).
pub fn metric(s: &str) -> Result<String, Invalid> {
    let t = s.trim();
    let ok = !t.is_empty()
        && t.len() <= 32
        && t.starts_with(|c: char| c.is_ascii_lowercase())
        && t.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if ok {
        Ok(t.to_string())
    } else {
        Err(Invalid::new(
            "bad_metric",
            format!(
                "指标名“{}”无效：须为 1–32 个小写字母、数字或下划线，以字母开头",
                short(t)
            ),
            format!(
                "metric '{}' is invalid: 1–32 lower-case letters, digits or _, starting with a letter",
                short(t)
            ),
        ))
    }
}

fn short(s: &str) -> String {
    s.chars().take(40).collect()
}

/// Most metrics one device may carry thresholds for.
pub const MAX_THRESHOLDS: usize = 32;

/// Thresholds as typed in a form: `temperature=8; gas_lel=25` (`;`, `,` or new lines between
/// pairs, `=` or `:` inside), each metric once, each value finite.
pub fn thresholds(s: &str) -> Result<BTreeMap<String, f64>, Invalid> {
    let mut out = BTreeMap::new();
    for part in s.split([';', ',', '\n', '；', '，']) {
        let part = part.trim();
        if part.is_empty() {
            continue;
        }
        let Some((k, v)) = part.split_once(['=', ':', '：']) else {
            return Err(Invalid::new(
                "bad_threshold",
                format!("阈值“{}”应写成 指标=数值", short(part)),
                format!("threshold '{}' must read metric=value", short(part)),
            ));
        };
        let k = metric(k)?;
        let v = threshold_value(v.trim().parse::<f64>().map_err(|_| {
            Invalid::new(
                "bad_threshold",
                format!("阈值“{}”的数值无效", short(part)),
                format!("threshold '{}' has no valid number", short(part)),
            )
        })?)?;
        if out.insert(k.clone(), v).is_some() {
            return Err(Invalid::new(
                "duplicate_threshold",
                format!("指标 {k} 的阈值重复"),
                format!("metric {k} has two thresholds"),
            ));
        }
    }
    check_thresholds(out)
}

fn threshold_value(v: f64) -> Result<f64, Invalid> {
    if v.is_finite() && v.abs() <= 1e12 {
        Ok(v)
    } else {
        Err(Invalid::new(
            "bad_threshold",
            "阈值须为有限数值",
            "a threshold must be a finite number",
        ))
    }
}

/// Checks a map of thresholds (from JSON): metric names, finite values, at most
/// [`MAX_THRESHOLDS`].
pub fn check_thresholds(m: BTreeMap<String, f64>) -> Result<BTreeMap<String, f64>, Invalid> {
    if m.len() > MAX_THRESHOLDS {
        return Err(Invalid::new(
            "too_many_thresholds",
            format!("阈值最多 {MAX_THRESHOLDS} 项"),
            format!("at most {MAX_THRESHOLDS} thresholds"),
        ));
    }
    let mut out = BTreeMap::new();
    for (k, v) in m {
        out.insert(metric(&k)?, threshold_value(v)?);
    }
    Ok(out)
}

/// Thresholds as a form shows them: `temperature=8; rat=0`.
pub fn thresholds_text(m: &BTreeMap<String, f64>) -> String {
    m.iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("; ")
}

/// Silence minutes (静默时长): how long a device may say nothing before it counts as silent;
/// 1 minute to 30 days.
pub fn silence_minutes(n: i64) -> Result<u32, Invalid> {
    if (1..=43_200).contains(&n) {
        Ok(n as u32)
    } else {
        Err(Invalid::new(
            "bad_silence",
            "静默时长须为 1–43200 分钟",
            "silence minutes must be 1–43200",
        ))
    }
}

/// Whether `value` is an exceedance (超限) of `threshold`: strictly above it. A threshold is an
/// upper limit (冷链 8 ℃, 燃气浓度); events report 1 and carry the threshold 0.
pub fn exceeds(value: f64, threshold: f64) -> bool {
    value > threshold
}

/// The minute a reading counts in (minute aggregates are per device, metric and minute, UTC).
pub fn minute_of(at: DateTime<Utc>) -> DateTime<Utc> {
    at.with_second(0)
        .and_then(|t| t.with_nanosecond(0))
        .unwrap_or(at)
}

// ---- the payload convention (docs/iot.md) ----

/// Why a message was refused. Counted per reason; a few samples are kept for the console.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum BadReason {
    TooLarge,
    NotJson,
    BadShape,
    BadTopic,
    UnknownDevice,
    BadMetric,
    NotFinite,
    BadTime,
    FromFuture,
    TooOld,
    TooManyReadings,
}

impl BadReason {
    pub const ALL: &'static [BadReason] = &[
        BadReason::TooLarge,
        BadReason::NotJson,
        BadReason::BadShape,
        BadReason::BadTopic,
        BadReason::UnknownDevice,
        BadReason::BadMetric,
        BadReason::NotFinite,
        BadReason::BadTime,
        BadReason::FromFuture,
        BadReason::TooOld,
        BadReason::TooManyReadings,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            BadReason::TooLarge => "too_large",
            BadReason::NotJson => "not_json",
            BadReason::BadShape => "bad_shape",
            BadReason::BadTopic => "bad_topic",
            BadReason::UnknownDevice => "unknown_device",
            BadReason::BadMetric => "bad_metric",
            BadReason::NotFinite => "not_finite",
            BadReason::BadTime => "bad_time",
            BadReason::FromFuture => "from_future",
            BadReason::TooOld => "too_old",
            BadReason::TooManyReadings => "too_many_readings",
        }
    }

    pub fn label_zh(self) -> &'static str {
        match self {
            BadReason::TooLarge => "消息过大",
            BadReason::NotJson => "不是 JSON",
            BadReason::BadShape => "格式不符约定",
            BadReason::BadTopic => "主题不符约定",
            BadReason::UnknownDevice => "未登记或已停用的设备",
            BadReason::BadMetric => "指标名无效",
            BadReason::NotFinite => "数值无效（非有限数）",
            BadReason::BadTime => "时间无效",
            BadReason::FromFuture => "时间超前（时钟偏差过大）",
            BadReason::TooOld => "时间过旧（超出保留期）",
            BadReason::TooManyReadings => "单条消息读数过多",
        }
    }
}

/// Limits of the payload convention.
#[derive(Debug, Clone, Copy)]
pub struct PayloadLimits {
    /// Largest payload in bytes, checked before parsing.
    pub max_bytes: usize,
    /// Most readings in one message.
    pub max_readings: usize,
    /// How far ahead of the server's clock a reading may be (device clock skew).
    pub max_skew: Duration,
    /// How far back a late reading is still accepted (the raw readings' retention).
    pub max_age: Duration,
}

impl Default for PayloadLimits {
    fn default() -> Self {
        Self {
            max_bytes: 64 * 1024,
            max_readings: 1000,
            max_skew: Duration::minutes(5),
            max_age: Duration::days(7),
        }
    }
}

/// A message of one device, parsed: its id if it carries one, and its readings (metric,
/// value, time).
#[derive(Debug, Clone, PartialEq)]
pub struct Message {
    pub id: Option<String>,
    pub readings: Vec<(String, f64, DateTime<Utc>)>,
}

/// The device id in a topic: the segment after `devices/` (`lianjian/v1/devices/{id}/readings`,
/// or any prefix ending in `devices/{id}/…`, so platform-style topics map too).
pub fn device_in_topic(topic: &str) -> Result<&str, BadReason> {
    let mut parts = topic.split('/');
    while let Some(p) = parts.next() {
        if p == "devices" {
            return match parts.next() {
                Some(id) if external_id(id).is_ok() && id.trim() == id => Ok(id),
                _ => Err(BadReason::BadTopic),
            };
        }
    }
    Err(BadReason::BadTopic)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NativeReading {
    metric: String,
    value: serde_json::Value,
    #[serde(default)]
    at: Option<serde_json::Value>,
}

/// Parses a payload: the size bound first, then JSON, then one of the two shapes (docs/iot.md):
///
/// - native: `{"id":"m-1","readings":[{"metric":"temperature","value":9.1,"at":"2026-12-07T10:00:00+08:00"}]}`
///   or one reading at the top level `{"id":"m-2","metric":"rat","value":1}`;
/// - platform property post (Alibaba/Huawei IoT style):
///   `{"id":"m-3","params":{"temperature":{"value":9.1,"time":1733560000000}}}` (`time` in
///   milliseconds since the epoch; a bare number is a value at `received`).
///
/// A reading without a time is at `received`. A time more than `max_skew` ahead of `received`
/// is refused (FromFuture), one older than `max_age` too (TooOld); booleans count as 0/1.
pub fn parse_message(
    payload: &[u8],
    received: DateTime<Utc>,
    limits: &PayloadLimits,
) -> Result<Message, BadReason> {
    if payload.len() > limits.max_bytes {
        return Err(BadReason::TooLarge);
    }
    let v: serde_json::Value = serde_json::from_slice(payload).map_err(|_| BadReason::NotJson)?;
    let serde_json::Value::Object(mut o) = v else {
        return Err(BadReason::BadShape);
    };
    let id = match o.remove("id") {
        None | Some(serde_json::Value::Null) => None,
        Some(serde_json::Value::String(s)) if !s.is_empty() && s.len() <= 128 => Some(s),
        Some(serde_json::Value::Number(n)) => Some(n.to_string()),
        Some(_) => return Err(BadReason::BadShape),
    };
    let mut raw: Vec<(String, serde_json::Value, Option<serde_json::Value>)> = Vec::new();
    if let Some(readings) = o.remove("readings") {
        let serde_json::Value::Array(a) = readings else {
            return Err(BadReason::BadShape);
        };
        if a.len() > limits.max_readings {
            return Err(BadReason::TooManyReadings);
        }
        for r in a {
            let r: NativeReading = serde_json::from_value(r).map_err(|_| BadReason::BadShape)?;
            raw.push((r.metric, r.value, r.at));
        }
    } else if let Some(params) = o.remove("params") {
        let serde_json::Value::Object(p) = params else {
            return Err(BadReason::BadShape);
        };
        if p.len() > limits.max_readings {
            return Err(BadReason::TooManyReadings);
        }
        for (k, v) in p {
            match v {
                serde_json::Value::Object(mut inner) => {
                    let value = inner.remove("value").ok_or(BadReason::BadShape)?;
                    let at = inner.remove("time").or_else(|| inner.remove("at"));
                    raw.push((k, value, at));
                }
                other => raw.push((k, other, None)),
            }
        }
    } else if o.contains_key("metric") {
        let r: NativeReading = serde_json::from_value(serde_json::Value::Object(o))
            .map_err(|_| BadReason::BadShape)?;
        raw.push((r.metric, r.value, r.at));
    } else {
        return Err(BadReason::BadShape);
    }
    if raw.is_empty() {
        return Err(BadReason::BadShape);
    }
    let mut readings = Vec::with_capacity(raw.len());
    for (m, v, at) in raw {
        let m = metric(&m).map_err(|_| BadReason::BadMetric)?;
        let value = match v {
            serde_json::Value::Number(n) => n.as_f64().ok_or(BadReason::NotFinite)?,
            serde_json::Value::Bool(b) => f64::from(u8::from(b)),
            // JSON has no NaN/Infinity; devices that print them send strings.
            serde_json::Value::String(_) | serde_json::Value::Null => {
                return Err(BadReason::NotFinite);
            }
            _ => return Err(BadReason::BadShape),
        };
        if !value.is_finite() {
            return Err(BadReason::NotFinite);
        }
        let at = match at {
            None | Some(serde_json::Value::Null) => received,
            Some(serde_json::Value::String(s)) => DateTime::parse_from_rfc3339(&s)
                .map_err(|_| BadReason::BadTime)?
                .with_timezone(&Utc),
            Some(serde_json::Value::Number(n)) => {
                let ms = n.as_i64().ok_or(BadReason::BadTime)?;
                Utc.timestamp_millis_opt(ms)
                    .single()
                    .ok_or(BadReason::BadTime)?
            }
            Some(_) => return Err(BadReason::BadTime),
        };
        if at > received + limits.max_skew {
            return Err(BadReason::FromFuture);
        }
        if at < received - limits.max_age {
            return Err(BadReason::TooOld);
        }
        // Stored to the microsecond (PostgreSQL's precision): the same reading compares equal
        // on both databases, so duplicates are caught.
        let at = DateTime::from_timestamp_micros(at.timestamp_micros()).unwrap_or(at);
        readings.push((m, value, at));
    }
    Ok(Message { id, readings })
}

/// An open exceedance as the ingest keeps it: an interval of one device and metric whose
/// readings were above the threshold, merged while they stay above.
#[derive(Debug, Clone, PartialEq)]
pub struct OpenExceedance {
    pub id: Uuid,
    pub threshold: f64,
    pub started_at: DateTime<Utc>,
    pub last_at: DateTime<Utc>,
    pub peak: f64,
    pub count: i64,
}

/// What one reading does to the exceedance of its device and metric.
#[derive(Debug, Clone, PartialEq)]
pub enum ExceedanceStep {
    /// Nothing changes.
    None,
    /// A new interval starts at the reading.
    Open(OpenExceedance),
    /// The open interval continues (its last time, peak and count updated).
    Extend(OpenExceedance),
    /// The open interval ends at the reading (back at or under the threshold).
    Close { id: Uuid, ended_at: DateTime<Utc> },
}

/// The exceedance rule for one reading in time order. A late reading (before the open
/// interval's last) extends its peak and count if above, and never closes it; a reading above
/// with no open interval opens one.
pub fn exceedance_step(
    open: Option<&OpenExceedance>,
    threshold: f64,
    value: f64,
    at: DateTime<Utc>,
    new_id: impl FnOnce() -> Uuid,
) -> ExceedanceStep {
    match (open, exceeds(value, threshold)) {
        (None, false) => ExceedanceStep::None,
        (None, true) => ExceedanceStep::Open(OpenExceedance {
            id: new_id(),
            threshold,
            started_at: at,
            last_at: at,
            peak: value,
            count: 1,
        }),
        (Some(o), true) => ExceedanceStep::Extend(OpenExceedance {
            started_at: o.started_at.min(at),
            last_at: o.last_at.max(at),
            peak: o.peak.max(value),
            count: o.count + 1,
            ..o.clone()
        }),
        (Some(o), false) if at > o.last_at => ExceedanceStep::Close {
            id: o.id,
            ended_at: at,
        },
        (Some(_), false) => ExceedanceStep::None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    fn now() -> DateTime<Utc> {
        t("2026-12-07T02:00:00Z")
    }

    fn parse(s: &str) -> Result<Message, BadReason> {
        parse_message(s.as_bytes(), now(), &PayloadLimits::default())
    }

    #[test]
    fn native_platform_and_single_shapes_parse() {
        let m = parse(r#"{"id":"m-1","readings":[{"metric":"temperature","value":9.1,"at":"2026-12-07T10:00:00+08:00"}]}"#).unwrap();
        assert_eq!(m.id.as_deref(), Some("m-1"));
        assert_eq!(
            m.readings,
            vec![("temperature".into(), 9.1, t("2026-12-07T02:00:00Z"))]
        );
        let m = parse(r#"{"metric":"rat","value":1}"#).unwrap();
        assert_eq!(m.readings, vec![("rat".into(), 1.0, now())]);
        let ms = now().timestamp_millis() - 60_000;
        let m = parse(&format!(
            r#"{{"id":7,"params":{{"temperature":{{"value":9.1,"time":{ms}}},"door_open":true}}}}"#
        ))
        .unwrap();
        assert_eq!(m.id.as_deref(), Some("7"));
        assert!(m.readings.contains(&("door_open".into(), 1.0, now())));
        assert!(
            m.readings
                .contains(&("temperature".into(), 9.1, now() - Duration::minutes(1)))
        );
    }

    #[test]
    fn bad_messages_name_their_reason() {
        assert_eq!(parse("not json"), Err(BadReason::NotJson));
        assert_eq!(parse("[1,2]"), Err(BadReason::BadShape));
        assert_eq!(parse(r#"{"readings":[]}"#), Err(BadReason::BadShape));
        assert_eq!(
            parse(r#"{"metric":"Temp!","value":1}"#),
            Err(BadReason::BadMetric)
        );
        assert_eq!(
            parse(r#"{"metric":"t","value":"NaN"}"#),
            Err(BadReason::NotFinite)
        );
        assert_eq!(
            parse(r#"{"metric":"t","value":1e400}"#),
            Err(BadReason::NotJson)
        );
        assert_eq!(
            parse(r#"{"metric":"t","value":1,"at":"2026-12-07T02:06:00Z"}"#),
            Err(BadReason::FromFuture)
        );
        assert!(parse(r#"{"metric":"t","value":1,"at":"2026-12-07T02:04:59Z"}"#).is_ok());
        assert_eq!(
            parse(r#"{"metric":"t","value":1,"at":"2026-11-01T00:00:00Z"}"#),
            Err(BadReason::TooOld)
        );
        assert_eq!(
            parse(r#"{"metric":"t","value":1,"at":"yesterday"}"#),
            Err(BadReason::BadTime)
        );
        let big = format!(
            r#"{{"metric":"t","value":1,"pad":"{}"}}"#,
            "x".repeat(70_000)
        );
        assert_eq!(parse(&big), Err(BadReason::TooLarge));
        let many: Vec<String> = (0..1001)
            .map(|_| r#"{"metric":"t","value":1}"#.into())
            .collect();
        assert_eq!(
            parse(&format!(r#"{{"readings":[{}]}}"#, many.join(","))),
            Err(BadReason::TooManyReadings)
        );
    }

    #[test]
    fn topics_name_the_device() {
        assert_eq!(
            device_in_topic("lianjian/v1/devices/FR-001/readings"),
            Ok("FR-001")
        );
        assert_eq!(
            device_in_topic("sys/x/devices/a.b:c/thing/event/property/post"),
            Ok("a.b:c")
        );
        assert_eq!(
            device_in_topic("lianjian/v1/devices//readings"),
            Err(BadReason::BadTopic)
        );
        assert_eq!(
            device_in_topic("lianjian/v1/other"),
            Err(BadReason::BadTopic)
        );
    }

    #[test]
    fn thresholds_parse_and_name_the_bad_part() {
        let m = thresholds("temperature=8; rat:0，gas_lel=25").unwrap();
        assert_eq!(m.len(), 3);
        assert_eq!(thresholds_text(&m), "gas_lel=25; rat=0; temperature=8");
        assert_eq!(thresholds("temperature").unwrap_err().code, "bad_threshold");
        assert_eq!(
            thresholds("t=1;t=2").unwrap_err().code,
            "duplicate_threshold"
        );
        assert_eq!(thresholds("T=1").unwrap_err().code, "bad_metric");
        assert_eq!(thresholds("t=inf").unwrap_err().code, "bad_threshold");
        assert!(thresholds("").unwrap().is_empty());
    }

    #[test]
    fn external_ids_are_topic_safe() {
        assert!(external_id("FR-001").is_ok());
        assert!(external_id("a/b").is_err());
        assert!(external_id("a+").is_err());
        assert!(external_id("").is_err());
        assert!(external_id(&"x".repeat(65)).is_err());
    }

    #[test]
    fn exceedances_open_extend_and_close_in_time_order() {
        let id = Uuid::now_v7();
        let s = exceedance_step(None, 8.0, 8.0, now(), || id);
        assert_eq!(s, ExceedanceStep::None);
        let ExceedanceStep::Open(o) = exceedance_step(None, 8.0, 9.0, now(), || id) else {
            panic!()
        };
        let later = now() + Duration::minutes(1);
        let ExceedanceStep::Extend(o2) = exceedance_step(Some(&o), 8.0, 9.5, later, || id) else {
            panic!()
        };
        assert_eq!((o2.peak, o2.count, o2.last_at), (9.5, 2, later));
        // A late reading under the threshold does not close it; a newer one does.
        assert_eq!(
            exceedance_step(Some(&o2), 8.0, 7.0, now(), || id),
            ExceedanceStep::None
        );
        assert_eq!(
            exceedance_step(Some(&o2), 8.0, 7.0, later + Duration::minutes(1), || id),
            ExceedanceStep::Close {
                id,
                ended_at: later + Duration::minutes(1)
            }
        );
    }

    #[test]
    fn minutes_truncate() {
        assert_eq!(
            minute_of(t("2026-12-07T02:03:59.9Z")),
            t("2026-12-07T02:03:00Z")
        );
    }
}
