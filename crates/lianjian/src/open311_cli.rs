//! `lianjian open311 key …`: the API keys of applications that submit requests through the
//! Open311 GeoReport v2 interface (`/open311/v2/`), from the server's shell. A key is printed
//! once when created and stored only as its hash; its region is where it may register requests.

use std::process::ExitCode;

use clap::Subcommand;
use lianjian_services::clues::open311;
use lianjian_services::{Services, cli_actor};

use crate::service_error;

#[derive(Subcommand)]
pub enum Open311Command {
    /// API keys of submitting applications.
    Key {
        #[command(subcommand)]
        action: KeyCommand,
    },
}

#[derive(Subcommand)]
pub enum KeyCommand {
    /// Create a key (printed once, on the last line; only its hash is stored).
    Create {
        /// The application's name, e.g. 县政务App
        #[arg(long)]
        name: String,
        /// Region code (GB/T 2260) the key registers requests in, e.g. 411121
        #[arg(long)]
        region: String,
    },
    /// List keys (id, name, region, created, revoked); never the keys themselves.
    List,
    /// Revoke a key by its id; requests it submitted stay.
    Revoke { id: String },
}

pub async fn run(svc: &Services, action: Open311Command) -> anyhow::Result<ExitCode> {
    let actor = cli_actor();
    match action {
        Open311Command::Key { action } => match action {
            KeyCommand::Create { name, region } => {
                let (k, secret) = open311::create_key(svc, &actor, &name, &region)
                    .await
                    .map_err(service_error)?;
                println!(
                    "created Open311 key {} for {} in region {} (shown once; keep it safe):",
                    k.id, k.name, k.region_code
                );
                println!("{secret}");
                Ok(ExitCode::SUCCESS)
            }
            KeyCommand::List => {
                let keys = open311::keys(svc, &actor).await.map_err(service_error)?;
                println!(
                    "{:<36}  {:<20}  {:<12}  {:<25}  revoked",
                    "id", "name", "region", "created"
                );
                for k in keys {
                    println!(
                        "{:<36}  {:<20}  {:<12}  {:<25}  {}",
                        k.id,
                        k.name,
                        k.region_code.to_string(),
                        k.created_at.to_rfc3339(),
                        k.revoked_at
                            .map(|t| t.to_rfc3339())
                            .unwrap_or_else(|| "-".into())
                    );
                }
                Ok(ExitCode::SUCCESS)
            }
            KeyCommand::Revoke { id } => {
                open311::revoke_key(svc, &actor, &id)
                    .await
                    .map_err(service_error)?;
                println!("revoked Open311 key {id}");
                Ok(ExitCode::SUCCESS)
            }
        },
    }
}
