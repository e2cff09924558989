-- Signing keys retired by `wharf client rotate-key`, kept so that tokens they signed validate
-- until they expire. The active key is the file data/keys/signing.pem; a row whose key is also
-- that file's (a rotation interrupted half-way) counts as active.
CREATE TABLE IF NOT EXISTS auth_signing_keys (
    kid TEXT PRIMARY KEY NOT NULL,
    private_key TEXT NOT NULL,  -- Ed25519, PKCS#8 PEM
    retired_at INTEGER NOT NULL -- Unix seconds
) STRICT;
-- A count of changes to the keys, kept by triggers, so that a server notices a rotation that
-- `wharf client` made from another process.
CREATE TABLE IF NOT EXISTS auth_signing_keys_changes (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    count INTEGER NOT NULL
) STRICT;
INSERT OR IGNORE INTO auth_signing_keys_changes (id, count) VALUES (1, 0);
CREATE TRIGGER IF NOT EXISTS auth_signing_keys_inserted AFTER INSERT ON auth_signing_keys
    BEGIN UPDATE auth_signing_keys_changes SET count = count + 1; END;
CREATE TRIGGER IF NOT EXISTS auth_signing_keys_updated AFTER UPDATE ON auth_signing_keys
    BEGIN UPDATE auth_signing_keys_changes SET count = count + 1; END;
CREATE TRIGGER IF NOT EXISTS auth_signing_keys_deleted AFTER DELETE ON auth_signing_keys
    BEGIN UPDATE auth_signing_keys_changes SET count = count + 1; END;
