//! `lianjian`: the one binary of the platform. See `lianjian --help`.

mod audit_cli;
mod bench;
mod calendar_cli;
mod config;
mod demo_devices;
mod draw_cli;
mod evidence_cli;
mod exchange_cli;
mod open311_cli;
mod risk_cli;
mod sharing_cli;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, anyhow, bail};
use clap::{Parser, Subcommand};
use lianjian_domain::region::RegionCode;
use lianjian_services::accounts::{self, UserInput};
use lianjian_services::{ServiceError, Services, cli_actor, demo};
use lianjian_store::Store;
use lianjian_store::accounts::{UserQuery, UserStatus};

#[derive(Parser)]
#[command(
    name = "lianjian",
    version,
    about = "联监 Lianjian — cross-department comprehensive supervision platform"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(clap::Args, Clone)]
struct DbArgs {
    /// sqlite://PATH or postgres://USER@HOST/DB (default: sqlite://lianjian-data/lianjian.db)
    #[arg(long, global = true, env = "LIANJIAN_DATABASE_URL")]
    database_url: Option<String>,
    /// TOML configuration file
    #[arg(long, global = true, env = "LIANJIAN_CONFIG")]
    config: Option<PathBuf>,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the API, the staff console and the public portal.
    Serve {
        /// Address to listen on (default 127.0.0.1:8080; port 0 picks a free port)
        #[arg(long, env = "LIANJIAN_LISTEN")]
        listen: Option<String>,
        #[command(flatten)]
        db: DbArgs,
    },
    /// Create (or reuse) a demo database with demo data, serve it, and print the demo accounts.
    Demo {
        #[arg(long, default_value = "127.0.0.1:8080")]
        listen: String,
        /// Folder for the demo database
        #[arg(long, default_value = config::DEFAULT_DATA_DIR)]
        data_dir: PathBuf,
        /// Address of the embedded MQTT broker the demo's devices publish to (a free port
        /// when this one is taken)
        #[arg(long, default_value = demo_devices::DEFAULT_LISTEN)]
        mqtt_listen: std::net::SocketAddr,
        /// Run without the embedded broker and the device simulator
        #[arg(long)]
        no_devices: bool,
    },
    /// Apply pending database migrations (also done at start-up); safe to repeat.
    Migrate {
        #[command(flatten)]
        db: DbArgs,
    },
    /// Manage user accounts from the server's shell.
    User {
        #[command(subcommand)]
        action: UserCommand,
        #[command(flatten)]
        db: DbArgs,
    },
    /// The tamper-evident audit log.
    Audit {
        #[command(subcommand)]
        action: AuditCommand,
        #[command(flatten)]
        db: DbArgs,
    },
    /// The working-day calendar (工作日历): public holidays and make-up workdays.
    Calendar {
        #[command(subcommand)]
        action: calendar_cli::CalendarCommand,
        #[command(flatten)]
        db: DbArgs,
    },
    /// The Open311 GeoReport v2 interface (/open311/v2/): API keys of submitting applications.
    Open311 {
        #[command(subcommand)]
        action: open311_cli::Open311Command,
        #[command(flatten)]
        db: DbArgs,
    },
    /// The risk model (风险预测模型): a demo on a synthetic history, or a fit on the database.
    Risk {
        #[command(subcommand)]
        action: risk_cli::RiskCommand,
        #[command(flatten)]
        db: DbArgs,
    },
    /// Data sharing with other instances (信息互通共享, docs/sharing.md): keys, message-log
    /// verification and export, received audit checkpoints, the NATS configuration.
    #[command(alias = "exchange")]
    Sharing {
        #[command(subcommand)]
        action: sharing_cli::SharingCommand,
        #[command(flatten)]
        db: DbArgs,
    },
    /// Print the OpenAPI document as JSON.
    Openapi,
    /// Published draw records (抽取记录); needs no database.
    Draw {
        #[command(subcommand)]
        action: DrawCommand,
    },
    /// Evidence (证据互认): check a file against its proof offline, or write a stored file's proof.
    Evidence {
        #[command(subcommand)]
        action: EvidenceCommand,
    },
    /// Benchmark the in-memory directory index on a synthetic province (optionally against
    /// PostgreSQL); the last line printed is a JSON object of every figure.
    Bench(bench::BenchArgs),
    /// Write an empty Excel import template (entities: 监管对象; items: 事项 and 检查要点;
    /// inspectors: 检查人员).
    Template {
        #[arg(value_enum)]
        kind: exchange_cli::Kind,
        /// Where to write the .xlsx file
        file: PathBuf,
    },
    /// Import an Excel file into the directory, the item list or the inspector pool (upsert by
    /// credit code / item code / certificate number). Exit 2 when the file has errors and
    /// nothing was imported.
    Import {
        #[arg(value_enum)]
        kind: exchange_cli::Kind,
        /// The .xlsx file
        file: PathBuf,
        /// Import the valid rows and write the failed ones to <name>.errors.xlsx next to the file
        #[arg(long)]
        skip_invalid: bool,
        #[command(flatten)]
        db: DbArgs,
    },
}

#[derive(Subcommand)]
enum UserCommand {
    /// Add a user. Without --password a strong one is generated and printed once.
    Add {
        #[arg(long)]
        username: String,
        /// Display name (姓名)
        #[arg(long)]
        name: String,
        /// system_admin | coordination_office | department_admin | inspector | leader
        #[arg(long)]
        role: String,
        /// Region code of the department (GB/T 2260), e.g. 411121
        #[arg(long)]
        region: String,
        /// Department name in that region, e.g. 县市场监管局
        #[arg(long)]
        department: String,
        /// Create the department with this line key if it does not exist yet (e.g. market)
        #[arg(long)]
        create_department_line: Option<String>,
        /// Law-enforcement certificate number (required for inspectors)
        #[arg(long, default_value = "")]
        certificate_no: String,
        #[arg(long, default_value = "")]
        phone: String,
        #[arg(long, env = "LIANJIAN_NEW_PASSWORD", hide_env_values = true)]
        password: Option<String>,
        /// A system account for another system (signs in with API tokens only)
        #[arg(long)]
        system: bool,
    },
    /// List users.
    List {
        /// Fragment of user name or name
        #[arg(long)]
        q: Option<String>,
    },
    /// Disable a user and end their sessions.
    Disable { username: String },
    /// Re-enable a user.
    Enable { username: String },
    /// Set a new password (generated and printed if --password is not given).
    ResetPassword {
        username: String,
        #[arg(long, env = "LIANJIAN_NEW_PASSWORD", hide_env_values = true)]
        password: Option<String>,
    },
    /// Issue an API token for a user (printed once).
    Token {
        username: String,
        #[arg(long)]
        name: String,
        #[arg(long)]
        valid_days: Option<i64>,
    },
}

#[derive(Subcommand)]
enum DrawCommand {
    /// Recompute a draw record: lianjian-draw/1, /2, /3 full or /3 public (the JSON of GET
    /// /api/v1/public/draws/{id}); exit 0 if it matches, 3 naming the first difference, 2 if a
    /// file cannot be read or is not a record (naming the JSON path).
    Verify {
        /// The record file (JSON)
        record: PathBuf,
        /// Also check an entity's opening of its class commitment (lianjian-draw/3): its class,
        /// and that it was drawn exactly for the plans whose threshold its key is within
        #[arg(long, value_name = "OPENING.json")]
        opening: Option<PathBuf>,
    },
}

#[derive(Subcommand)]
enum EvidenceCommand {
    /// Check an evidence file against its proof (the JSON of GET /api/v1/evidence/{sha256}/proof)
    /// with no database; exit 0 if it verifies, 3 naming what differs, 2 if a file cannot be read.
    Verify {
        /// The evidence file (photo or PDF)
        file: PathBuf,
        /// The proof (JSON)
        proof: PathBuf,
        /// Require the checkpoint to be signed by this Ed25519 public key (64 hex digits)
        #[arg(long, value_name = "PUBKEY_HEX")]
        key: Option<String>,
    },
    /// Write the proof of a stored file (from the database) to FILE or standard output.
    Proof {
        /// SHA-256 of the file, 64 hex digits
        sha256: String,
        /// Where to write the JSON (default: standard output)
        #[arg(short = 'o', long = "output", value_name = "FILE")]
        output: Option<PathBuf>,
        #[command(flatten)]
        db: DbArgs,
    },
}

#[derive(Subcommand)]
enum AuditCommand {
    /// Recompute the hash chain; exit 0 if intact, 3 naming the first tampered entry otherwise.
    /// Also checked against the largest stored checkpoint and, with --since, against a kept
    /// checkpoint (2 if that checkpoint is unreadable, badly signed or of another log).
    Verify {
        /// A signed audit checkpoint kept earlier (JSON from `audit checkpoint` or
        /// /api/v1/public/audit/checkpoint): the log must still hold it
        #[arg(long, value_name = "CHECKPOINT.json")]
        since: Option<PathBuf>,
        /// Require the checkpoint to be signed by this Ed25519 public key (64 hex digits);
        /// default: the platform's own signing key
        #[arg(long, value_name = "PUBKEY_HEX", requires = "since")]
        key: Option<String>,
    },
    /// Sign the log's current head now and write the checkpoint (JSON) to FILE or standard
    /// output; with --list, every stored checkpoint, newest first, one JSON object a line.
    Checkpoint {
        #[arg(short = 'o', long = "output", value_name = "FILE")]
        output: Option<PathBuf>,
        #[arg(long)]
        list: bool,
    },
    /// Compare the rows of the sealed tables with their last after-image in the audit log;
    /// exit 0 if all match, 3 listing every row changed outside the application.
    Reconcile,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match rt.block_on(run(cli)) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {}", one_line(&e));
            ExitCode::FAILURE
        }
    }
}

/// The error and its causes on one line, without repeating what a cause already says.
fn one_line(e: &anyhow::Error) -> String {
    let mut parts: Vec<String> = Vec::new();
    for c in e.chain() {
        let s = c.to_string();
        if !parts.iter().any(|p| p.contains(&s)) {
            parts.push(s);
        }
    }
    parts.join(": ")
}

fn init_logging(json: bool) {
    let filter = tracing_subscriber::EnvFilter::try_from_env("LIANJIAN_LOG").unwrap_or_else(|_| {
        tracing_subscriber::EnvFilter::new("info,sqlx=warn,sea_orm=warn,rumqttd=warn")
    });
    let b = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    if json {
        let _ = b.json().try_init();
    } else {
        let _ = b.try_init();
    }
}

async fn open_store(url: &str) -> anyhow::Result<Store> {
    let store = Store::connect(url).await?;
    store.migrate().await.context("migration failed")?;
    Ok(store)
}

fn service_error(e: ServiceError) -> anyhow::Error {
    match e {
        ServiceError::Invalid(fields) => {
            anyhow!(
                fields
                    .iter()
                    .map(|f| format!("{}: {} ({})", f.field, f.message, f.message_en))
                    .collect::<Vec<_>>()
                    .join("; ")
            )
        }
        ServiceError::Conflict { field, message, .. } => anyhow!("{field}: {message}"),
        ServiceError::NotFound => anyhow!("not found"),
        other => anyhow!(other.to_string()),
    }
}

async fn bind(listen: &str) -> anyhow::Result<tokio::net::TcpListener> {
    let addr: SocketAddr = listen.parse().map_err(|_| {
        anyhow!("invalid listen address '{listen}': use HOST:PORT, e.g. 127.0.0.1:8080")
    })?;
    tokio::net::TcpListener::bind(addr).await.map_err(|e| {
        if e.kind() == std::io::ErrorKind::AddrInUse {
            anyhow!(
                "cannot listen on {addr}: the port is already in use (choose another with --listen)"
            )
        } else {
            anyhow!("cannot listen on {addr}: {e}")
        }
    })
}

async fn serve(
    listener: tokio::net::TcpListener,
    svc: Services,
    secure_cookies: bool,
    index_poll: std::time::Duration,
) -> anyhow::Result<()> {
    // Other servers on the same database (and `lianjian import` runs) write too: follow the
    // directory change feed (docs/architecture.md, "Change feed").
    svc.spawn_change_follower(index_poll);
    // Signed audit checkpoints at least hourly while the log grows (docs/audit-log.md): the
    // check runs every ten minutes and signs only when the latest is from an earlier hour.
    let ticker = svc.clone();
    tokio::spawn(async move {
        let mut every = tokio::time::interval(std::time::Duration::from_secs(600));
        loop {
            every.tick().await;
            if let Err(e) = lianjian_services::audit_log::current_checkpoint(&ticker).await {
                tracing::warn!(error = %e, "could not sign an audit checkpoint");
            }
        }
    });
    // Clues not signed by their signing deadline go to the coordination office (issue 14):
    // a pass every ten minutes; a step taken meanwhile by a person wins (compare-and-set).
    let escalator = svc.clone();
    tokio::spawn(async move {
        let mut every = tokio::time::interval(std::time::Duration::from_secs(600));
        loop {
            every.tick().await;
            match lianjian_services::clues::escalate_overdue(&escalator).await {
                Ok(0) => {}
                Ok(n) => tracing::info!(clues = n, "escalated unsigned clues to the office"),
                Err(e) => tracing::warn!(error = %e, "escalating unsigned clues failed"),
            }
            // Licence hand-overs not claimed by their deadline (issue 17 item 2, 审管衔接).
            match lianjian_services::licensing::escalate_overdue(&escalator).await {
                Ok(0) => {}
                Ok(n) => tracing::info!(handovers = n, "escalated unclaimed licence hand-overs"),
                Err(e) => tracing::warn!(error = %e, "escalating licence hand-overs failed"),
            }
            // Assistance requests past their 受理/答复 deadline: one 超时提醒 each, seen by
            // both sides' offices (issue 17 item 1).
            match lianjian_services::assistance::flag_overdue(&escalator).await {
                Ok(0) => {}
                Ok(n) => tracing::info!(requests = n, "flagged overdue assistance requests"),
                Err(e) => tracing::warn!(error = %e, "flagging overdue assistance requests failed"),
            }
            // Consultations' tasks past their deadline: one 超时上报 each to the office
            // (issue 17 item 3).
            match lianjian_services::consultations::escalate_overdue(&escalator).await {
                Ok(0) => {}
                Ok(n) => tracing::info!(tasks = n, "escalated overdue consultation tasks"),
                Err(e) => tracing::warn!(error = %e, "escalating consultation tasks failed"),
            }
        }
    });
    // Credit and warning passes, every hour, each idempotent:
    // - joint sanctions end by themselves (issue 15 item 3): sanction entries past their last
    //   day are removed and tasks whose measures all ended are lifted, so the first pass after
    //   midnight (Beijing) does the day's work;
    // - the quarterly credit evaluation (issue 15 item 2, 季度综合评价): every county with a
    //   default index and no run since the quarter began is evaluated. After the lifting, so a
    //   sanction that ended no longer holds its entity in class D.
    // The analysis pages' monthly figures (issue 17 item 6), rebuilt every hour from the
    // records (`services::analysis::refresh_unattended`); the office can rebuild them at once.
    let analysis_passes = svc.clone();
    tokio::spawn(async move {
        let mut every = tokio::time::interval(std::time::Duration::from_secs(3600));
        loop {
            every.tick().await;
            match lianjian_services::analysis::refresh_unattended(&analysis_passes).await {
                Ok(r) => tracing::info!(
                    cells = r.cells,
                    millis = r.millis,
                    "analysis figures rebuilt"
                ),
                Err(e) => tracing::warn!(error = %e, "rebuilding the analysis figures failed"),
            }
        }
    });
    let credit_passes = svc.clone();
    tokio::spawn(async move {
        let mut every = tokio::time::interval(std::time::Duration::from_secs(3600));
        loop {
            every.tick().await;
            match lianjian_services::credit::sanctions::lift_expired(&credit_passes).await {
                Ok(l) if l.entries == 0 && l.tasks == 0 => {}
                Ok(l) => tracing::info!(
                    entries = l.entries,
                    tasks = l.tasks,
                    "lifted ended sanctions"
                ),
                Err(e) => tracing::warn!(error = %e, "lifting ended sanctions failed"),
            }
            match lianjian_services::credit::evaluation::run_quarterly(&credit_passes).await {
                Ok(runs) if runs.is_empty() => {}
                Ok(runs) => tracing::info!(runs = runs.len(), "quarterly credit evaluations done"),
                Err(e) => tracing::warn!(error = %e, "quarterly credit evaluation failed"),
            }
            // Record-based warning rules (issue 16: complaints in a window, licence expiry):
            // each entity a rule holds for is raised, an open warning folds the repeat.
            let today = lianjian_domain::visit::beijing_date(credit_passes.now());
            match lianjian_services::warnings::evaluate_records(&credit_passes, today).await {
                Ok((0, 0)) => {}
                Ok((raised, folded)) => {
                    tracing::info!(raised, folded, "record warning rules evaluated")
                }
                Err(e) => tracing::warn!(error = %e, "record warning pass failed"),
            }
        }
    });
    // 12345 webhooks (issue 14 item 5): due subscriptions get their next events every 2 s;
    // failures back off per subscription (services::clues::hotline::backoff).
    lianjian_http::webhooks::spawn(svc.clone(), std::time::Duration::from_secs(2));
    let app = lianjian_http::router(lianjian_http::AppState {
        svc,
        secure_cookies,
    });
    axum::serve(
        listener,
        app.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown())
    .await
    .context("server failed")
}

async fn shutdown() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
}

/// A password meeting the policy, from the OS's randomness (UUIDv4 is 122 random bits).
fn random_password() -> String {
    let a = uuid::Uuid::new_v4().simple().to_string();
    format!("Lj-{}-{}", &a[..12], a[12..24].to_uppercase())
}

async fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::Draw {
            action: DrawCommand::Verify { record, opening },
        } => Ok(draw_cli::verify(&record, opening.as_deref())),
        Command::Evidence {
            action: EvidenceCommand::Verify { file, proof, key },
        } => Ok(evidence_cli::verify(&file, &proof, key.as_deref())),
        Command::Evidence {
            action: EvidenceCommand::Proof { sha256, output, db },
        } => {
            let s = config::resolve(db.config.as_ref(), None, db.database_url)?;
            let svc = Services::new(open_store(&s.database_url).await?, s.security)
                .with_evidence(s.evidence);
            evidence_cli::proof(&svc, &sha256, output.as_deref()).await
        }
        Command::Bench(args) => bench::run(args).await,
        Command::Openapi => {
            println!(
                "{}",
                serde_json::to_string_pretty(&lianjian_http::openapi())?
            );
            Ok(ExitCode::SUCCESS)
        }
        Command::Template { kind, file } => exchange_cli::template(kind, &file),
        Command::Import {
            kind,
            file,
            skip_invalid,
            db,
        } => {
            let s = config::resolve(db.config.as_ref(), None, db.database_url)?;
            let svc = Services::new(open_store(&s.database_url).await?, s.security)
                .with_evidence(s.evidence);
            exchange_cli::recover(&svc).await?;
            exchange_cli::import(&svc, kind, &file, skip_invalid).await
        }
        Command::Serve { listen, db } => {
            let s = config::resolve(db.config.as_ref(), listen, db.database_url)?;
            init_logging(s.log_json);
            let listener = bind(&s.listen).await?;
            let store = open_store(&s.database_url).await?;
            let svc = Services::new(store, s.security)
                .with_evidence(s.evidence)
                .with_site(s.site_name, s.site_region.as_deref())
                .await
                .map_err(|e| service_error(e).context("config: site_region"))?;
            let svc = match s.sharing.clone() {
                Some(c) => svc.with_sharing(c),
                None => svc,
            };
            // An import job whose process was killed is undone before anything reads the
            // directory (the index included): nothing half-written is ever served.
            exchange_cli::recover(&svc).await?;
            let addr = listener.local_addr()?;
            println!(
                "Lianjian listening on http://{addr}  (database: {})",
                lianjian_store::redact_url(&s.database_url)
            );
            // Searches use SQL until the index is built; start-up does not wait for it.
            let bg = svc.clone();
            tokio::spawn(async move {
                if let Err(e) = bg.load_index().await {
                    tracing::error!(error = %e, "directory index build failed; searches stay on SQL");
                }
            });
            // The IoT ingest (docs/iot.md) when `[mqtt]` is configured; each durable batch
            // goes through the device warning rules in force.
            let _consumer = match s.mqtt {
                Some((cfg, limits)) => {
                    svc.iot.set_limits(limits);
                    println!(
                        "MQTT ingest: {} topic {} as {}",
                        cfg.url, cfg.topic, cfg.client_id
                    );
                    Some(
                        lianjian_services::iot::mqtt::start(
                            svc.clone(),
                            cfg,
                            lianjian_services::iot::warnings::DeviceWarnings::new(svc.clone())
                                .await
                                .map_err(service_error)?,
                        )
                        .await
                        .map_err(|e| anyhow!("MQTT ingest: {e}"))?,
                    )
                }
                None => None,
            };
            // The sharing link (docs/sharing.md) when `[sharing]` is configured.
            let _link = match &s.sharing {
                Some(c) => {
                    println!(
                        "Sharing: instance {} ({}) over {}",
                        c.instance,
                        c.level.as_str(),
                        c.nats_url
                    );
                    Some(
                        lianjian_services::sharing::link::start(svc.clone())
                            .await
                            .map_err(|e| anyhow!("sharing link: {e}"))?,
                    )
                }
                None => None,
            };
            serve(listener, svc, s.secure_cookies, s.index_poll).await?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Demo {
            listen,
            data_dir,
            mqtt_listen,
            no_devices,
        } => {
            init_logging(false);
            let listener = bind(&listen).await?;
            let url = config::default_database_url(&data_dir, "demo.db");
            let store = open_store(&url).await?;
            let svc = Services::new(store, Default::default()).with_evidence(
                lianjian_services::evidence::EvidenceConfig {
                    dir: data_dir.join("evidence"),
                    ..Default::default()
                },
            );
            let svc = svc
                .with_site(None, Some(demo::DEMO_SITE_REGION))
                .await
                .map_err(service_error)?;
            exchange_cli::recover(&svc).await?;
            let created = demo::seed(&svc).await.map_err(service_error)?;
            svc.ensure_index().await.map_err(service_error)?;
            let devices = if no_devices {
                None
            } else {
                Some(demo_devices::start(&svc, mqtt_listen).await?)
            };
            let addr = listener.local_addr()?;
            println!(
                "联监 Lianjian demo {} ({})",
                if created {
                    "data created"
                } else {
                    "data reused"
                },
                lianjian_store::redact_url(&url)
            );
            println!();
            println!("  公众门户 Public portal : http://{addr}/");
            println!("  工作台   Staff console : http://{addr}/console");
            println!("  接口文档 API docs      : http://{addr}/api/docs");
            if let Some(d) = &devices {
                println!(
                    "  设备接入 MQTT broker    : mqtt://{}  (topic lianjian/v1/devices/<设备编号>/readings, docs/iot.md; 4 simulated devices)",
                    d.addr
                );
            }
            println!();
            println!(
                "  Demo accounts (password for all: {}):",
                demo::DEMO_PASSWORD
            );
            for (u, n, role, region, dept, _, what) in demo::DEMO_ACCOUNTS {
                println!("    {u:<14} {n:<10} {role:<20} {region:<7} {dept}  — {what}");
            }
            println!();
            println!("Press Ctrl+C to stop.");
            serve(listener, svc, false, lianjian_services::index::DEFAULT_POLL).await?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Migrate { db } => {
            let s = config::resolve(db.config.as_ref(), None, db.database_url)?;
            let store = open_store(&s.database_url).await?;
            println!(
                "database is up to date ({})",
                lianjian_store::redact_url(&s.database_url)
            );
            store.close().await?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Open311 { action, db } => {
            let s = config::resolve(db.config.as_ref(), None, db.database_url)?;
            let svc = Services::new(open_store(&s.database_url).await?, s.security);
            open311_cli::run(&svc, action).await
        }
        Command::Risk {
            action: risk_cli::RiskCommand::Demo { seed, entities },
            ..
        } => risk_cli::demo(seed, entities),
        Command::Risk {
            action:
                risk_cli::RiskCommand::Fit {
                    region,
                    train_from,
                    train_to,
                    eval_to,
                    thresholds,
                    months,
                },
            db,
        } => {
            let s = config::resolve(db.config.as_ref(), None, db.database_url)?;
            let svc = Services::new(open_store(&s.database_url).await?, s.security);
            let input = lianjian_services::risk::FitInput {
                region_code: region,
                train_from,
                train_to,
                eval_to,
                thresholds,
                months,
            };
            risk_cli::fit(&svc, input).await
        }
        Command::Sharing { action, db } => {
            if let Some(r) = sharing_cli::offline(&action) {
                return r;
            }
            let s = config::resolve(db.config.as_ref(), None, db.database_url)?;
            let mut svc = Services::new(Store::connect(&s.database_url).await?, s.security)
                .with_evidence(s.evidence);
            if let Some(c) = s.sharing {
                svc = svc.with_sharing(c);
            }
            sharing_cli::run(&svc, action).await
        }
        Command::Calendar { action, db } => {
            let s = config::resolve(db.config.as_ref(), None, db.database_url)?;
            let svc = Services::new(open_store(&s.database_url).await?, s.security);
            calendar_cli::run(&svc, action).await
        }
        Command::User { action, db } => {
            let s = config::resolve(db.config.as_ref(), None, db.database_url)?;
            let svc = Services::new(open_store(&s.database_url).await?, s.security)
                .with_evidence(s.evidence);
            user_command(&svc, action).await
        }
        Command::Audit { action, db } => {
            let s = config::resolve(db.config.as_ref(), None, db.database_url)?;
            // Verification and reconciliation read what is there: they never create a
            // database or migrate one, so a mistyped path cannot report an empty, "intact" log.
            if let Some(path) = s
                .database_url
                .strip_prefix("sqlite://")
                .map(|p| p.split('?').next().unwrap_or_default())
                && !std::path::Path::new(path).exists()
            {
                bail!("no database at {path}");
            }
            let store = match action {
                AuditCommand::Checkpoint { .. } => open_store(&s.database_url).await?,
                _ => Store::connect(&s.database_url).await?,
            };
            let svc = Services::new(store, s.security).with_evidence(s.evidence);
            match action {
                AuditCommand::Verify { since, key } => {
                    audit_cli::verify(&svc, since.as_deref(), key.as_deref()).await
                }
                AuditCommand::Checkpoint { output, list } => {
                    audit_cli::checkpoint(&svc, output.as_deref(), list).await
                }
                AuditCommand::Reconcile => audit_cli::reconcile(&svc).await,
            }
        }
    }
}

async fn user_command(svc: &Services, action: UserCommand) -> anyhow::Result<ExitCode> {
    let actor = cli_actor();
    match action {
        UserCommand::Add {
            username,
            name,
            role,
            region,
            department,
            create_department_line,
            certificate_no,
            phone,
            password,
            system,
        } => {
            let region_code =
                RegionCode::parse(&region).map_err(|e| anyhow!("--region: {}", e.en))?;
            let dept = match lianjian_store::departments::find_by_name(
                svc.store.conn(),
                &region_code,
                department.trim(),
            )
            .await?
            {
                Some(d) => d,
                None => match create_department_line {
                    Some(line) => lianjian_services::departments::create(
                        svc,
                        &actor,
                        lianjian_services::departments::DepartmentInput {
                            region_code: region.clone(),
                            name: department.clone(),
                            line,
                        },
                    )
                    .await
                    .map_err(service_error)?,
                    None => bail!(
                        "--department: no department named '{department}' in region {region}; add --create-department-line LINE to create it"
                    ),
                },
            };
            let generated = password.is_none() && !system;
            let password = password.unwrap_or_else(random_password);
            let v = accounts::create_user(
                svc,
                &actor,
                UserInput {
                    username,
                    display_name: name,
                    role,
                    department_id: dept.id.to_string(),
                    certificate_no,
                    phone,
                    password: password.clone(),
                    is_system: system,
                },
            )
            .await
            .map_err(service_error)?;
            println!(
                "created user {} ({}, {}, {})",
                v.user.username,
                v.user.role.label_zh(),
                v.department_name,
                v.user.region_code
            );
            if generated {
                println!("password: {password}");
            }
        }
        UserCommand::List { q } => {
            let page = accounts::list_users(
                svc,
                &actor,
                &UserQuery {
                    q,
                    ..Default::default()
                },
                lianjian_services::PageRequest::new(Some(1), Some(200)),
            )
            .await
            .map_err(service_error)?;
            println!(
                "{:<20} {:<12} {:<20} {:<8} {:<10} department",
                "username", "name", "role", "region", "status"
            );
            for v in &page.items {
                let u = &v.user;
                println!(
                    "{:<20} {:<12} {:<20} {:<8} {:<10} {}",
                    u.username,
                    u.display_name,
                    u.role.as_str(),
                    u.region_code,
                    u.status.as_str(),
                    v.department_name
                );
            }
            println!("({} of {} users)", page.items.len(), page.total);
        }
        UserCommand::Disable { username } => {
            let u = accounts::find_user(svc, &actor, &username)
                .await
                .map_err(|_| anyhow!("no user named '{username}'"))?;
            accounts::set_user_status(svc, &actor, u.id, UserStatus::Disabled)
                .await
                .map_err(service_error)?;
            println!("disabled {username}; their sessions have ended");
        }
        UserCommand::Enable { username } => {
            let u = accounts::find_user(svc, &actor, &username)
                .await
                .map_err(|_| anyhow!("no user named '{username}'"))?;
            accounts::set_user_status(svc, &actor, u.id, UserStatus::Active)
                .await
                .map_err(service_error)?;
            println!("enabled {username}");
        }
        UserCommand::ResetPassword { username, password } => {
            let u = accounts::find_user(svc, &actor, &username)
                .await
                .map_err(|_| anyhow!("no user named '{username}'"))?;
            let generated = password.is_none();
            let password = password.unwrap_or_else(random_password);
            accounts::reset_password(svc, &actor, u.id, &password)
                .await
                .map_err(service_error)?;
            println!("password of {username} reset; their sessions have ended");
            if generated {
                println!("password: {password}");
            }
        }
        UserCommand::Token {
            username,
            name,
            valid_days,
        } => {
            let u = accounts::find_user(svc, &actor, &username)
                .await
                .map_err(|_| anyhow!("no user named '{username}'"))?;
            let (t, secret) = accounts::create_token(svc, &actor, u.id, &name, valid_days)
                .await
                .map_err(service_error)?;
            println!(
                "token '{}' for {username} (id {}); send as 'Authorization: Bearer <token>':",
                t.name, t.id
            );
            println!("{secret}");
        }
    }
    Ok(ExitCode::SUCCESS)
}
