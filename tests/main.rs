//! Wharf's integration tests: one binary, each module one capability.

/// Actions commit their unit of work only when they succeed.
mod actions;
/// The command line's output and exit codes.
mod cli;
/// D365's real clients' request sequences, replayed against the server.
mod contract;
/// A real `wharf serve` process killed with SIGKILL keeps every promise it made before.
mod crashes;
/// Every format reader against its sample documents and golden renderings.
mod formats;
/// Every example plugin against its golden files.
mod golden;
/// Plugins that attack the host (loops, bombs, escapes, malformed results) are stopped.
mod hostile;
/// Imports and exports through the pipeline into a real store, crashes included.
mod imports;
/// The server's life: graceful stops, restarts, retention.
mod lifecycle;
/// Loading refuses broken components and manifests with messages that say why.
mod loading;
/// Data packages: D365's manifest and header bytes, lenient reading, hostile zips refused.
mod packages;
/// Hot reload under load: swaps, broken versions, deletes, restores.
mod reload;
/// Who may reach what over HTTP, bad tokens, request budgets and hostile input.
mod security;
/// A real server on a free port, for the modules that talk HTTP.
mod server;
/// Repository rules that keep the code readable.
mod tidy;
