//! A deployment: the directory an operator edits, holding `wharf.toml`, entity definitions,
//! data projects and plugins, and the data directory Wharf keeps its store in.
//!
//! ```text
//! deployment/
//!   wharf.toml        settings (all optional)
//!   entities/*.toml   one entity per file
//!   projects/*.toml   one data project per file
//!   jobs/*.toml       recurring jobs (for `wharf serve`)
//!   plugins/          *.wasm components with their *.toml manifests
//!   stylesheets/      XSLT stylesheets projects apply (run by the built-in XSLT transform)
//!   data/             the store, the compiled-plugin cache, execution files (created)
//! ```

mod definitions;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use anyhow::{Context as _, Result};
use arc_swap::ArcSwap;
use serde::Deserialize;

pub use definitions::{DefinitionKind, DefinitionState, Definitions, Serving};
pub(crate) use definitions::{Outcome, label, read_files, stem};

use crate::backend::Backend;
use crate::entity::Catalog;
use crate::pipeline::stylesheet::{XSLT_BUILD, XSLT_PLUGIN};
use crate::pipeline::{Pipeline, Projects};
use crate::plugin::{
    LoadLimits, Outbound, OutboundSettings, Registry, Runtime, RuntimeConfig, SecretSource, Signing, SigningSettings,
    Watcher,
};
use crate::releases::QuarantineSettings;
use crate::store::Store;

/// The file of settings at a deployment's root.
pub const SETTINGS_FILE: &str = "wharf.toml";

/// `wharf.toml`. Relative paths are relative to the deployment directory.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Settings {
    /// Entity definitions.
    pub entities: PathBuf,
    /// Data projects.
    pub projects: PathBuf,
    /// Recurring jobs.
    pub jobs: PathBuf,
    /// Plugin components and manifests.
    pub plugins: PathBuf,
    /// The store, the compiled-plugin cache and execution files.
    pub data: PathBuf,
    /// The compiled-plugin cache, when not `data/cache` (several deployments may share one).
    pub cache: Option<PathBuf>,
    /// Where built-in plugins (the XSLT transform) are found when the plugin directory has no
    /// copy of its own: default the user's plugin cache, `~/.cache/wharf/plugins`, where
    /// `wharf plugin build plugins/xslt-transform --out ~/.cache/wharf/plugins` puts it.
    pub builtins: Option<PathBuf>,
    /// The company rows get when neither the command nor the project names one.
    pub default_company: Option<String>,
    /// Limits on loading a plugin: its size, and the time and memory compiling it may take
    /// (`[loading]`; see [`LoadLimits`] for the defaults).
    pub loading: LoadLimits,
    /// Plugin calls that may run at once, all plugins together (the instance pool's size).
    pub max_plugin_calls: u32,
    /// Plugin calls that may run at once for one plugin: its share of the pool. A call past
    /// it waits up to a second, then fails as busy (503 with `Retry-After` over HTTP).
    pub max_calls_per_plugin: u32,
    /// What plugins' calls to web services may reach beyond their manifests' own rules:
    /// trusted CAs, networks opened, and per plugin narrower rules and granted secrets
    /// (`[outbound]`; see [`OutboundSettings`]).
    pub outbound: OutboundSettings,
    /// Where secrets' values come from, by name (`[secrets]`: `name = { env = "VAR" }` or
    /// `{ file = "path" }`). Plugins name secrets; they never see their values.
    pub secrets: BTreeMap<String, SecretSource>,
    /// The keys plugins are signed with, and whether every plugin must be (`[signing]`; see
    /// [`SigningSettings`]).
    pub signing: SigningSettings,
    /// When a serving plugin version whose traps or limit hits spike is taken out of service
    /// and the previous version restored (`[quarantine]`; see [`QuarantineSettings`]).
    pub quarantine: QuarantineSettings,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            entities: "entities".into(),
            projects: "projects".into(),
            jobs: "jobs".into(),
            plugins: "plugins".into(),
            data: "data".into(),
            cache: None,
            builtins: None,
            default_company: None,
            loading: LoadLimits::default(),
            max_plugin_calls: RuntimeConfig::default().max_concurrent_calls,
            max_calls_per_plugin: RuntimeConfig::default().max_calls_per_plugin,
            outbound: OutboundSettings::default(),
            secrets: BTreeMap::new(),
            signing: SigningSettings::default(),
            quarantine: QuarantineSettings::default(),
        }
    }
}

impl Settings {
    /// The settings of the deployment in `dir`; `data` overrides its data directory.
    pub fn load(dir: &Path, data: Option<&Path>) -> Result<Settings> {
        let settings_path = dir.join(SETTINGS_FILE);
        let mut settings: Settings = match std::fs::read_to_string(&settings_path) {
            Ok(text) => toml::from_str(&text).with_context(|| format!("invalid {}", settings_path.display()))?,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound && dir.is_dir() => Settings::default(),
            Err(error) => return Err(error).with_context(|| format!("cannot read {}", settings_path.display())),
        };
        if let Some(data) = data {
            settings.data = data.to_owned();
        }
        Ok(settings)
    }

    /// The data directory of the deployment in `dir`.
    pub fn data_dir(&self, dir: &Path) -> PathBuf {
        within(dir, &self.data)
    }

    /// The plugin directory of the deployment in `dir`.
    pub fn plugins_dir(&self, dir: &Path) -> PathBuf {
        within(dir, &self.plugins)
    }

    /// The compiled-plugin cache of the deployment in `dir`.
    pub fn cache_dir(&self, dir: &Path) -> PathBuf {
        self.cache.as_deref().map_or_else(|| self.data_dir(dir).join("cache"), |cache| within(dir, cache))
    }

    /// Where the deployment in `dir` finds built-in plugins its plugin directory lacks.
    pub fn builtins_dir(&self, dir: &Path) -> Option<PathBuf> {
        self.builtins.as_deref().map(|builtins| within(dir, builtins)).or_else(user_plugin_cache)
    }
}

/// The user's plugin cache: `$XDG_CACHE_HOME/wharf/plugins`, else `~/.cache/wharf/plugins`;
/// `None` without either. The command line keeps compiled plugins there, and built-in plugins
/// are built into it once, out of the way of the commands that use them.
pub fn user_plugin_cache() -> Option<PathBuf> {
    let absolute = |name: &str| std::env::var_os(name).map(PathBuf::from).filter(|path| path.is_absolute());
    let cache = absolute("XDG_CACHE_HOME").or_else(|| absolute("HOME").map(|home| home.join(".cache")))?;
    Some(cache.join("wharf").join("plugins"))
}

/// An opened deployment: its definitions checked, its plugins loaded, its store ready.
#[derive(Debug)]
pub struct Deployment {
    /// The deployment directory.
    pub dir: PathBuf,
    /// Its settings.
    pub settings: Settings,
    /// Its data projects as opened. A server reloads them: it reads
    /// [`definitions`](Self::definitions) instead.
    pub projects: Projects,
    /// What executions run with; its catalog is the one opened. A server reloads the catalog:
    /// it runs with [`pipeline_for`](Self::pipeline_for) the current definitions instead.
    pub pipeline: Pipeline,
    /// Keeps the plugins in step with their directory, once [`Deployment::watch_plugins`]
    /// started it.
    plugin_watcher: Option<Watcher>,
    /// The catalog and projects serving now, swapped whole by a reload.
    definitions: ArcSwap<Definitions>,
    /// What serves file by file and every definition file's state; held for a whole reload,
    /// so reloads take turns.
    files: Mutex<definitions::Files>,
    /// Every definition file's state as of the last reload: read without waiting for one
    /// under way (which may wait long on the store), so a request never blocks on it.
    states: ArcSwap<Vec<DefinitionState>>,
    /// Reloads that changed what serves, since the deployment opened.
    reloads: AtomicU64,
}

impl Deployment {
    /// Opens the deployment in `dir` on the embedded store; `data` overrides the settings'
    /// data directory.
    pub fn open(dir: &Path, data: Option<&Path>) -> Result<Deployment> {
        Deployment::open_on(dir, data, &Backend::Sqlite)
    }

    /// Opens the deployment in `dir` with its entity store on `backend`; `data` overrides the
    /// settings' data directory (which keeps the execution files and, on SQLite, the store).
    pub fn open_on(dir: &Path, data: Option<&Path>, backend: &Backend) -> Result<Deployment> {
        let settings = Settings::load(dir, data)?;
        let within = |path: &Path| within(dir, path);
        let catalog = Arc::new(Catalog::load_dir(&within(&settings.entities))?);
        let projects = Projects::load_dir(&within(&settings.projects), &catalog)?;

        let data_dir = within(&settings.data);
        std::fs::create_dir_all(&data_dir).with_context(|| format!("cannot create {}", data_dir.display()))?;
        let store = Store::on(backend, &data_dir)?;
        store.prepare(&catalog)?;

        let runtime_config = RuntimeConfig {
            cache_dir: Some(settings.cache_dir(dir)),
            load_limits: settings.loading,
            max_concurrent_calls: settings.max_plugin_calls.max(1),
            max_calls_per_plugin: settings.max_calls_per_plugin.max(1),
            outbound: Arc::new(Outbound::new(dir, &settings.outbound, &settings.secrets)?),
            signing: Signing::new(dir, &settings.signing)?.map(Arc::new),
            ..RuntimeConfig::default()
        };
        let runtime = Runtime::new(&runtime_config, Arc::new(store.clone()))?;
        let registry = Arc::new(Registry::new(runtime));
        let plugins_dir = within(&settings.plugins);
        if plugins_dir.is_dir() {
            // The registry logs and records each refusal; a project that uses a plugin that is
            // missing says so.
            registry.load_dir(&plugins_dir)?;
        }
        load_builtins(&registry, &projects, settings.builtins_dir(dir).as_deref());
        let executions_dir = data_dir.join("executions");
        let files = definitions::Files::opened(&directories(dir, &settings))?;
        let definitions = ArcSwap::from_pointee(Definitions { catalog: catalog.clone(), projects: projects.clone() });
        let pipeline = Pipeline { catalog, registry, store, executions_dir, natives: Default::default() };
        Ok(Deployment {
            dir: dir.to_owned(),
            settings,
            projects,
            pipeline,
            plugin_watcher: None,
            definitions,
            states: ArcSwap::from_pointee(files.states()),
            files: Mutex::new(files),
            reloads: AtomicU64::new(0),
        })
    }

    /// The entity catalog and the projects serving now. An execution takes them once when it
    /// starts and keeps them to its end, whatever reloads meanwhile.
    pub fn definitions(&self) -> Arc<Definitions> {
        self.definitions.load_full()
    }

    /// The pipeline an execution on `definitions` runs with.
    pub fn pipeline_for(&self, definitions: &Definitions) -> Pipeline {
        Pipeline { catalog: definitions.catalog.clone(), ..self.pipeline.clone() }
    }

    /// Reads `entities/` and `projects/` again and swaps in what passes its checks (see
    /// [`Definitions`]): a changed entity's table is migrated first, and a file that fails
    /// keeps its previous definition serving with the reason in its
    /// [state](Self::definition_states). `true` when what serves changed.
    pub fn reload_definitions(&self) -> bool {
        let mut files = self.files.lock().unwrap_or_else(PoisonError::into_inner);
        let current = self.definitions();
        let next = files.reload(&directories(&self.dir, &self.settings), &self.pipeline.store, &current);
        let changed = !Arc::ptr_eq(&next.catalog, &current.catalog) || next.projects != current.projects;
        if changed {
            load_builtins(&self.pipeline.registry, &next.projects, self.settings.builtins_dir(&self.dir).as_deref());
            self.definitions.store(Arc::new(next));
            self.reloads.fetch_add(1, Ordering::Relaxed);
            tracing::info!("the entity and project definitions are reloaded");
        }
        self.states.store(Arc::new(files.states()));
        changed
    }

    /// Every definition file's state: serving, or refused with the reason (its previous
    /// definition, if any, serving instead), by kind and file.
    pub fn definition_states(&self) -> Vec<DefinitionState> {
        self.states.load().as_ref().clone()
    }

    /// Records the outcome of every file of `kind` after a reload; files not listed are gone.
    pub(crate) fn record_definitions(&self, kind: DefinitionKind, outcomes: Vec<Outcome>) {
        let mut files = self.files.lock().unwrap_or_else(PoisonError::into_inner);
        files.record(kind, outcomes);
        self.states.store(Arc::new(files.states()));
    }

    /// Reloads that changed what serves since the deployment opened.
    pub fn definition_reloads(&self) -> u64 {
        self.reloads.load(Ordering::Relaxed)
    }

    /// The directories of entities and projects, then of jobs when it exists: what a server
    /// watches for definitions.
    pub fn definition_dirs(&self) -> Vec<PathBuf> {
        let directories = directories(&self.dir, &self.settings);
        let mut dirs = vec![directories.entities, directories.projects];
        dirs.extend(Some(self.jobs_dir()).filter(|dir| dir.is_dir()));
        dirs
    }

    /// Watches the plugin directory from now until the deployment is dropped: a new or changed
    /// plugin is compiled, checked and started on the watcher's thread, then swapped in; a
    /// removed one is unloaded (see [`Watcher`]). For a server; an execution from the command
    /// line keeps the versions it opened with.
    pub fn watch_plugins(&mut self) -> Result<()> {
        let plugins_dir = within(&self.dir, &self.settings.plugins);
        if !plugins_dir.is_dir() {
            tracing::warn!(dir = %plugins_dir.display(), "no plugin directory to watch: plugins appear after a restart");
            return Ok(());
        }
        let watcher = Watcher::start(self.pipeline.registry.clone(), &plugins_dir, Watcher::DEFAULT_DEBOUNCE)?;
        tracing::info!(dir = %plugins_dir.display(), "watching the plugin directory: changed plugins are reloaded");
        self.plugin_watcher = Some(watcher);
        Ok(())
    }

    /// The data directory.
    pub fn data_dir(&self) -> PathBuf {
        self.settings.data_dir(&self.dir)
    }

    /// The directory of recurring jobs.
    pub fn jobs_dir(&self) -> PathBuf {
        within(&self.dir, &self.settings.jobs)
    }
}

/// Loads the built-in XSLT transform from `builtins` when a project lists stylesheets and the
/// plugin directory has no copy of its own. Built ahead of time, by the demo or once by the
/// operator: a deployment never waits on a C toolchain. When it is not there, the projects
/// that need it fail with the command that builds it, and the others run.
fn load_builtins(registry: &Registry, projects: &Projects, builtins: Option<&Path>) {
    let stylesheets = |project: &crate::pipeline::Project| {
        !project.stylesheets.is_empty() || project.entities.iter().any(|entity| !entity.stylesheets.is_empty())
    };
    if !projects.iter().any(stylesheets) || registry.by_name(XSLT_PLUGIN).is_some() {
        return;
    }
    let Some(file) = builtins.map(|dir| dir.join(format!("{XSLT_PLUGIN}.wasm"))).filter(|file| file.is_file()) else {
        tracing::warn!("projects list stylesheets, but the built-in XSLT transform is not built: {XSLT_BUILD}");
        return;
    };
    // A refusal is recorded with its reason, which the projects' errors repeat.
    if let Ok(plugin) = registry.load_file(&file) {
        tracing::info!(plugin = plugin.id(), file = %file.display(), "the built-in XSLT transform is loaded");
    }
}

/// Where the deployment in `dir` keeps its definitions.
fn directories(dir: &Path, settings: &Settings) -> definitions::Directories {
    let projects = within(dir, &settings.projects);
    // As `Projects::load_dir` finds stylesheets: beside the projects' directory.
    let stylesheets = projects.parent().map(|deployment| deployment.join(crate::pipeline::stylesheet::STYLESHEET_DIR));
    definitions::Directories { entities: within(dir, &settings.entities), projects, stylesheets }
}

/// `path`, relative to the deployment directory `dir` unless absolute.
fn within(dir: &Path, path: &Path) -> PathBuf {
    if path.is_absolute() { path.to_owned() } else { dir.join(path) }
}
