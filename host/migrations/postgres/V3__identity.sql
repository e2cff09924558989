-- Who may get a token, and the keys tokens are signed with: one copy for every replica.

-- Client registrations, as in SQLite's `auth_clients`.
CREATE TABLE auth_clients (
    id text PRIMARY KEY,
    name text NOT NULL,
    roles text NOT NULL,        -- JSON list of role names
    companies text NOT NULL,    -- JSON: "*" or a list of company ids
    enabled boolean NOT NULL,
    created text NOT NULL,      -- RFC 3339
    secret_hash text NOT NULL   -- argon2id, PHC string
);

-- Token signing keys: the active one (no `retired_at`) signs; retired ones keep verifying the
-- tokens they signed until those have expired, then a rotation deletes them.
CREATE TABLE auth_keys (
    kid text PRIMARY KEY,
    private_key text NOT NULL,  -- Ed25519, PKCS#8 PEM
    created timestamptz NOT NULL DEFAULT now(),
    retired_at timestamptz
);
-- At most one active key: of replicas starting together on an empty database, one inserts
-- its key and the others' inserts do nothing.
CREATE UNIQUE INDEX auth_keys_one_active ON auth_keys ((true)) WHERE retired_at IS NULL;

-- Counts of changes, which triggers keep whoever writes: every replica reads them at least
-- once a second and reads the tables again when they moved. The same triggers send a
-- notification on `wharf_auth`, delivered when the change commits, so replicas usually look at
-- once.
CREATE TABLE auth_changes (
    id integer PRIMARY KEY CHECK (id = 1),
    clients bigint NOT NULL,
    keys bigint NOT NULL
);
INSERT INTO auth_changes (id, clients, keys) VALUES (1, 0, 0);

CREATE FUNCTION auth_clients_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE auth_changes SET clients = clients + 1 WHERE id = 1;
    PERFORM pg_notify('wharf_auth', 'clients');
    RETURN NULL;
END
$$;
CREATE TRIGGER auth_clients_changed AFTER INSERT OR UPDATE OR DELETE ON auth_clients
    FOR EACH ROW EXECUTE FUNCTION auth_clients_changed();

CREATE FUNCTION auth_keys_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE auth_changes SET keys = keys + 1 WHERE id = 1;
    PERFORM pg_notify('wharf_auth', 'keys');
    RETURN NULL;
END
$$;
CREATE TRIGGER auth_keys_changed AFTER INSERT OR UPDATE OR DELETE ON auth_keys
    FOR EACH ROW EXECUTE FUNCTION auth_keys_changed();
