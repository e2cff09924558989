-- The replicas serving from this database, so that an operator sees them all, and which plugin
-- versions each serves (each replica loads plugins from its own directory, so they can differ).

CREATE TABLE replicas (
    id uuid PRIMARY KEY,            -- minted by the replica at start
    host text NOT NULL,             -- the machine's name
    url text NOT NULL,              -- the public URL it hands out
    listen text NOT NULL,           -- the address it listens on
    wharf_version text NOT NULL,
    started_at bigint NOT NULL,     -- wharf_now_ms() when it first registered
    last_seen bigint NOT NULL,      -- wharf_now_ms() at its last heartbeat
    stopped_at bigint,              -- wharf_now_ms() when it stopped gracefully
    -- What it serves: a list of {entity, role, plugin, version, content_hash}.
    plugins jsonb NOT NULL
);
-- Replicas unseen for long are removed by whichever replica beats next.
CREATE INDEX replicas_by_last_seen ON replicas (last_seen);
