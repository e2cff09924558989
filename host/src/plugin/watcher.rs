//! Hot reload: watches the plugin directory and loads, replaces or unloads plugins as their
//! files change. One of the two users of `notify`, with `jobs::folders`.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context as _, Result};
use notify::RecursiveMode;
use notify::event::{AccessKind, AccessMode, EventKind};
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

    /// Starts watching `dir`, then brings the registry in step with it (so a change made
    /// before the watch began is not missed). Changes settle for `debounce` before they are
    /// acted on, so an editor's several writes make one reload. Loading runs on the watcher's
    /// own thread, never on a caller's: each new or changed version is compiled, checked
    /// against its manifest and started once under its limits before it is swapped in (see
    /// [`Registry::load_file`]); a removed `.wasm` is unloaded.
    ///
    /// Write plugin files by rename (as `wharf plugin build` does), a `.wasm` and its `.toml`
    /// within the debounce of each other: the pair is read when the first of them has settled,
    /// so renames close together are read together. A half-written file fails to load, which
    /// is recorded, and the next event loads the finished one.
    pub fn start(registry: Arc<Registry>, dir: &Path, debounce: Duration) -> Result<Watcher> {
        let dir = dir.canonicalize().with_context(|| format!("no plugin directory {}", dir.display()))?;
        let on_change = {
            let (registry, dir) = (registry.clone(), dir.clone());
            move |result: DebounceEventResult| {
                let events = match result {
                    Ok(events) => events,
                    Err(errors) => {
                        for error in errors {
                            tracing::error!("plugin directory watch failed: {error}");
                        }
                        // Events may have been lost with the error.
                        sync(&registry, &dir);
                        return;
                    }
                };
                if events.iter().any(|event| event.need_rescan()) {
                    tracing::warn!("the plugin directory watch lost events; reading the directory again");
                    sync(&registry, &dir);
                    return;
                }
                let files: BTreeSet<PathBuf> = events
                    .iter()
                    .filter(|event| changes_content(&event.kind))
                    .flat_map(|event| event.paths.iter())
                    .filter_map(|path| plugin_file(path))
                    .collect();
                for file in files {
                    if file.exists() {
                        // The registry records and logs a refusal.
                        let _ = registry.load_file(&file);
                    } else {
                        registry.unload_file(&file);
                    }
                }
            }
        };
        let mut debouncer =
            new_debouncer(debounce, None, on_change).context("cannot start the plugin directory watcher")?;
        debouncer
            .watch(&dir, RecursiveMode::NonRecursive)
            .with_context(|| format!("cannot watch plugin directory {}", dir.display()))?;
        registry.sync_dir(&dir)?;
        Ok(Watcher { _debouncer: debouncer })
    }
}

/// Whether an event of `kind` may have changed a file's content. Opening and reading are not
/// changes: the loads themselves open the files, and counting those would reload every
/// plugin again one debounce after each load, for ever.
fn changes_content(kind: &EventKind) -> bool {
    match kind {
        // A writer closing its file: the last sign of an in-place copy.
        EventKind::Access(AccessKind::Close(AccessMode::Write)) => true,
        EventKind::Access(_) | EventKind::Other => false,
        EventKind::Any | EventKind::Create(_) | EventKind::Modify(_) | EventKind::Remove(_) => true,
    }
}

/// Reads the whole directory again after the watch may have lost events.
fn sync(registry: &Registry, dir: &Path) {
    if let Err(error) = registry.sync_dir(dir) {
        tracing::error!("cannot read the plugin directory again: {error:#}");
    }
}

/// The component a changed file belongs to: itself, the `.wasm` of a manifest (`.toml`) or of a
/// signature (`.wasm.minisig`); `None` for any other file.
fn plugin_file(path: &Path) -> Option<PathBuf> {
    match path.extension()?.to_str()? {
        "wasm" | "toml" => Some(path.with_extension("wasm")),
        "minisig" => Some(path.with_extension("")).filter(|wasm| wasm.extension().is_some_and(|ext| ext == "wasm")),
        _ => None,
    }
}
