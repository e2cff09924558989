//! The PostgreSQL backend: a pool of connections, the schema's migrations, the database's
//! clock, and wake-ups between replicas.
//!
//! The crate is tokio-postgres with deadpool-postgres rather than sqlx: Wharf's SQL is written
//! by hand per concern and partly built at run time (typed tables per entity), which sqlx's
//! compile-time checks cannot see and its query builder does not help with; tokio-postgres
//! speaks the protocol's binary `COPY` and `LISTEN`/`NOTIFY` directly, pipelines queries on one
//! connection, and brings no second runtime or macro layer. deadpool adds only the pool.
//!
//! Every time that decides a lease comes from the database (`wharf_now_ms()`), never from a
//! replica's clock: replicas whose clocks disagree still agree on who holds a message.

use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context as _, Result, anyhow, bail};
use deadpool_postgres::{Manager, ManagerConfig, Object, Pool, RecyclingMethod};
use futures_util::StreamExt as _;
use tokio::runtime::{Handle, RuntimeFlavor};
use tokio::sync::Notify;
use tokio_postgres::{AsyncMessage, NoTls};

mod embedded {
    refinery::embed_migrations!("migrations/postgres");
}

/// A key for `pg_advisory_lock` that replicas starting together take while migrating, so
/// one migrates and the others wait and then find the schema current.
const MIGRATION_LOCK: i64 = 0x5748_4152_465f_4d49; // "WHARF_MI"

/// How long a replica waits for a connection from its pool before the request fails.
const CONNECTION_WAIT: Duration = Duration::from_secs(30);

/// A PostgreSQL database shared by replicas. Cheap to clone.
#[derive(Clone)]
pub struct Postgres {
    inner: Arc<Inner>,
}

struct Inner {
    pool: Pool,
    config: tokio_postgres::Config,
    /// The runtime the pool's connections live on, for [`Postgres::block_on`] from any thread.
    handle: Handle,
    /// That runtime, when it was made for this database (opened outside a runtime: the
    /// command line).
    _runtime: Option<tokio::runtime::Runtime>,
}

impl std::fmt::Debug for Postgres {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let config = &self.inner.config;
        formatter
            .debug_struct("Postgres")
            .field("hosts", &config.get_hosts())
            .field("database", &config.get_dbname())
            .field("user", &config.get_user())
            .finish_non_exhaustive()
    }
}

/// A runtime for command-line use of the database: the pool's connections run on its thread.
fn runtime() -> Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .thread_name("wharf-postgres")
        .enable_all()
        .build()
        .context("cannot start the database's runtime")
}

impl Postgres {
    /// Connects to `url`, brings its schema to this version, and keeps up to `pool_size`
    /// connections.
    pub async fn connect(url: &str, pool_size: usize) -> Result<Postgres> {
        let config: tokio_postgres::Config =
            url.parse().with_context(|| format!("the database URL {:?} cannot be read", redact(url)))?;
        migrate(&config).await?;
        let manager =
            Manager::from_config(config.clone(), NoTls, ManagerConfig { recycling_method: RecyclingMethod::Fast });
        let pool = Pool::builder(manager)
            .max_size(pool_size.max(1))
            .wait_timeout(Some(CONNECTION_WAIT))
            .create_timeout(Some(CONNECTION_WAIT))
            .runtime(deadpool_postgres::Runtime::Tokio1)
            .build()
            .context("cannot build the database's connection pool")?;
        let handle = Handle::current();
        Ok(Postgres { inner: Arc::new(Inner { pool, config, handle, _runtime: None }) })
    }

    /// Connects from outside an async runtime, keeping a runtime of its own for its
    /// connections and for [`Postgres::block_on`].
    pub fn connect_blocking(url: &str, pool_size: usize) -> Result<Postgres> {
        let runtime = runtime()?;
        let postgres = runtime.block_on(Postgres::connect(url, pool_size))?;
        let inner = Arc::into_inner(postgres.inner).ok_or_else(|| anyhow!("a new pool is shared"))?;
        Ok(Postgres { inner: Arc::new(Inner { _runtime: Some(runtime), ..inner }) })
    }

    /// A connection from the pool.
    pub async fn client(&self) -> Result<Object> {
        self.inner.pool.get().await.context("cannot get a database connection")
    }

    /// Runs `work` to completion from a thread that is not one of the runtime's workers (a
    /// blocking task, a thread of its own, or the command line).
    pub fn block_on<T>(&self, work: impl Future<Output = T>) -> T {
        self.inner.handle.block_on(work)
    }

    /// Runs `work` on the database's runtime and waits for it, from any thread: the
    /// synchronous callers of the store, the queue and the clients. From a worker thread of a
    /// multi-threaded runtime (a handler), the thread is handed over first, so the runtime's
    /// other tasks keep running.
    pub fn wait<T>(&self, work: impl Future<Output = Result<T>>) -> Result<T> {
        match Handle::try_current() {
            Ok(current) if current.runtime_flavor() == RuntimeFlavor::MultiThread => {
                tokio::task::block_in_place(|| self.block_on(work))
            }
            Ok(_) => bail!("the database cannot be waited for from a single-threaded runtime"),
            Err(_) => self.block_on(work),
        }
    }

    /// Wakes `wake` whenever another connection sends `NOTIFY` on `channel`, for as long as
    /// the returned task runs (it reconnects when the connection drops). A wake-up is only a
    /// hint that work may be waiting: whoever waits also polls, and a lost notification only
    /// delays work to the next poll.
    pub fn listen(&self, channel: &'static str, wake: Arc<Notify>) -> Listening {
        let config = self.inner.config.clone();
        let spawn = async move {
            loop {
                if let Err(error) = listen_once(&config, channel, &wake).await {
                    tracing::debug!("listening on {channel}: {error:#}; listening again shortly");
                }
                // Whatever was missed while not listening is found by polling.
                wake.notify_waiters();
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
        };
        Listening(self.inner.handle.spawn(spawn))
    }
}

/// A [`Postgres::listen`] under way; it stops when this is dropped.
#[derive(Debug)]
pub struct Listening(tokio::task::JoinHandle<()>);

impl Drop for Listening {
    fn drop(&mut self) {
        self.0.abort();
    }
}

async fn listen_once(config: &tokio_postgres::Config, channel: &str, wake: &Notify) -> Result<()> {
    let (client, mut connection) = config.connect(NoTls).await?;
    let mut messages = futures_util::stream::poll_fn(move |context| connection.poll_message(context));
    // The connection is driven by reading its messages, so the LISTEN is sent while they are
    // read.
    let statement = format!("LISTEN {channel}");
    let listen = client.batch_execute(&statement);
    tokio::pin!(listen);
    let mut listening = false;
    loop {
        tokio::select! {
            result = &mut listen, if !listening => {
                result?;
                listening = true;
            }
            message = messages.next() => match message {
                Some(Ok(AsyncMessage::Notification(_))) => wake.notify_waiters(),
                Some(Ok(_)) => {}
                Some(Err(error)) => return Err(error.into()),
                None => return Ok(()),
            },
        }
    }
}

/// Brings the schema to this version under an advisory lock, on a connection of its own.
async fn migrate(config: &tokio_postgres::Config) -> Result<()> {
    let (mut client, connection) = config.connect(NoTls).await.context("cannot connect to the database")?;
    let driver = tokio::spawn(connection);
    client.execute("SELECT pg_advisory_lock($1)", &[&MIGRATION_LOCK]).await?;
    let migrated = embedded::migrations::runner().run_async(&mut client).await;
    // Released before anything else can fail: a lock held by a dropped connection is released
    // by the server anyway.
    client.execute("SELECT pg_advisory_unlock($1)", &[&MIGRATION_LOCK]).await?;
    drop(client);
    let _ = driver.await;
    let report = migrated.context("cannot migrate the database's schema")?;
    for migration in report.applied_migrations() {
        tracing::info!("database migrated to {}", migration);
    }
    Ok(())
}

/// `url` without its password, for messages.
fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let credentials = &url[scheme + 3..at];
            match credentials.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..scheme + 3], &url[at..]),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::redact;

    #[test]
    fn passwords_stay_out_of_messages() {
        assert_eq!(redact("postgres://wharf:secret@db:5432/wharf"), "postgres://wharf:***@db:5432/wharf");
        assert_eq!(redact("postgres://wharf@db/wharf"), "postgres://wharf@db/wharf");
        assert_eq!(redact("postgres:///wharf"), "postgres:///wharf");
    }
}
