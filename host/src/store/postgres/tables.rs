//! Entity tables on PostgreSQL and how they follow a changed definition; the version counter,
//! export watermarks and row counts.
//!
//! A table is named `entity_<Name>` and has a column per field (types in `values`), plus
//! three hidden columns: `_row` (an identity, for paging), `_version` (the write transaction
//! that last changed the row) and `_created` (the one that inserted it). Besides the unique
//! key index (company first) and the (`_version`, `_row`) index, it has the secondary
//! indexes its definition declares; a migration creates the new ones and drops those no
//! longer declared.
//!
//! PostgreSQL cuts identifiers to 63 bytes, so index names are hashes of the names SQLite
//! gives them (`idx_…`), and an entity or field name that does not fit is refused rather than
//! cut: two cut names could meet.
//!
//! A field's type may change as far as SQLite allows: within one of its storage classes. Where
//! PostgreSQL stores the two types differently (a string becoming a decimal: `text` and
//! `numeric`; an integer becoming a boolean: `bigint` and `boolean`), the column is converted,
//! and a stored value that does not convert refuses the whole definition.
//!
//! Definitions are recorded in `store_entities` as on SQLite. Unlike SQLite, PostgreSQL
//! compares quoted names with case; a definition that changes only the case of its entity's or
//! a field's name renames the table or column, so the data follows the name.

use anyhow::{Context as _, Result, bail};
use serde::{Deserialize, Serialize};
use tokio_postgres::Transaction;

use super::Database;
use super::values::{Parameter, sql_type};
use crate::entity::{COMPANY_FIELD, Catalog, Entity, Field};
use crate::store::schema::{self, CREATED_COLUMN, ROW_COLUMN, VERSION_COLUMN, quote};
use crate::store::{Watermark, sql_version, stored_version};

/// The advisory lock replicas take to prepare tables, so that one prepares and the others
/// wait and then find the tables current.
const PREPARE_LOCK: i64 = 0x5748_4152_465f_5354; // "WHARF_ST"

/// The longest identifier PostgreSQL keeps whole, in bytes.
const IDENTIFIER_MAX: usize = 63;

/// An entity definition as the store recorded it, in `store_entities`: what its table holds.
#[derive(Debug, Serialize, Deserialize)]
struct RecordedEntity {
    /// The entity's name as its table is named.
    name: String,
    /// The key field names, company first.
    key: Vec<String>,
    /// Every column the table has had, current and removed.
    fields: Vec<RecordedField>,
    /// The SQLite-style names of the secondary indexes the table has (see [`index_name`]).
    indexes: Vec<String>,
}

#[derive(Debug, Serialize, Deserialize)]
struct RecordedField {
    name: String,
    /// The definition's type name, for error messages.
    field_type: String,
    /// The column's SQL type; a change to another is refused.
    column_type: String,
    /// Whether the field left the definition; its column and data stay.
    removed: bool,
}

/// The PostgreSQL name of an index the store names `name` on SQLite (`key_Customer`,
/// `index_Customer(dataAreaId,CustomerGroupId)`): `idx_` and a hash of it, short enough for
/// any entity, and the same whatever the case of the names in it, as definitions compare
/// names without case.
fn index_name(name: &str) -> String {
    let hash = blake3::hash(name.to_ascii_lowercase().as_bytes()).to_hex();
    format!("idx_{}", &hash.as_str()[..32])
}

/// The SQLite-style name of a secondary index of `entity` over the fields at `index`.
fn secondary_index(entity: &Entity, index: &[usize]) -> String {
    let fields: Vec<&str> = schema::index_fields(entity, index).map(|field| field.name.as_str()).collect();
    format!("index_{}({})", entity.name, fields.join(","))
}

/// The unquoted table name of an entity called `name`.
fn table_name(name: &str) -> String {
    format!("entity_{name}")
}

impl Database {
    /// Creates or migrates the table of every entity of `catalog` in one transaction, under
    /// an advisory lock so that replicas preparing at once take turns, and keeps the catalog.
    pub(in crate::store) fn prepare(&self, catalog: &Catalog) -> Result<()> {
        self.postgres.wait(async {
            let mut client = self.postgres.client().await?;
            let transaction = client.transaction().await.context("cannot start preparing entity tables")?;
            transaction
                .execute("SELECT pg_advisory_xact_lock($1)", &[&PREPARE_LOCK])
                .await
                .context("cannot take the lock for preparing entity tables")?;
            for entity in catalog.iter() {
                prepare_entity(&transaction, entity)
                    .await
                    .with_context(|| crate::store::EntityRefused(entity.name.clone()))?;
            }
            transaction.commit().await.context("cannot commit the entity tables")
        })?;
        self.set_catalog(catalog);
        Ok(())
    }

    /// The newest committed version: every committed change has a version at most this.
    pub(in crate::store) fn version(&self) -> Result<u64> {
        let version: i64 = self
            .postgres
            .wait(async {
                let client = self.postgres.client().await?;
                let row = client.query_one("SELECT value FROM store_meta WHERE name = 'version'", &[]).await?;
                Ok(row.try_get(0)?)
            })
            .context("cannot read the current version")?;
        stored_version(version)
    }

    /// The version up to which `project` last exported `entity`, 0 when it never did.
    pub(in crate::store) fn watermark(&self, project: &str, entity: &str) -> Result<u64> {
        let version: Option<i64> = self
            .postgres
            .wait(async {
                let client = self.postgres.client().await?;
                let row = client
                    .query_opt(
                        "SELECT version FROM store_watermarks WHERE project = $1 AND entity = $2",
                        &[&project, &entity],
                    )
                    .await?;
                Ok(row.map(|row| row.try_get(0)).transpose()?)
            })
            .with_context(|| format!("cannot read the watermark of {project}, {entity}"))?;
        version.map_or(Ok(0), stored_version)
    }

    /// Records that `project` has exported `entity` up to `version`.
    pub(in crate::store) fn set_watermark(&self, project: &str, entity: &str, version: u64) -> Result<()> {
        let version = sql_version(version)?;
        self.postgres
            .wait(async {
                let client = self.postgres.client().await?;
                client
                    .execute(
                        "INSERT INTO store_watermarks (project, entity, version) VALUES ($1, $2, $3)
                         ON CONFLICT (project, entity) DO UPDATE SET version = excluded.version",
                        &[&project, &entity, &version],
                    )
                    .await?;
                Ok(())
            })
            .with_context(|| format!("cannot save the watermark of {project}, {entity}"))
    }

    /// Stages the watermarks an export reached under `message`, without moving any.
    pub(in crate::store) fn stage_watermarks(&self, message: &str, watermarks: &[Watermark]) -> Result<()> {
        self.postgres
            .wait(async {
                let mut client = self.postgres.client().await?;
                let transaction = client.transaction().await?;
                let statement = transaction
                    .prepare(
                        "INSERT INTO store_watermarks_staged (message, project, entity, version) VALUES ($1, $2, $3, $4)
                         ON CONFLICT (message, project, entity) DO UPDATE SET version = excluded.version",
                    )
                    .await?;
                for watermark in watermarks {
                    let version = sql_version(watermark.version)?;
                    transaction
                        .execute(&statement, &[&message, &watermark.project, &watermark.entity, &version])
                        .await?;
                }
                Ok(transaction.commit().await?)
            })
            .with_context(|| format!("cannot stage the watermarks of message {message}"))
    }

    /// Moves the watermarks staged under `message` and drops them from the stage, in one
    /// transaction. A watermark never moves back.
    pub(in crate::store) fn commit_watermarks(&self, message: &str) -> Result<()> {
        self.postgres
            .wait(async {
                let mut client = self.postgres.client().await?;
                let transaction = client.transaction().await?;
                transaction
                    .execute(
                        "INSERT INTO store_watermarks (project, entity, version)
                         SELECT project, entity, version FROM store_watermarks_staged WHERE message = $1
                         ON CONFLICT (project, entity)
                         DO UPDATE SET version = GREATEST(store_watermarks.version, excluded.version)",
                        &[&message],
                    )
                    .await?;
                transaction.execute("DELETE FROM store_watermarks_staged WHERE message = $1", &[&message]).await?;
                Ok(transaction.commit().await?)
            })
            .with_context(|| format!("cannot save the watermarks of message {message}"))
    }

    /// Drops the watermarks staged under `message` without moving any.
    pub(in crate::store) fn discard_watermarks(&self, message: &str) -> Result<()> {
        self.postgres
            .wait(async {
                let client = self.postgres.client().await?;
                client.execute("DELETE FROM store_watermarks_staged WHERE message = $1", &[&message]).await?;
                Ok(())
            })
            .with_context(|| format!("cannot drop the watermarks of message {message}"))
    }

    /// The messages with watermarks staged and neither committed nor discarded.
    pub(in crate::store) fn staged_watermarks(&self) -> Result<Vec<String>> {
        self.postgres
            .wait(async {
                let client = self.postgres.client().await?;
                let rows = client.query("SELECT DISTINCT message FROM store_watermarks_staged", &[]).await?;
                Ok(rows.iter().map(|row| row.try_get(0)).collect::<Result<Vec<String>, _>>()?)
            })
            .context("cannot read the staged watermarks")
    }

    /// The number of rows of `entity`, only those of `company` when given (ignored for
    /// entities shared by all companies).
    pub(in crate::store) fn count(&self, entity: &Entity, company: Option<&str>) -> Result<u64> {
        self.check_prepared(entity)?;
        let table = schema::table(entity);
        let company = company.filter(|_| entity.company_scoped).map(str::to_ascii_lowercase);
        let count: i64 = self
            .postgres
            .wait(async {
                let client = self.postgres.client().await?;
                let row = match &company {
                    Some(company) => {
                        let sql = format!("SELECT count(*) FROM {table} WHERE {} = $1", quote(COMPANY_FIELD));
                        client.query_one(&client.prepare_cached(&sql).await?, &[company]).await?
                    }
                    None => {
                        let sql = format!("SELECT count(*) FROM {table}");
                        client.query_one(&client.prepare_cached(&sql).await?, &[]).await?
                    }
                };
                Ok(row.try_get(0)?)
            })
            .with_context(|| format!("cannot count the rows of {}", entity.name))?;
        u64::try_from(count).context("a negative row count")
    }
}

/// Creates the table of `entity`, or migrates it to this definition, and records the
/// definition. Run inside the transaction of [`Database::prepare`].
async fn prepare_entity(client: &Transaction<'_>, entity: &Entity) -> Result<()> {
    check_names(entity)?;
    let key = entity.name.to_ascii_lowercase();
    let recorded = client
        .query_opt("SELECT definition FROM store_entities WHERE name = $1", &[&key])
        .await
        .context("cannot read the recorded definition")?;
    let recorded = match recorded {
        None => create(client, entity).await?,
        Some(row) => {
            let json: String = row.try_get(0).context("cannot read the recorded definition")?;
            let recorded = serde_json::from_str(&json).context("the recorded definition is unreadable")?;
            migrate(client, entity, recorded).await?
        }
    };
    let json = serde_json::to_string(&recorded).context("cannot record the definition")?;
    client
        .execute(
            "INSERT INTO store_entities (name, definition) VALUES ($1, $2)
             ON CONFLICT (name) DO UPDATE SET definition = excluded.definition",
            &[&key, &json],
        )
        .await
        .context("cannot record the definition")?;
    Ok(())
}

/// Refuses field names the store keeps for its hidden columns, and names PostgreSQL would cut.
fn check_names(entity: &Entity) -> Result<()> {
    schema::check_reserved_names(entity)?;
    for field in &entity.fields {
        if field.name.len() > IDENTIFIER_MAX {
            bail!(
                "field {} has a name of {} bytes, longer than the {IDENTIFIER_MAX} PostgreSQL keeps; shorten it",
                field.name,
                field.name.len()
            );
        }
    }
    let table = table_name(&entity.name);
    if table.len() > IDENTIFIER_MAX {
        bail!(
            "its table name {table} is {} bytes long, longer than the {IDENTIFIER_MAX} PostgreSQL keeps; \
             give the entity a name of at most {} bytes",
            table.len(),
            IDENTIFIER_MAX - table_name("").len()
        );
    }
    Ok(())
}

async fn create(client: &Transaction<'_>, entity: &Entity) -> Result<RecordedEntity> {
    let table = schema::table(entity);
    let columns: String =
        entity.fields.iter().map(|field| format!("{} {}, ", quote(&field.name), sql_type(&field.field_type))).collect();
    let (row, version) = (quote(ROW_COLUMN), quote(VERSION_COLUMN));
    let sql = format!(
        "CREATE TABLE {table} ({row} bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, {columns}\
         {version} bigint NOT NULL, {created} bigint NOT NULL);
         CREATE UNIQUE INDEX {key_index} ON {table} ({key});
         CREATE INDEX {version_index} ON {table} ({version}, {row});",
        created = quote(CREATED_COLUMN),
        key = schema::key_list(entity),
        key_index = quote(&index_name(&format!("key_{}", entity.name))),
        version_index = quote(&index_name(&format!("version_{}", entity.name))),
    );
    client.batch_execute(&sql).await.context("cannot create the table")?;
    let mut indexes = Vec::with_capacity(entity.indexes.len());
    for index in &entity.indexes {
        let name = secondary_index(entity, index);
        create_index(client, entity, &name, index).await?;
        indexes.push(name);
    }
    Ok(RecordedEntity {
        name: entity.name.clone(),
        key: schema::key_names(entity),
        fields: entity
            .fields
            .iter()
            .map(|field| RecordedField {
                name: field.name.clone(),
                field_type: field.field_type.name().to_owned(),
                column_type: sql_type(&field.field_type).to_owned(),
                removed: false,
            })
            .collect(),
        indexes,
    })
}

/// Creates the secondary index SQLite would call `name` over the fields at `index`.
async fn create_index(client: &Transaction<'_>, entity: &Entity, name: &str, index: &[usize]) -> Result<()> {
    let columns: Vec<String> = schema::index_fields(entity, index).map(|field| quote(&field.name)).collect();
    let sql = format!(
        "CREATE INDEX IF NOT EXISTS {} ON {} ({})",
        quote(&index_name(name)),
        schema::table(entity),
        columns.join(", ")
    );
    client.batch_execute(&sql).await.with_context(|| format!("cannot create the index {name}"))
}

/// Checks every change first and refuses the ones the table cannot follow, then renames,
/// adds columns and indexes, so a refused definition changes nothing.
async fn migrate(client: &Transaction<'_>, entity: &Entity, mut recorded: RecordedEntity) -> Result<RecordedEntity> {
    schema::check_same_key(entity, &recorded.key)?;
    for field in &entity.fields {
        let column_type = sql_type(&field.field_type);
        let Some(old) = recorded.fields.iter().find(|old| old.name.eq_ignore_ascii_case(&field.name)) else {
            continue;
        };
        if old.column_type != column_type && conversion(&old.column_type, column_type, &field.name).is_none() {
            bail!(
                "field {} changed type from {} to {}, which the store keeps as {} instead of {}; \
                 restore the old type, or declare the new type under a new field name (the old column keeps its data)",
                field.name,
                old.field_type,
                field.field_type.name(),
                column_type,
                old.column_type
            );
        }
    }

    if recorded.name != entity.name {
        let sql = format!("ALTER TABLE {} RENAME TO {}", quote(&table_name(&recorded.name)), schema::table(entity));
        client.batch_execute(&sql).await.with_context(|| format!("cannot rename the table of {}", recorded.name))?;
        recorded.name = entity.name.clone();
    }
    let table = schema::table(entity);
    for field in &entity.fields {
        match recorded.fields.iter_mut().find(|old| old.name.eq_ignore_ascii_case(&field.name)) {
            Some(old) => {
                if old.name != field.name {
                    let sql =
                        format!("ALTER TABLE {table} RENAME COLUMN {} TO {}", quote(&old.name), quote(&field.name));
                    client.batch_execute(&sql).await.with_context(|| format!("cannot rename column {}", old.name))?;
                    old.name = field.name.clone();
                }
                let column_type = sql_type(&field.field_type);
                if let Some(using) = conversion(&old.column_type, column_type, &field.name) {
                    let sql = format!(
                        "ALTER TABLE {table} ALTER COLUMN {} TYPE {column_type} USING {using}",
                        quote(&field.name)
                    );
                    client.batch_execute(&sql).await.with_context(|| {
                        format!(
                            "field {} changed type from {} to {}, and a stored value does not convert; \
                             correct the stored values, or restore the old type",
                            field.name,
                            old.field_type,
                            field.field_type.name()
                        )
                    })?;
                    old.column_type = column_type.to_owned();
                }
                // A field that comes back after removal finds its old column, data included.
                old.removed = false;
                old.field_type = field.field_type.name().to_owned();
            }
            None => {
                add_column(client, &table, field)
                    .await
                    .with_context(|| format!("cannot add a column for field {}", field.name))?;
                recorded.fields.push(RecordedField {
                    name: field.name.clone(),
                    field_type: field.field_type.name().to_owned(),
                    column_type: sql_type(&field.field_type).to_owned(),
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
    migrate_indexes(client, entity, &mut recorded.indexes).await?;
    Ok(recorded)
}

/// How a column of `old_type` becomes `new_type` (the `USING` expression over `column`), for
/// the type changes SQLite allows because both types store in one of its storage classes: a
/// string becoming a decimal (text and `numeric`), an integer becoming a boolean (`bigint` and
/// `boolean`), and back. `None` for the same type, and for changes SQLite refuses too.
fn conversion(old_type: &str, new_type: &str, column: &str) -> Option<String> {
    let column = quote(column);
    match (old_type, new_type) {
        ("text", "numeric") => Some(format!("{column}::numeric")),
        ("numeric", "text") => Some(format!("{column}::text")),
        ("bigint", "boolean") => Some(format!("{column} <> 0")),
        ("boolean", "bigint") => Some(format!("{column}::integer::bigint")),
        _ => None,
    }
}

/// Drops the recorded secondary indexes the definition no longer declares and creates the
/// newly declared ones. Run after new columns are added, which a new index may cover.
async fn migrate_indexes(client: &Transaction<'_>, entity: &Entity, recorded: &mut Vec<String>) -> Result<()> {
    let declared: Vec<(String, &[usize])> =
        entity.indexes.iter().map(|index| (secondary_index(entity, index), index.as_slice())).collect();
    for old in recorded.iter() {
        if !declared.iter().any(|(name, _)| name.eq_ignore_ascii_case(old)) {
            client
                .batch_execute(&format!("DROP INDEX IF EXISTS {}", quote(&index_name(old))))
                .await
                .with_context(|| format!("cannot drop the index {old}"))?;
        }
    }
    for (name, index) in &declared {
        if !recorded.iter().any(|old| old.eq_ignore_ascii_case(name)) {
            create_index(client, entity, name, index).await?;
        }
    }
    *recorded = declared.into_iter().map(|(name, _)| name).collect();
    Ok(())
}

/// Adds the column of a new field. Existing rows get the field's default, set by an `UPDATE`
/// with the default as a parameter rather than spliced into `ALTER TABLE … DEFAULT` text.
/// The fill is a schema change, not a change of the rows' data, so it keeps their versions.
async fn add_column(client: &Transaction<'_>, table: &str, field: &Field) -> Result<()> {
    let column = quote(&field.name);
    let sql_type = sql_type(&field.field_type);
    client.batch_execute(&format!("ALTER TABLE {table} ADD COLUMN {column} {sql_type}")).await?;
    if let Some(default) = &field.default {
        client.execute(&format!("UPDATE {table} SET {column} = $1"), &[&Parameter(default.as_ref())]).await?;
    }
    Ok(())
}

#[cfg(test)]
pub(super) mod tests {
    use std::sync::{Arc, Barrier};

    use wharf_plugin_sdk::{BatchBuilder, Value};

    use super::*;
    use crate::backend::{Postgres, testing};
    use crate::store::{ReadQuery, Store, Upserted};

    /// A definition of an entity shared by all companies, keyed by its first field.
    pub(in crate::store::postgres) fn definition(name: &str, fields: &[(&str, &str)], indexes: &str) -> String {
        let key = fields.first().map_or("", |(field, _)| field);
        let mut text = format!("name = \"{name}\"\ncompany = false\nkey = [\"{key}\"]\nindexes = {indexes}\n");
        for (field, field_type) in fields {
            text.push_str(&format!("\n[[field]]\nname = \"{field}\"\ntype = \"{field_type}\"\n"));
        }
        text
    }

    pub(in crate::store::postgres) fn catalog(definitions: &[&str]) -> Catalog {
        let entities = definitions.iter().map(|text| Entity::parse(text, "test.toml").expect("valid definition"));
        Catalog::new(entities.collect()).expect("valid catalog")
    }

    /// `count` replicas of one deployment: stores on pools of their own, in one fresh schema.
    pub(in crate::store::postgres) fn replicas(count: usize) -> Vec<(Postgres, Store)> {
        let url = testing::scratch().expect("a PostgreSQL schema for the test");
        (0..count)
            .map(|_| {
                let postgres = Postgres::connect_blocking(&url, 2).expect("the database connects");
                let store = Store::on_postgres(&postgres).expect("store opens");
                (postgres, store)
            })
            .collect()
    }

    /// The names of the indexes on table `table`.
    fn index_names(postgres: &Postgres, table: &str) -> Vec<String> {
        postgres
            .wait(async {
                let client = postgres.client().await?;
                let rows = client
                    .query(
                        "SELECT indexname FROM pg_indexes WHERE schemaname = current_schema() AND tablename = $1
                         ORDER BY indexname",
                        &[&table],
                    )
                    .await?;
                Ok(rows.iter().map(|row| row.get(0)).collect())
            })
            .expect("index names")
    }

    pub(in crate::store::postgres) fn upsert(store: &Store, entity: &Entity, rows: &[Vec<Value>]) -> (Upserted, u64) {
        let mut builder = BatchBuilder::new(entity.fields.iter().map(|field| field.name.clone()));
        for row in rows {
            builder.push_row(&row.iter().map(Value::as_ref).collect::<Vec<_>>());
        }
        let mut writer = store.writer().expect("writer");
        let mut transaction = writer.transaction().expect("transaction");
        let upserted = transaction.upsert(entity, &builder.finish()).expect("upsert");
        (upserted, transaction.commit().expect("commit"))
    }

    pub(in crate::store::postgres) fn read_all(store: &Store, entity: &Entity) -> Vec<Vec<Value>> {
        let query = ReadQuery { since_version: None, company: None, batch_size: 100 };
        let mut rows = Vec::new();
        for batch in store.read(entity, &query).expect("read") {
            let batch = batch.expect("batch");
            for row in batch.rows() {
                rows.push((0..batch.columns().len()).map(|column| row.value(column).to_owned()).collect());
            }
        }
        rows
    }

    #[test]
    fn replicas_preparing_at_once_take_turns_and_all_find_the_tables() {
        let replicas = replicas(4);
        let names: Vec<String> = (0..5).map(|n| format!("Thing{n}")).collect();
        let definitions: Vec<String> = names
            .iter()
            .map(|name| definition(name, &[("Code", "string"), ("Amount", "decimal")], "[[\"Amount\"]]"))
            .collect();
        let catalog = Arc::new(catalog(&definitions.iter().map(String::as_str).collect::<Vec<_>>()));
        let barrier = Arc::new(Barrier::new(replicas.len()));
        let threads: Vec<_> = replicas
            .iter()
            .map(|(_, store)| {
                let (store, catalog, barrier) = (store.clone(), catalog.clone(), barrier.clone());
                std::thread::spawn(move || {
                    barrier.wait();
                    store.prepare(&catalog)
                })
            })
            .collect();
        for thread in threads {
            thread.join().expect("thread").expect("every replica prepares");
        }
        for (_, store) in &replicas {
            for name in &names {
                let entity = store.catalog().require(name).expect("prepared").as_ref().clone();
                assert_eq!(store.count(&entity, None).expect("count"), 0);
            }
        }
        let (postgres, _) = &replicas[0];
        assert_eq!(index_names(postgres, "entity_Thing0").len(), 4, "primary key, key, version and one declared index");
    }

    #[test]
    fn index_names_longer_than_postgresql_keeps_stay_distinct_and_follow_the_definition() {
        let replicas = replicas(1);
        let (postgres, store) = &replicas[0];
        let name = "AVeryLongEntityNameForTestingIdentifierLimits";
        let fields = [
            ("Code", "string"),
            ("AVeryLongFieldNameThatFillsTheIndexNameA", "string"),
            ("AVeryLongFieldNameThatFillsTheIndexNameB", "string"),
        ];
        let both = definition(
            name,
            &fields,
            r#"[["AVeryLongFieldNameThatFillsTheIndexNameA"], ["AVeryLongFieldNameThatFillsTheIndexNameB"]]"#,
        );
        store.prepare(&catalog(&[&both])).expect("prepared");
        let table = format!("entity_{name}");
        let before = index_names(postgres, &table);
        assert_eq!(before.len(), 5, "primary key, key, version and both declared indexes: {before:?}");
        assert!(before.iter().all(|index| index.len() <= IDENTIFIER_MAX), "{before:?}");

        let one = definition(name, &fields, r#"[["AVeryLongFieldNameThatFillsTheIndexNameB"]]"#);
        store.prepare(&catalog(&[&one])).expect("migrated");
        let after = index_names(postgres, &table);
        assert_eq!(after.len(), 4, "the undeclared index is dropped: {after:?}");
        assert!(after.iter().all(|index| before.contains(index)), "the kept index is the same one");
    }

    #[test]
    fn an_entity_name_too_long_for_postgresql_is_refused_and_changes_nothing() {
        let replicas = replicas(1);
        let (_, store) = &replicas[0];
        let short = definition("Short", &[("Code", "string")], "[]");
        let long = definition(&"L".repeat(57), &[("Code", "string")], "[]");
        let message = format!("{:#}", store.prepare(&catalog(&[&short, &long])).expect_err("too long"));
        assert!(message.contains("is 64 bytes long, longer than the 63 PostgreSQL keeps"), "{message}");
        assert!(message.contains("give the entity a name of at most 56 bytes"), "{message}");
        assert!(store.catalog().get("Short").is_none(), "a refused catalog is not kept");
        store.prepare(&catalog(&[&short])).expect("nothing of the refused catalog is left");
        let fitting = definition(&"L".repeat(56), &[("Code", "string")], "[]");
        store.prepare(&catalog(&[&fitting])).expect("56 bytes fit");
    }

    #[test]
    fn a_name_whose_case_changed_keeps_its_table_its_columns_and_their_data() {
        let replicas = replicas(1);
        let (_, store) = &replicas[0];
        let before = definition("Customer", &[("Code", "string"), ("Amount", "decimal")], r#"[["Amount"]]"#);
        store.prepare(&catalog(&[&before])).expect("prepared");
        let entity = store.catalog().require("Customer").expect("prepared").as_ref().clone();
        let row = vec![Value::String("C1".into()), Value::Decimal("1.50".into())];
        upsert(store, &entity, std::slice::from_ref(&row));

        let after = definition("CUSTOMER", &[("CODE", "string"), ("amount", "decimal")], r#"[["amount"]]"#);
        store.prepare(&catalog(&[&after])).expect("renamed");
        let renamed = store.catalog().require("CUSTOMER").expect("prepared").as_ref().clone();
        assert_eq!(read_all(store, &renamed), [row]);
        store.prepare(&catalog(&[&before])).expect("and back");
    }

    #[test]
    fn a_type_change_within_a_sqlite_storage_class_converts_the_column_or_is_refused_whole() {
        let replicas = replicas(1);
        let (_, store) = &replicas[0];
        let fields = |amount: &str, flag: &str| {
            definition("Thing", &[("Code", "string"), ("Amount", amount), ("Flag", flag)], "[]")
        };
        let before = fields("string", "integer");
        store.prepare(&catalog(&[&before])).expect("prepared");
        let entity = store.catalog().require("Thing").expect("prepared").as_ref().clone();
        let rows = [
            vec![Value::String("A".into()), Value::String("1.50".into()), Value::Integer(3)],
            vec![Value::String("B".into()), Value::String("-2".into()), Value::Integer(0)],
        ];
        upsert(store, &entity, &rows);

        let after = fields("decimal", "boolean");
        store.prepare(&catalog(&[&after])).expect("string to decimal and integer to boolean convert");
        let converted = store.catalog().require("Thing").expect("prepared").as_ref().clone();
        assert_eq!(
            read_all(store, &converted),
            [
                vec![Value::String("A".into()), Value::Decimal("1.50".into()), Value::Boolean(true)],
                vec![Value::String("B".into()), Value::Decimal("-2".into()), Value::Boolean(false)],
            ]
        );
        store.prepare(&catalog(&[&before])).expect("and back");
        let restored = store.catalog().require("Thing").expect("prepared").as_ref().clone();
        let text_row = vec![Value::String("C".into()), Value::String("not a number".into()), Value::Integer(1)];
        upsert(store, &restored, &[text_row]);

        let message = format!("{:#}", store.prepare(&catalog(&[&after])).expect_err("a value does not convert"));
        assert!(
            message.contains("field Amount changed type from string to decimal, and a stored value does not convert"),
            "{message}"
        );
        assert_eq!(read_all(store, &restored).len(), 3, "nothing changed");
        assert_eq!(store.catalog().require("Thing").expect("prepared").as_ref(), &restored);
    }
}
