//! Hot reload: watches the plugin directory (through [`crate::watcher`]) and loads, replaces
//! or unloads plugins as their files change.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context as _, Result};

use super::registry::Registry;
use crate::watcher::Change;

/// Watches a plugin directory while it lives.
#[derive(Debug)]
pub struct Watcher {
    _watcher: crate::watcher::Watcher,
}

impl Watcher {
    /// How long changes settle before a reload: long enough to merge an editor's writes, short
    /// enough that a new version serves well within a second.
    pub const DEFAULT_DEBOUNCE: Duration = crate::watcher::Watcher::DEFAULT_DEBOUNCE;

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
            move |change: Change| {
                let files: BTreeSet<PathBuf> = match change {
                    Change::Files(files) => files.iter().filter_map(|path| plugin_file(path)).collect(),
                    Change::Lost => {
                        sync(&registry, &dir);
                        return;
                    }
                };
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
        let watcher =
            crate::watcher::Watcher::start("plugin directory", std::slice::from_ref(&dir), debounce, on_change)?;
        registry.sync_dir(&dir)?;
        Ok(Watcher { _watcher: watcher })
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
