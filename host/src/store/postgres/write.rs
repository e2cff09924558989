//! Writing entity rows on PostgreSQL: one transaction per batch, each with a new version,
//! upserting rows by key and recording the batch's rejected records alongside them.
//!
//! A batch's rows go to the server as one array per field, bound in binary, and into the
//! entity's table with one set-based `INSERT … SELECT … FROM unnest(…) ON CONFLICT` per run
//! of rows. Rows whose values are all unchanged are not written, so they keep their versions
//! and readers of changes do not see them again.
//!
//! Why arrays rather than `COPY` into a temporary staging table: a staging table that empties
//! itself at commit (`ON COMMIT DELETE ROWS`) is truncated at every commit of a transaction
//! that touched any temporary table, with every other such table of the connection, and that
//! cost (milliseconds per table) grew with each entity a writer had written. Arrays need no
//! table and no per-connection state, took as long as `COPY` for batches of 5,000 rows and
//! were several times faster for batches of one.

use std::collections::{HashMap, HashSet};
use std::fmt;

use anyhow::{Context as _, Result, bail};
use deadpool_postgres::Object;
use tokio_postgres::types::ToSql;
use wharf_plugin_sdk::{Batch, ValueRef};

use super::values::{Parameter, is_decimal, sql_type};
use super::{Database, check_lease};
use crate::entity::{Entity, FieldType};
use crate::store::schema::{self, CREATED_COLUMN, ROW_COLUMN, VERSION_COLUMN, quote};
use crate::store::values::{check_cell, check_columns};
use crate::store::{Lease, RecordError, Upserted, sql_version, stored_version};

/// Takes the next version. The row lock it takes is held until the transaction ends, so
/// writers on every replica take turns here and versions follow commit order.
const NEXT_VERSION: &str = "UPDATE store_meta SET value = value + 1 WHERE name = 'version' RETURNING value";

/// The most rows one statement merges: longer runs are merged in parts, so that the arrays
/// of one statement stay a few megabytes however large the batch (a copy to target
/// upserts all of an execution's rows at once).
const ROWS_PER_STATEMENT: usize = 10_000;

/// A pooled connection for one writer thread; each [`transaction`](Self::transaction) is one
/// batch.
pub(in crate::store) struct Writer {
    pub(super) database: Database,
    pub(super) client: Object,
    /// The lease every transaction must still hold when it commits.
    lease: Option<Lease>,
}

impl fmt::Debug for Writer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Writer").finish_non_exhaustive()
    }
}

impl Database {
    pub(in crate::store) fn writer(&self) -> Result<Writer> {
        let client = self.postgres.wait(self.postgres.client())?;
        Ok(Writer { database: self.clone(), client, lease: None })
    }
}

impl Writer {
    /// Makes every transaction from now on commit only while `lease` is held.
    pub(in crate::store) fn hold(&mut self, lease: Lease) {
        self.lease = Some(lease);
    }

    /// Starts a write transaction with a new version. It waits while another writer, on this
    /// replica or another, holds a version not yet committed.
    pub(in crate::store) fn transaction(&mut self) -> Result<WriteBatch<'_>> {
        let Writer { database, client, lease } = self;
        let (transaction, version) = database.postgres.wait(async {
            // A writer thread keeps its writer for as long as it runs: when the database
            // dropped the connection (a restart, a failover), it takes a new one rather than
            // fail every batch from then on.
            if client.is_closed() {
                *client = database.postgres.client().await?;
            }
            let transaction = client.transaction().await.context("cannot start a write transaction")?;
            let next_version = transaction.prepare_cached(NEXT_VERSION).await.context("cannot take a new version")?;
            let row = transaction.query_one(&next_version, &[]).await.context("cannot take a new version")?;
            let version: i64 = row.try_get(0).context("cannot take a new version")?;
            Ok((transaction, version))
        })?;
        Ok(WriteBatch {
            database,
            transaction,
            version: stored_version(version)?,
            lease: lease.as_ref(),
            inserted_rows: HashMap::new(),
        })
    }
}

/// One write transaction: the rows of a batch, its rejected records and its staged rows.
/// Dropped uncommitted, it rolls back (the driver sends `ROLLBACK` before the connection's
/// next statement).
pub(in crate::store) struct WriteBatch<'w> {
    pub(super) database: &'w Database,
    pub(super) transaction: deadpool_postgres::Transaction<'w>,
    pub(super) version: u64,
    /// The lease the transaction must still hold when it commits.
    lease: Option<&'w Lease>,
    /// Row ids inserted by this transaction, per entity, to tell a row inserted earlier in
    /// the same transaction (a key repeated within the batch) from one inserted just now.
    inserted_rows: HashMap<String, HashSet<i64>>,
}

impl fmt::Debug for WriteBatch<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WriteBatch").field("version", &self.version).finish_non_exhaustive()
    }
}

impl WriteBatch<'_> {
    pub(in crate::store) fn version(&self) -> u64 {
        self.version
    }

    /// Inserts or updates `rows` by key, as [`crate::store::WriteBatch::upsert`] describes.
    ///
    /// PostgreSQL refuses to touch one row twice in one `INSERT … ON CONFLICT`, so the rows are
    /// merged in runs without a repeated key, in order: a repeated key starts a new run, which
    /// then sees the row its first appearance wrote.
    pub(in crate::store) fn upsert(&mut self, entity: &Entity, rows: &Batch) -> Result<Upserted> {
        self.database.check_prepared(entity)?;
        check_columns(entity, rows)?;
        let runs = checked_runs(entity, rows)?;
        if rows.is_empty() {
            return Ok(Upserted::default());
        }
        let version = sql_version(self.version)?;
        let database = self.database;
        database.postgres.wait(async {
            let transaction = &self.transaction;
            let statement = transaction
                .prepare_cached(&merge_sql(entity))
                .await
                .with_context(|| format!("cannot prepare the upsert of {}", entity.name))?;
            let inserted_rows = self.inserted_rows.entry(entity.name.clone()).or_default();
            let mut upserted = Upserted::default();
            let mut start = 0;
            for end in runs {
                // One array per field, of the run's values in order.
                let mut columns: Vec<Vec<Parameter<'_>>> =
                    entity.fields.iter().map(|_| Vec::with_capacity(end - start)).collect();
                for row in rows.rows().skip(start).take(end - start) {
                    for (column, values) in columns.iter_mut().enumerate() {
                        values.push(Parameter(row.value(column)));
                    }
                }
                let mut parameters: Vec<&(dyn ToSql + Sync)> = Vec::with_capacity(1 + columns.len());
                parameters.push(&version);
                parameters.extend(columns.iter().map(|values| values as &(dyn ToSql + Sync)));
                let returned = transaction
                    .query(&statement, &parameters)
                    .await
                    .with_context(|| format!("cannot write records {} to {end} of {}", start + 1, entity.name))?;
                for row in &returned {
                    let row_id: i64 = row.try_get(0)?;
                    let created: i64 = row.try_get(1)?;
                    if created == version && inserted_rows.insert(row_id) {
                        upserted.inserted += 1;
                    } else {
                        upserted.updated += 1;
                    }
                }
                // Rows whose update found every field equal were not written and returned nothing.
                upserted.unchanged += (end - start).saturating_sub(returned.len()) as u64;
                start = end;
            }
            Ok(upserted)
        })
    }

    /// Records rejected records of `execution` in this transaction, in their order, with one
    /// statement.
    pub(in crate::store) fn record_errors(&mut self, execution: &str, errors: &[RecordError]) -> Result<()> {
        if errors.is_empty() {
            return Ok(());
        }
        let entities: Vec<&str> = errors.iter().map(|error| error.entity.as_str()).collect();
        let records = errors
            .iter()
            .map(|error| {
                i64::try_from(error.record).with_context(|| format!("record number {} is too large", error.record))
            })
            .collect::<Result<Vec<i64>>>()?;
        let fields: Vec<Option<&str>> = errors.iter().map(|error| error.field.as_deref()).collect();
        let messages: Vec<&str> = errors.iter().map(|error| error.message.as_str()).collect();
        self.database
            .postgres
            .wait(async {
                self.transaction
                    .execute(
                        "INSERT INTO store_execution_errors (execution, entity, record, field, message)
                         SELECT $1, entity, record, field, message
                         FROM unnest($2::text[], $3::bigint[], $4::text[], $5::text[])
                              WITH ORDINALITY AS error (entity, record, field, message, place)
                         ORDER BY place",
                        &[&execution, &entities, &records, &fields, &messages],
                    )
                    .await?;
                Ok(())
            })
            .with_context(|| format!("cannot record {} record errors of execution {execution}", errors.len()))
    }

    /// Commits the transaction and returns its version.
    pub(in crate::store) fn commit(self) -> Result<u64> {
        let WriteBatch { database, transaction, version, lease, .. } = self;
        database
            .postgres
            .wait(async {
                if let Some(lease) = lease {
                    check_lease(&transaction, lease).await?;
                }
                Ok(transaction.commit().await?)
            })
            .with_context(|| format!("cannot commit version {version}"))?;
        Ok(version)
    }
}

/// Checks every row of `rows` as the SQLite store does (with the same messages) and splits
/// them into runs without a repeated key, of at most [`ROWS_PER_STATEMENT`] rows: the index
/// after each run's last row, in order.
fn checked_runs(entity: &Entity, rows: &Batch) -> Result<Vec<usize>> {
    let mut runs = Vec::new();
    let mut keys: HashSet<Vec<KeyPart<'_>>> = HashSet::new();
    for (index, row) in rows.rows().enumerate() {
        let record = index + 1;
        for (column, field) in entity.fields.iter().enumerate() {
            let value = row.value(column);
            check_cell(entity, record, column, value)?;
            if let ValueRef::Decimal(text) = value
                && !is_decimal(text)
            {
                bail!(
                    "record {record} of {}: field {} has {text:?}, which is not a decimal number",
                    entity.name,
                    field.name
                );
            }
            // PostgreSQL's text cannot hold the NUL character; refused here, the error names the record.
            if let ValueRef::String(text) | ValueRef::Date(text) | ValueRef::DateTime(text) = value
                && text.contains('\0')
            {
                bail!(
                    "record {record} of {}: field {} holds a NUL character, which PostgreSQL cannot store",
                    entity.name,
                    field.name
                );
            }
        }
        let key: Vec<KeyPart<'_>> = entity.key.iter().map(|&column| KeyPart::of(row.value(column))).collect();
        if keys.contains(&key) || keys.len() == ROWS_PER_STATEMENT {
            runs.push(index);
            keys.clear();
        }
        keys.insert(key);
    }
    runs.push(rows.len());
    Ok(runs)
}

/// One key field's value as the unique index compares it: decimals by their number
/// (`1.50` and `1.5` are one key to `numeric`), everything else as it is.
#[derive(Debug, PartialEq, Eq, Hash)]
enum KeyPart<'a> {
    Null,
    Text(&'a str),
    Integer(i64),
    Boolean(bool),
    Number { negative: bool, whole: &'a str, fraction: &'a str },
    Float(u64),
}

impl<'a> KeyPart<'a> {
    fn of(value: ValueRef<'a>) -> KeyPart<'a> {
        match value {
            ValueRef::Null => KeyPart::Null,
            ValueRef::String(text) | ValueRef::Date(text) | ValueRef::DateTime(text) => KeyPart::Text(text),
            ValueRef::Integer(number) => KeyPart::Integer(number),
            ValueRef::Boolean(flag) => KeyPart::Boolean(flag),
            ValueRef::Float(number) => KeyPart::Float(number.to_bits()),
            ValueRef::Decimal(text) => {
                let (negative, unsigned) = text.strip_prefix('-').map_or((false, text), |unsigned| (true, unsigned));
                let (whole, fraction) = unsigned.split_once('.').unwrap_or((unsigned, ""));
                let (whole, fraction) = (whole.trim_start_matches('0'), fraction.trim_end_matches('0'));
                // Zero is zero whatever its sign.
                let negative = negative && !(whole.is_empty() && fraction.is_empty());
                KeyPart::Number { negative, whole, fraction }
            }
        }
    }
}

/// `INSERT … SELECT` the rows of one run, given as one array per field (`$2`, `$3`, …), in
/// their order, with version `$1`, `ON CONFLICT (key) DO UPDATE … WHERE <a field differs>
/// RETURNING _row, _created`. An unchanged row fails the `WHERE`, is not written (it keeps its
/// version) and returns nothing. Decimals differ when their text does (`1.5` → `1.50` is a
/// change, as on SQLite: the row reads back differently).
fn merge_sql(entity: &Entity) -> String {
    let table = schema::table(entity);
    let columns = schema::column_list(entity);
    let arrays: Vec<String> = entity
        .fields
        .iter()
        .enumerate()
        .map(|(position, field)| format!("${}::{}[]", position + 2, sql_type(&field.field_type)))
        .collect();
    let non_key: Vec<(&str, &FieldType)> = entity
        .fields
        .iter()
        .enumerate()
        .filter(|(index, _)| !entity.key.contains(index))
        .map(|(_, field)| (field.name.as_str(), &field.field_type))
        .collect();
    let (version, created, row) = (quote(VERSION_COLUMN), quote(CREATED_COLUMN), quote(ROW_COLUMN));
    // Field names cannot hold a space, so this column never meets a field.
    let order = quote("row order");
    let on_conflict = if non_key.is_empty() {
        // Only key fields: an existing row cannot differ.
        "DO NOTHING".to_owned()
    } else {
        let assignments: Vec<String> =
            non_key.iter().map(|(name, _)| format!("{column} = excluded.{column}", column = quote(name))).collect();
        let compared = |source: &str| -> String {
            let columns: Vec<String> = non_key
                .iter()
                .map(|(name, field_type)| match field_type {
                    FieldType::Decimal { .. } => format!("{source}.{}::text", quote(name)),
                    _ => format!("{source}.{}", quote(name)),
                })
                .collect();
            format!("ROW({})", columns.join(", "))
        };
        format!(
            "DO UPDATE SET {}, {version} = excluded.{version} WHERE {} IS DISTINCT FROM {}",
            assignments.join(", "),
            compared("target"),
            compared("excluded")
        )
    };
    format!(
        "INSERT INTO {table} AS target ({columns}, {version}, {created}) \
         SELECT {columns}, $1::bigint, $1::bigint \
         FROM unnest({arrays}) WITH ORDINALITY AS batch ({columns}, {order}) ORDER BY {order} \
         ON CONFLICT ({key}) {on_conflict} RETURNING {row}, {created}",
        arrays = arrays.join(", "),
        key = schema::key_list(entity),
    )
}

#[cfg(test)]
mod tests {
    use std::sync::mpsc;
    use std::time::{Duration, Instant};

    use wharf_plugin_sdk::{BatchBuilder, Value};

    use super::super::tables::tests::{catalog, definition, read_all, replicas, upsert};
    use super::*;
    use crate::store::{ReadQuery, Store};

    fn prepared(store: &Store, definition: &str) -> Entity {
        let catalog = catalog(&[definition]);
        store.prepare(&catalog).expect("prepared");
        catalog.iter().next().expect("one entity").as_ref().clone()
    }

    fn counts(inserted: u64, updated: u64, unchanged: u64) -> Upserted {
        Upserted { inserted, updated, unchanged }
    }

    fn row(code: &str, amount: &str) -> Vec<Value> {
        vec![Value::String(code.into()), Value::Decimal(amount.into())]
    }

    #[test]
    fn writers_of_two_replicas_take_turns_and_versions_follow_commit_order() {
        let replicas = replicas(2);
        let text = definition("Thing", &[("Code", "string"), ("Amount", "decimal")], "[]");
        let (first, second) = (&replicas[0].1, &replicas[1].1);
        let entity = prepared(first, &text);
        prepared(second, &text);

        let mut writer = first.writer().expect("writer");
        let mut transaction = writer.transaction().expect("transaction");
        let batch = |rows: &[Vec<Value>]| {
            let mut builder = BatchBuilder::new(["Code", "Amount"]);
            for row in rows {
                builder.push_row(&row.iter().map(Value::as_ref).collect::<Vec<_>>());
            }
            builder.finish()
        };
        transaction.upsert(&entity, &batch(&[row("FIRST", "1")])).expect("upsert");

        let (started, waiting) = mpsc::channel();
        let other = std::thread::spawn({
            let (store, entity) = (second.clone(), entity.clone());
            move || {
                let mut writer = store.writer().expect("writer");
                let mut transaction = writer.transaction().expect("transaction");
                started.send(transaction.version()).expect("sent");
                transaction.upsert(&entity, &batch(&[row("SECOND", "2")])).expect("upsert");
                transaction.commit().expect("commit")
            }
        });
        assert!(
            waiting.recv_timeout(Duration::from_millis(300)).is_err(),
            "the other replica's writer waits while a version is taken and not committed"
        );
        let version = transaction.commit().expect("commit");
        let other_version = other.join().expect("thread");
        assert_eq!(waiting.recv().expect("started"), other_version);
        assert_eq!(other_version, version + 1, "the version taken after the first commit is the next one");

        let codes = |since| {
            let query = ReadQuery { since_version: Some(since), company: None, batch_size: 1 };
            let batches = second.read(&entity, &query).expect("read");
            batches
                .flat_map(|batch| batch.expect("batch").rows().map(|row| row.value(0).to_string()).collect::<Vec<_>>())
                .collect::<Vec<_>>()
        };
        assert_eq!(codes(version - 1), ["FIRST", "SECOND"]);
        assert_eq!(codes(version), ["SECOND"]);
    }

    #[test]
    fn decimals_of_28_digits_read_back_exactly_and_their_written_scale_counts() {
        let replicas = replicas(1);
        let store = &replicas[0].1;
        let entity = prepared(store, &definition("Thing", &[("Code", "string"), ("Amount", "decimal")], "[]"));
        let rows = [
            row("A", "1234567890123456789.123456789"),
            row("B", "-9999999999999999999999999999"),
            row("C", "0.0000000000000000000000000001"),
            row("D", "-0.000"),
            row("E", "1.50"),
            row("F", "100000000"),
        ];
        assert_eq!(upsert(store, &entity, &rows).0, counts(6, 0, 0));
        let mut expected = rows.to_vec();
        expected[3] = row("D", "0.000");
        assert_eq!(read_all(store, &entity), expected, "every digit and the written scale come back; zero has no sign");

        assert_eq!(upsert(store, &entity, &[row("E", "1.50")]).0, counts(0, 0, 1));
        assert_eq!(
            upsert(store, &entity, &[row("E", "1.5")]).0,
            counts(0, 1, 0),
            "a change of scale reads back differently"
        );
        assert_eq!(read_all(store, &entity).last(), Some(&row("E", "1.5")));

        let mut writer = store.writer().expect("writer");
        let mut transaction = writer.transaction().expect("transaction");
        let mut builder = BatchBuilder::new(["Code", "Amount"]);
        builder.push_row(&["G".into(), ValueRef::Decimal("1e5")]);
        let error = transaction.upsert(&entity, &builder.finish()).expect_err("not a decimal");
        assert_eq!(error.to_string(), "record 1 of Thing: field Amount has \"1e5\", which is not a decimal number");
    }

    #[test]
    fn a_key_repeated_in_every_row_is_written_in_order_without_rescanning_the_batch() {
        let replicas = replicas(1);
        let store = &replicas[0].1;
        let entity = prepared(store, &definition("Thing", &[("Code", "string"), ("Amount", "decimal")], "[]"));
        // Alternating values: every row after the first changes the row.
        let rows: Vec<_> = (0..3_000).map(|n| row("SAME", if n % 2 == 0 { "1" } else { "2" })).collect();
        let started = Instant::now();
        assert_eq!(upsert(store, &entity, &rows).0, counts(1, 2_999, 0));
        assert!(started.elapsed() < Duration::from_secs(20), "took {:?}", started.elapsed());
        assert_eq!(read_all(store, &entity), [row("SAME", "2")]);
    }

    #[test]
    fn decimal_keys_that_are_one_number_are_one_row() {
        let replicas = replicas(1);
        let store = &replicas[0].1;
        let entity = prepared(store, &definition("Rate", &[("Level", "decimal"), ("Name", "string")], "[]"));
        let rows = [
            vec![Value::Decimal("1.5".into()), Value::String("first".into())],
            vec![Value::Decimal("1.50".into()), Value::String("second".into())],
            vec![Value::Decimal("-0".into()), Value::String("zero".into())],
            vec![Value::Decimal("0.00".into()), Value::String("zero".into())],
        ];
        assert_eq!(upsert(store, &entity, &rows).0, counts(2, 1, 1));
        let stored = read_all(store, &entity);
        assert_eq!(stored.len(), 2);
        assert_eq!(stored[0][1], Value::String("second".into()));
    }

    #[test]
    fn a_writer_writes_again_after_a_transaction_failed_or_was_dropped() {
        let replicas = replicas(1);
        let store = &replicas[0].1;
        let entity = prepared(store, &definition("Thing", &[("Code", "string"), ("Amount", "decimal")], "[]"));
        let batch = |rows: &[Vec<Value>]| {
            let mut builder = BatchBuilder::new(["Code", "Amount"]);
            for row in rows {
                builder.push_row(&row.iter().map(Value::as_ref).collect::<Vec<_>>());
            }
            builder.finish()
        };
        let mut writer = store.writer().expect("writer");
        {
            let mut transaction = writer.transaction().expect("transaction");
            transaction.upsert(&entity, &batch(&[row("GONE", "1")])).expect("upsert");
        }
        {
            let mut transaction = writer.transaction().expect("transaction");
            let error = transaction.upsert(&entity, &batch(&[row("OK", "1"), row("BAD\0", "2")])).expect_err("NUL");
            assert_eq!(
                error.to_string(),
                "record 2 of Thing: field Code holds a NUL character, which PostgreSQL cannot store"
            );
        }
        {
            // A statement the database refuses (a key past the unique index's size limit)
            // aborts the transaction; dropping it rolls back.
            let mut transaction = writer.transaction().expect("transaction");
            let mut seed = 1u64;
            let huge: String = (0..20_000)
                .map(|_| {
                    seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
                    char::from(b'a' + u8::try_from(seed >> 59).unwrap_or(0))
                })
                .collect();
            let error = transaction.upsert(&entity, &batch(&[row(&huge, "1")])).expect_err("the index refuses the key");
            assert!(format!("{error:#}").contains("index row"), "{error:#}");
        }
        let mut transaction = writer.transaction().expect("the writer is usable again");
        let upserted = transaction.upsert(&entity, &batch(&[row("KEPT", "1"), row("KEPT", "2")])).expect("upsert");
        assert_eq!(upserted, counts(1, 1, 0));
        transaction.commit().expect("commit");
        assert_eq!(read_all(store, &entity), [row("KEPT", "2")]);
        assert_eq!(store.count(&entity, None).expect("count"), 1);
    }

    #[test]
    fn an_entity_of_only_key_fields_inserts_new_keys_and_leaves_known_ones() {
        let replicas = replicas(1);
        let store = &replicas[0].1;
        let entity = prepared(store, &definition("Tag", &[("Code", "string")], "[]"));
        let tags = |codes: &[&str]| codes.iter().map(|code| vec![Value::String((*code).into())]).collect::<Vec<_>>();
        assert_eq!(upsert(store, &entity, &tags(&["A", "B", "A"])).0, counts(2, 0, 1));
        let (upserted, version) = upsert(store, &entity, &tags(&["B", "C"]));
        assert_eq!(upserted, counts(1, 0, 1));
        let query = ReadQuery { since_version: Some(version - 1), company: None, batch_size: 10 };
        let changed: Vec<String> = store
            .read(&entity, &query)
            .expect("read")
            .flat_map(|batch| batch.expect("batch").rows().map(|row| row.value(0).to_string()).collect::<Vec<_>>())
            .collect();
        assert_eq!(changed, ["C"], "the known key kept its version");
    }

    #[test]
    fn a_writer_whose_connection_the_database_closed_takes_a_new_one() {
        let replicas = replicas(1);
        let (postgres, store) = &replicas[0];
        prepared(store, &definition("Thing", &[("Code", "string"), ("Amount", "decimal")], "[]"));
        let database = Database::open(postgres).expect("store opens");
        let catalog = store.catalog();
        database.prepare(&catalog).expect("prepared");
        let entity = catalog.require("Thing").expect("prepared").as_ref().clone();
        let batch = |code: &str| {
            let mut builder = BatchBuilder::new(["Code", "Amount"]);
            builder.push_row(&[ValueRef::String(code), ValueRef::Decimal("1")]);
            builder.finish()
        };
        let mut writer = database.writer().expect("writer");
        let mut transaction = writer.transaction().expect("transaction");
        transaction.upsert(&entity, &batch("BEFORE")).expect("upsert");
        transaction.commit().expect("commit");

        let client = &writer.client;
        postgres
            .wait(async {
                let pid: i32 = client.query_one("SELECT pg_backend_pid()", &[]).await?.try_get(0)?;
                let other = postgres.client().await?;
                other.execute("SELECT pg_terminate_backend($1)", &[&pid]).await?;
                Ok(())
            })
            .expect("the writer's connection is closed");
        let closed = Instant::now();
        while !writer.client.is_closed() && closed.elapsed() < Duration::from_secs(5) {
            std::thread::sleep(Duration::from_millis(10));
        }
        let mut transaction = writer.transaction().expect("a transaction on a new connection");
        transaction.upsert(&entity, &batch("AFTER")).expect("upsert");
        transaction.commit().expect("commit");
        assert_eq!(store.count(&entity, None).expect("count"), 2);
    }

    #[test]
    fn runs_end_at_a_repeated_key_and_after_rows_per_statement_rows() {
        let entity = Entity::parse(&definition("Thing", &[("Code", "string")], "[]"), "Thing.toml").expect("valid");
        let codes: Vec<String> = (0..25_000).map(|n| format!("C{n}")).collect();
        let batch = |codes: &[&str]| {
            let mut builder = BatchBuilder::new(["Code"]);
            for code in codes {
                builder.push_row(&[ValueRef::String(code)]);
            }
            builder.finish()
        };
        let all: Vec<&str> = codes.iter().map(String::as_str).collect();
        assert_eq!(checked_runs(&entity, &batch(&all)).expect("runs"), [10_000, 20_000, 25_000]);
        assert_eq!(checked_runs(&entity, &batch(&["A", "B", "A", "C", "B", "B"])).expect("runs"), [2, 5, 6]);
        assert_eq!(checked_runs(&entity, &batch(&[])).expect("runs"), [0]);
    }

    /// Makes message `id` a processing one held by `receipt`, as a queue claim leaves it.
    fn claimed(postgres: &crate::backend::Postgres, id: uuid::Uuid, receipt: &str) {
        postgres.block_on(async {
            let client = postgres.client().await.expect("a connection");
            client
                .execute(
                    "INSERT INTO queue_messages (id, activity, operation, body_hash, body_size, blob, status, enqueued_at,
                                                 pop_receipt)
                     VALUES ($1, $1, 'Import', '\\x01', 1, $1, 'Processing', 0, $2)
                     ON CONFLICT (id) DO UPDATE SET pop_receipt = excluded.pop_receipt",
                    &[&id, &receipt],
                )
                .await
                .expect("the message claimed");
        });
    }

    #[test]
    fn writes_under_a_lease_commit_only_while_the_message_holds_its_receipt() {
        let replicas = replicas(1);
        let (postgres, store) = &replicas[0];
        let entity = prepared(store, &definition("Fenced", &[("Code", "string"), ("Amount", "decimal")], "[]"));
        let message = uuid::Uuid::new_v4();
        claimed(postgres, message, "first");
        let lease = Lease { message, receipt: "first".into() };
        let mut writer = store.writer().expect("writer");
        writer.hold(lease.clone());
        let batch = |rows: &[Vec<Value>]| {
            let mut builder = BatchBuilder::new(entity.fields.iter().map(|field| field.name.clone()));
            for row in rows {
                builder.push_row(&row.iter().map(Value::as_ref).collect::<Vec<_>>());
            }
            builder.finish()
        };
        let mut transaction = writer.transaction().expect("transaction");
        transaction.upsert(&entity, &batch(&[row("A", "1")])).expect("upsert");
        transaction.commit().expect("committed while the lease is held");

        // Another replica takes the message over: the first one's next batch and its outcome
        // are refused, and nothing of them is written.
        claimed(postgres, message, "second");
        let mut transaction = writer.transaction().expect("transaction");
        transaction.upsert(&entity, &batch(&[row("A", "2"), row("B", "3")])).expect("upsert");
        let error = transaction.commit().expect_err("the lease was lost");
        assert!(error.chain().any(|cause| cause.is::<crate::store::LeaseLost>()), "{error:#}");
        // Its connection back to the pool of two, for reading.
        drop(writer);
        assert_eq!(read_all(store, &entity), [row("A", "1")], "the late batch wrote nothing");
        let execution = crate::store::Execution {
            id: "late".into(),
            project: "p".into(),
            operation: crate::store::Operation::Import,
            status: crate::store::ExecutionStatus::Succeeded,
            started: "2026-12-07T00:00:00Z".into(),
            completed: Some("2026-12-07T00:00:01Z".into()),
            company: None,
            entities: Vec::new(),
        };
        let error = store.save_execution_under(&execution, Some(&lease)).expect_err("the lease was lost");
        assert!(error.chain().any(|cause| cause.is::<crate::store::LeaseLost>()), "{error:#}");
        assert_eq!(store.execution("late").expect("read"), None, "the late outcome was not saved");

        // The new holder writes.
        let mut writer = store.writer().expect("writer");
        writer.hold(Lease { message, receipt: "second".into() });
        let mut transaction = writer.transaction().expect("transaction");
        transaction.upsert(&entity, &batch(&[row("A", "2")])).expect("upsert");
        transaction.commit().expect("committed under the new lease");
        assert_eq!(read_all(store, &entity), [row("A", "2")]);
    }
}
