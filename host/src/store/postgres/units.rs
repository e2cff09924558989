//! The store as plugins see it on PostgreSQL: lookups by key on committed rows, and units of
//! work for actions, each a transaction on a pooled connection of its own.
//!
//! A writing unit takes the writers' turn when it begins, as SQLite's `BEGIN IMMEDIATE`
//! does: it locks the `store_meta` version row, which every writer (batches and units, on
//! every replica) locks before changing entity rows. So a unit reads a world nobody else
//! changes until it ends, and an action's read-then-write (an OData `If-Match`, a counter)
//! cannot lose another writer's change. Its version is taken at its first change.

use std::fmt;
use std::sync::Arc;

use anyhow::{Context as _, Result, bail};
use deadpool_postgres::Object;
use tokio_postgres::error::SqlState;
use tokio_postgres::types::{ToSql, Type};
use tokio_postgres::{GenericClient, Row};
use wharf_plugin_sdk::Value;

use super::Database;
use super::values::{Parameter, column_type, select_list, stored_value};
use crate::entity::{Catalog, Entity};
use crate::plugin::entities::Fields;
use crate::plugin::{Entities, ReadOnly, UnitOfWork};
use crate::store::changes::{
    FIND_ROWS_MAX, Turn, already_exists, changed_values, check_found, criteria_values, insert_values, key_values,
    no_row,
};
use crate::store::schema::{self, CREATED_COLUMN, VERSION_COLUMN, quote};
use crate::store::sqlite::BUSY_TIMEOUT;
use crate::store::{sql_version, stored_version};

/// Runs `sql` with `parameters`, each bound as the type given beside it, in one round trip.
async fn query(client: &impl GenericClient, sql: &str, parameters: &[(Value, Type)]) -> Result<Vec<Row>> {
    let bound: Vec<(Parameter<'_>, Type)> =
        parameters.iter().map(|(value, ty)| (Parameter(value.as_ref()), ty.clone())).collect();
    let references: Vec<(&(dyn ToSql + Sync), Type)> =
        bound.iter().map(|(parameter, ty)| (parameter as &(dyn ToSql + Sync), ty.clone())).collect();
    Ok(client.query_typed(sql, &references).await?)
}

impl Entities for Database {
    /// The committed row whose key fields equal `key`. `entity` is resolved through the
    /// catalog given to [`Store::prepare`](crate::store::Store::prepare); `key` names every
    /// key field (`dataAreaId` included for company-scoped entities) and nothing else.
    fn lookup(&self, entity: &str, key: &Fields) -> Result<Option<Fields>> {
        let catalog = self.catalog();
        let entity = catalog.require(entity)?;
        let (sql, parameters) = select_by_key(entity, key, false)?;
        let found = self
            .postgres
            .wait(async {
                let client = self.postgres.client().await?;
                query(&**client, &sql, &parameters).await
            })
            .with_context(|| format!("cannot query {}", entity.name))?;
        found.first().map(|row| row_fields(entity, row)).transpose()
    }

    /// A unit of work: a transaction that holds the writers' turn, committed only by
    /// [`UnitOfWork::commit`]. While it is open, other writers on every replica wait, so an
    /// action should not hold it longer than it needs.
    fn begin(&self) -> Result<Box<dyn UnitOfWork>> {
        Ok(Box::new(self.unit()?))
    }

    /// A read-only transaction on one snapshot (`REPEATABLE READ`), without a writer's turn,
    /// so read-only actions run alongside each other and alongside writers.
    fn begin_read(&self) -> Result<Box<dyn UnitOfWork>> {
        let unit = self.start(
            "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY",
            "cannot start a read-only unit of work",
            None,
        )?;
        Ok(Box::new(ReadOnly(Box::new(unit))))
    }
}

impl Database {
    /// A unit of work with the store's own extras ([`Unit::versioned`], [`Unit::delete`]); see
    /// [`Entities::begin`]. It waits (at most SQLite's busy timeout) for the writers' turn.
    pub(in crate::store) fn unit(&self) -> Result<Unit> {
        let begin = format!(
            "BEGIN; SET LOCAL lock_timeout = {}; SELECT value FROM store_meta WHERE name = 'version' FOR UPDATE",
            BUSY_TIMEOUT.as_millis()
        );
        let turn = self.turns.take()?;
        self.start(&begin, "cannot start a unit of work", Some(turn))
    }

    /// A unit on a connection of its own, its transaction begun by `begin`; a writing unit
    /// holds its `turn` until it ends.
    fn start(&self, begin: &str, failure: &'static str, turn: Option<Turn>) -> Result<Unit> {
        let client = self.postgres.wait(self.postgres.client())?;
        if let Err(error) = self.postgres.wait(async { Ok(client.batch_execute(begin).await?) }) {
            // It may be inside its transaction: closed, not pooled.
            drop(Object::take(client));
            return Err(busy(error)).context(failure);
        }
        Ok(Unit {
            database: self.clone(),
            catalog: self.catalog(),
            client: Some(client),
            version: None,
            failed: false,
            _turn: turn,
        })
    }
}

/// A lock wait that ran out as the writers' turn being taken too long, said so.
fn busy(error: anyhow::Error) -> anyhow::Error {
    let code = error.downcast_ref::<tokio_postgres::Error>().and_then(tokio_postgres::Error::code);
    if code == Some(&SqlState::LOCK_NOT_AVAILABLE) {
        return anyhow::anyhow!("the store is busy: another writer held it for {BUSY_TIMEOUT:?}");
    }
    error
}

/// A unit of work: a transaction committed by [`UnitOfWork::commit`] and rolled back when
/// dropped.
pub(in crate::store) struct Unit {
    database: Database,
    catalog: Arc<Catalog>,
    /// `Some` until committed or dropped.
    client: Option<Object>,
    /// The version of this unit's changes, taken at its first change.
    version: Option<u64>,
    /// Whether a statement failed. PostgreSQL then rolls the whole transaction back at
    /// `COMMIT` (SQLite undoes only the statement), so the commit must fail, not pretend.
    failed: bool,
    /// This replica's turn at writing (none for read-only units), given back when the unit is
    /// dropped, after its connection.
    _turn: Option<Turn>,
}

impl fmt::Debug for Unit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Unit").field("version", &self.version).field("failed", &self.failed).finish_non_exhaustive()
    }
}

impl Unit {
    /// Runs `sql` in this unit's transaction.
    fn run(&mut self, sql: &str, parameters: &[(Value, Type)]) -> Result<Vec<Row>> {
        let client = self.client.as_ref().context("the unit of work has ended")?;
        let ran = self.database.postgres.wait(query(&***client, sql, parameters));
        if ran.is_err() {
            self.failed = true;
        }
        ran.map_err(busy)
    }

    /// The version of this unit's changes, taken inside its transaction.
    fn version(&mut self) -> Result<i64> {
        let version = match self.version {
            Some(version) => version,
            None => {
                let sql = "UPDATE store_meta SET value = value + 1 WHERE name = 'version' RETURNING value";
                let rows = self.run(sql, &[]).context("cannot take a new version")?;
                let version: i64 = rows.first().context("the store has no version counter")?.try_get(0)?;
                stored_version(version)?
            }
        };
        self.version = Some(version);
        sql_version(version)
    }

    fn entity(&self, entity: &str) -> Result<Arc<Entity>> {
        Ok(self.catalog.require(entity)?.clone())
    }

    /// The row with this key and the version of the write that last changed it.
    pub(in crate::store) fn versioned(&mut self, entity: &str, key: &Fields) -> Result<Option<(Fields, u64)>> {
        let entity = self.entity(entity)?;
        let (sql, parameters) = select_by_key(&entity, key, true)?;
        let rows = self.run(&sql, &parameters).with_context(|| format!("cannot query {}", entity.name))?;
        let Some(row) = rows.first() else { return Ok(None) };
        let version: i64 = row.try_get(entity.fields.len())?;
        Ok(Some((row_fields(&entity, row)?, stored_version(version)?)))
    }

    /// Deletes the row with this key; false when there is none.
    pub(in crate::store) fn delete(&mut self, entity: &str, key: &Fields) -> Result<bool> {
        let entity = self.entity(entity)?;
        let parameters = key_parameters(&entity, key)?;
        let sql = format!("DELETE FROM {} WHERE {} RETURNING 1", schema::table(&entity), key_conditions(&entity, 1));
        let deleted = self.run(&sql, &parameters).with_context(|| format!("cannot delete from {}", entity.name))?;
        Ok(!deleted.is_empty())
    }
}

impl UnitOfWork for Unit {
    fn read(&mut self, entity: &str, key: &Fields) -> Result<Option<Fields>> {
        let entity = self.entity(entity)?;
        let (sql, parameters) = select_by_key(&entity, key, false)?;
        let rows = self.run(&sql, &parameters).with_context(|| format!("cannot query {}", entity.name))?;
        rows.first().map(|row| row_fields(&entity, row)).transpose()
    }

    fn find(&mut self, entity: &str, criteria: &Fields, limit: usize) -> Result<Vec<Fields>> {
        let entity = self.entity(entity)?;
        let mut conditions: Vec<(usize, String)> = Vec::with_capacity(criteria.len());
        let mut parameters = Vec::with_capacity(criteria.len() + 1);
        for (index, value) in criteria_values(&entity, criteria)? {
            let Some(field) = entity.fields.get(index) else { continue };
            // `=` rather than `IS NOT DISTINCT FROM`, which no index serves.
            let condition = if value == Value::Null {
                format!("{} IS NULL", quote(&field.name))
            } else {
                parameters.push((value, column_type(&field.field_type)));
                format!("{} = ${}", quote(&field.name), parameters.len())
            };
            conditions.push((index, condition));
        }
        let wanted = limit.min(FIND_ROWS_MAX.saturating_add(1));
        parameters.push((Value::Integer(i64::try_from(wanted).unwrap_or(i64::MAX)), Type::INT8));
        let filter = if conditions.is_empty() {
            String::new()
        } else {
            let conditions: Vec<&str> = conditions.iter().map(|(_, condition)| condition.as_str()).collect();
            format!("WHERE {}", conditions.join(" AND "))
        };
        let sql = format!(
            "SELECT {} FROM {} {filter} ORDER BY {} LIMIT ${}",
            select_list(&entity.fields),
            schema::table(&entity),
            schema::key_list(&entity),
            parameters.len()
        );
        let rows = self.run(&sql, &parameters).with_context(|| format!("cannot query {}", entity.name))?;
        check_found(&entity, rows.len())?;
        rows.iter().map(|row| row_fields(&entity, row)).collect()
    }

    fn insert(&mut self, entity: &str, row: Fields) -> Result<()> {
        let version = self.version()?;
        let entity = self.entity(entity)?;
        let values = insert_values(&entity, &row)?;
        let mut parameters: Vec<(Value, Type)> = entity
            .fields
            .iter()
            .zip(&values)
            .map(|(field, value)| (value.clone(), column_type(&field.field_type)))
            .collect();
        let count = entity.fields.len();
        let placeholders: String = (1..=count).map(|number| format!("${number}, ")).collect();
        let sql = format!(
            "INSERT INTO {} ({}, {version_column}, {created_column}) VALUES ({placeholders}${next}, ${next}) \
             ON CONFLICT DO NOTHING RETURNING 1",
            schema::table(&entity),
            schema::column_list(&entity),
            version_column = quote(VERSION_COLUMN),
            created_column = quote(CREATED_COLUMN),
            next = count + 1,
        );
        parameters.push((Value::Integer(version), Type::INT8));
        let inserted = self.run(&sql, &parameters).with_context(|| format!("cannot insert into {}", entity.name))?;
        if inserted.is_empty() {
            return Err(already_exists(&entity, &values));
        }
        Ok(())
    }

    fn update(&mut self, entity: &str, key: &Fields, changes: Fields) -> Result<()> {
        let version = self.version()?;
        let entity = self.entity(entity)?;
        let key_values = key_values(&entity, key)?;
        let changed = changed_values(&entity, &key_values, &changes)?;
        let key_parameters = typed_key(&entity, key_values.clone());
        let mut parameters: Vec<(Value, Type)> = Vec::with_capacity(changed.len() + key_parameters.len() + 1);
        let mut assignments = Vec::new();
        let mut differences = Vec::new();
        for (index, value) in changed {
            let Some(field) = entity.fields.get(index) else { continue };
            parameters.push((value, column_type(&field.field_type)));
            let (column, number) = (quote(&field.name), parameters.len());
            assignments.push(format!("{column} = ${number}"));
            // A decimal changes when its text does (`1.50` to `1.5`), as on SQLite, which
            // stores the text: numbers alone would call them equal.
            differences.push(match field.field_type {
                crate::entity::FieldType::Decimal { .. } => {
                    format!("{column}::text IS DISTINCT FROM ${number}::text")
                }
                _ => format!("{column} IS DISTINCT FROM ${number}"),
            });
        }
        let version_column = quote(VERSION_COLUMN);
        // SET expressions see the row as it was, so the version moves only when a value does.
        let version_change = if differences.is_empty() {
            format!("{version_column} = {version_column}")
        } else {
            parameters.push((Value::Integer(version), Type::INT8));
            format!(
                "{version_column} = CASE WHEN {} THEN ${} ELSE {version_column} END",
                differences.join(" OR "),
                parameters.len()
            )
        };
        assignments.push(version_change);
        let sql = format!(
            "UPDATE {} SET {} WHERE {} RETURNING 1",
            schema::table(&entity),
            assignments.join(", "),
            key_conditions(&entity, parameters.len() + 1)
        );
        parameters.extend(key_parameters);
        let updated = self.run(&sql, &parameters).with_context(|| format!("cannot update {}", entity.name))?;
        if updated.is_empty() {
            return Err(no_row(&entity, &key_values));
        }
        Ok(())
    }

    fn commit(mut self: Box<Self>) -> Result<()> {
        let client = self.client.take().context("the unit of work has ended")?;
        if self.failed {
            drop(Object::take(client));
            bail!("cannot commit the unit of work: one of its statements failed, which undid all of it");
        }
        let committed = self.database.postgres.wait(async { Ok(client.batch_execute("COMMIT").await?) });
        if let Err(error) = committed {
            // Leaves nothing half-done behind: the connection is closed, not reused.
            drop(Object::take(client));
            return Err(error).context("cannot commit the unit of work");
        }
        Ok(())
    }
}

impl Drop for Unit {
    fn drop(&mut self) {
        if let Some(client) = self.client.take() {
            let rolled_back = self.database.postgres.wait(async { Ok(client.batch_execute("ROLLBACK").await?) });
            if rolled_back.is_err() {
                // A connection that may still be in its transaction is closed, which rolls
                // it back, rather than given back to the pool.
                drop(Object::take(client));
            }
        }
    }
}

/// `SELECT` of the row of `entity` with this key, its version last when `versioned`.
fn select_by_key(entity: &Entity, key: &Fields, versioned: bool) -> Result<(String, Vec<(Value, Type)>)> {
    let parameters = key_parameters(entity, key)?;
    let version = if versioned { format!(", {}", quote(VERSION_COLUMN)) } else { String::new() };
    let sql = format!(
        "SELECT {}{version} FROM {} WHERE {}",
        select_list(&entity.fields),
        schema::table(entity),
        key_conditions(entity, 1)
    );
    Ok((sql, parameters))
}

/// A row's fields by name, typed by the entity.
fn row_fields(entity: &Entity, row: &Row) -> Result<Fields> {
    entity
        .fields
        .iter()
        .enumerate()
        .map(|(column, field)| {
            let value = stored_value(field, row, column).with_context(|| format!("cannot read {}", entity.name))?;
            Ok((field.name.clone(), value.to_owned()))
        })
        .collect()
}

/// `"k1" = $n AND "k2" = $n+1 …` over the key fields, numbering parameters from `first`.
fn key_conditions(entity: &Entity, first: usize) -> String {
    let conditions: Vec<String> = entity
        .key_fields()
        .enumerate()
        .map(|(position, field)| format!("{} = ${}", quote(&field.name), first + position))
        .collect();
    conditions.join(" AND ")
}

/// The values of `key` in key order, each with its column's type.
fn key_parameters(entity: &Entity, key: &Fields) -> Result<Vec<(Value, Type)>> {
    Ok(typed_key(entity, key_values(entity, key)?))
}

/// `values` of the key fields, in key order, each with its column's type.
fn typed_key(entity: &Entity, values: Vec<Value>) -> Vec<(Value, Type)> {
    values.into_iter().zip(entity.key_fields()).map(|(value, field)| (value, column_type(&field.field_type))).collect()
}

/// What PostgreSQL's units must do beyond the store's shared tests: hold other replicas'
/// writers off, and leave no transaction behind on a pooled connection.
#[cfg(test)]
mod tests {
    use std::time::{Duration, Instant};

    use wharf_plugin_sdk::{BatchBuilder, Value};

    use super::*;
    use crate::backend::Postgres;
    use crate::store::Store;
    use crate::store::tests::{On, Place, prepared_store};

    const COUNTER: &str = r#"
name = "Counter"
company = false
key = ["Name"]

[[field]]
name = "Name"
type = "string"

[[field]]
name = "Count"
type = "integer"
"#;

    fn key(name: &str) -> Fields {
        vec![("Name".to_owned(), Value::String(name.into()))]
    }

    fn counter(name: &str, count: i64) -> Fields {
        vec![("Name".to_owned(), Value::String(name.into())), ("Count".to_owned(), Value::Integer(count))]
    }

    fn count_of(row: &Fields) -> i64 {
        match row.iter().find(|(name, _)| name == "Count") {
            Some((_, Value::Integer(count))) => *count,
            other => panic!("no count: {other:?}"),
        }
    }

    /// Another replica's store on the same database, prepared as replicas prepare at start-up.
    fn replica(place: &Place, store: &Store) -> Store {
        let replica = place.open();
        replica.prepare(&store.catalog()).expect("tables prepared");
        replica
    }

    /// A database of its own with a pool of one connection, so whatever a unit leaves on its
    /// connection, the next one meets.
    fn single_connection() -> (Postgres, Database) {
        let url = crate::backend::testing::scratch().expect("a PostgreSQL schema for the test");
        let postgres = Postgres::connect_blocking(&url, 1).expect("the database connects");
        let database = Database::open(&postgres).expect("store opens");
        let entity = Entity::parse(COUNTER, "Counter.toml").expect("valid definition");
        database.prepare(&Catalog::new(vec![entity]).expect("valid catalog")).expect("tables prepared");
        (postgres, database)
    }

    #[test]
    fn units_that_read_then_write_lose_no_update_across_replicas() {
        let (place, store) = prepared_store(On::Postgres, &[COUNTER]);
        let mut unit = store.begin().expect("unit");
        unit.insert("Counter", counter("hits", 0)).expect("insert");
        unit.commit().expect("commit");
        let replicas = [store.clone(), replica(&place, &store)];
        std::thread::scope(|scope| {
            for thread in 0..6 {
                let store: &Store = &replicas[thread % 2];
                scope.spawn(move || {
                    for _ in 0..5 {
                        let mut unit = store.begin().expect("unit");
                        let count = count_of(&unit.read("Counter", &key("hits")).expect("read").expect("found"));
                        unit.update("Counter", &key("hits"), counter("hits", count + 1)).expect("update");
                        unit.commit().expect("commit");
                    }
                });
            }
        });
        let row = store.lookup("Counter", &key("hits")).expect("lookup").expect("found");
        assert_eq!(count_of(&row), 30, "every unit read the count the one before it wrote");
    }

    #[test]
    fn a_unit_holds_batch_writers_of_another_replica_off_until_it_ends() {
        let (place, store) = prepared_store(On::Postgres, &[COUNTER]);
        let entity = store.catalog().require("Counter").expect("prepared").as_ref().clone();
        let mut unit = store.begin().expect("unit");
        assert_eq!(unit.read("Counter", &key("hits")).expect("read"), None);
        let other = replica(&place, &store);
        let waited = std::thread::scope(|scope| {
            let writer = scope.spawn(|| {
                let started = Instant::now();
                let mut builder = BatchBuilder::new(["Name".to_owned(), "Count".to_owned()]);
                builder.push_row(&[Value::String("hits".into()).as_ref(), Value::Integer(7).as_ref()]);
                let mut writer = other.writer().expect("writer");
                let mut transaction = writer.transaction().expect("transaction");
                transaction.upsert(&entity, &builder.finish()).expect("upsert");
                transaction.commit().expect("commit");
                started.elapsed()
            });
            std::thread::sleep(Duration::from_millis(200));
            assert_eq!(unit.read("Counter", &key("hits")).expect("read"), None, "nobody wrote meanwhile");
            unit.commit().expect("the unit ends");
            writer.join().expect("the writer")
        });
        assert!(waited >= Duration::from_millis(150), "the batch waited for the unit: {waited:?}");
        assert!(store.lookup("Counter", &key("hits")).expect("lookup").is_some());
    }

    #[test]
    fn a_dropped_unit_leaves_its_connection_outside_any_transaction() {
        let (_postgres, database) = single_connection();
        let mut dropped = database.unit().expect("unit");
        dropped.insert("Counter", counter("dropped", 1)).expect("insert");
        drop(dropped);
        let mut unit = database.unit().expect("a unit on the same connection");
        unit.insert("Counter", counter("kept", 2)).expect("insert");
        Box::new(unit).commit().expect("commit");
        assert_eq!(
            database.lookup("Counter", &key("dropped")).expect("lookup"),
            None,
            "rolled back, not committed later"
        );
        assert!(database.lookup("Counter", &key("kept")).expect("lookup").is_some());
        let mut reader = database.begin_read().expect("read-only unit");
        assert!(reader.read("Counter", &key("kept")).expect("read").is_some());
        drop(reader);
        assert!(database.unit().is_ok(), "the read-only unit's connection came back clean");
    }

    #[test]
    fn a_statement_that_fails_makes_the_commit_fail_and_keeps_nothing() {
        let (_postgres, database) = single_connection();
        let mut unit = database.unit().expect("unit");
        unit.insert("Counter", counter("before", 1)).expect("insert");
        unit.run("SELECT 1 / 0", &[]).expect_err("division by zero");
        let error = Box::new(unit).commit().expect_err("a failed transaction cannot commit");
        assert!(error.to_string().contains("one of its statements failed"), "{error:#}");
        assert_eq!(database.lookup("Counter", &key("before")).expect("lookup on a new connection"), None);
        let mut unit = database.unit().expect("unit");
        unit.insert("Counter", counter("after", 2)).expect("insert");
        Box::new(unit).commit().expect("commit");
        assert!(database.lookup("Counter", &key("after")).expect("lookup").is_some());
    }
}
