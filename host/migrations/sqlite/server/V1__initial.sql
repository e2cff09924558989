-- The server database (data/server.db) as Wharf made it before its schema was versioned: the
-- queue, the client registrations and the record of release decisions.
--
-- Every statement keeps `IF NOT EXISTS` (and the seed row `OR IGNORE`): a file an earlier Wharf
-- made has these tables but no migration history, and this migration must find it complete
-- and only record it as version 1.

-- The queue: the jobs defined through the management API, D365's message records, and the
-- blobs of the package API.
CREATE TABLE IF NOT EXISTS queue_jobs (
    activity TEXT PRIMARY KEY,
    definition TEXT NOT NULL
) STRICT;
CREATE TABLE IF NOT EXISTS queue_messages (
    seq INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    activity TEXT NOT NULL,
    operation TEXT NOT NULL,
    entity TEXT,
    company TEXT,
    external_id TEXT,
    body_hash BLOB NOT NULL,
    body_size INTEGER NOT NULL,
    body BLOB,
    blob TEXT NOT NULL,
    status TEXT NOT NULL,
    enqueued_at INTEGER NOT NULL,
    enqueue_user TEXT,
    processing_started INTEGER,
    processing_completed INTEGER,
    last_dequeue INTEGER,
    last_download INTEGER,
    acked_at INTEGER,
    ack_user TEXT,
    retry_count INTEGER NOT NULL DEFAULT 0,
    dequeue_count INTEGER NOT NULL DEFAULT 0,
    pop_receipt TEXT,
    visible_at INTEGER,
    execution TEXT,
    records INTEGER,
    error TEXT
) STRICT;
CREATE INDEX IF NOT EXISTS queue_messages_by_job ON queue_messages (activity, status, seq);
CREATE INDEX IF NOT EXISTS queue_messages_by_external_id ON queue_messages (activity, external_id)
    WHERE external_id IS NOT NULL;
CREATE INDEX IF NOT EXISTS queue_messages_by_age ON queue_messages (enqueued_at);
CREATE INDEX IF NOT EXISTS queue_messages_by_execution ON queue_messages (execution);
CREATE TABLE IF NOT EXISTS queue_blobs (
    id TEXT PRIMARY KEY,
    token TEXT NOT NULL,
    kind TEXT NOT NULL,
    name TEXT NOT NULL,
    size INTEGER,
    created INTEGER NOT NULL,
    execution TEXT,
    company TEXT,
    owner TEXT
) STRICT;
CREATE INDEX IF NOT EXISTS queue_blobs_by_execution ON queue_blobs (execution);

-- Client registrations, and a count of their changes that triggers keep, so that a change made
-- by any writer (another process, an older Wharf, the `sqlite3` shell) is seen.
CREATE TABLE IF NOT EXISTS auth_clients (
    id TEXT PRIMARY KEY NOT NULL,
    name TEXT NOT NULL,
    roles TEXT NOT NULL,        -- JSON list of role names
    companies TEXT NOT NULL,    -- JSON: "*" or a list of company ids
    enabled INTEGER NOT NULL,
    created TEXT NOT NULL,      -- RFC 3339
    secret_hash TEXT NOT NULL   -- argon2id, PHC string
) STRICT;
CREATE TABLE IF NOT EXISTS auth_clients_changes (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    count INTEGER NOT NULL
) STRICT;
INSERT OR IGNORE INTO auth_clients_changes (id, count) VALUES (1, 0);
CREATE TRIGGER IF NOT EXISTS auth_clients_inserted AFTER INSERT ON auth_clients
    BEGIN UPDATE auth_clients_changes SET count = count + 1; END;
CREATE TRIGGER IF NOT EXISTS auth_clients_updated AFTER UPDATE ON auth_clients
    BEGIN UPDATE auth_clients_changes SET count = count + 1; END;
CREATE TRIGGER IF NOT EXISTS auth_clients_deleted AFTER DELETE ON auth_clients
    BEGIN UPDATE auth_clients_changes SET count = count + 1; END;

-- The record of release decisions about plugin versions.
CREATE TABLE IF NOT EXISTS plugin_decisions (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    at INTEGER NOT NULL,
    plugin TEXT NOT NULL,
    kind TEXT NOT NULL,
    version TEXT,
    serving TEXT,
    reason TEXT NOT NULL,
    numbers TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS plugin_decisions_by_plugin ON plugin_decisions (plugin, seq);
