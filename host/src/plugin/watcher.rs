//! Hot reload: watches the plugin directory and loads, replaces or unloads plugins as their
//! files change. The only user of `notify`.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context as _, Result};
use notify::RecursiveMode;
use notify_debouncer_full::{DebounceEventResult, Debouncer, RecommendedCache, new_debouncer};

use super::registry::Registry;

/// Watches a plugin directory while it lives.
pub struct Watcher {
    _debouncer: Debouncer<notify::RecommendedWatcher, RecommendedCache>,
}

impl std::fmt::Debug for Watcher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Watcher").finish_non_exhaustive()
    }
}

impl Watcher {
    /// How long changes settle before a reload: long enough to merge an editor's writes, short
    /// enough that a new version serves well within a second.
    pub const DEFAULT_DEBOUNCE: Duration = Duration::from_millis(50);

    /// Starts watching `dir`. Changes settle for `debounce` before they are acted on, so an
    /// editor's several writes make one reload. Loading runs on the watcher's own thread,
    /// never on a caller's.
    ///
    /// Write plugin files by rename (as `wharf plugin build` does): a half-written file fails
    /// to load, which is recorded, and the next event loads the finished one.
    pub fn start(registry: Arc<Registry>, dir: &Path, debounce: Duration) -> Result<Watcher> {
        let dir = dir.canonicalize().with_context(|| format!("no plugin directory {}", dir.display()))?;
        let mut debouncer = new_debouncer(debounce, None, move |result: DebounceEventResult| {
            let events = match result {
                Ok(events) => events,
                Err(errors) => {
                    for error in errors {
                        tracing::error!("plugin directory watch failed: {error}");
                    }
                    return;
                }
            };
            let files: BTreeSet<PathBuf> = events
                .iter()
                .flat_map(|event| event.paths.iter())
                .filter(|path| path.extension().is_some_and(|ext| ext == "wasm" || ext == "toml"))
                .map(|path| path.with_extension("wasm"))
                .collect();
            for file in files {
                if file.exists() {
                    // The registry records and logs a failure; the working version stays.
                    let _ = registry.load_file(&file);
                } else {
                    registry.unload_file(&file);
                }
            }
        })
        .context("cannot start the plugin directory watcher")?;
        debouncer
            .watch(&dir, RecursiveMode::NonRecursive)
            .with_context(|| format!("cannot watch plugin directory {}", dir.display()))?;
        Ok(Watcher { _debouncer: debouncer })
    }
}
