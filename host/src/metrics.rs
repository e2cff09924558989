//! The names of the metrics Wharf records, their labels and their histogram buckets, in one
//! place. The library records through the `metrics` facade (`::metrics::counter!(NAME, …)`)
//! from wherever an event happens; with no recorder installed (`[metrics] enabled = false`,
//! or a process that is not a server) every such line does nothing. The server's exporter
//! (`api::metrics`) installs the Prometheus recorder and serves `/metrics`.
//!
//! No label carries a secret, a message body or personal data: routes are templates
//! (`/api/connector/enqueue/{activity}`), jobs are activity ids, entities and plugins are the
//! deployment's own names.
//!
//! | Name | Type | Labels | What |
//! | --- | --- | --- | --- |
//! | `wharf_http_request_duration_seconds` | histogram | `route`, `method`, `status` | Requests answered, by matched route template (`unmatched` when none matched), until the response head |
//! | `wharf_queue_enqueued_total` | counter | `job` | Messages added to the queue (client enqueues, and the export messages a job produces); idempotent repeats are not counted |
//! | `wharf_queue_dequeued_total` | counter | `job` | Export messages a client's dequeue leased |
//! | `wharf_queue_claimed_total` | counter | `job` | Import messages taken for processing |
//! | `wharf_queue_acked_total` | counter | `job` | Export messages acknowledged (a repeat or a stale receipt is not counted) |
//! | `wharf_queue_redelivered_total` | counter | `job` | Dequeues and claims of a message that was handed out before |
//! | `wharf_queue_poisoned_total` | counter | `job` | Messages poisoned after too many deliveries or attempts |
//! | `wharf_queue_messages` | gauge | `job`, `status` | Messages kept, per job and status, counted when `/metrics` is read |
//! | `wharf_queue_oldest_message_age_seconds` | gauge | `job`, `status` | Age of the oldest of those messages, when `/metrics` is read |
//! | `wharf_executions_total` | counter | `operation`, `outcome` | Executions ended, by `Succeeded`, `PartiallySucceeded`, `Failed` or `Canceled` |
//! | `wharf_rows_read_total` | counter | `entity` | Records an import read for the entity, those rejected while reading included |
//! | `wharf_rows_imported_total` | counter | `entity` | Records an import wrote to the entity |
//! | `wharf_rows_rejected_total` | counter | `entity` | Records an import rejected, while reading or while writing |
//! | `wharf_rows_exported_total` | counter | `entity` | Records an export wrote out |
//! | `wharf_plugin_calls_total` | counter | `plugin`, `version` | Calls of a plugin version, failed ones included |
//! | `wharf_plugin_call_duration_seconds` | histogram | `plugin`, `version` | How long calls that started ran |
//! | `wharf_plugin_traps_total` | counter | `plugin`, `version` | Calls that trapped (a panic, an out-of-bounds access, an exit) |
//! | `wharf_plugin_limit_hits_total` | counter | `plugin`, `version`, `limit` | Calls stopped by a limit: `time`, `memory`, `output` or `busy` (no call slot free) |
//! | `wharf_plugin_reloads_total` | counter | `plugin` | New versions swapped in while another served |
//! | `wharf_plugin_load_failures_total` | counter | `plugin` | Versions refused at load (the file's name when the manifest named none) |
//! | `wharf_store_write_duration_seconds` | histogram | `backend` | One batch's write transaction in the entity store, from its start to its commit |

/// HTTP requests answered, with their latency.
pub const HTTP_REQUEST_DURATION: &str = "wharf_http_request_duration_seconds";
/// Messages added to the queue.
pub const QUEUE_ENQUEUED: &str = "wharf_queue_enqueued_total";
/// Export messages leased by a dequeue.
pub const QUEUE_DEQUEUED: &str = "wharf_queue_dequeued_total";
/// Import messages taken for processing.
pub const QUEUE_CLAIMED: &str = "wharf_queue_claimed_total";
/// Export messages acknowledged.
pub const QUEUE_ACKED: &str = "wharf_queue_acked_total";
/// Messages handed out again.
pub const QUEUE_REDELIVERED: &str = "wharf_queue_redelivered_total";
/// Messages poisoned.
pub const QUEUE_POISONED: &str = "wharf_queue_poisoned_total";
/// Messages kept, per job and status (a gauge set when `/metrics` is read).
pub const QUEUE_MESSAGES: &str = "wharf_queue_messages";
/// Age of the oldest message per job and status (a gauge set when `/metrics` is read).
pub const QUEUE_OLDEST_AGE: &str = "wharf_queue_oldest_message_age_seconds";
/// Executions ended, by outcome.
pub const EXECUTIONS: &str = "wharf_executions_total";
/// Records read by imports.
pub const ROWS_READ: &str = "wharf_rows_read_total";
/// Records written by imports.
pub const ROWS_IMPORTED: &str = "wharf_rows_imported_total";
/// Records rejected by imports.
pub const ROWS_REJECTED: &str = "wharf_rows_rejected_total";
/// Records written out by exports.
pub const ROWS_EXPORTED: &str = "wharf_rows_exported_total";
/// Plugin calls.
pub const PLUGIN_CALLS: &str = "wharf_plugin_calls_total";
/// Plugin call latency.
pub const PLUGIN_CALL_DURATION: &str = "wharf_plugin_call_duration_seconds";
/// Plugin calls that trapped.
pub const PLUGIN_TRAPS: &str = "wharf_plugin_traps_total";
/// Plugin calls stopped by a limit.
pub const PLUGIN_LIMIT_HITS: &str = "wharf_plugin_limit_hits_total";
/// Plugin versions swapped in while another served.
pub const PLUGIN_RELOADS: &str = "wharf_plugin_reloads_total";
/// Plugin versions refused at load.
pub const PLUGIN_LOAD_FAILURES: &str = "wharf_plugin_load_failures_total";
/// Entity store batch writes.
pub const STORE_WRITE_DURATION: &str = "wharf_store_write_duration_seconds";

/// Every metric's name, for the exporter to describe and for tests to check a dashboard by.
pub const ALL: [&str; 21] = [
    HTTP_REQUEST_DURATION,
    QUEUE_ENQUEUED,
    QUEUE_DEQUEUED,
    QUEUE_CLAIMED,
    QUEUE_ACKED,
    QUEUE_REDELIVERED,
    QUEUE_POISONED,
    QUEUE_MESSAGES,
    QUEUE_OLDEST_AGE,
    EXECUTIONS,
    ROWS_READ,
    ROWS_IMPORTED,
    ROWS_REJECTED,
    ROWS_EXPORTED,
    PLUGIN_CALLS,
    PLUGIN_CALL_DURATION,
    PLUGIN_TRAPS,
    PLUGIN_LIMIT_HITS,
    PLUGIN_RELOADS,
    PLUGIN_LOAD_FAILURES,
    STORE_WRITE_DURATION,
];

/// The plugin call latency's buckets, in seconds; the console's per-version figures count
/// calls in the same ones.
pub const PLUGIN_CALL_BUCKETS: [f64; 11] = [0.0001, 0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1.0, 5.0, 30.0];

/// Each histogram's buckets, in seconds. HTTP answers range from a health check's
/// microseconds to a large upload's seconds; plugin calls stop at their time limit (seconds at
/// most); a batch write is milliseconds to a second or two on a loaded PostgreSQL.
pub const BUCKETS: [(&str, &[f64]); 3] = [
    (HTTP_REQUEST_DURATION, &[0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0]),
    (PLUGIN_CALL_DURATION, &PLUGIN_CALL_BUCKETS),
    (STORE_WRITE_DURATION, &[0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0]),
];
