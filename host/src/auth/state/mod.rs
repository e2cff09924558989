//! The auth state a deployment shares: client registrations and signing keys, kept by the
//! backend and copied into memory, so that checking a token reads neither a table nor a file.
//!
//! Everything that is the same whatever keeps the state lives here: making registrations,
//! rotating keys, and keeping the memory copy current. Each backend's SQL is in one file of its
//! own, [`sqlite`] and [`postgres`], behind [`Store`].
//!
//! Both backends count the changes to the clients and to the keys in the database (triggers
//! keep the counts, whoever writes), and the copy is read again when a count moved. They differ
//! in when they look:
//!
//! - SQLite (one server, and `wharf client` beside it): before every answer, cheaply (`PRAGMA
//!   data_version`, a counter in shared memory). A change counts at once.
//! - PostgreSQL (several replicas): never on a request's path. A task of each replica reads the
//!   counts when another replica's change sends a `NOTIFY` (in the same transaction as the
//!   change) and at least every [`POLL_INTERVAL`], since notifications can be lost. A change
//!   made through one replica counts on it at once and on the others typically within
//!   milliseconds, at most [`POLL_INTERVAL`] plus one read later. A replica whose copy has not
//!   been confirmed current for [`STALE_LIMIT`] (the database cannot be reached) refuses every
//!   token and secret rather than trust a copy that may still hold a disabled client: so a
//!   disabled or removed client's tokens pass on another replica for at most [`STALE_LIMIT`].

mod postgres;
mod sqlite;

use std::path::Path;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use anyhow::{Context as _, Result};
use arc_swap::ArcSwap;

use super::clients::{self, Client, ClientFields, ClientRow, NewClient, Registrations};
use super::keys::{Keyring, SigningKey, StoredKey};
use crate::backend::Backend;

/// How often a PostgreSQL replica reads the change counts when no notification came.
pub(super) const POLL_INTERVAL: Duration = Duration::from_secs(1);

/// How long a PostgreSQL replica trusts its copy without confirming it is current: the bound
/// on how long a change made elsewhere can go unseen.
pub(super) const STALE_LIMIT: Duration = Duration::from_secs(5);

/// How long after a rotation on PostgreSQL the replaced key keeps signing. The new key is
/// published at once, and every replica still accepting tokens has read it within
/// [`STALE_LIMIT`]; signing with it only then means no replica meets a token signed with a key
/// it does not know yet. The rest covers replica clocks a few seconds apart.
pub(super) const HANDOVER: Duration = Duration::from_secs(10);

/// How long retired keys stay in the database at most: the longest token lifetime (24 hours),
/// the largest leeway (5 minutes) and [`STALE_LIMIT`], rounded up. A rotation deletes keys
/// retired longer ago, whatever any replica's settings.
const RETIRED_KEYS_KEPT: Duration = Duration::from_secs(86_400 + 300 + 60);

/// The state as of one moment: what token checks read.
pub(super) struct Snapshot {
    pub(super) registrations: Registrations,
    pub(super) keyring: Keyring,
}

/// The change counts of the clients and of the keys. They only grow, but a database restored
/// from a backup may count lower: a copy is read again whenever they differ.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Version {
    clients: i64,
    keys: i64,
}

/// Everything the backend holds, read in one transaction.
struct Contents {
    version: Version,
    clients: Vec<ClientRow>,
    keys: Vec<StoredKey>,
}

/// Where the state is kept.
enum Store {
    /// Boxed: two connections and their caches, against the pool handle of PostgreSQL.
    Sqlite(Box<sqlite::Store>),
    Postgres(postgres::Store),
}

/// The auth state: the store and the memory copy of it.
pub(super) struct State {
    /// Keeps a PostgreSQL copy current for as long as the state is open. Dropped first (fields
    /// drop in order), so that its task has let go of the shared state before the state goes.
    _refresher: Option<postgres::Refresher>,
    shared: Arc<Shared>,
}

/// What the state and its refresher share.
struct Shared {
    store: Store,
    snapshot: ArcSwap<Snapshot>,
    /// The version the copy was read at. SQLite holds it while it reads and installs, so that
    /// a reader waiting for it finds the copy current.
    version: Mutex<Option<Version>>,
    /// When the copy was last confirmed current (PostgreSQL).
    confirmed: Mutex<Instant>,
    /// Held by a PostgreSQL read until it has installed what it read, so that reads take turns
    /// and none installs over a newer one.
    refreshing: tokio::sync::Mutex<()>,
    /// How long a retired key keeps verifying after it stopped signing: the token lifetime,
    /// the leeway and [`STALE_LIMIT`] (a replica whose copy lags may sign with it for that long).
    retention: Duration,
    /// What an unknown client's secret is checked against.
    dummy_hash: String,
}

impl State {
    /// Opens the state on `backend`: with SQLite, the clients in the database at `db_path` and
    /// the active key in the file at `key_path` (created on first start); with PostgreSQL, both
    /// in the database, the first key made by whichever replica starts first. `retention` is how
    /// long tokens signed with a key can still be valid after it stops signing.
    pub(super) fn open(backend: &Backend, db_path: &Path, key_path: &Path, retention: Duration) -> Result<State> {
        let retention = retention + STALE_LIMIT;
        let store = match backend {
            Backend::Sqlite => Store::Sqlite(Box::new(sqlite::Store::open(db_path, key_path)?)),
            Backend::Postgres(postgres) => Store::Postgres(postgres::Store::open(postgres)?),
        };
        let contents = match &store {
            Store::Sqlite(sqlite) => sqlite.read(None)?,
            Store::Postgres(postgres) => postgres.wait(postgres.read(None))?,
        };
        let contents = contents.context("the auth state has no version")?;
        let version = contents.version;
        let snapshot = snapshot(contents, retention)?;
        let shared = Arc::new(Shared {
            store,
            snapshot: ArcSwap::from_pointee(snapshot),
            version: Mutex::new(Some(version)),
            confirmed: Mutex::new(Instant::now()),
            refreshing: tokio::sync::Mutex::new(()),
            retention,
            dummy_hash: clients::dummy_hash()?,
        });
        let refresher = match &shared.store {
            Store::Sqlite(_) => None,
            Store::Postgres(postgres) => Some(postgres.refresher(Arc::downgrade(&shared))?),
        };
        Ok(State { _refresher: refresher, shared })
    }

    /// The state as committed: for SQLite read again first if it changed; for PostgreSQL the
    /// copy, if it was confirmed current within [`STALE_LIMIT`]. `None` when that cannot be
    /// had: callers then refuse, since a copy that may be stale could let a removed client in.
    pub(super) fn current(&self) -> Option<Arc<Snapshot>> {
        let shared = &self.shared;
        match &shared.store {
            Store::Sqlite(_) => {
                if let Err(error) = shared.refresh() {
                    tracing::error!("cannot check the client registrations for changes: {error:#}");
                    return None;
                }
            }
            Store::Postgres(_) => {
                let unconfirmed = lock(&shared.confirmed).elapsed();
                if unconfirmed > STALE_LIMIT {
                    tracing::error!(
                        "the client registrations were last confirmed current {unconfirmed:?} ago; \
                         refusing until the database can be read"
                    );
                    return None;
                }
            }
        }
        Some(shared.snapshot.load_full())
    }

    /// The copy as last read, current or not: for what may be shown even when the database
    /// cannot be read, such as the public keys.
    pub(super) fn last(&self) -> Arc<Snapshot> {
        self.shared.snapshot.load_full()
    }

    /// What an unknown client's secret is checked against.
    pub(super) fn dummy_hash(&self) -> &str {
        &self.shared.dummy_hash
    }

    /// Registers a client; returns it with its secret.
    pub(super) fn add(&self, registration: NewClient) -> Result<(Client, String)> {
        let (client, secret, secret_hash) = clients::register(registration)?;
        let row = ClientRow { fields: ClientFields::of(&client)?, created: client.created.clone(), secret_hash };
        match &self.shared.store {
            Store::Sqlite(sqlite) => sqlite.insert_client(&row)?,
            Store::Postgres(postgres) => postgres.wait(postgres.insert_client(&row))?,
        }
        self.shared.refresh_after_change();
        Ok((client, secret))
    }

    /// Updates a client's name, roles, companies and enabled flag.
    pub(super) fn set(&self, client: &Client) -> Result<()> {
        let fields = ClientFields::of(client)?;
        let changed = match &self.shared.store {
            Store::Sqlite(sqlite) => sqlite.update_client(&fields)?,
            Store::Postgres(postgres) => postgres.wait(postgres.update_client(&fields))?,
        };
        anyhow::ensure!(changed, "no client {}", fields.id);
        self.shared.refresh_after_change();
        Ok(())
    }

    /// Gives a client a new secret and returns it.
    pub(super) fn reset_secret(&self, client_id: &str) -> Result<String> {
        let id = client_id.to_ascii_lowercase();
        let (secret, secret_hash) = clients::new_secret_and_hash()?;
        let changed = match &self.shared.store {
            Store::Sqlite(sqlite) => sqlite.update_secret(&id, &secret_hash)?,
            Store::Postgres(postgres) => postgres.wait(postgres.update_secret(&id, &secret_hash))?,
        };
        anyhow::ensure!(changed, "no client {id}");
        self.shared.refresh_after_change();
        Ok(secret)
    }

    /// Removes a client; false if there was none.
    pub(super) fn remove(&self, client_id: &str) -> Result<bool> {
        let id = client_id.to_ascii_lowercase();
        let removed = match &self.shared.store {
            Store::Sqlite(sqlite) => sqlite.delete_client(&id)?,
            Store::Postgres(postgres) => postgres.wait(postgres.delete_client(&id))?,
        };
        self.shared.refresh_after_change();
        Ok(removed)
    }

    /// Makes a new active key and retires the active one; returns the new key's id.
    pub(super) fn rotate_key(&self) -> Result<String> {
        let key = SigningKey::generate()?;
        match &self.shared.store {
            Store::Sqlite(sqlite) => sqlite.rotate_key(&key)?,
            Store::Postgres(postgres) => postgres.wait(postgres.rotate_key(&key))?,
        }
        self.shared.refresh_after_change();
        tracing::info!(kid = key.kid, "rotated the token signing key");
        Ok(key.kid)
    }
}

impl Shared {
    /// Reads the state again after a change this process made, so that the change counts here
    /// at once. The change is committed whatever happens here: a failure to read it back is
    /// logged, not returned (the caller would otherwise lose a secret it was never shown), and
    /// the next refresh finds it.
    fn refresh_after_change(&self) {
        if let Err(error) = self.refresh() {
            tracing::warn!("cannot read the auth state back after changing it: {error:#}");
        }
    }

    /// Reads the state again if anyone changed it since the copy was read.
    fn refresh(&self) -> Result<()> {
        match &self.store {
            Store::Sqlite(sqlite) => {
                let mut version = lock(&self.version);
                if let Some(contents) = sqlite.read(*version)? {
                    self.install(&mut version, contents).inspect_err(|_| sqlite.forget())?;
                }
                Ok(())
            }
            Store::Postgres(postgres) => postgres.wait(self.refresh_postgres(postgres)),
        }
    }

    /// Reads the state from PostgreSQL again if anyone changed it, taking turns with other reads.
    async fn refresh_postgres(&self, postgres: &postgres::Store) -> Result<()> {
        let _turn = self.refreshing.lock().await;
        let known = *lock(&self.version);
        let read_at = Instant::now();
        if let Some(contents) = postgres.read(known).await? {
            self.install(&mut lock(&self.version), contents)?;
        }
        *lock(&self.confirmed) = read_at;
        Ok(())
    }

    /// Makes `contents` the copy, unless the copy was read at the same version.
    fn install(&self, version: &mut Option<Version>, contents: Contents) -> Result<()> {
        if *version == Some(contents.version) {
            return Ok(());
        }
        let new_version = contents.version;
        self.snapshot.store(Arc::new(snapshot(contents, self.retention)?));
        *version = Some(new_version);
        Ok(())
    }
}

fn snapshot(contents: Contents, retention: Duration) -> Result<Snapshot> {
    let mut registrations = Registrations::with_capacity(contents.clients.len());
    for row in contents.clients {
        let registration = row.registration()?;
        registrations.insert(registration.client.id.clone(), registration);
    }
    let keyring = Keyring::new(contents.keys, retention).context("cannot read the token signing keys")?;
    Ok(Snapshot { registrations, keyring })
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    // What the mutexes guard is whole after any panic: a version, an instant.
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}
