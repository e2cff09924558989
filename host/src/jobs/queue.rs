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
mod postgres;
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

pub use postgres::CHANNEL;

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
        Queue { backend: Backend::Sqlite(sqlite::SqliteQueue { database }), bodies, settings }
    }

    /// The queue in a PostgreSQL database that replicas share; `bodies` holds only the files
    /// on their way in or out.
    pub fn postgres(postgres: Postgres, bodies: Bodies, settings: QueueSettings) -> Queue {
        Queue { backend: Backend::Postgres(postgres::PgQueue { postgres }), bodies, settings }
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
        match &self.backend {
            Backend::Sqlite(queue) => queue.add_blocking(id, message, hash, size),
            Backend::Postgres(queue) => {
                let source = body.map_or(postgres::Source::None, postgres::Source::File);
                let added = queue.postgres.block_on(queue.insert(id, &message, &hash, size, source));
                if let Some(body) = body {
                    let _ = std::fs::remove_file(body);
                }
                Ok(added?.0)
            }
        }
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
        match &self.backend {
            Backend::Sqlite(queue) => queue.dequeue(activity, now, visibility, max_deliveries).await,
            Backend::Postgres(queue) => queue.dequeue(activity, visibility, max_deliveries).await,
        }
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
        match &self.backend {
            Backend::Sqlite(queue) => queue.ack(activity, id, receipt, user, now).await,
            Backend::Postgres(queue) => queue.ack(activity, id, &receipt, &user).await,
        }
    }

    /// Takes the oldest enqueued import message of `activity` for processing, under a fresh
    /// receipt (its `pop_receipt`): it becomes `Processing` with one more attempt counted, or
    /// `Poisoned` when it is out of attempts. For a job that processes `in_order`, nothing is
    /// taken while another of its messages is being processed.
    pub fn claim_blocking(&self, activity: Uuid, in_order: bool) -> Result<Option<Message>> {
        let max_deliveries = self.settings.max_deliveries;
        match &self.backend {
            Backend::Sqlite(queue) => queue.claim_blocking(activity, now_millis(), max_deliveries),
            Backend::Postgres(queue) => {
                let lease = millis(self.settings.lease);
                queue.postgres.block_on(queue.claim(activity, in_order, lease, max_deliveries))
            }
        }
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

    /// The names of every body file a message row names (none with PostgreSQL, which keeps
    /// no body files).
    pub fn body_files_blocking(&self) -> Result<Vec<String>> {
        match &self.backend {
            Backend::Sqlite(queue) => queue.body_files_blocking(),
            Backend::Postgres(_) => Ok(Vec::new()),
        }
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
