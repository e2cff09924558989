//! Staging: the rows of an import that stopped before the target (D365's `execute=false` and
//! "import to staging only"), kept per execution with their errors until an operator has
//! looked at them, corrected or dropped the bad ones, and copied the execution to the target.
//!
//! A staged row is an entity row as the converter made it (its values as JSON), or, for a row
//! that was rejected, the values it had before conversion with the reasons it was rejected.
//! Copying converts every row again against the entity as it is defined now, so a row is
//! validated when it enters staging, when it is corrected and when it leaves; only rows that
//! pass reach the target, all in one transaction.

use std::collections::HashMap;
use std::sync::Arc;

use anyhow::{Context as _, Result};
use rusqlite::{Connection, Row, TransactionBehavior};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value as Json};
use wharf_plugin_sdk::{Batch, BatchBuilder, RowError, Value, ValueRef};

use super::executions::{
    EntityExecution, EntityExecutionState, Execution, ExecutionStatus, RecordError, read_execution, write_execution,
};
use super::sqlite::Sqlite;
use super::write::WriteBatch;
use crate::entity::{Catalog, Entity, ParseOptions, RowConverter};

/// Rows converted and written per page while an execution is copied to the target.
const COPY_PAGE_ROWS: usize = 5_000;

/// Where a staged row stands, named as D365's `DMFTransferStatus`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum TransferStatus {
    /// Valid, waiting to be copied to the target.
    NotStarted,
    /// Rejected: its errors say why. Correct it or drop it; it is not copied as it is.
    Error,
    /// Copied to the target.
    Completed,
}

impl TransferStatus {
    pub(super) fn name(self) -> &'static str {
        match self {
            TransferStatus::NotStarted => "NotStarted",
            TransferStatus::Error => "Error",
            TransferStatus::Completed => "Completed",
        }
    }

    pub(super) fn from_name(name: &str) -> Result<TransferStatus> {
        [TransferStatus::NotStarted, TransferStatus::Error, TransferStatus::Completed]
            .into_iter()
            .find(|status| status.name() == name)
            .with_context(|| format!("the store holds an unknown transfer status {name:?}"))
    }
}

/// One row of an execution's staging.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StagedRow {
    /// The entity's name.
    pub entity: String,
    /// The row's number among the entity's staged rows of the execution (from 1).
    pub number: u64,
    /// The record of the source it came from (1-based, header excluded).
    pub record: u64,
    /// Where it stands.
    pub status: TransferStatus,
    /// Field (or, for a row a mapper rejected, source column) → value.
    pub values: Map<String, Json>,
    /// Why it was rejected; empty for a valid row.
    pub errors: Vec<StagedError>,
}

/// One reason a staged row was rejected.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StagedError {
    /// The field at fault, when one is.
    pub field: Option<String>,
    /// What was wrong.
    pub message: String,
}

/// Why a staging request was refused; the API answers each with its own status.
#[derive(Debug, thiserror::Error)]
pub enum StagingError {
    /// No such execution, entity or row.
    #[error("{0}")]
    NotFound(String),
    /// The correction does not make a valid row.
    #[error("{0}")]
    Invalid(String),
    /// The execution is not (or no longer) waiting in staging.
    #[error("{0}")]
    Conflict(String),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] anyhow::Error),
}

impl From<rusqlite::Error> for StagingError {
    fn from(error: rusqlite::Error) -> Self {
        StagingError::Store(error.into())
    }
}

/// A cell as JSON: text-stored types as strings, numbers and booleans as themselves.
pub fn json_value(value: ValueRef<'_>) -> Json {
    match value {
        ValueRef::Null => Json::Null,
        ValueRef::String(text) | ValueRef::Decimal(text) | ValueRef::Date(text) | ValueRef::DateTime(text) => {
            Json::String(text.to_owned())
        }
        ValueRef::Integer(number) => Json::from(number),
        ValueRef::Float(number) => serde_json::Number::from_f64(number).map_or(Json::Null, Json::Number),
        ValueRef::Boolean(flag) => Json::Bool(flag),
    }
}

/// JSON as a cell for the converter, which parses text into the field's type.
fn cell(field: &str, json: &Json) -> Result<Value, String> {
    Ok(match json {
        Json::Null => Value::Null,
        Json::String(text) => Value::String(text.clone()),
        Json::Bool(flag) => Value::Boolean(*flag),
        Json::Number(number) => match number.as_i64() {
            Some(integer) => Value::Integer(integer),
            None => Value::Float(number.as_f64().unwrap_or(f64::NAN)),
        },
        Json::Array(_) | Json::Object(_) => return Err(format!("field {field}: a list or object is not a value")),
    })
}

/// One batch of `rows`, with the entity's fields as columns (looked up without case).
fn batch_of(entity: &Entity, rows: &[&Map<String, Json>]) -> Result<Batch, String> {
    let mut builder = BatchBuilder::new(entity.fields.iter().map(|field| field.name.clone()));
    for values in rows {
        let cells = entity
            .fields
            .iter()
            .map(|field| {
                let found = values.iter().find(|(name, _)| name.eq_ignore_ascii_case(&field.name));
                found.map_or(Ok(Value::Null), |(_, json)| cell(&field.name, json))
            })
            .collect::<Result<Vec<_>, _>>()?;
        let refs: Vec<ValueRef<'_>> = cells.iter().map(Value::as_ref).collect();
        builder.push_row(&refs);
    }
    Ok(builder.finish())
}

/// The converter that validates staged rows of `entity`: fields by name, the execution's
/// company for rows that name none, and only `companies` when the caller's grants end.
pub(super) fn converter(
    entity: &Arc<Entity>,
    company: Option<&str>,
    companies: Option<Arc<[String]>>,
) -> Result<RowConverter> {
    Ok(RowConverter::new(entity.clone(), HashMap::new(), ParseOptions::default(), company.map(str::to_owned))?
        .only_companies(companies))
}

fn error_text(error: &RowError) -> String {
    match &error.field {
        Some(field) => format!("field {field}: {}", error.message),
        None => error.message.clone(),
    }
}

pub(super) fn sql_number(number: u64) -> Result<i64> {
    i64::try_from(number).with_context(|| format!("{number} is too large"))
}

impl StagedRow {
    /// The row from its stored columns: its values and errors are JSON text.
    pub(super) fn from_stored(
        entity: String,
        number: i64,
        record: i64,
        status: &str,
        values: &str,
        errors: &str,
    ) -> Result<StagedRow> {
        Ok(StagedRow {
            entity,
            number: u64::try_from(number).context("the store holds a negative staged row number")?,
            record: u64::try_from(record).context("the store holds a negative record number")?,
            status: TransferStatus::from_name(status)?,
            values: serde_json::from_str(values).context("the store holds a staged row that is not JSON")?,
            errors: serde_json::from_str(errors).context("the store holds staged errors that are not JSON")?,
        })
    }

    /// Its values and its errors as the JSON text the store keeps.
    pub(super) fn stored_json(&self) -> Result<(String, String)> {
        Ok((serde_json::to_string(&self.values)?, serde_json::to_string(&self.errors)?))
    }
}

fn read_row(row: &Row<'_>) -> Result<StagedRow> {
    let values: String = row.get("row_values")?;
    let errors: String = row.get("errors")?;
    let status: String = row.get("status")?;
    StagedRow::from_stored(row.get("entity")?, row.get("number")?, row.get("record")?, &status, &values, &errors)
}

fn select_row(connection: &Connection, execution: &str, entity: &str, number: u64) -> Result<Option<StagedRow>> {
    let mut statement = connection
        .prepare_cached("SELECT * FROM wharf_staging WHERE execution = ?1 AND entity = ?2 AND number = ?3")?;
    let mut rows = statement.query((execution, entity, sql_number(number)?))?;
    rows.next()?.map(read_row).transpose()
}

fn update_row(connection: &Connection, execution: &str, row: &StagedRow) -> Result<()> {
    let (values, errors) = row.stored_json()?;
    connection
        .prepare_cached(
            "UPDATE wharf_staging SET status = ?4, row_values = ?5, errors = ?6
             WHERE execution = ?1 AND entity = ?2 AND number = ?3",
        )?
        .execute((execution, &row.entity, sql_number(row.number)?, row.status.name(), values, errors))?;
    Ok(())
}

/// Whether entity record `entity` of `execution` stopped after staging and waits for the target.
pub(super) fn waiting(entity: &EntityExecution) -> bool {
    entity.staging_status == EntityExecutionState::Finished && entity.target_status == EntityExecutionState::NotRun
}

impl WriteBatch<'_> {
    /// Keeps `rows` of `entity` in `execution`'s staging, in this transaction; their numbers
    /// follow the entity's rows staged before (the numbers given are ignored).
    pub fn stage(&mut self, execution: &str, entity: &str, rows: &[StagedRow]) -> Result<()> {
        let last: i64 = self
            .sql()
            .prepare_cached("SELECT coalesce(max(number), 0) FROM wharf_staging WHERE execution = ?1 AND entity = ?2")?
            .query_row((execution, entity), |row| row.get(0))?;
        let mut statement = self.sql().prepare_cached(
            "INSERT INTO wharf_staging (execution, entity, number, record, status, row_values, errors)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        )?;
        for (number, row) in (last + 1..).zip(rows) {
            let (values, errors) = row.stored_json()?;
            statement
                .execute((execution, entity, number, sql_number(row.record)?, row.status.name(), values, errors))
                .with_context(|| format!("cannot stage record {} of {entity}", row.record))?;
        }
        Ok(())
    }
}

impl Sqlite {
    /// `limit` staged rows of `execution` after skipping `offset` (only rejected ones when
    /// `errors_only`), by entity and number, with how many there are in all.
    pub fn staged_rows(
        &self,
        execution: &str,
        errors_only: bool,
        offset: u64,
        limit: u64,
    ) -> Result<(u64, Vec<StagedRow>)> {
        // Beyond i64::MAX there is nothing to skip to or return anyway.
        let offset = i64::try_from(offset).unwrap_or(i64::MAX);
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let status = if errors_only { Some(TransferStatus::Error.name()) } else { None };
        self.with_connection(|connection| {
            let total: i64 = connection
                .prepare_cached(
                    "SELECT count(*) FROM wharf_staging WHERE execution = ?1 AND (?2 IS NULL OR status = ?2)",
                )?
                .query_row((execution, status), |row| row.get(0))?;
            let mut statement = connection.prepare_cached(
                "SELECT * FROM wharf_staging WHERE execution = ?1 AND (?2 IS NULL OR status = ?2)
                 ORDER BY entity, number LIMIT ?3 OFFSET ?4",
            )?;
            let mut rows = statement.query((execution, status, limit, offset))?;
            let mut staged = Vec::new();
            while let Some(row) = rows.next()? {
                staged.push(read_row(row)?);
            }
            Ok((u64::try_from(total).context("a negative count")?, staged))
        })
        .with_context(|| format!("cannot read the staging of execution {execution}"))
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
        let entity = staged_entity(&self.catalog(), entity)?;
        self.with_staging(|connection| {
            let transaction = connection.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let execution = waiting_execution(&transaction, execution)?;
            let row = found_row(&transaction, &execution.id, &entity.name, number)?;
            let row = corrected(&entity, &execution, row, changes, companies)?;
            update_row(&transaction, &execution.id, &row)?;
            forget_errors(&transaction, &execution.id, &entity, row.record)?;
            transaction.commit().context("cannot commit a corrected row")?;
            Ok(row)
        })
    }

    /// Drops staged row `number` of `entity` from `execution`'s staging, with its error
    /// records: it will not be copied.
    pub fn drop_staged_row(&self, execution: &str, entity: &str, number: u64) -> Result<(), StagingError> {
        let entity = staged_entity(&self.catalog(), entity)?;
        self.with_staging(|connection| {
            let transaction = connection.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let execution = waiting_execution(&transaction, execution)?;
            let row = found_row(&transaction, &execution.id, &entity.name, number)?;
            not_copied(&row)?;
            transaction
                .prepare_cached("DELETE FROM wharf_staging WHERE execution = ?1 AND entity = ?2 AND number = ?3")?
                .execute((&execution.id, &entity.name, sql_number(number)?))?;
            forget_errors(&transaction, &execution.id, &entity, row.record)?;
            transaction.commit().context("cannot commit a dropped row")?;
            Ok(())
        })
    }

    /// Copies `execution` from staging to the target: every valid row of every entity waiting
    /// in staging is converted again and upserted, in one transaction with the execution's new
    /// record (D365's staging → target step), so it is copied wholly once or not at all. Rows
    /// that fail now are marked rejected with their reason; rows still rejected stay behind.
    pub fn copy_to_target(
        &self,
        execution: &str,
        companies: Option<Arc<[String]>>,
        now: &str,
    ) -> Result<Execution, StagingError> {
        let catalog = self.catalog();
        let mut writer = self.writer()?;
        let mut batch = writer.transaction()?;
        let mut execution = waiting_execution(batch.sql(), execution)?;
        let mut failed_rows = 0u64;
        for record in execution.entities.iter_mut().filter(|record| waiting(record)) {
            let entity = catalog
                .get(&record.entity)
                .with_context(|| format!("entity {} is no longer defined", record.entity))?
                .clone();
            let converter = converter(&entity, record.company.as_deref(), companies.clone())?;
            let mut after = 0u64;
            loop {
                let page = batch.waiting_rows(&execution.id, &entity.name, after)?;
                let Some(last) = page.last() else { break };
                after = last.number;
                let ConvertedPage { converted, kept, rejected } = convert_page(&entity, &converter, &page);
                let upserted = batch.upsert(&entity, &converted)?;
                record.target_records += upserted.inserted + upserted.updated + upserted.unchanged;
                record.inserted += upserted.inserted;
                record.updated += upserted.updated;
                let mut completed = batch.sql().prepare_cached(
                    "UPDATE wharf_staging SET status = ?4 WHERE execution = ?1 AND entity = ?2 AND number = ?3",
                )?;
                for index in kept {
                    let number = sql_number(page[index as usize].number)?;
                    completed.execute((&execution.id, &entity.name, number, TransferStatus::Completed.name()))?;
                }
                drop(completed);
                let mut errors = Vec::with_capacity(rejected.len());
                for (row, error) in rejections(&record.entity, &page, rejected) {
                    update_row(batch.sql(), &execution.id, &row)?;
                    errors.push(error);
                }
                record.target_error_count += errors.len() as u64;
                failed_rows += errors.len() as u64;
                batch.record_errors(&execution.id, &errors)?;
            }
            record.staging_error_count = batch.rejected_rows(&execution.id, &entity.name)? - record.target_error_count;
            record.target_status = EntityExecutionState::Finished;
            record.completed = Some(now.to_owned());
        }
        copied(&mut execution, failed_rows, now);
        write_execution(batch.sql(), &execution)?;
        batch.commit()?;
        Ok(execution)
    }

    /// Runs `work` on a connection of the store, as `with_connection` does, keeping its error.
    fn with_staging<T>(
        &self,
        work: impl FnOnce(&mut Connection) -> Result<T, StagingError>,
    ) -> Result<T, StagingError> {
        let mut connection = self.take_connection()?;
        let result = work(&mut connection);
        self.give_back(connection);
        result
    }
}

/// The entity called `name` in `catalog`, as staged rows name it.
pub(super) fn staged_entity(catalog: &Catalog, name: &str) -> Result<Arc<Entity>, StagingError> {
    catalog.get(name).cloned().ok_or_else(|| StagingError::NotFound(format!("no entity {name}")))
}

/// Fails when `row` has been copied to the target: it can no longer be corrected or dropped.
pub(super) fn not_copied(row: &StagedRow) -> Result<(), StagingError> {
    match row.status {
        TransferStatus::Completed => {
            Err(StagingError::Conflict(format!("row {} of {} is in the target already", row.number, row.entity)))
        }
        TransferStatus::NotStarted | TransferStatus::Error => Ok(()),
    }
}

/// `row` of `entity` in `execution` with `changes` (field → value, `null` to clear one) over
/// its values, converted into a valid row of the entity (into one of `companies`, when given),
/// waiting to be copied; or why it cannot be.
pub(super) fn corrected(
    entity: &Arc<Entity>,
    execution: &Execution,
    mut row: StagedRow,
    changes: &Map<String, Json>,
    companies: Option<Arc<[String]>>,
) -> Result<StagedRow, StagingError> {
    not_copied(&row)?;
    if let Some(unknown) = changes.keys().find(|name| entity.field_index(name).is_none()) {
        return Err(StagingError::Invalid(format!("{unknown} is not a field of {}", entity.name)));
    }
    let mut values = row.values.clone();
    for (name, value) in changes {
        values.retain(|known, _| !known.eq_ignore_ascii_case(name));
        values.insert(name.clone(), value.clone());
    }
    let batch = batch_of(entity, &[&values]).map_err(StagingError::Invalid)?;
    let (converted, _, errors) = converter(entity, execution.company.as_deref(), companies)?.convert(&batch);
    if let Some(error) = errors.first() {
        return Err(StagingError::Invalid(format!("the corrected row is not valid: {}", error_text(error))));
    }
    let converted = converted.row(0).context("the converter returned no row")?;
    row.values = entity
        .fields
        .iter()
        .enumerate()
        .map(|(column, field)| (field.name.clone(), json_value(converted.value(column))))
        .collect();
    row.status = TransferStatus::NotStarted;
    row.errors.clear();
    Ok(row)
}

/// A page of staged rows converted again for the copy to the target.
pub(super) struct ConvertedPage {
    /// The rows that passed, as the entity's fields.
    pub(super) converted: Batch,
    /// Their indexes in the page.
    pub(super) kept: Vec<u32>,
    /// The rows that failed: index in the page, why, and the field at fault.
    pub(super) rejected: Vec<(usize, String, Option<String>)>,
}

/// Converts `page` with `converter`.
pub(super) fn convert_page(entity: &Entity, converter: &RowConverter, page: &[StagedRow]) -> ConvertedPage {
    let values: Vec<&Map<String, Json>> = page.iter().map(|row| &row.values).collect();
    match batch_of(entity, &values) {
        Ok(rows) => {
            let (converted, kept, errors) = converter.convert(&rows);
            let rejected = errors.into_iter().map(|error| (error.row as usize, error.message, error.field)).collect();
            ConvertedPage { converted, kept, rejected }
        }
        // A row the store holds always has JSON values; one per page fails alone.
        Err(message) => ConvertedPage {
            converted: BatchBuilder::new(entity.fields.iter().map(|field| field.name.clone())).finish(),
            kept: Vec::new(),
            rejected: (0..page.len()).map(|index| (index, message.clone(), None)).collect(),
        },
    }
}

/// The rows of `page` that the copy rejected, marked so with their reason, each with its
/// error record for execution entity `entity`.
pub(super) fn rejections(
    entity: &str,
    page: &[StagedRow],
    rejected: Vec<(usize, String, Option<String>)>,
) -> impl Iterator<Item = (StagedRow, RecordError)> {
    rejected.into_iter().filter_map(move |(index, message, field)| {
        let mut row = page.get(index)?.clone();
        row.status = TransferStatus::Error;
        row.errors = vec![StagedError { field: field.clone(), message: message.clone() }];
        let error = RecordError { entity: entity.to_owned(), record: row.record, field, message };
        Some((row, error))
    })
}

/// Ends `execution` at `now` after its copy to the target, in which `failed_rows` rows failed.
pub(super) fn copied(execution: &mut Execution, failed_rows: u64, now: &str) {
    let left_behind = execution.entities.iter().any(|record| record.staging_error_count > 0);
    let copied: u64 = execution.entities.iter().map(|record| record.target_records).sum();
    execution.status = match (failed_rows > 0 || left_behind, copied) {
        (false, _) => ExecutionStatus::Succeeded,
        (true, 0) => ExecutionStatus::Failed,
        (true, _) => ExecutionStatus::PartiallySucceeded,
    };
    execution.completed = Some(now.to_owned());
}

impl WriteBatch<'_> {
    /// The next page of rows of `entity` waiting to be copied, after number `after`.
    fn waiting_rows(&self, execution: &str, entity: &str, after: u64) -> Result<Vec<StagedRow>> {
        let mut statement = self.sql().prepare_cached(
            "SELECT * FROM wharf_staging WHERE execution = ?1 AND entity = ?2 AND number > ?3 AND status = ?4
             ORDER BY number LIMIT ?5",
        )?;
        let limit = i64::try_from(COPY_PAGE_ROWS)?;
        let mut rows =
            statement.query((execution, entity, sql_number(after)?, TransferStatus::NotStarted.name(), limit))?;
        let mut page = Vec::new();
        while let Some(row) = rows.next()? {
            page.push(read_row(row)?);
        }
        Ok(page)
    }

    /// How many rows of `entity` in `execution`'s staging are rejected.
    fn rejected_rows(&self, execution: &str, entity: &str) -> Result<u64> {
        let count: i64 = self
            .sql()
            .prepare_cached("SELECT count(*) FROM wharf_staging WHERE execution = ?1 AND entity = ?2 AND status = ?3")?
            .query_row((execution, entity, TransferStatus::Error.name()), |row| row.get(0))?;
        u64::try_from(count).context("a negative count")
    }
}

/// Execution `id`, which must have entities waiting in staging.
fn waiting_execution(connection: &Connection, id: &str) -> Result<Execution, StagingError> {
    if let Some(execution) = waiting_or_ended(id, read_execution(connection, id)?)? {
        return Ok(execution);
    }
    let staged: bool = connection
        .prepare_cached("SELECT EXISTS (SELECT 1 FROM wharf_staging WHERE execution = ?1)")?
        .query_row([id], |row| row.get(0))
        .map_err(anyhow::Error::from)?;
    Err(not_waiting(id, staged))
}

/// `execution` (read under `id`) when it has entities waiting in staging; `None` when it has
/// ended without any ([`not_waiting`] says why); an error when there is none or it still runs.
pub(super) fn waiting_or_ended(id: &str, execution: Option<Execution>) -> Result<Option<Execution>, StagingError> {
    let execution = execution.ok_or_else(|| StagingError::NotFound(format!("no execution {id}")))?;
    if execution.entities.iter().any(waiting) {
        return Ok(Some(execution));
    }
    if execution.completed.is_none() {
        return Err(StagingError::Conflict(format!("execution {id} is still running")));
    }
    Ok(None)
}

/// Why ended execution `id` has nothing waiting in staging: it was copied (it still has
/// `staged` rows) or never stopped there.
pub(super) fn not_waiting(id: &str, staged: bool) -> StagingError {
    StagingError::Conflict(match staged {
        true => format!("execution {id} has been copied to the target already"),
        false => format!("execution {id} did not stop at staging"),
    })
}

/// Staged row `number` of `entity` in `execution`, or not found.
fn found_row(connection: &Connection, execution: &str, entity: &str, number: u64) -> Result<StagedRow, StagingError> {
    select_row(connection, execution, entity, number)?.ok_or_else(|| no_staged_row(execution, entity, number))
}

/// The refusal of a staged row that `execution` does not have.
pub(super) fn no_staged_row(execution: &str, entity: &str, number: u64) -> StagingError {
    StagingError::NotFound(format!("execution {execution} has no staged row {number} of {entity}"))
}

/// Removes the error records of `record` of `entity` in `execution`, once its row is corrected
/// or dropped: the execution's errors are those still standing.
fn forget_errors(connection: &Connection, execution: &str, entity: &Entity, record: u64) -> Result<()> {
    let still_staged: bool = connection
        .prepare_cached(
            "SELECT EXISTS (SELECT 1 FROM wharf_staging WHERE execution = ?1 AND entity = ?2 AND record = ?3
                 AND status = 'Error')",
        )?
        .query_row((execution, &entity.name, sql_number(record)?), |row| row.get(0))?;
    if !still_staged {
        connection
            .prepare_cached(
                "DELETE FROM wharf_execution_errors WHERE execution = ?1 AND entity IN (?2, ?3) AND record = ?4",
            )?
            .execute((execution, &entity.label, &entity.name, sql_number(record)?))?;
    }
    Ok(())
}

/// Removes `execution`'s staging, in the transaction of `connection` that removes the execution.
pub(super) fn remove_staging(connection: &Connection, execution: &str) -> Result<()> {
    connection.prepare_cached("DELETE FROM wharf_staging WHERE execution = ?1")?.execute([execution])?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::entity::Catalog;
    use crate::store::Operation;
    use crate::store::tests::{On, Place, on_both_engines};

    const ORDER: &str = r#"
name = "Order"
entity_set = "Orders"
label = "Orders"
key = ["OrderId"]

[[field]]
name = "OrderId"
type = "string"
max_length = 8

[[field]]
name = "Amount"
type = "decimal"
scale = 2

[[field]]
name = "Lines"
type = "integer"

[[field]]
name = "Rush"
type = "boolean"

[[field]]
name = "Due"
type = "date"
"#;

    fn values(json: Json) -> Map<String, Json> {
        json.as_object().expect("an object").clone()
    }

    /// A store with two staged rows of one execution waiting for the target: a valid one and
    /// one a mapper rejected, which has only its source columns.
    fn staged_store(on: On) -> (Place, crate::store::Store) {
        let place = Place::new(on);
        let store = place.open();
        let entity = Entity::parse(ORDER, "a test").expect("the entity");
        store.prepare(&Catalog::new(vec![entity]).expect("a catalog")).expect("prepared");
        let mut entity = EntityExecution {
            entity: "Orders".into(),
            company: Some("usmf".into()),
            staging_records: 1,
            staging_status: EntityExecutionState::Finished,
            staging_error_count: 1,
            target_records: 0,
            target_status: EntityExecutionState::NotRun,
            target_error_count: 0,
            started: None,
            completed: None,
            inserted: 0,
            updated: 0,
        };
        entity.completed = Some("2026-01-01T00:00:00.000Z".into());
        let execution = Execution {
            id: "x".into(),
            project: "Orders".into(),
            operation: Operation::Import,
            status: ExecutionStatus::PartiallySucceeded,
            started: "2026-01-01T00:00:00.000Z".into(),
            completed: Some("2026-01-01T00:00:01.000Z".into()),
            company: Some("usmf".into()),
            entities: vec![entity],
        };
        store.save_execution(&execution).expect("saved");
        let valid = StagedRow {
            entity: "Order".into(),
            number: 0,
            record: 1,
            status: TransferStatus::NotStarted,
            values: values(
                json!({ "OrderId": "A1", "Amount": "12.50", "Lines": 3, "Rush": true, "Due": "2026-02-01" }),
            ),
            errors: Vec::new(),
        };
        let rejected = StagedRow {
            record: 2,
            status: TransferStatus::Error,
            values: values(json!({ "ORDER_NO": "A2", "AMT": "x" })),
            errors: vec![StagedError { field: None, message: "the mapper refused it".into() }],
            ..valid.clone()
        };
        let mut writer = store.writer().expect("a writer");
        let mut batch = writer.transaction().expect("a transaction");
        batch.stage("x", "Order", &[valid, rejected]).expect("staged");
        batch.commit().expect("committed");
        (place, store)
    }

    fn a_row_a_mapper_rejected_is_corrected_by_entity_fields_and_every_type_survives_the_copy(on: On) {
        let (_place, store) = staged_store(on);
        let wrong = values(json!({ "OrderId": "A2", "Amount": "1.234" }));
        let refused = store.correct_staged_row("x", "Orders", 2, &wrong, None);
        assert!(matches!(&refused, Err(StagingError::Invalid(message)) if message.contains("Amount")), "{refused:?}");
        let fixed = values(json!({ "OrderId": "A2", "Amount": 7, "Lines": "4", "Rush": "No", "Due": "2026-03-01" }));
        let row = store.correct_staged_row("x", "Orders", 2, &fixed, None).expect("a valid correction");
        assert_eq!(
            row.values,
            values(json!({
                "dataAreaId": "usmf", "OrderId": "A2", "Amount": "7", "Lines": 4, "Rush": false, "Due": "2026-03-01",
            }))
        );

        let copied = store.copy_to_target("x", None, "2026-01-01T00:00:02.000Z").expect("the copy");
        assert_eq!(copied.status, ExecutionStatus::Succeeded);
        let record = &copied.entities[0];
        assert_eq!((record.target_records, record.inserted, record.staging_error_count), (2, 2, 0));
        assert_eq!(record.target_status, EntityExecutionState::Finished);
        let entity = store.catalog().require("Order").expect("the entity").clone();
        assert_eq!(store.count(&entity, None).expect("a count"), 2);
        assert!(matches!(store.copy_to_target("x", None, "now"), Err(StagingError::Conflict(_))));
        let (_, rows) = store.staged_rows("x", false, 0, 10).expect("the rows");
        assert!(rows.iter().all(|row| row.status == TransferStatus::Completed), "{rows:?}");
    }

    fn rows_left_rejected_stay_behind_and_make_the_copy_partial(on: On) {
        let (_place, store) = staged_store(on);
        let copied = store.copy_to_target("x", None, "2026-01-01T00:00:02.000Z").expect("the copy");
        assert_eq!(copied.status, ExecutionStatus::PartiallySucceeded);
        assert_eq!((copied.entities[0].target_records, copied.entities[0].staging_error_count), (1, 1));
        let (count, rows) = store.staged_rows("x", true, 0, 10).expect("the rejected rows");
        assert_eq!((count, rows[0].record), (1, 2));
    }

    fn a_running_execution_and_an_unknown_one_are_refused(on: On) {
        let (_place, store) = staged_store(on);
        let mut running = store.execution("x").expect("reads").expect("the execution");
        running.completed = None;
        running.entities[0].target_status = EntityExecutionState::Executing;
        store.save_execution(&running).expect("saved");
        let refused = store.drop_staged_row("x", "Order", 1);
        assert!(matches!(&refused, Err(StagingError::Conflict(message)) if message.contains("running")), "{refused:?}");
        assert!(matches!(store.copy_to_target("y", None, "now"), Err(StagingError::NotFound(_))));
        assert!(matches!(store.drop_staged_row("x", "Nothing", 1), Err(StagingError::NotFound(_))));
    }

    on_both_engines!(
        a_row_a_mapper_rejected_is_corrected_by_entity_fields_and_every_type_survives_the_copy,
        rows_left_rejected_stay_behind_and_make_the_copy_partial,
        a_running_execution_and_an_unknown_one_are_refused,
    );
}
