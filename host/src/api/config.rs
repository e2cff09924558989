//! The server's configuration file (`wharf serve --config server.toml`).
//!
//! ```toml
//! listen = "127.0.0.1:8080"
//! deployment = "examples/deployment"        # relative to this file
//! # data = "/var/lib/wharf"                 # else the deployment's data directory
//! public_url = "https://wharf.example.com"  # what links and token audiences say
//! shutdown_grace = "30s"
//!
//! [tls]                                     # serve HTTPS instead of HTTP
//! certificate = "tls/wharf.crt"             # PEM: the certificate, then its chain
//! key = "tls/wharf.key"                     # PEM: its private key (PKCS#8, PKCS#1 or SEC1)
//!
//! [limits]
//! max_body_bytes = 536870912                # enqueue and package uploads
//! max_action_body_bytes = 1048576           # JSON bodies of actions and management calls
//! requests_per_second = 2000                # per client
//! burst = 4000
//! token_requests_per_minute = 120           # per address, token endpoint
//! token_burst = 10                          # of those, at once
//! token_requests_waiting = 32               # for a secret check; beyond, 503
//! header_read_timeout = "10s"               # to send a whole request head
//! idle_timeout = "60s"                      # silence between requests, or within a body
//! max_connections = 1024                    # open at once
//!
//! [jobs]
//! workers = 2
//! folder_roots = ["/srv/wharf/files"]       # jobs' inbound and outbound folders stay inside
//! visibility_timeout = "30m"
//! max_deliveries = 5
//! retention = "7days"
//!
//! [auth]
//! token_lifetime = "1h"
//!
//! [console]                                 # the operator console's sign-in sessions
//! idle_timeout = "30m"                      # signed out after this long without a request
//! lifetime = "12h"                          # and after this long whatever the activity
//!
//! [database]                                # replicas sharing one PostgreSQL (else SQLite)
//! url = "postgres://wharf@db.example.com/wharf"
//! pool_size = 16
//!
//! [metrics]                                 # Prometheus at /metrics, open by default
//! # enabled = false                         # no /metrics, nothing recorded
//! # token = "…"                             # scrapes send `Authorization: Bearer …`
//! # listen = "127.0.0.1:9100"               # /metrics there only, not on `listen`
//! ```

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context as _, Result};
use serde::{Deserialize, Serialize};

use crate::auth::AuthSettings;
use crate::jobs::JobSettings;

/// `server.toml`.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ServerConfig {
    /// Where to listen.
    pub listen: SocketAddr,
    /// The deployment directory.
    pub deployment: PathBuf,
    /// The data directory, when not the deployment's.
    pub data: Option<PathBuf>,
    /// The URL clients reach the server by, without a trailing slash: download links, upload
    /// links and the token audience start with it. Defaults to `http://{listen}`, or
    /// `https://{listen}` with `[tls]`.
    pub public_url: Option<String>,
    /// Serve HTTPS with this certificate, rather than plain HTTP.
    pub tls: Option<TlsFiles>,
    /// How long a shutdown waits for executions under way.
    #[serde(with = "humantime_serde")]
    pub shutdown_grace: Duration,
    /// Request limits.
    pub limits: Limits,
    /// The job service.
    pub jobs: JobSettings,
    /// Tokens and clients.
    pub auth: AuthSettings,
    /// The OData service.
    pub odata: crate::odata::Settings,
    /// Where shared state lives: SQLite in the data directory unless a PostgreSQL URL is set.
    pub database: crate::backend::DatabaseSettings,
    /// The operator console at `/console`.
    pub console: ConsoleSettings,
    /// Prometheus metrics at `/metrics`.
    pub metrics: super::metrics::MetricsSettings,
}

/// The `[console]` table: how long a browser's sign-in lasts.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ConsoleSettings {
    /// A session unused this long is signed out: a browser left open on a shared desk.
    #[serde(with = "humantime_serde")]
    pub idle_timeout: Duration,
    /// A session ends this long after sign-in whatever its use, so that a stolen cookie is
    /// good for a bounded time.
    #[serde(with = "humantime_serde")]
    pub lifetime: Duration,
}

impl Default for ConsoleSettings {
    fn default() -> Self {
        ConsoleSettings { idle_timeout: Duration::from_secs(30 * 60), lifetime: Duration::from_secs(12 * 3600) }
    }
}

/// The `[tls]` table: PEM files, relative to the configuration file.
///
/// D365 is reached over HTTPS on the default port, and its clients count on it: RIS rewrites
/// every download link to https without a port, and d365fo.integrations rewrites `http://` to
/// `https://` and deletes `:80` wherever it occurs. So Wharf serves TLS itself (or sits behind
/// a TLS proxy, with `public_url` the proxy's URL).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TlsFiles {
    /// The server's certificate followed by its chain, PEM.
    pub certificate: PathBuf,
    /// The certificate's private key, PEM.
    pub key: PathBuf,
}

/// Limits on what requests may cost.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Limits {
    /// Largest enqueued document or uploaded package. Data packages can be large; bodies are
    /// streamed to disk, so this bounds disk, not memory.
    pub max_body_bytes: u64,
    /// Largest JSON body of an action or management call, which is read whole.
    pub max_action_body_bytes: usize,
    /// Sustained requests per second per client; beyond it, 429 with `Retry-After`.
    pub requests_per_second: u32,
    /// Requests a client may make at once above the sustained rate.
    pub burst: u32,
    /// Token requests per minute per address: the token endpoint checks a secret with argon2,
    /// which is made to be slow, so it must not become a lever to exhaust the CPU.
    pub token_requests_per_minute: u32,
    /// Token requests an address may make at once (at most `token_requests_per_minute`);
    /// beyond, 429 with `Retry-After`. Small, because each one costs an argon2 hash: a client
    /// needs a token an hour, and a burst is how one address makes the server hash at once.
    pub token_burst: u32,
    /// Token requests that may wait for a secret check while one runs on every core; beyond,
    /// or after waiting 5 s, 503 with `Retry-After`. A check holds argon2's 19 MiB, so only
    /// as many run as there are cores, whatever the number of addresses asking: a waiting
    /// request holds a connection and no more.
    pub token_requests_waiting: usize,
    /// How long a connection has to send a whole request head, from its accept or from the
    /// first byte of a later request; then it is closed. Against slowloris: a client that
    /// sends its head a byte at a time holds a connection, and a descriptor, for no request.
    #[serde(with = "humantime_serde")]
    pub header_read_timeout: Duration,
    /// How long a connection may stay silent while the server waits for it: between requests
    /// on a kept-alive connection, and within a request body a handler is reading. Then it is
    /// closed, so that idle and stalled connections do not pile up.
    #[serde(with = "humantime_serde")]
    pub idle_timeout: Duration,
    /// Connections open at once. At the cap, a new connection closes the one that has waited
    /// longest without sending a complete request, so that an attacker holding connections
    /// open never shuts real clients (or health checks) out; connections with a request under
    /// way are never closed for room. Kept below the open-file limit, which the server raises
    /// to its hard limit at start, so that files and databases always have descriptors left.
    pub max_connections: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_body_bytes: 512 * 1024 * 1024,
            max_action_body_bytes: 1024 * 1024,
            requests_per_second: 2000,
            burst: 4000,
            token_requests_per_minute: 120,
            token_burst: 10,
            token_requests_waiting: 32,
            header_read_timeout: Duration::from_secs(10),
            idle_timeout: Duration::from_secs(60),
            max_connections: 1024,
        }
    }
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            deployment: PathBuf::from("."),
            data: None,
            public_url: None,
            tls: None,
            shutdown_grace: Duration::from_secs(30),
            limits: Limits::default(),
            jobs: JobSettings::default(),
            auth: AuthSettings::default(),
            odata: crate::odata::Settings::default(),
            database: crate::backend::DatabaseSettings::default(),
            console: ConsoleSettings::default(),
            metrics: super::metrics::MetricsSettings::default(),
        }
    }
}

impl ServerConfig {
    /// Reads `path`; relative directories in it are relative to the file.
    pub fn load(path: &Path) -> Result<ServerConfig> {
        let text = std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
        let mut config: ServerConfig = toml::from_str(&text).with_context(|| format!("invalid {}", path.display()))?;
        let base = path.parent().unwrap_or(Path::new("."));
        config.deployment = base.join(&config.deployment);
        config.data = config.data.map(|data| base.join(data));
        config.jobs.folder_roots = config.jobs.folder_roots.iter().map(|root| base.join(root)).collect();
        config.tls =
            config.tls.map(|tls| TlsFiles { certificate: base.join(tls.certificate), key: base.join(tls.key) });
        Ok(config)
    }

    /// The public URL, without a trailing slash.
    pub fn public_url(&self, bound: SocketAddr) -> String {
        match &self.public_url {
            Some(url) => url.trim_end_matches('/').to_owned(),
            None if self.tls.is_some() => format!("https://{bound}"),
            None => format!("http://{bound}"),
        }
    }
}
