//! Tests of the PostgreSQL schema's migrations through [`Postgres::connect`], each on a fresh
//! schema of the test server: from nothing, from the first and from the previous version with
//! rows in them, and with replicas starting together.

use anyhow::Result;
use refinery::Target;
use tokio_postgres::NoTls;

use super::Postgres;
use super::testing::scratch;

/// The same migrations `Postgres::connect` runs, for setting a schema up at an older version.
mod embedded {
    refinery::embed_migrations!("migrations/postgres");
}

/// A runtime for one test: `scratch()` blocks, so tests start outside any runtime.
fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("a runtime")
}

/// A connection outside the pool, its connection task on the current runtime.
async fn connect(url: &str) -> tokio_postgres::Client {
    let (client, connection) = tokio_postgres::connect(url, NoTls).await.expect("the test database");
    tokio::spawn(connection);
    client
}

/// The versions and names of this Wharf's migrations, oldest first.
fn known() -> Vec<(i32, String)> {
    let runner = embedded::migrations::runner();
    let mut migrations: Vec<(i32, String)> =
        runner.get_migrations().iter().map(|migration| (migration.version(), migration.name().to_owned())).collect();
    migrations.sort();
    migrations
}

/// The versions and names the schema's history holds, oldest first.
async fn history(client: &tokio_postgres::Client) -> Vec<(i32, String)> {
    let rows = client
        .query("SELECT version, name FROM refinery_schema_history ORDER BY version", &[])
        .await
        .expect("the history");
    rows.iter().map(|row| (row.get(0), row.get(1))).collect()
}

#[test]
fn an_empty_schema_is_migrated_to_the_latest_version() {
    let url = scratch().expect("a test schema");
    runtime().block_on(async {
        let postgres = Postgres::connect(&url, 2).await.expect("connected and migrated");
        let client = postgres.client().await.expect("a connection");

        assert_eq!(history(&client).await, known());
        let row = client
            .query_one(
                "SELECT to_regclass('queue_jobs') IS NOT NULL, to_regclass('queue_messages') IS NOT NULL,
                        to_regclass('queue_bodies') IS NOT NULL,
                        abs(wharf_now_ms() - (extract(epoch FROM now()) * 1000)::bigint) < 60000",
                &[],
            )
            .await
            .expect("the tables and the clock");
        let found: (bool, bool, bool, bool) = (row.get(0), row.get(1), row.get(2), row.get(3));
        assert_eq!(found, (true, true, true, true));
    });
}

#[test]
fn a_schema_at_the_first_version_keeps_its_rows_and_reaches_the_latest_version() {
    let url = scratch().expect("a test schema");
    runtime().block_on(async {
        let mut client = connect(&url).await;
        let report = embedded::migrations::runner()
            .set_target(Target::Version(1))
            .run_async(&mut client)
            .await
            .expect("migrated to version 1");
        assert_eq!(report.applied_migrations().len(), 1);
        let (message, activity, blob) = (uuid::Uuid::new_v4(), uuid::Uuid::new_v4(), uuid::Uuid::new_v4());
        client
            .execute(
                "INSERT INTO queue_messages (id, activity, operation, body_hash, body_size, blob, status, enqueued_at)
                 VALUES ($1, $2, 'Import', '\\x0102', 2, $3, 'Enqueued', 1700000000000)",
                &[&message, &activity, &blob],
            )
            .await
            .expect("a message at version 1");
        client
            .execute("INSERT INTO queue_bodies (name, chunk, data) VALUES ($1, 0, '\\x0102')", &[&message.to_string()])
            .await
            .expect("a body at version 1");

        let postgres = Postgres::connect(&url, 2).await.expect("connected and migrated");
        let client = postgres.client().await.expect("a connection");
        assert_eq!(history(&client).await, known());
        let row = client
            .query_one("SELECT id, activity, status, body_hash FROM queue_messages", &[])
            .await
            .expect("the message is still there");
        let found: (uuid::Uuid, uuid::Uuid, String, Vec<u8>) = (row.get(0), row.get(1), row.get(2), row.get(3));
        assert_eq!(found, (message, activity, "Enqueued".to_owned(), vec![1, 2]));
        let row = client.query_one("SELECT name, chunk, data FROM queue_bodies", &[]).await.expect("the body");
        let found: (String, i32, Vec<u8>) = (row.get(0), row.get(1), row.get(2));
        assert_eq!(found, (message.to_string(), 0, vec![1, 2]));
    });
}

#[test]
fn a_schema_at_the_previous_version_keeps_its_rows_and_gets_an_empty_entity_store() {
    let url = scratch().expect("a test schema");
    let known = known();
    let previous = known.len().checked_sub(2).and_then(|index| known.get(index)).expect("two versions at least").0;
    let runtime = runtime();
    let client = runtime.block_on(async {
        let mut client = connect(&url).await;
        embedded::migrations::runner()
            .set_target(Target::Version(previous))
            .run_async(&mut client)
            .await
            .expect("migrated to the previous version");
        client
            .execute(
                "INSERT INTO auth_clients (id, name, roles, companies, enabled, created, secret_hash)
                 VALUES ('ops', 'Operations', '[\"admin\"]', '\"*\"', true, '2026-12-01T00:00:00Z', 'hash')",
                &[],
            )
            .await
            .expect("a client at the previous version");
        client
    });
    drop(client);
    let postgres = Postgres::connect_blocking(&url, 2).expect("connected and migrated");
    let (history, name) = postgres.block_on(async {
        let client = postgres.client().await.expect("a connection");
        let row = client.query_one("SELECT name FROM auth_clients WHERE id = 'ops'", &[]).await.expect("the client");
        (history(&client).await, row.get::<_, String>(0))
    });
    assert_eq!((history, name.as_str()), (known, "Operations"));

    let store = crate::store::Store::on_postgres(&postgres).expect("the store");
    store.prepare(&crate::entity::Catalog::default()).expect("an empty catalog");
    assert_eq!(store.version().expect("the version"), 0, "the new entity store starts empty");
    assert_eq!(store.execution_ids(0, 10).expect("executions"), Vec::<String>::new());
}

#[test]
fn replicas_connecting_together_to_an_empty_schema_all_succeed_and_apply_each_migration_once() {
    const REPLICAS: usize = 4;
    let url = scratch().expect("a test schema");
    runtime().block_on(async {
        let connects = (0..REPLICAS).map(|_| {
            let url = url.clone();
            tokio::spawn(async move { Postgres::connect(&url, 1).await })
        });
        let replicas: Vec<Result<Postgres>> = futures_util::future::join_all(connects)
            .await
            .into_iter()
            .map(|joined| joined.expect("no panic"))
            .collect();
        for replica in &replicas {
            if let Err(error) = replica {
                panic!("a replica failed to start: {error:#}");
            }
        }
        let client = connect(&url).await;
        assert_eq!(history(&client).await, known());
    });
}

#[test]
fn a_schema_a_newer_wharf_migrated_is_refused() {
    let url = scratch().expect("a test schema");
    runtime().block_on(async {
        drop(Postgres::connect(&url, 1).await.expect("connected and migrated"));
        let client = connect(&url).await;
        client
            .execute(
                "INSERT INTO refinery_schema_history (version, name, applied_on, checksum)
                 VALUES (9999, 'from_the_future', '2030-01-01T00:00:00Z', '12345')",
                &[],
            )
            .await
            .expect("a later migration recorded");

        let error = Postgres::connect(&url, 1).await.expect_err("refused");
        let message = format!("{error:#}");
        assert!(message.contains("V9999__from_the_future"), "{message}");
    });
}
