//! The auth state in PostgreSQL, shared by every replica: `auth_clients`, `auth_keys`, and
//! the change counts in `auth_changes` that triggers keep and announce on [`CHANNEL`].
//!
//! Auth's interface is blocking (handlers call it from blocking tasks, the command line from
//! its thread), so the queries run through [`Store::wait`]. Nothing on a token's path queries:
//! a [`Refresher`] task keeps the memory copy current.
//!
//! The private keys are in `auth_keys` as the key file holds them with SQLite: whoever can read
//! that table can mint tokens for any client, so only Wharf's database role should.

use std::sync::{Arc, Weak};
use std::time::Duration;

use anyhow::{Result, ensure};
use tokio::runtime::Handle;
use tokio::sync::Notify;
use tokio_postgres::IsolationLevel;

use super::{Contents, HANDOVER, POLL_INTERVAL, RETIRED_KEYS_KEPT, Shared, Version};
use crate::auth::clients::{ClientFields, ClientRow};
use crate::auth::keys::{SigningKey, StoredKey};
use crate::backend::Postgres;
use crate::backend::postgres::Listening;

/// Where the triggers announce a change to the clients or the keys.
const CHANNEL: &str = "wharf_auth";

/// The longest a refresh may take before it counts as failed: the database is unreachable
/// or stuck, and the copy goes unconfirmed.
const READ_TIMEOUT: Duration = Duration::from_secs(3);

/// The state in a PostgreSQL database.
pub(super) struct Store {
    postgres: Postgres,
}

impl Store {
    /// Opens the state, making the first signing key when the database has none. Replicas
    /// starting together each offer a key; the unique index on the active key keeps the first.
    pub(super) fn open(postgres: &Postgres) -> Result<Store> {
        let store = Store { postgres: postgres.clone() };
        let key = SigningKey::generate()?;
        let created = store.wait(async {
            let client = store.postgres.client().await?;
            let inserted = client
                .execute(
                    "INSERT INTO auth_keys (kid, private_key) VALUES ($1, $2) ON CONFLICT DO NOTHING",
                    &[&key.kid, &key.pem],
                )
                .await?;
            Ok(inserted == 1)
        })?;
        if created {
            tracing::info!(kid = key.kid, "created the token signing key in the database");
        }
        Ok(store)
    }

    pub(super) fn wait<T>(&self, work: impl Future<Output = Result<T>>) -> Result<T> {
        self.postgres.wait(work)
    }

    /// Everything, if the counts differ from `known`; else `None`.
    pub(super) async fn read(&self, known: Option<Version>) -> Result<Option<Contents>> {
        let mut client = self.postgres.client().await?;
        // One snapshot of the database for the counts and the rows: the copy matches the counts.
        let transaction =
            client.build_transaction().isolation_level(IsolationLevel::RepeatableRead).read_only(true).start().await?;
        let counts = transaction.query_one("SELECT clients, keys FROM auth_changes WHERE id = 1", &[]).await?;
        let version = Version { clients: counts.get(0), keys: counts.get(1) };
        if known == Some(version) {
            return Ok(None);
        }
        let rows = transaction
            .query("SELECT id, name, roles, companies, enabled, created, secret_hash FROM auth_clients", &[])
            .await?;
        let clients = rows
            .into_iter()
            .map(|row| ClientRow {
                fields: ClientFields {
                    id: row.get(0),
                    name: row.get(1),
                    roles: row.get(2),
                    companies: row.get(3),
                    enabled: row.get(4),
                },
                created: row.get(5),
                secret_hash: row.get(6),
            })
            .collect();
        let rows =
            transaction.query("SELECT private_key, extract(epoch FROM retired_at)::bigint FROM auth_keys", &[]).await?;
        let keys = rows
            .into_iter()
            .map(|row| StoredKey {
                pem: row.get(0),
                retired_at: row.get::<_, Option<i64>>(1).map(|seconds| u64::try_from(seconds).unwrap_or(0)),
            })
            .collect();
        transaction.commit().await?;
        Ok(Some(Contents { version, clients, keys }))
    }

    pub(super) async fn insert_client(&self, row: &ClientRow) -> Result<()> {
        let fields = &row.fields;
        let inserted = self
            .postgres
            .client()
            .await?
            .execute(
                "INSERT INTO auth_clients (id, name, roles, companies, enabled, created, secret_hash)
                 VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (id) DO NOTHING",
                &[
                    &fields.id,
                    &fields.name,
                    &fields.roles,
                    &fields.companies,
                    &fields.enabled,
                    &row.created,
                    &row.secret_hash,
                ],
            )
            .await?;
        ensure!(inserted == 1, "client {} already exists", fields.id);
        Ok(())
    }

    /// Writes a client's name, roles, companies and enabled flag; false if there is no such
    /// client.
    pub(super) async fn update_client(&self, fields: &ClientFields) -> Result<bool> {
        let changed = self
            .postgres
            .client()
            .await?
            .execute(
                "UPDATE auth_clients SET name = $2, roles = $3, companies = $4, enabled = $5 WHERE id = $1",
                &[&fields.id, &fields.name, &fields.roles, &fields.companies, &fields.enabled],
            )
            .await?;
        Ok(changed == 1)
    }

    pub(super) async fn update_secret(&self, id: &str, secret_hash: &str) -> Result<bool> {
        let changed = self
            .postgres
            .client()
            .await?
            .execute("UPDATE auth_clients SET secret_hash = $2 WHERE id = $1", &[&id, &secret_hash])
            .await?;
        Ok(changed == 1)
    }

    pub(super) async fn delete_client(&self, id: &str) -> Result<bool> {
        let removed = self.postgres.client().await?.execute("DELETE FROM auth_clients WHERE id = $1", &[&id]).await?;
        Ok(removed > 0)
    }

    /// Makes `key` the active one and retires the active one [`HANDOVER`] from now (it signs
    /// until then), in one transaction; deletes keys retired so long ago that no token they
    /// signed can still be valid. Rotations take turns (the table lock), so two at once retire
    /// each other's keys in order rather than fail.
    pub(super) async fn rotate_key(&self, key: &SigningKey) -> Result<()> {
        let mut client = self.postgres.client().await?;
        let transaction = client.transaction().await?;
        // Readers (other replicas' refreshes) are not blocked; writers of keys are.
        transaction.batch_execute("LOCK TABLE auth_keys IN EXCLUSIVE MODE").await?;
        let handover = HANDOVER.as_secs_f64();
        transaction
            .execute(
                "UPDATE auth_keys SET retired_at = now() + make_interval(secs => $1) WHERE retired_at IS NULL",
                &[&handover],
            )
            .await?;
        let kept = RETIRED_KEYS_KEPT.as_secs_f64();
        transaction
            .execute("DELETE FROM auth_keys WHERE retired_at < now() - make_interval(secs => $1)", &[&kept])
            .await?;
        transaction.execute("INSERT INTO auth_keys (kid, private_key) VALUES ($1, $2)", &[&key.kid, &key.pem]).await?;
        transaction.commit().await?;
        Ok(())
    }

    /// Starts keeping `shared`'s copy current, for as long as the refresher is kept.
    pub(super) fn refresher(&self, shared: Weak<Shared>) -> Result<Refresher> {
        let wake = Arc::new(Notify::new());
        let listening = self.postgres.listen(CHANNEL, wake.clone());
        let handle = self.wait(async { Ok(Handle::current()) })?;
        let polling = Some(handle.spawn(keep_current(shared, wake)));
        Ok(Refresher { _listening: listening, polling, postgres: self.postgres.clone() })
    }
}

/// The tasks that keep a replica's copy current; they stop when this is dropped.
pub(super) struct Refresher {
    _listening: Listening,
    polling: Option<tokio::task::JoinHandle<()>>,
    postgres: Postgres,
}

impl Drop for Refresher {
    fn drop(&mut self) {
        let Some(polling) = self.polling.take() else { return };
        polling.abort();
        // Outside a runtime (the command line, tests), the database may own its runtime: the
        // task must have ended, and let go of the state it was reading, before that runtime
        // can be dropped, which cannot happen on one of the runtime's own threads. Within a
        // runtime the database's connections live on that runtime, and the task ends on its own.
        if Handle::try_current().is_err() {
            let _ = self.postgres.block_on(polling);
        }
    }
}

/// Reads the counts whenever `wake` is notified and at least every [`POLL_INTERVAL`], and the
/// tables when the counts moved, until the state is dropped.
async fn keep_current(shared: Weak<Shared>, wake: Arc<Notify>) {
    loop {
        // Registered before reading, so that a notification during the read is not missed.
        let notified = wake.notified();
        tokio::pin!(notified);
        notified.as_mut().enable();
        {
            let Some(shared) = shared.upgrade() else { return };
            let super::Store::Postgres(store) = &shared.store else { return };
            let refreshed = match tokio::time::timeout(READ_TIMEOUT, shared.refresh_postgres(store)).await {
                Ok(refreshed) => refreshed,
                Err(_) => Err(anyhow::anyhow!("no answer within {READ_TIMEOUT:?}")),
            };
            if let Err(error) = refreshed {
                tracing::warn!("cannot read the client registrations and signing keys: {error:#}");
            }
        }
        tokio::select! {
            () = &mut notified => {}
            () = tokio::time::sleep(POLL_INTERVAL) => {}
        }
    }
}
