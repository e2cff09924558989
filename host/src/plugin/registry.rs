//! The registry: which plugin version serves each (entity, role). Swaps are atomic and never
//! interrupt a call (a call holds its own `Arc<Plugin>`), a version that fails to load never
//! replaces a working one, and the previous version of each plugin is kept for a restore.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::SystemTime;

use anyhow::{Context as _, Result, bail};
use arc_swap::ArcSwap;

use super::manifest::Role;
use super::runtime::{Plugin, Runtime};

/// The current plugins, and the history needed to restore or explain them.
#[derive(Debug)]
pub struct Registry {
    runtime: Runtime,
    /// Read on every call without a lock; replaced whole on every change.
    routes: ArcSwap<Routes>,
    /// Changes are made one at a time under this lock; compiling happens outside it.
    slots: Mutex<BTreeMap<PathBuf, Slot>>,
}

#[derive(Debug, Default)]
struct Routes {
    by_role: HashMap<(String, Role), Arc<Plugin>>,
    by_name: HashMap<String, Arc<Plugin>>,
}

/// One plugin file's versions.
#[derive(Debug, Default)]
struct Slot {
    current: Option<Arc<Plugin>>,
    previous: Option<Arc<Plugin>>,
    failure: Option<LoadFailure>,
}

/// Why the last attempt to load a plugin file failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoadFailure {
    /// When it was tried.
    pub at: SystemTime,
    /// The whole error, sentence by sentence.
    pub reason: String,
}

/// One plugin file as the registry sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PluginStatus {
    /// The `.wasm` file.
    pub file: PathBuf,
    /// `name@version` serving now, if any.
    pub current: Option<String>,
    /// `name@version` a restore would bring back.
    pub previous: Option<String>,
    /// The last failed load, if it came after the current version was loaded.
    pub failure: Option<LoadFailure>,
}

impl Registry {
    /// An empty registry loading through `runtime`.
    pub fn new(runtime: Runtime) -> Registry {
        Registry { runtime, routes: ArcSwap::default(), slots: Mutex::default() }
    }

    /// The runtime plugins are loaded with.
    pub fn runtime(&self) -> &Runtime {
        &self.runtime
    }

    /// The plugin serving `role` for `entity` now.
    pub fn get(&self, entity: &str, role: Role) -> Option<Arc<Plugin>> {
        self.routes.load().by_role.get(&(entity.to_owned(), role)).cloned()
    }

    /// The current version of the plugin called `name`.
    pub fn by_name(&self, name: &str) -> Option<Arc<Plugin>> {
        self.routes.load().by_name.get(name).cloned()
    }

    /// Every action callers can reach now (those with an `[action.<name>]` table in their
    /// plugin's manifest), with the plugin serving it, ordered by plugin and action name. The
    /// binding is `plugin.manifest().bindings[action]`.
    pub fn actions(&self) -> Vec<(Arc<Plugin>, String)> {
        let routes = self.routes.load();
        let mut plugins: Vec<&Arc<Plugin>> = routes.by_name.values().collect();
        plugins.sort_by(|a, b| a.manifest().name.cmp(&b.manifest().name));
        plugins
            .into_iter()
            .flat_map(|plugin| plugin.manifest().bindings.keys().map(move |action| (plugin.clone(), action.clone())))
            .collect()
    }

    /// Loads every `.wasm` in `dir`; a file that fails is recorded and the others go on.
    pub fn load_dir(&self, dir: &Path) -> Result<Vec<(PathBuf, Result<Arc<Plugin>>)>> {
        // Canonical, so the files named here match the paths the watcher reports.
        let dir = dir.canonicalize().with_context(|| format!("no plugin directory {}", dir.display()))?;
        let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
            .with_context(|| format!("cannot read plugin directory {}", dir.display()))?
            .filter_map(|entry| entry.ok().map(|entry| entry.path()))
            .filter(|path| path.extension().is_some_and(|ext| ext == "wasm"))
            .collect();
        files.sort();
        Ok(files
            .into_iter()
            .map(|file| {
                let result = self.load_file(&file);
                (file, result)
            })
            .collect())
    }

    /// Compiles and checks `file`, then makes it the current version of its slot. On failure
    /// the working version stays and the failure is recorded.
    pub fn load_file(&self, file: &Path) -> Result<Arc<Plugin>> {
        let loaded = self.runtime.load(file).map(Arc::new);
        let mut slots = self.lock();
        let result = loaded.and_then(|plugin| {
            check_conflicts(&slots, file, &plugin)?;
            Ok(plugin)
        });
        let slot = slots.entry(file.to_owned()).or_default();
        match result {
            Ok(plugin) => {
                tracing::info!(plugin = plugin.id(), file = %file.display(), "plugin loaded");
                slot.previous = slot.current.replace(plugin.clone());
                slot.failure = None;
                self.publish(&slots);
                Ok(plugin)
            }
            Err(error) => {
                let reason = format!("{error:#}");
                tracing::error!(file = %file.display(), "plugin not loaded; the working version stays: {reason}");
                slot.failure = Some(LoadFailure { at: SystemTime::now(), reason });
                Err(error)
            }
        }
    }

    /// Unloads the plugin of `file` (it was deleted); its version is kept for a restore.
    pub fn unload_file(&self, file: &Path) {
        let mut slots = self.lock();
        if let Some(slot) = slots.get_mut(file)
            && let Some(plugin) = slot.current.take()
        {
            tracing::info!(plugin = plugin.id(), file = %file.display(), "plugin unloaded");
            slot.previous = Some(plugin);
            self.publish(&slots);
        }
    }

    /// Brings back the previous version of the plugin called `name`, keeping the current one
    /// as the new previous (so a second restore undoes the first).
    pub fn restore(&self, name: &str) -> Result<Arc<Plugin>> {
        let mut slots = self.lock();
        let Some(file) = slots.iter().find_map(|(file, slot)| {
            let named = |plugin: &Option<Arc<Plugin>>| plugin.as_ref().is_some_and(|p| p.manifest().name == name);
            (named(&slot.current) || named(&slot.previous)).then(|| file.clone())
        }) else {
            bail!("no plugin called {name}");
        };
        let previous = slots.get(&file).and_then(|slot| slot.previous.clone());
        let Some(previous) = previous else { bail!("plugin {name} has no previous version") };
        check_conflicts(&slots, &file, &previous)?;
        let slot = slots.entry(file).or_default();
        slot.previous = slot.current.replace(previous.clone());
        tracing::info!(plugin = previous.id(), "previous plugin version restored");
        self.publish(&slots);
        Ok(previous)
    }

    /// Every plugin file seen, with its versions and last failure.
    pub fn status(&self) -> Vec<PluginStatus> {
        let id = |plugin: &Option<Arc<Plugin>>| plugin.as_ref().map(|p| p.id().to_owned());
        self.lock()
            .iter()
            .map(|(file, slot)| PluginStatus {
                file: file.clone(),
                current: id(&slot.current),
                previous: id(&slot.previous),
                failure: slot.failure.clone(),
            })
            .collect()
    }

    fn publish(&self, slots: &BTreeMap<PathBuf, Slot>) {
        let mut routes = Routes::default();
        for plugin in slots.values().filter_map(|slot| slot.current.as_ref()) {
            let manifest = plugin.manifest();
            for role in &manifest.roles {
                for entity in &manifest.entities {
                    routes.by_role.insert((entity.clone(), *role), plugin.clone());
                }
            }
            routes.by_name.insert(manifest.name.clone(), plugin.clone());
        }
        self.routes.store(Arc::new(routes));
    }

    fn lock(&self) -> MutexGuard<'_, BTreeMap<PathBuf, Slot>> {
        // Every change is made on a copy of the routes and published whole, so a panic while
        // the lock was held cannot have left the routes half-changed.
        self.slots.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// Refuses a plugin whose name, (entity, role) pairs or custom-service operations another
/// file's plugin already has. (Two bound actions cannot collide: an action is bound to one of
/// its plugin's entities, and one action plugin serves an entity.)
fn check_conflicts(slots: &BTreeMap<PathBuf, Slot>, file: &Path, plugin: &Plugin) -> Result<()> {
    let manifest = plugin.manifest();
    for (other_file, slot) in slots.iter().filter(|(other, _)| *other != file) {
        let Some(other) = &slot.current else { continue };
        let theirs = other.manifest();
        if theirs.name == manifest.name {
            bail!("plugin name {} is already taken by {}", manifest.name, other_file.display());
        }
        for role in manifest.roles.iter().filter(|role| theirs.roles.contains(role)) {
            if let Some(entity) = manifest.entities.iter().find(|entity| theirs.entities.contains(entity)) {
                bail!("the {role} of {entity} is already served by {} ({})", other.id(), other_file.display());
            }
        }
        if let Some(operation) = manifest
            .service_operations()
            .find(|ours| theirs.service_operations().any(|theirs| theirs.eq_ignore_ascii_case(ours)))
        {
            bail!(
                "the custom service operation {operation} is already served by {} ({})",
                other.id(),
                other_file.display()
            );
        }
    }
    Ok(())
}
