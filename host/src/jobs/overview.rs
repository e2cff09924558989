//! The operator's overview: queue depth per job and status, the oldest waiting message,
//! what runs now, rows imported and rejected over the last hour in buckets for a chart, and
//! the latest failures with their reasons. Read from the queue and the store's executions.

use anyhow::{Context as _, Result};
use serde::Serialize;
use uuid::Uuid;

use super::queue::{MessageFilter, format_millis, now_millis};
use super::{Depth, Jobs, MessageStatus};
use crate::store::{Execution, ExecutionStatus, Operation};

/// The chart's buckets: 12 of 5 minutes, the last hour.
pub const BUCKETS: usize = 12;
/// The length of a bucket.
pub const BUCKET: std::time::Duration = std::time::Duration::from_secs(5 * 60);
/// At most this many executions are read for the chart, so that the overview stays cheap on a
/// server that runs thousands an hour; beyond it the chart says it is partial.
pub const CHART_EXECUTIONS: u64 = 5_000;
/// Recent failures shown.
pub const RECENT_ERRORS: usize = 20;

/// The overview.
#[derive(Debug, Clone, Serialize)]
pub struct Overview {
    /// Messages per job and status.
    pub depth: Vec<Depth>,
    /// Per job with messages waiting, the oldest one's enqueue time and age.
    pub oldest_waiting: Vec<Waiting>,
    /// Messages being processed now.
    pub processing: u64,
    /// Executions without an end among the recent ones.
    pub executions_running: u64,
    /// Rows imported and rejected in each bucket of the last hour, oldest first.
    pub buckets: Vec<Bucket>,
    /// `false` when the hour held more than [`CHART_EXECUTIONS`] executions: the chart counts
    /// only the newest of them.
    pub buckets_complete: bool,
    /// The latest failed messages and executions, newest first.
    pub recent_errors: Vec<RecentError>,
}

/// A job's oldest waiting message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Waiting {
    /// The job.
    pub activity: Uuid,
    /// When it was enqueued, RFC 3339.
    pub enqueued: String,
    /// How long it has waited.
    pub age_seconds: u64,
}

/// One bucket of the chart.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Bucket {
    /// When it starts, RFC 3339.
    pub start: String,
    /// Rows imported by executions that ended in it.
    pub imported: u64,
    /// Rows those executions rejected.
    pub rejected: u64,
}

/// A failure worth an operator's look.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RecentError {
    /// The message, when a message failed.
    pub message_id: Option<Uuid>,
    /// Its job.
    pub activity: Option<Uuid>,
    /// The execution, when there is one.
    pub execution_id: Option<String>,
    /// When it failed (or, for a message that never started, was enqueued), RFC 3339.
    pub at: String,
    /// The message's or the execution's status.
    pub status: String,
    /// Why, when it is known.
    pub reason: Option<String>,
}

impl Jobs {
    /// The overview, as of now.
    pub async fn overview(&self) -> Result<Overview> {
        let now = now_millis();
        let queue = self.queue();
        let depth = queue.depths().await?;
        let processing = (depth.iter())
            .filter(|depth| matches!(depth.status, MessageStatus::Processing | MessageStatus::Preprocessing))
            .map(|depth| depth.messages)
            .sum();
        let oldest_waiting = (depth.iter())
            .filter(|depth| depth.status == MessageStatus::Enqueued)
            .map(|depth| Waiting {
                activity: depth.activity,
                enqueued: format_millis(now - depth.oldest_age_ms),
                age_seconds: u64::try_from(depth.oldest_age_ms / 1000).unwrap_or(0),
            })
            .collect();
        let failed = MessageFilter {
            statuses: vec![
                MessageStatus::PreProcessingError,
                MessageStatus::ProcessedWithErrors,
                MessageStatus::PostProcessingFailed,
                MessageStatus::Poisoned,
            ],
            ..MessageFilter::default()
        };
        let failed_messages = queue.search(&failed, None, RECENT_ERRORS as u32).await?.messages;
        let store = self.deployment().pipeline.store.clone();
        let executions = tokio::task::spawn_blocking(move || recent_executions(&store, now))
            .await
            .context("reading executions panicked")??;

        let start = now - super::queue::millis(BUCKET) * BUCKETS as i64;
        let bucket_ms = super::queue::millis(BUCKET);
        let mut buckets: Vec<Bucket> = (0..BUCKETS as i64)
            .map(|index| Bucket { start: format_millis(start + index * bucket_ms), imported: 0, rejected: 0 })
            .collect();
        let mut executions_running = 0;
        let mut recent_errors: Vec<RecentError> = failed_messages
            .into_iter()
            .map(|message| RecentError {
                message_id: Some(message.message_id),
                activity: Some(message.activity_id),
                execution_id: message.execution_id.clone(),
                at: message.processing_completed_date_time.clone().unwrap_or(message.enqueue_date_time.clone()),
                status: message.status.as_str().to_owned(),
                reason: message.error.clone(),
            })
            .collect();
        for execution in &executions.list {
            let Some(completed) = &execution.completed else {
                executions_running += 1;
                continue;
            };
            let rejected: u64 =
                execution.entities.iter().map(|entity| entity.staging_error_count + entity.target_error_count).sum();
            if let Some(at) = millis_of(completed)
                && at >= start
                && execution.operation == Operation::Import
            {
                let index = usize::try_from((at - start) / bucket_ms).unwrap_or(0).min(BUCKETS - 1);
                buckets[index].imported += execution.entities.iter().map(|entity| entity.target_records).sum::<u64>();
                buckets[index].rejected += rejected;
            }
            let failed = matches!(execution.status, ExecutionStatus::Failed | ExecutionStatus::PartiallySucceeded);
            let known = recent_errors.iter().any(|error| error.execution_id.as_deref() == Some(execution.id.as_str()));
            if failed && !known {
                recent_errors.push(RecentError {
                    message_id: None,
                    activity: None,
                    execution_id: Some(execution.id.clone()),
                    at: completed.clone(),
                    status: format!("{:?}", execution.status),
                    reason: Some(format!("{rejected} records rejected in project {}", execution.project)),
                });
            }
        }
        recent_errors.sort_by(|a, b| b.at.cmp(&a.at));
        recent_errors.truncate(RECENT_ERRORS);
        Ok(Overview {
            depth,
            oldest_waiting,
            processing,
            executions_running,
            buckets,
            buckets_complete: executions.complete,
            recent_errors,
        })
    }
}

/// The executions that started in the last hour (and always the newest page of them, to count
/// the long ones still running), newest first, at most [`CHART_EXECUTIONS`].
struct RecentExecutions {
    list: Vec<Execution>,
    complete: bool,
}

fn recent_executions(store: &crate::store::Store, now: i64) -> Result<RecentExecutions> {
    const PAGE: u64 = 200;
    let since = now - super::queue::millis(BUCKET) * BUCKETS as i64;
    let mut list = Vec::new();
    let mut offset = 0;
    loop {
        let ids = store.execution_ids(offset, PAGE)?;
        let last_page = (ids.len() as u64) < PAGE;
        for id in &ids {
            let Some(execution) = store.execution(id)? else { continue };
            // Beyond the first page, an execution that started before the hour ends the walk
            // (the ids come newest first by start time).
            if offset > 0 && millis_of(&execution.started).is_some_and(|started| started < since) {
                return Ok(RecentExecutions { list, complete: true });
            }
            list.push(execution);
            if list.len() as u64 >= CHART_EXECUTIONS {
                return Ok(RecentExecutions { list, complete: false });
            }
        }
        if last_page {
            return Ok(RecentExecutions { list, complete: true });
        }
        offset += PAGE;
    }
}

fn millis_of(time: &str) -> Option<i64> {
    chrono::DateTime::parse_from_rfc3339(time).ok().map(|time| time.timestamp_millis())
}
