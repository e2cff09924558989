//! The entity store: a table per entity, the change-tracking versions exports read from,
//! export watermarks and the record of executions, on one of two engines.
//!
//! - SQLite ([`Store::open`]): one database file beside one process, the default.
//! - PostgreSQL ([`Store::on_postgres`]): one database every replica of a deployment shares.
//!
//! Callers (the pipeline, the scheduler, the REST handlers, OData and plugins through
//! [`Entities`]) do not know which one they talk to. Each engine keeps its SQL in one place:
//! `sqlite.rs` with `schema`, `write`, `read`, `query`, `units`, `staging` and `executions`
//! beside it for SQLite, and `postgres/` for PostgreSQL. Only the query language (`query`)
//! and the value rules (`values`) are shared.
//!
//! Every entity row carries `_version`, the number of the write transaction that last changed
//! it. Each engine takes versions so that they follow commit order: "everything changed after
//! version `v`" is `_version > v`, which is all an incremental export needs ([`Store::read`]).
//!
//! Writing goes through [`Writer`] (one per writer thread, one transaction per batch);
//! reading through [`Store::read`]; plugins reach the data through [`Entities`] and
//! [`StoreUnit`].

mod changes;
mod executions;
mod postgres;
mod query;
mod read;
mod schema;
mod sqlite;
mod staging;
mod units;
mod values;
mod write;

#[cfg(test)]
mod tests;

use std::fmt;
use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

use anyhow::{Result, bail};
use serde_json::{Map, Value as Json};
use wharf_plugin_sdk::Batch;

use crate::backend::{Backend, Postgres};
use crate::entity::{Catalog, Entity};
use crate::plugin::entities::Fields;
use crate::plugin::{Entities, UnitOfWork};

pub use executions::{EntityExecution, EntityExecutionState, Execution, ExecutionStatus, Operation, RecordError};
pub use query::{Arithmetic, Comparison, Condition, Function, MAX_TERM_DEPTH, Order, Query, QueryRow, Term, TooDeep};
pub use read::ReadQuery;
pub use staging::{StagedError, StagedRow, StagingError, TransferStatus, json_value};
pub use write::Upserted;

/// How far an export of `project` has read `entity`'s changes: every change up to `version`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Watermark {
    /// The data project.
    pub project: String,
    /// The entity's name.
    pub entity: String,
    /// The version read up to ([`RowReader::up_to_version`]).
    pub version: u64,
}

/// The queue lease a writer writes under: a message being processed and the receipt of its
/// claim. On PostgreSQL, where the queue shares the store's database, every write transaction
/// made under a lease commits only while the message still holds that receipt, checked in the
/// same transaction: a replica that was frozen past its lease and wakes up cannot write rows
/// (or an execution's outcome) for a message another replica has taken over, so an older
/// document never overwrites what a newer one wrote meanwhile. On SQLite the queue is another
/// file, and the lease goes unchecked by the store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lease {
    /// The message's id.
    pub message: uuid::Uuid,
    /// The receipt of the claim under which the message is processed.
    pub receipt: String,
}

/// A write made under a [`Lease`] that its message no longer holds.
#[derive(Debug, thiserror::Error)]
#[error("the lease on message {0} was lost: another replica processes it now")]
pub struct LeaseLost(pub uuid::Uuid);

/// Why [`Store::prepare`] failed: the table of this entity cannot take its definition (the
/// error it wraps says why and what the operator can do). A reload keeps that entity's
/// previous definition and prepares the others.
#[derive(Debug, thiserror::Error)]
#[error("cannot prepare the table of entity {0}")]
pub struct EntityRefused(pub String);

/// The entity store. Cheap to clone; every clone shares the same connections and prepared
/// catalog.
#[derive(Debug, Clone)]
pub struct Store {
    engine: Engine,
}

#[derive(Debug, Clone)]
enum Engine {
    Sqlite(sqlite::Sqlite),
    Postgres(postgres::Database),
}

/// Runs the same call on whichever engine `$engine` is.
macro_rules! dispatch {
    ($engine:expr, $inner:ident => $call:expr) => {
        match $engine {
            Engine::Sqlite($inner) => $call,
            Engine::Postgres($inner) => $call,
        }
    };
}

impl Store {
    /// Opens the SQLite database at `path`, creating the file when it does not exist yet, and
    /// brings its meta tables to this version. Use one `Store` per database file and clone it.
    pub fn open(path: &Path) -> Result<Store> {
        Ok(Store { engine: Engine::Sqlite(sqlite::Sqlite::open(path)?) })
    }

    /// The store in `postgres`, whose meta tables its migrations made.
    pub fn on_postgres(postgres: &Postgres) -> Result<Store> {
        Ok(Store { engine: Engine::Postgres(postgres::Database::open(postgres)?) })
    }

    /// The store of a deployment on `backend`: in the database when it is PostgreSQL, else
    /// the file `wharf.db` in `data_dir`.
    pub fn on(backend: &Backend, data_dir: &Path) -> Result<Store> {
        match backend.postgres() {
            Some(postgres) => Store::on_postgres(postgres),
            None => Store::open(&data_dir.join("wharf.db")),
        }
    }

    /// Checks the store for damage; an error lists what was found. Use it after a crash or
    /// before a backup. (PostgreSQL checks its own pages as it reads them: nothing to do.)
    pub fn check_integrity(&self) -> Result<()> {
        match &self.engine {
            Engine::Sqlite(sqlite) => sqlite.check_integrity(),
            Engine::Postgres(_) => Ok(()),
        }
    }

    /// Creates or migrates the table of every entity of `catalog`, and keeps the catalog for
    /// [`Entities`] lookups by name. Call it once at start-up, and again after the definitions
    /// change.
    ///
    /// A definition that gained fields gets new columns (existing rows get the field's
    /// default, or null). A removed field keeps its column, so no data is dropped; it is no
    /// longer read or written. A field whose type now stores differently, or a changed key,
    /// is refused: nothing is changed and the error says what the operator can do.
    pub fn prepare(&self, catalog: &Catalog) -> Result<()> {
        dispatch!(&self.engine, engine => engine.prepare(catalog))
    }

    /// The catalog given to the last [`prepare`](Self::prepare).
    pub fn catalog(&self) -> Arc<Catalog> {
        dispatch!(&self.engine, engine => engine.catalog())
    }

    /// Opens a writer, for one writer thread. Writes from several writers take turns.
    pub fn writer(&self) -> Result<Writer> {
        Ok(Writer(match &self.engine {
            Engine::Sqlite(sqlite) => WriterEngine::Sqlite(sqlite.writer()?),
            Engine::Postgres(postgres) => WriterEngine::Postgres(postgres.writer()?),
        }))
    }

    /// The newest committed version: every committed change has a version at most this.
    pub fn version(&self) -> Result<u64> {
        dispatch!(&self.engine, engine => engine.version())
    }

    /// The version up to which `project` last exported `entity`, 0 when it never did.
    pub fn watermark(&self, project: &str, entity: &str) -> Result<u64> {
        dispatch!(&self.engine, engine => engine.watermark(project, entity))
    }

    /// Records that `project` has exported `entity` up to `version` (usually
    /// [`RowReader::up_to_version`] once the export is delivered).
    pub fn set_watermark(&self, project: &str, entity: &str, version: u64) -> Result<()> {
        dispatch!(&self.engine, engine => engine.set_watermark(project, entity, version))
    }

    /// Stages the watermarks an export reached, under the id of the message that delivers it,
    /// without moving any: for exports delivered somewhere the store cannot commit together
    /// with (the server's queue). Once the delivery is committed, [`commit_watermarks`]
    /// moves them; if it never is, [`discard_watermarks`] drops them, and the rows go out
    /// again with the next export.
    ///
    /// [`commit_watermarks`]: Self::commit_watermarks
    /// [`discard_watermarks`]: Self::discard_watermarks
    pub fn stage_watermarks(&self, message: &str, watermarks: &[Watermark]) -> Result<()> {
        dispatch!(&self.engine, engine => engine.stage_watermarks(message, watermarks))
    }

    /// Moves the watermarks staged under `message` and drops them from the stage, in one
    /// transaction. A watermark never moves back: a staged one behind the saved one (from an
    /// export that read before another was saved) leaves it alone. Nothing staged: nothing.
    pub fn commit_watermarks(&self, message: &str) -> Result<()> {
        dispatch!(&self.engine, engine => engine.commit_watermarks(message))
    }

    /// Drops the watermarks staged under `message` without moving any.
    pub fn discard_watermarks(&self, message: &str) -> Result<()> {
        dispatch!(&self.engine, engine => engine.discard_watermarks(message))
    }

    /// The messages with watermarks staged and neither committed nor discarded: after a crash,
    /// those whose delivery the process did not get to settle.
    pub fn staged_watermarks(&self) -> Result<Vec<String>> {
        dispatch!(&self.engine, engine => engine.staged_watermarks())
    }

    /// The number of rows of `entity`, only those of `company` when given (ignored for
    /// entities shared by all companies, as D365 exports shared tables whatever the company).
    pub fn count(&self, entity: &Entity, company: Option<&str>) -> Result<u64> {
        dispatch!(&self.engine, engine => engine.count(entity, company))
    }

    /// Reads the rows of `entity` that `query` selects, in batches whose columns are the
    /// entity's fields and whose values are typed by field: integers, decimals as text,
    /// booleans, dates, date-times and strings.
    pub fn read(&self, entity: &Entity, query: &ReadQuery) -> Result<RowReader> {
        Ok(RowReader(match &self.engine {
            Engine::Sqlite(sqlite) => ReaderEngine::Sqlite(sqlite.read(entity, query)?),
            Engine::Postgres(postgres) => ReaderEngine::Postgres(postgres.read(entity, query)?),
        }))
    }

    /// The rows of `entity` that `query` selects, with their versions.
    pub fn query(&self, entity: &Entity, query: &Query) -> Result<Vec<QueryRow>> {
        dispatch!(&self.engine, engine => engine.query(entity, query))
    }

    /// The number of rows of `entity` meeting `condition`.
    pub fn query_count(&self, entity: &Entity, condition: &Condition) -> Result<u64> {
        dispatch!(&self.engine, engine => engine.query_count(entity, condition))
    }

    /// The database's plan for `query`, one line per step, for tests that check an index
    /// serves it.
    pub fn query_plan(&self, entity: &Entity, query: &Query) -> Result<Vec<String>> {
        dispatch!(&self.engine, engine => engine.query_plan(entity, query))
    }

    /// A unit of work with the store's own extras ([`StoreUnit::versioned`],
    /// [`StoreUnit::delete`]); see [`Entities::begin`].
    pub fn unit(&self) -> Result<StoreUnit> {
        Ok(StoreUnit(match &self.engine {
            Engine::Sqlite(sqlite) => UnitEngine::Sqlite(sqlite.unit()?),
            Engine::Postgres(postgres) => UnitEngine::Postgres(postgres.unit()?),
        }))
    }

    /// Saves `execution` and its entities, replacing what was saved under its ID before. Its
    /// record errors, saved with [`WriteBatch::record_errors`], stay.
    pub fn save_execution(&self, execution: &Execution) -> Result<()> {
        self.save_execution_under(execution, None)
    }

    /// [`save_execution`](Self::save_execution), only while `lease` is held (see [`Lease`]);
    /// else it fails with [`LeaseLost`] and saves nothing.
    pub fn save_execution_under(&self, execution: &Execution, lease: Option<&Lease>) -> Result<()> {
        match &self.engine {
            Engine::Sqlite(sqlite) => sqlite.save_execution(execution),
            Engine::Postgres(postgres) => postgres.save_execution(execution, lease),
        }
    }

    /// The execution saved under `id`, with its entities in their saved order.
    pub fn execution(&self, id: &str) -> Result<Option<Execution>> {
        dispatch!(&self.engine, engine => engine.execution(id))
    }

    /// The ids of the newest executions (by start time, newest first): `limit` of them after
    /// skipping `offset`.
    pub fn execution_ids(&self, offset: u64, limit: u64) -> Result<Vec<String>> {
        dispatch!(&self.engine, engine => engine.execution_ids(offset, limit))
    }

    /// Removes the executions that started before `before` (RFC 3339, UTC) and that have
    /// ended, with their entities, rejected records, staged rows and kept files; returns their
    /// ids. D365's
    /// job history cleanup, which keeps a recurring job's executions from piling up.
    pub fn remove_executions_before(&self, before: &str) -> Result<Vec<String>> {
        dispatch!(&self.engine, engine => engine.remove_executions_before(before))
    }

    /// Rejected records of execution `id` in the order they were recorded: `limit` of them,
    /// after skipping `offset`.
    pub fn execution_errors(&self, id: &str, offset: u64, limit: u64) -> Result<Vec<RecordError>> {
        dispatch!(&self.engine, engine => engine.execution_errors(id, offset, limit))
    }

    /// How many records execution `id` rejected.
    pub fn execution_error_count(&self, id: &str) -> Result<u64> {
        dispatch!(&self.engine, engine => engine.execution_error_count(id))
    }

    /// Keeps the file `path` of `execution` under `name` where every replica finds it (see
    /// [`fetch_execution_file`](Self::fetch_execution_file)). On SQLite the execution folder
    /// beside the store is that place already.
    pub fn keep_execution_file(&self, execution: &str, name: &str, path: &Path) -> Result<()> {
        match &self.engine {
            Engine::Sqlite(_) => Ok(()),
            Engine::Postgres(postgres) => postgres.keep_execution_file(execution, name, path),
        }
    }

    /// Makes sure `path` holds the file kept under `name` for `execution`, copying it from the
    /// store when this replica does not have it; false when there is no such file.
    pub fn fetch_execution_file(&self, execution: &str, name: &str, path: &Path) -> Result<bool> {
        match &self.engine {
            Engine::Postgres(postgres) if !path.exists() => postgres.fetch_execution_file(execution, name, path),
            _ => Ok(path.exists()),
        }
    }

    /// `limit` staged rows of `execution` after skipping `offset` (only rejected ones when
    /// `errors_only`), by entity and number, with how many there are in all.
    pub fn staged_rows(
        &self,
        execution: &str,
        errors_only: bool,
        offset: u64,
        limit: u64,
    ) -> Result<(u64, Vec<StagedRow>)> {
        dispatch!(&self.engine, engine => engine.staged_rows(execution, errors_only, offset, limit))
    }

    /// Corrects staged row `number` of `entity` in `execution`: `changes` (field → value, `null`
    /// to clear one) go over its values, and the result must convert into a valid row of the
    /// entity (into one of `companies`, when given), which it becomes, waiting to be copied.
    /// The row's error records go with its errors.
    pub fn correct_staged_row(
        &self,
        execution: &str,
        entity: &str,
        number: u64,
        changes: &Map<String, Json>,
        companies: Option<Arc<[String]>>,
    ) -> Result<StagedRow, StagingError> {
        dispatch!(&self.engine, engine => engine.correct_staged_row(execution, entity, number, changes, companies))
    }

    /// Drops staged row `number` of `entity` in `execution`, with its error records.
    pub fn drop_staged_row(&self, execution: &str, entity: &str, number: u64) -> Result<(), StagingError> {
        dispatch!(&self.engine, engine => engine.drop_staged_row(execution, entity, number))
    }

    /// Copies `execution`'s waiting staged rows to their entities' tables: every valid row
    /// in staging is converted again and upserted, in one transaction with the execution's new
    /// record (D365's staging → target step), so it is copied wholly once or not at all. Rows
    /// that fail now are marked rejected with their reason; rows still rejected stay behind.
    pub fn copy_to_target(
        &self,
        execution: &str,
        companies: Option<Arc<[String]>>,
        now: &str,
    ) -> Result<Execution, StagingError> {
        dispatch!(&self.engine, engine => engine.copy_to_target(execution, companies, now))
    }
}

impl Entities for Store {
    /// The committed row whose key fields equal `key`. `entity` is resolved through the
    /// catalog given to [`Store::prepare`]; `key` names every key field (`dataAreaId`
    /// included for company-scoped entities) and nothing else.
    fn lookup(&self, entity: &str, key: &Fields) -> Result<Option<Fields>> {
        dispatch!(&self.engine, engine => engine.lookup(entity, key))
    }

    /// A unit of work: a write transaction, committed only by [`UnitOfWork::commit`]. While it
    /// is open, other writers may wait, so an action should not hold it longer than it needs.
    fn begin(&self) -> Result<Box<dyn UnitOfWork>> {
        Ok(Box::new(self.unit()?))
    }

    /// A read transaction on a snapshot, without a writer's turn, so read-only actions run
    /// alongside each other and alongside writers.
    fn begin_read(&self) -> Result<Box<dyn UnitOfWork>> {
        dispatch!(&self.engine, engine => engine.begin_read())
    }
}

/// Runs the same call on whichever engine a write transaction is on.
macro_rules! dispatch_batch {
    ($batch:expr, $inner:ident => $call:expr) => {
        match $batch {
            BatchEngine::Sqlite($inner) => $call,
            BatchEngine::Postgres($inner) => $call,
        }
    };
}

/// Rows a document must have for its import to be a bulk load (see [`Writer::start_bulk_load`]):
/// below it, building the indexes at the end costs more than it saves.
pub const BULK_LOAD_ROWS: u64 = 100_000;

/// A writer, for one writer thread. Open it with [`Store::writer`]; each
/// [`transaction`](Self::transaction) is one batch.
#[derive(Debug)]
pub struct Writer(WriterEngine);

#[derive(Debug)]
enum WriterEngine {
    Sqlite(write::Writer),
    Postgres(postgres::Writer),
}

impl Writer {
    /// Makes every transaction of this writer from now on commit only while `lease` is held
    /// (see [`Lease`]); one that finds it lost fails with [`LeaseLost`] and writes nothing.
    pub fn hold(&mut self, lease: Lease) {
        match &mut self.0 {
            WriterEngine::Sqlite(_) => {}
            WriterEngine::Postgres(writer) => writer.hold(lease),
        }
    }

    /// Starts a bulk load of `entity`, at least [`BULK_LOAD_ROWS`] rows: on the embedded store,
    /// when the table is empty, the indexes only reads need are dropped now and built once by
    /// [`Writer::end_bulk_load`] (whatever the load's outcome), or at the store's next open
    /// after a crash. Reads in between are answered, only without those indexes. `true` when
    /// the indexes were dropped.
    pub fn start_bulk_load(&mut self, entity: &Entity) -> Result<bool> {
        match &mut self.0 {
            WriterEngine::Sqlite(writer) => writer.start_bulk_load(entity),
            // PostgreSQL's set-based merge keeps them: other replicas query the same tables
            // and would find them gone for the whole load.
            WriterEngine::Postgres(_) => Ok(false),
        }
    }

    /// Ends a bulk load that [`Writer::start_bulk_load`] started with `true`.
    pub fn end_bulk_load(&mut self, entity: &Entity) -> Result<()> {
        match &mut self.0 {
            WriterEngine::Sqlite(writer) => writer.end_bulk_load(entity),
            WriterEngine::Postgres(_) => Ok(()),
        }
    }

    /// Starts a write transaction with a new version. It waits while another writer writes.
    /// Nothing is visible to others until [`WriteBatch::commit`]; dropping the batch
    /// uncommitted rolls everything back.
    pub fn transaction(&mut self) -> Result<WriteBatch<'_>> {
        let started = Instant::now();
        let engine = match &mut self.0 {
            WriterEngine::Sqlite(writer) => BatchEngine::Sqlite(writer.transaction()?),
            WriterEngine::Postgres(writer) => BatchEngine::Postgres(writer.transaction()?),
        };
        Ok(WriteBatch(engine, started))
    }
}

/// One write transaction: the rows of a batch, its rejected records and its staged rows,
/// committed together. It knows when it started (waiting for the writer included), for the
/// store's write latency in the metrics.
#[derive(Debug)]
pub struct WriteBatch<'w>(BatchEngine<'w>, Instant);

#[derive(Debug)]
enum BatchEngine<'w> {
    Sqlite(write::WriteBatch<'w>),
    Postgres(postgres::WriteBatch<'w>),
}

impl WriteBatch<'_> {
    /// The version this transaction gives every row it changes.
    pub fn version(&self) -> u64 {
        dispatch_batch!(&self.0, batch => batch.version())
    }

    /// Inserts or updates `rows` by key (company and key fields). `rows` must have exactly the
    /// entity's fields as columns, in order, with the values the entity converter produces.
    ///
    /// A key that appears twice in `rows` is written twice, in order: the last row wins, and
    /// the counts say what each row did (the first inserted, the second updated or unchanged).
    pub fn upsert(&mut self, entity: &Entity, rows: &Batch) -> Result<Upserted> {
        dispatch_batch!(&mut self.0, batch => batch.upsert(entity, rows))
    }

    /// Records rejected records of `execution`, in this transaction: they are committed with
    /// the rows of their batch, or not at all.
    pub fn record_errors(&mut self, execution: &str, errors: &[RecordError]) -> Result<()> {
        dispatch_batch!(&mut self.0, batch => batch.record_errors(execution, errors))
    }

    /// Keeps `rows` of `entity` in `execution`'s staging, in this transaction; their numbers
    /// follow the entity's rows staged before (the numbers given are ignored).
    pub fn stage(&mut self, execution: &str, entity: &str, rows: &[StagedRow]) -> Result<()> {
        dispatch_batch!(&mut self.0, batch => batch.stage(execution, entity, rows))
    }

    /// Commits the transaction and returns its version.
    pub fn commit(self) -> Result<u64> {
        let backend = match &self.0 {
            BatchEngine::Sqlite(_) => "sqlite",
            BatchEngine::Postgres(_) => "postgres",
        };
        let version = dispatch_batch!(self.0, batch => batch.commit())?;
        ::metrics::histogram!(crate::metrics::STORE_WRITE_DURATION, "backend" => backend)
            .record(self.1.elapsed().as_secs_f64());
        Ok(version)
    }
}

/// Batches of an entity's rows in the order they changed. Each batch is its own short query
/// that resumes after the last row of the previous one, so no read transaction stays open
/// between batches and writers are never held up.
///
/// Rows changed after the read began are left out ([`up_to_version`](Self::up_to_version)):
/// the next export, starting from that version, picks them up.
#[derive(Debug)]
pub struct RowReader(ReaderEngine);

#[derive(Debug)]
enum ReaderEngine {
    Sqlite(read::RowReader),
    Postgres(postgres::RowReader),
}

impl RowReader {
    /// The newest version when the read began: every row returned has a version at most this.
    /// Save it as the watermark once the export is delivered.
    pub fn up_to_version(&self) -> u64 {
        match &self.0 {
            ReaderEngine::Sqlite(reader) => reader.up_to_version(),
            ReaderEngine::Postgres(reader) => reader.up_to_version(),
        }
    }
}

impl Iterator for RowReader {
    type Item = Result<Batch>;

    fn next(&mut self) -> Option<Result<Batch>> {
        match &mut self.0 {
            ReaderEngine::Sqlite(reader) => reader.next(),
            ReaderEngine::Postgres(reader) => reader.next(),
        }
    }
}

/// A unit of work on the store: a write transaction committed by [`UnitOfWork::commit`] and
/// rolled back when dropped.
#[derive(Debug)]
pub struct StoreUnit(UnitEngine);

#[derive(Debug)]
enum UnitEngine {
    Sqlite(units::StoreUnit),
    Postgres(postgres::Unit),
}

/// Runs the same call on whichever engine a unit of work is on.
macro_rules! dispatch_unit {
    ($unit:expr, $inner:ident => $call:expr) => {
        match $unit {
            UnitEngine::Sqlite($inner) => $call,
            UnitEngine::Postgres($inner) => $call,
        }
    };
}

impl StoreUnit {
    /// The row with this key and the version of the write that last changed it.
    pub fn versioned(&mut self, entity: &str, key: &Fields) -> Result<Option<(Fields, u64)>> {
        dispatch_unit!(&mut self.0, unit => unit.versioned(entity, key))
    }

    /// Deletes the row with this key; false when there is none.
    pub fn delete(&mut self, entity: &str, key: &Fields) -> Result<bool> {
        dispatch_unit!(&mut self.0, unit => unit.delete(entity, key))
    }
}

impl UnitOfWork for StoreUnit {
    fn read(&mut self, entity: &str, key: &Fields) -> Result<Option<Fields>> {
        dispatch_unit!(&mut self.0, unit => unit.read(entity, key))
    }

    fn find(&mut self, entity: &str, criteria: &Fields, limit: usize) -> Result<Vec<Fields>> {
        dispatch_unit!(&mut self.0, unit => unit.find(entity, criteria, limit))
    }

    fn insert(&mut self, entity: &str, row: Fields) -> Result<()> {
        dispatch_unit!(&mut self.0, unit => unit.insert(entity, row))
    }

    fn update(&mut self, entity: &str, key: &Fields, changes: Fields) -> Result<()> {
        dispatch_unit!(&mut self.0, unit => unit.update(entity, key, changes))
    }

    fn commit(self: Box<Self>) -> Result<()> {
        dispatch_unit!(self.0, unit => Box::new(unit).commit())
    }
}

/// Whether `error` came from the database itself (a failed statement, a lost connection)
/// rather than from a rule the store checks: a server fault, not the request's.
pub fn failed_in_database(error: &anyhow::Error) -> bool {
    error.chain().any(|cause| {
        cause.downcast_ref::<rusqlite::Error>().is_some()
            || cause.downcast_ref::<tokio_postgres::Error>().is_some()
            || cause.downcast_ref::<deadpool_postgres::PoolError>().is_some()
    })
}

/// Fails unless the table `catalog` prepared for `entity` has its columns: the definition
/// itself, or an earlier one of the same key whose fields the table still has with the same
/// types. An execution that started before a reload added a field finishes on the
/// definition it started with.
fn check_prepared(catalog: &Catalog, entity: &Entity) -> Result<()> {
    match catalog.get(&entity.name) {
        Some(prepared) if **prepared == *entity => Ok(()),
        Some(prepared) if fits(prepared, entity) => Ok(()),
        Some(_) => bail!("entity {} differs from the definition the store was prepared with", entity.name),
        None => bail!("entity {} has no table: the store was not prepared with it", entity.name),
    }
}

/// Whether the table of `prepared` holds every column of `entity`, keyed the same way.
fn fits(prepared: &Entity, entity: &Entity) -> bool {
    let key = |entity: &Entity| entity.key_fields().map(|field| field.name.to_ascii_lowercase()).collect::<Vec<_>>();
    prepared.name == entity.name
        && key(prepared) == key(entity)
        && entity.fields.iter().all(|field| {
            prepared.fields.iter().any(|column| {
                column.name.eq_ignore_ascii_case(&field.name) && column.field_type.name() == field.field_type.name()
            })
        })
}

/// A version as the databases store it (a signed 64-bit integer).
fn sql_version(version: u64) -> Result<i64> {
    use anyhow::Context as _;
    i64::try_from(version).with_context(|| format!("version {version} is too large to store"))
}

/// A version read from the database; negative ones mean the database was edited by hand.
fn stored_version(version: i64) -> Result<u64> {
    use anyhow::Context as _;
    u64::try_from(version).with_context(|| format!("the store holds a negative version {version}"))
}

impl fmt::Display for Watermark {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(formatter, "{} {} up to version {}", self.project, self.entity, self.version)
    }
}
