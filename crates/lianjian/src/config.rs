//! Configuration: a TOML file (`--config`, or `LIANJIAN_CONFIG`) overridden by `LIANJIAN_`
//! environment variables, overridden by command-line flags. Unknown keys are errors, so a
//! typo never silently falls back to a default.

use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use serde::Deserialize;

pub const DEFAULT_LISTEN: &str = "127.0.0.1:8080";
pub const DEFAULT_DATA_DIR: &str = "lianjian-data";

#[derive(Debug, Clone, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct FileConfig {
    /// Address to listen on, e.g. "0.0.0.0:8080".
    pub listen: Option<String>,
    /// `sqlite://PATH` or `postgres://USER@HOST/DB`.
    pub database_url: Option<String>,
    /// Mark session cookies Secure (set when served over HTTPS).
    pub secure_cookies: Option<bool>,
    /// `text` (default) or `json` log lines.
    pub log_format: Option<String>,
    /// Folder of evidence files and the evidence log's signing key.
    pub evidence_dir: Option<String>,
    /// Largest evidence file, in bytes.
    pub evidence_max_bytes: Option<u64>,
    /// The evidence log's name in its signed checkpoints.
    pub evidence_log_name: Option<String>,
    /// How often (milliseconds) the server applies the directory change feed on its own.
    pub index_poll_ms: Option<u64>,
    /// The public portal's name, e.g. "卫辉市跨部门综合监管信息公开".
    pub site_name: Option<String>,
    /// The jurisdiction (辖区) the portal and public API publish, a GB/T 2260 code, e.g.
    /// "411121"; unset = every region in the database.
    pub site_region: Option<String>,
    #[serde(default)]
    pub security: SecuritySection,
    /// The IoT ingest (docs/iot.md); absent = no MQTT consumer.
    pub mqtt: Option<MqttSection>,
    /// Data sharing with other instances (docs/sharing.md); absent = this instance shares
    /// nothing.
    pub sharing: Option<SharingSection>,
}

/// `[sharing]`: this instance's identity and its link (docs/sharing.md).
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct SharingSection {
    /// This instance's id on the links, e.g. "county-411121".
    pub instance: String,
    /// `province`, `city` or `county`.
    pub level: String,
    /// GB/T 2260 code of its jurisdiction.
    pub region: String,
    /// The instance directly above, if any.
    pub upstream: Option<String>,
    /// Default `nats://127.0.0.1:4222`.
    pub nats_url: Option<String>,
    pub nats_user: Option<String>,
    /// Better in `LIANJIAN_SHARING_NATS_PASSWORD` than in the file.
    pub nats_password: Option<String>,
    /// Producer poll interval, milliseconds (default 200).
    pub poll_ms: Option<u64>,
    #[serde(default)]
    pub peers: Vec<PeerSection>,
}

/// `[[sharing.peers]]`: an instance this one exchanges with.
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct PeerSection {
    pub instance: String,
    pub level: String,
    pub region: String,
    /// Its Ed25519 public key, 64 hex digits (`lianjian sharing key` on that instance).
    pub public_key: String,
}

/// Reads `[sharing]`, every field checked and named in the error.
pub fn sharing(
    section: Option<SharingSection>,
) -> anyhow::Result<Option<lianjian_services::sharing::SharingConfig>> {
    use lianjian_domain::sharing::{InstanceLevel, instance_id};
    let Some(s) = section else { return Ok(None) };
    let region = |what: &str, r: &str| -> anyhow::Result<String> {
        lianjian_domain::region::RegionCode::parse(r)
            .map(|c| c.as_str().to_string())
            .map_err(|e| anyhow::anyhow!("config: {what}: {}", e.en))
    };
    let mut peers = Vec::new();
    for (i, p) in s.peers.iter().enumerate() {
        let what = |f: &str| format!("sharing.peers[{i}].{f}");
        peers.push(lianjian_services::sharing::Peer {
            id: instance_id(&p.instance)
                .map_err(|e| anyhow::anyhow!("config: {}: {}", what("instance"), e.en))?,
            level: InstanceLevel::parse(&p.level)
                .map_err(|e| anyhow::anyhow!("config: {}: {}", what("level"), e.en))?,
            region: region(&what("region"), &p.region)?,
            public_key: lianjian_domain::evidence::PublicKey::from_hex(p.public_key.trim())
                .map_err(|e| anyhow::anyhow!("config: {}: {e}", what("public_key")))?,
        });
    }
    let instance = instance_id(&s.instance)
        .map_err(|e| anyhow::anyhow!("config: sharing.instance: {}", e.en))?;
    if peers.iter().any(|p| p.id == instance) {
        bail!("config: sharing.peers lists this instance itself ({instance})");
    }
    let upstream = match s.upstream {
        Some(u) => {
            let u = instance_id(&u)
                .map_err(|e| anyhow::anyhow!("config: sharing.upstream: {}", e.en))?;
            if !peers.iter().any(|p| p.id == u) {
                bail!("config: sharing.upstream {u} is not among sharing.peers");
            }
            Some(u)
        }
        None => None,
    };
    let poll_ms = s.poll_ms.unwrap_or(200);
    if !(10..=60_000).contains(&poll_ms) {
        bail!("config: sharing.poll_ms must be 10–60000, got {poll_ms}");
    }
    let nats_url = env("LIANJIAN_SHARING_NATS_URL")
        .or(s.nats_url)
        .unwrap_or_else(|| "nats://127.0.0.1:4222".into());
    if !nats_url.starts_with("nats://") && !nats_url.starts_with("tls://") {
        bail!("config: sharing.nats_url must start with nats:// or tls://, got {nats_url}");
    }
    Ok(Some(lianjian_services::sharing::SharingConfig {
        instance,
        level: InstanceLevel::parse(&s.level)
            .map_err(|e| anyhow::anyhow!("config: sharing.level: {}", e.en))?,
        region: region("sharing.region", &s.region)?,
        upstream,
        nats_url,
        nats_user: s.nats_user,
        nats_password: env("LIANJIAN_SHARING_NATS_PASSWORD").or(s.nats_password),
        peers,
        poll_ms,
    }))
}

/// `[mqtt]`: the broker the server subscribes to for device readings (docs/iot.md).
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct MqttSection {
    /// `mqtt://host:1883` or `mqtts://host:8883`.
    pub url: String,
    pub username: Option<String>,
    /// Better in `LIANJIAN_MQTT_PASSWORD` than in the file.
    pub password: Option<String>,
    /// Fixed per server (the broker keeps the persistent session under it); default
    /// `lianjian-ingest`.
    pub client_id: Option<String>,
    /// Default `lianjian/v1/devices/+/readings`.
    pub topic: Option<String>,
    /// PEM CA certificates for `mqtts://` (default: the system's roots).
    pub ca_file: Option<String>,
    pub batch_readings: Option<usize>,
    pub batch_ms: Option<u64>,
    pub inflight: Option<u16>,
    /// Largest payload accepted, bytes (default 65536).
    pub max_payload_bytes: Option<usize>,
    /// How far ahead of the server's clock a reading may be, minutes (default 5).
    pub max_skew_minutes: Option<i64>,
    /// Days raw readings are kept, and how late a reading is still accepted (default 7).
    pub retention_days: Option<i64>,
}

#[derive(Debug, Clone, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct SecuritySection {
    pub session_hours: Option<i64>,
    pub max_login_failures: Option<u64>,
    pub lockout_minutes: Option<i64>,
}

/// The settings in force.
#[derive(Debug, Clone)]
pub struct Settings {
    pub listen: String,
    pub database_url: String,
    pub secure_cookies: bool,
    pub log_json: bool,
    pub security: lianjian_services::SecurityConfig,
    pub evidence: lianjian_services::evidence::EvidenceConfig,
    /// How often the directory index applies other servers' changes (docs/architecture.md,
    /// "Change feed"); searches, counts and draws apply them first anyway.
    pub index_poll: std::time::Duration,
    /// The portal's name and jurisdiction (`Services::with_site`).
    pub site_name: Option<String>,
    pub site_region: Option<String>,
    /// The MQTT consumer and the payload limits, when `[mqtt]` is configured.
    pub mqtt: Option<(
        lianjian_services::iot::mqtt::MqttConfig,
        lianjian_domain::iot::PayloadLimits,
    )>,
    /// This instance's sharing identity and link, when `[sharing]` is configured.
    pub sharing: Option<lianjian_services::sharing::SharingConfig>,
}

/// Reads `[mqtt]` (with `LIANJIAN_MQTT_URL` / `LIANJIAN_MQTT_PASSWORD` over it), every bound
/// checked.
fn mqtt(
    section: Option<MqttSection>,
) -> anyhow::Result<
    Option<(
        lianjian_services::iot::mqtt::MqttConfig,
        lianjian_domain::iot::PayloadLimits,
    )>,
> {
    let section = match (section, env("LIANJIAN_MQTT_URL")) {
        (None, None) => return Ok(None),
        (Some(mut s), Some(u)) => {
            s.url = u;
            s
        }
        (Some(s), None) => s,
        (None, Some(u)) => MqttSection {
            url: u,
            ..Default::default()
        },
    };
    lianjian_services::iot::mqtt::parse_url(&section.url)
        .map_err(|e| anyhow::anyhow!("config: mqtt.url: {}", e.en))?;
    let mut c = lianjian_services::iot::mqtt::MqttConfig::new(
        section.url.clone(),
        section
            .client_id
            .unwrap_or_else(|| "lianjian-ingest".into()),
    );
    if c.client_id.is_empty() || c.client_id.len() > 64 {
        bail!("config: mqtt.client_id must be 1–64 characters");
    }
    if let Some(t) = section.topic {
        if t.is_empty() || t.len() > 256 {
            bail!("config: mqtt.topic must be 1–256 characters");
        }
        c.topic = t;
    }
    c.username = section.username;
    c.password = env("LIANJIAN_MQTT_PASSWORD").or(section.password);
    c.ca_file = section.ca_file.map(PathBuf::from);
    if let Some(n) = section.batch_readings {
        if !(1..=100_000).contains(&n) {
            bail!("config: mqtt.batch_readings must be 1–100000, got {n}");
        }
        c.batch_readings = n;
    }
    if let Some(n) = section.batch_ms {
        if !(0..=10_000).contains(&n) {
            bail!("config: mqtt.batch_ms must be 0–10000, got {n}");
        }
        c.batch_ms = n;
    }
    if let Some(n) = section.inflight {
        if n == 0 {
            bail!("config: mqtt.inflight must be 1–65535");
        }
        c.inflight = n;
    }
    let mut l = lianjian_domain::iot::PayloadLimits::default();
    if let Some(n) = section.max_payload_bytes {
        if !(64..=16 * 1024 * 1024).contains(&n) {
            bail!("config: mqtt.max_payload_bytes must be 64–16777216, got {n}");
        }
        l.max_bytes = n;
    }
    if let Some(n) = section.max_skew_minutes {
        if !(0..=1440).contains(&n) {
            bail!("config: mqtt.max_skew_minutes must be 0–1440, got {n}");
        }
        l.max_skew = chrono::Duration::minutes(n);
    }
    if let Some(n) = section.retention_days {
        if !(1..=3650).contains(&n) {
            bail!("config: mqtt.retention_days must be 1–3650, got {n}");
        }
        l.max_age = chrono::Duration::days(n);
    }
    Ok(Some((c, l)))
}

/// Bounds of `index_poll_ms`: polling more often than every 10 ms only loads the database; a
/// minute is already a long time for a count to wait on its barrier.
pub const INDEX_POLL_MS: std::ops::RangeInclusive<u64> = 10..=60_000;

/// Largest `evidence_max_bytes` accepted: uploads are held in memory while they are checked.
pub const MAX_EVIDENCE_BYTES: u64 = 1024 * 1024 * 1024;

pub fn load_file(path: &Path) -> anyhow::Result<FileConfig> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read config file {}", path.display()))?;
    toml::from_str(&text)
        .map_err(|e| anyhow::anyhow!("config file {}: {}", path.display(), e.message()))
}

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

pub fn default_database_url(data_dir: &Path, file: &str) -> String {
    format!("sqlite://{}", data_dir.join(file).display())
}

/// Merges file, environment and flags (later wins).
pub fn resolve(
    config: Option<&PathBuf>,
    listen: Option<String>,
    database_url: Option<String>,
) -> anyhow::Result<Settings> {
    let path = config
        .cloned()
        .or_else(|| env("LIANJIAN_CONFIG").map(PathBuf::from));
    let file = match &path {
        Some(p) => load_file(p)?,
        None => FileConfig::default(),
    };
    let defaults = lianjian_services::SecurityConfig::default();
    let security = lianjian_services::SecurityConfig {
        session_hours: file
            .security
            .session_hours
            .unwrap_or(defaults.session_hours),
        max_login_failures: file
            .security
            .max_login_failures
            .unwrap_or(defaults.max_login_failures),
        lockout_minutes: file
            .security
            .lockout_minutes
            .unwrap_or(defaults.lockout_minutes),
    };
    if !(1..=720).contains(&security.session_hours) {
        bail!(
            "config: security.session_hours must be 1–720, got {}",
            security.session_hours
        );
    }
    if security.max_login_failures == 0 || security.lockout_minutes <= 0 {
        bail!("config: security.max_login_failures and security.lockout_minutes must be positive");
    }
    let log_format = env("LIANJIAN_LOG_FORMAT")
        .or(file.log_format)
        .unwrap_or_else(|| "text".into());
    if log_format != "text" && log_format != "json" {
        bail!("config: log_format must be \"text\" or \"json\", got \"{log_format}\"");
    }
    let defaults = lianjian_services::evidence::EvidenceConfig::default();
    let max_bytes = match env("LIANJIAN_EVIDENCE_MAX_BYTES") {
        Some(v) => v.trim().parse::<u64>().map_err(|_| {
            anyhow::anyhow!("LIANJIAN_EVIDENCE_MAX_BYTES must be a number of bytes, got \"{v}\"")
        })?,
        None => file.evidence_max_bytes.unwrap_or(defaults.max_bytes),
    };
    if !(1..=MAX_EVIDENCE_BYTES).contains(&max_bytes) {
        bail!("config: evidence_max_bytes must be 1–{MAX_EVIDENCE_BYTES}, got {max_bytes}");
    }
    let origin = env("LIANJIAN_EVIDENCE_LOG_NAME")
        .or(file.evidence_log_name)
        .unwrap_or(defaults.origin);
    let origin = lianjian_domain::evidence::origin(&origin)
        .map_err(|e| anyhow::anyhow!("config: evidence_log_name: {}", e.en))?;
    let evidence = lianjian_services::evidence::EvidenceConfig {
        dir: env("LIANJIAN_EVIDENCE_DIR")
            .or(file.evidence_dir)
            .map(PathBuf::from)
            .unwrap_or(defaults.dir),
        max_bytes,
        origin,
    };
    let index_poll_ms = match env("LIANJIAN_INDEX_POLL_MS") {
        Some(v) => v.trim().parse::<u64>().map_err(|_| {
            anyhow::anyhow!("LIANJIAN_INDEX_POLL_MS must be a number of milliseconds, got \"{v}\"")
        })?,
        None => file
            .index_poll_ms
            .unwrap_or(lianjian_services::index::DEFAULT_POLL.as_millis() as u64),
    };
    if !INDEX_POLL_MS.contains(&index_poll_ms) {
        bail!(
            "config: index_poll_ms must be {}–{}, got {index_poll_ms}",
            INDEX_POLL_MS.start(),
            INDEX_POLL_MS.end()
        );
    }
    let mqtt = mqtt(file.mqtt)?;
    let sharing = sharing(file.sharing)?;
    Ok(Settings {
        mqtt,
        sharing,
        site_name: env("LIANJIAN_SITE_NAME").or(file.site_name),
        site_region: env("LIANJIAN_SITE_REGION").or(file.site_region),
        evidence,
        index_poll: std::time::Duration::from_millis(index_poll_ms),
        listen: listen
            .or_else(|| env("LIANJIAN_LISTEN"))
            .or(file.listen)
            .unwrap_or_else(|| DEFAULT_LISTEN.into()),
        database_url: database_url
            .or_else(|| env("LIANJIAN_DATABASE_URL"))
            .or(file.database_url)
            .unwrap_or_else(|| default_database_url(Path::new(DEFAULT_DATA_DIR), "lianjian.db")),
        secure_cookies: env("LIANJIAN_SECURE_COOKIES")
            .map(|v| v == "true" || v == "1")
            .or(file.secure_cookies)
            .unwrap_or(false),
        log_json: log_format == "json",
        security,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_key_is_an_error_naming_it() {
        let e = toml::from_str::<FileConfig>("listen = \"0.0.0.0:80\"\ndatabse_url = \"x\"\n")
            .unwrap_err();
        assert!(e.message().contains("databse_url"), "{}", e.message());
    }

    #[test]
    fn full_file_parses() {
        let c: FileConfig = toml::from_str(
            "listen = \"0.0.0.0:8080\"\ndatabase_url = \"postgres://u@h/db\"\nsecure_cookies = true\nlog_format = \"json\"\n[security]\nsession_hours = 8\nmax_login_failures = 3\nlockout_minutes = 30\n",
        )
        .unwrap();
        assert_eq!(c.security.session_hours, Some(8));
    }

    #[test]
    fn evidence_keys_parse_and_default_beside_the_database() {
        let c: FileConfig = toml::from_str(
            "evidence_dir = \"/srv/lianjian/evidence\"\nevidence_max_bytes = 20971520\nevidence_log_name = \"wuyang.lianjian/evidence\"\n",
        )
        .unwrap();
        assert_eq!(c.evidence_max_bytes, Some(20 * 1024 * 1024));
        assert_eq!(c.evidence_dir.as_deref(), Some("/srv/lianjian/evidence"));
        let d = lianjian_services::evidence::EvidenceConfig::default();
        assert_eq!(d.dir, Path::new(DEFAULT_DATA_DIR).join("evidence"));
        assert_eq!(d.max_bytes, 10 * 1024 * 1024);
    }

    #[test]
    fn mqtt_section_is_read_and_bounded() {
        let c: FileConfig = toml::from_str(
            "[mqtt]\nurl = \"mqtts://broker.example:8883\"\nusername = \"lj\"\nclient_id = \"lj-1\"\nretention_days = 30\n",
        )
        .unwrap();
        let (m, l) = mqtt(c.mqtt).unwrap().unwrap();
        assert_eq!(
            (m.client_id.as_str(), m.topic.as_str()),
            ("lj-1", "lianjian/v1/devices/+/readings")
        );
        assert_eq!(l.max_age, chrono::Duration::days(30));
        let bad: FileConfig = toml::from_str("[mqtt]\nurl = \"http://x\"\n").unwrap();
        assert!(mqtt(bad.mqtt).unwrap_err().to_string().contains("mqtt.url"));
        let bad: FileConfig =
            toml::from_str("[mqtt]\nurl = \"mqtt://x\"\nbatch_ms = 20000\n").unwrap();
        assert!(mqtt(bad.mqtt).unwrap_err().to_string().contains("batch_ms"));
        assert!(toml::from_str::<FileConfig>("[mqtt]\nurl = \"mqtt://x\"\nqos = 2\n").is_err());
    }

    #[test]
    fn index_poll_is_read_and_bounded() {
        let dir = std::env::temp_dir().join(format!("lianjian-cfg-{}", uuid::Uuid::now_v7()));
        std::fs::create_dir_all(&dir).unwrap();
        let cfg = dir.join("lianjian.toml");
        std::fs::write(&cfg, "index_poll_ms = 250\n").unwrap();
        let s = resolve(Some(&cfg), None, None).unwrap();
        assert_eq!(s.index_poll, std::time::Duration::from_millis(250));
        std::fs::write(&cfg, "index_poll_ms = 0\n").unwrap();
        let e = resolve(Some(&cfg), None, None).unwrap_err().to_string();
        assert!(e.contains("index_poll_ms must be 10–60000"), "{e}");
        std::fs::write(&cfg, "").unwrap();
        let s = resolve(Some(&cfg), None, None).unwrap();
        assert_eq!(s.index_poll, lianjian_services::index::DEFAULT_POLL);
        let _ = std::fs::remove_dir_all(&dir);
    }
}
