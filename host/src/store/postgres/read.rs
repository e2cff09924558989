//! Reading entity rows for export on PostgreSQL: every row changed since a version, in
//! batches, in the order they were changed.

use std::fmt;

use anyhow::{Context as _, Result};
use tokio_postgres::types::ToSql;
use wharf_plugin_sdk::{Batch, BatchBuilder, ValueRef};

use super::Database;
use super::values::{select_list, stored_value};
use crate::entity::{COMPANY_FIELD, Entity};
use crate::store::read::ReadStart;
use crate::store::schema::{self, ROW_COLUMN, VERSION_COLUMN, quote};
use crate::store::{ReadQuery, sql_version};

/// Batches of an entity's rows in the order they changed (`_version`, then `_row`). Each batch
/// is its own short query on a pooled connection that resumes after the last row of the
/// previous one, so no transaction stays open between batches.
pub(in crate::store) struct RowReader {
    database: Database,
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

impl Database {
    /// Reads the rows of `entity` that `query` selects, up to the version committed now.
    pub(in crate::store) fn read(&self, entity: &Entity, query: &ReadQuery) -> Result<RowReader> {
        self.check_prepared(entity)?;
        let ReadStart { position, company, batch_size } = query.start(entity)?;
        Ok(RowReader {
            database: self.clone(),
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

/// Rows after (`$1`, `$2`) in (`_version`, `_row`) order, up to version `$3`, at most `$4`,
/// of company `$5` when filtered. The row comparison lets PostgreSQL walk the
/// (`_version`, `_row`) index from the position and stop after `$4` rows.
fn read_sql(entity: &Entity, by_company: bool) -> String {
    let (version, row) = (quote(VERSION_COLUMN), quote(ROW_COLUMN));
    let company = if by_company { format!(" AND {} = $5", quote(COMPANY_FIELD)) } else { String::new() };
    format!(
        "SELECT {columns}, {version}, {row} FROM {table} \
         WHERE ({version}, {row}) > ($1::bigint, $2::bigint) AND {version} <= $3::bigint{company} \
         ORDER BY {version}, {row} LIMIT $4::bigint",
        columns = select_list(&entity.fields),
        table = schema::table(entity),
    )
}

impl RowReader {
    pub(in crate::store) fn up_to_version(&self) -> u64 {
        self.up_to_version
    }

    fn next_batch(&mut self) -> Result<Option<Batch>> {
        let up_to_version = sql_version(self.up_to_version)?;
        let postgres = &self.database.postgres;
        let rows = postgres.wait(async {
            let client = postgres.client().await?;
            let statement = client.prepare_cached(&self.sql).await?;
            let (version, row) = self.position;
            let mut parameters: Vec<&(dyn ToSql + Sync)> = vec![&version, &row, &up_to_version, &self.batch_size];
            if let Some(company) = &self.company {
                parameters.push(company);
            }
            Ok(client.query(&statement, &parameters).await?)
        })?;
        let fields = &self.entity.fields;
        let mut builder = BatchBuilder::with_capacity(fields.iter().map(|field| field.name.clone()), rows.len(), 0);
        let mut values: Vec<ValueRef<'_>> = Vec::with_capacity(fields.len());
        for row in &rows {
            values.clear();
            for (column, field) in fields.iter().enumerate() {
                values.push(stored_value(field, row, column)?);
            }
            builder.push_row(&values);
            self.position = (row.try_get(fields.len())?, row.try_get(fields.len() + 1)?);
        }
        let read = i64::try_from(rows.len()).unwrap_or(i64::MAX);
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
        match self.next_batch().with_context(|| format!("cannot read the rows of {}", self.entity.name)) {
            Ok(batch) => batch.map(Ok),
            Err(error) => {
                // An error is final: the caller cannot tell which rows it would skip.
                self.finished = true;
                Some(Err(error))
            }
        }
    }
}
