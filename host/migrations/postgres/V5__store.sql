-- The entity store's meta tables, one copy for every replica: the version counter, recorded
-- entity definitions, export watermarks, executions and the rows executions keep in staging.
-- The tables of the entities themselves are not migrations: they follow the entity
-- definitions (`store/postgres/tables.rs`), named `entity_<Name>`, so they never collide with
-- these.

-- `version` numbers the write transactions that change entity rows. A writer takes the next
-- number with `UPDATE … RETURNING` inside its transaction and holds the row's lock until it
-- commits, so writers on every replica take turns here and versions follow commit order:
-- an export that read up to version v has seen every change numbered v or less.
CREATE TABLE store_meta (
    name text PRIMARY KEY,
    value bigint NOT NULL
);
INSERT INTO store_meta (name, value) VALUES ('version', 0);

-- Definitions as the store recorded them (JSON), by name in lower case: definitions compare
-- names without case.
CREATE TABLE store_entities (
    name text PRIMARY KEY,
    definition text NOT NULL
);

CREATE TABLE store_watermarks (
    project text NOT NULL,
    entity text NOT NULL,
    version bigint NOT NULL,
    PRIMARY KEY (project, entity)
);

CREATE TABLE store_watermarks_staged (
    message text NOT NULL,
    project text NOT NULL,
    entity text NOT NULL,
    version bigint NOT NULL,
    PRIMARY KEY (message, project, entity)
);

-- `seq` orders rows as they were written (SQLite's rowid).
CREATE TABLE store_executions (
    id text PRIMARY KEY,
    seq bigint GENERATED ALWAYS AS IDENTITY,
    project text NOT NULL,
    operation text NOT NULL,
    status text NOT NULL,
    -- RFC 3339, UTC. Byte order (as SQLite compares) so that the index below serves the
    -- listing whatever the database's collation is.
    started text COLLATE "C" NOT NULL,
    completed text,
    company text
);
CREATE INDEX store_executions_by_start ON store_executions (started DESC, seq DESC);

CREATE TABLE store_execution_entities (
    execution text NOT NULL,
    position integer NOT NULL,
    entity text NOT NULL,
    company text,
    staging_records bigint NOT NULL,
    staging_status text NOT NULL,
    staging_error_count bigint NOT NULL,
    target_records bigint NOT NULL,
    target_status text NOT NULL,
    target_error_count bigint NOT NULL,
    started text,
    completed text,
    inserted bigint NOT NULL,
    updated bigint NOT NULL,
    PRIMARY KEY (execution, position)
);

CREATE TABLE store_execution_errors (
    seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    execution text NOT NULL,
    entity text NOT NULL,
    record bigint NOT NULL,
    field text,
    message text NOT NULL
);
CREATE INDEX store_execution_errors_by_execution ON store_execution_errors (execution, seq);

-- Files an execution leaves (the rejected records with their source values), so that a
-- replica other than the one that ran it can hand them out. They are bounded: an error file
-- lists a limited number of rows.
CREATE TABLE store_execution_files (
    execution text NOT NULL,
    name text NOT NULL,
    data bytea NOT NULL,
    PRIMARY KEY (execution, name)
);

-- Staged rows keep their values and errors as the JSON text they were written as. They list
-- by entity in byte order (as SQLite sorts), which the primary key serves.
CREATE TABLE store_staging (
    execution text NOT NULL,
    entity text COLLATE "C" NOT NULL,
    number bigint NOT NULL,
    record bigint NOT NULL,
    status text NOT NULL,
    row_values text NOT NULL,
    errors text NOT NULL,
    PRIMARY KEY (execution, entity, number)
);
