//! The queue's SQL for the embedded SQLite database, where one process has it to itself:
//! writes take turns on the database's writer thread (see `jobs/database.rs`), so a claim is a
//! read and an update in one write. Bodies over [`INLINE_LIMIT`](super::super::bodies::INLINE_LIMIT)
//! live in files named after their message.

use anyhow::{Context as _, Result};
use rusqlite::{Connection, OptionalExtension as _, Row, params};
use uuid::Uuid;

use super::actions::{self, ActionOutcome, Change, MessageAction, StoredEvent};
use super::search::{Param, Position};
use super::{
    AckOutcome, Depth, Lease, Message, MessageQuery, MessageStatus, NewMessage, format_millis, now_millis, pop_receipt,
};
use crate::jobs::database::Database;
use crate::store::Operation;

const COLUMNS: &str = "id, activity, operation, entity, company, external_id, status, enqueued_at, enqueue_user,
    processing_started, processing_completed, last_dequeue, last_download, acked_at, ack_user, retry_count,
    dequeue_count, execution, records, error, body_size, blob, pop_receipt";

/// The columns of a search: a message's, then its place in the order.
pub(super) const SEARCH_COLUMNS: &str = "id, activity, operation, entity, company, external_id, status, enqueued_at,
    enqueue_user, processing_started, processing_completed, last_dequeue, last_download, acked_at, ack_user,
    retry_count, dequeue_count, execution, records, error, body_size, blob, pop_receipt, enqueued_at, seq";

/// The queue in the server database.
#[derive(Debug, Clone)]
pub(super) struct SqliteQueue {
    pub(super) database: Database,
}

impl SqliteQueue {
    /// The message of `activity` with the same external id and body, if one is still kept.
    pub(super) async fn earlier(&self, activity: Uuid, external_id: String, hash: [u8; 32]) -> Result<Option<Uuid>> {
        self.database
            .read_async(move |connection| earlier_message(connection, &activity.to_string(), &external_id, &hash))
            .await
    }

    /// Adds a message, unless (with an external id) the same one is still kept: then that
    /// one's id and `true`. Checked inside the writer, where writes take turns, so two
    /// identical enqueues racing each other still make one message.
    pub(super) async fn insert(
        &self,
        id: Uuid,
        message: NewMessage,
        hash: [u8; 32],
        size: u64,
        inline: Option<Vec<u8>>,
    ) -> Result<(Uuid, bool)> {
        self.database
            .write(move |connection| {
                if let Some(external_id) = &message.external_id
                    && let Some(earlier) =
                        earlier_message(connection, &message.activity.to_string(), external_id, &hash)?
                {
                    return Ok((earlier, true));
                }
                insert(connection, id, Uuid::new_v4(), &message, &hash, size, inline.as_deref())?;
                Ok((id, false))
            })
            .await
    }

    /// Adds a message whose body is already in place under its name (an export's file);
    /// committed acknowledged when `delivered` (by `"outbound folder"`).
    pub(super) fn add_blocking(&self, id: Uuid, message: NewMessage, hash: [u8; 32], size: u64) -> Result<Uuid> {
        self.database.write_blocking(move |connection| {
            let delivered = message.status == MessageStatus::Acked;
            insert(connection, id, Uuid::new_v4(), &message, &hash, size, None)?;
            if delivered {
                connection.execute(
                    "UPDATE queue_messages SET acked_at = enqueued_at, ack_user = 'outbound folder' WHERE id = ?1",
                    [id.to_string()],
                )?;
            }
            Ok(id)
        })
    }

    pub(super) fn contains_blocking(&self, id: Uuid) -> Result<bool> {
        self.database.read(|connection| {
            let found = connection
                .prepare_cached("SELECT 1 FROM queue_messages WHERE id = ?1")?
                .query_row([id.to_string()], |_| Ok(()))
                .optional()?;
            Ok(found.is_some())
        })
    }

    pub(super) async fn message(&self, id: Uuid) -> Result<Option<Message>> {
        self.database.read_async(move |connection| read_message(connection, id)).await
    }

    pub(super) async fn messages(&self, query: MessageQuery) -> Result<Vec<Message>> {
        self.database
            .read_async(move |connection| {
                let mut statement = connection.prepare_cached(&format!(
                    "SELECT {COLUMNS} FROM queue_messages
                     WHERE (?1 IS NULL OR activity = ?1) AND (?2 IS NULL OR status = ?2)
                     ORDER BY seq DESC LIMIT ?3 OFFSET ?4"
                ))?;
                let limit = query.limit.unwrap_or(100).min(1000);
                let rows = statement.query_map(
                    params![
                        query.activity.map(|activity| activity.to_string()),
                        query.status.map(MessageStatus::as_str),
                        limit,
                        query.offset.unwrap_or(0)
                    ],
                    message_from_row,
                )?;
                Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
            })
            .await
    }

    /// The inline body of message `id`, when it has one (else its body is the file named
    /// after it).
    pub(super) fn inline_body(&self, id: Uuid) -> Result<Option<Vec<u8>>> {
        self.database.read(|connection| {
            let body = connection
                .query_row("SELECT body FROM queue_messages WHERE id = ?1", [id.to_string()], |row| row.get(0))
                .optional()?;
            Ok(body.flatten())
        })
    }

    pub(super) async fn dequeue(
        &self,
        activity: Uuid,
        now: i64,
        visibility: i64,
        max_deliveries: u32,
    ) -> Result<Option<Lease>> {
        let (lease, poisoned) = self
            .database
            .write(move |connection| {
                let mut poisoned = 0;
                loop {
                    let candidate = connection
                        .query_row(&next_export_sql(), params![activity.to_string(), now], message_from_row)
                        .optional()?;
                    let Some(message) = candidate else { return Ok((None, poisoned)) };
                    if message.dequeue_count >= max_deliveries {
                        set_status(connection, message.message_id, MessageStatus::Poisoned)?;
                        poisoned += 1;
                        tracing::warn!(message = %message.message_id, "message poisoned after {max_deliveries} deliveries");
                        continue;
                    }
                    let receipt = pop_receipt();
                    connection.execute(
                        "UPDATE queue_messages SET status = 'Dequeued', pop_receipt = ?2, visible_at = ?3,
                             dequeue_count = dequeue_count + 1, last_dequeue = ?4
                         WHERE id = ?1",
                        params![message.message_id.to_string(), receipt, now + visibility, now],
                    )?;
                    let previous_dequeue = message.last_dequeue_date_time.clone();
                    let message = read_message(connection, message.message_id)?.context("a leased message vanished")?;
                    return Ok((Some(Lease { message, pop_receipt: receipt, previous_dequeue }), poisoned));
                }
            })
            .await?;
        super::poisoned(activity, poisoned);
        Ok(lease)
    }

    pub(super) async fn download(&self, activity: Uuid, id: Uuid, blob: Uuid, now: i64) -> Result<Option<Message>> {
        self.database
            .write(move |connection| {
                let changed = connection.execute(
                    "UPDATE queue_messages SET last_download = ?4,
                         status = CASE status WHEN 'Dequeued' THEN 'Downloaded' ELSE status END
                     WHERE id = ?1 AND activity = ?2 AND blob = ?3 AND operation = 'Export'",
                    params![id.to_string(), activity.to_string(), blob.to_string(), now],
                )?;
                if changed == 0 {
                    return Ok(None);
                }
                read_message(connection, id)
            })
            .await
    }

    pub(super) async fn ack(
        &self,
        activity: Uuid,
        id: Uuid,
        receipt: String,
        user: String,
        now: i64,
    ) -> Result<AckOutcome> {
        self.database
            .write(move |connection| {
                let found: Option<(String, Option<String>)> = connection
                    .query_row(
                        "SELECT status, pop_receipt FROM queue_messages
                         WHERE id = ?1 AND activity = ?2 AND operation = 'Export'",
                        params![id.to_string(), activity.to_string()],
                        |row| Ok((row.get(0)?, row.get(1)?)),
                    )
                    .optional()?;
                let Some((status, current)) = found else { return Ok(AckOutcome::Unknown) };
                if current.as_deref() != Some(receipt.as_str()) {
                    return Ok(AckOutcome::StaleReceipt);
                }
                if status == MessageStatus::Acked.as_str() {
                    return Ok(AckOutcome::AlreadyAcked);
                }
                connection.execute(
                    "UPDATE queue_messages SET status = 'Acked', acked_at = ?2, ack_user = ?3, visible_at = NULL
                     WHERE id = ?1",
                    params![id.to_string(), now, user],
                )?;
                Ok(AckOutcome::Acked)
            })
            .await
    }

    /// Takes the oldest enqueued import message of `activity` under a fresh receipt. (Jobs
    /// that process in order are kept in order by the one scheduler that runs them.)
    pub(super) fn claim_blocking(&self, activity: Uuid, now: i64, max_deliveries: u32) -> Result<Option<Message>> {
        let (message, poisoned) = self.database.write_blocking(move |connection| {
            let mut poisoned = 0;
            loop {
                let candidate = connection
                    .query_row(
                        &format!(
                            "SELECT {COLUMNS} FROM queue_messages
                             WHERE activity = ?1 AND status = 'Enqueued' ORDER BY seq LIMIT 1"
                        ),
                        [activity.to_string()],
                        message_from_row,
                    )
                    .optional()?;
                let Some(message) = candidate else { return Ok((None, poisoned)) };
                if message.retry_count >= max_deliveries {
                    set_status(connection, message.message_id, MessageStatus::Poisoned)?;
                    poisoned += 1;
                    tracing::warn!(message = %message.message_id, "message poisoned after {max_deliveries} attempts");
                    continue;
                }
                connection.execute(
                    "UPDATE queue_messages SET status = 'Processing', retry_count = retry_count + 1,
                         processing_started = ?2, processing_completed = NULL, error = NULL, pop_receipt = ?3
                     WHERE id = ?1",
                    params![message.message_id.to_string(), now, pop_receipt()],
                )?;
                return Ok((read_message(connection, message.message_id)?, poisoned));
            }
        })?;
        super::poisoned(activity, poisoned);
        Ok(message)
    }

    pub(super) fn set_execution_blocking(&self, id: Uuid, receipt: Option<String>, execution: String) -> Result<bool> {
        self.database.write_blocking(move |connection| {
            let changed = connection.execute(
                "UPDATE queue_messages SET execution = ?3
                 WHERE id = ?1 AND pop_receipt IS ?2 AND status IN ('Processing', 'Preprocessing')",
                params![id.to_string(), receipt, execution],
            )?;
            Ok(changed == 1)
        })
    }

    pub(super) fn finish_blocking(
        &self,
        id: Uuid,
        receipt: Option<String>,
        status: MessageStatus,
        records: Option<u64>,
        error: Option<String>,
        now: i64,
    ) -> Result<bool> {
        self.database.write_blocking(move |connection| {
            let changed = connection.execute(
                "UPDATE queue_messages SET status = ?3, records = ?4, error = ?5, processing_completed = ?6,
                     pop_receipt = NULL
                 WHERE id = ?1 AND pop_receipt IS ?2 AND status IN ('Processing', 'Preprocessing')",
                params![id.to_string(), receipt, status.as_str(), records.map(|records| records as i64), error, now],
            )?;
            Ok(changed == 1)
        })
    }

    /// Every import message left processing: one process has the database, so a message
    /// it is not processing itself was left by a process that died.
    pub(super) fn stalled_blocking(&self, activity: Option<Uuid>) -> Result<Vec<Message>> {
        self.database.read(|connection| {
            let mut statement = connection.prepare_cached(&format!(
                "SELECT {COLUMNS} FROM queue_messages
                 WHERE status IN ('Processing', 'Preprocessing') AND (?1 IS NULL OR activity = ?1)"
            ))?;
            let rows = statement.query_map([activity.map(|activity| activity.to_string())], message_from_row)?;
            Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
        })
    }

    pub(super) fn requeue_blocking(&self, id: Uuid, receipt: Option<String>) -> Result<bool> {
        self.database.write_blocking(move |connection| {
            let changed = connection.execute(
                "UPDATE queue_messages SET status = 'Enqueued', pop_receipt = NULL
                 WHERE id = ?1 AND pop_receipt IS ?2 AND status IN ('Processing', 'Preprocessing')",
                params![id.to_string(), receipt],
            )?;
            Ok(changed == 1)
        })
    }

    /// Removes messages enqueued before `before`, except those being processed. Returns the
    /// names of the body files to delete.
    pub(super) fn expire_blocking(&self, before: i64) -> Result<Vec<String>> {
        self.database.write_blocking(move |connection| {
            // An operator action's record goes with the messages of its time.
            connection.prepare_cached("DELETE FROM queue_message_events WHERE at < ?1")?.execute([before])?;
            let mut statement = connection.prepare_cached(
                "DELETE FROM queue_messages
                 WHERE enqueued_at < ?1 AND status NOT IN ('Processing', 'Preprocessing')
                 RETURNING id, body IS NULL",
            )?;
            let rows = statement.query_map([before], |row| Ok((row.get::<_, String>(0)?, row.get::<_, bool>(1)?)))?;
            let mut files = Vec::new();
            for row in rows {
                let (id, in_file) = row?;
                if in_file {
                    files.push(id);
                }
            }
            Ok(files)
        })
    }

    /// The definitions of the jobs made through the management API.
    pub(super) fn job_definitions_blocking(&self) -> Result<Vec<String>> {
        self.database.read(|connection| {
            let mut statement = connection.prepare("SELECT definition FROM queue_jobs")?;
            let rows = statement.query_map([], |row| row.get::<_, String>(0))?;
            Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
        })
    }

    pub(super) async fn put_job_definition(&self, activity: Uuid, definition: String) -> Result<()> {
        self.database
            .write(move |connection| {
                connection.execute(
                    "INSERT INTO queue_jobs (activity, definition) VALUES (?1, ?2)
                     ON CONFLICT (activity) DO UPDATE SET definition = excluded.definition",
                    [activity.to_string(), definition],
                )?;
                Ok(())
            })
            .await
    }

    pub(super) async fn delete_job_definition(&self, activity: Uuid) -> Result<()> {
        self.database
            .write(move |connection| {
                connection.execute("DELETE FROM queue_jobs WHERE activity = ?1", [activity.to_string()])?;
                Ok(())
            })
            .await
    }

    /// The names of every body file a message row names.
    pub(super) fn body_files_blocking(&self) -> Result<Vec<String>> {
        self.database.read(|connection| {
            let mut statement = connection.prepare("SELECT id FROM queue_messages WHERE body IS NULL")?;
            let rows = statement.query_map([], |row| row.get::<_, String>(0))?;
            Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
        })
    }

    /// Runs each of `walks` (SQL and parameters from `search`) in one read.
    pub(super) async fn walks(&self, walks: Vec<(String, Vec<Param>)>) -> Result<Vec<Vec<(Message, Position)>>> {
        self.database
            .read_async(move |connection| {
                walks
                    .iter()
                    .map(|(sql, params)| {
                        let mut statement = connection.prepare_cached(sql)?;
                        let rows = statement
                            .query_map(rusqlite::params_from_iter(params.iter().map(value)), |row| {
                                Ok((message_from_row(row)?, Position { enqueued: row.get(23)?, seq: row.get(24)? }))
                            })?;
                        Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
                    })
                    .collect()
            })
            .await
    }

    /// The single number `sql` answers.
    pub(super) async fn count(&self, sql: String, params: Vec<Param>) -> Result<u64> {
        self.database
            .read_async(move |connection| {
                let count: i64 = connection
                    .prepare_cached(&sql)?
                    .query_row(rusqlite::params_from_iter(params.iter().map(value)), |row| row.get(0))?;
                Ok(count.max(0) as u64)
            })
            .await
    }

    /// Whether message `id` exists, and whether any message has `text` as its external id.
    pub(super) async fn known(&self, id: Option<Uuid>, text: String) -> Result<(bool, bool)> {
        self.database
            .read_async(move |connection| {
                let id_known = match id {
                    Some(id) => connection
                        .prepare_cached("SELECT 1 FROM queue_messages WHERE id = ?1")?
                        .query_row([id.to_string()], |_| Ok(()))
                        .optional()?
                        .is_some(),
                    None => false,
                };
                let correlation_known = connection
                    .prepare_cached("SELECT 1 FROM queue_messages WHERE external_id = ?1 LIMIT 1")?
                    .query_row([text], |_| Ok(()))
                    .optional()?
                    .is_some();
                Ok((id_known, correlation_known))
            })
            .await
    }

    /// The first `prefix` bytes of each inline body among `ids`, and the ids whose body is a
    /// file (empty bodies are neither).
    pub(super) async fn body_prefixes(
        &self,
        ids: Vec<Uuid>,
        prefix: usize,
    ) -> Result<(Vec<(Uuid, Vec<u8>)>, Vec<Uuid>)> {
        self.database
            .read_async(move |connection| {
                let mut statement = connection.prepare_cached(
                    "SELECT body IS NULL, substr(body, 1, ?2), body_size FROM queue_messages WHERE id = ?1",
                )?;
                let (mut inline, mut files) = (Vec::new(), Vec::new());
                for id in ids {
                    let row = statement
                        .query_row(params![id.to_string(), prefix as i64], |row| {
                            Ok((row.get::<_, bool>(0)?, row.get::<_, Option<Vec<u8>>>(1)?, row.get::<_, i64>(2)?))
                        })
                        .optional()?;
                    match row {
                        Some((true, _, size)) if size > 0 => files.push(id),
                        Some((false, Some(body), _)) => inline.push((id, body)),
                        _ => {}
                    }
                }
                Ok((inline, files))
            })
            .await
    }

    /// The operator actions recorded for message `id`, oldest first, and the message.
    pub(super) async fn events(&self, id: Uuid) -> Result<(Option<Message>, Vec<StoredEvent>)> {
        self.database
            .read_async(move |connection| {
                let message = read_message(connection, id)?;
                let mut statement = connection.prepare_cached(
                    "SELECT at, kind, actor, detail FROM queue_message_events WHERE message = ?1 ORDER BY seq",
                )?;
                let events = statement.query_map([id.to_string()], |row| {
                    Ok(StoredEvent { at: row.get(0)?, kind: row.get(1)?, actor: row.get(2)?, detail: row.get(3)? })
                })?;
                Ok((message, events.collect::<rusqlite::Result<Vec<_>>>()?))
            })
            .await
    }

    /// Applies `action` to each of `ids` in one write, recording each change; returns the
    /// outcomes and the body files of deleted messages, for the caller to remove.
    pub(super) async fn apply(
        &self,
        action: MessageAction,
        ids: Vec<Uuid>,
        actor: String,
    ) -> Result<(Vec<ActionOutcome>, Vec<String>)> {
        self.database
            .write(move |connection| {
                let now = now_millis();
                let (mut outcomes, mut files) = (Vec::with_capacity(ids.len()), Vec::new());
                for id in ids {
                    let Some(message) = read_message(connection, id)? else {
                        outcomes.push(ActionOutcome::refused(id, action, None, "there is no such message".to_owned()));
                        continue;
                    };
                    let change = match actions::decide(action, message.status, message.direction) {
                        Ok(change) => change,
                        Err(why) => {
                            outcomes.push(ActionOutcome::refused(id, action, Some(message.status), why));
                            continue;
                        }
                    };
                    let id_text = id.to_string();
                    let key = params![id_text, message.status.as_str()];
                    match change {
                        Change::Enqueue => connection
                            .prepare_cached(
                                "UPDATE queue_messages SET status = 'Enqueued', retry_count = 0, error = NULL,
                                 pop_receipt = NULL, visible_at = NULL
                             WHERE id = ?1 AND status = ?2",
                            )?
                            .execute(key)?,
                        Change::Deliver => connection
                            .prepare_cached(
                                "UPDATE queue_messages SET status = 'Processed', dequeue_count = 0, pop_receipt = NULL,
                                 visible_at = NULL
                             WHERE id = ?1 AND status = ?2",
                            )?
                            .execute(key)?,
                        Change::Delete => {
                            let in_file: Option<bool> = connection
                                .prepare_cached(
                                    "DELETE FROM queue_messages WHERE id = ?1 AND status = ?2 RETURNING body IS NULL",
                                )?
                                .query_row(key, |row| row.get(0))
                                .optional()?;
                            if in_file == Some(true) {
                                files.push(id.to_string());
                            }
                            usize::from(in_file.is_some())
                        }
                    };
                    connection
                        .prepare_cached(
                            "INSERT INTO queue_message_events (message, at, kind, actor, detail)
                             VALUES (?1, ?2, ?3, ?4, ?5)",
                        )?
                        .execute(params![
                            id.to_string(),
                            now,
                            action.as_str(),
                            actor,
                            actions::event_detail(&message, change)
                        ])?;
                    outcomes.push(ActionOutcome {
                        message_id: id,
                        action,
                        changed: true,
                        from: Some(message.status),
                        to: change.status(),
                        refused: None,
                    });
                }
                Ok((outcomes, files))
            })
            .await
    }

    /// Every job an operator enabled or disabled, and which.
    pub(super) fn job_states_blocking(&self) -> Result<Vec<(Uuid, bool)>> {
        self.database.read(|connection| {
            let mut statement = connection.prepare_cached("SELECT activity, enabled FROM queue_job_state")?;
            let rows = statement.query_map([], |row| Ok((row.get::<_, String>(0)?, row.get::<_, bool>(1)?)))?;
            let mut states = Vec::new();
            for row in rows {
                let (activity, enabled) = row?;
                states.push((Uuid::parse_str(&activity).context("the queue holds a malformed job id")?, enabled));
            }
            Ok(states)
        })
    }

    pub(super) async fn set_job_enabled(&self, activity: Uuid, enabled: bool, actor: String) -> Result<()> {
        self.database
            .write(move |connection| {
                connection.execute(
                    "INSERT INTO queue_job_state (activity, enabled, changed_at, changed_by) VALUES (?1, ?2, ?3, ?4)
                     ON CONFLICT (activity) DO UPDATE SET enabled = excluded.enabled,
                         changed_at = excluded.changed_at, changed_by = excluded.changed_by",
                    params![activity.to_string(), enabled, now_millis(), actor],
                )?;
                Ok(())
            })
            .await
    }

    /// Messages per job and status, with the oldest one's age at `now`. The count walks the
    /// job index alone; the oldest of each group is its lowest `seq`, looked up by key.
    pub(super) async fn depths(&self, now: i64) -> Result<Vec<Depth>> {
        self.database
            .read_async(move |connection| {
                let mut statement = connection.prepare_cached(
                    "SELECT activity, status, messages,
                         (SELECT enqueued_at FROM queue_messages WHERE seq = oldest)
                     FROM (SELECT activity, status, COUNT(*) AS messages, MIN(seq) AS oldest
                           FROM queue_messages GROUP BY activity, status)",
                )?;
                let rows = statement.query_map([], |row| {
                    let (activity, status): (String, String) = (row.get(0)?, row.get(1)?);
                    let (messages, oldest): (i64, Option<i64>) = (row.get(2)?, row.get(3)?);
                    Ok((activity, status, messages, oldest))
                })?;
                let mut depths = Vec::new();
                for row in rows {
                    let (activity, status, messages, oldest) = row?;
                    let (Ok(activity), Some(status)) = (Uuid::parse_str(&activity), MessageStatus::parse(&status))
                    else {
                        continue;
                    };
                    let oldest_age_ms = oldest.map_or(0, |oldest| now.saturating_sub(oldest).max(0));
                    depths.push(Depth { activity, status, messages: messages.max(0) as u64, oldest_age_ms });
                }
                Ok(depths)
            })
            .await
    }

    /// The query plan SQLite chooses for `sql`, one line per step (for tests).
    pub(super) fn plan_blocking(&self, sql: &str, params: &[Param]) -> Result<Vec<String>> {
        self.database.read(|connection| {
            let mut statement = connection.prepare(&format!("EXPLAIN QUERY PLAN {sql}"))?;
            let rows = statement
                .query_map(rusqlite::params_from_iter(params.iter().map(value)), |row| row.get::<_, String>(3))?;
            Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
        })
    }
}

/// A search parameter as SQLite takes it.
fn value(param: &Param) -> rusqlite::types::Value {
    match param {
        Param::Text(text) => rusqlite::types::Value::Text(text.clone()),
        Param::Int(int) => rusqlite::types::Value::Integer(*int),
        Param::Uuid(id) => rusqlite::types::Value::Text(id.to_string()),
    }
}

fn earlier_message(
    connection: &Connection,
    activity: &str,
    external_id: &str,
    hash: &[u8; 32],
) -> Result<Option<Uuid>> {
    let id: Option<String> = connection
        .prepare_cached(
            "SELECT id FROM queue_messages WHERE activity = ?1 AND external_id = ?2 AND body_hash = ?3 LIMIT 1",
        )?
        .query_row(params![activity, external_id, &hash[..]], |row| row.get(0))
        .optional()?;
    id.map(|id| Uuid::parse_str(&id).context("the queue holds a malformed message id")).transpose()
}

fn insert(
    connection: &Connection,
    id: Uuid,
    blob: Uuid,
    message: &NewMessage,
    hash: &[u8; 32],
    size: u64,
    inline: Option<&[u8]>,
) -> Result<()> {
    connection
        .prepare_cached(
            "INSERT INTO queue_messages (id, activity, operation, entity, company, external_id, body_hash, body_size,
                 body, blob, status, enqueued_at, enqueue_user, records, execution, error)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16)",
        )?
        .execute(params![
            id.to_string(),
            message.activity.to_string(),
            message.direction.as_str(),
            message.entity,
            message.company,
            message.external_id,
            &hash[..],
            size as i64,
            inline,
            blob.to_string(),
            message.status.as_str(),
            now_millis(),
            message.user,
            message.records.map(|records| records as i64),
            message.execution,
            message.error,
        ])?;
    Ok(())
}

fn set_status(connection: &Connection, id: Uuid, status: MessageStatus) -> Result<()> {
    connection
        .execute("UPDATE queue_messages SET status = ?2 WHERE id = ?1", params![id.to_string(), status.as_str()])?;
    Ok(())
}

fn read_message(connection: &Connection, id: Uuid) -> Result<Option<Message>> {
    Ok(connection
        .prepare_cached(&format!("SELECT {COLUMNS} FROM queue_messages WHERE id = ?1"))?
        .query_row([id.to_string()], message_from_row)
        .optional()?)
}

fn message_from_row(row: &Row<'_>) -> rusqlite::Result<Message> {
    let uuid = |index: usize| -> rusqlite::Result<Uuid> {
        let text: String = row.get(index)?;
        Uuid::parse_str(&text).map_err(|error| {
            rusqlite::Error::FromSqlConversionFailure(index, rusqlite::types::Type::Text, Box::new(error))
        })
    };
    let time =
        |index: usize| -> rusqlite::Result<Option<String>> { Ok(row.get::<_, Option<i64>>(index)?.map(format_millis)) };
    let status: String = row.get(6)?;
    let operation: String = row.get(2)?;
    Ok(Message {
        message_id: uuid(0)?,
        activity_id: uuid(1)?,
        direction: if operation == "Export" { Operation::Export } else { Operation::Import },
        entity_name: row.get(3)?,
        company: row.get(4)?,
        external_correlation_id: row.get(5)?,
        status: MessageStatus::parse(&status).unwrap_or(MessageStatus::PreProcessingError),
        enqueue_date_time: format_millis(row.get(7)?),
        enqueue_user: row.get(8)?,
        processing_started_date_time: time(9)?,
        processing_completed_date_time: time(10)?,
        last_dequeue_date_time: time(11)?,
        last_download_date_time: time(12)?,
        ack_date_time: time(13)?,
        ack_user: row.get(14)?,
        retry_count: row.get(15)?,
        dequeue_count: row.get(16)?,
        execution_id: row.get(17)?,
        total_records: row.get::<_, Option<i64>>(18)?.map(|records| records.max(0) as u64),
        error: row.get(19)?,
        size: row.get::<_, i64>(20)?.max(0) as u64,
        blob: uuid(21)?,
        pop_receipt: row.get(22)?,
        file_uploaded: row.get::<_, i64>(20)? > 0,
    })
}

/// The next export of job `?1` to hand out at `?2`: the oldest deliverable one that is not
/// leased. Its `WHERE` is that of the index `queue_messages_to_dequeue` (migration V5), which
/// serves it in order.
fn next_export_sql() -> String {
    format!(
        "SELECT {COLUMNS} FROM queue_messages
         WHERE activity = ?1 AND status IN ('Processed', 'ProcessedWithErrors',
             'PostProcessingFailed', 'Dequeued', 'Downloaded')
           AND operation = 'Export' AND (visible_at IS NULL OR visible_at <= ?2)
         ORDER BY seq LIMIT 1"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A dequeue walks an index to the next export; sorting every waiting export of the job
    /// instead made each dequeue cost as much as the job had exports waiting.
    #[test]
    fn the_next_export_is_found_by_walking_an_index_not_by_sorting_the_jobs_messages() {
        let dir = tempfile::tempdir().expect("a directory");
        let database = Database::open(&dir.path().join("server.db")).expect("the database opens");
        let plan = database
            .read(|connection| {
                let mut statement = connection.prepare(&format!("EXPLAIN QUERY PLAN {}", next_export_sql()))?;
                let steps = statement.query_map(params!["job", 0], |row| row.get::<_, String>(3))?;
                Ok(steps.collect::<rusqlite::Result<Vec<_>>>()?.join("\n"))
            })
            .expect("a plan");
        assert!(plan.contains("USING INDEX queue_messages_to_dequeue"), "{plan}");
        assert!(!plan.contains("TEMP B-TREE"), "{plan}");
    }
}
