//! Executions: the record of each run of a data project (what D365 shows as a job's execution
//! summary and execution details), and the records it rejected.

use anyhow::{Context as _, Result, bail};
use rusqlite::{Connection, OptionalExtension as _, Row, TransactionBehavior};
use serde::{Deserialize, Serialize};

use super::sqlite::Sqlite;

/// One run of a data project.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Execution {
    /// The execution ID, unique across projects.
    pub id: String,
    /// The data project that ran.
    pub project: String,
    /// Whether it imported or exported.
    pub operation: Operation,
    /// The summary status.
    pub status: ExecutionStatus,
    /// When it started, RFC 3339.
    pub started: String,
    /// When it ended, RFC 3339; `None` while it runs.
    pub completed: Option<String>,
    /// The company it ran for, when it ran for one.
    pub company: Option<String>,
    /// One entry per entity (and company) it processed, in processing order.
    pub entities: Vec<EntityExecution>,
}

/// The direction of an execution (and of a data project, whose files spell it lowercase).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub enum Operation {
    /// Documents into the store.
    #[serde(alias = "import")]
    Import,
    /// The store into documents.
    #[serde(alias = "export")]
    Export,
}

/// An execution's summary status, named as D365's `DMFExecutionSummaryStatus`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub enum ExecutionStatus {
    /// The status cannot be told.
    Unknown,
    /// Not started.
    NotRun,
    /// Running.
    Executing,
    /// Every record of every entity went through.
    Succeeded,
    /// Some records or entities failed.
    PartiallySucceeded,
    /// Nothing went through.
    Failed,
    /// Stopped on request.
    Canceled,
}

/// The progress of one entity of an execution, named as D365's `EntityExecutionState`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub enum EntityExecutionState {
    /// Not started.
    NotStarted,
    /// Waiting for its turn.
    Waiting,
    /// Running.
    Executing,
    /// Stopped by an error.
    Error,
    /// Done.
    Finished,
    /// Ready to run.
    Ready,
    /// Will not run.
    NotRun,
    /// Stopping on request.
    Cancelling,
    /// Stopped on request.
    Canceled,
    /// Held back by an operator.
    Hold,
}

/// What happened to one entity in an execution: D365's execution detail, with the staging
/// step (reading and converting records) and the target step (writing them).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct EntityExecution {
    /// The entity's name.
    pub entity: String,
    /// The company its rows belong to, `None` for shared entities.
    pub company: Option<String>,
    /// Records read from the source.
    pub staging_records: u64,
    /// Where reading stands.
    pub staging_status: EntityExecutionState,
    /// Records rejected while reading and converting.
    pub staging_error_count: u64,
    /// Records written to the store (or exported).
    pub target_records: u64,
    /// Where writing stands.
    pub target_status: EntityExecutionState,
    /// Records rejected while writing.
    pub target_error_count: u64,
    /// When processing started, RFC 3339.
    pub started: Option<String>,
    /// When processing ended, RFC 3339.
    pub completed: Option<String>,
    /// Rows inserted.
    pub inserted: u64,
    /// Rows updated.
    pub updated: u64,
}

/// A rejected record: which one, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct RecordError {
    /// The entity it was meant for.
    pub entity: String,
    /// Its record number in the source (1-based, header excluded).
    pub record: u64,
    /// The field at fault, when one is.
    pub field: Option<String>,
    /// What was wrong.
    pub message: String,
}

/// Names as stored and as D365 spells them, in both directions.
pub(super) trait Named: Sized + Copy + 'static {
    const ALL: &'static [Self];
    const WHAT: &'static str;

    fn name(self) -> &'static str;

    fn from_name(name: &str) -> Result<Self> {
        match Self::ALL.iter().find(|value| value.name() == name) {
            Some(value) => Ok(*value),
            None => bail!("the store holds an unknown {} {name:?}", Self::WHAT),
        }
    }
}

impl Named for Operation {
    const ALL: &'static [Self] = &[Operation::Import, Operation::Export];
    const WHAT: &'static str = "operation";

    fn name(self) -> &'static str {
        match self {
            Operation::Import => "Import",
            Operation::Export => "Export",
        }
    }
}

impl Named for ExecutionStatus {
    const ALL: &'static [Self] = &[
        ExecutionStatus::Unknown,
        ExecutionStatus::NotRun,
        ExecutionStatus::Executing,
        ExecutionStatus::Succeeded,
        ExecutionStatus::PartiallySucceeded,
        ExecutionStatus::Failed,
        ExecutionStatus::Canceled,
    ];
    const WHAT: &'static str = "execution status";

    fn name(self) -> &'static str {
        match self {
            ExecutionStatus::Unknown => "Unknown",
            ExecutionStatus::NotRun => "NotRun",
            ExecutionStatus::Executing => "Executing",
            ExecutionStatus::Succeeded => "Succeeded",
            ExecutionStatus::PartiallySucceeded => "PartiallySucceeded",
            ExecutionStatus::Failed => "Failed",
            ExecutionStatus::Canceled => "Canceled",
        }
    }
}

impl Named for EntityExecutionState {
    const ALL: &'static [Self] = &[
        EntityExecutionState::NotStarted,
        EntityExecutionState::Waiting,
        EntityExecutionState::Executing,
        EntityExecutionState::Error,
        EntityExecutionState::Finished,
        EntityExecutionState::Ready,
        EntityExecutionState::NotRun,
        EntityExecutionState::Cancelling,
        EntityExecutionState::Canceled,
        EntityExecutionState::Hold,
    ];
    const WHAT: &'static str = "entity execution state";

    fn name(self) -> &'static str {
        match self {
            EntityExecutionState::NotStarted => "NotStarted",
            EntityExecutionState::Waiting => "Waiting",
            EntityExecutionState::Executing => "Executing",
            EntityExecutionState::Error => "Error",
            EntityExecutionState::Finished => "Finished",
            EntityExecutionState::Ready => "Ready",
            EntityExecutionState::NotRun => "NotRun",
            EntityExecutionState::Cancelling => "Cancelling",
            EntityExecutionState::Canceled => "Canceled",
            EntityExecutionState::Hold => "Hold",
        }
    }
}

impl Operation {
    /// The name, `Import` or `Export`.
    pub fn as_str(self) -> &'static str {
        self.name()
    }
}

impl ExecutionStatus {
    /// The D365 name, e.g. `PartiallySucceeded`.
    pub fn as_str(self) -> &'static str {
        self.name()
    }
}

impl EntityExecutionState {
    /// The D365 name, e.g. `Finished`.
    pub fn as_str(self) -> &'static str {
        self.name()
    }
}

/// A count as SQLite stores it.
pub(super) fn sql_count(count: u64, what: &str) -> Result<i64> {
    i64::try_from(count).with_context(|| format!("{what} {count} is too large to store"))
}

fn stored_count(row: &Row<'_>, column: &str) -> Result<u64> {
    let count: i64 = row.get(column)?;
    u64::try_from(count).with_context(|| format!("the store holds a negative {column}"))
}

impl Sqlite {
    /// Saves `execution` and its entities, replacing what was saved under its ID before. Its
    /// record errors, saved with [`WriteBatch::record_errors`](super::WriteBatch::record_errors),
    /// stay.
    pub fn save_execution(&self, execution: &Execution) -> Result<()> {
        self.with_connection(|connection| {
            let transaction = connection.transaction_with_behavior(TransactionBehavior::Immediate)?;
            write_execution(&transaction, execution)?;
            transaction.commit()?;
            Ok(())
        })
        .with_context(|| format!("cannot save execution {}", execution.id))
    }

    /// The execution saved under `id`, with its entities in their saved order.
    pub fn execution(&self, id: &str) -> Result<Option<Execution>> {
        self.with_connection(|connection| read_execution(connection, id))
            .with_context(|| format!("cannot read execution {id}"))
    }

    /// The ids of the newest executions (by start time, newest first): `limit` of them after
    /// skipping `offset`.
    pub fn execution_ids(&self, offset: u64, limit: u64) -> Result<Vec<String>> {
        let offset = i64::try_from(offset).unwrap_or(i64::MAX);
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        self.with_connection(|connection| {
            let mut statement = connection.prepare_cached(
                "SELECT id FROM wharf_executions ORDER BY started DESC, rowid DESC LIMIT ?1 OFFSET ?2",
            )?;
            let ids = statement.query_map((limit, offset), |row| row.get::<_, String>(0))?;
            Ok(ids.collect::<rusqlite::Result<Vec<_>>>()?)
        })
        .context("cannot list executions")
    }

    /// Removes the executions that started before `before` (RFC 3339, UTC) and that have
    /// ended, with their entities, rejected records and staged rows; returns their ids. D365's job history
    /// cleanup, which keeps a recurring job's executions from piling up.
    pub fn remove_executions_before(&self, before: &str) -> Result<Vec<String>> {
        self.with_connection(|connection| {
            let transaction = connection.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let ids = {
                let mut statement = transaction.prepare_cached(
                    "DELETE FROM wharf_executions WHERE started < ?1 AND completed IS NOT NULL RETURNING id",
                )?;
                let ids = statement.query_map([before], |row| row.get::<_, String>(0))?;
                ids.collect::<rusqlite::Result<Vec<_>>>()?
            };
            for id in &ids {
                transaction
                    .prepare_cached("DELETE FROM wharf_execution_entities WHERE execution = ?1")?
                    .execute([id])?;
                transaction.prepare_cached("DELETE FROM wharf_execution_errors WHERE execution = ?1")?.execute([id])?;
                super::staging::remove_staging(&transaction, id)?;
            }
            transaction.commit()?;
            Ok(ids)
        })
        .context("cannot remove old executions")
    }

    /// Rejected records of execution `id` in the order they were recorded: `limit` of them,
    /// after skipping `offset`.
    pub fn execution_errors(&self, id: &str, offset: u64, limit: u64) -> Result<Vec<RecordError>> {
        // Beyond i64::MAX there is nothing to skip to or return anyway.
        let offset = i64::try_from(offset).unwrap_or(i64::MAX);
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        self.with_connection(|connection| {
            let mut statement = connection.prepare_cached(
                "SELECT entity, record, field, message FROM wharf_execution_errors WHERE execution = ?1
                 ORDER BY rowid LIMIT ?2 OFFSET ?3",
            )?;
            let mut rows = statement.query((id, limit, offset))?;
            let mut errors = Vec::new();
            while let Some(row) = rows.next()? {
                errors.push(RecordError {
                    entity: row.get("entity")?,
                    record: stored_count(row, "record")?,
                    field: row.get("field")?,
                    message: row.get("message")?,
                });
            }
            Ok(errors)
        })
        .with_context(|| format!("cannot read the errors of execution {id}"))
    }

    /// How many records execution `id` rejected.
    pub fn execution_error_count(&self, id: &str) -> Result<u64> {
        let count: i64 = self
            .with_connection(|connection| {
                let mut statement =
                    connection.prepare_cached("SELECT count(*) FROM wharf_execution_errors WHERE execution = ?1")?;
                Ok(statement.query_row([id], |row| row.get(0))?)
            })
            .with_context(|| format!("cannot count the errors of execution {id}"))?;
        u64::try_from(count).context("a negative error count")
    }
}

/// Saves `execution` and its entities in `transaction`, replacing what was saved under its ID.
pub(super) fn write_execution(transaction: &Connection, execution: &Execution) -> Result<()> {
    transaction
        .prepare_cached(
            "INSERT INTO wharf_executions (id, project, operation, status, started, completed, company)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
         ON CONFLICT (id) DO UPDATE SET project = excluded.project, operation = excluded.operation,
             status = excluded.status, started = excluded.started, completed = excluded.completed,
             company = excluded.company",
        )?
        .execute((
            &execution.id,
            &execution.project,
            execution.operation.name(),
            execution.status.name(),
            &execution.started,
            &execution.completed,
            &execution.company,
        ))?;
    transaction
        .prepare_cached("DELETE FROM wharf_execution_entities WHERE execution = ?1")?
        .execute([&execution.id])?;
    let mut insert = transaction.prepare_cached(
        "INSERT INTO wharf_execution_entities (execution, position, entity, company, staging_records,
             staging_status, staging_error_count, target_records, target_status, target_error_count,
             started, completed, inserted, updated)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)",
    )?;
    for (position, entity) in execution.entities.iter().enumerate() {
        insert.execute(rusqlite::params![
            &execution.id,
            i64::try_from(position)?,
            &entity.entity,
            &entity.company,
            sql_count(entity.staging_records, "staging_records")?,
            entity.staging_status.name(),
            sql_count(entity.staging_error_count, "staging_error_count")?,
            sql_count(entity.target_records, "target_records")?,
            entity.target_status.name(),
            sql_count(entity.target_error_count, "target_error_count")?,
            &entity.started,
            &entity.completed,
            sql_count(entity.inserted, "inserted")?,
            sql_count(entity.updated, "updated")?,
        ])?;
    }
    drop(insert);
    Ok(())
}

pub(super) fn read_execution(connection: &Connection, id: &str) -> Result<Option<Execution>> {
    let mut statement = connection.prepare_cached(
        "SELECT project, operation, status, started, completed, company FROM wharf_executions WHERE id = ?1",
    )?;
    let row = statement
        .query_row([id], |row| {
            Ok((
                row.get::<_, String>("project")?,
                row.get::<_, String>("operation")?,
                row.get::<_, String>("status")?,
                row.get::<_, String>("started")?,
                row.get::<_, Option<String>>("completed")?,
                row.get::<_, Option<String>>("company")?,
            ))
        })
        .optional()?;
    let Some((project, operation, status, started, completed, company)) = row else {
        return Ok(None);
    };
    let mut statement =
        connection.prepare_cached("SELECT * FROM wharf_execution_entities WHERE execution = ?1 ORDER BY position")?;
    let mut rows = statement.query([id])?;
    let mut entities = Vec::new();
    while let Some(row) = rows.next()? {
        entities.push(EntityExecution {
            entity: row.get("entity")?,
            company: row.get("company")?,
            staging_records: stored_count(row, "staging_records")?,
            staging_status: EntityExecutionState::from_name(&row.get::<_, String>("staging_status")?)?,
            staging_error_count: stored_count(row, "staging_error_count")?,
            target_records: stored_count(row, "target_records")?,
            target_status: EntityExecutionState::from_name(&row.get::<_, String>("target_status")?)?,
            target_error_count: stored_count(row, "target_error_count")?,
            started: row.get("started")?,
            completed: row.get("completed")?,
            inserted: stored_count(row, "inserted")?,
            updated: stored_count(row, "updated")?,
        });
    }
    Ok(Some(Execution {
        id: id.to_owned(),
        project,
        operation: Operation::from_name(&operation)?,
        status: ExecutionStatus::from_name(&status)?,
        started,
        completed,
        company,
        entities,
    }))
}
