-- What the operator console needs from the queue: indexes for paging through messages newest
-- first under any filter, the operator actions' history, and which jobs are disabled.
--
-- Pages are ordered by (enqueued_at DESC, seq DESC). Each index below ends in enqueued_at, and
-- SQLite appends the rowid (seq) to every index, so a page is a walk down one index from the
-- cursor, however deep. A filter on several statuses walks one of these per status and merges.
CREATE INDEX IF NOT EXISTS queue_messages_by_job_and_time ON queue_messages (activity, status, enqueued_at);
CREATE INDEX IF NOT EXISTS queue_messages_by_status_and_time ON queue_messages (status, enqueued_at);
-- A search for an external correlation id without a job.
CREATE INDEX IF NOT EXISTS queue_messages_by_correlation ON queue_messages (external_id)
    WHERE external_id IS NOT NULL;

-- Operator actions on messages (reprocess, requeue, delete), oldest first. Only those actions
-- write here, so enqueueing and processing cost what they did; the rest of a message's
-- timeline comes from its own columns. Rows outlive a deleted message, as its record.
CREATE TABLE IF NOT EXISTS queue_message_events (
    seq INTEGER PRIMARY KEY,
    message TEXT NOT NULL,
    at INTEGER NOT NULL,
    kind TEXT NOT NULL,
    actor TEXT,
    detail TEXT
) STRICT;
CREATE INDEX IF NOT EXISTS queue_message_events_by_message ON queue_message_events (message, seq);

-- Jobs an operator disabled: their scheduled runs do not happen and their messages wait.
CREATE TABLE IF NOT EXISTS queue_job_state (
    activity TEXT PRIMARY KEY,
    enabled INTEGER NOT NULL,
    changed_at INTEGER NOT NULL,
    changed_by TEXT
) STRICT;
