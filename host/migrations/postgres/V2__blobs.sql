-- The data-package API's blobs for every replica: upload targets, exported packages and
-- error-key files, so that a link one replica handed out works on all of them.

-- One record per blob, as in SQLite's `queue_blobs`; `size` stays NULL until the content is
-- complete, and an upload link takes a body only while it is.
CREATE TABLE queue_blobs (
    id uuid PRIMARY KEY,
    token text NOT NULL,
    kind text NOT NULL,
    name text NOT NULL,
    size bigint,
    created bigint NOT NULL,
    execution text,
    company text,
    owner text
);
CREATE INDEX queue_blobs_by_execution ON queue_blobs (execution, kind, created);
CREATE INDEX queue_blobs_by_age ON queue_blobs (created);

-- Contents in chunks any replica streams in or out; removing a blob removes them.
CREATE TABLE blob_chunks (
    blob uuid NOT NULL REFERENCES queue_blobs (id) ON DELETE CASCADE,
    chunk integer NOT NULL,
    data bytea NOT NULL,
    PRIMARY KEY (blob, chunk)
);
