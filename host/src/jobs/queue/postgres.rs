//! The queue's SQL for PostgreSQL, where several replicas share it.
//!
//! - Claims take rows with `FOR UPDATE SKIP LOCKED`, so replicas never wait on each other's
//!   claims and never take the same message.
//! - Every lease time is the database's (`wharf_now_ms()`), never a replica's.
//! - A lease carries a fencing token, the pop receipt: every write on behalf of a lease
//!   (heartbeat, execution, outcome, ack) is a compare-and-set on the receipt, so a replica
//!   that was frozen past its lease and wakes up changes nothing once someone else holds the
//!   message.
//! - The rescuer returns an expired lease to the queue by compare-and-set on the row's
//!   current state (still processing, same receipt, still expired), so a message completed
//!   meanwhile is never overwritten.
//! - Enqueues send `NOTIFY wharf_queue` as a wake-up hint; the scheduler's polling is the
//!   truth.
//! - Bodies live in `queue_bodies` in chunks, streamed in and out, never held whole.

use std::path::Path;

use anyhow::{Context as _, Result};
use deadpool_postgres::GenericClient;
use futures_util::{Stream, StreamExt as _};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio_postgres::Row;
use uuid::Uuid;

use super::actions::{self, ActionOutcome, Change, MessageAction, StoredEvent};
use super::search::{Param, Position};
use super::{AckOutcome, Depth, Lease, Message, MessageQuery, MessageStatus, NewMessage, format_millis};
use crate::backend::Postgres;
use crate::store::Operation;

/// The channel enqueues notify.
pub const CHANNEL: &str = "wharf_queue";

/// The size of a body's chunks: large enough that a 512 MiB body is 512 rows, small enough
/// that a chunk is never a burden in memory.
pub(super) const CHUNK: usize = 1024 * 1024;

const COLUMNS: &str = "id, activity, operation, entity, company, external_id, status, enqueued_at, enqueue_user,
    processing_started, processing_completed, last_dequeue, last_download, acked_at, ack_user, retry_count,
    dequeue_count, execution, records, error, body_size, blob, pop_receipt";

/// The columns of a search: a message's, then its place in the order.
pub(super) const SEARCH_COLUMNS: &str = "id, activity, operation, entity, company, external_id, status, enqueued_at,
    enqueue_user, processing_started, processing_completed, last_dequeue, last_download, acked_at, ack_user,
    retry_count, dequeue_count, execution, records, error, body_size, blob, pop_receipt, enqueued_at, seq";

/// Where a new message's body comes from.
pub(super) enum Source<'a> {
    Bytes(&'a [u8]),
    File(&'a Path),
    None,
}

/// The queue in a PostgreSQL database.
#[derive(Debug, Clone)]
pub(super) struct PgQueue {
    pub(super) postgres: Postgres,
}

impl PgQueue {
    /// Adds a message with its body in one transaction. With an external id, a message of
    /// the same job, id and body that is still kept is returned instead (`true`): the unique
    /// index decides between replicas enqueueing the same repeat at once.
    pub(super) async fn insert(
        &self,
        id: Uuid,
        message: &NewMessage,
        hash: &[u8; 32],
        size: u64,
        body: Source<'_>,
    ) -> Result<(Uuid, bool)> {
        let mut client = self.postgres.client().await?;
        if let Some(earlier) = earlier_message(&client, message, hash).await? {
            return Ok((earlier, true));
        }
        let (bytes, name) = (message_bytes(&body), id.to_string());
        let one_statement = matches!(body, Source::None) || bytes.is_some_and(|bytes| bytes.len() <= CHUNK);
        let blob = Uuid::new_v4();
        let (records, size) = (message.records.map(|records| records as i64), size as i64);
        let parameters: [&(dyn tokio_postgres::types::ToSql + Sync); 18] = [
            &id,
            &message.activity,
            &message.direction.as_str(),
            &message.entity,
            &message.company,
            &message.external_id,
            &&hash[..],
            &size,
            &blob,
            &message.status.as_str(),
            &message.user,
            &records,
            &message.execution,
            &message.error,
            &DELIVERED_BY,
            &bytes.unwrap_or_default(),
            &CHANNEL,
            &name,
        ];
        let inserted = if one_statement {
            // A body of one chunk goes in with its row and its wake-up in one statement, which
            // is one round trip and atomic without a transaction of its own.
            let statement = client.prepare_cached(&format!("{INSERT_ONE} {INSERT_ONE_BODY}")).await?;
            client.query_opt(&statement, &parameters).await?.is_some()
        } else {
            let transaction = client.transaction().await?;
            let statement = transaction.prepare_cached(&format!("{INSERT_ONE} SELECT id FROM inserted")).await?;
            let inserted = transaction.query_opt(&statement, &parameters[..15]).await?.is_some();
            if inserted {
                write_body(&transaction, &name, body).await?;
                transaction.execute("SELECT pg_notify($1, $2)", &[&CHANNEL, &message.activity.to_string()]).await?;
                transaction.commit().await?;
            }
            inserted
        };
        if !inserted {
            // Another replica committed the same repeat first.
            let earlier = earlier_message(&client, message, hash).await?;
            return earlier
                .map(|earlier| (earlier, true))
                .context("an enqueue conflicted with a message that vanished");
        }
        Ok((id, false))
    }

    pub(super) async fn contains(&self, id: Uuid) -> Result<bool> {
        let client = self.postgres.client().await?;
        Ok(client.query_opt("SELECT 1 FROM queue_messages WHERE id = $1", &[&id]).await?.is_some())
    }

    pub(super) async fn message(&self, id: Uuid) -> Result<Option<Message>> {
        let client = self.postgres.client().await?;
        read_message(&client, id).await
    }

    pub(super) async fn messages(&self, query: MessageQuery) -> Result<Vec<Message>> {
        let client = self.postgres.client().await?;
        let rows = client
            .query(
                &format!(
                    "SELECT {COLUMNS} FROM queue_messages
                     WHERE ($1::uuid IS NULL OR activity = $1) AND ($2::text IS NULL OR status = $2)
                     ORDER BY seq DESC LIMIT $3 OFFSET $4"
                ),
                &[
                    &query.activity,
                    &query.status.map(MessageStatus::as_str),
                    &i64::from(query.limit.unwrap_or(100).min(1000)),
                    &i64::from(query.offset.unwrap_or(0)),
                ],
            )
            .await?;
        rows.iter().map(message_from_row).collect()
    }

    /// Leases the oldest visible export message of `activity` for `visibility` ms.
    pub(super) async fn dequeue(&self, activity: Uuid, visibility: i64, max_deliveries: u32) -> Result<Option<Lease>> {
        let mut client = self.postgres.client().await?;
        let transaction = client.transaction().await?;
        let select = format!(
            "SELECT {COLUMNS} FROM queue_messages
             WHERE activity = $1 AND status IN ('Processed', 'ProcessedWithErrors',
                 'PostProcessingFailed', 'Dequeued', 'Downloaded')
               AND operation = 'Export' AND (visible_at IS NULL OR visible_at <= wharf_now_ms())
             ORDER BY seq LIMIT 1 FOR UPDATE SKIP LOCKED"
        );
        let tries = |message: &Message| message.dequeue_count;
        let (next, poisoned) =
            next_within(&transaction, &select, activity, tries, max_deliveries, "deliveries").await?;
        let Some(message) = next else {
            // Whatever was poisoned on the way stays poisoned.
            transaction.commit().await?;
            super::poisoned(activity, poisoned);
            return Ok(None);
        };
        let receipt = super::pop_receipt();
        let row = transaction
            .query_one(
                &format!(
                    "UPDATE queue_messages SET status = 'Dequeued', pop_receipt = $2,
                         visible_at = wharf_now_ms() + $3, dequeue_count = dequeue_count + 1,
                         last_dequeue = wharf_now_ms()
                     WHERE id = $1 RETURNING {COLUMNS}"
                ),
                &[&message.message_id, &receipt, &visibility],
            )
            .await?;
        transaction.commit().await?;
        super::poisoned(activity, poisoned);
        let previous_dequeue = message.last_dequeue_date_time;
        Ok(Some(Lease { message: message_from_row(&row)?, pop_receipt: receipt, previous_dequeue }))
    }

    pub(super) async fn download(&self, activity: Uuid, id: Uuid, blob: Uuid) -> Result<Option<Message>> {
        let client = self.postgres.client().await?;
        let row = client
            .query_opt(
                &format!(
                    "UPDATE queue_messages SET last_download = wharf_now_ms(),
                         status = CASE status WHEN 'Dequeued' THEN 'Downloaded' ELSE status END
                     WHERE id = $1 AND activity = $2 AND blob = $3 AND operation = 'Export'
                     RETURNING {COLUMNS}"
                ),
                &[&id, &activity, &blob],
            )
            .await?;
        row.as_ref().map(message_from_row).transpose()
    }

    /// Acknowledges by compare-and-set on the receipt: of two acks racing with different
    /// receipts, only the current one's changes the row.
    pub(super) async fn ack(&self, activity: Uuid, id: Uuid, receipt: &str, user: &str) -> Result<AckOutcome> {
        let client = self.postgres.client().await?;
        let acked = client
            .execute(
                "UPDATE queue_messages SET status = 'Acked', acked_at = wharf_now_ms(), ack_user = $4, visible_at = NULL
                 WHERE id = $1 AND activity = $2 AND operation = 'Export' AND pop_receipt = $3 AND status <> 'Acked'",
                &[&id, &activity, &receipt, &user],
            )
            .await?;
        if acked == 1 {
            return Ok(AckOutcome::Acked);
        }
        let found = client
            .query_opt(
                "SELECT status, pop_receipt FROM queue_messages WHERE id = $1 AND activity = $2 AND operation = 'Export'",
                &[&id, &activity],
            )
            .await?;
        Ok(match found {
            None => AckOutcome::Unknown,
            Some(row) if row.get::<_, Option<&str>>(1) != Some(receipt) => AckOutcome::StaleReceipt,
            Some(_) => AckOutcome::AlreadyAcked,
        })
    }

    /// Takes the oldest enqueued import message of `activity` under a lease of `lease` ms.
    /// For a job that processes in order, only when none of its messages is being processed
    /// by any replica: the job's advisory lock makes that check and the claim one step.
    pub(super) async fn claim(
        &self,
        activity: Uuid,
        in_order: bool,
        lease: i64,
        max_deliveries: u32,
    ) -> Result<Option<Message>> {
        let mut client = self.postgres.client().await?;
        let transaction = client.transaction().await?;
        let lock = if in_order {
            transaction
                .execute("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))", &[&activity.to_string()])
                .await?;
            let busy = transaction
                .query_opt(
                    "SELECT 1 FROM queue_messages
                     WHERE activity = $1 AND status IN ('Processing', 'Preprocessing') LIMIT 1",
                    &[&activity],
                )
                .await?;
            if busy.is_some() {
                return Ok(None);
            }
            ""
        } else {
            "SKIP LOCKED"
        };
        let select = format!(
            "SELECT {COLUMNS} FROM queue_messages WHERE activity = $1 AND status = 'Enqueued'
             ORDER BY seq LIMIT 1 FOR UPDATE {lock}"
        );
        let tries = |message: &Message| message.retry_count;
        let (next, poisoned) = next_within(&transaction, &select, activity, tries, max_deliveries, "attempts").await?;
        let Some(message) = next else {
            // Whatever was poisoned on the way stays poisoned.
            transaction.commit().await?;
            super::poisoned(activity, poisoned);
            return Ok(None);
        };
        let row = transaction
            .query_one(
                &format!(
                    "UPDATE queue_messages SET status = 'Processing', retry_count = retry_count + 1,
                         processing_started = wharf_now_ms(), processing_completed = NULL, error = NULL,
                         pop_receipt = $2, visible_at = wharf_now_ms() + $3
                     WHERE id = $1 RETURNING {COLUMNS}"
                ),
                &[&message.message_id, &super::pop_receipt(), &lease],
            )
            .await?;
        transaction.commit().await?;
        super::poisoned(activity, poisoned);
        Ok(Some(message_from_row(&row)?))
    }

    /// Extends a processing lease; `false` when the lease is no longer this receipt's.
    pub(super) async fn heartbeat(&self, id: Uuid, receipt: &str, lease: i64) -> Result<bool> {
        let client = self.postgres.client().await?;
        let changed = client
            .execute(
                "UPDATE queue_messages SET visible_at = wharf_now_ms() + $3
                 WHERE id = $1 AND pop_receipt = $2 AND status IN ('Processing', 'Preprocessing')",
                &[&id, &receipt, &lease],
            )
            .await?;
        Ok(changed == 1)
    }

    pub(super) async fn set_execution(&self, id: Uuid, receipt: Option<&str>, execution: &str) -> Result<bool> {
        let client = self.postgres.client().await?;
        let changed = client
            .execute(
                "UPDATE queue_messages SET execution = $3
                 WHERE id = $1 AND pop_receipt IS NOT DISTINCT FROM $2 AND status IN ('Processing', 'Preprocessing')",
                &[&id, &receipt, &execution],
            )
            .await?;
        Ok(changed == 1)
    }

    /// Records an outcome, by compare-and-set on the lease it was reached under.
    pub(super) async fn finish(
        &self,
        id: Uuid,
        receipt: Option<&str>,
        status: MessageStatus,
        records: Option<u64>,
        error: Option<&str>,
    ) -> Result<bool> {
        let client = self.postgres.client().await?;
        let changed = client
            .execute(
                "UPDATE queue_messages SET status = $3, records = $4, error = $5, processing_completed = wharf_now_ms(),
                     pop_receipt = NULL, visible_at = NULL
                 WHERE id = $1 AND pop_receipt IS NOT DISTINCT FROM $2 AND status IN ('Processing', 'Preprocessing')",
                &[&id, &receipt, &status.as_str(), &records.map(|records| records as i64), &error],
            )
            .await?;
        Ok(changed == 1)
    }

    /// Import messages whose processing lease lapsed: their replica died or froze.
    pub(super) async fn stalled(&self, activity: Option<Uuid>) -> Result<Vec<Message>> {
        let client = self.postgres.client().await?;
        let rows = client
            .query(
                &format!(
                    "SELECT {COLUMNS} FROM queue_messages
                     WHERE status IN ('Processing', 'Preprocessing') AND visible_at < wharf_now_ms()
                       AND ($1::uuid IS NULL OR activity = $1)"
                ),
                &[&activity],
            )
            .await?;
        rows.iter().map(message_from_row).collect()
    }

    /// Puts a stalled message back in line, only if it is still stalled under the lease it
    /// was seen with.
    pub(super) async fn requeue(&self, id: Uuid, receipt: Option<&str>) -> Result<bool> {
        let client = self.postgres.client().await?;
        let changed = client
            .execute(
                "UPDATE queue_messages SET status = 'Enqueued', pop_receipt = NULL, visible_at = NULL
                 WHERE id = $1 AND pop_receipt IS NOT DISTINCT FROM $2 AND status IN ('Processing', 'Preprocessing')
                   AND visible_at < wharf_now_ms()",
                &[&id, &receipt],
            )
            .await?;
        if changed == 1 {
            client.execute("SELECT pg_notify($1, '')", &[&CHANNEL]).await?;
        }
        Ok(changed == 1)
    }

    /// Removes messages enqueued before `before` with their bodies, except those under way.
    pub(super) async fn expire(&self, before: i64) -> Result<usize> {
        let mut client = self.postgres.client().await?;
        let transaction = client.transaction().await?;
        let removed = transaction
            .query(
                "DELETE FROM queue_messages WHERE enqueued_at < $1 AND status NOT IN ('Processing', 'Preprocessing')
                 RETURNING id::text",
                &[&before],
            )
            .await?;
        let names: Vec<String> = removed.iter().map(|row| row.get(0)).collect();
        transaction.execute("DELETE FROM queue_bodies WHERE name = ANY($1)", &[&names]).await?;
        // An operator action's record goes with the messages of its time.
        transaction.execute("DELETE FROM queue_message_events WHERE at < $1", &[&before]).await?;
        transaction.commit().await?;
        Ok(names.len())
    }

    /// Whether this replica runs the recurrence of `activity` due now: the first replica to
    /// move the job's due time forward by `period` ms does, the others see it moved.
    pub(super) async fn take_turn(&self, activity: Uuid, period: i64) -> Result<bool> {
        let client = self.postgres.client().await?;
        let taken = client
            .query_opt(
                "INSERT INTO queue_schedule (activity, due) VALUES ($1, wharf_now_ms() + $2)
                 ON CONFLICT (activity) DO UPDATE SET due = wharf_now_ms() + $2
                     WHERE queue_schedule.due <= wharf_now_ms()
                 RETURNING activity",
                &[&activity, &period],
            )
            .await?;
        Ok(taken.is_some())
    }

    pub(super) async fn job_definitions(&self) -> Result<Vec<String>> {
        let client = self.postgres.client().await?;
        Ok(client.query("SELECT definition FROM queue_jobs", &[]).await?.iter().map(|row| row.get(0)).collect())
    }

    pub(super) async fn put_job_definition(&self, activity: Uuid, definition: &str) -> Result<()> {
        let client = self.postgres.client().await?;
        client
            .execute(
                "INSERT INTO queue_jobs (activity, definition) VALUES ($1, $2)
                 ON CONFLICT (activity) DO UPDATE SET definition = excluded.definition",
                &[&activity, &definition],
            )
            .await?;
        Ok(())
    }

    pub(super) async fn delete_job_definition(&self, activity: Uuid) -> Result<()> {
        let client = self.postgres.client().await?;
        client.execute("DELETE FROM queue_jobs WHERE activity = $1", &[&activity]).await?;
        Ok(())
    }

    /// The body of message `name`, chunk by chunk.
    /// Messages per job and status, with the oldest one's age by the database's clock. The
    /// count walks the job index; the oldest of each group is its lowest `seq`.
    pub(super) async fn depths(&self) -> Result<Vec<Depth>> {
        let client = self.postgres.client().await?;
        let rows = client
            .query(
                "SELECT groups.activity, groups.status, groups.messages,
                     wharf_now_ms() - (SELECT enqueued_at FROM queue_messages WHERE seq = groups.oldest)
                 FROM (SELECT activity, status, COUNT(*) AS messages, MIN(seq) AS oldest
                       FROM queue_messages GROUP BY activity, status) AS groups",
                &[],
            )
            .await?;
        let mut depths = Vec::with_capacity(rows.len());
        for row in rows {
            let Some(status) = MessageStatus::parse(row.get(1)) else { continue };
            let (messages, age): (i64, Option<i64>) = (row.get(2), row.get(3));
            depths.push(Depth {
                activity: row.get(0),
                status,
                messages: messages.max(0) as u64,
                oldest_age_ms: age.unwrap_or(0).max(0),
            });
        }
        Ok(depths)
    }

    pub(super) fn body(&self, name: String) -> impl Stream<Item = Result<bytes::Bytes>> + Send + 'static {
        let postgres = self.postgres.clone();
        futures_util::stream::try_unfold((postgres, name, 0_i32), |(postgres, name, chunk)| async move {
            let client = postgres.client().await?;
            let row = client
                .query_opt("SELECT data FROM queue_bodies WHERE name = $1 AND chunk = $2", &[&name, &chunk])
                .await?;
            drop(client);
            Ok(row.map(|row| (bytes::Bytes::from(row.get::<_, Vec<u8>>(0)), (postgres, name, chunk + 1))))
        })
    }

    /// Writes the body of message `name` to `path`, chunk by chunk.
    pub(super) async fn spool(&self, name: String, path: &Path) -> Result<()> {
        let mut file = tokio::fs::File::create(path).await.context("cannot make a file for a message's body")?;
        let mut chunks = std::pin::pin!(self.body(name));
        while let Some(chunk) = chunks.next().await {
            file.write_all(&chunk?).await?;
        }
        file.flush().await?;
        Ok(())
    }

    /// Runs each of `walks` (SQL and parameters from `search`), pipelined on one connection.
    pub(super) async fn walks(&self, walks: Vec<(String, Vec<Param>)>) -> Result<Vec<Vec<(Message, Position)>>> {
        let client = self.postgres.client().await?;
        let queries = walks.iter().map(|(sql, params)| {
            let client = &client;
            async move {
                let values: Vec<Value> = params.iter().map(Value::from).collect();
                let statement = client.prepare_cached(sql).await?;
                let rows = client.query(&statement, &sql_params(&values)).await?;
                rows.iter()
                    .map(|row| {
                        let position = Position { enqueued: row.try_get(23)?, seq: row.try_get(24)? };
                        Ok((message_from_row(row)?, position))
                    })
                    .collect::<Result<Vec<_>>>()
            }
        });
        futures_util::future::try_join_all(queries).await
    }

    /// The single number `sql` answers.
    pub(super) async fn count(&self, sql: String, params: Vec<Param>) -> Result<u64> {
        let client = self.postgres.client().await?;
        let values: Vec<Value> = params.iter().map(Value::from).collect();
        let statement = client.prepare_cached(&sql).await?;
        let count: i64 = client.query_one(&statement, &sql_params(&values)).await?.try_get(0)?;
        Ok(count.max(0) as u64)
    }

    /// Whether message `id` exists, and whether any message has `text` as its external id.
    pub(super) async fn known(&self, id: Option<Uuid>, text: String) -> Result<(bool, bool)> {
        let client = self.postgres.client().await?;
        let id_known = match id {
            Some(id) => client.query_opt("SELECT 1 FROM queue_messages WHERE id = $1", &[&id]).await?.is_some(),
            None => false,
        };
        let correlation_known =
            client.query_opt("SELECT 1 FROM queue_messages WHERE external_id = $1 LIMIT 1", &[&text]).await?.is_some();
        Ok((id_known, correlation_known))
    }

    /// The first chunk (up to [`CHUNK`] bytes) of the bodies of `ids` that have one.
    pub(super) async fn body_prefixes(&self, ids: Vec<Uuid>) -> Result<Vec<(Uuid, Vec<u8>)>> {
        let client = self.postgres.client().await?;
        let names: Vec<String> = ids.iter().map(Uuid::to_string).collect();
        let rows =
            client.query("SELECT name, data FROM queue_bodies WHERE name = ANY($1) AND chunk = 0", &[&names]).await?;
        let mut prefixes = Vec::with_capacity(rows.len());
        for row in rows {
            if let Ok(id) = Uuid::parse_str(row.try_get(0)?) {
                prefixes.push((id, row.try_get(1)?));
            }
        }
        Ok(prefixes)
    }

    /// The operator actions recorded for message `id`, oldest first, and the message.
    pub(super) async fn events(&self, id: Uuid) -> Result<(Option<Message>, Vec<StoredEvent>)> {
        let client = self.postgres.client().await?;
        let message = read_message(&client, id).await?;
        let rows = client
            .query("SELECT at, kind, actor, detail FROM queue_message_events WHERE message = $1 ORDER BY seq", &[&id])
            .await?;
        let events = rows
            .iter()
            .map(|row| {
                Ok(StoredEvent {
                    at: row.try_get(0)?,
                    kind: row.try_get(1)?,
                    actor: row.try_get(2)?,
                    detail: row.try_get(3)?,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        Ok((message, events))
    }

    /// Applies `action` to each of `ids` in one transaction, each row locked while it is
    /// decided on, recording each change.
    pub(super) async fn apply(&self, action: MessageAction, ids: Vec<Uuid>, actor: &str) -> Result<Vec<ActionOutcome>> {
        let mut client = self.postgres.client().await?;
        let transaction = client.transaction().await?;
        let mut outcomes = Vec::with_capacity(ids.len());
        for id in ids {
            let row = transaction
                .query_opt(&format!("SELECT {COLUMNS} FROM queue_messages WHERE id = $1 FOR UPDATE"), &[&id])
                .await?;
            let Some(message) = row.as_ref().map(message_from_row).transpose()? else {
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
            match change {
                Change::Enqueue => {
                    transaction
                        .execute(
                            "UPDATE queue_messages SET status = 'Enqueued', retry_count = 0, error = NULL,
                                 pop_receipt = NULL, visible_at = NULL
                             WHERE id = $1",
                            &[&id],
                        )
                        .await?;
                    transaction
                        .execute("SELECT pg_notify($1, $2)", &[&CHANNEL, &message.activity_id.to_string()])
                        .await?;
                }
                Change::Deliver => {
                    transaction
                        .execute(
                            "UPDATE queue_messages SET status = 'Processed', dequeue_count = 0, pop_receipt = NULL,
                                 visible_at = NULL
                             WHERE id = $1",
                            &[&id],
                        )
                        .await?;
                }
                Change::Delete => {
                    transaction.execute("DELETE FROM queue_messages WHERE id = $1", &[&id]).await?;
                    transaction.execute("DELETE FROM queue_bodies WHERE name = $1", &[&id.to_string()]).await?;
                }
            }
            transaction
                .execute(
                    "INSERT INTO queue_message_events (message, at, kind, actor, detail)
                     VALUES ($1, wharf_now_ms(), $2, $3, $4)",
                    &[&id, &action.as_str(), &actor, &actions::event_detail(&message, change)],
                )
                .await?;
            outcomes.push(ActionOutcome {
                message_id: id,
                action,
                changed: true,
                from: Some(message.status),
                to: change.status(),
                refused: None,
            });
        }
        transaction.commit().await?;
        Ok(outcomes)
    }

    /// Every job an operator enabled or disabled, and which.
    pub(super) async fn job_states(&self) -> Result<Vec<(Uuid, bool)>> {
        let client = self.postgres.client().await?;
        let rows = client.query("SELECT activity, enabled FROM queue_job_state", &[]).await?;
        rows.iter().map(|row| Ok((row.try_get(0)?, row.try_get(1)?))).collect()
    }

    pub(super) async fn set_job_enabled(&self, activity: Uuid, enabled: bool, actor: &str) -> Result<()> {
        let client = self.postgres.client().await?;
        client
            .execute(
                "INSERT INTO queue_job_state (activity, enabled, changed_at, changed_by)
                 VALUES ($1, $2, wharf_now_ms(), $3)
                 ON CONFLICT (activity) DO UPDATE SET enabled = excluded.enabled,
                     changed_at = excluded.changed_at, changed_by = excluded.changed_by",
                &[&activity, &enabled, &actor],
            )
            .await?;
        Ok(())
    }

    /// The plan PostgreSQL chooses for `sql` (for tests).
    pub(super) async fn plan(&self, sql: &str, params: &[Param]) -> Result<Vec<String>> {
        let client = self.postgres.client().await?;
        let values: Vec<Value> = params.iter().map(Value::from).collect();
        let rows = client.query(&format!("EXPLAIN {sql}"), &sql_params(&values)).await?;
        rows.iter().map(|row| Ok(row.try_get(0)?)).collect()
    }
}

/// Inserts a message (parameters 1 to 15), unless it repeats one still kept; the statement
/// goes on with what to do with the `inserted` row.
const INSERT_ONE: &str = "WITH inserted AS (
    INSERT INTO queue_messages (id, activity, operation, entity, company, external_id, body_hash,
        body_size, blob, status, enqueued_at, enqueue_user, records, execution, error, acked_at, ack_user)
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, wharf_now_ms(), $11, $12, $13, $14,
        CASE WHEN $10::text = 'Acked' THEN wharf_now_ms() END, CASE WHEN $10::text = 'Acked' THEN $15::text END)
    ON CONFLICT (activity, external_id, body_hash) WHERE external_id IS NOT NULL AND operation = 'Import'
    DO NOTHING RETURNING id)";

/// …with its body (parameter 16, one chunk or none) named `$18`, and the wake-up on `$17`.
const INSERT_ONE_BODY: &str = ", body AS (
    INSERT INTO queue_bodies (name, chunk, data) SELECT $18::text, 0, $16::bytea FROM inserted
    WHERE length($16::bytea) > 0)
SELECT id, pg_notify($17::text, $2::text) FROM inserted";

/// A body held in memory, when it is.
fn message_bytes<'a>(body: &Source<'a>) -> Option<&'a [u8]> {
    match body {
        Source::Bytes(bytes) => Some(bytes),
        Source::File(_) | Source::None => None,
    }
}

/// Who acknowledged an export written to the job's outbound folder.
const DELIVERED_BY: &str = "outbound folder";

async fn write_body(client: &impl GenericClient, name: &str, body: Source<'_>) -> Result<()> {
    let statement = client.prepare_cached("INSERT INTO queue_bodies (name, chunk, data) VALUES ($1, $2, $3)").await?;
    match body {
        Source::None => {}
        Source::Bytes(bytes) => {
            for (index, chunk) in bytes.chunks(CHUNK).enumerate() {
                client.execute(&statement, &[&name, &(index as i32), &chunk]).await?;
            }
        }
        Source::File(path) => {
            let mut file = tokio::fs::File::open(path).await.context("cannot read a message's body")?;
            let mut buffer = Vec::with_capacity(CHUNK);
            for index in 0_i32.. {
                buffer.clear();
                (&mut file).take(CHUNK as u64).read_to_end(&mut buffer).await?;
                if buffer.is_empty() {
                    break;
                }
                client.execute(&statement, &[&name, &index, &buffer.as_slice()]).await?;
            }
        }
    }
    Ok(())
}

async fn earlier_message(client: &impl GenericClient, message: &NewMessage, hash: &[u8; 32]) -> Result<Option<Uuid>> {
    let (Some(external_id), Operation::Import) = (&message.external_id, message.direction) else { return Ok(None) };
    let row = client
        .query_opt(
            "SELECT id FROM queue_messages
             WHERE activity = $1 AND external_id = $2 AND body_hash = $3 AND operation = 'Import' LIMIT 1",
            &[&message.activity, external_id, &&hash[..]],
        )
        .await?;
    Ok(row.map(|row| row.get(0)))
}

/// The first message `select` finds (for `activity`, locking it) whose `tries` are below
/// `max`, and how many out of tries were poisoned on the way, in the same transaction (to be
/// counted once it commits).
async fn next_within(
    client: &impl GenericClient,
    select: &str,
    activity: Uuid,
    tries: impl Fn(&Message) -> u32,
    max: u32,
    counted: &str,
) -> Result<(Option<Message>, u64)> {
    let mut poisoned = 0;
    loop {
        let Some(row) = client.query_opt(select, &[&activity]).await? else { return Ok((None, poisoned)) };
        let message = message_from_row(&row)?;
        if tries(&message) < max {
            return Ok((Some(message), poisoned));
        }
        set_status(client, message.message_id, MessageStatus::Poisoned).await?;
        poisoned += 1;
        tracing::warn!(message = %message.message_id, "message poisoned after {max} {counted}");
    }
}

async fn set_status(client: &impl GenericClient, id: Uuid, status: MessageStatus) -> Result<()> {
    client.execute("UPDATE queue_messages SET status = $2 WHERE id = $1", &[&id, &status.as_str()]).await?;
    Ok(())
}

async fn read_message(client: &impl GenericClient, id: Uuid) -> Result<Option<Message>> {
    let row = client.query_opt(&format!("SELECT {COLUMNS} FROM queue_messages WHERE id = $1"), &[&id]).await?;
    row.as_ref().map(message_from_row).transpose()
}

fn message_from_row(row: &Row) -> Result<Message> {
    let time =
        |index: usize| -> Result<Option<String>> { Ok(row.try_get::<_, Option<i64>>(index)?.map(format_millis)) };
    let status: &str = row.try_get(6)?;
    let operation: &str = row.try_get(2)?;
    let size = row.try_get::<_, i64>(20)?.max(0) as u64;
    Ok(Message {
        message_id: row.try_get(0)?,
        activity_id: row.try_get(1)?,
        direction: if operation == "Export" { Operation::Export } else { Operation::Import },
        entity_name: row.try_get(3)?,
        company: row.try_get(4)?,
        external_correlation_id: row.try_get(5)?,
        status: MessageStatus::parse(status).unwrap_or(MessageStatus::PreProcessingError),
        enqueue_date_time: format_millis(row.try_get(7)?),
        enqueue_user: row.try_get(8)?,
        processing_started_date_time: time(9)?,
        processing_completed_date_time: time(10)?,
        last_dequeue_date_time: time(11)?,
        last_download_date_time: time(12)?,
        ack_date_time: time(13)?,
        ack_user: row.try_get(14)?,
        retry_count: row.try_get::<_, i32>(15)?.max(0) as u32,
        dequeue_count: row.try_get::<_, i32>(16)?.max(0) as u32,
        execution_id: row.try_get(17)?,
        total_records: row.try_get::<_, Option<i64>>(18)?.map(|records| records.max(0) as u64),
        error: row.try_get(19)?,
        size,
        blob: row.try_get(21)?,
        pop_receipt: row.try_get(22)?,
        file_uploaded: size > 0,
    })
}

/// A search parameter as PostgreSQL takes it.
#[derive(Debug)]
enum Value {
    Text(String),
    Int(i64),
    Uuid(Uuid),
}

impl From<&Param> for Value {
    fn from(param: &Param) -> Value {
        match param {
            Param::Text(text) => Value::Text(text.clone()),
            Param::Int(int) => Value::Int(*int),
            Param::Uuid(id) => Value::Uuid(*id),
        }
    }
}

fn sql_params(values: &[Value]) -> Vec<&(dyn tokio_postgres::types::ToSql + Sync)> {
    values
        .iter()
        .map(|value| -> &(dyn tokio_postgres::types::ToSql + Sync) {
            match value {
                Value::Text(text) => text,
                Value::Int(int) => int,
                Value::Uuid(id) => id,
            }
        })
        .collect()
}
