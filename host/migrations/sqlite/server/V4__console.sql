-- The operator console: its sign-in sessions and the audit log of what operators did.

-- A session is known by the BLAKE3 hash of its cookie's random id, never the id itself: whoever
-- reads this table cannot sign in with what it finds. Times are Unix milliseconds.
CREATE TABLE console_sessions (
    id_hash TEXT PRIMARY KEY NOT NULL,
    client_id TEXT NOT NULL,
    created INTEGER NOT NULL,
    last_seen INTEGER NOT NULL,
    expires INTEGER NOT NULL,   -- the absolute end, whatever the activity
    address TEXT
) STRICT;
CREATE INDEX console_sessions_by_expiry ON console_sessions (expires);

-- Every action an operator took through the console: who, what, on what, when, from where,
-- and how it ended.
CREATE TABLE console_audit (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    at INTEGER NOT NULL,
    client_id TEXT NOT NULL,
    action TEXT NOT NULL,
    target TEXT NOT NULL,
    address TEXT,
    outcome TEXT NOT NULL
) STRICT;
