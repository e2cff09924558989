//! The queue: one message per enqueued document or exported file, with D365's message record
//! and the lease rules of the storage queue under D365's recurring integrations.
//!
//! - Dequeue leases an export message: it hands out a fresh pop receipt and hides the message
//!   for the visibility timeout; an unacknowledged message comes back after it.
//! - Ack needs the current receipt; a stale one changes nothing.
//! - A message delivered (exports) or processed (imports) more than `max_deliveries` times is
//!   poisoned: it stays, says so in its status, and is not handed out again.
//! - Enqueue is idempotent on (job, external identifier, body): a client that repeats an
//!   enqueue whose answer it lost gets the first message's id back and nothing is stored twice.
//!   The same identifier with another body is a new message, since clients send file names
//!   there and the same name comes back with new content every day.
//!
//! Times are milliseconds since the epoch from this host's clock; the store has one host.

use std::time::Duration;

use anyhow::{Context as _, Result};
use rusqlite::{Connection, OptionalExtension as _, Row, params};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::bodies::{Body, Content};
use super::database::Database;
use crate::store::Operation;

/// A message's status. The names are those of D365's message status, plus `Downloaded` (from
/// its job-status contract) and `Poisoned`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum MessageStatus {
    /// Waiting to be processed.
    Enqueued,
    /// Handed to a client by dequeue, not yet acknowledged.
    Dequeued,
    /// Downloaded by a client, not yet acknowledged.
    Downloaded,
    /// Acknowledged by the client: done.
    Acked,
    /// Being read before processing.
    #[serde(alias = "PreProcessing")]
    Preprocessing,
    /// Being processed.
    Processing,
    /// Processed without errors (for exports: ready to dequeue).
    Processed,
    /// Processed, with rejected records or failed entities.
    ProcessedWithErrors,
    /// Could not be read or processed at all.
    PreProcessingError,
    /// Failed after processing.
    #[serde(alias = "PostProcessingError")]
    PostProcessingFailed,
    /// Delivered or processed more often than the limit allows; no longer handed out.
    Poisoned,
}

impl MessageStatus {
    const ALL: [MessageStatus; 11] = [
        MessageStatus::Enqueued,
        MessageStatus::Dequeued,
        MessageStatus::Downloaded,
        MessageStatus::Acked,
        MessageStatus::Preprocessing,
        MessageStatus::Processing,
        MessageStatus::Processed,
        MessageStatus::ProcessedWithErrors,
        MessageStatus::PreProcessingError,
        MessageStatus::PostProcessingFailed,
        MessageStatus::Poisoned,
    ];

    /// The name, as stored and as D365 spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            MessageStatus::Enqueued => "Enqueued",
            MessageStatus::Dequeued => "Dequeued",
            MessageStatus::Downloaded => "Downloaded",
            MessageStatus::Acked => "Acked",
            MessageStatus::Preprocessing => "Preprocessing",
            MessageStatus::Processing => "Processing",
            MessageStatus::Processed => "Processed",
            MessageStatus::ProcessedWithErrors => "ProcessedWithErrors",
            MessageStatus::PreProcessingError => "PreProcessingError",
            MessageStatus::PostProcessingFailed => "PostProcessingFailed",
            MessageStatus::Poisoned => "Poisoned",
        }
    }

    /// The status named `name`, in either of D365's spellings, any case.
    pub fn parse(name: &str) -> Option<MessageStatus> {
        let name = match name.to_ascii_lowercase().as_str() {
            "postprocessingerror" => "postprocessingfailed".to_owned(),
            other => other.to_owned(),
        };
        MessageStatus::ALL.into_iter().find(|status| status.as_str().eq_ignore_ascii_case(&name))
    }

    /// The value D365's `GetMessageStatus` answers for a message of `direction` in this status:
    /// only the names D365 clients know (wire spec, section 1.5, and RIS's
    /// `IntegrationActivityMessageStatus`, which also has `Downloaded`), so that their wait
    /// loops end. `Poisoned` is Wharf's own: it becomes the final failure D365 would report at
    /// the step that kept failing. An import never got through processing, so it failed before
    /// any record was written (`PreProcessingError`); an export was produced but never
    /// delivered, the step after processing (`PostProcessingFailed`). The management API and
    /// the job status log keep saying `Poisoned`.
    pub fn d365_name(self, direction: Operation) -> &'static str {
        match (self, direction) {
            (MessageStatus::Poisoned, Operation::Import) => "PreProcessingError",
            (MessageStatus::Poisoned, Operation::Export) => "PostProcessingFailed",
            (status, _) => status.as_str(),
        }
    }

    /// The `DataJobState` of the job-status contract for a message of `direction` in this
    /// status; `Poisoned` as in [`MessageStatus::d365_name`].
    pub fn data_job_state(self, direction: Operation) -> &'static str {
        match self {
            MessageStatus::Enqueued => "Enqueued",
            MessageStatus::Dequeued => "Dequeued",
            MessageStatus::Downloaded => "Downloaded",
            MessageStatus::Acked => "Acked",
            MessageStatus::Preprocessing | MessageStatus::Processing => "InProcess",
            MessageStatus::Processed => "Processed",
            MessageStatus::ProcessedWithErrors => "ProcessedWithErrors",
            MessageStatus::PostProcessingFailed => "PostProcessError",
            MessageStatus::PreProcessingError => "PreProcessError",
            MessageStatus::Poisoned => match direction {
                Operation::Import => "PreProcessError",
                Operation::Export => "PostProcessError",
            },
        }
    }
}

/// One message: D365's `IntegrationActivityMessageTable` record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Message {
    /// The message id.
    pub message_id: Uuid,
    /// The job's activity id.
    pub activity_id: Uuid,
    /// Import or export.
    pub direction: Operation,
    /// The entity the enqueue named (file mode).
    pub entity_name: Option<String>,
    /// The company the enqueue named.
    pub company: Option<String>,
    /// The sender's `x-ms-dyn-externalidentifier`.
    pub external_correlation_id: Option<String>,
    /// Where the message stands.
    pub status: MessageStatus,
    /// When it was enqueued (or its export produced).
    pub enqueue_date_time: String,
    /// The client that enqueued it.
    pub enqueue_user: Option<String>,
    /// When processing last started.
    pub processing_started_date_time: Option<String>,
    /// When processing last ended.
    pub processing_completed_date_time: Option<String>,
    /// When it was last dequeued.
    pub last_dequeue_date_time: Option<String>,
    /// When it was last downloaded.
    pub last_download_date_time: Option<String>,
    /// When it was acknowledged.
    pub ack_date_time: Option<String>,
    /// Who acknowledged it.
    pub ack_user: Option<String>,
    /// Processing attempts so far.
    pub retry_count: u32,
    /// Deliveries to clients so far.
    pub dequeue_count: u32,
    /// The execution that processed it last.
    pub execution_id: Option<String>,
    /// Records imported or exported.
    pub total_records: Option<u64>,
    /// Whether it carries a file.
    pub file_uploaded: bool,
    /// Why it failed, when it did without an execution to say so.
    pub error: Option<String>,
    /// Its body's size in bytes.
    pub size: u64,
    /// The id of its body in download links.
    #[serde(skip)]
    pub blob: Uuid,
    /// The current pop receipt.
    #[serde(skip)]
    pub pop_receipt: Option<String>,
}

/// What to enqueue.
#[derive(Debug)]
pub struct NewMessage {
    /// The job's activity id.
    pub activity: Uuid,
    /// Import or export.
    pub direction: Operation,
    /// The entity (file mode).
    pub entity: Option<String>,
    /// The company.
    pub company: Option<String>,
    /// The sender's correlation id.
    pub external_id: Option<String>,
    /// The client.
    pub user: Option<String>,
    /// The status it starts in.
    pub status: MessageStatus,
    /// Records it holds, when known (exports).
    pub records: Option<u64>,
    /// The execution that produced it (exports).
    pub execution: Option<String>,
    /// Why there is no file (an export that failed).
    pub error: Option<String>,
}

/// How an ack went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AckOutcome {
    /// The message is now acknowledged.
    Acked,
    /// It already was, with this receipt: nothing changed.
    AlreadyAcked,
    /// The receipt is not the message's current one: nothing changed.
    StaleReceipt,
    /// No such message in this job.
    Unknown,
}

/// A dequeued message, with the dequeue time it had before this dequeue.
#[derive(Debug, Clone)]
pub struct Lease {
    /// The message, as leased.
    pub message: Message,
    /// The receipt to acknowledge it with.
    pub pop_receipt: String,
    /// The previous dequeue, `None` on the first.
    pub previous_dequeue: Option<String>,
}

/// Which messages to list.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct MessageQuery {
    /// Only this job's.
    pub activity: Option<Uuid>,
    /// Only in this status.
    pub status: Option<MessageStatus>,
    /// At most this many (default 100, at most 1,000).
    pub limit: Option<u32>,
    /// After skipping this many, newest first.
    pub offset: Option<u32>,
}

const COLUMNS: &str = "id, activity, operation, entity, company, external_id, status, enqueued_at, enqueue_user,
    processing_started, processing_completed, last_dequeue, last_download, acked_at, ack_user, retry_count,
    dequeue_count, execution, records, error, body_size, blob, pop_receipt";

/// Queue operations over the server database.
#[derive(Debug, Clone)]
pub struct Queue {
    database: Database,
    settings: QueueSettings,
}

/// How the queue keeps and hands out messages.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct QueueSettings {
    /// How long a dequeued, unacknowledged message stays hidden (D365: 30 minutes).
    #[serde(with = "humantime_serde")]
    pub visibility_timeout: Duration,
    /// Deliveries (exports) or processing attempts (imports) before a message is poisoned.
    pub max_deliveries: u32,
    /// How long messages and their bodies are kept (D365: 7 days).
    #[serde(with = "humantime_serde")]
    pub retention: Duration,
    /// How often expired messages are removed.
    #[serde(with = "humantime_serde")]
    pub cleanup_interval: Duration,
}

impl Default for QueueSettings {
    fn default() -> Self {
        QueueSettings {
            visibility_timeout: Duration::from_secs(30 * 60),
            // The Azure Functions queue trigger's default: a message is poisoned after 5 tries.
            max_deliveries: 5,
            retention: Duration::from_secs(7 * 24 * 60 * 60),
            cleanup_interval: Duration::from_secs(60 * 60),
        }
    }
}

impl Queue {
    /// The queue in `database`.
    pub fn new(database: Database, settings: QueueSettings) -> Queue {
        Queue { database, settings }
    }

    /// The database under it.
    pub fn database(&self) -> &Database {
        &self.database
    }

    /// Adds a message with `body` (inline, or a synced file that `keep` moves into place
    /// under the new message's name). Returns the message id, and whether it is an earlier
    /// message's (an idempotent repeat: the new body was not kept).
    pub async fn enqueue(
        &self,
        message: NewMessage,
        body: Body,
        keep: impl FnOnce(&std::path::Path, &str) -> Result<()> + Send + 'static,
    ) -> Result<(Uuid, bool)> {
        // A repeat whose body went to a file is caught before that file is kept under a new
        // name; inline bodies need only the check inside the writer below.
        if let (Some(external_id), Content::File(_)) = (&message.external_id, &body.content) {
            let (activity, external_id, hash) = (message.activity.to_string(), external_id.clone(), body.hash);
            let earlier = self
                .database
                .read_async(move |connection| earlier_message(connection, &activity, &external_id, &hash))
                .await?;
            if let Some(earlier) = earlier {
                discard(&body);
                return Ok((earlier, true));
            }
        }
        let id = Uuid::new_v4();
        let blob = Uuid::new_v4();
        let inline = match body.content {
            Content::Inline(bytes) => Some(bytes),
            Content::File(path) => {
                let name = id.to_string();
                tokio::task::spawn_blocking(move || keep(&path, &name)).await.context("keeping a body panicked")??;
                None
            }
        };
        let (hash, size) = (body.hash, body.size);
        self.database
            .write(move |connection| {
                // Checked inside the writer, where writes take turns: two identical enqueues
                // racing each other still make one message.
                if let Some(external_id) = &message.external_id
                    && let Some(earlier) =
                        earlier_message(connection, &message.activity.to_string(), external_id, &hash)?
                {
                    return Ok((earlier, true));
                }
                insert(connection, id, blob, &message, &hash, size, inline.as_deref())?;
                Ok((id, false))
            })
            .await
    }

    /// Adds a message for a body already in place under its name (`id`): an export's file.
    pub fn add_blocking(&self, id: Uuid, message: NewMessage, hash: [u8; 32], size: u64) -> Result<Uuid> {
        self.database.write_blocking(move |connection| {
            insert(connection, id, Uuid::new_v4(), &message, &hash, size, None)?;
            Ok(id)
        })
    }

    /// Adds an export's message whose file was written to the job's outbound folder as
    /// `message.external_id`: committed acknowledged (by `"outbound folder"`), in one write,
    /// so no client ever dequeues it.
    pub fn add_delivered_blocking(&self, id: Uuid, message: NewMessage, hash: [u8; 32], size: u64) -> Result<Uuid> {
        self.database.write_blocking(move |connection| {
            let message = NewMessage { status: MessageStatus::Acked, ..message };
            insert(connection, id, Uuid::new_v4(), &message, &hash, size, None)?;
            connection.execute(
                "UPDATE queue_messages SET acked_at = enqueued_at, ack_user = 'outbound folder' WHERE id = ?1",
                [id.to_string()],
            )?;
            Ok(id)
        })
    }

    /// Whether message `id` is in the queue (blocking: call it off the async runtime).
    pub fn contains_blocking(&self, id: Uuid) -> Result<bool> {
        self.database.read(|connection| {
            let found = connection
                .prepare_cached("SELECT 1 FROM queue_messages WHERE id = ?1")?
                .query_row([id.to_string()], |_| Ok(()))
                .optional()?;
            Ok(found.is_some())
        })
    }

    /// The message `id`.
    pub async fn message(&self, id: Uuid) -> Result<Option<Message>> {
        self.database.read_async(move |connection| read_message(connection, id)).await
    }

    /// Messages matching `query`, newest first.
    pub async fn messages(&self, query: MessageQuery) -> Result<Vec<Message>> {
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
    pub fn inline_body(&self, id: Uuid) -> Result<Option<Vec<u8>>> {
        self.database.read(|connection| {
            let body = connection
                .query_row("SELECT body FROM queue_messages WHERE id = ?1", [id.to_string()], |row| row.get(0))
                .optional()?;
            Ok(body.flatten())
        })
    }

    /// Leases the oldest export message of `activity` that is visible: a fresh pop receipt,
    /// hidden for the visibility timeout. Messages over the delivery limit are poisoned on
    /// the way.
    pub async fn dequeue(&self, activity: Uuid, now: i64) -> Result<Option<Lease>> {
        let visibility = millis(self.settings.visibility_timeout);
        let max_deliveries = self.settings.max_deliveries;
        self.database
            .write(move |connection| {
                loop {
                    let candidate = connection
                        .query_row(
                            &format!(
                                "SELECT {COLUMNS} FROM queue_messages
                                 WHERE activity = ?1 AND status IN ('Processed', 'ProcessedWithErrors',
                                     'PostProcessingFailed', 'Dequeued', 'Downloaded')
                                   AND operation = 'Export' AND (visible_at IS NULL OR visible_at <= ?2)
                                 ORDER BY seq LIMIT 1"
                            ),
                            params![activity.to_string(), now],
                            message_from_row,
                        )
                        .optional()?;
                    let Some(message) = candidate else { return Ok(None) };
                    if message.dequeue_count >= max_deliveries {
                        set_status(connection, message.message_id, MessageStatus::Poisoned)?;
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
                    return Ok(Some(Lease { message, pop_receipt: receipt, previous_dequeue }));
                }
            })
            .await
    }

    /// Records a download of message `id`'s body through its link (`blob`); `None` when the
    /// link names no message of `activity`.
    pub async fn download(&self, activity: Uuid, id: Uuid, blob: Uuid, now: i64) -> Result<Option<Message>> {
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

    /// Acknowledges message `id` of `activity` with `receipt`.
    pub async fn ack(&self, activity: Uuid, id: Uuid, receipt: String, user: String, now: i64) -> Result<AckOutcome> {
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

    /// Takes the oldest enqueued import message of `activity` for processing: it becomes
    /// `Processing` with one more attempt counted, or `Poisoned` when it is out of attempts.
    pub fn claim_blocking(&self, activity: Uuid, now: i64) -> Result<Option<Message>> {
        let max_deliveries = self.settings.max_deliveries;
        self.database.write_blocking(move |connection| {
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
                let Some(message) = candidate else { return Ok(None) };
                if message.retry_count >= max_deliveries {
                    set_status(connection, message.message_id, MessageStatus::Poisoned)?;
                    tracing::warn!(message = %message.message_id, "message poisoned after {max_deliveries} attempts");
                    continue;
                }
                connection.execute(
                    "UPDATE queue_messages SET status = 'Processing', retry_count = retry_count + 1,
                         processing_started = ?2, processing_completed = NULL, error = NULL
                     WHERE id = ?1",
                    params![message.message_id.to_string(), now],
                )?;
                return read_message(connection, message.message_id);
            }
        })
    }

    /// Records which execution processes message `id`.
    pub fn set_execution_blocking(&self, id: Uuid, execution: String) -> Result<()> {
        self.database.write_blocking(move |connection| {
            connection.execute(
                "UPDATE queue_messages SET execution = ?2 WHERE id = ?1",
                params![id.to_string(), execution],
            )?;
            Ok(())
        })
    }

    /// Records how processing message `id` ended.
    pub fn finish_blocking(
        &self,
        id: Uuid,
        status: MessageStatus,
        records: Option<u64>,
        error: Option<String>,
        now: i64,
    ) -> Result<()> {
        self.database.write_blocking(move |connection| {
            connection.execute(
                "UPDATE queue_messages SET status = ?2, records = ?3, error = ?4, processing_completed = ?5
                 WHERE id = ?1",
                params![id.to_string(), status.as_str(), records.map(|records| records as i64), error, now],
            )?;
            Ok(())
        })
    }

    /// Import messages left `Processing` (their process died) with the execution each had.
    pub fn processing_blocking(&self, activity: Option<Uuid>) -> Result<Vec<Message>> {
        self.database.read(|connection| {
            let mut statement = connection.prepare_cached(&format!(
                "SELECT {COLUMNS} FROM queue_messages
                 WHERE status IN ('Processing', 'Preprocessing') AND (?1 IS NULL OR activity = ?1)"
            ))?;
            let rows = statement.query_map([activity.map(|activity| activity.to_string())], message_from_row)?;
            Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
        })
    }

    /// Puts message `id` back in line to be processed again.
    pub fn requeue_blocking(&self, id: Uuid) -> Result<()> {
        self.database.write_blocking(move |connection| set_status(connection, id, MessageStatus::Enqueued))
    }

    /// Removes messages enqueued before `before`, except those being processed. Returns the
    /// names of the body files to delete.
    pub fn expire_blocking(&self, before: i64) -> Result<Vec<String>> {
        self.database.write_blocking(move |connection| {
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

    /// The names of every body file a message row names.
    pub fn body_files_blocking(&self) -> Result<Vec<String>> {
        self.database.read(|connection| {
            let mut statement = connection.prepare("SELECT id FROM queue_messages WHERE body IS NULL")?;
            let rows = statement.query_map([], |row| row.get::<_, String>(0))?;
            Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
        })
    }
}

/// The message of `activity` with the same external id and body, if one is still kept.
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

/// A pop receipt: 16 random bytes, base64 as Azure's look.
fn pop_receipt() -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(Uuid::new_v4().as_bytes())
}

fn discard(body: &Body) {
    if let Content::File(path) = &body.content {
        let _ = std::fs::remove_file(path);
    }
}

/// Now, in milliseconds since the epoch.
pub fn now_millis() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

/// A duration in milliseconds, saturating.
pub fn millis(duration: Duration) -> i64 {
    i64::try_from(duration.as_millis()).unwrap_or(i64::MAX)
}

/// Milliseconds since the epoch as RFC 3339 in UTC, as executions record times.
pub fn format_millis(millis: i64) -> String {
    chrono::DateTime::from_timestamp_millis(millis)
        .unwrap_or_default()
        .to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}
