//! `wharf client`: registers the clients that may call the server, and rotates the key its
//! tokens are signed with, on the server's data directory or, with `--database`, in the
//! PostgreSQL database the replicas share. The server need not run; a running one reads every
//! change from the database before it next checks a token or a secret (SQLite), or within
//! seconds (PostgreSQL, on every replica), so removing or disabling a client, or resetting its
//! secret, shuts it out.

use std::collections::BTreeSet;

use clap::{Args, Subcommand};

use super::{Exit, Outcome, failed, unusable};
use crate::auth::{Auth, AuthSettings, Client, Companies, NewClient, Role};
use crate::backend::{Backend, DatabaseSettings};
use crate::deployment::Settings;

/// `wharf client …`.
#[derive(Debug, Subcommand)]
pub enum ClientCommand {
    /// Register a client and print its secret (shown only this once).
    Add(AddArgs),
    /// List the registered clients.
    List(DataArgs),
    /// Remove a client; its tokens and secret stop working at once.
    Remove(IdArgs),
    /// Disable a client; its tokens and secret stop working at once, until it is enabled.
    Disable(IdArgs),
    /// Enable a disabled client again.
    Enable(IdArgs),
    /// Give a client a new secret and print it (shown only this once); the old one stops
    /// working at once, tokens already issued do not (disable the client to stop those too).
    ResetSecret(IdArgs),
    /// Make a new token signing key; the old one stops signing but keeps verifying the tokens
    /// it signed until they expire (token lifetime plus leeway), then drops out of the JWKS.
    RotateKey(DataArgs),
}

/// One registered client.
#[derive(Debug, Args)]
pub struct IdArgs {
    /// The client id.
    pub id: String,
    #[command(flatten)]
    pub data: DataArgs,
}

/// Where the server keeps its data.
#[derive(Debug, Args)]
pub struct DataArgs {
    /// The deployment directory.
    #[arg(long, env = "WHARF_DEPLOYMENT", default_value = ".")]
    pub deployment: std::path::PathBuf,
    /// The data directory, instead of the deployment's.
    #[arg(long)]
    pub data: Option<std::path::PathBuf>,
    /// The PostgreSQL database the server's replicas share (`postgres://…`), instead of the
    /// data directory's SQLite files; `WHARF_DATABASE_URL` when not given.
    #[arg(long)]
    pub database: Option<String>,
}

/// `wharf client add`.
#[derive(Debug, Args)]
pub struct AddArgs {
    /// A name for people, shown by `wharf client list`; the client id is a new GUID.
    pub name: Option<String>,
    /// The client id, instead of a new GUID: an Entra application id to accept its tokens
    /// under, or an existing deployment's id. D365 client ids are Entra application ids, and
    /// RIS reads its client id as a GUID, so other ids work only with clients that do not.
    #[arg(long)]
    pub id: Option<String>,
    /// A role: admin, operator, data-management (repeat for several).
    #[arg(long = "role", value_parser = parse_role)]
    pub roles: Vec<Role>,
    /// A company the client may see (repeat for several), or `*` for all.
    #[arg(long = "company", required = true)]
    pub companies: Vec<String>,
    #[command(flatten)]
    pub data: DataArgs,
}

fn parse_role(text: &str) -> Result<Role, String> {
    match text {
        "admin" => Ok(Role::Admin),
        "data-management" => Ok(Role::DataManagement),
        "operator" => Ok(Role::Operator),
        other => Err(format!("no role is called {other}; use admin, operator or data-management")),
    }
}

/// Runs a client command.
pub fn run(command: ClientCommand, out: &mut dyn std::io::Write) -> Outcome {
    match command {
        ClientCommand::Add(args) => {
            let auth = open(&args.data)?;
            let companies = match args.companies.iter().any(|company| company == "*") {
                true => Companies::All,
                false => Companies::Only(args.companies.into_iter().collect()),
            };
            let registration = NewClient {
                id: args.id,
                name: args.name.unwrap_or_default(),
                roles: args.roles.into_iter().collect::<BTreeSet<_>>(),
                companies,
                enabled: true,
            };
            let (client, secret) = auth.add_client(registration).map_err(unusable)?;
            writeln!(out, "client id:     {}", client.id).map_err(failed)?;
            writeln!(out, "client name:   {}", client.name).map_err(failed)?;
            writeln!(out, "client secret: {secret}").map_err(failed)?;
        }
        ClientCommand::List(data) => {
            for client in open(&data)?.clients() {
                let roles: Vec<_> = client.roles.iter().map(|role| role.as_str()).collect();
                let companies = serde_json::to_string(&client.companies).map_err(failed)?;
                writeln!(
                    out,
                    "{}\t{}\troles {}\tcompanies {companies}\t{}",
                    client.id,
                    client.name,
                    roles.join(","),
                    if client.enabled { "enabled" } else { "disabled" }
                )
                .map_err(failed)?;
            }
        }
        ClientCommand::Remove(IdArgs { id, data }) => {
            if !open(&data)?.remove_client(&id).map_err(failed)? {
                return Err(unusable(anyhow::anyhow!("no client {id} is registered")));
            }
            writeln!(out, "removed {id}").map_err(failed)?;
        }
        ClientCommand::Disable(IdArgs { id, data }) => {
            set_enabled(&open(&data)?, &id, false)?;
            writeln!(out, "disabled {id}").map_err(failed)?;
        }
        ClientCommand::Enable(IdArgs { id, data }) => {
            set_enabled(&open(&data)?, &id, true)?;
            writeln!(out, "enabled {id}").map_err(failed)?;
        }
        ClientCommand::ResetSecret(IdArgs { id, data }) => {
            let auth = open(&data)?;
            if auth.client(&id).is_none() {
                return Err(unusable(anyhow::anyhow!("no client {id} is registered")));
            }
            let secret = auth.reset_secret(&id).map_err(failed)?;
            writeln!(out, "client id:     {}", id.to_ascii_lowercase()).map_err(failed)?;
            writeln!(out, "client secret: {secret}").map_err(failed)?;
        }
        ClientCommand::RotateKey(data) => {
            let kid = open(&data)?.rotate_key().map_err(failed)?;
            writeln!(out, "signing key:   {kid}").map_err(failed)?;
        }
    }
    Ok(Exit::Success)
}

fn set_enabled(auth: &Auth, id: &str, enabled: bool) -> Result<(), super::Failure> {
    let client = auth.client(id).ok_or_else(|| unusable(anyhow::anyhow!("no client {id} is registered")))?;
    auth.set_client(&Client { enabled, ..client }).map_err(failed)
}

fn open(args: &DataArgs) -> Result<Auth, super::Failure> {
    let settings = Settings::load(&args.deployment, args.data.as_deref()).map_err(unusable)?;
    let data = settings.data_dir(&args.deployment);
    std::fs::create_dir_all(&data).map_err(unusable)?;
    // Issuer and audience matter only to tokens, which this command neither makes nor reads.
    let settings = AuthSettings { issuer: "wharf".into(), audience: "wharf".into(), ..AuthSettings::default() };
    let database = DatabaseSettings::default().resolve(args.database.clone());
    let backend = Backend::open_blocking(&database).map_err(unusable)?;
    Auth::open(&backend, &data.join("server.db"), &data.join("keys").join("signing.pem"), settings).map_err(unusable)
}
