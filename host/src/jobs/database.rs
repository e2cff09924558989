//! The server database: one SQLite file holding the queue's messages, the blobs of the package
//! API and the jobs defined through the management API.
//!
//! Every write goes through one writer thread that commits whatever writes are waiting in one
//! transaction (group commit): with `synchronous=FULL` each commit costs an fsync, and sharing
//! it is what lets enqueue answer thousands of durable requests a second. Each write runs in a
//! savepoint of its own, so one failing write rolls back alone; its caller hears the outcome
//! only after the commit, so a success it reports is on disk.
//!
//! Reads take an idle connection of their own; WAL lets them run beside the writer.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError, mpsc};
use std::time::Duration;

use anyhow::{Context as _, Result, anyhow};
use rusqlite::{Connection, TransactionBehavior};
use tokio::sync::oneshot;

/// At most this many writes share one commit, so a flood of writes still reports back in
/// bounded time.
const MAX_GROUP: usize = 512;

/// A write waiting for the writer thread: it runs inside the open transaction and returns
/// what to do once the transaction's fate is known.
type Write = Box<dyn FnOnce(&Connection) -> Completion + Send>;
type Completion = Box<dyn FnOnce(Result<(), Arc<anyhow::Error>>) + Send>;

/// A handle on the server database. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Database {
    shared: Arc<Shared>,
}

#[derive(Debug)]
struct Shared {
    path: PathBuf,
    writes: Mutex<Option<mpsc::Sender<Write>>>,
    idle: Mutex<Vec<Connection>>,
    writer: Mutex<Option<std::thread::JoinHandle<()>>>,
}

impl Database {
    /// Opens (creating when missing) the database at `path`, brings its schema to this
    /// version, and starts its writer thread.
    pub fn open(path: &Path) -> Result<Database> {
        let mut connection = open_connection(path)?;
        crate::backend::sqlite::migrate_server(&mut connection)
            .with_context(|| format!("cannot prepare the queue database {}", path.display()))?;
        let (sender, receiver) = mpsc::channel::<Write>();
        let writer = std::thread::Builder::new()
            .name("wharf-queue".into())
            .spawn(move || write_loop(connection, receiver))
            .context("cannot start the queue's writer thread")?;
        Ok(Database {
            shared: Arc::new(Shared {
                path: path.to_owned(),
                writes: Mutex::new(Some(sender)),
                idle: Mutex::new(Vec::new()),
                writer: Mutex::new(Some(writer)),
            }),
        })
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.shared.path
    }

    /// Runs `write` in the writer's transaction; the answer comes after the commit.
    pub async fn write<T, F>(&self, write: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> Result<T> + Send + 'static,
    {
        let (sender, receiver) = oneshot::channel();
        self.submit(write, sender)?;
        receiver.await.map_err(|_| anyhow!("the queue's writer stopped"))?
    }

    /// [`write`](Self::write) for code that runs outside the async runtime.
    pub fn write_blocking<T, F>(&self, write: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> Result<T> + Send + 'static,
    {
        let (sender, receiver) = oneshot::channel();
        self.submit(write, sender)?;
        receiver.blocking_recv().map_err(|_| anyhow!("the queue's writer stopped"))?
    }

    fn submit<T, F>(&self, write: F, answer: oneshot::Sender<Result<T>>) -> Result<()>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> Result<T> + Send + 'static,
    {
        let job: Write = Box::new(move |connection| {
            let outcome = in_savepoint(connection, write);
            Box::new(move |committed| {
                let outcome = match committed {
                    Ok(()) => outcome,
                    Err(error) => Err(anyhow::Error::new(CommitFailed(error))),
                };
                // The caller may have gone (a client hung up); the write stands regardless.
                let _ = answer.send(outcome);
            })
        });
        let writes = self.shared.writes.lock().unwrap_or_else(PoisonError::into_inner);
        let sender = writes.as_ref().ok_or_else(|| anyhow!("the queue is closed"))?;
        sender.send(job).map_err(|_| anyhow!("the queue's writer stopped"))
    }

    /// Runs `read` on a connection of its own (blocking: call it off the async runtime).
    pub fn read<T>(&self, read: impl FnOnce(&Connection) -> Result<T>) -> Result<T> {
        let idle = self.shared.idle.lock().unwrap_or_else(PoisonError::into_inner).pop();
        let connection = match idle {
            Some(connection) => connection,
            None => open_connection(&self.shared.path)?,
        };
        let result = read(&connection);
        self.shared.idle.lock().unwrap_or_else(PoisonError::into_inner).push(connection);
        result
    }

    /// [`read`](Self::read) from async code.
    pub async fn read_async<T, F>(&self, read: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> Result<T> + Send + 'static,
    {
        let database = self.clone();
        tokio::task::spawn_blocking(move || database.read(read)).await.context("a queue read panicked")?
    }

    /// Stops taking writes, lets the writer commit what it has, and waits for it.
    pub fn close(&self) {
        self.shared.writes.lock().unwrap_or_else(PoisonError::into_inner).take();
        if let Some(writer) = self.shared.writer.lock().unwrap_or_else(PoisonError::into_inner).take() {
            let _ = writer.join();
        }
    }
}

/// The failure of a group's commit, as each write of the group reports it. The cause stays
/// its source rather than text, so that a caller can tell a full disk (`SQLITE_FULL`) from
/// any other failure.
#[derive(Debug)]
struct CommitFailed(Arc<anyhow::Error>);

impl std::fmt::Display for CommitFailed {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.write_str("cannot commit to the queue")
    }
}

impl std::error::Error for CommitFailed {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        let cause: &(dyn std::error::Error + Send + Sync + 'static) = (*self.0).as_ref();
        Some(cause)
    }
}

fn open_connection(path: &Path) -> Result<Connection> {
    let connection =
        Connection::open(path).with_context(|| format!("cannot open the queue database {}", path.display()))?;
    connection.busy_timeout(Duration::from_secs(30))?;
    // FULL: a message is acknowledged to its sender only once it would survive power loss.
    connection
        .execute_batch("PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON;")
        .with_context(|| format!("cannot configure {}", path.display()))?;
    Ok(connection)
}

fn in_savepoint<T>(connection: &Connection, write: impl FnOnce(&Connection) -> Result<T>) -> Result<T> {
    connection.execute_batch("SAVEPOINT write")?;
    match write(connection) {
        Ok(value) => {
            connection.execute_batch("RELEASE write")?;
            Ok(value)
        }
        Err(error) => {
            connection.execute_batch("ROLLBACK TO write; RELEASE write")?;
            Err(error)
        }
    }
}

fn write_loop(mut connection: Connection, writes: mpsc::Receiver<Write>) {
    while let Ok(first) = writes.recv() {
        let mut group = vec![first];
        while group.len() < MAX_GROUP {
            match writes.try_recv() {
                Ok(write) => group.push(write),
                Err(_) => break,
            }
        }
        let transaction = match connection.transaction_with_behavior(TransactionBehavior::Immediate) {
            Ok(transaction) => transaction,
            Err(error) => {
                let error = Arc::new(anyhow!(error).context("cannot start a queue transaction"));
                for write in group {
                    // Run nothing: answer every waiting write with the failure.
                    drop(write);
                    tracing::error!("{error:#}");
                }
                continue;
            }
        };
        let completions: Vec<Completion> = group.into_iter().map(|write| write(&transaction)).collect();
        let committed = transaction.commit().map_err(|error| Arc::new(anyhow!(error)));
        if let Err(error) = &committed {
            tracing::error!("cannot commit to the queue: {error:#}");
        }
        for completion in completions {
            completion(committed.clone());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_failing_write_rolls_back_alone_and_the_others_commit() {
        let dir = tempfile::tempdir().expect("test setup");
        let database = Database::open(&dir.path().join("server.db")).expect("test setup");
        let insert = |id: &'static str| {
            move |connection: &Connection| {
                connection.execute("INSERT INTO queue_jobs (activity, definition) VALUES (?1, '{}')", [id])?;
                Ok(())
            }
        };
        let failing = |connection: &Connection| -> Result<()> {
            connection.execute("INSERT INTO queue_jobs (activity, definition) VALUES ('b', '{}')", [])?;
            anyhow::bail!("refused")
        };
        let (a, b, c) = tokio::join!(database.write(insert("a")), database.write(failing), database.write(insert("c")));
        assert!(a.is_ok() && c.is_ok());
        assert_eq!(b.expect_err("refused").to_string(), "refused");
        let activities = database
            .read(|connection| {
                let mut statement = connection.prepare("SELECT activity FROM queue_jobs ORDER BY activity")?;
                let rows = statement.query_map([], |row| row.get::<_, String>(0))?;
                Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
            })
            .expect("test setup");
        assert_eq!(activities, ["a", "c"]);
        database.close();
        assert!(database.write(insert("d")).await.is_err());
    }
}
