//! Where the console keeps its sign-in sessions and its audit log: the server database
//! (SQLite's `server.db`, or the PostgreSQL database every replica shares), so that a session
//! started through one replica is good on all of them and the log outlives restarts. The
//! tables are the server database's migrations (`V4__console.sql`, `V7__console.sql`).
//!
//! Every method blocks: call them from a blocking task.

use std::path::Path;
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use anyhow::{Context as _, Result};
use rusqlite::{Connection, OpenFlags, OptionalExtension as _, params};

use crate::backend::{Backend, Postgres};

/// How long a write waits for SQLite's lock, which the queue and the clients share.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// The sessions and the audit log, on either backend.
pub(crate) struct ConsoleStore {
    kind: Kind,
}

enum Kind {
    Sqlite(Mutex<Connection>),
    Postgres(Postgres),
}

impl std::fmt::Debug for ConsoleStore {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let kind = match self.kind {
            Kind::Sqlite(_) => "sqlite",
            Kind::Postgres(_) => "postgres",
        };
        formatter.debug_struct("ConsoleStore").field("backend", &kind).finish()
    }
}

/// A session that is still good.
#[derive(Debug, Clone)]
pub(crate) struct Session {
    /// The client that signed in.
    pub(crate) client_id: String,
}

/// One audit record to write.
#[derive(Debug, Clone)]
pub(crate) struct NewAudit<'a> {
    pub(crate) client_id: &'a str,
    pub(crate) action: &'a str,
    pub(crate) target: &'a str,
    pub(crate) address: Option<&'a str>,
    pub(crate) outcome: &'a str,
}

/// One audit record as kept.
#[derive(Debug, Clone, serde::Serialize)]
pub(crate) struct AuditRecord {
    /// Its place in the log: later records have larger numbers.
    pub(crate) seq: i64,
    /// When, Unix milliseconds.
    pub(crate) at: i64,
    /// Who.
    pub(crate) client_id: String,
    /// What (`message.reprocess`, `client.add`, …).
    pub(crate) action: String,
    /// On what.
    pub(crate) target: String,
    /// From which address.
    pub(crate) address: Option<String>,
    /// How it ended: `ok`, or why not.
    pub(crate) outcome: String,
}

impl ConsoleStore {
    /// Opens the console's tables on `backend`: with SQLite in the server database at `db_path`
    /// (migrated first, as every opener of it does).
    pub(crate) fn open(backend: &Backend, db_path: &Path) -> Result<ConsoleStore> {
        let kind = match backend {
            Backend::Postgres(postgres) => Kind::Postgres(postgres.clone()),
            Backend::Sqlite => {
                let flags =
                    OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_CREATE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
                let mut connection = Connection::open_with_flags(db_path, flags)
                    .with_context(|| format!("cannot open the console's sessions in {}", db_path.display()))?;
                connection.busy_timeout(BUSY_TIMEOUT)?;
                connection.pragma_update(None, "journal_mode", "WAL")?;
                crate::backend::sqlite::migrate_server(&mut connection)?;
                Kind::Sqlite(Mutex::new(connection))
            }
        };
        Ok(ConsoleStore { kind })
    }

    /// Records a new session, and forgets every session that has ended.
    pub(crate) fn create_session(
        &self,
        id_hash: &str,
        client_id: &str,
        address: Option<&str>,
        now: i64,
        expires: i64,
        idle: i64,
    ) -> Result<()> {
        let idle_before = now.saturating_sub(idle);
        match &self.kind {
            Kind::Sqlite(connection) => {
                let connection = lock(connection);
                connection.execute(
                    "DELETE FROM console_sessions WHERE expires <= ?1 OR last_seen <= ?2",
                    params![now, idle_before],
                )?;
                connection
                    .execute(
                        "INSERT INTO console_sessions (id_hash, client_id, created, last_seen, expires, address)
                         VALUES (?1, ?2, ?3, ?3, ?4, ?5)",
                        params![id_hash, client_id, now, expires, address],
                    )
                    .context("cannot save a console session")?;
            }
            Kind::Postgres(postgres) => postgres.wait(async {
                let client = postgres.client().await?;
                client
                    .execute(
                        "DELETE FROM console_sessions WHERE expires <= $1 OR last_seen <= $2",
                        &[&now, &idle_before],
                    )
                    .await?;
                client
                    .execute(
                        "INSERT INTO console_sessions (id_hash, client_id, created, last_seen, expires, address)
                         VALUES ($1, $2, $3, $3, $4, $5)",
                        &[&id_hash, &client_id, &now, &expires, &address],
                    )
                    .await
                    .context("cannot save a console session")?;
                Ok(())
            })?,
        }
        Ok(())
    }

    /// The session `id_hash` names, if it has neither been idle for `idle` milliseconds nor
    /// reached its end; it counts as used now. A session that has ended is deleted. A request
    /// reads the session and writes it only when its last use is older than [`touch_after`]:
    /// a console page costs a read, not two writes.
    pub(crate) fn session(&self, id_hash: &str, now: i64, idle: i64) -> Result<Option<Session>> {
        let client_id = match &self.kind {
            Kind::Sqlite(connection) => {
                let connection = lock(connection);
                let found = connection
                    .query_row(
                        "SELECT client_id, last_seen, expires FROM console_sessions WHERE id_hash = ?1",
                        [id_hash],
                        |row| Ok((row.get::<_, String>(0)?, row.get::<_, i64>(1)?, row.get::<_, i64>(2)?)),
                    )
                    .optional()
                    .context("cannot read a console session")?;
                match found.map(|(client_id, last_seen, expires)| (client_id, use_at(now, idle, last_seen, expires))) {
                    None => None,
                    Some((_, Use::Ended)) => {
                        connection.execute("DELETE FROM console_sessions WHERE id_hash = ?1", [id_hash])?;
                        None
                    }
                    Some((client_id, Use::Touch)) => {
                        connection.execute(
                            "UPDATE console_sessions SET last_seen = ?2 WHERE id_hash = ?1",
                            params![id_hash, now],
                        )?;
                        Some(client_id)
                    }
                    Some((client_id, Use::Recent)) => Some(client_id),
                }
            }
            Kind::Postgres(postgres) => postgres.wait(async {
                let client = postgres.client().await?;
                let found = client
                    .query_opt(
                        "SELECT client_id, last_seen, expires FROM console_sessions WHERE id_hash = $1",
                        &[&id_hash],
                    )
                    .await
                    .context("cannot read a console session")?;
                let found = found.map(|row| {
                    let client_id: String = row.get(0);
                    (client_id, use_at(now, idle, row.get(1), row.get(2)))
                });
                Ok(match found {
                    None => None,
                    Some((_, Use::Ended)) => {
                        client.execute("DELETE FROM console_sessions WHERE id_hash = $1", &[&id_hash]).await?;
                        None
                    }
                    Some((client_id, Use::Touch)) => {
                        client
                            .execute("UPDATE console_sessions SET last_seen = $2 WHERE id_hash = $1", &[&id_hash, &now])
                            .await?;
                        Some(client_id)
                    }
                    Some((client_id, Use::Recent)) => Some(client_id),
                })
            })?,
        };
        Ok(client_id.map(|client_id| Session { client_id }))
    }

    /// Deletes the session `id_hash` names: its cookie is good for nothing from now on.
    pub(crate) fn delete_session(&self, id_hash: &str) -> Result<()> {
        match &self.kind {
            Kind::Sqlite(connection) => {
                lock(connection).execute("DELETE FROM console_sessions WHERE id_hash = ?1", [id_hash])?;
            }
            Kind::Postgres(postgres) => postgres.wait(async {
                let client = postgres.client().await?;
                client.execute("DELETE FROM console_sessions WHERE id_hash = $1", &[&id_hash]).await?;
                Ok(())
            })?,
        }
        Ok(())
    }

    /// Writes one audit record, timed `now`; returns its number.
    pub(crate) fn audit(&self, record: &NewAudit<'_>, now: i64) -> Result<i64> {
        let NewAudit { client_id, action, target, address, outcome } = *record;
        match &self.kind {
            Kind::Sqlite(connection) => lock(connection)
                .query_row(
                    "INSERT INTO console_audit (at, client_id, action, target, address, outcome)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6) RETURNING seq",
                    params![now, client_id, action, target, address, outcome],
                    |row| row.get(0),
                )
                .context("cannot write an audit record"),
            Kind::Postgres(postgres) => postgres.wait(async {
                let client = postgres.client().await?;
                let row = client
                    .query_one(
                        "INSERT INTO console_audit (at, client_id, action, target, address, outcome)
                         VALUES ($1, $2, $3, $4, $5, $6) RETURNING seq",
                        &[&now, &client_id, &action, &target, &address, &outcome],
                    )
                    .await
                    .context("cannot write an audit record")?;
                Ok(row.get(0))
            }),
        }
    }

    /// Audit record `seq`, if there is one.
    pub(crate) fn audit_record(&self, seq: i64) -> Result<Option<AuditRecord>> {
        Ok(self.audit_page(Some(seq.saturating_add(1)), 1)?.into_iter().find(|record| record.seq == seq))
    }

    /// Up to `limit` audit records, newest first, older than record `before` when given.
    pub(crate) fn audit_page(&self, before: Option<i64>, limit: u32) -> Result<Vec<AuditRecord>> {
        let before = before.unwrap_or(i64::MAX);
        let limit = i64::from(limit);
        let sql_sqlite = "SELECT seq, at, client_id, action, target, address, outcome FROM console_audit
                          WHERE seq < ?1 ORDER BY seq DESC LIMIT ?2";
        match &self.kind {
            Kind::Sqlite(connection) => {
                let connection = lock(connection);
                let mut statement = connection.prepare_cached(sql_sqlite)?;
                let records: rusqlite::Result<Vec<AuditRecord>> = statement
                    .query_map(params![before, limit], |row| {
                        Ok(AuditRecord {
                            seq: row.get(0)?,
                            at: row.get(1)?,
                            client_id: row.get(2)?,
                            action: row.get(3)?,
                            target: row.get(4)?,
                            address: row.get(5)?,
                            outcome: row.get(6)?,
                        })
                    })?
                    .collect();
                records.context("cannot read the audit log")
            }
            Kind::Postgres(postgres) => postgres.wait(async {
                let client = postgres.client().await?;
                let rows = client
                    .query(
                        "SELECT seq, at, client_id, action, target, address, outcome FROM console_audit
                         WHERE seq < $1 ORDER BY seq DESC LIMIT $2",
                        &[&before, &limit],
                    )
                    .await
                    .context("cannot read the audit log")?;
                Ok(rows
                    .iter()
                    .map(|row| AuditRecord {
                        seq: row.get(0),
                        at: row.get(1),
                        client_id: row.get(2),
                        action: row.get(3),
                        target: row.get(4),
                        address: row.get(5),
                        outcome: row.get(6),
                    })
                    .collect())
            }),
        }
    }
}

fn lock(connection: &Mutex<Connection>) -> MutexGuard<'_, Connection> {
    // A connection is whole after any panic: SQLite rolls back an unfinished statement.
    connection.lock().unwrap_or_else(PoisonError::into_inner)
}

/// What a request does with a session last used at `last_seen` that ends at `expires`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Use {
    /// It was idle too long or reached its end: it is deleted.
    Ended,
    /// It is good, and its last use is recorded as now.
    Touch,
    /// It is good, and was used within [`touch_after`]: nothing is written.
    Recent,
}

fn use_at(now: i64, idle: i64, last_seen: i64, expires: i64) -> Use {
    if expires <= now || last_seen <= now.saturating_sub(idle) {
        Use::Ended
    } else if now - last_seen >= touch_after(idle) {
        Use::Touch
    } else {
        Use::Recent
    }
}

/// How old a session's last use may be before a request records a new one: a tenth of the
/// idle timeout, at most a minute, so a session in use never looks idle for longer than that
/// tenth.
fn touch_after(idle: i64) -> i64 {
    (idle / 10).min(60_000)
}

#[cfg(test)]
mod tests {
    use super::{Use, use_at};

    #[test]
    fn a_session_in_use_is_written_at_most_once_a_tenth_of_its_idle_timeout() {
        let idle = 30 * 60_000;
        let expires = 12 * 3_600_000;
        assert_eq!(use_at(1_000_000, idle, 1_000_000 - 59_999, expires), Use::Recent);
        assert_eq!(use_at(1_000_000, idle, 1_000_000 - 60_000, expires), Use::Touch, "a minute at most");
        assert_eq!(use_at(10_000, 700, 10_000 - 69, expires), Use::Recent);
        assert_eq!(use_at(10_000, 700, 10_000 - 70, expires), Use::Touch, "a tenth of a short timeout");
        assert_eq!(use_at(10_000, 700, 10_000 - 700, expires), Use::Ended, "idle for the whole timeout");
        assert_eq!(use_at(expires, idle, expires - 1, expires), Use::Ended, "at its end");
    }
}
