//! The auth state in SQLite, for one server and the `wharf client` commands beside it: the
//! `auth_clients` table and retired keys in the server database, the active key in a file.
//!
//! Other processes change the database too (`wharf client` on the server's data directory), and
//! a removed or disabled client must be shut out at once, not at the next start. So before the
//! memory copy answers, a connection of its own asks SQLite whether anything was committed to
//! the file since it last looked (`PRAGMA data_version`: a counter in shared memory, no read of
//! the file), and if so, whether the clients or the keys changed (`auth_clients_changes` and
//! `auth_signing_keys_changes`, counts that triggers keep, whatever wrote). Only then are the
//! tables and the key file read again. The tables are the server database's migrations
//! (`migrations/sqlite/server/`), run when the database is opened.

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use anyhow::{Context as _, Result, bail, ensure};
use rusqlite::{Connection, OpenFlags, OptionalExtension as _, TransactionBehavior, params};

use super::{Contents, RETIRED_KEYS_KEPT, Version};
use crate::auth::clients::{ClientFields, ClientRow};
use crate::auth::keys::{self, SigningKey, StoredKey};

const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// The state in a SQLite database and a key file.
pub(super) struct Store {
    /// Every change this process makes goes through this connection.
    connection: Mutex<Connection>,
    /// Watches the file for changes.
    watch: Mutex<Watch>,
    /// The active signing key.
    key_path: PathBuf,
}

/// A read connection of its own, and what it last saw. It never writes: `PRAGMA data_version`
/// does not change for commits made on the connection that asks.
struct Watch {
    connection: Connection,
    /// `PRAGMA data_version` when the copy was last checked; `None` before the first.
    data_version: Option<i64>,
}

impl Store {
    /// Opens the database at `db_path`, creating the tables if missing (other tables may share
    /// the file), and the key at `key_path`, creating it if missing.
    pub(super) fn open(db_path: &Path, key_path: &Path) -> Result<Store> {
        // No URI flag: a path is always a file name, never `file:` options.
        let flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_CREATE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let mut connection = Connection::open_with_flags(db_path, flags)
            .with_context(|| format!("cannot open the client registrations {}", db_path.display()))?;
        configure(&mut connection)
            .with_context(|| format!("cannot prepare the client registrations {}", db_path.display()))?;
        let watch = Connection::open_with_flags(db_path, flags)
            .and_then(|watch| {
                watch.busy_timeout(BUSY_TIMEOUT)?;
                watch.pragma_update(None, "query_only", true)?;
                Ok(watch)
            })
            .with_context(|| format!("cannot open the client registrations {}", db_path.display()))?;
        SigningKey::load_or_create(key_path)?;
        Ok(Store {
            connection: Mutex::new(connection),
            watch: Mutex::new(Watch { connection: watch, data_version: None }),
            key_path: key_path.to_owned(),
        })
    }

    /// Everything, if anything was committed since the last look and the counts differ from
    /// `known`; else `None`.
    pub(super) fn read(&self, known: Option<Version>) -> Result<Option<Contents>> {
        let mut watch = self.watch();
        // Read before the tables, so that a commit in between makes the next check look again.
        let data_version: i64 = watch
            .connection
            .prepare_cached("PRAGMA data_version")?
            .query_row([], |row| row.get(0))
            .context("cannot read the database's data version")?;
        if known.is_some() && watch.data_version == Some(data_version) {
            return Ok(None);
        }
        // The counts and the rows from one read transaction: the copy matches the counts.
        let transaction = watch.connection.unchecked_transaction()?;
        let version = Version {
            clients: transaction
                .prepare_cached("SELECT count FROM auth_clients_changes WHERE id = 1")?
                .query_row([], |row| row.get(0))
                .context("cannot read the count of client changes")?,
            keys: transaction
                .prepare_cached("SELECT count FROM auth_signing_keys_changes WHERE id = 1")?
                .query_row([], |row| row.get(0))
                .context("cannot read the count of key changes")?,
        };
        let contents = match known == Some(version) {
            true => None,
            false => Some(Contents { version, clients: clients(&transaction)?, keys: self.keys(&transaction)? }),
        };
        transaction.finish()?;
        watch.data_version = Some(data_version);
        Ok(contents)
    }

    /// Makes the next read look at the tables whatever the data version: what it last read
    /// could not be installed.
    pub(super) fn forget(&self) {
        self.watch().data_version = None;
    }

    pub(super) fn insert_client(&self, row: &ClientRow) -> Result<()> {
        let connection = self.connection();
        let fields = &row.fields;
        let exists = connection
            .query_row("SELECT 1 FROM auth_clients WHERE id = ?1", [&fields.id], |_| Ok(()))
            .optional()
            .with_context(|| format!("cannot read client {}", fields.id))?;
        ensure!(exists.is_none(), "client {} already exists", fields.id);
        connection
            .execute(
                "INSERT INTO auth_clients (id, name, roles, companies, enabled, created, secret_hash)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                params![
                    fields.id,
                    fields.name,
                    fields.roles,
                    fields.companies,
                    fields.enabled,
                    row.created,
                    row.secret_hash
                ],
            )
            .with_context(|| format!("cannot save client {}", fields.id))?;
        Ok(())
    }

    /// Writes a client's name, roles, companies and enabled flag; false if there is no such
    /// client.
    pub(super) fn update_client(&self, fields: &ClientFields) -> Result<bool> {
        let changed = self
            .connection()
            .execute(
                "UPDATE auth_clients SET name = ?2, roles = ?3, companies = ?4, enabled = ?5 WHERE id = ?1",
                params![fields.id, fields.name, fields.roles, fields.companies, fields.enabled],
            )
            .with_context(|| format!("cannot save client {}", fields.id))?;
        Ok(changed == 1)
    }

    pub(super) fn update_secret(&self, id: &str, secret_hash: &str) -> Result<bool> {
        let changed = self
            .connection()
            .execute("UPDATE auth_clients SET secret_hash = ?2 WHERE id = ?1", params![id, secret_hash])
            .with_context(|| format!("cannot save client {id}"))?;
        Ok(changed == 1)
    }

    pub(super) fn delete_client(&self, id: &str) -> Result<bool> {
        let removed = self
            .connection()
            .execute("DELETE FROM auth_clients WHERE id = ?1", [id])
            .with_context(|| format!("cannot remove client {id}"))?;
        Ok(removed > 0)
    }

    /// Makes `key` the key file's, keeping the key it replaces as retired.
    ///
    /// In two transactions, each holding the database's write lock so that rotations take
    /// turns: the first only records the current key as retired, so that a crash before the
    /// file is replaced leaves a key both active and retired (which counts as active); the
    /// second records it again (another rotation may have come between), replaces the file,
    /// and moves the count once more, so that a server reading after the commit finds the new
    /// file.
    pub(super) fn rotate_key(&self, key: &SigningKey) -> Result<()> {
        let mut connection = self.connection();
        for replace in [false, true] {
            let transaction = connection.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let path = &self.key_path;
            let pem =
                fs::read_to_string(path).with_context(|| format!("cannot read the signing key {}", path.display()))?;
            let current = SigningKey::from_pem(&pem)
                .with_context(|| format!("{} is not a usable signing key", path.display()))?;
            let now = jsonwebtoken::get_current_timestamp();
            transaction.execute(
                "INSERT OR IGNORE INTO auth_signing_keys (kid, private_key, retired_at) VALUES (?1, ?2, ?3)",
                params![current.kid, current.pem, i64::try_from(now)?],
            )?;
            if replace {
                let expired = now.saturating_sub(RETIRED_KEYS_KEPT.as_secs());
                transaction
                    .execute("DELETE FROM auth_signing_keys WHERE retired_at < ?1", [i64::try_from(expired)?])?;
                keys::write_key_file(path, &key.pem, true)
                    .with_context(|| format!("cannot replace the signing key {}", path.display()))?;
                transaction.execute("UPDATE auth_signing_keys_changes SET count = count + 1 WHERE id = 1", [])?;
            }
            transaction.commit()?;
        }
        Ok(())
    }

    /// The active key from the file and the retired keys from the table.
    fn keys(&self, connection: &Connection) -> Result<Vec<StoredKey>> {
        let path = &self.key_path;
        let pem =
            fs::read_to_string(path).with_context(|| format!("cannot read the signing key {}", path.display()))?;
        let mut keys = vec![StoredKey { pem, retired_at: None }];
        let mut statement = connection.prepare_cached("SELECT private_key, retired_at FROM auth_signing_keys")?;
        let mut rows = statement.query([])?;
        while let Some(row) = rows.next()? {
            let retired_at: i64 = row.get(1)?;
            keys.push(StoredKey { pem: row.get(0)?, retired_at: Some(u64::try_from(retired_at).unwrap_or(0)) });
        }
        Ok(keys)
    }

    fn connection(&self) -> MutexGuard<'_, Connection> {
        // A connection is whole after any panic: SQLite rolls back an unfinished statement.
        self.connection.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn watch(&self) -> MutexGuard<'_, Watch> {
        self.watch.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

fn configure(connection: &mut Connection) -> Result<()> {
    connection.busy_timeout(BUSY_TIMEOUT)?;
    let mode: String = connection.query_row("PRAGMA journal_mode = WAL", [], |row| row.get(0))?;
    if !mode.eq_ignore_ascii_case("wal") {
        bail!("the file system does not support SQLite's WAL mode (got {mode}); use a local disk");
    }
    // A client is told its secret once: the registration must survive a power loss after that.
    connection.pragma_update(None, "synchronous", "FULL")?;
    // The tables (`auth_clients` and `auth_signing_keys`, with their change counts) are the
    // server database's migrations.
    crate::backend::sqlite::migrate_server(connection)
}

fn clients(connection: &Connection) -> Result<Vec<ClientRow>> {
    let mut statement = connection
        .prepare_cached("SELECT id, name, roles, companies, enabled, created, secret_hash FROM auth_clients")?;
    let mut rows = statement.query([])?;
    let mut clients = Vec::new();
    while let Some(row) = rows.next()? {
        let fields = ClientFields {
            id: row.get(0)?,
            name: row.get(1)?,
            roles: row.get(2)?,
            companies: row.get(3)?,
            enabled: row.get(4)?,
        };
        clients.push(ClientRow { fields, created: row.get(5)?, secret_hash: row.get(6)? });
    }
    Ok(clients)
}
