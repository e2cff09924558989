-- The queue of every replica: D365's message records, their bodies in chunks, and the jobs
-- defined through the management API.

-- The database's clock, in milliseconds since the epoch: every lease is timed by it, so that
-- replicas whose clocks disagree still agree on who holds a message.
CREATE FUNCTION wharf_now_ms() RETURNS bigint LANGUAGE sql VOLATILE
    AS $$ SELECT (extract(epoch FROM clock_timestamp()) * 1000)::bigint $$;

CREATE TABLE queue_jobs (
    activity uuid PRIMARY KEY,
    definition text NOT NULL
);

CREATE TABLE queue_messages (
    seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    id uuid NOT NULL UNIQUE,
    activity uuid NOT NULL,
    operation text NOT NULL,
    entity text,
    company text,
    external_id text,
    body_hash bytea NOT NULL,
    body_size bigint NOT NULL,
    blob uuid NOT NULL,
    status text NOT NULL,
    enqueued_at bigint NOT NULL,
    enqueue_user text,
    processing_started bigint,
    processing_completed bigint,
    last_dequeue bigint,
    last_download bigint,
    acked_at bigint,
    ack_user text,
    retry_count integer NOT NULL DEFAULT 0,
    dequeue_count integer NOT NULL DEFAULT 0,
    -- The lease: a fresh receipt per dequeue (exports) or processing claim (imports), and
    -- when it lapses. A write on behalf of a lease names its receipt and changes nothing once
    -- the receipt is no longer the message's.
    pop_receipt text,
    visible_at bigint,
    execution text,
    records bigint,
    error text
);
CREATE INDEX queue_messages_by_job ON queue_messages (activity, status, seq);
CREATE INDEX queue_messages_by_age ON queue_messages (enqueued_at);
CREATE INDEX queue_messages_by_execution ON queue_messages (execution);
CREATE INDEX queue_messages_leased ON queue_messages (visible_at) WHERE status IN ('Processing', 'Preprocessing');
-- Enqueue is idempotent on (job, external identifier, body), whichever replica takes the
-- repeat.
CREATE UNIQUE INDEX queue_messages_idempotent ON queue_messages (activity, external_id, body_hash)
    WHERE external_id IS NOT NULL AND operation = 'Import';

-- Bodies of every size, in chunks any replica streams in or out; `name` is the message id.
CREATE TABLE queue_bodies (
    name text NOT NULL,
    chunk integer NOT NULL,
    data bytea NOT NULL,
    PRIMARY KEY (name, chunk)
);

-- When each job's recurrence is next due, so that it fires once per due time whichever
-- replicas are up.
CREATE TABLE queue_schedule (
    activity uuid PRIMARY KEY,
    due bigint NOT NULL
);
