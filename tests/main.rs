//! Wharf's integration tests: one binary, each module one capability.

/// Actions commit their unit of work only when they succeed.
mod actions;
/// The command line's output and exit codes.
mod cli;
/// Loading is bounded (component size, compile time and memory) and a restart compiles nothing.
mod compiling;
/// The operator console: sign-in sessions, every page and action, roles, CSRF, escaping, the audit log.
mod console;
/// The operator console in headless Chromium: a failed import found, fixed, reprocessed; screenshots of each page.
mod console_browser;
/// D365's real clients' request sequences, replayed against the server.
mod contract;
/// A real `wharf serve` process killed with SIGKILL keeps every promise it made before.
mod crashes;
/// Jobs, projects and entities reloaded from their files under load; broken ones refused with a reason.
mod definitions;
/// Inbound and outbound folders: files taken once, archived or refused with a reason, crashes included.
mod folders;
/// Every format reader against its sample documents and golden renderings.
mod formats;
/// Every parser of clients' input under coverage-guided fuzzing, for a bounded time per parser.
mod fuzz;
/// Every example plugin against its golden files.
mod golden;
/// `wharf plugin test`: example plugins' cases, diffs, `--bless`, budgets, traps and timeouts.
mod harness;
/// Plugins that attack the host (loops, bombs, escapes, malformed results) are stopped.
mod hostile;
/// Imports and exports through the pipeline into a real store, crashes included.
mod imports;
/// Plugins in Python, JavaScript and C: built by their own toolchains, run like their Rust twins.
mod languages;
/// The server's life: graceful stops, restarts, retention.
mod lifecycle;
/// Loading refuses broken components and manifests with messages that say why.
mod loading;
/// Prometheus metrics at `/metrics`: values after known traffic, clean labels, access rules, the sample dashboard.
mod metrics;
/// The OData service: CRUD with ETags, query options, paging, companies, batches, hostile queries.
mod odata;
/// The OData URL parser against the OASIS ABNF test cases.
mod odata_abnf;
/// A real OData client (python-odata) creating, querying, paging, updating and calling actions.
mod odata_client;
/// The `$filter` parser against odata-query on generated and broken expressions.
mod odata_filter_differential;
/// `$metadata` against the OASIS CSDL schemas and a real OData client's metadata reader.
mod odata_metadata;
/// `odata.metadata=full` and `none` as Olingo's client asks for them and reads them.
mod odata_metadata_levels;
/// Navigation by path, `$value`, deep inserts, `$expand=*` and `If-None-Match`.
mod odata_paths;
/// The OpenAPI document: its snapshot, the routes it covers, and schemathesis driving the server from it.
mod openapi;
/// The operator's queue over HTTP: search and cursor paging, timelines, reprocess and bulk actions, jobs disabled and run now.
mod operator_queue;
/// Plugins calling web services: allow-lists, closed addresses, redirects, timeouts, caps, secrets.
mod outbound;
/// The package API behind a load balancer: replicas on one database share upload and download links.
mod package_replicas;
/// Data packages: D365's manifest and header bytes, lenient reading, hostile zips refused.
mod packages;
/// Replay before promote, canaries rolled back or promoted, quarantine after a trap spike.
mod releases;
/// Hot reload under load: swaps, broken versions, deletes, restores.
mod reload;
/// Replicas on one database listed with their plugin versions, skew shown, the stopped and the gone told apart.
mod replicas;
/// `wharf plugin new`: every role and language from an empty folder to a passing `wharf plugin test`.
mod scaffold;
/// Replicas sharing one PostgreSQL queue through kills, freezes and database crashes, held to a recorded history.
mod scaleout;
/// Who may reach what over HTTP, bad tokens, request budgets and hostile input.
mod security;
/// A real server on a free port, for the modules that talk HTTP.
mod server;
/// Custom services and bound actions: parameters checked, units of work committed only on success.
mod services;
/// Signed plugins: refused without a good signature by a trusted key, over component and manifest.
mod signing;
/// Imports stopped at staging: rows reviewed, corrected or dropped, then copied to the target.
mod staging;
/// Repository rules that keep the code readable.
mod tidy;
/// XSLT stylesheets in the sandbox: applied in order, confined to their folder, failing whole.
mod xslt;
