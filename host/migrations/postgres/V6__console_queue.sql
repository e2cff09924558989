-- What the operator console needs from the queue: indexes for paging through messages newest
-- first under any filter, the operator actions' history, and which jobs are disabled.
--
-- Pages are ordered by (enqueued_at DESC, seq DESC); each index ends in those two columns, so a
-- page is a walk down one index from the cursor, however deep. A filter on several statuses
-- walks one of these per status and merges.
CREATE INDEX queue_messages_by_job_and_time ON queue_messages (activity, status, enqueued_at, seq);
CREATE INDEX queue_messages_by_status_and_time ON queue_messages (status, enqueued_at, seq);
CREATE INDEX queue_messages_by_time ON queue_messages (enqueued_at, seq);
-- A search for an external correlation id without a job.
CREATE INDEX queue_messages_by_correlation ON queue_messages (external_id) WHERE external_id IS NOT NULL;

-- Operator actions on messages (reprocess, requeue, delete), oldest first. Only those actions
-- write here, so enqueueing and processing cost what they did; the rest of a message's
-- timeline comes from its own columns. Rows outlive a deleted message, as its record.
CREATE TABLE queue_message_events (
    seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    message uuid NOT NULL,
    at bigint NOT NULL,
    kind text NOT NULL,
    actor text,
    detail text
);
CREATE INDEX queue_message_events_by_message ON queue_message_events (message, seq);

-- Jobs an operator disabled: their scheduled runs do not happen and their messages wait.
CREATE TABLE queue_job_state (
    activity uuid PRIMARY KEY,
    enabled boolean NOT NULL,
    changed_at bigint NOT NULL,
    changed_by text
);
