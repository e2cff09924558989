//! Where a deployment keeps what its replicas share: the queue, its bodies, the jobs defined
//! through the API, the data-package API's blobs, the clients and the keys, and the entity
//! store.
//!
//! Two backends, chosen by configuration: the embedded SQLite files beside one process (the
//! default, nothing to run), or one PostgreSQL database that several `wharf serve` replicas
//! share (`[database] url = "postgres://…"` in `server.toml`, `WHARF_DATABASE_URL`, or
//! `--database`). The callers of the queue, the blobs and the clients do not know which one
//! they talk to; each concern keeps the SQL of each backend in one place
//! (`jobs/queue/postgres.rs` beside `jobs/queue.rs`, `jobs/blobs/postgres.rs` beside
//! `jobs/blobs.rs`, `auth/state/postgres.rs` beside `auth/state/sqlite.rs`, `store/postgres/`
//! beside `store/sqlite.rs`). The entity store, with its executions and so OData, is shared
//! too.
pub mod postgres;
pub mod replicas;
pub mod sqlite;
pub mod testing;
#[cfg(test)]
mod tests;

use anyhow::{Result, bail};
use serde::{Deserialize, Serialize};

pub use postgres::Postgres;

/// The environment variable naming the database when neither the flag nor the configuration
/// does.
pub const DATABASE_URL_VAR: &str = "WHARF_DATABASE_URL";

/// `[database]` in `server.toml`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DatabaseSettings {
    /// `postgres://user@host:port/database`: share state with the other replicas on it. Absent,
    /// state lives in SQLite files in the data directory.
    pub url: Option<String>,
    /// Connections each replica keeps open at most (default: 16).
    pub pool_size: Option<usize>,
    /// `[database.replicas]`: how replicas report themselves to each other.
    pub replicas: replicas::ReplicaSettings,
}

impl DatabaseSettings {
    /// The PostgreSQL URL, if one is set; any other URL is refused.
    fn postgres_url(&self) -> Result<Option<&str>> {
        match self.url.as_deref() {
            None => Ok(None),
            Some(url) if url.starts_with("postgres://") || url.starts_with("postgresql://") => Ok(Some(url)),
            Some(_) => bail!("the database URL must start with postgres:// (SQLite is the default, with no URL)"),
        }
    }

    /// The settings with the URL a flag gives, else `WHARF_DATABASE_URL`, else the file's.
    pub fn resolve(mut self, flag: Option<String>) -> DatabaseSettings {
        if let Some(url) = flag.or_else(|| std::env::var(DATABASE_URL_VAR).ok().filter(|url| !url.is_empty())) {
            self.url = Some(url);
        }
        self
    }
}

/// The backend a deployment runs on. Cheap to clone.
#[derive(Debug, Clone, Default)]
pub enum Backend {
    /// SQLite files in the data directory, for one process.
    #[default]
    Sqlite,
    /// One PostgreSQL database for every replica.
    Postgres(Postgres),
}

impl Backend {
    /// Connects to the database `settings` name (migrating its schema to this version), or
    /// picks SQLite when they name none.
    pub async fn open(settings: &DatabaseSettings) -> Result<Backend> {
        let Some(url) = settings.postgres_url()? else { return Ok(Backend::Sqlite) };
        Ok(Backend::Postgres(Postgres::connect(url, settings.pool_size.unwrap_or(16)).await?))
    }

    /// [`open`](Self::open) from outside an async runtime (the command line): the database's
    /// connections get a runtime of their own.
    pub fn open_blocking(settings: &DatabaseSettings) -> Result<Backend> {
        let Some(url) = settings.postgres_url()? else { return Ok(Backend::Sqlite) };
        Ok(Backend::Postgres(Postgres::connect_blocking(url, settings.pool_size.unwrap_or(4))?))
    }

    /// The PostgreSQL database, when that is the backend.
    pub fn postgres(&self) -> Option<&Postgres> {
        match self {
            Backend::Sqlite => None,
            Backend::Postgres(postgres) => Some(postgres),
        }
    }
}
