//! The versioned schema of the SQLite files: refinery migrations for the server database
//! (`server.db`: the queue, the clients, the release decisions; `migrations/sqlite/server/`)
//! and for the entity store's meta tables (`wharf.db`; `migrations/sqlite/store/`). The
//! tables of the entities themselves are not migrations: they follow the entity definitions
//! (`store::schema`).
//!
//! Whoever opens one of these files runs its migrations first, and several do at once: the
//! server's queue and its clients open `server.db` on connections of their own, and
//! `wharf client` may open it while the server runs. So a run happens inside one
//! `BEGIN IMMEDIATE` transaction: reading the history, applying what is missing and recording
//! it either all happen under SQLite's write lock or not at all. A second opener waits for the
//! lock (the connection's busy timeout), then finds the history current and applies nothing.
//! refinery's own rusqlite driver reads the history and applies each migration in separate
//! transactions, so two openers could both find a version missing and both apply it; this
//! module gives refinery the open transaction instead.
//!
//! A file whose history holds a version this Wharf does not have (a newer Wharf migrated it),
//! or a version whose text differs from this Wharf's, is refused at open: refinery's
//! `abort_missing` and `abort_divergent`, both on.

use anyhow::{Context as _, Result};
use refinery::error::Kind;
use refinery::{Migration, Runner};
use refinery_core::traits::sync::{Migrate, Query, Transaction};
use rusqlite::types::Type;
use rusqlite::{Connection, TransactionBehavior};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

mod server {
    refinery::embed_migrations!("migrations/sqlite/server");
}

mod store {
    refinery::embed_migrations!("migrations/sqlite/store");
}

/// Brings the server database on `connection` to this Wharf's version. Run it on every open
/// of the file, before anything reads or writes its tables.
pub fn migrate_server(connection: &mut Connection) -> Result<()> {
    migrate(connection, server::migrations::runner(), "the server database")
}

/// Brings the entity store's meta tables on `connection` to this Wharf's version. Run it on
/// every open of the file, before anything reads or writes its tables.
pub fn migrate_store(connection: &mut Connection) -> Result<()> {
    migrate(connection, store::migrations::runner(), "the entity store")
}

/// Runs `runner` on `connection` in one immediate transaction, so that the history it reads
/// is the one it writes to; `what` names the file for messages.
fn migrate(connection: &mut Connection, runner: Runner, what: &str) -> Result<()> {
    let runner = runner.set_abort_missing(true).set_abort_divergent(true);
    let transaction = connection
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .with_context(|| format!("cannot lock {what} to migrate its schema"))?;
    let report = runner.run(&mut Locked(&transaction)).map_err(|error| refused(error, what))?;
    transaction.commit().with_context(|| format!("cannot commit the migration of {what}"))?;
    for migration in report.applied_migrations() {
        tracing::info!("{what} migrated to {migration}");
    }
    Ok(())
}

/// The error for a run that failed, saying in words when the file is not this Wharf's to use.
fn refused(error: refinery::Error, what: &str) -> anyhow::Error {
    let message = match error.kind() {
        Kind::MissingVersion(migration) if migration.applied_on().is_some() => format!(
            "{what} was migrated by a newer Wharf (it has migration {migration}, which this Wharf does not know); \
             run that version or restore a backup"
        ),
        Kind::MissingVersion(migration) => format!(
            "{what} skipped migration {migration}, which it needs before the later ones it has; \
             it was migrated by a different build of Wharf"
        ),
        Kind::DivergentVersion(applied, known) => format!(
            "{what} has migration {applied} with other contents than this Wharf's {known}; \
             it was migrated by a different build of Wharf"
        ),
        _ => return anyhow::Error::new(error).context(format!("cannot migrate {what}")),
    };
    anyhow::anyhow!(message)
}

/// A connection inside the run's transaction: refinery's statements join it rather than
/// beginning transactions of their own, and a failing one leaves the whole run to roll back.
struct Locked<'a>(&'a Connection);

impl Transaction for Locked<'_> {
    type Error = rusqlite::Error;

    fn execute<'a, T: Iterator<Item = &'a str>>(&mut self, queries: T) -> Result<usize, Self::Error> {
        let mut count = 0;
        for query in queries {
            self.0.execute_batch(query)?;
            count += 1;
        }
        Ok(count)
    }
}

impl Query<Vec<Migration>> for Locked<'_> {
    /// The history's rows. A row that cannot be read is an error, not a panic: the history is a
    /// table anyone with the file can edit.
    fn query(&mut self, query: &str) -> Result<Vec<Migration>, Self::Error> {
        let unreadable = |column: usize, error: Box<dyn std::error::Error + Send + Sync>| {
            rusqlite::Error::FromSqlConversionFailure(column, Type::Text, error)
        };
        let mut statement = self.0.prepare(query)?;
        let mut rows = statement.query([])?;
        let mut applied = Vec::new();
        while let Some(row) = rows.next()? {
            let applied_on: String = row.get(2)?;
            let applied_on =
                OffsetDateTime::parse(&applied_on, &Rfc3339).map_err(|error| unreadable(2, error.into()))?;
            let checksum: String = row.get(3)?;
            let checksum = checksum.parse::<u64>().map_err(|error| unreadable(3, error.into()))?;
            applied.push(Migration::applied(row.get(0)?, row.get(1)?, applied_on, checksum));
        }
        Ok(applied)
    }
}

impl Migrate for Locked<'_> {}

#[cfg(test)]
mod tests {
    use std::path::Path;
    use std::sync::{Arc, Barrier};
    use std::time::Duration;

    use super::*;

    /// The server database's DDL as Wharf ran it at every open before the schema was versioned.
    /// The first migration is that DDL unchanged, and a released migration is never edited.
    const SERVER_DDL_BEFORE_MIGRATIONS: &str = include_str!("../../migrations/sqlite/server/V1__initial.sql");

    /// The entity store's meta DDL as Wharf ran it at every open before the schema was versioned.
    const STORE_DDL_BEFORE_MIGRATIONS: &str = include_str!("../../migrations/sqlite/store/V1__initial.sql");

    /// A connection as the openers of these files make them: WAL, and a busy timeout to wait
    /// out another writer.
    fn open(path: &Path) -> Connection {
        let connection = Connection::open(path).expect("the file opens");
        connection.busy_timeout(Duration::from_secs(30)).expect("busy timeout");
        let mode: String = connection.query_row("PRAGMA journal_mode = WAL", [], |row| row.get(0)).expect("WAL");
        assert_eq!(mode, "wal");
        connection
    }

    /// The versions and names of `runner`'s migrations, oldest first.
    fn known(runner: Runner) -> Vec<(i32, String)> {
        let mut migrations: Vec<(i32, String)> = runner
            .get_migrations()
            .iter()
            .map(|migration| (migration.version(), migration.name().to_owned()))
            .collect();
        migrations.sort();
        migrations
    }

    /// The versions and names the file's history holds, oldest first.
    fn history(connection: &Connection) -> Vec<(i32, String)> {
        let mut statement =
            connection.prepare("SELECT version, name FROM refinery_schema_history ORDER BY version").expect("history");
        let rows = statement.query_map([], |row| Ok((row.get(0)?, row.get(1)?))).expect("history");
        rows.collect::<rusqlite::Result<_>>().expect("history rows")
    }

    /// A file's tables, indexes and triggers with their SQL, and its history's rows.
    type Everything = (Vec<(String, String)>, Vec<(i32, String, String, String)>);

    /// Every table, index and trigger of the file with its SQL, and every row of the history.
    fn everything(connection: &Connection) -> Everything {
        let mut statement = connection
            .prepare("SELECT name, coalesce(sql, '') FROM sqlite_master ORDER BY type, name")
            .expect("schema");
        let schema = statement.query_map([], |row| Ok((row.get(0)?, row.get(1)?))).expect("schema");
        let schema = schema.collect::<rusqlite::Result<_>>().expect("schema rows");
        let mut statement = connection
            .prepare("SELECT version, name, applied_on, checksum FROM refinery_schema_history ORDER BY version")
            .expect("history");
        let history = statement.query_map([], |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?)));
        (schema, history.expect("history").collect::<rusqlite::Result<_>>().expect("history rows"))
    }

    fn names(connection: &Connection, kind: &str) -> Vec<String> {
        let mut statement = connection
            .prepare("SELECT name FROM sqlite_master WHERE type = ?1 AND name NOT LIKE 'sqlite_%' ORDER BY name")
            .expect("names");
        let rows = statement.query_map([kind], |row| row.get(0)).expect("names");
        rows.collect::<rusqlite::Result<_>>().expect("name rows")
    }

    #[test]
    fn an_empty_server_database_is_migrated_to_the_latest_version() {
        let directory = tempfile::tempdir().expect("temporary directory");
        let mut connection = open(&directory.path().join("server.db"));
        migrate_server(&mut connection).expect("migrated");

        assert_eq!(history(&connection), known(server::migrations::runner()));
        let tables = names(&connection, "table");
        for table in [
            "auth_clients",
            "auth_clients_changes",
            "plugin_decisions",
            "queue_blobs",
            "queue_jobs",
            "queue_messages",
            "refinery_schema_history",
        ] {
            assert!(tables.iter().any(|name| name == table), "{table} is missing from {tables:?}");
        }
        let triggers = names(&connection, "trigger");
        for trigger in ["auth_clients_deleted", "auth_clients_inserted", "auth_clients_updated"] {
            assert!(triggers.iter().any(|name| name == trigger), "{trigger} is missing from {triggers:?}");
        }
        let changes: (i64, i64) = connection
            .query_row("SELECT id, count FROM auth_clients_changes", [], |row| Ok((row.get(0)?, row.get(1)?)))
            .expect("the count of client changes is seeded");
        assert_eq!(changes, (1, 0));
    }

    #[test]
    fn an_empty_store_is_migrated_to_the_latest_version() {
        let directory = tempfile::tempdir().expect("temporary directory");
        let mut connection = open(&directory.path().join("wharf.db"));
        migrate_store(&mut connection).expect("migrated");

        assert_eq!(history(&connection), known(store::migrations::runner()));
        let tables = names(&connection, "table");
        for table in [
            "wharf_entities",
            "wharf_execution_entities",
            "wharf_execution_errors",
            "wharf_executions",
            "wharf_meta",
            "wharf_staging",
            "wharf_watermarks",
            "wharf_watermarks_staged",
        ] {
            assert!(tables.iter().any(|name| name == table), "{table} is missing from {tables:?}");
        }
        let mut statement = connection.prepare("SELECT name, value FROM wharf_meta ORDER BY name").expect("meta");
        let meta = statement.query_map([], |row| Ok((row.get(0)?, row.get(1)?))).expect("meta");
        let meta: Vec<(String, i64)> = meta.collect::<rusqlite::Result<_>>().expect("meta rows");
        assert_eq!(meta, [("format".to_owned(), 1), ("version".to_owned(), 0)]);
    }

    #[test]
    fn a_server_database_made_before_migrations_keeps_its_rows_and_reaches_the_latest_version() {
        let directory = tempfile::tempdir().expect("temporary directory");
        let path = directory.path().join("server.db");
        let connection = open(&path);
        connection.execute_batch(SERVER_DDL_BEFORE_MIGRATIONS).expect("the old tables");
        connection
            .execute_batch(
                "INSERT INTO queue_messages (id, activity, operation, body_hash, body_size, blob, status, enqueued_at)
                     VALUES ('message-1', 'activity-1', 'Import', x'0102', 2, 'blob-1', 'Enqueued', 1700000000000);
                 INSERT INTO auth_clients (id, name, roles, companies, enabled, created, secret_hash)
                     VALUES ('client-1', 'Integration', '[\"DataManagement\"]', '\"*\"', 1, '2026-01-01T00:00:00Z',
                             '$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA');
                 INSERT INTO plugin_decisions (at, plugin, kind, version, serving, reason, numbers)
                     VALUES (1700000000000, 'mapper', 'promoted', 'mapper@2', 'mapper@2', 'no errors', '{}');",
            )
            .expect("rows of an earlier Wharf");
        drop(connection);

        let mut connection = open(&path);
        migrate_server(&mut connection).expect("migrated");

        assert_eq!(history(&connection), known(server::migrations::runner()));
        let message: (String, String, Vec<u8>, String) = connection
            .query_row("SELECT id, operation, body_hash, status FROM queue_messages", [], |row| {
                Ok((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?))
            })
            .expect("the message is still there");
        assert_eq!(message, ("message-1".to_owned(), "Import".to_owned(), vec![1, 2], "Enqueued".to_owned()));
        let client: (String, String, bool) = connection
            .query_row("SELECT id, name, enabled FROM auth_clients", [], |row| {
                Ok((row.get(0)?, row.get(1)?, row.get(2)?))
            })
            .expect("the client is still there");
        assert_eq!(client, ("client-1".to_owned(), "Integration".to_owned(), true));
        // The count the trigger kept is not reset by the seed row of the migration.
        let changes: i64 =
            connection.query_row("SELECT count FROM auth_clients_changes", [], |row| row.get(0)).expect("count");
        assert_eq!(changes, 1);
        let decision: (i64, String, String) = connection
            .query_row("SELECT seq, plugin, kind FROM plugin_decisions", [], |row| {
                Ok((row.get(0)?, row.get(1)?, row.get(2)?))
            })
            .expect("the decision is still there");
        assert_eq!(decision, (1, "mapper".to_owned(), "promoted".to_owned()));
    }

    #[test]
    fn a_store_made_before_migrations_keeps_its_rows_and_reaches_the_latest_version() {
        let directory = tempfile::tempdir().expect("temporary directory");
        let path = directory.path().join("wharf.db");
        let connection = open(&path);
        connection.execute_batch(STORE_DDL_BEFORE_MIGRATIONS).expect("the old tables");
        connection
            .execute_batch(
                "UPDATE wharf_meta SET value = 42 WHERE name = 'version';
                 INSERT INTO wharf_watermarks (project, entity, version) VALUES ('customers', 'Customer', 40);",
            )
            .expect("rows of an earlier Wharf");
        drop(connection);

        let mut connection = open(&path);
        migrate_store(&mut connection).expect("migrated");

        assert_eq!(history(&connection), known(store::migrations::runner()));
        let version: i64 = connection
            .query_row("SELECT value FROM wharf_meta WHERE name = 'version'", [], |row| row.get(0))
            .expect("the version counter is still there");
        assert_eq!(version, 42, "the seed row of the migration does not reset the counter");
        let watermark: i64 = connection
            .query_row("SELECT version FROM wharf_watermarks WHERE project = 'customers'", [], |row| row.get(0))
            .expect("the watermark is still there");
        assert_eq!(watermark, 40);
    }

    #[test]
    fn migrating_a_migrated_file_again_changes_nothing() {
        let directory = tempfile::tempdir().expect("temporary directory");
        for (file, migrate) in [
            ("server.db", migrate_server as fn(&mut Connection) -> Result<()>),
            ("wharf.db", migrate_store as fn(&mut Connection) -> Result<()>),
        ] {
            let mut connection = open(&directory.path().join(file));
            migrate(&mut connection).expect("migrated");
            let before = everything(&connection);
            let changes = connection.total_changes();

            migrate(&mut connection).expect("migrated again");
            assert_eq!(connection.total_changes(), changes, "{file}: the second run wrote rows");
            assert_eq!(everything(&connection), before, "{file}");
            drop(connection);
            let mut connection = open(&directory.path().join(file));
            migrate(&mut connection).expect("migrated on a new connection");
            assert_eq!(everything(&connection), before, "{file}");
        }
    }

    #[test]
    fn a_file_migrated_by_a_newer_wharf_is_refused() {
        let directory = tempfile::tempdir().expect("temporary directory");
        for (file, migrate) in [
            ("server.db", migrate_server as fn(&mut Connection) -> Result<()>),
            ("wharf.db", migrate_store as fn(&mut Connection) -> Result<()>),
        ] {
            let mut connection = open(&directory.path().join(file));
            migrate(&mut connection).expect("migrated");
            connection
                .execute(
                    "INSERT INTO refinery_schema_history (version, name, applied_on, checksum)
                     VALUES (9999, 'from_the_future', '2030-01-01T00:00:00Z', '12345')",
                    [],
                )
                .expect("a later migration recorded");
            let before = everything(&connection);

            let error = migrate(&mut connection).expect_err("refused");
            let message = format!("{error:#}");
            assert!(message.contains("newer Wharf") && message.contains("V9999__from_the_future"), "{message}");
            assert_eq!(everything(&connection), before, "{file}: nothing changed");
        }
    }

    #[test]
    fn the_queue_and_the_store_refuse_to_open_a_file_a_newer_wharf_migrated() {
        let directory = tempfile::tempdir().expect("temporary directory");
        let (server, store) = (directory.path().join("server.db"), directory.path().join("wharf.db"));
        for (path, migrate) in [
            (&server, migrate_server as fn(&mut Connection) -> Result<()>),
            (&store, migrate_store as fn(&mut Connection) -> Result<()>),
        ] {
            let mut connection = open(path);
            migrate(&mut connection).expect("migrated");
            connection
                .execute(
                    "INSERT INTO refinery_schema_history (version, name, applied_on, checksum)
                     VALUES (9999, 'from_the_future', '2030-01-01T00:00:00Z', '12345')",
                    [],
                )
                .expect("a later migration recorded");
        }

        let error = crate::jobs::Database::open(&server).expect_err("the queue refuses the file");
        let message = format!("{error:#}");
        assert!(message.contains("the server database was migrated by a newer Wharf"), "{message}");
        let error = crate::store::Store::open(&store).expect_err("the store refuses the file");
        let message = format!("{error:#}");
        assert!(message.contains("the entity store was migrated by a newer Wharf"), "{message}");
    }

    #[test]
    fn a_file_whose_recorded_migration_differs_from_this_wharfs_is_refused() {
        let directory = tempfile::tempdir().expect("temporary directory");
        let mut connection = open(&directory.path().join("server.db"));
        migrate_server(&mut connection).expect("migrated");
        connection.execute("UPDATE refinery_schema_history SET checksum = '1' WHERE version = 1", []).expect("edited");

        let message = format!("{:#}", migrate_server(&mut connection).expect_err("refused"));
        assert!(message.contains("V1__initial") && message.contains("other contents"), "{message}");
    }

    #[test]
    fn an_unreadable_history_is_an_error_and_not_a_panic() {
        let directory = tempfile::tempdir().expect("temporary directory");
        let mut connection = open(&directory.path().join("server.db"));
        migrate_server(&mut connection).expect("migrated");
        for edit in [
            "UPDATE refinery_schema_history SET applied_on = 'yesterday' WHERE version = 1",
            "UPDATE refinery_schema_history SET applied_on = '2026-01-01T00:00:00Z', checksum = 'abc' WHERE version = 1",
        ] {
            connection.execute(edit, []).expect("edited");
            let message = format!("{:#}", migrate_server(&mut connection).expect_err("refused"));
            assert!(message.starts_with("cannot migrate the server database"), "{message}");
        }
    }

    #[test]
    fn an_opener_waits_for_another_writer_rather_than_failing() {
        let directory = tempfile::tempdir().expect("temporary directory");
        let path = directory.path().join("server.db");
        let writer = open(&path);
        writer.execute_batch("BEGIN IMMEDIATE").expect("the write lock");

        let migrating = {
            let path = path.clone();
            std::thread::spawn(move || {
                let mut connection = open(&path);
                migrate_server(&mut connection).map(|()| history(&connection))
            })
        };
        std::thread::sleep(Duration::from_millis(300));
        assert!(!migrating.is_finished(), "the migration went ahead without the write lock");
        writer.execute_batch("COMMIT").expect("the lock released");

        let history = migrating.join().expect("no panic").expect("migrated once the lock was free");
        assert_eq!(history, known(server::migrations::runner()));
    }

    #[test]
    fn openers_racing_on_a_new_file_all_succeed_and_apply_each_migration_once() {
        const OPENERS: usize = 8;
        let directory = tempfile::tempdir().expect("temporary directory");
        let path = directory.path().join("server.db");
        // The connections are opened first, one after the other: what races is the migrations.
        let connections: Vec<Connection> = (0..OPENERS).map(|_| open(&path)).collect();
        let start = Arc::new(Barrier::new(OPENERS));
        let openers: Vec<_> = connections
            .into_iter()
            .map(|mut connection| {
                let start = start.clone();
                std::thread::spawn(move || {
                    start.wait();
                    migrate_server(&mut connection)
                })
            })
            .collect();
        for opener in openers {
            opener.join().expect("no panic").expect("every opener migrates or finds the file migrated");
        }
        assert_eq!(history(&open(&path)), known(server::migrations::runner()));
    }
}
