//! Writing entity rows: one write transaction per batch, each with a new version, upserting
//! rows by key and recording the batch's rejected records alongside them.

use std::collections::{HashMap, HashSet};
use std::fmt;

use anyhow::{Context as _, Result};
use rusqlite::{Connection, Transaction, TransactionBehavior};
use wharf_plugin_sdk::Batch;

use super::executions::RecordError;
use super::schema::{self, CREATED_COLUMN, ROW_COLUMN, VERSION_COLUMN, quote};
use super::sql_version;
use super::sqlite::{Sqlite, next_version};
use super::values::{Parameter, check_cell, check_columns};
use crate::entity::Entity;

/// A connection for one writer thread. Open it with [`Store::writer`]; each
/// [`transaction`](Self::transaction) is one batch.
pub struct Writer {
    store: Sqlite,
    connection: Connection,
}

impl fmt::Debug for Writer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Writer").field("store", &self.store.path()).finish_non_exhaustive()
    }
}

impl Writer {
    pub(super) fn new(store: Sqlite, connection: Connection) -> Writer {
        Writer { store, connection }
    }

    /// Starts a write transaction with a new version. It waits (up to the busy timeout) while
    /// another connection writes. Nothing is visible to others until
    /// [`WriteBatch::commit`]; dropping the batch uncommitted rolls everything back.
    pub fn transaction(&mut self) -> Result<WriteBatch<'_>> {
        // IMMEDIATE takes the write lock now, so the version below is taken by the only
        // writer and versions follow commit order.
        let transaction = immediate(&mut self.connection)?;
        let version = next_version(&transaction)?;
        Ok(WriteBatch { store: &self.store, transaction, version, inserted_rows: HashMap::new() })
    }

    /// Starts a bulk load of `entity`: when its table is empty, drops the indexes only reads
    /// need, in a transaction of its own, and returns `true`; [`Writer::end_bulk_load`] builds
    /// them again. A table with rows keeps its indexes (`false`): maintaining them costs less
    /// than building them again over rows already there.
    pub fn start_bulk_load(&mut self, entity: &Entity) -> Result<bool> {
        self.store.check_prepared(entity)?;
        let transaction = immediate(&mut self.connection)?;
        let sql = format!("SELECT EXISTS (SELECT 1 FROM {})", schema::table(entity));
        let has_rows: bool = transaction.query_row(&sql, [], |row| row.get(0))?;
        if has_rows {
            return Ok(false);
        }
        schema::drop_deferred_indexes(&transaction, entity)?;
        transaction.commit().context("cannot commit dropping the indexes")?;
        Ok(true)
    }

    /// Ends a bulk load of `entity`: builds the indexes [`Writer::start_bulk_load`] dropped.
    pub fn end_bulk_load(&mut self, entity: &Entity) -> Result<()> {
        let transaction = immediate(&mut self.connection)?;
        schema::restore_indexes(&transaction, entity)?;
        transaction.commit().context("cannot commit building the indexes")
    }
}

/// A transaction on `connection` holding the write lock from its start.
fn immediate(connection: &mut Connection) -> Result<Transaction<'_>> {
    Transaction::new(connection, TransactionBehavior::Immediate).context("cannot start a write transaction")
}

/// One write transaction: the rows of a batch and its rejected records, committed together.
pub struct WriteBatch<'w> {
    store: &'w Sqlite,
    transaction: Transaction<'w>,
    version: u64,
    /// Row ids inserted by this transaction, per entity (row ids are per table), to tell a
    /// row inserted earlier in the same transaction (a key repeated within the batch) from
    /// one inserted just now.
    inserted_rows: HashMap<String, HashSet<i64>>,
}

impl fmt::Debug for WriteBatch<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WriteBatch").field("version", &self.version).finish_non_exhaustive()
    }
}

/// What an upsert did to each row of its batch.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Upserted {
    /// Rows whose key was new.
    pub inserted: u64,
    /// Rows whose key existed with other values; they now have this transaction's version.
    pub updated: u64,
    /// Rows whose key existed with the same values; they keep their version.
    pub unchanged: u64,
}

impl WriteBatch<'_> {
    /// The version this transaction gives every row it changes.
    pub fn version(&self) -> u64 {
        self.version
    }

    /// Inserts or updates `rows` by key (company and key fields). `rows` must have exactly the
    /// entity's fields as columns, in order, with the values the entity converter produces.
    ///
    /// A key that appears twice in `rows` is written twice, in order: the last row wins, and
    /// the counts say what each row did (the first inserted, the second updated or unchanged).
    pub fn upsert(&mut self, entity: &Entity, rows: &Batch) -> Result<Upserted> {
        self.store.check_prepared(entity)?;
        check_columns(entity, rows)?;
        let version = sql_version(self.version)?;
        let rows_per_statement = rows_per_statement(entity);
        let (many_sql, one_sql) = (upsert_sql(entity, rows_per_statement), upsert_sql(entity, 1));
        let mut upserted = Upserted::default();
        let inserted_rows = self.inserted_rows.entry(entity.name.clone()).or_default();
        let mut first = 0;
        while first < rows.len() {
            // Full statements while enough rows remain, then one row at a time, so only two
            // statement texts exist per entity and both stay prepared.
            let (count, sql) =
                if rows.len() - first >= rows_per_statement { (rows_per_statement, &many_sql) } else { (1, &one_sql) };
            let records = first + 1..=first + count;
            let mut statement = self
                .transaction
                .prepare_cached(sql)
                .with_context(|| format!("cannot prepare the upsert of {}", entity.name))?;
            statement.raw_bind_parameter(1, version)?;
            for offset in 0..count {
                let record = first + offset + 1;
                let row = rows.row(first + offset).with_context(|| format!("record {record} is missing"))?;
                for (column, field) in entity.fields.iter().enumerate() {
                    let value = row.value(column);
                    check_cell(entity, record, column, value)?;
                    let parameter = 2 + offset * entity.fields.len() + column;
                    statement.raw_bind_parameter(parameter, Parameter(value)).with_context(|| {
                        format!("record {record} of {}: cannot bind field {}", entity.name, field.name)
                    })?;
                }
            }
            let mut written = 0;
            let mut returned = statement.raw_query();
            while let Some(row) = returned.next().with_context(|| {
                format!("cannot write records {} to {} of {}", records.start(), records.end(), entity.name)
            })? {
                written += 1;
                let row_id: i64 = row.get(0)?;
                let created: i64 = row.get(1)?;
                if created == version && inserted_rows.insert(row_id) {
                    upserted.inserted += 1;
                } else {
                    upserted.updated += 1;
                }
            }
            // Rows whose update found every field equal were not written and returned nothing.
            upserted.unchanged += count.saturating_sub(written) as u64;
            first += count;
        }
        Ok(upserted)
    }

    /// Records rejected records of `execution`, in this transaction: they are committed with
    /// the rows of their batch, or not at all.
    pub fn record_errors(&mut self, execution: &str, errors: &[RecordError]) -> Result<()> {
        let mut statement = self
            .transaction
            .prepare_cached(
                "INSERT INTO wharf_execution_errors (execution, entity, record, field, message)
                 VALUES (?1, ?2, ?3, ?4, ?5)",
            )
            .context("cannot prepare recording record errors")?;
        for error in errors {
            let record =
                i64::try_from(error.record).with_context(|| format!("record number {} is too large", error.record))?;
            statement
                .execute((execution, &error.entity, record, &error.field, &error.message))
                .with_context(|| format!("cannot record the error of record {} of {}", error.record, error.entity))?;
        }
        Ok(())
    }

    /// The transaction, for the other parts of the store that write in it.
    pub(super) fn sql(&self) -> &Transaction<'_> {
        &self.transaction
    }

    /// Commits the transaction and returns its version.
    pub fn commit(self) -> Result<u64> {
        self.transaction.commit().with_context(|| format!("cannot commit version {}", self.version))?;
        Ok(self.version)
    }
}

/// The most parameters one statement may have: SQLite's default `SQLITE_MAX_VARIABLE_NUMBER`.
const STATEMENT_PARAMETERS_MAX: usize = 32_766;

/// How many rows one upsert statement writes. Each statement has a fixed cost (for
/// `RETURNING`, SQLite buffers results in a temporary table and journals the statement), so
/// writing many rows per statement is several times faster than one at a time.
fn rows_per_statement(entity: &Entity) -> usize {
    const ROWS_PER_STATEMENT: usize = 64;
    ROWS_PER_STATEMENT.min((STATEMENT_PARAMETERS_MAX - 1) / entity.fields.len().max(1)).max(1)
}

/// `INSERT … VALUES (…), … ON CONFLICT (key) DO UPDATE … WHERE <a field differs>
/// RETURNING _row, _created` for `rows` rows. Parameter 1 is the version, then the fields of
/// each row in order. An unchanged row fails the `WHERE`, is not written (it keeps its
/// version) and returns nothing. SQLite applies the rows in order, so a key repeated within a
/// statement updates the row its first appearance inserted.
fn upsert_sql(entity: &Entity, rows: usize) -> String {
    let table = schema::table(entity);
    let columns = schema::column_list(entity);
    let fields = entity.fields.len();
    let values: Vec<String> = (0..rows)
        .map(|row| {
            let parameters: String = (0..fields).map(|column| format!("?{}, ", 2 + row * fields + column)).collect();
            format!("({parameters}?1, ?1)")
        })
        .collect();
    let non_key: Vec<&str> = entity
        .fields
        .iter()
        .enumerate()
        .filter(|(index, _)| !entity.key.contains(index))
        .map(|(_, field)| field.name.as_str())
        .collect();
    let (version_column, created_column, row_column) =
        (quote(VERSION_COLUMN), quote(CREATED_COLUMN), quote(ROW_COLUMN));
    let on_conflict = if non_key.is_empty() {
        // Only key fields: an existing row cannot differ.
        "DO NOTHING".to_owned()
    } else {
        let assignments: Vec<String> =
            non_key.iter().map(|name| format!("{column} = excluded.{column}", column = quote(name))).collect();
        let differs: Vec<String> = non_key
            .iter()
            .map(|name| format!("{table}.{column} IS NOT excluded.{column}", column = quote(name)))
            .collect();
        format!(
            "DO UPDATE SET {}, {version_column} = excluded.{version_column} WHERE {}",
            assignments.join(", "),
            differs.join(" OR ")
        )
    };
    format!(
        "INSERT INTO {table} ({columns}, {version_column}, {created_column}) VALUES {} \
         ON CONFLICT ({key}) {on_conflict} RETURNING {row_column}, {created_column}",
        values.join(", "),
        key = schema::key_list(entity),
    )
}
