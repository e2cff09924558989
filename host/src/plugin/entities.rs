//! What plugins may see of the entity store: read-only lookups for every plugin, and a unit of
//! work for actions. The store implements [`Entities`]; [`MemoryEntities`] holds rows in
//! memory for running plugins on sample data.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::sync::{Arc, Mutex};

use anyhow::{Context as _, Result, bail};
use wharf_plugin_sdk::Value;

/// Named values: one row, a key, or search criteria.
pub type Fields = Vec<(String, Value)>;

/// The entity data plugins can reach.
pub trait Entities: Send + Sync {
    /// The committed row of `entity` whose key fields equal `key`.
    fn lookup(&self, entity: &str, key: &Fields) -> Result<Option<Fields>>;

    /// Starts a unit of work; nothing it changes is visible until [`UnitOfWork::commit`].
    fn begin(&self) -> Result<Box<dyn UnitOfWork>>;

    /// Starts a unit of work that only reads: its writes fail. Implementations that can read
    /// without taking a writer's turn should.
    fn begin_read(&self) -> Result<Box<dyn UnitOfWork>> {
        Ok(Box::new(ReadOnly(self.begin()?)))
    }
}

/// A unit of work whose writes fail, for read-only actions.
pub struct ReadOnly(pub Box<dyn UnitOfWork>);

impl fmt::Debug for ReadOnly {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ReadOnly")
    }
}

impl UnitOfWork for ReadOnly {
    fn read(&mut self, entity: &str, key: &Fields) -> Result<Option<Fields>> {
        self.0.read(entity, key)
    }

    fn find(&mut self, entity: &str, criteria: &Fields, limit: usize) -> Result<Vec<Fields>> {
        self.0.find(entity, criteria, limit)
    }

    fn insert(&mut self, entity: &str, _: Fields) -> Result<()> {
        bail!("cannot insert into {entity}: the action is declared read_only")
    }

    fn update(&mut self, entity: &str, _: &Fields, _: Fields) -> Result<()> {
        bail!("cannot update {entity}: the action is declared read_only")
    }

    fn commit(self: Box<Self>) -> Result<()> {
        self.0.commit()
    }
}

/// Reads and changes that commit together or not at all. Dropping it uncommitted discards
/// every change.
pub trait UnitOfWork: Send {
    /// The row with this key, including this unit's own changes.
    fn read(&mut self, entity: &str, key: &Fields) -> Result<Option<Fields>>;
    /// Rows whose fields equal every criterion, at most `limit`, in key order.
    fn find(&mut self, entity: &str, criteria: &Fields, limit: usize) -> Result<Vec<Fields>>;
    /// Adds a row; fails when its key is taken.
    fn insert(&mut self, entity: &str, row: Fields) -> Result<()>;
    /// Changes fields of the row with this key; fails when there is none.
    fn update(&mut self, entity: &str, key: &Fields, changes: Fields) -> Result<()>;
    /// Makes every change visible at once.
    fn commit(self: Box<Self>) -> Result<()>;
}

/// No entity data at all: every lookup finds nothing and every unit of work is empty.
#[derive(Debug, Default)]
pub struct NoEntities;

impl Entities for NoEntities {
    fn lookup(&self, entity: &str, _: &Fields) -> Result<Option<Fields>> {
        bail!("unknown entity {entity}")
    }

    fn begin(&self) -> Result<Box<dyn UnitOfWork>> {
        Ok(Box::new(MemoryUnit { tables: BTreeMap::new(), changed: BTreeSet::new(), target: None }))
    }
}

/// Entity rows held in memory, e.g. loaded from a JSON file for `wharf plugin run`.
#[derive(Debug, Default, Clone)]
pub struct MemoryEntities {
    tables: Arc<Mutex<BTreeMap<String, Table>>>,
}

#[derive(Debug, Clone)]
struct Table {
    key: Vec<String>,
    /// Rows by their key values, rendered as text.
    rows: BTreeMap<Vec<String>, Fields>,
}

impl Table {
    fn get(&self, entity: &str, key: &Fields) -> Result<Option<Fields>> {
        Ok(self.rows.get(&self.key_of(entity, key)?).cloned())
    }

    fn key_of(&self, entity: &str, fields: &Fields) -> Result<Vec<String>> {
        self.key
            .iter()
            .map(|name| match fields.iter().find(|(field, _)| field == name) {
                Some((_, value)) => Ok(value.to_string()),
                None => bail!("the key of {entity} needs field {name}"),
            })
            .collect()
    }
}

impl MemoryEntities {
    /// Declares `entity` with its key fields.
    pub fn define(&self, entity: &str, key: &[&str]) {
        let table = Table { key: key.iter().map(|k| k.to_string()).collect(), rows: BTreeMap::new() };
        self.lock().insert(entity.to_owned(), table);
    }

    /// Reads entities from JSON: `{"Entity": {"key": ["Field"], "rows": [{"Field": 1}]}}`.
    pub fn from_json(text: &str) -> Result<MemoryEntities> {
        #[derive(serde::Deserialize)]
        #[serde(deny_unknown_fields)]
        struct TableFile {
            key: Vec<String>,
            rows: Vec<serde_json::Map<String, serde_json::Value>>,
        }
        let file: BTreeMap<String, TableFile> = serde_json::from_str(text).context("invalid entity data")?;
        let entities = MemoryEntities::default();
        for (entity, table) in file {
            let key: Vec<&str> = table.key.iter().map(String::as_str).collect();
            entities.define(&entity, &key);
            let mut unit = entities.begin()?;
            for row in table.rows {
                let fields = row.into_iter().map(|(name, value)| (name, json_value(value))).collect();
                unit.insert(&entity, fields)?;
            }
            unit.commit()?;
        }
        Ok(entities)
    }

    /// Every row of `entity`, in key order.
    pub fn rows(&self, entity: &str) -> Vec<Fields> {
        self.lock().get(entity).map(|table| table.rows.values().cloned().collect()).unwrap_or_default()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, BTreeMap<String, Table>> {
        // Units change private copies and commit row by row, so a panic cannot leave a row
        // half-written.
        self.tables.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

fn json_value(value: serde_json::Value) -> Value {
    match value {
        serde_json::Value::Null => Value::Null,
        serde_json::Value::Bool(flag) => Value::Boolean(flag),
        serde_json::Value::Number(number) => match number.as_i64() {
            Some(integer) => Value::Integer(integer),
            None => Value::Decimal(number.to_string()),
        },
        serde_json::Value::String(text) => Value::String(text),
        other => Value::String(other.to_string()),
    }
}

impl Entities for MemoryEntities {
    fn lookup(&self, entity: &str, key: &Fields) -> Result<Option<Fields>> {
        let tables = self.lock();
        let table = tables.get(entity).with_context(|| format!("unknown entity {entity}"))?;
        table.get(entity, key)
    }

    fn begin(&self) -> Result<Box<dyn UnitOfWork>> {
        let tables = self.lock().clone();
        Ok(Box::new(MemoryUnit { tables, changed: BTreeSet::new(), target: Some(self.clone()) }))
    }
}

/// A unit of work over a private copy of the tables; commit writes the rows it changed back,
/// so concurrent units touching different rows both keep their changes.
struct MemoryUnit {
    tables: BTreeMap<String, Table>,
    /// (entity, key) of every row inserted or updated.
    changed: BTreeSet<(String, Vec<String>)>,
    target: Option<MemoryEntities>,
}

impl MemoryUnit {
    fn table(&mut self, entity: &str) -> Result<&mut Table> {
        self.tables.get_mut(entity).with_context(|| format!("unknown entity {entity}"))
    }
}

impl UnitOfWork for MemoryUnit {
    fn read(&mut self, entity: &str, key: &Fields) -> Result<Option<Fields>> {
        let table = self.table(entity)?;
        table.get(entity, key)
    }

    fn find(&mut self, entity: &str, criteria: &Fields, limit: usize) -> Result<Vec<Fields>> {
        let table = self.table(entity)?;
        let matches = |row: &&Fields| {
            criteria.iter().all(|(name, wanted)| row.iter().any(|(field, value)| field == name && value == wanted))
        };
        Ok(table.rows.values().filter(matches).take(limit).cloned().collect())
    }

    fn insert(&mut self, entity: &str, row: Fields) -> Result<()> {
        let table = self.table(entity)?;
        let key = table.key_of(entity, &row)?;
        if table.rows.contains_key(&key) {
            bail!("{entity} {} already exists", key.join(", "));
        }
        table.rows.insert(key.clone(), row);
        self.changed.insert((entity.to_owned(), key));
        Ok(())
    }

    fn update(&mut self, entity: &str, key: &Fields, changes: Fields) -> Result<()> {
        let table = self.table(entity)?;
        let key = table.key_of(entity, key)?;
        if changes.iter().any(|(name, _)| table.key.contains(name)) {
            bail!("key fields of {entity} cannot change");
        }
        let row = table.rows.get_mut(&key).with_context(|| format!("no {entity} {}", key.join(", ")))?;
        for (name, value) in changes {
            match row.iter_mut().find(|(field, _)| *field == name) {
                Some((_, old)) => *old = value,
                None => row.push((name, value)),
            }
        }
        self.changed.insert((entity.to_owned(), key));
        Ok(())
    }

    fn commit(self: Box<Self>) -> Result<()> {
        let Some(target) = self.target else { return Ok(()) };
        let mut live = target.lock();
        for (entity, key) in self.changed {
            let row = self.tables.get(&entity).and_then(|table| table.rows.get(&key));
            if let (Some(row), Some(table)) = (row, live.get_mut(&entity)) {
                table.rows.insert(key, row.clone());
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stock(units: &MemoryEntities, item: &str) -> Option<Value> {
        let key = vec![("Item".to_owned(), Value::from(item))];
        units
            .lookup("Stock", &key)
            .expect("known entity")
            .and_then(|row| row.into_iter().find(|(f, _)| f == "Qty"))
            .map(|(_, v)| v)
    }

    #[test]
    fn concurrent_units_on_different_rows_both_commit() {
        let entities = MemoryEntities::default();
        entities.define("Stock", &["Item"]);
        let (mut first, mut second) = (entities.begin().expect("unit"), entities.begin().expect("unit"));
        first.insert("Stock", vec![("Item".into(), "A".into()), ("Qty".into(), 1.into())]).expect("insert");
        second.insert("Stock", vec![("Item".into(), "B".into()), ("Qty".into(), 2.into())]).expect("insert");
        first.commit().expect("commit");
        assert_eq!(stock(&entities, "B"), None, "uncommitted changes are invisible");
        second.commit().expect("commit");
        assert_eq!(stock(&entities, "A"), Some(Value::Integer(1)));
        assert_eq!(stock(&entities, "B"), Some(Value::Integer(2)));
    }

    #[test]
    fn a_dropped_unit_changes_nothing() {
        let entities = MemoryEntities::default();
        entities.define("Stock", &["Item"]);
        let mut unit = entities.begin().expect("unit");
        unit.insert("Stock", vec![("Item".into(), "A".into())]).expect("insert");
        drop(unit);
        assert!(entities.rows("Stock").is_empty());
    }

    #[test]
    fn keys_must_be_complete_and_cannot_change() {
        let entities = MemoryEntities::default();
        entities.define("Stock", &["Item", "Site"]);
        let mut unit = entities.begin().expect("unit");
        let error = unit.insert("Stock", vec![("Item".into(), "A".into())]).expect_err("no site");
        assert!(error.to_string().contains("needs field Site"), "{error}");
        unit.insert("Stock", vec![("Item".into(), "A".into()), ("Site".into(), "1".into())]).expect("insert");
        let key = vec![("Item".into(), "A".into()), ("Site".into(), "1".into())];
        let error = unit.update("Stock", &key, vec![("Site".into(), "2".into())]).expect_err("key change");
        assert!(error.to_string().contains("cannot change"), "{error}");
    }
}
