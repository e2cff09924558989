-- The operator console: its sign-in sessions and the audit log of what operators did, shared
-- by every replica so that a session started on one is accepted by all.

-- A session is known by the BLAKE3 hash of its cookie's random id, never the id itself: whoever
-- reads this table cannot sign in with what it finds. Times are Unix milliseconds.
CREATE TABLE console_sessions (
    id_hash text PRIMARY KEY,
    client_id text NOT NULL,
    created bigint NOT NULL,
    last_seen bigint NOT NULL,
    expires bigint NOT NULL,    -- the absolute end, whatever the activity
    address text
);
CREATE INDEX console_sessions_by_expiry ON console_sessions (expires);

-- Every action an operator took through the console: who, what, on what, when, from where,
-- and how it ended.
CREATE TABLE console_audit (
    seq bigserial PRIMARY KEY,
    at bigint NOT NULL,
    client_id text NOT NULL,
    action text NOT NULL,
    target text NOT NULL,
    address text,
    outcome text NOT NULL
);
