//! What a unit of work's reads and changes must satisfy, whichever engine runs them: field
//! names resolved as D365 compares them, keys whole, values of their fields' types, required
//! fields given and keys left alone. Each engine turns the checked values into its own SQL.

use std::sync::{Arc, Condvar, Mutex, PoisonError};

use anyhow::{Context as _, Result, bail};
use wharf_plugin_sdk::Value;

use super::sqlite::BUSY_TIMEOUT;
use super::values::plugin_value;
use crate::entity::{Entity, Field};
use crate::plugin::entities::Fields;

/// The most rows one `find` returns. A plugin asking for more than this many matches is
/// refused rather than allowed to pull a whole table into host memory.
pub(super) const FIND_ROWS_MAX: usize = 10_000;

/// The field named `name` (any case, as D365 compares names) and its index.
pub(super) fn field_named<'e>(entity: &'e Entity, name: &str) -> Result<(usize, &'e Field)> {
    entity
        .field_index(name)
        .and_then(|index| entity.fields.get(index).map(|field| (index, field)))
        .with_context(|| format!("{} has no field {name}", entity.name))
}

/// The values of `key` in key order: every key field exactly once, and no other field.
pub(super) fn key_values(entity: &Entity, key: &Fields) -> Result<Vec<Value>> {
    let mut values: Vec<Option<Value>> = vec![None; entity.key.len()];
    for (name, value) in key {
        let (index, field) = field_named(entity, name)?;
        let Some(position) = entity.key.iter().position(|&key_index| key_index == index) else {
            let key_names: Vec<&str> = entity.key_fields().map(|field| field.name.as_str()).collect();
            bail!("field {} is not part of the key of {} ({})", field.name, entity.name, key_names.join(", "));
        };
        let slot = values.get_mut(position).with_context(|| format!("no key field {name}"))?;
        if slot.is_some() {
            bail!("the key of {} names field {} twice", entity.name, field.name);
        }
        let value = plugin_value(field, value).with_context(|| format!("invalid key of {}", entity.name))?;
        if value == Value::Null {
            bail!("the key of {} has no value for field {}", entity.name, field.name);
        }
        *slot = Some(value);
    }
    entity
        .key_fields()
        .zip(values)
        .map(|(field, value)| value.with_context(|| format!("the key of {} needs field {}", entity.name, field.name)))
        .collect()
}

/// The fields `criteria` name, each once, with the values to match, as (field index, value).
pub(super) fn criteria_values(entity: &Entity, criteria: &Fields) -> Result<Vec<(usize, Value)>> {
    let mut checked: Vec<(usize, Value)> = Vec::with_capacity(criteria.len());
    for (name, value) in criteria {
        let (index, field) = field_named(entity, name)?;
        if checked.iter().any(|(seen, _)| *seen == index) {
            bail!("the criteria name field {} of {} twice", field.name, entity.name);
        }
        checked.push((index, plugin_value(field, value).with_context(|| format!("cannot search {}", entity.name))?));
    }
    Ok(checked)
}

/// The refusal of a `find` that matched more than [`FIND_ROWS_MAX`] rows, when it did.
pub(super) fn check_found(entity: &Entity, found: usize) -> Result<()> {
    if found > FIND_ROWS_MAX {
        bail!("more than {FIND_ROWS_MAX} rows of {} match; narrow the criteria or ask for fewer rows", entity.name);
    }
    Ok(())
}

/// Every field's value for inserting `row`, in field order: the row's, else the field's
/// default, else null — refused when a required field gets none.
pub(super) fn insert_values(entity: &Entity, row: &Fields) -> Result<Vec<Value>> {
    let mut values: Vec<Option<Value>> = vec![None; entity.fields.len()];
    for (name, value) in row {
        let (index, field) = field_named(entity, name)?;
        let slot = values.get_mut(index).with_context(|| format!("no field {name}"))?;
        if slot.is_some() {
            bail!("the row names field {} of {} twice", field.name, entity.name);
        }
        *slot = Some(plugin_value(field, value).with_context(|| format!("cannot insert into {}", entity.name))?);
    }
    entity
        .fields
        .iter()
        .zip(values)
        .map(|(field, value)| match value.or_else(|| field.default.clone()) {
            Some(Value::Null) | None if field.required => {
                bail!("cannot insert into {}: field {} needs a value", entity.name, field.name)
            }
            value => Ok(value.unwrap_or(Value::Null)),
        })
        .collect()
}

/// The refusal of an insert whose key is taken.
pub(super) fn already_exists(entity: &Entity, values: &[Value]) -> anyhow::Error {
    let key: Vec<String> = entity.key.iter().filter_map(|&index| values.get(index)).map(Value::to_string).collect();
    anyhow::anyhow!("{} ({}) already exists", entity.name, key.join(", "))
}

/// The fields `changes` set on the row with key `key_values`, as (field index, value): each
/// once, a key field only to its present value (passing a whole row back is fine; such fields
/// are left out), a required field never to null.
pub(super) fn changed_values(entity: &Entity, key_values: &[Value], changes: &Fields) -> Result<Vec<(usize, Value)>> {
    let mut changed: Vec<(usize, Value)> = Vec::with_capacity(changes.len());
    for (name, value) in changes {
        let (index, field) = field_named(entity, name)?;
        if changed.iter().any(|(seen, _)| *seen == index) {
            bail!("the changes name field {} of {} twice", field.name, entity.name);
        }
        let value = plugin_value(field, value).with_context(|| format!("cannot update {}", entity.name))?;
        if let Some(position) = entity.key.iter().position(|&key_index| key_index == index) {
            if key_values.get(position) == Some(&value) {
                continue;
            }
            bail!("cannot update {}: key field {} cannot change", entity.name, field.name);
        }
        if value == Value::Null && field.required {
            bail!("cannot update {}: field {} needs a value", entity.name, field.name);
        }
        changed.push((index, value));
    }
    Ok(changed)
}

/// The refusal of an update that found no row with its key.
pub(super) fn no_row(entity: &Entity, key_values: &[Value]) -> anyhow::Error {
    let key: Vec<String> = key_values.iter().map(Value::to_string).collect();
    anyhow::anyhow!("cannot update {}: there is no {} ({})", entity.name, entity.name, key.join(", "))
}

/// Writing units of work in this process take turns here before they begin, so the next one
/// is woken the moment the previous one ends. On SQLite, a writer that finds the lock taken
/// sleeps and retries (up to 100 ms a sleep), so units that queued on SQLite alone would wait
/// far longer than the unit ahead of them takes. On PostgreSQL, a unit waiting on the writers'
/// lock holds a pooled connection, so units that queued in the database would take the
/// connections the queue and readers need. Writers in other processes and replicas, and
/// import writers, still meet the database's own wait.
#[derive(Debug, Default)]
pub(super) struct Turns {
    taken: Mutex<bool>,
    freed: Condvar,
}

impl Turns {
    /// Waits (at most the busy timeout) for this process's turn at writing.
    pub(super) fn take(self: &Arc<Turns>) -> Result<Turn> {
        let taken = self.taken.lock().unwrap_or_else(PoisonError::into_inner);
        let (mut taken, waited) =
            self.freed.wait_timeout_while(taken, BUSY_TIMEOUT, |taken| *taken).unwrap_or_else(PoisonError::into_inner);
        if waited.timed_out() {
            bail!("the store is busy: another unit of work held it for {BUSY_TIMEOUT:?}");
        }
        *taken = true;
        Ok(Turn { turns: self.clone() })
    }
}

/// A unit's turn at writing; dropping it lets the next unit go.
#[derive(Debug)]
pub(super) struct Turn {
    turns: Arc<Turns>,
}

impl Drop for Turn {
    fn drop(&mut self) {
        *self.turns.taken.lock().unwrap_or_else(PoisonError::into_inner) = false;
        self.turns.freed.notify_one();
    }
}
