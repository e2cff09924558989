//! Entity tables: the SQLite table an entity definition becomes, and how a table follows a
//! changed definition.
//!
//! Column types, chosen so that every value reads back exactly as it was written:
//! - `integer` and `boolean` fields are `INTEGER` (booleans as 0 and 1);
//! - every other type is `TEXT`: decimals keep their exact digits (SQLite's `REAL` would round
//!   `-12345678901234567890.123456789`, and it has no decimal type), dates and date-times
//!   keep their ISO 8601 text, which also sorts chronologically; strings, enum names and GUIDs
//!   are text anyway. The price is that decimals compare as text inside SQL.
//!
//! Tables are `STRICT`, so SQLite itself refuses a value of the wrong storage class. Each
//! table also has three hidden columns: `_row` (the row id, for paging), `_version` (the
//! write transaction that last changed the row) and `_created` (the one that inserted it).

use anyhow::{Context as _, Result, bail};
use rusqlite::{Connection, OptionalExtension as _};
use serde::{Deserialize, Serialize};

use super::values::Parameter;
use crate::entity::{Entity, Field, FieldType};

/// The row id column; paging walks (`_version`, `_row`).
pub(super) const ROW_COLUMN: &str = "_row";
/// The version of the write that last changed the row.
pub(super) const VERSION_COLUMN: &str = "_version";
/// The version of the write that inserted the row.
pub(super) const CREATED_COLUMN: &str = "_created";

/// The SQLite storage class of a field's column. Fields whose type changes within a class
/// (a string becoming an enum) keep their column; a change between classes is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
enum Storage {
    Text,
    Integer,
}

impl Storage {
    fn of(field_type: &FieldType) -> Storage {
        match field_type {
            FieldType::Integer | FieldType::Boolean => Storage::Integer,
            FieldType::String { .. }
            | FieldType::Decimal { .. }
            | FieldType::Date
            | FieldType::DateTime
            | FieldType::Enum { .. }
            | FieldType::Guid => Storage::Text,
        }
    }

    fn sql_type(self) -> &'static str {
        match self {
            Storage::Text => "TEXT",
            Storage::Integer => "INTEGER",
        }
    }
}

/// An entity definition as the store recorded it, in `wharf_entities`: what its table holds.
#[derive(Debug, Serialize, Deserialize)]
struct RecordedEntity {
    /// The key field names, company first.
    key: Vec<String>,
    /// Every column the table has had, current and removed.
    fields: Vec<RecordedField>,
}

#[derive(Debug, Serialize, Deserialize)]
struct RecordedField {
    name: String,
    /// The definition's type name, for error messages.
    field_type: String,
    storage: Storage,
    /// Whether the field left the definition; its column and data stay.
    removed: bool,
}

/// `identifier` quoted for SQL. Names come from definitions, which allow only letters, digits
/// and `_`; quoting (with doubled quotes) keeps even a name that slipped past them an
/// identifier.
pub(super) fn quote(identifier: &str) -> String {
    format!("\"{}\"", identifier.replace('"', "\"\""))
}

/// The quoted table name of `entity`. The prefix keeps entity tables apart from the store's
/// own `wharf_` tables; SQLite compares names without case, as definitions do.
pub(super) fn table(entity: &Entity) -> String {
    quote(&format!("entity_{}", entity.name))
}

/// The entity's fields as a quoted, comma-separated column list.
pub(super) fn column_list(entity: &Entity) -> String {
    entity.fields.iter().map(|field| quote(&field.name)).collect::<Vec<_>>().join(", ")
}

/// The key fields as a quoted, comma-separated column list, in key order.
pub(super) fn key_list(entity: &Entity) -> String {
    entity.key_fields().map(|field| quote(&field.name)).collect::<Vec<_>>().join(", ")
}

/// Creates the table of `entity`, or migrates it to this definition, and records the
/// definition. Run inside the transaction of [`Store::prepare`](super::Store::prepare).
pub(super) fn prepare_entity(connection: &Connection, entity: &Entity) -> Result<()> {
    check_reserved_names(entity)?;
    let recorded: Option<String> = connection
        .query_row("SELECT definition FROM wharf_entities WHERE name = ?1", [&entity.name], |row| row.get(0))
        .optional()
        .context("cannot read the recorded definition")?;
    let recorded = match recorded {
        None => create(connection, entity)?,
        Some(json) => {
            let recorded = serde_json::from_str(&json).context("the recorded definition is unreadable")?;
            migrate(connection, entity, recorded)?
        }
    };
    let json = serde_json::to_string(&recorded).context("cannot record the definition")?;
    connection
        .execute(
            "INSERT INTO wharf_entities (name, definition) VALUES (?1, ?2)
             ON CONFLICT (name) DO UPDATE SET name = excluded.name, definition = excluded.definition",
            (&entity.name, json),
        )
        .context("cannot record the definition")?;
    Ok(())
}

fn check_reserved_names(entity: &Entity) -> Result<()> {
    for field in &entity.fields {
        if [ROW_COLUMN, VERSION_COLUMN, CREATED_COLUMN].iter().any(|name| name.eq_ignore_ascii_case(&field.name)) {
            bail!("field {} uses a name the store keeps for its own columns; rename the field", field.name);
        }
    }
    Ok(())
}

fn create(connection: &Connection, entity: &Entity) -> Result<RecordedEntity> {
    let table = table(entity);
    let columns: String = entity
        .fields
        .iter()
        .map(|field| format!("{} {}, ", quote(&field.name), Storage::of(&field.field_type).sql_type()))
        .collect();
    // Indexes share the tables' namespace; their prefixes keep them apart from tables
    // (`entity_`, `wharf_`) and from each other, whatever the entity names.
    let key_index = quote(&format!("key_{}", entity.name));
    let version_index = quote(&format!("version_{}", entity.name));
    let sql = format!(
        "CREATE TABLE {table} ({row} INTEGER PRIMARY KEY, {columns}{version} INTEGER NOT NULL, {created} INTEGER NOT NULL) STRICT;
         CREATE UNIQUE INDEX {key_index} ON {table} ({key});
         CREATE INDEX {version_index} ON {table} ({version});",
        row = quote(ROW_COLUMN),
        version = quote(VERSION_COLUMN),
        created = quote(CREATED_COLUMN),
        key = key_list(entity),
    );
    connection.execute_batch(&sql).context("cannot create the table")?;
    Ok(RecordedEntity {
        key: key_names(entity),
        fields: entity
            .fields
            .iter()
            .map(|field| RecordedField {
                name: field.name.clone(),
                field_type: field.field_type.name().to_owned(),
                storage: Storage::of(&field.field_type),
                removed: false,
            })
            .collect(),
    })
}

fn key_names(entity: &Entity) -> Vec<String> {
    entity.key_fields().map(|field| field.name.clone()).collect()
}

/// Checks every change first and refuses the ones the table cannot follow, then adds the new
/// columns, so a refused definition changes nothing.
fn migrate(connection: &Connection, entity: &Entity, mut recorded: RecordedEntity) -> Result<RecordedEntity> {
    let key = key_names(entity);
    let same_key = key.len() == recorded.key.len()
        && key.iter().zip(&recorded.key).all(|(new, old)| new.eq_ignore_ascii_case(old));
    if !same_key {
        bail!(
            "its key changed from ({}) to ({}), which the stored rows and their unique index cannot follow; \
             restore the old key, or give the entity a new name (a new, empty table) and import its data again",
            recorded.key.join(", "),
            key.join(", ")
        );
    }
    for field in &entity.fields {
        let storage = Storage::of(&field.field_type);
        let Some(old) = recorded.fields.iter().find(|old| old.name.eq_ignore_ascii_case(&field.name)) else {
            continue;
        };
        if old.storage != storage {
            bail!(
                "field {} changed type from {} to {}, which the store keeps as {} instead of {}; \
                 restore the old type, or declare the new type under a new field name (the old column keeps its data)",
                field.name,
                old.field_type,
                field.field_type.name(),
                storage.sql_type(),
                old.storage.sql_type()
            );
        }
    }

    let table = table(entity);
    for field in &entity.fields {
        match recorded.fields.iter_mut().find(|old| old.name.eq_ignore_ascii_case(&field.name)) {
            Some(old) => {
                // A field that comes back after removal finds its old column, data included.
                old.removed = false;
                old.field_type = field.field_type.name().to_owned();
            }
            None => {
                add_column(connection, &table, field)
                    .with_context(|| format!("cannot add a column for field {}", field.name))?;
                recorded.fields.push(RecordedField {
                    name: field.name.clone(),
                    field_type: field.field_type.name().to_owned(),
                    storage: Storage::of(&field.field_type),
                    removed: false,
                });
            }
        }
    }
    for old in &mut recorded.fields {
        if entity.field_index(&old.name).is_none() {
            old.removed = true;
        }
    }
    Ok(recorded)
}

/// Adds the column of a new field. Existing rows get the field's default, set by an `UPDATE`
/// with the default as a parameter rather than spliced into `ALTER TABLE … DEFAULT` text.
/// The fill is a schema change, not a change of the rows' data, so it keeps their versions.
fn add_column(connection: &Connection, table: &str, field: &Field) -> Result<()> {
    let column = quote(&field.name);
    let sql_type = Storage::of(&field.field_type).sql_type();
    connection.execute_batch(&format!("ALTER TABLE {table} ADD COLUMN {column} {sql_type}"))?;
    if let Some(default) = &field.default {
        connection.execute(&format!("UPDATE {table} SET {column} = ?1"), [Parameter(default.as_ref())])?;
    }
    Ok(())
}
