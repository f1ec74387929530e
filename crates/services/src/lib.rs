//! Use cases of Lianjian, one module per capability. Each use case takes the acting
//! [`Actor`], decides authorization, runs in one transaction and records itself in the audit
//! log in that same transaction. HTTP, CLI and integrations call only these.

pub mod accounts;
pub mod analysis;
pub mod assistance;
pub mod audit_log;
pub mod calendar;
pub mod cases;
pub mod circulars;
pub mod clock;
pub mod clues;
pub mod consultations;
pub mod credit;
/// 信用异议 filed on the public portal: above both `credit` (the appeal it registers) and
/// `clues` (the portal's challenge and limits), so neither depends on the other.
pub mod credit_objection;
pub mod demo;
mod demo_content;
pub mod departments;
pub mod directory;
pub mod documents;
pub mod draws;
mod error;
pub mod evidence;
pub mod exchange;
pub mod follow_ups;
pub mod guides;
pub mod index;
pub mod inspectors;
pub mod iot;
pub mod items;
pub mod licensing;
mod licensing_demo;
#[cfg(test)]
mod module_graph;
pub mod office_settings;
pub mod plans;
pub mod queues;
pub mod regions;
pub mod risk;
pub mod sectors;
pub mod sharing;
mod sheets;
pub mod site;
pub mod submissions;
pub mod tags;
mod trail;
mod visit_access;
pub mod visits;
pub mod warnings;

pub use error::{FieldError, Internal, ServiceError};
pub use lianjian_domain::page::{Page, PageRequest};
pub use lianjian_domain::scope::Actor;
pub use lianjian_store::Store;

pub type Result<T, E = ServiceError> = std::result::Result<T, E>;

/// Security settings from the configuration file.
#[derive(Debug, Clone)]
pub struct SecurityConfig {
    /// How long a console session lasts (absolute, not sliding).
    pub session_hours: i64,
    /// Failed logins for one user name within `lockout_minutes` before further attempts are refused.
    pub max_login_failures: u64,
    pub lockout_minutes: i64,
}

impl Default for SecurityConfig {
    fn default() -> Self {
        Self {
            session_hours: 12,
            max_login_failures: 5,
            lockout_minutes: 15,
        }
    }
}

/// Entry point to every use case. Cheap to clone.
#[derive(Clone, Debug)]
pub struct Services {
    pub store: Store,
    pub security: SecurityConfig,
    /// The in-memory directory index; see [`index`].
    pub index: index::IndexHandle,
    /// Where evidence files and the log's signing key live; see [`evidence`].
    pub evidence: evidence::EvidenceState,
    /// The input of the draw committed last; see [`draws::CommittedInput`].
    pub committed_input: draws::CommittedInput,
    /// "Now" for the draw witness and publication rules; see [`clock::Clock`].
    pub clock: clock::Clock,
    /// The portal's name and jurisdiction; see [`site::Site`].
    pub site: site::Site,
    /// The IoT ingest's memory (counters, samples, last-seen times); see [`iot`].
    pub iot: iot::IotHandle,
    /// This instance's identity and link counters for data sharing; see [`sharing`].
    pub sharing: sharing::SharingHandle,
}

impl Services {
    /// Services on a store. The directory index starts empty: call [`Services::load_index`]
    /// (searches use SQL until it has run).
    pub fn new(store: Store, security: SecurityConfig) -> Self {
        Self {
            store,
            security,
            index: index::IndexHandle::default(),
            evidence: evidence::EvidenceState::default(),
            committed_input: draws::CommittedInput::default(),
            clock: clock::Clock::system(),
            site: site::Site::default(),
            iot: iot::IotHandle::default(),
            sharing: sharing::SharingHandle::default(),
        }
    }

    /// The same services reading "now" from `clock` (tests pass an adjustable one).
    pub fn with_clock(mut self, clock: clock::Clock) -> Self {
        self.clock = clock;
        self
    }

    /// The current time by the services' clock.
    pub fn now(&self) -> chrono::DateTime<chrono::Utc> {
        self.clock.now()
    }

    /// Whether the database answers (for `/healthz`); the error text is for the operator.
    pub async fn ping(&self) -> std::result::Result<(), String> {
        self.store.ping().await.map_err(|e| e.to_string())
    }

    /// The same services with evidence kept in `config.dir` (default
    /// [`evidence::DEFAULT_DIR`]); tests pass a temporary folder.
    pub fn with_evidence(mut self, config: evidence::EvidenceConfig) -> Self {
        self.evidence = evidence::EvidenceState::new(config);
        self
    }
}

/// The actor for commands typed at the server's console (`lianjian user add` …): a system
/// administrator with no account of its own, recorded in the audit log as `cli`.
pub fn cli_actor() -> Actor {
    use lianjian_domain::account::Role;
    use lianjian_domain::region::RegionCode;
    Actor {
        user_id: uuid::Uuid::nil(),
        username: "cli".into(),
        display_name: "命令行".into(),
        role: Role::SystemAdmin,
        department_id: uuid::Uuid::nil(),
        department_line: String::new(),
        region: RegionCode::parse("11").expect("valid code"),
        ip: None,
        context: None,
    }
}
