-- The entity store's meta tables (data/wharf.db) as Wharf made them before its schema was
-- versioned: the version counter and format, recorded entity definitions, export watermarks,
-- executions and the rows executions keep in staging. The tables of the entities themselves
-- are not migrations: they follow the entity definitions (`store::schema`), and are named
-- `entity_<Name>` so they never collide with these.
--
-- Every statement keeps `IF NOT EXISTS` (and the seed rows `OR IGNORE`): a file an earlier
-- Wharf made has these tables but no migration history, and this migration must find it
-- complete and only record it as version 1.
CREATE TABLE IF NOT EXISTS wharf_meta (
    name TEXT PRIMARY KEY,
    value INTEGER NOT NULL
) STRICT, WITHOUT ROWID;
INSERT OR IGNORE INTO wharf_meta (name, value) VALUES ('version', 0), ('format', 1);
CREATE TABLE IF NOT EXISTS wharf_entities (
    name TEXT PRIMARY KEY COLLATE NOCASE,
    definition TEXT NOT NULL
) STRICT;
CREATE TABLE IF NOT EXISTS wharf_watermarks (
    project TEXT NOT NULL,
    entity TEXT NOT NULL,
    version INTEGER NOT NULL,
    PRIMARY KEY (project, entity)
) STRICT, WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS wharf_watermarks_staged (
    message TEXT NOT NULL,
    project TEXT NOT NULL,
    entity TEXT NOT NULL,
    version INTEGER NOT NULL,
    PRIMARY KEY (message, project, entity)
) STRICT, WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS wharf_executions (
    id TEXT PRIMARY KEY,
    project TEXT NOT NULL,
    operation TEXT NOT NULL,
    status TEXT NOT NULL,
    started TEXT NOT NULL,
    completed TEXT,
    company TEXT
) STRICT;
CREATE TABLE IF NOT EXISTS wharf_execution_entities (
    execution TEXT NOT NULL,
    position INTEGER NOT NULL,
    entity TEXT NOT NULL,
    company TEXT,
    staging_records INTEGER NOT NULL,
    staging_status TEXT NOT NULL,
    staging_error_count INTEGER NOT NULL,
    target_records INTEGER NOT NULL,
    target_status TEXT NOT NULL,
    target_error_count INTEGER NOT NULL,
    started TEXT,
    completed TEXT,
    inserted INTEGER NOT NULL,
    updated INTEGER NOT NULL,
    PRIMARY KEY (execution, position)
) STRICT, WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS wharf_execution_errors (
    execution TEXT NOT NULL,
    entity TEXT NOT NULL,
    record INTEGER NOT NULL,
    field TEXT,
    message TEXT NOT NULL
) STRICT;
CREATE INDEX IF NOT EXISTS wharf_execution_errors_by_execution ON wharf_execution_errors (execution);
CREATE TABLE IF NOT EXISTS wharf_staging (
    execution TEXT NOT NULL,
    entity TEXT NOT NULL,
    number INTEGER NOT NULL,
    record INTEGER NOT NULL,
    status TEXT NOT NULL,
    row_values TEXT NOT NULL,
    errors TEXT NOT NULL,
    PRIMARY KEY (execution, entity, number)
) STRICT, WITHOUT ROWID;
