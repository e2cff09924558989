//! The PostgreSQL database a benchmark measures the entity store on: a schema of its own on the
//! server `WHARF_BENCH_DATABASE_URL` names, else on the tests' server, dropped with its rows
//! when the benchmark ends.

use anyhow::{Context as _, Result};
use wharf::backend::{Backend, DatabaseSettings, testing};

/// The variable naming the PostgreSQL server the benchmarks measure on
/// (`postgres://user@host:port/db`). Unset, they use the tests' server: the one
/// `WHARF_TEST_DATABASE_URL` names, else a throwaway local cluster.
pub const BENCH_DATABASE_URL_VAR: &str = "WHARF_BENCH_DATABASE_URL";

/// A fresh, empty schema for one benchmark run. A full run leaves millions of rows behind, and
/// a second run into the same tables would update where the first inserted: the schema is new
/// for each run and dropped when this is.
pub struct BenchDatabase {
    /// The URL whose connections create and read everything in the schema.
    pub url: String,
    server: String,
    schema: String,
}

impl BenchDatabase {
    /// Creates the schema on the benchmarks' server.
    pub fn create() -> Result<BenchDatabase> {
        let server = match std::env::var(BENCH_DATABASE_URL_VAR) {
            Ok(url) if !url.is_empty() => url,
            _ => testing::server()?,
        };
        let schema = format!("wharf_bench_{}", uuid::Uuid::new_v4().simple());
        execute(&server, &format!("CREATE SCHEMA {schema}"))
            .with_context(|| format!("cannot create the benchmark's schema (set {BENCH_DATABASE_URL_VAR}?)"))?;
        let url = testing::with_schema(&server, &schema);
        Ok(BenchDatabase { url, server, schema })
    }

    /// The backend a deployment opens its store on, connected as `wharf import` connects.
    pub fn backend(&self) -> Result<Backend> {
        let settings = DatabaseSettings { url: Some(self.url.clone()), ..DatabaseSettings::default() };
        Backend::open_blocking(&settings)
    }
}

impl Drop for BenchDatabase {
    fn drop(&mut self) {
        if let Err(error) = execute(&self.server, &format!("DROP SCHEMA {} CASCADE", self.schema)) {
            eprintln!("the benchmark's schema {} was left behind: {error:#}", self.schema);
        }
    }
}

/// Runs `sql` on a connection of its own to `server`.
fn execute(server: &str, sql: &str) -> Result<()> {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    runtime.block_on(async {
        let (client, connection) = tokio_postgres::connect(server, tokio_postgres::NoTls)
            .await
            .context("cannot connect to the benchmarks' PostgreSQL server")?;
        let connection = tokio::spawn(connection);
        client.batch_execute(sql).await.with_context(|| format!("{sql} failed"))?;
        drop(client);
        connection.await?.context("the connection failed")
    })
}
