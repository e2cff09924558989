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
//!
//! Besides the unique key index and the version index, a table has the secondary indexes its
//! definition declares; a migration creates the new ones and drops those no longer declared.

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
    /// The names of the secondary indexes the table has. Definitions recorded before indexes
    /// could be declared have none.
    #[serde(default)]
    indexes: Vec<String>,
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

/// The unquoted name of a secondary index of `entity` over the fields at `index`, e.g.
/// `index_Customer(dataAreaId,CustomerGroupId)`. Field and entity names cannot hold
/// parentheses or commas, so two different indexes never get the same name, and the prefix
/// keeps them apart from the tables and the key and version indexes.
fn index_name(entity: &Entity, index: &[usize]) -> String {
    let fields: Vec<&str> = index_fields(entity, index).map(|field| field.name.as_str()).collect();
    format!("index_{}({})", entity.name, fields.join(","))
}

/// The fields at the positions `index` lists.
pub(super) fn index_fields<'e>(entity: &'e Entity, index: &[usize]) -> impl Iterator<Item = &'e Field> {
    index.iter().filter_map(|&position| entity.fields.get(position))
}

/// Creates the secondary index `name` of `entity` over the fields at `index`.
fn create_index(connection: &Connection, entity: &Entity, name: &str, index: &[usize]) -> Result<()> {
    let columns: Vec<String> = index_fields(entity, index).map(|field| quote(&field.name)).collect();
    let sql = format!("CREATE INDEX IF NOT EXISTS {} ON {} ({})", quote(name), table(entity), columns.join(", "));
    connection.execute_batch(&sql).with_context(|| format!("cannot create the index {name}"))
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

pub(super) fn check_reserved_names(entity: &Entity) -> Result<()> {
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
    let mut indexes = Vec::with_capacity(entity.indexes.len());
    for index in &entity.indexes {
        let name = index_name(entity, index);
        create_index(connection, entity, &name, index)?;
        indexes.push(name);
    }
    Ok(RecordedEntity {
        indexes,
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

/// Refuses a definition whose key is not the `recorded` one: the stored rows and their unique
/// index cannot follow a key change.
pub(super) fn check_same_key(entity: &Entity, recorded: &[String]) -> Result<()> {
    let key = key_names(entity);
    let same_key =
        key.len() == recorded.len() && key.iter().zip(recorded).all(|(new, old)| new.eq_ignore_ascii_case(old));
    if !same_key {
        bail!(
            "its key changed from ({}) to ({}), which the stored rows and their unique index cannot follow; \
             restore the old key, or give the entity a new name (a new, empty table) and import its data again",
            recorded.join(", "),
            key.join(", ")
        );
    }
    Ok(())
}

pub(super) fn key_names(entity: &Entity) -> Vec<String> {
    entity.key_fields().map(|field| field.name.clone()).collect()
}

/// Checks every change first and refuses the ones the table cannot follow, then adds the new
/// columns, so a refused definition changes nothing.
fn migrate(connection: &Connection, entity: &Entity, mut recorded: RecordedEntity) -> Result<RecordedEntity> {
    check_same_key(entity, &recorded.key)?;
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
    migrate_indexes(connection, entity, &mut recorded.indexes)?;
    Ok(recorded)
}

/// Drops the recorded secondary indexes the definition no longer declares and creates the
/// newly declared ones. Run after new columns are added, which a new index may cover.
fn migrate_indexes(connection: &Connection, entity: &Entity, recorded: &mut Vec<String>) -> Result<()> {
    let declared: Vec<(String, &[usize])> =
        entity.indexes.iter().map(|index| (index_name(entity, index), index.as_slice())).collect();
    // SQLite compares index names without case, as definitions compare entity and field names.
    for old in recorded.iter() {
        if !declared.iter().any(|(name, _)| name.eq_ignore_ascii_case(old)) {
            connection
                .execute_batch(&format!("DROP INDEX IF EXISTS {}", quote(old)))
                .with_context(|| format!("cannot drop the index {old}"))?;
        }
    }
    for (name, index) in &declared {
        if !recorded.iter().any(|old| old.eq_ignore_ascii_case(name)) {
            create_index(connection, entity, name, index)?;
        }
    }
    *recorded = declared.into_iter().map(|(name, _)| name).collect();
    // Indexes a bulk load dropped and a crash kept it from building again.
    restore_indexes(connection, entity)
}

/// The entity's indexes that only speed up reads, which a bulk load into an empty table may
/// drop and build once at its end (see [`drop_deferred_indexes`]): the version index and the
/// secondary indexes. The key index stays: every upsert looks rows up by it.
fn deferrable_indexes(entity: &Entity) -> Vec<(String, Vec<String>)> {
    let version = (format!("version_{}", entity.name), vec![quote(VERSION_COLUMN)]);
    let secondary = entity.indexes.iter().map(|index| {
        (index_name(entity, index), index_fields(entity, index).map(|field| quote(&field.name)).collect())
    });
    std::iter::once(version).chain(secondary).collect()
}

/// Drops the entity's [`deferrable_indexes`], so that a bulk load inserts into the table and
/// its key index only; [`restore_indexes`] builds them again, and every open of the store
/// does, so a load that never finished leaves no index missing for long.
pub(super) fn drop_deferred_indexes(connection: &Connection, entity: &Entity) -> Result<()> {
    for (name, _) in deferrable_indexes(entity) {
        connection
            .execute_batch(&format!("DROP INDEX IF EXISTS {}", quote(&name)))
            .with_context(|| format!("cannot drop the index {name}"))?;
    }
    Ok(())
}

/// Creates whichever of the entity's [`deferrable_indexes`] are missing. Building an index
/// over loaded rows sorts them once, which costs less than inserting into it row by row.
pub(super) fn restore_indexes(connection: &Connection, entity: &Entity) -> Result<()> {
    for (name, columns) in deferrable_indexes(entity) {
        let sql = format!("CREATE INDEX IF NOT EXISTS {} ON {} ({})", quote(&name), table(entity), columns.join(", "));
        connection.execute_batch(&sql).with_context(|| format!("cannot create the index {name}"))?;
    }
    Ok(())
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

#[cfg(test)]
mod tests {
    use super::*;

    const CUSTOMER: &str = r#"
name = "Customer"
key = ["CustomerAccount"]
indexes = [["CustomerGroupId"], ["AddressCity", "OrganizationName"]]

[[field]]
name = "CustomerAccount"
type = "string"

[[field]]
name = "OrganizationName"
type = "string"

[[field]]
name = "CustomerGroupId"
type = "string"

[[field]]
name = "AddressCity"
type = "string"
"#;

    fn customer(indexes: &str) -> Entity {
        let definition = CUSTOMER.replace(
            r#"indexes = [["CustomerGroupId"], ["AddressCity", "OrganizationName"]]"#,
            &format!("indexes = {indexes}"),
        );
        Entity::parse(&definition, "customer.toml").expect("valid definition")
    }

    /// A database with the meta tables, in memory.
    fn database() -> Connection {
        let mut connection = Connection::open_in_memory().expect("in-memory database");
        crate::backend::sqlite::migrate_store(&mut connection).expect("meta tables");
        connection
    }

    /// The names of the indexes SQLite has on the customer table, without its automatic ones.
    fn indexes(connection: &Connection) -> Vec<String> {
        let mut statement = connection
            .prepare(
                "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'entity_Customer' ORDER BY name",
            )
            .expect("statement");
        statement.query_map([], |row| row.get(0)).expect("query").collect::<rusqlite::Result<_>>().expect("names")
    }

    /// SQLite's plan for `sql`, one line per step.
    fn plan(connection: &Connection, sql: &str) -> String {
        let mut statement = connection.prepare(&format!("EXPLAIN QUERY PLAN {sql}")).expect("plan");
        let steps: Vec<String> =
            statement.query_map([], |row| row.get(3)).expect("query").collect::<rusqlite::Result<_>>().expect("steps");
        steps.join("\n")
    }

    #[test]
    fn declared_indexes_lead_with_the_company_and_serve_queries_by_company_and_field() {
        let connection = database();
        prepare_entity(&connection, &customer(r#"[["CustomerGroupId"], ["AddressCity", "OrganizationName"]]"#))
            .expect("created");
        assert_eq!(
            indexes(&connection),
            [
                "index_Customer(dataAreaId,AddressCity,OrganizationName,CustomerAccount)",
                "index_Customer(dataAreaId,CustomerGroupId,CustomerAccount)",
                "key_Customer",
                "version_Customer",
            ]
        );
        let by_group = plan(
            &connection,
            r#"SELECT "CustomerAccount" FROM "entity_Customer" WHERE "dataAreaId" = 'usmf' AND "CustomerGroupId" = '10'"#,
        );
        assert!(
            by_group.contains("USING COVERING INDEX index_Customer(dataAreaId,CustomerGroupId,CustomerAccount)"),
            "{by_group}"
        );
        // An OData page: filtered on the index, ordered by key, read from the index in order.
        let page = plan(
            &connection,
            r#"SELECT * FROM "entity_Customer" WHERE "dataAreaId" = 'usmf' AND "CustomerGroupId" = '10'
               AND CAST("CreditLimit" AS REAL) > 100 ORDER BY "CustomerAccount", "dataAreaId" LIMIT 1000"#,
        );
        assert!(page.contains("USING INDEX index_Customer(dataAreaId,CustomerGroupId,CustomerAccount)"), "{page}");
        assert!(!page.contains("TEMP B-TREE"), "the index gives the key order: {page}");
        let by_city = plan(
            &connection,
            r#"SELECT "CustomerAccount" FROM "entity_Customer" WHERE "dataAreaId" = 'usmf' AND "AddressCity" = 'Oslo'
               ORDER BY "OrganizationName""#,
        );
        assert!(
            by_city.contains(
                "USING COVERING INDEX index_Customer(dataAreaId,AddressCity,OrganizationName,CustomerAccount)"
            ),
            "{by_city}"
        );
        assert!(!by_city.contains("TEMP B-TREE"), "the index gives the order too: {by_city}");
    }

    #[test]
    fn a_migration_creates_new_indexes_and_drops_undeclared_ones() {
        let connection = database();
        prepare_entity(&connection, &customer(r#"[["CustomerGroupId"]]"#)).expect("created");
        prepare_entity(&connection, &customer(r#"[["AddressCity"]]"#)).expect("migrated");
        assert_eq!(
            indexes(&connection),
            ["index_Customer(dataAreaId,AddressCity,CustomerAccount)", "key_Customer", "version_Customer"]
        );
        let recorded: String = connection
            .query_row("SELECT definition FROM wharf_entities WHERE name = 'Customer'", [], |row| row.get(0))
            .expect("recorded definition");
        let recorded: RecordedEntity = serde_json::from_str(&recorded).expect("readable");
        assert_eq!(recorded.indexes, ["index_Customer(dataAreaId,AddressCity,CustomerAccount)"]);
    }

    #[test]
    fn a_definition_recorded_before_indexes_existed_gets_its_declared_indexes() {
        let connection = database();
        prepare_entity(&connection, &customer("[]")).expect("created");
        // The recorded form of a store written before indexes could be declared.
        let old = r#"{"key":["dataAreaId","CustomerAccount"],"fields":[
            {"name":"dataAreaId","field_type":"string","storage":"text","removed":false},
            {"name":"CustomerAccount","field_type":"string","storage":"text","removed":false},
            {"name":"OrganizationName","field_type":"string","storage":"text","removed":false},
            {"name":"CustomerGroupId","field_type":"string","storage":"text","removed":false},
            {"name":"AddressCity","field_type":"string","storage":"text","removed":false}]}"#;
        connection.execute("UPDATE wharf_entities SET definition = ?1", [old]).expect("old record");
        prepare_entity(&connection, &customer(r#"[["CustomerGroupId"]]"#)).expect("migrated");
        assert_eq!(
            indexes(&connection),
            ["index_Customer(dataAreaId,CustomerGroupId,CustomerAccount)", "key_Customer", "version_Customer"]
        );
    }
}
