//! The registry: which plugin version serves each (entity, role). Swaps are atomic and never
//! interrupt a call (a call holds its own `Arc<Plugin>`), a version that fails to load or to
//! start never replaces a working one, and the previous version of each plugin is kept for a
//! restore.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant, SystemTime};

use anyhow::{Context as _, Result, bail};
use arc_swap::ArcSwap;

use super::manifest::{Manifest, Role};
use super::observe::CallCounts;
use super::outbound::OutboundCount;
use super::runtime::{CallError, CallErrorKind, Plugin, Runtime};

/// How long a new version's start check waits for a free call slot. Under load the plugin's
/// own calls may hold its whole share of the pool for a while; a good version must not be
/// refused as "busy" for that.
const START_CHECK_PATIENCE: Duration = Duration::from_secs(10);

/// The current plugins, and the history needed to restore or explain them.
#[derive(Debug)]
pub struct Registry {
    runtime: Runtime,
    /// Read on every call without a lock; replaced whole on every change.
    routes: ArcSwap<Routes>,
    /// Changes are made one at a time under this lock; compiling happens outside it.
    slots: Mutex<BTreeMap<PathBuf, Slot>>,
    /// One load at a time, from reading the files to the swap: two loads of one file racing
    /// (the watcher's and a rescan's) could otherwise swap the older version in last.
    loading: Mutex<()>,
    /// Counts the changes to the routes, so that whoever reports what serves (a replica's
    /// entry in a shared database) hears of a swap when it happens instead of polling.
    changes: tokio::sync::watch::Sender<u64>,
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
    /// When `current` began serving.
    since: Option<SystemTime>,
    previous: Option<Arc<Plugin>>,
    /// The last refusal, cleared when a version loads.
    failure: Option<LoadFailure>,
    /// The last refusal, kept after a later version loads.
    last_refusal: Option<LoadFailure>,
    /// The hash of the files as last read, whatever became of them.
    seen: Option<blake3::Hash>,
}

/// Why a version of a plugin file was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoadFailure {
    /// When it was tried.
    pub at: SystemTime,
    /// `name@version` the refused files declared, when their manifest could be read.
    pub version: Option<String>,
    /// The whole error, sentence by sentence.
    pub reason: String,
}

/// One plugin file as the registry sees it.
#[derive(Debug, Clone, PartialEq)]
pub struct PluginStatus {
    /// The `.wasm` file.
    pub file: PathBuf,
    /// `name@version` serving now, if any.
    pub current: Option<String>,
    /// BLAKE3 of the current version's component.
    pub content_hash: Option<String>,
    /// When the current version began serving.
    pub since: Option<SystemTime>,
    /// `name@version` a restore would bring back.
    pub previous: Option<String>,
    /// The current version's calls since it was loaded.
    pub calls: Option<CallCounts>,
    /// The previous version's calls while it was loaded.
    pub previous_calls: Option<CallCounts>,
    /// The last refusal, if it came after the current version was loaded: why the file's
    /// newest content does not serve.
    pub failure: Option<LoadFailure>,
    /// The last refusal, even one a later version has since replaced.
    pub last_refusal: Option<LoadFailure>,
    /// The current version's calls to web services since the server started (all versions of
    /// the plugin together), one entry per host.
    pub outbound: Vec<OutboundCount>,
}

impl Registry {
    /// An empty registry loading through `runtime`.
    pub fn new(runtime: Runtime) -> Registry {
        Registry {
            runtime,
            routes: ArcSwap::default(),
            slots: Mutex::default(),
            loading: Mutex::default(),
            changes: tokio::sync::watch::Sender::new(0),
        }
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

    /// Every plugin serving now, in name order.
    pub fn serving(&self) -> Vec<Arc<Plugin>> {
        let mut plugins: Vec<Arc<Plugin>> = self.routes.load().by_name.values().cloned().collect();
        plugins.sort_by(|a, b| a.manifest().name.cmp(&b.manifest().name));
        plugins
    }

    /// Changes whenever the plugins serving change (a version loads, is unloaded or is
    /// restored); refusals, which change nothing serving, do not count.
    pub fn changes(&self) -> tokio::sync::watch::Receiver<u64> {
        self.changes.subscribe()
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
        Ok(wasm_files(&canonical(dir)?)?
            .into_iter()
            .map(|file| {
                let result = self.load_file(&file);
                (file, result)
            })
            .collect())
    }

    /// Brings the registry in step with `dir`: loads each `.wasm` whose files changed since
    /// the registry last read them (whether that version loaded or was refused; the others
    /// are only read and hashed) and unloads each plugin whose `.wasm` is gone. For when
    /// changes may have been missed: before a watch began, or when the watch lost events.
    pub fn sync_dir(&self, dir: &Path) -> Result<()> {
        let dir = canonical(dir)?;
        let files = wasm_files(&dir)?;
        let gone: Vec<PathBuf> =
            self.lock().keys().filter(|file| file.parent() == Some(&dir) && !files.contains(file)).cloned().collect();
        for file in gone {
            self.unload_file(&file);
        }
        for file in files {
            let _loading = self.loading.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
            let read = PluginFiles::read(&file);
            let seen = |slot: &Slot| read.as_ref().is_ok_and(|read| slot.seen == Some(read.hash));
            if self.lock().get(&file).is_some_and(seen) {
                continue;
            }
            // A refusal is recorded and logged; the other files go on.
            let _ = self.load(&file, read);
        }
        Ok(())
    }

    /// Reads, compiles and checks `file` with its manifest, runs its start (instantiation
    /// under the manifest's limits, constructors included), then makes it the current version
    /// of its slot. A version identical to the current one changes nothing. A refusal is
    /// recorded with its reason, and the current version, if any, goes on serving.
    pub fn load_file(&self, file: &Path) -> Result<Arc<Plugin>> {
        let _loading = self.loading.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        self.load(file, PluginFiles::read(file))
    }

    /// [`Registry::load_file`] on the files as `read`; the caller holds `loading`.
    fn load(&self, file: &Path, read: Result<PluginFiles>) -> Result<Arc<Plugin>> {
        let seen = read.as_ref().ok().map(|read| read.hash);
        let read = read.and_then(|read| Ok((read.manifest(file, &self.runtime)?, read.wasm)));
        let version = read.as_ref().ok().map(|(manifest, _)| manifest.id());
        let prepared = read.and_then(|(manifest, wasm)| self.prepare(file, manifest, &wasm));
        let mut slots = self.lock();
        let result = prepared.and_then(|prepared| match prepared {
            Prepared::Unchanged(plugin) => Ok((plugin, false)),
            Prepared::New(plugin) => check_conflicts(&slots, file, &plugin).map(|()| (plugin, true)),
        });
        let slot = slots.entry(file.to_owned()).or_default();
        slot.seen = seen;
        match result {
            Ok((plugin, false)) => {
                tracing::debug!(plugin = plugin.id(), file = %file.display(), "plugin unchanged");
                // Whatever was refused since, the files hold the serving version again.
                slot.failure = None;
                Ok(plugin)
            }
            Ok((plugin, true)) => {
                if slot.current.is_some() {
                    let name = plugin.manifest().name.clone();
                    ::metrics::counter!(crate::metrics::PLUGIN_RELOADS, "plugin" => name).increment(1);
                }
                match &slot.current {
                    Some(old) => tracing::info!(
                        plugin = plugin.id(),
                        replaced = old.id(),
                        file = %file.display(),
                        "plugin {} now serves in place of {}",
                        plugin.id(),
                        old.id()
                    ),
                    None => tracing::info!(plugin = plugin.id(), file = %file.display(), "plugin loaded"),
                }
                slot.previous = slot.current.replace(plugin.clone()).or(slot.previous.take());
                slot.since = Some(SystemTime::now());
                slot.failure = None;
                self.publish(&slots);
                Ok(plugin)
            }
            Err(error) => {
                let reason = format!("{error:#}");
                let refused = version.as_deref().unwrap_or("the new version");
                // The manifest's name when it could be read, else the file's (both the
                // operator's own names).
                let name = match version.as_deref().and_then(|version| version.rsplit_once('@')) {
                    Some((name, _)) => name.to_owned(),
                    None => file.file_stem().map_or_else(String::new, |stem| stem.to_string_lossy().into_owned()),
                };
                ::metrics::counter!(crate::metrics::PLUGIN_LOAD_FAILURES, "plugin" => name).increment(1);
                match &slot.current {
                    Some(current) => tracing::warn!(
                        file = %file.display(),
                        serving = current.id(),
                        "{refused} was refused; {} goes on serving: {reason}",
                        current.id()
                    ),
                    None => tracing::error!(
                        file = %file.display(),
                        "{refused} was refused and nothing serves from this file: {reason}"
                    ),
                }
                let failure = LoadFailure { at: SystemTime::now(), version, reason };
                slot.failure = Some(failure.clone());
                slot.last_refusal = Some(failure);
                Err(error)
            }
        }
    }

    /// The plugin in `file` (`wasm` with `manifest`), ready to swap in, or the current version
    /// when the files hold it already.
    fn prepare(&self, file: &Path, manifest: Manifest, wasm: &[u8]) -> Result<Prepared> {
        let current = self.lock().get(file).and_then(|slot| slot.current.clone());
        if let Some(current) = current
            && current.content_hash() == blake3::hash(wasm).to_hex().as_str()
            && *current.manifest() == manifest
        {
            return Ok(Prepared::Unchanged(current));
        }
        let plugin = self
            .runtime
            .load_bytes(wasm, manifest)
            .with_context(|| format!("cannot load plugin {}", file.display()))?;
        start_check(&plugin).with_context(|| format!("plugin {} cannot start within its limits", file.display()))?;
        Ok(Prepared::New(Arc::new(plugin)))
    }

    /// Unloads the plugin of `file` (its `.wasm` was removed); its version is kept for a
    /// restore.
    pub fn unload_file(&self, file: &Path) {
        let mut slots = self.lock();
        let Some(slot) = slots.get_mut(file) else { return };
        slot.seen = None;
        if let Some(plugin) = slot.current.take() {
            tracing::info!(plugin = plugin.id(), file = %file.display(), "plugin unloaded: its file was removed");
            slot.previous = Some(plugin);
            slot.since = None;
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
        slot.since = Some(SystemTime::now());
        tracing::info!(plugin = previous.id(), "previous plugin version restored");
        self.publish(&slots);
        Ok(previous)
    }

    /// A registry of the versions serving now, except that `plugin` serves in place of the
    /// version with its name (or beside the others, when none has it): what a replay, or a
    /// canary's share of executions, runs with. It shares nothing with this one but the
    /// runtime: later changes to either do not reach the other.
    pub fn with_version(&self, plugin: Arc<Plugin>) -> Result<Registry> {
        let mut slots: BTreeMap<PathBuf, Slot> = self
            .lock()
            .iter()
            .map(|(file, slot)| {
                (file.clone(), Slot { current: slot.current.clone(), since: slot.since, ..Slot::default() })
            })
            .collect();
        let name = &plugin.manifest().name;
        let serving = slots.iter().find(|(_, slot)| slot.current.as_ref().is_some_and(|p| p.manifest().name == *name));
        let file = serving.map_or_else(|| PathBuf::from(format!("{name}.wasm")), |(file, _)| file.clone());
        check_conflicts(&slots, &file, &plugin)?;
        let slot = slots.entry(file).or_default();
        slot.previous = slot.current.replace(plugin);
        let registry = Registry::new(self.runtime.clone());
        registry.publish(&slots);
        *registry.lock() = slots;
        Ok(registry)
    }

    /// Every plugin file seen, with its versions and last failure.
    pub fn status(&self) -> Vec<PluginStatus> {
        let id = |plugin: &Option<Arc<Plugin>>| plugin.as_ref().map(|p| p.id().to_owned());
        self.lock()
            .iter()
            .map(|(file, slot)| PluginStatus {
                file: file.clone(),
                current: id(&slot.current),
                content_hash: slot.current.as_ref().map(|plugin| plugin.content_hash().to_owned()),
                since: slot.since,
                previous: id(&slot.previous),
                calls: slot.current.as_ref().map(|plugin| plugin.calls()),
                previous_calls: slot.previous.as_ref().map(|plugin| plugin.calls()),
                failure: slot.failure.clone(),
                last_refusal: slot.last_refusal.clone(),
                outbound: slot
                    .current
                    .as_ref()
                    .map(|plugin| self.runtime.outbound().counts(&plugin.manifest().name))
                    .unwrap_or_default(),
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
        self.changes.send_modify(|count| *count += 1);
    }

    fn lock(&self) -> MutexGuard<'_, BTreeMap<PathBuf, Slot>> {
        // Every change is made on a copy of the routes and published whole, so a panic while
        // the lock was held cannot have left the routes half-changed.
        self.slots.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// A plugin's two files as read from disk.
struct PluginFiles {
    manifest: String,
    wasm: Vec<u8>,
    /// The `.minisig` beside the component, if any.
    signature: Option<String>,
    /// Of both, to tell whether either changed.
    hash: blake3::Hash,
}

impl PluginFiles {
    /// The `.wasm` file and the manifest beside it.
    fn read(file: &Path) -> Result<PluginFiles> {
        let manifest_path = file.with_extension("toml");
        let manifest = std::fs::read_to_string(&manifest_path)
            .with_context(|| format!("cannot read manifest {}", manifest_path.display()))?;
        let wasm = std::fs::read(file).with_context(|| format!("cannot read plugin {}", file.display()))?;
        let signature = super::signature::read_signature(file)?;
        let hash = blake3::Hasher::new()
            .update(&(manifest.len() as u64).to_le_bytes())
            .update(manifest.as_bytes())
            .update(&wasm)
            .update(signature.as_deref().unwrap_or_default().as_bytes())
            .finalize();
        Ok(PluginFiles { manifest, wasm, signature, hash })
    }

    /// The manifest, parsed and checked, of the `.wasm` `file`, once the files' signature
    /// passes `runtime`'s check.
    fn manifest(&self, file: &Path, runtime: &Runtime) -> Result<Manifest> {
        runtime
            .check_signature(file, &self.wasm, &self.manifest, self.signature.as_deref())
            .with_context(|| format!("cannot load plugin {}", file.display()))?;
        Manifest::parse(&self.manifest)
            .with_context(|| format!("invalid manifest {}", file.with_extension("toml").display()))
    }
}

/// What a load found in a plugin file.
enum Prepared {
    /// The version serving already.
    Unchanged(Arc<Plugin>),
    /// A new version, compiled and started.
    New(Arc<Plugin>),
}

/// `dir` as the registry names it: canonical, so the files named here match the paths the
/// watcher reports.
fn canonical(dir: &Path) -> Result<PathBuf> {
    dir.canonicalize().with_context(|| format!("no plugin directory {}", dir.display()))
}

/// The `.wasm` files in `dir`, in name order.
fn wasm_files(dir: &Path) -> Result<Vec<PathBuf>> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .with_context(|| format!("cannot read plugin directory {}", dir.display()))?
        .filter_map(|entry| entry.ok().map(|entry| entry.path()))
        .filter(|path| path.extension().is_some_and(|ext| ext == "wasm"))
        .collect();
    files.sort();
    Ok(files)
}

/// Starts `plugin` once in a fresh store under its manifest's limits: its memories and tables
/// are made and its start code runs, so a version that cannot start is refused here instead
/// of failing every call. Waits out a busy pool, up to [`START_CHECK_PATIENCE`].
fn start_check(plugin: &Plugin) -> Result<(), CallError> {
    let deadline = Instant::now() + START_CHECK_PATIENCE;
    loop {
        match plugin.instantiate() {
            Err(CallError { kind: CallErrorKind::Busy { .. }, .. }) if Instant::now() < deadline => continue,
            result => return result,
        }
    }
}

/// Refuses a plugin whose name, (entity, role) pairs, custom-service operations or complex
/// types (under the same name, with other members) another file's plugin already has. (Two
/// bound actions cannot collide: an action is bound to one of its plugin's entities, and one
/// action plugin serves an entity.)
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
        // `$metadata` and discovery give one type per name.
        let declared = theirs.complex_types();
        if let Some(ours) = manifest
            .complex_types()
            .into_iter()
            .find(|ours| declared.iter().any(|theirs| theirs.name == ours.name && **theirs != **ours))
        {
            bail!(
                "type {} is already declared with other members by {} ({})",
                ours.name,
                other.id(),
                other_file.display()
            );
        }
    }
    Ok(())
}
