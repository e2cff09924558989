//! Reading entity rows for export: every row changed since a version, in batches, in the order
//! they were changed.

use std::fmt;

use anyhow::{Context as _, Result, bail};
use rusqlite::Connection;
use wharf_plugin_sdk::{Batch, BatchBuilder, ValueRef};

use super::schema::{self, ROW_COLUMN, VERSION_COLUMN, quote};
use super::sql_version;
use super::sqlite::Sqlite;
use super::values::stored_value;
use crate::entity::{COMPANY_FIELD, Entity};

/// Which rows [`Store::read`] returns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReadQuery {
    /// Only rows changed after this version (an export's watermark); all rows when `None`.
    pub since_version: Option<u64>,
    /// Only rows of this company; ignored for entities shared by all companies.
    pub company: Option<String>,
    /// The most rows per batch; memory is bounded by one batch.
    pub batch_size: usize,
}

/// Where a read of an entity's changes starts, whichever engine reads them.
pub(super) struct ReadStart {
    /// (`_version`, `_row`) to read after: every row id is below `i64::MAX`, so this starts
    /// after every row of the version the read starts from.
    pub(super) position: (i64, i64),
    /// The company to read, lowercase, when the entity has companies and one was asked for.
    pub(super) company: Option<String>,
    /// The most rows per batch.
    pub(super) batch_size: i64,
}

impl ReadQuery {
    /// Where this query starts reading `entity`; a batch size of 0 is refused.
    pub(super) fn start(&self, entity: &Entity) -> Result<ReadStart> {
        if self.batch_size == 0 {
            bail!("a read of {} needs a batch size of at least 1", entity.name);
        }
        Ok(ReadStart {
            position: (sql_version(self.since_version.unwrap_or(0))?, i64::MAX),
            company: self.company.as_deref().filter(|_| entity.company_scoped).map(str::to_ascii_lowercase),
            batch_size: i64::try_from(self.batch_size).unwrap_or(i64::MAX),
        })
    }
}

/// Batches of an entity's rows in the order they changed (`_version`, then row id). Each batch
/// is its own short query that resumes after the last row of the previous one, so no read
/// transaction stays open between batches and writers are never held up.
///
/// Rows changed after the read began are left out ([`up_to_version`](Self::up_to_version)):
/// the next export, starting from that version, picks them up.
pub struct RowReader {
    store: Sqlite,
    entity: Entity,
    sql: String,
    company: Option<String>,
    batch_size: i64,
    up_to_version: u64,
    /// (`_version`, `_row`) of the last row returned.
    position: (i64, i64),
    finished: bool,
}

impl fmt::Debug for RowReader {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RowReader")
            .field("entity", &self.entity.name)
            .field("up_to_version", &self.up_to_version)
            .field("position", &self.position)
            .finish_non_exhaustive()
    }
}

impl Sqlite {
    /// Reads the rows of `entity` that `query` selects, in batches whose columns are the
    /// entity's fields and whose values are typed by field: integers, decimals as text,
    /// booleans, dates, date-times and strings.
    pub fn read(&self, entity: &Entity, query: &ReadQuery) -> Result<RowReader> {
        self.check_prepared(entity)?;
        let ReadStart { position, company, batch_size } = query.start(entity)?;
        Ok(RowReader {
            store: self.clone(),
            sql: read_sql(entity, company.is_some()),
            entity: entity.clone(),
            company,
            batch_size,
            up_to_version: self.version()?,
            position,
            finished: false,
        })
    }
}

/// Rows after (`?1`, `?2`) in (`_version`, `_row`) order, up to version `?3`, at most `?4`,
/// of company `?5` when filtered. The `_version >= ?1` range lets SQLite walk the version
/// index, which is ordered by (`_version`, row id) already, and stop after `?4` rows.
fn read_sql(entity: &Entity, by_company: bool) -> String {
    let (version, row) = (quote(VERSION_COLUMN), quote(ROW_COLUMN));
    // The unary `+` keeps SQLite from using the key index (company first) for the company
    // filter: that plan sorts every row of the company again for each batch.
    let company = if by_company { format!(" AND +{} = ?5", quote(COMPANY_FIELD)) } else { String::new() };
    format!(
        "SELECT {columns}, {version}, {row} FROM {table} \
         WHERE {version} >= ?1 AND ({version} > ?1 OR {row} > ?2) AND {version} <= ?3{company} \
         ORDER BY {version}, {row} LIMIT ?4",
        columns = schema::column_list(entity),
        table = schema::table(entity),
    )
}

impl RowReader {
    /// The newest version when the read began: every row returned has a version at most this.
    /// Save it as the watermark once the export is delivered.
    pub fn up_to_version(&self) -> u64 {
        self.up_to_version
    }

    fn next_batch(&mut self, connection: &mut Connection) -> Result<Option<Batch>> {
        let fields = &self.entity.fields;
        let mut statement = connection.prepare_cached(&self.sql)?;
        statement.raw_bind_parameter(1, self.position.0)?;
        statement.raw_bind_parameter(2, self.position.1)?;
        statement.raw_bind_parameter(3, sql_version(self.up_to_version)?)?;
        statement.raw_bind_parameter(4, self.batch_size)?;
        if let Some(company) = &self.company {
            statement.raw_bind_parameter(5, company)?;
        }
        let mut builder = BatchBuilder::new(fields.iter().map(|field| field.name.clone()));
        let mut rows = statement.raw_query();
        while let Some(row) = rows.next()? {
            let mut values: Vec<ValueRef<'_>> = Vec::with_capacity(fields.len());
            for (column, field) in fields.iter().enumerate() {
                values.push(stored_value(field, row.get_ref(column)?)?);
            }
            builder.push_row(&values);
            self.position = (row.get(fields.len())?, row.get(fields.len() + 1)?);
        }
        let read = i64::try_from(builder.len()).unwrap_or(i64::MAX);
        if read < self.batch_size {
            self.finished = true;
        }
        Ok((read > 0).then(|| builder.finish()))
    }
}

impl Iterator for RowReader {
    type Item = Result<Batch>;

    fn next(&mut self) -> Option<Result<Batch>> {
        if self.finished {
            return None;
        }
        let store = self.store.clone();
        let batch = store.with_connection(|connection| self.next_batch(connection));
        match batch.with_context(|| format!("cannot read the rows of {}", self.entity.name)) {
            Ok(batch) => batch.map(Ok),
            Err(error) => {
                // An error is final: the caller cannot tell which rows it would skip.
                self.finished = true;
                Some(Err(error))
            }
        }
    }
}
