//! `wharf serve`: the server, until SIGINT or SIGTERM; then a graceful stop.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::Args;

use super::{Exit, Outcome, failed, unusable};
use crate::api::{Server, ServerConfig};

/// `wharf serve`.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// The server's configuration file (listen address, deployment, data, limits).
    #[arg(long, env = "WHARF_CONFIG")]
    pub config: Option<PathBuf>,
    /// The deployment directory, instead of the configuration's.
    #[arg(long, env = "WHARF_DEPLOYMENT")]
    pub deployment: Option<PathBuf>,
    /// The data directory, instead of the configuration's (or the deployment's).
    #[arg(long)]
    pub data: Option<PathBuf>,
    /// Where to listen, instead of the configuration's (`127.0.0.1:0` picks a free port).
    #[arg(long)]
    pub listen: Option<SocketAddr>,
    /// The URL clients reach the server by, instead of the configuration's.
    #[arg(long)]
    pub public_url: Option<String>,
    /// A PostgreSQL database (`postgres://…`) shared with other replicas, instead of the
    /// configuration's (or `WHARF_DATABASE_URL`'s); without one, state lives in SQLite files.
    #[arg(long)]
    pub database: Option<String>,
}

/// Runs the server until a signal stops it.
pub fn run(args: ServeArgs, out: &mut dyn std::io::Write) -> Outcome {
    let mut config = match &args.config {
        Some(path) => ServerConfig::load(path).map_err(unusable)?,
        None => ServerConfig::default(),
    };
    if let Some(deployment) = args.deployment {
        config.deployment = deployment;
    }
    config.data = args.data.or(config.data);
    config.listen = args.listen.unwrap_or(config.listen);
    config.public_url = args.public_url.or(config.public_url);
    config.database = config.database.resolve(args.database);

    let runtime =
        tokio::runtime::Builder::new_multi_thread().enable_all().thread_name("wharf-http").build().map_err(failed)?;
    runtime.block_on(async {
        let server = Server::bind(&config).await.map_err(unusable)?;
        let address = server.local_addr().map_err(failed)?;
        let scheme = if server.serves_tls() { "https" } else { "http" };
        writeln!(out, "listening on {scheme}://{address} (public URL {})", server.public_url()).map_err(failed)?;
        if server.auth().clients().is_empty() {
            writeln!(
                out,
                "no clients are registered yet: add one with `wharf client add <name> --role admin --company '*'`"
            )
            .map_err(failed)?;
        }
        out.flush().map_err(failed)?;
        server.run(shutdown_signal()).await.map_err(failed)?;
        writeln!(out, "stopped").map_err(failed)?;
        Ok(Exit::Success)
    })
}

/// Completes on SIGINT (Ctrl-C) or SIGTERM.
async fn shutdown_signal() {
    let interrupt = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut terminate = match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(terminate) => terminate,
            Err(error) => {
                tracing::warn!("cannot listen for SIGTERM: {error}");
                let _ = interrupt.await;
                return;
            }
        };
        tokio::select! {
            _ = interrupt => {}
            _ = terminate.recv() => {}
        }
    }
    #[cfg(not(unix))]
    let _ = interrupt.await;
    tracing::info!("shutting down");
}
