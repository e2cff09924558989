//! The store as plugins see it ([`Entities`]): lookups by key on committed rows, and units of
//! work for actions, each a write transaction on a connection of its own.

use std::fmt;
use std::sync::Arc;

use anyhow::{Context as _, Result, bail};
use rusqlite::{Connection, ToSql};

use super::changes::{
    FIND_ROWS_MAX, already_exists, changed_values, check_found, criteria_values, insert_values, key_values, no_row,
};
use super::schema::{self, CREATED_COLUMN, VERSION_COLUMN, quote};
use super::sql_version;
use super::sqlite::{Sqlite, next_version};
use super::values::{Parameter, stored_value};
use crate::entity::{Catalog, Entity};
use crate::plugin::entities::Fields;
use crate::plugin::{Entities, ReadOnly, UnitOfWork};

impl Entities for Sqlite {
    /// The committed row whose key fields equal `key`. `entity` is resolved through the
    /// catalog given to [`Store::prepare`]; `key` names every key field (`dataAreaId`
    /// included for company-scoped entities) and nothing else.
    fn lookup(&self, entity: &str, key: &Fields) -> Result<Option<Fields>> {
        let catalog = self.catalog();
        let entity = catalog.require(entity)?;
        self.with_connection(|connection| read_by_key(connection, entity, key))
    }

    /// A unit of work: a write transaction (`BEGIN IMMEDIATE`) on a connection of its own,
    /// committed only by [`UnitOfWork::commit`]. While it is open, other writers wait, so an
    /// action should not hold it longer than it needs.
    fn begin(&self) -> Result<Box<dyn UnitOfWork>> {
        Ok(Box::new(self.unit()?))
    }

    /// A read transaction (`BEGIN DEFERRED`) on a snapshot, without a writer's turn, so
    /// read-only actions run alongside each other and alongside writers.
    fn begin_read(&self) -> Result<Box<dyn UnitOfWork>> {
        let connection = self.take_connection()?;
        if let Err(error) = connection.execute_batch("BEGIN DEFERRED") {
            self.give_back(connection);
            return Err(error).context("cannot start a read-only unit of work");
        }
        let unit = StoreUnit {
            store: self.clone(),
            catalog: self.catalog(),
            connection: Some(connection),
            version: None,
            _turn: None,
        };
        Ok(Box::new(ReadOnly(Box::new(unit))))
    }
}

impl Sqlite {
    /// A unit of work with the store's own extras ([`StoreUnit::versioned`],
    /// [`StoreUnit::delete`]); see [`Entities::begin`].
    pub fn unit(&self) -> Result<StoreUnit> {
        let turn = self.shared.turns.take()?;
        let connection = self.take_connection()?;
        if let Err(error) = connection.execute_batch("BEGIN IMMEDIATE") {
            self.give_back(connection);
            return Err(error).context("cannot start a unit of work");
        }
        Ok(StoreUnit {
            store: self.clone(),
            catalog: self.catalog(),
            connection: Some(connection),
            version: None,
            _turn: Some(turn),
        })
    }
}

/// A unit of work on the store: a write transaction committed by [`UnitOfWork::commit`] and
/// rolled back when dropped.
pub struct StoreUnit {
    store: Sqlite,
    catalog: Arc<Catalog>,
    /// `Some` until committed or dropped.
    connection: Option<Connection>,
    /// The version of this unit's changes, taken at its first change.
    version: Option<u64>,
    /// This unit's turn at writing (none for read-only units), given back when it is dropped,
    /// after the connection.
    _turn: Option<crate::store::changes::Turn>,
}

impl fmt::Debug for StoreUnit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StoreUnit").field("version", &self.version).finish_non_exhaustive()
    }
}

impl StoreUnit {
    /// The connection and the entity named `entity`.
    fn parts(&self, entity: &str) -> Result<(&Connection, Arc<Entity>)> {
        let entity = self.catalog.require(entity)?.clone();
        match &self.connection {
            Some(connection) => Ok((connection, entity)),
            None => bail!("the unit of work has ended"),
        }
    }

    /// The version of this unit's changes, taken inside its transaction.
    fn version(&mut self) -> Result<i64> {
        let version = match (self.version, &self.connection) {
            (Some(version), _) => version,
            (None, Some(connection)) => next_version(connection)?,
            (None, None) => bail!("the unit of work has ended"),
        };
        self.version = Some(version);
        sql_version(version)
    }
}

impl StoreUnit {
    /// The row with this key and the version of the write that last changed it.
    pub fn versioned(&mut self, entity: &str, key: &Fields) -> Result<Option<(Fields, u64)>> {
        let (connection, entity) = self.parts(entity)?;
        let key_values = key_values(&entity, key)?;
        let sql = format!(
            "SELECT {}, {} FROM {} WHERE {}",
            schema::column_list(&entity),
            quote(VERSION_COLUMN),
            schema::table(&entity),
            key_conditions(&entity, 1)
        );
        let mut statement = connection.prepare_cached(&sql)?;
        let bound: Vec<Parameter<'_>> = key_values.iter().map(|value| Parameter(value.as_ref())).collect();
        let parameters: Vec<&dyn ToSql> = bound.iter().map(|parameter| parameter as &dyn ToSql).collect();
        let mut rows = statement.query(parameters.as_slice())?;
        let Some(row) = rows.next()? else { return Ok(None) };
        let mut fields = Vec::with_capacity(entity.fields.len());
        for (column, field) in entity.fields.iter().enumerate() {
            let value =
                stored_value(field, row.get_ref(column)?).with_context(|| format!("cannot read {}", entity.name))?;
            fields.push((field.name.clone(), value.to_owned()));
        }
        let version: i64 = row.get(entity.fields.len())?;
        Ok(Some((fields, super::stored_version(version)?)))
    }

    /// Deletes the row with this key; false when there is none.
    pub fn delete(&mut self, entity: &str, key: &Fields) -> Result<bool> {
        let (connection, entity) = self.parts(entity)?;
        let key_values = key_values(&entity, key)?;
        let sql = format!("DELETE FROM {} WHERE {}", schema::table(&entity), key_conditions(&entity, 1));
        let mut statement = connection.prepare_cached(&sql)?;
        let bound: Vec<Parameter<'_>> = key_values.iter().map(|value| Parameter(value.as_ref())).collect();
        let parameters: Vec<&dyn ToSql> = bound.iter().map(|parameter| parameter as &dyn ToSql).collect();
        let deleted =
            statement.execute(parameters.as_slice()).with_context(|| format!("cannot delete from {}", entity.name))?;
        Ok(deleted > 0)
    }
}

/// `"k1" = ?n AND "k2" = ?n+1 …` over the key fields, numbering parameters from `first`.
fn key_conditions(entity: &Entity, first: usize) -> String {
    let conditions: Vec<String> = entity
        .key_fields()
        .enumerate()
        .map(|(position, field)| format!("{} = ?{}", quote(&field.name), first + position))
        .collect();
    conditions.join(" AND ")
}

impl UnitOfWork for StoreUnit {
    fn read(&mut self, entity: &str, key: &Fields) -> Result<Option<Fields>> {
        let (connection, entity) = self.parts(entity)?;
        read_by_key(connection, &entity, key)
    }

    fn find(&mut self, entity: &str, criteria: &Fields, limit: usize) -> Result<Vec<Fields>> {
        let (connection, entity) = self.parts(entity)?;
        let values = criteria_values(&entity, criteria)?;
        let conditions: Vec<String> = values
            .iter()
            .enumerate()
            .filter_map(|(number, (index, _))| {
                entity.fields.get(*index).map(|field| format!("{} IS ?{}", quote(&field.name), number + 1))
            })
            .collect();
        let wanted = limit.min(FIND_ROWS_MAX.saturating_add(1));
        let filter = if conditions.is_empty() { String::new() } else { format!("WHERE {}", conditions.join(" AND ")) };
        let sql = format!(
            "SELECT {} FROM {} {filter} ORDER BY {} LIMIT ?{}",
            schema::column_list(&entity),
            schema::table(&entity),
            schema::key_list(&entity),
            values.len() + 1
        );
        let mut parameters: Vec<&dyn ToSql> = Vec::with_capacity(values.len() + 1);
        let bound: Vec<Parameter<'_>> = values.iter().map(|(_, value)| Parameter(value.as_ref())).collect();
        parameters.extend(bound.iter().map(|parameter| parameter as &dyn ToSql));
        let wanted_parameter = i64::try_from(wanted).unwrap_or(i64::MAX);
        parameters.push(&wanted_parameter);
        let rows = select_rows(connection, &entity, &sql, &parameters)?;
        check_found(&entity, rows.len())?;
        Ok(rows)
    }

    fn insert(&mut self, entity: &str, row: Fields) -> Result<()> {
        let version = self.version()?;
        let (connection, entity) = self.parts(entity)?;
        let values = insert_values(&entity, &row)?;
        let count = entity.fields.len();
        let placeholders: String = (1..=count).map(|number| format!("?{number}, ")).collect();
        let sql = format!(
            "INSERT INTO {} ({}, {version_column}, {created_column}) VALUES ({placeholders}?{next}, ?{next}) \
             ON CONFLICT DO NOTHING",
            schema::table(&entity),
            schema::column_list(&entity),
            version_column = quote(VERSION_COLUMN),
            created_column = quote(CREATED_COLUMN),
            next = count + 1,
        );
        let mut statement = connection.prepare_cached(&sql)?;
        for (index, value) in values.iter().enumerate() {
            statement.raw_bind_parameter(index + 1, Parameter(value.as_ref()))?;
        }
        statement.raw_bind_parameter(count + 1, version)?;
        let inserted = statement.raw_execute().with_context(|| format!("cannot insert into {}", entity.name))?;
        if inserted == 0 {
            return Err(already_exists(&entity, &values));
        }
        Ok(())
    }

    fn update(&mut self, entity: &str, key: &Fields, changes: Fields) -> Result<()> {
        let version = self.version()?;
        let (connection, entity) = self.parts(entity)?;
        let key_values = key_values(&entity, key)?;
        let changed = changed_values(&entity, &key_values, &changes)?;
        let mut parameters: Vec<Parameter<'_>> = Vec::new();
        let mut assignments = Vec::new();
        let mut differences = Vec::new();
        for (index, value) in &changed {
            let Some(field) = entity.fields.get(*index) else { continue };
            parameters.push(Parameter(value.as_ref()));
            let (column, number) = (quote(&field.name), parameters.len());
            assignments.push(format!("{column} = ?{number}"));
            differences.push(format!("{column} IS NOT ?{number}"));
        }
        let version_number = parameters.len() + 1;
        let version_column = quote(VERSION_COLUMN);
        // SET expressions see the row as it was, so the version moves only when a value does.
        let version_change = if differences.is_empty() {
            format!("{version_column} = {version_column}")
        } else {
            format!(
                "{version_column} = CASE WHEN {} THEN ?{version_number} ELSE {version_column} END",
                differences.join(" OR ")
            )
        };
        assignments.push(version_change);
        let sql = format!(
            "UPDATE {} SET {} WHERE {}",
            schema::table(&entity),
            assignments.join(", "),
            key_conditions(&entity, version_number + 1)
        );
        let mut statement = connection.prepare_cached(&sql)?;
        for (index, parameter) in parameters.iter().enumerate() {
            statement.raw_bind_parameter(index + 1, parameter)?;
        }
        if !differences.is_empty() {
            statement.raw_bind_parameter(version_number, version)?;
        }
        for (position, value) in key_values.iter().enumerate() {
            statement.raw_bind_parameter(version_number + 1 + position, Parameter(value.as_ref()))?;
        }
        let updated = statement.raw_execute().with_context(|| format!("cannot update {}", entity.name))?;
        if updated == 0 {
            return Err(no_row(&entity, &key_values));
        }
        Ok(())
    }

    fn commit(mut self: Box<Self>) -> Result<()> {
        let connection = self.connection.take().context("the unit of work has ended")?;
        let committed = connection.execute_batch("COMMIT").context("cannot commit the unit of work");
        if committed.is_err() {
            // Leaves nothing half-done behind: the connection is closed, not reused.
            drop(connection.execute_batch("ROLLBACK"));
            return committed;
        }
        self.store.give_back(connection);
        Ok(())
    }
}

impl Drop for StoreUnit {
    fn drop(&mut self) {
        if let Some(connection) = self.connection.take() {
            // A failed rollback leaves the connection in its transaction; `give_back` then
            // closes it, which rolls back too.
            drop(connection.execute_batch("ROLLBACK"));
            self.store.give_back(connection);
        }
    }
}

/// The row of `entity` with this key, on `connection`.
fn read_by_key(connection: &Connection, entity: &Entity, key: &Fields) -> Result<Option<Fields>> {
    let key_values = key_values(entity, key)?;
    let sql = format!(
        "SELECT {} FROM {} WHERE {}",
        schema::column_list(entity),
        schema::table(entity),
        key_conditions(entity, 1)
    );
    let bound: Vec<Parameter<'_>> = key_values.iter().map(|value| Parameter(value.as_ref())).collect();
    let parameters: Vec<&dyn ToSql> = bound.iter().map(|parameter| parameter as &dyn ToSql).collect();
    Ok(select_rows(connection, entity, &sql, &parameters)?.into_iter().next())
}

/// Runs a `SELECT` of the entity's fields and returns its rows as named, typed values.
fn select_rows(connection: &Connection, entity: &Entity, sql: &str, parameters: &[&dyn ToSql]) -> Result<Vec<Fields>> {
    let mut statement = connection.prepare_cached(sql).with_context(|| format!("cannot query {}", entity.name))?;
    let mut rows = statement.query(parameters).with_context(|| format!("cannot query {}", entity.name))?;
    let mut found = Vec::new();
    while let Some(row) = rows.next()? {
        let mut fields = Vec::with_capacity(entity.fields.len());
        for (column, field) in entity.fields.iter().enumerate() {
            let value =
                stored_value(field, row.get_ref(column)?).with_context(|| format!("cannot read {}", entity.name))?;
            fields.push((field.name.clone(), value.to_owned()));
        }
        found.push(fields);
    }
    Ok(found)
}
