//! What an operator does to messages (reprocess, re-queue, delete) and a message's timeline:
//! which transitions make sense, decided here once for both backends, and the record each
//! action leaves in `queue_message_events`.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::{Message, MessageStatus, format_millis};
use crate::store::Operation;

/// An operator's action on a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MessageAction {
    /// Process a failed import again, from its kept body, with its attempts reset.
    Reprocess,
    /// Put a poisoned message back in line with its deliveries or attempts reset.
    Requeue,
    /// Remove a message and its body.
    Delete,
}

impl MessageAction {
    /// The name, as in routes and in the timeline.
    pub fn as_str(self) -> &'static str {
        match self {
            MessageAction::Reprocess => "reprocess",
            MessageAction::Requeue => "requeue",
            MessageAction::Delete => "delete",
        }
    }

    /// The action named `name`.
    pub fn parse(name: &str) -> Option<MessageAction> {
        [MessageAction::Reprocess, MessageAction::Requeue, MessageAction::Delete]
            .into_iter()
            .find(|action| action.as_str().eq_ignore_ascii_case(name))
    }

    /// The statuses this action can apply to (for either direction).
    pub(super) fn statuses(self) -> &'static [MessageStatus] {
        match self {
            MessageAction::Reprocess => &FAILED,
            MessageAction::Requeue => &[MessageStatus::Poisoned],
            MessageAction::Delete => &[
                MessageStatus::Enqueued,
                MessageStatus::Dequeued,
                MessageStatus::Downloaded,
                MessageStatus::Acked,
                MessageStatus::Processed,
                MessageStatus::ProcessedWithErrors,
                MessageStatus::PreProcessingError,
                MessageStatus::PostProcessingFailed,
                MessageStatus::Poisoned,
            ],
        }
    }
}

/// The statuses of an import that failed and can be processed again.
const FAILED: [MessageStatus; 3] =
    [MessageStatus::PreProcessingError, MessageStatus::ProcessedWithErrors, MessageStatus::PostProcessingFailed];

/// What an action did to one message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ActionOutcome {
    /// The message.
    pub message_id: Uuid,
    /// The action.
    pub action: MessageAction,
    /// Whether the message changed.
    pub changed: bool,
    /// Its status before, when it exists.
    pub from: Option<MessageStatus>,
    /// Its status after; `None` once deleted, or when nothing changed.
    pub to: Option<MessageStatus>,
    /// Why nothing changed.
    pub refused: Option<String>,
}

impl ActionOutcome {
    /// An action refused for `why`.
    pub fn refused(message_id: Uuid, action: MessageAction, from: Option<MessageStatus>, why: String) -> Self {
        ActionOutcome { message_id, action, changed: false, from, to: None, refused: Some(why) }
    }
}

/// What a bulk action did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct BulkOutcome {
    /// Messages changed.
    pub changed: u64,
    /// Messages left as they were, with a reason.
    pub refused: u64,
    /// The writes it took (each short, so other writers get their turn between them).
    pub chunks: u64,
    /// The first refusals, at most [`BULK_REFUSALS_SHOWN`].
    pub refusals: Vec<ActionOutcome>,
}

/// How many refusals a bulk answer lists.
pub const BULK_REFUSALS_SHOWN: usize = 100;
/// Messages changed per write of a bulk action.
pub const BULK_CHUNK: usize = 500;

impl BulkOutcome {
    pub(super) fn add(&mut self, outcomes: Vec<ActionOutcome>) {
        self.chunks += 1;
        self.tally(outcomes);
    }

    /// Counts `outcomes` decided without a write (such as ids the caller may not see).
    pub fn tally(&mut self, outcomes: Vec<ActionOutcome>) {
        for outcome in outcomes {
            match outcome.changed {
                true => self.changed += 1,
                false => {
                    self.refused += 1;
                    if self.refusals.len() < BULK_REFUSALS_SHOWN {
                        self.refusals.push(outcome);
                    }
                }
            }
        }
    }
}

/// How an allowed action changes a message's row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Change {
    /// Back to `Enqueued`, attempts reset, error cleared: the scheduler imports it again.
    Enqueue,
    /// Back to `Processed`, deliveries reset: dequeue hands the export out again.
    Deliver,
    /// Gone, with its body.
    Delete,
}

impl Change {
    pub(super) fn status(self) -> Option<MessageStatus> {
        match self {
            Change::Enqueue => Some(MessageStatus::Enqueued),
            Change::Deliver => Some(MessageStatus::Processed),
            Change::Delete => None,
        }
    }
}

/// Whether `action` makes sense for a message in `status` going `direction`, and the change
/// it makes; else why not, in words an operator reads.
pub(super) fn decide(action: MessageAction, status: MessageStatus, direction: Operation) -> Result<Change, String> {
    let status_name = status.as_str();
    match (action, direction) {
        (MessageAction::Reprocess, Operation::Export) => {
            Err("an export is not reprocessed: run its job to export again, or re-queue it if it is poisoned"
                .to_owned())
        }
        (MessageAction::Reprocess, Operation::Import) if FAILED.contains(&status) => Ok(Change::Enqueue),
        (MessageAction::Reprocess, Operation::Import) if status == MessageStatus::Poisoned => {
            Err("the message is poisoned: re-queue it instead".to_owned())
        }
        (MessageAction::Reprocess, Operation::Import) => {
            Err(format!("only a failed import can be reprocessed, and this one is {status_name}"))
        }
        (MessageAction::Requeue, _) if status != MessageStatus::Poisoned => {
            Err(format!("only a poisoned message can be re-queued, and this one is {status_name}"))
        }
        (MessageAction::Requeue, Operation::Import) => Ok(Change::Enqueue),
        (MessageAction::Requeue, Operation::Export) => Ok(Change::Deliver),
        (MessageAction::Delete, _) if matches!(status, MessageStatus::Processing | MessageStatus::Preprocessing) => {
            Err("the message is being processed: wait until it ends".to_owned())
        }
        (MessageAction::Delete, _) => Ok(Change::Delete),
    }
}

/// The record an action leaves: what the message was before (its timeline keeps the attempt
/// and error that the action reset).
pub(super) fn event_detail(message: &Message, change: Change) -> String {
    serde_json::json!({
        "from": message.status.as_str(),
        "to": change.status().map(MessageStatus::as_str),
        "retry_count": message.retry_count,
        "dequeue_count": message.dequeue_count,
        "execution": message.execution_id,
        "error": message.error,
    })
    .to_string()
}

/// One step in a message's life.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TimelineEvent {
    /// When, RFC 3339.
    pub at: String,
    /// What happened.
    pub kind: EventKind,
    /// Who did it, when someone did.
    pub actor: Option<String>,
    /// More about it: a status, a count, an error, an action's record (JSON).
    pub detail: Option<String>,
}

/// The kinds of step in a message's life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum EventKind {
    /// Enqueued by a client (or produced by an export).
    Enqueued,
    /// Processing started (the last attempt).
    ProcessingStarted,
    /// Processing ended without errors.
    Processed,
    /// Processing ended with errors, or the message was poisoned.
    Failed,
    /// Earlier attempts or deliveries, counted: the queue keeps only the last one's times.
    Retried,
    /// Handed to a client by dequeue (the last time).
    Dequeued,
    /// Its body was downloaded (the last time).
    Downloaded,
    /// Acknowledged by the client.
    Acked,
    /// An operator's action.
    OperatorAction,
}

/// A stored operator action, as the backends read it.
#[derive(Debug, Clone)]
pub(super) struct StoredEvent {
    pub(super) at: i64,
    pub(super) kind: String,
    pub(super) actor: Option<String>,
    pub(super) detail: Option<String>,
}

/// The timeline of `message` (when it still exists) and its stored operator actions, oldest
/// first. The queue keeps only the latest time of each step, so earlier attempts appear as a
/// count.
pub(super) fn timeline(message: Option<&Message>, events: Vec<StoredEvent>) -> Vec<TimelineEvent> {
    let mut timeline = Vec::new();
    if let Some(message) = message {
        let step = |at: &Option<String>, kind: EventKind, actor: Option<String>, detail: Option<String>| {
            at.as_ref().map(|at| TimelineEvent { at: at.clone(), kind, actor, detail })
        };
        let enqueued = Some(message.enqueue_date_time.clone());
        let detail = message.external_correlation_id.as_ref().map(|id| format!("external correlation id {id}"));
        timeline.extend(step(&enqueued, EventKind::Enqueued, message.enqueue_user.clone(), detail));
        if message.retry_count > 1 {
            let detail = format!("{} processing attempts; the times below are the last one's", message.retry_count);
            let at = message.processing_started_date_time.clone();
            timeline.extend(step(&at, EventKind::Retried, None, Some(detail)));
        }
        let attempt = (message.retry_count > 0).then(|| format!("attempt {}", message.retry_count));
        timeline.extend(step(&message.processing_started_date_time, EventKind::ProcessingStarted, None, attempt));
        let ended = match message.status {
            MessageStatus::ProcessedWithErrors
            | MessageStatus::PreProcessingError
            | MessageStatus::PostProcessingFailed
            | MessageStatus::Poisoned => EventKind::Failed,
            _ => EventKind::Processed,
        };
        let outcome = [
            Some(message.status.as_str().to_owned()),
            message.total_records.map(|records| format!("{records} records")),
            message.execution_id.as_ref().map(|execution| format!("execution {execution}")),
            message.error.clone(),
        ];
        let outcome = outcome.into_iter().flatten().collect::<Vec<_>>().join("; ");
        let completed = message.processing_completed_date_time.clone();
        timeline.extend(step(&completed, ended, None, Some(outcome.clone())));
        // An export is produced processed: its outcome is its enqueue.
        if completed.is_none() && message.direction == Operation::Export && ended == EventKind::Failed {
            timeline.extend(step(&enqueued, ended, None, Some(outcome)));
        }
        if message.dequeue_count > 1 {
            let detail = format!("{} deliveries; the time below is the last one's", message.dequeue_count);
            timeline.extend(step(&message.last_dequeue_date_time, EventKind::Retried, None, Some(detail)));
        }
        timeline.extend(step(&message.last_dequeue_date_time, EventKind::Dequeued, None, None));
        timeline.extend(step(&message.last_download_date_time, EventKind::Downloaded, None, None));
        timeline.extend(step(&message.ack_date_time, EventKind::Acked, message.ack_user.clone(), None));
    }
    for event in events {
        let detail = match event.detail {
            Some(detail) => format!("{}: {detail}", event.kind),
            None => event.kind,
        };
        timeline.push(TimelineEvent {
            at: format_millis(event.at),
            kind: EventKind::OperatorAction,
            actor: event.actor,
            detail: Some(detail),
        });
    }
    // RFC 3339 in UTC with milliseconds sorts as text; the sort is stable, so steps at the same
    // time keep their order of life.
    timeline.sort_by(|a, b| a.at.cmp(&b.at));
    timeline
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_acked_import_cannot_be_reprocessed_and_says_why() {
        let refused = decide(MessageAction::Reprocess, MessageStatus::Acked, Operation::Import);
        assert_eq!(refused, Err("only a failed import can be reprocessed, and this one is Acked".to_owned()));
    }

    #[test]
    fn a_poisoned_export_is_requeued_for_delivery_and_a_poisoned_import_for_processing() {
        assert_eq!(decide(MessageAction::Requeue, MessageStatus::Poisoned, Operation::Export), Ok(Change::Deliver));
        assert_eq!(decide(MessageAction::Requeue, MessageStatus::Poisoned, Operation::Import), Ok(Change::Enqueue));
    }

    #[test]
    fn a_message_being_processed_is_not_deleted() {
        assert!(decide(MessageAction::Delete, MessageStatus::Processing, Operation::Import).is_err());
        assert_eq!(decide(MessageAction::Delete, MessageStatus::Acked, Operation::Export), Ok(Change::Delete));
    }
}
