//! Watching directories an operator edits while Wharf serves: changes settle for a debounce,
//! then arrive together as the files they touched. The plugin directory and the definition
//! directories (`entities/`, `projects/`, `jobs/`) are watched through it; besides
//! `jobs::folders`, whose inbound folders need raw rename events, it is the one user of
//! `notify`.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context as _, Result};
use notify::RecursiveMode;
use notify::event::{AccessKind, AccessMode, EventKind};
use notify_debouncer_full::{DebounceEventResult, Debouncer, RecommendedCache, new_debouncer};

/// What a watcher saw once changes settled.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    /// These files were created, written, renamed or removed.
    Files(BTreeSet<PathBuf>),
    /// The watch lost events (or failed): read the directories again.
    Lost,
}

/// Watches directories while it lives, calling its handler on the watcher's own thread.
pub struct Watcher {
    _debouncer: Debouncer<notify::RecommendedWatcher, RecommendedCache>,
}

impl std::fmt::Debug for Watcher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Watcher").finish_non_exhaustive()
    }
}

impl Watcher {
    /// How long changes settle before they are acted on: long enough to merge an editor's
    /// writes, short enough that a change serves well within a second.
    pub const DEFAULT_DEBOUNCE: Duration = Duration::from_millis(50);

    /// Starts watching each of `dirs` (not their subdirectories). Changes settle for
    /// `debounce`, so an editor's several writes make one call of `on_change`, which runs on
    /// the watcher's thread, never on a caller's; `what` names the directories in log lines.
    /// Opening and reading a file are not changes, so a handler that reads the files it is
    /// told about is not called again for having read them.
    pub fn start(
        what: &'static str,
        dirs: &[PathBuf],
        debounce: Duration,
        mut on_change: impl FnMut(Change) + Send + 'static,
    ) -> Result<Watcher> {
        let handler = move |result: DebounceEventResult| {
            let events = match result {
                Ok(events) => events,
                Err(errors) => {
                    for error in errors {
                        tracing::error!("the watch of the {what} failed: {error}");
                    }
                    // Events may have been lost with the error.
                    on_change(Change::Lost);
                    return;
                }
            };
            if events.iter().any(|event| event.need_rescan()) {
                tracing::warn!("the watch of the {what} lost events; reading them again");
                on_change(Change::Lost);
                return;
            }
            let files: BTreeSet<PathBuf> = events
                .iter()
                .filter(|event| changes_content(&event.kind))
                .flat_map(|event| event.paths.iter().cloned())
                .collect();
            if !files.is_empty() {
                on_change(Change::Files(files));
            }
        };
        let mut debouncer =
            new_debouncer(debounce, None, handler).with_context(|| format!("cannot start watching the {what}"))?;
        for dir in dirs {
            debouncer
                .watch(dir, RecursiveMode::NonRecursive)
                .with_context(|| format!("cannot watch {}", dir.display()))?;
        }
        Ok(Watcher { _debouncer: debouncer })
    }
}

/// Whether an event of `kind` may have changed a file's content. Opening and reading are not
/// changes: the reloads themselves open the files, and counting those would reload again one
/// debounce after each reload, for ever.
fn changes_content(kind: &EventKind) -> bool {
    match kind {
        // A writer closing its file: the last sign of an in-place copy.
        EventKind::Access(AccessKind::Close(AccessMode::Write)) => true,
        EventKind::Access(_) | EventKind::Other => false,
        EventKind::Any | EventKind::Create(_) | EventKind::Modify(_) | EventKind::Remove(_) => true,
    }
}

/// Whether `path` is a definition file an operator keeps: `*.toml`, not hidden (editors and
/// writers keep unfinished files under hidden names).
pub fn is_definition_file(path: &Path) -> bool {
    let visible = path.file_name().and_then(|name| name.to_str()).is_some_and(|name| !name.starts_with('.'));
    visible && path.extension().is_some_and(|extension| extension == "toml")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_visible_toml_files_are_definitions() {
        assert!(is_definition_file(Path::new("jobs/customers.toml")));
        assert!(!is_definition_file(Path::new("jobs/.customers.toml")));
        assert!(!is_definition_file(Path::new("jobs/customers.toml.swp")));
        assert!(!is_definition_file(Path::new("jobs/customers")));
    }
}
