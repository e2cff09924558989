//! The entity store on SQLite: one database file holding a table per entity, the
//! change-tracking versions exports read from, export watermarks and the record of executions.
//!
//! Every entity row carries `_version`, the number of the write transaction that last changed
//! it. Versions come from one counter taken inside the write transaction, and SQLite has one
//! writer at a time, so versions follow commit order: "everything changed after version `v`"
//! is `_version > v`, which is all an incremental export needs.
//!
//! SQLite connections are not `Sync`, so no connection is ever shared: a thread takes an idle
//! connection (or opens one when none is idle) for the length of one call and gives it back.
//! The exception is a [`Writer`](super::write::Writer), which keeps its own connection for a
//! writer thread's lifetime.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, RwLock};
use std::time::Duration;

use anyhow::{Context as _, Result, bail};
use rusqlite::{Connection, OpenFlags, OptionalExtension as _, TransactionBehavior};

use super::changes::Turns;
use super::schema;
use super::write::Writer;
use super::{Watermark, check_prepared, sql_version, stored_version};
use crate::entity::{COMPANY_FIELD, Catalog, Entity};

/// How long a connection waits for another connection's write transaction before giving up.
/// Write transactions hold one batch (milliseconds) or one action's unit of work, so waiting
/// rides out contention; the bound keeps a stuck writer from hanging every other one.
pub(super) const BUSY_TIMEOUT: Duration = Duration::from_secs(10);

/// Idle connections kept for reuse. Each holds its own page cache (about 2 MiB at SQLite's
/// default), so more idle connections than threads that read at once would only hold memory.
const IDLE_CONNECTIONS_MAX: usize = 8;

/// WAL pages (4 KiB each) written between automatic checkpoints: about 40 MiB.
const WAL_CHECKPOINT_PAGES: i64 = 10_000;

/// The page cache of a [`Writer`]'s connection, in KiB. Other connections keep SQLite's
/// default (2 MiB), as up to `IDLE_CONNECTIONS_MAX` of them stay open.
const WRITER_CACHE_KIB: i64 = 64 * 1024;

/// The layout of the meta tables this code writes. A file from a newer Wharf is refused rather
/// than misread.
const STORE_FORMAT: i64 = 1;

/// A handle on one SQLite database file. Cheap to clone; every clone shares the same idle
/// connections and prepared catalog.
#[derive(Debug, Clone)]
pub(super) struct Sqlite {
    pub(super) shared: Arc<Shared>,
}

#[derive(Debug)]
pub(super) struct Shared {
    path: PathBuf,
    idle: Mutex<Vec<Connection>>,
    /// The entities given to the last successful [`Store::prepare`].
    catalog: RwLock<Arc<Catalog>>,
    /// Units of work take turns here before they take SQLite's write lock.
    pub(super) turns: Arc<Turns>,
}

impl Sqlite {
    /// Opens the database at `path`, creating the file when it does not exist yet, and brings
    /// its meta tables to this version. Use one `Store` per database file and clone it.
    pub(super) fn open(path: &Path) -> Result<Sqlite> {
        let shared = Shared {
            path: path.to_owned(),
            idle: Mutex::new(Vec::new()),
            catalog: RwLock::new(Arc::new(Catalog::default())),
            turns: Arc::default(),
        };
        let store = Sqlite { shared: Arc::new(shared) };
        store.with_connection(|connection| {
            crate::backend::sqlite::migrate_store(connection)
                .with_context(|| format!("cannot prepare the store {}", path.display()))?;
            let format: i64 = connection
                .query_row("SELECT value FROM wharf_meta WHERE name = 'format'", [], |row| row.get(0))
                .context("cannot read the store format")?;
            if format > STORE_FORMAT {
                bail!(
                    "{} was written by a newer Wharf (store format {format}, this one knows {STORE_FORMAT}); \
                     run that version or restore a backup",
                    path.display()
                );
            }
            Ok(())
        })?;
        Ok(store)
    }

    /// The database file.
    pub(super) fn path(&self) -> &Path {
        &self.shared.path
    }

    /// Runs SQLite's `PRAGMA integrity_check`; an error lists what it found. Use it after a
    /// crash or before a backup.
    pub(super) fn check_integrity(&self) -> Result<()> {
        let problems = self.with_connection(|connection| {
            let mut statement = connection.prepare("PRAGMA integrity_check")?;
            let problems = statement.query_map([], |row| row.get::<_, String>(0))?;
            Ok(problems.collect::<rusqlite::Result<Vec<String>>>()?)
        });
        let problems = problems.context("cannot check the integrity of the store")?;
        if problems != ["ok"] {
            bail!("the store {} is damaged: {}", self.path().display(), problems.join("; "));
        }
        Ok(())
    }

    /// Creates or migrates the table of every entity of `catalog`, and keeps the catalog for
    /// [`Entities`](crate::plugin::Entities) lookups by name. Call it once at start-up, and
    /// again after the definitions change.
    ///
    /// A definition that gained fields gets new columns (existing rows get the field's
    /// default, or null). A removed field keeps its column, so no data is dropped; it is no
    /// longer read or written. A field whose type now stores differently, or a changed key,
    /// is refused: nothing is changed and the error says what the operator can do.
    pub(super) fn prepare(&self, catalog: &Catalog) -> Result<()> {
        self.with_connection(|connection| {
            let transaction = connection
                .transaction_with_behavior(TransactionBehavior::Immediate)
                .context("cannot start preparing entity tables")?;
            for entity in catalog.iter() {
                schema::prepare_entity(&transaction, entity)
                    .with_context(|| super::EntityRefused(entity.name.clone()))?;
            }
            transaction.commit().context("cannot commit the entity tables")
        })?;
        *self.shared.catalog.write().unwrap_or_else(PoisonError::into_inner) = Arc::new(catalog.clone());
        Ok(())
    }

    /// The catalog given to the last [`prepare`](Self::prepare).
    pub(super) fn catalog(&self) -> Arc<Catalog> {
        self.shared.catalog.read().unwrap_or_else(PoisonError::into_inner).clone()
    }

    /// Opens a writer: a connection of its own, for one writer thread. Writes from several
    /// writers take turns (SQLite has one writer at a time).
    pub(super) fn writer(&self) -> Result<Writer> {
        let connection = self.open_connection()?;
        // Unordered keys touch index pages all over the table; a page cache that holds the
        // key index of a few million rows keeps those touches from becoming reads.
        connection
            .pragma_update(None, "cache_size", -WRITER_CACHE_KIB)
            .context("cannot size the writer's page cache")?;
        Ok(Writer::new(self.clone(), connection))
    }

    /// The newest committed version: every committed change has a version at most this.
    pub(super) fn version(&self) -> Result<u64> {
        self.with_connection(|connection| current_version(connection))
    }

    /// The version up to which `project` last exported `entity`, 0 when it never did.
    pub(super) fn watermark(&self, project: &str, entity: &str) -> Result<u64> {
        let version: Option<i64> = self
            .with_connection(|connection| {
                let mut statement = connection
                    .prepare_cached("SELECT version FROM wharf_watermarks WHERE project = ?1 AND entity = ?2")?;
                Ok(statement.query_row((project, entity), |row| row.get(0)).optional()?)
            })
            .with_context(|| format!("cannot read the watermark of {project}, {entity}"))?;
        version.map_or(Ok(0), stored_version)
    }

    /// Records that `project` has exported `entity` up to `version` (usually
    /// [`RowReader::up_to_version`] once the export is delivered).
    pub(super) fn set_watermark(&self, project: &str, entity: &str, version: u64) -> Result<()> {
        let version = sql_version(version)?;
        self.with_connection(|connection| {
            let mut statement = connection.prepare_cached(
                "INSERT INTO wharf_watermarks (project, entity, version) VALUES (?1, ?2, ?3)
                 ON CONFLICT (project, entity) DO UPDATE SET version = excluded.version",
            )?;
            statement.execute((project, entity, version))?;
            Ok(())
        })
        .with_context(|| format!("cannot save the watermark of {project}, {entity}"))
    }

    /// Stages the watermarks an export reached, under the id of the message that delivers it,
    /// without moving any: for exports delivered somewhere the store cannot commit together
    /// with (the server's queue). Once the delivery is committed, [`commit_watermarks`]
    /// moves them; if it never is, [`discard_watermarks`] drops them, and the rows go out
    /// again with the next export.
    ///
    /// [`commit_watermarks`]: Self::commit_watermarks
    /// [`discard_watermarks`]: Self::discard_watermarks
    pub(super) fn stage_watermarks(&self, message: &str, watermarks: &[Watermark]) -> Result<()> {
        self.with_connection(|connection| {
            let transaction = connection.transaction_with_behavior(TransactionBehavior::Immediate)?;
            {
                let mut statement = transaction.prepare_cached(
                    "INSERT INTO wharf_watermarks_staged (message, project, entity, version) VALUES (?1, ?2, ?3, ?4)
                     ON CONFLICT (message, project, entity) DO UPDATE SET version = excluded.version",
                )?;
                for watermark in watermarks {
                    let version = sql_version(watermark.version)?;
                    statement.execute((message, &watermark.project, &watermark.entity, version))?;
                }
            }
            Ok(transaction.commit()?)
        })
        .with_context(|| format!("cannot stage the watermarks of message {message}"))
    }

    /// Moves the watermarks staged under `message` and drops them from the stage, in one
    /// transaction. A watermark never moves back: a staged one behind the saved one (from an
    /// export that read before another was saved) leaves it alone. Nothing staged: nothing.
    pub(super) fn commit_watermarks(&self, message: &str) -> Result<()> {
        self.with_connection(|connection| {
            let transaction = connection.transaction_with_behavior(TransactionBehavior::Immediate)?;
            transaction
                .prepare_cached(
                    "INSERT INTO wharf_watermarks (project, entity, version)
                 SELECT project, entity, version FROM wharf_watermarks_staged WHERE message = ?1
                 ON CONFLICT (project, entity) DO UPDATE SET version = max(version, excluded.version)",
                )?
                .execute([message])?;
            transaction.prepare_cached("DELETE FROM wharf_watermarks_staged WHERE message = ?1")?.execute([message])?;
            Ok(transaction.commit()?)
        })
        .with_context(|| format!("cannot save the watermarks of message {message}"))
    }

    /// Drops the watermarks staged under `message` without moving any.
    pub(super) fn discard_watermarks(&self, message: &str) -> Result<()> {
        self.with_connection(|connection| {
            connection.prepare_cached("DELETE FROM wharf_watermarks_staged WHERE message = ?1")?.execute([message])?;
            Ok(())
        })
        .with_context(|| format!("cannot drop the watermarks of message {message}"))
    }

    /// The messages with watermarks staged and neither committed nor discarded: after a crash,
    /// those whose delivery the process did not get to settle.
    pub(super) fn staged_watermarks(&self) -> Result<Vec<String>> {
        self.with_connection(|connection| {
            let mut statement = connection.prepare_cached("SELECT DISTINCT message FROM wharf_watermarks_staged")?;
            let messages = statement.query_map([], |row| row.get(0))?;
            Ok(messages.collect::<rusqlite::Result<Vec<String>>>()?)
        })
        .context("cannot read the staged watermarks")
    }

    /// The number of rows of `entity`, only those of `company` when given (ignored for
    /// entities shared by all companies, as D365 exports shared tables whatever the company).
    pub(super) fn count(&self, entity: &Entity, company: Option<&str>) -> Result<u64> {
        self.check_prepared(entity)?;
        let table = schema::table(entity);
        let company = company.filter(|_| entity.company_scoped).map(str::to_ascii_lowercase);
        let count: i64 = self
            .with_connection(|connection| {
                Ok(match &company {
                    Some(company) => {
                        let sql = format!("SELECT count(*) FROM {table} WHERE {} = ?1", schema::quote(COMPANY_FIELD));
                        connection.prepare_cached(&sql)?.query_row([company], |row| row.get(0))?
                    }
                    None => connection
                        .prepare_cached(&format!("SELECT count(*) FROM {table}"))?
                        .query_row([], |row| row.get(0))?,
                })
            })
            .with_context(|| format!("cannot count the rows of {}", entity.name))?;
        u64::try_from(count).context("a negative row count")
    }

    /// Fails unless `entity` is the definition the store was last prepared with, so that its
    /// table has exactly these columns.
    pub(super) fn check_prepared(&self, entity: &Entity) -> Result<()> {
        check_prepared(&self.catalog(), entity)
    }

    /// Runs `work` on an idle connection, or a new one when none is idle, and gives the
    /// connection back afterwards.
    pub(super) fn with_connection<T>(&self, work: impl FnOnce(&mut Connection) -> Result<T>) -> Result<T> {
        let mut connection = self.take_connection()?;
        let result = work(&mut connection);
        self.give_back(connection);
        result
    }

    /// An idle connection, or a new one when none is idle. Hand it back with
    /// [`give_back`](Self::give_back).
    pub(super) fn take_connection(&self) -> Result<Connection> {
        let idle = self.idle().pop();
        match idle {
            Some(connection) => Ok(connection),
            None => self.open_connection(),
        }
    }

    fn idle(&self) -> MutexGuard<'_, Vec<Connection>> {
        // The list only ever holds whole connections, so a panic elsewhere cannot leave it
        // inconsistent.
        self.shared.idle.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Gives a connection back for reuse, unless it is inside a transaction (a unit of work
    /// whose rollback failed): such a connection is closed instead.
    pub(super) fn give_back(&self, connection: Connection) {
        if connection.is_autocommit() {
            let mut idle = self.idle();
            if idle.len() < IDLE_CONNECTIONS_MAX {
                idle.push(connection);
            }
        }
    }

    pub(super) fn open_connection(&self) -> Result<Connection> {
        let path = &self.shared.path;
        // No URI flag: a path is always a file name, never `file:` options.
        let flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_CREATE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let connection = Connection::open_with_flags(path, flags)
            .with_context(|| format!("cannot open the store {}", path.display()))?;
        configure(&connection).with_context(|| format!("cannot configure the store {}", path.display()))?;
        Ok(connection)
    }
}

/// Settings every connection needs.
fn configure(connection: &Connection) -> Result<()> {
    connection.busy_timeout(BUSY_TIMEOUT)?;
    // Queries compare and sort decimal fields, kept as text, by this (see `compare_decimals`).
    connection.create_collation(super::values::DECIMAL_COLLATION, super::values::compare_decimals)?;
    // WAL lets readers (exports, lookups) run while a batch is being written.
    let mode: String = connection.query_row("PRAGMA journal_mode = WAL", [], |row| row.get(0))?;
    if !mode.eq_ignore_ascii_case("wal") {
        bail!("the file system does not support SQLite's WAL mode (got {mode}); use a local disk");
    }
    // A commit is acknowledged to the pipeline as done, so it must survive power loss. With
    // WAL, synchronous=NORMAL keeps the database consistent but "a transaction committed in
    // WAL mode with synchronous=NORMAL might roll back following a power loss or system crash";
    // FULL syncs the WAL on every commit (reliability-security-odata.md §A.1, from SQLite's
    // pragma documentation).
    connection.pragma_update(None, "synchronous", "FULL")?;
    // Checkpoints copy WAL pages back into the database and sync it. Rows with unordered
    // keys dirty a different index page each, so a batch rewrites many pages; checkpointing
    // every WAL_CHECKPOINT_PAGES instead of SQLite's 1,000 copies a page rewritten by several
    // batches once. It bounds the WAL file to about that many pages between checkpoints.
    connection.pragma_update(None, "wal_autocheckpoint", WAL_CHECKPOINT_PAGES)?;
    // Upserts and reads run the same few statements over and over; keep one per entity
    // and statement kind prepared.
    connection.set_prepared_statement_cache_capacity(64);
    Ok(())
}

/// The newest committed version, read on `connection`.
pub(super) fn current_version(connection: &Connection) -> Result<u64> {
    let version: i64 = connection
        .prepare_cached("SELECT value FROM wharf_meta WHERE name = 'version'")
        .and_then(|mut statement| statement.query_row([], |row| row.get(0)))
        .context("cannot read the current version")?;
    stored_version(version)
}

/// Takes the next version number. Call it inside a write transaction, so that the number is
/// only used if the transaction commits and versions follow commit order.
pub(super) fn next_version(connection: &Connection) -> Result<u64> {
    let version: i64 = connection
        .prepare_cached("UPDATE wharf_meta SET value = value + 1 WHERE name = 'version' RETURNING value")
        .and_then(|mut statement| statement.query_row([], |row| row.get(0)))
        .context("cannot take a new version")?;
    stored_version(version)
}
