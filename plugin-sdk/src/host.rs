//! Services the host offers every plugin: its structured log, the manifest's configuration
//! and read-only entity lookups.
//!
//! Compiled for anything but WebAssembly (a plugin's own native tests and benchmarks), there
//! is no host: log lines go to stderr, `config` finds nothing and `lookup` fails, unless the
//! test installed a [`TestHost`](crate::testing::TestHost) with values and rows.

#[cfg(target_arch = "wasm32")]
use crate::bindings::wharf::plugin::host as wit;
use crate::{PluginError, Record, ValueRef};

/// How much a log line matters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    /// Detail for whoever debugs the plugin.
    Debug,
    /// Normal operation.
    Info,
    /// Something odd that did not stop the call.
    Warn,
    /// Something failed.
    Error,
}

/// Writes a line to the host's structured log, tagged with this plugin's name and version.
pub fn log(level: Level, message: &str) {
    #[cfg(target_arch = "wasm32")]
    {
        let level = match level {
            Level::Debug => wit::Level::Debug,
            Level::Info => wit::Level::Info,
            Level::Warn => wit::Level::Warn,
            Level::Error => wit::Level::Error,
        };
        wit::log(level, message);
    }
    #[cfg(not(target_arch = "wasm32"))]
    if !crate::testing::log(level, message) {
        eprintln!("{level:?}: {message}");
    }
}

/// A value from the `[config]` table of this plugin's manifest.
pub fn config(key: &str) -> Option<String> {
    #[cfg(target_arch = "wasm32")]
    return wit::config(key);
    #[cfg(not(target_arch = "wasm32"))]
    crate::testing::config(key)
}

/// Reads the committed row of `entity` whose key fields equal `key`, for reference checks
/// ("does this customer group exist").
pub fn lookup(entity: &str, key: &[(&str, ValueRef<'_>)]) -> Result<Option<Record>, PluginError> {
    #[cfg(target_arch = "wasm32")]
    return wit::lookup(entity, &crate::convert::fields(key))
        .map(|row| row.map(crate::convert::record))
        .map_err(PluginError::new);
    #[cfg(not(target_arch = "wasm32"))]
    crate::testing::read(entity, key)
}
