//! The queue: one message per enqueued document or exported file, with D365's message record
//! and the lease rules of the storage queue under D365's recurring integrations.
//!
//! - Dequeue leases an export message: it hands out a fresh pop receipt and hides the message
//!   for the visibility timeout; an unacknowledged message comes back after it.
//! - Ack needs the current receipt; a stale one changes nothing.
//! - Processing an import message is a lease too: its claim hands out a fresh receipt, and the
//!   execution and the outcome are recorded only under that receipt (a fencing token), so a
//!   process that lost the message changes nothing.
//! - A message delivered (exports) or processed (imports) more than `max_deliveries` times is
//!   poisoned: it stays, says so in its status, and is not handed out again.
//! - Enqueue is idempotent on (job, external identifier, body): a client that repeats an
//!   enqueue whose answer it lost gets the first message's id back and nothing is stored twice.
//!   The same identifier with another body is a new message, since clients send file names
//!   there and the same name comes back with new content every day.
//!
//! Two backends keep it, each with its SQL in one place: the server's SQLite database for one
//! process (`queue/sqlite.rs`), or PostgreSQL for replicas that share it
//! (`queue/postgres.rs`). Callers see one [`Queue`].
mod actions;
mod postgres;
mod search;
mod sqlite;

use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::time::Duration;

use anyhow::{Context as _, Result};
use futures_util::Stream;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::bodies::{Bodies, Body, Content};
use super::database::Database;
use crate::backend::Postgres;
use crate::store::Operation;

pub use actions::{ActionOutcome, BULK_CHUNK, BulkOutcome, EventKind, MessageAction, TimelineEvent};
pub use postgres::CHANNEL;
pub use search::{
    BODY_SEARCH_BODIES, BODY_SEARCH_PREFIX, BODY_SEARCH_TIME, BadCursor, BodySearch, COUNT_CAP, MessageFilter,
    MessagePage, PAGE_LIMIT_DEFAULT, PAGE_LIMIT_MAX, TextMatch, Total, parse_time,
};
use search::{Dialect, Narrowing, Position};

/// A message's status. The names are those of D365's message status, plus `Downloaded` (from
/// its job-status contract) and `Poisoned`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
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
    /// Every status, in the order a message usually passes them.
    pub const ALL: [MessageStatus; 11] = [
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
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
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

/// How many messages one job has in one status, and how old the oldest of them is: what
/// `/metrics` reports as the queue's depth and the console's overview shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Depth {
    /// The job's activity id.
    pub activity: Uuid,
    /// The status.
    pub status: MessageStatus,
    /// Messages in it.
    pub messages: u64,
    /// How long ago the oldest of them was enqueued, in milliseconds.
    pub oldest_age_ms: i64,
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

/// A message's body, chunk by chunk.
pub type BodyStream = Pin<Box<dyn Stream<Item = Result<bytes::Bytes>> + Send>>;

/// A message's body as a file, for the pipeline, which reads files: the kept file itself, or
/// a temporary copy removed when this is dropped.
#[derive(Debug)]
pub enum BodyFile {
    /// The file the queue keeps.
    Kept(PathBuf),
    /// A copy made for this processing.
    Temporary(tempfile::TempPath),
}

impl BodyFile {
    /// Where the body is.
    pub fn path(&self) -> &Path {
        match self {
            BodyFile::Kept(path) => path,
            BodyFile::Temporary(path) => path,
        }
    }
}

/// The queue: its messages, their bodies, and the rules it hands them out by. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Queue {
    backend: Backend,
    bodies: Bodies,
    settings: QueueSettings,
    /// Bodies a body search reads per page ([`BODY_SEARCH_BODIES`]; tests lower it).
    body_search_bodies: u64,
    /// Messages a bulk action changes per write ([`BULK_CHUNK`]; tests lower it).
    bulk_chunk: usize,
}

#[derive(Debug, Clone)]
enum Backend {
    Sqlite(sqlite::SqliteQueue),
    Postgres(postgres::PgQueue),
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
    /// How long a replica holds an import message it processes without renewing its lease
    /// (PostgreSQL): it renews every third of this while it works, and when it dies or
    /// freezes, another replica takes the message over once this has passed.
    #[serde(with = "humantime_serde")]
    pub lease: Duration,
}

impl Default for QueueSettings {
    fn default() -> Self {
        QueueSettings {
            visibility_timeout: Duration::from_secs(30 * 60),
            // The Azure Functions queue trigger's default: a message is poisoned after 5 tries.
            max_deliveries: 5,
            retention: Duration::from_secs(7 * 24 * 60 * 60),
            cleanup_interval: Duration::from_secs(60 * 60),
            lease: Duration::from_secs(60),
        }
    }
}

impl Queue {
    /// The queue in the server's SQLite `database`, with large bodies in `bodies`.
    pub fn new(database: Database, bodies: Bodies, settings: QueueSettings) -> Queue {
        let backend = Backend::Sqlite(sqlite::SqliteQueue { database });
        Queue { backend, bodies, settings, body_search_bodies: BODY_SEARCH_BODIES, bulk_chunk: BULK_CHUNK }
    }

    /// The queue in a PostgreSQL database that replicas share; `bodies` holds only the files
    /// on their way in or out.
    pub fn postgres(postgres: Postgres, bodies: Bodies, settings: QueueSettings) -> Queue {
        let backend = Backend::Postgres(postgres::PgQueue { postgres });
        Queue { backend, bodies, settings, body_search_bodies: BODY_SEARCH_BODIES, bulk_chunk: BULK_CHUNK }
    }

    /// The server's SQLite database, when that is the backend.
    pub fn database(&self) -> Option<&Database> {
        match &self.backend {
            Backend::Sqlite(queue) => Some(&queue.database),
            Backend::Postgres(_) => None,
        }
    }

    /// The PostgreSQL database, when that is the backend.
    pub fn postgres_database(&self) -> Option<&Postgres> {
        match &self.backend {
            Backend::Sqlite(_) => None,
            Backend::Postgres(queue) => Some(&queue.postgres),
        }
    }

    /// Where bodies arrive and (with SQLite) are kept.
    pub fn bodies(&self) -> &Bodies {
        &self.bodies
    }

    /// Adds a message with `body` (inline, or a synced temporary file). Returns the message
    /// id, and whether it is an earlier message's (an idempotent repeat: the new body was not
    /// kept).
    pub async fn enqueue(&self, message: NewMessage, body: Body) -> Result<(Uuid, bool)> {
        let id = Uuid::new_v4();
        let activity = message.activity;
        let enqueued = self.enqueue_as(id, message, body).await;
        if let Ok((_, false)) = enqueued {
            ::metrics::counter!(crate::metrics::QUEUE_ENQUEUED, "job" => activity.to_string()).increment(1);
        }
        enqueued
    }

    /// [`enqueue`](Self::enqueue) under the new message's `id`.
    async fn enqueue_as(&self, id: Uuid, message: NewMessage, body: Body) -> Result<(Uuid, bool)> {
        match &self.backend {
            Backend::Sqlite(queue) => {
                // A repeat whose body went to a file is caught before that file is kept under
                // a new name; inline bodies need only the check inside the writer.
                if let (Some(external_id), Content::File(_)) = (&message.external_id, &body.content)
                    && let Some(earlier) = queue.earlier(message.activity, external_id.clone(), body.hash).await?
                {
                    discard(&body);
                    return Ok((earlier, true));
                }
                let inline = match body.content {
                    Content::Inline(bytes) => Some(bytes),
                    Content::File(path) => {
                        let (bodies, name) = (self.bodies.clone(), id.to_string());
                        tokio::task::spawn_blocking(move || bodies.keep(&path, &name))
                            .await
                            .context("keeping a body panicked")??;
                        None
                    }
                };
                queue.insert(id, message, body.hash, body.size, inline).await
            }
            Backend::Postgres(queue) => {
                let source = match &body.content {
                    Content::Inline(bytes) => postgres::Source::Bytes(bytes),
                    Content::File(path) => postgres::Source::File(path),
                };
                let inserted = queue.insert(id, &message, &body.hash, body.size, source).await;
                discard(&body);
                inserted
            }
        }
    }

    /// Makes `output` (an export's finished file) the body of message `id`, and returns
    /// where that body now is, for an outbound folder to copy.
    pub fn keep_export(&self, output: &Path, id: Uuid) -> Result<PathBuf> {
        match &self.backend {
            Backend::Sqlite(_) => self.bodies.keep(output, &id.to_string()),
            // The file goes into the database with its message.
            Backend::Postgres(_) => Ok(output.to_owned()),
        }
    }

    /// Adds an export's message `id` whose body [`keep_export`](Self::keep_export) returned
    /// (`None`: an export that failed, without a file). An export written to the job's
    /// outbound folder is committed acknowledged (`status` `Acked`), so no client dequeues it.
    pub fn add_blocking(
        &self,
        id: Uuid,
        message: NewMessage,
        hash: [u8; 32],
        size: u64,
        body: Option<&Path>,
    ) -> Result<Uuid> {
        let activity = message.activity;
        let added = match &self.backend {
            Backend::Sqlite(queue) => queue.add_blocking(id, message, hash, size),
            Backend::Postgres(queue) => {
                let source = body.map_or(postgres::Source::None, postgres::Source::File);
                let added = queue.postgres.block_on(queue.insert(id, &message, &hash, size, source));
                if let Some(body) = body {
                    let _ = std::fs::remove_file(body);
                }
                Ok(added?.0)
            }
        }?;
        ::metrics::counter!(crate::metrics::QUEUE_ENQUEUED, "job" => activity.to_string()).increment(1);
        Ok(added)
    }

    /// Whether message `id` is in the queue (blocking: call it off the async runtime).
    pub fn contains_blocking(&self, id: Uuid) -> Result<bool> {
        match &self.backend {
            Backend::Sqlite(queue) => queue.contains_blocking(id),
            Backend::Postgres(queue) => queue.postgres.block_on(queue.contains(id)),
        }
    }

    /// The message `id`.
    pub async fn message(&self, id: Uuid) -> Result<Option<Message>> {
        match &self.backend {
            Backend::Sqlite(queue) => queue.message(id).await,
            Backend::Postgres(queue) => queue.message(id).await,
        }
    }

    /// Messages matching `query`, newest first.
    pub async fn messages(&self, query: MessageQuery) -> Result<Vec<Message>> {
        match &self.backend {
            Backend::Sqlite(queue) => queue.messages(query).await,
            Backend::Postgres(queue) => queue.messages(query).await,
        }
    }

    /// The body of message `id`, streamed.
    pub async fn body(&self, id: Uuid) -> Result<BodyStream> {
        match &self.backend {
            Backend::Sqlite(queue) => {
                let queue = queue.clone();
                let inline = tokio::task::spawn_blocking(move || queue.inline_body(id)).await??;
                Ok(match inline {
                    Some(bytes) => Box::pin(futures_util::stream::once(async { Ok(bytes::Bytes::from(bytes)) })),
                    None => {
                        let file = tokio::fs::File::open(self.bodies.path(&id.to_string()))
                            .await
                            .context("a message's body file is missing")?;
                        Box::pin(futures_util::TryStreamExt::map_err(
                            tokio_util::io::ReaderStream::new(file),
                            anyhow::Error::from,
                        ))
                    }
                })
            }
            Backend::Postgres(queue) => Ok(Box::pin(queue.body(id.to_string()))),
        }
    }

    /// The body of message `id` as a file, making a temporary one in `dir` when needed
    /// (blocking: call it off the async runtime).
    pub fn body_file_blocking(&self, id: Uuid, dir: &Path) -> Result<BodyFile> {
        let temporary = || {
            tempfile::NamedTempFile::new_in(dir)
                .or_else(|_| tempfile::NamedTempFile::new())
                .context("cannot make a file for the message's body")
        };
        match &self.backend {
            Backend::Sqlite(queue) => match queue.inline_body(id)? {
                Some(bytes) => {
                    let mut file = temporary()?;
                    std::io::Write::write_all(&mut file, &bytes).context("cannot write the message's body")?;
                    Ok(BodyFile::Temporary(file.into_temp_path()))
                }
                None => Ok(BodyFile::Kept(self.bodies.path(&id.to_string()))),
            },
            Backend::Postgres(queue) => {
                let path = temporary()?.into_temp_path();
                queue.postgres.block_on(queue.spool(id.to_string(), &path))?;
                Ok(BodyFile::Temporary(path))
            }
        }
    }

    /// Leases the oldest export message of `activity` that is visible: a fresh pop receipt,
    /// hidden for the visibility timeout. Messages over the delivery limit are poisoned on
    /// the way. `now` is this host's clock, which only SQLite uses: PostgreSQL times leases
    /// by its own.
    pub async fn dequeue(&self, activity: Uuid, now: i64) -> Result<Option<Lease>> {
        let (visibility, max_deliveries) = (millis(self.settings.visibility_timeout), self.settings.max_deliveries);
        let lease = match &self.backend {
            Backend::Sqlite(queue) => queue.dequeue(activity, now, visibility, max_deliveries).await,
            Backend::Postgres(queue) => queue.dequeue(activity, visibility, max_deliveries).await,
        }?;
        if let Some(lease) = &lease {
            handed_out(crate::metrics::QUEUE_DEQUEUED, activity, lease.message.dequeue_count);
        }
        Ok(lease)
    }

    /// Records a download of message `id`'s body through its link (`blob`); `None` when the
    /// link names no message of `activity`.
    pub async fn download(&self, activity: Uuid, id: Uuid, blob: Uuid, now: i64) -> Result<Option<Message>> {
        match &self.backend {
            Backend::Sqlite(queue) => queue.download(activity, id, blob, now).await,
            Backend::Postgres(queue) => queue.download(activity, id, blob).await,
        }
    }

    /// Acknowledges message `id` of `activity` with `receipt`.
    pub async fn ack(&self, activity: Uuid, id: Uuid, receipt: String, user: String, now: i64) -> Result<AckOutcome> {
        let outcome = match &self.backend {
            Backend::Sqlite(queue) => queue.ack(activity, id, receipt, user, now).await,
            Backend::Postgres(queue) => queue.ack(activity, id, &receipt, &user).await,
        }?;
        if outcome == AckOutcome::Acked {
            ::metrics::counter!(crate::metrics::QUEUE_ACKED, "job" => activity.to_string()).increment(1);
        }
        Ok(outcome)
    }

    /// Takes the oldest enqueued import message of `activity` for processing, under a fresh
    /// receipt (its `pop_receipt`): it becomes `Processing` with one more attempt counted, or
    /// `Poisoned` when it is out of attempts. For a job that processes `in_order`, nothing is
    /// taken while another of its messages is being processed.
    pub fn claim_blocking(&self, activity: Uuid, in_order: bool) -> Result<Option<Message>> {
        let max_deliveries = self.settings.max_deliveries;
        let claimed = match &self.backend {
            Backend::Sqlite(queue) => queue.claim_blocking(activity, now_millis(), max_deliveries),
            Backend::Postgres(queue) => {
                let lease = millis(self.settings.lease);
                queue.postgres.block_on(queue.claim(activity, in_order, lease, max_deliveries))
            }
        }?;
        if let Some(message) = &claimed {
            handed_out(crate::metrics::QUEUE_CLAIMED, activity, message.retry_count);
        }
        Ok(claimed)
    }

    /// Extends the lease of message `id` while it is processed: `false` once `receipt` no
    /// longer holds it. (SQLite's one process needs no lease kept alive: see
    /// [`heartbeat_interval`](Self::heartbeat_interval).)
    pub fn heartbeat_blocking(&self, id: Uuid, receipt: &str) -> Result<bool> {
        match &self.backend {
            Backend::Sqlite(_) => Ok(true),
            Backend::Postgres(queue) => {
                queue.postgres.block_on(queue.heartbeat(id, receipt, millis(self.settings.lease)))
            }
        }
    }

    /// How often a processing lease is renewed: a third of it, so two renewals may fail
    /// before it lapses. `None` with SQLite, whose one process needs no lease kept alive.
    pub fn heartbeat_interval(&self) -> Option<Duration> {
        match &self.backend {
            Backend::Sqlite(_) => None,
            Backend::Postgres(_) => Some(self.settings.lease / 3),
        }
    }

    /// Records which execution processes message `id` under `receipt`; `false` when the
    /// receipt no longer holds the message.
    pub fn set_execution_blocking(&self, id: Uuid, receipt: Option<String>, execution: String) -> Result<bool> {
        match &self.backend {
            Backend::Sqlite(queue) => queue.set_execution_blocking(id, receipt, execution),
            Backend::Postgres(queue) => {
                queue.postgres.block_on(queue.set_execution(id, receipt.as_deref(), &execution))
            }
        }
    }

    /// Records how processing message `id` under `receipt` ended; `false` (and nothing
    /// changed) when the receipt no longer holds the message.
    pub fn finish_blocking(
        &self,
        id: Uuid,
        receipt: Option<String>,
        status: MessageStatus,
        records: Option<u64>,
        error: Option<String>,
    ) -> Result<bool> {
        match &self.backend {
            Backend::Sqlite(queue) => queue.finish_blocking(id, receipt, status, records, error, now_millis()),
            Backend::Postgres(queue) => {
                queue.postgres.block_on(queue.finish(id, receipt.as_deref(), status, records, error.as_deref()))
            }
        }
    }

    /// Import messages whose processing stalled: with SQLite, every message left processing
    /// (the caller skips its own); with PostgreSQL, those whose lease lapsed.
    pub fn stalled_blocking(&self, activity: Option<Uuid>) -> Result<Vec<Message>> {
        match &self.backend {
            Backend::Sqlite(queue) => queue.stalled_blocking(activity),
            Backend::Postgres(queue) => queue.postgres.block_on(queue.stalled(activity)),
        }
    }

    /// Puts stalled message `id` back in line, only if it is still stalled under `receipt`;
    /// `false` when it moved on meanwhile.
    pub fn requeue_blocking(&self, id: Uuid, receipt: Option<String>) -> Result<bool> {
        match &self.backend {
            Backend::Sqlite(queue) => queue.requeue_blocking(id, receipt),
            Backend::Postgres(queue) => queue.postgres.block_on(queue.requeue(id, receipt.as_deref())),
        }
    }

    /// Whether this process runs `activity`'s recurrence that is due now. With SQLite the one
    /// scheduler decides; with PostgreSQL the first replica to claim the due time does, and
    /// the next one is `period` later.
    pub fn take_turn_blocking(&self, activity: Uuid, period: Duration) -> Result<bool> {
        match &self.backend {
            Backend::Sqlite(_) => Ok(true),
            Backend::Postgres(queue) => queue.postgres.block_on(queue.take_turn(activity, millis(period))),
        }
    }

    /// Removes messages enqueued before `before` with their bodies, except those being
    /// processed. Returns how many.
    pub fn expire_blocking(&self, before: i64) -> Result<usize> {
        match &self.backend {
            Backend::Sqlite(queue) => {
                let files = queue.expire_blocking(before)?;
                for name in &files {
                    let path = self.bodies.path(name);
                    if let Err(error) = std::fs::remove_file(&path)
                        && error.kind() != std::io::ErrorKind::NotFound
                    {
                        tracing::warn!(file = %path.display(), "cannot remove an expired body: {error}");
                    }
                }
                Ok(files.len())
            }
            Backend::Postgres(queue) => queue.postgres.block_on(queue.expire(before)),
        }
    }

    /// The definitions (JSON) of the jobs made through the management API.
    pub fn job_definitions_blocking(&self) -> Result<Vec<String>> {
        match &self.backend {
            Backend::Sqlite(queue) => queue.job_definitions_blocking(),
            Backend::Postgres(queue) => queue.postgres.block_on(queue.job_definitions()),
        }
    }

    /// Keeps the definition of job `activity` made through the management API.
    pub async fn put_job_definition(&self, activity: Uuid, definition: String) -> Result<()> {
        match &self.backend {
            Backend::Sqlite(queue) => queue.put_job_definition(activity, definition).await,
            Backend::Postgres(queue) => queue.put_job_definition(activity, &definition).await,
        }
    }

    /// Forgets the definition of job `activity`.
    pub async fn delete_job_definition(&self, activity: Uuid) -> Result<()> {
        match &self.backend {
            Backend::Sqlite(queue) => queue.delete_job_definition(activity).await,
            Backend::Postgres(queue) => queue.delete_job_definition(activity).await,
        }
    }

    /// One page of the messages matching `filter`, newest first, after `cursor` (from the
    /// previous page's `next`; `None` for the first page), at most `limit` (1 to
    /// [`PAGE_LIMIT_MAX`]). A cursor this server did not hand out is an error whose root cause
    /// is [`BadCursor`].
    ///
    /// The filter's text, when it names a message id or some message's external correlation id,
    /// finds exactly those; otherwise it is looked for inside bodies, newest first, within a
    /// budget per page ([`BODY_SEARCH_BODIES`], [`BODY_SEARCH_TIME`], the first
    /// [`BODY_SEARCH_PREFIX`] bytes of each), and the page says how far it got.
    pub async fn search(&self, filter: &MessageFilter, cursor: Option<&str>, limit: u32) -> Result<MessagePage> {
        let limit = limit.clamp(1, PAGE_LIMIT_MAX);
        let after = match cursor.map(str::trim).filter(|cursor| !cursor.is_empty()) {
            Some(cursor) => Some(Position::decode(cursor)?),
            None => None,
        };
        let narrowing = self.narrowing(filter).await?;
        let matched_by = match &narrowing {
            Narrowing::None => None,
            Narrowing::Id(_) => Some(TextMatch::MessageId),
            Narrowing::Correlation(_) => Some(TextMatch::CorrelationId),
            Narrowing::Body(_) => Some(TextMatch::Body),
        };
        if let Narrowing::Body(text) = &narrowing {
            return self.search_bodies(filter, text.as_bytes(), after, limit).await;
        }
        let mut rows = self.walk(filter, &narrowing, after, limit + 1).await?;
        let more = rows.len() > limit as usize;
        rows.truncate(limit as usize);
        let next = match more {
            true => rows.last().map(|(_, position)| position.encode()),
            false => None,
        };
        let (sql, params) = search::count(self.dialect(), filter, &narrowing);
        let count = match &self.backend {
            Backend::Sqlite(queue) => queue.count(sql, params).await?,
            Backend::Postgres(queue) => queue.count(sql, params).await?,
        };
        Ok(MessagePage {
            messages: rows.into_iter().map(|(message, _)| message).collect(),
            next,
            total: Some(Total { count: count.min(COUNT_CAP), capped: count > COUNT_CAP }),
            matched_by,
            body_search: None,
        })
    }

    fn dialect(&self) -> Dialect {
        match &self.backend {
            Backend::Sqlite(_) => Dialect::Sqlite,
            Backend::Postgres(_) => Dialect::Postgres,
        }
    }

    /// What the filter's text narrows the search to: a message id or a correlation id some
    /// message has, else text to look for in bodies.
    async fn narrowing(&self, filter: &MessageFilter) -> Result<Narrowing> {
        let Some(text) = filter.text.as_deref().map(str::trim).filter(|text| !text.is_empty()) else {
            return Ok(Narrowing::None);
        };
        let id = Uuid::parse_str(text.trim_start_matches('{').trim_end_matches('}')).ok();
        let (id_known, correlation_known) = match &self.backend {
            Backend::Sqlite(queue) => queue.known(id, text.to_owned()).await?,
            Backend::Postgres(queue) => queue.known(id, text.to_owned()).await?,
        };
        Ok(match (id, id_known, correlation_known) {
            (Some(id), true, _) => Narrowing::Id(id),
            (_, _, true) => Narrowing::Correlation(text.to_owned()),
            _ => Narrowing::Body(text.to_ascii_lowercase()),
        })
    }

    /// The newest `limit` messages matching `filter` and `narrowing` after `after`, with their
    /// places in the order: one index walk per status, merged.
    async fn walk(
        &self,
        filter: &MessageFilter,
        narrowing: &Narrowing,
        after: Option<Position>,
        limit: u32,
    ) -> Result<Vec<(Message, Position)>> {
        let walks: Vec<_> = search::status_walks(filter, narrowing)
            .into_iter()
            .map(|status| {
                let columns = match &self.backend {
                    Backend::Sqlite(_) => sqlite::SEARCH_COLUMNS,
                    Backend::Postgres(_) => postgres::SEARCH_COLUMNS,
                };
                search::walk(self.dialect(), columns, filter, status, narrowing, after, limit)
            })
            .collect();
        let rows = match &self.backend {
            Backend::Sqlite(queue) => queue.walks(walks).await?,
            Backend::Postgres(queue) => queue.walks(walks).await?,
        };
        Ok(search::merge(rows, limit as usize))
    }

    /// A page of the messages matching `filter` whose body holds `needle` (lowercase), read
    /// newest first from `after` until the page is full, the messages run out, or the budget
    /// does.
    async fn search_bodies(
        &self,
        filter: &MessageFilter,
        needle: &[u8],
        after: Option<Position>,
        limit: u32,
    ) -> Result<MessagePage> {
        let deadline = std::time::Instant::now() + BODY_SEARCH_TIME;
        let (mut found, mut searched, mut position) = (Vec::new(), BodySearch::default(), after);
        let mut buffer = Vec::new();
        let mut exhausted = false;
        'walk: loop {
            let left = self.body_search_bodies.saturating_sub(searched.scanned);
            if left == 0 || std::time::Instant::now() >= deadline {
                searched.stopped_by_budget = true;
                break;
            }
            let batch = search::BODY_SEARCH_BATCH.min(u32::try_from(left).unwrap_or(u32::MAX));
            let rows = self.walk(filter, &Narrowing::None, position, batch).await?;
            let ids: Vec<Uuid> = rows.iter().map(|(message, _)| message.message_id).collect();
            let mut bodies: std::collections::HashMap<Uuid, Vec<u8>> =
                self.body_prefixes(ids).await?.into_iter().collect();
            let short = rows.len() < batch as usize;
            for (message, row_position) in rows {
                if found.len() >= limit as usize {
                    break 'walk;
                }
                if std::time::Instant::now() >= deadline {
                    searched.stopped_by_budget = true;
                    break 'walk;
                }
                position = Some(row_position);
                if let Some(body) = bodies.remove(&message.message_id) {
                    searched.scanned += 1;
                    searched.scanned_bytes += body.len() as u64;
                    searched.oldest_scanned = Some(message.enqueue_date_time.clone());
                    if search::body_contains(&body, needle, &mut buffer) {
                        found.push(message);
                    }
                }
            }
            if short {
                exhausted = true;
                break;
            }
        }
        // A full page ends where the search stopped; so does one the budget cut short.
        let next = match exhausted {
            true => None,
            false => position.map(Position::encode),
        };
        Ok(MessagePage {
            messages: found,
            next,
            total: None,
            matched_by: Some(TextMatch::Body),
            body_search: Some(searched),
        })
    }

    /// The first [`BODY_SEARCH_PREFIX`] bytes of the bodies of `ids` that have one.
    async fn body_prefixes(&self, ids: Vec<Uuid>) -> Result<Vec<(Uuid, Vec<u8>)>> {
        match &self.backend {
            Backend::Sqlite(queue) => {
                let (mut inline, files) = queue.body_prefixes(ids, BODY_SEARCH_PREFIX).await?;
                let bodies = self.bodies.clone();
                let read = tokio::task::spawn_blocking(move || {
                    files
                        .into_iter()
                        .filter_map(|id| {
                            // A body removed meanwhile (its message expired or deleted) is skipped.
                            let file = std::fs::File::open(bodies.path(&id.to_string())).ok()?;
                            let mut prefix = Vec::new();
                            std::io::Read::read_to_end(
                                &mut std::io::Read::take(file, BODY_SEARCH_PREFIX as u64),
                                &mut prefix,
                            )
                            .ok()?;
                            Some((id, prefix))
                        })
                        .collect::<Vec<_>>()
                })
                .await
                .context("reading bodies panicked")?;
                inline.extend(read);
                Ok(inline)
            }
            Backend::Postgres(queue) => queue.body_prefixes(ids).await,
        }
    }

    /// The life of message `id`, oldest step first: from its own record (enqueue, the last
    /// processing attempt and how it ended, retries and deliveries counted, the last dequeue
    /// and download, the ack) and the operator actions taken on it. `None` when there is no
    /// such message and no action was ever recorded for it.
    pub async fn timeline(&self, id: Uuid) -> Result<Option<Vec<TimelineEvent>>> {
        let (message, events) = match &self.backend {
            Backend::Sqlite(queue) => queue.events(id).await?,
            Backend::Postgres(queue) => queue.events(id).await?,
        };
        if message.is_none() && events.is_empty() {
            return Ok(None);
        }
        Ok(Some(actions::timeline(message.as_ref(), events)))
    }

    /// Does `action` to message `id` on behalf of `actor`, and says what changed, or why
    /// nothing did.
    pub async fn act(&self, action: MessageAction, id: Uuid, actor: &str) -> Result<ActionOutcome> {
        let mut outcomes = self.apply(action, vec![id], actor).await?;
        outcomes.pop().context("an action answered for no message")
    }

    /// Does `action` to each of `ids`, [`BULK_CHUNK`] to a write.
    pub async fn act_on(&self, action: MessageAction, ids: &[Uuid], actor: &str) -> Result<BulkOutcome> {
        let mut outcome = BulkOutcome::default();
        for chunk in ids.chunks(self.bulk_chunk.max(1)) {
            outcome.add(self.apply(action, chunk.to_vec(), actor).await?);
        }
        Ok(outcome)
    }

    /// Does `action` to every message matching `filter` (narrowed to the statuses the action
    /// applies to), page by page of [`BULK_CHUNK`], each page one short write, so that a bulk
    /// action over a million messages never holds the writer for long.
    pub async fn act_on_matching(
        &self,
        action: MessageAction,
        filter: &MessageFilter,
        actor: &str,
    ) -> Result<BulkOutcome> {
        let mut outcome = BulkOutcome::default();
        let Some(filter) = search::eligible(filter, action.statuses()) else { return Ok(outcome) };
        let mut cursor: Option<String> = None;
        loop {
            let chunk = u32::try_from(self.bulk_chunk).unwrap_or(PAGE_LIMIT_MAX);
            let page = self.search(&filter, cursor.as_deref(), chunk).await?;
            let ids: Vec<Uuid> = page.messages.iter().map(|message| message.message_id).collect();
            if !ids.is_empty() {
                outcome.add(self.apply(action, ids, actor).await?);
            }
            match page.next {
                Some(next) => cursor = Some(next),
                None => break,
            }
        }
        Ok(outcome)
    }

    async fn apply(&self, action: MessageAction, ids: Vec<Uuid>, actor: &str) -> Result<Vec<ActionOutcome>> {
        match &self.backend {
            Backend::Sqlite(queue) => {
                let (outcomes, files) = queue.apply(action, ids, actor.to_owned()).await?;
                for name in files {
                    let path = self.bodies.path(&name);
                    if let Err(error) = tokio::fs::remove_file(&path).await
                        && error.kind() != std::io::ErrorKind::NotFound
                    {
                        tracing::warn!(file = %path.display(), "cannot remove a deleted message's body: {error}");
                    }
                }
                Ok(outcomes)
            }
            Backend::Postgres(queue) => queue.apply(action, ids, actor).await,
        }
    }

    /// The jobs an operator enabled or disabled, and which (blocking).
    pub fn job_states_blocking(&self) -> Result<Vec<(Uuid, bool)>> {
        match &self.backend {
            Backend::Sqlite(queue) => queue.job_states_blocking(),
            Backend::Postgres(queue) => queue.postgres.block_on(queue.job_states()),
        }
    }

    /// Keeps whether job `activity` is enabled, where every replica reads it.
    pub async fn set_job_enabled(&self, activity: Uuid, enabled: bool, actor: &str) -> Result<()> {
        match &self.backend {
            Backend::Sqlite(queue) => queue.set_job_enabled(activity, enabled, actor.to_owned()).await,
            Backend::Postgres(queue) => queue.set_job_enabled(activity, enabled, actor).await,
        }
    }

    /// The query plans of a search's walks for `filter` (SQLite: `EXPLAIN QUERY PLAN`;
    /// PostgreSQL: `EXPLAIN`), one list of lines per walk, as a page after `cursor` would run
    /// them. For tests that check the walks use their indexes.
    pub async fn search_plans(&self, filter: &MessageFilter, cursor: Option<&str>) -> Result<Vec<Vec<String>>> {
        let after = cursor.map(Position::decode).transpose()?;
        let narrowing = self.narrowing(filter).await?;
        let narrowing = match narrowing {
            Narrowing::Body(_) => Narrowing::None,
            other => other,
        };
        let mut plans = Vec::new();
        for status in search::status_walks(filter, &narrowing) {
            let columns = match &self.backend {
                Backend::Sqlite(_) => sqlite::SEARCH_COLUMNS,
                Backend::Postgres(_) => postgres::SEARCH_COLUMNS,
            };
            let (sql, params) = search::walk(self.dialect(), columns, filter, status, &narrowing, after, 51);
            plans.push(match &self.backend {
                Backend::Sqlite(queue) => {
                    let queue = queue.clone();
                    tokio::task::spawn_blocking(move || queue.plan_blocking(&sql, &params))
                        .await
                        .context("planning panicked")??
                }
                Backend::Postgres(queue) => queue.plan(&sql, &params).await?,
            });
        }
        Ok(plans)
    }

    /// Messages per job and status, and the age of the oldest of each: one grouped query.
    pub async fn depths(&self) -> Result<Vec<Depth>> {
        match &self.backend {
            Backend::Sqlite(queue) => queue.depths(now_millis()).await,
            Backend::Postgres(queue) => queue.depths().await,
        }
    }

    /// The names of every body file a message row names (none with PostgreSQL, which keeps
    /// no body files).
    pub fn body_files_blocking(&self) -> Result<Vec<String>> {
        match &self.backend {
            Backend::Sqlite(queue) => queue.body_files_blocking(),
            Backend::Postgres(_) => Ok(Vec::new()),
        }
    }
}

/// Counts a message of `activity` handed out under `counter` (a dequeue or a claim), and as
/// a redelivery when `deliveries`, this one included, says it was handed out before.
fn handed_out(counter: &'static str, activity: Uuid, deliveries: u32) {
    let job = activity.to_string();
    if deliveries > 1 {
        ::metrics::counter!(crate::metrics::QUEUE_REDELIVERED, "job" => job.clone()).increment(1);
    }
    ::metrics::counter!(counter, "job" => job).increment(1);
}

/// Counts `count` messages of `activity` poisoned, on either backend, once the poisoning has
/// committed.
fn poisoned(activity: Uuid, count: u64) {
    if count > 0 {
        ::metrics::counter!(crate::metrics::QUEUE_POISONED, "job" => activity.to_string()).increment(count);
    }
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

#[cfg(test)]
mod tests;
